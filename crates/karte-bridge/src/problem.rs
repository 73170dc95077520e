//! The one shape every failure takes on the wire: a
//! [`karte_types::Problem`] (`{code, message, fields}`) with the HTTP status
//! that fits its code. The UI branches on `code`, never on text.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use karte_api::ApiError;
use karte_types::ErrorCode;

/// A failed request as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub status: u16,
    pub body: karte_types::Problem,
}

impl Problem {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Problem {
        Problem {
            status: status.as_u16(),
            body: karte_types::Problem::new(code, message),
        }
    }

    pub(crate) fn unauthorized() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "send the token printed by `karte ui serve` as `Authorization: Bearer TOKEN`",
        )
    }

    pub(crate) fn internal(message: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            message,
        )
    }
}

/// The HTTP status that fits an application error's code. The match is
/// exhaustive: a new code does not compile until it has a status here.
fn status_for(code: ErrorCode) -> StatusCode {
    use ErrorCode::*;
    match code {
        MalformedRequest | BadRequest => StatusCode::BAD_REQUEST,
        InvalidInput | UnknownField | UserNeeded | PlainHttp | BadHubUrl | EnrolmentUnknown
        | EnrolmentUsed | EnrolmentExpired | NotAnImage => StatusCode::UNPROCESSABLE_ENTITY,
        PhotoTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        PairingFailed => StatusCode::FORBIDDEN,
        PairingCodeExpired => StatusCode::GONE,
        NoTeam => StatusCode::NOT_FOUND,
        WrongPassphrase | UnknownUser | Unauthorized | NoToken | WrongUnlockCode => {
            StatusCode::UNAUTHORIZED
        }
        NotPermitted | ForeignHost => StatusCode::FORBIDDEN,
        PeerNotMember | PeerCertExpired | PeerRevoked | UnknownIssuer => StatusCode::FORBIDDEN,
        PeerUnreachable => StatusCode::SERVICE_UNAVAILABLE,
        PeerProtocol => StatusCode::BAD_GATEWAY,
        BundleForeign | BundleSenderRevoked | BundleNotForThisDevice => StatusCode::FORBIDDEN,
        BundleMalformed | BundleTampered | BundleTruncated => StatusCode::UNPROCESSABLE_ENTITY,
        BundleRefusedChart | BundleGap => StatusCode::UNPROCESSABLE_ENTITY,
        BundleAlreadyImported => StatusCode::CONFLICT,
        DocumentFontMissing | DocumentFailed => StatusCode::INTERNAL_SERVER_ERROR,
        Locked | DeviceLocked => StatusCode::LOCKED,
        NoVault | UnknownPatient | UnknownEntry | UnknownReview | UnknownOperation | NotFound
        | PhotoNotHere => StatusCode::NOT_FOUND,
        AlreadyExists
        | VaultInUse
        | UserExists
        | AmbiguousPatient
        | AmbiguousEntry
        | AmbiguousReview
        | DuplicateEntry
        | ActiveAllergies
        | NotEnrolled
        | AlreadyEnrolled
        | VaultWiped
        | NewerFormat
        | WeakKeyDerivation
        | NoRecoveryKey
        | WrongRecoveryKey
        | BadRecoveryPublicKey
        | BadRecoveryKeyFile
        | MalformedSealedKey
        | RecoveryKeyMismatch
        | RecoveryPassphraseNeeded
        | WrongRecoveryPassphrase => StatusCode::CONFLICT,
        HubUnreachable
        | BadHubAnswer
        | HubRefused
        | PleaseUpdate
        | RateLimited
        | HubBusy
        | RequestTimeout
        | FeedChanged
        | DeviceRevoked
        | UnknownDevice
        | ClockSkew
        | Malformed
        | TooLarge
        | RequestTooLarge
        | BadSignature
        | MalformedChange
        | ChangeHashMismatch
        | ForgedChange
        | ForeignActor
        | Replayed
        | UnsignedChange
        | UnknownSigner
        | NoProgress
        | WipeBeforeAck
        | UnknownOrg
        | UnknownDoc
        | OutsideCircle
        | ShareNotAccepted
        | AuditChainBroken
        | NotChartOwner
        | OwnerCannotLeave
        | MissingDependency
        | ReusedActor
        | InvalidChange
        | InvalidChart
        | DeviceExists
        | BridgeUnreachable
        | HttpError
        | ForbiddenChange
        | MisattributedChange
        | ImplausibleChangeTime
        | PhotoHashMismatch
        | PhotoNotNamed => StatusCode::BAD_GATEWAY,
        NotAVault | VaultCorrupt | Integrity | AuditTampered | AuditTruncated | NoRandomness
        | SealFailed | Io | Database | OtherChart | MissingChanges | CorruptChart | NotAChart
        | ChartUpdateFailed | BadKey | Internal | ShellError | NoShell | BadAnswer | NoWindow
        | Unknown => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<ApiError> for Problem {
    fn from(error: ApiError) -> Problem {
        let body = karte_types::Problem::from(&error);
        Problem {
            status: status_for(body.code).as_u16(),
            body,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use karte_types::ValidationError;

    #[test]
    fn validation_errors_carry_their_fields() {
        let errors = karte_types::ValidationErrors(vec![ValidationError::new(
            "spo2",
            "out_of_range",
            "SpO2 is a percentage",
        )]);
        let problem = Problem::from(ApiError::Invalid(errors));
        assert_eq!(problem.status, 422);
        assert_eq!(problem.body.code, "invalid_input");
        assert_eq!(problem.body.fields[0].field, "spo2");
    }

    #[test]
    fn codes_map_to_fitting_statuses() {
        assert_eq!(
            status_for(ErrorCode::WrongPassphrase),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(status_for(ErrorCode::UnknownPatient), StatusCode::NOT_FOUND);
        assert_eq!(status_for(ErrorCode::VaultInUse), StatusCode::CONFLICT);
        assert_eq!(status_for(ErrorCode::Locked), StatusCode::LOCKED);
        assert_eq!(status_for(ErrorCode::DeviceLocked), StatusCode::LOCKED);
        assert_eq!(
            status_for(ErrorCode::WrongUnlockCode),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            status_for(ErrorCode::Database),
            StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            status_for(ErrorCode::UnknownOperation),
            StatusCode::NOT_FOUND
        );
    }
}
