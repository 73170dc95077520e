//! How values read on screen: dates in Japanese form and times in Japan
//! time (never in the web view's locale or time zone), coded values in the
//! user's language, problems in plain words.

use karte_types::{CareLevel, Date, ErrorCode, Problem, Timestamp};

use crate::i18n::{Language, Tr};

/// A date as Japanese forms write it: 2026年12月7日, or 令和8年12月7日 with
/// the era setting (元年 for an era's first year). In English the same
/// year-month-day order in digits, 2026-12-07, with the era after it when
/// set: 2026-12-07 (Reiwa 8).
pub fn date(tr: &Tr, date: Date) -> String {
    let d = date.0;
    let (month, day) = (d.month() as u8, d.day());
    let era = if tr.era { date.japanese_era() } else { None };
    match (tr.language, era) {
        (Language::Ja, Some(e)) => {
            let year = if e.year == 1 {
                "元".to_owned()
            } else {
                e.year.to_string()
            };
            format!("{}{year}年{month}月{day}日", e.era.kanji())
        }
        (Language::Ja, None) => format!("{}年{month}月{day}日", d.year()),
        (Language::En, Some(e)) => format!("{date} ({} {})", e.era.romaji(), e.year),
        (Language::En, None) => date.to_string(),
    }
}

/// How the `YYYY-MM-DD` a date input holds reads in Japanese form, shown
/// under the input (which draws it in the web view's locale); nothing for
/// a field not yet a date.
pub fn date_reading(tr: &Tr, typed: &str) -> Option<String> {
    Date::parse("date", typed).ok().map(|d| date(tr, d))
}

/// A date and time in Japan time: 2026年11月25日 09:30.
pub fn time(tr: &Tr, at: Timestamp) -> String {
    let rfc = at.to_rfc3339();
    format!("{} {}", date(tr, at.date_jst()), &rfc[11..16])
}

/// A coded value's label: `{prefix}-{code}` from the message files.
/// A select field's options: each code with its name in the user's language.
pub fn coded_options(
    tr: &Tr,
    prefix: &str,
    codes: impl IntoIterator<Item = &'static str>,
) -> Vec<(yew::AttrValue, String)> {
    codes
        .into_iter()
        .map(|code| (yew::AttrValue::from(code), coded(tr, prefix, code)))
        .collect()
}

pub fn coded(tr: &Tr, prefix: &str, code: &str) -> String {
    let id = format!("{prefix}-{code}");
    if tr.has(&id) {
        tr.t_args(&id, &[])
    } else {
        code.to_owned()
    }
}

/// 要介護2 in Japanese; "Care level 2" in English.
pub fn care_level(tr: &Tr, level: CareLevel) -> String {
    match tr.language {
        Language::Ja => level.label_ja().to_owned(),
        Language::En => coded(tr, "care", level.code()),
    }
}

/// A failure in plain words: the message for its code, or a general one
/// with the core's English detail for codes the UI does not know.
pub fn problem(tr: &Tr, problem: &Problem) -> String {
    let id = format!("problem-{}", problem.code);
    if tr.has(&id) {
        tr.t_args(&id, &[])
    } else {
        tr.t_args("problem-other", &[("detail", problem.message.clone())])
    }
}

/// Codes of the core's problems the UI words itself; the message test checks
/// each has words in both languages.
pub const PROBLEM_CODES: &[ErrorCode] = &[
    ErrorCode::Locked,
    ErrorCode::WrongPassphrase,
    ErrorCode::DeviceLocked,
    ErrorCode::WrongUnlockCode,
    ErrorCode::UnknownUser,
    ErrorCode::UserNeeded,
    ErrorCode::AlreadyExists,
    ErrorCode::NoVault,
    ErrorCode::InvalidInput,
    ErrorCode::NotFound,
    ErrorCode::HubUnreachable,
    ErrorCode::RequestTooLarge,
    ErrorCode::RateLimited,
    ErrorCode::HubBusy,
    ErrorCode::RequestTimeout,
    ErrorCode::FeedChanged,
    ErrorCode::NotEnrolled,
    ErrorCode::AlreadyEnrolled,
    ErrorCode::EnrolmentUnknown,
    ErrorCode::EnrolmentUsed,
    ErrorCode::EnrolmentExpired,
    ErrorCode::BridgeUnreachable,
    ErrorCode::NoToken,
    ErrorCode::Unauthorized,
    ErrorCode::DeviceRevoked,
    ErrorCode::ShareNotAccepted,
    ErrorCode::AuditChainBroken,
    ErrorCode::NotPermitted,
    ErrorCode::RecoveryKeyMismatch,
    ErrorCode::WeakKeyDerivation,
    ErrorCode::PeerNotMember,
    ErrorCode::PeerCertExpired,
    ErrorCode::PeerRevoked,
    ErrorCode::UnknownIssuer,
    ErrorCode::PeerUnreachable,
    ErrorCode::PeerProtocol,
    ErrorCode::BundleMalformed,
    ErrorCode::BundleForeign,
    ErrorCode::BundleSenderRevoked,
    ErrorCode::BundleTampered,
    ErrorCode::BundleTruncated,
    ErrorCode::BundleNotForThisDevice,
    ErrorCode::BundleAlreadyImported,
    ErrorCode::BundleRefusedChart,
    ErrorCode::BundleGap,
    ErrorCode::NotAnImage,
    ErrorCode::PhotoTooLarge,
    ErrorCode::PhotoNotHere,
    ErrorCode::DocumentFontMissing,
    ErrorCode::DocumentFailed,
    ErrorCode::PhotoHashMismatch,
    ErrorCode::PhotoNotNamed,
    ErrorCode::PairingFailed,
    ErrorCode::PairingCodeExpired,
    ErrorCode::NoTeam,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_problem_has_plain_words_in_both_languages() {
        let tr = Tr::default();
        for language in Language::ALL {
            let tr = tr.in_language(language);
            for code in PROBLEM_CODES {
                assert!(
                    tr.has(&format!("problem-{code}")),
                    "problem-{code} in {language:?}"
                );
            }
            for level in CareLevel::ALL {
                assert!(!care_level(&tr, *level).starts_with("care-"));
            }
        }
        let unknown = Problem::new(ErrorCode::Unknown, "something odd");
        assert!(problem(&tr, &unknown).contains("something odd"));
    }

    fn on(y: i32, m: u8, d: u8) -> Date {
        Date::from_ymd(y, m, d).unwrap()
    }

    #[test]
    fn times_read_in_japan_time() {
        let tr = Tr::default();
        let at = Timestamp::parse_rfc3339("at", "2026-11-25T00:30:00Z").unwrap();
        assert_eq!(time(&tr, at), "2026年11月25日 09:30");
        assert_eq!(time(&tr.in_language(Language::En), at), "2026-11-25 09:30");
        // Late evening in UTC is already the next morning in Japan.
        let late = Timestamp::parse_rfc3339("at", "2026-12-31T23:30:00Z").unwrap();
        assert_eq!(
            time(&tr.clone().with_era(true), late),
            "令和9年1月1日 08:30"
        );
    }

    #[test]
    fn dates_read_in_japanese_form_with_the_era_when_set() {
        let ja = Tr::default();
        let era = ja.clone().with_era(true);
        let en = ja.in_language(Language::En);
        assert_eq!(date(&ja, on(2026, 12, 7)), "2026年12月7日");
        assert_eq!(date(&era, on(2026, 12, 7)), "令和8年12月7日");
        assert_eq!(date(&en, on(2026, 12, 7)), "2026-12-07");
        assert_eq!(
            date(&en.with_era(true), on(2026, 12, 7)),
            "2026-12-07 (Reiwa 8)"
        );
        // The last day of Heisei and the first of Reiwa (元年, not 1年).
        assert_eq!(date(&era, on(2019, 4, 30)), "平成31年4月30日");
        assert_eq!(date(&era, on(2019, 5, 1)), "令和元年5月1日");
        assert_eq!(date(&era, on(1989, 1, 7)), "昭和64年1月7日");
        assert_eq!(date(&era, on(1989, 1, 8)), "平成元年1月8日");
        assert_eq!(date(&era, on(1941, 3, 2)), "昭和16年3月2日");
        // Before the Gregorian calendar there is no era year to write.
        assert_eq!(date(&era, on(1872, 12, 31)), "1872年12月31日");
    }
}
