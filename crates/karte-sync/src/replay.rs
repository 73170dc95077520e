//! Freshness of a request: the hub refuses one sent too far from its own
//! clock, or one whose nonce it has already seen. Storing the seen nonces
//! is the hub's; this is only the rule, so it is tested without a clock.

use crate::AuthError;

/// The replay rule of the protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayGuard {
    /// How far a request's send time may be from the hub's clock, either way.
    pub window_ms: i64,
}

impl ReplayGuard {
    /// Protocol version 1: five minutes.
    pub const PROTOCOL: ReplayGuard = ReplayGuard {
        window_ms: 5 * 60 * 1000,
    };

    /// Judges a request whose signature has already been verified. `seen`
    /// says whether the hub already holds the request's (device, nonce); the
    /// hub records the pair when this accepts, in the same transaction as
    /// the request's effects.
    pub fn check(&self, now_ms: i64, sent_at_ms: i64, seen: bool) -> Result<(), AuthError> {
        let skew_ms = i128::from(sent_at_ms) - i128::from(now_ms);
        if skew_ms.abs() > i128::from(self.window_ms) {
            let skew_seconds = i64::try_from(skew_ms / 1000).unwrap_or(if skew_ms < 0 {
                i64::MIN
            } else {
                i64::MAX
            });
            return Err(AuthError::ClockSkew {
                skew_seconds,
                hub_now_ms: now_ms,
            });
        }
        if seen {
            return Err(AuthError::Replayed);
        }
        Ok(())
    }

    /// Seen nonces of requests sent before this time may be pruned: a replay
    /// of such a request is refused for its age alone.
    pub fn forget_sent_before(&self, now_ms: i64) -> i64 {
        now_ms.saturating_sub(self.window_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUARD: ReplayGuard = ReplayGuard::PROTOCOL;
    const NOW: i64 = 1_800_000_000_000;
    const WINDOW: i64 = 300_000;

    #[test]
    fn a_fresh_request_within_the_window_is_accepted() {
        for sent in [NOW, NOW - WINDOW, NOW + WINDOW] {
            assert_eq!(GUARD.check(NOW, sent, false), Ok(()), "sent at {sent}");
        }
    }

    #[test]
    fn a_request_outside_the_window_is_clock_skew_with_the_hub_time() {
        assert_eq!(
            GUARD.check(NOW, NOW - WINDOW - 1, false),
            Err(AuthError::ClockSkew {
                skew_seconds: -300,
                hub_now_ms: NOW
            })
        );
        let ahead = GUARD.check(NOW, NOW + 3_600_000, true).unwrap_err();
        assert_eq!(ahead.code(), "clock_skew");
        assert!(ahead.to_string().contains("3600 s"), "{ahead}");
        assert!(ahead.to_string().contains(&NOW.to_string()), "{ahead}");
    }

    #[test]
    fn a_seen_nonce_is_a_replay() {
        assert_eq!(GUARD.check(NOW, NOW, true), Err(AuthError::Replayed));
    }

    #[test]
    fn extreme_times_do_not_overflow() {
        let error = GUARD.check(i64::MAX, i64::MIN, false).unwrap_err();
        assert_eq!(error.code(), "clock_skew");
        assert_eq!(GUARD.forget_sent_before(i64::MIN), i64::MIN);
    }

    #[test]
    fn a_prunable_nonce_could_only_come_back_as_clock_skew() {
        let cutoff = GUARD.forget_sent_before(NOW);
        assert_eq!(GUARD.check(NOW, cutoff, true), Err(AuthError::Replayed));
        assert_eq!(
            GUARD.check(NOW, cutoff - 1, false).unwrap_err().code(),
            "clock_skew"
        );
    }
}
