//! Training: the province's conferences and the districts' classes, and who attended.

use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::ConnectionTrait;

use super::rng::Rng;
use super::{Commune, in_sentence};
use crate::db::bulk::{insert_rows, next_id, sync_identity};
use crate::db::entities::attendance::{self, Entity as Attendances};
use crate::db::entities::training_session::{self, Entity as Sessions};
use crate::domain::training::TrainingFormat;

/// The province's online conference for all team members (with the national agency) in
/// December 2022, then one in-person class per district in 2023; in 2024 an online refresher
/// for all teams and a practical class per district.
pub(super) async fn generate(
    txn: &impl ConnectionTrait,
    [rng, rng_2024]: [&mut Rng; 2],
    province: &Commune,
    districts: &[Commune],
    members: &[(i64, usize)],
) -> anyhow::Result<(usize, usize)> {
    let first_session = next_id::<Sessions>(txn).await?;
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
    // One class per district, the `n`th (from 0) on `day(n)`, with ids from `first`.
    let classes = |first: i64, title, topic, day: &dyn Fn(u32) -> DateTime<Utc>| {
        let class = |(n, district)| {
            let (id, starts) = (first + n as i64, day(n as u32));
            SessionRow::district_class(id, district, title, topic, starts).values()
        };
        districts.iter().enumerate().map(class).collect::<Vec<_>>()
    };
    session_rows.extend(classes(
        classes_2023,
        "Lớp bồi dưỡng kỹ năng số cho Tổ công nghệ số cộng đồng",
        "Hướng dẫn người dân cài đặt, kích hoạt VNeID mức độ 2 và nộp hồ sơ trực tuyến",
        &|n| at(2023, 3 + n % 4, 1 + (n * 3) % 28, 1),
    ));
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
    session_rows.extend(classes(
        classes_2024,
        "Lớp thực hành kỹ năng số năm 2024 cho Tổ công nghệ số cộng đồng",
        "Thực hành hỗ trợ người dân thanh toán không dùng tiền mặt và mua bán trực tuyến",
        &|n| at(2024, 9 + n % 3, 2 + (n * 5) % 26, 1),
    ));

    let mut attendance_rows = Vec::new();
    let mut attendance_id = next_id::<Attendances>(txn).await?;
    // `attends` percent of members are registered and attend; `completes` percent of those
    // complete the course.
    let mut attend = |rng: &mut Rng, session: i64, member: i64, attends: u64, completes: u64| {
        if rng.chance(attends) {
            attendance_rows.push(attendance::ActiveModel {
                id: Set(attendance_id),
                session_id: Set(session),
                member_id: Set(member),
                attended: Set(true),
                completed: Set(rng.chance(completes)),
                ..Default::default()
            });
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
    insert_rows(txn, session_rows).await?;
    insert_rows(txn, attendance_rows).await?;
    sync_identity::<Sessions>(txn).await?;
    sync_identity::<Attendances>(txn).await?;
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

    fn values(self) -> training_session::ActiveModel {
        training_session::ActiveModel {
            id: Set(self.id),
            organizer_unit_id: Set(self.organizer),
            title: Set(self.title),
            topic: Set(Some(self.topic.to_owned())),
            format: Set(self.format.as_str().to_owned()),
            starts_at: Set(self.starts),
            ends_at: Set(Some(self.starts + Duration::hours(self.hours))),
            location: Set(Some(self.location)),
            ..Default::default()
        }
    }
}
