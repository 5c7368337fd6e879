//! What can go wrong while answering a reader, and how it is shown.

use masthead_store::StoreError;

/// A failed site request; rendered as a themed page with the right status.
#[derive(Debug)]
pub enum SiteError {
    NotFound,
    /// An article that was published and has been withdrawn.
    Gone,
    BadRequest(&'static str),
    /// A comment for a story that takes none (not published): said without showing it.
    CommentsClosed,
    /// A client asked too often (searches): said kindly, with when to come back.
    TooMany(&'static str),
    Internal(String),
}

impl From<StoreError> for SiteError {
    fn from(e: StoreError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<masthead_render::ThemeError> for SiteError {
    fn from(e: masthead_render::ThemeError) -> Self {
        Self::Internal(e.to_string())
    }
}
