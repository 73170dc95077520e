//! The floor under key derivation: a vault is never created below it, an
//! edited copy of the parameters in the file is caught, and only a vault
//! created with the tests' parameters (sealed as such) is spared.

use karte_store::{KdfParams, StoreError, Vault};
use karte_types::{DeviceId, UserId};

use crate::support::{NOW, PASSPHRASE, TestVault};

fn create(test: &TestVault, kdf: KdfParams) -> Result<Vault, StoreError> {
    Vault::create(
        &test.path(),
        "admin",
        PASSPHRASE,
        kdf,
        UserId::from("01JUSER0000000000000000000"),
        DeviceId::from("01JDEVICE00000000000000000"),
        NOW,
    )
}

fn empty() -> TestVault {
    TestVault {
        dir: tempfile::tempdir().unwrap(),
    }
}

/// Writes `kdf` over the plaintext copy of the vault's parameters, as anyone
/// who can write the file could.
fn edit_plaintext_parameters(test: &TestVault, kdf: KdfParams) {
    test.raw()
        .execute(
            "UPDATE vault_meta SET kdf_memory_kib = ?1, kdf_iterations = ?2, kdf_parallelism = ?3",
            [kdf.memory_kib, kdf.iterations, kdf.parallelism],
        )
        .unwrap();
}

#[test]
fn a_vault_is_not_created_below_the_floor() {
    let fast = KdfParams::insecure_fast_for_tests();
    for weak in [
        KdfParams::new(KdfParams::FLOOR.memory_kib - 1, 3, 1),
        KdfParams::new(64 * 1024, 1, 1),
        // The tests' numbers, typed rather than asked for by name.
        KdfParams::new(fast.memory_kib, fast.iterations, fast.parallelism),
    ] {
        let test = empty();
        let error = create(&test, weak).unwrap_err();
        assert_eq!(error.code(), "invalid_input", "{weak:?}");
        assert!(error.to_string().contains("minimum"), "{error}");
        assert_eq!(std::fs::read_dir(test.dir.path()).unwrap().count(), 0);
    }
    let test = empty();
    create(&test, KdfParams::FLOOR).unwrap().lock();
    test.unlock_admin();
}

#[test]
fn lowering_the_plaintext_parameters_of_a_real_vault_is_caught_on_unlock() {
    let test = empty();
    create(&test, KdfParams::FLOOR).unwrap().lock();
    // Lowered to the tests' numbers, new passphrases would be wrapped under
    // 8 KiB and one pass; the sealed parameters say otherwise.
    edit_plaintext_parameters(&test, KdfParams::insecure_fast_for_tests());
    let error = test.unlock("admin", PASSPHRASE).unwrap_err();
    assert_eq!(error.code(), "integrity", "{error}");
    assert!(error.to_string().contains("key-derivation"), "{error}");
    // Put back, the vault opens again.
    edit_plaintext_parameters(&test, KdfParams::FLOOR);
    test.unlock_admin();
}

#[test]
fn a_test_vault_stays_a_test_vault_and_its_parameters_cannot_be_edited_either() {
    let (test, mut vault) = TestVault::new();
    vault.change_passphrase(b"a second passphrase").unwrap();
    vault.lock();
    let vault = test.unlock("admin", b"a second passphrase").unwrap();
    vault.lock();
    edit_plaintext_parameters(&test, KdfParams::FLOOR);
    let error = test.unlock("admin", b"a second passphrase").unwrap_err();
    assert_eq!(error.code(), "integrity", "{error}");
}
