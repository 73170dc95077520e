//! Sync with the regional hub: enrolling the device, sharing charts, and
//! syncing, with the vault and its charts as the client's `Replica`.
//!
//! Every change received is checked to be an edit Karte makes, by the
//! device that signed it, before any is applied (`Chart::check_received`).
//! Each page the hub sends becomes durable in one vault transaction: the
//! charts it changed, the acknowledgements, the removals, the accepted
//! shares, the new cursor and an audit entry per chart. Charts in memory
//! are updated only once that transaction has committed.
//!
//! An update this device cannot apply (a bad signature, bytes that do not
//! decode, a change no edit of Karte makes) puts its chart in quarantine:
//! the update is kept sealed in the vault with the reason, the chart stays
//! as it was, and the rest of the page is applied and the cursor moves, so
//! one bad chart never stalls every later sync. Later updates of the chart
//! are kept with it unless one applies on its own; a chart sent whole that
//! applies (the hub re-serving a repaired chart) takes it out. The next
//! sync tells the hub the list, and `karte sync` and the status bar show it.

use std::collections::{BTreeSet, HashMap, HashSet};

use karte_record::{ActorId, ChangeHash, Chart, Edit};
use karte_store::{
    AuditAction, AuditEvent, ChangeSignatureRecord, Enrolment, LastSync, PendingShare,
    QuarantineWrite, ReceivedDocument, SyncPageWrite,
};
use karte_sync::client::{
    AuditOutgoing, DeviceIdentity, EnrolmentRequest, FeedCursor, HttpTransport, Outgoing,
    OutgoingChange, OutgoingChart, OutgoingWhole, PageApplied, PhotoOptions, QuarantineNote,
    ReceivedPage, Replica, RequestStamps, SyncOptions, SyncProgress, SyncSummary, Transport,
    WHOLE_CHART_MAX_BYTES,
};
use karte_sync::enrolment_code::EnrolmentCode;
use karte_sync::recovery::seal_to_recovery_key;
use karte_sync::wire::{
    AuditHeadReport, AuditRecordWire, ChangeSignature, ChartDigest, DocUpdate, Payload,
    QuarantineReport,
};
use karte_sync::{DeviceKey, SyncError};
use karte_types::{DeviceId, ErrorCode, PatientId, PatientSummary, QuarantinedChart, Timestamp};
use ring::rand::SystemRandom;

use super::bundle::relay_whole;
use super::{LoadedChart, Session};
use crate::{ApiError, Permission};

/// What a front shows of sync at a glance.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SyncStatus {
    pub enrolment: Option<Enrolment>,
    /// Charts that may hold changes the hub lacks.
    pub charts_to_push: usize,
    pub pending_shares: usize,
    /// Charts in quarantine.
    pub quarantined: usize,
    /// The last sync that ran to its end, as the vault keeps it.
    pub last_sync: Option<LastSync>,
}

impl Session {
    /// Where this device is enrolled, if it is.
    pub fn enrolment(&self) -> Result<Option<Enrolment>, ApiError> {
        Ok(self.vault.enrolment()?)
    }

    pub fn sync_status(&self) -> Result<SyncStatus, ApiError> {
        let state = self.vault.sync_state()?;
        Ok(SyncStatus {
            enrolment: self.vault.enrolment()?,
            charts_to_push: self.vault.documents_to_push()?.len(),
            pending_shares: state.pending_shares.len(),
            quarantined: self.vault.quarantined_ids()?.len(),
            last_sync: state.last_sync,
        })
    }

    /// The charts received from the hub but not applicable here, kept
    /// aside, with the list entry of each one's last good state.
    pub fn quarantined_charts(&mut self) -> Result<Vec<QuarantinedChart>, ApiError> {
        let mut out = Vec::new();
        for kept in self.vault.quarantined()? {
            let summary = self.index()?.entry(&kept.id).cloned();
            out.push(QuarantinedChart {
                patient: kept.id,
                summary,
                reason: ErrorCode::from_code(&kept.reason).unwrap_or(ErrorCode::Unknown),
                detail: kept.detail,
                since: kept.since,
                updates: kept.received.len(),
            });
        }
        Ok(out)
    }

    /// Enrols this device at the hub at `hub_url` with a one-time code from
    /// its administrator, as `device_name`. The device's signing key is made
    /// and kept sealed in the vault first, and the vault's data key is
    /// sealed to the organisation's recovery key.
    pub fn enrol(
        &mut self,
        hub_url: &str,
        code: &str,
        device_name: &str,
    ) -> Result<Enrolment, ApiError> {
        self.enrol_trusting(hub_url, code, device_name, &[])
    }

    /// [`Session::enrol`], also trusting the certificate authorities in
    /// `roots_pem` (PEM): for a hub whose certificate a private authority
    /// issued.
    pub fn enrol_trusting(
        &mut self,
        hub_url: &str,
        code: &str,
        device_name: &str,
        roots_pem: &[u8],
    ) -> Result<Enrolment, ApiError> {
        // Asked before the address is read, so a refused user is told that
        // first; `enrol_with` asks again for callers that come straight in.
        self.require(Permission::EnrolDevice)?;
        let mut transport =
            HttpTransport::with_roots(hub_url, roots_pem).map_err(SyncError::from)?;
        self.enrol_with(&mut transport, hub_url, code, device_name)
    }

    /// [`Session::enrol`] over a given transport.
    pub fn enrol_with(
        &mut self,
        transport: &mut dyn Transport,
        hub_url: &str,
        code: &str,
        device_name: &str,
    ) -> Result<Enrolment, ApiError> {
        self.require(Permission::EnrolDevice)?;
        if let Some(enrolment) = self.vault.enrolment()? {
            return Err(ApiError::AlreadyEnrolled {
                hub: enrolment.hub_url,
                org: enrolment.org_name,
            });
        }
        let device_name = device_name.trim();
        if device_name.is_empty() || code.trim().is_empty() {
            let error = karte_types::ValidationError::new(
                "name",
                "required",
                "give the enrolment code and a name for this device, e.g. --name \"tablet 3\"",
            );
            return Err(ApiError::Invalid(karte_types::ValidationErrors(vec![
                error,
            ])));
        }
        let code = EnrolmentCode::parse(code).map_err(|error| {
            ApiError::Invalid(karte_types::ValidationErrors(vec![
                karte_types::ValidationError::new("code", "malformed", error.to_string()),
            ]))
        })?;
        let key = self.device_key(true)?;
        let bundle_key = self.bundle_key()?;
        let grant = transport
            .enrol(&EnrolmentRequest {
                code: code.secret().to_owned(),
                device_id: self.vault.device_id().clone(),
                public_key: key.public_key(),
                device_name: device_name.to_owned(),
                bundle_key: Some(bundle_key.public_key()),
            })
            .map_err(SyncError::from)?;
        // The key the hub names must be the one the code came with by hand;
        // if not, nothing is stored and no vault key is sealed to it.
        code.check_recovery_key(&grant.recovery_public_key)
            .map_err(|_| ApiError::RecoveryKeyMismatch)?;
        let enrolment = Enrolment {
            hub_url: hub_url.trim().to_owned(),
            org_id: grant.org_id,
            org_name: grant.org_name,
            device_name: device_name.to_owned(),
            recovery_public_key: grant.recovery_public_key,
            enrolled_at: self.now(),
        };
        let event = AuditEvent {
            at: enrolment.enrolled_at,
            action: AuditAction::Enrol,
            patient: None,
            detail: format!(
                "{} at {} as {}",
                enrolment.org_name, enrolment.hub_url, enrolment.device_name
            ),
        };
        let trust = match &grant.trust {
            Some(granted) => super::trust::granted_entries(
                &enrolment.org_id,
                granted,
                self.vault.device_id(),
                &key.public_key(),
                &bundle_key.public_key(),
                self.now(),
            )?,
            None => Vec::new(),
        };
        let recovery = enrolment.recovery_public_key;
        self.vault.enrol_with_trust(
            &enrolment,
            event,
            |data_key| seal_to_recovery_key(&recovery, data_key).ok(),
            &trust,
        )?;
        Ok(enrolment)
    }

    /// The device's signing key; made and stored first if `make` and there
    /// is none.
    pub(super) fn device_key(&mut self, make: bool) -> Result<DeviceKey, ApiError> {
        let pkcs8 = match self.vault.device_key()? {
            Some(pkcs8) => pkcs8,
            None if make => {
                let (_, pkcs8) =
                    DeviceKey::generate(&SystemRandom::new()).map_err(SyncError::from)?;
                self.vault.set_device_key(&pkcs8)?;
                pkcs8
            }
            None => return Err(ApiError::NotEnrolled),
        };
        Ok(DeviceKey::from_pkcs8(&pkcs8).map_err(SyncError::from)?)
    }

    /// Asks for `patient`'s chart to be shared with the organisation `org`
    /// (its id at the hub). The request is kept in the vault and sent with
    /// the next sync, so it can be made offline.
    pub fn share(&mut self, patient: &PatientId, org: &str) -> Result<(), ApiError> {
        let (share, event) = self.circle_request(
            patient,
            org,
            "name the organisation to share with by its id at the hub",
            |org| AuditAction::Share { org },
        )?;
        Ok(self.vault.add_pending_share(share, event)?)
    }

    /// Asks for the organisation `org` (its id at the hub) to be removed
    /// from `patient`'s care circle: the chart stops reaching its devices.
    /// Only the owning organisation may remove another; any may remove
    /// itself, which the hub checks. Kept in the vault and sent with the
    /// next sync, so it can be made offline; a share of the same chart with
    /// `org` not yet sent is dropped.
    pub fn unshare(&mut self, patient: &PatientId, org: &str) -> Result<(), ApiError> {
        let (unshare, event) = self.circle_request(
            patient,
            org,
            "name the organisation to remove by its id at the hub",
            |org| AuditAction::Unshare { org },
        )?;
        Ok(self.vault.add_pending_unshare(unshare, event)?)
    }

    /// A change to `patient`'s care circle with the organisation `org`, to
    /// be sent with the next sync, and its audit entry; `missing` says what
    /// to do when `org` is blank.
    fn circle_request(
        &mut self,
        patient: &PatientId,
        org: &str,
        missing: &str,
        action: impl FnOnce(String) -> AuditAction,
    ) -> Result<(PendingShare, AuditEvent), ApiError> {
        self.require(Permission::Export)?;
        if self.vault.enrolment()?.is_none() {
            return Err(ApiError::NotEnrolled);
        }
        self.load(patient)?;
        let org = org.trim();
        if org.is_empty() {
            let error = karte_types::ValidationError::new("org", "required", missing);
            return Err(ApiError::Invalid(karte_types::ValidationErrors(vec![
                error,
            ])));
        }
        let event = AuditEvent {
            at: self.now(),
            action: action(org.to_owned()),
            patient: Some(patient.clone()),
            detail: "to be sent with the next sync".to_owned(),
        };
        let request = PendingShare {
            patient: patient.clone(),
            org: org.to_owned(),
        };
        Ok((request, event))
    }

    /// Withdraws a share not yet sent, e.g. one the hub refused: a refused
    /// share would otherwise fail every later sync.
    pub fn withdraw_share(&mut self, patient: &PatientId, org: &str) -> Result<(), ApiError> {
        let event = AuditEvent {
            at: self.now(),
            action: AuditAction::Share {
                org: org.trim().to_owned(),
            },
            patient: Some(patient.clone()),
            detail: "withdrawn before it was sent".to_owned(),
        };
        let share = PendingShare {
            patient: patient.clone(),
            org: org.trim().to_owned(),
        };
        Ok(self.vault.remove_pending_share(&share, event)?)
    }

    /// Withdraws an unshare not yet sent, e.g. one the hub refused.
    pub fn withdraw_unshare(&mut self, patient: &PatientId, org: &str) -> Result<(), ApiError> {
        let event = AuditEvent {
            at: self.now(),
            action: AuditAction::Unshare {
                org: org.trim().to_owned(),
            },
            patient: Some(patient.clone()),
            detail: "withdrawn before it was sent".to_owned(),
        };
        let unshare = PendingShare {
            patient: patient.clone(),
            org: org.trim().to_owned(),
        };
        Ok(self.vault.remove_pending_unshare(&unshare, event)?)
    }

    /// Syncs with the hub the device is enrolled at, over HTTPS.
    pub fn sync(&mut self, progress: impl FnMut(SyncProgress)) -> Result<SyncSummary, ApiError> {
        self.sync_trusting(&[], progress)
    }

    /// [`Session::sync`], also trusting the certificate authorities in
    /// `roots_pem` (PEM).
    pub fn sync_trusting(
        &mut self,
        roots_pem: &[u8],
        progress: impl FnMut(SyncProgress),
    ) -> Result<SyncSummary, ApiError> {
        let enrolment = self.vault.enrolment()?.ok_or(ApiError::NotEnrolled)?;
        let mut transport =
            HttpTransport::with_roots(&enrolment.hub_url, roots_pem).map_err(SyncError::from)?;
        self.sync_with(&mut transport, progress)
    }

    /// Syncs over a given transport: pushes what the hub lacks, applies
    /// the answer page by page (each durable before the next is asked
    /// for), and obeys a wipe order. An interrupted sync keeps every page
    /// that arrived; the next one resumes after it.
    pub fn sync_with(
        &mut self,
        transport: &mut dyn Transport,
        progress: impl FnMut(SyncProgress),
    ) -> Result<SyncSummary, ApiError> {
        self.sync_with_photos(transport, PhotoOptions::default(), progress)
    }

    /// [`Session::sync_with`], then the photo pass with `photos`: the
    /// photos the charts here name go to the hub or come from it. An
    /// interrupted photo pass fails the call after the charts were kept
    /// (and the sync recorded); the next sync goes on where it stopped.
    pub fn sync_with_photos(
        &mut self,
        transport: &mut dyn Transport,
        photos: PhotoOptions,
        mut progress: impl FnMut(SyncProgress),
    ) -> Result<SyncSummary, ApiError> {
        if self.vault.enrolment()?.is_none() {
            return Err(ApiError::NotEnrolled);
        }
        let key = self.device_key(false)?;
        let device = self.vault.device_id().clone();
        let identity = DeviceIdentity {
            key: &key,
            device: &device,
        };
        let relay_all = self.vault.sync_state()?.reconcile;
        let (mut summary, unrelayed) =
            self.sync_rounds(transport, identity, relay_all, &mut progress)?;
        summary.unrelayed_charts = unrelayed;
        if summary.wiped.is_some() {
            return Ok(summary);
        }
        if self.vault.sync_state()?.reconcile {
            // The hub was restored and this vault has read its feed from the
            // start: now every chart's changes the hub lacks go back to it.
            let (handed_back, unrelayable) =
                self.sync_rounds(transport, identity, true, &mut progress)?;
            summary.pushed_changes += handed_back.pushed_changes;
            summary.pushed_charts += handed_back.pushed_charts;
            summary.pushed_whole += handed_back.pushed_whole;
            summary.requests += handed_back.requests;
            summary.bytes_sent += handed_back.bytes_sent;
            summary.bytes_received += handed_back.bytes_received;
            if handed_back.wiped.is_some() {
                return Ok(handed_back);
            }
            // The second run weighed every chart the first left to push.
            summary.unrelayed_charts = unrelayable;
            if unrelayable == 0 {
                self.vault.end_reconcile()?;
            }
        }
        // A sync that moved nothing read and wrote no chart: there is
        // nothing to audit, only its time to keep. The time is kept after
        // the last page, not with it: the client learns a page was the last
        // only once it is applied.
        let now = self.now();
        let audit = summary.moved_anything().then(|| AuditEvent {
            at: now,
            action: AuditAction::Sync,
            patient: None,
            detail: summary.to_string(),
        });
        let lock = summary
            .device_lock
            .as_ref()
            .map(super::device_lock::lock_policy);
        self.vault
            .record_sync(last_sync(&summary, now), lock, audit)?;
        self.sync_photos(transport, identity, photos, &mut summary, &mut progress)?;
        Ok(summary)
    }
}

impl Session {
    /// Applies updates received from a peer, already checked (signatures
    /// and chart checks), as one page that leaves the hub's cursor where it
    /// is: one vault transaction with their signatures and audit entries.
    pub(super) fn apply_from_peer(
        &mut self,
        updates: Vec<DocUpdate>,
    ) -> Result<PageApplied, ApiError> {
        let state = self.vault.sync_state()?;
        let mut replica = VaultReplica {
            session: self,
            clean: Vec::new(),
            random: SystemRandom::new(),
            withhold_pushes: false,
            relay_all: false,
            unrelayable: HashSet::new(),
            from_peer: true,
        };
        replica.apply_page(ReceivedPage {
            cursor: FeedCursor {
                position: state.cursor,
                resume_after: state.resume_after,
            },
            acked: Vec::new(),
            updates,
            removed: Vec::new(),
            shares_accepted: Vec::new(),
            shares_pending: Vec::new(),
            unshares_accepted: Vec::new(),
            refused: Vec::new(),
            quarantine_reported: false,
            audit_acked: None,
            pushed: Vec::new(),
            feed_id: None,
        })
    }

    /// One run of the sync client over the vault; `relay_all` hands back
    /// every change the hub lacks, not only this device's. Also says how
    /// many charts could not be handed back.
    fn sync_rounds(
        &mut self,
        transport: &mut dyn Transport,
        identity: DeviceIdentity<'_>,
        relay_all: bool,
        progress: &mut dyn FnMut(SyncProgress),
    ) -> Result<(SyncSummary, usize), ApiError> {
        let mut replica = VaultReplica {
            session: self,
            clean: Vec::new(),
            random: SystemRandom::new(),
            withhold_pushes: false,
            relay_all,
            unrelayable: HashSet::new(),
            from_peer: false,
        };
        let summary = karte_sync::client::sync(
            transport,
            &mut replica,
            identity,
            SyncOptions::default(),
            progress,
        )?;
        Ok((summary, replica.unrelayable.len()))
    }
}

fn last_sync(summary: &SyncSummary, at: Timestamp) -> LastSync {
    LastSync {
        at,
        pushed_changes: summary.pushed_changes,
        received_changes: summary.received_changes,
        received_charts: summary.received_charts,
        removed_charts: summary.removed_charts,
        new_reviews: summary.new_reviews,
    }
}

/// The most audit entries one sync hands the hub (a few hundred kilobytes);
/// a vault with more hands in the rest at the next syncs.
const AUDIT_ENTRIES_PER_SYNC: usize = 2_000;

/// The vault and its charts as the sync client sees them.
struct VaultReplica<'s> {
    session: &'s mut Session,
    /// Charts marked as holding changes that hold none the hub lacks; they
    /// are marked clean with the first page.
    clean: Vec<PatientId>,
    random: SystemRandom,
    /// The vault started over in this sync (the hub was restored): it
    /// pushes nothing more until it has read the hub's feed from its start,
    /// which tells it what the hub holds of each chart.
    withhold_pushes: bool,
    /// Reconciling: every change the hub lacks is pushed, other devices'
    /// with their kept signatures.
    relay_all: bool,
    /// Charts that could not be handed back whole (a change of another
    /// device the hub lacks, whose signature this vault does not keep); a
    /// set, as a sync may ask for its pushes more than once.
    unrelayable: HashSet<PatientId>,
    /// The pages come from a peer: each chart they bring changes to is
    /// marked to hand on to the hub (per chart; `reconcile` is only for a
    /// restored hub).
    from_peer: bool,
}

fn pending_shares(pairs: &[(PatientId, String)]) -> Vec<PendingShare> {
    pairs
        .iter()
        .map(|(patient, org)| PendingShare {
            patient: patient.clone(),
            org: org.clone(),
        })
        .collect()
}

/// The heads of a saved chart.
fn saved_heads(saved: &[u8]) -> Result<Vec<[u8; 32]>, ApiError> {
    let heads = Chart::saved_heads(saved)?;
    Ok(heads.into_iter().map(|head| head.0).collect())
}

/// Signatures as the vault keeps them.
pub(super) fn kept_signatures(signatures: &[ChangeSignature]) -> Vec<ChangeSignatureRecord> {
    signatures
        .iter()
        .map(|signature| ChangeSignatureRecord {
            hash: signature.hash,
            author: signature.device.clone(),
            signature: signature.signature.clone(),
        })
        .collect()
}

fn change_hashes(heads: &[[u8; 32]]) -> Vec<ChangeHash> {
    heads.iter().map(|h| ChangeHash(*h)).collect()
}

/// A chart a page changed. A chart this vault did not hold waits here to
/// be cached once the page is durable; a held one was merged in its cache
/// entry, which learns what is persisted once the page is durable.
pub(super) struct Touched {
    pub(super) id: PatientId,
    pub(super) new_chart: Option<Chart>,
    pub(super) summary: PatientSummary,
    pub(super) appended: bool,
}

impl Replica for VaultReplica<'_> {
    type Error = ApiError;

    fn cursor(&self) -> Result<FeedCursor, ApiError> {
        let state = self.session.vault.sync_state()?;
        Ok(FeedCursor {
            position: state.cursor,
            resume_after: state.resume_after,
        })
    }

    fn audit_head(&self) -> Option<AuditHeadReport> {
        let head = self.session.vault.audit_head();
        Some(AuditHeadReport {
            seq: head.seq,
            hash: head.hash,
        })
    }

    fn audit_outgoing(&mut self) -> Result<Option<AuditOutgoing>, ApiError> {
        let vault = &self.session.vault;
        let acked = vault.sync_state()?.audit_acked;
        let head = vault.audit_head();
        if acked >= head.seq {
            return Ok(None);
        }
        let after = match acked {
            0 => AuditHeadReport {
                seq: 0,
                hash: [0; 32],
            },
            seq => {
                let entry = vault.audit_records_after(seq - 1, 1)?;
                let hash = entry.first().map_or([0; 32], |record| record.hash);
                AuditHeadReport { seq, hash }
            }
        };
        let entries = vault
            .audit_records_after(acked, AUDIT_ENTRIES_PER_SYNC)?
            .into_iter()
            .map(|record| AuditRecordWire {
                seq: record.seq,
                hash: record.hash,
                body: record.body,
            })
            .collect();
        Ok(Some(AuditOutgoing { after, entries }))
    }

    fn outgoing(&mut self) -> Result<Outgoing, ApiError> {
        if self.withhold_pushes {
            return Ok(Outgoing::default());
        }
        let device = self.session.vault.device_id().clone();
        let mut charts = Vec::new();
        for pending in self.session.vault.documents_to_push()? {
            let heads = change_hashes(&pending.hub_heads);
            let relayed = self.relay_all || self.session.vault.bundle_relay_pending(&pending.id)?;
            let changes = if relayed {
                // Another device's changes go too: read its kept signatures
                // and the chart once for both ways of sending them.
                let kept = self.session.kept_signatures(&pending.id)?;
                let key = if self.relay_all {
                    None
                } else {
                    Some(self.session.device_key(false)?)
                };
                let chart = &self.session.load(&pending.id)?.chart;
                // A chart a carried bundle brought changes to goes whole,
                // with its authors' tips' signatures: the hub takes what it
                // lacks of it, each change credited to its author.
                if let Some(key) = &key
                    && let Some(whole) = relay_whole(chart, &device, key, &kept, &heads)
                {
                    charts.push(OutgoingChart {
                        doc: pending.id,
                        changes: Vec::new(),
                        whole: Some(whole),
                    });
                    continue;
                }
                // Otherwise (reconciling, too large to go whole, or a tip
                // whose signature is not kept) as every change the hub
                // lacks, others' with their kept signatures.
                match handed_back(chart, &device, &heads, &kept) {
                    Some(changes) => changes,
                    None => {
                        // Neither: pushing only this device's changes would
                        // have the hub's acknowledgement drop the relay mark
                        // and the other device's changes with it. The chart
                        // stays marked and dirty; a later sync relays it once
                        // its authors have given the hub what this vault
                        // cannot.
                        self.unrelayable.insert(pending.id);
                        continue;
                    }
                }
            } else {
                let loaded = self.session.load(&pending.id)?;
                if let Some(whole) = whole_for_hub(&loaded.chart, &device, &heads) {
                    charts.push(OutgoingChart {
                        doc: pending.id,
                        changes: Vec::new(),
                        whole: Some(whole),
                    });
                    continue;
                }
                let own = loaded.chart.own_changes_since(&device, &heads);
                own.into_iter().map(OutgoingChange::own).collect()
            };
            if changes.is_empty() {
                self.clean.push(pending.id);
            } else {
                charts.push(OutgoingChart {
                    doc: pending.id,
                    changes,
                    whole: None,
                });
            }
        }
        let state = self.session.vault.sync_state()?;
        let pairs = |list: Vec<PendingShare>| {
            list.into_iter()
                .map(|share| (share.patient, share.org))
                .collect()
        };
        // The hub is told the whole list whenever it changed, until a page
        // answering such a request is durable.
        let quarantined = if state.quarantine_news {
            let kept = self.session.vault.quarantined()?;
            let reports = kept.into_iter().map(|kept| QuarantineReport {
                doc: kept.id,
                reason: kept.reason,
                since_ms: kept.since.0,
            });
            Some(reports.collect())
        } else {
            None
        };
        Ok(Outgoing {
            charts,
            shares: pairs(state.pending_shares),
            unshares: pairs(state.pending_unshares),
            quarantined,
        })
    }

    fn apply_page(&mut self, page: ReceivedPage) -> Result<PageApplied, ApiError> {
        let now = self.session.now();
        let mut write = SyncPageWrite {
            cursor: page.cursor.position,
            resume_after: page.cursor.resume_after.clone(),
            clean: std::mem::take(&mut self.clean),
            shares_sent: pending_shares(&page.shares_accepted),
            unshares_sent: pending_shares(&page.unshares_accepted),
            quarantine_reported: page.quarantine_reported,
            audit_acked: page.audit_acked,
            feed_id: page.feed_id,
            ..SyncPageWrite::default()
        };
        for (doc, signatures) in &page.pushed {
            write
                .signatures
                .push((doc.clone(), kept_signatures(signatures)));
        }
        for acked in &page.acked {
            write.acked.push((acked.doc.clone(), acked.heads.clone()));
            write.audit.push(sync_event(
                now,
                &acked.doc,
                "pushed; acknowledged by the hub",
            ));
        }
        let mut applied = PageApplied::default();
        let mut touched: Vec<Touched> = Vec::with_capacity(page.updates.len());
        let known: BTreeSet<PatientId> = self.session.vault.document_ids()?.into_iter().collect();
        let mut quarantine = Quarantine {
            held: self.session.vault.quarantined_ids()?.into_iter().collect(),
            now,
        };
        for refused in &page.refused {
            let error = ApiError::from(refused.error.clone());
            quarantine.set_aside(&mut write, &mut applied, &refused.update, &error);
        }
        let mut whole = self.receive_whole(&page.updates, &known, now).into_iter();
        for update in &page.updates {
            let held = known.contains(&update.doc);
            let received = match receiving(update, held) {
                Receiving::File { saved, digest } => Some(file_whole(&update.doc, saved, digest)),
                Receiving::Load { .. } => whole.next(),
                Receiving::Merge => None,
            };
            // An update of a chart in quarantine is tried on its own too:
            // it is new, and what was set aside is not tried again.
            let merged = self.merge(update, held, received, &page, now);
            let (document, new_chart, new_reviews) = match merged {
                Ok(merged) => merged,
                Err(error) if sets_aside(&error) => {
                    // The chart stays as stored; memory must agree.
                    self.forget([&update.doc].into_iter());
                    quarantine.set_aside(&mut write, &mut applied, update, &error);
                    continue;
                }
                Err(error) => {
                    // What is in memory must be what is stored.
                    self.forget(touched.iter().map(|t| &t.id).chain([&update.doc]));
                    return Err(error);
                }
            };
            if quarantine.held.contains(&update.doc) && quarantine.lifts(update) {
                quarantine.held.remove(&update.doc);
                write.lifted.push(update.doc.clone());
                applied.lifted += 1;
                write.audit.push(sync_event(
                    now,
                    &update.doc,
                    "out of quarantine: the chart was received whole and applied",
                ));
            }
            applied.new_reviews += new_reviews;
            applied.made_local_changes |= document.dirty;
            let detail = match &update.payload {
                Payload::Snapshot(_) => "received whole".to_owned(),
                Payload::Changes(changes) => format!("received {} changes", changes.len()),
            };
            write.audit.push(sync_event(now, &update.doc, &detail));
            // The signatures passed the page's checks: kept, so this device
            // can prove who wrote each change when it hands them on.
            write
                .signatures
                .push((update.doc.clone(), kept_signatures(&update.signatures)));
            touched.push(Touched {
                id: update.doc.clone(),
                new_chart,
                summary: document.summary.clone(),
                appended: !document.chunk.is_empty(),
            });
            let mut document = document;
            if self.from_peer {
                // Changes of other devices the hub may lack: the chart is
                // marked to relay and handed on at the next sync, with its
                // authors' signatures.
                document.dirty = true;
                write.relay = true;
            }
            write.documents.push(document);
        }
        for doc in &page.removed {
            write.removed.push(doc.clone());
            write.audit.push(sync_event(
                now,
                doc,
                "removed: no longer shared with this device's organisation",
            ));
        }
        let removed = write.removed.clone();
        if let Err(error) = self.session.vault.write_sync_page(write) {
            self.forget(touched.iter().map(|t| &t.id));
            return Err(error.into());
        }
        self.session.after_received(touched, &removed)?;
        Ok(applied)
    }

    fn wipe(&mut self) -> Result<(), ApiError> {
        self.session.charts.clear();
        self.session.index = None;
        Ok(self.session.vault.wipe()?)
    }

    fn feed_id(&self) -> Result<Option<[u8; 16]>, ApiError> {
        Ok(self.session.vault.sync_state()?.feed_id)
    }

    fn trust_state(&mut self) -> Result<Option<karte_sync::wire::TrustState>, ApiError> {
        self.session.trust_state().map(Some)
    }

    fn apply_trust(&mut self, update: karte_sync::wire::TrustUpdate) -> Result<(), ApiError> {
        self.session.apply_trust(update)
    }

    fn start_over(&mut self) -> Result<(), ApiError> {
        let event = AuditEvent {
            at: self.session.now(),
            action: AuditAction::Sync,
            patient: None,
            detail: "the hub was restored from a backup: reading its feed from the start, then giving back what it lacks".to_owned(),
        };
        self.session.vault.start_over(event)?;
        self.clean.clear();
        self.withhold_pushes = true;
        self.relay_all = true;
        Ok(())
    }
}

/// Every change of a chart not in the causal past of `heads`, each with
/// its author's kept signature (this device's own are signed when pushed);
/// `None` if one of another device has no kept signature (it came inside a
/// chart sent whole): the chart cannot be handed back by this device.
fn handed_back(
    chart: &Chart,
    device: &DeviceId,
    heads: &[ChangeHash],
    kept: &HashMap<[u8; 32], ChangeSignature>,
) -> Option<Vec<OutgoingChange>> {
    chart
        .changes_since(device, heads)
        .into_iter()
        .map(|change| {
            if change.own {
                return Some(OutgoingChange::own(change.bytes));
            }
            Some(OutgoingChange {
                signature: Some(kept.get(&change.hash.0)?.clone()),
                bytes: change.bytes,
            })
        })
        .collect()
}

impl RequestStamps for VaultReplica<'_> {
    fn now_ms(&mut self) -> i64 {
        self.session.now().0
    }

    fn nonce(&mut self) -> [u8; 16] {
        request_nonce(&self.random)
    }
}

/// A signed request's nonce. Like encryption nonces, from the operating
/// system: a seeded generator repeated across runs would make the hub
/// refuse requests as replays.
pub(super) fn request_nonce(random: &SystemRandom) -> [u8; 16] {
    ring::rand::generate(random)
        .map(|random| random.expose())
        .expect("the operating system's random source failed")
}

/// Whether a failed update puts its chart in quarantine: the chart or
/// what was received of it is at fault (a refusal of `karte-record`, or of
/// the signature checks), not this device or its vault.
fn sets_aside(error: &ApiError) -> bool {
    matches!(error, ApiError::Record(_) | ApiError::Sync(_))
}

/// The charts in quarantine as a page goes, and the page's time.
struct Quarantine {
    held: BTreeSet<PatientId>,
    now: Timestamp,
}

impl Quarantine {
    /// Whether applying `update` takes its chart out of quarantine: a
    /// chart sent whole is all of the chart as the hub holds it now.
    fn lifts(&self, update: &DocUpdate) -> bool {
        matches!(update.payload, Payload::Snapshot(_))
    }

    /// Keeps `update` in its chart's quarantine, refused with `error`.
    fn set_aside(
        &mut self,
        write: &mut SyncPageWrite,
        applied: &mut PageApplied,
        update: &DocUpdate,
        error: &ApiError,
    ) {
        let reason = error.code().as_str().to_owned();
        if self.held.insert(update.doc.clone()) {
            applied.quarantined.push(QuarantineNote {
                doc: update.doc.clone(),
                reason: reason.clone(),
            });
        }
        write.audit.push(sync_event(
            self.now,
            &update.doc,
            &format!("quarantined, not applied ({reason}): {error}"),
        ));
        write.quarantined.push(QuarantineWrite {
            id: update.doc.clone(),
            reason,
            detail: error.to_string(),
            at: self.now,
            received: karte_sync::encode_update(update),
        });
    }
}

/// What merging an update leaves to store: the document to write, the
/// chart if it is new to this vault, and how many review items are new.
pub(super) type Merged = (ReceivedDocument, Option<Chart>, usize);

/// How an update reaches the vault. The charts to load are loaded ahead,
/// in parallel, and taken in order: both passes over a page must sort its
/// updates alike, so both ask this.
enum Receiving<'a> {
    /// Merged into the chart held, or built from changes.
    Merge,
    /// New and sent whole with the hub's digest: filed unloaded.
    File {
        saved: &'a [u8],
        digest: &'a ChartDigest,
    },
    /// New and sent whole without a digest: loaded and checked here.
    Load { saved: &'a [u8] },
}

/// A chart to push whole: one the hub was never known to hold (no heads it
/// acknowledged) whose every change is this device's own, so its heads are
/// its only tips, and whose saved bytes fit the limit. Far smaller than its
/// changes one by one (a chart with two years of visits saves to about a
/// tenth of them).
fn whole_for_hub(
    chart: &Chart,
    device: &DeviceId,
    hub_heads: &[ChangeHash],
) -> Option<OutgoingWhole> {
    if !hub_heads.is_empty() || !chart.only_by(device) {
        return None;
    }
    let saved = chart.save();
    (saved.len() <= WHOLE_CHART_MAX_BYTES).then(|| OutgoingWhole {
        saved,
        tips: chart.heads().into_iter().map(|head| head.0).collect(),
        relayed: Vec::new(),
    })
}

fn receiving(update: &DocUpdate, held: bool) -> Receiving<'_> {
    match (&update.payload, &update.digest) {
        (Payload::Snapshot(saved), Some(digest)) if !held => Receiving::File { saved, digest },
        (Payload::Snapshot(saved), None) if !held => Receiving::Load { saved },
        _ => Receiving::Merge,
    }
}

/// A chart new to this vault, sent whole with the hub's digest: stored as
/// the bytes that came with the list entry the hub computed, unloaded. The
/// hub sends a digest only for a chart whose arrival records nothing, which
/// is all that loading it here would have found out.
fn file_whole(doc: &PatientId, saved: &[u8], digest: &ChartDigest) -> Result<Merged, ApiError> {
    if digest.summary.id != *doc {
        return Err(karte_record::RecordError::OtherChart(digest.summary.id.to_string()).into());
    }
    let document = ReceivedDocument {
        id: doc.clone(),
        chunk: saved.to_vec(),
        summary: digest.summary.clone(),
        consultations: None,
        dirty: false,
        hub_heads: Some(digest.heads.clone()),
        index_from_hub: true,
    };
    Ok((document, None, digest.summary.open_reviews as usize))
}

/// A chart new to this vault, sent whole: loaded once and stored as the
/// bytes that came, with any review items its arrival recorded after them.
pub(super) fn receive_whole(
    actor: &ActorId,
    edit: &Edit<'_>,
    doc: &PatientId,
    saved: &[u8],
) -> Result<Merged, ApiError> {
    store_received_whole(
        doc,
        saved,
        Chart::receive_saved(actor.clone(), saved, edit)?,
    )
}

/// What a chart received whole (`saved`, as `received` took it in) stores.
pub(super) fn store_received_whole(
    doc: &PatientId,
    saved: &[u8],
    received: karte_record::ReceivedChart,
) -> Result<Merged, ApiError> {
    let chart = received.chart;
    if chart.id() != *doc {
        return Err(karte_record::RecordError::OtherChart(chart.id().to_string()).into());
    }
    // What the chart holds beyond the bytes received is the review items
    // recorded on arrival: this device's own, to store and to push.
    let recorded = chart.heads() != received.received_heads;
    let mut chunk = saved.to_vec();
    if recorded {
        chunk.extend(chart.save_after(&received.received_heads));
    }
    let document = ReceivedDocument {
        id: doc.clone(),
        chunk,
        summary: chart.summary()?,
        consultations: Some(chart.consultations()?),
        dirty: recorded,
        hub_heads: Some(received.received_heads.iter().map(|h| h.0).collect()),
        index_from_hub: false,
    };
    let new_reviews = received.open_reviews.len();
    Ok((document, Some(chart), new_reviews))
}

/// `work` applied to every item, on as many threads as there are cores:
/// loading a chart is the slow part of a first sync, and charts are
/// independent of each other.
pub(super) fn in_parallel<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(work).collect();
    }
    let per_thread = items.len().div_ceil(threads);
    let parallel = std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = items
            .chunks(per_thread)
            .map(|part| {
                std::thread::Builder::new()
                    .stack_size(CHART_THREAD_STACK)
                    .spawn_scoped(scope, move || part.iter().map(work).collect::<Vec<R>>())
            })
            .collect();
        let mut results = Vec::with_capacity(items.len());
        for handle in handles {
            match handle {
                Ok(handle) => {
                    results.extend(handle.join().expect("a chart-loading thread panicked"))
                }
                // No thread to be had: the work is done here instead.
                Err(_) => return None,
            }
        }
        Some(results)
    });
    parallel.unwrap_or_else(|| items.iter().map(work).collect())
}

/// The stack of a chart-loading thread, as large as a main thread's:
/// Automerge recurses on deep documents.
const CHART_THREAD_STACK: usize = 8 << 20;

fn sync_event(at: Timestamp, doc: &PatientId, detail: &str) -> AuditEvent {
    AuditEvent {
        at,
        action: AuditAction::Sync,
        patient: Some(doc.clone()),
        detail: detail.to_owned(),
    }
}

impl VaultReplica<'_> {
    /// Merges an update into a chart (or makes the chart, if this vault
    /// does not hold it), and says what to store: the document to write, the
    /// chart if it is new, and how many review items are new.
    fn merge(
        &mut self,
        update: &DocUpdate,
        held: bool,
        whole: Option<Result<Merged, ApiError>>,
        page: &ReceivedPage,
        now: Timestamp,
    ) -> Result<Merged, ApiError> {
        let author = self.session.author.clone();
        let edit = Edit {
            author: &author,
            at: now,
        };
        let device = self.session.vault.device_id().clone();
        let joined;
        let bytes: &[u8] = match &update.payload {
            Payload::Snapshot(bytes) => bytes,
            Payload::Changes(changes) => {
                joined = changes.concat();
                &joined
            }
        };
        let doc = &update.doc;
        self.check_changes(update, held, bytes, now)?;
        let document = |chart: &Chart, chunk: Vec<u8>, hub_heads: &[[u8; 32]]| {
            // Everything of this device's own that the hub lacked was pushed
            // and acknowledged, so an own change left is one this merge made.
            let dirty = !chart
                .own_changes_since(&device, &change_hashes(hub_heads))
                .is_empty();
            Ok::<_, ApiError>(ReceivedDocument {
                id: doc.clone(),
                chunk,
                summary: chart.summary()?,
                consultations: Some(chart.consultations()?),
                dirty,
                hub_heads: None,
                index_from_hub: false,
            })
        };
        if held {
            // A chart sent whole is all the hub holds of it: its heads are
            // the hub's (what a device that started over learns here).
            let snapshot_heads = match &update.payload {
                Payload::Snapshot(saved) => Some(saved_heads(saved)?),
                Payload::Changes(_) => None,
            };
            let hub_heads = match (&snapshot_heads, page.acked.iter().find(|a| a.doc == *doc)) {
                (Some(heads), _) => heads.clone(),
                (None, Some(acked)) => acked.heads.clone(),
                (None, None) => self.session.vault.document_sync_state(doc)?.hub_heads,
            };
            let loaded = self.session.load(doc)?;
            let new = loaded.chart.apply(bytes, &edit)?;
            let chunk = loaded.chart.save_after(&loaded.persisted_heads);
            let mut stored = document(&loaded.chart, chunk, &hub_heads)?;
            stored.hub_heads = snapshot_heads;
            Ok((stored, None, new.len()))
        } else if let Some(whole) = whole {
            whole
        } else {
            let (chart, new) = Chart::receive(self.session.actor.clone(), bytes, &edit)?;
            if chart.id() != *doc {
                return Err(karte_record::RecordError::OtherChart(chart.id().to_string()).into());
            }
            let stored = document(&chart, chart.save(), &[])?;
            Ok((stored, Some(chart), new.len()))
        }
    }

    /// Checks that every change an update brings (as `bytes`) is an edit
    /// Karte makes, by the device that signed it, at a plausible time: a
    /// device of the organisation can sign anything. A chart sent whole
    /// was checked by the hub change by change when they were pushed.
    fn check_changes(
        &mut self,
        update: &DocUpdate,
        held: bool,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<(), ApiError> {
        if !matches!(update.payload, Payload::Changes(_)) {
            return Ok(());
        }
        self.session.check_update(update, held, bytes, now)
    }

    /// The charts of `updates` to load on arrival ([`Receiving::Load`]),
    /// received in parallel, in the order of `updates`.
    fn receive_whole(
        &self,
        updates: &[DocUpdate],
        known: &BTreeSet<PatientId>,
        now: Timestamp,
    ) -> Vec<Result<Merged, ApiError>> {
        let new: Vec<(&PatientId, &[u8])> = updates
            .iter()
            .filter_map(
                |update| match receiving(update, known.contains(&update.doc)) {
                    Receiving::Load { saved } => Some((&update.doc, saved)),
                    Receiving::File { .. } | Receiving::Merge => None,
                },
            )
            .collect();
        let actor = &self.session.actor;
        let edit = Edit {
            author: &self.session.author,
            at: now,
        };
        in_parallel(&new, |(doc, saved)| receive_whole(actor, &edit, doc, saved))
    }

    /// Drops charts from memory whose stored state they no longer match.
    fn forget<'a>(&mut self, ids: impl Iterator<Item = &'a PatientId>) {
        for id in ids {
            self.session.charts.remove(id);
        }
    }
}

impl Session {
    /// Brings memory up to a durable page: new charts cached, merged ones
    /// told what is persisted, the index updated, long charts compacted.
    pub(super) fn after_received(
        &mut self,
        touched: Vec<Touched>,
        removed: &[PatientId],
    ) -> Result<(), ApiError> {
        for Touched {
            id,
            new_chart,
            summary,
            appended,
        } in touched
        {
            self.index()?.upsert(summary);
            match new_chart {
                Some(chart) => {
                    let persisted_heads = chart.heads();
                    let loaded = LoadedChart {
                        chart,
                        persisted_heads,
                        chunks: 1,
                    };
                    self.cache(id.clone(), loaded);
                }
                None => {
                    if let Some(loaded) = self.charts.get_mut(&id) {
                        loaded.persisted_heads = loaded.chart.heads();
                        loaded.chunks += usize::from(appended);
                    }
                }
            }
            self.compact_if_long(&id)?;
        }
        for doc in removed {
            self.charts.remove(doc);
            if let Some(index) = self.index.as_mut() {
                index.remove(doc);
            }
        }
        Ok(())
    }
}

impl Session {
    /// Whether the changes of `update` (their bytes, `bytes`) pass the
    /// chart checks against the chart held (`held`), each by the device
    /// whose signature it carries, at `now`: for a hub's page, a peer's
    /// batch and a carried bundle alike.
    pub(super) fn check_update(
        &mut self,
        update: &DocUpdate,
        held: bool,
        bytes: &[u8],
        now: Timestamp,
    ) -> Result<(), ApiError> {
        let signers: HashMap<[u8; 32], &DeviceId> = update
            .signatures
            .iter()
            .map(|signature| (signature.hash, &signature.device))
            .collect();
        let signer_of = |hash: &ChangeHash| signers.get(&hash.0).map(|&device| device.clone());
        let chart = if held {
            Some(&self.load(&update.doc)?.chart)
        } else {
            None
        };
        Ok(Chart::check_received(
            chart,
            &update.doc,
            bytes,
            signer_of,
            now,
        )?)
    }

    /// The signatures this vault keeps for a chart's changes, by hash: its
    /// own and those its authors' devices sent with them.
    pub(super) fn kept_signatures(
        &self,
        doc: &PatientId,
    ) -> Result<HashMap<[u8; 32], ChangeSignature>, ApiError> {
        Ok(self
            .vault
            .change_signatures(doc)?
            .into_iter()
            .map(|record| {
                let signature = ChangeSignature {
                    hash: record.hash,
                    device: record.author,
                    signature: record.signature,
                };
                (signature.hash, signature)
            })
            .collect())
    }
}
