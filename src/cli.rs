//! The command line: `serve` (the default), `migrate`, `seed --demo`, `import-units FILE.csv` and
//! `export-schema`.

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::app::{AppState, prepare_database};
use crate::config::Settings;
use crate::db::Db;

#[derive(Parser, Debug)]
#[command(name = "steering-gateway", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the GraphQL API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load generated data.
    Seed {
        /// The Đắk Lắk demo: real units, generated villages, teams, members and training.
        #[arg(long, required = true)]
        demo: bool,
    },
    /// Import administrative units from a CSV file (code,name,level,parent_code,division_type).
    ImportUnits {
        file: PathBuf,
        /// The date the imported units took effect.
        #[arg(long, default_value = "2020-01-01")]
        valid_from: NaiveDate,
    },
    /// Print the GraphQL schema (SDL).
    ExportSchema,
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::ExportSchema => {
            print!("{}", crate::graphql::export_sdl());
            Ok(())
        }
        Command::Serve => {
            init_logging(&settings);
            let db = prepare_database(&settings).await?;
            crate::http::serve(AppState::new(db, settings)).await
        }
        Command::Migrate => {
            init_logging(&settings);
            let db = open(&settings).await?;
            db.migrate().await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Seed { demo: _ } => {
            init_logging(&settings);
            let db = open(&settings).await?;
            db.migrate().await?;
            let report = crate::seed::seed_demo(&db).await?;
            println!("{report}");
            Ok(())
        }
        Command::ImportUnits { file, valid_from } => {
            init_logging(&settings);
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let db = open(&settings).await?;
            db.migrate().await?;
            let report = crate::domain::import_units::import_csv(&db.conn, &text, valid_from)
                .await
                .with_context(|| format!("importing {}", file.display()))?;
            println!("{report}");
            Ok(())
        }
    }
}

async fn open(settings: &Settings) -> anyhow::Result<Db> {
    settings.validate()?;
    Db::connect(settings.database_url()).await
}

fn init_logging(settings: &Settings) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if settings.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
}
