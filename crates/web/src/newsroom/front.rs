//! The newsroom's front-page screen: editors pick the lead and the featured stories,
//! order the section blocks and raise a breaking-news banner with an expiry time.

use super::{ClientIp, NoticeQuery, audit, notice_for, render, see_other, server_error};
use crate::AppState;
use crate::auth::SignedIn;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDateTime;
use masthead_core::front::{Banner, FrontPage};
use masthead_core::paging::PageRequest;
use masthead_core::workflow::local_to_utc;
use masthead_store::ArticleFilter;
use serde::Serialize;

/// How many of the newest stories the pickers offer.
const CANDIDATES: u32 = 60;

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct SectionRow {
    slug: String,
    name: String,
    position: String,
}

#[derive(Serialize)]
struct FrontBody {
    lead: Vec<Choice>,
    featured: Vec<Choice>,
    sections: Vec<SectionRow>,
    banner_text: String,
    banner_url: String,
    banner_expires: String,
    timezone: String,
}

async fn screen(
    state: &AppState,
    who: &SignedIn,
    status: StatusCode,
    front: &FrontPage,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let store = state.store();
    let (stories, sections) = match (
        store
            .public_articles(&ArticleFilter::default(), PageRequest::new(1, CANDIDATES))
            .await,
        store.sections().await,
    ) {
        (Ok(a), Ok(s)) => (a, s),
        (Err(e), _) | (_, Err(e)) => return server_error(&e),
    };
    let choice = |id: i64, title: &str, selected: bool| Choice {
        value: id.to_string(),
        label: title.to_owned(),
        selected,
    };
    let mut lead = vec![Choice {
        value: String::new(),
        label: "Automatic: the newest featured story".into(),
        selected: front.lead.is_none(),
    }];
    lead.extend(
        stories
            .iter()
            .map(|a| choice(a.id, &a.title, front.lead == Some(a.id))),
    );
    let featured = stories
        .iter()
        .map(|a| choice(a.id, &a.title, front.featured.contains(&a.id)))
        .collect();
    let tz = state.settings().timezone;
    let body = FrontBody {
        lead,
        featured,
        sections: sections
            .iter()
            .filter(|s| s.parent_id.is_none())
            .map(|s| SectionRow {
                slug: s.slug.clone(),
                name: s.name.clone(),
                position: front
                    .sections
                    .iter()
                    .position(|x| *x == s.slug)
                    .map(|p| (p + 1).to_string())
                    .unwrap_or_default(),
            })
            .collect(),
        banner_text: front
            .banner
            .as_ref()
            .map(|b| b.text.clone())
            .unwrap_or_default(),
        banner_url: front
            .banner
            .as_ref()
            .and_then(|b| b.url.clone())
            .unwrap_or_default(),
        banner_expires: front
            .banner
            .as_ref()
            .map(|b| {
                b.expires_at
                    .with_timezone(&tz)
                    .format("%Y-%m-%dT%H:%M")
                    .to_string()
            })
            .unwrap_or_default(),
        timezone: tz.name().to_owned(),
    };
    render(
        state,
        status,
        "front.html",
        "Front page",
        Some(who),
        notice,
        error,
        &body,
    )
}

pub(super) async fn front_form(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    match crate::front::load(&state).await {
        Ok(front) => {
            screen(
                &state,
                &who,
                StatusCode::OK,
                &front,
                notice_for(&q.done),
                None,
            )
            .await
        }
        Err(e) => server_error(&e),
    }
}

/// Reads the form into a front page; the error is a sentence for the editor.
fn parse(state: &AppState, form: &[(String, String)]) -> Result<FrontPage, String> {
    let one = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let lead = one("lead").parse::<i64>().ok();
    let featured: Vec<i64> = form
        .iter()
        .filter(|(k, _)| k == "featured")
        .filter_map(|(_, v)| v.parse::<i64>().ok())
        .filter(|id| Some(*id) != lead)
        .collect();
    // Section blocks: the ones given a position, in the order of their numbers.
    let mut positioned: Vec<(u32, String)> = form
        .iter()
        .filter_map(|(k, v)| {
            let slug = k.strip_prefix("position-")?;
            let n = v.trim().parse::<u32>().ok()?;
            Some((n, slug.to_owned()))
        })
        .collect();
    positioned.sort();
    let sections = positioned.into_iter().map(|(_, s)| s).collect();
    let text = one("banner_text");
    let banner = if text.is_empty() || one("banner_remove") == "on" {
        None
    } else {
        let expires = one("banner_expires");
        let local = NaiveDateTime::parse_from_str(&expires, "%Y-%m-%dT%H:%M")
            .map_err(|_| "The banner needs an expiry time, such as 2026-11-28T18:00.".to_owned())?;
        let url = Some(one("banner_url")).filter(|u| !u.is_empty());
        Some(Banner {
            text,
            url,
            expires_at: local_to_utc(local, state.settings().timezone),
        })
    };
    let front = FrontPage {
        lead,
        featured,
        sections,
        banner,
    };
    front.check(state.now()).map_err(|e| e.to_string())?;
    Ok(front)
}

pub(super) async fn save_front(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    body: Bytes,
) -> Response {
    let form: Vec<(String, String)> = form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    match parse(&state, &form) {
        Ok(front) => {
            if let Err(e) = crate::front::save(&state, &front).await {
                return server_error(&e);
            }
            state.wake_scheduler();
            audit(&state, Some(&who), "changed front page", "front page", &ip).await;
            see_other("/newsroom/front?done=setting", None)
        }
        Err(why) => {
            let current = crate::front::load(&state).await.unwrap_or_default();
            screen(
                &state,
                &who,
                StatusCode::UNPROCESSABLE_ENTITY,
                &current,
                None,
                Some(why),
            )
            .await
        }
    }
}
