//! The device's side of a sync as the session logic sees it: where it is in
//! the hub's feed, what it has to push, and a place that makes each
//! received page durable. The application implements it over its vault and
//! charts; tests implement it in memory.

use karte_types::PatientId;

use crate::SyncError;
use crate::client::summary::QuarantineNote;
use crate::client::verify::RefusedUpdate;
use crate::wire::{
    AuditHeadReport, AuditRecordWire, ChangeSignature, DocHeads, DocUpdate, QuarantineReport,
    TrustState, TrustUpdate,
};

/// A device's charts and sync state.
pub trait Replica {
    /// The replica's own errors; sync errors become them too, so a caller
    /// sees one error type.
    type Error: From<SyncError>;

    /// Where in the hub's feed everything is durable here.
    fn cursor(&self) -> Result<FeedCursor, Self::Error>;

    /// The head of the device's audit chain, reported to the hub.
    fn audit_head(&self) -> Option<AuditHeadReport>;

    /// The audit entries the hub has not acknowledged, oldest first, after
    /// the last it did (number and hash), at most a request's worth; `None`
    /// when there are none.
    fn audit_outgoing(&mut self) -> Result<Option<AuditOutgoing>, Self::Error>;

    /// What this device has that the hub lacks: its own changes to every
    /// chart changed since the hub last acknowledged it, and the shares it
    /// asks for.
    fn outgoing(&mut self) -> Result<Outgoing, Self::Error>;

    /// Makes one page durable: the acknowledgements, the updates (whose
    /// signatures have been checked), the removals and the new cursor, all
    /// at once; the cursor must never be durable before the data is. An
    /// update the replica cannot apply, or one refused by the checks
    /// (`refused`), quarantines its chart: kept aside with the reason,
    /// while the rest of the page is applied and the cursor moves.
    fn apply_page(&mut self, page: ReceivedPage) -> Result<PageApplied, Self::Error>;

    /// Destroys everything the device holds, on the hub's order.
    fn wipe(&mut self) -> Result<(), Self::Error>;

    /// The identity of the hub's feed this replica last synced with
    /// ([`crate::SyncResponse::feed_id`]); `None` if it keeps none.
    fn feed_id(&self) -> Result<Option<[u8; 16]>, Self::Error> {
        Ok(None)
    }

    /// The hub's feed is another than the one this replica synced with
    /// (the hub was restored from a backup): forget the cursor, the feed's
    /// identity and what the hub was known to hold, and push, chart by
    /// chart, every change the hub lacks on the next round, others' with
    /// the signatures kept. The default keeps nothing, so there is nothing
    /// to forget.
    fn start_over(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }

    /// What the replica holds of its organisation's trust (list sequence,
    /// cert, bundle key), reported with the first request of a round;
    /// `None` (the default) keeps no trust store and is sent none.
    fn trust_state(&mut self) -> Result<Option<TrustState>, Self::Error> {
        Ok(None)
    }

    /// Keeps what the hub sent of the organisation's trust (a newer list,
    /// a renewed cert), once checked against the anchor the replica holds.
    fn apply_trust(&mut self, _update: TrustUpdate) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// Where a device is in the hub's feed: a position up to which it has
/// everything, and during a first sync the last chart it has of those sent
/// whole (see [`crate::SyncResponse::resume_after`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedCursor {
    pub position: u64,
    pub resume_after: Option<PatientId>,
}

impl FeedCursor {
    /// Whether `next` is further on than `self`: a later position, or at
    /// the same position a later chart of a first sync, or that first
    /// sync's end.
    pub fn advanced_to(&self, next: &FeedCursor) -> bool {
        if next.position != self.position {
            return next.position > self.position;
        }
        match (&self.resume_after, &next.resume_after) {
            (Some(was), Some(now)) => now > was,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }
}

/// Audit entries to hand the hub: see [`crate::AuditUpload`], which they
/// become once signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditOutgoing {
    pub after: AuditHeadReport,
    pub entries: Vec<AuditRecordWire>,
}

/// What a device sends in the first request of a round.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outgoing {
    pub charts: Vec<OutgoingChart>,
    /// (chart, organisation id) pairs to add to care circles.
    pub shares: Vec<(PatientId, String)>,
    /// (chart, organisation id) pairs to remove from care circles.
    pub unshares: Vec<(PatientId, String)>,
    /// The charts kept in quarantine, when the hub has not been told the
    /// list as it is now (see [`crate::SyncRequest::quarantined`]).
    pub quarantined: Option<Vec<QuarantineReport>>,
}

/// One chart's changes that the hub lacks, in causal order, or the chart
/// whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingChart {
    pub doc: PatientId,
    pub changes: Vec<OutgoingChange>,
    /// The chart saved whole, for a chart the hub does not hold yet whose
    /// changes are all this device's own: sent in place of `changes`, with
    /// the signatures of its tips ([`crate::cover`]) made at push time.
    pub whole: Option<OutgoingWhole>,
}

/// A chart to push whole: its saved bytes, this device's own tips and the
/// kept signatures of other authors' tips whose changes it hands on (a
/// chart that came by a carried bundle, say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingWhole {
    pub saved: Vec<u8>,
    /// The hashes of the chart's tips of this device's own, to sign.
    pub tips: Vec<[u8; 32]>,
    /// Other authors' tips, with the signatures their authors made.
    pub relayed: Vec<ChangeSignature>,
}

/// One raw Automerge change to push, and its author's signature when the
/// replica keeps one: a change of another device goes with the signature
/// its author made, one of this device's own may be signed at push time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingChange {
    pub bytes: Vec<u8>,
    /// `None`: a change of this device's own, to be signed now.
    pub signature: Option<ChangeSignature>,
}

impl OutgoingChange {
    /// A change of this device's own, to be signed when pushed.
    pub fn own(bytes: Vec<u8>) -> OutgoingChange {
        OutgoingChange {
            bytes,
            signature: None,
        }
    }
}

/// One page of the hub's answer, checked.
#[derive(Debug)]
pub struct ReceivedPage {
    /// The cursor to store once this page is durable.
    pub cursor: FeedCursor,
    /// The hub's heads of each chart pushed in this round (first page only).
    pub acked: Vec<DocHeads>,
    /// Every change in these carries a valid signature of a device bound to
    /// its actor; a whole chart (snapshot) is vouched for by the hub.
    pub updates: Vec<DocUpdate>,
    /// Charts no longer shared with this device's organisation.
    pub removed: Vec<PatientId>,
    /// The shares the hub took with this page's request: accepted, or
    /// waiting for the receiving organisation's approval (also listed in
    /// `shares_pending`). Either way the device has nothing more to send.
    pub shares_accepted: Vec<(PatientId, String)>,
    /// Those of `shares_accepted` that wait for approval.
    pub shares_pending: Vec<(PatientId, String)>,
    /// The unshares the hub applied with this page's request.
    pub unshares_accepted: Vec<(PatientId, String)>,
    /// Updates that failed the signature checks: their charts are to be
    /// quarantined.
    pub refused: Vec<RefusedUpdate>,
    /// This page answers a request that told the hub the quarantine list.
    pub quarantine_reported: bool,
    /// The hub now holds the audit log up to this entry (its number).
    pub audit_acked: Option<u64>,
    /// The signature, with its author, of every change the request this
    /// page answers pushed, per chart: the replica keeps them beside its
    /// changes.
    pub pushed: Vec<(PatientId, Vec<ChangeSignature>)>,
    /// The identity of the hub's feed, to keep with the cursor.
    pub feed_id: Option<[u8; 16]>,
}

/// What applying a page did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageApplied {
    /// Charts this page put in quarantine.
    pub quarantined: Vec<QuarantineNote>,
    /// Charts this page took out of quarantine: a later update applied.
    pub lifted: usize,
    /// Review items the merges recorded or brought.
    pub new_reviews: usize,
    /// The merges made changes of this device's own (review items) that
    /// the hub lacks.
    pub made_local_changes: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(position: u64, resume_after: Option<&str>) -> FeedCursor {
        FeedCursor {
            position,
            resume_after: resume_after.map(PatientId::from),
        }
    }

    #[test]
    fn a_cursor_advances_by_position_then_by_chart_then_by_ending_a_first_sync() {
        assert!(at(0, None).advanced_to(&at(40, Some("P1"))));
        assert!(at(40, Some("P1")).advanced_to(&at(40, Some("P2"))));
        assert!(at(40, Some("P2")).advanced_to(&at(40, None)));
        assert!(at(40, None).advanced_to(&at(41, None)));
        assert!(!at(40, Some("P2")).advanced_to(&at(40, Some("P2"))));
        assert!(!at(40, Some("P2")).advanced_to(&at(40, Some("P1"))));
        assert!(!at(40, None).advanced_to(&at(40, Some("P9"))));
        assert!(!at(40, None).advanced_to(&at(39, None)));
    }
}
