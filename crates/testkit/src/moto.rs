//! moto's S3-compatible server on a free loopback port, for the media store's tests and
//! the several-nodes test. `pip install 'moto[server]'`; without it, tests skip loudly
//! (and fail under `CI=true`).

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running moto server, stopped when dropped. Signature checking is off until a test
/// turns it on (moto's `/moto-api/reset-auth`).
pub struct MotoServer {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    log_dir: tempfile::TempDir,
}

impl MotoServer {
    /// Starts moto, or returns `None` after a loud skip message (under `CI=true`, fails).
    pub fn start() -> Option<Self> {
        let Some(command) = moto_command() else {
            crate::skip(
                "moto_server is not installed, so the S3 tests cannot run: pip install 'moto[server]'",
            );
            return None;
        };
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap();
        let log_dir = tempfile::tempdir().unwrap();
        let log = std::fs::File::create(log_dir.path().join("moto.log")).unwrap();
        let mut child = Command::new(&command[0])
            .args(&command[1..])
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if let Some(status) = child.try_wait().unwrap() {
                panic!(
                    "moto_server stopped at start ({status}):\n{}",
                    read_log(log_dir.path())
                );
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "moto_server did not listen within 60 s:\n{}",
                    read_log(log_dir.path())
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            log_dir,
        })
    }

    /// What moto has logged so far (for a failing test's message).
    pub fn log(&self) -> String {
        read_log(self.log_dir.path())
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `moto_server` on `PATH`, else `python3 -m moto.server` when moto's server is
/// importable.
fn moto_command() -> Option<Vec<String>> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("moto_server"))
            .find(|candidate| candidate.is_file())
    });
    if let Some(found) = on_path {
        return Some(vec![found.to_string_lossy().into_owned()]);
    }
    let importable = Command::new("python3")
        .args(["-c", "import moto.server, flask"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    importable.then(|| vec!["python3".into(), "-m".into(), "moto.server".into()])
}

fn read_log(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("moto.log")).unwrap_or_default()
}
