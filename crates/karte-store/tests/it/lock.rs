//! One process per vault, and no lock-out by a lock file a crash left behind.

use karte_store::{StoreError, Vault};

use crate::support::{PASSPHRASE, TestVault};

#[test]
fn a_second_open_is_refused_while_the_first_holds_the_vault() {
    let (test, vault) = TestVault::new();
    assert!(matches!(Vault::open(&test.path()), Err(StoreError::InUse)));
    vault.lock();

    let opened = Vault::open(&test.path()).unwrap();
    let error = Vault::open(&test.path()).unwrap_err();
    assert!(matches!(error, StoreError::InUse));
    assert!(error.to_string().contains("in use"), "{error}");
    drop(opened);
    test.unlock_admin();
}

#[test]
fn a_failed_unlock_lets_go_of_the_vault() {
    let (test, vault) = TestVault::new();
    vault.lock();
    assert!(
        Vault::open(&test.path())
            .unwrap()
            .unlock("admin", b"wrong")
            .is_err()
    );
    Vault::open(&test.path())
        .unwrap()
        .unlock("admin", PASSPHRASE)
        .unwrap();
}

#[test]
fn a_stale_lock_file_does_not_lock_anyone_out() {
    let (test, vault) = TestVault::new();
    vault.lock();
    let lock_file = test.dir.path().join("vault.karte.lock");
    std::fs::remove_file(&lock_file).ok();
    // What a killed process leaves: the file, but no lock held on it.
    std::fs::write(&lock_file, b"pid 4242").unwrap();
    test.unlock_admin();
    assert!(lock_file.exists());
}
