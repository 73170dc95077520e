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
