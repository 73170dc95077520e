//! What every front of the app holds: the vault it serves, at most one
//! unlocked [`Session`], the auto-lock clock, and why the last sync failed
//! (when it last succeeded the vault keeps).
//!
//! The Tauri shell and the local HTTP bridge both keep one [`App`] and call
//! it from their blocking thread pools; the session sits behind a mutex, so
//! calls run one at a time. Every call the user makes counts as activity;
//! after the auto-lock time without any, the next call or the fronts' timer
//! ([`App::lock_if_idle`]) locks the vault and drops its key and charts.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use karte_store::Vault;
use karte_types::{
    AppUser, Credentials, EnrolRequest, EnrolmentView, Locked, Problem, SessionState, Settings,
    SyncReport, SyncState, Timestamp,
};

use crate::nearby::Nearby;
use crate::{ApiError, Enrolment, Environment, KdfParams, Session, SyncSummary, UserRecord};

/// Where a vault lives when none is named: `karte/vault.karte` in the
/// system's data directory, for every front alike.
pub fn default_vault_path() -> Option<PathBuf> {
    dirs::data_dir().map(|data| data.join("karte").join("vault.karte"))
}

/// How often the auto-lock is checked while nothing is asked of the app.
const IDLE_CHECK: Duration = Duration::from_secs(10);

/// Makes the clock and random source of each session the app opens.
type EnvironmentSource = dyn Fn() -> Environment + Send + Sync;

/// The app's one vault and its session.
pub struct App {
    vault: PathBuf,
    kdf: KdfParams,
    environment: Box<EnvironmentSource>,
    /// Shared with the background thread of nearby devices, which holds it
    /// weakly (`crate::nearby`).
    pub(crate) state: Arc<Mutex<AppState>>,
}

#[derive(Default)]
pub(crate) struct AppState {
    pub(crate) session: Option<Session>,
    settings: Settings,
    pub(crate) last_activity: Option<Timestamp>,
    last_error: Option<Problem>,
    pub(crate) nearby: Nearby,
}

/// The state behind `mutex`. A panic during a call poisons the mutex; the
/// session it left behind may be half-changed, so it is locked and the
/// user unlocks again.
pub(crate) fn lock_state(mutex: &Mutex<AppState>) -> MutexGuard<'_, AppState> {
    match mutex.lock() {
        Ok(state) => state,
        Err(poisoned) => {
            let mut state = poisoned.into_inner();
            state.lock();
            mutex.clear_poison();
            state
        }
    }
}

impl AppState {
    fn lock(&mut self) -> bool {
        // Nothing is served from a locked vault: listening stops with it.
        if let Some(listening) = self.nearby.listening.take() {
            listening.stop();
        }
        let session = self.session.take();
        self.last_activity = None;
        match session {
            Some(session) => {
                session.lock();
                true
            }
            None => false,
        }
    }

    /// Locks the session if it has been idle for the auto-lock time.
    pub(crate) fn lock_if_idle(&mut self) -> bool {
        let (Some(session), Some(last)) = (&self.session, self.last_activity) else {
            return false;
        };
        let idle_ms = session.now().millis() - last.millis();
        if idle_ms >= i64::from(self.settings.auto_lock_minutes) * 60_000 {
            self.lock()
        } else {
            false
        }
    }

    fn start(&mut self, session: Session) -> Result<AppUser, ApiError> {
        self.lock();
        self.settings = session.settings()?;
        self.last_activity = Some(session.now());
        let user = app_user(session.user());
        self.session = Some(session);
        Ok(user)
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("vault", &self.vault)
            .finish_non_exhaustive()
    }
}

fn app_user(user: &UserRecord) -> AppUser {
    AppUser {
        id: user.id.as_str().to_owned(),
        name: user.name.clone(),
        role: user.role.code().to_owned(),
    }
}

fn enrolment_view(enrolment: Enrolment) -> EnrolmentView {
    EnrolmentView {
        hub_url: enrolment.hub_url,
        org_name: enrolment.org_name,
        org_id: enrolment.org_id,
        device_name: enrolment.device_name,
        enrolled_at: enrolment.enrolled_at,
    }
}

impl From<&ApiError> for Problem {
    fn from(error: &ApiError) -> Problem {
        let mut problem = Problem::new(error.code(), error.to_string());
        if let ApiError::Invalid(errors) = error {
            problem.fields = errors.0.clone();
        }
        problem
    }
}

impl From<ApiError> for Problem {
    fn from(error: ApiError) -> Problem {
        Problem::from(&error)
    }
}

fn sync_report(s: SyncSummary) -> SyncReport {
    SyncReport {
        pushed_changes: s.pushed_changes,
        pushed_charts: s.pushed_charts,
        received_changes: s.received_changes,
        received_whole: s.received_whole,
        received_charts: s.received_charts,
        removed_charts: s.removed_charts,
        new_reviews: s.new_reviews,
        bytes_sent: s.bytes_sent,
        bytes_received: s.bytes_received,
        photos_sent: s.photos_sent,
        photos_received: s.photos_received,
        photos_waiting: s.photos_waiting,
        unrelayed_charts: s.unrelayed_charts,
    }
}

impl App {
    /// The app for the vault at `vault`, locked. `kdf` is used only when the
    /// vault is created here; `environment` gives each session its clock
    /// and random source.
    pub fn new(
        vault: PathBuf,
        kdf: KdfParams,
        environment: impl Fn() -> Environment + Send + Sync + 'static,
    ) -> App {
        App {
            vault,
            kdf,
            environment: Box::new(environment),
            state: Arc::new(Mutex::new(AppState::default())),
        }
    }

    pub fn vault_path(&self) -> &Path {
        &self.vault
    }

    /// The state (see [`lock_state`]).
    pub(crate) fn state(&self) -> MutexGuard<'_, AppState> {
        lock_state(&self.state)
    }

    /// Whether there is a vault, whether it is unlocked, and its users.
    pub fn session_state(&self) -> Result<SessionState, ApiError> {
        let mut state = self.state();
        state.lock_if_idle();
        if let Some(session) = &state.session {
            return Ok(SessionState {
                vault_exists: true,
                unlocked: true,
                user: Some(app_user(session.user())),
                users: session.user_names()?,
                now: session.now(),
            });
        }
        let now = (self.environment)().clock.now();
        if !self.vault.exists() {
            return Ok(SessionState {
                vault_exists: false,
                unlocked: false,
                user: None,
                users: Vec::new(),
                now,
            });
        }
        // Opening reads only the plaintext login names and lets go at once.
        let users = Vault::open(&self.vault)?.users();
        Ok(SessionState {
            vault_exists: true,
            unlocked: false,
            user: None,
            users,
            now,
        })
    }

    /// Creates the vault with its first user, an administrator (`admin`
    /// unless named), and keeps it unlocked.
    pub fn create(&self, credentials: &Credentials) -> Result<AppUser, ApiError> {
        let mut state = self.state();
        if state.session.is_some() {
            return Err(karte_store::StoreError::AlreadyExists {
                path: self.vault.clone(),
            }
            .into());
        }
        let user = credentials.user.as_deref().unwrap_or("admin");
        let session = Session::create(
            &self.vault,
            user,
            credentials.passphrase.as_bytes(),
            self.kdf,
            (self.environment)(),
        )?;
        state.start(session)
    }

    /// Unlocks the vault for the named user (or its only user), replacing
    /// any open session.
    pub fn unlock(&self, credentials: &Credentials) -> Result<AppUser, ApiError> {
        let mut state = self.state();
        // The old session goes first: the vault admits one opener at a time.
        state.lock();
        let session = Session::open_with_code(
            &self.vault,
            credentials.user.as_deref(),
            credentials.passphrase.as_bytes(),
            credentials.unlock_code.as_deref().map(|code| code.as_str()),
            (self.environment)(),
        )?;
        state.start(session)
    }

    /// Locks the vault: the session, its key and its charts leave memory.
    /// Says whether it was unlocked; locking cannot fail.
    pub fn lock(&self) -> Result<Locked, ApiError> {
        Ok(Locked {
            was_unlocked: self.state().lock(),
        })
    }

    /// Locks the vault if it has been idle for the auto-lock time. Returns
    /// whether it locked.
    pub fn lock_if_idle(&self) -> bool {
        self.state().lock_if_idle()
    }

    /// Starts the timer every front needs: the vault locks itself after the
    /// auto-lock time without use, even if no call comes (the window is
    /// hidden, the page stopped running). The timer ends with the app.
    pub fn lock_when_idle(app: &Arc<App>) {
        let app = Arc::downgrade(app);
        let timer = move || {
            loop {
                std::thread::sleep(IDLE_CHECK);
                let Some(app) = app.upgrade() else { return };
                if app.lock_if_idle() {
                    tracing::info!("the vault locked itself after the auto-lock time without use");
                }
            }
        };
        std::thread::Builder::new()
            .name("karte-auto-lock".to_owned())
            .spawn(timer)
            .expect("the auto-lock timer's thread could not start");
    }

    /// Runs a call the user made on the unlocked session; it counts as
    /// activity for the auto-lock.
    pub fn with_session<T>(
        &self,
        call: impl FnOnce(&mut Session) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut state = self.state();
        state.lock_if_idle();
        let session = state.session.as_mut().ok_or(ApiError::Locked)?;
        let now = session.now();
        let result = call(session);
        state.last_activity = Some(now);
        result
    }

    /// Like [`App::with_session`], but not counted as activity: background
    /// work such as periodic sync must not keep an unattended vault open.
    pub(crate) fn in_background<T>(
        &self,
        call: impl FnOnce(&mut AppState) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut state = self.state();
        state.lock_if_idle();
        if state.session.is_none() {
            return Err(ApiError::Locked);
        }
        call(&mut state)
    }

    /// Sync at a glance, for the status bar.
    pub fn sync_state(&self) -> Result<SyncState, ApiError> {
        self.in_background(|state| {
            let session = state.session.as_mut().expect("checked unlocked");
            let status = session.sync_status()?;
            Ok(SyncState {
                enrolment: status.enrolment.map(enrolment_view),
                charts_to_push: status.charts_to_push,
                pending_shares: status.pending_shares,
                open_reviews: session.open_review_count()?,
                quarantined_charts: status.quarantined,
                last_success: status.last_sync.map(|last| last.at),
                last_error: state.last_error.clone(),
            })
        })
    }

    /// Syncs with the hub, remembering a failure for the status bar (the
    /// vault keeps the time of a success).
    pub fn sync(&self) -> Result<SyncReport, ApiError> {
        self.sync_reporting(|_| {})
    }

    /// Like [`App::sync`], telling `progress` of every page.
    pub fn sync_reporting(
        &self,
        progress: impl FnMut(crate::SyncProgress),
    ) -> Result<SyncReport, ApiError> {
        self.in_background(|state| {
            let session = state.session.as_mut().expect("checked unlocked");
            match session.sync(progress) {
                Ok(summary) => {
                    state.last_error = None;
                    if summary.wiped.is_some() {
                        // The hub ordered this device wiped: nothing is left
                        // to keep unlocked.
                        state.lock();
                    }
                    Ok(sync_report(summary))
                }
                Err(error) => {
                    state.last_error = Some(Problem::from(&error));
                    Err(error)
                }
            }
        })
    }

    /// Enrols this device at a hub with a one-time code (administrators).
    pub fn enrol(&self, request: &EnrolRequest) -> Result<SyncState, ApiError> {
        self.with_session(|session| {
            session.enrol(&request.hub_url, &request.code, &request.device_name)
        })?;
        self.sync_state()
    }

    pub fn settings(&self) -> Result<Settings, ApiError> {
        self.with_session(|session| session.settings())
    }

    /// Saves the settings and applies them at once.
    pub fn save_settings(&self, settings: &Settings) -> Result<Settings, ApiError> {
        self.with_session(|session| session.save_settings(settings))?;
        self.state().settings = *settings;
        Ok(*settings)
    }
}
