//! What an editor says about an image — alt text, caption, credit, licence, focal point —
//! kept with the image by the integrator. None of it comes from the file: uploads lose all
//! embedded metadata.

use serde::{Deserialize, Serialize};

use crate::FocalPoint;

/// Longest alt text, in characters: screen readers read it in one breath; longer
/// descriptions belong in the caption.
pub const MAX_ALT_CHARS: usize = 300;
pub const MAX_CAPTION_CHARS: usize = 2000;
pub const MAX_CREDIT_CHARS: usize = 200;
pub const MAX_LICENCE_CHARS: usize = 200;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageMetadata {
    /// Describes the image for people who cannot see it. Required unless `decorative`.
    pub alt: String,
    /// Marks an image that adds nothing to the text (a divider, a texture): it gets
    /// `alt=""` so screen readers skip it. Must be chosen explicitly.
    pub decorative: bool,
    pub caption: String,
    /// Who made it: "Photo: Jane Doe / Agency".
    pub credit: String,
    /// Terms of use: "CC BY 4.0", "All rights reserved", a licence URL.
    pub licence: String,
    pub focal: FocalPoint,
}

/// One problem with the metadata; `field()` names the form field to show it beside.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("describe the image in the alt text, or mark it as decorative")]
    AltMissing,
    #[error("a decorative image has no alt text; remove the text or untick decorative")]
    AltOnDecorative,
    #[error("the {field} can be at most {max} characters long; it is {len}")]
    TooLong {
        field: &'static str,
        max: usize,
        len: usize,
    },
    #[error("the {field} cannot contain control characters")]
    ControlCharacters { field: &'static str },
}

impl MetadataError {
    pub fn field(&self) -> &'static str {
        match self {
            Self::AltMissing | Self::AltOnDecorative => "alt",
            Self::TooLong { field, .. } | Self::ControlCharacters { field } => field,
        }
    }
}

impl ImageMetadata {
    /// Every problem at once, so a form can show them all. The focal point is always in
    /// range: `FocalPoint` cannot be built otherwise.
    pub fn validate(&self) -> Result<(), Vec<MetadataError>> {
        let mut problems = Vec::new();
        match (self.alt.trim().is_empty(), self.decorative) {
            (true, false) => problems.push(MetadataError::AltMissing),
            (false, true) => problems.push(MetadataError::AltOnDecorative),
            _ => {}
        }
        let fields = [
            ("alt", &self.alt, MAX_ALT_CHARS, false),
            ("caption", &self.caption, MAX_CAPTION_CHARS, true),
            ("credit", &self.credit, MAX_CREDIT_CHARS, false),
            ("licence", &self.licence, MAX_LICENCE_CHARS, false),
        ];
        for (field, value, max, multiline) in fields {
            let len = value.chars().count();
            if len > max {
                problems.push(MetadataError::TooLong { field, max, len });
            }
            let control = |c: char| c.is_control() && !(multiline && c == '\n');
            if value.chars().any(control) {
                problems.push(MetadataError::ControlCharacters { field });
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The `alt` attribute's value: empty for a decorative image.
    pub fn alt_attribute(&self) -> &str {
        if self.decorative { "" } else { self.alt.trim() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn described(alt: &str) -> ImageMetadata {
        ImageMetadata {
            alt: alt.into(),
            ..ImageMetadata::default()
        }
    }

    #[test]
    fn alt_text_is_required_unless_marked_decorative() {
        assert_eq!(
            described("").validate(),
            Err(vec![MetadataError::AltMissing])
        );
        assert_eq!(
            described("   ").validate(),
            Err(vec![MetadataError::AltMissing])
        );
        assert_eq!(
            described("A lifeboat leaving the harbour").validate(),
            Ok(())
        );
        let decorative = ImageMetadata {
            decorative: true,
            ..ImageMetadata::default()
        };
        assert_eq!(decorative.validate(), Ok(()));
        assert_eq!(decorative.alt_attribute(), "");
    }

    #[test]
    fn decorative_images_carry_no_alt_text() {
        let both = ImageMetadata {
            alt: "A divider".into(),
            decorative: true,
            ..ImageMetadata::default()
        };
        assert_eq!(both.validate(), Err(vec![MetadataError::AltOnDecorative]));
    }

    #[test]
    fn lengths_count_characters_and_every_problem_is_reported() {
        let meta = ImageMetadata {
            alt: "é".repeat(MAX_ALT_CHARS),
            caption: "x".repeat(MAX_CAPTION_CHARS + 1),
            credit: "Photo:\tJane".into(),
            licence: "l".repeat(MAX_LICENCE_CHARS + 5),
            ..ImageMetadata::default()
        };
        let problems = meta.validate().unwrap_err();
        let fields: Vec<_> = problems.iter().map(MetadataError::field).collect();
        assert_eq!(fields, ["caption", "credit", "licence"]);
        assert_eq!(
            problems[0].to_string(),
            "the caption can be at most 2000 characters long; it is 2001"
        );
    }

    #[test]
    fn captions_may_have_line_breaks() {
        let meta = ImageMetadata {
            caption: "First line\nsecond line".into(),
            ..described("A boat")
        };
        assert_eq!(meta.validate(), Ok(()));
    }

    #[test]
    fn it_round_trips_through_json_for_storage() {
        let meta = ImageMetadata {
            focal: FocalPoint::new(0.2, 0.8).unwrap(),
            ..described("A boat")
        };
        let json = serde_json::to_string(&meta).unwrap();
        assert_eq!(serde_json::from_str::<ImageMetadata>(&json).unwrap(), meta);
    }
}
