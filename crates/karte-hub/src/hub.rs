//! The hub as the HTTP layer sees it: a store, a clock and the settings that
//! bound what one request may cost.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use karte_sync::{Limits, ReplayGuard};
use karte_types::{PatientId, Timestamp};

use crate::photos::{HubPhotos, PhotoStore};
use crate::server::RequestGuard;
use crate::{Clock, HubStore};

/// Settings of a hub.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// The largest page a device may ask for; larger requests get this.
    pub max_page_bytes: u32,
    /// How many feed pages one response may read to fill the device's
    /// page size: snapshots are much smaller than the changes they hold.
    pub max_feed_reads: usize,
    /// How large a request may be, on the wire and inflated.
    pub limits: Limits,
    /// How far a request's send time may be from the hub's clock.
    pub replay: ReplayGuard,
    /// After how many changes beyond its cached snapshot a chart's snapshot
    /// is saved again.
    pub snapshot_refresh_after: usize,
    /// What a client may cost the hub before it is known: requests at
    /// once, request rates, and how long a request may take to arrive.
    pub guard: GuardConfig,
    /// What the slow hashes of unlock codes a device keeps cost (Argon2id):
    /// at least Argon2id's OWASP minimum, as vault passphrases; cheaper
    /// only in tests.
    pub unlock_code_cost: karte_sync::unlock_code::UnlockCodeCost,
}

/// Bounds on what clients may cost the hub, known or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardConfig {
    /// Requests served at once; a request beyond them is refused at once
    /// (503 `hub_busy`) rather than queued.
    pub max_concurrent_requests: usize,
    /// Requests from one client address, on every route. A clinic behind
    /// one NAT address shares it; a hub behind a proxy sees only the
    /// proxy's address.
    pub per_address: RateLimit,
    /// Sync requests of one device, counted once its signature is checked,
    /// so no one else can spend a device's share.
    pub per_device: RateLimit,
    /// Photo requests (`/v1/photos`), one piece of a photo each, counted
    /// apart from the other routes: per client address before anything
    /// else, and per device once its signature holds. A first sync of a
    /// thousand photos is a few thousand pieces in a row.
    pub photos_per_address: RateLimit,
    pub photos_per_device: RateLimit,
    /// How long a sync request may take to bring its envelope header,
    /// after its HTTP headers: nothing is known of the client until then.
    pub header_timeout: Duration,
    /// How long a sync request's whole body may take to arrive.
    pub body_timeout: Duration,
}

/// A request rate: up to `burst` at once, refilled at `per_minute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub burst: u32,
    pub per_minute: u32,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            max_concurrent_requests: 256,
            // A first sync of a thousand charts is a few dozen pages in a
            // row; a station of twenty tablets behind one address syncs
            // every few minutes each.
            per_address: RateLimit {
                burst: 600,
                per_minute: 600,
            },
            per_device: RateLimit {
                burst: 120,
                per_minute: 120,
            },
            // A piece a request: at 1 MiB pieces, about 60 MB a minute
            // for one tablet, twice that for a station's address.
            photos_per_address: RateLimit {
                burst: 2_400,
                per_minute: 2_400,
            },
            photos_per_device: RateLimit {
                burst: 1_200,
                per_minute: 1_200,
            },
            header_timeout: Duration::from_secs(20),
            // A 64 MiB push over a slow 3G link takes minutes.
            body_timeout: Duration::from_secs(600),
        }
    }
}

impl Default for HubConfig {
    fn default() -> Self {
        HubConfig {
            max_page_bytes: 8 << 20,
            max_feed_reads: 32,
            limits: Limits::PROTOCOL,
            replay: ReplayGuard::PROTOCOL,
            snapshot_refresh_after: 16,
            guard: GuardConfig::default(),
            unlock_code_cost: karte_sync::unlock_code::UnlockCodeCost {
                memory_kib: 19 * 1024,
                iterations: 2,
                parallelism: 1,
            },
        }
    }
}

impl HubConfig {
    /// How long a request nonce is remembered. A request is accepted while
    /// its send time is within the window of the hub's clock either way, so
    /// one sent a window ahead stays acceptable until a window after it
    /// arrived: its nonce must be kept for two windows.
    pub(crate) fn nonce_memory(&self) -> Duration {
        Duration::from_millis(u64::try_from(self.replay.window_ms).unwrap_or(0)) * 2
    }
}

/// A hub: cheap to clone, shared by every request.
pub struct Hub<S> {
    inner: Arc<Inner<S>>,
}

struct Inner<S> {
    store: S,
    clock: Box<dyn Clock>,
    config: HubConfig,
    arrivals: ArrivalQueue,
    guard: RequestGuard,
    /// Where photos are kept; `None`: this hub keeps none.
    photos: Option<Arc<HubPhotos>>,
    /// Photos shown to be named by a chart (chart, content hash): a chart's
    /// photo entries are never removed, so a pair once found stays true.
    named_photos: Mutex<HashSet<(PatientId, [u8; 32])>>,
}

/// The charts whose cached snapshot's arrival is still to be worked out,
/// first come first served, without repeats, by one background task at a
/// time.
#[derive(Debug, Default)]
pub(crate) struct ArrivalQueue {
    state: Mutex<QueueState>,
}

#[derive(Debug, Default)]
struct QueueState {
    waiting: VecDeque<PatientId>,
    queued: HashSet<PatientId>,
    /// A task is working through the queue.
    working: bool,
}

impl ArrivalQueue {
    /// Queues `doc`; `true` when no task is working and the caller must
    /// start one.
    pub(crate) fn push(&self, doc: PatientId) -> bool {
        let mut state = self.state.lock().expect("the queue lock is never poisoned");
        if state.queued.insert(doc.clone()) {
            state.waiting.push_back(doc);
        }
        !std::mem::replace(&mut state.working, true)
    }

    /// The next chart to work on; `None` when the queue is empty, and the
    /// task asking stops.
    pub(crate) fn next(&self) -> Option<PatientId> {
        let mut state = self.state.lock().expect("the queue lock is never poisoned");
        let next = state.waiting.pop_front();
        match &next {
            Some(doc) => {
                state.queued.remove(doc);
            }
            None => state.working = false,
        }
        next
    }

    /// The task working through the queue stopped before it ran empty:
    /// the next `push` starts another.
    pub(crate) fn abandoned(&self) {
        let mut state = self.state.lock().expect("the queue lock is never poisoned");
        state.working = false;
    }

    /// How many charts wait, counting the one being worked on.
    fn pending(&self) -> usize {
        let state = self.state.lock().expect("the queue lock is never poisoned");
        state.waiting.len() + usize::from(state.working)
    }
}

impl<S> Clone for Hub<S> {
    fn clone(&self) -> Self {
        Hub {
            inner: self.inner.clone(),
        }
    }
}

impl<S: std::fmt::Debug> std::fmt::Debug for Hub<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("store", &self.inner.store)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl<S: HubStore> Hub<S> {
    pub fn new(store: S, clock: impl Clock, config: HubConfig) -> Hub<S> {
        Hub {
            inner: Arc::new(Inner {
                store,
                clock: Box::new(clock),
                guard: RequestGuard::new(&config.guard),
                config,
                arrivals: ArrivalQueue::default(),
                photos: None,
                named_photos: Mutex::new(HashSet::new()),
            }),
        }
    }

    /// The hub keeps photos in `store` (sealed under the organisations'
    /// data keys). Call before the hub is served.
    pub fn with_photos(mut self, store: Arc<dyn PhotoStore>) -> Hub<S> {
        Arc::get_mut(&mut self.inner)
            .expect("photos are set before the hub is shared")
            .photos = Some(Arc::new(HubPhotos::new(store)));
        self
    }

    pub fn store(&self) -> &S {
        &self.inner.store
    }

    pub fn config(&self) -> &HubConfig {
        &self.inner.config
    }

    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// How many charts' arrivals the hub is still working out in the
    /// background: a device's first sync loads those charts itself.
    pub fn arrivals_pending(&self) -> usize {
        self.inner.arrivals.pending()
    }
}

impl<S> Hub<S> {
    pub(crate) fn arrivals(&self) -> &ArrivalQueue {
        &self.inner.arrivals
    }

    pub(crate) fn guard(&self) -> &RequestGuard {
        &self.inner.guard
    }

    pub(crate) fn photos(&self) -> Option<&HubPhotos> {
        self.inner.photos.as_deref()
    }

    /// Whether `chart` was shown to name the photo `hash` before.
    pub(crate) fn known_named(&self, chart: &PatientId, hash: &[u8; 32]) -> bool {
        let named = self.inner.named_photos.lock().expect("never poisoned");
        named.contains(&(chart.clone(), *hash))
    }

    /// Notes that `chart` names the photo `hash`; the memory is bounded
    /// (forgotten whole when full, then found again from the charts).
    pub(crate) fn note_named(&self, chart: &PatientId, hash: &[u8; 32]) {
        let mut named = self.inner.named_photos.lock().expect("never poisoned");
        if named.len() >= 100_000 {
            named.clear();
        }
        named.insert((chart.clone(), *hash));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arrival_queue_starts_one_task_and_takes_each_chart_once() {
        let queue = ArrivalQueue::default();
        assert!(queue.push("P1".into()), "the first push starts a task");
        assert!(!queue.push("P2".into()));
        assert!(!queue.push("P1".into()), "queued already");
        assert_eq!(queue.pending(), 3, "two waiting, one task");
        assert_eq!(queue.next(), Some("P1".into()));
        assert!(
            !queue.push("P1".into()),
            "queued again while the task works"
        );
        assert_eq!(queue.next(), Some("P2".into()));
        assert_eq!(queue.next(), Some("P1".into()));
        assert_eq!(queue.next(), None, "the task stops");
        assert_eq!(queue.pending(), 0);
        assert!(queue.push("P3".into()), "the next push starts a new task");
        queue.abandoned();
        assert!(queue.push("P4".into()), "a task dropped midway is replaced");
        assert_eq!(queue.pending(), 3);
    }
}
