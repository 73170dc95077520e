//! `karte order` and `karte scale`: the station's paperwork read from the
//! command line into `karte-types` values, and how 指示書, their alerts and
//! the scales' trends print in the patient list and the chart.

use anyhow::Result;
use karte_api::ApiError;
use karte_api::types::{
    AssessmentInput, Barthel, BedriddenGrade, CareLevel, ChartView, Date, DementiaGrade, DesignR,
    EntryId, MedicalDevices, OrderInput, OrderInstructions, OrderKind, OrderStatus,
    PressureUlcerDepth, Scale, Timestamp, TubeFeedingRoute, VentilatorKind, parse_number,
};

use crate::args::{Cli, OrderAdd, ScaleRecord};
use crate::{Form, open};

pub fn order_add(cli: &Cli, add: &OrderAdd) -> Result<()> {
    let mut session = open(cli)?;
    let patient = session.resolve_patient(&add.patient)?;
    let input = order(add)?;
    println!("{}", session.add_order(&patient, &input)?);
    Ok(())
}

pub fn scale_record(cli: &Cli, record: &ScaleRecord) -> Result<()> {
    let mut session = open(cli)?;
    let patient = session.resolve_patient(&record.patient)?;
    let visit = match &record.visit {
        Some(typed) => Some(session.resolve_entry(&patient, typed)?),
        None => None,
    };
    for input in scales(record, session.now(), visit)? {
        println!("{}", session.record_scale(&patient, &input)?);
    }
    Ok(())
}

/// A text given only when not blank.
fn text(given: &Option<String>) -> Option<String> {
    given.clone().filter(|t| !t.trim().is_empty())
}

fn order(add: &OrderAdd) -> Result<OrderInput, ApiError> {
    let mut form = Form::new();
    let kind = form.take(OrderKind::parse(&add.kind));
    let from = form.take(Date::parse("from", &add.from));
    let to = form.optional(&add.to, |t| Date::parse("to", t));
    let issued = form.optional(&add.issued, |t| Date::parse("issued", t));
    let bedridden = form.optional(&add.bedridden, BedriddenGrade::parse);
    let dementia = form.optional(&add.dementia, DementiaGrade::parse);
    let care_level = form.optional(&add.care_level, CareLevel::parse);
    let pressure_ulcer_depth = form.optional(&add.pressure_ulcer, PressureUlcerDepth::parse);
    let oxygen_flow_l_min = form.optional(&add.oxygen_flow, |t| parse_number("oxygen-flow", t));
    let tube_feeding = form.optional(&add.tube_feeding, TubeFeedingRoute::parse);
    let tube_feeding_change_days = form.optional(&add.tube_change_days, |t| {
        parse_number("tube-change-days", t)
    });
    let urinary_catheter_change_days = form.optional(&add.catheter_change_days, |t| {
        parse_number("catheter-change-days", t)
    });
    let ventilator = form.optional(&add.ventilator, VentilatorKind::parse);
    let rehab_minutes_per_day =
        form.optional(&add.rehab_minutes, |t| parse_number("rehab-minutes", t));
    let rehab_times_per_week = form.optional(&add.rehab_times, |t| parse_number("rehab-times", t));
    let catheter_size = text(&add.catheter_size);
    let cannula_size = text(&add.cannula_size);
    let devices = MedicalDevices {
        peritoneal_dialysis: add.peritoneal_dialysis,
        dialysate_supply: add.dialysate_supply,
        oxygen: add.oxygen || oxygen_flow_l_min.is_some(),
        oxygen_flow_l_min,
        suction: add.suction,
        central_venous_nutrition: add.central_venous_nutrition,
        infusion_pump: add.infusion_pump,
        tube_feeding,
        tube_feeding_size: text(&add.tube_size),
        tube_feeding_change_days,
        urinary_catheter: add.catheter
            || catheter_size.is_some()
            || urinary_catheter_change_days.is_some(),
        urinary_catheter_size: catheter_size,
        urinary_catheter_change_days,
        ventilator,
        ventilator_settings: text(&add.ventilator_settings),
        tracheal_cannula: add.cannula || cannula_size.is_some(),
        tracheal_cannula_size: cannula_size,
        colostomy: add.colostomy,
        urostomy: add.urostomy,
        other: text(&add.other_device),
    };
    let instructions = OrderInstructions {
        care_notes: text(&add.care_notes),
        rehab_minutes_per_day,
        rehab_times_per_week,
        pressure_ulcer_care: text(&add.ulcer_care),
        device_care: text(&add.device_care),
        other: text(&add.other_instructions),
    };
    let input = form.finish(|| OrderInput {
        kind: kind.expect("checked"),
        from: from.expect("checked"),
        to,
        issued,
        doctor: add.doctor.clone(),
        institution: add.institution.clone(),
        institution_address: text(&add.institution_address),
        institution_phone: text(&add.institution_phone),
        diagnosis: text(&add.diagnosis),
        diagnosis_code: text(&add.diagnosis_code),
        condition: text(&add.condition),
        medicines: text(&add.medicines),
        bedridden,
        dementia,
        care_level,
        pressure_ulcer_depth,
        devices,
        instructions,
        infusion: text(&add.infusion),
        special_reason: text(&add.reason),
        emergency_contact: text(&add.emergency_contact),
        absence_contact: text(&add.absence_contact),
    })?;
    input.validate().map_err(ApiError::Invalid)?;
    Ok(input)
}

/// Every scale the command gives, each to be its own entry; nothing is
/// recorded unless all of them read.
fn scales(
    record: &ScaleRecord,
    now: Timestamp,
    visit: Option<EntryId>,
) -> Result<Vec<AssessmentInput>, ApiError> {
    let mut form = Form::new();
    let at = form
        .optional(&record.at, |t| Timestamp::parse_rfc3339("at", t))
        .unwrap_or(now);
    let mut scales = Vec::new();
    if let Some(grade) = form.optional(&record.bedridden, BedriddenGrade::parse) {
        scales.push(Scale::Bedridden { grade });
    }
    if let Some(grade) = form.optional(&record.dementia, DementiaGrade::parse) {
        scales.push(Scale::Dementia { grade });
    }
    if let Some(text) = &record.barthel {
        match Barthel::parse(text) {
            Ok(barthel) => scales.push(Scale::Barthel(barthel)),
            Err(errors) => errors.0.into_iter().for_each(|e| form.0.push(e)),
        }
    }
    if let Some(text) = &record.design_r {
        let wound = record.wound.as_deref().unwrap_or_default();
        match DesignR::parse(wound, text) {
            Ok(design) => scales.push(Scale::DesignR(design)),
            Err(errors) => errors.0.into_iter().for_each(|e| form.0.push(e)),
        }
    }
    form.finish(|| {
        scales
            .into_iter()
            .map(|scale| AssessmentInput {
                at,
                visit: visit.clone(),
                scale,
            })
            .collect()
    })
}

/// The alert lines of a patient's orders, Japanese then English, and this
/// month's 特別指示 when there are any.
pub fn status_lines(status: &OrderStatus) -> Vec<String> {
    let mut lines: Vec<String> = status
        .alerts
        .iter()
        .map(|a| format!("⚠ {} / {}", a.message_ja(), a.message_en()))
        .collect();
    if status.specials_this_month > 0 {
        lines.push(format!(
            "特別指示 今月{}回 (上限{}回) / special orders this month: {} of {}",
            status.specials_this_month,
            status.special_limit,
            status.specials_this_month,
            status.special_limit
        ));
    }
    lines
}

/// The chart's 指示書 with their alerts, and its scales over time.
pub fn print_chart(chart: &ChartView, today: Date) {
    println!("\n■ 指示書 / Physician's orders ({})", chart.orders.len());
    for line in status_lines(&chart.order_status(today)) {
        println!("  {line}");
    }
    for order in &chart.orders {
        let i = &order.input;
        let to = match i.to {
            Some(to) => to.to_string(),
            None => format!("{} (期間記載なし: 1か月 / no end: one month)", i.until()),
        };
        let void = order
            .meta
            .entered_in_error
            .as_ref()
            .map(|v| format!("  [取消 entered-in-error: {}]", v.reason))
            .unwrap_or_default();
        println!(
            "  {} {}〜{}  {} {}  {}{}",
            i.kind.label_ja(),
            i.from,
            to,
            i.institution,
            i.doctor,
            order.meta.id,
            void
        );
        if let Some(diagnosis) = &i.diagnosis {
            let code = i
                .diagnosis_code
                .as_deref()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            println!("    主たる傷病名: {diagnosis}{code}");
        }
        let grades: Vec<String> = [
            i.bedridden.map(|g| format!("寝たきり度 {g}")),
            i.dementia.map(|g| format!("認知症 {}", g.label_ja())),
            i.care_level.map(|c| c.label_ja().to_owned()),
            i.pressure_ulcer_depth
                .map(|d| format!("褥瘡 {}", d.label_ja())),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !grades.is_empty() {
            println!("    {}", grades.join("  "));
        }
        let devices = device_words(&i.devices);
        if !devices.is_empty() {
            println!("    医療機器: {}", devices.join("、"));
        }
        if let Some(reason) = &i.special_reason {
            println!("    特別指示の理由: {reason}");
        }
        if let Some(infusion) = &i.infusion {
            println!("    点滴注射: {infusion}");
        }
    }
    let outside = chart.visits_outside_orders();
    if !outside.is_empty() {
        let ids: Vec<&str> = outside.iter().map(EntryId::as_str).collect();
        println!(
            "  指示書の期間外の訪問 / visits outside any order: {}",
            ids.join(", ")
        );
    }

    let trends = chart.scale_trends();
    println!("\n■ 評価スケール / Scales");
    let dated = |at: Timestamp| at.date_jst().to_string();
    let mut any = false;
    let mut row = |label: &str, points: Vec<String>| {
        if !points.is_empty() {
            any = true;
            println!("  {label}: {}", points.join(" → "));
        }
    };
    row(
        "寝たきり度 / bedridden",
        trends
            .bedridden
            .iter()
            .map(|p| format!("{} {}", dated(p.at), p.value))
            .collect(),
    );
    row(
        "認知症 / dementia",
        trends
            .dementia
            .iter()
            .map(|p| format!("{} {}", dated(p.at), p.value.label_ja()))
            .collect(),
    );
    row(
        "Barthel Index",
        trends
            .barthel
            .iter()
            .map(|p| format!("{} {}", dated(p.at), p.value.total()))
            .collect(),
    );
    for (wound, points) in &trends.design_r {
        row(
            &format!("DESIGN-R {wound}"),
            points
                .iter()
                .map(|p| format!("{} {}", dated(p.at), p.value.notation()))
                .collect(),
        );
    }
    if !any {
        println!("  -");
    }
}

fn device_words(d: &MedicalDevices) -> Vec<String> {
    let mut words = Vec::new();
    let mut flag = |on: bool, word: &str| {
        if on {
            words.push(word.to_owned());
        }
    };
    flag(d.peritoneal_dialysis, "自動腹膜灌流装置");
    flag(d.dialysate_supply, "透析液供給装置");
    flag(d.suction, "吸引器");
    flag(d.central_venous_nutrition, "中心静脈栄養");
    flag(d.infusion_pump, "輸液ポンプ");
    flag(d.colostomy, "人工肛門");
    flag(d.urostomy, "人工膀胱");
    let size = |s: &Option<String>| s.as_deref().map(|s| format!(" {s}")).unwrap_or_default();
    let every = |days: Option<u16>| days.map(|n| format!(" {n}日毎交換")).unwrap_or_default();
    if d.oxygen {
        let flow = d
            .oxygen_flow_l_min
            .map(|f| format!(" {f}L/分"))
            .unwrap_or_default();
        words.push(format!("酸素療法{flow}"));
    }
    if let Some(route) = d.tube_feeding {
        words.push(format!(
            "経管栄養 ({}){}{}",
            route.label_ja(),
            size(&d.tube_feeding_size),
            every(d.tube_feeding_change_days)
        ));
    }
    if d.urinary_catheter {
        words.push(format!(
            "留置カテーテル{}{}",
            size(&d.urinary_catheter_size),
            every(d.urinary_catheter_change_days)
        ));
    }
    if let Some(kind) = d.ventilator {
        words.push(format!(
            "人工呼吸器 ({}){}",
            kind.label_ja(),
            size(&d.ventilator_settings)
        ));
    }
    if d.tracheal_cannula {
        words.push(format!("気管カニューレ{}", size(&d.tracheal_cannula_size)));
    }
    if let Some(other) = &d.other {
        words.push(other.clone());
    }
    words
}
