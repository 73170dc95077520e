//! 近くの端末 / Nearby devices: what the app says of peer sync on the
//! local network. Devices found by multicast DNS go by the random name
//! they advertise under (never a person's, the device's or the
//! organisation's); an exchange is kept per device by its id.

use serde::{Deserialize, Serialize};

use crate::{Problem, Timestamp};

/// A listening device of this organisation heard on the network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NearbyDevice {
    /// The random name it advertises under; `nearby_sync` takes it.
    pub name: String,
    /// Where it listens, `host:port`.
    pub addresses: Vec<String>,
}

/// A chart refused in an exchange, and why (an error code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NearbyRefusal {
    pub chart: String,
    pub code: String,
}

/// One exchange with a device: the last one with each device is kept in
/// the vault, sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NearbyExchange {
    /// The other device's id.
    pub device: String,
    pub at: Timestamp,
    /// This device dialled (`true`) or was dialled.
    pub dialled: bool,
    pub sent_changes: u64,
    pub sent_charts: u64,
    pub received_changes: u64,
    pub received_charts: u64,
    /// Charts this device refused.
    pub refused: Vec<NearbyRefusal>,
    /// Charts the other device refused.
    pub refused_by_peer: Vec<NearbyRefusal>,
    /// How far the other device's clock is from this one's, in minutes
    /// (positive: ahead).
    pub clock_difference_minutes: i64,
}

/// Whether this device is reachable by nearby devices, and the last
/// exchange with each device, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NearbyState {
    /// Listening for devices that dial this one.
    pub listening: bool,
    /// Where it listens (`host:port`), to type on the other device.
    pub addresses: Vec<String>,
    /// Advertised by multicast DNS (nearby devices find it by themselves).
    pub advertised: bool,
    /// Why the last session served failed, if it did.
    pub last_error: Option<Problem>,
    pub exchanges: Vec<NearbyExchange>,
}
