//! Time for a run: real, sped up, or fully virtual. Every wait goes through the clock.
//!
//! A run's time is the span since it started (monotonic), and its UTC instants are the
//! start instant plus that span, so intervals never depend on the wall clock moving.
//! A real clock reads tokio's monotonic clock: where tokio's time is paused (a plan run
//! in virtual time), every run's real clock, and every poller and throttle, follows the
//! one shared virtual time, which moves on whenever all of them are waiting.

use crate::duration::Duration;
use chrono::{DateTime, Utc};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Notify;

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
    virtual_mode: bool,
    real: Mutex<Real>,
    virtual_ms: AtomicU64,
    /// Wakes sleepers when the speed changes or the clock pauses or resumes.
    changed: Notify,
}

/// A real clock's state: run time `base_ms` at real instant `anchor`, advancing `speed`
/// times faster than real time unless paused.
#[derive(Debug, Clone, Copy)]
struct Real {
    base_ms: f64,
    anchor: tokio::time::Instant,
    speed: f64,
    paused: bool,
}

impl Real {
    fn elapsed_ms(&self) -> f64 {
        if self.paused {
            self.base_ms
        } else {
            self.base_ms + self.anchor.elapsed().as_secs_f64() * 1000.0 * self.speed
        }
    }

    /// Starts a new segment at the current run time.
    fn rebase(&mut self) {
        self.base_ms = self.elapsed_ms();
        self.anchor = tokio::time::Instant::now();
    }
}

impl Clock {
    /// A clock starting now at `start_utc`.
    pub fn new(mode: ClockMode, start_utc: DateTime<Utc>) -> Self {
        let speed = match mode {
            ClockMode::Real { speed } => speed,
            ClockMode::Virtual => 1.0,
        };
        Clock {
            start_utc,
            virtual_mode: mode == ClockMode::Virtual,
            real: Mutex::new(Real {
                base_ms: 0.0,
                anchor: tokio::time::Instant::now(),
                speed,
                paused: false,
            }),
            virtual_ms: AtomicU64::new(0),
            changed: Notify::new(),
        }
    }

    fn real(&self) -> Real {
        *self.real.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn change(&self, f: impl FnOnce(&mut Real)) {
        {
            let mut r = self.real.lock().unwrap_or_else(|p| p.into_inner());
            r.rebase();
            f(&mut r);
        }
        self.changed.notify_waiters();
    }

    /// Stops a real clock: run time stands still, and so does everything waiting on it.
    /// A virtual clock ignores it.
    pub fn pause(&self) {
        self.change(|r| r.paused = true);
    }

    /// Starts a paused clock again.
    pub fn resume(&self) {
        self.change(|r| r.paused = false);
    }

    /// Whether the clock is paused.
    pub fn is_paused(&self) -> bool {
        !self.virtual_mode && self.real().paused
    }

    /// Sets how many times faster than real time a real clock runs (clamped to
    /// 0.01–100000). A virtual clock ignores it.
    pub fn set_speed(&self, speed: f64) {
        let speed = if speed.is_finite() {
            speed.clamp(0.01, 100_000.0)
        } else {
            1.0
        };
        self.change(|r| r.speed = speed);
    }

    /// A virtual clock.
    pub fn virtual_at(start_utc: DateTime<Utc>) -> Self {
        Clock::new(ClockMode::Virtual, start_utc)
    }

    /// How it advances (a real clock's current speed).
    pub fn mode(&self) -> ClockMode {
        if self.virtual_mode {
            ClockMode::Virtual
        } else {
            ClockMode::Real {
                speed: self.real().speed,
            }
        }
    }

    /// The UTC instant the run started.
    pub fn start_utc(&self) -> DateTime<Utc> {
        self.start_utc
    }

    /// Run time elapsed since the start.
    pub fn elapsed(&self) -> Duration {
        if self.virtual_mode {
            Duration::from_millis(self.virtual_ms.load(Ordering::Acquire))
        } else {
            Duration::from_millis(self.real().elapsed_ms() as u64)
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
    /// A real clock sleeps in real time, starting over when the speed changes, and waits
    /// without end while paused.
    pub async fn sleep_until(&self, t: Duration) {
        if self.virtual_mode {
            self.virtual_ms.fetch_max(t.as_millis(), Ordering::AcqRel);
            return;
        }
        loop {
            // Registered before the state is read, so no change can slip between.
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let r = self.real();
            let now = r.elapsed_ms();
            let target = t.as_millis() as f64;
            if now >= target {
                return;
            }
            if r.paused {
                changed.await;
                continue;
            }
            let real = ((target - now) / r.speed).ceil();
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_millis(real as u64)) => {}
                _ = &mut changed => {}
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
    async fn a_paused_clock_stands_still_and_holds_its_sleepers() {
        let c = std::sync::Arc::new(Clock::new(ClockMode::Real { speed: 1000.0 }, start()));
        c.pause();
        let at = c.elapsed();
        let sleeper = {
            let c = c.clone();
            tokio::spawn(async move { c.sleep(Duration::from_secs(5)).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert_eq!(c.elapsed(), at, "no run time passes while paused");
        assert!(!sleeper.is_finished(), "a sleeper waits while paused");
        assert!(c.is_paused());
        c.resume();
        tokio::time::timeout(std::time::Duration::from_secs(2), sleeper)
            .await
            .expect("wakes after resume")
            .expect("joins");
        assert!(c.elapsed() >= at.saturating_add(Duration::from_secs(5)));
    }

    #[tokio::test]
    async fn a_speed_change_reaches_a_sleeper_already_waiting() {
        let c = std::sync::Arc::new(Clock::new(ClockMode::Real { speed: 1.0 }, start()));
        let real = std::time::Instant::now();
        let sleeper = {
            let c = c.clone();
            tokio::spawn(async move { c.sleep(Duration::from_secs(60)).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        c.set_speed(1000.0);
        assert_eq!(c.mode(), ClockMode::Real { speed: 1000.0 });
        tokio::time::timeout(std::time::Duration::from_secs(2), sleeper)
            .await
            .expect("a minute at 1000x is 60 ms")
            .expect("joins");
        assert!(real.elapsed() < std::time::Duration::from_secs(2));
        assert!(c.elapsed() >= Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn clocks_on_paused_time_share_one_virtual_time() {
        let a = Clock::new(ClockMode::Real { speed: 1.0 }, start());
        let real = std::time::Instant::now();
        a.sleep(Duration::from_secs(3600)).await;
        let b = Clock::new(ClockMode::Real { speed: 1.0 }, a.now());
        let (x, y) = tokio::join!(
            a.sleep(Duration::from_secs(60)),
            b.sleep(Duration::from_secs(30))
        );
        let _ = (x, y);
        assert_eq!(a.elapsed(), Duration::from_secs(3660));
        assert_eq!(b.elapsed(), Duration::from_secs(60), "b waited with a");
        assert_eq!(a.now(), b.now());
        assert!(real.elapsed() < std::time::Duration::from_secs(1));
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
