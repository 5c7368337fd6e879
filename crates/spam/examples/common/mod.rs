//! Reading the corpora, shared by the `train` and `evaluate` examples.

use std::path::{Path, PathBuf};

/// The corpus folder: the first argument, or `../shared/corpus` beside the repository.
pub fn corpus_dir() -> PathBuf {
    match std::env::args_os().nth(1) {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
    }
}

/// `(author, text, spam)` from a JSON Lines corpus with `content` and `spam` fields and
/// an optional `author`.
pub fn read_corpus(path: &Path) -> Result<Vec<(String, String, bool)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
            let content = v["content"]
                .as_str()
                .ok_or_else(|| format!("{}:{}: no content", path.display(), n + 1))?;
            let spam = v["spam"]
                .as_bool()
                .ok_or_else(|| format!("{}:{}: no spam flag", path.display(), n + 1))?;
            let author = v["author"].as_str().unwrap_or("");
            Ok((author.to_string(), content.to_string(), spam))
        })
        .collect()
}
