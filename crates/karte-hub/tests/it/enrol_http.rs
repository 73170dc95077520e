//! Enrolment over HTTP: a one-time code enrols one device, once, until it
//! expires; every refusal has its own status and code and enrols nobody.

use hex::FromHex;
use karte_hub::HubStore;
use karte_sync::EnrolmentGrantJson;
use karte_sync::recovery::{open_with_recovery_key, seal_to_recovery_key};
use serde_json::json;

use crate::backend::Backend;
use crate::harness::{TestDevice, TestHub};
use crate::support::MINUTE;

pub async fn a_code_enrols_one_device_and_names_its_organisation<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, recovery_key) = hub.add_org("station").await;
    let tablet = TestDevice::new("tablet");
    let code = hub.invite(&org.id).await;

    let answer = hub.post_enrol(&tablet.enrolment(&code)).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let enrolled: EnrolmentGrantJson = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(
        (
            enrolled.org_id.as_str(),
            enrolled.org_name.as_str(),
            enrolled.device_id.as_str()
        ),
        (org.id.as_str(), org.name.as_str(), tablet.id.as_str())
    );
    assert_eq!(
        enrolled.recovery_public_key,
        hex::encode(recovery_key.public_key())
    );

    // The device seals its vault key to what it was given, and the
    // organisation's offline key opens it.
    let public = <[u8; 32]>::from_hex(&enrolled.recovery_public_key).unwrap();
    let sealed = seal_to_recovery_key(&public, b"the vault key").unwrap();
    assert_eq!(
        open_with_recovery_key(&recovery_key, &sealed)
            .unwrap()
            .as_slice(),
        b"the vault key"
    );

    let device = hub.store.device(&tablet.id).await.unwrap().unwrap();
    assert_eq!(device.org, org.id);
    assert_eq!(device.public_key, tablet.key.public_key());
    assert_eq!(device.actor_prefix[..], tablet.actor.to_bytes()[..16]);
}

pub async fn a_used_expired_or_unknown_code_enrols_nobody<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let first = TestDevice::new("first");
    let code = hub.invite(&org.id).await;
    assert_eq!(hub.post_enrol(&first.enrolment(&code)).await.status, 200);

    let second = TestDevice::new("second");
    let reused = hub.post_enrol(&second.enrolment(&code)).await;
    assert_eq!(reused.refusal(), (409, "enrolment_used".to_owned()));

    let again = hub.invite(&org.id).await;
    let twice = hub.post_enrol(&first.enrolment(&again)).await;
    assert_eq!(twice.refusal(), (409, "device_exists".to_owned()));

    // Typed in lower case and without hyphens, a code still works...
    let typed = hub.invite(&org.id).await.to_lowercase().replace('-', " ");
    let third = TestDevice::new("third");
    assert_eq!(hub.post_enrol(&third.enrolment(&typed)).await.status, 200);

    // ...until it expires.
    let late = hub.invite(&org.id).await;
    hub.clock.advance(61 * MINUTE);
    let expired = hub.post_enrol(&second.enrolment(&late)).await;
    assert_eq!(expired.refusal(), (410, "enrolment_expired".to_owned()));

    let unknown = hub
        .post_enrol(&second.enrolment("AAAA-BBBB-CCCC-DDDD-EEEE"))
        .await;
    assert_eq!(unknown.refusal(), (404, "enrolment_unknown".to_owned()));

    let fresh = hub.invite(&org.id).await;
    let malformed = [
        json!({ "code": fresh }),
        json!({ "code": fresh, "device_id": "01DEVX", "public_key": "abcd" }),
        json!({ "code": fresh, "device_id": "../../etc", "public_key": hex::encode([1; 32]) }),
        json!({ "code": fresh, "device_id": "x".repeat(65), "public_key": hex::encode([1; 32]) }),
        json!(["not", "an", "object"]),
    ];
    for request in &malformed {
        let answer = hub.post_enrol(request).await;
        assert_eq!(answer.refusal(), (400, "malformed".to_owned()), "{request}");
    }
    let garbage = hub.post("/v1/enroll", b"\xff\x00 not json".to_vec()).await;
    assert_eq!(garbage.refusal(), (400, "malformed".to_owned()));

    // The code survived every malformed attempt.
    assert_eq!(hub.post_enrol(&second.enrolment(&fresh)).await.status, 200);
    let enrolled: Vec<_> = hub
        .store
        .list_devices(&org.id)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(enrolled.len(), 3, "{enrolled:?}");
    assert!(
        [&first.id, &second.id, &third.id]
            .iter()
            .all(|id| enrolled.contains(id))
    );
}

pub async fn health_answers_while_the_database_does<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let answer = hub.get("/v1/health").await;
    assert_eq!(answer.status, 200);
    let health: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["protocol_version"], 3);
    assert_eq!(health["arrivals_pending"], 0);
    assert_eq!(
        hub.get("/v1/nothing").await.refusal(),
        (404, "not_found".to_owned())
    );
    assert_eq!(
        hub.get("/v1/sync").await.refusal(),
        (405, "method_not_allowed".to_owned())
    );
}
