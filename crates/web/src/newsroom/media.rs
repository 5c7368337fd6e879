//! The newsroom's media library: upload a photo with its alt text, caption, credit,
//! licence and focal point; find it again by any of those words.

use super::{ClientIp, NoticeQuery, audit, notice_for, render, see_other, server_error};
use crate::AppState;
use crate::auth::SignedIn;
use crate::media::{ImageView, accept};
use axum::Extension;
use axum::extract::{Multipart, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use masthead_core::paging::{PageRequest, page_count};
use masthead_media::{FocalPoint, ImageMetadata};
use serde::Serialize;

const PER_PAGE: u32 = 24;

#[derive(Serialize, Default)]
struct LibraryBody {
    images: Vec<ImageView>,
    total: i64,
    q: String,
    page: u32,
    pages: u32,
    prev: Option<String>,
    next: Option<String>,
    /// What was typed into the upload form, kept when an upload is refused.
    form: UploadForm,
    max_mb: u64,
}

#[derive(Serialize, Default, Clone)]
struct UploadForm {
    alt: String,
    decorative: bool,
    caption: String,
    credit: String,
    licence: String,
    focal_x: String,
    focal_y: String,
}

#[expect(
    clippy::too_many_arguments,
    reason = "the library page's states, each with its parts"
)]
async fn library(
    state: &AppState,
    who: &SignedIn,
    status: StatusCode,
    q: &str,
    page: u32,
    form: UploadForm,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let words = Some(q).filter(|q| !q.trim().is_empty());
    let (rows, total) = match state
        .store()
        .media_list(words, PageRequest::new(page, PER_PAGE))
        .await
    {
        Ok(r) => r,
        Err(e) => return server_error(&e),
    };
    let pages = page_count(total, PER_PAGE).max(1);
    let link = |p: u32| {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        if !q.is_empty() {
            ser.append_pair("q", q);
        }
        ser.append_pair("page", &p.to_string());
        format!("/newsroom/media?{}", ser.finish())
    };
    let body = LibraryBody {
        images: rows.iter().filter_map(|r| ImageView::of(r, 320)).collect(),
        total,
        q: q.to_owned(),
        page,
        pages,
        prev: (page > 1).then(|| link(page - 1)),
        next: (page < pages).then(|| link(page + 1)),
        form,
        max_mb: state.settings().media.max_upload_bytes / 1_000_000,
    };
    render(
        state,
        status,
        "media.html",
        "Media library",
        Some(who),
        notice,
        error,
        &body,
    )
}

pub(super) async fn media_library(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    RawQuery(raw): RawQuery,
    Query(done): Query<NoticeQuery>,
) -> Response {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let page = get("page")
        .parse::<u32>()
        .ok()
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    library(
        &state,
        &who,
        StatusCode::OK,
        &get("q"),
        page,
        UploadForm::default(),
        notice_for(&done.done),
        None,
    )
    .await
}

/// `POST /newsroom/media`: a multipart form with the file and what the editor says
/// about it. A refusal keeps every word typed.
pub(super) async fn upload(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    mut multipart: Multipart,
) -> Response {
    let mut form = UploadForm::default();
    let mut file: Option<(String, Vec<u8>)> = None;
    let limit = usize::try_from(state.settings().media.max_upload_bytes).unwrap_or(usize::MAX);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let why = format!("The upload could not be read: {e}.");
                return library(
                    &state,
                    &who,
                    StatusCode::BAD_REQUEST,
                    "",
                    1,
                    form,
                    None,
                    Some(why),
                )
                .await;
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().unwrap_or("upload").to_owned();
            // Read in chunks and stop at the limit: the route lifts axum's own body
            // limit, so this is where an oversized upload ends.
            let mut field = field;
            let mut buf = Vec::new();
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) if buf.len() + chunk.len() > limit => {
                        let why = format!(
                            "{file_name} is larger than the {} MB limit.",
                            limit / 1_000_000
                        );
                        return library(
                            &state,
                            &who,
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "",
                            1,
                            form,
                            None,
                            Some(why),
                        )
                        .await;
                    }
                    Ok(Some(chunk)) => buf.extend_from_slice(&chunk),
                    Ok(None) => break,
                    Err(e) => {
                        let why = format!("The upload could not be read: {e}.");
                        return library(
                            &state,
                            &who,
                            StatusCode::BAD_REQUEST,
                            "",
                            1,
                            form,
                            None,
                            Some(why),
                        )
                        .await;
                    }
                }
            }
            if !buf.is_empty() {
                file = Some((file_name, buf));
            }
            continue;
        }
        let value = field.text().await.unwrap_or_default();
        match name.as_str() {
            "alt" => form.alt = value,
            "decorative" => form.decorative = true,
            "caption" => form.caption = value,
            "credit" => form.credit = value,
            "licence" => form.licence = value,
            "focal_x" => form.focal_x = value,
            "focal_y" => form.focal_y = value,
            _ => {}
        }
    }
    let Some((file_name, bytes)) = file else {
        return library(
            &state,
            &who,
            StatusCode::UNPROCESSABLE_ENTITY,
            "",
            1,
            form,
            None,
            Some("Choose an image file to upload.".into()),
        )
        .await;
    };
    let focal = match focal_point(&form.focal_x, &form.focal_y) {
        Ok(f) => f,
        Err(why) => {
            return library(
                &state,
                &who,
                StatusCode::UNPROCESSABLE_ENTITY,
                "",
                1,
                form,
                None,
                Some(why),
            )
            .await;
        }
    };
    let meta = ImageMetadata {
        alt: form.alt.trim().to_owned(),
        decorative: form.decorative,
        caption: form.caption.trim().to_owned(),
        credit: form.credit.trim().to_owned(),
        licence: form.licence.trim().to_owned(),
        focal,
    };
    match accept(&state, who.user.id, &file_name, bytes, meta).await {
        Ok(id) => {
            audit(
                &state,
                Some(&who),
                "uploaded image",
                &format!("media {id}"),
                &ip,
            )
            .await;
            see_other("/newsroom/media?done=uploaded", None)
        }
        Err(r) => library(&state, &who, r.status, "", 1, form, None, Some(r.message)).await,
    }
}

/// The focal point typed as percentages (0–100 across, 0–100 down); empty is the centre.
pub(crate) fn focal_point(x: &str, y: &str) -> Result<FocalPoint, String> {
    if x.trim().is_empty() && y.trim().is_empty() {
        return Ok(FocalPoint::CENTRE);
    }
    let pct = |v: &str| {
        v.trim()
            .parse::<f32>()
            .ok()
            .filter(|p| (0.0..=100.0).contains(p))
    };
    match (pct(x), pct(y)) {
        (Some(x), Some(y)) => FocalPoint::new(x / 100.0, y / 100.0).map_err(|e| e.to_string()),
        _ => Err("The focal point is two numbers from 0 to 100: across, then down.".into()),
    }
}
