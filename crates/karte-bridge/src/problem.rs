//! The one shape every failure takes on the wire: `{code, message}`, plus
//! the failing fields of a form. The UI branches on `code`, never on text.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use karte_api::ApiError;
use karte_types::ValidationError;
use serde::{Deserialize, Serialize};

/// A failed request as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(skip)]
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Every failing field of a form, so all can be marked at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<ValidationError>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Problem {
        Problem {
            status: status.as_u16(),
            code: code.to_owned(),
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub(crate) fn unauthorized() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send the token printed by `karte ui serve` as `Authorization: Bearer TOKEN`",
        )
    }

    pub(crate) fn locked() -> Problem {
        Problem::new(
            StatusCode::LOCKED,
            "locked",
            "the vault is locked: unlock it with your passphrase first",
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
        "no_vault" | "unknown_patient" | "unknown_entry" | "unknown_review" => {
            StatusCode::NOT_FOUND
        }
        "already_exists" | "vault_in_use" | "user_exists" | "ambiguous_patient"
        | "ambiguous_entry" | "ambiguous_review" | "duplicate_entry" | "active_allergies"
        | "not_enrolled" | "already_enrolled" | "vault_wiped" | "newer_format" => {
            StatusCode::CONFLICT
        }
        "plain_http" | "bad_hub_url" => StatusCode::UNPROCESSABLE_ENTITY,
        "hub_unreachable" | "bad_hub_answer" | "hub_refused" | "please_update"
        | "device_revoked" | "unknown_device" | "clock_skew" => StatusCode::BAD_GATEWAY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<ApiError> for Problem {
    fn from(error: ApiError) -> Problem {
        let code = error.code();
        let mut problem = Problem::new(status_for(code), code, error.to_string());
        if let ApiError::Invalid(errors) = error {
            problem.fields = errors.0;
        }
        problem
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_carry_their_fields() {
        let errors = karte_types::ValidationErrors(vec![ValidationError::new(
            "spo2",
            "out_of_range",
            "SpO2 is a percentage",
        )]);
        let problem = Problem::from(ApiError::Invalid(errors));
        assert_eq!(problem.status, 422);
        assert_eq!(problem.code, "invalid_input");
        assert_eq!(problem.fields[0].field, "spo2");
    }

    #[test]
    fn codes_map_to_fitting_statuses() {
        assert_eq!(status_for("wrong_passphrase"), StatusCode::UNAUTHORIZED);
        assert_eq!(status_for("unknown_patient"), StatusCode::NOT_FOUND);
        assert_eq!(status_for("vault_in_use"), StatusCode::CONFLICT);
        assert_eq!(status_for("database"), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
