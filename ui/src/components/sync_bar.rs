//! The sync status bar, always in view while unlocked: online or offline,
//! changes waiting to go to the hub, conflicts to review, the last good
//! sync, the last error in plain words, charts kept in quarantine (received
//! but not applicable here), a button to sync now, and the way to carried
//! bundles (持ち運び), the other way charts travel. After a sync this app
//! ran, what that sync left waiting: charts carried from another device
//! that cannot go on to the hub yet, and photos the charts name that have
//! not reached the hub yet, with the photos it moved.

use karte_types::{Problem, SyncReport, SyncState};
use yew::prelude::*;

use crate::display;
use crate::i18n::Tr;

#[derive(Properties, PartialEq, Clone)]
pub struct SyncBarProps {
    pub online: bool,
    pub sync: Option<SyncState>,
    pub syncing: bool,
    /// The failure of the last sync this app ran, newer than `sync.last_error`.
    pub problem: Option<Problem>,
    pub onsync: Callback<()>,
    /// The totals of the last sync this app ran, if it ran one.
    #[prop_or_default]
    pub report: Option<SyncReport>,
    /// Opens the carried-bundle screen (持ち運び); no button without it.
    #[prop_or_default]
    pub oncarry: Option<Callback<MouseEvent>>,
    /// Opens the nearby-devices screen (近くの端末); no button without it.
    #[prop_or_default]
    pub onnearby: Option<Callback<MouseEvent>>,
}

#[component]
pub fn SyncBar(props: &SyncBarProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let enrolled = props.sync.as_ref().is_some_and(|s| s.enrolment.is_some());
    let problem = props
        .problem
        .clone()
        .or_else(|| props.sync.as_ref().and_then(|s| s.last_error.clone()));
    let (state_class, state_text) = if !props.online {
        ("offline", tr.t("sync-offline"))
    } else if !enrolled {
        ("local", tr.t("sync-not-enrolled"))
    } else if problem.is_some() {
        ("trouble", tr.t("sync-trouble"))
    } else {
        ("online", tr.t("sync-online"))
    };
    let pending = props.sync.as_ref().map_or(0, |s| s.charts_to_push);
    let reviews = props.sync.as_ref().map_or(0, |s| s.open_reviews);
    let quarantined = props.sync.as_ref().map_or(0, |s| s.quarantined_charts);
    let last = props.sync.as_ref().and_then(|s| s.last_success);
    let report = props.report.clone().unwrap_or_default();
    let photos_moved = report.photos_sent + report.photos_received;
    let onclick = {
        let onsync = props.onsync.clone();
        Callback::from(move |_| onsync.emit(()))
    };
    html! {
        <footer class={classes!("sync-bar", state_class)} data-testid="sync-bar" role="status">
            <span class="sync-state" data-testid="sync-state">
                <span class="dot" aria-hidden="true"></span>{ state_text }
            </span>
            <span data-testid="sync-pending">
                { tr.t_args("sync-pending", &[("count", pending.to_string())]) }
            </span>
            if reviews > 0 {
                <span class="reviews" data-testid="sync-reviews">
                    { tr.t_args("sync-reviews", &[("count", reviews.to_string())]) }
                </span>
            }
            if quarantined > 0 {
                <span class="quarantined" data-testid="sync-quarantined"
                    title={tr.t("sync-quarantined-help")}>
                    { tr.t_args("sync-quarantined", &[("count", quarantined.to_string())]) }
                </span>
            }
            if report.unrelayed_charts > 0 {
                <span class="unrelayed" data-testid="sync-unrelayed"
                    title={tr.t("sync-unrelayed-help")}>
                    { tr.t_args("sync-unrelayed", &[("count", report.unrelayed_charts.to_string())]) }
                </span>
            }
            if photos_moved > 0 {
                <span data-testid="sync-photos-moved">
                    { tr.t_args("sync-photos-moved", &[
                        ("sent", report.photos_sent.to_string()),
                        ("received", report.photos_received.to_string()),
                    ]) }
                </span>
            }
            if report.photos_waiting > 0 {
                <span class="photos-waiting" data-testid="sync-photos-waiting"
                    title={tr.t("sync-photos-waiting-help")}>
                    { tr.t_args("sync-photos-waiting", &[("count", report.photos_waiting.to_string())]) }
                </span>
            }
            <span data-testid="sync-last">
                { match last {
                    Some(at) => tr.t_args("sync-last", &[("time", display::time(&tr, at))]),
                    None => tr.t("sync-never"),
                } }
            </span>
            if let Some(problem) = &problem {
                <span class="sync-error" data-testid="sync-error">{ display::problem(&tr, problem) }</span>
            }
            if let Some(oncarry) = &props.oncarry {
                <button type="button" class="secondary carry-open" data-testid="carry-open"
                    onclick={oncarry.clone()}>{ tr.t("carry-open") }</button>
            }
            if let Some(onnearby) = &props.onnearby {
                <button type="button" class="secondary carry-open" data-testid="nearby-open"
                    onclick={onnearby.clone()}>{ tr.t("nearby-open") }</button>
            }
            if enrolled {
                <button type="button" data-testid="sync-now" onclick={onclick}
                    disabled={props.syncing || !props.online}>
                    { if props.syncing { tr.t("sync-running") } else { tr.t("sync-now") } }
                </button>
            }
        </footer>
    }
}
