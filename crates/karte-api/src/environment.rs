//! The outside world as the core sees it: a clock and a source of random ids.
//! Production uses the system's; tests pass fixed ones, so every run of a test
//! is the same.

use karte_types::Timestamp;

/// Tells the time.
pub trait Clock: Send {
    fn now(&self) -> Timestamp;
}

/// Random bits for identifiers (ULIDs, actor nonces). Never used for
/// encryption nonces: those come from the operating system inside the store.
pub trait Entropy: Send {
    fn next_u128(&mut self) -> u128;
}

/// The system clock (in a debug build, moved to `KARTE_TEST_NOW` when that
/// is set: see [`karte_sync::wall_clock`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        karte_sync::wall_clock::now()
    }
}

/// A clock that stands still at a given instant, or ticks by a fixed step on
/// each reading, for tests.
#[derive(Debug)]
pub struct FixedClock {
    now: std::sync::atomic::AtomicI64,
    step_ms: i64,
}

impl FixedClock {
    pub fn new(start: Timestamp, step_ms: i64) -> FixedClock {
        FixedClock {
            now: std::sync::atomic::AtomicI64::new(start.0),
            step_ms,
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        Timestamp(
            self.now
                .fetch_add(self.step_ms, std::sync::atomic::Ordering::Relaxed),
        )
    }
}

/// The operating system's random source.
#[derive(Debug)]
pub struct SystemEntropy(ring::rand::SystemRandom);

impl Default for SystemEntropy {
    fn default() -> Self {
        SystemEntropy(ring::rand::SystemRandom::new())
    }
}

impl Entropy for SystemEntropy {
    fn next_u128(&mut self) -> u128 {
        let bytes: [u8; 16] = ring::rand::generate(&self.0)
            .map(|random| random.expose())
            .expect("the operating system's random source failed");
        u128::from_le_bytes(bytes)
    }
}

/// A deterministic generator (SplitMix64) for tests and seeded demo data.
#[derive(Debug, Clone)]
pub struct SeededEntropy(u64);

impl SeededEntropy {
    pub fn new(seed: u64) -> SeededEntropy {
        SeededEntropy(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Entropy for SeededEntropy {
    fn next_u128(&mut self) -> u128 {
        (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64())
    }
}

/// The clock and the random source a session uses.
pub struct Environment {
    pub clock: Box<dyn Clock>,
    pub entropy: Box<dyn Entropy>,
}

impl Environment {
    /// The real world: system clock, operating-system randomness.
    pub fn system() -> Environment {
        Environment {
            clock: Box::new(SystemClock),
            entropy: Box::new(SystemEntropy::default()),
        }
    }

    /// A reproducible world for tests.
    pub fn fixed(start: Timestamp, seed: u64) -> Environment {
        Environment {
            clock: Box::new(FixedClock::new(start, 1_000)),
            entropy: Box::new(SeededEntropy::new(seed)),
        }
    }
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Environment")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_entropy_repeats_and_differs_by_seed() {
        let a: Vec<u128> = (0..3)
            .map({
                let mut e = SeededEntropy::new(1);
                move |_| e.next_u128()
            })
            .collect();
        let b: Vec<u128> = (0..3)
            .map({
                let mut e = SeededEntropy::new(1);
                move |_| e.next_u128()
            })
            .collect();
        let c = SeededEntropy::new(2).next_u128();
        assert_eq!(a, b);
        assert_ne!(a[0], c);
        assert_ne!(a[0], a[1]);
    }

    #[test]
    fn system_sources_move() {
        let mut entropy = SystemEntropy::default();
        assert_ne!(entropy.next_u128(), entropy.next_u128());
        assert!(SystemClock.now().0 > 1_700_000_000_000);
    }
}
