//! 訪問看護記録書Ⅱ: the record of one visit, as the station keeps it: the
//! date and time, who visited, the vital signs, the SOAP note and the care
//! given.

use std::io::Write;

use time::{Date, Time};

use crate::layout::{Cell, Flow, write_pdf};
use crate::wareki::wareki_date;
use crate::{DocsError, DocumentFont, PatientHeader, Station};

#[derive(Debug, Clone, PartialEq)]
pub struct VisitRecord {
    pub patient: PatientHeader,
    pub date: Date,
    pub start: Time,
    /// When the visit ended, if recorded; otherwise the form shows "start〜"
    /// with the end left blank to be written by hand.
    pub end: Option<Time>,
    /// Who visited, and their profession (訪問職種) as written on the form.
    pub staff: String,
    pub profession: String,
    pub vitals: Vitals,
    pub subjective: String,
    pub objective: String,
    pub assessment: String,
    pub plan: String,
    /// 実施した看護・リハビリテーションの内容.
    pub care_given: String,
    pub station: Station,
}

/// The vital signs measured, each left out when it was not.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Vitals {
    /// ℃.
    pub temperature: Option<f32>,
    /// Beats a minute.
    pub pulse: Option<u16>,
    /// mmHg.
    pub blood_pressure: Option<(u16, u16)>,
    /// Breaths a minute.
    pub respiration: Option<u16>,
    /// %.
    pub spo2: Option<u8>,
}

impl Vitals {
    /// 体温 36.8℃　脈拍 72回/分 …, the measured signs only.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(value) = self.temperature {
            parts.push(format!("体温 {value:.1}℃"));
        }
        if let Some(value) = self.pulse {
            parts.push(format!("脈拍 {value}回/分"));
        }
        if let Some((systolic, diastolic)) = self.blood_pressure {
            parts.push(format!("血圧 {systolic}/{diastolic}mmHg"));
        }
        if let Some(value) = self.respiration {
            parts.push(format!("呼吸 {value}回/分"));
        }
        if let Some(value) = self.spo2 {
            parts.push(format!("SpO2 {value}%"));
        }
        parts.join("　")
    }
}

fn clock(time: Time) -> String {
    format!("{}:{:02}", time.hour(), time.minute())
}

/// Writes the record as an A4 PDF to `out`, and nowhere else.
pub fn render_record(
    record: &VisitRecord,
    font: &DocumentFont,
    out: &mut dyn Write,
) -> Result<(), DocsError> {
    let mut flow = Flow::new(
        font,
        format!(
            "訪問看護記録書Ⅱ　{}　{} 様",
            wareki_date(record.date),
            record.patient.name
        ),
    );
    flow.title("訪問看護記録書Ⅱ", &record.station.name);
    let when = format!(
        "{}　{}〜{}",
        wareki_date(record.date),
        clock(record.start),
        record.end.map(clock).unwrap_or_default()
    );
    flow.row(&[
        Cell {
            label: "利用者氏名",
            value: &format!("{} 様", record.patient.name),
            share: 2.0,
        },
        Cell {
            label: "訪問年月日・時間",
            value: &when,
            share: 3.0,
        },
    ]);
    flow.row(&[
        Cell {
            label: "訪問者",
            value: &record.staff,
            share: 2.0,
        },
        Cell {
            label: "訪問職種",
            value: &record.profession,
            share: 3.0,
        },
    ]);
    flow.section("病状・バイタルサイン", &record.vitals.summary(), 1);
    flow.section("S（主観的情報）", &record.subjective, 2);
    flow.section("O（客観的情報）", &record.objective, 2);
    flow.section("A（アセスメント）", &record.assessment, 2);
    flow.section("P（計画）", &record.plan, 2);
    flow.section(
        "実施した看護・リハビリテーションの内容",
        &record.care_given,
        4,
    );
    write_pdf(&flow.finish(), font, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vitals_print_only_what_was_measured() {
        let vitals = Vitals {
            temperature: Some(36.8),
            blood_pressure: Some((128, 76)),
            spo2: Some(97),
            ..Vitals::default()
        };
        assert_eq!(vitals.summary(), "体温 36.8℃　血圧 128/76mmHg　SpO2 97%");
        assert_eq!(Vitals::default().summary(), "");
    }
}
