//! `karte document report`: the month's 訪問看護報告書 as a PDF, read back
//! with poppler's `pdftotext`, on a fixed day (`KARTE_TEST_NOW`).

use std::process::Command;

use crate::support::{TestVault, files_below};

/// 2026-12-02, 09:00 in Japan.
const NOW: &str = "2026-12-02T09:00:00+09:00";

fn ok(vault: &TestVault, args: &[&str]) -> String {
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
    String::from_utf8(output.stdout).unwrap()
}

fn order(vault: &TestVault, patient: &str, kind: &str, from: &str, to: &str, extra: &[&str]) {
    let mut args = vec![
        "order",
        "add",
        patient,
        "--kind",
        kind,
        "--from",
        from,
        "--to",
        to,
        "--doctor",
        "田中一郎",
        "--institution",
        "みどり診療所",
    ];
    args.extend(extra);
    ok(vault, &args);
}

fn visit(vault: &TestVault, patient: &str, at: &str, assessment: &str) {
    ok(
        vault,
        &[
            "visit",
            "record",
            patient,
            "--pulse",
            "72",
            "--assessment",
            assessment,
            "--at",
            at,
        ],
    );
}

fn pdftotext(path: &std::path::Path) -> String {
    let output = Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext runs (apt-get install poppler-utils)");
    assert!(output.status.success(), "pdftotext failed");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_months_report_shows_the_patient_the_visit_days_and_the_physician() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    order(
        &vault,
        &patient,
        "instruction",
        "2026-06-01",
        "2026-11-30",
        &["--diagnosis", "脳梗塞後遺症"],
    );
    order(
        &vault,
        &patient,
        "special",
        "2026-11-09",
        "2026-11-10",
        &["--reason", "急性増悪"],
    );
    visit(&vault, &patient, "2026-11-03T10:00:00+09:00", "褥瘡は縮小");
    visit(&vault, &patient, "2026-11-10T10:00:00+09:00", "発熱なし");
    visit(&vault, &patient, "2026-11-12T09:00:00+09:00", "朝は息切れ");
    visit(&vault, &patient, "2026-11-12T15:00:00+09:00", "夕方は安定");
    visit(&vault, &patient, "2026-12-01T10:00:00+09:00", "翌月の訪問");

    let out = vault.dir.path().join("報告書.pdf");
    let before = files_below(vault.dir.path());
    ok(
        &vault,
        &[
            "document",
            "報告書",
            &patient,
            "--month",
            "2026-11",
            "--pdf",
            out.to_str().unwrap(),
            "--station",
            "さくら訪問看護ステーション",
        ],
    );
    let mut after = files_below(vault.dir.path());
    after.retain(|f| !before.contains(f));
    assert_eq!(after, vec![out.clone()], "the PDF is the only new file");

    let text = pdftotext(&out);
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for shown in [
        "山田太郎",
        "訪問看護報告書",
        "令和8年11月",
        "訪問回数4回",
        "田中一郎",
        "みどり診療所",
        "さくら訪問看護ステーション",
        "11/3褥瘡は縮小",
        "11/12夕方は安定",
    ] {
        assert!(squeezed.contains(shown), "{shown} in:\n{text}");
    }
    assert!(!squeezed.contains("翌月の訪問"), "{text}");
    // Each visit day's number then its marks, as the calendar draws them.
    for day in ["2 3 ○ 4", "9 10 ○△ 11", "11 12 ◎ 13"] {
        assert!(text.contains(day), "{day} in:\n{text}");
    }
    for lone in ["1 2 3", "4 5 6 7", "13 14", "\n29 30\n"] {
        assert!(text.contains(lone), "{lone} in:\n{text}");
    }

    let audit = vault.ok(&["audit", "--patient", &patient]);
    assert!(
        audit.lines().any(|l| l.contains("export pdf-report")),
        "{audit}"
    );
}

#[test]
fn a_bad_month_is_refused_and_writes_nothing() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    let out = vault.dir.path().join("report.pdf");
    let error = vault.fails(&[
        "document",
        "report",
        &patient,
        "--month",
        "2026-13",
        "--pdf",
        out.to_str().unwrap(),
    ]);
    assert!(error.contains("error[invalid_input]"), "{error}");
    assert!(error.contains("YYYY-MM"), "{error}");
    assert!(!out.exists());
    let audit = vault.ok(&["audit", "--patient", &patient]);
    assert!(!audit.contains("export"), "{audit}");
}

#[test]
fn without_the_font_nothing_is_written_or_exported() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    let out = vault.dir.path().join("report.pdf");
    let output = vault
        .command(&[
            "document",
            "report",
            &patient,
            "--month",
            "2026-11",
            "--pdf",
            out.to_str().unwrap(),
        ])
        .env("KARTE_DOCS_FONT", vault.dir.path().join("no-such-font.ttc"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let error = String::from_utf8(output.stderr).unwrap();
    assert!(error.contains("日本語フォント"), "{error}");
    assert!(error.contains("fonts-noto-cjk"), "{error}");
    assert!(!out.exists());
    let audit = vault.ok(&["audit", "--patient", &patient]);
    assert!(!audit.contains("export"), "{audit}");
}
