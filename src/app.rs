//! The application: shared state and the one constructor that `main` and the tests both use.

use axum::Router;

use crate::config::Settings;
use crate::db::Db;
use crate::graphql::{AppSchema, build_schema};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub schema: AppSchema,
    pub settings: Settings,
}

impl AppState {
    pub fn new(db: Db, settings: Settings) -> AppState {
        AppState {
            schema: build_schema(db.clone()),
            db,
            settings,
        }
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
        let report = crate::seed::seed_demo(&db).await?;
        tracing::info!(%report, "demo data loaded");
    }
    Ok(db)
}
