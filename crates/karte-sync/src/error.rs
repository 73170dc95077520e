//! The errors of the sync protocol. Each has a stable `code` that the device
//! and the hub's HTTP answers carry, an HTTP status the hub answers with, and
//! a message that says what to do next.

use karte_types::{DeviceId, PatientId};

/// A sync message that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error(
        "the sync message is malformed ({detail}): it was damaged on the way or does not come from Karte; try again, and update Karte if it persists"
    )]
    Malformed { detail: String },
    #[error(
        "the other side speaks sync protocol version {found} and this Karte speaks version {supported}: update whichever is older (the app on the device, or the hub)"
    )]
    PleaseUpdate { found: u16, supported: u16 },
    #[error(
        "the sync message is too large ({detail}): sync again so that fewer changes travel at once"
    )]
    TooLarge { detail: String },
    #[error(
        "the request is over the hub's limits ({detail}; requests of up to {limit} bytes on the wire are read): the device sends its changes again in smaller pages"
    )]
    RequestTooLarge { limit: usize, detail: String },
}

impl WireError {
    /// A stable machine-readable code: `malformed`, `please_update`,
    /// `too_large` or `request_too_large` (a request over the hub's limit,
    /// which the device answers with smaller pages of pushes).
    pub fn code(&self) -> &'static str {
        match self {
            WireError::Malformed { .. } => "malformed",
            WireError::PleaseUpdate { .. } => "please_update",
            WireError::TooLarge { .. } => "too_large",
            WireError::RequestTooLarge { .. } => "request_too_large",
        }
    }

    /// The HTTP status the hub answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            WireError::Malformed { .. } => 400,
            WireError::PleaseUpdate { .. } => 426,
            WireError::TooLarge { .. } | WireError::RequestTooLarge { .. } => 413,
        }
    }

    pub(crate) fn malformed(detail: impl Into<String>) -> WireError {
        WireError::Malformed {
            detail: detail.into(),
        }
    }
}

/// A key that cannot be used, or a request or change whose signature,
/// hash, author or freshness does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the device key is damaged and cannot sign: enrol the device again")]
    BadKey,
    #[error("the operating system's random source failed: restart the device and try again")]
    NoRandomness,
    #[error(
        "the request's signature does not match the device's enrolled key: enrol the device again"
    )]
    BadSignature,
    #[error("the signed request body cannot be read: {0}")]
    Body(WireError),
    #[error(
        "a pushed change cannot be read ({detail}): it was damaged; the device must send it again"
    )]
    MalformedChange { detail: String },
    #[error(
        "a pushed change claims hash {claimed} but its bytes hash to {actual}: it was damaged or altered; nothing was stored"
    )]
    ChangeHashMismatch { claimed: String, actual: String },
    #[error(
        "change {hash} is not signed by the device that pushed it: it was forged or altered; nothing was stored"
    )]
    ForgedChange { hash: String },
    #[error(
        "change {hash} was written under an actor of another device: a device may push only its own changes; nothing was stored"
    )]
    ForeignActor { hash: String },
    #[error(
        "the device's clock is {skew_seconds} s off the hub's (hub time: {hub_now_ms} ms since 1970-01-01 UTC): set the device's clock and try again"
    )]
    ClockSkew { skew_seconds: i64, hub_now_ms: i64 },
    #[error("this request was received before: it was replayed; send a new request")]
    Replayed,
    #[error(
        "change {hash} carries no signature of its author and no signed later change of that author covers it: it was forged, or its author's signature was left out; nothing of the chart was stored"
    )]
    UncoveredChange { hash: String },
}

impl AuthError {
    /// A stable machine-readable code, e.g. `bad_signature`, `clock_skew`.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::BadKey => "bad_key",
            AuthError::NoRandomness => "no_randomness",
            AuthError::BadSignature => "bad_signature",
            AuthError::Body(wire) => wire.code(),
            AuthError::MalformedChange { .. } => "malformed_change",
            AuthError::ChangeHashMismatch { .. } => "change_hash_mismatch",
            AuthError::ForgedChange { .. } => "forged_change",
            AuthError::ForeignActor { .. } => "foreign_actor",
            AuthError::ClockSkew { .. } => "clock_skew",
            AuthError::Replayed => "replayed",
            AuthError::UncoveredChange { .. } => "unsigned_change",
        }
    }

    /// The HTTP status the hub answers with. Key and randomness failures
    /// happen on the device and are the hub's own fault if they happen there.
    pub fn http_status(&self) -> u16 {
        match self {
            AuthError::BadKey | AuthError::NoRandomness => 500,
            AuthError::BadSignature | AuthError::ClockSkew { .. } | AuthError::Replayed => 401,
            AuthError::Body(wire) => wire.http_status(),
            AuthError::MalformedChange { .. } | AuthError::ChangeHashMismatch { .. } => 400,
            AuthError::ForgedChange { .. }
            | AuthError::ForeignActor { .. }
            | AuthError::UncoveredChange { .. } => 403,
        }
    }
}

/// Why a message did not reach the hub, or what the hub answered instead
/// of a sync response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error(
        "refusing to send charts over plain http:// to {host}: use the hub's https:// address (plain http is only for a hub on this machine)"
    )]
    PlainHttp { host: String },
    #[error("'{url}' is not a hub address ({detail}): give it like https://hub.example.jp")]
    BadUrl { url: String, detail: String },
    #[error("the hub cannot be reached ({detail}): check the network connection and sync again")]
    Unreachable { detail: String },
    #[error("the hub refused the request ({code}, HTTP {status}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    #[error(
        "the hub's answer cannot be read ({detail}): check the hub address, and update Karte if it persists"
    )]
    BadAnswer { detail: String },
}

impl TransportError {
    /// A stable machine-readable code; for a refusal, the hub's own code
    /// (`please_update`, `clock_skew`, `replayed`, ...).
    pub fn code(&self) -> &str {
        match self {
            TransportError::PlainHttp { .. } => "plain_http",
            TransportError::BadUrl { .. } => "bad_hub_url",
            TransportError::Unreachable { .. } => "hub_unreachable",
            TransportError::Refused { code, .. } => code,
            TransportError::BadAnswer { .. } => "bad_hub_answer",
        }
    }
}

/// A round of sync that could not be completed. What earlier pages brought
/// is durable; syncing again resumes after it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(
        "the hub sent change {hash} of chart {doc} without its signature: nothing of the page was kept; report this to the hub administrator"
    )]
    UnsignedChange { doc: PatientId, hash: String },
    #[error(
        "the hub sent a change signed by device {device} without that device's key: nothing of the page was kept; report this to the hub administrator"
    )]
    UnknownSigner { device: DeviceId },
    #[error(
        "the hub said more follows after feed position {cursor} but did not move past it: sync again later, and report this to the hub administrator if it persists"
    )]
    NoProgress { cursor: u64 },
    #[error(
        "the hub ordered this retired device wiped without acknowledging chart {doc}: the vault was kept so nothing is lost; ask the hub administrator"
    )]
    WipeBeforeAck { doc: PatientId },
}

impl SyncError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &str {
        match self {
            SyncError::Transport(error) => error.code(),
            SyncError::Wire(error) => error.code(),
            SyncError::Auth(error) => error.code(),
            SyncError::UnsignedChange { .. } => "unsigned_change",
            SyncError::UnknownSigner { .. } => "unknown_signer",
            SyncError::NoProgress { .. } => "no_progress",
            SyncError::WipeBeforeAck { .. } => "wipe_before_ack",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn please_update_names_both_versions() {
        let error = WireError::PleaseUpdate {
            found: 7,
            supported: 1,
        };
        let message = error.to_string();
        assert!(
            message.contains("version 7") && message.contains("version 1"),
            "{message}"
        );
        assert_eq!((error.code(), error.http_status()), ("please_update", 426));
    }

    #[test]
    fn a_body_error_keeps_the_wire_code() {
        let error = AuthError::Body(WireError::malformed("x"));
        assert_eq!((error.code(), error.http_status()), ("malformed", 400));
    }
}
