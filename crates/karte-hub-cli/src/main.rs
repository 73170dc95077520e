//! `karte-hub`: running a regional hub and administering it. A binary of
//! its own, so the nurse's `karte` links none of the server (axum, the
//! PostgreSQL client, the connection pool). The hub's database is picked
//! once here (`--db sqlite:PATH` or `--db postgres://…`); everything after
//! is generic over the store.

mod args;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;
use karte_hub::{
    Clock, Hub, HubConfig, HubListener, HubStore, MasterKeyFile, OrgId, PostgresHubStore,
    ServeOptions, SqliteHubStore, StoreConfig, SystemClock, TlsFiles, invite_device, new_org,
};
use karte_types::{DeviceId, PatientId, Timestamp};
use ring::rand::SystemRandom;

use args::{
    ChartCommand, DeviceCommand, HubAction, HubCli, MasterKeyCommand, OrgCommand, ShareCommand,
    SigningKeyCommand,
};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("KARTE_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let cli = HubCli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Where the hub's data lives.
#[derive(Debug, PartialEq, Eq)]
enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

/// A random feed identity, from the operating system.
fn new_feed_identity() -> Result<[u8; 16]> {
    let random: [u8; 16] = ring::rand::generate(&SystemRandom::new())
        .map_err(|_| anyhow::anyhow!("the operating system's random source failed"))?
        .expose();
    Ok(random)
}

fn database(db: Option<&str>) -> Result<Database> {
    match db {
        None => {
            let data = dirs::data_dir().context(
                "no data directory on this system: give the hub database with --db sqlite:PATH",
            )?;
            Ok(Database::Sqlite(data.join("karte").join("hub.sqlite")))
        }
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Database::Postgres(url.to_owned()))
        }
        Some(url) => match url.strip_prefix("sqlite:") {
            Some(path) if !path.is_empty() => Ok(Database::Sqlite(PathBuf::from(path))),
            _ => bail!("--db must be sqlite:PATH or postgres://USER@HOST/DATABASE, not {url:?}"),
        },
    }
}

fn run(cli: &HubCli) -> Result<()> {
    if let HubAction::MasterKey(MasterKeyCommand::New { out }) = &cli.action {
        MasterKeyFile::create(out)?;
        eprintln!(
            "master key written to {}: serve with --master-key {0}, and keep a copy offline (without it no chart on the hub can be read)",
            out.display()
        );
        return Ok(());
    }
    if let HubAction::Backup { out } | HubAction::Restore { from: Some(out) } = &cli.action {
        let Database::Sqlite(path) = database(cli.db.as_deref())? else {
            bail!(
                "for a PostgreSQL hub, back up with `pg_dump --format=custom --file=FILE URL` and restore with `pg_restore --dbname=URL FILE`, then run `karte-hub restore --db URL` (without --from) to give the feed a new identity"
            );
        };
        if let HubAction::Backup { .. } = cli.action {
            karte_hub::backup_sqlite(&path, out)
                .with_context(|| format!("backing up {} to {}", path.display(), out.display()))?;
            eprintln!("backed up {} to {}", path.display(), out.display());
        } else {
            karte_hub::restore_sqlite(out, &path, new_feed_identity()?)
                .with_context(|| format!("restoring {} from {}", path.display(), out.display()))?;
            eprintln!(
                "restored {} from {} with a new feed identity: devices give back what the backup lacks at their next sync",
                path.display(),
                out.display()
            );
        }
        return Ok(());
    }
    // Serving reads and writes charts, sealed under the master key, and a
    // device's audit log names patients, sealed the same way; the
    // administrator's other commands touch neither and need no key.
    let master_key = match &cli.action {
        HubAction::Serve(serve) => Some(&serve.master_key),
        HubAction::Device(
            DeviceCommand::Audit { master_key, .. } | DeviceCommand::UnlockCode { master_key, .. },
        ) => Some(master_key),
        HubAction::Org(OrgCommand::SigningKey(SigningKeyCommand::New { master_key, .. })) => {
            Some(master_key)
        }
        _ => None,
    };
    let config = match master_key {
        Some(path) => StoreConfig::sealed(MasterKeyFile::read(path)?),
        None => StoreConfig::default(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the hub's runtime")?;
    runtime.block_on(async {
        match database(cli.db.as_deref())? {
            Database::Sqlite(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("creating {}", parent.display()))?;
                }
                let store = SqliteHubStore::open_with(&path, config)
                    .with_context(|| format!("opening the hub database {}", path.display()))?;
                let photos = path
                    .parent()
                    .unwrap_or(std::path::Path::new("."))
                    .join("photos");
                act(store, &cli.action, photos).await
            }
            Database::Postgres(url) => {
                let store = PostgresHubStore::connect_with(&url, config)
                    .await
                    .context("opening the hub's PostgreSQL database")?;
                let photos = match dirs::data_dir() {
                    Some(data) => data.join("karte").join("photos"),
                    None => PathBuf::from("photos"),
                };
                act(store, &cli.action, photos).await
            }
        }
    })
}

/// Carries out `action` on `store`; a served hub keeps photos in `--photos`
/// or else `default_photos`.
async fn act<S: HubStore>(store: S, action: &HubAction, default_photos: PathBuf) -> Result<()> {
    let random = SystemRandom::new();
    let now = SystemClock.now();
    match action {
        HubAction::Serve(serve) => {
            let options = ServeOptions {
                listen: serve.listen,
                tls: match (&serve.tls_cert, &serve.tls_key) {
                    (Some(cert), Some(key)) => Some(TlsFiles {
                        cert: cert.clone(),
                        key: key.clone(),
                    }),
                    _ => None,
                },
                behind_tls_proxy: serve.behind_tls_proxy,
            };
            let listener = HubListener::bind(&options)?;
            let scheme = if listener.is_tls() { "https" } else { "http" };
            eprintln!(
                "karte-hub: serving on {scheme}://{} (stop with Ctrl-C)",
                listener.local_addr()
            );
            let photos = serve.photos.clone().unwrap_or(default_photos);
            let photo_store = karte_hub::FsPhotoStore::open(&photos)
                .with_context(|| format!("opening the photo folder {}", photos.display()))?;
            let hub = Hub::new(store, SystemClock, HubConfig::default())
                .with_photos(std::sync::Arc::new(photo_store));
            listener.serve(hub, shutdown_signal()).await?;
            eprintln!("karte-hub: stopped");
        }
        HubAction::Org(OrgCommand::Add {
            name,
            recovery_key_out,
            protect,
        }) => {
            let (org, key) = new_org(name, now, &random)?;
            let text = if *protect {
                let passphrase = key_file_passphrase()?;
                zeroize::Zeroizing::new(key.to_protected_file_text(passphrase.as_bytes(), &random)?)
            } else {
                key.to_file_text()
            };
            write_private_file(recovery_key_out, text.as_bytes())?;
            store.add_org(&org).await?;
            println!("{}", org.id);
            eprintln!(
                "organisation {} added; its recovery key is in {}: keep that file offline",
                org.name,
                recovery_key_out.display()
            );
        }
        HubAction::Org(OrgCommand::List) => {
            for org in store.list_orgs().await? {
                println!("{}\t{}", org.id, org.name);
            }
        }
        HubAction::Device(DeviceCommand::Invite { org, valid_hours }) => {
            let valid_for = Duration::from_secs(valid_hours.saturating_mul(3600));
            let invitation =
                invite_device(&store, &OrgId(org.clone()), valid_for, now, &random).await?;
            println!("{}", invitation.code);
            eprintln!(
                "one-time enrolment code for organisation {org}, valid until {}",
                invitation.expires_at.to_rfc3339()
            );
        }
        HubAction::Device(DeviceCommand::List { org }) => {
            let orgs = match org {
                Some(org) => vec![OrgId(org.clone())],
                None => store.list_orgs().await?.into_iter().map(|o| o.id).collect(),
            };
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "DEVICE\tORGANISATION\tSTATUS\tENROLLED\tLAST SEEN\tAUDIT SEQ"
            )?;
            for org in orgs {
                for device in store.list_devices(&org).await? {
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        device.id,
                        device.org,
                        device.status.as_str(),
                        device.enrolled_at.to_rfc3339(),
                        device
                            .last_seen
                            .map_or("never".to_owned(), |t| t.to_rfc3339()),
                        device
                            .audit_head
                            .map_or("-".to_owned(), |head| head.seq.to_string()),
                    )?;
                }
            }
        }
        HubAction::Chart(ChartCommand::Quarantined { org }) => {
            let org = org.clone().map(OrgId);
            let mut out = std::io::stdout().lock();
            writeln!(out, "ORGANISATION\tDEVICE\tCHART\tREASON\tSINCE\tREPORTED")?;
            for kept in store.quarantined(org.as_ref()).await? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    kept.org,
                    kept.device,
                    kept.doc,
                    kept.reason,
                    kept.since.to_rfc3339(),
                    kept.reported_at.to_rfc3339(),
                )?;
            }
        }
        HubAction::Restore { from: None } => {
            // A PostgreSQL database restored with pg_restore: its feed
            // gets a new identity.
            store.set_feed_identity(new_feed_identity()?).await?;
            eprintln!(
                "the feed has a new identity: devices give back what the restored database lacks at their next sync"
            );
        }
        HubAction::Backup { .. } | HubAction::Restore { .. } => {
            unreachable!("handled before the store is opened")
        }
        HubAction::MasterKey(_) => unreachable!("handled before the store is opened"),
        HubAction::Device(DeviceCommand::Revoke { device, lost }) => {
            store.revoke(&DeviceId(device.clone()), *lost).await?;
            if *lost {
                eprintln!(
                    "device {device} revoked as lost: it wipes its vault at its next contact"
                );
            } else {
                eprintln!(
                    "device {device} revoked: at its next contact it hands in its own unsynced work, then wipes; it is refused after that"
                );
            }
        }
        HubAction::Org(OrgCommand::Policy {
            org,
            lock_after_days,
            ..
        }) => {
            let days = lock_after_days.filter(|days| *days > 0);
            if lock_after_days.is_some() && days.is_none() {
                bail!("--lock-after-days must be at least 1");
            }
            store.set_lock_policy(&OrgId(org.clone()), days).await?;
            match days {
                Some(days) => eprintln!(
                    "devices of organisation {org} lock after {days} days without the hub, from their next sync on; unlock one with `karte-hub device unlock-code DEVICE`"
                ),
                None => eprintln!(
                    "devices of organisation {org} no longer lock, from their next sync on"
                ),
            }
        }
        HubAction::Org(OrgCommand::SigningKey(SigningKeyCommand::New { org, .. })) => {
            // Made if missing, in the same write that gives it.
            let (public_key, _) = store.org_trust(&OrgId(org.clone()), now).await?;
            println!("{}", hex::encode(public_key));
            eprintln!(
                "organisation {org}'s signing key (public half above): devices learn it at enrolment or at their next sync"
            );
        }
        HubAction::Device(DeviceCommand::UnlockCode { device, .. }) => {
            let (number, code) = store
                .issue_unlock_code(&DeviceId(device.clone()), now)
                .await?;
            println!("{code}");
            eprintln!(
                "unlock code {number} of device {device}: read it to the device's user, who enters it with their passphrase (`karte unlock-code CODE`, or the app's unlock screen); it works once"
            );
        }
        HubAction::Device(DeviceCommand::Audit { device, .. }) => {
            device_audit(&store, &DeviceId(device.clone())).await?;
        }
        HubAction::Share(command) => share(&store, command, now).await?,
    }
    Ok(())
}

/// `karte-hub device audit DEVICE`: the log the device handed in, one
/// entry a line, its chain checked again as it is read.
async fn device_audit(store: &impl HubStore, device: &DeviceId) -> Result<()> {
    if store.device(device).await?.is_none() {
        bail!("device {device} is not enrolled at this hub: see `karte-hub device list`");
    }
    let entries = store.device_audit(device).await?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "SEQ\tAT\tUSER\tACTION\tPATIENT\tDETAIL\tRECEIVED\tSIGNED\tHASH"
    )?;
    let mut previous = [0u8; 32];
    let mut broken = None;
    for (held, expected) in entries.iter().zip(1u64..) {
        let record = &held.record;
        if broken.is_none() && (record.seq != expected || !record.follows(&previous)) {
            broken = Some(record.seq);
        }
        previous = record.hash;
        let Some(entry) = record.entry() else {
            broken.get_or_insert(record.seq);
            continue;
        };
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            entry.seq,
            entry.event.at.to_rfc3339(),
            entry.user_name,
            action_words(&entry.event.action),
            entry.event.patient.as_ref().map_or("-", |p| p.as_str()),
            entry.event.detail,
            held.received_at.to_rfc3339(),
            if held.signature.is_some() { "yes" } else { "" },
            &entry.hash_hex()[..16],
        )?;
    }
    match broken {
        Some(seq) => bail!(
            "the audit log held for device {device} is broken at entry {seq}: rows were removed or changed in the hub's database"
        ),
        None => eprintln!(
            "{} entries held for device {device}, their chain intact",
            entries.len()
        ),
    }
    Ok(())
}

/// An audit action in a word or two: its kind and what it names
/// (`chart-edit visit.record`).
fn action_words(action: &karte_types::AuditAction) -> String {
    match serde_json::to_value(action) {
        Ok(serde_json::Value::Object(fields)) => {
            let kind = fields.get("kind").and_then(|v| v.as_str());
            let rest = fields
                .iter()
                .filter(|(name, _)| *name != "kind")
                .filter_map(|(_, value)| value.as_str());
            kind.into_iter().chain(rest).collect::<Vec<_>>().join(" ")
        }
        _ => "-".to_owned(),
    }
}

/// `karte-hub share …`: an organisation's consent to charts shared into it.
async fn share(store: &impl HubStore, command: &ShareCommand, now: Timestamp) -> Result<()> {
    match command {
        ShareCommand::Accept { org, from } => {
            store
                .accept_shares_from(&OrgId(org.clone()), &OrgId(from.clone()))
                .await?;
            eprintln!("organisation {org} now accepts charts shared by {from}");
        }
        ShareCommand::ApproveEach { org, off } => {
            store.approve_each_share(&OrgId(org.clone()), !off).await?;
            if *off {
                eprintln!(
                    "organisation {org} refuses shares from organisations it does not accept"
                );
            } else {
                eprintln!(
                    "shares into organisation {org} from organisations it does not accept wait for approval: see `karte-hub share pending --org {org}`"
                );
            }
        }
        ShareCommand::Rules { org } => {
            let rules = store.share_rules(&OrgId(org.clone())).await?;
            for from in &rules.accept_from {
                println!("accept\t{from}");
            }
            let others = if rules.approve_each {
                "approve"
            } else {
                "refuse"
            };
            println!("others\t{others}");
        }
        ShareCommand::Pending { org } => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "CHART\tFROM\tDEVICE\tREQUESTED")?;
            for pending in store.pending_shares(&OrgId(org.clone())).await? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    pending.doc,
                    pending.from_org,
                    pending.device,
                    pending.requested_at.to_rfc3339()
                )?;
            }
        }
        ShareCommand::Approve { org, chart } => {
            store
                .approve_share(&PatientId(chart.clone()), &OrgId(org.clone()), now)
                .await?;
            eprintln!(
                "chart {chart} is shared with organisation {org}: it reaches its devices at their next sync"
            );
        }
        ShareCommand::Reject { org, chart } => {
            store
                .reject_share(&PatientId(chart.clone()), &OrgId(org.clone()))
                .await?;
            eprintln!("the share of chart {chart} with organisation {org} was rejected");
        }
    }
    Ok(())
}

/// Writes a secret to a new file only its owner may read; an existing file
/// is never overwritten.
/// The passphrase that protects a new recovery key file: from
/// `KARTE_RECOVERY_PASSPHRASE`, else asked twice.
fn key_file_passphrase() -> Result<zeroize::Zeroizing<String>> {
    const VARIABLE: &str = "KARTE_RECOVERY_PASSPHRASE";
    let value = match std::env::var(VARIABLE) {
        Ok(value) => zeroize::Zeroizing::new(value),
        Err(_) => {
            let prompt = "Passphrase for the recovery key file: ";
            let first =
                zeroize::Zeroizing::new(rpassword::prompt_password(prompt).with_context(|| {
                    format!("could not read a passphrase: run in a terminal or set {VARIABLE}")
                })?);
            let again = zeroize::Zeroizing::new(rpassword::prompt_password("Again: ")?);
            anyhow::ensure!(*first == *again, "the two passphrases differ; try again");
            first
        }
    };
    anyhow::ensure!(
        value.chars().count() >= 12,
        "the recovery key file's passphrase needs at least 12 characters: it guards every vault of the organisation"
    );
    Ok(value)
}

fn write_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| {
        format!(
            "creating {} for the recovery key (an existing file is never overwritten)",
            path.display()
        )
    })?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing the recovery key to {}", path.display()))
}

/// Completes on Ctrl-C or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_named_by_its_url() {
        assert_eq!(
            database(Some("sqlite:/var/lib/karte/hub.sqlite")).unwrap(),
            Database::Sqlite(PathBuf::from("/var/lib/karte/hub.sqlite"))
        );
        assert_eq!(
            database(Some("postgres://karte@db/hub")).unwrap(),
            Database::Postgres("postgres://karte@db/hub".to_owned())
        );
        assert!(database(Some("mysql://x")).is_err());
        assert!(database(Some("sqlite:")).is_err());
    }

    #[test]
    fn a_private_file_is_new_and_for_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("recovery.key");
        write_private_file(&path, b"secret").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(write_private_file(&path, b"other").is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"secret");
    }
}
