//! The real `karte-hub serve` as a child process, administered with the
//! binary's own `karte-hub org add` and `karte-hub device invite`, so a test
//! can SIGKILL it and start it again on the same database and port.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `karte-hub` binary beside this test binary
/// (`target/debug/karte-hub`); the test binary lives in `target/debug/deps`.
pub fn hub_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let debug = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test binary is in target/<profile>/deps");
    let hub = debug.join("karte-hub");
    assert!(
        hub.exists(),
        "{} is missing: build it first with `cargo build -p karte-hub-cli` \
         (`cargo test --workspace` and `cargo xtask test` do), then run these tests again",
        hub.display()
    );
    hub
}

/// The master key file every hub of this test binary seals charts under,
/// made once by `karte-hub master-key new`; hubs sharing a database share
/// it.
fn master_key() -> &'static str {
    static KEY: std::sync::OnceLock<(tempfile::TempDir, String)> = std::sync::OnceLock::new();
    let (_, path) = KEY.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("hub-master.key");
        let path = path.to_str().expect("utf-8 path").to_owned();
        let output = Command::new(hub_binary())
            .args(["master-key", "new", "--out", &path])
            .output()
            .expect("karte-hub runs");
        assert!(
            output.status.success(),
            "karte-hub master-key new: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        (dir, path)
    });
    path
}

/// One hub process serving a database given as `--db`.
#[derive(Debug)]
pub struct HubProcess {
    db: String,
    child: Option<Child>,
    pub addr: SocketAddr,
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

impl HubProcess {
    /// `karte-hub --db DB ARGS…`.
    fn command(db: &str, args: &[&str]) -> Command {
        let mut command = Command::new(hub_binary());
        command.args(["--db", db]).args(args);
        command
    }

    /// Runs an administration command on `db`; returns its output, trimmed.
    pub fn admin(db: &str, args: &[&str]) -> String {
        let output = HubProcess::command(db, args)
            .output()
            .expect("karte-hub runs");
        assert!(
            output.status.success(),
            "karte-hub {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout)
            .expect("utf-8 output")
            .trim()
            .to_owned()
    }

    /// Adds an organisation; returns its id. The recovery key goes to a file
    /// in `dir` that nothing reads again.
    pub fn add_org(db: &str, dir: &std::path::Path, name: &str) -> String {
        let key = dir.join(format!("{name}.key"));
        HubProcess::admin(
            db,
            &[
                "org",
                "add",
                name,
                "--recovery-key-out",
                key.to_str().expect("utf-8 path"),
            ],
        )
    }

    /// A one-time enrolment code for `org`.
    pub fn invite(db: &str, org: &str) -> String {
        HubProcess::admin(db, &["device", "invite", "--org", org])
    }

    /// Serves `db` on a free loopback port.
    pub fn serve(db: &str) -> HubProcess {
        let mut hub = HubProcess {
            db: db.to_owned(),
            child: None,
            addr: "127.0.0.1:0".parse().expect("an address"),
        };
        hub.start();
        hub
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts serving on `self.addr` (port 0: any free port). A port just
    /// freed by a killed hub is bound again; if the bind fails anyway, try
    /// for a while before giving up.
    fn start(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let listen = self.addr.to_string();
            let args = ["serve", "--listen", &listen, "--master-key", master_key()];
            let mut child = HubProcess::command(&self.db, &args)
                .stderr(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .expect("karte-hub serve starts");
            let stderr = child.stderr.take().expect("piped stderr");
            let mut lines = BufReader::new(stderr).lines();
            let first = lines.next().and_then(Result::ok).unwrap_or_default();
            let served = first
                .split_whitespace()
                .find_map(|word| word.strip_prefix("http://"))
                .and_then(|addr| addr.parse::<SocketAddr>().ok());
            match served {
                Some(addr) => {
                    self.addr = addr;
                    // Keep draining the hub's log so it never blocks on a
                    // full pipe.
                    std::thread::spawn(move || lines.for_each(drop));
                    self.child = Some(child);
                    return;
                }
                None => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let rest: Vec<String> = lines.map_while(Result::ok).collect();
                    assert!(
                        Instant::now() < deadline,
                        "karte-hub serve did not start on {listen}: {first}\n{}",
                        rest.join("\n")
                    );
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
    }

    /// Kills the process with SIGKILL (what `Child::kill` sends on Unix):
    /// no shutdown, no flush, as a power cut would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the hub again on the same database and the same port.
    pub fn restart(&mut self) {
        self.kill();
        self.start();
    }
}

impl HubProcess {
    /// The serving process's id, for a test that kills it from another
    /// thread.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the hub is serving").id()
    }
}

/// Sends SIGKILL to process `pid`.
pub fn sigkill(pid: u32) {
    let status = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("`kill` runs");
    assert!(status.success(), "kill -KILL {pid} failed");
}
