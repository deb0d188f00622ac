//! Detection: the audit log, the scheduling of findings and alarm transitions the model
//! draws, and the GuardDuty and CloudWatch views of them as of the clock's `now()`.

use super::model::{DetectionModel, Event, FindingRule};
use super::{Audit, Call, Caller, SimAccount, State, TruthEvent, error};
use crate::duration::Duration;
use crate::sandbox::{
    Alarm, AlarmState, AlarmTransition, CloudWatch, ErrorKind, Finding, FindingResource, GuardDuty,
    Result, Tags,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// A GuardDuty threat intel set (activated).
#[derive(Debug, Clone)]
pub(super) struct ThreatSet {
    pub name: String,
    pub ips: Vec<IpNet>,
    pub tags: Tags,
}

/// A finding as stored: created at `finding.created_at`, with later occurrences that only
/// move its updatedAt once the clock reaches them.
#[derive(Debug, Clone)]
pub(super) struct StoredFinding {
    pub finding: Finding,
    pub later: Vec<DateTime<Utc>>,
}

impl StoredFinding {
    /// The finding as GuardDuty shows it at `now`.
    fn at(&self, now: DateTime<Utc>) -> Finding {
        let mut f = self.finding.clone();
        f.updated_at = self
            .later
            .iter()
            .copied()
            .filter(|t| *t <= now)
            .fold(f.updated_at, DateTime::max);
        f
    }
}

/// An interval an alarm spends in ALARM.
#[derive(Debug, Clone)]
pub(super) struct Breach {
    /// The transition into ALARM.
    pub start: DateTime<Utc>,
    /// The transition back to OK.
    pub end: DateTime<Utc>,
    /// The event whose datapoint opened it.
    pub cause: Cause,
}

/// The event behind a scheduled detection.
#[derive(Debug, Clone)]
pub(super) struct Cause {
    pub seq: u64,
    pub event: String,
    pub act_at: DateTime<Utc>,
}

fn later(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t + chrono::Duration::milliseconds(i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2))
}

/// `n` random lowercase hex digits.
pub(super) fn hex(rng: &mut ChaCha8Rng, n: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    (0..n)
        .map(|_| HEX[rng.random_range(0..16usize)] as char)
        .collect()
}

impl State {
    /// Writes `call` to the audit log at `now` and schedules every detection it triggers.
    pub(super) fn record(
        &mut self,
        model: &DetectionModel,
        now: DateTime<Utc>,
        call: Call<'_>,
        caller: Option<Caller>,
    ) {
        let event = Event {
            name: call.name,
            user_agent_lower: caller.as_ref().map(|c| c.user_agent_lower.as_str()),
            flags: call.flags,
            domain: call.domain.as_deref(),
        };
        for rule in &model.findings {
            if rule.on.matches(&event)
                && let Some(latency) = rule.chance.draw(&mut self.draws)
            {
                self.schedule_finding(rule, now, later(now, latency), &call, caller.as_ref());
            }
        }
        for (i, rule) in model.alarms.iter().enumerate() {
            if rule.on.matches(&event)
                && let Some(latency) = rule.chance.draw(&mut self.draws)
            {
                self.seq += 1;
                let start = later(now, latency);
                let cause = Cause {
                    seq: self.seq,
                    event: call.name.to_owned(),
                    act_at: now,
                };
                insert_breach(&mut self.alarms[i], start, later(start, rule.period), cause);
            }
        }
        if call.domain.is_some() {
            // A DNS lookup is in the resolver's log, not CloudTrail's.
            return;
        }
        self.audit.push(Audit {
            event: crate::sandbox::AuditEvent {
                name: call.name.to_owned(),
                at: now,
                resources: call.resources,
            },
            caller,
            flags: call.flags,
        });
    }

    fn schedule_finding(
        &mut self,
        rule: &FindingRule,
        now: DateTime<Utc>,
        at: DateTime<Utc>,
        call: &Call<'_>,
        caller: Option<&Caller>,
    ) {
        // GuardDuty aggregates repeats of a finding about the same resource into the first.
        if let Some(existing) = self.findings.iter_mut().find(|f| {
            !f.finding.sample
                && f.finding.finding_type == rule.finding_type
                && f.finding.resource == call.subject
        }) {
            existing.later.push(at);
            return;
        }
        self.seq += 1;
        let title = render_title(&rule.title, |key| match key {
            "event" => Some(call.name),
            "source_ip" => caller.map(|c| c.source_ip.as_str()),
            "user_agent" => caller.map(|c| c.user_agent.as_str()),
            "domain" => call.domain.as_deref(),
            other => call.subject.get(other),
        });
        let finding = Finding {
            id: hex(&mut self.draws, 32),
            finding_type: rule.finding_type.clone(),
            created_at: at,
            updated_at: at,
            title,
            severity: rule.severity,
            resource: call.subject.clone(),
            user_agent: caller.map(|c| c.user_agent.clone()),
            sample: false,
        };
        self.truth.push((
            self.seq,
            TruthEvent {
                source: crate::scenario::Source::GUARDDUTY,
                name: rule.finding_type.clone(),
                resource: call.subject.clone(),
                caused_by: call.name.to_owned(),
                act_at: now,
                detected_at: at,
            },
        ));
        self.findings.push(StoredFinding {
            finding,
            later: Vec::new(),
        });
    }

    /// Whether `ip` is on an active threat intel set.
    pub(super) fn threat_listed(&self, ip: &str) -> bool {
        let Some(ip) = IpNet::parse(ip) else {
            return false;
        };
        self.threat_sets
            .values()
            .any(|s| s.ips.iter().any(|net| net.contains(&ip)))
    }
}

/// Adds the ALARM interval `[start, end)` to `breaches` (sorted, disjoint), merging the
/// intervals it overlaps: a datapoint while in ALARM keeps the alarm there longer rather
/// than making a new transition. A merged interval keeps the cause that opened it first.
fn insert_breach(
    breaches: &mut Vec<Breach>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    cause: Cause,
) {
    let mut merged = Breach { start, end, cause };
    breaches.retain(|b| {
        if b.start < merged.end && merged.start < b.end {
            if b.start < merged.start || (b.start == merged.start && b.cause.seq < merged.cause.seq)
            {
                merged.start = b.start;
                merged.cause = b.cause.clone();
            }
            merged.end = merged.end.max(b.end);
            false
        } else {
            true
        }
    });
    let at = breaches.partition_point(|b| b.start < merged.start);
    breaches.insert(at, merged);
}

/// Fills `{placeholder}`s; a value the event lacks reads `unknown`.
fn render_title<'a>(template: &str, value: impl Fn(&str) -> Option<&'a str>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                out.push_str(value(&after[..close]).unwrap_or("unknown"));
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// An IPv4 or IPv6 address or CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct IpNet {
    bits: u128,
    prefix: u32,
    width: u32,
}

impl IpNet {
    /// Parses `198.51.100.23`, `198.51.100.0/24`, `2001:db8::/32`.
    pub(super) fn parse(s: &str) -> Option<IpNet> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u32>().ok()?)),
            None => (s, None),
        };
        let (bits, width) = match addr.parse::<std::net::IpAddr>().ok()? {
            std::net::IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
            std::net::IpAddr::V6(v6) => (u128::from(v6), 128),
        };
        let prefix = prefix.unwrap_or(width);
        (prefix <= width).then_some(IpNet {
            bits,
            prefix,
            width,
        })
    }

    pub(super) fn contains(&self, ip: &IpNet) -> bool {
        let shift = self.width - self.prefix;
        self.width == ip.width
            && self.bits.checked_shr(shift).unwrap_or(0) == ip.bits.checked_shr(shift).unwrap_or(0)
    }
}

#[async_trait]
impl GuardDuty for SimAccount {
    async fn create_sample_findings(&self, finding_types: &[String]) -> Result<()> {
        const OP: &str = "guardduty:CreateSampleFindings";
        if let Some(bad) = finding_types.iter().find(|t| t.trim().is_empty()) {
            return Err(error(
                ErrorKind::InvalidInput,
                OP,
                "BadRequestException",
                format!("`{bad}` is not a finding type"),
            ));
        }
        let now = self.clock.now();
        let mut st = self.lock();
        for t in finding_types {
            let rule = self.model.findings.iter().find(|r| &r.finding_type == t);
            let title = match rule {
                Some(r) => render_title(&r.title, |_| None),
                None => format!("Sample finding of type {t}."),
            };
            let finding = Finding {
                id: hex(&mut st.draws, 32),
                finding_type: t.clone(),
                created_at: now,
                updated_at: now,
                title: format!("[SAMPLE] {title}"),
                severity: rule.map_or(5.0, |r| r.severity),
                resource: FindingResource::default(),
                user_agent: None,
                sample: true,
            };
            st.findings.push(StoredFinding {
                finding,
                later: Vec::new(),
            });
        }
        let resources: Vec<&str> = finding_types.iter().map(String::as_str).collect();
        self.record(&mut st, Call::new(OP, &resources));
        Ok(())
    }

    async fn create_threat_intel_set(
        &self,
        name: &str,
        ips: &[String],
        tags: &Tags,
    ) -> Result<String> {
        const OP: &str = "guardduty:CreateThreatIntelSet";
        if name.trim().is_empty() || name.len() > 300 {
            return Err(error(
                ErrorKind::InvalidInput,
                OP,
                "BadRequestException",
                "the name must be 1 to 300 characters",
            ));
        }
        let mut nets = Vec::with_capacity(ips.len());
        for ip in ips {
            match IpNet::parse(ip) {
                Some(net) => nets.push(net),
                None => {
                    return Err(error(
                        ErrorKind::InvalidInput,
                        OP,
                        "BadRequestException",
                        format!("`{ip}` is not an IP address or CIDR block"),
                    ));
                }
            }
        }
        let mut st = self.lock();
        if st.threat_sets.values().any(|s| s.name == name) {
            return Err(error(
                ErrorKind::AlreadyExists,
                OP,
                "BadRequestException",
                format!("a threat intel set named {name} already exists"),
            ));
        }
        let id = st.fresh_id("", 32, |st, id| st.threat_sets.contains_key(id));
        st.threat_sets.insert(
            id.clone(),
            ThreatSet {
                name: name.to_owned(),
                ips: nets,
                tags: tags.clone(),
            },
        );
        self.record(&mut st, Call::new(OP, &[&id, name]));
        Ok(id)
    }

    async fn delete_threat_intel_set(&self, id: &str) -> Result<()> {
        const OP: &str = "guardduty:DeleteThreatIntelSet";
        let mut st = self.lock();
        if st.threat_sets.remove(id).is_none() {
            return Err(error(
                ErrorKind::NotFound,
                OP,
                "BadRequestException",
                format!("the threat intel set {id} does not exist"),
            ));
        }
        self.record(&mut st, Call::new(OP, &[id]));
        Ok(())
    }

    async fn threat_intel_set_tags(&self, id: &str) -> Result<Tags> {
        let st = self.lock();
        st.threat_sets
            .get(id)
            .map(|s| s.tags.clone())
            .ok_or_else(|| {
                error(
                    ErrorKind::NotFound,
                    "guardduty:GetThreatIntelSet",
                    "BadRequestException",
                    format!("the threat intel set {id} does not exist"),
                )
            })
    }

    async fn threat_intel_set_named(&self, name: &str) -> Result<Option<String>> {
        let st = self.lock();
        Ok(st
            .threat_sets
            .iter()
            .find(|(_, s)| s.name == name)
            .map(|(id, _)| id.clone()))
    }

    async fn findings(&self, types: &[String], since: DateTime<Utc>) -> Result<Vec<Finding>> {
        let now = self.clock.now();
        let st = self.lock();
        Ok(st
            .findings
            .iter()
            .filter(|f| {
                f.finding.created_at <= now
                    && (types.is_empty() || types.contains(&f.finding.finding_type))
            })
            .map(|f| f.at(now))
            .filter(|f| f.updated_at >= since)
            .collect())
    }
}

#[async_trait]
impl CloudWatch for SimAccount {
    async fn describe_alarms(&self, names: &[String]) -> Result<Vec<Alarm>> {
        let now = self.clock.now();
        let st = self.lock();
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let Some(i) = self.model.alarm_index(name) else {
                continue;
            };
            let breaches = &st.alarms[i];
            let began = breaches.partition_point(|b| b.start <= now);
            let (state, updated_at) = match began.checked_sub(1).map(|j| &breaches[j]) {
                None => (AlarmState::Ok, self.clock.start_utc()),
                Some(b) if now < b.end => (AlarmState::Alarm, b.start),
                Some(b) => (AlarmState::Ok, b.end),
            };
            out.push(Alarm {
                name: name.clone(),
                state,
                updated_at,
            });
        }
        Ok(out)
    }

    /// Oldest first; an unknown alarm has no history (as AWS answers).
    async fn alarm_history(
        &self,
        name: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<AlarmTransition>> {
        let now = self.clock.now();
        let Some(i) = self.model.alarm_index(name) else {
            return Ok(Vec::new());
        };
        let st = self.lock();
        let mut out = Vec::new();
        for b in &st.alarms[i] {
            for (state, at) in [(AlarmState::Alarm, b.start), (AlarmState::Ok, b.end)] {
                if since <= at && at <= now {
                    out.push(AlarmTransition {
                        name: name.to_owned(),
                        state,
                        at,
                    });
                }
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl crate::poller::FindingSource for SimAccount {
    /// One ListFindings, and one GetFindings when some are new, as GuardDuty would be
    /// asked for a handful of findings.
    async fn findings_except(
        &self,
        types: &[String],
        since: DateTime<Utc>,
        known: &std::collections::BTreeSet<String>,
        gate: &crate::throttle::Gate,
    ) -> Result<Vec<Finding>> {
        gate.pass("guardduty:ListFindings").await;
        let mut found = GuardDuty::findings(self, types, since).await?;
        found.retain(|f| !known.contains(&f.id));
        if !found.is_empty() {
            gate.pass("guardduty:GetFindings").await;
        }
        Ok(found)
    }
}
