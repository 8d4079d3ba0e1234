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
    a_missing_or_short_secret_stops_the_server,
    the_embedded_default_serves_the_demo_and_keeps_its_key,
    sighup_reloads_the_policy_of_a_running_server,
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

async fn a_bad_database_url_is_a_one_line_error(_: Arc<Backend>) {
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

async fn export_schema_prints_the_sdl(_: Arc<Backend>) {
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

async fn a_missing_or_short_secret_stops_the_server(b: Arc<Backend>) {
    let url = b.fresh().await.url.clone();
    for (secret, expected) in [
        (None, "JWT_SECRET is required"),
        (Some("too short"), "at least 32 bytes"),
    ] {
        let mut command = binary();
        command
            .arg("serve")
            .env("DATABASE_URL", &url)
            .env("BIND_ADDR", "127.0.0.1:0")
            .env_remove("JWT_SECRET")
            .env(
                "POLICY_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/policies"),
            );
        if let Some(secret) = secret {
            command.env("JWT_SECRET", secret);
        }
        let output = command.output().unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{stderr}");
    }
}

/// One HTTP/1.1 request over a plain socket; returns the status line and the body.
fn http_post(addr: std::net::SocketAddr, body: &str) -> (String, String) {
    http_post_as(addr, None, body)
}

pub(crate) fn http_post_as(
    addr: std::net::SocketAddr,
    token: Option<&str>,
    body: &str,
) -> (String, String) {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let authorization = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         {authorization}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.lines().next().unwrap_or("").to_owned();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

/// Starts `serve` with no DATABASE_URL in an empty folder and waits until it answers.
pub(crate) fn start_embedded(dir: &std::path::Path) -> (std::process::Child, std::net::SocketAddr) {
    start_embedded_with(dir, concat!(env!("CARGO_MANIFEST_DIR"), "/policies"), &[])
}

/// Like [`start_embedded`], with a policy folder and settings of its own.
pub(crate) fn start_embedded_with(
    dir: &std::path::Path,
    policy_dir: &str,
    settings: &[(&str, &str)],
) -> (std::process::Child, std::net::SocketAddr) {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port_below_the_ephemeral_range()));
    let mut child = binary()
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("JWT_SECRET")
        .env("BIND_ADDR", addr.to_string())
        .env("POLICY_DIR", policy_dir)
        .env("RUST_LOG", "warn")
        .envs(settings.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..600 {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the embedded server stopped before listening: {status}");
        }
        if std::net::TcpStream::connect(addr).is_ok() {
            return (child, addr);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child.kill().ok();
    child.wait().ok();
    panic!("the embedded server did not start within a minute");
}

/// A free port below the kernel's ephemeral range (from 32768 on Linux). A server binds its
/// port only once its database is ready, seconds after the port was chosen; a port from the
/// ephemeral range could meanwhile be handed to a socket another test binds to port 0, and the
/// requests meant for this server would reach that one.
fn port_below_the_ephemeral_range() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = 20_000 + (std::process::id().wrapping_mul(97).wrapping_add(n) % 12_000) as u16;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

async fn the_embedded_default_serves_the_demo_and_keeps_its_key(_: Arc<Backend>) {
    let dir = std::env::temp_dir().join(format!("sg-embedded-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let result = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let (mut server, addr) = start_embedded(&dir);
            let login = r#"{"query":"mutation { login(username: \"leader.66\", password: \"demo-password\") { token } }"}"#;
            let (status, body) = http_post(addr, login);
            server.kill().ok();
            server.wait().ok();
            assert!(status.contains("200"), "{status} {body}");
            let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
            let token = answer["data"]["login"]["token"]
                .as_str()
                .unwrap_or_else(|| panic!("no token: {body}"))
                .to_owned();

            // The key was kept beside the database, readable by its owner only, and a restart
            // accepts the tokens issued before it.
            let key = dir.join("steering-gateway.db.jwt-secret");
            assert!(dir.join("steering-gateway.db").exists());
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&key).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600);
            }
            let (mut server, addr) = start_embedded(&dir);
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            // The demo as the province reported it, on the day of its report.
            let query = r#"{"query":"{ totals(unitCode: \"66\", asOf: \"2022-12-01\") { teams members } }"}"#;
            write!(
                stream,
                "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
                 Authorization: Bearer {token}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{query}",
                query.len()
            )
            .unwrap();
            let mut response = String::new();
            std::io::Read::read_to_string(&mut stream, &mut response).unwrap();
            server.kill().ok();
            server.wait().ok();
            assert!(
                response.contains(r#"{"data":{"totals":{"teams":1163,"members":7228}}}"#),
                "{response}"
            );
        }
    })
    .await;
    std::fs::remove_dir_all(&dir).ok();
    result.unwrap();
}

async fn sighup_reloads_the_policy_of_a_running_server(_: Arc<Backend>) {
    let dir = std::env::temp_dir().join(format!("sg-sighup-{}", std::process::id()));
    let policies = dir.join("policies");
    std::fs::create_dir_all(&policies).unwrap();
    let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    for file in ["model.conf", "policy.csv"] {
        std::fs::copy(source.join(file), policies.join(file)).unwrap();
    }
    let result = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let (mut server, addr) = start_embedded_with(&dir, policies.to_str().unwrap(), &[]);
            let login = r#"{"query":"mutation { login(username: \"leader.66\", password: \"demo-password\") { token } }"}"#;
            let (_, body) = http_post(addr, login);
            let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
            let token = answer["data"]["login"]["token"].as_str().unwrap().to_owned();
            let query = r#"{"query":"{ teams(unitCode: \"24172.03\") { nodes { members { phone } } } }"}"#;
            let phone = || {
                let (_, body) = http_post_as(addr, Some(&token), query);
                let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
                answer["data"]["teams"]["nodes"][0]["members"][0]["phone"].clone()
            };
            let before = phone();
            let mut policy = std::fs::read_to_string(policies.join("policy.csv")).unwrap();
            policy.push_str("\np, leader, *, member_pii, read\n");
            std::fs::write(policies.join("policy.csv"), policy).unwrap();
            let sent = Command::new("kill")
                .args(["-HUP", &server.id().to_string()])
                .status()
                .unwrap();
            let mut after = serde_json::Value::Null;
            for _ in 0..50 {
                after = phone();
                if after.is_string() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let alive = server.try_wait().unwrap().is_none();
            server.kill().ok();
            server.wait().ok();
            assert!(before.is_null(), "leaders see no phones by default");
            assert!(sent.success());
            assert!(alive, "the server survives SIGHUP");
            assert!(after.is_string(), "the reloaded policy grants the phone: {after}");
        }
    })
    .await;
    std::fs::remove_dir_all(&dir).ok();
    result.unwrap();
}
