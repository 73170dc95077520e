//! 近くの端末 / Nearby devices through the app, as every front calls it:
//! two apps of one organisation in one process, one reachable on
//! 127.0.0.1, the other syncing with it by its address.

use std::time::{Duration, Instant};

use karte_api::{App, Environment, KdfParams};
use karte_test_support::{PASSPHRASE, visit, yamada};
use karte_types::{Credentials, NearbyExchange, NearbyState, PatientId};
use serde_json::json;

use crate::hub::{Device, TestHub};
use crate::support::call_code as call;

/// The app of an enrolled device's vault, unlocked as its administrator.
fn app_of(device: Device) -> (tempfile::TempDir, App) {
    let Device { dir, session } = device;
    session.lock();
    let app = App::new(
        dir.path().join("vault.karte"),
        KdfParams::insecure_fast_for_tests(),
        Environment::system,
    );
    let passphrase = std::str::from_utf8(PASSPHRASE).unwrap();
    app.unlock(&Credentials::new(Some("admin"), passphrase))
        .unwrap();
    (dir, app)
}

fn patients(app: &App) -> Vec<PatientId> {
    app.with_session(|session| session.patients(""))
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect()
}

#[test]
fn a_device_made_reachable_is_synced_with_by_address_and_stops_listening_when_locked() {
    let hub = TestHub::start();
    let (station, _) = hub.add_org("さくら");
    let mut a = Device::enrolled(&hub, &station.id, "a");
    let b = Device::enrolled(&hub, &station.id, "b");
    drop(hub);
    let patient = a.session.add_patient(&yamada()).unwrap();
    a.session.record_visit(&patient, &visit(60, 72)).unwrap();
    let (_a_dir, a) = app_of(a);
    let (_b_dir, b) = app_of(b);

    // A listens on loopback only (no advert: tests stay off the network).
    let address = a.start_listening("127.0.0.1", false).unwrap();
    let state: NearbyState =
        serde_json::from_value(call(&a, "nearby_state", json!({})).unwrap()).unwrap();
    assert!(state.listening);
    assert_eq!(state.addresses, vec![address.clone()]);
    assert!(!state.advertised);
    assert!(state.exchanges.is_empty());

    let exchange: NearbyExchange =
        serde_json::from_value(call(&b, "nearby_sync", json!({ "peer": address })).unwrap())
            .unwrap();
    assert_eq!(exchange.received_charts, 1, "{exchange:?}");
    assert!(exchange.dialled);
    assert!(exchange.refused.is_empty() && exchange.refused_by_peer.is_empty());
    assert_eq!(patients(&b), vec![patient.clone()]);
    let chart = b.with_session(|session| session.chart(&patient)).unwrap();
    assert_eq!(chart.visits.len(), 1);

    // Both keep the exchange, sealed in their vaults: a new app finds it.
    let b_state: NearbyState =
        serde_json::from_value(call(&b, "nearby_state", json!({})).unwrap()).unwrap();
    assert_eq!(b_state.exchanges.len(), 1);
    assert_eq!(b_state.exchanges[0].received_charts, 1);
    assert!(!b_state.listening);
    let a_state: NearbyState =
        serde_json::from_value(call(&a, "nearby_state", json!({})).unwrap()).unwrap();
    assert_eq!(a_state.exchanges.len(), 1);
    assert!(!a_state.exchanges[0].dialled);
    assert_eq!(a_state.exchanges[0].sent_charts, 1);
    assert_ne!(a_state.exchanges[0].device, b_state.exchanges[0].device);

    // A second exchange replaces the first with that device.
    call(&b, "nearby_sync", json!({ "peer": address })).unwrap();
    let b_state: NearbyState =
        serde_json::from_value(call(&b, "nearby_state", json!({})).unwrap()).unwrap();
    assert_eq!(b_state.exchanges.len(), 1);
    assert_eq!(b_state.exchanges[0].received_charts, 0);

    // Locked, A serves nobody: its port closes within a second.
    a.lock().unwrap();
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        match call(&b, "nearby_sync", json!({ "peer": address })) {
            Err(code) if code == "peer_unreachable" => break,
            other => {
                assert!(
                    Instant::now() < until,
                    "still served after locking: {other:?}"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
    assert_eq!(call(&a, "nearby_state", json!({})).unwrap_err(), "locked");
}

#[test]
fn an_address_that_is_no_address_or_answers_nothing_is_refused() {
    let hub = TestHub::start();
    let (station, _) = hub.add_org("さくら");
    let b = Device::enrolled(&hub, &station.id, "b");
    drop(hub);
    let (_dir, b) = app_of(b);
    assert_eq!(
        call(&b, "nearby_sync", json!({ "peer": "two words" })).unwrap_err(),
        "invalid_input"
    );
    assert_eq!(
        call(&b, "nearby_sync", json!({ "peer": "127.0.0.1:1" })).unwrap_err(),
        "peer_unreachable"
    );
    // Stopping when not listening is nothing to do.
    let state: NearbyState =
        serde_json::from_value(call(&b, "nearby_listen", json!({ "on": false })).unwrap()).unwrap();
    assert!(!state.listening);
    assert!(state.exchanges.is_empty(), "a failed dial is no exchange");
}

/// Discovery through the app: A made reachable on every interface is heard
/// by B under the name it advertises, and B syncs with it by that name.
/// Skipped, saying so, where this machine's interfaces carry no multicast
/// (the namespace test in `karte-e2e` covers discovery between devices).
#[test]
fn a_reachable_device_is_found_by_name_and_synced_with_by_it() {
    let hub = TestHub::start();
    let (station, _) = hub.add_org("さくら");
    let mut a = Device::enrolled(&hub, &station.id, "a");
    let b = Device::enrolled(&hub, &station.id, "b");
    drop(hub);
    let patient = a.session.add_patient(&yamada()).unwrap();
    let (_a_dir, a) = app_of(a);
    let (_b_dir, b) = app_of(b);
    let state: NearbyState =
        serde_json::from_value(call(&a, "nearby_listen", json!({ "on": true })).unwrap()).unwrap();
    assert!(state.listening);
    if !state.advertised || state.addresses.is_empty() {
        eprintln!("no multicast DNS advert here: discovery through the app not exercised");
        return;
    }
    let found: Vec<karte_types::NearbyDevice> =
        serde_json::from_value(call(&b, "nearby_devices", json!({ "wait_ms": 4000 })).unwrap())
            .unwrap();
    let Some(device) = found.first() else {
        eprintln!("no multicast DNS answer heard here: discovery through the app not exercised");
        return;
    };
    assert_eq!(found.len(), 1, "only A is of this organisation: {found:?}");
    assert!(
        device.name.starts_with('k'),
        "a random name: {}",
        device.name
    );
    let exchange: NearbyExchange =
        serde_json::from_value(call(&b, "nearby_sync", json!({ "peer": device.name })).unwrap())
            .unwrap();
    assert_eq!(exchange.received_charts, 1);
    assert_eq!(patients(&b), vec![patient]);
    let state: NearbyState =
        serde_json::from_value(call(&a, "nearby_listen", json!({ "on": false })).unwrap()).unwrap();
    assert!(!state.listening && !state.advertised);
}

/// How long a call may take while a nearby device stalls.
const PROMPT: Duration = Duration::from_secs(1);

/// The time `call` takes, and what it answered.
fn timed<T>(call: impl FnOnce() -> T) -> (Duration, T) {
    let started = Instant::now();
    let answer = call();
    (started.elapsed(), answer)
}

/// Anyone on the network can dial a reachable device. One that connects
/// and says nothing, before TLS or after it, must not hold up the app's
/// calls (the user's, the auto-lock) while the listener waits for its
/// hello; it is dropped after the hello's wait, and a member is served
/// next.
#[test]
fn a_device_that_dials_and_says_nothing_holds_up_no_call_of_the_app() {
    let hub = TestHub::start();
    let (station, _) = hub.add_org("さくら");
    let mut a = Device::enrolled(&hub, &station.id, "a");
    let b = Device::enrolled(&hub, &station.id, "b");
    drop(hub);
    let patient = a.session.add_patient(&yamada()).unwrap();
    let (_a_dir, a) = app_of(a);
    let (_b_dir, b) = app_of(b);
    let address = a.start_listening("127.0.0.1", false).unwrap();

    // A plain TCP connection that sends nothing, then a TLS one (with any
    // Ed25519 key: the handshake accepts it) that sends no hello.
    let silent_tcp = std::net::TcpStream::connect(&address).unwrap();
    let pkcs8 =
        ring::signature::Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).unwrap();
    let stranger = karte_peer::PeerKey::from_pkcs8(pkcs8.as_ref()).unwrap();
    let silent_tls = std::thread::spawn({
        let address = address.clone();
        move || karte_peer::dial(address.as_str(), &stranger)
    });
    // The listener takes them one after the other, each for the hello's
    // wait at most.
    let stalled_until = Instant::now() + 2 * karte_peer::HELLO_WAIT;
    let mut calls = 0;
    while Instant::now() + PROMPT < stalled_until {
        let (took, state) = timed(|| call(&a, "session_state", json!({})));
        assert!(state.is_ok(), "{state:?}");
        assert!(took < PROMPT, "session_state took {took:?}");
        let (took, listed) = timed(|| patients(&a));
        assert_eq!(listed, vec![patient.clone()]);
        assert!(took < PROMPT, "patients took {took:?}");
        calls += 1;
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(calls > 3, "the app was called while the devices stalled");

    // The listener dropped both and went on: a member is served.
    let exchange: NearbyExchange =
        serde_json::from_value(call(&b, "nearby_sync", json!({ "peer": address })).unwrap())
            .unwrap();
    assert_eq!(exchange.received_charts, 1, "{exchange:?}");
    assert_eq!(patients(&b), vec![patient]);
    drop(silent_tcp);
    drop(silent_tls.join().unwrap());
}

/// A device of another organisation is refused by the listener on its
/// hello alone, while the app's state is held elsewhere the whole time:
/// the refusal never needs it.
#[test]
fn a_device_of_another_organisation_is_refused_without_the_apps_state() {
    let hub = TestHub::start();
    let (station, _) = hub.add_org("さくら");
    let (other, _) = hub.add_org("ひまわり");
    let a = Device::enrolled(&hub, &station.id, "a");
    let stranger = Device::enrolled(&hub, &other.id, "x");
    drop(hub);
    let (_a_dir, a) = app_of(a);
    let address = a.start_listening("127.0.0.1", false).unwrap();

    let Device {
        dir: _stranger_dir,
        session: mut stranger,
    } = stranger;
    let (took, refusal) = a
        .with_session(|_| {
            // A's state is held here until the stranger hears its answer.
            let (tell, heard) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let outcome = stranger.peer_sync(&address, |_| {});
                let _ = tell.send(outcome.map_err(|error| error.code().as_str().to_owned()));
            });
            Ok(timed(|| heard.recv_timeout(Duration::from_secs(4))))
        })
        .unwrap();
    let refusal = refusal.expect("refused while the app's state was held");
    assert_eq!(refusal.unwrap_err(), "peer_not_member");
    assert!(took < Duration::from_secs(4), "{took:?}");

    // The refusal is shown beside the listening state (noted by the
    // listener just after the stranger hears it: asked until it is), and
    // A's charts are as they were.
    let mut state: NearbyState;
    let mut tries = 0;
    loop {
        state = serde_json::from_value(call(&a, "nearby_state", json!({})).unwrap()).unwrap();
        if state.last_error.is_some() || tries == 50 {
            break;
        }
        tries += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(state.listening);
    assert_eq!(
        state
            .last_error
            .map(|problem| problem.code.as_str().to_owned()),
        Some("peer_not_member".to_owned())
    );
    assert!(state.exchanges.is_empty());
}
