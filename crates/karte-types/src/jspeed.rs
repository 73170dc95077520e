//! Disaster mode's daily report: the J-SPEED tick sheet of a consultation,
//! and the counts per team, site and day (診療日報) with the WHO EMT MDS
//! CSV, computed from the consultations alone (no clock, no I/O).
//!
//! A consultation is a visit with a J-SPEED sheet (a `Scale::JSpeed`
//! recorded with the visit): the items ticked, the team, the site, and
//! pregnancy. J-SPEED counts consultations, not patients; one consultation
//! is counted once however many devices hold it, keyed by its visit's id.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{AgeBand, Date, EntryId, Sex, Timestamp, ValidationError, ValidationErrors};

mod items;

pub use items::{JSPEED_2018, JSpeedItem, MDS_ITEMS};

/// The groups of the tick list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JSpeedGroup {
    Trauma,
    Infection,
    Other,
    Procedure,
    Outcome,
    Relation,
    Protection,
    Additional,
}

impl JSpeedGroup {
    pub fn label_ja(self) -> &'static str {
        match self {
            JSpeedGroup::Trauma => "外傷",
            JSpeedGroup::Infection => "感染症",
            JSpeedGroup::Other => "その他の疾患",
            JSpeedGroup::Procedure => "処置",
            JSpeedGroup::Outcome => "転帰",
            JSpeedGroup::Relation => "災害との関連",
            JSpeedGroup::Protection => "保護",
            JSpeedGroup::Additional => "追加症候群",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            JSpeedGroup::Trauma => "trauma",
            JSpeedGroup::Infection => "infectious disease",
            JSpeedGroup::Other => "other diagnoses",
            JSpeedGroup::Procedure => "procedures",
            JSpeedGroup::Outcome => "outcome",
            JSpeedGroup::Relation => "relation to the event",
            JSpeedGroup::Protection => "protection",
            JSpeedGroup::Additional => "additional syndromes",
        }
    }
}

impl JSpeedItem {
    /// The item a number on the form or a code names.
    pub fn find(text: &str) -> Result<&'static JSpeedItem, ValidationError> {
        let t = text.trim();
        let by_number = t.parse::<u8>().ok();
        JSPEED_2018
            .iter()
            .find(|i| Some(i.number) == by_number || i.code == t.to_lowercase())
            .ok_or_else(|| {
                ValidationError::new(
                    "jspeed",
                    "unknown_code",
                    format!(
                        "'{text}' is not a J-SPEED 2018 item: give its number on the form (e.g. 16 for fever) or its code (e.g. fever); `karte disaster items` lists them"
                    ),
                )
            })
    }

    fn by_code(code: &str) -> Option<&'static JSpeedItem> {
        JSPEED_2018.iter().find(|i| i.code == code)
    }
}

/// The age groups of the report (and of the MDS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ReportAgeGroup {
    #[serde(rename = "under-1")]
    Under1,
    #[serde(rename = "1-4")]
    From1To4,
    #[serde(rename = "5-64")]
    From5To64,
    #[serde(rename = "65+")]
    From65,
}

impl ReportAgeGroup {
    pub const ALL: [ReportAgeGroup; 4] = [
        ReportAgeGroup::Under1,
        ReportAgeGroup::From1To4,
        ReportAgeGroup::From5To64,
        ReportAgeGroup::From65,
    ];

    /// The group of an age in whole years.
    pub fn of_age(years: i32) -> ReportAgeGroup {
        match years {
            ..=0 => ReportAgeGroup::Under1,
            1..=4 => ReportAgeGroup::From1To4,
            5..=64 => ReportAgeGroup::From5To64,
            _ => ReportAgeGroup::From65,
        }
    }

    /// The group an estimated age band lies in, if it lies in one (a
    /// band of the sixties straddles 65 and does not).
    pub fn of_band(band: AgeBand) -> Option<ReportAgeGroup> {
        let (lo, hi) = band.years();
        let (lo, hi) = (
            ReportAgeGroup::of_age(i32::from(lo)),
            ReportAgeGroup::of_age(i32::from(hi)),
        );
        (lo == hi).then_some(lo)
    }

    pub fn code(self) -> &'static str {
        match self {
            ReportAgeGroup::Under1 => "under-1",
            ReportAgeGroup::From1To4 => "1-4",
            ReportAgeGroup::From5To64 => "5-64",
            ReportAgeGroup::From65 => "65+",
        }
    }

    pub fn label_ja(self) -> &'static str {
        match self {
            ReportAgeGroup::Under1 => "0歳",
            ReportAgeGroup::From1To4 => "1〜4歳",
            ReportAgeGroup::From5To64 => "5〜64歳",
            ReportAgeGroup::From65 => "65歳以上",
        }
    }

    pub fn parse(text: &str) -> Result<ReportAgeGroup, ValidationError> {
        let t = text.trim();
        ReportAgeGroup::ALL
            .into_iter()
            .find(|g| {
                g.code() == t || g.label_ja() == t || (t == "<1" && *g == ReportAgeGroup::Under1)
            })
            .ok_or_else(|| {
                ValidationError::new(
                    "age-group",
                    "unknown_code",
                    format!("'{text}' is not an age group: under-1, 1-4, 5-64 or 65+"),
                )
            })
    }
}

/// The J-SPEED items ticked, stored as their codes in one string
/// (`fever,acute-respiratory-infection`), so a sheet is one value and
/// concurrent corrections conflict as a whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JSpeedTicks(Vec<&'static JSpeedItem>);

impl JSpeedTicks {
    /// The items named by numbers or codes, each once, in the form's order.
    pub fn parse(list: &str) -> Result<JSpeedTicks, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let items: Vec<&'static JSpeedItem> = list
            .split([',', '、', ' '])
            .filter(|t| !t.trim().is_empty())
            .filter_map(|t| errors.check(JSpeedItem::find(t)))
            .collect();
        errors.into_result()?;
        Ok(JSpeedTicks::of(items))
    }

    pub fn of(items: impl IntoIterator<Item = &'static JSpeedItem>) -> JSpeedTicks {
        let codes: BTreeSet<&str> = items.into_iter().map(|i| i.code).collect();
        JSpeedTicks(
            JSPEED_2018
                .iter()
                .filter(|i| codes.contains(i.code))
                .collect(),
        )
    }

    pub fn items(&self) -> &[&'static JSpeedItem] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for JSpeedTicks {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let codes: Vec<&str> = self.0.iter().map(|i| i.code).collect();
        serializer.serialize_str(&codes.join(","))
    }
}

impl<'de> Deserialize<'de> for JSpeedTicks {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<JSpeedTicks, D::Error> {
        let text = String::deserialize(deserializer)?;
        let mut items = Vec::new();
        for code in text.split(',').filter(|c| !c.is_empty()) {
            items.push(JSpeedItem::by_code(code).ok_or_else(|| {
                serde::de::Error::custom(format!("'{code}' is not a J-SPEED item code"))
            })?);
        }
        let ticks = JSpeedTicks::of(items);
        if ticks.0.len() != text.split(',').filter(|c| !c.is_empty()).count() {
            return Err(serde::de::Error::custom("a J-SPEED item is ticked twice"));
        }
        Ok(ticks)
    }
}

/// The J-SPEED sheet of one consultation: what the doctor ticked on the
/// 災害診療記録, and where and by whom the consultation was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JSpeedSheet {
    /// The team that gave the consultation (e.g. `DMAT 熊本1`).
    pub team: String,
    /// Where: the shelter, first-aid post or hospital (one report each).
    pub site: String,
    pub items: JSpeedTicks,
    pub pregnant: bool,
    /// The age group ticked; needed only when the chart cannot tell it
    /// (a casualty whose estimated band straddles 65).
    pub age_group: Option<ReportAgeGroup>,
}

impl JSpeedSheet {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        for (field, value) in [("team", &self.team), ("site", &self.site)] {
            if value.trim().is_empty() {
                errors.push(ValidationError::new(
                    field,
                    "required",
                    format!("give the {field} of the consultation; the daily report is per team and site"),
                ));
            }
        }
        if self.items.is_empty() {
            errors.push(ValidationError::new(
                "jspeed",
                "required",
                "tick at least one J-SPEED item, e.g. --jspeed 16",
            ));
        }
        errors.into_result()
    }
}

/// Recording a consultation: the visit and its J-SPEED sheet, written
/// together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsultationInput {
    pub visit: crate::VisitInput,
    pub sheet: JSpeedSheet,
}

/// One consultation as the report counts it. Kept, sealed, in the
/// vault's patient index beside the chart's entry, so the report reads no
/// chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    /// The visit: what makes two copies of one consultation one.
    pub visit: EntryId,
    /// When the visit took place.
    pub at: Timestamp,
    /// When the sheet was recorded, and its entry: of two sheets of one
    /// visit (a correction), the later stands.
    pub recorded_at: Timestamp,
    pub sheet_entry: EntryId,
    pub sheet: JSpeedSheet,
    pub sex: Sex,
    pub age_group: ReportAgeGroup,
}

/// The counts of one team at the site on the day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamCounts {
    pub team: String,
    pub consultations: u32,
    /// Per sex (male, female, other or unknown) and age group, in the
    /// order of [`ReportAgeGroup::ALL`].
    pub male: [u32; 4],
    pub female: [u32; 4],
    pub sex_not_stated: [u32; 4],
    /// Pregnant women, per age group (also counted in `female`).
    pub pregnant: [u32; 4],
    /// Consultations per J-SPEED item code, items with none left out.
    pub items: BTreeMap<String, u32>,
}

/// Consultations counted under the MDS item `mds` (4–46): each once,
/// however many of its J-SPEED items map there; `None` when no item maps
/// there (not collected, so not a zero).
fn mds_count(mds: u8, consultations: &[&Consultation]) -> Option<u32> {
    JSPEED_2018.iter().any(|i| i.mds == Some(mds)).then(|| {
        consultations
            .iter()
            .filter(|c| c.sheet.items.items().iter().any(|i| i.mds == Some(mds)))
            .count() as u32
    })
}

/// 診療日報: one site, one day, per team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyReport {
    pub date: Date,
    pub site: String,
    /// By team name.
    pub teams: Vec<TeamCounts>,
    /// The MDS columns per team, in the order of `teams`: items 4–46,
    /// `None` where no J-SPEED item is reported there.
    pub mds: Vec<Vec<Option<u32>>>,
}

fn same_site(a: &str, b: &str) -> bool {
    crate::fold_for_search(a) == crate::fold_for_search(b)
}

/// The daily report of `site` on `date` (in Japan), from consultations
/// given in any order, from any number of copies: each visit is counted
/// once, by the sheet recorded last for it.
pub fn daily_report(
    date: Date,
    site: &str,
    consultations: impl IntoIterator<Item = Consultation>,
) -> DailyReport {
    let mut by_visit: BTreeMap<EntryId, Consultation> = BTreeMap::new();
    for c in consultations {
        if c.at.date_jst() != date || !same_site(&c.sheet.site, site) {
            continue;
        }
        match by_visit.get(&c.visit) {
            Some(held)
                if (held.recorded_at, &held.sheet_entry) >= (c.recorded_at, &c.sheet_entry) => {}
            _ => {
                by_visit.insert(c.visit.clone(), c);
            }
        }
    }
    let mut by_team: BTreeMap<String, Vec<&Consultation>> = BTreeMap::new();
    for c in by_visit.values() {
        by_team
            .entry(c.sheet.team.trim().to_owned())
            .or_default()
            .push(c);
    }
    let mut teams = Vec::new();
    let mut mds = Vec::new();
    for (team, list) in by_team {
        let mut counts = TeamCounts {
            team,
            ..TeamCounts::default()
        };
        for c in &list {
            counts.consultations += 1;
            let group = ReportAgeGroup::ALL
                .iter()
                .position(|g| *g == c.age_group)
                .expect("one of all");
            match c.sex {
                Sex::Male => counts.male[group] += 1,
                Sex::Female => counts.female[group] += 1,
                Sex::Other | Sex::Unknown => counts.sex_not_stated[group] += 1,
            }
            if c.sheet.pregnant && c.sex == Sex::Female {
                counts.pregnant[group] += 1;
            }
            for item in c.sheet.items.items() {
                *counts.items.entry(item.code.to_owned()).or_default() += 1;
            }
        }
        mds.push(MDS_ITEMS.map(|m| mds_count(m, &list)).collect());
        teams.push(counts);
    }
    DailyReport {
        date,
        site: site.trim().to_owned(),
        teams,
        mds,
    }
}

/// The age group of a consultation at `at`: the one ticked on the sheet,
/// else from the birth date of a named patient, else from the estimated
/// band of an unknown casualty if it lies in one group (an estimated
/// birth date is never used).
pub fn consultation_age_group(
    view: &crate::ChartView,
    sheet: &JSpeedSheet,
    at: Timestamp,
) -> Option<ReportAgeGroup> {
    if let Some(group) = sheet.age_group {
        return Some(group);
    }
    match view.unknown_casualty() {
        Some(label) => ReportAgeGroup::of_band(label.age_band),
        None => Some(ReportAgeGroup::of_age(
            view.patient.birth.age_on(at.date_jst()),
        )),
    }
}

impl crate::ChartView {
    /// The chart's consultations: each standing J-SPEED sheet recorded
    /// with a standing visit, at the visit's time. A sheet whose age group
    /// cannot be told is left out (recording one is refused).
    pub fn consultations(&self) -> Vec<Consultation> {
        let mut out = Vec::new();
        for assessment in &self.assessments {
            let crate::Scale::JSpeed(sheet) = &assessment.input.scale else {
                continue;
            };
            if assessment.meta.entered_in_error.is_some() {
                continue;
            }
            let Some(visit) = assessment.input.visit.as_ref().and_then(|id| {
                self.visits
                    .iter()
                    .find(|v| &v.meta.id == id && v.meta.entered_in_error.is_none())
            }) else {
                continue;
            };
            let Some(age_group) = consultation_age_group(self, sheet, visit.input.at) else {
                continue;
            };
            out.push(Consultation {
                visit: visit.meta.id.clone(),
                at: visit.input.at,
                recorded_at: assessment.meta.recorded_at,
                sheet_entry: assessment.meta.id.clone(),
                sheet: sheet.clone(),
                sex: self.patient.sex,
                age_group,
            });
        }
        out
    }
}

/// A CSV field, quoted when it must be.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

impl DailyReport {
    /// The WHO EMT MDS daily report as CSV: one row per team, with the
    /// date, site and team, the consultations, MDS 1–3 (male, female not
    /// pregnant, female pregnant) by age group, and MDS 4–46 (empty where
    /// no J-SPEED item is reported there). Consultations whose sex is not
    /// stated are counted in `consultations` and in their items only.
    pub fn mds_csv(&self) -> String {
        let mut header = vec![
            "date".to_owned(),
            "site".to_owned(),
            "team".to_owned(),
            "consultations".to_owned(),
        ];
        for (n, who) in [
            (1, "male"),
            (2, "female_not_pregnant"),
            (3, "female_pregnant"),
        ] {
            for group in ReportAgeGroup::ALL {
                header.push(format!("mds{n}_{who}_{}", group.code()));
            }
        }
        header.extend(MDS_ITEMS.map(|m| format!("mds{m}")));
        let mut out = header.join(",");
        out.push_str("\r\n");
        for (team, mds) in self.teams.iter().zip(&self.mds) {
            let mut row = vec![
                self.date.to_string(),
                csv_field(&self.site),
                csv_field(&team.team),
                team.consultations.to_string(),
            ];
            row.extend(team.male.iter().map(u32::to_string));
            row.extend(
                team.female
                    .iter()
                    .zip(&team.pregnant)
                    .map(|(f, p)| (f - p).to_string()),
            );
            row.extend(team.pregnant.iter().map(u32::to_string));
            row.extend(
                mds.iter()
                    .map(|m| m.map(|n| n.to_string()).unwrap_or_default()),
            );
            out.push_str(&row.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

#[cfg(test)]
mod tests;
