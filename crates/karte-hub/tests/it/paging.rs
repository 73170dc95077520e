//! Paging the feed: a small page size gives several pages whose union is
//! the whole feed, without duplicates, with the cursor only moving forward,
//! and never a change split.

use karte_hub::{FeedEntry, HubStore, PushedDoc};
use karte_types::PatientId;

use crate::backend::{Backend, fresh};
use crate::support::*;

pub async fn small_pages_add_up_to_the_whole_feed<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let (a, b) = (add_org(&store, "a").await, add_org(&store, "b").await);
    let (tablet_a, tablet_b) = (enrol(&store, &a, "ta").await, enrol(&store, &b, "tb").await);
    let (x, other) = (doc_id("x"), doc_id("other"));
    let mut pushed = Vec::new();
    // A's changes interleaved with B's, which A's pages must pass over.
    for round in 0..10 {
        let batch = PushedDoc {
            doc: x.clone(),
            changes: (round * 3..round * 3 + 3)
                .map(|n| change(&x, n, 1_000))
                .collect(),
        };
        pushed.extend(batch.changes.iter().map(|c| c.hash));
        store.store_push(&tablet_a, vec![batch], NOW).await.unwrap();
        store
            .store_push(&tablet_b, vec![changes(&other, round, round + 1)], NOW)
            .await
            .unwrap();
    }
    let head = store.feed_head().await.unwrap();

    let (entries, cursor, pages) = read_all(&store, &a, 0, 3_500).await;
    assert_eq!(hashes(&entries), pushed, "every change once, in order");
    assert!(pages >= 10, "{pages} pages");
    assert_eq!(cursor, head);
    for entry in &entries {
        let FeedEntry::Change(change) = entry else {
            panic!("{entry:?}")
        };
        assert_eq!(
            change.bytes.len(),
            change_size(&x, change),
            "changes arrive whole"
        );
    }

    // Resuming from any page boundary gives exactly the rest.
    let first = store.read_feed(&a, 0, 3_500).await.unwrap();
    assert!(first.more && !first.entries.is_empty());
    let (rest, _, _) = read_all(&store, &a, first.next_cursor, 3_500).await;
    assert_eq!(first.entries.len() + rest.len(), pushed.len());
    assert_eq!(hashes(&rest), pushed[first.entries.len()..]);

    // A page size of zero still moves one whole change at a time.
    let (entries, _, pages) = read_all(&store, &a, 0, 0).await;
    assert_eq!((entries.len(), pages), (30, 30));
}

fn change_size(doc: &karte_types::PatientId, feed_change: &karte_hub::FeedChange) -> usize {
    let n: u32 = String::from_utf8_lossy(&feed_change.bytes)
        .split(' ')
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("the change names its number");
    change(doc, n, 1_000).bytes.len()
}

pub async fn a_change_larger_than_a_page_comes_alone_and_whole<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let station = add_org(&store, "station").await;
    let tablet = enrol(&store, &station, "tablet").await;
    let x = doc_id("x");
    let big = change(&x, 0, 200_000);
    let small = change(&x, 1, 0);
    store
        .store_push(
            &tablet,
            vec![PushedDoc {
                doc: x.clone(),
                changes: vec![big.clone(), small.clone()],
            }],
            NOW,
        )
        .await
        .unwrap();
    let page = store.read_feed(&station, 0, 10_000).await.unwrap();
    assert_eq!(
        (page.entries.len(), page.next_cursor, page.more),
        (1, 1, true)
    );
    assert!(matches!(&page.entries[0], FeedEntry::Change(c) if c.bytes == big.bytes));
    let page = store.read_feed(&station, 1, 10_000).await.unwrap();
    assert_eq!(hashes(&page.entries), [small.hash]);
    assert!(!page.more);
}

pub async fn pages_span_many_planning_rounds<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let station = add_org(&store, "station").await;
    let tablet = enrol(&store, &station, "tablet").await;
    let x = doc_id("x");
    let pushed = changes(&x, 0, 1_300);
    let all: Vec<_> = pushed.changes.iter().map(|c| c.hash).collect();
    store.store_push(&tablet, vec![pushed], NOW).await.unwrap();

    let (entries, cursor, pages) = read_all(&store, &station, 0, 1 << 30).await;
    assert_eq!((hashes(&entries), cursor, pages), (all.clone(), 1_300, 1));
    // About 550 entries a page: each page crosses a planning round.
    let (entries, _, pages) = read_all(&store, &station, 0, 550 * 200).await;
    assert_eq!(hashes(&entries), all);
    assert_eq!(pages, 3);
    // A cursor beyond the head (a device ahead of a restored hub) stays put,
    // and the page says where the feed ends.
    let page = store.read_feed(&station, 5_000, 1 << 20).await.unwrap();
    assert_eq!(
        (page.entries.len(), page.next_cursor, page.more, page.head),
        (0, 5_000, false, 1_300)
    );
    let page = store.read_feed(&station, 0, 200).await.unwrap();
    assert_eq!((page.next_cursor, page.more, page.head), (1, true, 1_300));
}

/// A first sync's pages: every chart the organisation may see, in id order,
/// each once, across pages larger than one planning round, as of one head;
/// a chart the reading device wrote alone is left out.
pub async fn a_first_sync_pages_through_many_charts_in_id_order<B: Backend>() {
    let (_backend, store) = fresh::<B>().await;
    let station = add_org(&store, "station").await;
    let writer = enrol(&store, &station, "writer").await;
    let reader = enrol(&store, &station, "reader").await;
    let docs: Vec<PatientId> = (0..1_200)
        .rev()
        .map(|n| doc_id(&format!("c{n:04}")))
        .collect();
    let batch = docs.iter().map(|doc| changes(doc, 0, 2)).collect();
    store.store_push(&writer, batch, NOW).await.unwrap();
    store
        .store_push(&reader, vec![changes(&doc_id("own"), 0, 1)], NOW)
        .await
        .unwrap();
    let head = store.feed_head().await.unwrap();

    // No snapshot is cached: each chart is planned at a guessed size, so
    // this budget takes 600 charts a page, more than a planning round.
    let budget = 600 * ((16 << 10) + 96);
    let (mut seen, mut pages) = (Vec::new(), Vec::new());
    let mut at = (None, None);
    loop {
        let page = store
            .whole_charts(&station, &reader, at.0, at.1.as_ref(), budget)
            .await
            .unwrap();
        assert_eq!(page.head, head, "one head for the whole first sync");
        for chart in &page.charts {
            assert!(chart.snapshot.is_none());
            assert!(chart.last_change > 0 && chart.last_change <= head);
        }
        pages.push(page.charts.len());
        seen.extend(page.charts.into_iter().map(|chart| chart.doc));
        if !page.more {
            break;
        }
        at = (Some(head), seen.last().cloned());
    }
    let mut expected = docs.clone();
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(pages, [600, 600]);
}
