//! The errors every front shows: each has a stable `code` the UI branches on
//! and a message that says what to do next.

use karte_record::RecordError;
use karte_store::StoreError;
use karte_sync::SyncError;
use karte_sync::recovery::RecoveryError;
use karte_types::{ErrorCode, ValidationErrors};

use crate::Permission;
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
    #[error("no {} matches '{typed}': {}", kind.noun(), kind.hint())]
    NotFound { kind: Lookup, typed: String },
    #[error("'{typed}' matches more than one {}: type more of the id", kind.noun())]
    Ambiguous { kind: Lookup, typed: String },
    #[error("this vault has several users ({users}): say which with --user NAME or KARTE_USER")]
    UserNeeded { users: String },
    #[error(
        "only {} may {}: sign in as one, or ask one to do it",
        needed.who(),
        needed.action()
    )]
    NotPermitted { needed: Permission },
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Recovery(#[from] RecoveryError),
    #[error(transparent)]
    Trust(#[from] karte_sync::trust::TrustError),
    #[error(transparent)]
    Peer(karte_sync::peer::PeerError),
    #[error(
        "this device is not enrolled at a hub: enrol it with `karte enrol --hub URL --code CODE`"
    )]
    NotEnrolled,
    #[error(
        "this device is already enrolled at {hub} in {org}: a device belongs to one organisation; revoke it at the hub and use a new vault to move it"
    )]
    AlreadyEnrolled { hub: String, org: String },
    #[error("the vault is locked: unlock it with your passphrase first")]
    Locked,
    #[error(
        "this device has not reached its hub since {} ({days} days or more), so its organisation's policy locks it: sync it, or ask your administrator for an unlock code and unlock with it (`karte unlock-code CODE`)",
        since.to_rfc3339()
    )]
    DeviceLocked {
        days: u32,
        since: karte_types::Timestamp,
    },
    #[error(
        "that is not an unlock code of this device, or it was used already: check it with your administrator, who can read you another (`karte-hub device unlock-code DEVICE`)"
    )]
    WrongUnlockCode,
    #[error(
        "the hub named a recovery key for the organisation that is not the one in the enrolment code: nothing was stored; tell the hub's administrator, the hub's database may have been changed"
    )]
    RecoveryKeyMismatch,
    #[error("there is no operation '{name}': this front and the core are of different versions")]
    UnknownOperation { name: String },
    #[error("the arguments of '{operation}' are malformed ({detail}): send them as a JSON object")]
    MalformedArguments { operation: String, detail: String },
    #[error(transparent)]
    Photo(#[from] karte_photo::PhotoError),
    #[error(
        "the photo {entry} was taken on another device and its picture is not on this one yet: photos stay on the device that took them for now"
    )]
    PhotoNotHere { entry: String },
    #[error(transparent)]
    Bundle(#[from] crate::bundle_file::BundleError),
    #[error("this bundle ({bundle}) was imported on this device already: nothing to do")]
    BundleAlreadyImported { bundle: String },
    #[error(
        "chart {chart} in the bundle fails the checks ({detail}): nothing of the bundle was taken; tell the sender's administrator"
    )]
    BundleRefusedChart {
        chart: karte_types::PatientId,
        detail: String,
    },
    #[error(
        "chart {chart} in the bundle continues changes this device does not hold (change {missing}): nothing of the bundle was taken; {}",
        match base {
            Some(base) => format!("import the sender's bundle {base} first, or ask for a full one (without --since-last)"),
            None => "sync with the hub first, or ask the sender for a full bundle (without --since-last)".to_owned(),
        }
    )]
    BundleGap {
        chart: karte_types::PatientId,
        missing: String,
        base: Option<String>,
    },
    #[error(transparent)]
    Document(#[from] karte_docs::DocsError),
    #[error(transparent)]
    Pairing(#[from] karte_sync::pairing::PairingError),
    #[error(
        "this device belongs to no team{}: create one (`karte team create NAME`) or join one with the lead's code (`karte team join ADDRESS CODE`)",
        match team { Some(team) => format!(" {team}"), None => String::new() }
    )]
    NoTeam { team: Option<String> },
}

impl Lookup {
    fn noun(self) -> &'static str {
        match self {
            Lookup::Patient => "patient",
            Lookup::Entry => "entry",
            Lookup::Review => "review item",
        }
    }

    fn hint(self) -> &'static str {
        match self {
            Lookup::Patient => "list patients with `karte patient list`",
            Lookup::Entry => "see the chart's entry ids with `karte chart show PATIENT`",
            Lookup::Review => "see open review items with `karte chart show PATIENT`",
        }
    }
}

impl ApiError {
    pub(crate) fn not_found(kind: Lookup, typed: &str) -> ApiError {
        ApiError::NotFound {
            kind,
            typed: typed.to_owned(),
        }
    }

    pub(crate) fn ambiguous(kind: Lookup, typed: &str) -> ApiError {
        ApiError::Ambiguous {
            kind,
            typed: typed.to_owned(),
        }
    }

    /// A stable machine-readable code, e.g. `wrong_passphrase`.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Store(e) => e.code(),
            ApiError::Record(e) => e.code(),
            ApiError::Invalid(_) => ErrorCode::InvalidInput,
            ApiError::Io(_) => ErrorCode::Io,
            ApiError::NotFound { kind, .. } => match kind {
                Lookup::Patient => ErrorCode::UnknownPatient,
                Lookup::Entry => ErrorCode::UnknownEntry,
                Lookup::Review => ErrorCode::UnknownReview,
            },
            ApiError::Ambiguous { kind, .. } => match kind {
                Lookup::Patient => ErrorCode::AmbiguousPatient,
                Lookup::Entry => ErrorCode::AmbiguousEntry,
                Lookup::Review => ErrorCode::AmbiguousReview,
            },
            ApiError::NotPermitted { .. } => ErrorCode::NotPermitted,
            ApiError::UserNeeded { .. } => ErrorCode::UserNeeded,
            // The hub's own codes are the sync protocol's; one this build
            // does not know is shown as the hub's refusal, in its words.
            ApiError::Sync(e) => ErrorCode::from_code(e.code()).unwrap_or(ErrorCode::HubRefused),
            ApiError::Recovery(e) => e.code(),
            ApiError::Trust(e) => e.code(),
            ApiError::Peer(e) => e.code(),
            ApiError::NotEnrolled => ErrorCode::NotEnrolled,
            ApiError::AlreadyEnrolled { .. } => ErrorCode::AlreadyEnrolled,
            ApiError::Locked => ErrorCode::Locked,
            ApiError::DeviceLocked { .. } => ErrorCode::DeviceLocked,
            ApiError::WrongUnlockCode => ErrorCode::WrongUnlockCode,
            ApiError::RecoveryKeyMismatch => ErrorCode::RecoveryKeyMismatch,
            ApiError::UnknownOperation { .. } => ErrorCode::UnknownOperation,
            ApiError::MalformedArguments { .. } => ErrorCode::MalformedRequest,
            ApiError::Photo(karte_photo::PhotoError::TooLarge { .. }) => ErrorCode::PhotoTooLarge,
            ApiError::Photo(karte_photo::PhotoError::NotAnImage(_)) => ErrorCode::NotAnImage,
            ApiError::PhotoNotHere { .. } => ErrorCode::PhotoNotHere,
            ApiError::Bundle(e) => e.code(),
            ApiError::BundleAlreadyImported { .. } => ErrorCode::BundleAlreadyImported,
            ApiError::BundleRefusedChart { .. } => ErrorCode::BundleRefusedChart,
            ApiError::BundleGap { .. } => ErrorCode::BundleGap,
            ApiError::Document(
                karte_docs::DocsError::FontUnreadable { .. }
                | karte_docs::DocsError::FontInvalid { .. },
            ) => ErrorCode::DocumentFontMissing,
            ApiError::Document(_) => ErrorCode::DocumentFailed,
            ApiError::Pairing(e) => e.code(),
            ApiError::NoTeam { .. } => ErrorCode::NoTeam,
        }
    }
}
