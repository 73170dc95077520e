//! The people who may unlock a vault. Each user's passphrase wraps the one
//! data key of the vault, so adding a user or changing a passphrase rewraps
//! one key and never re-encrypts data.

use karte_types::{UserId, ValidationError};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::StoreError;
use crate::crypto::kdf::{KdfParams, SALT_LEN, random_salt};
use crate::crypto::{Aad, KEY_LEN, SecretKey, open, seal};

pub(crate) const V1: &str = "
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    -- Login names stay plaintext: they name staff, not patients, and the
    -- unlock screen lists them before any key is known.
    name TEXT NOT NULL UNIQUE,
    -- Plaintext: the cost parameters and salt of this user's key derivation.
    kdf_memory_kib INTEGER NOT NULL,
    kdf_iterations INTEGER NOT NULL,
    kdf_parallelism INTEGER NOT NULL,
    salt BLOB NOT NULL,
    -- A counter, bound into the wrapped key's associated data.
    key_version INTEGER NOT NULL,
    -- The data key sealed under the key derived from the passphrase.
    wrapped_key BLOB NOT NULL,
    -- Sealed under the data key: the name and role, so neither can be
    -- changed by editing the file.
    profile BLOB NOT NULL
);
";

/// What a user may do. Only an administrator adds users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Nurse,
    Doctor,
    Clerk,
    Admin,
}

impl Role {
    pub const ALL: &'static [Role] = &[Role::Nurse, Role::Doctor, Role::Clerk, Role::Admin];

    pub fn code(self) -> &'static str {
        match self {
            Role::Nurse => "nurse",
            Role::Doctor => "doctor",
            Role::Clerk => "clerk",
            Role::Admin => "admin",
        }
    }

    /// The Japanese label shown to users.
    pub fn label_ja(self) -> &'static str {
        match self {
            Role::Nurse => "看護師",
            Role::Doctor => "医師",
            Role::Clerk => "事務",
            Role::Admin => "管理者",
        }
    }

    /// Parses a code (`nurse`) or a Japanese label (`看護師`).
    pub fn parse(text: &str) -> Result<Role, ValidationError> {
        let text = text.trim();
        let lower = text.to_lowercase();
        Role::ALL
            .iter()
            .copied()
            .find(|role| role.code() == lower || role.label_ja() == text)
            .ok_or_else(|| {
                ValidationError::new(
                    "role",
                    "unknown_code",
                    format!("'{text}' is not a role; use one of nurse, doctor, clerk, admin"),
                )
            })
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Role {
    type Err = ValidationError;

    fn from_str(text: &str) -> Result<Role, ValidationError> {
        Role::parse(text)
    }
}

/// A user of the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: UserId,
    pub name: String,
    pub role: Role,
}

/// What unlocking needs of a user: everything but the passphrase.
#[derive(Debug)]
pub(crate) struct Credentials {
    pub id: UserId,
    pub kdf: KdfParams,
    salt: Vec<u8>,
    key_version: u64,
    wrapped_key: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Profile {
    name: String,
    role: Role,
}

fn wrap_aad(id: &UserId, key_version: u64) -> Aad<'_> {
    Aad {
        table: "users.wrapped_key",
        row: id.as_str(),
        version: key_version,
    }
}

fn profile_aad(id: &UserId) -> Aad<'_> {
    Aad {
        table: "users.profile",
        row: id.as_str(),
        version: 0,
    }
}

/// A login name as stored: trimmed, not empty, printable.
pub(crate) fn clean_name(name: &str) -> Result<&str, StoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            "a user name must be 1 to 100 printable characters, e.g. 'sato'",
        ));
    }
    Ok(name)
}

pub(crate) fn check_passphrase(passphrase: &[u8]) -> Result<(), StoreError> {
    if passphrase.is_empty() {
        return Err(StoreError::invalid("the passphrase must not be empty"));
    }
    Ok(())
}

/// Seals the data key under a key derived from `passphrase` with a new salt.
fn wrap(
    data_key: &SecretKey,
    id: &UserId,
    key_version: u64,
    passphrase: &[u8],
    kdf: KdfParams,
) -> Result<([u8; SALT_LEN], Vec<u8>), StoreError> {
    check_passphrase(passphrase)?;
    let salt = random_salt()?;
    let wrapping_key = kdf.derive(passphrase, &salt)?;
    let wrapped = seal(&wrapping_key, &wrap_aad(id, key_version), data_key.expose())?;
    Ok((salt, wrapped))
}

/// The data key, if `passphrase` is this user's.
pub(crate) fn unwrap_key(
    credentials: &Credentials,
    passphrase: &[u8],
) -> Result<SecretKey, StoreError> {
    let wrapping_key = credentials.kdf.derive(passphrase, &credentials.salt)?;
    let aad = wrap_aad(&credentials.id, credentials.key_version);
    let plain = Zeroizing::new(
        open(&wrapping_key, &aad, &credentials.wrapped_key)
            .map_err(|_| StoreError::WrongPassphrase)?,
    );
    let bytes: [u8; KEY_LEN] = plain
        .as_slice()
        .try_into()
        .map_err(|_| StoreError::WrongPassphrase)?;
    Ok(SecretKey::from_bytes(Zeroizing::new(bytes)))
}

pub(crate) fn insert(
    conn: &Connection,
    data_key: &SecretKey,
    user: &UserRecord,
    passphrase: &[u8],
    kdf: KdfParams,
) -> Result<(), StoreError> {
    let exists: Option<i64> = conn
        .query_row(
            "SELECT 1 FROM users WHERE name = ?1 OR id = ?2",
            params![user.name, user.id.as_str()],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_some() {
        return Err(StoreError::UserExists {
            name: user.name.clone(),
        });
    }
    let (salt, wrapped) = wrap(data_key, &user.id, 1, passphrase, kdf)?;
    let profile = serde_json::to_vec(&Profile {
        name: user.name.clone(),
        role: user.role,
    })
    .expect("a profile always serialises");
    let profile = seal(data_key, &profile_aad(&user.id), &profile)?;
    conn.execute(
        "INSERT INTO users (id, name, kdf_memory_kib, kdf_iterations, kdf_parallelism, salt, key_version, wrapped_key, profile)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8)",
        params![user.id.as_str(), user.name, kdf.memory_kib, kdf.iterations, kdf.parallelism, &salt[..], wrapped, profile],
    )?;
    Ok(())
}

/// Rewraps the data key under a new passphrase (and the vault's current
/// parameters) for one user.
pub(crate) fn rewrap(
    conn: &Connection,
    data_key: &SecretKey,
    id: &UserId,
    passphrase: &[u8],
    kdf: KdfParams,
) -> Result<(), StoreError> {
    let key_version: i64 = conn.query_row(
        "SELECT key_version FROM users WHERE id = ?1",
        [id.as_str()],
        |r| r.get(0),
    )?;
    let key_version = key_version as u64 + 1;
    let (salt, wrapped) = wrap(data_key, id, key_version, passphrase, kdf)?;
    conn.execute(
        "UPDATE users SET kdf_memory_kib = ?2, kdf_iterations = ?3, kdf_parallelism = ?4, salt = ?5, key_version = ?6, wrapped_key = ?7
         WHERE id = ?1",
        params![id.as_str(), kdf.memory_kib, kdf.iterations, kdf.parallelism, &salt[..], key_version as i64, wrapped],
    )?;
    Ok(())
}

/// Login names, for the unlock screen.
pub(crate) fn names(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let mut statement = conn.prepare("SELECT name FROM users ORDER BY name")?;
    let names = statement
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(names)
}

pub(crate) fn credentials(conn: &Connection, name: &str) -> Result<Credentials, StoreError> {
    let found = conn
        .query_row(
            "SELECT id, kdf_memory_kib, kdf_iterations, kdf_parallelism, salt, key_version, wrapped_key FROM users WHERE name = ?1",
            [name.trim()],
            |r| {
                Ok(Credentials {
                    id: UserId(r.get(0)?),
                    kdf: KdfParams::new(r.get(1)?, r.get(2)?, r.get(3)?),
                    salt: r.get(4)?,
                    key_version: r.get::<_, i64>(5)? as u64,
                    wrapped_key: r.get(6)?,
                })
            },
        )
        .optional()?;
    let credentials = found.ok_or_else(|| StoreError::UnknownUser {
        name: name.trim().to_owned(),
    })?;
    if let Some(problem) = credentials.kdf.problem() {
        return Err(StoreError::corrupt(format!(
            "user {name}'s key-derivation parameters: {problem}"
        )));
    }
    Ok(credentials)
}

fn record_from_row(
    key: &SecretKey,
    id: String,
    name: String,
    profile: &[u8],
) -> Result<UserRecord, StoreError> {
    let id = UserId(id);
    let damaged = || StoreError::integrity(format!("user {name}"));
    let plain = open(key, &profile_aad(&id), profile).map_err(|_| damaged())?;
    let profile: Profile = serde_json::from_slice(&plain).map_err(|_| damaged())?;
    if profile.name != name {
        return Err(damaged());
    }
    Ok(UserRecord {
        id,
        name,
        role: profile.role,
    })
}

pub(crate) fn record(
    conn: &Connection,
    key: &SecretKey,
    id: &UserId,
) -> Result<UserRecord, StoreError> {
    let (id, name, profile): (String, String, Vec<u8>) = conn.query_row(
        "SELECT id, name, profile FROM users WHERE id = ?1",
        [id.as_str()],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    record_from_row(key, id, name, &profile)
}

pub(crate) fn all(conn: &Connection, key: &SecretKey) -> Result<Vec<UserRecord>, StoreError> {
    let mut statement = conn.prepare_cached("SELECT id, name, profile FROM users ORDER BY name")?;
    let rows = statement
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, name, profile)| record_from_row(key, id, name, &profile))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_codes_and_japanese_labels() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()).unwrap(), *role);
            assert_eq!(Role::parse(role.label_ja()).unwrap(), *role);
            assert_eq!(role.to_string().parse::<Role>().unwrap(), *role);
            let json = serde_json::to_string(role).unwrap();
            assert_eq!(json, format!("\"{}\"", role.code()));
        }
        assert_eq!(Role::parse(" Admin ").unwrap(), Role::Admin);
        assert_eq!(Role::parse("chef").unwrap_err().code, "unknown_code");
    }

    #[test]
    fn names_are_trimmed_and_must_be_printable() {
        assert_eq!(clean_name("  sato ").unwrap(), "sato");
        for bad in ["", "   ", "a\nb", &"x".repeat(101)] {
            assert_eq!(
                clean_name(bad).unwrap_err().code(),
                "invalid_input",
                "{bad:?}"
            );
        }
    }
}
