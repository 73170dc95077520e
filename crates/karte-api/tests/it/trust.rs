//! Trust without a hub, as enrolment sets it up: a device enrolled at a
//! hub that signs keeps the organisation's signing key, its own membership
//! cert and the organisation's revocation list, sealed in its vault; with
//! them it tells a device of its organisation from one of another, offline.

use karte_sync::trust::verify_member;
use karte_types::ErrorCode;

use crate::hub::{Device, TestHub};

#[test]
fn enrolment_fills_the_trust_store_and_peers_are_told_apart_offline() {
    let hub = TestHub::start();
    let (station, _) = hub.add_org("さくら");
    let (clinic, _) = hub.add_org("診療所");
    let a = Device::enrolled(&hub, &station.id, "a");
    let b = Device::enrolled(&hub, &station.id, "b");
    let c = Device::enrolled(&hub, &clinic.id, "c");

    let trust = a.session.device_trust().unwrap();
    let now = a.session.now().millis();
    let own = trust.own_cert.clone().expect("a cert from the hub");
    let me = verify_member(&own, &trust.anchors, &trust.lists, now).unwrap();
    assert_eq!(
        me.principal().to_string(),
        format!("organisation {}", station.id)
    );
    let sequence = trust
        .lists
        .sequence(&karte_sync::trust::Principal::Org(station.id.0.clone()));
    assert_eq!(sequence, 1);

    // B's cert holds under what A keeps; C's organisation is unknown to A.
    let b_cert = b.session.device_trust().unwrap().own_cert.unwrap();
    let peer = verify_member(&b_cert, &trust.anchors, &trust.lists, now).unwrap();
    assert_ne!(peer.device(), me.device());
    let c_cert = c.session.device_trust().unwrap().own_cert.unwrap();
    let error = verify_member(&c_cert, &trust.anchors, &trust.lists, now).unwrap_err();
    assert_eq!(error.code(), ErrorCode::UnknownIssuer);

    // It is all still there after the vault is locked and opened again.
    let a = a.reopen();
    let again = a.session.device_trust().unwrap();
    assert_eq!(again.own_cert, Some(own));
    assert_eq!(again.anchors, trust.anchors);
}

#[test]
fn a_sync_brings_the_newer_list_so_a_revoked_peer_is_refused_offline() {
    let hub = TestHub::start();
    let (station, _) = hub.add_org("さくら");
    let mut a = Device::enrolled(&hub, &station.id, "a");
    let b = Device::enrolled(&hub, &station.id, "b");
    let b_cert = b.session.device_trust().unwrap().own_cert.unwrap();
    let now = a.session.now().millis();
    let before = a.session.device_trust().unwrap();
    assert!(verify_member(&b_cert, &before.anchors, &before.lists, now).is_ok());

    let b_id = verify_member(&b_cert, &before.anchors, &before.lists, now)
        .unwrap()
        .cert
        .device;
    // A enrolled before B: its first sync brings B's cert.
    assert!(before.peer_certs.is_empty());
    a.sync();
    let met = a.session.device_trust().unwrap();
    assert_eq!(met.peer_certs, vec![(b_id.clone(), b_cert.clone())]);
    hub.revoke(&b_id, true);
    a.sync();
    let after = a.session.device_trust().unwrap();
    let error = verify_member(&b_cert, &after.anchors, &after.lists, now).unwrap_err();
    assert_eq!(error.code(), ErrorCode::PeerRevoked);
    assert_eq!(
        after.own_cert, before.own_cert,
        "a cert far from its end is kept"
    );
    // A second sync changes nothing more.
    a.sync();
    assert_eq!(a.session.device_trust().unwrap().lists, after.lists);
}
