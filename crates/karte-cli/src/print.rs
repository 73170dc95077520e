//! How charts, lists and the audit log look in a terminal. Headings are
//! Japanese first, English second, as the users read them.

use std::io::{IsTerminal, Write};

use karte_api::AuditEntry;
use karte_api::types::{
    AllergyStatus, ChartView, Date, EntryMeta, PatientSummary, Review, ReviewKind, VitalSigns,
};

pub fn patient_list(patients: &[PatientSummary], today: Date) {
    if patients.is_empty() {
        println!("該当する患者はいません / no patients found");
        return;
    }
    for p in patients {
        let care = p.care_level.map(|c| c.label_ja()).unwrap_or("-");
        let last = p
            .last_visit
            .map(|t| t.date_jst().to_string())
            .unwrap_or_else(|| "-".into());
        let flag = if p.open_reviews > 0 {
            format!("  要確認 {} / to review", p.open_reviews)
        } else {
            String::new()
        };
        if let Some(label) = p.unknown_casualty() {
            let category = p
                .triage
                .as_deref()
                .and_then(|t| t.category)
                .map(|c| format!("  {}", c.label_ja()))
                .unwrap_or_default();
            println!(
                "{}  {} / {}{}{}",
                p.id,
                label.label_ja(),
                label.label_en(),
                category,
                flag
            );
            continue;
        }
        println!(
            "{}  {} {}（{} {}）  {}  {}歳  {}  {}  最終訪問 {}{}",
            p.id,
            p.family,
            p.given,
            p.family_kana,
            p.given_kana,
            p.birth,
            p.birth.age_on(today),
            p.sex.label_ja(),
            care,
            last,
            flag
        );
        for line in crate::paperwork::status_lines(&p.orders.status(today)) {
            println!("    {line}");
        }
    }
    println!("{} 名 / patients", patients.len());
}

fn entry_status(meta: &EntryMeta) -> String {
    match &meta.entered_in_error {
        Some(v) => format!(
            "  [取消 entered-in-error: {} — {} {}]",
            v.reason,
            v.by.user_name,
            v.at.to_rfc3339()
        ),
        None => String::new(),
    }
}

fn recorded(meta: &EntryMeta) -> String {
    format!(
        "{} {} @{}",
        meta.recorded_at.to_rfc3339(),
        meta.recorded_by.user_name,
        meta.recorded_by.device
    )
}

pub fn chart(chart: &ChartView, today: Date) {
    if let Some(label) = chart.unknown_casualty() {
        println!("{} / {}  {}", label.label_ja(), label.label_en(), chart.id);
    } else {
        print_identity(chart, today);
    }
    triage_tag(chart);
    print_body(chart, today);
}

fn print_identity(chart: &ChartView, today: Date) {
    let p = &chart.patient;
    println!(
        "{} {}（{} {}）  {}",
        p.family, p.given, p.family_kana, p.given_kana, chart.id
    );
    println!(
        "  {}  {}歳  {}  要介護度 {}",
        p.birth,
        p.birth.age_on(today),
        p.sex.label_ja(),
        p.care_level.map(|c| c.label_ja()).unwrap_or("-")
    );
    for (label, value) in [
        ("住所", &p.address),
        ("電話", &p.phone),
        ("被保険者番号", &p.insurance_number),
    ] {
        if let Some(value) = value {
            println!("  {label}: {value}");
        }
    }
}

/// Disaster mode: the registration, the triage that stands, every triage
/// before it, and transport.
fn triage_tag(chart: &ChartView) {
    let tag = &chart.triage;
    if tag.is_empty() {
        return;
    }
    println!("\n■ トリアージタッグ / Triage tag");
    if let Some(c) = tag.casualty() {
        let i = &c.input;
        println!(
            "  タッグNo. / tag {}  {} {}  登録 / registered {}",
            i.tag,
            i.sex.label_ja(),
            i.age_band.label_ja(),
            recorded(&c.meta)
        );
        if let Some(place) = &i.found_at {
            println!("  発見場所 / found at: {place}");
        }
        if let (Some(lat), Some(lon)) = (i.found_latitude, i.found_longitude) {
            println!("  座標 / coordinates: {lat}, {lon}");
        }
        if let Some(features) = &i.features {
            println!("  特徴 / features: {features}");
        }
    }
    let current = tag.current().map(|t| &t.meta.id);
    for t in &tag.history {
        let i = &t.input;
        let mark = if Some(&t.meta.id) == current {
            "▶"
        } else {
            " "
        };
        let overridden = match &i.override_reason {
            Some(reason) => format!(
                "  [判定変更 override: 規則 rules {} — {reason}]",
                i.computed.label_ja()
            ),
            None => String::new(),
        };
        println!(
            "  {mark} {} / {}  {}  {}  ({}){}{}",
            i.category.label_ja(),
            i.category.colour_en(),
            i.at.to_rfc3339(),
            t.meta.id,
            recorded(&t.meta),
            overridden,
            entry_status(&t.meta)
        );
        if let Some(outcome) = i.outcome() {
            for reason in &outcome.reasons {
                println!("      {} / {}", reason.text_ja(), reason.text_en());
            }
        }
    }
    if let Some(t) = tag.transport() {
        let i = &t.input;
        println!(
            "  搬送 / transport: 搬送機関 {} / 収容医療機関 {} / 出発 departed {}",
            i.agency.as_deref().unwrap_or("-"),
            i.destination.as_deref().unwrap_or("-"),
            i.departed_at
                .map(|d| d.to_rfc3339())
                .unwrap_or_else(|| "-".into())
        );
    }
}

fn print_body(chart: &ChartView, today: Date) {
    let open: Vec<&Review> = chart.open_reviews().collect();
    if !open.is_empty() {
        println!("\n■ 要確認 / To review ({})", open.len());
        for review in open {
            print_review(review);
        }
    }

    println!("\n■ アレルギー / Allergies");
    match chart.allergy_status {
        AllergyStatus::NotRecorded if chart.allergies.is_empty() => {
            println!("  未確認 / not recorded")
        }
        AllergyStatus::NoKnownAllergies
            if chart
                .allergies
                .iter()
                .all(|a| a.meta.entered_in_error.is_some()) =>
        {
            println!("  アレルギーなし / no known allergies")
        }
        _ => {}
    }
    for a in &chart.allergies {
        let i = &a.input;
        println!(
            "  ! {}  [{} / {} / {}]  {}  {}{}",
            i.substance,
            i.category.label_ja(),
            i.criticality.code(),
            i.status.code(),
            i.reaction.as_deref().unwrap_or(""),
            a.meta.id,
            entry_status(&a.meta)
        );
    }

    println!("\n■ 問題リスト / Problems");
    if chart.conditions.is_empty() {
        println!("  -");
    }
    for c in &chart.conditions {
        let i = &c.input;
        println!(
            "  {}  {}  {}  {}  {}{}",
            i.name,
            i.icd10.as_deref().unwrap_or(""),
            i.onset.map(|d| d.to_string()).unwrap_or_default(),
            i.status.code(),
            c.meta.id,
            entry_status(&c.meta)
        );
    }

    println!("\n■ 薬剤 / Medications");
    if chart.medications.is_empty() {
        println!("  -");
    }
    for m in &chart.medications {
        let i = &m.input;
        let period = match (i.start, i.end) {
            (None, None) => String::new(),
            (s, e) => format!(
                "{}〜{}",
                s.map(|d| d.to_string()).unwrap_or_default(),
                e.map(|d| d.to_string()).unwrap_or_default()
            ),
        };
        println!(
            "  {} {} {} {}  {}  {}{}",
            i.name,
            i.dose,
            i.route.label_ja(),
            i.frequency,
            period,
            m.meta.id,
            entry_status(&m.meta)
        );
    }

    crate::paperwork::print_chart(chart, today);
    documents(chart);

    println!("\n■ 訪問記録 / Visits ({})", chart.visits.len());
    for v in &chart.visits {
        println!(
            "  ● {}  {}  ({}){}",
            v.input.at.to_rfc3339(),
            v.meta.id,
            recorded(&v.meta),
            entry_status(&v.meta)
        );
        let vitals = vitals_line(&v.input.vitals);
        if !vitals.is_empty() {
            println!("    {vitals}");
        }
        if let Some(profession) = v.input.profession {
            println!(
                "    訪問職種 / by: {} ({profession})",
                profession.label_ja()
            );
        }
        if v.input.long_visit {
            println!("    長時間訪問 / long visit");
        }
        let s = &v.input.soap;
        for (letter, text) in [
            ("S", &s.subjective),
            ("O", &s.objective),
            ("A", &s.assessment),
            ("P", &s.plan),
        ] {
            if let Some(text) = text {
                println!("    {letter}: {text}");
            }
        }
    }
}

/// The documents saved in the chart, with who saved and who approved each.
fn documents(chart: &ChartView) {
    if chart.documents.is_empty() {
        return;
    }
    println!("\n■ 書類 / Documents ({})", chart.documents.len());
    for d in &chart.documents {
        let i = &d.input;
        let approval = match (&i.approved_by_name, i.approved_at) {
            (Some(name), Some(at)) => format!("承認 approved: {name} {}", at.to_rfc3339()),
            _ => "未承認 / not approved".to_owned(),
        };
        println!(
            "  {} {}  {}  ({})  {approval}{}",
            i.kind.label_ja(),
            i.detail,
            d.meta.id,
            recorded(&d.meta),
            entry_status(&d.meta)
        );
    }
}

fn print_review(review: &Review) {
    let what = match &review.kind {
        ReviewKind::ConcurrentValues => "同時編集 / concurrent edits".to_owned(),
        ReviewKind::Clinical { rule } => format!("臨床的不整合 / clinical: {rule}"),
    };
    println!("  ? {}  {}  {}", review.id, what, review.path);
    for value in &review.values {
        let who = value
            .author
            .as_ref()
            .map(|a| format!("{} @{}", a.user_name, a.device))
            .unwrap_or_else(|| "?".into());
        let when = value.at.map(|t| t.to_rfc3339()).unwrap_or_default();
        println!("      {}  — {} {}", value.value, who, when);
    }
}

pub fn vitals_line(v: &VitalSigns) -> String {
    let mut parts = Vec::new();
    if let Some(t) = v.temperature_c {
        parts.push(format!("T {t:.1}℃"));
    }
    if let (Some(s), Some(d)) = (v.systolic, v.diastolic) {
        parts.push(format!("BP {s}/{d}"));
    }
    if let Some(p) = v.pulse {
        parts.push(format!("P {p}"));
    }
    if let Some(r) = v.respiration {
        parts.push(format!("R {r}"));
    }
    if let Some(s) = v.spo2 {
        parts.push(format!("SpO2 {s}%"));
    }
    if let Some(j) = v.jcs {
        parts.push(format!("JCS {j}"));
    }
    if let Some(p) = v.pain {
        parts.push(format!("痛み {p}/10"));
    }
    parts.join("  ")
}

pub fn audit(entries: &[AuditEntry]) {
    for e in entries {
        let patient = e
            .event
            .patient
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_else(|| "-".into());
        println!(
            "{:>6}  {}  {} @{}  {}  {}  {}",
            e.seq,
            e.event.at.to_rfc3339(),
            e.user_name,
            e.device,
            e.event.action,
            patient,
            e.event.detail
        );
    }
    println!("{} 件 / entries; hash chain verified", entries.len());
}

/// A progress line on standard error: redrawn in place on a terminal, a line
/// every tenth of the way otherwise.
pub struct Progress {
    what: &'static str,
    terminal: bool,
}

impl Progress {
    pub fn new(what: &'static str) -> Progress {
        Progress {
            what,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    pub fn show(&self, done: usize, total: usize) {
        let mut err = std::io::stderr();
        if self.terminal {
            let _ = write!(err, "\r{}: {done}/{total}", self.what);
            let _ = err.flush();
        } else if total < 10 || done.is_multiple_of(total / 10) || done == total {
            let _ = writeln!(err, "{}: {done}/{total}", self.what);
        }
    }

    pub fn finish(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}
