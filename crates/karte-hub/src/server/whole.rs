//! A first sync: a device with nothing yet (cursor 0) is sent every chart
//! its organisation may see, saved whole, in chart id order, as of the feed
//! position its first request found (the head). Each page names the last
//! chart sent (`resume_after`) and keeps the head as the cursor; the device
//! asks again with both until no chart is left, then reads the feed after
//! the head as usual.
//!
//! Reading the feed from 0 instead would read every change ever stored to
//! learn where charts start, tens of times the bytes of the charts, and
//! leaves a long-lived feed's interleaved histories to come again as
//! changes. Here the hub reads only the charts in scope and their cached
//! snapshots, and sends beside each the digest that lets the device file
//! it without loading it.
//!
//! Each chart sent holds at least its changes up to the head (a snapshot
//! may hold later ones too, which then come again as changes after the
//! first sync and change nothing). A chart shared with the organisation
//! after the head comes whole again with the share event; one unshared
//! after it is removed by the unshare event; one created after it comes
//! with the feed. A chart the device wrote alone (on a tablet that worked
//! offline before its first sync) is not sent back: it has it all.

use karte_sync::{DocUpdate, Payload};
use karte_types::PatientId;

use crate::server::problem::Problem;
use crate::server::updates::Updates;
use crate::server::{arrival, chart_copy};
use crate::{Device, Hub, HubStore};

/// One page of `device`'s first sync: the charts after `after` as of
/// `head` (fixed now, when the first sync starts), in about `budget` bytes.
pub(super) async fn page<S: HubStore>(
    hub: &Hub<S>,
    device: &Device,
    head: Option<u64>,
    after: Option<&PatientId>,
    budget: usize,
) -> Result<Updates, Problem> {
    let page = hub
        .store()
        .whole_charts(&device.org, &device.id, head, after, budget)
        .await?;
    let mut updates = Vec::with_capacity(page.charts.len());
    let mut more = page.more;
    let mut used = 0usize;
    for chart in page.charts {
        let snapshot = match chart.snapshot {
            Some(snapshot) if snapshot.up_to >= chart.last_change => snapshot,
            _ => chart_copy::saved(hub, &chart.doc, chart.last_change).await?,
        };
        // The page was planned from the sizes of cached snapshots; one saved
        // just now may be larger. The page ends where the real bytes fill
        // it, after one chart at least.
        used = used.saturating_add(snapshot.bytes.len());
        if !updates.is_empty() && used > budget {
            more = true;
            break;
        }
        let digest = arrival::digest_for(hub, &chart.doc, &snapshot);
        updates.push(DocUpdate {
            doc: chart.doc,
            payload: Payload::Snapshot(snapshot.bytes),
            signatures: Vec::new(),
            digest,
        });
    }
    let resume_after = match more {
        true => updates.last().map(|update| update.doc.clone()),
        false => None,
    };
    // Once every chart is sent, the feed after the head follows as usual:
    // another round only if anything was stored since. A hub that had
    // nothing at all gives no head to go on from: the next sync starts over.
    let more = more || (page.head > 0 && hub.store().feed_head().await? > page.head);
    Ok(Updates {
        cursor: page.head,
        resume_after,
        more,
        updates,
        removed: Vec::new(),
        signers: Vec::new(),
    })
}
