//! The `karte-hub` command line's grammar.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Run and administer a Karte regional hub: the server devices sync with.
#[derive(Debug, Parser)]
#[command(name = "karte-hub", version)]
pub struct HubCli {
    /// The hub database: sqlite:PATH or postgres://USER@HOST/DB (default:
    /// KARTE_HUB_DB, else hub.sqlite in the system's data directory).
    #[arg(long, global = true, env = "KARTE_HUB_DB")]
    pub db: Option<String>,
    #[command(subcommand)]
    pub action: HubAction,
}

#[derive(Debug, Subcommand)]
pub enum HubAction {
    /// Serve devices: sync and enrolment over HTTPS (or HTTP on loopback).
    Serve(Serve),
    /// Manage organisations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Invite, list and revoke devices.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// What an organisation accepts of charts other organisations share
    /// with it, and the shares waiting for its approval.
    #[command(subcommand)]
    Share(ShareCommand),
    /// What devices report of charts.
    #[command(subcommand)]
    Chart(ChartCommand),
    /// Make the master key the hub seals charts under.
    #[command(subcommand)]
    MasterKey(MasterKeyCommand),
    /// Copy an SQLite hub database to a new file while the hub serves
    /// (for PostgreSQL, use pg_dump: see the README).
    Backup {
        /// The backup file to write; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
    /// Make the hub database --db from a backup, with a new feed identity,
    /// so devices give back what the backup lacks. For PostgreSQL, restore
    /// the dump with pg_restore first, then run this without --from.
    Restore {
        /// The backup file (SQLite).
        #[arg(long)]
        from: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    /// Accept charts shared by another organisation at once.
    Accept {
        /// The receiving organisation.
        #[arg(long)]
        org: String,
        /// The organisation whose shares are accepted.
        #[arg(long)]
        from: String,
    },
    /// Keep each share from an organisation not accepted for approval
    /// (without this, such shares are refused).
    ApproveEach {
        #[arg(long)]
        org: String,
        /// Refuse such shares again.
        #[arg(long)]
        off: bool,
    },
    /// Show an organisation's rules for shares into it.
    Rules {
        #[arg(long)]
        org: String,
    },
    /// List the shares waiting for an organisation's approval.
    Pending {
        #[arg(long)]
        org: String,
    },
    /// Approve a waiting share: the chart reaches the organisation's devices
    /// at their next sync.
    Approve {
        #[arg(long)]
        org: String,
        /// The chart's id.
        chart: String,
    },
    /// Reject a waiting share.
    Reject {
        #[arg(long)]
        org: String,
        chart: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ChartCommand {
    /// List the charts devices keep in quarantine: received from the hub
    /// but not applicable there (a change no edit of Karte makes, a bad
    /// signature), per organisation and device, as each last reported.
    Quarantined {
        #[arg(long)]
        org: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MasterKeyCommand {
    /// Writes a new random master key to a new file only its owner may
    /// read (mode 0600). Keep a copy offline: without it the hub's charts
    /// cannot be read.
    New {
        /// The file to write; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct Serve {
    #[arg(long, default_value = "127.0.0.1:7878")]
    pub listen: SocketAddr,
    /// The TLS certificate chain (PEM); serves HTTPS with --tls-key.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP on a non-loopback address because a TLS-terminating
    /// proxy stands in front of the hub. Without it (or TLS files) the hub
    /// listens only on loopback.
    #[arg(long)]
    pub behind_tls_proxy: bool,
    /// The master key file (from `karte-hub master-key new`) that the
    /// organisations' data keys, and through them every chart the hub
    /// stores, are sealed under. A key other than the one the database was
    /// first served with is refused.
    #[arg(long, env = "KARTE_HUB_MASTER_KEY")]
    pub master_key: PathBuf,
    /// The folder wound photos are kept in, sealed under the same keys as
    /// the charts. By default `photos` beside an SQLite database, or
    /// karte/photos in the system's data folder for PostgreSQL (hub
    /// processes sharing one PostgreSQL database must share this folder).
    #[arg(long)]
    pub photos: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Add an organisation; prints its id and writes its recovery private key.
    Add {
        name: String,
        /// Where to write the recovery private key (created with mode 0600;
        /// never overwritten). Keep it offline: it opens every vault of the
        /// organisation.
        #[arg(long)]
        recovery_key_out: PathBuf,
        /// Seal the key file under a passphrase (Argon2id, AES-256-GCM),
        /// read from KARTE_RECOVERY_PASSPHRASE or asked twice; `karte
        /// recover` then asks for it.
        #[arg(long)]
        protect: bool,
    },
    /// List the organisations.
    List,
    /// Set the organisation's lock for lost devices: a device that has not
    /// reached the hub for N days locks until an unlock code from
    /// `karte-hub device unlock-code` is entered. Devices learn it at
    /// their next sync.
    Policy {
        org: String,
        /// Lock a device after this many days without the hub.
        #[arg(long, conflicts_with = "no_lock", required_unless_present = "no_lock")]
        lock_after_days: Option<u32>,
        /// Remove the lock: no device of the organisation locks.
        #[arg(long)]
        no_lock: bool,
    },
    /// The organisation's signing key, which signs its devices' membership
    /// certificates and its revocation list (for sync without the hub).
    #[command(subcommand)]
    SigningKey(SigningKeyCommand),
}

#[derive(Debug, Subcommand)]
pub enum SigningKeyCommand {
    /// Make the signing key of an organisation that has none (one added
    /// before signing keys existed; a serving hub also makes it at its
    /// first use) and print its public key. An organisation that has one
    /// keeps it: replacing a key devices trust is not built.
    New {
        org: String,
        /// The master key file the hub serves with: the key is stored
        /// wrapped by it.
        #[arg(long, env = "KARTE_HUB_MASTER_KEY")]
        master_key: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Make a one-time enrolment code for a device of an organisation.
    Invite {
        #[arg(long)]
        org: String,
        /// How long the code works.
        #[arg(long, default_value_t = 72)]
        valid_hours: u64,
    },
    /// List enrolled devices.
    List {
        #[arg(long)]
        org: Option<String>,
    },
    /// Revoke a device: a retired one hands in what it has not synced, then
    /// wipes; one revoked with --lost wipes at its next contact.
    Revoke {
        device: String,
        #[arg(long)]
        lost: bool,
    },
    /// Print the next unlock code of a device its organisation's policy
    /// locked (too many days without the hub), to read to its user over
    /// the phone; each code is given once and works once. Codes are
    /// sealed: this needs the master key.
    UnlockCode {
        device: String,
        /// The master key file the hub serves with.
        #[arg(long, env = "KARTE_HUB_MASTER_KEY")]
        master_key: PathBuf,
    },
    /// Show the audit log a device handed in at its syncs: who opened,
    /// changed, exported or synced which chart on it, and when. Entries
    /// name patients, so they are sealed: this needs the master key.
    Audit {
        device: String,
        /// The master key file the hub serves with.
        #[arg(long, env = "KARTE_HUB_MASTER_KEY")]
        master_key: PathBuf,
    },
}
