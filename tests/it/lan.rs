//! Devices on a local network made of Linux network namespaces, shared by
//! the peer tests: a veth pair between two namespaces, or several device
//! namespaces on one bridge (a namespace of its own, as a Wi-Fi access
//! point); links shaped as a field Wi-Fi; `karte` processes run inside a
//! device's namespace; and a userspace delay proxy. Needs root
//! (`ip netns`); [`Lan`] is `None` otherwise and the tests say they skip.
//!
//! The kernel of the test machines has no `netem` qdisc, so a shaped link
//! is "tbf 5 mbit + nft 2 % loss + userspace 20 ms each way, in place of
//! `tc netem`": `tbf` limits each device's outgoing rate, an nftables rule
//! in each device namespace drops 2 % of its outgoing packets at random,
//! and the delay proxy (`karte-e2e-delay`, run inside the dialler's
//! namespace) holds every chunk 20 ms in each direction.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use karte_api::{Environment, Session};
use karte_types::{ChartView, PatientId, Visit};

use crate::hub_process::{HubProcess, hub_binary};

pub const PASSPHRASE: &str = "correct horse battery staple";

/// The namespaces of one test, deleted on drop (also on a panic).
#[derive(Debug)]
pub struct Lan {
    /// Device namespaces, in the order asked for.
    pub names: Vec<String>,
    /// Every namespace made, the bridge's too.
    made: Vec<String>,
}

impl Drop for Lan {
    fn drop(&mut self) {
        for name in &self.made {
            let _ = Command::new("ip").args(["netns", "del", name]).status();
        }
    }
}

pub fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

fn must(program: &str, args: &[&str]) {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("{program} runs: {error}"));
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A suffix no other test of this process (nor another process) uses.
fn suffix() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}x{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

impl Lan {
    /// Two namespaces `ka…`, `kb…` with 10.77.0.1 and 10.77.0.2 on a veth
    /// pair (`va`, `vb`), multicast on; `None` when this process may not
    /// make them.
    pub fn pair() -> Option<Lan> {
        let suffix = suffix();
        let (a, b) = (format!("ka{suffix}"), format!("kb{suffix}"));
        if !ip(&["netns", "add", &a]) {
            return None;
        }
        let mut lan = Lan {
            names: vec![a.clone(), b.clone()],
            made: vec![a.clone()],
        };
        assert!(ip(&["netns", "add", &b]), "ip netns add {b}");
        lan.made.push(b.clone());
        let steps: Vec<Vec<&str>> = vec![
            vec![
                "link", "add", "va", "netns", &a, "type", "veth", "peer", "name", "vb", "netns", &b,
            ],
            vec!["-n", &a, "addr", "add", "10.77.0.1/24", "dev", "va"],
            vec!["-n", &b, "addr", "add", "10.77.0.2/24", "dev", "vb"],
        ];
        for step in steps {
            assert!(ip(&step), "ip {step:?} failed");
        }
        for (name, dev) in [(&a, "va"), (&b, "vb")] {
            device_up(name, dev);
        }
        Some(lan)
    }

    /// `count` device namespaces on one bridge (in a namespace `ksw…` of
    /// its own): device `i` (from 0) is 10.77.0.`i+1` on its interface
    /// `v0`, multicast on; `None` when this process may not make them.
    pub fn bridged(count: usize) -> Option<Lan> {
        let suffix = suffix();
        let switch = format!("ksw{suffix}");
        if !ip(&["netns", "add", &switch]) {
            return None;
        }
        let mut lan = Lan {
            names: Vec::new(),
            made: vec![switch.clone()],
        };
        for step in [
            vec!["-n", &switch, "link", "add", "br0", "type", "bridge"],
            vec!["-n", &switch, "link", "set", "br0", "up"],
        ] {
            assert!(ip(&step), "ip {step:?} failed");
        }
        for i in 0..count {
            let name = format!("k{i}{suffix}");
            assert!(ip(&["netns", "add", &name]), "ip netns add {name}");
            lan.made.push(name.clone());
            let port = format!("p{i}");
            let address = format!("10.77.0.{}/24", i + 1);
            for step in [
                vec![
                    "link", "add", "v0", "netns", &name, "type", "veth", "peer", "name", &port,
                    "netns", &switch,
                ],
                vec!["-n", &switch, "link", "set", &port, "master", "br0", "up"],
                vec!["-n", &name, "addr", "add", &address, "dev", "v0"],
            ] {
                assert!(ip(&step), "ip {step:?} failed");
            }
            device_up(&name, "v0");
            lan.names.push(name);
        }
        Some(lan)
    }

    /// The address of device `i` of a bridged LAN.
    pub fn address(i: usize) -> String {
        format!("10.77.0.{}", i + 1)
    }

    /// Shapes every device's outgoing traffic as a field Wi-Fi: `tbf` at 5
    /// Mbit/s on its interface and an nftables rule dropping 2 % of its
    /// packets at random (the delay is the proxy's, see [`DelayProxy`]).
    pub fn shape_as_field_wifi(&self, dev: &str) {
        for name in &self.names {
            must(
                "tc",
                &[
                    "-n", name, "qdisc", "add", "dev", dev, "root", "tbf", "rate", "5mbit",
                    "burst", "32kbit", "latency", "400ms",
                ],
            );
            let nft = |rule: &str| must("ip", &["netns", "exec", name, "nft", rule]);
            nft("add table inet shape");
            nft("add chain inet shape out { type filter hook output priority 0; }");
            // The device's own link only: not the loopback hop to the proxy.
            nft(&format!(
                "add rule inet shape out oifname \"{dev}\" numgen random mod 100 < 2 drop"
            ));
        }
    }
}

/// Brings a device namespace's interface and loopback up, with a route for
/// multicast (a namespace has no default route).
fn device_up(name: &str, dev: &str) {
    for step in [
        vec!["-n", name, "link", "set", dev, "up", "multicast", "on"],
        vec!["-n", name, "link", "set", "lo", "up"],
        vec!["-n", name, "route", "add", "224.0.0.0/4", "dev", dev],
    ] {
        assert!(ip(&step), "ip {step:?} failed");
    }
}

/// The `karte` binary beside `karte-hub`.
pub fn karte_binary() -> PathBuf {
    let karte = hub_binary().with_file_name("karte");
    assert!(
        karte.exists(),
        "{} is missing: build it with `cargo build -p karte-cli`",
        karte.display()
    );
    karte
}

/// `karte` on the vault in `dir`, inside `namespace` if one is given.
pub fn karte(dir: &Path, namespace: Option<&str>, args: &[&str]) -> Command {
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

pub fn ok(output: Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

pub fn run(dir: &Path, namespace: Option<&str>, args: &[&str]) -> String {
    ok(
        karte(dir, namespace, args).output().expect("karte runs"),
        &format!("karte {args:?}"),
    )
}

/// Runs a command that must fail; returns its standard error.
pub fn fails(dir: &Path, namespace: Option<&str>, args: &[&str]) -> String {
    let output = karte(dir, namespace, args).output().expect("karte runs");
    assert!(
        !output.status.success(),
        "karte {args:?} should have failed but printed:\n{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    assert!(!stderr.contains("panicked"), "karte {args:?}: {stderr}");
    stderr
}

pub fn patients(dir: &Path) -> Vec<String> {
    let mut ids: Vec<String> = run(dir, None, &["patient", "list", "--ids"])
        .lines()
        .map(str::to_owned)
        .collect();
    ids.sort();
    ids
}

/// Every chart the vault in `dir` holds, by patient id, read in this
/// process (one unlock, not one `karte` process a chart).
pub fn charts(dir: &Path) -> BTreeMap<String, ChartView> {
    let mut session = Session::open(
        &dir.join("vault.karte"),
        None,
        PASSPHRASE.as_bytes(),
        Environment::system(),
    )
    .expect("the vault opens");
    let ids: Vec<PatientId> = session
        .patients("")
        .expect("a patient list")
        .into_iter()
        .map(|patient| patient.id)
        .collect();
    let charts = ids
        .into_iter()
        .map(|id| {
            let chart = session.chart(&id).expect("a chart");
            (id.to_string(), chart)
        })
        .collect();
    session.lock();
    charts
}

/// Every visit of every chart `dir` holds, by patient.
pub fn visits_by_patient(dir: &Path) -> BTreeMap<String, Vec<Visit>> {
    charts(dir)
        .into_iter()
        .map(|(patient, chart)| (patient, chart.visits))
        .collect()
}

pub fn add_yamada(dir: &Path) -> String {
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
    )
    .trim()
    .to_owned()
}

/// A new vault in a temporary folder, enrolled at `hub` (serving `db`)
/// into `org` as `name`, outside any namespace.
pub fn enrolled(hub: &HubProcess, db: &str, org: &str, name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    run(
        dir.path(),
        None,
        &["init", "--user", "admin", "--insecure-fast-kdf-for-tests"],
    );
    let code = HubProcess::invite(db, org);
    run(
        dir.path(),
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
    dir
}

/// `karte peer serve --once` inside a namespace (or on loopback without
/// one), its first line read; the rest of its standard error is echoed
/// with `label`.
#[derive(Debug)]
pub struct Serving {
    pub child: Child,
    /// The address it said it listens on.
    pub listening: String,
    /// Its standard error after the first line, line by line.
    progress: Receiver<String>,
}

impl Serving {
    pub fn start(dir: &Path, namespace: Option<&str>, listen: &str, label: &str) -> Serving {
        let mut child = karte(
            dir,
            namespace,
            &["peer", "serve", "--listen", listen, "--once"],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let listening = first
            .split_whitespace()
            .last()
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_owned();
        let progress = echo_lines(lines, label);
        Serving {
            child,
            listening,
            progress,
        }
    }

    /// Waits until the server prints a line containing `text`.
    pub fn wait_for(&self, text: &str) {
        wait_for(&self.progress, text, "the server");
    }

    /// Waits for the one session to end: whether it succeeded, and its
    /// summary.
    pub fn finish(self) -> (bool, String) {
        let output = self.child.wait_with_output().unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    }
}

/// Echoes `lines` to standard error with `label`, and hands them on.
pub fn echo_lines(
    lines: impl Iterator<Item = std::io::Result<String>> + Send + 'static,
    label: &str,
) -> Receiver<String> {
    let label = label.to_owned();
    let (lines_out, lines_in) = channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            eprintln!("{label}: {line}");
            let _ = lines_out.send(line);
        }
    });
    lines_in
}

/// Waits until `who` prints a line containing `text` (a minute at most).
pub fn wait_for(lines: &Receiver<String>, text: &str, who: &str) {
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("{who} never said {text:?}"));
        if line.contains(text) {
            return;
        }
    }
}

/// The delay proxy (`karte-e2e-delay`) run inside `namespace`: it listens
/// on `listen` and passes each connection on to `target`, every chunk held
/// `delay_ms` in each direction. Killed on drop.
#[derive(Debug)]
pub struct DelayProxy {
    child: Child,
    pub address: String,
}

impl DelayProxy {
    pub fn start(namespace: &str, listen: &str, target: &str, delay_ms: u64) -> DelayProxy {
        let mut child = Command::new("ip")
            .args(["netns", "exec", namespace])
            .arg(env!("CARGO_BIN_EXE_karte-e2e-delay"))
            .args([listen, target, &delay_ms.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let address = first
            .split_whitespace()
            .last()
            .unwrap_or_else(|| panic!("no address in {first:?}"))
            .to_owned();
        DelayProxy { child, address }
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
