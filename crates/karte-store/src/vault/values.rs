//! The vault's small app values: drafts of unsaved forms and the settings,
//! each written in its own committed transaction like every other write.

use crate::app_values::{self, draft_name};
use crate::{StoreError, Vault};

const SETTINGS: &str = "settings";

impl Vault {
    /// Keeps a draft under `key` (letters, digits, `-`, `_`), replacing the
    /// one there.
    pub fn save_draft(&mut self, key: &str, draft: &[u8]) -> Result<(), StoreError> {
        let name = draft_name(key)?;
        self.transact(None, |conn, data_key| {
            app_values::put(conn, data_key, &name, draft)
        })
    }

    /// The draft under `key`, if one is kept.
    pub fn draft(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.live()?;
        app_values::get(&self.conn, &self.key, &draft_name(key)?)
    }

    /// Removes the draft under `key`; removing none is no error.
    pub fn discard_draft(&mut self, key: &str) -> Result<(), StoreError> {
        let name = draft_name(key)?;
        self.transact(None, |conn, _| app_values::remove(conn, &name))
    }

    /// The settings as last saved, if ever.
    pub fn settings(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.live()?;
        app_values::get(&self.conn, &self.key, SETTINGS)
    }

    pub fn save_settings(&mut self, settings: &[u8]) -> Result<(), StoreError> {
        self.transact(None, |conn, key| {
            app_values::put(conn, key, SETTINGS, settings)
        })
    }
}
