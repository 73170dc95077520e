//! A real hub (karte-hub's router on an SQLite store) serving plain HTTP on
//! 127.0.0.1, run on its own tokio runtime so the blocking sync client of a
//! `Session` can talk to it from the test thread; and devices: vaults whose
//! sessions enrol at it.

use std::time::Duration;

use karte_api::{ApiError, Environment, KdfParams, Session, SyncSummary, Transport};
use karte_hub::{
    Clock, Hub, HubConfig, HubListener, HubStore, Org, OrgId, PushedDoc, RecoveryPrivateKey,
    ServeOptions, SqliteHubStore, StoredChange, SystemClock, TlsFiles, invite_device, new_org,
};
use karte_store::ChangeSignatureRecord;
use karte_sync::TransportError;
use karte_sync::client::{EnrolmentGrant, EnrolmentRequest};
use karte_test_support::PASSPHRASE;
use karte_types::{DeviceId, PatientId};
use ring::rand::SystemRandom;

pub struct TestHub {
    runtime: tokio::runtime::Runtime,
    pub store: SqliteHubStore,
    pub url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl TestHub {
    pub fn start() -> TestHub {
        TestHub::start_with(HubConfig::default())
    }

    /// A hub whose pages are at most `max_page_bytes`, so a few charts
    /// take several pages.
    pub fn with_pages_of(max_page_bytes: u32) -> TestHub {
        TestHub::start_with(HubConfig {
            max_page_bytes,
            ..HubConfig::default()
        })
    }

    fn start_with(config: HubConfig) -> TestHub {
        TestHub::serve(config, None, None)
    }

    /// Copies the hub's database to `out` while it serves, as
    /// `karte-hub backup` does.
    pub fn backup(&self, out: &std::path::Path) {
        karte_hub::backup_sqlite(&self._dir.path().join("hub.sqlite"), out).unwrap();
    }

    /// A new hub serving a database restored from `backup`, as
    /// `karte-hub restore` makes it: with a new feed identity.
    pub fn restored(backup: &std::path::Path) -> TestHub {
        TestHub::serve(HubConfig::default(), None, Some(backup))
    }

    /// All `doc`'s changes as the hub stores them: bytes and signer.
    pub fn stored_changes(&self, doc: &PatientId) -> Vec<karte_hub::FeedChange> {
        self.runtime
            .block_on(self.store.doc_changes(doc, 0))
            .unwrap()
    }

    /// A hub for devices whose clocks the tests move by days: its clock
    /// window is a year either way, and unlock codes are hashed cheaply.
    pub fn for_moved_clocks() -> TestHub {
        TestHub::start_with(HubConfig {
            replay: karte_sync::ReplayGuard {
                window_ms: 365 * 24 * 60 * 60 * 1000,
            },
            unlock_code_cost: karte_sync::unlock_code::UnlockCodeCost {
                memory_kib: 64,
                iterations: 1,
                parallelism: 1,
            },
            ..HubConfig::default()
        })
    }

    /// A hub serving HTTPS on 127.0.0.1 with a self-signed certificate for
    /// `localhost`; returns it and the certificate (PEM) to trust.
    pub fn with_tls() -> (TestHub, Vec<u8>) {
        let issued = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let pem = issued.cert.pem().into_bytes();
        let key = issued.signing_key.serialize_pem().into_bytes();
        let hub = TestHub::serve(HubConfig::default(), Some((pem.clone(), key)), None);
        (hub, pem)
    }

    fn serve(
        config: HubConfig,
        tls: Option<(Vec<u8>, Vec<u8>)>,
        restore_from: Option<&std::path::Path>,
    ) -> TestHub {
        let dir = tempfile::tempdir().unwrap();
        if let Some(backup) = restore_from {
            let identity: [u8; 16] = ring::rand::generate(&SystemRandom::new()).unwrap().expose();
            karte_hub::restore_sqlite(backup, &dir.path().join("hub.sqlite"), identity).unwrap();
        }
        let tls = tls.map(|(cert, key)| {
            let files = TlsFiles {
                cert: dir.path().join("hub.crt"),
                key: dir.path().join("hub.key"),
            };
            std::fs::write(&files.cert, cert).unwrap();
            std::fs::write(&files.key, key).unwrap();
            files
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let store = SqliteHubStore::open(
            &dir.path().join("hub.sqlite"),
            karte_hub::MasterKeyFile::from_bytes(zeroize::Zeroizing::new([0x5a; 32])),
        )
        .unwrap();
        let hub = Hub::new(store.clone(), SystemClock, config).with_photos(std::sync::Arc::new(
            karte_hub::FsPhotoStore::open(&dir.path().join("photos")).unwrap(),
        ));
        let listener = HubListener::bind(&ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            tls,
            behind_tls_proxy: false,
        })
        .unwrap();
        let url = if listener.is_tls() {
            format!("https://localhost:{}", listener.local_addr().port())
        } else {
            format!("http://{}", listener.local_addr())
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(async move {
            listener
                .serve(hub, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        TestHub {
            runtime,
            store,
            url,
            stop: Some(stop),
            _dir: dir,
        }
    }

    /// The folder the hub serves from: its database and its photos.
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Adds an organisation as `karte-hub org add` does.
    pub fn add_org(&self, name: &str) -> (Org, RecoveryPrivateKey) {
        let (org, key) = new_org(name, SystemClock.now(), &SystemRandom::new()).unwrap();
        self.runtime.block_on(self.store.add_org(&org)).unwrap();
        (org, key)
    }

    /// `org` accepts charts shared by `from`, as `karte-hub share accept`.
    pub fn accept_shares(&self, org: &OrgId, from: &OrgId) {
        self.runtime
            .block_on(self.store.accept_shares_from(org, from))
            .unwrap();
    }

    /// Replaces `org`'s recovery public key in the hub's database, as an
    /// intruder with write access to it would.
    pub fn replace_recovery_key(&self, org: &OrgId) {
        let db = rusqlite::Connection::open(self._dir.path().join("hub.sqlite")).unwrap();
        let changed = db
            .execute(
                "UPDATE orgs SET recovery_public_key = ?1 WHERE id = ?2",
                rusqlite::params![[9u8; 32].to_vec(), org.as_str()],
            )
            .unwrap();
        assert_eq!(changed, 1);
    }

    /// A one-time enrolment code for `org`.
    pub fn invite(&self, org: &OrgId) -> String {
        let invitation = self.runtime.block_on(invite_device(
            &self.store,
            org,
            Duration::from_secs(3600),
            SystemClock.now(),
            &SystemRandom::new(),
        ));
        invitation.unwrap().code
    }

    pub fn revoke(&self, device: &DeviceId, lost: bool) {
        self.runtime
            .block_on(self.store.revoke(device, lost))
            .unwrap();
    }

    pub fn unshare(&self, doc: &PatientId, org: &OrgId) {
        self.runtime
            .block_on(self.store.unshare(doc, org, SystemClock.now()))
            .unwrap();
    }

    /// Stores `changes` of `doc` as pushed by `device`, behind the checks of
    /// the hub's push: as a hub that took pushes unchecked holds them.
    pub fn store_behind_the_checks(
        &self,
        device: &DeviceId,
        doc: &PatientId,
        changes: Vec<StoredChange>,
    ) {
        let pushed = PushedDoc {
            doc: doc.clone(),
            changes,
        };
        let now = SystemClock.now();
        self.runtime
            .block_on(self.store.store_push(device, vec![pushed], now))
            .unwrap();
    }

    /// The chart `doc` as the hub holds it, from every change it stores.
    pub fn chart(&self, doc: &PatientId) -> automerge::Automerge {
        let changes = self
            .runtime
            .block_on(self.store.doc_changes(doc, 0))
            .unwrap();
        let mut chart = automerge::Automerge::new();
        for change in changes {
            chart
                .apply_changes([automerge::Change::try_from(&change.bytes[..]).unwrap()])
                .unwrap();
        }
        chart
    }

    /// The charts devices reported in quarantine, of every organisation.
    pub fn quarantined(&self) -> Vec<karte_hub::Quarantined> {
        self.runtime.block_on(self.store.quarantined(None)).unwrap()
    }

    /// Sets `org`'s lock for lost devices, as `karte-hub org policy`.
    pub fn set_lock_policy(&self, org: &OrgId, lock_after_days: Option<u32>) {
        self.runtime
            .block_on(self.store.set_lock_policy(org, lock_after_days))
            .unwrap();
    }

    /// The next unlock code of `device`, as `karte-hub device unlock-code`.
    pub fn unlock_code(&self, device: &DeviceId) -> String {
        let now = SystemClock.now();
        self.runtime
            .block_on(self.store.issue_unlock_code(device, now))
            .unwrap()
            .1
    }

    /// The audit log the hub holds for `device`, oldest first.
    pub fn device_audit(&self, device: &DeviceId) -> Vec<karte_hub::HeldAuditEntry> {
        self.runtime
            .block_on(self.store.device_audit(device))
            .unwrap()
    }

    /// The highest feed position: what a repeated push must not move.
    pub fn feed_head(&self) -> u64 {
        self.runtime.block_on(self.store.feed_head()).unwrap()
    }
}

/// A device: a vault in a temporary folder with an open session.
pub struct Device {
    pub dir: tempfile::TempDir,
    pub session: Session,
}

impl Device {
    /// A new vault, enrolled at `hub` into `org`.
    pub fn enrolled(hub: &TestHub, org: &OrgId, name: &str) -> Device {
        let mut device = Device::unenrolled();
        let code = hub.invite(org);
        device.session.enrol(&hub.url, &code, name).unwrap();
        device
    }

    pub fn unenrolled() -> Device {
        let dir = tempfile::tempdir().unwrap();
        let session = Session::create(
            &dir.path().join("vault.karte"),
            "admin",
            PASSPHRASE,
            KdfParams::insecure_fast_for_tests(),
            Environment::system(),
        )
        .unwrap();
        Device { dir, session }
    }

    pub fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("vault.karte")
    }

    pub fn sync(&mut self) -> SyncSummary {
        self.session
            .sync(|_| {})
            .unwrap_or_else(|e| panic!("sync failed: {} ({e})", e.code()))
    }

    /// Syncs over `transport` in place of the enrolled hub's address.
    pub fn sync_over(&mut self, transport: &mut dyn Transport) -> Result<SyncSummary, ApiError> {
        self.session.sync_with(transport, |_| {})
    }

    /// Locks the vault and opens it again, as a new process would, with a
    /// clock at `at` and `unlock_code` if given; on failure the vault stays
    /// locked and its folder comes back with the error's code.
    pub fn reopen_at(
        self,
        at: karte_types::Timestamp,
        unlock_code: Option<&str>,
    ) -> Result<Device, (tempfile::TempDir, karte_types::ErrorCode)> {
        let Device { dir, session } = self;
        session.lock();
        Device::open_at(dir, at, unlock_code)
    }

    /// Opens the vault of a device whose session was refused, as
    /// [`Device::reopen_at`] does.
    pub fn open_at(
        dir: tempfile::TempDir,
        at: karte_types::Timestamp,
        unlock_code: Option<&str>,
    ) -> Result<Device, (tempfile::TempDir, karte_types::ErrorCode)> {
        match Session::open_with_code(
            &dir.path().join("vault.karte"),
            None,
            PASSPHRASE,
            unlock_code,
            Environment::fixed(at, 7),
        ) {
            Ok(session) => Ok(Device { dir, session }),
            Err(error) => Err((dir, error.code())),
        }
    }

    /// The change signatures the vault keeps of `doc`, read from the file
    /// as another process would: the session is locked, and opened again.
    pub fn kept_signatures(self, doc: &PatientId) -> (Device, Vec<ChangeSignatureRecord>) {
        let Device { dir, session } = self;
        session.lock();
        let vault = karte_store::Vault::open(&dir.path().join("vault.karte"))
            .unwrap()
            .unlock("admin", PASSPHRASE)
            .unwrap();
        let kept = vault.change_signatures(doc).unwrap();
        vault.lock();
        let session = Session::open(
            &dir.path().join("vault.karte"),
            None,
            PASSPHRASE,
            Environment::system(),
        )
        .unwrap();
        (Device { dir, session }, kept)
    }

    /// Locks the vault and opens it again, as a new process would.
    pub fn reopen(self) -> Device {
        let Device { dir, session } = self;
        session.lock();
        let session = Session::open(
            &dir.path().join("vault.karte"),
            None,
            PASSPHRASE,
            Environment::system(),
        )
        .unwrap();
        Device { dir, session }
    }
}

/// A link to the hub that carries `left` more sync requests, then breaks;
/// with `lose_answers`, the requests reach the hub but the answers are lost.
pub struct Breaking {
    pub inner: karte_api::HttpTransport,
    pub left: usize,
    pub lose_answers: bool,
}

impl Breaking {
    pub fn new(hub: &TestHub, left: usize) -> Breaking {
        Breaking {
            inner: karte_api::HttpTransport::new(&hub.url).unwrap(),
            left,
            lose_answers: false,
        }
    }
}

impl Transport for Breaking {
    fn post_sync(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        let broken = || TransportError::Unreachable {
            detail: "the test broke the link".to_owned(),
        };
        if self.left == 0 {
            if self.lose_answers {
                self.inner.post_sync(body)?;
            }
            return Err(broken());
        }
        self.left -= 1;
        self.inner.post_sync(body)
    }

    fn enrol(&mut self, request: &EnrolmentRequest) -> Result<EnrolmentGrant, TransportError> {
        self.inner.enrol(request)
    }
}

/// A link to the hub that rewrites the family name in every list entry the
/// hub sends beside a chart: a hub that is wrong about its digests.
pub struct Misdigesting(pub karte_api::HttpTransport);

impl Transport for Misdigesting {
    fn post_sync(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        let answer = self.0.post_sync(body)?;
        let mut response = karte_sync::decode_response(&answer).unwrap();
        for update in &mut response.updates {
            if let Some(digest) = &mut update.digest {
                digest.summary.family = "偽".to_owned();
            }
        }
        Ok(karte_sync::encode_response(&response))
    }

    fn enrol(&mut self, request: &EnrolmentRequest) -> Result<EnrolmentGrant, TransportError> {
        self.0.enrol(request)
    }
}

/// A device of an organisation that is enrolled like any other but speaks
/// the protocol itself: it crafts changes with raw Automerge, signs them
/// with its own key and pushes whatever it likes, as a tampered or buggy
/// client could.
pub struct Hostile {
    pub id: DeviceId,
    pub key: karte_sync::DeviceKey,
    pub actor: karte_record::ActorId,
    transport: karte_api::HttpTransport,
    nonces: u64,
}

impl Hostile {
    pub fn enrolled(hub: &TestHub, org: &OrgId) -> Hostile {
        let (key, _) = karte_sync::DeviceKey::generate(&SystemRandom::new()).unwrap();
        let id = DeviceId("01HOSTILE0000000000000000M".to_owned());
        let mut transport = karte_api::HttpTransport::new(&hub.url).unwrap();
        transport
            .enrol(&EnrolmentRequest {
                code: hub.invite(org),
                device_id: id.clone(),
                public_key: key.public_key(),
                device_name: "tampered tablet".to_owned(),
                bundle_key: None,
            })
            .unwrap();
        Hostile {
            actor: karte_record::actor_for(&id, [0x66; 16]),
            id,
            key,
            transport,
            nonces: 0,
        }
    }

    /// A change of chart `doc` that depends on nothing: another "first
    /// change", valid Automerge, that makes the chart's containers again.
    /// Every replica holding the chart refuses it, since its entries would
    /// hide behind one of the two containers.
    pub fn second_first_change(&self, doc: &PatientId) -> Vec<u8> {
        use automerge::transaction::{CommitOptions, Transactable};
        let mut forged = automerge::Automerge::new().with_actor(self.actor.clone());
        let mut tx = forged.transaction();
        tx.put(automerge::ROOT, "schema", 1i64).unwrap();
        tx.put(automerge::ROOT, "patient_id", doc.as_str()).unwrap();
        for key in [
            "patient",
            "allergy_assessment",
            "allergies",
            "conditions",
            "medications",
            "visits",
            "reviews",
            "review_resolutions",
        ] {
            tx.put_object(automerge::ROOT, key, automerge::ObjType::Map)
                .unwrap();
        }
        tx.commit_with(CommitOptions::default().with_message("chart.create".to_owned()));
        forged.get_changes(&[])[0].raw_bytes().to_vec()
    }

    /// `change` signed by this device, as a push carries it.
    pub fn sign(&self, change: &[u8]) -> karte_sync::SignedChange {
        karte_sync::sign_change(&self.key, change).unwrap()
    }

    /// Pushes `changes` of `doc` in one request, at the feed's end.
    pub fn push(
        &mut self,
        hub: &TestHub,
        doc: &PatientId,
        changes: &[Vec<u8>],
    ) -> Result<karte_sync::SyncResponse, TransportError> {
        let request = karte_sync::SyncRequest {
            cursor: hub.feed_head(),
            resume_after: None,
            max_response_bytes: 1 << 20,
            pushes: vec![karte_sync::DocPush {
                doc: doc.clone(),
                changes: changes.iter().map(|change| self.sign(change)).collect(),
                whole: None,
            }],
            audit_head: None,
            shares: Vec::new(),
            unshares: Vec::new(),
            quarantined: None,
            audit: None,
            feed_id: None,
            trust: None,
        };
        self.nonces += 1;
        let mut nonce = [0u8; 16];
        nonce[..8].copy_from_slice(&self.nonces.to_be_bytes());
        let now = karte_sync::wall_clock::now().0;
        let signed = karte_sync::sign_request(&self.key, &self.id, now, nonce, &request);
        let answer = self
            .transport
            .post_sync(karte_sync::encode_request(&signed))?;
        Ok(karte_sync::decode_response(&answer).unwrap())
    }
}
