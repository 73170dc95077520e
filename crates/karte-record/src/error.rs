//! What can go wrong with a chart. Every variant has a stable `code` the UI
//! branches on, and a message that says what to do next.

use karte_types::{EntryId, ErrorCode, ReviewId, ValidationErrors};

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("invalid input: {0}")]
    Invalid(#[from] ValidationErrors),
    #[error("no entry {0} in this chart: see the chart's entry ids in its view")]
    UnknownEntry(EntryId),
    #[error("an entry {0} already exists in this chart: make a new entry id")]
    DuplicateEntry(EntryId),
    #[error("no review item {0} in this chart: see the open review items in its view")]
    UnknownReview(ReviewId),
    #[error("'{field}' is not a field of {collection} entries; fields are: {known}")]
    UnknownField {
        collection: &'static str,
        field: String,
        known: String,
    },
    #[error(
        "cannot record no known allergies while active allergies are recorded: void or resolve them first"
    )]
    ActiveAllergies,
    #[error("these changes belong to another chart (patient {0}); nothing was applied")]
    OtherChart(String),
    #[error(
        "the changes received depend on change {0}, which this chart lacks; nothing was applied: sync again from the last acknowledged point"
    )]
    MissingChanges(String),
    #[error(
        "change {hash} was refused: {why}. No edit of Karte makes such a change; nothing of it was applied: the device that made it must not be trusted until its administrator has looked at it"
    )]
    ForbiddenChange { hash: String, why: String },
    #[error(
        "change {hash} was refused: {why}. Every change must name the user and the device that made it; nothing of it was applied: the device that made it must not be trusted until its administrator has looked at it"
    )]
    MisattributedChange { hash: String, why: String },
    #[error(
        "change {hash} was refused: {why}; nothing of it was applied: check the clock of the device that made it"
    )]
    ImplausibleChangeTime { hash: String, why: String },
    #[error("saved chart data is corrupt or truncated: {0}; restore the chart from another copy")]
    Corrupt(String),
    #[error("the document is not a Karte chart as this version knows it: {0}")]
    NotAChart(String),
    #[error("the chart document could not be updated: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}

impl RecordError {
    /// A stable machine-readable code, e.g. `unknown_entry`.
    pub fn code(&self) -> ErrorCode {
        match self {
            RecordError::Invalid(_) => ErrorCode::InvalidInput,
            RecordError::UnknownEntry(_) => ErrorCode::UnknownEntry,
            RecordError::DuplicateEntry(_) => ErrorCode::DuplicateEntry,
            RecordError::UnknownReview(_) => ErrorCode::UnknownReview,
            RecordError::UnknownField { .. } => ErrorCode::UnknownField,
            RecordError::ActiveAllergies => ErrorCode::ActiveAllergies,
            RecordError::OtherChart(_) => ErrorCode::OtherChart,
            RecordError::MissingChanges(_) => ErrorCode::MissingChanges,
            RecordError::ForbiddenChange { .. } => ErrorCode::ForbiddenChange,
            RecordError::MisattributedChange { .. } => ErrorCode::MisattributedChange,
            RecordError::ImplausibleChangeTime { .. } => ErrorCode::ImplausibleChangeTime,
            RecordError::Corrupt(_) => ErrorCode::CorruptChart,
            RecordError::NotAChart(_) => ErrorCode::NotAChart,
            RecordError::Automerge(_) => ErrorCode::ChartUpdateFailed,
        }
    }

    /// A validation error for one field, as the forms report it.
    pub(crate) fn invalid(field: &str, code: &str, message: impl Into<String>) -> RecordError {
        let mut errors = ValidationErrors::default();
        errors.push(karte_types::ValidationError::new(field, code, message));
        RecordError::Invalid(errors)
    }
}
