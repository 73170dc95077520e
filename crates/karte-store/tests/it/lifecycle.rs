//! Creating, opening and unlocking a vault; users and passphrases.

use karte_store::{KdfParams, Role, StoreError, UserRecord, Vault};
use karte_types::{DeviceId, PatientId, Timestamp, UserId};

use crate::support::{NOW, PASSPHRASE, TestVault, append};

#[test]
fn a_new_vault_reopens_with_its_device_user_and_data() {
    let (test, mut vault) = TestVault::new();
    assert_eq!(vault.user().role, Role::Admin);
    assert_eq!(vault.created_at(), NOW);
    append(&mut vault, "P1", b"first chunk");
    vault.lock();

    let opened = Vault::open(&test.path()).unwrap();
    assert_eq!(opened.users(), vec!["admin".to_owned()]);
    assert_eq!(opened.device_id().as_str(), "01JDEVICE00000000000000000");
    let vault = opened.unlock("admin", PASSPHRASE).unwrap();
    assert_eq!(vault.user().name, "admin");
    assert_eq!(vault.created_at(), NOW);
    assert_eq!(
        vault.load_document(&PatientId::from("P1")).unwrap(),
        vec![b"first chunk".to_vec()]
    );
}

#[test]
fn wrong_passphrase_and_unknown_user_are_told_apart() {
    let (test, vault) = TestVault::new();
    vault.lock();
    assert!(matches!(
        test.unlock("admin", b"wrong"),
        Err(StoreError::WrongPassphrase)
    ));
    assert!(matches!(
        test.unlock("admin", b""),
        Err(StoreError::WrongPassphrase)
    ));
    let error = test.unlock("nobody", PASSPHRASE).unwrap_err();
    assert!(
        matches!(&error, StoreError::UnknownUser { name } if name == "nobody"),
        "{error:?}"
    );
    assert_eq!(StoreError::WrongPassphrase.code(), "wrong_passphrase");
    test.unlock_admin();
}

#[test]
fn create_refuses_an_existing_file_and_open_a_missing_one() {
    let (test, vault) = TestVault::new();
    vault.lock();
    let again = Vault::create(
        &test.path(),
        "admin",
        PASSPHRASE,
        KdfParams::insecure_fast_for_tests(),
        UserId::from("U2"),
        DeviceId::from("D2"),
        Timestamp(0),
    );
    assert!(matches!(again, Err(StoreError::AlreadyExists { .. })));
    test.unlock_admin();

    let missing = test.dir.path().join("missing.karte");
    assert!(matches!(
        Vault::open(&missing),
        Err(StoreError::NoVault { .. })
    ));
    assert!(!test.dir.path().join("missing.karte.lock").exists());
}

#[test]
fn create_checks_its_input_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.karte");
    let create = |name: &str, passphrase: &[u8], kdf: KdfParams| {
        Vault::create(
            &path,
            name,
            passphrase,
            kdf,
            UserId::from("U"),
            DeviceId::from("D"),
            NOW,
        )
    };
    let fast = KdfParams::insecure_fast_for_tests();
    let absurd = KdfParams::new(1, fast.iterations, fast.parallelism);
    for result in [
        create(" ", PASSPHRASE, fast),
        create("admin", b"", fast),
        create("admin", PASSPHRASE, absurd),
    ] {
        assert_eq!(result.unwrap_err().code(), "invalid_input");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn only_an_admin_adds_users_and_names_are_unique() {
    let (test, mut admin) = TestVault::new();
    admin
        .add_user("sato", Role::Nurse, b"nurse pass", UserId::from("U-SATO"))
        .unwrap();
    let taken = admin.add_user(" sato ", Role::Doctor, b"x", UserId::from("U-OTHER"));
    assert!(matches!(taken, Err(StoreError::UserExists { name }) if name == "sato"));
    let users = admin.users().unwrap();
    assert_eq!(
        users,
        vec![
            UserRecord {
                id: UserId::from("01JUSER0000000000000000000"),
                name: "admin".into(),
                role: Role::Admin
            },
            UserRecord {
                id: UserId::from("U-SATO"),
                name: "sato".into(),
                role: Role::Nurse
            },
        ]
    );
    admin.lock();

    let opened = Vault::open(&test.path()).unwrap();
    assert_eq!(opened.users(), vec!["admin".to_owned(), "sato".to_owned()]);
    let mut nurse = opened.unlock("sato", b"nurse pass").unwrap();
    assert_eq!(nurse.user().role, Role::Nurse);
    let refused = nurse.add_user("tanaka", Role::Admin, b"x", UserId::from("U-T"));
    assert!(matches!(refused, Err(StoreError::NotPermitted { .. })));
    // Both passphrases unwrap the same data key.
    append(&mut nurse, "P1", b"written by the nurse");
    nurse.lock();
    let admin = test.unlock_admin();
    assert_eq!(
        admin.load_document(&PatientId::from("P1")).unwrap().len(),
        1
    );
}

#[test]
fn a_user_renamed_in_the_file_is_refused() {
    let (test, mut admin) = TestVault::new();
    admin
        .add_user("sato", Role::Nurse, b"nurse pass", UserId::from("U-SATO"))
        .unwrap();
    admin.lock();
    // The plaintext name no longer matches the name sealed in the profile.
    let raw = test.raw();
    raw.execute("UPDATE users SET name = 'boss' WHERE id = 'U-SATO'", [])
        .unwrap();
    drop(raw);
    let error = test.unlock("boss", b"nurse pass").unwrap_err();
    assert!(
        matches!(&error, StoreError::Integrity { what } if what == "user boss"),
        "{error:?}"
    );
}

#[test]
fn changing_the_passphrase_rewraps_the_key_and_leaves_the_data_alone() {
    let (test, mut vault) = TestVault::new();
    append(&mut vault, "P1", b"chunk one");
    append(&mut vault, "P2", b"chunk two");
    let before = chunk_ciphertexts(&test);
    vault.change_passphrase(b"a brand new passphrase").unwrap();
    assert_eq!(chunk_ciphertexts(&test), before);
    vault.lock();

    assert!(matches!(
        test.unlock("admin", PASSPHRASE),
        Err(StoreError::WrongPassphrase)
    ));
    let vault = test.unlock("admin", b"a brand new passphrase").unwrap();
    assert_eq!(
        vault.load_document(&PatientId::from("P2")).unwrap(),
        vec![b"chunk two".to_vec()]
    );
    assert_eq!(chunk_ciphertexts(&test), before);
}

fn chunk_ciphertexts(test: &TestVault) -> Vec<Vec<u8>> {
    let raw = test.raw();
    let mut statement = raw
        .prepare("SELECT ciphertext FROM document_chunks ORDER BY document, seq")
        .unwrap();
    statement
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}
