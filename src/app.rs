//! The application: shared state and the one constructor that `main` and the tests both use.

use std::sync::Arc;

use axum::Router;

use crate::auth::{Auth, PasswordHasher, SignInGuard, TokenIssuer};
use crate::authz::PolicyStore;
use crate::cache::{Cache, Invalidator, RedisStore};
use crate::config::Settings;
use crate::db::Db;
use crate::graphql::context::Service;
use crate::graphql::schema::Audience;
use crate::graphql::{AppSchema, build_schema};
use crate::hooks::Hooks;

#[derive(Clone)]
pub struct AppState {
    /// The database, the cache, the hooks, the rules and the signing keys: what the resolvers
    /// are given too.
    pub service: Service,
    pub schemas: Schemas,
    pub settings: Settings,
    pub policy: Arc<PolicyStore>,
    /// What the HTTP layer keeps between requests.
    pub requests: Requests,
}

/// What the HTTP layer keeps between requests.
#[derive(Clone)]
pub struct Requests {
    /// Parsed operations by their text: frontends send the same few all day.
    pub documents: crate::http::Documents,
    /// Documents registered by hash, and the manifest of trusted ones.
    pub persisted: Arc<crate::http::PersistedOperations>,
    /// What `/metrics` reports.
    pub metrics: Arc<crate::http::RequestMetrics>,
    /// Whole answers of repeated reads; none when the cache is off or given no memory.
    pub answers: Option<Arc<crate::http::answers::Answers>>,
}

/// The schemas requests are run against.
#[derive(Clone)]
pub struct Schemas {
    /// For callers who signed in.
    pub signed_in: AppSchema,
    /// The same schema for callers who did not sign in: it suggests no field names.
    pub anonymous: AppSchema,
    /// Validates only, to tell a caller over the cost budget what the operation costs.
    pub costing: AppSchema,
}

impl AppState {
    /// Loads the policy and the signing key; fails with a one-line reason if either is wrong.
    pub async fn build(db: Db, settings: Settings) -> anyhow::Result<AppState> {
        let policy = Arc::new(PolicyStore::open(&settings.policy_dir).await?);
        let cache = Arc::new(Cache::new(&settings.cache())?);
        // Failed sign-ins and registered documents are shared by every replica through Redis
        // whenever it is configured, even with the aggregate cache switched off.
        let shared = || -> anyhow::Result<Option<RedisStore>> {
            let settings = settings.cache();
            settings
                .redis_url
                .as_deref()
                .map(|url| RedisStore::new(url, &settings, cache.stats.clone()))
                .transpose()
        };
        let shared_counts = shared()?;
        let auth = Arc::new(Auth {
            passwords: PasswordHasher::new()?,
            tokens: TokenIssuer::new(
                &settings.jwt_secret()?,
                chrono::Duration::minutes(settings.jwt_ttl_minutes),
            )?,
            sign_ins: SignInGuard::new(settings.sign_in_rules(), shared_counts),
        });
        let trusted = match &settings.trusted_documents {
            Some(path) => {
                let trusted = crate::http::read_manifest(path)?;
                tracing::info!(
                    documents = trusted.len(),
                    "trusted documents only, for every caller but administrators"
                );
                Some(trusted)
            }
            None => None,
        };
        let persisted = Arc::new(crate::http::PersistedOperations::new(shared()?, trusted));
        let answers = if settings.cache_enabled {
            crate::http::answers::Answers::new(
                settings.answer_cache_mb,
                std::time::Duration::from_secs(settings.cache_ttl_seconds),
            )
            .map(Arc::new)
        } else {
            None
        };
        let metrics = Arc::new(crate::http::RequestMetrics::new(
            db.clone(),
            cache.clone(),
            answers.clone(),
        ));
        let hooks = Arc::new(Hooks::default());
        hooks.register(Arc::new(Invalidator {
            cache: cache.clone(),
        }));
        // Changes owed to the shared cache (by a replica that died, or while Redis was away)
        // are delivered before Redis is trusted, then checked for in the background.
        crate::db::uncounted(crate::cache::outbox::settle(&db, &cache)).await;
        crate::cache::outbox::spawn(db.clone(), &cache);
        tracing::info!(backend = cache.backend(), "aggregate cache ready");
        let traced = settings.otel_endpoint.is_some();
        let service = Service::new(
            db.clone(),
            cache.clone(),
            hooks.clone(),
            settings.rules(),
            auth.clone(),
        );
        let schema_for = |audience| build_schema(service.clone(), audience, traced);
        let schemas = Schemas {
            signed_in: schema_for(Audience::SignedIn),
            anonymous: schema_for(Audience::Anonymous),
            costing: crate::graphql::schema::build_costing_schema(),
        };
        Ok(AppState {
            schemas,
            service,
            settings,
            policy,
            requests: Requests {
                documents: crate::http::Documents::new(),
                metrics,
                persisted,
                answers,
            },
        })
    }

    /// The database.
    pub fn db(&self) -> &Db {
        self.service.db()
    }

    /// The aggregate cache.
    pub fn cache(&self) -> &Arc<Cache> {
        self.service.cache()
    }

    /// The after-commit hooks.
    pub fn hooks(&self) -> &Hooks {
        self.service.hooks()
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
