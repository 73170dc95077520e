//! The client's rounds against a hub in memory: devices converge, pages are
//! followed and each is durable before the next, an interrupted sync
//! resumes with nothing lost or sent twice, forged or unsigned changes are
//! set aside (quarantined) chart by chart, and wipe orders are obeyed.

use karte_sync::client::{
    AuditOutgoing, DeviceIdentity, FeedCursor, Outgoing, PageApplied, ReceivedPage, Replica,
    RequestStamps, SyncOptions, SyncSummary, Transport, sync,
};
use karte_sync::wire::Payload;
use karte_sync::{
    AuditHeadReport, ChangeSignature, DeviceKey, SignerKey, SyncError, SyncResponse,
    TransportError, WipeOrder, sign_change,
};
use karte_types::PatientId;
use ring::rand::SystemRandom;

use crate::mini_hub::{Device, Flaky, MiniHub, Tampering};

fn run(hub: &mut dyn Transport, device: &mut Device) -> Result<SyncSummary, SyncError> {
    let (key, id) = (device.key.clone(), device.id.clone());
    let identity = DeviceIdentity {
        key: &key,
        device: &id,
    };
    sync(hub, device, identity, SyncOptions::default(), &mut |_| {})
}

fn two_devices(hub: &mut MiniHub) -> (Device, Device) {
    let a = Device::new("佐藤", "01JTABLETA0000000000000000");
    let b = Device::new("田中", "01JTABLETB0000000000000000");
    hub.enrol(&a);
    hub.enrol(&b);
    (a, b)
}

#[test]
fn two_devices_converge_and_a_quiet_sync_is_one_small_round() {
    let mut hub = MiniHub::new(100);
    let (mut a, mut b) = two_devices(&mut hub);
    let chart = a.create_chart("01JCHART00000000000000000A");
    a.record_visit(&chart, 1);
    let first = run(&mut hub, &mut a).unwrap();
    assert_eq!((first.pushed_changes, first.pushed_charts), (2, 1));
    assert!(a.dirty.is_empty(), "acknowledged");

    let fresh = run(&mut hub, &mut b).unwrap();
    assert_eq!((fresh.received_whole, fresh.received_charts), (1, 1));
    assert_eq!(b.visits(&chart), 1);
    b.record_visit(&chart, 2);
    let pushed = run(&mut hub, &mut b).unwrap();
    assert_eq!(pushed.pushed_changes, 1, "only B's visit: {pushed}");

    let back = run(&mut hub, &mut a).unwrap();
    assert_eq!(a.visits(&chart), 2);
    assert_eq!(a.charts[&chart].heads(), b.charts[&chart].heads());
    assert_eq!(back.pushed_changes, 0);

    let quiet = run(&mut hub, &mut a).unwrap();
    assert_eq!(quiet.requests, 1);
    assert!(quiet.bytes_sent + quiet.bytes_received < 1024, "{quiet}");
}

#[test]
fn pages_are_followed_until_the_feed_is_exhausted() {
    let mut hub = MiniHub::new(2);
    let (mut a, mut b) = two_devices(&mut hub);
    let charts: Vec<PatientId> = (0..3)
        .map(|i| a.create_chart(&format!("01JCHART0000000000000000{i}A")))
        .collect();
    for (i, chart) in charts.iter().enumerate() {
        for n in 0..3 {
            a.record_visit(chart, (i * 10 + n) as u64 + 1);
        }
    }
    run(&mut hub, &mut a).unwrap();
    assert_eq!(hub.feed.len(), 12);

    let summary = run(&mut hub, &mut b).unwrap();
    assert_eq!((summary.requests, b.pages), (6, 6));
    assert_eq!(b.cursor, 12);
    for chart in &charts {
        assert_eq!(b.visits(chart), 3);
    }
}

#[test]
fn an_interrupted_sync_resumes_with_nothing_lost_or_sent_twice() {
    let mut hub = MiniHub::new(2);
    let (mut a, mut b) = two_devices(&mut hub);
    let chart = a.create_chart("01JCHART00000000000000000A");
    for n in 1..=9 {
        a.record_visit(&chart, n);
    }
    // The link breaks before the push: nothing is acknowledged, all stays to push.
    let error = run(
        &mut Flaky {
            hub: &mut hub,
            left: 0,
        },
        &mut a,
    )
    .unwrap_err();
    assert_eq!(error.code(), "hub_unreachable");
    assert!(a.dirty.contains(&chart));
    run(&mut hub, &mut a).unwrap();
    assert_eq!(hub.feed.len(), 10);

    // B's fresh sync breaks after three of five pages: those three are kept.
    let error = run(
        &mut Flaky {
            hub: &mut hub,
            left: 3,
        },
        &mut b,
    )
    .unwrap_err();
    assert!(matches!(
        error,
        SyncError::Transport(TransportError::Unreachable { .. })
    ));
    assert_eq!((b.cursor, b.pages), (6, 3));
    let resumed = run(&mut hub, &mut b).unwrap();
    assert_eq!(resumed.requests, 2, "only the pages not yet durable");
    assert_eq!(b.visits(&chart), 9);
    assert_eq!(b.charts[&chart].heads(), a.charts[&chart].heads());
    assert_eq!(hub.feed.len(), 10, "nothing stored twice");
}

#[test]
fn a_push_whose_answer_was_lost_is_sent_again_and_stored_once() {
    let mut hub = MiniHub::new(100);
    let (mut a, _) = two_devices(&mut hub);
    let chart = a.create_chart("01JCHART00000000000000000A");
    a.record_visit(&chart, 1);
    // The hub stores the push, then the answer is lost on the way back.
    hub.lose_next_answer = true;
    assert!(run(&mut hub, &mut a).is_err());
    assert_eq!(hub.feed.len(), 2);
    assert!(
        a.dirty.contains(&chart),
        "not acknowledged, so still to push"
    );
    let again = run(&mut hub, &mut a).unwrap();
    assert_eq!(again.pushed_changes, 2);
    assert_eq!(hub.feed.len(), 2, "the hub kept one copy");
    assert!(a.dirty.is_empty());
}

/// A hub with A's chart in it and a fresh device B about to sync.
fn hub_with_a_chart() -> (MiniHub, Device, Device) {
    let mut hub = MiniHub::new(100);
    let (mut a, b) = two_devices(&mut hub);
    let chart = a.create_chart("01JCHART00000000000000000A");
    run(&mut hub, &mut a).unwrap();
    a.record_visit(&chart, 1);
    run(&mut hub, &mut a).unwrap();
    (hub, a, b)
}

/// Syncs B once so that what follows comes change by change, then has A
/// add a visit: B's next sync receives it as a signed change.
fn b_expects_a_change(hub: &mut MiniHub, a: &mut Device, b: &mut Device) {
    run(hub, b).unwrap();
    let chart = PatientId::from("01JCHART00000000000000000A");
    a.record_visit(&chart, 2);
    run(hub, a).unwrap();
}

/// Runs B's sync through a link that tampers with the hub's answer: the
/// chart whose update fails the checks is set aside with the code of the
/// failure, nothing of it is applied, and the cursor moves on.
fn quarantined(tamper: impl FnMut(&mut SyncResponse) + 'static) -> String {
    let (mut hub, mut a, mut b) = hub_with_a_chart();
    b_expects_a_change(&mut hub, &mut a, &mut b);
    let chart = PatientId::from("01JCHART00000000000000000A");
    let visits = b.visits(&chart);
    let cursor = b.cursor;
    let mut link = Tampering {
        hub: &mut hub,
        tamper: Box::new(tamper),
    };
    run(&mut link, &mut b).unwrap();
    assert_eq!(b.visits(&chart), visits, "nothing of the chart was applied");
    assert!(b.cursor > cursor, "the cursor moved past the page");
    assert_eq!(b.quarantined.len(), 1, "{:?}", b.quarantined);
    b.quarantined
        .remove(&chart)
        .expect("the chart is set aside")
}

fn refused_whole(tamper: impl FnMut(&mut SyncResponse) + 'static) -> (SyncError, Device) {
    let (mut hub, mut a, mut b) = hub_with_a_chart();
    b_expects_a_change(&mut hub, &mut a, &mut b);
    let before = (b.cursor, b.visits(&"01JCHART00000000000000000A".into()));
    let mut link = Tampering {
        hub: &mut hub,
        tamper: Box::new(tamper),
    };
    let error = run(&mut link, &mut b).unwrap_err();
    let after = (b.cursor, b.visits(&"01JCHART00000000000000000A".into()));
    assert_eq!(before, after, "nothing of the page was applied");
    (error, b)
}

fn first_signature(response: &mut SyncResponse) -> &mut ChangeSignature {
    response
        .updates
        .iter_mut()
        .find_map(|u| u.signatures.first_mut())
        .expect("the page carries a signed change")
}

#[test]
fn a_forged_signature_quarantines_the_chart() {
    let reason = quarantined(|response| first_signature(response).signature[3] ^= 1);
    assert_eq!(reason, "forged_change");
}

#[test]
fn an_unsigned_change_quarantines_the_chart() {
    let reason = quarantined(|response| {
        for update in &mut response.updates {
            update.signatures.clear();
        }
    });
    assert_eq!(reason, "unsigned_change");
}

#[test]
fn a_signer_whose_key_the_hub_did_not_give_quarantines_the_chart() {
    let reason = quarantined(|response| response.signers.clear());
    assert_eq!(reason, "unknown_signer");
}

#[test]
fn a_change_signed_by_a_device_other_than_its_writer_quarantines_the_chart() {
    // A valid signature by device B over a change A wrote: B cannot vouch
    // for A's work, and nobody may pass A's changes off as B's.
    let (mut hub, mut a, mut b) = hub_with_a_chart();
    b_expects_a_change(&mut hub, &mut a, &mut b);
    let (impostor, _) = DeviceKey::generate(&SystemRandom::new()).unwrap();
    let impostor_id: karte_types::DeviceId = "01JIMPOSTOR000000000000000".into();
    let impostor_public = impostor.public_key();
    let mut link = Tampering {
        hub: &mut hub,
        tamper: Box::new(move |response| {
            for update in &mut response.updates {
                if let Payload::Changes(changes) = &update.payload {
                    let signed = sign_change(&impostor, &changes[0]).unwrap();
                    update.signatures = vec![signed.signature_of(&impostor_id)];
                }
            }
            response.signers.push(SignerKey {
                device: "01JIMPOSTOR000000000000000".into(),
                public_key: impostor_public,
            });
        }),
    };
    run(&mut link, &mut b).unwrap();
    let chart = PatientId::from("01JCHART00000000000000000A");
    assert_eq!(b.quarantined.get(&chart).unwrap(), "foreign_actor");
    assert_eq!(
        b.visits(&chart),
        1,
        "the impostor's page left the chart as it was"
    );
}

#[test]
fn a_hub_that_says_more_without_moving_is_not_followed_forever() {
    let (error, _) = refused_whole(|response| {
        response.more = true;
        response.cursor = 2;
    });
    assert_eq!(error.code(), "no_progress");
}

#[test]
fn a_lost_device_wipes_at_once_and_pushes_nothing() {
    let (mut hub, mut a, _) = hub_with_a_chart();
    let chart = PatientId::from("01JCHART00000000000000000A");
    a.record_visit(&chart, 5);
    let feed = hub.feed.len();
    hub.wipe.insert(a.id.clone(), WipeOrder::Lost);
    let summary = run(&mut hub, &mut a).unwrap();
    assert_eq!(summary.wiped, Some(WipeOrder::Lost));
    assert!(a.wiped && a.charts.is_empty());
    assert_eq!(hub.feed.len(), feed);
}

#[test]
fn a_retired_device_hands_in_what_it_has_then_wipes() {
    let (mut hub, mut a, _) = hub_with_a_chart();
    let chart = PatientId::from("01JCHART00000000000000000A");
    a.record_visit(&chart, 5);
    let feed = hub.feed.len();
    hub.wipe.insert(a.id.clone(), WipeOrder::Retired);
    let summary = run(&mut hub, &mut a).unwrap();
    assert_eq!(summary.wiped, Some(WipeOrder::Retired));
    assert_eq!(hub.feed.len(), feed + 1, "the last visit reached the hub");
    assert!(a.wiped);
}

#[test]
fn a_retired_device_keeps_its_vault_if_its_push_was_not_acknowledged() {
    let (mut hub, mut a, _) = hub_with_a_chart();
    let chart = PatientId::from("01JCHART00000000000000000A");
    a.record_visit(&chart, 5);
    hub.wipe.insert(a.id.clone(), WipeOrder::Retired);
    let mut link = Tampering {
        hub: &mut hub,
        tamper: Box::new(|response| response.acked.clear()),
    };
    let error = run(&mut link, &mut a).unwrap_err();
    assert_eq!(error.code(), "wipe_before_ack");
    assert!(!a.wiped);
    assert_eq!(a.visits(&chart), 2);
}

#[test]
fn review_items_a_merge_records_are_pushed_in_the_same_sync() {
    let mut hub = MiniHub::new(100);
    let (mut a, mut b) = two_devices(&mut hub);
    let chart = a.create_chart("01JCHART00000000000000000A");
    a.record_visit(&chart, 1);
    run(&mut hub, &mut a).unwrap();
    run(&mut hub, &mut b).unwrap();
    a.set_pulse(&chart, 1, 80);
    b.set_pulse(&chart, 1, 90);
    run(&mut hub, &mut a).unwrap();

    let summary = run(&mut hub, &mut b).unwrap();
    assert_eq!(summary.new_reviews, 1, "{summary}");
    assert_eq!(summary.requests, 2, "a second round pushed the review item");
    assert!(b.dirty.is_empty());
    run(&mut hub, &mut a).unwrap();
    assert_eq!(a.charts[&chart].heads(), b.charts[&chart].heads());
    assert_eq!(a.charts[&chart].view().unwrap().reviews.len(), 1);
}

#[test]
fn the_replica_is_given_the_page_after_checking_and_before_the_next_request() {
    // The cursor stored after each page is the hub's for that page: a
    // replica that records the pages sees them in feed order.
    struct Recording(Device, Vec<u64>);
    impl Replica for Recording {
        type Error = SyncError;
        fn cursor(&self) -> Result<FeedCursor, SyncError> {
            self.0.cursor()
        }
        fn audit_head(&self) -> Option<AuditHeadReport> {
            None
        }
        fn audit_outgoing(&mut self) -> Result<Option<AuditOutgoing>, SyncError> {
            Ok(None)
        }
        fn outgoing(&mut self) -> Result<Outgoing, SyncError> {
            self.0.outgoing()
        }
        fn apply_page(&mut self, page: ReceivedPage) -> Result<PageApplied, SyncError> {
            self.1.push(page.cursor.position);
            self.0.apply_page(page)
        }
        fn wipe(&mut self) -> Result<(), SyncError> {
            self.0.wipe()
        }
    }
    impl RequestStamps for Recording {
        fn now_ms(&mut self) -> i64 {
            self.0.now_ms()
        }
        fn nonce(&mut self) -> [u8; 16] {
            self.0.nonce()
        }
    }
    let mut hub = MiniHub::new(3);
    let (mut a, b) = two_devices(&mut hub);
    let chart = a.create_chart("01JCHART00000000000000000A");
    for n in 1..=6 {
        a.record_visit(&chart, n);
    }
    run(&mut hub, &mut a).unwrap();
    let (key, id) = (b.key.clone(), b.id.clone());
    let mut recording = Recording(b, Vec::new());
    sync(
        &mut hub,
        &mut recording,
        DeviceIdentity {
            key: &key,
            device: &id,
        },
        SyncOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(recording.1, [3, 6, 7]);
}

/// A device that made `charts` charts offline, each with a visit.
fn offline_device(hub: &mut MiniHub, charts: usize) -> Device {
    let (mut a, _) = two_devices(hub);
    for i in 0..charts {
        let chart = a.create_chart(&format!("01JCHART{i:018}"));
        a.record_visit(&chart, i as u64 + 1);
    }
    a
}

fn run_in_pages(
    hub: &mut dyn Transport,
    device: &mut Device,
    push_page_bytes: usize,
) -> Result<SyncSummary, SyncError> {
    let (key, id) = (device.key.clone(), device.id.clone());
    let identity = DeviceIdentity {
        key: &key,
        device: &id,
    };
    let options = SyncOptions {
        push_page_bytes,
        ..SyncOptions::default()
    };
    sync(hub, device, identity, options, &mut |_| {})
}

const SMALL_PAGE: usize = 24 << 10;

#[test]
fn a_large_push_goes_in_pages_each_acknowledged_before_the_next() {
    let mut hub = MiniHub::new(1_000_000);
    let mut a = offline_device(&mut hub, 200);
    let summary = run_in_pages(&mut hub, &mut a, SMALL_PAGE).unwrap();
    assert_eq!(summary.pushed_changes, 400);
    assert!(hub.push_requests >= 5, "{} pages", hub.push_requests);
    assert_eq!(summary.requests, hub.push_requests, "{summary}");
    assert_eq!(hub.feed.len(), 400);
    assert_eq!(hub.changes_received, 400, "each change sent once");
    assert!(a.dirty.is_empty(), "every chart acknowledged");
    assert!(
        a.pages >= hub.push_requests,
        "each page's answer made durable before the next"
    );
}

#[test]
fn a_push_cut_mid_way_resumes_without_sending_an_acknowledged_page_again() {
    let mut hub = MiniHub::new(1_000_000);
    let mut a = offline_device(&mut hub, 200);
    let error = run_in_pages(
        &mut Flaky {
            hub: &mut hub,
            left: 3,
        },
        &mut a,
        SMALL_PAGE,
    )
    .unwrap_err();
    assert_eq!(error.code(), "hub_unreachable");
    let (stored, received) = (hub.feed.len(), hub.changes_received);
    assert_eq!(stored, received, "three pages, each once");
    assert!(stored > 0 && stored < 400, "{stored}");
    let remaining_charts = a.dirty.len();
    assert_eq!(
        remaining_charts * 2,
        400 - stored,
        "acknowledged charts are clean"
    );

    let resumed = run_in_pages(&mut hub, &mut a, SMALL_PAGE).unwrap();
    assert_eq!(resumed.pushed_changes, 400 - stored, "{resumed}");
    assert_eq!(
        hub.changes_received, 400,
        "no acknowledged change sent again"
    );
    assert_eq!(hub.feed.len(), 400);
    assert!(a.dirty.is_empty());
}

#[test]
fn a_chart_cut_across_pages_is_acknowledged_only_with_its_last_page() {
    let mut hub = MiniHub::new(1_000_000);
    let (mut a, _) = two_devices(&mut hub);
    let chart = a.create_chart("01JCHART00000000000000000A");
    for n in 1..=40 {
        a.record_visit(&chart, n);
    }
    // Pages of a few changes: the chart's 41 changes take several.
    let error = run_in_pages(
        &mut Flaky {
            hub: &mut hub,
            left: 2,
        },
        &mut a,
        4 << 10,
    )
    .unwrap_err();
    assert_eq!(error.code(), "hub_unreachable");
    assert!(
        hub.feed.len() > 1 && hub.feed.len() < 41,
        "{}",
        hub.feed.len()
    );
    assert!(a.dirty.contains(&chart), "not all of it is at the hub");
    run_in_pages(&mut hub, &mut a, 4 << 10).unwrap();
    assert_eq!(hub.feed.len(), 41);
    assert!(a.dirty.is_empty());
}

#[test]
fn a_request_the_hub_finds_too_large_is_sent_again_in_smaller_pages() {
    let mut hub = MiniHub::new(1_000_000);
    let mut a = offline_device(&mut hub, 60);
    hub.max_request_bytes = Some(6 << 10);
    let summary = run_in_pages(&mut hub, &mut a, 256 << 10).unwrap();
    assert_eq!(hub.feed.len(), 120);
    assert_eq!(hub.changes_received, 120, "refused pages stored nothing");
    assert!(hub.push_requests > 1, "{summary}");
    assert!(a.dirty.is_empty());
}

/// A device that made `charts` charts offline, each with `visits` visits,
/// and pushes charts new to the hub whole.
fn offline_device_pushing_whole(hub: &mut MiniHub, charts: usize, visits: u64) -> Device {
    let mut a = offline_device(hub, 0);
    a.whole_when_new = true;
    for i in 0..charts {
        let chart = a.create_chart(&format!("01JCHART{i:018}"));
        for n in 0..visits {
            a.record_visit(&chart, n + 1);
        }
    }
    a
}

#[test]
fn charts_new_to_the_hub_go_whole_in_pages_each_acknowledged_before_the_next() {
    let mut hub = MiniHub::new(1_000_000);
    let mut a = offline_device_pushing_whole(&mut hub, 120, 3);
    let summary = run_in_pages(&mut hub, &mut a, SMALL_PAGE).unwrap();
    assert_eq!(
        (
            summary.pushed_whole,
            summary.pushed_charts,
            summary.pushed_changes
        ),
        (120, 120, 0),
        "{summary}"
    );
    assert!(summary.to_string().contains("(120 whole)"), "{summary}");
    assert!(hub.push_requests >= 3, "{} pages", hub.push_requests);
    assert_eq!(hub.wholes_received, 120, "each chart sent once");
    assert_eq!(hub.changes_received, 0);
    assert_eq!(hub.feed.len(), 120 * 4, "every change of every chart");
    assert!(a.dirty.is_empty(), "every chart acknowledged");
    // A later visit goes as one change.
    let chart = PatientId::from("01JCHART000000000000000007");
    a.record_visit(&chart, 9);
    let later = run_in_pages(&mut hub, &mut a, SMALL_PAGE).unwrap();
    assert_eq!(
        (later.pushed_changes, later.pushed_whole),
        (1, 0),
        "{later}"
    );
}

#[test]
fn a_push_of_whole_charts_cut_mid_way_resumes_without_sending_an_acknowledged_page_again() {
    let mut hub = MiniHub::new(1_000_000);
    let mut a = offline_device_pushing_whole(&mut hub, 120, 3);
    let error = run_in_pages(
        &mut Flaky {
            hub: &mut hub,
            left: 2,
        },
        &mut a,
        SMALL_PAGE,
    )
    .unwrap_err();
    assert_eq!(error.code(), "hub_unreachable");
    let taken = hub.wholes_received;
    assert!(taken > 0 && taken < 120, "{taken}");
    assert_eq!(hub.feed.len(), taken * 4, "two pages, each once");
    assert_eq!(a.dirty.len(), 120 - taken, "acknowledged charts are clean");

    let resumed = run_in_pages(&mut hub, &mut a, SMALL_PAGE).unwrap();
    assert_eq!(resumed.pushed_whole, 120 - taken, "{resumed}");
    assert_eq!(hub.wholes_received, 120, "no acknowledged chart sent again");
    assert_eq!(hub.feed.len(), 120 * 4);
    assert!(a.dirty.is_empty());
}
