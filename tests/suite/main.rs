//! The integration suite: one binary that drives the application's router in process, once per
//! database. SQLite always runs; PostgreSQL runs when `TEST_POSTGRES_URL` names a server
//! (`.ci/run` sets it), each run in databases of its own that are dropped at the end.

mod common;

mod auth;
mod authz;
mod cache;
mod cli;
mod contract;
mod editing;
mod errors;
mod http;
mod import;
mod import_members;
mod mutations;
mod pagination;
mod plans;
mod schema;
mod search;
mod seed;
mod totals;

use std::process::ExitCode;
use std::sync::Arc;

use common::{Backend, Test};

fn all_tests() -> Vec<(&'static str, Test)> {
    let mut tests = Vec::new();
    tests.extend(auth::tests());
    tests.extend(cache::tests());
    tests.extend(authz::tests());
    tests.extend(cli::tests());
    tests.extend(contract::tests());
    tests.extend(editing::tests());
    tests.extend(errors::tests());
    tests.extend(http::tests());
    tests.extend(import::tests());
    tests.extend(import_members::tests());
    tests.extend(mutations::tests());
    tests.extend(pagination::tests());
    tests.extend(plans::tests());
    tests.extend(schema::tests());
    tests.extend(search::tests());
    tests.extend(seed::tests());
    tests.extend(totals::tests());
    tests
}

fn main() -> ExitCode {
    let args = libtest_mimic::Arguments::from_args();
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
