//! Making identifiers, and finding a patient or entry from the id, or the
//! unique prefix of one, that a user typed.

use karte_types::{EntryId, Timestamp};

use crate::{ApiError, Entropy};

/// A new ULID string: time-ordered, 80 random bits.
pub fn new_ulid(at: Timestamp, entropy: &mut dyn Entropy) -> String {
    ulid::Ulid::from_parts(at.0.max(0) as u64, entropy.next_u128()).to_string()
}

pub fn new_entry_id(at: Timestamp, entropy: &mut dyn Entropy) -> EntryId {
    EntryId(new_ulid(at, entropy))
}

/// What kind of thing a lookup is for, to word its errors.
#[derive(Debug, Clone, Copy)]
pub enum Lookup {
    Patient,
    Entry,
    Review,
}

/// Finds the one candidate equal to `typed` or starting with it (ids are
/// compared without regard to case, as ULIDs are).
pub fn find_unique<'a, I>(kind: Lookup, typed: &str, candidates: I) -> Result<&'a str, ApiError>
where
    I: IntoIterator<Item = &'a str>,
{
    let typed_upper = typed.trim().to_ascii_uppercase();
    if typed_upper.is_empty() {
        return Err(ApiError::not_found(kind, typed));
    }
    let mut found = None;
    for candidate in candidates {
        let upper = candidate.to_ascii_uppercase();
        if upper == typed_upper {
            return Ok(candidate);
        }
        if upper.starts_with(&typed_upper) {
            if found.is_some() {
                return Err(ApiError::ambiguous(kind, typed));
            }
            found = Some(candidate);
        }
    }
    found.ok_or_else(|| ApiError::not_found(kind, typed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_find_one_or_say_why_not() {
        let ids = ["01JABC", "01JABD", "01KXYZ"];
        assert_eq!(find_unique(Lookup::Patient, "01k", ids).unwrap(), "01KXYZ");
        assert_eq!(
            find_unique(Lookup::Patient, "01JABC", ids).unwrap(),
            "01JABC"
        );
        assert_eq!(
            find_unique(Lookup::Patient, "01JAB", ids)
                .unwrap_err()
                .code(),
            "ambiguous_patient"
        );
        assert_eq!(
            find_unique(Lookup::Patient, "02", ids).unwrap_err().code(),
            "unknown_patient"
        );
        assert_eq!(
            find_unique(Lookup::Entry, "", ids).unwrap_err().code(),
            "unknown_entry"
        );
    }
}
