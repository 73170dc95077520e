//! `karte peer serve` and `karte peer sync` as real processes over real
//! sockets on 127.0.0.1: devices enrolled at a real `karte-hub`, which is
//! then stopped, exchange their offline work with each other; a device of
//! another organisation and a revoked one are refused and nothing moves.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use crate::support::TestVault;
use crate::sync::{HubProcess, enrolled};

/// `karte peer serve --once` on a free loopback port.
struct Serving {
    child: Child,
    address: String,
}

impl Serving {
    fn start(vault: &TestVault) -> Serving {
        let mut child = vault
            .command(&["peer", "serve", "--listen", "127.0.0.1:0", "--once"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let line = lines.next().unwrap().unwrap();
        let address = line
            .split_whitespace()
            .last()
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        assert!(address.starts_with("127.0.0.1:"), "{line}");
        // Keep the rest of standard error for `finish`.
        let rest = std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>());
        child.stderr = None;
        let _ = rest;
        Serving { child, address }
    }

    /// Waits for the one session to end: whether it succeeded, and what
    /// it printed.
    fn finish(self) -> (bool, String) {
        let output = self.child.wait_with_output().unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }
}

fn patients(vault: &TestVault) -> Vec<String> {
    let mut ids: Vec<String> = vault
        .ok(&["patient", "list", "--ids"])
        .lines()
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids
}

fn visits(vault: &TestVault, patient: &str) -> usize {
    vault.chart_json(patient)["visits"]
        .as_array()
        .map_or(0, Vec::len)
}

/// The device ids `karte-hub device list` shows.
fn device_ids(hub: &HubProcess, org: &str) -> Vec<String> {
    let devices = hub.admin(&["device", "list", "--org", org]);
    let rows = devices.lines().skip(1);
    rows.map(|line| line.split('\t').next().unwrap().to_owned())
        .collect()
}

#[test]
fn two_devices_of_one_organisation_exchange_offline_visits_without_the_hub() {
    let mut hub = HubProcess::new();
    let org = hub.add_org("さくら");
    hub.serve();
    let a = enrolled(&hub, &org, "tablet A");
    let b = enrolled(&hub, &org, "tablet B");
    let shared = a.add_yamada();
    a.ok(&["visit", "record", &shared, "--pulse", "70"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    hub.stop();

    // Offline: both record a visit on the chart they share, and each
    // starts a chart of its own.
    a.ok(&["visit", "record", &shared, "--pulse", "72"]);
    b.ok(&["visit", "record", &shared, "--pulse", "80"]);
    let only_a = a.add_yamada();
    a.ok(&["visit", "record", &only_a, "--pulse", "66"]);
    let only_b = b.add_yamada();
    b.ok(&["visit", "record", &only_b, "--pulse", "90"]);

    let serving = Serving::start(&b);
    let said = a.ok(&["peer", "sync", &serving.address]);
    let (served, b_said) = serving.finish();
    assert!(served, "{b_said}");
    assert!(
        said.contains("端末") && said.contains("synced with device"),
        "{said}"
    );
    // B sends its visit of the shared chart (not what both had from the
    // hub) and its new chart; A sends the same of its own.
    assert!(said.contains("in 2 charts, received"), "{said}");
    assert!(said.contains("in 2 charts;"), "{said}");
    assert!(
        said.contains("1 round trip") || said.contains("2 round trips"),
        "{said}"
    );
    assert!(b_said.contains("synced with device"), "{b_said}");

    assert_eq!(patients(&a), patients(&b));
    assert_eq!(patients(&a).len(), 3);
    assert_eq!(visits(&a, &shared), 3);
    assert_eq!(a.chart_json(&shared), b.chart_json(&shared));
    assert_eq!(a.chart_json(&only_a), b.chart_json(&only_a));
    assert_eq!(a.chart_json(&only_b), b.chart_json(&only_b));
    assert_eq!(visits(&b, &only_a), 1);

    // Nothing changed since: the hello and one round trip, nothing moves.
    let serving = Serving::start(&b);
    let quiet: serde_json::Value =
        serde_json::from_str(&a.ok(&["peer", "sync", &serving.address, "--json"])).unwrap();
    assert!(serving.finish().0);
    assert_eq!(quiet["round_trips"], 1, "{quiet}");
    assert_eq!(quiet["sent_changes"], 0, "{quiet}");
    assert_eq!(quiet["received_changes"], 0, "{quiet}");
    assert!(quiet["bytes_sent"].as_u64().unwrap() < 4096, "{quiet}");
}

#[test]
fn a_device_of_another_organisation_is_refused_and_nothing_moves() {
    let mut hub = HubProcess::new();
    let ours = hub.add_org("さくら");
    let theirs = hub.add_org("みどり");
    hub.serve();
    let a = enrolled(&hub, &ours, "tablet A");
    let x = enrolled(&hub, &theirs, "tablet X");
    hub.stop();
    let patient = a.add_yamada();
    let foreign = x.add_yamada();

    let serving = Serving::start(&a);
    let said = x.fails(&["peer", "sync", &serving.address]);
    let (served, _) = serving.finish();
    assert!(!served);
    assert!(said.contains("error[peer_not_member]"), "{said}");
    assert_eq!(patients(&a), vec![patient]);
    assert_eq!(patients(&x), vec![foreign]);
}

#[test]
fn a_revoked_device_is_refused_by_a_device_that_heard_of_it() {
    let mut hub = HubProcess::new();
    let org = hub.add_org("さくら");
    hub.serve();
    let a = enrolled(&hub, &org, "tablet A");
    let before = device_ids(&hub, &org);
    let b = enrolled(&hub, &org, "tablet B");
    let device_b = device_ids(&hub, &org)
        .into_iter()
        .find(|id| !before.contains(id))
        .unwrap();
    hub.admin(&["device", "revoke", &device_b]);
    // A hears of the revocation at its next sync; B never reaches the hub
    // again.
    a.ok(&["sync"]);
    hub.stop();
    let patient = a.add_yamada();
    let stolen = b.add_yamada();

    let serving = Serving::start(&a);
    let said = b.fails(&["peer", "sync", &serving.address]);
    let (served, _) = serving.finish();
    assert!(!served);
    assert!(said.contains("error[peer_revoked]"), "{said}");
    assert_eq!(patients(&a), vec![patient]);
    assert_eq!(patients(&b), vec![stolen]);
}
