//! 招待 / Invite, for the app: opens an invitation to a team this device
//! leads and serves it on a thread of its own, so the screen shows the
//! code while a device joins. The thread takes the app's state only while
//! a device that dialled tries its code, and ends when a device joined,
//! the code ran out or failed three times, or the vault locked.

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use karte_peer::PeerListener;
use karte_sync::pairing::Invitation;
use karte_sync::trust::TeamId;
use karte_types::{TeamInvitation, Timestamp};

use crate::app::{AppState, lock_state};
use crate::{ApiError, App};

/// The port a lead's device listens on for joiners (another free one if
/// it is taken).
pub const TEAM_INVITE_PORT: u16 = 47_081;
/// How often the thread looks whether the vault locked.
const LOOK_AGAIN: Duration = Duration::from_millis(500);

impl App {
    /// Opens an invitation to `team` (by id or name; the only team this
    /// device leads if `None`) and serves it in the background; answers
    /// with the code to show, where the device listens and until when.
    pub fn team_invite(&self, team: &Option<String>) -> Result<TeamInvitation, ApiError> {
        let mut guard = self.state();
        let state = &mut *guard;
        state.lock_if_idle();
        let session = state.session.as_mut().ok_or(ApiError::Locked)?;
        let typed = team.as_deref();
        let (team, invitation, listener) =
            match session.team_invite_open(typed, &format!("0.0.0.0:{TEAM_INVITE_PORT}")) {
                Err(ApiError::Peer(_)) => session.team_invite_open(typed, "0.0.0.0:0")?,
                other => other?,
            };
        state.last_activity = Some(session.now());
        let port = listener.local_addr()?.port();
        let shown = TeamInvitation {
            team: team.to_string(),
            code: invitation.code().display(),
            addresses: karte_peer::local_addresses(port)
                .iter()
                .map(ToString::to_string)
                .collect(),
            expires_at: Timestamp(invitation.expires_at_ms()),
        };
        let thread = InvitingThread {
            state: Arc::downgrade(&self.state),
            listener,
            team,
        };
        std::thread::Builder::new()
            .name("karte-team-invite".to_owned())
            .spawn(move || thread.run(invitation))
            .map_err(|error| {
                ApiError::Peer(karte_sync::peer::PeerError::Unreachable {
                    detail: format!("cannot listen: {error}"),
                })
            })?;
        Ok(shown)
    }
}

struct InvitingThread {
    state: Weak<Mutex<AppState>>,
    listener: PeerListener,
    team: TeamId,
}

impl InvitingThread {
    fn run(self, mut invitation: Invitation) {
        loop {
            let link = match self.listener.accept_within(LOOK_AGAIN) {
                Ok(link) => link,
                Err(error) => {
                    tracing::info!("a joining device's connection failed: {error}");
                    None
                }
            };
            let Some(shared) = self.state.upgrade() else {
                return;
            };
            let mut state = lock_state(&shared);
            state.lock_if_idle();
            let Some(session) = state.session.as_mut() else {
                return;
            };
            if session.team_invitation_open(&invitation).is_err() {
                return;
            }
            let Some(link) = link else {
                continue;
            };
            match session.team_invite_attempt(&self.team, &mut invitation, link) {
                Ok(device) => {
                    tracing::info!("device {device} joined team {}", self.team);
                    return;
                }
                Err(error) => tracing::info!("a joining attempt failed: {error}"),
            }
        }
    }
}
