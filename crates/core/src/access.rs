//! Who may do what in the newsroom and through the API: WordPress's four roles, which
//! newsrooms already know, and one capability check every route goes through.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A newsroom account's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including accounts and settings.
    Administrator,
    /// All articles and pages, sections and tags, media, comment moderation.
    Editor,
    /// Writes, publishes, edits and trashes their own articles; uploads media.
    Author,
    /// Writes and edits their own drafts and submits them for review.
    Contributor,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Administrator,
        Role::Editor,
        Role::Author,
        Role::Contributor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Editor => "editor",
            Role::Author => "author",
            Role::Contributor => "contributor",
        }
    }

    /// The name people read.
    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "Administrator",
            Role::Editor => "Editor",
            Role::Author => "Author",
            Role::Contributor => "Contributor",
        }
    }

    /// Whether this role holds `cap`.
    pub fn can(self, cap: Capability) -> bool {
        use Capability::*;
        match self {
            Role::Administrator => true,
            Role::Editor => !matches!(cap, ManageUsers | ManageSettings | ViewAudit),
            Role::Author => matches!(
                cap,
                UseNewsroom
                    | ManageOwnAccount
                    | WriteArticles
                    | EditOwnPublished
                    | PublishOwn
                    | TrashOwn
                    | UploadMedia
            ),
            Role::Contributor => matches!(cap, UseNewsroom | ManageOwnAccount | WriteArticles),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a role (administrator, editor, author or contributor)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// What an action needs. Every newsroom route and every API write names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// See the newsroom at all: every active account.
    UseNewsroom,
    /// One's own password, sessions, two-factor login and tokens.
    ManageOwnAccount,
    /// Create articles and edit one's own drafts.
    WriteArticles,
    /// Edit one's own articles after publication.
    EditOwnPublished,
    /// Publish or schedule one's own articles.
    PublishOwn,
    /// Trash one's own articles.
    TrashOwn,
    /// Edit, publish and trash anyone's articles.
    EditOthers,
    /// Static pages.
    ManagePages,
    /// Sections and tags.
    ManageTaxonomy,
    UploadMedia,
    ModerateComments,
    /// Accounts, invitations, roles, password resets.
    ManageUsers,
    ManageSettings,
    /// Read the audit log.
    ViewAudit,
}

impl Capability {
    /// Whether using it changes something (a read-scoped token may only read).
    pub fn writes(self) -> bool {
        !matches!(self, Capability::UseNewsroom | Capability::ViewAudit)
    }
}

/// How a request proves who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A signed-in browser session: the account's full role.
    Session,
    /// An API token with its scope.
    Token(TokenScope),
}

/// What an API token may do on top of its user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    Read,
    Write,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
        }
    }
}

impl FromStr for TokenScope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "read" => Ok(TokenScope::Read),
            "write" => Ok(TokenScope::Write),
            other => Err(format!("\"{other}\" is not a token scope (read or write)")),
        }
    }
}

/// The answer to "may this request do that?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Nobody is signed in: send them to the login (or answer 401).
    SignInFirst,
    /// Signed in, but the role or the token's scope does not allow it: 403.
    Forbidden,
}

/// The one capability check: `who` is the signed-in account's role and how it proved
/// itself, or `None` for an anonymous request.
pub fn decide(who: Option<(Role, Credential)>, needs: Capability) -> Decision {
    match who {
        None => Decision::SignInFirst,
        Some((role, credential)) => {
            let scope_allows = match credential {
                Credential::Session | Credential::Token(TokenScope::Write) => true,
                Credential::Token(TokenScope::Read) => !needs.writes(),
            };
            if scope_allows && role.can(needs) {
                Decision::Allowed
            } else {
                Decision::Forbidden
            }
        }
    }
}

/// How long to wait before answering a sign-in attempt after `failures` recent failed
/// ones for the same account or address: a growing delay, capped, never a lock-out
/// (a lock-out would let a stranger keep an editor out).
pub fn sign_in_delay(
    failures: i64,
    step: std::time::Duration,
    max: std::time::Duration,
) -> std::time::Duration {
    let n = u32::try_from(failures.max(0)).unwrap_or(u32::MAX);
    step.saturating_mul(n).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Capability::*;

    /// The matrix, written out the way a newsroom would describe it.
    #[test]
    fn roles_hold_wordpress_capabilities() {
        let table: [(Capability, [bool; 4]); 14] = [
            //                 admin  editor author contributor
            (UseNewsroom, [true, true, true, true]),
            (ManageOwnAccount, [true, true, true, true]),
            (WriteArticles, [true, true, true, true]),
            (EditOwnPublished, [true, true, true, false]),
            (PublishOwn, [true, true, true, false]),
            (TrashOwn, [true, true, true, false]),
            (EditOthers, [true, true, false, false]),
            (ManagePages, [true, true, false, false]),
            (ManageTaxonomy, [true, true, false, false]),
            (UploadMedia, [true, true, true, false]),
            (ModerateComments, [true, true, false, false]),
            (ManageUsers, [true, false, false, false]),
            (ManageSettings, [true, false, false, false]),
            (ViewAudit, [true, false, false, false]),
        ];
        for (cap, expected) in table {
            for (role, want) in Role::ALL.into_iter().zip(expected) {
                assert_eq!(role.can(cap), want, "{role} {cap:?}");
            }
        }
    }

    #[test]
    fn read_tokens_only_read_and_anonymous_must_sign_in() {
        let admin_read = Some((Role::Administrator, Credential::Token(TokenScope::Read)));
        assert_eq!(decide(admin_read, ViewAudit), Decision::Allowed);
        assert_eq!(decide(admin_read, WriteArticles), Decision::Forbidden);
        let author_write = Some((Role::Author, Credential::Token(TokenScope::Write)));
        assert_eq!(decide(author_write, PublishOwn), Decision::Allowed);
        assert_eq!(decide(author_write, EditOthers), Decision::Forbidden);
        assert_eq!(decide(None, UseNewsroom), Decision::SignInFirst);
    }

    #[test]
    fn sign_in_delays_grow_with_failures_and_stop_at_the_cap() {
        use std::time::Duration;
        let (step, max) = (Duration::from_millis(500), Duration::from_secs(10));
        assert_eq!(sign_in_delay(0, step, max), Duration::ZERO);
        assert_eq!(sign_in_delay(3, step, max), Duration::from_millis(1500));
        assert_eq!(sign_in_delay(1_000_000, step, max), max);
        assert_eq!(sign_in_delay(-4, step, max), Duration::ZERO);
    }

    #[test]
    fn role_names_parse_in_any_case() {
        assert_eq!("Editor".parse::<Role>(), Ok(Role::Editor));
        assert!("owner".parse::<Role>().is_err());
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
    }
}
