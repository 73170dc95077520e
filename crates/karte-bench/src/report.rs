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

/// The value below which a share `p` (0 to 1) of `times` lie, by the
/// nearest rank.
pub fn percentile(times: &mut [f64], p: f64) -> f64 {
    times.sort_by(f64::total_cmp);
    let rank = (p * times.len() as f64).ceil() as usize;
    times
        .get(rank.saturating_sub(1))
        .copied()
        .unwrap_or(f64::NAN)
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

/// Bytes as people read them: exact below 10 KiB, where a few hundred
/// bytes matter, and in KiB above.
pub fn human_bytes(bytes: u64) -> String {
    if bytes < 10 * 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.0} KiB", bytes as f64 / 1024.0)
    }
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
        Figure {
            name: name.to_owned(),
            value: human_bytes(bytes),
            baseline: human_bytes(baseline),
            ratio: bytes as f64 / baseline as f64,
            target,
        }
    }

    pub fn count(name: &str, count: u64, baseline: u64, target: &'static str) -> Figure {
        Figure {
            name: name.to_owned(),
            value: count.to_string(),
            baseline: baseline.to_string(),
            ratio: count as f64 / baseline as f64,
            target,
        }
    }

    /// A figure that has no baseline to stand beside, such as a count of
    /// errors or a throughput.
    pub fn alone(name: &str, value: String, target: &'static str) -> Figure {
        Figure {
            name: name.to_owned(),
            value,
            baseline: "—".to_owned(),
            ratio: f64::NAN,
            target,
        }
    }

    /// A figure beside a baseline that is not a plain number of the same
    /// unit, such as a peak memory beside an idle one.
    pub fn beside(
        name: &str,
        (value, baseline): (String, String),
        ratio: f64,
        target: &'static str,
    ) -> Figure {
        Figure {
            name: name.to_owned(),
            value,
            baseline,
            ratio,
            target,
        }
    }
}

/// Prints the figures as a table, then the notes saying what the
/// baselines are.
pub fn print(figures: &[Figure], notes: &[&str]) {
    println!(
        "\n{:<54} {:>12} {:>12} {:>8}   target",
        "figure", "karte", "baseline", "ratio"
    );
    for f in figures {
        let ratio = if f.ratio.is_finite() {
            format!("{:.2}×", f.ratio)
        } else {
            "—".to_owned()
        };
        println!(
            "{:<54} {:>12} {:>12} {:>8}   {}",
            f.name, f.value, f.baseline, ratio, f.target
        );
    }
    println!();
    for note in notes {
        println!("{note}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_sizes_are_exact_and_large_ones_in_kib() {
        assert_eq!(human_bytes(612), "612 B");
        assert_eq!(human_bytes(20 * 1024), "20 KiB");
    }

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_one() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
    }

    #[test]
    fn the_99th_percentile_of_a_hundred_is_the_99th() {
        let mut times: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(percentile(&mut times, 0.99), 99.0);
        assert_eq!(percentile(&mut times, 0.5), 50.0);
    }
}
