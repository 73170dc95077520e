//! `karte document`: the station's paperwork as A4 PDFs. The draft of a
//! document comes from the chart through the API's `document_draft` (the
//! same the app calls), the station's details from the flags, and the PDF
//! from `document_pdf` (the export permission, an audit entry
//! `export pdf-KIND`), made in memory and written whole or not at all
//! (`output_file::write_whole`): no temporary file holds the patient's
//! data in plain form beyond the PDF asked for. What each document is
//! filled with is described in `karte-api`'s `session/document.rs`.

use std::io::Write;

use anyhow::{Context, Result, anyhow};
use karte_api::Session;
use karte_api::types::{
    Date, DocumentDraft, DocumentKind, DocumentRequest, DocumentStation, ErrorCode, PatientId,
    parse_month,
};
use karte_docs::{DocumentFont, wareki_date};

use crate::args::{
    Cli, DocumentCommand, DocumentOnDay, DocumentOutput, DocumentRecord2, DocumentReport,
    StationFlags,
};
use crate::{Form, open, output_file};

pub fn run(cli: &Cli, command: &DocumentCommand) -> Result<()> {
    match command {
        DocumentCommand::Report(args) => report(cli, args),
        DocumentCommand::Plan(args) => plan(cli, args),
        DocumentCommand::Record1(args) => record1(cli, args),
        DocumentCommand::Record2(args) => record2(cli, args),
        DocumentCommand::Approve { patient, entry } => approve(cli, patient, entry),
    }
}

fn station(flags: &StationFlags) -> DocumentStation {
    if flags.name.is_none() {
        eprintln!(
            "⚠ 事業所名がありません (--station): 空白のまま出力します / no station name (--station): left blank"
        );
    }
    DocumentStation {
        name: flags.name.clone().unwrap_or_default(),
        manager: flags.manager.clone().unwrap_or_default(),
        address: flags.address.clone().unwrap_or_default(),
        phone: flags.phone.clone().unwrap_or_default(),
    }
}

/// The font, for the documents the CLI still renders itself (the disaster
/// report): read before anything leaves the vault.
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

/// The draft asked for, with the station's details from the flags, made
/// into a PDF by the API and written whole to the `--pdf` file, then, with `--save`,
/// saved in the chart (the entry's id printed on stdout). A missing font
/// is said in both languages, as before anything was exported.
fn make(
    session: &mut Session,
    patient: &PatientId,
    request: &DocumentRequest,
    output: &DocumentOutput,
) -> Result<DocumentDraft> {
    let path = &output.pdf;
    let mut draft = session.document_draft(patient, request)?;
    *draft.station_mut() = station(&output.station);
    let pdf = match session.document_pdf(patient, &draft) {
        Ok(pdf) => pdf,
        Err(error) if error.code() == ErrorCode::DocumentFontMissing => {
            return Err(anyhow!(
                "日本語フォントが読めません / the Japanese font cannot be read: {error}"
            ));
        }
        Err(error) => return Err(error.into()),
    };
    output_file::write_whole(path, |out| Ok(out.write_all(&pdf.0)?))?;
    if output.save {
        let entry = session.save_document(patient, &draft)?;
        eprintln!(
            "{}をカルテに保存しました（未承認） / saved the document in the chart (not approved yet)",
            draft.kind().label_ja()
        );
        println!("{entry}");
    }
    Ok(draft)
}

/// `karte document approve`: a saved document approved by a second person.
fn approve(cli: &Cli, patient: &str, entry: &str) -> Result<()> {
    let mut session = open(cli)?;
    let patient = session.resolve_patient(patient)?;
    let entry = session.resolve_entry(&patient, entry)?;
    session.approve_document(&patient, &entry)?;
    println!("document {entry} approved by {}", session.user().name);
    Ok(())
}

fn report(cli: &Cli, args: &DocumentReport) -> Result<()> {
    let mut form = Form::new();
    let month = form.take(parse_month(&args.month));
    let written = form.optional(&args.date, |t| Date::parse("date", t));
    let (year, month) = form.finish(|| month)?.expect("a parsed month");

    let mut session = open(cli)?;
    let patient = session.resolve_patient(&args.patient)?;
    let request = DocumentRequest {
        kind: DocumentKind::Report,
        month: Some(args.month.clone()),
        date: written,
        visit: None,
    };
    let draft = make(&mut session, &patient, &request, &args.output)?;
    let DocumentDraft::Report(report) = draft else {
        unreachable!("a report was asked for")
    };
    if report.physician.name.is_empty() {
        eprintln!(
            "⚠ {}年{}月に有効な指示書がありません: 主治医の欄は空白です / no 指示書 in force in {}: the physician is left blank",
            year, month, args.month
        );
    }
    eprintln!(
        "訪問看護報告書 {}年{}月 ({}回訪問) を {} に書きました / wrote the report of {} ({} visits) to {}",
        year,
        month,
        report.visits.len(),
        args.output.pdf.display(),
        args.month,
        report.visits.len(),
        args.output.pdf.display()
    );
    Ok(())
}

/// A document of one patient as of one day (`--date`, else today): the
/// checks, the draft and its PDF, with a warning when no 指示書 was in
/// force that day. `plan` and `record1` differ only in their kind.
fn document_on_day(cli: &Cli, args: &DocumentOnDay, kind: DocumentKind) -> Result<()> {
    let mut form = Form::new();
    let day = form.optional(&args.date, |t| Date::parse("date", t));
    form.finish(|| ())?;
    let mut session = open(cli)?;
    let patient = session.resolve_patient(&args.patient)?;
    let day = day.unwrap_or_else(|| session.now().date_jst());
    let request = DocumentRequest {
        kind,
        month: None,
        date: Some(day),
        visit: None,
    };
    let draft = make(&mut session, &patient, &request, &args.output)?;
    if draft.physician().is_some_and(|p| p.name.is_empty()) {
        eprintln!(
            "⚠ {day} に有効な指示書がありません: 主治医の欄は空白です / no 指示書 in force on {day}: the physician is left blank"
        );
    }
    Ok(())
}

fn plan(cli: &Cli, args: &DocumentOnDay) -> Result<()> {
    document_on_day(cli, args, DocumentKind::Plan)?;
    eprintln!(
        "訪問看護計画書を {} に書きました（目標・問題点は手書き欄） / wrote the care plan to {} (goals and problems left blank to be written by hand)",
        args.output.pdf.display(),
        args.output.pdf.display()
    );
    Ok(())
}

fn record1(cli: &Cli, args: &DocumentOnDay) -> Result<()> {
    document_on_day(cli, args, DocumentKind::Record1)?;
    eprintln!(
        "訪問看護記録書Ⅰを {} に書きました / wrote the intake record to {}",
        args.output.pdf.display(),
        args.output.pdf.display()
    );
    Ok(())
}

fn record2(cli: &Cli, args: &DocumentRecord2) -> Result<()> {
    let mut form = Form::new();
    let day = form.optional(&args.date, |t| Date::parse("date", t));
    form.finish(|| ())?;
    let mut session = open(cli)?;
    let patient = session.resolve_patient(&args.patient)?;
    let visit = match &args.visit {
        Some(typed) => Some(session.resolve_entry(&patient, typed)?),
        None => None,
    };
    let request = DocumentRequest {
        kind: DocumentKind::Record2,
        month: None,
        date: day,
        visit,
    };
    let draft = make(&mut session, &patient, &request, &args.output)?;
    let DocumentDraft::Record2(record) = draft else {
        unreachable!("a visit record was asked for")
    };
    eprintln!(
        "訪問看護記録書Ⅱ ({}) を {} に書きました / wrote the visit record of {} to {}",
        wareki_date(record.date.0),
        args.output.pdf.display(),
        record.date,
        args.output.pdf.display()
    );
    Ok(())
}
