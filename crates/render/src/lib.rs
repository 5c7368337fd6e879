//! Masthead's rendering: article bodies (Markdown, HTML or plain text) to sanitised
//! HTML, plain-text extraction for excerpts, and themes.

pub mod avatar;
pub mod comment;
pub mod markup;
pub mod text;
pub mod theme;

pub use markup::{Rendered, render_body};
pub use theme::{Theme, ThemeError};
