//! Peer sync between two devices on loopback (real TLS, the application's
//! own `peer_serve_one` and `peer_sync`): the first exchange of a team's
//! demo charts and a quiet exchange (nothing changed), beside the same
//! charts through the hub (a child process on loopback) in the same run:
//! the sender's first push plus another device's first pull, and a quiet
//! hub sync.

use anyhow::{Context, Result};
use karte_api::PeerSummary;

use crate::Options;
use crate::report::{Figure, median, time_ms};
use crate::sync::device::Device;
use crate::sync::hub::{ChildHub, Storage};

pub const NOTES: &[&str] = &[
    "peer: two enrolled devices on 127.0.0.1, TLS 1.3 with pinned device keys; the server serves one session a run;",
    "baseline: the same charts through the hub on 127.0.0.1 (sender's first push + a third device's first pull; a quiet hub sync), same run;",
    "peer bytes are the session's messages (hello with certs and revocation lists included), the TLS handshake and records not counted;",
    "hub bytes are the sync requests' and answers' bodies.",
];

/// Charts of the team (the figure), unless `--patients` asks for fewer.
const CHARTS: usize = 300;

/// One peer session: `server` serves while `dialler` dials; the dialler's
/// summary and how long the session took, in ms.
fn exchange(server: &mut Device, dialler: &mut Device) -> Result<(PeerSummary, f64)> {
    let listener = server.session().peer_listen("127.0.0.1:0")?;
    let address = listener.local_addr()?.to_string();
    // KARTE_BENCH_STEPS=1 prints when each side reached each step.
    let started = std::time::Instant::now();
    let step = move |side: &str, step: &str| {
        if std::env::var_os("KARTE_BENCH_STEPS").is_some() {
            eprintln!("  {side}: {step} at {:?}", started.elapsed());
        }
    };
    std::thread::scope(|scope| {
        let serving = scope.spawn(move || {
            server
                .session()
                .peer_serve_one(&listener, |s| step("server", s))
        });
        let mut said = None;
        let ms = time_ms(|| {
            said = Some(
                dialler
                    .session()
                    .peer_sync(&address, |s| step("dialler", s))?,
            );
            Ok(())
        });
        let served = serving
            .join()
            .map_err(|_| anyhow::anyhow!("the serving side panicked"))?;
        // The server's error says more than the dialler's broken link.
        let served = served.context("serving the session")?;
        let ms = ms?;
        drop(served);
        Ok((said.context("the session ran")?, ms))
    })
}

pub fn run(options: &Options) -> Result<Vec<Figure>> {
    let charts = options.patients.min(CHARTS);
    let samples = options.samples.clamp(1, 20);
    let dir = tempfile::tempdir()?;
    let (hub, codes) = ChildHub::start(&dir.path().join("hub.sqlite"), Storage::Sealed, 1, 3)?;
    let [code_sender, code_peer, code_puller] = &codes[0][..] else {
        anyhow::bail!("the hub was prepared with three enrolment codes");
    };
    let mut sender = Device::enrolled(&hub.url, code_sender, "sender")?;
    let mut peer = Device::enrolled(&hub.url, code_peer, "peer")?;
    let mut puller = Device::enrolled(&hub.url, code_puller, "puller")?;
    eprintln!("making {charts} demo charts for the peer figures …");
    sender.session().demo(charts, 1, |_| {})?;

    let (first, first_ms) = exchange(&mut sender, &mut peer)?;
    anyhow::ensure!(
        first.received_charts == charts,
        "the first exchange brought {} charts of {charts}",
        first.received_charts
    );
    let mut quiet_times = Vec::new();
    let mut quiet = PeerSummary::default();
    for _ in 0..samples {
        let (summary, ms) = exchange(&mut sender, &mut peer)?;
        anyhow::ensure!(
            summary.received_changes == 0 && summary.sent_changes == 0,
            "a quiet exchange moved changes: {summary:?}"
        );
        quiet_times.push(ms);
        quiet = summary;
    }

    let mut pushed = None;
    let push_ms = time_ms(|| {
        pushed = Some(sender.session().sync(|_| {})?);
        Ok(())
    })?;
    let pushed = pushed.context("the push ran")?;
    anyhow::ensure!(
        pushed.pushed_charts == charts,
        "the hub took {} charts of {charts}",
        pushed.pushed_charts
    );
    let mut pulled = None;
    let pull_ms = time_ms(|| {
        pulled = Some(puller.session().sync(|_| {})?);
        Ok(())
    })?;
    let pulled = pulled.context("the pull ran")?;
    anyhow::ensure!(
        pulled.received_charts == charts,
        "the puller got {} charts of {charts}",
        pulled.received_charts
    );
    let mut hub_quiet_times = Vec::new();
    let mut hub_quiet = None;
    for _ in 0..samples {
        let mut summary = None;
        hub_quiet_times.push(time_ms(|| {
            summary = Some(puller.session().sync(|_| {})?);
            Ok(())
        })?);
        hub_quiet = summary;
    }
    let hub_quiet = hub_quiet.context("the quiet syncs ran")?;
    drop(hub);

    Ok(vec![
        Figure::new(
            &format!("peer first exchange, {charts} charts (vs hub push+pull)"),
            first_ms,
            push_ms + pull_ms,
            "< 1 s",
        ),
        Figure::bytes(
            &format!("peer first exchange bytes, {charts} charts"),
            first.bytes_sent + first.bytes_received,
            pushed.bytes_sent + pushed.bytes_received + pulled.bytes_sent + pulled.bytes_received,
            "",
        ),
        Figure::new(
            "peer quiet exchange (vs quiet hub sync), median",
            median(&mut quiet_times),
            median(&mut hub_quiet_times),
            "",
        ),
        Figure::count(
            "peer quiet exchange: round trips after hello (vs requests)",
            quiet.round_trips as u64,
            hub_quiet.requests as u64,
            "1",
        ),
        Figure::bytes(
            "peer quiet exchange: session bytes (vs hub sync bodies)",
            quiet.bytes_sent + quiet.bytes_received,
            hub_quiet.bytes_sent + hub_quiet.bytes_received,
            "< 1 KB",
        ),
    ])
}
