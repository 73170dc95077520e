//! Disaster mode's figures: registering and triaging a casualty, durable,
//! beside recording a visit (one durable write of the same kind); and the
//! team's board of 500 casualties beside listing the same patient index;
//! and the daily J-SPEED report over 2,000 consultations on those charts.

use anyhow::Result;
use karte_api::{Environment, KdfParams, Session};
use karte_test_support::{PASSPHRASE, at, visit, yamada};
use karte_types::{
    AgeBand, CasualtyInput, ConsultationInput, JSpeedSheet, JSpeedTicks, ReportAgeGroup, Sex,
    TriageFindings, TriageRequest,
};

use crate::Options;
use crate::report::{Figure, median_ms};

pub const NOTES: &[&str] = &[
    "baselines: recording a visit (one durable edit) in the same vault; listing the same patient index.",
];

const BOARD_CASUALTIES: usize = 500;
const CONSULTATIONS: usize = 2_000;
const SITE: &str = "益城町総合体育館";

/// The `n`th consultation: on one day, of one of two teams, with a few
/// items ticked.
fn consultation(n: usize) -> ConsultationInput {
    let items = ["16,8", "5,44", "19", "16,9,45", "21"][n % 5];
    ConsultationInput {
        visit: visit((n % 600) as i64, 70 + (n % 30) as u16),
        sheet: JSpeedSheet {
            team: ["DMAT 熊本1", "JMAT 福岡"][n % 2].to_owned(),
            site: SITE.to_owned(),
            items: JSpeedTicks::parse(items).expect("items of the list"),
            pregnant: false,
            age_group: Some(ReportAgeGroup::From5To64),
        },
    }
}

fn casualty(n: usize) -> CasualtyInput {
    CasualtyInput {
        tag: format!("T-{n:04}"),
        sex: if n.is_multiple_of(2) {
            Sex::Male
        } else {
            Sex::Female
        },
        age_band: AgeBand::ALL[n % AgeBand::ALL.len()],
        found_at: Some(format!("避難所 {} 番", n % 17)),
        found_latitude: None,
        found_longitude: None,
        features: None,
    }
}

fn start(n: usize) -> TriageRequest {
    TriageRequest {
        findings: TriageFindings {
            walks: Some(n.is_multiple_of(3)),
            breathing: Some(true),
            respiratory_rate: Some(if n.is_multiple_of(5) { 34 } else { 18 }),
            heart_rate: Some(90),
            obeys: Some(true),
            ..TriageFindings::default()
        },
        ..TriageRequest::default()
    }
}

pub fn run(options: &Options) -> Result<Vec<Figure>> {
    let dir = tempfile::tempdir()?;
    let mut session = Session::create(
        &dir.path().join("disaster.karte"),
        "bench",
        PASSPHRASE,
        KdfParams::insecure_fast_for_tests(),
        Environment::system(),
    )?;
    eprintln!("registering and triaging {BOARD_CASUALTIES} casualties …");
    let mut n = 0;
    // One warm-up call, then one timed call per casualty after it: 500 in all.
    let mut casualties = Vec::with_capacity(BOARD_CASUALTIES);
    let register = median_ms(BOARD_CASUALTIES - 1, || {
        n += 1;
        let patient = session.add_casualty(&casualty(n))?;
        session.triage(&patient, &start(n))?;
        casualties.push(patient);
        Ok(())
    })?;
    let known = session.add_patient(&yamada())?;
    let mut i = 0;
    let record = median_ms(options.samples, || {
        i += 1;
        session.record_visit(&known, &visit(i * 60, 70))?;
        Ok(())
    })?;
    let board = median_ms(options.samples, || {
        assert_eq!(session.board(&None)?.rows.len(), BOARD_CASUALTIES);
        Ok(())
    })?;
    let list = median_ms(options.samples, || {
        assert_eq!(session.patients("")?.len(), BOARD_CASUALTIES + 1);
        Ok(())
    })?;
    eprintln!(
        "recording {CONSULTATIONS} consultations on {} charts …",
        casualties.len()
    );
    for n in 0..CONSULTATIONS {
        session.record_consultation(&casualties[n % casualties.len()], &consultation(n))?;
    }
    let day = at(0).date_jst();
    let report = median_ms(options.samples, || {
        let report = session.disaster_report(&day, SITE)?;
        let counted: u32 = report.teams.iter().map(|t| t.consultations).sum();
        assert_eq!(counted as usize, CONSULTATIONS);
        Ok(())
    })?;
    let list_again = median_ms(options.samples, || {
        assert_eq!(session.patients("")?.len(), BOARD_CASUALTIES + 1);
        Ok(())
    })?;
    session.lock();
    Ok(vec![
        Figure::new(
            "register + triage a casualty, durable (median)",
            register,
            record,
            "< 50 ms",
        ),
        Figure::new("board of 500 casualties (median)", board, list, "< 100 ms"),
        Figure::new(
            "daily report over 2,000 consultations (median)",
            report,
            list_again,
            "< 200 ms",
        ),
    ])
}
