//! A session: one unlocked vault, the charts loaded from it, and every
//! operation a user can perform on them.

mod app_values;
mod bundle;
mod casualty;
mod device_lock;
mod document;
mod identity;
mod paperwork;
mod peer;
mod photo_sync;
mod photos;
mod recovery;
mod report;
mod sync;
mod team;
mod trust;

use std::collections::HashMap;
use std::path::Path;

use karte_record::{ActorId, ChangeHash, Chart, Edit, actor_for};
use karte_store::{AuditAction, AuditEntry, AuditEvent, KdfParams, Role, UserRecord, Vault};
use karte_types::{
    AllergyInput, Author, ChartView, ConditionInput, Demographics, EntryId, IdentityLinks,
    MedicationInput, PatientId, PatientSummary, ReviewId, Timestamp, UserId, ValidationError,
    ValidationErrors, VisitInput, fold_for_search, matches_search,
};

use crate::ids::{Lookup, find_unique, new_entry_id, new_ulid};
use crate::{ApiError, Environment, Permission};

pub(crate) use peer::nearby_exchange;
pub use peer::{AdvertisedDay, PEER_SESSION_LIMIT};
pub use sync::SyncStatus;

/// After this many incremental chunks a chart is rewritten as one snapshot, so
/// loading stays one decrypt and one Automerge load.
const COMPACT_AFTER_CHUNKS: usize = 32;

/// Charts kept decoded in memory; the rest are loaded on demand.
const CACHED_CHARTS: usize = 16;

/// A chart as loaded, with what is already durable in the vault.
struct LoadedChart {
    chart: Chart,
    persisted_heads: Vec<ChangeHash>,
    chunks: usize,
}

/// The patient index with each entry's folded search keys, built once per
/// session and kept current by every edit; and the identity links read
/// from it, built when first asked for and again only after an edit that
/// can change them.
struct PatientIndex {
    entries: Vec<(PatientSummary, [String; 7])>,
    links: Option<IdentityLinks>,
}

/// The chart a casualty chart is identified as, if any.
fn identified_as(summary: &PatientSummary) -> Option<&PatientId> {
    summary.triage.as_ref()?.identified_as.as_ref()
}

impl PatientIndex {
    fn new(summaries: Vec<PatientSummary>) -> PatientIndex {
        let mut entries: Vec<_> = summaries
            .into_iter()
            .map(|s| {
                let keys = s.search_keys();
                (s, keys)
            })
            .collect();
        entries.sort_by(|a, b| a.1[5].cmp(&b.1[5]).then_with(|| a.0.id.cmp(&b.0.id)));
        PatientIndex {
            entries,
            links: None,
        }
    }

    /// The links between the charts, built from the entries once.
    fn links(&mut self) -> &IdentityLinks {
        let entries = &self.entries;
        self.links
            .get_or_insert_with(|| IdentityLinks::from_summaries(entries.iter().map(|(s, _)| s)))
    }

    fn upsert(&mut self, summary: PatientSummary) {
        let keys = summary.search_keys();
        // A new chart may be the one a link waits for; a changed link
        // changes the links. Any other edit leaves them as they are.
        let same_links = self
            .entry(&summary.id)
            .is_some_and(|old| identified_as(old) == identified_as(&summary));
        if !same_links {
            self.links = None;
        }
        self.entries.retain(|(s, _)| s.id != summary.id);
        let at = self
            .entries
            .partition_point(|(s, k)| (&k[5], &s.id) < (&keys[5], &summary.id));
        self.entries.insert(at, (summary, keys));
    }

    fn entry(&self, id: &PatientId) -> Option<&PatientSummary> {
        self.entries
            .iter()
            .find(|(summary, _)| summary.id == *id)
            .map(|(summary, _)| summary)
    }

    fn remove(&mut self, id: &PatientId) {
        self.links = None;
        self.entries.retain(|(s, _)| s.id != *id);
    }

    fn search(&self, query: &str) -> Vec<PatientSummary> {
        // A tag number is shown as `#T-0123`; typed so, it still finds.
        let folded = fold_for_search(query.trim_start().trim_start_matches('#'));
        self.entries
            .iter()
            .filter(|(_, keys)| {
                let keys: [&str; 7] = keys.each_ref().map(String::as_str);
                matches_search(&folded, &keys)
            })
            .map(|(s, _)| s.clone())
            .collect()
    }
}

/// Every entry of a view, whatever its kind.
fn entry_metas(view: &ChartView) -> impl Iterator<Item = &karte_types::EntryMeta> {
    view.allergies
        .iter()
        .map(|e| &e.meta)
        .chain(view.conditions.iter().map(|e| &e.meta))
        .chain(view.medications.iter().map(|e| &e.meta))
        .chain(view.visits.iter().map(|e| &e.meta))
        .chain(view.orders.iter().map(|e| &e.meta))
        .chain(view.assessments.iter().map(|e| &e.meta))
        .chain(view.documents.iter().map(|e| &e.meta))
        .chain(view.triage.registrations.iter().map(|e| &e.meta))
        .chain(view.triage.history.iter().map(|e| &e.meta))
        .chain(view.triage.transports.iter().map(|e| &e.meta))
        .chain(view.triage.identifications.iter().map(|e| &e.meta))
}

/// Whether a chart's own view holds the entry `entry`.
fn holds_entry(view: &ChartView, entry: &EntryId) -> bool {
    entry_metas(view).any(|meta| &meta.id == entry)
}

/// How far a long operation has come, for progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoProgress {
    pub done: usize,
    pub total: usize,
}

/// The one user of a vault that has only one, so a lone nurse need not name
/// herself on every command.
fn sole_user(names: &[String]) -> Result<String, ApiError> {
    match names {
        [only] => Ok(only.clone()),
        _ => Err(ApiError::UserNeeded {
            users: names.join(", "),
        }),
    }
}

/// Checks a passphrase about to be set against the one policy in
/// `karte-types`, which the UI and the command line check too. Passphrases
/// travel as bytes; one that is not text cannot be typed again, so it is
/// refused as well.
pub(crate) fn check_new_passphrase(passphrase: &[u8]) -> Result<(), ApiError> {
    let refused = match std::str::from_utf8(passphrase) {
        Ok(text) => karte_types::check_new_passphrase(text).err(),
        Err(_) => Some(ValidationError::new(
            "passphrase",
            "malformed",
            "a passphrase must be text (UTF-8): type it again",
        )),
    };
    match refused {
        Some(error) => Err(ApiError::Invalid(ValidationErrors(vec![error]))),
        None => Ok(()),
    }
}

/// An unlocked vault and the work done in it.
pub struct Session {
    vault: Vault,
    env: Environment,
    actor: ActorId,
    author: Author,
    charts: HashMap<PatientId, LoadedChart>,
    index: Option<PatientIndex>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("author", &self.author)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Creates a vault at `path` with its first user, an administrator.
    pub fn create(
        path: &Path,
        user: &str,
        passphrase: &[u8],
        kdf: KdfParams,
        mut env: Environment,
    ) -> Result<Session, ApiError> {
        check_new_passphrase(passphrase)?;
        let now = env.clock.now();
        let user_id = UserId(new_ulid(now, env.entropy.as_mut()));
        let device_id = karte_types::DeviceId(new_ulid(now, env.entropy.as_mut()));
        let vault = Vault::create(path, user, passphrase, kdf, user_id, device_id, now)?;
        Ok(Session::start(vault, env))
    }

    /// Opens the vault at `path` and unlocks it for `user`; with no user
    /// named, a vault with a single user unlocks for that user.
    pub fn open(
        path: &Path,
        user: Option<&str>,
        passphrase: &[u8],
        env: Environment,
    ) -> Result<Session, ApiError> {
        Session::open_with_code(path, user, passphrase, None, env)
    }

    /// Opens and unlocks the vault as [`Session::open`] does; a vault
    /// locked by its organisation's policy for lost devices (too many days
    /// without the hub) opens only with one of its unused unlock codes,
    /// `unlock_code`, which is then used up.
    pub fn open_with_code(
        path: &Path,
        user: Option<&str>,
        passphrase: &[u8],
        unlock_code: Option<&str>,
        env: Environment,
    ) -> Result<Session, ApiError> {
        let opened = Vault::open(path)?;
        let user = match user {
            Some(user) => user.to_owned(),
            None => sole_user(&opened.users())?,
        };
        let vault = opened.unlock(&user, passphrase)?;
        let mut session = Session::start(vault, env);
        session.check_device_lock(unlock_code)?;
        Ok(session)
    }

    fn start(vault: Vault, mut env: Environment) -> Session {
        let nonce = env.entropy.next_u128().to_le_bytes();
        let actor = actor_for(vault.device_id(), nonce);
        let user = vault.user();
        let author = Author {
            user: user.id.clone(),
            user_name: user.name.clone(),
            device: vault.device_id().clone(),
        };
        Session {
            vault,
            env,
            actor,
            author,
            charts: HashMap::new(),
            index: None,
        }
    }

    pub fn user(&self) -> &UserRecord {
        self.vault.user()
    }

    pub fn author(&self) -> &Author {
        &self.author
    }

    pub fn now(&self) -> Timestamp {
        self.env.clock.now()
    }

    /// Locks the vault: key material and decoded charts leave memory.
    pub fn lock(self) {
        let Session {
            vault,
            charts,
            index,
            ..
        } = self;
        drop(charts);
        drop(index);
        vault.lock();
    }

    /// Refuses unless the user's role may take `needed` (the table is
    /// [`Permission::roles`]). Every guarded operation asks first, before
    /// it reads its input, so a refused user learns nothing from it.
    pub fn require(&self, needed: Permission) -> Result<(), ApiError> {
        if needed.allows(self.vault.user().role) {
            Ok(())
        } else {
            Err(ApiError::NotPermitted { needed })
        }
    }

    // ---- users ----

    pub fn add_user(
        &mut self,
        name: &str,
        role: Role,
        passphrase: &[u8],
    ) -> Result<UserRecord, ApiError> {
        self.require(Permission::ManageUsers)?;
        check_new_passphrase(passphrase)?;
        let id = UserId(new_ulid(self.now(), self.env.entropy.as_mut()));
        self.vault.add_user(name, role, passphrase, id.clone())?;
        self.audit(AuditAction::UserAdded, None, format!("{name} ({role})"))?;
        Ok(UserRecord {
            id,
            name: name.to_owned(),
            role,
        })
    }

    pub fn users(&self) -> Result<Vec<UserRecord>, ApiError> {
        Ok(self.vault.users()?)
    }

    pub fn change_passphrase(&mut self, new_passphrase: &[u8]) -> Result<(), ApiError> {
        check_new_passphrase(new_passphrase)?;
        self.vault.change_passphrase(new_passphrase)?;
        self.audit(AuditAction::PassphraseChanged, None, String::new())
    }

    // ---- patients and charts ----

    fn index(&mut self) -> Result<&mut PatientIndex, ApiError> {
        if self.index.is_none() {
            self.index = Some(PatientIndex::new(self.vault.patient_index()?));
        }
        Ok(self.index.as_mut().expect("just filled"))
    }

    /// The patient list, filtered by a search over kanji and kana names
    /// (a blank search lists everyone).
    /// A casualty identified as a chart held here is listed as that chart
    /// (and found by the casualty's tag number).
    pub fn patients(&mut self, search: &str) -> Result<Vec<PatientSummary>, ApiError> {
        let found = self.index()?.search(search);
        self.as_identified(found)
    }

    /// The patient a user means by an id or a unique prefix of one.
    pub fn resolve_patient(&mut self, typed: &str) -> Result<PatientId, ApiError> {
        let index = self.index()?;
        let found = find_unique(
            Lookup::Patient,
            typed,
            index.entries.iter().map(|(s, _)| s.id.as_str()),
        )?;
        Ok(PatientId(found.to_owned()))
    }

    pub fn add_patient(&mut self, patient: &Demographics) -> Result<PatientId, ApiError> {
        self.require(Permission::EditDemographics)?;
        let now = self.now();
        patient.validate(now.date_jst())?;
        let id = PatientId(new_ulid(now, self.env.entropy.as_mut()));
        let edit = Edit {
            author: &self.author,
            at: now,
        };
        let chart = Chart::create(self.actor.clone(), &id, patient, &edit)?;
        self.persist_new_chart(chart, "patient.create", now)?;
        Ok(id)
    }

    /// Saves a chart made in memory as a whole snapshot.
    fn persist_new_chart(
        &mut self,
        chart: Chart,
        operation: &str,
        now: Timestamp,
    ) -> Result<(), ApiError> {
        let id = chart.id();
        let summary = chart.summary()?;
        let consultations = chart.consultations()?;
        let snapshot = chart.save();
        let event = AuditEvent {
            at: now,
            action: AuditAction::ChartEdit {
                operation: operation.to_owned(),
            },
            patient: Some(id.clone()),
            detail: String::new(),
        };
        // The chart's team, if any, is recorded first: a crash between
        // leaves a scope of a chart that does not exist, never a team's
        // chart without its scope.
        self.note_new_chart(&id)?;
        self.vault
            .append_document(&id, &snapshot, &summary, &consultations, event)?;
        let persisted_heads = chart.heads();
        self.index()?.upsert(summary);
        self.cache(
            id,
            LoadedChart {
                chart,
                persisted_heads,
                chunks: 1,
            },
        );
        Ok(())
    }

    fn cache(&mut self, id: PatientId, loaded: LoadedChart) {
        if self.charts.len() >= CACHED_CHARTS && !self.charts.contains_key(&id) {
            // Any chart will do: the cache only saves a decrypt and a load.
            if let Some(evict) = self.charts.keys().next().cloned() {
                self.charts.remove(&evict);
            }
        }
        self.charts.insert(id, loaded);
    }

    /// Decrypts and loads a chart without keeping it; also says how many
    /// chunks it is stored in.
    fn read_chart(&self, id: &PatientId) -> Result<(Chart, usize), ApiError> {
        let chunks = self.vault.load_document(id)?;
        let slices: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        Ok((Chart::load(self.actor.clone(), &slices)?, chunks.len()))
    }

    fn load(&mut self, id: &PatientId) -> Result<&mut LoadedChart, ApiError> {
        if !self.charts.contains_key(id) {
            let (chart, chunks) = self.read_chart(id)?;
            self.confirm_hub_index(id, &chart)?;
            let persisted_heads = chart.heads();
            self.cache(
                id.clone(),
                LoadedChart {
                    chart,
                    persisted_heads,
                    chunks,
                },
            );
        }
        Ok(self.charts.get_mut(id).expect("just loaded"))
    }

    /// A chart filed unloaded from a sync carries the hub's list entry and
    /// heads; the first time it is loaded here they are checked against the
    /// chart and, if the hub was wrong, corrected.
    fn confirm_hub_index(&mut self, id: &PatientId, chart: &Chart) -> Result<(), ApiError> {
        if !self.vault.document_sync_state(id)?.index_from_hub {
            return Ok(());
        }
        let summary = chart.summary()?;
        let heads: Vec<[u8; 32]> = chart.heads().iter().map(|head| head.0).collect();
        let consultations = chart.consultations()?;
        if self
            .vault
            .confirm_index(id, &summary, &consultations, &heads)?
        {
            self.index()?.upsert(summary);
        }
        Ok(())
    }

    /// Opens a chart for reading, with the entries of every casualty
    /// chart identified as it; each chart read is recorded in the audit
    /// log.
    pub fn chart(&mut self, id: &PatientId) -> Result<ChartView, ApiError> {
        let (view, members) = self.folded_view(id)?;
        self.audit(AuditAction::ChartOpen, Some(id.clone()), String::new())?;
        for member in members {
            self.audit(
                AuditAction::ChartOpen,
                Some(member),
                format!("identified as {id}"),
            )?;
        }
        Ok(view)
    }

    /// Applies one edit to a chart and makes it durable: the new changes, the
    /// index entry and the audit entry in one transaction. If persisting fails
    /// the chart is dropped from memory, so what is shown is what is stored.
    fn edit<T>(
        &mut self,
        id: &PatientId,
        operation: &str,
        apply: impl FnOnce(&mut Chart, &Edit) -> Result<T, karte_record::RecordError>,
    ) -> Result<T, ApiError> {
        let now = self.now();
        let author = self.author.clone();
        let loaded = self.load(id)?;
        let edit = Edit {
            author: &author,
            at: now,
        };
        let result = apply(&mut loaded.chart, &edit);
        let result = match result {
            Ok(value) => value,
            Err(error) => {
                self.charts.remove(id);
                return Err(error.into());
            }
        };
        match self.persist_edit(id, operation, now) {
            Ok(()) => Ok(result),
            Err(error) => {
                self.charts.remove(id);
                Err(error)
            }
        }
    }

    fn persist_edit(
        &mut self,
        id: &PatientId,
        operation: &str,
        now: Timestamp,
    ) -> Result<(), ApiError> {
        let loaded = self.charts.get_mut(id).expect("loaded by edit");
        let summary = loaded.chart.summary()?;
        let consultations = loaded.chart.consultations()?;
        let chunk = loaded.chart.save_after(&loaded.persisted_heads);
        let event = AuditEvent {
            at: now,
            action: AuditAction::ChartEdit {
                operation: operation.to_owned(),
            },
            patient: Some(id.clone()),
            detail: String::new(),
        };
        self.vault
            .append_document(id, &chunk, &summary, &consultations, event)?;
        loaded.persisted_heads = loaded.chart.heads();
        loaded.chunks += 1;
        self.compact_if_long(id)?;
        self.index()?.upsert(summary);
        Ok(())
    }

    /// Rewrites a cached chart stored in many chunks as one snapshot.
    fn compact_if_long(&mut self, id: &PatientId) -> Result<(), ApiError> {
        if let Some(loaded) = self.charts.get_mut(id)
            && loaded.chunks > COMPACT_AFTER_CHUNKS
        {
            let snapshot = loaded.chart.save();
            self.vault.compact_document(id, &snapshot)?;
            loaded.chunks = 1;
        }
        Ok(())
    }

    pub fn update_patient(
        &mut self,
        id: &PatientId,
        patient: &Demographics,
    ) -> Result<(), ApiError> {
        self.require(Permission::EditDemographics)?;
        patient.validate(self.now().date_jst())?;
        self.edit(id, "patient.update", |chart, edit| {
            chart.update_demographics(patient, edit)
        })
    }

    /// Adds a new clinical entry under a fresh id: checks the user may,
    /// validates, then one durable edit.
    fn add_entry(
        &mut self,
        id: &PatientId,
        operation: &str,
        valid: Result<(), ValidationErrors>,
        add: impl FnOnce(&mut Chart, &EntryId, &Edit) -> Result<(), karte_record::RecordError>,
    ) -> Result<EntryId, ApiError> {
        self.require(Permission::RecordClinical)?;
        valid?;
        let entry = new_entry_id(self.now(), self.env.entropy.as_mut());
        self.edit(id, operation, |chart, edit| add(chart, &entry, edit))?;
        Ok(entry)
    }

    pub fn add_allergy(
        &mut self,
        id: &PatientId,
        input: &AllergyInput,
    ) -> Result<EntryId, ApiError> {
        self.add_entry(id, "allergy.add", input.validate(), |chart, entry, edit| {
            chart.add_allergy(entry, input, edit)
        })
    }

    pub fn set_no_known_allergies(&mut self, id: &PatientId) -> Result<(), ApiError> {
        self.require(Permission::RecordClinical)?;
        self.edit(id, "allergy.none", |chart, edit| {
            chart.set_no_known_allergies(edit)
        })
    }

    pub fn add_condition(
        &mut self,
        id: &PatientId,
        input: &ConditionInput,
    ) -> Result<EntryId, ApiError> {
        self.add_entry(
            id,
            "condition.add",
            input.validate(),
            |chart, entry, edit| chart.add_condition(entry, input, edit),
        )
    }

    pub fn add_medication(
        &mut self,
        id: &PatientId,
        input: &MedicationInput,
    ) -> Result<EntryId, ApiError> {
        self.add_entry(
            id,
            "medication.add",
            input.validate(),
            |chart, entry, edit| chart.add_medication(entry, input, edit),
        )
    }

    pub fn record_visit(
        &mut self,
        id: &PatientId,
        input: &VisitInput,
    ) -> Result<EntryId, ApiError> {
        self.add_entry(
            id,
            "visit.record",
            input.validate(),
            |chart, entry, edit| chart.record_visit(entry, input, edit),
        )
    }

    /// The entry a user means by an id or a unique prefix of one.
    pub fn resolve_entry(&mut self, id: &PatientId, typed: &str) -> Result<EntryId, ApiError> {
        let (view, _) = self.folded_view(id)?;
        let photos = self.load(id)?.chart.photos()?;
        let ids = entry_metas(&view)
            .chain(photos.iter().map(|e| &e.meta))
            .map(|meta| meta.id.as_str());
        Ok(EntryId(find_unique(Lookup::Entry, typed, ids)?.to_owned()))
    }

    /// Marks an entry entered-in-error. Nothing is ever deleted.
    pub fn void_entry(
        &mut self,
        id: &PatientId,
        entry: &EntryId,
        reason: &str,
    ) -> Result<(), ApiError> {
        self.require(Permission::VoidEntries)?;
        if reason.trim().is_empty() {
            let error = karte_types::ValidationError::new(
                "reason",
                "required",
                "say why the entry is void, e.g. --reason \"wrong patient\"",
            );
            return Err(ApiError::Invalid(karte_types::ValidationErrors(vec![
                error,
            ])));
        }
        // An entry of a casualty chart identified as this one is voided
        // in the chart that holds it.
        let holder = self.holder(id, |view| holds_entry(view, entry))?;
        self.edit(&holder, "entry.void", |chart, edit| {
            chart.void_entry(entry, reason, edit)
        })
    }

    pub fn resolve_review_id(&mut self, id: &PatientId, typed: &str) -> Result<ReviewId, ApiError> {
        let (view, _) = self.folded_view(id)?;
        let found = find_unique(
            Lookup::Review,
            typed,
            view.reviews.iter().map(|r| r.id.as_str()),
        )?;
        Ok(ReviewId(found.to_owned()))
    }

    /// Records a person's decision on a review item.
    pub fn resolve_review(
        &mut self,
        id: &PatientId,
        review: &ReviewId,
        chosen: &str,
    ) -> Result<(), ApiError> {
        self.require(Permission::ResolveReviews)?;
        let holder = self.holder(id, |view| view.reviews.iter().any(|r| &r.id == review))?;
        self.edit(&holder, "review.resolve", |chart, edit| {
            chart.resolve_review(review, chosen, edit)
        })
    }

    /// The throwaway operation of the fronts' tests: answers with what it
    /// was given.
    #[cfg(feature = "throwaway-operation")]
    pub fn echo(&mut self, text: &str) -> Result<String, ApiError> {
        Ok(text.to_owned())
    }

    // ---- audit and export ----

    fn audit(
        &mut self,
        action: AuditAction,
        patient: Option<PatientId>,
        detail: String,
    ) -> Result<(), ApiError> {
        let event = AuditEvent {
            at: self.now(),
            action,
            patient,
            detail,
        };
        Ok(self.vault.record_audit(event)?)
    }

    /// The audit log, verified end to end, optionally for one patient.
    pub fn audit_log(&self, patient: &Option<PatientId>) -> Result<Vec<AuditEntry>, ApiError> {
        let patient = patient.as_ref();
        let entries = self.vault.audit_log()?;
        Ok(entries
            .into_iter()
            .filter(|e| patient.is_none_or(|p| e.event.patient.as_ref() == Some(p)))
            .collect())
    }

    /// The view of chart `id`, from the charts already open or read from the
    /// vault without keeping it: for work over many charts that must not
    /// hold them all in memory (exports, reports).
    pub(crate) fn view_unkept(&mut self, id: &PatientId) -> Result<ChartView, ApiError> {
        Ok(match self.charts.get(id) {
            Some(loaded) => loaded.chart.view()?,
            None => self.read_chart(id)?.0.view()?,
        })
    }

    /// Like [`Session::view_unkept`], with the chart's photo entries.
    fn view_and_photos_unkept(
        &mut self,
        id: &PatientId,
    ) -> Result<(ChartView, Vec<karte_types::Photo>), ApiError> {
        Ok(match self.charts.get(id) {
            Some(loaded) => (loaded.chart.view()?, loaded.chart.photos()?),
            None => {
                let chart = self.read_chart(id)?.0;
                (chart.view()?, chart.photos()?)
            }
        })
    }

    /// A FHIR R4 Bundle (JP Core profiles) of one chart or all; every chart
    /// exported is recorded in the audit log.
    pub fn export_fhir(
        &mut self,
        patient: Option<&PatientId>,
        out: impl std::io::Write,
    ) -> Result<usize, ApiError> {
        self.require(Permission::Export)?;
        let ids = match patient {
            Some(id) => vec![id.clone()],
            None => self.vault.document_ids()?,
        };
        let now = self.now();
        let bundle_id = new_ulid(now, self.env.entropy.as_mut());
        let mut bundle = karte_fhir::BundleWriter::start(out, now, &bundle_id)?;
        for id in &ids {
            // Charts are read one at a time and not kept: an export of a
            // whole vault must not hold the whole vault in memory.
            let (view, photos) = self.view_and_photos_unkept(id)?;
            bundle.add_chart_with_photos(&view, &photos)?;
            self.audit(
                AuditAction::Export {
                    format: "fhir".into(),
                },
                Some(id.clone()),
                String::new(),
            )?;
        }
        bundle.finish()?;
        Ok(ids.len())
    }

    // ---- demo data ----

    /// Fills the vault with `count` synthetic patients, deterministic for
    /// `seed`, calling `progress` after each.
    pub fn demo(
        &mut self,
        count: usize,
        seed: u64,
        progress: impl FnMut(DemoProgress),
    ) -> Result<Vec<PatientId>, ApiError> {
        self.demo_limited(count, seed, None, progress)
    }

    /// Like [`Session::demo`], with at most `max_visits` visits a patient
    /// (many light patients for search benchmarks).
    pub fn demo_limited(
        &mut self,
        count: usize,
        seed: u64,
        max_visits: Option<usize>,
        mut progress: impl FnMut(DemoProgress),
    ) -> Result<Vec<PatientId>, ApiError> {
        self.require(Permission::RecordClinical)?;
        let now = self.now();
        let options = karte_demo::DemoOptions {
            seed,
            now,
            visits_years: 2.0,
            max_visits,
        };
        let mut ids = Vec::with_capacity(count);
        for (done, demo) in karte_demo::patients(&options).take(count).enumerate() {
            let id = self.add_demo_patient(demo)?;
            ids.push(id);
            progress(DemoProgress {
                done: done + 1,
                total: count,
            });
        }
        Ok(ids)
    }

    fn add_demo_patient(&mut self, demo: karte_demo::DemoPatient) -> Result<PatientId, ApiError> {
        let now = self.now();
        // Created when its first entry was recorded: an entry recorded
        // before its chart existed is refused by the hub and by devices.
        let recorded = (demo.visits.iter().map(|v| v.at))
            .chain(demo.allergies.iter().map(|(_, at)| *at))
            .chain(demo.conditions.iter().map(|(_, at)| *at))
            .chain(demo.medications.iter().map(|(_, at)| *at));
        let created = recorded.min().unwrap_or(now).min(now);
        let id = PatientId(new_ulid(created, self.env.entropy.as_mut()));
        let author = self.author.clone();
        let at = |at: Timestamp| Edit {
            author: &author,
            at,
        };
        let mut chart = Chart::create(self.actor.clone(), &id, &demo.patient, &at(created))?;
        if demo.allergy_status_nka {
            chart.set_no_known_allergies(&at(created))?;
        }
        for (input, when) in &demo.allergies {
            let entry = new_entry_id(*when, self.env.entropy.as_mut());
            chart.add_allergy(&entry, input, &at(*when))?;
        }
        for (input, when) in &demo.conditions {
            let entry = new_entry_id(*when, self.env.entropy.as_mut());
            chart.add_condition(&entry, input, &at(*when))?;
        }
        for (input, when) in &demo.medications {
            let entry = new_entry_id(*when, self.env.entropy.as_mut());
            chart.add_medication(&entry, input, &at(*when))?;
        }
        for visit in &demo.visits {
            let entry = new_entry_id(visit.at, self.env.entropy.as_mut());
            chart.record_visit(&entry, visit, &at(visit.at))?;
        }
        self.persist_new_chart(chart, "demo.create", now)?;
        Ok(id)
    }
}
