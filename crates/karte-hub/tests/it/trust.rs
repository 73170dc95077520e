//! Trust without a hub, the hub's part: enrolment grants the organisation's
//! signing key, the device's membership cert and the revocation list, and
//! revoking a device signs a newer list that names it.

use hex::FromHex;
use karte_hub::HubStore;
use karte_sync::EnrolmentGrantJson;
use karte_sync::trust::{
    Anchors, BundleSecretKey, CERT_RENEW_BEFORE_MS, Principal, RevocationLists, SignedCert,
    SignedRevocationList, verify_member,
};
use karte_sync::wire::TrustState;
use karte_types::ErrorCode;
use ring::rand::SystemRandom;
use serde_json::json;

use crate::backend::Backend;
use crate::harness::{TestDevice, TestHub};
use crate::support::NOW;

struct Granted {
    anchor: [u8; 32],
    cert: SignedCert,
    list: SignedRevocationList,
}

async fn enrol_with_bundle_key<B: Backend>(
    hub: &TestHub<B>,
    org: &karte_hub::OrgId,
    device: &TestDevice,
    bundle: &BundleSecretKey,
) -> Granted {
    let code = hub.invite(org).await;
    let mut request = device.enrolment(&code);
    request["bundle_key"] = json!(hex::encode(bundle.public_key()));
    let answer = hub.post_enrol(&request).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let grant: EnrolmentGrantJson = serde_json::from_slice(&answer.body).unwrap();
    Granted {
        anchor: <[u8; 32]>::from_hex(grant.org_signing_key.unwrap()).unwrap(),
        cert: SignedCert::from_bytes(&hex::decode(grant.membership_cert.unwrap()).unwrap())
            .unwrap(),
        list: SignedRevocationList::from_bytes(
            &hex::decode(grant.revocation_list.unwrap()).unwrap(),
        )
        .unwrap(),
    }
}

pub async fn enrolment_grants_a_cert_and_revoking_signs_a_newer_list<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let random = SystemRandom::new();
    let tablet = TestDevice::new("tablet");
    let tablet_bundle = BundleSecretKey::generate(&random).unwrap();
    let granted = enrol_with_bundle_key(&hub, &org.id, &tablet, &tablet_bundle).await;

    let mut anchors = Anchors::default();
    anchors.insert(Principal::Org(org.id.0.clone()), granted.anchor);
    let mut lists = RevocationLists::default();
    assert!(lists.merge(&granted.list, &anchors).unwrap());
    let issuer = Principal::Org(org.id.0.clone());
    assert_eq!(lists.sequence(&issuer), 1);
    assert!(lists.get(&issuer).unwrap().revoked.is_empty());
    let member = verify_member(&granted.cert, &anchors, &lists, NOW.0).unwrap();
    assert_eq!(member.device(), &tablet.id);
    assert_eq!(member.cert.signing_key, tablet.key.public_key());
    assert_eq!(member.cert.bundle_key, tablet_bundle.public_key());

    // A second device gets the same anchor and the next serial.
    let laptop = TestDevice::new("laptop");
    let laptop_bundle = BundleSecretKey::generate(&random).unwrap();
    let second = enrol_with_bundle_key(&hub, &org.id, &laptop, &laptop_bundle).await;
    assert_eq!(second.anchor, granted.anchor);
    assert_eq!(second.list, granted.list, "nothing was revoked in between");
    let laptop_cert = verify_member(&second.cert, &anchors, &lists, NOW.0).unwrap();
    assert_eq!(laptop_cert.cert.serial, member.cert.serial + 1);

    // Revoking the tablet (without the master key, as the administrator's
    // tool does) signs a newer list at the next ask, and only then.
    hub.store.revoke(&tablet.id, true).await.unwrap();
    let (key, newer) = hub.store.org_trust(&org.id, NOW).await.unwrap();
    assert_eq!(key, granted.anchor);
    assert!(lists.merge(&newer, &anchors).unwrap());
    assert_eq!(lists.sequence(&issuer), 2);
    let revoked = &lists.get(&issuer).unwrap().revoked;
    assert_eq!(revoked.len(), 1);
    assert!(revoked[0].lost && revoked[0].device == tablet.id);
    let error = verify_member(&granted.cert, &anchors, &lists, NOW.0).unwrap_err();
    assert_eq!(error.code(), ErrorCode::PeerRevoked);
    assert!(verify_member(&second.cert, &anchors, &lists, NOW.0).is_ok());
    let (_, again) = hub.store.org_trust(&org.id, NOW).await.unwrap();
    assert_eq!(again, newer, "no change, no new list");

    // A revoked device gets no new cert.
    let refused = hub
        .store
        .issue_cert(&tablet.id, tablet_bundle.public_key(), NOW)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "device_revoked");
}

pub async fn a_device_that_sends_no_bundle_key_is_enrolled_without_a_cert<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let old = TestDevice::new("old");
    let code = hub.invite(&org.id).await;
    let answer = hub.post_enrol(&old.enrolment(&code)).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let grant: EnrolmentGrantJson = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(
        (
            grant.org_signing_key,
            grant.membership_cert,
            grant.revocation_list
        ),
        (None, None, None)
    );
    let text = answer.text();
    assert!(!text.contains("membership_cert"), "{text}");
}

pub async fn a_sync_answer_carries_a_newer_list_and_a_renewed_cert_only_when_needed<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    // An older device: enrolled without a bundle key, so without a cert.
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let other = hub.enrol(&org.id, "other").await;
    let bundle = BundleSecretKey::generate(&SystemRandom::new()).unwrap();
    let issuer = Principal::Org(org.id.0.clone());

    let ask = |tablet: &mut TestDevice, state: Option<TrustState>| {
        let mut request = tablet.request(Vec::new());
        request.trust = state;
        tablet.envelope(&request, NOW)
    };
    let state = TrustState {
        list_sequence: 0,
        cert_not_after_ms: None,
        bundle_key: bundle.public_key(),
        peers_up_to_serial: 0,
    };
    let answer = hub.post_sync(ask(&mut tablet, Some(state))).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let update = answer.response().trust.expect("trust for a device without");
    let mut anchors = Anchors::default();
    anchors.insert(issuer.clone(), update.org_signing_key);
    let mut lists = RevocationLists::default();
    assert!(
        lists
            .merge(update.list.as_ref().unwrap(), &anchors)
            .unwrap()
    );
    let cert = update.cert.expect("a first cert");
    let member = verify_member(&cert, &anchors, &lists, NOW.0).unwrap();
    assert_eq!(member.device(), &tablet.id);
    assert_eq!(member.cert.bundle_key, bundle.public_key());

    // A device that holds both, and a cert far from its end, is sent nothing.
    assert!(update.member_certs.is_empty(), "no other device has a cert");
    let current = TrustState {
        list_sequence: 1,
        cert_not_after_ms: Some(member.cert.not_after_ms),
        bundle_key: bundle.public_key(),
        peers_up_to_serial: 0,
    };
    let answer = hub.post_sync(ask(&mut tablet, Some(current))).await;
    assert_eq!(answer.response().trust, None);

    // A peer enrolled since: its cert comes, once.
    let laptop = TestDevice::new("laptop");
    let laptop_bundle = BundleSecretKey::generate(&SystemRandom::new()).unwrap();
    let laptop_cert = enrol_with_bundle_key(&hub, &org.id, &laptop, &laptop_bundle)
        .await
        .cert;
    let answer = hub.post_sync(ask(&mut tablet, Some(current))).await;
    let update = answer.response().trust.expect("the peer's cert");
    assert_eq!(update.member_certs, vec![laptop_cert.clone()]);
    assert_eq!((update.cert, update.list), (None, None));
    let peer = verify_member(&laptop_cert, &anchors, &lists, NOW.0).unwrap();
    assert_eq!(peer.device(), &laptop.id);
    let current = TrustState {
        peers_up_to_serial: peer.cert.serial,
        ..current
    };
    // A device that reports nothing is sent nothing.
    let answer = hub.post_sync(ask(&mut tablet, None)).await;
    assert_eq!(answer.response().trust, None);

    // Once another device is revoked, the newer list comes, and no cert.
    hub.store.revoke(&other.id, false).await.unwrap();
    let answer = hub.post_sync(ask(&mut tablet, Some(current))).await;
    let update = answer.response().trust.expect("the newer list");
    assert_eq!(update.cert, None);
    assert!(
        lists
            .merge(update.list.as_ref().unwrap(), &anchors)
            .unwrap()
    );
    assert_eq!(lists.sequence(&issuer), 2);
    assert!(
        lists
            .revocation(&issuer, &other.id)
            .is_some_and(|r| !r.lost)
    );

    // Less than 30 days left: a renewed cert.
    let ending = TrustState {
        list_sequence: 2,
        cert_not_after_ms: Some(NOW.0 + CERT_RENEW_BEFORE_MS - 1),
        ..current
    };
    let answer = hub.post_sync(ask(&mut tablet, Some(ending))).await;
    let update = answer.response().trust.expect("a renewed cert");
    assert_eq!(update.list, None);
    let renewed = verify_member(&update.cert.unwrap(), &anchors, &lists, NOW.0).unwrap();
    assert!(renewed.cert.serial > member.cert.serial);

    // The retired device reported lost since: the list is signed anew
    // once, naming it lost, and then held as it is, sync after sync.
    hub.store.revoke(&other.id, true).await.unwrap();
    let current = TrustState {
        list_sequence: 2,
        cert_not_after_ms: Some(renewed.cert.not_after_ms),
        ..current
    };
    let answer = hub.post_sync(ask(&mut tablet, Some(current))).await;
    let update = answer
        .response()
        .trust
        .expect("the list naming the lost device");
    assert_eq!(update.cert, None);
    assert!(
        lists
            .merge(update.list.as_ref().unwrap(), &anchors)
            .unwrap()
    );
    assert_eq!(lists.sequence(&issuer), 3);
    assert!(lists.revocation(&issuer, &other.id).is_some_and(|r| r.lost));
    let current = TrustState {
        list_sequence: 3,
        ..current
    };
    for _ in 0..2 {
        let answer = hub.post_sync(ask(&mut tablet, Some(current))).await;
        assert_eq!(answer.response().trust, None);
        let (_, held) = hub.store.org_trust(&org.id, NOW).await.unwrap();
        assert_eq!(held.open().unwrap().sequence, 3);
    }
}
