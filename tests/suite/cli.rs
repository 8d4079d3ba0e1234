//! The binary as an operator runs it.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use crate::common::Backend;

crate::tests!(
    a_port_in_use_is_a_one_line_error,
    a_bad_database_url_is_a_one_line_error,
    export_schema_prints_the_sdl,
    accounts_are_managed_from_the_command_line,
);

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_steering-gateway"))
}

async fn a_port_in_use_is_a_one_line_error(b: Arc<Backend>) {
    let url = b.fresh().await.url.clone();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let output = binary()
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("BIND_ADDR", addr.to_string())
        .env("JWT_SECRET", crate::common::TEST_SECRET)
        .env(
            "POLICY_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/policies"),
        )
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}

async fn a_bad_database_url_is_a_one_line_error(b: Arc<Backend>) {
    if b.name() != "sqlite" {
        return; // Independent of the database: checked once.
    }
    let output = binary()
        .arg("migrate")
        .env("DATABASE_URL", "mysql://localhost/steering")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("DATABASE_URL must start with"), "{stderr}");
}

async fn export_schema_prints_the_sdl(b: Arc<Backend>) {
    if b.name() != "sqlite" {
        return;
    }
    let output = binary().arg("export-schema").output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        steering_gateway::graphql::export_sdl()
    );
}

/// Runs a subcommand against a database, feeding `stdin`.
fn run(url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = binary()
        .args(args)
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

async fn can_sign_in(app: &crate::common::TestApp, username: &str, password: &str) -> bool {
    let (_, answer) = app
        .post(
            None,
            crate::common::contract::LOGIN,
            serde_json::json!({ "username": username, "password": password }),
        )
        .await;
    answer["data"]["login"]["token"].is_string()
}

async fn accounts_are_managed_from_the_command_line(b: Arc<Backend>) {
    let app = b.fresh().await;
    steering_gateway::domain::import_units::import_csv(
        &app.db().conn,
        steering_gateway::seed::DAKLAK_UNITS_CSV,
        steering_gateway::seed::default_valid_from(),
    )
    .await
    .unwrap();
    let url = app.url.clone();
    let ok = |out: &Output| {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        )
    };

    let out = run(&url, &["user", "add", "Officer.Test"], "first-password\n");
    ok(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "created officer.test\n"
    );
    let out = run(&url, &["user", "add", "short.one"], "short\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
    let out = run(&url, &["user", "add", "officer.test"], "first-password\n");
    assert!(String::from_utf8_lossy(&out.stderr).contains("already taken"));

    ok(&run(
        &url,
        &["user", "assign", "officer.test", "officer", "643"],
        "",
    ));
    let out = run(
        &url,
        &["user", "assign", "officer.test", "OFFICER", "99999"],
        "",
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no current unit has the code 99999"));
    let out = run(&url, &["user", "assign", "officer.test", "LEADER"], "");
    assert!(String::from_utf8_lossy(&out.stderr).contains("whole country"));
    let out = run(&url, &["user", "list"], "");
    ok(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "officer.test\tactive\tOFFICER at 643\n"
    );
    assert!(can_sign_in(&app, "officer.test", "first-password").await);

    ok(&run(
        &url,
        &["user", "set-password", "officer.test"],
        "second-password\n",
    ));
    assert!(!can_sign_in(&app, "officer.test", "first-password").await);
    assert!(can_sign_in(&app, "officer.test", "second-password").await);

    ok(&run(&url, &["user", "disable", "officer.test"], ""));
    assert!(!can_sign_in(&app, "officer.test", "second-password").await);
    ok(&run(&url, &["user", "enable", "officer.test"], ""));
    assert!(can_sign_in(&app, "officer.test", "second-password").await);
}
