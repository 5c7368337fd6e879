//! Comment moderation in the newsroom over HTTP, on both backends: readers' comments
//! arrive through the API and wait in the held queue with everything a moderator needs;
//! approving, spamming, trashing and restoring (one at a time or in bulk) move them on
//! and off the article; moderators edit and reply as staff; a commenter's data is
//! exported and erased; only moderators reach the queues; the comment settings save a
//! moderation word that then holds even a known author.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use chrono::Duration;
use common::{Person, Resp, TestSite, count, get, person, post};
use masthead_core::Role;
use masthead_core::comment::{CommentRules, CommentStatus};
use masthead_store::{NewArticle, NewComment};
use masthead_testkit::{TestDb, test_now};

http_tests!(
    a_held_comment_is_approved_spammed_trashed_and_restored,
    bulk_actions_move_several_comments_and_the_queue_pages,
    moderators_edit_comments_and_reply_as_staff,
    a_commenters_data_is_exported_and_erased,
    only_moderators_reach_the_queues_and_only_administrators_the_settings,
    comment_settings_are_checked_and_a_moderation_word_holds_a_known_author,
);

/// A published article open for comments: its id and its address.
async fn article(site: &TestSite, title: &str) -> (i64, String) {
    let mut a = NewArticle::published(title, "City", test_now() - Duration::days(1));
    a.body_html = "<p>The council met on Tuesday.</p>".into();
    common::save(site, &a).await
}

/// A reader's comment through the JSON API; returns its id and status. The clock moves
/// past the flood interval first, since every test request comes from one address.
async fn comment(
    site: &TestSite,
    article: i64,
    (name, email): (&str, &str),
    text: &str,
    parent: i64,
) -> (i64, String) {
    site.clock.advance(Duration::seconds(30));
    let r = site
        .send_json(
            "POST",
            &format!("/api/v1/articles/{article}/comments"),
            "",
            Some(&serde_json::json!({
                "author_name": name,
                "author_email": email,
                // Each commenter's own website: ann@example.org's is ann.example.org.
                "author_url": format!("https://{}.example.org/", email.split('@').next().unwrap()),
                "content": text,
                "parent": parent,
            })),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let j = r.json();
    (
        j["id"].as_i64().unwrap(),
        j["status"].as_str().unwrap().to_owned(),
    )
}

const ANN: (&str, &str) = ("Ann Reader", "ann@example.org");
const BOB: (&str, &str) = ("Bob Writer", "bob@example.org");

/// The public list of an article's approved comments.
async fn public_comments(site: &TestSite, article: i64) -> Vec<serde_json::Value> {
    let r = site
        .get(&format!("/api/v1/articles/{article}/comments"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json().as_array().unwrap().clone()
}

async fn status_of(site: &TestSite, id: i64) -> CommentStatus {
    site.store.comment(id).await.unwrap().unwrap().status
}

/// One comment's action button, from the queue `back` names; returns the redirect.
async fn act(site: &TestSite, who: &Person, id: i64, action: &str, back: &str) -> Resp {
    let r = post(
        site,
        who,
        &format!("/newsroom/comments/{id}/status"),
        &[("action", action), ("back", back)],
    )
    .await;
    assert_eq!(r.status, 303, "{action} {id}: {}", r.body);
    r
}

/// Follows a redirect back to a newsroom page as `who`.
async fn follow(site: &TestSite, who: &Person, r: &Resp) -> String {
    let to = r.header("location").unwrap();
    let page = get(site, who, to).await;
    assert_eq!(page.status, 200, "{to}");
    page.body
}

async fn a_held_comment_is_approved_spammed_trashed_and_restored(db: TestDb) {
    let site = TestSite::empty(db).await;
    let edith = person(&site, Role::Editor, "edith@example.org").await;
    let (art, path) = article(&site, "Harbour wall to be rebuilt").await;
    let (id, status) = comment(&site, art, ANN, "The old wall saved the market in 1953.", 0).await;
    assert_eq!(status, "held", "a first comment from a new author waits");
    assert!(!site.page(&path).await.contains("saved the market"));

    // The held queue is the default, with the author's details and why it waits.
    let queue = get(&site, &edith, "/newsroom/comments").await;
    assert_eq!(queue.status, 200);
    let b = &queue.body;
    assert!(b.contains("The old wall saved the market in 1953."));
    assert!(b.contains("Ann Reader") && b.contains("ann@example.org"));
    assert!(
        b.contains("127.0.0.1"),
        "the client address, for moderators"
    );
    assert!(b.contains("https://ann.example.org/"));
    assert!(b.contains("Held (1)"));
    assert!(b.contains("First comment from this name and email"));
    assert!(b.contains("Harbour wall to be rebuilt"));
    assert!(b.contains(&format!("href=\"{path}#comment-{id}\"")));
    assert!(b.contains(&format!("/newsroom/articles/{art}/edit")));
    assert!(b.contains("status=all&amp;email=ann%40example.org"));
    assert!(b.contains(r#"aria-current="page">Held (1)"#));
    // The nav shows moderators the way in.
    assert!(b.contains(r#"<a href="/newsroom/comments" aria-current="page">Comments</a>"#));

    // Approve: on the page and in the API, without the email or address.
    let r = act(&site, &edith, id, "approve", "status=held").await;
    assert_eq!(
        r.header("location"),
        Some("/newsroom/comments?status=held&done=approve&n=1")
    );
    let back = follow(&site, &edith, &r).await;
    assert!(back.contains("Comment approved."));
    assert!(back.contains("Held (0)") && back.contains("Approved (1)"));
    let page = site.page(&path).await;
    assert!(page.contains("The old wall saved the market in 1953."));
    // The site's own address is in the page's head (its canonical links); the
    // commenter's address must not be in the conversation.
    let thread = &page[page.find("class=\"comments\"").unwrap()..];
    assert!(!page.contains("ann@example.org") && !thread.contains("127.0.0.1"));
    let listed = public_comments(&site, art).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], id);
    assert!(!listed[0].to_string().contains("ann@example.org"));
    assert_eq!(
        site.store
            .article(art)
            .await
            .unwrap()
            .unwrap()
            .summary
            .comment_count,
        1
    );

    // Spam: gone from the page, in the spam queue.
    let r = act(&site, &edith, id, "spam", "status=approved").await;
    assert!(
        follow(&site, &edith, &r)
            .await
            .contains("Comment moved to spam.")
    );
    assert_eq!(status_of(&site, id).await, CommentStatus::Spam);
    assert!(!site.page(&path).await.contains("saved the market"));
    assert!(public_comments(&site, art).await.is_empty());
    let spam = get(&site, &edith, "/newsroom/comments?status=spam")
        .await
        .body;
    assert!(spam.contains("saved the market") && spam.contains("Spam (1)"));
    assert!(spam.contains(r#"value="notspam""#));

    // Not spam: approved again.
    let r = act(&site, &edith, id, "notspam", "status=spam").await;
    assert!(
        follow(&site, &edith, &r)
            .await
            .contains("Comment marked as not spam and approved.")
    );
    assert_eq!(status_of(&site, id).await, CommentStatus::Approved);
    assert!(site.page(&path).await.contains("saved the market"));

    // Trash, then restore to where it was.
    let r = act(&site, &edith, id, "trash", "status=approved").await;
    assert!(
        follow(&site, &edith, &r)
            .await
            .contains("Comment moved to the trash.")
    );
    assert!(!site.page(&path).await.contains("saved the market"));
    let trash = get(&site, &edith, "/newsroom/comments?status=trash")
        .await
        .body;
    assert!(trash.contains("saved the market") && trash.contains(r#"value="restore""#));
    let r = act(&site, &edith, id, "restore", "status=trash").await;
    assert!(
        follow(&site, &edith, &r)
            .await
            .contains("Comment restored.")
    );
    assert_eq!(status_of(&site, id).await, CommentStatus::Approved);
    assert!(site.page(&path).await.contains("saved the market"));

    // An action that does not apply changes nothing and says so.
    let r = act(&site, &edith, id, "restore", "status=approved").await;
    assert!(follow(&site, &edith, &r).await.contains("Nothing changed"));
    assert_eq!(status_of(&site, id).await, CommentStatus::Approved);

    // Every change is in the audit log.
    let log = site
        .store
        .audit_entries(&Default::default(), 50, 0)
        .await
        .unwrap();
    for action in ["comment approved", "comment spam", "comment trash"] {
        assert!(
            log.iter()
                .any(|e| e.action == action && e.actor == "edith@example.org"),
            "{action}"
        );
    }

    // A reported comment: in the reported queue with its reasons, until dismissed.
    let origin = site.origin();
    let r = site
        .post_form(
            &format!("/comments/{id}/report"),
            &[("reason", "Off topic and rude")],
            &[("Origin", &origin)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let reported = get(&site, &edith, "/newsroom/comments?status=reported")
        .await
        .body;
    assert!(reported.contains("Reported (1)"));
    assert!(reported.contains("Reported 1 time") && reported.contains("Off topic and rude"));
    let r = post(
        &site,
        &edith,
        &format!("/newsroom/comments/{id}/dismiss"),
        &[("back", "status=reported")],
    )
    .await;
    assert_eq!(r.status, 303);
    let after = follow(&site, &edith, &r).await;
    assert!(after.contains("The reports are dismissed"));
    assert!(after.contains("Reported (0)"));
    assert_eq!(status_of(&site, id).await, CommentStatus::Approved);

    // A missing comment is a 404, not an error.
    let r = post(
        &site,
        &edith,
        "/newsroom/comments/999999/status",
        &[("action", "approve")],
    )
    .await;
    assert_eq!(r.status, 404);
}

async fn bulk_actions_move_several_comments_and_the_queue_pages(db: TestDb) {
    let site = TestSite::empty(db).await;
    let edith = person(&site, Role::Editor, "edith@example.org").await;
    let (art, path) = article(&site, "Ferry timetable changes").await;
    let mut ids = Vec::new();
    for (i, who) in [
        ("Cara One", "cara@example.org"),
        ("Dev Two", "dev@example.org"),
        ("Eli Three", "eli@example.org"),
    ]
    .into_iter()
    .enumerate()
    {
        let (id, status) = comment(
            &site,
            art,
            who,
            &format!("Remark number {i} on the ferry."),
            0,
        )
        .await;
        assert_eq!(status, "held");
        ids.push(id.to_string());
    }
    let queue = get(&site, &edith, "/newsroom/comments").await.body;
    assert_eq!(count(&queue, r#"name="ids""#), 3);
    assert!(queue.contains(r#"form="bulk""#));

    // Nothing ticked: nothing happens, and the moderator is told.
    let r = post(
        &site,
        &edith,
        "/newsroom/comments/bulk",
        &[("action", "approve"), ("back", "status=held")],
    )
    .await;
    assert_eq!(r.status, 303);
    assert!(
        follow(&site, &edith, &r)
            .await
            .contains("Select at least one comment")
    );

    let mut form = vec![("action", "approve"), ("back", "status=held")];
    form.extend(ids.iter().map(|i| ("ids", i.as_str())));
    let r = post(&site, &edith, "/newsroom/comments/bulk", &form).await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.header("location"),
        Some("/newsroom/comments?status=held&done=approve&n=3")
    );
    let back = follow(&site, &edith, &r).await;
    assert!(back.contains("3 comments approved."));
    assert!(back.contains("Held (0)") && back.contains("Approved (3)"));
    let page = site.page(&path).await;
    for i in 0..3 {
        assert!(page.contains(&format!("Remark number {i} on the ferry.")));
    }
    assert_eq!(public_comments(&site, art).await.len(), 3);

    assert!(
        bulk(
            &site,
            &edith,
            "spam",
            "status=approved",
            &[&ids[0], &ids[1]]
        )
        .await
        .contains("2 comments moved to spam.")
    );
    assert_eq!(public_comments(&site, art).await.len(), 1);
    assert!(
        bulk(
            &site,
            &edith,
            "notspam",
            "status=spam",
            &[&ids[0], &ids[1], &ids[2]]
        )
        .await
        .contains("2 comments marked as not spam"),
        "the one not in spam is left alone"
    );
    assert!(
        bulk(
            &site,
            &edith,
            "trash",
            "status=approved",
            &[&ids[0], &ids[1]]
        )
        .await
        .contains("2 comments moved to the trash.")
    );
    assert!(
        bulk(
            &site,
            &edith,
            "restore",
            "status=trash",
            &[&ids[0], &ids[1]]
        )
        .await
        .contains("2 comments restored.")
    );
    assert_eq!(public_comments(&site, art).await.len(), 3);
    assert!(
        bulk(&site, &edith, "unapprove", "status=approved", &[&ids[2]])
            .await
            .contains("Comment unapproved")
    );
    assert_eq!(public_comments(&site, art).await.len(), 2);

    // Twenty a page: the queue pages, filters kept, and an action returns to its page.
    for i in 0..22 {
        site.store
            .add_comment(&NewComment {
                article_id: art,
                author_name: format!("Filler {i}"),
                author_email: "filler@example.org".into(),
                body: format!("Filler comment {i}."),
                client_ip: "192.0.2.9".into(),
                ..NewComment::default()
            })
            .await
            .unwrap();
    }
    let first = get(&site, &edith, "/newsroom/comments?status=held")
        .await
        .body;
    assert!(first.contains("23 comments (held), page 1 of 2."));
    assert_eq!(count(&first, r#"name="ids""#), 20);
    assert!(first.contains(r#"href="/newsroom/comments?status=held&amp;page=2" rel="next""#));
    let second = get(&site, &edith, "/newsroom/comments?status=held&page=2")
        .await
        .body;
    assert_eq!(count(&second, r#"name="ids""#), 3);
    assert!(second.contains(r#"name="back" value="status=held&amp;page=2""#));
    let r = act(
        &site,
        &edith,
        ids[2].parse().unwrap(),
        "approve",
        "status=held&page=2",
    )
    .await;
    assert_eq!(
        r.header("location"),
        Some("/newsroom/comments?status=held&page=2&done=approve&n=1")
    );
    let by_article = get(
        &site,
        &edith,
        &format!("/newsroom/comments?status=all&article={art}"),
    )
    .await
    .body;
    assert!(by_article.contains("Comments on “Ferry timetable changes”"));
    assert!(by_article.contains("25 comments (all), page 1 of 2."));
    let by_email = get(
        &site,
        &edith,
        "/newsroom/comments?status=all&email=cara%40example.org",
    )
    .await
    .body;
    assert!(by_email.contains("1 comment (all)."));
    assert!(by_email.contains("Remark number 0 on the ferry."));
    assert!(!by_email.contains("Filler comment"));
}

async fn moderators_edit_comments_and_reply_as_staff(db: TestDb) {
    let site = TestSite::empty(db).await;
    let edith = person(&site, Role::Editor, "edith@example.org").await;
    let (art, path) = article(&site, "Library opening hours").await;
    let (id, _) = comment(&site, art, ANN, "The libary should open on Sundays.", 0).await;
    let r = act(&site, &edith, id, "approve", "status=held").await;
    assert_eq!(r.status, 303);

    // The edit form, and a refused save that keeps every word typed.
    let form = get(
        &site,
        &edith,
        &format!("/newsroom/comments/{id}/edit?back=status%3Dapproved"),
    )
    .await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("The libary should open on Sundays."));
    assert!(form.body.contains(r#"value="ann@example.org""#));
    let edit = format!("/newsroom/comments/{id}/edit");
    let r = post(
        &site,
        &edith,
        &edit,
        &[
            ("name", "Ann Reader"),
            ("email", "not an address"),
            ("url", "javascript:alert(1)"),
            ("text", "   "),
            ("back", "status=approved"),
        ],
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body
            .contains("Enter an email address such as name@example.org")
    );
    assert!(r.body.contains("starting with http:// or https://"));
    assert!(r.body.contains("The comment text cannot be empty"));
    assert!(r.body.contains(r#"value="not an address""#));
    assert!(r.body.contains(r#"aria-invalid="true""#));
    assert!(site.page(&path).await.contains("The libary should"));

    let r = post(
        &site,
        &edith,
        &edit,
        &[
            ("name", "Ann R."),
            ("email", "Ann@Example.org"),
            ("url", ""),
            ("text", "The library should open on Sundays."),
            ("back", "status=approved"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some("/newsroom/comments?status=approved&done=edited")
    );
    assert!(
        follow(&site, &edith, &r)
            .await
            .contains("The comment is saved.")
    );
    let c = site.store.comment(id).await.unwrap().unwrap();
    assert_eq!(c.author_name, "Ann R.");
    assert_eq!(c.author_email, "ann@example.org");
    assert_eq!(c.body, "The library should open on Sundays.");
    let page = site.page(&path).await;
    assert!(page.contains("The library should open on Sundays.") && page.contains("Ann R."));

    // A reply to an approved comment: approved at once, threaded under it.
    let r = post(
        &site,
        &edith,
        &format!("/newsroom/comments/{id}/reply"),
        &[
            ("text", "Thanks, we have passed this on to the council."),
            ("back", "status=approved"),
        ],
    )
    .await;
    assert_eq!(r.status, 303);
    assert!(
        follow(&site, &edith, &r)
            .await
            .contains("Your reply is published.")
    );
    let listed = public_comments(&site, art).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1]["parent"], id);
    assert_eq!(listed[1]["depth"], 1);
    assert_eq!(listed[1]["author_name"], "editor person");
    assert!(
        site.page(&path)
            .await
            .contains("Thanks, we have passed this on to the council.")
    );

    // A reply to a held comment approves it first.
    let (held, status) = comment(&site, art, BOB, "What about Saturdays?", 0).await;
    assert_eq!(status, "held");
    let r = post(
        &site,
        &edith,
        &format!("/newsroom/comments/{held}/reply"),
        &[
            ("text", "Saturdays stay as they are."),
            ("back", "status=held"),
        ],
    )
    .await;
    assert!(
        follow(&site, &edith, &r)
            .await
            .contains("The comment is approved and your reply to it published.")
    );
    assert_eq!(status_of(&site, held).await, CommentStatus::Approved);
    let listed = public_comments(&site, art).await;
    let reply = listed
        .iter()
        .find(|c| c["content"].as_str().unwrap().contains("Saturdays stay"))
        .unwrap();
    assert_eq!(reply["parent"], held);
    let page = site.page(&path).await;
    assert!(page.contains("What about Saturdays?") && page.contains("Saturdays stay as they are."));

    // An empty reply, or one to spam, posts nothing.
    let before = public_comments(&site, art).await.len();
    let r = post(
        &site,
        &edith,
        &format!("/newsroom/comments/{held}/reply"),
        &[("text", "  "), ("back", "status=held")],
    )
    .await;
    assert!(
        follow(&site, &edith, &r)
            .await
            .contains("Type your reply first")
    );
    act(&site, &edith, held, "spam", "status=approved").await;
    let r = post(
        &site,
        &edith,
        &format!("/newsroom/comments/{held}/reply"),
        &[("text", "To spam?"), ("back", "status=spam")],
    )
    .await;
    assert!(
        follow(&site, &edith, &r)
            .await
            .contains("You can reply only to approved or held comments")
    );
    assert_eq!(public_comments(&site, art).await.len(), before - 1);
}

async fn a_commenters_data_is_exported_and_erased(db: TestDb) {
    let site = TestSite::empty(db).await;
    let edith = person(&site, Role::Editor, "edith@example.org").await;
    let (art, path) = article(&site, "Bridge closure").await;
    let (first, _) = comment(&site, art, ANN, "Closing the bridge in August is odd.", 0).await;
    act(&site, &edith, first, "approve", "status=held").await;
    let (second, status) = comment(&site, art, ANN, "Also, what about cyclists?", 0).await;
    assert_eq!(status, "approved", "a known author is not held again");
    let (bob, _) = comment(&site, art, BOB, "I agree with Ann.", 0).await;
    act(&site, &edith, bob, "approve", "status=held").await;

    // One commenter's comments, with the way to their data.
    let theirs = get(
        &site,
        &edith,
        "/newsroom/comments?status=all&email=ann%40example.org",
    )
    .await
    .body;
    assert!(theirs.contains("Closing the bridge") && theirs.contains("what about cyclists"));
    assert!(!theirs.contains("I agree with Ann."));
    assert!(theirs.contains("/newsroom/comments/export?email=ann%40example.org"));
    assert!(theirs.contains(r#"action="/newsroom/comments/erase""#));

    let export = get(
        &site,
        &edith,
        "/newsroom/comments/export?email=ann%40example.org",
    )
    .await;
    assert_eq!(export.status, 200);
    assert!(
        export
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert!(
        export
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    let j = export.json();
    let rows = j.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], first);
    assert_eq!(rows[1]["id"], second);
    assert_eq!(rows[0]["author_email"], "ann@example.org");
    assert_eq!(rows[0]["content"], "Closing the bridge in August is odd.");
    assert_eq!(rows[0]["article_title"], "Bridge closure");
    assert_eq!(rows[0]["client_ip"], "127.0.0.1");
    assert_eq!(
        get(&site, &edith, "/newsroom/comments/export").await.status,
        400
    );

    // Without the confirmation nothing is erased.
    let r = post(
        &site,
        &edith,
        "/newsroom/comments/erase",
        &[("email", "ann@example.org")],
    )
    .await;
    assert_eq!(r.status, 303);
    assert!(
        follow(&site, &edith, &r)
            .await
            .contains("Tick the box to confirm")
    );
    assert_eq!(
        site.store
            .comments_by_email("ann@example.org")
            .await
            .unwrap()
            .len(),
        2
    );

    let r = post(
        &site,
        &edith,
        "/newsroom/comments/erase",
        &[("email", "ANN@example.org "), ("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status, 303);
    assert!(
        follow(&site, &edith, &r)
            .await
            .contains("2 comments now show as Anonymous")
    );
    assert!(
        site.store
            .comments_by_email("ann@example.org")
            .await
            .unwrap()
            .is_empty()
    );
    for id in [first, second] {
        let c = site.store.comment(id).await.unwrap().unwrap();
        assert_eq!(c.author_name, "Anonymous");
        assert_eq!(c.author_email, "");
        assert_eq!(c.author_url, "");
        assert_eq!(c.client_ip, "");
        assert_eq!(
            c.status,
            CommentStatus::Approved,
            "the thread keeps its shape"
        );
    }
    let other = site.store.comment(bob).await.unwrap().unwrap();
    assert_eq!(
        other.author_email, "bob@example.org",
        "others are untouched"
    );
    let listed = public_comments(&site, art).await;
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0]["author_name"], "Anonymous");
    assert!(listed[0]["author_url"].is_null());
    let page = site.page(&path).await;
    assert!(!page.contains("Ann Reader") && !page.contains("ann.example.org"));
    let queue = get(&site, &edith, "/newsroom/comments?status=approved")
        .await
        .body;
    assert!(!queue.contains("ann@example.org") && !queue.contains("Ann Reader"));
    // The log records the erasure, not whom it erased.
    let log = site
        .store
        .audit_entries(&Default::default(), 50, 0)
        .await
        .unwrap();
    let entry = log
        .iter()
        .find(|e| e.action == "erased commenter data")
        .unwrap();
    assert!(!format!("{entry:?}").contains("ann@example.org"));
}

async fn only_moderators_reach_the_queues_and_only_administrators_the_settings(db: TestDb) {
    let site = TestSite::empty(db).await;
    let (art, _) = article(&site, "Market day").await;
    let (id, _) = comment(&site, art, ANN, "Lovely stalls.", 0).await;
    let carla = person(&site, Role::Contributor, "carla@example.org").await;
    let aisha = person(&site, Role::Author, "aisha@example.org").await;
    let edith = person(&site, Role::Editor, "edith@example.org").await;
    let ada = person(&site, Role::Administrator, "ada@example.org").await;
    for who in [&carla, &aisha] {
        let r = get(&site, who, "/newsroom/comments").await;
        assert_eq!(r.status, 403);
        assert!(!r.body.contains("ann@example.org"));
        let r = post(
            &site,
            who,
            &format!("/newsroom/comments/{id}/status"),
            &[("action", "approve")],
        )
        .await;
        assert_eq!(r.status, 403);
        let r = get(
            &site,
            who,
            "/newsroom/comments/export?email=ann%40example.org",
        )
        .await;
        assert_eq!(r.status, 403);
        assert_eq!(
            get(&site, who, "/newsroom/settings/comments").await.status,
            403
        );
        let dash = get(&site, who, "/newsroom/").await.body;
        assert!(
            !dash.contains(r#"href="/newsroom/comments""#),
            "no link they cannot use"
        );
    }
    assert_eq!(status_of(&site, id).await, CommentStatus::Held);
    assert_eq!(get(&site, &edith, "/newsroom/comments").await.status, 200);
    assert_eq!(get(&site, &ada, "/newsroom/comments").await.status, 200);
    assert_eq!(
        get(&site, &edith, "/newsroom/settings/comments")
            .await
            .status,
        403
    );
    assert_eq!(
        get(&site, &ada, "/newsroom/settings/comments").await.status,
        200
    );
    let settings = get(&site, &ada, "/newsroom/settings").await.body;
    assert!(settings.contains(r#"href="/newsroom/settings/comments""#));
    // Nobody signed in is sent to sign in; another site's form is refused.
    let r = site.get("/newsroom/comments").await;
    assert_eq!(r.status, 303);
    let r = site
        .post_form(
            &format!("/newsroom/comments/{id}/status"),
            &[("action", "approve")],
            &[
                ("Cookie", &edith.cookie),
                ("Origin", "https://evil.example"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(status_of(&site, id).await, CommentStatus::Held);
}

/// The settings form as a browser would post it: every field, from `rules`.
fn settings_form(rules: &CommentRules) -> Vec<(&'static str, String)> {
    let mut f = vec![
        (
            "close_after_days",
            rules
                .close_after_days
                .map(|d| d.to_string())
                .unwrap_or_default(),
        ),
        ("flood_seconds", rules.flood_seconds.to_string()),
        ("min_form_seconds", rules.min_form_seconds.to_string()),
        ("max_form_hours", rules.max_form_hours.to_string()),
        ("hold_links", rules.hold_links.to_string()),
        ("moderation_words", rules.moderation_words.join("\r\n")),
        ("disallowed_words", rules.disallowed_words.join("\r\n")),
        (
            "spam_threshold",
            rules
                .spam_threshold
                .map(|t| t.to_string())
                .unwrap_or_default(),
        ),
        ("thread_depth", rules.thread_depth.to_string()),
        ("per_page", rules.per_page.to_string()),
        ("anonymise_ip_days", rules.anonymise_ip_days.to_string()),
        ("spam_keep_days", rules.spam_keep_days.to_string()),
    ];
    for (name, on) in [
        ("require_name_email", rules.require_name_email),
        ("close_all", rules.close_all),
        ("hold_all", rules.hold_all),
    ] {
        if on {
            f.push((name, "on".to_owned()));
        }
    }
    f
}

async fn comment_settings_are_checked_and_a_moderation_word_holds_a_known_author(db: TestDb) {
    let site = TestSite::empty(db).await;
    let ada = person(&site, Role::Administrator, "ada@example.org").await;
    let (art, _) = article(&site, "Tram fares rise").await;
    let (first, _) = comment(&site, art, ANN, "Fares are too high already.", 0).await;
    act(&site, &ada, first, "approve", "status=held").await;

    let form = get(&site, &ada, "/newsroom/settings/comments").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains(r#"name="flood_seconds""#));
    assert!(form.body.contains(r#"name="moderation_words""#));
    assert!(form.body.contains(r#"<label for="c-flood">"#));
    assert!(
        form.body.contains(r#"value="15""#),
        "the current flood interval"
    );

    // Mistakes are reported beside the form, nothing is saved and nothing typed is lost.
    let bad = CommentRules {
        thread_depth: 1,
        moderation_words: vec!["ferry".into()],
        ..CommentRules::default()
    };
    let mut fields = settings_form(&bad);
    let r = post(
        &site,
        &ada,
        "/newsroom/settings/comments",
        &fields
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body
            .contains("Replies must nest between 2 and 10 levels deep.")
    );
    assert!(r.body.contains(">ferry</textarea>"));
    for (k, v) in &mut fields {
        if *k == "flood_seconds" {
            *v = "soon".into();
        }
    }
    let r = post(
        &site,
        &ada,
        "/newsroom/settings/comments",
        &fields
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body
            .contains("The seconds between comments must be a whole number")
    );
    assert!(r.body.contains(r#"value="soon""#));
    assert!(r.body.contains(r#"aria-invalid="true""#));
    assert!(site.state.settings().comments.moderation_words.is_empty());

    let good = CommentRules {
        moderation_words: vec!["ferry".into(), "toll road".into()],
        flood_seconds: 0,
        close_after_days: Some(30),
        ..CommentRules::default()
    };
    let fields = settings_form(&good);
    let r = post(
        &site,
        &ada,
        "/newsroom/settings/comments",
        &fields
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some("/newsroom/settings/comments?done=saved")
    );
    assert!(
        follow(&site, &ada, &r)
            .await
            .contains("The comment settings are saved.")
    );
    let saved = site.state.settings().comments.clone();
    assert_eq!(saved.moderation_words, ["ferry", "toll road"]);
    assert_eq!(saved.flood_seconds, 0);
    assert_eq!(saved.close_after_days, Some(30));
    assert_eq!(saved, good);
    let again = get(&site, &ada, "/newsroom/settings/comments").await.body;
    assert!(again.contains("ferry\ntoll road</textarea>"));

    // A known author is approved at once, unless a moderation word holds them.
    let (plain, status) = comment(&site, art, ANN, "Buses would be cheaper.", 0).await;
    assert_eq!(status, "approved", "{plain}");
    let (worded, status) = comment(&site, art, ANN, "Take the Ferry instead.", 0).await;
    assert_eq!(status, "held");
    let queue = get(&site, &ada, "/newsroom/comments").await.body;
    assert!(queue.contains("Take the Ferry instead."));
    assert!(queue.contains("Contains the moderation word “ferry”"));
    assert_eq!(status_of(&site, worded).await, CommentStatus::Held);
    // Saved for every node: a fresh read of the store brings the same rules back.
    masthead_web::site_settings::reload(&site.state)
        .await
        .unwrap();
    assert_eq!(site.state.settings().comments, good);
}

/// A bulk action on the queue as `who`; returns the queue page it leads back to.
async fn bulk(site: &TestSite, who: &Person, action: &str, back: &str, ids: &[&String]) -> String {
    let mut form = vec![("action", action), ("back", back)];
    form.extend(ids.iter().map(|id| ("ids", id.as_str())));
    let r = post(site, who, "/newsroom/comments/bulk", &form).await;
    follow(site, who, &r).await
}
