//! The binary as an operator runs it.

use std::process::Command;
use std::sync::Arc;

use crate::common::Backend;

crate::tests!(
    a_port_in_use_is_a_one_line_error,
    a_bad_database_url_is_a_one_line_error,
    export_schema_prints_the_sdl,
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
        .env("POLICY_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/policies"))
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
