//! What the bridge holds: the [`App`] it serves (the vault and at most one
//! unlocked session), the token, and where the built UI lies. App calls
//! are blocking disk work, so each runs on the blocking thread pool.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use karte_api::{ApiError, App, Environment, KdfParams};

use crate::{Problem, Token};

/// The bridge's shared state; cloning it shares the one app.
#[derive(Clone, Debug)]
pub struct Bridge {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    app: Arc<App>,
    token: Token,
    ui: Option<PathBuf>,
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
        let app = Arc::new(App::new(vault, kdf, environment));
        App::lock_when_idle(&app);
        Bridge {
            inner: Arc::new(Inner {
                app,
                token,
                ui: None,
            }),
        }
    }

    /// Serves the built UI (its `index.html` and assets) from `dir` at `/`.
    pub fn with_ui(self, dir: PathBuf) -> Bridge {
        let inner = Arc::try_unwrap(self.inner).expect("with_ui is called before serving");
        Bridge {
            inner: Arc::new(Inner {
                ui: Some(dir),
                ..inner
            }),
        }
    }

    pub fn token(&self) -> &Token {
        &self.inner.token
    }

    pub(crate) fn ui(&self) -> Option<&Path> {
        self.inner.ui.as_deref()
    }

    /// Runs `call` on the app on the blocking pool.
    pub(crate) async fn call<T: Send + 'static>(
        &self,
        call: impl FnOnce(&App) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, Problem> {
        let bridge = self.clone();
        tokio::task::spawn_blocking(move || Ok(call(&bridge.inner.app)?))
            .await
            .unwrap_or_else(|_| {
                Err(Problem::internal(
                    "the request failed inside the vault; unlock again",
                ))
            })
    }

    /// Locks the vault: the session and its key material leave memory.
    /// Returns whether a session was open.
    pub async fn lock(&self) -> bool {
        self.call(|app| app.lock().map(|locked| locked.was_unlocked))
            .await
            .unwrap_or(false)
    }
}
