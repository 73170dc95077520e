//! `karte peer serve` and `karte peer sync`: sync with another device of
//! the organisation on the local network, without the hub. Progress goes
//! to standard error, the summary to standard output, Japanese first.

use anyhow::Result;
use karte_api::{AdvertisedDay, PeerSummary, human_bytes};

/// How long a listening device waits for a device to dial before it looks
/// whether the day turned.
const LOOK_AGAIN: std::time::Duration = std::time::Duration::from_secs(30);

use crate::args::{Cli, PeerCommand};
use crate::open;

pub fn run(cli: &Cli, command: &PeerCommand) -> Result<()> {
    match command {
        PeerCommand::Serve {
            listen,
            once,
            no_advertise,
        } => serve(cli, listen, *once, *no_advertise),
        PeerCommand::Sync {
            address,
            team,
            json,
        } => sync(cli, address, team.as_deref(), *json),
        PeerCommand::List { wait } => list(cli, *wait),
    }
}

fn serve(cli: &Cli, listen: &str, once: bool, no_advertise: bool) -> Result<()> {
    let mut session = open(cli)?;
    let listener = session.peer_listen(listen)?;
    let address = listener.local_addr()?;
    // The first line names the address, so a script (or a test) can read
    // the port picked for `:0`.
    eprintln!("近くの端末からの同期を待っています / waiting for nearby devices on {address}");
    let advertising = !no_advertise && !address.ip().is_loopback();
    let mut advertised = AdvertisedDay::default();
    let mut advert = None;
    loop {
        // The tag is the day's: a device listening past midnight (UTC)
        // advertises anew, or browsers stop recognising it a day later.
        if advertising && let Some(day) = advertised.turn(session.now()) {
            drop(advert.take());
            let tag = session.peer_group_tag(day)?;
            match karte_peer::advertise(address.port(), &tag) {
                Ok(new) => advert = Some(new),
                Err(error) => eprintln!(
                    "error[{}]: {error} (not advertised; give the address)",
                    error.code()
                ),
            }
        }
        let step = |step: &str| eprintln!("  {}", step_words(step));
        match session.peer_serve_within(&listener, LOOK_AGAIN, step) {
            Ok(None) => continue,
            Ok(Some(summary)) => println!("{}", words(&summary)),
            Err(error) if once => return Err(error.into()),
            // One device's refusal or broken link ends that session only.
            Err(error) => eprintln!("error[{}]: {error}", error.code()),
        }
        if once {
            drop(advert);
            return Ok(());
        }
    }
}

/// One line per device of the organisation heard on the network: its
/// addresses, to give `karte peer sync`.
fn list(cli: &Cli, wait: u64) -> Result<()> {
    let session = open(cli)?;
    let tags = session.peer_group_tags()?;
    eprintln!("近くの端末を探しています / looking for nearby devices ({wait} s)");
    let found = karte_peer::browse(std::time::Duration::from_secs(wait), &tags)?;
    if found.is_empty() {
        eprintln!("見つかりませんでした / none found");
    }
    for device in found {
        let addresses: Vec<String> = device.addresses.iter().map(ToString::to_string).collect();
        println!("{}", addresses.join(" "));
    }
    Ok(())
}

fn sync(cli: &Cli, address: &str, team: Option<&str>, json: bool) -> Result<()> {
    let mut session = open(cli)?;
    eprintln!("{address} に接続しています / connecting to {address}");
    let summary =
        session.peer_sync_for(address, team, |step| eprintln!("  {}", step_words(step)))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&json_summary(&summary))?);
    } else {
        println!("{}", words(&summary));
    }
    Ok(())
}

fn step_words(step: &str) -> &'static str {
    match step {
        "hello" => "相手の端末を確認しました / the other device is a member",
        "received" => "受け取ったカルテを確認して保存しました / received charts checked and saved",
        "sent" => "カルテを送りました / charts sent",
        _ => "…",
    }
}

/// The summary in one line per language.
fn words(summary: &PeerSummary) -> String {
    let peer = summary
        .peer
        .as_ref()
        .map_or_else(|| "?".to_owned(), ToString::to_string);
    let mut ja = format!(
        "端末 {peer} と同期しました: 送信 {} 件 ({} カルテ), 受信 {} 件 ({} カルテ)",
        summary.sent_changes,
        summary.sent_charts,
        summary.received_changes,
        summary.received_charts,
    );
    let mut en = format!(
        "synced with device {peer}: sent {} in {}, received {} in {}; {}, {} sent, {} received",
        plural(summary.sent_changes, "change"),
        plural(summary.sent_charts, "chart"),
        plural(summary.received_changes, "change"),
        plural(summary.received_charts, "chart"),
        plural(summary.round_trips, "round trip"),
        human_bytes(summary.bytes_sent),
        human_bytes(summary.bytes_received),
    );
    for refused in summary.refused.iter().chain(&summary.refused_by_peer) {
        ja.push_str(&format!(
            "; カルテ {} は受け取りを拒否 ({})",
            refused.doc, refused.code
        ));
        en.push_str(&format!(
            "; chart {} refused ({})",
            refused.doc, refused.code
        ));
    }
    if summary.clock_difference_ms.abs() > karte_api::PEER_CLOCK_WARNING_MS {
        let minutes = summary.clock_difference_ms / 60_000;
        ja.push_str(&format!("; 相手の時計が {minutes} 分ずれています"));
        en.push_str(&format!(
            "; the other device's clock is {minutes} minutes off"
        ));
    }
    format!("{ja}\n{en}")
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn json_summary(summary: &PeerSummary) -> serde_json::Value {
    let refusals = |list: &[karte_api::PeerRefusal]| {
        list.iter()
            .map(|r| serde_json::json!({"doc": r.doc.to_string(), "code": r.code}))
            .collect::<Vec<_>>()
    };
    serde_json::json!({
        "peer": summary.peer.as_ref().map(ToString::to_string),
        "sent_changes": summary.sent_changes,
        "sent_charts": summary.sent_charts,
        "received_changes": summary.received_changes,
        "received_charts": summary.received_charts,
        "refused": refusals(&summary.refused),
        "refused_by_peer": refusals(&summary.refused_by_peer),
        "round_trips": summary.round_trips,
        "bytes_sent": summary.bytes_sent,
        "bytes_received": summary.bytes_received,
        "clock_difference_ms": summary.clock_difference_ms,
    })
}
