//! The audit log's entries as every front reads them: who opened, edited,
//! exported or synced what, and when. The vault seals and chains them
//! (`karte-store`); here they are plain values.

use serde::{Deserialize, Serialize};

use crate::{DeviceId, PatientId, Timestamp, UserId};

/// What was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum AuditAction {
    ChartOpen,
    /// `operation` names the edit, e.g. `visit.record`.
    ChartEdit {
        operation: String,
    },
    Export {
        format: String,
    },
    Import {
        format: String,
    },
    Sync,
    Unlock,
    UserAdded,
    PassphraseChanged,
    /// The device was enrolled at a hub.
    Enrol,
    /// A chart was shared with another organisation.
    Share {
        org: String,
    },
    /// An organisation was removed from a chart's care circle.
    Unshare {
        org: String,
    },
    /// The vault was opened with the organisation's recovery key.
    Recovery,
}

impl std::fmt::Display for AuditAction {
    /// Short words for a printed log: `open`, `edit visit.record`, `export fhir`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuditAction::ChartOpen => f.write_str("open"),
            AuditAction::ChartEdit { operation } => write!(f, "edit {operation}"),
            AuditAction::Export { format } => write!(f, "export {format}"),
            AuditAction::Import { format } => write!(f, "import {format}"),
            AuditAction::Sync => f.write_str("sync"),
            AuditAction::Unlock => f.write_str("unlock"),
            AuditAction::UserAdded => f.write_str("user-added"),
            AuditAction::PassphraseChanged => f.write_str("passphrase-changed"),
            AuditAction::Enrol => f.write_str("enrol"),
            AuditAction::Share { org } => write!(f, "share {org}"),
            AuditAction::Unshare { org } => write!(f, "unshare {org}"),
            AuditAction::Recovery => f.write_str("recovery"),
        }
    }
}

/// One thing a user did, as the caller describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: Timestamp,
    pub action: AuditAction,
    pub patient: Option<PatientId>,
    pub detail: String,
}

/// An event as recorded: numbered, attributed and chained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub user: UserId,
    /// The user's name when the entry was written.
    pub user_name: String,
    pub device: DeviceId,
    pub event: AuditEvent,
    /// SHA-256 over the previous entry's hash and this entry.
    pub hash: [u8; 32],
}

impl AuditEntry {
    /// The entry's chain hash in hexadecimal, as printed in the log.
    pub fn hash_hex(&self) -> String {
        hex::encode(self.hash)
    }
}
