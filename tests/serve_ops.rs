//! `masthead serve` as an operator runs it in production: the admin address with
//! health and metrics, the metrics token, JSON logs with request ids and no personal
//! data, and a graceful stop on SIGTERM.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use std::path::Path;
use std::process::Command;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

mod running;

use running::{BIN, Server};

fn serve(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Server {
    let mut cmd = running::serve_command(&["--addr", "127.0.0.1:0", "--no-demo"]);
    cmd.args(args).current_dir(dir).env_remove("MASTHEAD_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    running::start(&mut cmd, true)
}

/// The next line from `rx` containing `needle`, within 30 s.
fn wait_for(rx: &Receiver<String>, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(needle) => return line,
            Ok(_) => {}
            Err(_) => panic!("no line with {needle:?} within 30 s"),
        }
    }
}

fn get(url: &str, token: Option<&str>) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut req = reqwest::Client::new().get(url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    })
}

#[test]
fn metrics_are_on_the_admin_address_or_behind_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let token = "a-long-enough-metrics-token";
    let s = serve(
        &["--admin-addr", "127.0.0.1:0"],
        dir.path(),
        &[("MASTHEAD_METRICS_TOKEN", token)],
    );
    let line = wait_for(&s.stdout, "Health and metrics at");
    let admin = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .trim_end_matches("/metrics")
        .to_owned();
    assert_eq!(get(&format!("{}/", s.base), None).0, 200);
    let (status, body) = get(&format!("{admin}/metrics"), None);
    assert_eq!(status, 200);
    assert!(
        body.contains("masthead_http_requests_total{route=\"home\",status=\"200\"} 1"),
        "{body}"
    );
    assert_eq!(get(&format!("{admin}/healthz"), None).0, 200);
    let ready = get(&format!("{admin}/readyz"), None);
    assert!(
        [200, 503].contains(&ready.0),
        "503 only while still building"
    );
    assert!(ready.1.contains("migrations: applied"), "{}", ready.1);
    // The admin address serves nothing else.
    assert_eq!(get(&format!("{admin}/"), None).0, 404);
    // On the site: only with the token.
    assert_eq!(get(&format!("{}/metrics", s.base), None).0, 404);
    assert_eq!(get(&format!("{}/metrics", s.base), Some(token)).0, 200);
}

#[test]
fn a_short_metrics_token_or_a_clashing_admin_address_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--metrics-token", "short"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at least 16 characters"), "{err}");
    let out = Command::new(BIN)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:8089",
            "--admin-addr",
            "127.0.0.1:8089",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("must differ"), "{err}");
}

#[test]
fn json_logs_carry_request_ids_and_no_client_addresses_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(
        &["--access-log"],
        dir.path(),
        &[("MASTHEAD_LOG_FORMAT", "json")],
    );
    let (status, _) = get(&format!("{}/no/such/page/", s.base), None);
    assert_eq!(status, 404);
    let line = wait_for(s.stderr.as_ref().unwrap(), "masthead::access");
    let entry: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("not one JSON object per line ({e}): {line}"));
    let fields = &entry["fields"];
    assert_eq!(fields["status"], 404, "{line}");
    assert_eq!(fields["route"], "other", "{line}");
    assert_eq!(fields["client"], "-", "no address unless allowed: {line}");
    assert_eq!(fields["id"].as_str().unwrap().len(), 16, "{line}");
    assert!(!line.contains("127.0.0.1"), "{line}");
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = serve(&[], dir.path(), &[]);
    assert_eq!(get(&format!("{}/healthz", s.base), None).0, 200);
    let started = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "still running 15 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "a clean exit: {status}");
    // Nothing more is accepted.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let refused = rt.block_on(async {
        reqwest::Client::new()
            .get(format!("{}/healthz", s.base))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .is_err()
    });
    assert!(refused);
    let said: Vec<String> = s.stderr.as_ref().unwrap().try_iter().collect();
    assert!(said.iter().any(|l| l.contains("shutting down")), "{said:?}");
    assert!(!said.iter().any(|l| l.contains("panicked")), "{said:?}");
}
