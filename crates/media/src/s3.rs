//! Media files in an S3-compatible bucket, so several nodes share one media store: AWS S3,
//! or any server that speaks its API (MinIO, Ceph, Garage, R2, moto...).
//!
//! Plain HTTP requests signed with [Signature Version 4](crate::sigv4), one object per
//! key (`PREFIX/KEY`): `PUT` (atomic on S3: a reader sees the old object or the new
//! one), `GET`, `HEAD`, `DELETE` (idempotent). Each object is stored with the
//! `Content-Type` of its key's format. A missing object is `None`/`false`; every other
//! failure is a [`StorageError`] that says what the store answered (status, error code,
//! message) or why it could not be reached.
//!
//! Build one with [`S3Storage::new`] from an [`S3Config`], or from a setting string with
//! [`crate::storage_from_url`] (its documentation has the URL format). The bucket must
//! exist ([`S3Storage::create_bucket`] makes one, for tests and first setups).
//!
//! Credentials are read once, at construction; temporary credentials that expire
//! (`AWS_SESSION_TOKEN`) are not refreshed, and there are no automatic retries: a failed
//! request is the caller's error to report or retry.

use std::{fmt, time::Duration};

use reqwest::{Method, StatusCode, Url, header};

use crate::{
    OutputFormat,
    sigv4::{self, Credentials},
    storage::{MediaKey, MediaStorage, StorageConfigError, StorageError, StorageFuture},
};

/// The limit for connecting to the store.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The limit for one whole request, body included.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Longest part of an error body kept in a [`StorageError::Remote`] message.
const MAX_MESSAGE_CHARS: usize = 300;
/// Most of an error body read.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Where the bucket is and how to reach it.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// The server's base URL (`http://127.0.0.1:9000`); `None` for AWS in `region`
    /// (`https://s3.REGION.amazonaws.com`).
    pub endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    /// A folder inside the bucket (`site1` or `media/site1`), or empty.
    pub prefix: String,
    /// `ENDPOINT/BUCKET/KEY` when true; `BUCKET.ENDPOINT-HOST/KEY` (virtual-hosted) when
    /// false. Self-hosted servers usually need path style.
    pub path_style: bool,
    /// `None`: the standard `AWS_*` environment variables ([`Credentials::from_env`]).
    pub credentials: Option<Credentials>,
    pub connect_timeout: Duration,
    /// For one whole request, body included.
    pub timeout: Duration,
}

impl S3Config {
    /// `bucket` on AWS in `us-east-1`, virtual-hosted, no prefix, credentials from the
    /// environment, default timeouts.
    pub fn new(bucket: impl Into<String>) -> Self {
        Self {
            endpoint: None,
            region: "us-east-1".into(),
            bucket: bucket.into(),
            prefix: String::new(),
            path_style: false,
            credentials: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// A path-style bucket on an S3-compatible server at `endpoint`.
    pub fn compatible(endpoint: impl Into<String>, bucket: impl Into<String>) -> Self {
        Self {
            endpoint: Some(endpoint.into()),
            path_style: true,
            ..Self::new(bucket)
        }
    }
}

/// Media files in an S3 bucket. Cheap to clone (the HTTP client is shared).
#[derive(Debug, Clone)]
pub struct S3Storage {
    client: reqwest::Client,
    /// `scheme://host[:port]` that requests go to (with the bucket in the host when
    /// virtual-hosted).
    origin: String,
    /// The `Host` header the client sends for `origin`: it is signed.
    host: String,
    /// `/BUCKET` for path style, empty when virtual-hosted.
    bucket_path: String,
    /// Empty or `folder/`.
    prefix: String,
    bucket: String,
    region: String,
    credentials: Credentials,
    timeout: Duration,
}

impl S3Storage {
    /// Checks the configuration and builds the client. Sends nothing.
    pub fn new(config: S3Config) -> Result<Self, StorageConfigError> {
        let bucket = config.bucket;
        check_bucket(&bucket, config.path_style)?;
        let region = config.region.trim().to_owned();
        if region.is_empty()
            || !region
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(StorageConfigError::invalid(format!(
                "\"{region}\" is not an S3 region"
            )));
        }
        let endpoint = config
            .endpoint
            .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        let endpoint = Url::parse(&endpoint).map_err(|e| {
            StorageConfigError::invalid(format!("the S3 endpoint is not a URL: {e}"))
        })?;
        if !matches!(endpoint.scheme(), "http" | "https") {
            return Err(StorageConfigError::invalid(format!(
                "the S3 endpoint must start with http:// or https://, not {}://",
                endpoint.scheme()
            )));
        }
        if endpoint.path() != "/" || endpoint.query().is_some() || endpoint.fragment().is_some() {
            return Err(StorageConfigError::invalid(
                "the S3 endpoint must be a server's address alone, like http://127.0.0.1:9000, \
                 without a path or query",
            ));
        }
        if !endpoint.username().is_empty() || endpoint.password().is_some() {
            return Err(StorageConfigError::invalid(
                "the S3 endpoint must not hold credentials; put them in the s3:// URL or the \
                 AWS_* environment variables",
            ));
        }
        let host = match endpoint.host_str() {
            Some(host) if !host.is_empty() => host.to_owned(),
            _ => return Err(StorageConfigError::invalid("the S3 endpoint has no host")),
        };
        let is_ip = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok();
        if is_ip && !config.path_style {
            return Err(StorageConfigError::invalid(
                "virtual-hosted addressing needs a host name, not an IP address; use path \
                 style (path_style=true)",
            ));
        }
        let host = if config.path_style {
            host
        } else {
            format!("{bucket}.{host}")
        };
        let host = match endpoint.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        let prefix = normalise_prefix(&config.prefix)?;
        let credentials = match config.credentials {
            Some(credentials) => credentials,
            None => Credentials::from_env().ok_or_else(|| {
                StorageConfigError::invalid(
                    "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or put \
                     them in the s3:// URL",
                )
            })?,
        };
        if credentials.access_key_id.is_empty() || credentials.secret_access_key.is_empty() {
            return Err(StorageConfigError::invalid(
                "the S3 access key id and secret must not be empty",
            ));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(concat!("masthead/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                StorageConfigError::invalid(format!("the HTTP client could not be built: {e}"))
            })?;
        Ok(Self {
            client,
            origin: format!("{}://{host}", endpoint.scheme()),
            host,
            bucket_path: if config.path_style {
                format!("/{}", sigv4::uri_encode(&bucket, true))
            } else {
                String::new()
            },
            prefix,
            bucket,
            region,
            credentials,
            timeout: config.timeout,
        })
    }

    /// From an `s3://` setting: see [`crate::storage_from_url`] for the format.
    pub fn from_url(setting: &str) -> Result<Self, StorageConfigError> {
        // Errors never repeat the setting: it may hold a secret.
        let url = Url::parse(setting)
            .map_err(|e| StorageConfigError::invalid(format!("the s3:// URL is malformed: {e}")))?;
        if url.scheme() != "s3" {
            return Err(StorageConfigError::invalid(
                "an S3 media store URL starts with s3://",
            ));
        }
        let bucket = url.host_str().unwrap_or_default();
        if bucket.is_empty() {
            return Err(StorageConfigError::invalid(
                "the s3:// URL names no bucket: s3://BUCKET/PREFIX",
            ));
        }
        let mut config = S3Config::new(bucket);
        config.prefix = url.path().to_owned();
        config.region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .into_iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| "us-east-1".into());
        let mut path_style = None;
        for (name, value) in url.query_pairs() {
            match &*name {
                "endpoint" => config.endpoint = Some(value.into_owned()),
                "region" => config.region = value.into_owned(),
                "path_style" => {
                    path_style = Some(match &*value {
                        "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        _ => {
                            return Err(StorageConfigError::invalid(
                                "path_style must be true or false",
                            ));
                        }
                    });
                }
                "timeout_secs" => {
                    let secs: u64 = value.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                        StorageConfigError::invalid(
                            "timeout_secs must be a whole number of seconds",
                        )
                    })?;
                    config.timeout = Duration::from_secs(secs);
                }
                other => {
                    return Err(StorageConfigError::invalid(format!(
                        "unknown s3:// URL parameter \"{other}\"; known: endpoint, region, \
                         path_style, timeout_secs"
                    )));
                }
            }
        }
        config.path_style = path_style.unwrap_or(config.endpoint.is_some());
        if !url.username().is_empty() || url.password().is_some() {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8()
                    .map(|s| s.into_owned())
                    .map_err(|_| {
                        StorageConfigError::invalid(
                            "the credentials in the s3:// URL are not valid UTF-8",
                        )
                    })
            };
            let secret = url.password().ok_or_else(|| {
                StorageConfigError::invalid(
                    "the s3:// URL has an access key id but no secret: s3://KEY_ID:SECRET@BUCKET",
                )
            })?;
            let mut credentials = Credentials::new(decode(url.username())?, decode(secret)?);
            credentials.session_token = Credentials::from_env()
                .filter(|env| env.access_key_id == credentials.access_key_id)
                .and_then(|env| env.session_token);
            config.credentials = Some(credentials);
        }
        Self::new(config)
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Creates the bucket (in this storage's region); succeeds if this account owns it
    /// already. For tests and first setups: a site's bucket is usually made by whoever
    /// runs the store.
    pub async fn create_bucket(&self) -> Result<(), StorageError> {
        let path = if self.bucket_path.is_empty() {
            "/".to_owned()
        } else {
            self.bucket_path.clone()
        };
        let body = if self.region == "us-east-1" {
            None
        } else {
            let xml = format!(
                "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                 <LocationConstraint>{}</LocationConstraint></CreateBucketConfiguration>",
                self.region
            );
            Some((xml.into_bytes(), "application/xml"))
        };
        let target = format!("bucket {}", self.bucket);
        let response = self
            .send(Method::PUT, &path, body)
            .await
            .map_err(|e| self.unreachable("create", &target, e))?;
        if response.status().is_success() {
            return Ok(());
        }
        match self.remote_error("create", target, response).await {
            StorageError::Remote {
                code: Some(code), ..
            } if code == "BucketAlreadyOwnedByYou" => Ok(()),
            e => Err(e),
        }
    }

    fn target(&self, key: &MediaKey) -> String {
        format!("{}{key} in bucket {}", self.prefix, self.bucket)
    }

    fn object_path(&self, key: &MediaKey) -> String {
        let object = format!("{}{key}", self.prefix);
        format!("{}/{}", self.bucket_path, sigv4::uri_encode(&object, false))
    }

    /// Signs and sends one request. `body` is the payload and its `Content-Type`.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<(Vec<u8>, &str)>,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let payload_sha256 = match &body {
            Some((bytes, _)) => sigv4::sha256_hex(bytes),
            None => sigv4::EMPTY_SHA256.to_owned(),
        };
        let amz_date = sigv4::amz_date(chrono::Utc::now());
        let mut signed = vec![
            ("host", self.host.as_str()),
            ("x-amz-content-sha256", payload_sha256.as_str()),
            ("x-amz-date", amz_date.as_str()),
        ];
        if let Some(token) = &self.credentials.session_token {
            signed.push(("x-amz-security-token", token.as_str()));
        }
        let authorization = sigv4::authorization(
            &self.credentials,
            sigv4::Scope {
                region: &self.region,
                service: "s3",
                amz_date: &amz_date,
            },
            &sigv4::Request {
                method: method.as_str(),
                path,
                query: &[],
                headers: &signed,
                payload_sha256: &payload_sha256,
            },
        );
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.origin))
            .header(header::AUTHORIZATION, authorization);
        // `host` is set by the client from the URL, to the same value.
        for (name, value) in signed.iter().filter(|(name, _)| *name != "host") {
            request = request.header(*name, *value);
        }
        if let Some((bytes, content_type)) = body {
            request = request
                .header(header::CONTENT_TYPE, content_type)
                .body(bytes);
        }
        request.send().await
    }

    fn unreachable(&self, action: &'static str, target: &str, e: reqwest::Error) -> StorageError {
        let detail = if e.is_timeout() {
            format!(
                "{} did not answer within {} seconds",
                self.origin,
                self.timeout.as_secs_f32()
            )
        } else {
            let mut detail = format!("could not talk to {}", self.origin);
            let mut source: Option<&dyn std::error::Error> = Some(&e);
            while let Some(err) = source {
                let text = err.to_string();
                // reqwest's own line repeats the URL; its sources say what went wrong.
                if !text.starts_with("error sending request") {
                    detail.push_str(": ");
                    detail.push_str(&text);
                }
                source = err.source();
            }
            detail
        };
        StorageError::Unreachable {
            action,
            target: target.to_owned(),
            detail,
        }
    }

    async fn remote_error(
        &self,
        action: &'static str,
        target: String,
        mut response: reqwest::Response,
    ) -> StorageError {
        let status = response.status();
        let mut body = Vec::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            body.extend_from_slice(&chunk);
            if body.len() >= MAX_ERROR_BODY {
                break;
            }
        }
        let body = String::from_utf8_lossy(&body);
        let message = xml_field(&body, "Message")
            .or_else(|| status.canonical_reason().map(str::to_owned))
            .map(|m| truncate(&m));
        StorageError::Remote {
            action,
            target,
            status: status.as_u16(),
            code: xml_field(&body, "Code"),
            message,
        }
    }
}

impl MediaStorage for S3Storage {
    fn put<'a>(&'a self, key: &'a MediaKey, bytes: Vec<u8>) -> StorageFuture<'a, ()> {
        Box::pin(async move {
            let content_type = key
                .format()
                .map_or("application/octet-stream", OutputFormat::content_type);
            let response = self
                .send(
                    Method::PUT,
                    &self.object_path(key),
                    Some((bytes, content_type)),
                )
                .await
                .map_err(|e| self.unreachable("store", &self.target(key), e))?;
            if response.status().is_success() {
                Ok(())
            } else {
                Err(self.remote_error("store", self.target(key), response).await)
            }
        })
    }

    fn get<'a>(&'a self, key: &'a MediaKey) -> StorageFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let unreachable = |e| self.unreachable("read", &self.target(key), e);
            let response = self
                .send(Method::GET, &self.object_path(key), None)
                .await
                .map_err(unreachable)?;
            if response.status().is_success() {
                let bytes = response.bytes().await.map_err(unreachable)?;
                return Ok(Some(bytes.to_vec()));
            }
            let not_found = response.status() == StatusCode::NOT_FOUND;
            match self.remote_error("read", self.target(key), response).await {
                // A missing bucket is a broken setup, not a missing file.
                StorageError::Remote {
                    code: Some(code), ..
                } if not_found && code != "NoSuchBucket" => Ok(None),
                StorageError::Remote { code: None, .. } if not_found => Ok(None),
                e => Err(e),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a MediaKey) -> StorageFuture<'a, ()> {
        Box::pin(async move {
            let response = self
                .send(Method::DELETE, &self.object_path(key), None)
                .await
                .map_err(|e| self.unreachable("delete", &self.target(key), e))?;
            if response.status().is_success() {
                return Ok(());
            }
            // S3 answers 204 for a missing key; some compatible servers answer 404.
            let not_found = response.status() == StatusCode::NOT_FOUND;
            match self
                .remote_error("delete", self.target(key), response)
                .await
            {
                StorageError::Remote { code, .. }
                    if not_found && code.as_deref() != Some("NoSuchBucket") =>
                {
                    Ok(())
                }
                e => Err(e),
            }
        })
    }

    fn exists<'a>(&'a self, key: &'a MediaKey) -> StorageFuture<'a, bool> {
        Box::pin(async move {
            let response = self
                .send(Method::HEAD, &self.object_path(key), None)
                .await
                .map_err(|e| self.unreachable("look up", &self.target(key), e))?;
            match response.status() {
                status if status.is_success() => Ok(true),
                StatusCode::NOT_FOUND => Ok(false),
                _ => Err(self
                    .remote_error("look up", self.target(key), response)
                    .await),
            }
        })
    }
}

impl fmt::Display for S3Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}/{}", self.origin, self.bucket_path, self.prefix)
    }
}

/// Bucket names as S3 allows them; virtual-hosted ones must also be valid host names.
fn check_bucket(bucket: &str, path_style: bool) -> Result<(), StorageConfigError> {
    let valid = !bucket.is_empty()
        && bucket.len() <= 255
        && bucket
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !valid {
        return Err(StorageConfigError::invalid(format!(
            "\"{bucket}\" is not an S3 bucket name (letters, digits, dots, dashes)"
        )));
    }
    let host_safe = bucket.len() <= 63
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-'));
    if !path_style && !host_safe {
        return Err(StorageConfigError::invalid(format!(
            "bucket \"{bucket}\" cannot be addressed virtual-hosted (it is not a valid host \
             name); use path style (path_style=true)"
        )));
    }
    Ok(())
}

/// `/a/b/` or `a/b` → `a/b/`; empty → empty. Folder names of `A-Z a-z 0-9 . _ -`,
/// none `.` or `..`.
fn normalise_prefix(prefix: &str) -> Result<String, StorageConfigError> {
    let trimmed = prefix.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    for segment in trimmed.split('/') {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if segment.is_empty() || segment == "." || segment == ".." || !segment.chars().all(allowed)
        {
            return Err(StorageConfigError::invalid(format!(
                "the S3 key prefix \"{prefix}\" must be folder names of letters, digits, dots, \
                 dashes and underscores, separated by single slashes"
            )));
        }
    }
    Ok(format!("{trimmed}/"))
}

/// The text of the first `<name>…</name>` in an S3 error body, entities decoded.
fn xml_field(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = body.find(&open)? + open.len();
    let end = start + body.get(start..)?.find(&close)?;
    let text = body.get(start..end)?.trim();
    (!text.is_empty()).then(|| {
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&")
    })
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials() -> Option<Credentials> {
        Some(Credentials::new("AKIDEXAMPLE", "secret/with+signs"))
    }

    #[test]
    fn path_style_puts_the_bucket_in_the_path() {
        let mut config = S3Config::compatible("http://127.0.0.1:9000", "media");
        config.prefix = "/site1/".into();
        config.credentials = credentials();
        let s3 = S3Storage::new(config).unwrap();
        let key = MediaKey::parse("ab/abcd/w320.jpg").unwrap();
        assert_eq!(s3.origin, "http://127.0.0.1:9000");
        assert_eq!(s3.host, "127.0.0.1:9000");
        assert_eq!(s3.object_path(&key), "/media/site1/ab/abcd/w320.jpg");
        assert_eq!(s3.to_string(), "http://127.0.0.1:9000/media/site1/");
    }

    #[test]
    fn virtual_hosted_puts_the_bucket_in_the_host() {
        let mut config = S3Config::new("media.example");
        config.region = "eu-west-1".into();
        config.credentials = credentials();
        let s3 = S3Storage::new(config).unwrap();
        let key = MediaKey::parse("ab/w320.png").unwrap();
        assert_eq!(
            s3.origin,
            "https://media.example.s3.eu-west-1.amazonaws.com"
        );
        assert_eq!(s3.host, "media.example.s3.eu-west-1.amazonaws.com");
        assert_eq!(s3.object_path(&key), "/ab/w320.png");

        let mut config = S3Config::compatible("http://minio.internal:9000", "media");
        config.path_style = false;
        config.credentials = credentials();
        let s3 = S3Storage::new(config).unwrap();
        assert_eq!(s3.host, "media.minio.internal:9000");
    }

    #[test]
    fn bad_configurations_are_refused_with_a_reason() {
        let refused = |config: S3Config| S3Storage::new(config).unwrap_err().to_string();
        let with = |f: fn(&mut S3Config)| {
            let mut config = S3Config::compatible("http://127.0.0.1:9000", "media");
            config.credentials = credentials();
            f(&mut config);
            config
        };
        assert!(refused(with(|c| c.bucket = "a/b".into())).contains("not an S3 bucket name"));
        assert!(refused(with(|c| c.path_style = false)).contains("IP address"));
        assert!(refused(with(|c| c.endpoint = Some("ftp://x".into()))).contains("http://"));
        assert!(refused(with(|c| c.endpoint = Some("http://x/base".into()))).contains("path"));
        assert!(refused(with(|c| c.prefix = "a/../b".into())).contains("prefix"));
        assert!(refused(with(|c| c.prefix = "a//b".into())).contains("prefix"));
        assert!(refused(with(|c| c.region = "us east".into())).contains("region"));
        let upper = with(|c| {
            c.bucket = "Media_Files".into();
            c.endpoint = Some("http://minio.internal".into());
        });
        assert!(
            S3Storage::new(upper.clone()).is_ok(),
            "path style allows it"
        );
        let mut virtual_hosted = upper;
        virtual_hosted.path_style = false;
        assert!(refused(virtual_hosted).contains("virtual-hosted"));
    }

    #[test]
    fn urls_configure_everything() {
        let s3 = S3Storage::from_url(
            "s3://AKIDEXAMPLE:se%2Fcret%2Bkey@media/site1/images?endpoint=http://127.0.0.1:9000&region=eu-central-1&timeout_secs=5",
        )
        .unwrap();
        assert_eq!(s3.bucket(), "media");
        assert_eq!(s3.prefix, "site1/images/");
        assert_eq!(s3.region, "eu-central-1");
        assert_eq!(
            s3.bucket_path, "/media",
            "an endpoint defaults to path style"
        );
        assert_eq!(s3.origin, "http://127.0.0.1:9000");
        assert_eq!(s3.timeout, Duration::from_secs(5));
        assert_eq!(s3.credentials.access_key_id, "AKIDEXAMPLE");
        assert_eq!(s3.credentials.secret_access_key, "se/cret+key");

        let s3 = S3Storage::from_url(
            "s3://k:s@media?endpoint=https://minio.internal&path_style=false&region=us-east-1",
        )
        .unwrap();
        assert_eq!(s3.origin, "https://media.minio.internal");
        assert_eq!(s3.prefix, "");

        let s3 = S3Storage::from_url("s3://k:s@media?region=us-west-2").unwrap();
        assert_eq!(s3.origin, "https://media.s3.us-west-2.amazonaws.com");
    }

    #[test]
    fn bad_urls_are_refused_without_repeating_the_secret() {
        for (url, why) in [
            ("s3://k:topsecret@/prefix", "malformed"),
            ("s3:///prefix", "no bucket"),
            ("s3://k:topsecret@media?colour=blue", "unknown"),
            ("s3://k:topsecret@media?path_style=maybe", "path_style"),
            ("s3://k:topsecret@media?timeout_secs=0", "timeout_secs"),
            ("s3://k@media", "no secret"),
        ] {
            let error = S3Storage::from_url(url).unwrap_err().to_string();
            assert!(error.contains(why), "{url}: {error}");
            assert!(!error.contains("topsecret"), "{error}");
        }
    }

    #[test]
    fn error_bodies_give_their_code_and_message() {
        let body = r#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist &amp; never did</Message><BucketName>x</BucketName></Error>"#;
        assert_eq!(xml_field(body, "Code").as_deref(), Some("NoSuchBucket"));
        assert_eq!(
            xml_field(body, "Message").as_deref(),
            Some("The specified bucket does not exist & never did")
        );
        assert_eq!(xml_field(body, "Resource"), None);
        assert_eq!(xml_field("<Code></Code>", "Code"), None);
        assert_eq!(
            truncate(&"é".repeat(400)).chars().count(),
            MAX_MESSAGE_CHARS + 1
        );

        let error = StorageError::Remote {
            action: "store",
            target: "ab/x.jpg in bucket media".into(),
            status: 403,
            code: Some("SignatureDoesNotMatch".into()),
            message: Some("The request signature we calculated does not match".into()),
        };
        assert_eq!(
            error.to_string(),
            "media storage could not store ab/x.jpg in bucket media: the object store answered \
             403 (SignatureDoesNotMatch: The request signature we calculated does not match)"
        );
    }
}
