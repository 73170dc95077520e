//! Nothing acknowledged is ever lost: a writer in a child process appends
//! and compacts charts, printing each write once it returned; the test kills
//! it with SIGKILL at random moments and, after each kill, reopens the vault
//! and finds every acknowledged write.
//!
//! The child is this test binary itself, re-run on the `crash_writer` test
//! with an environment variable naming the vault.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use karte_store::Vault;
use karte_types::PatientId;
use rand::{Rng, SeedableRng};

use crate::support::{PASSPHRASE, TestVault, edit, summary};

const VAULT_ENV: &str = "KARTE_STORE_CRASH_VAULT";
const ROUND_ENV: &str = "KARTE_STORE_CRASH_ROUND";
const ROUNDS: u32 = 20;

/// One acknowledged write: a chunk of a chart.
#[derive(Debug, Clone)]
struct Ack {
    chart: String,
    chunk: String,
}

/// Appends chunks to charts (three per chart, compacting now and then) and
/// reports each write after `append_document` returned.
fn write(vault: &mut Vault, round: u32, writes: u32, mut acknowledge: impl FnMut(Ack)) {
    for i in 0..writes {
        let chart = format!("r{round}-p{}", i / 3);
        let chunk = format!("r{round}-w{i}");
        let id = PatientId::from(chart.as_str());
        if i % 3 == 2 && (i / 3) % 2 == 1 {
            // Every other chart is compacted before its third write: the
            // earlier acknowledged chunks, rewritten as one snapshot, must
            // survive that too.
            let chunks = vault.load_document(&id).unwrap();
            let snapshot: Vec<u8> = chunks.join(&b'\n');
            vault.compact_document(&id, &snapshot).unwrap();
        }
        vault
            .append_document(
                &id,
                chunk.as_bytes(),
                &summary(&chart, "山田", "太郎"),
                &[],
                edit(&chart, "crash.append"),
            )
            .unwrap();
        acknowledge(Ack { chart, chunk });
    }
}

/// Checks that the vault at `path` opens and holds every acknowledged write.
fn check(path: &Path, acks: &[Ack]) {
    let vault = Vault::open(path)
        .unwrap()
        .unlock("admin", PASSPHRASE)
        .unwrap();
    let mut by_chart: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for ack in acks {
        by_chart.entry(&ack.chart).or_default().push(&ack.chunk);
    }
    for (chart, chunks) in &by_chart {
        let stored = vault
            .load_document(&PatientId::from(*chart))
            .unwrap()
            .join(&b'\n');
        let stored = String::from_utf8(stored).unwrap();
        let lines: Vec<&str> = stored.split('\n').collect();
        for chunk in chunks {
            assert!(
                lines.contains(chunk),
                "acknowledged {chunk} of {chart} is lost"
            );
        }
    }
    let indexed = vault.patient_index().unwrap();
    assert!(
        by_chart
            .keys()
            .all(|chart| indexed.iter().any(|s| s.id.as_str() == *chart))
    );
    assert!(vault.audit_log().unwrap().len() >= acks.len());
}

/// In a child process (the environment names a vault) this writes until it
/// is killed. Run as an ordinary test it writes a little to a fresh vault and
/// checks it, so the writer itself is known to work.
#[test]
fn crash_writer() {
    if let Some(path) = std::env::var_os(VAULT_ENV) {
        let round = std::env::var(ROUND_ENV).unwrap().parse().unwrap();
        let mut vault = Vault::open(Path::new(&path))
            .unwrap()
            .unlock("admin", PASSPHRASE)
            .unwrap();
        // Bounded, so a child whose parent died stops on its own.
        write(&mut vault, round, 5_000, |ack| {
            println!("ACK {} {}", ack.chart, ack.chunk)
        });
        return;
    }
    let (test, mut vault) = TestVault::new();
    let mut acks = Vec::new();
    write(&mut vault, 0, 20, |ack| acks.push(ack));
    vault.lock();
    check(&test.path(), &acks);
}

#[test]
fn every_acknowledged_write_survives_sigkill() {
    let (test, vault) = TestVault::new();
    vault.lock();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20_261_125);
    let mut acks = Vec::new();
    let mut killed_mid_write = 0;
    for round in 0..ROUNDS {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "crash::crash_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(VAULT_ENV, test.path())
            .env(ROUND_ENV, round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("ACK ") {
                    let (chart, chunk) = rest.split_once(' ').unwrap();
                    let _ = sender.send(Ack {
                        chart: chart.into(),
                        chunk: chunk.into(),
                    });
                }
            }
        });
        // Half the rounds kill while the writer is busy writing; the others
        // at any moment, start-up and recovery included.
        if rng.random_bool(0.5) {
            let first = receiver
                .recv_timeout(Duration::from_secs(60))
                .expect("the writer acknowledges a write");
            acks.push(first);
            killed_mid_write += 1;
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(0..250)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert_eq!(
            status.signal(),
            Some(9),
            "the writer died of something else: {status}"
        );
        reader.join().unwrap();
        acks.extend(receiver.try_iter());
        check(&test.path(), &acks);
    }
    assert!(
        killed_mid_write > 0 && acks.len() > ROUNDS as usize,
        "{} writes acknowledged",
        acks.len()
    );
}
