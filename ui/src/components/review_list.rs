//! Conflicts and clinical inconsistencies waiting for a person: each value
//! with its author and time, and a button to keep it; a text conflict may
//! also be merged by typing.

use karte_types::{Review, ReviewId, ReviewKind};
use yew::prelude::*;

use crate::components::ReviewMerge;
use crate::display;
use crate::i18n::Tr;

#[derive(Properties, PartialEq, Clone)]
pub struct ReviewListProps {
    /// The open reviews only.
    pub reviews: Vec<Review>,
    /// (review, chosen value) when the user keeps a value.
    pub onresolve: Callback<(ReviewId, String)>,
    #[prop_or_default]
    pub busy: bool,
}

/// A value as a person reads it: JSON strings without their quotes.
pub fn readable_value(json: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Null) => "—".to_owned(),
        _ => json.to_owned(),
    }
}

/// A value in the user's words: a sex by its name (男性, not `male`),
/// anything else as `readable_value`.
fn shown_value(tr: &Tr, field: &str, json: &str) -> String {
    let value = readable_value(json);
    if field == "sex" {
        display::coded(tr, "sex", &value)
    } else {
        value
    }
}

/// The field a review is about, from its path, e.g. `patient/phone` -> `phone`.
fn field_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The field's name in the user's language; the chart's keys are written
/// with underscores (`family_kana`), the form's labels with hyphens.
fn field_label(tr: &Tr, field: &str) -> String {
    let hyphenated = field.replace('_', "-");
    if tr.has(&format!("field-{hyphenated}")) {
        display::coded(tr, "field", &hyphenated)
    } else {
        display::coded(tr, "field", field)
    }
}

#[component]
pub fn ReviewList(props: &ReviewListProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    if props.reviews.is_empty() {
        return html! {};
    }
    html! {
        <section class="card reviews" data-testid="reviews">
            <h2>{ tr.t("review-title") }</h2>
            { for props.reviews.iter().map(|review| {
                let field = field_of(&review.path);
                let heading = match &review.kind {
                    ReviewKind::ConcurrentValues => tr.t_args("review-concurrent", &[("field", field_label(&tr, field))]),
                    // A rule with words of its own (the identity checks of a
                    // link) reads as them; others by their code.
                    ReviewKind::Clinical { rule } if tr.has(&format!("review-rule-{rule}")) => tr.t(&format!("review-rule-{rule}")),
                    ReviewKind::Clinical { rule } => tr.t_args("review-clinical", &[("rule", rule.clone())]),
                };
                html! {
                    <article class="review" data-testid="review" data-review-id={review.id.to_string()}>
                        <h3>{ heading }</h3>
                        <ul class="review-values">
                            { for review.values.iter().enumerate().map(|(i, value)| {
                                let onclick = {
                                    let onresolve = props.onresolve.clone();
                                    let id = review.id.clone();
                                    let chosen = value.value.clone();
                                    Callback::from(move |_| onresolve.emit((id.clone(), chosen.clone())))
                                };
                                html! {
                                    <li data-testid="review-value">
                                        <span class="value" data-testid="review-value-text">{ shown_value(&tr, field, &value.value) }</span>
                                        <span class="author" data-testid="review-value-author">
                                            { value.author.as_ref().map(|a| a.user_name.clone()).unwrap_or_else(|| tr.t("review-unknown-author")) }
                                        </span>
                                        <time>{ value.at.map(|at| display::time(&tr, at)).unwrap_or_default() }</time>
                                        <button type="button" data-testid={format!("review-keep-{i}")} onclick={onclick} disabled={props.busy}>
                                            { tr.t("review-keep") }
                                        </button>
                                    </li>
                                }
                            }) }
                        </ul>
                        if matches!(review.kind, ReviewKind::ConcurrentValues) {
                            <ReviewMerge review={review.id.clone()} values={review.values.clone()}
                                onresolve={props.onresolve.clone()} busy={props.busy} />
                        }
                    </article>
                }
            }) }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_without_json_quotes() {
        assert_eq!(readable_value("\"090-1234-5678\""), "090-1234-5678");
        assert_eq!(readable_value("null"), "—");
        assert_eq!(readable_value("36.8"), "36.8");
        assert_eq!(field_of("patient/phone"), "phone");
        let tr = Tr::default();
        assert_eq!(field_label(&tr, "family_kana"), "姓（かな）");
        assert_eq!(field_label(&tr, "something_new"), "something_new");
    }
}
