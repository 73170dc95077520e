//! チーム / Field teams, on the nearby devices screen: the teams this
//! device belongs to, "チームを作る / Create a team", "招待 / Invite" (the
//! code to read out, served in the background for ten minutes or three
//! tries) and "参加 / Join" (the lead's address and code). A device that
//! never met a hub syncs with its team's members once it is in a team.

use karte_types::{Problem, TeamInvitation, TeamShown};
use yew::prelude::*;

use crate::backend::BackendHandle;
use crate::calls::{AppContext, submit};
use crate::display;
use crate::i18n::Tr;

#[derive(Properties, PartialEq, Clone)]
pub struct TeamPanelProps {
    /// The teams this device belongs to, once read.
    pub teams: Option<Vec<TeamShown>>,
    /// Whether the user's role may create, invite and join (administrators).
    pub may_manage: bool,
    /// Told when a team was made or joined, so the page reads them again.
    pub on_change: Callback<()>,
}

/// A team in one line: its name, the key's fingerprint, its members.
pub fn team_line(tr: &Tr, team: &TeamShown) -> String {
    tr.t_args(
        if team.lead {
            "team-line-lead"
        } else {
            "team-line"
        },
        &[
            ("name", team.name.clone()),
            ("fingerprint", team.fingerprint.clone()),
            ("members", team.members.len().to_string()),
        ],
    )
}

/// An invitation's words: the code, where to dial, until when.
pub fn invitation_words(tr: &Tr, invitation: &TeamInvitation) -> String {
    tr.t_args(
        "team-invitation",
        &[
            ("code", invitation.code.clone()),
            ("addresses", invitation.addresses.join(", ")),
            ("until", display::time(tr, invitation.expires_at)),
        ],
    )
}

fn on_text(target: &UseStateHandle<String>) -> Callback<InputEvent> {
    let target = target.clone();
    Callback::from(move |event: InputEvent| {
        if let Some(input) = event.target_dyn_into::<web_sys::HtmlInputElement>() {
            target.set(input.value());
        }
    })
}

#[component]
pub fn TeamPanel(props: &TeamPanelProps) -> Html {
    let tr = use_context::<Tr>().unwrap_or_default();
    let state = use_context::<AppContext>().expect("app state");
    let backend = use_context::<BackendHandle>().expect("backend");
    let name = use_state(String::new);
    let creating = use_state(|| false);
    let create_failure = use_state(|| None::<Problem>);
    let inviting = use_state(|| false);
    let invite_failure = use_state(|| None::<Problem>);
    let invitation = use_state(|| None::<TeamInvitation>);
    let address = use_state(String::new);
    let code = use_state(String::new);
    let joining = use_state(|| false);
    let join_failure = use_state(|| None::<Problem>);

    let oncreate = {
        let (state, backend, name, on_change) = (
            state.clone(),
            backend.clone(),
            name.clone(),
            props.on_change.clone(),
        );
        let (creating, create_failure) = (creating.clone(), create_failure.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (name_now, on_change, name) = ((*name).clone(), on_change.clone(), name.clone());
            submit(
                &creating,
                &create_failure,
                &state,
                backend.team_create(name_now),
                move |_| {
                    name.set(String::new());
                    on_change.emit(());
                },
            );
        })
    };
    let oninvite = {
        let (state, backend) = (state.clone(), backend.clone());
        let (inviting, invite_failure, invitation) =
            (inviting.clone(), invite_failure.clone(), invitation.clone());
        Callback::from(move |team: String| {
            let invitation = invitation.clone();
            submit(
                &inviting,
                &invite_failure,
                &state,
                backend.team_invite(Some(team)),
                move |open| invitation.set(Some(open)),
            );
        })
    };
    let onjoin = {
        let (state, backend, on_change) = (state.clone(), backend.clone(), props.on_change.clone());
        let (address, code, joining, join_failure) = (
            address.clone(),
            code.clone(),
            joining.clone(),
            join_failure.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (on_change, code_typed) = (on_change.clone(), code.clone());
            submit(
                &joining,
                &join_failure,
                &state,
                backend.team_join((*address).clone(), (*code).clone()),
                move |_| {
                    code_typed.set(String::new());
                    on_change.emit(());
                },
            );
        })
    };

    let manage = props.may_manage;
    let teams = props.teams.clone().unwrap_or_default();
    html! {
        <section class="card" data-testid="team">
            <h2>{ tr.t("team-title") }</h2>
            <p class="muted">{ tr.t("team-intro") }</p>
            if teams.is_empty() {
                <p class="muted" data-testid="team-none">{ tr.t("team-none") }</p>
            }
            <ul class="nearby-list">
                { for teams.iter().map(|team| {
                    let oninvite = oninvite.clone();
                    let id = team.id.clone();
                    html! {
                        <li data-testid="team-item">
                            <span>{ team_line(&tr, team) }</span>
                            if team.lead {
                                <button type="button" data-testid="team-invite"
                                    disabled={!manage || *inviting}
                                    onclick={Callback::from(move |_| oninvite.emit(id.clone()))}>
                                    { tr.t("team-invite") }
                                </button>
                            }
                        </li>
                    }
                }) }
            </ul>
            if let Some(open) = &*invitation {
                <p class="message notice" role="status" data-testid="team-invitation">
                    { invitation_words(&tr, open) }
                </p>
            }
            if let Some(problem) = &*invite_failure {
                <p class="message problem" role="alert" data-testid="team-invite-error">{ display::problem(&tr, problem) }</p>
            }
            <form class="nearby-typed" onsubmit={oncreate}>
                <label for="team-name">{ tr.t("team-name") }</label>
                <input id="team-name" type="text" autocomplete="off" data-testid="team-name"
                    placeholder="DMAT 岩手1" value={(*name).clone()} oninput={on_text(&name)}
                    disabled={!manage || *creating} />
                <button type="submit" class="primary" data-testid="team-create"
                    disabled={!manage || *creating || name.trim().is_empty()}>
                    { tr.t("team-create") }
                </button>
            </form>
            if let Some(problem) = &*create_failure {
                <p class="message problem" role="alert" data-testid="team-create-error">{ display::problem(&tr, problem) }</p>
            }
            <form class="nearby-typed" onsubmit={onjoin}>
                <label for="team-join-address">{ tr.t("team-join-address") }</label>
                <input id="team-join-address" type="text" inputmode="url" autocomplete="off"
                    data-testid="team-join-address" placeholder="192.168.1.20:47081"
                    value={(*address).clone()} oninput={on_text(&address)} disabled={!manage || *joining} />
                <label for="team-join-code">{ tr.t("team-join-code") }</label>
                <input id="team-join-code" type="text" inputmode="numeric" autocomplete="off"
                    data-testid="team-join-code" placeholder="4827-1935"
                    value={(*code).clone()} oninput={on_text(&code)} disabled={!manage || *joining} />
                <button type="submit" class="primary" data-testid="team-join"
                    disabled={!manage || *joining || address.trim().is_empty() || code.trim().is_empty()}>
                    { tr.t(if *joining { "team-joining" } else { "team-join" }) }
                </button>
            </form>
            if let Some(problem) = &*join_failure {
                <p class="message problem" role="alert" data-testid="team-join-error">{ display::problem(&tr, problem) }</p>
            }
            if !manage {
                <p class="muted" data-testid="team-admin-only">{ tr.t("team-admin-only") }</p>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Language;
    use karte_types::{TeamMember, Timestamp};

    fn team(lead: bool) -> TeamShown {
        TeamShown {
            id: "T0123456789ABCDEFGHJK".into(),
            name: "DMAT 岩手1".into(),
            fingerprint: "ABCD-EF12".into(),
            lead,
            active: true,
            valid_until: Timestamp(1_800_000_000_000),
            members: vec![
                TeamMember {
                    device: "D1".into(),
                    lead: true,
                    valid_until: Timestamp(1_800_000_000_000),
                    revoked: false,
                },
                TeamMember {
                    device: "D2".into(),
                    lead: false,
                    valid_until: Timestamp(1_800_000_000_000),
                    revoked: false,
                },
            ],
        }
    }

    #[test]
    fn a_team_and_an_invitation_read_in_both_languages() {
        for (language, lead_word, code_word) in [
            (Language::Ja, "リーダー", "参加コード"),
            (Language::En, "lead", "code"),
        ] {
            let tr = Tr::default().in_language(language);
            let line = team_line(&tr, &team(true));
            assert!(
                line.contains("DMAT 岩手1") && line.contains("ABCD-EF12"),
                "{line}"
            );
            assert!(line.contains('2') && line.contains(lead_word), "{line}");
            assert!(!team_line(&tr, &team(false)).contains(lead_word));
            let words = invitation_words(
                &tr,
                &TeamInvitation {
                    team: "T0123456789ABCDEFGHJK".into(),
                    code: "4827-1935".into(),
                    addresses: vec!["192.168.1.20:47081".into()],
                    expires_at: Timestamp(1_800_000_000_000),
                },
            );
            assert!(
                words.contains("4827-1935") && words.contains("192.168.1.20:47081"),
                "{words}"
            );
            assert!(words.contains(code_word), "{words}");
        }
    }
}
