//! 訪問看護報告書: the monthly report to the physician, laid out like the
//! standard form (別紙様式2): the patient, the month's visit calendar with
//! its marks, the course of the illness, the care given, the family's care,
//! the materials used, information given to others, notes, and the
//! station's closing words to the physician.

use std::io::Write;

use time::{Date, Month};

use crate::calendar::{MonthVisit, day_marks};
use crate::layout::{BODY_SIZE, CONTENT_WIDTH, Cell, Flow, MARGIN, write_pdf};
use crate::wareki::{wareki_date, wareki_month};
use crate::{DocsError, DocumentFont, PatientHeader, Physician, Station, age_on};

/// Everything the monthly report shows, as the nurse approved it.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyReport {
    pub patient: PatientHeader,
    pub year: i32,
    pub month: Month,
    /// The month's visits; the calendar's marks are computed from them.
    pub visits: Vec<MonthVisit>,
    /// 病状の経過.
    pub course: String,
    /// The activities of daily living, printed within 病状の経過.
    pub adl: String,
    /// 看護・リハビリテーションの内容.
    pub care_given: String,
    /// 家庭での介護の状況.
    pub home_care: String,
    /// 衛生材料等の使用量および使用状況.
    pub materials: String,
    /// 衛生材料等（種類・サイズ・必要量等）の変更の必要性.
    pub materials_change: String,
    /// 情報提供: to whom information was given this month (市町村, 学校,
    /// 保険医療機関 …) and how often.
    pub information: String,
    /// 特記すべき事項.
    pub notes: String,
    /// The day the report is made.
    pub written: Date,
    pub station: Station,
    pub physician: Physician,
}

const LEGEND: &str = "○ 訪問日　◎ 1日に2回以上訪問した日　◇ 理学療法士等による訪問　△ 特別訪問看護指示書に基づく訪問　□ 長時間訪問看護加算";

/// Writes the report as an A4 PDF to `out`, and nowhere else.
pub fn render_report(
    report: &MonthlyReport,
    font: &DocumentFont,
    out: &mut dyn Write,
) -> Result<(), DocsError> {
    let first = Date::from_calendar_date(report.year, report.month, 1)
        .map_err(|error| DocsError::Pdf(format!("no such month: {error}")))?;
    let month = wareki_month(first);
    let mut flow = Flow::new(
        font,
        format!("訪問看護報告書　{month}　{} 様", report.patient.name),
    );
    flow.title(
        "訪問看護報告書",
        &format!("報告日　{}", wareki_date(report.written)),
    );
    patient_rows(&mut flow, &report.patient, report.written);
    calendar(&mut flow, report, &month);

    let course = if report.adl.is_empty() {
        report.course.clone()
    } else {
        format!("{}\n【ADL】{}", report.course, report.adl)
    };
    flow.section("病状の経過", &course, 5);
    flow.section("看護・リハビリテーションの内容", &report.care_given, 5);
    flow.section("家庭での介護の状況", &report.home_care, 3);
    flow.section("衛生材料等の使用量および使用状況", &report.materials, 2);
    flow.section("衛生材料等の変更の必要性", &report.materials_change, 1);
    flow.section("情報提供", &report.information, 1);
    flow.section("特記すべき事項", &report.notes, 3);
    closing(
        &mut flow,
        "上記のとおり、指定訪問看護の実施について報告いたします。",
        report.written,
        &report.station,
        &report.physician,
    );
    write_pdf(&flow.finish(), font, out)
}

/// The header rows every form starts with.
pub(crate) fn patient_rows(flow: &mut Flow<'_>, patient: &PatientHeader, on: Date) {
    let birth = format!(
        "{}（{}歳）",
        wareki_date(patient.birth),
        age_on(patient.birth, on)
    );
    flow.row(&[
        Cell {
            label: "利用者氏名",
            value: &format!("{} 様", patient.name),
            share: 3.0,
        },
        Cell {
            label: "生年月日",
            value: &birth,
            share: 3.0,
        },
        Cell {
            label: "要介護認定の状況",
            value: &patient.care_level,
            share: 2.0,
        },
    ]);
    flow.row(&[Cell {
        label: "住所",
        value: &patient.address,
        share: 1.0,
    }]);
}

/// The month in seven columns of day numbers, each day's marks beside its
/// number, as on the standard form, then the legend and the count of visits.
fn calendar(flow: &mut Flow<'_>, report: &MonthlyReport, month: &str) {
    let marks = day_marks(report.year, report.month, &report.visits);
    let label_width = 92.0;
    let cell_width = (CONTENT_WIDTH - label_width) / 7.0;
    let cell_height = 22.0;
    let rows = marks.len().div_ceil(7);
    let height = rows as f32 * cell_height;
    let top = flow.reserve(height);
    flow.frame(MARGIN, top, label_width, height);
    flow.text(MARGIN + 4.0, top + 4.0 + BODY_SIZE, BODY_SIZE, "訪問日");
    flow.text(
        MARGIN + 4.0,
        top + 6.0 + 2.0 * BODY_SIZE * 1.45,
        BODY_SIZE,
        month,
    );
    for row in 0..rows {
        for column in 0..7 {
            let x = MARGIN + label_width + column as f32 * cell_width;
            let y = top + row as f32 * cell_height;
            flow.frame(x, y, cell_width, cell_height);
            let index = row * 7 + column;
            if let Some(day_marks) = marks.get(index) {
                flow.text(x + 4.0, y + 15.0, BODY_SIZE, &(index + 1).to_string());
                // Up to four marks fit at full size; more shrink to the cell.
                let symbols = day_marks.symbols();
                let room = cell_width - 24.0;
                let size = match flow.text_width(&symbols, 12.0) {
                    width if width > room => 12.0 * room / width,
                    _ => 12.0,
                };
                flow.text(x + 22.0, y + 16.0, size, &symbols);
            }
        }
    }
    flow.space(4.0);
    flow.paragraph(LEGEND, 7.5);
    let count = report
        .visits
        .iter()
        .filter(|visit| visit.date.year() == report.year && visit.date.month() == report.month)
        .count();
    flow.paragraph(&format!("訪問回数　{count}回"), BODY_SIZE);
}

/// The closing words of a form, the station and its manager, and the
/// physician it is addressed to.
/// The station's name and its manager, in one row.
pub(crate) fn station_row(flow: &mut Flow<'_>, station: &Station) {
    flow.row(&[
        Cell {
            label: "事業所名",
            value: &station.name,
            share: 3.0,
        },
        Cell {
            label: "管理者氏名",
            value: &station.manager,
            share: 2.0,
        },
    ]);
}

pub(crate) fn closing(
    flow: &mut Flow<'_>,
    words: &str,
    written: Date,
    station: &Station,
    physician: &Physician,
) {
    flow.space(6.0);
    flow.paragraph(words, BODY_SIZE);
    flow.paragraph(&wareki_date(written), BODY_SIZE);
    station_row(flow, station);
    flow.row(&[
        Cell {
            label: "所在地",
            value: &station.address,
            share: 3.0,
        },
        Cell {
            label: "電話",
            value: &station.phone,
            share: 2.0,
        },
    ]);
    flow.space(6.0);
    flow.paragraph(
        &format!("主治医　{}　{}　殿", physician.institution, physician.name),
        11.0,
    );
}
