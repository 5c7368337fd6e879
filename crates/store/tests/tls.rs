//! PostgreSQL over TLS: `sslmode=require` encrypts, `verify-full` also checks the
//! server's certificate against a CA and its name, and a certificate the CA did not sign
//! is refused with a clear sentence. Runs against the test cluster, which
//! `scripts/with-postgres` starts with TLS on (MASTHEAD_TEST_PG_CA names its CA).
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use masthead_core::SystemClock;
use masthead_store::{Store, StoreOptions};
use masthead_testkit::TestDb;
use std::sync::Arc;

async fn open(url: &str) -> Result<Store, masthead_store::StoreError> {
    Store::open(&StoreOptions::new(url), Arc::new(SystemClock)).await
}

/// Whether this store's own connection is encrypted, by the server's account.
async fn encrypted(store: &Store) -> bool {
    store.connection_uses_tls().await.unwrap()
}

#[tokio::test]
async fn postgresql_connections_can_require_and_verify_tls() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    let Ok(ca) = std::env::var("MASTHEAD_TEST_PG_CA") else {
        assert!(
            !masthead_testkit::strict(),
            "CI=true: the test cluster must offer TLS (openssl missing?)"
        );
        masthead_testkit::skip("PostgreSQL TLS: the test cluster has no certificate");
        return;
    };
    let plain = open(&format!("{}?sslmode=disable", db.url)).await.unwrap();
    assert!(!encrypted(&plain).await);

    let required = open(&format!("{}?sslmode=require", db.url)).await.unwrap();
    assert!(encrypted(&required).await);

    let verified = open(&format!("{}?sslmode=verify-full&sslrootcert={ca}", db.url))
        .await
        .unwrap();
    assert!(encrypted(&verified).await);
    verified.migrate().await.unwrap();

    // A CA that did not sign the server's certificate: refused, in one sentence.
    let other = tempfile::tempdir().unwrap();
    let other_ca = other.path().join("other-ca.crt");
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=someone else"])
        .arg("-keyout")
        .arg(other.path().join("other-ca.key"))
        .arg("-out")
        .arg(&other_ca)
        .output()
        .unwrap();
    assert!(made.status.success());
    let refused = open(&format!(
        "{}?sslmode=verify-full&sslrootcert={}",
        db.url,
        other_ca.display()
    ))
    .await;
    let Err(e) = refused else {
        panic!("a certificate from another CA was accepted");
    };
    let said = e.to_string();
    assert!(said.contains("PostgreSQL"), "{said}");
    assert!(!said.contains('\n'), "one sentence: {said}");
}
