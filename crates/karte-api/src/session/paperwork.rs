//! The station's paperwork: 指示書 (physician's orders) and the scales
//! recorded at visits. Both are clinical entries, recorded by those who
//! record visits.

use karte_types::{AssessmentInput, EntryId, OrderInput, PatientId};

use super::Session;
use crate::ApiError;

impl Session {
    /// Records a 指示書; a 特別指示 is also checked against the chart's
    /// other orders (a regular one in force, the month's limit).
    pub fn add_order(&mut self, id: &PatientId, input: &OrderInput) -> Result<EntryId, ApiError> {
        self.add_entry(id, "order.add", input.validate(), |chart, entry, edit| {
            chart.add_order(entry, input, edit)
        })
    }

    /// Records one scale (寝たきり度, 認知症の日常生活自立度, Barthel Index,
    /// DESIGN-R of one wound).
    pub fn record_scale(
        &mut self,
        id: &PatientId,
        input: &AssessmentInput,
    ) -> Result<EntryId, ApiError> {
        self.add_entry(
            id,
            "assessment.record",
            input.validate(),
            |chart, entry, edit| chart.record_assessment(entry, input, edit),
        )
    }
}
