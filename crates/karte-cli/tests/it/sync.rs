//! The device's sync commands against a real `karte-hub serve` on
//! 127.0.0.1, set up with the hub's own admin commands: enrol, sync with a
//! one-line summary, share, and recover a vault whose passphrase is lost.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::support::TestVault;

/// The `karte-hub` binary, which the workspace builds beside `karte` (the
/// crate `karte-hub-cli`; `cargo test --workspace` builds it).
fn hub_binary() -> PathBuf {
    let hub = Path::new(env!("CARGO_BIN_EXE_karte")).with_file_name("karte-hub");
    assert!(
        hub.exists(),
        "{} is missing: build it first with `cargo build -p karte-hub-cli` \
         (`cargo test --workspace` does), then run these tests again",
        hub.display()
    );
    hub
}

/// A hub database in a temporary folder, administered and served by the
/// `karte-hub` binary.
pub(crate) struct HubProcess {
    pub(crate) dir: tempfile::TempDir,
    serving: Option<Child>,
    url: String,
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.serving.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl HubProcess {
    /// Stops serving: the devices are on their own.
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.serving.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub(crate) fn new() -> HubProcess {
        HubProcess {
            dir: tempfile::tempdir().unwrap(),
            serving: None,
            url: String::new(),
        }
    }

    fn hub(&self, args: &[&str]) -> Command {
        let mut command = Command::new(hub_binary());
        let db = format!("sqlite:{}", self.dir.path().join("hub.sqlite").display());
        command.args(["--db", &db]).args(args);
        command
    }

    /// Runs an admin command; returns its standard output, trimmed.
    pub(crate) fn admin(&self, args: &[&str]) -> String {
        let output = self.hub(args).output().unwrap();
        assert!(
            output.status.success(),
            "karte-hub {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    fn key_file(&self, name: &str) -> PathBuf {
        self.dir.path().join(format!("{name}.key"))
    }

    /// Adds an organisation; its recovery key goes to `key_file(name)`.
    pub(crate) fn add_org(&self, name: &str) -> String {
        let key = self.key_file(name);
        self.admin(&[
            "org",
            "add",
            name,
            "--recovery-key-out",
            key.to_str().unwrap(),
        ])
    }

    fn invite(&self, org: &str) -> String {
        self.admin(&["device", "invite", "--org", org])
    }

    /// Starts serving on a free loopback port.
    pub(crate) fn serve(&mut self) {
        self.serve_with(&[]);
    }

    /// Starts serving on a free loopback port, with `extra` arguments,
    /// sealing charts under a master key made in the folder the first time.
    fn serve_with(&mut self, extra: &[&str]) {
        let master_key = self.dir.path().join("hub-master.key");
        let master_key = master_key.to_str().unwrap();
        if !self.dir.path().join("hub-master.key").exists() {
            self.admin(&["master-key", "new", "--out", master_key]);
        }
        let mut child = self
            .hub(&[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--master-key",
                master_key,
            ])
            .args(extra)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let line = lines.next().unwrap().unwrap();
        let url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://") || word.starts_with("https://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        self.url = url.to_owned();
        // Keep draining the hub's log so it never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        self.serving = Some(child);
    }
}

pub(crate) fn enrolled(hub: &HubProcess, org: &str, name: &str) -> TestVault {
    let vault = TestVault::new();
    let code = hub.invite(org);
    let out = vault.ok(&["enrol", "--hub", &hub.url, "--code", &code, "--name", name]);
    assert!(out.contains("enrolled"), "{out}");
    vault
}

#[test]
fn devices_enrol_sync_and_converge_with_a_one_line_summary() {
    let mut hub = HubProcess::new();
    let org = hub.add_org("さくら");
    hub.serve();
    let a = enrolled(&hub, &org, "tablet A");
    let b = enrolled(&hub, &org, "tablet B");
    let patient = a.add_yamada();
    a.ok(&["visit", "record", &patient, "--pulse", "72"]);

    let pushed = a.ok(&["sync"]);
    assert_eq!(pushed.lines().count(), 1, "{pushed}");
    assert!(
        // A chart new to the hub goes whole.
        pushed.starts_with("pushed 0 changes in 1 chart (1 whole)"),
        "{pushed}"
    );
    let received = b.ok(&["sync"]);
    assert!(received.contains("(1 whole)"), "{received}");
    assert_eq!(b.ok(&["patient", "list", "--ids"]).trim(), patient);
    b.ok(&["visit", "record", &patient, "--pulse", "80"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    assert_eq!(a.chart_json(&patient), b.chart_json(&patient));

    let summary: serde_json::Value = serde_json::from_str(&a.ok(&["sync", "--json"])).unwrap();
    assert_eq!(summary["requests"], 1);
    assert_eq!(summary["pushed_changes"], 0);
}

/// Issue 11, item 1: a chart whose latest change the hub serves with a
/// signature that does not verify (written into the hub's database behind
/// its back) is put in quarantine; the rest of the page is applied, `karte
/// sync` names the chart and why, the next sync goes on, and the hub's
/// administrator sees it with `karte-hub chart quarantined`.
#[test]
fn a_chart_that_cannot_be_applied_is_quarantined_named_and_reported() {
    let mut hub = HubProcess::new();
    let org = hub.add_org("さくら");
    hub.serve();
    let a = enrolled(&hub, &org, "tablet A");
    let b = enrolled(&hub, &org, "tablet B");
    let patients: Vec<String> = (0..3).map(|_| a.add_yamada()).collect();
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    for patient in &patients {
        a.ok(&["visit", "record", patient, "--pulse", "72"]);
    }
    a.ok(&["sync"]);
    let poisoned = &patients[1];
    let db = rusqlite::Connection::open(hub.dir.path().join("hub.sqlite")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(30)).unwrap();
    let changed = db
        .execute(
            "UPDATE changes SET signature = zeroblob(64) WHERE doc = ?1 AND hash =
                 (SELECT hash FROM feed WHERE doc = ?1 AND kind = 'change'
                  ORDER BY position DESC LIMIT 1)",
            [poisoned],
        )
        .unwrap();
    assert_eq!(changed, 1);

    let out = b.ok(&["sync"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with(
            "pushed 0 changes in 0 charts, received 3 changes in 3 charts, 1 chart quarantined"
        ),
        "{out}"
    );
    assert!(
        lines[1].starts_with(&format!("quarantined: chart {poisoned} (forged_change)")),
        "{out}"
    );
    for patient in &patients {
        let visits = b.chart_json(patient)["visits"].as_array().unwrap().len();
        let expected = if patient == poisoned { 0 } else { 1 };
        assert_eq!(visits, expected, "{patient}");
    }

    // The next sync tells the hub, and meets nothing of the chart again.
    let again = b.ok(&["sync"]);
    assert!(
        again.starts_with("pushed 0 changes in 0 charts, received 0 changes"),
        "{again}"
    );
    assert!(
        again.contains(&format!("quarantined: chart {poisoned} (forged_change)")),
        "{again}"
    );
    let listed = hub.admin(&["chart", "quarantined", "--org", &org]);
    let rows: Vec<&str> = listed.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{listed}");
    assert!(rows[0].starts_with(&format!("{org}\t")), "{listed}");
    assert!(
        rows[0].contains(&format!("\t{poisoned}\tforged_change\t")),
        "{listed}"
    );
}

#[test]
fn a_refused_share_is_reported_and_does_not_block_later_syncs() {
    let mut hub = HubProcess::new();
    let org = hub.add_org("さくら");
    hub.serve();
    let a = enrolled(&hub, &org, "tablet A");
    let patient = a.add_yamada();
    let error = a.fails(&["share", &patient, "--org", "01JNOSUCHORG00000000000000"]);
    assert!(error.contains("error[unknown_org]"), "{error}");
    let out = a.ok(&["sync"]);
    assert!(
        out.starts_with("pushed 0 changes in 1 chart (1 whole)"),
        "{out}"
    );
}

/// Issue 11, item 2: a share into another organisation waits for its
/// administrator (`karte-hub share approve-each`, `pending`, `approve`),
/// then reaches its devices; `karte unshare` takes it away again.
#[test]
fn a_share_waits_for_approval_and_karte_unshare_takes_it_back() {
    let mut hub = HubProcess::new();
    let clinic = hub.add_org("診療所");
    let station = hub.add_org("さくら");
    hub.serve();
    let doctor = enrolled(&hub, &clinic, "clinic laptop");
    let nurse = enrolled(&hub, &station, "station tablet");
    let patient = doctor.add_yamada();
    doctor.ok(&["sync"]);

    let refused = doctor.fails(&["share", &patient, "--org", &station]);
    assert!(refused.contains("error[share_not_accepted]"), "{refused}");
    assert!(
        refused.contains("karte-hub share"),
        "says what to do: {refused}"
    );
    doctor.ok(&["sync"]);

    hub.admin(&["share", "approve-each", "--org", &station]);
    let waiting = doctor.ok(&["share", &patient, "--org", &station]);
    assert!(waiting.contains("waits for"), "{waiting}");
    assert!(waiting.contains("1 share awaiting"), "{waiting}");
    let pending = hub.admin(&["share", "pending", "--org", &station]);
    assert!(
        pending.contains(&patient) && pending.contains(&clinic),
        "{pending}"
    );
    nurse.ok(&["sync"]);
    assert!(!nurse.ok(&["patient", "list", "--ids"]).contains(&patient));

    hub.admin(&["share", "approve", "--org", &station, &patient]);
    assert!(
        !hub.admin(&["share", "pending", "--org", &station])
            .contains(&patient)
    );
    nurse.ok(&["sync"]);
    assert!(nurse.ok(&["patient", "list", "--ids"]).contains(&patient));

    let out = doctor.ok(&["unshare", &patient, "--org", &station]);
    assert!(out.contains("no longer shares"), "{out}");
    assert!(out.contains("1 organisation removed"), "{out}");
    let out = nurse.ok(&["sync"]);
    assert!(out.contains("1 chart no longer shared removed"), "{out}");
    assert!(!nurse.ok(&["patient", "list", "--ids"]).contains(&patient));
    let refused = nurse.fails(&["unshare", &patient, "--org", &clinic]);
    assert!(refused.contains("error["), "{refused}");
}

#[test]
fn the_recovery_key_resets_a_forgotten_passphrase() {
    let mut hub = HubProcess::new();
    let org = hub.add_org("さくら");
    hub.serve();
    let a = enrolled(&hub, &org, "tablet A");
    let patient = a.add_yamada();
    let key = hub.key_file("さくら");
    let output = a
        .command(&["recover", "--recovery-key", key.to_str().unwrap()])
        .env_remove("KARTE_PASSPHRASE")
        .env("KARTE_NEW_PASSPHRASE", "a brand new passphrase")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listed = a
        .command(&["patient", "list", "--ids"])
        .env("KARTE_PASSPHRASE", "a brand new passphrase")
        .output()
        .unwrap();
    assert!(listed.status.success());
    assert_eq!(String::from_utf8(listed.stdout).unwrap().trim(), patient);
    assert!(a.fails(&["patient", "list"]).contains("wrong_passphrase"));
}

#[test]
fn a_recovery_key_file_protected_by_a_passphrase_needs_it() {
    let mut hub = HubProcess::new();
    let key = hub.key_file("ひまわり");
    let org = {
        let output = hub
            .hub(&["org", "add", "ひまわり", "--protect", "--recovery-key-out"])
            .arg(&key)
            .env("KARTE_RECOVERY_PASSPHRASE", "kept in the station safe")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    let text = std::fs::read_to_string(&key).unwrap();
    assert!(text.contains("karte-recovery-key-protected-v1:"), "{text}");
    hub.serve();
    let a = enrolled(&hub, &org, "tablet A");
    a.add_yamada();
    let recover = |passphrase: &str| {
        a.command(&["recover", "--recovery-key", key.to_str().unwrap()])
            .env_remove("KARTE_PASSPHRASE")
            .env("KARTE_RECOVERY_PASSPHRASE", passphrase)
            .env("KARTE_NEW_PASSPHRASE", "a brand new passphrase")
            .output()
            .unwrap()
    };
    let wrong = recover("a guess");
    assert!(!wrong.status.success());
    let error = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        error.contains("error[wrong_recovery_passphrase]"),
        "{error}"
    );
    let right = recover("kept in the station safe");
    assert!(
        right.status.success(),
        "{}",
        String::from_utf8_lossy(&right.stderr)
    );
}

#[test]
fn plain_http_to_another_machine_is_refused() {
    let vault = TestVault::new();
    let error = vault.fails(&[
        "enrol",
        "--hub",
        "http://192.0.2.10:7878",
        "--code",
        "7K3M-Q9TX-2B8R-ZC4W-H6PD",
    ]);
    assert!(error.contains("error[plain_http]"), "{error}");
    let not_enrolled = vault.fails(&["sync"]);
    assert!(
        not_enrolled.contains("error[not_enrolled]"),
        "{not_enrolled}"
    );
}

/// The certificate authority and hub certificate in `private_ca/`: a
/// private authority that no system trusts, which issued the hub a
/// certificate for localhost and 127.0.0.1, valid until 2126.
fn private_ca(file: &str) -> String {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/private_ca")
        .join(file)
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_hub_with_a_private_authority_is_trusted_only_with_its_certificate() {
    let mut hub = HubProcess::new();
    let org = hub.add_org("さくら");
    let clinic = hub.add_org("診療所");
    hub.serve_with(&[
        "--tls-cert",
        &private_ca("hub.pem"),
        "--tls-key",
        &private_ca("hub.key"),
    ]);
    assert!(hub.url.starts_with("https://127.0.0.1:"), "{}", hub.url);
    let vault = TestVault::new();
    let code = hub.invite(&org);
    let refused = vault.fails(&["enrol", "--hub", &hub.url, "--code", &code]);
    assert!(refused.contains("error["), "{refused}");
    assert!(vault.fails(&["sync"]).contains("error[not_enrolled]"));

    let ca = private_ca("ca.pem");
    let out = vault.ok(&[
        "enrol",
        "--hub",
        &hub.url,
        "--code",
        &code,
        "--name",
        "tablet",
        "--ca-cert",
        &ca,
    ]);
    assert!(out.contains("enrolled"), "{out}");
    let patient = vault.add_yamada();
    let untrusted = vault.fails(&["sync"]);
    assert!(untrusted.contains("error["), "{untrusted}");
    let pushed = vault.ok(&["sync", "--ca-cert", &ca]);
    assert!(
        pushed.starts_with("pushed 0 changes in 1 chart (1 whole)"),
        "{pushed}"
    );
    hub.admin(&["share", "accept", "--org", &clinic, "--from", &org]);
    let shared = vault.ok(&["share", &patient, "--org", &clinic, "--ca-cert", &ca]);
    assert!(shared.starts_with("shared "), "{shared}");
    let missing = vault.fails(&["sync", "--ca-cert", "/no/such/ca.pem"]);
    assert!(missing.contains("/no/such/ca.pem"), "{missing}");
}

/// Issue 11, item 11: an organisation's policy, set with `karte-hub org
/// policy`, reaches the device at its sync; ten days later (by the
/// device's clock, `KARTE_TEST_NOW` from the time of that sync) every
/// command is refused as `device_locked`, until `karte unlock-code` takes
/// the code `karte-hub device unlock-code` printed, once.
#[test]
fn a_device_locked_by_its_organisations_policy_opens_with_an_unlock_code_once() {
    let mut hub = HubProcess::new();
    let org = hub.add_org("さくら");
    hub.admin(&["org", "policy", &org, "--lock-after-days", "7"]);
    hub.serve();
    let vault = enrolled(&hub, &org, "tablet A");
    vault.add_yamada();
    vault.ok(&["sync"]);
    let log: serde_json::Value = serde_json::from_str(&vault.ok(&["audit", "--json"])).unwrap();
    let synced = log.as_array().unwrap().last().unwrap()["event"]["at"]
        .as_i64()
        .unwrap();
    let days_later =
        |days: i64| karte_types::Timestamp(synced + days * 24 * 60 * 60 * 1000).to_rfc3339();
    let at = |days: i64, args: &[&str]| {
        vault
            .command(args)
            .env("KARTE_TEST_NOW", days_later(days))
            .output()
            .unwrap()
    };
    assert!(at(6, &["patient", "list"]).status.success());
    let locked = at(10, &["patient", "list"]);
    assert!(!locked.status.success());
    let said = String::from_utf8_lossy(&locked.stderr);
    assert!(said.contains("error[device_locked]"), "{said}");
    let wrong = at(10, &["unlock-code", "0000-0000-0000"]);
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert!(said.contains("error[wrong_unlock_code]"), "{said}");

    let devices = hub.admin(&["device", "list", "--org", &org]);
    let device = devices.lines().nth(1).unwrap().split('\t').next().unwrap();
    let master_key = hub.dir.path().join("hub-master.key");
    let code = hub.admin(&[
        "device",
        "unlock-code",
        device,
        "--master-key",
        master_key.to_str().unwrap(),
    ]);
    assert!(at(10, &["unlock-code", &code]).status.success());
    assert!(at(12, &["patient", "list"]).status.success());
    let again = at(20, &["unlock-code", &code]);
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(
        said.contains("error[wrong_unlock_code]"),
        "a code works once: {said}"
    );
}

/// A chart's 指示書 reach other devices and their patient lists: the index
/// entry the hub sends beside a chart sent whole carries them (sync
/// protocol 4). Two devices join one after the other, so the second may
/// get the hub's worked-out entry rather than loading the chart itself.
#[test]
fn orders_reach_other_devices_and_their_patient_lists() {
    let mut hub = HubProcess::new();
    let org = hub.add_org("さくら");
    hub.serve();
    let a = enrolled(&hub, &org, "tablet A");
    let patient = a.add_yamada();
    a.ok(&[
        "order",
        "add",
        &patient,
        "--kind",
        "instruction",
        "--from",
        "2026-11-01",
        "--to",
        "2027-04-30",
        "--doctor",
        "田中一郎",
        "--institution",
        "みどり診療所",
        "--diagnosis",
        "脳梗塞後遺症",
    ]);
    a.ok(&["sync"]);
    for name in ["tablet B", "tablet C"] {
        let other = enrolled(&hub, &org, name);
        other.ok(&["sync"]);
        let list: serde_json::Value =
            serde_json::from_str(&other.ok(&["patient", "list", "--json"])).unwrap();
        assert_eq!(
            list[0]["orders"]["spans"][0]["doctor"], "田中一郎",
            "{name}"
        );
        assert_eq!(list[0]["orders"]["spans"][0]["to"], "2027-04-30", "{name}");
        assert_eq!(
            a.chart_json(&patient)["orders"],
            other.chart_json(&patient)["orders"]
        );
    }
}

/// Issue 12: a carried bundle from one device to another of the same
/// organisation, by the commands: one summary line each, and a bundle
/// imported twice is nothing to do (exit 0), not an error.
#[test]
fn karte_bundle_export_and_import_carry_charts_by_hand() {
    let mut hub = HubProcess::new();
    let org = hub.add_org("さくら");
    hub.serve();
    let a = enrolled(&hub, &org, "tablet A");
    let b = enrolled(&hub, &org, "tablet B");
    // A learns B's certificate at its next sync.
    a.ok(&["sync"]);
    let patient = a.add_yamada();
    a.ok(&["visit", "record", &patient, "--pulse", "72"]);
    let file = a.path().with_file_name("charts.kbn");
    let file = file.to_str().unwrap();

    let out = a.ok(&["bundle", "export", "--for", &org, "--out", file]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("wrote") && out.contains("1 charts"), "{out}");
    let bytes = std::fs::read(file).unwrap();
    assert!(bytes.starts_with(b"KBN1"));

    let out = b.ok(&["bundle", "import", file]);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("imported") && out.contains("(1 new)"), "{out}");
    assert_eq!(a.chart_json(&patient), b.chart_json(&patient));
    let again = b.ok(&["bundle", "import", file]);
    assert!(again.contains("nothing to do"), "{again}");

    let error = b.fails(&["bundle", "import", "/nonexistent/charts.kbn"]);
    assert!(error.contains("cannot read"), "{error}");
}

/// Issue 14: a wound photo added on one tablet is exported byte for byte
/// from another after both synced (`karte sync` counts it both ways). The
/// hub keeps it in its photo folder beside its database, sealed.
#[test]
fn a_photo_reaches_another_device_through_karte_sync() {
    let mut hub = HubProcess::new();
    let org = hub.add_org("さくら");
    hub.serve();
    let a = enrolled(&hub, &org, "tablet A");
    let b = enrolled(&hub, &org, "tablet B");
    let patient = a.add_yamada();
    let outside = tempfile::tempdir().unwrap();
    let source = outside.path().join("wound.jpg");
    let photo = karte_photo::sample::jpeg_with_exif(640, 480, 4, 1);
    std::fs::write(&source, &photo).unwrap();
    let entry = a.ok(&["photo", "add", &patient, source.to_str().unwrap()]);
    let entry = entry.trim();
    let taken = outside.path().join("taken.jpg");
    a.ok(&[
        "photo",
        "export",
        &patient,
        entry,
        "--out",
        taken.to_str().unwrap(),
    ]);

    let sent = a.ok(&["sync"]);
    assert!(sent.contains("photos: 1 sent"), "{sent}");
    let received = b.ok(&["sync"]);
    assert!(received.contains("1 received"), "{received}");
    let shown = outside.path().join("shown.jpg");
    b.ok(&[
        "photo",
        "export",
        &patient,
        entry,
        "--out",
        shown.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(&shown).unwrap(),
        std::fs::read(&taken).unwrap(),
        "byte for byte"
    );
    let kept = crate::support::files_below(&hub.dir.path().join("photos"));
    assert_eq!(kept.len(), 1, "one sealed file: {kept:?}");
    let sealed = std::fs::read(&kept[0]).unwrap();
    let taken = std::fs::read(&taken).unwrap();
    assert!(
        !sealed
            .windows(32)
            .any(|w| w == &taken[taken.len() / 2..taken.len() / 2 + 32]),
        "the photo lies sealed"
    );
}
