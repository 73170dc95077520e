//! Care circles: an organisation reads only the charts shared with it, and
//! sharing and unsharing reach it as feed events after its cursor.

use karte_hub::{CircleEvent, FeedEntry, HubStore, HubStoreError};

use crate::backend::{Backend, fresh};
use crate::support::*;

pub async fn an_org_never_reads_another_orgs_charts<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let (a, b) = (add_org(&store, "a").await, add_org(&store, "b").await);
    let (tablet_a, tablet_b) = (enrol(&store, &a, "ta").await, enrol(&store, &b, "tb").await);
    let (xa, xb) = (doc_id("xa"), doc_id("xb"));
    store
        .store_push(&tablet_a, vec![changes(&xa, 0, 3)], NOW)
        .await
        .unwrap();
    store
        .store_push(&tablet_b, vec![changes(&xb, 0, 2)], NOW)
        .await
        .unwrap();
    store
        .store_push(&tablet_a, vec![changes(&xa, 3, 5)], NOW)
        .await
        .unwrap();

    let (seen_by_a, cursor_a, _) = read_all(&store, &a, 0, 1 << 20).await;
    let (seen_by_b, cursor_b, _) = read_all(&store, &b, 0, 1 << 20).await;
    assert!(seen_by_a.iter().all(|e| *e.doc() == xa) && seen_by_a.len() == 5);
    assert!(seen_by_b.iter().all(|e| *e.doc() == xb) && seen_by_b.len() == 2);
    // Both cursors reach the head: nothing below it is left for either.
    assert_eq!((cursor_a, cursor_b), (7, 7));
    let stranger = add_org(&store, "c").await;
    let page = store.read_feed(&stranger, 0, 1 << 20).await.unwrap();
    assert_eq!(
        (page.entries.len(), page.next_cursor, page.more),
        (0, 7, false)
    );
}

pub async fn sharing_and_unsharing_reach_the_org_after_its_cursor<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let (a, b) = (add_org(&store, "a").await, add_org(&store, "b").await);
    let (tablet_a, tablet_b) = (enrol(&store, &a, "ta").await, enrol(&store, &b, "tb").await);
    let x = doc_id("x");
    store
        .store_push(&tablet_a, vec![changes(&x, 0, 3)], NOW)
        .await
        .unwrap();
    let (_, cursor_b, _) = read_all(&store, &b, 0, 1 << 20).await;
    assert_eq!(cursor_b, 3);

    let shared_at = store.share(&x, &b, later(1)).await.unwrap().unwrap();
    assert_eq!(shared_at, 4);
    assert_eq!(
        store.share(&x, &b, later(2)).await.unwrap(),
        None,
        "already shared: no event"
    );
    assert_eq!(
        store.doc(&x).await.unwrap().unwrap().circle,
        vec![a.clone(), b.clone()]
    );
    let (entries, cursor_b, _) = read_all(&store, &b, cursor_b, 1 << 20).await;
    assert_eq!(
        entries,
        [FeedEntry::Shared {
            position: 4,
            doc: x.clone()
        }]
    );

    // B's device may now write to the chart, and both read what the other wrote.
    store
        .store_push(&tablet_b, vec![changes(&x, 3, 4)], later(3))
        .await
        .unwrap();
    store
        .store_push(&tablet_a, vec![changes(&x, 4, 5)], later(3))
        .await
        .unwrap();
    let (entries, cursor_b, _) = read_all(&store, &b, cursor_b, 1 << 20).await;
    assert_eq!(
        hashes(&entries),
        [change(&x, 3, 0).hash, change(&x, 4, 0).hash]
    );
    // A sees neither the share event (it is addressed to B) nor anything twice.
    let (entries_a, _, _) = read_all(&store, &a, 0, 1 << 20).await;
    assert_eq!(hashes(&entries_a).len(), 5);
    assert!(entries_a.iter().all(|e| matches!(e, FeedEntry::Change(_))));

    let unshared_at = store.unshare(&x, &b, later(4)).await.unwrap().unwrap();
    assert_eq!(
        store.unshare(&x, &b, later(4)).await.unwrap(),
        None,
        "not shared: no event"
    );
    store
        .store_push(&tablet_a, vec![changes(&x, 5, 6)], later(5))
        .await
        .unwrap();
    let (entries, _, _) = read_all(&store, &b, cursor_b, 1 << 20).await;
    assert_eq!(
        entries,
        [FeedEntry::Unshared {
            position: unshared_at,
            doc: x.clone()
        }]
    );
    // Answered up to the unshare, the station's tablet may write no more.
    store.note_served(&tablet_b, unshared_at).await.unwrap();
    let error = store
        .store_push(&tablet_b, vec![changes(&x, 6, 7)], later(6))
        .await
        .unwrap_err();
    assert!(
        matches!(error, HubStoreError::OutsideCircle { .. }),
        "{error}"
    );
}

pub async fn the_owner_stays_in_the_circle<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let a = add_org(&store, "a").await;
    let tablet = enrol(&store, &a, "ta").await;
    let x = doc_id("x");
    store
        .store_push(&tablet, vec![changes(&x, 0, 1)], NOW)
        .await
        .unwrap();
    let error = store.unshare(&x, &a, NOW).await.unwrap_err();
    assert_eq!(error.code(), "owner_cannot_leave");
    let error = store.share(&doc_id("nothing"), &a, NOW).await.unwrap_err();
    assert_eq!(error.code(), "unknown_doc");
    let error = store.share(&x, &org_id("nobody"), NOW).await.unwrap_err();
    assert_eq!(error.code(), "unknown_org");
    assert_eq!(store.feed_head().await.unwrap(), 1);
}

pub async fn what_a_device_wrote_before_it_was_told_of_an_unshare_is_kept<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let (a, b) = (add_org(&store, "a").await, add_org(&store, "b").await);
    let (tablet_a, tablet_b) = (enrol(&store, &a, "ta").await, enrol(&store, &b, "tb").await);
    let x = doc_id("x");
    store
        .store_push(&tablet_a, vec![changes(&x, 0, 2)], NOW)
        .await
        .unwrap();
    store.share(&x, &b, NOW).await.unwrap();
    let told = store.feed_head().await.unwrap();
    let unshared_at = store.unshare(&x, &b, later(1)).await.unwrap().unwrap();
    for (org, event, after, expected) in [
        (&b, CircleEvent::Unshared, told, true),
        (&b, CircleEvent::Unshared, unshared_at, false),
        (&a, CircleEvent::Unshared, 0, false),
        (&b, CircleEvent::Shared, told - 1, true),
        (&b, CircleEvent::Shared, told, false),
    ] {
        let found = store.circle_event_after(&x, org, event, after).await;
        assert_eq!(found.unwrap(), expected, "{event:?} after {after}");
    }

    // Answered up to the unshare, the device may not write to the chart.
    store.note_served(&tablet_b, unshared_at).await.unwrap();
    let error = store
        .store_push(&tablet_b, vec![changes(&x, 2, 3)], later(2))
        .await
        .unwrap_err();
    assert!(
        matches!(error, HubStoreError::OutsideCircle { .. }),
        "{error}"
    );
    // Answered up to before it, what it wrote is kept, and only the owner
    // reads it. (What the hub answered only grows: a fresh device stands
    // for the one not yet told.)
    let tablet_c = enrol(&store, &b, "tc").await;
    store.note_served(&tablet_c, told).await.unwrap();
    store.note_served(&tablet_c, told - 1).await.unwrap();
    assert_eq!(
        store.device(&tablet_c).await.unwrap().unwrap().served_up_to,
        told
    );
    let outcome = store
        .store_push(&tablet_c, vec![changes(&x, 2, 3)], later(2))
        .await
        .unwrap();
    assert_eq!(outcome.docs[0].stored, [change(&x, 2, 0).hash]);
    let (seen_by_a, _, _) = read_all(&store, &a, 0, 1 << 20).await;
    assert_eq!(hashes(&seen_by_a).len(), 3);
    let (seen_by_b, _, _) = read_all(&store, &b, unshared_at, 1 << 20).await;
    assert!(seen_by_b.is_empty(), "{seen_by_b:?}");
}
