//! `karte enrol`, `karte sync`, `karte share`, `karte unshare` and
//! `karte recover`: the
//! device's side of the regional hub. Progress goes to standard error, the
//! one-line summary to standard output.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, Result};
use karte_api::{ApiError, Environment, RecoveryPrivateKey, Session, SyncProgress};

use crate::args::{Cli, Enrol, Recover, Share, SyncArgs};
use crate::{open, secrets, vault_path};

pub fn enrol(cli: &Cli, args: &Enrol) -> Result<()> {
    let mut session = open(cli)?;
    let name = match &args.name {
        Some(name) => name.clone(),
        None => {
            let device = session.author().device.to_string();
            format!("karte {}", &device[..device.len().min(10)])
        }
    };
    let roots = extra_roots(args.ca_cert.as_deref())?;
    let enrolment = session.enrol_trusting(&args.hub, &args.code, &name, &roots)?;
    println!(
        "enrolled \"{}\" in {} ({}) at {}: sync with `karte sync`",
        enrolment.device_name, enrolment.org_name, enrolment.org_id, enrolment.hub_url
    );
    Ok(())
}

pub fn sync(cli: &Cli, args: &SyncArgs) -> Result<()> {
    let mut session = open(cli)?;
    let roots = extra_roots(args.ca_cert.as_deref())?;
    let summary = run_sync(&mut session, &roots)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!("{summary}");
        for line in waiting_lines(&summary) {
            println!("{line}");
        }
        if summary.wiped.is_none() {
            print_quarantined(&mut session)?;
        }
    }
    Ok(())
}

/// What a sync left waiting, in Japanese and English, one line each after
/// the summary: charts carried from another device that cannot go on to
/// the hub yet, and photos the charts name that are not on the hub yet.
fn waiting_lines(summary: &karte_api::SyncSummary) -> Vec<String> {
    let mut lines = Vec::new();
    if summary.unrelayed_charts > 0 {
        let count = summary.unrelayed_charts;
        lines.push(format!(
            "中継待ち: 別の端末の変更を含むカルテ {count} 件はまだハブへ送れません（その端末がハブと同期した後の同期で送られます） / \
             waiting to relay: {count} carried chart(s) with another device's changes cannot go to the hub yet (they go at a sync after that device has synced with the hub)"
        ));
    }
    if summary.photos_waiting > 0 {
        let count = summary.photos_waiting;
        lines.push(format!(
            "写真待ち: {count} 枚の写真はまだハブに届いていません（撮影した端末が同期した後に届きます） / \
             photos waiting: {count} photo(s) not on the hub yet (they arrive after the device that took them has synced)"
        ));
    }
    lines
}

/// One line per chart in quarantine, after the summary: which, and why.
fn print_quarantined(session: &mut Session) -> Result<()> {
    for kept in session.quarantined_charts()? {
        println!(
            "quarantined: chart {} ({}) since {}: received from the hub but not applicable here; \
             its last good state stays readable, and the hub's administrator is told",
            kept.patient,
            kept.reason.as_str(),
            kept.since.to_rfc3339(),
        );
    }
    Ok(())
}

pub fn share(cli: &Cli, args: &Share) -> Result<()> {
    let mut session = open(cli)?;
    let patient = session.resolve_patient(&args.patient)?;
    let roots = extra_roots(args.ca_cert.as_deref())?;
    session.share(&patient, &args.org)?;
    match run_sync(&mut session, &roots) {
        Ok(summary) if summary.shares_pending > 0 => println!(
            "the share of {patient} with {} waits for that organisation's administrator to approve it (`karte-hub share approve`); {summary}",
            args.org.trim()
        ),
        Ok(summary) => println!("shared {patient} with {}; {summary}", args.org.trim()),
        Err(error) if error.code() == "hub_unreachable" => println!(
            "the share of {patient} with {} is kept and goes with the next `karte sync` ({error})",
            args.org.trim()
        ),
        Err(error) => {
            // A share the hub refuses would fail every later sync: it is
            // withdrawn, and the refusal shown.
            session.withdraw_share(&patient, &args.org)?;
            return Err(error.into());
        }
    }
    Ok(())
}

pub fn unshare(cli: &Cli, args: &Share) -> Result<()> {
    let mut session = open(cli)?;
    let patient = session.resolve_patient(&args.patient)?;
    let roots = extra_roots(args.ca_cert.as_deref())?;
    session.unshare(&patient, &args.org)?;
    match run_sync(&mut session, &roots) {
        Ok(summary) => println!("{} no longer shares {patient}; {summary}", args.org.trim()),
        Err(error) if error.code() == "hub_unreachable" => println!(
            "the removal of {} from {patient}'s care circle is kept and goes with the next `karte sync` ({error})",
            args.org.trim()
        ),
        Err(error) => {
            // Refused now, refused at every later sync: withdrawn, and the
            // refusal shown.
            session.withdraw_unshare(&patient, &args.org)?;
            return Err(error.into());
        }
    }
    Ok(())
}

pub fn recover(cli: &Cli, args: &Recover) -> Result<()> {
    let path = vault_path(cli)?;
    let key_file = std::fs::read_to_string(&args.recovery_key)
        .with_context(|| format!("reading {}", args.recovery_key.display()))?;
    let key_passphrase = RecoveryPrivateKey::file_is_protected(&key_file)
        .then(|| {
            secrets::given_passphrase(
                "KARTE_RECOVERY_PASSPHRASE",
                "Passphrase of the recovery key file: ",
            )
        })
        .transpose()?;
    let new = secrets::new_passphrase("KARTE_NEW_PASSPHRASE", "New passphrase: ")?;
    let session = Session::recover(
        &path,
        cli.user.as_deref(),
        &key_file,
        key_passphrase.as_ref().map(|p| p.as_bytes()),
        new.as_bytes(),
        Environment::system(),
    )?;
    println!(
        "the vault is open again: {} now unlocks it with the new passphrase",
        session.user().name
    );
    Ok(())
}

/// The certificate authorities in `ca_cert` (PEM), or none.
fn extra_roots(ca_cert: Option<&Path>) -> Result<Vec<u8>> {
    match ca_cert {
        Some(file) => std::fs::read(file)
            .with_context(|| format!("reading the certificate authorities in {}", file.display())),
        None => Ok(Vec::new()),
    }
}

/// Syncs, also trusting the authorities in `roots_pem`, showing progress on
/// standard error when it is a terminal.
fn run_sync(session: &mut Session, roots_pem: &[u8]) -> Result<karte_api::SyncSummary, ApiError> {
    let terminal = std::io::stderr().is_terminal();
    let result = session.sync_trusting(roots_pem, |progress: SyncProgress| {
        let mut line = format!(
            "syncing: {} pages, {} charts, {} received",
            progress.pages,
            progress.charts,
            karte_api::human_bytes(progress.bytes_received)
        );
        if progress.photos > 0 {
            line.push_str(&format!(", {} photos", progress.photos));
        }
        let mut err = std::io::stderr();
        if terminal {
            let _ = write!(err, "\r{line}");
            let _ = err.flush();
        } else {
            let _ = writeln!(err, "{line}");
        }
    });
    if terminal {
        eprintln!();
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_sync_left_waiting_is_said_in_japanese_and_english() {
        let quiet = karte_api::SyncSummary::default();
        assert!(waiting_lines(&quiet).is_empty());
        let summary = karte_api::SyncSummary {
            unrelayed_charts: 2,
            photos_waiting: 3,
            ..Default::default()
        };
        let lines = waiting_lines(&summary);
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0].contains("カルテ 2 件はまだハブへ送れません"),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains("2 carried chart(s)"), "{}", lines[0]);
        assert!(
            lines[1].contains("3 枚の写真はまだハブに届いていません"),
            "{}",
            lines[1]
        );
        assert!(
            lines[1].contains("3 photo(s) not on the hub yet"),
            "{}",
            lines[1]
        );
    }
}
