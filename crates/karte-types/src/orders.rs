//! 訪問看護指示書: the physician's order a visiting-nurse station visits
//! under, with the fields of the standard form, and the rules of its
//! validity.
//!
//! Three kinds: the regular 訪問看護指示書 (a period of up to 6 months; one
//! that names no end counts as 1 month), the 特別訪問看護指示書 (up to 14
//! days, issued once a month, twice for a patient with a tracheal cannula or
//! a pressure ulcer beyond the dermis, and only while a regular one is in
//! force) and the 在宅患者訪問点滴注射指示書 (up to 7 days). Periods are whole
//! days, both ends included.
//!
//! The rules are pure functions of the orders and of "today", which the
//! caller passes: this crate has no clock. A new order that breaks a rule is
//! refused when it is added; orders that meet only through a merge (two
//! devices each adding a special order in one month) are shown as alerts.

use serde::{Deserialize, Serialize};

use crate::clinical::coded;
use crate::scales::graded;
use crate::{
    BedriddenGrade, CareLevel, Date, DementiaGrade, EntryId, EntryMeta, ValidationError,
    ValidationErrors,
};

coded!(
    /// Which of the three 指示書 an order is.
    OrderKind, "kind" {
        Instruction => "instruction", "訪問看護指示書", ["regular", "指示書"];
        Special => "special", "特別訪問看護指示書", ["特別指示書", "特別指示"];
        Infusion => "infusion", "在宅患者訪問点滴注射指示書", ["drip", "点滴注射指示書", "点滴"];
    }
);

graded!(
    /// 褥瘡の深さ as the 指示書 states it; every grade the form offers is
    /// beyond the dermis.
    PressureUlcerDepth, "pressure-ulcer-depth" {
        Npuap3 => "NPUAP-3", "NPUAP分類Ⅲ度", ["npuap3", "npuap-iii"];
        Npuap4 => "NPUAP-4", "NPUAP分類Ⅳ度", ["npuap4", "npuap-iv"];
        D3 => "D3", "DESIGN-R分類D3", [];
        D4 => "D4", "DESIGN-R分類D4", [];
        D5 => "D5", "DESIGN-R分類D5", [];
    }
);

graded!(
    /// How tube feeding enters: 経鼻 or 胃ろう.
    TubeFeedingRoute, "tube-feeding" {
        Nasal => "nasal", "経鼻", [];
        Gastrostomy => "gastrostomy", "胃ろう", ["peg", "胃瘻"];
    }
);

graded!(
    /// 人工呼吸器: 陽圧式 or 陰圧式.
    VentilatorKind, "ventilator" {
        Positive => "positive", "陽圧式", [];
        Negative => "negative", "陰圧式", [];
    }
);

/// 装着・使用医療機器等: the devices in use, with their details.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MedicalDevices {
    /// 自動腹膜灌流装置.
    pub peritoneal_dialysis: bool,
    /// 透析液供給装置.
    pub dialysate_supply: bool,
    /// 酸素療法.
    pub oxygen: bool,
    /// Oxygen flow, L/min.
    pub oxygen_flow_l_min: Option<f64>,
    /// 吸引器.
    pub suction: bool,
    /// 中心静脈栄養.
    pub central_venous_nutrition: bool,
    /// 輸液ポンプ.
    pub infusion_pump: bool,
    /// 経管栄養 and its route.
    pub tube_feeding: Option<TubeFeedingRoute>,
    /// Tube size as written, e.g. `14Fr`.
    pub tube_feeding_size: Option<String>,
    /// Changed every this many days (日に1回交換).
    pub tube_feeding_change_days: Option<u16>,
    /// 留置カテーテル.
    pub urinary_catheter: bool,
    pub urinary_catheter_size: Option<String>,
    pub urinary_catheter_change_days: Option<u16>,
    /// 人工呼吸器 and its kind.
    pub ventilator: Option<VentilatorKind>,
    /// Its settings as written.
    pub ventilator_settings: Option<String>,
    /// 気管カニューレ.
    pub tracheal_cannula: bool,
    pub tracheal_cannula_size: Option<String>,
    /// 人工肛門.
    pub colostomy: bool,
    /// 人工膀胱.
    pub urostomy: bool,
    /// その他.
    pub other: Option<String>,
}

/// Home oxygen flows above this are a slip, L/min.
pub const OXYGEN_FLOW_MAX: f64 = 15.0;

impl MedicalDevices {
    fn check(&self, errors: &mut ValidationErrors) {
        if let Some(flow) = self.oxygen_flow_l_min {
            if !self.oxygen {
                errors.push(detail_without("oxygen-flow", "oxygen"));
            } else if !flow.is_finite() || flow <= 0.0 || flow > OXYGEN_FLOW_MAX {
                errors.push(ValidationError::new(
                    "oxygen-flow",
                    "out_of_range",
                    format!(
                        "an oxygen flow of {flow} L/min is implausible: expected more than 0 and at most {OXYGEN_FLOW_MAX} L/min"
                    ),
                ));
            }
        }
        let tube = self.tube_feeding.is_some();
        if !tube && (self.tube_feeding_size.is_some() || self.tube_feeding_change_days.is_some()) {
            errors.push(detail_without("tube-feeding-size", "tube-feeding"));
        }
        if !self.urinary_catheter
            && (self.urinary_catheter_size.is_some() || self.urinary_catheter_change_days.is_some())
        {
            errors.push(detail_without("catheter-size", "catheter"));
        }
        if self.ventilator.is_none() && self.ventilator_settings.is_some() {
            errors.push(detail_without("ventilator-settings", "ventilator"));
        }
        if !self.tracheal_cannula && self.tracheal_cannula_size.is_some() {
            errors.push(detail_without("cannula-size", "cannula"));
        }
        for (field, days) in [
            ("tube-feeding-change-days", self.tube_feeding_change_days),
            ("catheter-change-days", self.urinary_catheter_change_days),
        ] {
            if days.is_some_and(|d| !(1..=365).contains(&d)) {
                errors.push(ValidationError::new(
                    field,
                    "out_of_range",
                    "a change interval is 1 to 365 days",
                ));
            }
        }
    }
}

fn detail_without(field: &str, device: &str) -> ValidationError {
    ValidationError::new(
        field,
        "detail_without_device",
        format!(
            "{field} is a detail of {device}, which the order does not list; add {device} or leave the detail out"
        ),
    )
}

/// 留意事項及び指示事項.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderInstructions {
    /// Ⅰ 療養生活指導上の留意事項.
    pub care_notes: Option<String>,
    /// Ⅱ 1. 理学療法士・作業療法士・言語聴覚士が行う訪問看護: minutes a day …
    pub rehab_minutes_per_day: Option<u16>,
    /// … and times a week.
    pub rehab_times_per_week: Option<u8>,
    /// Ⅱ 2. 褥瘡の処置等.
    pub pressure_ulcer_care: Option<String>,
    /// Ⅱ 3. 装着・使用医療機器等の操作援助・管理.
    pub device_care: Option<String>,
    /// Ⅱ 4. その他.
    pub other: Option<String>,
}

/// A 指示書 as the station records it from the paper the physician signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderInput {
    pub kind: OrderKind,
    /// First day of the 指示期間.
    pub from: Date,
    /// Last day; none written counts as one month for a regular order.
    pub to: Option<Date>,
    /// 記載日: when the physician wrote it.
    pub issued: Option<Date>,
    /// 医師氏名.
    pub doctor: String,
    /// 医療機関名.
    pub institution: String,
    pub institution_address: Option<String>,
    pub institution_phone: Option<String>,
    /// 主たる傷病名.
    pub diagnosis: Option<String>,
    /// 傷病名コード: the 7-digit code of the 傷病名マスター, or ICD-10.
    pub diagnosis_code: Option<String>,
    /// 病状・治療状態.
    pub condition: Option<String>,
    /// 投与中の薬剤の用量・用法, one a line.
    pub medicines: Option<String>,
    /// 日常生活自立度: 寝たきり度.
    pub bedridden: Option<BedriddenGrade>,
    /// 日常生活自立度: 認知症の状況.
    pub dementia: Option<DementiaGrade>,
    /// 要介護認定の状況; none for 自立 or not certified.
    pub care_level: Option<CareLevel>,
    /// 褥瘡の深さ.
    pub pressure_ulcer_depth: Option<PressureUlcerDepth>,
    pub devices: MedicalDevices,
    pub instructions: OrderInstructions,
    /// 在宅患者訪問点滴注射に関する指示 (薬剤・量・方法).
    pub infusion: Option<String>,
    /// Why a 特別指示 was issued (急性増悪, 終末期, 退院直後, …).
    pub special_reason: Option<String>,
    /// 緊急時の連絡先.
    pub emergency_contact: Option<String>,
    /// 不在時の対応.
    pub absence_contact: Option<String>,
}

/// The longest period of each kind: months for a regular order, days for
/// the others.
pub const REGULAR_MAX_MONTHS: u8 = 6;
/// A regular order with no end written runs this many months.
pub const REGULAR_DEFAULT_MONTHS: u8 = 1;
pub const SPECIAL_MAX_DAYS: i64 = 14;
pub const INFUSION_MAX_DAYS: i64 = 7;
/// An order ending within this many days (0 = today) is flagged.
pub const EXPIRY_WARNING_DAYS: i64 = 14;

/// The last day of a period of `months` months from `from`: the day before
/// the same day `months` later, or the last day of that month when it has
/// no such day (1 April + 6 months ends 30 September; 31 January + 1 month
/// ends 28 or 29 February).
pub fn months_end(from: Date, months: u8) -> Date {
    let d = from.0;
    let index = d.month() as i32 - 1 + i32::from(months);
    let year = d.year() + index.div_euclid(12);
    let month = time::Month::try_from((index.rem_euclid(12) + 1) as u8).expect("1..=12");
    let days = time::util::days_in_month(month, year);
    if d.day() <= days {
        let same = time::Date::from_calendar_date(year, month, d.day()).expect("a valid day");
        Date(same.previous_day().unwrap_or(same))
    } else {
        Date(time::Date::from_calendar_date(year, month, days).expect("a valid day"))
    }
}

/// Days from `a` to `b`, `b` after `a` positive.
pub fn days_between(a: Date, b: Date) -> i64 {
    (b.0 - a.0).whole_days()
}

fn add_days(d: Date, days: i64) -> Date {
    Date(d.0.checked_add(time::Duration::days(days)).unwrap_or(d.0))
}

impl OrderInput {
    /// The last day the order is valid: `to`, or for a regular order with
    /// none, one month.
    pub fn until(&self) -> Date {
        until(self.kind, self.from, self.to)
    }

    /// Whether this order states what allows a second 特別指示 in a month: a
    /// tracheal cannula or a pressure ulcer beyond the dermis.
    pub fn allows_second_special(&self) -> bool {
        self.devices.tracheal_cannula || self.pressure_ulcer_depth.is_some()
    }

    /// Checks the order on its own: who issued it, its period for its kind,
    /// the diagnosis code and the devices' details.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::default();
        for (field, value) in [("doctor", &self.doctor), ("institution", &self.institution)] {
            if value.trim().is_empty() {
                errors.push(ValidationError::new(
                    field,
                    "required",
                    format!("{field} must not be empty: the 指示書 names who issued it"),
                ));
            }
        }
        if let Some(why) = period_problem(self.kind, self.from, self.to) {
            errors.push(why);
        }
        match self.kind {
            OrderKind::Instruction
                if self
                    .diagnosis
                    .as_deref()
                    .is_none_or(|d| d.trim().is_empty()) =>
            {
                errors.push(ValidationError::new(
                    "diagnosis",
                    "required",
                    "a 訪問看護指示書 names the 主たる傷病名",
                ));
            }
            OrderKind::Infusion if self.infusion.as_deref().is_none_or(|d| d.trim().is_empty()) => {
                errors.push(ValidationError::new(
                    "infusion",
                    "required",
                    "a 点滴注射指示書 states the drug, amount and method (--infusion)",
                ));
            }
            _ => {}
        }
        if let Some(code) = &self.diagnosis_code
            && !diagnosis_code_ok(code)
        {
            errors.push(ValidationError::new(
                "diagnosis-code",
                "malformed",
                format!("'{code}' is not a 傷病名コード (7 digits, e.g. 8830052) nor an ICD-10 code (e.g. I63.9)"),
            ));
        }
        self.devices.check(&mut errors);
        let rehab = &self.instructions;
        if rehab
            .rehab_minutes_per_day
            .is_some_and(|m| !(1..=480).contains(&m))
        {
            errors.push(ValidationError::new(
                "rehab-minutes",
                "out_of_range",
                "rehabilitation minutes a day are 1 to 480",
            ));
        }
        if rehab
            .rehab_times_per_week
            .is_some_and(|t| !(1..=21).contains(&t))
        {
            errors.push(ValidationError::new(
                "rehab-times",
                "out_of_range",
                "rehabilitation visits a week are 1 to 21",
            ));
        }
        errors.into_result()
    }
}

fn diagnosis_code_ok(code: &str) -> bool {
    let code = code.trim();
    let master = code.len() == 7 && code.chars().all(|c| c.is_ascii_digit());
    let icd10 = (3..=8).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_uppercase())
        && code[1..3].chars().all(|c| c.is_ascii_digit())
        && code[3..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.');
    master || icd10
}

fn until(kind: OrderKind, from: Date, to: Option<Date>) -> Date {
    match (to, kind) {
        (Some(to), _) => to,
        (None, OrderKind::Instruction) => months_end(from, REGULAR_DEFAULT_MONTHS),
        (None, OrderKind::Special) => add_days(from, SPECIAL_MAX_DAYS - 1),
        (None, OrderKind::Infusion) => add_days(from, INFUSION_MAX_DAYS - 1),
    }
}

/// What is wrong with a period of this kind, if anything.
fn period_problem(kind: OrderKind, from: Date, to: Option<Date>) -> Option<ValidationError> {
    let Some(to) = to else {
        return match kind {
            OrderKind::Instruction => None,
            OrderKind::Special | OrderKind::Infusion => Some(ValidationError::new(
                "to",
                "required",
                format!(
                    "a {} states the last day of its period (--to)",
                    kind.label_ja()
                ),
            )),
        };
    };
    if to < from {
        return Some(ValidationError::new(
            "to",
            "before_start",
            format!("the period ends {to}, before it starts {from}"),
        ));
    }
    let days = days_between(from, to) + 1;
    match kind {
        OrderKind::Instruction => {
            let last = months_end(from, REGULAR_MAX_MONTHS);
            (to > last).then(|| {
                ValidationError::new(
                    "to",
                    "period_too_long",
                    format!("a 訪問看護指示書 runs at most 6 months: from {from} it can end {last} at the latest, not {to}"),
                )
            })
        }
        OrderKind::Special => (days > SPECIAL_MAX_DAYS).then(|| {
            ValidationError::new(
                "to",
                "period_too_long",
                format!("a 特別訪問看護指示書 runs at most 14 days: {from} to {to} is {days} days"),
            )
        }),
        OrderKind::Infusion => (days > INFUSION_MAX_DAYS).then(|| {
            ValidationError::new(
                "to",
                "period_too_long",
                format!("a 点滴注射指示書 runs at most 7 days: {from} to {to} is {days} days"),
            )
        }),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    pub meta: EntryMeta,
    #[serde(flatten)]
    pub input: OrderInput,
}

/// What the validity rules need of an order, kept in the patient list's
/// index (so the list shows alerts without loading charts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSpan {
    pub id: EntryId,
    pub kind: OrderKind,
    pub from: Date,
    pub to: Option<Date>,
    pub doctor: String,
    pub institution: String,
    /// Whether the order states a tracheal cannula or a pressure ulcer
    /// beyond the dermis, which allow a second 特別指示 in a month.
    pub allows_second_special: bool,
}

impl OrderSpan {
    /// The span of an order, `None` once it is entered-in-error.
    pub fn of(order: &Order) -> Option<OrderSpan> {
        if order.meta.entered_in_error.is_some() {
            return None;
        }
        Some(OrderSpan::new(order.meta.id.clone(), &order.input))
    }

    /// The span of an order about to be added as `id`.
    pub fn new(id: EntryId, input: &OrderInput) -> OrderSpan {
        OrderSpan {
            id,
            kind: input.kind,
            from: input.from,
            to: input.to,
            doctor: input.doctor.clone(),
            institution: input.institution.clone(),
            allows_second_special: input.allows_second_special(),
        }
    }

    /// The last day it is valid (see [`OrderInput::until`]).
    pub fn until(&self) -> Date {
        until(self.kind, self.from, self.to)
    }

    pub fn covers(&self, day: Date) -> bool {
        self.from <= day && day <= self.until()
    }

    /// Whether its period is longer than its kind allows (possible only for
    /// orders corrected or merged from elsewhere; adding one is refused).
    pub fn too_long(&self) -> bool {
        period_problem(self.kind, self.from, self.to).is_some()
    }

    fn in_month(&self, month: (i32, u8)) -> bool {
        month_of(self.from) == month
    }
}

fn month_of(day: Date) -> (i32, u8) {
    (day.0.year(), day.0.month() as u8)
}

/// The regular orders in force on `day`.
fn regular_on(spans: &[OrderSpan], day: Date) -> impl Iterator<Item = &OrderSpan> {
    spans
        .iter()
        .filter(move |s| s.kind == OrderKind::Instruction && s.covers(day))
}

/// How many 特別指示 a month allows: 1, or 2 when an order standing then (a
/// special one of that month, or a regular one in force when one of them
/// starts) states a tracheal cannula or a pressure ulcer beyond the dermis.
pub fn special_limit(spans: &[OrderSpan], month: (i32, u8)) -> u32 {
    let specials: Vec<&OrderSpan> = specials_in(spans, month).collect();
    let eligible = specials.iter().any(|s| {
        s.allows_second_special || regular_on(spans, s.from).any(|r| r.allows_second_special)
    });
    if eligible { 2 } else { 1 }
}

/// The 特別指示 starting in `month` (year, month).
pub fn specials_in(spans: &[OrderSpan], month: (i32, u8)) -> impl Iterator<Item = &OrderSpan> {
    spans
        .iter()
        .filter(move |s| s.kind == OrderKind::Special && s.in_month(month))
}

/// Checks a new order against those the chart holds: a 特別指示 needs a
/// regular order in force on its first day, and at most one a month (two
/// for a patient with a tracheal cannula or a pressure ulcer beyond the
/// dermis).
pub fn check_new_order(existing: &[OrderSpan], new: &OrderSpan) -> Result<(), ValidationErrors> {
    let mut errors = ValidationErrors::default();
    if new.kind == OrderKind::Special {
        if regular_on(existing, new.from).next().is_none() {
            errors.push(ValidationError::new(
                "from",
                "no_regular_order",
                format!(
                    "a 特別訪問看護指示書 is valid only while a regular 訪問看護指示書 is in force, and none is on {}; record the regular one first",
                    new.from
                ),
            ));
        }
        let month = month_of(new.from);
        let mut all = existing.to_vec();
        all.push(new.clone());
        let count = specials_in(&all, month).count() as u32;
        let limit = special_limit(&all, month);
        if count > limit {
            errors.push(ValidationError::new(
                "from",
                "special_limit",
                format!(
                    "{}-{:02} would have {count} 特別訪問看護指示書; a month allows {limit} (two only for a patient with a tracheal cannula or a pressure ulcer beyond the dermis)",
                    month.0, month.1
                ),
            ));
        }
    }
    errors.into_result()
}

/// The orders of a chart as the patient list keeps them: the spans, and how
/// many visits were recorded on a day no order covers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub spans: Vec<OrderSpan>,
    pub visits_outside: u32,
}

impl OrderSummary {
    /// The summary of `orders`, with `visit_days` the days of the standing
    /// visits.
    pub fn new(orders: &[Order], visit_days: impl IntoIterator<Item = Date>) -> OrderSummary {
        let spans: Vec<OrderSpan> = orders.iter().filter_map(OrderSpan::of).collect();
        let visits_outside = visit_days
            .into_iter()
            .filter(|day| !spans.iter().any(|s| s.covers(*day)))
            .count() as u32;
        OrderSummary {
            spans,
            visits_outside,
        }
    }

    /// The orders in force, the month's 特別指示 and the alerts, on `today`.
    pub fn status(&self, today: Date) -> OrderStatus {
        order_status(&self.spans, self.visits_outside, today)
    }
}

/// Something about a patient's orders the station must act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "alert", rename_all = "kebab-case")]
pub enum OrderAlert {
    /// No regular 指示書 is in force and none ever was: visits have no order.
    Missing,
    /// No regular 指示書 is in force; the last one ended on `until`.
    Expired { id: EntryId, until: Date },
    /// The regular 指示書 in force ends within 14 days and no next one is
    /// recorded; `days_left` 0 means it ends today.
    Expiring {
        id: EntryId,
        until: Date,
        days_left: u32,
    },
    /// More 特別指示 start this month than the month allows.
    SpecialOverLimit { count: u32, limit: u32 },
    /// A 特別指示 standing this month began when no regular order was in force.
    SpecialWithoutRegular { id: EntryId },
    /// An order in force runs longer than its kind allows.
    PeriodTooLong { id: EntryId },
    /// Visits were recorded on days no order covers (flagged, not refused:
    /// the nurse may hold the paper).
    VisitsOutsideOrders { count: u32 },
}

impl OrderAlert {
    /// The alert in Japanese, as the patient list and chart print it.
    pub fn message_ja(&self) -> String {
        match self {
            OrderAlert::Missing => "訪問看護指示書がありません".to_owned(),
            OrderAlert::Expired { until, .. } => {
                format!("訪問看護指示書の期限切れ ({until} まで)")
            }
            OrderAlert::Expiring {
                until, days_left, ..
            } => format!("訪問看護指示書がまもなく期限切れ ({until} まで、あと{days_left}日)"),
            OrderAlert::SpecialOverLimit { count, limit } => {
                format!("今月の特別指示が{count}回 (上限{limit}回)")
            }
            OrderAlert::SpecialWithoutRegular { .. } => {
                "訪問看護指示書のない期間の特別指示があります".to_owned()
            }
            OrderAlert::PeriodTooLong { .. } => "指示期間が上限を超える指示書があります".to_owned(),
            OrderAlert::VisitsOutsideOrders { count } => {
                format!("指示書の期間外の訪問が{count}件あります")
            }
        }
    }

    /// The alert in English.
    pub fn message_en(&self) -> String {
        match self {
            OrderAlert::Missing => "no physician's order (指示書) recorded".to_owned(),
            OrderAlert::Expired { until, .. } => format!("order expired on {until}"),
            OrderAlert::Expiring {
                until, days_left, ..
            } => format!("order expires on {until} ({days_left} days left)"),
            OrderAlert::SpecialOverLimit { count, limit } => {
                format!("{count} special orders this month (at most {limit})")
            }
            OrderAlert::SpecialWithoutRegular { .. } => {
                "a special order began with no regular order in force".to_owned()
            }
            OrderAlert::PeriodTooLong { .. } => {
                "an order in force runs longer than its kind allows".to_owned()
            }
            OrderAlert::VisitsOutsideOrders { count } => {
                format!("{count} visit(s) recorded outside any order's period")
            }
        }
    }
}

/// A patient's orders on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderStatus {
    /// Every order in force on the day, of any kind, earliest first.
    pub in_force: Vec<OrderSpan>,
    /// 特別指示 starting in the day's month, and how many it allows.
    pub specials_this_month: u32,
    pub special_limit: u32,
    pub alerts: Vec<OrderAlert>,
}

/// The orders in force on `today`, this month's 特別指示 and the alerts:
/// a regular order expiring within 14 days (unless the next one is
/// recorded), expired or missing; too many 特別指示 this month; a 特別指示
/// of this month without a regular order; an order in force longer than
/// its kind allows; visits outside every order (`visits_outside`, counted
/// by the caller from the visits' days).
pub fn order_status(spans: &[OrderSpan], visits_outside: u32, today: Date) -> OrderStatus {
    let mut alerts = Vec::new();
    let mut in_force: Vec<OrderSpan> = spans.iter().filter(|s| s.covers(today)).cloned().collect();
    in_force.sort_by(|a, b| (a.from, &a.id).cmp(&(b.from, &b.id)));
    let regulars: Vec<&OrderSpan> = spans
        .iter()
        .filter(|s| s.kind == OrderKind::Instruction)
        .collect();
    // The regular order in force that runs longest.
    let current = regulars
        .iter()
        .filter(|s| s.covers(today))
        .max_by_key(|s| (s.until(), &s.id));
    match current {
        Some(order) => {
            let until = order.until();
            let days_left = days_between(today, until);
            let next_recorded = regulars
                .iter()
                .any(|s| s.from <= add_days(until, 1) && s.until() > until);
            if days_left <= EXPIRY_WARNING_DAYS && !next_recorded {
                alerts.push(OrderAlert::Expiring {
                    id: order.id.clone(),
                    until,
                    days_left: days_left as u32,
                });
            }
        }
        None => match regulars
            .iter()
            .filter(|s| s.until() < today)
            .max_by_key(|s| (s.until(), &s.id))
        {
            Some(last) => alerts.push(OrderAlert::Expired {
                id: last.id.clone(),
                until: last.until(),
            }),
            None => alerts.push(OrderAlert::Missing),
        },
    }
    let month = month_of(today);
    let specials_this_month = specials_in(spans, month).count() as u32;
    let limit = special_limit(spans, month);
    if specials_this_month > limit {
        alerts.push(OrderAlert::SpecialOverLimit {
            count: specials_this_month,
            limit,
        });
    }
    for special in spans
        .iter()
        .filter(|s| s.kind == OrderKind::Special && (s.in_month(month) || s.covers(today)))
    {
        if regular_on(spans, special.from).next().is_none() {
            alerts.push(OrderAlert::SpecialWithoutRegular {
                id: special.id.clone(),
            });
        }
    }
    for order in &in_force {
        if order.too_long() {
            alerts.push(OrderAlert::PeriodTooLong {
                id: order.id.clone(),
            });
        }
    }
    if visits_outside > 0 {
        alerts.push(OrderAlert::VisitsOutsideOrders {
            count: visits_outside,
        });
    }
    OrderStatus {
        in_force,
        specials_this_month,
        special_limit: limit,
        alerts,
    }
}

#[cfg(test)]
mod tests;
