//! A patient's documents (書類): choose the document (報告書 of a month,
//! 計画書, 記録書Ⅰ or Ⅱ of a day), let the core prefill its draft from the
//! chart (`document_draft`), edit its free-text fields, then preview it
//! here (an HTML rendering of the same draft, which is also what prints),
//! print it, or make its A4 PDF (`document_pdf`, an audited export) to
//! view in the page and save. The PDF is held in a `blob:` URL only while
//! the screen is open; a change to the draft drops it, so what is saved is
//! what is shown.
//!
//! The draft being edited is kept sealed in the vault (`save_draft` under
//! [`draft_key`], a moment after the last keystroke, as a visit's form
//! is), so leaving the screen or an auto-lock loses no text: the screen
//! opens on it again, and making the same document again (same kind and
//! month or day) brings back the edits rather than the chart's prefill,
//! until "start again from the chart" drops them.
//!
//! "Save in the chart" keeps the draft as a document entry
//! (`save_document`, then `update_document` for later saves of the same
//! one); the chart lists its documents ([`ChartDocuments`]) with who saved
//! each and, once approved by a second person (`approve_document`), who
//! approved it.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use karte_types::{
    AppUser, ChartView, DocumentDraft, DocumentEntry, DocumentKind, DraftInput, EntryId, PatientId,
    Problem,
};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, load_chart, spawn, spawn_or_report, submit};
use crate::components::TextField;
use crate::display;
use crate::files;
use crate::i18n::Tr;
use crate::pages::chart::ChartHeader;
use crate::state::{Action, Page};

/// How long after the last keystroke the draft is kept.
const DRAFT_DELAY: Duration = Duration::from_millis(700);

/// The key the draft being edited is kept under: one per patient.
pub fn draft_key(patient: &PatientId) -> String {
    format!("document-{patient}")
}

/// A kept draft's text as a draft, when it is one.
pub fn kept(text: &str) -> Option<DocumentDraft> {
    serde_json::from_str(text).ok()
}

/// Whether two drafts are of the same document: its kind and its month,
/// day or visit.
pub fn same_document(a: &DocumentDraft, b: &DocumentDraft) -> bool {
    a.kind() == b.kind() && a.detail() == b.detail()
}

/// The choice that makes `draft` again.
fn choice_of(draft: &DocumentDraft, fallback: &Choice) -> Choice {
    let mut choice = fallback.clone();
    choice.kind = draft.kind();
    match draft {
        DocumentDraft::Report(d) => choice.month = format!("{:04}-{:02}", d.year, d.month),
        DocumentDraft::Plan(d) => choice.date = d.made.to_string(),
        DocumentDraft::Record1(d) => choice.date = d.written.to_string(),
        DocumentDraft::Record2(d) => choice.date = d.date.to_string(),
    }
    choice
}

/// One editable field of a document: its name (words
/// `document-field-{name}`, test ids `document-{name}`), whether it is one
/// line (else a paragraph), and where its text is in a draft.
#[derive(Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub one_line: bool,
    read: fn(&DocumentDraft) -> Option<&String>,
    write: fn(&mut DocumentDraft) -> Option<&mut String>,
}

impl Field {
    /// The field's text in `draft` (blank where the draft has none yet).
    pub fn value<'d>(&self, draft: &'d DocumentDraft) -> &'d str {
        (self.read)(draft).map_or("", String::as_str)
    }

    /// Sets the field's text in `draft`.
    pub fn set(&self, draft: &mut DocumentDraft, value: String) {
        if let Some(slot) = (self.write)(draft) {
            *slot = value;
        }
    }
}

/// A paragraph field `$name` of the drafts of `$variant`, at `$field`.
macro_rules! paragraph {
    ($variant:ident, $name:literal, $field:ident) => {
        Field {
            name: $name,
            one_line: false,
            read: |draft| match draft {
                DocumentDraft::$variant(d) => Some(&d.$field),
                _ => None,
            },
            write: |draft| match draft {
                DocumentDraft::$variant(d) => Some(&mut d.$field),
                _ => None,
            },
        }
    };
}

/// A 計画書's first problem's `$field`, made (dated the plan's day) on the
/// first letter typed.
macro_rules! plan_problem {
    ($name:literal, $field:ident) => {
        Field {
            name: $name,
            one_line: false,
            read: |draft| match draft {
                DocumentDraft::Plan(d) => d.problems.first().map(|p| &p.$field),
                _ => None,
            },
            write: |draft| match draft {
                DocumentDraft::Plan(d) => {
                    if d.problems.is_empty() {
                        d.problems.push(karte_types::PlanProblemDraft {
                            date: d.made,
                            problem: String::new(),
                            solution: String::new(),
                            evaluation: String::new(),
                        });
                    }
                    Some(&mut d.problems[0].$field)
                }
                _ => None,
            },
        }
    };
}

const STATION: Field = Field {
    name: "station",
    one_line: true,
    read: |draft| Some(&draft.station().name),
    write: |draft| Some(&mut draft.station_mut().name),
};

const MANAGER: Field = Field {
    name: "manager",
    one_line: true,
    read: |draft| Some(&draft.station().manager),
    write: |draft| Some(&mut draft.station_mut().manager),
};

/// A 記録書Ⅱ's end of visit (`17:30`), kept only once typed.
const END: Field = Field {
    name: "end",
    one_line: true,
    read: |draft| match draft {
        DocumentDraft::Record2(d) => d.end.as_ref(),
        _ => None,
    },
    write: |draft| match draft {
        DocumentDraft::Record2(d) => Some(d.end.get_or_insert_with(String::new)),
        _ => None,
    },
};

const REPORT: &[Field] = &[
    paragraph!(Report, "course", course),
    paragraph!(Report, "adl", adl),
    paragraph!(Report, "care_given", care_given),
    paragraph!(Report, "home_care", home_care),
    paragraph!(Report, "materials", materials),
    paragraph!(Report, "materials_change", materials_change),
    paragraph!(Report, "information", information),
    paragraph!(Report, "notes", notes),
    STATION,
    MANAGER,
];

const PLAN: &[Field] = &[
    paragraph!(Plan, "goals", goals),
    plan_problem!("problem", problem),
    plan_problem!("solution", solution),
    plan_problem!("evaluation", evaluation),
    paragraph!(Plan, "materials", materials),
    paragraph!(Plan, "notes", notes),
    STATION,
    MANAGER,
];

const RECORD1: &[Field] = &[
    paragraph!(Record1, "contacts", contacts),
    paragraph!(Record1, "diagnoses", diagnoses),
    paragraph!(Record1, "allergies", allergies),
    paragraph!(Record1, "medications", medications),
    paragraph!(Record1, "adl", adl),
    STATION,
    MANAGER,
];

const RECORD2: &[Field] = &[
    END,
    paragraph!(Record2, "subjective", subjective),
    paragraph!(Record2, "objective", objective),
    paragraph!(Record2, "assessment", assessment),
    paragraph!(Record2, "plan", plan),
    paragraph!(Record2, "care_given", care_given),
    STATION,
    MANAGER,
];

/// The editable fields of a kind of document, in the form's order.
pub fn fields(kind: DocumentKind) -> &'static [Field] {
    match kind {
        DocumentKind::Report => REPORT,
        DocumentKind::Plan => PLAN,
        DocumentKind::Record1 => RECORD1,
        DocumentKind::Record2 => RECORD2,
    }
}

/// Sets the field named `name` of `draft`'s kind to `value` (nothing for a
/// name the kind lacks).
pub fn set_field(draft: &mut DocumentDraft, name: &str, value: String) {
    if let Some(field) = fields(draft.kind()).iter().find(|f| f.name == name) {
        field.set(draft, value);
    }
}

/// The name a saved PDF gets: `report-2026-11.pdf`.
pub fn pdf_name(draft: &DocumentDraft) -> String {
    let detail: String = draft
        .detail()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{}-{detail}.pdf", draft.kind().as_str())
}

/// What is chosen before a draft is made: the kind, the month of a
/// 報告書, the day of the others.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub kind: DocumentKind,
    pub month: String,
    pub date: String,
}

impl Choice {
    /// A 報告書 of this month, as of today (in Japan).
    pub fn today() -> Choice {
        let today = crate::clock::today();
        Choice {
            kind: DocumentKind::Report,
            month: format!("{:04}-{:02}", today.0.year(), today.0.month() as u8),
            date: today.to_string(),
        }
    }

    /// The request to send, or the field that is wrong.
    pub fn request(&self) -> Result<karte_types::DocumentRequest, (&'static str, String)> {
        let mut request = karte_types::DocumentRequest {
            kind: self.kind,
            month: None,
            date: None,
            visit: None,
        };
        if self.kind == DocumentKind::Report {
            karte_types::parse_month(&self.month).map_err(|e| ("document-month", e.message))?;
            request.month = Some(self.month.trim().to_owned());
        } else {
            let date = karte_types::Date::parse("date", &self.date)
                .map_err(|e| ("document-date", e.message))?;
            request.date = Some(date);
        }
        Ok(request)
    }
}

#[derive(Properties, PartialEq, Clone)]
pub struct DocumentsPageProps {
    pub patient: PatientId,
}

#[component]
pub fn DocumentsPage(props: &DocumentsPageProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let choice = use_state(Choice::today);
    let choice_error = use_state(|| None::<(&'static str, String)>);
    let draft = use_state(|| None::<DocumentDraft>);
    let preview = use_state(|| false);
    let pdf = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let failure = use_state(|| None::<Problem>);
    // Whether the draft shown holds edits kept from before.
    let restored = use_state(|| false);
    // The chart entry the draft was saved as, once it was.
    let saved_entry = use_state(|| None::<EntryId>);
    // Bumped per keystroke: a timer keeps the draft only if none followed.
    let generation = use_memo((), |_| Cell::new(0u64));
    let key = draft_key(&props.patient);

    // The screen opens on the draft left being edited, if there is one.
    {
        let (backend, key, choice, draft, restored, generation) = (
            backend.clone(),
            key.clone(),
            choice.clone(),
            draft.clone(),
            restored.clone(),
            generation.clone(),
        );
        use_effect_with(key.clone(), move |_| {
            spawn(backend.draft(key), move |result| {
                if generation.get() > 0 || draft.is_some() {
                    return;
                }
                if let Ok(Some(saved)) = result
                    && let Some(saved) = kept(&saved.text)
                {
                    choice.set(choice_of(&saved, &choice));
                    draft.set(Some(saved));
                    restored.set(true);
                }
            });
        });
    }
    let keep_later = {
        let (backend, key, generation) = (backend.clone(), key.clone(), generation.clone());
        Rc::new(move |next: DocumentDraft| {
            let now = generation.get() + 1;
            generation.set(now);
            let (backend, key, generation) = (backend.clone(), key.clone(), generation.clone());
            yew::platform::spawn_local(async move {
                yew::platform::time::sleep(DRAFT_DELAY).await;
                if generation.get() != now {
                    return;
                }
                // One that fails to be kept is tried again with the next keystroke.
                let text = serde_json::to_string(&next).unwrap_or_default();
                let _ = backend.save_draft(key, DraftInput { text }).await;
            });
        })
    };

    // The PDF's bytes live in the browser only while they are shown.
    {
        let shown = (*pdf).clone();
        use_effect_with(shown, |shown| {
            let shown = shown.clone();
            move || {
                if let Some(url) = shown {
                    files::forget(&url);
                }
            }
        });
    }

    let choose = |change: fn(&mut Choice, String)| {
        let (choice, choice_error) = (choice.clone(), choice_error.clone());
        Callback::from(move |value: String| {
            let mut next = (*choice).clone();
            change(&mut next, value);
            choice.set(next);
            choice_error.set(None);
        })
    };
    let onkind = {
        let (choice, draft, pdf, preview) =
            (choice.clone(), draft.clone(), pdf.clone(), preview.clone());
        Callback::from(move |e: Event| {
            let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() else {
                return;
            };
            let kind = DocumentKind::ALL
                .iter()
                .copied()
                .find(|k| k.as_str() == select.value())
                .unwrap_or(DocumentKind::Report);
            let mut next = (*choice).clone();
            next.kind = kind;
            choice.set(next);
            draft.set(None);
            pdf.set(None);
            preview.set(false);
        })
    };
    let onsave_entry = {
        let (draft, saved_entry, busy, failure, state, backend, patient, key, generation) = (
            draft.clone(),
            saved_entry.clone(),
            busy.clone(),
            failure.clone(),
            state.clone(),
            backend.clone(),
            props.patient.clone(),
            key.clone(),
            generation.clone(),
        );
        let restored = restored.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(current) = (*draft).clone() else {
                return;
            };
            // The entry holds the draft now: no kept copy lands after this.
            generation.set(generation.get() + 1);
            let (saved_entry2, state2, backend2, patient2, key2, restored2) = (
                saved_entry.clone(),
                state.clone(),
                backend.clone(),
                patient.clone(),
                key.clone(),
                restored.clone(),
            );
            let done = move |entry: EntryId| {
                saved_entry2.set(Some(entry));
                restored2.set(false);
                spawn(backend2.discard_draft(key2), |_| {});
                state2.dispatch(Action::Notice("notice-document-saved"));
                load_chart(&backend2, &state2, patient2);
            };
            // Saved before, here or on an earlier visit to this screen:
            // the entry is updated, not added to.
            let earlier = (*saved_entry).clone().or_else(|| {
                let chart = state.chart.as_ref()?;
                saved_as(chart, state.user.as_ref()?, &current)
            });
            match earlier {
                Some(entry) => submit(
                    &busy,
                    &failure,
                    &state,
                    backend.update_document(patient.clone(), entry.clone(), current),
                    move |()| done(entry),
                ),
                None => submit(
                    &busy,
                    &failure,
                    &state,
                    backend.save_document(patient.clone(), current),
                    done,
                ),
            }
        })
    };
    let onmake = {
        let (restored, key, saved_entry) = (restored.clone(), key.clone(), saved_entry.clone());
        let (choice, choice_error, draft, pdf, preview, busy, failure, state, backend, patient) = (
            choice.clone(),
            choice_error.clone(),
            draft.clone(),
            pdf.clone(),
            preview.clone(),
            busy.clone(),
            failure.clone(),
            state.clone(),
            backend.clone(),
            props.patient.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let request = match choice.request() {
                Ok(request) => request,
                Err(error) => {
                    choice_error.set(Some(error));
                    return;
                }
            };
            let (draft, pdf, preview, restored) = (
                draft.clone(),
                pdf.clone(),
                preview.clone(),
                restored.clone(),
            );
            let kept_edits = backend.draft(key.clone());
            saved_entry.set(None);
            submit(
                &busy,
                &failure,
                &state,
                backend.document_draft(patient.clone(), request),
                move |made| {
                    pdf.set(None);
                    preview.set(false);
                    // The same document edited before comes back as edited.
                    spawn(kept_edits, move |result| {
                        match result.ok().flatten().and_then(|d| kept(&d.text)) {
                            Some(saved) if same_document(&saved, &made) => {
                                draft.set(Some(saved));
                                restored.set(true);
                            }
                            _ => {
                                draft.set(Some(made));
                                restored.set(false);
                            }
                        }
                    });
                },
            );
        })
    };
    let edit = |field: Field| {
        let (draft, pdf, keep_later) = (draft.clone(), pdf.clone(), keep_later.clone());
        Callback::from(move |value: String| {
            if let Some(current) = &*draft {
                let mut next = current.clone();
                field.set(&mut next, value);
                keep_later(next.clone());
                draft.set(Some(next));
                // A PDF made before this edit is no longer the document.
                pdf.set(None);
            }
        })
    };
    // Drops the kept edits and makes the draft again from the chart.
    let onrestart = {
        let (choice, draft, restored, generation, backend, key, busy, failure, state, patient) = (
            choice.clone(),
            draft.clone(),
            restored.clone(),
            generation.clone(),
            backend.clone(),
            key.clone(),
            busy.clone(),
            failure.clone(),
            state.clone(),
            props.patient.clone(),
        );
        let pdf = pdf.clone();
        Callback::from(move |_: MouseEvent| {
            let Ok(request) = choice.request() else {
                return;
            };
            // No kept edit may land after this.
            generation.set(generation.get() + 1);
            let (draft, restored, pdf, backend2, key) = (
                draft.clone(),
                restored.clone(),
                pdf.clone(),
                backend.clone(),
                key.clone(),
            );
            submit(
                &busy,
                &failure,
                &state,
                backend.document_draft(patient.clone(), request),
                move |made| {
                    spawn(backend2.discard_draft(key), |_| {});
                    draft.set(Some(made));
                    restored.set(false);
                    pdf.set(None);
                },
            );
        })
    };
    let onpreview = {
        let preview = preview.clone();
        Callback::from(move |_: MouseEvent| preview.set(true))
    };
    let onprint = {
        let preview = preview.clone();
        Callback::from(move |_: MouseEvent| {
            preview.set(true);
            if let Some(window) = web_sys::window() {
                let _ = window.print();
            }
        })
    };
    let onpdf = {
        let (draft, pdf, busy, failure, state, backend, patient) = (
            draft.clone(),
            pdf.clone(),
            busy.clone(),
            failure.clone(),
            state.clone(),
            backend.clone(),
            props.patient.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some(current) = (*draft).clone() else {
                return;
            };
            let pdf = pdf.clone();
            submit(
                &busy,
                &failure,
                &state,
                backend.document_pdf(patient.clone(), current),
                move |bytes| pdf.set(Some(files::url(bytes.0, "application/pdf"))),
            );
        })
    };
    let onback = {
        let (state, patient) = (state.clone(), props.patient.clone());
        Callback::from(move |_: MouseEvent| {
            state.dispatch(Action::Navigate(Page::Chart(patient.clone())))
        })
    };
    let error_of = |field: &str| {
        choice_error
            .as_ref()
            .filter(|(f, _)| *f == field)
            .map(|_| tr.t(&format!("{field}-error")))
    };

    html! {
        <main data-testid="documents" class="documents-page">
            <div class="no-print"><ChartHeader /></div>
            <h1 class="no-print">{ tr.t("documents-title") }</h1>
            <form class="card no-print" onsubmit={onmake} novalidate=true data-testid="document-choice">
                <div class="grid-form">
                    <div class="field">
                        <label for="document-kind">{ tr.t("document-kind") }</label>
                        <div class="control">
                            <select id="document-kind" data-testid="document-kind" onchange={onkind}>
                                { for DocumentKind::ALL.iter().map(|k| html! {
                                    <option value={k.as_str()} selected={*k == choice.kind}>{ tr.t(&format!("document-kind-{}", k.as_str())) }</option>
                                }) }
                            </select>
                        </div>
                    </div>
                    if choice.kind == DocumentKind::Report {
                        <TextField testid="document-month" kind="month" label={tr.t("document-month")} value={choice.month.clone()}
                            placeholder="2026-11" error={error_of("document-month")} oninput={choose(|c, v| c.month = v)} />
                    } else {
                        <TextField testid="document-date" kind="date" label={tr.t(if choice.kind == DocumentKind::Record2 { "document-visit-date" } else { "document-date" })}
                            value={choice.date.clone()} error={error_of("document-date")} oninput={choose(|c, v| c.date = v)}
                            reading={display::date_reading(&tr, &choice.date)} />
                    }
                </div>
                <div class="actions">
                    <button type="submit" class="primary" data-testid="document-make" disabled={*busy}>{ tr.t("document-make") }</button>
                    <button type="button" class="secondary" data-testid="document-back" onclick={onback}>{ tr.t("document-back") }</button>
                </div>
                if let Some(problem) = &*failure {
                    <p class="error" role="alert" data-testid="document-error">{ display::problem(&tr, problem) }</p>
                }
            </form>
            if let Some(current) = &*draft {
                <section class="card no-print" data-testid="document-form">
                    <h2>{ tr.t(&format!("document-kind-{}", current.kind().as_str())) }</h2>
                    if *restored {
                        <p class="message notice" data-testid="document-restored">
                            { tr.t("document-restored") }{ " " }
                            <button type="button" class="secondary" data-testid="document-restart" onclick={onrestart}>{ tr.t("document-restart") }</button>
                        </p>
                    }
                    if current.physician().is_some_and(|p| p.name.is_empty()) {
                        <p class="message notice" data-testid="document-no-order">{ tr.t("document-no-order") }</p>
                    }
                    <div class="document-fields">
                        { for fields(current.kind()).iter().map(|field| html! {
                            <TextField testid={format!("document-{}", field.name)} label={tr.t(&format!("document-field-{}", field.name))}
                                value={field.value(current).to_owned()} multiline={!field.one_line}
                                placeholder={(field.name == "end").then_some(AttrValue::Static("17:30"))}
                                oninput={edit(*field)} />
                        }) }
                    </div>
                    <div class="actions">
                        <button type="button" class="primary" data-testid="document-preview-button" onclick={onpreview}>{ tr.t("document-preview") }</button>
                        <button type="button" class="secondary" data-testid="document-print" onclick={onprint}>{ tr.t("document-print") }</button>
                        <button type="button" class="secondary" data-testid="document-pdf" onclick={onpdf} disabled={*busy}>{ tr.t("document-pdf") }</button>
                        <button type="button" class="secondary" data-testid="document-save-entry" onclick={onsave_entry} disabled={*busy}>
                            { tr.t(if saved_entry.is_some() { "document-save-entry-again" } else { "document-save-entry" }) }
                        </button>
                    </div>
                </section>
                if let Some(url) = &*pdf {
                    <section class="card no-print" data-testid="document-pdf-view">
                        <div class="actions">
                            <a class="button primary" data-testid="document-save" href={url.clone()} download={pdf_name(current)}>{ tr.t("document-save") }</a>
                        </div>
                        <iframe class="document-pdf-frame" data-testid="document-pdf-frame" src={url.clone()} title={tr.t("document-pdf-title")}></iframe>
                    </section>
                }
                if *preview {
                    <DocumentPreview draft={current.clone()} />
                }
            }
        </main>
    }
}

#[derive(Properties, PartialEq, Clone)]
pub struct DocumentPreviewProps {
    pub draft: DocumentDraft,
}

/// The draft as the form reads, on A4-like paper: its title, the patient,
/// the month's calendar of a 報告書, each field, the physician and the
/// station. The printed page is this.
#[component]
pub fn DocumentPreview(props: &DocumentPreviewProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let draft = &props.draft;
    let patient = draft.patient();
    let when = match draft {
        DocumentDraft::Report(d) => tr.t_args(
            "document-preview-month",
            &[("year", d.year.to_string()), ("month", d.month.to_string())],
        ),
        DocumentDraft::Plan(d) => display::date(&tr, d.made),
        DocumentDraft::Record1(d) => display::date(&tr, d.written),
        DocumentDraft::Record2(d) => format!(
            "{} {}{}",
            display::date(&tr, d.date),
            d.start,
            d.end
                .as_deref()
                .filter(|e| !e.trim().is_empty())
                .map(|e| format!("〜{e}"))
                .unwrap_or_default()
        ),
    };
    let station = match draft {
        DocumentDraft::Report(d) => &d.station,
        DocumentDraft::Plan(d) => &d.station,
        DocumentDraft::Record1(d) => &d.station,
        DocumentDraft::Record2(d) => &d.station,
    };
    html! {
        <article class="document-preview" data-testid="document-preview">
            <h2 data-testid="document-preview-title">{ draft.kind().label_ja() }</h2>
            <p class="document-when" data-testid="document-preview-when">{ when }</p>
            <dl class="document-patient">
                <dt>{ tr.t("document-patient") }</dt><dd data-testid="document-preview-patient">{ patient.name.clone() }</dd>
                <dt>{ tr.t("field-birth") }</dt><dd>{ display::date(&tr, patient.birth) }</dd>
                if !patient.care_level.is_empty() {
                    <dt>{ tr.t("field-care-level") }</dt><dd>{ patient.care_level.clone() }</dd>
                }
                if !patient.address.is_empty() {
                    <dt>{ tr.t("field-address") }</dt><dd>{ patient.address.clone() }</dd>
                }
            </dl>
            if let DocumentDraft::Report(report) = draft {
                <div class="document-calendar" data-testid="document-calendar" aria-label={tr.t("document-calendar")}>
                    { for report.day_symbols().into_iter().enumerate().map(|(i, marks)| html! {
                        <span class={classes!("day", (!marks.is_empty()).then_some("visited"))} data-testid="document-day">
                            <span class="day-number">{ i + 1 }</span>
                            <span class="day-marks">{ marks }</span>
                        </span>
                    }) }
                </div>
                <p class="muted document-legend">{ tr.t("document-legend") }</p>
            }
            { for fields(draft.kind()).iter().filter(|f| !f.one_line).map(|field| html! {
                <section class="document-section">
                    <h3>{ tr.t(&format!("document-field-{}", field.name)) }</h3>
                    <p class="document-text" data-testid={format!("document-preview-{}", field.name)}>{ field.value(draft) }</p>
                </section>
            }) }
            <dl class="document-signature">
                if let Some(physician) = draft.physician() {
                    <dt>{ tr.t("document-physician") }</dt>
                    <dd data-testid="document-preview-physician">{ format!("{} {}", physician.institution, physician.name).trim().to_owned() }</dd>
                }
                <dt>{ tr.t("document-field-station") }</dt>
                <dd data-testid="document-preview-station">{ format!("{} {}", station.name, station.manager).trim().to_owned() }</dd>
            </dl>
        </article>
    }
}

/// Whether `user` may approve `document`: it stands unapproved, and the
/// user is a doctor or an administrator who did not save it.
pub fn may_approve(user: Option<&AppUser>, document: &DocumentEntry) -> bool {
    document.meta.entered_in_error.is_none()
        && !document.input.is_approved()
        && user.is_some_and(|u| {
            matches!(u.role.as_str(), "doctor" | "admin")
                && u.id != document.meta.recorded_by.user.0
        })
}

/// The chart's entry a draft saved again should update rather than add to:
/// the newest standing, unapproved document of the same kind and month
/// (or day, or visit) that `user` saved. An approved one is kept as it is.
pub fn saved_as(chart: &ChartView, user: &AppUser, draft: &DocumentDraft) -> Option<EntryId> {
    let (kind, detail) = (draft.kind(), draft.detail());
    chart
        .documents
        .iter()
        .filter(|d| {
            d.meta.entered_in_error.is_none()
                && !d.input.is_approved()
                && d.meta.recorded_by.user.0 == user.id
                && d.input.kind == kind
                && d.input.detail == detail
        })
        .max_by_key(|d| d.meta.recorded_at)
        .map(|d| d.meta.id.clone())
}

#[derive(Properties, PartialEq, Clone)]
pub struct ChartDocumentsProps {
    pub patient: PatientId,
    pub chart: Rc<ChartView>,
}

/// The documents saved in a chart, newest first: each with its kind and
/// month or day, who saved it and when, and who approved it, or an
/// approve button for one who may.
#[component]
pub fn ChartDocuments(props: &ChartDocumentsProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let approve = |entry: EntryId| {
        let (state, backend, patient) = (state.clone(), backend.clone(), props.patient.clone());
        Callback::from(move |_: MouseEvent| {
            let (state2, backend2, patient2) = (state.clone(), backend.clone(), patient.clone());
            spawn_or_report(
                backend.approve_document(patient.clone(), entry.clone()),
                &state,
                move |()| {
                    state2.dispatch(Action::Notice("notice-document-approved"));
                    load_chart(&backend2, &state2, patient2);
                },
            );
        })
    };
    let documents = &props.chart.documents;
    html! {
        <section class="card" data-testid="chart-documents">
            <h2>{ tr.t("chart-documents-saved") }</h2>
            if documents.is_empty() {
                <p class="muted" data-testid="chart-documents-none">{ tr.t("chart-documents-none") }</p>
            }
            <ul class="document-list">
                { for documents.iter().rev().map(|d| {
                    let voided = d.meta.entered_in_error.is_some();
                    html! {
                        <li class={classes!("document-entry", voided.then_some("voided"))} data-testid="chart-document" data-entry={d.meta.id.to_string()}>
                            <strong>{ tr.t(&format!("document-kind-{}", d.input.kind.as_str())) }</strong>
                            { " " }<span data-testid="chart-document-detail">{ d.input.detail.clone() }</span>
                            <span class="muted">{ format!(" · {} {}", d.meta.recorded_by.user_name, display::time(&tr, d.meta.recorded_at)) }</span>
                            <br />
                            if voided {
                                <span class="muted" data-testid="chart-document-status">{ tr.t("chart-document-voided") }</span>
                            } else if let (Some(name), Some(at)) = (&d.input.approved_by_name, d.input.approved_at) {
                                <span data-testid="chart-document-status">{ tr.t_args("chart-document-approved", &[("name", name.clone()), ("at", display::time(&tr, at))]) }</span>
                            } else {
                                <span data-testid="chart-document-status">{ tr.t("chart-document-unapproved") }</span>
                                if may_approve(state.user.as_ref(), d) {
                                    { " " }<button type="button" class="secondary" data-testid="document-approve" onclick={approve(d.meta.id.clone())}>{ tr.t("document-approve") }</button>
                                }
                            }
                        </li>
                    }
                }) }
            </ul>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use karte_types::{
        Date, DocumentPatient, DocumentPhysician, DocumentStation, PlanDraft, ReportDraft,
        ReportVisit,
    };

    use super::*;
    use crate::i18n::{Language, Localizer};

    fn day(text: &str) -> Date {
        Date::parse("date", text).unwrap()
    }

    pub(crate) fn report() -> DocumentDraft {
        let visit = |d: &str, therapist: bool| ReportVisit {
            date: day(d),
            therapist,
            special_order: false,
            long: false,
        };
        DocumentDraft::Report(ReportDraft {
            patient: DocumentPatient {
                name: "山田 太郎".into(),
                birth: day("1940-03-15"),
                address: "東京都千代田区1-1".into(),
                care_level: "要介護3".into(),
            },
            year: 2026,
            month: 11,
            visits: vec![
                visit("2026-11-03", false),
                visit("2026-11-12", false),
                visit("2026-11-12", true),
            ],
            course: "11/3 褥瘡は縮小".into(),
            adl: String::new(),
            care_given: String::new(),
            home_care: String::new(),
            materials: String::new(),
            materials_change: String::new(),
            information: String::new(),
            notes: String::new(),
            written: day("2026-12-01"),
            station: DocumentStation::default(),
            physician: DocumentPhysician {
                name: "鈴木 一郎".into(),
                institution: "鈴木クリニック".into(),
            },
        })
    }

    #[test]
    fn every_field_of_every_kind_is_editable_and_has_words() {
        let localizer = std::rc::Rc::new(Localizer::new());
        let plan = DocumentDraft::Plan(PlanDraft {
            patient: report().patient().clone(),
            made: day("2026-12-01"),
            reviewed: None,
            goals: String::new(),
            problems: Vec::new(),
            materials: String::new(),
            notes: String::new(),
            station: DocumentStation::default(),
            physician: DocumentPhysician::default(),
        });
        for draft in [report(), plan] {
            for field in fields(draft.kind()) {
                let field = field.name;
                let mut edited = draft.clone();
                set_field(&mut edited, field, format!("{field} を書いた"));
                let value = fields(draft.kind())
                    .iter()
                    .find(|f| f.name == field)
                    .unwrap()
                    .value(&edited);
                assert_eq!(value, format!("{field} を書いた"));
                for language in [Language::Ja, Language::En] {
                    let tr = Tr::new(language, localizer.clone());
                    assert!(
                        tr.has(&format!("document-field-{field}")),
                        "{field} {language:?}"
                    );
                }
            }
        }
        for kind in DocumentKind::ALL {
            for language in [Language::Ja, Language::En] {
                let tr = Tr::new(language, localizer.clone());
                assert!(tr.has(&format!("document-kind-{}", kind.as_str())));
            }
        }
    }

    #[test]
    fn a_plans_problem_is_its_first_dated_the_plans_day() {
        let DocumentDraft::Report(report) = report() else {
            unreachable!()
        };
        let mut plan = DocumentDraft::Plan(PlanDraft {
            patient: report.patient,
            made: day("2026-12-01"),
            reviewed: None,
            goals: String::new(),
            problems: Vec::new(),
            materials: String::new(),
            notes: String::new(),
            station: DocumentStation::default(),
            physician: DocumentPhysician::default(),
        });
        set_field(&mut plan, "evaluation", "改善".into());
        let DocumentDraft::Plan(plan) = plan else {
            unreachable!()
        };
        assert_eq!(plan.problems.len(), 1);
        assert_eq!(plan.problems[0].date, day("2026-12-01"));
        assert_eq!(plan.problems[0].evaluation, "改善");
    }

    #[test]
    fn the_choice_asks_for_a_month_or_a_day() {
        let mut choice = Choice {
            kind: DocumentKind::Report,
            month: "2026-13".into(),
            date: "x".into(),
        };
        assert_eq!(choice.request().unwrap_err().0, "document-month");
        choice.month = " 2026-11 ".into();
        assert_eq!(choice.request().unwrap().month.as_deref(), Some("2026-11"));
        choice.kind = DocumentKind::Plan;
        assert_eq!(choice.request().unwrap_err().0, "document-date");
        choice.date = "2026-12-01".into();
        assert_eq!(choice.request().unwrap().date, Some(day("2026-12-01")));
    }

    /// The preview is the draft as edited: its calendar's marks, the
    /// prefilled course and the text typed, in both languages' headings.
    #[tokio::test]
    async fn the_preview_shows_the_edited_draft_with_its_calendar() {
        let mut draft = report();
        set_field(
            &mut draft,
            "care_given",
            "清拭と服薬確認\n家族へ助言".into(),
        );
        set_field(&mut draft, "station", "みどり訪問看護ステーション".into());
        for language in [Language::Ja, Language::En] {
            let html = crate::render_tests::render(
                language,
                html! { <DocumentPreview draft={draft.clone()} /> },
            )
            .await;
            assert!(html.contains("訪問看護報告書"), "{html}");
            assert!(html.contains("山田 太郎"), "{html}");
            assert!(html.contains("11/3 褥瘡は縮小"), "{html}");
            assert!(html.contains("清拭と服薬確認\n家族へ助言"), "{html}");
            assert!(html.contains("みどり訪問看護ステーション"), "{html}");
            assert!(html.contains("鈴木クリニック 鈴木 一郎"), "{html}");
            // 30 days; ○ on the 3rd, ◎◇ on the 12th.
            assert_eq!(html.matches("data-testid=\"document-day\"").count(), 30);
            assert!(
                html.contains("<span class=\"day-marks\">○</span>"),
                "{html}"
            );
            assert!(
                html.contains("<span class=\"day-marks\">◎◇</span>"),
                "{html}"
            );
        }
        let ja = crate::render_tests::render(
            Language::Ja,
            html! { <DocumentPreview draft={draft.clone()} /> },
        )
        .await;
        assert!(ja.contains("看護・リハビリテーションの内容"), "{ja}");
        assert!(ja.contains("2026年11月"), "{ja}");
        let en =
            crate::render_tests::render(Language::En, html! { <DocumentPreview draft={draft} /> })
                .await;
        assert!(en.contains("Nursing and rehabilitation given"), "{en}");
    }

    #[test]
    fn a_kept_draft_is_the_same_document_only_of_the_same_kind_and_month() {
        let mut edited = report();
        set_field(&mut edited, "notes", "家族同席".into());
        let text = serde_json::to_string(&edited).unwrap();
        let saved = kept(&text).unwrap();
        assert_eq!(saved, edited);
        assert!(same_document(&saved, &report()));
        let DocumentDraft::Report(mut other) = report() else {
            unreachable!()
        };
        other.month = 10;
        assert!(!same_document(&saved, &DocumentDraft::Report(other)));
        assert_eq!(kept("{\"text\":\"a visit form\"}"), None);
        let choice = choice_of(&saved, &Choice::today());
        assert_eq!(
            (choice.kind, choice.month.as_str()),
            (DocumentKind::Report, "2026-11")
        );
    }

    #[test]
    fn only_a_doctor_or_administrator_who_did_not_save_it_may_approve() {
        use karte_types::{Author, DeviceId, DocumentEntryInput, EntryMeta, Timestamp, UserId};
        let document = DocumentEntry {
            meta: EntryMeta {
                id: EntryId::from("e1"),
                recorded_by: Author {
                    user: UserId::from("u-sato"),
                    user_name: "sato".into(),
                    device: DeviceId::from("d"),
                },
                recorded_at: Timestamp(0),
                entered_in_error: None,
            },
            input: DocumentEntryInput::of(&report()),
        };
        let user = |id: &str, role: &str| AppUser {
            id: id.into(),
            name: id.into(),
            role: role.into(),
        };
        assert!(may_approve(Some(&user("u-admin", "admin")), &document));
        assert!(may_approve(Some(&user("u-doc", "doctor")), &document));
        assert!(
            !may_approve(Some(&user("u-sato", "admin")), &document),
            "not one's own"
        );
        assert!(!may_approve(Some(&user("u-nurse", "nurse")), &document));
        assert!(!may_approve(None, &document));
        let mut approved = document.clone();
        approved.input.approved_at = Some(Timestamp(1));
        assert!(!may_approve(Some(&user("u-admin", "admin")), &approved));
    }

    #[test]
    fn a_draft_saved_again_updates_its_own_unapproved_entry_only() {
        use karte_types::{Author, DeviceId, DocumentEntryInput, EntryMeta, Timestamp, UserId};
        let entry = |id: &str, by: &str, at: i64| DocumentEntry {
            meta: EntryMeta {
                id: EntryId::from(id),
                recorded_by: Author {
                    user: UserId::from(by),
                    user_name: by.into(),
                    device: DeviceId::from("d"),
                },
                recorded_at: Timestamp(at),
                entered_in_error: None,
            },
            input: DocumentEntryInput::of(&report()),
        };
        let sato = AppUser {
            id: "u-sato".into(),
            name: "sato".into(),
            role: "nurse".into(),
        };
        let mut chart = crate::state::tests::chart("p1");
        assert_eq!(
            saved_as(&chart, &sato, &report()),
            None,
            "nothing saved yet"
        );
        chart.documents = vec![entry("older", "u-sato", 1), entry("newer", "u-sato", 2)];
        assert_eq!(
            saved_as(&chart, &sato, &report()),
            Some(EntryId::from("newer"))
        );
        chart.documents[1].input.approved_at = Some(Timestamp(3));
        assert_eq!(
            saved_as(&chart, &sato, &report()),
            Some(EntryId::from("older")),
            "an approved one is left as it is"
        );
        chart.documents = vec![entry("hers", "u-ito", 1)];
        assert_eq!(
            saved_as(&chart, &sato, &report()),
            None,
            "another's is not rewritten"
        );
    }

    #[test]
    fn the_pdf_is_named_by_its_kind_and_month() {
        assert_eq!(pdf_name(&report()), "report-2026-11.pdf");
    }
}
