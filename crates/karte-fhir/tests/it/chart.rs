//! Charts for the tests, built by hand from karte-types: a small chart with
//! one of everything (including entries recorded in error) and realistic
//! charts from the demo generator.

use karte_demo::{DemoOptions, DemoPatient, patients};
use karte_types::{
    Allergy, AllergyCategory, AllergyInput, AllergyStatus, Assessment, AssessmentInput, Author,
    CareLevel, ChartView, ClinicalStatus, Condition, ConditionInput, Criticality, Date,
    Demographics, DeviceId, EntryId, EntryMeta, Jcs, Medication, MedicationInput, PatientId, Route,
    Sex, Soap, Timestamp, UserId, Visit, VisitInput, VitalSigns, Voided,
};
use ulid::Ulid;

pub fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339("at", text).unwrap()
}

pub fn date(text: &str) -> Date {
    Date::parse("date", text).unwrap()
}

/// The moment of every test export.
pub fn generated_at() -> Timestamp {
    at("2026-11-25T18:00:00+09:00")
}

pub fn nurse() -> Author {
    Author {
        user: UserId("01JBN8Y3Q6W7E5R4T2Y1U0I9OP".into()),
        user_name: "佐藤 花子".into(),
        device: DeviceId("01JBN8Y3Q6W7E5R4T2Y1U0I9OQ".into()),
    }
}

enum Last {
    Allergy,
    Condition,
    Medication,
    Visit,
    Assessment,
}

/// Builds a chart entry by entry; ids are ULIDs made from the recording
/// time and a counter, so every build gives the same chart.
pub struct ChartBuilder {
    chart: ChartView,
    counter: u128,
    last: Option<Last>,
}

impl ChartBuilder {
    pub fn new(patient: Demographics, created: Timestamp) -> ChartBuilder {
        let mut builder = ChartBuilder {
            chart: ChartView {
                id: PatientId(String::new()),
                patient,
                allergy_status: AllergyStatus::NotRecorded,
                allergies: Vec::new(),
                conditions: Vec::new(),
                medications: Vec::new(),
                visits: Vec::new(),
                reviews: Vec::new(),
                orders: Vec::new(),
                assessments: Vec::new(),
                triage: Default::default(),
                documents: Vec::new(),
            },
            counter: 0,
            last: None,
        };
        builder.chart.id = PatientId(builder.ulid(created));
        builder
    }

    fn ulid(&mut self, at: Timestamp) -> String {
        self.counter += 1;
        Ulid::from_parts(at.0 as u64, self.counter * 0x9E37_79B9_7F4A_7C15).to_string()
    }

    fn meta(&mut self, at: Timestamp) -> EntryMeta {
        EntryMeta {
            id: EntryId(self.ulid(at)),
            recorded_by: nurse(),
            recorded_at: at,
            entered_in_error: None,
        }
    }

    pub fn no_known_allergies(mut self) -> Self {
        self.chart.allergy_status = AllergyStatus::NoKnownAllergies;
        self
    }

    pub fn allergy(mut self, input: AllergyInput, at: Timestamp) -> Self {
        input.validate().unwrap();
        let meta = self.meta(at);
        self.chart.allergy_status = AllergyStatus::Recorded;
        self.chart.allergies.push(Allergy { meta, input });
        self.last = Some(Last::Allergy);
        self
    }

    pub fn condition(mut self, input: ConditionInput, at: Timestamp) -> Self {
        input.validate().unwrap();
        let meta = self.meta(at);
        self.chart.conditions.push(Condition { meta, input });
        self.last = Some(Last::Condition);
        self
    }

    pub fn medication(mut self, input: MedicationInput, at: Timestamp) -> Self {
        input.validate().unwrap();
        let meta = self.meta(at);
        self.chart.medications.push(Medication { meta, input });
        self.last = Some(Last::Medication);
        self
    }

    /// A visit, recorded ten minutes after it took place.
    pub fn visit(mut self, input: VisitInput) -> Self {
        input.validate().unwrap();
        let meta = self.meta(Timestamp(input.at.0 + 600_000));
        self.chart.visits.push(Visit { meta, input });
        self.last = Some(Last::Visit);
        self
    }

    /// A scale, recorded when it was assessed.
    pub fn assessment(mut self, input: AssessmentInput) -> Self {
        input.validate().unwrap();
        let meta = self.meta(input.at);
        self.chart.assessments.push(Assessment { meta, input });
        self.last = Some(Last::Assessment);
        self
    }

    /// The id of the visit added last.
    pub fn last_visit_id(&self) -> EntryId {
        self.chart.visits.last().expect("a visit").meta.id.clone()
    }

    /// Marks the entry added last as entered in error.
    pub fn voided(mut self, reason: &str) -> Self {
        let meta = match self.last.as_ref().expect("an entry to void") {
            Last::Allergy => &mut self.chart.allergies.last_mut().unwrap().meta,
            Last::Condition => &mut self.chart.conditions.last_mut().unwrap().meta,
            Last::Medication => &mut self.chart.medications.last_mut().unwrap().meta,
            Last::Visit => &mut self.chart.visits.last_mut().unwrap().meta,
            Last::Assessment => &mut self.chart.assessments.last_mut().unwrap().meta,
        };
        meta.entered_in_error = Some(Voided {
            by: nurse(),
            at: Timestamp(meta.recorded_at.0 + 3_600_000),
            reason: reason.into(),
        });
        self
    }

    pub fn build(mut self) -> ChartView {
        // A chart view lists visits newest first.
        self.chart
            .visits
            .sort_by_key(|v| std::cmp::Reverse(v.input.at));
        self.chart
    }
}

pub fn yamada() -> Demographics {
    Demographics {
        family: "山田".into(),
        given: "太郎".into(),
        family_kana: "ヤマダ".into(),
        given_kana: "タロウ".into(),
        birth: date("1941-03-02"),
        sex: Sex::Male,
        address: Some("東京都世田谷区上馬3-12-5".into()),
        phone: Some("03-1234-5678".into()),
        insurance_number: Some("12345678".into()),
        care_level: Some(CareLevel::Care2),
    }
}

/// One of everything: allergies (one recorded in error), a condition, a
/// current and a finished prescription, a full visit and a voided one.
pub fn small_chart() -> ChartView {
    let intake = at("2025-04-01T10:00:00+09:00");
    ChartBuilder::new(yamada(), intake)
        .allergy(
            AllergyInput {
                substance: "ペニシリン系抗菌薬".into(),
                category: AllergyCategory::Medication,
                criticality: Criticality::High,
                reaction: Some("蕁麻疹".into()),
                status: ClinicalStatus::Active,
            },
            intake,
        )
        .allergy(
            AllergyInput {
                substance: "卵".into(),
                category: AllergyCategory::Food,
                criticality: Criticality::Low,
                reaction: None,
                status: ClinicalStatus::Active,
            },
            intake,
        )
        .voided("別の患者の情報を誤って入力")
        .condition(
            ConditionInput {
                name: "高血圧症".into(),
                icd10: Some("I10".into()),
                onset: Some(date("2015-04-01")),
                status: ClinicalStatus::Active,
                note: Some("家庭血圧の記録あり".into()),
            },
            intake,
        )
        .medication(
            MedicationInput {
                name: "アムロジピン".into(),
                dose: "5mg".into(),
                route: Route::Oral,
                frequency: "1日1回 朝食後".into(),
                start: Some(date("2015-04-10")),
                end: None,
            },
            intake,
        )
        .medication(
            MedicationInput {
                name: "レボフロキサシン".into(),
                dose: "500mg".into(),
                route: Route::Oral,
                frequency: "1日1回 朝食後".into(),
                start: Some(date("2026-10-01")),
                end: Some(date("2026-10-07")),
            },
            at("2026-10-01T14:00:00+09:00"),
        )
        .visit(VisitInput {
            at: at("2026-11-20T10:00:00+09:00"),
            vitals: VitalSigns {
                temperature_c: Some(37.9),
                ..VitalSigns::default()
            },
            soap: Soap {
                subjective: Some("「寒気がする」と話す。".into()),
                ..Soap::default()
            },
            profession: None,
            long_visit: false,
        })
        .voided("別の利用者の記録")
        .visit(VisitInput {
            at: at("2026-11-25T09:30:00+09:00"),
            vitals: VitalSigns {
                temperature_c: Some(36.8),
                systolic: Some(148),
                diastolic: Some(86),
                pulse: Some(72),
                respiration: Some(16),
                spo2: Some(97),
                jcs: Some(Jcs::alert()),
                pain: Some(2),
            },
            soap: Soap {
                subjective: Some("「夜間よく眠れた」と話す。".into()),
                objective: Some("下肢浮腫軽度。".into()),
                assessment: Some("血圧やや高め、経過観察。".into()),
                plan: Some("家庭血圧の記録を依頼。".into()),
            },
            profession: None,
            long_visit: false,
        })
        .build()
}

/// A demo patient as a chart.
pub fn from_demo(p: &DemoPatient, created: Timestamp) -> ChartView {
    let mut builder = ChartBuilder::new(p.patient.clone(), created);
    if p.allergy_status_nka {
        builder = builder.no_known_allergies();
    }
    for (input, at) in &p.allergies {
        builder = builder.allergy(input.clone(), *at);
    }
    for (input, at) in &p.conditions {
        builder = builder.condition(input.clone(), *at);
    }
    for (input, at) in &p.medications {
        builder = builder.medication(input.clone(), *at);
    }
    for input in &p.visits {
        builder = builder.visit(input.clone());
    }
    builder.build()
}

/// Realistic charts: demo patients with a year of visits, one of whose
/// visits and one of whose conditions were recorded in error.
pub fn realistic_charts(n: usize) -> Vec<ChartView> {
    let mut options = DemoOptions::new(2026, generated_at());
    options.visits_years = 1.0;
    patients(&options)
        .take(n)
        .map(|p| {
            let created = p.visits.first().map_or(generated_at(), |v| v.at);
            let mut chart = from_demo(&p, created);
            let void = Voided {
                by: nurse(),
                at: generated_at(),
                reason: "重複入力".into(),
            };
            if let Some(visit) = chart.visits.get_mut(3) {
                visit.meta.entered_in_error = Some(void.clone());
            }
            if let Some(condition) = chart.conditions.first_mut() {
                condition.meta.entered_in_error = Some(void);
            }
            chart
        })
        .collect()
}
