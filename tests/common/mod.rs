//! Shared harness for the HTTP and binary tests: a real server on a free port over a
//! real database (SQLite file or PostgreSQL), and a client that does not follow redirects.
#![expect(
    clippy::unwrap_used,
    reason = "tests: a failed unwrap is a failed test"
)]
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

use masthead_core::FakeClock;
use masthead_render::Theme;
use masthead_store::Store;
use masthead_testkit::TestDb;
use masthead_web::{AppState, SiteSettings};
use std::time::Duration;

/// The password every test account gets.
pub const PASSWORD: &str = "a long and unusual passphrase";
pub const COST: masthead_web::auth::HashCost = masthead_web::auth::HashCost {
    memory_kib: 256,
    iterations: 1,
};

pub async fn add_user(site: &TestSite, email: &str, role: masthead_core::Role) -> i64 {
    site.store
        .create_user(&masthead_store::NewUser {
            email: email.into(),
            name: format!("{role} person"),
            role,
            password_hash: Some(masthead_web::auth::hash_password(PASSWORD, COST).unwrap()),
        })
        .await
        .unwrap()
}

/// Two sections, City and Business, for tests that write articles into them.
pub async fn seed_sections(site: &TestSite) {
    for (slug, name) in [("city", "City"), ("business", "Business")] {
        site.store
            .upsert_section(&masthead_store::NewSection {
                slug: slug.into(),
                name: name.into(),
                description: String::new(),
                parent_slug: None,
            })
            .await
            .unwrap();
    }
}

/// Signs in through the form; returns the `Cookie` header value for the new session.
pub async fn sign_in(site: &TestSite, email: &str, password: &str) -> Option<String> {
    let r = site
        .post_form(
            "/newsroom/login",
            &[("email", email), ("password", password), ("next", "")],
            &[("Origin", &site.origin())],
        )
        .await;
    if r.status != 303 {
        return None;
    }
    let set = r.header("set-cookie").unwrap();
    Some(set.split(';').next().unwrap().to_owned())
}

pub struct TestSite {
    pub base: String,
    /// Where mail is delivered (no SMTP server in these tests).
    pub mail_dir: tempfile::TempDir,
    /// Where uploaded images go.
    pub media_dir: tempfile::TempDir,
    pub store: Store,
    pub clock: FakeClock,
    pub db: TestDb,
    pub state: AppState,
    client: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
}

pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

/// Sends a request; a transport failure fails the test with `what`.
async fn send(req: reqwest::RequestBuilder, what: String) -> Resp {
    let res = req.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
    Resp {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body: res.text().await.unwrap(),
    }
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub struct Options {
    pub demo: bool,
    pub cache: bool,
    pub per_page: u32,
    /// Deliver through this SMTP server instead of into `mail_dir`.
    pub smtp: Option<masthead_web::mail::SmtpSettings>,
    /// Proxies whose `X-Forwarded-For` counts.
    pub trusted_proxies: Vec<masthead_web::client::AddressBlock>,
    /// Any other setting a test needs changed.
    pub adjust: fn(&mut SiteSettings),
}

impl Default for Options {
    fn default() -> Self {
        Self {
            demo: true,
            cache: true,
            per_page: 10,
            smtp: None,
            trusted_proxies: Vec::new(),
            adjust: |_| {},
        }
    }
}

impl TestSite {
    pub async fn start(db: TestDb, opts: Options) -> Self {
        let t = db.store().await;
        let mail_dir = tempfile::tempdir().unwrap();
        let media_dir = tempfile::tempdir().unwrap();
        if opts.demo {
            masthead_demo::seed(&t.store).await.unwrap();
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut settings = SiteSettings {
            site_url: format!("http://{addr}"),
            title: "The Test Courier".to_owned(),
            tagline: "Tested daily".to_owned(),
            // Real argon2id, at a cost that keeps tests quick.
            hash_cost: masthead_web::auth::HashCost {
                memory_kib: 256,
                iterations: 1,
            },
            sign_in_step: Duration::from_millis(1),
            mail: masthead_web::mail::MailSettings {
                folder: mail_dir.path().to_owned(),
                smtp: opts.smtp.clone(),
                poll: Duration::from_millis(50),
                ..Default::default()
            },
            sign_in_max_delay: Duration::from_millis(5),
            per_page: opts.per_page,
            page_cache: opts.cache,
            // The scheduler reads the fake clock; a short poll lets it see a moved clock soon.
            schedule_poll: Duration::from_millis(20),
            media_dir: media_dir.path().to_owned(),
            trusted_proxies: opts.trusted_proxies.clone(),
            comment_digest_delay: Duration::from_secs(3600),
            ..SiteSettings::default()
        };
        (opts.adjust)(&mut settings);
        let limits = settings.connections.clone();
        let state = AppState::new(t.store.clone(), Theme::load(None).unwrap(), settings);
        state.catch_up().await;
        let background = state.spawn_background();
        let app = masthead_web::router(state.clone());
        let server = tokio::spawn(async move {
            let _background = background;
            // The server loop `serve` runs, limits and all.
            masthead_web::server::serve(listener, app, limits, std::future::pending()).await;
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        Self {
            base: format!("http://{addr}"),
            mail_dir,
            media_dir,
            store: t.store,
            clock: t.clock,
            db,
            state,
            client,
            server,
        }
    }

    /// A site with no demo content, for tests that write exactly what they check.
    pub async fn empty(db: TestDb) -> Self {
        Self::start(
            db,
            Options {
                demo: false,
                ..Default::default()
            },
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.get_with(path, &[]).await
    }

    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = self.client.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        send(req, format!("GET {path}")).await
    }

    /// POSTs a form; `headers` may add an Origin, a Cookie and so on.
    pub async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self.client.post(format!("{}{path}", self.base)).form(form);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        send(req, format!("POST {path}")).await
    }

    /// Any method, with an optional `Authorization: Bearer` token.
    pub async fn request(&self, method: &str, path: &str, token: Option<&str>) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        send(req, path.to_owned()).await
    }

    /// Sends a JSON body (or none) with a token and extra headers.
    pub async fn send_json(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<&serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(b);
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        send(req, path.to_owned()).await
    }

    /// Sends `raw` as a JSON body, whatever it holds.
    pub async fn client_raw(&self, method: &str, path: &str, token: &str, raw: &str) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        send(
            self.client
                .request(method, format!("{}{path}", self.base))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(raw.to_owned()),
            path.to_owned(),
        )
        .await
    }

    /// A fresh API token for `user_id` with `scope`.
    pub async fn token_for(&self, user_id: i64, scope: masthead_core::TokenScope) -> String {
        let auth = masthead_web::auth::TOKEN_PREFIX;
        let token = format!("{auth}{}", masthead_web::auth::new_secret().unwrap());
        self.store
            .create_token(
                user_id,
                "test",
                &masthead_web::auth::hash_secret(&token),
                scope,
                None,
            )
            .await
            .unwrap();
        token
    }

    /// Waits (up to 10 s) until `n` messages have been delivered; returns them all,
    /// oldest first, with quoted-printable line breaks undone.
    pub async fn delivered_mail(&self, n: usize) -> Vec<String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let mut files: Vec<_> = std::fs::read_dir(self.mail_dir.path())
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .collect();
            files.sort();
            if files.len() >= n || std::time::Instant::now() > deadline {
                return files
                    .iter()
                    .map(|f| {
                        std::fs::read_to_string(f)
                            .unwrap()
                            .replace("=\r\n", "")
                            .replace("=3D", "=")
                    })
                    .collect();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits (up to 5 s) until the change-log follower has read every change so far:
    /// after that, the cache generation holds still until something is written.
    pub async fn settle(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !self.state.caught_up().await && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.discovery_ready().await;
    }

    /// Waits for the search index and related stories to be filled after the start.
    pub async fn discovery_ready(&self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !self.state.discovery_ready() {
            assert!(
                std::time::Instant::now() < deadline,
                "search and related stories were not ready within 30 s"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// This site's origin, as a browser on one of its pages would send it.
    pub fn origin(&self) -> String {
        self.base.clone()
    }

    /// GET that must answer 200; returns the body.
    pub async fn page(&self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(
            r.status,
            200,
            "GET {path} answered {}: {}",
            r.status,
            &r.body[..r.body.len().min(400)]
        );
        r.body
    }
}

impl Drop for TestSite {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Writes one `#[tokio::test]` per backend for each `async fn(TestDb)`.
#[macro_export]
macro_rules! http_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(masthead_testkit::TestDb::sqlite()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = masthead_testkit::TestDb::postgres().await else { return };
                    super::$name(db).await;
                }
            )*
        }
    };
}

/// A signed-in newsroom account.
pub struct Person {
    pub cookie: String,
    pub id: i64,
}

/// A new account with `role`, signed in.
pub async fn person(site: &TestSite, role: masthead_core::Role, email: &str) -> Person {
    let id = add_user(site, email, role).await;
    Person {
        cookie: sign_in(site, email, PASSWORD).await.unwrap(),
        id,
    }
}

/// GET as `who`.
pub async fn get(site: &TestSite, who: &Person, path: &str) -> Resp {
    site.get_with(path, &[("Cookie", &who.cookie)]).await
}

/// POSTs a form as `who`, from one of the site's own pages.
pub async fn post(site: &TestSite, who: &Person, path: &str, form: &[(&str, &str)]) -> Resp {
    let origin = site.origin();
    site.post_form(path, form, &[("Cookie", &who.cookie), ("Origin", &origin)])
        .await
}

/// The id in a `/newsroom/articles/{id}/edit…` location.
pub fn edited_id(location: &str) -> i64 {
    location
        .trim_start_matches("/newsroom/articles/")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The value of the hidden `version` field in an editor page.
pub fn version_in(page: &str) -> String {
    let at = page.find(r#"name="version" value=""#).unwrap() + r#"name="version" value=""#.len();
    page[at..].split('"').next().unwrap().to_owned()
}

/// Saves an article straight into the store; returns its id and its address.
pub async fn save(site: &TestSite, a: &masthead_store::NewArticle) -> (i64, String) {
    let id = site.store.save_article(a).await.unwrap().id;
    (id, path_of(site, id).await)
}

/// A published article's address.
pub async fn path_of(site: &TestSite, id: i64) -> String {
    site.store
        .article(id)
        .await
        .unwrap()
        .unwrap()
        .summary
        .path()
        .unwrap()
}

/// Text between the first `start` and the next `end` after it.
pub fn between<'a>(s: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(&s[i..j])
}

/// How often `needle` occurs in `hay`.
pub fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}
