//! The failed-authentication limit: a token bucket per client address (`ANIP_REGISTRY_AUTH_FAILURES_PER_MINUTE`
//! failures, refilled evenly over a minute). Only failures take from a bucket, so authenticated requests are never
//! throttled. The table is capped (`ANIP_REGISTRY_AUTH_FAILURE_TABLE_SIZE`): when it is full, buckets that have
//! refilled (the same as no bucket) are swept out at most once a second, and addresses that still find no room
//! share one overflow bucket, so memory stays bounded and a flood of new addresses cannot reset anyone's bucket.
//! Time comes from a [`Clock`] so tests drive it without sleeping.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A monotonic time source: the time elapsed since some fixed start.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Time since the clock's start.
    fn now(&self) -> Duration;
}

/// The system's monotonic clock.
#[derive(Debug)]
pub struct SystemClock(Instant);

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock(Instant::now())
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.0.elapsed()
    }
}

/// A clock that moves only when told to (tests).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_millis(self.0.load(Ordering::SeqCst))
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Duration,
}

#[derive(Debug)]
struct Table {
    buckets: HashMap<IpAddr, Bucket>,
    overflow: Bucket,
    last_sweep: Option<Duration>,
}

/// Failed-authentication buckets by client address.
#[derive(Debug)]
pub struct AuthFailureLimiter {
    per_minute: u32,
    max_addresses: usize,
    clock: Arc<dyn Clock>,
    table: Mutex<Table>,
}

impl AuthFailureLimiter {
    /// `per_minute` failures per address (0: no limit), at most `max_addresses` buckets, time from `clock`.
    pub fn new(per_minute: u32, max_addresses: usize, clock: Arc<dyn Clock>) -> Self {
        let full = Bucket {
            tokens: f64::from(per_minute),
            at: clock.now(),
        };
        AuthFailureLimiter {
            per_minute,
            max_addresses: max_addresses.max(1),
            clock,
            table: Mutex::new(Table {
                buckets: HashMap::new(),
                overflow: full,
                last_sweep: None,
            }),
        }
    }

    /// Whether the limit is on.
    pub fn enabled(&self) -> bool {
        self.per_minute > 0
    }

    fn capacity(&self) -> f64 {
        f64::from(self.per_minute)
    }

    /// `bucket` refilled up to `now`.
    fn refilled(&self, bucket: Bucket, now: Duration) -> Bucket {
        let rate = self.capacity() / 60.0;
        let elapsed = now.saturating_sub(bucket.at).as_secs_f64();
        Bucket {
            tokens: (bucket.tokens + elapsed * rate).min(self.capacity()),
            at: now,
        }
    }

    /// Seconds until `bucket` holds a whole token again (at least 1).
    fn wait(&self, bucket: Bucket) -> u64 {
        let rate = self.capacity() / 60.0;
        let seconds = ((1.0 - bucket.tokens) / rate).ceil();
        if seconds.is_finite() && seconds >= 1.0 {
            seconds as u64
        } else {
            1
        }
    }

    /// Runs `f` on `addr`'s bucket (refilled to now), the overflow bucket when the table has no room for it.
    fn with_bucket<T>(&self, addr: IpAddr, create: bool, f: impl FnOnce(&mut Bucket) -> T) -> T {
        let now = self.clock.now();
        let mut guard = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let table = &mut *guard;
        if let Some(bucket) = table.buckets.get_mut(&addr) {
            *bucket = self.refilled(*bucket, now);
            return f(bucket);
        }
        let mut fresh = Bucket {
            tokens: self.capacity(),
            at: now,
        };
        if !create {
            return f(&mut fresh);
        }
        if table.buckets.len() >= self.max_addresses
            && table
                .last_sweep
                .is_none_or(|at| now.saturating_sub(at) >= Duration::from_secs(1))
        {
            table.last_sweep = Some(now);
            let capacity = self.capacity();
            table
                .buckets
                .retain(|_, b| self.refilled(*b, now).tokens < capacity);
        }
        if table.buckets.len() >= self.max_addresses {
            table.overflow = self.refilled(table.overflow, now);
            return f(&mut table.overflow);
        }
        let out = f(&mut fresh);
        table.buckets.insert(addr, fresh);
        out
    }

    /// `Some(seconds to wait)` when `addr` has no failure left (without taking one).
    pub fn exhausted(&self, addr: IpAddr) -> Option<u64> {
        if !self.enabled() {
            return None;
        }
        self.with_bucket(addr, false, |b| (b.tokens < 1.0).then(|| self.wait(*b)))
    }

    /// Counts a failed authentication by `addr`: `Err(seconds to wait)` when it is over the limit.
    pub fn failure(&self, addr: IpAddr) -> Result<(), u64> {
        if !self.enabled() {
            return Ok(());
        }
        self.with_bucket(addr, true, |b| {
            if b.tokens >= 1.0 {
                b.tokens -= 1.0;
                Ok(())
            } else {
                Err(self.wait(*b))
            }
        })
    }

    /// How many addresses have a bucket (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .buckets
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, n])
    }

    #[test]
    fn a_bucket_empties_and_refills_with_the_clock() {
        let clock = Arc::new(ManualClock::default());
        let limiter = AuthFailureLimiter::new(3, 10, clock.clone());
        for _ in 0..3 {
            assert_eq!(limiter.failure(ip(1)), Ok(()));
        }
        assert_eq!(limiter.failure(ip(1)), Err(20));
        assert_eq!(limiter.exhausted(ip(1)), Some(20));
        assert_eq!(
            limiter.exhausted(ip(2)),
            None,
            "other addresses keep theirs"
        );
        clock.advance(Duration::from_secs(20));
        assert_eq!(limiter.exhausted(ip(1)), None);
        assert_eq!(limiter.failure(ip(1)), Ok(()));
        assert_eq!(limiter.failure(ip(1)), Err(20));
    }

    #[test]
    fn zero_is_off() {
        let limiter = AuthFailureLimiter::new(0, 10, Arc::new(ManualClock::default()));
        for _ in 0..100 {
            assert_eq!(limiter.failure(ip(1)), Ok(()));
        }
        assert_eq!(limiter.tracked(), 0);
    }

    #[test]
    fn the_table_is_capped_and_new_addresses_share_the_overflow_bucket() {
        let clock = Arc::new(ManualClock::default());
        let limiter = AuthFailureLimiter::new(2, 2, clock.clone());
        assert_eq!(limiter.failure(ip(1)), Ok(()));
        assert_eq!(limiter.failure(ip(2)), Ok(()));
        // Full: ip 3 and ip 4 share the overflow bucket of 2.
        assert_eq!(limiter.failure(ip(3)), Ok(()));
        assert_eq!(limiter.failure(ip(4)), Ok(()));
        assert!(limiter.failure(ip(5)).is_err());
        assert_eq!(limiter.tracked(), 2);
        // Once the tracked buckets refill they are swept and their room is reused.
        clock.advance(Duration::from_secs(60));
        assert_eq!(limiter.failure(ip(5)), Ok(()));
        assert_eq!(limiter.tracked(), 1);
    }
}
