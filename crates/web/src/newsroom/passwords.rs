//! Choosing a password by a mailed link: sending the links, "forgot", reset, invitation.

use super::{
    ClientIp, LinkView, Message, audit, hash_new_password, link_gone, page, render, see_other,
    server_error,
};
use crate::AppState;
use crate::auth::{self, SignedIn};
use crate::views::DateView;
use axum::Extension;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use masthead_core::password;
use masthead_store::LinkPurpose;
use serde::{Deserialize, Serialize};

/// The site's own address for links in mail: the configured site URL, never the
/// request's Host header (a forged Host would send reset links to another site).
fn site_base(state: &AppState) -> String {
    state.settings().site_url.trim_end_matches('/').to_owned()
}

/// Makes a one-time link for `user_id` and queues the mail that carries it.
pub(super) async fn mail_link(
    state: &AppState,
    purpose: LinkPurpose,
    path: &str,
    template: &str,
    user: &masthead_store::User,
    inviter: &str,
    lifetime: chrono::Duration,
) -> Result<(), String> {
    let secret = auth::new_secret()?;
    let expires = state.now() + lifetime;
    state
        .store()
        .create_link(purpose, &auth::hash_secret(&secret), Some(user.id), expires)
        .await
        .map_err(|e| e.to_string())?;
    #[derive(Serialize)]
    struct LinkMail<'a> {
        name: &'a str,
        inviter: &'a str,
        role: &'a str,
        link: String,
        expires: String,
    }
    let ctx = LinkMail {
        name: &user.name,
        inviter,
        role: user.role.label(),
        link: format!("{}{path}{secret}", site_base(state)),
        expires: DateView::new(expires, &state.settings()).display,
    };
    let mail = crate::mail::compose(state, template, &user.email, &ctx)?;
    crate::mail::send_later(state, &mail)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

// ---------------------------------------------------------------------- forgot / reset

#[derive(Serialize, Default)]
struct ForgotBody {
    email: String,
}

pub(super) async fn forgot_form(State(state): State<AppState>) -> Response {
    page(
        &state,
        StatusCode::OK,
        "forgot.html",
        "Forgot your password?",
        None,
        &ForgotBody::default(),
    )
}

#[derive(Deserialize)]
pub(super) struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// The answer is the same whether or not the address has an account.
pub(super) async fn forgot(
    State(state): State<AppState>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Form(f): Form<ForgotForm>,
) -> Response {
    let email = f.email.trim().to_lowercase();
    let answer = "If an account uses that address, a link to choose a new password is on its way. It works once, for a limited time.";
    let store = state.store();
    // Counted like sign-in failures, so the form cannot be used to flood a mailbox.
    let subject = format!("reset:{email}");
    let recent = match store
        .sign_in_failures(&subject, state.now() - state.settings().sign_in_window)
        .await
    {
        Ok(n) => n,
        Err(e) => return server_error(&e),
    };
    if recent < 3
        && let Ok(Some(user)) = store.user_by_email(&email).await
        && !user.disabled
        && user.has_password
    {
        if let Err(e) = store.record_sign_in_failure(&[subject]).await {
            return server_error(&e);
        }
        let lifetime = state.settings().reset_lifetime;
        if let Err(e) = mail_link(
            &state,
            LinkPurpose::PasswordReset,
            "/newsroom/reset/",
            "password_reset",
            &user,
            "",
            lifetime,
        )
        .await
        {
            return server_error(&e);
        }
        let who = SignedIn {
            user: user.clone(),
            credential: masthead_core::Credential::Session,
            session: None,
        };
        audit(
            &state,
            Some(&who),
            "asked for a password reset",
            &user.email,
            &ip,
        )
        .await;
    }
    render(
        &state,
        StatusCode::OK,
        "message.html",
        "Check your mail",
        None,
        None,
        None,
        &Message {
            message: answer.into(),
            link: Some(LinkView {
                url: "/newsroom/login".into(),
                text: "Back to sign in".into(),
            }),
        },
    )
}

#[derive(Serialize)]
struct ChooseBody {
    intro: &'static str,
}

async fn choose_form(state: &AppState, purpose: LinkPurpose, token: &str) -> Response {
    match state
        .store()
        .peek_link(purpose, &auth::hash_secret(token))
        .await
    {
        Ok(Some(_)) => page(
            state,
            StatusCode::OK,
            "choose_password.html",
            "Choose your password",
            None,
            &ChooseBody {
                intro: if purpose == LinkPurpose::Invitation {
                    "Welcome. Choose the password you will sign in with."
                } else {
                    "Choose a new password. Every browser signed in to your account will be signed out."
                },
            },
        ),
        Ok(None) => link_gone(state),
        Err(e) => server_error(&e),
    }
}

pub(super) async fn invitation_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Response {
    choose_form(&state, LinkPurpose::Invitation, &token).await
}

pub(super) async fn reset_form(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Response {
    choose_form(&state, LinkPurpose::PasswordReset, &token).await
}

#[derive(Deserialize)]
pub(super) struct ChooseForm {
    #[serde(default)]
    password: String,
}

async fn choose_password(
    state: &AppState,
    purpose: LinkPurpose,
    token: &str,
    ip: &str,
    f: ChooseForm,
) -> Response {
    let store = state.store();
    let hash = auth::hash_secret(token);
    let user_id = match store.peek_link(purpose, &hash).await {
        Ok(Some(Some(id))) => id,
        Ok(_) => return link_gone(state),
        Err(e) => return server_error(&e),
    };
    let user = match store.user(user_id).await {
        Ok(Some(u)) if !u.disabled => u,
        Ok(_) => return link_gone(state),
        Err(e) => return server_error(&e),
    };
    if let Err(p) = password::check(&f.password, &[&user.name, &user.email]) {
        return render(
            state,
            StatusCode::BAD_REQUEST,
            "choose_password.html",
            "Choose your password",
            None,
            None,
            Some(p.to_string()),
            &ChooseBody { intro: "" },
        );
    }
    let Some(password_hash) = hash_new_password(state, &f.password).await else {
        return server_error(&"password hashing failed");
    };
    match store.use_link(purpose, &hash).await {
        Ok(Some(_)) => {}
        Ok(None) => return link_gone(state),
        Err(e) => return server_error(&e),
    }
    if let Err(e) = store.set_password_hash(user.id, &password_hash).await {
        return server_error(&e);
    }
    let who = SignedIn {
        user: user.clone(),
        credential: masthead_core::Credential::Session,
        session: None,
    };
    let action = if purpose == LinkPurpose::Invitation {
        "accepted invitation"
    } else {
        "reset password by link"
    };
    audit(state, Some(&who), action, &user.email, ip).await;
    see_other("/newsroom/login?done=password-set", None)
}

pub(super) async fn accept_invitation(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Form(f): Form<ChooseForm>,
) -> Response {
    choose_password(&state, LinkPurpose::Invitation, &token, &ip, f).await
}

pub(super) async fn reset_password(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Extension(ClientIp(ip)): Extension<ClientIp>,
    Form(f): Form<ChooseForm>,
) -> Response {
    choose_password(&state, LinkPurpose::PasswordReset, &token, &ip, f).await
}
