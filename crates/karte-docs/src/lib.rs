//! The home-care station's paperwork as print-ready A4 PDFs in Japanese,
//! laid out like the standard forms a physician recognises: the monthly
//! 訪問看護報告書 ([`MonthlyReport`]), the 訪問看護計画書 ([`CarePlan`]) and
//! the 訪問看護記録書 II of one visit ([`VisitRecord`]) and the
//! 訪問看護記録書 I of the intake ([`IntakeRecord`]); and disaster mode's
//! 診療日報 of a site and day ([`DisasterDailyReport`]).
//!
//! The inputs are plain structs that know nothing of charts: the caller maps
//! what the nurses recorded into them. Each renderer lays the document out
//! (text that does not fit wraps and continues on the next page, never cut),
//! embeds the subset of the Japanese font it uses, and writes the PDF to the
//! `Write` it is given and nowhere else: no temporary file, no patient data
//! on disk that the caller did not ask for. The font is read from the system
//! at run time ([`DocumentFont`]); nothing needs a network.

mod calendar;
mod disaster;
mod error;
mod font;
mod intake;
mod layout;
mod plan;
mod record;
mod report;
pub mod sample;
mod wareki;

pub use calendar::{DayMarks, Discipline, MonthVisit, day_marks};
pub use disaster::{
    DisasterDailyReport, DisasterItemCount, DisasterTeamCounts, render_disaster_report,
};
pub use error::DocsError;
pub use font::{DEFAULT_FONT_FACE, DEFAULT_FONT_PATH, DocumentFont, FONT_PATH_VARIABLE};
pub use intake::{IntakeRecord, render_intake};
pub use plan::{CarePlan, PlanProblem, render_plan};
pub use record::{VisitRecord, Vitals, render_record};
pub use report::{MonthlyReport, render_report};
pub use wareki::{wareki_date, wareki_month};

/// Who the document is about, as the header of every form shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientHeader {
    pub name: String,
    pub birth: time::Date,
    pub address: String,
    /// 要介護認定の状況 as written on the form, such as 要介護3.
    pub care_level: String,
}

/// The station that writes the document and the physician it goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Station {
    pub name: String,
    pub manager: String,
    pub address: String,
    pub phone: String,
}

/// The physician the document is addressed to (主治医).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Physician {
    pub name: String,
    pub institution: String,
}

/// A patient's age in whole years on a day.
fn age_on(birth: time::Date, day: time::Date) -> i32 {
    let mut age = day.year() - birth.year();
    if (day.month() as u8, day.day()) < (birth.month() as u8, birth.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    #[test]
    fn age_counts_whole_years() {
        assert_eq!(
            super::age_on(date!(1940 - 03 - 15), date!(2026 - 03 - 14)),
            85
        );
        assert_eq!(
            super::age_on(date!(1940 - 03 - 15), date!(2026 - 03 - 15)),
            86
        );
    }
}
