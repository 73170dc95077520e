//! Merging a conflict by hand: for a text field changed on two devices, the
//! user may write a value that combines both instead of keeping one. Only
//! offered where every value is text, so no number or code can be typed in
//! unchecked.

use karte_types::{ConflictValue, ReviewId};
use yew::prelude::*;

use crate::components::TextField;
use crate::components::review_list::readable_value;
use crate::i18n::Tr;

#[derive(Properties, PartialEq, Clone)]
pub struct ReviewMergeProps {
    pub review: ReviewId,
    pub values: Vec<ConflictValue>,
    /// (review, merged value as JSON) when the user saves a merge.
    pub onresolve: Callback<(ReviewId, String)>,
    #[prop_or_default]
    pub busy: bool,
}

/// Whether every value is a JSON string, so a typed text may replace them.
pub fn mergeable(values: &[ConflictValue]) -> bool {
    !values.is_empty()
        && values.iter().all(|v| {
            matches!(
                serde_json::from_str::<serde_json::Value>(&v.value),
                Ok(serde_json::Value::String(_))
            )
        })
}

/// The merged value to record: the typed text as a JSON string, or `None`
/// when nothing but blanks was typed.
pub fn merged_value(typed: &str) -> Option<String> {
    let text = typed.trim();
    (!text.is_empty()).then(|| serde_json::Value::String(text.to_owned()).to_string())
}

#[component]
pub fn ReviewMerge(props: &ReviewMergeProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    // Starts from the values side by side, so combining them is an edit.
    let initial = props
        .values
        .iter()
        .map(|v| readable_value(&v.value))
        .collect::<Vec<_>>()
        .join(" / ");
    let text = use_state(move || initial);
    let attempted = use_state(|| false);
    if !mergeable(&props.values) {
        return html! {};
    }
    let onsubmit = {
        let (text, attempted) = (text.clone(), attempted.clone());
        let (onresolve, review) = (props.onresolve.clone(), props.review.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            attempted.set(true);
            if let Some(value) = merged_value(&text) {
                onresolve.emit((review.clone(), value));
            }
        })
    };
    let error = (*attempted && merged_value(&text).is_none()).then(|| tr.t("review-merge-empty"));
    let oninput = {
        let text = text.clone();
        Callback::from(move |value: String| text.set(value))
    };
    html! {
        <form class="review-merge" data-testid="review-merge" onsubmit={onsubmit} novalidate=true>
            <TextField testid="review-merge-text" label={tr.t("review-merge-label")} value={(*text).clone()}
                error={error} oninput={oninput} />
            <button type="submit" class="secondary" data-testid="review-merge-save" disabled={props.busy}>
                { tr.t("review-merge-save") }
            </button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(json: &str) -> ConflictValue {
        ConflictValue {
            value: json.into(),
            author: None,
            at: None,
        }
    }

    #[test]
    fn only_text_conflicts_may_be_merged_by_typing() {
        assert!(mergeable(&[
            value("\"東京都\""),
            value("\"東京都世田谷区\"")
        ]));
        assert!(!mergeable(&[value("80"), value("\"80\"")]));
        assert!(!mergeable(&[value("null"), value("\"x\"")]));
        assert!(!mergeable(&[]));
    }

    #[test]
    fn the_merged_value_is_the_trimmed_text_as_json() {
        assert_eq!(
            merged_value("  a / \"b\" "),
            Some(r#""a / \"b\"""#.to_owned())
        );
        assert_eq!(merged_value("   "), None);
    }
}
