//! Sync figures against a real hub on loopback: a fresh device's first
//! sync of many charts, a sync with nothing changed, a sync after a few
//! charts changed, and many devices syncing at once. Bytes are counted on
//! the wire by a relay in front of the hub (HTTP headers included) and
//! beside them the bodies the sync summary counts.

pub mod device;
pub mod hub;
mod load;
mod wire;

use std::path::Path;

use anyhow::{Context, Result};
use karte_api::types::{PatientId, PatientSummary};
use karte_api::{HttpTransport, SyncSummary};
use karte_record::{ChangeHash, Chart};
use karte_store::Vault;
use karte_sync::cover::{AuthorKeys, CoverChange, check_covered};
use karte_sync::{ChangeSignature, DeviceKey, sign_change_hash};
use karte_test_support::{PASSPHRASE, visit};

use crate::Options;
use crate::plain::PlainStore;
use crate::report::{Figure, human_bytes, median_ms, time_ms};
use device::Device;
pub use hub::HUB_CHILD_FLAG;
use hub::{ChildHub, Storage};
use wire::CountingRelay;

pub const NOTES: &[&str] = &[
    "sync: one hub (SQLite) in a child process on 127.0.0.1, plain HTTP; devices are vaults driven",
    "through karte-api. Wire bytes are HTTP requests and answers with headers, counted by a relay.",
    "Baselines, same run: the charts' saved Automerge documents (and the time to save them again, for",
    "the first push of charts made offline); the same saved charts and list",
    "entries written into plain SQLite (no network, encryption or audit); a bare GET /v1/health made",
    "the same way (a new HTTP client, or a kept one); the saved size of the new changes plus 300 B;",
    "the idle hub's resident memory just after it started. The hub seals what it stores (encryption",
    "at rest); the load runs twice, sealed and in clear, and its throughput is shown beside the clear.",
];

/// Charts changed between the syncs of the third figure.
const CHANGED_CHARTS: usize = 10;

pub fn run(options: &Options) -> Result<Vec<Figure>> {
    let mut figures = Vec::new();
    let dir = tempfile::tempdir()?;
    let (hub, codes) = ChildHub::start(&dir.path().join("hub.sqlite"), Storage::Sealed, 1, 4)?;
    let relay = CountingRelay::start(hub.addr)?;
    let [code_first, code_counted, code_timed, code_twice] = &codes[0][..] else {
        anyhow::bail!("the hub was prepared with four enrolment codes");
    };

    // ---- a hub holding the charts of a first device ----
    eprintln!(
        "filling the hub with {} demo charts from a first device …",
        options.patients
    );
    let mut first = Device::new()?;
    first.session().demo(options.patients, 1, |_| {})?;
    // The charts as the hub will send them whole, with their list entries.
    let whole_charts = first.locked(|path| {
        stored_charts(path)?
            .into_iter()
            .map(|(id, chart)| Ok((id, chart.save(), chart.summary()?)))
            .collect::<Result<Vec<_>>>()
    })?;
    let saved: u64 = whole_charts
        .iter()
        .map(|(_, bytes, _)| bytes.len() as u64)
        .sum();
    // The baseline of the first push: saving the same charts again.
    let save_ms = first.locked(|path| {
        let charts = stored_charts(path)?;
        time_ms(|| {
            for (_, chart) in &charts {
                std::hint::black_box(chart.save());
            }
            Ok(())
        })
    })?;
    // The cover rule over every chart, as the hub runs it on a chart pushed
    // whole, beside reading the chart's changes, which the hub does anyway.
    let device = first.locked(|path| {
        let vault = Vault::open(path)?.unlock("bench", PASSPHRASE)?;
        let device = vault.device_id().clone();
        vault.lock();
        Ok(device)
    })?;
    let saved_charts: Vec<&[u8]> = whole_charts.iter().map(|(_, b, _)| b.as_slice()).collect();
    let cover = cover_rule(&device, &saved_charts)?;
    first.enrol(&hub.url, code_first, "first")?;
    // ---- first push of charts made offline: counted through the relay and timed ----
    relay.take();
    let mut pushed = SyncSummary::default();
    let push_ms = time_ms(|| {
        pushed = sync_through(&mut first, &relay.url)?;
        Ok(())
    })?;
    let push_wire = relay.take();
    anyhow::ensure!(
        pushed.pushed_charts == options.patients,
        "the first push sent {} charts of {}: {pushed}",
        pushed.pushed_charts,
        options.patients
    );
    // The hub works out in the background what a device receiving each
    // chart whole would file; a device syncing before it has finished
    // loads the charts not yet worked out itself.
    let arrivals_ms = time_ms(|| arrivals_settled(&health_client()?, &hub.url))?;

    // ---- first sync of a fresh device: counted through the relay, timed directly ----
    let mut counted = Device::enrolled(&hub.url, code_counted, "counted")?;
    relay.take();
    let whole = sync_through(&mut counted, &relay.url)?;
    let wire = relay.take();
    anyhow::ensure!(
        whole.received_whole == options.patients,
        "the fresh device received {} charts whole of {}: {whole}",
        whole.received_whole,
        options.patients
    );
    let mut timed = Device::enrolled(&hub.url, code_timed, "timed")?;
    let first_ms = time_ms(|| {
        timed.session().sync(|_| {})?;
        Ok(())
    })?;
    let charts = options.patients;
    figures.push(Figure::bytes(
        &format!("first sync, {charts} charts: bytes on the wire"),
        wire.both(),
        saved,
        "≤ 1.2× saved charts",
    ));
    figures.push(Figure::bytes(
        "  … of which sync bodies",
        whole.bytes_sent + whole.bytes_received,
        saved,
        "",
    ));
    let plain_ms = time_ms(|| store_plainly(&whole_charts, dir.path()))?;
    figures.push(Figure::new(
        &format!(
            "first sync, {charts} charts: time ({} requests)",
            whole.requests
        ),
        first_ms,
        plain_ms,
        "< 1 s",
    ));
    figures.push(Figure::bytes(
        &format!("first push, {charts} offline charts: bytes on the wire"),
        push_wire.both(),
        saved,
        "≤ 1.2× saved charts",
    ));
    figures.push(Figure::count(
        "  … requests (pages ≤ 4 MiB)",
        pushed.requests as u64,
        1,
        "",
    ));
    figures.push(Figure::new(
        &format!("first push, {charts} offline charts: time"),
        push_ms,
        save_ms,
        "< 5 s",
    ));
    figures.push(Figure::new(
        &format!(
            "cover rule, {charts} charts ({} changes, at most {} in one): time",
            cover.changes, cover.most
        ),
        cover.check_ms,
        cover.read_ms,
        "≪ reading the changes",
    ));
    figures.push(Figure::alone(
        &format!("  … hub's background work after the {charts} charts were pushed"),
        format!("{arrivals_ms:.0} ms"),
        "",
    ));

    // ---- a sync with nothing changed ----
    relay.take();
    let quiet = sync_through(&mut timed, &relay.url)?;
    let quiet_wire = relay.take();
    health(&health_client()?, &relay.url)?;
    let health_wire = relay.take();
    figures.push(Figure::count(
        "nothing changed: requests",
        quiet.requests as u64,
        1,
        "1",
    ));
    figures.push(Figure::bytes(
        "nothing changed: bytes both ways on the wire",
        quiet_wire.both(),
        health_wire.both(),
        "< 1 KB",
    ));
    figures.push(Figure::bytes(
        "  … of which sync bodies",
        quiet.bytes_sent + quiet.bytes_received,
        health_wire.both(),
        "",
    ));
    let quiet_ms = median_ms(options.samples, || {
        timed.session().sync(|_| {})?;
        Ok(())
    })?;
    let health_ms = median_ms(options.samples, || health(&health_client()?, &hub.url))?;
    figures.push(Figure::new(
        "nothing changed: sync, new connection (median)",
        quiet_ms,
        health_ms,
        "< 5 ms",
    ));
    let mut kept = HttpTransport::new(&hub.url)?;
    let kept_ms = median_ms(options.samples, || {
        timed.session().sync_with(&mut kept, |_| {})?;
        Ok(())
    })?;
    let client = health_client()?;
    let kept_health_ms = median_ms(options.samples, || health(&client, &hub.url))?;
    figures.push(Figure::new(
        "nothing changed: sync, connection kept (median)",
        kept_ms,
        kept_health_ms,
        "< 5 ms",
    ));

    // ---- a sync after a few charts changed: one round counted, then timed ones ----
    let changed: Vec<PatientId> = first
        .session()
        .patients("")?
        .into_iter()
        .take(CHANGED_CHARTS)
        .map(|p| p.id)
        .collect();
    let heads = first.locked(|path| {
        Ok(stored_charts(path)?
            .into_iter()
            .filter(|(id, _)| changed.contains(id))
            .map(|(id, chart)| (id, chart.heads()))
            .collect::<Vec<(PatientId, Vec<ChangeHash>)>>())
    })?;
    edit(&mut first, &changed, 0)?;
    let change_bytes: u64 = first.locked(|path| {
        Ok(stored_charts(path)?
            .iter()
            .filter_map(|(id, chart)| {
                let (_, before) = heads.iter().find(|(h, _)| h == id)?;
                Some(chart.save_after(before).len() as u64)
            })
            .sum())
    })?;
    relay.take();
    let push = sync_through(&mut first, &relay.url)?;
    let push_wire = relay.take();
    let pull = sync_through(&mut counted, &relay.url)?;
    let pull_wire = relay.take();
    timed.session().sync(|_| {})?;
    let n = changed.len();
    let budget = change_bytes + 300;
    figures.push(Figure::count(
        &format!("{n} charts changed: push, requests"),
        push.requests as u64,
        1,
        "1",
    ));
    figures.push(Figure::count(
        &format!("{n} charts changed: pull, requests"),
        pull.requests as u64,
        1,
        "1",
    ));
    figures.push(Figure::bytes(
        &format!("{n} charts changed: push, bytes on the wire"),
        push_wire.both(),
        budget,
        "≤ 2× (changes + 300 B)",
    ));
    figures.push(Figure::bytes(
        &format!("{n} charts changed: pull, bytes on the wire"),
        pull_wire.both(),
        budget,
        "≤ 2× (changes + 300 B)",
    ));
    figures.push(Figure::bytes(
        "  … push and pull, sync bodies",
        push.bytes_sent + push.bytes_received + pull.bytes_sent + pull.bytes_received,
        2 * budget,
        "",
    ));
    let rounds = options.samples.clamp(1, 10);
    let (mut push_ms, mut pull_ms) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        edit(&mut first, &changed, round)?;
        push_ms.push(time_ms(|| {
            first.session().sync(|_| {})?;
            Ok(())
        })?);
        pull_ms.push(time_ms(|| {
            timed.session().sync(|_| {})?;
            Ok(())
        })?);
    }
    figures.push(Figure::new(
        &format!("{n} charts changed: push (median of {rounds})"),
        crate::report::median(&mut push_ms),
        health_ms,
        "",
    ));
    figures.push(Figure::new(
        &format!("{n} charts changed: pull (median of {rounds})"),
        crate::report::median(&mut pull_ms),
        health_ms,
        "",
    ));
    eprintln!(
        "changes of one round: {} saved; first sync {whole}",
        human_bytes(change_bytes)
    );
    // Twice as many charts made offline on another device also push, in pages.
    let mut twice = Device::new()?;
    twice.session().demo(2 * options.patients, 2, |_| {})?;
    twice.enrol(&hub.url, code_twice, "twice")?;
    let doubled = twice.session().sync(|_| {})?;
    anyhow::ensure!(
        doubled.pushed_charts == 2 * options.patients,
        "the device with {} charts pushed {}: {doubled}",
        2 * options.patients,
        doubled.pushed_charts
    );
    figures.push(Figure::alone(
        &format!("first push, {} offline charts", 2 * options.patients),
        format!("no error, {} requests", doubled.requests),
        "no error",
    ));
    drop(hub);

    // ---- many devices at once ----
    figures.extend(load::run(options, dir.path())?);
    Ok(figures)
}

fn sync_through(device: &mut Device, url: &str) -> Result<SyncSummary> {
    let mut transport = HttpTransport::new(url)?;
    Ok(device.session().sync_with(&mut transport, |_| {})?)
}

/// Records a visit on each chart of `ids`, a different one each round.
fn edit(device: &mut Device, ids: &[PatientId], round: usize) -> Result<()> {
    for (k, id) in ids.iter().enumerate() {
        let minutes = 1_000_000 + (round * 100 + k) as i64 * 60;
        device
            .session()
            .record_visit(id, &visit(minutes, 60 + (k % 40) as u16))?;
    }
    Ok(())
}

/// The first sync's baseline: the same saved charts and list entries
/// written into plain, unencrypted SQLite with the vault's durability, one
/// transaction each, with no network, protocol, encryption or audit.
fn store_plainly(charts: &[(PatientId, Vec<u8>, PatientSummary)], dir: &Path) -> Result<()> {
    let mut plain = PlainStore::create(&dir.join("plain-first-sync.sqlite"))?;
    plain.insert_documents(charts.iter().map(|(id, bytes, _)| (id, bytes.as_slice())))?;
    let summaries: Vec<PatientSummary> = charts.iter().map(|(_, _, s)| s.clone()).collect();
    plain.insert_index(&summaries)
}

/// The cover rule's cost over saved charts of one device.
struct CoverRun {
    /// Checking every chart's changes against its tips' signatures.
    check_ms: f64,
    /// The baseline: loading each chart and listing its changes.
    read_ms: f64,
    changes: usize,
    most: usize,
}

/// Checks each saved chart of `device` by the cover rule, its heads (all
/// the device's own, so its tips) signed by a key made for the run.
fn cover_rule(device: &karte_api::types::DeviceId, saved: &[&[u8]]) -> Result<CoverRun> {
    let (key, _) = DeviceKey::generate(&ring::rand::SystemRandom::new())?;
    let keys: AuthorKeys = [(device.clone(), key.public_key())].into_iter().collect();
    let mut run = CoverRun {
        check_ms: 0.0,
        read_ms: 0.0,
        changes: 0,
        most: 0,
    };
    for bytes in saved {
        let started = std::time::Instant::now();
        let document = automerge::Automerge::load(bytes)?;
        let changes = document.get_changes(&[]);
        run.read_ms += started.elapsed().as_secs_f64() * 1_000.0;
        let tips: Vec<ChangeSignature> = document
            .get_heads()
            .iter()
            .map(|head| ChangeSignature {
                hash: head.0,
                device: device.clone(),
                signature: sign_change_hash(&key, &head.0),
            })
            .collect();
        let started = std::time::Instant::now();
        let list: Vec<CoverChange<'_>> = changes.iter().map(CoverChange::from).collect();
        check_covered(&list, &tips, &keys, &|_| false)?;
        run.check_ms += started.elapsed().as_secs_f64() * 1_000.0;
        run.changes += changes.len();
        run.most = run.most.max(changes.len());
    }
    Ok(run)
}

/// Every chart stored in the locked vault at `path`.
pub fn stored_charts(path: &Path) -> Result<Vec<(PatientId, Chart)>> {
    let vault = Vault::open(path)?.unlock("bench", PASSPHRASE)?;
    let actor = karte_record::actor_for(vault.device_id(), [7; 16]);
    let mut charts = Vec::new();
    for id in vault.document_ids()? {
        let chunks = vault.load_document(&id)?;
        let slices: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        charts.push((id, Chart::load(actor.clone(), &slices)?));
    }
    vault.lock();
    Ok(charts)
}

/// An HTTP client built as the sync client builds its own.
fn health_client() -> Result<reqwest::blocking::Client> {
    // The sync client installs ring as rustls's provider; this one may come first.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(reqwest::blocking::Client::builder()
        .user_agent(concat!("karte/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Waits until the hub reports no chart's arrival left to work out.
fn arrivals_settled(client: &reqwest::blocking::Client, url: &str) -> Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    loop {
        let body = client
            .get(format!("{url}/v1/health"))
            .send()
            .context("asking the hub's health")?
            .bytes()?;
        let health: serde_json::Value =
            serde_json::from_slice(&body).context("reading the hub's health")?;
        if health["arrivals_pending"] == 0 {
            return Ok(());
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the hub still had arrivals to work out after ten minutes: {health}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A bare round trip to the hub: `GET /v1/health`.
fn health(client: &reqwest::blocking::Client, url: &str) -> Result<()> {
    let response = client
        .get(format!("{url}/v1/health"))
        .send()
        .context("asking the hub's health")?;
    anyhow::ensure!(
        response.status().is_success(),
        "the hub's health: {}",
        response.status()
    );
    response.bytes()?;
    Ok(())
}
