//! What the bridge holds: the vault it serves, the token, and at most one
//! unlocked session. Session calls are blocking disk work, so each runs on
//! the blocking thread pool while the session's mutex is held.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use karte_api::{ApiError, Environment, KdfParams, Session};

use crate::{Problem, Token};

/// Makes the clock and random source for each session the bridge opens.
type EnvironmentSource = dyn Fn() -> Environment + Send + Sync;

/// The bridge's shared state; cloning it shares the one session.
#[derive(Clone)]
pub struct Bridge {
    inner: Arc<Inner>,
}

struct Inner {
    vault: PathBuf,
    kdf: KdfParams,
    token: Token,
    environment: Box<EnvironmentSource>,
    session: Mutex<Option<Session>>,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("vault", &self.inner.vault)
            .finish_non_exhaustive()
    }
}

impl Bridge {
    /// A bridge to the vault at `vault`, locked until a user unlocks it.
    /// `kdf` is used only when a vault is created through the bridge;
    /// `environment` gives each session its clock and random source.
    pub fn new(
        vault: PathBuf,
        kdf: KdfParams,
        token: Token,
        environment: impl Fn() -> Environment + Send + Sync + 'static,
    ) -> Bridge {
        Bridge {
            inner: Arc::new(Inner {
                vault,
                kdf,
                token,
                environment: Box::new(environment),
                session: Mutex::new(None),
            }),
        }
    }

    pub fn token(&self) -> &Token {
        &self.inner.token
    }

    /// The session slot. A panic during a session call poisons the mutex;
    /// the session it left behind may be half-changed, so it is dropped and
    /// the user unlocks again.
    fn slot(&self) -> MutexGuard<'_, Option<Session>> {
        match self.inner.session.lock() {
            Ok(slot) => slot,
            Err(poisoned) => {
                let mut slot = poisoned.into_inner();
                if let Some(session) = slot.take() {
                    session.lock();
                }
                self.inner.session.clear_poison();
                slot
            }
        }
    }

    /// Runs `call` on the unlocked session on the blocking pool.
    pub(crate) async fn with_session<T: Send + 'static>(
        &self,
        call: impl FnOnce(&mut Session) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, Problem> {
        let bridge = self.clone();
        self.blocking(move || {
            let mut slot = bridge.slot();
            let session = slot.as_mut().ok_or_else(Problem::locked)?;
            Ok(call(session)?)
        })
        .await
    }

    /// Opens the vault for `user` (or its only user), replacing any session.
    pub(crate) async fn unlock(
        &self,
        user: Option<String>,
        passphrase: String,
    ) -> Result<karte_api::UserRecord, Problem> {
        let bridge = self.clone();
        // The passphrase is wiped from memory once the key is derived.
        let passphrase = zeroize::Zeroizing::new(passphrase);
        self.blocking(move || {
            let mut slot = bridge.slot();
            // The old session goes first: the vault admits one opener at a time.
            if let Some(old) = slot.take() {
                old.lock();
            }
            let environment = (bridge.inner.environment)();
            let session = Session::open(
                &bridge.inner.vault,
                user.as_deref(),
                passphrase.as_bytes(),
                environment,
            )?;
            let record = session.user().clone();
            *slot = Some(session);
            Ok(record)
        })
        .await
    }

    /// Creates the vault with its first user, an administrator, and keeps
    /// it unlocked.
    pub(crate) async fn create(
        &self,
        user: String,
        passphrase: String,
    ) -> Result<karte_api::UserRecord, Problem> {
        let bridge = self.clone();
        let passphrase = zeroize::Zeroizing::new(passphrase);
        self.blocking(move || {
            // An open session means the vault exists, so creating fails and
            // the open session is left as it was.
            let mut slot = bridge.slot();
            let environment = (bridge.inner.environment)();
            let session = Session::create(
                &bridge.inner.vault,
                &user,
                passphrase.as_bytes(),
                bridge.inner.kdf,
                environment,
            )?;
            let record = session.user().clone();
            if let Some(old) = slot.replace(session) {
                old.lock();
            }
            Ok(record)
        })
        .await
    }

    /// Locks the vault: the session and its key material leave memory.
    /// Returns whether a session was open.
    pub async fn lock(&self) -> bool {
        let bridge = self.clone();
        self.blocking(move || {
            let session = bridge.slot().take();
            let was_open = session.is_some();
            if let Some(session) = session {
                session.lock();
            }
            Ok(was_open)
        })
        .await
        .unwrap_or(false)
    }

    /// The unlocked user, if any.
    pub(crate) async fn current_user(&self) -> Result<Option<karte_api::UserRecord>, Problem> {
        let bridge = self.clone();
        self.blocking(move || Ok(bridge.slot().as_ref().map(|s| s.user().clone())))
            .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, Problem> + Send + 'static,
    ) -> Result<T, Problem> {
        tokio::task::spawn_blocking(work).await.unwrap_or_else(|_| {
            Err(Problem::internal(
                "the request failed inside the vault; unlock again",
            ))
        })
    }
}
