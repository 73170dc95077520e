//! 指示書 and scales in the chart: recorded, read back, refused when an
//! order breaks a rule, received from another device, merged, and edited
//! concurrently on two devices.

use karte_record::Chart;
use karte_types::{
    Date, OrderAlert, OrderKind, PatientSummary, ReviewKind, Scale, ValidationErrors,
};
use serde_json::json;

use crate::support::*;
use karte_test_support::{barthel, design_r, regular_order, special_order};

fn d(text: &str) -> Date {
    Date::parse("date", text).unwrap()
}

/// The codes of an `invalid_input` refusal.
fn codes(error: karte_record::RecordError) -> Vec<String> {
    match error {
        karte_record::RecordError::Invalid(ValidationErrors(errors)) => {
            errors.into_iter().map(|e| e.code).collect()
        }
        other => panic!("not a validation error: {other}"),
    }
}

/// Every change of `theirs` that `ours` lacks passes `check_change`, signed
/// by `device`.
fn passes_the_check(ours: &Chart, theirs: &Chart, device: &str) {
    let bytes = theirs.save_after(&ours.heads());
    Chart::check_received(
        Some(ours),
        &ours.id(),
        &bytes,
        |_| Some(device.into()),
        at(7 * 24 * 60),
    )
    .unwrap();
}

#[test]
fn an_order_and_scales_are_recorded_and_read_back_after_a_reload() {
    let sato = author("佐藤", "tablet-sato");
    let mut chart = new_chart(&sato);
    let order = regular_order(d("2026-11-01"), Some(d("2027-04-30")));
    chart
        .add_order(&entry_id(1), &order, &edit(&sato, 1))
        .unwrap();
    chart
        .record_visit(&entry_id(2), &visit(60, 72), &edit(&sato, 61))
        .unwrap();
    let mut with_visit = barthel(60, [10, 15, 5, 10, 0, 10, 5, 10, 10, 10]);
    with_visit.visit = Some(entry_id(2));
    chart
        .record_assessment(&entry_id(3), &with_visit, &edit(&sato, 62))
        .unwrap();
    for (n, minutes, notation) in [(4, 63, "D3-e3s8i1g3n3p0"), (5, 2000, "D3-e1s6i0g3n0p0")] {
        chart
            .record_assessment(
                &entry_id(n),
                &design_r(minutes, "仙骨部", notation),
                &edit(&sato, minutes),
            )
            .unwrap();
    }
    let view = reload(&chart, &sato, 1).view().unwrap();
    assert_eq!(view.orders.len(), 1);
    assert_eq!(view.orders[0].input, order);
    assert_eq!(view.orders[0].meta.recorded_by, sato);
    assert_eq!(view.assessments.len(), 3);
    assert_eq!(view.assessments[0].input, with_visit);
    let trends = view.scale_trends();
    assert_eq!(trends.barthel.len(), 1);
    assert_eq!(trends.barthel[0].value.total(), 85);
    let wounds: Vec<(&str, Vec<u8>)> = trends
        .design_r
        .iter()
        .map(|(w, points)| (w.as_str(), points.iter().map(|p| p.value.total()).collect()))
        .collect();
    assert_eq!(wounds, [("仙骨部", vec![18, 10])]);
    let status = view.order_status(d("2026-11-25"));
    assert_eq!(status.alerts, []);
    assert_eq!(status.in_force.len(), 1);
}

#[test]
fn an_order_that_breaks_a_rule_is_refused_and_changes_nothing() {
    let sato = author("佐藤", "tablet-sato");
    let mut chart = new_chart(&sato);
    let heads = chart.heads();
    // A special order with no regular one in force.
    let special = special_order(d("2026-11-02"), d("2026-11-15"));
    let error = chart
        .add_order(&entry_id(1), &special, &edit(&sato, 1))
        .unwrap_err();
    assert_eq!(codes(error), ["no_regular_order"]);
    // A regular order of seven months.
    let long = regular_order(d("2026-11-01"), Some(d("2027-05-31")));
    let error = chart
        .add_order(&entry_id(1), &long, &edit(&sato, 1))
        .unwrap_err();
    assert_eq!(codes(error), ["period_too_long"]);
    assert_eq!(chart.heads(), heads);
    // With a regular one, one special order a month.
    let regular = regular_order(d("2026-11-01"), Some(d("2027-04-30")));
    chart
        .add_order(&entry_id(2), &regular, &edit(&sato, 2))
        .unwrap();
    chart
        .add_order(&entry_id(3), &special, &edit(&sato, 3))
        .unwrap();
    let heads = chart.heads();
    let second = special_order(d("2026-11-20"), d("2026-12-03"));
    let error = chart
        .add_order(&entry_id(4), &second, &edit(&sato, 4))
        .unwrap_err();
    assert_eq!(codes(error), ["special_limit"]);
    assert_eq!(chart.heads(), heads);
    // A tracheal cannula on the second allows it.
    let mut cannula = second.clone();
    cannula.devices.tracheal_cannula = true;
    cannula.devices.tracheal_cannula_size = Some("7.0mm".into());
    chart
        .add_order(&entry_id(4), &cannula, &edit(&sato, 4))
        .unwrap();
    let status = chart.view().unwrap().order_status(d("2026-11-21"));
    assert_eq!((status.specials_this_month, status.special_limit), (2, 2));
    let kinds: Vec<OrderKind> = status.in_force.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, [OrderKind::Instruction, OrderKind::Special]);
}

#[test]
fn an_assessment_names_a_visit_of_this_chart_or_none() {
    let sato = author("佐藤", "tablet-sato");
    let mut chart = new_chart(&sato);
    chart
        .add_allergy(&entry_id(1), &penicillin(), &edit(&sato, 1))
        .unwrap();
    let mut input = barthel(5, [10, 15, 5, 10, 5, 15, 10, 10, 10, 10]);
    input.visit = Some(entry_id(1));
    let error = chart
        .record_assessment(&entry_id(2), &input, &edit(&sato, 5))
        .unwrap_err();
    assert_eq!(error.code().as_str(), "unknown_entry");
    input.scale = Scale::Barthel(karte_types::Barthel::from_scores([
        12, 15, 5, 10, 5, 15, 10, 10, 10, 10,
    ]));
    input.visit = None;
    let error = chart
        .record_assessment(&entry_id(2), &input, &edit(&sato, 5))
        .unwrap_err();
    assert_eq!(codes(error), ["not_allowed"]);
}

#[test]
fn the_patient_list_entry_carries_the_orders_and_the_visits_outside_them() {
    let sato = author("佐藤", "tablet-sato");
    let mut chart = new_chart(&sato);
    // START is 2026-11-25 09:00 in Japan; the order covers 11-01..11-30.
    chart
        .add_order(
            &entry_id(1),
            &regular_order(d("2026-11-01"), None),
            &edit(&sato, 1),
        )
        .unwrap();
    chart
        .record_visit(&entry_id(2), &visit(60, 72), &edit(&sato, 61))
        .unwrap();
    // A visit six days later, 2026-12-01: outside the order.
    chart
        .record_visit(
            &entry_id(3),
            &visit(6 * 24 * 60, 70),
            &edit(&sato, 6 * 24 * 60),
        )
        .unwrap();
    let view = chart.view().unwrap();
    let summary = chart.summary().unwrap();
    assert_eq!(summary, PatientSummary::from_chart(&view));
    assert_eq!(summary.orders.visits_outside, 1);
    assert_eq!(view.visits_outside_orders(), [entry_id(3)]);
    assert_eq!(
        summary.orders.status(d("2026-11-25")).alerts,
        [
            OrderAlert::Expiring {
                id: entry_id(1),
                until: d("2026-11-30"),
                days_left: 5
            },
            OrderAlert::VisitsOutsideOrders { count: 1 }
        ]
    );
    // Voiding the order leaves the patient with none.
    chart
        .void_entry(
            &entry_id(1),
            "別の利用者の指示書",
            &edit(&sato, 6 * 24 * 60 + 1),
        )
        .unwrap();
    let summary = chart.summary().unwrap();
    assert_eq!(summary, PatientSummary::from_chart(&chart.view().unwrap()));
    assert_eq!(summary.orders.visits_outside, 2);
    assert_eq!(
        summary.orders.status(d("2026-12-01")).alerts[0],
        OrderAlert::Missing
    );
}

#[test]
fn orders_and_scales_from_another_device_pass_the_check_and_two_special_orders_merge_flagged() {
    let sato = author("佐藤", "tablet-sato");
    let tanaka = author("田中", "tablet-tanaka");
    let mut ours = new_chart(&sato);
    ours.add_order(
        &entry_id(1),
        &regular_order(d("2026-11-01"), Some(d("2027-04-30"))),
        &edit(&sato, 1),
    )
    .unwrap();
    let mut theirs = replica(&ours, &tanaka, 1);
    // Each device records a special order for November, unaware of the other.
    ours.add_order(
        &entry_id(2),
        &special_order(d("2026-11-02"), d("2026-11-15")),
        &edit(&sato, 2),
    )
    .unwrap();
    theirs
        .add_order(
            &entry_id(3),
            &special_order(d("2026-11-20"), d("2026-12-03")),
            &edit(&tanaka, 3),
        )
        .unwrap();
    theirs
        .record_assessment(
            &entry_id(4),
            &design_r(4, "仙骨部", "D4-e3s8I3g4n3p6"),
            &edit(&tanaka, 4),
        )
        .unwrap();
    let mut fix = barthel(5, [10, 15, 5, 10, 0, 10, 5, 10, 10, 10]);
    fix.visit = None;
    theirs
        .record_assessment(&entry_id(5), &fix, &edit(&tanaka, 5))
        .unwrap();
    theirs
        .set_entry_field(&entry_id(5), "scale.bathing", &json!(5), &edit(&tanaka, 6))
        .unwrap();
    passes_the_check(&ours, &theirs, "tablet-tanaka");
    ours.apply(&theirs.save_after(&ours.heads()), &edit(&sato, 10))
        .unwrap();
    let view = ours.view().unwrap();
    assert_eq!(view.orders.len(), 3);
    assert_eq!(view.assessments.len(), 2);
    assert_eq!(view.scale_trends().barthel[0].value.total(), 90);
    let status = view.order_status(d("2026-11-21"));
    assert_eq!(
        status.alerts,
        [OrderAlert::SpecialOverLimit { count: 2, limit: 1 }]
    );
}

#[test]
fn concurrent_edits_of_one_order_on_two_devices_become_a_review() {
    let sato = author("佐藤", "tablet-sato");
    let tanaka = author("田中", "tablet-tanaka");
    let mut ours = new_chart(&sato);
    ours.add_order(
        &entry_id(1),
        &regular_order(d("2026-11-01"), Some(d("2027-01-31"))),
        &edit(&sato, 1),
    )
    .unwrap();
    let mut theirs = replica(&ours, &tanaka, 1);
    ours.set_entry_field(&entry_id(1), "to", &json!("2027-02-28"), &edit(&sato, 2))
        .unwrap();
    theirs
        .set_entry_field(&entry_id(1), "to", &json!("2027-04-30"), &edit(&tanaka, 3))
        .unwrap();
    theirs
        .set_entry_field(
            &entry_id(1),
            "instructions.care_notes",
            &json!("入浴時の転倒に注意"),
            &edit(&tanaka, 4),
        )
        .unwrap();
    // A correction past six months is refused like a new order would be.
    let error = theirs
        .set_entry_field(&entry_id(1), "to", &json!("2027-06-01"), &edit(&tanaka, 5))
        .unwrap_err();
    assert_eq!(codes(error), ["period_too_long"]);
    passes_the_check(&ours, &theirs, "tablet-tanaka");
    let reviews = ours.merge(&mut theirs, &edit(&sato, 10)).unwrap();
    assert_eq!(reviews.len(), 1);
    let view = ours.view().unwrap();
    let review = view.open_reviews().next().unwrap();
    assert_eq!(review.kind, ReviewKind::ConcurrentValues);
    assert_eq!(review.path, format!("orders/{}/to", entry_id(1)));
    let mut values: Vec<&str> = review.values.iter().map(|v| v.value.as_str()).collect();
    values.sort();
    assert_eq!(values, ["\"2027-02-28\"", "\"2027-04-30\""]);
    assert_eq!(
        view.orders[0].input.instructions.care_notes.as_deref(),
        Some("入浴時の転倒に注意")
    );
    // Resolving keeps the chosen end.
    let id = review.id.clone();
    ours.resolve_review(&id, "\"2027-04-30\"", &edit(&sato, 11))
        .unwrap();
    assert_eq!(
        ours.view().unwrap().orders[0].input.to,
        Some(d("2027-04-30"))
    );
}

#[test]
fn an_order_entry_of_the_wrong_shape_from_another_device_is_refused() {
    let sato = author("佐藤", "tablet-sato");
    let tanaka = author("田中", "tablet-tanaka");
    let mut ours = new_chart(&sato);
    ours.add_order(
        &entry_id(1),
        &regular_order(d("2026-11-01"), None),
        &edit(&sato, 1),
    )
    .unwrap();
    let mut theirs = replica(&ours, &tanaka, 1);
    // A kind no Karte knows, written as a correction.
    let mut doc = automerge::Automerge::load(&theirs.save())
        .unwrap()
        .with_actor(actor(&tanaka, 9));
    let heads = doc.get_heads();
    {
        use automerge::transaction::Transactable;
        use automerge::{ROOT, ReadDoc};
        let orders = doc.get(ROOT, "orders").unwrap().unwrap().1;
        let entry = doc.get(&orders, entry_id(1).as_str()).unwrap().unwrap().1;
        let mut tx = doc.transaction();
        tx.put(&entry, "kind", "permanent").unwrap();
        tx.put(&entry, "devices.jetpack", true).unwrap();
        let message = json!({ "op": "entry.correct", "author": tanaka, "at": at(5).0 });
        tx.commit_with(
            automerge::transaction::CommitOptions::default()
                .with_message(message.to_string())
                .with_time(at(5).0 / 1000),
        );
    }
    let bytes = doc.save_after(&heads);
    let error = Chart::check_received(
        Some(&ours),
        &ours.id(),
        &bytes,
        |_| Some("tablet-tanaka".into()),
        at(10),
    )
    .unwrap_err();
    assert_eq!(error.code().as_str(), "forbidden_change");
    assert!(error.to_string().contains("orders/"), "{error}");
    // The honest device's own order passes.
    theirs
        .add_order(
            &entry_id(2),
            &regular_order(d("2026-12-01"), None),
            &edit(&tanaka, 6),
        )
        .unwrap();
    passes_the_check(&ours, &theirs, "tablet-tanaka");
}
