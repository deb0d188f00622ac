//! Time for a run: real, sped up, or fully virtual. Every wait goes through the clock.
//!
//! A run's time is the span since it started (monotonic), and its UTC instants are the
//! start instant plus that span, so intervals never depend on the wall clock moving.

use crate::duration::Duration;
use chrono::{DateTime, Utc};
use std::sync::atomic::{AtomicU64, Ordering};

/// How the clock advances.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ClockMode {
    /// Real time, `speed` times faster (1.0 is real time).
    Real {
        /// Run seconds per real second.
        speed: f64,
    },
    /// Jumps straight to the next thing that is due: no waiting at all.
    Virtual,
}

/// A run's clock.
#[derive(Debug)]
pub struct Clock {
    start_utc: DateTime<Utc>,
    mode: ClockMode,
    real_start: std::time::Instant,
    virtual_ms: AtomicU64,
}

impl Clock {
    /// A clock starting now at `start_utc`.
    pub fn new(mode: ClockMode, start_utc: DateTime<Utc>) -> Self {
        Clock {
            start_utc,
            mode,
            real_start: std::time::Instant::now(),
            virtual_ms: AtomicU64::new(0),
        }
    }

    /// A virtual clock.
    pub fn virtual_at(start_utc: DateTime<Utc>) -> Self {
        Clock::new(ClockMode::Virtual, start_utc)
    }

    /// How it advances.
    pub fn mode(&self) -> ClockMode {
        self.mode
    }

    /// The UTC instant the run started.
    pub fn start_utc(&self) -> DateTime<Utc> {
        self.start_utc
    }

    /// Run time elapsed since the start.
    pub fn elapsed(&self) -> Duration {
        match self.mode {
            ClockMode::Virtual => Duration::from_millis(self.virtual_ms.load(Ordering::Acquire)),
            ClockMode::Real { speed } => {
                let real = self.real_start.elapsed().as_secs_f64() * 1000.0 * speed;
                Duration::from_millis(real as u64)
            }
        }
    }

    /// The UTC instant at run time `t`.
    pub fn utc_at(&self, t: Duration) -> DateTime<Utc> {
        self.start_utc + chrono::Duration::milliseconds(t.as_millis() as i64)
    }

    /// The current UTC instant of the run.
    pub fn now(&self) -> DateTime<Utc> {
        self.utc_at(self.elapsed())
    }

    /// Run time of a UTC instant (zero before the start).
    pub fn since_start(&self, at: DateTime<Utc>) -> Duration {
        Duration::from_millis((at - self.start_utc).num_milliseconds().max(0) as u64)
    }

    /// Waits until run time `t`. A virtual clock jumps there at once.
    pub async fn sleep_until(&self, t: Duration) {
        match self.mode {
            ClockMode::Virtual => {
                self.virtual_ms.fetch_max(t.as_millis(), Ordering::AcqRel);
            }
            ClockMode::Real { speed } => {
                let now = self.elapsed();
                if t > now {
                    let real = (t.saturating_sub(now).as_millis() as f64 / speed).ceil();
                    tokio::time::sleep(std::time::Duration::from_millis(real as u64)).await;
                }
            }
        }
    }

    /// Waits for `d` of run time.
    pub async fn sleep(&self, d: Duration) {
        self.sleep_until(self.elapsed().saturating_add(d)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("valid")
            .with_timezone(&Utc)
    }

    #[tokio::test]
    async fn a_virtual_clock_jumps_and_never_goes_back() {
        let c = Clock::virtual_at(start());
        c.sleep_until(Duration::from_secs(90)).await;
        assert_eq!(c.elapsed(), Duration::from_secs(90));
        c.sleep_until(Duration::from_secs(10)).await;
        assert_eq!(c.elapsed(), Duration::from_secs(90));
        assert_eq!(c.now().to_rfc3339(), "2026-01-01T00:01:30+00:00");
        assert_eq!(c.since_start(c.now()), Duration::from_secs(90));
    }

    #[tokio::test]
    async fn a_fast_clock_runs_faster_than_real_time() {
        let c = Clock::new(ClockMode::Real { speed: 100.0 }, start());
        let real = std::time::Instant::now();
        c.sleep(Duration::from_secs(2)).await;
        assert!(c.elapsed() >= Duration::from_secs(2));
        assert!(real.elapsed() < std::time::Duration::from_secs(1));
    }
}
