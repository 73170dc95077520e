//! The station's documents as editable drafts: what `document_draft`
//! prefills from a chart, what the nurse edits before printing, and what
//! `document_pdf` renders. One plain shape per form, shared by the core,
//! the command line and the UI; the PDF layout itself is `karte-docs`'.

use serde::{Deserialize, Serialize};

use crate::{Date, EntryId, EntryMeta, Timestamp, UserId, ValidationError, ValidationErrors};

/// Which document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 訪問看護報告書, of one month.
    Report,
    /// 訪問看護計画書, as of one day.
    Plan,
    /// 訪問看護記録書Ⅰ (the intake), as of one day.
    Record1,
    /// 訪問看護記録書Ⅱ, of one visit.
    Record2,
}

impl DocumentKind {
    pub const ALL: &'static [DocumentKind] = &[
        DocumentKind::Report,
        DocumentKind::Plan,
        DocumentKind::Record1,
        DocumentKind::Record2,
    ];

    /// The name it travels under and the audit names: `report`.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::Report => "report",
            DocumentKind::Plan => "plan",
            DocumentKind::Record1 => "record1",
            DocumentKind::Record2 => "record2",
        }
    }

    /// The form's Japanese name: 訪問看護報告書.
    pub fn label_ja(self) -> &'static str {
        match self {
            DocumentKind::Report => "訪問看護報告書",
            DocumentKind::Plan => "訪問看護計画書",
            DocumentKind::Record1 => "訪問看護記録書Ⅰ",
            DocumentKind::Record2 => "訪問看護記録書Ⅱ",
        }
    }
}

/// What a draft is made of: the kind, and for a 報告書 its month
/// (`2026-11`); `date` is the day it is written (報告書), or as of
/// (計画書, 記録書Ⅰ), or the day of the visit (記録書Ⅱ), today when not
/// given; a 記録書Ⅱ may name its visit instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRequest {
    pub kind: DocumentKind,
    #[serde(default)]
    pub month: Option<String>,
    #[serde(default)]
    pub date: Option<Date>,
    #[serde(default)]
    pub visit: Option<EntryId>,
}

/// A month as `YYYY-MM` (`2026-11`, also `2026-1`): the year and the month
/// (1–12).
pub fn parse_month(text: &str) -> Result<(i32, u8), ValidationError> {
    let invalid = || {
        ValidationError::new(
            "month",
            "malformed",
            format!("{text:?} is not a month: write it as YYYY-MM, e.g. 2026-11"),
        )
    };
    let (year, month) = text.trim().split_once('-').ok_or_else(invalid)?;
    let year: i32 = year.parse().map_err(|_| invalid())?;
    let month: u8 = month.parse().map_err(|_| invalid())?;
    if !(1..=12).contains(&month) || !(1900..=9999).contains(&year) {
        return Err(invalid());
    }
    Ok((year, month))
}

/// A document's draft: prefilled from the chart, editable, rendered as it
/// stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DocumentDraft {
    Report(ReportDraft),
    Plan(PlanDraft),
    Record1(IntakeDraft),
    Record2(VisitRecordDraft),
}

impl DocumentDraft {
    pub fn kind(&self) -> DocumentKind {
        match self {
            DocumentDraft::Report(_) => DocumentKind::Report,
            DocumentDraft::Plan(_) => DocumentKind::Plan,
            DocumentDraft::Record1(_) => DocumentKind::Record1,
            DocumentDraft::Record2(_) => DocumentKind::Record2,
        }
    }

    pub fn patient(&self) -> &DocumentPatient {
        match self {
            DocumentDraft::Report(d) => &d.patient,
            DocumentDraft::Plan(d) => &d.patient,
            DocumentDraft::Record1(d) => &d.patient,
            DocumentDraft::Record2(d) => &d.patient,
        }
    }

    pub fn station(&self) -> &DocumentStation {
        match self {
            DocumentDraft::Report(d) => &d.station,
            DocumentDraft::Plan(d) => &d.station,
            DocumentDraft::Record1(d) => &d.station,
            DocumentDraft::Record2(d) => &d.station,
        }
    }

    pub fn station_mut(&mut self) -> &mut DocumentStation {
        match self {
            DocumentDraft::Report(d) => &mut d.station,
            DocumentDraft::Plan(d) => &mut d.station,
            DocumentDraft::Record1(d) => &mut d.station,
            DocumentDraft::Record2(d) => &mut d.station,
        }
    }

    /// The physician the document is addressed to (none on a 記録書Ⅱ).
    pub fn physician(&self) -> Option<&DocumentPhysician> {
        match self {
            DocumentDraft::Report(d) => Some(&d.physician),
            DocumentDraft::Plan(d) => Some(&d.physician),
            DocumentDraft::Record1(d) => Some(&d.physician),
            DocumentDraft::Record2(_) => None,
        }
    }

    /// The document's free-text parts with their headings as the printed
    /// form (karte-docs) titles them, in the form's order, blank ones
    /// included (a FHIR Composition's sections).
    pub fn sections(&self) -> Vec<(&'static str, String)> {
        match self {
            DocumentDraft::Report(d) => vec![
                ("病状の経過", d.course.clone()),
                ("日常生活活動（ADL）の状況", d.adl.clone()),
                ("看護・リハビリテーションの内容", d.care_given.clone()),
                ("家庭での介護の状況", d.home_care.clone()),
                ("衛生材料等の使用量および使用状況", d.materials.clone()),
                ("衛生材料等の変更の必要性", d.materials_change.clone()),
                ("情報提供", d.information.clone()),
                ("特記すべき事項", d.notes.clone()),
            ],
            DocumentDraft::Plan(d) => {
                let mut sections = vec![("看護・リハビリテーションの目標", d.goals.clone())];
                for p in &d.problems {
                    sections.push((
                        "問題点・解決策・評価",
                        format!(
                            "{}\n問題点：{}\n解決策：{}\n評価：{}",
                            p.date, p.problem, p.solution, p.evaluation
                        ),
                    ));
                }
                sections.push(("衛生材料等が必要な処置", d.materials.clone()));
                sections.push(("備考", d.notes.clone()));
                sections
            }
            DocumentDraft::Record1(d) => vec![
                ("緊急時の連絡先", d.contacts.clone()),
                ("指示書", d.order.clone()),
                ("主たる傷病名", d.diagnoses.clone()),
                ("アレルギー", d.allergies.clone()),
                ("服薬", d.medications.clone()),
                ("日常生活の自立度・ADL", d.adl.clone()),
            ],
            DocumentDraft::Record2(d) => vec![
                ("S（主観的情報）", d.subjective.clone()),
                ("O（客観的情報）", d.objective.clone()),
                ("A（アセスメント）", d.assessment.clone()),
                ("P（計画）", d.plan.clone()),
                ("実施した看護", d.care_given.clone()),
            ],
        }
    }

    /// What the export of this draft is audited as, besides its kind: the
    /// month of a 報告書, the day of the others, and the visit of a 記録書Ⅱ.
    pub fn detail(&self) -> String {
        match self {
            DocumentDraft::Report(d) => format!("{:04}-{:02}", d.year, d.month),
            DocumentDraft::Plan(d) => d.made.to_string(),
            DocumentDraft::Record1(d) => d.written.to_string(),
            DocumentDraft::Record2(d) => format!("{} {}", d.date, d.visit),
        }
    }
}

/// Who the document is about, as the header of every form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentPatient {
    pub name: String,
    pub birth: Date,
    pub address: String,
    /// 要介護度 in words (要介護3), blank when not known.
    pub care_level: String,
}

/// The station the document is from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentStation {
    pub name: String,
    pub manager: String,
    pub address: String,
    pub phone: String,
}

/// The physician the document is addressed to; blank when no 指示書 was
/// in force.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentPhysician {
    pub name: String,
    pub institution: String,
}

/// One visit of a 報告書's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportVisit {
    pub date: Date,
    /// By a PT, OT or ST (◇).
    pub therapist: bool,
    /// Under a 特別訪問看護指示書 (△).
    pub special_order: bool,
    /// A long visit (□).
    pub long: bool,
}

/// 訪問看護報告書 of one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportDraft {
    pub patient: DocumentPatient,
    pub year: i32,
    /// 1–12.
    pub month: u8,
    pub visits: Vec<ReportVisit>,
    /// 病状の経過.
    pub course: String,
    /// ADL.
    pub adl: String,
    /// 看護・リハビリテーションの内容.
    pub care_given: String,
    /// 家庭での介護の状況.
    pub home_care: String,
    /// 衛生材料等の使用量および使用状況.
    pub materials: String,
    /// 衛生材料等の変更の必要性.
    pub materials_change: String,
    /// 情報提供.
    pub information: String,
    /// 特記すべき事項.
    pub notes: String,
    pub written: Date,
    pub station: DocumentStation,
    pub physician: DocumentPhysician,
}

impl ReportDraft {
    /// The calendar's marks of each day of the month, day 1 first, as the
    /// PDF prints them: ○ one visit by a nurse, ◎ two or more, ◇ by a
    /// therapist, △ under a 特別指示, □ a long visit; empty on a day
    /// without a visit. (karte-docs draws the same from its own input; a
    /// test in karte-api holds the two equal.)
    pub fn day_symbols(&self) -> Vec<String> {
        let Ok(month) = time::Month::try_from(self.month) else {
            return Vec::new();
        };
        (1..=time::util::days_in_month(month, self.year))
            .map(|day| {
                let that_day: Vec<&ReportVisit> = self
                    .visits
                    .iter()
                    .filter(|v| {
                        v.date.0.year() == self.year
                            && v.date.0.month() == month
                            && v.date.0.day() == day
                    })
                    .collect();
                let several = that_day.len() >= 2;
                [
                    (!several && that_day.iter().any(|v| !v.therapist), '○'),
                    (several, '◎'),
                    (that_day.iter().any(|v| v.therapist), '◇'),
                    (that_day.iter().any(|v| v.special_order), '△'),
                    (that_day.iter().any(|v| v.long), '□'),
                ]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, symbol)| symbol)
                .collect()
            })
            .collect()
    }
}

/// One problem of a 計画書, with its solution and evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanProblemDraft {
    pub date: Date,
    pub problem: String,
    pub solution: String,
    pub evaluation: String,
}

/// 訪問看護計画書.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanDraft {
    pub patient: DocumentPatient,
    pub made: Date,
    pub reviewed: Option<Date>,
    /// 看護・リハビリテーションの目標.
    pub goals: String,
    pub problems: Vec<PlanProblemDraft>,
    /// 衛生材料等.
    pub materials: String,
    /// 特記すべき事項.
    pub notes: String,
    pub station: DocumentStation,
    pub physician: DocumentPhysician,
}

/// 訪問看護記録書Ⅰ (the intake).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeDraft {
    pub patient: DocumentPatient,
    pub kana: String,
    pub sex: String,
    pub phone: String,
    pub insurance_number: String,
    pub contacts: String,
    pub physician: DocumentPhysician,
    pub physician_contact: String,
    pub order: String,
    pub diagnoses: String,
    pub allergies: String,
    pub medications: String,
    pub adl: String,
    pub written: Date,
    pub station: DocumentStation,
}

/// The vital signs of a visit record, each left out when not measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct DocumentVitals {
    pub temperature: Option<f32>,
    pub pulse: Option<u16>,
    pub systolic: Option<u16>,
    pub diastolic: Option<u16>,
    pub respiration: Option<u16>,
    pub spo2: Option<u8>,
}

/// 訪問看護記録書Ⅱ of one visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitRecordDraft {
    pub visit: EntryId,
    pub patient: DocumentPatient,
    pub date: Date,
    /// Japan time, `HH:MM`.
    pub start: String,
    /// `HH:MM`, when known.
    pub end: Option<String>,
    pub staff: String,
    pub profession: String,
    pub vitals: DocumentVitals,
    pub subjective: String,
    pub objective: String,
    pub assessment: String,
    pub plan: String,
    /// 実施した看護.
    pub care_given: String,
    pub station: DocumentStation,
}

/// A document kept in the chart: its draft as it was saved (the JSON text
/// of a [`DocumentDraft`], one value, so two devices rewriting it at once
/// leave two values to review, not one mixture), and once approved, who
/// approved it, when, and the SHA-256 of the draft text they approved. An
/// approved document is not edited again; it can be marked
/// entered-in-error like any entry. A draft rewrite that merges in
/// concurrently with an approval leaves a draft the approval's hash does
/// not match: the chart's view then shows the document unapproved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentEntryInput {
    pub kind: DocumentKind,
    /// The month, day or visit it is of (the draft's [`DocumentDraft::detail`]).
    pub detail: String,
    /// The draft, as JSON text.
    pub draft: String,
    #[serde(default)]
    pub approved_by: Option<UserId>,
    #[serde(default)]
    pub approved_by_name: Option<String>,
    #[serde(default)]
    pub approved_at: Option<Timestamp>,
    /// The SHA-256 (lower-case hex) of the draft text approved; not
    /// written until the document is approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_draft: Option<String>,
}

impl DocumentEntryInput {
    /// A new, unapproved document entry of `draft`.
    pub fn of(draft: &DocumentDraft) -> DocumentEntryInput {
        DocumentEntryInput {
            kind: draft.kind(),
            detail: draft.detail(),
            draft: serde_json::to_string(draft).expect("a draft is plain data"),
            approved_by: None,
            approved_by_name: None,
            approved_at: None,
            approved_draft: None,
        }
    }

    /// The draft the entry holds.
    pub fn draft(&self) -> Result<DocumentDraft, ValidationError> {
        serde_json::from_str(&self.draft).map_err(|e| {
            ValidationError::new("draft", "malformed", format!("not a document's draft: {e}"))
        })
    }

    pub fn is_approved(&self) -> bool {
        self.approved_at.is_some()
    }

    /// The draft reads as one of its kind and detail; an approval names
    /// who and when, or nothing; the hash of the draft approved comes only
    /// with an approval (an approval without it, written before approvals
    /// recorded it, reads as valid but does not stand in the chart's view).
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let draft = self.draft().map_err(|e| ValidationErrors(vec![e]))?;
        if draft.kind() != self.kind || draft.detail() != self.detail {
            return Err(ValidationErrors(vec![ValidationError::new(
                "draft",
                "mismatch",
                "the draft is of another document than the entry says",
            )]));
        }
        let parts = [
            self.approved_by.is_some(),
            self.approved_by_name.is_some(),
            self.approved_at.is_some(),
        ];
        let partial = parts.iter().any(|p| *p) && !parts.iter().all(|p| *p);
        if partial || (self.approved_draft.is_some() && !self.is_approved()) {
            return Err(ValidationErrors(vec![ValidationError::new(
                "approved_by",
                "incomplete",
                "an approval names who approved and when",
            )]));
        }
        Ok(())
    }
}

/// A document entry of the chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentEntry {
    pub meta: EntryMeta,
    #[serde(flatten)]
    pub input: DocumentEntryInput,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_year_dash_month() {
        assert_eq!(parse_month("2026-11"), Ok((2026, 11)));
        assert_eq!(parse_month("2026-1"), Ok((2026, 1)));
        for bad in ["2026", "2026-13", "2026-00", "11-2026x", "", "令和8-11"] {
            assert_eq!(parse_month(bad).unwrap_err().code, "malformed", "{bad}");
        }
    }

    #[test]
    fn a_draft_travels_with_its_kind() {
        let request: DocumentRequest =
            serde_json::from_str(r#"{"kind":"report","month":"2026-11"}"#).unwrap();
        assert_eq!(request.kind, DocumentKind::Report);
        assert_eq!(request.date, None);
        for kind in DocumentKind::ALL {
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, kind.as_str());
        }
    }
}
