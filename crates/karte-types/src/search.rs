//! Folding of Japanese text for search: hiragana and katakana, full and half
//! width, upper and lower case all compare equal, so やまだ finds ヤマダ and ﾔﾏﾀﾞ.

use unicode_normalization::UnicodeNormalization;

/// The searchable form of `text`: NFKC (which turns half-width katakana and
/// full-width Latin into their ordinary forms and joins ﾀﾞ into ダ), hiragana
/// turned into katakana, lower case, without white space.
pub fn fold_for_search(text: &str) -> String {
    use unicode_normalization::{IsNormalized, is_nfkc_quick};
    // Most names are already in NFKC (kanji, full-width katakana); the quick
    // check skips normalising them, which is most of the cost of building the
    // index of a large patient list.
    let folded = if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        fold_normalized(text.chars())
    } else {
        fold_normalized(text.nfkc())
    };
    // Dropping the space that NFKC leaves before a combining mark (as in
    // `¸`) can bring marks together out of canonical order; one more pass
    // puts them back, so folding a folded string changes nothing.
    if is_nfkc_quick(folded.chars()) == IsNormalized::Yes {
        folded
    } else {
        fold_normalized(folded.nfkc())
    }
}

fn fold_normalized(chars: impl Iterator<Item = char>) -> String {
    chars
        .filter(|c| !c.is_whitespace() && *c != '・')
        .map(hiragana_to_katakana)
        .flat_map(char::to_lowercase)
        .collect()
}

fn hiragana_to_katakana(c: char) -> char {
    // ぁ (U+3041) .. ゖ (U+3096) and the iteration marks ゝゞ sit exactly 0x60
    // below their katakana counterparts.
    match c {
        '\u{3041}'..='\u{3096}' | '\u{309D}'..='\u{309E}' => {
            char::from_u32(c as u32 + 0x60).unwrap_or(c)
        }
        _ => c,
    }
}

/// Whether a folded `query` matches a patient's names: a prefix of the family
/// name, given name or full name, in kanji or kana. `names` are already folded.
pub fn matches_search(folded_query: &str, folded_names: &[&str]) -> bool {
    folded_query.is_empty()
        || folded_names
            .iter()
            .any(|name| name.starts_with(folded_query))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn the_quick_path_folds_like_full_normalisation(text in "\\PC{0,12}", kana in "[ぁ-ゖァ-ヺｦ-ﾟ山田ー・ 　A-Za-zＡ-Ｚ]{0,12}") {
            for text in [text, kana] {
                // The reference: normalise fully before and after folding.
                let reference = fold_normalized(fold_normalized(text.nfkc()).nfkc());
                proptest::prop_assert_eq!(fold_for_search(&text), reference);
                // Folding is idempotent, so folded keys and folded queries compare.
                proptest::prop_assert_eq!(fold_for_search(&fold_for_search(&text)), fold_for_search(&text));
            }
        }
    }

    #[test]
    fn kana_and_width_fold_together() {
        let katakana = fold_for_search("ヤマダ");
        assert_eq!(fold_for_search("やまだ"), katakana);
        assert_eq!(fold_for_search("ﾔﾏﾀﾞ"), katakana);
        assert_eq!(fold_for_search("ＹＡＭＡＤＡ"), "yamada");
        assert_eq!(fold_for_search("山田 太郎"), "山田太郎");
    }

    #[test]
    fn prefixes_of_any_name_match() {
        let names = [
            fold_for_search("山田"),
            fold_for_search("ヤマダ"),
            fold_for_search("タロウ"),
        ];
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        assert!(matches_search(&fold_for_search("やま"), &names));
        assert!(matches_search(&fold_for_search("山"), &names));
        assert!(matches_search(&fold_for_search("たろ"), &names));
        assert!(!matches_search(&fold_for_search("まだ"), &names));
    }
}
