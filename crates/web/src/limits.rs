//! Refuses requests whose address is too long to be one of ours, before any work.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The longest path we serve; WordPress-era links are far shorter.
pub const MAX_PATH: usize = 2048;
/// The longest query string we read.
pub const MAX_QUERY: usize = 2048;

pub async fn reject_overlong(req: Request, next: Next) -> Response {
    let uri = req.uri();
    if uri.path().len() > MAX_PATH {
        return (StatusCode::URI_TOO_LONG, "The address is too long.\n").into_response();
    }
    if uri.query().is_some_and(|q| q.len() > MAX_QUERY) {
        return (StatusCode::URI_TOO_LONG, "The query string is too long.\n").into_response();
    }
    next.run(req).await
}
