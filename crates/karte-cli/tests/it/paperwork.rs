//! 指示書 and scales through the command line, on a fixed day
//! (`KARTE_TEST_NOW`), so the alerts read the same on any date.

use crate::support::TestVault;

/// 2026-11-25, 09:00 in Japan.
const NOW: &str = "2026-11-25T09:00:00+09:00";

fn ok(vault: &TestVault, args: &[&str]) -> String {
    vault.ok_at(NOW, args)
}

fn fails(vault: &TestVault, args: &[&str]) -> String {
    let output = vault
        .command(args)
        .env("KARTE_TEST_NOW", NOW)
        .output()
        .unwrap();
    assert!(!output.status.success(), "karte {args:?} should fail");
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn orders_and_their_alerts_print_in_the_list_and_the_chart() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    let list = ok(&vault, &["patient", "list"]);
    assert!(list.contains("訪問看護指示書がありません"), "{list}");
    assert!(list.contains("no physician's order"), "{list}");
    // A special order with no regular one is refused, and nothing is kept.
    let refused = fails(
        &vault,
        &[
            "order",
            "add",
            &patient,
            "--kind",
            "special",
            "--from",
            "2026-11-20",
            "--to",
            "2026-12-03",
            "--doctor",
            "田中一郎",
            "--institution",
            "みどり診療所",
        ],
    );
    assert!(refused.contains("error[invalid_input]"), "{refused}");
    assert!(
        refused.contains("no_regular_order") || refused.contains("regular"),
        "{refused}"
    );
    // A regular order without an end: one month, so it ends 2026-11-30.
    let regular = ok(
        &vault,
        &[
            "order",
            "add",
            &patient,
            "--kind",
            "instruction",
            "--from",
            "2026-11-01",
            "--doctor",
            "田中一郎",
            "--institution",
            "みどり診療所",
            "--diagnosis",
            "脳梗塞後遺症",
            "--diagnosis-code",
            "8833421",
            "--bedridden",
            "B1",
            "--dementia",
            "IIa",
            "--oxygen-flow",
            "1.5",
            "--cannula-size",
            "7.0mm",
            "--care-notes",
            "転倒に注意",
        ],
    );
    let regular = regular.trim().to_owned();
    let special = ok(
        &vault,
        &[
            "order",
            "add",
            &patient,
            "--kind",
            "特別指示書",
            "--from",
            "2026-11-20",
            "--to",
            "2026-12-03",
            "--doctor",
            "田中一郎",
            "--institution",
            "みどり診療所",
            "--reason",
            "急性増悪",
        ],
    );
    // Fifteen days is one too many for a special order.
    let long = fails(
        &vault,
        &[
            "order",
            "add",
            &patient,
            "--kind",
            "special",
            "--from",
            "2026-11-21",
            "--to",
            "2026-12-05",
            "--doctor",
            "田中一郎",
            "--institution",
            "みどり診療所",
        ],
    );
    assert!(long.contains("14 days"), "{long}");
    let list = ok(&vault, &["patient", "list"]);
    assert!(
        list.contains("訪問看護指示書がまもなく期限切れ (2026-11-30 まで、あと5日)"),
        "{list}"
    );
    assert!(
        list.contains("order expires on 2026-11-30 (5 days left)"),
        "{list}"
    );
    assert!(list.contains("特別指示 今月1回 (上限2回)"), "{list}");
    let chart = ok(&vault, &["chart", "show", &patient]);
    for expected in [
        "■ 指示書 / Physician's orders (2)",
        "訪問看護指示書 2026-11-01〜2026-11-30 (期間記載なし: 1か月 / no end: one month)",
        "特別訪問看護指示書 2026-11-20〜2026-12-03",
        "酸素療法 1.5L/分",
        "気管カニューレ 7.0mm",
        "寝たきり度 B1",
        "特別指示の理由: 急性増悪",
        regular.as_str(),
        special.trim(),
    ] {
        assert!(chart.contains(expected), "{expected} in\n{chart}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&ok(&vault, &["chart", "show", &patient, "--json"])).unwrap();
    assert_eq!(json["orders"][0]["kind"], "instruction");
    assert_eq!(json["orders"][0]["devices"]["tracheal_cannula"], true);
}

#[test]
fn scales_are_recorded_validated_and_trended() {
    let vault = TestVault::new();
    let patient = vault.add_yamada();
    let visit = ok(
        &vault,
        &[
            "visit",
            "record",
            &patient,
            "--pulse",
            "72",
            "--at",
            "2026-11-24T10:00:00+09:00",
        ],
    );
    let ids = ok(
        &vault,
        &[
            "scale",
            "record",
            &patient,
            "--visit",
            visit.trim(),
            "--at",
            "2026-11-24T10:00:00+09:00",
            "--bedridden",
            "B2",
            "--dementia",
            "Ⅱa",
            "--barthel",
            "10,10,0,5,0,5,0,5,10,5",
            "--design-r",
            "D3-e3s8i1g3n3p0",
            "--wound",
            "仙骨部",
        ],
    );
    assert_eq!(ids.lines().count(), 4, "{ids}");
    ok(
        &vault,
        &[
            "scale",
            "record",
            &patient,
            "--design-r",
            "D3-e1s6i0g3n0p0:10",
            "--wound",
            "仙骨部",
        ],
    );
    // A Barthel item out of its scores and a wrong DESIGN-R total are
    // refused together, and nothing of the command is recorded.
    let refused = fails(
        &vault,
        &[
            "scale",
            "record",
            &patient,
            "--bedridden",
            "A1",
            "--barthel",
            "10,10,0,5,0,5,0,5,10,7",
            "--design-r",
            "D3-e1s6i0g3n0p0:11",
            "--wound",
            "仙骨部",
        ],
    );
    assert!(refused.contains("error[invalid_input]"), "{refused}");
    assert!(refused.contains("bladder"), "{refused}");
    assert!(refused.contains("add up to 10"), "{refused}");
    let missing = fails(&vault, &["scale", "record", &patient]);
    assert!(missing.contains("required"), "{missing}");
    let chart = ok(&vault, &["chart", "show", &patient]);
    for expected in [
        "寝たきり度 / bedridden: 2026-11-24 B2\n",
        "認知症 / dementia: 2026-11-24 Ⅱa\n",
        "Barthel Index: 2026-11-24 50\n",
        "DESIGN-R 仙骨部: 2026-11-24 D3-e3s8i1g3N3p0:18 → 2026-11-25 D3-e1s6i0g3n0p0:10",
    ] {
        assert!(chart.contains(expected), "{expected} in\n{chart}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&ok(&vault, &["chart", "show", &patient, "--json"])).unwrap();
    assert_eq!(json["assessments"].as_array().unwrap().len(), 5);
    assert_eq!(json["assessments"][0]["visit"], visit.trim());
}
