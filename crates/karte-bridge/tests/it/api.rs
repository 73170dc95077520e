//! The application API over HTTP: unlocking, writing, reading back, and
//! errors as `{code, message}`.

use karte_api::types::{ChartView, Jcs, PatientSummary, Soap, Timestamp, VisitInput, VitalSigns};
use serde_json::json;

use crate::support::{PASSPHRASE, START, patient, start, start_empty};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visit_written_over_http_reads_back_in_the_chart() {
    let bridge = start().await;
    bridge.unlock().await;

    let id = bridge.add_patient().await;

    let visit = VisitInput {
        at: Timestamp(START.0 - 3_600_000),
        vitals: VitalSigns {
            temperature_c: Some(36.8),
            systolic: Some(132),
            diastolic: Some(78),
            spo2: Some(97),
            jcs: Some(Jcs::parse("0").unwrap()),
            ..VitalSigns::default()
        },
        soap: Soap {
            subjective: Some("食欲あり".into()),
            ..Soap::default()
        },
        profession: None,
        long_visit: false,
    };
    let recorded = bridge
        .call("record_visit", json!({ "patient": id, "input": visit }))
        .await;
    assert_eq!(recorded.status, 200, "{recorded:?}");
    let entry = recorded.body.as_str().unwrap().to_owned();

    let read = bridge.call("chart", json!({ "patient": id })).await;
    assert_eq!(read.status, 200, "{read:?}");
    let chart: ChartView = serde_json::from_value(read.body).unwrap();
    assert_eq!(chart.patient, patient());
    assert_eq!(chart.visits.len(), 1);
    assert_eq!(chart.visits[0].meta.id.as_str(), entry);
    assert_eq!(chart.visits[0].input, visit);

    // Opening the chart is in the audit log, as it is from every front.
    let audit = bridge.call("audit_log", json!({ "patient": id })).await;
    assert_eq!(audit.status, 200, "{audit:?}");
    assert!(audit.body.to_string().contains("chart-open"), "{audit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_a_patient_by_kana_in_any_script() {
    let bridge = start().await;
    bridge.unlock().await;
    bridge.add_patient().await;

    // Hiragana finds the katakana reading.
    let found = bridge.call("patients", json!({ "search": "やまだ" })).await;
    assert_eq!(found.status, 200, "{found:?}");
    let found: Vec<PatientSummary> = serde_json::from_value(found.body).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].family, "山田");

    let none = bridge.call("patients", json!({ "search": "たなか" })).await;
    assert_eq!(none.body, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_name_every_failing_field() {
    let bridge = start().await;
    bridge.unlock().await;
    let mut bad = serde_json::to_value(patient()).unwrap();
    bad["family"] = json!("");
    bad["given_kana"] = json!(" ");
    let answer = bridge.call("add_patient", json!({ "patient": bad })).await;
    assert_eq!(answer.status, 422, "{answer:?}");
    assert_eq!(answer.code(), "invalid_input");
    let fields: Vec<&str> = answer.body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"family"), "{answer:?}");
    assert!(
        fields.contains(&"given-kana") || fields.contains(&"given_kana"),
        "{answer:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_passphrase_is_refused_with_its_code() {
    let bridge = start().await;
    let answer = bridge
        .call(
            "unlock",
            json!({"credentials": { "user": "nurse", "passphrase": "not it" }}),
        )
        .await;
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(answer.code(), "wrong_passphrase");
    let state = bridge.call("session_state", json!({})).await;
    assert_eq!(state.body["unlocked"], json!(false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_lock_reads_answer_locked_until_unlocked_again() {
    let bridge = start().await;
    let before = bridge.call("patients", json!({ "search": "" })).await;
    assert_eq!(before.code(), "locked", "{before:?}");

    bridge.unlock().await;
    assert_eq!(
        bridge
            .call("patients", json!({ "search": "" }))
            .await
            .status,
        200
    );
    let locked = bridge.call("lock", json!({})).await;
    assert_eq!(locked.body["was_unlocked"], json!(true), "{locked:?}");

    let after = bridge.call("patients", json!({ "search": "" })).await;
    assert_eq!(after.status, 423, "{after:?}");
    assert_eq!(after.code(), "locked");
    let sync = bridge.call("sync_state", json!({})).await;
    assert_eq!(sync.code(), "locked");

    // The vault file lock was released with the session, so it opens again.
    bridge.unlock().await;
    assert_eq!(
        bridge
            .call("patients", json!({ "search": "" }))
            .await
            .status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_a_400_problem_and_the_bridge_keeps_serving() {
    let bridge = start().await;
    bridge.unlock().await;
    let request = bridge
        .http
        .post(bridge.url("/api/v1/add_patient"))
        .bearer_auth(&bridge.token)
        .header("content-type", "application/json")
        .body("{\"patient\": {\"family\": ");
    let answer = bridge.send(request).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(answer.code(), "malformed_request");

    let wrong_shape = bridge
        .call("add_patient", json!({ "patient": { "family": 3 } }))
        .await;
    assert_eq!(wrong_shape.code(), "malformed_request", "{wrong_shape:?}");

    assert_eq!(
        bridge
            .call("patients", json!({ "search": "" }))
            .await
            .status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_patients_and_addresses_are_404_problems() {
    let bridge = start().await;
    bridge.unlock().await;
    let chart = bridge
        .call("chart", json!({ "patient": "01NOSUCHPATIENT" }))
        .await;
    assert_eq!(chart.status, 404, "{chart:?}");
    assert_eq!(chart.code(), "unknown_patient");
    let nowhere = bridge.call("nowhere", json!({})).await;
    assert_eq!(nowhere.status, 404);
    assert_eq!(nowhere.code(), "unknown_operation");
    let deeper = bridge
        .send(
            bridge
                .http
                .get(bridge.url("/api/v1/patients/01X/chart"))
                .bearer_auth(&bridge.token),
        )
        .await;
    assert_eq!(deeper.status, 404);
    assert_eq!(deeper.code(), "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn void_needs_a_reason_and_then_marks_the_entry() {
    let bridge = start().await;
    bridge.unlock().await;
    let id = bridge.add_patient().await;
    let allergy = json!({
        "substance": "ペニシリン", "category": "medication",
        "criticality": "high", "status": "active"
    });
    let added = bridge
        .call("add_allergy", json!({ "patient": id, "input": allergy }))
        .await;
    assert_eq!(added.status, 200, "{added:?}");
    let entry = added.body.as_str().unwrap().to_owned();
    let void = |reason: &str| json!({ "patient": id, "entry": entry, "reason": reason });

    let no_reason = bridge.call("void_entry", void(" ")).await;
    assert_eq!(no_reason.code(), "invalid_input", "{no_reason:?}");
    assert_eq!(no_reason.body["fields"][0]["field"], json!("reason"));

    let voided = bridge.call("void_entry", void("wrong patient")).await;
    assert_eq!(voided.status, 200, "{voided:?}");
    let chart = bridge.call("chart", json!({ "patient": id })).await;
    assert!(
        chart.body.to_string().contains("wrong patient"),
        "{chart:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_created_over_http_is_unlocked_and_opens_again() {
    let bridge = start_empty().await;
    let missing = bridge
        .call(
            "unlock",
            json!({"credentials": { "passphrase": PASSPHRASE }}),
        )
        .await;
    assert_eq!(missing.status, 404, "{missing:?}");
    assert_eq!(missing.code(), "no_vault");

    let created = bridge
        .call(
            "create",
            json!({"credentials": { "user": "nurse", "passphrase": PASSPHRASE }}),
        )
        .await;
    assert_eq!(created.status, 200, "{created:?}");
    assert_eq!(created.body["role"], json!("admin"));
    let state = bridge.call("session_state", json!({})).await;
    assert_eq!(state.body["unlocked"], json!(true), "{state:?}");

    let again = bridge
        .call(
            "create",
            json!({"credentials": { "user": "nurse", "passphrase": PASSPHRASE }}),
        )
        .await;
    assert_eq!(again.code(), "already_exists", "{again:?}");
    assert_eq!(again.status, 409);
    let state = bridge.call("session_state", json!({})).await;
    assert_eq!(state.body["unlocked"], json!(true), "{state:?}");

    // With one user the name may be left out, as on the command line.
    let unlocked = bridge
        .call(
            "unlock",
            json!({"credentials": { "passphrase": PASSPHRASE }}),
        )
        .await;
    assert_eq!(unlocked.body["name"], json!("nurse"), "{unlocked:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_in_the_list_is_served() {
    let bridge = start().await;
    for name in karte_api::types::ops::NAMES {
        let answer = bridge.call(name, json!({})).await;
        assert_ne!(answer.code(), "unknown_operation", "{name}: {answer:?}");
        assert_ne!(answer.status, 500, "{name}: {answer:?}");
    }
}

/// `echo` is declared only with the `throwaway-operation` feature, which
/// this crate's tests turn on: one line in the operations list and the
/// session's method, and the bridge serves it with nothing written here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throwaway_operation_is_served_with_nothing_added_to_the_bridge() {
    let bridge = start().await;
    let locked = bridge.call("echo", json!({ "text": "こんにちは" })).await;
    assert_eq!(
        locked.code(),
        "locked",
        "it runs on the session: {locked:?}"
    );
    bridge.unlock().await;
    let echoed = bridge.call("echo", json!({ "text": "こんにちは" })).await;
    assert_eq!(echoed.status, 200, "{echoed:?}");
    assert_eq!(echoed.body, json!("こんにちは"));
}
