//! `masthead import wxr --uploads DIR --create-accounts`: images from a local copy of
//! `wp-content/uploads` into the media library (inline, in a caption, in a gallery, as
//! the featured image, as a size variant), the old addresses answered with 301s, missing
//! and broken files reported and left alone, nothing read outside the folder, re-imports
//! that add nothing; and newsroom accounts for the export's authors, linked to their
//! bylines and invited by mail.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use common::TestSite;
use masthead_core::Role;
use masthead_import::wxr::{UploadsOptions, WxrOptions, WxrReport, import_wxr};
use masthead_media::{FsStorage, ImageMetadata, Manifest, MediaSettings};
use masthead_store::Store;
use masthead_testkit::TestDb;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

const BIN: &str = env!("CARGO_BIN_EXE_masthead");
const OLD: &str = "http://old.example/wp-content/uploads";

http_tests!(
    uploads_become_library_images_with_redirects,
    without_uploads_images_keep_their_addresses,
    a_dry_run_with_uploads_and_accounts_writes_nothing,
    authors_get_accounts_linked_to_their_bylines_and_invitations,
    the_cli_imports_uploads_into_the_media_folder_and_invites,
);

fn png(w: u32, h: u32, shade: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([shade, (x % 256) as u8, (y % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn jpeg(w: u32, h: u32, shade: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, shade, (y % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// The uploads folder: an original and its size variant, two gallery images, an inline
/// image that is no attachment, a text file named `.jpg`, and (on Unix) a link to an
/// image outside the folder.
fn uploads_tree(root: &Path) {
    let put = |rel: &str, bytes: &[u8]| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    put("2019/05/sunset.jpg", &jpeg(800, 600, 10));
    put("2019/05/sunset-300x225.jpg", &jpeg(300, 225, 200));
    put("2019/05/chart.png", &png(400, 300, 20));
    put("2019/06/photo.png", &png(500, 400, 30));
    put("2019/07/inline.jpg", &jpeg(700, 500, 40));
    put("2019/05/notes.jpg", b"these are notes, not a picture");
    #[cfg(unix)]
    {
        let outside = root.parent().unwrap().join("secret.png");
        std::fs::write(&outside, png(50, 50, 99)).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("2019/05/escape.png")).unwrap();
    }
}

fn attachment(id: i64, parent: i64, rel: &str, title: &str, alt: &str, caption: &str) -> String {
    format!(
        "<item><title>{title}</title><link>http://old.example/?attachment_id={id}</link>\
<dc:creator>ann</dc:creator><guid isPermaLink=\"false\">{OLD}/{rel}</guid>\
<content:encoded><![CDATA[]]></content:encoded><excerpt:encoded><![CDATA[{caption}]]></excerpt:encoded>\
<wp:post_id>{id}</wp:post_id><wp:post_date>2019-05-01 10:00:00</wp:post_date><wp:post_date_gmt>2019-05-01 10:00:00</wp:post_date_gmt>\
<wp:post_name>a{id}</wp:post_name><wp:status>inherit</wp:status><wp:post_parent>{parent}</wp:post_parent>\
<wp:post_type>attachment</wp:post_type><wp:attachment_url>{OLD}/{rel}</wp:attachment_url>\
<wp:postmeta><wp:meta_key>_wp_attachment_image_alt</wp:meta_key><wp:meta_value><![CDATA[{alt}]]></wp:meta_value></wp:postmeta></item>\n"
    )
}

fn author(id: i64, login: &str, email: &str, name: &str) -> String {
    format!(
        "<wp:author><wp:author_id>{id}</wp:author_id><wp:author_login><![CDATA[{login}]]></wp:author_login>\
<wp:author_email><![CDATA[{email}]]></wp:author_email><wp:author_display_name><![CDATA[{name}]]></wp:author_display_name>\
<wp:author_first_name><![CDATA[]]></wp:author_first_name><wp:author_last_name><![CDATA[]]></wp:author_last_name></wp:author>\n"
    )
}

fn wxr() -> String {
    let body = format!(
        "[caption id=\"attachment_20\" align=\"aligncenter\" width=\"300\"]<img class=\"size-medium wp-image-20\" \
src=\"{OLD}/2019/05/sunset-300x225.jpg\" alt=\"Sun\" width=\"300\" height=\"225\" /> The sun sets[/caption]\n\n\
Some text <img src=\"{OLD}/2019/07/inline.jpg\" alt=\"inline\"> and more.\n\n\
[gallery ids=\"21,22\"]\n\n\
<img src=\"{OLD}/2019/05/missing.jpg\" alt=\"gone\">\n\n\
<img src=\"{OLD}/2019/05/notes.jpg\" alt=\"text\">\n\n\
<img src=\"{OLD}/2019/05/escape.png\" alt=\"escape\">\n\n\
<img src=\"https://cdn.other.example/x.jpg\" alt=\"elsewhere\">\n\n\
<a href=\"{OLD}/2019/05/sunset.jpg\">Full size</a> <a href=\"{OLD}/2019/05/report.pdf\">Report</a>"
    );
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<rss version=\"2.0\" xmlns:excerpt=\"http://wordpress.org/export/1.2/excerpt/\" \
xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" \
xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:wp=\"http://wordpress.org/export/1.2/\">\n\
<channel><title>Old</title><link>http://old.example</link><wp:wxr_version>1.2</wp:wxr_version>\
<wp:base_site_url>http://old.example</wp:base_site_url><wp:base_blog_url>http://old.example</wp:base_blog_url>\n",
    );
    s.push_str(&author(1, "ann", "Ann@Example.com", "Ann Writer"));
    s.push_str(&author(2, "bob", "not-an-email", "Bob"));
    s.push_str(&author(3, "carol", "", "Carol"));
    s.push_str(&author(4, "dave", "dave@example.com", "Dave Editor"));
    s.push_str(&format!(
        "<item><title>Sunsets</title><link>http://old.example/2019/05/sunsets/</link>\
<dc:creator>ann</dc:creator><guid isPermaLink=\"false\">http://old.example/?p=10</guid>\
<content:encoded><![CDATA[{body}]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>\
<wp:post_id>10</wp:post_id><wp:post_date>2019-05-02 10:00:00</wp:post_date><wp:post_date_gmt>2019-05-02 10:00:00</wp:post_date_gmt>\
<wp:comment_status>open</wp:comment_status><wp:post_name>sunsets</wp:post_name><wp:status>publish</wp:status>\
<wp:post_type>post</wp:post_type>\
<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value><![CDATA[20]]></wp:meta_value></wp:postmeta></item>\n"
    ));
    s.push_str(
        "<item><title>By Dave</title><link>http://old.example/2019/05/by-dave/</link>\
<dc:creator>dave</dc:creator><guid isPermaLink=\"false\">http://old.example/?p=11</guid>\
<content:encoded><![CDATA[Dave's words.]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>\
<wp:post_id>11</wp:post_id><wp:post_date>2019-05-03 10:00:00</wp:post_date><wp:post_date_gmt>2019-05-03 10:00:00</wp:post_date_gmt>\
<wp:comment_status>open</wp:comment_status><wp:post_name>by-dave</wp:post_name><wp:status>publish</wp:status>\
<wp:post_type>post</wp:post_type></item>\n",
    );
    s.push_str(&attachment(
        20,
        10,
        "2019/05/sunset.jpg",
        "Sunset",
        "The sun over the sea",
        "Evening, <em>west</em> pier",
    ));
    s.push_str(&attachment(21, 10, "2019/05/chart.png", "Chart", "", ""));
    s.push_str(&attachment(
        22,
        10,
        "2019/06/photo.png",
        "Photo",
        "A photo",
        "",
    ));
    s.push_str("</channel></rss>\n");
    s
}

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        uploads_tree(&dir.path().join("uploads"));
        std::fs::write(dir.path().join("export.xml"), wxr()).unwrap();
        Self { dir }
    }
    fn uploads(&self) -> std::path::PathBuf {
        self.dir.path().join("uploads")
    }
    fn file(&self) -> std::path::PathBuf {
        self.dir.path().join("export.xml")
    }
}

async fn import(store: &Store, file: &Path, opts: &WxrOptions) -> WxrReport {
    let mut open = || Ok(BufReader::new(std::fs::File::open(file).unwrap()));
    import_wxr(store, &mut open, opts, &mut |_, _| {})
        .await
        .unwrap()
}

fn with_uploads(site: &TestSite, fx: &Fixture) -> WxrOptions {
    WxrOptions {
        uploads: Some(UploadsOptions {
            dir: fx.uploads(),
            storage: Arc::new(FsStorage::at(site.media_dir.path())),
            settings: MediaSettings::default(),
        }),
        ..WxrOptions::default()
    }
}

async fn article(store: &Store, slug: &str) -> masthead_store::Article {
    for id in store.all_article_ids_after(0, 100).await.unwrap() {
        let a = store.article(id).await.unwrap().unwrap();
        if a.summary.slug == slug {
            return a;
        }
    }
    panic!("no article {slug}");
}

async fn library(store: &Store) -> Vec<masthead_store::MediaRecord> {
    store
        .media_list(None, masthead_core::paging::PageRequest::new(1, 100))
        .await
        .unwrap()
        .0
}

fn failed(report: &WxrReport, rel: &str) -> bool {
    report
        .media_failed
        .iter()
        .any(|(url, _)| url == &format!("{OLD}/{rel}"))
}

async fn uploads_become_library_images_with_redirects(db: TestDb) {
    let site = TestSite::empty(db).await;
    let fx = Fixture::new();
    let opts = with_uploads(&site, &fx);
    let report = import(&site.store, &fx.file(), &opts).await;
    // sunset (its variant resolves to the original), chart, photo, inline.
    assert_eq!(report.media_imported, 4, "{:#?}", report.lines());
    assert_eq!(report.media_reused, 0);
    assert!(
        failed(&report, "2019/05/missing.jpg"),
        "{:?}",
        report.media_failed
    );
    assert!(
        failed(&report, "2019/05/notes.jpg"),
        "{:?}",
        report.media_failed
    );
    #[cfg(unix)]
    assert!(
        failed(&report, "2019/05/escape.png"),
        "{:?}",
        report.media_failed
    );
    assert_eq!(report.media_failed.len(), if cfg!(unix) { 3 } else { 2 });
    // A linked document is no image: left alone, not reported.
    assert!(!report.media_failed.iter().any(|(u, _)| u.ends_with(".pdf")));
    let lines = report.lines().join("\n");
    assert!(
        lines.contains("missing.jpg: not in the uploads folder"),
        "{lines}"
    );
    assert!(lines.contains("notes.jpg"), "{lines}");
    // What stays remote is still listed: the bad files and the other host's image.
    assert!(
        report
            .remote_images
            .contains(&"https://cdn.other.example/x.jpg".to_owned())
    );
    assert!(
        report
            .remote_images
            .contains(&format!("{OLD}/2019/05/missing.jpg"))
    );
    assert!(
        !report
            .remote_images
            .iter()
            .any(|u| u.contains("sunset") || u.contains("chart"))
    );

    let media = library(&site.store).await;
    assert_eq!(media.len(), 4);
    for m in &media {
        let manifest: Manifest = serde_json::from_str(&m.manifest).unwrap();
        assert!(!manifest.responsive.is_empty(), "{}", m.file_name);
        for r in &manifest.responsive {
            assert!(site.media_dir.path().join(r.key.as_str()).is_file());
        }
    }
    let sunset = media.iter().find(|m| m.file_name == "sunset.jpg").unwrap();
    let manifest: Manifest = serde_json::from_str(&sunset.manifest).unwrap();
    // The original (800 px), not the 300 px variant the body named.
    assert_eq!(manifest.width, 800);
    assert!(manifest.responsive.len() >= 2);
    let meta: ImageMetadata = serde_json::from_str(&sunset.meta).unwrap();
    assert_eq!(meta.alt, "The sun over the sea");
    assert_eq!(meta.caption, "Evening, west pier");
    let chart = media.iter().find(|m| m.file_name == "chart.png").unwrap();
    let meta: ImageMetadata = serde_json::from_str(&chart.meta).unwrap();
    assert_eq!(
        meta.alt, "Chart",
        "the title stands in for a missing alt text"
    );
    let sunset_url = manifest.largest().unwrap().key.url("/media");

    let a = article(&site.store, "sunsets").await;
    assert_eq!(a.featured_media_id, Some(sunset.id));
    assert_eq!(
        a.summary.featured_image.as_deref(),
        Some(sunset_url.as_str())
    );
    let body = &a.body_source;
    for gone in [
        "sunset-300x225.jpg",
        "inline.jpg",
        "chart.png",
        "photo.png",
        "sunset.jpg\"",
    ] {
        assert!(!body.contains(gone), "{gone} in {body}");
    }
    assert!(body.contains(&format!("href=\"{sunset_url}\"")), "{body}");
    assert!(body.matches("src=\"/media/").count() >= 4, "{body}");
    for kept in [
        "missing.jpg",
        "notes.jpg",
        "https://cdn.other.example/x.jpg",
        "report.pdf",
    ] {
        assert!(body.contains(kept), "{kept} not in {body}");
    }

    // The site serves them, and the old addresses lead there.
    site.settle().await;
    let got = site.get(&sunset_url).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("content-type"), Some("image/jpeg"));
    for old in ["2019/05/sunset.jpg", "2019/05/sunset-300x225.jpg"] {
        let r = site.get(&format!("/wp-content/uploads/{old}")).await;
        assert_eq!(r.status, 301, "{old}");
        assert!(
            r.header("location").unwrap().ends_with(&sunset_url),
            "{old}: {:?}",
            r.header("location")
        );
    }
    assert_eq!(
        site.get("/wp-content/uploads/2019/05/missing.jpg")
            .await
            .status,
        404
    );
    let page = site.page(&common::path_of(&site, a.summary.id).await).await;
    assert!(page.contains("/media/"), "{page}");

    // Again: the same images, nothing new.
    let again = import(&site.store, &fx.file(), &opts).await;
    assert_eq!(again.media_imported, 0);
    assert_eq!(again.media_reused, 4);
    assert_eq!(again.articles_created, 0);
    assert_eq!(library(&site.store).await.len(), 4);
    let a2 = article(&site.store, "sunsets").await;
    assert_eq!(a2.featured_media_id, Some(sunset.id));
    assert_eq!(a2.body_source, a.body_source);
}

async fn without_uploads_images_keep_their_addresses(db: TestDb) {
    let site = TestSite::empty(db).await;
    let fx = Fixture::new();
    let report = import(&site.store, &fx.file(), &WxrOptions::default()).await;
    assert_eq!(report.media_imported, 0);
    assert!(report.media_failed.is_empty());
    for rel in [
        "2019/05/sunset-300x225.jpg",
        "2019/07/inline.jpg",
        "2019/05/sunset.jpg",
    ] {
        assert!(
            report.remote_images.contains(&format!("{OLD}/{rel}")),
            "{rel}: {:?}",
            report.remote_images
        );
    }
    assert!(
        report
            .lines()
            .iter()
            .any(|l| l.contains("import them with --uploads"))
    );
    assert!(library(&site.store).await.is_empty());
    let a = article(&site.store, "sunsets").await;
    assert_eq!(a.featured_media_id, None);
    assert_eq!(
        a.summary.featured_image.as_deref(),
        Some(format!("{OLD}/2019/05/sunset.jpg").as_str())
    );
    assert!(a.body_source.contains(&format!("{OLD}/2019/07/inline.jpg")));
    assert!(!a.body_source.contains("/media/"));
    assert!(
        site.store.users().await.unwrap().is_empty(),
        "no accounts by default"
    );
}

async fn a_dry_run_with_uploads_and_accounts_writes_nothing(db: TestDb) {
    let site = TestSite::empty(db).await;
    let fx = Fixture::new();
    let mut opts = with_uploads(&site, &fx);
    opts.dry_run = true;
    opts.create_accounts = true;
    let report = import(&site.store, &fx.file(), &opts).await;
    assert_eq!(report.media_imported, 4, "found: the four images");
    assert!(failed(&report, "2019/05/missing.jpg"));
    assert!(failed(&report, "2019/05/notes.jpg"));
    assert_eq!(
        report.accounts_created,
        vec!["ann@example.com".to_owned(), "dave@example.com".to_owned()]
    );
    assert!(report.new_account_ids.is_empty());
    assert!(library(&site.store).await.is_empty());
    assert!(site.store.users().await.unwrap().is_empty());
    assert!(
        std::fs::read_dir(site.media_dir.path())
            .unwrap()
            .next()
            .is_none()
    );
}

async fn authors_get_accounts_linked_to_their_bylines_and_invitations(db: TestDb) {
    let site = TestSite::empty(db).await;
    let fx = Fixture::new();
    let dave = common::add_user(&site, "Dave@example.com", Role::Editor).await;
    let opts = WxrOptions {
        create_accounts: true,
        ..WxrOptions::default()
    };
    let report = import(&site.store, &fx.file(), &opts).await;
    assert_eq!(report.accounts_created, vec!["ann@example.com".to_owned()]);
    assert_eq!(report.accounts_linked, vec!["dave@example.com".to_owned()]);
    let skipped: Vec<&str> = report
        .authors_without_account
        .iter()
        .map(|(l, _)| l.as_str())
        .collect();
    assert_eq!(skipped, ["bob", "carol"]);
    let lines = report.lines().join("\n");
    assert!(lines.contains("author bob: no account made"), "{lines}");

    let ann = site
        .store
        .user_by_email("ann@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.new_account_ids, vec![ann.id]);
    assert_eq!(ann.role, Role::Contributor);
    assert_eq!(ann.name, "Ann Writer");
    assert!(!ann.has_password);
    let ann_byline = site.store.author_by_slug("ann").await.unwrap().unwrap();
    assert_eq!(
        site.store.user_author(ann.id).await.unwrap(),
        Some(ann_byline.id)
    );
    // The existing account is linked and otherwise untouched.
    let dave_after = site.store.user(dave).await.unwrap().unwrap();
    assert_eq!(dave_after.role, Role::Editor);
    let dave_byline = site.store.author_by_slug("dave").await.unwrap().unwrap();
    assert_eq!(
        site.store.user_author(dave).await.unwrap(),
        Some(dave_byline.id)
    );
    assert!(
        site.store
            .user_by_email("not-an-email")
            .await
            .unwrap()
            .is_none()
    );

    // The newsroom's own invitation, as the CLI sends it.
    for id in &report.new_account_ids {
        let user = site.store.user(*id).await.unwrap().unwrap();
        masthead_web::newsroom::send_invitation(&site.state, &user, "The import")
            .await
            .unwrap();
    }
    let mail = site.delivered_mail(1).await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0].contains("To: ann@example.com"), "{}", mail[0]);
    assert!(mail[0].contains("/newsroom/invitation/"), "{}", mail[0]);
    assert!(
        mail[0].contains("The import has invited you"),
        "{}",
        mail[0]
    );

    // Again: nothing new.
    let again = import(&site.store, &fx.file(), &opts).await;
    assert!(again.accounts_created.is_empty());
    assert!(again.new_account_ids.is_empty());
    assert!(again.accounts_linked.is_empty());
    assert_eq!(site.store.users().await.unwrap().len(), 2);
}

async fn the_cli_imports_uploads_into_the_media_folder_and_invites(db: TestDb) {
    let site = TestSite::empty(db).await;
    let fx = Fixture::new();
    let data = fx.dir.path().join("data");
    let url = site.db.url.clone();
    let run = {
        let file = fx.file();
        let uploads = fx.uploads();
        let data = data.clone();
        move || {
            std::process::Command::new(BIN)
                .args(["import", "wxr"])
                .arg(&file)
                .arg("--data")
                .arg(&data)
                .args(["--database-url", &url])
                .arg("--uploads")
                .arg(&uploads)
                .args(["--create-accounts", "--quiet"])
                .env_remove("MASTHEAD_SMTP_HOST")
                .output()
                .unwrap()
        }
    };
    let first = tokio::task::spawn_blocking(run.clone()).await.unwrap();
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        stdout.contains("media library: imported 4 files from the uploads folder"),
        "{stdout}"
    );
    assert!(stdout.contains("image kept at its old address"), "{stdout}");
    assert!(stdout.contains("newsroom accounts created"), "{stdout}");
    assert!(
        stdout.contains("invitations: 2 queued, 2 sent now"),
        "{stdout}"
    );

    let media = library(&site.store).await;
    assert_eq!(media.len(), 4);
    for m in &media {
        let manifest: Manifest = serde_json::from_str(&m.manifest).unwrap();
        for r in &manifest.responsive {
            assert!(
                data.join("media").join(r.key.as_str()).is_file(),
                "{} is not where the server serves media from",
                r.key
            );
        }
    }
    let mails: Vec<String> = std::fs::read_dir(data.join("mail"))
        .unwrap()
        .flatten()
        .map(|e| {
            std::fs::read_to_string(e.path())
                .unwrap()
                .replace("=\r\n", "")
        })
        .collect();
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().all(|m| m.contains("/newsroom/invitation/")));
    assert!(mails.iter().any(|m| m.contains("To: dave@example.com")));
    // Another process's writes: seen once the change-log follower has read them.
    site.settle().await;
    let r = site.get("/wp-content/uploads/2019/05/sunset.jpg").await;
    assert_eq!(r.status, 301);
    assert!(r.header("location").unwrap().contains("/media/"));

    let second = tokio::task::spawn_blocking(run).await.unwrap();
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success(), "{stdout}");
    assert!(stdout.contains("imported 0 files"), "{stdout}");
    assert!(!stdout.contains("invitations"), "{stdout}");
    assert_eq!(library(&site.store).await.len(), 4);
    assert_eq!(std::fs::read_dir(data.join("mail")).unwrap().count(), 2);
    assert_eq!(site.store.users().await.unwrap().len(), 2);
}
