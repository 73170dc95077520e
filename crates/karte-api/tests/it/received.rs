//! Changes the hub sends that no edit of Karte makes: a hub that stored
//! them without checking them (an older one, or one written behind its
//! back) sends them signed by a device of the organisation. The device
//! applies nothing of them: it puts the chart in quarantine with the code
//! that says why, and its sync goes on.

use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{ObjId, ROOT, ReadDoc};
use karte_api::HttpTransport;
use karte_api::types::ErrorCode;
use karte_hub::{Clock, OrgId, StoredChange, SystemClock};
use karte_record::actor_for;
use karte_sync::client::{EnrolmentRequest, Transport};
use karte_sync::{DeviceKey, sign_change};
use karte_test_support::{author, visit, yamada};
use karte_types::{Author, DeviceId, EntryId, PatientId};
use ring::rand::SystemRandom;
use serde_json::json;

use crate::hub::{Device, TestHub};

/// A device enrolled with a key the test holds, which writes charts by
/// hand, as a modified Karte could.
struct Hostile {
    id: DeviceId,
    key: DeviceKey,
}

impl Hostile {
    fn enrolled(hub: &TestHub, org: &OrgId) -> Hostile {
        let (key, _) = DeviceKey::generate(&SystemRandom::new()).unwrap();
        let id = DeviceId("01HOSTILE00000000000000000".to_owned());
        let mut transport = HttpTransport::new(&hub.url).unwrap();
        transport
            .enrol(&EnrolmentRequest {
                code: hub.invite(org),
                device_id: id.clone(),
                public_key: key.public_key(),
                device_name: "mallory".to_owned(),
                bundle_key: None,
            })
            .unwrap();
        Hostile { id, key }
    }

    /// One change of `doc`, written by hand on the hub's copy under an actor
    /// of this device with a message naming `by`, signed by this device,
    /// and stored at the hub past its checks.
    fn write(
        &self,
        hub: &TestHub,
        doc: &PatientId,
        by: &Author,
        write: impl FnOnce(&mut Transaction<'_>),
    ) {
        let mut chart = hub.chart(doc).with_actor(actor_for(&self.id, [7; 16]));
        let heads = chart.get_heads();
        let now = SystemClock.now();
        let mut tx = chart.transaction();
        write(&mut tx);
        let message = json!({ "op": "entry.correct", "author": by, "at": now.0 });
        tx.commit_with(
            CommitOptions::default()
                .with_message(message.to_string())
                .with_time(now.0.div_euclid(1000)),
        );
        let change = chart.get_changes(&heads).pop().unwrap();
        let signed = sign_change(&self.key, change.raw_bytes()).unwrap();
        let stored = StoredChange {
            hash: signed.hash,
            bytes: signed.change,
            signature: signed.signature,
            author: None,
        };
        hub.store_behind_the_checks(&self.id, doc, vec![stored]);
    }
}

/// The map at `path` from the root.
fn map(doc: &impl ReadDoc, path: &[&str]) -> ObjId {
    path.iter().fold(ROOT, |obj, key| {
        doc.get(&obj, *key).unwrap().expect("the layout has it").1
    })
}

/// A station where A recorded a visit and B holds the chart too.
fn station() -> (TestHub, OrgId, Device, PatientId, EntryId) {
    let hub = TestHub::start();
    let (org, _) = hub.add_org("さくら");
    let mut a = Device::enrolled(&hub, &org.id, "A");
    let mut b = Device::enrolled(&hub, &org.id, "B");
    let patient = a.session.add_patient(&yamada()).unwrap();
    let entry = a.session.record_visit(&patient, &visit(60, 72)).unwrap();
    a.sync();
    b.sync();
    (hub, org.id, b, patient, entry)
}

/// B's sync puts the chart in quarantine with `code`, and nothing of the
/// change is applied: the visit is as A wrote it. The next sync does not
/// meet the change again.
fn refused(b: &mut Device, patient: &PatientId, code: ErrorCode, why: &str) {
    let summary = b.sync();
    assert_eq!(summary.quarantined.len(), 1, "{summary}");
    assert_eq!(summary.quarantined[0].doc, *patient);
    assert_eq!(summary.quarantined[0].reason, code.as_str());
    let kept = b.session.quarantined_charts().unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!((&kept[0].patient, kept[0].reason), (patient, code));
    assert!(kept[0].detail.contains(why), "{}", kept[0].detail);
    let again = b.sync();
    assert_eq!(again.received_charts, 0, "{again}");
    assert!(again.quarantined.is_empty());
    assert_eq!(b.session.quarantined_charts().unwrap().len(), 1);
    let chart = b.session.chart(patient).unwrap();
    assert_eq!(chart.visits.len(), 1);
    assert_eq!(chart.visits[0].input.vitals.pulse, Some(72));
}

#[test]
fn a_delete_from_the_hub_is_refused_and_nothing_is_kept() {
    let (hub, org, mut b, patient, entry) = station();
    let mallory = Hostile::enrolled(&hub, &org);
    let as_mallory = author("mallory", mallory.id.as_str());
    mallory.write(&hub, &patient, &as_mallory, |tx| {
        let visits = map(tx, &["visits"]);
        tx.delete(&visits, entry.as_str()).unwrap();
    });
    refused(&mut b, &patient, ErrorCode::ForbiddenChange, "deletes");
}

#[test]
fn a_change_from_the_hub_in_another_authors_name_is_refused() {
    let (hub, org, mut b, patient, entry) = station();
    let mallory = Hostile::enrolled(&hub, &org);
    // Signed by Mallory's device, in the name of the nurse on A.
    let as_a = b.session.chart(&patient).unwrap().visits[0]
        .meta
        .recorded_by
        .clone();
    mallory.write(&hub, &patient, &as_a, |tx| {
        let visit = map(tx, &["visits", entry.as_str()]);
        tx.put(&visit, "vitals.pulse", 140).unwrap();
    });
    refused(
        &mut b,
        &patient,
        ErrorCode::MisattributedChange,
        "names device",
    );
}
