//! Three `masthead serve` processes sharing one PostgreSQL on loopback, as several
//! nodes behind a load balancer: what one publishes the others serve within two seconds
//! (page, API, search, related stories); a scheduled article is published once (one
//! change-log row, one notification); a session made on one node works on another;
//! one node killed under traffic costs nothing that was acknowledged.
//!
//! Needs the test PostgreSQL (`scripts/with-postgres`); skips loudly without it, fails
//! when CI=true.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use masthead_core::{Role, TokenScope};
use masthead_store::NewUser;
use masthead_testkit::TestDb;
use serde_json::{Value, json};

use std::time::{Duration, Instant};

mod running;

const PASSWORD: &str = "a long and unusual passphrase";
/// How soon every node must show what one node did.
const WITHIN: Duration = Duration::from_secs(2);

/// One node: its server and its own data folder (search index, no media).
struct Node {
    server: running::Server,
    data: tempfile::TempDir,
}

impl std::ops::Deref for Node {
    type Target = running::Server;
    fn deref(&self) -> &running::Server {
        &self.server
    }
}

fn start_node(database_url: &str, demo: bool, media_store: Option<&str>) -> Node {
    let data = tempfile::tempdir().unwrap();
    let mut cmd =
        running::serve_command(&["--addr", "127.0.0.1:0", "--database-url", database_url]);
    cmd.arg("--data").arg(data.path()).current_dir(data.path());
    if !demo {
        cmd.arg("--no-demo");
    }
    if let Some(store) = media_store {
        // moto accepts any key while its signature checking is off.
        cmd.args(["--media-store", store])
            .env("AWS_ACCESS_KEY_ID", "AKIDMULTINODE")
            .env("AWS_SECRET_ACCESS_KEY", "multi-node-secret");
    }
    Node {
        server: running::start(&mut cmd, false),
        data,
    }
}

/// Polls `check` until it holds; returns how long that took, failing after `limit`.
async fn until<F, Fut>(what: &str, limit: Duration, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "{what}: not within {} ms",
            limit.as_millis()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn status(client: &reqwest::Client, url: &str) -> u16 {
    client
        .get(url)
        .send()
        .await
        .map_or(0, |r| r.status().as_u16())
}

async fn body(client: &reqwest::Client, url: &str) -> String {
    match client.get(url).send().await {
        Ok(r) if r.status().is_success() => r.text().await.unwrap_or_default(),
        _ => String::new(),
    }
}

async fn publish(client: &reqwest::Client, node: &Node, token: &str, fields: Value) -> Value {
    let r = client
        .post(format!("{}/api/v1/articles", node.base))
        .bearer_auth(token)
        .json(&fields)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let answer: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{answer}");
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_share_one_postgresql() {
    let Some(db) = TestDb::postgres().await else {
        return;
    };
    // The media library in S3-compatible storage every node shares (moto on loopback).
    let moto = masthead_testkit::moto::MotoServer::start();
    let media_store = match &moto {
        Some(moto) => {
            let mut config = masthead_media::S3Config::compatible(&moto.endpoint, "media");
            config.credentials = Some(masthead_media::sigv4::Credentials::new(
                "AKIDMULTINODE",
                "multi-node-secret",
            ));
            masthead_media::S3Storage::new(config)
                .unwrap()
                .create_bucket()
                .await
                .unwrap();
            Some(format!(
                "s3://media/site?endpoint={}&region=us-east-1",
                moto.endpoint
            ))
        }
        None => None,
    };
    // The first node makes the schema and seeds the demo; the others join it.
    let a = start_node(&db.url, true, media_store.as_deref());
    let b = start_node(&db.url, false, media_store.as_deref());
    let c = start_node(&db.url, false, media_store.as_deref());
    let t = db.store().await;
    let editor = t
        .store
        .create_user(&NewUser {
            email: "desk@example.org".to_owned(),
            name: "Desk".to_owned(),
            role: Role::Editor,
            password_hash: Some(
                masthead_web::auth::hash_password(
                    PASSWORD,
                    masthead_web::auth::HashCost {
                        memory_kib: 256,
                        iterations: 1,
                    },
                )
                .unwrap(),
            ),
        })
        .await
        .unwrap();
    let token = format!(
        "{}{}",
        masthead_web::auth::TOKEN_PREFIX,
        masthead_web::auth::new_secret().unwrap()
    );
    t.store
        .create_token(
            editor,
            "multi-node",
            &masthead_web::auth::hash_secret(&token),
            TokenScope::Write,
            None,
        )
        .await
        .unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    for node in [&a, &b, &c] {
        let url = format!("{}/readyz", node.base);
        until("a node ready", Duration::from_secs(60), || async {
            status(&client, &url).await == 200
        })
        .await;
    }

    // 1. Published on A: on B and C within two seconds — page, API, search, related.
    let word = "quokkaborealis";
    let first = publish(
        &client,
        &a,
        &token,
        json!({"title": "Harbour ferries return", "section": "city", "status": "published",
               "body": format!("The {word} ferries return to the harbour after the storm. Ferries, harbour, storm.")}),
    )
    .await;
    let second = publish(
        &client,
        &a,
        &token,
        json!({"title": "Harbour ferries add night crossings", "section": "city", "status": "published",
               "body": format!("The {word} ferries add night crossings of the harbour. Ferries, harbour, crossings.")}),
    )
    .await;
    let (first_id, second_id) = (
        first["id"].as_i64().unwrap(),
        second["id"].as_i64().unwrap(),
    );
    let first_path = first["url"].as_str().unwrap().to_owned();
    for node in [&b, &c] {
        let page = format!("{}{first_path}", node.base);
        until("the page on another node", WITHIN, || async {
            body(&client, &page)
                .await
                .contains("Harbour ferries return")
        })
        .await;
        let api = format!("{}/api/v1/articles/{second_id}", node.base);
        until("the API on another node", WITHIN, || async {
            status(&client, &api).await == 200
        })
        .await;
        let search = format!("{}/search?q={word}", node.base);
        until("search on another node", WITHIN, || async {
            let found = body(&client, &search).await;
            found.contains("Harbour ferries return") && found.contains("night crossings")
        })
        .await;
        until("related stories on another node", WITHIN, || async {
            let page = body(&client, &page).await;
            page.split("You May Also Like")
                .nth(1)
                .is_some_and(|related| related.contains("Harbour ferries add night crossings"))
        })
        .await;
    }

    // 2. Scheduled on B: published once, by whichever node, at its time.
    let mut listener = t.store.change_listener().await.unwrap().unwrap();
    let due = chrono::Utc::now() + chrono::Duration::seconds(3);
    let scheduled = publish(
        &client,
        &b,
        &token,
        json!({"title": "Council vote at noon", "section": "city", "status": "scheduled",
               "published_at": due.to_rfc3339(), "body": "The council votes at noon."}),
    )
    .await;
    let scheduled_id = scheduled["id"].as_i64().unwrap();
    // The save's own notification, then quiet until the publication.
    while listener.wait(Duration::from_millis(300)).await {}
    let before = t.store.latest_change_id().await.unwrap();
    let api = format!("{}/api/v1/articles/{scheduled_id}", c.base);
    let mut notifications = 0;
    let started = Instant::now();
    while status(&client, &api).await != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "never published"
        );
        if listener.wait(Duration::from_millis(50)).await {
            notifications += 1;
        }
    }
    assert!(
        chrono::Utc::now() >= due,
        "not before its time (published {:?} early)",
        due - chrono::Utc::now()
    );
    // Let every node's scheduler have its look.
    tokio::time::sleep(Duration::from_secs(1)).await;
    while listener.wait(Duration::from_millis(300)).await {
        notifications += 1;
    }
    let rows: Vec<_> = t
        .store
        .changes_after(before, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.entity == "article" && c.entity_id == scheduled_id)
        .collect();
    assert_eq!(rows.len(), 1, "one change-log row: {rows:?}");
    assert_eq!(notifications, 1, "one notification");

    // 3. A session made on A works on C.
    let login = client
        .post(format!("{}/newsroom/login", a.base))
        .header("Origin", &a.base)
        .form(&[
            ("email", "desk@example.org"),
            ("password", PASSWORD),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 303);
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let elsewhere = client
        .get(format!("{}/newsroom/", c.base))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        elsewhere.status().as_u16(),
        200,
        "signed in on another node"
    );
    let stranger = client
        .get(format!("{}/newsroom/", c.base))
        .send()
        .await
        .unwrap();
    assert_ne!(
        stranger.status().as_u16(),
        200,
        "and not without the session"
    );

    // 4. A photo uploaded through A is served by B and C from the shared store.
    if media_store.is_some() {
        let img = image::RgbImage::from_fn(800, 500, |x, y| {
            image::Rgb([(x * 255 / 800) as u8, (y * 255 / 500) as u8, 90])
        });
        let mut jpeg = std::io::Cursor::new(Vec::new());
        img.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
        let r = client
            .post(format!(
                "{}/api/v1/media?file_name=ferry.jpg&alt=A+ferry",
                a.base
            ))
            .bearer_auth(&token)
            .header("content-type", "image/jpeg")
            .body(jpeg.into_inner())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        let uploaded: Value = r.json().await.unwrap();
        let srcset = uploaded["srcset"].as_str().unwrap().to_owned();
        for node in [&b, &c] {
            for part in srcset.split(", ") {
                let url = format!("{}{}", node.base, part.split(' ').next().unwrap());
                let res = client.get(&url).send().await.unwrap();
                assert_eq!(res.status().as_u16(), 200, "{url}");
                assert_eq!(res.headers()["content-type"], "image/jpeg");
            }
        }
        // The files are in the bucket, not in any node's data folder.
        assert!(
            !a.data
                .path()
                .join("media")
                .read_dir()
                .is_ok_and(|mut d| d.next().is_some())
        );
    }

    // 5. C dies under traffic: readers of A and B see no error, and every write any
    // node acknowledged is kept.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let readers: Vec<_> = [&a, &b]
        .iter()
        .map(|node| {
            let (client, stop) = (client.clone(), stop.clone());
            let urls = [
                format!("{}/", node.base),
                format!("{}{first_path}", node.base),
                format!("{}/api/v1/articles", node.base),
            ];
            tokio::spawn(async move {
                let (mut ok, mut failed) = (0u32, 0u32);
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    for url in &urls {
                        if status(&client, url).await == 200 {
                            ok += 1;
                        } else {
                            failed += 1;
                        }
                    }
                }
                (ok, failed)
            })
        })
        .collect();
    let mut c = Some(c);
    let mut acknowledged = Vec::new();
    for i in 0..40 {
        if i == 20 {
            // SIGKILL: no goodbye.
            drop(c.take());
        }
        let node = match (i % 3, &c) {
            (0, _) => &a,
            (1, _) => &b,
            (_, Some(c)) => c,
            (_, None) => &a,
        };
        let r = client
            .post(format!("{}/api/v1/articles", node.base))
            .bearer_auth(&token)
            .json(
                &json!({"title": format!("Wire story {i}"), "section": "business",
                          "status": "published", "body": format!("Story number {i}.")}),
            )
            .send()
            .await;
        if let Ok(r) = r
            && r.status().as_u16() == 201
        {
            let v: Value = r.json().await.unwrap();
            acknowledged.push(v["id"].as_i64().unwrap());
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for r in readers {
        let (ok, failed) = r.await.unwrap();
        assert!(ok > 0);
        assert_eq!(failed, 0, "the surviving nodes kept serving");
    }
    assert!(acknowledged.len() >= 33, "{}", acknowledged.len());
    for node in [&a, &b] {
        for id in &acknowledged {
            let url = format!("{}/api/v1/articles/{id}", node.base);
            until(
                "an acknowledged write on a surviving node",
                WITHIN,
                || async { status(&client, &url).await == 200 },
            )
            .await;
        }
    }
    let _ = first_id;
    drop(moto);
}
