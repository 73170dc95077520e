//! Cutting the feed into pages, the same way for both backends, and where a
//! writer takes feed positions from.
//!
//! The rules (`crate::rules`) read, inside one read transaction, the highest
//! committed position (`head`) and then the entries its reader may see in
//! `(after, head]`, in position order, offering each entry's size to a
//! `PagePlan`. Because positions are allocated under the lock that orders
//! commits, every position at or below `head` is committed when `head` is
//! read; so when the reader has been given every visible entry up to `head`,
//! its cursor may jump to `head`, over other organisations' entries.

/// How many entries or charts are read per round while planning a page.
pub(crate) const PLAN_BATCH: i64 = 512;

/// What an entry costs in a page beyond its change bytes and signature: the
/// chart id, hash, signer and framing, roughly.
const ENTRY_OVERHEAD: usize = 96;

/// The size an entry counts for in a page.
pub(crate) fn entry_size(change_and_signature_bytes: usize) -> usize {
    change_and_signature_bytes + ENTRY_OVERHEAD
}

/// The running decision of where a page ends.
#[derive(Debug)]
pub(crate) struct PagePlan {
    max_bytes: usize,
    used: usize,
    last_taken: Option<u64>,
    full: bool,
}

impl PagePlan {
    pub(crate) fn new(max_bytes: usize) -> PagePlan {
        PagePlan {
            max_bytes,
            used: 0,
            last_taken: None,
            full: false,
        }
    }

    /// Offers the next visible entry; `false` once the page is full, after
    /// which the reader stops offering. The first entry is always taken, so
    /// a change larger than the page size still goes through, whole.
    pub(crate) fn offer(&mut self, position: u64, size: usize) -> bool {
        if self.full {
            return false;
        }
        if self.last_taken.is_some() && self.used.saturating_add(size) > self.max_bytes {
            self.full = true;
            return false;
        }
        self.used = self.used.saturating_add(size);
        self.last_taken = Some(position);
        true
    }

    /// The last position the page includes and whether more follow, given
    /// the `head` the plan was made under.
    pub(crate) fn finish(&self, head: u64) -> (u64, bool) {
        match (self.full, self.last_taken) {
            (true, Some(last)) => (last, true),
            _ => (head, false),
        }
    }
}

/// What a chart whose snapshot is not yet cached is guessed to cost in a
/// first sync's page: a chart of a year or two of visits.
const UNCACHED_CHART_GUESS: usize = 16 << 10;

/// The running decision of how many of a first sync's charts, read in id
/// order in batches of [`PLAN_BATCH`], go in a page of about `max_bytes`:
/// at least one, so every page moves on.
#[derive(Debug)]
pub(crate) struct WholePlan {
    max_bytes: usize,
    used: usize,
    taken: usize,
}

impl WholePlan {
    pub(crate) fn new(max_bytes: usize) -> WholePlan {
        WholePlan {
            max_bytes,
            used: 0,
            taken: 0,
        }
    }

    /// Offers the next batch's cached snapshot sizes (`None`: not cached).
    /// Once the page is planned, returns how many charts of all offered it
    /// takes and whether more follow; `None` asks for the next batch.
    pub(crate) fn offer(
        &mut self,
        sizes: impl ExactSizeIterator<Item = Option<i64>>,
    ) -> Option<(usize, bool)> {
        let exhausted = sizes.len() < PLAN_BATCH as usize;
        for size in sizes {
            let size = size
                .and_then(|size| usize::try_from(size).ok())
                .unwrap_or(UNCACHED_CHART_GUESS)
                + ENTRY_OVERHEAD;
            if self.taken > 0 && self.used.saturating_add(size) > self.max_bytes {
                return Some((self.taken, true));
            }
            self.used = self.used.saturating_add(size);
            self.taken += 1;
        }
        exhausted.then_some((self.taken, false))
    }
}

/// Where a writer takes feed positions from.
#[derive(Debug)]
pub(crate) enum Positions {
    /// One past the highest committed position, counting up: right only
    /// under the lock that orders commits, which no other writer can take
    /// until this one has committed.
    Counting { next: u64, allocated: Vec<u64> },
    /// Positions reserved outside that lock, as a database sequence hands
    /// them out: the naive way, kept for the test that shows it loses changes.
    #[cfg(feature = "test-hooks")]
    Reserved {
        left: std::vec::IntoIter<u64>,
        allocated: Vec<u64>,
    },
}

impl Positions {
    /// Positions after the committed `head`.
    pub(crate) fn after(head: u64) -> Positions {
        Positions::Counting {
            next: head + 1,
            allocated: Vec::new(),
        }
    }

    #[cfg(feature = "test-hooks")]
    pub(crate) fn reserved(positions: Vec<u64>) -> Positions {
        Positions::Reserved {
            left: positions.into_iter(),
            allocated: Vec::new(),
        }
    }

    pub(crate) fn take(&mut self) -> u64 {
        match self {
            Positions::Counting { next, allocated } => {
                let position = *next;
                *next += 1;
                allocated.push(position);
                position
            }
            #[cfg(feature = "test-hooks")]
            Positions::Reserved { left, allocated } => {
                let position = left.next().expect("one position is reserved per change");
                allocated.push(position);
                position
            }
        }
    }

    /// The positions handed out so far.
    pub(crate) fn allocated(&self) -> &[u64] {
        match self {
            Positions::Counting { allocated, .. } => allocated,
            #[cfg(feature = "test-hooks")]
            Positions::Reserved { allocated, .. } => allocated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_up_from_the_head() {
        let mut positions = Positions::after(41);
        assert_eq!((positions.take(), positions.take()), (42, 43));
        assert_eq!(positions.allocated(), &[42, 43]);
    }

    #[test]
    fn a_page_ends_before_the_entry_that_overflows_it() {
        let mut plan = PagePlan::new(250);
        assert!(plan.offer(3, 100));
        assert!(plan.offer(7, 100));
        assert!(!plan.offer(9, 100));
        assert!(!plan.offer(12, 1));
        assert_eq!(plan.finish(20), (7, true));
    }

    #[test]
    fn an_oversized_first_entry_is_taken_whole() {
        let mut plan = PagePlan::new(10);
        assert!(plan.offer(5, 1_000));
        assert!(!plan.offer(6, 1));
        assert_eq!(plan.finish(9), (5, true));
    }

    #[test]
    fn a_first_sync_page_takes_charts_until_the_next_overflows_it() {
        let sizes = [Some(1_000), Some(1_000), None, Some(10)];
        let plan = |max_bytes| WholePlan::new(max_bytes).offer(sizes.into_iter());
        assert_eq!(plan(2_500), Some((2, true)));
        assert_eq!(plan(100), Some((1, true)), "at least one");
        assert_eq!(plan(1 << 20), Some((4, false)), "a short batch is the last");
        assert_eq!(WholePlan::new(100).offer([].into_iter()), Some((0, false)));
        // A full batch that fits asks for the next; the count runs on.
        let mut plan = WholePlan::new(1 << 30);
        let full = vec![Some(10); PLAN_BATCH as usize];
        assert_eq!(plan.offer(full.into_iter()), None);
        assert_eq!(plan.offer([Some(10)].into_iter()), Some((513, false)));
    }

    #[test]
    fn a_page_that_holds_everything_jumps_to_the_head() {
        let mut plan = PagePlan::new(1_000);
        assert!(plan.offer(2, 100));
        assert_eq!(plan.finish(40), (40, false));
        assert_eq!(PagePlan::new(1).finish(40), (40, false));
    }
}
