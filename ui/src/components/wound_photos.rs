//! The chart's wound photos (写真): taken with the tablet's camera or
//! chosen from a file, linked to a wound and to its DESIGN-R, and shown
//! side by side over time, one row per wound.
//!
//! The pictures come from the vault through the backend as thumbnails and
//! are shown as `data:` URLs: nothing is written to a file, and the bytes
//! live only in this component's memory while the chart is open.

use std::collections::HashMap;
use std::rc::Rc;

use karte_types::{
    Base64Bytes, ChartView, EntryId, ErrorCode, PatientId, Photo, PhotoSize, PhotoUpload, Problem,
    Scale, photos_by_wound,
};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, spawn};
use crate::display;
use crate::files;
use crate::i18n::Tr;
use crate::state::Action;

#[derive(Properties, Clone)]
pub struct WoundPhotosProps {
    pub patient: PatientId,
    pub chart: Rc<ChartView>,
}

impl PartialEq for WoundPhotosProps {
    fn eq(&self, other: &Self) -> bool {
        self.patient == other.patient && Rc::ptr_eq(&self.chart, &other.chart)
    }
}

/// A picture as an `<img>` source.
pub fn data_url(media_type: &str, data: &Base64Bytes) -> String {
    format!("data:{media_type};base64,{}", data.encode())
}

/// The DESIGN-R assessments a photo of `wound` may link, newest first:
/// (entry, `2026年11月25日 D3-e1s6i0g3n3p0:13`).
pub fn design_r_choices(tr: &Tr, chart: &ChartView, wound: &str) -> Vec<(EntryId, String)> {
    let mut choices: Vec<(EntryId, String)> = chart
        .assessments
        .iter()
        .rev()
        .filter(|a| a.meta.entered_in_error.is_none())
        .filter_map(|a| match &a.input.scale {
            Scale::DesignR(d) if wound.trim().is_empty() || d.wound == wound.trim() => Some((
                a.meta.id.clone(),
                format!(
                    "{} {} {}",
                    display::date(tr, a.input.at.date_jst()),
                    d.wound,
                    d.notation()
                ),
            )),
            _ => None,
        })
        .collect();
    choices.dedup_by(|a, b| a.0 == b.0);
    choices
}

/// The wounds the chart names in its DESIGN-R assessments, for the wound
/// field's suggestions.
fn known_wounds(chart: &ChartView) -> Vec<String> {
    chart
        .scale_trends()
        .design_r
        .into_iter()
        .map(|(wound, _)| wound)
        .collect()
}

#[component]
pub fn WoundPhotos(props: &WoundPhotosProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let photos = use_state(|| None::<Vec<Photo>>);
    let thumbnails = use_state(HashMap::<EntryId, String>::new);
    let wound = use_state(String::new);
    let assessment = use_state(|| None::<EntryId>);
    let busy = use_state(|| false);
    // Why the last file was refused, told in the section itself: the app's
    // banner is at the top of the chart, out of sight below the fold.
    let refused = use_state(|| None::<Problem>);
    // Bumped after each photo added, to load the list again.
    let generation = use_state(|| 0u32);

    {
        let (backend, photos, thumbnails) = (backend.clone(), photos.clone(), thumbnails.clone());
        use_effect_with((props.patient.clone(), *generation), move |(patient, _)| {
            let patient = patient.clone();
            spawn(backend.photos(patient.clone()), move |result| {
                let list = result.unwrap_or_default();
                // Thumbnails one by one, each shown as it arrives.
                let shared = Rc::new(std::cell::RefCell::new((*thumbnails).clone()));
                for photo in &list {
                    if shared.borrow().contains_key(&photo.meta.id) {
                        continue;
                    }
                    let (thumbnails, shared, entry) =
                        (thumbnails.clone(), shared.clone(), photo.meta.id.clone());
                    spawn(
                        backend.photo(patient.clone(), entry.clone(), PhotoSize::Thumbnail),
                        move |result| {
                            let shown = match result {
                                Ok(image) => data_url(&image.media_type, &image.data),
                                // Not fetched from the hub yet: said so in
                                // words, not as an error.
                                Err(problem) if problem.code == ErrorCode::PhotoNotHere => {
                                    NOT_YET_HERE.to_owned()
                                }
                                Err(_) => return,
                            };
                            shared.borrow_mut().insert(entry, shown);
                            thumbnails.set(shared.borrow().clone());
                        },
                    );
                }
                photos.set(Some(list));
            });
        });
    }

    let onfile = {
        let (state, backend, busy, generation, refused) = (
            state.clone(),
            backend.clone(),
            busy.clone(),
            generation.clone(),
            refused.clone(),
        );
        let (wound, assessment, patient) =
            (wound.clone(), assessment.clone(), props.patient.clone());
        Callback::from(move |event: Event| {
            let Some(input) = event.target_dyn_into::<web_sys::HtmlInputElement>() else {
                return;
            };
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            // The same file may be chosen again after a refusal.
            input.set_value("");
            busy.set(true);
            refused.set(None);
            let (state, backend, busy, generation, refused) = (
                state.clone(),
                backend.clone(),
                busy.clone(),
                generation.clone(),
                refused.clone(),
            );
            let named = Some((*wound).trim().to_owned()).filter(|w| !w.is_empty());
            let (assessment, patient) = ((*assessment).clone(), patient.clone());
            yew::platform::spawn_local(async move {
                let bytes = match files::read(&file, karte_types::ErrorCode::NotAnImage).await {
                    Ok(bytes) => bytes,
                    Err(problem) => {
                        busy.set(false);
                        refused.set(Some(problem));
                        return;
                    }
                };
                let upload = PhotoUpload {
                    file: Base64Bytes(bytes),
                    // The core's clock dates the photo: a file's modification
                    // time is the browser's clock (or a copy's), not the app's.
                    taken_at: None,
                    wound: named,
                    assessment,
                };
                spawn(backend.add_photo(patient, upload), move |result| {
                    busy.set(false);
                    match result {
                        Ok(_) => {
                            state.dispatch(Action::Notice("notice-saved"));
                            generation.set(*generation + 1);
                        }
                        Err(problem) if refused_here(&problem) => refused.set(Some(problem)),
                        // A locked vault and the like: the app's own handling.
                        Err(problem) => state.dispatch(Action::Failed(problem)),
                    }
                });
            });
        })
    };

    let chart = &props.chart;
    let wounds = known_wounds(chart);
    let choices = design_r_choices(&tr, chart, &wound);
    let groups = photos.as_ref().map(|list| photos_by_wound(list));
    let rows = match groups {
        None => html! { <p class="muted">{ tr.t("loading") }</p> },
        Some(groups) if groups.is_empty() => {
            html! { <p class="muted" data-testid="photos-none">{ tr.t("photos-none") }</p> }
        }
        Some(groups) => html! {
            { for groups.into_iter().map(|(wound, list)| html! {
                <div class="photo-wound" data-testid="photo-wound-row">
                    <h3>{ wound.unwrap_or_else(|| tr.t("photos-no-wound")) }</h3>
                    <div class="photo-strip" style="display:flex;gap:0.75rem;overflow-x:auto;padding-bottom:0.5rem">
                        { for list.iter().map(|photo| html! {
                            <figure class="photo" data-testid="photo" style="margin:0;flex:0 0 auto;width:160px">
                                if thumbnails.get(&photo.meta.id).is_some_and(|src| src == NOT_YET_HERE) {
                                    <div class="photo-placeholder" data-testid="photo-not-yet-here" style="width:160px;height:120px;background:var(--line);border-radius:6px;display:flex;align-items:center;justify-content:center;text-align:center;padding:0.5rem;box-sizing:border-box">
                                        { tr.t("photos-not-yet-here") }
                                    </div>
                                } else if let Some(src) = thumbnails.get(&photo.meta.id) {
                                    <img src={src.clone()} alt={tr.t("photos-title")} style="width:160px;height:120px;object-fit:cover;border-radius:6px" />
                                } else {
                                    <div class="photo-placeholder" style="width:160px;height:120px;background:var(--line);border-radius:6px" />
                                }
                                <figcaption>
                                    <span>{ display::time(&tr, photo.input.taken_at) }</span>
                                    if let Some(link) = &photo.input.assessment {
                                        <span class="muted">{ design_r_label(chart, link) }</span>
                                    }
                                </figcaption>
                            </figure>
                        }) }
                    </div>
                </div>
            }) }
        },
    };
    html! {
        <section class="card wound-photos" data-testid="photos">
            <h2>{ tr.t("photos-title") }</h2>
            <div class="photo-add">
                <label>
                    { tr.t("photos-wound") }
                    <input type="text" list="photo-wounds" data-testid="photo-wound"
                        value={(*wound).clone()}
                        oninput={let wound = wound.clone(); let assessment = assessment.clone(); Callback::from(move |e: InputEvent| {
                            if let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() {
                                wound.set(input.value());
                                assessment.set(None);
                            }
                        })} />
                    <datalist id="photo-wounds">
                        { for wounds.iter().map(|w| html! { <option value={w.clone()} /> }) }
                    </datalist>
                </label>
                <label>
                    { tr.t("photos-design-r") }
                    <select data-testid="photo-design-r"
                        onchange={let assessment = assessment.clone(); Callback::from(move |e: Event| {
                            if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                                let value = select.value();
                                assessment.set(Some(EntryId(value.clone())).filter(|_| !value.is_empty()));
                            }
                        })}>
                        <option value="" selected={assessment.is_none()}>{ tr.t("photos-no-design-r") }</option>
                        { for choices.iter().map(|(id, label)| html! {
                            <option value={id.to_string()} selected={assessment.as_ref() == Some(id)}>{ label.clone() }</option>
                        }) }
                    </select>
                </label>
                <label class="photo-pick primary">
                    { tr.t("photos-take") }
                    <input type="file" accept="image/*" capture="environment"
                        data-testid="photo-camera" disabled={*busy} onchange={onfile.clone()} />
                </label>
                <label class="photo-pick secondary">
                    { tr.t("photos-choose") }
                    <input type="file" accept="image/jpeg,image/png"
                        data-testid="photo-file" disabled={*busy} onchange={onfile} />
                </label>
                if *busy {
                    <span class="muted" data-testid="photo-saving">{ tr.t("photos-saving") }</span>
                }
            </div>
            <super::DesignREntry patient={props.patient.clone()} wounds={wounds.clone()}
                visit={super::design_r_entry::todays_visit(chart, crate::clock::today())} />
            if let Some(problem) = &*refused {
                <p class="message problem" role="alert" data-testid="photo-error">{ display::problem(&tr, problem) }</p>
            }
            <p class="muted">{ tr.t("photos-private") }</p>
            { rows }
        </section>
    }
}

/// What the thumbnails map holds for a photo whose bytes have not reached
/// this device yet, in place of a picture's data URL.
const NOT_YET_HERE: &str = "not-yet-here";

/// Whether a failure to add a photo is about the file or what was typed,
/// and so is told beside the picker.
fn refused_here(problem: &Problem) -> bool {
    matches!(
        problem.code,
        ErrorCode::NotAnImage | ErrorCode::PhotoTooLarge | ErrorCode::InvalidInput
    )
}

/// The DESIGN-R notation of the assessment a photo links, if the chart has it.
fn design_r_label(chart: &ChartView, link: &EntryId) -> String {
    chart
        .assessments
        .iter()
        .find(|a| a.meta.id == *link)
        .and_then(|a| match &a.input.scale {
            Scale::DesignR(d) => Some(d.notation()),
            _ => None,
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thumbnail_is_shown_from_memory_as_a_data_url() {
        let url = data_url("image/jpeg", &Base64Bytes(vec![0xFF, 0xD8, 0xFF]));
        assert_eq!(url, "data:image/jpeg;base64,/9j/");
    }

    #[test]
    fn a_refused_file_is_told_beside_the_picker_and_a_locked_vault_is_not() {
        assert!(refused_here(&Problem::new(ErrorCode::NotAnImage, "x")));
        assert!(refused_here(&Problem::new(ErrorCode::PhotoTooLarge, "x")));
        assert!(!refused_here(&Problem::new(ErrorCode::Locked, "x")));
    }
}
