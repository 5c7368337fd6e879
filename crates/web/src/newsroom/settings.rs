//! The site's settings screen (administrators): title, tagline, address, timezone,
//! language, logo and stories per page, saved over the operator's configuration.

use super::{ClientIp, NoticeQuery, audit, notice_for, render, see_other, server_error};
use crate::AppState;
use crate::auth::SignedIn;
use crate::site_settings::{self, SiteOverrides};
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use masthead_core::paging::PageRequest;
use serde::Serialize;

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Serialize)]
struct SettingsBody {
    title: String,
    tagline: String,
    site_url: String,
    timezone: String,
    language: String,
    per_page: String,
    feed_items: String,
    feed_full_text: bool,
    logos: Vec<Choice>,
}

async fn screen(
    state: &AppState,
    who: &SignedIn,
    status: StatusCode,
    body: SettingsBody,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    render(
        state,
        status,
        "settings.html",
        "Site settings",
        Some(who),
        notice,
        error,
        &body,
    )
}

async fn logos(
    state: &AppState,
    current: Option<i64>,
) -> Result<Vec<Choice>, masthead_store::StoreError> {
    let (images, _) = state
        .store()
        .media_list(None, PageRequest::new(1, 100))
        .await?;
    let mut choices = vec![Choice {
        value: String::new(),
        label: "None: the title in type".into(),
        selected: current.is_none(),
    }];
    choices.extend(images.iter().map(|m| Choice {
        value: m.id.to_string(),
        label: format!("{} ({}×{})", m.file_name, m.width, m.height),
        selected: current == Some(m.id),
    }));
    Ok(choices)
}

pub(super) async fn settings_form(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    let s = state.settings();
    let logos = match logos(&state, s.logo).await {
        Ok(l) => l,
        Err(e) => return server_error(&e),
    };
    let body = SettingsBody {
        title: s.title.clone(),
        tagline: s.tagline.clone(),
        site_url: s.site_url.clone(),
        timezone: s.timezone.name().to_owned(),
        language: s.language.clone(),
        per_page: s.per_page.to_string(),
        feed_items: s.feed_items.to_string(),
        feed_full_text: s.feed_full_text,
        logos,
    };
    screen(
        &state,
        &who,
        StatusCode::OK,
        body,
        notice_for(&q.done),
        None,
    )
    .await
}

pub(super) async fn save_settings(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    body: Bytes,
) -> Response {
    let form: Vec<(String, String)> = form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let per_page_text = get("per_page");
    let logo_text = get("logo");
    let typed = SettingsBody {
        title: get("title"),
        tagline: get("tagline"),
        site_url: get("site_url").trim_end_matches('/').to_owned(),
        timezone: get("timezone"),
        language: get("language"),
        per_page: per_page_text.clone(),
        feed_items: get("feed_items"),
        feed_full_text: get("feed_content") != "excerpt",
        logos: Vec::new(),
    };
    let logo = logo_text.parse::<i64>().ok();
    let overrides = SiteOverrides {
        title: Some(typed.title.clone()),
        tagline: Some(typed.tagline.clone()),
        site_url: Some(typed.site_url.clone()),
        timezone: Some(typed.timezone.clone()),
        language: Some(typed.language.clone()),
        logo,
        per_page: Some(per_page_text.parse::<u32>().unwrap_or(0)),
        feed_items: Some(get("feed_items").parse::<u32>().unwrap_or(0)),
        feed_full_text: Some(get("feed_content") != "excerpt"),
    };
    let mut problem = site_settings::check(&overrides).err();
    if problem.is_none()
        && let Some(id) = logo
    {
        match state.store().media(id).await {
            Ok(Some(_)) => {}
            Ok(None) => problem = Some(format!("There is no image {id} in the media library.")),
            Err(e) => return server_error(&e),
        }
    }
    if let Some(why) = problem {
        let logos = match logos(&state, logo).await {
            Ok(l) => l,
            Err(e) => return server_error(&e),
        };
        let body = SettingsBody { logos, ..typed };
        return screen(
            &state,
            &who,
            StatusCode::UNPROCESSABLE_ENTITY,
            body,
            None,
            Some(why),
        )
        .await;
    }
    if let Err(e) = site_settings::save(&state, &overrides).await {
        return server_error(&e);
    }
    audit(&state, Some(&who), "changed setting", "site settings", &ip).await;
    see_other("/newsroom/settings?done=setting", None)
}
