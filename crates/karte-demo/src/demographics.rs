//! Who the patients are: mostly the old and very old, more women than men
//! among them, with names of their generation, a home, a telephone, an
//! insurance number and a care level.

use karte_types::{CareLevel, Date, Demographics, Sex};

use crate::calendar::{date_of, day_number};
use crate::chance::{Dice, between, chance, one, uniform, weighted};
use crate::names;
use crate::places;

/// Age bands of home-care patients: most are 70 to 95, a few younger.
const AGES: &[(u32, (i64, i64))] = &[
    (6, (45, 64)),
    (9, (65, 69)),
    (30, (70, 79)),
    (40, (80, 89)),
    (12, (90, 95)),
    (3, (96, 102)),
];

const CARE_LEVELS: &[(u32, CareLevel)] = &[
    (9, CareLevel::Support1),
    (10, CareLevel::Support2),
    (20, CareLevel::Care1),
    (19, CareLevel::Care2),
    (16, CareLevel::Care3),
    (14, CareLevel::Care4),
    (12, CareLevel::Care5),
];

/// A patient, aged as of `today`.
pub fn person(dice: &mut Dice, today: Date) -> Demographics {
    let &(lo, hi) = weighted(dice, AGES);
    let age = between(dice, lo, hi);
    let days_old = (age as f64 * 365.2425 + uniform(dice, 0.0, 364.0)) as i64;
    let birth = date_of(day_number(today) - days_old);
    let born_before_1960 = birth.0.year() < 1960;

    let female_share = if age >= 75 { 0.62 } else { 0.5 };
    let sex = if chance(dice, female_share) {
        Sex::Female
    } else {
        Sex::Male
    };
    let (older, younger) = match sex {
        Sex::Female => (names::FEMALE_OLDER, names::FEMALE_YOUNGER),
        _ => (names::MALE_OLDER, names::MALE_YOUNGER),
    };
    // A few parents named their children ahead of (or behind) their time.
    let given_names = if born_before_1960 != chance(dice, 0.08) {
        older
    } else {
        younger
    };
    let (family, family_kana) = one(dice, names::FAMILY);
    let (given, given_kana) = one(dice, given_names);
    let (address, phone) = places::home(dice);

    // Under 65, long-term care insurance covers only certain diseases.
    let care_level = if age >= 65 || chance(dice, 0.5) {
        Some(*weighted(dice, CARE_LEVELS))
    } else {
        None
    };
    Demographics {
        family: family.to_string(),
        given: given.to_string(),
        family_kana: family_kana.to_string(),
        given_kana: given_kana.to_string(),
        birth,
        sex,
        address: Some(address),
        phone: chance(dice, 0.97).then_some(phone),
        insurance_number: chance(dice, 0.96)
            .then(|| format!("{:08}", between(dice, 10_000_000, 99_999_999))),
        care_level,
    }
}
