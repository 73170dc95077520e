//! Many devices syncing at once against one hub for a bounded time. The
//! devices are in organisations of four that share fifty charts, so every
//! round brings each device its colleagues' changes as well as sending its
//! own; each round a device records a visit on a tenth of its charts, then
//! syncs over the connection it keeps. Only the syncs are timed.

use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use karte_api::HttpTransport;
use karte_api::types::PatientId;

use super::device::Device;
use super::edit;
use super::hub::{ChildHub, Storage};
use crate::Options;
use crate::report::{Figure, percentile};

/// Devices of one organisation; the first makes the shared charts.
const ORG_SIZE: usize = 4;
/// Charts each device holds.
const CHARTS: usize = 50;
/// Visits of a demo chart at most, so that setting up thousands of charts
/// takes seconds, not minutes; a chart is still many changes deep.
const MAX_VISITS: usize = 48;
/// A device thread's stack: Automerge recurses on deep documents.
const STACK_BYTES: usize = 8 * 1024 * 1024;

/// What one device saw.
#[derive(Default)]
struct DeviceRun {
    latencies_ms: Vec<f64>,
    errors: Vec<String>,
}

/// What one load run measured.
struct LoadRun {
    errors: Vec<String>,
    syncs: usize,
    elapsed_s: f64,
    latencies_ms: Vec<f64>,
    idle_kib: u64,
    setup_peak_kib: u64,
    peak_kib: u64,
}

impl LoadRun {
    fn throughput(&self) -> f64 {
        self.syncs as f64 / self.elapsed_s
    }
}

/// The load run twice on a new hub each time: its charts stored in clear,
/// then sealed (encryption at rest); the sealed run's figures, with its
/// throughput beside the clear run's.
pub fn run(options: &Options, dir: &Path) -> Result<Vec<Figure>> {
    let devices = options.devices.max(1);
    eprintln!("load, charts stored in clear (the baseline):");
    let clear = run_once(options, dir, Storage::Clear)?;
    eprintln!("load, charts sealed (encryption at rest):");
    let mut sealed = run_once(options, dir, Storage::Sealed)?;
    for error in clear.errors.iter().chain(&sealed.errors).take(5) {
        eprintln!("  sync error: {error}");
    }
    let p50 = percentile(&mut sealed.latencies_ms, 0.5);
    let p99 = percentile(&mut sealed.latencies_ms, 0.99);
    let label = "load";
    let mib = |kib: u64| format!("{:.0} MiB", kib as f64 / 1024.0);
    let (syncs, elapsed) = (sealed.syncs, sealed.elapsed_s);
    Ok(vec![
        Figure::beside(
            &format!("load, {devices} devices × {CHARTS} charts: errors (sealed, clear)"),
            (
                sealed.errors.len().to_string(),
                clear.errors.len().to_string(),
            ),
            f64::NAN,
            "0",
        ),
        Figure::beside(
            &format!("{label}: throughput sealed vs clear ({syncs} syncs in {elapsed:.0} s)"),
            (
                format!("{:.1}/s", sealed.throughput()),
                format!("{:.1}/s", clear.throughput()),
            ),
            sealed.throughput() / clear.throughput(),
            "≥ 0.9× clear",
        ),
        Figure::alone(
            &format!("{label}: sync latency p50"),
            format!("{p50:.1} ms"),
            "",
        ),
        Figure::alone(
            &format!("{label}: sync latency p99"),
            format!("{p99:.1} ms"),
            "",
        ),
        Figure::beside(
            &format!("{label}: hub peak memory, set-up"),
            (mib(sealed.setup_peak_kib), mib(sealed.idle_kib)),
            sealed.setup_peak_kib as f64 / sealed.idle_kib as f64,
            "",
        ),
        Figure::beside(
            &format!("{label}: hub peak memory, whole run"),
            (mib(sealed.peak_kib), mib(sealed.idle_kib)),
            sealed.peak_kib as f64 / sealed.idle_kib as f64,
            "",
        ),
    ])
}

fn run_once(options: &Options, dir: &Path, storage: Storage) -> Result<LoadRun> {
    let devices = options.devices.max(1);
    let orgs = devices.div_ceil(ORG_SIZE);
    let db = dir.join(format!("load-hub-{storage:?}.sqlite").to_lowercase());
    let (hub, codes) = ChildHub::start(&db, storage, orgs, ORG_SIZE)?;
    let idle_kib = hub.memory_kib()?;
    eprintln!("load: setting up {devices} devices in {orgs} organisations, {CHARTS} charts each …");
    let started = Instant::now();
    // Every device and this thread meet when set up, so the timed part
    // starts together.
    let ready = Arc::new(Barrier::new(devices + 1));
    let mut handles = Vec::with_capacity(devices);
    for (org, org_codes) in codes.iter().enumerate() {
        let members = ORG_SIZE.min(devices - org * ORG_SIZE);
        let charts_made = Arc::new(Barrier::new(members));
        for (member, code) in org_codes.iter().take(members).enumerate() {
            let code = code.clone();
            let url = hub.url.clone();
            let (ready, charts_made) = (ready.clone(), charts_made.clone());
            let seconds = options.seconds;
            let handle = std::thread::Builder::new()
                .stack_size(STACK_BYTES)
                .spawn(move || {
                    let name = format!("org {org} device {member}");
                    let device = set_up(&url, &code, &name, member == 0, org, &charts_made);
                    ready.wait();
                    let (mut device, ids) = device?;
                    let mut transport = HttpTransport::new(&url)?;
                    Ok(rounds(&mut device, &mut transport, &ids, seconds))
                })?;
            handles.push(handle);
        }
    }
    ready.wait();
    let setup_peak_kib = hub.peak_memory_kib()?;
    let load_started = Instant::now();
    eprintln!(
        "  set up in {:.1} s; syncing for {} s …",
        started.elapsed().as_secs_f64(),
        options.seconds
    );
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    for handle in handles {
        let run: Result<DeviceRun> = handle
            .join()
            .map_err(|_| anyhow::anyhow!("a device thread panicked"))?;
        let run = run.context("setting up a device")?;
        latencies.extend(run.latencies_ms);
        errors.extend(run.errors);
    }
    let elapsed_s = load_started.elapsed().as_secs_f64();
    let peak_kib = hub.peak_memory_kib()?;
    Ok(LoadRun {
        errors,
        syncs: latencies.len(),
        elapsed_s,
        latencies_ms: latencies,
        idle_kib,
        setup_peak_kib,
        peak_kib,
    })
}

/// Enrols a device; the organisation's first device makes its charts and
/// syncs them before the others' first syncs. Returns the device and the
/// ids of its charts.
fn set_up(
    url: &str,
    code: &str,
    name: &str,
    makes_charts: bool,
    org: usize,
    charts_made: &Barrier,
) -> Result<(Device, Vec<PatientId>)> {
    let made = (|| {
        let mut device = Device::enrolled(url, code, name)?;
        if makes_charts {
            device
                .session()
                .demo_limited(CHARTS, org as u64, Some(MAX_VISITS), |_| {})?;
            device.session().sync(|_| {})?;
        }
        Ok::<_, anyhow::Error>(device)
    })();
    // Meet even after a failure, so the others are not left waiting.
    charts_made.wait();
    let mut device = made?;
    device.session().sync(|_| {})?;
    let ids = device
        .session()
        .patients("")?
        .into_iter()
        .map(|p| p.id)
        .collect();
    Ok((device, ids))
}

/// Edits and syncs until `seconds` have passed.
fn rounds(
    device: &mut Device,
    transport: &mut HttpTransport,
    ids: &[PatientId],
    seconds: u64,
) -> DeviceRun {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let per_round = (ids.len() / 10).max(1);
    let mut run = DeviceRun::default();
    let mut round = 0;
    while Instant::now() < deadline {
        let start = (round * per_round) % ids.len().max(1);
        let chosen: Vec<PatientId> = ids
            .iter()
            .cycle()
            .skip(start)
            .take(per_round)
            .cloned()
            .collect();
        if let Err(error) = edit(device, &chosen, round) {
            run.errors.push(format!("editing: {error:#}"));
        }
        let started = Instant::now();
        match device.session().sync_with(transport, |_| {}) {
            Ok(_) => run
                .latencies_ms
                .push(started.elapsed().as_secs_f64() * 1_000.0),
            Err(error) => {
                run.errors.push(format!("{} ({error})", error.code()));
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        round += 1;
    }
    run
}
