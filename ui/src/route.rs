//! Today's route: the patients a nurse visits today, in the order she
//! drives to them. It is this device's work list, kept like a draft (sealed
//! in the vault under one key, `route`, never in the web view) with the day
//! it is for, so a new day starts with an empty route, yesterday's is not
//! carried over, and no day's route stays behind: the first route of a new
//! day replaces it, and visit mode discards one of a past day it finds.

use karte_types::{Date, PatientId, PatientSummary};
use serde::{Deserialize, Serialize};

/// The draft key of the route (one for the device; the day is inside).
pub const ROUTE_KEY: &str = "route";

/// What the draft holds: the day and the stops in order.
#[derive(Serialize, Deserialize)]
struct KeptRoute {
    day: Date,
    stops: Vec<PatientId>,
}

/// The route of `today` in a draft's text: empty for an unreadable one
/// or one of another day.
pub fn parse(text: &str, today: Date) -> Vec<PatientId> {
    match serde_json::from_str::<KeptRoute>(text) {
        Ok(kept) if kept.day == today => kept.stops,
        _ => Vec::new(),
    }
}

/// Whether a draft's text is a route of another day than `today`: read
/// by nobody any more, and discarded.
pub fn is_of_another_day(text: &str, today: Date) -> bool {
    serde_json::from_str::<KeptRoute>(text).is_ok_and(|kept| kept.day != today)
}

/// The draft's text of `route` as today's.
pub fn to_text(route: &[PatientId], today: Date) -> String {
    serde_json::to_string(&KeptRoute {
        day: today,
        stops: route.to_vec(),
    })
    .unwrap_or_default()
}

/// The route with `patient` at its end (once).
pub fn add(route: &[PatientId], patient: &PatientId) -> Vec<PatientId> {
    let mut next = route.to_vec();
    if !next.contains(patient) {
        next.push(patient.clone());
    }
    next
}

pub fn remove(route: &[PatientId], patient: &PatientId) -> Vec<PatientId> {
    route.iter().filter(|p| *p != patient).cloned().collect()
}

/// The route with `patient` one stop earlier (`earlier`) or later.
pub fn shift(route: &[PatientId], patient: &PatientId, earlier: bool) -> Vec<PatientId> {
    let mut next = route.to_vec();
    if let Some(at) = next.iter().position(|p| p == patient) {
        let to = if earlier {
            at.checked_sub(1)
        } else {
            (at + 1 < next.len()).then_some(at + 1)
        };
        if let Some(to) = to {
            next.swap(at, to);
        }
    }
    next
}

/// A change to the route made on its screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Earlier,
    Later,
    Remove,
}

/// The route after `edit` on `patient`'s stop.
pub fn edit(route: &[PatientId], patient: &PatientId, edit: Edit) -> Vec<PatientId> {
    match edit {
        Edit::Earlier => shift(route, patient, true),
        Edit::Later => shift(route, patient, false),
        Edit::Remove => remove(route, patient),
    }
}

/// One stop of the route: the patient, and whether they were visited today.
#[derive(Debug, Clone, PartialEq)]
pub struct Stop {
    pub patient: PatientSummary,
    pub visited: bool,
}

/// The route's stops in order, with the patients' summaries; a patient no
/// longer in the register (removed from this device's care circle) drops out.
pub fn stops(route: &[PatientId], patients: &[PatientSummary], today: Date) -> Vec<Stop> {
    route
        .iter()
        .filter_map(|id| patients.iter().find(|p| &p.id == id))
        .map(|p| Stop {
            visited: p.last_visit.is_some_and(|at| at.date_jst() == today),
            patient: p.clone(),
        })
        .collect()
}

/// The next patient to visit: the first stop not visited yet today.
pub fn next_stop(stops: &[Stop]) -> Option<&Stop> {
    stops.iter().find(|s| !s.visited)
}

#[cfg(test)]
mod tests {
    use karte_types::{Sex, Timestamp};

    use super::*;

    fn patient(id: &str, last_visit: Option<&str>) -> PatientSummary {
        PatientSummary {
            id: PatientId::from(id),
            family: "山田".into(),
            given: id.into(),
            family_kana: "ヤマダ".into(),
            given_kana: "ハナコ".into(),
            birth: Date::from_ymd(1941, 3, 2).unwrap(),
            sex: Sex::Female,
            care_level: None,
            last_visit: last_visit.map(|at| Timestamp::parse_rfc3339("at", at).unwrap()),
            open_reviews: 0,
            orders: Default::default(),
            triage: None,
        }
    }

    fn ids(route: &[PatientId]) -> Vec<&str> {
        route.iter().map(|p| p.as_str()).collect()
    }

    #[test]
    fn a_route_is_edited_stop_by_stop() {
        let (a, b, c) = (
            PatientId::from("a"),
            PatientId::from("b"),
            PatientId::from("c"),
        );
        let route = add(&add(&add(&[], &a), &b), &c);
        assert_eq!(
            ids(&add(&route, &b)),
            ["a", "b", "c"],
            "a patient is in it once"
        );
        assert_eq!(ids(&shift(&route, &c, true)), ["a", "c", "b"]);
        assert_eq!(
            ids(&shift(&route, &a, true)),
            ["a", "b", "c"],
            "the first stays first"
        );
        assert_eq!(
            ids(&shift(&route, &c, false)),
            ["a", "b", "c"],
            "the last stays last"
        );
        assert_eq!(ids(&remove(&route, &b)), ["a", "c"]);
    }

    #[test]
    fn a_kept_route_is_todays_only_and_one_of_another_day_is_to_discard() {
        let (today, yesterday) = (
            Date::from_ymd(2026, 12, 7).unwrap(),
            Date::from_ymd(2026, 12, 6).unwrap(),
        );
        let route = vec![PatientId::from("a"), PatientId::from("b")];
        let text = to_text(&route, today);
        assert_eq!(parse(&text, today), route);
        assert!(!is_of_another_day(&text, today));
        // The next day it reads as empty, and is discarded.
        let tomorrow = Date::from_ymd(2026, 12, 8).unwrap();
        assert!(parse(&text, tomorrow).is_empty());
        assert!(is_of_another_day(&text, tomorrow));
        assert!(is_of_another_day(&to_text(&route, yesterday), today));
        // Unreadable text is an empty route, and not mistaken for a day's.
        assert!(parse("not a route", today).is_empty());
        assert!(!is_of_another_day("not a route", today));
    }

    #[test]
    fn the_next_stop_is_the_first_not_visited_today_in_japan() {
        let today = Date::from_ymd(2026, 12, 7).unwrap();
        let patients = vec![
            // 2026-12-06T23:30Z is already the 7th in Japan: visited today.
            patient("a", Some("2026-12-06T23:30:00Z")),
            // The evening of the 6th in Japan: not today.
            patient("b", Some("2026-12-06T12:00:00Z")),
            patient("c", None),
        ];
        let route = [
            PatientId::from("a"),
            PatientId::from("gone"),
            PatientId::from("b"),
            PatientId::from("c"),
        ];
        let stops = stops(&route, &patients, today);
        let order: Vec<_> = stops
            .iter()
            .map(|s| (s.patient.id.as_str(), s.visited))
            .collect();
        assert_eq!(order, [("a", true), ("b", false), ("c", false)]);
        assert_eq!(next_stop(&stops).unwrap().patient.id.as_str(), "b");
    }
}
