//! Sync over HTTP between devices through the hub: pushes and pulls, the
//! first sync of a fresh device, paging, idempotence, the steady state, and
//! what a retired device is told.

use std::collections::BTreeSet;

use karte_hub::{DeviceStatus, HubConfig, HubStore};
use karte_sync::{Payload, QuarantineReport, SyncRequest, WipeOrder};
use karte_types::PatientId;

use crate::backend::Backend;
use crate::harness::TestHub;
use crate::support::MINUTE;

pub async fn two_devices_of_one_org_converge<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut sato = hub.enrol(&org.id, "sato").await;
    let mut suzuki = hub.enrol(&org.id, "suzuki").await;

    let x = sato.create_chart("x");
    sato.record_visit(&x, 72);
    sato.record_visit(&x, 75);
    let pushed = sato.sync(&hub).await;
    assert_eq!(pushed.responses.len(), 1);
    let first = &pushed.responses[0];
    assert_eq!(first.acked.len(), 1);
    let mut acked: Vec<_> = first.acked[0]
        .heads
        .iter()
        .map(|h| automerge::ChangeHash(*h))
        .collect();
    acked.sort();
    assert_eq!(acked, sato.heads(&x));
    assert!(
        first.updates.is_empty(),
        "a device is not sent back what it just pushed: {:?}",
        first.updates
    );
    assert_eq!(hub.heads(&x).await, sato.heads(&x));

    // The other nurse's tablet has never had the chart: it comes whole.
    let pulled = suzuki.sync(&hub).await;
    let update = &pulled.responses[0].updates[0];
    assert!(matches!(update.payload, Payload::Snapshot(_)), "{update:?}");
    assert!(update.signatures.is_empty());
    assert_eq!(suzuki.heads(&x), sato.heads(&x));
    assert!(hub.store.snapshot(&x).await.unwrap().is_some());

    // Her visit reaches the first tablet as a change, signed.
    suzuki.record_visit(&x, 80);
    suzuki.sync(&hub).await;
    let back = sato.sync(&hub).await;
    let update = &back.responses[0].updates[0];
    let Payload::Changes(changes) = &update.payload else {
        panic!("a chart the device has comes as changes: {update:?}");
    };
    assert_eq!((changes.len(), update.signatures.len()), (1, 1));
    assert_eq!(update.signatures[0].device, suzuki.id);
    let signer = &back.responses[0].signers;
    assert_eq!(signer.len(), 1);
    assert_eq!(
        (&signer[0].device, signer[0].public_key),
        (&suzuki.id, suzuki.key.public_key())
    );
    karte_sync::verify_change_signature(&update.signatures[0], &signer[0].public_key).unwrap();
    assert_eq!(sato.heads(&x), suzuki.heads(&x));
    assert_eq!(hub.heads(&x).await, sato.heads(&x));
    assert_eq!(
        sato.charts[&x].view().unwrap(),
        suzuki.charts[&x].view().unwrap()
    );

    // The hub keeps who sent what, and the audit head each reported.
    let receipts = hub.store.receipts(&suzuki.id).await.unwrap();
    assert_eq!(
        (receipts.len(), receipts[0].stored, receipts[0].docs.clone()),
        (1, 1, vec![x.clone()])
    );
    let device = hub.store.device(&suzuki.id).await.unwrap().unwrap();
    assert_eq!(device.audit_head.map(|h| h.seq), Some(7));
    assert_eq!(device.last_seen, Some(hub.now()));
}

pub async fn nothing_changed_is_one_small_round_trip<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    for name in ["a", "b", "c"] {
        let doc = tablet.create_chart(name);
        tablet.record_visit(&doc, 70);
    }
    tablet.sync(&hub).await;
    let cursor = tablet.cursor;

    let quiet = tablet.sync(&hub).await;
    assert_eq!(quiet.responses.len(), 1);
    let response = &quiet.responses[0];
    assert!(response.updates.is_empty() && response.acked.is_empty() && !response.more);
    assert_eq!(response.cursor, cursor);
    assert!(
        quiet.sent + quiet.received < 1024,
        "{} bytes sent, {} received",
        quiet.sent,
        quiet.received
    );

    // Contact is noted to the minute: a quiet sync within it writes nothing.
    let id = tablet.id.clone();
    let last_seen = || async {
        let device = hub.store.device(&id).await.unwrap().unwrap();
        device.last_seen.unwrap()
    };
    let noted = last_seen().await;
    hub.clock.advance(MINUTE / 2);
    tablet.sync(&hub).await;
    assert_eq!(last_seen().await, noted);
    hub.clock.advance(MINUTE);
    tablet.sync(&hub).await;
    assert_eq!(last_seen().await, hub.now());
}

pub async fn the_same_request_twice_changes_nothing_the_second_time<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let x = tablet.create_chart("x");
    tablet.record_visit(&x, 70);
    let request = tablet.request(tablet.pushes());

    let first = hub
        .post_sync(tablet.envelope(&request, hub.now()))
        .await
        .response();
    let head = hub.store.feed_head().await.unwrap();
    // The same body again, as a retry after a lost answer sends it: signed
    // anew, with a fresh nonce.
    let second = hub
        .post_sync(tablet.envelope(&request, hub.now()))
        .await
        .response();
    assert_eq!(hub.store.feed_head().await.unwrap(), head);
    assert_eq!(first.acked, second.acked);
    assert_eq!(first.cursor, second.cursor);
    let receipts = hub.store.receipts(&tablet.id).await.unwrap();
    assert_eq!(
        receipts
            .iter()
            .map(|r| (r.changes, r.stored))
            .collect::<Vec<_>>(),
        [(2, 2), (2, 0)]
    );
}

pub async fn a_fresh_device_pages_through_charts_sent_whole<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut writer = hub.enrol(&org.id, "writer").await;
    let mut docs = BTreeSet::new();
    for i in 0..12 {
        let doc = writer.create_chart(&format!("p{i}"));
        for pulse in 60..63 {
            writer.record_visit(&doc, pulse);
        }
        docs.insert(doc);
    }
    writer.sync(&hub).await;
    hub.arrivals_settled().await;

    let mut fresh = hub.enrol(&org.id, "fresh").await;
    fresh.max_response_bytes = 6_000;
    let synced = fresh.sync(&hub).await;
    let pages = synced.responses.len();
    assert!(pages >= 3, "{pages} pages");
    assert!(synced.responses[..pages - 1].iter().all(|r| r.more));
    let mut seen = Vec::new();
    let mut resumed = Vec::new();
    for response in &synced.responses {
        for update in &response.updates {
            assert!(matches!(update.payload, Payload::Snapshot(_)));
            // Filed without loading: the harness checks the digest against
            // the chart.
            assert!(update.digest.is_some(), "{} without a digest", update.doc);
            seen.push(update.doc.clone());
        }
        resumed.extend(response.resume_after.clone());
        assert_eq!(response.cursor, synced.responses[0].cursor, "one head");
    }
    assert_eq!(resumed.len(), pages - 1, "every page but the last resumes");
    assert!(resumed.windows(2).all(|w| w[0] < w[1]), "{resumed:?}");
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "in id order: {seen:?}"
    );
    assert_eq!(seen.len(), docs.len(), "each chart comes once: {seen:?}");
    assert_eq!(fresh.charts.keys().cloned().collect::<BTreeSet<_>>(), docs);
    for doc in &docs {
        assert_eq!(fresh.heads(doc), writer.heads(doc));
    }
    assert_eq!(fresh.cursor, hub.store.feed_head().await.unwrap());

    // Later changes to charts it has come as changes, page by page too.
    for doc in &docs {
        writer.record_visit(doc, 90);
    }
    writer.sync(&hub).await;
    fresh.max_response_bytes = 3_000;
    let synced = fresh.sync(&hub).await;
    assert!(synced.responses.len() >= 2, "{}", synced.responses.len());
    for response in &synced.responses {
        for update in &response.updates {
            assert!(matches!(update.payload, Payload::Changes(_)), "{update:?}");
        }
    }
    for doc in &docs {
        assert_eq!(fresh.heads(doc), writer.heads(doc));
    }
}

pub async fn a_retired_device_hands_in_its_changes_then_wipes<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut old = hub.enrol(&org.id, "old").await;
    let mut other = hub.enrol(&org.id, "other").await;
    let shared = other.create_chart("shared");
    other.sync(&hub).await;
    let x = old.create_chart("x");
    old.record_visit(&x, 70);
    let heads = old.heads(&x);

    hub.store.revoke(&old.id, false).await.unwrap();
    let synced = old.sync(&hub).await;
    let response = &synced.responses[0];
    assert_eq!(response.wipe, Some(WipeOrder::Retired));
    assert_eq!(response.acked.len(), 1);
    assert!(
        response.updates.is_empty(),
        "a retiring device is sent nothing"
    );
    assert!(old.wiped);
    assert_eq!(hub.heads(&x).await, heads);

    other.sync(&hub).await;
    assert_eq!(other.heads(&x), heads);
    assert!(other.charts.contains_key(&shared));
    let device = hub.store.device(&old.id).await.unwrap().unwrap();
    assert_eq!(device.status, DeviceStatus::Revoked);
}

pub async fn a_chart_pushed_with_a_long_history_is_cached_whole<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let short = tablet.create_chart("short");
    let long = tablet.create_chart("long");
    for pulse in 60..80 {
        tablet.record_visit(&long, pulse);
    }
    tablet.sync(&hub).await;

    assert!(hub.store.snapshot(&short).await.unwrap().is_none());
    let cached = hub.store.snapshot(&long).await.unwrap().unwrap();
    let history = hub.store.doc_changes(&long, 0).await.unwrap();
    assert_eq!(cached.up_to, history.last().unwrap().position);
    let mut heads = automerge::Automerge::load(&cached.bytes)
        .unwrap()
        .get_heads();
    heads.sort();
    assert_eq!(heads, tablet.heads(&long));
}

/// Regression: a page that filled up in the middle of a chart sent whole
/// ended its cursor there, and the next page sent the rest of that chart's
/// history again, change by change, though the chart had come whole.
pub async fn a_chart_sent_whole_never_comes_again_on_a_later_page<B: Backend>() {
    no_chart_comes_twice(TestHub::<B>::start().await).await;
    // A hub that reads the feed only once a response, and so must end it
    // after the changes of the charts it took whole.
    let config = HubConfig {
        max_feed_reads: 1,
        ..HubConfig::default()
    };
    no_chart_comes_twice(TestHub::<B>::start_with(config).await).await;
}

async fn no_chart_comes_twice<B: Backend>(hub: TestHub<B>) {
    let (org, _) = hub.add_org("station").await;
    let mut writer = hub.enrol(&org.id, "writer").await;
    let mut docs = BTreeSet::new();
    for i in 0..6 {
        let doc = writer.create_chart(&format!("p{i}"));
        for pulse in 60..90 {
            writer.record_visit(&doc, pulse);
        }
        docs.insert(doc);
    }
    writer.sync(&hub).await;

    for page in (1_000..12_000).step_by(700) {
        let mut fresh = hub.enrol(&org.id, &format!("fresh{page}")).await;
        fresh.max_response_bytes = page;
        let synced = fresh.sync(&hub).await;
        let mut seen = Vec::new();
        for response in &synced.responses {
            for update in &response.updates {
                assert!(
                    matches!(update.payload, Payload::Snapshot(_)),
                    "pages of {page} B: chart {} came again as changes",
                    update.doc
                );
                seen.push(update.doc.clone());
            }
        }
        assert_eq!(seen.len(), docs.len(), "pages of {page} B: {seen:?}");
        for doc in &docs {
            assert_eq!(fresh.heads(doc), writer.heads(doc));
        }
        assert_eq!(fresh.cursor, hub.store.feed_head().await.unwrap());
    }
}

/// A first sync interrupted between pages goes on where it stopped, and
/// what was written meanwhile, to charts sent and charts not yet sent,
/// reaches the device once.
pub async fn an_interrupted_first_sync_resumes_and_misses_nothing_written_meanwhile<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut writer = hub.enrol(&org.id, "writer").await;
    let docs: Vec<PatientId> = (0..8)
        .map(|i| {
            let doc = writer.create_chart(&format!("p{i}"));
            writer.record_visit(&doc, 60);
            doc
        })
        .collect();
    writer.sync(&hub).await;
    let mut sorted = docs.clone();
    sorted.sort();

    let mut fresh = hub.enrol(&org.id, "fresh").await;
    fresh.max_response_bytes = 3_000;
    let request = fresh.request(Vec::new());
    let envelope = fresh.envelope(&request, hub.now());
    let first = hub.post_sync(envelope).await.response();
    assert!(first.more);
    let last_sent = first.resume_after.clone().expect("the first sync goes on");
    fresh.apply(&first);
    let head = fresh.cursor;

    // Written while the device was away: a chart it has, one it has not,
    // and a new chart.
    let (sent, unsent) = (&sorted[0], sorted.last().unwrap());
    assert!(sent <= &last_sent && unsent > &last_sent);
    writer.record_visit(sent, 91);
    writer.record_visit(unsent, 92);
    let new = writer.create_chart("new");
    writer.sync(&hub).await;

    let rest = fresh.sync(&hub).await;
    let mut whole = Vec::new();
    for response in &rest.responses {
        for update in &response.updates {
            if matches!(update.payload, Payload::Snapshot(_)) {
                whole.push(update.doc.clone());
            }
        }
    }
    assert!(
        !whole.contains(sent),
        "a chart sent whole is not sent again"
    );
    assert_eq!(whole.iter().filter(|d| *d == unsent).count(), 1);
    for doc in sorted.iter().chain([&new]) {
        assert_eq!(fresh.heads(doc), writer.heads(doc), "{doc}");
    }
    assert!(fresh.cursor > head);
    assert_eq!(fresh.resume_after, None);
    assert_eq!(fresh.cursor, hub.store.feed_head().await.unwrap());

    // A first sync as of a position this hub never gave, or going on after
    // something that is not a chart id, is refused before anything the
    // request carries is stored.
    let mut stray = hub.enrol(&org.id, "stray").await;
    let own = stray.create_chart("own");
    let before = hub.stored(&[&stray]).await;
    let beyond = fresh.cursor + 1_000;
    for (cursor, after) in [
        (beyond, sorted[0].clone()),
        (0, sorted[0].clone()),
        (fresh.cursor, PatientId::from("../etc")),
    ] {
        stray.cursor = cursor;
        stray.resume_after = Some(after.clone());
        let request = stray.request(stray.pushes());
        assert_eq!(request.pushes.len(), 1, "the request carries a push");
        let envelope = stray.envelope(&request, hub.now());
        assert_eq!(
            hub.post_sync(envelope).await.refusal(),
            (400, "malformed".to_owned()),
            "{cursor} after {after}"
        );
    }
    assert_eq!(hub.stored(&[&stray]).await, before);
    assert!(hub.store.doc(&own).await.unwrap().is_none());
}

/// A first sync's page is planned from the sizes of cached snapshots; a
/// chart saved just then, larger than its cached snapshot, ends the page
/// early rather than overfilling it.
pub async fn a_first_sync_page_ends_where_charts_saved_just_now_fill_it<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut writer = hub.enrol(&org.id, "writer").await;
    let docs: Vec<PatientId> = (0..4)
        .map(|i| {
            let doc = writer.create_chart(&format!("p{i}"));
            for pulse in 60..80 {
                writer.record_visit(&doc, pulse);
            }
            doc
        })
        .collect();
    writer.sync(&hub).await;
    let mut cached = 0;
    for doc in &docs {
        let snapshot = hub.store.snapshot(doc).await.unwrap();
        cached = cached.max(snapshot.expect("a long history is cached").bytes.len());
    }
    // Too few changes to cache again: the cached snapshots grow stale.
    for doc in &docs {
        for pulse in 90..105 {
            writer.record_visit(doc, pulse);
        }
    }
    writer.sync(&hub).await;
    for doc in &docs {
        let snapshot = hub.store.snapshot(doc).await.unwrap().unwrap();
        assert!(snapshot.bytes.len() <= cached, "still the older snapshot");
    }

    let mut fresh = hub.enrol(&org.id, "fresh").await;
    let budget = 3 * (cached + 96);
    fresh.max_response_bytes = u32::try_from(budget).unwrap();
    let synced = fresh.sync(&hub).await;
    let mut seen = Vec::new();
    for response in &synced.responses {
        let bytes: usize = response
            .updates
            .iter()
            .map(|update| match &update.payload {
                Payload::Snapshot(saved) => saved.len(),
                Payload::Changes(_) => panic!("a first sync sends charts whole"),
            })
            .sum();
        assert!(
            response.updates.len() <= 1 || bytes <= budget,
            "{bytes} B in a page of {budget} B"
        );
        seen.extend(response.updates.iter().map(|update| update.doc.clone()));
    }
    assert!(
        synced.responses[0].updates.len() < 3,
        "planned for three or more, cut short"
    );
    let mut expected = docs.clone();
    expected.sort();
    assert_eq!(seen, expected, "each chart once, in id order");
    for doc in &docs {
        assert_eq!(fresh.heads(doc), writer.heads(doc));
    }
}

/// Issue 11, item 3: a retired device hands in its own work in one final
/// request, may share nothing in it, and is refused from then on.
pub async fn a_retired_device_pushes_once_shares_nothing_then_is_refused<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let (clinic, _) = hub.add_org("clinic").await;
    let mut old = hub.enrol(&org.id, "old").await;
    let x = old.create_chart("x");
    old.sync(&hub).await;
    old.record_visit(&x, 70);
    let heads = old.heads(&x);
    hub.store.revoke(&old.id, false).await.unwrap();

    // Its shares are refused, and nothing of the request is kept.
    let before = hub.stored(&[&old]).await;
    let request = SyncRequest {
        shares: vec![(x.clone(), clinic.id.0.clone())],
        ..old.request(old.pushes())
    };
    let answer = hub.post_sync(old.envelope(&request, hub.now())).await;
    assert_eq!(answer.refusal(), (403, "device_revoked".to_owned()));
    assert_eq!(hub.stored(&[&old]).await, before);
    assert_eq!(
        hub.store.doc(&x).await.unwrap().unwrap().circle,
        std::slice::from_ref(&org.id)
    );

    // Its own work, once.
    let request = old.request(old.pushes());
    let response = hub
        .post_sync(old.envelope(&request, hub.now()))
        .await
        .response();
    assert_eq!(response.wipe, Some(WipeOrder::Retired));
    assert_eq!(hub.heads(&x).await, heads);

    // A device hands in in pages: its next page, in the same sync, is
    // taken too, and its shares still are not.
    old.record_visit(&x, 71);
    let heads = old.heads(&x);
    let request = old.request(old.pushes());
    let response = hub
        .post_sync(old.envelope(&request, hub.now()))
        .await
        .response();
    assert_eq!(response.wipe, Some(WipeOrder::Retired));
    assert_eq!(hub.heads(&x).await, heads);

    // Then, once the hand-in window is over, nothing: not the same push
    // again, not a new change, not an empty request.
    hub.clock.advance(std::time::Duration::from_secs(3600));
    let after = hub.stored(&[&old]).await;
    old.record_visit(&x, 72);
    for request in [
        request.clone(),
        old.request(old.pushes()),
        old.request(Vec::new()),
    ] {
        let answer = hub.post_sync(old.envelope(&request, hub.now())).await;
        assert_eq!(answer.refusal(), (403, "device_revoked".to_owned()));
    }
    assert_eq!(hub.stored(&[&old]).await, after);
    assert_eq!(hub.heads(&x).await, heads);

    // A retired device with nothing to hand in has its one contact too.
    let mut idle = hub.enrol(&org.id, "idle").await;
    idle.sync(&hub).await;
    hub.store.revoke(&idle.id, false).await.unwrap();
    let synced = idle.sync(&hub).await;
    assert_eq!(synced.responses[0].wipe, Some(WipeOrder::Retired));
    hub.clock.advance(std::time::Duration::from_secs(3600));
    let answer = hub
        .post_sync(idle.envelope(&idle.request(Vec::new()), hub.now()))
        .await;
    assert_eq!(answer.refusal(), (403, "device_revoked".to_owned()));
}

/// Issue 11, item 1: a device that meets a chart it cannot apply keeps it
/// in quarantine and tells the hub; the administrator sees the latest list
/// of each device, per organisation, and nothing a device sends there is
/// free text.
pub async fn the_charts_a_device_keeps_in_quarantine_are_listed_per_organisation<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (station, _) = hub.add_org("station").await;
    let (clinic, _) = hub.add_org("clinic").await;
    let mut tablet = hub.enrol(&station.id, "tablet").await;
    hub.enrol(&clinic.id, "laptop").await;
    let report = |doc: &str, reason: &str| QuarantineReport {
        doc: PatientId::from(doc),
        reason: reason.to_owned(),
        since_ms: 1_700_000_000_000,
    };
    let send = async |tablet: &mut crate::harness::TestDevice, list| {
        let request = SyncRequest {
            quarantined: list,
            ..tablet.request(Vec::new())
        };
        hub.post_sync(tablet.envelope(&request, hub.now())).await
    };
    let answer = send(
        &mut tablet,
        Some(vec![
            report("x", "forbidden_change"),
            report("y", "forged_change"),
        ]),
    )
    .await;
    answer.response();
    let listed = hub.store.quarantined(Some(&station.id)).await.unwrap();
    let seen: Vec<_> = listed
        .iter()
        .map(|q| (q.device.clone(), q.doc.as_str(), q.reason.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (tablet.id.clone(), "x", "forbidden_change"),
            (tablet.id.clone(), "y", "forged_change")
        ]
    );
    assert_eq!(listed[0].since.0, 1_700_000_000_000);
    assert!(
        hub.store
            .quarantined(Some(&clinic.id))
            .await
            .unwrap()
            .is_empty()
    );

    // No list means no news; a new list replaces the last.
    send(&mut tablet, None).await.response();
    assert_eq!(hub.store.quarantined(None).await.unwrap().len(), 2);
    send(&mut tablet, Some(vec![report("y", "forged_change")]))
        .await
        .response();
    let listed = hub.store.quarantined(None).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].org.clone(), listed[0].doc.as_str()),
        (station.id.clone(), "y")
    );

    // A reason that is no error code is refused, and the list stays.
    let answer = send(&mut tablet, Some(vec![report("z", "Yamada Taro")])).await;
    assert_eq!(answer.refusal().0, 400);
    assert_eq!(hub.store.quarantined(None).await.unwrap().len(), 1);
    send(&mut tablet, Some(Vec::new())).await.response();
    assert!(hub.store.quarantined(None).await.unwrap().is_empty());
}
