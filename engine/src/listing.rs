//! The library as a reader browses it: for each scenario, its ATT&CK techniques with
//! their names and tactics, the services its steps use, the detections it expects, the
//! containment it asks for, what it creates and what it costs on AWS. `gameday list`
//! filters these entries ([`Filter`]) and renders them as a table, JSON lines, or the
//! Markdown catalogue committed as `docs/library.md` ([`markdown`]).
//!
//! Everything comes from the scenario files and the registries: the step kinds' specs say
//! what a step creates, `attack.yaml` names techniques and tactics, and `costs.yaml` says
//! what each step kind is billed for.

use crate::attack::Attack;
use crate::diag::suggest;
use crate::scenario::Scenario;
use crate::{detectors, steps};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::OnceLock;

/// The command that writes `docs/library.md`; the file and its test name it.
pub const GENERATE: &str = "gameday list --format markdown > docs/library.md";

/// A technique a scenario names, as ATT&CK knows it.
#[derive(Debug, Clone, Serialize)]
pub struct TechniqueRef {
    /// The id the scenario writes.
    pub id: String,
    /// The id the ATT&CK data uses: the id itself, or the one that replaced it.
    pub current: String,
    /// The full name; empty when the data does not know the id.
    pub name: String,
    /// Keys of its tactics, in matrix order.
    pub tactics: Vec<String>,
}

/// One detection a scenario expects.
#[derive(Debug, Clone, Serialize)]
pub struct DetectionRef {
    /// Its id.
    pub id: String,
    /// The detection source.
    pub source: String,
    /// What it must raise: a finding type, an alarm, or the source's inputs.
    pub what: String,
    /// Its deadline after T0, as written (`15m`).
    pub within: String,
}

/// One containment a scenario asks for.
#[derive(Debug, Clone, Serialize)]
pub struct ContainmentRef {
    /// Its id.
    pub id: String,
    /// The containment check.
    pub check: String,
    /// The value the check must report.
    pub expect: String,
    /// Its deadline after the detection.
    pub within: String,
}

/// What a step kind costs on AWS.
#[derive(Debug, Clone, Serialize)]
pub struct CostRef {
    /// The step kind.
    pub action: String,
    /// What is billed; "cost not recorded" when `costs.yaml` does not say.
    pub cost: String,
}

/// A scenario as the catalogue shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// The scenario id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its summary.
    pub summary: String,
    /// Its severity.
    pub severity: String,
    /// Its tags.
    pub tags: Vec<String>,
    /// Its runbook.
    pub runbook: Option<String>,
    /// Its ATT&CK techniques.
    pub techniques: Vec<TechniqueRef>,
    /// The services its setup and attack steps call (`iam`, `s3`, `ec2`…).
    pub services: Vec<String>,
    /// The detections it expects.
    pub detections: Vec<DetectionRef>,
    /// The containment it asks for.
    pub containment: Vec<ContainmentRef>,
    /// The kinds of resource its steps create.
    pub creates: Vec<String>,
    /// What its step kinds cost on AWS, one a step kind.
    pub costs: Vec<CostRef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CostEntry {
    action: String,
    cost: String,
}

/// `costs.yaml`: step kind → what it is billed for.
fn costs() -> &'static BTreeMap<String, String> {
    static COSTS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    COSTS.get_or_init(|| {
        serde_saphyr::from_str::<Vec<CostEntry>>(include_str!("costs.yaml"))
            .unwrap_or_default()
            .into_iter()
            .map(|c| (c.action, c.cost))
            .collect()
    })
}

/// The step kinds `costs.yaml` names, for its test.
pub fn costed_actions() -> Vec<String> {
    costs().keys().cloned().collect()
}

/// Pseudo step kinds that call no service of their own.
const NOT_SERVICES: [&str; 2] = ["api", "wait"];

/// The service of an action or call: its prefix (`iam` of `iam.create_user`).
fn service_of(action: &str) -> Option<&str> {
    let s = action.split('.').next().unwrap_or(action);
    (!s.is_empty() && !NOT_SERVICES.contains(&s)).then_some(s)
}

impl Entry {
    /// The catalogue entry of `s`.
    pub fn of(s: &Scenario, attack: &Attack) -> Entry {
        let steps: Vec<_> = s.setup.iter().chain(&s.attack).collect();
        let mut services = BTreeSet::new();
        let mut creates = BTreeSet::new();
        let mut actions = BTreeSet::new();
        for st in &steps {
            services.extend(service_of(&st.action).map(str::to_owned));
            // The calls made with stolen credentials name their services too.
            if let Some(calls) = st.with.get("calls").and_then(|c| c.as_array()) {
                let named = calls
                    .iter()
                    .filter_map(|c| c.as_str())
                    .filter_map(service_of);
                services.extend(named.map(str::to_owned));
            }
            if let Some(c) = steps::find(&st.action).and_then(|k| k.spec().creates) {
                creates.insert(c.kind.as_str().to_owned());
            }
            actions.insert(st.action.clone());
        }
        let costs = actions
            .into_iter()
            .map(|a| CostRef {
                cost: costs()
                    .get(&a)
                    .cloned()
                    .unwrap_or_else(|| "cost not recorded".to_owned()),
                action: a,
            })
            .collect();
        Entry {
            id: s.id.clone(),
            title: s.title.clone(),
            summary: s.summary.trim().to_owned(),
            severity: s.severity.as_str().to_owned(),
            tags: s.tags.clone(),
            runbook: s.runbook.clone(),
            techniques: s.mitre.iter().map(|m| technique(m, attack)).collect(),
            services: services.into_iter().collect(),
            detections: s.detect.iter().map(detection).collect(),
            containment: s.respond.iter().map(containment).collect(),
            creates: creates.into_iter().collect(),
            costs,
        }
    }

    /// The keys of the tactics its techniques serve.
    pub fn tactics(&self) -> BTreeSet<&str> {
        self.techniques
            .iter()
            .flat_map(|t| t.tactics.iter().map(String::as_str))
            .collect()
    }
}

fn technique(id: &str, attack: &Attack) -> TechniqueRef {
    let current = attack.current_id(id);
    let known = attack.find(&current);
    TechniqueRef {
        id: id.trim().to_owned(),
        name: known.map(|t| t.full_name.clone()).unwrap_or_default(),
        tactics: known.map(|t| t.tactics.clone()).unwrap_or_default(),
        current,
    }
}

fn detection(d: &crate::scenario::Detect) -> DetectionRef {
    let what = match (&d.finding_type, &d.alarm) {
        (Some(t), _) if d.sample => format!("sample finding `{t}` (a drill)"),
        (Some(t), _) => format!("finding `{t}`"),
        (None, Some(a)) => format!("alarm `{a}`"),
        (None, None) => {
            let inputs: Vec<String> = d
                .with
                .iter()
                .map(|(k, v)| match v.as_str() {
                    Some(s) => format!("{k}: `{s}`"),
                    None => format!("{k}: `{v}`"),
                })
                .collect();
            inputs.join(", ")
        }
    };
    DetectionRef {
        id: d.id.clone(),
        source: d.source.as_str().to_owned(),
        what,
        within: d.within.to_string(),
    }
}

fn containment(r: &crate::scenario::Respond) -> ContainmentRef {
    ContainmentRef {
        id: r.id.clone(),
        check: r.check.clone(),
        expect: match r.expect.as_str() {
            Some(s) => s.to_owned(),
            None => r.expect.to_string(),
        },
        within: r.within.to_string(),
    }
}

/// What `gameday list` keeps: every filter given must hold.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    tactic: Option<String>,
    tag: Option<String>,
    service: Option<String>,
    source: Option<String>,
}

impl Filter {
    /// The filter of `gameday list`'s flags. A tactic is an ATT&CK key or id
    /// (`defense-impairment`, `TA0112`) of `attack`; a source a detector of the
    /// registry. An unknown one is an error naming the flag, with the nearest name.
    pub fn new(
        attack: &Attack,
        tactic: Option<&str>,
        tag: Option<&str>,
        service: Option<&str>,
        source: Option<&str>,
    ) -> Result<Filter, String> {
        let tactic = match tactic {
            None => None,
            Some(t) => {
                let found = attack.tactics.iter().find(|x| {
                    x.key.eq_ignore_ascii_case(t.trim()) || x.id.eq_ignore_ascii_case(t.trim())
                });
                match found {
                    Some(x) => Some(x.key.clone()),
                    None => {
                        let keys = attack.tactics.iter().map(|x| x.key.as_str());
                        return Err(format!(
                            "--tactic `{t}`: ATT&CK v{} has no such tactic; {}",
                            attack.version,
                            suggest(&t.trim().to_ascii_lowercase(), keys)
                        ));
                    }
                }
            }
        };
        if let Some(s) = source
            && detectors::find(s).is_none()
        {
            return Err(format!(
                "--source `{s}`: no such detection source; {}",
                suggest(s, detectors::names())
            ));
        }
        let lower = |v: Option<&str>| v.map(|s| s.trim().to_ascii_lowercase());
        Ok(Filter {
            tactic,
            tag: tag.map(|s| s.trim().to_owned()),
            service: lower(service),
            source: source.map(str::to_owned),
        })
    }

    /// True when `e` passes every filter given.
    pub fn keeps(&self, e: &Entry) -> bool {
        self.tactic
            .as_deref()
            .is_none_or(|t| e.tactics().contains(t))
            && self
                .tag
                .as_deref()
                .is_none_or(|t| e.tags.iter().any(|x| x == t))
            && self
                .service
                .as_deref()
                .is_none_or(|s| e.services.iter().any(|x| x == s))
            && self
                .source
                .as_deref()
                .is_none_or(|s| e.detections.iter().any(|d| d.source == s))
    }
}

/// The Markdown catalogue of `entries`: an index, then one section a scenario.
pub fn markdown(entries: &[Entry], attack: &Attack) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# The scenario library\n");
    let _ = writeln!(
        o,
        "Generated from `scenarios/*.yaml` by `{GENERATE}`: edit the scenarios, not this \
         file. ATT&CK ids and tactics are those of ATT&CK v{} (`engine/src/attack.yaml`); \
         what a step kind costs on AWS comes from `engine/src/costs.yaml`.\n",
        attack.version
    );
    let _ = writeln!(o, "{} scenario(s).\n", entries.len());
    let _ = writeln!(o, "| scenario | severity | tactics | detected by | title |");
    let _ = writeln!(o, "|---|---|---|---|---|");
    for e in entries {
        let sources: BTreeSet<&str> = e.detections.iter().map(|d| d.source.as_str()).collect();
        let _ = writeln!(
            o,
            "| [{id}](#{id}) | {} | {} | {} | {} |",
            e.severity,
            tactic_names(e, attack).join(", "),
            sources.into_iter().collect::<Vec<_>>().join(", "),
            cell(&e.title),
            id = e.id,
        );
    }
    for e in entries {
        section(&mut o, e, attack);
    }
    o
}

fn tactic_names(e: &Entry, attack: &Attack) -> Vec<String> {
    let mine = e.tactics();
    attack
        .tactics
        .iter()
        .filter(|t| mine.contains(t.key.as_str()))
        .map(|t| t.name.clone())
        .collect()
}

/// Text for a table cell: no pipe ends it early.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn section(o: &mut String, e: &Entry, attack: &Attack) {
    let _ = writeln!(o, "\n## {}\n", e.id);
    let _ = writeln!(o, "**{}**\n", e.title);
    if !e.summary.is_empty() {
        let _ = writeln!(
            o,
            "{}\n",
            e.summary.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }
    let _ = write!(o, "- **Severity**: {}", e.severity);
    if let Some(r) = &e.runbook {
        let _ = write!(o, " · **Runbook**: `{r}`");
    }
    if !e.tags.is_empty() {
        let _ = write!(o, " · **Tags**: {}", e.tags.join(", "));
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "- **Services**: {}", none_or(&e.services.join(", ")));
    let _ = writeln!(o, "- **ATT&CK v{}**:", attack.version);
    for t in &e.techniques {
        let tactics: Vec<String> = attack
            .tactics
            .iter()
            .filter(|x| t.tactics.contains(&x.key))
            .map(|x| x.name.clone())
            .collect();
        let _ = match (t.name.is_empty(), t.id == t.current) {
            (true, _) => writeln!(o, "  - {} (not in the ATT&CK data)", t.id),
            (false, true) => writeln!(o, "  - {} {} ({})", t.id, t.name, tactics.join(", ")),
            (false, false) => writeln!(
                o,
                "  - {} (now {}) {} ({})",
                t.id,
                t.current,
                t.name,
                tactics.join(", ")
            ),
        };
    }
    let _ = writeln!(o, "- **Detections expected**:");
    for d in &e.detections {
        let _ = writeln!(
            o,
            "  - `{}` ({}): {}, within {}",
            d.id, d.source, d.what, d.within
        );
    }
    let _ = writeln!(o, "- **Containment asked for**:");
    for c in &e.containment {
        let _ = writeln!(
            o,
            "  - `{}`: `{}` is `{}` within {}",
            c.id, c.check, c.expect, c.within
        );
    }
    let _ = writeln!(o, "- **Creates**: {}", none_or(&e.creates.join(", ")));
    let _ = writeln!(o, "- **Cost on AWS**:");
    for c in &e.costs {
        let _ = writeln!(o, "  - `{}`: {}", c.action, c.cost);
    }
}

fn none_or(s: &str) -> &str {
    if s.is_empty() { "nothing" } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attack() -> &'static Attack {
        match Attack::builtin() {
            Ok(a) => a,
            Err(e) => panic!("{e}"),
        }
    }

    fn scenario(yaml: &str) -> Scenario {
        match serde_saphyr::from_str(yaml) {
            Ok(s) => s,
            Err(e) => panic!("{e}"),
        }
    }

    const SC: &str = r#"
id: t
title: A test
mitre: [T1562.008, T1078.004, T9999]
severity: high
tags: [logging]
setup:
  - { id: u, action: iam.create_user, with: { user_name: u } }
  - { id: i, action: ec2.run_instance, with: { name: i } }
attack:
  - id: recon
    action: api.call_as
    with: { credentials: x, calls: [s3.list_buckets, iam.list_users] }
  - { id: w, action: wait, with: { duration: 1m } }
detect:
  - { id: gd, source: guardduty, finding_type: "Stealth:IAMUser/CloudTrailLoggingDisabled", within: 15m }
  - { id: cw, source: cloudwatch, alarm: cis-cloudtrail-changes, within: 20m }
respond:
  - { id: off, check: iam.access_key_status, with: {}, expect: Inactive, within: 30m }
"#;

    #[test]
    fn an_entry_says_what_a_scenario_uses_creates_and_costs() {
        let e = Entry::of(&scenario(SC), attack());
        assert_eq!(
            e.services,
            ["ec2", "iam", "s3"],
            "api and wait are not services"
        );
        assert_eq!(e.creates, ["ec2 instance", "iam user"]);
        let moved = &e.techniques[0];
        assert_eq!(
            (moved.id.as_str(), moved.current.as_str()),
            ("T1562.008", "T1685.002")
        );
        assert_eq!(moved.tactics, ["defense-impairment"]);
        assert!(
            e.techniques[2].name.is_empty(),
            "T9999 is unknown, and kept"
        );
        assert_eq!(
            e.detections[0].what,
            "finding `Stealth:IAMUser/CloudTrailLoggingDisabled`"
        );
        assert_eq!(e.detections[1].what, "alarm `cis-cloudtrail-changes`");
        assert_eq!(e.containment[0].expect, "Inactive");
        let cost = |a: &str| {
            e.costs
                .iter()
                .find(|c| c.action == a)
                .map(|c| c.cost.clone())
        };
        assert!(cost("ec2.run_instance").is_some_and(|c| c.contains("Instance hours")));
        assert!(cost("iam.create_user").is_some_and(|c| c.contains("IAM is free")));
    }

    #[test]
    fn filters_and_together_and_unknown_names_are_errors_naming_the_flag() {
        let a = attack();
        let e = Entry::of(&scenario(SC), a);
        let keeps = |tactic, tag, service, source| {
            Filter::new(a, tactic, tag, service, source).map(|f| f.keeps(&e))
        };
        assert_eq!(
            keeps(Some("defense-impairment"), None, None, None),
            Ok(true)
        );
        assert_eq!(
            keeps(Some("TA0112"), Some("logging"), Some("S3"), None),
            Ok(true)
        );
        assert_eq!(keeps(Some("impact"), None, None, None), Ok(false));
        assert_eq!(
            keeps(None, Some("logging"), Some("ec2"), Some("guardduty")),
            Ok(true)
        );
        assert_eq!(
            keeps(None, Some("logging"), None, Some("securityhub")),
            Ok(false)
        );
        assert_eq!(keeps(None, Some("nope"), None, None), Ok(false));
        let e = keeps(Some("defense-impairmnt"), None, None, None).expect_err("unknown");
        assert_eq!(
            e,
            "--tactic `defense-impairmnt`: ATT&CK v19 has no such tactic; did you mean \
             `defense-impairment`?"
        );
        let e = keeps(None, None, None, Some("gaurdduty")).expect_err("unknown");
        assert_eq!(
            e,
            "--source `gaurdduty`: no such detection source; did you mean `guardduty`?"
        );
    }

    #[test]
    fn every_costed_action_is_a_step_kind() {
        for a in costed_actions() {
            assert!(
                steps::find(&a).is_some(),
                "costs.yaml names `{a}`, no step kind"
            );
        }
        assert!(costed_actions().len() >= 40, "costs.yaml did not parse");
    }
}
