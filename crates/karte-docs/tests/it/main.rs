//! The documents as a reader gets them: their text read back with
//! pdftotext, their first page rendered, and what they leave on disk.

mod support;

use karte_docs::{
    CarePlan, DisasterDailyReport, IntakeRecord, MonthlyReport, VisitRecord,
    render_disaster_report, render_intake, render_plan, render_record, render_report, sample,
    wareki_date,
};

use crate::support::{first_page_ink, font, pages_text, squeeze};

fn report_pdf(report: &MonthlyReport) -> Vec<u8> {
    let mut pdf = Vec::new();
    render_report(report, &font(), &mut pdf).expect("rendered");
    pdf
}

fn plan_pdf(plan: &CarePlan) -> Vec<u8> {
    let mut pdf = Vec::new();
    render_plan(plan, &font(), &mut pdf).expect("rendered");
    pdf
}

fn record_pdf(record: &VisitRecord) -> Vec<u8> {
    let mut pdf = Vec::new();
    render_record(record, &font(), &mut pdf).expect("rendered");
    pdf
}

fn intake_pdf(record: &IntakeRecord) -> Vec<u8> {
    let mut pdf = Vec::new();
    render_intake(record, &font(), &mut pdf).expect("rendered");
    pdf
}

fn disaster_pdf(report: &DisasterDailyReport) -> Vec<u8> {
    let mut pdf = Vec::new();
    render_disaster_report(report, &font(), &mut pdf).expect("rendered");
    pdf
}

/// Asserts that every field shows in the text, line breaks aside.
#[track_caller]
fn assert_shows(text: &str, fields: &[&str]) {
    let text = squeeze(text);
    for field in fields {
        assert!(
            text.contains(&squeeze(field)),
            "{field:?} is not in the document's text:\n{text}"
        );
    }
}

fn common_fields(
    patient: &karte_docs::PatientHeader,
    station: &karte_docs::Station,
) -> Vec<String> {
    vec![
        patient.name.clone(),
        patient.address.clone(),
        patient.care_level.clone(),
        wareki_date(patient.birth),
        station.name.clone(),
    ]
}

#[test]
fn the_report_shows_every_field_it_was_made_from() {
    let report = sample::report(25);
    let pdf = report_pdf(&report);
    assert!(pdf.starts_with(b"%PDF-"));
    let pages = pages_text(&pdf);
    assert_eq!(pages.len(), 1, "the sample month fits one page");
    let mut fields = common_fields(&report.patient, &report.station);
    fields.extend([
        report.course.clone(),
        report.adl.clone(),
        report.care_given.clone(),
        report.home_care.clone(),
        report.materials.clone(),
        report.materials_change.clone(),
        report.information.clone(),
        report.notes.clone(),
        report.station.manager.clone(),
        report.station.address.clone(),
        report.station.phone.clone(),
        report.physician.name.clone(),
        report.physician.institution.clone(),
        wareki_date(report.written),
        "訪問看護報告書".to_owned(),
        "令和8年11月".to_owned(),
        "訪問回数25回".to_owned(),
        "88歳".to_owned(),
    ]);
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    assert_shows(&pages[0], &fields);
    // Each day's number then its marks, as the calendar draws them.
    assert_shows(
        &pages[0],
        &["1 2○", "10◎", "11○", "12◇", "16○△", "25○□", "26 27"],
    );
}

#[test]
fn the_plan_shows_every_field_it_was_made_from() {
    let plan = sample::plan();
    let pages = pages_text(&plan_pdf(&plan));
    let mut fields = common_fields(&plan.patient, &plan.station);
    fields.extend([
        "訪問看護計画書".to_owned(),
        plan.goals.clone(),
        plan.materials.clone(),
        plan.notes.clone(),
        plan.physician.name.clone(),
        format!("作成日{}", wareki_date(plan.made)),
        format!("見直し日{}", wareki_date(plan.reviewed.expect("reviewed"))),
    ]);
    for problem in &plan.problems {
        fields.extend([
            wareki_date(problem.date),
            problem.problem.clone(),
            problem.solution.clone(),
            problem.evaluation.clone(),
        ]);
    }
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    assert_shows(&pages.concat(), &fields);
}

#[test]
fn the_visit_record_shows_every_field_it_was_made_from() {
    let record = sample::record();
    let pages = pages_text(&record_pdf(&record));
    let fields = [
        "訪問看護記録書Ⅱ",
        &record.patient.name,
        &wareki_date(record.date),
        "10:00〜11:15",
        &record.staff,
        &record.profession,
        "体温 36.6℃",
        "脈拍 84回/分",
        "血圧 134/78mmHg",
        "呼吸 18回/分",
        "SpO2 95%",
        &record.subjective,
        &record.objective,
        &record.assessment,
        &record.plan,
        &record.care_given,
        &record.station.name,
    ];
    assert_shows(&pages.concat(), &fields);
}

#[test]
fn the_intake_record_shows_every_field_it_was_made_from() {
    let record = sample::intake();
    let pages = pages_text(&intake_pdf(&record));
    let mut fields = common_fields(&record.patient, &record.station);
    fields.extend(
        [
            "訪問看護記録書Ⅰ",
            &wareki_date(record.written),
            &record.kana,
            &record.sex,
            &record.phone,
            &record.insurance_number,
            &record.contacts,
            &record.physician.name,
            &record.physician.institution,
            &record.physician_contact,
            &record.order,
            "慢性心不全（I50.9）",
            "2型糖尿病（E11.9）",
            &record.allergies,
            &record.medications,
            "寝たきり度 A2",
            "Barthel Index 55",
            &record.station.manager,
        ]
        .map(str::to_owned),
    );
    let fields: Vec<&str> = fields.iter().map(String::as_str).collect();
    assert_shows(&pages.concat(), &fields);
}

#[test]
fn the_disaster_daily_report_shows_the_site_the_teams_and_their_counts() {
    let report = sample::disaster_report();
    let pages = pages_text(&disaster_pdf(&report));
    assert_eq!(pages.len(), 1, "two teams fit one page");
    assert_shows(
        &pages[0],
        &[
            "診療日報（J-SPEED 2018）",
            "報告日令和8年12月7日",
            "活動場所益城町総合体育館",
            "チーム数2",
            "診療件数（合計）20",
            "チームDMAT 熊本1",
            "診療件数3",
            "チームJMAT 福岡",
            "診療件数17",
            "性別＼年齢 1歳未満 1〜4歳 5〜64歳 65歳以上 計",
            // 男性 by age group, then the sum.
            "男性 0 0 1 1 2",
            "女性 0 0 1 0 1",
            "うち妊婦 0 0 1 0 1",
            "性別不明 0 0 1 0 1",
            "【傷病名・症候群】",
            "16　発熱　2件",
            "19　下痢　17件",
            "44　治療継続・要再診　1件",
        ],
    );
    // A team without a sex left unstated shows no such row.
    assert_eq!(squeeze(&pages[0]).matches("性別不明").count(), 1);
}

#[test]
fn a_day_without_consultations_says_so() {
    let mut report = sample::disaster_report();
    report.teams.clear();
    let pages = pages_text(&disaster_pdf(&report));
    assert_shows(
        &pages[0],
        &[
            "益城町総合体育館",
            "診療件数（合計）0",
            "この日の診療はありません。",
        ],
    );
}

/// A course of the illness too long for one page goes on to a second one,
/// whole, after the second page's header.
#[test]
fn long_text_continues_on_the_next_page_rather_than_being_cut() {
    let mut report = sample::report(25);
    let sentences: Vec<String> = (1..=60)
        .map(|n| format!("第{n}週：浮腫は軽度で体重は安定、SpO2 {}%。", 90 + n % 10))
        .collect();
    report.course = sentences.concat();
    report.notes = "特記事項の終わり。".repeat(40);
    let pdf = report_pdf(&report);
    let pages = pages_text(&pdf);
    assert!(pages.len() >= 2, "{} page(s)", pages.len());
    assert!(
        squeeze(&pages[1]).starts_with("訪問看護報告書令和8年11月山田花子様（続き）"),
        "the second page names the form and the patient: {}",
        pages[1]
    );
    // The text read across the page break, without what the layout added there.
    let mut whole = squeeze(&pages.concat());
    for added in [
        "訪問看護報告書令和8年11月山田花子様（続き）".to_owned(),
        "病状の経過（続き）".to_owned(),
        "特記すべき事項（続き）".to_owned(),
    ] {
        whole = whole.replace(&added, "");
    }
    for number in 1..=pages.len() {
        whole = whole.replace(&format!("{number}/{}", pages.len()), "");
    }
    for sentence in &sentences {
        assert!(
            whole.contains(&squeeze(sentence)),
            "{sentence} is missing or cut"
        );
    }
    assert!(
        whole.contains(&squeeze(&report.course)),
        "the course reads as one text"
    );
    assert!(
        whole.contains(&squeeze(&report.notes)),
        "the notes read as one text"
    );
    assert!(whole.contains("鈴木一郎殿"), "the form still closes");
}

#[test]
fn each_document_first_page_is_not_blank() {
    for (name, pdf) in [
        ("report", report_pdf(&sample::report(25))),
        ("plan", plan_pdf(&sample::plan())),
        ("record", record_pdf(&sample::record())),
        ("intake", intake_pdf(&sample::intake())),
        ("disaster report", disaster_pdf(&sample::disaster_report())),
    ] {
        let (ink, pixels) = first_page_ink(&pdf);
        // Text and frames cover a few percent of a form; a blank page none.
        assert!(ink * 100 > pixels, "{name}: {ink} dark pixels of {pixels}");
        assert!(ink * 2 < pixels, "{name}: {ink} dark pixels of {pixels}");
    }
}

/// A child run of the test binary with TMPDIR pointing at an empty folder
/// renders every document; the folder must stay empty. The child is the
/// test below, which does nothing unless the variable is set.
#[test]
fn rendering_writes_no_temporary_file() {
    let folder = tempfile::tempdir().expect("a folder");
    let output = std::process::Command::new(std::env::current_exe().expect("this binary"))
        .args([
            "--exact",
            "render_every_document_for_the_temporary_file_test",
            "--nocapture",
        ])
        .env("TMPDIR", folder.path())
        .env("KARTE_DOCS_TMPDIR_TEST", "1")
        .output()
        .expect("the child ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("rendered 3 documents"),
        "the child rendered: {stdout}"
    );
    let left: Vec<_> = walk(folder.path());
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
}

fn walk(folder: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder).expect("readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}

#[test]
fn render_every_document_for_the_temporary_file_test() {
    if std::env::var_os("KARTE_DOCS_TMPDIR_TEST").is_none() {
        return;
    }
    let temporary = std::env::temp_dir();
    assert_eq!(
        Some(temporary.as_os_str()),
        std::env::var_os("TMPDIR").as_deref(),
        "the child sees the folder"
    );
    let sizes = [
        report_pdf(&sample::report(25)).len(),
        plan_pdf(&sample::plan()).len(),
        record_pdf(&sample::record()).len(),
    ];
    assert!(sizes.iter().all(|&size| size > 1000));
    println!("rendered {} documents", sizes.len());
}

#[test]
fn a_missing_font_says_how_to_get_one() {
    let error = karte_docs::DocumentFont::load(std::path::Path::new("/nonexistent/font.ttc"), 0)
        .expect_err("no such file");
    assert!(error.to_string().contains("fonts-noto-cjk"), "{error}");
    let not_a_font = karte_docs::DocumentFont::from_bytes(b"not a font".to_vec(), 0);
    assert!(not_a_font.is_none());
}

/// Only the glyphs used are embedded: the collection is about 20 MB, a
/// month's report a few dozen kilobytes.
#[test]
fn the_font_is_embedded_as_a_subset() {
    let pdf = report_pdf(&sample::report(25));
    assert!(pdf.len() < 200_000, "{} bytes", pdf.len());
    assert!(
        pdf.windows(b"NotoSansCJKjp".len())
            .any(|window| window == b"NotoSansCJKjp"),
        "the Japanese face is the one embedded"
    );
}

/// The same document made twice is the same file: no clock, no random id
/// in it, so a document saved in the chart can be compared with a new print.
#[test]
fn the_same_input_makes_the_same_bytes() {
    let report = sample::report(25);
    assert_eq!(report_pdf(&report), report_pdf(&report));
}
