//! Timing, sizes and the printed table of figures with their baselines.

use std::path::Path;
use std::time::Instant;

use anyhow::Result;

/// Milliseconds one run of `f` takes.
pub fn time_ms(f: impl FnOnce() -> Result<()>) -> Result<f64> {
    let started = Instant::now();
    f()?;
    Ok(started.elapsed().as_secs_f64() * 1_000.0)
}

pub fn median(times: &mut [f64]) -> f64 {
    times.sort_by(f64::total_cmp);
    times.get(times.len() / 2).copied().unwrap_or(f64::NAN)
}

/// The median of `samples` runs of `f`, after one warm-up run.
pub fn median_ms(samples: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    f()?;
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        times.push(time_ms(&mut f)?);
    }
    Ok(median(&mut times))
}

/// The gzip-compressed size of what `write` writes, without holding it.
pub fn gzip_len(write: impl FnOnce(&mut dyn std::io::Write) -> Result<()>) -> Result<u64> {
    let mut encoder =
        flate2::write::GzEncoder::new(CountingSink::default(), flate2::Compression::default());
    write(&mut encoder)?;
    Ok(encoder.finish()?.0)
}

/// Counts bytes and drops them.
#[derive(Default)]
struct CountingSink(u64);

impl std::io::Write for CountingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The size of a file together with its side files (`-wal`, `-shm`, …).
pub fn files_size(dir: &Path, name: &str) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with(name) {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}

pub struct Figure {
    name: String,
    value: String,
    baseline: String,
    ratio: f64,
    target: &'static str,
}

impl Figure {
    pub fn new(name: &str, ms: f64, baseline_ms: f64, target: &'static str) -> Figure {
        Figure {
            name: name.to_owned(),
            value: format!("{ms:.2} ms"),
            baseline: format!("{baseline_ms:.2} ms"),
            ratio: ms / baseline_ms,
            target,
        }
    }

    pub fn bytes(name: &str, bytes: u64, baseline: u64, target: &'static str) -> Figure {
        let kib = |b: u64| format!("{:.0} KiB", b as f64 / 1024.0);
        Figure {
            name: name.to_owned(),
            value: kib(bytes),
            baseline: kib(baseline),
            ratio: bytes as f64 / baseline as f64,
            target,
        }
    }
}

pub fn print(figures: &[Figure]) {
    println!(
        "\n{:<46} {:>12} {:>12} {:>8}   target",
        "figure", "karte", "baseline", "ratio"
    );
    for f in figures {
        println!(
            "{:<46} {:>12} {:>12} {:>7.2}×   {}",
            f.name, f.value, f.baseline, f.ratio, f.target
        );
    }
    println!(
        "\nbaseline: the same documents in plain unencrypted SQLite (WAL, synchronous=FULL), same run;"
    );
    println!("for size, the same charts as gzip-compressed FHIR R4 JSON.");
}
