//! The hub's PostgreSQL schema and its migrations.
//!
//! A landed migration is never edited: a change to the schema is a new entry
//! at the end of `MIGRATIONS`, recorded in `hub_schema` when it runs. Several
//! hub processes may start at once against one database: each migrates in
//! one transaction holding an advisory lock, so one migrates and the others
//! then find nothing left to do.

use deadpool_postgres::Object;

use crate::HubStoreError;

/// The advisory lock that serialises migrations ("KHUB" and 2).
const MIGRATION_LOCK: i64 = 0x4b48_5542_0000_0002;

const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11];

const LATEST: i64 = MIGRATIONS.len() as i64;

/// The first schema. Times are milliseconds since the Unix epoch by the
/// hub's clock.
const V1: &str = "
CREATE TABLE orgs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    recovery_public_key BYTEA NOT NULL
);

CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    org TEXT NOT NULL REFERENCES orgs(id),
    public_key BYTEA NOT NULL,
    actor_prefix BYTEA NOT NULL CHECK (octet_length(actor_prefix) = 16),
    status TEXT NOT NULL CHECK (status IN ('active', 'revoked', 'revoked-lost')),
    enrolled_at BIGINT NOT NULL,
    last_seen BIGINT,
    audit_seq BIGINT,
    audit_hash BYTEA CHECK (audit_hash IS NULL OR octet_length(audit_hash) = 32)
);
CREATE INDEX devices_by_org ON devices(org, id);

CREATE TABLE enrolments (
    code_hash BYTEA PRIMARY KEY CHECK (octet_length(code_hash) = 32),
    org TEXT NOT NULL REFERENCES orgs(id),
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    device TEXT
);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL REFERENCES orgs(id),
    created_at BIGINT NOT NULL
);

CREATE TABLE circle_members (
    doc TEXT NOT NULL REFERENCES documents(id),
    org TEXT NOT NULL REFERENCES orgs(id),
    PRIMARY KEY (doc, org)
);
CREATE INDEX circle_members_by_org ON circle_members(org, doc);

CREATE TABLE changes (
    doc TEXT NOT NULL REFERENCES documents(id),
    hash BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    bytes BYTEA NOT NULL,
    signer TEXT NOT NULL REFERENCES devices(id),
    signature BYTEA NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (doc, hash)
);

CREATE TABLE feed (
    position BIGINT PRIMARY KEY CHECK (position > 0),
    doc TEXT NOT NULL REFERENCES documents(id),
    kind TEXT NOT NULL CHECK (kind IN ('change', 'share', 'unshare')),
    hash BYTEA,
    org TEXT REFERENCES orgs(id),
    at BIGINT NOT NULL,
    CHECK ((kind = 'change' AND hash IS NOT NULL AND org IS NULL)
        OR (kind <> 'change' AND hash IS NULL AND org IS NOT NULL))
);
CREATE INDEX feed_by_doc ON feed(doc, position);

CREATE TABLE snapshots (
    doc TEXT PRIMARY KEY REFERENCES documents(id),
    bytes BYTEA NOT NULL,
    up_to BIGINT NOT NULL
);

CREATE TABLE nonces (
    device TEXT NOT NULL,
    nonce BYTEA NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (device, nonce)
);
CREATE INDEX nonces_by_age ON nonces(seen_at);

CREATE TABLE receipts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    docs TEXT NOT NULL,
    changes BIGINT NOT NULL,
    stored BIGINT NOT NULL,
    bytes BIGINT NOT NULL
);
CREATE INDEX receipts_by_device ON receipts(device, id);
CREATE FUNCTION receipts_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the receive log is append-only';
END
$$;
CREATE TRIGGER receipts_never_change BEFORE UPDATE OR DELETE ON receipts
    FOR EACH ROW EXECUTE FUNCTION receipts_append_only();
CREATE TRIGGER receipts_never_truncated BEFORE TRUNCATE ON receipts
    FOR EACH STATEMENT EXECUTE FUNCTION receipts_append_only();
";

/// What a device receiving a snapshot whole would do with it (JSON of
/// `Arrival`), worked out after the snapshot is saved; NULL until then.
const V2: &str = "ALTER TABLE snapshots ADD COLUMN arrival TEXT;";

/// A first sync reads an organisation's charts in byte order of their ids
/// (`COLLATE "C"`, as devices compare them), a batch at a time; this index
/// holds them in that order whatever the database's collation.
const V3: &str = "CREATE INDEX circle_members_by_org_c ON circle_members (org, doc COLLATE \"C\");";

/// What the hub answered each device with and a retired device's final
/// contact; the rules organisations set for charts shared into them, and
/// the shares waiting for approval (issue 11, items 2 and 3).
const V4: &str = "
ALTER TABLE devices ADD COLUMN served_up_to BIGINT NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN handed_in_at BIGINT;

CREATE TABLE share_accepts (
    org TEXT NOT NULL REFERENCES orgs(id),
    from_org TEXT NOT NULL REFERENCES orgs(id),
    PRIMARY KEY (org, from_org)
);

CREATE TABLE share_approvers (
    org TEXT PRIMARY KEY REFERENCES orgs(id)
);

CREATE TABLE pending_shares (
    doc TEXT NOT NULL REFERENCES documents(id),
    org TEXT NOT NULL REFERENCES orgs(id),
    from_org TEXT NOT NULL REFERENCES orgs(id),
    device TEXT NOT NULL REFERENCES devices(id),
    requested_at BIGINT NOT NULL,
    PRIMARY KEY (doc, org)
);
CREATE INDEX pending_shares_by_org ON pending_shares(org, requested_at);
";

/// The charts each device reported in quarantine (received, not
/// applicable), as of its latest report; `since` is the device's clock.
const V5: &str = "
CREATE TABLE quarantines (
    device TEXT NOT NULL REFERENCES devices(id),
    doc TEXT NOT NULL,
    reason TEXT NOT NULL,
    since BIGINT NOT NULL,
    reported_at BIGINT NOT NULL,
    PRIMARY KEY (device, doc)
);
";

/// Encryption at rest: each organisation's data key, wrapped by the hub's
/// master key, and a value only the master key opens, so a wrong key is
/// refused at start (`crate::at_rest`).
const V6: &str = "
CREATE TABLE org_keys (
    org TEXT PRIMARY KEY REFERENCES orgs(id),
    wrapped BYTEA NOT NULL
);

CREATE TABLE master_key_check (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BYTEA NOT NULL
);
";

/// The audit logs devices hand in (issue 11, item 10): append-only per
/// device, each entry sealed under its organisation's data key; the hash
/// chains it to the entry before, the signature (on the last entry of an
/// upload) is the device's over its number and hash.
const V7: &str = "
CREATE TABLE device_audit (
    device TEXT NOT NULL REFERENCES devices(id),
    seq BIGINT NOT NULL CHECK (seq > 0),
    hash BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    entry BYTEA NOT NULL,
    signature BYTEA,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (device, seq)
);
CREATE FUNCTION device_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a device audit log is append-only';
END
$$;
CREATE TRIGGER device_audit_never_changes BEFORE UPDATE OR DELETE ON device_audit
    FOR EACH ROW EXECUTE FUNCTION device_audit_append_only();
CREATE TRIGGER device_audit_never_truncated BEFORE TRUNCATE ON device_audit
    FOR EACH STATEMENT EXECUTE FUNCTION device_audit_append_only();
";

/// Lost devices (issue 11, item 11): each organisation's lock policy, and
/// the one-time unlock codes made for each device, the code sealed under
/// its organisation's data key, the device given only the salt and slow
/// hash; `issued_at` is when an administrator was given it.
const V8: &str = "
CREATE TABLE lock_policies (
    org TEXT PRIMARY KEY REFERENCES orgs(id),
    lock_after_days INTEGER NOT NULL CHECK (lock_after_days > 0)
);

CREATE TABLE unlock_codes (
    device TEXT NOT NULL REFERENCES devices(id),
    number INTEGER NOT NULL CHECK (number > 0),
    code BYTEA NOT NULL,
    salt BYTEA NOT NULL CHECK (octet_length(salt) = 16),
    hash BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    made_at BIGINT NOT NULL,
    issued_at BIGINT,
    PRIMARY KEY (device, number)
);
";

/// Relay: a change handed on by another device than its author is stored
/// under its author (`signer`), with the device that pushed it here.
const V9: &str = "
ALTER TABLE changes ADD COLUMN relayed_by TEXT REFERENCES devices(id);
";

/// The feed's identity, random, sent in every sync answer and replaced by
/// `karte-hub restore`: only uniqueness matters, not secrecy (so no
/// extension is needed for randomness).
const V10: &str = "
CREATE TABLE feed_identity (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    feed BYTEA NOT NULL CHECK (length(feed) = 16)
);
INSERT INTO feed_identity (id, feed)
    VALUES (1, decode(md5(random()::text || clock_timestamp()::text || pg_backend_pid()::text), 'hex'));
";

/// Trust without a hub (issue 12): as SQLite's V10.
const V11: &str = "
CREATE TABLE org_signing_keys (
    org TEXT PRIMARY KEY REFERENCES orgs(id),
    public_key BYTEA NOT NULL CHECK (octet_length(public_key) = 32),
    wrapped BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE revocation_lists (
    issuer TEXT PRIMARY KEY,
    sequence BIGINT NOT NULL,
    signed BYTEA NOT NULL
);
ALTER TABLE devices ADD COLUMN bundle_key BYTEA CHECK (bundle_key IS NULL OR octet_length(bundle_key) = 32);
ALTER TABLE devices ADD COLUMN cert_serial BIGINT;
ALTER TABLE devices ADD COLUMN cert BYTEA;
";

/// Brings the database's schema up to date.
pub(super) async fn migrate(client: &mut Object) -> Result<(), HubStoreError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS hub_schema (
             version BIGINT PRIMARY KEY,
             applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let version: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM hub_schema", &[])
        .await?
        .get(0);
    if version > LATEST {
        return Err(HubStoreError::NewerSchema {
            found: version,
            supported: LATEST,
        });
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.batch_execute(migration).await?;
        tx.execute(
            "INSERT INTO hub_schema (version) VALUES ($1)",
            &[&(index as i64 + 1)],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
