//! What a device is sent: the feed after its cursor as its organisation
//! sees it, turned into one update per chart, up to about the page size it
//! asked for.
//!
//! A chart the device has never had (a first sync, a chart shared with its
//! organisation since its cursor, a chart created since its cursor) comes
//! saved whole, which is far smaller than its history change by change; a
//! chart it has comes as the changes it lacks, each with its signature,
//! unless one of them has none (it came inside a chart pushed whole and is
//! vouched for by a later change of its author): then the chart comes
//! whole. A chart no longer shared is listed in `removed`.
//!
//! The store cuts the feed into pages by the size of the changes in them,
//! but a page of charts sent whole answers much smaller, so the response is
//! filled from as many store pages as fit. It ends just before the first
//! entry that costs bytes and does not fit, which is safe because every
//! entry the organisation may see up to there has been taken; entries that
//! cost nothing (changes a snapshot in the response already holds) are
//! taken past the budget, so a chart sent whole does not come again.

use std::collections::{HashMap, HashSet};

use automerge::Change;
use karte_sync::{ChangeSignature, ChartDigest, DocUpdate, Payload, SignerKey};
use karte_types::{DeviceId, PatientId};

use crate::server::problem::Problem;
use crate::server::{arrival, chart_copy};
use crate::{CircleEvent, FeedChange, FeedEntry, Hub, HubStore, OrgId};

/// What a change costs in a response beyond its bytes: its signature (hash,
/// device id, Ed25519 signature) and framing.
const CHANGE_OVERHEAD: usize = 136;
/// What a chart's update or removal costs beyond its payload.
const DOC_OVERHEAD: usize = 40;

/// The updates of one response.
#[derive(Debug, Default)]
pub(super) struct Updates {
    pub cursor: u64,
    /// During a first sync, the last chart sent (see [`super::whole`]).
    pub resume_after: Option<PatientId>,
    pub more: bool,
    pub updates: Vec<DocUpdate>,
    pub removed: Vec<PatientId>,
    /// The enrolled key of every device that signed a change sent.
    pub signers: Vec<SignerKey>,
}

/// One chart's part of the response while it is being gathered.
#[derive(Debug)]
enum Pending {
    /// The chart saved whole, holding every change at or below `covers`.
    Whole {
        bytes: Vec<u8>,
        covers: u64,
        digest: Option<ChartDigest>,
    },
    Changes {
        changes: Vec<Vec<u8>>,
        signatures: Vec<ChangeSignature>,
        size: usize,
    },
}

impl Pending {
    fn size(&self) -> usize {
        match self {
            Pending::Whole { bytes, .. } => bytes.len() + DOC_OVERHEAD,
            Pending::Changes { size, .. } => *size,
        }
    }
}

/// Where an entry went.
enum Step {
    Taken,
    /// The response is full: it ends before this entry.
    Full,
}

struct Gathering<'a, S> {
    hub: &'a Hub<S>,
    org: &'a OrgId,
    /// The cursor the device sent: 0 means it has nothing yet.
    from: u64,
    /// The changes the device pushed in this very request: it has them, so
    /// they are not sent back.
    just_pushed: &'a HashSet<[u8; 32]>,
    budget: usize,
    used: usize,
    taken_any: bool,
    /// Set once enough of the feed was read: only entries that cost
    /// nothing are taken after.
    closed: bool,
    order: Vec<PatientId>,
    pending: HashMap<PatientId, Pending>,
    removed: Vec<PatientId>,
    /// The last position of each chart's entries in the store page at hand:
    /// a chart saved whole must hold at least its changes up to there.
    last_in_page: HashMap<PatientId, u64>,
}

/// The feed after `cursor` for `org`, in about `budget` bytes, less the
/// changes `just_pushed`.
pub(super) async fn gather<S: HubStore>(
    hub: &Hub<S>,
    org: &OrgId,
    cursor: u64,
    budget: usize,
    just_pushed: &HashSet<[u8; 32]>,
) -> Result<Updates, Problem> {
    let mut gathering = Gathering {
        hub,
        org,
        from: cursor,
        just_pushed,
        budget,
        used: 0,
        taken_any: false,
        closed: false,
        order: Vec::new(),
        pending: HashMap::new(),
        removed: Vec::new(),
        last_in_page: HashMap::new(),
    };
    let mut at = cursor;
    let mut more;
    // Reads that took only entries costing nothing do not count: they end
    // where such a run ends, at the latest where the snapshots sent end.
    let mut reads_left = hub.config().max_feed_reads.max(1);
    loop {
        // Once the response is full, the feed is still read on, in pages
        // of a quarter of the budget, for as long as its entries cost
        // nothing: the rest of a chart's changes that its snapshot already
        // holds. Ending the cursor among them would send them again, one
        // by one, in the next response.
        let room = budget.saturating_sub(gathering.used).max(budget / 4).max(1);
        let page = hub.store().read_feed(org, at, room).await?;
        if at > page.head {
            // Positions never go back: this hub lost feed entries the device
            // read (it was restored from a backup). The device keeps its
            // cursor and would miss changes stored at those positions again.
            tracing::warn!(
                org = %org,
                cursor = at,
                head = page.head,
                "a device's cursor is beyond this hub's feed: was the hub restored from a backup?"
            );
        }
        gathering.last_in_page = page
            .entries
            .iter()
            .map(|entry| (entry.doc().clone(), entry.position()))
            .collect();
        let mut cut = None;
        let used_before = gathering.used;
        for entry in page.entries {
            let position = entry.position();
            if let Step::Full = gathering.take(entry).await? {
                cut = Some(position - 1);
                break;
            }
        }
        match cut {
            Some(last) => {
                at = last;
                more = true;
                break;
            }
            None => {
                at = page.next_cursor;
                more = page.more;
            }
        }
        if !more {
            break;
        }
        if gathering.used != used_before {
            reads_left = reads_left.saturating_sub(1);
            if reads_left == 0 {
                // Enough read: take nothing more that costs bytes, but end
                // after the changes the snapshots taken already hold.
                gathering.closed = true;
            }
        }
    }
    let mut updates = gathering.finish(at, more);
    updates.signers = signer_keys(hub, &updates.updates).await?;
    Ok(updates)
}

/// The public keys of the devices that signed the changes in `updates`.
pub(super) async fn signer_keys<S: HubStore>(
    hub: &Hub<S>,
    updates: &[DocUpdate],
) -> Result<Vec<SignerKey>, Problem> {
    let mut devices: Vec<&DeviceId> = updates
        .iter()
        .flat_map(|update| update.signatures.iter().map(|s| &s.device))
        .collect();
    devices.sort();
    devices.dedup();
    let mut keys = Vec::with_capacity(devices.len());
    for id in devices {
        let device = hub.store().device(id).await?.ok_or_else(|| {
            Problem::internal(
                "corrupt",
                format!("the signer {id} of a stored change is not enrolled"),
            )
        })?;
        let public_key = device.public_key_array()?;
        keys.push(SignerKey {
            device: device.id,
            public_key,
        });
    }
    Ok(keys)
}

impl<S: HubStore> Gathering<'_, S> {
    /// Whether `size` more bytes fit; the first entry always does, so every
    /// response moves the cursor, unless the response is closed.
    fn fits(&self, size: usize) -> bool {
        !self.closed && (!self.taken_any || self.used.saturating_add(size) <= self.budget)
    }

    fn add(&mut self, doc: &PatientId, part: Pending) {
        self.used += part.size();
        if let Some(old) = self.pending.insert(doc.clone(), part) {
            self.used = self.used.saturating_sub(old.size());
        } else {
            self.order.push(doc.clone());
        }
        self.taken_any = true;
    }

    async fn take(&mut self, entry: FeedEntry) -> Result<Step, Problem> {
        match entry {
            FeedEntry::Unshared { doc, .. } => {
                let size = doc.as_str().len() + DOC_OVERHEAD;
                if !self.fits(size) {
                    return Ok(Step::Full);
                }
                if let Some(old) = self.pending.remove(&doc) {
                    self.used = self.used.saturating_sub(old.size());
                    self.order.retain(|d| *d != doc);
                }
                if !self.removed.contains(&doc) {
                    self.removed.push(doc);
                }
                self.used += size;
                self.taken_any = true;
                Ok(Step::Taken)
            }
            FeedEntry::Shared { doc, position } => {
                if let Some(Pending::Whole { covers, .. }) = self.pending.get(&doc)
                    && *covers >= position
                {
                    return Ok(Step::Taken);
                }
                self.take_whole(doc).await
            }
            FeedEntry::Change(change) => self.take_change(change).await,
        }
    }

    async fn take_change(&mut self, change: FeedChange) -> Result<Step, Problem> {
        if self.just_pushed.contains(&change.hash) {
            return Ok(Step::Taken);
        }
        if self.removed.contains(&change.doc) {
            // Unshared earlier in this response yet visible now: it was
            // shared again after, and that share event brings it whole.
            return Ok(Step::Taken);
        }
        match self.pending.get_mut(&change.doc) {
            Some(Pending::Whole { covers, .. }) => {
                if change.position <= *covers {
                    Ok(Step::Taken)
                } else {
                    // Stored after the chart was saved for this response:
                    // it goes in the next one, as a change.
                    Ok(Step::Full)
                }
            }
            Some(Pending::Changes { .. }) if change.signature.is_empty() => {
                // A change that came inside a chart sent whole has no
                // signature of its own: the chart goes whole instead.
                self.take_whole(change.doc).await
            }
            Some(Pending::Changes { .. }) => {
                let size = change.bytes.len() + CHANGE_OVERHEAD;
                if !self.fits(size) {
                    return Ok(Step::Full);
                }
                if let Some(Pending::Changes {
                    changes,
                    signatures,
                    size: total,
                }) = self.pending.get_mut(&change.doc)
                {
                    *total += size;
                    signatures.push(signature_of(&change));
                    changes.push(change.bytes);
                }
                self.used += size;
                Ok(Step::Taken)
            }
            None => {
                // A change with no signature of its own (it came inside a
                // chart sent whole, vouched for by a later change of its
                // author) travels inside the chart sent whole.
                if change.signature.is_empty() || self.is_new_to_device(&change).await? {
                    return self.take_whole(change.doc).await;
                }
                let size = change.bytes.len() + CHANGE_OVERHEAD + DOC_OVERHEAD;
                if !self.fits(size) {
                    return Ok(Step::Full);
                }
                let doc = change.doc.clone();
                let part = Pending::Changes {
                    signatures: vec![signature_of(&change)],
                    changes: vec![change.bytes],
                    size,
                };
                self.add(&doc, part);
                Ok(Step::Taken)
            }
        }
    }

    /// Whether the device has never had the chart of `change`, the first
    /// of its changes in this response: it has nothing yet, or the chart
    /// starts after its cursor, or the chart was shared with its
    /// organisation after its cursor (the share event may lie further on
    /// in the feed than this change, which is visible because the chart is
    /// shared now).
    async fn is_new_to_device(&self, change: &FeedChange) -> Result<bool, Problem> {
        if self.from == 0 || is_first_change(&change.bytes) {
            return Ok(true);
        }
        Ok(self
            .hub
            .store()
            .circle_event_after(&change.doc, self.org, CircleEvent::Shared, self.from)
            .await?)
    }

    /// Takes the chart saved whole, in place of anything gathered for it.
    async fn take_whole(&mut self, doc: PatientId) -> Result<Step, Problem> {
        let needed = self.last_in_page.get(&doc).copied().unwrap_or(0);
        let snapshot = chart_copy::saved(self.hub, &doc, needed).await?;
        let part = Pending::Whole {
            digest: arrival::digest_for(self.hub, &doc, &snapshot),
            bytes: snapshot.bytes,
            covers: snapshot.up_to,
        };
        let already = self.pending.get(&doc).map_or(0, Pending::size);
        if !self.fits(part.size().saturating_sub(already)) {
            return Ok(Step::Full);
        }
        self.removed.retain(|d| *d != doc);
        self.add(&doc, part);
        Ok(Step::Taken)
    }

    fn finish(mut self, cursor: u64, more: bool) -> Updates {
        let updates = self
            .order
            .iter()
            .filter_map(|doc| {
                let part = self.pending.remove(doc)?;
                Some(match part {
                    // A chart sent whole carries no signatures: the hub
                    // checked every change in it before storing it, and the
                    // signatures of a long history would outweigh the
                    // chart several times over.
                    Pending::Whole { bytes, digest, .. } => DocUpdate {
                        doc: doc.clone(),
                        payload: Payload::Snapshot(bytes),
                        signatures: Vec::new(),
                        digest,
                    },
                    Pending::Changes {
                        changes,
                        signatures,
                        ..
                    } => DocUpdate {
                        doc: doc.clone(),
                        payload: Payload::Changes(changes),
                        signatures,
                        digest: None,
                    },
                })
            })
            .collect();
        Updates {
            cursor,
            resume_after: None,
            more,
            updates,
            removed: self.removed,
            signers: Vec::new(),
        }
    }
}

fn signature_of(change: &FeedChange) -> ChangeSignature {
    ChangeSignature {
        hash: change.hash,
        device: change.signer.clone(),
        signature: change.signature.clone(),
    }
}

/// Whether a change starts its chart (it depends on nothing): a chart whose
/// first change is after the cursor is one the device has never had.
fn is_first_change(bytes: &[u8]) -> bool {
    Change::try_from(bytes).is_ok_and(|change| change.deps().is_empty())
}
