//! Disaster mode's daily report on the command line: a visit recorded as a
//! consultation with its J-SPEED items (`karte visit record … --jspeed`),
//! `karte disaster report` (the 診療日報 printed in Japanese and English,
//! the WHO EMT MDS CSV, FHIR MeasureReports and a printable PDF) and
//! `karte disaster items`.

use anyhow::Result;
use karte_api::Session;
use karte_api::types::{
    DailyReport, Date, JSPEED_2018, JSpeedGroup, JSpeedSheet, JSpeedTicks, ReportAgeGroup,
};

use crate::Form;
use crate::args::{DisasterReportArgs, VisitRecord};

/// The J-SPEED sheet a visit command asks for, if it gave `--jspeed`.
pub fn consultation_sheet(record: &VisitRecord) -> Result<Option<JSpeedSheet>> {
    let Some(list) = &record.jspeed else {
        return Ok(None);
    };
    let mut form = Form::new();
    let items = match JSpeedTicks::parse(list) {
        Ok(items) => Some(items),
        Err(errors) => {
            for error in errors.0 {
                form.take::<()>(Err(error));
            }
            None
        }
    };
    let age_group = form.optional(&record.age_group, ReportAgeGroup::parse);
    let sheet = form.finish(|| JSpeedSheet {
        team: record.team.clone().unwrap_or_default().trim().to_owned(),
        site: record.site.clone().unwrap_or_default().trim().to_owned(),
        items: items.expect("checked"),
        pregnant: record.pregnant,
        age_group,
    })?;
    Ok(Some(sheet))
}

pub fn report(session: &mut Session, args: &DisasterReportArgs) -> Result<()> {
    let date = Date::parse("date", &args.date)
        .map_err(|e| karte_api::ApiError::Invalid(karte_api::types::ValidationErrors(vec![e])))?;
    // The font is read before the counts leave the vault, so a machine
    // without it fails before anything is recorded as exported.
    let font = args
        .pdf
        .as_ref()
        .map(|_| crate::document::font())
        .transpose()?;
    let report = session.disaster_report(&date, &args.site)?;
    if let (Some(path), Some(font)) = (&args.pdf, &font) {
        let printable = printable(&report);
        crate::document::write_pdf(path, "診療日報", |out| {
            karte_docs::render_disaster_report(&printable, font, out)
        })?;
        eprintln!(
            "診療日報 {} {} を {} に書きました / wrote the daily report to {}",
            report.date,
            report.site,
            path.display(),
            path.display()
        );
    }
    if let Some(path) = &args.csv {
        crate::output_file::write_whole(path, |out| {
            Ok(out.write_all(report.mds_csv().as_bytes())?)
        })?;
    }
    if let Some(path) = &args.fhir {
        let bundle = karte_fhir::daily_report_bundle(&report, &format!("karte-jspeed-{date}"));
        crate::output_file::write_whole(path, |out| {
            Ok(serde_json::to_writer_pretty(out, &bundle)?)
        })?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(())
}

pub fn items() {
    println!("No.  code / 項目 / item / WHO EMT MDS");
    let mut group = None;
    for item in JSPEED_2018 {
        if group != Some(item.group) {
            group = Some(item.group);
            println!("{} / {}", item.group.label_ja(), item.group.label_en());
        }
        let mds = item.mds.map(|m| format!("MDS{m}")).unwrap_or_default();
        let unsure = if item.number_confirmed { " " } else { "?" };
        println!(
            "{:>3}{unsure} {}  {} / {}  {mds}",
            item.number, item.code, item.ja, item.en
        );
    }
    println!("? = number not confirmed by the sources (see the item list's notes)");
}

/// The report in the words of the printed form: the age groups and the
/// items in Japanese, the items in the list's order.
pub fn printable(report: &DailyReport) -> karte_docs::DisasterDailyReport {
    let teams = report
        .teams
        .iter()
        .map(|team| karte_docs::DisasterTeamCounts {
            team: team.team.clone(),
            consultations: team.consultations,
            male: team.male,
            female: team.female,
            pregnant: team.pregnant,
            sex_not_stated: team.sex_not_stated,
            items: JSPEED_2018
                .iter()
                .filter_map(|item| {
                    let count = *team.items.get(item.code)?;
                    Some(karte_docs::DisasterItemCount {
                        group: item.group.label_ja().to_owned(),
                        number: item.number,
                        label: item.ja.to_owned(),
                        count,
                    })
                })
                .collect(),
        })
        .collect();
    karte_docs::DisasterDailyReport {
        date: report.date.0,
        site: report.site.clone(),
        age_groups: ReportAgeGroup::ALL.map(|g| g.label_ja().to_owned()),
        teams,
    }
}

fn print_report(report: &DailyReport) {
    println!(
        "診療日報 / daily report (J-SPEED 2018)  {}  {}",
        report.date, report.site
    );
    if report.teams.is_empty() {
        println!("診療なし / no consultations");
    }
    let groups = ReportAgeGroup::ALL.map(|g| g.label_ja()).join(" / ");
    for team in &report.teams {
        println!();
        println!(
            "チーム / team: {}  診療件数 / consultations: {}",
            team.team, team.consultations
        );
        println!("  年齢 / age: {groups}");
        let row = |counts: &[u32; 4]| counts.map(|n| n.to_string()).join(" / ");
        println!("  男性 / male: {}", row(&team.male));
        println!("  女性 / female: {}", row(&team.female));
        println!("  （うち妊婦 / of whom pregnant: {}）", row(&team.pregnant));
        if team.sex_not_stated.iter().any(|n| *n > 0) {
            println!("  性別不明 / sex not stated: {}", row(&team.sex_not_stated));
        }
        let mut group: Option<JSpeedGroup> = None;
        for item in JSPEED_2018 {
            let Some(count) = team.items.get(item.code) else {
                continue;
            };
            if group != Some(item.group) {
                group = Some(item.group);
                println!("  {} / {}", item.group.label_ja(), item.group.label_en());
            }
            println!("    {:>3} {} / {}: {count}", item.number, item.ja, item.en);
        }
    }
}
