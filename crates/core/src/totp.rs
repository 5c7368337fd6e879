//! Time-based one-time passwords (RFC 6238): the six-digit codes authenticator apps
//! show, for two-factor sign-in. Pure functions of a secret and a time.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// A code is valid for this many seconds.
pub const STEP_SECONDS: i64 = 30;
/// Digits in a code.
pub const DIGITS: u32 = 6;

/// The time step `t` falls in.
pub fn step_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(STEP_SECONDS)
}

/// The code for `step` (RFC 4226's HOTP with the step as the counter).
pub fn code_at(secret: &[u8], step: i64) -> u32 {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        return 0;
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    value % 10u32.pow(DIGITS)
}

/// Checks a typed code at time `t`, allowing one step either side for a clock that
/// drifts. Returns the step it matched, so the caller can refuse the same code twice
/// (`last_used`: the step of the last code accepted for this account).
pub fn verify(secret: &[u8], typed: &str, t: DateTime<Utc>, last_used: Option<i64>) -> Option<i64> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != DIGITS as usize || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code: u32 = digits.parse().ok()?;
    let now = step_of(t);
    (now - 1..=now + 1)
        .filter(|s| last_used.is_none_or(|used| *s > used))
        .find(|s| code_at(secret, *s) == code)
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Base32 without padding (RFC 4648), the form authenticator apps take secrets in.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Reads base32 (any case, spaces and padding ignored); `None` for anything else.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let upper = c.to_ascii_uppercase();
        let value = ALPHABET.iter().position(|a| char::from(*a) == upper)?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The `otpauth://` URI an authenticator app reads (typed in, or from a QR code).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        base32_encode(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
    }

    /// RFC 6238 appendix B (SHA-1), last six digits.
    #[test]
    fn codes_match_the_rfc_test_vectors() {
        for (t, code) in [
            (59, 287_082),
            (1_111_111_109, 81_804),
            (1_111_111_111, 50_471),
            (1_234_567_890, 5_924),
            (2_000_000_000, 279_037),
        ] {
            assert_eq!(code_at(RFC_SECRET, step_of(at(t))), code, "t = {t}");
        }
    }

    #[test]
    fn a_code_is_accepted_within_one_step_and_only_once() {
        let t = at(1_234_567_890);
        let code = format!("{:06}", code_at(RFC_SECRET, step_of(t)));
        assert_eq!(code, "005924");
        let step = verify(RFC_SECRET, &code, t, None);
        assert_eq!(step, Some(step_of(t)));
        assert_eq!(
            verify(RFC_SECRET, "005 924", at(1_234_567_890 + 30), None),
            step
        );
        assert_eq!(
            verify(RFC_SECRET, &code, at(1_234_567_890 + 90), None),
            None
        );
        assert_eq!(verify(RFC_SECRET, &code, t, step), None, "no reuse");
        assert_eq!(verify(RFC_SECRET, "12345", t, None), None);
        assert_eq!(verify(RFC_SECRET, "abcdef", t, None), None);
    }

    #[test]
    fn base32_round_trips_and_matches_the_rfc() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(
            base32_decode("mzxw 6ytb oi======"),
            Some(b"foobar".to_vec())
        );
        assert_eq!(base32_decode("not base32!"), None);
        let secret = [
            7u8, 200, 3, 99, 255, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
        ];
        assert_eq!(
            base32_decode(&base32_encode(&secret)),
            Some(secret.to_vec())
        );
        let uri = otpauth_uri("The Courier", "ann@example.org", &secret);
        assert!(uri.starts_with("otpauth://totp/The%20Courier:ann%40example.org?secret="));
    }
}
