//! `masthead export wxr`: a site built in a throwaway store (both backends) is exported,
//! checked by `xmllint` (which knows nothing of our code), and read back through our own
//! WXR reader, which must find the store's content: counts, titles, slugs, statuses,
//! terms, comment threads, dates and bodies.
#![expect(clippy::unwrap_used, reason = "tests")]

use chrono::{DateTime, Duration, TimeZone, Utc};
use masthead_core::comment::CommentStatus;
use masthead_core::{ArticleStatus, BodyFormat};
use masthead_import::wxr::export::{ExportOptions, ExportReport, WxrIds, export_wxr};
use masthead_import::wxr::{Author, Category, Channel, Item, Tag, WxrEvent, WxrReader};
use masthead_store::{Article, NewArticle, NewAuthor, NewComment, NewMedia, NewPage, NewSection};
use masthead_testkit::{TestStore, backend_tests, test_now};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::process::Command;

const XMLLINT: &str = "/usr/bin/xmllint";
const SITE: &str = "https://example.com";

backend_tests!(whole_site_round_trips, many_articles_stream_in_batches);

/// Everything the reader yields for a file.
#[derive(Default)]
struct Read {
    channel: Option<Channel>,
    authors: Vec<Author>,
    categories: Vec<Category>,
    tags: Vec<Tag>,
    items: Vec<Item>,
}

fn read_back(bytes: &[u8]) -> Read {
    let mut reader = WxrReader::new(bytes).unwrap();
    let mut out = Read::default();
    while let Some(ev) = reader.next_event().unwrap() {
        match ev {
            WxrEvent::Channel(c) => out.channel = Some(c),
            WxrEvent::Author(a) => out.authors.push(a),
            WxrEvent::Category(c) => out.categories.push(c),
            WxrEvent::Tag(t) => out.tags.push(t),
            WxrEvent::Term(t) => panic!("unexpected term {t:?}"),
            WxrEvent::Item(i) => out.items.push(*i),
        }
    }
    out
}

/// Runs `xmllint --noout` over the export; skips loudly without xmllint.
fn xmllint_accepts(bytes: &[u8]) {
    if !Path::new(XMLLINT).is_file() {
        masthead_testkit::skip("xmllint is not installed at /usr/bin/xmllint");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("export.xml");
    std::fs::write(&file, bytes).unwrap();
    let out = Command::new(XMLLINT)
        .arg("--noout")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "xmllint refused the export: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn gmt(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn wp_status(s: ArticleStatus) -> &'static str {
    match s {
        ArticleStatus::Published => "publish",
        ArticleStatus::Scheduled => "future",
        ArticleStatus::Draft => "draft",
        ArticleStatus::Pending => "pending",
        ArticleStatus::Private => "private",
        ArticleStatus::Trash => "trash",
    }
}

async fn export(t: &TestStore) -> (Vec<u8>, ExportReport) {
    fn assert_send<T: Send>(_: &T) {}
    let mut buf = Vec::new();
    let opts = ExportOptions::new(format!("{SITE}/"));
    let export = export_wxr(&t.store, &mut buf, &opts);
    // The CLI (or a server task) may spawn it.
    assert_send(&export);
    let report = export.await.unwrap();
    (buf, report)
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn comment(
    article_id: i64,
    parent_id: Option<i64>,
    status: CommentStatus,
    body: &str,
) -> NewComment {
    NewComment {
        article_id,
        parent_id,
        status: Some(status),
        kind: "comment".to_owned(),
        author_name: "Rita Reader".to_owned(),
        author_email: "Rita@Example.org".to_owned(),
        author_url: "https://rita.example/?a=1&b=2".to_owned(),
        body: body.to_owned(),
        body_format: "text".to_owned(),
        client_ip: "203.0.113.7".to_owned(),
        user_agent: "Test".to_owned(),
        created_at: Some(at(2026, 6, 3, 8, 15)),
        ..NewComment::default()
    }
}

async fn whole_site_round_trips(t: TestStore) {
    let s = &t.store;
    s.set_timezone(chrono_tz::Europe::Paris);
    s.set_setting("site.title", "The Courier & <Co>")
        .await
        .unwrap();
    s.set_setting("site.tagline", "News of Northbridge")
        .await
        .unwrap();

    // Sections (a three-level tree), bylines, an image.
    for (slug, name, parent) in [
        ("news", "News", None),
        ("politics", "Politics", Some("news")),
        ("city-hall", "City Hall", Some("politics")),
        ("culture", "Culture", None),
    ] {
        s.upsert_section(&NewSection {
            slug: slug.to_owned(),
            name: name.to_owned(),
            description: format!("All about {name} & more"),
            parent_slug: parent.map(str::to_owned),
        })
        .await
        .unwrap();
    }
    for (slug, name) in [
        ("ada-lovelace", "Ada Lovelace"),
        ("grace-hopper", "Grace Hopper"),
    ] {
        s.upsert_author(&NewAuthor {
            slug: slug.to_owned(),
            name: name.to_owned(),
            bio: "Writes.".to_owned(),
        })
        .await
        .unwrap();
    }
    let media_id = s
        .add_media(&NewMedia {
            hash: "ab12".to_owned(),
            file_name: "Harbour at dawn.jpg".to_owned(),
            width: 1600,
            height: 900,
            manifest: r#"{"hash":"ab12","source_format":"jpeg","width":1600,"height":900,
                "responsive":[{"width":320,"height":180,"key":"ab/ab12/w320.jpg","webp_key":null},
                              {"width":1600,"height":900,"key":"ab/ab12/w1600.jpg","webp_key":null}],
                "social":{"width":1200,"height":630,"key":"ab/ab12/social-500-500.jpg","webp_key":null}}"#
                .to_owned(),
            meta: r#"{"alt":"The harbour","decorative":false,"caption":"Boats <at> dawn","credit":"Photo: Jo","licence":"CC BY 4.0","focal":{"x":500,"y":500}}"#
                .to_owned(),
            search_text: "harbour".to_owned(),
            uploaded_by: None,
        })
        .await
        .unwrap();

    // Articles in every state.
    let published = at(2026, 6, 1, 22, 30); // 2 June, 00:30 in Paris
    let mut lead = NewArticle::published("Council passes the budget", "Politics", published);
    lead.other_sections = vec!["City Hall".to_owned(), "News".to_owned()];
    lead.tags = vec!["Budget".to_owned(), "Taxes".to_owned()];
    lead.authors = vec!["Grace Hopper".to_owned(), "Ada Lovelace".to_owned()];
    lead.body_format = BodyFormat::Html;
    lead.body_source = "<p>Passed\r\nat last &amp; <em>finally</em>.</p>".to_owned();
    lead.body_html = "<p>rendered, not exported</p>".to_owned();
    lead.editor_excerpt = Some("The budget passed.".to_owned());
    lead.kicker = Some("Money".to_owned());
    lead.dek = Some("After a long night".to_owned());
    lead.featured = true;
    lead.featured_media_id = Some(media_id);
    lead.external_id = Some("https://old.example/?p=77".to_owned());
    lead.updated_at = Some(at(2026, 6, 5, 9, 0));
    let lead_id = s.save_article(&lead).await.unwrap().id;

    let mut odd = NewArticle::published(
        "Tom & Jerry <live> ]]> at the park",
        "Culture",
        at(2026, 5, 20, 10, 0),
    );
    odd.body_source = "**Bold** ]]> text".to_owned();
    odd.body_html = "<p><strong>Bold</strong> ]]> text\u{1} and \u{fffe}more</p>".to_owned();
    odd.authors = vec!["Ada Lovelace".to_owned()];
    odd.comments_open = false;
    let odd_id = s.save_article(&odd).await.unwrap().id;

    let mut cyrillic = NewArticle::published("Привет, мир", "Culture", at(2026, 5, 1, 6, 0));
    cyrillic.slug = Some("привет-мир".to_owned());
    cyrillic.tags = vec!["Город".to_owned()];
    cyrillic.language = "ru".to_owned();
    let cyrillic_id = s.save_article(&cyrillic).await.unwrap().id;

    let mut draft = NewArticle::published("A draft", "News", published);
    draft.status = ArticleStatus::Draft;
    draft.published_at = None;
    let draft_id = s.save_article(&draft).await.unwrap().id;

    let mut scheduled =
        NewArticle::published("Coming soon", "News", test_now() + Duration::days(10));
    scheduled.status = ArticleStatus::Scheduled;
    let scheduled_id = s.save_article(&scheduled).await.unwrap().id;

    let mut private = NewArticle::published("Eyes only", "News", at(2026, 4, 1, 12, 0));
    private.status = ArticleStatus::Private;
    let private_id = s.save_article(&private).await.unwrap().id;

    let mut trashed = NewArticle::published("Thrown away", "News", at(2026, 3, 1, 12, 0));
    trashed.status = ArticleStatus::Trash;
    trashed.published_at = None;
    s.save_article(&trashed).await.unwrap();

    // Comments: a thread three deep, a held reply, spam and trash (never exported), a
    // reply to spam (exported at the top level), a pingback.
    let c1 = s
        .add_comment(&comment(
            lead_id,
            None,
            CommentStatus::Approved,
            "I agree & <so> do I",
        ))
        .await
        .unwrap();
    let c2 = s
        .add_comment(&comment(
            lead_id,
            Some(c1),
            CommentStatus::Approved,
            "Me too",
        ))
        .await
        .unwrap();
    let c3 = s
        .add_comment(&comment(
            lead_id,
            Some(c2),
            CommentStatus::Held,
            "Held ]]> reply",
        ))
        .await
        .unwrap();
    let spam = s
        .add_comment(&comment(lead_id, None, CommentStatus::Spam, "Cheap pills"))
        .await
        .unwrap();
    let c5 = s
        .add_comment(&comment(
            lead_id,
            Some(spam),
            CommentStatus::Approved,
            "Under spam",
        ))
        .await
        .unwrap();
    let trash = s
        .add_comment(&comment(lead_id, Some(c1), CommentStatus::Trash, "Rude"))
        .await
        .unwrap();
    let mut ping = comment(
        lead_id,
        None,
        CommentStatus::Approved,
        "<a href=\"x\">Linked</a>",
    );
    ping.kind = "pingback".to_owned();
    ping.body_format = "html".to_owned();
    let c6 = s.add_comment(&ping).await.unwrap();
    let c7 = s
        .add_comment(&comment(
            odd_id,
            None,
            CommentStatus::Held,
            "On the odd one",
        ))
        .await
        .unwrap();

    // Pages.
    let about = s
        .save_page(
            None,
            &NewPage {
                slug: "about".to_owned(),
                title: "About us".to_owned(),
                body_format: BodyFormat::Markdown,
                body_source: "We are **here**.".to_owned(),
                body_html: "<p>We are <strong>here</strong>.</p>".to_owned(),
                status: ArticleStatus::Published,
            },
        )
        .await
        .unwrap();
    let contact = s
        .save_page(
            None,
            &NewPage {
                slug: "contact".to_owned(),
                title: "Contact".to_owned(),
                body_format: BodyFormat::Html,
                body_source: "<p>Write to us</p>".to_owned(),
                body_html: "<p>ignored</p>".to_owned(),
                status: ArticleStatus::Draft,
            },
        )
        .await
        .unwrap();

    let (bytes, report) = export(&t).await;
    xmllint_accepts(&bytes);
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains("]]]]><![CDATA[>"), "]]> is split");
    assert!(!text.contains("Cheap pills") && !text.contains("Rude"));
    let read = read_back(&bytes);

    // Counts.
    let sections = s.sections().await.unwrap();
    let tags = s.tags().await.unwrap();
    let authors = s.authors().await.unwrap();
    assert_eq!(report.articles, 7);
    assert_eq!(report.pages, 2);
    assert_eq!(report.attachments, 1);
    assert_eq!(report.comments, 6);
    assert_eq!(report.sections, sections.len() as u64);
    assert_eq!(report.tags, tags.len() as u64);
    assert_eq!(report.authors, authors.len() as u64);
    assert_eq!(read.categories.len(), sections.len());
    assert_eq!(read.tags.len(), tags.len());
    assert_eq!(read.authors.len(), authors.len());
    let count = |ty: &str| read.items.iter().filter(|i| i.post_type == ty).count();
    assert_eq!(
        (count("post"), count("page"), count("attachment")),
        (7, 2, 1)
    );

    // The channel.
    let channel = read.channel.as_ref().unwrap();
    assert_eq!(channel.wxr_version, "1.2");
    assert_eq!(channel.title, "The Courier & <Co>");
    assert_eq!(channel.description, "News of Northbridge");
    assert_eq!(channel.base_site_url, SITE);
    assert_eq!(channel.base_blog_url, SITE);
    assert_eq!(channel.link, SITE);

    // Bylines: login = slug, no email.
    for a in &authors {
        let found = read.authors.iter().find(|r| r.id == a.id).unwrap();
        assert_eq!(found.login, a.slug);
        assert_eq!(found.display_name, a.name);
        assert_eq!(found.email, "");
    }

    // Sections: parents first, parent by nicename; term ids unique across sections and tags.
    let by_id: HashMap<i64, &masthead_store::Section> =
        sections.iter().map(|x| (x.id, x)).collect();
    for sec in &sections {
        let pos = read
            .categories
            .iter()
            .position(|c| c.nicename == sec.slug)
            .unwrap();
        let cat = &read.categories[pos];
        assert_eq!(cat.term_id, sec.id);
        assert_eq!(cat.name, sec.name);
        assert_eq!(cat.description, sec.description);
        let parent = sec
            .parent_id
            .map(|p| by_id[&p].slug.clone())
            .unwrap_or_default();
        assert_eq!(cat.parent, parent);
        if !parent.is_empty() {
            let ppos = read
                .categories
                .iter()
                .position(|c| c.nicename == parent)
                .unwrap();
            assert!(ppos < pos, "{parent} comes before {}", sec.slug);
        }
    }
    for tag in &tags {
        let found = read
            .tags
            .iter()
            .find(|r| percent_decode(&r.slug) == tag.slug)
            .unwrap();
        assert_eq!(found.name, tag.name);
    }
    let term_ids: HashSet<i64> = read
        .categories
        .iter()
        .map(|c| c.term_id)
        .chain(read.tags.iter().map(|t| t.term_id))
        .collect();
    assert_eq!(term_ids.len(), sections.len() + tags.len());

    // Post ids are unique; pages and attachments follow the documented scheme.
    let post_ids: HashSet<i64> = read.items.iter().map(|i| i.post_id).collect();
    assert_eq!(post_ids.len(), read.items.len());
    let extent = s.export_extent().await.unwrap();
    let ids = WxrIds::new(&extent);
    assert_eq!(ids.page(about), extent.max_article_id + about);
    let item = |post_id: i64| read.items.iter().find(|i| i.post_id == post_id).unwrap();

    // Every article matches the store.
    let tz = s.timezone();
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let batch = s.export_articles(after, 3).await.unwrap();
        let Some(last) = batch.last() else { break };
        after = last.summary.id;
        all.extend(batch);
    }
    assert_eq!(all.len(), 7);
    for a in &all {
        check_article(a, item(a.summary.id), tz);
    }

    // The lead in detail.
    let lead_item = item(lead_id);
    assert_eq!(lead_item.creator, "grace-hopper");
    assert_eq!(lead_item.guid, "https://old.example/?p=77");
    assert!(!lead_item.guid_is_permalink);
    assert_eq!(
        lead_item.link,
        format!("{SITE}/2026/06/02/council-passes-the-budget/")
    );
    assert_eq!(lead_item.post_date, "2026-06-02 00:30:00");
    assert_eq!(lead_item.post_date_gmt, "2026-06-01 22:30:00");
    assert_eq!(lead_item.post_modified_gmt, "2026-06-05 09:00:00");
    assert_eq!(lead_item.post_modified, "2026-06-05 11:00:00");
    assert_eq!(
        lead_item.content,
        "<p>Passed\r\nat last &amp; <em>finally</em>.</p>"
    );
    assert_eq!(lead_item.excerpt, "The budget passed.");
    assert_eq!(lead_item.description, "After a long night");
    assert!(lead_item.is_sticky);
    assert_eq!(lead_item.comment_status, "open");
    assert_eq!(lead_item.meta("_masthead_kicker"), Some("Money"));
    let terms = |i: &Item, d: &str| i.terms(d).map(|t| t.nicename.clone()).collect::<Vec<_>>();
    assert_eq!(
        terms(lead_item, "category"),
        ["politics", "city-hall", "news"]
    );
    assert_eq!(terms(lead_item, "post_tag"), ["budget", "taxes"]);
    assert_eq!(terms(lead_item, "author"), ["ada-lovelace"]);
    let attachment = item(ids.attachment(media_id));
    assert_eq!(
        lead_item.meta("_thumbnail_id"),
        Some(attachment.post_id.to_string().as_str())
    );
    assert_eq!(
        attachment.post_id,
        extent.max_article_id + extent.max_page_id + media_id
    );
    assert_eq!(attachment.post_type, "attachment");
    assert_eq!(attachment.status, "inherit");
    assert_eq!(
        attachment.attachment_url,
        format!("{SITE}/media/ab/ab12/w1600.jpg")
    );
    assert_eq!(attachment.title, "Harbour at dawn");
    assert_eq!(attachment.excerpt, "Boats <at> dawn");
    assert_eq!(
        attachment.meta("_wp_attachment_image_alt"),
        Some("The harbour")
    );

    // The lead's comments: thread kept, spam and trash gone, reply to spam on top.
    let got: BTreeMap<i64, &masthead_import::wxr::Comment> =
        lead_item.comments.iter().map(|c| (c.id, c)).collect();
    assert_eq!(
        got.keys().copied().collect::<Vec<_>>(),
        [c1, c2, c3, c5, c6]
    );
    assert!(!got.contains_key(&spam) && !got.contains_key(&trash));
    assert_eq!(got[&c1].parent, 0);
    assert_eq!(got[&c2].parent, c1);
    assert_eq!(got[&c3].parent, c2);
    assert_eq!(got[&c5].parent, 0);
    assert_eq!(got[&c1].approved, "1");
    assert_eq!(got[&c3].approved, "0");
    assert_eq!(got[&c1].kind, "");
    assert_eq!(got[&c6].kind, "pingback");
    assert_eq!(got[&c1].content, "I agree &amp; &lt;so&gt; do I");
    assert_eq!(got[&c3].content, "Held ]]&gt; reply");
    assert_eq!(got[&c6].content, "<a href=\"x\">Linked</a>");
    assert_eq!(got[&c1].author, "Rita Reader");
    assert_eq!(got[&c1].author_email, "rita@example.org");
    assert_eq!(got[&c1].author_url, "https://rita.example/?a=1&b=2");
    assert_eq!(got[&c1].author_ip, "203.0.113.7");
    assert_eq!(got[&c1].date_gmt, "2026-06-03 08:15:00");
    assert_eq!(got[&c1].date, "2026-06-03 10:15:00");
    let odd_item = item(odd_id);
    assert_eq!(odd_item.comments.len(), 1);
    assert_eq!(odd_item.comments[0].id, c7);
    assert_eq!(odd_item.comments[0].approved, "0");

    // The awkward title and body.
    assert_eq!(odd_item.title, "Tom & Jerry <live> ]]> at the park");
    assert_eq!(
        odd_item.content,
        "<p><strong>Bold</strong> ]]> text and more</p>"
    );
    assert_eq!(odd_item.comment_status, "closed");
    assert_eq!(odd_item.creator, "ada-lovelace");
    assert_eq!(odd_item.guid, format!("{SITE}/?p={odd_id}"));

    // The non-Latin slug, percent-encoded as WordPress writes it.
    let cy = item(cyrillic_id);
    assert_eq!(
        cy.slug,
        "%d0%bf%d1%80%d0%b8%d0%b2%d0%b5%d1%82-%d0%bc%d0%b8%d1%80"
    );
    assert_eq!(percent_decode(&cy.slug), "привет-мир");
    assert_eq!(cy.link, format!("{SITE}/2026/05/01/{}/", cy.slug));
    assert_eq!(cy.meta("_masthead_language"), Some("ru"));

    // Unpublished ones.
    let d = item(draft_id);
    assert_eq!(d.status, "draft");
    assert_eq!(d.post_date_gmt, "0000-00-00 00:00:00");
    assert!(d.date_gmt().is_none());
    assert!(d.pub_date_parsed().is_none());
    assert_eq!(d.link, format!("{SITE}/?p={draft_id}"));
    assert_eq!(item(scheduled_id).status, "future");
    assert_eq!(item(private_id).status, "private");

    // Pages.
    let about_item = item(ids.page(about));
    assert_eq!(about_item.post_type, "page");
    assert_eq!(about_item.slug, "about");
    assert_eq!(about_item.status, "publish");
    assert_eq!(about_item.title, "About us");
    assert_eq!(about_item.content, "<p>We are <strong>here</strong>.</p>");
    assert_eq!(about_item.link, format!("{SITE}/about/"));
    let contact_item = item(ids.page(contact));
    assert_eq!(contact_item.status, "draft");
    assert_eq!(contact_item.content, "<p>Write to us</p>");
    assert_eq!(contact_item.post_date_gmt, "0000-00-00 00:00:00");
}

/// What an article's item must say, from the store's own record.
fn check_article(a: &Article, i: &Item, tz: chrono_tz::Tz) {
    let s = &a.summary;
    assert_eq!(i.post_type, "post");
    assert_eq!(i.title, s.title);
    assert_eq!(percent_decode(&i.slug), s.slug);
    assert_eq!(i.status, wp_status(s.status), "{}", s.title);
    let sections: Vec<String> = i
        .terms("category")
        .map(|t| percent_decode(&t.nicename))
        .collect();
    let want: Vec<String> = s.sections.iter().map(|t| t.slug.clone()).collect();
    assert_eq!(sections, want);
    let names: Vec<&str> = i.terms("category").map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        s.sections
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
    );
    let tags: Vec<String> = i
        .terms("post_tag")
        .map(|t| percent_decode(&t.nicename))
        .collect();
    assert_eq!(
        tags,
        s.tags.iter().map(|t| t.slug.clone()).collect::<Vec<_>>()
    );
    assert_eq!(
        i.creator,
        s.authors
            .first()
            .map(|t| t.slug.clone())
            .unwrap_or_default()
    );
    match s.published_at {
        Some(p) => {
            assert_eq!(i.post_date_gmt, gmt(p));
            assert_eq!(
                i.post_date,
                p.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S").to_string()
            );
            assert_eq!(i.pub_date_parsed().unwrap().timestamp(), p.timestamp());
        }
        None => {
            assert_eq!(i.post_date_gmt, "0000-00-00 00:00:00");
            assert_eq!(
                i.post_date,
                a.created_at
                    .with_timezone(&tz)
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            );
        }
    }
    assert_eq!(i.post_modified_gmt, gmt(s.updated_at));
    let body = if a.body_format == BodyFormat::Html {
        &a.body_source
    } else {
        &a.body_html
    };
    let clean: String = body
        .chars()
        .filter(|c| !matches!(c, '\u{1}' | '\u{fffe}'))
        .collect();
    assert_eq!(i.content, clean);
    assert_eq!(i.excerpt, a.editor_excerpt.clone().unwrap_or_default());
    assert_eq!(i.is_sticky, s.featured);
}

/// More articles than one read holds: every one is exported once, in id order, each
/// with its own comments.
async fn many_articles_stream_in_batches(t: TestStore) {
    let s = &t.store;
    let batch: Vec<NewArticle> = (0..450)
        .map(|n| {
            let mut a = NewArticle::published(
                format!("Story number {n}"),
                if n % 2 == 0 { "News" } else { "Sport" },
                at(2026, 1, 1, 0, 0) + Duration::hours(n),
            );
            a.body_html = format!("<p>Body {n}</p>");
            a
        })
        .collect();
    let saved = s.save_articles(&batch).await.unwrap();
    let mut expected: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (n, sv) in saved.iter().enumerate() {
        if n % 7 == 0 || n == 199 || n == 200 || n == 449 {
            for k in 0..(n % 3 + 1) {
                let id = s
                    .add_comment(&comment(
                        sv.id,
                        None,
                        CommentStatus::Approved,
                        &format!("c{n}-{k}"),
                    ))
                    .await
                    .unwrap();
                expected.entry(sv.id).or_default().push(id);
            }
        }
    }
    let (bytes, report) = export(&t).await;
    xmllint_accepts(&bytes);
    assert_eq!(report.articles, 450);
    assert_eq!(
        report.comments,
        expected.values().map(Vec::len).sum::<usize>() as u64
    );
    let read = read_back(&bytes);
    let posts: Vec<&Item> = read
        .items
        .iter()
        .filter(|i| i.post_type == "post")
        .collect();
    let mut want: Vec<i64> = saved.iter().map(|sv| sv.id).collect();
    want.sort_unstable();
    assert_eq!(posts.iter().map(|i| i.post_id).collect::<Vec<_>>(), want);
    for p in posts {
        let ids: Vec<i64> = p.comments.iter().map(|c| c.id).collect();
        assert_eq!(ids, expected.get(&p.post_id).cloned().unwrap_or_default());
        assert_eq!(
            p.content,
            format!("<p>Body {}</p>", &p.title["Story number ".len()..])
        );
    }
}
