//! Disaster mode's daily report (診療日報): a day (today in Japan by the
//! core's clock unless changed) and a site, then the core's
//! `disaster_report` drawn per team: the consultations, who was seen (sex
//! by the report's age groups, pregnant women) and the count of each
//! J-SPEED item, named by the item list in `karte-types`. A print button
//! (the print style sheet leaves the app around it out) and the WHO EMT
//! MDS CSV (`DailyReport::mds_csv`) as a download.

use karte_types::{
    DailyReport, Date, JSPEED_2018, JSpeedItem, Problem, ReportAgeGroup, TeamCounts,
};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, submit};
use crate::components::TextField;
use crate::display;
use crate::forms::{FieldErrors, error_text, from_problem};
use crate::i18n::{Language, Tr};
use crate::state::{Action, Page};

/// The report's day and site as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportForm {
    pub date: String,
    pub site: String,
}

impl ReportForm {
    /// Today (in Japan) and no site yet.
    pub fn today() -> ReportForm {
        ReportForm {
            date: crate::clock::today().to_string(),
            site: String::new(),
        }
    }

    /// The day and site to ask for, or what is missing.
    pub fn request(&self) -> Result<(Date, String), FieldErrors> {
        let mut errors = FieldErrors::new();
        let date = Date::parse("report-date", &self.date)
            .map_err(|e| errors.insert("report-date".to_owned(), e))
            .ok();
        if self.site.trim().is_empty() {
            errors.insert(
                "site".to_owned(),
                karte_types::ValidationError::new("site", "required", "give the site"),
            );
        }
        match date {
            Some(date) if errors.is_empty() => Ok((date, self.site.trim().to_owned())),
            _ => Err(errors),
        }
    }
}

/// The items of a team's counts in the form's order: (item, count).
pub fn item_rows(team: &TeamCounts) -> Vec<(&'static JSpeedItem, u32)> {
    JSPEED_2018
        .iter()
        .filter_map(|item| team.items.get(item.code).map(|n| (item, *n)))
        .collect()
}

/// An age group's heading (`report-age-65-plus`: a message id has no `+`).
pub fn age_group_words(tr: &Tr, group: ReportAgeGroup) -> String {
    tr.t(&format!(
        "report-age-{}",
        group.code().replace('+', "-plus")
    ))
}

/// The file name of the CSV: `jspeed-mds-2026-12-07.csv`.
pub fn csv_name(report: &DailyReport) -> String {
    format!("jspeed-mds-{}.csv", report.date)
}

/// The CSV as a `data:` link (with a byte order mark, so a spreadsheet
/// reads the site's Japanese name as UTF-8).
pub fn csv_link(report: &DailyReport) -> String {
    let text = format!("\u{feff}{}", report.mds_csv());
    let mut link = String::from("data:text/csv;charset=utf-8,");
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            link.push(byte as char);
        } else {
            link.push_str(&format!("%{byte:02X}"));
        }
    }
    link
}

#[component]
pub fn DailyReportPage() -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let form = use_state(ReportForm::today);
    let attempted = use_state(|| false);
    let busy = use_state(|| false);
    let report = use_state(|| None::<DailyReport>);
    let failure = use_state(|| None::<Problem>);

    let mut errors = if *attempted {
        form.request().err().unwrap_or_default()
    } else {
        FieldErrors::new()
    };
    if let Some(problem) = &*failure {
        for (field, error) in from_problem(problem) {
            errors.entry(field).or_insert(error);
        }
    }
    let edit = |change: fn(&mut ReportForm, String)| {
        let (form, report) = (form.clone(), report.clone());
        Callback::from(move |value: String| {
            let mut next = (*form).clone();
            change(&mut next, value);
            form.set(next);
            // What is shown is always the report of what is typed.
            report.set(None);
        })
    };
    let onsubmit = {
        let (form, attempted, busy, report, failure, state, backend) = (
            form.clone(),
            attempted.clone(),
            busy.clone(),
            report.clone(),
            failure.clone(),
            state.clone(),
            backend.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            attempted.set(true);
            let Ok((date, site)) = form.request() else {
                return;
            };
            let report = report.clone();
            submit(
                &busy,
                &failure,
                &state,
                backend.disaster_report(date, site),
                move |answer| report.set(Some(answer)),
            );
        })
    };
    let onprint = Callback::from(|_: MouseEvent| {
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    });
    let onback = {
        let state = state.clone();
        Callback::from(move |_: MouseEvent| state.dispatch(Action::Navigate(Page::Disaster)))
    };
    html! {
        <main data-testid="daily-report" class="daily-report">
            <h1>{ tr.t("report-title") }</h1>
            <form onsubmit={onsubmit} novalidate=true class="no-print">
                <div class="grid-form">
                    <TextField testid="report-date" kind="date" label={tr.t("field-report-date")} value={form.date.clone()}
                        error={error_text(&tr, &errors, "report-date")} oninput={edit(|f, v| f.date = v)}
                        reading={display::date_reading(&tr, &form.date)} />
                    <TextField testid="report-site" label={tr.t("field-site")} value={form.site.clone()}
                        placeholder={tr.t("report-site-example")}
                        error={error_text(&tr, &errors, "site")} oninput={edit(|f, v| f.site = v)} />
                </div>
                <div class="actions">
                    <button type="submit" class="primary" data-testid="report-show" disabled={*busy}>{ tr.t("report-show") }</button>
                    <button type="button" class="secondary" data-testid="report-back" onclick={onback}>{ tr.t("report-back") }</button>
                </div>
                if let Some(problem) = failure.as_ref().filter(|p| p.fields.is_empty()) {
                    <p class="error" role="alert" data-testid="report-error">{ display::problem(&tr, problem) }</p>
                }
            </form>
            if let Some(report) = &*report {
                <ReportView report={report.clone()} />
                <div class="actions no-print">
                    <button type="button" class="primary" data-testid="report-print" onclick={onprint}>{ tr.t("report-print") }</button>
                    <a class="button secondary" data-testid="report-csv" href={csv_link(report)} download={csv_name(report)}>{ tr.t("report-csv") }</a>
                </div>
            }
        </main>
    }
}

#[derive(Properties, PartialEq, Clone)]
pub struct ReportViewProps {
    pub report: DailyReport,
}

/// The report as read and printed: its day and site, then each team.
#[component]
pub fn ReportView(props: &ReportViewProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let report = &props.report;
    html! {
        <section class="report" data-testid="report">
            <h2 data-testid="report-heading">{ tr.t_args("report-heading", &[
                ("date", display::date(&tr, report.date)),
                ("site", report.site.clone()),
            ]) }</h2>
            if report.teams.is_empty() {
                <p class="muted" data-testid="report-empty">{ tr.t("report-empty") }</p>
            }
            { for report.teams.iter().map(|team| team_card(&tr, team)) }
        </section>
    }
}

/// One team: consultations, who was seen, and the J-SPEED items counted.
fn team_card(tr: &Tr, team: &TeamCounts) -> Html {
    let ja = tr.language == Language::Ja;
    let row = |label: String, counts: &[u32; 4], testid: &'static str| {
        html! {
            <tr data-testid={testid}>
                <th scope="row">{ label }</th>
                { for counts.iter().map(|n| html! { <td>{ n }</td> }) }
                <td>{ counts.iter().sum::<u32>() }</td>
            </tr>
        }
    };
    html! {
        <article class="card report-team" data-testid="report-team" data-team={team.team.clone()}>
            <h3>{ team.team.clone() }</h3>
            <p>{ tr.t("report-consultations") }{ " " }<strong data-testid="report-consultations">{ team.consultations }</strong></p>
            <div class="table-scroll">
                <table class="report-table" data-testid="report-people">
                    <thead><tr>
                        <th scope="col">{ tr.t("report-who") }</th>
                        { for ReportAgeGroup::ALL.iter().map(|g| html! {
                            <th scope="col">{ age_group_words(tr, *g) }</th>
                        }) }
                        <th scope="col">{ tr.t("report-total") }</th>
                    </tr></thead>
                    <tbody>
                        { row(tr.t("sex-male"), &team.male, "report-male") }
                        { row(tr.t("sex-female"), &team.female, "report-female") }
                        { row(tr.t("report-pregnant"), &team.pregnant, "report-pregnant") }
                        { row(tr.t("report-sex-not-stated"), &team.sex_not_stated, "report-sex-not-stated") }
                    </tbody>
                </table>
            </div>
            <div class="table-scroll">
                <table class="report-table" data-testid="report-items">
                    <thead><tr>
                        <th scope="col">{ tr.t("report-item-number") }</th>
                        <th scope="col">{ tr.t("report-item") }</th>
                        <th scope="col">{ tr.t("report-count") }</th>
                    </tr></thead>
                    <tbody>
                        { for item_rows(team).into_iter().map(|(item, n)| html! {
                            <tr data-testid="report-item" data-code={item.code}>
                                <td>{ item.number }</td>
                                <td>{ if ja { item.ja } else { item.en } }
                                    <span class="muted">{ format!(" ({})", if ja { item.group.label_ja() } else { item.group.label_en() }) }</span></td>
                                <td data-testid="report-item-count">{ n }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_asks_for_a_real_day_and_a_site() {
        let blank = ReportForm {
            date: "2026-12-07".to_owned(),
            site: "  ".to_owned(),
        };
        assert!(blank.request().unwrap_err().contains_key("site"));
        let bad = ReportForm {
            date: "2026-13-40".to_owned(),
            site: "益城町総合体育館".to_owned(),
        };
        assert!(bad.request().unwrap_err().contains_key("report-date"));
        let good = ReportForm {
            date: "2026-12-07".to_owned(),
            site: " 益城町総合体育館 ".to_owned(),
        };
        let (date, site) = good.request().unwrap();
        assert_eq!(date.to_string(), "2026-12-07");
        assert_eq!(site, "益城町総合体育館");
    }

    #[test]
    fn items_are_listed_in_the_forms_order_with_their_counts() {
        let mut team = TeamCounts::default();
        let (first, later) = (&JSPEED_2018[0], &JSPEED_2018[10]);
        team.items.insert(later.code.to_owned(), 2);
        team.items.insert(first.code.to_owned(), 1);
        let rows = item_rows(&team);
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].0.code, rows[0].1), (first.code, 1));
        assert_eq!((rows[1].0.code, rows[1].1), (later.code, 2));
    }

    #[test]
    fn the_csv_link_carries_the_cores_csv_whole() {
        let report = karte_types::daily_report(
            Date::parse("date", "2026-12-07").unwrap(),
            "益城町, 体育館",
            Vec::new(),
        );
        let link = csv_link(&report);
        let body = link.strip_prefix("data:text/csv;charset=utf-8,").unwrap();
        let mut bytes = Vec::new();
        let mut rest = body.as_bytes();
        while let Some((&b, tail)) = rest.split_first() {
            if b == b'%' {
                bytes.push(
                    u8::from_str_radix(std::str::from_utf8(&tail[..2]).unwrap(), 16).unwrap(),
                );
                rest = &tail[2..];
            } else {
                bytes.push(b);
                rest = tail;
            }
        }
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text, format!("\u{feff}{}", report.mds_csv()));
        assert_eq!(csv_name(&report), "jspeed-mds-2026-12-07.csv");
    }

    #[test]
    fn every_age_group_has_words_in_both_languages() {
        let localizer = std::rc::Rc::new(crate::i18n::Localizer::new());
        for language in [Language::Ja, Language::En] {
            let tr = Tr::new(language, localizer.clone());
            for group in ReportAgeGroup::ALL {
                let id = format!("report-age-{}", group.code().replace('+', "-plus"));
                assert!(tr.has(&id), "{id} in {language:?}");
            }
        }
        let ja = Tr::new(Language::Ja, localizer);
        assert_eq!(age_group_words(&ja, ReportAgeGroup::From65), "65歳以上");
    }
}
