//! Wound photos in the chart: entries that name an attachment by its
//! content hash, with when it was taken and the wound it shows. A photo may
//! name the DESIGN-R assessment made with it, which must be an assessment
//! of this chart; its wound is then the assessment's.

use karte_types::{EntryId, Photo, PhotoInput, Scale};

use super::{Chart, find_entry};
use crate::history::Edit;
use crate::json::read_map;
use crate::layout::{Collection, input_from_doc};
use crate::{RecordError, view};

impl Chart {
    /// Records a photo entry; the attachment itself is the vault's. A photo
    /// linked to an assessment and naming no wound gets the assessment's.
    pub fn add_photo(
        &mut self,
        id: &EntryId,
        input: &PhotoInput,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        let mut input = input.clone();
        if let Some(assessment) = &input.assessment {
            let wound = match find_entry(&self.doc, assessment)? {
                Some((Collection::Assessments, obj)) => {
                    let entry = read_map(&self.doc, &obj);
                    match input_from_doc::<karte_types::AssessmentInput>(&entry)?.scale {
                        Scale::DesignR(design_r) => design_r.wound,
                        _ => {
                            return Err(RecordError::invalid(
                                "assessment",
                                "not_design_r",
                                format!(
                                    "{assessment} is not a DESIGN-R assessment: link a photo to the wound's DESIGN-R"
                                ),
                            ));
                        }
                    }
                }
                _ => return Err(RecordError::UnknownEntry(assessment.clone())),
            };
            if input.wound.as_ref().is_some_and(|named| *named != wound) {
                return Err(RecordError::invalid(
                    "wound",
                    "mismatch",
                    format!(
                        "the assessment {assessment} is of the wound {wound}: name that wound or leave it out"
                    ),
                ));
            }
            input.wound = Some(wound);
        }
        self.add_entry("photo.add", id, &input, edit)
    }

    /// The chart's photo entries, oldest first by when they were taken.
    pub fn photos(&self) -> Result<Vec<Photo>, RecordError> {
        view::photos(&self.doc)
    }

    /// The attachments (content hashes, hex) a chart as the hub holds it
    /// (an Automerge document, read, never written) names in its photo
    /// entries, voided or not: what the hub asks before it serves or takes
    /// a photo's bytes.
    pub fn named_attachments(doc: &automerge::Automerge) -> Result<Vec<String>, RecordError> {
        Ok(view::photos(doc)?
            .into_iter()
            .map(|photo| photo.input.attachment)
            .collect())
    }
}
