//! Identifiers. Charts and entries are named by ULIDs (time-ordered, random,
//! made by the caller: this crate has no clock and no randomness).

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_owned())
            }
        }
    };
}

id_type!(
    /// A patient, and so the chart document that holds everything about them.
    PatientId
);
id_type!(
    /// An entry of a chart: an allergy, a condition, a medication, a visit.
    EntryId
);
id_type!(
    /// A user of a vault (several people may share a clinic laptop).
    UserId
);
id_type!(
    /// A device, i.e. one vault on one tablet or laptop.
    DeviceId
);
id_type!(
    /// A review item: a conflict or clinical inconsistency awaiting a person.
    ReviewId
);

/// Who made a change: the user who was unlocked, on which device.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Author {
    pub user: UserId,
    /// The user's display name at the time, so history stays legible.
    pub user_name: String,
    pub device: DeviceId,
}
