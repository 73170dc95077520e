//! Builders for chart tests: authors on devices, sample inputs, deterministic
//! ids and replicas of one chart.

use karte_record::{ActorId, Chart, Edit, actor_for};
use karte_types::{
    AllergyCategory, AllergyInput, Author, CareLevel, ClinicalStatus, ConditionInput, Criticality,
    Date, Demographics, DeviceId, EntryId, Jcs, MedicationInput, PatientId, Route, Sex, Soap,
    Timestamp, UserId, VisitInput, VitalSigns,
};

/// 2026-11-25T00:00:00Z.
pub const START: Timestamp = Timestamp(1_795_564_800_000);

pub fn author(name: &str, device: &str) -> Author {
    Author {
        user: UserId(format!("user-{name}")),
        user_name: name.to_owned(),
        device: DeviceId(device.to_owned()),
    }
}

pub fn at(minutes: i64) -> Timestamp {
    Timestamp(START.0 + minutes * 60_000)
}

pub fn edit(author: &Author, minutes: i64) -> Edit<'_> {
    Edit {
        author,
        at: at(minutes),
    }
}

/// A fresh actor for process `n` of `author`'s device.
pub fn actor(author: &Author, n: u8) -> ActorId {
    actor_for(&author.device, [n; 16])
}

/// A ULID made from `n`, so tests name entries deterministically.
pub fn entry_id(n: u64) -> EntryId {
    EntryId(ulid::Ulid::from_parts(START.0 as u64 + n, u128::from(n) << 16 | 0xbeef).to_string())
}

pub fn patient_id() -> PatientId {
    PatientId(ulid::Ulid::from_parts(START.0 as u64, 42).to_string())
}

pub fn yamada() -> Demographics {
    Demographics {
        family: "山田".into(),
        given: "太郎".into(),
        family_kana: "ヤマダ".into(),
        given_kana: "タロウ".into(),
        birth: Date::from_ymd(1941, 3, 2).expect("valid date"),
        sex: Sex::Male,
        address: Some("長野県上伊那郡辰野町".into()),
        phone: Some("0266-41-0000".into()),
        insurance_number: Some("12345678".into()),
        care_level: Some(CareLevel::Care2),
    }
}

pub fn penicillin() -> AllergyInput {
    AllergyInput {
        substance: "ペニシリン".into(),
        category: AllergyCategory::Medication,
        criticality: Criticality::High,
        reaction: Some("発疹".into()),
        status: ClinicalStatus::Active,
    }
}

pub fn hypertension() -> ConditionInput {
    ConditionInput {
        name: "高血圧症".into(),
        icd10: Some("I10".into()),
        onset: Date::from_ymd(2010, 4, 1),
        status: ClinicalStatus::Active,
        note: None,
    }
}

pub fn amlodipine() -> MedicationInput {
    MedicationInput {
        name: "アムロジピン".into(),
        dose: "5 mg".into(),
        route: Route::Oral,
        frequency: "1日1回 朝食後".into(),
        start: Date::from_ymd(2020, 1, 10),
        end: None,
    }
}

/// A plausible visit `minutes` after [`START`].
pub fn visit(minutes: i64, pulse: u16) -> VisitInput {
    VisitInput {
        at: at(minutes),
        vitals: VitalSigns {
            temperature_c: Some(36.8),
            systolic: Some(132),
            diastolic: Some(84),
            pulse: Some(pulse),
            respiration: Some(16),
            spo2: Some(97),
            jcs: Some(Jcs::alert()),
            pain: Some(2),
        },
        soap: Soap {
            subjective: Some("夜間よく眠れた".into()),
            plan: Some("次回血圧再検".into()),
            ..Soap::default()
        },
    }
}

/// A new chart of Yamada Taro, created by `author`.
pub fn new_chart(author: &Author) -> Chart {
    Chart::create(actor(author, 0), &patient_id(), &yamada(), &edit(author, 0))
        .expect("chart is created")
}

/// Another device's copy of `chart`, as sync would give it: the saved bytes
/// loaded under that device's own actor.
pub fn replica(chart: &Chart, author: &Author, process: u8) -> Chart {
    Chart::load(actor(author, process), &[&chart.save()]).expect("saved chart loads")
}

/// Saves and loads, so a test also checks what persists.
pub fn reload(chart: &Chart, author: &Author, process: u8) -> Chart {
    replica(chart, author, process)
}

/// `cases` proptest cases, unless `PROPTEST_CASES` asks for another number
/// (e.g. `PROPTEST_CASES=2000` for a long hunt).
pub fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    proptest::test_runner::Config::with_cases(cases)
}
