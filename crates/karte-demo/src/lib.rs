//! Synthetic but realistic Japanese home-care patients for demonstrations,
//! load tests and screenshots: names with their readings, addresses, care
//! levels, problem lists with ICD-10 codes, prescriptions, allergies and two
//! years of visits with vital signs and SOAP notes.
//!
//! Everything is drawn from a seeded ChaCha stream, one stream per patient, so
//! a seed always yields the same patients and the n-th patient does not depend
//! on how many are taken. Every input passes its own `validate`.

mod calendar;
mod chance;
mod clinical;
mod demographics;
mod entries;
mod names;
mod notes;
mod places;
mod schedule;
mod vitals;

use karte_types::{
    AllergyInput, ConditionInput, Demographics, JcsLevel, MedicationInput, Timestamp, VisitInput,
};
use rand::SeedableRng;

use crate::chance::Dice;
use crate::clinical::Problem;

/// One generated patient: what a chart would be built from.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoPatient {
    pub patient: Demographics,
    /// True when allergies were asked about and there are none; false with no
    /// allergies means nobody has asked yet.
    pub allergy_status_nka: bool,
    pub allergies: Vec<(AllergyInput, Timestamp)>,
    pub conditions: Vec<(ConditionInput, Timestamp)>,
    pub medications: Vec<(MedicationInput, Timestamp)>,
    /// Oldest first.
    pub visits: Vec<VisitInput>,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoOptions {
    pub seed: u64,
    /// The present: visits end here and ages are counted to here.
    pub now: Timestamp,
    /// How far back visits go.
    pub visits_years: f64,
    /// Keep only the most recent visits (for small demonstration vaults).
    pub max_visits: Option<usize>,
}

impl DemoOptions {
    /// Two years of visits before `now`, without a cap.
    pub fn new(seed: u64, now: Timestamp) -> DemoOptions {
        DemoOptions {
            seed,
            now,
            visits_years: 2.0,
            max_visits: None,
        }
    }
}

/// An endless, deterministic stream of patients; take as many as needed.
pub fn patients(options: &DemoOptions) -> impl Iterator<Item = DemoPatient> + use<> {
    let options = options.clone();
    (0_u64..).map(move |index| patient(&options, index))
}

/// The `index`-th patient of a seed.
fn patient(options: &DemoOptions, index: u64) -> DemoPatient {
    let mut dice = Dice::seed_from_u64(options.seed);
    dice.set_stream(index);
    let dice = &mut dice;
    let now = options.now;
    let today = now.date_jst();

    let patient = demographics::person(dice, today);
    let age = patient.birth.age_on(today);
    let span_millis = (options.visits_years.max(0.0) * 365.2425 * 86_400_000.0) as i64;
    let start = Timestamp(now.0 - span_millis);
    let mut times = schedule::visit_times(dice, start, now);
    if let Some(max) = options.max_visits {
        times.drain(..times.len().saturating_sub(max));
    }
    // The first visit is the intake, where the history was taken.
    let intake = times.first().copied().unwrap_or(start);

    let problem_kinds = entries::problems(dice, age, patient.care_level);
    let problems: Vec<Problem> = problem_kinds.iter().map(|k| k.problem).collect();
    let allergies = entries::allergies(dice);
    let ruled_out: Vec<_> = allergies.iter().filter_map(|(_, a)| a.rules_out).collect();
    let allergy_status_nka = allergies.is_empty() && chance::chance(dice, 0.85);
    let history = entries::history(
        dice,
        &problem_kinds,
        &ruled_out,
        patient.birth,
        intake,
        &times,
        now,
    );

    let mut course = vitals::VitalCourse::new(dice, &problems, patient.care_level);
    let mut illness = None;
    let mut visits = Vec::with_capacity(times.len());
    for (i, at) in times.iter().enumerate() {
        let episode = history.episodes.iter().find(|e| e.visit == i);
        if let Some(episode) = episode {
            illness = Some(episode.problem);
        }
        let (vital_signs, findings) = course.next(dice, episode.is_some());
        if findings.fever.is_none() && episode.is_none() {
            illness = None;
        }
        let talks = vital_signs.jcs.is_none_or(|j| j.level < JcsLevel::II10);
        let soap = notes::soap(dice, &problems, illness, &findings, talks);
        visits.push(VisitInput {
            at: *at,
            vitals: vital_signs,
            soap,
            profession: None,
            long_visit: false,
        });
    }

    DemoPatient {
        patient,
        allergy_status_nka,
        allergies: allergies
            .into_iter()
            .map(|(input, _)| (input, intake))
            .collect(),
        conditions: history.conditions,
        medications: history.medications,
        visits,
    }
}
