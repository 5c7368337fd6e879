//! The newsroom's front page: what one's role lets one do.

use super::page;
use crate::AppState;
use crate::auth::SignedIn;
use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use masthead_core::access::Capability;
use serde::Serialize;

#[derive(Serialize)]
struct DashboardBody {
    capabilities: Vec<&'static str>,
}

pub(super) async fn dashboard(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
) -> Response {
    use Capability::*;
    let role = who.role();
    let words = [
        (WriteArticles, "Write articles and edit your drafts"),
        (PublishOwn, "Publish your own articles"),
        (EditOthers, "Edit and publish everyone's articles"),
        (ManagePages, "Edit static pages"),
        (ManageTaxonomy, "Manage sections and tags"),
        (UploadMedia, "Upload photos"),
        (ModerateComments, "Moderate comments"),
        (ManageUsers, "Manage people and their roles"),
        (ManageSettings, "Change the site's settings"),
        (ViewAudit, "Read the audit log"),
    ];
    let capabilities = words
        .into_iter()
        .filter(|(c, _)| role.can(*c))
        .map(|(_, w)| w)
        .collect();
    page(
        &state,
        StatusCode::OK,
        "dashboard.html",
        "Dashboard",
        Some(&who),
        &DashboardBody { capabilities },
    )
}
