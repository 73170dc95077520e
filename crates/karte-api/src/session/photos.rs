//! Wound photos: the file is checked and stripped of its metadata
//! (`karte-photo`), sealed in the vault once per content with its
//! thumbnail, and named by an entry in the chart.
//!
//! The attachment is stored before the entry that names it, so a chart on
//! this device never names a photo this device lacks. Everything that can
//! refuse the photo (the patient, the assessment it links, the file itself)
//! is checked before anything is stored.

use karte_record::RecordError;
use karte_store::AuditAction;
use karte_types::{
    EntryId, PatientId, Photo, PhotoImage, PhotoInput, PhotoSize, PhotoUpload, Scale,
};
use zeroize::Zeroizing;

use super::Session;
use crate::{ApiError, Permission};

impl Session {
    /// Adds a wound photo to a chart.
    pub fn add_photo(&mut self, id: &PatientId, upload: &PhotoUpload) -> Result<EntryId, ApiError> {
        self.require(Permission::RecordClinical)?;
        upload.validate()?;
        let wound = self.wound_of_link(id, upload)?;
        let prepared = karte_photo::prepare(&upload.file.0)?;
        let input = PhotoInput {
            attachment: String::new(),
            media_type: prepared.media_type.to_owned(),
            width: prepared.width,
            height: prepared.height,
            size: prepared.image.len() as u64,
            taken_at: upload.taken_at.unwrap_or(self.now()),
            wound,
            assessment: upload.assessment.clone(),
        };
        // The entry is checked before the photo is stored; its hash is
        // only known after.
        PhotoInput {
            attachment: "0".repeat(64),
            ..input.clone()
        }
        .validate()?;
        let stored = self
            .vault
            .put_attachment(&prepared.image, &prepared.thumbnail)?;
        let input = PhotoInput {
            attachment: hex::encode(stored.hash),
            ..input
        };
        self.add_entry(id, "photo.add", input.validate(), |chart, entry, edit| {
            chart.add_photo(entry, &input, edit)
        })
    }

    /// The wound a photo is of: the one named, or that of the DESIGN-R it
    /// links, which must be one of this chart's, of the same wound.
    fn wound_of_link(
        &mut self,
        id: &PatientId,
        upload: &PhotoUpload,
    ) -> Result<Option<String>, ApiError> {
        let view = self.load(id)?.chart.view()?;
        let Some(link) = &upload.assessment else {
            return Ok(upload.wound.clone());
        };
        let Some(assessment) = view.assessments.iter().find(|a| a.meta.id == *link) else {
            return Err(RecordError::UnknownEntry(link.clone()).into());
        };
        match &assessment.input.scale {
            Scale::DesignR(design_r)
                if upload.wound.as_ref().is_none_or(|w| *w == design_r.wound) =>
            {
                Ok(Some(design_r.wound.clone()))
            }
            Scale::DesignR(design_r) => Err(invalid(
                "wound",
                "mismatch",
                format!(
                    "the assessment {link} is of the wound {}: name that wound or leave it out",
                    design_r.wound
                ),
            )),
            _ => Err(invalid(
                "assessment",
                "not_design_r",
                format!(
                    "{link} is not a DESIGN-R assessment: link a photo to the wound's DESIGN-R"
                ),
            )),
        }
    }

    /// The chart's photo entries, oldest first by when they were taken.
    pub fn photos(&mut self, id: &PatientId) -> Result<Vec<Photo>, ApiError> {
        Ok(self.load(id)?.chart.photos()?)
    }

    /// A chart's photo entries without opening it for the user: a chart
    /// not in the cache is read and left out of it, and a list entry the
    /// hub sent is left for the chart's first opening to confirm. For the
    /// photo pass of a sync, which looks at every chart.
    pub(super) fn photos_unopened(&mut self, id: &PatientId) -> Result<Vec<Photo>, ApiError> {
        if let Some(loaded) = self.charts.get(id) {
            return Ok(loaded.chart.photos()?);
        }
        Ok(self.read_chart(id)?.0.photos()?)
    }

    /// A photo's thumbnail or the photo itself, for showing it.
    pub fn photo(
        &mut self,
        id: &PatientId,
        entry: &EntryId,
        size: &PhotoSize,
    ) -> Result<PhotoImage, ApiError> {
        let (photo, mut bytes) = self.photo_bytes(id, entry, *size)?;
        let media_type = match size {
            PhotoSize::Thumbnail => "image/jpeg".to_owned(),
            PhotoSize::Full => photo.input.media_type,
        };
        Ok(PhotoImage {
            media_type,
            // Moved, not copied: one buffer of the picture handed on, not two.
            data: karte_types::Base64Bytes(std::mem::take(&mut *bytes)),
        })
    }

    /// The photo itself, to be written to a file outside the vault: needs
    /// the export permission and is recorded in the audit log as
    /// `export photo`.
    pub fn export_photo(
        &mut self,
        id: &PatientId,
        entry: &EntryId,
    ) -> Result<(Photo, Zeroizing<Vec<u8>>), ApiError> {
        self.require(Permission::Export)?;
        let found = self.photo_bytes(id, entry, PhotoSize::Full)?;
        self.audit(
            AuditAction::Export {
                format: "photo".into(),
            },
            Some(id.clone()),
            entry.to_string(),
        )?;
        Ok(found)
    }

    /// The entry id a user means by an id or a unique prefix of a photo's.
    pub fn resolve_photo(&mut self, id: &PatientId, typed: &str) -> Result<EntryId, ApiError> {
        let photos = self.photos(id)?;
        let found = crate::ids::find_unique(
            crate::ids::Lookup::Entry,
            typed,
            photos.iter().map(|p| p.meta.id.as_str()),
        )?;
        Ok(EntryId(found.to_owned()))
    }

    fn photo_bytes(
        &mut self,
        id: &PatientId,
        entry: &EntryId,
        size: PhotoSize,
    ) -> Result<(Photo, Zeroizing<Vec<u8>>), ApiError> {
        let photo = self
            .photos(id)?
            .into_iter()
            .find(|p| p.meta.id == *entry)
            .ok_or_else(|| RecordError::UnknownEntry(entry.clone()))?;
        let hash: [u8; 32] = hex::decode(&photo.input.attachment)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(|| invalid("attachment", "malformed", "not a SHA-256"))?;
        let bytes = match size {
            PhotoSize::Thumbnail => self.vault.attachment_thumbnail(&hash)?,
            PhotoSize::Full => self.vault.attachment(&hash)?,
        };
        match bytes {
            Some(bytes) => Ok((photo, bytes)),
            None => Err(ApiError::PhotoNotHere {
                entry: entry.to_string(),
            }),
        }
    }
}

fn invalid(field: &str, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::Invalid(karte_types::ValidationErrors(vec![
        karte_types::ValidationError::new(field, code, message),
    ]))
}
