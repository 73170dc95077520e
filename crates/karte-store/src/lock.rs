//! One process per vault. Two processes writing one vault would reuse
//! Automerge actor ids and interleave audit entries, so a vault is held under
//! an OS file lock on a side file `<vault>.lock`.
//!
//! The lock is the kernel's, not the file's existence: it is released when
//! the holding process ends, however it ends. A lock file left behind by a
//! killed process locks nobody out; it is simply locked again.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

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

impl ProcessLock {
    pub(crate) fn acquire(vault: &Path) -> Result<ProcessLock, StoreError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(lock_path(vault))?;
        match file.try_lock() {
            Ok(()) => Ok(ProcessLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(StoreError::InUse),
            Err(TryLockError::Error(error)) => Err(StoreError::Io(error)),
        }
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
        assert!(matches!(ProcessLock::acquire(&vault), Err(StoreError::InUse)));
        drop(held);
        ProcessLock::acquire(&vault).unwrap();
        assert_eq!(lock_path(&vault), dir.path().join("v.karte.lock"));
    }
}
