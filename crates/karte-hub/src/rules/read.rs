//! Reading the feed a page at a time, and a first sync's charts a page at a
//! time, inside one read transaction the backend opened (so a page's head
//! and its entries come from one snapshot of the database).

use karte_types::{DeviceId, PatientId};

use super::{Result, Rows, payload};
use crate::at_rest::Keyring;
use crate::feed::{PLAN_BATCH, PagePlan, WholePlan, entry_size};
use crate::{FeedPage, OrgId, WholeChart, WholePage};

/// The feed after position `after` as `org` sees it, about `max_bytes` of
/// it: planned from entry sizes read in batches, then read whole up to the
/// planned cut.
pub(crate) async fn read_feed(
    rows: &impl Rows,
    keys: &Keyring,
    org: &OrgId,
    after: u64,
    max_bytes: usize,
) -> Result<FeedPage> {
    let head = rows.feed_head().await?;
    if after >= head {
        return Ok(FeedPage {
            entries: Vec::new(),
            next_cursor: after,
            more: false,
            head,
        });
    }
    let mut plan = PagePlan::new(max_bytes);
    let mut from = after;
    'planning: loop {
        let sizes = rows.visible_sizes(org, from, head, PLAN_BATCH).await?;
        for &(position, size) in &sizes {
            from = position;
            let size = if size == 0 {
                0
            } else {
                size.saturating_sub(keys.stored_overhead())
            };
            if !plan.offer(position, entry_size(size)) {
                break 'planning;
            }
        }
        if sizes.len() < PLAN_BATCH as usize {
            break;
        }
    }
    let (cut, more) = plan.finish(head);
    let mut entries = rows.visible_entries(org, after, cut).await?;
    payload::open_entries(rows, keys, &mut entries).await?;
    Ok(FeedPage {
        entries,
        next_cursor: cut,
        more,
        head,
    })
}

/// A page of `device`'s first sync (see `HubStore::whole_charts`): the
/// candidates are read in batches until the page is planned, since a page
/// takes a few hundred of an organisation's thousands of charts; then the
/// snapshots of those taken are read.
pub(crate) async fn whole_charts(
    rows: &impl Rows,
    keys: &Keyring,
    org: &OrgId,
    device: &DeviceId,
    head: Option<u64>,
    after: Option<&PatientId>,
    max_bytes: usize,
) -> Result<WholePage> {
    let head = match head {
        Some(head) => head,
        None => rows.feed_head().await?,
    };
    let mut from = after.map_or("", PatientId::as_str).to_owned();
    let mut candidates = Vec::new();
    let mut plan = WholePlan::new(max_bytes);
    let (taken, more) = loop {
        let batch = rows
            .whole_candidates(org, device, head, &from, PLAN_BATCH)
            .await?;
        if let Some(last) = batch.last() {
            from = last.doc.as_str().to_owned();
        }
        let overhead = keys.stored_overhead() as i64;
        let planned = plan.offer(
            batch
                .iter()
                .map(|candidate| candidate.snapshot_size.map(|size| (size - overhead).max(0))),
        );
        candidates.extend(batch);
        if let Some(planned) = planned {
            break planned;
        }
    };
    let mut charts = Vec::with_capacity(taken);
    for candidate in candidates.into_iter().take(taken) {
        let snapshot = match candidate.snapshot_size {
            Some(_) => payload::snapshot(rows, keys, &candidate.doc).await?,
            None => None,
        };
        charts.push(WholeChart {
            doc: candidate.doc,
            last_change: candidate.last_change,
            snapshot,
        });
    }
    Ok(WholePage { head, charts, more })
}

/// Which of `hashes` the hub holds for `doc`, in the order asked.
pub(crate) async fn present_changes(
    rows: &impl Rows,
    doc: &PatientId,
    hashes: &[[u8; 32]],
) -> Result<Vec<[u8; 32]>> {
    let stored = rows.stored_hashes(doc, hashes).await?;
    Ok(hashes
        .iter()
        .filter(|hash| stored.contains(*hash))
        .copied()
        .collect())
}
