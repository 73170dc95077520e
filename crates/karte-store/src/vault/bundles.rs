//! What the vault keeps of carried bundles, in its sealed app values (no
//! table of their own): each bundle imported (`bundle-seen:<hex id>`, so
//! one imported twice is told apart), each scope's last export
//! (`bundle-export:<scope>`, what `--since-last` starts from), and the
//! charts a bundle brought changes to that the hub may lack
//! (`bundle-relay:<chart>`, also set by a peer's page for each chart it
//! brought changes to; cleared when the hub acknowledges the chart or a
//! sync finds nothing of it after the hub's heads).
//! Names hold random ids and organisation ids only; values are sealed.
//!
//! An import is written in one transaction: charts, their authors'
//! signatures, trust entries, the bundle's mark and its audit entries.

use karte_types::PatientId;

use super::sync::write_received;
use crate::{AuditEvent, ChangeSignatureRecord, ReceivedDocument, StoreError, Vault, app_values};

fn seen_name(bundle: &[u8; 16]) -> String {
    format!("bundle-seen:{}", hex::encode(bundle))
}

fn export_name(scope: &str) -> String {
    format!("bundle-export:{scope}")
}

pub(crate) fn relay_name(doc: &PatientId) -> String {
    format!("bundle-relay:{doc}")
}

/// Everything one bundle's import changes, written in one transaction.
#[derive(Debug, Clone, Default)]
pub struct BundleImportWrite {
    pub bundle: [u8; 16],
    /// What to keep of the bundle (sender, time, counts), sealed.
    pub seen: Vec<u8>,
    pub documents: Vec<ReceivedDocument>,
    /// The authors' signatures the bundle carried, per chart.
    pub signatures: Vec<(PatientId, Vec<ChangeSignatureRecord>)>,
    /// Trust store entries (newer lists, members' certs).
    pub trust: Vec<(String, Vec<u8>)>,
    pub audit: Vec<AuditEvent>,
}

impl Vault {
    /// What was kept of the bundle `bundle` when it was imported, if it was.
    pub fn bundle_seen(&self, bundle: &[u8; 16]) -> Result<Option<Vec<u8>>, StoreError> {
        self.live()?;
        app_values::get(&self.conn, &self.key, &seen_name(bundle))
    }

    /// The mark of the last bundle exported for `scope`, if any.
    pub fn bundle_export_mark(&self, scope: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.live()?;
        app_values::get(&self.conn, &self.key, &export_name(scope))
    }

    /// Keeps `mark` as the last bundle exported for `scope`, with the
    /// export's audit entry. Called only once the file is in place.
    pub fn record_bundle_export(
        &mut self,
        scope: &str,
        mark: &[u8],
        event: AuditEvent,
    ) -> Result<(), StoreError> {
        self.transact(Some(event), |conn, key| {
            app_values::put(conn, key, &export_name(scope), mark)
        })
    }

    /// Whether a bundle or a peer brought `doc` changes the hub has not
    /// acknowledged.
    pub fn bundle_relay_pending(&self, doc: &PatientId) -> Result<bool, StoreError> {
        self.live()?;
        Ok(app_values::get(&self.conn, &self.key, &relay_name(doc))?.is_some())
    }

    /// Writes a bundle's import, all or nothing.
    pub fn write_bundle_import(&mut self, write: BundleImportWrite) -> Result<(), StoreError> {
        let BundleImportWrite {
            bundle,
            seen,
            documents,
            signatures,
            trust,
            audit,
        } = write;
        self.transact_audited(audit, |conn, key| {
            for document in documents {
                if !document.chunk.is_empty() {
                    app_values::put(conn, key, &relay_name(&document.id), &[1])?;
                }
                write_received(conn, key, document)?;
            }
            for (id, records) in &signatures {
                crate::change_log::add(conn, key, id, records)?;
            }
            for (id, value) in &trust {
                crate::trust_store::put(conn, key, id, value)?;
            }
            app_values::put(conn, key, &seen_name(&bundle), &seen)
        })
    }
}
