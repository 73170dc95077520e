//! Today's route: the patients a nurse visits today, in the order she
//! drives to them. It is this device's work list, kept like a draft (sealed
//! in the vault under `route-YYYY-MM-DD`, never in the web view), so a new
//! day starts with an empty route and yesterday's is not carried over.

use karte_types::{Date, PatientId, PatientSummary};

/// The draft key of the route of `day`.
pub fn route_key(day: Date) -> String {
    format!("route-{day}")
}

/// The route kept in a draft's text; an unreadable one is an empty route.
pub fn parse(text: &str) -> Vec<PatientId> {
    serde_json::from_str(text).unwrap_or_default()
}

pub fn to_text(route: &[PatientId]) -> String {
    serde_json::to_string(route).unwrap_or_default()
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
        assert_eq!(parse(&to_text(&route)), route);
        assert!(parse("not a route").is_empty());
        let day = Date::from_ymd(2026, 12, 7).unwrap();
        assert_eq!(route_key(day), "route-2026-12-07");
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
