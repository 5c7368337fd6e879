//! "Leave a Reply" over HTTP, on both backends: the form and the API admit, hold,
//! refuse or mark spam by the rules; readers see only approved comments (and their own
//! held ones); the page cache drops only what a comment changed; emails never leak.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use chrono::Duration;
use common::{Options, Resp, TestSite, between, count};
use masthead_core::comment::{CommentRules, CommentStatus};
use masthead_core::{Clock, Role};
use masthead_store::NewArticle;
use masthead_testkit::TestDb;

http_tests!(
    a_first_comment_is_held_and_shown_to_its_author_alone,
    every_refusal_keeps_what_the_reader_typed,
    spam_signals_send_comments_to_the_spam_queue_not_the_bin,
    holds_for_links_and_words_and_known_authors_go_straight_through,
    approving_a_comment_refreshes_only_the_pages_that_show_it,
    comments_close_on_time_even_on_a_cached_page,
    threads_keep_their_depth_and_long_ones_are_paged,
    the_name_cookie_is_set_only_when_the_box_is_ticked,
    comments_from_another_site_are_refused,
    the_api_lists_threads_and_admits_by_the_same_rules,
    hostile_input_comes_out_inert,
    commenters_emails_are_never_published,
    forwarded_addresses_count_only_from_trusted_proxies,
    moderators_hear_of_held_comments_in_one_digest_per_burst,
    the_spam_filter_remembers_moderators_decisions_after_a_restart,
    old_spam_is_purged_and_old_addresses_forgotten,
    readers_can_report_a_comment,
    a_comment_written_by_another_process_drops_only_its_pages,
);

/// Rules that let a test post quickly: no flood interval, no minimum form age.
fn quick_rules() -> CommentRules {
    CommentRules {
        flood_seconds: 0,
        min_form_seconds: 0,
        ..CommentRules::default()
    }
}

async fn site_with(db: TestDb, rules: CommentRules, opts: Options) -> TestSite {
    let site = TestSite::start(
        db,
        Options {
            demo: false,
            ..opts
        },
    )
    .await;
    common::seed_sections(&site).await;
    masthead_web::site_settings::save_comment_rules(&site.state, &rules)
        .await
        .unwrap();
    site
}

async fn site(db: TestDb, rules: CommentRules) -> TestSite {
    site_with(db, rules, Options::default()).await
}

/// A published story; returns its id and path.
async fn story(site: &TestSite, title: &str, hours_ago: i64) -> (i64, String) {
    let mut a = NewArticle::published(title, "city", site.clock.now() - Duration::hours(hours_ago));
    a.body_source = format!("The body of {title}.");
    a.body_html = format!("<p>The body of {title}.</p>");
    common::save(site, &a).await
}

/// The form's signed timestamp on a page.
fn stamp_in(page: &str) -> String {
    between(page, r#"name="masthead_stamp" value=""#, "\"")
        .expect("the page has a comment form")
        .to_owned()
}

struct Typed<'a> {
    author: &'a str,
    email: &'a str,
    url: &'a str,
    comment: &'a str,
    parent: i64,
    remember: bool,
}

impl Default for Typed<'_> {
    fn default() -> Self {
        Self {
            author: "Ada Reader",
            email: "ada@example.net",
            url: "",
            comment: "A thoughtful remark about the council's plans.",
            parent: 0,
            remember: false,
        }
    }
}

/// Loads the article page (for a fresh stamp), waits `wait_secs` on the fake clock, and
/// posts the form from the site's own origin with `cookie`.
async fn post_comment(
    site: &TestSite,
    path: &str,
    id: i64,
    t: &Typed<'_>,
    cookie: Option<&str>,
    extra: &[(&str, &str)],
) -> Resp {
    let page = site.page(path).await;
    let stamp = stamp_in(&page);
    site.clock.advance(Duration::seconds(5));
    let id = id.to_string();
    let parent = t.parent.to_string();
    let mut form = vec![
        ("comment_post_ID", id.as_str()),
        ("author", t.author),
        ("email", t.email),
        ("url", t.url),
        ("comment", t.comment),
        ("comment_parent", parent.as_str()),
        ("masthead_stamp", stamp.as_str()),
    ];
    if t.remember {
        form.push(("wp-comment-cookies-consent", "yes"));
    }
    form.extend_from_slice(extra);
    let origin = site.origin();
    let mut headers = vec![("Origin", origin.as_str())];
    if let Some(c) = cookie {
        headers.push(("Cookie", c));
    }
    site.post_form("/comments", &form, &headers).await
}

/// The new comment's id from a 303's `Location: …#comment-ID`.
fn new_id(r: &Resp) -> i64 {
    assert_eq!(r.status, 303, "comment not accepted: {}", r.body);
    r.header("location")
        .unwrap()
        .rsplit("#comment-")
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The cookies a response sets, as one `Cookie` header value.
fn cookies(r: &Resp) -> String {
    r.headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .filter(|c| !c.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ")
}

async fn status_of(site: &TestSite, id: i64) -> CommentStatus {
    site.store.comment(id).await.unwrap().unwrap().status
}

async fn approve(site: &TestSite, id: i64) {
    let editor = common::add_user(site, &format!("editor{id}@example.org"), Role::Editor).await;
    let token = site
        .token_for(editor, masthead_core::TokenScope::Write)
        .await;
    let r = site
        .send_json(
            "PATCH",
            &format!("/api/v1/comments/{id}"),
            &token,
            Some(&serde_json::json!({"status": "approved"})),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn a_first_comment_is_held_and_shown_to_its_author_alone(db: TestDb) {
    let site = site(db, CommentRules::default()).await;
    let (id, path) = story(&site, "Council votes on the new bridge", 2).await;
    let page = site.page(&path).await;
    for words in [
        "Leave a Reply",
        "Your email address will not be published.",
        "Required fields are marked",
        r#"name="author""#,
        r#"name="email""#,
        r#"name="url""#,
        r#"name="comment""#,
        r#"name="comment_parent""#,
        "Save my name, email, and website in this browser for the next time I comment.",
        "Post Comment",
    ] {
        assert!(page.contains(words), "the form lacks {words}");
    }
    let r = post_comment(&site, &path, id, &Typed::default(), None, &[]).await;
    let cid = new_id(&r);
    assert_eq!(status_of(&site, cid).await, CommentStatus::Held);
    let mine = cookies(&r);
    assert!(mine.contains("masthead_pending="), "{mine}");
    let own = site.get_with(&path, &[("Cookie", &mine)]).await;
    assert!(own.body.contains("Your comment is awaiting moderation."));
    assert!(own.body.contains("A thoughtful remark"));
    assert!(own.header("cache-control").unwrap().contains("private"));
    let others = site.page(&path).await;
    assert!(!others.contains("A thoughtful remark"));
    assert!(!others.contains("awaiting moderation"));
    // A forged cookie shows nothing.
    let forged = mine.replace("masthead_pending=", "masthead_pending=9");
    assert!(
        !site
            .get_with(&path, &[("Cookie", &forged)])
            .await
            .body
            .contains("A thoughtful remark")
    );
    approve(&site, cid).await;
    let now = site.page(&path).await;
    assert!(now.contains("A thoughtful remark"));
    assert!(now.contains(&format!(r#"id="comment-{cid}""#)));
    // Known now: the same name and email go straight through.
    site.clock.advance(Duration::seconds(20));
    let again = Typed {
        comment: "And a second thought.",
        ..Typed::default()
    };
    let r = post_comment(&site, &path, id, &again, None, &[]).await;
    assert_eq!(status_of(&site, new_id(&r)).await, CommentStatus::Approved);
}

async fn every_refusal_keeps_what_the_reader_typed(db: TestDb) {
    let site = site(db, CommentRules::default()).await;
    let (id, path) = story(&site, "Harbour dredging begins", 3).await;
    let check = |r: &Resp, status: u16, message: &str, kept: &str| {
        assert_eq!(r.status, status, "{}", &r.body[..r.body.len().min(300)]);
        assert!(r.body.contains(message), "no \"{message}\" in the page");
        assert!(r.body.contains(kept), "the typed \"{kept}\" was lost");
        assert!(r.header("cache-control").unwrap().contains("no-store"));
    };
    let missing = Typed {
        author: "",
        email: "",
        comment: "Words worth keeping",
        ..Typed::default()
    };
    let r = post_comment(&site, &path, id, &missing, None, &[]).await;
    check(&r, 400, "Please enter your name.", "Words worth keeping");
    assert!(r.body.contains("Please enter your email address."));
    let bad_email = Typed {
        email: "not-an-email",
        ..Typed::default()
    };
    let r = post_comment(&site, &path, id, &bad_email, None, &[]).await;
    check(
        &r,
        400,
        "Please enter a valid email address.",
        "not-an-email",
    );
    let empty = Typed {
        comment: "   ",
        author: "Kept Name",
        ..Typed::default()
    };
    check(
        &post_comment(&site, &path, id, &empty, None, &[]).await,
        400,
        "Please type your comment text.",
        "Kept Name",
    );
    let long_name = "N".repeat(246);
    let too_long = Typed {
        author: &long_name,
        ..Typed::default()
    };
    let r = post_comment(&site, &path, id, &too_long, None, &[]).await;
    assert_eq!(r.status, 400);
    let huge = "x".repeat(65_526);
    let too_big = Typed {
        comment: &huge,
        ..Typed::default()
    };
    assert_eq!(
        post_comment(&site, &path, id, &too_big, None, &[])
            .await
            .status,
        400
    );
    // Accepted once; the same again is a duplicate, and the same sender too soon is a flood.
    let first = post_comment(&site, &path, id, &Typed::default(), None, &[]).await;
    let held = new_id(&first);
    site.clock.advance(Duration::seconds(20));
    check(
        &post_comment(&site, &path, id, &Typed::default(), None, &[]).await,
        409,
        "Duplicate comment detected; it looks as though you",
        "A thoughtful remark",
    );
    let other = Typed {
        comment: "Something new to say",
        ..Typed::default()
    };
    site.clock.advance(Duration::seconds(20));
    assert!(new_id(&post_comment(&site, &path, id, &other, None, &[]).await) > 0);
    // post_comment waits 5 s after loading the page: inside the 15 s flood window.
    let third = Typed {
        comment: "Yet another thought",
        ..Typed::default()
    };
    check(
        &post_comment(&site, &path, id, &third, None, &[]).await,
        429,
        "You are posting comments too quickly. Slow down.",
        "Yet another thought",
    );
    // Replying to a comment that is not approved.
    site.clock.advance(Duration::seconds(20));
    let reply = Typed {
        author: "Bo",
        email: "bo@example.net",
        comment: "Replying to a held one",
        parent: held,
        ..Typed::default()
    };
    let r = post_comment(&site, &path, id, &reply, None, &[]).await;
    check(
        &r,
        403,
        "You cannot reply to a comment that is not approved.",
        "Replying to a held one",
    );
    // A story that is not published takes no comments, and the refusal shows nothing of it.
    let mut draft = NewArticle::published("An unpublished scoop", "city", site.clock.now());
    draft.status = masthead_core::ArticleStatus::Draft;
    draft.body_source = "Secret draft words".into();
    draft.body_html = "<p>Secret draft words</p>".into();
    let draft_id = site.store.save_article(&draft).await.unwrap().id;
    let r = post_comment_raw(&site, draft_id, "Anyone there?").await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Comments are closed."));
    assert!(!r.body.contains("Secret draft words") && !r.body.contains("unpublished scoop"));
    // Closed by the editor.
    let editor = common::add_user(&site, "closer@example.org", Role::Editor).await;
    let token = site
        .token_for(editor, masthead_core::TokenScope::Write)
        .await;
    let current = site
        .request("GET", &format!("/api/v1/articles/{id}"), Some(&token))
        .await;
    let etag = current.header("etag").unwrap().to_owned();
    let r = site
        .send_json(
            "PATCH",
            &format!("/api/v1/articles/{id}"),
            &token,
            Some(&serde_json::json!({"comments_open": false})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    site.clock.advance(Duration::seconds(20));
    let page = site.page(&path).await;
    assert!(page.contains("Comments are closed."));
    assert!(!page.contains("Leave a Reply"));
    let r = post_as(
        &site,
        id,
        ("Late", "late@example.net"),
        "Too late to the party",
        None,
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(r.body.contains("Comments are closed."));
}

async fn spam_signals_send_comments_to_the_spam_queue_not_the_bin(db: TestDb) {
    let rules = CommentRules {
        flood_seconds: 0,
        disallowed_words: vec!["cheap pills".into()],
        ..CommentRules::default()
    };
    let site = site(db, rules).await;
    let (id, path) = story(&site, "Library opening hours extended", 1).await;
    let honeypot = post_comment(
        &site,
        &path,
        id,
        &Typed {
            comment: "Filled every box",
            ..Typed::default()
        },
        None,
        &[("contact_phone", "555-1234")],
    )
    .await;
    assert_eq!(
        status_of(&site, new_id(&honeypot)).await,
        CommentStatus::Spam
    );
    // No stamp at all (a robot posting straight at the endpoint).
    let r = post_as(
        &site,
        id,
        ("Bot", "bot@example.net"),
        "Posted without the form",
        None,
    )
    .await;
    assert_eq!(status_of(&site, new_id(&r)).await, CommentStatus::Spam);
    // Too fast: the stamp is younger than 3 seconds (a query string renders afresh; a
    // cached page carries an older stamp, which is why the stamp outlives the cache).
    let page = site.page(&format!("{path}?cpage=1")).await;
    let stamp = stamp_in(&page);
    let r = post_as(
        &site,
        id,
        ("Quick", "quick@example.net"),
        "Typed in no time at all",
        Some(&stamp),
    )
    .await;
    assert_eq!(status_of(&site, new_id(&r)).await, CommentStatus::Spam);
    // A stamp past its validity.
    site.clock.advance(Duration::hours(49));
    let r = post_as(
        &site,
        id,
        ("Slow", "slow@example.net"),
        "Typed over two days",
        Some(&stamp),
    )
    .await;
    assert_eq!(status_of(&site, new_id(&r)).await, CommentStatus::Spam);
    let word = Typed {
        author: "Seller",
        email: "seller@example.net",
        comment: "Get CHEAP PILLS here",
        ..Typed::default()
    };
    let r = post_comment(&site, &path, id, &word, None, &[]).await;
    let spam = new_id(&r);
    assert_eq!(status_of(&site, spam).await, CommentStatus::Spam);
    // The learned filter knows obvious spam when it sees it.
    let obvious = Typed {
        author: "Winner",
        email: "promo@example.net",
        comment: "CONGRATULATIONS!!! You have WON a FREE prize worth £1000. Text CLAIM to 80086 now or call 09061701461 to collect your cash award!",
        ..Typed::default()
    };
    let r = post_comment(&site, &path, id, &obvious, None, &[]).await;
    assert_eq!(status_of(&site, new_id(&r)).await, CommentStatus::Spam);
    // Kept, not dropped: the spam queue lists them with their reasons.
    let queue = site
        .store
        .comment_queue(
            &masthead_store::CommentFilter {
                status: Some(CommentStatus::Spam),
                ..Default::default()
            },
            masthead_core::paging::PageRequest::new(1, 50),
        )
        .await
        .unwrap();
    assert_eq!(queue.1, 6);
    assert!(queue.0.iter().all(|q| !q.comment.reasons.is_empty()));
    // And readers never see them, even the senders (spam is not "awaiting moderation"
    // for anyone but the sender's own browser).
    let page = site.page(&path).await;
    assert!(!page.contains("CHEAP PILLS") && !page.contains("Filled every box"));
}

async fn holds_for_links_and_words_and_known_authors_go_straight_through(db: TestDb) {
    // The learned filter is out of the way here (it flags links, as its training sets
    // taught it): these are the hold rules alone.
    let rules = CommentRules {
        moderation_words: vec!["referendum".into()],
        spam_threshold: Some(1.0),
        ..quick_rules()
    };
    let site = site(db, rules).await;
    let (id, path) = story(&site, "Tram line extension approved", 4).await;
    let first = new_id(&post_comment(&site, &path, id, &Typed::default(), None, &[]).await);
    approve(&site, first).await;
    let known = |comment| Typed {
        comment,
        ..Typed::default()
    };
    let approved = new_id(&post_comment(&site, &path, id, &known("Fine by me."), None, &[]).await);
    assert_eq!(status_of(&site, approved).await, CommentStatus::Approved);
    let links = new_id(
        &post_comment(
            &site,
            &path,
            id,
            &known("See https://example.com/a and https://example.org/b"),
            None,
            &[],
        )
        .await,
    );
    assert_eq!(status_of(&site, links).await, CommentStatus::Held);
    let word =
        new_id(&post_comment(&site, &path, id, &known("Call a Referendum!"), None, &[]).await);
    assert_eq!(status_of(&site, word).await, CommentStatus::Held);
    // The same email under another name is a new author.
    let renamed = Typed {
        author: "Somebody Else",
        comment: "Who am I?",
        ..Typed::default()
    };
    let other = new_id(&post_comment(&site, &path, id, &renamed, None, &[]).await);
    assert_eq!(status_of(&site, other).await, CommentStatus::Held);
    // Hold everything.
    let all = CommentRules {
        hold_all: true,
        ..quick_rules()
    };
    masthead_web::site_settings::save_comment_rules(&site.state, &all)
        .await
        .unwrap();
    let held = new_id(&post_comment(&site, &path, id, &known("Held by the site"), None, &[]).await);
    assert_eq!(status_of(&site, held).await, CommentStatus::Held);
}

async fn approving_a_comment_refreshes_only_the_pages_that_show_it(db: TestDb) {
    let site = site(db, quick_rules()).await;
    let (a, a_path) = story(&site, "River festival returns", 5).await;
    let (_b, b_path) = story(&site, "School meals budget set", 6).await;
    let held = new_id(&post_comment(&site, &a_path, a, &Typed::default(), None, &[]).await);
    site.settle().await;
    for p in [
        &a_path,
        &b_path,
        &"/".to_owned(),
        &"/section/city/".to_owned(),
        &"/about-us/".to_owned(),
    ] {
        site.get(p).await;
    }
    assert!(site.state.page_cached(&a_path));
    assert!(site.state.page_cached(&b_path));
    assert!(site.state.page_cached("/"));
    approve(&site, held).await;
    // The article and the lists that show its count are stale; the other article is not.
    assert!(
        !site.state.page_cached(&a_path),
        "the article's page was kept"
    );
    assert!(
        !site.state.page_cached("/"),
        "the home page shows its count"
    );
    assert!(!site.state.page_cached("/section/city/"));
    assert!(
        site.state.page_cached(&b_path),
        "an unrelated page was dropped"
    );
    let page = site.page(&a_path).await;
    assert!(page.contains("A thoughtful remark"));
    assert!(page.contains("1 comment"));
    assert!(site.page("/").await.contains("1 comment"));
}

async fn comments_close_on_time_even_on_a_cached_page(db: TestDb) {
    let rules = CommentRules {
        close_after_days: Some(14),
        ..quick_rules()
    };
    let site = site(db, rules).await;
    let (id, path) = story(&site, "Museum reopens after repairs", 24 * 13).await;
    site.settle().await;
    let page = site.page(&path).await;
    assert!(page.contains("Leave a Reply"));
    assert!(site.state.page_cached(&path));
    site.clock.advance(Duration::days(1) + Duration::minutes(1));
    let page = site.page(&path).await;
    assert!(
        !page.contains("Leave a Reply"),
        "the cached page still offers the form"
    );
    assert!(page.contains("Comments are closed."));
    let r = post_comment_raw(&site, id, "Too late now").await;
    assert_eq!(r.status, 403);
    // The site-wide switch closes everything at once.
    let (fresh, fresh_path) = story(&site, "Fresh story", 1).await;
    assert!(site.page(&fresh_path).await.contains("Leave a Reply"));
    let closed = CommentRules {
        close_all: true,
        ..quick_rules()
    };
    masthead_web::site_settings::save_comment_rules(&site.state, &closed)
        .await
        .unwrap();
    assert!(
        site.page(&fresh_path)
            .await
            .contains("Comments are closed.")
    );
    assert_eq!(
        post_comment_raw(&site, fresh, "Closed everywhere")
            .await
            .status,
        403
    );
}

/// A form post without loading the page first.
async fn post_comment_raw(site: &TestSite, id: i64, text: &str) -> Resp {
    post_as(site, id, ("Someone", "someone@example.net"), text, None).await
}

/// A form post as `who` (name, email), with the form's stamp if given.
async fn post_as(
    site: &TestSite,
    id: i64,
    who: (&str, &str),
    text: &str,
    stamp: Option<&str>,
) -> Resp {
    let origin = site.origin();
    let id = id.to_string();
    let mut form = vec![
        ("comment_post_ID", id.as_str()),
        ("author", who.0),
        ("email", who.1),
        ("comment", text),
    ];
    if let Some(stamp) = stamp {
        form.push(("masthead_stamp", stamp));
    }
    site.post_form("/comments", &form, &[("Origin", &origin)])
        .await
}

async fn threads_keep_their_depth_and_long_ones_are_paged(db: TestDb) {
    let rules = CommentRules {
        thread_depth: 3,
        per_page: 2,
        ..quick_rules()
    };
    let site = site(db, rules).await;
    let (id, path) = story(&site, "Budget debate", 2).await;
    // A chain of five replies, each from a known author.
    let mut parent = 0;
    let mut ids = Vec::new();
    for n in 0..5 {
        let text = format!("Level {n} remark");
        let t = Typed {
            author: "Chain",
            email: "chain@example.net",
            comment: &text,
            parent,
            ..Typed::default()
        };
        let cid = new_id(&post_comment(&site, &path, id, &t, None, &[]).await);
        approve(&site, cid).await;
        ids.push(cid);
        parent = cid;
    }
    let page = site.page(&path).await;
    // Three levels of nesting at most: two nested lists inside the top one.
    let thread = between(&page, r#"<ol class="comment-list">"#, "</section>").unwrap();
    assert_eq!(count(thread, r#"<ol class="children">"#), 2, "{thread}");
    for n in 0..5 {
        assert!(page.contains(&format!("Level {n} remark")));
    }
    // Two more top-level comments make three threads: two per page.
    for text in ["Second thread", "Third thread"] {
        let t = Typed {
            author: "Chain",
            email: "chain@example.net",
            comment: text,
            ..Typed::default()
        };
        let cid = new_id(&post_comment(&site, &path, id, &t, None, &[]).await);
        approve(&site, cid).await;
    }
    let first = site.page(&path).await;
    assert!(first.contains("Second thread") && !first.contains("Third thread"));
    assert!(first.contains("?cpage=2#comments"));
    let second = site.page(&format!("{path}?cpage=2")).await;
    assert!(second.contains("Third thread") && !second.contains("Level 0 remark"));
    // Reply without JavaScript: the form answers the chosen comment.
    let reply = site.page(&format!("{path}?replytocom={}", ids[0])).await;
    assert!(reply.contains("Leave a Reply to Chain"));
    assert!(reply.contains(&format!(
        r#"name="comment_parent" id="comment_parent" value="{}""#,
        ids[0]
    )));
}

async fn the_name_cookie_is_set_only_when_the_box_is_ticked(db: TestDb) {
    let site = site(db, quick_rules()).await;
    let (id, path) = story(&site, "Parking changes", 2).await;
    let r = post_comment(&site, &path, id, &Typed::default(), None, &[]).await;
    assert!(!cookies(&r).contains("masthead_commenter"));
    site.clock.advance(Duration::seconds(20));
    let ticked = Typed {
        comment: "Remember me please",
        remember: true,
        ..Typed::default()
    };
    let r = post_comment(&site, &path, id, &ticked, None, &[]).await;
    let jar = cookies(&r);
    assert!(jar.contains("masthead_commenter="), "{jar}");
    let saved: String = jar
        .split("; ")
        .filter(|c| c.starts_with("masthead_commenter="))
        .collect();
    let page = site.get_with(&path, &[("Cookie", &saved)]).await;
    assert!(page.body.contains(r#"value="Ada Reader""#));
    assert!(page.body.contains(r#"value="ada@example.net""#));
    assert!(page.header("cache-control").unwrap().contains("private"));
    // Unticking forgets it.
    let unticked = Typed {
        comment: "Forget me now",
        ..Typed::default()
    };
    let r = post_comment(&site, &path, id, &unticked, Some(&saved), &[]).await;
    let forget = r
        .headers
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("masthead_commenter=;"));
    assert!(forget);
}

async fn comments_from_another_site_are_refused(db: TestDb) {
    let site = site(db, quick_rules()).await;
    let (id, _) = story(&site, "Cycle lanes", 2).await;
    let id = id.to_string();
    for from_elsewhere in [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ] {
        let r = site
            .post_form(
                "/comments",
                &[
                    ("comment_post_ID", id.as_str()),
                    ("author", "X"),
                    ("email", "x@example.net"),
                    ("comment", "hi"),
                ],
                &[from_elsewhere],
            )
            .await;
        assert_eq!(r.status, 403, "{from_elsewhere:?}");
    }
    assert_eq!(
        site.store
            .comment_queue(
                &Default::default(),
                masthead_core::paging::PageRequest::new(1, 10)
            )
            .await
            .unwrap()
            .1,
        0
    );
}

async fn api_post(site: &TestSite, id: i64, body: serde_json::Value) -> Resp {
    site.send_json(
        "POST",
        &format!("/api/v1/articles/{id}/comments"),
        "",
        Some(&body),
        &[],
    )
    .await
}

async fn the_api_lists_threads_and_admits_by_the_same_rules(db: TestDb) {
    let site = site(db, quick_rules()).await;
    let (id, _) = story(&site, "Airport expansion", 2).await;
    let r = api_post(
        &site,
        id,
        serde_json::json!({"author_name": "Api Reader", "author_email": "api@example.net", "content": "Via the API"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let first = r.json()["id"].as_i64().unwrap();
    assert_eq!(r.json()["status"], "held");
    approve(&site, first).await;
    let r = api_post(
        &site,
        id,
        serde_json::json!({"author_name": "Api Reader", "author_email": "api@example.net", "content": "A reply", "parent": first}),
    )
    .await;
    assert_eq!(r.json()["status"], "approved", "{}", r.body);
    let list = site.get(&format!("/api/v1/articles/{id}/comments")).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.header("x-total-count"), Some("2"));
    let items = list.json();
    assert_eq!(items[0]["id"], first);
    assert_eq!(items[1]["parent"], first);
    assert_eq!(items[1]["depth"], 1);
    assert!(!list.body.contains("api@example.net"));
    // The same refusals, as JSON.
    let r = api_post(
        &site,
        id,
        serde_json::json!({"author_name": "", "author_email": "", "content": ""}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["code"], "invalid_comment");
    assert!(r.json()["error"]["fields"]["author_email"].is_string());
    let r = api_post(
        &site,
        id,
        serde_json::json!({"author_name": "Api Reader", "author_email": "api@example.net", "content": "A reply", "parent": first}),
    )
    .await;
    assert_eq!(r.status, 409);
    let r = site
        .client_raw(
            "POST",
            &format!("/api/v1/articles/{id}/comments"),
            "",
            "{not json",
        )
        .await;
    assert_eq!(r.status, 400);
    let r = api_post(&site, 999_999, serde_json::json!({"content": "x"})).await;
    assert_eq!(r.status, 404);
    // The article's count follows.
    let a = site.get(&format!("/api/v1/articles/{id}")).await.json();
    assert_eq!(a["comment_count"], 2);
    // Moderation needs a moderator's token.
    let author = common::add_user(&site, "writer@example.org", Role::Author).await;
    let token = site
        .token_for(author, masthead_core::TokenScope::Write)
        .await;
    assert_eq!(
        site.request("GET", "/api/v1/comments?status=held", Some(&token))
            .await
            .status,
        403
    );
    let editor = common::add_user(&site, "ed@example.org", Role::Editor).await;
    let token = site
        .token_for(editor, masthead_core::TokenScope::Write)
        .await;
    let q = site
        .request("GET", "/api/v1/comments?status=approved", Some(&token))
        .await;
    assert_eq!(q.status, 200);
    assert_eq!(q.header("x-total-count"), Some("2"));
    assert!(
        q.body.contains("api@example.net"),
        "moderators see the email"
    );
}

async fn hostile_input_comes_out_inert(db: TestDb) {
    let rules = CommentRules {
        hold_links: 0,
        ..quick_rules()
    };
    let site = site(db, rules).await;
    let (id, path) = story(&site, "Payload test", 2).await;
    let payloads = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<svg onload=alert(1)>",
        "javascript:alert(1)",
        "<a href=\"javascript:alert(1)\">x</a>",
        "&#106;avascript:alert(1)",
        "<<script>script>alert(1)<</script>/script>",
        "<p><b>unclosed",
        "\"><script>alert(1)</script>",
        "<iframe src=//evil.example></iframe>",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "\u{202E}gnp.exe",
        "<style>body{display:none}</style>",
    ];
    for (n, p) in payloads.iter().enumerate() {
        let email = format!("p{n}@example.net");
        let text = format!("payload {n}: {p}");
        let t = Typed {
            author: p,
            email: &email,
            url: if n % 2 == 0 {
                "javascript:alert(1)"
            } else {
                "data:text/html,hi"
            },
            comment: &text,
            ..Typed::default()
        };
        let r = post_comment(&site, &path, id, &t, None, &[]).await;
        // Either refused as invalid (the website) or kept; if kept, approve it.
        if r.status == 303 {
            approve(&site, new_id(&r)).await;
        } else {
            assert_eq!(r.status, 400);
            assert!(
                !r.body.contains("<script>alert"),
                "a refusal echoed a payload raw"
            );
            let safe = Typed {
                author: p,
                email: &email,
                comment: &text,
                ..Typed::default()
            };
            let r = post_comment(&site, &path, id, &safe, None, &[]).await;
            approve(&site, new_id(&r)).await;
        }
    }
    let page = site.page(&path).await;
    let thread = between(&page, r#"<section class="comments""#, "</section>").unwrap();
    assert_inert(thread);
    assert!(
        thread.contains("&lt;script&gt;"),
        "the text is shown, escaped"
    );
    let api = site
        .get(&format!("/api/v1/articles/{id}/comments"))
        .await
        .json();
    for c in api.as_array().unwrap() {
        assert_inert(c["content"].as_str().unwrap());
        assert!(!c["author_name"].as_str().unwrap().contains('\u{202E}'));
        if let Some(url) = c["author_url"].as_str() {
            assert!(url.starts_with("http"), "{url}");
        }
    }
}

/// Every tag in `html` is one the theme writes, no tag carries an event handler or a
/// script URL, and no bidi override is left: whatever a reader typed shows as text.
fn assert_inert(html: &str) {
    const ALLOWED: [&str; 25] = [
        "li", "article", "footer", "img", "b", "a", "time", "p", "div", "details", "summary",
        "form", "label", "select", "option", "button", "ol", "span", "br", "h2", "h3", "small",
        "textarea", "input", "nav",
    ];
    for tag in html.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or_default();
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        assert!(
            ALLOWED.contains(&name.as_str()),
            "a <{name}> tag got through: <{tag}>"
        );
        // Attribute values are escaped text; what matters is the names, and the URLs.
        let names: String = tag.split('"').step_by(2).collect::<Vec<_>>().join(" ");
        assert!(
            !names.to_ascii_lowercase().contains(" on"),
            "an attribute like an event handler: <{tag}>"
        );
        for url in tag
            .split(" href=\"")
            .skip(1)
            .chain(tag.split(" src=\"").skip(1))
        {
            let url = url
                .split('"')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            assert!(
                url.starts_with("http")
                    || url.starts_with('/')
                    || url.starts_with('#')
                    || url.starts_with('?'),
                "a link that is not plainly ours or http: <{tag}>"
            );
        }
    }
    assert!(
        !html.contains('\u{202E}'),
        "a right-to-left override survived"
    );
}

async fn commenters_emails_are_never_published(db: TestDb) {
    let site = site(db, quick_rules()).await;
    let (id, path) = story(&site, "Crawl me", 2).await;
    let emails = ["Private.Person+news@Example.net", "second@example.org"];
    let mut parent = 0;
    for (n, email) in emails.iter().enumerate() {
        let text = format!("Comment number {n}");
        let t = Typed {
            email,
            comment: &text,
            url: "https://reader.example/home",
            parent,
            remember: true,
            ..Typed::default()
        };
        let cid = new_id(&post_comment(&site, &path, id, &t, None, &[]).await);
        approve(&site, cid).await;
        parent = cid;
    }
    let mut forms = Vec::new();
    for e in emails {
        let lower = e.to_lowercase();
        for v in [e.to_owned(), lower.clone()] {
            forms.push(v.clone());
            forms.push(
                percent_encoding::utf8_percent_encode(&v, percent_encoding::NON_ALPHANUMERIC)
                    .to_string(),
            );
            forms.push(format!("{:x}", md5::compute(v.as_bytes())));
            use sha2::Digest;
            forms.push(format!("{:x}", sha2::Sha256::digest(v.as_bytes())));
        }
    }
    // Crawl everything reachable from the home page, sitemaps, feeds and the API.
    let mut queue: Vec<String> = vec![
        "/".into(),
        "/sitemap.xml".into(),
        "/news-sitemap.xml".into(),
        "/feed/".into(),
        "/robots.txt".into(),
        "/api/v1/articles".into(),
        format!("/api/v1/articles/{id}"),
        format!("/api/v1/articles/{id}/comments"),
        "/api/v1/sections".into(),
        "/api/v1/tags".into(),
        "/api/v1/authors".into(),
    ];
    let mut seen = std::collections::HashSet::new();
    while let Some(p) = queue.pop() {
        if !seen.insert(p.clone()) || seen.len() > 400 {
            continue;
        }
        let r = site.get(&p).await;
        for f in &forms {
            assert!(!r.body.contains(f.as_str()), "{p} shows {f}");
        }
        for link in r
            .body
            .split("href=\"")
            .skip(1)
            .chain(r.body.split("src=\"").skip(1))
        {
            let target = link
                .split('"')
                .next()
                .unwrap_or_default()
                .replace("&amp;", "&");
            let target = target.split('#').next().unwrap_or_default().to_owned();
            if target.starts_with('/')
                && !target.starts_with("//")
                && !target.starts_with("/newsroom")
            {
                queue.push(target);
            }
        }
    }
    assert!(seen.len() > 10, "the crawl found too little: {seen:?}");
    assert!(
        seen.iter().any(|p| p.starts_with("/avatar/")),
        "the avatars were crawled too"
    );
}

async fn forwarded_addresses_count_only_from_trusted_proxies(db: TestDb) {
    let site = site_with(
        db,
        CommentRules::default(),
        Options {
            trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
            ..Options::default()
        },
    )
    .await;
    let (id, path) = story(&site, "Proxy test", 2).await;
    let r = post_comment(&site, &path, id, &Typed::default(), None, &[]).await;
    let _ = r;
    // Through the trusted proxy: the forwarded address is the client's. Two readers
    // behind the proxy are two senders (no flood between them).
    let page = site.page(&path).await;
    let stamp = stamp_in(&page);
    site.clock.advance(Duration::seconds(5));
    let id_text = id.to_string();
    let origin = site.origin();
    for (n, ip) in ["203.0.113.5", "203.0.113.6"].iter().enumerate() {
        let email = format!("reader{n}@example.net");
        let text = format!("From {ip}");
        let r = site
            .post_form(
                "/comments",
                &[
                    ("comment_post_ID", id_text.as_str()),
                    ("author", "Reader"),
                    ("email", email.as_str()),
                    ("comment", text.as_str()),
                    ("masthead_stamp", stamp.as_str()),
                ],
                &[("Origin", &origin), ("X-Forwarded-For", ip)],
            )
            .await;
        let c = site.store.comment(new_id(&r)).await.unwrap().unwrap();
        assert_eq!(c.client_ip, *ip);
    }
}

async fn moderators_hear_of_held_comments_in_one_digest_per_burst(db: TestDb) {
    let site = site(db, quick_rules()).await;
    common::add_user(&site, "moderator@example.org", Role::Editor).await;
    let (id, path) = story(&site, "Mail test", 2).await;
    for n in 0..3 {
        let email = format!("burst{n}@example.net");
        let text = format!(
            "The {} thought I had about the timetable",
            ["first", "second", "third"][n]
        );
        let t = Typed {
            email: &email,
            comment: &text,
            ..Typed::default()
        };
        post_comment(&site, &path, id, &t, None, &[]).await;
        if n == 0 {
            // The first goes out at once. (Waited for here: a sender that wakes after
            // the second is queued rightly sends both, which is not what is tested.)
            let mail = site.delivered_mail(1).await;
            assert_eq!(mail.len(), 1, "{mail:?}");
            assert!(mail[0].contains("The first thought"));
        }
    }
    // The other two wait for the digest.
    assert_eq!(site.delivered_mail(1).await.len(), 1);
    site.clock.advance(Duration::hours(2));
    site.state.wake_comment_mail();
    let mail = site.delivered_mail(2).await;
    assert_eq!(mail.len(), 2);
    assert!(mail[1].contains("The second thought") && mail[1].contains("The third thought"));
    assert!(mail[1].contains("2 new comments"));
}

async fn the_spam_filter_remembers_moderators_decisions_after_a_restart(db: TestDb) {
    let site = site(db, quick_rules()).await;
    let (id, path) = story(&site, "Filter test", 2).await;
    // A pitch the shipped model does not know (it reads like a reader), and a rewording.
    let pitch = "Lovely piece about the ferry timetable, our family bakery on Quay Street does fresh pastries for the crossing";
    let similar = "Lovely piece about the ferry timetable! Our family bakery on Quay Street does fresh pastries for the morning crossing";
    let before = site.state.spam_score(similar);
    assert!(
        before.0 < before.1,
        "already spam before any decision: {before:?}"
    );
    let cid = new_id(
        &post_comment(
            &site,
            &path,
            id,
            &Typed {
                comment: pitch,
                ..Typed::default()
            },
            None,
            &[],
        )
        .await,
    );
    assert_eq!(status_of(&site, cid).await, CommentStatus::Held);
    // A moderator marks it spam in the newsroom.
    let editor = common::person(&site, Role::Editor, "filter-ed@example.org").await;
    let r = common::post(
        &site,
        &editor,
        &format!("/newsroom/comments/{cid}/status"),
        &[("action", "spam"), ("back", "/newsroom/comments")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(status_of(&site, cid).await, CommentStatus::Spam);
    let after = site.state.spam_score(similar);
    assert!(
        after.0 >= after.1,
        "marking spam did not change the verdict on a similar comment: {before:?} → {after:?}"
    );
    // The next such comment goes to the spam queue.
    let next = Typed {
        author: "Baker",
        email: "baker@example.net",
        comment: similar,
        ..Typed::default()
    };
    let r = post_comment(&site, &path, id, &next, None, &[]).await;
    assert_eq!(status_of(&site, new_id(&r)).await, CommentStatus::Spam);
    // A server started afresh over the same database replays the decision.
    let restarted = masthead_web::AppState::new(
        site.store.clone(),
        masthead_render::Theme::load(None).unwrap(),
        masthead_web::SiteSettings::default(),
    );
    restarted.catch_up().await;
    assert_eq!(restarted.spam_score(similar), after);
}

async fn old_spam_is_purged_and_old_addresses_forgotten(db: TestDb) {
    let site = site(db, quick_rules()).await;
    let (id, path) = story(&site, "Housekeeping", 2).await;
    let spam = new_id(
        &post_comment(
            &site,
            &path,
            id,
            &Typed::default(),
            None,
            &[("contact_phone", "x")],
        )
        .await,
    );
    let kept = new_id(
        &post_comment(
            &site,
            &path,
            id,
            &Typed {
                comment: "Kept",
                email: "kept@example.net",
                ..Typed::default()
            },
            None,
            &[],
        )
        .await,
    );
    site.clock.advance(Duration::days(29));
    assert_eq!(
        masthead_web::jobs::comment_housekeeping(&site.state)
            .await
            .unwrap(),
        (0, 0)
    );
    assert!(site.store.comment(spam).await.unwrap().is_some());
    site.clock.advance(Duration::days(2));
    assert_eq!(
        masthead_web::jobs::comment_housekeeping(&site.state)
            .await
            .unwrap(),
        (1, 1)
    );
    assert!(site.store.comment(spam).await.unwrap().is_none());
    assert_eq!(
        site.store.comment(kept).await.unwrap().unwrap().client_ip,
        ""
    );
}

async fn readers_can_report_a_comment(db: TestDb) {
    let site = site(db, quick_rules()).await;
    let (id, path) = story(&site, "Report test", 2).await;
    let cid = new_id(&post_comment(&site, &path, id, &Typed::default(), None, &[]).await);
    approve(&site, cid).await;
    let page = site.page(&path).await;
    assert!(page.contains(&format!(r#"action="/comments/{cid}/report""#)));
    let origin = site.origin();
    let r = site
        .post_form(
            &format!("/comments/{cid}/report"),
            &[("reason", "Spam")],
            &[("Origin", &origin)],
        )
        .await;
    assert_eq!(r.status, 303);
    let back = site
        .page(r.header("location").unwrap().split('#').next().unwrap())
        .await;
    assert!(back.contains("the moderators will take a look"));
    let reported = site
        .store
        .comment_queue(
            &masthead_store::CommentFilter {
                reported: true,
                ..Default::default()
            },
            masthead_core::paging::PageRequest::new(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(reported.1, 1);
    // Reporting twice from the same address counts once.
    site.post_form(
        &format!("/comments/{cid}/report"),
        &[("reason", "Spam")],
        &[("Origin", &origin)],
    )
    .await;
    assert_eq!(
        site.store.comment(cid).await.unwrap().unwrap().report_count,
        1
    );
}

async fn a_comment_written_by_another_process_drops_only_its_pages(db: TestDb) {
    let site = site(db, quick_rules()).await;
    let (a, a_path) = story(&site, "Night market opens", 5).await;
    let (_b, b_path) = story(&site, "Swimming pool repairs", 6).await;
    // Wait for the follower to have read the stories' own changes first.
    site.settle().await;
    for p in [&a_path, &b_path] {
        site.get(p).await;
        assert!(site.state.page_cached(p));
    }
    // Another node (or process) writes through its own store: this one learns of it
    // from the change log alone.
    site.store
        .add_comment(&masthead_store::NewComment {
            article_id: a,
            status: Some(CommentStatus::Approved),
            author_name: "Elsewhere".into(),
            author_email: "elsewhere@example.net".into(),
            body: "Written on another node".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while site.state.page_cached(&a_path) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        !site.state.page_cached(&a_path),
        "the change log was not followed"
    );
    assert!(
        site.state.page_cached(&b_path),
        "an unrelated page was dropped"
    );
    assert!(site.page(&a_path).await.contains("Written on another node"));
}
