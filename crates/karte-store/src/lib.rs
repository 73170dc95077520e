//! The encrypted local vault: charts as opaque byte chunks, the patient
//! index, users and the audit log in one SQLite file, every value that could
//! hold patient data sealed with AES-256-GCM under a data key that each
//! user's passphrase wraps (Argon2id).
//!
//! This crate knows nothing of Automerge; `karte-record` gives it bytes.

pub mod crypto;

mod app_values;
mod attachments;
mod audit;
mod change_log;
mod documents;
mod error;
mod header;
mod lock;
mod patient_index;
mod quarantine;
mod recovery;
mod schema;
mod sync_state;
mod trust_store;
mod users;
mod vault;

pub use attachments::AttachmentStored;
pub use audit::{AuditAction, AuditEntry, AuditEvent, AuditHead, AuditRecord};
pub use change_log::ChangeSignatureRecord;
pub use crypto::kdf::KdfParams;
pub use error::StoreError;
pub use patient_index::IndexedConsultations;
pub use quarantine::{QuarantineWrite, QuarantinedChart};
pub use sync_state::{
    DocumentSyncState, DocumentToPush, Enrolment, LastSync, LockPolicy, PendingShare, SyncState,
};
pub use users::{Role, UserRecord};
pub use vault::{BundleImportWrite, ReceivedDocument, SyncPageWrite, Vault, VaultOpened};
