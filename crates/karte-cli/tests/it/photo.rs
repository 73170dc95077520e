//! `karte photo`: a camera's JPEG added, listed per wound and exported
//! without its EXIF; a file that is not a photo refused with nothing kept;
//! no byte of the photo in plaintext beside the vault.

use karte_photo::sample::{EXIF_DESCRIPTION, EXIF_MAKER, jpeg_with_exif};

use crate::support::{TestVault, files_below};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_photo_is_added_listed_and_exported_without_its_exif() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    let outside = tempfile::tempdir().unwrap();
    let source = outside.path().join("wound.jpg");
    let photo = jpeg_with_exif(800, 600, 21, 1);
    std::fs::write(&source, &photo).unwrap();
    let source = source.to_str().unwrap();

    let id = vault.ok(&["photo", "add", &patient, source, "--wound", "仙骨部"]);
    let id = id.trim();
    assert_eq!(id.len(), 26, "a ULID: {id}");
    let list = vault.ok(&["photo", "list", &patient]);
    assert!(list.contains("仙骨部") && list.contains(id), "{list}");
    assert!(list.contains("800×600 image/jpeg"), "{list}");

    for file in files_below(vault.dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        for needle in [
            EXIF_MAKER.as_bytes(),
            EXIF_DESCRIPTION.as_bytes(),
            &photo[photo.len() / 2..photo.len() / 2 + 48],
        ] {
            assert!(!contains(&bytes, needle), "plaintext in {}", file.display());
        }
    }

    let out = outside.path().join("exported.jpg");
    let out = out.to_str().unwrap();
    vault.ok(&["photo", "export", &patient, &id[..10], "--out", out]);
    let exported = std::fs::read(out).unwrap();
    assert!(exported.starts_with(&[0xFF, 0xD8]));
    assert!(!contains(&exported, EXIF_MAKER.as_bytes()));
    assert!(!contains(&exported, b"Exif"));
    assert!(contains(&exported, &photo[photo.len() - 200..]));
    // An existing file is never overwritten.
    let error = vault.fails(&["photo", "export", &patient, id, "--out", out]);
    assert!(error.contains("already exists"), "{error}");
    let audit = vault.ok(&["audit", "--patient", &patient]);
    assert!(
        audit
            .lines()
            .any(|line| line.contains("export") && line.contains("photo")),
        "{audit}"
    );
}

#[test]
fn a_file_that_is_not_a_photo_is_refused_and_nothing_is_kept() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    let outside = tempfile::tempdir().unwrap();
    let source = outside.path().join("letter.jpg");
    std::fs::write(&source, b"%PDF-1.7 a letter named like a photo").unwrap();
    let error = vault.fails(&["photo", "add", &patient, source.to_str().unwrap()]);
    assert!(error.contains("not a photo"), "{error}");
    assert!(error.contains("JPEG or PNG"), "{error}");
    let list = vault.ok(&["photo", "list", &patient]);
    assert!(list.contains("no photos"), "{list}");
}
