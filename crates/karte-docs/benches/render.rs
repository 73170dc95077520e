//! How long a month's 報告書 of 25 visits takes to render (target: under
//! 300 ms), beside a baseline measured in the same run: the same form with
//! no visits and no text. Loading the font is measured apart, since an
//! application loads it once.
//!
//! `cargo bench -p karte-docs [-- SAMPLES]`

use std::time::{Duration, Instant};

use karte_docs::{DocumentFont, MonthlyReport, render_report, sample};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time_render(report: &MonthlyReport, font: &DocumentFont, samples: usize) -> (Duration, usize) {
    let mut size = 0;
    let times = (0..samples)
        .map(|_| {
            let mut pdf = Vec::new();
            let start = Instant::now();
            render_report(report, font, &mut pdf).expect("rendered");
            let took = start.elapsed();
            size = pdf.len();
            took
        })
        .collect();
    (median(times), size)
}

fn main() {
    let samples: usize = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with('-'))
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(20);

    let start = Instant::now();
    let font = DocumentFont::from_environment().expect("the font (apt-get install fonts-noto-cjk)");
    let load = start.elapsed();

    let empty = MonthlyReport {
        visits: Vec::new(),
        course: String::new(),
        adl: String::new(),
        care_given: String::new(),
        home_care: String::new(),
        materials: String::new(),
        materials_change: String::new(),
        information: String::new(),
        notes: String::new(),
        ..sample::report(0)
    };
    let full = sample::report(25);
    let (baseline, baseline_size) = time_render(&empty, &font, samples);
    let (figure, size) = time_render(&full, &font, samples);

    println!("karte-docs render, median of {samples}:");
    println!(
        "  font load (once per process)        {:>8.1} ms",
        load.as_secs_f64() * 1e3
    );
    println!(
        "  baseline: empty 報告書              {:>8.1} ms  {:>7} bytes",
        baseline.as_secs_f64() * 1e3,
        baseline_size
    );
    println!(
        "  報告書, 25 visits (target < 300 ms) {:>8.1} ms  {:>7} bytes  ({:.1}× the baseline)",
        figure.as_secs_f64() * 1e3,
        size,
        figure.as_secs_f64() / baseline.as_secs_f64()
    );
}
