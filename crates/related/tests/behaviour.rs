//! The engine's promises, on short texts written for these tests.

use masthead_related::{Doc, RelatedIndex, Settings};

const DAY: i64 = 86_400;

struct Story {
    title: &'static str,
    body: &'static str,
    sections: Vec<String>,
    tags: Vec<String>,
    published: i64,
}

fn story(title: &'static str, body: &'static str) -> Story {
    Story {
        title,
        body,
        sections: Vec::new(),
        tags: Vec::new(),
        published: 0,
    }
}

impl Story {
    fn doc(&self) -> Doc<'_> {
        Doc {
            title: self.title,
            body: self.body,
            sections: &self.sections,
            tags: &self.tags,
            published: self.published,
        }
    }

    fn sections(mut self, s: &[&str]) -> Self {
        self.sections = s.iter().map(|s| s.to_string()).collect();
        self
    }

    fn tags(mut self, t: &[&str]) -> Self {
        self.tags = t.iter().map(|s| s.to_string()).collect();
        self
    }

    fn at(mut self, published: i64) -> Self {
        self.published = published;
        self
    }
}

/// A small town's news, with a few clear topics and some filler to give idf a base.
fn town() -> Vec<(i64, Story)> {
    vec![
        (
            1,
            story(
                "Council approves harbour ferry budget",
                "The council approved the budget for the harbour ferry service after a long debate about fares and timetables.",
            ),
        ),
        (
            2,
            story(
                "Ferry fares to rise in spring",
                "Harbour ferry fares will rise in spring, the operator announced, blaming fuel costs and the new timetables.",
            ),
        ),
        (
            3,
            story(
                "New ferry boats arrive at the harbour",
                "Two new ferry boats arrived at the harbour this week; the operator says timetables will improve.",
            ),
        ),
        (
            4,
            story(
                "Library extends Sunday opening",
                "The town library will open on Sundays from next month, with extra staff for the reading rooms.",
            ),
        ),
        (
            5,
            story(
                "Library book sale raises funds",
                "A book sale at the library raised funds for new reading rooms and children's books.",
            ),
        ),
        (
            6,
            story(
                "Rugby club wins county final",
                "The rugby club won the county final with a late try in front of a record crowd.",
            ),
        ),
        (
            7,
            story(
                "Rugby coach leaves after final",
                "The rugby coach will leave the club after winning the county final, supporters heard.",
            ),
        ),
        (
            8,
            story(
                "Bakery celebrates fifty years",
                "The high street bakery celebrated fifty years of bread, cakes and early mornings.",
            ),
        ),
        (
            9,
            story(
                "Roadworks close bridge for a week",
                "Roadworks will close the old bridge for a week while engineers repair the deck.",
            ),
        ),
        (
            10,
            story(
                "School choir sings at cathedral",
                "The primary school choir sang at the cathedral in a concert for parents and teachers.",
            ),
        ),
    ]
}

fn index_of(stories: &[(i64, Story)]) -> RelatedIndex {
    let mut index = RelatedIndex::new(Settings::default());
    for (key, s) in stories {
        index.upsert(*key, &s.doc());
    }
    index
}

fn keys(r: &[masthead_related::Related]) -> Vec<i64> {
    r.iter().map(|r| r.key).collect()
}

#[test]
fn related_stories_share_the_topic_and_never_include_the_source() {
    let index = index_of(&town());
    let r = index.related(1, 2, &[]);
    assert_eq!(keys(&r).len(), 2);
    assert!(keys(&r).iter().all(|k| [2, 3].contains(k)), "{r:?}");
    assert!(!keys(&index.related(1, 10, &[])).contains(&1));
    let r = index.related(6, 1, &[]);
    assert_eq!(keys(&r), [7]);
    assert!(r[0].score > 0.0 && r[0].why.text > 0.0);
}

#[test]
fn exclude_is_honoured() {
    let index = index_of(&town());
    let r = index.related(1, 10, &[2]);
    assert!(!keys(&r).contains(&2), "{r:?}");
    assert_eq!(r[0].key, 3);
}

#[test]
fn near_duplicates_are_not_suggested() {
    let mut stories = town();
    // Same headline, new wording: the same story for a reader.
    stories.push((
        11,
        story(
            "Council approves harbour ferry budget",
            "Councillors voted for the ferry money late on Tuesday.",
        ),
    ));
    // Almost the same text under another headline: a republished copy.
    stories.push((12, story("Ferry budget approved", "The council approved the budget for the harbour ferry service after a long debate about fares and timetables.")));
    let index = index_of(&stories);
    let r = index.related(1, 10, &[]);
    assert!(!keys(&r).contains(&11), "same title: {r:?}");
    assert!(!keys(&r).contains(&12), "same text: {r:?}");
    assert!(keys(&r).contains(&2), "a related story stays: {r:?}");
}

#[test]
fn removal_makes_a_story_vanish_and_its_words_stop_counting() {
    let mut index = index_of(&town());
    assert!(index.contains(7));
    index.remove(7);
    assert!(!index.contains(7));
    assert_eq!(index.len(), 9);
    assert!(!keys(&index.related(6, 10, &[])).contains(&7));
    assert!(index.related(7, 4, &[]).is_empty());
    // "rugby" is now in one story only: nothing else shares it.
    let draft = story("Rugby", "Rugby rugby rugby.");
    let r = index.related_to_doc(&draft.doc(), 4, &[]);
    assert_eq!(keys(&r), [6]);
    index.remove(6);
    assert!(index.related_to_doc(&draft.doc(), 4, &[]).is_empty());
    // Removing an unknown key is harmless.
    index.remove(12345);
    assert_eq!(index.len(), 8);
}

#[test]
fn upsert_replaces() {
    let mut index = index_of(&town());
    // Story 8 is rewritten to be about the library.
    index.upsert(
        8,
        &story(
            "Library reading rooms reopen",
            "The library reading rooms reopen after the book sale.",
        )
        .doc(),
    );
    assert_eq!(index.len(), 10);
    assert!(keys(&index.related(4, 3, &[])).contains(&8));
    let bakery = story("Bakery", "A bakery with bread and cakes.");
    assert!(
        index.related_to_doc(&bakery.doc(), 4, &[]).is_empty(),
        "the old text is gone"
    );
}

#[test]
fn shared_section_and_tags_raise_a_candidate() {
    // Two candidates equally close in text to the source.
    let base = || {
        vec![
            (
                1,
                story(
                    "Storm closes coast road",
                    "A storm closed the coast road overnight.",
                ),
            ),
            (
                2,
                story(
                    "Coast road storm damage",
                    "Storm damage on the coast road is being assessed.",
                ),
            ),
            (
                3,
                story(
                    "Storm damage on coast road",
                    "Storm damage on the coast road is being assessed.",
                ),
            ),
            (
                4,
                story("Cinema reopens", "The cinema reopens with a film festival."),
            ),
            (
                5,
                story("Market moves", "The Saturday market moves to the square."),
            ),
        ]
    };
    let index = index_of(&base());
    let plain = keys(&index.related(1, 2, &[]));
    let (first, second) = (plain[0], plain[1]);

    let mut s = base();
    s[0].1 = story(s[0].1.title, s[0].1.body).sections(&["Weather", "Local"]);
    s[second as usize - 1].1 = story(
        s[second as usize - 1].1.title,
        s[second as usize - 1].1.body,
    )
    .sections(&["weather"]);
    let r = index_of(&s).related(1, 2, &[]);
    assert_eq!(keys(&r), [second, first], "section: {r:?}");
    assert_eq!(r[0].why.section.as_deref(), Some("Weather"));
    assert!(
        r[0].why.to_string().contains("same section: Weather"),
        "{}",
        r[0].why
    );

    let mut s = base();
    s[0].1 = story(s[0].1.title, s[0].1.body).tags(&["Floods", "Roads"]);
    s[second as usize - 1].1 = story(
        s[second as usize - 1].1.title,
        s[second as usize - 1].1.body,
    )
    .tags(&["Roads"]);
    let r = index_of(&s).related(1, 2, &[]);
    assert_eq!(keys(&r), [second, first], "tag: {r:?}");
    assert_eq!(r[0].why.tags, ["Roads"]);
}

#[test]
fn recency_breaks_a_tie() {
    let s = vec![
        (
            1,
            story(
                "Storm closes coast road",
                "A storm closed the coast road overnight.",
            )
            .at(100 * DAY),
        ),
        (
            2,
            story(
                "Coast road storm damage",
                "Storm damage on the coast road is being assessed.",
            )
            .at(10 * DAY),
        ),
        (
            3,
            story(
                "Storm damage on coast road",
                "Storm damage on the coast road is being assessed.",
            )
            .at(95 * DAY),
        ),
        (
            4,
            story("Cinema reopens", "The cinema reopens with a film festival.").at(0),
        ),
        (
            5,
            story("Market moves", "The Saturday market moves to the square.").at(0),
        ),
    ];
    let r = index_of(&s).related(1, 2, &[]);
    assert_eq!(keys(&r), [3, 2], "{r:?}");
    assert!(r[0].why.recency > r[1].why.recency);
    assert!((r[0].why.text - r[1].why.text).abs() < 1e-4);
}

#[test]
fn why_names_shared_words_as_written() {
    let index = index_of(&town());
    let r = index.related(6, 1, &[]);
    assert!(
        r[0].why.words.iter().any(|w| w == "rugby"),
        "{:?}",
        r[0].why
    );
    // Written forms, not stems: "timetables" (stem "timet"), never "timet".
    let r = index.related(2, 4, &[]);
    let all: Vec<&String> = r.iter().flat_map(|r| &r.why.words).collect();
    assert!(
        all.iter()
            .any(|w| *w == "timetables" || *w == "ferry" || *w == "fares"),
        "{all:?}"
    );
    assert!(
        all.iter().all(|w| *w != "timet" && *w != "ferri"),
        "{all:?}"
    );
    assert!(r[0].why.to_string().starts_with("shares “"), "{}", r[0].why);
}

#[test]
fn empty_index_and_unknown_keys_give_nothing() {
    let index = RelatedIndex::new(Settings::default());
    assert!(index.is_empty());
    assert!(index.related(1, 4, &[]).is_empty());
    assert!(
        index
            .related_to_doc(&story("Ferry", "Ferry fares").doc(), 4, &[])
            .is_empty()
    );
    let index = index_of(&town());
    assert!(index.related(999, 4, &[]).is_empty());
    assert!(index.related(1, 0, &[]).is_empty());
    let mut index = index;
    for k in 1..=10 {
        index.remove(k);
    }
    assert!(index.is_empty());
    assert!(index.related(1, 4, &[]).is_empty());
}

#[test]
fn drafts_find_related_published_stories() {
    let index = index_of(&town());
    let draft = story(
        "Ferry timetables change again",
        "The harbour ferry timetables change in the spring.",
    );
    let r = index.related_to_doc(&draft.doc(), 3, &[3]);
    assert!(!r.is_empty());
    assert!(keys(&r).iter().all(|k| [1, 2].contains(k)), "{r:?}");
}

#[test]
fn answers_are_deterministic() {
    let a = index_of(&town());
    let b = index_of(&town());
    for key in 1..=10 {
        assert_eq!(a.related(key, 4, &[]), b.related(key, 4, &[]));
    }
}

/// An archive of `n` stories: each has a headline word of its own; stories 2k and 2k+1
/// (keys 2k+1 and 2k+2) share a word no other story has, and one of three common words.
fn paired_archive(n: usize) -> Vec<(i64, String, String)> {
    let word = |mut k: usize| {
        let mut w = String::from("zq");
        loop {
            w.push((b'a' + (k % 26) as u8) as char);
            k /= 26;
            if k == 0 {
                return w;
            }
        }
    };
    let common = ["harbour", "school", "library"];
    (0..n)
        .map(|i| {
            (
                i as i64 + 1,
                format!("Council report {}", word(100_000 + i)),
                format!(
                    "The council discussed the {} and the {} plan at length.",
                    common[(i / 2) % 3],
                    word(i / 2)
                ),
            )
        })
        .collect()
}

fn index_with(settings: Settings, stories: &[(i64, String, String)]) -> RelatedIndex {
    let mut index = RelatedIndex::new(settings);
    for (key, title, body) in stories {
        index.upsert(
            *key,
            &Doc {
                title,
                body,
                sections: &[],
                tags: &[],
                // All at once: nearness in time favours no one.
                published: 0,
            },
        );
    }
    index
}

#[test]
fn a_query_within_its_posting_budget_is_exact() {
    let stories = paired_archive(600);
    let default = index_with(Settings::default(), &stories);
    let unbounded = index_with(
        Settings {
            max_postings: usize::MAX,
            ..Settings::default()
        },
        &stories,
    );
    for key in [1, 2, 299, 300, 600] {
        assert_eq!(default.related(key, 4, &[]), unbounded.related(key, 4, &[]));
    }
}

#[test]
fn a_small_posting_budget_still_finds_what_the_rare_words_say() {
    // A common word is in 1,000 of the 3,000 stories; a budget of 60 entries walks the
    // rare words' entries in full and only the common word's entries beside the source.
    let stories = paired_archive(3000);
    let bounded = index_with(
        Settings {
            max_postings: 60,
            ..Settings::default()
        },
        &stories,
    );
    for (key, pair) in [(1, 2), (1500, 1499), (2999, 3000), (3000, 2999)] {
        let found = bounded.related(key, 4, &[]);
        assert_eq!(found.len(), 4, "{key}: {found:?}");
        assert_eq!(found[0].key, pair, "{key}: {found:?}");
        assert!(!keys(&found).contains(&key));
        // The common word's share of the budget (under 60 of its entries; one story in
        // three has it) was spent beside the source, or next to it at the archive's end.
        assert!(
            keys(&found).iter().all(|k| k.abs_diff(key) <= 180),
            "{key}: {found:?}"
        );
    }
    // Unbounded, the equally good stories come from anywhere (ties go to the lowest key).
    let unbounded = index_with(Settings::default(), &stories).related(1500, 4, &[]);
    assert!(
        keys(&unbounded).iter().any(|k| k.abs_diff(1500) > 180),
        "{unbounded:?}"
    );
    // A story not in the index (a draft) walks the newest entries of the common words.
    let draft = bounded.related_to_doc(
        &Doc {
            title: "Council report",
            body: "The council discussed the harbour at length.",
            sections: &[],
            tags: &[],
            published: 0,
        },
        2,
        &[],
    );
    assert_eq!(draft.len(), 2, "{draft:?}");
}
