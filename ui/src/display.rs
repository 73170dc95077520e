//! How values read on screen: times in Japan time, coded values in the
//! user's language, problems in plain words.

use karte_types::{CareLevel, ErrorCode, Problem, Timestamp};

use crate::i18n::{Language, Tr};

/// `2026-11-25 09:30`, in Japan time.
pub fn time(at: Timestamp) -> String {
    let rfc = at.to_rfc3339();
    format!("{} {}", &rfc[..10], &rfc[11..16])
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
    ErrorCode::NotPermitted,
    ErrorCode::RecoveryKeyMismatch,
    ErrorCode::WeakKeyDerivation,
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

    #[test]
    fn times_read_in_japan_time() {
        let at = Timestamp::parse_rfc3339("at", "2026-11-25T00:30:00Z").unwrap();
        assert_eq!(time(at), "2026-11-25 09:30");
    }
}
