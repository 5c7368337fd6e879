//! The storage conformance suite: every test here runs against SQLite and PostgreSQL.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

use chrono::{Duration, NaiveDate};
use masthead_core::ArticleStatus;
use masthead_core::paging::PageRequest;
use masthead_store::{
    ArticleFilter, ArticleLookup, Edit, NewArticle, NewPage, NewSection, RevisionContent,
    RevisionKind, SectionFields, StoreError, TagFields, TermKind,
};
use masthead_testkit::{TestStore, backend_tests, test_now};

backend_tests!(
    schema_is_applied_and_migrating_twice_is_harmless,
    a_schema_newer_than_the_binary_is_refused,
    titles_become_slugs_and_clashes_are_numbered,
    a_byline_met_again_unchanged_logs_nothing,
    an_empty_title_falls_back_to_the_id,
    unpublished_articles_are_invisible_to_the_public,
    reimport_by_external_id_updates_instead_of_duplicating,
    a_changed_slug_answers_its_old_url_with_a_redirect,
    the_url_date_moves_only_with_the_publication_time,
    lists_filter_by_section_tag_author_and_date,
    nested_sections_include_their_children,
    bylines_keep_their_order_and_repeats_are_dropped,
    every_write_appends_to_the_change_log,
    a_follower_misses_no_change_however_writers_interleave,
    an_imported_batch_numbers_clashing_slugs_threads_comments_and_updates_repeats,
    static_pages_are_found_by_slug_when_published,
    times_round_trip_exactly,
    set_listings_match_a_reference_and_follow_status_changes,
    control_characters_never_reach_stored_names,
    scheduled_articles_are_published_once_however_many_look,
    every_node_hears_of_each_committed_change_once,
    terms_are_found_by_slug_or_name_before_any_is_made,
    every_save_keeps_a_revision_saying_who_when_and_how,
    autosaves_leave_the_article_and_readers_caches_alone_and_are_pruned,
    renamed_sections_and_tags_keep_their_old_slugs_until_a_new_term_takes_one,
    bad_taxonomy_input_is_refused_and_changes_nothing,
    merging_tags_moves_each_article_once_and_listings_follow,
    deleting_a_section_moves_its_articles_subsections_and_slugs,
    deleting_a_tag_untags_and_forgets_it_unless_reassigned,
    a_dump_loads_into_an_empty_store_row_for_row,
    a_load_refuses_a_store_that_is_not_empty_or_of_another_schema,
    a_failed_load_leaves_the_target_empty,
    the_dump_reads_times_and_dates_by_the_rule_sqlite_relies_on,
    a_dump_pages_through_tables_larger_than_a_page,
);

fn article(title: &str, section: &str, hours_ago: i64) -> NewArticle {
    let mut a = NewArticle::published(title, section, test_now() - Duration::hours(hours_ago));
    a.body_source = format!("Body of {title}");
    a.body_html = format!("<p>Body of {title}</p>");
    a.excerpt = format!("Body of {title}");
    a
}

async fn schema_is_applied_and_migrating_twice_is_harmless(t: TestStore) {
    let v = t.store.schema_version().await.unwrap();
    assert_eq!(v, t.store.known_schema_version());
    assert!(v > 0);
    t.store.migrate().await.unwrap();
    assert_eq!(t.store.schema_version().await.unwrap(), v);
    t.store.ping().await.unwrap();
}

async fn a_schema_newer_than_the_binary_is_refused(t: TestStore) {
    t.store.set_setting("probe", "1").await.unwrap();
    let raw = masthead_store::testing::raw_execute(
        &t.store,
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99990101000000, 'from the future', TRUE, '\\x00', 0)",
    );
    raw.await.unwrap_or_else(|e| panic!("{e}"));
    match t.store.migrate().await {
        Err(StoreError::SchemaTooNew { found, known }) => {
            assert_eq!(found, 99990101000000);
            assert_eq!(known, t.store.known_schema_version());
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
}

async fn titles_become_slugs_and_clashes_are_numbered(t: TestStore) {
    let s = &t.store;
    let first = s
        .save_article(&article("Café Müller", "City", 3))
        .await
        .unwrap();
    let second = s
        .save_article(&article("Café Müller", "City", 2))
        .await
        .unwrap();
    let third = s
        .save_article(&article("Cafe Muller!", "City", 1))
        .await
        .unwrap();
    let slugs: Vec<String> = futures_slugs(s, &[first.id, second.id, third.id]).await;
    assert_eq!(slugs, ["cafe-muller", "cafe-muller-2", "cafe-muller-3"]);

    let mut given = article("Whatever", "City", 1);
    given.slug = Some("привет-мир".to_owned());
    let id = s.save_article(&given).await.unwrap().id;
    assert_eq!(
        s.article(id).await.unwrap().unwrap().summary.slug,
        "привет-мир"
    );
}

async fn futures_slugs(s: &masthead_store::Store, ids: &[i64]) -> Vec<String> {
    let mut out = Vec::new();
    for id in ids {
        out.push(s.article(*id).await.unwrap().unwrap().summary.slug);
    }
    out
}

async fn an_empty_title_falls_back_to_the_id(t: TestStore) {
    let saved = t
        .store
        .save_article(&article("¿¿??", "City", 1))
        .await
        .unwrap();
    let a = t.store.article(saved.id).await.unwrap().unwrap();
    assert_eq!(a.summary.slug, saved.id.to_string());
}

async fn unpublished_articles_are_invisible_to_the_public(t: TestStore) {
    let s = &t.store;
    let public = s
        .save_article(&article("Visible story", "City", 1))
        .await
        .unwrap();
    let mut hidden = Vec::new();
    for status in [
        ArticleStatus::Draft,
        ArticleStatus::Pending,
        ArticleStatus::Private,
        ArticleStatus::Trash,
    ] {
        let mut a = article(&format!("Hidden {status}"), "City", 1);
        a.status = status;
        hidden.push(s.save_article(&a).await.unwrap().id);
    }
    let mut scheduled = article("Scheduled story", "City", -5);
    scheduled.status = ArticleStatus::Published; // published, but its time has not come
    let future = s.save_article(&scheduled).await.unwrap().id;
    hidden.push(future);

    let (list, total) = s
        .list_public(&ArticleFilter::default(), PageRequest::new(1, 50))
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(list.iter().map(|a| a.id).collect::<Vec<_>>(), [public.id]);
    assert_eq!(s.count_public(&ArticleFilter::default()).await.unwrap(), 1);
    for id in &hidden {
        assert!(
            s.public_article_by_id(*id).await.unwrap().is_none(),
            "article {id} leaked"
        );
        assert!(s.article(*id).await.unwrap().is_some());
    }
    // When its time comes, the future one appears without anyone touching it.
    t.clock.advance(Duration::hours(6));
    assert_eq!(s.count_public(&ArticleFilter::default()).await.unwrap(), 2);
    assert!(s.public_article_by_id(future).await.unwrap().is_some());
}

async fn reimport_by_external_id_updates_instead_of_duplicating(t: TestStore) {
    let s = &t.store;
    let mut a = article("Wire story", "Business", 2);
    a.external_id = Some("reuters-00001".to_owned());
    let first = s.save_article(&a).await.unwrap();
    assert!(first.created);
    a.body_html = "<p>Corrected</p>".to_owned();
    let second = s.save_article(&a).await.unwrap();
    assert_eq!(
        second,
        masthead_store::Saved {
            id: first.id,
            created: false,
            version: 2,
        }
    );
    assert_eq!(s.count_public(&ArticleFilter::default()).await.unwrap(), 1);
    let stored = s.article(first.id).await.unwrap().unwrap();
    assert_eq!(stored.body_html, "<p>Corrected</p>");
    assert_eq!(
        stored.summary.slug, "wire-story",
        "an unchanged title keeps its slug"
    );
    assert_eq!(stored.summary.external_id.as_deref(), Some("reuters-00001"));
}

async fn a_changed_slug_answers_its_old_url_with_a_redirect(t: TestStore) {
    let s = &t.store;
    let mut a = article("Old headline", "City", 2);
    a.external_id = Some("x1".to_owned());
    let id = s.save_article(&a).await.unwrap().id;
    let date = s
        .article(id)
        .await
        .unwrap()
        .unwrap()
        .summary
        .url_date
        .unwrap();
    a.slug = Some("new-headline".to_owned());
    s.save_article(&a).await.unwrap();
    let new_path = format!("/{}/new-headline/", date.format("%Y/%m/%d"));
    assert_eq!(
        s.public_article_at(date, "old-headline").await.unwrap(),
        ArticleLookup::Moved(new_path.clone())
    );
    assert!(matches!(
        s.public_article_at(date, "new-headline").await.unwrap(),
        ArticleLookup::Found(_)
    ));
    // The right slug under a wrong date also finds its way home.
    let wrong = date - Duration::days(3);
    assert_eq!(
        s.public_article_at(wrong, "new-headline").await.unwrap(),
        ArticleLookup::Moved(new_path)
    );
    assert_eq!(
        s.public_article_at(date, "never-was").await.unwrap(),
        ArticleLookup::NotFound
    );
}

async fn the_url_date_moves_only_with_the_publication_time(t: TestStore) {
    let s = &t.store;
    // 23:30 UTC: still the 14th in UTC.
    let at = test_now() - Duration::hours(12) - Duration::minutes(30);
    let mut a = NewArticle::published("Late night vote", "Politics", at);
    a.external_id = Some("late".to_owned());
    let id = s.save_article(&a).await.unwrap().id;
    let stored = |s: &masthead_store::Store| {
        let s = s.clone();
        async move {
            s.article(id)
                .await
                .unwrap()
                .unwrap()
                .summary
                .url_date
                .unwrap()
        }
    };
    let date = stored(s).await;
    assert_eq!(date, at.date_naive());
    // Saving again with the same publication time keeps the date (a re-import, an edit).
    a.title = "Late night vote passes".into();
    s.save_article(&a).await.unwrap();
    assert_eq!(stored(s).await, date);
    // An editor moving the publication time to another day moves the URL, and the old
    // one redirects to the new.
    a.published_at = Some(at - Duration::days(2));
    s.save_article(&a).await.unwrap();
    let moved = stored(s).await;
    assert_eq!(moved, (at - Duration::days(2)).date_naive());
    let slug = s.article(id).await.unwrap().unwrap().summary.slug;
    assert_eq!(
        s.public_article_at(date, &slug).await.unwrap(),
        ArticleLookup::Moved(masthead_core::article::article_path(moved, &slug))
    );
}

async fn lists_filter_by_section_tag_author_and_date(t: TestStore) {
    let s = &t.store;
    let mut a = article("Budget vote", "Politics", 30);
    a.tags = vec!["Council budget".into(), "Votes".into()];
    a.authors = vec!["Maya Okafor".into()];
    a.other_sections = vec!["City".into()];
    let a_id = s.save_article(&a).await.unwrap().id;
    let mut b = article("Port profits", "Business", 2);
    b.tags = vec!["Port".into()];
    b.authors = vec!["Tom Reed".into()];
    let b_id = s.save_article(&b).await.unwrap().id;

    let politics = s.section_by_slug("politics").await.unwrap().unwrap();
    let city = s.section_by_slug("city").await.unwrap().unwrap();
    let page = PageRequest::new(1, 10);
    let ids = |f: ArticleFilter| async move {
        s.list_public(&f, page)
            .await
            .unwrap()
            .0
            .into_iter()
            .map(|x| x.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(ArticleFilter::default()).await,
        [b_id, a_id],
        "newest first"
    );
    assert_eq!(
        ids(ArticleFilter {
            section_ids: vec![politics.id],
            ..Default::default()
        })
        .await,
        [a_id]
    );
    assert_eq!(
        ids(ArticleFilter {
            section_ids: vec![city.id],
            ..Default::default()
        })
        .await,
        [a_id],
        "other sections count"
    );
    let tag = s.tag_by_slug("council-budget").await.unwrap().unwrap();
    assert_eq!(tag.name, "Council budget");
    assert_eq!(
        ids(ArticleFilter {
            tag_id: Some(tag.id),
            ..Default::default()
        })
        .await,
        [a_id]
    );
    let tom = s.author_by_slug("tom-reed").await.unwrap().unwrap();
    assert_eq!(
        ids(ArticleFilter {
            author_id: Some(tom.id),
            ..Default::default()
        })
        .await,
        [b_id]
    );
    let cutoff = test_now() - Duration::hours(10);
    assert_eq!(
        ids(ArticleFilter {
            published_after: Some(cutoff),
            ..Default::default()
        })
        .await,
        [b_id]
    );
    assert_eq!(
        ids(ArticleFilter {
            published_before: Some(cutoff),
            ..Default::default()
        })
        .await,
        [a_id]
    );
    let day = (test_now() - Duration::hours(2)).date_naive();
    let f = ArticleFilter {
        date_from: Some(day),
        date_until: day.succ_opt(),
        ..Default::default()
    };
    assert_eq!(ids(f).await, [b_id]);
    let f = ArticleFilter {
        date_from: NaiveDate::from_ymd_opt(2000, 1, 1),
        date_until: NaiveDate::from_ymd_opt(2000, 2, 1),
        ..Default::default()
    };
    assert!(ids(f).await.is_empty());

    // Paging: one per page.
    let (p2, total) = s
        .list_public(&ArticleFilter::default(), PageRequest::new(2, 1))
        .await
        .unwrap();
    assert_eq!(total, 2);
    assert_eq!(p2.iter().map(|x| x.id).collect::<Vec<_>>(), [a_id]);
    let (p3, _) = s
        .list_public(&ArticleFilter::default(), PageRequest::new(3, 1))
        .await
        .unwrap();
    assert!(p3.is_empty());
}

async fn nested_sections_include_their_children(t: TestStore) {
    let s = &t.store;
    s.upsert_section(&NewSection {
        slug: "business".into(),
        name: "Business".into(),
        description: String::new(),
        parent_slug: None,
    })
    .await
    .unwrap();
    s.upsert_section(&NewSection {
        slug: "technology".into(),
        name: "Technology".into(),
        description: String::new(),
        parent_slug: Some("business".into()),
    })
    .await
    .unwrap();
    let id = s
        .save_article(&article("Start-up raises money", "Technology", 1))
        .await
        .unwrap()
        .id;
    let business = s.section_by_slug("business").await.unwrap().unwrap();
    let family = s.section_with_descendants(business.id).await.unwrap();
    assert_eq!(family.len(), 2);
    let (list, _) = s
        .list_public(
            &ArticleFilter {
                section_ids: family,
                ..Default::default()
            },
            PageRequest::new(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(list[0].id, id);
    assert_eq!(list[0].section.slug, "technology");
}

async fn bylines_keep_their_order_and_repeats_are_dropped(t: TestStore) {
    let mut a = article("Two bylines", "City", 1);
    a.authors = vec!["Zoe Adams".into(), "Adam Zed".into(), "Zoe Adams".into()];
    a.tags = vec!["b".into(), "a".into(), "B".into()];
    let id = t.store.save_article(&a).await.unwrap().id;
    let got = t.store.article(id).await.unwrap().unwrap().summary;
    assert_eq!(
        got.authors
            .iter()
            .map(|x| x.name.as_str())
            .collect::<Vec<_>>(),
        ["Zoe Adams", "Adam Zed"]
    );
    assert_eq!(
        got.tags.iter().map(|x| x.slug.as_str()).collect::<Vec<_>>(),
        ["b", "a"]
    );
    assert_eq!(got.sections.len(), 1);
}

async fn every_write_appends_to_the_change_log(t: TestStore) {
    let s = &t.store;
    let before = s.latest_change_id().await.unwrap();
    let local = s.local_change_count();
    s.save_article(&article("One", "City", 1)).await.unwrap();
    let after_one = s.latest_change_id().await.unwrap();
    assert!(after_one > before);
    s.save_articles(&[article("Two", "City", 1), article("Three", "City", 1)])
        .await
        .unwrap();
    assert!(s.latest_change_id().await.unwrap() >= after_one + 2);
    assert_eq!(s.local_change_count(), local + 2, "one commit per batch");
}

/// Caches and the search index follow the change log by id: a change must never
/// become visible after one with a higher id, or a follower that has moved past it
/// never sees it (PostgreSQL hands out ids before commit, in no particular order).
async fn a_follower_misses_no_change_however_writers_interleave(t: TestStore) {
    let s = t.store.clone();
    let before = s.latest_change_id().await.unwrap();
    let writers: Vec<_> = (0..6)
        .map(|w| {
            let s = s.clone();
            tokio::spawn(async move {
                for i in 0..25 {
                    s.save_article(&article(&format!("Writer {w} story {i}"), "City", 1))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = before;
    let mut read = |changes: Vec<masthead_store::Change>, cursor: &mut i64| {
        if let Some(last) = changes.last() {
            *cursor = last.id;
        }
        seen.extend(changes.into_iter().map(|c| c.id));
    };
    while !writers.iter().all(|w| w.is_finished()) {
        read(s.changes_after(cursor, 1000).await.unwrap(), &mut cursor);
        tokio::task::yield_now().await;
    }
    for w in writers {
        w.await.unwrap();
    }
    read(s.changes_after(cursor, 100_000).await.unwrap(), &mut cursor);
    let all: std::collections::BTreeSet<i64> = s
        .changes_after(before, 100_000)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert!(all.len() >= 150, "{}", all.len());
    let missed: Vec<_> = all.difference(&seen).collect();
    assert!(missed.is_empty(), "the follower never saw {missed:?}");
}

/// The change log tells a new byline (nothing to index again) from a renamed one (its
/// articles show the new name), and one met again unchanged adds no row at all.
async fn a_byline_met_again_unchanged_logs_nothing(t: TestStore) {
    use masthead_store::NewAuthor;
    let s = &t.store;
    let byline = |name: &str| NewAuthor {
        slug: "ana-ruiz".into(),
        name: name.into(),
        bio: String::new(),
    };
    let before = s.latest_change_id().await.unwrap();
    let id = s.upsert_author(&byline("Ana Ruiz")).await.unwrap();
    assert_eq!(s.upsert_author(&byline("Ana Ruiz")).await.unwrap(), id);
    assert_eq!(s.upsert_author(&byline("Ana Ruiz Soto")).await.unwrap(), id);
    let logged: Vec<(String, i64, String)> = s
        .changes_after(before, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.entity, c.entity_id, c.action))
        .collect();
    assert_eq!(
        logged,
        [
            ("author".to_owned(), id, "create".to_owned()),
            ("author".to_owned(), id, "update".to_owned())
        ]
    );
}

/// A batch of new articles is written together (multi-row statements): slugs that clash
/// with the site or within the batch are numbered, threads keep their shape whatever
/// order the replies come in, counts and terms are right, and an article the batch
/// repeats is updated, as one save after another would have it.
async fn an_imported_batch_numbers_clashing_slugs_threads_comments_and_updates_repeats(
    t: TestStore,
) {
    use masthead_core::comment::CommentStatus;
    use masthead_store::{ImportComment, ImportItem, NewComment, NewRedirect, RedirectTarget};
    let s = &t.store;
    s.save_article(&article("Harbour Opens", "City", 3))
        .await
        .unwrap();
    let item = |ext: &str, title: &str, comments: Vec<ImportComment>| {
        let mut a = article(title, "Port News", 2);
        a.external_id = Some(ext.to_owned());
        a.tags = vec![
            "Ferries".to_owned(),
            "ferries".to_owned(),
            "Tides".to_owned(),
        ];
        a.authors = vec!["Ana Ruiz".to_owned(), "Bo Lin".to_owned()];
        ImportItem {
            article: a,
            comments,
            old_addresses: vec![format!("/?p={ext}")],
        }
    };
    let comment = |ext: &str, parent: Option<&str>, status| ImportComment {
        external_id: ext.to_owned(),
        parent_external_id: parent.map(str::to_owned),
        comment: NewComment {
            status: Some(status),
            author_name: format!("Reader {ext}"),
            body: format!("Comment {ext}"),
            ..NewComment::default()
        },
    };
    let thread = vec![
        comment("c3", Some("c2"), CommentStatus::Approved),
        comment("c2", Some("c1"), CommentStatus::Held),
        comment("c1", None, CommentStatus::Approved),
        comment("c4", Some("elsewhere"), CommentStatus::Approved),
    ];
    // An address an editor redirected by hand stays theirs.
    s.save_redirect(
        None,
        &NewRedirect {
            from_path: "/?p=3".into(),
            target: RedirectTarget::Address("/by-hand/".into()),
            suffix: String::new(),
            status: 302,
            origin: "manual".into(),
        },
    )
    .await
    .unwrap();
    let done = s
        .import_articles(
            &[
                item("1", "Harbour Opens", thread),
                item("2", "Harbour Opens", Vec::new()),
                item("3", "", Vec::new()),
                item("1", "Harbour Opens Again", Vec::new()),
            ],
            "wordpress",
        )
        .await
        .unwrap();
    assert_eq!(done.len(), 4);
    assert!(done[0].saved.created && done[1].saved.created && done[2].saved.created);
    assert!(!done[3].saved.created, "the repeat updates the first");
    assert_eq!(done[3].saved.id, done[0].saved.id);
    assert_eq!((done[0].comments_created, done[0].redirects), (4, 1));
    let first = s.article(done[0].saved.id).await.unwrap().unwrap();
    let second = s.article(done[1].saved.id).await.unwrap().unwrap();
    let third = s.article(done[2].saved.id).await.unwrap().unwrap();
    assert_eq!(first.summary.title, "Harbour Opens Again");
    // It was written as harbour-opens-2, then renamed by the repeat (as a save renames).
    assert_eq!(first.summary.slug, "harbour-opens-again");
    assert_eq!(second.summary.slug, "harbour-opens-3");
    assert_eq!(third.summary.slug, done[2].saved.id.to_string());
    assert_eq!(
        first
            .summary
            .tags
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["Ferries", "Tides"]
    );
    assert_eq!(
        first
            .summary
            .authors
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>(),
        ["Ana Ruiz", "Bo Lin"]
    );
    assert_eq!(first.summary.sections[0].name, "Port News");
    let comments = s.every_comment_on(done[0].saved.id).await.unwrap();
    let by_body = |b: &str| {
        comments
            .iter()
            .find(|c| c.body == format!("Comment {b}"))
            .unwrap()
    };
    assert_eq!(by_body("c1").parent_id, None);
    assert_eq!(by_body("c2").parent_id, Some(by_body("c1").id));
    assert_eq!(by_body("c3").parent_id, Some(by_body("c2").id));
    assert_eq!(by_body("c4").parent_id, None);
    assert_eq!(first.summary.comment_count, 3, "approved ones");
    let hit = s.redirect_for("/?p=2").await.unwrap().unwrap();
    assert_eq!(hit.status, 301);
    assert!(hit.location.unwrap().ends_with("/harbour-opens-3/"));
    assert_eq!((done[1].redirects, done[2].redirects), (1, 0));
    let kept = s.redirect_for("/?p=3").await.unwrap().unwrap();
    assert_eq!(kept.status, 302);
    assert_eq!(kept.location.as_deref(), Some("/by-hand/"));
    // Ids the batch took are the ones the site goes on from.
    let next = s
        .save_article(&article("After The Import", "City", 1))
        .await
        .unwrap();
    assert!(next.id > done[2].saved.id);
}

async fn static_pages_are_found_by_slug_when_published(t: TestStore) {
    let s = &t.store;
    let page = |slug: &str, status| NewPage {
        slug: slug.into(),
        title: slug.to_uppercase(),
        body_format: masthead_core::BodyFormat::Markdown,
        body_source: "x".into(),
        body_html: "<p>x</p>".into(),
        status,
    };
    s.upsert_page(&page("about", ArticleStatus::Published))
        .await
        .unwrap();
    s.upsert_page(&page("secret", ArticleStatus::Draft))
        .await
        .unwrap();
    assert_eq!(
        s.public_page("about").await.unwrap().unwrap().title,
        "ABOUT"
    );
    assert!(s.public_page("secret").await.unwrap().is_none());
    assert_eq!(s.public_pages().await.unwrap().len(), 1);
}

async fn times_round_trip_exactly(t: TestStore) {
    let at = test_now() - Duration::milliseconds(1_234_567);
    let id = t
        .store
        .save_article(&NewArticle::published("Timed", "City", at))
        .await
        .unwrap()
        .id;
    let got = t.store.article(id).await.unwrap().unwrap();
    assert_eq!(got.summary.published_at, Some(at));
    assert_eq!(got.summary.updated_at, test_now());
}

/// What the listing index must answer, computed here from the articles as written:
/// public (published, time come), in the filter's sets, newest first.
struct Written {
    id: i64,
    at: chrono::DateTime<chrono::Utc>,
    public: bool,
    sections: Vec<&'static str>,
    tag: String,
    author: String,
}

/// Whether a written article belongs in a filter's listing.
type Membership = Box<dyn Fn(&Written) -> bool>;

async fn set_listings_match_a_reference_and_follow_status_changes(t: TestStore) {
    let s = &t.store;
    for (slug, parent) in [("sport", None), ("football", Some("sport")), ("city", None)] {
        s.upsert_section(&NewSection {
            slug: slug.into(),
            name: slug.to_uppercase(),
            description: String::new(),
            parent_slug: parent.map(str::to_owned),
        })
        .await
        .unwrap();
    }
    let mut written = Vec::new();
    let mut drafts = Vec::new();
    for i in 0..40_i64 {
        // Same-hour pairs test the id tie-break; every fifth is a draft, every
        // seventh is scheduled for later; some football stories are also in Sport.
        let hours = if i % 6 == 0 { i + 1 } else { i };
        let mut a = article(
            &format!("Story {i}"),
            ["SPORT", "FOOTBALL", "CITY"][(i % 3) as usize],
            hours,
        );
        if i % 5 == 0 {
            a.status = ArticleStatus::Draft;
        }
        if i % 7 == 0 {
            a.published_at = Some(test_now() + Duration::hours(3));
        }
        if i % 3 == 1 && i % 2 == 0 {
            a.other_sections = vec!["SPORT".into()];
        }
        a.tags = vec![format!("t{}", i % 4)];
        a.authors = vec![format!("Writer {}", i % 3)];
        a.external_id = Some(format!("ref-{i}"));
        let id = s.save_article(&a).await.unwrap().id;
        drafts.push(a.clone());
        let mut sections = vec![["sport", "football", "city"][(i % 3) as usize]];
        if !a.other_sections.is_empty() {
            sections.push("sport");
        }
        written.push(Written {
            id,
            at: a.published_at.unwrap(),
            public: a.status == ArticleStatus::Published && a.published_at.unwrap() <= test_now(),
            sections,
            tag: format!("t{}", i % 4),
            author: format!("writer-{}", i % 3),
        });
    }
    let sport = s.section_by_slug("sport").await.unwrap().unwrap();
    let family = s.section_with_descendants(sport.id).await.unwrap();
    assert_eq!(family.len(), 2);
    let football = s.section_by_slug("football").await.unwrap().unwrap().id;
    let t1 = s.tag_by_slug("t1").await.unwrap().unwrap().id;
    let w1 = s.author_by_slug("writer-1").await.unwrap().unwrap().id;
    let w2 = s.author_by_slug("writer-2").await.unwrap().unwrap().id;
    let excluded = [written[4].id, written[10].id];
    let cases: Vec<(ArticleFilter, Membership)> = vec![
        (ArticleFilter::default(), Box::new(|_| true)),
        (
            ArticleFilter {
                section_ids: family.clone(),
                ..Default::default()
            },
            Box::new(|w| w.sections.iter().any(|x| *x == "sport" || *x == "football")),
        ),
        (
            ArticleFilter {
                section_ids: vec![football],
                exclude_ids: excluded.to_vec(),
                ..Default::default()
            },
            Box::new(move |w| w.sections.contains(&"football") && !excluded.contains(&w.id)),
        ),
        (
            ArticleFilter {
                tag_id: Some(t1),
                ..Default::default()
            },
            Box::new(|w| w.tag == "t1"),
        ),
        (
            ArticleFilter {
                tag_id: Some(t1),
                author_id: Some(w1),
                section_ids: family.clone(),
                ..Default::default()
            },
            Box::new(|w| {
                w.tag == "t1"
                    && w.author == "writer-1"
                    && w.sections.iter().any(|x| *x == "sport" || *x == "football")
            }),
        ),
        (
            ArticleFilter {
                author_id: Some(w2),
                published_after: Some(test_now() - Duration::hours(20)),
                ..Default::default()
            },
            Box::new(|w| w.author == "writer-2" && w.at >= test_now() - Duration::hours(20)),
        ),
    ];
    for (filter, wanted) in &cases {
        let mut expected: Vec<&Written> =
            written.iter().filter(|w| w.public && wanted(w)).collect();
        expected.sort_by(|a, b| b.at.cmp(&a.at).then(b.id.cmp(&a.id)));
        let expected: Vec<i64> = expected.iter().map(|w| w.id).collect();
        assert!(!expected.is_empty(), "{filter:?} has members");
        assert_eq!(
            s.count_public(filter).await.unwrap(),
            expected.len() as i64,
            "{filter:?}"
        );
        for page in 1..=4 {
            let got: Vec<i64> = s
                .public_articles(filter, PageRequest::new(page, 3))
                .await
                .unwrap()
                .iter()
                .map(|a| a.id)
                .collect();
            let from = ((page - 1) * 3) as usize;
            let want: Vec<i64> = expected.iter().skip(from).take(3).copied().collect();
            assert_eq!(got, want, "{filter:?} page {page}");
        }
    }

    // Unpublishing and rescheduling reach the set listings, not just the article row.
    let in_sport = ArticleFilter {
        section_ids: family,
        ..Default::default()
    };
    let listed = |s: &masthead_store::Store| {
        let s = s.clone();
        let f = in_sport.clone();
        async move {
            s.public_articles(&f, PageRequest::new(1, 100))
                .await
                .unwrap()
                .iter()
                .map(|a| a.id)
                .collect::<Vec<i64>>()
        }
    };
    let before = listed(s).await;
    let newest = before[0];
    let k = written.iter().position(|w| w.id == newest).unwrap();
    let mut edit = drafts[k].clone();
    edit.status = ArticleStatus::Draft;
    assert_eq!(s.save_article(&edit).await.unwrap().id, newest);
    let after = listed(s).await;
    assert!(!after.contains(&newest));
    assert_eq!(after.len(), before.len() - 1);
    assert_eq!(s.count_public(&in_sport).await.unwrap(), after.len() as i64);
    edit.status = ArticleStatus::Published;
    edit.published_at = Some(test_now() - Duration::hours(100));
    s.save_article(&edit).await.unwrap();
    assert_eq!(listed(s).await.last(), Some(&newest), "moved to the oldest");
}

async fn control_characters_never_reach_stored_names(t: TestStore) {
    let mut a = article("Controls", "Sec\u{1f}tion", 1);
    a.tags = vec!["odd\u{1e}tag".into(), "plain".into()];
    a.authors = vec!["Ann\u{0} Author".into()];
    let id = t.store.save_article(&a).await.unwrap().id;
    let got = t.store.article(id).await.unwrap().unwrap().summary;
    assert_eq!(got.section.name, "Section");
    let tags: Vec<&str> = got.tags.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tags, ["oddtag", "plain"]);
    assert_eq!(got.authors[0].name, "Ann Author");
}

async fn scheduled_articles_are_published_once_however_many_look(t: TestStore) {
    let s = &t.store;
    let edit = masthead_store::Edit::default();
    let mut ids = Vec::new();
    for (i, minutes) in [5, 10, 15, 20, 90].into_iter().enumerate() {
        let mut a = article(&format!("Scheduled {i}"), "City", 0);
        a.status = ArticleStatus::Scheduled;
        a.published_at = Some(test_now() + Duration::minutes(minutes));
        ids.push(s.create_article(&a, &edit).await.unwrap().id);
    }
    assert_eq!(s.publish_due().await.unwrap(), Vec::<i64>::new());
    assert_eq!(
        s.next_scheduled().await.unwrap(),
        Some(test_now() + Duration::minutes(5))
    );
    t.clock.advance(Duration::minutes(30));
    // Two looks at once (two nodes, or a node and a start-up): each article once.
    let (a, b) = tokio::join!(s.publish_due(), s.publish_due());
    let mut both: Vec<i64> = a.unwrap().into_iter().chain(b.unwrap()).collect();
    both.sort_unstable();
    assert_eq!(both, ids[..4].to_vec());
    for id in &ids[..4] {
        let stored = s.article(*id).await.unwrap().unwrap();
        assert_eq!(stored.summary.status, ArticleStatus::Published);
        assert!(
            stored.summary.url_date.is_some(),
            "published articles get their URL date"
        );
    }
    // Lists (which read the link tables' copy of the status) show them at once.
    let city = s.section_by_slug("city").await.unwrap().unwrap();
    let filter = ArticleFilter {
        section_ids: vec![city.id],
        ..Default::default()
    };
    assert_eq!(s.count_public(&filter).await.unwrap(), 4);
    assert_eq!(
        s.next_scheduled().await.unwrap(),
        Some(test_now() + Duration::minutes(90))
    );
}

async fn terms_are_found_by_slug_or_name_before_any_is_made(t: TestStore) {
    let s = &t.store;
    s.upsert_section(&masthead_store::NewSection {
        slug: "technology".into(),
        name: "Tech".into(),
        description: String::new(),
        parent_slug: None,
    })
    .await
    .unwrap();
    let mut by_slug = article("By slug", "technology", 1);
    by_slug.tags = vec!["Harbour Bridge".into()];
    s.save_article(&by_slug).await.unwrap();
    let mut by_name = article("By name", "Tech", 1);
    by_name.tags = vec!["harbour-bridge".into()];
    s.save_article(&by_name).await.unwrap();
    let sections = s.sections().await.unwrap();
    assert_eq!(sections.len(), 1, "{sections:?}");
    let tags = s.tags().await.unwrap();
    assert_eq!(tags.len(), 1, "{tags:?}");
    assert_eq!(tags[0].name, "Harbour Bridge");
}

async fn person(s: &masthead_store::Store, name: &str) -> i64 {
    s.create_user(&masthead_store::NewUser {
        email: format!("{}@example.org", name.to_lowercase()),
        name: name.into(),
        role: masthead_core::Role::Editor,
        password_hash: None,
    })
    .await
    .unwrap()
}

/// A save by `user`, based on `version` when given.
fn by(user: i64, version: Option<i64>) -> Edit {
    Edit {
        user_id: Some(user),
        based_on: version,
        ..Default::default()
    }
}

async fn every_save_keeps_a_revision_saying_who_when_and_how(t: TestStore) {
    let s = &t.store;
    let (edith, emil) = (person(s, "Edith").await, person(s, "Emil").await);
    let mut a = article("Budget night", "City", 1);
    let created = s.create_article(&a, &by(edith, None)).await.unwrap();
    t.clock.advance(Duration::minutes(5));
    a.title = "Budget night: the details".into();
    let second = s
        .update_article(created.id, &a, &by(emil, Some(created.version)))
        .await
        .unwrap();
    t.clock.advance(Duration::minutes(5));
    let first = s.revisions(created.id).await.unwrap().pop().unwrap();
    let restored = s
        .update_article(
            created.id,
            &article("Budget night", "City", 1),
            &Edit {
                restoring: true,
                ..by(edith, Some(second.version))
            },
        )
        .await
        .unwrap();
    let history = s.revision_entries(created.id).await.unwrap();
    let seen: Vec<_> = history
        .iter()
        .map(|r| (r.kind, r.version, r.user_name.as_deref(), r.created_at))
        .collect();
    assert_eq!(
        seen,
        [
            (
                RevisionKind::Restore,
                restored.version,
                Some("Edith"),
                test_now() + Duration::minutes(10)
            ),
            (
                RevisionKind::Save,
                second.version,
                Some("Emil"),
                test_now() + Duration::minutes(5)
            ),
            (
                RevisionKind::Save,
                created.version,
                Some("Edith"),
                test_now()
            ),
        ]
    );
    let one = s.revision(history[1].id).await.unwrap().unwrap();
    assert_eq!(one.article_id, created.id);
    assert_eq!(one.content.title, "Budget night: the details");
    assert_eq!(
        s.revision(first.id).await.unwrap().unwrap().content.title,
        "Budget night"
    );
    assert!(s.revision(999_999).await.unwrap().is_none());
    assert_eq!(
        s.article(created.id).await.unwrap().unwrap().summary.title,
        "Budget night",
        "the restore is the article now"
    );
}

async fn autosaves_leave_the_article_and_readers_caches_alone_and_are_pruned(t: TestStore) {
    let s = &t.store;
    let (edith, emil) = (person(s, "Edith").await, person(s, "Emil").await);
    let a = article("Ferry timetable", "City", 1);
    let saved = s.create_article(&a, &by(edith, None)).await.unwrap();
    let (changes, local) = (s.latest_change_id().await.unwrap(), s.local_change_count());
    let mut typing = RevisionContent::from(&a);
    for i in 1..=7 {
        typing.body_source = format!("Draft {i}");
        t.clock.advance(Duration::seconds(15));
        let kept = s.autosave(saved.id, &typing, edith, 5).await.unwrap();
        assert_eq!(kept.kind, RevisionKind::Autosave);
        assert_eq!(kept.version, saved.version, "at the version typed over");
    }
    typing.body_source = "Emil's notes".into();
    s.autosave(saved.id, &typing, emil, 5).await.unwrap();
    let stored = s.article(saved.id).await.unwrap().unwrap();
    assert_eq!(stored.body_source, "Body of Ferry timetable");
    assert_eq!(stored.version, saved.version);
    assert_eq!(
        s.latest_change_id().await.unwrap(),
        changes,
        "no change-log row"
    );
    assert_eq!(s.local_change_count(), local, "no local change either");

    let autosaves = |user: i64| async move {
        s.revisions(saved.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.kind == RevisionKind::Autosave && r.user_id == Some(user))
            .map(|r| r.content.body_source)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        autosaves(edith).await,
        ["Draft 7", "Draft 6", "Draft 5", "Draft 4", "Draft 3"],
        "the newest five of hers"
    );
    assert_eq!(autosaves(emil).await, ["Emil's notes"]);

    // Her save holds what she typed: her autosaves go, Emil's unsaved typing stays.
    s.update_article(saved.id, &a, &by(edith, Some(saved.version)))
        .await
        .unwrap();
    assert!(autosaves(edith).await.is_empty());
    assert_eq!(autosaves(emil).await, ["Emil's notes"]);
    // A later autosave of hers is kept again, and one for a missing article is refused.
    s.autosave(saved.id, &typing, edith, 5).await.unwrap();
    assert_eq!(autosaves(edith).await.len(), 1);
    assert!(matches!(
        s.autosave(999_999, &typing, edith, 5).await,
        Err(StoreError::NotFound(_))
    ));
}

/// A new section's id.
async fn new_section(
    s: &masthead_store::Store,
    name: &str,
    slug: &str,
    parent_id: Option<i64>,
) -> i64 {
    let fields = section_fields(name, slug, parent_id);
    s.create_section(&fields).await.unwrap().id
}

/// A new tag's id.
async fn new_tag(s: &masthead_store::Store, name: &str) -> i64 {
    s.create_tag(&tag_fields(name, "")).await.unwrap().id
}

fn section_fields(name: &str, slug: &str, parent_id: Option<i64>) -> SectionFields {
    SectionFields {
        name: name.into(),
        slug: slug.into(),
        parent_id,
        description: String::new(),
    }
}

fn tag_fields(name: &str, slug: &str) -> TagFields {
    TagFields {
        name: name.into(),
        slug: slug.into(),
    }
}

/// The public articles a filter lists (ids, newest first), checked against its count.
async fn listed(s: &masthead_store::Store, filter: ArticleFilter) -> Vec<i64> {
    let (list, total) = s
        .list_public(&filter, PageRequest::new(1, 50))
        .await
        .unwrap();
    assert_eq!(
        total,
        list.len() as i64,
        "count_public agrees with the list"
    );
    list.into_iter().map(|a| a.id).collect()
}

fn tagged(id: i64) -> ArticleFilter {
    ArticleFilter {
        tag_id: Some(id),
        ..Default::default()
    }
}

fn in_sections(ids: Vec<i64>) -> ArticleFilter {
    ArticleFilter {
        section_ids: ids,
        ..Default::default()
    }
}

/// An article's (main section, all sections, tags) as slugs, in their stored order.
async fn terms_of(s: &masthead_store::Store, id: i64) -> (String, Vec<String>, Vec<String>) {
    let a = s.article(id).await.unwrap().unwrap().summary;
    let slugs = |terms: &[masthead_store::Term]| terms.iter().map(|t| t.slug.clone()).collect();
    (a.section.slug.clone(), slugs(&a.sections), slugs(&a.tags))
}

async fn renamed_sections_and_tags_keep_their_old_slugs_until_a_new_term_takes_one(t: TestStore) {
    let s = &t.store;
    let sport = new_section(s, "Sport", "", None).await;
    let football = new_section(s, "Football", "soccer", Some(sport)).await;
    let made = s.section_by_slug("soccer").await.unwrap().unwrap();
    assert_eq!((made.id, made.parent_id), (football, Some(sport)));
    let id = s
        .save_article(&article("Cup final tonight", "Football", 1))
        .await
        .unwrap()
        .id;

    let before = s.latest_change_id().await.unwrap();
    s.update_section(football, &section_fields("Soccer", "", Some(sport)))
        .await
        .unwrap();
    assert!(s.latest_change_id().await.unwrap() > before);
    let change = s
        .update_section(
            football,
            &section_fields("Association football", "football", None),
        )
        .await
        .unwrap();
    assert_eq!(
        (change.old.as_str(), change.new.as_str()),
        ("soccer", "football")
    );
    let now = s.section(football).await.unwrap().unwrap();
    assert_eq!((now.slug.as_str(), now.parent_id), ("football", None));
    assert_eq!(
        s.renamed_term(TermKind::Section, "soccer")
            .await
            .unwrap()
            .as_deref(),
        Some("football")
    );
    assert_eq!(
        s.renamed_term(TermKind::Section, "football").await.unwrap(),
        None,
        "a live slug is not a redirect"
    );
    assert_eq!(s.renamed_term(TermKind::Tag, "soccer").await.unwrap(), None);
    assert_eq!(
        listed(s, in_sections(vec![football])).await,
        [id],
        "the articles stay with the renamed section"
    );

    let tag = new_tag(s, "Harbour Bridge").await;
    s.rename_tag(tag, &tag_fields("Harbour crossing", "crossing"))
        .await
        .unwrap();
    s.rename_tag(tag, &tag_fields("Harbour crossing", "the-crossing"))
        .await
        .unwrap();
    for old in ["harbour-bridge", "crossing"] {
        assert_eq!(
            s.renamed_term(TermKind::Tag, old).await.unwrap().as_deref(),
            Some("the-crossing"),
            "{old}: every old slug leads to the current one"
        );
    }
    // An old slug taken by a new term belongs to the new term from then on.
    let newcomer = new_tag(s, "Crossing").await;
    assert_eq!(
        s.tag_by_slug("crossing").await.unwrap().unwrap().id,
        newcomer
    );
    assert_eq!(
        s.renamed_term(TermKind::Tag, "crossing").await.unwrap(),
        None
    );
    let soccer = new_section(s, "Soccer", "soccer", None).await;
    assert_eq!(
        s.section_by_slug("soccer").await.unwrap().unwrap().id,
        soccer
    );
    assert_eq!(
        s.renamed_term(TermKind::Section, "soccer").await.unwrap(),
        None
    );
}

/// The message of an [`StoreError::Invalid`], or a failed test.
fn invalid<T: std::fmt::Debug>(r: Result<T, StoreError>, what: &str) -> String {
    match r {
        Err(StoreError::Invalid(m)) => m,
        other => panic!("{what}: expected Invalid, got {other:?}"),
    }
}

/// The message of a [`StoreError::Conflict`], or a failed test.
fn conflict<T: std::fmt::Debug>(r: Result<T, StoreError>, what: &str) -> String {
    match r {
        Err(StoreError::Conflict(m)) => m,
        other => panic!("{what}: expected Conflict, got {other:?}"),
    }
}

async fn bad_taxonomy_input_is_refused_and_changes_nothing(t: TestStore) {
    let s = &t.store;
    let news = new_section(s, "News", "", None).await;
    let world = new_section(s, "World", "", Some(news)).await;
    let europe = new_section(s, "Europe", "", Some(world)).await;
    let port = new_tag(s, "Port").await;
    new_tag(s, "Ferries").await;
    let sections_before = s.sections().await.unwrap();
    let tags_before = s.tags().await.unwrap();
    let changes_before = s.latest_change_id().await.unwrap();

    let section = |name: &str, slug: &str, parent| section_fields(name, slug, parent);
    let m = invalid(
        s.update_section(news, &section("News", "", Some(news)))
            .await,
        "own parent",
    );
    assert!(m.contains("its own parent"), "{m}");
    let m = invalid(
        s.update_section(news, &section("News", "", Some(europe)))
            .await,
        "under a grandchild",
    );
    assert!(m.contains("subsections"), "{m}");
    invalid(
        s.update_section(world, &section("World", "", Some(999_999)))
            .await,
        "missing parent",
    );
    let m = invalid(
        s.create_section(&section("Paging", "page", None)).await,
        "reserved",
    );
    assert!(m.contains("\"page\""), "{m}");
    invalid(
        s.create_section(&section("   ", "", None)).await,
        "empty name",
    );
    invalid(
        s.create_tag(&tag_fields("???", "")).await,
        "nothing to make a slug of",
    );
    invalid(
        s.create_tag(&tag_fields(&"x".repeat(201), "")).await,
        "too long",
    );
    let m = conflict(
        s.update_section(europe, &section("Europe", "world", Some(world)))
            .await,
        "slug taken",
    );
    assert!(m.contains("taken by the section \"World\""), "{m}");
    let m = conflict(
        s.create_tag(&tag_fields("Ferries", "boats")).await,
        "name taken",
    );
    assert!(m.contains("already a tag called \"Ferries\""), "{m}");
    conflict(
        s.rename_tag(port, &tag_fields("Port", "ferries")).await,
        "tag slug taken",
    );
    invalid(s.merge_tags(port, port).await, "into itself");
    invalid(s.merge_tags(port, 999_999).await, "into nothing");
    invalid(s.delete_section(news, news).await, "onto itself");
    invalid(s.delete_section(news, 999_999).await, "onto nothing");
    assert!(matches!(
        s.delete_tag(999_999, None).await,
        Err(StoreError::NotFound(_))
    ));

    assert_eq!(s.sections().await.unwrap(), sections_before);
    assert_eq!(s.tags().await.unwrap(), tags_before);
    assert_eq!(s.latest_change_id().await.unwrap(), changes_before);
}

async fn merging_tags_moves_each_article_once_and_listings_follow(t: TestStore) {
    let s = &t.store;
    let save = |title: &str, tags: &[&str], hours: i64| {
        let mut a = article(title, "City", hours);
        a.tags = tags.iter().map(|t| (*t).to_owned()).collect();
        a
    };
    let both = s
        .save_article(&save("Both tags", &["Quay", "Harbor", "Harbour"], 1))
        .await
        .unwrap()
        .id;
    let only_from = s
        .save_article(&save("Misspelt only", &["Harbor", "Ships"], 2))
        .await
        .unwrap()
        .id;
    let only_into = s
        .save_article(&save("Right only", &["Harbour"], 3))
        .await
        .unwrap()
        .id;
    let mut draft = save("Draft", &["Harbor"], 4);
    draft.status = ArticleStatus::Draft;
    let draft = s.save_article(&draft).await.unwrap().id;
    let mut later = save("Scheduled", &["Harbor"], -2);
    later.status = ArticleStatus::Scheduled;
    let later = s.save_article(&later).await.unwrap().id;

    let from = s.tag_by_slug("harbor").await.unwrap().unwrap().id;
    let into = s.tag_by_slug("harbour").await.unwrap().unwrap().id;
    let version = s.article(only_from).await.unwrap().unwrap().version;
    let before = s.latest_change_id().await.unwrap();
    assert_eq!(s.merge_tags(from, into).await.unwrap(), 4);
    assert!(
        s.latest_change_id().await.unwrap() >= before + 6,
        "a change for each of the four articles and for both tags"
    );
    assert_eq!(
        s.article(only_from).await.unwrap().unwrap().version,
        version + 1,
        "an editor who had it open is told it changed"
    );

    assert!(s.tag(from).await.unwrap().is_none());
    assert_eq!(
        terms_of(s, both).await.2,
        ["quay", "harbour"],
        "once, in order"
    );
    assert_eq!(
        terms_of(s, only_from).await.2,
        ["harbour", "ships"],
        "in its place"
    );
    assert_eq!(terms_of(s, only_into).await.2, ["harbour"]);
    assert_eq!(terms_of(s, draft).await.2, ["harbour"]);
    assert_eq!(
        listed(s, tagged(into)).await,
        [both, only_from, only_into],
        "the listing index has the moved links' status and time"
    );
    assert_eq!(
        s.renamed_term(TermKind::Tag, "harbor")
            .await
            .unwrap()
            .as_deref(),
        Some("harbour")
    );
    // The moved link of the scheduled story is published with it.
    t.clock.advance(Duration::hours(3));
    assert_eq!(s.publish_due().await.unwrap(), [later]);
    assert_eq!(
        listed(s, tagged(into)).await,
        [later, both, only_from, only_into]
    );

    // Merging the merged tag on moves its old slugs along.
    let quay = s.tag_by_slug("quay").await.unwrap().unwrap().id;
    s.merge_tags(into, quay).await.unwrap();
    for old in ["harbor", "harbour"] {
        assert_eq!(
            s.renamed_term(TermKind::Tag, old).await.unwrap().as_deref(),
            Some("quay"),
            "{old}"
        );
    }
    assert_eq!(
        listed(s, tagged(quay)).await,
        [later, both, only_from, only_into]
    );
}

async fn deleting_a_section_moves_its_articles_subsections_and_slugs(t: TestStore) {
    let s = &t.store;
    let news = new_section(s, "News", "", None).await;
    let sport = new_section(s, "Sports", "", Some(news)).await;
    // An earlier slug of the section, which must follow its articles too.
    s.update_section(sport, &section_fields("Sport", "", Some(news)))
        .await
        .unwrap();
    let football = new_section(s, "Football", "", Some(sport)).await;
    let city = new_section(s, "City", "", None).await;
    new_section(s, "Business", "", None).await;
    let save = |title: &str, main: &str, others: &[&str], hours: i64| {
        let mut a = article(title, main, hours);
        a.other_sections = others.iter().map(|o| (*o).to_owned()).collect();
        a
    };
    let main_only = s
        .save_article(&save("Sport only", "Sport", &[], 1))
        .await
        .unwrap()
        .id;
    let main_and_target = s
        .save_article(&save("Sport and city", "Sport", &["Business", "City"], 2))
        .await
        .unwrap()
        .id;
    let other = s
        .save_article(&save("City with sport", "City", &["Sport"], 3))
        .await
        .unwrap()
        .id;
    let elsewhere = s
        .save_article(&save(
            "Business with sport",
            "Business",
            &["Sport", "Football"],
            4,
        ))
        .await
        .unwrap()
        .id;
    let mut draft = save("Sport draft", "Sport", &[], 5);
    draft.status = ArticleStatus::Draft;
    let draft = s.save_article(&draft).await.unwrap().id;
    let in_child = s
        .save_article(&save("Cup final", "Football", &[], 6))
        .await
        .unwrap()
        .id;

    let before = s.latest_change_id().await.unwrap();
    assert_eq!(s.delete_section(sport, city).await.unwrap(), 5);
    assert!(s.latest_change_id().await.unwrap() >= before + 7);
    assert!(s.section(sport).await.unwrap().is_none());
    assert_eq!(
        s.section(football).await.unwrap().unwrap().parent_id,
        Some(news),
        "subsections move up to the deleted section's parent"
    );

    let city_slugs = |main: &str, all: &[&str]| {
        (
            main.to_owned(),
            all.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>(),
        )
    };
    let sections_of = |id: i64| async move {
        let (main, all, _) = terms_of(s, id).await;
        (main, all)
    };
    assert_eq!(sections_of(main_only).await, city_slugs("city", &["city"]));
    assert_eq!(
        sections_of(main_and_target).await,
        city_slugs("city", &["city", "business"]),
        "the main section first, once, the others in their order"
    );
    assert_eq!(sections_of(other).await, city_slugs("city", &["city"]));
    assert_eq!(
        sections_of(elsewhere).await,
        city_slugs("business", &["business", "city", "football"])
    );
    assert_eq!(sections_of(draft).await, city_slugs("city", &["city"]));

    assert_eq!(
        listed(s, in_sections(vec![city])).await,
        [main_only, main_and_target, other, elsewhere],
        "the listing index has the moved links' status and time"
    );
    let family = s.section_with_descendants(news).await.unwrap();
    assert_eq!(listed(s, in_sections(family)).await, [elsewhere, in_child]);
    for old in ["sport", "sports"] {
        assert_eq!(
            s.renamed_term(TermKind::Section, old)
                .await
                .unwrap()
                .as_deref(),
            Some("city"),
            "{old}"
        );
    }
    let counts = s.sections_in_use().await.unwrap();
    let count = |id: i64| counts.iter().find(|c| c.section.id == id).unwrap().articles;
    assert_eq!((count(city), count(football), count(news)), (5, 2, 0));
}

async fn deleting_a_tag_untags_and_forgets_it_unless_reassigned(t: TestStore) {
    let s = &t.store;
    let mut a = article("Tagged twice", "City", 1);
    a.tags = vec!["Weather".into(), "Storms".into()];
    let id = s.save_article(&a).await.unwrap().id;
    let storms = s.tag_by_slug("storms").await.unwrap().unwrap().id;
    s.rename_tag(storms, &tag_fields("Storms", "gales"))
        .await
        .unwrap();
    let (usage, total) = s
        .tags_in_use(Some("gal"), PageRequest::new(1, 10))
        .await
        .unwrap();
    assert_eq!((usage.len(), total, usage[0].articles), (1, 1, 1));
    assert_eq!(s.delete_tag(storms, None).await.unwrap(), 1);
    assert_eq!(terms_of(s, id).await.2, ["weather"]);
    assert_eq!(listed(s, tagged(storms)).await, Vec::<i64>::new());
    for old in ["storms", "gales"] {
        assert_eq!(
            s.renamed_term(TermKind::Tag, old).await.unwrap(),
            None,
            "{old}"
        );
    }
    let (all, total) = s.tags_in_use(None, PageRequest::new(1, 10)).await.unwrap();
    assert_eq!(
        (all.len(), total, all[0].tag.slug.as_str()),
        (1, 1, "weather")
    );
    // Deleting with a tag to reassign to is a merge: the articles and address move there.
    let weather = all[0].tag.id;
    let climate = new_tag(s, "Climate").await;
    assert_eq!(s.delete_tag(weather, Some(climate)).await.unwrap(), 1);
    assert_eq!(terms_of(s, id).await.2, ["climate"]);
    assert_eq!(
        s.renamed_term(TermKind::Tag, "weather")
            .await
            .unwrap()
            .as_deref(),
        Some("climate")
    );
}

// ---------------------------------------------------------------------------------------
// Dump and load (backups, restores, `db copy`)

/// Every table's rows as the dump reads them, each table's rows sorted (the order of text
/// keys differs between backends' collations) and reals compared at the f32 precision a
/// PostgreSQL REAL keeps.
async fn dumped(s: &masthead_store::Store) -> Vec<(String, Vec<String>)> {
    let mut dump = s.dump().await.unwrap();
    let mut out = Vec::new();
    for (i, table) in dump.tables().to_vec().into_iter().enumerate() {
        let mut rows = Vec::new();
        dump.for_each_row(i, |row| {
            let values: Vec<serde_json::Value> = row
                .into_iter()
                .map(|v| match v {
                    #[expect(clippy::cast_possible_truncation, reason = "f32 precision")]
                    masthead_store::Value::Real(r) => {
                        masthead_store::Value::Text(format!("{}", r as f32)).to_json()
                    }
                    other => other.to_json(),
                })
                .collect();
            rows.push(serde_json::Value::Array(values).to_string());
            Ok(())
        })
        .await
        .unwrap();
        rows.sort();
        out.push((table.name, rows));
    }
    dump.finish().await.unwrap();
    out.sort();
    out
}

/// A site holding every kind of content the schema has room for: articles with
/// revisions, autosaves, corrections, old slugs, pins and preview links; threaded comments
/// in every status with reports, notices and spam decisions; accounts with sessions,
/// tokens, links, two-factor codes and sign-in failures; the audit log, mail, media,
/// redirects, renamed terms, search misses and settings.
async fn fill_site(t: &TestStore) -> i64 {
    use masthead_core::comment::CommentStatus;
    use masthead_core::{CorrectionKind, Role, TokenScope};
    use masthead_store::{
        ContentKind, LinkPurpose, NewAuditEntry, NewAuthor, NewComment, NewMail, NewMedia,
        NewRedirect, NewUser, RedirectTarget, Session,
    };
    let s = &t.store;
    s.set_setting("site.title", "The Dump Gazette")
        .await
        .unwrap();
    s.set_setting("site.tagline", "Ünïcödé & \"quotes\"")
        .await
        .unwrap();
    let city = new_section(s, "City", "city", None).await;
    let _transport = new_section(s, "Transport", "transport", Some(city)).await;
    s.upsert_author(&NewAuthor {
        slug: "ada".into(),
        name: "Ada Byline".into(),
        bio: "Writes.".into(),
    })
    .await
    .unwrap();
    let tag = new_tag(s, "Ferries").await;
    s.rename_tag(tag, &tag_fields("Boats", "boats"))
        .await
        .unwrap();
    let admin = s
        .create_user(&NewUser {
            email: "admin@example.org".into(),
            name: "Admin".into(),
            role: Role::Administrator,
            password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        })
        .await
        .unwrap();
    let editor = person(s, "Edith").await;
    s.set_pending_totp(admin, "JBSWY3DPEHPK3PXP").await.unwrap();
    s.enable_totp(admin, &["code-hash-1".into(), "code-hash-2".into()])
        .await
        .unwrap();
    s.use_totp_step(admin, 59_000_123).await.unwrap();
    s.create_session(&Session {
        id_hash: "session-hash".into(),
        user_id: admin,
        created_at: test_now(),
        last_seen_at: test_now() + Duration::minutes(3),
        expires_at: test_now() + Duration::days(14),
        client_ip: "192.0.2.1".into(),
        user_agent: "Test/1.0".into(),
    })
    .await
    .unwrap();
    let token = s
        .create_token(editor, "CI", "token-hash", TokenScope::Write, None)
        .await
        .unwrap();
    s.touch_token(token, test_now() + Duration::seconds(1))
        .await
        .unwrap();
    s.create_link(
        LinkPurpose::Invitation,
        "link-hash",
        Some(editor),
        test_now() + Duration::days(2),
    )
    .await
    .unwrap();
    s.record_sign_in_failure(&["email:nobody@example.org".into(), "ip:192.0.2.9".into()])
        .await
        .unwrap();
    s.audit(&NewAuditEntry {
        actor_id: Some(admin),
        actor: "Admin".into(),
        action: "user.create".into(),
        target: "edith@example.org".into(),
        detail: "role editor".into(),
        client_ip: "192.0.2.1".into(),
    })
    .await
    .unwrap();
    s.enqueue_mail(&NewMail {
        recipient: "edith@example.org".into(),
        subject: "Welcome".into(),
        body_text: "Hello".into(),
        body_html: "<p>Hello</p>".into(),
    })
    .await
    .unwrap();
    let media = s
        .add_media(&NewMedia {
            hash: "ab".repeat(32),
            file_name: "harbour.jpg".into(),
            width: 1600,
            height: 900,
            manifest: r#"{"hash":"abab","responsive":[]}"#.into(),
            meta: r#"{"alt":"The harbour"}"#.into(),
            search_text: "harbour.jpg the harbour".into(),
            uploaded_by: Some(editor),
        })
        .await
        .unwrap();

    // Articles: one edited twice (revisions, a slug change), one draft, one scheduled.
    let mut a = article("Harbour reopens", "City", 5);
    a.tags = vec!["Boats".into(), "Weather".into()];
    a.authors = vec!["Ada Byline".into()];
    a.other_sections = vec!["Transport".into()];
    a.kicker = Some("Ports".into());
    a.dateline = Some("DOVER".into());
    a.featured = true;
    let first = s.create_article(&a, &by(editor, None)).await.unwrap();
    t.clock.advance(Duration::minutes(2));
    a.title = "Harbour reopens after the storm".into();
    a.slug = Some("harbour-reopens-after-storm".into());
    let second = s
        .update_article(first.id, &a, &by(admin, Some(first.version)))
        .await
        .unwrap();
    let mut typing = RevisionContent::from(&a);
    typing.body_source = "Half a thought".into();
    s.autosave(first.id, &typing, editor, 5).await.unwrap();
    s.add_correction(
        first.id,
        CorrectionKind::Correction,
        "The storm was on Monday.",
        Some(admin),
    )
    .await
    .unwrap();
    s.add_correction(first.id, CorrectionKind::Update, "Ferries run again.", None)
        .await
        .unwrap();
    s.mark_present(first.id, editor, test_now()).await.unwrap();
    let mut draft = article("Unfinished", "Transport", 1);
    draft.status = ArticleStatus::Draft;
    draft.published_at = None;
    let draft = s.create_article(&draft, &by(editor, None)).await.unwrap();
    let mut later = article("Tomorrow's news", "City", 0);
    later.status = ArticleStatus::Scheduled;
    later.published_at = Some(test_now() + Duration::days(1));
    let later = s.create_article(&later, &by(admin, None)).await.unwrap();
    s.set_related_pins(first.id, &[later.id, draft.id])
        .await
        .unwrap();
    s.create_preview_link(
        draft.id,
        "preview-hash",
        Some(editor),
        test_now() + Duration::days(1),
    )
    .await
    .unwrap();
    s.upsert_page(&NewPage {
        slug: "about".into(),
        title: "About us".into(),
        body_format: masthead_core::BodyFormat::Markdown,
        body_source: "We *report*.".into(),
        body_html: "<p>We <em>report</em>.</p>".into(),
        status: ArticleStatus::Published,
    })
    .await
    .unwrap();

    // Comments in every status, threaded, with a report, notices and spam decisions.
    let comment = |parent: Option<i64>, status: CommentStatus, who: &str| NewComment {
        article_id: first.id,
        parent_id: parent,
        status: Some(status),
        kind: "comment".into(),
        author_name: who.into(),
        author_email: format!("{}@example.net", who.to_lowercase()),
        author_url: String::new(),
        body: format!("{who} says hello"),
        body_format: "text".into(),
        client_ip: "198.51.100.7".into(),
        user_agent: "Reader/2".into(),
        spam_score: Some(0.1),
        ..Default::default()
    };
    let top = s
        .add_comment(&comment(None, CommentStatus::Approved, "Rosa"))
        .await
        .unwrap();
    let reply = s
        .add_comment(&comment(Some(top), CommentStatus::Approved, "Sam"))
        .await
        .unwrap();
    let _held = s
        .add_comment(&comment(Some(reply), CommentStatus::Held, "Tia"))
        .await
        .unwrap();
    let spam = s
        .add_comment(&comment(None, CommentStatus::Spam, "Buy"))
        .await
        .unwrap();
    let trash = s
        .add_comment(&comment(Some(top), CommentStatus::Approved, "Uli"))
        .await
        .unwrap();
    s.set_comment_status(trash, CommentStatus::Trash)
        .await
        .unwrap();
    s.report_comment(reply, "203.0.113.5", "rude")
        .await
        .unwrap();
    s.queue_comment_notices(top, &[editor, admin], "new")
        .await
        .unwrap();
    let spam_row = s.comment(spam).await.unwrap().unwrap();
    s.record_spam_decision(&spam_row, true).await.unwrap();
    s.record_search_miss("quokka sightings").await.unwrap();
    s.save_redirect(
        None,
        &NewRedirect {
            from_path: "/old-harbour/".into(),
            target: RedirectTarget::Content {
                kind: ContentKind::Article,
                id: first.id,
            },
            suffix: String::new(),
            status: 301,
            origin: "manual".into(),
        },
    )
    .await
    .unwrap();
    s.save_redirect(
        None,
        &NewRedirect {
            from_path: "/gone/".into(),
            target: RedirectTarget::Address(String::new()),
            suffix: String::new(),
            status: 410,
            origin: "wordpress".into(),
        },
    )
    .await
    .unwrap();
    // References that point forward (a parent made after its child), which a load in
    // id order must still accept, and the featured image.
    let raw = |sql: &'static str| masthead_store::testing::raw_execute(s, sql);
    raw("UPDATE comments SET parent_id = (SELECT MAX(id) FROM comments) WHERE id = (SELECT MIN(id) FROM comments)")
        .await
        .unwrap();
    raw("UPDATE sections SET parent_id = (SELECT MAX(id) FROM sections) WHERE id = (SELECT MIN(id) FROM sections)")
        .await
        .unwrap();
    raw("UPDATE articles SET featured_media_id = (SELECT MAX(id) FROM media)")
        .await
        .unwrap();
    assert!(media > 0 && second.version > first.version);
    first.id
}

/// Every table has rows, so a round trip proves something about each.
fn assert_every_table_has_rows(tables: &[(String, Vec<String>)]) {
    let empty: Vec<&str> = tables
        .iter()
        .filter(|(_, rows)| rows.is_empty())
        .map(|(t, _)| t.as_str())
        .collect();
    assert!(
        empty.is_empty(),
        "fill_site leaves these tables empty: {empty:?}"
    );
}

async fn a_dump_loads_into_an_empty_store_row_for_row(t: TestStore) {
    let id = fill_site(&t).await;
    let before = dumped(&t.store).await;
    assert_every_table_has_rows(&before);
    // A fresh database on the same backend.
    let target = match t.store.backend() {
        masthead_store::Backend::Sqlite => masthead_testkit::TestDb::sqlite(),
        masthead_store::Backend::Postgres => masthead_testkit::TestDb::postgres().await.unwrap(),
    };
    let copy = target.store().await;
    let report = t.store.copy_to(&copy.store).await.unwrap();
    assert_eq!(report.tables.len(), before.len());
    assert_eq!(
        report.rows(),
        before.iter().map(|(_, r)| r.len() as u64).sum::<u64>()
    );
    assert_eq!(dumped(&copy.store).await, before, "identical rows");
    // What the site shows is the same…
    let original = t.store.article(id).await.unwrap().unwrap();
    let restored = copy.store.article(id).await.unwrap().unwrap();
    assert_eq!(format!("{original:?}"), format!("{restored:?}"));
    assert_eq!(
        t.store.every_comment_on(id).await.unwrap(),
        copy.store.every_comment_on(id).await.unwrap()
    );
    assert_eq!(
        t.store.latest_change_id().await.unwrap(),
        copy.store.latest_change_id().await.unwrap()
    );
    // …and new rows get ids after the loaded ones.
    let next = copy
        .store
        .save_article(&article("After the restore", "City", 0))
        .await
        .unwrap();
    let max_before: i64 = before
        .iter()
        .find(|(t, _)| t == "articles")
        .map(|(_, rows)| rows.len() as i64)
        .unwrap();
    assert!(next.id > max_before, "{} after {max_before}", next.id);
    let more = copy.store.latest_change_id().await.unwrap();
    assert!(more > t.store.latest_change_id().await.unwrap());
}

async fn a_load_refuses_a_store_that_is_not_empty_or_of_another_schema(t: TestStore) {
    let s = &t.store;
    let known = s.known_schema_version();
    match s.loader(known + 1).await {
        Err(StoreError::Invalid(m)) => assert!(m.contains("schema version"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // Empty: a loader starts (and, dropped, writes nothing).
    drop(s.loader(known).await.unwrap());
    s.set_setting("site.title", "Taken").await.unwrap();
    match s.loader(known).await {
        Err(StoreError::Invalid(m)) => {
            assert!(
                m.contains("not empty") && m.contains("table has rows"),
                "{m}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn a_failed_load_leaves_the_target_empty(t: TestStore) {
    let known = t.store.known_schema_version();
    let mut loader = t.store.loader(known).await.unwrap();
    let settings = masthead_store::DumpTable {
        name: "settings".into(),
        columns: vec![
            masthead_store::DumpColumn {
                name: "key".into(),
                kind: masthead_store::ValueKind::Text,
            },
            masthead_store::DumpColumn {
                name: "value".into(),
                kind: masthead_store::ValueKind::Text,
            },
        ],
        primary_key: vec!["key".into()],
    };
    loader.begin_table(&settings).unwrap();
    loader
        .row(vec![
            masthead_store::Value::Text("a".into()),
            masthead_store::Value::Text("1".into()),
        ])
        .await
        .unwrap();
    loader.end_table().await.unwrap();
    // A table the schema does not have, then a row of the wrong width: refused.
    let mut bogus = settings.clone();
    bogus.name = "nonsense".into();
    assert!(loader.begin_table(&bogus).is_err());
    let mut sections = settings.clone();
    sections.name = "sections".into();
    assert!(loader.begin_table(&sections).is_err(), "columns differ");
    drop(loader);
    assert_eq!(t.store.setting("a").await.unwrap(), None);
    let counts = t.store.table_counts().await.unwrap();
    assert!(counts.iter().all(|(_, n)| *n == 0), "{counts:?}");
}

/// SQLite keeps instants and dates as text; the dump tells them apart by name (`at`,
/// `…_at`, `…_date`). PostgreSQL has real types: they must agree with the rule.
async fn the_dump_reads_times_and_dates_by_the_rule_sqlite_relies_on(t: TestStore) {
    let dump = t.store.dump().await.unwrap();
    let mut seen = 0;
    for table in dump.tables() {
        for c in &table.columns {
            use masthead_store::ValueKind as K;
            if matches!(c.kind, K::Text | K::Timestamp | K::Date) {
                assert_eq!(
                    masthead_store::text_kind(&c.name),
                    c.kind,
                    "{}.{}",
                    table.name,
                    c.name
                );
                seen += 1;
            }
        }
    }
    assert!(seen > 50, "{seen}");
    dump.finish().await.unwrap();
}

/// Tables of several pages, keyed by text and by two columns (the first the same over
/// many pages), come out whole and in key order.
async fn a_dump_pages_through_tables_larger_than_a_page(t: TestStore) {
    let s = &t.store;
    for (title, hours) in [("One", 3), ("Two", 2), ("Three", 1)] {
        s.save_article(&article(title, "City", hours))
            .await
            .unwrap();
    }
    let raw = |sql: &'static str| masthead_store::testing::raw_execute(s, sql);
    raw(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1234)
         INSERT INTO settings (key, value) SELECT 'key ' || i, 'value' FROM n",
    )
    .await
    .unwrap();
    raw(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1100)
         INSERT INTO related_pins (article_id, position, pinned_id)
         SELECT a.id, n.i, (SELECT MAX(id) FROM articles) FROM n, articles a
         WHERE a.id < (SELECT MAX(id) FROM articles)",
    )
    .await
    .unwrap();
    let mut dump = s.dump().await.unwrap();
    let tables = dump.tables().to_vec();
    for name in ["settings", "related_pins"] {
        let i = tables.iter().position(|t| t.name == name).unwrap();
        let key: Vec<usize> = tables[i]
            .primary_key
            .iter()
            .map(|k| tables[i].columns.iter().position(|c| &c.name == k).unwrap())
            .collect();
        let mut keys = Vec::new();
        dump.for_each_row(i, |row| {
            keys.push(key.iter().map(|k| row[*k].to_json()).collect::<Vec<_>>());
            Ok(())
        })
        .await
        .unwrap();
        let expected = if name == "settings" { 1234 } else { 2200 };
        assert_eq!(keys.len(), expected, "{name}");
        let distinct: std::collections::BTreeSet<String> =
            keys.iter().map(|k| format!("{k:?}")).collect();
        assert_eq!(distinct.len(), expected, "{name}: no row twice");
        if name == "related_pins" {
            let pairs: Vec<(i64, i64)> = keys
                .iter()
                .map(|k| (k[0].as_i64().unwrap(), k[1].as_i64().unwrap()))
                .collect();
            assert!(pairs.windows(2).all(|w| w[0] < w[1]), "in key order");
        }
    }
    dump.finish().await.unwrap();
    let before = dumped(s).await;
    let target = match s.backend() {
        masthead_store::Backend::Sqlite => masthead_testkit::TestDb::sqlite(),
        masthead_store::Backend::Postgres => masthead_testkit::TestDb::postgres().await.unwrap(),
    };
    let copy = target.store().await;
    s.copy_to(&copy.store).await.unwrap();
    assert_eq!(dumped(&copy.store).await, before);
}

/// `db copy`: SQLite → PostgreSQL → SQLite keeps every row.
#[tokio::test]
async fn a_site_copies_from_sqlite_to_postgres_and_back_row_for_row() {
    let Some(pg) = masthead_testkit::TestDb::postgres().await else {
        return;
    };
    let lite = masthead_testkit::TestDb::sqlite();
    let source = lite.store().await;
    let id = fill_site(&source).await;
    let before = dumped(&source.store).await;
    let pg = pg.store().await;
    source.store.copy_to(&pg.store).await.unwrap();
    assert_eq!(dumped(&pg.store).await, before, "on PostgreSQL");
    let back = masthead_testkit::TestDb::sqlite();
    let back = back.store().await;
    pg.store.copy_to(&back.store).await.unwrap();
    assert_eq!(dumped(&back.store).await, before, "back on SQLite");
    let a = source.store.article(id).await.unwrap().unwrap();
    let b = pg.store.article(id).await.unwrap().unwrap();
    let c = back.store.article(id).await.unwrap().unwrap();
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert_eq!(format!("{a:?}"), format!("{c:?}"));
    // A new article on PostgreSQL gets a fresh id.
    let next = pg
        .store
        .save_article(&article("New on PostgreSQL", "City", 0))
        .await
        .unwrap();
    assert!(next.id > id + 2);
}

async fn every_node_hears_of_each_committed_change_once(t: TestStore) {
    let s = &t.store;
    let Some(mut listener) = s.change_listener().await.unwrap() else {
        // SQLite: one serving process, which polls its own file.
        assert_eq!(s.backend(), masthead_store::Backend::Sqlite);
        return;
    };
    let short = std::time::Duration::from_millis(300);
    assert!(!listener.wait(short).await, "nothing happened yet");
    // A save elsewhere (its own connection, as another node would) is heard at once.
    s.save_article(&article("Heard of", "City", 1))
        .await
        .unwrap();
    assert!(listener.wait(std::time::Duration::from_secs(5)).await);
    assert!(!listener.wait(short).await, "one notification per commit");
    // A scheduled article coming due, looked for by two nodes at once: published once,
    // one change-log row, one notification.
    let mut a = article("Due soon", "City", 0);
    a.status = ArticleStatus::Scheduled;
    a.published_at = Some(test_now() + Duration::minutes(5));
    let id = s.create_article(&a, &Edit::default()).await.unwrap().id;
    assert!(listener.wait(std::time::Duration::from_secs(5)).await);
    let before = s.latest_change_id().await.unwrap();
    t.clock.advance(Duration::minutes(10));
    let (x, y) = tokio::join!(s.publish_due(), s.publish_due());
    let published: Vec<i64> = x.unwrap().into_iter().chain(y.unwrap()).collect();
    assert_eq!(published, vec![id]);
    let rows = s.changes_after(before, 100).await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(listener.wait(std::time::Duration::from_secs(5)).await);
    assert!(
        !listener.wait(short).await,
        "one notification for one publication"
    );
}
