//! Peer sync between two sessions over a real TLS link on 127.0.0.1: what
//! passes the chart checks is kept, a chart whose changes fail them is
//! refused whole and nothing of it is kept.

use karte_test_support::{visit, yamada};
use karte_types::Timestamp;

use crate::hub::{Device, TestHub};

#[test]
fn a_chart_written_under_a_clock_days_fast_is_refused_whole_and_the_rest_kept() {
    let hub = TestHub::start();
    let (station, _) = hub.add_org("さくら");
    let a = Device::enrolled(&hub, &station.id, "a");
    let mut b = Device::enrolled(&hub, &station.id, "b");
    drop(hub);
    let good = b.session.add_patient(&yamada()).unwrap();
    b.session.record_visit(&good, &visit(60, 72)).unwrap();
    // B's clock runs three days fast: what it writes now every device
    // refuses as written at an implausible time.
    let fast = Timestamp(b.session.now().millis() + 3 * 24 * 60 * 60 * 1000);
    let mut b = b.reopen_at(fast, None).map_err(|(_, code)| code).unwrap();
    let bad = b.session.add_patient(&yamada()).unwrap();

    let mut a_session = a.session;
    let listener = a_session.peer_listen("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let serving = std::thread::spawn(move || {
        let summary = a_session.peer_serve_one(&listener, |_| {});
        (summary, a_session)
    });
    let said = b.session.peer_sync(&address, |_| {}).unwrap();
    let (served, mut a_session) = serving.join().unwrap();
    let served = served.unwrap();

    assert_eq!(said.refused_by_peer.len(), 1, "{said:?}");
    assert_eq!(said.refused_by_peer[0].doc, bad);
    assert_eq!(said.refused_by_peer[0].code, "implausible_change_time");
    assert_eq!(served.received_charts, 1);
    let held: Vec<_> = a_session
        .patients("")
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(held, vec![good.clone()]);
    assert!(a_session.chart(&good).is_ok());
    assert!(
        a_session.chart(&bad).is_err(),
        "nothing of the refused chart"
    );
}

/// Serves one session of `server` on a loopback port while `dialler`
/// dials it; answers with both summaries and the server's session back.
fn exchange(
    server: karte_api::Session,
    dialler: &mut karte_api::Session,
) -> (
    karte_api::PeerSummary,
    karte_api::PeerSummary,
    karte_api::Session,
) {
    let mut server = server;
    let listener = server.peer_listen("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let serving = std::thread::spawn(move || {
        let summary = server.peer_serve_one(&listener, |_| {});
        (summary, server)
    });
    let said = dialler.peer_sync(&address, |_| {}).unwrap();
    let (served, server) = serving.join().unwrap();
    (said, served.unwrap(), server)
}

/// Issue 12: a peer's page marks only the charts it brought, so the next
/// hub sync hands them on in one run (no second pass over every chart)
/// and the sync after it has nothing to send.
#[test]
fn a_peers_visit_reaches_the_hub_once_and_the_next_sync_sends_nothing() {
    let hub = TestHub::start();
    let (station, _) = hub.add_org("さくら");
    let a = Device::enrolled(&hub, &station.id, "a");
    let mut b = Device::enrolled(&hub, &station.id, "b");
    let mut a_session = a.session;
    let patient = a_session.add_patient(&yamada()).unwrap();
    a_session.record_visit(&patient, &visit(60, 72)).unwrap();
    // B holds a chart of its own the hub already has: not to be sent again.
    let own = b.session.add_patient(&yamada()).unwrap();
    b.sync();
    let own_stored = hub.stored_changes(&own).len();

    let (said, _, mut a_session) = exchange(a_session, &mut b.session);
    assert_eq!(said.received_charts, 1);
    let a_changes = a_session.chart(&patient).unwrap();
    assert_eq!(a_changes.visits.len(), 1);

    let first = b.sync();
    assert_eq!(first.pushed_charts, 1, "{first:?}");
    let stored = hub.stored_changes(&patient);
    assert!(!stored.is_empty());
    let mut hashes: Vec<_> = stored.iter().map(|change| change.hash).collect();
    hashes.sort_unstable();
    hashes.dedup();
    assert_eq!(hashes.len(), stored.len(), "nothing stored twice");
    assert_eq!(first.requests, 1, "one run, not a second over every chart");
    assert_eq!(b.session.sync_status().unwrap().charts_to_push, 0);

    let second = b.sync();
    assert_eq!(second.pushed_charts, 0, "{second:?}");
    assert_eq!(second.pushed_changes, 0, "{second:?}");
    assert_eq!(second.requests, 1, "a quiet sync is one request");
    assert_eq!(hub.stored_changes(&patient).len(), stored.len());
    assert_eq!(hub.stored_changes(&own).len(), own_stored);
}
