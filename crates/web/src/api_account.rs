//! The API's routes that need someone: `Authorization: Bearer mh_…` tokens, each with
//! exactly its account's role narrowed by its scope. Declared as a table like the
//! newsroom's, and guarded by the same capability check.

use crate::AppState;
use crate::api::ApiError;
use crate::api_write;
use crate::auth::{self, RouteSpec, SignedIn, spec};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post};
use axum::{Extension, Json, Router};
use masthead_core::access::{Capability, Decision, decide};
use masthead_core::{Credential, TokenScope};
use masthead_store::NewAuditEntry;
use serde::Serialize;

/// Every API route that needs a token.
pub fn routes() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    use Capability::*;
    vec![
        (spec(Method::GET, "/api/v1/me", Some(UseNewsroom)), get(me)),
        (
            spec(
                Method::DELETE,
                "/api/v1/me/tokens/{id}",
                Some(ManageOwnAccount),
            ),
            delete(revoke_token),
        ),
        (
            spec(Method::POST, "/api/v1/articles", Some(WriteArticles)),
            post(api_write::create),
        ),
        (
            spec(Method::PATCH, "/api/v1/articles/{id}", Some(WriteArticles)),
            patch(api_write::update),
        ),
        (
            spec(Method::DELETE, "/api/v1/articles/{id}", Some(WriteArticles)),
            delete(api_write::trash),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/articles/{id}/corrections",
                Some(EditOwnPublished),
            ),
            post(api_write::add_correction),
        ),
        (
            spec(Method::GET, "/api/v1/comments", Some(ModerateComments)),
            get(crate::api_comments::queue),
        ),
        (
            spec(
                Method::PATCH,
                "/api/v1/comments/{id}",
                Some(ModerateComments),
            ),
            patch(crate::api_comments::patch),
        ),
        (
            spec(Method::POST, "/api/v1/media", Some(UploadMedia)),
            // The handler stops reading at the upload limit.
            post(api_write::upload_media).layer(axum::extract::DefaultBodyLimit::disable()),
        ),
    ]
}

pub fn router(state: AppState) -> Router<AppState> {
    let mut r = Router::new();
    for (spec, handler) in routes() {
        let guarded = handler.route_layer(axum::middleware::from_fn_with_state(
            (state.clone(), spec.needs),
            guard,
        ));
        r = r.route(spec.path, guarded);
    }
    r
}

async fn guard(
    State((state, needs)): State<(AppState, Option<Capability>)>,
    mut req: Request,
    next: Next,
) -> Response {
    let who = match auth::from_token(&state, req.headers()).await {
        Ok(w) => w,
        Err(e) => {
            tracing::error!("api: {e}");
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Something went wrong on our side.",
            )
            .into_response();
        }
    };
    if let Some(cap) = needs {
        match decide(who.as_ref().map(|w| (w.role(), w.credential)), cap) {
            Decision::Allowed => {}
            Decision::SignInFirst => {
                let mut res = ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "Send a valid token: Authorization: Bearer mh_….",
                )
                .into_response();
                res.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                return res;
            }
            Decision::Forbidden => {
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    "This token's account or scope does not allow that.",
                )
                .into_response();
            }
        }
        // Every use of a write scope is on the record.
        if cap.writes()
            && let Some(w) = &who
            && w.credential == Credential::Token(TokenScope::Write)
        {
            let entry = NewAuditEntry {
                actor_id: Some(w.user.id),
                actor: w.user.email.clone(),
                action: "used write token".into(),
                target: format!("{} {}", req.method(), req.uri().path()),
                ..Default::default()
            };
            if let Err(e) = state.store().audit(&entry).await {
                tracing::error!("cannot write the audit log: {e}");
            }
        }
    }
    if let Some(w) = who {
        req.extensions_mut().insert(w);
    }
    let mut res = next.run(req).await;
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    res
}

#[derive(Serialize)]
struct Me {
    id: i64,
    email: String,
    name: String,
    role: &'static str,
    scope: Option<&'static str>,
}

async fn me(Extension(who): Extension<SignedIn>) -> Json<Me> {
    Json(Me {
        id: who.user.id,
        email: who.user.email.clone(),
        name: who.user.name.clone(),
        role: who.user.role.as_str(),
        scope: match who.credential {
            Credential::Token(s) => Some(s.as_str()),
            Credential::Session => None,
        },
    })
}

async fn revoke_token(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return ApiError::new(StatusCode::BAD_REQUEST, "bad_id", "A token id is a number.")
            .into_response();
    };
    match state.store().revoke_token(who.user.id, id).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "You have no active token with that id.",
        )
        .into_response(),
        Err(e) => {
            tracing::error!("api: {e}");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Something went wrong on our side.",
            )
            .into_response()
        }
    }
}
