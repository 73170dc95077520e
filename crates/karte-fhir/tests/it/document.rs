//! Documents saved in a chart: a Composition of their parts and a
//! DocumentReference to it, final with its attester once approved,
//! entered-in-error once voided, and valid FHIR R4.

use karte_fhir::bundle;
use karte_types::{
    DocumentDraft, DocumentEntry, DocumentEntryInput, DocumentPatient, DocumentPhysician,
    DocumentStation, EntryId, EntryMeta, PlanDraft, ReportDraft, Voided,
};
use serde_json::Value;

use crate::chart::{at, date, generated_at, nurse, small_chart};
use crate::json::{base64_decode, of_type};
use crate::validator::{report, validate};

fn patient() -> DocumentPatient {
    DocumentPatient {
        name: "山田 太郎".into(),
        birth: date("1940-03-15"),
        address: String::new(),
        care_level: "要介護3".into(),
    }
}

fn report_draft() -> DocumentDraft {
    DocumentDraft::Report(ReportDraft {
        patient: patient(),
        year: 2026,
        month: 11,
        visits: Vec::new(),
        course: "11/3 褥瘡は縮小\n11/12 息切れ <軽度>".into(),
        adl: String::new(),
        care_given: "清拭と服薬確認".into(),
        home_care: String::new(),
        materials: String::new(),
        materials_change: String::new(),
        information: String::new(),
        notes: String::new(),
        written: date("2026-12-01"),
        station: DocumentStation::default(),
        physician: DocumentPhysician::default(),
    })
}

fn plan_draft() -> DocumentDraft {
    DocumentDraft::Plan(PlanDraft {
        patient: patient(),
        made: date("2026-11-30"),
        reviewed: None,
        goals: "自宅で過ごす".into(),
        problems: Vec::new(),
        materials: String::new(),
        notes: String::new(),
        station: DocumentStation::default(),
        physician: DocumentPhysician::default(),
    })
}

fn entry(id: &str, draft: &DocumentDraft) -> DocumentEntry {
    DocumentEntry {
        meta: EntryMeta {
            id: EntryId(id.into()),
            recorded_by: nurse(),
            recorded_at: at("2026-12-01T17:00:00+09:00"),
            entered_in_error: None,
        },
        input: DocumentEntryInput::of(draft),
    }
}

fn with_documents() -> Value {
    let mut chart = small_chart();
    let mut approved = entry("01JDOC0000000000000000REPT", &report_draft());
    approved.input.approved_by = Some(karte_types::UserId("01JMANAGER".into()));
    approved.input.approved_by_name = Some("田中 管理者".into());
    approved.input.approved_at = Some(at("2026-12-02T09:00:00+09:00"));
    let mut voided = entry("01JDOC0000000000000000PLAN", &plan_draft());
    voided.meta.entered_in_error = Some(Voided {
        by: nurse(),
        at: at("2026-12-01T18:00:00+09:00"),
        reason: "別の利用者".into(),
    });
    chart.documents = vec![approved, voided];
    bundle(&[chart], generated_at(), "karte-export-documents")
}

#[test]
fn an_approved_report_is_a_final_composition_with_its_attester_and_its_parts() {
    let bundle = with_documents();
    let compositions = of_type(&bundle, "Composition");
    assert_eq!(compositions.len(), 2);
    let report = compositions
        .iter()
        .find(|c| c["title"] == "訪問看護報告書 2026-11")
        .unwrap();
    assert_eq!(report["status"], "final");
    assert_eq!(report["type"]["coding"][0]["code"], "34746-8");
    assert_eq!(report["attester"][0]["mode"], "legal");
    assert_eq!(report["attester"][0]["party"]["display"], "田中 管理者");
    assert_eq!(report["author"][0]["display"], "佐藤 花子");
    let sections: Vec<(&str, &str)> = report["section"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["title"].as_str().unwrap(),
                s["text"]["div"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(sections.len(), 2, "blank parts are left out: {sections:?}");
    assert_eq!(sections[0].0, "病状の経過");
    assert!(
        sections[0]
            .1
            .contains("11/3 褥瘡は縮小<br/>11/12 息切れ &lt;軽度&gt;"),
        "{sections:?}"
    );
    assert_eq!(sections[1].0, "看護・リハビリテーションの内容");

    let references = of_type(&bundle, "DocumentReference");
    let reference = references
        .iter()
        .find(|d| d["description"] == "訪問看護報告書 2026-11")
        .unwrap();
    assert_eq!(reference["docStatus"], "final");
    assert_eq!(reference["authenticator"]["display"], "田中 管理者");
    let text = String::from_utf8(base64_decode(
        reference["content"][0]["attachment"]["data"]
            .as_str()
            .unwrap(),
    ))
    .unwrap();
    assert!(
        text.contains("【看護・リハビリテーションの内容】\n清拭と服薬確認"),
        "{text}"
    );
    assert_eq!(
        reference["content"][1]["attachment"]["url"],
        format!("urn:uuid:{}", report["id"].as_str().unwrap())
    );
}

#[test]
fn a_voided_plan_is_entered_in_error_and_unapproved() {
    let bundle = with_documents();
    let plan = of_type(&bundle, "Composition")
        .into_iter()
        .find(|c| c["type"]["coding"][0]["code"] == "18776-5")
        .unwrap();
    assert_eq!(plan["status"], "entered-in-error");
    assert!(plan.get("attester").is_none());
    let reference = of_type(&bundle, "DocumentReference")
        .into_iter()
        .find(|d| d["description"] == "訪問看護計画書 2026-11-30")
        .unwrap();
    assert_eq!(reference["status"], "entered-in-error");
    assert_eq!(reference["docStatus"], "preliminary");
}

#[test]
fn documents_export_as_valid_fhir_r4() {
    let output = validate(&with_documents());
    assert!(output.status.success(), "{}", report(&output));
}
