//! The demo patients as their users see them: deterministic for a seed, valid
//! by the chart's own rules, and shaped like a home-care caseload.

use karte_demo::{DemoOptions, DemoPatient, patients};
use karte_types::{Timestamp, fold_for_search};

fn options(seed: u64) -> DemoOptions {
    let now = Timestamp::parse_rfc3339("now", "2026-11-25T18:00:00+09:00").unwrap();
    DemoOptions::new(seed, now)
}

fn caseload(seed: u64, n: usize) -> Vec<DemoPatient> {
    patients(&options(seed)).take(n).collect()
}

#[test]
fn a_seed_always_gives_the_same_patients() {
    assert_eq!(caseload(42, 5), caseload(42, 5));
    assert_ne!(caseload(42, 5), caseload(43, 5));
    // The n-th patient does not depend on how many are taken.
    let fourth = patients(&options(42)).nth(3).unwrap();
    assert_eq!(caseload(42, 4)[3], fourth);
    let names: Vec<String> = caseload(42, 20)
        .iter()
        .map(|p| p.patient.full_name())
        .collect();
    let mut distinct = names.clone();
    distinct.sort();
    distinct.dedup();
    assert!(distinct.len() >= 18, "too many repeated names: {names:?}");
}

#[test]
fn every_input_passes_its_validation() {
    let options = options(7);
    let today = options.now.date_jst();
    for (i, p) in patients(&options).take(150).enumerate() {
        let who = format!("patient {i} {}", p.patient.full_name());
        assert_eq!(p.patient.validate(today), Ok(()), "{who}");
        for (allergy, at) in &p.allergies {
            assert_eq!(allergy.validate(), Ok(()), "{who}");
            assert!(*at <= options.now);
        }
        for (condition, at) in &p.conditions {
            assert_eq!(condition.validate(), Ok(()), "{who}: {condition:?}");
            assert!(*at <= options.now);
            if let Some(onset) = condition.onset {
                assert!(
                    onset >= p.patient.birth && onset <= today,
                    "{who}: {condition:?}"
                );
            }
        }
        for (medication, at) in &p.medications {
            assert_eq!(medication.validate(), Ok(()), "{who}: {medication:?}");
            assert!(*at <= options.now);
        }
        assert!(!p.conditions.is_empty(), "{who} has no problem list");
        for visit in &p.visits {
            assert_eq!(visit.validate(), Ok(()), "{who}: {visit:?}");
        }
        assert!(p.visits.windows(2).all(|w| w[0].at < w[1].at), "{who}");
        assert!(p.visits.iter().all(|v| v.at <= options.now), "{who}");
        assert!(!p.allergy_status_nka || p.allergies.is_empty(), "{who}");
    }
}

#[test]
fn two_years_of_visits_come_one_to_three_times_a_week() {
    let counts: Vec<usize> = caseload(3, 100).iter().map(|p| p.visits.len()).collect();
    assert!(counts.iter().all(|n| (80..=320).contains(n)), "{counts:?}");
    let mean = counts.iter().sum::<usize>() / counts.len();
    assert!((150..=260).contains(&mean), "{mean}");

    let mut capped = options(3);
    capped.max_visits = Some(12);
    let short = patients(&capped).next().unwrap();
    let full = caseload(3, 1).remove(0);
    let times = |p: &DemoPatient| p.visits.iter().map(|v| v.at).collect::<Vec<_>>();
    assert_eq!(short.visits.len(), 12);
    assert_eq!(
        times(&short)[..],
        times(&full)[full.visits.len() - 12..],
        "the newest visits are kept"
    );
}

#[test]
fn most_patients_are_old() {
    let options = options(11);
    let today = options.now.date_jst();
    let ages: Vec<i32> = patients(&options)
        .take(400)
        .map(|p| p.patient.birth.age_on(today))
        .collect();
    let share = |f: &dyn Fn(i32) -> bool| ages.iter().filter(|a| f(**a)).count() * 100 / ages.len();
    assert!(share(&|a| a >= 65) >= 85, "{ages:?}");
    assert!(share(&|a| (70..=95).contains(&a)) >= 65, "{ages:?}");
    assert!(share(&|a| a < 65) >= 1, "some patients are younger");
    assert!(ages.iter().all(|a| (40..=103).contains(a)));
}

#[test]
fn kana_readings_are_kana() {
    for p in caseload(5, 300) {
        for reading in [&p.patient.family_kana, &p.patient.given_kana] {
            let folded = fold_for_search(reading);
            assert!(
                !folded.is_empty()
                    && folded
                        .chars()
                        .all(|c| ('\u{30A1}'..='\u{30FC}').contains(&c)),
                "{} {reading}",
                p.patient.full_name()
            );
        }
    }
}

#[test]
fn no_prescription_clashes_with_an_allergy() {
    let clashes = [
        (
            &["ペニシリン系抗菌薬", "セフェム系抗菌薬"][..],
            "セフトリアキソン",
        ),
        (&["アスピリン", "ロキソプロフェン"][..], "アスピリン"),
        (
            &["アスピリン", "ロキソプロフェン"][..],
            "ロキソプロフェンナトリウムテープ",
        ),
    ];
    for p in caseload(9, 600) {
        for (allergens, drug) in clashes {
            let allergic = p
                .allergies
                .iter()
                .any(|(a, _)| allergens.contains(&a.substance.as_str()));
            let prescribed = p.medications.iter().any(|(m, _)| m.name == drug);
            assert!(!(allergic && prescribed), "{drug} for {:?}", p.allergies);
        }
    }
}

#[test]
fn vital_signs_follow_the_patient() {
    let mut hypertensive = Vec::new();
    let mut others = Vec::new();
    let mut fevers = 0;
    for p in caseload(13, 120) {
        let systolic: Vec<f64> = p
            .visits
            .iter()
            .filter_map(|v| v.vitals.systolic.map(f64::from))
            .collect();
        let mean = systolic.iter().sum::<f64>() / systolic.len() as f64;
        if p.conditions
            .iter()
            .any(|(c, _)| c.icd10.as_deref() == Some("I10"))
        {
            hypertensive.push(mean);
        } else {
            others.push(mean);
        }
        fevers += p
            .visits
            .iter()
            .filter(|v| v.vitals.temperature_c.is_some_and(|t| t >= 37.5))
            .count();
    }
    let average = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    assert!(
        average(&hypertensive) > average(&others) + 15.0,
        "{} vs {}",
        average(&hypertensive),
        average(&others)
    );
    assert!(fevers > 0, "no fever in a hundred patients' two years");
}

#[test]
fn notes_speak_japanese_home_care() {
    let p = caseload(21, 1).remove(0);
    let notes: Vec<_> = p.visits.iter().map(|v| &v.soap).collect();
    assert!(
        notes
            .iter()
            .all(|n| n.objective.as_deref().is_some_and(|o| !o.is_empty()))
    );
    let subjective = notes.iter().filter_map(|n| n.subjective.as_deref());
    assert!(subjective.clone().count() > notes.len() * 8 / 10);
    assert!(
        subjective
            .clone()
            .all(|s| s.contains('「') && s.ends_with('。'))
    );
}
