//! A real, throwaway PostgreSQL server for tests.
//!
//! The first test that asks starts one server for the whole test binary, on
//! 127.0.0.1 with a free port and its data in a new temporary folder; each
//! test then gets a database of its own. Each database sorts text as people
//! read it (ICU's root collation: `_`, `a`, `b`, `B`), as one made on a
//! server with a natural-language locale does, so a query that leans on the
//! database's collation for byte order fails here as it would there. The server runs under a small shell
//! watchdog that reads our end of a pipe: when the test binary exits (or is
//! killed) the pipe closes, and the watchdog stops the server and removes its
//! folder, so nothing is left running.
//!
//! `start_with(Some(tls))` starts another server, for the TLS tests, that
//! speaks TLS with a given certificate and refuses plaintext over TCP.
//!
//! It needs Debian's `postgresql` package (`cargo xtask test` installs it).
//! Run as root, the server runs as the `postgres` user through `runuser`.
//! Other crates' hub tests may include this file as a module
//! (`#[path = "../../../karte-hub/tests/it/postgres.rs"] mod postgres;`); it
//! needs `tokio`, `tokio-postgres` and `tempfile`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A running server.
pub struct TestServer {
    port: u16,
    /// Its folder: the Unix socket, the log, the data; removed at exit.
    dir: PathBuf,
    /// The watchdog; its stdin is our end of the pipe, closed at exit.
    _watchdog: Mutex<Child>,
}

static SERVER: OnceLock<TestServer> = OnceLock::new();
static NEXT_DATABASE: AtomicU32 = AtomicU32::new(1);

/// The binary's server, started on first use.
pub fn server() -> &'static TestServer {
    SERVER.get_or_init(|| start_with(None))
}

/// A server certificate and its private key, both PEM.
#[allow(dead_code)] // Made only by karte-hub's TLS tests, not by crates including this file.
pub struct ServerTls {
    pub cert_pem: String,
    pub key_pem: String,
}

impl TestServer {
    /// Creates a new, empty database and returns its URL.
    pub async fn create_database(&self) -> String {
        let name = self.create_database_named().await;
        self.url(&name)
    }

    /// Creates a new, empty database and returns its name.
    pub async fn create_database_named(&self) -> String {
        let name = format!(
            "hub_test_{}_{}",
            std::process::id(),
            NEXT_DATABASE.fetch_add(1, Ordering::Relaxed)
        );
        let (client, connection) =
            tokio_postgres::connect(&self.admin_url("postgres"), tokio_postgres::NoTls)
                .await
                .expect("the test server accepts connections");
        let connection = tokio::spawn(connection);
        client
            .batch_execute(&format!(
                "CREATE DATABASE {name} TEMPLATE template0
                 LOCALE_PROVIDER icu ICU_LOCALE 'und'"
            ))
            .await
            .expect("the test server creates a database");
        drop(client);
        let _ = connection.await;
        name
    }

    /// The database's URL over TCP on 127.0.0.1, without `sslmode`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// The database's connection string over the server's Unix socket,
    /// which takes plaintext on every server, the TLS one too.
    pub fn admin_url(&self, database: &str) -> String {
        format!(
            "host={} port={} user=postgres dbname={database}",
            self.dir.display(),
            self.port
        )
    }

    /// The server's folder, where a test may leave files (removed at exit).
    #[allow(dead_code)] // Used only by karte-hub's TLS tests.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Starts a server of its own; with `tls`, it takes TCP connections over TLS
/// only (`hostssl`), with that certificate.
pub fn start_with(tls: Option<&ServerTls>) -> TestServer {
    let bin = binaries().unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres): \
             run `cargo xtask test` (it installs PostgreSQL)"
        )
    });
    let as_root = is_root();
    let mut last_failure = String::new();
    // A port found free can be taken before the server binds it; try again.
    for _ in 0..3 {
        let dir = tempfile::Builder::new()
            .prefix("karte-hub-postgres-")
            .tempdir()
            .expect("a temporary folder")
            .keep();
        let data = dir.join("data");
        let mut settings = Vec::new();
        if let Some(tls) = tls {
            write_private(&dir.join("server.crt"), &tls.cert_pem);
            write_private(&dir.join("server.key"), &tls.key_pem);
            write_private(
                &dir.join("pg_hba.conf"),
                "local all all trust\n\
                 hostssl all all 127.0.0.1/32 trust\n\
                 hostnossl all all 127.0.0.1/32 reject\n",
            );
            for (name, file) in [
                ("ssl_cert_file", "server.crt"),
                ("ssl_key_file", "server.key"),
                ("hba_file", "pg_hba.conf"),
            ] {
                settings.push("-c".to_owned());
                settings.push(format!("{name}={}", dir.join(file).display()));
            }
            settings.extend(["-c".to_owned(), "ssl=on".to_owned()]);
        }
        if as_root {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir));
        }
        run(as_postgres(as_root, &bin.join("initdb"))
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
                "-D",
            ])
            .arg(&data));
        let port = free_port();
        let script = r#"
            bin=$1 data=$2 port=$3 dir=$4
            shift 4
            "$bin" -D "$data" -p "$port" -k "$dir" -c listen_addresses=127.0.0.1 \
                -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
                -c max_connections=300 "$@" >"$dir/server.log" 2>&1 &
            server=$!
            cat >/dev/null
            kill -INT "$server"
            wait "$server"
            rm -rf "$dir"
        "#;
        let watchdog = as_postgres(as_root, Path::new("sh"))
            .args(["-c", script, "watchdog"])
            .arg(bin.join("postgres"))
            .arg(&data)
            .arg(port.to_string())
            .arg(&dir)
            .args(&settings)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the shell starts");
        if ready(&bin, port) {
            return TestServer {
                port,
                dir,
                _watchdog: Mutex::new(watchdog),
            };
        }
        last_failure = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
        drop(watchdog);
    }
    panic!("the test PostgreSQL server did not start:\n{last_failure}");
}

/// The newest installed PostgreSQL's binaries.
pub fn binaries() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("postgres").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    let output = Command::new("id").arg("-u").output().expect("`id` runs");
    String::from_utf8_lossy(&output.stdout).trim() == "0"
}

/// PostgreSQL refuses to run as root; as root, run it as `postgres`.
fn as_postgres(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command) {
    let output = command.output().expect("the command starts");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Writes a file only its owner reads: PostgreSQL refuses a private key
/// that others may read.
fn write_private(path: &Path, contents: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, contents).expect("the file is written");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .expect("the file's mode is set");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

fn ready(bin: &Path, port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let status = Command::new(bin.join("pg_isready"))
            .args(["-q", "-h", "127.0.0.1", "-p", &port.to_string()])
            .status();
        if status.is_ok_and(|status| status.success()) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}
