//! Disaster mode: casualties registered without a name, their triage
//! tags (every triage kept), transport, and the team's board.
//!
//! A casualty's chart holds, in its `triage` container, entries of three
//! kinds ([`TriageTagInput`]): the registration (tag number, sex, age band,
//! where found, distinguishing features), each triage, and transport. The
//! reader's side is [`TriageTag`] in the chart and [`TriageSummary`] in the
//! patient list, from which the board is drawn without opening charts.

use serde::{Deserialize, Serialize};

mod board;
mod identity;

pub use board::{Board, BoardRow, DEFAULT_RETRIAGE_MINUTES};
pub use identity::{
    Identification, IdentificationInput, IdentityConflict, IdentityLinks, check_identification,
    identity_conflicts, refusal,
};

use crate::{
    EntryMeta, Sex, Timestamp, TriageCategory, TriageFindings, TriageOutcome, ValidationError,
    ValidationErrors, triage,
};

/// An estimated age, as written on a tag when nobody knows the birth date.
/// The first bands follow the report's age groups (< 1, 1–4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AgeBand {
    #[serde(rename = "under-1")]
    Under1,
    #[serde(rename = "1-4")]
    From1To4,
    #[serde(rename = "5-9")]
    From5To9,
    #[serde(rename = "10s")]
    Tens,
    #[serde(rename = "20s")]
    Twenties,
    #[serde(rename = "30s")]
    Thirties,
    #[serde(rename = "40s")]
    Forties,
    #[serde(rename = "50s")]
    Fifties,
    #[serde(rename = "60s")]
    Sixties,
    #[serde(rename = "70s")]
    Seventies,
    #[serde(rename = "80s")]
    Eighties,
    #[serde(rename = "90s")]
    Nineties,
    #[serde(rename = "100+")]
    Centenarian,
}

impl AgeBand {
    pub const ALL: [AgeBand; 13] = [
        AgeBand::Under1,
        AgeBand::From1To4,
        AgeBand::From5To9,
        AgeBand::Tens,
        AgeBand::Twenties,
        AgeBand::Thirties,
        AgeBand::Forties,
        AgeBand::Fifties,
        AgeBand::Sixties,
        AgeBand::Seventies,
        AgeBand::Eighties,
        AgeBand::Nineties,
        AgeBand::Centenarian,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AgeBand::Under1 => "under-1",
            AgeBand::From1To4 => "1-4",
            AgeBand::From5To9 => "5-9",
            AgeBand::Tens => "10s",
            AgeBand::Twenties => "20s",
            AgeBand::Thirties => "30s",
            AgeBand::Forties => "40s",
            AgeBand::Fifties => "50s",
            AgeBand::Sixties => "60s",
            AgeBand::Seventies => "70s",
            AgeBand::Eighties => "80s",
            AgeBand::Nineties => "90s",
            AgeBand::Centenarian => "100+",
        }
    }

    /// The youngest and oldest age in years the band holds.
    pub fn years(self) -> (u16, u16) {
        match self {
            AgeBand::Under1 => (0, 0),
            AgeBand::From1To4 => (1, 4),
            AgeBand::From5To9 => (5, 9),
            AgeBand::Centenarian => (100, 130),
            decade => {
                let lo = (decade as u16 - AgeBand::Tens as u16 + 1) * 10;
                (lo, lo + 9)
            }
        }
    }

    pub fn label_ja(self) -> String {
        match self {
            AgeBand::Under1 => "1歳未満".to_owned(),
            AgeBand::From1To4 => "1〜4歳".to_owned(),
            AgeBand::From5To9 => "5〜9歳".to_owned(),
            AgeBand::Centenarian => "100歳以上".to_owned(),
            decade => format!("{}代", decade.years().0),
        }
    }

    pub fn label_en(self) -> String {
        match self {
            AgeBand::Under1 => "under 1".to_owned(),
            AgeBand::From1To4 => "1–4".to_owned(),
            AgeBand::From5To9 => "5–9".to_owned(),
            AgeBand::Centenarian => "100 or over".to_owned(),
            decade => format!("{}s", decade.years().0),
        }
    }

    /// Parses a code (`60s`), a Japanese label (`60代`) or an age in years.
    pub fn parse(text: &str) -> Result<AgeBand, ValidationError> {
        let t = text.trim();
        let lower = t.to_lowercase();
        if let Some(band) = AgeBand::ALL
            .into_iter()
            .find(|b| b.code() == lower || b.label_ja() == t)
        {
            return Ok(band);
        }
        if let Ok(years) = t.trim_end_matches('歳').parse::<u16>()
            && let Some(band) = AgeBand::ALL.into_iter().find(|b| {
                let (lo, hi) = b.years();
                lo <= years && years <= hi
            })
        {
            return Ok(band);
        }
        let known: Vec<&str> = AgeBand::ALL.iter().map(|b| b.code()).collect();
        Err(ValidationError::new(
            "age-band",
            "unknown_code",
            format!(
                "'{text}' is not an age band; use one of {} (or 60代, or an age such as 65)",
                known.join(", ")
            ),
        ))
    }
}

impl std::fmt::Display for AgeBand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The longest tag number accepted; paper tags print a few characters.
pub const MAX_TAG_CHARS: usize = 24;

fn optional_text(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// Registering a casualty whose name nobody knows yet. Who registered
/// them and when is the entry's own record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CasualtyInput {
    /// タッグNo.: the number printed on the paper triage tag, e.g. `T-0123`.
    pub tag: String,
    pub sex: Sex,
    pub age_band: AgeBand,
    /// Where the casualty was found, as words (a place, a building, a room).
    pub found_at: Option<String>,
    /// Where the casualty was found, as WGS 84 degrees, if known.
    pub found_latitude: Option<f64>,
    pub found_longitude: Option<f64>,
    /// What would let someone recognise them: clothing, marks, belongings.
    pub features: Option<String>,
}

impl CasualtyInput {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let tag = self.tag.trim();
        if tag.is_empty() {
            errors.push(ValidationError::new(
                "tag",
                "required",
                "give the number on the triage tag, e.g. T-0123",
            ));
        } else if tag.chars().count() > MAX_TAG_CHARS
            || !tag
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '/'))
        {
            errors.push(ValidationError::new(
                "tag",
                "malformed",
                format!(
                    "'{}' is not a tag number: letters, digits and - only, at most {MAX_TAG_CHARS}, e.g. T-0123",
                    self.tag
                ),
            ));
        }
        match (self.found_latitude, self.found_longitude) {
            (None, None) => {}
            (Some(lat), Some(lon)) => {
                if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
                    errors.push(ValidationError::new(
                        "found-at",
                        "out_of_range",
                        format!("{lat}, {lon} is not a place on Earth: latitude −90–90, longitude −180–180"),
                    ));
                }
            }
            _ => errors.push(ValidationError::new(
                "found-at",
                "incomplete",
                "give both latitude and longitude, or neither",
            )),
        }
        errors.into_result()
    }

    /// The temporary identity this registration gives.
    pub fn label(&self) -> CasualtyLabel {
        CasualtyLabel {
            tag: self.tag.trim().to_owned(),
            sex: self.sex,
            age_band: self.age_band,
        }
    }
}

/// A triage as the chart keeps it: when, what was found, what the rules
/// gave, and the category that stands (the rules', or a clinician's
/// override with its reason).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriageInput {
    /// When the person was triaged (may be before it was recorded).
    pub at: Timestamp,
    pub findings: TriageFindings,
    /// What the rules gave for the findings.
    pub computed: TriageCategory,
    /// The category that stands: `computed`, unless overridden.
    pub category: TriageCategory,
    /// Why a clinician chose another category than the rules; set exactly
    /// when `category` differs from `computed`.
    pub override_reason: Option<String>,
}

/// What a person asks for when they triage: the findings and, to
/// override the rules, a category and the reason.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TriageRequest {
    /// When the person was triaged; now, if not given.
    pub at: Option<Timestamp>,
    pub findings: TriageFindings,
    pub override_category: Option<TriageCategory>,
    pub override_reason: Option<String>,
}

impl TriageRequest {
    /// The entry this request records at `at`, with the rules' outcome.
    /// An override needs a reason; a reason needs an override.
    pub fn decide(&self, at: Timestamp) -> Result<(TriageInput, TriageOutcome), ValidationErrors> {
        let outcome = triage(&self.findings)?;
        let reason = optional_text(&self.override_reason).map(str::to_owned);
        let category = match (self.override_category, &reason) {
            (Some(category), Some(_)) => category,
            (Some(_), None) => {
                return Err(ValidationErrors(vec![ValidationError::new(
                    "reason",
                    "required",
                    "say why you override the rules' category, e.g. --reason \"open fracture seen\"",
                )]));
            }
            (None, Some(_)) => {
                return Err(ValidationErrors(vec![ValidationError::new(
                    "override",
                    "required",
                    "a reason is given but no category to override with: add --override red|yellow|green|black",
                )]));
            }
            (None, None) => outcome.category,
        };
        let input = TriageInput {
            at: self.at.unwrap_or(at),
            findings: self.findings.clone(),
            computed: outcome.category,
            category,
            override_reason: if category == outcome.category {
                None
            } else {
                reason
            },
        };
        Ok((input, outcome))
    }
}

impl TriageInput {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        self.findings.validate()?;
        let overridden = self.category != self.computed;
        let reason = optional_text(&self.override_reason).is_some();
        if overridden != reason {
            return Err(ValidationErrors(vec![ValidationError::new(
                "reason",
                "required",
                "an override of the rules' category needs a reason, and only an override has one",
            )]));
        }
        Ok(())
    }

    /// The rules' outcome for the findings, with its reasons.
    pub fn outcome(&self) -> Option<TriageOutcome> {
        triage(&self.findings).ok()
    }
}

/// What recording a triage answers: the entry, the category that stands,
/// and the rules' outcome with its reasons, to show why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriageResult {
    pub entry: crate::EntryId,
    pub category: TriageCategory,
    pub outcome: TriageOutcome,
    /// The clinician's reason, when `category` overrides the rules'.
    pub override_reason: Option<String>,
}

/// Transport, as on the paper tag: 搬送機関, 収容医療機関, departure.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TransportInput {
    /// 搬送機関: who carries the casualty (an ambulance service, a helicopter).
    pub agency: Option<String>,
    /// 収容医療機関: the hospital that receives them.
    pub destination: Option<String>,
    /// When they left.
    pub departed_at: Option<Timestamp>,
}

impl TransportInput {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        if optional_text(&self.agency).is_none()
            && optional_text(&self.destination).is_none()
            && self.departed_at.is_none()
        {
            return Err(ValidationErrors(vec![ValidationError::new(
                "transport",
                "empty",
                "give the agency, the receiving hospital or the departure time",
            )]));
        }
        Ok(())
    }
}

/// One entry of a chart's `triage` container, by its kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TriageTagInput {
    Casualty(CasualtyInput),
    Triage(TriageInput),
    Transport(TransportInput),
    /// The casualty turned out to be the patient of another chart.
    Identified(IdentificationInput),
}

impl TriageTagInput {
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        match self {
            TriageTagInput::Casualty(c) => c.validate(),
            TriageTagInput::Triage(t) => t.validate(),
            TriageTagInput::Transport(t) => t.validate(),
            TriageTagInput::Identified(_) => Ok(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Casualty {
    pub meta: EntryMeta,
    #[serde(flatten)]
    pub input: CasualtyInput,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Triage {
    pub meta: EntryMeta,
    #[serde(flatten)]
    pub input: TriageInput,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transport {
    pub meta: EntryMeta,
    #[serde(flatten)]
    pub input: TransportInput,
}

/// Everything of a chart's triage tag, as a reader sees it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TriageTag {
    /// Registrations, oldest first; the latest that stands is the one
    /// in force ([`TriageTag::casualty`]).
    pub registrations: Vec<Casualty>,
    /// Every triage, newest first by when it was done, voided ones too.
    pub history: Vec<Triage>,
    /// Transports, oldest first.
    pub transports: Vec<Transport>,
    /// Links to the chart of the person the casualty turned out to be,
    /// oldest first; the latest standing one is in force.
    #[serde(default)]
    pub identifications: Vec<Identification>,
}

impl TriageTag {
    /// Registrations, transports and links oldest first by when they were
    /// recorded; triages newest first by when they were done (then by id,
    /// so every replica agrees).
    pub fn settle(&mut self) {
        let by_record = |m: &crate::EntryMeta| (m.recorded_at, m.id.clone());
        self.registrations.sort_by_key(|e| by_record(&e.meta));
        self.transports.sort_by_key(|e| by_record(&e.meta));
        self.identifications.sort_by_key(|e| by_record(&e.meta));
        self.history
            .sort_by(|a, b| (b.input.at, &b.meta.id).cmp(&(a.input.at, &a.meta.id)));
    }

    pub fn is_empty(&self) -> bool {
        self.registrations.is_empty()
            && self.history.is_empty()
            && self.transports.is_empty()
            && self.identifications.is_empty()
    }

    /// The link in force: the latest recorded that was not voided (then
    /// by id, so every replica agrees).
    pub fn identified_as(&self) -> Option<&Identification> {
        self.identifications
            .iter()
            .filter(|i| i.meta.entered_in_error.is_none())
            .max_by(|a, b| (a.meta.recorded_at, &a.meta.id).cmp(&(b.meta.recorded_at, &b.meta.id)))
    }

    /// The registration in force: the latest recorded that was not voided.
    pub fn casualty(&self) -> Option<&Casualty> {
        self.registrations
            .iter()
            .filter(|c| c.meta.entered_in_error.is_none())
            .max_by(|a, b| (a.meta.recorded_at, &a.meta.id).cmp(&(b.meta.recorded_at, &b.meta.id)))
    }

    /// The triage in force: the latest by when it was done (then by id,
    /// so every replica agrees), voided ones left out.
    pub fn current(&self) -> Option<&Triage> {
        self.history
            .iter()
            .filter(|t| t.meta.entered_in_error.is_none())
            .max_by(|a, b| (a.input.at, &a.meta.id).cmp(&(b.input.at, &b.meta.id)))
    }

    /// The transport in force: the latest recorded that was not voided.
    pub fn transport(&self) -> Option<&Transport> {
        self.transports
            .iter()
            .filter(|t| t.meta.entered_in_error.is_none())
            .max_by(|a, b| (a.meta.recorded_at, &a.meta.id).cmp(&(b.meta.recorded_at, &b.meta.id)))
    }

    /// What the patient list keeps of it; `None` for a chart with no tag.
    pub fn summary(&self) -> Option<TriageSummary> {
        if self.is_empty() {
            return None;
        }
        let current = self.current();
        let casualty = self.casualty();
        Some(TriageSummary {
            casualty: casualty.map(|c| c.input.label()),
            registered_at: casualty.map(|c| c.meta.recorded_at),
            category: current.map(|t| t.input.category),
            triaged_at: current.map(|t| t.input.at),
            departed_at: self.transport().and_then(|t| t.input.departed_at),
            identified_as: self.identified_as().map(|i| i.input.patient.clone()),
        })
    }
}

/// The temporary identity of an unknown casualty: 「身元不明 男性 60代 #T-0123」.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasualtyLabel {
    pub tag: String,
    pub sex: Sex,
    pub age_band: AgeBand,
}

impl CasualtyLabel {
    /// 「身元不明 男性 60代 #T-0123」
    pub fn label_ja(&self) -> String {
        format!(
            "身元不明 {} {} #{}",
            self.sex.label_ja(),
            self.age_band.label_ja(),
            self.tag
        )
    }

    /// "Unknown, male, 60s, #T-0123"
    pub fn label_en(&self) -> String {
        format!(
            "Unknown, {}, {}, #{}",
            self.sex.code(),
            self.age_band.label_en(),
            self.tag
        )
    }
}

/// What the patient list keeps of a chart's triage tag: enough to draw the
/// board and find a casualty by tag number without opening charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageSummary {
    /// The registration's tag, sex and age band, kept (and searchable)
    /// after the person is identified.
    pub casualty: Option<CasualtyLabel>,
    pub registered_at: Option<Timestamp>,
    /// The category in force and when that triage was done.
    pub category: Option<TriageCategory>,
    pub triaged_at: Option<Timestamp>,
    /// When they left with a transport, if they did.
    pub departed_at: Option<Timestamp>,
    /// The chart the casualty was identified as, if they were.
    #[serde(default)]
    pub identified_as: Option<crate::PatientId>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PatientId;

    fn casualty() -> CasualtyInput {
        CasualtyInput {
            tag: "T-0123".into(),
            sex: Sex::Male,
            age_band: AgeBand::Sixties,
            found_at: Some("体育館東側".into()),
            found_latitude: None,
            found_longitude: None,
            features: None,
        }
    }

    #[test]
    fn the_temporary_identity_reads_in_both_languages() {
        let label = casualty().label();
        assert_eq!(label.label_ja(), "身元不明 男性 60代 #T-0123");
        assert_eq!(label.label_en(), "Unknown, male, 60s, #T-0123");
    }

    #[test]
    fn age_bands_parse_codes_labels_and_ages() {
        for band in AgeBand::ALL {
            assert_eq!(AgeBand::parse(band.code()), Ok(band));
            assert_eq!(AgeBand::parse(&band.label_ja()), Ok(band));
            let (lo, hi) = band.years();
            assert_eq!(AgeBand::parse(&lo.to_string()), Ok(band));
            assert_eq!(AgeBand::parse(&hi.to_string()), Ok(band));
        }
        assert_eq!(AgeBand::Sixties.years(), (60, 69));
        assert_eq!(AgeBand::parse("65歳"), Ok(AgeBand::Sixties));
        assert!(AgeBand::parse("old").is_err());
        // Stored as the code.
        assert_eq!(serde_json::to_value(AgeBand::Sixties).unwrap(), "60s");
    }

    #[test]
    fn a_registration_needs_a_tag_and_a_whole_place() {
        assert!(casualty().validate().is_ok());
        let mut c = casualty();
        c.tag = " ".into();
        assert_eq!(c.validate().unwrap_err().0[0].code, "required");
        c.tag = "T 0123; drop".into();
        assert_eq!(c.validate().unwrap_err().0[0].code, "malformed");
        let mut c = casualty();
        c.found_latitude = Some(35.0);
        assert_eq!(c.validate().unwrap_err().0[0].code, "incomplete");
        c.found_longitude = Some(200.0);
        assert_eq!(c.validate().unwrap_err().0[0].code, "out_of_range");
    }

    #[test]
    fn an_override_needs_a_reason_and_keeps_the_rules_category() {
        let findings = TriageFindings {
            walks: Some(true),
            ..TriageFindings::default()
        };
        let at = Timestamp(1_795_564_800_000);
        let mut request = TriageRequest {
            findings,
            override_category: Some(TriageCategory::Yellow),
            ..TriageRequest::default()
        };
        assert_eq!(request.decide(at).unwrap_err().0[0].field, "reason");
        request.override_reason = Some("開放骨折あり".into());
        let (input, outcome) = request.decide(at).unwrap();
        assert_eq!(outcome.category, TriageCategory::Green);
        assert_eq!(input.computed, TriageCategory::Green);
        assert_eq!(input.category, TriageCategory::Yellow);
        assert_eq!(input.at, at);
        assert!(input.validate().is_ok());
        request.override_category = None;
        assert_eq!(request.decide(at).unwrap_err().0[0].field, "override");
    }

    #[test]
    fn tag_entries_carry_their_kind() {
        let json = serde_json::to_value(TriageTagInput::Casualty(casualty())).unwrap();
        assert_eq!(json["kind"], "casualty");
        assert_eq!(json["age_band"], "60s");
        let back: TriageTagInput = serde_json::from_value(json).unwrap();
        assert_eq!(back, TriageTagInput::Casualty(casualty()));
    }

    fn summary(id: &str, tag: Option<TriageSummary>) -> crate::PatientSummary {
        let tag = tag.map(Box::new);
        crate::PatientSummary {
            id: PatientId::from(id),
            family: String::new(),
            given: String::new(),
            family_kana: String::new(),
            given_kana: String::new(),
            birth: crate::Date::from_ymd(1960, 1, 1).unwrap(),
            sex: Sex::Male,
            care_level: None,
            last_visit: None,
            open_reviews: 0,
            orders: Default::default(),
            triage: tag,
        }
    }

    #[test]
    fn the_board_counts_and_orders_by_category_then_waiting() {
        let minute = 60_000;
        let now = Timestamp(1_795_564_800_000);
        let tag = |n: &str, category: Option<TriageCategory>, minutes_ago: i64| TriageSummary {
            casualty: Some(CasualtyLabel {
                tag: n.into(),
                sex: Sex::Male,
                age_band: AgeBand::Sixties,
            }),
            registered_at: Some(Timestamp(now.0 - 90 * minute)),
            category,
            triaged_at: category.map(|_| Timestamp(now.0 - minutes_ago * minute)),
            departed_at: None,
            identified_as: None,
        };
        let mut gone = tag("T-9", Some(TriageCategory::Red), 5);
        gone.departed_at = Some(now);
        let patients = [
            summary("a", Some(tag("T-1", Some(TriageCategory::Green), 40))),
            summary("b", Some(tag("T-2", Some(TriageCategory::Red), 10))),
            summary("c", Some(tag("T-3", Some(TriageCategory::Red), 31))),
            summary("d", Some(tag("T-4", None, 0))),
            summary("e", Some(tag("T-5", Some(TriageCategory::Black), 120))),
            summary("f", None),
            summary("g", Some(gone)),
        ];
        let board = Board::draw(&patients, now, 30);
        let order: Vec<&str> = board.rows.iter().map(|r| r.patient.as_str()).collect();
        assert_eq!(order, ["d", "c", "b", "a", "e"]);
        let overdue: Vec<bool> = board.rows.iter().map(|r| r.overdue).collect();
        // Never triaged (90 min), red 31 min, red 10, green 40, black: not waiting.
        assert_eq!(overdue, [true, true, false, true, false]);
        assert_eq!(board.untriaged, 1);
        assert_eq!(board.departed, 1);
        assert_eq!(board.counts[0], (TriageCategory::Red, 2));
        assert_eq!(board.rows[0].name_ja, "身元不明 男性 60代 #T-4");
        // At exactly the interval a casualty is not yet overdue.
        let board = Board::draw(&patients[2..3], Timestamp(now.0 - minute), 30);
        assert!(!board.rows[0].overdue);
    }
}
