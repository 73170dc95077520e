//! The errors of the hub's storage. Each has a stable `code` the HTTP layer
//! maps to a status and the client branches on, and a message that says what
//! to do next.

use karte_types::{DeviceId, PatientId};

use crate::OrgId;

#[derive(Debug, thiserror::Error)]
pub enum HubStoreError {
    #[error("device {0} is not enrolled at this hub: enrol it with a new enrolment code")]
    UnknownDevice(DeviceId),
    #[error("device {0} has been revoked: it must be wiped and enrolled again")]
    DeviceRevoked(DeviceId),
    #[error("device {0} is already enrolled: use another device id, or revoke the old one first")]
    DeviceExists(DeviceId),
    #[error("organisation {0} is not known to this hub: add it first")]
    UnknownOrg(OrgId),
    #[error("organisation {0} already exists: choose another id")]
    OrgExists(OrgId),
    #[error("chart {0} is not known to this hub: check the id")]
    UnknownDoc(PatientId),
    #[error(
        "chart {doc} is not shared with organisation {org}: ask the owning organisation to share it"
    )]
    OutsideCircle { doc: PatientId, org: OrgId },
    #[error(
        "organisation {org} owns chart {doc} and cannot be removed from its care circle: share it elsewhere instead"
    )]
    OwnerCannotLeave { doc: PatientId, org: OrgId },
    #[error(
        "organisation {org} does not accept charts shared by organisation {from}: its administrator must accept shares from {from} (`karte-hub share accept --org {org} --from {from}`) or approve each share (`karte-hub share approve-each --org {org}`)"
    )]
    ShareNotAccepted {
        doc: PatientId,
        org: OrgId,
        from: OrgId,
    },
    #[error(
        "no share of chart {doc} with organisation {org} waits for approval: see `karte-hub share pending --org {org}`"
    )]
    NoPendingShare { doc: PatientId, org: OrgId },
    #[error(
        "only the organisation that owns chart {doc} may remove organisation {org} from its care circle; an organisation may remove only itself"
    )]
    NotChartOwner { doc: PatientId, org: OrgId },
    #[error(
        "the audit log device {device} sent does not extend the one this hub holds for it ({detail}): entries were removed or rewritten on the device; nothing of the request was stored; tell the hub's administrator (`karte-hub device audit {device}`)"
    )]
    AuditChainBroken { device: DeviceId, detail: String },
    #[error(
        "device {0} has no unlock code left to give: it gets new codes at its next sync while its organisation has a lock policy (`karte-hub org policy ORG --lock-after-days N`)"
    )]
    NoUnlockCode(DeviceId),
    #[error("this enrolment code is not known: check it, or ask the administrator for a new one")]
    EnrolmentUnknown,
    #[error("this enrolment code has already been used: ask the administrator for a new one")]
    EnrolmentUsed,
    #[error("this enrolment code has expired: ask the administrator for a new one")]
    EnrolmentExpired,
    #[error("an enrolment code with this hash already exists: make a new random code")]
    EnrolmentExists,
    #[error(
        "the hub database has schema version {found}, but this hub knows versions up to {supported}: update the hub"
    )]
    NewerSchema { found: i64, supported: i64 },
    #[error("{path} is not a Karte hub database: check the path")]
    NotAHubDatabase { path: std::path::PathBuf },
    #[error(
        "the disk of {path} does not support SQLite's write-ahead log: keep the hub database on a local disk"
    )]
    NoWriteAheadLog { path: std::path::PathBuf },
    #[error("the hub database holds a malformed value ({0}): restore it from a backup")]
    Corrupt(String),
    #[error(
        "the master key given does not open this hub database's data keys: give the master key file this database was first served with"
    )]
    WrongMasterKey,
    #[error(
        "this hub was started without a master key, which charts are sealed under: give one with --master-key FILE (`karte-hub master-key new --out FILE` makes one)"
    )]
    NoMasterKey,
    #[error(
        "this hub database holds charts stored in clear, written before encryption at rest, and this hub does not seal a database in place: keep serving it with the release that wrote it, or serve a new database (--db) with --master-key and let the devices push their charts to it"
    )]
    ClearDatabase,
    #[error(
        "a sealed value in {table} (row {row}) fails authentication: it was altered, damaged or moved from another row; restore the database from a backup"
    )]
    Tampered { table: &'static str, row: String },
    #[error("the operating system's random source failed: try again")]
    NoRandomness,
    #[error(
        "cannot use the hub database file {path}: {detail}: check the path and its permissions"
    )]
    Io {
        path: std::path::PathBuf,
        detail: String,
    },
    #[error("SQLite error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL error: {}", postgres_detail(.0))]
    Postgres(#[from] tokio_postgres::Error),
    #[error("cannot reach PostgreSQL ({0}): check that it runs and the hub's database URL")]
    Pool(String),
    #[error("the hub's database URL cannot be used: {0}")]
    DatabaseUrl(String),
    #[error("the hub's storage task stopped unexpectedly ({0}): see the hub log and restart it")]
    Task(String),
}

impl HubStoreError {
    /// A stable, machine-readable name for the error.
    pub fn code(&self) -> &'static str {
        match self {
            HubStoreError::UnknownDevice(_) => "unknown_device",
            HubStoreError::DeviceRevoked(_) => "device_revoked",
            HubStoreError::DeviceExists(_) => "device_exists",
            HubStoreError::UnknownOrg(_) => "unknown_org",
            HubStoreError::OrgExists(_) => "org_exists",
            HubStoreError::UnknownDoc(_) => "unknown_doc",
            HubStoreError::OutsideCircle { .. } => "outside_circle",
            HubStoreError::OwnerCannotLeave { .. } => "owner_cannot_leave",
            HubStoreError::ShareNotAccepted { .. } => "share_not_accepted",
            HubStoreError::AuditChainBroken { .. } => "audit_chain_broken",
            HubStoreError::NoUnlockCode(_) => "no_unlock_code",
            HubStoreError::NoPendingShare { .. } => "no_pending_share",
            HubStoreError::NotChartOwner { .. } => "not_chart_owner",
            HubStoreError::EnrolmentUnknown => "enrolment_unknown",
            HubStoreError::EnrolmentUsed => "enrolment_used",
            HubStoreError::EnrolmentExpired => "enrolment_expired",
            HubStoreError::EnrolmentExists => "enrolment_exists",
            HubStoreError::NewerSchema { .. } => "newer_schema",
            HubStoreError::NotAHubDatabase { .. } => "not_a_hub_database",
            HubStoreError::NoWriteAheadLog { .. } => "no_write_ahead_log",
            HubStoreError::Corrupt(_) => "corrupt",
            HubStoreError::WrongMasterKey => "wrong_master_key",
            HubStoreError::NoMasterKey => "no_master_key",
            HubStoreError::ClearDatabase => "clear_database",
            HubStoreError::Tampered { .. } => "tampered",
            HubStoreError::NoRandomness => "no_randomness",
            HubStoreError::Io { .. } => "storage_file",
            HubStoreError::Sqlite(_) | HubStoreError::Postgres(_) => "storage",
            HubStoreError::Pool(_) => "storage_unreachable",
            HubStoreError::DatabaseUrl(_) => "database_url",
            HubStoreError::Task(_) => "storage_task",
        }
    }

    pub(crate) fn corrupt(what: impl std::fmt::Display) -> HubStoreError {
        HubStoreError::Corrupt(what.to_string())
    }
}

/// The server's own message where there is one: `tokio_postgres` shows a
/// server-side error only as "db error".
fn postgres_detail(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => with_causes(error),
    }
}

/// An error with the causes behind it: `tokio_postgres` shows a failed TLS
/// handshake only as "error performing TLS handshake", its reason (an
/// unknown issuer, a name not in the certificate) one source further down.
pub(crate) fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let line = error.to_string();
        if !text.contains(&line) {
            text = format!("{text}: {line}");
        }
        cause = error.source();
    }
    text
}

impl From<deadpool_postgres::PoolError> for HubStoreError {
    fn from(error: deadpool_postgres::PoolError) -> Self {
        HubStoreError::Pool(with_causes(&error))
    }
}

/// Why the hub could not start serving.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "refusing to serve plain HTTP on {addr}, which is not a loopback address: device keys and charts would cross the network unencrypted. Give --tls-cert and --tls-key, listen on 127.0.0.1, or, if a TLS-terminating proxy stands in front of the hub, start it with --behind-tls-proxy"
    )]
    PlainHttpOffLoopback { addr: std::net::SocketAddr },
    #[error("cannot use the TLS {what} {path}: {detail}: check the file (PEM) and its permissions")]
    Tls {
        what: &'static str,
        path: std::path::PathBuf,
        detail: String,
    },
    #[error("cannot listen on {addr}: {source}: choose another address or stop what uses it")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("the hub stopped serving: {0}")]
    Io(#[from] std::io::Error),
}

/// Why an administrative action failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] HubStoreError),
    #[error(transparent)]
    Recovery(#[from] karte_sync::recovery::RecoveryError),
    #[error("the operating system's random source failed: try again")]
    NoRandomness,
    #[error("an organisation needs a name: give one")]
    EmptyName,
}
