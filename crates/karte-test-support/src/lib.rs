//! Sample data shared by the tests and benchmarks of several crates: authors
//! on devices, a patient, and plausible allergies, conditions, medications and
//! visits at fixed instants. It depends on `karte-types` alone, so every crate
//! can use it without a dependency cycle.

use karte_types::{
    AllergyCategory, AllergyInput, Author, CareLevel, ClinicalStatus, ConditionInput, Criticality,
    Date, Demographics, DeviceId, Jcs, MedicationInput, Route, Sex, Soap, Timestamp, UserId,
    VisitInput, VitalSigns,
};

/// 2026-11-25T00:00:00Z: the instant tests start at.
pub const START: Timestamp = Timestamp(1_795_564_800_000);

/// The passphrase of test vaults.
pub const PASSPHRASE: &[u8] = b"correct horse battery staple";

/// `minutes` after [`START`].
pub fn at(minutes: i64) -> Timestamp {
    Timestamp(START.0 + minutes * 60_000)
}

pub fn author(name: &str, device: &str) -> Author {
    Author {
        user: UserId(format!("user-{name}")),
        user_name: name.to_owned(),
        device: DeviceId(device.to_owned()),
    }
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
