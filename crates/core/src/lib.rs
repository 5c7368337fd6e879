//! Masthead's domain: the types every other crate speaks, and the rules that decide
//! what is allowed. Nothing here does IO, so every rule is tested in microseconds.

pub mod article;
pub mod clock;
pub mod excerpt;
pub mod paging;
pub mod slug;

pub use article::{ArticleStatus, BodyFormat};
pub use clock::{Clock, FakeClock, SystemClock};
