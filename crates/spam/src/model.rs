//! The classifier: logistic regression over hashed, naive-Bayes-scaled features,
//! trained with AdaGrad, with a threshold chosen for a target false-positive rate, and
//! online updates from moderator decisions.
//!
//! Why a linear model: it trains on a few thousand short texts in about a second,
//! scores with one sparse dot product, and its weights can be nudged one decision at a
//! time, which is what moderation needs. Logistic regression rather than naive Bayes
//! because n-grams overlap heavily (a word, its bigrams and its character grams all
//! say the same thing), and naive Bayes counts that evidence several times over,
//! which shows most at the low false-positive end where this crate operates. The
//! naive-Bayes *scaling* of the features (NB-SVM style, see [`nb_scale`]) keeps what
//! naive Bayes is good at on small data: on the YouTube set it cut the held-out
//! false-positive rate from 1.3% to 0.9% at the same recall.
//!
//! Why AdaGrad: per-feature step sizes shrink for features seen often, so rare but
//! telling n-grams (a spammer's domain) still learn quickly from their few examples.

use crate::CommentText;
use crate::features::{Features, extract};
use std::fmt;

/// Hash buckets of models this crate trains: `2^BITS`.
pub(crate) const BITS: u8 = 20;
/// Passes over the training data.
const EPOCHS: usize = 12;
/// AdaGrad base learning rate.
const LEARNING_RATE: f32 = 0.3;
/// L2 penalty, applied to the weights an example touches (lazy regularisation).
const L2: f32 = 1e-5;
/// How much more a ham example's error counts than a spam example's: the operating
/// point is a low false-positive rate, so the ham side of the boundary matters more.
const HAM_WEIGHT: f32 = 1.5;
/// Exponent of the naive-Bayes feature scaling (see [`nb_scale`]); 0 would turn it off.
const NB_EXPONENT: f32 = 0.5;
/// Folds of the inner cross-validation that fixes the threshold.
const INNER_FOLDS: usize = 5;
/// The threshold is fixed at this fraction of the allowed false-positive rate on the
/// inner folds. Each inner model saw 80% of the data and the final one sees all of it,
/// so the inner scores only approximate how the final model scores unseen ham; the
/// margin absorbs the difference. (Measured held out at a 2% target: 0.9% on YouTube,
/// 1.3% on SMS, worst single fold 2.3%.)
const FPR_SAFETY: f64 = 0.8;
/// Seed of every shuffle; training is deterministic.
const SEED: u64 = 0x6d61_7374_6865_6164;
/// Weights are kept on a grid of `1/WEIGHT_SCALE` so that they serialise exactly as
/// `i16`. The grid (about 0.0005) is far below anything that changes a verdict.
const WEIGHT_SCALE: f32 = 2048.0;
/// The largest weight magnitude, also the `i16` range limit over [`WEIGHT_SCALE`].
const WEIGHT_LIMIT: f32 = 15.99;
/// [`Classifier::learn`] moves a comment this far (in log-odds) past the threshold...
const LEARN_MARGIN: f32 = 1.5;
/// ...plus this fraction of how far on the wrong side it was, so that a reworded
/// comment which shares only most of its features also crosses.
const LEARN_OVERSHOOT: f32 = 0.6;

/// Why a model file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelError {
    /// The bytes do not start with the model file's magic.
    NotAModel,
    /// A model file of a format version this build does not read.
    UnsupportedVersion(u8),
    /// The file ends early or its parts do not fit together.
    Corrupt(String),
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::NotAModel => write!(
                f,
                "not a spam model file (it does not start with {:?})",
                String::from_utf8_lossy(MAGIC)
            ),
            ModelError::UnsupportedVersion(v) => write!(
                f,
                "spam model file format version {v} is not supported (this build reads version {VERSION})"
            ),
            ModelError::Corrupt(why) => write!(f, "spam model file is corrupt: {why}"),
        }
    }
}

impl std::error::Error for ModelError {}

const MAGIC: &[u8; 8] = b"MHSPAM\r\n";
const VERSION: u8 = 1;

/// A trained spam classifier. Cheap to share read-only; clone it to learn on a copy.
#[derive(Clone)]
pub struct Classifier {
    bits: u8,
    bias: f32,
    /// One weight per bucket, always on the [`WEIGHT_SCALE`] grid.
    weights: Vec<f32>,
    /// In how many training (and learned) comments each bucket occurred, saturating.
    /// [`Classifier::learn`] moves rare buckets more than common ones, so one decision
    /// changes what is particular to that comment, not the verdict on every comment
    /// that uses the word "the".
    doc_freq: Vec<u8>,
    threshold: f32,
}

impl fmt::Debug for Classifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Classifier")
            .field("bits", &self.bits)
            .field("bias", &self.bias)
            .field("threshold", &self.threshold)
            .field(
                "nonzero_weights",
                &self.weights.iter().filter(|w| **w != 0.0).count(),
            )
            .finish()
    }
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

fn logit(p: f32) -> f32 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

fn snap(w: f32) -> f32 {
    (w.clamp(-WEIGHT_LIMIT, WEIGHT_LIMIT) * WEIGHT_SCALE).round() / WEIGHT_SCALE
}

/// A small, fast, fixed-seed generator (xorshift64*): the shuffles must be the same on
/// every machine, and this crate should not need a dependency for them.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Fisher–Yates shuffle.
    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            // The modulus is at most items.len(), which fits usize.
            let j = (self.next() % (i as u64 + 1)) as usize;
            items.swap(i, j);
        }
    }
}

/// Naive-Bayes scaling of each bucket, as in NB-SVM (Wang & Manning, 2012): the
/// magnitude of its log-count ratio between spam and ham, to the power
/// [`NB_EXPONENT`]. Buckets that occur alike in both classes are damped, telling ones
/// amplified, before the regression weighs them. On these corpora it lowered the
/// false-positive rate at equal recall, above all on the small YouTube set, where plain
/// regression has too few examples to learn that "the" is not evidence.
fn nb_scale(data: &[Example], rows: &[usize], n: usize) -> Vec<f32> {
    // Add-one smoothed counts of documents containing each bucket.
    let mut spam = vec![1f32; n];
    let mut ham = vec![1f32; n];
    for &r in rows {
        let e = &data[r];
        let counts = if e.spam { &mut spam } else { &mut ham };
        for &i in &e.features.idx {
            counts[i as usize] += 1.0;
        }
    }
    let spam_total: f32 = spam.iter().sum();
    let ham_total: f32 = ham.iter().sum();
    spam.iter()
        .zip(&ham)
        .map(|(s, h)| {
            ((s / spam_total) / (h / ham_total))
                .ln()
                .abs()
                .powf(NB_EXPONENT)
                .min(5.0)
        })
        .collect()
}

/// One training example, ready for fitting.
pub(crate) struct Example {
    features: Features,
    spam: bool,
    /// Which of the sources given to [`Classifier::train_sources`] it came from.
    source: usize,
    /// How much its error counts in fitting: sources weigh the same in total.
    weight: f32,
}

/// AdaGrad logistic regression on the examples at `rows` of `data`, over
/// [`nb_scale`]d features. Returns the weights with the scaling folded in (so scoring
/// is a plain dot product), snapped to the grid, and the bias.
fn fit(data: &[Example], rows: &[usize], bits: u8, seed: u64) -> (Vec<f32>, f32) {
    let n = 1usize << bits;
    // Weight, AdaGrad sum of squared gradients and scale of a bucket side by side: the
    // buckets an example touches are scattered over megabytes, so one cache line per
    // bucket instead of three makes training several times faster.
    let mut slots: Vec<[f32; 4]> = nb_scale(data, rows, n)
        .into_iter()
        .map(|scale| [0.0, 0.0, scale, 0.0])
        .collect();
    let (mut bias, mut g2_bias) = (0f32, 0f32);
    let mut order = rows.to_vec();
    let mut rng = Rng::new(seed);
    for _ in 0..EPOCHS {
        rng.shuffle(&mut order);
        for &r in &order {
            let Example {
                features: f,
                spam,
                weight,
                ..
            } = &data[r];
            let z = bias
                + f.idx
                    .iter()
                    .zip(&f.val)
                    .map(|(&i, &v)| {
                        let [w, _, scale, _] = slots[i as usize];
                        w * scale * v
                    })
                    .sum::<f32>();
            let err = weight
                * if *spam {
                    sigmoid(z) - 1.0
                } else {
                    HAM_WEIGHT * sigmoid(z)
                };
            for (&i, &v) in f.idx.iter().zip(&f.val) {
                let [w, g2, scale, _] = &mut slots[i as usize];
                let g = err * v * *scale + L2 * *w;
                *g2 += g * g;
                *w -= LEARNING_RATE * g / (g2.sqrt() + 1e-8);
            }
            g2_bias += err * err;
            bias -= LEARNING_RATE * err / (g2_bias.sqrt() + 1e-8);
        }
    }
    let weights = slots
        .iter()
        .map(|[w, _, scale, _]| snap(w * scale))
        .collect();
    (weights, bias)
}

/// The lowest threshold at which at most `max_fpr * FPR_SAFETY` of `ham` scores are at
/// or above it.
fn pick_threshold(mut ham: Vec<f32>, max_fpr: f64) -> f32 {
    if ham.is_empty() {
        return 0.5;
    }
    ham.sort_unstable_by(|a, b| b.total_cmp(a));
    // Rounds down: the allowed count of false positives, never more than the target.
    let allowed = (max_fpr.max(0.0) * FPR_SAFETY * ham.len() as f64).floor() as usize;
    match ham.get(allowed) {
        // Just above the highest ham score that must stay below the threshold.
        Some(&h) => next_up(h).min(1.0),
        None => 0.0,
    }
}

/// The threshold that keeps every source's ham within the rate: the highest of their
/// own thresholds.
fn threshold_for_sources(ham_by_source: Vec<Vec<f32>>, max_fpr: f64) -> f32 {
    ham_by_source
        .into_iter()
        .filter(|scores| !scores.is_empty())
        .map(|scores| pick_threshold(scores, max_fpr))
        .reduce(f32::max)
        .unwrap_or(0.5)
}

fn next_up(x: f32) -> f32 {
    if x.is_nan() || x == f32::INFINITY {
        return x;
    }
    if x == 0.0 {
        return f32::from_bits(1);
    }
    let bits = x.to_bits();
    f32::from_bits(if x > 0.0 { bits + 1 } else { bits - 1 })
}

impl Classifier {
    /// The model shipped in the binary (`model/shipped.bin`), trained on both corpora
    /// with [`Classifier::train_sources`] by
    /// `cargo run --release -p masthead-spam --example train`. Decoded once per process;
    /// each call returns a copy that can [`learn`](Self::learn) on its own.
    ///
    /// # Panics
    /// If the embedded model file is corrupt, which the crate's tests rule out before
    /// anything ships.
    pub fn shipped() -> Classifier {
        static SHIPPED: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
        SHIPPED
            .get_or_init(
                || match Classifier::from_bytes(include_bytes!("../model/shipped.bin")) {
                    Ok(c) => c,
                    Err(e) => panic!("the spam model built into this binary is unusable: {e}"),
                },
            )
            .clone()
    }

    /// Trains from scratch on labelled examples (`true` = spam), and fixes the threshold
    /// for a false-positive rate of at most `max_false_positive_rate` using only these
    /// examples: scores from an inner 5-fold cross-validation stand in for unseen ham.
    /// Deterministic.
    pub fn train(examples: &[(CommentText<'_>, bool)], max_false_positive_rate: f64) -> Classifier {
        Self::train_sources(&[examples], max_false_positive_rate)
    }

    /// Like [`Classifier::train`], for examples from several sources (the shipped model
    /// learns from two corpora). Each source weighs the same in fitting, however many
    /// examples it has, and the threshold keeps the false-positive rate within the
    /// target on *every* source's ham. A pooled rate is not enough: a large source with
    /// easy ham (text messages) would let the threshold fall until a smaller one with
    /// harder ham (comments, the very thing this crate is for) is flagged several times
    /// as often as the target allows. (Measured on the two corpora, 5 folds: pooled
    /// training flagged 4.8% of held-out YouTube ham; per source, 1.0%.)
    pub fn train_sources(
        sources: &[&[(CommentText<'_>, bool)]],
        max_false_positive_rate: f64,
    ) -> Classifier {
        let total: usize = sources.iter().map(|s| s.len()).sum();
        let mut data = Vec::with_capacity(total);
        for (source, examples) in sources.iter().enumerate() {
            // Exactly 1 when there is one source, so `train` is plain, unweighted fitting.
            let weight = total as f32 / (examples.len().max(1) * sources.len()) as f32;
            data.extend(examples.iter().map(|(c, spam)| Example {
                features: extract(c, BITS),
                spam: *spam,
                source,
                weight,
            }));
        }
        Self::train_examples(&data, sources.len(), max_false_positive_rate, BITS)
    }

    fn train_examples(data: &[Example], sources: usize, max_fpr: f64, bits: u8) -> Classifier {
        // Inner folds stratified by source and class, so that every fold has its share of
        // each.
        let mut rng = Rng::new(SEED ^ 0x5eed);
        let mut fold_of = vec![0usize; data.len()];
        for source in 0..sources {
            for class in [true, false] {
                let mut rows: Vec<usize> = (0..data.len())
                    .filter(|&r| data[r].spam == class && data[r].source == source)
                    .collect();
                rng.shuffle(&mut rows);
                for (k, r) in rows.into_iter().enumerate() {
                    fold_of[r] = k % INNER_FOLDS;
                }
            }
        }
        let mut ham_scores = vec![Vec::new(); sources];
        for fold in 0..INNER_FOLDS {
            let (train, test): (Vec<usize>, Vec<usize>) =
                (0..data.len()).partition(|&r| fold_of[r] != fold);
            if train.is_empty() || test.is_empty() {
                continue;
            }
            let (w, bias) = fit(data, &train, bits, SEED.wrapping_add(fold as u64 + 1));
            for &r in &test {
                if !data[r].spam {
                    ham_scores[data[r].source].push(sigmoid(bias + data[r].features.dot(&w)));
                }
            }
        }
        let threshold = threshold_for_sources(ham_scores, max_fpr);
        let all: Vec<usize> = (0..data.len()).collect();
        let (weights, bias) = fit(data, &all, bits, SEED);
        let mut doc_freq = vec![0u8; 1usize << bits];
        for e in data {
            for &i in &e.features.idx {
                let d = &mut doc_freq[i as usize];
                *d = d.saturating_add(1);
            }
        }
        Classifier {
            bits,
            bias,
            weights,
            doc_freq,
            threshold,
        }
    }

    fn logit_of(&self, f: &Features) -> f32 {
        self.bias + f.dot(&self.weights)
    }

    /// Spam probability-like score in `0..=1`.
    pub fn score(&self, c: &CommentText<'_>) -> f32 {
        sigmoid(self.logit_of(&extract(c, self.bits)))
    }

    /// The threshold chosen at training: a score at or above it means spam.
    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// Whether the comment scores at or above [`Classifier::threshold`].
    pub fn is_spam(&self, c: &CommentText<'_>) -> bool {
        self.score(c) >= self.threshold
    }

    /// Learns from one moderator decision.
    ///
    /// A passive-aggressive step: the smallest change to the comment's weights that
    /// moves its log-odds 1.5 past the threshold, plus 0.6 of how far it was on the
    /// wrong side (so that a reworded comment sharing most of its words crosses too).
    /// The change is weighted towards the comment's rare buckets, by how few comments
    /// each occurred in: what is particular to this comment moves, not the weight of
    /// "the". The step is sized by this one comment and every weight stays within
    /// ±16, so one decision cannot swing the whole model (on the corpora, teaching the
    /// shipped model the opposite of 47 of its own training labels changed 1 verdict
    /// in 14,100 checks on other comments); a comment already well on the right side
    /// changes nothing but its buckets' counts. Pure arithmetic on the current state:
    /// replaying the same decisions on the same model gives the same model.
    pub fn learn(&mut self, c: &CommentText<'_>, spam: bool) {
        let f = extract(c, self.bits);
        // Only what the words bring is moved: a spammer changes name and address with
        // every comment, so a lesson carried by those would not reach the next one; the
        // comment as a whole still crosses (its logit is measured in full).
        let words: std::collections::HashSet<u32> =
            extract(&CommentText::text_only(c.text), self.bits)
                .idx
                .into_iter()
                .collect();
        let taught: Vec<(u32, f32)> = f
            .idx
            .iter()
            .zip(&f.val)
            .filter(|(i, _)| words.contains(i))
            .map(|(&i, &v)| (i, v))
            .collect();
        let direction: f32 = if spam { 1.0 } else { -1.0 };
        let threshold = logit(self.threshold);
        // How far (in log-odds, positive = wrong side) the comment is from the threshold.
        let wrong_by = direction * (threshold - self.logit_of(&f));
        let target = LEARN_MARGIN + LEARN_OVERSHOOT * wrong_by.max(0.0);
        let precondition: Vec<f32> = taught
            .iter()
            .map(|&(i, _)| 1.0 / (1.0 + f32::from(self.doc_freq[i as usize])))
            .collect();
        let denom: f32 = taught
            .iter()
            .zip(&precondition)
            .map(|((_, v), p)| v * v * p)
            .sum();
        // A few rounds, because snapping to the grid and the weight limit can leave the
        // first step a little short.
        for _ in 0..4 {
            let need = target + direction * (threshold - self.logit_of(&f));
            if need <= 0.0 || denom <= 0.0 {
                break;
            }
            let eta = need / denom;
            for (&(i, v), &p) in taught.iter().zip(&precondition) {
                let w = &mut self.weights[i as usize];
                *w = snap(*w + direction * eta * v * p);
            }
        }
        for &i in &f.idx {
            let d = &mut self.doc_freq[i as usize];
            *d = d.saturating_add(1);
        }
    }

    /// The model as a file, std-only and exact (see [`from_bytes`](Self::from_bytes)):
    ///
    /// ```text
    /// magic "MHSPAM\r\n" · version u8 · hash bits u8 · threshold f32 · bias f32 ·
    /// entry count u32 · entries · FNV-1a-64 of everything before it
    /// ```
    ///
    /// All numbers little-endian. One entry per bucket that has a weight or a count:
    /// the gap since the previous entry's bucket (varint), the weight in grid steps
    /// (zigzag varint) and the count (u8). Most of the million buckets are empty and
    /// most weights are small, so this takes about 4 bytes per used bucket — no
    /// compression library needed, and it is written in milliseconds in any build.
    pub fn to_bytes(&self) -> Vec<u8> {
        let used: Vec<usize> = (0..self.weights.len())
            .filter(|&i| self.weights[i] != 0.0 || self.doc_freq[i] != 0)
            .collect();
        let mut out = Vec::with_capacity(32 + used.len() * 4);
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.push(self.bits);
        out.extend_from_slice(&self.threshold.to_le_bytes());
        out.extend_from_slice(&self.bias.to_le_bytes());
        // At most 2^24 buckets, so the count fits.
        out.extend_from_slice(&(used.len() as u32).to_le_bytes());
        let mut next = 0usize;
        for i in used {
            put_varint(&mut out, (i - next) as u64);
            next = i + 1;
            // On the grid and within ±WEIGHT_LIMIT, so this conversion is exact.
            let q = (self.weights[i] * WEIGHT_SCALE).round() as i32;
            put_varint(&mut out, u64::from(((q << 1) ^ (q >> 31)) as u32));
            out.push(self.doc_freq[i]);
        }
        let check = crate::features::hash(0, &out);
        out.extend_from_slice(&check.to_le_bytes());
        out
    }

    /// Reads a model written by [`Classifier::to_bytes`]. A file that is truncated,
    /// altered or of another format version is refused with a message saying which.
    pub fn from_bytes(bytes: &[u8]) -> Result<Classifier, ModelError> {
        let rest = bytes.strip_prefix(MAGIC).ok_or(ModelError::NotAModel)?;
        let (&version, _) = rest
            .split_first()
            .ok_or_else(|| ModelError::Corrupt("it ends after the magic".into()))?;
        if version != VERSION {
            return Err(ModelError::UnsupportedVersion(version));
        }
        let (body, check) = bytes
            .split_last_chunk::<8>()
            .filter(|(body, _)| body.len() >= MAGIC.len() + 14)
            .ok_or_else(|| ModelError::Corrupt(format!("only {} bytes long", bytes.len())))?;
        if crate::features::hash(0, body) != u64::from_le_bytes(*check) {
            return Err(ModelError::Corrupt(
                "checksum mismatch (truncated or altered)".into(),
            ));
        }
        let mut r = Reader(&body[MAGIC.len() + 1..]);
        let bits = r.byte()?;
        if !(8..=24).contains(&bits) {
            return Err(ModelError::Corrupt(format!(
                "{bits} hash bits (expected 8 to 24)"
            )));
        }
        let threshold = f32::from_le_bytes(r.array()?);
        let bias = f32::from_le_bytes(r.array()?);
        if !(0.0..=1.0).contains(&threshold) || !bias.is_finite() {
            return Err(ModelError::Corrupt(format!(
                "threshold {threshold} or bias {bias} out of range"
            )));
        }
        let n = 1usize << bits;
        let count = u32::from_le_bytes(r.array()?) as usize;
        if count > n {
            return Err(ModelError::Corrupt(format!(
                "{count} entries for {n} buckets"
            )));
        }
        let mut weights = vec![0f32; n];
        let mut doc_freq = vec![0u8; n];
        let mut next = 0usize;
        for _ in 0..count {
            let i = usize::try_from(r.varint()?)
                .ok()
                .and_then(|gap| next.checked_add(gap))
                .filter(|&i| i < n)
                .ok_or_else(|| ModelError::Corrupt("a bucket index out of range".into()))?;
            let z = u32::try_from(r.varint()?)
                .map_err(|_| ModelError::Corrupt("a weight out of range".into()))?;
            let q = (z >> 1) as i32 ^ -((z & 1) as i32);
            let w = q as f32 / WEIGHT_SCALE;
            if w.abs() > WEIGHT_LIMIT {
                return Err(ModelError::Corrupt(format!("weight {w} out of range")));
            }
            weights[i] = w;
            doc_freq[i] = r.byte()?;
            next = i + 1;
        }
        if !r.0.is_empty() {
            return Err(ModelError::Corrupt(format!(
                "{} bytes left over after the last entry",
                r.0.len()
            )));
        }
        Ok(Classifier {
            bits,
            bias,
            weights,
            doc_freq,
            threshold,
        })
    }
}

/// LEB128: seven bits a byte, low first, high bit set on all but the last.
fn put_varint(out: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        out.push((x as u8) | 0x80);
        x >>= 7;
    }
    out.push(x as u8);
}

/// Reads a model file's body front to back.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn ended() -> ModelError {
        ModelError::Corrupt("it ends in the middle of an entry".into())
    }

    fn byte(&mut self) -> Result<u8, ModelError> {
        let (&b, rest) = self.0.split_first().ok_or_else(Self::ended)?;
        self.0 = rest;
        Ok(b)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], ModelError> {
        let (a, rest) = self.0.split_first_chunk::<N>().ok_or_else(Self::ended)?;
        self.0 = rest;
        Ok(*a)
    }

    fn varint(&mut self) -> Result<u64, ModelError> {
        let mut x = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            x |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(x);
            }
        }
        Err(ModelError::Corrupt("a number is too long".into()))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small made-up training set: enough for the mechanics, not for quality.
    pub(crate) fn toy() -> Vec<(CommentText<'static>, bool)> {
        let spam = [
            "check out my channel and subscribe http://spam.example/ch",
            "subscribe to my channel please!!! I will sub back",
            "WIN a FREE iPhone now, click www.prizes.example",
            "earn money from home, visit cash.example today",
            "free gift cards, go to giftz.example/free now",
            "Congratulations! You won £1000 cash. Call 09061234567 now",
            "URGENT: your prize is waiting, text WIN to 81234",
            "hey guys check out my new music video on my channel",
            "make $500 a day working from home http://work.example",
            "FREE ringtones! reply YES to 85023 150p/msg",
        ];
        let ham = [
            "I love this song, it reminds me of summer",
            "The second verse is the best part",
            "who is still listening to this in 2015?",
            "great article, thanks for writing it",
            "I disagree with the mayor on this one",
            "see you at lunch tomorrow",
            "can't believe how good the chorus is",
            "this video has so many views, amazing",
            "my sister played this at her wedding",
            "ok I'll call you when I get home",
            "the council meeting was postponed again",
            "what a performance, her voice is incredible",
        ];
        spam.iter()
            .map(|t| (CommentText::text_only(t), true))
            .chain(ham.iter().map(|t| (CommentText::text_only(t), false)))
            .collect()
    }

    #[test]
    fn rng_is_fixed() {
        let mut a = Rng::new(7);
        let mut v: Vec<u32> = (0..10).collect();
        a.shuffle(&mut v);
        let mut b = Rng::new(7);
        let mut u: Vec<u32> = (0..10).collect();
        b.shuffle(&mut u);
        assert_eq!(u, v);
        assert_ne!(v, (0..10).collect::<Vec<u32>>());
    }

    #[test]
    fn threshold_respects_the_rate() {
        let ham: Vec<f32> = (0..100).map(|i| i as f32 / 100.0).collect();
        let t = pick_threshold(ham.clone(), 0.05);
        let above = ham.iter().filter(|&&h| h >= t).count();
        assert!(above as f64 <= 0.05 * 100.0, "{above} ham at or above {t}");
        assert!(pick_threshold(ham, 0.0) > 0.99);
        assert_eq!(pick_threshold(Vec::new(), 0.02), 0.5);
    }

    #[test]
    fn every_source_keeps_the_rate() {
        let easy: Vec<f32> = (0..1000).map(|i| i as f32 / 10_000.0).collect();
        let hard: Vec<f32> = (0..100).map(|i| i as f32 / 100.0).collect();
        let t = threshold_for_sources(vec![easy.clone(), hard.clone(), Vec::new()], 0.05);
        for ham in [&easy, &hard] {
            let above = ham.iter().filter(|&&h| h >= t).count();
            assert!(above as f64 <= 0.05 * ham.len() as f64, "{above} at {t}");
        }
        assert_eq!(t, pick_threshold(hard, 0.05));
        assert_eq!(threshold_for_sources(Vec::new(), 0.05), 0.5);
    }

    #[test]
    fn one_source_is_plain_training() {
        let data = toy();
        let a = Classifier::train(&data, 0.02);
        let b = Classifier::train_sources(&[&data], 0.02);
        assert_eq!(a.to_bytes(), b.to_bytes());
        let (spam, ham): (Vec<_>, Vec<_>) = data.iter().cloned().partition(|e| e.1);
        let two = Classifier::train_sources(&[&spam[..3], &ham], 0.02);
        assert!(two.threshold() > 0.0 && two.threshold() <= 1.0);
        assert_eq!(
            two.to_bytes(),
            Classifier::train_sources(&[&spam[..3], &ham], 0.02).to_bytes()
        );
    }

    #[test]
    fn training_is_deterministic_and_separates_toy_data() {
        let data = toy();
        let a = Classifier::train(&data, 0.02);
        let b = Classifier::train(&data, 0.02);
        assert_eq!(a.to_bytes(), b.to_bytes());
        let spam = CommentText::text_only("subscribe to my channel, free gift cards");
        let ham = CommentText::text_only("I love the chorus of this song");
        assert!(a.score(&spam) > a.score(&ham));
    }

    #[test]
    fn serialisation_round_trips_exactly() {
        let mut m = Classifier::train(&toy(), 0.02);
        m.learn(&CommentText::text_only("a brand new kind of spam"), true);
        let bytes = m.to_bytes();
        let back = Classifier::from_bytes(&bytes).expect("reads back");
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(back.threshold(), m.threshold());
        for (c, _) in toy() {
            assert_eq!(back.score(&c), m.score(&c));
        }
    }

    #[test]
    fn bad_files_are_rejected_clearly() {
        let bytes = Classifier::train(&toy(), 0.02).to_bytes();
        let e = Classifier::from_bytes(b"hello").expect_err("not a model");
        assert_eq!(e, ModelError::NotAModel);
        assert!(e.to_string().contains("not a spam model"));
        let mut v = bytes.clone();
        v[MAGIC.len()] = 99;
        assert_eq!(
            Classifier::from_bytes(&v).expect_err("future version"),
            ModelError::UnsupportedVersion(99)
        );
        let cut = &bytes[..bytes.len() / 2];
        let e = Classifier::from_bytes(cut).expect_err("truncated");
        assert!(matches!(e, ModelError::Corrupt(_)), "{e}");
        assert!(Classifier::from_bytes(&bytes[..MAGIC.len() + 3]).is_err());
    }

    #[test]
    fn learn_flips_a_verdict_and_its_reworded_neighbour() {
        let mut m = Classifier::train(&toy(), 0.02);
        let c = CommentText::text_only(
            "my grandmother knits wonderful scarves, visit her shop for knitted goods",
        );
        let reworded = CommentText::text_only(
            "my grandmother knits lovely scarves, visit her shop for knitted goods today",
        );
        let unrelated = CommentText::text_only("what a performance, her voice is incredible");
        let before = m.score(&unrelated);
        m.learn(&c, true);
        assert!(m.is_spam(&c), "{} < {}", m.score(&c), m.threshold());
        assert!(
            m.is_spam(&reworded),
            "{} < {}",
            m.score(&reworded),
            m.threshold()
        );
        assert!(!m.is_spam(&unrelated));
        assert!((m.score(&unrelated) - before).abs() < 0.2);

        let s = CommentText::text_only("subscribe to my channel please, I will sub back!!!");
        let s2 = CommentText::text_only("please subscribe to my channel, I will sub back!!");
        // Make sure it starts as spam, then take that back.
        m.learn(&s, true);
        assert!(m.is_spam(&s) && m.is_spam(&s2));
        m.learn(&s, false);
        assert!(!m.is_spam(&s), "{} >= {}", m.score(&s), m.threshold());
        assert!(!m.is_spam(&s2), "{} >= {}", m.score(&s2), m.threshold());
    }

    #[test]
    fn replaying_decisions_is_deterministic() {
        let base = Classifier::train(&toy(), 0.02);
        let decisions = [
            ("buy cheap watches at watches.example", true),
            ("I love this song", false),
            ("subscribe to my channel", false),
            ("call 09061234567 to claim", true),
        ];
        let replay = || {
            let mut m = base.clone();
            for (t, s) in decisions {
                m.learn(&CommentText::text_only(t), s);
            }
            m.to_bytes()
        };
        assert_eq!(replay(), replay());
        assert_ne!(replay(), base.to_bytes());
    }
}
