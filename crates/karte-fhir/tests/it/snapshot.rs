//! The whole bundle of a small chart, so any change to the export shows up
//! in review as a diff of what a receiver gets.

use expect_test::expect_file;
use karte_fhir::bundle;

use crate::chart::{generated_at, small_chart};
use crate::json::canonical;

#[test]
fn small_chart_bundle() {
    let exported = bundle(&[small_chart()], generated_at(), "karte-export-1");
    let text = serde_json::to_string_pretty(&canonical(&exported)).unwrap() + "\n";
    expect_file!["snapshots/small_chart.json"].assert_eq(&text);
}

#[test]
fn the_streamed_bundle_is_the_same_bundle() {
    let charts = [small_chart(), crate::chart::realistic_charts(2).remove(1)];
    let mut writer =
        karte_fhir::BundleWriter::start(Vec::new(), generated_at(), "karte-export-1").unwrap();
    for chart in &charts {
        writer.add_chart(chart).unwrap();
    }
    let streamed: serde_json::Value = serde_json::from_slice(&writer.finish().unwrap()).unwrap();
    assert_eq!(streamed, bundle(&charts, generated_at(), "karte-export-1"));

    let empty = karte_fhir::BundleWriter::start(Vec::new(), generated_at(), "none").unwrap();
    let empty: serde_json::Value = serde_json::from_slice(&empty.finish().unwrap()).unwrap();
    assert_eq!(empty["entry"], serde_json::json!([]));
}
