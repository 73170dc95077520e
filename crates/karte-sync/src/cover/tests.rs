//! The cover rule on made-up histories: hashes and actors chosen by the
//! test, signatures made with real device keys.

use std::collections::HashSet;
use std::sync::OnceLock;

use automerge::{ActorId, ChangeHash};
use karte_record::actor_for;
use karte_types::DeviceId;
use proptest::prelude::*;
use ring::rand::SystemRandom;

use super::*;
use crate::{DeviceKey, sign_change_hash};

const AUTHORS: usize = 4;

struct Author {
    device: DeviceId,
    key: DeviceKey,
    /// Two actors: a device takes a fresh one per process.
    actors: [ActorId; 2],
}

fn authors() -> &'static [Author] {
    static AUTHORS_: OnceLock<Vec<Author>> = OnceLock::new();
    AUTHORS_.get_or_init(|| {
        (0..AUTHORS)
            .map(|n| {
                let device = DeviceId::from(format!("tablet-{n}").as_str());
                let (key, _) = DeviceKey::generate(&SystemRandom::new()).unwrap();
                let actors = [
                    actor_for(&device, [n as u8; 16]),
                    actor_for(&device, [n as u8 + 100; 16]),
                ];
                Author {
                    device,
                    key,
                    actors,
                }
            })
            .collect()
    })
}

fn keys() -> AuthorKeys {
    authors()
        .iter()
        .map(|a| (a.device.clone(), a.key.public_key()))
        .collect()
}

/// A made-up history: change `i` by author `author[i]` (actor `actor[i]`
/// of that author), depending on the earlier changes `deps[i]`.
#[derive(Debug, Clone)]
struct History {
    author: Vec<usize>,
    actor: Vec<usize>,
    deps: Vec<Vec<ChangeHash>>,
}

fn hash(i: usize) -> [u8; 32] {
    let mut h = [0u8; 32];
    h[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    h[31] = 0xc0;
    h
}

impl History {
    fn changes(&self) -> Vec<CoverChange<'_>> {
        (0..self.author.len())
            .map(|i| CoverChange {
                hash: hash(i),
                actor: &authors()[self.author[i]].actors[self.actor[i]],
                deps: &self.deps[i],
            })
            .collect()
    }

    /// Whether `descendant` is `ancestor` or descends from it.
    fn descends(&self, descendant: usize, ancestor: usize) -> bool {
        let mut stack = vec![descendant];
        let mut seen = HashSet::new();
        while let Some(i) = stack.pop() {
            if i == ancestor {
                return true;
            }
            if seen.insert(i) {
                stack.extend(self.deps[i].iter().map(|d| index_of(d.0)));
            }
        }
        false
    }
}

fn index_of(h: [u8; 32]) -> usize {
    u64::from_be_bytes(h[..8].try_into().unwrap()) as usize - 1
}

fn signature(author: usize, i: usize) -> ChangeSignature {
    let a = &authors()[author];
    ChangeSignature {
        hash: hash(i),
        device: a.device.clone(),
        signature: sign_change_hash(&a.key, &hash(i)),
    }
}

fn tip_signatures(history: &History) -> Vec<ChangeSignature> {
    tips(&history.changes())
        .unwrap()
        .into_iter()
        .map(|i| signature(history.author[i], i))
        .collect()
}

fn nothing_held(_: &[u8; 32]) -> bool {
    false
}

fn history() -> impl Strategy<Value = History> {
    (1usize..40).prop_flat_map(|n| {
        (
            proptest::collection::vec(0..AUTHORS, n),
            proptest::collection::vec(0usize..2, n),
            proptest::collection::vec(
                proptest::collection::vec(any::<prop::sample::Index>(), 0..3),
                n,
            ),
        )
            .prop_map(|(author, actor, picks)| {
                let deps = picks
                    .iter()
                    .enumerate()
                    .map(|(i, picks)| {
                        let mut deps: Vec<ChangeHash> = if i == 0 {
                            Vec::new()
                        } else {
                            // Mostly a line, with branches and merges.
                            let mut d: Vec<usize> = picks.iter().map(|p| p.index(i)).collect();
                            if d.is_empty() {
                                d.push(i - 1);
                            }
                            d.into_iter().map(|j| ChangeHash(hash(j))).collect()
                        };
                        deps.sort();
                        deps.dedup();
                        deps
                    })
                    .collect();
                History {
                    author,
                    actor,
                    deps,
                }
            })
    })
}

/// A line: 0 by author 0, 1 by author 1, 2 by author 0 (its signed tip).
fn line() -> History {
    History {
        author: vec![0, 1, 0],
        actor: vec![0, 0, 1],
        deps: vec![vec![], vec![ChangeHash(hash(0))], vec![ChangeHash(hash(1))]],
    }
}

#[test]
fn a_tip_covers_its_authors_changes_through_another_authors() {
    let history = line();
    let changes = history.changes();
    assert_eq!(tips(&changes).unwrap(), vec![1, 2]);
    let signatures = tip_signatures(&history);
    let auth = check_covered(&changes, &signatures, &keys(), &nothing_held).unwrap();
    assert_eq!(
        auth,
        vec![
            Authentication::Covered { tip: hash(2) },
            Authentication::Signed,
            Authentication::Signed
        ]
    );
}

#[test]
fn a_change_covered_only_by_another_authors_signature_is_refused() {
    // Author 1's change is signed and descends from 0, but 0 is author 0's.
    let history = History {
        author: vec![0, 1],
        actor: vec![0, 0],
        deps: vec![vec![], vec![ChangeHash(hash(0))]],
    };
    let error = check_covered(
        &history.changes(),
        &[signature(1, 1)],
        &keys(),
        &nothing_held,
    )
    .unwrap_err();
    assert_eq!(error.code(), "unsigned_change");
    assert!(error.to_string().contains(&hex::encode(hash(0))), "{error}");
}

#[test]
fn held_changes_need_no_signature() {
    let history = line();
    let held = |h: &[u8; 32]| *h == hash(0) || *h == hash(1);
    let auth = check_covered(&history.changes(), &[signature(0, 2)], &keys(), &held).unwrap();
    assert_eq!(
        auth,
        vec![
            Authentication::Held,
            Authentication::Held,
            Authentication::Signed
        ]
    );
}

#[test]
fn a_forged_a_misattributed_and_a_stray_signature_are_refused_by_code() {
    let history = line();
    let changes = history.changes();
    let mut forged = tip_signatures(&history);
    forged[0].signature[3] ^= 1;
    let code = |s: &[ChangeSignature]| {
        check_covered(&changes, s, &keys(), &nothing_held)
            .unwrap_err()
            .code()
            .to_owned()
    };
    assert_eq!(code(&forged), "forged_change");
    // Author 1 signs author 0's tip with its own key, under its own name.
    assert_eq!(code(&[signature(1, 2), signature(1, 1)]), "foreign_actor");
    // Author 1's signature presented as author 0's.
    let mut renamed = signature(1, 2);
    renamed.device = authors()[0].device.clone();
    assert_eq!(code(&[renamed, signature(1, 1)]), "forged_change");
    // A signature of a change the chart does not hold.
    assert_eq!(
        code(&[signature(0, 2), signature(1, 1), signature(0, 7)]),
        "malformed_change"
    );
    // A device the checker holds no key for.
    let mut unknown = signature(0, 2);
    unknown.device = DeviceId::from("tablet-unknown");
    assert_eq!(code(&[unknown]), "unknown_signer");
}

#[test]
fn a_list_out_of_causal_order_is_refused() {
    let mut history = line();
    history.deps[0] = vec![ChangeHash(hash(2))];
    let error = check_covered(
        &history.changes(),
        &tip_signatures(&line()),
        &keys(),
        &nothing_held,
    )
    .unwrap_err();
    assert_eq!(error.code(), "malformed_change");
}

#[test]
fn two_histories_of_one_device_give_two_tips() {
    // A vault restored from a backup: its later changes fork from the
    // backup's point, so the device has two tips.
    let history = History {
        author: vec![0, 0, 0],
        actor: vec![0, 0, 1],
        deps: vec![vec![], vec![ChangeHash(hash(0))], vec![ChangeHash(hash(0))]],
    };
    assert_eq!(tips(&history.changes()).unwrap(), vec![1, 2]);
    let error = check_covered(
        &history.changes(),
        &[signature(0, 2)],
        &keys(),
        &nothing_held,
    )
    .unwrap_err();
    assert!(error.to_string().contains(&hex::encode(hash(1))), "{error}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Any set of signatures is accepted exactly when every change has a
    /// signed descendant-or-self of its own author, and then each change
    /// is said to be covered by one.
    #[test]
    fn the_rule_agrees_with_its_definition(
        history in history(),
        signed in proptest::collection::vec(any::<bool>(), 40),
    ) {
        let n = history.author.len();
        let signatures: Vec<ChangeSignature> = (0..n)
            .filter(|&i| signed[i])
            .map(|i| signature(history.author[i], i))
            .collect();
        let covered_by = |c: usize| (0..n).find(|&s| {
            signed[s] && history.author[s] == history.author[c] && history.descends(s, c)
        });
        let expected = (0..n).all(|c| covered_by(c).is_some());
        let checked = check_covered(&history.changes(), &signatures, &keys(), &nothing_held);
        prop_assert_eq!(checked.is_ok(), expected, "{:?}", checked);
        if let Ok(auth) = checked {
            for (c, how) in auth.into_iter().enumerate() {
                match how {
                    Authentication::Signed => prop_assert!(signed[c]),
                    Authentication::Covered { tip } => {
                        let s = index_of(tip);
                        prop_assert!(signed[s] && history.author[s] == history.author[c]);
                        prop_assert!(history.descends(s, c));
                    }
                    Authentication::Held => prop_assert!(false, "nothing is held"),
                }
            }
        } else {
            let error = checked.unwrap_err();
            prop_assert_eq!(error.code(), "unsigned_change");
        }
    }

    /// The tips cover everything; without any one of them, or with one
    /// forged, the chart is refused.
    #[test]
    fn the_tips_cover_all_and_each_is_needed(history in history(), pick in any::<prop::sample::Index>()) {
        let changes = history.changes();
        let all = tip_signatures(&history);
        prop_assert!(check_covered(&changes, &all, &keys(), &nothing_held).is_ok());
        let t = pick.index(all.len());
        let mut without = all.clone();
        without.remove(t);
        let error = check_covered(&changes, &without, &keys(), &nothing_held).unwrap_err();
        prop_assert_eq!(error.code(), "unsigned_change");
        let mut forged = all.clone();
        forged[t].signature[10] ^= 0x40;
        let error = check_covered(&changes, &forged, &keys(), &nothing_held).unwrap_err();
        prop_assert_eq!(error.code(), "forged_change");
        // The same tip signed by another author under its own name.
        let other = (history.author[index_of(all[t].hash)] + 1) % AUTHORS;
        let mut stolen = all.clone();
        stolen[t] = signature(other, index_of(all[t].hash));
        let error = check_covered(&changes, &stolen, &keys(), &nothing_held).unwrap_err();
        prop_assert_eq!(error.code(), "foreign_actor");
    }
}
