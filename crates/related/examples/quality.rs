//! Quality and speed of the related-articles engine on the news corpora. Prints a
//! Markdown report and exits non-zero if BBC precision@4 misses its target.
//!
//! ```text
//! cargo run --release -p masthead-related --example quality -- [CORPUS_DIR] [--out FILE] [--tune]
//! ```
//!
//! * BBC News, text only: precision@4 on the odd lines (the even lines were used for
//!   tuning; `--tune` reruns that grid), for the engine, "MoreLikeThis alone" and a
//!   YARPP-style baseline.
//! * Reuters-21578: share of the 4 answers sharing a topic, macro (per topic) and micro.
//! * Speed: BBC + Reuters (21k), then ten copies of each (212k): build, memory, latency.

mod common;

use common::{Article, build_index, duplicate_groups, even_lines, odd_lines, precision_at_4};
use masthead_related::{RelatedIndex, Settings, analyze};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Instant;

const TARGET: f64 = 0.93;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1).cloned());
    let dir = common::corpus_dir();
    let read = |name: &str| common::read_corpus(&dir.join(name));
    let (bbc, reuters) = match (read("bbc-news.jsonl"), read("reuters-21578.jsonl")) {
        (Ok(b), Ok(r)) => (b, r),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let groups = duplicate_groups(&bbc);

    if args.iter().any(|a| a == "--tune") {
        tune(&bbc, &groups);
        return ExitCode::SUCCESS;
    }

    let mut md = String::new();
    let s = Settings::default();
    if args.iter().any(|a| a == "--speed") {
        let all: Vec<&Article> = bbc.iter().chain(reuters.iter()).collect();
        speed(&all, &s, &mut md, &[1]);
        print!("{md}");
        return ExitCode::SUCCESS;
    }
    let _ = writeln!(md, "# Related articles: quality and speed\n");
    let _ = writeln!(
        md,
        "`bench/related-quality` (crates/related, `--example quality`). Machine: {} CPUs, {}.\n",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model()
    );
    let _ = writeln!(md, "Default settings: `{s:?}`\n");

    // 1. BBC, text only.
    let n = bbc.len();
    let start = Instant::now();
    let index = build_index(&bbc, s.clone());
    let build = start.elapsed();
    let engine = precision_at_4(&bbc, &groups, odd_lines(n), |i| keys(&index, bbc[i].key));
    let engine_even = precision_at_4(&bbc, &groups, even_lines(n), |i| keys(&index, bbc[i].key));
    let plain = build_index(
        &bbc,
        Settings {
            idf_exponent: 1.0,
            ..s.clone()
        },
    );
    let plain_p = precision_at_4(&bbc, &groups, odd_lines(n), |i| keys(&plain, bbc[i].key));
    drop(plain);
    let mlt = Mlt::new(&bbc);
    let mlt_p = precision_at_4(&bbc, &groups, odd_lines(n), |i| mlt.query(i, 4));
    let yarpp = Yarpp::new(&bbc);
    let yarpp_p = precision_at_4(&bbc, &groups, odd_lines(n), |i| yarpp.query(i, 4));
    let _ = writeln!(
        md,
        "## BBC News, text only\n\n{n} articles indexed (built in {:.2} s); precision@4 reported on the \
         {} odd-numbered lines (0-based; the even lines were used for tuning). A hit is an answer of the \
         same category, not the article itself and not in its duplicate group; missing answers are misses.\n",
        build.as_secs_f64(),
        odd_lines(n).count()
    );
    let _ = writeln!(md, "| method | precision@4 |\n| --- | ---: |");
    let _ = writeln!(
        md,
        "| **engine** (tf-idf cosine, full vectors) | **{engine:.4}** (target ≥ {TARGET}) |"
    );
    let _ = writeln!(md, "| engine, even (tuning) lines | {engine_even:.4} |");
    let _ = writeln!(
        md,
        "| engine with plain idf (`idf_exponent: 1.0`) | {plain_p:.4} |"
    );
    let _ = writeln!(
        md,
        "| MoreLikeThis alone (top 25 terms, BM25) | {mlt_p:.4} |"
    );
    let _ = writeln!(
        md,
        "| YARPP-style (shared top-20 keywords, threshold 4) | {yarpp_p:.4} |\n"
    );
    // The scale the bonuses are set against: text scores of the answers by rank.
    let mut by_rank: Vec<Vec<f32>> = vec![Vec::new(); 4];
    for a in &bbc {
        for (r, rel) in index.related(a.key, 4, &[]).iter().enumerate() {
            by_rank[r].push(rel.why.text);
        }
    }
    let medians: Vec<String> = by_rank
        .iter_mut()
        .map(|v| {
            v.sort_by(f32::total_cmp);
            format!("{:.3}", v.get(v.len() / 2).copied().unwrap_or(0.0))
        })
        .collect();
    let _ = writeln!(
        md,
        "Median text cosine of the answers at ranks 1–4 (all BBC articles): {} (the scale the \
         section, tag and recency bonuses are set against).\n",
        medians.join(", ")
    );
    print!("{md}");
    let mut md_done = md.len();

    // 2. Reuters.
    let start = Instant::now();
    let rindex = build_index(&reuters, s.clone());
    let rbuild = start.elapsed();
    let (macro_p, micro_p, asked, topics) = reuters_topics(&reuters, &rindex);
    let _ = writeln!(
        md,
        "## Reuters-21578\n\n{} stories indexed (built in {:.2} s), no sections or tags, published from `date`. \
         For the {asked} stories with a topic: the share of their 4 answers that share a topic with them.\n",
        reuters.len(),
        rbuild.as_secs_f64()
    );
    let _ = writeln!(
        md,
        "| average | share of answers sharing a topic |\n| --- | ---: |"
    );
    let _ = writeln!(
        md,
        "| macro (per topic, then across {topics} topics) | {macro_p:.4} |"
    );
    let _ = writeln!(md, "| micro (per story) | {micro_p:.4} |\n");
    print!("{}", &md[md_done..]);
    md_done = md.len();
    drop(rindex);

    // 3. Speed.
    let all: Vec<&Article> = bbc.iter().chain(reuters.iter()).collect();
    let _ = writeln!(
        md,
        "## Speed\n\nSingle-threaded, release build; `related(key, 4, &[])` for 2,000 sampled keys. \
         p50/p99/max are wall-clock, first call per key; \
         the \"best of 3\" columns time each key three times and keep the fastest, which filters out \
         the ~4 ms scheduler ticks lost to other processes on a busy machine. Load average when the section started: {}; this process's nice value: {} \
         (`bench/related-quality` runs it at -20 when it can).\n",
        load_average(),
        nice_value()
    );
    let _ = writeln!(
        md,
        "| docs | build (s) | memory (MB, own accounting) | p50 (ms) | p99 (ms) | max (ms) | best-of-3 p50 (ms) | best-of-3 p99 (ms) |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let p99_21k = speed(&all, &s, &mut md, &[1, 10]);
    let _ = writeln!(
        md,
        "\nThe 10× row indexes every story ten times under new keys: the copies are near-duplicates \
         of each other and are excluded from answers, so it measures latency only. \
         Target: p99 ≤ 5 ms at 21k. Peak RSS of this whole run: {}.\n",
        peak_rss()
    );
    print!("{}", &md[md_done..]);

    let mut ok = true;
    if engine < TARGET {
        eprintln!("FAIL: BBC precision@4 {engine:.4} < {TARGET}");
        ok = false;
    }
    if p99_21k > 5.0 {
        eprintln!("note: p99 at 21k is {p99_21k:.3} ms > 5 ms");
    }
    if let Some(path) = out {
        if let Err(e) = std::fs::write(&path, &md) {
            eprintln!("error: cannot write {path}: {e}");
            return ExitCode::from(2);
        }
        eprintln!("wrote {path}");
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Builds `copies` × the articles and times `related(key, 4, &[])`; returns p99 (ms) of the first.
fn speed(all: &[&Article], s: &Settings, md: &mut String, copies_list: &[i64]) -> f64 {
    let mut p99_21k = f64::MAX;
    for &copies in copies_list {
        let start = Instant::now();
        let mut index = RelatedIndex::new(s.clone());
        let mut keys = Vec::with_capacity(all.len() * copies as usize);
        for c in 0..copies {
            for a in all {
                let key = a.key.wrapping_add(c.wrapping_mul(0x5E37_79B9_7F4A_7C15));
                index.upsert(key, &a.doc());
                keys.push(key);
            }
        }
        let build = start.elapsed().as_secs_f64();
        let mem = index.heap_bytes() as f64 / 1e6;
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut times = Vec::with_capacity(2000);
        let mut cpu = Vec::with_capacity(2000);
        let mut results = 0usize;
        for _ in 0..2000 {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let key = keys[(rng % keys.len() as u64) as usize];
            let t = Instant::now();
            let r = index.related(key, 4, &[]);
            times.push(t.elapsed().as_secs_f64() * 1e3);
            let mut best = f64::MAX;
            for _ in 0..2 {
                let t = Instant::now();
                let _ = index.related(key, 4, &[]);
                best = best.min(t.elapsed().as_secs_f64() * 1e3);
            }
            cpu.push(best.min(times[times.len() - 1]));
            results += r.len();
        }
        times.sort_by(f64::total_cmp);
        cpu.sort_by(f64::total_cmp);
        let pick = |v: &[f64], q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        let p = |q: f64| pick(&times, q);
        if copies == 1 {
            p99_21k = p(0.99);
        }
        let _ = writeln!(
            md,
            "| {} | {build:.2} | {mem:.1} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            index.len(),
            p(0.5),
            p(0.99),
            times[times.len() - 1],
            pick(&cpu, 0.5),
            pick(&cpu, 0.99),
        );
        eprintln!(
            "({} docs: {:.2} answers per query)",
            index.len(),
            results as f64 / 2000.0
        );
    }
    p99_21k
}

fn keys(index: &RelatedIndex, key: i64) -> Vec<i64> {
    index
        .related(key, 4, &[])
        .into_iter()
        .map(|r| r.key)
        .collect()
}

/// (macro, micro, stories asked, topics)
fn reuters_topics(articles: &[Article], index: &RelatedIndex) -> (f64, f64, usize, usize) {
    let by_key: HashMap<i64, usize> = articles
        .iter()
        .enumerate()
        .map(|(i, a)| (a.key, i))
        .collect();
    let mut per_topic: HashMap<&str, (f64, usize)> = HashMap::new();
    let (mut micro, mut asked) = (0.0, 0usize);
    for a in articles.iter().filter(|a| !a.topics.is_empty()) {
        let hits = index
            .related(a.key, 4, &[])
            .iter()
            .filter_map(|r| by_key.get(&r.key))
            .filter(|&&j| articles[j].topics.iter().any(|t| a.topics.contains(t)))
            .count();
        let p = hits as f64 / 4.0;
        micro += p;
        asked += 1;
        let mut seen: Vec<&str> = Vec::new();
        for t in &a.topics {
            if !seen.contains(&t.as_str()) {
                seen.push(t);
                let e = per_topic.entry(t).or_default();
                e.0 += p;
                e.1 += 1;
            }
        }
    }
    let macro_p =
        per_topic.values().map(|(s, n)| s / *n as f64).sum::<f64>() / per_topic.len().max(1) as f64;
    (macro_p, micro / asked.max(1) as f64, asked, per_topic.len())
}

/// Grid search on the even lines of BBC (odd lines printed for information only).
/// Comma-separated values in T_TW (title weight), T_IDF (idf exponent), T_QT (query
/// terms), T_CAND (candidates), T_DUP (duplicate threshold) and T_MAXP (posting entries a
/// query may walk) replace the default grid.
fn tune(bbc: &[Article], groups: &[usize]) {
    let n = bbc.len();
    println!(
        "title_weight idf_exponent query_terms candidates dup_threshold max_postings | even p@4 | odd p@4"
    );
    let list = |name: &str, default: &str| -> Vec<f32> {
        std::env::var(name)
            .unwrap_or(default.to_string())
            .split(',')
            .filter_map(|x| x.parse().ok())
            .collect()
    };
    for tw in list("T_TW", "1,2,3") {
        for idf in list("T_IDF", "0.25,0.5,0.75,1") {
            for qt in list("T_QT", "60").into_iter().map(|x| x as usize) {
                for cand in list("T_CAND", "200").into_iter().map(|x| x as usize) {
                    for (dup, maxp) in list("T_DUP", "0.9").into_iter().flat_map(|dup| {
                        list("T_MAXP", "200000")
                            .into_iter()
                            .map(move |m| (dup, m as usize))
                    }) {
                        let s = Settings {
                            title_weight: tw,
                            idf_exponent: idf,
                            query_terms: qt,
                            candidates: cand,
                            duplicate_threshold: dup,
                            max_postings: maxp,
                            ..Settings::default()
                        };
                        let index = build_index(bbc, s);
                        let even = precision_at_4(bbc, groups, even_lines(n), |i| {
                            keys(&index, bbc[i].key)
                        });
                        let odd =
                            precision_at_4(bbc, groups, odd_lines(n), |i| keys(&index, bbc[i].key));
                        println!("{tw} {idf} {qt} {cand} {dup} {maxp} | {even:.4} | {odd:.4}");
                    }
                }
            }
        }
    }
}

/// Term counts per article over the engine's own tokens (title, then body).
fn token_counts(text: &str) -> HashMap<String, u32> {
    let mut m = HashMap::new();
    for t in analyze(text) {
        *m.entry(t).or_insert(0) += 1;
    }
    m
}

/// "MoreLikeThis alone": the source's 25 strongest terms (tf × idf) as a query, scored
/// BM25 (k1 = 1.2, b = 0.75), no re-rank.
struct Mlt {
    docs: Vec<HashMap<String, u32>>,
    lens: Vec<f64>,
    df: HashMap<String, u32>,
    postings: HashMap<String, Vec<usize>>,
    keys: Vec<i64>,
    avgdl: f64,
}

impl Mlt {
    fn new(articles: &[Article]) -> Self {
        let docs: Vec<HashMap<String, u32>> = articles
            .iter()
            .map(|a| token_counts(&format!("{}\n{}", a.title, a.body)))
            .collect();
        let lens: Vec<f64> = docs
            .iter()
            .map(|d| d.values().sum::<u32>() as f64)
            .collect();
        let mut df = HashMap::new();
        let mut postings: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, d) in docs.iter().enumerate() {
            for t in d.keys() {
                *df.entry(t.clone()).or_insert(0) += 1;
                postings.entry(t.clone()).or_default().push(i);
            }
        }
        let avgdl = lens.iter().sum::<f64>() / lens.len().max(1) as f64;
        Mlt {
            docs,
            lens,
            df,
            postings,
            keys: articles.iter().map(|a| a.key).collect(),
            avgdl,
        }
    }

    fn query(&self, src: usize, limit: usize) -> Vec<i64> {
        let n = self.docs.len() as f64;
        let df = |t: &str| f64::from(self.df.get(t).copied().unwrap_or(1));
        let mut terms: Vec<(&String, f64)> = self.docs[src]
            .iter()
            .map(|(t, &tf)| (t, f64::from(tf) * (n / df(t)).ln()))
            .collect();
        terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
        terms.truncate(25);
        let mut scores: HashMap<usize, f64> = HashMap::new();
        for (t, _) in terms {
            let d = df(t);
            let idf = (1.0 + (n - d + 0.5) / (d + 0.5)).ln();
            for &j in &self.postings[t] {
                let tf = f64::from(self.docs[j][t]);
                let norm = 1.2 * (1.0 - 0.75 + 0.75 * self.lens[j] / self.avgdl);
                *scores.entry(j).or_insert(0.0) += idf * tf * 2.2 / (tf + norm);
            }
        }
        let mut ranked: Vec<(usize, f64)> = scores.into_iter().filter(|&(j, _)| j != src).collect();
        ranked.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then(self.keys[a.0].cmp(&self.keys[b.0]))
        });
        ranked
            .into_iter()
            .take(limit)
            .map(|(j, _)| self.keys[j])
            .collect()
    }
}

/// YARPP-style: the top 20 keywords (by frequency) of the title and of the body; the
/// score is the number shared in each, added; at least 4 to be shown.
struct Yarpp {
    title: Vec<Vec<String>>,
    body: Vec<Vec<String>>,
    keys: Vec<i64>,
}

impl Yarpp {
    fn new(articles: &[Article]) -> Self {
        let top = |text: &str| {
            let mut v: Vec<(String, u32)> = token_counts(text).into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut words: Vec<String> = v.into_iter().take(20).map(|(w, _)| w).collect();
            words.sort();
            words
        };
        Yarpp {
            title: articles.iter().map(|a| top(&a.title)).collect(),
            body: articles.iter().map(|a| top(&a.body)).collect(),
            keys: articles.iter().map(|a| a.key).collect(),
        }
    }

    fn query(&self, src: usize, limit: usize) -> Vec<i64> {
        let shared =
            |a: &[String], b: &[String]| a.iter().filter(|w| b.binary_search(w).is_ok()).count();
        let mut ranked: Vec<(usize, usize)> = (0..self.keys.len())
            .filter(|&j| j != src)
            .map(|j| {
                (
                    j,
                    shared(&self.title[src], &self.title[j])
                        + shared(&self.body[src], &self.body[j]),
                )
            })
            .filter(|&(_, s)| s >= 4)
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(self.keys[a.0].cmp(&self.keys[b.0])));
        ranked
            .into_iter()
            .take(limit)
            .map(|(j, _)| self.keys[j])
            .collect()
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

/// Field 19 of /proc/self/stat (after the parenthesised command name).
fn nice_value() -> String {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = s.rsplit_once(')')?.1.to_string();
            rest.split_whitespace().nth(16).map(str::to_string)
        })
        .unwrap_or_else(|| "unknown".to_string())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string())
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".to_string())
}
