//! The validity rules of 指示書, case by case.

use super::*;
use crate::{Author, Timestamp, Voided};

fn d(text: &str) -> Date {
    Date::parse("date", text).unwrap()
}

fn input(kind: OrderKind, from: &str, to: Option<&str>) -> OrderInput {
    OrderInput {
        kind,
        from: d(from),
        to: to.map(d),
        issued: None,
        doctor: "田中一郎".into(),
        institution: "みどり診療所".into(),
        institution_address: None,
        institution_phone: None,
        diagnosis: Some("脳梗塞後遺症".into()),
        diagnosis_code: Some("8833421".into()),
        condition: None,
        medicines: None,
        bedridden: None,
        dementia: None,
        care_level: None,
        pressure_ulcer_depth: None,
        devices: MedicalDevices::default(),
        instructions: OrderInstructions::default(),
        infusion: Some("生理食塩水 500mL 1日1回".into()),
        special_reason: None,
        emergency_contact: None,
        absence_contact: None,
    }
}

fn span(id: &str, kind: OrderKind, from: &str, to: Option<&str>) -> OrderSpan {
    OrderSpan::new(id.into(), &input(kind, from, to))
}

/// A span whose order states a tracheal cannula.
fn cannula(mut s: OrderSpan) -> OrderSpan {
    s.allows_second_special = true;
    s
}

use OrderKind::{Infusion, Instruction, Special};

#[test]
fn a_period_of_months_ends_the_day_before_the_same_day() {
    for (from, months, end) in [
        ("2026-04-01", 6, "2026-09-30"),
        ("2026-04-15", 6, "2026-10-14"),
        ("2026-11-01", 1, "2026-11-30"),
        ("2026-11-20", 1, "2026-12-19"),
        ("2026-12-10", 1, "2027-01-09"),
        ("2026-08-31", 6, "2027-02-28"),
        ("2027-08-31", 6, "2028-02-29"),
        ("2026-01-31", 1, "2026-02-28"),
        ("2028-01-31", 1, "2028-02-29"),
        ("2026-03-31", 6, "2026-09-30"),
    ] {
        assert_eq!(months_end(d(from), months), d(end), "{from} + {months}");
    }
}

#[test]
fn each_kind_has_its_longest_period_and_a_regular_one_without_an_end_runs_one_month() {
    // (kind, from, to, the error code on `to`, the last valid day)
    let cases = [
        (Instruction, "2026-04-01", None, None, "2026-04-30"),
        (Instruction, "2026-01-31", None, None, "2026-02-28"),
        (
            Instruction,
            "2026-04-01",
            Some("2026-09-30"),
            None,
            "2026-09-30",
        ),
        (
            Instruction,
            "2026-04-01",
            Some("2026-10-01"),
            Some("period_too_long"),
            "2026-10-01",
        ),
        (
            Instruction,
            "2026-04-01",
            Some("2026-04-01"),
            None,
            "2026-04-01",
        ),
        (
            Instruction,
            "2026-04-01",
            Some("2026-03-31"),
            Some("before_start"),
            "2026-03-31",
        ),
        (
            Special,
            "2026-11-01",
            Some("2026-11-14"),
            None,
            "2026-11-14",
        ),
        (
            Special,
            "2026-11-01",
            Some("2026-11-15"),
            Some("period_too_long"),
            "2026-11-15",
        ),
        (
            Special,
            "2026-11-25",
            Some("2026-12-08"),
            None,
            "2026-12-08",
        ),
        (Special, "2026-11-01", None, Some("required"), "2026-11-14"),
        (
            Infusion,
            "2026-11-01",
            Some("2026-11-07"),
            None,
            "2026-11-07",
        ),
        (
            Infusion,
            "2026-11-01",
            Some("2026-11-08"),
            Some("period_too_long"),
            "2026-11-08",
        ),
        (Infusion, "2026-11-01", None, Some("required"), "2026-11-07"),
    ];
    for (kind, from, to, code, last) in cases {
        let order = input(kind, from, to);
        let found = order.validate().err().map(|e| {
            assert_eq!(e.0.len(), 1, "{e}");
            assert_eq!(e.0[0].field, "to");
            e.0[0].code.clone()
        });
        assert_eq!(found.as_deref(), code, "{kind} {from}..{to:?}");
        assert_eq!(order.until(), d(last), "{kind} {from}..{to:?}");
    }
}

#[test]
fn an_order_names_who_issued_it_and_its_details_fit_its_devices() {
    let mut order = input(Instruction, "2026-11-01", None);
    order.doctor = " ".into();
    order.diagnosis = None;
    order.diagnosis_code = Some("stroke".into());
    order.devices.oxygen_flow_l_min = Some(2.0);
    order.devices.tracheal_cannula_size = Some("7.0mm".into());
    let errors = order.validate().unwrap_err();
    let fields: Vec<(&str, &str)> = errors
        .0
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("doctor", "required"),
            ("diagnosis", "required"),
            ("diagnosis-code", "malformed"),
            ("oxygen-flow", "detail_without_device"),
            ("cannula-size", "detail_without_device"),
        ]
    );
    let mut ok = input(Instruction, "2026-11-01", None);
    ok.diagnosis_code = Some("I63.9".into());
    ok.devices.oxygen = true;
    ok.devices.oxygen_flow_l_min = Some(1.5);
    ok.devices.tube_feeding = Some(TubeFeedingRoute::Gastrostomy);
    ok.devices.tube_feeding_size = Some("20Fr".into());
    ok.devices.tube_feeding_change_days = Some(180);
    assert_eq!(ok.validate(), Ok(()));
    ok.devices.oxygen_flow_l_min = Some(40.0);
    assert_eq!(ok.validate().unwrap_err().0[0].code, "out_of_range");
    let mut drip = input(Infusion, "2026-11-01", Some("2026-11-03"));
    drip.infusion = None;
    assert_eq!(drip.validate().unwrap_err().0[0].field, "infusion");
}

#[test]
fn a_special_order_needs_a_regular_one_and_comes_once_a_month_or_twice_for_cannula_or_deep_ulcer() {
    let regular = span("R", Instruction, "2026-10-01", Some("2027-03-31"));
    let regular_cannula = cannula(regular.clone());
    let first = span("S1", Special, "2026-11-02", Some("2026-11-15"));
    let second = span("S2", Special, "2026-11-20", Some("2026-12-03"));
    let second_cannula = cannula(second.clone());
    let third = span("S3", Special, "2026-11-28", Some("2026-12-05"));
    // (what the chart holds, the new order, the error codes)
    let cases: Vec<(Vec<OrderSpan>, OrderSpan, Vec<&str>)> = vec![
        (vec![], first.clone(), vec!["no_regular_order"]),
        (vec![regular.clone()], first.clone(), vec![]),
        (
            vec![span("R", Instruction, "2026-08-01", Some("2026-11-01"))],
            first.clone(),
            vec!["no_regular_order"],
        ),
        (
            // No end written: one month, 2026-10-02 to 2026-11-01.
            vec![span("R", Instruction, "2026-10-02", None)],
            first.clone(),
            vec!["no_regular_order"],
        ),
        (
            vec![span("R", Instruction, "2026-10-03", None)],
            first.clone(),
            vec![],
        ),
        (
            vec![regular.clone(), first.clone()],
            second.clone(),
            vec!["special_limit"],
        ),
        (
            vec![regular_cannula.clone(), first.clone()],
            second.clone(),
            vec![],
        ),
        (
            vec![regular.clone(), first.clone()],
            second_cannula.clone(),
            vec![],
        ),
        (
            vec![regular.clone(), cannula(first.clone())],
            second.clone(),
            vec![],
        ),
        (
            vec![regular_cannula.clone(), first.clone(), second.clone()],
            third.clone(),
            vec!["special_limit"],
        ),
        (
            vec![regular.clone(), first.clone()],
            span("S4", Special, "2026-12-01", Some("2026-12-14")),
            vec![],
        ),
        (
            vec![],
            span("I", Infusion, "2026-11-01", Some("2026-11-07")),
            vec![],
        ),
        (vec![], regular.clone(), vec![]),
    ];
    for (i, (held, new, codes)) in cases.into_iter().enumerate() {
        let found: Vec<String> = check_new_order(&held, &new)
            .err()
            .map(|e| e.0.into_iter().map(|e| e.code).collect())
            .unwrap_or_default();
        assert_eq!(found, codes, "case {i}");
    }
}

#[test]
fn a_pressure_ulcer_beyond_the_dermis_or_a_cannula_allows_a_second_special_order() {
    let mut order = input(Special, "2026-11-01", Some("2026-11-14"));
    assert!(!order.allows_second_special());
    order.pressure_ulcer_depth = Some(PressureUlcerDepth::D3);
    assert!(order.allows_second_special());
    order.pressure_ulcer_depth = None;
    order.devices.tracheal_cannula = true;
    assert!(order.allows_second_special());
    assert_eq!(
        PressureUlcerDepth::parse("npuap3"),
        Ok(PressureUlcerDepth::Npuap3)
    );
}

fn alerts(spans: &[OrderSpan], visits_outside: u32, today: &str) -> Vec<OrderAlert> {
    order_status(spans, visits_outside, d(today)).alerts
}

#[test]
fn alerts_say_when_an_order_expires_has_expired_or_is_missing() {
    let regular = span("R", Instruction, "2026-06-01", Some("2026-11-30"));
    let expiring = |days_left| {
        vec![OrderAlert::Expiring {
            id: "R".into(),
            until: d("2026-11-30"),
            days_left,
        }]
    };
    // (orders, today, alerts)
    let cases: Vec<(Vec<OrderSpan>, &str, Vec<OrderAlert>)> = vec![
        (vec![], "2026-11-20", vec![OrderAlert::Missing]),
        (
            vec![span("I", Infusion, "2026-11-18", Some("2026-11-22"))],
            "2026-11-20",
            vec![OrderAlert::Missing],
        ),
        (vec![regular.clone()], "2026-11-15", vec![]),
        (vec![regular.clone()], "2026-11-16", expiring(14)),
        (vec![regular.clone()], "2026-11-30", expiring(0)),
        (
            vec![regular.clone()],
            "2026-12-01",
            vec![OrderAlert::Expired {
                id: "R".into(),
                until: d("2026-11-30"),
            }],
        ),
        (
            vec![
                regular.clone(),
                span("R2", Instruction, "2026-12-01", Some("2027-05-31")),
            ],
            "2026-11-25",
            vec![],
        ),
        (
            // The next one leaves a gap: still expiring.
            vec![
                regular.clone(),
                span("R2", Instruction, "2026-12-03", Some("2027-05-31")),
            ],
            "2026-11-25",
            expiring(5),
        ),
        (
            // No end written: one month, so it ends 2026-11-30.
            vec![span("R", Instruction, "2026-11-01", None)],
            "2026-11-20",
            expiring(10),
        ),
        (
            vec![span("R", Instruction, "2026-11-01", None)],
            "2026-12-01",
            vec![OrderAlert::Expired {
                id: "R".into(),
                until: d("2026-11-30"),
            }],
        ),
        (
            // Only a future order: none in force today.
            vec![span("R", Instruction, "2026-12-01", None)],
            "2026-11-20",
            vec![OrderAlert::Missing],
        ),
    ];
    for (i, (spans, today, expected)) in cases.into_iter().enumerate() {
        assert_eq!(alerts(&spans, 0, today), expected, "case {i} on {today}");
    }
}

#[test]
fn special_orders_are_counted_by_month_and_flagged_over_the_limit_or_without_a_regular_one() {
    let regular = span("R", Instruction, "2026-10-01", Some("2027-03-31"));
    let s1 = span("S1", Special, "2026-11-02", Some("2026-11-15"));
    let s2 = span("S2", Special, "2026-11-20", Some("2026-12-03"));
    // Two devices each added one: the merge holds both.
    let status = order_status(
        &[regular.clone(), s1.clone(), s2.clone()],
        0,
        d("2026-11-21"),
    );
    assert_eq!((status.specials_this_month, status.special_limit), (2, 1));
    assert_eq!(
        status.alerts,
        [OrderAlert::SpecialOverLimit { count: 2, limit: 1 }]
    );
    let in_force: Vec<&str> = status.in_force.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(in_force, ["R", "S2"]);
    // A cannula allows two.
    let status = order_status(
        &[cannula(regular.clone()), s1.clone(), s2.clone()],
        0,
        d("2026-11-21"),
    );
    assert_eq!((status.specials_this_month, status.special_limit), (2, 2));
    assert_eq!(status.alerts, []);
    // Next month counts afresh; S2 still in force is not this month's.
    let status = order_status(
        &[regular.clone(), s1.clone(), s2.clone()],
        0,
        d("2026-12-02"),
    );
    assert_eq!((status.specials_this_month, status.special_limit), (0, 1));
    assert_eq!(status.alerts, []);
    // A special order without a regular one, as a merge could bring.
    let alone = span("S9", Special, "2026-11-02", Some("2026-11-15"));
    assert_eq!(
        alerts(std::slice::from_ref(&alone), 0, "2026-11-05"),
        [
            OrderAlert::Missing,
            OrderAlert::SpecialWithoutRegular { id: "S9".into() }
        ]
    );
}

#[test]
fn an_order_too_long_and_visits_outside_every_order_are_flagged() {
    let long = span("L", Instruction, "2026-06-01", Some("2027-05-31"));
    assert!(long.too_long());
    assert_eq!(
        alerts(&[long], 3, "2026-07-01"),
        [
            OrderAlert::PeriodTooLong { id: "L".into() },
            OrderAlert::VisitsOutsideOrders { count: 3 }
        ]
    );
}

#[test]
fn the_summary_counts_visits_outside_every_standing_order() {
    let author = Author {
        user: "u".into(),
        user_name: "佐藤".into(),
        device: "d".into(),
    };
    let order = |id: &str, kind, from, to, voided: bool| Order {
        meta: EntryMeta {
            id: id.into(),
            recorded_by: author.clone(),
            recorded_at: Timestamp(0),
            entered_in_error: voided.then(|| Voided {
                by: author.clone(),
                at: Timestamp(0),
                reason: "別の患者".into(),
            }),
        },
        input: input(kind, from, to),
    };
    let orders = [
        order("R", Instruction, "2026-10-01", Some("2026-10-31"), false),
        order("S", Special, "2026-10-10", Some("2026-10-16"), false),
        order("V", Instruction, "2026-11-01", Some("2026-11-30"), true),
        order("I", Infusion, "2026-11-10", Some("2026-11-12"), false),
    ];
    let days = [
        "2026-09-30",
        "2026-10-01",
        "2026-10-31",
        "2026-11-01",
        "2026-11-11",
        "2026-11-13",
    ];
    let summary = OrderSummary::new(&orders, days.map(d));
    let ids: Vec<&str> = summary.spans.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["R", "S", "I"]);
    // 09-30 before any; 11-01 only under the voided one; 11-13 after the infusion.
    assert_eq!(summary.visits_outside, 3);
    assert_eq!(
        summary.status(d("2026-11-11")).alerts,
        [
            OrderAlert::Expired {
                id: "R".into(),
                until: d("2026-10-31")
            },
            OrderAlert::VisitsOutsideOrders { count: 3 }
        ]
    );
}

#[test]
fn alerts_read_in_japanese_and_english() {
    let alert = OrderAlert::Expiring {
        id: "R".into(),
        until: d("2026-11-30"),
        days_left: 5,
    };
    assert_eq!(
        alert.message_ja(),
        "訪問看護指示書がまもなく期限切れ (2026-11-30 まで、あと5日)"
    );
    assert_eq!(
        alert.message_en(),
        "order expires on 2026-11-30 (5 days left)"
    );
    assert_eq!(
        serde_json::to_value(&alert).unwrap(),
        serde_json::json!({"alert": "expiring", "id": "R", "until": "2026-11-30", "days_left": 5})
    );
}

fn any_day() -> impl proptest::strategy::Strategy<Value = Date> {
    use proptest::strategy::Strategy;
    (2000i32..2100, 1u8..=12, 1u8..=31)
        .prop_filter_map("a real day", |(y, m, d)| Date::from_ymd(y, m, d))
}

proptest::proptest! {
    #[test]
    fn a_period_of_months_is_that_many_months_long(from in any_day(), months in 1u8..=12) {
        let end = months_end(from, months);
        let next = add_days(end, 1);
        // It ends after it starts, the day after its end is `months` months
        // on (the same day, or the 1st after a month too short for it).
        proptest::prop_assert!(end >= from);
        let month_index = |d: Date| d.0.year() * 12 + d.0.month() as i32 - 1;
        let gap = month_index(next) - month_index(from);
        proptest::prop_assert!(
            (next.0.day() == from.0.day() && gap == i32::from(months))
                || (next.0.day() == 1 && gap == i32::from(months) + 1 && from.0.day() > 28)
        );
    }

    #[test]
    fn a_regular_order_is_valid_exactly_up_to_six_months_and_others_up_to_their_days(
        from in any_day(), days in 0i64..400
    ) {
        let to = add_days(from, days);
        let checked = |kind| {
            let mut order = input(kind, &from.to_string(), Some(&to.to_string()));
            order.infusion = Some("生理食塩水".into());
            order.validate().is_ok()
        };
        proptest::prop_assert_eq!(checked(Instruction), to <= months_end(from, 6));
        proptest::prop_assert_eq!(checked(Special), days < SPECIAL_MAX_DAYS);
        proptest::prop_assert_eq!(checked(Infusion), days < INFUSION_MAX_DAYS);
    }
}
