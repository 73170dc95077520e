//! Vaults in temporary folders with cheap key-derivation parameters (stored
//! in the vault header like strong ones, so the code path is the real one)
//! and a fixed clock and seed.

use std::path::PathBuf;

use karte_api::{ApiError, App, Environment, KdfParams, Session};
use karte_test_support::{PASSPHRASE, START};

pub struct TempVault {
    pub dir: tempfile::TempDir,
}

impl TempVault {
    pub fn new() -> TempVault {
        TempVault {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("vault.karte")
    }

    /// Creates the vault, its first user `admin`.
    pub fn create(&self, seed: u64) -> Session {
        Session::create(
            &self.path(),
            "admin",
            PASSPHRASE,
            KdfParams::insecure_fast_for_tests(),
            Environment::fixed(START, seed),
        )
        .expect("vault is created")
    }

    pub fn open(&self, seed: u64) -> Session {
        Session::open(
            &self.path(),
            None,
            PASSPHRASE,
            Environment::fixed(START, seed),
        )
        .expect("vault opens")
    }
}

/// Calls an operation the way the fronts do: by name, with JSON arguments.
pub fn call(
    app: &App,
    name: &str,
    arguments: serde_json::Value,
) -> Result<serde_json::Value, ApiError> {
    app.call(
        name,
        zeroize::Zeroizing::new(serde_json::to_vec(&arguments).unwrap()),
    )
}

/// [`call`], a refusal read as its code (`pairing_failed`).
pub fn call_code(
    app: &App,
    name: &str,
    arguments: serde_json::Value,
) -> Result<serde_json::Value, String> {
    call(app, name, arguments).map_err(|error| error.code().as_str().to_owned())
}
