//! The Đắk Lắk demo: the province's real units, generated villages, and a programme the size of
//! the one the province reported in December 2022 (1,163 teams with 7,228 members), with
//! steering committees, training and monthly results. The same data on every run.

mod names;
mod rng;

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{ConnectionTrait, TransactionTrait, Value};

use crate::authz::Role;
use crate::db::Db;
use crate::db::bulk::{insert_rows, next_id, sync_identity};
use crate::db::sql::{Args, fetch_rows};
use crate::domain::committees::CommitteePosition;
use crate::domain::import_units::{ImportReport, UNIT_COLUMNS, import_csv};
use crate::domain::teams::{Affiliation, TeamRole};
use crate::domain::training::TrainingFormat;
use crate::domain::{units, users};
use crate::text::fold;
use rng::Rng;

/// The Đắk Lắk subtree of the official 2023 unit list.
pub const DAKLAK_UNITS_CSV: &str = include_str!("data/daklak_2023.csv");
pub const DAKLAK_CODE: &str = "66";
pub const DEMO_TEAMS: usize = 1_163;
pub const DEMO_MEMBERS: usize = 7_228;
/// The two communes that piloted commune-level digital transformation: every village there has
/// a team.
pub const PILOT_COMMUNES: &[&str] = &["24172", "24355"];

/// When the imported units took effect, for want of a recorded date: before the programme.
pub fn default_valid_from() -> NaiveDate {
    NaiveDate::from_ymd_opt(2020, 1, 1).expect("a valid date")
}

#[derive(Debug, Default)]
pub struct SeedReport {
    pub units: ImportReport,
    pub villages: usize,
    pub teams: usize,
    pub members: usize,
    pub committees: usize,
    pub sessions: usize,
    pub attendance: usize,
    pub reports: usize,
    pub users: usize,
    pub already_present: bool,
}

impl SeedReport {
    fn add(&mut self, other: &SeedReport) {
        self.villages += other.villages;
        self.teams += other.teams;
        self.members += other.members;
        self.committees += other.committees;
        self.sessions += other.sessions;
        self.attendance += other.attendance;
        self.reports += other.reports;
        self.already_present |= other.already_present;
    }
}

impl std::fmt::Display for SeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.already_present {
            return write!(
                f,
                "units: {}; the demo programme was already present",
                self.units
            );
        }
        write!(
            f,
            "units: {}; {} villages, {} teams, {} members, {} committees, {} training sessions, \
             {} attendance records, {} result reports, {} demo users",
            self.units,
            self.villages,
            self.teams,
            self.members,
            self.committees,
            self.sessions,
            self.attendance,
            self.reports,
            self.users
        )
    }
}

#[derive(Clone)]
struct Commune {
    id: i64,
    code: String,
    name: String,
    division_type: String,
    path: String,
}

struct Village {
    id: i64,
    commune: usize,
    name: String,
    is_buon: bool,
}

/// The demo accounts of the contract: username, role, unit code (`None`: the whole country).
pub const DEMO_USERS: &[(&str, Role, Option<&str>)] = &[
    ("admin", Role::Admin, None),
    ("leader.66", Role::Leader, Some("66")),
    ("officer.643", Role::Officer, Some("643")),
    ("officer.24172", Role::Officer, Some("24172")),
    ("officer.24355", Role::Officer, Some("24355")),
];

pub async fn seed_demo(db: &Db, demo_password: &str) -> anyhow::Result<SeedReport> {
    let units = import_csv(&db.conn, DAKLAK_UNITS_CSV, default_valid_from())
        .await
        .context("importing the Đắk Lắk units")?;
    let txn = db.conn.begin().await?;
    let province = province_row(&txn, DAKLAK_CODE).await?;
    let plan = Plan {
        teams: DEMO_TEAMS,
        members: DEMO_MEMBERS,
        seed: DEMO_SEED,
    };
    let mut report = generate_province(&txn, &province, plan).await?;
    report.users = seed_users(&txn, demo_password).await?;
    txn.commit().await?;
    refresh_statistics(db).await?;
    report.units = units;
    Ok(report)
}

/// After a bulk load PostgreSQL's planner still believes the tables are empty until autovacuum
/// catches up; tell it now, so that the first queries already use the path index.
async fn refresh_statistics(db: &Db) -> anyhow::Result<()> {
    if db.backend() == sea_orm::DbBackend::Postgres {
        db.conn.execute_unprepared("ANALYZE").await?;
    }
    Ok(())
}

/// The whole 2023 unit list of the country (63 provinces, 705 districts, 10,598 communes).
pub const NATIONAL_UNITS_CSV: &str = include_str!("data/admin_units_2023.csv");
/// The national figures reported for 2023: community digital technology teams and members.
pub const NATIONAL_TEAMS: usize = 74_422;
pub const NATIONAL_MEMBERS: usize = 348_362;

/// The whole country by the same rules as the demo: Đắk Lắk comes out exactly as the demo, and
/// the other provinces share the rest of the national figures in proportion to their communes.
/// Each province is its own transaction: a seed that stops can be run again and goes on where
/// it stopped. `only` limits the work to some provinces (by code), each still getting exactly
/// its share of the national figures. `progress` hears of each province as it is done.
pub async fn seed_national(
    db: &Db,
    demo_password: &str,
    only: Option<&[&str]>,
    mut progress: impl FnMut(usize, usize, &str, &SeedReport),
) -> anyhow::Result<SeedReport> {
    let units = import_csv(&db.conn, NATIONAL_UNITS_CSV, default_valid_from())
        .await
        .context("importing the national units")?;
    let provinces = unit_rows(&db.conn, "u.level = $1 AND u.parent_id IS NULL", "PROVINCE").await?;
    let mut communes = Vec::with_capacity(provinces.len());
    for province in &provinces {
        let rows = fetch_rows(
            &db.conn,
            "SELECT COUNT(*) AS n FROM admin_unit WHERE level = 'COMMUNE' AND valid_to IS NULL \
             AND path >= $1 AND path < $2",
            path_range(&province.path),
        )
        .await?;
        communes.push(rows[0].try_get::<i64>("", "n")? as usize);
    }
    let plans = national_plans(&provinces, &communes);
    let mut total = SeedReport {
        units,
        ..SeedReport::default()
    };
    for (i, (province, plan)) in provinces.iter().zip(plans).enumerate() {
        if only.is_some_and(|codes| !codes.contains(&province.code.as_str())) {
            continue;
        }
        let txn = db.conn.begin().await?;
        let report = generate_province(&txn, province, plan).await?;
        txn.commit().await?;
        progress(i + 1, provinces.len(), &province.name, &report);
        total.add(&report);
    }
    let txn = db.conn.begin().await?;
    total.users = seed_users(&txn, demo_password).await?;
    txn.commit().await?;
    refresh_statistics(db).await?;
    Ok(total)
}

/// Splits the national figures: Đắk Lắk keeps its own, the rest goes by communes (largest
/// remainders, so the sums are exact).
fn national_plans(provinces: &[Commune], communes: &[usize]) -> Vec<Plan> {
    let share = |total: usize, weights: &[usize]| -> Vec<usize> {
        let sum: usize = weights.iter().sum::<usize>().max(1);
        let mut parts: Vec<(usize, usize, usize)> = weights
            .iter()
            .enumerate()
            .map(|(i, w)| (i, total * w / sum, total * w % sum))
            .collect();
        let mut left = total - parts.iter().map(|p| p.1).sum::<usize>();
        parts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
        for part in parts.iter_mut() {
            if left == 0 {
                break;
            }
            part.1 += 1;
            left -= 1;
        }
        parts.sort_by_key(|p| p.0);
        parts.into_iter().map(|p| p.1).collect()
    };
    let weights: Vec<usize> = provinces
        .iter()
        .zip(communes)
        .map(|(p, c)| if p.code == DAKLAK_CODE { 0 } else { *c })
        .collect();
    let teams = share(NATIONAL_TEAMS - DEMO_TEAMS, &weights);
    let members = share(NATIONAL_MEMBERS - DEMO_MEMBERS, &teams);
    provinces
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if p.code == DAKLAK_CODE {
                Plan {
                    teams: DEMO_TEAMS,
                    members: DEMO_MEMBERS,
                    seed: DEMO_SEED,
                }
            } else {
                Plan {
                    teams: teams[i],
                    members: members[i],
                    seed: seed_of(&p.code),
                }
            }
        })
        .collect()
}

/// Creates the demo accounts that do not exist yet.
async fn seed_users(txn: &impl ConnectionTrait, password: &str) -> anyhow::Result<usize> {
    let mut created = 0;
    for (username, role, unit_code) in DEMO_USERS {
        if users::find(txn, username)
            .await
            .map_err(app_error)?
            .is_some()
        {
            continue;
        }
        let hash = crate::auth::hash_password(password)?;
        let id = users::create(txn, username, None, &hash)
            .await
            .map_err(app_error)?;
        let unit = match unit_code {
            Some(code) => Some(
                units::require_by_code(txn, code)
                    .await
                    .map_err(app_error)?
                    .id,
            ),
            None => None,
        };
        users::assign(txn, id, *role, unit, None)
            .await
            .map_err(app_error)?;
        created += 1;
    }
    Ok(created)
}

fn app_error(err: crate::error::AppError) -> anyhow::Error {
    err.into_anyhow()
}

/// How much programme a province gets: its teams and members, and the seed of its generator.
#[derive(Clone, Copy, Debug)]
struct Plan {
    teams: usize,
    members: usize,
    seed: u64,
}

/// The generator of a province depends on its code alone, so that a province comes out the
/// same whether it is seeded alone (the demo) or with the whole country.
fn seed_of(code: &str) -> u64 {
    let number: u64 = code.parse().unwrap_or(0);
    DEMO_SEED.wrapping_add(number.wrapping_sub(66).wrapping_mul(0x9E37_79B9))
}

const DEMO_SEED: u64 = 0x00D4_4C4A_2022_1163;

async fn province_row(txn: &impl ConnectionTrait, code: &str) -> anyhow::Result<Commune> {
    unit_rows(txn, "u.code = $1 AND u.valid_to IS NULL", code)
        .await?
        .into_iter()
        .next()
        .with_context(|| format!("the province {code} is missing"))
}

async fn generate_province(
    txn: &impl ConnectionTrait,
    province: &Commune,
    plan: Plan,
) -> anyhow::Result<SeedReport> {
    let province = province.clone();
    let mut report = SeedReport::default();
    let existing = fetch_rows(
        txn,
        "SELECT COUNT(*) AS n FROM admin_unit WHERE level = 'VILLAGE' AND path >= $1 AND path < $2",
        path_range(&province.path),
    )
    .await?;
    if existing[0].try_get::<i64>("", "n")? > 0 {
        report.already_present = true;
        return Ok(report);
    }
    let districts = unit_rows(txn, "u.parent_id = $1", province.id).await?;
    let mut communes = Vec::new();
    for d in &districts {
        communes.extend(unit_rows(txn, "u.parent_id = $1", d.id).await?);
    }
    communes.sort_by(|a, b| a.code.cmp(&b.code));

    let mut rng = Rng::new(plan.seed);
    let valid_from = default_valid_from();

    // Villages: thôn and buôn in a xã, tổ dân phố in a phường or thị trấn; 8 to 20 each.
    let mut villages: Vec<Village> = Vec::new();
    let mut rows = Vec::new();
    let mut id = next_id(txn, "admin_unit").await?;
    for (ci, commune) in communes.iter().enumerate() {
        let count = rng.range(8, 20) as usize;
        let rural = commune.division_type == "xã";
        let buon_count = if rural {
            rng.range(0, count as i64 / 3) as usize
        } else {
            0
        };
        let mut used = Vec::new();
        for n in 1..=count {
            let (name, kind, is_buon) = if !rural {
                (format!("Tổ dân phố {n}"), "tổ dân phố", false)
            } else if n > count - buon_count {
                match names::buon(&mut rng, &mut used) {
                    Some(name) => (name, "buôn", true),
                    None => (format!("Thôn {n}"), "thôn", false),
                }
            } else {
                (format!("Thôn {n}"), "thôn", false)
            };
            rows.push(vec![
                id.into(),
                format!("{}.{n:02}", commune.code).into(),
                name.clone().into(),
                fold(&name).into(),
                "VILLAGE".into(),
                kind.into(),
                Some(commune.id).into(),
                format!("{}{id}/", commune.path).into(),
                valid_from.into(),
            ]);
            villages.push(Village {
                id,
                commune: ci,
                name,
                is_buon,
            });
            id += 1;
        }
    }
    insert_rows(txn, "admin_unit", UNIT_COLUMNS, rows).await?;
    sync_identity(txn, "admin_unit").await?;
    report.villages = villages.len();

    // Teams: every village of the pilot communes, then villages drawn across the province.
    let (mut chosen, mut others): (Vec<usize>, Vec<usize>) = (0..villages.len())
        .partition(|&v| PILOT_COMMUNES.contains(&communes[villages[v].commune].code.as_str()));
    rng.shuffle(&mut others);
    chosen.extend(
        others
            .into_iter()
            .take(plan.teams.saturating_sub(chosen.len())),
    );
    chosen.truncate(plan.teams);
    chosen.sort_unstable();
    anyhow::ensure!(
        chosen.len() == plan.teams,
        "{}: not enough villages for {} teams",
        province.name,
        plan.teams
    );
    anyhow::ensure!(
        (4 * plan.teams..=9 * plan.teams).contains(&plan.members),
        "{}: {} members cannot make {} teams of 4 to 9",
        province.name,
        plan.members,
        plan.teams
    );

    let mut sizes: Vec<i64> = (0..plan.teams).map(|_| rng.range(4, 9)).collect();
    balance_sizes(&mut rng, &mut sizes, plan.members as i64);

    let programme_start = NaiveDate::from_ymd_opt(2022, 8, 15).expect("a valid date");
    let mut team_rows = Vec::new();
    let mut member_rows = Vec::new();
    let mut team_ids = Vec::new();
    // (member id, district index) for attendance.
    let mut members: Vec<(i64, usize)> = Vec::new();
    let mut team_id = next_id(txn, "team").await?;
    let mut member_id = next_id(txn, "team_member").await?;
    let district_index = |commune: &Commune| {
        districts
            .iter()
            .position(|d| commune.path.starts_with(&d.path))
            .unwrap_or(0)
    };
    for (t, &v) in chosen.iter().enumerate() {
        let village = &villages[v];
        let commune = &communes[village.commune];
        let founded = programme_start + Duration::days(rng.range(0, 120));
        let name = format!("Tổ công nghệ số cộng đồng {}", village.name);
        team_rows.push(vec![
            team_id.into(),
            village.id.into(),
            name.clone().into(),
            fold(&name).into(),
            format!("{}/QĐ-UBND", rng.range(12, 480)).into(),
            founded.into(),
            "ACTIVE".into(),
        ]);
        let di = district_index(commune);
        for m in 0..sizes[t] {
            let role = match m {
                0 => TeamRole::Leader,
                1 if sizes[t] >= 5 => TeamRole::Deputy,
                _ => TeamRole::Member,
            };
            let affiliation = if role == TeamRole::Leader && rng.chance(60) {
                Affiliation::VillageHead
            } else {
                rng.weighted(&[
                    (Affiliation::Police, 15),
                    (Affiliation::YouthUnion, 20),
                    (Affiliation::WomenUnion, 18),
                    (Affiliation::FarmersUnion, 12),
                    (Affiliation::Veterans, 8),
                    (Affiliation::Telecom, 7),
                    (Affiliation::Teacher, 10),
                    (Affiliation::Other, 10),
                ])
            };
            let ede = if village.is_buon {
                rng.chance(85)
            } else {
                rng.chance(8)
            };
            let (full_name, gender) = names::person(&mut rng, ede);
            let phone = rng.chance(92).then(|| names::phone(&mut rng));
            member_rows.push(vec![
                member_id.into(),
                team_id.into(),
                full_name.into(),
                role.into(),
                affiliation.into(),
                phone.into(),
                gender.into(),
                (rng.range(1965, 2004) as i32).into(),
                founded.into(),
            ]);
            members.push((member_id, di));
            member_id += 1;
        }
        team_ids.push(team_id);
        team_id += 1;
    }
    insert_rows(
        txn,
        "team",
        &[
            "id",
            "unit_id",
            "name",
            "name_folded",
            "decision_no",
            "founded_on",
            "status",
        ],
        team_rows,
    )
    .await?;
    insert_rows(
        txn,
        "team_member",
        &[
            "id",
            "team_id",
            "full_name",
            "role",
            "affiliation",
            "phone",
            "gender",
            "birth_year",
            "joined_on",
        ],
        member_rows,
    )
    .await?;
    sync_identity(txn, "team").await?;
    sync_identity(txn, "team_member").await?;
    report.teams = team_ids.len();
    report.members = members.len();

    report.committees = seed_committees(txn, &mut rng, &province, &districts, &communes).await?;

    // The 2024 round draws from a stream of its own, so the reports drawn after it stay as
    // they were before that round was added.
    let mut round_2024 = Rng::new(plan.seed ^ 0x2024);
    let (sessions, attendance) = seed_training(
        txn,
        [&mut rng, &mut round_2024],
        &province,
        &districts,
        &members,
    )
    .await?;
    report.sessions = sessions;
    report.attendance = attendance;
    report.reports = seed_reports(txn, &mut rng, &team_ids).await?;
    Ok(report)
}

/// Moves members between teams, keeping each within 4 to 9, until the total is exact.
fn balance_sizes(rng: &mut Rng, sizes: &mut [i64], target: i64) {
    let mut total: i64 = sizes.iter().sum();
    while total != target {
        let i = (rng.next_u64() % sizes.len() as u64) as usize;
        if total > target && sizes[i] > 4 {
            sizes[i] -= 1;
            total -= 1;
        } else if total < target && sizes[i] < 9 {
            sizes[i] += 1;
            total += 1;
        }
    }
}

fn path_range(path: &str) -> Args {
    let mut args = Args::new();
    args.bind(path.to_owned());
    args.bind(format!("{path}~"));
    args
}

async fn unit_rows(
    txn: &impl ConnectionTrait,
    condition: &str,
    value: impl Into<Value>,
) -> anyhow::Result<Vec<Commune>> {
    let mut args = Args::new();
    args.bind(value);
    let sql = format!(
        "SELECT u.id, u.code, u.name, u.division_type, u.path FROM admin_unit u \
         WHERE {condition} AND u.valid_to IS NULL ORDER BY u.code"
    );
    let mut out = Vec::new();
    for row in fetch_rows(txn, sql, args).await? {
        out.push(Commune {
            id: row.try_get("", "id")?,
            code: row.try_get("", "code")?,
            name: row.try_get("", "name")?,
            division_type: row.try_get("", "division_type")?,
            path: row.try_get("", "path")?,
        });
    }
    Ok(out)
}

/// "Xã Hòa Phú" → "xã Hòa Phú", as the name reads inside a sentence.
fn in_sentence(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

async fn seed_committees(
    txn: &impl ConnectionTrait,
    rng: &mut Rng,
    province: &Commune,
    districts: &[Commune],
    communes: &[Commune],
) -> anyhow::Result<usize> {
    let mut committee_rows = Vec::new();
    let mut member_rows = Vec::new();
    let mut id = next_id(txn, "steering_committee").await?;
    let mut member_id = next_id(txn, "committee_member").await?;
    let levels = std::iter::once((province, 0))
        .chain(districts.iter().map(|d| (d, 1)))
        .chain(communes.iter().map(|c| (c, 2)));
    for (unit, level) in levels {
        let (people, body, founded_from) = match level {
            0 => (9, "UBND tỉnh", NaiveDate::from_ymd_opt(2021, 3, 1)),
            1 => (7, "UBND huyện", NaiveDate::from_ymd_opt(2021, 6, 1)),
            _ => (5, "UBND xã", NaiveDate::from_ymd_opt(2021, 9, 1)),
        };
        let founded = founded_from.expect("a valid date") + Duration::days(rng.range(0, 200));
        committee_rows.push(vec![
            id.into(),
            unit.id.into(),
            format!("Ban Chỉ đạo chuyển đổi số {}", in_sentence(&unit.name)).into(),
            format!("{}/QĐ-UBND", rng.range(5, 900)).into(),
            founded.into(),
        ]);
        let titles: &[(CommitteePosition, &str)] = &[
            (CommitteePosition::Head, "Chủ tịch"),
            (CommitteePosition::DeputyHead, "Phó Chủ tịch"),
            (
                CommitteePosition::DeputyHead,
                "phụ trách thông tin và truyền thông",
            ),
            (CommitteePosition::Member, "Trưởng Công an"),
            (CommitteePosition::Member, "Bí thư Đoàn Thanh niên"),
            (CommitteePosition::Member, "Chủ tịch Hội Liên hiệp Phụ nữ"),
            (CommitteePosition::Member, "Chủ tịch Hội Nông dân"),
            (CommitteePosition::Member, "Giám đốc Viễn thông"),
            (CommitteePosition::Member, "Chánh Văn phòng"),
        ];
        for (order, (position, title)) in titles.iter().take(people).enumerate() {
            let ede = rng.chance(10);
            let (name, _) = names::person(rng, ede);
            let title = match position {
                CommitteePosition::Member => (*title).to_owned(),
                _ => format!("{title} {body}"),
            };
            member_rows.push(vec![
                member_id.into(),
                id.into(),
                name.into(),
                (*position).into(),
                title.into(),
                (order as i32).into(),
            ]);
            member_id += 1;
        }
        id += 1;
    }
    let count = committee_rows.len();
    insert_rows(
        txn,
        "steering_committee",
        &["id", "unit_id", "name", "decision_no", "founded_on"],
        committee_rows,
    )
    .await?;
    insert_rows(
        txn,
        "committee_member",
        &[
            "id",
            "committee_id",
            "full_name",
            "position",
            "title",
            "sort_order",
        ],
        member_rows,
    )
    .await?;
    sync_identity(txn, "steering_committee").await?;
    sync_identity(txn, "committee_member").await?;
    Ok(count)
}

/// The province's online conference for all team members (with the national agency) in
/// December 2022, then one in-person class per district in 2023; in 2024 an online refresher
/// for all teams and a practical class per district.
async fn seed_training(
    txn: &impl ConnectionTrait,
    [rng, rng_2024]: [&mut Rng; 2],
    province: &Commune,
    districts: &[Commune],
    members: &[(i64, usize)],
) -> anyhow::Result<(usize, usize)> {
    let first_session = next_id(txn, "training_session").await?;
    let at = |y, m, d, h| {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("a valid time")
    };
    let online = "Điểm cầu trực tuyến tại các xã, phường, thị trấn";
    let conference = first_session;
    let classes_2023 = conference + 1;
    let refresher = classes_2023 + districts.len() as i64;
    let classes_2024 = refresher + 1;
    let mut session_rows = vec![SessionRow {
        id: conference,
        organizer: province.id,
        title: "Hội nghị trực tuyến tập huấn kỹ năng số cho Tổ công nghệ số cộng đồng".into(),
        topic: "Kỹ năng số cơ bản: VNeID, dịch vụ công trực tuyến, thanh toán không dùng tiền mặt, thương mại điện tử",
        format: TrainingFormat::Online,
        starts: at(2022, 12, 20, 1),
        hours: 3,
        location: online.into(),
    }
    .values()];
    for (i, district) in districts.iter().enumerate() {
        let i32 = i as u32;
        session_rows.push(
            SessionRow::district_class(
                classes_2023 + i as i64,
                district,
                "Lớp bồi dưỡng kỹ năng số cho Tổ công nghệ số cộng đồng",
                "Hướng dẫn người dân cài đặt, kích hoạt VNeID mức độ 2 và nộp hồ sơ trực tuyến",
                at(2023, 3 + i32 % 4, 1 + (i32 * 3) % 28, 1),
            )
            .values(),
        );
    }
    session_rows.push(
        SessionRow {
            id: refresher,
            organizer: province.id,
            title: "Tập huấn nâng cao kỹ năng số cho Tổ công nghệ số cộng đồng năm 2024".into(),
            topic: "An toàn thông tin, chữ ký số, hướng dẫn người dân dùng dịch vụ công trực tuyến toàn trình",
            format: TrainingFormat::Online,
            starts: at(2024, 6, 18, 1),
            hours: 3,
            location: online.into(),
        }
        .values(),
    );
    for (i, district) in districts.iter().enumerate() {
        let i32 = i as u32;
        session_rows.push(
            SessionRow::district_class(
                classes_2024 + i as i64,
                district,
                "Lớp thực hành kỹ năng số năm 2024 cho Tổ công nghệ số cộng đồng",
                "Thực hành hỗ trợ người dân thanh toán không dùng tiền mặt và mua bán trực tuyến",
                at(2024, 9 + i32 % 3, 2 + (i32 * 5) % 26, 1),
            )
            .values(),
        );
    }

    let mut attendance_rows = Vec::new();
    let mut attendance_id = next_id(txn, "attendance").await?;
    // `attends` percent of members are registered and attend; `completes` percent of those
    // complete the course.
    let mut attend = |rng: &mut Rng, session: i64, member: i64, attends: u64, completes: u64| {
        if rng.chance(attends) {
            attendance_rows.push(vec![
                attendance_id.into(),
                session.into(),
                member.into(),
                true.into(),
                rng.chance(completes).into(),
            ]);
            attendance_id += 1;
        }
    };
    for &(member, district) in members {
        let district = district as i64;
        attend(rng, conference, member, 86, 95);
        attend(rng, classes_2023 + district, member, 55, 90);
        attend(rng_2024, refresher, member, 80, 92);
        attend(rng_2024, classes_2024 + district, member, 70, 88);
    }
    let counts = (session_rows.len(), attendance_rows.len());
    insert_rows(
        txn,
        "training_session",
        &[
            "id",
            "organizer_unit_id",
            "title",
            "topic",
            "format",
            "starts_at",
            "ends_at",
            "location",
        ],
        session_rows,
    )
    .await?;
    insert_rows(
        txn,
        "attendance",
        &["id", "session_id", "member_id", "attended", "completed"],
        attendance_rows,
    )
    .await?;
    sync_identity(txn, "training_session").await?;
    sync_identity(txn, "attendance").await?;
    Ok(counts)
}

/// A training session as the generator writes it.
struct SessionRow {
    id: i64,
    organizer: i64,
    title: String,
    topic: &'static str,
    format: TrainingFormat,
    starts: DateTime<Utc>,
    hours: i64,
    location: String,
}

impl SessionRow {
    /// A day's in-person class at the district's people's committee hall.
    fn district_class(
        id: i64,
        district: &Commune,
        title: &str,
        topic: &'static str,
        starts: DateTime<Utc>,
    ) -> SessionRow {
        SessionRow {
            id,
            organizer: district.id,
            title: format!("{title} {}", in_sentence(&district.name)),
            topic,
            format: TrainingFormat::InPerson,
            starts,
            hours: 7,
            location: format!("Hội trường UBND {}", in_sentence(&district.name)),
        }
    }

    fn values(self) -> Vec<sea_orm::Value> {
        vec![
            self.id.into(),
            self.organizer.into(),
            self.title.into(),
            Some(self.topic).into(),
            self.format.into(),
            self.starts.into(),
            Some(self.starts + Duration::hours(self.hours)).into(),
            Some(self.location).into(),
        ]
    }
}

/// Three months of results per team: two approved, the latest submitted or still a draft.
async fn seed_reports(
    txn: &impl ConnectionTrait,
    rng: &mut Rng,
    teams: &[i64],
) -> anyhow::Result<usize> {
    let mut rows = Vec::new();
    let mut id = next_id(txn, "result_report").await?;
    for &team in teams {
        for (month, state) in [
            ("2023-01", "APPROVED"),
            ("2023-02", "APPROVED"),
            ("2023-03", ""),
        ] {
            let state = match state {
                "" if rng.chance(70) => "SUBMITTED",
                "" => "DRAFT",
                s => s,
            };
            rows.push(vec![
                id.into(),
                team.into(),
                month.into(),
                (rng.range(20, 120) as i32).into(),
                (rng.range(10, 80) as i32).into(),
                (rng.range(2, 30) as i32).into(),
                (rng.range(5, 50) as i32).into(),
                (rng.range(0, 10) as i32).into(),
                state.into(),
            ]);
            id += 1;
        }
    }
    let count = rows.len();
    insert_rows(
        txn,
        "result_report",
        &[
            "id",
            "team_id",
            "period",
            "households_reached",
            "vneid_activations",
            "online_applications",
            "cashless_accounts",
            "ecommerce_accounts",
            "state",
        ],
        rows,
    )
    .await?;
    sync_identity(txn, "result_report").await?;
    Ok(count)
}
