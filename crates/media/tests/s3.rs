//! Both media storages against the same behaviour checks: `FsStorage` on a temporary
//! folder, `S3Storage` against moto's S3-compatible server on loopback.
//!
//! The S3 tests start `moto_server` (PyPI: `pip install 'moto[server]'`) themselves, on a
//! free port, and turn on its signature checking: every request must then carry a valid
//! SigV4 signature from a key moto issued, as on AWS. Without moto they are skipped with a
//! loud message — except under `CI=true`, where they fail.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod storage_behaviour;

use std::{
    net::{Ipv4Addr, TcpListener},
    time::Duration,
};

use masthead_testkit::moto::MotoServer;

use masthead_media::{
    FsStorage, MediaKey, MediaStorage, S3Config, S3Storage, StorageError, sigv4, storage_from_url,
};

// ---------------------------------------------------------------------------------------
// FsStorage

#[tokio::test]
async fn fs_storage_passes_the_behaviour_checks() {
    let dir = tempfile::tempdir().unwrap();
    let storage = FsStorage::open(dir.path().join("media")).unwrap();
    storage_behaviour::check(&storage).await;
}

#[tokio::test]
async fn a_folder_setting_gives_a_working_folder_storage() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("media");
    let storage = storage_from_url(root.to_str().unwrap()).unwrap();
    assert!(root.is_dir(), "the folder is made at once");
    storage_behaviour::check(&*storage).await;

    let url = format!("file://{}", dir.path().join("other").display());
    let storage = storage_from_url(&url).unwrap();
    let key = MediaKey::parse("ab/x.png").unwrap();
    storage.put(&key, vec![1]).await.unwrap();
    assert!(dir.path().join("other/ab/x.png").is_file());
}

#[test]
fn unusable_settings_say_why() {
    let refused = |s: &str| storage_from_url(s).map(|_| ()).unwrap_err().to_string();
    assert!(refused("  ").contains("empty"));
    assert!(refused("http://example.com/media").contains("not a kind of media store"));
    assert!(refused("file://relative/path").contains("absolute"));
    assert!(refused("s3://k:s@bucket?path_style=sometimes").contains("path_style"));
}

// ---------------------------------------------------------------------------------------
// S3Storage against moto

#[tokio::test]
async fn s3_storage_passes_the_behaviour_checks() {
    let Some(moto) = Moto::start() else { return };
    let credentials = moto.issue_credentials().await;
    let storage = moto.storage("media", "", &credentials);
    storage.create_bucket().await.unwrap();
    // Creating it again is fine: this account owns it.
    storage.create_bucket().await.unwrap();
    storage_behaviour::check(&storage).await;

    // The same checks under a key prefix, built from a setting string.
    let setting = format!(
        "s3://{}:{}@media/site1/images?endpoint={}&region=us-east-1&path_style=true",
        sigv4::uri_encode(&credentials.access_key_id, true),
        sigv4::uri_encode(&credentials.secret_access_key, true),
        moto.endpoint,
    );
    let prefixed = storage_from_url(&setting).unwrap();
    storage_behaviour::check(&*prefixed).await;
}

#[tokio::test]
async fn s3_objects_land_under_the_prefix_with_their_content_type() {
    let Some(moto) = Moto::start() else { return };
    let credentials = moto.issue_credentials().await;
    let whole_bucket = moto.storage("media", "", &credentials);
    whole_bucket.create_bucket().await.unwrap();
    let site = moto.storage("media", "site1", &credentials);

    let photo = MediaKey::parse("ab/abcd/w640.jpg").unwrap();
    site.put(&photo, b"jpeg bytes".to_vec()).await.unwrap();
    let seen_from_the_root = MediaKey::parse("site1/ab/abcd/w640.jpg").unwrap();
    assert_eq!(
        whole_bucket.get(&seen_from_the_root).await.unwrap(),
        Some(b"jpeg bytes".to_vec())
    );
    assert!(
        !whole_bucket.exists(&photo).await.unwrap(),
        "not at the root"
    );

    for (key, content_type) in [
        ("ab/abcd/w640.jpg", "image/jpeg"),
        ("ab/abcd/w640.webp", "image/webp"),
        ("ab/abcd/w640.png", "image/png"),
        ("ab/abcd/notes.txt", "application/octet-stream"),
    ] {
        let key = MediaKey::parse(key).unwrap();
        site.put(&key, b"x".to_vec()).await.unwrap();
        let response = moto
            .signed(
                &credentials,
                "s3",
                "GET",
                &format!("/media/site1/{key}"),
                Vec::new(),
                None,
            )
            .await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["content-type"].to_str().unwrap(),
            content_type,
            "{key}"
        );
    }
}

#[tokio::test]
async fn s3_refuses_bad_credentials_and_reports_a_missing_bucket() {
    let Some(moto) = Moto::start() else { return };
    let credentials = moto.issue_credentials().await;
    let storage = moto.storage("media", "", &credentials);
    storage.create_bucket().await.unwrap();
    let key = MediaKey::parse("ab/cd/w320.jpg").unwrap();
    storage.put(&key, b"ok".to_vec()).await.unwrap();

    // The right key id with the wrong secret: moto recomputes the signature and refuses.
    let mut wrong_secret = credentials.clone();
    wrong_secret.secret_access_key = "not-the-secret".into();
    let forged = moto.storage("media", "", &wrong_secret);
    let error = forged.put(&key, b"forged".to_vec()).await.unwrap_err();
    assert_remote(&error, 403, Some("SignatureDoesNotMatch"));
    assert!(
        error
            .to_string()
            .contains("could not store ab/cd/w320.jpg in bucket media"),
        "{error}"
    );
    // A refused read is an error, never "no such file".
    assert_remote(
        &forged.get(&key).await.unwrap_err(),
        403,
        Some("SignatureDoesNotMatch"),
    );
    // HEAD answers carry no body, so no code.
    assert_remote(&forged.exists(&key).await.unwrap_err(), 403, None);
    assert_remote(
        &forged.delete(&key).await.unwrap_err(),
        403,
        Some("SignatureDoesNotMatch"),
    );
    assert_eq!(storage.get(&key).await.unwrap(), Some(b"ok".to_vec()));

    // A key id moto never issued.
    let stranger = sigv4::Credentials::new("AKIAIOSFODNN7EXAMPLE", "whatever");
    let error = moto
        .storage("media", "", &stranger)
        .get(&key)
        .await
        .unwrap_err();
    assert_remote(&error, 403, Some("InvalidAccessKeyId"));

    // A bucket that does not exist is a broken setup, not a missing file.
    let nowhere = moto.storage("no-such-bucket", "", &credentials);
    assert_remote(
        &nowhere.get(&key).await.unwrap_err(),
        404,
        Some("NoSuchBucket"),
    );
    assert_remote(
        &nowhere.put(&key, b"x".to_vec()).await.unwrap_err(),
        404,
        Some("NoSuchBucket"),
    );
}

#[tokio::test]
async fn an_unreachable_store_is_a_clear_error() {
    // A port that was free a moment ago: nothing listens there.
    let port = free_port();
    let mut config = S3Config::compatible(format!("http://127.0.0.1:{port}"), "media");
    config.credentials = Some(sigv4::Credentials::new("id", "secret"));
    config.connect_timeout = Duration::from_secs(2);
    let storage = S3Storage::new(config).unwrap();
    let key = MediaKey::parse("ab/w320.jpg").unwrap();
    let error = storage.get(&key).await.unwrap_err();
    assert!(
        matches!(error, StorageError::Unreachable { action: "read", .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with("media storage could not read ab/w320.jpg in bucket media: could not talk to http://127.0.0.1:"),
        "{message}"
    );
}

fn assert_remote(error: &StorageError, want_status: u16, want_code: Option<&str>) {
    match error {
        StorageError::Remote { status, code, .. } => {
            assert_eq!(*status, want_status, "{error}");
            assert_eq!(code.as_deref(), want_code, "{error}");
        }
        other => panic!("expected an error answer from the store, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// moto_server on loopback

/// moto on loopback (`masthead_testkit::moto`), with this test's S3 setup helpers.
struct Moto(MotoServer);

impl std::ops::Deref for Moto {
    type Target = MotoServer;
    fn deref(&self) -> &MotoServer {
        &self.0
    }
}

impl Moto {
    /// Starts moto, or `None` after a loud skip (a failure under `CI=true`).
    fn start() -> Option<Self> {
        MotoServer::start().map(Self)
    }

    /// Makes an IAM user allowed everything in S3, takes an access key for it, then turns
    /// on moto's authentication: from here on every request must be signed with a key
    /// moto issued, and moto checks each signature as AWS would.
    async fn issue_credentials(&self) -> sigv4::Credentials {
        // Before authentication is on, anything signed for IAM is accepted.
        let setup = sigv4::Credentials::new("AKIDSETUP", "setup");
        let iam = |form: &str| {
            let body = format!("{form}&Version=2010-05-08").into_bytes();
            self.signed(
                &setup,
                "iam",
                "POST",
                "/",
                body,
                Some("application/x-www-form-urlencoded"),
            )
        };
        expect_ok(iam("Action=CreateUser&UserName=masthead").await).await;
        let created = expect_ok(iam("Action=CreateAccessKey&UserName=masthead").await).await;
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        expect_ok(
            iam(&format!(
                "Action=PutUserPolicy&UserName=masthead&PolicyName=media&PolicyDocument={}",
                sigv4::uri_encode(policy, true)
            ))
            .await,
        )
        .await;
        let response = reqwest::Client::new()
            .post(format!("{}/moto-api/reset-auth", self.endpoint))
            .body("0")
            .send()
            .await
            .unwrap();
        expect_ok(response).await;
        sigv4::Credentials::new(
            xml_text(&created, "AccessKeyId"),
            xml_text(&created, "SecretAccessKey"),
        )
    }

    fn storage(&self, bucket: &str, prefix: &str, credentials: &sigv4::Credentials) -> S3Storage {
        let mut config = S3Config::compatible(&self.endpoint, bucket);
        config.prefix = prefix.into();
        config.credentials = Some(credentials.clone());
        S3Storage::new(config).unwrap()
    }

    /// One request signed by hand, for what `S3Storage` does not do.
    async fn signed(
        &self,
        credentials: &sigv4::Credentials,
        service: &str,
        method: &str,
        path: &str,
        body: Vec<u8>,
        content_type: Option<&str>,
    ) -> reqwest::Response {
        let host = self.endpoint.trim_start_matches("http://");
        let amz_date = sigv4::amz_date(chrono::Utc::now());
        let payload = sigv4::sha256_hex(&body);
        let headers = [
            ("host", host),
            ("x-amz-content-sha256", payload.as_str()),
            ("x-amz-date", amz_date.as_str()),
        ];
        let authorization = sigv4::authorization(
            credentials,
            sigv4::Scope {
                region: "us-east-1",
                service,
                amz_date: &amz_date,
            },
            &sigv4::Request {
                method,
                path,
                query: &[],
                headers: &headers,
                payload_sha256: &payload,
            },
        );
        let mut request = reqwest::Client::new()
            .request(method.parse().unwrap(), format!("{}{path}", self.endpoint))
            .header("authorization", authorization)
            .header("x-amz-content-sha256", &payload)
            .header("x-amz-date", &amz_date)
            .body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.send().await.unwrap()
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn expect_ok(response: reqwest::Response) -> String {
    let status = response.status();
    let body = response.text().await.unwrap();
    assert!(status.is_success(), "moto answered {status}: {body}");
    body
}

fn xml_text(body: &str, name: &str) -> String {
    let start = body.find(&format!("<{name}>")).unwrap() + name.len() + 2;
    let end = start + body[start..].find(&format!("</{name}>")).unwrap();
    body[start..end].to_owned()
}
