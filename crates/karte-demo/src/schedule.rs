//! When the nurse comes: each patient has a usual number of visits a week
//! (one to three) and a usual hour, on weekdays, with the odd week missed
//! (a short hospital stay) or, for those seen less often, an extra visit.

use karte_types::Timestamp;

use crate::calendar::{jst_day, jst_instant, weekday};
use crate::chance::{Dice, between, chance, some, weighted};

/// Visit instants between `start` and `now`, oldest first.
pub fn visit_times(dice: &mut Dice, start: Timestamp, now: Timestamp) -> Vec<Timestamp> {
    let per_week = *weighted(dice, &[(2, 1usize), (5, 2), (3, 3)]);
    let usual_hour = between(dice, 9, 15);
    let first_day = jst_day(start);
    let last_day = jst_day(now);
    // Weeks run Monday to Sunday; visits fall Monday to Friday.
    let mut monday = first_day - (weekday(first_day) + 6) % 7;
    let mut times = Vec::with_capacity(((last_day - first_day) / 7 + 1) as usize * 4);
    while monday <= last_day {
        let count = if chance(dice, 0.04) {
            0
        } else if per_week < 3 && chance(dice, 0.08) {
            per_week + 1
        } else {
            per_week
        };
        for offset in some(dice, &[0, 1, 2, 3, 4], count) {
            let hour = (usual_hour + between(dice, -1, 1)).clamp(9, 16) as u8;
            let minute = (between(dice, 0, 3) * 15) as u8;
            let at = jst_instant(monday + offset, hour, minute);
            if start <= at && at <= now {
                times.push(at);
            }
        }
        monday += 7;
    }
    times
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::days_from_civil;
    use rand::SeedableRng;

    #[test]
    fn two_years_hold_one_to_three_visits_a_week_on_weekdays() {
        let now = jst_instant(days_from_civil(2026, 11, 25), 18, 0);
        let start = Timestamp(now.0 - 730 * 86_400_000);
        for seed in 0..30 {
            let mut dice = Dice::seed_from_u64(seed);
            let times = visit_times(&mut dice, start, now);
            assert!((80..=320).contains(&times.len()), "{}", times.len());
            assert!(times.windows(2).all(|w| w[0] < w[1]));
            assert!(
                times
                    .iter()
                    .all(|t| (1..=5).contains(&weekday(jst_day(*t))))
            );
            assert!(times.iter().all(|t| start <= *t && *t <= now));
        }
    }
}
