//! People: invitations, roles, disabling, resets for others, test mail, 2FA requirement.

use super::passwords::mail_link;
use super::{
    ClientIp, NoticeQuery, audit, notice_for, plain, plausible_email, render, see_other,
    server_error,
};
use crate::AppState;
use crate::auth::SignedIn;
use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use masthead_core::Role;
use masthead_core::access::Capability;
use masthead_store::{LinkPurpose, NewUser, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Serialize)]
struct UserView {
    id: i64,
    name: String,
    email: String,
    role: &'static str,
    state: &'static str,
    disabled: bool,
    totp: bool,
    me: bool,
}

#[derive(Serialize)]
struct RoleOption {
    value: &'static str,
    label: &'static str,
}

#[derive(Serialize, Default, Deserialize)]
pub(super) struct InviteForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

#[derive(Serialize)]
struct UsersBody {
    users: Vec<UserView>,
    roles: Vec<RoleOption>,
    form: InviteForm,
    mail_route: String,
    two_factor_required: bool,
    can_change_settings: bool,
}

async fn users_page(
    state: &AppState,
    who: &SignedIn,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    form: InviteForm,
) -> Response {
    let all = match state.store().users().await {
        Ok(u) => u,
        Err(e) => return server_error(&e),
    };
    let users = all
        .into_iter()
        .map(|u| UserView {
            state: if u.disabled {
                "Disabled"
            } else if u.has_password {
                "Active"
            } else {
                "Invited"
            },
            me: u.id == who.user.id,
            id: u.id,
            disabled: u.disabled,
            role: u.role.label(),
            totp: u.totp_enabled,
            name: u.name,
            email: u.email,
        })
        .collect();
    let body = UsersBody {
        users,
        roles: Role::ALL
            .iter()
            .map(|r| RoleOption {
                value: r.as_str(),
                label: r.label(),
            })
            .collect(),
        form,
        mail_route: state.settings().mail.describe(),
        two_factor_required: match two_factor_required(state).await {
            Ok(r) => r,
            Err(e) => return server_error(&e),
        },
        can_change_settings: who.role().can(Capability::ManageSettings),
    };
    render(
        state,
        status,
        "users.html",
        "People",
        Some(who),
        notice,
        error,
        &body,
    )
}

pub(super) async fn users(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Query(q): Query<NoticeQuery>,
) -> Response {
    users_page(
        &state,
        &who,
        StatusCode::OK,
        notice_for(&q.done),
        None,
        InviteForm {
            role: Role::Contributor.as_str().to_owned(),
            ..Default::default()
        },
    )
    .await
}

/// Queues the invitation mail for a new account: a one-time link to choose a password,
/// valid for the site's link lifetime. The newsroom's invite form and the importer's
/// `--create-accounts` both send it through here.
pub async fn send_invitation(
    state: &AppState,
    user: &masthead_store::User,
    inviter: &str,
) -> Result<(), String> {
    let lifetime = state.settings().link_lifetime;
    mail_link(
        state,
        LinkPurpose::Invitation,
        "/newsroom/invitation/",
        "invitation",
        user,
        inviter,
        lifetime,
    )
    .await
}

pub(super) async fn invite(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Form(f): Form<InviteForm>,
) -> Response {
    let email = f.email.trim().to_lowercase();
    let name = f.name.trim().to_owned();
    let refuse = |msg: String, f: InviteForm| {
        let state = state.clone();
        let who = who.clone();
        async move { users_page(&state, &who, StatusCode::BAD_REQUEST, None, Some(msg), f).await }
    };
    let Ok(role) = f.role.parse::<Role>() else {
        return refuse("Choose one of the four roles.".into(), f).await;
    };
    if name.is_empty() || name.len() > 200 {
        return refuse("Please give the person's name.".into(), f).await;
    }
    if !plausible_email(&email) {
        return refuse("Please give a valid email address.".into(), f).await;
    }
    let store = state.store();
    let id = match store
        .create_user(&NewUser {
            email: email.clone(),
            name: name.clone(),
            role,
            password_hash: None,
        })
        .await
    {
        Ok(id) => id,
        Err(StoreError::Conflict(m)) => return refuse(m, f).await,
        Err(e) => return server_error(&e),
    };
    let user = match store.user(id).await {
        Ok(Some(u)) => u,
        Ok(None) => return server_error(&"the new account vanished"),
        Err(e) => return server_error(&e),
    };
    if let Err(e) = send_invitation(&state, &user, &who.user.name).await {
        return server_error(&e);
    }
    audit(
        &state,
        Some(&who),
        "invited",
        &format!("{email} ({role})"),
        &ip,
    )
    .await;
    see_other("/newsroom/users?done=invited", None)
}

#[derive(Deserialize)]
pub(super) struct RoleForm {
    #[serde(default)]
    role: String,
}

pub(super) async fn change_role(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
    Form(f): Form<RoleForm>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return plain(StatusCode::NOT_FOUND, "No such account.");
    };
    let Ok(role) = f.role.parse::<Role>() else {
        return plain(StatusCode::BAD_REQUEST, "Choose one of the four roles.");
    };
    // Nobody demotes themselves: the last administrator could lock everyone out.
    if id == who.user.id {
        return plain(StatusCode::BAD_REQUEST, "You cannot change your own role.");
    }
    let store = state.store();
    let user = match store.user(id).await {
        Ok(Some(u)) => u,
        Ok(None) => return plain(StatusCode::NOT_FOUND, "No such account."),
        Err(e) => return server_error(&e),
    };
    if let Err(e) = store.set_role(id, role).await {
        return server_error(&e);
    }
    audit(
        &state,
        Some(&who),
        "changed role",
        &format!("{}: {} → {}", user.email, user.role, role),
        &ip,
    )
    .await;
    see_other("/newsroom/users?done=role", None)
}

async fn set_disabled(
    state: &AppState,
    who: &SignedIn,
    ip: &str,
    id: &str,
    disabled: bool,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return plain(StatusCode::NOT_FOUND, "No such account.");
    };
    if id == who.user.id {
        return plain(
            StatusCode::BAD_REQUEST,
            "You cannot disable your own account.",
        );
    }
    let store = state.store();
    let user = match store.user(id).await {
        Ok(Some(u)) => u,
        Ok(None) => return plain(StatusCode::NOT_FOUND, "No such account."),
        Err(e) => return server_error(&e),
    };
    if let Err(e) = store.set_disabled(id, disabled).await {
        return server_error(&e);
    }
    let action = if disabled {
        "disabled account"
    } else {
        "enabled account"
    };
    audit(state, Some(who), action, &user.email, ip).await;
    see_other(
        if disabled {
            "/newsroom/users?done=disabled"
        } else {
            "/newsroom/users?done=enabled"
        },
        None,
    )
}

pub(super) async fn disable_user(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
) -> Response {
    set_disabled(&state, &who, &ip, &id, true).await
}

pub(super) async fn enable_user(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
) -> Response {
    set_disabled(&state, &who, &ip, &id, false).await
}

pub(super) async fn send_reset_for(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return plain(StatusCode::NOT_FOUND, "No such account.");
    };
    let user = match state.store().user(id).await {
        Ok(Some(u)) => u,
        Ok(None) => return plain(StatusCode::NOT_FOUND, "No such account."),
        Err(e) => return server_error(&e),
    };
    let lifetime = state.settings().reset_lifetime;
    if let Err(e) = mail_link(
        &state,
        LinkPurpose::PasswordReset,
        "/newsroom/reset/",
        "password_reset",
        &user,
        &who.user.name,
        lifetime,
    )
    .await
    {
        return server_error(&e);
    }
    audit(&state, Some(&who), "sent password reset", &user.email, &ip).await;
    see_other("/newsroom/users?done=reset", None)
}

pub(super) async fn test_mail(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
) -> Response {
    #[derive(Serialize)]
    struct TestMail<'a> {
        name: &'a str,
    }
    let mail = match crate::mail::compose(
        &state,
        "test",
        &who.user.email,
        &TestMail {
            name: &who.user.name,
        },
    ) {
        Ok(m) => m,
        Err(e) => return server_error(&e),
    };
    if let Err(e) = crate::mail::send_later(&state, &mail).await {
        return server_error(&e);
    }
    see_other("/newsroom/users?done=test-mail", None)
}

/// The setting that makes two-factor sign-in compulsory for editors and administrators.
const REQUIRE_TWO_FACTOR: &str = "security.require_two_factor";

pub(super) async fn two_factor_required(state: &AppState) -> Result<bool, StoreError> {
    Ok(state.store().setting(REQUIRE_TWO_FACTOR).await?.as_deref() == Some("true"))
}

#[derive(Deserialize)]
pub(super) struct RequireForm {
    #[serde(default)]
    required: String,
}

pub(super) async fn set_two_factor_requirement(
    State(state): State<AppState>,
    Extension(who): Extension<SignedIn>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Form(f): Form<RequireForm>,
) -> Response {
    let on = f.required == "on";
    if let Err(e) = state
        .store()
        .set_setting(REQUIRE_TWO_FACTOR, if on { "true" } else { "false" })
        .await
    {
        return server_error(&e);
    }
    let what = if on {
        "two-factor required for editors and administrators"
    } else {
        "two-factor optional"
    };
    audit(&state, Some(&who), "changed setting", what, &ip).await;
    see_other("/newsroom/users?done=setting", None)
}
