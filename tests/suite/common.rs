//! The test application, the per-run databases and helpers to send GraphQL as a frontend does.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use steering_gateway::app::AppState;
use steering_gateway::config::Settings;
use steering_gateway::db::Db;
use tokio::sync::{Mutex, OnceCell};
use tower::ServiceExt;

pub type Test = fn(Arc<Backend>) -> Pin<Box<dyn Future<Output = ()> + Send>>;

/// Registers async test functions under their names.
#[macro_export]
macro_rules! tests {
    ($($name:ident),* $(,)?) => {
        pub fn tests() -> Vec<(&'static str, $crate::common::Test)> {
            vec![$((
                concat!(module_path!(), "::", stringify!($name)),
                (|b| Box::pin($name(b))) as $crate::common::Test,
            )),*]
            .into_iter()
            .map(|(name, test)| (name.trim_start_matches("suite::"), test))
            .collect()
        }
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// One database server and the databases this run made on it, with one kind of cache.
pub struct Backend {
    pub kind: Kind,
    /// The shared cache the applications use; none: each application's own.
    pub redis_url: Option<String>,
    run_id: String,
    /// PostgreSQL: a URL to the server's maintenance database, used to create and drop ours.
    admin_url: Option<String>,
    dir: PathBuf,
    counter: AtomicUsize,
    created: Mutex<Vec<String>>,
    demo: OnceCell<TestApp>,
    today: OnceCell<TestApp>,
}

impl Backend {
    /// SQLite always; PostgreSQL when `TEST_POSTGRES_URL` is set, and then it must answer.
    /// Each with the in-process cache, and again with Redis when `TEST_REDIS_URL` is set (and
    /// then it must answer).
    pub async fn all() -> anyhow::Result<Vec<Arc<Backend>>> {
        let run_id = format!(
            "sgtest_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0)
        );
        let dir = std::env::temp_dir().join(&run_id);
        std::fs::create_dir_all(&dir).context("creating a temporary directory")?;
        let redis = match std::env::var("TEST_REDIS_URL") {
            Ok(url) if !url.is_empty() => {
                let client = redis::Client::open(url.as_str())
                    .with_context(|| format!("TEST_REDIS_URL={url} is not a Redis URL"))?;
                let mut conn = tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    client.get_multiplexed_async_connection(),
                )
                .await
                .map_err(|_| anyhow::anyhow!("TEST_REDIS_URL={url} does not answer"))?
                .with_context(|| format!("TEST_REDIS_URL={url} does not answer"))?;
                let _: String = redis::cmd("PING").query_async(&mut conn).await?;
                Some(url)
            }
            _ => {
                eprintln!(
                    "\n*** Redis tests SKIPPED: TEST_REDIS_URL is not set. Set it (e.g. \
                     redis://127.0.0.1:6379) or run .ci/run to test the shared cache too. ***\n"
                );
                None
            }
        };
        let mut kinds = vec![(Kind::Sqlite, None)];
        match std::env::var("TEST_POSTGRES_URL") {
            Ok(url) if !url.is_empty() => {
                let conn = Database::connect(&url)
                    .await
                    .with_context(|| format!("TEST_POSTGRES_URL={url} does not answer"))?;
                conn.execute_unprepared("SELECT 1").await?;
                conn.close().await?;
                kinds.push((Kind::Postgres, Some(url)));
            }
            _ => {
                eprintln!(
                    "\n*** PostgreSQL tests SKIPPED: TEST_POSTGRES_URL is not set. \
                     Set it (e.g. postgres://postgres@127.0.0.1:5432/postgres) or run .ci/run \
                     to test on PostgreSQL as well as SQLite. ***\n"
                );
            }
        }
        let mut out = Vec::new();
        for (kind, admin_url) in kinds {
            for cache in std::iter::once(None).chain(redis.clone().map(Some)) {
                let mut backend = Backend::new(kind, &run_id, admin_url.clone(), dir.clone());
                if cache.is_some() {
                    backend.run_id = format!("{run_id}r");
                }
                backend.redis_url = cache;
                out.push(Arc::new(backend));
            }
        }
        Ok(out)
    }

    fn new(kind: Kind, run_id: &str, admin_url: Option<String>, dir: PathBuf) -> Backend {
        Backend {
            kind,
            redis_url: None,
            run_id: run_id.to_owned(),
            admin_url,
            dir,
            counter: AtomicUsize::new(0),
            created: Mutex::new(Vec::new()),
            demo: OnceCell::new(),
            today: OnceCell::new(),
        }
    }

    pub fn name(&self) -> &'static str {
        match (self.kind, self.redis_url.is_some()) {
            (Kind::Sqlite, false) => "sqlite",
            (Kind::Sqlite, true) => "sqlite+redis",
            (Kind::Postgres, false) => "postgres",
            (Kind::Postgres, true) => "postgres+redis",
        }
    }

    /// Settings for an application on `url`: the repository's policy, a known signing key,
    /// and this backend's cache under a key prefix of the database's own, so that replicas of
    /// one database share it and nothing else does.
    pub fn settings(&self, url: &str) -> Settings {
        let mut settings = test_settings(url);
        settings.redis_url = self.redis_url.clone();
        settings.cache_prefix = format!("{}:{}", self.run_id, database_name(url));
        // The suite loads two cores fully; a production-tight timeout would open the circuit
        // now and then, which is correct but makes "served from the cache" checks wait.
        settings.redis_timeout_ms = 500;
        settings
    }

    /// The URL of a new, empty database of this run.
    pub async fn new_database_url(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        match self.kind {
            Kind::Sqlite => format!(
                "sqlite://{}/{}_{n}.sqlite?mode=rwc",
                self.dir.display(),
                self.run_id
            ),
            Kind::Postgres => {
                let admin = self.admin_url.as_deref().expect("a PostgreSQL URL");
                let name = format!("{}_{n}", self.run_id);
                let conn = Database::connect(admin).await.expect("PostgreSQL answers");
                conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("creating a test database");
                conn.close().await.ok();
                self.created.lock().await.push(name.clone());
                replace_database(admin, &name)
            }
        }
    }

    /// A migrated, empty database.
    pub async fn fresh(&self) -> TestApp {
        let url = self.new_database_url().await;
        let db = Db::connect(&url)
            .await
            .expect("connecting to the test database");
        db.migrate().await.expect("migrating");
        TestApp::with_settings(db, self.settings(&url)).await
    }

    /// Another gateway process on the same database and cache, as a second replica.
    pub async fn replica(&self, of: &TestApp) -> TestApp {
        let db = Db::connect(&of.url)
            .await
            .expect("connecting to the test database");
        TestApp::with_settings(db, of.state.settings.clone()).await
    }

    /// The demo as the province reported it (Đắk Lắk in the tree of 2023), made once per run
    /// and shared by tests that only read.
    pub async fn demo(&self) -> &TestApp {
        self.demo
            .get_or_init(|| async {
                let app = self.fresh().await;
                steering_gateway::seed::seed_demo_as_reported(app.state.db(), DEMO_PASSWORD)
                    .await
                    .expect("seeding the demo");
                app
            })
            .await
    }

    /// A demo database as the province reported it, of its own, for tests that change data.
    pub async fn fresh_demo(&self) -> TestApp {
        let app = self.fresh().await;
        steering_gateway::seed::seed_demo_as_reported(app.state.db(), DEMO_PASSWORD)
            .await
            .expect("seeding the demo");
        app
    }

    /// Today's demo (`seed --demo`: Đắk Lắk and Phú Yên, 2023–2025, the reorganisation of
    /// 1 July 2025), made once per run and shared by tests that only read.
    pub async fn today(&self) -> &TestApp {
        self.today
            .get_or_init(|| async { self.fresh_today().await })
            .await
    }

    /// Today's demo, of its own, for tests that change data.
    pub async fn fresh_today(&self) -> TestApp {
        let app = self.fresh().await;
        steering_gateway::seed::seed_demo(app.state.db(), DEMO_PASSWORD)
            .await
            .expect("seeding today's demo");
        app
    }

    /// The demo database behind a connection pool of its own.
    pub async fn demo_alone(&self) -> TestApp {
        let url = self.demo().await.url.clone();
        let db = Db::connect(&url)
            .await
            .expect("connecting to the demo database");
        TestApp::with_settings(db, self.settings(&url)).await
    }

    pub async fn clean_up(&self) -> anyhow::Result<()> {
        if let Some(admin) = &self.admin_url {
            let names = self.created.lock().await.clone();
            if !names.is_empty() {
                let conn = Database::connect(admin).await?;
                for name in names {
                    conn.execute_unprepared(&format!(
                        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                    ))
                    .await?;
                }
                conn.close().await?;
            }
        }
        if let Some(url) = &self.redis_url {
            let client = redis::Client::open(url.as_str())?;
            let mut conn = client.get_multiplexed_async_connection().await?;
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{}:*", self.run_id))
                .query_async(&mut conn)
                .await?;
            if !keys.is_empty() {
                let _: i64 = redis::cmd("DEL").arg(keys).query_async(&mut conn).await?;
            }
        }
        if self.kind == Kind::Sqlite && self.dir.exists() {
            std::fs::remove_dir_all(&self.dir)?;
        }
        Ok(())
    }
}

/// The last segment of a database URL's path, without its query: distinct per test database.
fn database_name(url: &str) -> String {
    let base = url.split('?').next().unwrap_or(url);
    base.rsplit('/').next().unwrap_or(base).replace('.', "_")
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

pub const DEMO_PASSWORD: &str = "demo-password";
pub const TEST_SECRET: &str = "a test signing key that is long enough for HS256 tokens";

/// Settings for a test database: the repository's policy and a known signing key.
pub fn test_settings(url: &str) -> Settings {
    let mut settings = Settings::for_database(url);
    settings.jwt_secret = Some(TEST_SECRET.to_owned());
    settings.policy_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies");
    settings
}

/// The application as a frontend reaches it, in process.
pub struct TestApp {
    pub state: AppState,
    pub url: String,
    router: Router,
    tokens: Mutex<HashMap<String, String>>,
}

impl TestApp {
    pub async fn with_settings(db: Db, settings: Settings) -> TestApp {
        let state = AppState::build(db, settings)
            .await
            .expect("the application starts");
        let router = state.router();
        TestApp {
            url: state.settings.database_url().to_owned(),
            state,
            router,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    /// Runs a command-line command against this application's database and cache, in this
    /// process, as an operator would beside the running server.
    pub async fn cli(&self, args: &[&str]) -> anyhow::Result<()> {
        use clap::Parser;
        let mut cli = steering_gateway::cli::Cli::try_parse_from(
            std::iter::once("steering-gateway").chain(args.iter().copied()),
        )?;
        cli.settings = self.state.settings.clone();
        steering_gateway::cli::run(cli).await
    }

    /// A token for a demo user, signing in once per application.
    pub async fn token(&self, username: &str) -> String {
        if let Some(token) = self.tokens.lock().await.get(username) {
            return token.clone();
        }
        let answer = self
            .graphql_with(
                None,
                include_str!("../contract/login.graphql"),
                json!({ "username": username, "password": DEMO_PASSWORD }),
            )
            .await;
        let token = answer["data"]["login"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("{username} cannot sign in: {answer:#}"))
            .to_owned();
        self.tokens
            .lock()
            .await
            .insert(username.to_owned(), token.clone());
        token
    }

    pub fn db(&self) -> &Db {
        self.state.db()
    }

    /// Sends a request and returns the status and the body.
    pub async fn send(
        &self,
        request: Request<Body>,
    ) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes()
            .to_vec();
        (status, headers, body)
    }

    /// POSTs a GraphQL operation with an optional bearer token; returns status and JSON.
    pub async fn post(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        self.post_operation(token, query, None, variables).await
    }

    /// Like [`TestApp::post`], naming one operation of a document that holds several.
    pub async fn post_operation(
        &self,
        token: Option<&str>,
        query: &str,
        operation: Option<&str>,
        variables: Value,
    ) -> (StatusCode, Value) {
        let body = json!({ "query": query, "operationName": operation, "variables": variables });
        let mut request = Request::post("/graphql").header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let (status, _, body) = self
            .send(
                request
                    .body(Body::from(body.to_string()))
                    .expect("a request"),
            )
            .await;
        let json = serde_json::from_slice(&body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&body)));
        (status, json)
    }

    async fn graphql_with(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let (status, answer) = self.post(token, query, variables).await;
        assert_eq!(status, documented_status(&answer), "{answer:#}");
        answer
    }

    /// The answer (which may hold `errors`) to an operation sent by a demo user.
    pub async fn graphql_as(&self, username: &str, query: &str, variables: Value) -> Value {
        let token = self.token(username).await;
        self.graphql_with(Some(&token), query, variables).await
    }

    /// Sends one of the contract's mutations (by operation name) as a demo user (`""`: nobody).
    pub async fn mutate(&self, username: &str, operation: &str, variables: Value) -> Value {
        let token = if username.is_empty() {
            None
        } else {
            Some(self.token(username).await)
        };
        let (status, answer) = self
            .post_operation(
                token.as_deref(),
                contract::MUTATIONS,
                Some(operation),
                variables,
            )
            .await;
        assert_eq!(status, documented_status(&answer), "{answer:#}");
        answer
    }

    /// `data` of one operation of a contract document (by name), sent by a demo user.
    pub async fn operation_as(
        &self,
        username: &str,
        document: &str,
        operation: &str,
        variables: Value,
    ) -> Value {
        let token = self.token(username).await;
        let (status, answer) = self
            .post_operation(Some(&token), document, Some(operation), variables)
            .await;
        assert_eq!(status, documented_status(&answer), "{answer:#}");
        assert!(
            answer.get("errors").is_none(),
            "unexpected errors for {username}: {answer:#}"
        );
        answer["data"].clone()
    }

    /// The answer to an operation sent without signing in.
    pub async fn graphql_anonymous(&self, query: &str, variables: Value) -> Value {
        self.graphql_with(None, query, variables).await
    }

    /// The answer to an operation sent by the country-wide administrator.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_as("admin", query, variables).await
    }

    /// Like [`TestApp::graphql_as`], but fails the test on any error and returns `data`.
    pub async fn data_as(&self, username: &str, query: &str, variables: Value) -> Value {
        let answer = self.graphql_as(username, query, variables).await;
        assert!(
            answer.get("errors").is_none(),
            "unexpected errors for {username}: {answer:#}"
        );
        answer["data"].clone()
    }

    /// `data` of an operation sent by the country-wide administrator.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        self.data_as("admin", query, variables).await
    }

    /// SQL statements run so far on this application's pool.
    pub fn statements(&self) -> u64 {
        self.state.db().statement_count()
    }

    /// The first column of the first row SQL answers.
    async fn first_cell<T: sea_orm::TryGetable>(&self, sql: &str) -> T {
        let row = self
            .state
            .db()
            .conn
            .query_one_raw(sea_orm::Statement::from_string(
                self.state.db().backend(),
                sql,
            ))
            .await
            .expect("the query runs")
            .expect("a row");
        row.try_get_by_index::<T>(0)
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
    }

    /// A single text from SQL.
    pub async fn text(&self, sql: &str) -> String {
        self.first_cell(sql).await
    }

    /// A single number from SQL, for checking answers against the database directly.
    pub async fn scalar(&self, sql: &str) -> i64 {
        self.first_cell(sql).await
    }
}

const IMPORT: &str = "mutation Import($unitCode: String!, $file: Upload!, $dryRun: Boolean) {
  importTeamMembers(unitCode: $unitCode, file: $file, dryRun: $dryRun) {
    dryRun added teams { villageCode added team { id name } }
    kept { line villageCode memberId fullName } refused { line column message }
  }
}";

/// Sends the import as a GraphQL multipart request, as a browser form upload would.
pub async fn upload(app: &TestApp, user: &str, unit: &str, name: &str, bytes: &[u8]) -> Value {
    upload_as(app, user, unit, name, bytes, false).await
}

/// The import's preview (`dryRun: true`), sent as [`upload`] sends the import.
pub async fn upload_preview(
    app: &TestApp,
    user: &str,
    unit: &str,
    name: &str,
    bytes: &[u8],
) -> Value {
    upload_as(app, user, unit, name, bytes, true).await
}

async fn upload_as(
    app: &TestApp,
    user: &str,
    unit: &str,
    name: &str,
    bytes: &[u8],
    dry_run: bool,
) -> Value {
    let token = app.token(user).await;
    let boundary = "sg-test-boundary-7f3a";
    let operations = json!({ "query": IMPORT,
        "variables": { "unitCode": unit, "file": null, "dryRun": dry_run } });
    let mut body = Vec::new();
    let mut part = |headers: &str, content: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    };
    part(
        "Content-Disposition: form-data; name=\"operations\"",
        operations.to_string().as_bytes(),
    );
    part(
        "Content-Disposition: form-data; name=\"map\"",
        br#"{"0": ["variables.file"]}"#,
    );
    part(
        &format!(
            "Content-Disposition: form-data; name=\"0\"; filename=\"{name}\"\r\n\
             Content-Type: application/octet-stream"
        ),
        bytes,
    );
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let request = Request::post("/graphql")
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("authorization", format!("Bearer {token}"))
        .header("content-length", body.len())
        .body(Body::from(body))
        .unwrap();
    let (status, _, body) = app.send(request).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

/// The `extensions.field` of an answer's first error.
pub fn error_field(answer: &Value) -> String {
    answer["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// The HTTP status the README documents for a JSON answer: 401 when it is refused for want of
/// a sign-in, 429 for too many attempts, 200 otherwise.
pub fn documented_status(answer: &Value) -> StatusCode {
    let codes = error_codes(answer);
    if codes.iter().any(|c| c == "RATE_LIMITED") {
        StatusCode::TOO_MANY_REQUESTS
    } else if answer["data"].is_null() && codes.iter().any(|c| c == "UNAUTHENTICATED") {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::OK
    }
}

/// The error codes of an answer, in order.
pub fn error_codes(answer: &Value) -> Vec<String> {
    answer["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["extensions"]["code"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The contract's operations, as the frontends send them.
pub mod contract {
    pub const LOGIN: &str = include_str!("../contract/login.graphql");
    pub const MUTATIONS: &str = include_str!("../contract/mutations.graphql");
    pub const ME: &str = include_str!("../contract/me.graphql");
    pub const COMMITTEES: &str = include_str!("../contract/committees.graphql");
    pub const TEAM: &str = include_str!("../contract/team.graphql");
    pub const TEAMS: &str = include_str!("../contract/teams.graphql");
    pub const TOTALS: &str = include_str!("../contract/totals.graphql");
    pub const TRAINING: &str = include_str!("../contract/training.graphql");
    pub const UNIT: &str = include_str!("../contract/unit.graphql");
    pub const REORGANISATION: &str = include_str!("../contract/reorganisation.graphql");
}
