//! Encryption at rest: every chart payload the hub stores (changes, cached
//! snapshots, the digests of names, kana and birth dates worked out from
//! them) is AES-256-GCM ciphertext under a data key of the chart's owning
//! organisation, and each organisation's data key is stored wrapped by the
//! hub's master key. A stolen disk or a database dump shows ids, sequence
//! numbers, sizes and times, never a patient.
//!
//! The associated data of each ciphertext names its table, its row (chart
//! and change hash, or chart) and its version (a snapshot's feed position),
//! as the device vault does, so a ciphertext copied to another row or an old
//! one put back fails to open: the store answers `tampered`.
//!
//! A sealed value is `K` `1`, the length and id of the organisation whose
//! key sealed it, then `nonce || ciphertext || tag`. Naming the key in the
//! value lets a reader open it without knowing the chart's owner.
//!
//! The master key sits behind [`MasterKey`], two calls shaped like a key
//! management service's (wrap and unwrap a data key), so a cloud KMS can
//! take the place of the key file. Data keys are unwrapped once per process
//! and kept in memory; an organisation gets its data key when the hub first
//! stores a payload of it.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, RwLock};

use karte_store::crypto::{Aad, KEY_LEN, SEAL_OVERHEAD, SecretKey, open, seal};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

use crate::rules::AccountRows;
use crate::{HubStoreError, OrgId};

type Result<T> = std::result::Result<T, HubStoreError>;

/// What keeps the organisations' data keys: wraps a fresh data key for
/// storage and unwraps a stored one. `context` names what the key is for
/// (an organisation's id); unwrapping under another context fails.
///
/// Called once per organisation per hub process (keys are cached), from the
/// storage threads; an implementation over a network KMS may block.
pub trait MasterKey: Send + Sync + 'static {
    fn wrap(&self, context: &str, data_key: &[u8; KEY_LEN]) -> Result<Vec<u8>>;

    /// The data key, or `HubStoreError::WrongMasterKey` if `wrapped` was
    /// not made by this master key for `context`.
    fn unwrap(&self, context: &str, wrapped: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>>;
}

/// The first line of a master key file.
const FILE_HEADER: &str = "karte-hub master key v1";

/// A master key kept in a file on the hub's disk (mode 0600): 256 random
/// bits, wrapping data keys with AES-256-GCM.
pub struct MasterKeyFile {
    key: SecretKey,
}

impl std::fmt::Debug for MasterKeyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKeyFile(..)")
    }
}

impl MasterKeyFile {
    /// Makes a new master key and writes it to `path`, a new file only its
    /// owner may read; an existing file is never overwritten.
    pub fn create(path: &Path) -> std::result::Result<MasterKeyFile, MasterKeyFileError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        SystemRandom::new()
            .fill(bytes.as_mut())
            .map_err(|_| MasterKeyFileError::NoRandomness)?;
        let text = Zeroizing::new(format!("{FILE_HEADER}\n{}\n", hex::encode(*bytes)));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let io = |source| MasterKeyFileError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = options.open(path).map_err(io)?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(io)?;
        Ok(MasterKeyFile::from_bytes(bytes))
    }

    /// Reads the master key at `path`. A file that others may read is
    /// refused: the key opens every chart on the hub.
    pub fn read(path: &Path) -> std::result::Result<MasterKeyFile, MasterKeyFileError> {
        let io = |source| MasterKeyFileError::Io {
            path: path.to_owned(),
            source,
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
            if mode & 0o077 != 0 {
                return Err(MasterKeyFileError::OpenToOthers {
                    path: path.to_owned(),
                    mode: mode & 0o777,
                });
            }
        }
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(io)?);
        let malformed = || MasterKeyFileError::Malformed {
            path: path.to_owned(),
        };
        let mut lines = text.lines();
        if lines.next() != Some(FILE_HEADER) {
            return Err(malformed());
        }
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        hex::decode_to_slice(lines.next().unwrap_or("").trim(), bytes.as_mut())
            .map_err(|_| malformed())?;
        Ok(MasterKeyFile::from_bytes(bytes))
    }

    /// A master key of the given bytes, for tests.
    pub fn from_bytes(bytes: Zeroizing<[u8; KEY_LEN]>) -> MasterKeyFile {
        MasterKeyFile {
            key: SecretKey::from_bytes(bytes),
        }
    }
}

/// The associated data of a wrapped data key.
fn wrap_aad(context: &str) -> Aad<'_> {
    Aad {
        table: "hub.data_keys",
        row: context,
        version: 1,
    }
}

impl MasterKey for MasterKeyFile {
    fn wrap(&self, context: &str, data_key: &[u8; KEY_LEN]) -> Result<Vec<u8>> {
        seal(&self.key, &wrap_aad(context), data_key).map_err(|_| HubStoreError::NoRandomness)
    }

    fn unwrap(&self, context: &str, wrapped: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>> {
        let plain = Zeroizing::new(
            open(&self.key, &wrap_aad(context), wrapped)
                .map_err(|_| HubStoreError::WrongMasterKey)?,
        );
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        if plain.len() != KEY_LEN {
            return Err(HubStoreError::WrongMasterKey);
        }
        key.copy_from_slice(&plain);
        Ok(key)
    }
}

/// Why a master key file could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyFileError {
    #[error("cannot use the master key file {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the master key file {path} may be read by others (mode {mode:o}): make it the hub user's alone with `chmod 600`"
    )]
    OpenToOthers { path: std::path::PathBuf, mode: u32 },
    #[error(
        "{path} is not a karte-hub master key file: give the file `karte-hub master-key new` wrote"
    )]
    Malformed { path: std::path::PathBuf },
    #[error("the operating system's random source failed: try again")]
    NoRandomness,
}

/// How a store keeps chart payloads.
#[derive(Clone)]
pub enum AtRest {
    /// Sealed under per-organisation data keys wrapped by this master key.
    Sealed(Arc<dyn MasterKey>),
    /// No master key: the store serves administration (organisations,
    /// devices, enrolment codes); storing or reading a chart fails with
    /// `no_master_key`.
    AdminOnly,
    /// In clear, as before encryption at rest: only so the benchmark can
    /// measure what sealing costs, beside it in the same run.
    #[doc(hidden)]
    ClearForBenchmarks,
}

impl std::fmt::Debug for AtRest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AtRest::Sealed(_) => "Sealed",
            AtRest::AdminOnly => "AdminOnly",
            AtRest::ClearForBenchmarks => "ClearForBenchmarks",
        })
    }
}

/// The context of the value that proves a master key is the database's.
const MASTER_CHECK: &str = "master key check";

/// What a store needs to seal and open payloads: the master key and the
/// data keys unwrapped so far, shared by every connection of the store.
pub(crate) struct Keyring {
    at_rest: AtRest,
    keys: RwLock<HashMap<OrgId, Arc<SecretKey>>>,
}

/// Where a sealed value lives: its table, its row and the row's version.
/// Outside the database (photos) the "table" names the kind of data and
/// the row the item, as the caller chooses.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub table: &'static str,
    pub row: &'a str,
    pub version: u64,
}

/// The first bytes of every sealed value.
pub(crate) const MAGIC: [u8; 2] = [b'K', 1];

/// The length of an organisation id the administrator's tool makes.
const ULID_LEN: usize = 26;

impl Keyring {
    pub(crate) fn new(at_rest: AtRest) -> Keyring {
        Keyring {
            at_rest,
            keys: RwLock::new(HashMap::new()),
        }
    }

    /// Checks, as the store opens, that the master key is the one the
    /// database was sealed with: a database opened for the first time with
    /// a master key records a value only that key opens. A database that
    /// already holds charts stored in clear is refused.
    pub(crate) async fn check_master(&self, rows: &impl AccountRows) -> Result<()> {
        let AtRest::Sealed(master) = &self.at_rest else {
            return Ok(());
        };
        if let Some(check) = rows.master_check().await? {
            return master.unwrap(MASTER_CHECK, &check).map(drop);
        }
        if rows.holds_chart_payloads().await? {
            return Err(HubStoreError::ClearDatabase);
        }
        let check = master.wrap(MASTER_CHECK, &*random_key()?)?;
        if !rows.insert_master_check(&check).await? {
            // Another hub process recorded its check first: it must be ours.
            let check = rows
                .master_check()
                .await?
                .ok_or(HubStoreError::WrongMasterKey)?;
            master.unwrap(MASTER_CHECK, &check)?;
        }
        Ok(())
    }

    /// Seals `plain` at `place` under the data key of `org`, made and
    /// stored if `org` has none yet (so call it inside a write).
    pub(crate) async fn seal(
        &self,
        rows: &impl AccountRows,
        org: &OrgId,
        place: &Place<'_>,
        plain: &[u8],
    ) -> Result<Vec<u8>> {
        if let Some(sealed) = self.seal_cached(org, place, plain) {
            return sealed;
        }
        let AtRest::Sealed(master) = &self.at_rest else {
            unreachable!("seal_cached answers every mode but Sealed");
        };
        let key = self.load_or_make(rows, master.as_ref(), org).await?;
        seal_under(&key, org, place, plain)
    }

    /// Seals `plain` as [`Keyring::seal`] does when no database is needed:
    /// `org`'s data key is in memory, or the hub seals nothing (or cannot).
    /// `None` when the key must first be loaded or made, inside a write.
    /// Refuses `no_master_key` unless payloads are sealed: data kept
    /// outside the database (photos) is never kept in the clear, not even
    /// in the clear benchmark mode, which only charts' payloads have.
    pub(crate) fn require_sealed(&self) -> Result<()> {
        match self.at_rest {
            AtRest::Sealed(_) => Ok(()),
            AtRest::AdminOnly | AtRest::ClearForBenchmarks => Err(HubStoreError::NoMasterKey),
        }
    }

    pub(crate) fn seal_cached(
        &self,
        org: &OrgId,
        place: &Place<'_>,
        plain: &[u8],
    ) -> Option<Result<Vec<u8>>> {
        match &self.at_rest {
            AtRest::Sealed(_) => self
                .cached(org)
                .map(|key| seal_under(&key, org, place, plain)),
            AtRest::AdminOnly => Some(Err(HubStoreError::NoMasterKey)),
            AtRest::ClearForBenchmarks => Some(Ok(plain.to_vec())),
        }
    }

    /// Opens what `seal` made at `place`; `tampered` if it was altered,
    /// moved from another row or put back from an older version. Reads the
    /// organisation's wrapped key at most; never writes.
    pub(crate) async fn open(
        &self,
        rows: &impl AccountRows,
        place: &Place<'_>,
        stored: Vec<u8>,
    ) -> Result<Vec<u8>> {
        if let Some(plain) = self.open_cached(place, &stored) {
            return plain;
        }
        let AtRest::Sealed(master) = &self.at_rest else {
            unreachable!("open_cached answers every mode but Sealed");
        };
        let (org, sealed) = sealed_by(place, &stored)?;
        let key = self
            .load(rows, master.as_ref(), &org)
            .await?
            .ok_or_else(|| tampered(place))?;
        open(&key, &aad(place), sealed).map_err(|_| tampered(place))
    }

    /// Opens as [`Keyring::open`] does when no database is needed: the
    /// sealing organisation's key is in memory, or the hub seals nothing
    /// (or cannot). `None` when the key must first be read.
    pub(crate) fn open_cached(&self, place: &Place<'_>, stored: &[u8]) -> Option<Result<Vec<u8>>> {
        match &self.at_rest {
            AtRest::Sealed(_) => {
                let (org, sealed) = match sealed_by(place, stored) {
                    Ok(found) => found,
                    Err(error) => return Some(Err(error)),
                };
                let key = self.cached(&org)?;
                Some(open(&key, &aad(place), sealed).map_err(|_| tampered(place)))
            }
            AtRest::AdminOnly => Some(Err(HubStoreError::NoMasterKey)),
            AtRest::ClearForBenchmarks => Some(Ok(stored.to_vec())),
        }
    }

    /// About how many bytes longer a stored payload is than the payload:
    /// exact for organisation ids of 26 characters (ULIDs). Pages are
    /// planned by stored sizes; this keeps them planned by what is sent.
    pub(crate) fn stored_overhead(&self) -> usize {
        match self.at_rest {
            AtRest::Sealed(_) => MAGIC.len() + 1 + ULID_LEN + SEAL_OVERHEAD,
            AtRest::AdminOnly | AtRest::ClearForBenchmarks => 0,
        }
    }

    fn cached(&self, org: &OrgId) -> Option<Arc<SecretKey>> {
        let keys = self
            .keys
            .read()
            .expect("the key cache lock is never poisoned");
        keys.get(org).cloned()
    }

    /// The data key of `org` stored in the database, unwrapped and cached.
    async fn load(
        &self,
        rows: &impl AccountRows,
        master: &dyn MasterKey,
        org: &OrgId,
    ) -> Result<Option<Arc<SecretKey>>> {
        let Some(wrapped) = rows.org_key(org).await? else {
            return Ok(None);
        };
        let key = Arc::new(SecretKey::from_bytes(
            master.unwrap(org.as_str(), &wrapped)?,
        ));
        let mut keys = self
            .keys
            .write()
            .expect("the key cache lock is never poisoned");
        Ok(Some(keys.entry(org.clone()).or_insert(key).clone()))
    }

    /// The data key of `org`, made and stored if it has none.
    async fn load_or_make(
        &self,
        rows: &impl AccountRows,
        master: &dyn MasterKey,
        org: &OrgId,
    ) -> Result<Arc<SecretKey>> {
        if let Some(key) = self.load(rows, master, org).await? {
            return Ok(key);
        }
        let wrapped = master.wrap(org.as_str(), &*random_key()?)?;
        // Of two writers making a key at once, one stores it; both then use
        // the stored one.
        rows.insert_org_key(org, &wrapped).await?;
        self.load(rows, master, org)
            .await?
            .ok_or_else(|| HubStoreError::UnknownOrg(org.clone()))
    }
}

impl Keyring {
    /// `org`'s Ed25519 signing key, made and stored (its seed wrapped by
    /// the master key) if it has none, so call it inside a write. The
    /// wrapping names what the key is for, so a wrapped data key put in
    /// its place does not unwrap.
    pub(crate) async fn signing_key(
        &self,
        rows: &impl AccountRows,
        org: &OrgId,
        now: karte_types::Timestamp,
    ) -> Result<karte_sync::trust::IssuerKey> {
        let AtRest::Sealed(master) = &self.at_rest else {
            return Err(HubStoreError::NoMasterKey);
        };
        let context = format!("signing key of {org}");
        let open = |wrapped: &[u8]| -> Result<karte_sync::trust::IssuerKey> {
            let seed = master.unwrap(&context, wrapped)?;
            karte_sync::trust::IssuerKey::from_seed(
                karte_sync::trust::Principal::Org(org.0.clone()),
                &seed,
            )
            .map_err(|_| HubStoreError::corrupt("an organisation's signing key is damaged"))
        };
        if let Some(wrapped) = rows.org_signing_key(org).await? {
            return open(&wrapped);
        }
        let seed = random_key()?;
        let key = karte_sync::trust::IssuerKey::from_seed(
            karte_sync::trust::Principal::Org(org.0.clone()),
            &seed,
        )
        .map_err(|_| HubStoreError::NoRandomness)?;
        let wrapped = master.wrap(&context, &seed)?;
        // Of two writers making a key at once, one stores it; both then use
        // the stored one.
        if rows
            .insert_org_signing_key(org, &key.public_key(), &wrapped, now)
            .await?
        {
            return Ok(key);
        }
        let stored = rows
            .org_signing_key(org)
            .await?
            .ok_or_else(|| HubStoreError::UnknownOrg(org.clone()))?;
        open(&stored)
    }
}

fn random_key() -> Result<Zeroizing<[u8; KEY_LEN]>> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    SystemRandom::new()
        .fill(key.as_mut())
        .map_err(|_| HubStoreError::NoRandomness)?;
    Ok(key)
}

/// The associated data of a value at `place`. The organisation needs no
/// naming: its key is the one that opens the value.
fn aad<'a>(place: &'a Place<'a>) -> Aad<'a> {
    Aad {
        table: place.table,
        row: place.row,
        version: place.version,
    }
}

fn tampered(place: &Place<'_>) -> HubStoreError {
    HubStoreError::Tampered {
        table: place.table,
        row: place.row.to_owned(),
    }
}

/// `MAGIC`, the length and id of `org`, then `plain` sealed at `place`.
fn seal_under(key: &SecretKey, org: &OrgId, place: &Place<'_>, plain: &[u8]) -> Result<Vec<u8>> {
    let id = org.as_str().as_bytes();
    let id_len = u8::try_from(id.len())
        .map_err(|_| HubStoreError::corrupt("an organisation id over 255 bytes"))?;
    let sealed = seal(key, &aad(place), plain).map_err(|_| HubStoreError::NoRandomness)?;
    let mut out = Vec::with_capacity(MAGIC.len() + 1 + id.len() + sealed.len());
    out.extend_from_slice(&MAGIC);
    out.push(id_len);
    out.extend_from_slice(id);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// The organisation whose key sealed a stored value, and its sealed bytes.
fn sealed_by<'s>(place: &Place<'_>, stored: &'s [u8]) -> Result<(OrgId, &'s [u8])> {
    let (id, sealed) = split_sealed(stored).ok_or_else(|| tampered(place))?;
    let id = std::str::from_utf8(id).map_err(|_| tampered(place))?;
    Ok((OrgId(id.to_owned()), sealed))
}

/// The organisation id and the sealed bytes of a stored value.
fn split_sealed(stored: &[u8]) -> Option<(&[u8], &[u8])> {
    let rest = stored.strip_prefix(&MAGIC)?;
    let (&len, rest) = rest.split_first()?;
    (rest.len() >= usize::from(len)).then(|| rest.split_at(usize::from(len)))
}
