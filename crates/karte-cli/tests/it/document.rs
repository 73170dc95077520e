//! `karte document`: the 報告書, 計画書, 記録書Ⅰ and 記録書Ⅱ as PDFs, read
//! back with poppler's `pdftotext`, on a fixed day (`KARTE_TEST_NOW`).

use std::process::Command;

use crate::support::{TestVault, files_below};

/// 2026-12-02, 09:00 in Japan.
const NOW: &str = "2026-12-02T09:00:00+09:00";

fn ok(vault: &TestVault, args: &[&str]) -> String {
    vault.ok_at(NOW, args)
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
    visit_by(vault, patient, at, assessment, &[]);
}

fn visit_by(vault: &TestVault, patient: &str, at: &str, assessment: &str, extra: &[&str]) {
    let mut args = vec![
        "visit",
        "record",
        patient,
        "--pulse",
        "72",
        "--assessment",
        assessment,
        "--at",
        at,
    ];
    args.extend(extra);
    ok(vault, &args);
}

/// Makes a document and returns its text, checking that the PDF is the
/// only file it leaves and that the export is in the audit log.
fn document(vault: &TestVault, patient: &str, kind: &str, args: &[&str]) -> String {
    let out = vault.dir.path().join(format!("{kind}.pdf"));
    let before = files_below(vault.dir.path());
    let mut all = vec!["document", kind, patient, "--pdf", out.to_str().unwrap()];
    all.extend(args);
    // Nothing of the patient's goes to the temporary folder either.
    let tmp = tempfile::tempdir().unwrap();
    let output = vault
        .command(&all)
        .env("KARTE_TEST_NOW", NOW)
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "karte {all:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(files_below(tmp.path()), Vec::<std::path::PathBuf>::new());
    let mut after = files_below(vault.dir.path());
    after.retain(|f| !before.contains(f));
    assert_eq!(after, vec![out.clone()], "the PDF is the only new file");
    let text = pdftotext(&out);
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

#[track_caller]
fn assert_shows(text: &str, fields: &[&str]) {
    for field in fields {
        let field: String = field.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.contains(&field), "{field} in:\n{text}");
    }
}

fn audited(vault: &TestVault, patient: &str, what: &str) -> bool {
    let audit = vault.ok(&["audit", "--patient", patient]);
    audit.lines().any(|l| l.contains(what))
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
    visit_by(
        &vault,
        &patient,
        "2026-11-03T10:00:00+09:00",
        "褥瘡は縮小",
        &["--profession", "pt", "--long-visit"],
    );
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
    // A therapist's long visit on the 3rd: ◇ and □.
    for day in ["2 3 ◇□ 4", "9 10 ○△ 11", "11 12 ◎ 13"] {
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

#[test]
fn the_visit_record_shows_the_visit_asked_for_by_day_or_id() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    ok(
        &vault,
        &[
            "visit",
            "record",
            &patient,
            "--at",
            "2026-11-03T10:30:00+09:00",
            "--temp",
            "36.9",
            "--bp",
            "128/76",
            "--pulse",
            "80",
            "--spo2",
            "96",
            "--subjective",
            "足のむくみが楽",
            "--objective",
            "下腿浮腫軽度",
            "--assessment",
            "利尿剤が効いている",
            "--plan",
            "体重測定を継続",
            "--profession",
            "准看護師",
        ],
    );
    visit(&vault, &patient, "2026-11-12T09:00:00+09:00", "朝");
    visit(&vault, &patient, "2026-11-12T15:00:00+09:00", "夕");

    let shown = ok(&vault, &["chart", "show", &patient]);
    assert!(
        shown.contains("訪問職種 / by: 准看護師 (associate-nurse)"),
        "{shown}"
    );
    let text = document(&vault, &patient, "記録書2", &["--date", "2026-11-03"]);
    let chart = vault.chart_json(&patient);
    let author = chart["visits"][2]["meta"]["recorded_by"]["user_name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_shows(
        &text,
        &[
            "訪問看護記録書Ⅱ",
            "山田 太郎",
            "令和8年11月3日",
            "10:30〜",
            &author,
            "准看護師",
            "体温 36.9℃",
            "脈拍 80回/分",
            "血圧 128/76mmHg",
            "SpO2 96%",
            "足のむくみが楽",
            "下腿浮腫軽度",
            "利尿剤が効いている",
            "体重測定を継続",
        ],
    );
    assert!(audited(&vault, &patient, "export pdf-record2"));

    // Two visits that day: the day alone does not say which.
    let out = vault.dir.path().join("twelfth.pdf");
    let error = vault.fails(&[
        "document",
        "record2",
        &patient,
        "--date",
        "2026-11-12",
        "--pdf",
        out.to_str().unwrap(),
    ]);
    assert!(error.contains("error[invalid_input]"), "{error}");
    assert!(error.contains("--visit"), "{error}");
    assert!(!out.exists());

    let evening = chart["visits"][0]["meta"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let text = document(&vault, &patient, "record2", &["--visit", &evening]);
    assert_shows(&text, &["令和8年11月12日", "15:00〜", "看護師"]);
    assert!(!text.contains("朝"), "{text}");
}

#[test]
fn the_care_plan_has_the_patient_and_physician_and_blank_goals() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    order(
        &vault,
        &patient,
        "instruction",
        "2026-11-01",
        "2027-04-30",
        &["--diagnosis", "慢性心不全"],
    );
    let text = document(
        &vault,
        &patient,
        "計画書",
        &["--station", "さくら訪問看護ステーション"],
    );
    assert_shows(
        &text,
        &[
            "訪問看護計画書",
            "作成日令和8年12月2日",
            "山田 太郎",
            "昭和16年3月2日",
            "田中一郎",
            "みどり診療所",
            "看護・リハビリテーションの目標",
            "問題点・解決策",
            "さくら訪問看護ステーション",
        ],
    );
    assert!(audited(&vault, &patient, "export pdf-plan"));
}

#[test]
fn the_intake_record_has_the_patient_the_order_and_what_is_known() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    order(
        &vault,
        &patient,
        "instruction",
        "2026-11-01",
        "2027-04-30",
        &[
            "--diagnosis",
            "脳梗塞後遺症",
            "--emergency-contact",
            "長女 090-1111-2222",
            "--institution-phone",
            "03-3333-4444",
        ],
    );
    ok(
        &vault,
        &[
            "allergy",
            "add",
            &patient,
            "--substance",
            "ペニシリン",
            "--category",
            "medication",
            "--criticality",
            "high",
            "--reaction",
            "発疹",
        ],
    );
    ok(
        &vault,
        &[
            "condition",
            "add",
            &patient,
            "--name",
            "高血圧症",
            "--icd10",
            "I10",
        ],
    );
    ok(
        &vault,
        &[
            "medication",
            "add",
            &patient,
            "--name",
            "アムロジピン",
            "--dose",
            "5 mg",
            "--frequency",
            "1日1回 朝食後",
        ],
    );
    ok(
        &vault,
        &[
            "scale",
            "record",
            &patient,
            "--at",
            "2026-11-20T10:00:00+09:00",
            "--bedridden",
            "A2",
        ],
    );
    let text = document(&vault, &patient, "record1", &[]);
    assert_shows(
        &text,
        &[
            "訪問看護記録書Ⅰ",
            "記入日令和8年12月2日",
            "山田 太郎",
            "ヤマダ タロウ",
            "男性",
            "長女 090-1111-2222",
            "田中一郎",
            "みどり診療所",
            "03-3333-4444",
            "訪問看護指示書",
            "脳梗塞後遺症",
            "高血圧症（I10）",
            "ペニシリン（薬剤、重篤度 高）：発疹",
            "アムロジピン 5 mg",
            "寝たきり度 A2（令和8年11月20日）",
        ],
    );
    assert!(audited(&vault, &patient, "export pdf-record1"));
}

#[test]
fn a_report_saved_in_the_chart_is_approved_by_a_doctor_who_did_not_save_it() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    visit(&vault, &patient, "2026-11-03T10:00:00+09:00", "褥瘡は縮小");

    let out = vault.dir.path().join("report.pdf");
    let saved = ok(
        &vault,
        &[
            "document",
            "報告書",
            &patient,
            "--month",
            "2026-11",
            "--pdf",
            out.to_str().unwrap(),
            "--save",
        ],
    );
    let entry = saved.trim();
    assert!(!entry.is_empty(), "the entry's id is printed");
    assert!(out.exists(), "the PDF is written as well");
    let shown = ok(&vault, &["chart", "show", &patient]);
    assert!(
        shown.contains("■ 書類 / Documents (1)") && shown.contains("訪問看護報告書 2026-11"),
        "{shown}"
    );
    assert!(shown.contains("未承認 / not approved"), "{shown}");

    // The one who saved it may not approve it, even as an administrator.
    let refused = vault.fails(&["document", "approve", &patient, entry]);
    assert!(refused.contains("second person"), "{refused}");
    let mut add = vault.command(&["user", "add", "ito", "--role", "doctor"]);
    add.env("KARTE_NEW_PASSPHRASE", "ito's own passphrase");
    assert!(add.output().unwrap().status.success(), "adding a doctor");

    let approved = vault
        .command(&["--user", "ito", "document", "承認", &patient, entry])
        .env("KARTE_PASSPHRASE", "ito's own passphrase")
        .env("KARTE_TEST_NOW", NOW)
        .output()
        .unwrap();
    assert!(
        approved.status.success(),
        "{}",
        String::from_utf8_lossy(&approved.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&approved.stdout).trim(),
        format!("document {entry} approved by ito")
    );
    let shown = ok(&vault, &["--user", "admin", "chart", "show", &patient]);
    assert!(
        shown.contains("承認 approved: ito 2026-12-02T09:00:00+09:00"),
        "{shown}"
    );
    // Approved, it is not approved again.
    let again = vault
        .command(&["--user", "ito", "document", "approve", &patient, entry])
        .env("KARTE_PASSPHRASE", "ito's own passphrase")
        .output()
        .unwrap();
    assert!(!again.status.success());
}
