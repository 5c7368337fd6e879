//! The newsroom's "Sections and tags" screen: the section tree and the tags (paged and
//! searchable, for sites with thousands) with how many articles each holds; creating,
//! renaming, merging tags and deleting with the articles moved elsewhere. The store keeps
//! every old archive address answering; this screen keeps the front page's section
//! blocks following a section that is renamed or deleted.

use super::articles::{one, pairs};
use super::{ClientIp, NoticeQuery, audit, notice_for, plain, render, see_other, server_error};
use crate::AppState;
use crate::auth::SignedIn;
use crate::route::encode_segment;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use masthead_core::paging::{PageRequest, page_count};
use masthead_store::{SectionFields, SectionUsage, SlugChange, StoreError, TagFields, TagUsage};
use serde::Serialize;

/// Tags a page: enough to scan by eye, few enough for a site with thousands.
const TAGS_PER_PAGE: u32 = 100;
/// The list indents subsections this many levels at most (the stylesheet has no more).
const MAX_INDENT: usize = 4;

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize, Clone)]
struct SectionRow {
    id: i64,
    name: String,
    slug: String,
    /// "News › World": where it sits, for people and for pickers.
    path: String,
    depth: usize,
    /// The depth the list indents it by (very deep trees stop indenting).
    indent: usize,
    parent: String,
    parent_id: Option<i64>,
    description: String,
    articles: i64,
    url: String,
}

#[derive(Serialize)]
struct TagRow {
    id: i64,
    name: String,
    slug: String,
    articles: i64,
    url: String,
}

/// The section form as typed, kept when it is refused.
#[derive(Serialize, Default, Clone)]
struct SectionForm {
    name: String,
    slug: String,
    parent: String,
    description: String,
}

/// The tag form as typed, kept when it is refused.
#[derive(Serialize, Default, Clone)]
struct TagForm {
    name: String,
    slug: String,
}

impl SectionForm {
    fn read(form: &[(String, String)]) -> Self {
        let field = |k: &str| one(form, k).unwrap_or_default().to_owned();
        Self {
            name: field("name"),
            slug: field("slug"),
            parent: field("parent"),
            description: field("description"),
        }
    }

    fn fields(&self) -> SectionFields {
        SectionFields {
            name: self.name.clone(),
            slug: self.slug.clone(),
            // Anything but an id names no section (ids start at 1): refused as such.
            parent_id: match self.parent.trim() {
                "" => None,
                id => Some(id.parse().unwrap_or(0)),
            },
            description: self.description.clone(),
        }
    }
}

impl TagForm {
    fn read(form: &[(String, String)]) -> Self {
        let field = |k: &str| one(form, k).unwrap_or_default().to_owned();
        Self {
            name: field("name"),
            slug: field("slug"),
        }
    }

    fn fields(&self) -> TagFields {
        TagFields {
            name: self.name.clone(),
            slug: self.slug.clone(),
        }
    }
}

fn section_url(slug: &str) -> String {
    format!("/section/{}/", encode_segment(slug))
}

fn tag_url(slug: &str) -> String {
    format!("/tag/{}/", encode_segment(slug))
}

/// The sections depth first, each under its parent in display order. A section whose
/// parent is missing (or part of a loop in stored data) is shown at the top level.
fn tree(sections: &[SectionUsage]) -> Vec<SectionRow> {
    let name_of = |id: Option<i64>| {
        sections
            .iter()
            .find(|s| Some(s.section.id) == id)
            .map(|s| s.section.name.clone())
    };
    let mut rows: Vec<SectionRow> = Vec::with_capacity(sections.len());
    let mut placed = vec![false; sections.len()];
    // Roots: no parent, or a parent that is not there.
    let mut stack: Vec<(usize, usize, String)> = sections
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, s)| name_of(s.section.parent_id).is_none())
        .map(|(i, _)| (i, 0, String::new()))
        .collect();
    loop {
        while let Some((i, depth, above)) = stack.pop() {
            if placed[i] {
                continue;
            }
            placed[i] = true;
            let s = &sections[i].section;
            let path = if above.is_empty() {
                s.name.clone()
            } else {
                format!("{above} › {}", s.name)
            };
            stack.extend(
                sections
                    .iter()
                    .enumerate()
                    .rev()
                    .filter(|(_, c)| c.section.parent_id == Some(s.id))
                    .map(|(c, _)| (c, depth + 1, path.clone())),
            );
            rows.push(SectionRow {
                id: s.id,
                name: s.name.clone(),
                slug: s.slug.clone(),
                path,
                depth,
                indent: depth.min(MAX_INDENT),
                parent: name_of(s.parent_id).unwrap_or_default(),
                parent_id: s.parent_id,
                description: s.description.clone(),
                articles: sections[i].articles,
                url: section_url(&s.slug),
            });
        }
        // Whatever a loop kept from the roots is shown from its first member.
        match placed.iter().position(|p| !p) {
            Some(i) => stack.push((i, 0, String::new())),
            None => break,
        }
    }
    rows
}

/// Sections to choose from (`value` is the id), labelled with where they sit, leaving
/// out `except` and everything inside it; the first choice is `none` when given.
fn section_choices(
    rows: &[SectionRow],
    except: Option<i64>,
    selected: &str,
    none: Option<&str>,
) -> Vec<Choice> {
    let mut choices: Vec<Choice> = none
        .map(|label| Choice {
            value: String::new(),
            label: label.to_owned(),
            selected: selected.is_empty(),
        })
        .into_iter()
        .collect();
    // Depth first, what is inside a section follows it, deeper, until a row that is not.
    let mut skipping_below: Option<usize> = None;
    for r in rows {
        if let Some(depth) = skipping_below {
            if r.depth > depth {
                continue;
            }
            skipping_below = None;
        }
        if Some(r.id) == except {
            skipping_below = Some(r.depth);
            continue;
        }
        choices.push(Choice {
            value: r.id.to_string(),
            label: r.path.clone(),
            selected: r.id.to_string() == selected,
        });
    }
    choices
}

/// What the overview's query asks: a tag search and a page of tags.
struct TagQuery {
    q: String,
    page: u32,
}

impl TagQuery {
    fn read(raw: Option<&str>) -> Self {
        let query = pairs(raw.unwrap_or_default().as_bytes());
        Self {
            q: one(&query, "q").unwrap_or_default().trim().to_owned(),
            page: one(&query, "page")
                .and_then(|p| p.parse::<u32>().ok())
                .filter(|p| (1..=100_000).contains(p))
                .unwrap_or(1),
        }
    }

    fn link(&self, page: u32) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            ser.append_pair("q", &self.q);
        }
        ser.append_pair("page", &page.to_string());
        format!("/newsroom/taxonomy?{}#tags-title", ser.finish())
    }
}

#[derive(Serialize)]
struct OverviewBody {
    sections: Vec<SectionRow>,
    parents: Vec<Choice>,
    section_form: SectionForm,
    tags: Vec<TagRow>,
    tag_total: i64,
    q: String,
    page: u32,
    pages: u32,
    prev: Option<String>,
    next: Option<String>,
    tag_form: TagForm,
}

/// The sentence for a refusal the person can fix by changing what they typed (422).
fn fixable(e: &StoreError) -> Option<String> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => Some(m.clone()),
        _ => None,
    }
}

/// Any other failure: a term gone meanwhile is a 404, the rest is ours.
fn failed(e: &StoreError) -> Response {
    match e {
        StoreError::NotFound(_) => plain(StatusCode::NOT_FOUND, "No such section or tag."),
        other => server_error(other),
    }
}

/// Renders one of this screen's pages; one shown again with why its form was refused
/// answers 422.
fn screen<T: Serialize>(
    state: &AppState,
    who: &SignedIn,
    template: &str,
    title: &str,
    notice: Option<String>,
    refused: Option<String>,
    body: &T,
) -> Response {
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        state,
        status,
        template,
        title,
        Some(who),
        notice,
        refused,
        body,
    )
}

async fn overview(
    state: &AppState,
    who: &SignedIn,
    query: &TagQuery,
    section_form: SectionForm,
    tag_form: TagForm,
    notice: Option<String>,
    refused: Option<String>,
) -> Response {
    let store = state.store();
    let words = Some(query.q.as_str()).filter(|q| !q.is_empty());
    let (sections, (tags, tag_total)) = match (
        store.sections_in_use().await,
        store
            .tags_in_use(words, PageRequest::new(query.page, TAGS_PER_PAGE))
            .await,
    ) {
        (Ok(s), Ok(t)) => (s, t),
        (Err(e), _) | (_, Err(e)) => return server_error(&e),
    };
    let sections = tree(&sections);
    let pages = page_count(tag_total, TAGS_PER_PAGE).max(1);
    let body = OverviewBody {
        parents: section_choices(&sections, None, &section_form.parent, Some(TOP_LEVEL)),
        sections,
        section_form,
        tags: tags.iter().map(tag_row).collect(),
        tag_total,
        q: query.q.clone(),
        page: query.page,
        pages,
        prev: (query.page > 1).then(|| query.link(query.page - 1)),
        next: (query.page < pages).then(|| query.link(query.page + 1)),
        tag_form,
    };
    screen(
        state,
        who,
        "taxonomy.html",
        "Sections and tags",
        notice,
        refused,
        &body,
    )
}

const TOP_LEVEL: &str = "None: a top-level section";

fn tag_row(t: &TagUsage) -> TagRow {
    TagRow {
        id: t.tag.id,
        name: t.tag.name.clone(),
        slug: t.tag.slug.clone(),
        articles: t.articles,
        url: tag_url(&t.tag.slug),
    }
}

/// `GET /newsroom/taxonomy[?q=&page=]`
pub(super) async fn taxonomy(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    RawQuery(raw): RawQuery,
    Query(done): Query<NoticeQuery>,
) -> Response {
    let query = TagQuery::read(raw.as_deref());
    let notice = notice_for(&done.done);
    let (section_form, tag_form) = (SectionForm::default(), TagForm::default());
    overview(&state, &who, &query, section_form, tag_form, notice, None).await
}

/// `POST /newsroom/taxonomy/sections`: a new section.
pub(super) async fn create_section(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    body: Bytes,
) -> Response {
    let form = SectionForm::read(&pairs(&body));
    match state.store().create_section(&form.fields()).await {
        Ok(created) => {
            audit(&state, Some(&who), "created section", &created.slug, &ip).await;
            see_other("/newsroom/taxonomy?done=section-created", None)
        }
        Err(e) => match fixable(&e) {
            Some(why) => {
                let query = TagQuery::read(None);
                let tag_form = TagForm::default();
                overview(&state, &who, &query, form, tag_form, None, Some(why)).await
            }
            None => failed(&e),
        },
    }
}

/// `POST /newsroom/taxonomy/tags`: a new tag.
pub(super) async fn create_tag(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    body: Bytes,
) -> Response {
    let form = TagForm::read(&pairs(&body));
    match state.store().create_tag(&form.fields()).await {
        Ok(created) => {
            audit(&state, Some(&who), "created tag", &created.slug, &ip).await;
            see_other("/newsroom/taxonomy?done=tag-created", None)
        }
        Err(e) => match fixable(&e) {
            Some(why) => {
                let query = TagQuery::read(None);
                let section_form = SectionForm::default();
                overview(&state, &who, &query, section_form, form, None, Some(why)).await
            }
            None => failed(&e),
        },
    }
}

#[derive(Serialize)]
struct SectionBody {
    section: SectionRow,
    /// The names of the sections directly inside it.
    children: Vec<String>,
    form: SectionForm,
    parents: Vec<Choice>,
    targets: Vec<Choice>,
}

const NO_SECTION: &str = "No such section.";
const NO_TAG: &str = "No such tag.";

/// A section's page: its edit form (as typed, when refused) and its delete form.
async fn section_page(
    state: &AppState,
    who: &SignedIn,
    id: i64,
    form: Option<SectionForm>,
    move_to: &str,
    refused: Option<String>,
) -> Response {
    let sections = match state.store().sections_in_use().await {
        Ok(s) => tree(&s),
        Err(e) => return server_error(&e),
    };
    let Some(row) = sections.iter().position(|r| r.id == id) else {
        return plain(StatusCode::NOT_FOUND, NO_SECTION);
    };
    let current = sections[row].clone();
    let form = form.unwrap_or_else(|| SectionForm {
        name: current.name.clone(),
        slug: current.slug.clone(),
        parent: current.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        description: current.description.clone(),
    });
    let body = SectionBody {
        children: sections
            .iter()
            .skip(row + 1)
            .take_while(|r| r.depth > current.depth)
            .filter(|r| r.depth == current.depth + 1)
            .map(|r| r.name.clone())
            .collect(),
        parents: section_choices(&sections, Some(id), &form.parent, Some(TOP_LEVEL)),
        targets: section_choices(&sections, None, move_to, Some("Choose a section"))
            .into_iter()
            .filter(|c| c.value != current.id.to_string())
            .collect(),
        form,
        section: current,
    };
    let title = format!("Section: {}", body.section.name);
    screen(
        state,
        who,
        "taxonomy_section.html",
        &title,
        None,
        refused,
        &body,
    )
}

/// `GET /newsroom/taxonomy/sections/{id}`
pub(super) async fn section_form(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Path(id): Path<i64>,
) -> Response {
    section_page(&state, &who, id, None, "", None).await
}

/// `POST /newsroom/taxonomy/sections/{id}`: new name, slug, parent or description.
pub(super) async fn update_section(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let form = SectionForm::read(&pairs(&body));
    let change = match state.store().update_section(id, &form.fields()).await {
        Ok(change) => change,
        Err(e) => {
            return match fixable(&e) {
                Some(why) => section_page(&state, &who, id, Some(form), "", Some(why)).await,
                None => failed(&e),
            };
        }
    };
    if let Err(e) = front_blocks_follow(&state, &change.old, &change.new).await {
        return server_error(&e);
    }
    audit(&state, Some(&who), "changed section", &renamed(change), &ip).await;
    see_other("/newsroom/taxonomy?done=section-saved", None)
}

/// A term's slug for the audit log, saying what it was when it changed.
fn renamed(change: SlugChange) -> String {
    if change.old == change.new {
        change.new
    } else {
        format!("{} (was {})", change.new, change.old)
    }
}

/// `POST /newsroom/taxonomy/sections/{id}/delete`: its articles move to `move_to`.
pub(super) async fn delete_section(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let move_to = one(&form, "move_to").unwrap_or_default().trim();
    let store = state.store();
    let (gone, target) = match (
        store.section(id).await,
        store.section(move_to.parse().unwrap_or(0)).await,
    ) {
        (Ok(Some(gone)), Ok(target)) => (gone, target),
        (Ok(None), _) => return plain(StatusCode::NOT_FOUND, NO_SECTION),
        (Err(e), _) | (_, Err(e)) => return server_error(&e),
    };
    let Some(target) = target.filter(|t| t.id != id) else {
        let why = "Choose the section its articles move to.".to_owned();
        return section_page(&state, &who, id, None, move_to, Some(why)).await;
    };
    let moved = match store.delete_section(id, target.id).await {
        Ok(n) => n,
        Err(e) => {
            return match fixable(&e) {
                Some(why) => section_page(&state, &who, id, None, move_to, Some(why)).await,
                None => failed(&e),
            };
        }
    };
    if let Err(e) = front_blocks_follow(&state, &gone.slug, &target.slug).await {
        return server_error(&e);
    }
    let what = format!("{}, {moved} articles moved to {}", gone.slug, target.slug);
    audit(&state, Some(&who), "deleted section", &what, &ip).await;
    see_other("/newsroom/taxonomy?done=section-deleted", None)
}

/// Keeps the front page's section blocks on a section whose slug went from `old` to
/// `new` (renamed, or deleted into `new`): a block never vanishes because of a rename,
/// and a section shows at most one block.
async fn front_blocks_follow(state: &AppState, old: &str, new: &str) -> Result<(), StoreError> {
    if old == new {
        return Ok(());
    }
    let mut front = crate::front::load(state).await?;
    let Some(at) = front.sections.iter().position(|s| s == old) else {
        return Ok(());
    };
    if front.sections.iter().any(|s| s == new) {
        front.sections.remove(at);
    } else {
        front.sections[at] = new.to_owned();
    }
    crate::front::save(state, &front).await
}

#[derive(Serialize)]
struct TagBody {
    tag: TagRow,
    form: TagForm,
    into: String,
}

/// A tag's page: rename, merge into another, delete.
async fn tag_page(
    state: &AppState,
    who: &SignedIn,
    id: i64,
    form: Option<TagForm>,
    into: &str,
    refused: Option<String>,
) -> Response {
    let usage = match state.store().tag_in_use(id).await {
        Ok(Some(t)) => t,
        Ok(None) => return plain(StatusCode::NOT_FOUND, NO_TAG),
        Err(e) => return server_error(&e),
    };
    let body = TagBody {
        form: form.unwrap_or_else(|| TagForm {
            name: usage.tag.name.clone(),
            slug: usage.tag.slug.clone(),
        }),
        into: into.to_owned(),
        tag: tag_row(&usage),
    };
    let title = format!("Tag: {}", body.tag.name);
    screen(
        state,
        who,
        "taxonomy_tag.html",
        &title,
        None,
        refused,
        &body,
    )
}

/// `GET /newsroom/taxonomy/tags/{id}`
pub(super) async fn tag_form(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Path(id): Path<i64>,
) -> Response {
    tag_page(&state, &who, id, None, "", None).await
}

/// `POST /newsroom/taxonomy/tags/{id}`: a new name or slug.
pub(super) async fn rename_tag(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let form = TagForm::read(&pairs(&body));
    match state.store().rename_tag(id, &form.fields()).await {
        Ok(change) => {
            audit(&state, Some(&who), "renamed tag", &renamed(change), &ip).await;
            see_other("/newsroom/taxonomy?done=tag-saved", None)
        }
        Err(e) => match fixable(&e) {
            Some(why) => tag_page(&state, &who, id, Some(form), "", Some(why)).await,
            None => failed(&e),
        },
    }
}

/// `POST /newsroom/taxonomy/tags/{id}/merge`: into the tag named (by slug or name) in
/// `into`.
pub(super) async fn merge_tag(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<i64>,
    body: Bytes,
) -> Response {
    let form = pairs(&body);
    let typed = one(&form, "into").unwrap_or_default().trim();
    let store = state.store();
    let (from, into) = match (store.tag(id).await, store.tag_by_slug_or_name(typed).await) {
        (Ok(Some(from)), Ok(into)) => (from, into),
        (Ok(None), _) => return plain(StatusCode::NOT_FOUND, NO_TAG),
        (Err(e), _) | (_, Err(e)) => return server_error(&e),
    };
    let into = match into {
        _ if typed.is_empty() => Err("Name the tag to merge it into.".to_owned()),
        None => Err(format!("There is no tag called \"{typed}\".")),
        Some(into) => Ok(into),
    };
    let merged = match into {
        Ok(into) => store.merge_tags(id, into.id).await.map(|n| (into, n)),
        Err(why) => return tag_page(&state, &who, id, None, typed, Some(why)).await,
    };
    match merged {
        Ok((into, moved)) => {
            let what = format!("{} into {}, {moved} articles", from.slug, into.slug);
            audit(&state, Some(&who), "merged tag", &what, &ip).await;
            see_other("/newsroom/taxonomy?done=tag-merged", None)
        }
        Err(e) => match fixable(&e) {
            Some(why) => tag_page(&state, &who, id, None, typed, Some(why)).await,
            None => failed(&e),
        },
    }
}

/// `POST /newsroom/taxonomy/tags/{id}/delete`: its articles lose it (merging is how
/// they get another tag instead).
pub(super) async fn delete_tag(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<i64>,
) -> Response {
    let store = state.store();
    let gone = match store.tag(id).await {
        Ok(Some(t)) => t,
        Ok(None) => return plain(StatusCode::NOT_FOUND, NO_TAG),
        Err(e) => return server_error(&e),
    };
    match store.delete_tag(id, None).await {
        Ok(untagged) => {
            let what = format!("{}, removed from {untagged} articles", gone.slug);
            audit(&state, Some(&who), "deleted tag", &what, &ip).await;
            see_other("/newsroom/taxonomy?done=tag-deleted", None)
        }
        Err(e) => failed(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use masthead_store::Section;

    fn usage(id: i64, name: &str, parent_id: Option<i64>) -> SectionUsage {
        SectionUsage {
            section: Section {
                id,
                slug: name.to_lowercase(),
                name: name.to_owned(),
                description: String::new(),
                parent_id,
            },
            articles: 0,
        }
    }

    #[test]
    fn sections_are_listed_depth_first_and_pickers_leave_out_a_section_and_its_insides() {
        let rows = tree(&[
            usage(1, "News", None),
            usage(2, "Sport", None),
            usage(3, "World", Some(1)),
            usage(4, "Football", Some(2)),
            usage(5, "Europe", Some(3)),
            usage(6, "Orphan", Some(99)),
            // A loop in stored data is still listed, once.
            usage(7, "Loop A", Some(8)),
            usage(8, "Loop B", Some(7)),
        ]);
        let shown: Vec<(&str, usize)> = rows.iter().map(|r| (r.path.as_str(), r.depth)).collect();
        assert_eq!(
            shown,
            [
                ("News", 0),
                ("News › World", 1),
                ("News › World › Europe", 2),
                ("Sport", 0),
                ("Sport › Football", 1),
                ("Orphan", 0),
                ("Loop A", 0),
                ("Loop A › Loop B", 1),
            ]
        );
        let labels = |except| {
            section_choices(&rows, except, "", None)
                .into_iter()
                .map(|c| c.label)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            labels(Some(3)),
            [
                "News",
                "Sport",
                "Sport › Football",
                "Orphan",
                "Loop A",
                "Loop A › Loop B"
            ]
        );
        assert_eq!(labels(Some(1)).first().map(String::as_str), Some("Sport"));
    }
}
