//! Scales exported as JP_Observation_Common: the Barthel Index and its items
//! in LOINC, DESIGN-R 2020 per wound with its total and components, the
//! 日常生活自立度 grades in Karte's code systems, pointing at the visit's
//! encounter, and valid for the independent validator.

use karte_fhir::{bundle, systems};
use karte_types::{
    AssessmentInput, Barthel, BedriddenGrade, ChartView, DementiaGrade, DesignR, Jcs, Scale, Soap,
    VisitInput, VitalSigns,
};
use serde_json::Value;

use crate::chart::{ChartBuilder, at, generated_at, small_chart, yamada};
use crate::json::of_type;
use crate::validator::{report, validate};

/// A chart with a visit and every kind of scale, one of them voided.
pub fn scales_chart() -> ChartView {
    let visit_at = at("2026-11-20T10:00:00+09:00");
    let builder = ChartBuilder::new(yamada(), at("2026-11-01T09:00:00+09:00")).visit(VisitInput {
        at: visit_at,
        vitals: VitalSigns {
            pulse: Some(72),
            jcs: Some(Jcs::alert()),
            ..VitalSigns::default()
        },
        soap: Soap::default(),
        profession: None,
        long_visit: false,
    });
    let visit = Some(builder.last_visit_id());
    let scale = |scale: Scale| AssessmentInput {
        at: visit_at,
        visit: visit.clone(),
        scale,
    };
    builder
        .assessment(scale(Scale::Barthel(Barthel::from_scores([
            10, 10, 0, 5, 0, 5, 0, 5, 10, 5,
        ]))))
        .assessment(scale(Scale::DesignR(
            DesignR::parse("仙骨部", "D3-e3s8I3Cg3n3p6").unwrap(),
        )))
        .assessment(scale(Scale::Bedridden {
            grade: BedriddenGrade::B2,
        }))
        .assessment(scale(Scale::Dementia {
            grade: DementiaGrade::Rank2a,
        }))
        .assessment(AssessmentInput {
            at: at("2026-11-21T10:00:00+09:00"),
            visit: None,
            scale: Scale::Bedridden {
                grade: BedriddenGrade::C1,
            },
        })
        .voided("別の利用者の評価")
        .build()
}

fn observations(bundle: &Value) -> Vec<&Value> {
    of_type(bundle, "Observation")
        .into_iter()
        .filter(|o| o["meta"]["profile"][0] == systems::JP_OBSERVATION_COMMON)
        .filter(|o| o["code"]["text"] != "意識レベル（JCS）")
        .collect()
}

#[test]
fn scales_export_as_observations_with_their_codes_and_components() {
    let exported = bundle(&[scales_chart()], generated_at(), "karte-export-scales");
    let scales = observations(&exported);
    assert_eq!(scales.len(), 5);
    let encounter = of_type(&exported, "Encounter")[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let barthel = scales[0];
    assert_eq!(barthel["code"]["coding"][0]["system"], systems::LOINC);
    assert_eq!(barthel["code"]["coding"][0]["code"], "96761-2");
    assert_eq!(barthel["valueInteger"], 50);
    assert_eq!(barthel["component"].as_array().unwrap().len(), 10);
    assert_eq!(
        barthel["component"][0]["code"]["coding"][0]["code"],
        "83184-2"
    );
    assert_eq!(barthel["component"][0]["valueInteger"], 10);
    assert_eq!(barthel["status"], "final");
    assert_eq!(
        barthel["encounter"]["reference"],
        format!("urn:uuid:{encounter}")
    );
    let design = scales[1];
    assert_eq!(design["valueInteger"], 3 + 8 + 3 + 3 + 3 + 6);
    assert_eq!(design["bodySite"]["text"], "仙骨部");
    assert_eq!(design["component"][0]["valueCodeableConcept"]["text"], "D3");
    assert_eq!(
        design["component"][3]["valueCodeableConcept"]["text"],
        "I3C"
    );
    assert_eq!(design["note"][0]["text"], "D3-e3s8I3Cg3N3P6:26");
    let bedridden = scales[2];
    assert_eq!(
        bedridden["valueCodeableConcept"]["coding"][0]["system"],
        systems::KARTE_BEDRIDDEN_GRADE
    );
    assert_eq!(bedridden["valueCodeableConcept"]["coding"][0]["code"], "B2");
    let dementia = scales[3];
    assert_eq!(dementia["valueCodeableConcept"]["coding"][0]["code"], "IIa");
    assert_eq!(dementia["valueCodeableConcept"]["text"], "Ⅱa");
    let voided = scales[4];
    assert_eq!(voided["status"], "entered-in-error");
    assert!(voided.get("encounter").is_none());
}

#[test]
fn an_export_with_scales_is_valid_fhir_r4() {
    let exported = bundle(
        &[scales_chart(), small_chart()],
        generated_at(),
        "karte-export-scales",
    );
    let output = validate(&exported);
    assert!(output.status.success(), "{}", report(&output));
}
