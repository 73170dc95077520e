//! 近くの端末 / Nearby devices, as the app offers them: devices of the
//! organisation found by multicast DNS, an exchange with one of them (by
//! the name it advertises or a typed address), and this device made
//! reachable.
//!
//! Listening is the app's, not a session's: a background thread owns the
//! listener (and the advert, renewed when the UTC day turns) and waits for
//! a device to dial, half a second at a time, with the app's state
//! unlocked. Anyone on the network can dial, so a device that dialled
//! must first finish the TLS handshake and say a hello proving it a member
//! of the organisation (within [`karte_peer::HELLO_WAIT`]), all checked
//! against a copy of this device's trust taken when listening started
//! (read again every [`TRUST_READ_AGAIN`]) without the state's mutex. Only
//! then does it take the mutex, and it is served on the unlocked session,
//! like a hub sync in the background (not counted as the user's activity),
//! for at most [`crate::PEER_SESSION_LIMIT`]. A device that dials and
//! says nothing, or is no member, never holds up the user's calls.
//! Locking the vault (by hand, by the auto-lock, by a wipe order, by
//! another user's unlock) stops the thread: it looks before every session
//! and never serves a locked vault, and the thread ends within the half
//! second, closing the port and withdrawing the advert.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use karte_peer::{Found, PeerListener};
use karte_sync::peer::PeerTrust;
use karte_types::{NearbyDevice, NearbyExchange, NearbyState, Problem, Timestamp};

use crate::app::{AppState, lock_state};
use crate::session::nearby_exchange;
use crate::{AdvertisedDay, ApiError, App, Permission};

/// The port a device listens on when it can: the same on every device, so
/// an address typed by hand is short. Another free one when it is taken.
pub const NEARBY_PORT: u16 = 47_080;

/// How long a listening thread waits for a device before it looks whether
/// to stop or to advertise anew.
const LOOK_AGAIN: Duration = Duration::from_millis(500);

/// How often the listening thread reads this device's trust again (a
/// revocation list or a cert the hub sent meanwhile).
const TRUST_READ_AGAIN: Duration = Duration::from_secs(60);

/// How long discovery listens when not told.
const DEFAULT_WAIT_MS: u32 = 3_000;
const MAX_WAIT_MS: u32 = 15_000;

/// The listening thread as the app's state holds it.
pub(crate) struct Listening {
    stop: Arc<AtomicBool>,
    addresses: Vec<String>,
    advertised: Arc<AtomicBool>,
}

impl Listening {
    /// Tells the thread to stop; it ends within [`LOOK_AGAIN`].
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// What the app keeps of nearby devices while it runs.
#[derive(Default)]
pub(crate) struct Nearby {
    pub(crate) listening: Option<Listening>,
    /// The devices found by the last look, by the name they advertise.
    found: Vec<Found>,
    /// Why the last session served failed, if it did. Behind its own
    /// mutex: the listening thread keeps a refusal here without the app's
    /// state.
    last_error: LastError,
}

type LastError = Arc<Mutex<Option<Problem>>>;

fn keep(last_error: &LastError, problem: Option<Problem>) {
    *last_error
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = problem;
}

impl App {
    /// The devices of this organisation listening nearby, heard within
    /// `wait_ms` (3 s if not given, at most 15 s). The app's state is not
    /// held while it listens.
    pub fn nearby_devices(&self, wait_ms: &Option<u32>) -> Result<Vec<NearbyDevice>, ApiError> {
        let tags = self.with_session(|session| {
            session.require(Permission::Export)?;
            session.peer_group_tags()
        })?;
        let wait = wait_ms.unwrap_or(DEFAULT_WAIT_MS).min(MAX_WAIT_MS);
        let found = karte_peer::browse(Duration::from_millis(u64::from(wait)), &tags)?;
        let devices = found
            .iter()
            .map(|device| NearbyDevice {
                name: device.name.clone(),
                addresses: device.addresses.iter().map(ToString::to_string).collect(),
            })
            .collect();
        self.state().nearby.found = found;
        Ok(devices)
    }

    /// Exchanges charts with a nearby device: `peer` is the name it was
    /// found under by [`App::nearby_devices`], or an address (`host:port`;
    /// the port is [`NEARBY_PORT`] if left out). Answers with what moved.
    pub fn nearby_sync(&self, peer: &str) -> Result<NearbyExchange, ApiError> {
        let peer = peer.trim();
        self.with_session(|session| session.require(Permission::Export))?;
        let found = self
            .state()
            .nearby
            .found
            .iter()
            .find(|device| device.name == peer)
            .map(|device| device.addresses.clone());
        let addresses: Vec<String> = match found {
            Some(addresses) => addresses.iter().map(ToString::to_string).collect(),
            None => vec![with_port(peer)?],
        };
        self.with_session(|session| {
            let mut last = None;
            for address in &addresses {
                match session.peer_sync(address, |_| {}) {
                    Ok(summary) => return Ok(nearby_exchange(&summary, session.now(), true)),
                    // Another address of the device may answer.
                    Err(
                        error @ ApiError::Peer(karte_sync::peer::PeerError::Unreachable { .. }),
                    ) => {
                        last = Some(error);
                    }
                    Err(error) => return Err(error),
                }
            }
            Err(last.unwrap_or_else(|| ApiError::Invalid(invalid_peer())))
        })
    }

    /// Makes this device reachable by nearby devices (`on`), or not.
    /// Listening starts on every interface at [`NEARBY_PORT`] (or another
    /// free port), advertised by multicast DNS; it stops when the vault
    /// locks.
    pub fn nearby_listen(&self, on: &bool) -> Result<NearbyState, ApiError> {
        if *on {
            self.start_listening("0.0.0.0", true)?;
        } else if let Some(listening) = self.state().nearby.listening.take() {
            listening.stop();
        }
        self.nearby_state()
    }

    /// Whether this device is reachable, where, and the last exchange with
    /// each device.
    pub fn nearby_state(&self) -> Result<NearbyState, ApiError> {
        self.in_background(|state| {
            let session = state.session.as_ref().expect("checked unlocked");
            let exchanges = session.peer_exchanges()?;
            let listening = state.nearby.listening.as_ref();
            Ok(NearbyState {
                listening: listening.is_some(),
                addresses: listening.map(|l| l.addresses.clone()).unwrap_or_default(),
                advertised: listening.is_some_and(|l| l.advertised.load(Ordering::SeqCst)),
                last_error: state
                    .nearby
                    .last_error
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .clone(),
                exchanges,
            })
        })
    }

    /// Starts listening on `host` (at [`NEARBY_PORT`], or another free
    /// port if it is taken), advertised when `advertise`; answers with the
    /// address listened on. Listening already, it answers with that.
    pub fn start_listening(&self, host: &str, advertise: bool) -> Result<String, ApiError> {
        let mut guard = self.state();
        let state = &mut *guard;
        state.lock_if_idle();
        let session = state.session.as_mut().ok_or(ApiError::Locked)?;
        session.require(Permission::Export)?;
        let now = session.now();
        state.last_activity = Some(now);
        if let Some(listening) = &state.nearby.listening {
            return Ok(listening.addresses.first().cloned().unwrap_or_default());
        }
        let listener = match session.peer_listen(&format!("{host}:{NEARBY_PORT}")) {
            Ok(listener) => listener,
            Err(_) => session.peer_listen(&format!("{host}:0"))?,
        };
        let screen = Screen::read(session)?;
        let bound = listener.local_addr()?;
        let addresses: Vec<String> = if bound.ip().is_unspecified() {
            karte_peer::local_addresses(bound.port())
                .iter()
                .map(ToString::to_string)
                .collect()
        } else {
            vec![bound.to_string()]
        };
        // The first advert is made here, so the state answered next says
        // whether it is up; the thread renews it when the day turns.
        let advertise = advertise && !bound.ip().is_loopback();
        let mut day = AdvertisedDay::default();
        let advert = match day.turn(now) {
            Some(today) if advertise => session
                .peer_group_tag(today)
                .ok()
                .and_then(|tag| karte_peer::advertise(bound.port(), &tag).ok()),
            _ => None,
        };
        let listening = Listening {
            stop: Arc::new(AtomicBool::new(false)),
            addresses: addresses.clone(),
            advertised: Arc::new(AtomicBool::new(advert.is_some())),
        };
        let thread = ListeningThread {
            state: Arc::downgrade(&self.state),
            listener,
            stop: listening.stop.clone(),
            advertised: listening.advertised.clone(),
            advertise,
            last_error: state.nearby.last_error.clone(),
        };
        std::thread::Builder::new()
            .name("karte-nearby".to_owned())
            .spawn(move || thread.run(day, advert, screen))
            .map_err(|error| {
                ApiError::Peer(karte_sync::peer::PeerError::Unreachable {
                    detail: format!("cannot listen: {error}"),
                })
            })?;
        state.nearby.listening = Some(listening);
        keep(&state.nearby.last_error, None);
        Ok(addresses
            .first()
            .cloned()
            .unwrap_or_else(|| bound.to_string()))
    }
}

/// An address as typed, with the usual port added when left out.
fn with_port(typed: &str) -> Result<String, ApiError> {
    if typed.is_empty() || typed.chars().any(char::is_whitespace) {
        return Err(ApiError::Invalid(invalid_peer()));
    }
    if typed.parse::<std::net::SocketAddr>().is_ok()
        || typed.rsplit_once(':').is_some_and(|(host, port)| {
            !host.is_empty() && !host.contains(':') && port.parse::<u16>().is_ok()
        })
    {
        Ok(typed.to_owned())
    } else {
        Ok(format!("{typed}:{NEARBY_PORT}"))
    }
}

fn invalid_peer() -> karte_types::ValidationErrors {
    karte_types::ValidationErrors(vec![karte_types::ValidationError::new(
        "peer",
        "not_an_address",
        "give a device found nearby or an address such as 192.168.1.20:47080",
    )])
}

/// What the listening thread checks a dialler's hello against without
/// the app's state: this device's trust, and the session's clock as read
/// with it, moved on by the time passed since.
struct Screen {
    trusts: Vec<PeerTrust>,
    now: Timestamp,
    read_at: Instant,
}

impl Screen {
    fn read(session: &crate::Session) -> Result<Screen, ApiError> {
        Ok(Screen {
            trusts: session.peer_trusts()?,
            now: session.now(),
            read_at: Instant::now(),
        })
    }

    fn now_ms(&self) -> i64 {
        let passed = i64::try_from(self.read_at.elapsed().as_millis()).unwrap_or(i64::MAX);
        self.now.0.saturating_add(passed)
    }

    fn stale(&self) -> bool {
        self.read_at.elapsed() >= TRUST_READ_AGAIN
    }

    /// Reads the trust again from `session`; the copy held stays if that
    /// fails (it is read again at the next look).
    fn refresh(&mut self, session: &crate::Session) {
        match Screen::read(session) {
            Ok(fresh) => *self = fresh,
            Err(error) => tracing::info!("this device's trust could not be read again: {error}"),
        }
    }
}

/// The listening thread's own.
struct ListeningThread {
    state: Weak<Mutex<AppState>>,
    listener: PeerListener,
    stop: Arc<AtomicBool>,
    advertised: Arc<AtomicBool>,
    advertise: bool,
    last_error: LastError,
}

impl ListeningThread {
    fn run(
        self,
        mut day: AdvertisedDay,
        mut advert: Option<karte_peer::Advert>,
        mut screen: Screen,
    ) {
        let port = self.listener.local_addr().map(|a| a.port()).unwrap_or(0);
        while !self.stop.load(Ordering::SeqCst) {
            if self.advertise || screen.stale() {
                match self.look(&mut day, &mut screen) {
                    Turn::Stop => return,
                    Turn::Stands => {}
                    Turn::Anew(tag) => {
                        // The old advert goes before the new one comes.
                        drop(advert.take());
                        advert = tag.and_then(|tag| karte_peer::advertise(port, &tag).ok());
                        self.advertised.store(advert.is_some(), Ordering::SeqCst);
                    }
                }
            }
            match self.listener.accept_within(LOOK_AGAIN) {
                Ok(None) => {}
                Ok(Some(mut link)) => {
                    // Still without the app's state: the dialler's hello,
                    // within the link's hello deadline, and its membership.
                    let now_ms = screen.now_ms();
                    match karte_sync::peer::screen_hello_among(&mut link, &screen.trusts, now_ms) {
                        Ok(screened) => {
                            if !self.serve(link, screened, &mut screen) {
                                return;
                            }
                        }
                        Err(error) => {
                            tracing::info!("a nearby device was not served: {error}");
                            self.keep_error(&ApiError::Peer(error));
                        }
                    }
                }
                // A connection that failed its handshake: that one only.
                Err(error) => self.keep_error(&ApiError::Peer(error)),
            }
        }
        drop(advert);
    }

    /// Under the app's state, briefly: whether to stop (the vault locked),
    /// the advert's tag if the day turned, and the trust read again when
    /// due.
    fn look(&self, day: &mut AdvertisedDay, screen: &mut Screen) -> Turn {
        let Some(shared) = self.state.upgrade() else {
            return Turn::Stop;
        };
        let mut state = lock_state(&shared);
        state.lock_if_idle();
        if self.stop.load(Ordering::SeqCst) {
            return Turn::Stop;
        }
        let Some(session) = state.session.as_ref() else {
            return Turn::Stop;
        };
        if screen.stale() {
            screen.refresh(session);
        }
        if !self.advertise {
            return Turn::Stands;
        }
        match day.turn(session.now()) {
            Some(day) => Turn::Anew(session.peer_group_tag(day).ok()),
            None => Turn::Stands,
        }
    }

    /// Serves the member whose hello was screened on `link` if the vault
    /// is unlocked and listening was not stopped; says whether to go on
    /// listening.
    fn serve(
        &self,
        link: karte_peer::ServedLink,
        screened: karte_sync::peer::ScreenedHello,
        screen: &mut Screen,
    ) -> bool {
        let Some(shared) = self.state.upgrade() else {
            return false;
        };
        let mut state = lock_state(&shared);
        state.lock_if_idle();
        if self.stop.load(Ordering::SeqCst) {
            return false;
        }
        let Some(session) = state.session.as_mut() else {
            return false;
        };
        match session.peer_serve_screened(link, screened, |_| {}) {
            Ok(_) => keep(&self.last_error, None),
            Err(error) => {
                tracing::info!("a nearby device's session failed: {error}");
                keep(&self.last_error, Some(Problem::from(&error)));
            }
        }
        // The session may have brought newer revocation lists.
        screen.refresh(session);
        true
    }

    fn keep_error(&self, error: &ApiError) {
        keep(&self.last_error, Some(Problem::from(error)));
    }
}

enum Turn {
    Stop,
    Stands,
    Anew(Option<String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typed_address_gets_the_usual_port_when_it_has_none() {
        assert_eq!(with_port("192.168.1.20").unwrap(), "192.168.1.20:47080");
        assert_eq!(with_port("192.168.1.20:5000").unwrap(), "192.168.1.20:5000");
        assert_eq!(with_port("tablet.local").unwrap(), "tablet.local:47080");
        assert_eq!(with_port("[::1]:5000").unwrap(), "[::1]:5000");
        assert!(with_port("").is_err());
        assert!(with_port("two words").is_err());
    }
}
