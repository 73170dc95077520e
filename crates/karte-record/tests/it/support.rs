//! Builders for chart tests: authors on devices, sample inputs, deterministic
//! ids and replicas of one chart.

use karte_record::{ActorId, Chart, Edit, actor_for};
use karte_types::{Author, EntryId, PatientId};

pub use karte_test_support::{
    START, amlodipine, at, author, hypertension, penicillin, visit, yamada,
};

pub fn edit(author: &Author, minutes: i64) -> Edit<'_> {
    Edit {
        author,
        at: at(minutes),
    }
}

/// A fresh actor for process `n` of `author`'s device.
pub fn actor(author: &Author, n: u8) -> ActorId {
    actor_for(&author.device, [n; 16])
}

/// A ULID made from `n`, so tests name entries deterministically.
pub fn entry_id(n: u64) -> EntryId {
    EntryId(ulid::Ulid::from_parts(START.0 as u64 + n, u128::from(n) << 16 | 0xbeef).to_string())
}

pub fn patient_id() -> PatientId {
    PatientId(ulid::Ulid::from_parts(START.0 as u64, 42).to_string())
}

/// A new chart of Yamada Taro, created by `author`.
pub fn new_chart(author: &Author) -> Chart {
    Chart::create(actor(author, 0), &patient_id(), &yamada(), &edit(author, 0))
        .expect("chart is created")
}

/// Another device's copy of `chart`, as sync would give it: the saved bytes
/// loaded under that device's own actor.
pub fn replica(chart: &Chart, author: &Author, process: u8) -> Chart {
    Chart::load(actor(author, process), &[&chart.save()]).expect("saved chart loads")
}

/// Saves and loads, so a test also checks what persists.
pub fn reload(chart: &Chart, author: &Author, process: u8) -> Chart {
    replica(chart, author, process)
}

/// `cases` proptest cases, unless `PROPTEST_CASES` asks for another number
/// (e.g. `PROPTEST_CASES=2000` for a long hunt).
pub fn proptest_config(cases: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    proptest::test_runner::Config::with_cases(cases)
}
