//! One process per vault. Two processes writing one vault would reuse
//! Automerge actor ids and interleave audit entries, so a vault is held under
//! an OS file lock on a side file `<vault>.lock`.
//!
//! The lock is the kernel's, not the file's existence: it is released when
//! the holding process ends, however it ends. A lock file left behind by a
//! killed process locks nobody out; it is simply locked again.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::StoreError;

/// The held lock; dropping it releases the vault.
#[derive(Debug)]
pub(crate) struct ProcessLock {
    _file: File,
}

/// `<vault>.lock`, beside the vault file.
pub(crate) fn lock_path(vault: &Path) -> PathBuf {
    let mut name = vault.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// How often, and how far apart, a held lock is tried again before the
/// vault is reported in use. A lock is also held for a moment by a child
/// process that was forked but has not yet run its program (the descriptor
/// is closed on exec), and by a Karte process that is just exiting.
const ATTEMPTS: u32 = 6;
const PAUSE: Duration = Duration::from_millis(50);

impl ProcessLock {
    pub(crate) fn acquire(vault: &Path) -> Result<ProcessLock, StoreError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(lock_path(vault))?;
        for attempt in 1..=ATTEMPTS {
            match file.try_lock() {
                Ok(()) => return Ok(ProcessLock { _file: file }),
                Err(TryLockError::WouldBlock) if attempt < ATTEMPTS => std::thread::sleep(PAUSE),
                Err(TryLockError::WouldBlock) => break,
                Err(TryLockError::Error(error)) => return Err(StoreError::Io(error)),
            }
        }
        Err(StoreError::InUse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_is_exclusive_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let vault = dir.path().join("v.karte");
        let held = ProcessLock::acquire(&vault).unwrap();
        assert!(matches!(
            ProcessLock::acquire(&vault),
            Err(StoreError::InUse)
        ));
        drop(held);
        ProcessLock::acquire(&vault).unwrap();
        assert_eq!(lock_path(&vault), dir.path().join("v.karte.lock"));
    }
}
