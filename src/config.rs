//! Settings, from the environment (or the matching command-line flags), validated once at start.

use std::net::SocketAddr;

use clap::Args;

/// Where a fresh clone keeps its data when nothing else is configured.
pub const EMBEDDED_DATABASE_URL: &str = "sqlite://steering-gateway.db?mode=rwc";

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

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 2 * 1024 * 1024, global = true)]
    pub max_body_bytes: usize,

    /// Log as JSON lines instead of text.
    #[arg(long, env = "LOG_JSON", global = true)]
    pub log_json: bool,
}

impl Settings {
    /// Settings for a given database, with every other value at its default.
    pub fn for_database(url: &str) -> Settings {
        Settings {
            database_url: Some(url.to_owned()),
            bind_addr: SocketAddr::from(([127, 0, 0, 1], 8000)),
            cors_origins: Vec::new(),
            max_body_bytes: 2 * 1024 * 1024,
            log_json: false,
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

    /// Checks what can be checked before connecting anywhere.
    pub fn validate(&self) -> anyhow::Result<()> {
        crate::db::backend_of(self.database_url())?;
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
