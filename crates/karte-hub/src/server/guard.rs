//! What a client may cost the hub: requests at once, and request rates per
//! client address and per device (governor's GCRA, keyed). A refusal is a
//! JSON problem with `Retry-After`: 429 `rate_limited`, or 503 `hub_busy`
//! when every slot is taken.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use karte_types::DeviceId;

use crate::server::problem::Problem;
use crate::{GuardConfig, Hub, HubStore, RateLimit};

/// How many keys a limiter holds before it forgets the ones whose rate is
/// back to full; an address or device that comes back starts afresh, which
/// is what it would have anyway.
const FORGET_ABOVE: usize = 10_000;

/// The hub's rate limiters, shared by every request.
pub(crate) struct RequestGuard {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    per_device: DefaultKeyedRateLimiter<DeviceId>,
    photos_per_address: DefaultKeyedRateLimiter<IpAddr>,
    photos_per_device: DefaultKeyedRateLimiter<DeviceId>,
    clock: DefaultClock,
}

impl std::fmt::Debug for RequestGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestGuard").finish_non_exhaustive()
    }
}

impl RequestGuard {
    pub(crate) fn new(config: &GuardConfig) -> RequestGuard {
        RequestGuard {
            per_address: RateLimiter::keyed(quota(config.per_address)),
            per_device: RateLimiter::keyed(quota(config.per_device)),
            photos_per_address: RateLimiter::keyed(quota(config.photos_per_address)),
            photos_per_device: RateLimiter::keyed(quota(config.photos_per_device)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts a request from `address`.
    pub(crate) fn check_address(&self, address: IpAddr) -> Result<(), Problem> {
        check(
            &self.per_address,
            &self.clock,
            &address,
            "from this address",
        )
    }

    /// Counts a photo request from `address`.
    pub(crate) fn check_address_photos(&self, address: IpAddr) -> Result<(), Problem> {
        check(
            &self.photos_per_address,
            &self.clock,
            &address,
            "from this address for photos",
        )
    }

    /// Counts a photo request of `device`, whose signature holds.
    pub(crate) fn check_device_photos(&self, device: &DeviceId) -> Result<(), Problem> {
        check(
            &self.photos_per_device,
            &self.clock,
            device,
            "of this device for photos",
        )
    }

    /// Counts a sync request of `device`, whose signature holds.
    pub(crate) fn check_device(&self, device: &DeviceId) -> Result<(), Problem> {
        check(&self.per_device, &self.clock, device, "of this device")
    }
}

fn quota(limit: RateLimit) -> Quota {
    let per_minute = NonZeroU32::new(limit.per_minute).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(limit.burst).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(per_minute).allow_burst(burst)
}

fn check<K: Clone + Eq + std::hash::Hash>(
    limiter: &DefaultKeyedRateLimiter<K>,
    clock: &DefaultClock,
    key: &K,
    whose: &str,
) -> Result<(), Problem> {
    if limiter.len() > FORGET_ABOVE {
        limiter.retain_recent();
    }
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(clock.now());
        rate_limited(whose, wait)
    })
}

fn rate_limited(whose: &str, wait: Duration) -> Problem {
    // Whole seconds, rounded up: a client that waits as long as told is let in.
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Problem::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!(
            "too many requests {whose}: the hub takes more in {seconds} s; sync again then (the app does so by itself)"
        ),
    )
    .retry_after(seconds.max(1))
}

/// The per-address limit, in front of every route. A request whose peer
/// address is not known (a router served without connection info) is not
/// counted.
pub(super) async fn limit_address<S: HubStore>(
    State(hub): State<Hub<S>>,
    request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    // Photo pieces come by the thousand in a first sync: they are counted
    // apart, so they neither run out a station's sync requests nor are
    // held to their rate.
    let photos = request.uri().path() == "/v1/photos";
    if let Some(ip) = peer
        && let Err(problem) = if photos {
            hub.guard().check_address_photos(ip)
        } else {
            hub.guard().check_address(ip)
        }
    {
        tracing::warn!(
            code = problem.code,
            "request refused: its address is over its rate"
        );
        return problem.into_response();
    }
    next.run(request).await
}

/// Every slot taken: the request is refused rather than queued.
pub(super) async fn busy(_: tower::BoxError) -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "hub_busy",
        "the hub is serving as many requests as it can: sync again in a moment (the app does so by itself)",
    )
    .retry_after(1)
}
