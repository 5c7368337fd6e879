//! Masthead's domain: the types every other crate speaks, and the rules that decide
//! what is allowed. Nothing here does IO, so every rule is tested in microseconds.

pub mod access;
pub mod article;
pub mod clock;
pub mod comment;
pub mod diff;
pub mod excerpt;
pub mod front;
pub mod paging;
pub mod password;
pub mod redirect;
pub mod slug;
pub mod totp;
pub mod workflow;

pub use access::{Capability, Credential, Decision, Role, TokenScope};
pub use article::{ArticleLabel, ArticleStatus, BodyFormat, CorrectionKind};
pub use clock::{Clock, FakeClock, SystemClock};
