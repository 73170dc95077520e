//! The hub's own copy of a chart, rebuilt from its cached snapshot and the
//! changes stored after it. Pushes are checked against it (Automerge must
//! accept them) and acknowledged with its heads; devices that have never had
//! a chart get it saved whole from it.
//!
//! A snapshot caches "every change of the chart up to feed position
//! `up_to`". Because positions commit in order, a copy built from a snapshot
//! and every change after it holds every change committed before it was
//! read, and its `up_to` is the position of the last change it read.

use std::collections::HashSet;

use automerge::{Automerge, Change};
use karte_types::PatientId;

use crate::server::arrival;
use crate::server::blocking::run_blocking;
use crate::server::problem::Problem;
use crate::{FeedChange, Hub, HubStore, Snapshot};

/// A chart as the hub holds it now.
pub(crate) struct ChartCopy {
    pub doc: Automerge,
    /// Every change of the chart at or below this feed position is in `doc`.
    pub up_to: u64,
    /// `doc` saved whole, when a snapshot of exactly it is at hand: the
    /// cached one if nothing was applied on top, or one just saved.
    pub saved: Option<Vec<u8>>,
    /// How many changes `doc` holds beyond the cached snapshot.
    pub unsaved: usize,
}

impl std::fmt::Debug for ChartCopy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChartCopy")
            .field("up_to", &self.up_to)
            .finish_non_exhaustive()
    }
}

/// Builds the hub's copy of `doc`, and saves a new snapshot of it when more
/// than the configured number of changes were applied on top of the cached one.
pub(crate) async fn load<S: HubStore>(hub: &Hub<S>, doc: &PatientId) -> Result<ChartCopy, Problem> {
    let snapshot = hub.store().snapshot(doc).await?;
    let after = snapshot.as_ref().map_or(0, |s| s.up_to);
    let later = hub.store().doc_changes(doc, after).await?;
    let replayed = later.len();
    let mut copy = run_blocking(move || rebuild(snapshot, later)).await?;
    if replayed > hub.config().snapshot_refresh_after {
        copy.saved = Some(save_snapshot(hub, doc, &copy.doc, copy.up_to).await?);
        copy.unsaved = 0;
    }
    Ok(copy)
}

/// The chart saved whole, covering at least every change at or below
/// `position`: the cached snapshot when it does, else a new one, cached
/// with its arrival worked out at once (a device is waiting for it).
pub(crate) async fn saved<S: HubStore>(
    hub: &Hub<S>,
    doc: &PatientId,
    position: u64,
) -> Result<Snapshot, Problem> {
    let cached = match hub.store().snapshot(doc).await? {
        Some(snapshot) if snapshot.up_to >= position => return Ok(snapshot),
        cached => cached,
    };
    let copy = load(hub, doc).await?;
    let up_to = copy.up_to;
    if let Some(snapshot) = cached
        && copy.unsaved == 0
        && snapshot.up_to == up_to
    {
        // Nothing was stored after the cached snapshot (the position asked
        // for is a share event, not a change): it is the chart as it is.
        return Ok(snapshot);
    }
    // `load` has cached the copy itself when it held many changes beyond
    // the snapshot; then only the arrival is new.
    let cached_by_load = copy.saved.is_some();
    let (bytes, arrival) = run_blocking(move || {
        let bytes = copy.saved.unwrap_or_else(|| copy.doc.save());
        let arrival = arrival::arrival_of(&bytes);
        Ok((bytes, arrival))
    })
    .await?;
    // A chart without a single stored change has nothing to cache.
    let cacheable = up_to > 0;
    if cacheable && cached_by_load {
        hub.store().put_arrival(doc, up_to, &arrival).await?;
    }
    let snapshot = Snapshot {
        bytes,
        up_to,
        arrival: Some(arrival),
    };
    if cacheable && !cached_by_load {
        hub.store().put_snapshot(doc, &snapshot).await?;
    }
    Ok(snapshot)
}

/// Caches `bytes`, the copy at `up_to` with `pushed` applied, saved, once
/// the push is stored, if every change stored since `up_to` is one of
/// `pushed` (another device may have written to the chart meanwhile; the
/// copy lacks that change, and is not cached).
pub(crate) async fn cache_after_push<S: HubStore>(
    hub: &Hub<S>,
    doc: &PatientId,
    bytes: Vec<u8>,
    up_to: u64,
    pushed: &HashSet<[u8; 32]>,
) -> Result<(), Problem> {
    let stored = hub.store().doc_changes(doc, up_to).await?;
    if !stored.iter().all(|change| pushed.contains(&change.hash)) {
        return Ok(());
    }
    let up_to = stored.last().map_or(up_to, |change| change.position);
    cache(hub, doc, bytes, up_to).await
}

/// Caches `saved`, the bytes a device pushed of chart `doc` new to the hub,
/// as its snapshot: the push created the chart and stored every change of
/// it at or below `up_to` (feed positions are taken under a lock, so no
/// other change of the chart can lie below), and Automerge rebuilt from
/// these very bytes the changes stored, so saving the hub's copy again
/// would only make the same chart.
pub(crate) async fn cache_pushed_whole<S: HubStore>(
    hub: &Hub<S>,
    doc: &PatientId,
    saved: Vec<u8>,
    up_to: u64,
) -> Result<(), Problem> {
    cache(hub, doc, saved, up_to).await
}

/// The copy of a chart the hub holds nothing of.
pub(crate) fn empty() -> ChartCopy {
    ChartCopy {
        doc: Automerge::new(),
        up_to: 0,
        saved: None,
        unsaved: 0,
    }
}

/// Caches a new snapshot, and has its arrival worked out.
async fn cache<S: HubStore>(
    hub: &Hub<S>,
    doc: &PatientId,
    bytes: Vec<u8>,
    up_to: u64,
) -> Result<(), Problem> {
    let snapshot = Snapshot {
        bytes,
        up_to,
        arrival: None,
    };
    hub.store().put_snapshot(doc, &snapshot).await?;
    arrival::work_out(hub, doc.clone());
    Ok(())
}

async fn save_snapshot<S: HubStore>(
    hub: &Hub<S>,
    doc: &PatientId,
    chart: &Automerge,
    up_to: u64,
) -> Result<Vec<u8>, Problem> {
    let bytes = chart.save();
    cache(hub, doc, bytes.clone(), up_to).await?;
    Ok(bytes)
}

fn rebuild(snapshot: Option<Snapshot>, later: Vec<FeedChange>) -> Result<ChartCopy, Problem> {
    let damaged = |what: String| Problem::internal("corrupt", what);
    let (mut doc, mut up_to) = match &snapshot {
        Some(s) => (
            Automerge::load(&s.bytes)
                .map_err(|e| damaged(format!("a cached snapshot does not load: {e}")))?,
            s.up_to,
        ),
        None => (Automerge::new(), 0),
    };
    let mut changes = Vec::with_capacity(later.len());
    for change in &later {
        changes.push(
            Change::try_from(&change.bytes[..])
                .map_err(|e| damaged(format!("a stored change does not parse: {e}")))?,
        );
        up_to = up_to.max(change.position);
    }
    if !changes.is_empty() {
        doc.apply_changes(changes)
            .map_err(|e| damaged(format!("stored changes do not apply: {e}")))?;
    }
    let saved = if later.is_empty() {
        snapshot.map(|s| s.bytes)
    } else {
        None
    };
    Ok(ChartCopy {
        doc,
        up_to,
        saved,
        unsaved: later.len(),
    })
}
