//! Vital signs that run true to the patient: a hypertensive patient's blood
//! pressure runs high, COPD lowers the SpO2, atrial fibrillation scatters the
//! pulse, and now and then a fever episode lifts temperature, pulse and
//! breathing for a visit or three. Every value stays inside the ranges
//! `VitalSigns::validate` accepts.

use karte_types::{CareLevel, Jcs, JcsLevel, VitalSigns};

use crate::chance::{Dice, between, chance, normal, uniform};
use crate::clinical::Problem;

/// What stood out at a visit, so the note can speak of it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Findings {
    pub fever: Option<f64>,
    pub high_bp: Option<(u16, u16)>,
    pub low_spo2: Option<u8>,
    pub fast_pulse: bool,
    pub pain: Option<u8>,
    /// The visit falls in a fever episode that began at an earlier visit.
    pub recovering: bool,
}

/// One patient's baselines and the state carried from visit to visit.
#[derive(Debug)]
pub struct VitalCourse {
    temperature: f64,
    systolic: f64,
    /// A slow wander of blood pressure over weeks.
    drift: f64,
    diastolic_ratio: f64,
    pulse: f64,
    pulse_sd: f64,
    respiration: f64,
    spo2: f64,
    jcs: JcsLevel,
    pain: f64,
    measures_respiration: f64,
    measures_pain: f64,
    fever_visits_left: u32,
    fever_peak: f64,
    fever_day: u32,
}

/// Care levels as a severity from 0 (none, 要支援1) to 6 (要介護5).
pub fn severity(level: Option<CareLevel>) -> usize {
    level.map_or(0, |l| {
        CareLevel::ALL
            .iter()
            .position(|x| *x == l)
            .expect("listed level")
    })
}

impl VitalCourse {
    pub fn new(dice: &mut Dice, problems: &[Problem], care_level: Option<CareLevel>) -> Self {
        let has = |p: Problem| problems.contains(&p);
        let severity = severity(care_level);
        let systolic = if has(Problem::Hypertension) {
            uniform(dice, 138.0, 160.0)
        } else if has(Problem::HeartFailure) {
            uniform(dice, 104.0, 124.0)
        } else {
            uniform(dice, 110.0, 132.0)
        };
        let mut respiration = uniform(dice, 14.0, 18.0);
        let mut spo2 = uniform(dice, 95.5, 98.5);
        if has(Problem::Copd) {
            respiration += uniform(dice, 3.0, 5.0);
            spo2 = uniform(dice, 90.0, 93.5);
        } else if has(Problem::HeartFailure) {
            spo2 -= uniform(dice, 0.5, 2.0);
        }
        let confused = has(Problem::Dementia) || has(Problem::StrokeSequelae);
        let jcs = match severity {
            5 | 6 if confused && chance(dice, 0.15) => JcsLevel::II10,
            4..=6 if confused && chance(dice, 0.6) => {
                [JcsLevel::I1, JcsLevel::I2, JcsLevel::I3][between(dice, 0, 2) as usize]
            }
            _ if has(Problem::Dementia) && chance(dice, 0.4) => JcsLevel::I1,
            _ => JcsLevel::Alert,
        };
        let mut pain = uniform(dice, 0.0, 0.6);
        for (problem, lo, hi) in [
            (Problem::KneeOsteoarthritis, 2.0, 4.5),
            (Problem::LungCancer, 2.0, 5.0),
            (Problem::GastricCancer, 2.0, 5.0),
            (Problem::Osteoporosis, 0.5, 2.5),
            (Problem::PressureUlcer, 1.0, 3.0),
        ] {
            if has(problem) {
                pain = pain.max(uniform(dice, lo, hi));
            }
        }
        VitalCourse {
            temperature: uniform(dice, 36.0, 36.7),
            systolic,
            drift: 0.0,
            diastolic_ratio: uniform(dice, 0.54, 0.62),
            pulse: uniform(dice, 62.0, 82.0)
                + if has(Problem::AtrialFibrillation) {
                    8.0
                } else {
                    0.0
                },
            pulse_sd: if has(Problem::AtrialFibrillation) {
                10.0
            } else {
                4.0
            },
            respiration,
            spo2,
            jcs,
            pain,
            measures_respiration: uniform(dice, 0.4, 0.95),
            measures_pain: if pain >= 1.5 { 0.85 } else { 0.3 },
            fever_visits_left: 0,
            fever_peak: 0.0,
            fever_day: 0,
        }
    }

    /// The vital signs of the next visit. `illness` starts a fever episode
    /// (an infection recorded in the chart); otherwise one starts rarely.
    pub fn next(&mut self, dice: &mut Dice, illness: bool) -> (VitalSigns, Findings) {
        if illness || (self.fever_visits_left == 0 && chance(dice, 0.015)) {
            self.fever_visits_left = between(dice, 1, 3) as u32 + u32::from(illness);
            self.fever_peak = uniform(dice, 37.6, 39.2);
            self.fever_day = 0;
        }
        let febrile = self.fever_visits_left > 0;
        // The fever is highest at the first visit and eases at each one after.
        let fever = if febrile {
            let ease = 0.55_f64.powi(self.fever_day as i32);
            self.fever_day += 1;
            self.fever_visits_left -= 1;
            (self.fever_peak - self.temperature) * ease
        } else {
            0.0
        };
        let strain = fever / 2.0;
        self.drift = 0.9 * self.drift + normal(dice, 0.0, 2.0);

        let temperature = round1(normal(dice, self.temperature, 0.18) + fever).clamp(35.2, 40.8);
        let systolic = (normal(dice, self.systolic + self.drift, 7.0) - 4.0 * strain)
            .round()
            .clamp(82.0, 212.0);
        let diastolic = (normal(dice, systolic * self.diastolic_ratio, 4.0))
            .round()
            .clamp(42.0, systolic - 22.0);
        let pulse = (normal(dice, self.pulse, self.pulse_sd) + 14.0 * strain)
            .round()
            .clamp(42.0, 150.0);
        let respiration = (normal(dice, self.respiration, 1.2) + 4.0 * strain)
            .round()
            .clamp(10.0, 36.0);
        let spo2 = (normal(dice, self.spo2, 0.9) - 2.5 * strain)
            .round()
            .clamp(80.0, 100.0);
        let pain = (normal(dice, self.pain, 0.8)).round().clamp(0.0, 10.0) as u8;
        let jcs_level = if strain > 0.5 && self.jcs < JcsLevel::II10 && chance(dice, 0.3) {
            next_level(self.jcs)
        } else {
            self.jcs
        };

        let vitals = VitalSigns {
            temperature_c: chance(dice, 0.97).then_some(temperature),
            systolic: Some(systolic as u16),
            diastolic: Some(diastolic as u16),
            pulse: chance(dice, 0.98).then_some(pulse as u16),
            respiration: chance(dice, self.measures_respiration).then_some(respiration as u16),
            spo2: chance(dice, 0.92).then_some(spo2 as u8),
            jcs: chance(dice, 0.85).then_some(Jcs {
                level: jcs_level,
                restless: false,
                incontinent: false,
                akinetic: false,
            }),
            pain: chance(dice, self.measures_pain).then_some(pain),
        };
        let findings = Findings {
            fever: vitals.temperature_c.filter(|t| *t >= 37.5),
            high_bp: (systolic >= 150.0).then_some((systolic as u16, diastolic as u16)),
            low_spo2: vitals.spo2.filter(|s| *s <= 92),
            fast_pulse: vitals.pulse.is_some_and(|p| p >= 100),
            pain: vitals.pain.filter(|p| *p >= 4),
            recovering: febrile && self.fever_day > 1,
        };
        (vitals, findings)
    }
}

fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

fn next_level(level: JcsLevel) -> JcsLevel {
    let all = JcsLevel::ALL;
    let i = all.iter().position(|l| *l == level).expect("listed level");
    all[(i + 1).min(all.len() - 1)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn mean_systolic(problems: &[Problem], seed: u64) -> f64 {
        let mut dice = Dice::seed_from_u64(seed);
        let mut course = VitalCourse::new(&mut dice, problems, Some(CareLevel::Care2));
        let readings: Vec<f64> = (0..200)
            .map(|_| f64::from(course.next(&mut dice, false).0.systolic.unwrap()))
            .collect();
        readings.iter().sum::<f64>() / readings.len() as f64
    }

    #[test]
    fn hypertensive_patients_run_high() {
        for seed in 0..20 {
            assert!(mean_systolic(&[Problem::Hypertension], seed) > 132.0);
            assert!(mean_systolic(&[Problem::Dementia], seed) < 138.0);
        }
    }

    #[test]
    fn every_reading_validates_and_illness_brings_fever() {
        let mut dice = Dice::seed_from_u64(11);
        let problems = [
            Problem::Copd,
            Problem::AtrialFibrillation,
            Problem::Dementia,
        ];
        let mut course = VitalCourse::new(&mut dice, &problems, Some(CareLevel::Care5));
        for visit in 0..2_000 {
            let (vitals, _) = course.next(&mut dice, false);
            assert_eq!(vitals.validate(), Ok(()), "visit {visit}: {vitals:?}");
        }
        let (vitals, findings) = course.next(&mut dice, true);
        assert!(vitals.temperature_c.is_none() || findings.fever.is_some());
    }
}
