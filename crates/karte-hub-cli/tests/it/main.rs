//! The real `karte-hub` binary on a hub database in a temporary folder:
//! the administrator's commands, and serving until it is stopped. (The
//! device's side against it is tested in `karte-cli` and `tests/`.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Output, Stdio};

/// A hub database in a temporary folder.
struct HubDb {
    dir: tempfile::TempDir,
}

impl HubDb {
    fn new() -> HubDb {
        HubDb {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// `karte-hub --db sqlite:… ARGS…`, with `--db` before the subcommand
    /// as an administrator types it.
    fn command(&self, args: &[&str]) -> Command {
        let db = format!("sqlite:{}", self.dir.path().join("hub.sqlite").display());
        let mut command = Command::new(env!("CARGO_BIN_EXE_karte-hub"));
        command.args(["--db", &db]).args(args);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Makes a master key file named `name` in the folder; its path.
    fn master_key(&self, name: &str) -> String {
        let path = self.dir.path().join(name).display().to_string();
        self.admin(&["master-key", "new", "--out", &path]);
        path
    }

    /// Runs a command that must succeed; its standard output, trimmed.
    fn admin(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "karte-hub {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }
}

#[test]
fn an_organisation_is_added_and_its_devices_invited_listed_and_revoked() {
    let hub = HubDb::new();
    let key = hub.dir.path().join("station.recovery");
    let org = hub.admin(&[
        "org",
        "add",
        "ひまわり訪問看護",
        "--recovery-key-out",
        key.to_str().unwrap(),
    ]);
    assert_eq!(org.len(), 26, "a ULID: {org}");
    assert!(std::fs::read_to_string(&key).unwrap().contains("recovery"));
    assert_eq!(
        hub.admin(&["org", "list"]),
        format!("{org}\tひまわり訪問看護")
    );
    let code = hub.admin(&["device", "invite", "--org", &org, "--valid-hours", "1"]);
    assert!(!code.is_empty());
    let listed = hub.admin(&["device", "list"]);
    assert_eq!(listed.lines().count(), 1, "only the header: {listed}");

    let quarantined = hub.admin(&["chart", "quarantined", "--org", &org]);
    assert_eq!(
        quarantined, "ORGANISATION\tDEVICE\tCHART\tREASON\tSINCE\tREPORTED",
        "no device reported a chart in quarantine"
    );

    let unknown = hub.run(&["device", "revoke", "01NOSUCHDEVICE"]);
    assert!(!unknown.status.success());
    let message = String::from_utf8_lossy(&unknown.stderr);
    assert!(message.contains("not enrolled"), "{message}");

    let again = hub.run(&[
        "org",
        "add",
        "other",
        "--recovery-key-out",
        key.to_str().unwrap(),
    ]);
    assert!(
        !again.status.success(),
        "a recovery key is never overwritten"
    );
}

#[test]
fn a_database_that_is_neither_sqlite_nor_postgres_is_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_karte-hub"))
        .args(["--db", "mysql://hub", "org", "list"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains("sqlite:PATH or postgres://"), "{message}");
}

#[test]
fn serve_says_where_it_listens_and_answers_health() {
    let hub = HubDb::new();
    let key = hub.master_key("master.key");
    let mut child = hub
        .command(&["serve", "--listen", "127.0.0.1:0", "--master-key", &key])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr: SocketAddr = first
        .split_whitespace()
        .find_map(|word| word.strip_prefix("http://"))
        .and_then(|addr| addr.parse().ok())
        .unwrap_or_else(|| panic!("no address in {first:?}"));
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET /v1/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""status":"ok""#), "{answer}");
}

/// Starts `karte-hub serve` with `key` and returns its standard error once
/// it has exited (it must, refusing to start) or said where it listens.
fn serve_until_ready(hub: &HubDb, key: &str) -> (bool, String) {
    let mut child = hub
        .command(&["serve", "--listen", "127.0.0.1:0", "--master-key", key])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let serving = first.contains("serving on");
    let _ = child.kill();
    let _ = child.wait();
    (serving, first)
}

#[cfg(unix)]
#[test]
fn a_master_key_is_made_private_and_another_key_is_refused_at_start() {
    use std::os::unix::fs::PermissionsExt;

    let hub = HubDb::new();
    let key = hub.master_key("master.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let again = hub.run(&["master-key", "new", "--out", &key]);
    assert!(
        !again.status.success(),
        "an existing key file is never overwritten"
    );

    let (serving, said) = serve_until_ready(&hub, &key);
    assert!(serving, "{said}");
    let db_mode = std::fs::metadata(hub.dir.path().join("hub.sqlite"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(db_mode, 0o600);

    let other = hub.master_key("other.key");
    let (serving, said) = serve_until_ready(&hub, &other);
    assert!(!serving, "served with another master key: {said}");
    assert!(said.contains("master key given does not open"), "{said}");

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (serving, said) = serve_until_ready(&hub, &key);
    assert!(!serving, "served with a key file others may read: {said}");
    assert!(said.contains("chmod 600"), "{said}");

    let without = hub.run(&["serve", "--listen", "127.0.0.1:0"]);
    assert!(!without.status.success(), "served without a master key");
}

/// Fills the hub database with an organisation, an enrolled device and
/// `details.len()` audit entries it handed in, as the server stores them;
/// returns the device's id.
fn device_with_audit_log(hub: &HubDb, key: &str, details: &[&str]) -> String {
    use karte_hub::{AuditHead, AuditUploadIn, HubStore, MasterKeyFile, NewDevice, SqliteHubStore};
    use karte_store::{AuditAction, AuditEvent, KdfParams, Vault};
    use karte_types::{DeviceId, Timestamp, UserId};

    let now = Timestamp(1_795_564_800_000);
    let device = DeviceId("01DEVICE0000000000000TABLET".into());
    let folder = tempfile::tempdir().unwrap();
    let mut vault = Vault::create(
        &folder.path().join("v.karte"),
        "sato",
        b"correct horse battery staple",
        KdfParams::insecure_fast_for_tests(),
        UserId::from("U1"),
        device.clone(),
        now,
    )
    .unwrap();
    for detail in details {
        vault
            .record_audit(AuditEvent {
                at: now,
                action: AuditAction::ChartOpen,
                patient: None,
                detail: (*detail).to_owned(),
            })
            .unwrap();
    }
    let entries = vault.audit_records_after(0, 100).unwrap();
    let path = hub.dir.path().join("hub.sqlite");
    let store = SqliteHubStore::open(&path, MasterKeyFile::read(key.as_ref()).unwrap()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (org, _) = karte_hub::new_org("さくら", now, &ring::rand::SystemRandom::new()).unwrap();
        store.add_org(&org).await.unwrap();
        store
            .create_enrolment(&org.id, [1; 32], Timestamp(now.0 + 60_000))
            .await
            .unwrap();
        let new = NewDevice {
            id: device.clone(),
            public_key: vec![2; 32],
            actor_prefix: [3; 16],
        };
        store.redeem_enrolment([1; 32], &new, now).await.unwrap();
        let upload = AuditUploadIn {
            after: AuditHead::EMPTY,
            entries,
            signature: vec![4; 64],
        };
        store.store_audit(&device, upload, None, now).await.unwrap();
    });
    device.0
}

#[test]
fn a_devices_audit_log_is_shown_with_the_master_key() {
    let hub = HubDb::new();
    let key = hub.master_key("master.key");
    let device = device_with_audit_log(&hub, &key, &["山田太郎のカルテを開いた", "export"]);
    let shown = hub.admin(&["device", "audit", &device, "--master-key", &key]);
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 3, "{shown}");
    assert!(lines[0].starts_with("SEQ\tAT\tUSER\tACTION"), "{shown}");
    assert!(lines[1].starts_with("1\t"), "{shown}");
    assert!(
        lines[1].contains("\tsato\tchart-open\t-\t山田太郎のカルテを開いた\t"),
        "{shown}"
    );
    assert!(
        lines[2].contains("\tyes\t"),
        "the last entry carries the device's signature: {shown}"
    );

    // The entries are sealed: without the master key there is nothing to show.
    let without = hub.run(&["device", "audit", &device]);
    assert!(!without.status.success());
    let unknown = hub.run(&["device", "audit", "01NOSUCHDEVICE", "--master-key", &key]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not enrolled"));
}

#[test]
fn an_organisations_lock_policy_is_set_and_removed_and_codes_need_a_sync_first() {
    let hub = HubDb::new();
    let key = hub.master_key("master.key");
    let device = device_with_audit_log(&hub, &key, &["opened"]);
    let orgs = hub.admin(&["org", "list"]);
    let org = orgs.split('\t').next().unwrap();
    hub.admin(&["org", "policy", org, "--lock-after-days", "14"]);
    hub.admin(&["org", "policy", org, "--no-lock"]);
    let zero = hub.run(&["org", "policy", org, "--lock-after-days", "0"]);
    assert!(!zero.status.success());
    let neither = hub.run(&["org", "policy", org]);
    assert!(!neither.status.success(), "a policy or --no-lock");
    let unknown = hub.run(&["org", "policy", "01NOSUCHORG", "--lock-after-days", "3"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not known"));

    // Codes are made at the device's first sync under a policy.
    hub.admin(&["org", "policy", org, "--lock-after-days", "14"]);
    let early = hub.run(&["device", "unlock-code", &device, "--master-key", &key]);
    assert!(!early.status.success());
    let said = String::from_utf8_lossy(&early.stderr);
    assert!(said.contains("next sync"), "{said}");
}

#[test]
fn a_backup_restores_into_a_new_database_and_postgres_is_pointed_to_pg_dump() {
    let hub = HubDb::new();
    let key = hub.dir.path().join("station.recovery");
    let org = hub.admin(&[
        "org",
        "add",
        "ひまわり訪問看護",
        "--recovery-key-out",
        key.to_str().unwrap(),
    ]);
    let backup = hub.dir.path().join("hub.backup");
    let backup = backup.to_str().unwrap();
    hub.admin(&["backup", "--out", backup]);
    assert!(
        !hub.run(&["backup", "--out", backup]).status.success(),
        "a backup file is never overwritten"
    );

    let restored = HubDb::new();
    // Over the database in the way: refused, nothing touched.
    let into_existing = hub.run(&["restore", "--from", backup]);
    assert!(!into_existing.status.success());
    restored.admin(&["restore", "--from", backup]);
    assert_eq!(
        restored.admin(&["org", "list"]),
        format!("{org}\tひまわり訪問看護")
    );

    let postgres = Command::new(env!("CARGO_BIN_EXE_karte-hub"))
        .args([
            "--db",
            "postgres://karte@127.0.0.1/hub",
            "backup",
            "--out",
            "x",
        ])
        .output()
        .unwrap();
    assert!(!postgres.status.success());
    let message = String::from_utf8_lossy(&postgres.stderr);
    assert!(message.contains("pg_dump"), "{message}");
}

#[test]
fn an_organisation_added_without_a_signing_key_gets_one_and_keeps_it() {
    let hub = HubDb::new();
    let master = hub.master_key("hub.key");
    let recovery = hub.dir.path().join("station.recovery");
    let org = hub.admin(&[
        "org",
        "add",
        "ひまわり訪問看護",
        "--recovery-key-out",
        recovery.to_str().unwrap(),
    ]);
    let made = hub.admin(&["org", "signing-key", "new", &org, "--master-key", &master]);
    assert_eq!(made.len(), 64, "an Ed25519 public key in hex: {made}");
    let again = hub.admin(&["org", "signing-key", "new", &org, "--master-key", &master]);
    assert_eq!(again, made, "a key devices trust is never replaced");
    let unknown = hub.run(&[
        "org",
        "signing-key",
        "new",
        "01NOSUCHORG",
        "--master-key",
        &master,
    ]);
    assert!(!unknown.status.success());
}
