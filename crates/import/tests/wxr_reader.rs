//! The WXR reader against the three WordPress fixtures (every count checked against
//! `xmllint`, which knows nothing of our code) and against small hand-built files for the
//! edge cases: encodings, split CDATA, both namespace spellings, zero dates, bad input.
#![expect(clippy::unwrap_used, reason = "tests")]

use masthead_import::wxr::{
    Census, Channel, Item, WxrError, WxrErrorKind, WxrEvent, WxrReader, parse_wp_date,
};
use masthead_testkit::xmllint::{xmllint_here, xpath_count, xpath_elements, xpath_list};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn fixture(name: &str) -> Option<PathBuf> {
    masthead_testkit::xmllint::wordpress_fixture(name)
}

/// Everything the reader yields for a file.
struct Read {
    channel: Option<Channel>,
    items: Vec<Item>,
    census: Census,
    events: Vec<WxrEvent>,
}

fn read_all(bytes: &[u8]) -> Result<Read, WxrError> {
    let mut reader = WxrReader::new(bytes)?;
    let mut out = Read {
        channel: None,
        items: Vec::new(),
        census: Census::default(),
        events: Vec::new(),
    };
    while let Some(ev) = reader.next_event()? {
        out.census.add(&ev);
        match &ev {
            WxrEvent::Channel(c) => {
                assert!(out.channel.is_none(), "two Channel events");
                out.channel = Some(c.clone());
            }
            WxrEvent::Item(i) => out.items.push((**i).clone()),
            _ => {}
        }
        out.events.push(ev);
    }
    Ok(out)
}

const ITEM: &str = "//*[local-name()='item']";
const COMMENT: &str = "//*[local-name()='item']/*[local-name()='comment']";

fn wp_child(name: &str) -> String {
    format!("*[local-name()='{name}']")
}

/// A channel-level `wp:` element (not an item's RSS `<category>`).
fn channel_wp(name: &str) -> String {
    format!(
        "count(//*[local-name()='channel']/*[local-name()='{name}'][contains(namespace-uri(), 'wordpress.org/export/')])"
    )
}

/// Checks everything the reader yields for one fixture against xmllint, and returns the
/// census for the fixture-specific checks.
fn check_against_xmllint(name: &str) -> Option<(Read, PathBuf)> {
    let path = fixture(name)?;
    if !xmllint_here() {
        return None;
    }
    let bytes = std::fs::read(&path).unwrap();
    let read = read_all(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let census = &read.census;
    eprintln!("{name}: {census:#?}");

    // Channel-level definitions and totals.
    let mut exprs = vec![
        channel_wp("author"),
        channel_wp("category"),
        channel_wp("tag"),
        channel_wp("term"),
        format!("count({ITEM})"),
        format!("count({COMMENT})"),
        format!("count({ITEM}/{})", wp_child("postmeta")),
    ];
    // Items per post type, and per post type and status.
    for (post_type, status) in census.statuses.keys() {
        exprs.push(format!(
            "count({ITEM}[normalize-space({})='{post_type}'][normalize-space({})='{status}'])",
            wp_child("post_type"),
            wp_child("status")
        ));
    }
    for post_type in census.items.keys() {
        exprs.push(format!(
            "count({ITEM}[normalize-space({})='{post_type}'])",
            wp_child("post_type")
        ));
    }
    // Comments per type (an empty type is a plain comment) and per approval.
    for kind in census.comments_by_type.keys() {
        let empty = if kind == "comment" {
            format!(" or normalize-space({})=''", wp_child("comment_type"))
        } else {
            String::new()
        };
        exprs.push(format!(
            "count({COMMENT}[normalize-space({})='{kind}'{empty}])",
            wp_child("comment_type")
        ));
    }
    for approved in census.comments_by_approval.keys() {
        exprs.push(format!(
            "count({COMMENT}[normalize-space({})='{approved}'])",
            wp_child("comment_approved")
        ));
    }
    let counts = xpath_count(&path, &exprs);
    let mut counts = counts.into_iter();
    let mut next = || counts.next().unwrap();
    assert_eq!(census.authors, next(), "{name}: authors");
    assert_eq!(census.categories, next(), "{name}: categories");
    assert_eq!(census.tags, next(), "{name}: tags");
    assert_eq!(census.terms.values().sum::<u64>(), next(), "{name}: terms");
    assert_eq!(read.items.len() as u64, next(), "{name}: items");
    assert_eq!(census.comments, next(), "{name}: comments");
    assert_eq!(census.postmeta, next(), "{name}: postmeta rows");
    for ((post_type, status), n) in &census.statuses {
        assert_eq!(*n, next(), "{name}: {post_type} items with status {status}");
    }
    for (post_type, n) in &census.items {
        assert_eq!(*n, next(), "{name}: {post_type} items");
    }
    for (kind, n) in &census.comments_by_type {
        assert_eq!(*n, next(), "{name}: comments of type {kind}");
    }
    for (approved, n) in &census.comments_by_approval {
        assert_eq!(*n, next(), "{name}: comments with approved = {approved}");
    }
    // The per-key counts add up to the totals, so no key was missed.
    assert_eq!(census.items.values().sum::<u64>(), read.items.len() as u64);
    assert_eq!(
        census.comments_by_type.values().sum::<u64>(),
        census.comments
    );
    assert_eq!(
        census.comments_by_approval.values().sum::<u64>(),
        census.comments
    );

    // Every post, one by one: title, status, GMT date, comment count.
    let ids = xpath_list(
        &path,
        &format!(
            "{ITEM}[normalize-space({})='post']/{}/text()",
            wp_child("post_type"),
            wp_child("post_id")
        ),
    );
    let posts: BTreeMap<i64, &Item> = read
        .items
        .iter()
        .filter(|i| i.post_type == "post")
        .map(|i| (i.post_id, i))
        .collect();
    assert_eq!(ids.len(), posts.len(), "{name}: post ids");
    let posts_xpath = format!("{ITEM}[normalize-space({})='post']", wp_child("post_type"));
    let titles = xpath_elements(
        &path,
        &format!("{posts_xpath}/{}", wp_child("title")),
        "title",
    );
    assert_eq!(titles.len(), ids.len(), "{name}: one title per post");
    let field = |name: &str| {
        let values = xpath_elements(
            &path,
            &format!("{posts_xpath}/{}", wp_child(name)),
            &format!("wp:{name}"),
        );
        assert_eq!(values.len(), ids.len(), "one {name} per post");
        values
    };
    let (statuses, dates) = (field("status"), field("post_date_gmt"));
    let comment_counts = xpath_count(
        &path,
        &ids.iter()
            .map(|id| {
                format!(
                    "count({ITEM}[normalize-space({})='{id}']/{})",
                    wp_child("post_id"),
                    wp_child("comment")
                )
            })
            .collect::<Vec<_>>(),
    );
    for (i, id) in ids.iter().enumerate() {
        let post = posts
            .get(&id.parse::<i64>().unwrap())
            .unwrap_or_else(|| panic!("{name}: post {id} not read"));
        assert_eq!(post.title, titles[i], "{name}: title of post {id}");
        assert_eq!(
            post.status,
            statuses[i].trim(),
            "{name}: status of post {id}"
        );
        assert_eq!(
            post.post_date_gmt,
            dates[i].trim(),
            "{name}: GMT date of post {id}"
        );
        assert_eq!(
            post.comments.len() as u64,
            comment_counts[i],
            "{name}: comments on post {id}"
        );
    }
    Some((read, path))
}

#[test]
fn theme_unit_test_data() {
    let Some((read, _)) = check_against_xmllint("themeunittestdata.wordpress.xml") else {
        return;
    };
    let c = &read.census;
    let channel = read.channel.as_ref().unwrap();
    assert_eq!(channel.title, "Theme Unit Test Data");
    assert_eq!(channel.wxr_version, "1.2");
    // A WordPress.com export: the site URL is the platform's, the blog URL the blog's.
    assert_eq!(channel.base_site_url, "https://wordpress.com/");
    assert_eq!(
        channel.base_blog_url,
        "https://wpthemetestdata.wordpress.com"
    );
    // The https namespace spelling was understood: the fixture README's numbers.
    assert_eq!(c.items_of("post"), 51);
    assert_eq!(c.with_status("post", "publish"), 49);
    assert_eq!(c.with_status("post", "future"), 1);
    assert_eq!(c.with_status("post", "draft"), 1);
    assert_eq!(c.items_of("page"), 21);
    assert_eq!(c.items_of("attachment"), 38);
    assert_eq!(c.items_of("nav_menu_item"), 70);
    assert_eq!(c.comments, 32);
    assert_eq!(c.comments_by_type["comment"], 28);
    assert_eq!(c.comments_by_type["pingback"], 2);
    assert_eq!(c.comments_by_type["trackback"], 2);
    assert_eq!(c.comments_by_approval["0"], 3);
    assert_eq!((c.categories, c.child_categories), (67, 10));
    assert_eq!(c.tags, 110);
    assert_eq!(c.authors, 2);
    assert_eq!(c.terms.values().sum::<u64>(), 6);
    assert_eq!(c.postmeta, 723);
    assert_eq!(c.sticky, 1);
    assert_eq!(c.password_protected, 1);
    assert_eq!(
        c.unsupported(),
        BTreeMap::from([("nav_menu_item".to_string(), 70)])
    );

    let protected = read.items.iter().find(|i| !i.password.is_empty()).unwrap();
    assert_eq!(protected.password, "enter");
    let closed = read
        .items
        .iter()
        .filter(|i| i.comment_status == "closed")
        .count();
    assert_eq!(closed, 54);
    assert_eq!(read.items.iter().filter(|i| i.post_parent != 0).count(), 74);
    // Titles as written, markup and punctuation included.
    assert!(
        read.items
            .iter()
            .any(|i| i.title == "Markup: Title <em>With</em> <b>Mark<sup>up</sup></b>")
    );
    assert!(read.items.iter().any(|i| i.title.is_empty()));
    // Attachments carry their URL; posts name their thumbnails by attachment id.
    let attachments: Vec<&Item> = read
        .items
        .iter()
        .filter(|i| i.post_type == "attachment")
        .collect();
    assert!(
        attachments
            .iter()
            .all(|a| a.attachment_url.starts_with("http"))
    );
    let thumb = read
        .items
        .iter()
        .find_map(|i| i.meta("_thumbnail_id"))
        .unwrap();
    assert!(
        attachments
            .iter()
            .any(|a| a.post_id.to_string() == thumb.trim())
    );
    // Comment threads are nine deep somewhere.
    let deepest = read
        .items
        .iter()
        .map(|i| {
            let parent: BTreeMap<i64, i64> = i.comments.iter().map(|c| (c.id, c.parent)).collect();
            i.comments
                .iter()
                .map(|c| {
                    let (mut depth, mut at) = (1, c.parent);
                    while at != 0 && depth < 100 {
                        depth += 1;
                        at = parent.get(&at).copied().unwrap_or(0);
                    }
                    depth
                })
                .max()
                .unwrap_or(0)
        })
        .max()
        .unwrap();
    assert!(deepest >= 9, "deepest thread {deepest}");
    // Every item has its identity.
    assert!(
        read.items
            .iter()
            .all(|i| i.post_id > 0 && !i.guid.is_empty())
    );
    // Item terms keep their taxonomy.
    assert!(
        read.items
            .iter()
            .any(|i| i.terms("post_format").next().is_some())
    );
}

#[test]
fn cc_labs() {
    let Some((read, _)) = check_against_xmllint("cc-labs.wordpress.xml") else {
        return;
    };
    let c = &read.census;
    let channel = read.channel.as_ref().unwrap();
    assert_eq!(channel.language, "en-US");
    assert_eq!(channel.base_blog_url, "http://labs.creativecommons.org");
    assert_eq!(c.with_status("post", "publish"), 219);
    assert_eq!(c.items_of("post"), 219);
    assert_eq!(c.items_of("page"), 5);
    assert_eq!(c.comments, 181);
    assert_eq!(c.comments_by_type["comment"], 119);
    assert_eq!(c.comments_by_type["pingback"], 62);
    assert_eq!(c.comments_by_approval["1"], 181);
    assert_eq!((c.categories, c.child_categories), (98, 0));
    assert_eq!(c.tags, 171);
    assert_eq!(c.authors, 30);
    assert_eq!(c.comment_meta, 3);
    assert_eq!(c.postmeta, 198);
    assert!(c.unsupported().is_empty());
    let with_comments = read
        .items
        .iter()
        .filter(|i| i.post_type == "post" && !i.comments.is_empty())
        .count();
    assert_eq!(with_comments, 79);
    let threaded: usize = read
        .items
        .iter()
        .map(|i| i.comments.iter().filter(|c| c.parent != 0).count())
        .sum();
    assert_eq!(threaded, 3);
    // Older WordPress writes an empty comment type for plain comments.
    assert!(
        read.items
            .iter()
            .flat_map(|i| &i.comments)
            .any(|c| c.kind.is_empty() && c.kind_or_comment() == "comment")
    );
}

#[test]
fn parch_linux_blog() {
    let Some((read, _)) = check_against_xmllint("parch-linux-blog.wordpress.xml") else {
        return;
    };
    let c = &read.census;
    assert_eq!(c.items_of("post"), 26);
    assert_eq!(c.with_status("post", "publish"), 22);
    assert_eq!(c.with_status("post", "draft"), 4);
    assert_eq!(c.items_of("page"), 0);
    assert_eq!(c.items_of("attachment"), 104);
    assert_eq!(c.comments, 13);
    assert_eq!(c.comments_by_type["comment"], 12);
    assert_eq!(c.comments_by_type["like"], 1);
    assert_eq!(c.comments_by_approval["0"], 2);
    assert_eq!(c.categories, 6);
    assert_eq!(c.tags, 37);
    assert_eq!(c.authors, 6);
    assert_eq!(c.terms.values().sum::<u64>(), 83);
    assert_eq!(c.postmeta, 649);
    assert_eq!(
        c.unsupported(),
        BTreeMap::from([
            ("custom_css".to_string(), 2),
            ("nav_menu_item".to_string(), 2),
            ("wp_block".to_string(), 2),
            ("wp_global_styles".to_string(), 6),
            ("wp_navigation".to_string(), 2),
            ("wp_template".to_string(), 1),
            ("wp_template_part".to_string(), 1),
        ])
    );
    // Percent-encoded slugs are kept as written; Persian names keep their ZWNJ.
    let categories: Vec<_> = read
        .events
        .iter()
        .filter_map(|e| match e {
            WxrEvent::Category(c) => Some(c),
            _ => None,
        })
        .collect();
    assert!(categories.iter().any(|c| c.nicename.starts_with("%d8%")));
    let names_with_zwnj = read
        .events
        .iter()
        .filter(|e| match e {
            WxrEvent::Category(c) => c.name.contains('\u{200C}'),
            WxrEvent::Tag(t) => t.name.contains('\u{200C}'),
            _ => false,
        })
        .count();
    assert_eq!(names_with_zwnj, 3);
    // Polylang keeps serialized PHP in term descriptions.
    assert!(
        read.events.iter().any(|e| matches!(e,
        WxrEvent::Term(t) if t.taxonomy == "post_translations" && t.description.starts_with("a:")))
    );
    // Drafts have the zero GMT date, read as none.
    let drafts: Vec<&Item> = read
        .items
        .iter()
        .filter(|i| i.post_type == "post" && i.status == "draft")
        .collect();
    assert!(
        drafts
            .iter()
            .any(|d| d.post_date_gmt == "0000-00-00 00:00:00" && d.date_gmt().is_none())
    );
    let ip = read
        .items
        .iter()
        .flat_map(|i| &i.comments)
        .find(|c| !c.author_ip.is_empty())
        .unwrap();
    assert!(ip.author_ip.starts_with("192.0.2.") || ip.author_ip.starts_with("198.51.100."));
}

// Hand-built files.

/// A small WXR with `body` inside its channel.
fn wxr(ns: &str, encoding: &str, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="{encoding}"?>
<rss version="2.0" xmlns:excerpt="{ns}excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="{ns}">
<channel>
  <title>Test site</title>
  <link>https://example.com</link>
  <language>fr-FR</language>
  <wp:wxr_version>1.2</wp:wxr_version>
  <wp:base_site_url>https://example.com</wp:base_site_url>
  <wp:base_blog_url>https://example.com</wp:base_blog_url>
  <wp:author><wp:author_id>1</wp:author_id><wp:author_login><![CDATA[ed]]></wp:author_login></wp:author>
{body}
</channel>
</rss>
"#
    )
}

const POST: &str = r#"<item>
  <title>Caf&#233; &amp; "quotes"</title>
  <link>https://example.com/?p=7</link>
  <pubDate>Wed, 30 Nov -0001 00:00:00 +0000</pubDate>
  <dc:creator><![CDATA[ed]]></dc:creator>
  <guid isPermaLink="false">https://example.com/?p=7</guid>
  <content:encoded><![CDATA[a ]]]]><![CDATA[> b]]></content:encoded>
  <excerpt:encoded><![CDATA[]]></excerpt:encoded>
  <wp:post_id>7</wp:post_id>
  <wp:post_date><![CDATA[2024-03-01 10:00:00]]></wp:post_date>
  <wp:post_date_gmt><![CDATA[0000-00-00 00:00:00]]></wp:post_date_gmt>
  <wp:post_name><![CDATA[%d8%a2%d9%85]]></wp:post_name>
  <wp:status><![CDATA[draft]]></wp:status>
  <wp:post_parent>0</wp:post_parent>
  <wp:menu_order>3</wp:menu_order>
  <wp:post_type><![CDATA[post]]></wp:post_type>
  <wp:post_password><![CDATA[]]></wp:post_password>
  <wp:is_sticky>1</wp:is_sticky>
  <category domain="category" nicename="news"><![CDATA[News]]></category>
  <category domain="post_tag" nicename="x"><![CDATA[X]]></category>
  <wp:postmeta><wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key><wp:meta_value><![CDATA[12]]></wp:meta_value></wp:postmeta>
  <wp:comment>
    <wp:comment_id>3</wp:comment_id>
    <wp:comment_author><![CDATA[Ann]]></wp:comment_author>
    <wp:comment_author_email><![CDATA[ann@example.invalid]]></wp:comment_author_email>
    <wp:comment_author_url>https://ann.example</wp:comment_author_url>
    <wp:comment_author_IP><![CDATA[192.0.2.1]]></wp:comment_author_IP>
    <wp:comment_date><![CDATA[2024-03-02 10:00:00]]></wp:comment_date>
    <wp:comment_date_gmt><![CDATA[2024-03-02 09:00:00]]></wp:comment_date_gmt>
    <wp:comment_content><![CDATA[Hi]]></wp:comment_content>
    <wp:comment_approved><![CDATA[spam]]></wp:comment_approved>
    <wp:comment_type><![CDATA[trackback]]></wp:comment_type>
    <wp:comment_parent>2</wp:comment_parent>
    <wp:comment_user_id>0</wp:comment_user_id>
    <wp:commentmeta><wp:meta_key>akismet_result</wp:meta_key><wp:meta_value>true</wp:meta_value></wp:commentmeta>
  </wp:comment>
</item>
<item>
  <title>Menu</title>
  <wp:post_id>8</wp:post_id>
  <wp:post_type>nav_menu_item</wp:post_type>
  <wp:status>publish</wp:status>
</item>
<item>
  <title>Styles</title>
  <wp:post_id>9</wp:post_id>
  <wp:post_type>wp_global_styles</wp:post_type>
  <wp:status>publish</wp:status>
</item>"#;

#[test]
fn both_namespace_spellings_read_the_same() {
    let mut seen = Vec::new();
    for ns in [
        "http://wordpress.org/export/1.2/",
        "https://wordpress.org/export/1.2/",
        "http://wordpress.org/export/1.0/",
        "https://wordpress.org/export/1.1/",
    ] {
        let read = read_all(wxr(ns, "UTF-8", POST).as_bytes()).unwrap();
        assert_eq!(read.items.len(), 3, "{ns}");
        let post = &read.items[0];
        assert_eq!(post.post_id, 7, "{ns}");
        assert_eq!(post.post_type, "post", "{ns}");
        assert_eq!(post.excerpt, "", "{ns}");
        assert_eq!(read.census.authors, 1, "{ns}");
        seen.push(read.items);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn every_field_of_a_hand_built_post() {
    let read = read_all(wxr("http://wordpress.org/export/1.2/", "UTF-8", POST).as_bytes()).unwrap();
    let channel = read.channel.unwrap();
    assert_eq!(channel.title, "Test site");
    assert_eq!(channel.language, "fr-FR");
    assert_eq!(channel.encoding, "UTF-8");
    // Channel first, then the author, then items.
    assert!(matches!(read.events[0], WxrEvent::Channel(_)));
    assert!(matches!(read.events[1], WxrEvent::Author(ref a) if a.login == "ed" && a.id == 1));
    let p = &read.items[0];
    assert_eq!(p.title, "Café & \"quotes\"");
    // A CDATA section split to hold `]]>`.
    assert_eq!(p.content, "a ]]> b");
    assert_eq!(p.creator, "ed");
    assert_eq!(p.guid, "https://example.com/?p=7");
    assert!(!p.guid_is_permalink);
    assert_eq!(p.link, "https://example.com/?p=7");
    assert_eq!(p.pub_date_parsed(), None);
    assert_eq!(p.post_date_gmt, "0000-00-00 00:00:00");
    assert_eq!(p.date_gmt(), None);
    assert_eq!(p.date(), parse_wp_date("2024-03-01 10:00:00"));
    assert!(p.date().is_some());
    assert_eq!(p.slug, "%d8%a2%d9%85");
    assert_eq!(p.status, "draft");
    assert_eq!(p.menu_order, 3);
    assert!(p.is_sticky);
    assert!(!p.is_password_protected());
    assert_eq!(p.terms("category").next().unwrap().name, "News");
    assert_eq!(p.terms("post_tag").next().unwrap().nicename, "x");
    assert_eq!(p.meta("_thumbnail_id"), Some("12"));
    let c = &p.comments[0];
    assert_eq!(
        (c.id, c.parent, c.user_id, c.author.as_str()),
        (3, 2, 0, "Ann")
    );
    assert_eq!(c.author_email, "ann@example.invalid");
    assert_eq!(c.author_url, "https://ann.example");
    assert_eq!(c.author_ip, "192.0.2.1");
    assert_eq!(c.approved, "spam");
    assert_eq!(c.kind, "trackback");
    assert!(c.date_gmt().is_some());
    assert_eq!(
        c.meta,
        vec![("akismet_result".to_string(), "true".to_string())]
    );
    // Unsupported items are kept, counted and named.
    assert_eq!(
        read.census.unsupported(),
        BTreeMap::from([
            ("nav_menu_item".to_string(), 1),
            ("wp_global_styles".to_string(), 1)
        ])
    );
    assert!(!read.items[1].is_supported());
}

#[test]
fn windows_1252_is_read_as_utf8() {
    let text = wxr(
        "http://wordpress.org/export/1.2/",
        "windows-1252",
        "<item><title>café €5 – “ok”</title><wp:post_id>1</wp:post_id>\
         <wp:post_type>post</wp:post_type><content:encoded><![CDATA[déjà vu]]></content:encoded></item>",
    );
    let (bytes, _, lossy) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!lossy);
    assert!(bytes.contains(&0x80), "the euro sign is byte 0x80");
    assert!(std::str::from_utf8(&bytes).is_err());
    let read = read_all(&bytes).unwrap();
    assert_eq!(read.channel.unwrap().encoding, "windows-1252");
    assert_eq!(read.items[0].title, "café €5 – “ok”");
    assert_eq!(read.items[0].content, "déjà vu");

    // ISO-8859-1 is read as its superset windows-1252, as browsers do.
    let text = text.replace("windows-1252", "ISO-8859-1");
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    assert_eq!(read_all(&bytes).unwrap().items[0].title, "café €5 – “ok”");
}

#[test]
fn a_utf8_bom_and_crlf_line_ends_are_fine() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend(
        wxr("http://wordpress.org/export/1.2/", "UTF-8", POST)
            .replace('\n', "\r\n")
            .as_bytes(),
    );
    let read = read_all(&bytes).unwrap();
    assert_eq!(read.items.len(), 3);
    assert_eq!(read.items[0].title, "Café & \"quotes\"");
}

#[test]
fn an_unknown_encoding_is_an_error() {
    let text = wxr("http://wordpress.org/export/1.2/", "klingon-8", "");
    let err = WxrReader::new(text.as_bytes()).err().unwrap();
    assert!(err.message.contains("klingon-8"), "{err}");
}

fn first_error(bytes: &[u8]) -> WxrError {
    let mut reader = match WxrReader::new(bytes) {
        Ok(r) => r,
        Err(e) => return e,
    };
    loop {
        match reader.next_event() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("no error for {:?}", String::from_utf8_lossy(bytes)),
            Err(e) => {
                // A fatal error sticks.
                if e.is_fatal() {
                    assert_eq!(reader.next_event().unwrap_err(), e);
                }
                return e;
            }
        }
    }
}

#[test]
fn truncated_files_are_clear_errors() {
    let full = wxr("http://wordpress.org/export/1.2/", "UTF-8", POST);
    // Cut at many places, including inside CDATA, tags and references.
    for cut in (40..full.len() - 8).step_by(37) {
        if !full.is_char_boundary(cut) {
            continue;
        }
        let err = first_error(&full.as_bytes()[..cut]);
        assert!(
            matches!(err.kind, WxrErrorKind::Truncated | WxrErrorKind::Syntax),
            "cut at {cut}: {err:?}"
        );
        assert!(err.line >= 1);
        assert!(!err.message.is_empty());
    }
    let cut = full.find("<wp:comment_content>").unwrap();
    let err = first_error(&full.as_bytes()[..cut]);
    assert!(err.to_string().contains("line"), "{err}");
    // The fixture, cut in half.
    if let Some(path) = fixture("cc-labs.wordpress.xml") {
        let bytes = std::fs::read(path).unwrap();
        let err = first_error(&bytes[..bytes.len() / 2]);
        assert!(
            matches!(err.kind, WxrErrorKind::Truncated | WxrErrorKind::Syntax),
            "{err:?}"
        );
        eprintln!("half of cc-labs: {err}");
    }
}

#[test]
fn non_xml_and_non_wxr_files_are_clear_errors() {
    let cases: &[(&[u8], WxrErrorKind)] = &[
        (b"", WxrErrorKind::NotWxr),
        (b"   \n", WxrErrorKind::NotWxr),
        (b"hello, world\n", WxrErrorKind::NotWxr),
        (b"{\"db\": []}", WxrErrorKind::NotWxr),
        (b"<html><body>hi</body></html>", WxrErrorKind::NotWxr),
        (b"<rss version=\"2.0\"></rss>", WxrErrorKind::NotWxr),
    ];
    for (bytes, kind) in cases {
        let err = first_error(bytes);
        assert_eq!(
            err.kind,
            *kind,
            "{:?}: {err}",
            String::from_utf8_lossy(bytes)
        );
        eprintln!("{:?}: {err}", String::from_utf8_lossy(bytes));
    }
    // Broken XML of several kinds; none may panic.
    let post = wxr("http://wordpress.org/export/1.2/", "UTF-8", POST);
    for broken in [
        post.replace("</wp:post_id>", "</wp:post_idx>"),
        post.replace("&amp;", "&nbsp;"),
        post.replace("&#233;", "&#xD800;"),
        post.replace("<item>", "<item <>"),
        format!("{post}<rss/>"),
    ] {
        let err = first_error(broken.as_bytes());
        assert!(err.is_fatal(), "{err:?}");
        assert!(err.line >= 1);
        eprintln!("{err}");
    }
    // Bytes that are not UTF-8 in a file that says it is.
    let mut bytes = post
        .replace("<title>Menu</title>", "<title>Men\u{FC}</title>")
        .into_bytes();
    let at = bytes.windows(4).position(|w| w == b"Men\xc3").unwrap();
    bytes[at + 3] = 0xFC;
    bytes[at + 4] = b'x';
    let err = first_error(&bytes);
    assert!(err.is_fatal(), "{err:?}");
    eprintln!("not UTF-8: {err}");
    // Random garbage.
    let mut x: u32 = 12345;
    let garbage: Vec<u8> = (0..5000)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (x >> 16) as u8
        })
        .collect();
    eprintln!("garbage: {}", first_error(&garbage));
}

#[test]
fn a_bad_number_skips_one_record_only() {
    let body = POST.replace(
        "<wp:post_id>8</wp:post_id>",
        "<wp:post_id>eight</wp:post_id>",
    );
    let text = wxr("http://wordpress.org/export/1.2/", "UTF-8", &body);
    let mut reader = WxrReader::new(text.as_bytes()).unwrap();
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for ev in reader.by_ref() {
        match ev {
            Ok(WxrEvent::Item(i)) => items.push(i.post_id),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    assert_eq!(items, vec![7, 9]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, WxrErrorKind::BadValue);
    assert!(errors[0].message.contains("eight"), "{}", errors[0]);
}

/// Counts the bytes handed to the reader.
struct Counting<'a> {
    bytes: &'a [u8],
    read: std::rc::Rc<std::cell::Cell<usize>>,
}

impl std::io::Read for Counting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        self.read.set(self.read.get() + n);
        Ok(n)
    }
}

#[test]
fn items_stream_out_as_they_are_read() {
    let item = POST.split("</item>").next().unwrap().to_string() + "</item>\n";
    let text = wxr(
        "http://wordpress.org/export/1.2/",
        "UTF-8",
        &item.repeat(1500),
    );
    let read = std::rc::Rc::new(std::cell::Cell::new(0));
    let input = std::io::BufReader::with_capacity(
        8192,
        Counting {
            bytes: text.as_bytes(),
            read: read.clone(),
        },
    );
    let mut reader = WxrReader::new(input).unwrap();
    let mut items = 0;
    while let Some(ev) = reader.next_event().unwrap() {
        if let WxrEvent::Item(i) = ev {
            items += 1;
            assert_eq!(i.content, "a ]]> b");
            // No item is read far ahead of the ones already handed out.
            assert!(
                read.get() <= items * item.len() + 20_000,
                "item {items}: {} bytes read",
                read.get()
            );
        }
    }
    assert_eq!(items, 1500);
    assert_eq!(read.get(), text.len());
}
