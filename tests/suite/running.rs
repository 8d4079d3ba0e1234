//! Attacks on the real server process, over real sockets: it stays up, its peak memory stays
//! flat, and slow or idle clients are cut off.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::attacks::{MIB, nested_list, peak_rss, sparse_xlsx};
use crate::cli::{http_post_as, start_embedded_with};
use crate::common::Backend;

crate::tests!(attacks_on_a_running_server);

/// Sends raw bytes and reads until the server closes or `wait` passes; the text read and
/// whether the server closed the connection.
fn exchange(addr: SocketAddr, request: &[u8], wait: Duration) -> (String, bool) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(wait)).unwrap();
    stream.write_all(request).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return (String::from_utf8_lossy(&out).into_owned(), true);
            }
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
        }
    }
}

fn post(addr: SocketAddr, token: Option<&str>, body: &serde_json::Value) -> serde_json::Value {
    let (status, body) = http_post_as(addr, token, &body.to_string());
    serde_json::from_str(&body).unwrap_or_else(|_| panic!("{status}: {body}"))
}

fn multipart_upload(addr: SocketAddr, token: &str, file: &[u8]) -> String {
    let boundary = "sg-attack-boundary";
    let operations = serde_json::json!({
        "query": "mutation($f: Upload!) { importTeamMembers(unitCode: \"24172\", file: $f) { added } }",
        "variables": { "f": null }
    });
    let mut body = Vec::new();
    for (headers, content) in [
        ("Content-Disposition: form-data; name=\"operations\"".to_owned(), operations.to_string().into_bytes()),
        ("Content-Disposition: form-data; name=\"map\"".to_owned(), br#"{"0": ["variables.f"]}"#.to_vec()),
        (
            "Content-Disposition: form-data; name=\"0\"; filename=\"a.xlsx\"\r\nContent-Type: application/octet-stream".to_owned(),
            file.to_vec(),
        ),
    ] {
        body.extend_from_slice(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
        body.extend_from_slice(&content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    exchange(addr, &request, Duration::from_secs(30)).0
}

async fn attacks_on_a_running_server(_: Arc<Backend>) {
    let dir = std::env::temp_dir().join(format!("sg-attacks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let result = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            let (mut server, addr) = start_embedded_with(
                &dir,
                concat!(env!("CARGO_MANIFEST_DIR"), "/policies"),
                &[
                    ("HEADER_TIMEOUT_SECONDS", "1"),
                    ("BODY_TIMEOUT_SECONDS", "1"),
                    ("MAX_CONNECTIONS_PER_ADDRESS", "40"),
                ],
            );
            let pid = server.id();
            let outcome = std::panic::catch_unwind(|| attack(addr, pid));
            let alive = server.try_wait().unwrap().is_none();
            server.kill().ok();
            server.wait().ok();
            if let Err(panic) = outcome {
                std::panic::resume_unwind(panic);
            }
            assert!(alive, "the server process died");
        }
    })
    .await;
    std::fs::remove_dir_all(&dir).ok();
    result.unwrap();
}

fn attack(addr: SocketAddr, pid: u32) {
    let small = serde_json::json!({ "query": "{ __typename }" });
    let up = |what: &str| {
        let started = Instant::now();
        let answer = post(addr, None, &small);
        assert_eq!(
            answer["data"]["__typename"], "QueryRoot",
            "after {what}: {answer}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "after {what}: {:?}",
            started.elapsed()
        );
    };
    let login = serde_json::json!({
        "query": "mutation { login(username: \"officer.24172\", password: \"demo-password\") { token } }"
    });
    let token = post(addr, None, &login)["data"]["login"]["token"]
        .as_str()
        .expect("a token")
        .to_owned();
    up("start");
    let baseline = peak_rss(pid);

    // Deep values: the process would abort on a stack overflow.
    for depth in [1_500, 20_000] {
        let query = format!(
            "{{ teams(search: {}) {{ totalCount }} }}",
            nested_list(depth)
        );
        let answer = post(addr, None, &serde_json::json!({ "query": query }));
        assert_eq!(
            answer["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{answer}"
        );
    }
    up("deep values");

    // 32 wrong sign-ins at once: they queue on a few hashing threads.
    let attempts: Vec<_> = (0..32)
        .map(|i| {
            std::thread::spawn(move || {
                let body = serde_json::json!({ "query": format!(
                    "mutation {{ login(username: \"nobody.{i}\", password: \"wrong\") {{ token }} }}"
                ) });
                http_post_as(addr, None, &body.to_string()).0
            })
        })
        .collect();
    for attempt in attempts {
        let status = attempt.join().unwrap();
        assert!(status.contains("200") || status.contains("429"), "{status}");
    }
    up("32 sign-ins");
    let after_logins = peak_rss(pid);
    assert!(
        after_logins.saturating_sub(baseline) < 120 * MIB,
        "32 concurrent sign-ins raised the peak from {} to {} MiB",
        baseline / MIB,
        after_logins / MIB
    );

    // A sparse spreadsheet of a few hundred bytes spanning the whole grid.
    let file = sparse_xlsx(
        &[("A1", "Họ và tên"), ("XFD1048576", "x")],
        Some("A1:XFD1048576"),
    );
    let response = multipart_upload(addr, &token, &file);
    assert!(response.contains("BAD_USER_INPUT"), "{response}");
    up("a sparse spreadsheet");
    let after_upload = peak_rss(pid);
    assert!(
        after_upload.saturating_sub(after_logins) < 64 * MIB,
        "the sparse spreadsheet raised the peak from {} to {} MiB",
        after_logins / MIB,
        after_upload / MIB
    );

    // Headers sent halfway, then nothing: closed after the header timeout.
    let started = Instant::now();
    let (_, closed) = exchange(
        addr,
        format!("POST /graphql HTTP/1.1\r\nHost: {addr}\r\n").as_bytes(),
        Duration::from_secs(10),
    );
    assert!(closed, "a half-sent header was kept open");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // A body that stops halfway: refused after the body timeout.
    let started = Instant::now();
    let (answer, _) = exchange(
        addr,
        format!(
            "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: 100\r\n\r\n{{\"query\":"
        )
        .as_bytes(),
        Duration::from_secs(10),
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(!answer.contains(" 200 "), "{answer}");

    // A body sent a byte at a time, never pausing long: the deadline is for the whole body.
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: 100\r\n\r\n"
    )
    .unwrap();
    let mut refused = false;
    for _ in 0..30 {
        std::thread::sleep(Duration::from_millis(200));
        if stream.write_all(b" ").is_err() {
            refused = true;
            break;
        }
        stream.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 512];
        let read = stream.read(&mut buf);
        stream.set_nonblocking(false).unwrap();
        match read {
            Ok(0) => refused = true,
            Ok(n) => {
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                assert!(head.contains(" 408 "), "{head}");
                refused = true;
            }
            Err(_) => {}
        }
        if refused {
            break;
        }
    }
    assert!(refused, "a trickled body was still being read after 6 s");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // One address holds at most 40 connections: the 41st is closed unanswered.
    let held: Vec<TcpStream> = (0..40)
        .map(|_| {
            let mut stream = TcpStream::connect(addr).unwrap();
            stream.write_all(b"POST /graphql HTTP/1.1\r\n").unwrap();
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let (answer, closed) = exchange(
        addr,
        format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes(),
        Duration::from_secs(3),
    );
    assert!(
        closed && answer.is_empty(),
        "a 41st connection was served: {answer}"
    );
    drop(held);
    // The server learns of the 40 closed connections as it reads their ends: on a loaded
    // machine that takes a moment, during which this address is still at its cap.
    let freed = Instant::now();
    while freed.elapsed() < Duration::from_secs(5) {
        let (answer, _) = exchange(
            addr,
            format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
            Duration::from_secs(2),
        );
        if !answer.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    // A kept-alive connection left idle is closed.
    let started = Instant::now();
    let body = small.to_string();
    let (answer, closed) = exchange(
        addr,
        format!(
            "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
        Duration::from_secs(10),
    );
    assert!(answer.contains("QueryRoot"), "{answer}");
    assert!(closed, "an idle connection was kept open");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    up("slow clients");
    eprintln!(
        "peak resident memory of the server: {} MiB at start, {} MiB after the sign-ins, {} MiB \
         after the spreadsheet",
        baseline / MIB,
        after_logins / MIB,
        after_upload / MIB
    );
}
