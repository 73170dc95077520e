//! A device for the end-to-end tests: a vault in a temporary folder (cheap
//! key derivation, stored in its header like strong parameters) with an open
//! session, enrolled at a hub, that makes random clinical edits, remembers
//! every entry it wrote, and syncs through any address it is given.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use karte_api::{ApiError, Environment, HttpTransport, KdfParams, Session, SyncSummary};
use karte_test_support::{PASSPHRASE, hypertension, visit, yamada};
use karte_types::{ChartView, EntryId, PatientId};
use rand::Rng;

#[derive(Debug)]
pub struct Device {
    pub name: String,
    _dir: tempfile::TempDir,
    pub session: Session,
    /// Every entry this device wrote, by chart.
    pub written: BTreeMap<PatientId, BTreeSet<EntryId>>,
    /// The entries a sync reported done after they were written: what the
    /// hub acknowledged.
    pub acknowledged: BTreeSet<EntryId>,
    unsynced: BTreeSet<EntryId>,
}

impl Device {
    /// A new vault enrolled at `hub_url` with `code`.
    pub fn enrolled(hub_url: &str, code: &str, name: &str) -> Device {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let mut session = Session::create(
            &dir.path().join("vault.karte"),
            "admin",
            PASSPHRASE,
            KdfParams::insecure_fast_for_tests(),
            Environment::system(),
        )
        .expect("the vault is created");
        session
            .enrol(hub_url, code, name)
            .unwrap_or_else(|e| panic!("{name} enrols at {hub_url}: {} ({e})", e.code()));
        Device {
            name: name.to_owned(),
            _dir: dir,
            session,
            written: BTreeMap::new(),
            acknowledged: BTreeSet::new(),
            unsynced: BTreeSet::new(),
        }
    }

    /// One random edit: a new patient now and then (always when the device
    /// knows none), otherwise a visit or a condition on a chart it holds.
    pub fn random_edit(&mut self, rng: &mut impl Rng) {
        let known: Vec<PatientId> = self
            .session
            .patients("")
            .expect("the patient list")
            .into_iter()
            .map(|p| p.id)
            .collect();
        if known.is_empty() || rng.random_ratio(1, 8) {
            let id = self.session.add_patient(&yamada()).expect("a patient");
            self.written.entry(id).or_default();
            return;
        }
        let patient = known[rng.random_range(0..known.len())].clone();
        let entry = if rng.random_ratio(3, 4) {
            // Visits in the past of any test day: START minus up to a day.
            let minutes = -rng.random_range(1..1_440i64);
            self.session
                .record_visit(&patient, &visit(minutes, rng.random_range(50..120)))
                .expect("a visit")
        } else {
            self.session
                .add_condition(&patient, &hypertension())
                .expect("a condition")
        };
        self.written
            .entry(patient)
            .or_default()
            .insert(entry.clone());
        self.unsynced.insert(entry);
    }

    /// Syncs with the hub at `url` (a proxy, another hub); a successful sync
    /// acknowledges everything written before it.
    pub fn sync_via(&mut self, url: &str) -> Result<SyncSummary, ApiError> {
        let mut transport = HttpTransport::new(url).expect("a loopback address");
        let summary = self.session.sync_with(&mut transport, |_| {})?;
        self.acknowledged.append(&mut self.unsynced);
        Ok(summary)
    }

    /// Syncs until a sync moves nothing, retrying errors for a while: the
    /// hub may still be starting.
    pub fn sync_until_quiet(&mut self, url: &str) -> bool {
        for _ in 0..20 {
            match self.sync_via(url) {
                Ok(summary) => {
                    let moved = summary.pushed_changes
                        + summary.pushed_whole
                        + summary.received_changes
                        + summary.received_whole
                        + summary.removed_charts;
                    let to_push = self
                        .session
                        .sync_status()
                        .expect("sync status")
                        .charts_to_push;
                    if moved == 0 && to_push == 0 {
                        return true;
                    }
                    if moved == 0 {
                        continue;
                    }
                    return false;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
        panic!("{} could not sync with {url} in 20 tries", self.name);
    }

    /// Every chart this device holds, by id.
    pub fn charts(&mut self) -> BTreeMap<PatientId, ChartView> {
        let ids: Vec<PatientId> = self
            .session
            .patients("")
            .expect("the patient list")
            .into_iter()
            .map(|p| p.id)
            .collect();
        ids.into_iter()
            .map(|id| {
                let chart = self.session.chart(&id).expect("the chart opens");
                (id, chart)
            })
            .collect()
    }
}

/// Syncs every device through its address, round after round, until one
/// whole round moves nothing anywhere; panics after `rounds` rounds.
pub fn sync_all_until_quiet(
    devices: &mut [Device],
    url_of: impl Fn(usize) -> String,
    rounds: usize,
) {
    for _ in 0..rounds {
        let mut quiet = true;
        for (i, device) in devices.iter_mut().enumerate() {
            quiet &= device.sync_until_quiet(&url_of(i));
        }
        if quiet {
            return;
        }
    }
    panic!("the devices did not go quiet in {rounds} rounds");
}

/// Checks what convergence means: every device holds the same charts, every
/// entry any device wrote is in its chart exactly once (so nothing
/// acknowledged was lost and nothing was stored twice), and nothing else is.
pub fn assert_converged(devices: &mut [Device]) {
    let mut expected: BTreeMap<PatientId, BTreeSet<EntryId>> = BTreeMap::new();
    let mut acknowledged = BTreeSet::new();
    for device in devices.iter() {
        for (patient, entries) in &device.written {
            expected
                .entry(patient.clone())
                .or_default()
                .extend(entries.iter().cloned());
        }
        acknowledged.extend(device.acknowledged.iter().cloned());
    }
    let first = devices[0].charts();
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "{} holds exactly the charts written",
        devices[0].name
    );
    for (patient, chart) in &first {
        let ids: Vec<&EntryId> = chart
            .visits
            .iter()
            .map(|v| &v.meta.id)
            .chain(chart.conditions.iter().map(|c| &c.meta.id))
            .collect();
        let unique: BTreeSet<&EntryId> = ids.iter().copied().collect();
        assert_eq!(
            ids.len(),
            unique.len(),
            "an entry of {patient} is duplicated"
        );
        let wanted: BTreeSet<&EntryId> = expected[patient].iter().collect();
        assert_eq!(unique, wanted, "the entries of {patient} are those written");
    }
    let present: BTreeSet<&EntryId> = first
        .values()
        .flat_map(|c| {
            c.visits
                .iter()
                .map(|v| &v.meta.id)
                .chain(c.conditions.iter().map(|e| &e.meta.id))
        })
        .collect();
    for entry in &acknowledged {
        assert!(
            present.contains(entry),
            "acknowledged entry {entry} was lost"
        );
    }
    let reference = devices[0].name.clone();
    for device in devices[1..].iter_mut() {
        let charts = device.charts();
        assert!(
            charts == first,
            "{} holds different charts from {reference}",
            device.name
        );
    }
}
