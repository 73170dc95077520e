//! What a session keeps for the app beside the charts: drafts of unsaved
//! forms (sealed in the vault, so nothing typed is lost when the app closes
//! or locks) and the settings the core enforces.

use karte_types::{Draft, DraftInput, Settings};

use super::Session;
use crate::ApiError;

impl Session {
    /// Keeps the unsaved form under `key`, stamped with the session's clock.
    pub fn save_draft(&mut self, key: &str, input: &DraftInput) -> Result<(), ApiError> {
        let draft = Draft {
            text: input.text.clone(),
            saved_at: self.now(),
        };
        let json = serde_json::to_vec(&draft).expect("a draft always serialises");
        Ok(self.vault.save_draft(key, &json)?)
    }

    pub fn draft(&self, key: &str) -> Result<Option<Draft>, ApiError> {
        let Some(json) = self.vault.draft(key)? else {
            return Ok(None);
        };
        // The bytes were sealed by this vault's key, so a draft that does not
        // parse was written by another version: it is dropped, not fatal.
        Ok(serde_json::from_slice(&json).ok())
    }

    pub fn discard_draft(&mut self, key: &str) -> Result<(), ApiError> {
        Ok(self.vault.discard_draft(key)?)
    }

    /// The saved settings, or the defaults.
    pub fn settings(&self) -> Result<Settings, ApiError> {
        let saved = self.vault.settings()?;
        Ok(saved
            .and_then(|json| serde_json::from_slice(&json).ok())
            .unwrap_or_default())
    }

    pub fn save_settings(&mut self, settings: &Settings) -> Result<(), ApiError> {
        settings
            .validate()
            .map_err(|e| ApiError::Invalid(karte_types::ValidationErrors(vec![e])))?;
        let json = serde_json::to_vec(settings).expect("settings always serialise");
        Ok(self.vault.save_settings(&json)?)
    }

    /// The login names of the vault's users.
    pub fn user_names(&self) -> Result<Vec<String>, ApiError> {
        Ok(self.vault.users()?.into_iter().map(|u| u.name).collect())
    }

    /// Open review items across every chart, summed over the patient index
    /// in place: the status bar asks often, and copying every summary of a
    /// large register for a count would be waste.
    pub fn open_review_count(&mut self) -> Result<usize, ApiError> {
        Ok(self
            .index()?
            .entries
            .iter()
            .map(|(summary, _)| summary.open_reviews as usize)
            .sum())
    }
}
