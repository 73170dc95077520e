//! Carried bundles: a full bundle of demo charts made on one enrolled
//! device and imported on another, its size beside the charts' saved bytes,
//! the export beside saving the same charts again and the import beside
//! loading them, all in the same run.

use anyhow::{Context, Result};

use crate::Options;
use crate::report::{Figure, time_ms};
use crate::sync::device::Device;
use crate::sync::hub::{ChildHub, Storage};
use crate::sync::stored_charts;

pub const NOTES: &[&str] = &[
    "bundle: a full bundle (every chart whole with its tips' signatures) for the organisation's 2 devices;",
    "baselines: the same charts saved again (export) and loaded from their saved bytes (import), same run.",
];

/// Charts in the bundle (the figure), unless `--patients` asks for fewer.
const CHARTS: usize = 300;

pub fn run(options: &Options) -> Result<Vec<Figure>> {
    let charts = options.patients.min(CHARTS);
    let dir = tempfile::tempdir()?;
    let (hub, codes) = ChildHub::start(&dir.path().join("hub.sqlite"), Storage::Sealed, 1, 2)?;
    let [code_sender, code_receiver] = &codes[0][..] else {
        anyhow::bail!("the hub was prepared with two enrolment codes");
    };
    let mut sender = Device::enrolled(&hub.url, code_sender, "sender")?;
    let mut receiver = Device::enrolled(&hub.url, code_receiver, "receiver")?;
    // The sender learns the receiver's cert at its next sync.
    sender.session().sync(|_| {})?;
    eprintln!("making {charts} demo charts for a bundle …");
    sender.session().demo(charts, 1, |_| {})?;
    let org = sender
        .session()
        .enrolment()?
        .context("the sender is enrolled")?
        .org_id;

    let stored = sender.locked(stored_charts)?;
    let saved: Vec<Vec<u8>> = stored.iter().map(|(_, chart)| chart.save()).collect();
    let saved_bytes: u64 = saved.iter().map(|bytes| bytes.len() as u64).sum();
    let save_ms = time_ms(|| {
        for (_, chart) in &stored {
            std::hint::black_box(chart.save());
        }
        Ok(())
    })?;
    let load_ms = time_ms(|| {
        for bytes in &saved {
            std::hint::black_box(karte_record::Chart::saved_heads(bytes)?);
        }
        Ok(())
    })?;

    let file = dir.path().join("charts.kbn");
    let path = Some(file.to_string_lossy().into_owned());
    let mut made = None;
    let export_ms = time_ms(|| {
        made = Some(sender.session().bundle_export(&org, &false, &path)?);
        Ok(())
    })?;
    let made = made.context("the export ran")?;
    anyhow::ensure!(
        made.charts as usize == charts,
        "the bundle carries {} charts of {charts}",
        made.charts
    );
    let bytes = std::fs::read(&file)?;
    let mut imported = None;
    let import_ms = time_ms(|| {
        imported = Some(receiver.session().import_bundle(&bytes)?);
        Ok(())
    })?;
    let imported = imported.context("the import ran")?;
    anyhow::ensure!(
        imported.new_charts as usize == charts,
        "the import took {} charts of {charts}",
        imported.new_charts
    );
    Ok(vec![
        Figure::bytes(
            &format!("bundle of {charts} charts: file size"),
            bytes.len() as u64,
            saved_bytes,
            "≤ 1.1× saved charts",
        ),
        Figure::new(
            &format!("bundle export, {charts} charts (vs saving them)"),
            export_ms,
            save_ms,
            "",
        ),
        Figure::new(
            &format!("bundle import, {charts} charts (vs loading them)"),
            import_ms,
            load_ms,
            "",
        ),
    ])
}
