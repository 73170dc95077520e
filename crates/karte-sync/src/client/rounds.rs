//! One sync, as rounds of request and response: push what the hub lacks
//! with the cursor, make each page of the answer durable before asking for
//! the next, and obey a wipe order.
//!
//! The order of effects is what makes an interrupted sync safe to repeat:
//! a page's charts, acknowledgements and cursor become durable together,
//! so a sync that stops anywhere resumes from the last durable page and
//! never pushes again what the hub acknowledged; what was pushed but not
//! acknowledged is pushed again, and the hub skips what it already has.

use karte_types::DeviceId;

use crate::client::replica::{FeedCursor, Outgoing, ReceivedPage, Replica};
use crate::client::summary::{SyncProgress, SyncSummary};
use crate::client::transport::Transport;
use crate::client::verify::verify_updates;
use crate::wire::{DocPush, Payload, SyncRequest, SyncResponse, WipeOrder};
use crate::{DeviceKey, SyncError, decode_response, encode_request, sign_change, sign_request};

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
}

impl Default for SyncOptions {
    fn default() -> Self {
        // Small enough that a page over a weak 3G link arrives in a minute
        // or two, so an interruption loses little.
        SyncOptions {
            max_response_bytes: 4 << 20,
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
    let mut request = first_request(replica, identity, options, &mut summary)?;
    // One more round, at most, pushes the review items this round's merges
    // recorded, so a sync leaves nothing of its own behind.
    let mut review_round_left = true;
    loop {
        let response = exchange(transport, identity, replica, &request, &mut summary)?;
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
                return wiped(replica, WipeOrder::Retired, summary);
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
        let (updates, refused) = verify_updates(response.updates, &response.signers);
        let more = response.more;
        let applied = replica.apply_page(ReceivedPage {
            cursor: cursor.clone(),
            acked: response.acked,
            updates,
            removed: response.removed,
            shares_accepted: request.shares.clone(),
            refused,
            quarantine_reported: request.quarantined.is_some(),
        })?;
        summary.new_reviews += applied.new_reviews;
        summary.quarantined.extend(applied.quarantined);
        summary.lifted += applied.lifted;
        progress(summary.progress());
        if more {
            request = SyncRequest {
                cursor: cursor.position,
                resume_after: cursor.resume_after,
                pushes: Vec::new(),
                shares: Vec::new(),
                quarantined: None,
                ..request
            };
        } else if applied.made_local_changes && review_round_left {
            review_round_left = false;
            request = first_request(replica, identity, options, &mut summary)?;
        } else {
            return Ok(summary);
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
        quarantined,
    } = replica.outgoing()?;
    let mut pushes = Vec::with_capacity(charts.len());
    for chart in charts.into_iter().filter(|c| !c.changes.is_empty()) {
        let changes = chart
            .changes
            .iter()
            .map(|change| sign_change(identity.key, change))
            .collect::<Result<Vec<_>, _>>()
            .map_err(SyncError::from)?;
        summary.pushed_changes += changes.len();
        summary.pushed_charts += 1;
        pushes.push(DocPush {
            doc: chart.doc,
            changes,
        });
    }
    let cursor = replica.cursor()?;
    Ok(SyncRequest {
        cursor: cursor.position,
        resume_after: cursor.resume_after,
        max_response_bytes: options.max_response_bytes,
        pushes,
        audit_head: replica.audit_head(),
        shares,
        quarantined,
    })
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
    summary.shares += request.shares.len();
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
