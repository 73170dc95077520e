//! The errors of the vault. Each has a stable `code` the UI branches on and a
//! message that says what to do next.

use std::path::PathBuf;

use karte_types::{ErrorCode, PatientId};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("there is no vault at {path}: check the path, or create a new vault there")]
    NoVault { path: PathBuf },
    #[error(
        "a file already exists at {path}: choose another path, or open the vault that is there"
    )]
    AlreadyExists { path: PathBuf },
    #[error(
        "the vault is in use by another Karte window or process: close it first, then try again"
    )]
    InUse,
    #[error("{path} is not a Karte vault: check the path")]
    NotAVault { path: PathBuf },
    #[error("the vault is damaged ({detail}): restore it from the hub or from a backup")]
    Corrupt { detail: String },
    #[error(
        "the vault has format {found}, but this Karte knows formats up to {supported}: update Karte"
    )]
    NewerFormat { found: i64, supported: i64 },
    #[error("wrong passphrase: check it and try again")]
    WrongPassphrase,
    #[error(
        "this vault's passphrases are protected by key derivation below Karte's minimum ({detail}), so a stolen copy would be cheap to guess: do not use it; ask your administrator to restore it from the hub into a new vault"
    )]
    WeakKeyDerivation { detail: String },
    #[error(
        "the vault has no user named '{name}': check the name, or ask an administrator to add you"
    )]
    UnknownUser { name: String },
    #[error("the vault already has a user named '{name}': choose another name")]
    UserExists { name: String },
    #[error("only an administrator may {action}: ask one to do it")]
    NotPermitted { action: String },
    #[error("{message}")]
    InvalidInput { message: String },
    #[error("the vault holds no chart {id}: check the patient id")]
    UnknownDocument { id: PatientId },
    #[error(
        "{what} failed its integrity check: it was altered or damaged; restore it from the hub or from a backup"
    )]
    Integrity { what: String },
    #[error("the audit log was altered at entry {seq}: report this to your administrator")]
    AuditTampered { seq: u64 },
    #[error(
        "the audit log ends at entry {found} but entries up to {expected} were written: entries were removed; report this to your administrator"
    )]
    AuditTruncated { expected: u64, found: u64 },
    #[error("the operating system's random source failed: restart the device and try again")]
    NoRandomness,
    #[error(
        "this vault was wiped on the hub's order (the device was revoked): enrol the device again to use it"
    )]
    Wiped,
    #[error(
        "this vault was never enrolled at a hub, so no recovery key can open it: only a user's passphrase can"
    )]
    NoRecoveryKey,
    #[error(
        "the recovery key does not open this vault: use the recovery key of the organisation the device was enrolled in"
    )]
    WrongRecoveryKey,
    #[error("file error: {0}: check the disk and its permissions")]
    Io(#[from] std::io::Error),
    #[error("database error: {0}")]
    Database(rusqlite::Error),
}

impl StoreError {
    /// A stable machine-readable code, e.g. `wrong_passphrase`.
    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::NoVault { .. } => ErrorCode::NoVault,
            StoreError::AlreadyExists { .. } => ErrorCode::AlreadyExists,
            StoreError::InUse => ErrorCode::VaultInUse,
            StoreError::NotAVault { .. } => ErrorCode::NotAVault,
            StoreError::Corrupt { .. } => ErrorCode::VaultCorrupt,
            StoreError::NewerFormat { .. } => ErrorCode::NewerFormat,
            StoreError::WrongPassphrase => ErrorCode::WrongPassphrase,
            StoreError::WeakKeyDerivation { .. } => ErrorCode::WeakKeyDerivation,
            StoreError::UnknownUser { .. } => ErrorCode::UnknownUser,
            StoreError::UserExists { .. } => ErrorCode::UserExists,
            StoreError::NotPermitted { .. } => ErrorCode::NotPermitted,
            StoreError::InvalidInput { .. } => ErrorCode::InvalidInput,
            StoreError::UnknownDocument { .. } => ErrorCode::UnknownPatient,
            StoreError::Integrity { .. } => ErrorCode::Integrity,
            StoreError::AuditTampered { .. } => ErrorCode::AuditTampered,
            StoreError::AuditTruncated { .. } => ErrorCode::AuditTruncated,
            StoreError::NoRandomness => ErrorCode::NoRandomness,
            StoreError::Wiped => ErrorCode::VaultWiped,
            StoreError::NoRecoveryKey => ErrorCode::NoRecoveryKey,
            StoreError::WrongRecoveryKey => ErrorCode::WrongRecoveryKey,
            StoreError::Io(_) => ErrorCode::Io,
            StoreError::Database(_) => ErrorCode::Database,
        }
    }

    pub(crate) fn integrity(what: impl Into<String>) -> StoreError {
        StoreError::Integrity { what: what.into() }
    }

    pub(crate) fn corrupt(detail: impl Into<String>) -> StoreError {
        StoreError::Corrupt {
            detail: detail.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> StoreError {
        StoreError::InvalidInput {
            message: message.into(),
        }
    }
}

/// SQLite's own reports of a damaged file, and values of the wrong type where
/// the schema promises another, mean the file was damaged: they become
/// `Corrupt`. Everything else stays a database error.
impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> StoreError {
        use rusqlite::ErrorCode;
        match &error {
            rusqlite::Error::SqliteFailure(failure, _)
                if matches!(
                    failure.code,
                    ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase
                ) =>
            {
                StoreError::corrupt(error.to_string())
            }
            rusqlite::Error::SqliteFailure(failure, _)
                if failure.extended_code == rusqlite::ffi::SQLITE_IOERR_SHORT_READ =>
            {
                StoreError::corrupt(format!("the file is truncated ({error})"))
            }
            rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::FromSqlConversionFailure(..)
            | rusqlite::Error::IntegralValueOutOfRange(..) => {
                StoreError::corrupt(format!("unexpected value ({error})"))
            }
            _ => StoreError::Database(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;

    #[test]
    fn messages_say_what_to_do_next() {
        let messages = [
            StoreError::InUse,
            StoreError::WrongPassphrase,
            StoreError::integrity("document P1 chunk 3"),
            StoreError::AuditTruncated {
                expected: 9,
                found: 7,
            },
            StoreError::NewerFormat {
                found: 3,
                supported: 1,
            },
        ]
        .map(|e| format!("{}: {e}", e.code()))
        .join("\n");
        expect![[r#"
            vault_in_use: the vault is in use by another Karte window or process: close it first, then try again
            wrong_passphrase: wrong passphrase: check it and try again
            integrity: document P1 chunk 3 failed its integrity check: it was altered or damaged; restore it from the hub or from a backup
            audit_truncated: the audit log ends at entry 7 but entries up to 9 were written: entries were removed; report this to your administrator
            newer_format: the vault has format 3, but this Karte knows formats up to 1: update Karte"#]]
        .assert_eq(&messages);
    }
}
