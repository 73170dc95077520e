//! Scales recorded at visits as JP_Observation_Common: the Barthel Index
//! (LOINC 96761-2, its ten items as components with their LOINC codes),
//! DESIGN-R 2020 of one wound (the total, depth and the six scored items as
//! components, the wound as `bodySite`), and the Japanese 日常生活自立度
//! grades (寝たきり度, 認知症), which have no LOINC code and are coded in
//! Karte's own code systems with their Japanese names in `text`.

use karte_types::{Assessment, Photo, Scale};
use serde_json::{Value, json};

use crate::datatypes::{Entry, coding, concept, instance_identifier, meta, reference};
use crate::ids::resource_id;
use crate::systems::{
    JP_OBSERVATION_COMMON, KARTE_BEDRIDDEN_GRADE, KARTE_DEMENTIA_GRADE, KARTE_JSPEED_2018, LOINC,
    OBSERVATION_CATEGORY,
};

/// The LOINC code of the Barthel Index total and of each item, in the order
/// of `karte_types::BARTHEL_ITEMS`.
pub const BARTHEL_TOTAL: (&str, &str) = ("96761-2", "Total score Barthel Index");
pub const BARTHEL_ITEM_CODES: [(&str, &str); 10] = [
    ("83184-2", "Feeding or eating ability"),
    ("83185-9", "Transferring ability"),
    ("96767-9", "Grooming ability"),
    ("83183-4", "Toileting ability"),
    ("83181-8", "Bathing ability"),
    ("83186-7", "Ambulation ability"),
    ("96758-8", "Stairs ability"),
    ("83182-6", "Dressing ability"),
    ("96759-6", "Bowel control ability"),
    ("96760-4", "Bladder control ability"),
];

/// One observation per assessment, voided ones kept as entered-in-error.
/// `visit_ids` are the chart's visits, whose encounters an assessment made
/// at one of them points at; `photos` the chart's, whose Media a DESIGN-R
/// assessment made with them is `derivedFrom`.
pub fn observation(
    assessment: &Assessment,
    patient: &Value,
    visit_ids: &[&str],
    photos: &[Photo],
) -> Entry {
    let input = &assessment.input;
    let (key, category, code, value): (&str, (&str, &str), Value, (&str, Value)) =
        match &input.scale {
            Scale::Barthel(b) => (
                "barthel",
                ("survey", "Survey"),
                json!({
                    "coding": [coding(LOINC, BARTHEL_TOTAL.0, BARTHEL_TOTAL.1)],
                    "text": "Barthel Index",
                }),
                ("valueInteger", json!(b.total())),
            ),
            Scale::DesignR(d) => (
                "design-r",
                ("exam", "Exam"),
                json!({ "text": "DESIGN-R 2020 褥瘡状態評価" }),
                ("valueInteger", json!(d.total())),
            ),
            Scale::Bedridden { grade } => (
                "bedridden",
                ("survey", "Survey"),
                json!({ "text": "障害高齢者の日常生活自立度（寝たきり度）" }),
                (
                    "valueCodeableConcept",
                    json!({
                        "coding": [coding(KARTE_BEDRIDDEN_GRADE, grade.code(), grade.label_ja())],
                        "text": grade.label_ja(),
                    }),
                ),
            ),
            Scale::Dementia { grade } => (
                "dementia",
                ("survey", "Survey"),
                json!({ "text": "認知症高齢者の日常生活自立度" }),
                (
                    "valueCodeableConcept",
                    json!({
                        "coding": [coding(KARTE_DEMENTIA_GRADE, grade.code(), grade.label_ja())],
                        "text": grade.label_ja(),
                    }),
                ),
            ),
            Scale::JSpeed(sheet) => (
                "jspeed",
                ("survey", "Survey"),
                json!({ "text": "J-SPEED 2018 災害診療記録 診療日報項目" }),
                (
                    "valueString",
                    json!(format!("{} / {}", sheet.team, sheet.site)),
                ),
            ),
        };
    let id = resource_id(&format!("observation/{key}"), assessment.meta.id.as_str());
    let status = if assessment.meta.entered_in_error.is_some() {
        "entered-in-error"
    } else {
        "final"
    };
    let mut resource = json!({
        "resourceType": "Observation",
        "id": id,
        "meta": meta(&[JP_OBSERVATION_COMMON]),
        "identifier": instance_identifier(assessment.meta.id.as_str()),
        "status": status,
        "category": [concept(OBSERVATION_CATEGORY, category.0, category.1)],
        "code": code,
        "subject": patient,
        "effectiveDateTime": input.at.to_rfc3339(),
    });
    resource[value.0] = value.1;
    if let Some(visit) = &input.visit
        && visit_ids.contains(&visit.as_str())
    {
        resource["encounter"] = reference(&resource_id("encounter", visit.as_str()));
    }
    match &input.scale {
        Scale::Barthel(b) => {
            let components: Vec<Value> = BARTHEL_ITEM_CODES
                .iter()
                .zip(karte_types::BARTHEL_ITEMS)
                .zip(b.scores())
                .map(|(((code, display), (_, label, _)), score)| {
                    json!({
                        "code": { "coding": [coding(LOINC, code, display)], "text": label },
                        "valueInteger": score,
                    })
                })
                .collect();
            resource["component"] = json!(components);
        }
        Scale::DesignR(d) => {
            resource["bodySite"] = json!({ "text": d.wound });
            let scored =
                |text: &str, score: u8| json!({ "code": { "text": text }, "valueInteger": score });
            resource["component"] = json!([
                {
                    "code": { "text": "深さ (Depth)" },
                    "valueCodeableConcept": { "text": d.depth.code() },
                },
                scored("滲出液 (Exudate)", d.exudate),
                scored("大きさ (Size)", d.size),
                {
                    "code": { "text": "炎症/感染 (Inflammation/Infection)" },
                    "valueCodeableConcept": { "text": d.inflammation.code() },
                },
                scored("肉芽組織 (Granulation)", d.granulation),
                scored("壊死組織 (Necrotic tissue)", d.necrosis),
                scored("ポケット (Pocket)", d.pocket),
            ]);
            resource["note"] = json!([{ "text": d.notation() }]);
            let derived: Vec<Value> = photos
                .iter()
                .filter(|photo| photo.input.assessment.as_ref() == Some(&assessment.meta.id))
                .map(|photo| reference(&crate::photo::media_id(photo.meta.id.as_str())))
                .collect();
            if !derived.is_empty() {
                resource["derivedFrom"] = json!(derived);
            }
        }
        Scale::JSpeed(sheet) => {
            let mut components: Vec<Value> = sheet
                .items
                .items()
                .iter()
                .map(|item| {
                    json!({
                        "code": {
                            "coding": [coding(KARTE_JSPEED_2018, item.code, item.ja)],
                            "text": format!("{} {}", item.number, item.ja),
                        },
                        "valueBoolean": true,
                    })
                })
                .collect();
            components.push(json!({
                "code": { "text": "妊娠 (Pregnant)" },
                "valueBoolean": sheet.pregnant,
            }));
            resource["component"] = json!(components);
        }
        Scale::Bedridden { .. } | Scale::Dementia { .. } => {}
    }
    Entry { id, resource }
}

/// Every scale of a chart, in the chart's order; voided ones are exported
/// too, marked entered-in-error.
pub fn observations(
    assessments: &[Assessment],
    patient: &Value,
    visit_ids: &[&str],
    photos: &[Photo],
) -> Vec<Entry> {
    assessments
        .iter()
        .map(|a| observation(a, patient, visit_ids, photos))
        .collect()
}
