//! A real hub on 127.0.0.1 and a minimal device that syncs with it: charts
//! made with karte-record, requests built, signed and read with karte-sync.
//! The device pushes every change of its charts the hub is not known to
//! have, and applies what it is sent.

use std::collections::{BTreeMap, HashMap, HashSet};

use automerge::{ActorId, Automerge, ChangeHash};
use karte_hub::{
    Clock, Hub, HubConfig, HubListener, HubStore, ManualClock, Org, OrgId, RecoveryPrivateKey,
    ServeOptions, StoreConfig, invite_device, new_org,
};
use karte_record::{Chart, Edit, actor_for};
use karte_sync::{
    AuditHeadReport, DeviceKey, DocPush, Payload, SignedChange, SyncRequest, SyncResponse,
    decode_response, encode_request, sign_change, sign_request,
};
use karte_types::{Author, Demographics, DeviceId, EntryId, PatientId, Timestamp};
use ring::rand::SystemRandom;
use serde_json::{Value, json};

use crate::backend::Backend;
use crate::support::{MINUTE, NOW, later};

/// A hub serving over HTTP on a free loopback port, with a clock that moves
/// only when a test says so.
pub struct TestHub<B: Backend> {
    /// Kept so the database outlives the hub.
    _backend: B,
    pub store: B::Store,
    pub clock: ManualClock,
    pub url: String,
    /// Where the hub keeps photos.
    pub photos: tempfile::TempDir,
    client: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl<B: Backend> Drop for TestHub<B> {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// What the hub answered: the status and the body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Answer {
    /// The `code` of a JSON problem.
    pub fn code(&self) -> String {
        let problem: Value = serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not a JSON problem: {}", self.text()));
        problem["code"].as_str().unwrap_or_default().to_owned()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The status and code of a refusal, to compare in one assertion.
    pub fn refusal(&self) -> (u16, String) {
        (self.status, self.code())
    }

    pub fn response(&self) -> SyncResponse {
        assert_eq!(self.status, 200, "{}", self.text());
        decode_response(&self.body).unwrap()
    }
}

impl<B: Backend> TestHub<B> {
    pub async fn start() -> TestHub<B> {
        TestHub::start_with(HubConfig::default()).await
    }

    pub async fn start_with(config: HubConfig) -> TestHub<B> {
        TestHub::start_stored(crate::support::sealed(), config).await
    }

    /// A hub whose store is opened with `store_config`.
    pub async fn start_stored(store_config: StoreConfig, config: HubConfig) -> TestHub<B> {
        let backend = B::empty().await;
        let store = backend.open(store_config).await.unwrap();
        let clock = ManualClock::new(NOW);
        let photos = tempfile::tempdir().unwrap();
        let hub = Hub::new(store.clone(), clock.clone(), config).with_photos(std::sync::Arc::new(
            karte_hub::FsPhotoStore::open(photos.path()).unwrap(),
        ));
        let listener = HubListener::bind(&ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            tls: None,
            behind_tls_proxy: false,
        })
        .unwrap();
        let url = format!("http://{}", listener.local_addr());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(listener.serve(hub, async {
            let _ = stopped.await;
        }));
        TestHub {
            _backend: backend,
            store,
            clock,
            url,
            photos,
            client: http_client(),
            stop: Some(stop),
        }
    }

    /// Waits until the hub has worked out the arrival of every snapshot it
    /// cached, as its health report tells.
    /// Every byte of the database as it lies on disk (or in a dump).
    pub async fn dump(&self) -> Vec<u8> {
        self._backend.dump().await
    }

    pub async fn arrivals_settled(&self) {
        for _ in 0..400 {
            let health: Value = serde_json::from_slice(&self.get("/v1/health").await.body).unwrap();
            if health["arrivals_pending"] == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("the hub never finished working out arrivals");
    }

    /// The hub's time, which devices sign their requests with.
    /// The database behind the hub.
    pub fn backend(&self) -> &B {
        &self._backend
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub async fn post(&self, path: &str, body: Vec<u8>) -> Answer {
        let response = self
            .client
            .post(format!("{}{path}", self.url))
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .unwrap();
        Answer {
            status: response.status().as_u16(),
            body: response.bytes().await.unwrap().to_vec(),
        }
    }

    pub async fn post_sync(&self, envelope: Vec<u8>) -> Answer {
        self.post("/v1/sync", envelope).await
    }

    pub async fn post_enrol(&self, request: &Value) -> Answer {
        self.post("/v1/enroll", serde_json::to_vec(request).unwrap())
            .await
    }

    pub async fn get(&self, path: &str) -> Answer {
        let response = self
            .client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap();
        Answer {
            status: response.status().as_u16(),
            body: response.bytes().await.unwrap().to_vec(),
        }
    }

    /// Adds an organisation as `karte-hub org add` does.
    pub async fn add_org(&self, name: &str) -> (Org, RecoveryPrivateKey) {
        let (org, key) = new_org(name, self.clock.now(), &SystemRandom::new()).unwrap();
        self.store.add_org(&org).await.unwrap();
        (org, key)
    }

    /// A one-time code for `org`, valid for an hour.
    pub async fn invite(&self, org: &OrgId) -> String {
        invite_device(
            &self.store,
            org,
            60 * MINUTE,
            self.clock.now(),
            &SystemRandom::new(),
        )
        .await
        .unwrap()
        .code
    }

    /// A new device enrolled into `org` over HTTP.
    pub async fn enrol(&self, org: &OrgId, name: &str) -> TestDevice {
        let device = TestDevice::new(name);
        let code = self.invite(org).await;
        let answer = self.post_enrol(&device.enrolment(&code)).await;
        assert_eq!(answer.status, 200, "{}", answer.text());
        device
    }

    /// The feed head and the number of receipts of `devices`: what any
    /// refused request must leave as it was.
    pub async fn stored(&self, devices: &[&TestDevice]) -> (u64, usize) {
        let mut receipts = 0;
        for device in devices {
            receipts += self.store.receipts(&device.id).await.unwrap().len();
        }
        (self.store.feed_head().await.unwrap(), receipts)
    }

    /// The heads of the hub's copy of `doc`, from every change it stores.
    pub async fn heads(&self, doc: &PatientId) -> Vec<ChangeHash> {
        let changes = self.store.doc_changes(doc, 0).await.unwrap();
        let mut copy = Automerge::new();
        copy.apply_changes(
            changes
                .iter()
                .map(|c| automerge::Change::try_from(&c.bytes[..]).unwrap()),
        )
        .unwrap();
        let mut heads = copy.get_heads();
        heads.sort();
        heads
    }
}

/// A device with its charts, its cursor into the hub's feed and what it
/// knows the hub has.
pub struct TestDevice {
    pub id: DeviceId,
    pub key: DeviceKey,
    pub actor: ActorId,
    pub author: Author,
    pub charts: BTreeMap<PatientId, Chart>,
    /// Per chart, the changes the hub is known to have.
    pub at_hub: HashMap<PatientId, HashSet<ChangeHash>>,
    pub cursor: u64,
    /// The last chart received of a first sync under way.
    pub resume_after: Option<PatientId>,
    pub max_response_bytes: u32,
    pub wiped: bool,
    /// How many edits the device has made; edit `n` is made `n` minutes
    /// after the hub's clock starts, as a device's clock would say, so the
    /// hub finds every edit's time plausible.
    edits: i64,
    nonces: u64,
}

/// One sync to the end of the feed: every response, in order.
#[derive(Debug)]
pub struct Synced {
    pub responses: Vec<SyncResponse>,
    /// Bytes sent and received, bodies only.
    pub sent: usize,
    pub received: usize,
}

impl TestDevice {
    pub fn new(name: &str) -> TestDevice {
        let id = DeviceId(format!("01DEV{name:0>21}"));
        let (key, _pkcs8) = DeviceKey::generate(&SystemRandom::new()).unwrap();
        let mut process = [0u8; 16];
        process[..name.len().min(16)].copy_from_slice(&name.as_bytes()[..name.len().min(16)]);
        TestDevice {
            actor: actor_for(&id, process),
            author: karte_test_support::author(name, id.as_str()),
            id,
            key,
            charts: BTreeMap::new(),
            at_hub: HashMap::new(),
            cursor: 0,
            resume_after: None,
            max_response_bytes: 1 << 20,
            wiped: false,
            edits: 0,
            nonces: 0,
        }
    }

    /// The JSON this device enrols with.
    pub fn enrolment(&self, code: &str) -> Value {
        json!({
            "code": code,
            "device_id": self.id.as_str(),
            "public_key": hex::encode(self.key.public_key()),
            "device_name": "ステーション タブレット",
        })
    }

    /// Registers a patient: a new chart named `01DOC…name`.
    pub fn create_chart(&mut self, name: &str) -> PatientId {
        self.create_chart_of(name, &karte_test_support::yamada())
    }

    /// Registers the patient `patient` in a new chart named `01DOC…name`.
    pub fn create_chart_of(&mut self, name: &str, patient: &Demographics) -> PatientId {
        let id = PatientId(format!("01DOC{name:0>21}"));
        self.edits += 1;
        let (author, at) = (self.author.clone(), later(self.edits));
        let chart = Chart::create(
            self.actor.clone(),
            &id,
            patient,
            &Edit {
                author: &author,
                at,
            },
        )
        .unwrap();
        self.charts.insert(id.clone(), chart);
        id
    }

    /// Records a visit in a chart the device holds.
    pub fn record_visit(&mut self, doc: &PatientId, pulse: u16) {
        self.edits += 1;
        let (author, at) = (self.author.clone(), later(self.edits));
        let device_bits = self
            .key
            .public_key()
            .iter()
            .fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
        let entry = EntryId(ulid::Ulid::from_parts(self.edits as u64, device_bits).to_string());
        let visit = karte_test_support::visit(self.edits, pulse);
        self.charts
            .get_mut(doc)
            .expect("the device holds the chart")
            .record_visit(
                &entry,
                &visit,
                &Edit {
                    author: &author,
                    at,
                },
            )
            .unwrap();
    }

    /// The changes of `doc` the hub is not known to have, in causal order.
    pub fn unsent(&self, doc: &PatientId) -> Vec<Vec<u8>> {
        let saved = Automerge::load(&self.charts[doc].save()).unwrap();
        let known = self.at_hub.get(doc);
        saved
            .get_changes(&[])
            .into_iter()
            .filter(|c| known.is_none_or(|k| !k.contains(&c.hash())))
            .map(|c| c.raw_bytes().to_vec())
            .collect()
    }

    /// Every unsent change of every chart, signed.
    pub fn pushes(&self) -> Vec<DocPush> {
        self.charts
            .keys()
            .filter_map(|doc| {
                let changes: Vec<SignedChange> = self
                    .unsent(doc)
                    .iter()
                    .map(|raw| sign_change(&self.key, raw).unwrap())
                    .collect();
                (!changes.is_empty()).then(|| DocPush {
                    doc: doc.clone(),
                    changes,
                    whole: None,
                })
            })
            .collect()
    }

    pub fn request(&self, pushes: Vec<DocPush>) -> SyncRequest {
        SyncRequest {
            cursor: self.cursor,
            resume_after: self.resume_after.clone(),
            max_response_bytes: self.max_response_bytes,
            pushes,
            audit_head: Some(AuditHeadReport {
                seq: 7,
                hash: [3; 32],
            }),
            shares: Vec::new(),
            unshares: Vec::new(),
            quarantined: None,
            audit: None,
            feed_id: None,
            trust: None,
        }
    }

    fn next_nonce(&mut self) -> [u8; 16] {
        self.nonces += 1;
        let mut nonce = [0u8; 16];
        nonce[..8].copy_from_slice(&self.nonces.to_be_bytes());
        nonce[8..].copy_from_slice(&self.key.public_key()[..8]);
        nonce
    }

    /// Adds a photo entry naming `photo` (its bytes' SHA-256) to `doc`.
    pub fn add_photo(&mut self, doc: &PatientId, photo: &[u8]) -> [u8; 32] {
        self.edits += 1;
        let (author, at) = (self.author.clone(), later(self.edits));
        let hash: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, photo)
            .as_ref()
            .try_into()
            .unwrap();
        let entry = EntryId(ulid::Ulid::from_parts(self.edits as u64, 7).to_string());
        let input = karte_types::PhotoInput {
            attachment: hex::encode(hash),
            media_type: "image/jpeg".into(),
            width: 640,
            height: 480,
            size: photo.len() as u64,
            taken_at: at,
            wound: Some("仙骨部".into()),
            assessment: None,
        };
        self.charts
            .get_mut(doc)
            .expect("the device holds the chart")
            .add_photo(
                &entry,
                &input,
                &Edit {
                    author: &author,
                    at,
                },
            )
            .unwrap();
        hash
    }

    /// The envelope of a photo request, signed now with a fresh nonce.
    pub fn photo_envelope(
        &mut self,
        request: &karte_sync::photo::PhotoRequest,
        now: Timestamp,
    ) -> Vec<u8> {
        let nonce = self.next_nonce();
        karte_sync::photo::encode_photo_request(&self.key, &self.id, now.0, nonce, request)
    }

    /// The envelope of `request`, signed now with a fresh nonce.
    pub fn envelope(&mut self, request: &SyncRequest, now: Timestamp) -> Vec<u8> {
        let nonce = self.next_nonce();
        encode_request(&sign_request(&self.key, &self.id, now.0, nonce, request))
    }

    /// Applies a response as a device would.
    pub fn apply(&mut self, response: &SyncResponse) {
        for acked in &response.acked {
            let known = self.at_hub.entry(acked.doc.clone()).or_default();
            let saved = Automerge::load(&self.charts[&acked.doc].save()).unwrap();
            // Everything unsent was pushed; the hub's heads may name changes
            // of other devices this one has not received yet.
            for change in saved.get_changes(&[]) {
                known.insert(change.hash());
            }
        }
        for update in &response.updates {
            let bytes = match &update.payload {
                Payload::Snapshot(bytes) => bytes.clone(),
                Payload::Changes(changes) => changes.concat(),
            };
            let actor = self.actor.clone();
            let (author, at) = (self.author.clone(), later(self.edits));
            let edit = Edit {
                author: &author,
                at,
            };
            match self.charts.get_mut(&update.doc) {
                Some(chart) => {
                    chart.apply(&bytes, &edit).unwrap();
                }
                None => {
                    let chart = Chart::load(actor, &[&bytes]).unwrap_or_else(|e| {
                        panic!(
                            "{} cannot load {} sent as {}: {e}",
                            self.id,
                            update.doc,
                            match update.payload {
                                Payload::Snapshot(_) => "a snapshot",
                                Payload::Changes(_) => "changes",
                            }
                        )
                    });
                    if let Some(digest) = &update.digest {
                        // What the hub says of the chart is what loading it shows.
                        let mut heads: Vec<[u8; 32]> =
                            chart.heads().iter().map(|head| head.0).collect();
                        let mut told = digest.heads.clone();
                        heads.sort();
                        told.sort();
                        assert_eq!(told, heads, "the digest's heads of {}", update.doc);
                        assert_eq!(digest.summary, chart.summary().unwrap());
                    }
                    self.charts.insert(update.doc.clone(), chart);
                }
            }
            let mut hub_has: HashSet<ChangeHash> = HashSet::new();
            match &update.payload {
                Payload::Snapshot(bytes) => {
                    let snapshot = Automerge::load(bytes).unwrap();
                    hub_has.extend(snapshot.get_changes(&[]).iter().map(|c| c.hash()));
                }
                Payload::Changes(changes) => {
                    for raw in changes {
                        hub_has.insert(automerge::Change::try_from(&raw[..]).unwrap().hash());
                    }
                    assert_eq!(update.signatures.len(), changes.len());
                }
            }
            self.at_hub
                .entry(update.doc.clone())
                .or_default()
                .extend(hub_has);
        }
        for doc in &response.removed {
            self.charts.remove(doc);
            self.at_hub.remove(doc);
        }
        if response.wipe.is_some() {
            self.charts.clear();
            self.at_hub.clear();
            self.wiped = true;
        }
        self.cursor = response.cursor;
        self.resume_after = response.resume_after.clone();
    }

    /// Syncs to the end of the feed: pushes in the first request, then
    /// pages until `more` is false.
    pub async fn sync<B: Backend>(&mut self, hub: &TestHub<B>) -> Synced {
        let mut synced = Synced {
            responses: Vec::new(),
            sent: 0,
            received: 0,
        };
        let mut pushes = self.pushes();
        loop {
            let request = self.request(std::mem::take(&mut pushes));
            let envelope = self.envelope(&request, hub.now());
            synced.sent += envelope.len();
            let answer = hub.post_sync(envelope).await;
            synced.received += answer.body.len();
            let response = answer.response();
            self.apply(&response);
            let more = response.more && response.wipe.is_none();
            synced.responses.push(response);
            if !more {
                return synced;
            }
            assert!(synced.responses.len() < 1000, "the feed never ends");
        }
    }

    /// The heads of a chart the device holds, sorted.
    pub fn heads(&self, doc: &PatientId) -> Vec<ChangeHash> {
        let mut heads = self.charts[doc].heads();
        heads.sort();
        heads
    }
}

/// An HTTP client. Whichever TLS backend reqwest is built with in this
/// workspace, the process's rustls provider is ring, as the hub's.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}
