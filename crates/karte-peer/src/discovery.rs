//! Finding listening devices on the LAN by multicast DNS: a listening
//! device advertises `_karte._tcp.local.` under a random instance and host
//! name (not the device's or the computer's name), its port, and a TXT tag
//! only members of its organisation recognise
//! ([`karte_sync::peer::group_tag`]); a browser lists the adverts whose tag
//! it recognises. Nothing in an advert names a device, a person, the
//! organisation or a patient.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use karte_sync::peer::{DISCOVERY_SERVICE, PeerError};
use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};
use ring::rand::{SecureRandom, SystemRandom};

fn mdns_error(error: impl std::fmt::Display) -> PeerError {
    PeerError::Unreachable {
        detail: format!("multicast DNS: {error}"),
    }
}

/// A running advert; dropping it withdraws it.
pub struct Advert {
    daemon: ServiceDaemon,
    fullname: String,
}

impl std::fmt::Debug for Advert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Advert")
            .field("fullname", &self.fullname)
            .finish_non_exhaustive()
    }
}

impl Drop for Advert {
    fn drop(&mut self) {
        let _ = self.daemon.unregister(&self.fullname);
        let _ = self.daemon.shutdown();
    }
}

/// A random name of `k` and 12 lower-case base32 letters.
fn random_name() -> Result<String, PeerError> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut bytes = [0u8; 12];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| mdns_error("no randomness"))?;
    Ok(std::iter::once('k')
        .chain(bytes.iter().map(|b| ALPHABET[(b & 31) as usize] as char))
        .collect())
}

/// Advertises a listener on `port` with the organisation's `tag`.
pub fn advertise(port: u16, tag: &str) -> Result<Advert, PeerError> {
    let daemon = ServiceDaemon::new().map_err(mdns_error)?;
    let instance = random_name()?;
    let host = format!("{instance}.local.");
    let properties = [("v", "1"), ("g", tag)];
    let info = ServiceInfo::new(
        DISCOVERY_SERVICE,
        &instance,
        &host,
        "",
        port,
        &properties[..],
    )
    .map_err(mdns_error)?
    .enable_addr_auto();
    let fullname = info.get_fullname().to_owned();
    daemon.register(info).map_err(mdns_error)?;
    Ok(Advert { daemon, fullname })
}

/// A listening device found on the network.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// The random instance name it advertises under.
    pub name: String,
    pub addresses: Vec<SocketAddr>,
    pub tag: String,
}

/// The adverts heard within `wait` whose tag is one of `tags`, one per
/// device (by the name it advertises under).
pub fn browse(wait: Duration, tags: &[String]) -> Result<Vec<Found>, PeerError> {
    let daemon = ServiceDaemon::new().map_err(mdns_error)?;
    let events = daemon.browse(DISCOVERY_SERVICE).map_err(mdns_error)?;
    let until = Instant::now() + wait;
    let mut found = BTreeMap::new();
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        let Ok(event) = events.recv_timeout(left) else {
            break;
        };
        if let ServiceEvent::ServiceResolved(service) = event {
            let Some(tag) = service.get_property_val_str("g") else {
                continue;
            };
            if !tags.iter().any(|known| known == tag) {
                continue;
            }
            let mut addresses: Vec<SocketAddr> = service
                .get_addresses_v4()
                .into_iter()
                .map(|ip| SocketAddr::new(IpAddr::V4(ip), service.port))
                .collect();
            addresses.sort();
            let name = service.get_fullname();
            let name = name
                .strip_suffix(&format!(".{DISCOVERY_SERVICE}"))
                .unwrap_or(name);
            // A device is resolved again as its addresses are heard: one
            // entry per name, with every address heard.
            let entry = found.entry(name.to_owned()).or_insert_with(|| Found {
                name: name.to_owned(),
                addresses: Vec::new(),
                tag: tag.to_owned(),
            });
            entry.addresses.extend(addresses);
            entry.addresses.sort();
            entry.addresses.dedup();
        }
    }
    let _ = daemon.shutdown();
    Ok(found.into_values().collect())
}

/// Where a device listening on `port` on every interface can be dialled
/// from the local network: its IPv4 addresses but loopback's.
pub fn local_addresses(port: u16) -> Vec<SocketAddr> {
    let mut addresses: Vec<SocketAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter(|interface| !interface.is_loopback())
        .filter_map(|interface| match interface.ip() {
            IpAddr::V4(ip) => Some(SocketAddr::new(IpAddr::V4(ip), port)),
            IpAddr::V6(_) => None,
        })
        .collect();
    addresses.sort();
    addresses.dedup();
    addresses
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_advert_is_found_by_its_tag_and_not_by_another() {
        let advert = advertise(47999, "0123456789abcdef").unwrap();
        let found = browse(Duration::from_secs(3), &["0123456789abcdef".to_owned()]).unwrap();
        if found.is_empty() {
            // No multicast on this machine's interfaces: nothing to test.
            eprintln!("no multicast DNS answer heard here: discovery not exercised");
            return;
        }
        assert!(found[0].addresses.iter().all(|a| a.port() == 47999));
        let other = browse(Duration::from_secs(2), &["ffffffffffffffff".to_owned()]).unwrap();
        assert!(other.is_empty());
        drop(advert);
    }
}
