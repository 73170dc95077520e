//! What a nurse and a clinic do in a day, through the command line.

use crate::support::TestVault;

#[test]
fn a_visit_is_recorded_and_the_chart_reads_back_in_clinical_order() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    let allergy = vault.ok(&[
        "allergy",
        "add",
        &patient,
        "--substance",
        "ペニシリン",
        "--category",
        "medication",
        "--criticality",
        "high",
        "--reaction",
        "発疹",
    ]);
    vault.ok(&[
        "condition",
        "add",
        &patient,
        "--name",
        "高血圧症",
        "--icd10",
        "I10",
        "--onset",
        "2015-04-01",
    ]);
    vault.ok(&[
        "medication",
        "add",
        &patient,
        "--name",
        "アムロジピン",
        "--dose",
        "5 mg",
        "--frequency",
        "1日1回 朝食後",
        "--start",
        "2015-04-01",
    ]);
    vault.ok(&[
        "visit",
        "record",
        &patient,
        "--at",
        "2026-11-01T10:00:00+09:00",
        "--temp",
        "36.8",
        "--bp",
        "132/84",
        "--pulse",
        "72",
        "--resp",
        "16",
        "--spo2",
        "97",
        "--jcs",
        "0",
        "--pain",
        "2",
        "--subjective",
        "夜間よく眠れた",
    ]);
    vault.ok(&[
        "visit",
        "record",
        &patient,
        "--at",
        "2026-11-08T10:00:00+09:00",
        "--temp",
        "37.9",
        "--bp",
        "150/90",
        "--jcs",
        "I-1",
        "--assessment",
        "微熱あり",
    ]);

    let chart = vault.chart_json(&patient);
    assert_eq!(chart["allergies"][0]["substance"], "ペニシリン");
    assert_eq!(chart["allergies"][0]["meta"]["id"], allergy.trim());
    assert_eq!(chart["allergy_status"], "recorded");
    assert_eq!(chart["conditions"][0]["icd10"], "I10");
    assert_eq!(chart["medications"][0]["name"], "アムロジピン");
    let visits = chart["visits"].as_array().unwrap();
    assert_eq!(visits.len(), 2);
    assert_eq!(
        visits[0]["assessment"],
        serde_json::Value::Null,
        "SOAP is nested under soap"
    );
    assert_eq!(
        visits[0]["soap"]["assessment"], "微熱あり",
        "newest visit first"
    );
    assert_eq!(visits[1]["vitals"]["systolic"], 132);
    assert_eq!(visits[1]["meta"]["recorded_by"]["user_name"], "admin");

    let text = vault.ok(&["chart", "show", &patient]);
    let allergies_at = text.find("ペニシリン").unwrap();
    let problems_at = text.find("高血圧症").unwrap();
    let visits_at = text.find("微熱あり").unwrap();
    assert!(
        allergies_at < problems_at && problems_at < visits_at,
        "allergies, problems, then visits:\n{text}"
    );
}

#[test]
fn search_folds_kana_width_and_script() {
    let vault = TestVault::new();
    let yamada = vault.add_yamada();
    let half_width = vault.ok(&[
        "patient",
        "add",
        "--family",
        "山本",
        "--given",
        "花子",
        "--family-kana",
        "ﾔﾏﾓﾄ",
        "--given-kana",
        "ﾊﾅｺ",
        "--birth",
        "1950-01-20",
        "--sex",
        "female",
    ]);
    let sato = vault.ok(&[
        "patient",
        "add",
        "--family",
        "佐藤",
        "--given",
        "一郎",
        "--family-kana",
        "さとう",
        "--given-kana",
        "いちろう",
        "--birth",
        "1938-12-01",
        "--sex",
        "male",
    ]);
    let ids = |query: &str| vault.ok(&["patient", "list", "--ids", "--search", query]);
    assert_eq!(ids("やまだ").trim(), yamada);
    assert_eq!(ids("ﾔﾏﾀﾞ").trim(), yamada);
    assert_eq!(ids("やまも").trim(), half_width.trim());
    assert_eq!(ids("サトウ").trim(), sato.trim());
    assert_eq!(ids("山").lines().count(), 2);
    assert_eq!(ids("たろ").trim(), yamada);
    assert_eq!(ids("").lines().count(), 3);
    assert!(ids("まだ").trim().is_empty(), "only prefixes match");
}

#[test]
fn void_keeps_the_entry_and_says_who_and_why() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    let visit = vault.ok(&["visit", "record", &patient, "--pulse", "72"]);
    vault.ok(&[
        "entry",
        "void",
        &patient,
        &visit.trim()[..20],
        "--reason",
        "別の患者に記録",
    ]);
    let chart = vault.chart_json(&patient);
    let voided = &chart["visits"][0]["meta"]["entered_in_error"];
    assert_eq!(voided["reason"], "別の患者に記録");
    assert_eq!(voided["by"]["user_name"], "admin");
    assert_eq!(
        chart["visits"][0]["vitals"]["pulse"], 72,
        "the voided value is kept"
    );
    let error = vault.fails(&["entry", "void", &patient, "01ZZZZZZ", "--reason", "x"]);
    assert!(error.contains("unknown_entry"), "{error}");
}

#[test]
fn users_have_their_own_passphrases_and_changes_are_attributed() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    let mut add = vault.command(&["user", "add", "suzuki", "--role", "nurse"]);
    add.env("KARTE_NEW_PASSPHRASE", "suzuki's own passphrase");
    assert!(add.status().unwrap().success());

    // With two users, a command must say who is working.
    let error = vault.fails(&["patient", "list"]);
    assert!(error.contains("user_needed"), "{error}");

    let mut visit = vault.command(&[
        "--user", "suzuki", "visit", "record", &patient, "--spo2", "95",
    ]);
    visit.env("KARTE_PASSPHRASE", "suzuki's own passphrase");
    assert!(visit.status().unwrap().success());
    let wrong = vault.fails(&["--user", "suzuki", "patient", "list"]);
    assert!(
        wrong.contains("wrong_passphrase"),
        "admin's passphrase must not open suzuki's slot: {wrong}"
    );

    // A nurse may not add users.
    let mut nurse_adds = vault.command(&[
        "--user", "suzuki", "user", "add", "tanaka", "--role", "admin",
    ]);
    nurse_adds
        .env("KARTE_PASSPHRASE", "suzuki's own passphrase")
        .env("KARTE_NEW_PASSPHRASE", "whatever passphrase");
    assert!(!nurse_adds.status().unwrap().success());

    let chart: serde_json::Value =
        serde_json::from_str(&vault.ok(&["--user", "admin", "chart", "show", &patient, "--json"]))
            .unwrap();
    assert_eq!(
        chart["visits"][0]["meta"]["recorded_by"]["user_name"],
        "suzuki"
    );

    let audit = vault.ok(&["--user", "admin", "audit", "--patient", &patient]);
    assert!(
        audit
            .lines()
            .any(|l| l.contains("suzuki") && l.contains("visit.record")),
        "{audit}"
    );
    assert!(
        audit
            .lines()
            .any(|l| l.contains("admin") && l.contains("open")),
        "{audit}"
    );
}

#[test]
fn passphrase_change_rewraps_and_the_old_one_stops_working() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    let mut change = vault.command(&["passphrase", "change"]);
    change.env("KARTE_NEW_PASSPHRASE", "a brand new passphrase");
    assert!(change.status().unwrap().success());
    let error = vault.fails(&["patient", "list"]);
    assert!(error.contains("wrong_passphrase"), "{error}");
    let mut list = vault.command(&["patient", "list", "--ids"]);
    list.env("KARTE_PASSPHRASE", "a brand new passphrase");
    let output = list.output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), patient);
}

#[test]
fn a_second_process_is_told_the_vault_is_in_use() {
    let vault = TestVault::new();
    let held = karte_store::Vault::open(&vault.path()).expect("first opener takes the lock");
    let error = vault.fails(&["patient", "list"]);
    assert!(error.contains("in use"), "{error}");
    drop(held);
    vault.ok(&["patient", "list"]);
}

#[test]
fn export_writes_a_fhir_bundle_and_is_audited() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    vault.ok(&[
        "visit", "record", &patient, "--temp", "36.5", "--bp", "120/80",
    ]);
    let out = vault.dir.path().join("export.json");
    vault.ok(&["export", "--fhir", &patient, "--out", out.to_str().unwrap()]);
    let bundle: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "collection");
    let stdout: serde_json::Value = serde_json::from_str(&vault.ok(&["export", "--fhir"])).unwrap();
    assert_eq!(
        stdout["entry"].as_array().unwrap().len(),
        bundle["entry"].as_array().unwrap().len()
    );
    let audit = vault.ok(&["audit", "--patient", &patient]);
    assert_eq!(
        audit.lines().filter(|l| l.contains("export")).count(),
        2,
        "{audit}"
    );
}

#[test]
fn demo_is_deterministic_in_content() {
    let (a, b) = (TestVault::new(), TestVault::new());
    a.ok(&["demo", "--patients", "3", "--seed", "42"]);
    b.ok(&["demo", "--patients", "3", "--seed", "42"]);
    let names = |v: &TestVault| -> Vec<String> {
        let list: serde_json::Value =
            serde_json::from_str(&v.ok(&["patient", "list", "--json"])).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .map(|p| format!("{}{}{}", p["family"], p["given"], p["birth"]))
            .collect()
    };
    assert_eq!(names(&a), names(&b));
    assert_eq!(names(&a).len(), 3);
}

#[test]
fn editing_a_patient_changes_only_the_fields_given() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    vault.ok(&[
        "patient",
        "edit",
        &patient[..8],
        "--phone",
        "090-1234-5678",
        "--care-level",
        "要介護2",
    ]);
    let chart = vault.chart_json(&patient);
    assert_eq!(chart["patient"]["phone"], "090-1234-5678");
    assert_eq!(chart["patient"]["family"], "山田");
    assert_eq!(chart["patient"]["birth"], "1941-03-02");
    // An empty value clears an optional field; a bad one changes nothing.
    vault.ok(&["patient", "edit", &patient, "--phone", ""]);
    let error = vault.fails(&["patient", "edit", &patient, "--birth", "1941-13-40"]);
    assert!(error.contains("birth"), "{error}");
    let chart = vault.chart_json(&patient);
    assert!(chart["patient"]["phone"].is_null(), "{chart}");
    assert_eq!(chart["patient"]["birth"], "1941-03-02");
    assert!(!chart["patient"]["care_level"].is_null(), "{chart}");
}
