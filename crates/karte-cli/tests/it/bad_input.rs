//! Bad input of every kind gets a clear message and a non-zero exit, and
//! changes nothing already stored.

use crate::support::{PASSPHRASE, TestVault};

#[test]
fn implausible_vitals_are_refused_and_nothing_is_written() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    let before = vault.chart_json(&patient);
    for (flag, value, field) in [
        ("--bp", "1200/80", "bp"),
        ("--spo2", "140", "spo2"),
        ("--temp", "3.68", "temp"),
        ("--bp", "80/120", "bp"),
        ("--jcs", "II-40", "jcs"),
        ("--pulse", "seventy", "pulse"),
    ] {
        let error = vault.fails(&["visit", "record", &patient, flag, value]);
        assert!(
            error.contains("invalid_input") && error.contains(field),
            "{flag} {value}: {error}"
        );
    }
    assert_eq!(vault.chart_json(&patient)["visits"], before["visits"]);
}

#[test]
fn unknown_patients_and_malformed_dates_are_refused() {
    let vault = TestVault::new();
    let error = vault.fails(&["visit", "record", "01NOSUCHPATIENT", "--pulse", "70"]);
    assert!(error.contains("unknown_patient"), "{error}");
    let error = vault.fails(&[
        "patient",
        "add",
        "--family",
        "山田",
        "--given",
        "花子",
        "--family-kana",
        "ヤマダ",
        "--given-kana",
        "ハナコ",
        "--birth",
        "1941-02-30",
        "--sex",
        "female",
    ]);
    assert!(
        error.contains("birth") && error.contains("YYYY-MM-DD"),
        "{error}"
    );
    let error = vault.fails(&[
        "patient",
        "add",
        "--family",
        "山田",
        "--given",
        "花子",
        "--family-kana",
        "Yamada",
        "--given-kana",
        "ハナコ",
        "--birth",
        "1941-02-03",
        "--sex",
        "female",
    ]);
    assert!(error.contains("family-kana"), "{error}");
    assert!(vault.ok(&["patient", "list", "--ids"]).trim().is_empty());
}

#[test]
fn a_wrong_passphrase_is_told_apart_from_a_broken_vault() {
    let vault = TestVault::new();
    vault.add_yamada();
    let mut wrong = vault.command(&["patient", "list"]);
    wrong.env("KARTE_PASSPHRASE", "not the passphrase");
    let output = wrong.output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("wrong_passphrase"));
    let missing = vault.dir.path().join("nowhere.karte");
    let mut none = vault.command(&["patient", "list"]);
    none.env("KARTE_VAULT", &missing);
    let output = none.output().unwrap();
    assert!(String::from_utf8_lossy(&output.stderr).contains("karte init"));
}

/// Copies the vault (after a checkpoint, so the main file holds everything),
/// breaks the copy with `damage`, and checks the CLI fails cleanly on it while
/// the original still reads.
fn check_damaged(vault: &TestVault, damage: impl Fn(&mut Vec<u8>)) -> String {
    let copy_dir = tempfile::tempdir().unwrap();
    let copy = copy_dir.path().join("vault.karte");
    let mut bytes = std::fs::read(vault.path()).unwrap();
    damage(&mut bytes);
    std::fs::write(&copy, bytes).unwrap();
    let output = vault
        .command(&["patient", "list"])
        .env("KARTE_VAULT", &copy)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        !output.status.success(),
        "a damaged vault must not read as fine"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.starts_with("error"), "{stderr}");
    stderr
}

#[test]
fn truncated_corrupt_and_altered_vault_files_give_clear_errors() {
    let vault = TestVault::new();
    vault.add_yamada();
    // Closing the last connection checkpoints the WAL into the main file.
    vault.ok(&["patient", "list"]);
    check_damaged(&vault, |b| b.truncate(b.len() / 3));
    check_damaged(&vault, |b| b.truncate(50));
    check_damaged(&vault, |b| b.iter_mut().take(100).for_each(|x| *x = 0x5a));
    check_damaged(&vault, |b| *b = b"this is not a vault at all".to_vec());
    vault.ok(&["patient", "list"]);
    let _ = PASSPHRASE;
}

#[test]
fn a_short_passphrase_and_cheap_key_derivation_are_refused_by_the_core() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.karte");
    let init = |passphrase: &str, flags: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_karte"))
            .arg("init")
            .args(flags)
            .env("KARTE_VAULT", &path)
            .env("KARTE_PASSPHRASE", passphrase)
            .env_remove("KARTE_USER")
            .output()
            .unwrap();
        assert!(!output.status.success(), "init {flags:?} succeeded");
        String::from_utf8(output.stderr).unwrap()
    };
    let error = init("short", &["--insecure-fast-kdf-for-tests"]);
    assert!(
        error.starts_with("error[invalid_input]") && error.contains("at least 8 characters"),
        "{error}"
    );
    let error = init(
        PASSPHRASE,
        &["--kdf-memory-kib", "64", "--kdf-iterations", "1"],
    );
    assert!(
        error.starts_with("error[invalid_input]") && error.contains("minimum"),
        "{error}"
    );
    assert!(!path.exists(), "no vault is left behind");
}
