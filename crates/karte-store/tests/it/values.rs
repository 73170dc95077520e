//! Drafts and settings: kept sealed, read back whole, across locking, and
//! refused when tampered with.

use crate::support::{TestVault, flip_blob, integrity};

#[test]
fn drafts_survive_locking_and_are_discarded() {
    let (test, mut vault) = TestVault::new();
    assert_eq!(vault.draft("visit-P1").unwrap(), None);
    vault.save_draft("visit-P1", b"{\"s\":\"first\"}").unwrap();
    vault.save_draft("visit-P1", b"{\"s\":\"second\"}").unwrap();
    vault.lock();
    let mut vault = test.unlock_admin();
    assert_eq!(
        vault.draft("visit-P1").unwrap().as_deref(),
        Some(&b"{\"s\":\"second\"}"[..])
    );
    vault.discard_draft("visit-P1").unwrap();
    vault.discard_draft("visit-P1").unwrap();
    assert_eq!(vault.draft("visit-P1").unwrap(), None);
}

#[test]
fn draft_keys_cannot_carry_free_text() {
    let (_test, mut vault) = TestVault::new();
    for bad in ["", "visit P1", "visit/P1", "鬼灯", &"x".repeat(101)] {
        let error = vault.save_draft(bad, b"text").unwrap_err();
        assert!(error.to_string().contains("draft key"), "{bad:?}: {error}");
    }
}

#[test]
fn draft_text_is_sealed_and_tampering_is_detected() {
    let (test, mut vault) = TestVault::new();
    vault
        .save_draft("visit-P1", "S: 鬼灯 UNSAVED-NOTE".as_bytes())
        .unwrap();
    vault.save_settings(b"{\"auto_lock_minutes\":7}").unwrap();
    let raw = test.raw();
    let sealed: Vec<u8> = raw
        .query_row(
            "SELECT value FROM app_values WHERE name = 'draft:visit-P1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        !sealed
            .windows(11)
            .any(|w| w == b"UNSAVED-NOTE"[..11].as_ref())
    );
    flip_blob(&raw, "app_values", "value", "name = 'draft:visit-P1'", 20);
    assert!(integrity(vault.draft("visit-P1")).contains("visit-P1"));
    assert_eq!(
        vault.settings().unwrap().as_deref(),
        Some(&b"{\"auto_lock_minutes\":7}"[..])
    );
}
