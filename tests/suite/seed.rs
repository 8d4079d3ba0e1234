//! The demo data: deterministic and true to its published figures.

use std::sync::Arc;

use crate::common::Backend;

crate::tests!(
    the_demo_is_the_same_on_every_run,
    seeding_twice_adds_nothing,
    the_national_generator_keeps_its_invariants,
);

/// A fingerprint of the generated data: names and roles in id order.
async fn fingerprint(app: &crate::common::TestApp) -> Vec<String> {
    let rows = sea_orm::ConnectionTrait::query_all_raw(
        &app.db().conn,
        sea_orm::Statement::from_string(
            app.db().backend(),
            "SELECT u.code || '|' || t.name || '|' || m.full_name || '|' || m.role || '|' || \
             COALESCE(m.phone, '-') AS f FROM team_member m JOIN team t ON t.id = m.team_id \
             JOIN admin_unit u ON u.id = t.unit_id ORDER BY u.code, m.id",
        ),
    )
    .await
    .unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "f").unwrap())
        .collect()
}

async fn the_demo_is_the_same_on_every_run(b: Arc<Backend>) {
    let first = b.today().await;
    let second = b.fresh().await;
    steering_gateway::seed::seed_demo(second.db(), crate::common::DEMO_PASSWORD)
        .await
        .unwrap();
    let (a, c) = (fingerprint(first).await, fingerprint(&second).await);
    assert_eq!(
        a.len() as i64,
        first.scalar("SELECT COUNT(*) FROM team_member").await
    );
    assert!(a.len() > 10_000, "Đắk Lắk and Phú Yên");
    assert!(a == c, "two seeds differ");
    // Every active team has between 4 and 9 current members and lives in its own village.
    let out_of_range = first
        .scalar(
            "SELECT COUNT(*) FROM (SELECT t.id, COUNT(m.id) AS n FROM team t \
             LEFT JOIN team_member m ON m.team_id = t.id AND m.left_on IS NULL \
             WHERE t.status = 'ACTIVE' GROUP BY t.id) s WHERE n < 4 OR n > 9",
        )
        .await;
    assert_eq!(out_of_range, 0);
    let shared_villages = first
        .scalar("SELECT COUNT(*) - COUNT(DISTINCT unit_id) FROM team WHERE status = 'ACTIVE'")
        .await;
    assert_eq!(shared_villages, 0);
    // The changes of 2023–2025 are dated between the report and the reorganisation.
    let out_of_time = first
        .scalar(
            "SELECT COUNT(*) FROM team_member WHERE (joined_on > '2022-12-01' \
             AND joined_on < '2023-01-01') OR joined_on >= '2025-06-01' OR left_on >= '2025-06-01'",
        )
        .await;
    assert_eq!(out_of_time, 0);
}

async fn seeding_twice_adds_nothing(b: Arc<Backend>) {
    let app = b.fresh().await;
    steering_gateway::seed::seed_demo(app.db(), crate::common::DEMO_PASSWORD)
        .await
        .unwrap();
    let counts = [
        app.scalar("SELECT COUNT(*) FROM admin_unit").await,
        app.scalar("SELECT COUNT(*) FROM team").await,
        app.scalar("SELECT COUNT(*) FROM team_member").await,
    ];
    let report = steering_gateway::seed::seed_demo(app.db(), crate::common::DEMO_PASSWORD)
        .await
        .unwrap();
    assert!(report.already_present);
    let again = [
        app.scalar("SELECT COUNT(*) FROM admin_unit").await,
        app.scalar("SELECT COUNT(*) FROM team").await,
        app.scalar("SELECT COUNT(*) FROM team_member").await,
    ];
    assert_eq!(again, counts);
}

/// The national generator on a slice of the country: the same rules, so Đắk Lắk comes out as
/// the demo, and every province gets its exact share.
async fn the_national_generator_keeps_its_invariants(b: Arc<Backend>) {
    let demo = b.demo().await;
    let app = b.fresh().await;
    let mut seen = Vec::new();
    let report = steering_gateway::seed::seed_national(
        app.db(),
        crate::common::DEMO_PASSWORD,
        Some(&["66", "02"]),
        |_, all, name, _| seen.push((all, name.to_owned())),
        &mut |_| {},
    )
    .await
    .unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].0, 63, "all 63 provinces are planned");
    assert_eq!(report.units.added, 11_366);
    assert_eq!(
        fingerprint(demo).await,
        fingerprint_of(&app, "66").await,
        "Đắk Lắk as reported is the demo's"
    );
    let in_66 = app
        .data(
            crate::common::contract::TOTALS,
            serde_json::json!({ "unitCode": "66" }),
        )
        .await;
    assert_eq!(in_66["totals"]["teams"], 1163);
    assert_eq!(in_66["totals"]["members"], 7228);
    // Hà Giang's share of the other provinces' 73,259 teams and 341,134 members.
    let teams_02 = report.teams - 1163;
    assert!((800..1600).contains(&teams_02), "{teams_02}");
    let checks = [
        // Every team sits in a village.
        "SELECT COUNT(*) FROM team t JOIN admin_unit u ON u.id = t.unit_id WHERE u.level <> 'VILLAGE'",
        // One leader per active team.
        "SELECT COUNT(*) FROM team t WHERE t.status = 'ACTIVE' AND (SELECT COUNT(*) \
         FROM team_member m WHERE m.team_id = t.id AND m.role = 'LEADER' AND m.left_on IS NULL) <> 1",
        // Four to nine current members.
        "SELECT COUNT(*) FROM (SELECT team_id, COUNT(*) AS n FROM team_member \
         WHERE left_on IS NULL GROUP BY team_id) s WHERE n < 4 OR n > 9",
        // A village has at most one active team.
        "SELECT COUNT(*) - COUNT(DISTINCT unit_id) FROM team WHERE status = 'ACTIVE'",
    ];
    for sql in checks {
        assert_eq!(app.scalar(sql).await, 0, "{sql}");
    }
}

async fn fingerprint_of(app: &crate::common::TestApp, province: &str) -> Vec<String> {
    let rows = sea_orm::ConnectionTrait::query_all_raw(
        &app.db().conn,
        sea_orm::Statement::from_string(
            app.db().backend(),
            format!(
                "SELECT u.code || '|' || t.name || '|' || m.full_name || '|' || m.role || '|' || \
                 COALESCE(m.phone, '-') AS f FROM team_member m JOIN team t ON t.id = m.team_id \
                 JOIN admin_unit u ON u.id = t.unit_id, admin_unit p WHERE p.code = '{province}' \
                 AND u.path >= p.path AND u.path < p.path || '~' \
                 AND m.joined_on <= '2022-12-01' ORDER BY u.code, m.id"
            ),
        ),
    )
    .await
    .unwrap();
    rows.iter()
        .map(|r| r.try_get::<String>("", "f").unwrap())
        .collect()
}
