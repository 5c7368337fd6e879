//! The index on hand-written stories: ranking, the query language, spelling, snippets,
//! filters, and the folders a rebuild swaps.

use chrono::{TimeZone, Utc};
use masthead_search::{
    IndexDoc, IndexFolders, OpenError, Query, SearchIndex, SearchRequest, SearchResults, Sort,
};

fn doc(id: i64, title: &str, body: &str, section: &str, tags: &[&str], day: u32) -> IndexDoc {
    IndexDoc {
        id,
        title: title.to_owned(),
        body: body.to_owned(),
        sections: vec![section.to_owned()],
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        authors: vec!["ada-lovell".to_owned()],
        published: Utc
            .with_ymd_and_hms(2026, 11, day, 9, 0, 0)
            .single()
            .expect("date"),
    }
}

fn site() -> SearchIndex {
    let ix = SearchIndex::in_memory().expect("index");
    let docs = vec![
        doc(
            1,
            "Harbour bridge closes for repairs",
            "The old harbour bridge will close for six weeks while engineers replace its cables. Commuters face longer journeys.",
            "local",
            &["transport"],
            1,
        ),
        doc(
            2,
            "Council approves the new budget",
            "Councillors approved a budget that raises spending on schools and repairs to the harbour wall.",
            "politics",
            &["council", "budget"],
            2,
        ),
        doc(
            3,
            "Rowing club wins regional title",
            "The harbour rowing club won the regional championship on Saturday, beating rivals from upriver. Its coach praised the crews' <courage> & stamina.",
            "sport",
            &["rowing"],
            3,
        ),
        doc(
            4,
            "Engineers warn about ageing bridges",
            "A report by engineers says many bridges in the region need repairs within five years. The harbour bridge is not among them.",
            "local",
            &["transport"],
            4,
        ),
        doc(
            5,
            "Schools budget explained",
            "What the council's budget means for schools: teachers, buildings and meals, explained in five charts.",
            "politics",
            &["budget", "schools"],
            5,
        ),
    ];
    ix.apply(&docs, &[], Some(7)).expect("apply");
    ix
}

fn ask(ix: &SearchIndex, q: &str) -> SearchResults {
    ix.search(&SearchRequest::new(Query::parse(q)))
        .expect("search")
}

fn ids(r: &SearchResults) -> Vec<i64> {
    r.hits.iter().map(|h| h.id).collect()
}

#[test]
fn every_word_is_wanted_and_the_title_counts_most() {
    let ix = site();
    let r = ask(&ix, "harbour bridge");
    assert_eq!(r.total, 2);
    assert_eq!(ids(&r), vec![1, 4], "the title match first");
    assert!(!r.relaxed);
    assert!(r.suggestion.is_none());
    assert_eq!(ix.cursor(), 7);
    assert!(ix.is_complete());
}

#[test]
fn stems_match_other_forms_of_a_word() {
    let ix = site();
    // "repaired" finds "repairs"; "Councillors approve" finds "approved".
    assert_eq!(ask(&ix, "repaired").total, 3);
    assert_eq!(ids(&ask(&ix, "approving")), vec![2]);
    // Accents fold: "Rowíng" finds "rowing".
    assert_eq!(ids(&ask(&ix, "Rowíng")), vec![3]);
}

#[test]
fn phrases_exclusions_and_filters() {
    let ix = site();
    assert_eq!(ids(&ask(&ix, "\"harbour bridge\"")), vec![1, 4]);
    assert_eq!(ids(&ask(&ix, "\"bridge harbour\"")), Vec::<i64>::new());
    assert_eq!(ids(&ask(&ix, "harbour -bridge -rowing")), vec![2]);
    let mut left = ids(&ask(&ix, "harbour -\"harbour bridge\""));
    left.sort();
    assert_eq!(left, vec![2, 3]);
    assert_eq!(ids(&ask(&ix, "budget section:politics")), vec![5, 2]);
    assert_eq!(ids(&ask(&ix, "budget tag:schools")), vec![5]);
    assert_eq!(ask(&ix, "budget section:sport").total, 0);
    assert_eq!(ask(&ix, "harbour author:ada-lovell").total, 4);
    // Filters alone list newest first.
    assert_eq!(ids(&ask(&ix, "section:local")), vec![4, 1]);
    // "Section" in another place is just a word.
    assert_eq!(
        ask(&ix, "Obituary: harbour").total,
        4,
        "relaxed to any word"
    );
}

#[test]
fn dates_bound_the_results() {
    let ix = site();
    let mut req = SearchRequest::new(Query::parse("harbour"));
    req.published_from = Some(
        Utc.with_ymd_and_hms(2026, 11, 2, 0, 0, 0)
            .unwrap()
            .timestamp(),
    );
    req.published_before = Some(
        Utc.with_ymd_and_hms(2026, 11, 4, 0, 0, 0)
            .unwrap()
            .timestamp(),
    );
    let r = ix.search(&req).expect("search");
    let mut got = ids(&r);
    got.sort();
    assert_eq!(got, vec![2, 3]);
}

#[test]
fn newest_first_and_pages() {
    let ix = site();
    let mut req = SearchRequest::new(Query::parse("harbour"));
    req.sort = Sort::Newest;
    req.limit = 2;
    let r = ix.search(&req).expect("search");
    assert_eq!(r.total, 4);
    assert_eq!(ids(&r), vec![4, 3]);
    req.offset = 2;
    assert_eq!(ids(&ix.search(&req).expect("search")), vec![2, 1]);
}

#[test]
fn misspellings_get_a_second_pass_and_a_suggestion() {
    let ix = site();
    let r = ask(&ix, "harbuor brigde");
    assert_eq!(ids(&r), vec![1, 4]);
    let s = r.suggestion.expect("did you mean");
    assert_eq!(s.to_string(), "harbour bridge");
    // A word that is right stays as typed.
    let r = ask(&ix, "rowing chapmionship");
    assert_eq!(ids(&r), vec![3]);
    assert_eq!(
        r.suggestion.expect("suggestion").to_string(),
        "rowing championship"
    );
}

#[test]
fn when_no_story_has_every_word_any_will_do() {
    let ix = site();
    let r = ask(&ix, "rowing budget zeppelin");
    assert!(r.relaxed);
    assert_eq!(r.total, 3);
}

#[test]
fn snippets_mark_the_words_and_escape_the_rest() {
    let ix = site();
    let r = ask(&ix, "courage");
    assert_eq!(r.hits.len(), 1);
    let h = &r.hits[0];
    assert!(
        h.snippet_html
            .contains("&lt;<mark>courage</mark>&gt; &amp; stamina"),
        "{}",
        h.snippet_html
    );
    assert_eq!(h.title_html, "Rowing club wins regional title");
    let r = ask(&ix, "bridge");
    let one = r.hits.iter().find(|h| h.id == 1).expect("hit");
    assert_eq!(
        one.title_html,
        "Harbour <mark>bridge</mark> closes for repairs"
    );
}

#[test]
fn garbage_finds_nothing_and_never_fails() {
    let ix = site();
    for q in [
        "",
        "   ",
        "!!!",
        "\"\"",
        "-",
        "a".repeat(5000).as_str(),
        "section:",
        "after:tomorrow",
    ] {
        let r = ask(&ix, q);
        assert_eq!(r.total, 0, "{q:?}");
    }
}

#[test]
fn replaced_and_removed_articles() {
    let ix = site();
    ix.apply(
        &[doc(
            3,
            "Rowing club loses final",
            "A narrow defeat.",
            "sport",
            &[],
            3,
        )],
        &[1],
        Some(9),
    )
    .expect("apply");
    assert_eq!(ids(&ask(&ix, "harbour bridge")), vec![4]);
    assert_eq!(ask(&ix, "championship").total, 0);
    assert_eq!(ids(&ask(&ix, "defeat")), vec![3]);
    assert_eq!(ix.len(), 4);
    assert_eq!(ix.cursor(), 9);
}

#[test]
fn folders_swap_whole_indexes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folders = IndexFolders::new(dir.path().join("search"));
    assert!(matches!(folders.open_current(), Err(OpenError::Missing)));
    let (first, ix) = folders.create_next().expect("create");
    ix.apply(&[doc(1, "One", "first", "local", &[], 1)], &[], None)
        .expect("apply");
    folders.activate(&first).expect("activate");
    drop(ix);
    assert!(
        matches!(folders.open_current(), Err(OpenError::Unusable(_))),
        "a rebuild that never finished is not used"
    );
    let (second, ix) = folders.create_next().expect("create");
    ix.apply(&[doc(2, "Two", "second", "local", &[], 1)], &[], Some(3))
        .expect("apply");
    folders.activate(&second).expect("activate");
    assert!(!first.exists(), "the old folder is removed");
    assert!(
        matches!(folders.open_current(), Err(OpenError::Busy)),
        "a process holding it makes it busy"
    );
    drop(ix);
    let ix = folders.open_current().expect("open");
    assert_eq!(ix.len(), 1);
    assert_eq!(ix.cursor(), 3);
    // Garbage in the folder makes it unusable, not a panic.
    drop(ix);
    std::fs::write(second.join("meta.json"), b"{not json").expect("write");
    assert!(matches!(
        folders.open_current(),
        Err(OpenError::Unusable(_))
    ));
}

#[test]
fn a_bulk_jobs_commits_show_when_it_ends_and_versions_replace_each_other() {
    let ix = SearchIndex::in_memory().expect("index");
    ix.stage(
        &[doc(1, "Harbour opens", "The old harbour.", "local", &[], 1)],
        &[],
    )
    .expect("stage");
    ix.commit(Some(1)).expect("commit");
    ix.set_bulk(true).expect("bulk");
    ix.stage(&[doc(2, "Harbour closes", "Fog.", "local", &[], 2)], &[])
        .expect("stage");
    ix.commit(None).expect("commit");
    assert_eq!(
        ask(&ix, "harbour").total,
        1,
        "an interim bulk commit is not searched"
    );
    // Article 2 again, and article 1 (searchable before the job) edited, after the
    // interim commit: each must replace its earlier version, not stand beside it.
    ix.stage(
        &[
            doc(2, "Harbour closes early", "Fog again.", "local", &[], 2),
            doc(1, "Harbour opens late", "The old harbour.", "local", &[], 1),
        ],
        &[],
    )
    .expect("stage");
    ix.commit(Some(5)).expect("commit");
    assert_eq!(ask(&ix, "harbour").total, 1);
    ix.set_bulk(false).expect("bulk");
    let r = ask(&ix, "harbour");
    assert_eq!(r.total, 2);
    let mut found = ids(&r);
    found.sort_unstable();
    assert_eq!(found, vec![1, 2]);
    assert_eq!(ask(&ix, "early").total, 1);
    assert_eq!(ask(&ix, "late").total, 1);
    assert_eq!(ix.len(), 2);
}

#[test]
fn a_bulk_build_is_compacted_into_one_segment_and_answers_the_same() {
    let ix = SearchIndex::in_memory().expect("index");
    ix.set_bulk(true).expect("bulk");
    let words = ["harbour", "budget", "rowing", "bridge", "schools"];
    // One segment per commit while merges are off.
    for batch in 0..6_i64 {
        let docs: Vec<IndexDoc> = (0..20_i64)
            .map(|i| {
                let id = batch * 20 + i + 1;
                let w = words[(id % 5) as usize];
                doc(
                    id,
                    &format!("Story {id} about the {w}"),
                    &format!("All about the {w}."),
                    "local",
                    &[],
                    1,
                )
            })
            .collect();
        ix.stage(&docs, &[]).expect("stage");
        ix.commit(None).expect("commit");
    }
    ix.commit(Some(9)).expect("commit");
    ix.set_bulk(false).expect("bulk");
    assert_eq!(ix.segments(), 6);
    let before = ask(&ix, "harbour");
    assert!(!ix.compact(6).expect("compact"), "six segments are allowed");
    assert!(ix.compact(1).expect("compact"));
    assert_eq!(ix.segments(), 1);
    let after = ask(&ix, "harbour");
    assert_eq!(after.total, 24);
    assert_eq!(before.total, after.total);
    let sorted = |r: &SearchResults| {
        let mut v = ids(r);
        v.sort_unstable();
        v
    };
    assert_eq!(sorted(&before), sorted(&after));
    assert_eq!(ix.cursor(), 9, "the change-log position survives the merge");
    // Still takes changes.
    ix.apply(
        &[doc(
            500,
            "Harbour news",
            "The harbour again.",
            "local",
            &[],
            2,
        )],
        &[5],
        Some(10),
    )
    .expect("apply");
    assert_eq!(ask(&ix, "harbour").total, 24);
}

#[test]
fn versions_staged_before_a_commit_replace_each_other() {
    let ix = SearchIndex::in_memory().expect("index");
    let stage = |id: i64, title: &str, body: &str| {
        ix.stage(&[doc(id, title, body, "local", &[], 1)], &[])
            .expect("stage");
    };
    // New articles: nothing to delete, and nothing is found twice.
    stage(1, "Ferry timetable", "Early sailings.");
    // A second version before the commit still replaces the first.
    stage(1, "Ferry timetable changes", "Late sailings.");
    stage(2, "Ferry fares rise", "Sailings cost more.");
    // Staged and removed before the commit: gone.
    ix.stage(&[], &[2]).expect("stage");
    ix.commit(Some(3)).expect("commit");
    assert_eq!(ix.len(), 1);
    assert_eq!(ids(&ask(&ix, "sailings")), vec![1]);
    assert_eq!(ask(&ix, "early").total, 0);
    // After the commit, a new version replaces the committed one.
    stage(1, "Ferry timetable restored", "Early sailings again.");
    ix.commit(Some(4)).expect("commit");
    assert_eq!(ix.len(), 1);
    assert_eq!(ids(&ask(&ix, "early")), vec![1]);
    assert_eq!(ask(&ix, "late").total, 0);
    // Removing what was never indexed is no error.
    ix.apply(&[], &[99], Some(5)).expect("apply");
    assert_eq!(ix.len(), 1);
}
