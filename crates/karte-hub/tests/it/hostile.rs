//! Hostile and broken requests: each gets a clear status and code, nothing
//! is stored, and the hub goes on serving a good device afterwards.

use std::io::Write;

use karte_hub::{HubConfig, HubStore};
use karte_record::{Chart, Edit, actor_for};
use karte_sync::{
    DeviceKey, DocPush, Limits, SignedChange, WipeOrder, encode_request, sign_change, sign_request,
    sign_request_body,
};
use ring::rand::SystemRandom;

use crate::backend::Backend;
use crate::harness::{TestDevice, TestHub};
use crate::support::MINUTE;

/// A hub whose request limits are small enough to reach in a test.
fn small_limits() -> HubConfig {
    HubConfig {
        limits: Limits {
            max_compressed_bytes: 64 << 10,
            max_inflated_bytes: 1 << 20,
        },
        ..HubConfig::default()
    }
}

/// An envelope of `device` around `body`, signed as it travels.
fn signed_body(device: &TestDevice, now: i64, body: Vec<u8>) -> Vec<u8> {
    let nonce: [u8; 16] = rand::random();
    encode_request(&sign_request_body(
        &device.key,
        &device.id,
        now,
        nonce,
        body,
    ))
}

fn deflated(plain: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = flate2::write::DeflateEncoder::new(&mut out, flate2::Compression::best());
    encoder.write_all(plain).unwrap();
    encoder.finish().unwrap();
    out
}

pub async fn broken_envelopes_are_refused_with_their_code<B: Backend>() {
    let hub = TestHub::<B>::start_with(small_limits()).await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let x = tablet.create_chart("x");
    let good = tablet.envelope(&tablet.request(tablet.pushes()), hub.now());
    let before = hub.stored(&[&tablet]).await;

    let mut old_version = good.clone();
    old_version[4..6].copy_from_slice(&0u16.to_be_bytes());
    let mut noise = vec![0u8; 5000];
    ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut noise).unwrap();
    let mut truncated = good.clone();
    truncated.truncate(good.len() / 2);
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("empty", Vec::new(), 400, "malformed"),
        ("text", b"hello, hub".to_vec(), 400, "malformed"),
        ("noise", noise, 400, "malformed"),
        ("truncated", truncated, 400, "malformed"),
        ("old version", old_version, 426, "please_update"),
        (
            "future version",
            [&b"KSYN\x00\x09"[..], &good[6..]].concat(),
            426,
            "please_update",
        ),
        (
            "over the wire limit",
            signed_body(&tablet, hub.now().0, vec![7u8; 100 << 10]),
            413,
            "request_too_large",
        ),
        (
            "zip bomb",
            signed_body(&tablet, hub.now().0, deflated(&vec![0u8; 8 << 20])),
            413,
            "request_too_large",
        ),
    ];
    for (what, body, status, code) in cases {
        let answer = hub.post_sync(body).await;
        assert_eq!(answer.refusal(), (status, code.to_owned()), "{what}");
        if code == "request_too_large" {
            // The device is told the limit, not that the hub is unreachable.
            assert!(answer.text().contains("65536"), "{what}: {}", answer.text());
        }
    }
    assert_eq!(hub.stored(&[&tablet]).await, before);

    let answer = hub.post_sync(good).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(hub.heads(&x).await, tablet.heads(&x));
}

pub async fn forged_and_replayed_requests_are_refused<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let x = tablet.create_chart("x");
    let request = tablet.request(tablet.pushes());
    let now = hub.now();
    let before = hub.stored(&[&tablet]).await;

    let (thief, _) = DeviceKey::generate(&SystemRandom::new()).unwrap();
    let forged = encode_request(&sign_request(&thief, &tablet.id, now.0, [1; 16], &request));
    let mut unsigned = sign_request(&tablet.key, &tablet.id, now.0, [2; 16], &request);
    unsigned.signature.clear();
    let mut tampered = sign_request(&tablet.key, &tablet.id, now.0, [3; 16], &request);
    tampered.sent_at_ms += 1;
    let stranger = TestDevice::new("stranger");
    let unknown = encode_request(&sign_request(
        &stranger.key,
        &stranger.id,
        now.0,
        [4; 16],
        &request,
    ));
    let stale = encode_request(&sign_request(
        &tablet.key,
        &tablet.id,
        now.0 - (6 * MINUTE).as_millis() as i64,
        [5; 16],
        &request,
    ));
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        ("another key", forged, 401, "bad_signature"),
        (
            "no signature",
            encode_request(&unsigned),
            401,
            "bad_signature",
        ),
        (
            "altered after signing",
            encode_request(&tampered),
            401,
            "bad_signature",
        ),
        ("unknown device", unknown, 401, "unknown_device"),
        ("six minutes old", stale, 401, "clock_skew"),
    ];
    for (what, body, status, code) in cases {
        let answer = hub.post_sync(body).await;
        assert_eq!(answer.refusal(), (status, code.to_owned()), "{what}");
    }
    assert_eq!(hub.stored(&[&tablet]).await, before);

    // A request captured on the way and sent again is refused, even with
    // the hub's clock moved on within the window.
    let captured = tablet.envelope(&request, now);
    assert_eq!(hub.post_sync(captured.clone()).await.status, 200);
    let after = hub.stored(&[&tablet]).await;
    hub.clock.advance(4 * MINUTE);
    let replayed = hub.post_sync(captured).await;
    assert_eq!(replayed.refusal(), (401, "replayed".to_owned()));
    assert_eq!(hub.stored(&[&tablet]).await, after);
    assert_eq!(hub.heads(&x).await, tablet.heads(&x));
}

/// Sends `pushes` from `device` and checks the refusal and that nothing
/// was stored.
pub async fn refused<B: Backend>(
    hub: &TestHub<B>,
    device: &mut TestDevice,
    pushes: Vec<DocPush>,
    expected: (u16, &str),
    what: &str,
) {
    let before = hub.stored(&[device]).await;
    let request = device.request(pushes);
    let answer = hub.post_sync(device.envelope(&request, hub.now())).await;
    assert_eq!(
        answer.refusal(),
        (expected.0, expected.1.to_owned()),
        "{what}"
    );
    assert_eq!(hub.stored(&[device]).await, before, "{what}");
}

pub async fn bad_changes_refuse_the_whole_push<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let mut other = hub.enrol(&org.id, "other").await;
    let x = tablet.create_chart("x");
    tablet.sync(&hub).await;
    let y = tablet.create_chart("y");
    tablet.record_visit(&x, 70);
    tablet.record_visit(&x, 71);
    let good_y = tablet.pushes().into_iter().find(|p| p.doc == y).unwrap();
    let raw = tablet.unsent(&x);
    assert_eq!(raw.len(), 2);
    let sign = |key: &DeviceKey, bytes: &[u8]| sign_change(key, bytes).unwrap();
    let push = |changes: Vec<SignedChange>| {
        vec![
            good_y.clone(),
            DocPush {
                doc: x.clone(),
                changes,
                whole: None,
            },
        ]
    };

    let by_other = vec![sign(&tablet.key, &raw[0]), sign(&other.key, &raw[1])];
    refused(
        &hub,
        &mut tablet,
        push(by_other),
        (403, "forged_change"),
        "signed by another device",
    )
    .await;

    let mut unsigned = sign(&tablet.key, &raw[0]);
    unsigned.signature.clear();
    refused(
        &hub,
        &mut tablet,
        push(vec![unsigned]),
        (403, "forged_change"),
        "unsigned change",
    )
    .await;

    let mut wrong_hash = sign(&tablet.key, &raw[0]);
    wrong_hash.hash[0] ^= 1;
    refused(
        &hub,
        &mut tablet,
        push(vec![wrong_hash]),
        (400, "change_hash_mismatch"),
        "wrong hash",
    )
    .await;

    let mut garbage = sign(&tablet.key, &raw[0]);
    garbage.change = b"not an automerge change".to_vec();
    refused(
        &hub,
        &mut tablet,
        push(vec![garbage]),
        (400, "malformed_change"),
        "garbage change",
    )
    .await;

    // A change the other tablet wrote, signed by this one: the signature
    // is good, but a device may only push its own changes.
    let theirs = other.create_chart("theirs");
    let foreign = sign(&tablet.key, &other.unsent(&theirs)[0]);
    refused(
        &hub,
        &mut tablet,
        push(vec![foreign]),
        (403, "foreign_actor"),
        "another device's actor",
    )
    .await;

    let second_only = vec![sign(&tablet.key, &raw[1])];
    refused(
        &hub,
        &mut tablet,
        push(second_only),
        (409, "missing_dependency"),
        "dependency missing",
    )
    .await;
    let reversed = vec![sign(&tablet.key, &raw[1]), sign(&tablet.key, &raw[0])];
    refused(
        &hub,
        &mut tablet,
        push(reversed),
        (409, "missing_dependency"),
        "dependency after",
    )
    .await;

    let bad_id = vec![DocPush {
        doc: "../../x".into(),
        changes: vec![sign(&tablet.key, &raw[0])],
        whole: None,
    }];
    refused(
        &hub,
        &mut tablet,
        bad_id,
        (400, "malformed"),
        "a path for a chart id",
    )
    .await;

    // After all that, the real push goes through whole.
    tablet.sync(&hub).await;
    assert_eq!(hub.heads(&x).await, tablet.heads(&x));
    assert_eq!(hub.heads(&y).await, tablet.heads(&y));
    other.sync(&hub).await;
    assert_eq!(other.heads(&x), tablet.heads(&x));
}

/// A change written with raw Automerge under an actor of `device` (a
/// process of its own), on top of `base` or, without one, as the first
/// change of a document: what an altered Karte on an enrolled device can
/// sign and push.
fn raw_change(
    device: &TestDevice,
    base: Option<&Chart>,
    write: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
) -> Vec<u8> {
    use automerge::transaction::CommitOptions;
    let mut doc = match base {
        Some(chart) => automerge::Automerge::load(&chart.save()).unwrap(),
        None => automerge::Automerge::new(),
    };
    doc.set_actor(actor_for(&device.id, [0x99; 16]));
    let mut tx = doc.transaction();
    write(&mut tx);
    tx.commit_with(CommitOptions::default().with_message("raw".to_owned()));
    let heads = base.map(|chart| chart.heads()).unwrap_or_default();
    doc.get_changes(&heads).pop().unwrap().raw_bytes().to_vec()
}

/// Issue "A hub a prefecture can trust", item 1: the hub runs the chart
/// checks devices run, so a change every device would refuse never
/// reaches the feed and stalls a chart there.
pub async fn a_change_that_would_leave_no_chart_is_refused<B: Backend>() {
    use automerge::transaction::Transactable;
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let mut other = hub.enrol(&org.id, "other").await;
    let x = tablet.create_chart("x");
    tablet.sync(&hub).await;
    other.sync(&hub).await;
    let held = &tablet.charts[&x];

    // The chart made again, by another process of the same device: valid
    // Automerge, but a second first change with containers of its own.
    let again = Chart::create(
        actor_for(&tablet.id, [0x98; 16]),
        &x,
        &karte_test_support::yamada(),
        &Edit {
            author: &tablet.author,
            at: karte_test_support::at(5),
        },
    )
    .unwrap();
    let second_first = again.own_changes_since(&tablet.id, &[]).remove(0);
    let deleted = raw_change(&tablet, Some(held), |tx| {
        tx.delete(automerge::ROOT, "visits").unwrap()
    });
    let renamed = raw_change(&tablet, Some(held), |tx| {
        tx.put(automerge::ROOT, "patient_id", "01DOC0000000000000000other")
            .unwrap()
    });
    let bare = raw_change(&tablet, None, |tx| {
        tx.put(automerge::ROOT, "hello", "world").unwrap()
    });
    let created = held.own_changes_since(&tablet.id, &[]).remove(0);
    let y = crate::support::doc_id("y");
    let cases = [
        ("a second first change", &x, second_first),
        ("a container deleted", &x, deleted),
        ("the patient id changed", &x, renamed),
        ("a new chart without the layout", &y, bare),
        ("a chart pushed as another", &y, created),
    ];
    for (what, doc, change) in cases {
        let push = vec![DocPush {
            doc: doc.clone(),
            changes: vec![sign_change(&tablet.key, &change).unwrap()],
            whole: None,
        }];
        // The per-change check (`check_change`) sees most of these first;
        // the chart checks (`Chart::admit`) stand behind it. Either way the
        // push is refused whole and nothing is stored.
        let before = hub.stored(&[&tablet]).await;
        let request = tablet.request(push);
        let answer = hub.post_sync(tablet.envelope(&request, hub.now())).await;
        let refusal = answer.refusal();
        assert!(
            [
                (422, "invalid_chart"),
                (403, "forbidden_change"),
                (403, "misattributed_change")
            ]
            .contains(&(refusal.0, refusal.1.as_str())),
            "{what}: {refusal:?}"
        );
        assert_eq!(hub.stored(&[&tablet]).await, before, "{what}");
    }
    assert!(hub.store.doc(&y).await.unwrap().is_none());

    // The chart goes on as before, on every device.
    tablet.record_visit(&x, 70);
    tablet.sync(&hub).await;
    other.sync(&hub).await;
    assert_eq!(other.heads(&x), tablet.heads(&x));
    assert_eq!(hub.heads(&x).await, tablet.heads(&x));
}

pub async fn an_actor_reused_after_a_restore_is_refused<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut tablet = hub.enrol(&org.id, "tablet").await;
    let x = tablet.create_chart("x");
    tablet.sync(&hub).await;
    let backup = tablet.charts[&x].save();
    tablet.record_visit(&x, 70);
    tablet.sync(&hub).await;

    // Restored from the backup, the vault writes again under the same
    // actor: a different change with the same sequence number.
    let restored = Chart::load(tablet.actor.clone(), &[&backup]).unwrap();
    tablet.charts.insert(x.clone(), restored);
    tablet.record_visit(&x, 99);
    let pushes = tablet.pushes();
    refused(
        &hub,
        &mut tablet,
        pushes,
        (409, "reused_actor"),
        "reused actor",
    )
    .await;
}

pub async fn a_lost_device_is_told_to_wipe_and_nothing_it_sends_is_kept<B: Backend>() {
    let hub = TestHub::<B>::start().await;
    let (org, _) = hub.add_org("station").await;
    let mut lost = hub.enrol(&org.id, "lost").await;
    let mut good = hub.enrol(&org.id, "good").await;
    let shared = good.create_chart("shared");
    good.sync(&hub).await;
    let x = lost.create_chart("x");
    lost.record_visit(&x, 70);
    hub.store.revoke(&lost.id, true).await.unwrap();

    let before = hub.stored(&[&lost, &good]).await;
    let synced = lost.sync(&hub).await;
    let response = &synced.responses[0];
    assert_eq!(response.wipe, Some(WipeOrder::Lost));
    assert!(response.updates.is_empty() && response.acked.is_empty());
    assert!(lost.wiped);
    assert_eq!(hub.stored(&[&lost, &good]).await, before);
    assert!(hub.store.doc(&x).await.unwrap().is_none());

    good.record_visit(&shared, 75);
    good.sync(&hub).await;
    assert_eq!(hub.heads(&shared).await, good.heads(&shared));
}
