//! One detection poller per account and region, shared by every run there.
//!
//! Runs ask for findings and alarm states as often as their poll intervals say; the
//! poller answers from what it last fetched unless that is older than the interval, so
//! the calls the account sees grow with the accounts and regions watched, not with the
//! number of concurrent scenarios. What the runs ask for is pooled: one ListFindings covers
//! every run's finding types, one DescribeAlarms every run's alarms (and the stop alarms).
//! Detection times are the provider's own timestamps, so answering from a fetch made a
//! little earlier delays when a detection is *observed*, never what is *measured*.
//!
//! The same poller serves AWS accounts and simulated ones ([`FindingSource`] and
//! [`CloudWatch`] are the seam); its calls pass the account's [`Throttle`], and its times
//! are tokio's, so a plan run in virtual time polls in virtual time.

use crate::config::Poll;
use crate::sandbox::{
    Alarm, AlarmTransition, CloudWatch, ErrorKind, Finding, HubFinding, LogQuery, LogRow, Result,
    SecurityHub,
};
use crate::throttle::{Accounts, FamilyStats, Gate, Rates, Throttle, Throttles};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Where findings come from: GuardDuty on AWS, or a simulated account.
#[async_trait]
pub trait FindingSource: Send + Sync {
    /// Unarchived findings of `types` updated at or after `since`, without fetching the
    /// details of those in `known` again; `gate` is passed before each call made.
    async fn findings_except(
        &self,
        types: &[String],
        since: DateTime<Utc>,
        known: &BTreeSet<String>,
        gate: &Gate,
    ) -> Result<Vec<Finding>>;
}

/// Where Logs Insights queries run: CloudWatch Logs on AWS, or a simulated account.
#[async_trait]
pub trait LogSource: Send + Sync {
    /// Runs `query` over the log events from `from` until now, to its end: StartQuery,
    /// then GetQueryResults until the query is complete, for at most `wait` (then the
    /// query is stopped and this fails). `gate` is passed before each call made.
    async fn run_query(
        &self,
        query: &LogQuery,
        from: DateTime<Utc>,
        gate: &Gate,
        wait: Duration,
    ) -> Result<Vec<LogRow>>;
}

/// How many Logs Insights queries the poller of an account and region runs at once: a
/// third of the 30 concurrent queries AWS allows an account (StartQuery's reference),
/// which the team's own dashboards and searches share.
pub const CONCURRENT_QUERIES: usize = 10;

/// How long one Logs Insights query may run before it is stopped (and tried again at the
/// next poll).
pub const QUERY_WAIT: Duration = Duration::from_secs(60);

/// Logs Insights queries start at a multiple of this many seconds (a quarter hour).
const QUERY_FROM_GRAIN: i64 = 900;

/// An answer fetched `age` ago is still good for a run polling every `interval`. A little
/// slack lets runs that poll at the same interval, started at different moments, share
/// one fetch per interval.
fn fresh(age: Duration, interval: Duration) -> bool {
    age + (interval / 10).min(Duration::from_secs(1)) < interval
}

/// A token bucket: `per_minute` tokens a minute, a tenth of a minute's worth at once.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Every poller of an execution, by account, region and endpoint, and every account's
/// throttle.
#[derive(Debug, Default)]
pub struct Pollers {
    map: Mutex<HashMap<String, Arc<Poller>>>,
    throttles: Throttles,
    accounts: Option<Arc<Accounts>>,
}

impl Pollers {
    /// No pollers yet; each AWS account's throttle has buckets of its own.
    pub fn new() -> Self {
        Pollers::default()
    }

    /// No pollers yet; each AWS account's throttle draws on `accounts`' buckets, which
    /// other executions of the process share.
    pub fn sharing(accounts: Arc<Accounts>) -> Self {
        Pollers {
            accounts: Some(accounts),
            ..Pollers::default()
        }
    }

    /// The poller of `key` (account, region and endpoint), made by `make` the first time.
    pub fn get(&self, key: &str, make: impl FnOnce() -> Poller) -> Arc<Poller> {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key.to_owned())
            .or_insert_with(|| Arc::new(make()))
            .clone()
    }

    /// The throttle of AWS account `account` at `endpoint` (`aws` for AWS's own), shared
    /// by every region, run and poller there, and drawing on the buckets the pollers
    /// share with other executions ([`Pollers::sharing`]).
    pub fn throttle(&self, account: &str, endpoint: &str) -> Arc<Throttle> {
        self.throttles
            .get(&format!("{account}/{endpoint}"), self.accounts.as_deref())
    }

    /// The throttle of simulated account `account`. Its buckets are the execution's own,
    /// as the simulated account itself is.
    pub fn sim_throttle(&self, account: &str) -> Arc<Throttle> {
        self.throttles.get(&format!("{account}/sim"), None)
    }

    /// The calls made in each account (`ACCOUNT/ENDPOINT`): all of them, and by family
    /// and region.
    pub fn call_stats(&self) -> Vec<(String, Rates, Vec<FamilyStats>)> {
        self.throttles
            .all()
            .into_iter()
            .map(|(k, t)| (k, t.totals(), t.stats()))
            .collect()
    }

    /// How many pollers there are.
    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Default)]
struct FindingsState {
    /// The finding types some run watches for.
    types: BTreeSet<String>,
    /// The earliest start of the runs watching.
    since: Option<DateTime<Utc>>,
    /// When the last fetch was made, and whether it covered every type and start above.
    fetched: Option<Instant>,
    covered: bool,
    /// Findings seen, by id.
    seen: BTreeMap<String, Finding>,
}

#[derive(Debug, Default)]
struct AlarmsState {
    names: BTreeSet<String>,
    fetched: Option<Instant>,
    covered: bool,
    alarms: BTreeMap<String, Alarm>,
    /// DescribeAlarmHistory: `Some(false)` once the endpoint said it lacks it.
    history: Option<bool>,
    /// By alarm: when fetched, from when, and what.
    transitions: BTreeMap<String, (Instant, DateTime<Utc>, Vec<AlarmTransition>)>,
}

/// Security Hub findings, fetched for every run at once.
#[derive(Debug, Default)]
struct HubState {
    /// The earliest start of the runs watching.
    since: Option<DateTime<Utc>>,
    fetched: Option<Instant>,
    covered: bool,
    /// Findings seen, by id.
    seen: BTreeMap<String, HubFinding>,
}

/// The rows of one Logs Insights query, fetched for every run that asks it.
#[derive(Debug, Default)]
struct QueryState {
    /// The earliest start of the runs asking.
    since: Option<DateTime<Utc>>,
    fetched: Option<Instant>,
    covered: bool,
    /// Rows seen, by `@ptr`.
    rows: BTreeMap<String, LogRow>,
}

/// The detection poller of one account and region.
pub struct Poller {
    logs: Arc<dyn LogSource>,
    /// Each distinct query (log groups and text), with its own lock so that different
    /// queries run side by side and runs asking the same one wait for its answer.
    queries: tokio::sync::Mutex<BTreeMap<LogQuery, Arc<tokio::sync::Mutex<QueryState>>>>,
    /// The account's concurrent queries that are gameday's.
    running: tokio::sync::Semaphore,
    guardduty: Arc<dyn FindingSource>,
    cloudwatch: Arc<dyn CloudWatch>,
    securityhub: Arc<dyn SecurityHub>,
    hub: tokio::sync::Mutex<HubState>,
    gate: Gate,
    poll: Poll,
    findings: tokio::sync::Mutex<FindingsState>,
    probes: Mutex<Bucket>,
    alarms: tokio::sync::Mutex<AlarmsState>,
    fetches: AtomicU64,
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("gate", &self.gate)
            .field("poll", &self.poll)
            .field("fetches", &self.fetches)
            .finish_non_exhaustive()
    }
}

impl Poller {
    /// A poller reading through these clients, its calls passing `gate`.
    pub fn new(
        guardduty: Arc<dyn FindingSource>,
        cloudwatch: Arc<dyn CloudWatch>,
        securityhub: Arc<dyn SecurityHub>,
        logs: Arc<dyn LogSource>,
        gate: Gate,
        poll: Poll,
    ) -> Self {
        Poller {
            logs,
            queries: tokio::sync::Mutex::default(),
            running: tokio::sync::Semaphore::new(CONCURRENT_QUERIES),
            guardduty,
            cloudwatch,
            securityhub,
            hub: tokio::sync::Mutex::default(),
            gate,
            poll,
            probes: Mutex::new(Bucket {
                tokens: Self::burst(poll),
                at: Instant::now(),
            }),
            findings: tokio::sync::Mutex::default(),
            alarms: tokio::sync::Mutex::default(),
            fetches: AtomicU64::new(0),
        }
    }

    fn burst(poll: Poll) -> f64 {
        (f64::from(poll.probes_per_minute) / 10.0).max(1.0)
    }

    /// Takes one containment probe from the account's budget, if one is left.
    pub fn try_probe(&self) -> bool {
        self.try_probe_at(Instant::now())
    }

    /// The gate its calls pass: the account's throttle, in its region.
    pub fn gate(&self) -> &Gate {
        &self.gate
    }

    fn try_probe_at(&self, now: Instant) -> bool {
        let mut b = self.probes.lock().unwrap_or_else(|p| p.into_inner());
        let refill = (now - b.at).as_secs_f64() * f64::from(self.poll.probes_per_minute) / 60.0;
        b.tokens = (b.tokens + refill).min(Self::burst(self.poll));
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// How many times it has fetched from AWS (findings, alarms or history).
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// Unarchived findings of `types` updated at or after `since`, oldest first.
    pub async fn findings(&self, types: &[String], since: DateTime<Utc>) -> Result<Vec<Finding>> {
        let mut st = self.findings.lock().await;
        for t in types {
            st.covered &= !st.types.insert(t.clone());
        }
        if st.since.is_none_or(|s| since < s) {
            st.since = Some(since);
            st.covered = false;
        }
        let stale = st
            .fetched
            .is_none_or(|at| !fresh(at.elapsed(), self.poll.guardduty.to_std()));
        if stale || !st.covered {
            let all: Vec<String> = st.types.iter().cloned().collect();
            let from = st.since.unwrap_or(since);
            self.fetches.fetch_add(1, Ordering::Relaxed);
            let known: BTreeSet<String> = st.seen.keys().cloned().collect();
            let fresh = self
                .guardduty
                .findings_except(&all, from, &known, &self.gate)
                .await?;
            for f in fresh {
                st.seen.insert(f.id.clone(), f);
            }
            st.fetched = Some(Instant::now());
            st.covered = true;
        }
        let mut out: Vec<Finding> = st
            .seen
            .values()
            .filter(|f| types.contains(&f.finding_type) && f.updated_at >= since)
            .cloned()
            .collect();
        out.sort_by_key(|f| f.created_at);
        Ok(out)
    }

    /// Security Hub findings created at or after `since`, oldest first: one GetFindings
    /// per interval for every run of the account, from the earliest start among them.
    pub async fn hub_findings(&self, since: DateTime<Utc>) -> Result<Vec<HubFinding>> {
        let mut st = self.hub.lock().await;
        if st.since.is_none_or(|s| since < s) {
            st.since = Some(since);
            st.covered = false;
        }
        let stale = st
            .fetched
            .is_none_or(|at| !fresh(at.elapsed(), self.poll.detectors.to_std()));
        if stale || !st.covered {
            let from = st.since.unwrap_or(since);
            self.fetches.fetch_add(1, Ordering::Relaxed);
            self.gate.pass("securityhub:GetFindings").await;
            for f in self.securityhub.findings(from).await? {
                st.seen.insert(f.id.clone(), f);
            }
            st.fetched = Some(Instant::now());
            st.covered = true;
        }
        let mut out: Vec<HubFinding> = st
            .seen
            .values()
            .filter(|f| f.created_at >= since)
            .cloned()
            .collect();
        out.sort_by_key(|f| f.created_at);
        Ok(out)
    }

    /// The rows of Logs Insights `query` at or after `since`, oldest first: one query per
    /// interval (`poll.detectors`) for every run asking the same log groups and text,
    /// from the earliest start among them, at most [`CONCURRENT_QUERIES`] at once.
    pub async fn log_rows(&self, query: &LogQuery, since: DateTime<Utc>) -> Result<Vec<LogRow>> {
        let slot = self
            .queries
            .lock()
            .await
            .entry(query.clone())
            .or_default()
            .clone();
        let mut st = slot.lock().await;
        // From the quarter hour before: runs started minutes apart share the query rather
        // than each earlier start asking it again (each run reads only its own rows).
        let quarter = since.timestamp() - since.timestamp().rem_euclid(QUERY_FROM_GRAIN);
        let from = DateTime::from_timestamp(quarter, 0).unwrap_or(since);
        if st.since.is_none_or(|s| from < s) {
            st.since = Some(from);
            st.covered = false;
        }
        let stale = st
            .fetched
            .is_none_or(|at| !fresh(at.elapsed(), self.poll.detectors.to_std()));
        if stale || !st.covered {
            let from = st.since.unwrap_or(from);
            self.fetches.fetch_add(1, Ordering::Relaxed);
            // The semaphore is never closed; without a permit the query would still run.
            let _permit = self.running.acquire().await.ok();
            let rows = self
                .logs
                .run_query(query, from, &self.gate, QUERY_WAIT)
                .await?;
            for r in rows {
                st.rows.insert(r.ptr.clone(), r);
            }
            st.fetched = Some(Instant::now());
            st.covered = true;
        }
        let mut out: Vec<LogRow> = st
            .rows
            .values()
            .filter(|r| r.at >= since)
            .cloned()
            .collect();
        out.sort_by_key(|r| r.at);
        Ok(out)
    }

    /// The alarms named `names` that exist.
    pub async fn alarms(&self, names: &[String]) -> Result<Vec<Alarm>> {
        let mut st = self.alarms.lock().await;
        for n in names {
            st.covered &= !st.names.insert(n.clone());
        }
        let stale = st
            .fetched
            .is_none_or(|at| !fresh(at.elapsed(), self.poll.cloudwatch.to_std()));
        if stale || !st.covered {
            let all: Vec<String> = st.names.iter().cloned().collect();
            self.fetches.fetch_add(1, Ordering::Relaxed);
            self.gate.pass("cloudwatch:DescribeAlarms").await;
            let alarms = self.cloudwatch.describe_alarms(&all).await?;
            st.alarms = alarms.into_iter().map(|a| (a.name.clone(), a)).collect();
            st.fetched = Some(Instant::now());
            st.covered = true;
        }
        Ok(names
            .iter()
            .filter_map(|n| st.alarms.get(n).cloned())
            .collect())
    }

    /// The state changes of alarm `name` since `since`; [`ErrorKind::Unsupported`] where
    /// the endpoint lacks DescribeAlarmHistory, asked once per poller.
    pub async fn alarm_history(
        &self,
        name: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<AlarmTransition>> {
        let mut st = self.alarms.lock().await;
        if st.history == Some(false) {
            return Err(crate::sandbox::SandboxError::new(
                ErrorKind::Unsupported,
                "cloudwatch:DescribeAlarmHistory",
                "the endpoint does not implement it",
            ));
        }
        let cached = st.transitions.get(name).filter(|(at, from, _)| {
            *from <= since && fresh(at.elapsed(), self.poll.cloudwatch.to_std())
        });
        let transitions = match cached {
            Some((_, _, t)) => t.clone(),
            None => {
                self.fetches.fetch_add(1, Ordering::Relaxed);
                self.gate.pass("cloudwatch:DescribeAlarmHistory").await;
                match self.cloudwatch.alarm_history(name, since).await {
                    Ok(t) => {
                        st.history = Some(true);
                        st.transitions
                            .insert(name.to_owned(), (Instant::now(), since, t.clone()));
                        t
                    }
                    Err(e) => {
                        if e.kind == ErrorKind::Unsupported {
                            st.history = Some(false);
                        }
                        return Err(e);
                    }
                }
            }
        };
        Ok(transitions.into_iter().filter(|t| t.at >= since).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_stay_fresh_for_just_under_the_interval() {
        let i = Duration::from_secs(30);
        assert!(fresh(Duration::from_secs(28), i));
        assert!(!fresh(Duration::from_secs(29), i));
        assert!(!fresh(Duration::from_secs(31), i));
        // Short intervals keep a tenth as slack.
        assert!(fresh(Duration::from_millis(800), Duration::from_secs(1)));
        assert!(!fresh(Duration::from_millis(950), Duration::from_secs(1)));
    }

    #[tokio::test(start_paused = true)]
    async fn executions_sharing_accounts_share_aws_limits_but_not_simulated_ones() {
        let accounts = Arc::new(Accounts::default());
        let (one, two) = (
            Pollers::sharing(accounts.clone()),
            Pollers::sharing(accounts),
        );
        let lookup = "cloudtrail:LookupEvents";
        let start = tokio::time::Instant::now();
        // Simulated accounts are each execution's own: 2 + 2 calls within the burst.
        for p in [&one, &two] {
            for _ in 0..2 {
                p.sim_throttle("210000000001")
                    .take("us-east-1", lookup)
                    .await;
            }
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
        // One AWS account: the two executions' 4 calls share a burst of 2 at 2/s.
        for p in [&one, &two] {
            for _ in 0..2 {
                p.throttle("111122223333", "aws")
                    .take("us-east-1", lookup)
                    .await;
            }
        }
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        // Pollers of their own do not wait on those buckets.
        let alone = Pollers::new();
        let now = tokio::time::Instant::now();
        for _ in 0..2 {
            alone
                .throttle("111122223333", "aws")
                .take("us-east-1", lookup)
                .await;
        }
        assert_eq!(now.elapsed(), Duration::ZERO);
        let calls = |p: &Pollers| {
            p.call_stats()
                .into_iter()
                .map(|(k, r, _)| (k, r.calls))
                .collect::<Vec<_>>()
        };
        let each = vec![
            ("111122223333/aws".to_owned(), 2),
            ("210000000001/sim".to_owned(), 2),
        ];
        assert_eq!(calls(&one), each, "each execution reports its own calls");
        assert_eq!(calls(&two), each);
    }

    #[tokio::test(start_paused = true)]
    async fn runs_asking_the_same_logs_query_share_one_query_per_interval() {
        let start = "2026-12-05T10:07:00Z"
            .parse::<DateTime<Utc>>()
            .expect("time");
        let clock = Arc::new(crate::clock::Clock::virtual_at(start));
        let sim = Arc::new(crate::sim::SimAccount::new(
            1,
            Arc::new(crate::sim::DetectionModel::builtin()),
            clock,
        ));
        let gate = Gate::new(Arc::new(Throttle::new()), "us-east-1");
        let p = Poller::new(
            sim.clone(),
            sim.clone(),
            sim.clone(),
            sim,
            gate,
            Poll::default(),
        );
        let q = |text: &str| LogQuery {
            log_groups: vec!["aws-cloudtrail-logs".to_owned()],
            query: crate::insights::full_query(text),
        };
        let same = q(r#"filter eventName = "CreateUser""#);
        // Ten runs, started seconds apart within one quarter hour, ask at once.
        for i in 0..10 {
            let since = start + chrono::Duration::seconds(i * 7);
            p.log_rows(&same, since).await.expect("rows");
        }
        assert_eq!(p.fetches(), 1, "one query for the ten runs");
        p.log_rows(&q(r#"filter eventName = "DeleteUser""#), start)
            .await
            .expect("rows");
        assert_eq!(p.fetches(), 2, "another query is asked on its own");
        tokio::time::advance(Duration::from_secs(10)).await;
        p.log_rows(&same, start).await.expect("rows");
        assert_eq!(p.fetches(), 2, "still fresh 10 s later");
        tokio::time::advance(Duration::from_secs(25)).await;
        p.log_rows(&same, start).await.expect("rows");
        assert_eq!(p.fetches(), 3, "asked again after the interval (30 s)");
        // A run from the quarter hour before needs rows the query did not cover.
        p.log_rows(&same, start - chrono::Duration::minutes(10))
            .await
            .expect("rows");
        assert_eq!(p.fetches(), 4);
    }

    #[test]
    fn the_probe_budget_is_shared_and_refills_at_its_rate() {
        let clock = Arc::new(crate::clock::Clock::virtual_at(Utc::now()));
        let sim = Arc::new(crate::sim::SimAccount::new(
            1,
            Arc::new(crate::sim::DetectionModel::builtin()),
            clock,
        ));
        let poll = Poll {
            probes_per_minute: 60,
            ..Poll::default()
        };
        let gate = Gate::new(Arc::new(Throttle::new()), "us-east-1");
        let p = Poller::new(sim.clone(), sim.clone(), sim.clone(), sim, gate, poll);
        let t = Instant::now();
        // A burst of a tenth of a minute's worth, then nothing until it refills.
        let burst = (0..20).filter(|_| p.try_probe_at(t)).count();
        assert_eq!(burst, 6);
        let t = t + Duration::from_secs(1);
        assert!(p.try_probe_at(t));
        assert!(!p.try_probe_at(t));
        let t = t + Duration::from_secs(60);
        let refilled = (0..20).filter(|_| p.try_probe_at(t)).count();
        assert_eq!(refilled, 6, "capped at the burst");
    }
}
