//! Disaster mode's later steps through the command line, on a fixed day
//! (`KARTE_TEST_NOW`): a casualty identified as a known patient, and the
//! daily J-SPEED report.

use std::process::Command;

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

#[test]
fn consultations_ticked_on_visits_make_the_daily_report_and_its_csv() {
    let vault = TestVault::new();
    // A man of 85 (65+), a woman of 30 who is pregnant, and a casualty
    // in her sixties, whose band straddles 65: she needs the age group.
    let (man, _) = ok(
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
    let (woman, _) = ok(
        &vault,
        &[
            "patient",
            "add",
            "--family",
            "佐藤",
            "--given",
            "花子",
            "--family-kana",
            "サトウ",
            "--given-kana",
            "ハナコ",
            "--birth",
            "1996-05-01",
            "--sex",
            "female",
        ],
    );
    let found = casualty(&vault, "T-0009", "female", "60s");
    let site = "益城町総合体育館";
    let consult = |patient: &str, at: &str, extra: &[&str]| {
        let mut args = vec![
            "visit",
            "record",
            patient,
            "--pulse",
            "80",
            "--at",
            at,
            "--team",
            "DMAT 熊本1",
            "--site",
            site,
        ];
        args.extend(extra);
        ok(&vault, &args).0.trim().to_owned()
    };
    consult(
        man.trim(),
        "2026-12-07T08:30:00+09:00",
        &["--jspeed", "16,8"],
    );
    consult(
        woman.trim(),
        "2026-12-07T09:00:00+09:00",
        &["--jspeed", "fever", "--pregnant"],
    );
    let error = fails(
        &vault,
        &[
            "visit",
            "record",
            &found,
            "--pulse",
            "90",
            "--jspeed",
            "5",
            "--team",
            "DMAT 熊本1",
            "--site",
            site,
        ],
    );
    assert!(error.contains("age-group"), "{error}");
    consult(
        &found,
        "2026-12-07T09:30:00+09:00",
        &["--jspeed", "5,44", "--age-group", "65+"],
    );
    // The day before and another site are not in the report.
    consult(man.trim(), "2026-12-06T23:59:00+09:00", &["--jspeed", "16"]);
    ok(
        &vault,
        &[
            "visit",
            "record",
            man.trim(),
            "--pulse",
            "80",
            "--at",
            "2026-12-07T11:00:00+09:00",
            "--jspeed",
            "16",
            "--team",
            "DMAT 熊本1",
            "--site",
            "益城中央小学校",
        ],
    );
    let error = fails(
        &vault,
        &[
            "visit", "record", &found, "--pulse", "90", "--jspeed", "999", "--team", "x", "--site",
            site,
        ],
    );
    assert!(error.starts_with("error[invalid_input]"), "{error}");

    let csv_path = vault.dir.path().join("mds.csv");
    let (report, _) = ok(
        &vault,
        &[
            "disaster",
            "report",
            "--date",
            "2026-12-07",
            "--site",
            site,
            "--csv",
            csv_path.to_str().unwrap(),
        ],
    );
    assert!(
        report.contains("診療日報 / daily report (J-SPEED 2018)  2026-12-07  益城町総合体育館"),
        "{report}"
    );
    assert!(
        report.contains("チーム / team: DMAT 熊本1  診療件数 / consultations: 3"),
        "{report}"
    );
    assert!(report.contains("男性 / male: 0 / 0 / 0 / 1"), "{report}");
    assert!(report.contains("女性 / female: 0 / 0 / 1 / 1"), "{report}");
    assert!(
        report.contains("うち妊婦 / of whom pregnant: 0 / 0 / 1 / 0"),
        "{report}"
    );
    assert!(
        report.contains("16 発熱（37.5℃以上） / fever (37.5 °C or over): 2"),
        "{report}"
    );
    assert!(report.contains("軽症外傷 / minor injury: 1"), "{report}");
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(
        rows[0].starts_with("date,site,team,consultations,mds1_male_under-1"),
        "{csv}"
    );
    assert!(
        rows[1].starts_with("2026-12-07,益城町総合体育館,DMAT 熊本1,3,0,0,0,1,0,0,0,1,0,0,1,0,"),
        "{csv}"
    );
    let fhir_path = vault.dir.path().join("report.fhir.json");
    ok(
        &vault,
        &[
            "disaster",
            "report",
            "--date",
            "2026-12-07",
            "--site",
            site,
            "--fhir",
            fhir_path.to_str().unwrap(),
        ],
    );
    let fhir: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&fhir_path).unwrap()).unwrap();
    assert_eq!(
        fhir["entry"][0]["resource"]["resourceType"],
        "MeasureReport"
    );
    assert_eq!(
        fhir["entry"][0]["resource"]["group"][0]["population"][0]["count"],
        3
    );
    let pdf_path = vault.dir.path().join("日報.pdf");
    let (_, words) = ok(
        &vault,
        &[
            "disaster",
            "report",
            "--date",
            "2026-12-07",
            "--site",
            site,
            "--pdf",
            pdf_path.to_str().unwrap(),
        ],
    );
    assert!(words.contains("wrote the daily report"), "{words}");
    let text: String = pdftotext(&pdf_path)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for shown in [
        "診療日報（J-SPEED2018）",
        "報告日令和8年12月7日",
        "活動場所益城町総合体育館",
        "診療件数（合計）3",
        "チームDMAT熊本1",
        // Each sex by age group, then the sum.
        "男性00011",
        "女性00112",
        "うち妊婦00101",
        "16発熱（37.5℃以上）2件",
        "軽症外傷1件",
    ] {
        assert!(text.contains(shown), "{shown} is not in the PDF:\n{text}");
    }
    let (ink, pixels) = first_page_ink(&pdf_path);
    assert!(ink * 100 > pixels, "{ink} dark pixels of {pixels}");
    assert!(ink * 2 < pixels, "{ink} dark pixels of {pixels}");
    let (json, _) = ok(
        &vault,
        &[
            "disaster",
            "report",
            "--date",
            "2026-12-07",
            "--site",
            site,
            "--json",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["teams"][0]["items"]["fever"], 2);
    let (items, _) = ok(&vault, &["disaster", "items"]);
    assert!(items.contains(" 16  fever"), "{items}");
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

/// The first page rendered in grey at 50 dpi: how many pixels are not
/// white, and how many there are.
fn first_page_ink(path: &std::path::Path) -> (usize, usize) {
    let output = Command::new("pdftoppm")
        .args(["-gray", "-r", "50", "-f", "1", "-l", "1", "-singlefile"])
        .arg(path)
        .output()
        .expect("pdftoppm runs (apt-get install poppler-utils)");
    assert!(output.status.success(), "pdftoppm failed");
    let pgm = output.stdout;
    // A binary PGM: "P5", width, height, maximum value, then one byte a pixel.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P5");
    let width: usize = fields[1].parse().unwrap();
    let height: usize = fields[2].parse().unwrap();
    let pixels = &pgm[at + 1..];
    assert_eq!(pixels.len(), width * height);
    (pixels.iter().filter(|&&v| v < 200).count(), pixels.len())
}
