//! What the carried-bundle operations answer: a bundle made for the
//! devices of an organisation, and a bundle taken in.

use serde::{Deserialize, Serialize};

use crate::{Base64Bytes, DeviceId};

/// A bundle made: written to the file asked for, or handed back as bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleExported {
    /// The file written, when one was asked for.
    pub file: Option<String>,
    /// The bundle's bytes, when no file was asked for.
    pub bundle: Option<Base64Bytes>,
    /// The bundle's size in bytes.
    pub bytes: u64,
    /// Charts carried, and their changes.
    pub charts: u32,
    pub changes: u64,
    /// Devices that can open it.
    pub recipients: u32,
    /// Charts left out: a change of another device in them whose signature
    /// this device does not hold (it came whole from the hub), so no
    /// receiver could check it.
    pub not_carried: u32,
    /// Only what changed since the last bundle for the organisation.
    pub since_last: bool,
}

/// A bundle taken in, all of it in one vault transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleImported {
    pub sender: DeviceId,
    /// Charts in the bundle, those new to this device, and the changes
    /// this device did not hold.
    pub charts: u32,
    pub new_charts: u32,
    pub new_changes: u64,
    /// Review items (concurrent values, clinical findings) that are new.
    pub new_reviews: u32,
}
