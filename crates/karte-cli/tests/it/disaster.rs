//! Disaster mode's later steps through the command line, on a fixed day
//! (`KARTE_TEST_NOW`): a casualty identified as a known patient, and the
//! daily J-SPEED report.

use crate::support::TestVault;

/// 2026-12-07, 10:00 in Japan.
const NOW: &str = "2026-12-07T10:00:00+09:00";

fn ok(vault: &TestVault, args: &[&str]) -> (String, String) {
    let output = vault
        .command(args)
        .env("KARTE_TEST_NOW", NOW)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "karte {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn fails(vault: &TestVault, args: &[&str]) -> String {
    let output = vault
        .command(args)
        .env("KARTE_TEST_NOW", NOW)
        .output()
        .unwrap();
    assert!(!output.status.success(), "karte {args:?} should fail");
    String::from_utf8(output.stderr).unwrap()
}

fn casualty(vault: &TestVault, tag: &str, sex: &str, band: &str) -> String {
    ok(
        vault,
        &[
            "casualty",
            "add",
            "--tag",
            tag,
            "--sex",
            sex,
            "--age-band",
            band,
        ],
    )
    .0
    .trim()
    .to_owned()
}

#[test]
fn a_casualty_identified_later_is_found_by_tag_as_the_known_patient() {
    let vault = TestVault::new();
    let found = casualty(&vault, "T-0123", "female", "60s");
    ok(&vault, &["triage", &found, "--walks", "yes"]);
    let (known, _) = ok(
        &vault,
        &[
            "patient",
            "add",
            "--family",
            "山田",
            "--given",
            "太郎",
            "--family-kana",
            "ヤマダ",
            "--given-kana",
            "タロウ",
            "--birth",
            "1941-03-02",
            "--sex",
            "male",
        ],
    );
    let known = known.trim();

    let error = fails(&vault, &["identify", &found, "--as", &found]);
    assert!(error.starts_with("error[invalid_input]"), "{error}");
    assert!(error.contains("same_chart"), "{error}");
    let error = fails(&vault, &["identify", known, "--as", &found]);
    assert!(error.contains("not_unknown_casualty"), "{error}");

    let (link, words) = ok(&vault, &["identify", &found, "--as", known]);
    assert_eq!(link.trim().len(), 26, "a ULID: {link}");
    assert!(
        words.contains("身元判明 / identified: 山田 太郎"),
        "{words}"
    );
    assert!(words.contains("identity-sex"), "{words}");
    assert!(words.contains("identity-age"), "{words}");

    let (list, _) = ok(&vault, &["patient", "list", "--search", "T-0123"]);
    assert!(list.contains("山田 太郎"), "{list}");
    assert!(!list.contains("身元不明"), "{list}");
    let (board, _) = ok(&vault, &["board"]);
    assert!(board.contains("山田 太郎"), "{board}");
    let (chart, _) = ok(&vault, &["chart", "show", known, "--json"]);
    let chart: serde_json::Value = serde_json::from_str(&chart).unwrap();
    assert_eq!(chart["triage"]["registrations"][0]["tag"], "T-0123");
    assert_eq!(chart["triage"]["history"].as_array().unwrap().len(), 1);
}
