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
        whole: None,
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
    // Without pushes a version 3 body is a version 4 body without its
    // last three fields, the audit upload, the feed's identity and the
    // device's trust (each `None`: one zero byte).
    let current = karte_sync::decode_request(&tablet.envelope(&request, hub.now())).unwrap();
    let mut plain = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::DeflateDecoder::new(&current.body[..]),
        &mut plain,
    )
    .unwrap();
    assert_eq!(plain.pop(), Some(0));
    assert_eq!(plain.pop(), Some(0));
    assert_eq!(plain.pop(), Some(0));
    let mut body = Vec::new();
    let mut encoder = flate2::write::DeflateEncoder::new(&mut body, flate2::Compression::best());
    std::io::Write::write_all(&mut encoder, &plain).unwrap();
    encoder.finish().unwrap();
    let nonce: [u8; 16] = rand::random();
    let mut envelope = karte_sync::encode_request(&karte_sync::sign_request_body(
        &tablet.key,
        &tablet.id,
        hub.now().0,
        nonce,
        body,
    ));
    envelope[4..6].copy_from_slice(&3u16.to_be_bytes());
    let answer = hub.post_sync(envelope).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(&answer.body[..6], b"KSYR\x00\x03", "answered in version 3");
}

pub async fn a_request_from_before_a_restore_is_refused_until_the_device_starts_over<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let x = tablet.create_chart("x");
    let synced = tablet.sync(&hub).await;
    let feed = synced.responses[0]
        .feed_id
        .expect("every answer names the feed");
    assert_eq!(hub.store.feed_identity().await.unwrap(), feed);

    hub.store.set_feed_identity([9; 16]).await.unwrap();
    tablet.record_visit(&x, 70);
    let before = hub.stored(&[&tablet]).await;
    let request = karte_sync::SyncRequest {
        feed_id: Some(feed),
        ..tablet.request(tablet.pushes())
    };
    let envelope = tablet.envelope(&request, hub.now());
    assert_eq!(
        hub.post_sync(envelope).await.refusal(),
        (409, "feed_changed".to_owned())
    );
    assert_eq!(hub.stored(&[&tablet]).await, before, "nothing stored");
    // Knowing the new feed (or none), the same push is taken.
    let request = karte_sync::SyncRequest {
        feed_id: Some([9; 16]),
        ..tablet.request(tablet.pushes())
    };
    let envelope = tablet.envelope(&request, hub.now());
    let answer = hub.post_sync(envelope).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(answer.response().feed_id, Some([9; 16]));
}

/// SQLite only: `karte-hub backup` copies a database a hub is serving from,
/// and `karte-hub restore` makes a database of the copy with a new feed
/// identity and everything the copy held.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sqlite_backup_restores_with_everything_and_a_new_feed_identity() {
    use crate::backend::Sqlite;
    let hub = TestHub::<Sqlite>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let x = tablet.create_chart("x");
    tablet.sync(&hub).await;
    let dir = tempfile::tempdir().unwrap();
    let (copy, restored) = (dir.path().join("hub.backup"), dir.path().join("hub.sqlite"));
    let source = hub.backend().path();
    tokio::task::spawn_blocking({
        let (source, copy) = (source.clone(), copy.clone());
        move || karte_hub::backup_sqlite(&source, &copy)
    })
    .await
    .unwrap()
    .unwrap();
    // Never over an existing file.
    assert!(karte_hub::backup_sqlite(&source, &copy).is_err());
    karte_hub::restore_sqlite(&copy, &restored, [5; 16]).unwrap();
    assert!(karte_hub::restore_sqlite(&copy, &restored, [6; 16]).is_err());
    let store = karte_hub::SqliteHubStore::open_with(&restored, crate::support::sealed()).unwrap();
    assert_eq!(store.feed_identity().await.unwrap(), [5; 16]);
    assert_ne!(hub.store.feed_identity().await.unwrap(), [5; 16]);
    assert_eq!(
        store.doc_changes(&x, 0).await.unwrap().len(),
        hub.store.doc_changes(&x, 0).await.unwrap().len()
    );
}
