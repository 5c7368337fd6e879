//! `masthead serve` as a child process, for the tests that run the binary as an operator
//! does (start-up, settings, backups, several nodes): started, its address read from the
//! first line it prints, its output readable line by line, killed when dropped.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_masthead");

/// A running `masthead serve`, killed on drop if it still runs.
pub struct Server {
    pub child: Child,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
    /// What it printed after the first line.
    pub stdout: Receiver<String>,
    /// Its log lines, when [`start`] was asked to keep them.
    pub stderr: Option<Receiver<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `masthead serve` with `args`, ready for the caller to add a folder and environment.
pub fn serve_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve").args(args);
    cmd
}

/// Starts `cmd` and waits (up to a minute) for the line naming its address. Its log
/// goes to the test's stderr, or is kept in [`Server::stderr`] with `keep_log`.
pub fn start(cmd: &mut Command, keep_log: bool) -> Server {
    cmd.stdout(Stdio::piped()).stderr(if keep_log {
        Stdio::piped()
    } else {
        Stdio::inherit()
    });
    let mut child = cmd.spawn().unwrap();
    let stdout = lines(child.stdout.take().unwrap());
    let stderr = child.stderr.take().map(lines);
    let first = stdout
        .recv_timeout(Duration::from_secs(60))
        .expect("the server never said where it serves");
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    Server {
        child,
        base,
        stdout,
        stderr,
    }
}

/// Each line `r` yields, as it comes.
pub fn lines(r: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

/// Runs the binary with `stdin` piped in; returns (success, stdout, stderr). A panic
/// fails the test whatever the command was expected to do.
pub fn run(args: &[&str], cwd: &Path, stdin: &str) -> (bool, String, String) {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
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
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "a panic: {stderr}");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

/// Runs the binary expecting failure: exactly one sentence on stderr, which is returned.
pub fn fails(args: &[&str], cwd: &Path) -> String {
    let (ok, _, err) = run(args, cwd, "");
    assert!(!ok, "{args:?} should fail");
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("masthead:")).collect();
    assert_eq!(lines.len(), 1, "one sentence, got: {err}");
    err
}

/// The SQLite site database at `db`, opened (and migrated) as the binary opens it, with
/// the system clock: for a test that sets a site up or looks inside it between commands.
pub async fn open_sqlite(db: &Path) -> masthead_store::Store {
    masthead_store::Store::open(
        &masthead_store::StoreOptions::new(format!("sqlite://{}", db.display())),
        std::sync::Arc::new(masthead_core::SystemClock),
    )
    .await
    .unwrap()
}

/// Makes the database at `db` newer than this binary: it records a migration the binary
/// does not have.
pub async fn add_future_migration(db: &Path) {
    let store = open_sqlite(db).await;
    masthead_store::testing::raw_execute(
        &store,
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99990101000000, 'from the future', TRUE, X'00', 0)",
    )
    .await
    .unwrap();
    store.close().await;
}
