//! The station's paperwork in the chart: 指示書 (physician's orders) and the
//! scales recorded at visits. An order is checked on its own (its period
//! for its kind, who issued it) and against the orders the chart holds (a
//! 特別指示 needs a regular order in force, and a month allows one, or two
//! for a patient with a tracheal cannula or a pressure ulcer beyond the
//! dermis). Orders that meet only in a merge are not refused by anyone:
//! the read model shows them as alerts (`OrderStatus`). A consultation of
//! disaster mode is a visit with its J-SPEED sheet, recorded here beside
//! the scales since the sheet is one (`Scale::JSpeed`).

use karte_types::{
    AssessmentInput, EntryId, JSpeedSheet, OrderInput, OrderSpan, Scale, VisitInput,
    check_new_order,
};

use super::edits::{new_entry, put_new_entry};
use super::{Chart, find_entry};
use crate::history::Edit;
use crate::layout::Collection;
use crate::{RecordError, view};

impl Chart {
    /// Records a 指示書 from the paper the physician signed.
    pub fn add_order(
        &mut self,
        id: &EntryId,
        input: &OrderInput,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        input.validate()?;
        let held: Vec<OrderSpan> = view::orders(&self.doc)?
            .iter()
            .filter_map(OrderSpan::of)
            .collect();
        check_new_order(&held, &OrderSpan::new(id.clone(), input))?;
        self.add_entry("order.add", id, input, edit)
    }

    /// Records a scale (寝たきり度, 認知症の日常生活自立度, Barthel Index,
    /// DESIGN-R of one wound), with the visit it was made at if any, which
    /// must be a visit of this chart.
    pub fn record_assessment(
        &mut self,
        id: &EntryId,
        input: &AssessmentInput,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        if let Some(visit) = &input.visit {
            match find_entry(&self.doc, visit)? {
                Some((Collection::Visits, _)) => {}
                _ => return Err(RecordError::UnknownEntry(visit.clone())),
            }
        }
        self.add_entry("assessment.record", id, input, edit)
    }
}

impl Chart {
    /// Records a consultation of disaster mode: the visit and its J-SPEED
    /// sheet (an assessment made at that visit) in one change, so a
    /// device never holds one without the other.
    pub fn record_consultation(
        &mut self,
        visit_id: &EntryId,
        visit: &VisitInput,
        sheet_id: &EntryId,
        sheet: &JSpeedSheet,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        let assessment = AssessmentInput {
            at: visit.at,
            visit: Some(visit_id.clone()),
            scale: Scale::JSpeed(sheet.clone()),
        };
        let visit_entry = new_entry(visit_id, visit, edit)?;
        let sheet_entry = new_entry(sheet_id, &assessment, edit)?;
        self.commit("consultation.record", edit, |tx| {
            put_new_entry::<VisitInput>(tx, visit_id, &visit_entry, edit)?;
            put_new_entry::<AssessmentInput>(tx, sheet_id, &sheet_entry, edit)
        })
    }
}
