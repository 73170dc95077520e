//! Wound photos in the chart. The photo itself is an attachment the vault
//! keeps by its content hash; the chart holds an entry that names it, says
//! when it was taken and which wound it shows, and may link the DESIGN-R
//! assessment made with it. The entry syncs as any other; the photo's bytes
//! do not travel inside the chart.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{EntryId, EntryMeta, Timestamp, ValidationError, ValidationErrors};

/// The media types a photo may have.
pub const PHOTO_MEDIA_TYPES: [&str; 2] = ["image/jpeg", "image/png"];

/// The longest wound name, in characters.
const MAX_WOUND_CHARS: usize = 60;

/// A photo as the chart records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoInput {
    /// SHA-256 of the photo as the vault keeps it, in lower-case hex: the
    /// attachment's identity on every device.
    pub attachment: String,
    /// `image/jpeg` or `image/png`.
    pub media_type: String,
    pub width: u32,
    pub height: u32,
    /// The photo's size in bytes.
    pub size: u64,
    /// When it was taken (or chosen, when the file does not say).
    pub taken_at: Timestamp,
    /// The wound it shows, named as in its DESIGN-R assessments (仙骨部).
    pub wound: Option<String>,
    /// The DESIGN-R assessment made with it, an entry of the same chart.
    pub assessment: Option<EntryId>,
}

impl PhotoInput {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let hex = self.attachment.len() == 64
            && self
                .attachment
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !hex {
            errors.push(ValidationError::new(
                "attachment",
                "malformed",
                "an attachment is named by its SHA-256 in 64 lower-case hex digits",
            ));
        }
        if !PHOTO_MEDIA_TYPES.contains(&self.media_type.as_str()) {
            errors.push(ValidationError::new(
                "media_type",
                "not_allowed",
                format!("a photo is {}", PHOTO_MEDIA_TYPES.join(" or ")),
            ));
        }
        if self.width == 0 || self.height == 0 || self.size == 0 {
            errors.push(ValidationError::new(
                "size",
                "out_of_range",
                "a photo has a width, a height and bytes",
            ));
        }
        if let Some(error) = self.wound.as_deref().and_then(wound_problem) {
            errors.push(error);
        }
        errors.into_result()
    }
}

fn wound_problem(wound: &str) -> Option<ValidationError> {
    let chars = wound.chars().count();
    if wound.trim().is_empty() || wound.trim() != wound {
        Some(ValidationError::new(
            "wound",
            "malformed",
            "name the wound (its site) without spaces around it, e.g. 仙骨部, or leave it out",
        ))
    } else if chars > MAX_WOUND_CHARS {
        Some(ValidationError::new(
            "wound",
            "too_long",
            format!("a wound's name is at most {MAX_WOUND_CHARS} characters"),
        ))
    } else {
        None
    }
}

/// A photo entry of a chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Photo {
    pub meta: EntryMeta,
    #[serde(flatten)]
    pub input: PhotoInput,
}

/// The photos of a chart grouped by wound, each wound's photos oldest
/// first, so they can be shown side by side over time; photos of no named
/// wound come last, under `None`. Voided photos are left out.
pub fn photos_by_wound(photos: &[Photo]) -> Vec<(Option<String>, Vec<Photo>)> {
    let mut groups: Vec<(Option<String>, Vec<Photo>)> = Vec::new();
    let mut standing: Vec<&Photo> = photos
        .iter()
        .filter(|p| p.meta.entered_in_error.is_none())
        .collect();
    standing.sort_by(|a, b| (a.input.taken_at, &a.meta.id).cmp(&(b.input.taken_at, &b.meta.id)));
    for photo in standing {
        match groups.iter_mut().find(|(w, _)| *w == photo.input.wound) {
            Some((_, list)) => list.push(photo.clone()),
            None => groups.push((photo.input.wound.clone(), vec![photo.clone()])),
        }
    }
    groups.sort_by_key(|(wound, _)| wound.is_none());
    groups
}

/// A photo file as a user hands it in, with what the chart should say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoUpload {
    /// The file's bytes (base64 on the wire).
    pub file: Base64Bytes,
    /// When it was taken; now if not given.
    pub taken_at: Option<Timestamp>,
    pub wound: Option<String>,
    /// A DESIGN-R assessment of this chart; its wound is taken when no
    /// wound is named.
    pub assessment: Option<EntryId>,
}

impl PhotoUpload {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        match self.wound.as_deref().and_then(wound_problem) {
            Some(error) => Err(ValidationErrors(vec![error])),
            None => Ok(()),
        }
    }
}

/// Which picture of a photo to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoSize {
    /// The small JPEG for lists and side-by-side views.
    Thumbnail,
    /// The photo as it was stored.
    Full,
}

/// A picture of a photo, fetched from the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoImage {
    pub media_type: String,
    pub data: Base64Bytes,
}

/// Bytes that travel as one base64 string (standard alphabet, padded).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Base64Bytes(pub Vec<u8>);

impl std::fmt::Debug for Base64Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Base64Bytes({} bytes)", self.0.len())
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

impl Base64Bytes {
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.0.len().div_ceil(3) * 4);
        for chunk in self.0.chunks(3) {
            let n = (u32::from(chunk[0]) << 16)
                | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
                | u32::from(*chunk.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    pub fn decode(text: &str) -> Result<Base64Bytes, ValidationError> {
        let malformed =
            || ValidationError::new("file", "malformed", "the file is not valid base64");
        let bytes = text.as_bytes();
        if !bytes.len().is_multiple_of(4) {
            return Err(malformed());
        }
        let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
        for (index, chunk) in bytes.chunks(4).enumerate() {
            let last = index + 1 == bytes.len() / 4;
            let padding = chunk.iter().rev().take_while(|b| **b == b'=').count();
            if padding > 2 || (padding > 0 && !last) {
                return Err(malformed());
            }
            let mut n = 0u32;
            for &b in &chunk[..4 - padding] {
                let value = ALPHABET
                    .iter()
                    .position(|a| *a == b)
                    .ok_or_else(malformed)?;
                n = (n << 6) | value as u32;
            }
            n <<= 6 * padding as u32;
            let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&decoded[..3 - padding]);
        }
        Ok(Base64Bytes(out))
    }
}

impl Serialize for Base64Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.encode())
    }
}

impl<'de> Deserialize<'de> for Base64Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Base64Bytes::decode(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Author, EntryMeta};
    use proptest::prelude::*;

    #[test]
    fn base64_is_the_usual_one() {
        for (bytes, text) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foobar", "Zm9vYmFy"),
            (&[0xFF, 0xD8, 0xFF], "/9j/"),
        ] {
            assert_eq!(Base64Bytes(bytes.to_vec()).encode(), text);
            assert_eq!(Base64Bytes::decode(text).unwrap().0, bytes);
        }
        for bad in ["Zg=", "Z===", "Zg==Zg==", "Zm9*", "Zm9v\n"] {
            assert!(Base64Bytes::decode(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn base64_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let encoded = Base64Bytes(bytes.clone()).encode();
            prop_assert_eq!(Base64Bytes::decode(&encoded).unwrap().0, bytes);
        }

        #[test]
        fn base64_decoding_never_panics(text in "[A-Za-z0-9+/=*]{0,40}") {
            let _ = Base64Bytes::decode(&text);
        }
    }

    fn input() -> PhotoInput {
        PhotoInput {
            attachment: "ab".repeat(32),
            media_type: "image/jpeg".into(),
            width: 4032,
            height: 3024,
            size: 4_000_000,
            taken_at: Timestamp(1_795_564_800_000),
            wound: Some("仙骨部".into()),
            assessment: None,
        }
    }

    #[test]
    fn a_photo_entry_is_checked() {
        assert_eq!(input().validate(), Ok(()));
        let fields = |input: PhotoInput| -> Vec<String> {
            input
                .validate()
                .unwrap_err()
                .0
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        let bad = PhotoInput {
            attachment: "AB".repeat(32),
            media_type: "application/pdf".into(),
            width: 0,
            wound: Some(" ".into()),
            ..input()
        };
        assert_eq!(fields(bad), ["attachment", "media_type", "size", "wound"]);
        let long = PhotoInput {
            wound: Some("あ".repeat(61)),
            ..input()
        };
        assert_eq!(fields(long), ["wound"]);
    }

    #[test]
    fn photos_group_by_wound_oldest_first_with_unnamed_wounds_last() {
        let photo = |id: &str, at: i64, wound: Option<&str>| Photo {
            meta: EntryMeta {
                id: id.into(),
                recorded_by: Author {
                    user: "u".into(),
                    user_name: "佐藤".into(),
                    device: "d".into(),
                },
                recorded_at: Timestamp(at),
                entered_in_error: None,
            },
            input: PhotoInput {
                taken_at: Timestamp(at),
                wound: wound.map(str::to_owned),
                ..input()
            },
        };
        let groups = photos_by_wound(&[
            photo("c", 3, Some("仙骨部")),
            photo("n", 1, None),
            photo("a", 1, Some("仙骨部")),
            photo("h", 2, Some("右踵部")),
        ]);
        let shape: Vec<(Option<&str>, Vec<&str>)> = groups
            .iter()
            .map(|(w, list)| {
                (
                    w.as_deref(),
                    list.iter().map(|p| p.meta.id.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                (Some("仙骨部"), vec!["a", "c"]),
                (Some("右踵部"), vec!["h"]),
                (None, vec!["n"]),
            ]
        );
    }
}
