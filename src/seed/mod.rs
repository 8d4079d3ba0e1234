//! The Đắk Lắk demo: the province's real units, generated villages, and a programme the size of
//! the one the province reported in December 2022 (1,163 teams with 7,228 members), with
//! steering committees, training and monthly results. The same data on every run.

mod accounts;
mod committees;
mod history;
mod names;
mod reorganisation;
mod reports;
mod rng;
mod teams;
mod training;
mod villages;

use anyhow::Context;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, FromQueryResult, TransactionTrait};

use crate::authz::subtree_range;
use crate::db::Db;
use crate::db::entities::admin_unit::{Column as U, Entity as Units};
use crate::db::query;
use crate::domain::counters;
use crate::domain::import_units::{ImportReport, import_csv};
use crate::domain::units::AdminLevel;
use rng::Rng;

pub use accounts::DEMO_USERS;
pub use reorganisation::{
    DEMO_VILLAGES_2025_CSV, REORG_2025_CSV, UNITS_2025_CSV, apply_2025, demo_decisions,
    effective_2025,
};

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
    /// Teams dissolved and set up again, and members replaced, in 2023–2025.
    pub teams_renewed: usize,
    pub members_replaced: usize,
    /// What the reorganisation of 1 July 2025 did, in a line.
    pub reorganisation: Option<String>,
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
        self.teams_renewed += other.teams_renewed;
        self.members_replaced += other.members_replaced;
        self.already_present |= other.already_present;
    }
}

impl std::fmt::Display for SeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.already_present {
            return write!(f, "the demo programme was already present");
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
        )?;
        if self.teams_renewed + self.members_replaced > 0 {
            write!(
                f,
                "; 2023–2025: {} teams set up again, {} members replaced",
                self.teams_renewed, self.members_replaced
            )?;
        }
        if let Some(reorganisation) = &self.reorganisation {
            write!(f, "; {reorganisation}")?;
        }
        Ok(())
    }
}

/// A unit the generator works under: the province, a district or a commune.
#[derive(Clone, FromQueryResult)]
struct Commune {
    id: i64,
    code: String,
    name: String,
    division_type: String,
    path: String,
}

/// Phú Yên, which the reorganisation of 1 July 2025 merged into Đắk Lắk.
pub const PHU_YEN_CODE: &str = "54";

/// The demo: Đắk Lắk as it reported on 1 December 2022 and Phú Yên by the national rules, what
/// changed in 2023–2025, then the reorganisation of 1 July 2025 from the official files.
pub async fn seed_demo(db: &Db, demo_password: &str) -> anyhow::Result<SeedReport> {
    seed_demo_until(db, demo_password, true).await
}

/// The demo, with the reorganisation of 1 July 2025 applied or not (`seed --demo
/// --before-reform`, to try `reorganise` on it).
pub async fn seed_demo_until(
    db: &Db,
    demo_password: &str,
    reorganised: bool,
) -> anyhow::Result<SeedReport> {
    if demo_present(&db.conn).await? {
        return Ok(SeedReport {
            already_present: true,
            ..SeedReport::default()
        });
    }
    let csv = format!("{DAKLAK_UNITS_CSV}{}", province_csv(PHU_YEN_CODE, false));
    let units = import_csv(&db.conn, &csv, default_valid_from())
        .await
        .context("importing the units of Đắk Lắk and Phú Yên")?;
    let txn = db.conn.begin().await?;
    let mut report = SeedReport::default();
    for code in [DAKLAK_CODE, PHU_YEN_CODE] {
        let province = province_row(&txn, code).await?;
        let plan = plan_of(code);
        report.add(&generate_province(&txn, &province, plan).await?);
        let changes = history::generate(&txn, &province.path, plan).await?;
        report.teams_renewed += changes.teams_renewed;
        report.members_replaced += changes.members_replaced;
        counters::recount(&txn, counters::Units::Under(&province.path)).await?;
    }
    report.users = accounts::create(&txn, demo_password).await?;
    txn.commit().await?;
    if reorganised {
        let decisions = Some(DEMO_VILLAGES_2025_CSV);
        report.reorganisation = Some(reorganise_2025(db, decisions, &mut |_| {}).await?);
    }
    refresh_statistics(db).await?;
    report.units = units;
    Ok(report)
}

/// The demo as the province reported it on 1 December 2022, and nothing after: Đắk Lắk alone,
/// in the tree of 2023, with the demo accounts. A fixture for what holds whatever the tree.
pub async fn seed_demo_as_reported(db: &Db, demo_password: &str) -> anyhow::Result<SeedReport> {
    let units = import_csv(&db.conn, DAKLAK_UNITS_CSV, default_valid_from())
        .await
        .context("importing the Đắk Lắk units")?;
    let txn = db.conn.begin().await?;
    let province = province_row(&txn, DAKLAK_CODE).await?;
    let mut report = generate_province(&txn, &province, plan_of(DAKLAK_CODE)).await?;
    counters::recount(&txn, counters::Units::Under(&province.path)).await?;
    report.users = accounts::create(&txn, demo_password).await?;
    txn.commit().await?;
    refresh_statistics(db).await?;
    report.units = units;
    Ok(report)
}

/// Whether the demo was loaded already (its villages exist, or the tree was reorganised): a
/// second `seed --demo` must not import the 2023 list into today's tree.
async fn demo_present(conn: &impl ConnectionTrait) -> anyhow::Result<bool> {
    use crate::db::entities::reorganisation::Entity as Reorganisations;
    let reorganised = Query::select()
        .expr(Expr::val(1))
        .from(Reorganisations)
        .to_owned();
    if query::exists(conn, &reorganised).await? {
        return Ok(true);
    }
    let villages = Query::select()
        .expr(Expr::val(1))
        .from(Units)
        .and_where(Expr::col(U::Level).eq(AdminLevel::Village.as_str()))
        .to_owned();
    Ok(query::exists(conn, &villages).await?)
}

/// Applies the reorganisation of 1 July 2025 to the provinces in the database, with
/// `decisions` (or the demo's rules) for what the official table leaves open; a summary of
/// what it did.
async fn reorganise_2025(
    db: &Db,
    decisions: Option<&str>,
    steps: &mut (dyn FnMut(&str) + Send),
) -> anyhow::Result<String> {
    use crate::domain::reorganise::Outcome;
    match reorganisation::apply_2025(&db.conn, decisions, false, steps).await? {
        Outcome::Applied { report, .. } => Ok(format!(
            "reorganised on {}: {} units opened, {} closed, {} villages moved",
            reorganisation::effective_2025(),
            report.opened.len(),
            report.closed.len(),
            report.villages_moved
        )),
        Outcome::NothingToChange(_) => Ok("the reorganisation was already applied".to_owned()),
        Outcome::Refused(report) | Outcome::Planned(report) => anyhow::bail!(
            "the reorganisation of the demo was refused:\n{}",
            report.questions.join("\n")
        ),
    }
}

/// The subtree of one province of the 2023 list, as a CSV (with or without its header).
fn province_csv(code: &str, header: bool) -> String {
    let mut lines = NATIONAL_UNITS_CSV.lines();
    let mut out = String::new();
    if let Some(first) = lines.next()
        && header
    {
        out.push_str(first);
        out.push('\n');
    }
    let mut inside: std::collections::HashSet<String> = std::collections::HashSet::new();
    inside.insert(code.to_owned());
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        let (unit, parent) = (fields[0], fields.get(3).copied().unwrap_or(""));
        if unit == code || inside.contains(parent) {
            inside.insert(unit.to_owned());
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The plan of one province as the national generator makes it.
fn plan_of(code: &str) -> Plan {
    let mut provinces: Vec<&str> = Vec::new();
    let mut district_province: std::collections::HashMap<&str, &str> = Default::default();
    let mut communes: std::collections::HashMap<&str, usize> = Default::default();
    for line in NATIONAL_UNITS_CSV.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        match f[2] {
            "province" => provinces.push(f[0]),
            "district" => {
                district_province.insert(f[0], f[3]);
            }
            "commune" => {
                if let Some(p) = district_province.get(f[3]) {
                    *communes.entry(p).or_default() += 1;
                }
            }
            _ => {}
        }
    }
    provinces.sort_unstable();
    let counts: Vec<usize> = provinces
        .iter()
        .map(|p| communes.get(p).copied().unwrap_or(0))
        .collect();
    let at = provinces.iter().position(|p| *p == code).unwrap_or(0);
    national_plans(&provinces, &counts)[at]
}

/// After a bulk load PostgreSQL's planner still believes the tables are empty until autovacuum
/// catches up; tell it now, so that the first queries already use the path index.
async fn refresh_statistics(db: &Db) -> anyhow::Result<()> {
    if db.backend() == sea_orm::DbBackend::Postgres {
        // The 2023–2025 changes and the reorganisation updated rows after they were loaded:
        // vacuum too, so that reads do not wade through their dead versions.
        db.conn.execute_unprepared("VACUUM (ANALYZE)").await?;
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
/// it stopped. Then, for the whole country, the reorganisation of 1 July 2025 (63 provinces
/// become 34), as for the demo. `only` limits the work to some provinces (by code), each still
/// getting exactly its share of the national figures, and leaves the tree of 2023 as it is.
/// `progress` hears of each province as it is done, `steps` of the reorganisation's steps.
pub async fn seed_national(
    db: &Db,
    demo_password: &str,
    only: Option<&[&str]>,
    mut progress: impl FnMut(usize, usize, &str, &SeedReport),
    steps: &mut (dyn FnMut(&str) + Send),
) -> anyhow::Result<SeedReport> {
    use crate::db::entities::reorganisation::Entity as Reorganisations;
    let reorganised = Query::select()
        .expr(Expr::val(1))
        .from(Reorganisations)
        .to_owned();
    if query::exists(&db.conn, &reorganised).await? {
        return Ok(SeedReport {
            already_present: true,
            ..SeedReport::default()
        });
    }
    let units = import_csv(&db.conn, NATIONAL_UNITS_CSV, default_valid_from())
        .await
        .context("importing the national units")?;
    let provinces = unit_rows(
        &db.conn,
        Expr::col(U::Level)
            .eq(AdminLevel::Province.as_str())
            .and(Expr::col(U::ParentId).is_null()),
    )
    .await?;
    let mut communes = Vec::with_capacity(provinces.len());
    for province in &provinces {
        communes.push(current_under(&db.conn, AdminLevel::Commune, &province.path).await? as usize);
    }
    let codes: Vec<&str> = provinces.iter().map(|p| p.code.as_str()).collect();
    let plans = national_plans(&codes, &communes);
    let mut total = SeedReport {
        units,
        ..SeedReport::default()
    };
    for (i, (province, plan)) in provinces.iter().zip(plans).enumerate() {
        if only.is_some_and(|codes| !codes.contains(&province.code.as_str())) {
            continue;
        }
        let txn = db.conn.begin().await?;
        let mut report = generate_province(&txn, province, plan).await?;
        if !report.already_present {
            let changes = history::generate(&txn, &province.path, plan).await?;
            report.teams_renewed = changes.teams_renewed;
            report.members_replaced = changes.members_replaced;
        }
        counters::recount(&txn, counters::Units::Under(&province.path)).await?;
        txn.commit().await?;
        progress(i + 1, provinces.len(), &province.name, &report);
        total.add(&report);
    }
    let txn = db.conn.begin().await?;
    total.users = accounts::create(&txn, demo_password).await?;
    txn.commit().await?;
    if only.is_none() {
        refresh_statistics(db).await?;
        total.reorganisation = Some(reorganise_2025(db, None, steps).await?);
    }
    refresh_statistics(db).await?;
    Ok(total)
}

/// Splits the national figures: Đắk Lắk keeps its own, the rest goes by communes (largest
/// remainders, so the sums are exact).
fn national_plans(provinces: &[&str], communes: &[usize]) -> Vec<Plan> {
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
        .map(|(p, c)| if *p == DAKLAK_CODE { 0 } else { *c })
        .collect();
    let teams = share(NATIONAL_TEAMS - DEMO_TEAMS, &weights);
    let members = share(NATIONAL_MEMBERS - DEMO_MEMBERS, &teams);
    provinces
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if *p == DAKLAK_CODE {
                Plan {
                    teams: DEMO_TEAMS,
                    members: DEMO_MEMBERS,
                    seed: DEMO_SEED,
                }
            } else {
                Plan {
                    teams: teams[i],
                    members: members[i],
                    seed: seed_of(p),
                }
            }
        })
        .collect()
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
    unit_rows(txn, Expr::col(U::Code).eq(code))
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
    if current_under(txn, AdminLevel::Village, &province.path).await? > 0 {
        report.already_present = true;
        return Ok(report);
    }
    let districts = unit_rows(txn, Expr::col(U::ParentId).eq(province.id)).await?;
    let mut communes = Vec::new();
    for d in &districts {
        communes.extend(unit_rows(txn, Expr::col(U::ParentId).eq(d.id)).await?);
    }
    communes.sort_by(|a, b| a.code.cmp(&b.code));

    let mut rng = Rng::new(plan.seed);
    let villages = villages::generate(txn, &mut rng, &communes).await?;
    report.villages = villages.len();
    let teams = teams::generate(
        txn, &mut rng, &province, plan, &districts, &communes, &villages,
    )
    .await?;
    report.teams = teams.ids.len();
    report.members = teams.members.len();

    report.committees =
        committees::generate(txn, &mut rng, &province, &districts, &communes).await?;

    // The 2024 round draws from a stream of its own, so the reports drawn after it stay as
    // they were before that round was added.
    let mut round_2024 = Rng::new(plan.seed ^ 0x2024);
    let (sessions, attendance) = training::generate(
        txn,
        [&mut rng, &mut round_2024],
        &province,
        &districts,
        &teams.members,
    )
    .await?;
    report.sessions = sessions;
    report.attendance = attendance;
    report.reports = reports::generate(txn, &mut rng, &teams.ids).await?;
    Ok(report)
}

/// How many current units of `level` lie under `path`.
async fn current_under(
    txn: &impl ConnectionTrait,
    level: AdminLevel,
    path: &str,
) -> anyhow::Result<i64> {
    let select = Query::select()
        .from(Units)
        .and_where(Expr::col(U::Level).eq(level.as_str()))
        .and_where(Expr::col(U::ValidTo).is_null())
        .cond_where(subtree_range(U::Path, path))
        .to_owned();
    Ok(query::count(txn, &select).await?)
}

/// Current units meeting `condition`, by code.
async fn unit_rows(txn: &impl ConnectionTrait, condition: Expr) -> anyhow::Result<Vec<Commune>> {
    let select = Query::select()
        .columns([U::Id, U::Code, U::Name, U::DivisionType, U::Path])
        .from(Units)
        .and_where(condition)
        .and_where(Expr::col(U::ValidTo).is_null())
        .order_by(U::Code, Order::Asc)
        .to_owned();
    Ok(query::all(txn, &select).await?)
}

/// "Xã Hòa Phú" → "xã Hòa Phú", as the name reads inside a sentence.
fn in_sentence(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
