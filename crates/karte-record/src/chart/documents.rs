//! Documents saved in the chart (報告書, 計画書, 記録書): saved by one
//! person, the draft rewritten while unapproved by that person only,
//! approved once by a second person (who, when, and the hash of the draft
//! they approved), and after that never edited, only voided.

use karte_types::{DocumentDraft, DocumentEntry, DocumentEntryInput, EntryId};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::fields::write_leaf;
use super::{Chart, find_entry};
use crate::history::Edit;
use crate::layout::{Collection, to_json};
use crate::{RecordError, view};

impl Chart {
    /// Saves a document, unapproved.
    pub fn add_document(
        &mut self,
        id: &EntryId,
        input: &DocumentEntryInput,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        if input.is_approved() {
            return Err(RecordError::invalid(
                "approved_by",
                "not_yet",
                "a document is saved first, then approved by a second person",
            ));
        }
        self.add_entry("document.save", id, input, edit)
    }

    /// Rewrites a saved document's draft (the one field), by the one who
    /// saved it, so that its approver is always a second person to the
    /// text's only author: refused once the document is approved or
    /// voided, for anyone else, or for a draft of another document.
    pub fn update_document(
        &mut self,
        id: &EntryId,
        draft: &DocumentDraft,
        edit: &Edit<'_>,
    ) -> Result<(), RecordError> {
        let entry = self.standing_document(id)?;
        if entry.meta.recorded_by.user != edit.author.user {
            return Err(RecordError::invalid(
                "entry",
                "not_author",
                format!(
                    "{id} was saved by {}: only they rewrite its draft; save your text as a new document",
                    entry.meta.recorded_by.user_name
                ),
            ));
        }
        if draft.kind() != entry.input.kind || draft.detail() != entry.input.detail {
            return Err(RecordError::invalid(
                "draft",
                "mismatch",
                format!(
                    "the draft is of another document than {id} ({} {}): save it as a new one",
                    entry.input.kind.as_str(),
                    entry.input.detail
                ),
            ));
        }
        let text = serde_json::to_string(draft).expect("a draft is plain data");
        self.set_entry_field(id, "draft", &Value::String(text), edit)
    }

    /// Approves a saved document: who (the change's author, who did not
    /// save it), their name, when, and the hash of the draft approved,
    /// written at once.
    pub fn approve_document(&mut self, id: &EntryId, edit: &Edit<'_>) -> Result<(), RecordError> {
        let entry = self.standing_document(id)?;
        if entry.meta.recorded_by.user == edit.author.user {
            return Err(RecordError::invalid(
                "entry",
                "same_person",
                "a document is approved by a second person, not the one who saved it",
            ));
        }
        let approval = [
            ("approved_by", to_json(&edit.author.user)?),
            (
                "approved_by_name",
                Value::String(edit.author.user_name.clone()),
            ),
            ("approved_at", Value::from(edit.at.0)),
            (
                "approved_draft",
                Value::String(draft_hash(&entry.input.draft)),
            ),
        ];
        self.commit("document.approve", edit, |tx| {
            let (_, obj) =
                find_entry(tx, id)?.ok_or_else(|| RecordError::UnknownEntry(id.clone()))?;
            for (key, value) in &approval {
                write_leaf(tx, &obj, key, value, false)?;
            }
            Ok(())
        })
    }

    /// The chart's documents, oldest first.
    pub fn documents(&self) -> Result<Vec<DocumentEntry>, RecordError> {
        view::documents(&self.doc)
    }

    /// The document `id`, neither voided nor approved.
    fn standing_document(&self, id: &EntryId) -> Result<DocumentEntry, RecordError> {
        match find_entry(&self.doc, id)? {
            Some((Collection::Documents, _)) => {}
            _ => return Err(RecordError::UnknownEntry(id.clone())),
        }
        let entry = self
            .documents()?
            .into_iter()
            .find(|d| &d.meta.id == id)
            .ok_or_else(|| RecordError::UnknownEntry(id.clone()))?;
        if entry.meta.entered_in_error.is_some() {
            return Err(RecordError::invalid(
                "entry",
                "voided",
                format!("{id} is marked entered-in-error"),
            ));
        }
        if entry.input.is_approved() {
            return Err(RecordError::invalid(
                "entry",
                "approved",
                format!(
                    "{id} is approved: an approved document is not edited; void it and save a new one"
                ),
            ));
        }
        Ok(entry)
    }
}

/// The SHA-256 (lower-case hex) of a document's draft text, as an
/// approval records it.
pub(crate) fn draft_hash(draft: &str) -> String {
    hex::encode(Sha256::digest(draft.as_bytes()))
}

/// Whether `input`'s approval stands: it names who approved it, and the
/// draft it holds is the one they approved. An approval that merged in
/// concurrently with a draft rewrite covers a text its approver never
/// saw, and does not stand.
pub(crate) fn approval_holds(input: &DocumentEntryInput) -> bool {
    input.is_approved() && input.approved_draft.as_deref() == Some(&draft_hash(&input.draft))
}

/// `input` as the chart shows it: unapproved when its approval does not
/// stand ([`approval_holds`]).
pub(crate) fn standing_approval(mut input: DocumentEntryInput) -> DocumentEntryInput {
    if !approval_holds(&input) {
        input.approved_by = None;
        input.approved_by_name = None;
        input.approved_at = None;
        input.approved_draft = None;
    }
    input
}
