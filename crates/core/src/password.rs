//! The password rule: long enough, not a known common password, not the account's own
//! name or address. Hashing lives with the store's callers; this only judges.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Fewer characters than this is refused.
pub const MIN_CHARS: usize = 10;
/// More bytes than this is refused: hashing a megabyte on every login attempt would be
/// a way to tie the server up.
pub const MAX_BYTES: usize = 1024;

/// Why a password was refused, in words for the person choosing it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("Use at least {MIN_CHARS} characters.")]
    TooShort,
    #[error("Use at most {MAX_BYTES} characters.")]
    TooLong,
    #[error("That password is among the most common ones; choose another.")]
    Common,
    #[error("Do not use your name or email address as the password.")]
    Personal,
}

/// Judges `password` for an account whose name and email are in `personal`.
pub fn check(password: &str, personal: &[&str]) -> Result<(), PasswordProblem> {
    if password.len() > MAX_BYTES {
        return Err(PasswordProblem::TooLong);
    }
    if password.chars().count() < MIN_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    let lower = password.to_lowercase();
    let mut distinct = lower.chars().collect::<Vec<_>>();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() <= 2 || common().contains(lower.as_str()) {
        return Err(PasswordProblem::Common);
    }
    for p in personal {
        let p = p.trim().to_lowercase();
        let local = p.split('@').next().unwrap_or_default();
        if !p.is_empty() && (lower == p || (local.len() >= 4 && lower.contains(local))) {
            return Err(PasswordProblem::Personal);
        }
    }
    Ok(())
}

fn common() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../data/common-passwords.txt")
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_common_and_personal_passwords_are_refused() {
        assert_eq!(check("short", &[]), Err(PasswordProblem::TooShort));
        assert_eq!(check("ninechars", &[]), Err(PasswordProblem::TooShort));
        assert_eq!(check("Password123", &[]), Err(PasswordProblem::Common));
        assert_eq!(check("qwertyuiop", &[]), Err(PasswordProblem::Common));
        assert_eq!(check("aaaaaaaaaaaa", &[]), Err(PasswordProblem::Common));
        assert_eq!(
            check(
                "maria.lopez-2026",
                &["Maria Lopez", "maria.lopez@example.org"]
            ),
            Err(PasswordProblem::Personal)
        );
        assert_eq!(check(&"x".repeat(2000), &[]), Err(PasswordProblem::TooLong));
        assert_eq!(
            check("correct horse battery", &["Ann", "ann@example.org"]),
            Ok(())
        );
        // Ten characters, counted as characters rather than bytes.
        assert_eq!(check("ünïcödé-ok", &[]), Ok(()));
    }

    #[test]
    fn the_common_list_is_loaded() {
        assert!(common().len() > 1000);
        assert!(common().iter().all(|p| p.chars().count() >= MIN_CHARS));
    }
}
