//! A patient's allergies, problem list and prescriptions, consistent with one
//! another: drugs follow the conditions, no drug clashes with an allergy, and
//! infections during care are recorded on the day they were found.

use karte_types::{
    AllergyInput, CareLevel, ClinicalStatus, ConditionInput, Criticality, Date, MedicationInput,
    Timestamp,
};

use crate::calendar::{date_of, day_number, jst_day};
use crate::chance::{Dice, between, chance, one, uniform, weighted};
use crate::clinical::{ALLERGENS, Allergen, Course, DrugClass, PROBLEMS, Problem, ProblemKind};
use crate::vitals::severity;

/// Conditions that grow likelier with the care a patient needs.
const FRAILTY: &[Problem] = &[
    Problem::Dementia,
    Problem::StrokeSequelae,
    Problem::PressureUlcer,
    Problem::AspirationPneumonia,
    Problem::Parkinson,
];

/// The problem list of a patient: each condition drawn by its prevalence,
/// adjusted for age and care level; never empty.
pub fn problems(
    dice: &mut Dice,
    age: i32,
    care_level: Option<CareLevel>,
) -> Vec<&'static ProblemKind> {
    let frailty = 0.5 + severity(care_level) as f64 / 4.0;
    let mut chosen: Vec<&ProblemKind> = PROBLEMS
        .iter()
        .filter(|kind| {
            let mut p = kind.prevalence;
            if FRAILTY.contains(&kind.problem) {
                p *= frailty;
            }
            if age < 65 && matches!(kind.problem, Problem::Dementia | Problem::Osteoporosis) {
                p *= 0.2;
            }
            chance(dice, p)
        })
        .collect();
    chosen.truncate(8);
    if chosen.is_empty() {
        chosen.push(&PROBLEMS[0]);
    }
    chosen
}

/// Allergies (none for most), each with the table row it came from.
pub fn allergies(dice: &mut Dice) -> Vec<(AllergyInput, &'static Allergen)> {
    let count = *weighted(dice, &[(60, 0usize), (30, 1), (10, 2)]);
    let weights: Vec<(u32, &Allergen)> = ALLERGENS.iter().map(|a| (a.weight, a)).collect();
    let mut picked: Vec<&Allergen> = Vec::new();
    while picked.len() < count {
        let allergen = *weighted(dice, &weights);
        if !picked.iter().any(|a| a.substance == allergen.substance) {
            picked.push(allergen);
        }
    }
    picked
        .into_iter()
        .map(|allergen| {
            let input = AllergyInput {
                substance: allergen.substance.to_owned(),
                category: allergen.category,
                criticality: if chance(dice, 0.05) {
                    Criticality::UnableToAssess
                } else {
                    allergen.criticality
                },
                reaction: chance(dice, 0.9).then(|| one(dice, allergen.reactions).to_string()),
                status: *weighted(
                    dice,
                    &[
                        (92, ClinicalStatus::Active),
                        (5, ClinicalStatus::Inactive),
                        (3, ClinicalStatus::Resolved),
                    ],
                ),
            };
            (input, allergen)
        })
        .collect()
}

/// An infection found at one visit.
#[derive(Debug, Clone, Copy)]
pub struct Episode {
    pub problem: Problem,
    pub visit: usize,
}

/// Conditions and prescriptions with the instants they were recorded, and
/// the infections that will show as fever at a visit.
pub struct History {
    pub conditions: Vec<(ConditionInput, Timestamp)>,
    pub medications: Vec<(MedicationInput, Timestamp)>,
    pub episodes: Vec<Episode>,
}

pub fn history(
    dice: &mut Dice,
    problems: &[&'static ProblemKind],
    ruled_out: &[DrugClass],
    birth: Date,
    intake: Timestamp,
    visits: &[Timestamp],
    now: Timestamp,
) -> History {
    let today = jst_day(now);
    let intake_day = jst_day(intake);
    // Conditions began in adulthood, before care started.
    let earliest_onset = day_number(birth) + 40 * 365;
    let mut history = History {
        conditions: Vec::new(),
        medications: Vec::new(),
        episodes: Vec::new(),
    };
    for kind in problems {
        let episode_visit = (kind.course == Course::Episode && visits.len() >= 10).then(|| {
            between(dice, visits.len() as i64 / 10, visits.len() as i64 * 9 / 10) as usize
        });
        let (onset_day, status, recorded) = match (kind.course, episode_visit) {
            (Course::Episode, Some(visit)) => {
                history.episodes.push(Episode {
                    problem: kind.problem,
                    visit,
                });
                let found = visits[visit];
                let status = if today - jst_day(found) > 14 {
                    ClinicalStatus::Resolved
                } else {
                    ClinicalStatus::Active
                };
                (jst_day(found), status, found)
            }
            (Course::Chronic, _) => {
                let years_ago = uniform(dice, 0.5, 20.0);
                let day =
                    (intake_day - (years_ago * 365.0) as i64).max(earliest_onset.min(intake_day));
                (day, ClinicalStatus::Active, intake)
            }
            // Past illnesses, and episodes of a chart too short to hold one.
            _ => {
                let years_ago = uniform(dice, 0.5, 8.0);
                let day =
                    (intake_day - (years_ago * 365.0) as i64).max(earliest_onset.min(intake_day));
                (day, ClinicalStatus::Resolved, intake)
            }
        };
        history.conditions.push((
            ConditionInput {
                name: kind.name.to_owned(),
                icd10: Some(kind.icd10.to_owned()),
                onset: (kind.course != Course::Chronic || chance(dice, 0.85))
                    .then(|| date_of(onset_day)),
                status,
                note: (!kind.notes.is_empty() && chance(dice, 0.5))
                    .then(|| one(dice, kind.notes).to_string()),
            },
            recorded,
        ));

        let allowed: Vec<_> = kind
            .drugs
            .iter()
            .filter(|d| d.class.is_none_or(|c| !ruled_out.contains(&c)))
            .collect();
        if allowed.is_empty() || kind.course == Course::Past || chance(dice, 0.1) {
            continue;
        }
        let two = allowed.len() > 1
            && matches!(kind.problem, Problem::Hypertension | Problem::Diabetes)
            && chance(dice, 0.25);
        let first = between(dice, 0, allowed.len() as i64 - 1) as usize;
        let picks = if two {
            vec![allowed[first], allowed[(first + 1) % allowed.len()]]
        } else {
            vec![allowed[first]]
        };
        for drug in picks {
            let (start, end) = match episode_visit {
                // A week's course from the day the infection was found.
                Some(_) if kind.course == Course::Episode => (onset_day, Some(onset_day + 6)),
                _ => {
                    let start = between(dice, onset_day.min(intake_day), intake_day);
                    let stopped = chance(dice, 0.08) && today - start > 60;
                    let end = stopped.then(|| between(dice, start + 30, today));
                    (start, end)
                }
            };
            history.medications.push((
                MedicationInput {
                    name: drug.name.to_owned(),
                    dose: drug.dose.to_owned(),
                    route: drug.route,
                    frequency: drug.frequency.to_owned(),
                    start: Some(date_of(start)),
                    end: end.map(date_of),
                },
                recorded,
            ));
        }
    }
    history
}
