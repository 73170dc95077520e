//! What an administrator does to a hub from the command line: make an
//! organisation with its recovery key, and invite a device with a one-time
//! code. Time and randomness are handed in.

use std::time::Duration;

use karte_sync::recovery::RecoveryPrivateKey;
use karte_types::Timestamp;
use ring::rand::SecureRandom;

use crate::{AdminError, HubStore, Org, OrgId};
use karte_sync::enrolment_code::{enrolment_code_hash, new_enrolment_code};

/// A new organisation id: a ULID of `now` and 80 random bits.
pub fn new_org_id(now: Timestamp, random: &(dyn SecureRandom + Sync)) -> Result<OrgId, AdminError> {
    let mut bytes = [0u8; 10];
    random
        .fill(&mut bytes)
        .map_err(|_| AdminError::NoRandomness)?;
    let random_bits = bytes
        .iter()
        .fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
    let millis = u64::try_from(now.0).unwrap_or(0);
    Ok(OrgId(
        ulid::Ulid::from_parts(millis, random_bits).to_string(),
    ))
}

/// A new organisation named `name`, with a new recovery key. The caller
/// puts the private half somewhere safe and offline first, then adds the
/// organisation to the hub (`HubStore::add_org`), which keeps the public half:
/// that way a key that could not be saved never guards an organisation.
pub fn new_org(
    name: &str,
    now: Timestamp,
    random: &(dyn SecureRandom + Sync),
) -> Result<(Org, RecoveryPrivateKey), AdminError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AdminError::EmptyName);
    }
    let id = new_org_id(now, random)?;
    let (private, public) = RecoveryPrivateKey::generate(random)?;
    let org = Org {
        id,
        name: name.to_owned(),
        recovery_public_key: public.to_vec(),
    };
    Ok((org, private))
}

/// A one-time enrolment code and when it stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub code: String,
    pub expires_at: Timestamp,
}

/// Makes a one-time code that enrols one device into `org` until
/// `valid_for` after `now`; it carries the fingerprint of the
/// organisation's recovery key. Only the hash of its secret is stored.
pub async fn invite_device<S: HubStore>(
    store: &S,
    org: &OrgId,
    valid_for: Duration,
    now: Timestamp,
    random: &(dyn SecureRandom + Sync),
) -> Result<Invitation, AdminError> {
    let recovery_public_key = store
        .org(org)
        .await?
        .ok_or_else(|| crate::HubStoreError::UnknownOrg(org.clone()))?
        .recovery_public_key;
    let code = new_enrolment_code(random, &recovery_public_key).ok_or(AdminError::NoRandomness)?;
    let valid_ms = i64::try_from(valid_for.as_millis()).unwrap_or(i64::MAX);
    let expires_at = Timestamp(now.0.saturating_add(valid_ms));
    store
        .create_enrolment(org, enrolment_code_hash(&code), expires_at)
        .await?;
    Ok(Invitation { code, expires_at })
}

#[cfg(test)]
mod tests {
    use ring::rand::SystemRandom;

    use super::*;

    #[test]
    fn a_new_org_has_a_name_and_the_public_half_of_its_key() {
        let (org, key) =
            new_org(" 訪問看護ステーション ", Timestamp(0), &SystemRandom::new()).unwrap();
        assert_eq!(org.name, "訪問看護ステーション");
        assert_eq!(org.recovery_public_key, key.public_key());
        assert!(matches!(
            new_org("  ", Timestamp(0), &SystemRandom::new()),
            Err(AdminError::EmptyName)
        ));
    }

    #[test]
    fn an_org_id_is_a_ulid_of_its_time() {
        let id = new_org_id(Timestamp(1_795_564_800_000), &SystemRandom::new()).unwrap();
        let ulid = ulid::Ulid::from_string(id.as_str()).unwrap();
        assert_eq!(ulid.timestamp_ms(), 1_795_564_800_000);
    }
}
