//! Writes a WordPress export (WXR 1.2) from JSON Lines corpora, for the import benchmark:
//! every article as a published post with its category, tags and author, and 0–4
//! threaded comments each; `--copies N` repeats the corpora with new ids, GUIDs and
//! slugs to make bigger files, `--max-posts N` stops after N posts. Streams: memory stays flat whatever the size.
//!
//!     cargo run --release -p masthead-import --example make-wxr -- \
//!         --copies 10 --out /var/tmp/big.xml ../shared/corpus/bbc-news.jsonl ...
#![allow(
    clippy::unwrap_used,
    reason = "a benchmark tool: a failure stops it loudly"
)]

use std::io::{BufRead, BufReader, BufWriter, Write};

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut copies, mut out, mut inputs) = (1usize, None, Vec::new());
    let mut max_posts = u64::MAX;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--copies" => copies = args.next().unwrap().parse().unwrap(),
            "--out" => out = args.next(),
            "--max-posts" => max_posts = args.next().unwrap().parse().unwrap(),
            _ => inputs.push(a),
        }
    }
    let out = out.expect("--out FILE");
    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(&out).unwrap());
    writeln!(
        w,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
xmlns:excerpt=\"http://wordpress.org/export/1.2/excerpt/\" \
xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" \
xmlns:wfw=\"http://wellformedweb.org/CommentAPI/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
xmlns:wp=\"http://wordpress.org/export/1.2/\">\n<channel>\n<title>Bench</title>\
<link>https://bench.example</link><language>en-GB</language><wp:wxr_version>1.2</wp:wxr_version>\
<wp:base_site_url>https://bench.example</wp:base_site_url>\
<wp:base_blog_url>https://bench.example</wp:base_blog_url>"
    )
    .unwrap();
    let (mut post_id, mut comment_id, mut posts, mut comments) = (0u64, 0u64, 0u64, 0u64);
    'all: for copy in 0..copies {
        for input in &inputs {
            let file = BufReader::new(std::fs::File::open(input).unwrap());
            for line in file.lines() {
                let line = line.unwrap();
                if line.trim().is_empty() {
                    continue;
                }
                if posts == max_posts {
                    break 'all;
                }
                let v: serde_json::Value = serde_json::from_str(&line).unwrap();
                post_id += 1;
                posts += 1;
                comments += item(&mut w, &v, copy, post_id, &mut comment_id);
            }
        }
    }
    writeln!(w, "</channel>\n</rss>").unwrap();
    w.flush().unwrap();
    eprintln!("{out}: {posts} posts, {comments} comments");
}

fn text<'a>(v: &'a serde_json::Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

fn cdata(s: &str) -> String {
    format!("<![CDATA[{}]]>", s.replace("]]>", "]]]]><![CDATA[>"))
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').chars().take(60).collect()
}

/// One post; returns how many comments it got.
fn item(
    w: &mut impl Write,
    v: &serde_json::Value,
    copy: usize,
    id: u64,
    comment_id: &mut u64,
) -> u64 {
    let title = text(v, "title");
    let date = text(v, "date");
    let date = if date.len() >= 10 {
        &date[..10]
    } else {
        "2005-01-01"
    };
    let when = format!("{date} {:02}:{:02}:00", id % 24, id % 60);
    let category = match text(v, "category") {
        "" => "news".to_owned(),
        c => c.to_owned(),
    };
    let post_slug = format!("{}-{copy}-{id}", slug(title));
    let mut tags = String::new();
    for key in ["topics", "places"] {
        if let Some(list) = v[key].as_array() {
            for t in list.iter().filter_map(|t| t.as_str()).take(4) {
                tags.push_str(&format!(
                    "<category domain=\"post_tag\" nicename=\"{}\">{}</category>",
                    slug(t),
                    cdata(t)
                ));
            }
        }
    }
    let author = match text(v, "author") {
        "" => "desk".to_owned(),
        a => slug(a),
    };
    write!(
        w,
        "<item><title>{}</title><link>https://bench.example/{date}/{post_slug}/</link>\
<dc:creator>{}</dc:creator><guid isPermaLink=\"false\">https://bench.example/?p={id}</guid>\
<description></description><content:encoded>{}</content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>\
<wp:post_id>{id}</wp:post_id><wp:post_date>{when}</wp:post_date><wp:post_date_gmt>{when}</wp:post_date_gmt>\
<wp:comment_status>open</wp:comment_status><wp:ping_status>open</wp:ping_status>\
<wp:post_name>{post_slug}</wp:post_name><wp:status>publish</wp:status><wp:post_parent>0</wp:post_parent>\
<wp:menu_order>0</wp:menu_order><wp:post_type>post</wp:post_type><wp:post_password></wp:post_password>\
<wp:is_sticky>0</wp:is_sticky><category domain=\"category\" nicename=\"{}\">{}</category>{tags}",
        cdata(title),
        cdata(&author),
        cdata(text(v, "body")),
        slug(&category),
        cdata(&category),
    )
    .unwrap();
    let n = id % 5;
    let first = *comment_id + 1;
    for k in 0..n {
        *comment_id += 1;
        let parent = if k > 0 && k % 2 == 0 { first } else { 0 };
        write!(
            w,
            "<wp:comment><wp:comment_id>{}</wp:comment_id><wp:comment_author>{}</wp:comment_author>\
<wp:comment_author_email>reader{k}@example.org</wp:comment_author_email><wp:comment_author_url></wp:comment_author_url>\
<wp:comment_author_IP>192.0.2.{k}</wp:comment_author_IP><wp:comment_date>{when}</wp:comment_date>\
<wp:comment_date_gmt>{when}</wp:comment_date_gmt><wp:comment_content>{}</wp:comment_content>\
<wp:comment_approved>1</wp:comment_approved><wp:comment_type>comment</wp:comment_type>\
<wp:comment_parent>{parent}</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id></wp:comment>",
            *comment_id,
            cdata(&format!("Reader {k}")),
            cdata(&format!(
                "Comment {k} on “{title}”: a view from the reader's side, with a second sentence."
            )),
        )
        .unwrap();
    }
    writeln!(w, "</item>").unwrap();
    n
}
