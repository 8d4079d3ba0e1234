//! Settings, from the environment (or the matching command-line flags), validated once at start.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

/// Where a fresh clone keeps its data when nothing else is configured.
pub const EMBEDDED_DATABASE_URL: &str = "sqlite://steering-gateway.db?mode=rwc";
/// The embedded default's token signing key, beside its database.
pub const EMBEDDED_SECRET_FILE: &str = "steering-gateway.db.jwt-secret";

#[derive(Args, Clone, Debug)]
pub struct Settings {
    /// `sqlite://…` or `postgres://…`. Unset: an SQLite file in the working directory that is
    /// migrated and given the Đắk Lắk demo data on first start.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Address the server listens on.
    #[arg(
        long,
        env = "BIND_ADDR",
        default_value = "127.0.0.1:8000",
        global = true
    )]
    pub bind_addr: SocketAddr,

    /// Comma-separated origins allowed to call the API from a browser.
    #[arg(long, env = "CORS_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_origins: Vec<String>,

    /// The shared cache, `redis://host:6379`. Unset: an in-process cache, right for a single
    /// gateway process only.
    #[arg(long, env = "REDIS_URL", hide_env_values = true, global = true)]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key, to share one Redis between deployments.
    #[arg(long, env = "CACHE_PREFIX", default_value = "sg", global = true)]
    pub cache_prefix: String,

    /// How long a cached aggregate may live, in seconds (changes invalidate it sooner).
    #[arg(long, env = "CACHE_TTL_SECONDS", default_value_t = 600, global = true)]
    pub cache_ttl_seconds: u64,

    /// `false` turns the aggregate cache off: every read computes from the database.
    #[arg(long, env = "CACHE_ENABLED", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub cache_enabled: bool,

    /// Memory for whole answers of repeated reads (`totals`, `teams`), in MiB; 0 keeps none.
    /// Each answer is kept per caller and dropped when a unit it read changes.
    #[arg(long, env = "ANSWER_CACHE_MB", default_value_t = 64, global = true)]
    pub answer_cache_mb: u64,

    /// The longest a Redis call may take, in milliseconds, before the database answers.
    #[arg(long, env = "REDIS_TIMEOUT_MS", default_value_t = 50, global = true)]
    pub redis_timeout_ms: u64,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 2 * 1024 * 1024, global = true)]
    pub max_body_bytes: usize,

    /// Signing key for access tokens, at least 32 bytes. Required unless the embedded default is
    /// used, which generates one and keeps it beside the database.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,

    /// How long an access token stays valid, in minutes.
    #[arg(long, env = "JWT_TTL_MINUTES", default_value_t = 480, global = true)]
    pub jwt_ttl_minutes: i64,

    /// Folder holding the authorization model and policy (model.conf, policy.csv).
    #[arg(long, env = "POLICY_DIR", default_value = "policies", global = true)]
    pub policy_dir: PathBuf,

    /// Password of the demo users that `seed --demo` creates.
    #[arg(
        long,
        env = "DEMO_PASSWORD",
        default_value = "demo-password",
        hide_env_values = true,
        global = true
    )]
    pub demo_password: String,

    /// Connections served at once; further ones wait until one closes.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 1024, global = true)]
    pub max_connections: usize,

    /// Connections served at once from one client address; 0 for no cap (behind a proxy).
    #[arg(
        long,
        env = "MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = 256,
        global = true
    )]
    pub max_connections_per_address: usize,

    /// Seconds a client has to send a request's headers, on a new connection or a kept-alive
    /// one (which is closed when no next request comes in that time).
    #[arg(
        long,
        env = "HEADER_TIMEOUT_SECONDS",
        default_value_t = 10,
        global = true
    )]
    pub header_timeout_seconds: u64,

    /// Seconds a client has to send a request's whole body, once its headers are in.
    #[arg(
        long,
        env = "BODY_TIMEOUT_SECONDS",
        default_value_t = 30,
        global = true
    )]
    pub body_timeout_seconds: u64,

    /// Seconds a query may run before the client is told to try a smaller one. Mutations always
    /// run to the end, so that a change is never half announced.
    #[arg(
        long,
        env = "REQUEST_TIMEOUT_SECONDS",
        default_value_t = 30,
        global = true
    )]
    pub request_timeout_seconds: u64,

    /// A header naming the client's address, set by the proxy in front (e.g. `X-Forwarded-For`,
    /// whose last entry is used). Unset: the address of the connection.
    #[arg(long, env = "CLIENT_IP_HEADER", global = true)]
    pub client_ip_header: Option<String>,

    /// Serve `/metrics` on this address only, instead of beside the API.
    #[arg(long, env = "METRICS_ADDR", global = true)]
    pub metrics_addr: Option<SocketAddr>,

    /// When set, `/metrics` answers only requests bearing `Authorization: Bearer <token>`.
    #[arg(long, env = "METRICS_TOKEN", hide_env_values = true, global = true)]
    pub metrics_token: Option<String>,

    /// The most current members a team may hold.
    #[arg(long, env = "MAX_TEAM_MEMBERS", default_value_t = 20, global = true)]
    pub max_team_members: usize,

    /// The deployment's time zone: the day a change is made on, the days past figures are
    /// read for, and the offset instants are shown with. `Asia/Ho_Chi_Minh` (the same as
    /// `+07:00`), `UTC`, or an offset such as `+07:00`.
    #[arg(
        long,
        env = "TIME_ZONE",
        default_value = "Asia/Ho_Chi_Minh",
        global = true
    )]
    pub time_zone: String,

    /// Log as JSON lines instead of text.
    #[arg(long, env = "LOG_JSON", global = true)]
    pub log_json: bool,

    /// Who may read the schema through introspection (what GraphiQL, code generators and
    /// API tools ask first): `signed-in` callers, `everyone`, or no one (`off`).
    #[arg(long, env = "INTROSPECTION", value_enum, default_value_t = Introspection::SignedIn, global = true)]
    pub introspection: Introspection,

    /// A manifest of trusted documents (JSON: Apollo's persisted query manifest, or an object
    /// of SHA-256 to document). When set, callers other than administrators may run only the
    /// operations it lists.
    #[arg(long, env = "TRUSTED_DOCUMENTS", global = true)]
    pub trusted_documents: Option<PathBuf>,

    /// An OpenTelemetry collector's OTLP/HTTP address (`http://127.0.0.1:4318`): traces of
    /// requests, GraphQL execution and SQL are sent there. Unset: no traces.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT", global = true)]
    pub otel_endpoint: Option<String>,
}

/// Who may introspect the schema.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Introspection {
    SignedIn,
    Everyone,
    Off,
}

impl Settings {
    /// Settings for a given database, with every other value at its default.
    pub fn for_database(url: &str) -> Settings {
        Settings {
            database_url: Some(url.to_owned()),
            bind_addr: SocketAddr::from(([127, 0, 0, 1], 8000)),
            cors_origins: Vec::new(),
            max_body_bytes: 2 * 1024 * 1024,
            redis_url: None,
            cache_prefix: "sg".to_owned(),
            cache_ttl_seconds: 600,
            cache_enabled: true,
            answer_cache_mb: 64,
            redis_timeout_ms: 50,
            jwt_secret: None,
            jwt_ttl_minutes: 480,
            policy_dir: PathBuf::from("policies"),
            demo_password: "demo-password".to_owned(),
            max_team_members: 20,
            time_zone: "Asia/Ho_Chi_Minh".to_owned(),
            max_connections: 1024,
            header_timeout_seconds: 10,
            body_timeout_seconds: 30,
            max_connections_per_address: 256,
            request_timeout_seconds: 30,
            client_ip_header: None,
            metrics_addr: None,
            metrics_token: None,
            log_json: false,
            introspection: Introspection::SignedIn,
            trusted_documents: None,
            otel_endpoint: None,
        }
    }

    pub fn database_url(&self) -> &str {
        self.database_url
            .as_deref()
            .unwrap_or(EMBEDDED_DATABASE_URL)
    }

    /// The embedded default: no database configured.
    pub fn is_embedded(&self) -> bool {
        self.database_url.is_none()
    }

    /// The token signing key: `JWT_SECRET`, or for the embedded default a key generated on first
    /// start and kept beside the database file (readable by its owner only).
    pub fn jwt_secret(&self) -> anyhow::Result<Vec<u8>> {
        if let Some(secret) = &self.jwt_secret {
            return Ok(secret.as_bytes().to_vec());
        }
        if !self.is_embedded() {
            anyhow::bail!(
                "JWT_SECRET is required when DATABASE_URL is set (at least 32 random bytes, \
                 e.g. from `openssl rand -base64 48`)"
            );
        }
        let path = PathBuf::from(EMBEDDED_SECRET_FILE);
        if let Ok(existing) = std::fs::read_to_string(&path) {
            return Ok(existing.trim().as_bytes().to_vec());
        }
        let secret = crate::auth::random_secret();
        write_private(&path, &secret)?;
        Ok(secret.into_bytes())
    }

    pub fn sign_in_rules(&self) -> crate::auth::SignInRules {
        crate::auth::SignInRules::default()
    }

    pub fn connection_limits(&self) -> crate::http::ConnectionLimits {
        crate::http::ConnectionLimits {
            max_connections: self.max_connections,
            max_per_address: self.max_connections_per_address,
            header_read: std::time::Duration::from_secs(self.header_timeout_seconds),
        }
    }

    pub fn rules(&self) -> crate::domain::Rules {
        crate::domain::Rules {
            max_team_members: self.max_team_members,
        }
    }

    pub fn cache(&self) -> crate::cache::CacheSettings {
        crate::cache::CacheSettings {
            redis_url: self.redis_url.clone().filter(|u| !u.is_empty()),
            prefix: self.cache_prefix.clone(),
            ttl: std::time::Duration::from_secs(self.cache_ttl_seconds),
            timeout: std::time::Duration::from_millis(self.redis_timeout_ms),
            retry_after: std::time::Duration::from_secs(2),
            enabled: self.cache_enabled,
        }
    }

    /// `TIME_ZONE` as an offset from UTC. Zones with daylight saving time are refused: the
    /// programme's days are Vietnam's, which has none.
    pub fn zone(&self) -> anyhow::Result<chrono::FixedOffset> {
        let name = self.time_zone.trim();
        let seven = crate::scalars::VIETNAM;
        let utc = chrono::FixedOffset::east_opt(0).expect("a valid offset");
        match name {
            "Asia/Ho_Chi_Minh" | "Asia/Saigon" | "Asia/Bangkok" | "Asia/Jakarta"
            | "Asia/Vientiane" | "Asia/Phnom_Penh" | "Etc/GMT-7" => Ok(seven),
            "UTC" | "Etc/UTC" | "Z" => Ok(utc),
            offset => offset
                .parse::<chrono::FixedOffset>()
                .ok()
                .filter(|_| offset.starts_with(['+', '-']))
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "TIME_ZONE: {offset:?} is not Asia/Ho_Chi_Minh, UTC or an offset such as +07:00"
                    )
                }),
        }
    }

    /// Checks what can be checked before connecting anywhere, and sets the process's time
    /// zone.
    pub fn validate(&self) -> anyhow::Result<()> {
        crate::db::backend_of(self.database_url())?;
        crate::scalars::set_zone(self.zone()?);
        if self.answer_cache_mb > 16_384 {
            anyhow::bail!("ANSWER_CACHE_MB must be at most 16384 (16 GiB)");
        }
        if !(1..=86_400).contains(&self.cache_ttl_seconds) {
            anyhow::bail!("CACHE_TTL_SECONDS must be between 1 and 86400");
        }
        if !(1..=10_000).contains(&self.redis_timeout_ms) {
            anyhow::bail!("REDIS_TIMEOUT_MS must be between 1 and 10000");
        }
        for (name, value) in [
            ("HEADER_TIMEOUT_SECONDS", self.header_timeout_seconds),
            ("BODY_TIMEOUT_SECONDS", self.body_timeout_seconds),
            ("REQUEST_TIMEOUT_SECONDS", self.request_timeout_seconds),
        ] {
            if !(1..=3600).contains(&value) {
                anyhow::bail!("{name} must be between 1 and 3600");
            }
        }
        if !(1..=100_000).contains(&self.max_connections) {
            anyhow::bail!("MAX_CONNECTIONS must be between 1 and 100000");
        }
        if let Some(token) = &self.metrics_token
            && token.len() < 16
        {
            anyhow::bail!("METRICS_TOKEN must be at least 16 characters");
        }
        if let Some(header) = &self.client_ip_header
            && axum::http::HeaderName::from_bytes(header.as_bytes()).is_err()
        {
            anyhow::bail!("CLIENT_IP_HEADER: {header:?} is not a header name");
        }
        if !(1..=200).contains(&self.max_team_members) {
            anyhow::bail!("MAX_TEAM_MEMBERS must be between 1 and 200");
        }
        if self.jwt_ttl_minutes < 1 || self.jwt_ttl_minutes > 60 * 24 * 30 {
            anyhow::bail!("JWT_TTL_MINUTES must be between 1 and 43200 (30 days)");
        }
        for origin in &self.cors_origins {
            let origin = origin.trim();
            if !(origin.starts_with("http://") || origin.starts_with("https://"))
                || origin.ends_with('/')
            {
                anyhow::bail!(
                    "CORS_ORIGINS: {origin:?} is not an origin such as https://app.example.vn"
                );
            }
        }
        Ok(())
    }
}

fn write_private(path: &std::path::Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}
