//! Messages in the user's language: Japanese first, English second, from the
//! Fluent files under `locales/`, switchable while the app runs.
//!
//! Both bundles are built once and shared; switching language only changes
//! which one a [`Tr`] reads, so the whole UI re-renders in the new language
//! without reloading anything.

use std::rc::Rc;

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};

/// The languages the app speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    Ja,
    En,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::Ja, Language::En];

    /// The code kept in local storage and set as the page's `lang`.
    pub fn code(self) -> &'static str {
        match self {
            Language::Ja => "ja",
            Language::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Language> {
        Language::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language's own name, shown in the switch so a user who cannot
    /// read the current language still finds theirs.
    pub fn own_name(self) -> &'static str {
        match self {
            Language::Ja => "日本語",
            Language::En => "English",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Language::Ja => include_str!("../locales/ja/main.ftl"),
            Language::En => include_str!("../locales/en/main.ftl"),
        }
    }
}

/// The message bundles of every language.
pub struct Localizer {
    ja: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

impl std::fmt::Debug for Localizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Localizer")
    }
}

fn bundle(language: Language) -> FluentBundle<FluentResource> {
    let id: unic_langid::LanguageIdentifier =
        language.code().parse().expect("language codes are valid");
    let resource = FluentResource::try_new(language.source().to_owned())
        .expect("the message files parse; a test checks them");
    let mut bundle = FluentBundle::new(vec![id]);
    // Isolation marks around placeables would end up inside input values and
    // test selectors; the app never mixes scripts of both directions.
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .expect("message ids are unique; a test checks them");
    bundle
}

impl Localizer {
    pub fn new() -> Localizer {
        Localizer {
            ja: bundle(Language::Ja),
            en: bundle(Language::En),
        }
    }

    fn bundle(&self, language: Language) -> &FluentBundle<FluentResource> {
        match language {
            Language::Ja => &self.ja,
            Language::En => &self.en,
        }
    }

    /// Whether `id` is a message of `language`.
    pub fn has(&self, language: Language, id: &str) -> bool {
        self.bundle(language).has_message(id)
    }

    /// The message `id` with `args` filled in. A missing message shows its
    /// id, which the completeness test keeps from ever reaching a user.
    pub fn format(&self, language: Language, id: &str, args: &[(&str, String)]) -> String {
        let bundle = self.bundle(language);
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            return id.to_owned();
        };
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, FluentValue::from(value.clone()));
        }
        let mut errors = Vec::new();
        bundle
            .format_pattern(pattern, Some(&fluent_args), &mut errors)
            .into_owned()
    }
}

impl Default for Localizer {
    fn default() -> Localizer {
        Localizer::new()
    }
}

/// What components use to speak: the current language, the bundles, and
/// how dates are written (the Western year or the Japanese era).
#[derive(Debug, Clone)]
pub struct Tr {
    pub language: Language,
    /// Dates in the Japanese era (令和8年12月7日), a setting.
    pub era: bool,
    localizer: Rc<Localizer>,
}

impl PartialEq for Tr {
    fn eq(&self, other: &Tr) -> bool {
        self.language == other.language
            && self.era == other.era
            && Rc::ptr_eq(&self.localizer, &other.localizer)
    }
}

impl Tr {
    pub fn new(language: Language, localizer: Rc<Localizer>) -> Tr {
        Tr {
            language,
            era: false,
            localizer,
        }
    }

    /// The same bundles in another language.
    pub fn in_language(&self, language: Language) -> Tr {
        Tr {
            language,
            ..self.clone()
        }
    }

    /// The same, writing dates in the Japanese era or not.
    pub fn with_era(self, era: bool) -> Tr {
        Tr { era, ..self }
    }

    pub fn t(&self, id: &str) -> String {
        self.localizer.format(self.language, id, &[])
    }

    pub fn t_args(&self, id: &str, args: &[(&str, String)]) -> String {
        self.localizer.format(self.language, id, args)
    }

    pub fn has(&self, id: &str) -> bool {
        self.localizer.has(self.language, id)
    }
}

impl Default for Tr {
    fn default() -> Tr {
        Tr::new(Language::Ja, Rc::new(Localizer::new()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use fluent_bundle::FluentResource;

    use super::*;

    fn message_ids(language: Language) -> BTreeSet<String> {
        FluentResource::try_new(language.source().to_owned())
            .unwrap_or_else(|(_, errors)| panic!("{} does not parse: {errors:?}", language.code()));
        // A message starts a line with its id and ` =`; comments and
        // continuation lines start otherwise.
        language
            .source()
            .lines()
            .filter(|line| line.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|line| line.split_once(" =").map(|(id, _)| id.trim().to_owned()))
            .collect()
    }

    /// Every message id literal the sources pass to `t` or `t_args`.
    fn ids_used_in_code() -> BTreeSet<String> {
        fn walk(dir: &std::path::Path, found: &mut BTreeSet<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for marker in [".t(\"", ".t_args(\""] {
                        for (at, _) in text.match_indices(marker) {
                            let rest = &text[at + marker.len()..];
                            let id = &rest[..rest.find('"').unwrap()];
                            if !id.is_empty() && !id.contains(' ') {
                                found.insert(id.to_owned());
                            }
                        }
                    }
                }
            }
        }
        let mut found = BTreeSet::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut found,
        );
        found
    }

    #[test]
    fn both_languages_have_the_same_messages() {
        let ja = message_ids(Language::Ja);
        let en = message_ids(Language::En);
        let only_ja: Vec<_> = ja.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&ja).collect();
        assert!(only_ja.is_empty(), "only in Japanese: {only_ja:?}");
        assert!(only_en.is_empty(), "only in English: {only_en:?}");
    }

    #[test]
    fn every_profession_of_the_visit_form_has_words_in_both_languages() {
        let localizer = Localizer::new();
        for language in Language::ALL {
            for profession in karte_types::Profession::ALL {
                let id = format!("profession-{}", profession.code());
                assert!(localizer.has(language, &id), "{id} in {}", language.code());
            }
        }
    }

    #[test]
    fn every_message_the_code_asks_for_exists() {
        let localizer = Localizer::new();
        let used = ids_used_in_code();
        assert!(used.len() > 50, "the scan found too few ids: {used:?}");
        for language in Language::ALL {
            let missing: Vec<_> = used
                .iter()
                .filter(|id| !localizer.has(language, id))
                .collect();
            assert!(
                missing.is_empty(),
                "missing in {}: {missing:?}",
                language.code()
            );
        }
    }

    #[test]
    fn messages_fill_in_their_arguments_in_each_language() {
        let tr = Tr::default();
        let ja = tr.t_args("sync-pending", &[("count", "3".to_owned())]);
        let en = tr
            .in_language(Language::En)
            .t_args("sync-pending", &[("count", "3".to_owned())]);
        assert!(ja.contains('3') && en.contains('3'));
        assert_ne!(ja, en);
        let missing = "no-such-message";
        assert_eq!(tr.t(missing), missing);
    }
}
