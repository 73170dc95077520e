//! A hub and devices in memory, for testing the client's rounds: the hub
//! keeps one feed of every change pushed, checks requests and changes with
//! this crate's own functions, and answers in pages of a few entries; a
//! device keeps its charts in memory behind the `Replica` trait.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use automerge::{Automerge, Change};
use karte_record::{Chart, Edit, actor_for};
use karte_sync::client::{
    AuditOutgoing, EnrolmentGrant, EnrolmentRequest, FeedCursor, Outgoing, OutgoingChange,
    OutgoingChart, OutgoingWhole, PageApplied, ReceivedPage, Replica, RequestStamps, Transport,
};
use karte_sync::cover::{Authentication, CoverChange, check_covered};
use karte_sync::{
    AuditHeadReport, ChangeSignature, DeviceKey, DocHeads, DocUpdate, Payload, SignerKey,
    SyncError, SyncResponse, TransportError, WipeOrder, decode_request, encode_response,
    verify_change, verify_request,
};
use karte_test_support::{at, author, visit, yamada};
use karte_types::{Author, DeviceId, EntryId, PatientId};
use ring::rand::SystemRandom;

/// One change in the hub's feed.
#[derive(Debug, Clone)]
pub struct FeedChange {
    pub doc: PatientId,
    pub bytes: Vec<u8>,
    pub signature: ChangeSignature,
}

/// The hub: devices' keys, the feed, and what it answers with.
#[derive(Debug, Default)]
pub struct MiniHub {
    pub keys: BTreeMap<DeviceId, [u8; 32]>,
    pub feed: Vec<FeedChange>,
    /// Feed entries per page.
    pub page_entries: usize,
    pub wipe: BTreeMap<DeviceId, WipeOrder>,
    pub requests: usize,
    /// Store the next push, then lose the answer on the way back.
    pub lose_next_answer: bool,
    /// Requests larger than this are refused as `request_too_large`.
    pub max_request_bytes: Option<usize>,
    /// Every pushed change received, counting one received twice twice.
    pub changes_received: usize,
    /// Requests that carried pushes and were stored.
    pub push_requests: usize,
    /// Charts received whole, counting one received twice twice.
    pub wholes_received: usize,
    seen_nonces: BTreeSet<(DeviceId, [u8; 16])>,
}

impl MiniHub {
    pub fn new(page_entries: usize) -> MiniHub {
        MiniHub {
            page_entries,
            ..MiniHub::default()
        }
    }

    pub fn enrol(&mut self, device: &Device) {
        self.keys.insert(device.id.clone(), device.key.public_key());
    }

    fn has(&self, hash: [u8; 32]) -> bool {
        self.feed.iter().any(|c| c.signature.hash == hash)
    }

    fn heads(&self, doc: &PatientId) -> Vec<[u8; 32]> {
        self.document(doc, self.feed.len())
            .get_heads()
            .iter()
            .map(|h| h.0)
            .collect()
    }

    /// The chart as the first `upto` feed entries make it.
    fn document(&self, doc: &PatientId, upto: usize) -> Automerge {
        let mut document = Automerge::new();
        let changes = self.feed[..upto]
            .iter()
            .filter(|c| c.doc == *doc)
            .map(|c| Change::try_from(&c.bytes[..]).unwrap());
        document.apply_changes(changes).unwrap();
        document
    }

    fn answer(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        self.requests += 1;
        let refused = |code: &str| TransportError::Refused {
            status: 400,
            code: code.to_owned(),
            message: code.to_owned(),
        };
        if self.max_request_bytes.is_some_and(|max| body.len() > max) {
            return Err(refused("request_too_large"));
        }
        let signed = decode_request(&body).map_err(|e| refused(e.code()))?;
        let key = *self
            .keys
            .get(&signed.device)
            .ok_or(refused("unknown_device"))?;
        let request = verify_request(&signed, &key).map_err(|e| refused(e.code()))?;
        if !self
            .seen_nonces
            .insert((signed.device.clone(), signed.nonce))
        {
            return Err(refused("replayed"));
        }
        if let Some(WipeOrder::Lost) = self.wipe.get(&signed.device) {
            return Ok(encode_response(&response(request.cursor, WipeOrder::Lost)));
        }
        let mut acked = Vec::new();
        let keys: HashMap<DeviceId, [u8; 32]> = self.keys.clone().into_iter().collect();
        let mut wholes: HashMap<PatientId, Vec<FeedChange>> = HashMap::new();
        for push in &request.pushes {
            for change in &push.changes {
                verify_change(change, &signed.device, &key).map_err(|e| refused(e.code()))?;
            }
            if let Some(whole) = &push.whole {
                // The cover rule, as the hub applies it.
                let document = Automerge::load(&whole.saved).map_err(|_| refused("malformed"))?;
                let changes = document.get_changes(&[]);
                let list: Vec<CoverChange<'_>> = changes.iter().map(CoverChange::from).collect();
                let how = check_covered(&list, &whole.tips, &keys, &|h| self.has(*h))
                    .map_err(|e| refused(e.code()))?;
                let taken = changes
                    .iter()
                    .zip(how)
                    .filter(|(_, how)| *how != Authentication::Held)
                    .map(|(change, _)| FeedChange {
                        doc: push.doc.clone(),
                        bytes: change.raw_bytes().to_vec(),
                        signature: whole
                            .tips
                            .iter()
                            .find(|tip| tip.hash == change.hash().0)
                            .cloned()
                            .unwrap_or(ChangeSignature {
                                hash: change.hash().0,
                                device: signed.device.clone(),
                                signature: Vec::new(),
                            }),
                    })
                    .collect();
                wholes.insert(push.doc.clone(), taken);
            }
        }
        if !request.pushes.is_empty() {
            self.push_requests += 1;
        }
        for push in request.pushes {
            self.changes_received += push.changes.len();
            if let Some(taken) = wholes.remove(&push.doc) {
                self.wholes_received += 1;
                for change in taken {
                    if !self.has(change.signature.hash) {
                        self.feed.push(change);
                    }
                }
            }
            for change in push.changes {
                if !self.has(change.hash) {
                    self.feed.push(FeedChange {
                        doc: push.doc.clone(),
                        signature: change.signature_of(&signed.device),
                        bytes: change.change,
                    });
                }
            }
            acked.push(DocHeads {
                heads: self.heads(&push.doc),
                doc: push.doc,
            });
        }
        if let Some(WipeOrder::Retired) = self.wipe.get(&signed.device) {
            let mut answer = response(request.cursor, WipeOrder::Retired);
            answer.acked = acked;
            return Ok(encode_response(&answer));
        }
        let from = request.cursor as usize;
        let to = (from + self.page_entries).min(self.feed.len());
        let mut updates: Vec<DocUpdate> = Vec::new();
        for entry in &self.feed[from.min(to)..to] {
            let update = match updates.iter_mut().find(|u| u.doc == entry.doc) {
                Some(update) => update,
                None => {
                    let payload = if from == 0 {
                        Payload::Snapshot(self.document(&entry.doc, to).save())
                    } else {
                        Payload::Changes(Vec::new())
                    };
                    updates.push(DocUpdate {
                        doc: entry.doc.clone(),
                        payload,
                        signatures: Vec::new(),
                        digest: None,
                    });
                    updates.last_mut().unwrap()
                }
            };
            if let Payload::Changes(changes) = &mut update.payload {
                changes.push(entry.bytes.clone());
                update.signatures.push(entry.signature.clone());
            }
        }
        let answer = SyncResponse {
            cursor: to.max(from) as u64,
            resume_after: None,
            more: to < self.feed.len(),
            acked,
            updates,
            removed: Vec::new(),
            wipe: None,
            signers: self
                .keys
                .iter()
                .map(|(device, key)| SignerKey {
                    device: device.clone(),
                    public_key: *key,
                })
                .collect(),
            shares_pending: Vec::new(),
            audit_held: None,
            device_lock: None,
            feed_id: None,
            trust: None,
        };
        Ok(encode_response(&answer))
    }
}

fn response(cursor: u64, wipe: WipeOrder) -> SyncResponse {
    SyncResponse {
        cursor,
        resume_after: None,
        more: false,
        acked: Vec::new(),
        updates: Vec::new(),
        removed: Vec::new(),
        wipe: Some(wipe),
        signers: Vec::new(),
        shares_pending: Vec::new(),
        audit_held: None,
        device_lock: None,
        feed_id: None,
        trust: None,
    }
}

impl Transport for MiniHub {
    fn post_sync(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        let answer = self.answer(body)?;
        if std::mem::take(&mut self.lose_next_answer) {
            return Err(TransportError::Unreachable {
                detail: "the test lost the answer".to_owned(),
            });
        }
        Ok(answer)
    }

    fn enrol(&mut self, _: &EnrolmentRequest) -> Result<EnrolmentGrant, TransportError> {
        Err(TransportError::BadAnswer {
            detail: "the mini hub enrols with MiniHub::enrol".to_owned(),
        })
    }
}

/// A link that breaks after `left` more requests, then passes them again
/// once mended.
#[derive(Debug)]
pub struct Flaky<'a> {
    pub hub: &'a mut MiniHub,
    pub left: usize,
}

impl Transport for Flaky<'_> {
    fn post_sync(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        if self.left == 0 {
            return Err(TransportError::Unreachable {
                detail: "the test cut the link".to_owned(),
            });
        }
        self.left -= 1;
        self.hub.post_sync(body)
    }

    fn enrol(&mut self, request: &EnrolmentRequest) -> Result<EnrolmentGrant, TransportError> {
        Transport::enrol(self.hub, request)
    }
}

/// A link that lets the answers be altered on the way.
pub struct Tampering<'a> {
    pub hub: &'a mut MiniHub,
    pub tamper: Box<dyn FnMut(&mut SyncResponse)>,
}

impl Transport for Tampering<'_> {
    fn post_sync(&mut self, body: Vec<u8>) -> Result<Vec<u8>, TransportError> {
        let answer = self.hub.post_sync(body)?;
        let mut response = karte_sync::decode_response(&answer).unwrap();
        (self.tamper)(&mut response);
        Ok(encode_response(&response))
    }

    fn enrol(&mut self, request: &EnrolmentRequest) -> Result<EnrolmentGrant, TransportError> {
        Transport::enrol(self.hub, request)
    }
}

/// A device: its key, author, and charts in memory.
pub struct Device {
    pub id: DeviceId,
    pub key: Rc<DeviceKey>,
    pub author: Author,
    pub charts: BTreeMap<PatientId, Chart>,
    pub hub_heads: HashMap<PatientId, Vec<[u8; 32]>>,
    pub dirty: BTreeSet<PatientId>,
    pub cursor: u64,
    pub pages: usize,
    pub wiped: bool,
    /// Charts set aside, with the code of what refused them.
    pub quarantined: BTreeMap<PatientId, String>,
    /// Offers a chart the hub never acknowledged whole (all of it is this
    /// device's own in these tests).
    pub whole_when_new: bool,
    requests_signed: i64,
    process: u8,
    minutes: i64,
}

impl Device {
    pub fn new(name: &str, id: &str) -> Device {
        let (key, _) = DeviceKey::generate(&SystemRandom::new()).unwrap();
        Device {
            id: id.into(),
            key: Rc::new(key),
            author: author(name, id),
            charts: BTreeMap::new(),
            hub_heads: HashMap::new(),
            dirty: BTreeSet::new(),
            cursor: 0,
            pages: 0,
            wiped: false,
            quarantined: BTreeMap::new(),
            whole_when_new: false,
            requests_signed: 0,
            process: 1,
            minutes: 0,
        }
    }

    fn edit(&mut self) -> (Author, i64) {
        self.minutes += 1;
        (self.author.clone(), self.minutes)
    }

    pub fn create_chart(&mut self, id: &str) -> PatientId {
        let (author, minutes) = self.edit();
        let id = PatientId::from(id);
        let edit = Edit {
            author: &author,
            at: at(minutes),
        };
        let chart = Chart::create(
            actor_for(&self.id, [self.process; 16]),
            &id,
            &yamada(),
            &edit,
        )
        .unwrap();
        self.charts.insert(id.clone(), chart);
        self.dirty.insert(id.clone());
        id
    }

    pub fn record_visit(&mut self, chart: &PatientId, n: u64) {
        let (author, minutes) = self.edit();
        let entry = EntryId(ulid::Ulid::from_parts(n, u128::from(n)).to_string());
        let edit = Edit {
            author: &author,
            at: at(minutes),
        };
        self.charts
            .get_mut(chart)
            .unwrap()
            .record_visit(&entry, &visit(minutes, 70), &edit)
            .unwrap();
        self.dirty.insert(chart.clone());
    }

    /// Corrects the pulse of visit `n`.
    pub fn set_pulse(&mut self, chart: &PatientId, n: u64, pulse: u16) {
        let (author, minutes) = self.edit();
        let entry = EntryId(ulid::Ulid::from_parts(n, u128::from(n)).to_string());
        let edit = Edit {
            author: &author,
            at: at(minutes),
        };
        self.charts
            .get_mut(chart)
            .unwrap()
            .set_entry_field(&entry, "vitals.pulse", &serde_json::json!(pulse), &edit)
            .unwrap();
        self.dirty.insert(chart.clone());
    }

    pub fn visits(&self, chart: &PatientId) -> usize {
        self.charts[chart].view().unwrap().visits.len()
    }
}

impl Replica for Device {
    type Error = SyncError;

    fn cursor(&self) -> Result<FeedCursor, SyncError> {
        Ok(FeedCursor {
            position: self.cursor,
            resume_after: None,
        })
    }

    fn audit_head(&self) -> Option<AuditHeadReport> {
        None
    }

    fn audit_outgoing(&mut self) -> Result<Option<AuditOutgoing>, SyncError> {
        Ok(None)
    }

    fn outgoing(&mut self) -> Result<Outgoing, SyncError> {
        let charts = self
            .dirty
            .iter()
            .map(|doc| {
                let heads: Vec<automerge::ChangeHash> = self
                    .hub_heads
                    .get(doc)
                    .map(|h| h.iter().map(|h| automerge::ChangeHash(*h)).collect())
                    .unwrap_or_default();
                let chart = &self.charts[doc];
                if self.whole_when_new && heads.is_empty() && chart.only_by(&self.id) {
                    return OutgoingChart {
                        doc: doc.clone(),
                        changes: Vec::new(),
                        whole: Some(OutgoingWhole {
                            saved: chart.save(),
                            tips: chart.heads().into_iter().map(|h| h.0).collect(),
                            relayed: Vec::new(),
                        }),
                    };
                }
                OutgoingChart {
                    doc: doc.clone(),
                    changes: chart
                        .own_changes_since(&self.id, &heads)
                        .into_iter()
                        .map(OutgoingChange::own)
                        .collect(),
                    whole: None,
                }
            })
            .collect();
        Ok(Outgoing {
            charts,
            shares: Vec::new(),
            unshares: Vec::new(),
            quarantined: None,
        })
    }

    fn apply_page(&mut self, page: ReceivedPage) -> Result<PageApplied, SyncError> {
        let (author, minutes) = self.edit();
        let edit = Edit {
            author: &author,
            at: at(minutes),
        };
        let mut applied = PageApplied::default();
        for acked in page.acked {
            self.dirty.remove(&acked.doc);
            self.hub_heads.insert(acked.doc, acked.heads);
        }
        for update in page.updates {
            let bytes = match update.payload {
                Payload::Snapshot(bytes) => bytes,
                Payload::Changes(changes) => changes.concat(),
            };
            let new = match self.charts.get_mut(&update.doc) {
                Some(chart) => chart.apply(&bytes, &edit).unwrap(),
                None => {
                    let actor = actor_for(&self.id, [self.process; 16]);
                    let (chart, new) = Chart::receive(actor, &bytes, &edit).unwrap();
                    self.charts.insert(update.doc.clone(), chart);
                    new
                }
            };
            if !new.is_empty() {
                applied.new_reviews += new.len();
                applied.made_local_changes = true;
                self.dirty.insert(update.doc);
            }
        }
        for refused in page.refused {
            let reason = refused.error.code().to_owned();
            self.quarantined.insert(refused.update.doc, reason);
        }
        for doc in page.removed {
            self.charts.remove(&doc);
        }
        self.cursor = page.cursor.position;
        self.pages += 1;
        Ok(applied)
    }

    fn wipe(&mut self) -> Result<(), SyncError> {
        self.charts.clear();
        self.wiped = true;
        Ok(())
    }
}

/// Requests are stamped with a counter of milliseconds, and nonces from the
/// operating system as a device draws them.
impl RequestStamps for Device {
    fn now_ms(&mut self) -> i64 {
        self.requests_signed += 1;
        1_800_000_000_000 + self.requests_signed
    }

    fn nonce(&mut self) -> [u8; 16] {
        ring::rand::generate(&SystemRandom::new()).unwrap().expose()
    }
}
