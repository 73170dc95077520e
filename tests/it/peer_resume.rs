//! A first peer exchange of a few hundred charts cut by SIGKILL of either
//! side, as a tablet whose battery dies mid-way: real `karte` processes on
//! 127.0.0.1. What either side kept stays; the next session moves exactly
//! the charts the other still lacks (none kept is sent twice, counted from
//! the summaries); both end with the same charts, every visit once; and
//! the session after that moves nothing.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::hub_process::HubProcess;
use crate::lan::{
    Serving, charts, echo_lines, enrolled, karte, patients, run, visits_by_patient, wait_for,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Server,
    Dialler,
}

fn sync_json(dir: &Path, address: &str) -> serde_json::Value {
    serde_json::from_str(&run(dir, None, &["peer", "sync", address, "--json"])).expect("JSON")
}

fn count(value: &serde_json::Value) -> usize {
    value.as_u64().expect("a count") as usize
}

fn killed_mid_exchange_and_resumed(killed: Side) {
    let hub_dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", hub_dir.path().join("hub.sqlite").display());
    let org = HubProcess::add_org(&db, hub_dir.path(), "さくら");
    let hub = HubProcess::serve(&db);
    let a = enrolled(&hub, &db, &org, "tablet A");
    let b = enrolled(&hub, &db, &org, "tablet B");
    drop(hub);
    let (a, b) = (a.path(), b.path());
    run(a, None, &["demo", "--patients", "200", "--max-visits", "2"]);
    run(b, None, &["demo", "--patients", "100", "--max-visits", "2"]);
    let a_own: BTreeSet<String> = patients(a).into_iter().collect();
    let b_own: BTreeSet<String> = patients(b).into_iter().collect();
    assert_eq!((a_own.len(), b_own.len()), (200, 100));
    assert!(a_own.is_disjoint(&b_own));
    let mut written = visits_by_patient(a);
    written.extend(visits_by_patient(b));

    // A dials B. B answers with its 100 charts while A offers its 200.
    let mut serving = Serving::start(b, None, "127.0.0.1:0", "B");
    let mut dialling = karte(a, None, &["peer", "sync", &serving.listening, "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let dialler_said = echo_lines(BufReader::new(dialling.stderr.take().unwrap()).lines(), "A");
    match killed {
        // A is taking in B's answer (checking, storing) when it dies.
        Side::Dialler => {
            serving.wait_for("charts sent");
            dialling.kill().unwrap();
            let _ = dialling.wait();
            let _ = serving.child.wait();
        }
        // A kept B's answer and is pushing its own 200 charts; B is
        // reading or keeping them when it dies.
        Side::Server => {
            wait_for(&dialler_said, "received charts checked and saved", "A");
            std::thread::sleep(Duration::from_millis(30));
            serving.child.kill().unwrap();
            let _ = serving.child.wait();
            let _ = dialling.wait();
        }
    }

    // Each side kept the other's charts whole or not at all.
    let a_held: BTreeSet<String> = patients(a).into_iter().collect();
    let b_held: BTreeSet<String> = patients(b).into_iter().collect();
    let a_union: BTreeSet<String> = a_own.union(&b_own).cloned().collect();
    assert!(
        a_held == a_own || a_held == a_union,
        "A holds {} charts",
        a_held.len()
    );
    assert!(
        b_held == b_own || b_held == a_union,
        "B holds {} charts",
        b_held.len()
    );
    eprintln!(
        "cut ({killed:?} killed): A kept {} of B's charts, B kept {} of A's",
        a_held.len() - a_own.len(),
        b_held.len() - b_own.len()
    );

    // The next session moves exactly what the other side still lacks.
    let serving = Serving::start(b, None, "127.0.0.1:0", "B");
    let again = sync_json(a, &serving.listening);
    assert!(serving.finish().0);
    assert_eq!(
        count(&again["received_charts"]),
        a_union.len() - a_held.len(),
        "A is sent only what it had not kept: {again}"
    );
    assert_eq!(
        count(&again["sent_charts"]),
        a_union.len() - b_held.len(),
        "A sends only what B had not kept: {again}"
    );
    assert!(again["refused"].as_array().unwrap().is_empty(), "{again}");
    assert!(
        again["refused_by_peer"].as_array().unwrap().is_empty(),
        "{again}"
    );

    let held = charts(a);
    assert_eq!(held.len(), 300);
    assert_eq!(charts(b), held, "both hold the same charts");
    assert_eq!(visits_by_patient(b), written, "every visit, once each");

    let serving = Serving::start(b, None, "127.0.0.1:0", "B");
    let quiet = sync_json(a, &serving.listening);
    assert!(serving.finish().0);
    assert_eq!(quiet["sent_changes"], 0, "{quiet}");
    assert_eq!(quiet["received_changes"], 0, "{quiet}");
    assert_eq!(quiet["round_trips"], 1, "{quiet}");
}

#[test]
fn a_dialler_killed_mid_way_through_a_first_exchange_of_300_charts_resumes_losing_nothing() {
    killed_mid_exchange_and_resumed(Side::Dialler);
}

#[test]
fn a_server_killed_mid_way_through_a_first_exchange_of_300_charts_resumes_losing_nothing() {
    killed_mid_exchange_and_resumed(Side::Server);
}
