//! Cached totals: never stale after a change, shared by replicas, computed once under load,
//! and no failure of Redis ever fails a query.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use steering_gateway::cache::{Cache, CacheKey, StoreHook};
use steering_gateway::domain::UnitId;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};

use crate::common::{Backend, TestApp, contract, error_codes};

crate::tests!(
    a_change_through_one_replica_shows_through_another,
    a_slow_reader_cannot_store_a_value_from_before_a_change,
    concurrent_misses_compute_once,
    cached_totals_are_refused_out_of_scope,
    queries_survive_redis_going_away_and_changes_made_meanwhile_show_after,
    a_change_redis_missed_is_never_served_stale_by_another_replica,
    unreadable_cached_values_are_recomputed,
    results_and_progress_sum_approved_reports,
    repeated_totals_reads_run_no_sql_on_a_shared_cache,
);

const TOTALS_OF: &str = "query($u: String!) { totals(unitCode: $u) { members teams } }";

async fn members(app: &TestApp, code: &str) -> i64 {
    app.data(TOTALS_OF, json!({ "u": code })).await["totals"]["members"]
        .as_i64()
        .unwrap()
}

fn new_member(team: &Value) -> Value {
    json!({ "input": { "teamId": team, "fullName": "Y Jut Mlô", "role": "MEMBER",
        "affiliation": "YOUTH_UNION" } })
}

async fn hoa_phu_team(app: &TestApp) -> Value {
    app.data(contract::TEAMS, json!({ "unitCode": "24172.03" }))
        .await["teams"]["nodes"][0]["id"]
        .clone()
}

async fn a_change_through_one_replica_shows_through_another(b: Arc<Backend>) {
    let a = b.fresh_demo().await;
    let replica = b.replica(&a).await;
    let codes = ["24172", "643", "66"];
    let mut before = Vec::new();
    for code in codes {
        // Warm both replicas' caches.
        before.push(members(&replica, code).await);
        assert_eq!(members(&a, code).await, *before.last().unwrap());
    }
    let team = hoa_phu_team(&a).await;
    let answer = a
        .mutate("officer.24172", "AddTeamMember", new_member(&team))
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    for (code, was) in codes.iter().zip(before) {
        assert_eq!(
            members(&replica, code).await,
            was + 1,
            "{code} through the other replica"
        );
    }
}

async fn a_slow_reader_cannot_store_a_value_from_before_a_change(b: Arc<Backend>) {
    let app = Arc::new(b.fresh_demo().await);
    let team = hoa_phu_team(&app).await;
    app.token("officer.24172").await;
    app.token("admin").await;
    let computed = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let hook: StoreHook = {
        let (computed, release) = (computed.clone(), release.clone());
        Arc::new(move || {
            let (computed, release) = (computed.clone(), release.clone());
            Box::pin(async move {
                computed.notify_one();
                release.notified().await;
            })
        })
    };
    app.state.cache().set_before_store(Some(hook));
    let reader = tokio::spawn({
        let app = app.clone();
        async move { members(&app, "24172").await }
    });
    computed.notified().await; // The reader has its (old) figure and waits to store it.
    app.state.cache().set_before_store(None);
    let answer = app
        .mutate("officer.24172", "AddTeamMember", new_member(&team))
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    release.notify_one();
    let old = reader.await.unwrap();
    for _ in 0..3 {
        assert_eq!(
            members(&app, "24172").await,
            old + 1,
            "no answer predates the change"
        );
    }
}

struct Slow(UnitId);

impl CacheKey for Slow {
    type Value = u64;

    fn unit(&self) -> UnitId {
        self.0
    }

    fn name(&self) -> String {
        format!("stampede-test:{}", self.0.0)
    }
}

async fn concurrent_misses_compute_once(b: Arc<Backend>) {
    let app = b.fresh().await;
    let cache: Arc<Cache> = app.state.cache().clone();
    let computations = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let (cache, computations) = (cache.clone(), computations.clone());
        tasks.spawn(async move {
            cache
                .get_or_compute(&Slow(UnitId(7)), async {
                    computations.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Ok(42)
                })
                .await
                .map(|v| *v)
        });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap().unwrap(), 42);
    }
    assert_eq!(computations.load(Ordering::SeqCst), 1);
}

async fn cached_totals_are_refused_out_of_scope(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let leader = app
        .data_as("leader.66", TOTALS_OF, json!({ "u": "24172" }))
        .await;
    assert!(leader["totals"]["members"].as_i64().unwrap() > 0);
    let outsider = app
        .graphql_as("officer.24355", TOTALS_OF, json!({ "u": "24172" }))
        .await;
    assert_eq!(error_codes(&outsider), ["FORBIDDEN"]);
    assert!(outsider["data"].is_null() || outsider["data"]["totals"].is_null());
}

/// What the proxy in front of Redis does with connections.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Redis {
    Up,
    /// Every connection dropped, new ones refused at once: Redis is gone.
    Cut,
    /// Connections stay open and nothing comes back, as from a stopped Redis. On leaving this
    /// state whatever was sent meanwhile is lost (the connections are dropped): the worst case,
    /// a change Redis never heard of.
    Frozen,
}

/// A TCP proxy in front of Redis whose state a test sets.
async fn proxy(upstream: String) -> (String, watch::Sender<Redis>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (state, watcher) = watch::channel(Redis::Up);
    tokio::spawn(async move {
        loop {
            let Ok((mut inbound, _)) = listener.accept().await else {
                return;
            };
            let upstream = upstream.clone();
            let mut watcher = watcher.clone();
            tokio::spawn(async move {
                let now = *watcher.borrow();
                match now {
                    Redis::Cut => return,
                    Redis::Frozen => {
                        // Accepted, never answered; dropped when the freeze ends.
                        let _ = watcher.wait_for(|s| *s != Redis::Frozen).await.map(|_| ());
                        return;
                    }
                    Redis::Up => {}
                }
                let Ok(mut outbound) = TcpStream::connect(&upstream).await else {
                    return;
                };
                let left = tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => None,
                    changed = watcher.wait_for(|s| *s != Redis::Up) => changed.ok().map(|s| *s),
                };
                if left == Some(Redis::Frozen) {
                    // Hold both ends, forwarding nothing, until the freeze ends.
                    let _ = watcher.wait_for(|s| *s != Redis::Frozen).await.map(|_| ());
                }
            });
        }
    });
    (format!("redis://{addr}"), state)
}

async fn queries_survive_redis_going_away_and_changes_made_meanwhile_show_after(b: Arc<Backend>) {
    let redis = b
        .redis_url
        .clone()
        .expect("registered for Redis backends only");
    let upstream = redis
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned();
    let (proxied, redis) = proxy(upstream).await;
    let base = b.fresh_demo().await;
    let mut settings = base.state.settings.clone();
    settings.redis_url = Some(proxied);
    let db = steering_gateway::db::Db::connect(&base.url).await.unwrap();
    let app = TestApp::with_settings(db, settings).await;
    let team = hoa_phu_team(&app).await;

    let before = members(&app, "24172").await;
    assert_eq!(members(&app, "24172").await, before);
    assert!(served_from_cache(&app) >= 1, "served from the cache");

    redis.send(Redis::Cut).unwrap();
    for _ in 0..3 {
        assert_eq!(
            members(&app, "24172").await,
            before,
            "answered while Redis is away"
        );
    }
    let answer = app
        .mutate("officer.24172", "AddTeamMember", new_member(&team))
        .await;
    assert!(
        answer.get("errors").is_none(),
        "a change while Redis is away: {answer:#}"
    );
    assert_eq!(members(&app, "24172").await, before + 1);
    assert!(app.state.cache().stats.errors.load(Ordering::Relaxed) >= 1);

    redis.send(Redis::Up).unwrap();
    // The circuit retries after its pause; from then on the new figure, never the old one.
    eventually_cached(&app, before + 1).await;
}

/// Two replicas on one Redis; Redis stops answering; a change is made through replica A,
/// whose invalidation Redis never gets; A dies; Redis comes back. Replica B never serves the
/// figure from before the change (it was cached in Redis), and serves from the cache again
/// once the change owed to Redis was delivered.
async fn a_change_redis_missed_is_never_served_stale_by_another_replica(b: Arc<Backend>) {
    let redis = b
        .redis_url
        .clone()
        .expect("registered for Redis backends only");
    let upstream = redis
        .trim_start_matches("redis://")
        .trim_end_matches('/')
        .to_owned();
    let (proxied, redis) = proxy(upstream).await;
    let base = b.fresh_demo().await;
    let mut settings = base.state.settings.clone();
    settings.redis_url = Some(proxied);
    let a = TestApp::with_settings(
        steering_gateway::db::Db::connect(&base.url).await.unwrap(),
        settings.clone(),
    )
    .await;
    let replica = TestApp::with_settings(
        steering_gateway::db::Db::connect(&base.url).await.unwrap(),
        settings,
    )
    .await;
    let team = hoa_phu_team(&a).await;
    let before = members(&replica, "24172").await;
    eventually_cached(&replica, before).await;

    redis.send(Redis::Frozen).unwrap();
    let answer = a
        .mutate("officer.24172", "AddTeamMember", new_member(&team))
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    drop(a);
    redis.send(Redis::Up).unwrap();

    // From the first read after the answer on: the new figure, never the cached old one.
    assert_eq!(members(&replica, "24172").await, before + 1);
    eventually_cached(&replica, before + 1).await;
    assert_eq!(
        steering_gateway::domain::counters::owed_count(&replica.db().conn)
            .await
            .unwrap(),
        0,
        "the change was delivered by the surviving replica"
    );
}

/// Reads answered from what the cache holds: a cached aggregate, or a whole answer kept.
fn served_from_cache(app: &TestApp) -> u64 {
    let kept = app
        .state
        .requests
        .answers
        .as_ref()
        .map_or(0, |a| a.hits.load(Ordering::Relaxed));
    app.state.cache().stats.hits.load(Ordering::Relaxed) + kept
}

/// Asks for the commune's members until an answer comes from the cache, checking every
/// answer on the way.
async fn eventually_cached(app: &TestApp, expected: i64) {
    let hits = served_from_cache(app);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        assert_eq!(members(app, "24172").await, expected);
        if served_from_cache(app) > hits {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never served from the cache"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn unreadable_cached_values_are_recomputed(b: Arc<Backend>) {
    let redis = b
        .redis_url
        .clone()
        .expect("registered for Redis backends only");
    let app = b.fresh_demo().await;
    let expected = members(&app, "24172").await;
    let prefix = app.state.settings.cache_prefix.clone();
    let client = redis::Client::open(redis.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:v:totals:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(!keys.is_empty());
    for key in keys {
        let _: () = redis::cmd("SET")
            .arg(key)
            .arg("not json {")
            .query_async(&mut conn)
            .await
            .unwrap();
    }
    // A second replica has nothing decoded yet and reads the garbage.
    let replica = b.replica(&app).await;
    assert_eq!(members(&replica, "24172").await, expected);
    assert!(replica.state.cache().stats.errors.load(Ordering::Relaxed) >= 1);
}

async fn results_and_progress_sum_approved_reports(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let query = "query($u: String!, $p: String!) { totals(unitCode: $u) {
        results(period: $p) { period reports householdsReached vneidActivations ecommerceAccounts }
        progress(period: $p) { indicator target actual ratio } } }";
    let expected = |period: &str| {
        format!(
            "SELECT COUNT(*) FROM result_report r JOIN team t ON t.id = r.team_id \
             JOIN admin_unit u ON u.id = t.unit_id, admin_unit a WHERE a.code = '643' \
             AND u.path >= a.path AND u.path < a.path || '~' AND r.state = 'APPROVED' \
             AND r.period LIKE '{period}%'"
        )
    };
    let month = app.data(query, json!({ "u": "643", "p": "2023-01" })).await;
    let results = &month["totals"]["results"];
    assert_eq!(results["reports"], app.scalar(&expected("2023-01")).await);
    let households = app
        .scalar(
            &expected("2023-01").replace("COUNT(*)", "CAST(SUM(r.households_reached) AS BIGINT)"),
        )
        .await;
    assert_eq!(results["householdsReached"], households);
    let year = app.data(query, json!({ "u": "643", "p": "2023" })).await;
    assert_eq!(
        year["totals"]["results"]["reports"],
        app.scalar(&expected("2023")).await
    );
    let bad = app
        .graphql(query, json!({ "u": "643", "p": "March" }))
        .await;
    assert_eq!(
        error_codes(&bad),
        ["BAD_USER_INPUT", "BAD_USER_INPUT"],
        "results and progress"
    );

    // A target set by the province, and the change shows at once in the cached progress.
    let set = "mutation($i: SetTargetInput!) { setTarget(input: $i) { id } }";
    let answer = app
        .graphql(set, json!({ "i": { "unitCode": "643", "period": "2023", "indicator": "HOUSEHOLDS_REACHED", "value": 1000 } }))
        .await;
    assert!(answer.get("errors").is_none(), "{answer:#}");
    let year = app.data(query, json!({ "u": "643", "p": "2023" })).await;
    let progress = &year["totals"]["progress"][0];
    assert_eq!(progress["indicator"], "HOUSEHOLDS_REACHED");
    assert_eq!(progress["target"], 1000);
    assert_eq!(
        progress["actual"],
        year["totals"]["results"]["householdsReached"]
    );
}

/// Leadership's dashboards ask the same totals all day: once cached, an answer needs Redis only,
/// the caller's account and the unit included.
async fn repeated_totals_reads_run_no_sql_on_a_shared_cache(b: Arc<Backend>) {
    let app = b.fresh_demo().await;
    let first = members(&app, "66").await;
    let before = app.statements();
    for _ in 0..5 {
        assert_eq!(members(&app, "66").await, first);
    }
    assert_eq!(
        app.statements() - before,
        0,
        "SQL statements for cached reads"
    );
}
