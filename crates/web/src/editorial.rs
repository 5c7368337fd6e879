//! Saving an article, the one way: the API's JSON and the newsroom's form both arrive
//! as [`ArticleFields`], are merged over the stored article (or defaults), checked by
//! core's workflow for this person and this status, saved against a version, and put on
//! the record. Errors are [`ApiError`]s: a status, a stable code and a sentence, which
//! the newsroom shows next to its form.

use crate::AppState;
use crate::api::ApiError;
use crate::auth::SignedIn;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use masthead_core::workflow::{Actor, may_save, resolve_status};
use masthead_core::{ArticleLabel, ArticleStatus, BodyFormat, Capability, excerpt, slug};
use masthead_store::{
    Article, Edit, NewArticle, NewAuditEntry, Revision, RevisionContent, StoreError,
};
use serde::{Deserialize, Deserializer};

/// The longest title, kicker or dek we take.
const MAX_LINE: usize = 500;

/// `Some(None)` for an explicit `null` (clear the field), `None` when absent.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// An article's fields as a client sends them. Absent fields keep their value (PATCH)
/// or take the default (POST).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ArticleFields {
    pub(crate) title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) kicker: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) dek: Option<Option<String>>,
    pub(crate) body: Option<String>,
    pub(crate) format: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) excerpt: Option<Option<String>>,
    pub(crate) status: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) published_at: Option<Option<DateTime<Utc>>>,
    pub(crate) slug: Option<String>,
    pub(crate) section: Option<String>,
    pub(crate) sections: Option<Vec<String>>,
    pub(crate) tags: Option<Vec<String>>,
    pub(crate) authors: Option<Vec<String>>,
    pub(crate) featured: Option<bool>,
    pub(crate) label: Option<String>,
    pub(crate) comments_open: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) dateline: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) seo_title: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) seo_description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) canonical_url: Option<Option<String>>,
    pub(crate) noindex: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) featured_image: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) featured_image_alt: Option<Option<String>>,
    /// An image from the media library, by id.
    #[serde(default, deserialize_with = "nullable")]
    pub(crate) featured_media: Option<Option<i64>>,
    /// A typo fix: the updated time stays.
    pub(crate) minor_edit: Option<bool>,
    /// `authors` are names, and unknown ones become new bylines (the newsroom's form);
    /// the API names existing bylines by slug.
    #[serde(skip)]
    pub(crate) bylines_by_name: bool,
    /// The fields are an earlier revision's, put back: the history records a restore.
    #[serde(skip)]
    pub(crate) restoring: bool,
}

pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
}

fn line(name: &str, v: Option<String>, required: bool) -> Result<Option<String>, ApiError> {
    let v = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    match v {
        None if required => Err(invalid(format!("`{name}` must not be empty."))),
        Some(s) if s.chars().count() > MAX_LINE => Err(invalid(format!(
            "`{name}` is longer than {MAX_LINE} characters."
        ))),
        v => Ok(v),
    }
}

/// Applies `f` over `base` (the stored article, or defaults), resolving slugs and
/// checking every value. Returns the article to save.
pub(crate) async fn merge(
    state: &AppState,
    who: &SignedIn,
    base: Option<&Article>,
    f: ArticleFields,
) -> Result<(NewArticle, bool), ApiError> {
    let store = state.store();
    let now = state.now();
    let mut a = match base {
        Some(cur) => from_stored(cur),
        None => {
            let mut a = NewArticle::published("", "", now);
            a.status = ArticleStatus::Draft;
            a.published_at = None;
            a.authors = vec![who.user.name.clone()];
            a.section = match store.sections().await?.first() {
                Some(s) => s.slug.clone(),
                None => "News".to_owned(),
            };
            a
        }
    };
    if let Some(t) = f.title {
        a.title = line("title", Some(t), true)?.unwrap_or_default();
    } else if base.is_none() {
        return Err(invalid("`title` is required."));
    }
    if let Some(k) = f.kicker {
        a.kicker = line("kicker", k, false)?;
    }
    if let Some(d) = f.dek {
        a.dek = line("dek", d, false)?;
    }
    if let Some(fmt) = f.format {
        a.body_format = fmt.parse::<BodyFormat>().map_err(|_| {
            invalid(format!(
                "`format` is markdown, html or text; got \"{fmt}\"."
            ))
        })?;
    }
    if let Some(b) = f.body {
        a.body_source = b;
    }
    if let Some(e) = f.excerpt {
        a.editor_excerpt = e.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    }
    if let Some(s) = f.slug {
        a.slug = Some(slug::normalize_given(&s).map_err(|e| invalid(format!("`slug`: {e}")))?);
    }
    if let Some(sec) = f.section {
        a.section = known_section(state, &sec).await?;
    }
    if let Some(list) = f.sections {
        let mut slugs = Vec::with_capacity(list.len());
        for s in list {
            slugs.push(known_section(state, &s).await?);
        }
        a.other_sections = slugs;
    }
    if let Some(tags) = f.tags {
        a.tags = tags
            .into_iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
    }
    if let Some(authors) = f.authors {
        let mut slugs = Vec::with_capacity(authors.len());
        for s in authors {
            match store.author_by_slug(s.trim()).await? {
                Some(found) => slugs.push(found.slug),
                // The newsroom names bylines, and a new name makes a new byline.
                None if f.bylines_by_name && !s.trim().is_empty() => {
                    slugs.push(s.trim().to_owned())
                }
                None if f.bylines_by_name => {}
                None => {
                    return Err(invalid(format!(
                        "There is no byline with the slug \"{s}\"."
                    )));
                }
            }
        }
        a.authors = slugs;
    }
    if let Some(v) = f.featured {
        a.featured = v;
    }
    if let Some(v) = f.comments_open {
        a.comments_open = v;
    }
    if let Some(l) = f.label {
        a.label = l
            .parse::<ArticleLabel>()
            .map_err(|e| invalid(format!("`label`: {e}")))?;
    }
    if let Some(t) = f.published_at {
        a.published_at = t;
    }
    if let Some(d) = f.dateline {
        a.dateline = line("dateline", d, false)?;
    }
    if let Some(t) = f.seo_title {
        a.seo_title = line("seo_title", t, false)?;
    }
    if let Some(d) = f.seo_description {
        a.seo_description = line("seo_description", d, false)?;
    }
    if let Some(u) = f.canonical_url {
        a.canonical_url = canonical(u)?;
    }
    if let Some(v) = f.noindex {
        a.noindex = v;
    }
    if let Some(u) = f.featured_image {
        a.featured_image = image_address(u)?;
    }
    if let Some(alt) = f.featured_image_alt {
        a.featured_image_alt = line("featured_image_alt", alt, false)?;
    }
    if let Some(m) = f.featured_media {
        if let Some(id) = m
            && store.media(id).await?.is_none()
        {
            return Err(invalid(format!(
                "There is no image {id} in the media library."
            )));
        }
        a.featured_media_id = m;
    }
    let requested = match f.status {
        Some(s) => s.parse::<ArticleStatus>().map_err(|_| {
            invalid(format!(
                "`status` is draft, pending, scheduled, published, private or trash; got \"{s}\"."
            ))
        })?,
        None => a.status,
    };
    let (status, at) =
        resolve_status(requested, a.published_at, now).map_err(|e| invalid(e.to_string()))?;
    a.status = status;
    a.published_at = at;
    let rendered = masthead_render::render_body(a.body_format, &a.body_source);
    a.excerpt = excerpt::choose(a.editor_excerpt.as_deref(), &rendered.text);
    a.body_html = rendered.html;
    a.updated_at = None;
    Ok((a, f.minor_edit.unwrap_or(false)))
}

/// The slug of an existing section, or a clear refusal.
async fn known_section(state: &AppState, given: &str) -> Result<String, ApiError> {
    match state.store().section_by_slug(given.trim()).await? {
        Some(s) => Ok(s.slug),
        None => Err(invalid(format!(
            "There is no section with the slug \"{given}\"."
        ))),
    }
}

/// A stored article as the fields a save takes (terms by slug, which the store finds first).
fn from_stored(cur: &Article) -> NewArticle {
    let s = &cur.summary;
    NewArticle {
        external_id: s.external_id.clone(),
        title: s.title.clone(),
        kicker: s.kicker.clone(),
        dek: s.dek.clone(),
        slug: Some(s.slug.clone()),
        body_format: cur.body_format,
        body_source: cur.body_source.clone(),
        body_html: cur.body_html.clone(),
        editor_excerpt: cur.editor_excerpt.clone(),
        excerpt: s.excerpt.clone(),
        status: s.status,
        published_at: s.published_at,
        updated_at: None,
        section: s.section.slug.clone(),
        other_sections: s.sections.iter().skip(1).map(|t| t.slug.clone()).collect(),
        tags: s.tags.iter().map(|t| t.slug.clone()).collect(),
        authors: s.authors.iter().map(|t| t.slug.clone()).collect(),
        featured: s.featured,
        comments_open: s.comments_open,
        language: s.language.clone(),
        featured_image: s.featured_image.clone(),
        featured_image_alt: s.featured_image_alt.clone(),
        label: s.label,
        dateline: cur.dateline.clone(),
        seo_title: cur.seo_title.clone(),
        seo_description: cur.seo_description.clone(),
        canonical_url: cur.canonical_url.clone(),
        noindex: cur.noindex,
        featured_media_id: cur.featured_media_id,
    }
}

pub(crate) fn actor(who: &SignedIn, owner: Option<i64>) -> Actor {
    Actor {
        role: who.role(),
        owns: owner == Some(who.user.id),
    }
}

pub(crate) fn refused(e: masthead_core::workflow::Refusal) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "forbidden", e.to_string())
}

/// Records publications, withdrawals and trashing in the audit log.
pub(crate) async fn audit_status(
    state: &AppState,
    who: &SignedIn,
    id: i64,
    from: Option<ArticleStatus>,
    to: ArticleStatus,
) {
    use ArticleStatus::*;
    let action = match (from, to) {
        (f, Published) if f != Some(Published) => "published",
        (f, Scheduled) if f != Some(Scheduled) => "scheduled",
        (f, Trash) if f != Some(Trash) => "trashed",
        (Some(Published), _) => "unpublished",
        _ => return,
    };
    let entry = NewAuditEntry {
        actor_id: Some(who.user.id),
        actor: who.user.email.clone(),
        action: action.into(),
        target: format!("article {id}"),
        ..Default::default()
    };
    if let Err(e) = state.store().audit(&entry).await {
        tracing::error!("cannot write the audit log: {e}");
    }
}

/// A featured image: a path on this site (`/media/…`) or an http(s) address.
fn image_address(v: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(u) = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let local = u.starts_with('/') && !u.starts_with("//");
    if (local || canonical(Some(u.clone())).is_ok()) && !u.contains(['"', '<', '>', ' ']) {
        Ok(Some(u))
    } else {
        Err(invalid(
            "`featured_image` must be a path on this site (/media/…) or a full http(s) address.",
        ))
    }
}

/// A canonical URL override: an absolute http(s) address, or nothing.
fn canonical(v: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(u) = v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .unwrap_or_default();
    if rest.is_empty()
        || rest.starts_with('/')
        || u.chars().any(|c| c.is_whitespace() || c.is_control())
        || u.len() > 2000
    {
        return Err(invalid(format!(
            "`canonical_url` must be a full http:// or https:// address; got \"{}\".",
            u.chars().take(80).collect::<String>()
        )));
    }
    Ok(Some(u))
}

/// What a save writes over.
pub(crate) enum Target<'a> {
    New,
    /// The stored article, and the version the editor started from (`None`: whatever is stored).
    Existing(&'a Article, Option<i64>),
}

pub(crate) fn store_failure(e: StoreError) -> ApiError {
    match e {
        StoreError::Stale { current } => ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "version_mismatch",
            format!(
                "The article changed since the version you started from (it is now version {current}); \
                 your version was kept as a revision. Reload it and reapply your change."
            ),
        ),
        StoreError::NotFound(_) => {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such article.")
        }
        StoreError::Invalid(m) => invalid(m),
        other => other.into(),
    }
}

/// Merges, checks and saves; returns the article's id.
pub(crate) async fn save(
    state: &AppState,
    who: &SignedIn,
    target: Target<'_>,
    fields: ArticleFields,
) -> Result<i64, ApiError> {
    let (base, owner, from, based_on) = match target {
        Target::New => (None, Some(who.user.id), None, None),
        Target::Existing(cur, based_on) => {
            (Some(cur), cur.owner_id, Some(cur.summary.status), based_on)
        }
    };
    let restoring = fields.restoring;
    let (a, minor) = merge(state, who, base, fields).await?;
    may_save(actor(who, owner), from, a.status).map_err(refused)?;
    let edit = Edit {
        user_id: Some(who.user.id),
        based_on,
        minor,
        restoring,
    };
    let store = state.store();
    let id = match base {
        None => {
            store
                .create_article(&a, &edit)
                .await
                .map_err(store_failure)?
                .id
        }
        Some(cur) => {
            let id = cur.summary.id;
            store
                .update_article(id, &a, &edit)
                .await
                .map_err(store_failure)?;
            id
        }
    };
    audit_status(state, who, id, from, a.status).await;
    state.wake_scheduler();
    Ok(id)
}

/// Keeps what is being typed over `cur` as an autosave revision, leaving the article
/// as it is. Merged and checked like a save, so an autosave never holds what its
/// author could not have saved.
pub(crate) async fn autosave(
    state: &AppState,
    who: &SignedIn,
    cur: &Article,
    fields: ArticleFields,
) -> Result<Revision, ApiError> {
    let (a, _) = merge(state, who, Some(cur), fields).await?;
    may_save(actor(who, cur.owner_id), Some(cur.summary.status), a.status).map_err(refused)?;
    state
        .store()
        .autosave(
            cur.summary.id,
            &RevisionContent::from(&a),
            who.user.id,
            state.settings().autosaves_kept,
        )
        .await
        .map_err(store_failure)
}

/// The stored article, if this person may work on it in the newsroom (404 otherwise,
/// so ids of others' drafts are not confirmed).
pub(crate) async fn editable(
    state: &AppState,
    who: &SignedIn,
    id: i64,
) -> Result<Article, ApiError> {
    let found = state.store().article(id).await?;
    match found {
        Some(a) if may_open(who, &a) => Ok(a),
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "No such article.",
        )),
    }
}

/// Whether this person may open the article in the newsroom.
pub(crate) fn may_open(who: &SignedIn, a: &Article) -> bool {
    who.role().can(Capability::EditOthers) || a.owner_id == Some(who.user.id)
}
