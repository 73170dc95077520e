//! The 指示書 as a ServiceRequest with its doctor a PractitionerRole, and
//! wound photos as Media that their DESIGN-R Observation is derived from;
//! valid for the independent validator.

use karte_fhir::{bundle_with_photos, systems};
use karte_types::{
    AssessmentInput, BedriddenGrade, CareLevel, DesignR, EntryId, EntryMeta, MedicalDevices, Order,
    OrderInput, OrderInstructions, OrderKind, Photo, PhotoInput, PressureUlcerDepth, Scale, Soap,
    TubeFeedingRoute, VisitInput, VitalSigns, Voided,
};
use serde_json::Value;

use crate::chart::{ChartBuilder, at, date, generated_at, nurse, yamada};
use crate::json::of_type;
use crate::validator::{report, validate};

fn order_input() -> OrderInput {
    OrderInput {
        kind: OrderKind::Instruction,
        from: date("2026-11-01"),
        to: Some(date("2027-01-31")),
        issued: Some(date("2026-10-28")),
        doctor: "田中 一郎".into(),
        institution: "さくら内科クリニック".into(),
        institution_address: Some("東京都新宿区1-2-3".into()),
        institution_phone: Some("03-1234-5678".into()),
        diagnosis: Some("脳梗塞後遺症".into()),
        diagnosis_code: Some("8833421".into()),
        condition: Some("左片麻痺。仙骨部に褥瘡。".into()),
        medicines: Some("アムロジピン 5mg 1日1回".into()),
        bedridden: Some(BedriddenGrade::B2),
        dementia: None,
        care_level: Some(CareLevel::Care4),
        pressure_ulcer_depth: Some(PressureUlcerDepth::D3),
        devices: MedicalDevices {
            oxygen: true,
            oxygen_flow_l_min: Some(1.5),
            tube_feeding: Some(TubeFeedingRoute::Gastrostomy),
            tube_feeding_size: Some("20Fr".into()),
            tube_feeding_change_days: Some(120),
            ..MedicalDevices::default()
        },
        instructions: OrderInstructions {
            care_notes: Some("誤嚥に注意".into()),
            pressure_ulcer_care: Some("1日1回洗浄、被覆材交換".into()),
            ..OrderInstructions::default()
        },
        infusion: None,
        special_reason: None,
        emergency_contact: Some("田中 一郎 090-0000-0000".into()),
        absence_contact: None,
    }
}

/// A chart with a 指示書 (and a voided one), a visit with a DESIGN-R
/// assessment, and two photos: one made with that assessment, one voided.
fn paperwork_chart() -> (karte_types::ChartView, Vec<Photo>) {
    let visit_at = at("2026-11-20T10:00:00+09:00");
    let builder = ChartBuilder::new(yamada(), at("2026-11-01T09:00:00+09:00")).visit(VisitInput {
        at: visit_at,
        vitals: VitalSigns {
            pulse: Some(76),
            ..VitalSigns::default()
        },
        soap: Soap::default(),
        profession: None,
        long_visit: false,
    });
    let visit = builder.last_visit_id();
    let mut chart = builder
        .assessment(AssessmentInput {
            at: visit_at,
            visit: Some(visit.clone()),
            scale: Scale::DesignR(DesignR::parse("仙骨部", "D3-e3s8I3Cg3n3p6").unwrap()),
        })
        .build();
    let meta = |id: &str, at_text: &str| EntryMeta {
        id: EntryId(id.into()),
        recorded_by: nurse(),
        recorded_at: at(at_text),
        entered_in_error: None,
    };
    chart.orders.push(Order {
        meta: meta("01KAAAAAAAAAAAAAAAAAAAAAA1", "2026-11-01T09:30:00+09:00"),
        input: order_input(),
    });
    let mut voided = Order {
        meta: meta("01KAAAAAAAAAAAAAAAAAAAAAA2", "2026-11-01T09:40:00+09:00"),
        input: OrderInput {
            to: None,
            from: date("2026-09-01"),
            ..order_input()
        },
    };
    voided.meta.entered_in_error = Some(Voided {
        by: nurse(),
        at: at("2026-11-01T10:00:00+09:00"),
        reason: "重複".into(),
    });
    chart.orders.push(voided);
    let assessment = chart.assessments[0].meta.id.clone();
    let photo = |id: &str, hash: char, assessment: Option<EntryId>| Photo {
        meta: meta(id, "2026-11-20T10:20:00+09:00"),
        input: PhotoInput {
            attachment: hash.to_string().repeat(64),
            media_type: "image/jpeg".into(),
            width: 1280,
            height: 960,
            size: 412_345,
            taken_at: at("2026-11-20T10:05:00+09:00"),
            wound: Some("仙骨部".into()),
            assessment,
        },
    };
    let mut other = photo("01KAAAAAAAAAAAAAAAAAAAAAB2", 'b', None);
    other.meta.entered_in_error = Some(Voided {
        by: nurse(),
        at: at("2026-11-20T11:00:00+09:00"),
        reason: "別の利用者".into(),
    });
    let photos = vec![
        photo("01KAAAAAAAAAAAAAAAAAAAAAB1", 'a', Some(assessment)),
        other,
    ];
    (chart, photos)
}

fn export() -> Value {
    bundle_with_photos(
        &[paperwork_chart()],
        generated_at(),
        "karte-export-paperwork",
    )
}

#[test]
fn a_shijisho_is_a_service_request_with_its_period_parts_and_doctor() {
    let exported = export();
    let requests = of_type(&exported, "ServiceRequest");
    assert_eq!(requests.len(), 2);
    let order = requests[0];
    assert_eq!(order["status"], "active");
    assert_eq!(order["intent"], "order");
    assert_eq!(
        order["category"][0]["coding"][0]["system"],
        systems::KARTE_ORDER_KIND
    );
    assert_eq!(order["category"][0]["coding"][0]["code"], "instruction");
    assert_eq!(order["category"][0]["text"], "訪問看護指示書");
    assert_eq!(order["occurrencePeriod"]["start"], "2026-11-01");
    assert_eq!(order["occurrencePeriod"]["end"], "2027-01-31");
    assert_eq!(order["authoredOn"], "2026-10-28");
    assert_eq!(order["reasonCode"][0]["text"], "脳梗塞後遺症");
    assert_eq!(order["reasonCode"][0]["coding"][0]["code"], "8833421");
    // The doctor, with their profession, at their institution.
    assert_eq!(order["requester"]["reference"], "#requester");
    let role = &order["contained"][0];
    assert_eq!(role["resourceType"], "PractitionerRole");
    assert_eq!(role["id"], "requester");
    assert_eq!(
        role["code"][0]["coding"][0]["system"],
        systems::PRACTITIONER_ROLE
    );
    assert_eq!(role["code"][0]["coding"][0]["code"], "doctor");
    assert_eq!(role["practitioner"]["display"], "田中 一郎");
    assert!(
        role["organization"]["display"]
            .as_str()
            .unwrap()
            .starts_with("さくら内科クリニック")
    );
    let details: Vec<&str> = order["orderDetail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["text"].as_str().unwrap())
        .collect();
    for expected in [
        "寝たきり度",
        "要介護認定",
        "褥瘡の深さ",
        "酸素療法（1.5 L/min）",
        "経管栄養 胃ろう（サイズ 20Fr、120日に1回交換）",
    ] {
        assert!(
            details.iter().any(|d| d.contains(expected)),
            "{expected} in {details:?}"
        );
    }
    assert_eq!(order["orderDetail"][0]["coding"][0]["code"], "B2");
    let notes: Vec<&str> = order["note"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap())
        .collect();
    assert!(
        notes.contains(&"【病状・治療状態】左片麻痺。仙骨部に褥瘡。"),
        "{notes:?}"
    );
    assert!(
        notes.contains(&"【療養生活指導上の留意事項】誤嚥に注意"),
        "{notes:?}"
    );
    assert!(
        notes.contains(&"【緊急時の連絡先】田中 一郎 090-0000-0000"),
        "{notes:?}"
    );
    // A voided order stays, marked; one with no end runs a month.
    let voided = requests[1];
    assert_eq!(voided["status"], "entered-in-error");
    assert_eq!(voided["occurrencePeriod"]["end"], "2026-09-30");
}

#[test]
fn a_wound_photo_is_media_that_its_design_r_observation_derives_from() {
    let exported = export();
    let media = of_type(&exported, "Media");
    assert_eq!(media.len(), 2);
    let photo = media[0];
    assert_eq!(photo["status"], "completed");
    assert_eq!(photo["type"]["coding"][0]["system"], systems::MEDIA_TYPE);
    assert_eq!(photo["type"]["coding"][0]["code"], "image");
    assert_eq!(photo["bodySite"]["text"], "仙骨部");
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(1280), Some(960))
    );
    assert_eq!(photo["content"]["contentType"], "image/jpeg");
    assert_eq!(photo["content"]["size"], 412_345);
    assert_eq!(photo["operator"]["display"], "佐藤 花子");
    let sha = photo["identifier"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["system"] == systems::KARTE_ATTACHMENT_SHA256)
        .expect("the photo's SHA-256");
    assert_eq!(sha["value"], "a".repeat(64));
    // The photo and its assessment belong to the visit's encounter.
    let encounter = of_type(&exported, "Encounter")[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        photo["encounter"]["reference"]
            .as_str()
            .unwrap()
            .ends_with(&encounter)
    );
    let design_r = of_type(&exported, "Observation")
        .into_iter()
        .find(|o| {
            o["code"]["text"]
                .as_str()
                .unwrap_or("")
                .starts_with("DESIGN-R")
        })
        .expect("the DESIGN-R observation");
    let derived = design_r["derivedFrom"]
        .as_array()
        .expect("derived from the photo");
    assert_eq!(derived.len(), 1, "only the photo made with it");
    assert!(
        derived[0]["reference"]
            .as_str()
            .unwrap()
            .ends_with(photo["id"].as_str().unwrap())
    );
    let voided = media[1];
    assert_eq!(voided["status"], "entered-in-error");
    assert!(voided.get("encounter").is_none());
}

#[test]
fn the_paperwork_export_is_valid_fhir_r4() {
    let output = validate(&export());
    assert!(output.status.success(), "{}", report(&output));
}
