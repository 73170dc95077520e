//! Every code a failed call can carry, as one enum: the fronts branch on it
//! (the bridge picks its HTTP status by an exhaustive match, the UI decides
//! what to show), and a code that is not listed here cannot be made. On the
//! wire each is the same snake_case string it always was, so scripts and
//! older UIs keep working.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal,)*) => {
        /// Why a call failed, in a word a program can branch on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, for tests that must cover them all.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code as it travels: `wrong_passphrase`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The code a string names, if it names one.
            pub fn from_code(code: &str) -> Option<ErrorCode> {
                match code {
                    $($code => Some(ErrorCode::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

error_codes! {
    // The vault and its users.
    NoVault = "no_vault",
    AlreadyExists = "already_exists",
    VaultInUse = "vault_in_use",
    NotAVault = "not_a_vault",
    VaultCorrupt = "vault_corrupt",
    NewerFormat = "newer_format",
    WrongPassphrase = "wrong_passphrase",
    /// The vault's key derivation is below the floor (Argon2id's minimum).
    WeakKeyDerivation = "weak_key_derivation",
    UnknownUser = "unknown_user",
    UserExists = "user_exists",
    UserNeeded = "user_needed",
    NotPermitted = "not_permitted",
    Integrity = "integrity",
    AuditTampered = "audit_tampered",
    AuditTruncated = "audit_truncated",
    NoRandomness = "no_randomness",
    VaultWiped = "vault_wiped",
    NoRecoveryKey = "no_recovery_key",
    WrongRecoveryKey = "wrong_recovery_key",
    BadRecoveryPublicKey = "bad_recovery_public_key",
    BadRecoveryKeyFile = "bad_recovery_key_file",
    MalformedSealedKey = "malformed_sealed_key",
    SealFailed = "seal_failed",
    RecoveryPassphraseNeeded = "recovery_passphrase_needed",
    WrongRecoveryPassphrase = "wrong_recovery_passphrase",
    Locked = "locked",
    /// The organisation's policy locks a vault that has not reached its hub
    /// for too many days; it opens with an administrator's unlock code.
    DeviceLocked = "device_locked",
    /// The unlock code is not one of this device's, or was used already.
    WrongUnlockCode = "wrong_unlock_code",
    Io = "io",
    Database = "database",
    // What was asked for.
    InvalidInput = "invalid_input",
    UnknownField = "unknown_field",
    UnknownPatient = "unknown_patient",
    UnknownEntry = "unknown_entry",
    UnknownReview = "unknown_review",
    AmbiguousPatient = "ambiguous_patient",
    AmbiguousEntry = "ambiguous_entry",
    AmbiguousReview = "ambiguous_review",
    DuplicateEntry = "duplicate_entry",
    ActiveAllergies = "active_allergies",
    /// The file is not a JPEG or PNG photo, or it is damaged.
    NotAnImage = "not_an_image",
    /// A photo file over the size a photo may have.
    PhotoTooLarge = "photo_too_large",
    /// The chart names the photo, but its bytes have not reached this
    /// device yet: they come with a sync after the device that took it
    /// sent them to the hub.
    PhotoNotHere = "photo_not_here",
    // The chart document.
    OtherChart = "other_chart",
    MissingChanges = "missing_changes",
    CorruptChart = "corrupt_chart",
    NotAChart = "not_a_chart",
    ChartUpdateFailed = "chart_update_failed",
    /// A received change does what no edit of Karte does to a chart.
    ForbiddenChange = "forbidden_change",
    /// A received change names another author or device than the one that signed it.
    MisattributedChange = "misattributed_change",
    /// A received change is dated long after it arrived, or before its chart existed.
    ImplausibleChangeTime = "implausible_change_time",
    // Enrolment and sync, the device's own and the hub's answers.
    NotEnrolled = "not_enrolled",
    AlreadyEnrolled = "already_enrolled",
    PlainHttp = "plain_http",
    BadHubUrl = "bad_hub_url",
    HubUnreachable = "hub_unreachable",
    BadHubAnswer = "bad_hub_answer",
    /// The hub refused with a code this device does not know.
    HubRefused = "hub_refused",
    Malformed = "malformed",
    PleaseUpdate = "please_update",
    TooLarge = "too_large",
    /// A sync request over the hub's limit; the device sends smaller pages.
    RequestTooLarge = "request_too_large",
    /// The hub refused a request over its rate for this device or address;
    /// its message says when to sync again.
    RateLimited = "rate_limited",
    /// The hub was serving as many requests as it can; sync again shortly.
    HubBusy = "hub_busy",
    /// The request did not reach the hub in time (a slow or stalled link).
    RequestTimeout = "request_timeout",
    /// The hub was restored from a backup since this device last synced;
    /// the device starts over and gives back what the hub lacks. Met by a
    /// user only if that happened twice in one sync: sync again.
    FeedChanged = "feed_changed",
    BadKey = "bad_key",
    BadSignature = "bad_signature",
    MalformedChange = "malformed_change",
    ChangeHashMismatch = "change_hash_mismatch",
    ForgedChange = "forged_change",
    ForeignActor = "foreign_actor",
    ClockSkew = "clock_skew",
    Replayed = "replayed",
    UnsignedChange = "unsigned_change",
    UnknownSigner = "unknown_signer",
    NoProgress = "no_progress",
    WipeBeforeAck = "wipe_before_ack",
    UnknownDevice = "unknown_device",
    DeviceRevoked = "device_revoked",
    UnknownOrg = "unknown_org",
    UnknownDoc = "unknown_doc",
    OutsideCircle = "outside_circle",
    /// The receiving organisation's rules refuse shares from this one.
    ShareNotAccepted = "share_not_accepted",
    /// The audit log the device handed in does not extend the one the hub
    /// holds for it: entries were removed or rewritten on the device.
    AuditChainBroken = "audit_chain_broken",
    /// Only the chart's owner removes another organisation from its circle.
    NotChartOwner = "not_chart_owner",
    /// The owning organisation stays in its chart's circle.
    OwnerCannotLeave = "owner_cannot_leave",
    MissingDependency = "missing_dependency",
    ReusedActor = "reused_actor",
    InvalidChange = "invalid_change",
    /// The hub refused changes that would leave no valid chart, which
    /// every device would refuse in turn.
    InvalidChart = "invalid_chart",
    EnrolmentUnknown = "enrolment_unknown",
    EnrolmentUsed = "enrolment_used",
    EnrolmentExpired = "enrolment_expired",
    DeviceExists = "device_exists",
    /// The hub named another recovery key than the enrolment code's.
    RecoveryKeyMismatch = "recovery_key_mismatch",
    /// The other device (a peer, or a bundle's sender) holds no valid
    /// membership of an organisation this device trusts.
    PeerNotMember = "peer_not_member",
    /// The other device's membership ran out; it renews at its next hub sync.
    PeerCertExpired = "peer_cert_expired",
    /// The other device was revoked by its organisation.
    PeerRevoked = "peer_revoked",
    /// A cert or list names an issuer this device has no key of.
    UnknownIssuer = "unknown_issuer",
    /// The other device of a peer sync cannot be reached, or the link broke.
    PeerUnreachable = "peer_unreachable",
    /// The other device of a peer sync sent what this one cannot read.
    PeerProtocol = "peer_protocol",
    /// A carried bundle file that is not one, or is damaged in its shape.
    BundleMalformed = "bundle_malformed",
    /// A bundle whose sender is not a member of this device's organisation.
    BundleForeign = "bundle_foreign",
    /// A bundle whose sender was revoked by its organisation.
    BundleSenderRevoked = "bundle_sender_revoked",
    /// A bundle altered after its sender signed it.
    BundleTampered = "bundle_tampered",
    /// A bundle file cut short.
    BundleTruncated = "bundle_truncated",
    /// A bundle with no key slot for this device.
    BundleNotForThisDevice = "bundle_not_for_this_device",
    /// A bundle this device took in already: nothing to do.
    BundleAlreadyImported = "bundle_already_imported",
    /// A bundle with a chart that fails the checks: none of it was taken.
    BundleRefusedChart = "bundle_refused_chart",
    /// A bundle with changes whose earlier changes this device lacks.
    BundleGap = "bundle_gap",
    /// The Japanese font documents are set in cannot be read on this device.
    DocumentFontMissing = "document_font_missing",
    /// A document's PDF could not be made.
    DocumentFailed = "document_failed",
    /// A photo's bytes sent to the hub do not hash to the name they came
    /// under: altered or damaged on the way; the hub kept nothing of it.
    PhotoHashMismatch = "photo_hash_mismatch",
    /// The chart a photo was asked with does not name it: the hub serves
    /// and takes only the photos of charts the device may see.
    PhotoNotNamed = "photo_not_named",
    /// Joining a team by its code failed: a wrong code, or a device in the
    /// middle. The lead's device counts it; three and the code is dead.
    PairingFailed = "pairing_failed",
    /// A team's joining code whose ten minutes ran out, or that failed
    /// three times: the lead must invite again.
    PairingCodeExpired = "pairing_code_expired",
    /// The device belongs to no team (or not to the one named).
    NoTeam = "no_team",
    // The fronts: the local bridge, the Tauri shell and the UI itself.
    UnknownOperation = "unknown_operation",
    MalformedRequest = "malformed_request",
    Unauthorized = "unauthorized",
    ForeignHost = "foreign_host",
    NotFound = "not_found",
    Internal = "internal",
    ShellError = "shell_error",
    NoShell = "no_shell",
    BadRequest = "bad_request",
    BadAnswer = "bad_answer",
    BridgeUnreachable = "bridge_unreachable",
    HttpError = "http_error",
    NoToken = "no_token",
    NoWindow = "no_window",
    /// A code from a newer core or hub that this build does not know.
    Unknown = "unknown",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    /// A code this build does not know reads as [`ErrorCode::Unknown`], so
    /// a newer core's answer is still shown instead of failing to parse.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ErrorCode, D::Error> {
        let code = std::borrow::Cow::<str>::deserialize(deserializer)?;
        Ok(ErrorCode::from_code(&code).unwrap_or(ErrorCode::Unknown))
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_travels_as_its_string_and_back() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "{code} is listed twice");
            let json = serde_json::to_string(code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), *code);
        }
    }

    #[test]
    fn an_unknown_code_is_kept_as_unknown() {
        let code: ErrorCode = serde_json::from_str("\"from_the_future\"").unwrap();
        assert_eq!(code, ErrorCode::Unknown);
        assert_eq!(
            ErrorCode::from_code("wrong_passphrase"),
            Some(ErrorCode::WrongPassphrase)
        );
    }
}
