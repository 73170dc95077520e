//! Benchmarks of the clinical core and of sync with the hub, each printed
//! beside a baseline measured in the same run. The machine is shared and
//! noisy, so the ratios matter more than the absolute figures.
//!
//! `cargo xtask bench [-- --only core|sync|photos|bundle|disaster|peer --patients N --search-patients N
//! --samples N --devices N --seconds N]`

mod bundle;
mod clinical;
mod disaster;
mod peer;
mod photo_sync;
mod photos;
mod plain;
mod report;
mod sync;

use anyhow::{Context, Result};

/// Which half of the benchmarks to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Half {
    Both,
    Core,
    Sync,
    /// Only the wound photos' figure (part of the core's otherwise).
    Photos,
    /// Only the carried bundles' figures (part of sync's otherwise).
    Bundle,
    /// Only disaster mode's figures (part of the core's otherwise).
    Disaster,
    /// Only peer sync's figures (part of sync's otherwise).
    Peer,
}

#[derive(Debug)]
pub struct Options {
    pub only: Half,
    /// Demo charts in the core's vault and in the hub of the sync figures.
    pub patients: usize,
    pub search_patients: usize,
    pub samples: usize,
    /// Simulated devices of the load figure, and how long it lasts.
    pub devices: usize,
    pub seconds: u64,
}

const USAGE: &str = "use --only core|sync|photos|bundle|disaster|peer --patients N --search-patients N --samples N --devices N --seconds N";

fn options() -> Result<Options> {
    let mut options = Options {
        only: Half::Both,
        patients: 1_000,
        search_patients: 10_000,
        samples: 50,
        devices: 200,
        seconds: 60,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || -> Result<String> { args.next().context("a value must follow") };
        let number = |text: String| -> Result<usize> {
            text.parse()
                .with_context(|| format!("{arg} takes a number, not {text:?}"))
        };
        match arg.as_str() {
            "--only" => {
                options.only = match value()?.as_str() {
                    "core" => Half::Core,
                    "sync" => Half::Sync,
                    "photos" => Half::Photos,
                    "bundle" => Half::Bundle,
                    "disaster" => Half::Disaster,
                    "peer" => Half::Peer,
                    other => {
                        anyhow::bail!(
                            "--only takes core, sync, photos, bundle, disaster or peer, not {other:?}"
                        )
                    }
                }
            }
            "--patients" => options.patients = number(value()?)?,
            "--search-patients" => options.search_patients = number(value()?)?,
            "--samples" => options.samples = number(value()?)?,
            "--devices" => options.devices = number(value()?)?,
            "--seconds" => options.seconds = number(value()?)? as u64,
            // `cargo xtask bench -- …` passes its separator along.
            "--" => {}
            other => anyhow::bail!("unknown option {other}; {USAGE}"),
        }
    }
    Ok(options)
}

fn main() -> Result<()> {
    // The hub of the sync figures runs as this same program in a child
    // process, so its memory is its own.
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, db, key] = args.as_slice()
        && flag == sync::HUB_CHILD_FLAG
    {
        return sync::hub::serve_child(std::path::Path::new(db), key);
    }
    let options = options()?;
    if matches!(options.only, Half::Both | Half::Core) {
        let figures = clinical::run(&options)?;
        report::print(&figures, clinical::NOTES);
    }
    if matches!(options.only, Half::Both | Half::Core | Half::Disaster) {
        let figures = disaster::run(&options)?;
        report::print(&figures, disaster::NOTES);
    }
    if matches!(options.only, Half::Both | Half::Core | Half::Photos) {
        let figures = photos::run(&options)?;
        report::print(&figures, photos::NOTES);
    }
    if matches!(options.only, Half::Both | Half::Sync) {
        let figures = sync::run(&options)?;
        report::print(&figures, sync::NOTES);
    }
    if matches!(options.only, Half::Both | Half::Sync | Half::Photos) {
        let figures = photo_sync::run(&options)?;
        report::print(&figures, photo_sync::NOTES);
    }
    if matches!(options.only, Half::Both | Half::Sync | Half::Bundle) {
        let figures = bundle::run(&options)?;
        report::print(&figures, bundle::NOTES);
    }
    if matches!(options.only, Half::Both | Half::Sync | Half::Peer) {
        let figures = peer::run(&options)?;
        report::print(&figures, peer::NOTES);
    }
    Ok(())
}
