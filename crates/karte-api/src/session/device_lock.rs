//! The organisation's lock for lost devices, enforced here, at unlock, for
//! every front (the app, the bridge and the CLI all open a `Session`): a
//! vault whose organisation set a policy, and that has not reached its hub
//! for the policy's days, opens only with an unlock code its administrator
//! reads out. The clock is the session's (`Environment`), so tests pass
//! fixed ones.
//!
//! This is a check in the software that holds the key, not a key the vault
//! lacks: whoever has the passphrase and runs other code reads the vault
//! all the same (see ARCHITECTURE.md, the threat model). What it stops is
//! the lost tablet opened in Karte by someone who learnt the passphrase.

use karte_store::{AuditAction, AuditEvent, LockPolicy};
use karte_sync::DeviceLock;
use karte_sync::unlock_code::{UnlockCodeCheck, UnlockCodeCost, match_unlock_code};

use super::Session;
use crate::ApiError;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

impl Session {
    /// Refuses the session of a vault locked by its organisation's policy
    /// (`device_locked`), unless `unlock_code` is one of its unused codes
    /// (`wrong_unlock_code` if not): then the code is used up and the
    /// policy's days start again, with an audit entry.
    pub(super) fn check_device_lock(&mut self, unlock_code: Option<&str>) -> Result<(), ApiError> {
        let state = self.vault.sync_state()?;
        let Some(policy) = &state.lock else {
            return Ok(());
        };
        let since = state.last_contact().unwrap_or(self.vault.created_at());
        let now = self.now();
        let limit = i64::from(policy.lock_after_days).saturating_mul(DAY_MS);
        if now.0.saturating_sub(since.0) < limit {
            return Ok(());
        }
        let Some(code) = unlock_code else {
            return Err(ApiError::DeviceLocked {
                days: policy.lock_after_days,
                since,
            });
        };
        let (memory_kib, iterations, parallelism) = policy.cost;
        let cost = UnlockCodeCost {
            memory_kib,
            iterations,
            parallelism,
        };
        let unused: Vec<UnlockCodeCheck> = policy
            .codes
            .iter()
            .filter(|(number, _, _)| !state.used_unlock_codes.contains(number))
            .map(|&(number, salt, hash)| UnlockCodeCheck { number, salt, hash })
            .collect();
        let number = match_unlock_code(code, &unused, &cost).ok_or(ApiError::WrongUnlockCode)?;
        let audit = AuditEvent {
            at: now,
            action: AuditAction::Unlock,
            patient: None,
            detail: format!(
                "locked after {} days without the hub; opened with the administrator's unlock code {number}",
                policy.lock_after_days
            ),
        };
        self.vault.record_unlock_code(number, now, audit)?;
        Ok(())
    }
}

/// The policy as the vault keeps it.
pub(super) fn lock_policy(lock: &DeviceLock) -> LockPolicy {
    LockPolicy {
        lock_after_days: lock.lock_after_days,
        cost: (
            lock.cost.memory_kib,
            lock.cost.iterations,
            lock.cost.parallelism,
        ),
        codes: lock
            .codes
            .iter()
            .map(|check| (check.number, check.salt, check.hash))
            .collect(),
    }
}
