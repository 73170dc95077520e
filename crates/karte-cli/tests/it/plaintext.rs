//! Invariant 1: no patient data in plain text on disk, in the vault's files
//! (main database, WAL, journal, side files) or anything else Karte writes.

use crate::support::{TestVault, files_below};

#[test]
fn no_name_kana_or_note_appears_in_any_file_karte_wrote() {
    let vault = TestVault::new();
    vault.ok(&["demo", "--patients", "5", "--seed", "3"]);
    let distinctive = [
        ("勘解由小路", "カデノコウジ", "麗子", "レイコ"),
        ("御手洗", "ミタライ", "清志郎", "キヨシロウ"),
    ];
    let mut needles: Vec<String> = Vec::new();
    for (family, family_kana, given, given_kana) in distinctive {
        let id = vault.ok(&[
            "patient",
            "add",
            "--family",
            family,
            "--given",
            given,
            "--family-kana",
            family_kana,
            "--given-kana",
            given_kana,
            "--birth",
            "1930-07-07",
            "--sex",
            "female",
            "--address",
            "長野県下伊那郡阿智村智里",
        ]);
        vault.ok(&[
            "visit",
            "record",
            id.trim(),
            "--temp",
            "36.6",
            "--subjective",
            "庭の柿がたくさん実った",
        ]);
        needles.extend([family, family_kana, given, given_kana].map(String::from));
    }
    needles.extend(["庭の柿がたくさん実った", "長野県下伊那郡阿智村智里"].map(String::from));
    // Demo patients' names too: take them from the decrypted list.
    let list: serde_json::Value =
        serde_json::from_str(&vault.ok(&["patient", "list", "--json"])).unwrap();
    for p in list.as_array().unwrap() {
        needles.push(format!(
            "{}{}",
            p["family"].as_str().unwrap(),
            p["given"].as_str().unwrap()
        ));
        needles.push(p["family_kana"].as_str().unwrap().to_owned());
    }
    // Karte's own diagnostics, at the most verbose level, must not carry
    // patient data either.
    let logged = vault
        .command(&["chart", "show", list[0]["id"].as_str().unwrap()])
        .env("KARTE_LOG", "trace")
        .output()
        .unwrap();
    let logged = String::from_utf8_lossy(&logged.stderr).into_owned();
    for needle in &needles {
        assert!(
            !logged.contains(needle.as_str()),
            "'{needle}' appears in the log output"
        );
    }
    // The WAL, while a session is open, is checked by karte-api's tests; here,
    // every file left once the commands have exited.
    let files = files_below(vault.dir.path());
    assert!(files.len() >= 2, "the vault and its side files: {files:?}");
    for file in &files {
        if let Some(needle) = plaintext_in(file, &needles) {
            panic!("'{needle}' appears in plain text in {}", file.display());
        }
    }

    // The check itself finds what it looks for: an export the user asked for
    // is plain FHIR JSON and holds the names.
    let export = tempfile::NamedTempFile::new().unwrap();
    vault.ok(&["export", "--fhir", "--out", export.path().to_str().unwrap()]);
    assert!(
        plaintext_in(export.path(), &needles).is_some(),
        "the scan must be able to fail"
    );
}

/// The first needle found in the file, as UTF-8 or UTF-16. Only needles of
/// six bytes or more count, so random ciphertext cannot match by chance (a
/// single kanji in UTF-16 is two bytes).
fn plaintext_in<'a>(file: &std::path::Path, needles: &'a [String]) -> Option<&'a str> {
    let bytes = std::fs::read(file).unwrap();
    needles.iter().map(String::as_str).find(|needle| {
        [needle.as_bytes().to_vec(), utf16(needle)]
            .into_iter()
            .filter(|e| e.len() >= 6)
            .any(|encoded| {
                bytes
                    .windows(encoded.len())
                    .any(|w| w == encoded.as_slice())
            })
    })
}

fn utf16(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}
