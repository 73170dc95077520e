//! A simulated device: a vault in its own temporary folder, with the cheap
//! key-derivation parameters of tests (stored in the vault header like
//! strong ones, so every other code path is the real one), enrolled at the
//! hub under test.

use std::path::PathBuf;

use anyhow::{Context, Result};
use karte_api::{Environment, KdfParams, Session};
use karte_test_support::PASSPHRASE;

pub struct Device {
    dir: tempfile::TempDir,
    /// Always open, except while [`Device::locked`] runs.
    session: Option<Session>,
}

impl Device {
    pub fn new() -> Result<Device> {
        let dir = tempfile::tempdir()?;
        let session = Session::create(
            &dir.path().join("vault.karte"),
            "bench",
            PASSPHRASE,
            KdfParams::insecure_fast_for_tests(),
            Environment::system(),
        )?;
        Ok(Device {
            dir,
            session: Some(session),
        })
    }

    pub fn session(&mut self) -> &mut Session {
        self.session
            .as_mut()
            .expect("the session is open outside Device::locked")
    }

    pub fn enrolled(hub_url: &str, code: &str, name: &str) -> Result<Device> {
        let mut device = Device::new()?;
        device.enrol(hub_url, code, name)?;
        Ok(device)
    }

    pub fn enrol(&mut self, hub_url: &str, code: &str, name: &str) -> Result<()> {
        self.session()
            .enrol(hub_url, code, name)
            .with_context(|| format!("enrolling {name}"))?;
        Ok(())
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("vault.karte")
    }

    /// Locks the vault, runs `f` on its path, and opens it again: for
    /// reading the stored documents beside the session.
    pub fn locked<T>(&mut self, f: impl FnOnce(&std::path::Path) -> Result<T>) -> Result<T> {
        if let Some(session) = self.session.take() {
            session.lock();
        }
        let result = f(&self.path());
        let session = Session::open(&self.path(), None, PASSPHRASE, Environment::system())?;
        self.session = Some(session);
        result
    }
}
