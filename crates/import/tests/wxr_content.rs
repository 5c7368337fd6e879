//! WordPress content conversion: each rule on small hand-made inputs with exact output,
//! the three real WordPress exports end to end (through the renderer's sanitiser), and
//! garbled input that must never panic.
#![expect(clippy::unwrap_used, reason = "tests")]

use masthead_core::BodyFormat;
use masthead_import::wxr::content::{Attachment, ContentContext, Converted, convert};
use masthead_import::wxr::{Item, WxrEvent, WxrReader};
use masthead_render::render_body;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

fn keep(_: &str) -> Option<String> {
    None
}

/// Converts with no attachments and no media moved.
fn conv(content: &str) -> Converted {
    let none = HashMap::new();
    convert(
        content,
        &ContentContext {
            post_id: 1,
            attachments: &none,
            new_url: &keep,
        },
    )
}

fn html(content: &str) -> String {
    conv(content).html
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

// ---- rule 1: comments ----------------------------------------------------------------

#[test]
fn block_comments_go_and_their_content_stays() {
    let src = "<!-- wp:paragraph -->\n<p>Text</p>\n<!-- /wp:paragraph -->\n\n\
               <!-- wp:image {\"id\":5,\"sizeSlug\":\"large\"} -->\n<figure><img src=\"a.jpg\" alt=\"\"/></figure>\n<!-- /wp:image -->\n\n\
               <!-- wp:separator /-->\n<!--more-->\nAfter";
    assert_eq!(
        html(src),
        "<p>Text</p>\n<figure><img src=\"a.jpg\" alt=\"\"/></figure>\n<p>After</p>\n"
    );
}

#[test]
fn an_unclosed_comment_does_not_swallow_the_rest() {
    assert_eq!(html("a < b <!-- oops"), "<p>a &lt; b &lt;!-- oops</p>\n");
}

// ---- rule 2: paragraphs ----------------------------------------------------------------

#[test]
fn blank_lines_make_paragraphs_and_newlines_breaks() {
    assert_eq!(
        html("One\nline two\n\n\n  Two  \n"),
        "<p>One<br>\nline two</p>\n<p>Two</p>\n"
    );
    assert_eq!(html("a<br>\nb<br />\nc"), "<p>a<br>\nb<br />\nc</p>\n");
    assert_eq!(html(""), "");
    assert_eq!(html("\n \n"), "");
}

#[test]
fn inline_elements_at_a_paragraph_start_stay_in_it() {
    assert_eq!(
        html("<b>Bold</b> start\n\n<a href=\"https://x.test/\">link</a> then text"),
        "<p><b>Bold</b> start</p>\n<p><a href=\"https://x.test/\">link</a> then text</p>\n"
    );
}

#[test]
fn block_elements_are_not_wrapped() {
    assert_eq!(
        html(
            "Intro\n<h2>Head</h2>\nText\n<ul>\n<li>a\nb</li>\n<li>c</li>\n</ul>\n<hr>\n<table><tr><td>x</td></tr></table>"
        ),
        "<p>Intro</p>\n<h2>Head</h2>\n<p>Text</p>\n<ul>\n<li>a<br>\nb</li>\n<li>c</li>\n</ul>\n<hr>\n<table>\n<tr>\n<td>x</td>\n</tr>\n</table>\n"
    );
}

#[test]
fn containers_get_paragraphs_only_when_they_hold_several() {
    assert_eq!(html("<div>one</div>"), "<div>one</div>\n");
    assert_eq!(
        html("<div>\none\n\ntwo\n</div>"),
        "<div>\n<p>one</p>\n<p>two</p>\n</div>\n"
    );
    assert_eq!(
        html("<blockquote>Quote</blockquote>"),
        "<blockquote>\n<p>Quote</p>\n</blockquote>\n"
    );
}

#[test]
fn existing_paragraphs_are_not_wrapped_again() {
    assert_eq!(html("<p>Already</p>"), "<p>Already</p>\n");
    assert_eq!(
        html("<p class=\"x\">A\nB</p>\n\n<p>C</p>"),
        "<p class=\"x\">A<br>\nB</p>\n<p>C</p>\n"
    );
    assert_eq!(html("<p>a\n\nb</p>"), "<p>a</p>\n<p>b</p>\n");
    assert_eq!(html("<p></p><p> </p>x"), "<p>x</p>\n");
}

#[test]
fn pre_is_untouched() {
    assert_eq!(
        html("Code:\n<pre>a\n\n  b <b>x</b> [gallery] https://x.test/\n</pre>\nAfter"),
        "<p>Code:</p>\n<pre>a\n\n  b <b>x</b> [gallery] https://x.test/\n</pre>\n<p>After</p>\n"
    );
    assert_eq!(html("<pre>open"), "<pre>open</pre>\n");
}

#[test]
fn unclosed_and_stray_tags_are_mended() {
    assert_eq!(
        html("<ul><li>a<li>b</ul>"),
        "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"
    );
    assert_eq!(html("<p>a<div>b</div></p>"), "<p>a</p>\n<div>b</div>\n");
    assert_eq!(html("x</div>"), "<p>x</p>\n");
    assert_eq!(html("<div>open"), "<div>open</div>\n");
}

// ---- rule 3: captions --------------------------------------------------------------------

#[test]
fn captions_become_figures() {
    let c = conv(
        "[caption id=\"attachment_5\" align=\"alignleft\" width=\"300\"]<a href=\"https://x.test/a.jpg\"><img src=\"https://x.test/a-300.jpg\" alt=\"A\"></a> The <em>caption</em> text[/caption]\n\nNext",
    );
    assert_eq!(
        c.html,
        "<figure><a href=\"https://x.test/a.jpg\"><img src=\"https://x.test/a-300.jpg\" alt=\"A\"></a><figcaption>The <em>caption</em> text</figcaption></figure>\n<p>Next</p>\n"
    );
    assert!(c.shortcodes.is_empty());
}

#[test]
fn old_caption_attribute_form() {
    assert_eq!(
        html("[caption id=\"attachment_6\" caption=\"Old style\"]<img src=\"b.jpg\">[/caption]"),
        "<figure><img src=\"b.jpg\"><figcaption>Old style</figcaption></figure>\n"
    );
}

#[test]
fn captions_inside_paragraphs_and_without_text() {
    assert_eq!(
        html("<p>[caption]<img src=y>[/caption]</p>"),
        "<figure><img src=y></figure>\n"
    );
    assert_eq!(
        html("Before [wp_caption]<img src=z> Z[/wp_caption] after"),
        "<p>Before</p>\n<figure><img src=z><figcaption>Z</figcaption></figure>\n<p>after</p>\n"
    );
}

#[test]
fn an_unclosed_caption_is_kept_and_reported() {
    let c = conv("[caption id=\"x\"]<img src=a> never closed");
    assert_eq!(
        c.html,
        "<p>[caption id=\"x\"]<img src=a> never closed</p>\n"
    );
    assert_eq!(c.shortcodes, counts(&[("caption (unclosed)", 1)]));
}

// ---- rule 4: galleries -------------------------------------------------------------------

fn library() -> HashMap<i64, Attachment> {
    let a = |id, parent, menu_order, caption: &str, alt: &str| Attachment {
        id,
        parent,
        menu_order,
        url: format!("https://old.test/wp-content/uploads/{id}.jpg"),
        title: format!("Title {id}"),
        caption: caption.to_owned(),
        alt: alt.to_owned(),
    };
    let mut pdf = a(14, 7, 0, "", "");
    pdf.url = "https://old.test/wp-content/uploads/doc.pdf".to_owned();
    [
        a(11, 7, 2, "", "Eleven"),
        a(12, 7, 1, "Twelve <em>cap</em>", ""),
        a(13, 7, 1, "", ""),
        a(20, 9, 0, "", "Other post"),
        pdf,
    ]
    .into_iter()
    .map(|a| (a.id, a))
    .collect()
}

fn moved(url: &str) -> Option<String> {
    url.split("/wp-content/uploads/")
        .nth(1)
        .map(|f| format!("/media/{f}"))
}

fn conv_with_library(content: &str) -> Converted {
    let lib = library();
    convert(
        content,
        &ContentContext {
            post_id: 7,
            attachments: &lib,
            new_url: &moved,
        },
    )
}

#[test]
fn a_bare_gallery_shows_the_posts_images_in_menu_order() {
    let c = conv_with_library("Look:\n\n[gallery columns=\"3\"]");
    assert_eq!(
        c.html,
        "<p>Look:</p>\n<figure>\n\
         <figure><img src=\"/media/12.jpg\" alt=\"Title 12\"><figcaption>Twelve <em>cap</em></figcaption></figure>\n\
         <figure><img src=\"/media/13.jpg\" alt=\"Title 13\"></figure>\n\
         <figure><img src=\"/media/11.jpg\" alt=\"Eleven\"></figure>\n\
         </figure>\n"
    );
    assert_eq!(
        c.images,
        ["/media/12.jpg", "/media/13.jpg", "/media/11.jpg"]
    );
    assert!(c.shortcodes.is_empty(), "{:?}", c.shortcodes);
    assert!(c.removed.is_empty(), "{:?}", c.removed);
}

#[test]
fn gallery_ids_pick_and_order_and_missing_ones_are_counted() {
    let c = conv_with_library("[gallery ids=\"20, 99,11\" orderby=\"rand\"]");
    assert_eq!(
        c.html,
        "<figure>\n<figure><img src=\"/media/20.jpg\" alt=\"Other post\"></figure>\n\
         <figure><img src=\"/media/11.jpg\" alt=\"Eleven\"></figure>\n</figure>\n"
    );
    assert_eq!(c.shortcodes, counts(&[("gallery (missing image)", 1)]));
    let inc = conv_with_library("[gallery include=\"13\"]");
    assert_eq!(
        inc.html,
        "<figure>\n<figure><img src=\"/media/13.jpg\" alt=\"Title 13\"></figure>\n</figure>\n"
    );
}

#[test]
fn a_gallery_with_nothing_to_show_leaves_nothing() {
    let none = HashMap::new();
    let c = convert(
        "[gallery]",
        &ContentContext {
            post_id: 3,
            attachments: &none,
            new_url: &keep,
        },
    );
    assert_eq!(c.html, "");
    assert_eq!(c.shortcodes, counts(&[("gallery (empty)", 1)]));
}

#[test]
fn gallery_markup_survives_the_sanitiser() {
    let c = conv_with_library("[gallery]");
    let r = render_body(BodyFormat::Html, &c.html);
    assert_eq!(r.html.matches("<img").count(), 3, "{}", r.html);
    assert!(
        r.html
            .contains("<figcaption>Twelve <em>cap</em></figcaption>")
    );
    assert!(r.html.contains("alt=\"Eleven\""));
}

// ---- rule 5: embeds --------------------------------------------------------------------

#[test]
fn a_url_alone_on_a_line_becomes_a_link() {
    assert_eq!(
        html("Watch:\n  https://youtube.com/watch?v=1&amp;t=2  \nThen"),
        "<p>Watch:</p>\n<p><a href=\"https://youtube.com/watch?v=1&amp;t=2\">https://youtube.com/watch?v=1&amp;t=2</a></p>\n<p>Then</p>\n"
    );
    assert_eq!(
        html("https://x.test/a"),
        "<p><a href=\"https://x.test/a\">https://x.test/a</a></p>\n"
    );
}

#[test]
fn urls_in_sentences_tags_and_links_stay_as_they_are() {
    assert_eq!(
        html("See https://x.test/ now\n<a href=\"https://x.test/\">\nhttps://x.test/\n</a>"),
        "<p>See https://x.test/ now<br>\n<a href=\"https://x.test/\"><br>\nhttps://x.test/<br>\n</a></p>\n"
    );
    assert_eq!(html("ftp://x.test/"), "<p>ftp://x.test/</p>\n");
}

#[test]
fn block_editor_embeds_keep_their_figure_and_lose_the_frame() {
    let src = "<!-- wp:embed {\"url\":\"https://youtu.be/x\",\"type\":\"video\"} -->\n\
               <figure class=\"wp-block-embed\"><div class=\"wp-block-embed__wrapper\">\n\
               https://youtu.be/x\n</div><figcaption>Clip</figcaption></figure>\n<!-- /wp:embed -->";
    assert_eq!(
        html(src),
        "<figure class=\"wp-block-embed\">\n<div class=\"wp-block-embed__wrapper\">\n\
         <p><a href=\"https://youtu.be/x\">https://youtu.be/x</a></p>\n</div>\n\
         <figcaption>Clip</figcaption>\n</figure>\n"
    );
}

#[test]
fn embed_shortcodes_become_links() {
    let c = conv("[embed width=\"500\"] https://vimeo.com/1 [/embed]\n[embed]not a url[/embed]");
    assert_eq!(
        c.html,
        "<p><a href=\"https://vimeo.com/1\">https://vimeo.com/1</a></p>\n<p>not a url</p>\n"
    );
    assert_eq!(c.shortcodes, counts(&[("embed (not a URL)", 1)]));
}

// ---- rule 6: other shortcodes ------------------------------------------------------------

#[test]
fn other_shortcodes_are_kept_and_counted() {
    let c = conv(
        "[audio https://x.test/a.mp3]\n\n[video width=\"640\"]https://x.test/v.mp4[/video]\n\n\
         [contact-form-7 id=\"1\" title=\"Contact\"]\n\n[foo]\n\n[audio mp3=\"b.mp3\"][/audio]",
    );
    assert_eq!(
        c.html,
        "<p>[audio https://x.test/a.mp3]</p>\n<p>[video width=\"640\"]https://x.test/v.mp4[/video]</p>\n\
         <p>[contact-form-7 id=\"1\" title=\"Contact\"]</p>\n<p>[foo]</p>\n<p>[audio mp3=\"b.mp3\"][/audio]</p>\n"
    );
    assert_eq!(
        c.shortcodes,
        counts(&[
            ("audio", 2),
            ("contact-form-7", 1),
            ("foo", 1),
            ("video", 1)
        ])
    );
}

#[test]
fn escaped_shortcodes_are_literal_and_not_counted() {
    let c = conv("Type [[gallery]] or [[caption id=\"1\"]] to show one.");
    assert_eq!(
        c.html,
        "<p>Type [gallery] or [caption id=\"1\"] to show one.</p>\n"
    );
    assert!(c.shortcodes.is_empty(), "{:?}", c.shortcodes);
}

#[test]
fn brackets_in_prose_are_not_shortcodes() {
    let src = "Footnote [1], a quote [sic], [citation needed], \"we [mostly] agree\", \
               [Photo], [semi-]regular, [and the rest = more], [a], [link](https://x.test/)";
    let c = conv(src);
    assert_eq!(c.html, format!("<p>{src}</p>\n"));
    assert!(c.shortcodes.is_empty(), "{:?}", c.shortcodes);
}

#[test]
fn shortcodes_inside_tag_attributes_are_left_alone() {
    let c = conv("<a title=\"[gallery]\" href=\"x\">[foo_bar]</a>");
    assert_eq!(
        c.html,
        "<p><a title=\"[gallery]\" href=\"x\">[foo_bar]</a></p>\n"
    );
    assert_eq!(c.shortcodes, counts(&[("foo_bar", 1)]));
}

// ---- rule 7: upload URLs -----------------------------------------------------------------

#[test]
fn upload_urls_are_rewritten_and_images_listed() {
    let lib = HashMap::new();
    let c = convert(
        "<a href=\"https://old.test/wp-content/uploads/big.jpg\"><img src=https://old.test/wp-content/uploads/small.jpg \
         srcset=\"https://old.test/wp-content/uploads/small.jpg 300w, https://cdn.test/x.jpg 600w\"></a>\n\
         <img src=\"https://elsewhere.test/p.png\"> <a href=\"https://old.test/page/\">page</a> \
         <img src=\"https://old.test/wp-content/uploads/small.jpg\">",
        &ContentContext {
            post_id: 1,
            attachments: &lib,
            new_url: &moved,
        },
    );
    assert_eq!(
        c.html,
        "<p><a href=\"/media/big.jpg\"><img src=\"/media/small.jpg\" \
         srcset=\"/media/small.jpg 300w, https://cdn.test/x.jpg 600w\"></a><br>\n\
         <img src=\"https://elsewhere.test/p.png\"> <a href=\"https://old.test/page/\">page</a> \
         <img src=\"/media/small.jpg\"></p>\n"
    );
    assert_eq!(
        c.images,
        [
            "/media/big.jpg",
            "/media/small.jpg",
            "https://elsewhere.test/p.png"
        ]
    );
}

// ---- rule 8: what the sanitiser removes --------------------------------------------------

#[test]
fn removals_are_counted() {
    let c = conv(
        "<p onclick=\"x()\" style=\"color:red\">Hi</p><script>if (a<b) { document.write('<iframe>') }</script>\
         <iframe src=\"https://e.test\"></iframe><a href=\"javascript:alert(1)\" target=\"_blank\">x</a>\
         <img class=\"wp-image-1\" src=\"a.jpg\"> <h1>Top</h1>\n<pre>&lt;script&gt; <iframe></iframe></pre>\n\
         Escaped &lt;script&gt; and &lt;b style=\"x\"&gt;",
    );
    assert_eq!(
        c.removed,
        counts(&[
            ("<iframe>", 2),
            ("<script>", 1),
            ("class attribute", 1),
            ("javascript: URL", 1),
            ("onclick attribute", 1),
            ("style attribute", 1),
            ("target attribute", 1),
        ])
    );
    let r = render_body(BodyFormat::Html, &c.html);
    for gone in [
        "<script",
        "<iframe",
        "onclick",
        "javascript:",
        "class=",
        "style=\"color",
    ] {
        assert!(!r.html.contains(gone), "{gone} in {}", r.html);
    }
}

// ---- rule 9: never panic, never slow ------------------------------------------------------

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

const PIECES: &[&str] = &[
    "<",
    ">",
    "</",
    "<p>",
    "</p>",
    "<div>",
    "</div>",
    "<pre>",
    "</pre>",
    "<li>",
    "<ul>",
    "</ul>",
    "<a href=\"",
    "\"",
    "'",
    "=",
    "[",
    "]",
    "[[",
    "]]",
    "[/",
    "[caption",
    "[/caption]",
    "[gallery",
    "ids=\"1,x,",
    "[embed]",
    "[/embed]",
    "[foo ",
    "<!--",
    "-->",
    "<!-- wp:x {\"a\":1} -->",
    "\n",
    "\n\n",
    " ",
    "text",
    "é",
    "日本",
    "\u{E000}",
    "\u{E001}",
    "0",
    "\r\n",
    "<script>",
    "</script>",
    "<img src=",
    "https://x.test/wp-content/uploads/a.jpg",
    "<table><tr><td>",
    "&lt;",
    "&amp;",
    "/>",
    "<br>",
    "\t",
];

#[test]
fn garbled_input_never_panics() {
    let lib = library();
    let ctx = ContentContext {
        post_id: 7,
        attachments: &lib,
        new_url: &moved,
    };
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let n = rng.next() % 40;
        let src: String = (0..n).map(|_| rng.pick(PIECES)).collect();
        let c = convert(&src, &ctx);
        let _ = render_body(BodyFormat::Html, &c.html);
        assert!(
            !c.html.contains('\u{E000}'),
            "placeholder leaked for {src:?}"
        );
    }
    // Raw random bytes, read lossily.
    for _ in 0..500 {
        let bytes: Vec<u8> = (0..(rng.next() % 200)).map(|_| rng.next() as u8).collect();
        let _ = convert(&String::from_utf8_lossy(&bytes), &ctx);
    }
}

#[test]
fn hostile_megabyte_inputs_stay_fast() {
    let cases = [
        "<".repeat(1 << 20),
        "<a x=\"".repeat(1 << 17),
        "[foo ".repeat(1 << 18),
        "[ab]".repeat(1 << 18),
        "[caption]".repeat(1 << 17),
        "<div>".repeat(1 << 18),
        "</div>".repeat(1 << 17),
        "<!--".repeat(1 << 18),
        "\n".repeat(1 << 20),
        "x\n".repeat(1 << 19),
        "<pre>".repeat(1 << 18),
        "<li>".repeat(1 << 18),
        "https://x.test/\n".repeat(1 << 16),
    ];
    for src in &cases {
        let start = std::time::Instant::now();
        let c = conv(src);
        let took = start.elapsed();
        assert!(
            took.as_secs() < 20,
            "{:?}… took {took:?}",
            src.get(..12).unwrap_or("")
        );
        assert!(c.html.len() < src.len() * 8 + 64);
    }
}

// ---- the real exports --------------------------------------------------------------------

fn fixtures() -> Vec<PathBuf> {
    let Some(dir) = masthead_testkit::shared_dir().map(|d| d.join("fixtures/wordpress")) else {
        masthead_testkit::skip("../shared/fixtures/wordpress is not here");
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "xml"));
    files.sort();
    if files.is_empty() {
        masthead_testkit::skip("no WordPress fixtures in ../shared/fixtures/wordpress");
    }
    files
}

fn items(path: &PathBuf) -> Vec<Item> {
    let bytes = std::fs::read(path).unwrap();
    let mut reader = WxrReader::new(&bytes[..]).unwrap();
    let mut out = Vec::new();
    while let Some(ev) = reader.next_event().unwrap() {
        if let WxrEvent::Item(i) = ev {
            out.push(*i);
        }
    }
    out
}

fn attachments(items: &[Item]) -> HashMap<i64, Attachment> {
    items
        .iter()
        .filter(|i| i.post_type == "attachment")
        .map(|i| {
            let a = Attachment {
                id: i.post_id,
                parent: i.post_parent,
                menu_order: i.menu_order,
                url: i.attachment_url.clone(),
                title: i.title.clone(),
                caption: i.excerpt.clone(),
                alt: i.meta("_wp_attachment_image_alt").unwrap_or("").to_owned(),
            };
            (a.id, a)
        })
        .collect()
}

/// Text with tags dropped and whitespace collapsed, to compare captions with rendered text.
fn plain(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each `[caption]`'s text, read straight from the source: its `caption=` attribute, or
/// what follows the last tag of its content.
fn caption_texts(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in src.split("[caption").skip(1) {
        let Some((open, rest)) = part.split_once(']') else {
            continue;
        };
        let Some((content, _)) = rest.split_once("[/caption]") else {
            continue;
        };
        let text = match open.split_once("caption=\"") {
            Some((_, v)) => v.split('"').next().unwrap_or("").to_owned(),
            None => content
                .rsplit_once('>')
                .map_or(content, |(_, t)| t)
                .to_owned(),
        };
        let text = plain(&text);
        if !text.is_empty() {
            out.push(text);
        }
    }
    out
}

#[test]
fn every_post_in_the_fixtures_converts_cleanly() {
    for path in fixtures() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let items = items(&path);
        let lib = attachments(&items);
        let (mut posts, mut captions) = (0, 0);
        for item in items
            .iter()
            .filter(|i| i.post_type == "post" || i.post_type == "page")
        {
            posts += 1;
            let ctx = ContentContext {
                post_id: item.post_id,
                attachments: &lib,
                new_url: &moved,
            };
            let c = convert(&item.content, &ctx);
            let id = format!("{name} post {} {:?}", item.post_id, item.title);
            for gone in ["<!-- wp:", "[caption", "[gallery", "[embed"] {
                assert!(!c.html.contains(gone), "{id}: {gone} remains:\n{}", c.html);
            }
            let rendered = render_body(BodyFormat::Html, &c.html);
            let text = plain(&rendered.text);
            for cap in caption_texts(&item.content) {
                captions += 1;
                assert!(
                    text.contains(&cap),
                    "{id}: caption {cap:?} lost:\n{}",
                    rendered.html
                );
            }
            for img in &c.images {
                assert!(
                    !img.contains("/wp-content/uploads/"),
                    "{id}: {img} not moved"
                );
            }
        }
        assert!(posts > 0, "{name}: no posts read");
        if name.starts_with("themeunittestdata") {
            assert!(captions >= 10, "{name}: only {captions} captions seen");
        }
    }
}

#[test]
fn theme_unit_test_shortcode_posts_are_reported() {
    let Some(path) = fixtures()
        .into_iter()
        .find(|p| p.ends_with("themeunittestdata.wordpress.xml"))
    else {
        return;
    };
    let items = items(&path);
    let lib = attachments(&items);
    let by_title = |title: &str| {
        let item = items.iter().find(|i| i.title == title).unwrap();
        convert(
            &item.content,
            &ContentContext {
                post_id: item.post_id,
                attachments: &lib,
                new_url: &keep,
            },
        )
    };
    let audio = by_title("Post Format: Audio");
    assert_eq!(audio.shortcodes, counts(&[("audio", 1)]));
    assert!(audio.html.contains("<p>[audio https://"), "{}", audio.html);

    let video = by_title("Post Format: Video (WordPress.tv)");
    assert!(
        video
            .html
            .starts_with("<p><a href=\"https://wordpress.tv/2009/03/16/"),
        "{}",
        video.html
    );

    let gallery = by_title("Post Format: Gallery");
    assert!(gallery.shortcodes.is_empty(), "{:?}", gallery.shortcodes);
    assert!(gallery.images.len() >= 2, "{:?}", gallery.images);
    let rendered = render_body(BodyFormat::Html, &gallery.html);
    assert!(rendered.html.matches("<img").count() >= 2 * gallery.images.len());
}
