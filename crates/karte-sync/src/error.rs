//! The errors of the sync protocol. Each has a stable `code` that the device
//! and the hub's HTTP answers carry, an HTTP status the hub answers with, and
//! a message that says what to do next.

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
}

impl WireError {
    /// A stable machine-readable code: `malformed`, `please_update` or
    /// `too_large`.
    pub fn code(&self) -> &'static str {
        match self {
            WireError::Malformed { .. } => "malformed",
            WireError::PleaseUpdate { .. } => "please_update",
            WireError::TooLarge { .. } => "too_large",
        }
    }

    /// The HTTP status the hub answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            WireError::Malformed { .. } => 400,
            WireError::PleaseUpdate { .. } => 426,
            WireError::TooLarge { .. } => 413,
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
            AuthError::ForgedChange { .. } | AuthError::ForeignActor { .. } => 403,
        }
    }
}

/// Lower-case hex, for hashes in messages.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
        assert_eq!(hex(&[0, 255, 16]), "00ff10");
    }
}
