//! Peer sync between two devices in two Linux network namespaces joined by
//! a veth pair, as two tablets on one Wi-Fi: `karte peer list` hears the
//! other over multicast DNS, `karte peer sync` reaches it by the address
//! heard, and both end with both devices' work. The devices enrol at a hub
//! on loopback first (outside the namespaces), which they never reach
//! again. Needs root (`ip netns`); skipped with a message otherwise.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::hub_process::HubProcess;
use crate::lan::{Lan, add_yamada, karte, patients, run};

#[test]
fn two_tablets_in_their_own_namespaces_find_each_other_and_converge() {
    let Some(namespaces) = Lan::pair() else {
        eprintln!("not root (ip netns add failed): the namespace test is skipped");
        return;
    };
    let (ns_a, ns_b) = (&namespaces.names[0], &namespaces.names[1]);
    let hub_dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", hub_dir.path().join("hub.sqlite").display());
    let org = HubProcess::add_org(&db, hub_dir.path(), "さくら");
    let hub = HubProcess::serve(&db);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for (dir, name) in [(a.path(), "tablet A"), (b.path(), "tablet B")] {
        run(
            dir,
            None,
            &["init", "--user", "admin", "--insecure-fast-kdf-for-tests"],
        );
        let code = HubProcess::invite(&db, &org);
        run(
            dir,
            None,
            &[
                "enrol",
                "--hub",
                &hub.url(),
                "--code",
                &code,
                "--name",
                name,
            ],
        );
    }
    drop(hub);
    for dir in [a.path(), b.path()] {
        add_yamada(dir);
    }

    let mut serving = karte(
        b.path(),
        Some(ns_b),
        &["peer", "serve", "--listen", "0.0.0.0:47080", "--once"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(serving.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("0.0.0.0:47080"), "{first}");
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            eprintln!("B: {line}");
        }
    });

    let heard = run(a.path(), Some(ns_a), &["peer", "list", "--wait", "4"]);
    assert_eq!(
        heard.trim(),
        "10.77.0.2:47080",
        "A hears B at its own address only"
    );
    let said = run(a.path(), Some(ns_a), &["peer", "sync", heard.trim()]);
    assert!(
        said.contains("received 1 change") || said.contains("received"),
        "{said}"
    );
    assert!(serving.wait().unwrap().success());
    assert_eq!(patients(a.path()), patients(b.path()));
    assert_eq!(patients(a.path()).len(), 2);
}
