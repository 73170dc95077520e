//! Attachments: stored once per content, sealed in the streamed format,
//! found by a locator that does not reveal the content hash, and brought to
//! vaults of the format before them.

use karte_store::StoreError;

use crate::support::TestVault;

/// Bytes that do not repeat, with a marker in the middle, like a photo's.
fn content(seed: u8, len: usize) -> Vec<u8> {
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761).wrapping_add(7);
    let mut bytes: Vec<u8> = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect();
    let marker = b"PHOTO-PLAINTEXT-MARKER";
    bytes[len / 2..len / 2 + marker.len()].copy_from_slice(marker);
    bytes
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn an_attachment_round_trips_and_the_same_content_is_stored_once() {
    let (test, mut vault) = TestVault::new();
    let photo = content(1, 300_000);
    let first = vault.put_attachment(&photo, b"THUMB-ONE").unwrap();
    assert!(first.new);
    assert_eq!(hex::encode(first.hash), sha256_hex(&photo));
    let again = vault.put_attachment(&photo, b"THUMB-TWO").unwrap();
    assert_eq!(again.hash, first.hash);
    assert!(!again.new);
    assert_eq!(
        &vault.attachment(&first.hash).unwrap().unwrap()[..],
        &photo[..]
    );
    assert_eq!(
        &vault.attachment_thumbnail(&first.hash).unwrap().unwrap()[..],
        b"THUMB-ONE"
    );
    assert!(vault.has_attachment(&first.hash).unwrap());
    assert!(vault.attachment(&[0; 32]).unwrap().is_none());
    let rows: i64 = test
        .raw()
        .query_row("SELECT COUNT(*) FROM attachments", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1);
    // After a lock and unlock the same content is still found.
    vault.lock();
    let vault = test.unlock_admin();
    assert_eq!(
        &vault.attachment(&first.hash).unwrap().unwrap()[..],
        &photo[..]
    );
}

#[test]
fn no_byte_of_an_attachment_or_its_hash_is_on_disk_in_plaintext() {
    let (test, mut vault) = TestVault::new();
    let photo = content(2, 200_000);
    let stored = vault
        .put_attachment(&photo, b"THUMBNAIL-MARKER-PIXELS")
        .unwrap();
    let hash_hex = hex::encode(stored.hash);
    let mut scanned = 0;
    for entry in std::fs::read_dir(test.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        scanned += bytes.len();
        for needle in [
            &b"PHOTO-PLAINTEXT-MARKER"[..],
            b"THUMBNAIL-MARKER-PIXELS",
            &photo[1000..1032],
            &photo[150_000..150_032],
            &stored.hash,
            hash_hex.as_bytes(),
        ] {
            assert!(!contains(&bytes, needle), "plaintext in {}", path.display());
        }
    }
    assert!(scanned > photo.len(), "the scan saw the sealed photo");
    // The plaintext column is a keyed locator, not the content hash.
    let locator: String = test
        .raw()
        .query_row("SELECT locator FROM attachments", [], |r| r.get(0))
        .unwrap();
    assert_eq!(locator.len(), 64);
    assert_ne!(locator, hash_hex);
}

#[test]
fn a_fetch_kept_piece_by_piece_is_sealed_resumes_after_a_lock_and_goes_once_stored() {
    let (test, mut vault) = TestVault::new();
    let photo = content(5, 120_000);
    let hash: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, &photo)
        .as_ref()
        .try_into()
        .unwrap();
    assert!(vault.fetched_attachment(&hash).unwrap().is_empty());
    vault
        .keep_fetched_attachment(&hash, 0, &photo[..50_000])
        .unwrap();
    vault
        .keep_fetched_attachment(&hash, 50_000, &photo[50_000..70_000])
        .unwrap();
    // A piece of another photo is kept apart.
    vault
        .keep_fetched_attachment(&[9; 32], 0, b"other")
        .unwrap();
    for entry in std::fs::read_dir(test.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for needle in [
            &photo[1000..1032],
            &photo[60_000..60_032],
            hex::encode(hash).as_bytes(),
        ] {
            assert!(!contains(&bytes, needle), "plaintext in {}", path.display());
        }
    }
    vault.lock();
    let mut vault = test.unlock_admin();
    assert_eq!(
        &vault.fetched_attachment(&hash).unwrap()[..],
        &photo[..70_000]
    );
    // Storing the photo takes its pieces away, not another photo's.
    vault.put_attachment(&photo, b"thumb").unwrap();
    assert!(vault.fetched_attachment(&hash).unwrap().is_empty());
    assert_eq!(&vault.fetched_attachment(&[9; 32]).unwrap()[..], b"other");
    vault.drop_fetched_attachment(&[9; 32]).unwrap();
    assert!(vault.fetched_attachment(&[9; 32]).unwrap().is_empty());
}

#[test]
fn a_fetched_piece_out_of_place_is_an_integrity_error() {
    let (test, mut vault) = TestVault::new();
    let hash = [4; 32];
    vault.keep_fetched_attachment(&hash, 0, b"first").unwrap();
    vault.keep_fetched_attachment(&hash, 5, b"second").unwrap();
    // A piece renamed to another offset no longer follows the one before,
    // and would not open under its new name either.
    test.raw()
        .execute_batch(
            "UPDATE app_values SET name = substr(name, 1, length(name) - 12) || '000000000007'
             WHERE name LIKE 'fetching:%000000000005'",
        )
        .unwrap();
    assert!(matches!(
        vault.fetched_attachment(&hash),
        Err(StoreError::Integrity { .. })
    ));
}

#[test]
fn an_attachment_moved_to_another_row_does_not_open() {
    let (test, mut vault) = TestVault::new();
    let a = vault.put_attachment(&content(3, 5_000), b"a").unwrap();
    let b = vault.put_attachment(&content(4, 5_000), b"b").unwrap();
    test.raw()
        .execute_batch(
            "UPDATE attachments SET content = (SELECT content FROM attachments ORDER BY locator LIMIT 1),
                                    thumbnail = (SELECT thumbnail FROM attachments ORDER BY locator LIMIT 1)",
        )
        .unwrap();
    let failed = [a.hash, b.hash]
        .iter()
        .filter(|hash| matches!(vault.attachment(hash), Err(StoreError::Integrity { .. })))
        .count();
    assert_eq!(failed, 1);
    let failed = [a.hash, b.hash]
        .iter()
        .filter(|hash| vault.attachment_thumbnail(hash).is_err())
        .count();
    assert_eq!(failed, 1);
}

#[test]
fn a_vault_of_format_6_gains_attachments() {
    let (test, mut vault) = TestVault::new();
    vault.save_settings(b"{}").unwrap();
    vault.lock();
    test.raw()
        .execute_batch(
            "DROP TABLE attachments; ALTER TABLE patient_index DROP COLUMN consultations;
             PRAGMA user_version = 6;",
        )
        .unwrap();
    let mut vault = test.unlock_admin();
    let version: i64 = test
        .raw()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 8);
    assert_eq!(vault.settings().unwrap().unwrap(), b"{}");
    let stored = vault.put_attachment(b"after the migration", b"t").unwrap();
    assert!(stored.new);
}
