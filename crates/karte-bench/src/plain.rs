//! The baseline: the same documents and patient index in plain, unencrypted
//! SQLite with the vault's durability settings (WAL, `synchronous=FULL`).

use std::path::Path;

use anyhow::Result;
use karte_record::{ActorId, Chart, Edit};
use karte_test_support::{author, visit};
use karte_types::{EntryId, PatientId, PatientSummary, fold_for_search};
use rusqlite::{Connection, params};

use crate::report::time_ms;

pub struct PlainStore {
    db: Connection,
}

impl PlainStore {
    pub fn create(path: &Path) -> Result<PlainStore> {
        let store = PlainStore::open(path)?;
        store.db.execute_batch(
            "CREATE TABLE docs (id TEXT NOT NULL, seq INTEGER NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY (id, seq));
             CREATE TABLE patients (id TEXT PRIMARY KEY, summary TEXT NOT NULL, kana TEXT NOT NULL, kanji TEXT NOT NULL);",
        )?;
        Ok(store)
    }

    pub fn open(path: &Path) -> Result<PlainStore> {
        let db = Connection::open(path)?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        Ok(PlainStore { db })
    }

    pub fn insert_document(&mut self, id: &PatientId, chunks: &[Vec<u8>]) -> Result<()> {
        let tx = self.db.transaction()?;
        for (seq, chunk) in chunks.iter().enumerate() {
            tx.execute(
                "INSERT INTO docs VALUES (?1, ?2, ?3)",
                params![id.as_str(), seq as i64, chunk],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Many documents of one chunk each, in one transaction.
    pub fn insert_documents<'a>(
        &mut self,
        documents: impl IntoIterator<Item = (&'a PatientId, &'a [u8])>,
    ) -> Result<()> {
        let tx = self.db.transaction()?;
        for (id, bytes) in documents {
            tx.execute(
                "INSERT INTO docs VALUES (?1, 0, ?2)",
                params![id.as_str(), bytes],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn insert_index(&mut self, summaries: &[PatientSummary]) -> Result<()> {
        let tx = self.db.transaction()?;
        for s in summaries {
            upsert_summary(&tx, s)?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn load_document(&self, id: &PatientId) -> Result<Vec<Vec<u8>>> {
        let mut statement = self
            .db
            .prepare_cached("SELECT bytes FROM docs WHERE id = ?1 ORDER BY seq")?;
        let rows = statement.query_map([id.as_str()], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records `count` visits the way the vault does (one Automerge change, the
    /// new bytes and the index entry in one transaction), unencrypted; returns
    /// the median milliseconds.
    pub fn record_visits(&mut self, id: &PatientId, actor: ActorId, count: usize) -> Result<f64> {
        let chunks = self.load_document(id)?;
        let slices: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let mut chart = Chart::load(actor, &slices)?;
        let mut heads = chart.heads();
        let mut seq = chunks.len() as i64;
        let nurse = author("bench", "plain");
        let mut times = Vec::with_capacity(count);
        for i in 0..count {
            let entry = EntryId(ulid::Ulid::from_parts(1_800_000_000_000, i as u128).to_string());
            let input = visit(100_000 + i as i64, 70);
            times.push(time_ms(|| {
                chart.record_visit(
                    &entry,
                    &input,
                    &Edit {
                        author: &nurse,
                        at: input.at,
                    },
                )?;
                let summary = chart.summary()?;
                let bytes = chart.save_after(&heads);
                let tx = self.db.transaction()?;
                tx.execute(
                    "INSERT INTO docs VALUES (?1, ?2, ?3)",
                    params![id.as_str(), seq, bytes],
                )?;
                upsert_summary(&tx, &summary)?;
                tx.commit()?;
                heads = chart.heads();
                seq += 1;
                Ok(())
            })?);
        }
        Ok(crate::report::median(&mut times))
    }

    pub fn patient_list(&self) -> Result<Vec<PatientSummary>> {
        let mut statement = self.db.prepare_cached("SELECT summary FROM patients")?;
        let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
        let mut list = Vec::new();
        for row in rows {
            list.push(serde_json::from_str(&row?)?);
        }
        Ok(list)
    }

    /// Prefix search over folded kana and kanji, as an indexed SQL query.
    pub fn search(&self, query: &str) -> Result<Vec<PatientSummary>> {
        let folded = fold_for_search(query);
        let mut statement = self.db.prepare_cached(
            "SELECT summary FROM patients WHERE kana LIKE ?1 || '%' OR kanji LIKE ?1 || '%'",
        )?;
        let rows = statement.query_map([folded], |row| row.get::<_, String>(0))?;
        let mut list = Vec::new();
        for row in rows {
            list.push(serde_json::from_str(&row?)?);
        }
        Ok(list)
    }
}

fn upsert_summary(db: &Connection, s: &PatientSummary) -> Result<()> {
    let keys = s.search_keys();
    db.execute(
        "INSERT OR REPLACE INTO patients VALUES (?1, ?2, ?3, ?4)",
        params![s.id.as_str(), serde_json::to_string(s)?, keys[5], keys[2]],
    )?;
    Ok(())
}
