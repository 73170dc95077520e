//! The allergy banner at the top of every chart screen. It is never blank:
//! it lists the active allergies, or says "no known allergies", or warns
//! that nobody has asked yet.

use karte_types::{AllergyStatus, ChartView, ClinicalStatus, Criticality};
use yew::prelude::*;

use crate::display;
use crate::i18n::Tr;

#[derive(Properties, PartialEq, Clone)]
pub struct AllergyBannerProps {
    pub status: AllergyStatus,
    /// (substance, category code, high criticality, reaction).
    pub allergies: Vec<(String, &'static str, bool, Option<String>)>,
}

impl AllergyBannerProps {
    /// The banner's content for a chart: active allergies not entered in error.
    pub fn of(chart: &ChartView) -> AllergyBannerProps {
        AllergyBannerProps {
            status: chart.allergy_status,
            allergies: chart
                .allergies
                .iter()
                .filter(|a| a.meta.entered_in_error.is_none())
                .filter(|a| a.input.status == ClinicalStatus::Active)
                .map(|a| {
                    (
                        a.input.substance.clone(),
                        a.input.category.code(),
                        a.input.criticality == Criticality::High,
                        a.input.reaction.clone(),
                    )
                })
                .collect(),
        }
    }
}

#[component]
pub fn AllergyBanner(props: &AllergyBannerProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let (class, body) = if !props.allergies.is_empty() {
        (
            "allergy-banner has-allergies",
            html! {
                <>
                    <strong>{ tr.t("allergy-banner-title") }</strong>
                    <ul>
                        { for props.allergies.iter().map(|(substance, category, high, reaction)| html! {
                            <li data-testid="allergy-item" class={classes!(high.then_some("high"))}>
                                <span class="substance">{ substance.clone() }</span>
                                <span class="category">{ format!("（{}）", display::coded(&tr, "category", category)) }</span>
                                if *high { <span class="badge">{ tr.t("allergy-high") }</span> }
                                if let Some(reaction) = reaction { <span class="reaction">{ reaction.clone() }</span> }
                            </li>
                        }) }
                    </ul>
                </>
            },
        )
    } else if props.status == AllergyStatus::NoKnownAllergies {
        (
            "allergy-banner none",
            html! { <strong>{ tr.t("allergy-none-known") }</strong> },
        )
    } else if props.status == AllergyStatus::Recorded {
        (
            "allergy-banner none",
            html! { <strong>{ tr.t("allergy-none-active") }</strong> },
        )
    } else {
        (
            "allergy-banner not-recorded",
            html! { <strong>{ tr.t("allergy-not-recorded") }</strong> },
        )
    };
    html! {
        <section class={class} data-testid="allergy-banner" role="status">{ body }</section>
    }
}
