//! The newsroom's front door over HTTP, on both backends: the route table's rules for
//! every role, cross-site refusals, sign-in, setup links, sessions and API tokens.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]

mod common;

use chrono::Duration;
use common::{PASSWORD, TestSite, add_user, count, sign_in};
use masthead_core::{Clock, Role, TokenScope};
use masthead_store::LinkPurpose;
use masthead_testkit::TestDb;
use masthead_web::auth;

http_tests!(
    every_route_answers_each_role_as_its_table_says,
    cross_site_posts_are_refused_on_every_state_changing_route,
    signing_in_rotates_the_session_and_failures_reveal_nothing,
    the_setup_link_creates_the_first_administrator_once,
    changing_the_password_and_signing_out_everywhere_end_sessions,
    sessions_end_when_idle_and_at_their_absolute_limit,
    api_tokens_carry_their_accounts_role_narrowed_by_scope,
    invitations_and_password_resets_arrive_by_mail,
    tokens_and_roles_are_managed_in_the_newsroom,
    two_factor_sign_in_with_codes_and_recovery_codes,
    two_factor_can_be_required_for_editors_and_administrators,
);

/// A path from the table with its parameters filled in.
fn concrete(path: &str) -> String {
    path.replace("{token}", "no-such-token")
        .replace("{id}", "999999")
}

async fn every_route_answers_each_role_as_its_table_says(db: TestDb) {
    let site = TestSite::empty(db).await;
    for role in Role::ALL {
        add_user(&site, &format!("{role}@example.org"), role).await;
    }
    let routes = masthead_web::newsroom::routes();
    assert!(routes.len() >= 10, "the table lists the newsroom");
    for (spec, _) in &routes {
        // A fresh session for each request: some routes (sign out) end it.
        let mut cookies = vec![(None, None)];
        for role in Role::ALL {
            let c = sign_in(&site, &format!("{role}@example.org"), PASSWORD).await;
            cookies.push((Some(role), c));
        }
        for (role, cookie) in &cookies {
            let path = concrete(spec.path);
            let mut headers = vec![("Origin", site.origin())];
            if let Some(c) = cookie {
                headers.push(("Cookie", c.clone()));
            }
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = if spec.method == "GET" {
                site.get_with(&path, &headers).await
            } else {
                site.post_form(&path, &[], &headers).await
            };
            let who = role.map_or("nobody".to_owned(), |r| r.to_string());
            match (spec.needs, role) {
                // Open routes may refuse bad input (a failed sign-in is 401), never the person.
                (None, _) => assert!(
                    r.status != 403 && r.status < 500,
                    "{} {path} is open, {who} got {}",
                    spec.method,
                    r.status
                ),
                (Some(_), None) => {
                    if spec.method == "GET" {
                        assert_eq!(r.status, 303, "{path}: nobody is sent to sign in");
                        assert!(r.header("location").unwrap().starts_with("/newsroom/login"));
                    } else {
                        assert_eq!(r.status, 401, "{} {path} for nobody", spec.method);
                    }
                }
                (Some(cap), Some(role)) => {
                    if role.can(cap) {
                        assert!(
                            ![401, 403].contains(&r.status) && r.status < 500,
                            "{} {path}: {who} may, got {}",
                            spec.method,
                            r.status
                        );
                    } else {
                        assert_eq!(r.status, 403, "{} {path}: {who} may not", spec.method);
                    }
                }
            }
        }
    }
    // The API's table, with tokens of each scope.
    for role in Role::ALL {
        let user = site
            .store
            .user_by_email(&format!("{role}@example.org"))
            .await
            .unwrap()
            .unwrap();
        for scope in [TokenScope::Read, TokenScope::Write] {
            let token = format!("{}{}", auth::TOKEN_PREFIX, auth::new_secret().unwrap());
            site.store
                .create_token(user.id, "matrix", &auth::hash_secret(&token), scope, None)
                .await
                .unwrap();
            for (spec, _) in masthead_web::api_account::routes() {
                let cap = spec.needs.unwrap();
                let allowed = role.can(cap) && (scope == TokenScope::Write || !cap.writes());
                let r = site
                    .request(spec.method.as_str(), &concrete(spec.path), Some(&token))
                    .await;
                if allowed {
                    assert!(![401, 403].contains(&r.status), "{spec:?} {role} {scope:?}");
                } else {
                    assert_eq!(r.status, 403, "{spec:?} {role} {scope:?}");
                }
                let anonymous = site
                    .request(spec.method.as_str(), &concrete(spec.path), None)
                    .await;
                assert_eq!(anonymous.status, 401);
                assert_eq!(anonymous.json()["error"]["code"], "unauthorized");
            }
        }
    }
}

async fn cross_site_posts_are_refused_on_every_state_changing_route(db: TestDb) {
    let site = TestSite::empty(db).await;
    add_user(&site, "admin@example.org", Role::Administrator).await;
    let cookie = sign_in(&site, "admin@example.org", PASSWORD).await.unwrap();
    let mut checked = 0;
    for (spec, _) in masthead_web::newsroom::routes() {
        if spec.method == "GET" {
            continue;
        }
        let path = concrete(spec.path);
        for headers in [
            vec![
                ("Origin", "https://evil.example"),
                ("Cookie", cookie.as_str()),
            ],
            vec![
                ("Sec-Fetch-Site", "cross-site"),
                ("Cookie", cookie.as_str()),
            ],
        ] {
            let r = site
                .post_form(&path, &[("email", "x"), ("password", "y")], &headers)
                .await;
            assert_eq!(r.status, 403, "cross-site POST {path}");
        }
        checked += 1;
    }
    assert!(checked >= 5);
    // Still signed in: none of those did anything.
    assert_eq!(
        site.get_with("/newsroom/", &[("Cookie", &cookie)])
            .await
            .status,
        200
    );
}

async fn signing_in_rotates_the_session_and_failures_reveal_nothing(db: TestDb) {
    let site = TestSite::empty(db).await;
    add_user(&site, "editor@example.org", Role::Editor).await;
    let origin = site.origin();
    let wrong = site
        .post_form(
            "/newsroom/login",
            &[
                ("email", "editor@example.org"),
                ("password", "not the password"),
            ],
            &[("Origin", &origin)],
        )
        .await;
    let nobody = site
        .post_form(
            "/newsroom/login",
            &[
                ("email", "nobody@example.org"),
                ("password", "not the password"),
            ],
            &[("Origin", &origin)],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(nobody.status, 401);
    let message = |b: &str| {
        common::between(b, "role=\"alert\">", "</p>")
            .unwrap()
            .to_owned()
    };
    assert_eq!(message(&wrong.body), message(&nobody.body));
    assert!(wrong.header("set-cookie").is_none());
    // The typed email comes back; the password never does.
    assert!(wrong.body.contains("value=\"editor@example.org\""));
    assert!(!wrong.body.contains("not the password"));

    // A session id planted before sign-in is not the one after it.
    let planted = "masthead_session=planted-by-someone-else";
    let r = site
        .post_form(
            "/newsroom/login",
            &[
                ("email", "Editor@Example.org"),
                ("password", PASSWORD),
                ("next", "/newsroom/account"),
            ],
            &[("Origin", &origin), ("Cookie", planted)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/newsroom/account"));
    let set = r.header("set-cookie").unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax"));
    assert!(!set.contains(planted));
    let cookie = set.split(';').next().unwrap();
    let page = site
        .get_with("/newsroom/account", &[("Cookie", cookie)])
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("(this browser)"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    // An off-site `next` is ignored.
    let r = site
        .post_form(
            "/newsroom/login",
            &[
                ("email", "editor@example.org"),
                ("password", PASSWORD),
                ("next", "https://evil.example/"),
            ],
            &[("Origin", &origin)],
        )
        .await;
    assert_eq!(r.header("location"), Some("/newsroom/"));

    // Failures are recorded for the account and the address, and audited.
    let since = site.clock.now() - Duration::hours(1);
    assert_eq!(
        site.store
            .sign_in_failures("account:nobody@example.org", since)
            .await
            .unwrap(),
        1
    );
    let log = site
        .store
        .audit_entries(&Default::default(), 50, 0)
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "sign-in failed" && e.actor == "nobody@example.org")
    );
    assert!(
        log.iter()
            .any(|e| e.action == "signed in" && e.actor == "editor@example.org")
    );
    // Nothing secret in the log.
    for e in &log {
        let line = format!("{e:?}");
        assert!(
            !line.contains(PASSWORD)
                && !line.contains("not the password")
                && !line.contains("argon2")
        );
    }
    // A disabled account cannot sign in, and gets the same words.
    let id = site
        .store
        .user_by_email("editor@example.org")
        .await
        .unwrap()
        .unwrap()
        .id;
    site.store.set_disabled(id, true).await.unwrap();
    assert!(
        sign_in(&site, "editor@example.org", PASSWORD)
            .await
            .is_none()
    );
    assert_eq!(
        site.get_with("/newsroom/", &[("Cookie", cookie)])
            .await
            .status,
        303
    );
}

async fn the_setup_link_creates_the_first_administrator_once(db: TestDb) {
    let site = TestSite::empty(db).await;
    let link = masthead_web::newsroom::setup_link_if_needed(&site.state)
        .await
        .unwrap()
        .unwrap();
    let page = site.page(&link).await;
    assert!(page.contains("Create administrator"));
    let origin = site.origin();
    let weak = site
        .post_form(
            &link,
            &[
                ("name", "Ada Admin"),
                ("email", "ada@example.org"),
                ("password", "password123"),
            ],
            &[("Origin", &origin)],
        )
        .await;
    assert_eq!(weak.status, 400);
    assert!(
        weak.body.contains("at least 10 characters"),
        "{}",
        weak.body
    );
    let common = site
        .post_form(
            &link,
            &[
                ("name", "Ada Admin"),
                ("email", "ada@example.org"),
                ("password", "qwertyuiop"),
            ],
            &[("Origin", &origin)],
        )
        .await;
    assert!(common.body.contains("most common"));
    assert!(
        common.body.contains("value=\"Ada Admin\""),
        "what was typed is kept"
    );
    let ok = site
        .post_form(
            &link,
            &[
                ("name", "Ada Admin"),
                ("email", "ada@example.org"),
                ("password", PASSWORD),
            ],
            &[("Origin", &origin)],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let cookie = ok
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let dash = site.get_with("/newsroom/", &[("Cookie", &cookie)]).await;
    assert!(dash.body.contains("Ada Admin") && dash.body.contains("Administrator"));
    // Used: the link is gone, and no new one is needed.
    assert_eq!(site.get(&link).await.status, 410);
    assert!(
        masthead_web::newsroom::setup_link_if_needed(&site.state)
            .await
            .unwrap()
            .is_none()
    );
    // An expired link does not work either.
    let secret = auth::new_secret().unwrap();
    site.store
        .create_link(
            LinkPurpose::Setup,
            &auth::hash_secret(&secret),
            None,
            site.clock.now() + Duration::hours(1),
        )
        .await
        .unwrap();
    site.clock.advance(Duration::hours(2));
    assert_eq!(
        site.get(&format!("/newsroom/setup/{secret}")).await.status,
        410
    );
}

async fn changing_the_password_and_signing_out_everywhere_end_sessions(db: TestDb) {
    let site = TestSite::empty(db).await;
    add_user(&site, "author@example.org", Role::Author).await;
    let laptop = sign_in(&site, "author@example.org", PASSWORD)
        .await
        .unwrap();
    let phone = sign_in(&site, "author@example.org", PASSWORD)
        .await
        .unwrap();
    let origin = site.origin();
    let account = site
        .get_with("/newsroom/account", &[("Cookie", &laptop)])
        .await;
    assert_eq!(count(&account.body, "<tr><td>"), 2, "two sessions listed");

    let wrong = site
        .post_form(
            "/newsroom/account/password",
            &[
                ("current", "not it"),
                ("new_password", "another long passphrase"),
            ],
            &[("Origin", &origin), ("Cookie", &laptop)],
        )
        .await;
    assert_eq!(wrong.status, 400);
    let changed = site
        .post_form(
            "/newsroom/account/password",
            &[
                ("current", PASSWORD),
                ("new_password", "another long passphrase"),
            ],
            &[("Origin", &origin), ("Cookie", &laptop)],
        )
        .await;
    assert_eq!(changed.status, 303);
    let fresh = changed
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        site.get_with("/newsroom/", &[("Cookie", &phone)])
            .await
            .status,
        303
    );
    assert_eq!(
        site.get_with("/newsroom/", &[("Cookie", &laptop)])
            .await
            .status,
        303
    );
    assert_eq!(
        site.get_with("/newsroom/", &[("Cookie", &fresh)])
            .await
            .status,
        200
    );
    assert!(
        sign_in(&site, "author@example.org", PASSWORD)
            .await
            .is_none()
    );
    let other = sign_in(&site, "author@example.org", "another long passphrase")
        .await
        .unwrap();

    let out = site
        .post_form(
            "/newsroom/account/sessions/end-all",
            &[],
            &[("Origin", &origin), ("Cookie", &fresh)],
        )
        .await;
    assert_eq!(out.status, 303);
    for c in [&fresh, &other] {
        assert_eq!(
            site.get_with("/newsroom/", &[("Cookie", c)]).await.status,
            303
        );
    }
    // Signing out ends the session on the server, not just in the browser.
    let again = sign_in(&site, "author@example.org", "another long passphrase")
        .await
        .unwrap();
    let bye = site
        .post_form(
            "/newsroom/logout",
            &[],
            &[("Origin", &origin), ("Cookie", &again)],
        )
        .await;
    assert_eq!(bye.status, 303);
    assert!(bye.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert_eq!(
        site.get_with("/newsroom/", &[("Cookie", &again)])
            .await
            .status,
        303
    );
}

async fn sessions_end_when_idle_and_at_their_absolute_limit(db: TestDb) {
    let site = TestSite::empty(db).await;
    add_user(&site, "contributor@example.org", Role::Contributor).await;
    let rules = site.state.settings().sessions;
    let c = sign_in(&site, "contributor@example.org", PASSWORD)
        .await
        .unwrap();
    site.clock.advance(rules.idle - Duration::minutes(5));
    assert_eq!(
        site.get_with("/newsroom/", &[("Cookie", &c)]).await.status,
        200
    );
    // Used just now, so idle counts from here; but the absolute limit still holds.
    let mut used = rules.idle - Duration::minutes(5);
    while used + rules.idle / 2 < rules.absolute {
        site.clock.advance(rules.idle / 2);
        used += rules.idle / 2;
        assert_eq!(
            site.get_with("/newsroom/", &[("Cookie", &c)]).await.status,
            200,
            "active after {used}"
        );
    }
    site.clock.advance(rules.idle / 2);
    assert_eq!(
        site.get_with("/newsroom/", &[("Cookie", &c)]).await.status,
        303
    );

    let idle = sign_in(&site, "contributor@example.org", PASSWORD)
        .await
        .unwrap();
    site.clock.advance(rules.idle + Duration::minutes(1));
    assert_eq!(
        site.get_with("/newsroom/", &[("Cookie", &idle)])
            .await
            .status,
        303
    );
}

async fn api_tokens_carry_their_accounts_role_narrowed_by_scope(db: TestDb) {
    let site = TestSite::empty(db).await;
    let id = add_user(&site, "editor@example.org", Role::Editor).await;
    let token = format!("{}{}", auth::TOKEN_PREFIX, auth::new_secret().unwrap());
    let token_id = site
        .store
        .create_token(
            id,
            "script",
            &auth::hash_secret(&token),
            TokenScope::Write,
            Some(site.clock.now() + Duration::days(1)),
        )
        .await
        .unwrap();
    let me = site.request("GET", "/api/v1/me", Some(&token)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["email"], "editor@example.org");
    assert_eq!(me.json()["role"], "editor");
    assert!(!me.body.contains(&token) && !me.body.contains("hash"));
    let tokens = site.store.tokens_of(id).await.unwrap();
    assert!(tokens[0].last_used_at.is_some(), "last use is shown");
    // A wrong or malformed token is not let in.
    assert_eq!(
        site.request("GET", "/api/v1/me", Some("mh_wrong"))
            .await
            .status,
        401
    );
    assert_eq!(
        site.request("GET", "/api/v1/me", Some("bearer-junk"))
            .await
            .status,
        401
    );
    // Expired.
    site.clock.advance(Duration::days(2));
    assert_eq!(
        site.request("GET", "/api/v1/me", Some(&token)).await.status,
        401
    );
    site.clock.advance(-Duration::days(2));
    // Revoked through the API itself (a write), which is audited.
    let gone = site
        .request(
            "DELETE",
            &format!("/api/v1/me/tokens/{token_id}"),
            Some(&token),
        )
        .await;
    assert_eq!(gone.status, 204);
    assert_eq!(
        site.request("GET", "/api/v1/me", Some(&token)).await.status,
        401
    );
    let log = site
        .store
        .audit_entries(&Default::default(), 10, 0)
        .await
        .unwrap();
    assert!(log.iter().any(|e| e.action == "used write token"));
    // A disabled account's tokens stop working.
    let other = format!("{}{}", auth::TOKEN_PREFIX, auth::new_secret().unwrap());
    site.store
        .create_token(
            id,
            "other",
            &auth::hash_secret(&other),
            TokenScope::Read,
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        site.request("GET", "/api/v1/me", Some(&other)).await.status,
        200
    );
    site.store.set_disabled(id, true).await.unwrap();
    assert_eq!(
        site.request("GET", "/api/v1/me", Some(&other)).await.status,
        401
    );
}

/// The first `http://…` link in a delivered message that contains `path`.
fn link_in(mail: &str, path: &str) -> String {
    mail.split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .find(|w| w.starts_with("http://") && w.contains(path))
        .unwrap_or_else(|| panic!("no {path} link in: {mail}"))
        .to_owned()
}

async fn invitations_and_password_resets_arrive_by_mail(db: TestDb) {
    let site = TestSite::empty(db).await;
    add_user(&site, "admin@example.org", Role::Administrator).await;
    let admin = sign_in(&site, "admin@example.org", PASSWORD).await.unwrap();
    let origin = site.origin();
    let people = site
        .get_with("/newsroom/users", &[("Cookie", &admin)])
        .await;
    assert!(
        people.body.contains("no SMTP server is configured"),
        "the newsroom says where mail goes"
    );
    let bad = site
        .post_form(
            "/newsroom/users/invite",
            &[
                ("name", "Eve Editor"),
                ("email", "not-an-address"),
                ("role", "editor"),
            ],
            &[("Origin", &origin), ("Cookie", &admin)],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("value=\"Eve Editor\""),
        "what was typed is kept"
    );
    let invited = site
        .post_form(
            "/newsroom/users/invite",
            &[
                ("name", "Eve Editor"),
                ("email", "Eve@Example.org"),
                ("role", "editor"),
            ],
            &[("Origin", &origin), ("Cookie", &admin)],
        )
        .await;
    assert_eq!(invited.status, 303, "{}", invited.body);
    let mail = site.delivered_mail(1).await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0].contains("To: eve@example.org"));
    assert!(mail[0].contains("Subject: You are invited to the The Test Courier newsroom"));
    assert!(
        mail[0].contains("Content-Type: text/html"),
        "plain text and HTML"
    );
    let link = link_in(&mail[0], "/newsroom/invitation/");
    let path = link.trim_start_matches(&origin).to_owned();
    assert!(site.page(&path).await.contains("Choose the password"));
    let weak = site
        .post_form(&path, &[("password", "eve editor")], &[("Origin", &origin)])
        .await;
    assert_eq!(weak.status, 400);
    let set = site
        .post_form(&path, &[("password", PASSWORD)], &[("Origin", &origin)])
        .await;
    assert_eq!(set.status, 303);
    assert_eq!(
        set.header("location"),
        Some("/newsroom/login?done=password-set")
    );
    assert_eq!(site.get(&path).await.status, 410, "single use");
    let eve = sign_in(&site, "eve@example.org", PASSWORD).await.unwrap();
    let dash = site.get_with("/newsroom/", &[("Cookie", &eve)]).await;
    assert!(dash.body.contains("Editor"));

    // Forgot password: the same answer for a known and an unknown address, mail only
    // for the known one.
    // Sent straight to the server with a forged Host: the link must still be ours.
    let known = site
        .post_form(
            "/newsroom/forgot",
            &[("email", "eve@example.org")],
            &[("Host", "evil.example")],
        )
        .await;
    let unknown = site
        .post_form(
            "/newsroom/forgot",
            &[("email", "ghost@example.org")],
            &[("Origin", &origin)],
        )
        .await;
    assert_eq!(known.status, 200);
    assert_eq!(known.body, unknown.body);
    let mail = site.delivered_mail(2).await;
    assert_eq!(mail.len(), 2);
    assert!(mail[1].contains("To: eve@example.org") && mail[1].contains("new password"));
    assert!(
        !mail[1].contains("evil.example"),
        "links use the configured site URL"
    );
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        site.delivered_mail(2).await.len(),
        2,
        "nothing for the unknown address"
    );
    let reset = link_in(&mail[1], "/newsroom/reset/")
        .trim_start_matches(&origin)
        .to_owned();
    let done = site
        .post_form(
            &reset,
            &[("password", "a brand new passphrase")],
            &[("Origin", &origin)],
        )
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(
        site.get_with("/newsroom/", &[("Cookie", &eve)])
            .await
            .status,
        303,
        "signed out"
    );
    assert!(sign_in(&site, "eve@example.org", PASSWORD).await.is_none());
    assert!(
        sign_in(&site, "eve@example.org", "a brand new passphrase")
            .await
            .is_some()
    );
    // A reset link expires.
    let again = site
        .post_form(
            "/newsroom/forgot",
            &[("email", "eve@example.org")],
            &[("Origin", &origin)],
        )
        .await;
    assert_eq!(again.status, 200);
    let mail = site.delivered_mail(3).await;
    let late = link_in(&mail[2], "/newsroom/reset/")
        .trim_start_matches(&origin)
        .to_owned();
    site.clock
        .advance(site.state.settings().reset_lifetime + Duration::minutes(1));
    assert_eq!(site.get(&late).await.status, 410);

    // An administrator disables and re-enables; the audit log has it all, and no secret.
    let eve_id = site
        .store
        .user_by_email("eve@example.org")
        .await
        .unwrap()
        .unwrap()
        .id;
    let off = site
        .post_form(
            &format!("/newsroom/users/{eve_id}/disable"),
            &[],
            &[("Origin", &origin), ("Cookie", &admin)],
        )
        .await;
    assert_eq!(off.status, 303);
    assert!(
        sign_in(&site, "eve@example.org", "a brand new passphrase")
            .await
            .is_none()
    );
    let audit = site
        .get_with("/newsroom/audit", &[("Cookie", &admin)])
        .await;
    for action in [
        "invited",
        "accepted invitation",
        "reset password by link",
        "disabled account",
    ] {
        assert!(audit.body.contains(action), "{action} is in the audit log");
    }
    let link_secret = path.rsplit('/').next().unwrap();
    assert!(!audit.body.contains(link_secret) && !audit.body.contains(PASSWORD));
    let filtered = site
        .get_with("/newsroom/audit?action=invited", &[("Cookie", &admin)])
        .await;
    assert!(!filtered.body.contains("<td>disabled account</td>"));
}

async fn tokens_and_roles_are_managed_in_the_newsroom(db: TestDb) {
    let site = TestSite::empty(db).await;
    let admin_id = add_user(&site, "admin@example.org", Role::Administrator).await;
    let author_id = add_user(&site, "author@example.org", Role::Author).await;
    let origin = site.origin();
    let author = sign_in(&site, "author@example.org", PASSWORD)
        .await
        .unwrap();
    let bad = site
        .post_form(
            "/newsroom/account/tokens",
            &[
                ("label", "script"),
                ("scope", "write"),
                ("expires_days", "0"),
            ],
            &[("Origin", &origin), ("Cookie", &author)],
        )
        .await;
    assert_eq!(bad.status, 400);
    let made = site
        .post_form(
            "/newsroom/account/tokens",
            &[
                ("label", "script"),
                ("scope", "write"),
                ("expires_days", "30"),
            ],
            &[("Origin", &origin), ("Cookie", &author)],
        )
        .await;
    assert_eq!(made.status, 200);
    let token = common::between(&made.body, "<code class=\"token\">", "</code>")
        .unwrap()
        .to_owned();
    assert!(token.starts_with("mh_"));
    let me = site.request("GET", "/api/v1/me", Some(&token)).await;
    assert_eq!(me.json()["role"], "author");
    assert_eq!(me.json()["scope"], "write");
    // Shown once: the account page lists it without the secret.
    let later = site
        .get_with("/newsroom/account", &[("Cookie", &author)])
        .await;
    assert!(later.body.contains("<td>script</td>") && !later.body.contains(&token));
    let id = site.store.tokens_of(author_id).await.unwrap()[0].id;
    let revoked = site
        .post_form(
            &format!("/newsroom/account/tokens/{id}/revoke"),
            &[],
            &[("Origin", &origin), ("Cookie", &author)],
        )
        .await;
    assert_eq!(revoked.status, 303);
    assert_eq!(
        site.request("GET", "/api/v1/me", Some(&token)).await.status,
        401
    );

    // Roles: an administrator changes someone else's, never their own.
    let admin = sign_in(&site, "admin@example.org", PASSWORD).await.unwrap();
    let promoted = site
        .post_form(
            &format!("/newsroom/users/{author_id}/role"),
            &[("role", "editor")],
            &[("Origin", &origin), ("Cookie", &admin)],
        )
        .await;
    assert_eq!(promoted.status, 303);
    let now = site.store.user(author_id).await.unwrap().unwrap();
    assert_eq!(now.role, Role::Editor);
    let own = site
        .post_form(
            &format!("/newsroom/users/{admin_id}/role"),
            &[("role", "contributor")],
            &[("Origin", &origin), ("Cookie", &admin)],
        )
        .await;
    assert_eq!(own.status, 400);
    let log = site
        .store
        .audit_entries(&Default::default(), 50, 0)
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "changed role" && e.target.contains("author → editor"))
    );
    assert!(log.iter().any(|e| e.action == "created token"));
    assert!(log.iter().any(|e| e.action == "revoked token"));
    assert!(log.iter().all(|e| !format!("{e:?}").contains(&token)));
}

async fn two_factor_sign_in_with_codes_and_recovery_codes(db: TestDb) {
    use masthead_core::totp;
    let site = TestSite::empty(db).await;
    add_user(&site, "editor@example.org", Role::Editor).await;
    let origin = site.origin();
    let cookie = sign_in(&site, "editor@example.org", PASSWORD)
        .await
        .unwrap();
    let post = |path: &'static str, form: Vec<(&'static str, String)>, cookie: String| {
        let origin = origin.clone();
        let site = &site;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            site.post_form(path, &form, &[("Origin", &origin), ("Cookie", &cookie)])
                .await
        }
    };
    let setup = post("/newsroom/account/2fa/setup", vec![], cookie.clone()).await;
    assert_eq!(setup.status, 200);
    let secret: String = common::between(&setup.body, "<code class=\"totp-secret\">", "</code>")
        .unwrap()
        .split_whitespace()
        .collect();
    let key = totp::base32_decode(&secret).unwrap();
    assert_eq!(key.len(), 20);
    let code_now = || {
        format!(
            "{:06}",
            totp::code_at(&key, totp::step_of(site.clock.now()))
        )
    };
    let wrong = post(
        "/newsroom/account/2fa/enable",
        vec![("code", "000000".into())],
        cookie.clone(),
    )
    .await;
    assert_eq!(wrong.status, 400);
    let on = post(
        "/newsroom/account/2fa/enable",
        vec![("code", code_now())],
        cookie.clone(),
    )
    .await;
    assert_eq!(on.status, 200);
    let recovery: Vec<String> = on
        .body
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split("</code>").next().unwrap().to_owned())
        .collect();
    assert_eq!(recovery.len(), 10);

    // The password alone is no longer enough.
    let half = site
        .post_form(
            "/newsroom/login",
            &[
                ("email", "editor@example.org"),
                ("password", PASSWORD),
                ("next", "/newsroom/account"),
            ],
            &[("Origin", &origin)],
        )
        .await;
    assert_eq!(half.status, 200);
    assert!(half.body.contains("six-digit code"));
    let pending = half
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert!(pending.starts_with("masthead_2fa="));
    assert!(
        !half
            .headers
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("masthead_session="))
    );
    // The code used to turn it on cannot be replayed.
    let replay = post(
        "/newsroom/login/2fa",
        vec![("code", code_now())],
        pending.clone(),
    )
    .await;
    assert_eq!(replay.status, 401);
    site.clock.advance(Duration::seconds(30));
    let ok = post(
        "/newsroom/login/2fa",
        vec![("code", code_now()), ("next", "/newsroom/account".into())],
        pending.clone(),
    )
    .await;
    assert_eq!(ok.status, 303);
    assert_eq!(ok.header("location"), Some("/newsroom/account"));
    let session = ok
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        site.get_with("/newsroom/", &[("Cookie", &session)])
            .await
            .status,
        200
    );
    // The half-done sign-in is used up.
    let again = post("/newsroom/login/2fa", vec![("code", code_now())], pending).await;
    assert_eq!(again.status, 303);
    assert_eq!(again.header("location"), Some("/newsroom/login"));

    // A recovery code works once.
    for (attempt, want) in [(1, 303), (2, 401)] {
        let half = site
            .post_form(
                "/newsroom/login",
                &[("email", "editor@example.org"), ("password", PASSWORD)],
                &[("Origin", &origin)],
            )
            .await;
        let pending = half
            .header("set-cookie")
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let r = post(
            "/newsroom/login/2fa",
            vec![("code", recovery[0].to_uppercase())],
            pending,
        )
        .await;
        assert_eq!(r.status, want, "recovery attempt {attempt}");
    }
    let account = site
        .get_with("/newsroom/account", &[("Cookie", &session)])
        .await;
    assert!(account.body.contains("Recovery codes left: 9"));
    // Turning it off needs the password.
    let no = post(
        "/newsroom/account/2fa/disable",
        vec![("password", "wrong one".into())],
        session.clone(),
    )
    .await;
    assert_eq!(no.status, 400);
    let off = post(
        "/newsroom/account/2fa/disable",
        vec![("password", PASSWORD.into())],
        session,
    )
    .await;
    assert_eq!(off.status, 303);
    assert!(
        sign_in(&site, "editor@example.org", PASSWORD)
            .await
            .is_some()
    );
    let log = site
        .store
        .audit_entries(&Default::default(), 100, 0)
        .await
        .unwrap();
    for action in [
        "turned on two-factor",
        "second factor failed",
        "turned off two-factor",
    ] {
        assert!(log.iter().any(|e| e.action == action), "{action}");
    }
    assert!(log.iter().all(|e| !format!("{e:?}").contains(&secret)));
}

async fn two_factor_can_be_required_for_editors_and_administrators(db: TestDb) {
    use masthead_core::totp;
    let site = TestSite::empty(db).await;
    add_user(&site, "admin@example.org", Role::Administrator).await;
    add_user(&site, "editor@example.org", Role::Editor).await;
    add_user(&site, "author@example.org", Role::Author).await;
    let origin = site.origin();
    let admin = sign_in(&site, "admin@example.org", PASSWORD).await.unwrap();
    let editor = sign_in(&site, "editor@example.org", PASSWORD)
        .await
        .unwrap();
    let author = sign_in(&site, "author@example.org", PASSWORD)
        .await
        .unwrap();
    let on = site
        .post_form(
            "/newsroom/settings/two-factor",
            &[("required", "on")],
            &[("Origin", &origin), ("Cookie", &admin)],
        )
        .await;
    assert_eq!(on.status, 303);
    // Editors and administrators without it are sent to set it up; authors are not.
    for c in [&editor, &admin] {
        let r = site.get_with("/newsroom/", &[("Cookie", c)]).await;
        assert_eq!(r.status, 303);
        assert_eq!(
            r.header("location"),
            Some("/newsroom/account?done=2fa-required")
        );
        let account = site
            .get_with("/newsroom/account?done=2fa-required", &[("Cookie", c)])
            .await;
        assert_eq!(account.status, 200);
        assert!(account.body.contains("requires two-factor sign-in"));
    }
    assert_eq!(
        site.get_with("/newsroom/", &[("Cookie", &author)])
            .await
            .status,
        200
    );
    let blocked = site
        .post_form(
            "/newsroom/settings/two-factor",
            &[("required", "off")],
            &[("Origin", &origin), ("Cookie", &admin)],
        )
        .await;
    assert_eq!(
        blocked.status, 403,
        "not even the setting, until two-factor is on"
    );
    // The editor turns it on and gets in.
    let setup = site
        .post_form(
            "/newsroom/account/2fa/setup",
            &[],
            &[("Origin", &origin), ("Cookie", &editor)],
        )
        .await;
    let secret: String = common::between(&setup.body, "<code class=\"totp-secret\">", "</code>")
        .unwrap()
        .split_whitespace()
        .collect();
    let key = totp::base32_decode(&secret).unwrap();
    let code = format!(
        "{:06}",
        totp::code_at(&key, totp::step_of(site.clock.now()))
    );
    let enabled = site
        .post_form(
            "/newsroom/account/2fa/enable",
            &[("code", &code)],
            &[("Origin", &origin), ("Cookie", &editor)],
        )
        .await;
    assert_eq!(enabled.status, 200);
    assert_eq!(
        site.get_with("/newsroom/", &[("Cookie", &editor)])
            .await
            .status,
        200
    );
    let log = site
        .store
        .audit_entries(&Default::default(), 50, 0)
        .await
        .unwrap();
    assert!(log.iter().any(|e| e.action == "changed setting"));
}
