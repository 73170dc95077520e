//! Disaster mode's figures: registering and triaging a casualty, durable,
//! beside recording a visit (one durable write of the same kind); and the
//! team's board of 500 casualties beside listing the same patient index.

use anyhow::Result;
use karte_api::{Environment, KdfParams, Session};
use karte_test_support::{PASSPHRASE, visit, yamada};
use karte_types::{AgeBand, CasualtyInput, Sex, TriageFindings, TriageRequest};

use crate::Options;
use crate::report::{Figure, median_ms};

pub const NOTES: &[&str] = &[
    "baselines: recording a visit (one durable edit) in the same vault; listing the same patient index.",
];

const BOARD_CASUALTIES: usize = 500;

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
    let register = median_ms(BOARD_CASUALTIES - 1, || {
        n += 1;
        let patient = session.add_casualty(&casualty(n))?;
        session.triage(&patient, &start(n))?;
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
    session.lock();
    Ok(vec![
        Figure::new(
            "register + triage a casualty, durable (median)",
            register,
            record,
            "< 50 ms",
        ),
        Figure::new("board of 500 casualties (median)", board, list, "< 100 ms"),
    ])
}
