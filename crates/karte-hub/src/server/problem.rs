//! A refused request as the device sees it: an HTTP status and a JSON body
//! `{code, message}`. Devices branch on `code`; `message` says what to do
//! next. A failure of the hub itself is logged in full and answered with
//! its code and a plain message, so no database detail reaches a device.

use axum::Json;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use karte_sync::{AuthError, WireError};
use serde::Serialize;

use crate::HubStoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds after which the client may try again (`Retry-After`).
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn retry_after(self, seconds: u64) -> Problem {
        Problem {
            retry_after: Some(seconds),
            ..self
        }
    }

    /// Notes a refused request in the log by its status and code, and the
    /// device only once its signature held: a message may quote what the
    /// client sent, and nothing a client sent unchecked is written to the
    /// log.
    pub fn log_refusal(&self, what: &str, device: Option<&karte_types::DeviceId>) {
        if !self.status.is_client_error() {
            return;
        }
        let status = self.status.as_u16();
        match device {
            Some(device) => {
                tracing::warn!(code = self.code, status, %device, "{what} refused");
            }
            None => tracing::warn!(code = self.code, status, "{what} refused"),
        }
    }

    pub fn malformed(message: impl Into<String>) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, "malformed", message)
    }

    /// The hub's own failure: logged here with its detail.
    pub fn internal(code: &'static str, detail: impl std::fmt::Display) -> Problem {
        tracing::error!(code, "{detail}");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            code,
            "the hub could not complete the request: try again later; the hub's log has the details",
        )
    }

    /// A body that could not be read: over `limit` bytes, or cut off on
    /// the way.
    pub fn from_body(rejection: BytesRejection, limit: usize) -> Problem {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::from(WireError::RequestTooLarge {
                limit,
                detail: "the request body is over it".to_owned(),
            })
        } else {
            Problem::malformed(format!(
                "the request body could not be read ({rejection}): try again"
            ))
        }
    }
}

impl From<WireError> for Problem {
    fn from(error: WireError) -> Problem {
        let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
        Problem::new(status, error.code(), error.to_string())
    }
}

impl From<AuthError> for Problem {
    fn from(error: AuthError) -> Problem {
        match error {
            AuthError::BadKey | AuthError::NoRandomness => Problem::internal(error.code(), &error),
            _ => {
                let status =
                    StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
                Problem::new(status, error.code(), error.to_string())
            }
        }
    }
}

impl From<HubStoreError> for Problem {
    fn from(error: HubStoreError) -> Problem {
        let status = match &error {
            HubStoreError::UnknownDevice(_) => StatusCode::UNAUTHORIZED,
            HubStoreError::DeviceRevoked(_)
            | HubStoreError::OutsideCircle { .. }
            | HubStoreError::ShareNotAccepted { .. }
            | HubStoreError::NotChartOwner { .. } => StatusCode::FORBIDDEN,
            HubStoreError::DeviceExists(_)
            | HubStoreError::EnrolmentUsed
            | HubStoreError::OrgExists(_)
            | HubStoreError::OwnerCannotLeave { .. }
            | HubStoreError::AuditChainBroken { .. }
            | HubStoreError::EnrolmentExists => StatusCode::CONFLICT,
            HubStoreError::EnrolmentExpired => StatusCode::GONE,
            HubStoreError::EnrolmentUnknown
            | HubStoreError::UnknownOrg(_)
            | HubStoreError::UnknownDoc(_)
            | HubStoreError::NoPendingShare { .. } => StatusCode::NOT_FOUND,
            HubStoreError::Pool(_) => {
                tracing::error!(code = error.code(), "{error}");
                return Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    error.code(),
                    "the hub cannot reach its database: try again later",
                );
            }
            _ => return Problem::internal(error.code(), &error),
        };
        Problem::new(status, error.code(), error.to_string())
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = Body {
            code: self.code,
            message: &self.message,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_and_auth_errors_keep_their_status_and_code() {
        let update = Problem::from(WireError::PleaseUpdate {
            found: 0,
            supported: 1,
        });
        assert_eq!(
            (update.status.as_u16(), update.code),
            (426, "please_update")
        );
        let replayed = Problem::from(AuthError::Replayed);
        assert_eq!((replayed.status.as_u16(), replayed.code), (401, "replayed"));
    }

    #[test]
    fn a_storage_failure_does_not_reach_the_device() {
        let problem = Problem::from(HubStoreError::Corrupt("secret table detail".to_owned()));
        assert_eq!(problem.status.as_u16(), 500);
        assert_eq!(problem.code, "corrupt");
        assert!(!problem.message.contains("secret"), "{}", problem.message);
    }

    #[test]
    fn enrolment_failures_have_distinct_statuses() {
        let status = |e: HubStoreError| Problem::from(e).status.as_u16();
        assert_eq!(status(HubStoreError::EnrolmentExpired), 410);
        assert_eq!(status(HubStoreError::EnrolmentUsed), 409);
        assert_eq!(status(HubStoreError::EnrolmentUnknown), 404);
    }
}
