//! Backups, restores, moves between backends and schema migrations, as an operator runs
//! them: the real binary, a real server, real SQLite files and a real PostgreSQL.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

mod running;

use running::{BIN, Server, fails, run};

fn serve(args: &[&str], cwd: &Path) -> Server {
    let mut cmd = running::serve_command(&["--addr", "127.0.0.1:0"]);
    cmd.args(args).current_dir(cwd);
    running::start(&mut cmd, false)
}

/// Runs the binary expecting success; returns stdout.
fn ok(args: &[&str], cwd: &Path) -> String {
    let (ok, out, err) = run(args, cwd, "");
    assert!(ok, "{args:?} failed: {err}");
    out
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

struct Resp {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

fn request(method: &str, url: &str, token: Option<&str>, body: Option<(&str, Vec<u8>)>) -> Resp {
    runtime().block_on(async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut req = client.request(method.parse().unwrap(), url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some((ct, bytes)) = body {
            req = req.header("content-type", ct).body(bytes);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        Resp {
            status,
            content_type,
            body: res.bytes().await.unwrap().to_vec(),
        }
    })
}

fn json(r: &Resp) -> serde_json::Value {
    serde_json::from_slice(&r.body).unwrap()
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// The content a site is filled with: the demo (first start), an editor with a token,
/// an uploaded image featured on a new story, a threaded comment, a correction.
struct Made {
    token: String,
    story_url: String,
    image_urls: Vec<String>,
}

fn make_content(base: &str, token: &str) -> Made {
    let r = request(
        "POST",
        &format!("{base}/api/v1/media?file_name=quay.jpg&alt=Boats+at+the+quay&credit=Ana"),
        Some(token),
        Some(("image/jpeg", jpeg(1200, 800))),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let image = json(&r);
    let image_id = image["id"].as_i64().unwrap();
    let image_urls: Vec<String> = image["srcset"]
        .as_str()
        .unwrap()
        .split(", ")
        .map(|p| p.split(' ').next().unwrap().to_owned())
        .collect();
    assert!(!image_urls.is_empty());
    let body = serde_json::json!({
        "title": "Boats return to the quay",
        "status": "published",
        "featured_media": image_id,
        "body": "The **boats** are back.\n\nMore later.",
        "tags": ["Harbour", "Boats"],
    });
    let r = request(
        "POST",
        &format!("{base}/api/v1/articles"),
        Some(token),
        Some(("application/json", body.to_string().into_bytes())),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let story = json(&r);
    let id = story["id"].as_i64().unwrap();
    let story_url = story["url"].as_str().unwrap().to_owned();
    let comment = |body: serde_json::Value| {
        let r = request(
            "POST",
            &format!("{base}/api/v1/articles/{id}/comments"),
            None,
            Some(("application/json", body.to_string().into_bytes())),
        );
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        let c = json(&r)["id"].as_i64().unwrap();
        let r = request(
            "PATCH",
            &format!("{base}/api/v1/comments/{c}"),
            Some(token),
            Some((
                "application/json",
                serde_json::json!({"status": "approved"})
                    .to_string()
                    .into_bytes(),
            )),
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        c
    };
    let first = comment(serde_json::json!({
        "author_name": "Rosa Reader", "author_email": "rosa@example.net", "content": "Welcome back, boats."
    }));
    comment(serde_json::json!({
        "author_name": "Sam Reader", "author_email": "sam@example.net", "content": "Agreed!", "parent": first
    }));
    Made {
        token: token.to_owned(),
        story_url,
        image_urls,
    }
}

/// An editor and a write token, made from the command line before the first start.
fn editor_token(data: &Path, cwd: &Path) -> String {
    let data = data.to_str().unwrap();
    let (ok, _, err) = run(
        &[
            "user",
            "add",
            "--data",
            data,
            "--email",
            "edith@example.org",
            "--name",
            "Edith Editor",
            "--role",
            "editor",
            "--password-stdin",
        ],
        cwd,
        "a long and unusual passphrase\n",
    );
    assert!(ok, "{err}");
    let (ok, token, err) = run(
        &[
            "token",
            "create",
            "--data",
            data,
            "--user",
            "edith@example.org",
            "--scope",
            "write",
        ],
        cwd,
        "",
    );
    assert!(ok, "{err}");
    // Two comments from one address in a second are a flood under the default rules.
    let db = format!("sqlite://{data}/masthead.db");
    runtime().block_on(async {
        let store = masthead_store::Store::open(
            &masthead_store::StoreOptions::new(db),
            std::sync::Arc::new(masthead_core::SystemClock),
        )
        .await
        .unwrap();
        let rules = masthead_core::comment::CommentRules {
            flood_seconds: 0,
            min_form_seconds: 0,
            ..Default::default()
        };
        store
            .set_setting("comments", &serde_json::to_string(&rules).unwrap())
            .await
            .unwrap();
        store.close().await;
    });
    token.trim().to_owned()
}

/// What a reader and an API client see, with two things masked: the server's own
/// address (a different port for each server) becomes `BASE`, and the comment form's
/// signed timestamp (the moment the page was rendered) becomes `STAMP`. Everything else
/// must be byte for byte the same.
fn answers(base: &str, made: &Made) -> Vec<(String, String)> {
    let mut paths: Vec<String> = [
        "/api/v1/articles?include=body&per_page=100",
        "/api/v1/articles?include=body&per_page=5&page=2",
        "/api/v1/sections",
        "/api/v1/tags",
        "/api/v1/authors",
        "/",
        "/section/world/",
        "/tag/boats/",
        "/feed/",
        "/sitemap.xml",
        "/about/",
    ]
    .iter()
    .map(|p| (*p).to_owned())
    .collect();
    paths.push(made.story_url.clone());
    let mut out = Vec::new();
    for p in paths {
        let r = request("GET", &format!("{base}{p}"), None, None);
        let text = mask_stamp(&String::from_utf8_lossy(&r.body).replace(base, "BASE"));
        out.push((format!("{p} {}", r.status), text));
    }
    // The image's every width answers, the same bytes.
    for url in &made.image_urls {
        let r = request("GET", &format!("{base}{url}"), None, None);
        assert_eq!(r.status, 200, "{url}");
        assert_eq!(r.content_type, "image/jpeg");
        out.push((
            url.clone(),
            format!("{} bytes {:x}", r.body.len(), md5::compute(&r.body)),
        ));
    }
    out
}

fn mask_stamp(page: &str) -> String {
    const STAMP: &str = "name=\"masthead_stamp\" value=\"";
    let mut out = String::with_capacity(page.len());
    let mut rest = page;
    while let Some(at) = rest.find(STAMP) {
        let (head, tail) = rest.split_at(at + STAMP.len());
        out.push_str(head);
        out.push_str("STAMP");
        rest = &tail[tail.find('"').unwrap()..];
    }
    out.push_str(rest);
    out
}

/// Compares two sites' answers and says where they first differ.
fn assert_same(what: &str, left: &[(String, String)], right: &[(String, String)]) {
    assert_eq!(left.len(), right.len());
    for ((p1, b1), (p2, b2)) in left.iter().zip(right) {
        assert_eq!(p1, p2, "{what}");
        if b1 != b2 {
            let at = b1
                .bytes()
                .zip(b2.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(b1.len().min(b2.len()));
            let from = at.saturating_sub(150);
            panic!(
                "{what}: {p1} differs at byte {at}:\n  before: {}\n  after:  {}",
                &b1[from..(at + 150).min(b1.len())],
                &b2[from..(at + 150).min(b2.len())]
            );
        }
    }
}

/// A site's answers settle once its search index and related stories are built.
fn settled(base: &str, made: &Made) -> Vec<(String, String)> {
    let mut last = answers(base, made);
    for _ in 0..40 {
        std::thread::sleep(Duration::from_millis(250));
        let next = answers(base, made);
        if next == last {
            return next;
        }
        last = next;
    }
    last
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_backup_of_a_running_site_restores_into_a_fresh_folder_with_the_same_answers() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = d.join("site");
    let token = editor_token(&data, d);
    let server = serve(&["--data", path(&data)], d);
    let made = make_content(&server.base, &token);
    let before = settled(&server.base, &made);
    assert!(
        before
            .iter()
            .any(|(_, b)| b.contains("Boats return to the quay"))
    );

    // While it serves, and while it is written to.
    let archive = d.join("site.tar");
    let writer = {
        let base = server.base.clone();
        let token = made.token.clone();
        std::thread::spawn(move || {
            for i in 0..5 {
                let body = serde_json::json!({"title": format!("Draft {i}"), "status": "draft"});
                let r = request(
                    "POST",
                    &format!("{base}/api/v1/articles"),
                    Some(&token),
                    Some(("application/json", body.to_string().into_bytes())),
                );
                assert_eq!(r.status, 201);
            }
        })
    };
    let out = ok(&["backup", path(&archive), "--data", path(&data)], d);
    writer.join().unwrap();
    assert!(
        out.contains("Backed up") && out.contains("media files"),
        "{out}"
    );
    assert!(archive.is_file());
    assert!(!d.join("site.tar.tmp").exists() && !d.join("site.tar.tmp.d").exists());
    // What the archive holds.
    let mut names = Vec::new();
    let mut tar = tar::Archive::new(std::fs::File::open(&archive).unwrap());
    let mut manifest = String::new();
    for entry in tar.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        if name == "manifest.json" {
            entry.read_to_string(&mut manifest).unwrap();
        }
        names.push(name);
    }
    assert_eq!(names[0], "manifest.json");
    for table in [
        "articles",
        "comments",
        "users",
        "api_tokens",
        "media",
        "changes",
    ] {
        assert!(
            names
                .iter()
                .any(|n| n.ends_with(&format!("-{table}.jsonl"))),
            "{table} in {names:?}"
        );
    }
    assert!(!names.iter().any(|n| n.contains("_sqlx_migrations")));
    let media_files = names.iter().filter(|n| n.starts_with("media/")).count();
    assert!(media_files >= made.image_urls.len(), "{names:?}");
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(manifest["format"], "masthead-backup");
    assert!(manifest["schema_version"].as_i64().unwrap() > 0);

    // Into a fresh folder, then served: the same answers.
    let restored = d.join("restored");
    let out = ok(&["restore", path(&archive), "--data", path(&restored)], d);
    assert!(out.contains("Restored"), "{out}");
    assert!(
        !restored.join("search").exists(),
        "the index is built at start"
    );
    let copy = serve(&["--data", path(&restored)], d);
    let after = settled(&copy.base, &made);
    // The drafts written during the backup are in it or not, all or none of each.
    assert_same("restored", &before, &after);
    // The restored site's accounts and tokens work; new content gets new ids.
    let body = serde_json::json!({"title": "After the restore", "status": "published"});
    let r = request(
        "POST",
        &format!("{}/api/v1/articles", copy.base),
        Some(&made.token),
        Some(("application/json", body.to_string().into_bytes())),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let search = request(
        "GET",
        &format!("{}/api/v1/search?q=quay", copy.base),
        None,
        None,
    );
    assert_eq!(search.status, 200);
}

#[test]
fn db_copy_moves_a_site_to_postgres_and_back_with_the_same_answers() {
    let Some(pg) = runtime().block_on(masthead_testkit::TestDb::postgres()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = d.join("site");
    let token = editor_token(&data, d);
    let (made, before) = {
        let server = serve(&["--data", path(&data)], d);
        let made = make_content(&server.base, &token);
        let before = settled(&server.base, &made);
        (made, before)
    };
    // SQLite → PostgreSQL; the media stay in the data folder, the index is the new site's.
    let out = ok(&["db", "copy", "--data", path(&data), "--to", &pg.url], d);
    assert!(
        out.contains("Copied") && out.contains("PostgreSQL"),
        "{out}"
    );
    let on_pg = d.join("on-pg");
    std::fs::create_dir_all(&on_pg).unwrap();
    copy_dir(&data.join("media"), &on_pg.join("media"));
    let after = {
        let server = serve(&["--data", path(&on_pg), "--database-url", &pg.url], d);
        settled(&server.base, &made)
    };
    assert_same("on PostgreSQL", &before, &after);
    // A second copy into the same database is refused: it is not empty.
    let err = fails(&["db", "copy", "--data", path(&data), "--to", &pg.url], d);
    assert!(err.contains("not empty"), "{err}");

    // And back: PostgreSQL → a new SQLite file.
    let back = d.join("back");
    std::fs::create_dir_all(&back).unwrap();
    copy_dir(&data.join("media"), &back.join("media"));
    let url = format!("sqlite://{}", back.join("masthead.db").display());
    let out = ok(
        &[
            "db",
            "copy",
            "--data",
            path(&on_pg),
            "--database-url",
            &pg.url,
            "--to",
            &url,
        ],
        d,
    );
    assert!(out.contains("Copied"), "{out}");
    let server = serve(&["--data", path(&back)], d);
    let again = settled(&server.base, &made);
    assert_same("back on SQLite", &before, &again);
    drop(server);

    // A backup restores into PostgreSQL too (its media into the data folder named).
    let pg2 = runtime()
        .block_on(masthead_testkit::TestDb::postgres())
        .unwrap();
    let archive = d.join("site.tar");
    ok(&["backup", path(&archive), "--data", path(&data)], d);
    let restored = d.join("restored-pg");
    let out = ok(
        &[
            "restore",
            path(&archive),
            "--data",
            path(&restored),
            "--database-url",
            &pg2.url,
        ],
        d,
    );
    assert!(out.contains("into the PostgreSQL database"), "{out}");
    let server = serve(&["--data", path(&restored), "--database-url", &pg2.url], d);
    let restored = settled(&server.base, &made);
    assert_same("restored into PostgreSQL", &before, &restored);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Writes a tar of `entries` (name, bytes).
fn write_tar(file: &Path, entries: &[(String, Vec<u8>)]) {
    let mut b = tar::Builder::new(std::fs::File::create(file).unwrap());
    for (name, bytes) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, name, bytes.as_slice()).unwrap();
    }
    b.finish().unwrap();
}

fn read_tar(file: &Path) -> Vec<(String, Vec<u8>)> {
    let mut tar = tar::Archive::new(std::fs::File::open(file).unwrap());
    tar.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = e.path().unwrap().to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            (name, bytes)
        })
        .collect()
}

#[test]
fn bad_archives_and_sites_that_are_not_empty_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = d.join("site");
    // A site with the demo in it, stopped.
    drop(serve(&["--data", path(&data)], d));
    let archive = d.join("good.tar");
    ok(&["backup", path(&archive), "--data", path(&data)], d);
    let good = std::fs::read(&archive).unwrap();
    let fresh = |name: &str| -> PathBuf { d.join(name) };

    // Garbage.
    let garbage = d.join("garbage.tar");
    std::fs::write(
        &garbage,
        b"this is not an archive at all, just words\n".repeat(40),
    )
    .unwrap();
    let err = fails(&["restore", path(&garbage), "--data", path(&fresh("a"))], d);
    assert!(err.contains("is not a complete Masthead backup"), "{err}");
    assert!(!fresh("a").exists(), "nothing written");

    // Truncated, at several places: in the manifest, in a table, near the end.
    for (i, cut) in [300, good.len() / 3, good.len() / 2, good.len() - 2000]
        .into_iter()
        .enumerate()
    {
        let short = d.join(format!("short{i}.tar"));
        std::fs::write(&short, &good[..cut]).unwrap();
        let target = fresh(&format!("t{i}"));
        let err = fails(&["restore", path(&short), "--data", path(&target)], d);
        assert!(
            err.contains("not a complete Masthead backup"),
            "cut at {cut}: {err}"
        );
        assert!(!target.exists(), "cut at {cut}: nothing written");
    }

    // A table line broken in the middle of an otherwise whole archive.
    let mut entries = read_tar(&archive);
    let articles = entries
        .iter()
        .position(|(n, _)| n.ends_with("-articles.jsonl"))
        .unwrap();
    entries[articles].1 = b"[1, \"half a row\"\n".to_vec();
    let broken = d.join("broken.tar");
    write_tar(&broken, &entries);
    let err = fails(&["restore", path(&broken), "--data", path(&fresh("b"))], d);
    assert!(err.contains("articles.jsonl, line 1"), "{err}");
    assert!(!fresh("b").exists());

    // Another schema version.
    let mut entries = read_tar(&archive);
    let mut manifest: serde_json::Value = serde_json::from_slice(&entries[0].1).unwrap();
    let version = manifest["schema_version"].as_i64().unwrap();
    manifest["schema_version"] = (version + 1).into();
    entries[0].1 = serde_json::to_vec(&manifest).unwrap();
    let newer = d.join("newer.tar");
    write_tar(&newer, &entries);
    let err = fails(&["restore", path(&newer), "--data", path(&fresh("c"))], d);
    assert!(
        err.contains(&format!("schema version {}", version + 1))
            && err.contains(&format!("this Masthead's schema is version {version}")),
        "{err}"
    );
    assert!(!fresh("c").exists());

    // Into a site that is not empty: refused, the site unchanged.
    let before = std::fs::read(data.join("masthead.db")).unwrap();
    let err = fails(&["restore", path(&archive), "--data", path(&data)], d);
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(std::fs::read(data.join("masthead.db")).unwrap(), before);
    // And a good archive still restores.
    ok(&["restore", path(&archive), "--data", path(&fresh("e"))], d);
    // A backup of a site that is not there is one sentence, and makes no file.
    let err = fails(
        &[
            "backup",
            path(&d.join("x.tar")),
            "--data",
            path(&fresh("nowhere")),
        ],
        d,
    );
    assert!(err.contains("no site database"), "{err}");
    assert!(!d.join("x.tar").exists() && !fresh("nowhere").exists());
}

#[test]
fn migrate_status_lists_what_is_pending_and_serve_can_be_told_not_to_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = d.join("site");
    std::fs::create_dir_all(&data).unwrap();
    let db = data.join("masthead.db");
    // An empty database: every migration pending.
    runtime().block_on(async {
        let store = running::open_sqlite(&db).await;
        store.close().await;
    });
    let out = ok(&["migrate", "status", "--data", path(&data)], d);
    assert!(out.contains("database: SQLite"), "{out}");
    assert!(out.contains("applied schema version: 0\n"), "{out}");
    let known: i64 = out
        .lines()
        .find_map(|l| l.strip_prefix("this Masthead's schema version: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(known >= 15);
    assert!(
        out.contains(&format!("pending migrations: {known}\n")),
        "{out}"
    );
    assert!(
        out.contains("  0001 site\n") && out.contains("  0013 comments\n"),
        "{out}"
    );

    let err = fails(
        &[
            "serve",
            "--data",
            path(&data),
            "--no-migrate",
            "--addr",
            "127.0.0.1:0",
        ],
        d,
    );
    assert!(
        err.contains("pending migrations") && err.contains("masthead migrate apply"),
        "{err}"
    );
    // The environment variable says the same.
    let (ok_env, _, err) = {
        let out = Command::new(BIN)
            .args(["serve", "--data", path(&data), "--addr", "127.0.0.1:0"])
            .env("MASTHEAD_NO_MIGRATE", "true")
            .current_dir(d)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::new(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert!(!ok_env && err.contains("--no-migrate"), "{err}");

    let out = ok(&["migrate", "apply", "--data", path(&data)], d);
    assert!(
        out.contains(&format!("Applied {known} migrations")) && out.contains("0001 site"),
        "{out}"
    );
    let out = ok(&["migrate", "status", "--data", path(&data)], d);
    assert!(
        out.contains(&format!("applied schema version: {known}\n")),
        "{out}"
    );
    assert!(out.contains("pending migrations: none\n"), "{out}");
    let out = ok(&["migrate", "apply", "--data", path(&data)], d);
    assert!(out.contains("Nothing to apply"), "{out}");
    // Now serve --no-migrate starts.
    let server = serve(&["--data", path(&data), "--no-migrate", "--no-demo"], d);
    assert_eq!(
        request("GET", &format!("{}/healthz", server.base), None, None).status,
        200
    );
    drop(server);

    // A database newer than the binary: status says so, serve refuses.
    runtime().block_on(running::add_future_migration(&db));
    let out = ok(&["migrate", "status", "--data", path(&data)], d);
    assert!(out.contains("newer than this Masthead"), "{out}");
    for extra in [&[][..], &["--no-migrate"][..]] {
        let mut args = vec!["serve", "--data", path(&data), "--addr", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let err = fails(&args, d);
        assert!(err.contains("newer than this Masthead binary"), "{err}");
    }
    let err = fails(&["migrate", "apply", "--data", path(&data)], d);
    assert!(err.contains("newer than this Masthead binary"), "{err}");
}
