//! 訪問看護指示書 (and the 特別 and 点滴注射 kinds) as FHIR R4
//! `ServiceRequest`: the physician's order for home-visit nursing.
//!
//! ServiceRequest rather than a DocumentReference: the 指示書 is a request
//! by a physician that a service be performed for a period, which is what
//! ServiceRequest records (`intent` order, `occurrencePeriod` the 指示期間
//! that decides whether a visit is covered, `requester` the doctor), and
//! its parts map onto the resource: 主たる傷病名 as `reasonCode` (the
//! code as written), 病状・治療状態 and the instructions as `note`, the
//! 日常生活自立度, 要介護認定, 褥瘡の深さ and each device in use as an
//! `orderDetail`. Karte does not make the form itself (the doctor's
//! institution does), so there is no document to reference.
//!
//! The doctor is a contained PractitionerRole (code `doctor`, the
//! institution as its organisation): the one author whose profession the
//! chart knows. Entries' other authors are references by name only, as
//! elsewhere in the export.

use karte_types::{MedicalDevices, Order, OrderInput, Timestamp};
use serde_json::{Value, json};

use crate::datatypes::{Entry, coding, instance_identifier, void_note};
use crate::ids::resource_id;
use crate::systems::{
    KARTE_BEDRIDDEN_GRADE, KARTE_DEMENTIA_GRADE, KARTE_ORDER_KIND, PRACTITIONER_ROLE,
};

/// One ServiceRequest per order, voided ones as entered-in-error.
pub fn service_requests(orders: &[Order], patient: &Value, generated_at: Timestamp) -> Vec<Entry> {
    orders
        .iter()
        .map(|order| service_request(order, patient, generated_at))
        .collect()
}

fn service_request(order: &Order, patient: &Value, generated_at: Timestamp) -> Entry {
    let input = &order.input;
    let id = resource_id("service-request", order.meta.id.as_str());
    let status = if order.meta.entered_in_error.is_some() {
        "entered-in-error"
    } else if input.until() < generated_at.date_jst() {
        "completed"
    } else {
        "active"
    };
    let kind = input.kind;
    let mut resource = json!({
        "resourceType": "ServiceRequest",
        "id": id,
        "identifier": instance_identifier(order.meta.id.as_str()),
        "contained": [requester(input)],
        "status": status,
        "intent": "order",
        "category": [{
            "coding": [coding(KARTE_ORDER_KIND, kind.code(), kind.label_ja())],
            "text": kind.label_ja(),
        }],
        "code": { "text": "訪問看護" },
        "subject": patient,
        "occurrencePeriod": {
            "start": input.from.to_string(),
            "end": input.until().to_string(),
        },
        "requester": { "reference": "#requester", "display": input.doctor },
    });
    if let Some(issued) = input.issued {
        resource["authoredOn"] = json!(issued.to_string());
    }
    if input.diagnosis.is_some() || input.diagnosis_code.is_some() {
        let mut reason = json!({});
        if let Some(text) = &input.diagnosis {
            reason["text"] = json!(text);
        }
        if let Some(code) = &input.diagnosis_code {
            // 傷病名マスター or ICD-10, as written on the form.
            reason["coding"] = json!([{ "code": code }]);
        }
        resource["reasonCode"] = json!([reason]);
    }
    let details = order_details(input);
    if !details.is_empty() {
        resource["orderDetail"] = json!(details);
    }
    let notes = notes(input);
    let mut annotations: Vec<Value> = notes
        .into_iter()
        .map(|text| json!({ "text": text }))
        .collect();
    if let Some(voided) = &order.meta.entered_in_error {
        annotations.push(void_note(voided));
    }
    if !annotations.is_empty() {
        resource["note"] = json!(annotations);
    }
    Entry { id, resource }
}

/// The issuing doctor at their institution.
fn requester(input: &OrderInput) -> Value {
    let mut organization = json!({ "display": input.institution });
    if let Some(address) = &input.institution_address {
        organization["display"] = json!(format!("{}（{address}）", input.institution));
    }
    json!({
        "resourceType": "PractitionerRole",
        "id": "requester",
        "practitioner": { "display": input.doctor },
        "organization": organization,
        "code": [{
            "coding": [coding(PRACTITIONER_ROLE, "doctor", "Doctor")],
            "text": "医師",
        }],
    })
}

/// The structured parts of the form, each one CodeableConcept.
fn order_details(input: &OrderInput) -> Vec<Value> {
    let mut details = Vec::new();
    if let Some(grade) = input.bedridden {
        details.push(json!({
            "coding": [coding(KARTE_BEDRIDDEN_GRADE, grade.code(), grade.label_ja())],
            "text": format!("寝たきり度 {}", grade.label_ja()),
        }));
    }
    if let Some(grade) = input.dementia {
        details.push(json!({
            "coding": [coding(KARTE_DEMENTIA_GRADE, grade.code(), grade.label_ja())],
            "text": format!("認知症の状況 {}", grade.label_ja()),
        }));
    }
    if let Some(level) = input.care_level {
        details.push(json!({ "text": format!("要介護認定 {}", level.label_ja()) }));
    }
    if let Some(depth) = input.pressure_ulcer_depth {
        details.push(json!({ "text": format!("褥瘡の深さ {}", depth.label_ja()) }));
    }
    details.extend(
        devices(&input.devices)
            .into_iter()
            .map(|device| json!({ "text": format!("装着・使用医療機器 {device}") })),
    );
    let rehab: Vec<String> = [
        input
            .instructions
            .rehab_minutes_per_day
            .map(|minutes| format!("1日{minutes}分")),
        input
            .instructions
            .rehab_times_per_week
            .map(|times| format!("週{times}回")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !rehab.is_empty() {
        details.push(json!({
            "text": format!("理学療法士・作業療法士・言語聴覚士が行う訪問看護 {}", rehab.join(" ")),
        }));
    }
    details
}

/// The devices in use, in the words of the form.
fn devices(d: &MedicalDevices) -> Vec<String> {
    let mut out = Vec::new();
    let flag = |out: &mut Vec<String>, on: bool, name: &str| {
        if on {
            out.push(name.to_owned());
        }
    };
    let with = |name: &str, parts: &[Option<String>]| {
        let parts: Vec<&str> = parts.iter().flatten().map(String::as_str).collect();
        if parts.is_empty() {
            name.to_owned()
        } else {
            format!("{name}（{}）", parts.join("、"))
        }
    };
    flag(&mut out, d.peritoneal_dialysis, "自動腹膜灌流装置");
    flag(&mut out, d.dialysate_supply, "透析液供給装置");
    if d.oxygen {
        out.push(with(
            "酸素療法",
            &[d.oxygen_flow_l_min.map(|flow| format!("{flow} L/min"))],
        ));
    }
    flag(&mut out, d.suction, "吸引器");
    flag(&mut out, d.central_venous_nutrition, "中心静脈栄養");
    flag(&mut out, d.infusion_pump, "輸液ポンプ");
    if let Some(route) = d.tube_feeding {
        out.push(with(
            &format!("経管栄養 {}", route.label_ja()),
            &[
                d.tube_feeding_size
                    .as_ref()
                    .map(|size| format!("サイズ {size}")),
                d.tube_feeding_change_days
                    .map(|days| format!("{days}日に1回交換")),
            ],
        ));
    }
    if d.urinary_catheter {
        out.push(with(
            "留置カテーテル",
            &[
                d.urinary_catheter_size
                    .as_ref()
                    .map(|size| format!("サイズ {size}")),
                d.urinary_catheter_change_days
                    .map(|days| format!("{days}日に1回交換")),
            ],
        ));
    }
    if let Some(kind) = d.ventilator {
        out.push(with(
            &format!("人工呼吸器 {}", kind.label_ja()),
            std::slice::from_ref(&d.ventilator_settings),
        ));
    }
    if d.tracheal_cannula {
        out.push(with(
            "気管カニューレ",
            &[d.tracheal_cannula_size
                .as_ref()
                .map(|size| format!("サイズ {size}"))],
        ));
    }
    flag(&mut out, d.colostomy, "人工肛門");
    flag(&mut out, d.urostomy, "人工膀胱");
    if let Some(other) = &d.other {
        out.push(other.clone());
    }
    out
}

/// 病状・治療状態, medicines and the 留意事項及び指示事項, each a note
/// headed as on the form.
fn notes(input: &OrderInput) -> Vec<String> {
    let i = &input.instructions;
    [
        ("病状・治療状態", &input.condition),
        ("投与中の薬剤の用量・用法", &input.medicines),
        ("特別指示の理由", &input.special_reason),
        ("点滴注射の指示", &input.infusion),
        ("療養生活指導上の留意事項", &i.care_notes),
        ("褥瘡の処置等", &i.pressure_ulcer_care),
        ("装着・使用医療機器等の操作援助・管理", &i.device_care),
        ("その他", &i.other),
        ("緊急時の連絡先", &input.emergency_contact),
        ("不在時の対応", &input.absence_contact),
    ]
    .into_iter()
    .filter_map(|(heading, text)| {
        text.as_ref()
            .filter(|text| !text.trim().is_empty())
            .map(|text| format!("【{heading}】{text}"))
    })
    .collect()
}
