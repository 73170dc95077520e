//! Peer sync between two devices in two Linux network namespaces joined by
//! a veth pair, as two tablets on one Wi-Fi: `karte peer list` hears the
//! other over multicast DNS, `karte peer sync` reaches it by the address
//! heard, and both end with both devices' work. The devices enrol at a hub
//! on loopback first (outside the namespaces), which they never reach
//! again. Needs root (`ip netns`); skipped with a message otherwise.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::hub_process::{HubProcess, hub_binary};

const PASSPHRASE: &str = "correct horse battery staple";

/// The namespaces of one test, deleted on drop (also on a panic).
struct Namespaces {
    names: Vec<String>,
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for name in &self.names {
            let _ = Command::new("ip").args(["netns", "del", name]).status();
        }
    }
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Two namespaces `ka…`, `kb…` with 10.77.0.1 and 10.77.0.2 on a veth
/// pair, multicast on; `None` when this process may not make them.
fn two_namespaces() -> Option<Namespaces> {
    let suffix = std::process::id();
    let (a, b) = (format!("ka{suffix}"), format!("kb{suffix}"));
    if !ip(&["netns", "add", &a]) {
        return None;
    }
    let made = Namespaces {
        names: vec![a.clone(), b.clone()],
    };
    let steps: Vec<Vec<&str>> = vec![
        vec!["netns", "add", &b],
        vec![
            "link", "add", "va", "netns", &a, "type", "veth", "peer", "name", "vb", "netns", &b,
        ],
        vec!["-n", &a, "addr", "add", "10.77.0.1/24", "dev", "va"],
        vec!["-n", &b, "addr", "add", "10.77.0.2/24", "dev", "vb"],
        vec!["-n", &a, "link", "set", "va", "up", "multicast", "on"],
        vec!["-n", &b, "link", "set", "vb", "up", "multicast", "on"],
        vec!["-n", &a, "link", "set", "lo", "up"],
        vec!["-n", &b, "link", "set", "lo", "up"],
        // No default route in a namespace: multicast needs its own.
        vec!["-n", &a, "route", "add", "224.0.0.0/4", "dev", "va"],
        vec!["-n", &b, "route", "add", "224.0.0.0/4", "dev", "vb"],
    ];
    for step in steps {
        assert!(ip(&step), "ip {step:?} failed");
    }
    Some(made)
}

/// The `karte` binary beside `karte-hub`.
fn karte_binary() -> PathBuf {
    let karte = hub_binary().with_file_name("karte");
    assert!(
        karte.exists(),
        "{} is missing: build it with `cargo build -p karte-cli`",
        karte.display()
    );
    karte
}

/// `karte` on the vault in `dir`, inside `namespace` if one is given.
fn karte(dir: &Path, namespace: Option<&str>, args: &[&str]) -> Command {
    let mut command = match namespace {
        Some(namespace) => {
            let mut command = Command::new("ip");
            command
                .args(["netns", "exec", namespace])
                .arg(karte_binary());
            command
        }
        None => Command::new(karte_binary()),
    };
    command
        .args(args)
        .env("KARTE_VAULT", dir.join("vault.karte"))
        .env("KARTE_PASSPHRASE", PASSPHRASE)
        .env_remove("KARTE_USER");
    command
}

fn ok(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

fn run(dir: &Path, namespace: Option<&str>, args: &[&str]) -> String {
    ok(
        karte(dir, namespace, args).output().expect("karte runs"),
        &format!("karte {args:?}"),
    )
}

fn patients(dir: &Path) -> Vec<String> {
    let mut ids: Vec<String> = run(dir, None, &["patient", "list", "--ids"])
        .lines()
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids
}

#[test]
fn two_tablets_in_their_own_namespaces_find_each_other_and_converge() {
    let Some(namespaces) = two_namespaces() else {
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
        run(
            dir,
            None,
            &[
                "patient",
                "add",
                "--family",
                "山田",
                "--given",
                "太郎",
                "--family-kana",
                "ヤマダ",
                "--given-kana",
                "タロウ",
                "--birth",
                "1941-03-02",
                "--sex",
                "male",
            ],
        );
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
