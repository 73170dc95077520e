//! Validation errors: one per field, with a stable code the UI branches on and
//! an English message that says what a plausible value looks like.

use serde::{Deserialize, Serialize};

/// One field that failed validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The form field, as named on the command line (`bp`, `spo2`, `birth`).
    pub field: String,
    /// A stable machine-readable code, e.g. `out_of_range`, `malformed`.
    pub code: String,
    /// What is wrong and what a valid value looks like.
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &str, code: &str, message: impl Into<String>) -> Self {
        ValidationError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// Every failing field of a form at once, so a user fixes them in one go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationErrors(pub Vec<ValidationError>);

impl ValidationErrors {
    pub fn push(&mut self, error: ValidationError) {
        self.0.push(error);
    }

    /// Records the error of `result`, if any, and passes its value on.
    pub fn check<T>(&mut self, result: Result<T, ValidationError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(error);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}
