//! What the app needs beyond the chart: first-run state, drafts, settings,
//! demographics updates, sync state offline, and the built UI at `/`.

use serde_json::json;

use crate::support::{patient, start, start_empty, start_with_ui};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_tells_a_first_run_from_a_locked_vault() {
    let empty = start_empty().await;
    let state = empty.call("session_state", json!({})).await;
    assert_eq!(state.body["vault_exists"], json!(false), "{state:?}");
    assert_eq!(state.body["unlocked"], json!(false));
    assert_eq!(state.body["users"], json!([]));
    assert!(state.body["now"].as_i64().unwrap() > 0, "the core's time");
    let bridge = start().await;
    let state = bridge.call("session_state", json!({})).await;
    assert_eq!(state.body["vault_exists"], json!(true), "{state:?}");
    assert_eq!(state.body["unlocked"], json!(false));
    assert_eq!(state.body["users"], json!(["nurse"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drafts_are_kept_until_discarded_and_need_the_vault_unlocked() {
    let bridge = start().await;
    let locked = bridge
        .call(
            "save_draft",
            json!({ "key": "visit-1", "input": { "text": "S: 眠れない" } }),
        )
        .await;
    assert_eq!((locked.status, locked.code()), (423, "locked"));
    bridge.unlock().await;
    let none = bridge.call("draft", json!({ "key": "visit-1" })).await;
    assert_eq!(none.body, json!(null), "{none:?}");
    let saved = bridge
        .call(
            "save_draft",
            json!({ "key": "visit-1", "input": { "text": "S: 眠れない" } }),
        )
        .await;
    assert_eq!(saved.status, 200, "{saved:?}");
    bridge.call("lock", json!({})).await;
    bridge.unlock().await;
    let kept = bridge.call("draft", json!({ "key": "visit-1" })).await;
    assert_eq!(kept.body["text"], json!("S: 眠れない"), "{kept:?}");
    let bad = bridge
        .call(
            "save_draft",
            json!({ "key": "visit 1", "input": { "text": "x" } }),
        )
        .await;
    assert_eq!(bad.status, 422, "{bad:?}");
    assert_eq!(
        bridge
            .call("discard_draft", json!({ "key": "visit-1" }))
            .await
            .status,
        200
    );
    assert_eq!(
        bridge.call("draft", json!({ "key": "visit-1" })).await.body,
        json!(null)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_are_validated_and_kept() {
    let bridge = start().await;
    bridge.unlock().await;
    let read = bridge.call("settings", json!({})).await;
    assert_eq!(
        read.body,
        json!({ "auto_lock_minutes": 5, "japanese_era": false, "night_mode": false })
    );
    let bad = bridge
        .call(
            "save_settings",
            json!({ "settings": { "auto_lock_minutes": 0 } }),
        )
        .await;
    assert_eq!((bad.status, bad.code()), (422, "invalid_input"));
    assert_eq!(bad.body["fields"][0]["field"], json!("auto_lock_minutes"));
    let saved = bridge
        .call(
            "save_settings",
            json!({ "settings": { "auto_lock_minutes": 15, "night_mode": true } }),
        )
        .await;
    assert_eq!(
        saved.body,
        json!({ "auto_lock_minutes": 15, "japanese_era": false, "night_mode": true }),
        "{saved:?}"
    );
    assert_eq!(
        bridge.call("settings", json!({})).await.body["auto_lock_minutes"],
        json!(15)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demographics_update_through_the_patient_address() {
    let bridge = start().await;
    bridge.unlock().await;
    let id = bridge.add_patient().await;
    let mut changed = patient();
    changed.phone = Some("03-1234-5678".into());
    let updated = bridge
        .call(
            "update_patient",
            json!({ "patient": id, "demographics": changed }),
        )
        .await;
    assert_eq!(updated.status, 200, "{updated:?}");
    let chart = bridge.call("chart", json!({ "patient": id })).await;
    assert_eq!(chart.body["patient"]["phone"], json!("03-1234-5678"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_device_shows_pending_charts_and_why_sync_failed() {
    let bridge = start().await;
    bridge.unlock().await;
    bridge.add_patient().await;
    let state = bridge.call("sync_state", json!({})).await;
    assert_eq!(state.body["enrolment"], json!(null), "{state:?}");
    assert_eq!(state.body["charts_to_push"], json!(1));
    let sync = bridge.call("sync", json!({})).await;
    assert_eq!((sync.status, sync.code()), (409, "not_enrolled"));
    let state = bridge.call("sync_state", json!({})).await;
    assert_eq!(state.body["last_error"]["code"], json!("not_enrolled"));
    let enrol = bridge
        .call(
            "enrol",
            json!({"request": { "hub_url": "http://hub.example.jp", "code": "X", "device_name": "tablet" }}),
        )
        .await;
    assert_eq!(
        (enrol.status, enrol.code()),
        (422, "plain_http"),
        "{enrol:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_answers_are_never_cached() {
    let bridge = start().await;
    bridge.unlock().await;
    let response = bridge
        .http
        .post(bridge.url("/api/v1/patients"))
        .bearer_auth(&bridge.token)
        .body(r#"{"search": ""}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_built_ui_is_served_without_the_token_under_a_strict_policy() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(dist.path().join("index.html"), "<!doctype html><p>KARTE-UI").unwrap();
    std::fs::write(dist.path().join("karte_ui.js"), "export default 1;").unwrap();
    let bridge = start_with_ui(dist.path().to_owned()).await;
    for path in ["/", "/patients/01ABC"] {
        let response = bridge.http.get(bridge.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(policy.contains("default-src 'self'"), "{policy}");
        assert!(
            response.text().await.unwrap().contains("KARTE-UI"),
            "{path}"
        );
    }
    let script = bridge
        .send(bridge.http.get(bridge.url("/karte_ui.js")))
        .await;
    assert_eq!(script.body, json!("export default 1;"));
    // The API keeps its own 404s and its token.
    assert_eq!(
        bridge.call("nowhere", json!({})).await.code(),
        "unknown_operation"
    );
    let anonymous = bridge
        .send(bridge.http.post(bridge.url("/api/v1/patients")))
        .await;
    assert_eq!(anonymous.status, 401);
}

/// A camera photo is larger than a web server's usual body limit: it comes
/// through, its thumbnail goes back as base64, and a letter is refused with
/// its code and status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_of_several_megabytes_is_added_and_its_thumbnail_read_back() {
    let bridge = start().await;
    bridge.unlock().await;
    let patient = bridge.add_patient().await;
    let file = karte_photo::sample::jpeg_with_exif(2000, 1500, 7, 1);
    assert!(file.len() > 2 * 1024 * 1024, "{} bytes", file.len());
    let upload = |bytes: Vec<u8>| {
        json!({"patient": patient, "photo": {
            "file": karte_types::Base64Bytes(bytes), "taken_at": null,
            "wound": "仙骨部", "assessment": null,
        }})
    };
    let added = bridge.call("add_photo", upload(file)).await;
    assert_eq!(added.status, 200, "{added:?}");
    let thumbnail = bridge
        .call(
            "photo",
            json!({"patient": patient, "entry": added.body, "size": "thumbnail"}),
        )
        .await;
    assert_eq!(thumbnail.body["media_type"], json!("image/jpeg"));
    assert!(thumbnail.body["data"].as_str().unwrap().starts_with("/9j/"));
    let refused = bridge
        .call("add_photo", upload(b"not a photo".to_vec()))
        .await;
    assert_eq!((refused.status, refused.code()), (422, "not_an_image"));
}
