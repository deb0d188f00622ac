//! One execution of a plan, fanned out: the game days it holds (scenarios × targets ×
//! regions), the slice a shard runs, where its runs go, and the state that makes each
//! scheduled moment run once however many processes try.

use crate::config::{Config, PlanSpec};
use chrono::{DateTime, Timelike, Utc};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};

/// One game day of an execution.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Job {
    /// The scenario id.
    pub scenario: String,
    /// The target (`sim` or a target of the configuration).
    pub target: String,
    /// The region.
    pub region: String,
}

/// The I-th of N slices of an execution (1-based), for splitting it across processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which slice, from 1.
    pub index: u32,
    /// How many.
    pub count: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("`{s}` is not I/N with 1 ≤ I ≤ N, such as 2/3");
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse::<u32>().map_err(|_| bad())?,
            n.trim().parse::<u32>().map_err(|_| bad())?,
        );
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// The shard of a process started by a scheduler that numbers its children from 0 in
    /// environment variable `var` (`JOB_COMPLETION_INDEX` in a Kubernetes Indexed Job,
    /// `AWS_BATCH_JOB_ARRAY_INDEX` in an AWS Batch array job), `value` being what it holds,
    /// for a plan split `count` ways. One shard is the whole execution (`None`): AWS Batch
    /// sets no index for a job that is not an array, so the variable may be unset then.
    pub fn from_env_index(
        var: &str,
        value: Option<&str>,
        count: u32,
    ) -> Result<Option<Shard>, String> {
        if count == 0 {
            return Err(format!(
                "{var}: the plan has no shards; `shards` must be at least 1"
            ));
        }
        let Some(value) = value else {
            if count == 1 {
                return Ok(None);
            }
            return Err(format!(
                "{var} is not set: the scheduler sets it to this process's index, 0 to {} for \
                 the plan's {count} shards",
                count - 1
            ));
        };
        let index: u32 = value.trim().parse().map_err(|_| {
            format!(
                "{var} is `{}`, not a whole number from 0 to {}",
                value.escape_debug(),
                count - 1
            )
        })?;
        if index >= count {
            return Err(format!(
                "{var} is {index}, but the plan has {count} shard{} (0 to {})",
                if count == 1 { "" } else { "s" },
                count - 1
            ));
        }
        Ok((count > 1).then_some(Shard {
            index: index + 1,
            count,
        }))
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// FNV-1a: a hash that stays the same across builds and machines, for draws every
/// process of an execution must agree on.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// `t` to the whole minute: the moment of an execution started by hand.
pub fn minute(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t)
}

/// The folder name of the execution of `plan` for `moment`.
pub fn execution_id(plan: &str, moment: DateTime<Utc>) -> String {
    format!("{plan}-{}", moment.format("%Y%m%dT%H%M%SZ"))
}

/// The game days of `plan`'s execution drawn with `draw` (the scheduled moment in RFC 3339,
/// or the execution id given by hand), of `shard` only, if given: its scenarios (by id, and
/// by tag from `tags`, scenario id → tags), `pick` of them drawn with a seed of the plan
/// and `draw` (so every shard draws the same), in each of its targets' regions. Sorted, so
/// every process slices the same list.
///
/// Shards split by account: every game day of one target goes to the same shard (the
/// targets in name order, dealt out in turn), so that one process keeps each account's
/// rate limits; the built-in simulator's game days, each in an account of its own, are
/// dealt one by one. See [`idle_shards`] for a plan with fewer targets than shards.
pub fn jobs(
    plan: &PlanSpec,
    config: &Config,
    tags: &BTreeMap<String, Vec<String>>,
    draw: &str,
    shard: Option<Shard>,
) -> Result<Vec<Job>, String> {
    let mut chosen: BTreeSet<String> = BTreeSet::new();
    for id in &plan.scenarios {
        if !tags.contains_key(id) {
            return Err(format!(
                "no scenario `{id}` in the library; {}",
                crate::diag::suggest(id, tags.keys().map(String::as_str))
            ));
        }
        chosen.insert(id.clone());
    }
    for tag in &plan.tags {
        let tagged: Vec<&String> = tags
            .iter()
            .filter(|(_, t)| t.contains(tag))
            .map(|(id, _)| id)
            .collect();
        if tagged.is_empty() {
            return Err(format!("no scenario of the library is tagged `{tag}`"));
        }
        chosen.extend(tagged.into_iter().cloned());
    }
    let mut scenarios: Vec<String> = chosen.into_iter().collect();
    if let Some(n) = plan.pick {
        let seed = stable_hash(&[&plan.name, draw]);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        scenarios.shuffle(&mut rng);
        scenarios.truncate(n as usize);
        scenarios.sort();
    }
    let mut all = Vec::new();
    for scenario in &scenarios {
        for t in &plan.targets {
            let regions = if !t.regions.is_empty() {
                t.regions.clone()
            } else if t.target == "sim" {
                vec!["us-east-1".to_owned()]
            } else {
                config
                    .targets
                    .iter()
                    .find(|x| x.name == t.target)
                    .map(|x| x.regions.clone())
                    .ok_or_else(|| format!("no target named `{}`", t.target))?
            };
            for region in regions {
                all.push(Job {
                    scenario: scenario.clone(),
                    target: t.target.clone(),
                    region,
                });
            }
        }
    }
    all.sort();
    all.dedup();
    Ok(match shard {
        None => all,
        Some(s) => {
            let accounts = accounts(plan);
            let mut sim = 0u32;
            all.into_iter()
                .filter(|j| {
                    let slot = if j.target == "sim" {
                        // The built-in simulator gives every run an account of its own:
                        // its game days are dealt one by one.
                        sim += 1;
                        sim - 1
                    } else {
                        accounts.iter().position(|a| *a == j.target).unwrap_or(0) as u32
                    };
                    slot % s.count == s.index - 1
                })
                .collect()
        }
    })
}

/// The plan's accounts (its targets but the built-in simulator), in the order shards are
/// dealt them.
fn accounts(plan: &PlanSpec) -> Vec<String> {
    let set: BTreeSet<String> = plan
        .targets
        .iter()
        .filter(|t| t.target != "sim")
        .map(|t| t.target.clone())
        .collect();
    set.into_iter().collect()
}

/// When `plan` has fewer accounts than `count` shards: what to tell the user (the shards
/// past the last account run nothing). A plan on the built-in simulator deals its game
/// days one by one, and has none idle.
pub fn idle_shards(plan: &PlanSpec, count: u32) -> Option<String> {
    if plan.targets.iter().any(|t| t.target == "sim") {
        return None;
    }
    let n = accounts(plan).len() as u32;
    (n < count).then(|| {
        format!(
            "plan {} has {n} account(s) for {count} shards: shards split by account, so \
             shards {} to {count} run nothing; use at most {n} shards",
            plan.name,
            n + 1
        )
    })
}

/// Where a plan's schedule state lives: `RUNS_DIR/.schedule/`. A plan's lock file is
/// held (an OS lock, released however its process ends) while one of its moments is
/// claimed and run; its state file says the last moment claimed.
#[derive(Debug, Clone)]
pub struct StateDir {
    dir: PathBuf,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    last: Option<DateTime<Utc>>,
}

impl StateDir {
    /// The state of the plans whose runs go to `runs_dir`.
    pub fn new(runs_dir: &Path) -> StateDir {
        StateDir {
            dir: runs_dir.join(".schedule"),
        }
    }

    fn name(plan: &str, shard: Option<Shard>, ext: &str) -> String {
        match shard {
            Some(s) => format!("{plan}.{}-of-{}.{ext}", s.index, s.count),
            None => format!("{plan}.{ext}"),
        }
    }

    /// The plan's lock (of one shard, if given), or `None` while another process holds it.
    pub fn lock(&self, plan: &str, shard: Option<Shard>) -> Option<File> {
        std::fs::create_dir_all(&self.dir).ok()?;
        let f = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join(Self::name(plan, shard, "lock")))
            .ok()?;
        f.try_lock().ok()?;
        Some(f)
    }

    /// The last moment claimed.
    pub fn last(&self, plan: &str, shard: Option<Shard>) -> Option<DateTime<Utc>> {
        let text = std::fs::read_to_string(self.dir.join(Self::name(plan, shard, "json"))).ok()?;
        serde_json::from_str::<State>(&text).ok()?.last
    }

    /// Claims `moment`: written to a new file, then renamed over the old, so a crash
    /// leaves either state whole.
    pub fn record(
        &self,
        plan: &str,
        shard: Option<Shard>,
        moment: DateTime<Utc>,
    ) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.dir.join(Self::name(plan, shard, "json"));
        let text = serde_json::to_string(&State { last: Some(moment) })?;
        crate::file::replace(&path, text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PlanTarget;

    fn plan(yaml_targets: Vec<PlanTarget>, pick: Option<u32>) -> PlanSpec {
        let mut p: PlanSpec = serde_json::from_value(serde_json::json!({
            "name": "weekly",
            "schedule": {"cron": "0 10 * * TUE", "timezone": "Europe/Berlin"},
            "scenarios": ["a"],
            "tags": ["creds"],
            "targets": [{"target": "sim"}],
        }))
        .expect("plan");
        p.targets = yaml_targets;
        p.pick = pick;
        p
    }

    fn library() -> BTreeMap<String, Vec<String>> {
        BTreeMap::from([
            ("a".into(), vec!["x".into()]),
            ("b".into(), vec!["creds".into()]),
            ("c".into(), vec!["creds".into(), "x".into()]),
            ("d".into(), vec![]),
        ])
    }

    fn config() -> Config {
        serde_json::from_value(serde_json::json!({
            "targets": [{"name": "acct", "kind": "aws", "regions": ["eu-west-1", "us-east-1"],
                         "allowed_accounts": ["111111111111"]}]
        }))
        .expect("config")
    }

    fn t(target: &str, regions: &[&str]) -> PlanTarget {
        PlanTarget {
            target: target.into(),
            regions: regions.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    #[test]
    fn jobs_are_scenarios_by_id_and_tag_times_every_region() {
        let now = "2026-12-01T09:00:00+00:00";
        let p = plan(vec![t("acct", &[]), t("sim", &[])], None);
        let jobs = jobs(&p, &config(), &library(), now, None).expect("jobs");
        // a, b, c × (acct: 2 regions + sim: 1).
        assert_eq!(jobs.len(), 9);
        assert!(jobs.iter().all(|j| j.scenario != "d"));
        assert_eq!(
            jobs.iter().filter(|j| j.target == "acct").count(),
            6,
            "every region of the target"
        );
    }

    #[test]
    fn shards_split_the_jobs_without_overlap_or_gap() {
        let now = "2026-12-01T09:00:00+00:00";
        let p = plan(vec![t("acct", &[]), t("sim", &[])], None);
        let all = jobs(&p, &config(), &library(), now, None).expect("jobs");
        let mut union = Vec::new();
        for i in 1..=4 {
            let s = Shard { index: i, count: 4 };
            union.extend(jobs(&p, &config(), &library(), now, Some(s)).expect("shard"));
        }
        union.sort();
        assert_eq!(union, all);
    }

    #[test]
    fn a_pick_is_the_same_draw_in_every_process_and_changes_with_the_moment() {
        let p = plan(vec![t("sim", &[])], Some(1));
        let draws: BTreeSet<String> = (0..20)
            .map(|d| {
                let now = (chrono::DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z")
                    .expect("time")
                    .with_timezone(&Utc)
                    + chrono::Duration::days(7 * d))
                .to_rfc3339();
                let first = jobs(&p, &config(), &library(), &now, None).expect("jobs");
                let again = jobs(&p, &config(), &library(), &now, None).expect("jobs");
                assert_eq!(first, again);
                assert_eq!(first.len(), 1);
                first[0].scenario.clone()
            })
            .collect();
        assert!(
            draws.len() > 1,
            "different moments draw differently: {draws:?}"
        );
    }

    #[test]
    fn unknown_ids_and_tags_are_errors_that_suggest() {
        let now = "now";
        let mut p = plan(vec![t("sim", &[])], None);
        p.scenarios = vec!["bb".into()];
        let e = jobs(&p, &config(), &library(), now, None).expect_err("unknown");
        assert!(e.contains("`bb`") && e.contains("did you mean `b`"), "{e}");
        p.scenarios.clear();
        p.tags = vec!["nope".into()];
        assert!(jobs(&p, &config(), &library(), now, None).is_err());
    }

    #[test]
    fn shards_split_by_account_and_say_when_some_would_idle() {
        let now = "2026-12-01T09:00:00+00:00";
        let mut cfg = config();
        let mut second = cfg.targets[0].clone();
        second.name = "acct2".into();
        let mut third = cfg.targets[0].clone();
        third.name = "acct3".into();
        cfg.targets.extend([second, third]);
        let p = plan(vec![t("acct", &[]), t("acct2", &[]), t("acct3", &[])], None);
        let all = jobs(&p, &cfg, &library(), now, None).expect("jobs");
        assert_eq!(all.len(), 3 * 3 * 2, "3 scenarios × 3 accounts × 2 regions");
        let mut union = Vec::new();
        let mut owners = BTreeMap::new();
        for i in 1..=3 {
            let s = Shard { index: i, count: 3 };
            let mine = jobs(&p, &cfg, &library(), now, Some(s)).expect("shard");
            let targets: BTreeSet<&str> = mine.iter().map(|j| j.target.as_str()).collect();
            assert_eq!(targets.len(), 1, "one account a shard: {targets:?}");
            for t in targets {
                assert!(
                    owners.insert(t.to_owned(), i).is_none(),
                    "{t} in two shards"
                );
            }
            union.extend(mine);
        }
        union.sort();
        assert_eq!(union, all);
        assert_eq!(idle_shards(&p, 3), None);
        let two = plan(vec![t("acct", &[]), t("acct2", &[])], None);
        let said = idle_shards(&two, 3).expect("an idle shard");
        assert!(said.contains("2 account(s) for 3 shards"), "{said}");
        let idle = jobs(
            &two,
            &cfg,
            &library(),
            now,
            Some(Shard { index: 3, count: 3 }),
        );
        assert_eq!(idle.expect("jobs"), Vec::new());
    }

    #[test]
    fn shards_parse_and_refuse_nonsense() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "x", "1/", "/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_shard_from_a_zero_based_index_in_the_environment() {
        const VAR: &str = "JOB_COMPLETION_INDEX";
        let from = |v: Option<&str>, n| Shard::from_env_index(VAR, v, n);
        assert_eq!(from(Some("0"), 3), Ok(Some(Shard { index: 1, count: 3 })));
        assert_eq!(
            from(Some(" 2\n"), 3),
            Ok(Some(Shard { index: 3, count: 3 }))
        );
        // One shard is the whole execution, with or without the variable.
        assert_eq!(from(None, 1), Ok(None));
        assert_eq!(from(Some("0"), 1), Ok(None));
        assert_eq!(
            from(None, 3),
            Err(
                "JOB_COMPLETION_INDEX is not set: the scheduler sets it to this process's \
                 index, 0 to 2 for the plan's 3 shards"
                    .to_owned()
            )
        );
        assert_eq!(
            from(Some("one"), 3),
            Err("JOB_COMPLETION_INDEX is `one`, not a whole number from 0 to 2".to_owned())
        );
        assert!(from(Some("-1"), 3).is_err_and(|e| e.contains("not a whole number")));
        assert_eq!(
            from(Some("3"), 3),
            Err("JOB_COMPLETION_INDEX is 3, but the plan has 3 shards (0 to 2)".to_owned())
        );
        assert_eq!(
            from(Some("1"), 1),
            Err("JOB_COMPLETION_INDEX is 1, but the plan has 1 shard (0 to 0)".to_owned())
        );
        assert!(from(Some("0"), 0).is_err());
    }

    #[test]
    fn a_moment_is_claimed_under_a_lock_that_one_holder_has_at_a_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = StateDir::new(dir.path());
        let first = state.lock("p", None).expect("free");
        assert!(state.lock("p", None).is_none(), "held");
        assert!(
            state
                .lock("p", Some(Shard { index: 1, count: 2 }))
                .is_some(),
            "per shard"
        );
        let m: DateTime<Utc> = "2026-12-01T09:00:00Z".parse().expect("time");
        assert_eq!(state.last("p", None), None);
        state.record("p", None, m).expect("record");
        assert_eq!(state.last("p", None), Some(m));
        drop(first);
        assert!(state.lock("p", None).is_some(), "released");
    }
}
