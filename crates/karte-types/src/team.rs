//! Field teams as the app shows them: a team this device belongs to, its
//! members, and the fingerprint of the team's key that a hub's
//! administrator later compares to adopt the team.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// A team this device belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamShown {
    /// `T` and 20 characters, derived from the team's key.
    pub id: String,
    pub name: String,
    /// The team key's fingerprint, `XXXX-XXXX`.
    pub fingerprint: String,
    /// Whether this device holds the team's key (may invite).
    pub lead: bool,
    /// Whether charts made on this device are the team's.
    pub active: bool,
    /// Until when this device's own team cert holds.
    pub valid_until: Timestamp,
    /// The members this device knows of, itself among them.
    pub members: Vec<TeamMember>,
}

/// A member of a team, by its device id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub device: String,
    pub lead: bool,
    pub valid_until: Timestamp,
    /// Whether the team's newest list this device holds revokes it.
    #[serde(default)]
    pub revoked: bool,
}

/// An open invitation to a team: the code to read out, where the lead's
/// device listens, and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamInvitation {
    pub team: String,
    /// `4827-1935`.
    pub code: String,
    pub addresses: Vec<String>,
    pub expires_at: Timestamp,
}
