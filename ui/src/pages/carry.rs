//! 持ち運び / Carry charts: a carried bundle made for the devices of this
//! device's organisation (every chart, or what changed since the last
//! bundle written to a file) and downloaded, and a bundle from a USB stick
//! or a shared folder taken in, all of it or nothing.
//!
//! The bundle comes back from `bundle_export` as bytes (no `out`: the web
//! view has no file path to give) and is offered as a download from a
//! `blob:` URL made at that moment, dropped when the screen closes or the
//! next bundle is made. The bytes are ciphertext for the organisation's
//! devices, so holding them in the web view's memory keeps no patient data
//! readable; nothing is written to the web view's storage.

use karte_types::{
    AppUser, Base64Bytes, BundleExported, BundleImported, ErrorCode, Problem, SyncState, Timestamp,
    human_bytes,
};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, load_sync_status, refresh_after_change, spawn, submit};
use crate::display;
use crate::files;
use crate::i18n::Tr;
use crate::state::{Action, LOCKED};

/// The roles that may carry charts: `Permission::Export` in the core's
/// roles table (a clerk may not take charts out of the vault). The core
/// refuses the others anyway; the screen says so before a press.
const ROLES_THAT_CARRY: [&str; 3] = ["nurse", "doctor", "admin"];

/// Why a screen that takes charts out of the vault (carrying them, or
/// exchanging them with a nearby device) cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocked {
    /// The user's role may not take charts out.
    Role,
    /// The device is not enrolled: the organisation's devices are known
    /// from the hub.
    NotEnrolled,
}

/// Why such a screen cannot be used, if it cannot.
pub fn why_blocked(user: Option<&AppUser>, sync: Option<&SyncState>) -> Option<Blocked> {
    let may_export = user.is_some_and(|u| ROLES_THAT_CARRY.contains(&u.role.as_str()));
    let enrolled = sync.is_some_and(|s| s.enrolment.is_some());
    if !may_export {
        Some(Blocked::Role)
    } else if !enrolled {
        Some(Blocked::NotEnrolled)
    } else {
        None
    }
}

/// Why neither button can be used, as a message id.
pub fn blocked(user: Option<&AppUser>, sync: Option<&SyncState>) -> Option<&'static str> {
    why_blocked(user, sync).map(|why| match why {
        Blocked::Role => "carry-blocked-role",
        Blocked::NotEnrolled => "carry-blocked-not-enrolled",
    })
}

/// The downloaded file's name, by the app's clock in Japan time:
/// `karte-20261207-0930.kbn` (`.kbn`, as `karte bundle export` names them).
pub fn file_name(at: Timestamp) -> String {
    // `2026-12-07T09:30:00+09:00`
    let rfc = at.to_rfc3339();
    let digits = |range: std::ops::Range<usize>| rfc[range].replace(['-', ':'], "");
    format!("karte-{}-{}.kbn", digits(0..10), digits(11..16))
}

/// What a bundle made holds, in words.
pub fn export_summary(tr: &Tr, made: &BundleExported) -> String {
    tr.t_args(
        if made.since_last {
            "carry-made-since-last"
        } else {
            "carry-made-whole"
        },
        &[
            ("charts", made.charts.to_string()),
            ("changes", made.changes.to_string()),
            ("devices", made.recipients.to_string()),
            ("size", human_bytes(made.bytes)),
        ],
    )
}

/// What a bundle taken in brought, in words.
pub fn import_summary(tr: &Tr, done: &BundleImported) -> String {
    tr.t_args(
        "carry-imported",
        &[
            ("charts", done.charts.to_string()),
            ("new", done.new_charts.to_string()),
            ("changes", done.new_changes.to_string()),
            ("reviews", done.new_reviews.to_string()),
        ],
    )
}

/// What the import area shows after a file was taken in or refused.
#[derive(Debug, Clone, PartialEq)]
enum ImportOutcome {
    Imported(BundleImported),
    /// The bundle was taken in before: nothing to do, not a failure.
    AlreadyImported,
    Refused(Problem),
}

/// Sorts an import's answer: a locked core is the app's to handle (`None`).
fn import_outcome(result: Result<BundleImported, Problem>) -> Option<ImportOutcome> {
    match result {
        Ok(done) => Some(ImportOutcome::Imported(done)),
        Err(problem) if problem.code == ErrorCode::BundleAlreadyImported => {
            Some(ImportOutcome::AlreadyImported)
        }
        Err(problem) if problem.code == LOCKED => None,
        Err(problem) => Some(ImportOutcome::Refused(problem)),
    }
}

/// A bundle made, ready to save.
#[derive(Debug, Clone, PartialEq)]
struct MadeBundle {
    summary: BundleExported,
    url: String,
    name: String,
}

#[component]
pub fn CarryPage() -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let since_last = use_state(|| false);
    let exporting = use_state(|| false);
    let export_failure = use_state(|| None::<Problem>);
    let made = use_state(|| None::<MadeBundle>);
    let importing = use_state(|| false);
    let outcome = use_state(|| None::<ImportOutcome>);

    // The download's URL lives as long as the bundle is offered.
    use_effect_with(made.as_ref().map(|m| m.url.clone()), |url| {
        let url = url.clone();
        move || {
            if let Some(url) = url {
                files::forget(&url);
            }
        }
    });

    let why_not = blocked(state.user.as_ref(), state.sync.as_ref());
    let org = state
        .sync
        .as_ref()
        .and_then(|s| s.enrolment.as_ref())
        .map(|e| (e.org_id.clone(), e.org_name.clone()));

    let onexport = {
        let (state, backend) = (state.clone(), backend.clone());
        let (exporting, export_failure, made) =
            (exporting.clone(), export_failure.clone(), made.clone());
        let since_last = *since_last;
        let org_id = org.as_ref().map(|(id, _)| id.clone()).unwrap_or_default();
        Callback::from(move |_| {
            made.set(None);
            let made = made.clone();
            submit(
                &exporting,
                &export_failure,
                &state,
                backend.bundle_export(org_id.clone(), since_last, None),
                move |mut summary| {
                    let bytes = summary.bundle.take().unwrap_or(Base64Bytes(Vec::new()));
                    made.set(Some(MadeBundle {
                        url: files::url(bytes.0, "application/octet-stream"),
                        name: file_name(crate::clock::now()),
                        summary,
                    }));
                },
            );
        })
    };

    let onfile = {
        let (state, backend) = (state.clone(), backend.clone());
        let (importing, outcome) = (importing.clone(), outcome.clone());
        Callback::from(move |event: Event| {
            let Some(input) = event.target_dyn_into::<web_sys::HtmlInputElement>() else {
                return;
            };
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            // The same file may be chosen again (to see "nothing to do").
            input.set_value("");
            if *importing {
                return;
            }
            importing.set(true);
            outcome.set(None);
            let (state, backend, importing, outcome) = (
                state.clone(),
                backend.clone(),
                importing.clone(),
                outcome.clone(),
            );
            yew::platform::spawn_local(async move {
                let bytes = match files::read(&file, ErrorCode::BundleMalformed).await {
                    Ok(bytes) => bytes,
                    Err(problem) => {
                        importing.set(false);
                        outcome.set(Some(ImportOutcome::Refused(problem)));
                        return;
                    }
                };
                spawn(backend.bundle_import(Base64Bytes(bytes)), move |result| {
                    importing.set(false);
                    let imported = result.is_ok();
                    match import_outcome(result.clone()) {
                        Some(shown) => outcome.set(Some(shown)),
                        None => {
                            if let Err(problem) = result {
                                state.dispatch(Action::Failed(problem));
                            }
                            return;
                        }
                    }
                    if imported {
                        // The list and the status bar: new charts, and
                        // changes to send to the hub at the next sync.
                        refresh_after_change(&backend, &state);
                        load_sync_status(&backend, &state);
                    }
                });
            });
        })
    };

    let choice = |testid: &'static str, label: &'static str, value: bool| {
        let since_last = since_last.clone();
        let chosen = *since_last == value;
        html! {
            <button type="button" data-testid={testid} class={classes!(chosen.then_some("active"))}
                aria-pressed={chosen.to_string()} disabled={why_not.is_some() || *exporting}
                onclick={Callback::from(move |_| since_last.set(value))}>{ tr.t(label) }</button>
        }
    };
    let reason = why_not.map(|id| {
        html! { <p class="message notice carry-reason" role="status" data-testid="carry-blocked">{ tr.t(id) }</p> }
    });

    html! {
        <main class="carry" data-testid="carry">
            <h1>{ tr.t("carry-title") }</h1>
            <p class="muted">{ tr.t("carry-intro") }</p>
            if let Some((_, name)) = &org {
                <p data-testid="carry-org">{ tr.t_args("carry-org", &[("org", name.clone())]) }</p>
            }
            <section class="card" data-testid="carry-export">
                <h2>{ tr.t("carry-export-title") }</h2>
                { reason.clone() }
                <div class="language-switch carry-scope" role="group" aria-label={tr.t("carry-scope")}>
                    { choice("carry-whole", "carry-whole", false) }
                    { choice("carry-since-last", "carry-since-last", true) }
                </div>
                <p class="muted">{ tr.t(if *since_last { "carry-since-last-help" } else { "carry-whole-help" }) }</p>
                <div class="actions">
                    <button type="button" class="primary" data-testid="carry-export-make"
                        disabled={why_not.is_some() || *exporting} onclick={onexport}>
                        { tr.t("carry-export-make") }
                    </button>
                    if *exporting {
                        <span class="muted" role="status" data-testid="carry-exporting">{ tr.t("carry-exporting") }</span>
                    }
                </div>
                if let Some(problem) = &*export_failure {
                    <p class="message problem" role="alert" data-testid="carry-export-error">{ display::problem(&tr, problem) }</p>
                }
                if let Some(made) = &*made {
                    <div class="carry-made" data-testid="carry-made">
                        <p role="status" data-testid="carry-made-summary">{ export_summary(&tr, &made.summary) }</p>
                        if made.summary.not_carried > 0 {
                            <p class="muted" data-testid="carry-not-carried">
                                { tr.t_args("carry-not-carried", &[("count", made.summary.not_carried.to_string())]) }
                            </p>
                        }
                        <a class="button primary" data-testid="carry-save" href={made.url.clone()} download={made.name.clone()}>
                            { tr.t_args("carry-save", &[("file", made.name.clone())]) }
                        </a>
                        <p class="muted">{ tr.t("carry-save-help") }</p>
                    </div>
                }
            </section>
            <section class="card" data-testid="carry-import">
                <h2>{ tr.t("carry-import-title") }</h2>
                { reason }
                <p class="muted">{ tr.t("carry-import-help") }</p>
                <div class="actions">
                    <label class="photo-pick primary">
                        { tr.t("carry-import-choose") }
                        <input type="file" accept=".kbn,application/octet-stream" data-testid="carry-import-file"
                            disabled={why_not.is_some() || *importing} onchange={onfile} />
                    </label>
                    if *importing {
                        <span class="muted" role="status" data-testid="carry-importing">{ tr.t("carry-importing") }</span>
                    }
                </div>
                { match &*outcome {
                    None => html! {},
                    Some(ImportOutcome::Imported(done)) => html! {
                        <p class="message notice" role="status" data-testid="carry-imported">{ import_summary(&tr, done) }</p>
                    },
                    Some(ImportOutcome::AlreadyImported) => html! {
                        <p class="message notice" role="status" data-testid="carry-import-nothing">{ tr.t("carry-import-nothing") }</p>
                    },
                    Some(ImportOutcome::Refused(problem)) => html! {
                        <p class="message problem" role="alert" data-testid="carry-import-error">{ display::problem(&tr, problem) }</p>
                    },
                } }
            </section>
        </main>
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use karte_types::{DeviceId, EnrolmentView};

    use super::*;
    use crate::i18n::Language;

    /// A user of `role`, for the tests of the screens that depend on it.
    pub(crate) fn user(role: &str) -> AppUser {
        AppUser {
            id: "u1".into(),
            name: "sato".into(),
            role: role.into(),
        }
    }

    /// An enrolled device with nothing waiting.
    pub(crate) fn enrolled() -> SyncState {
        SyncState {
            enrolment: Some(EnrolmentView {
                hub_url: "http://127.0.0.1:1".into(),
                org_name: "ひまわり訪問看護".into(),
                org_id: "org-1".into(),
                device_name: "tablet-3".into(),
                enrolled_at: Timestamp(0),
            }),
            charts_to_push: 0,
            pending_shares: 0,
            open_reviews: 0,
            quarantined_charts: 0,
            last_success: None,
            last_error: None,
        }
    }

    #[test]
    fn a_clerk_and_a_device_with_no_hub_may_not_carry() {
        let sync = enrolled();
        for role in ["nurse", "doctor", "admin"] {
            assert_eq!(blocked(Some(&user(role)), Some(&sync)), None, "{role}");
        }
        assert_eq!(
            blocked(Some(&user("clerk")), Some(&sync)),
            Some("carry-blocked-role")
        );
        let alone = SyncState {
            enrolment: None,
            ..sync
        };
        assert_eq!(
            blocked(Some(&user("nurse")), Some(&alone)),
            Some("carry-blocked-not-enrolled")
        );
        assert_eq!(
            blocked(Some(&user("nurse")), None),
            Some("carry-blocked-not-enrolled")
        );
    }

    #[test]
    fn the_file_is_named_by_the_time_in_japan() {
        // 2026-12-07T00:30Z is 09:30 in Japan.
        let at = Timestamp::parse_rfc3339("at", "2026-12-07T00:30:00Z").unwrap();
        assert_eq!(file_name(at), "karte-20261207-0930.kbn");
        // 15:10Z is already the next day there.
        let at = Timestamp::parse_rfc3339("at", "2026-12-07T15:10:00Z").unwrap();
        assert_eq!(file_name(at), "karte-20261208-0010.kbn");
    }

    #[test]
    fn already_imported_is_information_and_a_locked_core_is_the_apps() {
        let summary = BundleImported {
            sender: DeviceId::from("d1"),
            charts: 3,
            new_charts: 1,
            new_changes: 12,
            new_reviews: 0,
        };
        assert_eq!(
            import_outcome(Ok(summary.clone())),
            Some(ImportOutcome::Imported(summary))
        );
        assert_eq!(
            import_outcome(Err(Problem::new(ErrorCode::BundleAlreadyImported, "x"))),
            Some(ImportOutcome::AlreadyImported)
        );
        let tampered = Problem::new(ErrorCode::BundleTampered, "x");
        assert_eq!(
            import_outcome(Err(tampered.clone())),
            Some(ImportOutcome::Refused(tampered))
        );
        assert_eq!(import_outcome(Err(Problem::new(LOCKED, "x"))), None);
    }

    #[test]
    fn summaries_read_in_both_languages() {
        let made = BundleExported {
            file: None,
            bundle: None,
            bytes: 14_200,
            charts: 3,
            changes: 41,
            recipients: 2,
            not_carried: 0,
            since_last: false,
        };
        let tr = Tr::default().in_language(Language::Ja);
        assert_eq!(
            export_summary(&tr, &made),
            "全カルテ 3件（変更 41件）を 2台の端末あてに作りました（14.2 kB）。"
        );
        let en = Tr::default().in_language(Language::En);
        assert_eq!(
            export_summary(
                &en,
                &BundleExported {
                    since_last: true,
                    ..made
                }
            ),
            "Bundle made of the changes since the last bundle. Charts: 3, changes: 41, devices that can open it: 2, size: 14.2 kB."
        );
        let done = BundleImported {
            sender: DeviceId::from("d1"),
            charts: 3,
            new_charts: 1,
            new_changes: 12,
            new_reviews: 0,
        };
        assert_eq!(
            import_summary(&tr, &done),
            "取り込みました：カルテ 3件（新規 1件）、新しい変更 12件、要確認 0件。"
        );
        assert_eq!(
            import_summary(&en, &done),
            "Imported. Charts: 3 (new: 1), new changes: 12, new items to review: 0."
        );
    }

    /// A backend that never answers: the screen is rendered before any call.
    struct Silent;

    impl crate::backend::Backend for Silent {
        fn send(&self, _: &'static str, _: Vec<u8>) -> crate::backend::Call<Vec<u8>> {
            Box::pin(std::future::pending())
        }
    }

    #[derive(Properties, PartialEq)]
    struct AsUserProps {
        role: &'static str,
    }

    /// The screen as a user of `role` on an enrolled device sees it.
    #[component]
    fn AsUser(props: &AsUserProps) -> Html {
        let role = props.role;
        let state = use_reducer(move || crate::state::AppState {
            user: Some(user(role)),
            sync: Some(enrolled()),
            ..Default::default()
        });
        let backend = use_memo((), |_| BackendHandle(std::rc::Rc::new(Silent)));
        html! {
            <ContextProvider<BackendHandle> context={(*backend).clone()}>
                <ContextProvider<AppContext> context={state}>
                    <CarryPage />
                </ContextProvider<AppContext>>
            </ContextProvider<BackendHandle>>
        }
    }

    #[tokio::test]
    async fn a_clerk_sees_the_buttons_disabled_and_why() {
        let html =
            crate::render_tests::render(Language::Ja, html! { <AsUser role="clerk" /> }).await;
        assert_eq!(
            html.matches("data-testid=\"carry-blocked\"").count(),
            2,
            "{html}"
        );
        assert!(
            html.contains("この役割ではカルテを持ち出せません"),
            "{html}"
        );
        for control in ["carry-export-make", "carry-import-file", "carry-whole"] {
            let at = html.find(&format!("data-testid=\"{control}\"")).unwrap();
            let tag = &html[html[..at].rfind('<').unwrap()..at + html[at..].find('>').unwrap()];
            assert!(tag.contains("disabled"), "{control}: {tag}");
        }
        let en = crate::render_tests::render(Language::En, html! { <AsUser role="clerk" /> }).await;
        assert!(en.contains("Your role may not take charts out"), "{en}");

        let html =
            crate::render_tests::render(Language::Ja, html! { <AsUser role="nurse" /> }).await;
        assert!(!html.contains("carry-blocked"), "{html}");
        assert!(html.contains("ひまわり訪問看護 の端末あて"), "{html}");
        let at = html.find("data-testid=\"carry-export-make\"").unwrap();
        let tag = &html[html[..at].rfind('<').unwrap()..at + html[at..].find('>').unwrap()];
        assert!(!tag.contains("disabled"), "{tag}");
    }

    #[tokio::test]
    async fn the_sync_bar_leads_to_the_carry_screen() {
        use crate::components::SyncBar;
        let bar = |oncarry: Option<Callback<MouseEvent>>| {
            html! { <SyncBar online={true} sync={Some(enrolled())} syncing={false} problem={None::<Problem>}
            onsync={Callback::noop()} oncarry={oncarry} /> }
        };
        let html = crate::render_tests::render(Language::Ja, bar(Some(Callback::noop()))).await;
        assert!(
            html.contains("data-testid=\"carry-open\"") && html.contains(">持ち運び<"),
            "{html}"
        );
        let en = crate::render_tests::render(Language::En, bar(Some(Callback::noop()))).await;
        assert!(en.contains(">Carry charts<"), "{en}");
        let html = crate::render_tests::render(Language::Ja, bar(None)).await;
        assert!(!html.contains("carry-open"), "{html}");
    }
}
