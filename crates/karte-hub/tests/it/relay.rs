//! Relay: a device hands on changes other devices wrote, with their
//! authors' signatures. The hub checks each against its author's key and
//! rules, stores the author as the signer, and never the relay; a forged,
//! misattributed or unwelcome relayed change refuses the push whole.

use karte_hub::HubStore;
use karte_sync::{DocPush, SignedChange, sign_change};
use karte_types::PatientId;

use crate::backend::Backend;
use crate::harness::{TestDevice, TestHub};

/// `author`'s unsent changes of `doc`, signed by `author`, named as its.
fn relayed(author: &TestDevice, doc: &PatientId) -> DocPush {
    let changes = author
        .unsent(doc)
        .iter()
        .map(|raw| SignedChange {
            author: Some(author.id.clone()),
            ..sign_change(&author.key, raw).unwrap()
        })
        .collect();
    DocPush {
        doc: doc.clone(),
        changes,
    }
}

/// Pushes `pushes` as `relay` and returns the answer's status and code.
async fn push_as<B: Backend>(
    hub: &TestHub<B>,
    relay: &mut TestDevice,
    pushes: Vec<DocPush>,
) -> (u16, String) {
    let request = relay.request(pushes);
    let envelope = relay.envelope(&request, hub.now());
    let answer = hub.post_sync(envelope).await;
    if answer.status == 200 {
        (200, String::new())
    } else {
        answer.refusal()
    }
}

pub async fn a_relayed_change_is_stored_under_its_author_not_the_relay<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut relay = hub.enrol(&org.id, "relay").await;
    let mut author = hub.enrol(&org.id, "author").await;
    // The author writes a chart and a visit and never meets the hub.
    let doc = author.create_chart("c");
    author.record_visit(&doc, 70);
    let push = relayed(&author, &doc);
    let hashes: Vec<[u8; 32]> = push.changes.iter().map(|c| c.hash).collect();

    assert_eq!(
        push_as(&hub, &mut relay, vec![push]).await,
        (200, String::new())
    );
    let stored = hub.store.doc_changes(&doc, 0).await.unwrap();
    assert_eq!(stored.iter().map(|c| c.hash).collect::<Vec<_>>(), hashes);
    assert!(
        stored.iter().all(|c| c.signer == author.id),
        "every change is the author's: {:?}",
        stored.iter().map(|c| &c.signer).collect::<Vec<_>>()
    );
    // The chart belongs to the organisation, as if the author had pushed.
    let record = hub.store.doc(&doc).await.unwrap().unwrap();
    assert_eq!(record.owner, org.id);

    // The author's own sync later pushes the same changes: nothing new is
    // stored, and it is not sent its own changes back.
    let before = hub.store.feed_head().await.unwrap();
    let synced = author.sync(&hub).await;
    assert_eq!(hub.store.feed_head().await.unwrap(), before);
    assert!(
        synced.responses.iter().all(|r| r.updates.is_empty()),
        "the author is not sent its own changes"
    );
    // A third device receives them signed by the author, not the relay.
    let mut reader = hub.enrol(&org.id, "reader").await;
    author.record_visit(&doc, 72);
    author.sync(&hub).await;
    reader.sync(&hub).await;
    assert_eq!(reader.heads(&doc), author.heads(&doc));
}

pub async fn a_forged_or_misattributed_relay_is_refused_with_nothing_stored<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut relay = hub.enrol(&org.id, "relay").await;
    let mut author = hub.enrol(&org.id, "author").await;
    let other = hub.enrol(&org.id, "other").await;
    let doc = author.create_chart("c");
    let before = hub.stored(&[&relay, &author]).await;

    // Signed by the relay, named as the author's.
    let mut forged = relayed(&author, &doc);
    for change in &mut forged.changes {
        change.signature = sign_change(&relay.key, &change.change).unwrap().signature;
    }
    assert_eq!(
        push_as(&hub, &mut relay, vec![forged]).await,
        (403, "forged_change".to_owned())
    );
    // The author's signature, but another device named as author.
    let mut renamed = relayed(&author, &doc);
    for change in &mut renamed.changes {
        change.author = Some(other.id.clone());
    }
    let (status, code) = push_as(&hub, &mut relay, vec![renamed]).await;
    assert_eq!(
        (status, code.as_str()),
        (403, "forged_change"),
        "checked against the named author's key"
    );
    // The author's change pushed as the relay's own.
    let mut unnamed = relayed(&author, &doc);
    for change in &mut unnamed.changes {
        change.author = None;
    }
    assert_eq!(push_as(&hub, &mut relay, vec![unnamed]).await.0, 403);
    // An author this hub has never heard of.
    let stranger = TestDevice::new("stranger");
    let mut strangers = relayed(&author, &doc);
    for change in &mut strangers.changes {
        change.author = Some(stranger.id.clone());
    }
    assert_eq!(
        push_as(&hub, &mut relay, vec![strangers]).await,
        (403, "misattributed_change".to_owned())
    );
    assert_eq!(hub.stored(&[&relay, &author]).await, before);
    assert!(hub.store.doc(&doc).await.unwrap().is_none());
}

pub async fn a_relayed_change_of_a_lost_or_foreign_author_is_refused<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (station, _) = hub.add_org("station").await;
    let (clinic, _) = hub.add_org("clinic").await;
    let mut relay = hub.enrol(&station.id, "relay").await;
    let mut lost = hub.enrol(&station.id, "lost").await;
    let mut foreign = hub.enrol(&clinic.id, "foreign").await;
    // A chart of the station's, which the clinic's devices may not write.
    let shared = relay.create_chart("s");
    relay.sync(&hub).await;
    let before = hub.stored(&[&relay]).await;

    let lost_doc = lost.create_chart("l");
    hub.store.revoke(&lost.id, true).await.unwrap();
    assert_eq!(
        push_as(&hub, &mut relay, vec![relayed(&lost, &lost_doc)]).await,
        (403, "misattributed_change".to_owned())
    );

    // The foreign device writes to the station's chart it somehow holds.
    let copy =
        karte_record::Chart::load(foreign.actor.clone(), &[&relay.charts[&shared].save()]).unwrap();
    foreign.charts.insert(shared.clone(), copy);
    foreign.at_hub = relay.at_hub.clone();
    foreign.record_visit(&shared, 80);
    let (status, code) = push_as(&hub, &mut relay, vec![relayed(&foreign, &shared)]).await;
    assert_eq!((status, code.as_str()), (403, "outside_circle"));
    // And a new chart written by another organisation's device is not the
    // relay's organisation's to create.
    let foreign_doc = foreign.create_chart("f");
    let (status, _) = push_as(&hub, &mut relay, vec![relayed(&foreign, &foreign_doc)]).await;
    assert_eq!(status, 403);
    assert_eq!(hub.stored(&[&relay]).await, before);
}

pub async fn a_device_of_the_previous_protocol_still_syncs<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let request = tablet.request(Vec::new());
    let mut envelope = tablet.envelope(&request, hub.now());
    // Without pushes a version 3 body is a version 4 body.
    envelope[4..6].copy_from_slice(&3u16.to_be_bytes());
    let answer = hub.post_sync(envelope).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(&answer.body[..6], b"KSYR\x00\x03", "answered in version 3");
}
