//! The hub under test, run as a child process (this program, started with
//! [`HUB_CHILD_FLAG`]) serving plain HTTP on 127.0.0.1, so the peak memory
//! read from its `/proc/<pid>/status` is the hub's alone. Organisations and
//! enrolment codes are written into its SQLite database before it starts,
//! as `karte-hub org add` and `karte-hub device invite` would. The hub
//! seals the charts it stores under a master key, as `karte-hub serve`
//! does, or, for the baseline of the load figures only, keeps them in clear.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use karte_hub::{
    AtRest, Clock, Hub, HubConfig, HubListener, HubStore, MasterKeyFile, ServeOptions,
    SqliteHubStore, StoreConfig, SystemClock, invite_device, new_org,
};
use ring::rand::SystemRandom;

/// The argument that makes this program serve a hub: `--hub-child DB KEY`,
/// where KEY is a master key file, or [`CLEAR`] for charts in clear.
pub const HUB_CHILD_FLAG: &str = "--hub-child";

/// The child's key argument that keeps charts in clear.
const CLEAR: &str = "clear";

/// How the hub under test keeps the charts it stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Sealed under a master key, as `karte-hub serve` always does.
    Sealed,
    /// In clear: the baseline that shows what sealing costs.
    Clear,
}

/// A hub serving in a child process, stopped when dropped.
pub struct ChildHub {
    child: Child,
    pub url: String,
    pub addr: std::net::SocketAddr,
}

impl ChildHub {
    /// Prepares a hub database at `db` with `orgs` organisations and
    /// `invites` enrolment codes for each, starts the hub on it, and returns
    /// the codes, one list per organisation.
    pub fn start(
        db: &Path,
        storage: Storage,
        orgs: usize,
        invites: usize,
    ) -> Result<(ChildHub, Vec<Vec<String>>)> {
        let codes = prepare(db, orgs, invites)?;
        let key = match storage {
            Storage::Sealed => {
                let mut path = db.as_os_str().to_owned();
                path.push(".master-key");
                MasterKeyFile::create(Path::new(&path))?;
                path
            }
            Storage::Clear => CLEAR.into(),
        };
        let mut child = Command::new(std::env::current_exe()?)
            .arg(HUB_CHILD_FLAG)
            .arg(db)
            .arg(key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the hub process")?;
        let stdout = child.stdout.take().context("the hub's output")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let addr: std::net::SocketAddr = match line.trim().parse() {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                anyhow::bail!("the hub process did not say where it listens: {line:?}");
            }
        };
        let hub = ChildHub {
            child,
            url: format!("http://{addr}"),
            addr,
        };
        Ok((hub, codes))
    }

    /// The hub process's peak resident memory so far (`VmHWM`), in KiB.
    pub fn peak_memory_kib(&self) -> Result<u64> {
        self.status_kib("VmHWM:")
    }

    /// The hub process's resident memory now (`VmRSS`), in KiB.
    pub fn memory_kib(&self) -> Result<u64> {
        self.status_kib("VmRSS:")
    }

    fn status_kib(&self, field: &str) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let line = status
            .lines()
            .find(|l| l.starts_with(field))
            .with_context(|| format!("no {field} in the hub's /proc status"))?;
        let kib = line
            .trim_start_matches(field)
            .trim()
            .trim_end_matches("kB")
            .trim();
        Ok(kib.parse()?)
    }
}

impl Drop for ChildHub {
    fn drop(&mut self) {
        // Closing its input asks the hub to stop; it is killed if it has not
        // within a few seconds.
        drop(self.child.stdin.take());
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn prepare(db: &Path, orgs: usize, invites: usize) -> Result<Vec<Vec<String>>> {
    let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    // The administrator's commands need no master key.
    let store = SqliteHubStore::open_with(db, StoreConfig::default())?;
    let random = SystemRandom::new();
    let now = SystemClock.now();
    let mut codes = Vec::with_capacity(orgs);
    for n in 0..orgs {
        let (org, _recovery) = new_org(&format!("訪問看護ステーション{n}"), now, &random)?;
        runtime.block_on(store.add_org(&org))?;
        let mut of_org = Vec::with_capacity(invites);
        for _ in 0..invites {
            let invitation = runtime.block_on(invite_device(
                &store,
                &org.id,
                Duration::from_secs(24 * 3600),
                now,
                &random,
            ))?;
            of_org.push(invitation.code);
        }
        codes.push(of_org);
    }
    Ok(codes)
}

/// Serves the hub on the database at `db`, sealing charts under the master
/// key file `key` (or in clear, if it is [`CLEAR`]), until this process's
/// input closes, after saying on its output where it listens.
pub fn serve_child(db: &Path, key: &str) -> Result<()> {
    // The same runtime as `karte-hub serve`.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let config = if key == CLEAR {
        StoreConfig {
            at_rest: AtRest::ClearForBenchmarks,
            ..StoreConfig::default()
        }
    } else {
        StoreConfig::sealed(MasterKeyFile::read(Path::new(key))?)
    };
    let store = SqliteHubStore::open_with(db, config)?;
    let listener = HubListener::bind(&ServeOptions {
        listen: "127.0.0.1:0".parse()?,
        tls: None,
        behind_tls_proxy: false,
    })?;
    let mut out = std::io::stdout();
    writeln!(out, "{}", listener.local_addr())?;
    out.flush()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
        let _ = stop.send(());
    });
    let mut photos = db.as_os_str().to_owned();
    photos.push(".photos");
    let photos = karte_hub::FsPhotoStore::open(Path::new(&photos))?;
    // The photo figures measure transfer and resumption, not the photo
    // rate limits, which a first sync of a thousand photos meets in its
    // first minute (the device then goes on at its next sync).
    let mut config = HubConfig::default();
    let unlimited = karte_hub::RateLimit {
        burst: 1_000_000,
        per_minute: 1_000_000,
    };
    config.guard.photos_per_address = unlimited;
    config.guard.photos_per_device = unlimited;
    let hub = Hub::new(store, SystemClock, config).with_photos(std::sync::Arc::new(photos));
    runtime.block_on(listener.serve(hub, async {
        let _ = stopped.await;
    }))?;
    Ok(())
}
