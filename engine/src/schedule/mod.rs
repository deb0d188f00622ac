//! When scheduled game days run: a plan's schedule, checked and compiled into the moments
//! it fires at, and exported to other schedulers ([`export`]).
//!
//! A schedule is either a cron expression or an *unannounced* window: once per day, week
//! or month, at a moment nobody knows in advance, inside given hours on given weekdays.
//! Both are read in an IANA time zone.
//!
//! # Daylight saving time
//!
//! Cron expressions are evaluated by the `croner` crate on the local wall clock:
//!
//! - **A local time that does not exist** (the clock springs forward over it): a pattern
//!   with a single second, minute and hour (`30 2 * * *`) fires at the first real moment
//!   after the gap (03:00:00 the new offset, in Europe/Berlin on 2026-03-29); any other
//!   pattern (`*/30 * * * *`, `30 1-3 * * *`, `30 2,14 * * *`) skips the missing times.
//! - **A local time that occurs twice** (the clock falls back over it) fires once, at its
//!   first occurrence, whatever the pattern. `croner` does that for single-time patterns
//!   itself; for other patterns it fires at both occurrences, and the second one is
//!   dropped here.
//!
//! Unannounced windows count whole local minutes: a minute that does not exist is not a
//! candidate, and a minute that occurs twice counts once, at its first occurrence.

pub mod cloud;
pub mod export;

use chrono::{
    DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc, Weekday,
};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

/// When a plan runs: a cron expression, or an unannounced moment inside a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    /// 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first); names
    /// (MON, JAN) and @daily-style nicknames allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// Once per period, at a moment nobody knows in advance, inside a window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unannounced: Option<Window>,
    /// IANA time zone the cron fields and the window are read in; default "UTC".
    #[serde(default = "default_timezone")]
    pub timezone: String,
}

fn default_timezone() -> String {
    "UTC".to_owned()
}

/// How often an unannounced schedule fires: once per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Once per calendar day.
    Day,
    /// Once per ISO week, Monday to Sunday.
    Week,
    /// Once per calendar month.
    Month,
}

impl Period {
    fn noun(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// The first day of the period that contains `date`.
    fn start_of(self, date: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => date,
            Period::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
            Period::Month => date - Days::new(u64::from(date.day0())),
        }
    }

    /// The first day of the period after the one starting at `start`.
    fn next(self, start: NaiveDate) -> Option<NaiveDate> {
        match self {
            Period::Day => start.checked_add_days(Days::new(1)),
            Period::Week => start.checked_add_days(Days::new(7)),
            Period::Month => start.checked_add_months(Months::new(1)),
        }
    }

    /// The first day of the period before the one starting at `start`.
    fn prev(self, start: NaiveDate) -> Option<NaiveDate> {
        match self {
            Period::Day => start.checked_sub_days(Days::new(1)),
            Period::Week => start.checked_sub_days(Days::new(7)),
            Period::Month => start.checked_sub_months(Months::new(1)),
        }
    }
}

/// A day of the week.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Day {
    /// Every day, Monday first.
    pub const ALL: [Day; 7] = [
        Day::Mon,
        Day::Tue,
        Day::Wed,
        Day::Thu,
        Day::Fri,
        Day::Sat,
        Day::Sun,
    ];

    /// The lowercase three-letter name, as in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Day::Mon => "mon",
            Day::Tue => "tue",
            Day::Wed => "wed",
            Day::Thu => "thu",
            Day::Fri => "fri",
            Day::Sat => "sat",
            Day::Sun => "sun",
        }
    }

    /// The same day in `chrono`.
    pub fn weekday(self) -> Weekday {
        match self {
            Day::Mon => Weekday::Mon,
            Day::Tue => Weekday::Tue,
            Day::Wed => Weekday::Wed,
            Day::Thu => Weekday::Thu,
            Day::Fri => Weekday::Fri,
            Day::Sat => Weekday::Sat,
            Day::Sun => Weekday::Sun,
        }
    }

    /// Monday 0 … Sunday 6.
    fn index(self) -> usize {
        self.weekday().num_days_from_monday() as usize
    }
}

fn default_days() -> Vec<Day> {
    vec![Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri]
}

/// Where an unannounced moment may fall.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Window {
    /// day | week | month: one moment per period (ISO weeks start on Monday).
    pub every: Period,
    /// Weekdays the moment may fall on; default monday..friday.
    #[serde(default = "default_days")]
    #[schemars(length(min = 1))]
    pub days: Vec<Day>,
    /// Start of the window, "HH:MM" local time (inclusive).
    #[schemars(regex(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub from: String,
    /// End of the window, "HH:MM" local time (exclusive); must be after `from`. "24:00" is
    /// the end of the day.
    #[schemars(regex(pattern = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"))]
    pub to: String,
}

/// A checked, compiled schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    tz: Tz,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    Cron { expr: String, cron: Box<Cron> },
    Unannounced(Unannounced),
}

/// A compiled window: minutes of the local day in `[from, to)`.
#[derive(Debug, Clone)]
struct Unannounced {
    every: Period,
    /// Indexed Monday 0 … Sunday 6.
    days: [bool; 7],
    from: u32,
    to: u32,
    seed: String,
}

/// The most periods `next_after` and `last_at_or_before` look through for an
/// unannounced moment.
const MAX_PERIODS: usize = 400;

/// The most repeated (fall-back) occurrences skipped in a row when looking for a cron
/// moment: enough for a two-hour fold at one-second resolution.
const MAX_REPEATS: usize = 10_000;

/// The nicknames a cron expression may be, with what they stand for.
pub(crate) const NICKNAMES: [(&str, &str); 6] = [
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * SUN"),
    ("@daily", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

/// `expr` with a nickname replaced by its fields, checked for 5 or 6 fields.
pub(crate) fn expand_cron(expr: &str) -> Result<String, String> {
    let expr = expr.trim();
    if expr.starts_with('@') {
        return NICKNAMES
            .iter()
            .find(|(nick, _)| nick.eq_ignore_ascii_case(expr))
            .map(|(_, fields)| (*fields).to_owned())
            .ok_or_else(|| {
                let known: Vec<&str> = NICKNAMES.iter().map(|(n, _)| *n).collect();
                format!(
                    "cron: unknown nickname `{expr}` (known: {})",
                    known.join(", ")
                )
            });
    }
    let fields = expr.split_whitespace().count();
    if fields != 5 && fields != 6 {
        return Err(format!(
            "cron: `{expr}` has {fields} field{}; expected 5 (minute hour day-of-month month \
             day-of-week) or 6 (seconds first)",
            if fields == 1 { "" } else { "s" }
        ));
    }
    Ok(expr.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Parses a time zone name, naming the field on failure.
fn parse_timezone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
        match crate::diag::closest(name, names) {
            Some(close) => {
                format!("timezone: unknown time zone `{name}` (did you mean `{close}`?)")
            }
            None => format!("timezone: unknown time zone `{name}`"),
        }
    })
}

/// Parses "HH:MM" into minutes of the day; `24:00` only when `end_of_day` is allowed.
fn parse_hhmm(field: &str, text: &str, end_of_day: bool) -> Result<u32, String> {
    let bad = || {
        format!(
            "unannounced.{field}: `{text}` is not a time of day; expected \"HH:MM\" from 00:00 \
             to {}",
            if end_of_day { "24:00" } else { "23:59" }
        )
    };
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if m > 59 || h > 24 || (h == 24 && (m != 0 || !end_of_day)) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// "HH:MM" for minutes of the day.
fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The days of `mask` (Monday first) as "mon–fri", "mon, wed, fri" or "any day".
fn describe_days(mask: &[bool; 7]) -> String {
    if mask.iter().all(|d| *d) {
        return "any day".to_owned();
    }
    runs(mask)
        .into_iter()
        .map(|(a, b)| match b - a {
            0 => Day::ALL[a].name().to_owned(),
            1 => format!("{}, {}", Day::ALL[a].name(), Day::ALL[b].name()),
            _ => format!("{}–{}", Day::ALL[a].name(), Day::ALL[b].name()),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The runs of consecutive set entries of `mask`, as inclusive index pairs.
pub(crate) fn runs(mask: &[bool]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, set) in mask.iter().copied().chain([false]).enumerate() {
        match (set, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i - 1));
                start = None;
            }
            _ => {}
        }
    }
    out
}

impl Schedule {
    /// Compiles `spec`; `seed` (the plan's name) makes the unannounced draws differ between
    /// plans but agree between processes and machines. Errors name the field:
    /// "cron: …", "timezone: unknown time zone `Mars/Olympus`", "unannounced.from: …",
    /// "exactly one of `cron` and `unannounced` …".
    pub fn new(spec: &ScheduleSpec, seed: &str) -> Result<Schedule, String> {
        let kind = match (&spec.cron, &spec.unannounced) {
            (Some(_), Some(_)) => {
                return Err(
                    "exactly one of `cron` and `unannounced` may be given, not both".to_owned(),
                );
            }
            (None, None) => {
                return Err("exactly one of `cron` and `unannounced` must be given".to_owned());
            }
            (Some(expr), None) => {
                let expanded = expand_cron(expr)?;
                let cron = CronParser::builder()
                    .seconds(Seconds::Optional)
                    .year(Year::Disallowed)
                    .build()
                    .parse(&expanded)
                    .map_err(|e| format!("cron: `{}`: {e}", expr.trim()))?;
                Kind::Cron {
                    expr: expr.trim().to_owned(),
                    cron: Box::new(cron),
                }
            }
            (None, Some(window)) => {
                let from = parse_hhmm("from", &window.from, false)?;
                let to = parse_hhmm("to", &window.to, true)?;
                if to <= from {
                    return Err(format!(
                        "unannounced.to: `{}` must be after unannounced.from `{}` (the window \
                         cannot cross midnight)",
                        window.to, window.from
                    ));
                }
                if window.days.is_empty() {
                    return Err("unannounced.days: name at least one day".to_owned());
                }
                let mut days = [false; 7];
                for d in &window.days {
                    days[d.index()] = true;
                }
                Kind::Unannounced(Unannounced {
                    every: window.every,
                    days,
                    from,
                    to,
                    seed: seed.to_owned(),
                })
            }
        };
        let tz = parse_timezone(&spec.timezone)?;
        let schedule = Schedule { tz, kind };
        if let Kind::Cron { expr, cron } = &schedule.kind {
            // A pattern such as `0 0 30 2 *` parses but never fires.
            let origin = DateTime::from_timestamp(946_684_800, 0).map(|t| t.with_timezone(&tz));
            if origin.is_some_and(|o| cron.find_next_occurrence(&o, false).is_err()) {
                return Err(format!("cron: `{expr}` never fires"));
            }
        }
        Ok(schedule)
    }

    /// The first moment strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match &self.kind {
            Kind::Cron { cron, .. } => {
                let mut from = t.with_timezone(&self.tz);
                for _ in 0..MAX_REPEATS {
                    let at = cron.find_next_occurrence(&from, false).ok()?;
                    if !self.is_repeat(&at) {
                        return Some(at.with_timezone(&Utc));
                    }
                    from = at;
                }
                None
            }
            Kind::Unannounced(u) => {
                let mut period = u.every.start_of(t.with_timezone(&self.tz).date_naive());
                for _ in 0..MAX_PERIODS {
                    if let Some(at) = self.moment_in(u, period)
                        && at > t
                    {
                        return Some(at);
                    }
                    period = u.every.next(period)?;
                }
                None
            }
        }
    }

    /// The last moment at or before `t` (a daemon's missed-run policy uses it).
    pub fn last_at_or_before(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match &self.kind {
            Kind::Cron { cron, .. } => {
                let mut from = t.with_timezone(&self.tz);
                let mut inclusive = true;
                for _ in 0..MAX_REPEATS {
                    let at = cron.find_previous_occurrence(&from, inclusive).ok()?;
                    if !self.is_repeat(&at) {
                        return Some(at.with_timezone(&Utc));
                    }
                    from = at;
                    inclusive = false;
                }
                None
            }
            Kind::Unannounced(u) => {
                let mut period = u.every.start_of(t.with_timezone(&self.tz).date_naive());
                for _ in 0..MAX_PERIODS {
                    if let Some(at) = self.moment_in(u, period)
                        && at <= t
                    {
                        return Some(at);
                    }
                    period = u.every.prev(period)?;
                }
                None
            }
        }
    }

    /// The next `n` moments after `t`.
    pub fn upcoming(&self, t: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        let mut out = Vec::with_capacity(n.min(1024));
        let mut at = t;
        while out.len() < n {
            match self.next_after(at) {
                Some(next) => {
                    out.push(next);
                    at = next;
                }
                None => break,
            }
        }
        out
    }

    /// One line for people: "0 10 * * TUE (Europe/Berlin)" or "once a week, at a random
    /// moment between 10:00 and 16:00 on mon–fri (Europe/Berlin)".
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Cron { expr, .. } => format!("{expr} ({})", self.tz.name()),
            Kind::Unannounced(u) => format!(
                "once a {}, at a random moment between {} and {} on {} ({})",
                u.every.noun(),
                hhmm(u.from),
                hhmm(u.to),
                describe_days(&u.days),
                self.tz.name()
            ),
        }
    }

    /// The time zone.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// Whether this is an unannounced schedule (one drawn moment per period) rather than a
    /// cron expression.
    pub fn is_unannounced(&self) -> bool {
        matches!(self.kind, Kind::Unannounced(_))
    }

    /// Whether `at` is the second occurrence of a local time that occurs twice.
    fn is_repeat(&self, at: &DateTime<Tz>) -> bool {
        matches!(
            self.tz.from_local_datetime(&at.naive_local()),
            LocalResult::Ambiguous(first, _) if first != *at
        )
    }

    /// The drawn moment of the period that starts on `start`, if it has any candidate
    /// minute.
    fn moment_in(&self, u: &Unannounced, start: NaiveDate) -> Option<DateTime<Utc>> {
        let end = u.every.next(start)?;
        let mut days = Vec::new();
        let mut total: u64 = 0;
        for date in start.iter_days().take_while(|d| *d < end) {
            if !u.days[date.weekday().num_days_from_monday() as usize] {
                continue;
            }
            let minutes = self.candidates(u, date);
            total += minutes.count();
            days.push((date, minutes));
        }
        if total == 0 {
            return None;
        }
        let mut k = draw(&u.seed, start, total);
        for (date, minutes) in days {
            let count = minutes.count();
            if k < count {
                return minutes.nth(self.tz, u, date, k);
            }
            k -= count;
        }
        None
    }

    /// The candidate minutes of the window on `date`.
    fn candidates(&self, u: &Unannounced, date: NaiveDate) -> DayMinutes {
        if self.is_regular(date) {
            DayMinutes::Regular(u64::from(u.to - u.from))
        } else {
            let list = (u.from..u.to)
                .filter_map(|m| self.tz.from_local_datetime(&at_minute(date, m)?).earliest())
                .map(|at| at.with_timezone(&Utc))
                .collect();
            DayMinutes::Irregular(list)
        }
    }

    /// Whether the UTC offset stays the same all through the local day `date`, so that
    /// every local minute of it occurs exactly once.
    fn is_regular(&self, date: NaiveDate) -> bool {
        let Some(midnight) = at_minute(date, 0) else {
            return false;
        };
        let LocalResult::Single(start) = self.tz.from_local_datetime(&midnight) else {
            return false;
        };
        let offset = start.offset().fix();
        (1..=24).all(|h| {
            let probe = start.naive_utc() + chrono::Duration::hours(h);
            self.tz.offset_from_utc_datetime(&probe).fix() == offset
        })
    }
}

/// The candidate minutes of one day.
enum DayMinutes {
    /// Every minute of the window exists once.
    Regular(u64),
    /// The day has a clock change: the minutes that exist, first occurrences only.
    Irregular(Vec<DateTime<Utc>>),
}

impl DayMinutes {
    fn count(&self) -> u64 {
        match self {
            DayMinutes::Regular(n) => *n,
            DayMinutes::Irregular(list) => list.len() as u64,
        }
    }

    fn nth(&self, tz: Tz, u: &Unannounced, date: NaiveDate, k: u64) -> Option<DateTime<Utc>> {
        match self {
            DayMinutes::Regular(_) => {
                let minute = u.from + u32::try_from(k).ok()?;
                tz.from_local_datetime(&at_minute(date, minute)?)
                    .earliest()
                    .map(|at| at.with_timezone(&Utc))
            }
            DayMinutes::Irregular(list) => list.get(usize::try_from(k).ok()?).copied(),
        }
    }
}

/// `date` at `minute` minutes past local midnight (`minute` < 1440).
fn at_minute(date: NaiveDate, minute: u32) -> Option<NaiveDateTime> {
    Some(date.and_time(NaiveTime::from_hms_opt(minute / 60, minute % 60, 0)?))
}

/// 64-bit FNV-1a, a hash that is the same in every build and on every machine.
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// 64-bit FNV-1a of `bytes`.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h = Fnv1a::new();
    h.write(bytes);
    h.0
}

/// A number in `0..n` drawn from a ChaCha8 stream keyed by `seed` and the period's first
/// day: the same in every process, different between seeds and periods.
fn draw(seed: &str, period: NaiveDate, n: u64) -> u64 {
    let date = period.format("%Y-%m-%d").to_string();
    let mut key = [0u8; 32];
    for (i, chunk) in key.chunks_exact_mut(8).enumerate() {
        let mut h = Fnv1a::new();
        h.write(b"gameday/unannounced");
        h.write(&[i as u8]);
        h.write(seed.as_bytes());
        h.write(&[0]);
        h.write(date.as_bytes());
        chunk.copy_from_slice(&h.0.to_le_bytes());
    }
    let mut rng = ChaCha8Rng::from_seed(key);
    // The high half of a 64×64-bit product: uniform up to a bias below n / 2^64.
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Timelike;
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("a UTC instant")
    }

    fn cron(expr: &str, tz: &str) -> Schedule {
        let spec = ScheduleSpec {
            cron: Some(expr.to_owned()),
            unannounced: None,
            timezone: tz.to_owned(),
        };
        Schedule::new(&spec, "plan").expect("a valid cron schedule")
    }

    fn window(every: Period, days: &[Day], from: &str, to: &str, tz: &str) -> ScheduleSpec {
        ScheduleSpec {
            cron: None,
            unannounced: Some(Window {
                every,
                days: days.to_vec(),
                from: from.to_owned(),
                to: to.to_owned(),
            }),
            timezone: tz.to_owned(),
        }
    }

    fn unannounced(spec: &ScheduleSpec, seed: &str) -> Schedule {
        Schedule::new(spec, seed).expect("a valid unannounced schedule")
    }

    fn error(spec: &ScheduleSpec) -> String {
        Schedule::new(spec, "plan").expect_err("an invalid schedule")
    }

    fn cron_error(expr: &str) -> String {
        error(&ScheduleSpec {
            cron: Some(expr.to_owned()),
            unannounced: None,
            timezone: "UTC".to_owned(),
        })
    }

    /// `next_after` from `from`, `n` times, as RFC 3339 UTC strings.
    fn walk(s: &Schedule, from: &str, n: usize) -> Vec<String> {
        s.upcoming(utc(from), n)
            .into_iter()
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .collect()
    }

    fn last(s: &Schedule, at: &str) -> String {
        s.last_at_or_before(utc(at))
            .expect("a moment before")
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    }

    // --- cron: daylight saving time -----------------------------------------------------

    #[test]
    fn berlin_spring_forward_fixed_time_fires_at_the_end_of_the_gap() {
        // 2026-03-29 02:00 CET → 03:00 CEST: 02:30 does not exist.
        let s = cron("30 2 * * *", "Europe/Berlin");
        assert_eq!(
            walk(&s, "2026-03-27T12:00:00Z", 3),
            [
                "2026-03-28T01:30:00Z", // 02:30 CET
                "2026-03-29T01:00:00Z", // 03:00 CEST, the first moment after the gap
                "2026-03-30T00:30:00Z", // 02:30 CEST
            ]
        );
        assert_eq!(last(&s, "2026-03-29T05:00:00Z"), "2026-03-29T01:00:00Z");
        assert_eq!(last(&s, "2026-03-29T01:00:00Z"), "2026-03-29T01:00:00Z");
        assert_eq!(last(&s, "2026-03-29T00:59:59Z"), "2026-03-28T01:30:00Z");
    }

    #[test]
    fn berlin_spring_forward_interval_patterns_skip_the_missing_times() {
        let s = cron("*/30 * * * *", "Europe/Berlin");
        assert_eq!(
            walk(&s, "2026-03-29T00:15:00Z", 3),
            [
                "2026-03-29T00:30:00Z", // 01:30 CET
                "2026-03-29T01:00:00Z", // 03:00 CEST; 02:00 and 02:30 do not exist
                "2026-03-29T01:30:00Z",
            ]
        );
        // Several hours make an interval pattern too: 02:30 is skipped, not moved.
        let s = cron("30 1-3 * * *", "Europe/Berlin");
        assert_eq!(
            walk(&s, "2026-03-28T22:00:00Z", 3),
            [
                "2026-03-29T00:30:00Z", // 01:30 CET
                "2026-03-29T01:30:00Z", // 03:30 CEST
                "2026-03-29T23:30:00Z", // 01:30 CEST the next day
            ]
        );
        assert_eq!(last(&s, "2026-03-29T01:29:59Z"), "2026-03-29T00:30:00Z");
        // So does a list of hours.
        let s = cron("30 2,14 * * *", "Europe/Berlin");
        assert_eq!(
            walk(&s, "2026-03-28T22:00:00Z", 2),
            ["2026-03-29T12:30:00Z", "2026-03-30T00:30:00Z"]
        );
    }

    #[test]
    fn berlin_fall_back_fires_once_at_the_first_occurrence() {
        // 2026-10-25 03:00 CEST → 02:00 CET: 02:00–02:59 happens twice.
        let s = cron("30 2 * * *", "Europe/Berlin");
        assert_eq!(
            walk(&s, "2026-10-24T12:00:00Z", 2),
            ["2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"]
        );
        // From between the two occurrences, the second is not a moment.
        assert_eq!(
            walk(&s, "2026-10-25T00:45:00Z", 1),
            ["2026-10-26T01:30:00Z"]
        );
        assert_eq!(last(&s, "2026-10-25T01:30:00Z"), "2026-10-25T00:30:00Z");
        assert_eq!(last(&s, "2026-10-25T12:00:00Z"), "2026-10-25T00:30:00Z");
    }

    #[test]
    fn berlin_fall_back_interval_patterns_fire_once_per_local_time() {
        let s = cron("*/30 * * * *", "Europe/Berlin");
        assert_eq!(
            walk(&s, "2026-10-24T23:45:00Z", 4),
            [
                "2026-10-25T00:00:00Z", // 02:00 CEST
                "2026-10-25T00:30:00Z", // 02:30 CEST
                // 01:00Z and 01:30Z are 02:00 and 02:30 CET again: skipped.
                "2026-10-25T02:00:00Z", // 03:00 CET
                "2026-10-25T02:30:00Z",
            ]
        );
        assert_eq!(last(&s, "2026-10-25T01:59:59Z"), "2026-10-25T00:30:00Z");
        // Hourly too.
        let s = cron("@hourly", "Europe/Berlin");
        assert_eq!(
            walk(&s, "2026-10-24T23:30:00Z", 3),
            [
                "2026-10-25T00:00:00Z",
                "2026-10-25T02:00:00Z",
                "2026-10-25T03:00:00Z"
            ]
        );
    }

    #[test]
    fn croner_alone_fires_interval_patterns_at_both_occurrences() {
        // What the fold filter exists for: croner itself repeats 02:00 and 02:30.
        let cron = CronParser::builder()
            .seconds(Seconds::Optional)
            .build()
            .parse("*/30 * * * *")
            .expect("a pattern");
        let start = utc("2026-10-25T00:15:00Z").with_timezone(&chrono_tz::Europe::Berlin);
        let raw: Vec<DateTime<Utc>> = cron
            .iter_after(start)
            .take(3)
            .map(|t| t.with_timezone(&Utc))
            .collect();
        assert_eq!(
            raw,
            [
                utc("2026-10-25T00:30:00Z"),
                utc("2026-10-25T01:00:00Z"),
                utc("2026-10-25T01:30:00Z")
            ]
        );
    }

    #[test]
    fn new_york_changes() {
        // 2026-03-08 02:00 EST → 03:00 EDT.
        let s = cron("30 2 * * *", "America/New_York");
        assert_eq!(
            walk(&s, "2026-03-07T12:00:00Z", 3),
            [
                "2026-03-08T07:00:00Z", // 03:00 EDT
                "2026-03-09T06:30:00Z",
                "2026-03-10T06:30:00Z"
            ]
        );
        assert_eq!(last(&s, "2026-03-08T12:00:00Z"), "2026-03-08T07:00:00Z");
        // 2026-11-01 02:00 EDT → 01:00 EST: 01:30 happens twice, fires once.
        let s = cron("30 1 * * *", "America/New_York");
        assert_eq!(
            walk(&s, "2026-10-31T12:00:00Z", 2),
            ["2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"]
        );
        assert_eq!(last(&s, "2026-11-01T06:45:00Z"), "2026-11-01T05:30:00Z");
        // Every 15 minutes across the repeated hour: 01:00–01:45 EDT, then 02:00 EST.
        let s = cron("*/15 * * * *", "America/New_York");
        assert_eq!(
            walk(&s, "2026-11-01T05:40:00Z", 3),
            [
                "2026-11-01T05:45:00Z",
                "2026-11-01T07:00:00Z",
                "2026-11-01T07:15:00Z"
            ]
        );
    }

    // --- cron: calendar ---------------------------------------------------------------------

    #[test]
    fn the_31st_skips_shorter_months() {
        let s = cron("0 10 31 * *", "UTC");
        assert_eq!(
            walk(&s, "2026-01-31T12:00:00Z", 6),
            [
                "2026-03-31T10:00:00Z",
                "2026-05-31T10:00:00Z",
                "2026-07-31T10:00:00Z",
                "2026-08-31T10:00:00Z",
                "2026-10-31T10:00:00Z",
                "2026-12-31T10:00:00Z"
            ]
        );
    }

    #[test]
    fn l_is_the_last_day_of_the_month() {
        let s = cron("0 10 L * *", "UTC");
        assert_eq!(
            walk(&s, "2027-12-15T00:00:00Z", 4),
            [
                "2027-12-31T10:00:00Z",
                "2028-01-31T10:00:00Z",
                "2028-02-29T10:00:00Z",
                "2028-03-31T10:00:00Z"
            ]
        );
        assert_eq!(
            walk(&s, "2026-02-01T00:00:00Z", 1),
            ["2026-02-28T10:00:00Z"]
        );
    }

    #[test]
    fn leap_day() {
        let s = cron("0 0 29 2 *", "UTC");
        assert_eq!(
            walk(&s, "2026-01-01T00:00:00Z", 2),
            ["2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"]
        );
        assert_eq!(last(&s, "2031-06-01T00:00:00Z"), "2028-02-29T00:00:00Z");
    }

    #[test]
    fn weekday_and_month_names() {
        // 2026-06-01 is a Monday.
        let s = cron("0 10 * * TUE", "Europe/Berlin");
        assert_eq!(
            walk(&s, "2026-06-01T00:00:00Z", 2),
            ["2026-06-02T08:00:00Z", "2026-06-09T08:00:00Z"]
        );
        let s = cron("0 9 * jan,jul mon-fri", "UTC");
        assert_eq!(
            walk(&s, "2026-06-30T12:00:00Z", 2),
            ["2026-07-01T09:00:00Z", "2026-07-02T09:00:00Z"]
        );
        assert_eq!(
            walk(&s, "2026-07-31T12:00:00Z", 1),
            ["2027-01-01T09:00:00Z"]
        );
        // A range ending on Sunday.
        let s = cron("0 9 * * FRI-SUN", "UTC");
        assert_eq!(
            walk(&s, "2026-06-01T00:00:00Z", 4),
            [
                "2026-06-05T09:00:00Z",
                "2026-06-06T09:00:00Z",
                "2026-06-07T09:00:00Z",
                "2026-06-12T09:00:00Z"
            ]
        );
    }

    #[test]
    fn day_of_month_or_day_of_week() {
        // As in cron, either restricted day field matching is enough.
        let s = cron("0 10 13 * FRI", "UTC");
        assert_eq!(
            walk(&s, "2026-02-01T00:00:00Z", 4),
            [
                "2026-02-06T10:00:00Z",
                "2026-02-13T10:00:00Z", // a Friday and the 13th: once
                "2026-02-20T10:00:00Z",
                "2026-02-27T10:00:00Z"
            ]
        );
        assert_eq!(
            walk(&s, "2026-03-12T00:00:00Z", 1),
            ["2026-03-13T10:00:00Z"]
        );
    }

    #[test]
    fn six_fields_have_seconds_first() {
        let s = cron("30 0 10 * * *", "UTC");
        assert_eq!(
            walk(&s, "2026-05-01T10:00:30Z", 2),
            ["2026-05-02T10:00:30Z", "2026-05-03T10:00:30Z"]
        );
        assert_eq!(last(&s, "2026-05-01T10:00:30Z"), "2026-05-01T10:00:30Z");
        assert_eq!(last(&s, "2026-05-01T10:00:29Z"), "2026-04-30T10:00:30Z");
        // Sub-second instants.
        let t = utc("2026-05-01T10:00:29.999Z");
        assert_eq!(s.next_after(t), Some(utc("2026-05-01T10:00:30Z")));
        let t = utc("2026-05-01T10:00:30.5Z");
        assert_eq!(s.next_after(t), Some(utc("2026-05-02T10:00:30Z")));
        assert_eq!(s.last_at_or_before(t), Some(utc("2026-05-01T10:00:30Z")));
    }

    #[test]
    fn nicknames() {
        let s = cron("@daily", "Europe/Berlin");
        assert_eq!(
            walk(&s, "2026-07-01T12:00:00Z", 1),
            ["2026-07-01T22:00:00Z"] // midnight CEST
        );
        // 2026-07-05 is a Sunday.
        let s = cron("@weekly", "UTC");
        assert_eq!(
            walk(&s, "2026-07-01T00:00:00Z", 1),
            ["2026-07-05T00:00:00Z"]
        );
        let s = cron("@MONTHLY", "UTC");
        assert_eq!(
            walk(&s, "2026-07-01T00:00:00Z", 1),
            ["2026-08-01T00:00:00Z"]
        );
        let s = cron("@yearly", "UTC");
        assert_eq!(
            walk(&s, "2026-07-01T00:00:00Z", 1),
            ["2027-01-01T00:00:00Z"]
        );
        let s = cron("@annually", "UTC");
        assert_eq!(last(&s, "2026-07-01T00:00:00Z"), "2026-01-01T00:00:00Z");
        let s = cron("@hourly", "UTC");
        assert_eq!(
            walk(&s, "2026-07-01T00:00:00Z", 1),
            ["2026-07-01T01:00:00Z"]
        );
    }

    #[test]
    fn next_is_strictly_after_and_last_is_at_or_before() {
        let s = cron("0 10 * * *", "UTC");
        assert_eq!(
            walk(&s, "2026-07-01T10:00:00Z", 1),
            ["2026-07-02T10:00:00Z"]
        );
        assert_eq!(last(&s, "2026-07-01T10:00:00Z"), "2026-07-01T10:00:00Z");
        assert_eq!(last(&s, "2026-07-01T09:59:59Z"), "2026-06-30T10:00:00Z");
        assert!(s.upcoming(utc("2026-07-01T00:00:00Z"), 0).is_empty());
    }

    // --- errors -----------------------------------------------------------------------------

    #[test]
    fn errors_name_the_field() {
        let e = cron_error("61 * * * *");
        assert!(e.starts_with("cron: `61 * * * *`: "), "{e}");
        let e = cron_error("* * * *");
        assert_eq!(
            e,
            "cron: `* * * *` has 4 fields; expected 5 (minute hour day-of-month month \
             day-of-week) or 6 (seconds first)"
        );
        let e = cron_error("0 0 0 1 1 * 2030");
        assert!(
            e.starts_with("cron: `0 0 0 1 1 * 2030` has 7 fields"),
            "{e}"
        );
        assert_eq!(
            cron_error("@reboot"),
            "cron: unknown nickname `@reboot` (known: @yearly, @annually, @monthly, @weekly, \
             @daily, @hourly)"
        );
        assert_eq!(cron_error("0 0 30 2 *"), "cron: `0 0 30 2 *` never fires");
        assert!(cron_error("").starts_with("cron: `` has 0 fields"));
        assert!(cron_error("0 10 * * FOO").starts_with("cron: `0 10 * * FOO`: "));

        let mut spec = window(Period::Week, &[Day::Mon], "10:00", "16:00", "Mars/Olympus");
        assert_eq!(error(&spec), "timezone: unknown time zone `Mars/Olympus`");
        spec.timezone = "Europe/Berln".to_owned();
        assert_eq!(
            error(&spec),
            "timezone: unknown time zone `Europe/Berln` (did you mean `Europe/Berlin`?)"
        );
        spec.timezone = "UTC".to_owned();
        spec.cron = Some("0 10 * * *".to_owned());
        assert_eq!(
            error(&spec),
            "exactly one of `cron` and `unannounced` may be given, not both"
        );
        spec.cron = None;
        spec.unannounced = None;
        assert_eq!(
            error(&spec),
            "exactly one of `cron` and `unannounced` must be given"
        );

        let e = error(&window(Period::Day, &[Day::Mon], "25:00", "26:00", "UTC"));
        assert_eq!(
            e,
            "unannounced.from: `25:00` is not a time of day; expected \"HH:MM\" from 00:00 to \
             23:59"
        );
        for bad in [
            "9:00", "09:60", "0900", "24:00", "ab:cd", "09:00:00", "+9:00",
        ] {
            let e = error(&window(Period::Day, &[Day::Mon], bad, "23:00", "UTC"));
            assert!(e.starts_with("unannounced.from: "), "{bad}: {e}");
        }
        let e = error(&window(Period::Day, &[Day::Mon], "10:00", "24:01", "UTC"));
        assert!(
            e.starts_with("unannounced.to: `24:01` is not a time of day"),
            "{e}"
        );
        let e = error(&window(Period::Day, &[Day::Mon], "10:00", "10:00", "UTC"));
        assert_eq!(
            e,
            "unannounced.to: `10:00` must be after unannounced.from `10:00` (the window cannot \
             cross midnight)"
        );
        let e = error(&window(Period::Day, &[], "10:00", "11:00", "UTC"));
        assert_eq!(e, "unannounced.days: name at least one day");
    }

    #[test]
    fn describe_and_timezone() {
        let s = cron("0 10 * * TUE", "Europe/Berlin");
        assert_eq!(s.describe(), "0 10 * * TUE (Europe/Berlin)");
        assert_eq!(s.to_string(), s.describe());
        assert_eq!(s.timezone(), chrono_tz::Europe::Berlin);
        assert!(!s.is_unannounced());
        let weekdays = [Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri];
        let spec = window(Period::Week, &weekdays, "10:00", "16:00", "Europe/Berlin");
        let s = unannounced(&spec, "plan");
        assert!(s.is_unannounced());
        assert_eq!(
            s.describe(),
            "once a week, at a random moment between 10:00 and 16:00 on mon–fri (Europe/Berlin)"
        );
        let spec = window(Period::Day, &[Day::Sun, Day::Sat], "09:30", "24:00", "UTC");
        assert_eq!(
            unannounced(&spec, "plan").describe(),
            "once a day, at a random moment between 09:30 and 24:00 on sat, sun (UTC)"
        );
        let spec = window(
            Period::Month,
            &[Day::Mon, Day::Wed, Day::Thu, Day::Fri, Day::Sun],
            "00:00",
            "01:00",
            "Asia/Kolkata",
        );
        assert_eq!(
            unannounced(&spec, "plan").describe(),
            "once a month, at a random moment between 00:00 and 01:00 on mon, wed–fri, sun \
             (Asia/Kolkata)"
        );
        let spec = window(Period::Day, &Day::ALL, "00:00", "01:00", "UTC");
        assert_eq!(
            unannounced(&spec, "plan").describe(),
            "once a day, at a random moment between 00:00 and 01:00 on any day (UTC)"
        );
    }

    // --- the configuration ------------------------------------------------------------------

    #[test]
    fn spec_reads_from_yaml_with_defaults() {
        let spec: ScheduleSpec = serde_saphyr::from_str(
            "unannounced:\n  every: week\n  from: \"10:00\"\n  to: \"16:00\"\n",
        )
        .expect("a spec");
        assert_eq!(spec.timezone, "UTC");
        assert_eq!(spec.cron, None);
        let w = spec.unannounced.expect("a window");
        assert_eq!(w.every, Period::Week);
        assert_eq!(w.days, [Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri]);
        let spec: ScheduleSpec = serde_saphyr::from_str(
            "timezone: Europe/Berlin\nunannounced:\n  every: month\n  days: [sat, sun]\n  \
             from: \"10:00\"\n  to: \"24:00\"\n",
        )
        .expect("a spec");
        let w = spec.unannounced.as_ref().expect("a window");
        assert_eq!(w.days, [Day::Sat, Day::Sun]);
        assert_eq!(w.every, Period::Month);
        Schedule::new(&spec, "p").expect("valid");
        let spec: ScheduleSpec =
            serde_saphyr::from_str("cron: \"0 10 * * TUE\"\n").expect("a spec");
        assert_eq!(spec.cron.as_deref(), Some("0 10 * * TUE"));
        assert!(serde_saphyr::from_str::<ScheduleSpec>("cron: x\nwhen: y\n").is_err());
        assert!(
            serde_saphyr::from_str::<ScheduleSpec>(
                "unannounced:\n  every: year\n  from: \"10:00\"\n  to: \"16:00\"\n"
            )
            .is_err()
        );
        assert!(
            serde_saphyr::from_str::<ScheduleSpec>(
                "unannounced:\n  every: day\n  days: [monday]\n  from: \"10:00\"\n  to: \"16:00\"\n"
            )
            .is_err()
        );
    }

    #[test]
    fn schema_has_descriptions_and_defaults() {
        let schema = serde_json::to_value(schemars::schema_for!(ScheduleSpec)).expect("json");
        let text = schema.to_string();
        assert!(text.contains("IANA time zone"), "{text}");
        assert!(text.contains("\"additionalProperties\":false"), "{text}");
        assert_eq!(schema["properties"]["timezone"]["default"], "UTC");
        let defs = &schema["$defs"];
        assert_eq!(
            defs["Window"]["properties"]["days"]["default"],
            serde_json::json!(["mon", "tue", "wed", "thu", "fri"])
        );
        assert!(defs["Period"].to_string().contains("week"));
    }

    // --- unannounced ------------------------------------------------------------------------

    #[test]
    fn unannounced_draw_is_pinned() {
        // The draw must never change between releases: a daemon that upgrades would
        // otherwise run a period twice or not at all.
        let weekdays = [Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri];
        let spec = window(Period::Week, &weekdays, "10:00", "16:00", "Europe/Berlin");
        let s = unannounced(&spec, "nightly-drill");
        assert_eq!(
            walk(&s, "2026-01-05T00:00:00Z", 3),
            [
                "2026-01-08T10:27:00Z", // Thursday 11:27 CET
                "2026-01-15T12:08:00Z",
                "2026-01-21T11:49:00Z"
            ]
        );
        assert_eq!(
            draw(
                "nightly-drill",
                NaiveDate::from_ymd_opt(2026, 1, 5).expect("a date"),
                1_000_000
            ),
            648_562
        );
    }

    #[test]
    fn same_seed_same_moments_other_seed_other_moments() {
        let weekdays = [Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri];
        let spec = window(Period::Week, &weekdays, "10:00", "16:00", "Europe/Berlin");
        let t = utc("2026-01-01T00:00:00Z");
        let a = unannounced(&spec, "plan-a").upcoming(t, 20);
        let again = unannounced(&spec, "plan-a").upcoming(t, 20);
        let b = unannounced(&spec, "plan-b").upcoming(t, 20);
        assert_eq!(a.len(), 20);
        assert_eq!(a, again);
        assert_eq!(b.len(), 20);
        let differ = a.iter().zip(&b).filter(|(x, y)| x != y).count();
        assert!(differ >= 15, "only {differ} of 20 weeks differ");
        // And the moments spread over the window rather than sitting on one minute.
        let minutes: std::collections::BTreeSet<_> = a
            .iter()
            .map(|m| m.with_timezone(&chrono_tz::Europe::Berlin).time())
            .collect();
        assert!(minutes.len() >= 15);
    }

    #[test]
    fn one_moment_per_period_inside_the_window() {
        let spec = window(Period::Month, &[Day::Sat], "09:00", "09:05", "UTC");
        let s = unannounced(&spec, "plan");
        let moments = s.upcoming(utc("2026-01-01T00:00:00Z"), 12);
        assert_eq!(moments.len(), 12);
        for (i, m) in moments.iter().enumerate() {
            assert_eq!(m.month() as usize, i + 1, "{m}");
            assert_eq!(m.weekday(), Weekday::Sat, "{m}");
            assert_eq!(m.hour(), 9);
            assert!(m.minute() < 5);
            assert_eq!(m.second(), 0);
        }
        // From just after a month's moment, the next is next month's.
        let after = s.next_after(moments[0]).expect("a moment");
        assert_eq!(after, moments[1]);
        assert_eq!(
            s.last_at_or_before(moments[1] - chrono::Duration::seconds(1)),
            Some(moments[0])
        );
        assert_eq!(
            s.last_at_or_before(utc("2026-01-01T00:00:00Z"))
                .map(|m| m.month()),
            Some(12)
        );
    }

    #[test]
    fn a_day_without_allowed_minutes_has_no_moment() {
        let spec = window(Period::Day, &[Day::Wed], "13:00", "14:00", "UTC");
        let s = unannounced(&spec, "plan");
        let moments = s.upcoming(utc("2026-01-01T00:00:00Z"), 5);
        for pair in moments.windows(2) {
            assert_eq!((pair[1].date_naive() - pair[0].date_naive()).num_days(), 7);
        }
        assert!(moments.iter().all(|m| m.weekday() == Weekday::Wed));
    }

    #[test]
    fn weeks_start_on_monday_in_the_plans_time_zone() {
        // Sunday 23:30 in Kolkata is Sunday 18:00 UTC; Monday 00:30 there is Sunday 19:00 UTC.
        let spec = window(Period::Week, &Day::ALL, "00:00", "24:00", "Asia/Kolkata");
        let s = unannounced(&spec, "plan");
        for m in s.upcoming(utc("2026-01-01T00:00:00Z"), 30) {
            let local = m.with_timezone(&chrono_tz::Asia::Kolkata);
            let week = Period::Week.start_of(local.date_naive());
            // The moment before it belongs to an earlier week.
            let before = s
                .last_at_or_before(m - chrono::Duration::seconds(1))
                .expect("one");
            let before_week =
                Period::Week.start_of(before.with_timezone(&chrono_tz::Asia::Kolkata).date_naive());
            assert_eq!(week - before_week, chrono::Duration::days(7));
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a date")
    }

    fn count(spec: &ScheduleSpec, date: NaiveDate) -> u64 {
        let s = unannounced(spec, "plan");
        let Kind::Unannounced(u) = &s.kind else {
            panic!("unannounced")
        };
        s.candidates(u, date).count()
    }

    #[test]
    fn missing_minutes_are_not_candidates_repeated_ones_count_once() {
        let berlin = window(Period::Day, &Day::ALL, "01:30", "03:30", "Europe/Berlin");
        assert_eq!(count(&berlin, date(2026, 3, 28)), 120);
        assert_eq!(count(&berlin, date(2026, 3, 29)), 60);
        assert_eq!(count(&berlin, date(2026, 10, 25)), 120);
        // Lord Howe moves its clock by 30 minutes at 02:00.
        let howe = window(
            Period::Day,
            &Day::ALL,
            "01:00",
            "03:00",
            "Australia/Lord_Howe",
        );
        assert_eq!(count(&howe, date(2026, 10, 4)), 90);
        assert_eq!(count(&howe, date(2026, 4, 5)), 120);
        assert_eq!(count(&howe, date(2026, 4, 6)), 120);
        // A window wholly inside the gap: that day has no moment.
        let gap = window(Period::Day, &Day::ALL, "02:00", "03:00", "Europe/Berlin");
        assert_eq!(count(&gap, date(2026, 3, 29)), 0);
        let s = unannounced(&gap, "plan");
        assert_eq!(
            s.next_after(utc("2026-03-28T12:00:00Z"))
                .map(|m| m.date_naive()),
            NaiveDate::from_ymd_opt(2026, 3, 30)
        );
        assert_eq!(
            s.last_at_or_before(utc("2026-03-29T23:00:00Z"))
                .map(|m| m.date_naive()),
            NaiveDate::from_ymd_opt(2026, 3, 28)
        );
        // A window wholly inside the repeated hour: the first occurrence, 00:xx UTC.
        for seed in ["a", "b", "c", "d", "e", "f", "g", "h"] {
            let s = unannounced(&gap, seed);
            let m = s.next_after(utc("2026-10-24T12:00:00Z")).expect("a moment");
            assert!(
                m >= utc("2026-10-25T00:00:00Z") && m < utc("2026-10-25T01:00:00Z"),
                "{seed}: {m}"
            );
        }
    }

    const ZONES: [&str; 7] = [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Asia/Kolkata",
        "Australia/Lord_Howe",
        "Pacific/Chatham",
        "America/Santiago",
    ];

    /// Days near the 2026–2030 clock changes of the zones above.
    const CHANGES: [&str; 10] = [
        "2026-03-08T07:00:00Z",
        "2026-03-29T01:00:00Z",
        "2026-04-04T14:00:00Z",
        "2026-09-26T14:00:00Z",
        "2026-10-03T15:00:00Z",
        "2026-10-25T01:00:00Z",
        "2026-11-01T06:00:00Z",
        "2028-04-01T15:00:00Z",
        "2029-03-25T01:00:00Z",
        "2030-11-03T06:00:00Z",
    ];

    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        let start = utc("2026-01-01T00:00:00Z").timestamp();
        let end = utc("2030-12-31T00:00:00Z").timestamp();
        prop_oneof![
            (start..end).prop_map(|s| DateTime::from_timestamp(s, 0).expect("in range")),
            (0..CHANGES.len(), -4 * 86_400i64..4 * 86_400)
                .prop_map(|(i, d)| { utc(CHANGES[i]) + chrono::Duration::seconds(d) }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn unannounced_moments_keep_to_the_window(
            seed in "[a-z0-9-]{1,12}",
            zone in 0..ZONES.len(),
            every in prop_oneof![Just(Period::Day), Just(Period::Week), Just(Period::Month)],
            mask in 1u8..128,
            a in 0u32..=1440,
            b in 0u32..=1440,
            t in instant(),
        ) {
            let (from, mut to) = (a.min(b), a.max(b));
            if from == to {
                to = if to < 1440 { to + 1 } else { to };
            }
            let from = if from == to { from - 1 } else { from };
            let days: Vec<Day> = Day::ALL.into_iter().filter(|d| mask & (1 << d.index()) != 0).collect();
            let spec = window(every, &days, &hhmm(from), &hhmm(to), ZONES[zone]);
            let s = unannounced(&spec, &seed);
            let tz = s.timezone();
            let period = |m: DateTime<Utc>| every.start_of(m.with_timezone(&tz).date_naive());

            let first = s.next_after(t).expect("a moment");
            if let Some(before) = s.last_at_or_before(t) {
                prop_assert!(before <= t);
                prop_assert_eq!(s.next_after(before), Some(first));
            }
            let mut prev = t;
            let mut prev_period = None;
            for m in s.upcoming(t, 10) {
                prop_assert!(m > prev, "{} not after {}", m, prev);
                let local = m.with_timezone(&tz);
                prop_assert!(days.contains(&match local.weekday() {
                    Weekday::Mon => Day::Mon,
                    Weekday::Tue => Day::Tue,
                    Weekday::Wed => Day::Wed,
                    Weekday::Thu => Day::Thu,
                    Weekday::Fri => Day::Fri,
                    Weekday::Sat => Day::Sat,
                    Weekday::Sun => Day::Sun,
                }), "{} is not on {:?}", local, days);
                let minute = local.hour() * 60 + local.minute();
                prop_assert!((from..to).contains(&minute), "{} outside {}..{}", local, from, to);
                prop_assert_eq!(local.second(), 0);
                prop_assert_eq!(local.nanosecond(), 0);
                if let LocalResult::Ambiguous(earlier, _) = tz.from_local_datetime(&local.naive_local()) {
                    prop_assert_eq!(earlier, local, "not the first occurrence");
                }
                let p = period(m);
                if let Some(q) = prev_period {
                    prop_assert!(p > q, "two moments in the period of {}", q);
                } else {
                    prop_assert!(p >= period(t));
                    prop_assert_eq!(m, first);
                }
                prop_assert_eq!(s.last_at_or_before(m), Some(m));
                if let Some(before) = s.last_at_or_before(m - chrono::Duration::seconds(1)) {
                    prop_assert!(period(before) < p, "two moments in the period of {}", p);
                }
                prev = m;
                prev_period = Some(p);
            }
            prop_assert_eq!(prev_period.is_some(), true);
        }
    }
}
