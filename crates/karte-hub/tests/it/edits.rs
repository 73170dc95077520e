//! A device of the organisation that writes a chart by hand, as a modified
//! Karte could: its changes carry its own valid signature, but no edit of
//! Karte makes them. Each push is refused with the code that says why,
//! nothing of it is stored, and the hub goes on taking honest edits.

use automerge::transaction::{CommitOptions, Transactable, Transaction};
use automerge::{Automerge, ObjId, ROOT, ReadDoc};
use karte_sync::{DocPush, sign_change};
use karte_types::{Author, PatientId, Timestamp};
use serde_json::json;

use crate::backend::Backend;
use crate::harness::{TestDevice, TestHub};
use crate::hostile::refused;
use crate::support::later;

/// A station where Sato recorded a visit in chart x, and Mallory's tablet,
/// enrolled in the same organisation, holds the chart too.
async fn station<B: Backend>() -> (TestHub<B>, TestDevice, TestDevice, PatientId) {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut sato = hub.enrol(&org.id, "sato").await;
    let mut mallory = hub.enrol(&org.id, "mallory").await;
    let x = sato.create_chart("x");
    sato.record_visit(&x, 72);
    sato.sync(&hub).await;
    mallory.sync(&hub).await;
    (hub, sato, mallory, x)
}

/// The id of Sato's visit, the map key it is stored under.
fn satos_visit(sato: &TestDevice, x: &PatientId) -> String {
    sato.charts[x].view().unwrap().visits[0].meta.id.to_string()
}

/// One change of `doc` that `device` writes by hand on its copy of the
/// chart, under its own actor, with a Karte message naming `author` at
/// `at`, and signs: a push of it alone.
fn by_hand(
    device: &TestDevice,
    doc: &PatientId,
    author: &Author,
    at: Timestamp,
    write: impl FnOnce(&mut Transaction<'_>),
) -> Vec<DocPush> {
    let mut copy = Automerge::load(&device.charts[doc].save())
        .unwrap()
        .with_actor(device.actor.clone());
    let heads = copy.get_heads();
    let mut tx = copy.transaction();
    write(&mut tx);
    let message = json!({ "op": "entry.correct", "author": author, "at": at.0 });
    tx.commit_with(
        CommitOptions::default()
            .with_message(message.to_string())
            .with_time(at.0.div_euclid(1000)),
    );
    let change = copy.get_changes(&heads).pop().expect("one change written");
    vec![DocPush {
        doc: doc.clone(),
        changes: vec![sign_change(&device.key, change.raw_bytes()).unwrap()],
        whole: None,
    }]
}

/// The map at `path` from the root.
fn map(doc: &impl ReadDoc, path: &[&str]) -> ObjId {
    path.iter().fold(ROOT, |obj, key| {
        doc.get(&obj, *key).unwrap().expect("the layout has it").1
    })
}

/// After a refusal the hostile device's honest edit is taken, and Sato's
/// visit is as Sato wrote it.
async fn still_taking_honest_edits<B: Backend>(
    hub: &TestHub<B>,
    sato: &mut TestDevice,
    mallory: &mut TestDevice,
    x: &PatientId,
) {
    mallory.record_visit(x, 80);
    mallory.sync(hub).await;
    sato.sync(hub).await;
    assert_eq!(hub.heads(x).await, sato.heads(x));
    let view = sato.charts[x].view().unwrap();
    assert_eq!(view.visits.len(), 2);
    assert!(view.visits.iter().any(|v| v.input.vitals.pulse == Some(72)));
}

pub async fn a_delete_of_another_nurses_entry_is_refused<B: Backend>() {
    let (hub, mut sato, mut mallory, x) = station::<B>().await;
    let visit = satos_visit(&sato, &x);
    let (author, at) = (mallory.author.clone(), hub.now());
    let whole = by_hand(&mallory, &x, &author, at, |tx| {
        let visits = map(tx, &["visits"]);
        tx.delete(&visits, visit.as_str()).unwrap();
    });
    let what = "a delete of another nurse's visit";
    refused(&hub, &mut mallory, whole, (403, "forbidden_change"), what).await;
    let field = by_hand(&mallory, &x, &author, at, |tx| {
        let entry = map(tx, &["visits", &visit]);
        tx.delete(&entry, "vitals.pulse").unwrap();
    });
    let what = "a delete of a field of another nurse's visit";
    refused(&hub, &mut mallory, field, (403, "forbidden_change"), what).await;
    still_taking_honest_edits(&hub, &mut sato, &mut mallory, &x).await;
}

pub async fn a_change_naming_another_author_is_refused<B: Backend>() {
    let (hub, mut sato, mut mallory, x) = station::<B>().await;
    let visit = satos_visit(&sato, &x);
    // Signed by Mallory's tablet, but its message says Sato wrote it there.
    let as_sato = by_hand(&mallory, &x, &sato.author, hub.now(), |tx| {
        let entry = map(tx, &["visits", &visit]);
        tx.put(&entry, "vitals.pulse", 140).unwrap();
    });
    let what = "a change in Sato's name";
    refused(
        &hub,
        &mut mallory,
        as_sato,
        (403, "misattributed_change"),
        what,
    )
    .await;
    still_taking_honest_edits(&hub, &mut sato, &mut mallory, &x).await;
}

pub async fn a_write_outside_the_layout_is_refused<B: Backend>() {
    let (hub, mut sato, mut mallory, x) = station::<B>().await;
    let visit = satos_visit(&sato, &x);
    let (author, at) = (mallory.author.clone(), hub.now());
    let cases: [(&[&str], &str, &str); 3] = [
        (
            &["visits", &visit],
            "vitals.glucose",
            "a field visits do not have",
        ),
        (
            &["patient"],
            "blood_type",
            "a field the patient does not have",
        ),
        (&[], "billing", "a key at the chart's root"),
    ];
    for (path, key, what) in cases {
        let push = by_hand(&mallory, &x, &author, at, |tx| {
            let obj = map(tx, path);
            tx.put(&obj, key, 120).unwrap();
        });
        refused(&hub, &mut mallory, push, (403, "forbidden_change"), what).await;
    }
    still_taking_honest_edits(&hub, &mut sato, &mut mallory, &x).await;
}

pub async fn an_implausible_time_is_refused<B: Backend>() {
    let (hub, mut sato, mut mallory, x) = station::<B>().await;
    let visit = satos_visit(&sato, &x);
    let author = mallory.author.clone();
    let day = 24 * 60;
    let cases = [
        (later(2 * day), "dated two days after the push"),
        (later(-2 * day), "dated two days before the chart was made"),
    ];
    for (at, what) in cases {
        let push = by_hand(&mallory, &x, &author, at, |tx| {
            let entry = map(tx, &["visits", &visit]);
            tx.put(&entry, "vitals.pulse", 76).unwrap();
        });
        let expected = (422, "implausible_change_time");
        refused(&hub, &mut mallory, push, expected, what).await;
    }
    // A clock some hours fast is a clock, not a forgery.
    let push = by_hand(&mallory, &x, &author, later(9 * 60), |tx| {
        let entry = map(tx, &["visits", &visit]);
        tx.put(&entry, "vitals.pulse", 76).unwrap();
    });
    let request = mallory.request(push);
    let answer = hub.post_sync(mallory.envelope(&request, hub.now())).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    sato.sync(&hub).await;
    assert_eq!(hub.heads(&x).await, sato.heads(&x));
}
