//! The triage rules, each threshold at and on either side of its boundary,
//! and properties that hold for any findings.

use proptest::prelude::*;

use super::*;
use TriageCategory::{Black, Green, Red, Yellow};

/// A non-walker who breathes, with every START finding normal: yellow.
fn start_yellow() -> TriageFindings {
    TriageFindings {
        walks: Some(false),
        breathing: Some(true),
        respiratory_rate: Some(20),
        radial_pulse: Some(true),
        heart_rate: Some(90),
        capillary_refill_s: Some(1.5),
        obeys: Some(true),
        ..TriageFindings::default()
    }
}

/// Only PAT findings, all normal: green.
fn pat_green() -> TriageFindings {
    TriageFindings {
        jcs: Some(0),
        respiratory_rate: Some(16),
        heart_rate: Some(80),
        systolic_bp: Some(120),
        spo2: Some(98),
        temperature_c: Some(36.5),
        ..TriageFindings::default()
    }
}

fn category(f: &TriageFindings) -> TriageCategory {
    triage(f).unwrap_or_else(|e| panic!("{f:?}: {e}")).category
}

#[test]
fn start_steps_in_order() {
    let walks = TriageFindings {
        walks: Some(true),
        ..TriageFindings::default()
    };
    let outcome = triage(&walks).unwrap();
    assert_eq!(outcome.category, Green);
    assert_eq!(outcome.reasons[0].rule, TriageRule::StartWalks);

    let apnoeic = TriageFindings {
        walks: Some(false),
        breathing: Some(false),
        ..TriageFindings::default()
    };
    assert_eq!(category(&apnoeic), Black);
    assert_eq!(category(&start_yellow()), Yellow);
    let reasons = triage(&start_yellow()).unwrap().reasons;
    assert_eq!(reasons[0].rule, TriageRule::StartNoRedFinding);
}

#[test]
fn start_thresholds_at_and_beside_their_boundaries() {
    type Set = fn(&mut TriageFindings);
    let cases: &[(&str, Set, TriageCategory)] = &[
        ("rr 9", |f| f.respiratory_rate = Some(9), Red),
        ("rr 10", |f| f.respiratory_rate = Some(10), Yellow),
        ("rr 29", |f| f.respiratory_rate = Some(29), Yellow),
        ("rr 30", |f| f.respiratory_rate = Some(30), Red),
        ("rr 31", |f| f.respiratory_rate = Some(31), Red),
        ("rr 0", |f| f.respiratory_rate = Some(0), Red),
        ("crt 1.9", |f| f.capillary_refill_s = Some(1.9), Yellow),
        ("crt 2", |f| f.capillary_refill_s = Some(2.0), Yellow),
        ("crt 2.1", |f| f.capillary_refill_s = Some(2.1), Red),
        ("crt 3", |f| f.capillary_refill_s = Some(3.0), Red),
        ("hr 119", |f| f.heart_rate = Some(119), Yellow),
        ("hr 120", |f| f.heart_rate = Some(120), Red),
        ("hr 121", |f| f.heart_rate = Some(121), Red),
        ("no radial pulse", |f| f.radial_pulse = Some(false), Red),
        ("does not obey", |f| f.obeys = Some(false), Red),
        (
            "walks despite all",
            |f| {
                f.walks = Some(true);
                f.respiratory_rate = Some(40);
            },
            Green,
        ),
        (
            "not breathing despite all",
            |f| {
                f.breathing = Some(false);
                f.heart_rate = Some(150);
            },
            Black,
        ),
    ];
    for (name, set, expected) in cases {
        let mut f = start_yellow();
        set(&mut f);
        assert_eq!(category(&f), *expected, "{name}");
    }
}

#[test]
fn pat_thresholds_at_and_beside_their_boundaries() {
    type Set = fn(&mut TriageFindings);
    let cases: &[(&str, Set, TriageCategory)] = &[
        ("jcs 3", |f| f.jcs = Some(3), Green),
        ("jcs 10", |f| f.jcs = Some(10), Red),
        (
            "gcs 9",
            |f| {
                f.jcs = None;
                f.gcs = Some(9);
            },
            Green,
        ),
        (
            "gcs 8",
            |f| {
                f.jcs = None;
                f.gcs = Some(8);
            },
            Red,
        ),
        ("rr 9", |f| f.respiratory_rate = Some(9), Red),
        ("rr 10", |f| f.respiratory_rate = Some(10), Green),
        ("rr 29", |f| f.respiratory_rate = Some(29), Green),
        ("rr 30", |f| f.respiratory_rate = Some(30), Red),
        ("hr 49", |f| f.heart_rate = Some(49), Red),
        ("hr 50", |f| f.heart_rate = Some(50), Green),
        ("hr 119", |f| f.heart_rate = Some(119), Green),
        ("hr 120", |f| f.heart_rate = Some(120), Red),
        ("sbp 89", |f| f.systolic_bp = Some(89), Red),
        ("sbp 90", |f| f.systolic_bp = Some(90), Green),
        ("sbp 199", |f| f.systolic_bp = Some(199), Green),
        ("sbp 200", |f| f.systolic_bp = Some(200), Red),
        ("spo2 89", |f| f.spo2 = Some(89), Red),
        ("spo2 90", |f| f.spo2 = Some(90), Green),
        ("temp 35.1", |f| f.temperature_c = Some(35.1), Green),
        ("temp 35.0", |f| f.temperature_c = Some(35.0), Red),
        ("temp 34.9", |f| f.temperature_c = Some(34.9), Red),
        ("shock", |f| f.shock = Some(true), Red),
        ("no shock", |f| f.shock = Some(false), Green),
        (
            "flail chest",
            |f| f.anatomy = vec![Anatomy::FlailChest],
            Red,
        ),
        (
            "fall",
            |f| f.mechanism = vec![Mechanism::FallFromHeight],
            Yellow,
        ),
        (
            "elderly",
            |f| f.vulnerable = vec![Vulnerable::Elderly],
            Yellow,
        ),
        (
            "anatomy over mechanism",
            |f| {
                f.anatomy = vec![Anatomy::PelvicFracture];
                f.mechanism = vec![Mechanism::TrunkEntrapment];
            },
            Red,
        ),
    ];
    for (name, set, expected) in cases {
        let mut f = pat_green();
        set(&mut f);
        assert_eq!(category(&f), *expected, "{name}");
    }
}

#[test]
fn reasons_name_the_finding_that_decided() {
    let mut f = start_yellow();
    f.respiratory_rate = Some(32);
    f.heart_rate = Some(130);
    f.capillary_refill_s = Some(3.0);
    let outcome = triage(&f).unwrap();
    assert_eq!(outcome.category, Red);
    let rules: Vec<TriageRule> = outcome.reasons.iter().map(|r| r.rule).collect();
    assert_eq!(
        rules,
        [
            TriageRule::StartRespiratoryRate,
            TriageRule::StartCapillaryRefill,
            TriageRule::StartHeartRate
        ]
    );
    assert_eq!(
        outcome.reasons[0].text_ja(),
        "START: 呼吸数 9回/分以下 または 30回/分以上（32）"
    );
    assert_eq!(
        outcome.reasons[0].text_en(),
        "START: respiratory rate ≤ 9 or ≥ 30/min (32)"
    );
}

#[test]
fn start_asks_for_what_it_still_needs() {
    let errors = triage(&TriageFindings {
        walks: Some(false),
        ..TriageFindings::default()
    })
    .unwrap_err();
    assert_eq!(errors.0[0].code, "incomplete");
    assert_eq!(errors.0[0].field, "breathing");
    // A red finding decides without the rest.
    let red = TriageFindings {
        walks: Some(false),
        breathing: Some(true),
        respiratory_rate: Some(35),
        ..TriageFindings::default()
    };
    assert_eq!(category(&red), Red);
    // Yellow needs breathing, circulation and consciousness looked at.
    let partial = TriageFindings {
        walks: Some(false),
        breathing: Some(true),
        respiratory_rate: Some(20),
        ..TriageFindings::default()
    };
    let errors = triage(&partial).unwrap_err();
    assert!(
        errors.0[0].message.contains("pulse or crt, obeys"),
        "{errors}"
    );
    assert_eq!(
        triage(&TriageFindings::default()).unwrap_err().0[0].code,
        "empty"
    );
}

#[test]
fn implausible_findings_are_refused() {
    let mut f = start_yellow();
    f.respiratory_rate = Some(300);
    f.jcs = Some(15);
    let errors = triage(&f).unwrap_err();
    let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["rr", "jcs"]);
}

#[test]
fn both_stages_keep_the_more_urgent() {
    // START red (rr 32), PAT finds only a mechanism: red stands.
    let mut f = start_yellow();
    f.respiratory_rate = Some(32);
    f.mechanism = vec![Mechanism::Explosion];
    let outcome = triage(&f).unwrap();
    assert_eq!(outcome.category, Red);
    assert_eq!(outcome.reasons[0].rule, TriageRule::StartRespiratoryRate);
    // START green (walks), PAT finds an anatomical injury: red.
    let walker = TriageFindings {
        walks: Some(true),
        anatomy: vec![Anatomy::PelvicFracture],
        ..TriageFindings::default()
    };
    assert_eq!(category(&walker), Red);
    // Black from START stands over PAT.
    let apnoeic = TriageFindings {
        walks: Some(false),
        breathing: Some(false),
        systolic_bp: Some(60),
        ..TriageFindings::default()
    };
    assert_eq!(category(&apnoeic), Black);
    // PAT alone names what it did not measure.
    let only = TriageFindings {
        systolic_bp: Some(120),
        ..TriageFindings::default()
    };
    let outcome = triage(&only).unwrap();
    assert_eq!(outcome.category, Green);
    assert!(outcome.unmeasured.contains(&"spo2".to_owned()));
}

#[test]
fn categories_read_without_colour_and_parse_back() {
    for c in TriageCategory::ALL {
        assert!(c.label_ja().contains(c.symbol()) && c.label_ja().contains(c.group_ja()));
        assert!(c.label_en().contains(c.numeral()));
        assert_eq!(TriageCategory::parse(c.code()), Ok(c));
        assert_eq!(TriageCategory::parse(c.colour_ja()), Ok(c));
    }
    assert_eq!(Red.label_ja(), "▲ 赤 I 最優先治療群");
    assert_eq!(TriageCategory::parse("II"), Ok(Yellow));
    assert_eq!(TriageCategory::parse("0"), Ok(Black));
    assert!(TriageCategory::parse("purple").is_err());
    let symbols: std::collections::HashSet<_> =
        TriageCategory::ALL.iter().map(|c| c.symbol()).collect();
    assert_eq!(symbols.len(), 4);
}

#[test]
fn finding_lists_travel_as_one_string_of_codes() {
    let f = TriageFindings {
        anatomy: vec![Anatomy::FlailChest, Anatomy::PelvicFracture],
        ..TriageFindings::default()
    };
    let json = serde_json::to_value(&f).unwrap();
    assert_eq!(json["anatomy"], "flail-chest,pelvic-fracture");
    assert_eq!(json["mechanism"], "");
    let back: TriageFindings = serde_json::from_value(json).unwrap();
    assert_eq!(back, f);
    assert_eq!(
        Anatomy::parse_list("骨盤骨折、flail-chest").unwrap(),
        [Anatomy::FlailChest, Anatomy::PelvicFracture]
    );
}

fn start_findings() -> impl Strategy<Value = TriageFindings> {
    (
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
        proptest::option::of(0u16..=80),
        proptest::option::of(any::<bool>()),
        proptest::option::of(0u16..=250),
        proptest::option::of((0u32..=100).prop_map(|t| f64::from(t) / 10.0)),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(
            |(walks, breathing, rr, radial, hr, crt, obeys)| TriageFindings {
                walks,
                // Someone who walks breathes.
                breathing: if walks == Some(true) {
                    Some(true)
                } else {
                    breathing
                },
                respiratory_rate: rr,
                radial_pulse: radial,
                heart_rate: hr,
                capillary_refill_s: crt,
                obeys,
                ..TriageFindings::default()
            },
        )
}

fn pat_findings() -> impl Strategy<Value = TriageFindings> {
    (
        start_findings(),
        proptest::option::of(proptest::sample::select(
            crate::JcsLevel::ALL.map(crate::JcsLevel::score).to_vec(),
        )),
        proptest::option::of(0u16..=300),
        proptest::option::of(30u8..=100),
        proptest::option::of(any::<bool>()),
        proptest::option::of((200u32..=450).prop_map(|t| f64::from(t) / 10.0)),
        proptest::sample::subsequence(Anatomy::ALL.to_vec(), 0..=2),
        proptest::sample::subsequence(Mechanism::ALL.to_vec(), 0..=2),
        proptest::sample::subsequence(Vulnerable::ALL.to_vec(), 0..=2),
    )
        .prop_map(
            |(mut f, jcs, sbp, spo2, shock, temp, anatomy, mechanism, vulnerable)| {
                f.jcs = jcs;
                f.systolic_bp = sbp;
                f.spo2 = spo2;
                f.shock = shock;
                f.temperature_c = temp;
                f.anatomy = anatomy;
                f.mechanism = mechanism;
                f.vulnerable = vulnerable;
                f
            },
        )
}

/// One finding made worse: further from normal, or a sign now present.
fn worsen(f: &TriageFindings, which: u8, by: u16) -> TriageFindings {
    let mut w = f.clone();
    match which % 7 {
        0 => {
            w.respiratory_rate = w.respiratory_rate.map(|rr| {
                if rr < 20 {
                    rr.saturating_sub(by)
                } else {
                    (rr + by).min(80)
                }
            })
        }
        1 => {
            w.heart_rate = w.heart_rate.map(|hr| {
                if hr < 85 {
                    hr.saturating_sub(by)
                } else {
                    (hr + by).min(250)
                }
            })
        }
        2 => {
            w.capillary_refill_s = w
                .capillary_refill_s
                .map(|c| (c + f64::from(by) / 10.0).min(20.0))
        }
        3 => w.radial_pulse = w.radial_pulse.map(|_| false),
        4 => w.obeys = w.obeys.map(|_| false),
        5 => {
            w.systolic_bp = w.systolic_bp.map(|s| {
                if s < 145 {
                    s.saturating_sub(by)
                } else {
                    (s + by).min(300)
                }
            })
        }
        _ => w.spo2 = w.spo2.map(|s| s.saturating_sub(by.min(70) as u8).max(30)),
    }
    w
}

proptest! {
    /// Every reason given is a rule of the category given, and there is one.
    #[test]
    fn reasons_agree_with_the_category(f in pat_findings()) {
        if let Ok(outcome) = triage(&f) {
            prop_assert!(!outcome.reasons.is_empty());
            for reason in &outcome.reasons {
                prop_assert_eq!(reason.rule.category(), outcome.category);
            }
        }
    }

    /// A finding made worse never makes a person less urgent (among the
    /// living: "not breathing" is START's own step, not a worse finding).
    #[test]
    fn worse_findings_are_never_less_urgent(f in pat_findings(), which in 0u8..7, by in 1u16..40) {
        let worse = worsen(&f, which, by);
        if let (Ok(before), Ok(after)) = (triage(&f), triage(&worse))
            && before.category != Black
        {
            prop_assert!(after.category.urgency() >= before.category.urgency(),
                "{:?} -> {:?}", before.category, after.category);
        }
    }

    /// PAT findings added to a START triage never make it less urgent.
    #[test]
    fn pat_never_talks_start_down(f in start_findings(), extra in pat_findings()) {
        if let Ok(before) = triage(&f) {
            let mut both = extra.clone();
            both.walks = f.walks;
            both.breathing = f.breathing;
            both.respiratory_rate = f.respiratory_rate;
            both.radial_pulse = f.radial_pulse;
            both.heart_rate = f.heart_rate;
            both.capillary_refill_s = f.capillary_refill_s;
            both.obeys = f.obeys;
            if let Ok(after) = triage(&both) {
                if before.category == Black {
                    prop_assert_eq!(after.category, Black);
                } else {
                    prop_assert!(after.category.urgency() >= before.category.urgency());
                }
            }
        }
    }

    /// A decided START triage of a non-walker who breathes is red exactly
    /// when one of the red findings is present.
    #[test]
    fn start_is_red_exactly_on_a_red_finding(f in start_findings()) {
        if let Ok(outcome) = triage(&f)
            && f.walks == Some(false)
            && f.breathing == Some(true)
        {
            let red = f.respiratory_rate.is_some_and(|rr| rr <= 9 || rr >= 30)
                || f.radial_pulse == Some(false)
                || f.capillary_refill_s.is_some_and(|c| c > 2.0)
                || f.heart_rate.is_some_and(|hr| hr >= 120)
                || f.obeys == Some(false);
            prop_assert_eq!(outcome.category == Red, red);
            prop_assert!(outcome.category == Red || outcome.category == Yellow);
        }
    }
}
