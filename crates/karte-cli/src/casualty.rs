//! Disaster mode on the command line: `karte casualty add`, `karte triage`,
//! `karte transport` and `karte board`. Words are Japanese first, English
//! second, as elsewhere.

use anyhow::Result;
use karte_api::types::{
    AgeBand, Anatomy, Board, CasualtyInput, Mechanism, Sex, Timestamp, TransportInput,
    TriageCategory, TriageFindings, TriageRequest, TriageResult, ValidationError, Vulnerable,
    parse_number,
};
use karte_api::{ApiError, Session};

use crate::Form;
use crate::args::{BoardArgs, CasualtyAdd, IdentifyArgs, TransportArgs, TriageArgs};

pub fn add(session: &mut Session, add: &CasualtyAdd) -> Result<()> {
    let mut form = Form::new();
    let sex = form.take(Sex::parse(&add.sex));
    let age_band = form.take(AgeBand::parse(&add.age_band));
    let coordinates = form.optional(&add.coordinates, coordinates);
    let input = form.finish(|| CasualtyInput {
        tag: add.tag.trim().to_owned(),
        sex: sex.expect("checked"),
        age_band: age_band.expect("checked"),
        found_at: add.found_at.clone(),
        found_latitude: coordinates.map(|c| c.0),
        found_longitude: coordinates.map(|c| c.1),
        features: add.features.clone(),
    })?;
    let id = session.add_casualty(&input)?;
    println!("{id}");
    eprintln!(
        "{} / {}",
        input.label().label_ja(),
        input.label().label_en()
    );
    Ok(())
}

pub fn triage(session: &mut Session, args: &TriageArgs) -> Result<()> {
    let patient = session.resolve_patient(&args.patient)?;
    let request = triage_request(args)?;
    let result = session.triage(&patient, &request)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print_triage(&result);
    }
    Ok(())
}

pub fn transport(session: &mut Session, args: &TransportArgs) -> Result<()> {
    let patient = session.resolve_patient(&args.patient)?;
    let now = session.now();
    let mut form = Form::new();
    let departed_at = form.optional(&args.departed, |t| match t.trim() {
        "now" | "今" => Ok(now),
        t => Timestamp::parse_rfc3339("departed", t),
    });
    let input = form.finish(|| TransportInput {
        agency: args.agency.clone(),
        destination: args.destination.clone(),
        departed_at,
    })?;
    println!("{}", session.record_transport(&patient, &input)?);
    Ok(())
}

pub fn board(session: &mut Session, args: &BoardArgs) -> Result<()> {
    let board = session.board(&args.interval)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&board)?);
    } else {
        print_board(&board);
    }
    Ok(())
}

/// Links the casualty to the known chart; prints the link's id, then
/// who the casualty is now and the review items the link raised.
pub fn identify(session: &mut Session, args: &IdentifyArgs) -> Result<()> {
    let casualty = session.resolve_patient(&args.patient)?;
    let known = session.resolve_patient(&args.known)?;
    let link = session.identify(&casualty, &known)?;
    println!("{link}");
    let view = session.chart(&known)?;
    eprintln!("身元判明 / identified: {}", view.patient.full_name());
    for review in view.open_reviews() {
        if let karte_api::types::ReviewKind::Clinical { rule } = &review.kind
            && rule.starts_with("identity-")
        {
            let values: Vec<&str> = review.values.iter().map(|v| v.value.as_str()).collect();
            eprintln!(
                "要確認 / to review: {} {} {} ({})",
                review.id,
                rule,
                review.path,
                values.join(" ≠ ")
            );
        }
    }
    Ok(())
}

/// yes/no in the words a person types.
fn yes_no(field: &'static str) -> impl Fn(&str) -> Result<bool, ValidationError> {
    move |text| match text.trim().to_lowercase().as_str() {
        "yes" | "y" | "true" | "はい" | "あり" | "有" | "可" => Ok(true),
        "no" | "n" | "false" | "いいえ" | "なし" | "無" | "不可" => Ok(false),
        _ => Err(ValidationError::new(
            field,
            "malformed",
            format!("'{text}' is not yes or no"),
        )),
    }
}

fn coordinates(text: &str) -> Result<(f64, f64), ValidationError> {
    let parts: Vec<&str> = text.split(',').map(str::trim).collect();
    match parts.as_slice() {
        [lat, lon] => Ok((
            parse_number("coordinates", lat)?,
            parse_number("coordinates", lon)?,
        )),
        _ => Err(ValidationError::new(
            "coordinates",
            "malformed",
            format!("'{text}' is not LATITUDE,LONGITUDE, e.g. 32.79,130.74"),
        )),
    }
}

fn triage_request(args: &TriageArgs) -> Result<TriageRequest, ApiError> {
    let mut form = Form::new();
    let findings = TriageFindings {
        walks: form.optional(&args.walks, yes_no("walks")),
        breathing: form.optional(&args.breathing, yes_no("breathing")),
        respiratory_rate: form.optional(&args.rr, |t| parse_number("rr", t)),
        radial_pulse: form.optional(&args.radial, yes_no("radial")),
        heart_rate: form.optional(&args.pulse, |t| parse_number("pulse", t)),
        capillary_refill_s: form.optional(&args.crt, |t| parse_number("crt", t)),
        obeys: form.optional(&args.obeys, yes_no("obeys")),
        jcs: form.optional(&args.jcs, |t| parse_number("jcs", t)),
        gcs: form.optional(&args.gcs, |t| parse_number("gcs", t)),
        systolic_bp: form.optional(&args.sbp, |t| parse_number("sbp", t)),
        spo2: form.optional(&args.spo2, |t| parse_number("spo2", t)),
        shock: form.optional(&args.shock, yes_no("shock")),
        temperature_c: form.optional(&args.temp, |t| parse_number("temp", t)),
        anatomy: form
            .optional(&args.anatomy, Anatomy::parse_list)
            .unwrap_or_default(),
        mechanism: form
            .optional(&args.mechanism, Mechanism::parse_list)
            .unwrap_or_default(),
        vulnerable: form
            .optional(&args.vulnerable, Vulnerable::parse_list)
            .unwrap_or_default(),
    };
    let at = form.optional(&args.at, |t| Timestamp::parse_rfc3339("at", t));
    let override_category = form.optional(&args.override_category, TriageCategory::parse);
    form.finish(|| TriageRequest {
        at,
        findings,
        override_category,
        override_reason: args.reason.clone(),
    })
}

fn print_triage(result: &TriageResult) {
    let c = result.category;
    println!("{} / {}", c.label_ja(), c.label_en());
    let outcome = &result.outcome;
    if let Some(reason) = &result.override_reason {
        println!(
            "  判定変更 / override: 規則の判定 / the rules gave {} / {}",
            outcome.category.label_ja(),
            outcome.category.label_en()
        );
        println!("  変更理由 / reason: {reason}");
    }
    println!("  根拠 / why:");
    for reason in &outcome.reasons {
        println!("  - {} / {}", reason.text_ja(), reason.text_en());
    }
    if !outcome.unmeasured.is_empty() {
        println!("  未測定 / not measured: {}", outcome.unmeasured.join(", "));
    }
    println!("  記録 / entry {}", result.entry);
}

fn category_cell(category: Option<TriageCategory>) -> String {
    match category {
        Some(c) => format!("{} {}{}", c.symbol(), c.colour_ja(), c.numeral()),
        None => "? 未判定".to_owned(),
    }
}

fn print_board(board: &Board) {
    println!(
        "トリアージボード / triage board  再トリアージ間隔 / re-triage interval: {} 分/min",
        board.retriage_minutes
    );
    let counts: Vec<String> = board
        .counts
        .iter()
        .map(|(c, n)| format!("{} {}{}: {n}", c.symbol(), c.colour_ja(), c.numeral()))
        .collect();
    println!(
        "  未判定 / not triaged {}  {}  搬送済 / departed {}",
        board.untriaged,
        counts.join("  "),
        board.departed
    );
    if board.rows.is_empty() {
        println!("  傷病者はいません / no casualties");
        return;
    }
    for row in &board.rows {
        let flag = if row.overdue {
            "  ‼ 再トリアージ超過 / overdue"
        } else {
            ""
        };
        println!(
            "  {:<8} {:>5} 分/min  {} / {}  {}{}",
            category_cell(row.category),
            row.waiting_minutes,
            row.name_ja,
            row.name_en,
            row.patient,
            flag
        );
    }
}
