//! Mail through a real SMTP server on loopback (Python's aiosmtpd, from Debian's
//! python3-aiosmtpd), including a retry after the server was down.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use chrono::Duration;
use common::{Options, TestSite};
use masthead_core::Role;
use masthead_store::NewUser;
use masthead_testkit::TestDb;
use masthead_web::auth::{self, HashCost};
use masthead_web::mail::{SmtpSecurity, SmtpSettings};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// An aiosmtpd server writing what it receives into a Maildir; killed on drop.
struct SmtpServer(Child);

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A Python that has aiosmtpd: the one on PATH, or Debian's (python3-aiosmtpd).
fn python_with_aiosmtpd() -> Option<&'static str> {
    ["python3", "/usr/bin/python3"].into_iter().find(|py| {
        Command::new(py)
            .args(["-c", "import aiosmtpd"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

async fn start_smtp(python: &str, port: u16, maildir: &Path) -> SmtpServer {
    let mut server = SmtpServer(
        Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return server;
        }
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("aiosmtpd exited: {status}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("aiosmtpd did not start on port {port}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The messages in the Maildir's `new/` folder.
fn received(maildir: &Path) -> Vec<String> {
    std::fs::read_dir(maildir.join("new"))
        .map(|d| {
            d.flatten()
                .map(|e| std::fs::read_to_string(e.path()).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

async fn wait_for(maildir: &Path, n: usize) -> Vec<String> {
    for _ in 0..400 {
        let got = received(maildir);
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    received(maildir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_reaches_a_real_smtp_server_and_is_retried_when_it_is_down() {
    let Some(python) = python_with_aiosmtpd() else {
        masthead_testkit::skip("Python's aiosmtpd is not installed (apt install python3-aiosmtpd)");
        return;
    };
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("Maildir");
    let site = TestSite::start(
        TestDb::sqlite(),
        Options {
            demo: false,
            smtp: Some(SmtpSettings {
                host: "127.0.0.1".into(),
                port,
                security: SmtpSecurity::None,
                username: None,
                password: None,
            }),
            ..Default::default()
        },
    )
    .await;
    site.store
        .create_user(&NewUser {
            email: "admin@example.org".into(),
            name: "Ada Admin".into(),
            role: Role::Administrator,
            password_hash: Some(
                auth::hash_password(
                    "a long and unusual passphrase",
                    HashCost {
                        memory_kib: 256,
                        iterations: 1,
                    },
                )
                .unwrap(),
            ),
        })
        .await
        .unwrap();
    let origin = site.origin();
    let login = site
        .post_form(
            "/newsroom/login",
            &[
                ("email", "admin@example.org"),
                ("password", "a long and unusual passphrase"),
            ],
            &[("Origin", &origin)],
        )
        .await;
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let people = site
        .get_with("/newsroom/users", &[("Cookie", &cookie)])
        .await;
    assert!(
        people
            .body
            .contains(&format!("through the SMTP server 127.0.0.1:{port}"))
    );

    // The server is down: the request still succeeds at once, the message waits.
    let sent = site
        .post_form(
            "/newsroom/mail/test",
            &[],
            &[("Origin", &origin), ("Cookie", &cookie)],
        )
        .await;
    assert_eq!(sent.status, 303);
    let mut failed_once = false;
    for _ in 0..400 {
        let q = site.store.recent_mail(1).await.unwrap();
        if q[0].attempts >= 1 && !q[0].last_error.is_empty() {
            failed_once = true;
            assert!(q[0].failed_at.is_none(), "not given up after one failure");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(failed_once, "the first attempt failed and was recorded");
    assert_eq!(site.store.pending_mail().await.unwrap(), 1);

    // The server comes up; once the retry is due the message arrives.
    let _smtp = start_smtp(python, port, &maildir).await;
    site.clock.advance(Duration::minutes(10));
    let got = wait_for(&maildir, 1).await;
    assert_eq!(got.len(), 1, "delivered after the retry");
    assert!(got[0].contains("To: admin@example.org"));
    assert!(got[0].contains("Subject: A test message from the The Test Courier newsroom"));
    assert!(
        got[0].contains("Content-Type: text/plain") && got[0].contains("Content-Type: text/html")
    );
    // The server has the message; the sender records it as sent right after.
    let mut pending = 1;
    for _ in 0..400 {
        pending = site.store.pending_mail().await.unwrap();
        if pending == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(pending, 0, "recorded as sent");
    assert!(
        site.store.recent_mail(1).await.unwrap()[0]
            .sent_at
            .is_some()
    );

    // With the server up, mail goes out at once.
    site.post_form(
        "/newsroom/mail/test",
        &[],
        &[("Origin", &origin), ("Cookie", &cookie)],
    )
    .await;
    assert_eq!(wait_for(&maildir, 2).await.len(), 2);
}
