//! Three devices of one organisation in three network namespaces on one
//! bridge, as three tablets on a field Wi-Fi with no way to the hub: two
//! find each other by multicast DNS and converge, then the third joins and
//! all three hold the same charts with every visit once; and a device the
//! hub revoked is refused by a peer that heard of the revocation from
//! another device, not from the hub, with nothing stored. The devices enrol
//! at a hub on loopback first (outside the namespaces), which they never
//! reach again. Needs root (`ip netns`); skipped with a message otherwise.
//!
//! The shaped link is "tbf 5 mbit + nft 2 % loss + userspace 20 ms each
//! way, in place of `tc netem`" (see `lan`).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use crate::hub_process::HubProcess;
use crate::lan::{
    DelayProxy, Lan, Serving, add_yamada, charts, enrolled, fails, patients, run, visits_by_patient,
};

/// The one-way delay of the shaped link, held by the proxy.
const DELAY_MS: u64 = 20;

/// What `peer list` run in `namespace` hears, tried until it names
/// `expected` (mDNS over a lossy link may miss a round) or three times.
fn hear(dir: &Path, namespace: &str, expected: &str) -> String {
    let mut heard = String::new();
    for _ in 0..3 {
        heard = run(dir, Some(namespace), &["peer", "list", "--wait", "4"]);
        if heard.trim() == expected {
            break;
        }
    }
    heard.trim().to_owned()
}

/// `peer sync ADDRESS --json` run in `namespace`.
fn sync(dir: &Path, namespace: &str, address: &str) -> serde_json::Value {
    let said = run(dir, Some(namespace), &["peer", "sync", address, "--json"]);
    serde_json::from_str(&said).expect("a JSON summary")
}

#[test]
fn three_tablets_on_a_shaped_wifi_converge_and_a_third_joins_with_every_visit_once() {
    let Some(lan) = Lan::bridged(3) else {
        eprintln!("not root (ip netns add failed): the three-namespace test is skipped");
        return;
    };
    lan.shape_as_field_wifi("v0");
    let (ns_a, ns_b, ns_c) = (&lan.names[0], &lan.names[1], &lan.names[2]);
    let hub_dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", hub_dir.path().join("hub.sqlite").display());
    let org = HubProcess::add_org(&db, hub_dir.path(), "さくら");
    let hub = HubProcess::serve(&db);
    let a = enrolled(&hub, &db, &org, "tablet A");
    let b = enrolled(&hub, &db, &org, "tablet B");
    let c = enrolled(&hub, &db, &org, "tablet C");
    drop(hub);
    let (a, b, c) = (a.path(), b.path(), c.path());

    // Offline work on each: A's demo charts, B's and C's own visits.
    run(a, None, &["demo", "--patients", "20", "--max-visits", "3"]);
    for (dir, charts, pulses) in [(b, 3, &["71", "72"][..]), (c, 2, &["81"][..])] {
        for _ in 0..charts {
            let patient = add_yamada(dir);
            for pulse in pulses {
                run(dir, None, &["visit", "record", &patient, "--pulse", pulse]);
            }
        }
    }
    let mut written = visits_by_patient(a);
    written.extend(visits_by_patient(b));
    written.extend(visits_by_patient(c));
    assert_eq!(written.len(), 25, "every device's charts are its own");

    // A and B: A hears B by mDNS and dials it through the shaped link.
    let serving = Serving::start(b, Some(ns_b), "0.0.0.0:47080", "B");
    let b_address = format!("{}:47080", Lan::address(1));
    assert_eq!(hear(a, ns_a, &b_address), b_address, "A hears B only");
    let proxy = DelayProxy::start(ns_a, "127.0.0.1:0", &b_address, DELAY_MS);
    let started = Instant::now();
    let said = sync(a, ns_a, &proxy.address);
    eprintln!("A↔B over the shaped link: {:?}, {said}", started.elapsed());
    // The proxy still holds the dialler's last words for 20 ms: it goes
    // once the server has them.
    assert!(serving.finish().0);
    drop(proxy);
    assert_eq!(said["received_charts"], 3, "{said}");
    assert_eq!(said["sent_charts"], 20, "{said}");
    assert_eq!(charts(a), charts(b));
    assert_eq!(patients(a).len(), 23);

    // C joins: it hears A (the one listening now), syncs with it through
    // the shaped link, then B dials C and gets C's charts.
    let serving = Serving::start(a, Some(ns_a), "0.0.0.0:47080", "A");
    let a_address = format!("{}:47080", Lan::address(0));
    assert_eq!(hear(c, ns_c, &a_address), a_address, "C hears A only");
    let proxy = DelayProxy::start(ns_c, "127.0.0.1:0", &a_address, DELAY_MS);
    let said = sync(c, ns_c, &proxy.address);
    assert!(serving.finish().0);
    drop(proxy);
    assert_eq!(said["received_charts"], 23, "{said}");
    assert_eq!(said["sent_charts"], 2, "{said}");

    let serving = Serving::start(c, Some(ns_c), "0.0.0.0:47080", "C");
    let c_address = format!("{}:47080", Lan::address(2));
    let said = sync(b, ns_b, &c_address);
    assert!(serving.finish().0);
    assert_eq!(said["received_charts"], 2, "{said}");
    assert_eq!(said["sent_charts"], 0, "{said}");

    // All three hold the same charts, every visit exactly as written, once.
    let held = charts(a);
    assert_eq!(held.len(), 25);
    assert_eq!(charts(b), held, "B holds what A holds");
    assert_eq!(charts(c), held, "C holds what A holds");
    assert_eq!(visits_by_patient(a), written, "every visit, once each");

    // And a session now has nothing to move either way.
    let serving = Serving::start(a, Some(ns_a), "0.0.0.0:47080", "A");
    let quiet = sync(b, ns_b, &a_address);
    assert!(serving.finish().0);
    assert_eq!(quiet["sent_changes"], 0, "{quiet}");
    assert_eq!(quiet["received_changes"], 0, "{quiet}");
    assert_eq!(quiet["round_trips"], 1, "{quiet}");
}

/// The vault's files (the database and its side files), byte for byte.
fn vault_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("vault.karte")
        })
        .map(|entry| {
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            )
        })
        .collect()
}

/// The device ids `karte-hub device list` shows for `org`.
fn device_ids(db: &str, org: &str) -> Vec<String> {
    HubProcess::admin(db, &["device", "list", "--org", org])
        .lines()
        .skip(1)
        .map(|line| line.split('\t').next().unwrap().to_owned())
        .collect()
}

#[test]
fn a_revoked_tablet_is_refused_at_hello_by_a_peer_that_heard_of_it_from_another() {
    let Some(lan) = Lan::bridged(3) else {
        eprintln!("not root (ip netns add failed): the three-namespace test is skipped");
        return;
    };
    let (ns_a, ns_b, ns_c) = (&lan.names[0], &lan.names[1], &lan.names[2]);
    let hub_dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", hub_dir.path().join("hub.sqlite").display());
    let org = HubProcess::add_org(&db, hub_dir.path(), "さくら");
    let hub = HubProcess::serve(&db);
    let a = enrolled(&hub, &db, &org, "tablet A");
    let b = enrolled(&hub, &db, &org, "tablet B");
    let before = device_ids(&db, &org);
    let c = enrolled(&hub, &db, &org, "tablet C");
    let device_c = device_ids(&db, &org)
        .into_iter()
        .find(|id| !before.contains(id))
        .unwrap();
    let (a, b, c) = (a.path(), b.path(), c.path());
    // The tablet is lost: the hub revokes it, and only A hears of it from
    // the hub before the uplink goes.
    HubProcess::admin(&db, &["device", "revoke", &device_c]);
    run(a, None, &["sync"]);
    drop(hub);
    let kept = add_yamada(b);
    let stolen = add_yamada(c);

    // B hears of the revocation from A, in an ordinary exchange.
    let serving = Serving::start(a, Some(ns_a), "0.0.0.0:47080", "A");
    let a_address = format!("{}:47080", Lan::address(0));
    run(b, Some(ns_b), &["peer", "sync", &a_address]);
    assert!(serving.finish().0);
    assert_eq!(patients(b), vec![kept.clone()]);

    // C dials B: refused at hello, and neither side stores anything.
    let b_files = vault_files(b);
    let c_files = vault_files(c);
    let serving = Serving::start(b, Some(ns_b), "0.0.0.0:47080", "B");
    let b_address = format!("{}:47080", Lan::address(1));
    let said = fails(c, Some(ns_c), &["peer", "sync", &b_address]);
    let (served, summary) = serving.finish();
    assert!(!served, "B's one session failed: {summary}");
    assert!(said.contains("error[peer_revoked]"), "{said}");
    assert_eq!(
        vault_files(b),
        b_files,
        "B's vault is byte for byte as it was"
    );
    assert_eq!(
        vault_files(c),
        c_files,
        "C's vault is byte for byte as it was"
    );
    assert_eq!(patients(b), vec![kept]);
    assert_eq!(patients(c), vec![stolen]);
}
