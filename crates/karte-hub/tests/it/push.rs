//! Pushes: what is stored, atomicity, idempotence, and who may push.

use karte_hub::{DeviceStatus, FeedEntry, HubStore, HubStoreError, PushedDoc};
use karte_types::Timestamp;

use crate::backend::{Backend, fresh};
use crate::support::*;

pub async fn a_push_is_stored_in_feed_order<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let station = add_org(&store, "station").await;
    let tablet = enrol(&store, &station, "tablet").await;
    let (x, y) = (doc_id("x"), doc_id("y"));

    let outcome = store
        .store_push(&tablet, vec![changes(&x, 0, 3), changes(&y, 0, 2)], NOW)
        .await
        .unwrap();
    assert_eq!(outcome.last_position, Some(5));
    assert!(
        outcome
            .docs
            .iter()
            .all(|doc| doc.created && doc.skipped == 0)
    );
    assert_eq!(
        outcome.docs[0].stored,
        changes(&x, 0, 3)
            .changes
            .iter()
            .map(|c| c.hash)
            .collect::<Vec<_>>()
    );
    assert_eq!(store.feed_head().await.unwrap(), 5);

    let page = store.read_feed(&station, 0, 1 << 20).await.unwrap();
    assert_eq!((page.next_cursor, page.more), (5, false));
    let positions: Vec<u64> = page.entries.iter().map(FeedEntry::position).collect();
    assert_eq!(positions, [1, 2, 3, 4, 5]);
    let FeedEntry::Change(first) = &page.entries[0] else {
        panic!("a change comes first: {:?}", page.entries[0]);
    };
    let pushed = change(&x, 0, 0);
    assert_eq!(
        (
            &first.doc,
            first.hash,
            &first.bytes,
            &first.signer,
            &first.signature
        ),
        (&x, pushed.hash, &pushed.bytes, &tablet, &pushed.signature)
    );

    let record = store.doc(&x).await.unwrap().unwrap();
    assert_eq!(
        (record.owner, record.circle, record.created_at),
        (station.clone(), vec![station.clone()], NOW)
    );
    let history = store.doc_changes(&x, 1).await.unwrap();
    assert_eq!(
        history.iter().map(|c| c.position).collect::<Vec<_>>(),
        [2, 3]
    );
    let asked = [
        change(&x, 2, 0).hash,
        change(&x, 9, 0).hash,
        change(&y, 0, 0).hash,
    ];
    assert_eq!(store.present_changes(&x, &asked).await.unwrap(), [asked[0]]);

    let receipts = store.receipts(&tablet).await.unwrap();
    assert_eq!(receipts.len(), 1);
    assert_eq!(
        (
            &receipts[0].docs,
            receipts[0].changes,
            receipts[0].stored,
            receipts[0].received_at
        ),
        (&vec![x.clone(), y.clone()], 5, 5, NOW)
    );
    let bytes: usize = [changes(&x, 0, 3), changes(&y, 0, 2)]
        .iter()
        .flat_map(|p| p.changes.iter().map(|c| c.bytes.len()))
        .sum();
    assert_eq!(receipts[0].bytes, bytes as u64);
    assert_eq!(
        store.device(&tablet).await.unwrap().unwrap().last_seen,
        Some(NOW)
    );
}

pub async fn a_batch_with_one_bad_doc_stores_nothing<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let (a, b) = (add_org(&store, "a").await, add_org(&store, "b").await);
    let (tablet_a, tablet_b) = (enrol(&store, &a, "ta").await, enrol(&store, &b, "tb").await);
    let (owned_by_a, new_doc) = (doc_id("owned"), doc_id("new"));
    store
        .store_push(&tablet_a, vec![changes(&owned_by_a, 0, 2)], NOW)
        .await
        .unwrap();
    let head = store.feed_head().await.unwrap();

    // B's device brings a new chart (fine alone) and a change to A's chart.
    let error = store
        .store_push(
            &tablet_b,
            vec![changes(&new_doc, 0, 3), changes(&owned_by_a, 2, 3)],
            later(1),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, HubStoreError::OutsideCircle { doc, org } if *doc == owned_by_a && *org == b),
        "{error}"
    );
    assert_eq!(error.code(), "outside_circle");

    assert_eq!(
        store.feed_head().await.unwrap(),
        head,
        "no position was used"
    );
    assert_eq!(
        store.doc(&new_doc).await.unwrap(),
        None,
        "the new chart was not created"
    );
    assert!(store.doc_changes(&owned_by_a, 0).await.unwrap().len() == 2);
    assert!(
        store.receipts(&tablet_b).await.unwrap().is_empty(),
        "nothing was received"
    );
    let (entries, _, _) = read_all(&store, &b, 0, 1 << 20).await;
    assert!(entries.is_empty());
    assert_eq!(
        store.device(&tablet_b).await.unwrap().unwrap().last_seen,
        None
    );
}

pub async fn a_repeated_push_changes_nothing<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let station = add_org(&store, "station").await;
    let tablet = enrol(&store, &station, "tablet").await;
    let x = doc_id("x");
    let first = store
        .store_push(&tablet, vec![changes(&x, 0, 4)], NOW)
        .await
        .unwrap();
    let (feed, cursor, _) = read_all(&store, &station, 0, 1 << 20).await;

    let again = store
        .store_push(&tablet, vec![changes(&x, 0, 4)], later(1))
        .await
        .unwrap();
    assert_eq!(again.last_position, None);
    assert_eq!(
        (
            again.docs[0].created,
            again.docs[0].stored.len(),
            again.docs[0].skipped
        ),
        (false, 0, 4)
    );
    assert_eq!(
        store.feed_head().await.unwrap(),
        first.last_position.unwrap()
    );
    assert_eq!(
        read_all(&store, &station, 0, 1 << 20).await.0,
        feed,
        "the same feed"
    );
    let page = store.read_feed(&station, cursor, 1 << 20).await.unwrap();
    assert!(page.entries.is_empty() && page.next_cursor == cursor);

    // A push overlapping what the hub has stores only the new part, and a
    // change repeated within one push is stored once.
    let mut overlapping = changes(&x, 2, 6);
    overlapping.changes.push(change(&x, 5, 0));
    let outcome = store
        .store_push(&tablet, vec![overlapping], later(2))
        .await
        .unwrap();
    assert_eq!(
        outcome.docs[0].stored,
        [change(&x, 4, 0).hash, change(&x, 5, 0).hash]
    );
    assert_eq!(outcome.docs[0].skipped, 3);
    assert_eq!(store.feed_head().await.unwrap(), 6);
    let receipts = store.receipts(&tablet).await.unwrap();
    assert_eq!(
        receipts
            .iter()
            .map(|r| (r.changes, r.stored))
            .collect::<Vec<_>>(),
        [(4, 4), (4, 0), (5, 2)]
    );
}

pub async fn only_enrolled_devices_not_lost_may_push<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let station = add_org(&store, "station").await;
    let (retired, lost) = (
        enrol(&store, &station, "retired").await,
        enrol(&store, &station, "lost").await,
    );
    let stranger = new_device("stranger").id;
    let push = |doc: &str| vec![changes(&doc_id(doc), 0, 1)];

    let error = store
        .store_push(&stranger, push("s"), NOW)
        .await
        .unwrap_err();
    assert!(
        matches!(error, HubStoreError::UnknownDevice(ref d) if *d == stranger),
        "{error}"
    );

    store.revoke(&retired, false).await.unwrap();
    store.revoke(&lost, true).await.unwrap();
    // A retired device hands in what it holds before it wipes, page by page
    // in one last sync, and nothing once its hour for that is over.
    store.store_push(&retired, push("r"), NOW).await.unwrap();
    let later = Timestamp(NOW.0 + 60_000);
    store.store_push(&retired, push("q"), later).await.unwrap();
    let over = Timestamp(NOW.0 + 3_600_000);
    let error = store
        .store_push(&retired, push("p"), over)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "device_revoked");
    assert_eq!(
        store.hand_in(&retired, over).await.unwrap_err().code(),
        "device_revoked"
    );
    assert!(
        store
            .device(&retired)
            .await
            .unwrap()
            .unwrap()
            .handed_in_at
            .is_some()
    );
    let error = store.store_push(&lost, push("l"), NOW).await.unwrap_err();
    assert!(
        matches!(error, HubStoreError::DeviceRevoked(ref d) if *d == lost),
        "{error}"
    );
    assert_eq!(store.feed_head().await.unwrap(), 2);
    assert_eq!(
        store.device(&lost).await.unwrap().unwrap().status,
        DeviceStatus::RevokedLost
    );
}

pub async fn an_empty_push_is_received_and_stores_nothing<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let station = add_org(&store, "station").await;
    let tablet = enrol(&store, &station, "tablet").await;
    let outcome = store
        .store_push(&tablet, Vec::<PushedDoc>::new(), NOW)
        .await
        .unwrap();
    assert_eq!((outcome.docs.len(), outcome.last_position), (0, None));
    assert_eq!(store.feed_head().await.unwrap(), 0);
    assert_eq!(store.receipts(&tablet).await.unwrap().len(), 1);
}
