//! Themes: minijinja templates and static assets. A site's theme folder overrides the
//! embedded default one file at a time; assets are served under fingerprinted names
//! so browsers and CDNs may keep them for a year.

use include_dir::{Dir, include_dir};
use minijinja::{Environment, UndefinedBehavior, Value};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

static DEFAULT_THEME: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/theme");

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("the theme folder {0} does not exist or is not a folder")]
    MissingDir(PathBuf),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("template error: {0:#}")]
    Template(#[from] minijinja::Error),
}

/// A static file of the theme.
#[derive(Debug)]
pub struct Asset {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    /// The public URL path, with the content hash in the name.
    pub url: String,
}

/// A loaded theme: ready to render pages and serve assets.
#[derive(Debug, Clone)]
pub struct Theme {
    env: Arc<Environment<'static>>,
    /// By fingerprinted file name (`style.1a2b3c4d5e.css`).
    assets: Arc<HashMap<String, Arc<Asset>>>,
}

impl Theme {
    /// Loads the default theme, with templates and assets from `override_dir` taking
    /// precedence (its `templates/` and `static/` folders).
    pub fn load(override_dir: Option<&Path>) -> Result<Self, ThemeError> {
        if let Some(dir) = override_dir
            && !dir.is_dir()
        {
            return Err(ThemeError::MissingDir(dir.to_owned()));
        }
        let assets = Arc::new(load_assets(override_dir)?);
        let urls: HashMap<String, String> = assets
            .values()
            .map(|a| (plain_name(&a.url), a.url.clone()))
            .collect();

        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        env.set_formatter(html_formatter);
        let templates_dir = override_dir.map(|d| d.join("templates"));
        env.set_loader(move |name| {
            if name.contains("..") {
                return Ok(None);
            }
            if let Some(dir) = &templates_dir {
                let path = dir.join(name);
                if path.is_file() {
                    return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("cannot read {}: {e}", path.display()),
                        )
                    });
                }
            }
            Ok(DEFAULT_THEME
                .get_file(format!("templates/{name}"))
                .and_then(|f| f.contents_utf8())
                .map(str::to_owned))
        });
        env.add_function(
            "asset",
            move |name: &str| -> Result<String, minijinja::Error> {
                urls.get(name).cloned().ok_or_else(|| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("the theme has no asset named {name}"),
                    )
                })
            },
        );
        let theme = Self {
            env: Arc::new(env),
            assets,
        };
        // Fail at start, not on the first reader, when an override does not parse.
        for name in [
            "base.html",
            "home.html",
            "article.html",
            "archive.html",
            "page.html",
            "error.html",
            "card.html",
            "newsroom/base.html",
        ] {
            theme.env.get_template(name)?;
        }
        Ok(theme)
    }

    /// Renders a template with a serialisable context.
    pub fn render<S: Serialize>(&self, template: &str, ctx: &S) -> Result<String, ThemeError> {
        let tmpl = self.env.get_template(template)?;
        Ok(tmpl.render(Value::from(minijinja::value::Serde(ctx)))?)
    }

    /// An asset by its fingerprinted file name.
    pub fn asset(&self, file_name: &str) -> Option<Arc<Asset>> {
        self.assets.get(file_name).cloned()
    }

    /// The URL of an asset by its plain name (`style.css`).
    pub fn asset_url(&self, plain: &str) -> Option<String> {
        self.assets
            .values()
            .find(|a| plain_name(&a.url) == plain)
            .map(|a| a.url.clone())
    }
}

/// Escapes like minijinja's HTML formatter but leaves `/` alone: escaping it is legal
/// but turns every URL into `&#x2f;` soup and bloats each page.
fn html_formatter(
    out: &mut minijinja::Output,
    state: &mut minijinja::State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    match (state.auto_escape(), value.as_str()) {
        (minijinja::AutoEscape::Html, Some(s)) if !value.is_safe() => {
            crate::markup::write_escaped(out, s)
        }
        .map_err(|e| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())),
        _ => minijinja::escape_formatter(out, state, value),
    }
}

fn load_assets(override_dir: Option<&Path>) -> Result<HashMap<String, Arc<Asset>>, ThemeError> {
    let mut files: HashMap<String, Vec<u8>> = HashMap::new();
    if let Some(dir) = DEFAULT_THEME.get_dir("static") {
        for f in dir.files() {
            if let Some(name) = f.path().file_name().and_then(|n| n.to_str()) {
                files.insert(name.to_owned(), f.contents().to_vec());
            }
        }
    }
    if let Some(dir) = override_dir
        .map(|d| d.join("static"))
        .filter(|d| d.is_dir())
    {
        let entries = std::fs::read_dir(&dir).map_err(|source| ThemeError::Read {
            path: dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if let (true, Some(name)) = (path.is_file(), path.file_name().and_then(|n| n.to_str()))
            {
                let bytes = std::fs::read(&path).map_err(|source| ThemeError::Read {
                    path: path.clone(),
                    source,
                })?;
                files.insert(name.to_owned(), bytes);
            }
        }
    }
    Ok(files
        .into_iter()
        .map(|(name, bytes)| {
            let hash = Sha256::digest(&bytes);
            let short: String = hash.iter().take(5).map(|b| format!("{b:02x}")).collect();
            let fingerprinted = match name.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem}.{short}.{ext}"),
                None => format!("{name}.{short}"),
            };
            let asset = Asset {
                content_type: content_type(&name),
                url: format!("/static/{fingerprinted}"),
                bytes,
            };
            (fingerprinted, Arc::new(asset))
        })
        .collect())
}

/// `/static/style.1a2b3c4d5e.css` → `style.css`.
fn plain_name(url: &str) -> String {
    let file = url.rsplit('/').next().unwrap_or(url);
    let parts: Vec<&str> = file.split('.').collect();
    match parts.as_slice() {
        [stem @ .., _hash, ext] if !stem.is_empty() => format!("{}.{ext}", stem.join(".")),
        _ => file.to_owned(),
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_get_fingerprinted_names() {
        let theme = Theme::load(None).unwrap();
        let url = theme.asset_url("style.css").unwrap();
        assert!(
            url.starts_with("/static/style.") && url.ends_with(".css"),
            "{url}"
        );
        let file = url.trim_start_matches("/static/");
        assert!(theme.asset(file).unwrap().bytes.len() > 100);
        assert_eq!(plain_name(&url), "style.css");
    }

    #[test]
    fn an_override_folder_replaces_templates_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("templates")).unwrap();
        std::fs::write(
            dir.path().join("templates/page.html"),
            "OVERRIDDEN {{ page.title }}",
        )
        .unwrap();
        let theme = Theme::load(Some(dir.path())).unwrap();
        let out = theme
            .render(
                "page.html",
                &serde_json::json!({"page": {"title": "<About>"}}),
            )
            .unwrap();
        assert_eq!(out, "OVERRIDDEN &lt;About&gt;");
        // Templates it does not override still come from the default theme.
        assert!(
            theme
                .render("error.html", &serde_json::json!({"status": 404}))
                .is_ok()
        );
    }

    #[test]
    fn a_missing_theme_folder_is_a_clear_error() {
        let err = Theme::load(Some(Path::new("/nonexistent/theme"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/theme"));
    }
}
