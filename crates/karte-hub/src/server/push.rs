//! Receiving what a device pushes. Everything is checked before anything is
//! stored, and one failure refuses the whole request: a refused change
//! would strand every later change that depends on it.
//!
//! A chart new to the hub may come whole (saved) with the signatures of its
//! authors' tips: every change in it that the hub lacks is taken as if
//! pushed one by one, authenticated by the cover rule
//! (`karte_sync::cover`): a signed change of the same author descends from
//! it. Such a change is stored under the covering tip's author with no
//! signature of its own, and from then on goes to devices only inside a
//! chart sent whole (see `updates`). Which tip covered it is not kept: no
//! one reads it, and the cover rule finds it again in the chart's history.
//! The pushed changes of a chart are applied to the hub's copy together
//! and each is checked against the copy as the changes before it leave it
//! (`karte_record::check_and_apply`, which checks them one by one only to
//! name the change refused). A chart new to the hub that came whole and
//! alone is not rebuilt from its changes: the document loaded to list
//! them is the copy they are checked against (`karte_record::check_loaded`),
//! and its saved bytes are cached as its snapshot once stored, not saved
//! again. The charts of a push are loaded and checked on every core.
//!
//! The checks, in order: every chart id is sane; every change has the hash
//! it claims, is signed by its author (or covered by a signed tip of its
//! author) and written under one of the author's actors (the author is the pushing device, or for a change the pusher
//! relays, the device it names: enrolled here, not reported lost, of an
//! organisation that may write the chart; the relay's own key vouches for
//! nothing of it); every chart is new or in the device's organisation's care
//! circles; every change's dependencies are at the hub or earlier in the
//! same push (so feed order stays causal order); every change is an edit
//! Karte makes, by the device that signed it, at a plausible time
//! (`karte_record::check_change`, each against the hub's copy with the
//! changes before it applied); and the hub's copy of the chart accepts the
//! changes as every device would: Automerge refuses, for one, an actor that
//! reuses a sequence number, and the chart checks of `karte-record` a change
//! that would leave no valid chart (a second first change, a container
//! removed). Either would stall the chart on every device that holds it.

use std::collections::{HashMap, HashSet};

use automerge::{Automerge, AutomergeError, Change, ChangeHash, ReadDoc};
use axum::http::StatusCode;
use karte_record::{RecordError, check_and_apply, check_loaded};
use karte_sync::cover::{Authentication, CoverChange, check_covered};
use karte_sync::{ChangeInfo, DocHeads, DocPush, SignedChange, WholeChart, verify_change};
use karte_types::{DeviceId, PatientId, Timestamp};

use crate::server::blocking::{Window, run_blocking};
use crate::server::chart_copy;
use crate::server::problem::Problem;
use crate::{
    CircleEvent, Device, DeviceStatus, DocRecord, Hub, HubStore, HubStoreError, PushedDoc,
    StoredChange,
};

/// The longest chart id the hub accepts (a ULID has 26 characters).
const MAX_DOC_ID_LEN: usize = 64;

/// The changes of one chart in a push, verified.
type VerifiedDoc = (PatientId, Vec<(SignedChange, ChangeInfo)>);

/// One pushed chart: its changes one by one, and the chart whole if sent so.
struct GroupedDoc {
    doc: PatientId,
    changes: Vec<SignedChange>,
    whole: Option<WholeChart>,
}

/// A chart sent whole, read: its changes in causal order, and which of them
/// the hub holds already.
struct ReadWhole {
    tips: Vec<karte_sync::ChangeSignature>,
    changes: Vec<automerge::Change>,
    held: HashSet<[u8; 32]>,
}

/// The record of each pushed chart the hub holds, read once per push.
type Records = HashMap<PatientId, Option<DocRecord>>;

/// A chart new to the hub that came whole and alone (no change pushed
/// beside it): the document as loaded, which its changes are checked
/// against, and its saved bytes, which once stored are its snapshot.
struct NewWholeChart {
    loaded: Automerge,
    saved: Vec<u8>,
}

/// Each chart new to the hub that came whole and alone.
type NewWhole = HashMap<PatientId, NewWholeChart>;

/// What a push did.
#[derive(Debug, Default)]
pub(super) struct Received {
    /// The hub's heads of each pushed chart.
    pub acked: Vec<DocHeads>,
    /// The hash of every change pushed.
    pub hashes: HashSet<[u8; 32]>,
    /// Whether the push went to the store (which, for a retired device,
    /// made it its final contact).
    pub stored_push: bool,
}

/// Whether a pushed chart goes on to be checked and stored.
enum Admission {
    Admitted,
    /// Outside the device's circles, but every change pushed is at the hub
    /// already: a push taken before, sent again because its answer was
    /// lost. Nothing new is written, so nothing is refused.
    HeldAlready,
}

/// Checks and stores a push from a device.
pub(super) async fn receive<S: HubStore>(
    hub: &Hub<S>,
    device: &Device,
    public_key: [u8; 32],
    pushes: Vec<DocPush>,
    now: Timestamp,
) -> Result<Received, Problem> {
    let docs = group_by_doc(pushes, &device.id)?;
    let mut records = Records::with_capacity(docs.len());
    for grouped in &docs {
        records.insert(grouped.doc.clone(), hub.store().doc(&grouped.doc).await?);
    }
    let authors = relayed_authors(hub, device, &docs).await?;
    let mut keys: HashMap<DeviceId, [u8; 32]> = authors
        .iter()
        .map(|(id, (_, key))| (id.clone(), *key))
        .collect();
    keys.insert(device.id.clone(), public_key);
    let device_id = device.id.clone();
    let (docs, mut new_whole) = read_whole_charts(hub, docs, &records).await?;
    let checked = run_blocking(move || verify_all(docs, &device_id, &keys)).await?;
    let mut verified = Vec::with_capacity(checked.len());
    for (doc, changes) in checked {
        let record = records.get(&doc).and_then(Option::as_ref);
        if let Admission::Admitted = admission(hub, device, record, &doc, &changes).await? {
            admit_authors(device, &authors, record, &doc, &changes)?;
            verified.push((doc, changes));
        }
    }
    // Each chart checked on a core of its own, taken back in push order.
    let mut window = Window::new();
    let mut applied = Vec::with_capacity(verified.len());
    for (doc, changes) in verified {
        // A chart the hub holds nothing of has nothing to load.
        let copy = match records.get(&doc).and_then(Option::as_ref) {
            Some(_) => chart_copy::load(hub, &doc).await?,
            None => chart_copy::empty(),
        };
        let up_to = copy.up_to;
        let whole = new_whole.remove(&doc);
        // A chart that grows well past its cached snapshot is saved now,
        // while its copy is at hand, and cached once the push is stored, so
        // the next device to need it whole does not rebuild it. A new chart
        // that came whole is cached as it came.
        let save =
            whole.is_none() && copy.unsaved + changes.len() > hub.config().snapshot_refresh_after;
        let pusher = device.id.clone();
        let work = move || {
            let (loaded, saved_whole) = match whole {
                Some(whole) => (Some(whole.loaded), Some(whole.saved)),
                None => (None, None),
            };
            let done = apply_to_copy(copy.doc, loaded, &doc, changes, &pusher, now, save)?;
            Ok((doc, up_to, saved_whole, done))
        };
        if let Some(done) = window.start(work).await {
            applied.push(done?);
        }
    }
    while let Some(done) = window.next().await {
        applied.push(done?);
    }
    let (mut acked, mut batch, mut hashes) = (Vec::new(), Vec::new(), HashSet::new());
    let mut to_cache = Vec::new();
    let mut pushed_whole = Vec::new();
    let mut received = 0usize;
    for (doc, up_to, whole, (saved, heads, changes)) in applied {
        acked.push(DocHeads {
            doc: doc.clone(),
            heads,
        });
        if changes.is_empty() {
            continue;
        }
        received += changes.len();
        hashes.extend(changes.iter().map(|c| c.hash));
        if let Some(bytes) = saved {
            to_cache.push((doc.clone(), bytes, up_to));
        }
        if let Some(bytes) = whole {
            pushed_whole.push((doc.clone(), bytes));
        }
        batch.push(PushedDoc { doc, changes });
    }
    let stored_push = !batch.is_empty();
    if stored_push {
        let outcome = hub.store().store_push(&device.id, batch, now).await?;
        if let Some(last) = outcome.last_position {
            for (doc, bytes) in pushed_whole {
                let created = outcome
                    .docs
                    .iter()
                    .any(|d| d.doc == doc && d.created && d.skipped == 0);
                if created {
                    chart_copy::cache_pushed_whole(hub, &doc, bytes, last).await?;
                }
            }
        }
        let stored: usize = outcome.docs.iter().map(|d| d.stored.len()).sum();
        tracing::info!(
            device = %device.id,
            charts = outcome.docs.len(),
            received,
            stored,
            "push stored"
        );
    }
    for (doc, bytes, up_to) in to_cache {
        chart_copy::cache_after_push(hub, &doc, bytes, up_to, &hashes).await?;
    }
    Ok(Received {
        acked,
        hashes,
        stored_push,
    })
}

/// Whether the device's organisation may write to a pushed chart: a new
/// chart, one in its care circles, or, for a device not retired, one
/// unshared from it after the last feed position the hub answered the
/// device with (it wrote before it could have been told; what it wrote is
/// kept, and the same answer tells it to remove the chart). The cursor the
/// device sends is not believed: a device told of the unshare could send
/// an old one and write on for ever.
async fn admission<S: HubStore>(
    hub: &Hub<S>,
    device: &Device,
    record: Option<&DocRecord>,
    doc: &PatientId,
    changes: &[(SignedChange, ChangeInfo)],
) -> Result<Admission, Problem> {
    let Some(record) = record else {
        return Ok(Admission::Admitted);
    };
    if record.circle.contains(&device.org) {
        return Ok(Admission::Admitted);
    }
    let retired = device.status != DeviceStatus::Active;
    if !retired
        && hub
            .store()
            .circle_event_after(doc, &device.org, CircleEvent::Unshared, device.served_up_to)
            .await?
    {
        tracing::info!(
            device = %device.id,
            doc = %doc,
            "taking a push to a chart unshared from the device's organisation since it was last answered"
        );
        return Ok(Admission::Admitted);
    }
    let hashes: Vec<[u8; 32]> = changes.iter().map(|(signed, _)| signed.hash).collect();
    let held = hub.store().present_changes(doc, &hashes).await?;
    if !hashes.is_empty() && hashes.iter().all(|hash| held.contains(hash)) {
        return Ok(Admission::HeldAlready);
    }
    Err(HubStoreError::OutsideCircle {
        doc: doc.clone(),
        org: device.org.clone(),
    }
    .into())
}

/// The pushed charts in the order first named, each chart's changes
/// gathered in push order. A change naming the pusher as its author is its
/// own, as one naming none. A chart comes whole at most once, and first.
fn group_by_doc(pushes: Vec<DocPush>, pusher: &DeviceId) -> Result<Vec<GroupedDoc>, Problem> {
    let mut order: Vec<GroupedDoc> = Vec::with_capacity(pushes.len());
    let mut index: HashMap<PatientId, usize> = HashMap::new();
    for mut push in pushes {
        check_doc_id(&push.doc)?;
        for change in &mut push.changes {
            if change.author.as_ref() == Some(pusher) {
                change.author = None;
            }
        }
        match index.get(&push.doc) {
            Some(&i) => {
                if push.whole.is_some() {
                    return Err(Problem::malformed(format!(
                        "chart {} is pushed whole after other pushes of it in the same request",
                        push.doc
                    )));
                }
                order[i].changes.extend(push.changes);
            }
            None => {
                index.insert(push.doc.clone(), order.len());
                order.push(GroupedDoc {
                    doc: push.doc,
                    changes: push.changes,
                    whole: push.whole,
                });
            }
        }
    }
    Ok(order)
}

/// Reads every chart sent whole, on every core: its changes, and those of
/// them the hub holds already (which need no signature: they were checked
/// when they came). Also keeps, of each chart new to the hub that came
/// whole and alone, the document as loaded and its saved bytes.
async fn read_whole_charts<S: HubStore>(
    hub: &Hub<S>,
    docs: Vec<GroupedDoc>,
    records: &Records,
) -> Result<(Vec<(GroupedDoc, Option<ReadWhole>)>, NewWhole), Problem> {
    let mut window = Window::new();
    let mut read = Vec::with_capacity(docs.len());
    let mut loading = Vec::with_capacity(docs.len());
    for mut grouped in docs {
        if let Some(whole) = grouped.whole.take() {
            let doc = grouped.doc.clone();
            let (tips, saved) = (whole.tips, whole.saved);
            let work = move || {
                let (loaded, changes) = read_saved(&doc, &saved)?;
                Ok((tips, loaded, changes, saved))
            };
            if let Some(done) = window.start(work).await {
                read.push(done?);
            }
            loading.push((grouped, true));
        } else {
            loading.push((grouped, false));
        }
    }
    while let Some(done) = window.next().await {
        read.push(done?);
    }
    let mut read = read.into_iter();
    let mut out = Vec::with_capacity(loading.len());
    let mut new_whole = NewWhole::new();
    for (grouped, whole) in loading {
        let Some((tips, loaded, changes, saved)) = whole.then(|| read.next()).flatten() else {
            out.push((grouped, None));
            continue;
        };
        let held = if records.get(&grouped.doc).is_some_and(Option::is_some) {
            let hashes: Vec<[u8; 32]> = changes.iter().map(|c| c.hash().0).collect();
            let present = hub.store().present_changes(&grouped.doc, &hashes).await?;
            present.into_iter().collect()
        } else {
            if grouped.changes.is_empty() {
                new_whole.insert(grouped.doc.clone(), NewWholeChart { loaded, saved });
            }
            HashSet::new()
        };
        out.push((
            grouped,
            Some(ReadWhole {
                tips,
                changes,
                held,
            }),
        ));
    }
    Ok((out, new_whole))
}

/// A saved chart loaded, and its changes in causal order. Automerge checks,
/// as it loads, that the changes it rebuilds hash to the heads the document
/// records, so each change's hash is that of its bytes.
fn read_saved(doc: &PatientId, saved: &[u8]) -> Result<(Automerge, Vec<Change>), Problem> {
    let loaded = karte_sync::bundle::load_whole(doc, saved).map_err(|error| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed_change",
            format!("{error}: the device must send it again; nothing was stored"),
        )
    })?;
    let changes = loaded.get_changes(&[]);
    Ok((loaded, changes))
}

pub(super) fn check_doc_id(doc: &PatientId) -> Result<(), Problem> {
    let id = doc.as_str();
    let sane = !id.is_empty()
        && id.len() <= MAX_DOC_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if sane {
        Ok(())
    } else {
        Err(Problem::malformed(format!(
            "a pushed chart id is not a chart id (1 to {MAX_DOC_ID_LEN} letters, digits, '-' or '_'): {:?}",
            id.chars().take(80).collect::<String>()
        )))
    }
}

/// The authors of relayed changes in a push (changes the pusher hands on
/// with their authors' signatures), each with its enrolled key. Each must
/// be a device this hub knows, not reported lost: a lost device's key may
/// be in a thief's hands, so nothing signed with it is taken from anyone.
/// A retired author's changes are taken, as its own final push would be:
/// retiring a device does not disown what it wrote.
async fn relayed_authors<S: HubStore>(
    hub: &Hub<S>,
    pusher: &Device,
    docs: &[GroupedDoc],
) -> Result<HashMap<DeviceId, (Device, [u8; 32])>, Problem> {
    let mut authors = HashMap::new();
    for GroupedDoc {
        doc,
        changes,
        whole,
    } in docs
    {
        // The authors named by the tips of a chart sent whole, and by the
        // changes pushed one by one.
        let tips = whole.iter().flat_map(|whole| whole.tips.iter());
        let named = tips
            .map(|tip| (tip.hash, Some(&tip.device)))
            .chain(changes.iter().map(|c| (c.hash, c.author.as_ref())));
        for (hash, author) in named {
            let Some(author) = author.filter(|author| *author != &pusher.id) else {
                continue;
            };
            if authors.contains_key(author) {
                continue;
            }
            let refused = |why: &str| {
                Problem::new(
                    StatusCode::FORBIDDEN,
                    "misattributed_change",
                    format!(
                        "chart {doc}: change {} relayed by {} names as its author {author}, {why}; nothing of the push was stored",
                        hex::encode(hash),
                        pusher.id
                    ),
                )
            };
            let Some(record) = hub.store().device(author).await? else {
                return Err(refused("a device this hub does not know"));
            };
            if record.status == DeviceStatus::RevokedLost {
                return Err(refused(
                    "a device reported lost, whose changes are taken from no one",
                ));
            }
            let key = record.public_key_array()?;
            authors.insert(author.clone(), (record, key));
        }
    }
    Ok(authors)
}

/// Whether each author of relayed changes to `doc` may write it, as if it
/// had pushed them itself: its organisation is in the chart's care circle,
/// or the chart is new and the author is of the pusher's organisation.
fn admit_authors(
    pusher: &Device,
    authors: &HashMap<DeviceId, (Device, [u8; 32])>,
    record: Option<&DocRecord>,
    doc: &PatientId,
    changes: &[(SignedChange, ChangeInfo)],
) -> Result<(), Problem> {
    let relayed: HashSet<&DeviceId> = changes
        .iter()
        .filter_map(|(signed, _)| signed.author.as_ref())
        .collect();
    if relayed.is_empty() {
        return Ok(());
    }
    let circle = record.map(|record| &record.circle);
    for author in relayed {
        let (record, _) = &authors[author];
        let allowed = match circle {
            Some(circle) => circle.contains(&record.org),
            None => record.org == pusher.org,
        };
        if !allowed {
            return Err(HubStoreError::OutsideCircle {
                doc: doc.clone(),
                org: record.org.clone(),
            }
            .into());
        }
    }
    Ok(())
}

fn verify_all(
    docs: Vec<(GroupedDoc, Option<ReadWhole>)>,
    pusher: &DeviceId,
    keys: &HashMap<DeviceId, [u8; 32]>,
) -> Result<Vec<VerifiedDoc>, Problem> {
    docs.into_iter()
        .map(|(grouped, whole)| {
            let mut verified = Vec::new();
            if let Some(whole) = whole {
                verified = verify_whole(&grouped.doc, whole, pusher, keys)?;
            }
            for signed in grouped.changes {
                // Each change against its author's key: the pusher's
                // own, or the relayed author's, never the relay's.
                let author = signed.author.as_ref().unwrap_or(pusher);
                let info = verify_change(&signed, author, &keys[author])?;
                verified.push((signed, info));
            }
            Ok((grouped.doc, verified))
        })
        .collect()
}

/// The changes of a chart sent whole that the hub lacks, each authenticated
/// by the cover rule and attributed to the author whose tip vouches for it.
fn verify_whole(
    doc: &PatientId,
    whole: ReadWhole,
    pusher: &DeviceId,
    keys: &HashMap<DeviceId, [u8; 32]>,
) -> Result<Vec<(SignedChange, ChangeInfo)>, Problem> {
    let ReadWhole {
        tips,
        changes,
        held,
    } = whole;
    let list: Vec<CoverChange<'_>> = changes.iter().map(CoverChange::from).collect();
    let how = check_covered(&list, &tips, keys, &|hash| held.contains(hash))
        .map_err(|error| refused_cover(doc, error))?;
    let by_hash: HashMap<[u8; 32], &karte_sync::ChangeSignature> =
        tips.iter().map(|tip| (tip.hash, tip)).collect();
    let mut out = Vec::with_capacity(changes.len());
    for (change, how) in changes.into_iter().zip(how) {
        let hash = change.hash().0;
        let (tip, signature) = match how {
            Authentication::Held => continue,
            Authentication::Signed => (by_hash[&hash], by_hash[&hash].signature.clone()),
            Authentication::Covered { tip } => (by_hash[&tip], Vec::new()),
        };
        let signed = SignedChange {
            change: change.raw_bytes().to_vec(),
            hash,
            signature,
            author: (tip.device != *pusher).then(|| tip.device.clone()),
        };
        let info = ChangeInfo {
            hash: change.hash(),
            actor: change.actor_id().clone(),
            deps: change.deps().to_vec(),
            change,
        };
        out.push((signed, info));
    }
    Ok(out)
}

/// A chart sent whole whose signatures do not vouch for every change in
/// it: refused with the signature's code, naming the chart.
fn refused_cover(doc: &PatientId, error: karte_sync::SyncError) -> Problem {
    let (status, code) = match &error {
        karte_sync::SyncError::Auth(auth) => (
            StatusCode::from_u16(auth.http_status()).unwrap_or(StatusCode::FORBIDDEN),
            auth.code(),
        ),
        karte_sync::SyncError::UnknownSigner { .. } => (StatusCode::FORBIDDEN, "unknown_signer"),
        _ => (StatusCode::BAD_REQUEST, "malformed"),
    };
    Problem::new(
        status,
        code,
        format!("chart {doc}, pushed whole: {error}; nothing of the push was stored"),
    )
}

/// The copy with a push applied, saved whole if asked, and its heads.
type Applied = (Option<Vec<u8>>, Vec<[u8; 32]>, Vec<StoredChange>);

/// Checks a chart's pushed changes against the hub's copy, and returns the
/// copy with them applied (saved if `save`), its heads and the changes to
/// store. `loaded` is a chart new to the hub that came whole and alone, as
/// loaded: its changes are `changes`, and the copy (empty) is not needed.
fn apply_to_copy(
    copy: Automerge,
    loaded: Option<Automerge>,
    doc: &PatientId,
    changes: Vec<(SignedChange, ChangeInfo)>,
    pusher: &DeviceId,
    received_at: Timestamp,
    save: bool,
) -> Result<Applied, Problem> {
    let mut pushed: HashSet<ChangeHash> = HashSet::with_capacity(changes.len());
    let mut outside: Vec<ChangeHash> = Vec::new();
    for (_, info) in &changes {
        outside.extend(info.deps.iter().filter(|dep| !pushed.contains(dep)));
        pushed.insert(info.hash);
    }
    // A dependency is satisfied only by the hub or an earlier change of
    // the push; one satisfied by a later change would put a change before
    // its dependency in the feed.
    let mut seen: HashSet<ChangeHash> = HashSet::with_capacity(changes.len());
    let missing_at_hub: HashSet<ChangeHash> = copy.get_missing_deps(&outside).into_iter().collect();
    for (_, info) in &changes {
        if let Some(dep) = info
            .deps
            .iter()
            .find(|dep| missing_at_hub.contains(dep) && !seen.contains(dep))
        {
            return Err(Problem::new(
                StatusCode::CONFLICT,
                "missing_dependency",
                format!(
                    "change {} of chart {doc} depends on change {}, which the hub does not have and the push does not bring before it: push every change the hub lacks, in causal order; nothing was stored",
                    info.hash, dep
                ),
            ));
        }
        seen.insert(info.hash);
    }
    // Judged as the author's: a relayed change is checked as if its author
    // had pushed it, with the chart checks every device makes of what it
    // receives. A change the hub has (pushed again after a lost answer)
    // was checked when it came first. A refusal drops the copy with
    // everything of the push.
    let (signed, line): (Vec<SignedChange>, Vec<Change>) = changes
        .into_iter()
        .map(|(signed, info)| (signed, info.change))
        .unzip();
    let signer_of =
        |i: usize, _: &Change| Some(signed[i].author.as_ref().unwrap_or(pusher).clone());
    let checked = match loaded {
        Some(loaded) => check_loaded(loaded, doc, &line, signer_of, received_at),
        None => check_and_apply(&copy, doc, line, signer_of, received_at),
    };
    let copy = checked.map_err(|error| refused(doc, error))?;
    let stored = signed
        .into_iter()
        .map(|signed| StoredChange {
            hash: signed.hash,
            bytes: signed.change,
            signature: signed.signature,
            author: signed.author,
        })
        .collect();
    let heads = copy.get_heads().into_iter().map(|h| h.0).collect();
    Ok((save.then(|| copy.save()), heads, stored))
}

/// A refused change, with the code a device gives when it refuses the
/// same change from the hub: an edit Karte does not make, one naming
/// another author than its signer, or one dated implausibly (the chart's
/// own code: `forbidden_change`, `misattributed_change`,
/// `implausible_change_time`), a change Automerge does not accept, or one
/// that would leave no valid chart.
fn refused(doc: &PatientId, error: RecordError) -> Problem {
    let edit = |status: StatusCode, error: RecordError| {
        Problem::new(
            status,
            error.code().as_str(),
            format!("chart {doc}: {error}; nothing of the push was stored"),
        )
    };
    match error {
        error @ (RecordError::ForbiddenChange { .. } | RecordError::MisattributedChange { .. }) => {
            edit(StatusCode::FORBIDDEN, error)
        }
        error @ RecordError::ImplausibleChangeTime { .. } => {
            edit(StatusCode::UNPROCESSABLE_ENTITY, error)
        }
        RecordError::Automerge(error) => refused_change(doc, error),
        other => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_chart",
            format!(
                "chart {doc} would be no valid chart with the pushed changes ({other}), and every device would refuse it: the pushing device runs an altered or broken Karte; nothing was stored"
            ),
        ),
    }
}

fn refused_change(doc: &PatientId, error: AutomergeError) -> Problem {
    match error {
        AutomergeError::DuplicateSeqNumber(seq, actor) => Problem::new(
            StatusCode::CONFLICT,
            "reused_actor",
            format!(
                "chart {doc}: actor {actor} wrote two different changes numbered {seq} (the vault was restored, or opened by two processes at once): restart Karte on the device so it takes a fresh actor; nothing was stored"
            ),
        ),
        other => Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid_change",
            format!(
                "chart {doc} does not accept a pushed change ({other}): the device must send it again; nothing was stored"
            ),
        ),
    }
}
