//! Organisations, enrolment codes, devices, request nonces, the snapshot
//! cache, the receive log and migrations.

use karte_hub::{AuditHead, DeviceStatus, HubStore, HubStoreError, Org, Snapshot};

use crate::backend::{Backend, fresh};
use crate::support::*;

pub async fn organisations_are_added_once<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let b = add_org(&store, "b").await;
    let a = add_org(&store, "a").await;
    let org = store.org(&a).await.unwrap().unwrap();
    assert_eq!(
        (org.name.as_str(), org.recovery_public_key.len()),
        ("訪問看護ステーション a", 32)
    );
    let again = Org {
        name: "other".into(),
        ..org
    };
    assert_eq!(
        store.add_org(&again).await.unwrap_err().code(),
        "org_exists"
    );
    let ids: Vec<_> = store
        .list_orgs()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.id)
        .collect();
    assert_eq!(ids, [a, b]);
    assert_eq!(store.org(&org_id("none")).await.unwrap(), None);
}

/// Organisations, devices and a chart's care circle are listed in byte order
/// of id, as SQLite, the model's `Ord` and the devices order them. The test
/// PostgreSQL databases sort text as people read it (see `postgres`), which
/// puts these ids in another order: `_`, `a`, `b`, `B`.
pub async fn lists_come_in_byte_order_of_id<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let names = ["b", "B", "a", "_"];
    let mut orgs = Vec::new();
    for name in names {
        orgs.push(add_org(&store, name).await);
    }
    let mut sorted = orgs.clone();
    sorted.sort();
    let listed: Vec<_> = store
        .list_orgs()
        .await
        .unwrap()
        .into_iter()
        .map(|org| org.id)
        .collect();
    assert_eq!(listed, sorted);

    let mut devices = Vec::new();
    for name in names {
        devices.push(enrol(&store, &orgs[0], name).await);
    }
    devices.sort();
    let listed: Vec<_> = store
        .list_devices(&orgs[0])
        .await
        .unwrap()
        .into_iter()
        .map(|device| device.id)
        .collect();
    assert_eq!(listed, devices);

    let doc = doc_id("circle");
    store
        .store_push(&devices[0], vec![changes(&doc, 0, 1)], NOW)
        .await
        .unwrap();
    for org in &orgs[1..] {
        store.share(&doc, org, NOW).await.unwrap();
    }
    assert_eq!(store.doc(&doc).await.unwrap().unwrap().circle, sorted);
}

pub async fn an_enrolment_code_works_once_and_expires<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let station = add_org(&store, "station").await;
    let code = code_hash("ABCD-EFGH");
    store
        .create_enrolment(&station, code, later(10))
        .await
        .unwrap();
    let error = store
        .create_enrolment(&station, code, later(10))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "enrolment_exists");
    let error = store
        .create_enrolment(&org_id("none"), code_hash("x"), later(10))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "unknown_org");

    let device = store
        .redeem_enrolment(code, &new_device("tablet"), later(1))
        .await
        .unwrap();
    assert_eq!(
        (device.org.clone(), device.status, device.enrolled_at),
        (station.clone(), DeviceStatus::Active, later(1))
    );
    assert_eq!(
        store.device(&device.id).await.unwrap(),
        Some(device.clone())
    );
    let error = store
        .redeem_enrolment(code, &new_device("laptop"), later(2))
        .await
        .unwrap_err();
    assert!(matches!(error, HubStoreError::EnrolmentUsed), "{error}");
    assert_eq!(store.device(&new_device("laptop").id).await.unwrap(), None);

    let expiring = code_hash("IJKL-MNOP");
    store
        .create_enrolment(&station, expiring, later(10))
        .await
        .unwrap();
    let error = store
        .redeem_enrolment(expiring, &new_device("late"), later(10))
        .await
        .unwrap_err();
    assert!(matches!(error, HubStoreError::EnrolmentExpired), "{error}");
    let error = store
        .redeem_enrolment(code_hash("never made"), &new_device("x"), NOW)
        .await
        .unwrap_err();
    assert!(matches!(error, HubStoreError::EnrolmentUnknown), "{error}");

    // A device id already enrolled fails without using the code up.
    let spare = code_hash("QRST-UVWX");
    store
        .create_enrolment(&station, spare, later(10))
        .await
        .unwrap();
    let error = store
        .redeem_enrolment(spare, &new_device("tablet"), later(1))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "device_exists");
    store
        .redeem_enrolment(spare, &new_device("laptop"), later(1))
        .await
        .unwrap();
}

pub async fn two_devices_racing_for_one_code_enrol_one<B: Backend>() {
    let (backend, store) = fresh::<B>().await;
    let station = add_org(&store, "station").await;
    let code = code_hash("RACE");
    store
        .create_enrolment(&station, code, later(10))
        .await
        .unwrap();
    let other = backend.open(crate::support::sealed()).await.unwrap();
    let (one, two) = (new_device("one"), new_device("two"));
    let (first, second) = tokio::join!(
        store.redeem_enrolment(code, &one, NOW),
        other.redeem_enrolment(code, &two, NOW),
    );
    assert!(
        first.is_ok() != second.is_ok(),
        "exactly one wins: {first:?} {second:?}"
    );
    let loser = if first.is_ok() { second } else { first };
    assert!(matches!(loser, Err(HubStoreError::EnrolmentUsed)));
    assert_eq!(store.list_devices(&station).await.unwrap().len(), 1);
}

pub async fn devices_are_listed_revoked_and_heard_from<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let (a, b) = (add_org(&store, "a").await, add_org(&store, "b").await);
    let tablet = enrol(&store, &a, "tablet").await;
    let laptop = enrol(&store, &a, "laptop").await;
    enrol(&store, &b, "other").await;
    let listed: Vec<_> = store
        .list_devices(&a)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(listed, [laptop.clone(), tablet.clone()]);

    let head = AuditHead {
        seq: 41,
        hash: [9; 32],
    };
    store
        .record_contact(&tablet, later(5), Some(head))
        .await
        .unwrap();
    store.record_contact(&tablet, later(6), None).await.unwrap();
    let seen = store.device(&tablet).await.unwrap().unwrap();
    assert_eq!(
        (seen.last_seen, seen.audit_head),
        (Some(later(6)), Some(head))
    );
    assert_eq!(seen.actor_prefix, new_device("tablet").actor_prefix);

    let status = async |id| store.device(id).await.unwrap().unwrap().status;
    store.revoke(&tablet, false).await.unwrap();
    assert_eq!(status(&tablet).await, DeviceStatus::Revoked);
    store.revoke(&tablet, true).await.unwrap();
    assert_eq!(status(&tablet).await, DeviceStatus::RevokedLost);
    store.revoke(&tablet, false).await.unwrap();
    assert_eq!(
        status(&tablet).await,
        DeviceStatus::RevokedLost,
        "a lost device stays lost"
    );
    assert_eq!(status(&laptop).await, DeviceStatus::Active);
    let stranger = new_device("stranger").id;
    assert_eq!(
        store.revoke(&stranger, true).await.unwrap_err().code(),
        "unknown_device"
    );
    assert_eq!(
        store
            .record_contact(&stranger, NOW, None)
            .await
            .unwrap_err()
            .code(),
        "unknown_device"
    );
}

pub async fn a_replayed_nonce_is_refused_within_the_window<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let station = add_org(&store, "station").await;
    let (tablet, laptop) = (
        enrol(&store, &station, "tablet").await,
        enrol(&store, &station, "laptop").await,
    );
    let window = 5 * MINUTE;
    let nonce = [3u8; 16];
    assert!(
        store
            .check_and_record_nonce(&tablet, nonce, NOW, window)
            .await
            .unwrap()
    );
    assert!(
        !store
            .check_and_record_nonce(&tablet, nonce, later(1), window)
            .await
            .unwrap()
    );
    assert!(
        !store
            .check_and_record_nonce(&tablet, nonce, later(5), window)
            .await
            .unwrap()
    );
    assert!(
        store
            .check_and_record_nonce(&laptop, nonce, later(1), window)
            .await
            .unwrap(),
        "nonces are per device"
    );
    assert!(
        store
            .check_and_record_nonce(&tablet, [4; 16], later(1), window)
            .await
            .unwrap()
    );
    // Past the window the nonce is forgotten (the request's own timestamp is
    // then too old to be accepted anyway).
    assert!(
        store
            .check_and_record_nonce(&tablet, nonce, later(6), window)
            .await
            .unwrap()
    );
}

pub async fn the_snapshot_cache_never_moves_back<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let station = add_org(&store, "station").await;
    let tablet = enrol(&store, &station, "tablet").await;
    let x = doc_id("x");
    store
        .store_push(&tablet, vec![changes(&x, 0, 3)], NOW)
        .await
        .unwrap();
    assert_eq!(store.snapshot(&x).await.unwrap(), None);
    let newer = Snapshot {
        bytes: b"saved up to 3".to_vec(),
        up_to: 3,
        arrival: None,
    };
    let older = Snapshot {
        bytes: b"saved up to 2".to_vec(),
        up_to: 2,
        arrival: None,
    };
    store.put_snapshot(&x, &newer).await.unwrap();
    store.put_snapshot(&x, &older).await.unwrap();
    assert_eq!(store.snapshot(&x).await.unwrap(), Some(newer));
    let newest = Snapshot {
        bytes: b"saved up to 4".to_vec(),
        up_to: 4,
        arrival: None,
    };
    store.put_snapshot(&x, &newest).await.unwrap();
    assert_eq!(store.snapshot(&x).await.unwrap(), Some(newest));
    let error = store
        .put_snapshot(&doc_id("none"), &older)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "unknown_doc");
}

pub async fn the_receive_log_is_append_only<B: Backend>() {
    let (backend, store) = fresh::<B>().await;
    let station = add_org(&store, "station").await;
    let tablet = enrol(&store, &station, "tablet").await;
    store
        .store_push(&tablet, vec![changes(&doc_id("x"), 0, 2)], NOW)
        .await
        .unwrap();
    let error = backend
        .raw_execute("DELETE FROM receipts")
        .await
        .unwrap_err();
    assert!(error.contains("append-only"), "{error}");
    let error = backend
        .raw_execute("UPDATE receipts SET stored = 0")
        .await
        .unwrap_err();
    assert!(error.contains("append-only"), "{error}");
    assert_eq!(store.receipts(&tablet).await.unwrap().len(), 1);
}

pub async fn hub_processes_starting_at_once_migrate_once<B: Backend>() {
    let backend = B::empty().await;
    let open = || backend.open(crate::support::sealed());
    let (first, second, third, fourth) = tokio::join!(open(), open(), open(), open());
    let (second, third, fourth) = (second.unwrap(), third.unwrap(), fourth.unwrap());
    let station = add_org(&first.unwrap(), "station").await;
    for store in [second, third, fourth] {
        assert_eq!(store.org(&station).await.unwrap().unwrap().id, station);
    }
    // Opening again finds the schema up to date and the data intact.
    let again = backend.open(crate::support::sealed()).await.unwrap();
    assert_eq!(again.list_orgs().await.unwrap().len(), 1);
}

pub async fn a_newer_schema_is_refused<B: Backend>() {
    let (backend, store) = fresh::<B>().await;
    drop(store);
    backend.raw_execute(B::NEWER_SCHEMA).await.unwrap();
    let error = backend.open(crate::support::sealed()).await.unwrap_err();
    // One version beyond what this hub knows, whichever backend.
    assert!(
        matches!(
            error,
            HubStoreError::NewerSchema { found, supported } if found == supported + 1
        ),
        "{error}"
    );
    assert!(error.to_string().contains("update the hub"), "{error}");
}
