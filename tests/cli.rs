//! The binary as an operator meets it: first and second start, settings from flags,
//! environment and masthead.toml, and start-up failures that are one clear sentence.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use std::path::Path;

use std::time::{Duration, Instant};

mod running;

use running::{Server, fails, run};

fn serve(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Server {
    let mut cmd = running::serve_command(args);
    cmd.current_dir(cwd);
    for (k, v) in env {
        cmd.env(k, v);
    }
    running::start(&mut cmd, false)
}

fn get(url: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let r = reqwest::get(url).await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.text().await.unwrap())
    })
}

fn total(base: &str) -> usize {
    let (_, headers, _) = get(&format!("{base}/api/v1/articles"));
    headers["x-total-count"].to_str().unwrap().parse().unwrap()
}

#[test]
fn first_start_seeds_the_demo_and_a_second_start_seeds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let first = serve(&["--addr", "127.0.0.1:0"], dir.path(), &[]);
    assert!(
        dir.path().join("masthead-data/masthead.db").is_file(),
        "creates ./masthead-data"
    );
    assert!(dir.path().join("masthead-data/media").is_dir());
    let (status, _, home) = get(&format!("{}/", first.base));
    assert_eq!(status, 200);
    assert!(home.contains("The Northbridge Courier"));
    let seeded = total(&first.base);
    assert!(seeded >= 24);
    assert_eq!(get(&format!("{}/healthz", first.base)).0, 200);
    drop(first);
    let second = serve(&["--addr", "127.0.0.1:0"], dir.path(), &[]);
    assert_eq!(total(&second.base), seeded, "nothing seeded twice");
}

#[test]
fn no_demo_starts_an_empty_site_that_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("site");
    let data = data.to_str().unwrap();
    let s = serve(
        &["--addr", "127.0.0.1:0", "--data", data, "--no-demo"],
        dir.path(),
        &[],
    );
    assert_eq!(total(&s.base), 0);
    let (status, _, home) = get(&format!("{}/", s.base));
    assert_eq!(status, 200);
    assert!(home.contains("No stories have been published yet."));
    drop(s);
    let again = serve(&["--addr", "127.0.0.1:0", "--data", data], dir.path(), &[]);
    assert_eq!(
        total(&again.base),
        0,
        "a site that started empty is not seeded later"
    );
}

#[test]
fn settings_come_from_flags_then_environment_then_masthead_toml() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("masthead.toml"),
        "data = \"from-toml\"\ntitle = \"Toml Times\"\ndemo = false\naddr = \"127.0.0.1:0\"\n",
    )
    .unwrap();
    let s = serve(&[], dir.path(), &[]);
    assert!(dir.path().join("from-toml/masthead.db").is_file());
    assert!(get(&format!("{}/", s.base)).2.contains("Toml Times"));
    drop(s);
    let s = serve(&[], dir.path(), &[("MASTHEAD_DATA", "from-env")]);
    assert!(
        dir.path().join("from-env/masthead.db").is_file(),
        "environment beats the file"
    );
    drop(s);
    let s = serve(
        &["--data", "from-flag"],
        dir.path(),
        &[("MASTHEAD_DATA", "from-env")],
    );
    assert!(
        dir.path().join("from-flag/masthead.db").is_file(),
        "flags beat the environment"
    );
    drop(s);
    std::fs::write(dir.path().join("masthead.toml"), "colour = \"red\"\n").unwrap();
    let err = fails(&["serve"], dir.path());
    assert!(err.contains("masthead.toml is not valid"), "{err}");
}

#[test]
fn a_port_in_use_is_one_clear_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = fails(&["serve", "--no-demo", "--addr", &addr], dir.path());
    assert!(err.contains("already in use"), "{err}");
}

#[test]
fn an_unusable_data_folder_is_one_clear_sentence() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("blocker"), "a file, not a folder").unwrap();
    let err = fails(
        &["serve", "--data", "blocker/data", "--addr", "127.0.0.1:0"],
        dir.path(),
    );
    assert!(err.contains("cannot create the data folder"), "{err}");
}

#[test]
fn an_unreachable_postgres_is_one_clear_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let err = fails(
        &[
            "serve",
            "--database-url",
            "postgres://masthead@127.0.0.1:1/masthead",
            "--addr",
            "127.0.0.1:0",
        ],
        dir.path(),
    );
    assert!(err.contains("cannot open the PostgreSQL database"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
    let err = fails(
        &[
            "serve",
            "--database-url",
            "mysql://x/y",
            "--addr",
            "127.0.0.1:0",
        ],
        dir.path(),
    );
    assert!(
        err.contains("neither a sqlite:// nor a postgres:// URL"),
        "{err}"
    );
    let err = fails(
        &[
            "serve",
            "--timezone",
            "Mars/Olympus",
            "--addr",
            "127.0.0.1:0",
        ],
        dir.path(),
    );
    assert!(err.contains("not a timezone"), "{err}");
}

#[test]
fn a_schema_newer_than_the_binary_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(&["--no-demo", "--addr", "127.0.0.1:0"], dir.path(), &[]);
    drop(s);
    let db = dir.path().join("masthead-data/masthead.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(running::add_future_migration(&db));
    let err = fails(&["serve", "--addr", "127.0.0.1:0"], dir.path());
    assert!(err.contains("newer than this Masthead binary"), "{err}");
}

fn get_with_token(url: &str, token: &str) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let res = reqwest::Client::new()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    })
}

#[test]
fn accounts_and_tokens_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pw = "a long and unusual passphrase\n";
    let add = |email: &str, role: &str, password: &str| {
        run(
            &[
                "user",
                "add",
                "--email",
                email,
                "--name",
                "Ed Editor",
                "--role",
                role,
                "--password-stdin",
            ],
            d,
            password,
        )
    };
    let (ok, out, err) = add("Ed@Example.org", "editor", pw);
    assert!(ok, "{err}");
    assert!(
        out.contains("Created Ed Editor (ed@example.org) as Editor"),
        "{out}"
    );
    let (ok, _, err) = add("weak@example.org", "editor", "password123\n");
    assert!(!ok && err.contains("most common"), "{err}");
    let (ok, _, err) = add("weak@example.org", "editor", "short\n");
    assert!(!ok && err.contains("at least 10 characters"), "{err}");
    let (ok, _, err) = add("x@example.org", "owner", pw);
    assert!(!ok && err.contains("is not a role"), "{err}");
    let (ok, _, err) = add("ED@example.org", "author", pw);
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = run(
        &[
            "user",
            "add",
            "--email",
            "a@example.org",
            "--name",
            "A",
            "--role",
            "author",
        ],
        d,
        "",
    );
    assert!(
        !ok && err.contains("--password-stdin"),
        "no terminal: {err}"
    );
    let (_, list, _) = run(&["user", "list"], d, "");
    assert!(
        list.contains("ed@example.org\tEd Editor\teditor\tactive"),
        "{list}"
    );
    assert!(!list.contains("argon2"));

    let (ok, token, err) = run(
        &[
            "token",
            "create",
            "--user",
            "ed@example.org",
            "--scope",
            "read",
        ],
        d,
        "",
    );
    assert!(ok, "{err}");
    let token = token.trim().to_owned();
    assert!(token.starts_with("mh_") && token.len() > 60, "{token}");
    assert!(err.contains("cannot be shown again"));

    // No administrator yet: serve prints the one-time setup link.
    let server = serve(&["--addr", "127.0.0.1:0", "--no-demo"], d, &[]);
    let setup = server.stdout.recv_timeout(Duration::from_secs(10)).unwrap();
    assert!(
        setup.contains("No administrator yet") && setup.contains("/newsroom/setup/"),
        "{setup}"
    );
    let link = setup
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap();
    assert_eq!(get(link).0, 200);
    let (status, me) = get_with_token(&format!("{}/api/v1/me", server.base), &token);
    assert_eq!(status, 200, "{me}");
    assert!(me.contains("\"role\":\"editor\""));

    // Disabling the account stops its token at once, even with the server running.
    let (ok, _, err) = run(&["user", "disable", "--email", "ed@example.org"], d, "");
    assert!(ok, "{err}");
    assert_eq!(
        get_with_token(&format!("{}/api/v1/me", server.base), &token).0,
        401
    );
    let (ok, _, err) = run(
        &[
            "user",
            "set-password",
            "--email",
            "nobody@example.org",
            "--password-stdin",
        ],
        d,
        pw,
    );
    assert!(!ok && err.contains("no account with the email"), "{err}");
    let (ok, out, err) = run(
        &[
            "user",
            "set-password",
            "--email",
            "ed@example.org",
            "--password-stdin",
        ],
        d,
        "another long passphrase\n",
    );
    assert!(ok && out.contains("Set the password"), "{err}");
}

#[test]
fn an_article_that_came_due_while_the_server_was_down_is_published_at_start() {
    let dir = tempfile::tempdir().unwrap();
    drop(serve(
        &["--no-demo", "--addr", "127.0.0.1:0"],
        dir.path(),
        &[],
    ));
    let db = dir.path().join("masthead-data/masthead.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // An hour ago an editor scheduled a story for ten minutes ago; the site was down since.
    let now = chrono::Utc::now();
    let then = masthead_core::FakeClock::at(now - chrono::Duration::hours(1));
    rt.block_on(async {
        let store = masthead_store::Store::open(
            &masthead_store::StoreOptions::new(format!("sqlite://{}", db.display())),
            std::sync::Arc::new(then),
        )
        .await
        .unwrap();
        let mut a = masthead_store::NewArticle::published(
            "Lighthouse keepers return to the point",
            "Coast",
            now - chrono::Duration::minutes(10),
        );
        a.status = masthead_core::ArticleStatus::Scheduled;
        store
            .create_article(&a, &masthead_store::Edit::default())
            .await
            .unwrap();
        store.close().await;
    });
    let server = serve(&["--addr", "127.0.0.1:0"], dir.path(), &[]);
    // Nobody has asked for the article: it is in the API's list, on the front page and
    // in the feed.
    let (_, headers, body) = get(&format!("{}/api/v1/articles", server.base));
    assert_eq!(headers["x-total-count"], "1", "{body}");
    assert!(body.contains("Lighthouse keepers return to the point"));
    let (status, _, home) = get(&format!("{}/", server.base));
    assert_eq!(status, 200);
    assert!(home.contains("Lighthouse keepers return to the point"));
    let (status, _, feed) = get(&format!("{}/feed/", server.base));
    assert_eq!(status, 200);
    assert!(feed.contains("Lighthouse keepers return to the point"));
}

/// A published story written straight into a stopped site's database; returns its id.
fn story_in(db: &Path, title: &str) -> i64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = running::open_sqlite(db).await;
        let a = masthead_store::NewArticle::published(
            title,
            "City",
            chrono::Utc::now() - chrono::Duration::hours(1),
        );
        let id = store.save_article(&a).await.unwrap().id;
        store.close().await;
        id
    })
}

fn comments_in(db: &Path) -> Vec<masthead_store::Comment> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = running::open_sqlite(db).await;
        let (rows, _) = store
            .comment_queue(
                &masthead_store::CommentFilter::default(),
                masthead_core::paging::PageRequest::new(1, 1000),
            )
            .await
            .unwrap();
        store.close().await;
        rows.into_iter().map(|q| q.comment).collect()
    })
}

#[test]
fn every_accepted_comment_survives_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    drop(serve(
        &["--no-demo", "--addr", "127.0.0.1:0"],
        dir.path(),
        &[],
    ));
    let db = dir.path().join("masthead-data/masthead.db");
    let id = story_in(&db, "A story readers argue about");
    // Behind a trusted proxy, each reader has their own address (no flood between them).
    let mut server = serve(
        &["--addr", "127.0.0.1:0", "--trusted-proxies", "127.0.0.1"],
        dir.path(),
        &[],
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let url = format!("{}/api/v1/articles/{id}/comments", server.base);
    let accepted: Vec<i64> = rt.block_on(async {
        let client = reqwest::Client::new();
        let mut tasks = Vec::new();
        for n in 0..60 {
            let client = client.clone();
            let url = url.clone();
            tasks.push(tokio::spawn(async move {
                let r = client
                    .post(&url)
                    .header("X-Forwarded-For", format!("198.51.100.{n}"))
                    .json(&serde_json::json!({
                        "author_name": format!("Reader {n}"),
                        "author_email": format!("reader{n}@example.net"),
                        "content": format!("Comment number {n} on the story."),
                    }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status().as_u16(), 201);
                let body: serde_json::Value = r.json().await.unwrap();
                body["id"].as_i64().unwrap()
            }));
        }
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await.unwrap());
        }
        ids
    });
    // SIGKILL: no shutdown, no flush.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let kept = comments_in(&db);
    for id in &accepted {
        let c = kept.iter().find(|c| c.id == *id);
        assert!(c.is_some(), "comment {id} was answered 201 and then lost");
    }
    assert_eq!(kept.len(), 60);
    assert!(kept.iter().any(|c| c.client_ip == "198.51.100.7"));
}

#[test]
fn a_commenter_can_have_their_data_exported_and_erased() {
    let dir = tempfile::tempdir().unwrap();
    drop(serve(
        &["--no-demo", "--addr", "127.0.0.1:0"],
        dir.path(),
        &[],
    ));
    let db = dir.path().join("masthead-data/masthead.db");
    let id = story_in(&db, "Erase me");
    let server = serve(&["--addr", "127.0.0.1:0"], dir.path(), &[]);
    let url = format!("{}/api/v1/articles/{id}/comments", server.base);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let r = reqwest::Client::new()
                .post(&url)
                .json(&serde_json::json!({
                    "author_name": "Private Person",
                    "author_email": "Private@Example.net",
                    "author_url": "https://private.example/",
                    "content": "My words, my data.",
                }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 201);
        });
    drop(server);
    let (ok, out, err) = run(
        &["comments", "export", "--email", "private@example.net"],
        dir.path(),
        "",
    );
    assert!(ok, "{err}");
    let exported: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(exported[0]["content"], "My words, my data.");
    assert_eq!(exported[0]["author_email"], "private@example.net");
    assert_eq!(exported[0]["client_ip"], "127.0.0.1");
    let (ok, out, err) = run(
        &["comments", "erase", "--email", "PRIVATE@example.net"],
        dir.path(),
        "",
    );
    assert!(ok, "{err}");
    assert!(out.contains("Anonymised 1 comment"), "{out}");
    let kept = comments_in(&db);
    assert_eq!(kept[0].author_name, "Anonymous");
    assert_eq!(kept[0].author_email, "");
    assert_eq!(kept[0].author_url, "");
    assert_eq!(kept[0].client_ip, "");
    assert_eq!(kept[0].body, "My words, my data.");
    let (ok, out, _) = run(
        &["comments", "export", "--email", "private@example.net"],
        dir.path(),
        "",
    );
    assert!(ok);
    assert_eq!(out.trim(), "[]");
    let (ok, _, err) = run(&["comments", "erase", "--email", "nobody"], dir.path(), "");
    assert!(!ok);
    assert!(err.contains("is not an email address"));
}

/// How many articles `/api/v1/search?q=` finds.
fn found(base: &str, q: &str) -> usize {
    let (status, headers, body) = get(&format!("{base}/api/v1/search?q={q}"));
    assert_eq!(status, 200, "{body}");
    headers["x-total-count"].to_str().unwrap().parse().unwrap()
}

/// Polls (gently: searches are rate-limited) until `q` finds `n` articles.
fn until_found(base: &str, q: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while found(base, q) != n {
        assert!(Instant::now() < deadline, "{q} never found {n}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn current_index(data: &Path) -> String {
    std::fs::read_to_string(data.join("search/current")).unwrap_or_default()
}

#[test]
fn the_search_index_is_rebuilt_when_missing_or_broken_and_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("masthead-data");
    drop(serve(
        &["--no-demo", "--addr", "127.0.0.1:0"],
        dir.path(),
        &[],
    ));
    story_in(
        &data.join("masthead.db"),
        "Lighthouse keepers return to the point",
    );
    // Written while no server ran: the next start finds it (catching up from the
    // index's own change-log position).
    let server = serve(&["--addr", "127.0.0.1:0"], dir.path(), &[]);
    until_found(&server.base, "lighthouse", 1);
    // With a server running, `reindex` asks it to rebuild; it swaps a new folder in.
    let before = current_index(&data);
    let (ok, out, err) = run(&["reindex"], dir.path(), "");
    assert!(ok, "{err}");
    assert!(out.contains("asked to rebuild"), "{out}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while current_index(&data) == before {
        assert!(
            Instant::now() < deadline,
            "the server never swapped in a new index"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(found(&server.base, "lighthouse"), 1);
    drop(server);
    // A broken index: `reindex` without a server rebuilds it here.
    let folder = data.join("search").join(current_index(&data).trim());
    std::fs::write(folder.join("meta.json"), b"{broken").unwrap();
    let (ok, out, err) = run(&["reindex"], dir.path(), "");
    assert!(ok, "{err}");
    assert!(
        out.contains("Rebuilt the search index: 1 articles"),
        "{out}"
    );
    // Broken again, or gone: the server rebuilds it at start and serves meanwhile.
    std::fs::remove_dir_all(data.join("search")).unwrap();
    let server = serve(&["--addr", "127.0.0.1:0"], dir.path(), &[]);
    let (status, _, _) = get(&format!("{}/healthz", server.base));
    assert_eq!(status, 200);
    until_found(&server.base, "lighthouse", 1);
    let folder = data.join("search").join(current_index(&data).trim());
    assert!(folder.join("meta.json").exists(), "{folder:?}");
}
