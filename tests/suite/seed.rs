//! The demo data: deterministic and true to its published figures.

use std::sync::Arc;

use crate::common::Backend;

crate::tests!(
    the_demo_is_the_same_on_every_run,
    seeding_twice_adds_nothing
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
    let first = b.demo().await;
    let second = b.fresh().await;
    steering_gateway::seed::seed_demo(second.db(), crate::common::DEMO_PASSWORD)
        .await
        .unwrap();
    let (a, c) = (fingerprint(first).await, fingerprint(&second).await);
    assert_eq!(a.len(), 7228);
    assert!(a == c, "two seeds differ");
    // Every team has between 4 and 9 members and lives in its own village.
    let out_of_range = first
        .scalar(
            "SELECT COUNT(*) FROM (SELECT team_id, COUNT(*) AS n FROM team_member GROUP BY team_id) s \
             WHERE n < 4 OR n > 9",
        )
        .await;
    assert_eq!(out_of_range, 0);
    let shared_villages = first
        .scalar("SELECT COUNT(*) - COUNT(DISTINCT unit_id) FROM team")
        .await;
    assert_eq!(shared_villages, 0);
}

async fn seeding_twice_adds_nothing(b: Arc<Backend>) {
    let app = b.fresh().await;
    steering_gateway::seed::seed_demo(app.db(), crate::common::DEMO_PASSWORD)
        .await
        .unwrap();
    let report = steering_gateway::seed::seed_demo(app.db(), crate::common::DEMO_PASSWORD)
        .await
        .unwrap();
    assert!(report.already_present);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM team").await, 1163);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM team_member").await, 7228);
}
