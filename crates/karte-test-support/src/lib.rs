//! Sample data shared by the tests and benchmarks of several crates: authors
//! on devices, a patient, and plausible allergies, conditions, medications and
//! visits at fixed instants. It depends on `karte-types` alone, so every crate
//! can use it without a dependency cycle.

use karte_types::{
    AllergyCategory, AllergyInput, AssessmentInput, Author, Barthel, BedriddenGrade, CareLevel,
    ClinicalStatus, ConditionInput, Criticality, Date, DementiaGrade, Demographics, DesignR,
    DeviceId, Jcs, MedicalDevices, MedicationInput, OrderInput, OrderInstructions, OrderKind,
    Route, Scale, Sex, Soap, Timestamp, UserId, VisitInput, VitalSigns,
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
        profession: None,
        long_visit: false,
    }
}

/// A regular 訪問看護指示書 from `from` to `to` (none: one month), by
/// Dr. Tanaka of みどり診療所.
pub fn regular_order(from: Date, to: Option<Date>) -> OrderInput {
    OrderInput {
        kind: OrderKind::Instruction,
        from,
        to,
        issued: Some(from),
        doctor: "田中一郎".into(),
        institution: "みどり診療所".into(),
        institution_address: Some("長野県上伊那郡辰野町1-1".into()),
        institution_phone: Some("0266-41-1111".into()),
        diagnosis: Some("脳梗塞後遺症".into()),
        diagnosis_code: Some("I693".into()),
        condition: Some("左片麻痺。血圧は内服で安定。".into()),
        medicines: Some("アムロジピン 5mg 1日1回 朝食後".into()),
        bedridden: Some(BedriddenGrade::B1),
        dementia: Some(DementiaGrade::Rank2a),
        care_level: Some(CareLevel::Care2),
        pressure_ulcer_depth: None,
        devices: MedicalDevices {
            oxygen: true,
            oxygen_flow_l_min: Some(1.0),
            ..MedicalDevices::default()
        },
        instructions: OrderInstructions {
            care_notes: Some("転倒に注意".into()),
            ..OrderInstructions::default()
        },
        infusion: None,
        special_reason: None,
        emergency_contact: Some("みどり診療所 0266-41-1111".into()),
        absence_contact: None,
    }
}

/// A 特別訪問看護指示書 from `from` to `to`, by the doctor of [`regular_order`].
pub fn special_order(from: Date, to: Date) -> OrderInput {
    OrderInput {
        kind: OrderKind::Special,
        to: Some(to),
        special_reason: Some("急性増悪".into()),
        ..regular_order(from, None)
    }
}

/// A Barthel Index assessment at `minutes` after [`START`], with the ten
/// scores in the order of `karte_types::BARTHEL_ITEMS`.
pub fn barthel(minutes: i64, scores: [u8; 10]) -> AssessmentInput {
    AssessmentInput {
        at: at(minutes),
        visit: None,
        scale: Scale::Barthel(Barthel::from_scores(scores)),
    }
}

/// A DESIGN-R 2020 assessment of `wound` at `minutes` after [`START`].
pub fn design_r(minutes: i64, wound: &str, notation: &str) -> AssessmentInput {
    AssessmentInput {
        at: at(minutes),
        visit: None,
        scale: Scale::DesignR(DesignR::parse(wound, notation).expect("a valid DESIGN-R")),
    }
}
