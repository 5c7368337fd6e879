//! A word-level diff between two revisions' texts, for the newsroom's "compare" page.
//! Text is cut into tokens — runs of letters and digits, runs of whitespace, and each
//! other character alone — and Myers' algorithm finds the fewest tokens to remove and
//! add. The result is a list of runs; the old text is the same and removed runs in
//! order, the new text the same and added runs.

use serde::Serialize;

/// One stretch of the comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", content = "text", rename_all = "snake_case")]
pub enum Run {
    /// In both texts.
    Same(String),
    /// Only in the new text.
    Added(String),
    /// Only in the old text.
    Removed(String),
}

/// How much work a diff may do before it settles for a coarser answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most tokens (both sides, after the common start and end are set aside)
    /// compared word by word; longer texts are compared line by line.
    pub max_tokens: usize,
    /// The most removed plus added tokens a comparison searches for; beyond it a word
    /// diff is compared line by line, and a line diff becomes one removed block and
    /// one added block.
    pub max_edits: usize,
}

impl Default for Limits {
    /// Myers' search costs time in proportion to the tokens times the edits, and this
    /// one keeps memory in proportion to the edits squared. The compare page runs on a
    /// request thread, so a story rewritten from top to bottom must not take seconds:
    /// these bounds keep the worst case to some tens of milliseconds, and a thousand
    /// changed words is past the point where a word-by-word diff helps a reader anyway.
    fn default() -> Self {
        Self {
            max_tokens: 50_000,
            max_edits: 1_000,
        }
    }
}

/// Compares `old` with `new` word by word, within the default [`Limits`].
pub fn diff_words(old: &str, new: &str) -> Vec<Run> {
    diff_within(old, new, Limits::default())
}

/// Compares `old` with `new` word by word, falling back to lines and then to whole
/// blocks when `limits` would be exceeded.
pub fn diff_within(old: &str, new: &str, limits: Limits) -> Vec<Run> {
    let (a, b) = (tokens(old), tokens(new));
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let prefix_bytes: usize = a[..prefix].iter().map(|t| t.len()).sum();
    let suffix_bytes: usize = a[a.len() - suffix..].iter().map(|t| t.len()).sum();
    let (a_middle, b_middle) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let by_words = (a_middle.len() + b_middle.len() <= limits.max_tokens)
        .then(|| edit_script(a_middle, b_middle, limits.max_edits))
        .flatten();
    let mut runs = Runs::default();
    if let Some(steps) = by_words {
        runs.push(Kind::Same, &old[..prefix_bytes]);
        runs.apply(a_middle, b_middle, &steps);
        runs.push(Kind::Same, &old[old.len() - suffix_bytes..]);
        return runs.0;
    }
    // Line by line, the changed part widens to whole lines (the start and end it
    // gives up are common to both sides).
    let start = old[..prefix_bytes].rfind('\n').map_or(0, |at| at + 1);
    let end_len = old[old.len() - suffix_bytes..]
        .find('\n')
        .map_or(0, |at| suffix_bytes - at - 1);
    let old_middle = &old[start..old.len() - end_len];
    let new_middle = &new[start..new.len() - end_len];
    let (a_lines, b_lines) = (lines(old_middle), lines(new_middle));
    let by_lines = (a_lines.len() + b_lines.len() <= limits.max_tokens)
        .then(|| edit_script(&a_lines, &b_lines, limits.max_edits))
        .flatten();
    runs.push(Kind::Same, &old[..start]);
    match by_lines {
        Some(steps) => runs.apply(&a_lines, &b_lines, &steps),
        None => {
            runs.push(Kind::Removed, old_middle);
            runs.push(Kind::Added, new_middle);
        }
    }
    runs.push(Kind::Same, &old[old.len() - end_len..]);
    runs.0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Same,
    Added,
    Removed,
}

/// Runs being built: empty text is dropped and neighbours of one kind are joined.
#[derive(Default)]
struct Runs(Vec<Run>);

impl Runs {
    fn push(&mut self, kind: Kind, text: &str) {
        if text.is_empty() {
            return;
        }
        match (self.0.last_mut(), kind) {
            (Some(Run::Same(t)), Kind::Same)
            | (Some(Run::Added(t)), Kind::Added)
            | (Some(Run::Removed(t)), Kind::Removed) => t.push_str(text),
            (_, Kind::Same) => self.0.push(Run::Same(text.to_owned())),
            (_, Kind::Added) => self.0.push(Run::Added(text.to_owned())),
            (_, Kind::Removed) => self.0.push(Run::Removed(text.to_owned())),
        }
    }

    /// Appends an edit script's runs. Each change shows as everything removed, then
    /// everything added; whitespace kept between two changes joins them, so a
    /// rewritten phrase reads as one phrase replaced rather than word, space, word.
    fn apply(&mut self, a: &[&str], b: &[&str], steps: &[Step]) {
        let (mut i, mut j) = (0, 0);
        let (mut removed, mut added, mut held) = (String::new(), String::new(), String::new());
        for step in steps {
            match step {
                Step::Keep => {
                    let token = a[i];
                    i += 1;
                    j += 1;
                    let in_change = !removed.is_empty() || !added.is_empty();
                    if in_change && token.chars().all(char::is_whitespace) {
                        held.push_str(token);
                        continue;
                    }
                    self.push(Kind::Removed, &removed);
                    self.push(Kind::Added, &added);
                    removed.clear();
                    added.clear();
                    self.push(Kind::Same, &held);
                    held.clear();
                    self.push(Kind::Same, token);
                }
                Step::Remove | Step::Add => {
                    removed.push_str(&held);
                    added.push_str(&held);
                    held.clear();
                    if *step == Step::Remove {
                        removed.push_str(a[i]);
                        i += 1;
                    } else {
                        added.push_str(b[j]);
                        j += 1;
                    }
                }
            }
        }
        self.push(Kind::Removed, &removed);
        self.push(Kind::Added, &added);
        self.push(Kind::Same, &held);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CharClass {
    Word,
    Space,
    Other,
}

fn class_of(c: char) -> CharClass {
    if c.is_alphanumeric() {
        CharClass::Word
    } else if c.is_whitespace() {
        CharClass::Space
    } else {
        CharClass::Other
    }
}

/// Words, runs of whitespace, and every other character on its own (so `**bold**`
/// losing its stars shows as four removed stars, not a changed word).
fn tokens(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let class = class_of(c);
        let mut end = start + c.len_utf8();
        if class != CharClass::Other {
            while let Some(&(at, next)) = chars.peek() {
                if class_of(next) != class {
                    break;
                }
                end = at + next.len_utf8();
                chars.next();
            }
        }
        out.push(&text[start..end]);
    }
    out
}

/// Lines, each with its line break.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Keep,
    Remove,
    Add,
}

/// The shortest edit script turning `a` into `b` (Myers, 1986), or `None` when it
/// needs more than `max_edits` removals and additions.
fn edit_script(a: &[&str], b: &[&str], max_edits: usize) -> Option<Vec<Step>> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let limit = max_edits.min(a.len() + b.len()) as isize;
    // `furthest[k + offset]`: the furthest x reached so far on diagonal k = x - y.
    let offset = limit + 1;
    let mut furthest = vec![0isize; 2 * limit as usize + 3];
    // Before each round d, the furthest points of round d - 1 (diagonals -d..=d), for
    // walking the path back.
    let mut trace: Vec<Vec<isize>> = Vec::new();
    for d in 0..=limit {
        trace.push(furthest[(offset - d) as usize..=(offset + d) as usize].to_vec());
        for k in (-d..=d).step_by(2) {
            let at = (offset + k) as usize;
            let mut x = if k == -d || (k != d && furthest[at - 1] < furthest[at + 1]) {
                furthest[at + 1]
            } else {
                furthest[at - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            furthest[at] = x;
            if x >= n && y >= m {
                return Some(walk_back(&trace, n, m));
            }
        }
    }
    None
}

/// Follows the recorded rounds from the end back to the start.
fn walk_back(trace: &[Vec<isize>], n: isize, m: isize) -> Vec<Step> {
    let mut steps = Vec::with_capacity((n + m) as usize);
    let (mut x, mut y) = (n, m);
    for (d, before) in trace.iter().enumerate().rev() {
        let d = d as isize;
        let furthest = |k: isize| before[(k + d) as usize];
        let (prev_x, prev_y) = if d == 0 {
            (0, 0)
        } else {
            let k = x - y;
            let prev_k = if k == -d || (k != d && furthest(k - 1) < furthest(k + 1)) {
                k + 1
            } else {
                k - 1
            };
            (furthest(prev_k), furthest(prev_k) - prev_k)
        };
        while x > prev_x && y > prev_y {
            steps.push(Step::Keep);
            x -= 1;
            y -= 1;
        }
        if d > 0 {
            steps.push(if x == prev_x { Step::Add } else { Step::Remove });
        }
        (x, y) = (prev_x, prev_y);
    }
    steps.reverse();
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One side put back together: the old text, or with `new` the new one.
    fn side(runs: &[Run], new: bool) -> String {
        runs.iter()
            .filter_map(|r| match r {
                Run::Same(t) => Some(t.as_str()),
                Run::Added(t) if new => Some(t.as_str()),
                Run::Removed(t) if !new => Some(t.as_str()),
                _ => None,
            })
            .collect()
    }

    fn same(t: &str) -> Run {
        Run::Same(t.into())
    }
    fn added(t: &str) -> Run {
        Run::Added(t.into())
    }
    fn removed(t: &str) -> Run {
        Run::Removed(t.into())
    }

    #[test]
    fn a_changed_word_is_removed_and_added_in_place() {
        assert_eq!(
            diff_words("The tram runs late.", "The tram runs early."),
            [
                same("The tram runs "),
                removed("late"),
                added("early"),
                same(".")
            ]
        );
    }

    #[test]
    fn insertions_and_deletions_alone() {
        assert_eq!(
            diff_words("Budget night", "Budget night in the city"),
            [same("Budget night"), added(" in the city")]
        );
        assert_eq!(
            diff_words("A very long day", "A day"),
            [same("A "), removed("very long "), same("day")]
        );
        assert_eq!(diff_words("", "New"), [added("New")]);
        assert_eq!(diff_words("Old", ""), [removed("Old")]);
        assert_eq!(diff_words("", ""), []);
        assert_eq!(diff_words("Same", "Same"), [same("Same")]);
    }

    #[test]
    fn a_rewritten_phrase_reads_as_one_change() {
        assert_eq!(
            diff_words("the quick brown fox jumps", "the slow red fox jumps"),
            [
                same("the "),
                removed("quick brown"),
                added("slow red"),
                same(" fox jumps")
            ]
        );
    }

    #[test]
    fn punctuation_is_its_own_token() {
        assert_eq!(
            diff_words("A **bold** claim", "A bold claim"),
            [
                same("A "),
                removed("**"),
                same("bold"),
                removed("**"),
                same(" claim")
            ]
        );
    }

    #[test]
    fn words_are_unicode_aware() {
        assert_eq!(
            diff_words("Café Müller öffnet", "Café Müller schließt"),
            [same("Café Müller "), removed("öffnet"), added("schließt")]
        );
    }

    #[test]
    fn too_many_word_changes_fall_back_to_lines_then_blocks() {
        let limits = Limits {
            max_tokens: 1_000,
            max_edits: 4,
        };
        let old = "keep this line\nalpha beta gamma delta\nand this one\n";
        let new = "keep this line\none two three four\nand this one\n";
        assert_eq!(
            diff_within(old, new, limits),
            [
                same("keep this line\n"),
                removed("alpha beta gamma delta\n"),
                added("one two three four\n"),
                same("and this one\n")
            ]
        );
        let tight = Limits {
            max_tokens: 1_000,
            max_edits: 1,
        };
        let old = "x\na\nb\ny";
        let new = "x\nc\nd\ny";
        assert_eq!(
            diff_within(old, new, tight),
            [same("x\n"), removed("a\nb\n"), added("c\nd\n"), same("y")]
        );
        let few_tokens = Limits {
            max_tokens: 2,
            max_edits: 1_000,
        };
        assert_eq!(
            diff_within("one two three", "one four three", few_tokens),
            [same("one "), removed("two"), added("four"), same(" three")],
            "the common start and end do not count against the limit"
        );
    }

    #[test]
    fn a_huge_rewrite_stays_quick() {
        let old: String = (0..40_000).map(|i| format!("w{i} ")).collect();
        let new: String = (0..40_000).map(|i| format!("v{i} ")).collect();
        let started = std::time::Instant::now();
        let runs = diff_words(&old, &new);
        assert_eq!(side(&runs, false), old);
        assert_eq!(side(&runs, true), new);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    /// Text with many repeats, so diffs have plenty to keep.
    fn wordy() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just("the"),
                Just("tram"),
                Just("late"),
                Just(" "),
                Just("  "),
                Just("\n"),
                Just("."),
                Just("*"),
                Just("é"),
            ],
            0..60,
        )
        .prop_map(|parts| parts.concat())
    }

    fn check(runs: &[Run], old: &str, new: &str) {
        assert_eq!(side(runs, false), old);
        assert_eq!(side(runs, true), new);
        for r in runs {
            let (Run::Same(t) | Run::Added(t) | Run::Removed(t)) = r;
            assert!(!t.is_empty(), "no empty runs: {runs:?}");
        }
        for pair in runs.windows(2) {
            assert_ne!(
                std::mem::discriminant(&pair[0]),
                std::mem::discriminant(&pair[1]),
                "neighbours differ in kind: {runs:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn applying_the_diff_gives_back_both_sides(old in wordy(), new in wordy()) {
            check(&diff_words(&old, &new), &old, &new);
        }

        #[test]
        fn any_text_survives_the_round_trip(old in any::<String>(), new in any::<String>()) {
            check(&diff_words(&old, &new), &old, &new);
        }

        #[test]
        fn the_fallbacks_give_back_both_sides_too(
            old in wordy(),
            new in wordy(),
            max_tokens in 0usize..40,
            max_edits in 0usize..6,
        ) {
            let limits = Limits { max_tokens, max_edits };
            check(&diff_within(&old, &new, limits), &old, &new);
        }

        #[test]
        fn identical_texts_are_all_same(text in wordy()) {
            let runs = diff_words(&text, &text);
            prop_assert!(runs.iter().all(|r| matches!(r, Run::Same(_))));
        }
    }
}
