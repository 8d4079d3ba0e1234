//! The scoped queries are served by the path index on PostgreSQL: each subtree condition is an
//! index range scan, not a filter over every row.

use std::sync::{Arc, Mutex};

use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use steering_gateway::authz::{Access, Action, Policy, Resource, Scope};
use steering_gateway::db::Db;
use steering_gateway::domain::teams;
use steering_gateway::domain::{Listing, PageRequest, totals, units, users};

use crate::common::Backend;

crate::tests!(scoped_queries_use_the_path_index);

async fn scoped_queries_use_the_path_index(b: Arc<Backend>) {
    let url = b.demo().await.url.clone();
    let mut db = Db::connect(&url).await.unwrap();
    let seen: Arc<Mutex<Vec<Statement>>> = Arc::default();
    let log = seen.clone();
    db.conn.set_metric_callback(move |info| {
        log.lock().unwrap().push(info.statement.clone());
    });
    // Ranges that are a small part of the data, as a province is of the country: over the
    // whole demo (one province) a full scan is the right plan.
    let district = units::require_by_code(&db.conn, "643").await.unwrap();
    let list = Listing {
        scope: reach_of(&db, "officer.24172", Resource::Team).await,
        under: None,
        day: None,
        page: PageRequest::first_page(50),
    };
    teams::list(&db.conn, &list, None, teams::TeamStatus::Active)
        .await
        .unwrap();
    let scope = reach_of(&db, "officer.643", Resource::Totals).await;
    let subject = totals::Subject {
        unit: Some(district),
        day: None,
    };
    totals::compute(&db.conn, &scope, subject).await.unwrap();

    let scoped: Vec<Statement> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.sql.contains("path >=") || s.sql.contains("path\" >="))
        .cloned()
        .collect();
    // The teams page (its rows and count in one statement) and the totals' sums of the
    // district's counters (its communes' subtree rows and its own, two ranges).
    assert!(scoped.len() >= 2, "{} scoped statements", scoped.len());
    // The demo is small enough that a sequential scan is cheaper; take that choice away and
    // the planner must show the index can serve the range.
    for statement in scoped {
        let txn = db.conn.begin().await.unwrap();
        // Nor walk a whole table in id order to merge it with another.
        txn.execute_unprepared("SET LOCAL enable_seqscan = off")
            .await
            .unwrap();
        txn.execute_unprepared("SET LOCAL enable_mergejoin = off")
            .await
            .unwrap();
        let explain = Statement::from_sql_and_values(
            statement.db_backend,
            format!("EXPLAIN {}", statement.sql),
            statement.values.clone().map(|v| v.0).unwrap_or_default(),
        );
        let plan: Vec<String> = txn
            .query_all_raw(explain)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get_by_index::<String>(0).unwrap())
            .collect();
        txn.rollback().await.unwrap();
        let plan = plan.join("\n");
        // Every range of the statement on a path index: `(path)` or `(level, path)`.
        let ranges = statement.sql.matches("path >=").count();
        let served =
            plan.matches("admin_unit_path").count() + plan.matches("admin_unit_level_path").count();
        assert!(
            served >= ranges && !plan.contains("Seq Scan"),
            "not served by the path index:\n{}\n{plan}",
            statement.sql
        );
    }
}

/// What a demo account may read of `resource`, as the policy and its assignments say.
async fn reach_of(db: &Db, username: &str, resource: Resource) -> Scope {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let policy = Policy::load(&dir).await.unwrap();
    let account = users::find(&db.conn, username).await.unwrap().unwrap();
    let principal = users::principal(&db.conn, account.id).await.unwrap();
    Access::new(principal, Arc::new(policy))
        .scope(resource, Action::Read)
        .unwrap()
}
