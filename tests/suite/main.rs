//! The integration suite: one binary that drives the application's router in process, once per
//! database. SQLite always runs; PostgreSQL runs when `TEST_POSTGRES_URL` names a server
//! (`.ci/run` sets it), each run in databases of its own that are dropped at the end.

mod attacks;
mod common;

mod accounts;
mod answers;
mod auth;
mod authz;
mod cache;
mod cli;
mod clients;
mod contract;
mod counters;
mod editing;
mod errors;
mod export;
mod history;
mod hostile;
mod http;
mod import;
mod import_members;
mod kept_answers;
mod mixed_roles;
mod mutations;
mod pagination;
mod persisted;
mod plans;
mod reorganise;
mod reporting;
mod running;
mod schema;
mod search;
mod seed;
mod telemetry;
mod totals;

use std::process::ExitCode;
use std::sync::Arc;

use common::{Backend, Test};

fn all_tests() -> Vec<(&'static str, Test)> {
    let mut tests = Vec::new();
    tests.extend(accounts::tests());
    tests.extend(answers::tests());
    tests.extend(auth::tests());
    tests.extend(cache::tests());
    tests.extend(authz::tests());
    tests.extend(cli::tests());
    tests.extend(clients::tests());
    tests.extend(contract::tests());
    tests.extend(counters::tests());
    tests.extend(editing::tests());
    tests.extend(errors::tests());
    tests.extend(export::tests());
    tests.extend(history::tests());
    tests.extend(hostile::tests());
    tests.extend(http::tests());
    tests.extend(import::tests());
    tests.extend(import_members::tests());
    tests.extend(mixed_roles::tests());
    tests.extend(mutations::tests());
    tests.extend(persisted::tests());
    tests.extend(kept_answers::tests());
    tests.extend(pagination::tests());
    tests.extend(plans::tests());
    tests.extend(reorganise::tests());
    tests.extend(reporting::tests());
    tests.extend(running::tests());
    tests.extend(schema::tests());
    tests.extend(search::tests());
    tests.extend(telemetry::tests());
    tests.extend(seed::tests());
    tests.extend(totals::tests());
    tests
}

/// Tests that mean something on some backends only, and why; elsewhere they are not run, and
/// the run says so.
fn applies(name: &str, backend: &Backend) -> Result<(), &'static str> {
    let redis = backend.redis_url.is_some();
    let sqlite_only = backend.name() == "sqlite";
    let rule: Option<(bool, &'static str)> = match name {
        "cache::a_change_through_one_replica_shows_through_another" => Some((
            redis,
            "replicas share only Redis; the in-process cache is for one process",
        )),
        "persisted::registered_documents_reach_every_replica" => Some((
            redis,
            "replicas share registered documents through Redis; without it each keeps its own",
        )),
        "cache::queries_survive_redis_going_away_and_changes_made_meanwhile_show_after"
        | "cache::a_change_redis_missed_is_never_served_stale_by_another_replica"
        | "cache::unreadable_cached_values_are_recomputed" => Some((redis, "needs Redis")),
        "cache::repeated_totals_reads_run_no_sql_on_a_shared_cache" => Some((
            redis,
            "without a store shared by every process, accounts are read on every request",
        )),
        "plans::scoped_queries_use_the_path_index" => Some((
            backend.kind == common::Kind::Postgres,
            "the claim is about PostgreSQL's planner",
        )),
        "seed::the_national_generator_keeps_its_invariants" => Some((
            !redis,
            "seeding does not touch the cache: once per database",
        )),
        "cli::a_bad_database_url_is_a_one_line_error"
        | "cli::export_schema_prints_the_sdl"
        | "cli::the_embedded_default_serves_the_demo_and_keeps_its_key"
        | "cli::sighup_reloads_the_policy_of_a_running_server"
        | "running::attacks_on_a_running_server"
        | "telemetry::requests_are_traced_to_an_otlp_collector"
        | "schema::committed_schema_equals_the_exported_one"
        | "persisted::the_committed_manifest_is_the_contract" => Some((
            sqlite_only,
            "independent of the database and cache: run once, on plain SQLite",
        )),
        _ => None,
    };
    match rule {
        Some((false, why)) => Err(why),
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    let args = libtest_mimic::Arguments::from_args();
    // Quiet unless RUST_LOG asks: many trials provoke warnings on purpose (Redis cut, bad
    // input), and command-line runs inside the suite would otherwise start their own logging.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
        )
        .with_test_writer()
        .try_init();
    let runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime"),
    );
    let backends = match runtime.block_on(Backend::all()) {
        Ok(backends) => backends,
        Err(err) => {
            eprintln!("error: the test databases are not available: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    let mut trials = Vec::new();
    for backend in &backends {
        for (name, test) in all_tests() {
            if let Err(why) = applies(name, backend) {
                eprintln!("not run on {}: {name} ({why})", backend.name());
                continue;
            }
            let backend = backend.clone();
            let runtime = runtime.clone();
            trials.push(libtest_mimic::Trial::test(
                format!("{}::{name}", backend.name()),
                move || {
                    runtime.block_on(test(backend));
                    Ok(())
                },
            ));
        }
    }
    let conclusion = libtest_mimic::run(&args, trials);
    for backend in &backends {
        if let Err(err) = runtime.block_on(backend.clean_up()) {
            eprintln!("warning: could not remove the test databases: {err:#}");
        }
    }
    conclusion.exit_code()
}
