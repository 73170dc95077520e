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
