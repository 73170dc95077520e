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
    };
    let recorded = bridge
        .post(
            &format!("/api/v1/patients/{id}/visits"),
            &serde_json::to_value(&visit).unwrap(),
        )
        .await;
    assert_eq!(recorded.status, 200, "{recorded:?}");
    let entry = recorded.body["id"].as_str().unwrap().to_owned();

    let read = bridge.get(&format!("/api/v1/patients/{id}/chart")).await;
    assert_eq!(read.status, 200, "{read:?}");
    let chart: ChartView = serde_json::from_value(read.body).unwrap();
    assert_eq!(chart.patient, patient());
    assert_eq!(chart.visits.len(), 1);
    assert_eq!(chart.visits[0].meta.id.as_str(), entry);
    assert_eq!(chart.visits[0].input, visit);

    // Opening the chart is in the audit log, as it is from every front.
    let audit = bridge.get(&format!("/api/v1/audit?patient={id}")).await;
    assert_eq!(audit.status, 200, "{audit:?}");
    assert!(audit.body.to_string().contains("chart-open"), "{audit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_a_patient_by_kana_in_any_script() {
    let bridge = start().await;
    bridge.unlock().await;
    bridge.add_patient().await;

    // Hiragana finds the katakana reading; the query is URL-encoded.
    let found = bridge
        .get("/api/v1/patients?search=%E3%82%84%E3%81%BE%E3%81%A0")
        .await;
    assert_eq!(found.status, 200, "{found:?}");
    let found: Vec<PatientSummary> = serde_json::from_value(found.body).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].family, "山田");

    let none = bridge
        .get("/api/v1/patients?search=%E3%81%9F%E3%81%AA%E3%81%8B")
        .await;
    assert_eq!(none.body, json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_errors_name_every_failing_field() {
    let bridge = start().await;
    bridge.unlock().await;
    let mut bad = serde_json::to_value(patient()).unwrap();
    bad["family"] = json!("");
    bad["given_kana"] = json!(" ");
    let answer = bridge.post("/api/v1/patients", &bad).await;
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
        .post(
            "/api/v1/unlock",
            &json!({ "user": "nurse", "passphrase": "not it" }),
        )
        .await;
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(answer.code(), "wrong_passphrase");
    let state = bridge.get("/api/v1/session").await;
    assert_eq!(state.body["unlocked"], json!(false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_lock_reads_answer_locked_until_unlocked_again() {
    let bridge = start().await;
    let before = bridge.get("/api/v1/patients").await;
    assert_eq!(before.code(), "locked", "{before:?}");

    bridge.unlock().await;
    assert_eq!(bridge.get("/api/v1/patients").await.status, 200);
    let locked = bridge.post("/api/v1/lock", &json!({})).await;
    assert_eq!(locked.body["was_unlocked"], json!(true), "{locked:?}");

    let after = bridge.get("/api/v1/patients").await;
    assert_eq!(after.status, 423, "{after:?}");
    assert_eq!(after.code(), "locked");
    let sync = bridge.get("/api/v1/sync/status").await;
    assert_eq!(sync.code(), "locked");

    // The vault file lock was released with the session, so it opens again.
    bridge.unlock().await;
    assert_eq!(bridge.get("/api/v1/patients").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_is_a_400_problem_and_the_bridge_keeps_serving() {
    let bridge = start().await;
    bridge.unlock().await;
    let request = bridge
        .http
        .post(bridge.url("/api/v1/patients"))
        .bearer_auth(&bridge.token)
        .header("content-type", "application/json")
        .body("{\"family\": ");
    let answer = bridge.send(request).await;
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(answer.code(), "malformed_request");

    let wrong_shape = bridge
        .post("/api/v1/patients", &json!({ "family": 3 }))
        .await;
    assert_eq!(wrong_shape.code(), "malformed_request", "{wrong_shape:?}");

    assert_eq!(bridge.get("/api/v1/patients").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_patients_and_addresses_are_404_problems() {
    let bridge = start().await;
    bridge.unlock().await;
    let chart = bridge.get("/api/v1/patients/01NOSUCHPATIENT/chart").await;
    assert_eq!(chart.status, 404, "{chart:?}");
    assert_eq!(chart.code(), "unknown_patient");
    let nowhere = bridge.get("/api/v1/nowhere").await;
    assert_eq!(nowhere.status, 404);
    assert_eq!(nowhere.code(), "not_found");
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
        .post(&format!("/api/v1/patients/{id}/allergies"), &allergy)
        .await;
    assert_eq!(added.status, 200, "{added:?}");
    let entry = added.body["id"].as_str().unwrap().to_owned();
    let void = format!("/api/v1/patients/{id}/entries/{entry}/void");

    let no_reason = bridge.post(&void, &json!({ "reason": " " })).await;
    assert_eq!(no_reason.code(), "invalid_input", "{no_reason:?}");
    assert_eq!(no_reason.body["fields"][0]["field"], json!("reason"));

    let voided = bridge
        .post(&void, &json!({ "reason": "wrong patient" }))
        .await;
    assert_eq!(voided.status, 200, "{voided:?}");
    let chart = bridge.get(&format!("/api/v1/patients/{id}/chart")).await;
    assert!(
        chart.body.to_string().contains("wrong patient"),
        "{chart:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vault_created_over_http_is_unlocked_and_opens_again() {
    let bridge = start_empty().await;
    let missing = bridge
        .post("/api/v1/unlock", &json!({ "passphrase": PASSPHRASE }))
        .await;
    assert_eq!(missing.status, 404, "{missing:?}");
    assert_eq!(missing.code(), "no_vault");

    let created = bridge
        .post(
            "/api/v1/create",
            &json!({ "user": "nurse", "passphrase": PASSPHRASE }),
        )
        .await;
    assert_eq!(created.status, 200, "{created:?}");
    assert_eq!(created.body["role"], json!("admin"));
    let state = bridge.get("/api/v1/session").await;
    assert_eq!(state.body["unlocked"], json!(true), "{state:?}");

    let again = bridge
        .post(
            "/api/v1/create",
            &json!({ "user": "nurse", "passphrase": PASSPHRASE }),
        )
        .await;
    assert_eq!(again.code(), "already_exists", "{again:?}");
    assert_eq!(again.status, 409);
    let state = bridge.get("/api/v1/session").await;
    assert_eq!(state.body["unlocked"], json!(true), "{state:?}");

    // With one user the name may be left out, as on the command line.
    let unlocked = bridge
        .post("/api/v1/unlock", &json!({ "passphrase": PASSPHRASE }))
        .await;
    assert_eq!(unlocked.body["name"], json!("nurse"), "{unlocked:?}");
}
