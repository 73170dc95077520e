//! The two backends behind one test interface, so every test of the suite
//! runs against both: an empty database, opened as a hub process would open
//! it, as often as a test needs (several handles imitate several processes).

use std::future::Future;

use karte_hub::{HubStore, HubStoreError, PostgresHubStore, SqliteHubStore, StoreConfig};

pub trait Backend: Sized + Send + Sync + 'static {
    type Store: HubStore + Clone + std::fmt::Debug;

    /// A new, empty database that nothing has opened yet.
    fn empty() -> impl Future<Output = Self> + Send;

    /// Opens the database as one hub process would, running migrations.
    fn open(
        &self,
        config: StoreConfig,
    ) -> impl Future<Output = Result<Self::Store, HubStoreError>> + Send;

    /// Runs SQL on the database behind the store's back, as an intruder or
    /// a careless administrator would.
    fn raw_execute(&self, sql: &str) -> impl Future<Output = Result<(), String>> + Send;

    /// Every byte the database holds: SQLite's files (the database, its
    /// write-ahead log and shared memory), PostgreSQL's `pg_dump`.
    fn dump(&self) -> impl Future<Output = Vec<u8>> + Send;

    /// SQL that marks the schema as one migration newer than this hub knows.
    const NEWER_SCHEMA: &str;
}

/// A new database, opened once with the default settings.
pub async fn fresh<B: Backend>() -> (B, B::Store) {
    let backend = B::empty().await;
    let store = backend.open(crate::support::sealed()).await.unwrap();
    (backend, store)
}

pub struct Sqlite {
    dir: tempfile::TempDir,
}

impl Sqlite {
    pub fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("hub.sqlite")
    }

    /// The database's files: itself, its write-ahead log and its shared memory.
    pub fn files(&self) -> [std::path::PathBuf; 3] {
        let path = self.path();
        let with = |suffix: &str| {
            let mut name = path.clone().into_os_string();
            name.push(suffix);
            std::path::PathBuf::from(name)
        };
        [path.clone(), with("-wal"), with("-shm")]
    }
}

impl Backend for Sqlite {
    type Store = SqliteHubStore;
    const NEWER_SCHEMA: &str = "PRAGMA user_version = 11";

    async fn empty() -> Self {
        Sqlite {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    async fn open(&self, config: StoreConfig) -> Result<SqliteHubStore, HubStoreError> {
        let path = self.path();
        tokio::task::spawn_blocking(move || SqliteHubStore::open_with(&path, config))
            .await
            .unwrap()
    }

    async fn raw_execute(&self, sql: &str) -> Result<(), String> {
        let conn = rusqlite::Connection::open(self.path()).map_err(|e| e.to_string())?;
        conn.execute_batch(sql).map_err(|e| e.to_string())
    }

    async fn dump(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for path in self.files() {
            if let Ok(bytes) = std::fs::read(&path) {
                all.extend(bytes);
            }
        }
        all
    }
}

pub struct Postgres {
    url: String,
}

impl Backend for Postgres {
    type Store = PostgresHubStore;
    const NEWER_SCHEMA: &str = "INSERT INTO hub_schema (version) VALUES (12)";

    async fn empty() -> Self {
        Postgres {
            url: crate::postgres::server().create_database().await,
        }
    }

    async fn open(&self, config: StoreConfig) -> Result<PostgresHubStore, HubStoreError> {
        PostgresHubStore::connect_with(&self.url, config).await
    }

    async fn dump(&self) -> Vec<u8> {
        pg_dump(&self.url)
    }

    async fn raw_execute(&self, sql: &str) -> Result<(), String> {
        let (client, connection) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        let connection = tokio::spawn(connection);
        let result = client.batch_execute(sql).await.map_err(|e| {
            e.as_db_error()
                .map_or(e.to_string(), |db| db.message().to_owned())
        });
        drop(client);
        let _ = connection.await;
        result
    }
}

/// PostgreSQL reached over TLS with `sslmode=verify-full` and the test CA,
/// on a server that refuses plaintext over TCP (see `postgres_tls`).
pub struct PostgresTls {
    database: String,
    url: String,
}

impl Backend for PostgresTls {
    type Store = PostgresHubStore;
    const NEWER_SCHEMA: &str = Postgres::NEWER_SCHEMA;

    async fn empty() -> Self {
        let tls = crate::postgres_tls::tls_server();
        let database = tls.server.create_database_named().await;
        let url = format!(
            "{}?sslmode=verify-full&sslrootcert={}",
            tls.server
                .url(&database)
                .replacen("127.0.0.1", "localhost", 1),
            tls.ca.display()
        );
        PostgresTls { database, url }
    }

    async fn open(&self, config: StoreConfig) -> Result<PostgresHubStore, HubStoreError> {
        PostgresHubStore::connect_with(&self.url, config).await
    }

    async fn dump(&self) -> Vec<u8> {
        let server = &crate::postgres_tls::tls_server().server;
        pg_dump(&server.admin_url(&self.database))
    }

    async fn raw_execute(&self, sql: &str) -> Result<(), String> {
        let server = &crate::postgres_tls::tls_server().server;
        Postgres {
            url: server.admin_url(&self.database),
        }
        .raw_execute(sql)
        .await
    }
}

/// What `pg_dump` writes of the database at `url`, as an administrator's
/// backup would hold it.
fn pg_dump(url: &str) -> Vec<u8> {
    let bin = crate::postgres::binaries().expect("PostgreSQL is installed");
    let output = std::process::Command::new(bin.join("pg_dump"))
        .arg("--dbname")
        .arg(url)
        .output()
        .expect("pg_dump runs");
    assert!(
        output.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}
