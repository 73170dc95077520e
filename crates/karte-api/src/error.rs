//! The errors every front shows: each has a stable `code` the UI branches on
//! and a message that says what to do next.

use karte_record::RecordError;
use karte_store::StoreError;
use karte_sync::SyncError;
use karte_sync::recovery::RecoveryError;
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
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Recovery(#[from] RecoveryError),
    #[error(
        "this device is not enrolled at a hub: enrol it with `karte enroll --hub URL --code CODE`"
    )]
    NotEnrolled,
    #[error(
        "this device is already enrolled at {hub} in {org}: a device belongs to one organisation; revoke it at the hub and use a new vault to move it"
    )]
    AlreadyEnrolled { hub: String, org: String },
    #[error("the vault is locked: unlock it with your passphrase first")]
    Locked,
}

/// The codes a sync error may carry, as stable strings: the client's own
/// and those the hub answers with. Anything else the hub says is
/// `hub_refused`, with the hub's words in the message.
const SYNC_CODES: &[&str] = &[
    "plain_http",
    "bad_hub_url",
    "hub_unreachable",
    "bad_hub_answer",
    "malformed",
    "please_update",
    "too_large",
    "bad_key",
    "no_randomness",
    "bad_signature",
    "malformed_change",
    "change_hash_mismatch",
    "forged_change",
    "foreign_actor",
    "clock_skew",
    "replayed",
    "unsigned_change",
    "unknown_signer",
    "no_progress",
    "wipe_before_ack",
    "unknown_device",
    "device_revoked",
    "unknown_org",
    "unknown_doc",
    "outside_circle",
    "missing_dependency",
    "reused_actor",
    "invalid_change",
    "enrolment_unknown",
    "enrolment_used",
    "enrolment_expired",
    "device_exists",
];

fn sync_code(code: &str) -> &'static str {
    SYNC_CODES
        .iter()
        .find(|known| **known == code)
        .copied()
        .unwrap_or("hub_refused")
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
            ApiError::Sync(e) => sync_code(e.code()),
            ApiError::Recovery(e) => e.code(),
            ApiError::NotEnrolled => "not_enrolled",
            ApiError::AlreadyEnrolled { .. } => "already_enrolled",
            ApiError::Locked => "locked",
        }
    }
}
