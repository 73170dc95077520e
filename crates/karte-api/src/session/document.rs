//! The station's paperwork as documents: a draft prefilled from the chart
//! (`document_draft`), edited by the nurse, and its A4 PDF
//! (`document_pdf`, rendered by `karte-docs` in memory and audited as an
//! export `pdf-KIND`). The command line and the app call these same two.
//!
//! 報告書: the calendar's ◇ comes from a visit recorded with a therapist's
//! profession (PT, OT, ST) and □ from a visit recorded as long
//! (長時間訪問看護加算); a visit recorded without a profession counts as a
//! nurse's; △ on a day a standing 特別訪問看護指示書 covers. 病状の経過 is
//! the month's assessments (the A of SOAP) in date order, each with its
//! day; the other sections are blank to be written.
//!
//! 計画書: the chart holds no care plan (goals, problems), so those are
//! blank to be written; the patient, the physician of the 指示書 in force
//! and the station are filled in.
//!
//! 記録書Ⅰ: the intake, from the patient's details, the 指示書 in force
//! (its contacts and institution), the active conditions, allergies and
//! medications, and the latest of each scale.
//!
//! 記録書Ⅱ: one visit, its vital signs and SOAP note; who visited is its
//! author and profession. A visit has a start only, so the end time and
//! 実施した看護 are blank.

use std::sync::Mutex;

use karte_docs::{DocsError, DocumentFont, wareki_date};
use karte_types::{
    AllergyStatus, AuditAction, Base64Bytes, ChartView, ClinicalStatus, Date, Demographics,
    DocumentDraft, DocumentEntryInput, DocumentPatient, DocumentPhysician, DocumentRequest,
    DocumentStation, DocumentVitals, EntryId, IntakeDraft, Order, OrderKind, OrderSpan, PatientId,
    PlanDraft, ReportDraft, ReportVisit, Scale, ValidationError, ValidationErrors, Visit,
    VisitRecordDraft, parse_month,
};

use super::Session;
use crate::{ApiError, Permission};

impl Session {
    /// A document's draft, prefilled from the chart as of the request's
    /// day (today when not given). Reading it is a chart open, audited as
    /// one; nothing is exported until its PDF is made.
    pub fn document_draft(
        &mut self,
        id: &PatientId,
        request: &DocumentRequest,
    ) -> Result<DocumentDraft, ApiError> {
        use karte_types::DocumentKind as Kind;
        let month = match (request.kind, &request.month) {
            (Kind::Report, Some(text)) => Some(parse_month(text).map_err(invalid)?),
            (Kind::Report, None) => {
                return Err(invalid(ValidationError::new(
                    "month",
                    "required",
                    "a report is of one month: give it as YYYY-MM, e.g. 2026-11",
                )));
            }
            _ => None,
        };
        let day = request.date.unwrap_or_else(|| self.now().date_jst());
        let chart = self.load(id)?.chart.view()?;
        let draft = match request.kind {
            Kind::Report => {
                let (year, month) = month.expect("checked above");
                DocumentDraft::Report(monthly_report(&chart, year, month, day))
            }
            Kind::Plan => DocumentDraft::Plan(care_plan(&chart, day)),
            Kind::Record1 => DocumentDraft::Record1(intake_record(&chart, day)),
            Kind::Record2 => {
                let wanted = request.visit.as_ref();
                let visit = pick_visit(&chart, wanted, request.date.or(Some(day)))?;
                DocumentDraft::Record2(visit_record(&chart, visit))
            }
        };
        self.audit(
            AuditAction::ChartOpen,
            Some(id.clone()),
            format!("document {} {}", request.kind.as_str(), draft.detail()),
        )?;
        Ok(draft)
    }

    /// Saves a draft as a document entry of the chart (unapproved), by
    /// those who record clinical entries.
    pub fn save_document(
        &mut self,
        id: &PatientId,
        draft: &DocumentDraft,
    ) -> Result<EntryId, ApiError> {
        let input = DocumentEntryInput::of(draft);
        self.add_entry(
            id,
            "document.save",
            input.validate(),
            |chart, entry, edit| chart.add_document(entry, &input, edit),
        )
    }

    /// Rewrites a saved, unapproved document's draft.
    pub fn update_document(
        &mut self,
        id: &PatientId,
        entry: &EntryId,
        draft: &DocumentDraft,
    ) -> Result<(), ApiError> {
        self.require(Permission::RecordClinical)?;
        self.edit(id, "document.update", |chart, edit| {
            chart.update_document(entry, draft, edit)
        })
    }

    /// Approves a saved document: a second person with the permission.
    pub fn approve_document(&mut self, id: &PatientId, entry: &EntryId) -> Result<(), ApiError> {
        self.require(Permission::ApproveDocuments)?;
        self.edit(id, "document.approve", |chart, edit| {
            chart.approve_document(entry, edit)
        })
    }

    /// The PDF of a draft as it stands (edited or not), made in memory:
    /// checked, the font read, rendered, and only then audited as an
    /// export `pdf-KIND` of the patient. Nothing is written to disk.
    pub fn document_pdf(
        &mut self,
        id: &PatientId,
        draft: &DocumentDraft,
    ) -> Result<Base64Bytes, ApiError> {
        self.require(Permission::Export)?;
        self.load(id)?;
        let pdf = render(draft)?;
        self.audit(
            AuditAction::Export {
                format: format!("pdf-{}", draft.kind().as_str()),
            },
            Some(id.clone()),
            draft.detail(),
        )?;
        Ok(Base64Bytes(pdf))
    }
}

fn invalid(error: ValidationError) -> ApiError {
    ApiError::Invalid(ValidationErrors(vec![error]))
}

/// The font, read once per process (about 20 MB) and kept; a failed read
/// is tried again on the next document.
fn font() -> Result<DocumentFont, DocsError> {
    static FONT: Mutex<Option<DocumentFont>> = Mutex::new(None);
    let mut kept = FONT.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(font) = kept.as_ref() {
        return Ok(font.clone());
    }
    let font = DocumentFont::from_environment()?;
    *kept = Some(font.clone());
    Ok(font)
}

/// Renders a draft: its fields checked first (a month, a time), then the
/// font read, then the PDF made in memory.
fn render(draft: &DocumentDraft) -> Result<Vec<u8>, ApiError> {
    let mut pdf = Vec::new();
    match draft {
        DocumentDraft::Report(d) => {
            let report = docs_report(d)?;
            karte_docs::render_report(&report, &font()?, &mut pdf)?;
        }
        DocumentDraft::Plan(d) => {
            karte_docs::render_plan(&docs_plan(d), &font()?, &mut pdf)?;
        }
        DocumentDraft::Record1(d) => {
            karte_docs::render_intake(&docs_intake(d), &font()?, &mut pdf)?;
        }
        DocumentDraft::Record2(d) => {
            let record = docs_record(d)?;
            karte_docs::render_record(&record, &font()?, &mut pdf)?;
        }
    }
    Ok(pdf)
}

// ---- from the chart to a draft ----

fn in_month(day: time::Date, year: i32, month: u8) -> bool {
    day.year() == year && day.month() as u8 == month
}

/// The 訪問看護報告書 of one month, from the chart: the month's standing
/// visits as the calendar's visits, the patient's details, the physician
/// of the 指示書 in force that month, and 病状の経過 from the visits'
/// assessments in date order.
pub fn monthly_report(chart: &ChartView, year: i32, month: u8, written: Date) -> ReportDraft {
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
            ReportVisit {
                date: day,
                therapist: v.input.profession.is_some_and(|p| p.is_therapist()),
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

    ReportDraft {
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
        station: DocumentStation::default(),
        physician: physician_in_force(&orders, year, month),
    }
}

fn month_bounds(year: i32, month: u8) -> (time::Date, time::Date) {
    let month = time::Month::try_from(month).expect("a checked month");
    let first = time::Date::from_calendar_date(year, month, 1).expect("a valid month");
    let last = time::Date::from_calendar_date(year, month, time::util::days_in_month(month, year))
        .expect("a valid month");
    (first, last)
}

/// The physician of the regular 指示書 in force in the month (the latest
/// to start, when several overlap it), else of any order in force; blank
/// when there is none.
fn physician_in_force(orders: &[OrderSpan], year: i32, month: u8) -> DocumentPhysician {
    let (first, last) = month_bounds(year, month);
    match span_in_force(orders, first, last) {
        Some(order) => DocumentPhysician {
            name: order.doctor.clone(),
            institution: order.institution.clone(),
        },
        None => DocumentPhysician::default(),
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
fn order_on(chart: &ChartView, day: time::Date) -> Option<&Order> {
    let spans: Vec<OrderSpan> = chart.orders.iter().filter_map(OrderSpan::of).collect();
    let chosen = span_in_force(&spans, day, day)?;
    chart.orders.iter().find(|o| o.meta.id == chosen.id)
}

fn patient_header(patient: &Demographics) -> DocumentPatient {
    DocumentPatient {
        name: format!("{} {}", patient.family, patient.given),
        birth: patient.birth,
        address: patient.address.clone().unwrap_or_default(),
        care_level: patient
            .care_level
            .map(|level| level.label_ja().to_owned())
            .unwrap_or_default(),
    }
}

fn physician_of(order: Option<&Order>) -> DocumentPhysician {
    match order {
        Some(order) => DocumentPhysician {
            name: order.input.doctor.clone(),
            institution: order.input.institution.clone(),
        },
        None => DocumentPhysician::default(),
    }
}

/// The 訪問看護計画書 as of `made`: the chart holds no care plan, so the
/// goals, problems, materials and notes are blank for the nurse to write.
pub fn care_plan(chart: &ChartView, made: Date) -> PlanDraft {
    PlanDraft {
        patient: patient_header(&chart.patient),
        made,
        reviewed: None,
        goals: String::new(),
        problems: Vec::new(),
        materials: String::new(),
        notes: String::new(),
        station: DocumentStation::default(),
        physician: physician_of(order_on(chart, made.0)),
    }
}

/// The 訪問看護記録書Ⅰ as of `written`: standing entries only, the active
/// conditions and allergies, and the latest value of each scale.
pub fn intake_record(chart: &ChartView, written: Date) -> IntakeDraft {
    let patient = &chart.patient;
    let order = order_on(chart, written.0);
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
        .filter(|m| m.input.end.is_none_or(|end| end >= written))
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
    let mut latest: Vec<(String, &karte_types::Assessment)> = Vec::new();
    for assessment in chart
        .assessments
        .iter()
        .filter(|a| a.meta.entered_in_error.is_none())
        .filter(|a| a.input.at.date_jst() <= written)
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
    IntakeDraft {
        patient: patient_header(patient),
        kana: format!("{} {}", patient.family_kana, patient.given_kana),
        sex: patient.sex.label_ja().to_owned(),
        phone: patient.phone.clone().unwrap_or_default(),
        insurance_number: patient.insurance_number.clone().unwrap_or_default(),
        contacts,
        physician: physician_of(order),
        physician_contact,
        order: order_text,
        diagnoses: lines(diagnoses),
        allergies,
        medications: lines(medications),
        adl: lines(adl),
        written,
        station: DocumentStation::default(),
    }
}

/// The visit asked for: by id, or the one standing visit on `day`.
fn pick_visit<'c>(
    chart: &'c ChartView,
    id: Option<&EntryId>,
    day: Option<Date>,
) -> Result<&'c Visit, ApiError> {
    let refused = |code: &str, message: String| {
        invalid(ValidationError::new(
            if id.is_some() { "visit" } else { "date" },
            code,
            message,
        ))
    };
    let standing = chart
        .visits
        .iter()
        .filter(|v| v.meta.entered_in_error.is_none());
    if let Some(id) = id {
        return standing.clone().find(|v| &v.meta.id == id).ok_or_else(|| {
            refused(
                "not_a_visit",
                format!("{id} is not a standing visit of this patient"),
            )
        });
    }
    let Some(day) = day else {
        return Err(refused(
            "required",
            "say which visit, by its id or its day".to_owned(),
        ));
    };
    let that_day: Vec<&Visit> = standing.filter(|v| v.input.at.date_jst() == day).collect();
    match that_day.as_slice() {
        [one] => Ok(one),
        [] => Err(refused("no_visit", format!("no visit on {day}"))),
        several => Err(refused(
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
pub fn visit_record(chart: &ChartView, visit: &Visit) -> VisitRecordDraft {
    let v = &visit.input;
    let text = |part: &Option<String>| part.clone().unwrap_or_default();
    let mut profession = v
        .profession
        .unwrap_or(karte_types::Profession::Nurse)
        .label_ja()
        .to_owned();
    if v.long_visit {
        profession.push_str("（長時間訪問）");
    }
    let start = v.at.time_jst();
    VisitRecordDraft {
        visit: visit.meta.id.clone(),
        patient: patient_header(&chart.patient),
        date: v.at.date_jst(),
        start: format!("{:02}:{:02}", start.hour(), start.minute()),
        end: None,
        staff: visit.meta.recorded_by.user_name.clone(),
        profession,
        vitals: DocumentVitals {
            temperature: v.vitals.temperature_c.map(|t| t as f32),
            pulse: v.vitals.pulse,
            systolic: v.vitals.systolic,
            diastolic: v.vitals.diastolic,
            respiration: v.vitals.respiration,
            spo2: v.vitals.spo2,
        },
        subjective: text(&v.soap.subjective),
        objective: text(&v.soap.objective),
        assessment: text(&v.soap.assessment),
        plan: text(&v.soap.plan),
        care_given: String::new(),
        station: DocumentStation::default(),
    }
}

// ---- from a draft to karte-docs' forms ----

fn docs_patient(p: &DocumentPatient) -> karte_docs::PatientHeader {
    karte_docs::PatientHeader {
        name: p.name.clone(),
        birth: p.birth.0,
        address: p.address.clone(),
        care_level: p.care_level.clone(),
    }
}

fn docs_station(s: &DocumentStation) -> karte_docs::Station {
    karte_docs::Station {
        name: s.name.clone(),
        manager: s.manager.clone(),
        address: s.address.clone(),
        phone: s.phone.clone(),
    }
}

fn docs_physician(p: &DocumentPhysician) -> karte_docs::Physician {
    karte_docs::Physician {
        name: p.name.clone(),
        institution: p.institution.clone(),
    }
}

fn docs_report(d: &ReportDraft) -> Result<karte_docs::MonthlyReport, ApiError> {
    let month = time::Month::try_from(d.month)
        .ok()
        .filter(|_| (1900..=9999).contains(&d.year))
        .ok_or_else(|| {
            invalid(ValidationError::new(
                "month",
                "malformed",
                format!("{}-{} is not a month", d.year, d.month),
            ))
        })?;
    Ok(karte_docs::MonthlyReport {
        patient: docs_patient(&d.patient),
        year: d.year,
        month,
        visits: d
            .visits
            .iter()
            .filter(|v| in_month(v.date.0, d.year, d.month))
            .map(|v| karte_docs::MonthVisit {
                date: v.date.0,
                discipline: if v.therapist {
                    karte_docs::Discipline::Therapist
                } else {
                    karte_docs::Discipline::Nurse
                },
                special_order: v.special_order,
                long: v.long,
            })
            .collect(),
        course: d.course.clone(),
        adl: d.adl.clone(),
        care_given: d.care_given.clone(),
        home_care: d.home_care.clone(),
        materials: d.materials.clone(),
        materials_change: d.materials_change.clone(),
        information: d.information.clone(),
        notes: d.notes.clone(),
        written: d.written.0,
        station: docs_station(&d.station),
        physician: docs_physician(&d.physician),
    })
}

fn docs_plan(d: &PlanDraft) -> karte_docs::CarePlan {
    karte_docs::CarePlan {
        patient: docs_patient(&d.patient),
        made: d.made.0,
        reviewed: d.reviewed.map(|r| r.0),
        goals: d.goals.clone(),
        problems: d
            .problems
            .iter()
            .map(|p| karte_docs::PlanProblem {
                date: p.date.0,
                problem: p.problem.clone(),
                solution: p.solution.clone(),
                evaluation: p.evaluation.clone(),
            })
            .collect(),
        materials: d.materials.clone(),
        notes: d.notes.clone(),
        station: docs_station(&d.station),
        physician: docs_physician(&d.physician),
    }
}

fn docs_intake(d: &IntakeDraft) -> karte_docs::IntakeRecord {
    karte_docs::IntakeRecord {
        patient: docs_patient(&d.patient),
        kana: d.kana.clone(),
        sex: d.sex.clone(),
        phone: d.phone.clone(),
        insurance_number: d.insurance_number.clone(),
        contacts: d.contacts.clone(),
        physician: docs_physician(&d.physician),
        physician_contact: d.physician_contact.clone(),
        order: d.order.clone(),
        diagnoses: d.diagnoses.clone(),
        allergies: d.allergies.clone(),
        medications: d.medications.clone(),
        adl: d.adl.clone(),
        written: d.written.0,
        station: docs_station(&d.station),
    }
}

/// `HH:MM` as a time of day.
fn parse_time(field: &str, text: &str) -> Result<time::Time, ApiError> {
    let refused = || {
        invalid(ValidationError::new(
            field,
            "malformed",
            format!("{text:?} is not a time: write it as HH:MM, e.g. 09:30"),
        ))
    };
    let (hour, minute) = text.trim().split_once(':').ok_or_else(refused)?;
    let hour: u8 = hour.parse().map_err(|_| refused())?;
    let minute: u8 = minute.parse().map_err(|_| refused())?;
    time::Time::from_hms(hour, minute, 0).map_err(|_| refused())
}

fn docs_record(d: &VisitRecordDraft) -> Result<karte_docs::VisitRecord, ApiError> {
    let start = parse_time("start", &d.start)?;
    let end = match d.end.as_deref().map(str::trim) {
        Some(text) if !text.is_empty() => Some(parse_time("end", text)?),
        _ => None,
    };
    let v = &d.vitals;
    Ok(karte_docs::VisitRecord {
        patient: docs_patient(&d.patient),
        date: d.date.0,
        start,
        end,
        staff: d.staff.clone(),
        profession: d.profession.clone(),
        vitals: karte_docs::Vitals {
            temperature: v.temperature,
            pulse: v.pulse,
            blood_pressure: v.systolic.zip(v.diastolic),
            respiration: v.respiration,
            spo2: v.spo2,
        },
        subjective: d.subjective.clone(),
        objective: d.objective.clone(),
        assessment: d.assessment.clone(),
        plan: d.plan.clone(),
        care_given: d.care_given.clone(),
        station: docs_station(&d.station),
    })
}

#[cfg(test)]
mod tests {
    use karte_docs::day_marks;
    use karte_types::{
        Author, CareLevel, DeviceId, EntryMeta, MedicalDevices, OrderInput, OrderInstructions, Sex,
        Soap, Timestamp, UserId, VisitInput, VitalSigns, Voided,
    };
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
            documents: Vec::new(),
        }
    }

    /// The calendar's marks of a report's month, as the PDF draws them.
    fn marks(report: &ReportDraft) -> Vec<karte_docs::DayMarks> {
        let docs = docs_report(report).unwrap();
        day_marks(docs.year, docs.month, &docs.visits)
    }

    #[test]
    fn each_day_of_the_month_has_the_marks_of_its_visits() {
        let report = monthly_report(&chart(), 2026, 11, Date(date!(2026 - 12 - 02)));
        let marks = marks(&report);
        let symbols: Vec<String> = marks.iter().map(|m| m.symbols()).collect();
        assert_eq!(
            report.day_symbols(),
            symbols,
            "the UI's calendar is the PDF's"
        );
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
        assert!(report.visits.iter().all(|v| !v.therapist && !v.long));
    }

    /// The marks a day gets from who visited and for how long, table-driven:
    /// a visit without a profession is a nurse's, a therapist's is ◇, a
    /// long visit □.
    #[test]
    fn who_visited_and_a_long_visit_give_the_diamond_and_the_square() {
        use karte_types::Profession;
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
            let report = monthly_report(&chart, 2026, 11, Date(date!(2026 - 12 - 02)));
            let marks = marks(&report);
            assert_eq!(marks[9].symbols(), expected, "{name}");
            assert_eq!(
                report.day_symbols()[9],
                expected,
                "{name}: the UI's calendar"
            );
        }
    }

    #[test]
    fn the_physician_is_from_the_order_in_force_that_month() {
        let report = monthly_report(&chart(), 2026, 11, Date(date!(2026 - 12 - 02)));
        assert_eq!(
            report.physician,
            DocumentPhysician {
                name: "鈴木 一郎".into(),
                institution: "鈴木 一郎クリニック".into(),
            }
        );
        let december = monthly_report(&chart(), 2026, 12, Date(date!(2027 - 01 - 02)));
        assert_eq!(december.physician.name, "高橋 次郎");
        let none = monthly_report(&chart(), 2025, 11, Date(date!(2025 - 12 - 02)));
        assert_eq!(none.physician.name, "");
        assert!(none.visits.is_empty());
    }

    #[test]
    fn the_patient_and_the_course_come_from_the_chart() {
        let report = monthly_report(&chart(), 2026, 11, Date(date!(2026 - 12 - 02)));
        assert_eq!(report.patient.name, "山田 太郎");
        assert_eq!(report.patient.birth, Date(date!(1940 - 03 - 15)));
        assert_eq!(report.patient.care_level, "要介護3");
        assert_eq!(report.patient.address, "東京都千代田区1-1");
        assert_eq!(
            report.course,
            "11/1 月初\n11/3 褥瘡は縮小\n11/12 朝は息切れ\n11/12 夕方も安定"
        );
        assert_eq!(report.written, Date(date!(2026 - 12 - 02)));
        assert_eq!(report.care_given, "");
    }

    /// The record of a visit is dated and timed in Japan, whatever the zone
    /// it was entered in; who visited is its author and profession.
    #[test]
    fn the_visit_record_is_in_japan_time_with_who_visited() {
        let mut late = visit("v1", "2026-10-31T15:30:00Z", Some("月初"));
        let record = visit_record(&chart(), &late);
        assert_eq!(record.date, Date(date!(2026 - 11 - 01)));
        assert_eq!(record.start, "00:30");
        assert_eq!(record.end, None);
        assert_eq!(record.staff, "佐藤 花子");
        assert_eq!(record.profession, "看護師");
        assert_eq!(record.assessment, "月初");
        assert_eq!(record.plan, "継続");
        late.input.profession = Some(karte_types::Profession::OccupationalTherapist);
        late.input.long_visit = true;
        let record = visit_record(&chart(), &late);
        assert_eq!(record.profession, "作業療法士（長時間訪問）");
    }
}
