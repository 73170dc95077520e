//! Disaster mode through the command line: a casualty registered with no
//! name, found by tag, triaged with the reasons printed, transported, and
//! the team's board.

use crate::support::TestVault;

#[test]
fn a_casualty_is_registered_triaged_transported_and_on_the_board() {
    let vault = TestVault::new();
    let patient = vault
        .ok(&[
            "casualty",
            "add",
            "--tag",
            "T-0123",
            "--sex",
            "male",
            "--age-band",
            "60s",
            "--found-at",
            "体育館東側",
            "--coordinates",
            "32.79,130.74",
            "--features",
            "青い作業着",
        ])
        .trim()
        .to_owned();
    let listed = vault.ok(&["patient", "list", "--search", "T-0123"]);
    assert!(listed.contains("身元不明 男性 60代 #T-0123"), "{listed}");
    assert!(listed.contains("Unknown, male, 60s, #T-0123"), "{listed}");
    assert!(listed.contains(&patient), "{listed}");

    let triaged = vault.ok(&[
        "triage",
        &patient,
        "--walks",
        "no",
        "--breathing",
        "yes",
        "--rr",
        "32",
        "--pulse",
        "130",
        "--crt",
        "3",
        "--obeys",
        "yes",
    ]);
    assert!(
        triaged.starts_with("▲ 赤 I 最優先治療群 / ▲ red I immediate"),
        "{triaged}"
    );
    assert!(
        triaged.contains("呼吸数 9回/分以下 または 30回/分以上（32）"),
        "{triaged}"
    );
    assert!(triaged.contains("heart rate ≥ 120/min (130)"), "{triaged}");

    let overridden = vault.ok(&[
        "triage",
        &patient,
        "--walks",
        "yes",
        "--override",
        "黄",
        "--reason",
        "骨盤の動揺",
    ]);
    assert!(
        overridden.starts_with("◆ 黄 II 非緊急治療群"),
        "{overridden}"
    );
    assert!(
        overridden.contains("the rules gave ● 緑 III 軽処置群 / ● green III minor"),
        "{overridden}"
    );

    let board = vault.ok(&["board"]);
    assert!(board.contains("◆ 黄II: 1"), "{board}");
    assert!(board.contains("▲ 赤I: 0"), "{board}");
    assert!(board.contains("#T-0123"), "{board}");
    let json: serde_json::Value =
        serde_json::from_str(&vault.ok(&["board", "--json", "--interval", "45"])).unwrap();
    assert_eq!(json["retriage_minutes"], 45);
    assert_eq!(json["rows"][0]["category"], "yellow");

    vault.ok(&[
        "transport",
        &patient,
        "--agency",
        "熊本市消防局",
        "--destination",
        "熊本赤十字病院",
        "--departed",
        "now",
    ]);
    let chart = vault.ok(&["chart", "show", &patient]);
    assert!(chart.starts_with("身元不明 男性 60代 #T-0123"), "{chart}");
    assert!(chart.contains("判定変更 override"), "{chart}");
    assert!(chart.contains("収容医療機関 熊本赤十字病院"), "{chart}");
    let json = vault.chart_json(&patient);
    assert_eq!(json["triage"]["history"].as_array().unwrap().len(), 2);
    // A triage recorded by mistake is voided like any entry; the one
    // before it stands again.
    let latest = json["triage"]["history"][0]["meta"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    vault.ok(&["entry", "void", &patient, &latest, "--reason", "別の傷病者"]);
    let list = vault.ok(&["patient", "list", "--search", "T-0123"]);
    assert!(list.contains("▲ 赤 I 最優先治療群"), "{list}");
    assert!(vault.ok(&["board"]).contains("搬送済 / departed 1"));
}

#[test]
fn bad_casualty_and_triage_input_is_refused_with_its_code() {
    let vault = TestVault::new();
    let error = vault.fails(&[
        "casualty",
        "add",
        "--tag",
        "T-1",
        "--sex",
        "male",
        "--age-band",
        "old",
    ]);
    assert!(error.starts_with("error[invalid_input]"), "{error}");
    assert!(error.contains("age-band"), "{error}");
    assert!(vault.ok(&["patient", "list", "--ids"]).trim().is_empty());
    let patient = vault
        .ok(&[
            "casualty",
            "add",
            "--tag",
            "T-1",
            "--sex",
            "female",
            "--age-band",
            "30s",
        ])
        .trim()
        .to_owned();
    let error = vault.fails(&["triage", &patient, "--walks", "no"]);
    assert!(error.contains("enter breathing"), "{error}");
    let error = vault.fails(&["triage", &patient, "--walks", "perhaps"]);
    assert!(error.contains("not yes or no"), "{error}");
    let error = vault.fails(&[
        "triage",
        &patient,
        "--walks",
        "no",
        "--breathing",
        "yes",
        "--rr",
        "300",
    ]);
    assert!(error.contains("rr 300 is implausible"), "{error}");
    let error = vault.fails(&["transport", &patient]);
    assert!(error.starts_with("error[invalid_input]"), "{error}");
    assert_eq!(
        vault.chart_json(&patient)["triage"]["history"],
        serde_json::json!([])
    );
}
