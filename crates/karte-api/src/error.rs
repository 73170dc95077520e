//! The errors every front shows: each has a stable `code` the UI branches on
//! and a message that says what to do next.

use karte_record::RecordError;
use karte_store::StoreError;
use karte_types::ValidationErrors;

use crate::ids::Lookup;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Record(#[from] RecordError),
    #[error("could not write: {0}")]
    Io(#[from] std::io::Error),
    #[error("invalid input: {0}")]
    Invalid(#[from] ValidationErrors),
    #[error("no {kind} matches '{typed}': {hint}")]
    NotFound {
        kind: &'static str,
        typed: String,
        hint: &'static str,
    },
    #[error("'{typed}' matches more than one {kind}: type more of the id")]
    Ambiguous { kind: &'static str, typed: String },
    #[error("this vault has several users ({users}): say which with --user NAME or KARTE_USER")]
    UserNeeded { users: String },
    #[error("this needs the {needed} role; ask an administrator")]
    NotPermitted { needed: &'static str },
}

impl ApiError {
    pub(crate) fn not_found(kind: Lookup, typed: &str) -> ApiError {
        let (kind, hint) = match kind {
            Lookup::Patient => ("patient", "list patients with `karte patient list`"),
            Lookup::Entry => (
                "entry",
                "see the chart's entry ids with `karte chart show PATIENT`",
            ),
            Lookup::Review => (
                "review item",
                "see open review items with `karte chart show PATIENT`",
            ),
        };
        ApiError::NotFound {
            kind,
            typed: typed.to_owned(),
            hint,
        }
    }

    pub(crate) fn ambiguous(kind: Lookup, typed: &str) -> ApiError {
        let kind = match kind {
            Lookup::Patient => "patient",
            Lookup::Entry => "entry",
            Lookup::Review => "review item",
        };
        ApiError::Ambiguous {
            kind,
            typed: typed.to_owned(),
        }
    }

    /// A stable machine-readable code, e.g. `wrong_passphrase`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Store(e) => e.code(),
            ApiError::Record(e) => e.code(),
            ApiError::Invalid(_) => "invalid_input",
            ApiError::Io(_) => "io",
            ApiError::NotFound {
                kind: "patient", ..
            } => "unknown_patient",
            ApiError::NotFound { kind: "entry", .. } => "unknown_entry",
            ApiError::NotFound { .. } => "unknown_review",
            ApiError::Ambiguous {
                kind: "patient", ..
            } => "ambiguous_patient",
            ApiError::Ambiguous { kind: "entry", .. } => "ambiguous_entry",
            ApiError::Ambiguous { .. } => "ambiguous_review",
            ApiError::NotPermitted { .. } => "not_permitted",
            ApiError::UserNeeded { .. } => "user_needed",
        }
    }
}
