//! AWS's API rate limits, kept by the whole process in each account.
//!
//! AWS throttles each account separately, per API family and per region (IAM, being
//! global, per account). One [`Throttle`] per account serves every run, poller and probe
//! there: before each call, [`Throttle::take`] reserves a token from the family's bucket
//! and waits until the reservation is due, so the calls the account sees never exceed
//! the family's rate and burst, however many game days run at once. Waits are on tokio's
//! clock, so a plan run in virtual time is throttled in virtual time.
//!
//! The rates are AWS's published ones where AWS publishes them, and gameday's own,
//! conservative, where it does not ([`Limit::published`]). Every call is logged, so a
//! plan execution can report how hard it hit each account ([`Throttle::stats`]).

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The rate limit of one API family.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Limit {
    /// The family, such as `ec2:read`.
    pub family: &'static str,
    /// Tokens added a second.
    pub per_second: f64,
    /// The most tokens held: the largest burst.
    pub burst: u32,
    /// Whether AWS publishes it; otherwise it is gameday's own cap.
    pub published: bool,
    /// Whether it holds per account only (IAM, STS), not per region.
    pub global: bool,
}

const fn limit(family: &'static str, per_second: f64, burst: u32, published: bool) -> Limit {
    Limit {
        family,
        per_second,
        burst,
        published,
        global: false,
    }
}

/// The limits, by family. The first entry whose family prefixes an operation's service
/// applies (see [`limit_of`]).
pub const LIMITS: &[Limit] = &[
    limit("cloudwatch:DescribeAlarms", 9.0, 9, true),
    limit("cloudwatch:DescribeAlarmHistory", 3.0, 3, true),
    limit("cloudwatch:SetAlarmState", 3.0, 3, true),
    limit("cloudwatch:PutMetricAlarm", 3.0, 3, true),
    limit("cloudwatch:GetMetricData", 50.0, 50, true),
    limit("cloudwatch", 3.0, 3, false),
    limit("ec2:read", 20.0, 100, true),
    limit("ec2:write", 5.0, 200, true),
    limit("cloudtrail:LookupEvents", 2.0, 2, true),
    limit("cloudtrail", 5.0, 5, false),
    limit("guardduty", 10.0, 10, false),
    limit("logs", 5.0, 5, false),
    limit("s3", 50.0, 50, false),
    Limit {
        global: true,
        ..limit("iam", 10.0, 10, false)
    },
    Limit {
        global: true,
        ..limit("sts", 50.0, 50, false)
    },
    limit("other", 10.0, 10, false),
];

/// The limit that applies to `operation` (`service:Operation`, such as
/// `ec2:DescribeInstances`).
pub fn limit_of(operation: &str) -> &'static Limit {
    let (service, op) = operation.split_once(':').unwrap_or((operation, ""));
    if service == "ec2" {
        let read = ["Describe", "Get", "List"]
            .iter()
            .any(|p| op.starts_with(p));
        let family = if read { "ec2:read" } else { "ec2:write" };
        return LIMITS.iter().find(|l| l.family == family).unwrap_or(OTHER);
    }
    LIMITS
        .iter()
        .find(|l| l.family == operation)
        .or_else(|| LIMITS.iter().find(|l| l.family == service))
        .unwrap_or(OTHER)
}

const OTHER: &Limit = &LIMITS[LIMITS.len() - 1];

/// A bucket, with reservations: tokens may go below zero, and a caller that takes one
/// waits until its token would have been there.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// One call made.
#[derive(Debug, Clone)]
struct Made {
    operation: String,
    region: String,
    at: Instant,
}

/// The token buckets of one account (and endpoint), by family and region: what the
/// account has left to give. Several [`Throttle`]s may draw on one, each with its own log.
#[derive(Debug, Default)]
pub struct Buckets(Mutex<HashMap<(&'static str, String), Bucket>>);

/// The rate limits of one account (and endpoint), shared by everything calling it.
#[derive(Debug)]
pub struct Throttle {
    start: Instant,
    buckets: Arc<Buckets>,
    log: Mutex<Vec<Made>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new()
    }
}

impl Throttle {
    /// Full buckets, starting now.
    pub fn new() -> Self {
        Throttle::drawing_on(Arc::default())
    }

    /// A throttle that draws on `buckets`, which other throttles may share, and logs only
    /// its own calls, from now.
    pub fn drawing_on(buckets: Arc<Buckets>) -> Self {
        Throttle {
            start: Instant::now(),
            buckets,
            log: Mutex::default(),
        }
    }

    /// Waits until `operation` may be called in `region`, and logs the call.
    pub async fn take(&self, region: &str, operation: &str) {
        let wait = self.reserve(region, operation, Instant::now());
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Reserves a token at `now`; how long to wait for it.
    fn reserve(&self, region: &str, operation: &str, now: Instant) -> Duration {
        let limit = limit_of(operation);
        let scope = if limit.global { "" } else { region };
        let wait = {
            let mut buckets = self.buckets.0.lock().unwrap_or_else(|p| p.into_inner());
            let b = buckets
                .entry((limit.family, scope.to_owned()))
                .or_insert(Bucket {
                    tokens: f64::from(limit.burst),
                    at: now,
                });
            let refill = now.saturating_duration_since(b.at).as_secs_f64() * limit.per_second;
            b.tokens = (b.tokens + refill).min(f64::from(limit.burst)) - 1.0;
            b.at = now;
            if b.tokens >= 0.0 {
                Duration::ZERO
            } else {
                Duration::from_secs_f64(-b.tokens / limit.per_second)
            }
        };
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Made {
                operation: operation.to_owned(),
                region: scope.to_owned(),
                at: now + wait,
            });
        wait
    }

    /// How many calls have been made.
    pub fn calls(&self) -> usize {
        self.log.lock().map(|l| l.len()).unwrap_or(0)
    }

    /// Every call made in the account, whatever its family.
    pub fn totals(&self) -> Rates {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        let mut times: Vec<Duration> = log
            .iter()
            .map(|m| m.at.saturating_duration_since(self.start))
            .collect();
        drop(log);
        times.sort();
        Rates::of(&times)
    }

    /// The calls made, by family and region (empty for global families), with their
    /// peaks against the family's limit.
    pub fn stats(&self) -> Vec<FamilyStats> {
        let log = self.log.lock().unwrap_or_else(|p| p.into_inner()).clone();
        /// A family's call times and calls by operation.
        type Calls = (Vec<Duration>, BTreeMap<String, u64>);
        let mut by: BTreeMap<(&'static str, String), Calls> = BTreeMap::new();
        for m in &log {
            let e = by
                .entry((limit_of(&m.operation).family, m.region.clone()))
                .or_default();
            e.0.push(m.at.saturating_duration_since(self.start));
            *e.1.entry(m.operation.clone()).or_default() += 1;
        }
        by.into_iter()
            .map(|((family, region), (mut times, operations))| {
                times.sort();
                FamilyStats::new(limit_of_family(family), region, &times, operations)
            })
            .collect()
    }
}

fn limit_of_family(family: &str) -> &'static Limit {
    LIMITS.iter().find(|l| l.family == family).unwrap_or(OTHER)
}

/// How many calls were made, and how densely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Rates {
    /// Calls in all.
    pub calls: u64,
    /// Whole minutes from the first call to the last, at least 1.
    pub minutes: u64,
    /// The median of the calls in each minute (from the first call), over every minute
    /// up to the last call.
    pub median_per_minute: u64,
    /// The most calls in any 60 s window.
    pub peak_per_minute: u64,
    /// The most calls in any 1 s window.
    pub peak_per_second: u64,
}

impl Rates {
    /// The rates of calls made at the sorted `times`.
    fn of(times: &[Duration]) -> Rates {
        let first = times.first().copied().unwrap_or_default();
        let last = times.last().copied().unwrap_or_default();
        let minutes = (last - first).as_secs() / 60 + 1;
        let mut per_minute = vec![0u64; minutes as usize];
        for t in times {
            per_minute[((*t - first).as_secs() / 60) as usize] += 1;
        }
        per_minute.sort_unstable();
        Rates {
            calls: times.len() as u64,
            minutes,
            median_per_minute: per_minute[per_minute.len() / 2],
            peak_per_minute: peak(times, Duration::from_secs(60)),
            peak_per_second: peak(times, Duration::from_secs(1)),
        }
    }
}

/// The calls of one family in one region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FamilyStats {
    /// The family.
    pub family: String,
    /// The region (empty for a global family).
    pub region: String,
    /// Its limit.
    pub limit: Limit,
    /// Calls by operation.
    pub operations: BTreeMap<String, u64>,
    /// How many, and how densely.
    #[serde(flatten)]
    pub rates: Rates,
    /// The most the limit allows in any 60 s window: burst + 60 × rate.
    pub allowed_per_minute: u64,
    /// The most the limit allows in any 1 s window: burst + rate.
    pub allowed_per_second: u64,
}

impl FamilyStats {
    fn new(
        limit: &'static Limit,
        region: String,
        times: &[Duration],
        operations: BTreeMap<String, u64>,
    ) -> Self {
        let allowed = |secs: f64| (f64::from(limit.burst) + limit.per_second * secs).floor() as u64;
        FamilyStats {
            family: limit.family.to_owned(),
            region,
            limit: *limit,
            operations,
            rates: Rates::of(times),
            allowed_per_minute: allowed(60.0),
            allowed_per_second: allowed(1.0),
        }
    }

    /// Whether the peaks are within what the limit allows.
    pub fn within_limit(&self) -> bool {
        self.rates.peak_per_second <= self.allowed_per_second
            && self.rates.peak_per_minute <= self.allowed_per_minute
    }
}

/// The most of the sorted `times` in any half-open window of length `window`.
fn peak(times: &[Duration], window: Duration) -> u64 {
    let mut best = 0;
    let mut from = 0;
    for (i, t) in times.iter().enumerate() {
        while *t - times[from] >= window {
            from += 1;
        }
        best = best.max(i + 1 - from);
    }
    best as u64
}

/// A throttle with the region the caller works in: what a client passes before each
/// call.
#[derive(Debug, Clone)]
pub struct Gate {
    throttle: Arc<Throttle>,
    region: String,
}

impl Gate {
    /// Calls in `region` through `throttle`.
    pub fn new(throttle: Arc<Throttle>, region: &str) -> Self {
        Gate {
            throttle,
            region: region.to_owned(),
        }
    }

    /// Waits until `operation` may be called, and logs the call.
    pub async fn pass(&self, operation: &str) {
        self.throttle.take(&self.region, operation).await;
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }
}

/// Every account's buckets in a process, by account and endpoint: what executions that
/// run side by side (a daemon's plans) draw on together, so that all of them at once keep
/// to each account's limits while each logs its own calls.
#[derive(Debug, Default)]
pub struct Accounts(Mutex<BTreeMap<String, Arc<Buckets>>>);

impl Accounts {
    /// The buckets of `key`, full the first time.
    pub fn buckets(&self, key: &str) -> Arc<Buckets> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key.to_owned()).or_default().clone()
    }
}

/// Every account's throttle in one execution, by account and endpoint.
#[derive(Debug, Default)]
pub struct Throttles {
    map: Mutex<BTreeMap<String, Arc<Throttle>>>,
}

impl Throttles {
    /// The throttle of `key`, made the first time: drawing on `accounts`' buckets of
    /// `key` when given, or on buckets of its own.
    pub fn get(&self, key: &str, accounts: Option<&Accounts>) -> Arc<Throttle> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key.to_owned())
            .or_insert_with(|| {
                Arc::new(match accounts {
                    Some(a) => Throttle::drawing_on(a.buckets(key)),
                    None => Throttle::new(),
                })
            })
            .clone()
    }

    /// Every throttle, by key.
    pub fn all(&self) -> Vec<(String, Arc<Throttle>)> {
        let map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.iter().map(|(k, t)| (k.clone(), t.clone())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_map_to_their_family() {
        assert_eq!(
            limit_of("cloudwatch:DescribeAlarms").family,
            "cloudwatch:DescribeAlarms"
        );
        assert_eq!(limit_of("cloudwatch:DeleteAlarms").family, "cloudwatch");
        assert_eq!(limit_of("ec2:DescribeInstances").family, "ec2:read");
        assert_eq!(limit_of("ec2:RunInstances").family, "ec2:write");
        assert_eq!(limit_of("iam:CreateUser").family, "iam");
        assert!(limit_of("iam:CreateUser").global);
        assert_eq!(
            limit_of("cloudtrail:LookupEvents").family,
            "cloudtrail:LookupEvents"
        );
        assert_eq!(limit_of("s3:PutBucketPolicy").family, "s3");
        assert_eq!(limit_of("nonsense").family, "other");
    }

    #[test]
    fn windows_count_half_open() {
        let s = Duration::from_secs;
        let times = [s(0), s(0), Duration::from_millis(999), s(1), s(5)];
        assert_eq!(peak(&times, s(1)), 3);
        assert_eq!(peak(&times, s(60)), 5);
        assert_eq!(peak(&[], s(1)), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_flood_of_callers_is_held_to_the_rate_and_burst() {
        let t = Arc::new(Throttle::new());
        let start = Instant::now();
        let calls = (0..200).map(|_| {
            let t = t.clone();
            tokio::spawn(async move { t.take("us-east-1", "cloudtrail:LookupEvents").await })
        });
        for c in calls.collect::<Vec<_>>() {
            c.await.expect("joins");
        }
        // 2 at once, then 2 a second: the 200th call is made after 99 s.
        assert_eq!(start.elapsed(), Duration::from_secs(99));
        let stats = t.stats();
        assert_eq!(stats.len(), 1);
        let s = &stats[0];
        assert_eq!(s.rates.calls, 200);
        assert_eq!(
            s.rates.peak_per_second, 3,
            "burst of 2 at 0 s, one more at 0.5 s"
        );
        assert_eq!(s.allowed_per_second, 4);
        assert!(s.within_limit(), "{s:?}");
        assert_eq!(s.rates.peak_per_minute, 121);
        assert_eq!(s.rates.minutes, 2);
        // 121 calls in the first minute, 79 in the second (60 s to 99 s).
        assert_eq!(s.rates.median_per_minute, 121);
        assert_eq!(t.totals(), s.rates);
    }

    #[tokio::test(start_paused = true)]
    async fn throttles_drawing_on_one_accounts_buckets_share_the_limit_and_log_their_own() {
        let accounts = Accounts::default();
        let (a, b) = (Throttles::default(), Throttles::default());
        let (ta, tb) = (
            a.get("111122223333/aws", Some(&accounts)),
            b.get("111122223333/aws", Some(&accounts)),
        );
        let start = Instant::now();
        // Two executions, two LookupEvents each: 2 at once, then 2 a second, together.
        for _ in 0..2 {
            ta.take("us-east-1", "cloudtrail:LookupEvents").await;
            tb.take("us-east-1", "cloudtrail:LookupEvents").await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        assert_eq!((ta.calls(), tb.calls()), (2, 2), "each logs its own calls");
        // Another account, and a throttle of its own, are not held back.
        let other = a.get("444455556666/aws", Some(&accounts));
        let own = Throttles::default().get("111122223333/aws", None);
        let now = Instant::now();
        for t in [&other, &own] {
            t.take("us-east-1", "cloudtrail:LookupEvents").await;
            t.take("us-east-1", "cloudtrail:LookupEvents").await;
        }
        assert_eq!(now.elapsed(), Duration::ZERO);
        assert!(
            Arc::ptr_eq(&ta, &a.get("111122223333/aws", None)),
            "made once"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn regions_have_their_own_buckets_and_iam_shares_one() {
        let t = Throttle::new();
        let start = Instant::now();
        for _ in 0..2 {
            t.take("us-east-1", "cloudtrail:LookupEvents").await;
            t.take("eu-west-1", "cloudtrail:LookupEvents").await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "each region bursts 2");
        for region in ["us-east-1", "eu-west-1"] {
            for _ in 0..6 {
                t.take(region, "iam:ListAccessKeys").await;
            }
        }
        // 12 IAM calls against one bucket of 10 at 10/s: the last waits 0.2 s.
        assert_eq!(start.elapsed(), Duration::from_millis(200));
        let iam = t
            .stats()
            .into_iter()
            .find(|s| s.family == "iam")
            .expect("iam");
        assert_eq!((iam.rates.calls, iam.region.as_str()), (12, ""));
        assert_eq!(t.totals().calls, 16);
    }
}
