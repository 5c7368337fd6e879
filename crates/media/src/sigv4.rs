//! AWS Signature Version 4 for requests signed in the `Authorization` header: what S3 and
//! every S3-compatible server (MinIO, Ceph, R2, moto...) check. Small on purpose: the
//! canonical request, the string to sign, the derived key and the header, nothing else —
//! no presigned URLs, no chunked uploads.
//!
//! Tested against AWS's published examples (the "get-vanilla" cases of the SigV4 test
//! suite and the GET Object example of the S3 API reference) and, end to end, by moto's
//! server, which recomputes every signature with botocore.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The SHA-256 of an empty payload, as S3 wants it for a request without a body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// An access key. `Debug` never shows the secret or the session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// For temporary credentials (STS, instance roles): sent as `x-amz-security-token`.
    pub session_token: Option<String>,
}

impl Credentials {
    pub fn new(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: None,
        }
    }

    /// The standard `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and (optional)
    /// `AWS_SESSION_TOKEN`; `None` unless both of the first two are set and non-empty.
    pub fn from_env() -> Option<Self> {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        Some(Self {
            access_key_id: var("AWS_ACCESS_KEY_ID")?,
            secret_access_key: var("AWS_SECRET_ACCESS_KEY")?,
            session_token: var("AWS_SESSION_TOKEN"),
        })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// What is signed of one request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `GET`, `PUT`...
    pub method: &'a str,
    /// The path exactly as sent, already URI-encoded (see [`uri_encode`]); S3 paths are
    /// signed as they are, without removing dot segments or double slashes.
    pub path: &'a str,
    /// Query parameters, not encoded: they are encoded and sorted here.
    pub query: &'a [(&'a str, &'a str)],
    /// The headers to sign, with the values sent. Must include `host` and `x-amz-date`
    /// (and, for S3, `x-amz-content-sha256`). Names in any case.
    pub headers: &'a [(&'a str, &'a str)],
    /// Lower-case hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
    pub payload_sha256: &'a str,
}

/// Where and when a signature is valid.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub region: &'a str,
    /// `s3`, `iam`...
    pub service: &'a str,
    /// `YYYYMMDDTHHMMSSZ`, the same value as the `x-amz-date` header: see [`amz_date`].
    pub amz_date: &'a str,
}

/// `now` as `x-amz-date` wants it: `20150830T123600Z`.
pub fn amz_date(now: chrono::DateTime<chrono::Utc>) -> String {
    now.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The value of the `Authorization` header for `request`.
pub fn authorization(credentials: &Credentials, scope: Scope<'_>, request: &Request<'_>) -> String {
    let (signed_headers, signature) = signature(credentials, scope, request);
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={signed_headers}, Signature={signature}",
        credentials.access_key_id,
        credential_scope(scope),
    )
}

/// The signed header names (`host;x-amz-date`) and the hex signature.
fn signature(
    credentials: &Credentials,
    scope: Scope<'_>,
    request: &Request<'_>,
) -> (String, String) {
    let (canonical, signed_headers) = canonical_request(request);
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{}\n{}",
        scope.amz_date,
        credential_scope(scope),
        sha256_hex(canonical.as_bytes()),
    );
    let key = signing_key(&credentials.secret_access_key, scope);
    (signed_headers, hex(&hmac_sha256(&key, to_sign.as_bytes())))
}

fn date_of(scope: Scope<'_>) -> &str {
    scope.amz_date.get(..8).unwrap_or(scope.amz_date)
}

fn credential_scope(scope: Scope<'_>) -> String {
    format!(
        "{}/{}/{}/aws4_request",
        date_of(scope),
        scope.region,
        scope.service
    )
}

/// The canonical request and its `SignedHeaders` list.
fn canonical_request(request: &Request<'_>) -> (String, String) {
    let mut query: Vec<(String, String)> = request
        .query
        .iter()
        .map(|(k, v)| (uri_encode(k, true), uri_encode(v, true)))
        .collect();
    query.sort();
    let query = query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");

    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(name, value)| {
            let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
            (name.trim().to_ascii_lowercase(), value)
        })
        .collect();
    headers.sort();
    let canonical_headers: String = headers
        .iter()
        .map(|(name, value)| format!("{name}:{value}\n"))
        .collect();
    let signed_headers = headers
        .iter()
        .map(|(name, _)| name.as_str())
        .collect::<Vec<_>>()
        .join(";");

    let path = if request.path.is_empty() {
        "/"
    } else {
        request.path
    };
    let canonical = format!(
        "{}\n{path}\n{query}\n{canonical_headers}\n{signed_headers}\n{}",
        request.method, request.payload_sha256
    );
    (canonical, signed_headers)
}

fn signing_key(secret: &str, scope: Scope<'_>) -> Vec<u8> {
    let date = hmac_sha256(
        format!("AWS4{secret}").as_bytes(),
        date_of(scope).as_bytes(),
    );
    let region = hmac_sha256(&date, scope.region.as_bytes());
    let service = hmac_sha256(&region, scope.service.as_bytes());
    hmac_sha256(&service, b"aws4_request")
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length (a long one is hashed first), so this never fails;
    // the fallback keeps the function total without an unwrap.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// Lower-case hex SHA-256 of `bytes`, for `x-amz-content-sha256`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// SigV4's URI encoding: everything but `A-Z a-z 0-9 - . _ ~` as `%XX` (upper-case hex),
/// and `/` too unless `encode_slash` is false (for paths).
pub fn uri_encode(s: &str, encode_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b));
            }
            b'/' if !encode_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // The SigV4 test suite's credentials and scope (AWS General Reference, "Signature
    // Version 4 test suite"; the same files ship with AWS's own SDK tests, e.g. awscrt).
    const SUITE_DATE: &str = "20150830T123600Z";

    fn suite_credentials() -> Credentials {
        Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    }

    fn suite_scope() -> Scope<'static> {
        Scope {
            region: "us-east-1",
            service: "service",
            amz_date: SUITE_DATE,
        }
    }

    #[test]
    fn get_vanilla_matches_the_published_signature() {
        let request = Request {
            method: "GET",
            path: "/",
            query: &[],
            headers: &[
                ("Host", "example.amazonaws.com"),
                ("X-Amz-Date", SUITE_DATE),
            ],
            payload_sha256: EMPTY_SHA256,
        };
        assert_eq!(
            authorization(&suite_credentials(), suite_scope(), &request),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn get_vanilla_query_order_key_case_sorts_the_query() {
        // Given as `?Param2=value2&Param1=value1`; signed sorted.
        let request = Request {
            method: "GET",
            path: "/",
            query: &[("Param2", "value2"), ("Param1", "value1")],
            headers: &[
                ("Host", "example.amazonaws.com"),
                ("X-Amz-Date", SUITE_DATE),
            ],
            payload_sha256: EMPTY_SHA256,
        };
        let (signed, sig) = signature(&suite_credentials(), suite_scope(), &request);
        assert_eq!(signed, "host;x-amz-date");
        assert_eq!(
            sig,
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        );
    }

    #[test]
    fn s3_get_object_example_matches_the_published_signature() {
        // The S3 API reference's "Example: GET Object" (Authenticating Requests: Using the
        // Authorization Header), with its canonical request and signature.
        let request = Request {
            method: "GET",
            path: "/test.txt",
            query: &[],
            headers: &[
                ("Host", "examplebucket.s3.amazonaws.com"),
                ("Range", "bytes=0-9"),
                ("x-amz-content-sha256", EMPTY_SHA256),
                ("x-amz-date", "20130524T000000Z"),
            ],
            payload_sha256: EMPTY_SHA256,
        };
        let (canonical, _) = canonical_request(&request);
        assert_eq!(
            canonical,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n\
             x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(canonical.as_bytes()),
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
        );
        let credentials = Credentials::new(
            "AKIAIOSFODNN7EXAMPLE",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        );
        let scope = Scope {
            region: "us-east-1",
            service: "s3",
            amz_date: "20130524T000000Z",
        };
        assert_eq!(
            authorization(&credentials, scope, &request),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn uri_encoding_keeps_only_unreserved_characters() {
        assert_eq!(uri_encode("a-Z_0.~", true), "a-Z_0.~");
        assert_eq!(uri_encode("a b/c+d=é", true), "a%20b%2Fc%2Bd%3D%C3%A9");
        assert_eq!(uri_encode("/bucket/a b/c", false), "/bucket/a%20b/c");
    }

    #[test]
    fn debug_hides_the_secret() {
        let mut credentials = suite_credentials();
        credentials.session_token = Some("token-secret".into());
        let shown = format!("{credentials:?}");
        assert!(shown.contains("AKIDEXAMPLE"));
        assert!(!shown.contains("EXAMPLEKEY"));
        assert!(!shown.contains("token-secret"));
    }

    #[test]
    fn amz_date_is_compact_utc() {
        use chrono::TimeZone;
        let t = chrono::Utc
            .with_ymd_and_hms(2015, 8, 30, 12, 36, 0)
            .single();
        assert_eq!(t.map(amz_date).as_deref(), Some(SUITE_DATE));
    }
}
