//! The chart as a reader sees it: plain values, materialised from the chart
//! document, and the inputs that create its entries.

use serde::{Deserialize, Serialize};

use crate::{
    AllergyCategory, Assessment, Author, CareLevel, ClinicalStatus, Criticality, Date, EntryId,
    Order, OrderSpan, OrderStatus, OrderSummary, PatientId, ReviewId, Route, ScaleTrends, Sex,
    Timestamp, ValidationError, ValidationErrors, VitalSigns,
};

/// Who a patient is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Demographics {
    pub family: String,
    pub given: String,
    pub family_kana: String,
    pub given_kana: String,
    pub birth: Date,
    pub sex: Sex,
    pub address: Option<String>,
    pub phone: Option<String>,
    /// 被保険者番号: the health insurance number.
    pub insurance_number: Option<String>,
    pub care_level: Option<CareLevel>,
}

/// Whether a patient has no name yet (a casualty nobody has identified).
fn unnamed(family: &str, given: &str) -> bool {
    family.trim().is_empty() && given.trim().is_empty()
}

impl Demographics {
    /// Whether the patient has no name yet (a casualty nobody has identified).
    pub fn is_unnamed(&self) -> bool {
        unnamed(&self.family, &self.given)
    }
}

fn required(field: &str, value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        Err(ValidationError::new(
            field,
            "required",
            format!("{field} must not be empty"),
        ))
    } else {
        Ok(())
    }
}

/// Kana readings are written in katakana or hiragana (and the odd space or
/// long-vowel mark); a reading in kanji or Latin is almost always a slip.
fn kana(field: &str, value: &str) -> Result<(), ValidationError> {
    required(field, value)?;
    let folded = crate::fold_for_search(value);
    let is_kana = |c: char| matches!(c, '\u{30A0}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}');
    if folded.chars().all(is_kana) {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            "not_kana",
            format!(
                "'{value}' is not a kana reading; write it in katakana or hiragana, e.g. ヤマダ"
            ),
        ))
    }
}

impl Demographics {
    /// Checks required names, kana readings and a birth date not after `today`.
    pub fn validate(&self, today: Date) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        errors.check(required("family", &self.family));
        errors.check(required("given", &self.given));
        errors.check(kana("family-kana", &self.family_kana));
        errors.check(kana("given-kana", &self.given_kana));
        if self.birth > today {
            errors.push(ValidationError::new(
                "birth",
                "in_future",
                format!("birth date {} is in the future", self.birth),
            ));
        } else if self.birth.age_on(today) > 130 {
            errors.push(ValidationError::new(
                "birth",
                "out_of_range",
                format!("birth date {} gives an age over 130 years", self.birth),
            ));
        }
        errors.into_result()
    }

    pub fn full_name(&self) -> String {
        format!("{} {}", self.family, self.given)
    }

    pub fn full_kana(&self) -> String {
        format!("{} {}", self.family_kana, self.given_kana)
    }
}

/// Set when an entry was recorded by mistake. Nothing is ever deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Voided {
    pub by: Author,
    pub at: Timestamp,
    pub reason: String,
}

/// Who recorded an entry, when, and whether it was voided since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryMeta {
    pub id: EntryId,
    pub recorded_by: Author,
    pub recorded_at: Timestamp,
    pub entered_in_error: Option<Voided>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllergyInput {
    pub substance: String,
    pub category: AllergyCategory,
    pub criticality: Criticality,
    pub reaction: Option<String>,
    pub status: ClinicalStatus,
}

impl AllergyInput {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        errors.check(required("substance", &self.substance));
        errors.into_result()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Allergy {
    pub meta: EntryMeta,
    #[serde(flatten)]
    pub input: AllergyInput,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConditionInput {
    pub name: String,
    /// ICD-10 code, if known (e.g. `I10`).
    pub icd10: Option<String>,
    pub onset: Option<Date>,
    pub status: ClinicalStatus,
    pub note: Option<String>,
}

impl ConditionInput {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        errors.check(required("name", &self.name));
        if let Some(code) = &self.icd10 {
            let valid = code.len() >= 3
                && code.starts_with(|c: char| c.is_ascii_uppercase())
                && code[1..]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.');
            if !valid {
                errors.push(ValidationError::new(
                    "icd10",
                    "malformed",
                    format!("'{code}' is not an ICD-10 code, e.g. I10 or E11.9"),
                ));
            }
        }
        errors.into_result()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub meta: EntryMeta,
    #[serde(flatten)]
    pub input: ConditionInput,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MedicationInput {
    pub name: String,
    /// As written on the prescription, e.g. `5 mg`, `1錠`.
    pub dose: String,
    pub route: Route,
    /// e.g. `1日2回 朝夕食後`.
    pub frequency: String,
    pub start: Option<Date>,
    pub end: Option<Date>,
}

impl MedicationInput {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        errors.check(required("name", &self.name));
        errors.check(required("dose", &self.dose));
        errors.check(required("frequency", &self.frequency));
        if let (Some(start), Some(end)) = (self.start, self.end)
            && end < start
        {
            errors.push(ValidationError::new(
                "end",
                "before_start",
                format!("end {end} is before start {start}"),
            ));
        }
        errors.into_result()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Medication {
    pub meta: EntryMeta,
    #[serde(flatten)]
    pub input: MedicationInput,
}

/// A SOAP note. Any part may be empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Soap {
    pub subjective: Option<String>,
    pub objective: Option<String>,
    pub assessment: Option<String>,
    pub plan: Option<String>,
}

impl Soap {
    pub fn is_empty(&self) -> bool {
        [
            &self.subjective,
            &self.objective,
            &self.assessment,
            &self.plan,
        ]
        .iter()
        .all(|part| part.as_deref().is_none_or(|t| t.trim().is_empty()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitInput {
    /// When the visit took place (may differ from when it was recorded).
    pub at: Timestamp,
    pub vitals: VitalSigns,
    pub soap: Soap,
    /// Who visited, by profession; `None` on visits recorded before it was
    /// asked, which were a nurse's.
    #[serde(default)]
    pub profession: Option<crate::Profession>,
    /// 長時間訪問看護加算: a visit of over 90 minutes that qualifies for it.
    /// Visits recorded before it was asked read as ordinary ones.
    #[serde(default)]
    pub long_visit: bool,
}

impl VisitInput {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = self.vitals.validate().err().unwrap_or_default();
        if self.vitals.is_empty() && self.soap.is_empty() {
            errors.push(ValidationError::new(
                "visit",
                "empty",
                "a visit needs at least one vital sign or a note",
            ));
        }
        errors.into_result()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub meta: EntryMeta,
    #[serde(flatten)]
    pub input: VisitInput,
}

/// Whether anyone has asked about allergies yet. "Not recorded" and "no known
/// allergies" are different clinical facts and are never shown as a blank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AllergyStatus {
    NotRecorded,
    NoKnownAllergies,
    Recorded,
}

/// One value of a field written concurrently on several devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictValue {
    /// The value, as JSON text.
    pub value: String,
    pub author: Option<Author>,
    pub at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum ReviewKind {
    /// Two devices set the same field concurrently; one value won, the other
    /// must not silently disappear.
    ConcurrentValues,
    /// Merged data that is consistent for the CRDT but not clinically, e.g.
    /// "no known allergies" from one device and an allergy from another.
    Clinical { rule: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub by: Author,
    pub at: Timestamp,
    /// The value chosen or written, as JSON text, or a note for clinical items.
    pub chosen: String,
}

/// Something a person must look at after a merge. Recorded at merge time and
/// kept until explicitly resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub id: ReviewId,
    #[serde(flatten)]
    pub kind: ReviewKind,
    /// Where in the chart, e.g. `visits/01J.../vitals/pulse`.
    pub path: String,
    pub values: Vec<ConflictValue>,
    pub recorded_at: Timestamp,
    pub resolution: Option<Resolution>,
}

/// A whole chart, as `karte chart show` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChartView {
    pub id: PatientId,
    pub patient: Demographics,
    pub allergy_status: AllergyStatus,
    pub allergies: Vec<Allergy>,
    pub conditions: Vec<Condition>,
    pub medications: Vec<Medication>,
    /// Newest first.
    pub visits: Vec<Visit>,
    pub reviews: Vec<Review>,
    /// 指示書, earliest first (by period start).
    #[serde(default)]
    pub orders: Vec<Order>,
    /// Scales recorded at visits, oldest first.
    #[serde(default)]
    pub assessments: Vec<Assessment>,
    /// Disaster mode: the registration of an unknown casualty, every
    /// triage and transport. Empty for most charts.
    #[serde(default)]
    pub triage: crate::TriageTag,
    /// Documents saved in the chart (報告書, 計画書, 記録書), oldest first.
    #[serde(default)]
    pub documents: Vec<crate::DocumentEntry>,
}

impl ChartView {
    /// Puts the lists whose order is not their ids' in the order every
    /// reader shows (visits newest first, orders by period start,
    /// assessments oldest first, the triage tag as
    /// [`TriageTag::settle`](crate::TriageTag::settle)), and works out the
    /// allergy status from the standing allergies and whether "no known
    /// allergies" was recorded. One definition for a chart read from its
    /// document and for one folded from several.
    pub fn settle(&mut self, no_known_allergies: bool) {
        self.visits
            .sort_by(|a, b| (b.input.at, &b.meta.id).cmp(&(a.input.at, &a.meta.id)));
        self.orders
            .sort_by(|a, b| (a.input.from, &a.meta.id).cmp(&(b.input.from, &b.meta.id)));
        self.assessments
            .sort_by(|a, b| (a.input.at, &a.meta.id).cmp(&(b.input.at, &b.meta.id)));
        self.triage.settle();
        let standing: Vec<&Allergy> = self
            .allergies
            .iter()
            .filter(|a| a.meta.entered_in_error.is_none())
            .collect();
        self.allergy_status = if standing
            .iter()
            .any(|a| a.input.status == crate::ClinicalStatus::Active)
        {
            AllergyStatus::Recorded
        } else if no_known_allergies {
            AllergyStatus::NoKnownAllergies
        } else if !standing.is_empty() {
            AllergyStatus::Recorded
        } else {
            AllergyStatus::NotRecorded
        };
    }

    /// The temporary identity while the person is unknown: the names are
    /// empty and a casualty registration stands (as
    /// [`PatientSummary::unknown_casualty`]).
    pub fn unknown_casualty(&self) -> Option<crate::CasualtyLabel> {
        if !self.patient.is_unnamed() {
            return None;
        }
        self.triage.casualty().map(|c| c.input.label())
    }

    pub fn open_reviews(&self) -> impl Iterator<Item = &Review> {
        self.reviews.iter().filter(|r| r.resolution.is_none())
    }

    /// The standing visits (not entered-in-error).
    fn standing_visits(&self) -> impl Iterator<Item = &Visit> {
        self.visits
            .iter()
            .filter(|v| v.meta.entered_in_error.is_none())
    }

    /// The orders as the patient list keeps them (see [`OrderSummary`]).
    pub fn order_summary(&self) -> OrderSummary {
        OrderSummary::new(
            &self.orders,
            self.standing_visits().map(|v| v.input.at.date_jst()),
        )
    }

    /// The orders in force on `today`, this month's 特別指示 and the alerts.
    pub fn order_status(&self, today: Date) -> OrderStatus {
        self.order_summary().status(today)
    }

    /// The standing visits made on a day no standing order covers, newest
    /// first: flagged, never refused (the nurse may hold the paper).
    pub fn visits_outside_orders(&self) -> Vec<EntryId> {
        let spans: Vec<OrderSpan> = self.orders.iter().filter_map(OrderSpan::of).collect();
        self.standing_visits()
            .filter(|v| {
                let day = v.input.at.date_jst();
                !spans.iter().any(|s| s.covers(day))
            })
            .map(|v| v.meta.id.clone())
            .collect()
    }

    /// Every scale over time.
    pub fn scale_trends(&self) -> ScaleTrends {
        ScaleTrends::from_assessments(&self.assessments)
    }
}

/// What the patient list shows, kept in the vault's encrypted index so the
/// list opens without loading every chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientSummary {
    pub id: PatientId,
    pub family: String,
    pub given: String,
    pub family_kana: String,
    pub given_kana: String,
    pub birth: Date,
    pub sex: Sex,
    pub care_level: Option<CareLevel>,
    pub last_visit: Option<Timestamp>,
    pub open_reviews: u32,
    /// The 指示書, for their alerts (`orders.status(today)`). Absent in
    /// entries written before charts held orders, which held none.
    #[serde(default)]
    pub orders: OrderSummary,
    /// Disaster mode: the casualty's tag and current triage, for the board
    /// and the search by tag number; `None` for a chart without a tag.
    /// Boxed: most charts have none, and the summary travels in lists.
    #[serde(default)]
    pub triage: Option<Box<crate::TriageSummary>>,
}

impl PatientSummary {
    pub fn from_chart(chart: &ChartView) -> PatientSummary {
        let p = &chart.patient;
        PatientSummary {
            id: chart.id.clone(),
            family: p.family.clone(),
            given: p.given.clone(),
            family_kana: p.family_kana.clone(),
            given_kana: p.given_kana.clone(),
            birth: p.birth,
            sex: p.sex,
            care_level: p.care_level,
            last_visit: chart
                .visits
                .iter()
                .filter(|v| v.meta.entered_in_error.is_none())
                .map(|v| v.input.at)
                .max(),
            open_reviews: chart.open_reviews().count() as u32,
            orders: chart.order_summary(),
            triage: chart.triage.summary().map(Box::new),
        }
    }

    /// The temporary identity while the person is unknown (no name yet).
    pub fn unknown_casualty(&self) -> Option<&crate::CasualtyLabel> {
        let unnamed = unnamed(&self.family, &self.given);
        self.triage
            .as_ref()
            .and_then(|t| t.casualty.as_ref())
            .filter(|_| unnamed)
    }

    /// The name as shown: 「山田 太郎」, or 「身元不明 男性 60代 #T-0123」.
    pub fn display_name_ja(&self) -> String {
        match self.unknown_casualty() {
            Some(label) => label.label_ja(),
            None => format!("{} {}", self.family, self.given),
        }
    }

    /// The name as shown in English: "山田 太郎", or "Unknown, male, 60s, #T-0123".
    pub fn display_name_en(&self) -> String {
        match self.unknown_casualty() {
            Some(label) => label.label_en(),
            None => format!("{} {}", self.family, self.given),
        }
    }

    /// The folded names a search matches against: family, given, full name,
    /// in kanji and in kana, and a casualty's tag number (empty if none).
    pub fn search_keys(&self) -> [String; 7] {
        use crate::fold_for_search as f;
        let (family, given) = (f(&self.family), f(&self.given));
        let (family_kana, given_kana) = (f(&self.family_kana), f(&self.given_kana));
        let full = format!("{family}{given}");
        let full_kana = format!("{family_kana}{given_kana}");
        let tag = self
            .triage
            .as_ref()
            .and_then(|t| t.casualty.as_ref())
            .map(|c| f(&c.tag))
            .unwrap_or_default();
        [family, given, full, family_kana, given_kana, full_kana, tag]
    }
}

#[cfg(test)]
mod visit_tests {
    use super::*;

    /// A visit recorded before the profession and the long-visit flag were
    /// asked reads as a nurse's ordinary visit.
    #[test]
    fn an_older_visit_reads_as_a_nurses_ordinary_visit() {
        let older = serde_json::json!({
            "at": 1_700_000_000_000_i64,
            "vitals": { "pulse": 72 },
            "soap": { "plan": "継続" },
        });
        let visit: VisitInput = serde_json::from_value(older).unwrap();
        assert_eq!(visit.profession, None);
        assert!(!visit.long_visit);
        let therapist: VisitInput = serde_json::from_value(serde_json::json!({
            "at": 1_700_000_000_000_i64,
            "vitals": {},
            "soap": { "plan": "歩行訓練" },
            "profession": "physical-therapist",
            "long_visit": true,
        }))
        .unwrap();
        assert_eq!(
            therapist.profession,
            Some(crate::Profession::PhysicalTherapist)
        );
        assert!(therapist.long_visit);
    }
}
