//! The demo `cargo xtask run` opens: a hub on this machine with one
//! organisation, and a vault full of synthetic patients enrolled with it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::{run_command, step};

pub const PASSPHRASE: &str = "demo passphrase";
const HUB_ADDRESS: &str = "127.0.0.1:7878";
const ORGANISATION: &str = "デモ訪問看護ステーション";

/// A hub process, stopped when dropped.
pub struct Hub {
    child: Child,
    /// The `karte-hub` binary, which also administers the hub.
    binary: PathBuf,
    db: String,
}

impl Drop for Hub {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn karte(binary: &Path) -> Command {
    let mut command = Command::new(binary);
    command.env("KARTE_PASSPHRASE", PASSPHRASE);
    command
}

/// The stdout of a command that must succeed.
fn output(command: &mut Command) -> Result<String> {
    let shown = format!("{command:?}");
    let out = command
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("starting {shown}"))?;
    if !out.status.success() {
        bail!("{shown} failed ({})", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

impl Hub {
    /// Starts a fresh hub (`binary` is `karte-hub`) on 127.0.0.1:7878 with
    /// its database in `demo`.
    pub fn start(binary: &Path, demo: &Path) -> Result<Hub> {
        if demo.exists() {
            std::fs::remove_dir_all(demo).context("removing the previous demo")?;
        }
        std::fs::create_dir_all(demo)?;
        let db = format!("sqlite:{}", demo.join("hub.sqlite").display());
        // The master key the demo hub seals the charts it stores under.
        let master_key = demo.join("hub-master.key");
        output(
            Command::new(binary)
                .args(["master-key", "new", "--out"])
                .arg(&master_key),
        )?;
        step(&format!("starting a demo hub on http://{HUB_ADDRESS}"));
        let child = Command::new(binary)
            .args([
                "--db",
                &db,
                "serve",
                "--listen",
                HUB_ADDRESS,
                "--master-key",
            ])
            .arg(&master_key)
            .stdout(Stdio::null())
            .spawn()
            .context("starting the demo hub")?;
        let hub = Hub {
            child,
            binary: binary.to_owned(),
            db,
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(HUB_ADDRESS).is_ok() {
                return Ok(hub);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!("the demo hub did not start listening on {HUB_ADDRESS}; is the port taken?")
    }

    /// `karte-hub` administering this hub's database.
    fn admin(&self) -> Command {
        let mut command = Command::new(&self.binary);
        command.env("KARTE_HUB_DB", &self.db);
        command
    }
}

/// Makes the demo vault: a nurse, 20 synthetic patients with two years of
/// visits, enrolled with the hub and synced. Returns its path.
pub fn vault(binary: &Path, demo: &Path, hub: &Hub) -> Result<PathBuf> {
    let vault = demo.join("demo.karte");
    let key = demo.join("organisation.recovery");
    step(&format!(
        "adding the organisation {ORGANISATION} to the hub"
    ));
    let org = output(
        hub.admin()
            .args(["org", "add", ORGANISATION, "--recovery-key-out"])
            .arg(&key),
    )?;
    let code = output(hub.admin().args(["device", "invite", "--org", &org]))?;
    step(&format!(
        "creating a demo vault at {} with 20 synthetic patients",
        vault.display()
    ));
    let in_vault = |args: &[&str]| {
        let mut command = karte(binary);
        command.args(args).env("KARTE_VAULT", &vault);
        command
    };
    run_command(&mut in_vault(&["init", "--user", "demo-nurse"]))?;
    run_command(&mut in_vault(&["demo", "--patients", "20", "--seed", "7"]))?;
    step("enrolling the vault with the demo hub and syncing");
    let hub_url = format!("http://{HUB_ADDRESS}");
    run_command(&mut in_vault(&[
        "enrol",
        "--hub",
        &hub_url,
        "--code",
        &code,
        "--name",
        "demo-tablet",
    ]))?;
    run_command(&mut in_vault(&["sync"]))?;
    Ok(vault)
}
