//! Roles through the command line: the core refuses, the command fails
//! with `not_permitted`, and a refused export writes nothing anywhere.

use std::process::Output;

use crate::support::TestVault;

/// Adds a user with `role` whose passphrase is `<name>'s own passphrase`.
fn add_user(vault: &TestVault, name: &str, role: &str) {
    let mut add = vault.command(&["--user", "admin", "user", "add", name, "--role", role]);
    add.env("KARTE_NEW_PASSPHRASE", format!("{name}'s own passphrase"));
    assert!(add.status().unwrap().success(), "adding {name}");
}

fn run_as(vault: &TestVault, name: &str, args: &[&str]) -> Output {
    let mut full = vec!["--user", name];
    full.extend_from_slice(args);
    vault
        .command(&full)
        .env("KARTE_PASSPHRASE", format!("{name}'s own passphrase"))
        .output()
        .expect("karte runs")
}

#[test]
fn a_clerk_keeps_the_register_but_may_not_record_or_export() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    add_user(&vault, "tanaka", "clerk");
    add_user(&vault, "suzuki", "nurse");
    let out = vault.dir.path().join("export.json");
    let out = out.to_str().unwrap();

    // Each command, and whether a clerk may run it.
    let table: &[(&[&str], bool)] = &[
        (&["patient", "list"], true),
        (&["chart", "show", &patient], true),
        (
            &["patient", "edit", &patient, "--phone", "0266-41-1111"],
            true,
        ),
        (
            &[
                "patient",
                "add",
                "--family",
                "佐藤",
                "--given",
                "花子",
                "--family-kana",
                "サトウ",
                "--given-kana",
                "ハナコ",
                "--birth",
                "1938-07-15",
                "--sex",
                "female",
            ],
            true,
        ),
        (&["visit", "record", &patient, "--pulse", "72"], false),
        (&["allergy", "none", &patient], false),
        (&["export", "--fhir", &patient, "--out", out], false),
        (&["export", "--fhir"], false),
        (&["user", "add", "sato", "--role", "clerk"], false),
    ];
    for (args, clerk_may) in table {
        let output = run_as(&vault, "tanaka", args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if *clerk_may {
            assert!(output.status.success(), "karte {args:?}: {stderr}");
        } else {
            assert!(!output.status.success(), "karte {args:?} as a clerk");
            assert!(
                stderr.starts_with("error[not_permitted]: only "),
                "karte {args:?}: {stderr}"
            );
            assert!(
                output.stdout.is_empty(),
                "karte {args:?} printed: {}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
    }
    assert!(
        !std::path::Path::new(out).exists(),
        "a refused export leaves no file"
    );
    let audit = vault.ok(&["--user", "admin", "audit", "--patient", &patient]);
    assert!(
        !audit.lines().any(|l| l.contains("export")),
        "nothing was exported: {audit}"
    );

    // A nurse exports the same chart.
    let output = run_as(
        &vault,
        "suzuki",
        &["export", "--fhir", &patient, "--out", out],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
}
