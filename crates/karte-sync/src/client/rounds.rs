//! One sync, as rounds of request and response: push what the hub lacks
//! with the cursor, make each page of the answer durable before asking for
//! the next, and obey a wipe order.
//!
//! The order of effects is what makes an interrupted sync safe to repeat:
//! a page's charts, acknowledgements and cursor become durable together,
//! so a sync that stops anywhere resumes from the last durable page and
//! never pushes again what the hub acknowledged; what was pushed but not
//! acknowledged is pushed again, and the hub skips what it already has.
//!
//! Pushes travel in pages of at most [`PUSH_PAGE_BYTES`], one page per
//! request, each acknowledged (and the acknowledgement made durable with
//! the page of the answer) before the next is sent: however much a device
//! wrote offline, no request is too large for the hub, and a cut loses at
//! most the page in flight. A hub that still finds a request too large
//! (`request_too_large`, a hub configured below the protocol's page) is
//! sent the same changes again in pages half as large.

use std::collections::VecDeque;

use karte_types::{DeviceId, ErrorCode, PatientId};

use crate::client::replica::{
    AuditOutgoing, FeedCursor, Outgoing, OutgoingChange, OutgoingWhole, ReceivedPage, Replica,
};
use crate::client::summary::{SyncProgress, SyncSummary};
use crate::client::transport::Transport;
use crate::client::verify::verify_updates;
use crate::wire::{
    AuditUpload, ChangeSignature, DocPush, Payload, SignedChange, SyncRequest, SyncResponse,
    WholeChart, WipeOrder,
};
use crate::{
    DeviceKey, SyncError, TransportError, decode_response, encode_request, sign_audit_head,
    sign_change, sign_change_hash, sign_request,
};

/// The most a request's pushes may weigh, counted before compression (so
/// the request on the wire is smaller still): 4 MiB less room for the
/// envelope. A page over a weak 3G link takes a minute or two, so a cut
/// loses little, and it is far below the hub's limit.
pub const PUSH_PAGE_BYTES: usize = (4 << 20) - (64 << 10);

/// The smallest page the device falls back to when a hub refuses a
/// request as too large.
const MIN_PUSH_PAGE_BYTES: usize = 16 << 10;

/// What one signed change weighs in a request beyond its bytes: its hash,
/// its signature and framing.
const PUSHED_CHANGE_OVERHEAD: usize = 32 + 64 + 8;
/// What one chart weighs in a request beyond its changes.
const PUSHED_DOC_OVERHEAD: usize = 40;
/// What one tip's signature weighs beside a chart sent whole: hash, device
/// id, signature and framing.
const PUSHED_TIP_OVERHEAD: usize = 32 + 64 + 40;

/// The largest saved chart a replica offers whole (see
/// [`OutgoingChart::whole`]): half a page, so a chart sent whole always
/// fits a page with room to spare. A larger chart goes change by change,
/// which pages can cut.
pub const WHOLE_CHART_MAX_BYTES: usize = PUSH_PAGE_BYTES / 2;

/// What every request is signed with: the device's key and id.
#[derive(Debug, Clone, Copy)]
pub struct DeviceIdentity<'a> {
    pub key: &'a DeviceKey,
    pub device: &'a DeviceId,
}

/// The time and the fresh nonce of each request, from the device (usually
/// the replica itself): this crate reads no clock and draws no randomness.
pub trait RequestStamps {
    /// Milliseconds since 1970 (UTC), as the hub's replay check expects.
    fn now_ms(&mut self) -> i64;
    /// Sixteen bytes never used before by this device.
    fn nonce(&mut self) -> [u8; 16];
}

/// How a sync asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncOptions {
    /// The page size asked of the hub.
    pub max_response_bytes: u32,
    /// The most a request's pushes weigh: [`PUSH_PAGE_BYTES`], lower only
    /// in tests.
    pub push_page_bytes: usize,
}

impl Default for SyncOptions {
    fn default() -> Self {
        // Small enough that a page over a weak 3G link arrives in a minute
        // or two, so an interruption loses little.
        SyncOptions {
            max_response_bytes: 4 << 20,
            push_page_bytes: PUSH_PAGE_BYTES,
        }
    }
}

/// Runs one sync of `replica` with the hub behind `transport`; the replica
/// also stamps each request with its time and a fresh nonce. Pages already
/// applied stay applied if a later one fails. `progress` is told after
/// each page.
pub fn sync<R: Replica + RequestStamps>(
    transport: &mut dyn Transport,
    replica: &mut R,
    identity: DeviceIdentity<'_>,
    options: SyncOptions,
    progress: &mut dyn FnMut(SyncProgress),
) -> Result<SyncSummary, R::Error> {
    let mut summary = SyncSummary::default();
    let mut page_bytes = options.push_page_bytes.max(1);
    let mut pushes = PushPages::new(first_request(replica, identity, options, &mut summary)?);
    let mut request = pushes.next_request(page_bytes);
    // One more round, at most, pushes the review items this round's merges
    // recorded, so a sync leaves nothing of its own behind.
    let mut review_round_left = true;
    let mut started_over = false;
    loop {
        let response = match exchange(transport, identity, replica, &request, &mut summary) {
            Err(error) if refused_as(&error, ErrorCode::FeedChanged) && !started_over => {
                // The hub was restored from a backup: its feed is another
                // one, and nothing of this request was stored. The replica
                // starts over, once, and pushes what the hub lacks.
                started_over = true;
                replica.start_over()?;
                summary.pushed_changes = 0;
                summary.pushed_charts = 0;
                pushes = PushPages::new(first_request(replica, identity, options, &mut summary)?);
                request = pushes.next_request(page_bytes);
                continue;
            }
            Err(error)
                if refused_as(&error, ErrorCode::RequestTooLarge)
                    && page_bytes > MIN_PUSH_PAGE_BYTES =>
            {
                // The same changes again, in smaller pages.
                if request
                    .pushes
                    .iter()
                    .map(|p| p.changes.len() + usize::from(p.whole.is_some()))
                    .sum::<usize>()
                    <= 1
                {
                    return Err(error.into());
                }
                page_bytes = (page_bytes / 2).max(MIN_PUSH_PAGE_BYTES);
                pushes.put_back(request);
                request = pushes.next_request(page_bytes);
                continue;
            }
            other => other?,
        };
        match response.wipe {
            Some(WipeOrder::Lost) => return wiped(replica, WipeOrder::Lost, summary),
            Some(WipeOrder::Retired) => {
                for push in &request.pushes {
                    if !response.acked.iter().any(|acked| acked.doc == push.doc) {
                        return Err(SyncError::WipeBeforeAck {
                            doc: push.doc.clone(),
                        }
                        .into());
                    }
                }
                if pushes.is_empty() {
                    return wiped(replica, WipeOrder::Retired, summary);
                }
                // A retired device hands in every page before it wipes.
            }
            None => {}
        }
        let asked = FeedCursor {
            position: request.cursor,
            resume_after: request.resume_after.clone(),
        };
        let cursor = FeedCursor {
            position: response.cursor,
            resume_after: response.resume_after.clone(),
        };
        if response.more && !asked.advanced_to(&cursor) {
            return Err(SyncError::NoProgress {
                cursor: request.cursor,
            }
            .into());
        }
        count_received(&response, &request, &mut summary);
        summary.device_lock = response.device_lock.clone();
        if let Some(trust) = response.trust.clone() {
            replica.apply_trust(trust)?;
        }
        let audit_acked = audit_acked(&request, &response);
        let (updates, refused) = verify_updates(response.updates, &response.signers);
        let more = response.more;
        // A chart cut across pages is acknowledged with its last page: a
        // replica takes an acknowledgement to mean nothing of it is left.
        let mut acked = response.acked;
        acked.retain(|heads| pushes.unfinished() != Some(&heads.doc));
        let applied = replica.apply_page(ReceivedPage {
            cursor: cursor.clone(),
            acked,
            updates,
            removed: response.removed,
            shares_accepted: request.shares.clone(),
            shares_pending: response.shares_pending,
            unshares_accepted: request.unshares.clone(),
            refused,
            quarantine_reported: request.quarantined.is_some(),
            audit_acked,
            pushed: pushed_signatures(&request, identity.device),
            feed_id: response.feed_id,
        })?;
        summary.new_reviews += applied.new_reviews;
        summary.quarantined.extend(applied.quarantined);
        summary.lifted += applied.lifted;
        progress(summary.progress());
        if !pushes.is_empty() || more {
            // The next page of pushes, if any, goes with the next page asked for.
            pushes.move_to(cursor);
            request = pushes.next_request(page_bytes);
        } else if applied.made_local_changes && review_round_left {
            review_round_left = false;
            pushes = PushPages::new(first_request(replica, identity, options, &mut summary)?);
            request = pushes.next_request(page_bytes);
        } else {
            return Ok(summary);
        }
    }
}

/// The number of the last audit entry `request` carried, if the hub's
/// answer says it holds the log that far (with that entry's hash).
fn audit_acked(request: &SyncRequest, response: &SyncResponse) -> Option<u64> {
    let last = request.audit.as_ref()?.entries.last()?;
    let held = response.audit_held?;
    let holds = held.seq > last.seq || held.seq == last.seq && held.hash == last.hash;
    holds.then_some(last.seq)
}

/// Whether the hub refused a request with `expected`: `FeedChanged` when the
/// device synced with another feed than the hub's (the hub was restored),
/// `RequestTooLarge` for its size.
fn refused_as(error: &SyncError, expected: ErrorCode) -> bool {
    matches!(
        error,
        SyncError::Transport(TransportError::Refused { code, .. }) if code == expected.as_str()
    )
}

/// A round's pushes not yet sent, and the rest of its opening request
/// (cursor, audit head, shares), cut into requests of pages.
struct PushPages {
    /// The opening request without its pushes.
    rest: SyncRequest,
    /// The pushes not yet sent, taken from the front a page at a time.
    pushes: VecDeque<DocPush>,
    /// Where in `pushes[0]` the next page starts.
    next_change: usize,
    shares_sent: bool,
}

impl PushPages {
    fn new(mut opening: SyncRequest) -> PushPages {
        PushPages {
            pushes: std::mem::take(&mut opening.pushes).into(),
            rest: opening,
            next_change: 0,
            shares_sent: false,
        }
    }

    /// Where the next request reads the feed from: after the page just made
    /// durable.
    fn move_to(&mut self, cursor: FeedCursor) {
        self.rest.cursor = cursor.position;
        self.rest.resume_after = cursor.resume_after;
    }

    /// The chart whose changes the last page cut short, if any.
    fn unfinished(&self) -> Option<&PatientId> {
        let first = self.pushes.front()?;
        (self.next_change > 0).then_some(&first.doc)
    }

    /// Whether every push (and the shares) has been put in a request.
    fn is_empty(&self) -> bool {
        self.pushes.is_empty()
            && (self.shares_sent || self.rest.shares.is_empty() && self.rest.unshares.is_empty())
    }

    /// The next request: the round's cursor and audit head with the next
    /// page of pushes, at most `page_bytes` of them unless one change alone
    /// weighs more. A chart goes whole into one page; only a chart larger
    /// than a page is cut across pages, in its changes' causal order, so the
    /// hub holds each change's dependencies before it (and it is
    /// acknowledged with its last page). The shares go with the last page,
    /// after the charts they name.
    fn next_request(&mut self, page_bytes: usize) -> SyncRequest {
        let mut page: Vec<DocPush> = Vec::new();
        let mut used = 0usize;
        while let Some(first) = self.pushes.front() {
            let left = &first.changes[self.next_change..];
            let whole = PUSHED_DOC_OVERHEAD
                + first.whole.as_ref().map_or(0, whole_chart_weight)
                + left
                    .iter()
                    .map(|c| c.change.len() + PUSHED_CHANGE_OVERHEAD)
                    .sum::<usize>();
            // A chart sent whole is never cut: alone on its page if it
            // must be.
            let uncut = whole <= page_bytes || first.whole.is_some();
            if used + whole <= page_bytes || page.is_empty() && uncut {
                used += whole;
                let mut rest_of_chart = self.pushes.pop_front().expect("a front push");
                rest_of_chart.changes.drain(..self.next_change);
                page.push(rest_of_chart);
                self.next_change = 0;
                continue;
            }
            if !page.is_empty() {
                break;
            }
            // A chart larger than a page: as many of its changes as fit, at
            // least one.
            used += PUSHED_DOC_OVERHEAD;
            let mut taken = Vec::new();
            for change in left {
                let cost = change.change.len() + PUSHED_CHANGE_OVERHEAD;
                if used + cost > page_bytes && !taken.is_empty() {
                    break;
                }
                used += cost;
                taken.push(change.clone());
            }
            self.next_change += taken.len();
            page.push(DocPush {
                doc: first.doc.clone(),
                changes: taken,
                whole: None,
            });
            if self.next_change == first.changes.len() {
                self.pushes.pop_front();
                self.next_change = 0;
            }
            break;
        }
        let last = self.pushes.is_empty();
        let (shares, unshares) = if last && !self.shares_sent {
            self.shares_sent = true;
            (self.rest.shares.clone(), self.rest.unshares.clone())
        } else {
            (Vec::new(), Vec::new())
        };
        SyncRequest {
            pushes: page,
            shares,
            unshares,
            // The audit entries go with the first page only, and so does
            // the trust the device holds (the hub answers it once a round).
            audit: self.rest.audit.take(),
            trust: self.rest.trust.take(),
            ..self.rest.clone_without_pushes()
        }
    }

    /// A request the hub refused for its size: its pushes go back in front,
    /// to be cut again into smaller pages, and its shares with the last.
    fn put_back(&mut self, request: SyncRequest) {
        if self.next_change > 0
            && let Some(first) = self.pushes.front_mut()
        {
            first.changes.drain(..self.next_change);
        }
        self.next_change = 0;
        for push in request.pushes.into_iter().rev() {
            self.pushes.push_front(push);
        }
        if !request.shares.is_empty() || !request.unshares.is_empty() {
            self.shares_sent = false;
        }
        if request.audit.is_some() {
            self.rest.audit = request.audit;
        }
        if request.trust.is_some() {
            self.rest.trust = request.trust;
        }
    }
}

impl SyncRequest {
    /// The request without its pushes and shares.
    fn clone_without_pushes(&self) -> SyncRequest {
        SyncRequest {
            cursor: self.cursor,
            resume_after: self.resume_after.clone(),
            max_response_bytes: self.max_response_bytes,
            pushes: Vec::new(),
            audit_head: self.audit_head,
            shares: Vec::new(),
            unshares: Vec::new(),
            quarantined: self.quarantined.clone(),
            audit: None,
            feed_id: self.feed_id,
            // The hub answers trust once a round, to its first request.
            trust: None,
        }
    }
}

/// The request that opens a round: the cursor, and everything to push.
fn first_request<R: Replica>(
    replica: &mut R,
    identity: DeviceIdentity<'_>,
    options: SyncOptions,
    summary: &mut SyncSummary,
) -> Result<SyncRequest, R::Error> {
    let Outgoing {
        charts,
        shares,
        unshares,
        quarantined,
    } = replica.outgoing()?;
    let mut pushes = Vec::with_capacity(charts.len());
    for mut chart in charts {
        if let Some(whole) = chart.whole.take() {
            summary.pushed_charts += 1;
            summary.pushed_whole += 1;
            pushes.push(whole_push(identity, chart.doc, whole));
            continue;
        }
        if chart.changes.is_empty() {
            continue;
        }
        let changes = chart
            .changes
            .into_iter()
            .map(|change| signed(identity, change))
            .collect::<Result<Vec<_>, _>>()
            .map_err(SyncError::from)?;
        summary.pushed_changes += changes.len();
        summary.pushed_charts += 1;
        pushes.push(DocPush {
            doc: chart.doc,
            changes,
            whole: None,
        });
    }
    let cursor = replica.cursor()?;
    let audit = replica
        .audit_outgoing()?
        .and_then(|outgoing| signed_audit(identity, outgoing));
    Ok(SyncRequest {
        cursor: cursor.position,
        resume_after: cursor.resume_after,
        max_response_bytes: options.max_response_bytes,
        pushes,
        audit_head: replica.audit_head(),
        shares,
        unshares,
        quarantined,
        audit,
        feed_id: replica.feed_id()?,
        trust: replica.trust_state()?,
    })
}

/// A chart the replica offers whole, with its own tips signed now and
/// other authors' tips with their kept signatures. The saved chart is
/// moved, not copied.
fn whole_push(identity: DeviceIdentity<'_>, doc: PatientId, whole: OutgoingWhole) -> DocPush {
    let tips = whole
        .tips
        .iter()
        .map(|hash| ChangeSignature {
            hash: *hash,
            device: identity.device.clone(),
            signature: sign_change_hash(identity.key, hash),
        })
        .chain(whole.relayed)
        .collect();
    DocPush {
        doc,
        changes: Vec::new(),
        whole: Some(WholeChart {
            saved: whole.saved,
            tips,
        }),
    }
}

/// What a chart sent whole weighs in a request.
fn whole_chart_weight(whole: &WholeChart) -> usize {
    whole.saved.len() + whole.tips.len() * PUSHED_TIP_OVERHEAD
}

/// Audit entries to hand in, signed at their last entry.
fn signed_audit(identity: DeviceIdentity<'_>, outgoing: AuditOutgoing) -> Option<AuditUpload> {
    let last = outgoing.entries.last()?;
    let signature = sign_audit_head(identity.key, identity.device, last.seq, &last.hash);
    Some(AuditUpload {
        after: outgoing.after,
        entries: outgoing.entries,
        signature,
    })
}

/// A change to push with its author's signature: the one kept, or for a
/// change of this device's own without one, made now.
fn signed(
    identity: DeviceIdentity<'_>,
    change: OutgoingChange,
) -> Result<SignedChange, crate::AuthError> {
    match change.signature {
        None => sign_change(identity.key, &change.bytes),
        Some(signature) => Ok(SignedChange {
            change: change.bytes,
            hash: signature.hash,
            signature: signature.signature,
            author: (signature.device != *identity.device).then_some(signature.device),
        }),
    }
}

/// The signature and author of every change `request` pushed, per chart.
fn pushed_signatures(
    request: &SyncRequest,
    device: &DeviceId,
) -> Vec<(PatientId, Vec<ChangeSignature>)> {
    request
        .pushes
        .iter()
        .map(|push| {
            let signatures = push
                .changes
                .iter()
                .map(|change| change.signature_of(device))
                .chain(
                    push.whole
                        .iter()
                        .flat_map(|whole| whole.tips.iter().cloned()),
                )
                .collect();
            (push.doc.clone(), signatures)
        })
        .collect()
}

/// Signs and sends one request and reads its response.
fn exchange(
    transport: &mut dyn Transport,
    identity: DeviceIdentity<'_>,
    stamps: &mut dyn RequestStamps,
    request: &SyncRequest,
    summary: &mut SyncSummary,
) -> Result<SyncResponse, SyncError> {
    let signed = sign_request(
        identity.key,
        identity.device,
        stamps.now_ms(),
        stamps.nonce(),
        request,
    );
    let body = encode_request(&signed);
    summary.requests += 1;
    summary.bytes_sent += body.len() as u64;
    let answer = transport.post_sync(body)?;
    summary.bytes_received += answer.len() as u64;
    Ok(decode_response(&answer)?)
}

fn count_received(response: &SyncResponse, request: &SyncRequest, summary: &mut SyncSummary) {
    for update in &response.updates {
        summary.received_charts += 1;
        match &update.payload {
            Payload::Snapshot(_) => summary.received_whole += 1,
            Payload::Changes(changes) => summary.received_changes += changes.len(),
        }
    }
    summary.removed_charts += response.removed.len();
    summary.shares +=
        request.shares.len() - response.shares_pending.len().min(request.shares.len());
    summary.shares_pending += response.shares_pending.len();
    summary.unshares += request.unshares.len();
}

fn wiped<R: Replica>(
    replica: &mut R,
    order: WipeOrder,
    mut summary: SyncSummary,
) -> Result<SyncSummary, R::Error> {
    replica.wipe()?;
    summary.wiped = Some(order);
    Ok(summary)
}
