//! Opening a vault whose passphrase is forgotten, with the organisation's
//! offline recovery key: the data key sealed to it at enrolment opens the
//! vault, and the user is given a new passphrase. Nothing in the vault is
//! re-encrypted or lost, so changes not yet synced survive.

use std::path::Path;

use karte_store::{AuditAction, StoreError, Vault};
use karte_sync::recovery::{RecoveryError, RecoveryPrivateKey, open_with_recovery_key};

use super::{Session, check_new_passphrase, sole_user};
use crate::{ApiError, Environment};

impl Session {
    /// Opens the vault at `path` with the organisation's recovery key (the
    /// text of the key file `karte-hub org add` wrote, and its passphrase if
    /// it is protected by one) and sets `new_passphrase` for `user` (the
    /// vault's only user if `None`).
    pub fn recover(
        path: &Path,
        user: Option<&str>,
        recovery_key_file: &str,
        key_file_passphrase: Option<&[u8]>,
        new_passphrase: &[u8],
        env: Environment,
    ) -> Result<Session, ApiError> {
        // Checked before the key file is read: a recovery that cannot set
        // the new passphrase should not get as far as opening the vault.
        check_new_passphrase(new_passphrase)?;
        let private = RecoveryPrivateKey::from_file_text(recovery_key_file, key_file_passphrase)?;
        let opened = Vault::open(path)?;
        let user = match user {
            Some(user) => user.to_owned(),
            None => sole_user(&opened.users())?,
        };
        let sealed = opened.recovery_box()?.ok_or(StoreError::NoRecoveryKey)?;
        let data_key = open_with_recovery_key(&private, &sealed).map_err(|error| match error {
            RecoveryError::WrongKey => ApiError::Store(StoreError::WrongRecoveryKey),
            other => ApiError::Recovery(other),
        })?;
        let vault = opened.unlock_with_recovered_key(&user, data_key)?;
        let mut session = Session::start(vault, env);
        session.vault.change_passphrase(new_passphrase)?;
        session.audit(
            AuditAction::Recovery,
            None,
            format!("opened with the organisation's recovery key; new passphrase set for {user}"),
        )?;
        Ok(session)
    }
}
