//! The daily report's counting, table by table: age groups at their
//! edges, pregnancy, a consultation held twice (synced from another
//! device) or corrected, the day's edges in Japan, other sites and teams,
//! and the CSV.

use super::*;

/// 2026-12-07 00:00 in Japan.
const DAY_START: i64 = 1_796_569_200_000;
const HOUR: i64 = 3_600_000;

fn day() -> Date {
    Date::from_ymd(2026, 12, 7).unwrap()
}

fn ticks(list: &str) -> JSpeedTicks {
    JSpeedTicks::parse(list).unwrap()
}

struct Case {
    visit: &'static str,
    hours: i64,
    team: &'static str,
    site: &'static str,
    items: &'static str,
    sex: Sex,
    age: i32,
    pregnant: bool,
}

const fn case(visit: &'static str, sex: Sex, age: i32, items: &'static str) -> Case {
    Case {
        visit,
        hours: 10,
        team: "DMAT 熊本1",
        site: "益城町総合体育館",
        items,
        sex,
        age,
        pregnant: false,
    }
}

fn consultation(c: &Case, recorded: i64) -> Consultation {
    Consultation {
        visit: EntryId::from(c.visit),
        at: Timestamp(DAY_START + c.hours * HOUR),
        recorded_at: Timestamp(DAY_START + recorded),
        sheet_entry: EntryId::from(format!("{}-sheet-{recorded}", c.visit).as_str()),
        sheet: JSpeedSheet {
            team: c.team.into(),
            site: c.site.into(),
            items: ticks(c.items),
            pregnant: c.pregnant,
            age_group: None,
        },
        sex: c.sex,
        age_group: ReportAgeGroup::of_age(c.age),
    }
}

#[test]
fn age_groups_break_at_1_5_and_65() {
    for (age, group) in [
        (0, ReportAgeGroup::Under1),
        (1, ReportAgeGroup::From1To4),
        (4, ReportAgeGroup::From1To4),
        (5, ReportAgeGroup::From5To64),
        (64, ReportAgeGroup::From5To64),
        (65, ReportAgeGroup::From65),
        (100, ReportAgeGroup::From65),
    ] {
        assert_eq!(ReportAgeGroup::of_age(age), group, "{age}");
    }
    // An estimated band gives a group only when it lies in one.
    assert_eq!(
        ReportAgeGroup::of_band(AgeBand::Under1),
        Some(ReportAgeGroup::Under1)
    );
    assert_eq!(
        ReportAgeGroup::of_band(AgeBand::From1To4),
        Some(ReportAgeGroup::From1To4)
    );
    assert_eq!(
        ReportAgeGroup::of_band(AgeBand::Fifties),
        Some(ReportAgeGroup::From5To64)
    );
    assert_eq!(ReportAgeGroup::of_band(AgeBand::Sixties), None);
    assert_eq!(
        ReportAgeGroup::of_band(AgeBand::Seventies),
        Some(ReportAgeGroup::From65)
    );
}

#[test]
fn each_consultation_is_counted_by_sex_age_pregnancy_and_item() {
    let mut pregnant = case("v6", Sex::Female, 30, "fever");
    pregnant.pregnant = true;
    let cases = [
        case("v1", Sex::Male, 0, "16"),
        case("v2", Sex::Male, 4, "16,8"),
        case("v3", Sex::Female, 5, "acute-respiratory-infection"),
        case("v4", Sex::Female, 64, "minor-injury, directly-related"),
        case("v5", Sex::Unknown, 65, "5"),
        pregnant,
    ];
    let report = daily_report(
        day(),
        "益城町総合体育館",
        cases.iter().map(|c| consultation(c, 0)),
    );
    assert_eq!(report.teams.len(), 1);
    let team = &report.teams[0];
    assert_eq!(team.consultations, 6);
    assert_eq!(team.male, [1, 1, 0, 0]);
    assert_eq!(team.female, [0, 0, 3, 0]);
    assert_eq!(team.sex_not_stated, [0, 0, 0, 1]);
    assert_eq!(team.pregnant, [0, 0, 1, 0]);
    assert_eq!(team.items["fever"], 3);
    assert_eq!(team.items["acute-respiratory-infection"], 2);
    assert_eq!(team.items["minor-injury"], 2);
    assert_eq!(team.items["directly-related"], 1);
    assert!(!team.items.contains_key("burn"));
    // MDS: 9 ARI twice, 18 fever three times, 8 minor injury twice,
    // 31 and 39 not collected.
    let mds = |m: u8| report.mds[0][usize::from(m - 4)];
    assert_eq!(mds(9), Some(2));
    assert_eq!(mds(18), Some(3));
    assert_eq!(mds(8), Some(2));
    assert_eq!(mds(4), Some(0));
    assert_eq!(mds(31), None);
    assert_eq!(mds(39), None);
}

#[test]
fn a_consultation_held_twice_or_corrected_counts_once() {
    let first = case("v1", Sex::Male, 40, "fever");
    let corrected = case("v1", Sex::Male, 40, "acute-respiratory-infection");
    let other = case("v2", Sex::Female, 40, "fever");
    // The same sheet from two devices, a later correction of it, in
    // either order.
    let copies = [
        consultation(&first, 0),
        consultation(&other, 0),
        consultation(&first, 0),
        consultation(&corrected, HOUR),
    ];
    for order in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2]] {
        let report = daily_report(day(), "益城町総合体育館", order.map(|i| copies[i].clone()));
        let team = &report.teams[0];
        assert_eq!(team.consultations, 2, "{order:?}");
        assert_eq!(team.items["fever"], 1, "{order:?}");
        assert_eq!(team.items["acute-respiratory-infection"], 1, "{order:?}");
    }
}

#[test]
fn only_the_day_in_japan_and_the_site_are_counted_per_team() {
    let mut before = case("v1", Sex::Male, 40, "fever");
    before.hours = -1; // 23:00 the day before, in Japan
    let mut first = case("v2", Sex::Male, 40, "fever");
    first.hours = 0; // 00:00
    let mut last = case("v3", Sex::Male, 40, "fever");
    last.hours = 23; // 23:00
    let mut after = case("v4", Sex::Male, 40, "fever");
    after.hours = 24;
    let mut elsewhere = case("v5", Sex::Male, 40, "fever");
    elsewhere.site = "益城中央小学校";
    let mut other_team = case("v6", Sex::Male, 40, "fever");
    other_team.team = "JMAT 福岡";
    let cases = [before, first, last, after, elsewhere, other_team];
    let report = daily_report(
        day(),
        " 益城町総合体育館 ",
        cases.iter().map(|c| consultation(c, 0)),
    );
    let teams: Vec<(&str, u32)> = report
        .teams
        .iter()
        .map(|t| (t.team.as_str(), t.consultations))
        .collect();
    assert_eq!(teams, [("DMAT 熊本1", 2), ("JMAT 福岡", 1)]);
    assert_eq!(report.site, "益城町総合体育館");
}

#[test]
fn the_csv_has_one_row_per_team_with_every_mds_column() {
    let mut pregnant = case("v2", Sex::Female, 70, "fever");
    pregnant.pregnant = true;
    let mut quoted = case("v3", Sex::Female, 2, "burn");
    quoted.team = "Team \"A\", Tokyo";
    let cases = [case("v1", Sex::Female, 70, "fever"), pregnant, quoted];
    let report = daily_report(
        day(),
        "益城町総合体育館",
        cases.iter().map(|c| consultation(c, 0)),
    );
    let csv = report.mds_csv();
    let lines: Vec<&str> = csv.split("\r\n").collect();
    assert_eq!(lines.len(), 4, "{csv}");
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header.len(), 4 + 12 + 43);
    assert_eq!(header[4], "mds1_male_under-1");
    assert_eq!(header[16], "mds4");
    assert_eq!(header.last(), Some(&"mds46"));
    assert!(
        lines[1].starts_with("2026-12-07,益城町総合体育館,DMAT 熊本1,2,0,0,0,0,0,0,0,1,0,0,0,1,"),
        "{csv}"
    );
    assert!(
        lines[2].starts_with("2026-12-07,益城町総合体育館,\"Team \"\"A\"\", Tokyo\",1,"),
        "{csv}"
    );
}

#[test]
fn ticks_parse_numbers_and_codes_and_store_codes_in_the_forms_order() {
    let t = ticks("16, 1、minor-injury 58");
    let codes: Vec<&str> = t.items().iter().map(|i| i.code).collect();
    assert_eq!(
        codes,
        [
            "major-head-spine-injury",
            "minor-injury",
            "fever",
            "additional-58"
        ]
    );
    let json = serde_json::to_value(&t).unwrap();
    assert_eq!(
        json,
        "major-head-spine-injury,minor-injury,fever,additional-58"
    );
    assert_eq!(serde_json::from_value::<JSpeedTicks>(json).unwrap(), t);
    assert!(serde_json::from_value::<JSpeedTicks>("fever,fever".into()).is_err());
    assert!(serde_json::from_value::<JSpeedTicks>("nosuch".into()).is_err());
    let error = JSpeedTicks::parse("16,99").unwrap_err();
    assert_eq!(error.0[0].code, "unknown_code");
}

#[test]
fn the_item_list_has_unique_numbers_and_codes_and_known_mds_items() {
    let mut numbers = BTreeSet::new();
    let mut codes = BTreeSet::new();
    for item in JSPEED_2018 {
        assert!(numbers.insert(item.number), "number {} twice", item.number);
        assert!(codes.insert(item.code), "code {} twice", item.code);
        if let Some(m) = item.mds {
            assert!(MDS_ITEMS.contains(&m), "{}", item.code);
        }
    }
    // The numbers the sources confirm.
    assert_eq!(JSpeedItem::find("16").unwrap().code, "fever");
    let confirmed: Vec<u8> = JSPEED_2018
        .iter()
        .filter(|i| i.number_confirmed)
        .map(|i| i.number)
        .collect();
    assert_eq!(confirmed, [16, 58, 59, 60]);
}
