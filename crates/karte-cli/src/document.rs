//! `karte document`: the station's paperwork as A4 PDFs, mapped from the
//! chart into `karte-docs`' plain inputs. Each reads the chart through
//! `Session::export_document` (the export permission, an audit entry
//! `export pdf-KIND`) and writes the PDF whole or not at all
//! (`output_file::write_whole`), made in memory: no temporary file holds
//! the patient's data in plain form beyond the PDF asked for.
//!
//! 報告書 (`report`): the calendar's ◇ comes from a visit recorded with a
//! therapist's profession (PT, OT, ST) and □ from a visit recorded as long
//! (長時間訪問看護加算); a visit recorded without a profession counts as a
//! nurse's. 病状の経過 is the month's assessments (the A of SOAP) in date
//! order, each with its day; the other sections are left blank to be
//! written by hand.
//!
//! 計画書 (`plan`): the chart holds no care plan (goals, problems), so those
//! are left blank to be written by hand; the patient, the physician of the
//! 指示書 in force and the station are filled in.
//!
//! 記録書Ⅰ (`record1`): the intake, from the patient's details, the 指示書 in
//! force (its contacts and institution), the active conditions, allergies
//! and medications, and the latest of each scale.
//!
//! 記録書Ⅱ (`record2`): one visit, its vital signs and SOAP note; who
//! visited is its author and profession. A visit has a start only, so the
//! end time and 実施した看護 are left blank.

use std::io::Write;

use anyhow::{Context, Result};
use karte_api::types::{
    AllergyStatus, ChartView, ClinicalStatus, Date, Demographics, OrderKind, OrderSpan, Scale,
    ValidationError, ValidationErrors, Visit,
};
use karte_docs::{
    CarePlan, Discipline, DocumentFont, IntakeRecord, MonthVisit, MonthlyReport, PatientHeader,
    Physician, Station, VisitRecord, Vitals, render_intake, render_plan, render_record,
    render_report, wareki_date,
};
use time::Month;

use crate::args::{
    Cli, DocumentCommand, DocumentOnDay, DocumentRecord2, DocumentReport, StationFlags,
};
use crate::{Form, open, output_file};

pub fn run(cli: &Cli, command: &DocumentCommand) -> Result<()> {
    match command {
        DocumentCommand::Report(args) => report(cli, args),
        DocumentCommand::Plan(args) => plan(cli, args),
        DocumentCommand::Record1(args) => record1(cli, args),
        DocumentCommand::Record2(args) => record2(cli, args),
    }
}

fn station(flags: &StationFlags) -> Station {
    if flags.name.is_none() {
        eprintln!(
            "⚠ 事業所名がありません (--station): 空白のまま出力します / no station name (--station): left blank"
        );
    }
    Station {
        name: flags.name.clone().unwrap_or_default(),
        manager: flags.manager.clone().unwrap_or_default(),
        address: flags.address.clone().unwrap_or_default(),
        phone: flags.phone.clone().unwrap_or_default(),
    }
}

/// The font, read before anything leaves the vault: a machine without it
/// fails before anything is read or recorded as exported.
pub(crate) fn font() -> Result<DocumentFont> {
    DocumentFont::from_environment()
        .context("日本語フォントが読めません / the Japanese font cannot be read")
}

/// Renders the document in memory and writes it whole to `path`.
pub(crate) fn write_pdf(
    path: &std::path::Path,
    what: &str,
    render: impl FnOnce(&mut dyn Write) -> Result<(), karte_docs::DocsError>,
) -> Result<()> {
    let mut pdf = Vec::new();
    render(&mut pdf)
        .with_context(|| format!("{what}を作れません / the {what} could not be made"))?;
    output_file::write_whole(path, |out| Ok(out.write_all(&pdf)?))
}

fn report(cli: &Cli, args: &DocumentReport) -> Result<()> {
    let mut form = Form::new();
    let month = form.take(parse_month(&args.month));
    let written = form.optional(&args.date, |t| Date::parse("date", t));
    let (year, month) = form.finish(|| month)?.expect("a parsed month");
    let font = font()?;
    let station = station(&args.station);

    let mut session = open(cli)?;
    let patient = session.resolve_patient(&args.patient)?;
    let written = written.unwrap_or_else(|| session.now().date_jst());
    let chart = session.export_document(&patient, "report", args.month.clone())?;
    let report = monthly_report(&chart, year, month, station, written.0);
    if report.physician.name.is_empty() {
        eprintln!(
            "⚠ {}年{}月に有効な指示書がありません: 主治医の欄は空白です / no 指示書 in force in {}: the physician is left blank",
            year, month as u8, args.month
        );
    }
    write_pdf(&args.pdf, "報告書", |out| {
        render_report(&report, &font, out)
    })?;
    eprintln!(
        "訪問看護報告書 {}年{}月 ({}回訪問) を {} に書きました / wrote the report of {} ({} visits) to {}",
        year,
        month as u8,
        report.visits.len(),
        args.pdf.display(),
        args.month,
        report.visits.len(),
        args.pdf.display()
    );
    Ok(())
}

/// `2026-11` as a year and a month.
fn parse_month(text: &str) -> Result<(i32, Month), ValidationError> {
    let invalid = || {
        ValidationError::new(
            "month",
            "malformed",
            format!("{text:?} is not a month: write it as YYYY-MM, e.g. 2026-11"),
        )
    };
    let (year, month) = text.trim().split_once('-').ok_or_else(invalid)?;
    let year: i32 = year.parse().map_err(|_| invalid())?;
    let month: u8 = month.parse().map_err(|_| invalid())?;
    let month = Month::try_from(month).map_err(|_| invalid())?;
    if !(1900..=9999).contains(&year) {
        return Err(invalid());
    }
    Ok((year, month))
}

fn in_month(day: time::Date, year: i32, month: Month) -> bool {
    day.year() == year && day.month() == month
}

/// The 訪問看護報告書 of one month, from the chart: the month's standing
/// visits as the calendar's visits (△ on a day a standing 特別訪問看護指示書
/// covers; ◎ from two or more visits a day, as `karte-docs` counts), the
/// patient's details, the physician of the 指示書 in force that month, and
/// 病状の経過 from the visits' assessments in date order.
pub fn monthly_report(
    chart: &ChartView,
    year: i32,
    month: Month,
    station: Station,
    written: time::Date,
) -> MonthlyReport {
    let orders: Vec<OrderSpan> = chart.orders.iter().filter_map(OrderSpan::of).collect();
    let specials: Vec<&OrderSpan> = orders
        .iter()
        .filter(|o| o.kind == OrderKind::Special)
        .collect();

    let mut visits: Vec<_> = chart
        .visits
        .iter()
        .filter(|v| v.meta.entered_in_error.is_none())
        .filter(|v| in_month(v.input.at.date_jst().0, year, month))
        .collect();
    visits.sort_by_key(|v| v.input.at);
    let month_visits = visits
        .iter()
        .map(|v| {
            let day = v.input.at.date_jst();
            MonthVisit {
                date: day.0,
                discipline: match v.input.profession {
                    Some(profession) if profession.is_therapist() => Discipline::Therapist,
                    _ => Discipline::Nurse,
                },
                special_order: specials.iter().any(|o| o.covers(day)),
                long: v.input.long_visit,
            }
        })
        .collect();
    let course = visits
        .iter()
        .filter_map(|v| {
            let text = v.input.soap.assessment.as_deref()?.trim();
            let day = v.input.at.date_jst().0;
            (!text.is_empty()).then(|| format!("{}/{} {}", day.month() as u8, day.day(), text))
        })
        .collect::<Vec<_>>()
        .join("\n");

    MonthlyReport {
        patient: patient_header(&chart.patient),
        year,
        month,
        visits: month_visits,
        course,
        adl: String::new(),
        care_given: String::new(),
        home_care: String::new(),
        materials: String::new(),
        materials_change: String::new(),
        information: String::new(),
        notes: String::new(),
        written,
        station,
        physician: physician_in_force(&orders, year, month),
    }
}

/// The physician of the regular 指示書 in force in the month (the latest
/// to start, when several overlap it), else of any order in force; blank
/// when there is none.
fn physician_in_force(orders: &[OrderSpan], year: i32, month: Month) -> Physician {
    let first = time::Date::from_calendar_date(year, month, 1).expect("a valid month");
    let last = time::Date::from_calendar_date(year, month, time::util::days_in_month(month, year))
        .expect("a valid month");
    match span_in_force(orders, first, last) {
        Some(order) => Physician {
            name: order.doctor.clone(),
            institution: order.institution.clone(),
        },
        None => Physician {
            name: String::new(),
            institution: String::new(),
        },
    }
}

/// The standing order in force between `first` and `last`: the regular
/// 指示書 that started latest, else any order.
fn span_in_force(orders: &[OrderSpan], first: time::Date, last: time::Date) -> Option<&OrderSpan> {
    let overlapping = |o: &&OrderSpan| o.from.0 <= last && o.until().0 >= first;
    orders
        .iter()
        .filter(overlapping)
        .filter(|o| o.kind == OrderKind::Instruction)
        .max_by_key(|o| o.from)
        .or_else(|| orders.iter().filter(overlapping).max_by_key(|o| o.from))
}

/// The standing order in force on `day`, whole.
fn order_on(chart: &ChartView, day: time::Date) -> Option<&karte_api::types::Order> {
    let spans: Vec<OrderSpan> = chart.orders.iter().filter_map(OrderSpan::of).collect();
    let chosen = span_in_force(&spans, day, day)?;
    chart.orders.iter().find(|o| o.meta.id == chosen.id)
}

fn patient_header(patient: &Demographics) -> PatientHeader {
    PatientHeader {
        name: format!("{} {}", patient.family, patient.given),
        birth: patient.birth.0,
        address: patient.address.clone().unwrap_or_default(),
        care_level: patient
            .care_level
            .map(|level| level.label_ja().to_owned())
            .unwrap_or_default(),
    }
}

fn blank_physician(order: Option<&karte_api::types::Order>, day: time::Date) -> Physician {
    match order {
        Some(order) => Physician {
            name: order.input.doctor.clone(),
            institution: order.input.institution.clone(),
        },
        None => {
            eprintln!(
                "⚠ {} に有効な指示書がありません: 主治医の欄は空白です / no 指示書 in force on {}: the physician is left blank",
                Date(day),
                Date(day)
            );
            Physician {
                name: String::new(),
                institution: String::new(),
            }
        }
    }
}

/// A document of one patient as of one day (`--date`, else today): the
/// checks, the export of the chart (audited as `export pdf-{kind}`), the
/// form made by `make` and drawn by `render`, written whole to `--pdf`.
/// `plan` and `record1` differ only in these.
fn document_on_day<F>(
    cli: &Cli,
    args: &DocumentOnDay,
    kind: &str,
    what: &str,
    make: impl FnOnce(&ChartView, Station, time::Date) -> F,
    render: impl FnOnce(&F, &DocumentFont, &mut dyn Write) -> Result<(), karte_docs::DocsError>,
) -> Result<()> {
    let mut form = Form::new();
    let day = form.optional(&args.date, |t| Date::parse("date", t));
    form.finish(|| ())?;
    let font = font()?;
    let station = station(&args.station);
    let mut session = open(cli)?;
    let patient = session.resolve_patient(&args.patient)?;
    let day = day.unwrap_or_else(|| session.now().date_jst());
    let chart = session.export_document(&patient, kind, day.to_string())?;
    let document = make(&chart, station, day.0);
    write_pdf(&args.pdf, what, |out| render(&document, &font, out))
}

fn plan(cli: &Cli, args: &DocumentOnDay) -> Result<()> {
    document_on_day(cli, args, "plan", "計画書", care_plan, render_plan)?;
    eprintln!(
        "訪問看護計画書を {} に書きました（目標・問題点は手書き欄） / wrote the care plan to {} (goals and problems left blank to be written by hand)",
        args.pdf.display(),
        args.pdf.display()
    );
    Ok(())
}

/// The 訪問看護計画書 as of `made`: the chart holds no care plan, so the
/// goals, problems, materials and notes are blank for the nurse to write.
pub fn care_plan(chart: &ChartView, station: Station, made: time::Date) -> CarePlan {
    CarePlan {
        patient: patient_header(&chart.patient),
        made,
        reviewed: None,
        goals: String::new(),
        problems: Vec::new(),
        materials: String::new(),
        notes: String::new(),
        station,
        physician: blank_physician(order_on(chart, made), made),
    }
}

fn record1(cli: &Cli, args: &DocumentOnDay) -> Result<()> {
    document_on_day(
        cli,
        args,
        "record1",
        "記録書Ⅰ",
        intake_record,
        render_intake,
    )?;
    eprintln!(
        "訪問看護記録書Ⅰを {} に書きました / wrote the intake record to {}",
        args.pdf.display(),
        args.pdf.display()
    );
    Ok(())
}

/// The 訪問看護記録書Ⅰ as of `written`: standing entries only, the active
/// conditions and allergies, and the latest value of each scale.
pub fn intake_record(chart: &ChartView, station: Station, written: time::Date) -> IntakeRecord {
    let patient = &chart.patient;
    let order = order_on(chart, written);
    let lines = |items: Vec<String>| items.join("\n");
    let diagnoses = chart
        .conditions
        .iter()
        .filter(|c| c.meta.entered_in_error.is_none())
        .filter(|c| c.input.status == ClinicalStatus::Active)
        .map(|c| match &c.input.icd10 {
            Some(code) => format!("{}（{code}）", c.input.name),
            None => c.input.name.clone(),
        })
        .collect();
    let allergies = match chart.allergy_status {
        AllergyStatus::NotRecorded => "未確認".to_owned(),
        AllergyStatus::NoKnownAllergies => "なし（確認済み）".to_owned(),
        AllergyStatus::Recorded => lines(
            chart
                .allergies
                .iter()
                .filter(|a| a.meta.entered_in_error.is_none())
                .filter(|a| a.input.status == ClinicalStatus::Active)
                .map(|a| {
                    let mut line = format!(
                        "{}（{}、重篤度 {}）",
                        a.input.substance,
                        a.input.category.label_ja(),
                        a.input.criticality.label_ja()
                    );
                    if let Some(reaction) = &a.input.reaction {
                        line.push_str(&format!("：{reaction}"));
                    }
                    line
                })
                .collect(),
        ),
    };
    let medications = chart
        .medications
        .iter()
        .filter(|m| m.meta.entered_in_error.is_none())
        .filter(|m| m.input.end.is_none_or(|end| end.0 >= written))
        .map(|m| {
            format!(
                "{} {} {} {}",
                m.input.name,
                m.input.dose,
                m.input.route.label_ja(),
                m.input.frequency
            )
        })
        .collect();
    // The latest of each scale (of each wound for DESIGN-R), oldest first.
    let mut latest: Vec<(String, &karte_api::types::Assessment)> = Vec::new();
    for assessment in chart
        .assessments
        .iter()
        .filter(|a| a.meta.entered_in_error.is_none())
        .filter(|a| a.input.at.date_jst().0 <= written)
    {
        let name = match &assessment.input.scale {
            Scale::Bedridden { .. } => "寝たきり度".to_owned(),
            Scale::Dementia { .. } => "認知症自立度".to_owned(),
            Scale::Barthel(_) => "Barthel Index".to_owned(),
            Scale::DesignR(d) => format!("DESIGN-R {}", d.wound),
            // A disaster consultation's tick list, not an ADL scale.
            Scale::JSpeed(_) => continue,
        };
        latest.retain(|(n, _)| *n != name);
        latest.push((name, assessment));
    }
    latest.sort_by_key(|(_, a)| a.input.at);
    let adl = latest
        .iter()
        .map(|(name, a)| {
            let summary = match &a.input.scale {
                // The wound is already in the name.
                Scale::DesignR(d) => d.notation(),
                scale => scale.summary(),
            };
            format!(
                "{name} {summary}（{}）",
                wareki_date(a.input.at.date_jst().0)
            )
        })
        .collect();
    let (contacts, physician_contact, order_text) = match order {
        Some(order) => {
            let o = &order.input;
            let contacts = [
                o.emergency_contact.as_ref().map(|c| format!("緊急時：{c}")),
                o.absence_contact.as_ref().map(|c| format!("不在時：{c}")),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n");
            let institution = [o.institution_address.clone(), o.institution_phone.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("　");
            let mut text = format!(
                "{}　{}〜{}",
                o.kind.label_ja(),
                wareki_date(o.from.0),
                wareki_date(order.input.until().0)
            );
            if let Some(diagnosis) = &o.diagnosis {
                text.push_str(&format!("\n傷病名：{diagnosis}"));
            }
            (contacts, institution, text)
        }
        None => (String::new(), String::new(), "有効な指示書なし".to_owned()),
    };
    IntakeRecord {
        patient: patient_header(patient),
        kana: format!("{} {}", patient.family_kana, patient.given_kana),
        sex: patient.sex.label_ja().to_owned(),
        phone: patient.phone.clone().unwrap_or_default(),
        insurance_number: patient.insurance_number.clone().unwrap_or_default(),
        contacts,
        physician: blank_physician(order, written),
        physician_contact,
        order: order_text,
        diagnoses: lines(diagnoses),
        allergies,
        medications: lines(medications),
        adl: lines(adl),
        written,
        station,
    }
}

fn record2(cli: &Cli, args: &DocumentRecord2) -> Result<()> {
    let mut form = Form::new();
    let day = form.optional(&args.date, |t| Date::parse("date", t));
    form.finish(|| ())?;
    let font = font()?;
    let station = station(&args.station);
    let mut session = open(cli)?;
    let patient = session.resolve_patient(&args.patient)?;
    let wanted = match &args.visit {
        Some(typed) => Some(session.resolve_entry(&patient, typed)?),
        None => None,
    };
    // Which visit is read from the chart the export returns, so the audit
    // entry names the visit asked for (the id, or the day).
    let detail = args
        .visit
        .clone()
        .or_else(|| args.date.clone())
        .unwrap_or_default();
    let chart = session.export_document(&patient, "record2", detail)?;
    let visit = pick_visit(&chart, wanted.as_ref(), day)?;
    let record = visit_record(&chart, visit, station);
    write_pdf(&args.pdf, "記録書Ⅱ", |out| {
        render_record(&record, &font, out)
    })?;
    eprintln!(
        "訪問看護記録書Ⅱ ({}) を {} に書きました / wrote the visit record of {} to {}",
        wareki_date(record.date),
        args.pdf.display(),
        Date(record.date),
        args.pdf.display()
    );
    Ok(())
}

/// The visit asked for: by id, or the one standing visit on `day`.
fn pick_visit<'c>(
    chart: &'c ChartView,
    id: Option<&karte_api::types::EntryId>,
    day: Option<Date>,
) -> Result<&'c Visit, karte_api::ApiError> {
    let invalid = |code: &str, message: String| {
        karte_api::ApiError::Invalid(ValidationErrors(vec![ValidationError::new(
            if id.is_some() { "visit" } else { "date" },
            code,
            message,
        )]))
    };
    let standing = chart
        .visits
        .iter()
        .filter(|v| v.meta.entered_in_error.is_none());
    if let Some(id) = id {
        return standing.clone().find(|v| &v.meta.id == id).ok_or_else(|| {
            invalid(
                "not_a_visit",
                format!("{id} is not a standing visit of this patient"),
            )
        });
    }
    let day = day.expect("clap asks for --visit or --date");
    let that_day: Vec<&Visit> = standing.filter(|v| v.input.at.date_jst() == day).collect();
    match that_day.as_slice() {
        [one] => Ok(one),
        [] => Err(invalid("no_visit", format!("no visit on {day}"))),
        several => Err(invalid(
            "ambiguous",
            format!(
                "{} visits on {day}: choose one with --visit {}",
                several.len(),
                several
                    .iter()
                    .map(|v| format!("{} ({})", v.meta.id, v.input.at.to_rfc3339()))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        )),
    }
}

/// The 訪問看護記録書Ⅱ of one visit: who visited is the visit's author,
/// with the recorded profession (看護師 when none was recorded).
pub fn visit_record(chart: &ChartView, visit: &Visit, station: Station) -> VisitRecord {
    let v = &visit.input;
    let text = |part: &Option<String>| part.clone().unwrap_or_default();
    let mut profession = v
        .profession
        .unwrap_or(karte_api::types::Profession::Nurse)
        .label_ja()
        .to_owned();
    if v.long_visit {
        profession.push_str("（長時間訪問）");
    }
    VisitRecord {
        patient: patient_header(&chart.patient),
        date: v.at.date_jst().0,
        start: v.at.time_jst(),
        end: None,
        staff: visit.meta.recorded_by.user_name.clone(),
        profession,
        vitals: Vitals {
            temperature: v.vitals.temperature_c.map(|t| t as f32),
            pulse: v.vitals.pulse,
            blood_pressure: v.vitals.systolic.zip(v.vitals.diastolic),
            respiration: v.vitals.respiration,
            spo2: v.vitals.spo2,
        },
        subjective: text(&v.soap.subjective),
        objective: text(&v.soap.objective),
        assessment: text(&v.soap.assessment),
        plan: text(&v.soap.plan),
        care_given: String::new(),
        station,
    }
}

#[cfg(test)]
mod tests {
    use karte_api::types::{
        AllergyStatus, Author, CareLevel, Demographics, DeviceId, EntryId, EntryMeta,
        MedicalDevices, Order, OrderInput, OrderInstructions, PatientId, Sex, Soap, Timestamp,
        UserId, Visit, VisitInput, VitalSigns, Voided,
    };
    use karte_docs::day_marks;
    use time::macros::date;

    use super::*;

    fn meta(id: &str) -> EntryMeta {
        EntryMeta {
            id: EntryId(id.into()),
            recorded_by: Author {
                user: UserId("u".into()),
                user_name: "佐藤 花子".into(),
                device: DeviceId("d".into()),
            },
            recorded_at: Timestamp(0),
            entered_in_error: None,
        }
    }

    fn visit(id: &str, at: &str, assessment: Option<&str>) -> Visit {
        Visit {
            meta: meta(id),
            input: VisitInput {
                at: Timestamp::parse_rfc3339("at", at).unwrap(),
                vitals: VitalSigns::default(),
                soap: Soap {
                    subjective: None,
                    objective: None,
                    assessment: assessment.map(str::to_owned),
                    plan: Some("継続".into()),
                },
                profession: None,
                long_visit: false,
            },
        }
    }

    fn order(id: &str, kind: OrderKind, from: &str, to: &str, doctor: &str) -> Order {
        Order {
            meta: meta(id),
            input: OrderInput {
                kind,
                from: Date::parse("from", from).unwrap(),
                to: Some(Date::parse("to", to).unwrap()),
                issued: None,
                doctor: doctor.into(),
                institution: format!("{doctor}クリニック"),
                institution_address: None,
                institution_phone: None,
                diagnosis: None,
                diagnosis_code: None,
                condition: None,
                medicines: None,
                bedridden: None,
                dementia: None,
                care_level: None,
                pressure_ulcer_depth: None,
                devices: MedicalDevices::default(),
                instructions: OrderInstructions::default(),
                infusion: None,
                special_reason: None,
                emergency_contact: None,
                absence_contact: None,
            },
        }
    }

    fn chart() -> ChartView {
        let mut voided = visit("v-void", "2026-11-20T10:00:00+09:00", Some("取消"));
        voided.meta.entered_in_error = Some(Voided {
            by: voided.meta.recorded_by.clone(),
            at: Timestamp(0),
            reason: "別の患者".into(),
        });
        let mut void_order = order(
            "o-void",
            OrderKind::Instruction,
            "2026-11-01",
            "2026-11-30",
            "取消 医師",
        );
        void_order.meta.entered_in_error = voided.meta.entered_in_error.clone();
        ChartView {
            id: PatientId("p".into()),
            patient: Demographics {
                family: "山田".into(),
                given: "太郎".into(),
                family_kana: "ヤマダ".into(),
                given_kana: "タロウ".into(),
                birth: Date::parse("birth", "1940-03-15").unwrap(),
                sex: Sex::Male,
                address: Some("東京都千代田区1-1".into()),
                phone: None,
                insurance_number: None,
                care_level: Some(CareLevel::Care3),
            },
            allergy_status: AllergyStatus::NotRecorded,
            allergies: Vec::new(),
            conditions: Vec::new(),
            medications: Vec::new(),
            // Newest first, as the chart keeps them.
            visits: vec![
                visit("v6", "2026-12-01T09:00:00+09:00", Some("翌月")),
                voided,
                visit("v5", "2026-11-12T15:00:00+09:00", Some("夕方も安定")),
                visit("v4", "2026-11-12T09:00:00+09:00", Some("朝は息切れ")),
                visit("v3", "2026-11-10T10:00:00+09:00", None),
                visit("v2", "2026-11-03T10:00:00+09:00", Some("褥瘡は縮小")),
                // 00:30 in Japan on 1 November is still 31 October in UTC.
                visit("v1", "2026-10-31T15:30:00Z", Some("月初")),
                visit("v0", "2026-10-31T10:00:00+09:00", Some("前月")),
            ],
            reviews: Vec::new(),
            orders: vec![
                order(
                    "o1",
                    OrderKind::Instruction,
                    "2026-06-01",
                    "2026-11-30",
                    "鈴木 一郎",
                ),
                void_order,
                order(
                    "o2",
                    OrderKind::Special,
                    "2026-11-09",
                    "2026-11-10",
                    "鈴木 一郎",
                ),
                order(
                    "o3",
                    OrderKind::Instruction,
                    "2026-12-01",
                    "2027-05-31",
                    "高橋 次郎",
                ),
            ],
            assessments: Vec::new(),
            triage: Default::default(),
        }
    }

    fn station() -> Station {
        Station {
            name: "みどり訪問看護ステーション".into(),
            manager: "田中 看護".into(),
            address: "東京都".into(),
            phone: "03-0000-0000".into(),
        }
    }

    #[test]
    fn each_day_of_the_month_has_the_marks_of_its_visits() {
        let report = monthly_report(
            &chart(),
            2026,
            Month::November,
            station(),
            date!(2026 - 12 - 02),
        );
        let marks = day_marks(2026, Month::November, &report.visits);
        let symbols: Vec<(usize, String)> = marks
            .iter()
            .enumerate()
            .filter(|(_, m)| !m.is_empty())
            .map(|(i, m)| (i + 1, m.symbols()))
            .collect();
        assert_eq!(
            symbols,
            vec![
                (1, "○".to_owned()),
                (3, "○".to_owned()),
                (10, "○△".to_owned()),
                (12, "◎".to_owned()),
            ]
        );
        assert_eq!(
            report.visits.len(),
            5,
            "the voided visit and other months are left out"
        );
        assert!(
            report
                .visits
                .iter()
                .all(|v| v.discipline == Discipline::Nurse && !v.long)
        );
    }

    /// The marks a day gets from who visited and for how long, table-driven:
    /// a visit without a profession is a nurse's, a therapist's is ◇, a
    /// long visit □.
    #[test]
    fn who_visited_and_a_long_visit_give_the_diamond_and_the_square() {
        use karte_api::types::Profession;
        let on_the_10th = |profession: Option<Profession>, long_visit: bool| {
            let mut v = visit("x", "2026-11-10T10:00:00+09:00", None);
            v.input.profession = profession;
            v.input.long_visit = long_visit;
            v
        };
        let cases: Vec<(&str, Vec<Visit>, &str)> = vec![
            (
                "recorded before professions",
                vec![on_the_10th(None, false)],
                "○",
            ),
            (
                "a nurse",
                vec![on_the_10th(Some(Profession::Nurse), false)],
                "○",
            ),
            (
                "a public health nurse",
                vec![on_the_10th(Some(Profession::PublicHealthNurse), false)],
                "○",
            ),
            (
                "an associate nurse",
                vec![on_the_10th(Some(Profession::AssociateNurse), false)],
                "○",
            ),
            (
                "a physical therapist",
                vec![on_the_10th(Some(Profession::PhysicalTherapist), false)],
                "◇",
            ),
            (
                "an occupational therapist",
                vec![on_the_10th(Some(Profession::OccupationalTherapist), false)],
                "◇",
            ),
            (
                "a speech therapist",
                vec![on_the_10th(Some(Profession::SpeechTherapist), false)],
                "◇",
            ),
            ("a long nurse visit", vec![on_the_10th(None, true)], "○□"),
            (
                "a nurse and a therapist",
                vec![
                    on_the_10th(Some(Profession::Nurse), false),
                    on_the_10th(Some(Profession::SpeechTherapist), false),
                ],
                "◎◇",
            ),
            (
                "a long therapist visit",
                vec![on_the_10th(Some(Profession::PhysicalTherapist), true)],
                "◇□",
            ),
        ];
        for (name, visits, expected) in cases {
            let mut chart = chart();
            chart.visits = visits;
            chart.orders.clear();
            let report = monthly_report(
                &chart,
                2026,
                Month::November,
                station(),
                date!(2026 - 12 - 02),
            );
            let marks = day_marks(2026, Month::November, &report.visits);
            assert_eq!(marks[9].symbols(), expected, "{name}");
        }
    }

    #[test]
    fn the_physician_is_from_the_order_in_force_that_month() {
        let report = monthly_report(
            &chart(),
            2026,
            Month::November,
            station(),
            date!(2026 - 12 - 02),
        );
        assert_eq!(
            report.physician,
            Physician {
                name: "鈴木 一郎".into(),
                institution: "鈴木 一郎クリニック".into(),
            }
        );
        let december = monthly_report(
            &chart(),
            2026,
            Month::December,
            station(),
            date!(2027 - 01 - 02),
        );
        assert_eq!(december.physician.name, "高橋 次郎");
        let none = monthly_report(
            &chart(),
            2025,
            Month::November,
            station(),
            date!(2025 - 12 - 02),
        );
        assert_eq!(none.physician.name, "");
        assert!(none.visits.is_empty());
    }

    #[test]
    fn the_patient_and_the_course_come_from_the_chart() {
        let report = monthly_report(
            &chart(),
            2026,
            Month::November,
            station(),
            date!(2026 - 12 - 02),
        );
        assert_eq!(report.patient.name, "山田 太郎");
        assert_eq!(report.patient.birth, date!(1940 - 03 - 15));
        assert_eq!(report.patient.care_level, "要介護3");
        assert_eq!(report.patient.address, "東京都千代田区1-1");
        assert_eq!(
            report.course,
            "11/1 月初\n11/3 褥瘡は縮小\n11/12 朝は息切れ\n11/12 夕方も安定"
        );
        assert_eq!(report.station, station());
        assert_eq!(report.written, date!(2026 - 12 - 02));
        assert_eq!(report.care_given, "");
    }

    /// The record of a visit is dated and timed in Japan, whatever the zone
    /// it was entered in; who visited is its author and profession.
    #[test]
    fn the_visit_record_is_in_japan_time_with_who_visited() {
        let mut late = visit("v1", "2026-10-31T15:30:00Z", Some("月初"));
        let record = visit_record(&chart(), &late, station());
        assert_eq!(record.date, date!(2026 - 11 - 01));
        assert_eq!(record.start, time::macros::time!(0:30));
        assert_eq!(record.end, None);
        assert_eq!(record.staff, "佐藤 花子");
        assert_eq!(record.profession, "看護師");
        assert_eq!(record.assessment, "月初");
        assert_eq!(record.plan, "継続");
        late.input.profession = Some(karte_api::types::Profession::OccupationalTherapist);
        late.input.long_visit = true;
        let record = visit_record(&chart(), &late, station());
        assert_eq!(record.profession, "作業療法士（長時間訪問）");
    }

    #[test]
    fn a_month_is_year_dash_month() {
        assert_eq!(parse_month("2026-11"), Ok((2026, Month::November)));
        assert_eq!(parse_month("2026-1"), Ok((2026, Month::January)));
        for bad in ["2026", "2026-13", "2026-00", "11-2026x", "", "令和8-11"] {
            assert_eq!(parse_month(bad).unwrap_err().code, "malformed", "{bad}");
        }
    }
}
