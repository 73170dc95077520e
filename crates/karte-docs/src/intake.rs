//! 訪問看護記録書Ⅰ: what the station records when it takes a patient on
//! (the intake): who the patient is and how to reach them and their family,
//! the physician and the 指示書 in force, the diagnoses, allergies and
//! medications, and the activities of daily living as last assessed.

use std::io::Write;

use time::Date;

use crate::layout::{Cell, Flow, write_pdf};
use crate::report::{patient_rows, station_row};
use crate::wareki::wareki_date;
use crate::{DocsError, DocumentFont, PatientHeader, Physician, Station};

#[derive(Debug, Clone, PartialEq)]
pub struct IntakeRecord {
    pub patient: PatientHeader,
    /// The name in katakana (フリガナ).
    pub kana: String,
    /// 性別 as written on the form.
    pub sex: String,
    pub phone: String,
    /// 被保険者番号.
    pub insurance_number: String,
    /// 緊急時の連絡先: family and others to call.
    pub contacts: String,
    /// 主治医.
    pub physician: Physician,
    /// The physician's institution's address and phone.
    pub physician_contact: String,
    /// The 指示書 in force: its kind and period.
    pub order: String,
    /// 主たる傷病名, one a line.
    pub diagnoses: String,
    /// アレルギー, one a line, or that there are none known.
    pub allergies: String,
    /// 服薬, one a line.
    pub medications: String,
    /// 日常生活の自立度 and the other scales, as last assessed, one a line.
    pub adl: String,
    /// The day the record is made.
    pub written: Date,
    pub station: Station,
}

/// Writes the record as an A4 PDF to `out`, and nowhere else.
pub fn render_intake(
    record: &IntakeRecord,
    font: &DocumentFont,
    out: &mut dyn Write,
) -> Result<(), DocsError> {
    let mut flow = Flow::new(font, format!("訪問看護記録書Ⅰ　{} 様", record.patient.name));
    flow.title(
        "訪問看護記録書Ⅰ",
        &format!("記入日　{}", wareki_date(record.written)),
    );
    patient_rows(&mut flow, &record.patient, record.written);
    flow.row(&[
        Cell {
            label: "フリガナ",
            value: &record.kana,
            share: 3.0,
        },
        Cell {
            label: "性別",
            value: &record.sex,
            share: 1.0,
        },
        Cell {
            label: "電話",
            value: &record.phone,
            share: 2.0,
        },
        Cell {
            label: "被保険者番号",
            value: &record.insurance_number,
            share: 2.0,
        },
    ]);
    flow.section("緊急時の連絡先", &record.contacts, 2);
    flow.row(&[
        Cell {
            label: "主治医",
            value: &record.physician.name,
            share: 2.0,
        },
        Cell {
            label: "医療機関",
            value: &record.physician.institution,
            share: 3.0,
        },
    ]);
    flow.row(&[Cell {
        label: "医療機関の所在地・電話",
        value: &record.physician_contact,
        share: 1.0,
    }]);
    flow.section("指示書", &record.order, 1);
    flow.section("主たる傷病名", &record.diagnoses, 2);
    flow.section("アレルギー", &record.allergies, 1);
    flow.section("服薬", &record.medications, 2);
    flow.section("日常生活の自立度・ADL", &record.adl, 2);
    station_row(&mut flow, &record.station);
    write_pdf(&flow.finish(), font, out)
}
