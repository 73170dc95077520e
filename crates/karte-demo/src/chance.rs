//! The few shapes of randomness the generator needs, drawn from one seeded
//! stream so a seed always gives the same patients.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub type Dice = ChaCha8Rng;

/// True with probability `p`.
pub fn chance(dice: &mut Dice, p: f64) -> bool {
    dice.random_bool(p.clamp(0.0, 1.0))
}

/// An integer in `lo..=hi`.
pub fn between(dice: &mut Dice, lo: i64, hi: i64) -> i64 {
    dice.random_range(lo..=hi)
}

/// A uniform real in `lo..hi`.
pub fn uniform(dice: &mut Dice, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * dice.random::<f64>()
}

/// A roughly normal value for measurement noise: the sum of three uniforms
/// (Irwin–Hall), which has the bell's shape within three deviations and costs
/// no logarithms, so a thousand patients' visits take a fraction of a second.
pub fn normal(dice: &mut Dice, mean: f64, sd: f64) -> f64 {
    let sum: f64 = dice.random::<f64>() + dice.random::<f64>() + dice.random::<f64>();
    mean + sd * 2.0 * (sum - 1.5)
}

/// One item of a non-empty table.
pub fn one<T: Copy>(dice: &mut Dice, items: &[T]) -> T {
    items[dice.random_range(0..items.len())]
}

/// One item of a table of `(weight, item)` pairs.
pub fn weighted<'a, T>(dice: &mut Dice, items: &'a [(u32, T)]) -> &'a T {
    let total: u32 = items.iter().map(|(w, _)| w).sum();
    let mut roll = dice.random_range(0..total);
    for (weight, item) in items {
        if roll < *weight {
            return item;
        }
        roll -= weight;
    }
    &items[items.len() - 1].1
}

/// Up to `n` distinct items of a table, in table order.
pub fn some<'a, T>(dice: &mut Dice, items: &'a [T], n: usize) -> Vec<&'a T> {
    let mut picked: Vec<usize> = Vec::with_capacity(n);
    while picked.len() < n.min(items.len()) {
        let i = dice.random_range(0..items.len());
        if !picked.contains(&i) {
            picked.push(i);
        }
    }
    picked.sort_unstable();
    picked.into_iter().map(|i| &items[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn weighted_choice_follows_weights() {
        let mut dice = Dice::seed_from_u64(7);
        let table = [(9, 'a'), (1, 'b')];
        let a = (0..10_000)
            .filter(|_| *weighted(&mut dice, &table) == 'a')
            .count();
        assert!((8_700..9_300).contains(&a), "{a}");
    }

    #[test]
    fn normal_noise_is_centred() {
        let mut dice = Dice::seed_from_u64(7);
        let values: Vec<f64> = (0..10_000).map(|_| normal(&mut dice, 5.0, 2.0)).collect();
        let mean = values.iter().sum::<f64>() / 10_000.0;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 10_000.0;
        assert!((mean - 5.0).abs() < 0.1, "{mean}");
        assert!((variance.sqrt() - 2.0).abs() < 0.1, "{variance}");
    }

    #[test]
    fn some_picks_distinct_items() {
        let mut dice = Dice::seed_from_u64(7);
        let picked = some(&mut dice, &[1, 2, 3, 4], 3);
        assert_eq!(picked.len(), 3);
        assert!(picked.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(some(&mut dice, &[1], 3).len(), 1);
    }
}
