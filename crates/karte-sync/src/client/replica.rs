//! The device's side of a sync as the session logic sees it: where it is in
//! the hub's feed, what it has to push, and a place that makes each
//! received page durable. The application implements it over its vault and
//! charts; tests implement it in memory.

use karte_types::PatientId;

use crate::SyncError;
use crate::wire::{AuditHeadReport, DocHeads, DocUpdate};

/// A device's charts and sync state.
pub trait Replica {
    /// The replica's own errors; sync errors become them too, so a caller
    /// sees one error type.
    type Error: From<SyncError>;

    /// The position in the hub's feed up to which everything is durable here.
    fn cursor(&self) -> Result<u64, Self::Error>;

    /// The head of the device's audit chain, reported to the hub.
    fn audit_head(&self) -> Option<AuditHeadReport>;

    /// What this device has that the hub lacks: its own changes to every
    /// chart changed since the hub last acknowledged it, and the shares it
    /// asks for.
    fn outgoing(&mut self) -> Result<Outgoing, Self::Error>;

    /// Makes one page durable: the acknowledgements, the updates (whose
    /// signatures have been checked), the removals and the new cursor, all
    /// at once; the cursor must never be durable before the data is.
    fn apply_page(&mut self, page: ReceivedPage) -> Result<PageApplied, Self::Error>;

    /// Destroys everything the device holds, on the hub's order.
    fn wipe(&mut self) -> Result<(), Self::Error>;
}

/// What a device sends in the first request of a round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outgoing {
    pub charts: Vec<OutgoingChart>,
    /// (chart, organisation id) pairs to add to care circles.
    pub shares: Vec<(PatientId, String)>,
}

/// One chart's changes that the hub lacks: raw Automerge changes written
/// by this device, in causal order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingChart {
    pub doc: PatientId,
    pub changes: Vec<Vec<u8>>,
}

/// One page of the hub's answer, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedPage {
    /// The cursor to store once this page is durable.
    pub cursor: u64,
    /// The hub's heads of each chart pushed in this round (first page only).
    pub acked: Vec<DocHeads>,
    /// Every change in these carries a valid signature of a device bound to
    /// its actor; a whole chart (snapshot) is vouched for by the hub.
    pub updates: Vec<DocUpdate>,
    /// Charts no longer shared with this device's organisation.
    pub removed: Vec<PatientId>,
    /// The shares the hub accepted with this page's request.
    pub shares_accepted: Vec<(PatientId, String)>,
}

/// What applying a page did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageApplied {
    /// Review items the merges recorded or brought.
    pub new_reviews: usize,
    /// The merges made changes of this device's own (review items) that
    /// the hub lacks.
    pub made_local_changes: bool,
}
