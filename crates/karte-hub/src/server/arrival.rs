//! Working out, after a snapshot is cached, what a device receiving it
//! whole would do ([`Arrival`]): for most charts, store the bytes and file
//! a list entry the hub can compute once, so a first sync of a thousand
//! charts need not load a thousand charts on a tablet.
//!
//! The work (loading the chart, 5–10 ms) runs in the background, one chart
//! at a time, so pushes are not slowed by it; a chart whose arrival is not
//! known yet is sent without a digest and the device loads it itself.

use karte_record::Chart;
use karte_sync::ChartDigest;
use karte_types::PatientId;

use crate::server::blocking::run_blocking;
use crate::server::problem::Problem;
use crate::{Arrival, Hub, HubStore, Snapshot};

/// The digest to send beside `snapshot` of `doc`, if its arrival is known
/// and settled; an unknown one is queued to be worked out.
pub(super) fn digest_for<S: HubStore>(
    hub: &Hub<S>,
    doc: &PatientId,
    snapshot: &Snapshot,
) -> Option<ChartDigest> {
    match &snapshot.arrival {
        Some(Arrival::Settled(digest)) if digest.summary.id == *doc => Some((**digest).clone()),
        Some(_) => None,
        None => {
            work_out(hub, doc.clone());
            None
        }
    }
}

/// Queues `doc`'s cached snapshot to have its arrival worked out.
pub(super) fn work_out<S: HubStore>(hub: &Hub<S>, doc: PatientId) {
    if hub.arrivals().push(doc) {
        tokio::spawn(drain(hub.clone()));
    }
}

async fn drain<S: HubStore>(hub: Hub<S>) {
    // A task dropped midway (the runtime shutting down) must not leave the
    // queue believing a task still works on it.
    let working = Working(&hub);
    while let Some(doc) = hub.arrivals().next() {
        if let Err(problem) = work_out_one(&hub, &doc).await {
            tracing::warn!(%doc, "the arrival of a chart was not worked out: {}", problem.message);
        }
    }
    std::mem::forget(working);
}

/// While alive, a task works through the queue; dropped before the queue
/// ran empty, it tells the queue so.
struct Working<'a, S>(&'a Hub<S>);

impl<S> Drop for Working<'_, S> {
    fn drop(&mut self) {
        self.0.arrivals().abandoned();
    }
}

async fn work_out_one<S: HubStore>(hub: &Hub<S>, doc: &PatientId) -> Result<(), Problem> {
    let Some(snapshot) = hub.store().snapshot(doc).await? else {
        return Ok(());
    };
    if snapshot.arrival.is_some() {
        return Ok(());
    }
    let up_to = snapshot.up_to;
    let arrival = run_blocking(move || Ok(arrival_of(&snapshot.bytes))).await?;
    hub.store().put_arrival(doc, up_to, &arrival).await?;
    Ok(())
}

/// What a device receiving `saved` whole would do. A snapshot the hub
/// cannot load itself is left to the device, which will refuse it clearly.
pub(crate) fn arrival_of(saved: &[u8]) -> Arrival {
    match Chart::arrival_digest(saved) {
        Ok(Some((heads, summary))) => Arrival::Settled(Box::new(ChartDigest {
            heads: heads.into_iter().map(|head| head.0).collect(),
            summary,
        })),
        Ok(None) => Arrival::RecordsReviews,
        Err(error) => {
            tracing::warn!("a cached snapshot does not load as a chart: {error}");
            Arrival::RecordsReviews
        }
    }
}
