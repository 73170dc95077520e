//! Disaster triage: START (the first triage at the scene) and PAT (the
//! second, physiological and anatomical triage), as DMAT teach them, as a
//! pure function of what was found.
//!
//! [`triage`] takes the findings a person entered and answers with the
//! category and the reasons that decided it (each naming the finding and
//! the rule), so the UI, the command line and the core all show the same
//! category for the same findings. No clock, no I/O: it compiles to wasm.
//!
//! START (DMAT card): walks → green; not breathing after the airway is
//! opened → black; respiratory rate ≤ 9 or ≥ 30 → red; radial pulse absent,
//! capillary refill > 2 s or heart rate ≥ 120 → red; does not obey
//! commands → red; otherwise yellow.
//!
//! PAT: physiology (JCS two digits or more, GCS ≤ 8, respiratory rate ≤ 9
//! or ≥ 30, heart rate ≥ 120 or < 50, systolic BP < 90 or ≥ 200, SpO2 < 90 %,
//! signs of shock, temperature ≤ 35 ℃) → red; an anatomical finding of the
//! list → red; a mechanism of injury of the list → at least yellow; a
//! vulnerable person → at least yellow; none → green.
//!
//! When both stages' findings are given, the more urgent category stands
//! (black, from START, stands over everything): one stage never talks the
//! other's finding down. A clinician who judges otherwise overrides, with
//! a reason, and the entry keeps both.

use serde::{Deserialize, Serialize};

use crate::{ValidationError, ValidationErrors};

mod category;
mod lists;

pub use category::TriageCategory;
pub use lists::{Anatomy, Mechanism, Vulnerable};
use lists::{anatomy_codes, mechanism_codes, vulnerable_codes};

/// What a person found on triage. Every finding is optional: START needs
/// only its own, PAT uses those measured. Rates are per minute, capillary
/// refill in seconds, blood pressure in mmHg, temperature in ℃.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TriageFindings {
    /// START: walks on their own.
    pub walks: Option<bool>,
    /// START: breathes (after the airway is opened, if it had to be).
    pub breathing: Option<bool>,
    pub respiratory_rate: Option<u16>,
    /// START: a radial pulse can be felt.
    pub radial_pulse: Option<bool>,
    pub heart_rate: Option<u16>,
    /// Capillary refill time, seconds.
    pub capillary_refill_s: Option<f64>,
    /// START: obeys simple commands.
    pub obeys: Option<bool>,
    /// PAT: Japan Coma Scale level (0, 1, 2, 3, 10, 20, 30, 100, 200, 300).
    pub jcs: Option<u16>,
    /// PAT: Glasgow Coma Scale total, 3–15.
    pub gcs: Option<u8>,
    pub systolic_bp: Option<u16>,
    pub spo2: Option<u8>,
    /// PAT: signs of shock (cold sweat, pallor, weak rapid pulse).
    pub shock: Option<bool>,
    pub temperature_c: Option<f64>,
    #[serde(default, with = "anatomy_codes")]
    pub anatomy: Vec<Anatomy>,
    #[serde(default, with = "mechanism_codes")]
    pub mechanism: Vec<Mechanism>,
    #[serde(default, with = "vulnerable_codes")]
    pub vulnerable: Vec<Vulnerable>,
}

impl TriageFindings {
    /// Whether anything of START was entered.
    pub fn has_start(&self) -> bool {
        self.walks.is_some()
            || self.breathing.is_some()
            || self.radial_pulse.is_some()
            || self.capillary_refill_s.is_some()
            || self.obeys.is_some()
    }

    /// Whether anything only PAT asks for was entered.
    pub fn has_pat(&self) -> bool {
        self.jcs.is_some()
            || self.gcs.is_some()
            || self.systolic_bp.is_some()
            || self.spo2.is_some()
            || self.shock.is_some()
            || self.temperature_c.is_some()
            || !self.anatomy.is_empty()
            || !self.mechanism.is_empty()
            || !self.vulnerable.is_empty()
    }

    /// Plausible values only: a rate of 300 is a typo, not a finding.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        fn range<T: PartialOrd + Copy + std::fmt::Display>(
            errors: &mut ValidationErrors,
            field: &str,
            value: Option<T>,
            lo: T,
            hi: T,
        ) {
            if let Some(v) = value
                && !(lo <= v && v <= hi)
            {
                errors.push(ValidationError::new(
                    field,
                    "out_of_range",
                    format!("{field} {v} is implausible: expected {lo}–{hi}; check for a typo"),
                ));
            }
        }
        // Zero is a finding here (no breaths, no pulse), unlike at a visit.
        range(&mut errors, "rr", self.respiratory_rate, 0, 80);
        range(&mut errors, "pulse", self.heart_rate, 0, 250);
        range(&mut errors, "crt", self.capillary_refill_s, 0.0, 20.0);
        range(&mut errors, "gcs", self.gcs, 3, 15);
        range(&mut errors, "sbp", self.systolic_bp, 0, 300);
        range(&mut errors, "spo2", self.spo2, 30, 100);
        range(&mut errors, "temp", self.temperature_c, 20.0, 45.0);
        if let Some(jcs) = self.jcs
            && crate::JcsLevel::from_score(jcs).is_none()
        {
            errors.push(ValidationError::new(
                "jcs",
                "out_of_range",
                format!("JCS {jcs} is not a level: use 0, 1, 2, 3, 10, 20, 30, 100, 200 or 300"),
            ));
        }
        if self.walks == Some(true) && self.breathing == Some(false) {
            errors.push(ValidationError::new(
                "breathing",
                "contradiction",
                "someone who walks breathes: check walks and breathing",
            ));
        }
        if !self.has_start()
            && !self.has_pat()
            && self.respiratory_rate.is_none()
            && self.heart_rate.is_none()
        {
            errors.push(ValidationError::new(
                "triage",
                "empty",
                "enter what you found: START (walks, breathing, rr, pulse or crt, obeys) or PAT findings",
            ));
        }
        errors.into_result()
    }
}

/// The rule a reason names: which finding decided the category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TriageRule {
    StartWalks,
    StartNotBreathing,
    StartRespiratoryRate,
    StartNoRadialPulse,
    StartCapillaryRefill,
    StartHeartRate,
    StartNotObeying,
    StartNoRedFinding,
    PatConsciousness,
    PatRespiratoryRate,
    PatHeartRate,
    PatSystolicBp,
    PatSpo2,
    PatShock,
    PatTemperature,
    PatAnatomy,
    PatMechanism,
    PatVulnerable,
    PatNoFinding,
}

impl TriageRule {
    /// The category the rule gives.
    pub fn category(self) -> TriageCategory {
        use TriageRule::*;
        match self {
            StartWalks | PatNoFinding => TriageCategory::Green,
            StartNotBreathing => TriageCategory::Black,
            StartNoRedFinding | PatMechanism | PatVulnerable => TriageCategory::Yellow,
            _ => TriageCategory::Red,
        }
    }

    pub fn text_ja(self) -> &'static str {
        use TriageRule::*;
        match self {
            StartWalks => "START: 歩行可能",
            StartNotBreathing => "START: 気道確保後も呼吸なし",
            StartRespiratoryRate => "START: 呼吸数 9回/分以下 または 30回/分以上",
            StartNoRadialPulse => "START: 橈骨動脈触知不能",
            StartCapillaryRefill => "START: 毛細血管再充満時間 2秒超",
            StartHeartRate => "START: 脈拍 120回/分以上",
            StartNotObeying => "START: 指示に従えない",
            StartNoRedFinding => "START: 歩行不能、呼吸・循環・意識に赤の所見なし",
            PatConsciousness => "PAT 生理学的評価: 意識 JCS 2桁以上 または GCS 8以下",
            PatRespiratoryRate => "PAT 生理学的評価: 呼吸数 9回/分以下 または 30回/分以上",
            PatHeartRate => "PAT 生理学的評価: 脈拍 120回/分以上 または 50回/分未満",
            PatSystolicBp => "PAT 生理学的評価: 収縮期血圧 90mmHg未満 または 200mmHg以上",
            PatSpo2 => "PAT 生理学的評価: SpO2 90%未満",
            PatShock => "PAT 生理学的評価: ショック症状",
            PatTemperature => "PAT 生理学的評価: 体温 35℃以下",
            PatAnatomy => "PAT 解剖学的評価",
            PatMechanism => "PAT 受傷機転",
            PatVulnerable => "PAT 要配慮者",
            PatNoFinding => "PAT: 該当する所見なし",
        }
    }

    pub fn text_en(self) -> &'static str {
        use TriageRule::*;
        match self {
            StartWalks => "START: walks",
            StartNotBreathing => "START: not breathing after the airway is opened",
            StartRespiratoryRate => "START: respiratory rate ≤ 9 or ≥ 30/min",
            StartNoRadialPulse => "START: no radial pulse",
            StartCapillaryRefill => "START: capillary refill over 2 s",
            StartHeartRate => "START: heart rate ≥ 120/min",
            StartNotObeying => "START: does not obey commands",
            StartNoRedFinding => {
                "START: cannot walk; no red finding in breathing, circulation or consciousness"
            }
            PatConsciousness => "PAT physiology: JCS two digits or more, or GCS ≤ 8",
            PatRespiratoryRate => "PAT physiology: respiratory rate ≤ 9 or ≥ 30/min",
            PatHeartRate => "PAT physiology: heart rate ≥ 120 or < 50/min",
            PatSystolicBp => "PAT physiology: systolic BP < 90 or ≥ 200 mmHg",
            PatSpo2 => "PAT physiology: SpO2 < 90 %",
            PatShock => "PAT physiology: signs of shock",
            PatTemperature => "PAT physiology: temperature ≤ 35 ℃",
            PatAnatomy => "PAT anatomy",
            PatMechanism => "PAT mechanism of injury",
            PatVulnerable => "PAT vulnerable person",
            PatNoFinding => "PAT: no finding",
        }
    }
}

/// One reason for a category: the rule and the finding it met, e.g. the
/// rule "respiratory rate ≤ 9 or ≥ 30" and the finding "32".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriageReason {
    pub rule: TriageRule,
    /// The finding as entered (`32`, `flail-chest`), if the rule has one.
    pub finding: Option<String>,
}

impl TriageReason {
    fn new(rule: TriageRule, finding: Option<String>) -> TriageReason {
        TriageReason { rule, finding }
    }

    pub fn text_ja(&self) -> String {
        match &self.finding {
            Some(f) => format!("{}（{f}）", self.rule.text_ja()),
            None => self.rule.text_ja().to_owned(),
        }
    }

    pub fn text_en(&self) -> String {
        match &self.finding {
            Some(f) => format!("{} ({f})", self.rule.text_en()),
            None => self.rule.text_en().to_owned(),
        }
    }
}

/// What [`triage`] decided: the category and every reason for it (the
/// rules that gave that category), most decisive first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriageOutcome {
    pub category: TriageCategory,
    pub reasons: Vec<TriageReason>,
    /// Findings PAT's physiology looks at that were not entered: the
    /// category holds for what was measured.
    pub unmeasured: Vec<String>,
}

/// The category START gives, with its reasons; `Err` names the findings
/// still needed to decide.
fn start(f: &TriageFindings) -> Result<(TriageCategory, Vec<TriageReason>), Vec<&'static str>> {
    use TriageRule::*;
    match f.walks {
        Some(true) => {
            return Ok((
                TriageCategory::Green,
                vec![TriageReason::new(StartWalks, None)],
            ));
        }
        Some(false) => {}
        None => return Err(vec!["walks"]),
    }
    match f.breathing {
        Some(false) => {
            return Ok((
                TriageCategory::Black,
                vec![TriageReason::new(StartNotBreathing, None)],
            ));
        }
        Some(true) => {}
        None => return Err(vec!["breathing"]),
    }
    let mut red = Vec::new();
    if let Some(rr) = f.respiratory_rate
        && (rr <= 9 || rr >= 30)
    {
        red.push(TriageReason::new(
            StartRespiratoryRate,
            Some(rr.to_string()),
        ));
    }
    if f.radial_pulse == Some(false) {
        red.push(TriageReason::new(StartNoRadialPulse, None));
    }
    if let Some(crt) = f.capillary_refill_s
        && crt > 2.0
    {
        red.push(TriageReason::new(
            StartCapillaryRefill,
            Some(format!("{crt} s")),
        ));
    }
    if let Some(hr) = f.heart_rate
        && hr >= 120
    {
        red.push(TriageReason::new(StartHeartRate, Some(hr.to_string())));
    }
    if f.obeys == Some(false) {
        red.push(TriageReason::new(StartNotObeying, None));
    }
    if !red.is_empty() {
        return Ok((TriageCategory::Red, red));
    }
    // Yellow only once breathing, circulation and consciousness were each
    // looked at and found without a red finding.
    let mut missing = Vec::new();
    if f.respiratory_rate.is_none() {
        missing.push("rr");
    }
    if f.radial_pulse.is_none() && f.capillary_refill_s.is_none() && f.heart_rate.is_none() {
        missing.push("pulse or crt");
    }
    if f.obeys.is_none() {
        missing.push("obeys");
    }
    if missing.is_empty() {
        Ok((
            TriageCategory::Yellow,
            vec![TriageReason::new(StartNoRedFinding, None)],
        ))
    } else {
        Err(missing)
    }
}

/// The category PAT gives, with its reasons and what physiology lacked.
fn pat(f: &TriageFindings) -> (TriageCategory, Vec<TriageReason>, Vec<String>) {
    use TriageRule::*;
    let mut red = Vec::new();
    let mut unmeasured = Vec::new();
    let mut note = |present: bool, name: &str| {
        if !present {
            unmeasured.push(name.to_owned());
        }
    };
    note(f.jcs.is_some() || f.gcs.is_some(), "jcs or gcs");
    note(f.respiratory_rate.is_some(), "rr");
    note(f.heart_rate.is_some(), "pulse");
    note(f.systolic_bp.is_some(), "sbp");
    note(f.spo2.is_some(), "spo2");
    note(f.temperature_c.is_some(), "temp");
    if let Some(jcs) = f.jcs
        && jcs >= 10
    {
        red.push(TriageReason::new(
            PatConsciousness,
            Some(format!("JCS {jcs}")),
        ));
    } else if let Some(gcs) = f.gcs
        && gcs <= 8
    {
        red.push(TriageReason::new(
            PatConsciousness,
            Some(format!("GCS {gcs}")),
        ));
    }
    if let Some(rr) = f.respiratory_rate
        && (rr <= 9 || rr >= 30)
    {
        red.push(TriageReason::new(PatRespiratoryRate, Some(rr.to_string())));
    }
    if let Some(hr) = f.heart_rate
        && !(50..120).contains(&hr)
    {
        red.push(TriageReason::new(PatHeartRate, Some(hr.to_string())));
    }
    if let Some(sbp) = f.systolic_bp
        && !(90..200).contains(&sbp)
    {
        red.push(TriageReason::new(PatSystolicBp, Some(sbp.to_string())));
    }
    if let Some(spo2) = f.spo2
        && spo2 < 90
    {
        red.push(TriageReason::new(PatSpo2, Some(format!("{spo2}%"))));
    }
    if f.shock == Some(true) {
        red.push(TriageReason::new(PatShock, None));
    }
    if let Some(t) = f.temperature_c
        && t <= 35.0
    {
        red.push(TriageReason::new(PatTemperature, Some(format!("{t}℃"))));
    }
    for a in &f.anatomy {
        red.push(TriageReason::new(PatAnatomy, Some(a.code().to_owned())));
    }
    if !red.is_empty() {
        return (TriageCategory::Red, red, unmeasured);
    }
    let mut yellow = Vec::new();
    for m in &f.mechanism {
        yellow.push(TriageReason::new(PatMechanism, Some(m.code().to_owned())));
    }
    for v in &f.vulnerable {
        yellow.push(TriageReason::new(PatVulnerable, Some(v.code().to_owned())));
    }
    if !yellow.is_empty() {
        return (TriageCategory::Yellow, yellow, unmeasured);
    }
    (
        TriageCategory::Green,
        vec![TriageReason::new(PatNoFinding, None)],
        unmeasured,
    )
}

/// The triage category of `findings` and why. START decides when only its
/// findings are given, PAT when only its own are; with both, black from
/// START stands, and otherwise the more urgent of the two. An error names
/// what is missing to decide (`incomplete`) or what is implausible.
pub fn triage(findings: &TriageFindings) -> Result<TriageOutcome, ValidationErrors> {
    findings.validate()?;
    let with_pat = findings.has_pat();
    let start = if findings.has_start() || !with_pat {
        Some(start(findings).map_err(|missing| {
            ValidationErrors(vec![ValidationError::new(
                missing[0],
                "incomplete",
                format!("START cannot decide yet: enter {}", missing.join(", ")),
            )])
        })?)
    } else {
        None
    };
    let outcome = match (start, with_pat) {
        (Some((TriageCategory::Black, reasons)), _) => TriageOutcome {
            category: TriageCategory::Black,
            reasons,
            unmeasured: Vec::new(),
        },
        (Some((category, reasons)), false) => TriageOutcome {
            category,
            reasons,
            unmeasured: Vec::new(),
        },
        (start, true) => {
            let (pat_category, pat_reasons, unmeasured) = pat(findings);
            match start {
                Some((category, reasons)) if category.urgency() > pat_category.urgency() => {
                    TriageOutcome {
                        category,
                        reasons,
                        unmeasured,
                    }
                }
                Some((category, mut reasons)) if category == pat_category => {
                    reasons.extend(pat_reasons);
                    TriageOutcome {
                        category,
                        reasons,
                        unmeasured,
                    }
                }
                _ => TriageOutcome {
                    category: pat_category,
                    reasons: pat_reasons,
                    unmeasured,
                },
            }
        }
        (None, false) => unreachable!("START runs whenever PAT has nothing"),
    };
    Ok(outcome)
}

#[cfg(test)]
mod tests;
