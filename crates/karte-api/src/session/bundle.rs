//! Carried bundles for the devices of one organisation (design note
//! `docs/design/peer-sync.md` §5): what a device makes of its charts for
//! a USB stick or a shared folder, and how it takes one in.
//!
//! Two steps serve any transport that carries charts with their authors'
//! signatures, not only bundles:
//! - [`Session::collect_signed_charts`]: every chart (or what changed
//!   since given heads) as a `DocUpdate`, whole with its authors' tips'
//!   signatures, or as changes each with its author's.
//! - [`Session::receive_signed_charts`]: checks received charts (the cover
//!   rule against the given authors' keys, a gap in their history, every
//!   check a chart from the hub gets) and merges them, returning what to
//!   write; nothing is written, so the caller writes it with its own marks
//!   in one transaction, then calls [`Session::after_received`].
//!
//! An import is all or nothing: any chart that fails refuses the whole
//! bundle, naming the chart, and the vault is left as it was. Charts a
//! bundle brought changes to are relayed to the hub whole at the next
//! sync ([`relay_whole`]), each change credited to its author.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use karte_record::{Chart, Edit, actor_is_of_device, check_loaded};
use karte_store::{AuditAction, AuditEvent, BundleImportWrite, ReceivedDocument};
use karte_sync::bundle::{
    BundleRecord, UpdateRefusal, authenticate_changes, authenticate_update, decode_body,
    encode_body, load_whole, tip_signatures, update_change_count,
};
use karte_sync::client::{OutgoingWhole, WHOLE_CHART_MAX_BYTES};
use karte_sync::cover::AuthorKeys;
use karte_sync::trust::{Principal, TrustError, verify_member};
use karte_sync::wire::{ChangeSignature, DocUpdate, Payload, TrustUpdate};
use karte_sync::{DeviceKey, Limits, WireError};
use karte_types::{
    Base64Bytes, BundleExported, BundleImported, DeviceId, PatientId, Timestamp, ValidationError,
    ValidationErrors,
};
use serde::{Deserialize, Serialize};

use super::Session;
use super::sync::{
    Merged, Touched, in_parallel, kept_signatures, receive_whole, store_received_whole,
};
use super::trust::{DeviceTrust, carried_cert_entry, list_entry};
use crate::bundle_file::{BundleReader, BundleSender, bundle_id, open_bundle, write_bundle};
use crate::{ApiError, Permission};

const FORMAT: &str = "bundle";

/// What the vault keeps of the last bundle written for a scope: where a
/// `--since-last` bundle starts.
#[derive(Debug, Serialize, Deserialize)]
struct ExportMark {
    bundle: [u8; 16],
    sequence: u64,
    heads: Vec<(PatientId, Vec<[u8; 32]>)>,
}

/// What the vault keeps of a bundle it took in.
#[derive(Debug, Serialize, Deserialize)]
struct SeenBundle {
    sender: DeviceId,
    created_at_ms: i64,
    imported_at: Timestamp,
    charts: u32,
    changes: u64,
}

/// Charts collected to send, with their authors' signatures.
#[derive(Debug, Default)]
pub struct CollectedCharts {
    pub updates: Vec<DocUpdate>,
    /// The changes the updates carry.
    pub changes: u64,
    /// Charts left out: a change of another author in them with no
    /// signature kept, or by an author the receivers cannot check.
    pub not_carried: Vec<PatientId>,
    /// Every chart's heads as carried (or as `since` gave them, for a chart
    /// left out): where the next collection after this one starts.
    pub heads: Vec<(PatientId, Vec<[u8; 32]>)>,
}

/// Received charts checked and merged, ready to write.
#[derive(Debug, Default)]
pub(super) struct ReceivedCharts {
    pub documents: Vec<ReceivedDocument>,
    pub signatures: Vec<(PatientId, Vec<karte_store::ChangeSignatureRecord>)>,
    pub touched: Vec<Touched>,
    pub audit: Vec<AuditEvent>,
    pub new_charts: u32,
    pub new_changes: u64,
    pub new_reviews: u32,
}

impl std::fmt::Debug for Touched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Touched").field("id", &self.id).finish()
    }
}

impl DeviceTrust {
    /// The signing keys of this organisation's members that hold now:
    /// whose changes this device can check offline.
    fn member_keys(&self, now_ms: i64) -> AuthorKeys {
        self.own_cert
            .iter()
            .chain(self.peer_certs.iter().map(|(_, cert)| cert))
            .filter_map(|cert| verify_member(cert, &self.anchors, &self.lists, now_ms).ok())
            .map(|member| (member.cert.device.clone(), member.cert.signing_key))
            .collect()
    }
}

impl Session {
    /// Makes a carried bundle for the devices of `for_org` (this device's
    /// own organisation, by its id at the hub). See the operation.
    pub fn bundle_export(
        &mut self,
        for_org: &str,
        since_last: &bool,
        out: &Option<String>,
    ) -> Result<BundleExported, ApiError> {
        self.require(Permission::Export)?;
        let issuer = self.own_issuer()?;
        // own_issuer is the organisation of the enrolment; teams' bundles
        // are not made yet.
        let Principal::Org(own_org) = &issuer else {
            return Err(ApiError::NotEnrolled);
        };
        if for_org.trim() != own_org.as_str() {
            return Err(invalid(
                "for_org",
                "other_org",
                format!(
                    "a bundle is for the devices of this device's own organisation ({own_org})"
                ),
            ));
        }
        let now = self.now();
        let trust = self.device_trust()?;
        let own_cert = trust.own_cert.clone().ok_or_else(|| {
            ApiError::Trust(TrustError::NotMember {
                detail: "this device holds no membership cert yet: sync with the hub once"
                    .to_owned(),
            })
        })?;
        let me = self.vault.device_id().clone();
        let mut recipients = Vec::new();
        for cert in std::iter::once(&own_cert).chain(trust.peer_certs.iter().map(|(_, c)| c)) {
            if let Ok(member) = verify_member(cert, &trust.anchors, &trust.lists, now.millis())
                && member.principal() == &issuer
            {
                recipients.push((member.cert.device.clone(), member.cert.bundle_key));
            }
        }
        let mark: Option<ExportMark> = match self.vault.bundle_export_mark(own_org)? {
            Some(bytes) => Some(postcard::from_bytes(&bytes).map_err(|_| {
                karte_store::StoreError::Integrity {
                    what: "the last bundle's mark".to_owned(),
                }
            })?),
            None => None,
        };
        let base = mark.as_ref().filter(|_| *since_last);
        let since: Option<HashMap<PatientId, Vec<[u8; 32]>>> =
            base.map(|mark| mark.heads.iter().cloned().collect());
        let keys = trust.member_keys(now.millis());
        let collected =
            self.collect_signed_charts(since.as_ref(), &|author| keys.contains_key(author))?;
        let list = trust
            .lists
            .signed()
            .find(|list| list.open().is_ok_and(|l| l.issuer == issuer))
            .cloned();
        let member_certs = std::iter::once(own_cert.clone())
            .chain(trust.peer_certs.iter().map(|(_, cert)| cert.clone()))
            .collect();
        let anchor = *trust.anchors.get(&issuer).ok_or_else(|| {
            ApiError::Trust(TrustError::UnknownIssuer {
                issuer: issuer.clone(),
            })
        })?;
        let charts = collected.updates.len() as u32;
        let mut records = vec![BundleRecord::Trust(TrustUpdate {
            org_signing_key: anchor,
            cert: None,
            list,
            member_certs,
        })];
        records.extend(collected.updates.into_iter().map(BundleRecord::Chart));
        records.push(BundleRecord::End {
            charts,
            changes: collected.changes,
        });
        let body = encode_body(&records);
        let sequence = mark.as_ref().map_or(1, |mark| mark.sequence + 1);
        let key = self.device_key(false)?;
        let file = write_bundle(
            BundleSender {
                key: &key,
                device: &me,
                certs: vec![own_cert],
                created_at_ms: now.millis(),
                scope: issuer.clone(),
                base: base.map(|mark| mark.bundle),
                up_to_position: sequence,
                recipients: recipients.clone(),
                charts,
                changes: collected.changes,
            },
            &body,
        )?;
        let exported = BundleExported {
            file: out.clone(),
            bundle: None,
            bytes: file.len() as u64,
            charts,
            changes: collected.changes,
            recipients: recipients.len() as u32,
            not_carried: collected.not_carried.len() as u32,
            since_last: base.is_some(),
        };
        let detail = format!(
            "for {own_org}{}: {charts} charts, {} changes, {} devices{}",
            if base.is_some() {
                ", since the last"
            } else {
                ""
            },
            collected.changes,
            recipients.len(),
            match out {
                Some(path) => format!(", written to {path}"),
                None => String::new(),
            }
        );
        let event = AuditEvent {
            at: now,
            action: AuditAction::Export {
                format: FORMAT.to_owned(),
            },
            patient: None,
            detail,
        };
        match out {
            Some(path) => {
                write_file_whole(Path::new(path), &file)?;
                // Only now that the file is in place does the next
                // `--since-last` start after it.
                let mark = ExportMark {
                    bundle: bundle_id(&file)?,
                    sequence,
                    heads: collected.heads,
                };
                let mark = postcard::to_stdvec(&mark).expect("a mark always serialises");
                self.vault.record_bundle_export(own_org, &mark, event)?;
                Ok(exported)
            }
            None => {
                // Handed back as bytes, which may never reach a file: the
                // next `--since-last` does not start after it.
                self.vault.record_audit(event)?;
                Ok(BundleExported {
                    bundle: Some(Base64Bytes(file)),
                    ..exported
                })
            }
        }
    }

    /// Takes in a carried bundle, all of it or nothing. See the operation.
    pub fn bundle_import(&mut self, bundle: &Base64Bytes) -> Result<BundleImported, ApiError> {
        self.import_bundle(&bundle.0)
    }

    /// [`Session::bundle_import`] of the file's bytes.
    pub fn import_bundle(&mut self, file: &[u8]) -> Result<BundleImported, ApiError> {
        self.require(Permission::Export)?;
        let issuer = self.own_issuer()?;
        let id = bundle_id(file)?;
        if self.vault.bundle_seen(&id)?.is_some() {
            return Err(ApiError::BundleAlreadyImported {
                bundle: hex::encode(id),
            });
        }
        let now = self.now();
        let mut trust = self.device_trust()?;
        let me = self.vault.device_id().clone();
        // A device without a bundle key (enrolled before there were any,
        // and not synced since) has no slot in any bundle.
        let bundle_key = self
            .held_bundle_key()?
            .ok_or(crate::bundle_file::BundleError::NotForThisDevice)?;
        let (header, body) = open_bundle(
            file,
            &BundleReader {
                device: &me,
                bundle_key: &bundle_key,
                anchors: &trust.anchors,
                lists: &trust.lists,
                now_ms: now.millis(),
            },
        )?;
        if header.scope != issuer {
            return Err(
                crate::bundle_file::BundleError::Foreign(TrustError::NotMember {
                    detail: format!("the bundle is for {}", header.scope),
                })
                .into(),
            );
        }
        let malformed = |error: WireError| crate::bundle_file::BundleError::Malformed {
            detail: error.to_string(),
        };
        let body = decode_body(&body, Limits::PROTOCOL.max_inflated_bytes, |update| {
            update_change_count(update).map_err(|error| WireError::Malformed {
                detail: error.to_string(),
            })
        })
        .map_err(malformed)?;
        // The bundle's trust first: a newer list may revoke an author.
        let mut entries = Vec::new();
        for update in &body.trust {
            if trust.anchors.get(&issuer) != Some(&update.org_signing_key) {
                return Err(
                    crate::bundle_file::BundleError::Foreign(TrustError::NotMember {
                        detail: "the bundle names another signing key for the organisation"
                            .to_owned(),
                    })
                    .into(),
                );
            }
            if let Some(list) = &update.list
                && trust.lists.merge(list, &trust.anchors)?
            {
                entries.push((list_entry(&issuer), list.to_bytes()));
            }
        }
        let certs = body.trust.iter().flat_map(|update| &update.member_certs);
        {
            for cert in certs.chain(&header.sender_certs) {
                if let Ok(member) = verify_member(cert, &trust.anchors, &trust.lists, now.millis())
                    && member.device() != &me
                    && !trust.peer_certs.iter().any(|(_, held)| held == cert)
                {
                    entries.push((carried_cert_entry(member.device()), cert.to_bytes()));
                    trust
                        .peer_certs
                        .push((member.device().clone(), cert.clone()));
                }
            }
        }
        let keys = trust.member_keys(now.millis());
        let received = match self.receive_signed_charts(&body.charts, &keys, now) {
            Ok(received) => received,
            Err(error) => {
                // Charts merged in memory before the refusal are not stored.
                let ids: Vec<PatientId> = body.charts.iter().map(|u| u.doc.clone()).collect();
                for id in &ids {
                    self.charts.remove(id);
                }
                return Err(match error {
                    ApiError::BundleGap { chart, missing, .. } => ApiError::BundleGap {
                        chart,
                        missing,
                        base: header.base.map(hex::encode),
                    },
                    other => other,
                });
            }
        };
        let summary = BundleImported {
            sender: header.sender.clone(),
            charts: body.charts.len() as u32,
            new_charts: received.new_charts,
            new_changes: received.new_changes,
            new_reviews: received.new_reviews,
        };
        let seen = SeenBundle {
            sender: header.sender.clone(),
            created_at_ms: header.created_at_ms,
            imported_at: now,
            charts: summary.charts,
            changes: body.changes,
        };
        let mut audit = received.audit;
        audit.push(AuditEvent {
            at: now,
            action: AuditAction::Import {
                format: FORMAT.to_owned(),
            },
            patient: None,
            detail: format!(
                "bundle {} from device {}: {} charts ({} new), {} new changes",
                hex::encode(id),
                header.sender,
                summary.charts,
                summary.new_charts,
                summary.new_changes
            ),
        });
        let write = BundleImportWrite {
            bundle: id,
            seen: postcard::to_stdvec(&seen).expect("a bundle's mark always serialises"),
            documents: received.documents,
            signatures: received.signatures,
            trust: entries,
            audit,
        };
        if let Err(error) = self.vault.write_bundle_import(write) {
            for touched in &received.touched {
                self.charts.remove(&touched.id);
            }
            return Err(error.into());
        }
        self.after_received(received.touched, &[])?;
        Ok(summary)
    }

    /// Every chart this vault holds as an update to send with its authors'
    /// signatures: a chart whose heads `since` names goes as the changes
    /// after those heads when each has a signature (this device's own are
    /// signed now), else whole with its authors' tips' signatures; one
    /// whose heads are unchanged is left out. A chart with a change of an
    /// author `may_carry` refuses, or without a kept signature for one of
    /// its tips, is not carried.
    pub fn collect_signed_charts(
        &mut self,
        since: Option<&HashMap<PatientId, Vec<[u8; 32]>>>,
        may_carry: &dyn Fn(&DeviceId) -> bool,
    ) -> Result<CollectedCharts, ApiError> {
        let key = self.device_key(false)?;
        let me = self.vault.device_id().clone();
        let mut out = CollectedCharts::default();
        for id in self.vault.document_ids()? {
            let read;
            let chart = match self.charts.get(&id) {
                Some(loaded) => &loaded.chart,
                None => {
                    read = self.read_chart(&id)?.0;
                    &read
                }
            };
            let heads: Vec<[u8; 32]> = chart.heads().into_iter().map(|h| h.0).collect();
            let before = since.and_then(|since| since.get(&id));
            if before.is_some_and(|before| *before == heads) {
                out.heads.push((id, heads));
                continue;
            }
            // A chart left out keeps the heads it was last carried at, so
            // the next bundle after this one still carries what it lacks.
            let left_out = |out: &mut CollectedCharts, id: PatientId| {
                if let Some(before) = before {
                    out.heads.push((id.clone(), before.clone()));
                }
                out.not_carried.push(id);
            };
            let kept = self.kept_signatures(&id)?;
            // The changes after `heads`, each with its author's signature
            // (this device's own signed now), if every one has one.
            let signed_since = |heads: &[[u8; 32]]| {
                let since: Vec<_> = heads.iter().map(|h| karte_record::ChangeHash(*h)).collect();
                let mut changes = Vec::new();
                let mut signatures = Vec::new();
                for change in chart.changes_since(&me, &since) {
                    let signature = if change.own {
                        ChangeSignature {
                            hash: change.hash.0,
                            device: me.clone(),
                            signature: karte_sync::sign_change_hash(&key, &change.hash.0),
                        }
                    } else {
                        kept.get(&change.hash.0).cloned()?
                    };
                    signatures.push(signature);
                    changes.push(change.bytes);
                }
                Some((changes, signatures))
            };
            let as_changes = |changes: Vec<Vec<u8>>, signatures| DocUpdate {
                doc: id.clone(),
                payload: Payload::Changes(changes),
                signatures,
                digest: None,
            };
            let history = chart.changes();
            let update = if let Some((changes, signatures)) = before.and_then(|b| signed_since(b)) {
                as_changes(changes, signatures)
            } else if let Ok(signatures) =
                tip_signatures(&history, &me, &key, &|h| kept.get(h).cloned(), &|_| true)
            {
                DocUpdate {
                    doc: id.clone(),
                    payload: Payload::Snapshot(chart.save()),
                    signatures,
                    digest: None,
                }
            } else {
                // A chart the hub sent whole holds no signature of its other
                // authors' changes: what came after the hub's heads goes,
                // for devices that hold the chart from the hub (one that
                // does not is told of a gap).
                let hub_heads = self.vault.document_sync_state(&id)?.hub_heads;
                match signed_since(&hub_heads).filter(|_| !hub_heads.is_empty()) {
                    Some((changes, signatures)) => as_changes(changes, signatures),
                    None => {
                        left_out(&mut out, id);
                        continue;
                    }
                }
            };
            let carried = match &update.payload {
                Payload::Changes(list) => list.len(),
                Payload::Snapshot(_) => history.len(),
            };
            if carried == 0 {
                out.heads.push((id, heads));
                continue;
            }
            if update.signatures.iter().any(|s| !may_carry(&s.device)) {
                left_out(&mut out, id);
                continue;
            }
            out.changes += carried as u64;
            out.heads.push((id, heads));
            out.updates.push(update);
        }
        Ok(out)
    }

    /// Checks and merges charts received with their authors' signatures
    /// (see the module's documentation), against the authors' `keys`. The
    /// first chart that fails refuses them all: `bundle_gap` for a change
    /// whose dependency is neither held nor received, else
    /// `bundle_refused_chart` naming the chart. Charts merged in memory by
    /// then are the caller's to forget.
    pub(super) fn receive_signed_charts(
        &mut self,
        updates: &[DocUpdate],
        keys: &AuthorKeys,
        now: Timestamp,
    ) -> Result<ReceivedCharts, ApiError> {
        let known: BTreeSet<PatientId> = self.vault.document_ids()?.into_iter().collect();
        // Charts new to this vault and sent whole are checked and loaded
        // on every core first: by far the slowest part of a full bundle.
        let new_whole: Vec<&DocUpdate> = updates
            .iter()
            .filter(|u| !known.contains(&u.doc) && matches!(u.payload, Payload::Snapshot(_)))
            .collect();
        let mut prepared: HashMap<PatientId, Result<(u64, Merged), ApiError>> = {
            let author = self.author.clone();
            let edit = Edit {
                author: &author,
                at: now,
            };
            let actor = &self.actor;
            let results = in_parallel(&new_whole, |update| {
                prepare_new_whole(update, keys, actor, &edit, now)
            });
            new_whole
                .iter()
                .map(|update| update.doc.clone())
                .zip(results)
                .collect()
        };
        let mut out = ReceivedCharts::default();
        let mut seen = HashSet::new();
        for update in updates {
            let doc = &update.doc;
            if !seen.insert(doc.clone()) {
                return Err(refused(doc, "the chart comes twice".to_owned()));
            }
            let held = known.contains(doc);
            if let Some(result) = prepared.remove(doc) {
                let (new_changes, (mut document, chart, reviews)) = result?;
                document.hub_heads = None;
                document.dirty = true;
                out.new_charts += 1;
                out.received(update, new_changes, document, chart, reviews, now);
                continue;
            }
            let authenticated = {
                let chart = if held {
                    Some(&self.load(doc)?.chart)
                } else {
                    None
                };
                let holds = |hash: &[u8; 32]| {
                    chart.is_some_and(|chart| chart.holds(&karte_record::ChangeHash(*hash)))
                };
                let authenticated =
                    authenticate_update(update, keys, &holds).map_err(|refusal| match refusal {
                        UpdateRefusal::Gap { missing } => ApiError::BundleGap {
                            chart: doc.clone(),
                            missing: hex::encode(missing),
                            base: None,
                        },
                        UpdateRefusal::Refused(error) => refused(doc, error.to_string()),
                    })?;
                let bytes = authenticated.new_change_bytes();
                let signer =
                    |hash: &karte_record::ChangeHash| authenticated.signer.get(&hash.0).cloned();
                Chart::check_received(chart, doc, &bytes, signer, now)
                    .map_err(|error| refused(doc, error.to_string()))?;
                authenticated
            };
            if authenticated.signer.is_empty() {
                continue;
            }
            let author = self.author.clone();
            let edit = Edit {
                author: &author,
                at: now,
            };
            let bytes = authenticated.new_change_bytes();
            let (document, new_chart, new_reviews) = if held {
                let loaded = self.load(doc)?;
                let new = loaded
                    .chart
                    .apply(&bytes, &edit)
                    .map_err(|error| refused(doc, error.to_string()))?;
                let chunk = loaded.chart.save_after(&loaded.persisted_heads);
                let summary = loaded.chart.summary()?;
                let document = ReceivedDocument {
                    id: doc.clone(),
                    chunk,
                    summary,
                    consultations: Some(loaded.chart.consultations()?),
                    dirty: true,
                    hub_heads: None,
                    index_from_hub: false,
                };
                (document, None, new.len())
            } else {
                let (mut document, chart, reviews) = match &update.payload {
                    Payload::Snapshot(saved) => receive_whole(&self.actor, &edit, doc, saved)
                        .map_err(|error| refused(doc, error.to_string()))?,
                    Payload::Changes(_) => {
                        let (chart, new) = Chart::receive(self.actor.clone(), &bytes, &edit)
                            .map_err(|error| refused(doc, error.to_string()))?;
                        if chart.id() != *doc {
                            return Err(refused(doc, format!("it is chart {}", chart.id())));
                        }
                        let document = ReceivedDocument {
                            id: doc.clone(),
                            chunk: chart.save(),
                            summary: chart.summary()?,
                            consultations: Some(chart.consultations()?),
                            dirty: true,
                            hub_heads: None,
                            index_from_hub: false,
                        };
                        (document, Some(chart), new.len())
                    }
                };
                // The hub acknowledged none of it: it goes to the hub.
                document.hub_heads = None;
                document.dirty = true;
                out.new_charts += 1;
                (document, chart, reviews)
            };
            let new_changes = authenticated.signer.len() as u64;
            out.received(update, new_changes, document, new_chart, new_reviews, now);
        }
        Ok(out)
    }
}

/// A chart to push to the hub whole because a carried bundle brought it
/// changes the hub may lack (the caller read its relay mark): its saved
/// bytes, this device's own tips (signed at push time) and the kept
/// signatures (`kept`) of the tips of every other author with a change
/// after the hub's heads. `None` when no other author's change is after
/// them, when a needed tip has no signature kept, or when the chart is too
/// large to go whole.
pub(super) fn relay_whole(
    chart: &Chart,
    me: &DeviceId,
    key: &DeviceKey,
    kept: &HashMap<[u8; 32], ChangeSignature>,
    hub_heads: &[karte_record::ChangeHash],
) -> Option<OutgoingWhole> {
    let history = chart.changes();
    let after: HashSet<[u8; 32]> = chart
        .changes_since(me, hub_heads)
        .into_iter()
        .filter(|change| !change.own)
        .map(|change| change.hash.0)
        .collect();
    if after.is_empty() {
        return None;
    }
    let needed: HashSet<Vec<u8>> = history
        .iter()
        .filter(|change| after.contains(&change.hash().0))
        .map(|change| karte_record::device_prefix(change.actor_id()).to_vec())
        .collect();
    let signatures = tip_signatures(&history, me, key, &|h| kept.get(h).cloned(), &|actor| {
        needed.contains(karte_record::device_prefix(actor))
    })
    .ok()?;
    let saved = chart.save();
    if saved.len() > WHOLE_CHART_MAX_BYTES {
        return None;
    }
    let (own, relayed): (Vec<_>, Vec<_>) = signatures
        .into_iter()
        .partition(|signature| &signature.device == me);
    debug_assert!(own.iter().all(|s| {
        history
            .iter()
            .any(|c| c.hash().0 == s.hash && actor_is_of_device(c.actor_id(), me))
    }));
    Some(OutgoingWhole {
        saved,
        tips: own.into_iter().map(|signature| signature.hash).collect(),
        relayed,
    })
}

impl ReceivedCharts {
    /// Adds one chart checked and merged.
    fn received(
        &mut self,
        update: &DocUpdate,
        new_changes: u64,
        document: ReceivedDocument,
        new_chart: Option<Chart>,
        new_reviews: usize,
        now: Timestamp,
    ) {
        let doc = &update.doc;
        self.new_changes += new_changes;
        self.new_reviews += new_reviews as u32;
        self.audit.push(AuditEvent {
            at: now,
            action: AuditAction::Import {
                format: FORMAT.to_owned(),
            },
            patient: Some(doc.clone()),
            detail: format!("received {new_changes} changes"),
        });
        self.signatures
            .push((doc.clone(), kept_signatures(&update.signatures)));
        self.touched.push(Touched {
            id: doc.clone(),
            new_chart,
            summary: document.summary.clone(),
            appended: !document.chunk.is_empty(),
        });
        self.documents.push(document);
    }
}

/// A chart new to this vault, received whole with its authors' tips:
/// authenticated by the cover rule, every change checked as one from the
/// hub is, then loaded. Touches no session state, so charts are prepared
/// in parallel.
fn prepare_new_whole(
    update: &DocUpdate,
    keys: &AuthorKeys,
    actor: &karte_record::ActorId,
    edit: &Edit<'_>,
    now: Timestamp,
) -> Result<(u64, Merged), ApiError> {
    let doc = &update.doc;
    let Payload::Snapshot(saved) = &update.payload else {
        return Err(refused(doc, "it is not a chart sent whole".to_owned()));
    };
    // Loaded once: its changes listed for the cover rule, checked against
    // it as loaded, and taken in as it is.
    let loaded = load_whole(doc, saved).map_err(|error| refused(doc, error.to_string()))?;
    let changes = loaded.get_changes(&[]);
    let authenticated = authenticate_changes(changes, &update.signatures, keys, &|_| false)
        .map_err(|refusal| match refusal {
            UpdateRefusal::Gap { missing } => ApiError::BundleGap {
                chart: doc.clone(),
                missing: hex::encode(missing),
                base: None,
            },
            UpdateRefusal::Refused(error) => refused(doc, error.to_string()),
        })?;
    let signer = |_: usize, change: &karte_record::Change| {
        authenticated.signer.get(&change.hash().0).cloned()
    };
    let checked = check_loaded(loaded, doc, &authenticated.changes, signer, now)
        .map_err(|error| refused(doc, error.to_string()))?;
    let received = Chart::receive_checked(actor.clone(), checked, edit)
        .map_err(|error| refused(doc, error.to_string()))?;
    let merged = store_received_whole(doc, saved, received)
        .map_err(|error| refused(doc, error.to_string()))?;
    Ok((authenticated.signer.len() as u64, merged))
}

fn refused(chart: &PatientId, detail: String) -> ApiError {
    ApiError::BundleRefusedChart {
        chart: chart.clone(),
        detail,
    }
}

fn invalid(field: &str, code: &str, message: String) -> ApiError {
    ApiError::Invalid(ValidationErrors(vec![ValidationError::new(
        field, code, message,
    )]))
}

/// Writes `bytes` to `path` whole: to `path.partial`, flushed to the disk,
/// renamed over `path`, and the directory flushed, so a failure or a power
/// cut never leaves half a bundle under the name asked for.
fn write_file_whole(path: &Path, bytes: &[u8]) -> Result<(), ApiError> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let written = (|| {
        let mut file = std::fs::File::create(&partial)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&partial, path)?;
        #[cfg(unix)]
        {
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok::<(), std::io::Error>(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    Ok(written?)
}
