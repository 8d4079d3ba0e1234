//! The application: shared state and the one constructor that `main` and the tests both use.

use std::sync::Arc;

use axum::Router;

use crate::auth::{Auth, PasswordHasher, TokenIssuer};
use crate::authz::PolicyStore;
use crate::cache::{Cache, Invalidator};
use crate::config::Settings;
use crate::db::Db;
use crate::graphql::{AppSchema, build_schema};
use crate::hooks::Hooks;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub schema: AppSchema,
    pub settings: Settings,
    pub auth: Arc<Auth>,
    pub policy: Arc<PolicyStore>,
    pub hooks: Arc<Hooks>,
    pub cache: Arc<Cache>,
    /// Parsed operations by their text: frontends send the same few all day.
    pub documents: crate::http::Documents,
}

impl AppState {
    /// Loads the policy and the signing key; fails with a one-line reason if either is wrong.
    pub async fn build(db: Db, settings: Settings) -> anyhow::Result<AppState> {
        let policy = Arc::new(PolicyStore::open(&settings.policy_dir).await?);
        let auth = Arc::new(Auth {
            passwords: PasswordHasher::new()?,
            tokens: TokenIssuer::new(
                &settings.jwt_secret()?,
                chrono::Duration::minutes(settings.jwt_ttl_minutes),
            )?,
        });
        let hooks = Arc::new(Hooks::default());
        let cache = Arc::new(Cache::new(&settings.cache())?);
        hooks.register(Arc::new(Invalidator {
            db: db.clone(),
            cache: cache.clone(),
        }));
        tracing::info!(backend = cache.backend(), "aggregate cache ready");
        Ok(AppState {
            schema: build_schema(db.clone(), auth.clone(), hooks.clone(), cache.clone()),
            hooks,
            cache,
            db,
            settings,
            auth,
            policy,
            documents: crate::http::Documents::new(),
        })
    }

    pub fn router(&self) -> Router {
        crate::http::router(self.clone())
    }
}

/// Connects, migrates, and on a brand-new embedded database loads the demo.
pub async fn prepare_database(settings: &Settings) -> anyhow::Result<Db> {
    settings.validate()?;
    let db = Db::connect(settings.database_url()).await?;
    let pristine = db.is_pristine().await?;
    db.migrate().await?;
    if pristine && settings.is_embedded() {
        tracing::info!("new embedded database: loading the Đắk Lắk demo data");
        let report = crate::seed::seed_demo(&db, &settings.demo_password).await?;
        tracing::info!(%report, "demo data loaded");
    }
    Ok(db)
}
