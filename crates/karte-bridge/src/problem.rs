//! The one shape every failure takes on the wire: a
//! [`karte_types::Problem`] (`{code, message, fields}`) with the HTTP status
//! that fits its code. The UI branches on `code`, never on text.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use karte_api::ApiError;

/// A failed request as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub status: u16,
    pub body: karte_types::Problem,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Problem {
        Problem {
            status: status.as_u16(),
            body: karte_types::Problem::new(code, message),
        }
    }

    pub(crate) fn unauthorized() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send the token printed by `karte ui serve` as `Authorization: Bearer TOKEN`",
        )
    }

    pub(crate) fn internal(message: impl Into<String>) -> Problem {
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

/// The HTTP status that fits an application error's code.
fn status_for(code: &str) -> StatusCode {
    match code {
        "invalid_input" | "unknown_field" | "user_needed" => StatusCode::UNPROCESSABLE_ENTITY,
        "wrong_passphrase" | "unknown_user" => StatusCode::UNAUTHORIZED,
        "not_permitted" => StatusCode::FORBIDDEN,
        "locked" => StatusCode::LOCKED,
        "no_vault" | "unknown_patient" | "unknown_entry" | "unknown_review" => {
            StatusCode::NOT_FOUND
        }
        "already_exists" | "vault_in_use" | "user_exists" | "ambiguous_patient"
        | "ambiguous_entry" | "ambiguous_review" | "duplicate_entry" | "active_allergies"
        | "not_enrolled" | "already_enrolled" | "vault_wiped" | "newer_format" => {
            StatusCode::CONFLICT
        }
        "plain_http" | "bad_hub_url" | "enrolment_unknown" | "enrolment_used"
        | "enrolment_expired" => StatusCode::UNPROCESSABLE_ENTITY,
        "hub_unreachable" | "bad_hub_answer" | "hub_refused" | "please_update"
        | "device_revoked" | "unknown_device" | "clock_skew" => StatusCode::BAD_GATEWAY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<ApiError> for Problem {
    fn from(error: ApiError) -> Problem {
        let body = karte_types::Problem::from(&error);
        Problem {
            status: status_for(&body.code).as_u16(),
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
        assert_eq!(status_for("wrong_passphrase"), StatusCode::UNAUTHORIZED);
        assert_eq!(status_for("unknown_patient"), StatusCode::NOT_FOUND);
        assert_eq!(status_for("vault_in_use"), StatusCode::CONFLICT);
        assert_eq!(status_for("locked"), StatusCode::LOCKED);
        assert_eq!(status_for("database"), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
