//! The command line: `serve` (the default), `migrate`, `seed --demo`, `import-units FILE.csv` and
//! `export-schema`.

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use crate::app::{AppState, prepare_database};
use crate::config::Settings;
use crate::db::Db;
use sea_orm::TransactionTrait;

mod accounts;

pub use accounts::UserCommand;

/// Whoever runs the command line on the server: the one caller who changes data with no
/// assignment. Only this module can make one, so only the command line gets the operator's
/// grant ([`crate::authz::WriteGrant::operator`]).
pub struct CommandLine(());

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
        #[arg(
            long,
            required_unless_present = "national",
            conflicts_with = "national"
        )]
        demo: bool,
        /// The whole country by the same rules (the national benchmark data set).
        #[arg(long)]
        national: bool,
        /// With --demo: stop before the reorganisation of 1 July 2025, to try `reorganise`
        /// on it (the README shows how).
        #[arg(long, requires = "demo")]
        before_reform: bool,
    },
    /// Import administrative units from a CSV file (code,name,level,parent_code,division_type).
    ImportUnits {
        file: PathBuf,
        /// The date the imported units took effect.
        #[arg(long, default_value = "2020-01-01")]
        valid_from: NaiveDate,
    },
    /// Reorganise the tree from the official files on an effective date: units missing from
    /// the new tree close, new ones open, continuing ones are re-parented, and every village
    /// moves to its new commune (one transaction; nothing attached to a village changes).
    Reorganise {
        /// The date the new tree takes effect (YYYY-MM-DD).
        #[arg(long)]
        effective: NaiveDate,
        /// The new tree: code,name,level,parent_code,division_type.
        #[arg(long)]
        units: PathBuf,
        /// The official table from old communes to new ones:
        /// old_code,new_code,old_district_code,old_province_code,new_province_code,is_partly_merged.
        #[arg(long)]
        mapping: PathBuf,
        /// Where the villages of split communes (or communes missing from the table) go:
        /// code,new_code, the code a village's or an old commune's.
        #[arg(long)]
        villages: Option<PathBuf>,
        /// A village of a split commune without a line in --villages goes to the commune's
        /// first successor (the report lists each).
        #[arg(long)]
        accept_defaults: bool,
        /// Print the plan and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// The title it is listed under (default: "Reorganisation of DATE").
        #[arg(long)]
        title: Option<String>,
        /// Print every line of the report (by default each section shows its first 25).
        #[arg(long)]
        full: bool,
    },
    /// Import team members from a CSV or XLSX file into the teams under a unit (all or nothing;
    /// people already on their team are kept, not added again).
    ImportMembers {
        /// The official code of the unit whose villages' teams the members join.
        unit_code: String,
        /// The member list: CSV (comma, semicolon or tab separated) or XLSX.
        file: PathBuf,
        /// Only tell what would be added, kept and refused; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the GraphQL schema (SDL).
    ExportSchema,
    /// Print the trusted documents manifest (Apollo's format) of GraphQL documents, for
    /// `TRUSTED_DOCUMENTS`.
    TrustedDocuments {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Recount every unit's totals from the rows and compare them with the kept counters:
    /// exits non-zero listing each unit that drifted.
    CheckTotals {
        /// Set the drifted counters to the recount (one transaction) and exit zero.
        #[arg(long)]
        repair: bool,
    },
    /// Manage accounts. Passwords are read from standard input, never from arguments.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = cli.settings;
    match cli.command.unwrap_or(Command::Serve) {
        Command::ExportSchema => {
            print!("{}", crate::graphql::export_sdl());
            Ok(())
        }
        Command::TrustedDocuments { files } => {
            let mut documents = Vec::new();
            for file in files {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                documents.push((file.display().to_string(), text));
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::http::manifest(&documents)?)?
            );
            Ok(())
        }
        Command::Serve => {
            let telemetry = crate::telemetry::init(&settings)?;
            let db = prepare_database(&settings).await?;
            let served = crate::http::serve(AppState::build(db, settings).await?).await;
            telemetry.shutdown();
            served
        }
        Command::Migrate => {
            init_logging(&settings);
            let db = open(&settings).await?;
            db.migrate().await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Seed {
            national,
            before_reform,
            ..
        } => {
            init_logging(&settings);
            let db = open(&settings).await?;
            db.migrate().await?;
            let started = std::time::Instant::now();
            let report = if national {
                crate::seed::seed_national(
                    &db,
                    &settings.demo_password,
                    None,
                    |done, all, name, r| {
                        eprintln!(
                            "[{done:>2}/{all}] {name}: {} villages, {} teams, {} members ({:.0?})",
                            r.villages,
                            r.teams,
                            r.members,
                            started.elapsed()
                        );
                    },
                    &mut |step| eprintln!("[reorganisation] {step} ({:.0?})", started.elapsed()),
                )
                .await?
            } else {
                crate::seed::seed_demo_until(&db, &settings.demo_password, !before_reform).await?
            };
            forget_cached(&settings).await?;
            println!("{report}");
            Ok(())
        }
        Command::ImportMembers {
            unit_code,
            file,
            dry_run,
        } => {
            init_logging(&settings);
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let db = open(&settings).await?;
            db.migrate().await?;
            let mode = if dry_run {
                crate::domain::member_import::Mode::Preview
            } else {
                crate::domain::member_import::Mode::Write
            };
            import_members(&db, &settings.rules(), &unit_code, &file, &bytes, mode).await?;
            deliver_owed(&settings, &db).await
        }
        Command::CheckTotals { repair } => {
            init_logging(&settings);
            let db = open(&settings).await?;
            db.migrate().await?;
            check_totals(&settings, &db, repair).await
        }
        Command::User { command } => {
            init_logging(&settings);
            let db = open(&settings).await?;
            db.migrate().await?;
            let changes = !matches!(command, UserCommand::List | UserCommand::History { .. });
            accounts::run(&db, command).await?;
            if changes {
                announce_account_change(&settings).await?;
            }
            Ok(())
        }
        Command::Reorganise {
            effective,
            units,
            mapping,
            villages,
            accept_defaults,
            dry_run,
            title,
            full,
        } => {
            init_logging(&settings);
            let read = |path: &PathBuf| {
                std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))
            };
            let files = crate::domain::reorganise::Files {
                tree: read(&units)?,
                mapping: read(&mapping)?,
                villages: villages.as_ref().map(read).transpose()?,
            };
            let options = crate::domain::reorganise::Options {
                effective_on: effective,
                title,
                accept_defaults,
                dry_run,
            };
            let db = open(&settings).await?;
            db.migrate().await?;
            reorganise(&settings, &db, &files, &options, full).await
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
            forget_cached(&settings).await?;
            println!("{report}");
            Ok(())
        }
    }
}

/// `check-totals [--repair]`: the drift, listed; repaired in one transaction on request.
async fn check_totals(settings: &Settings, db: &Db, repair: bool) -> anyhow::Result<()> {
    use crate::domain::counters;
    let txn = db.conn.begin().await?;
    let drift = counters::check(&txn).await?;
    if drift.is_empty() {
        println!("every unit's counters agree with its rows");
        return Ok(());
    }
    for unit in &drift {
        println!("{unit}");
    }
    if !repair {
        anyhow::bail!(
            "{} units' counters differ from their rows; `check-totals --repair` recounts them",
            drift.len()
        );
    }
    counters::recount_everything(&txn).await?;
    let left = counters::check(&txn).await?;
    if !left.is_empty() {
        anyhow::bail!(
            "{} units still differ after the recount; nothing was changed",
            left.len()
        );
    }
    txn.commit().await?;
    forget_cached(settings).await?;
    println!("repaired the counters of {} units", drift.len());
    Ok(())
}

async fn reorganise(
    settings: &Settings,
    db: &Db,
    files: &crate::domain::reorganise::Files,
    options: &crate::domain::reorganise::Options,
    full: bool,
) -> anyhow::Result<()> {
    use crate::domain::reorganise::{self, Outcome};
    let started = std::time::Instant::now();
    let mut progress = |step: &str| eprintln!("[{:>6.1?}] {step}", started.elapsed());
    let outcome = reorganise::run(&db.conn, files, options, &mut progress).await?;
    let show = |report: &reorganise::Report| {
        if full {
            print!("{report:#}");
        } else {
            print!("{report}");
        }
    };
    match outcome {
        Outcome::NothingToChange(_) => {
            println!("nothing to change: the tree already is what the files say");
            Ok(())
        }
        Outcome::Planned(report) => {
            show(&report);
            match report.questions.len() {
                0 => println!("dry run: nothing was written"),
                n => println!(
                    "dry run: nothing was written; applying would be refused until the {n} open questions are answered"
                ),
            }
            Ok(())
        }
        Outcome::Refused(report) => {
            show(&report);
            anyhow::bail!(
                "refused, nothing was written: {} open questions (see above)",
                report.questions.len()
            )
        }
        Outcome::Applied { id, report } => {
            show(&report);
            println!("applied as reorganisation {id}");
            // The tree changed under every cached total and every remembered reach.
            forget_cached(settings).await?;
            announce_account_change(settings).await
        }
    }
}

async fn import_members(
    db: &Db,
    rules: &crate::domain::Rules,
    unit_code: &str,
    file: &std::path::Path,
    bytes: &[u8],
    mode: crate::domain::member_import::Mode,
) -> anyhow::Result<()> {
    use crate::domain::member_import::{self, Mode, Sheet};
    use crate::domain::write::Tx;
    let name = file.file_name().and_then(|n| n.to_str());
    let sheet = Sheet::read(name, bytes);
    let grant = crate::authz::WriteGrant::operator(&CommandLine(()));
    let mut tx = Tx::begin(db, grant.actor(), *rules)
        .await
        .map_err(cli_error)?;
    let imported = match sheet {
        Ok(sheet) => member_import::import(&mut tx, &grant, unit_code, &sheet, mode).await,
        Err(err) => Err(err),
    };
    let print_rows = |rows: &[crate::error::RowProblem]| {
        for row in rows {
            eprintln!(
                "line {}{}: {}",
                row.line,
                row.column
                    .as_deref()
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default(),
                row.message
            );
        }
    };
    match imported {
        Ok(report) => {
            for team in &report.teams {
                println!("{}\t+{}", team.village_code, team.added);
            }
            for kept in &report.kept {
                println!(
                    "line {}: {} is already on the team of {} (member {}): kept",
                    kept.line, kept.full_name, kept.village_code, kept.member_id.0
                );
            }
            if mode == Mode::Preview {
                // Nothing was written: the transaction is dropped.
                drop(tx);
                print_rows(&report.refused);
                println!(
                    "preview: {} members would be added to {} teams, {} kept, {} rows refused; \
                     nothing was written",
                    report.added,
                    report.teams.len(),
                    report.kept.len(),
                    report.refused.len()
                );
                return Ok(());
            }
            tx.commit().await.map_err(cli_error)?;
            println!(
                "{} members added to {} teams, {} kept",
                report.added,
                report.teams.len(),
                report.kept.len()
            );
            Ok(())
        }
        Err(crate::error::AppError::InvalidRows(rows)) => {
            print_rows(&rows);
            anyhow::bail!("{} bad rows: nothing was imported", rows.len())
        }
        Err(other) => Err(cli_error(other)),
    }
}

fn cli_error(err: crate::error::AppError) -> anyhow::Error {
    err.into_anyhow()
}

/// After a change made outside the server, drops every cached aggregate in the shared cache.
/// (An in-process cache belongs to the server process; its entries expire with their TTL.)
async fn forget_cached(settings: &Settings) -> anyhow::Result<()> {
    let unheard = format!(
        "cached totals may not show this change for up to {} seconds (CACHE_TTL_SECONDS)",
        settings.cache_ttl_seconds
    );
    tell_shared_cache(
        settings,
        async |cache| cache.invalidate_all().await,
        unheard,
    )
    .await
}

/// After a change through the write path, tells the shared cache of it (and of anything else
/// owed). Gateways with the in-process cache find it in the database themselves.
async fn deliver_owed(settings: &Settings, db: &Db) -> anyhow::Result<()> {
    use crate::cache::outbox;
    let cache_settings = settings.cache();
    if cache_settings.redis_url.is_none() || !cache_settings.enabled {
        return Ok(());
    }
    let cache = crate::cache::Cache::new(&cache_settings)?;
    if !outbox::settle(db, &cache).await {
        eprintln!(
            "warning: Redis did not answer: running gateways answer totals from the database \
             until one of them delivers this change"
        );
        // As a gateway does: no replica trusts Redis from before this change once this returns.
        tokio::time::sleep(outbox::LEASE + std::time::Duration::from_millis(50)).await;
    }
    Ok(())
}

/// After an account changed, tells running gateways that share the Redis store to forget what
/// they remember of accounts. (Gateways without Redis remember nothing between requests.)
async fn announce_account_change(settings: &Settings) -> anyhow::Result<()> {
    let unheard = format!(
        "running gateways may go on using what they remember of this account for up to {} \
         seconds",
        crate::cache::MEMO_TTL.as_secs()
    );
    tell_shared_cache(
        settings,
        async |cache| cache.accounts_changed().await,
        unheard,
    )
    .await
}

/// Tells the shared cache, where there is one, about a change made here; when Redis does not
/// answer, warns what that means (`unheard`) and goes on: the change itself is made.
async fn tell_shared_cache(
    settings: &Settings,
    tell: impl AsyncFnOnce(&crate::cache::Cache) -> bool,
    unheard: String,
) -> anyhow::Result<()> {
    let cache_settings = settings.cache();
    if cache_settings.redis_url.is_some()
        && !tell(&crate::cache::Cache::new(&cache_settings)?).await
    {
        eprintln!("warning: Redis did not answer: {unheard}");
    }
    Ok(())
}

async fn open(settings: &Settings) -> anyhow::Result<Db> {
    settings.validate()?;
    Db::connect(settings.database_url()).await
}

/// Logs for the commands other than `serve` (which may export traces too).
fn init_logging(settings: &Settings) {
    let settings = Settings {
        otel_endpoint: None,
        ..settings.clone()
    };
    let _ = crate::telemetry::init(&settings);
}
