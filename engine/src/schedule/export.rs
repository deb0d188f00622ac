//! A plan's schedule as text for an existing scheduler (cron, systemd timers, Kubernetes
//! CronJobs) that calls `gameday schedule run PLAN`.
//!
//! A cron schedule is translated field by field: `*`, numbers, lists, ranges, `*/n` and
//! `a-b/n` steps, and weekday and month names. A seconds field must be `0` (the targets
//! count whole minutes), and croner's extensions (`L`, `W`, `#`, and `+` for
//! day-of-month *and* day-of-week; `+` has a systemd form) are refused with an error
//! naming the field.
//!
//! An unannounced schedule fires every minute of its window on its days and passes
//! `--if-due`, so the plan runs only at the moment drawn for the period. Crontab and
//! systemd get the window's exact minutes (up to three lines when it starts or ends off
//! the hour); a Kubernetes CronJob has a single schedule and fires every minute of the
//! hours that cover the window.

use super::cloud::{self, Cloud};
use super::{Day, Schedule, ScheduleSpec, Window, expand_cron, fnv1a, parse_hhmm, runs};
use std::fmt;
use std::str::FromStr;

/// The schedulers a schedule can be exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportFormat {
    /// Lines for a crontab, with a `CRON_TZ=` line (cronie reads it).
    Crontab,
    /// A oneshot `.service` and a `.timer` unit.
    Systemd,
    /// A ServiceAccount (IRSA) and a `batch/v1` CronJob of an Indexed Job, one pod per
    /// shard.
    Kubernetes,
    /// A CloudFormation template: an EventBridge Scheduler schedule submitting an AWS
    /// Batch array job on Fargate, one child per shard.
    AwsBatch,
}

impl ExportFormat {
    /// Every format.
    pub const ALL: [ExportFormat; 4] = [
        ExportFormat::Crontab,
        ExportFormat::Systemd,
        ExportFormat::Kubernetes,
        ExportFormat::AwsBatch,
    ];

    /// The name `FromStr` accepts.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::Crontab => "crontab",
            ExportFormat::Systemd => "systemd",
            ExportFormat::Kubernetes => "kubernetes",
            ExportFormat::AwsBatch => "aws-batch",
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ExportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ExportFormat::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!("unknown export format `{s}`; expected crontab, systemd, kubernetes or aws-batch")
            })
    }
}

/// The schedule of plan `plan` as `format` text. The scheduler runs
/// `exe schedule run PLAN --config CONFIG` (with `--if-due` for unannounced schedules);
/// the Kubernetes pods and AWS Batch children run the image's entrypoint with those
/// arguments and `--shard-from-env VAR`, so `exe` is not used there, and `cloud` says
/// what else they need.
pub fn export(
    plan: &str,
    schedule: &ScheduleSpec,
    format: ExportFormat,
    exe: &str,
    config: &str,
    cloud: &Cloud,
) -> Result<String, String> {
    for (what, text) in [("plan", plan), ("exe", exe), ("config", config)] {
        if text.is_empty() {
            return Err(format!("{what}: must not be empty"));
        }
        if text.chars().any(char::is_control) {
            return Err(format!(
                "{what}: `{}` contains a control character",
                text.escape_debug()
            ));
        }
    }
    let compiled = Schedule::new(schedule, plan)?;
    let tz = compiled.timezone().name();
    let describe = compiled.describe();
    let (lines, if_due) = match (&schedule.cron, &schedule.unannounced) {
        (Some(expr), _) => (cron_lines(expr, format)?, false),
        (None, Some(window)) => (window_lines(window, format)?, true),
        (None, None) => return Err("exactly one of `cron` and `unannounced` must be given".into()),
    };
    let mut args = vec!["schedule", "run", plan];
    match format {
        ExportFormat::Kubernetes => args.extend(["--shard-from-env", "JOB_COMPLETION_INDEX"]),
        ExportFormat::AwsBatch => args.extend(["--shard-from-env", "AWS_BATCH_JOB_ARRAY_INDEX"]),
        ExportFormat::Crontab | ExportFormat::Systemd => {}
    }
    if if_due {
        args.push("--if-due");
    }
    args.extend(["--config", config]);
    let note = if_due.then_some(
        "Fires every minute of the window; `--if-due` runs the plan only at the moment drawn \
         for the period.",
    );
    Ok(match format {
        ExportFormat::Crontab => crontab(plan, &describe, note, tz, &lines, exe, &args),
        ExportFormat::Systemd => systemd(plan, &describe, note, tz, &lines, exe, &args),
        ExportFormat::Kubernetes | ExportFormat::AwsBatch => {
            in_cloud(format, plan, &describe, note, tz, &lines, &args, cloud)?
        }
    })
}

/// One firing rule, in the format's own terms.
enum Line {
    /// Five cron fields.
    Cron([String; 5]),
    /// A systemd `OnCalendar=` value without the time zone.
    Calendar(String),
}

fn crontab(
    plan: &str,
    describe: &str,
    note: Option<&str>,
    tz: &str,
    lines: &[Line],
    exe: &str,
    args: &[&str],
) -> String {
    let command: Vec<String> = std::iter::once(exe)
        .chain(args.iter().copied())
        .map(|w| sh_word(w).replace('%', "\\%"))
        .collect();
    let command = command.join(" ");
    let mut out = format!("# gameday plan {plan}: {describe}\n");
    if let Some(note) = note {
        out.push_str(&format!("# {note}\n"));
    }
    out.push_str(&format!("CRON_TZ={tz}\n"));
    for line in lines {
        if let Line::Cron(fields) = line {
            out.push_str(&format!("{}  {command}\n", fields.join(" ")));
        }
    }
    out
}

fn systemd(
    plan: &str,
    describe: &str,
    note: Option<&str>,
    tz: &str,
    lines: &[Line],
    exe: &str,
    args: &[&str],
) -> String {
    let unit = format!("gameday-{}", unit_escape(plan));
    let command: Vec<String> = std::iter::once(exe)
        .chain(args.iter().copied())
        .map(systemd_word)
        .collect();
    let mut out = format!(
        "# --- {unit}.service ---\n\
         [Unit]\n\
         Description=gameday plan {}\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         ExecStart={}\n\
         \n\
         # --- {unit}.timer ---\n",
        specifiers(plan),
        command.join(" ")
    );
    if let Some(note) = note {
        out.push_str(&format!("# {note}\n"));
    }
    out.push_str(&format!(
        "[Unit]\nDescription={}\n\n[Timer]\n",
        specifiers(&format!("gameday plan {plan}: {describe}"))
    ));
    for line in lines {
        if let Line::Calendar(spec) = line {
            out.push_str(&format!("OnCalendar={spec} {tz}\n"));
        }
    }
    out.push_str("Persistent=false\n\n[Install]\nWantedBy=timers.target\n");
    out
}

fn single(lines: &[Line], format: ExportFormat) -> Result<&[String; 5], String> {
    match lines {
        [Line::Cron(fields)] => Ok(fields),
        _ => Err(format!(
            "{format}: the scheduler takes exactly one schedule"
        )),
    }
}

/// The kubernetes and aws-batch exports: their documents after comments saying what runs
/// where.
#[allow(clippy::too_many_arguments)]
fn in_cloud(
    format: ExportFormat,
    plan: &str,
    describe: &str,
    note: Option<&str>,
    tz: &str,
    lines: &[Line],
    args: &[&str],
    cloud: &Cloud,
) -> Result<String, String> {
    let fields = single(lines, format)?;
    let name = dns1123_name(plan);
    let mut comments = vec![format!("gameday plan {plan}: {describe}")];
    comments.extend(note.map(str::to_owned));
    let (each, var) = match format {
        ExportFormat::AwsBatch => ("An array job of {} child(ren)", "AWS_BATCH_JOB_ARRAY_INDEX"),
        _ => ("{} pod(s) a run", "JOB_COMPLETION_INDEX"),
    };
    comments.push(format!(
        "{}, one per shard, each taking its shard from {var}; runs go to {}.",
        each.replace("{}", &cloud.shards.to_string()),
        cloud.runs_dir
    ));
    comments.push(format!(
        "Memory: {} MiB and {} MiB for each of the plan's {} game days at once (docs/schedules.md).",
        cloud::BASE_MIB,
        cloud::PER_GAME_DAY_MIB,
        cloud.concurrency
    ));
    let docs = if format == ExportFormat::AwsBatch {
        comments.push(
            "Deploy: aws cloudformation deploy --capabilities CAPABILITY_IAM --template-file \
             THIS --stack-name NAME --parameter-overrides Image=… Subnets=… SecurityGroups=…"
                .to_owned(),
        );
        let batch = cloud::Batch {
            plan,
            name: &name,
            describe,
            expression: &cloud::scheduler_expression(fields)?,
            tz,
            command: args,
        };
        vec![cloud::aws_batch(&batch, cloud)?]
    } else {
        let job = cloud::Job {
            name: &name,
            plan,
            schedule: &fields.join(" "),
            tz,
            args,
        };
        cloud::kubernetes(&job, cloud)?
    };
    cloud::yaml(&comments, &docs).map_err(|e| format!("{format}: {e}"))
}

/// `gameday-PLAN` as a CronJob name: lowercase letters, digits and `-`, at most 52
/// characters (the Job controller adds 11). A name that had to change gets a hash of the
/// plan's name, so plans whose names differ only in what was replaced stay apart.
fn dns1123_name(plan: &str) -> String {
    const MAX: usize = 52;
    let wanted = format!("gameday-{plan}");
    let mut name = String::new();
    for c in wanted.chars().map(|c| c.to_ascii_lowercase()) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if !(c == '-' && name.ends_with('-')) {
            name.push(c);
        }
    }
    let name = name.trim_matches('-');
    if name == wanted && name.len() <= MAX {
        return name.to_owned();
    }
    let hash = format!("{:06x}", fnv1a(plan.as_bytes()) & 0xff_ffff);
    let keep = MAX - hash.len() - 1;
    let base: String = name.chars().take(keep).collect();
    format!("{}-{hash}", base.trim_end_matches('-'))
}

/// `plan` for a systemd unit name: characters other than ASCII letters, digits, `:`, `_`,
/// `.` and `-` (and a leading `.`) as `\xNN`, as `systemd-escape` writes them.
fn unit_escape(plan: &str) -> String {
    let mut out = String::new();
    for (i, b) in plan.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric() || b"_:-".contains(&b) || (b == b'.' && i > 0);
        if plain {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// `text` with systemd's `%` specifiers escaped.
fn specifiers(text: &str) -> String {
    text.replace('%', "%%")
}

/// One word of a POSIX shell command line, quoted when it has to be.
fn sh_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// One word of a systemd `ExecStart=` line: quoted when it has to be, with `%` and `$`
/// escaped.
fn systemd_word(word: &str) -> String {
    let plain = !word.is_empty()
        && !word
            .chars()
            .any(|c| c.is_whitespace() || "\"'\\;".contains(c));
    let word = if plain {
        word.to_owned()
    } else {
        format!("\"{}\"", word.replace('\\', "\\\\").replace('"', "\\\""))
    };
    word.replace('%', "%%").replace('$', "$$")
}

/// A cron field's position, for messages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    Minute,
    Hour,
    DayOfMonth,
    Month,
    DayOfWeek,
}

impl Position {
    fn name(self) -> &'static str {
        match self {
            Position::Minute => "minute",
            Position::Hour => "hour",
            Position::DayOfMonth => "day-of-month",
            Position::Month => "month",
            Position::DayOfWeek => "day-of-week",
        }
    }

    fn bounds(self) -> (u32, u32) {
        match self {
            Position::Minute => (0, 59),
            Position::Hour => (0, 23),
            Position::DayOfMonth => (1, 31),
            Position::Month => (1, 12),
            Position::DayOfWeek => (0, 7),
        }
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Position::Month => &[
                "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
            ],
            Position::DayOfWeek => &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
            _ => &[],
        }
    }
}

#[derive(Clone, Copy)]
enum Base {
    Star,
    Value(u32),
    Range(u32, u32),
}

#[derive(Clone, Copy)]
struct Item {
    base: Base,
    step: Option<u32>,
}

/// A parsed cron field.
struct Field {
    at: Position,
    /// Exactly `*`: for the day fields, "not restricted".
    star: bool,
    items: Vec<Item>,
}

impl Field {
    fn parse(at: Position, text: &str, format: ExportFormat) -> Result<Field, String> {
        let mut upper = text.to_ascii_uppercase();
        if at == Position::DayOfWeek {
            // As in croner: a range ending on Sunday ends on 7.
            upper = upper.replace("-SUN", "-7");
        }
        let offset = if at == Position::Month { 1 } else { 0 };
        for (i, name) in at.names().iter().enumerate() {
            upper = upper.replace(name, &(i + offset).to_string());
        }
        for (mark, what) in [
            ('L', "`L` (last)"),
            ('W', "`W` (nearest weekday)"),
            ('#', "`#` (nth weekday)"),
        ] {
            if upper.contains(mark) {
                return Err(format!(
                    "cron: {} `{text}` uses {what}, which has no {format} form; only `*`, \
                     numbers, names, lists, ranges and steps can be exported",
                    at.name()
                ));
            }
        }
        let bad = || {
            format!(
                "cron: {} `{text}` is not a field gameday can export",
                at.name()
            )
        };
        let (min, max) = at.bounds();
        let number = |s: &str| -> Result<u32, String> {
            let n = s.parse::<u32>().map_err(|_| bad())?;
            if n < min || n > max {
                return Err(format!(
                    "cron: {} `{text}`: {n} is outside {min}-{max}",
                    at.name()
                ));
            }
            Ok(n)
        };
        let upper = upper.replace('?', "*");
        let star = upper == "*";
        let mut items = Vec::new();
        for part in upper.split(',') {
            let (base, step) = match part.split_once('/') {
                Some((base, step)) => {
                    let step: u32 = step.parse().map_err(|_| bad())?;
                    if step == 0 {
                        return Err(bad());
                    }
                    (base, Some(step))
                }
                None => (part, None),
            };
            let base = if base == "*" {
                Base::Star
            } else if let Some((a, b)) = base.split_once('-') {
                let (a, b) = (number(a)?, number(b)?);
                if a > b {
                    return Err(bad());
                }
                Base::Range(a, b)
            } else if step.is_some() {
                // `a/n` is not standard cron.
                return Err(bad());
            } else {
                Base::Value(number(base)?)
            };
            items.push(Item { base, step });
        }
        Ok(Field { at, star, items })
    }

    /// The weekdays this field names, indexed Monday 0 … Sunday 6.
    fn weekdays(&self) -> [bool; 7] {
        let mut mask = [false; 7];
        let (min, max) = self.at.bounds();
        for item in &self.items {
            let (a, b) = match item.base {
                Base::Star => (min, max),
                Base::Value(v) => (v, v),
                Base::Range(a, b) => (a, b),
            };
            let step = item.step.unwrap_or(1) as usize;
            for v in (a..=b).step_by(step) {
                // Cron counts Sunday as 0 and 7.
                mask[(v as usize + 6) % 7] = true;
            }
        }
        mask
    }

    /// The field for crontab and Kubernetes: numbers only, weekdays 0-6, and a stepped
    /// `*` in a day field written as a range so that every cron reads it as restricted.
    fn cron_text(&self) -> String {
        if self.star {
            return "*".to_owned();
        }
        if self.at == Position::DayOfWeek {
            return cron_weekdays(&self.weekdays());
        }
        let (min, max) = self.at.bounds();
        let items: Vec<String> = self
            .items
            .iter()
            .map(|item| {
                let base = match item.base {
                    Base::Star if self.at == Position::DayOfMonth => format!("{min}-{max}"),
                    Base::Star => "*".to_owned(),
                    Base::Value(v) => v.to_string(),
                    Base::Range(a, b) => format!("{a}-{b}"),
                };
                match item.step {
                    Some(n) => format!("{base}/{n}"),
                    None => base,
                }
            })
            .collect();
        items.join(",")
    }

    /// The field in a systemd calendar event.
    fn calendar_text(&self) -> String {
        if self.star {
            return "*".to_owned();
        }
        if self.at == Position::DayOfWeek {
            return calendar_weekdays(&self.weekdays());
        }
        let (min, _) = self.at.bounds();
        let items: Vec<String> = self
            .items
            .iter()
            .map(|item| {
                let base = match (item.base, item.step) {
                    (Base::Star, Some(_)) => format!("{min:02}"),
                    (Base::Star, None) => "*".to_owned(),
                    (Base::Value(v), _) => format!("{v:02}"),
                    (Base::Range(a, b), _) => format!("{a:02}..{b:02}"),
                };
                match item.step {
                    Some(n) => format!("{base}/{n}"),
                    None => base,
                }
            })
            .collect();
        items.join(",")
    }
}

/// Weekdays (Monday first) as cron numbers 0-6, Sunday 0, runs of three or more as ranges.
fn cron_weekdays(mask: &[bool; 7]) -> String {
    // Sunday first, as cron counts.
    let sunday_first: Vec<bool> = (0..7).map(|i| mask[(i + 6) % 7]).collect();
    runs(&sunday_first)
        .into_iter()
        .flat_map(|(a, b)| {
            if b - a >= 2 {
                vec![format!("{a}-{b}")]
            } else {
                (a..=b).map(|v| v.to_string()).collect()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Weekdays (Monday first) as systemd names, runs of three or more as `Mon..Fri`.
fn calendar_weekdays(mask: &[bool; 7]) -> String {
    let name = |i: usize| -> String {
        let n = Day::ALL[i].name();
        n[..1].to_ascii_uppercase() + &n[1..]
    };
    runs(mask)
        .into_iter()
        .flat_map(|(a, b)| {
            if b - a >= 2 {
                vec![format!("{}..{}", name(a), name(b))]
            } else {
                (a..=b).map(name).collect()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The firing rules of a cron expression in `format`.
fn cron_lines(expr: &str, format: ExportFormat) -> Result<Vec<Line>, String> {
    let expanded = expand_cron(expr)?;
    let mut parts: Vec<&str> = expanded.split_whitespace().collect();
    if parts.len() == 6 {
        let seconds = parts.remove(0);
        if seconds.parse::<u32>() != Ok(0) {
            return Err(format!(
                "cron: seconds `{seconds}` cannot be exported to {format}, which fires on whole \
                 minutes; use 0 or a 5-field expression"
            ));
        }
    }
    let [minute, hour, dom, month, dow] = parts[..] else {
        return Err(format!("cron: `{expr}` has {} fields", parts.len()));
    };
    // `+` before the weekdays: day-of-month and day-of-week must both match.
    let dow_written = dow;
    let (dow, both) = match dow.strip_prefix('+') {
        Some(rest) => (rest, true),
        None => (dow, false),
    };
    let minute = Field::parse(Position::Minute, minute, format)?;
    let hour = Field::parse(Position::Hour, hour, format)?;
    let dom = Field::parse(Position::DayOfMonth, dom, format)?;
    let month = Field::parse(Position::Month, month, format)?;
    let dow = Field::parse(Position::DayOfWeek, dow, format)?;
    match format {
        ExportFormat::Crontab | ExportFormat::Kubernetes | ExportFormat::AwsBatch => {
            if both && !dom.star && !dow.star {
                return Err(format!(
                    "cron: day-of-week `{dow_written}`: `+` (day-of-month and day-of-week both) has \
                     no {format} form, where either matching is enough"
                ));
            }
            // With `+` and one side `*`, the other side alone decides, as in cron.
            Ok(vec![Line::Cron([
                minute.cron_text(),
                hour.cron_text(),
                dom.cron_text(),
                month.cron_text(),
                dow.cron_text(),
            ])])
        }
        ExportFormat::Systemd => {
            let time = format!("{}:{}:00", hour.calendar_text(), minute.calendar_text());
            let month = month.calendar_text();
            let date = |dom: &str| format!("*-{month}-{dom}");
            let with_days =
                |days: &str, dom: &str| Line::Calendar(format!("{days} {} {time}", date(dom)));
            let dom_text = dom.calendar_text();
            let dow_text = dow.calendar_text();
            Ok(match (dom.star, dow.star) {
                (true, true) => vec![Line::Calendar(format!("{} {time}", date("*")))],
                (false, true) => vec![Line::Calendar(format!("{} {time}", date(&dom_text)))],
                (true, false) => vec![with_days(&dow_text, "*")],
                // systemd matches weekday and date both; cron either.
                (false, false) if both => vec![with_days(&dow_text, &dom_text)],
                (false, false) => vec![
                    Line::Calendar(format!("{} {time}", date(&dom_text))),
                    with_days(&dow_text, "*"),
                ],
            })
        }
    }
}

/// An inclusive range of minutes or hours.
type Span = (u32, u32);

/// The firing rules of an unannounced window: every minute of it on its days.
fn window_lines(window: &Window, format: ExportFormat) -> Result<Vec<Line>, String> {
    let from = parse_hhmm("from", &window.from, false)?;
    let to = parse_hhmm("to", &window.to, true)?;
    let mut mask = [false; 7];
    for d in &window.days {
        mask[d.index()] = true;
    }
    let all_days = mask.iter().all(|d| *d);
    let (fh, fm, th, tm) = (from / 60, from % 60, to / 60, to % 60);
    let span = |a: u32, b: u32| {
        if a == b {
            a.to_string()
        } else {
            format!("{a}-{b}")
        }
    };
    // (minutes, hours) pairs covering [from, to) exactly; `None` minutes is every minute.
    let mut exact: Vec<(Option<Span>, Span)> = Vec::new();
    if fh == th {
        exact.push((Some((fm, tm - 1)), (fh, fh)));
    } else {
        let mut first_full = fh;
        if fm != 0 {
            exact.push((Some((fm, 59)), (fh, fh)));
            first_full += 1;
        }
        if first_full < th {
            exact.push((None, (first_full, th - 1)));
        }
        if tm != 0 {
            exact.push((Some((0, tm - 1)), (th, th)));
        }
    }
    let cron_days = if all_days {
        "*".to_owned()
    } else {
        cron_weekdays(&mask)
    };
    let cron = |minutes: Option<Span>, (h0, h1): Span| {
        Line::Cron([
            minutes.map_or("*".to_owned(), |(a, b)| span(a, b)),
            span(h0, h1),
            "*".to_owned(),
            "*".to_owned(),
            cron_days.clone(),
        ])
    };
    Ok(match format {
        ExportFormat::Crontab => exact.into_iter().map(|(m, h)| cron(m, h)).collect(),
        ExportFormat::Kubernetes | ExportFormat::AwsBatch => {
            let last_hour = if tm == 0 { th - 1 } else { th };
            vec![cron(None, (fh, last_hour))]
        }
        ExportFormat::Systemd => {
            let days = if all_days {
                String::new()
            } else {
                format!("{} ", calendar_weekdays(&mask))
            };
            let pad = |(a, b): Span| {
                if a == b {
                    format!("{a:02}")
                } else {
                    format!("{a:02}..{b:02}")
                }
            };
            exact
                .into_iter()
                .map(|(m, h)| {
                    let minutes = m.map_or("*".to_owned(), pad);
                    Line::Calendar(format!("{days}*-*-* {}:{minutes}:00", pad(h)))
                })
                .collect()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{Period, Window};

    const EXE: &str = "/usr/local/bin/gameday";
    const CONFIG: &str = "/etc/gameday/gameday.yaml";

    fn cloud() -> Cloud {
        Cloud {
            shards: 3,
            concurrency: 4,
            runs_dir: "s3://runs-bucket/gameday".to_owned(),
            role_arn: Some("arn:aws:iam::123456789012:role/gameday".to_owned()),
            image: "gameday:latest".to_owned(),
            actions: ["iam:CreateUser".to_owned()].into(),
            assume_roles: Default::default(),
        }
    }

    /// The last YAML document of `text`: the CronJob of a Kubernetes export.
    fn last_doc(text: &str) -> serde_json::Value {
        let doc = text.rsplit("\n---\n").next().unwrap_or(text);
        serde_saphyr::from_str(doc).expect("yaml")
    }

    fn cron(expr: &str, tz: &str) -> ScheduleSpec {
        ScheduleSpec {
            cron: Some(expr.to_owned()),
            unannounced: None,
            timezone: tz.to_owned(),
        }
    }

    fn weekdays_window(from: &str, to: &str) -> ScheduleSpec {
        ScheduleSpec {
            cron: None,
            unannounced: Some(Window {
                every: Period::Week,
                days: vec![Day::Mon, Day::Tue, Day::Wed, Day::Thu, Day::Fri],
                from: from.to_owned(),
                to: to.to_owned(),
            }),
            timezone: "Europe/Berlin".to_owned(),
        }
    }

    fn out(spec: &ScheduleSpec, format: ExportFormat) -> String {
        export("nightly", spec, format, EXE, CONFIG, &cloud()).expect("an export")
    }

    fn err(spec: &ScheduleSpec, format: ExportFormat) -> String {
        export("nightly", spec, format, EXE, CONFIG, &cloud()).expect_err("an error")
    }

    /// The schedule lines of a crontab or the `OnCalendar=` values of a timer.
    fn rules(spec: &ScheduleSpec, format: ExportFormat) -> Vec<String> {
        let text = out(spec, format);
        match format {
            ExportFormat::Crontab => text
                .lines()
                .filter(|l| !l.starts_with('#') && !l.starts_with("CRON_TZ="))
                .map(|l| l.split("  ").next().unwrap_or_default().to_owned())
                .collect(),
            ExportFormat::Systemd => text
                .lines()
                .filter_map(|l| l.strip_prefix("OnCalendar="))
                .map(str::to_owned)
                .collect(),
            ExportFormat::AwsBatch => {
                let v: serde_json::Value = serde_saphyr::from_str(&text).expect("yaml");
                vec![
                    v["Resources"]["Schedule"]["Properties"]["ScheduleExpression"]
                        .as_str()
                        .expect("an expression")
                        .to_owned(),
                ]
            }
            ExportFormat::Kubernetes => {
                let v = last_doc(&text);
                vec![
                    v["spec"]["schedule"]
                        .as_str()
                        .expect("a schedule")
                        .to_owned(),
                ]
            }
        }
    }

    #[test]
    fn formats_by_name() {
        for f in ExportFormat::ALL {
            assert_eq!(f.to_string().parse::<ExportFormat>(), Ok(f));
        }
        assert_eq!(
            "cron".parse::<ExportFormat>(),
            Err(
                "unknown export format `cron`; expected crontab, systemd, kubernetes or aws-batch"
                    .to_owned()
            )
        );
    }

    #[test]
    fn cron_plan_as_crontab() {
        assert_eq!(
            out(
                &cron("0 10 * * TUE", "Europe/Berlin"),
                ExportFormat::Crontab
            ),
            "# gameday plan nightly: 0 10 * * TUE (Europe/Berlin)\n\
             CRON_TZ=Europe/Berlin\n\
             0 10 * * 2  /usr/local/bin/gameday schedule run nightly --config \
             /etc/gameday/gameday.yaml\n"
        );
    }

    #[test]
    fn cron_plan_as_systemd_units() {
        assert_eq!(
            out(
                &cron("0 10 * * TUE", "Europe/Berlin"),
                ExportFormat::Systemd
            ),
            "# --- gameday-nightly.service ---\n\
             [Unit]\n\
             Description=gameday plan nightly\n\
             \n\
             [Service]\n\
             Type=oneshot\n\
             ExecStart=/usr/local/bin/gameday schedule run nightly --config \
             /etc/gameday/gameday.yaml\n\
             \n\
             # --- gameday-nightly.timer ---\n\
             [Unit]\n\
             Description=gameday plan nightly: 0 10 * * TUE (Europe/Berlin)\n\
             \n\
             [Timer]\n\
             OnCalendar=Tue *-*-* 10:00:00 Europe/Berlin\n\
             Persistent=false\n\
             \n\
             [Install]\n\
             WantedBy=timers.target\n"
        );
    }

    #[test]
    fn cron_plan_as_kubernetes_indexed_job() {
        let text = out(
            &cron("0 10 * * TUE", "Europe/Berlin"),
            ExportFormat::Kubernetes,
        );
        assert!(text.starts_with(
            "# gameday plan nightly: 0 10 * * TUE (Europe/Berlin)\n\
             # 3 pod(s) a run, one per shard, each taking its shard from JOB_COMPLETION_INDEX; \
             runs go to s3://runs-bucket/gameday.\n"
        ));
        let (account, job) = text.split_once("\n---\n").expect("two documents");
        let account = account
            .split_once("\napiVersion")
            .map(|(_, a)| a)
            .expect("a document");
        let account: serde_json::Value =
            serde_saphyr::from_str(&format!("apiVersion{account}")).expect("yaml");
        assert_eq!(account["kind"], "ServiceAccount");
        assert_eq!(
            account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
            "arn:aws:iam::123456789012:role/gameday"
        );
        let v: serde_json::Value = serde_saphyr::from_str(job).expect("yaml");
        assert_eq!(v["kind"], "CronJob");
        assert_eq!(v["spec"]["schedule"], "0 10 * * 2");
        assert_eq!(v["spec"]["timeZone"], "Europe/Berlin");
        assert_eq!(v["spec"]["concurrencyPolicy"], "Forbid");
        let spec = &v["spec"]["jobTemplate"]["spec"];
        assert_eq!(spec["completionMode"], "Indexed");
        assert_eq!(spec["completions"], 3);
        assert_eq!(spec["parallelism"], 3);
        let pod = &spec["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Never");
        assert_eq!(pod["serviceAccountName"], "gameday-nightly");
        let c = &pod["containers"][0];
        assert_eq!(
            c["args"],
            serde_json::json!([
                "schedule",
                "run",
                "nightly",
                "--shard-from-env",
                "JOB_COMPLETION_INDEX",
                "--config",
                CONFIG
            ])
        );
        // 64 MiB and 16 for each of 4 game days at once; the limit twice that.
        assert_eq!(c["resources"]["requests"]["memory"], "128Mi");
        assert_eq!(c["resources"]["limits"]["memory"], "256Mi");
        assert!(
            c.get("env").is_none() && c.get("envFrom").is_none(),
            "no secrets"
        );
    }

    #[test]
    fn cron_plan_as_aws_batch_template() {
        let text = out(
            &cron("0 10 * * TUE", "Europe/Berlin"),
            ExportFormat::AwsBatch,
        );
        let v: serde_json::Value = serde_saphyr::from_str(&text).expect("yaml");
        let r = &v["Resources"];
        let schedule = &r["Schedule"]["Properties"];
        assert_eq!(schedule["ScheduleExpression"], "cron(0 10 ? * TUE *)");
        assert_eq!(schedule["ScheduleExpressionTimezone"], "Europe/Berlin");
        let input = schedule["Target"]["Input"]["Fn::Sub"]
            .as_str()
            .expect("input");
        let input: serde_json::Value = serde_json::from_str(input).expect("json");
        assert_eq!(input["ArrayProperties"]["Size"], 3);
        assert_eq!(input["JobQueue"], "${JobQueue}");
        let container = &r["JobDefinition"]["Properties"]["ContainerProperties"];
        assert_eq!(
            container["Command"],
            serde_json::json!([
                "schedule",
                "run",
                "nightly",
                "--shard-from-env",
                "AWS_BATCH_JOB_ARRAY_INDEX",
                "--config",
                CONFIG
            ])
        );
        assert_eq!(container["ResourceRequirements"][1]["Value"], "1024");
        let policy = &r["JobRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
        assert_eq!(policy[0]["Action"], serde_json::json!(["iam:CreateUser"]));
        assert_eq!(policy[0]["Resource"], "*");
        assert_eq!(
            policy[1]["Condition"]["StringLike"]["s3:prefix"],
            serde_json::json!(["gameday", "gameday/*"])
        );
        assert_eq!(
            policy[2]["Resource"]["Fn::Sub"],
            "arn:${AWS::Partition}:s3:::runs-bucket/gameday/*"
        );
        // One shard is a single job: no array.
        let mut one = cloud();
        one.shards = 1;
        let spec = cron("0 10 * * TUE", "UTC");
        let text =
            export("nightly", &spec, ExportFormat::AwsBatch, EXE, CONFIG, &one).expect("export");
        assert!(!text.contains("ArrayProperties"), "{text}");
    }

    #[test]
    fn cloud_exports_refuse_a_local_runs_dir_and_want_a_role() {
        let spec = cron("0 10 * * TUE", "UTC");
        for (format, name) in [
            (ExportFormat::Kubernetes, "kubernetes"),
            (ExportFormat::AwsBatch, "aws-batch"),
        ] {
            let mut local = cloud();
            local.runs_dir = "runs/weekly".to_owned();
            assert_eq!(
                export("nightly", &spec, format, EXE, CONFIG, &local),
                Err(format!(
                    "{name}: runs_dir `runs/weekly` is not on S3; pods and Batch jobs share no \
                     disk, so set the plan's runs_dir to s3://BUCKET/PREFIX"
                ))
            );
            local.runs_dir = "s3://A_B/x".to_owned();
            assert!(
                export("nightly", &spec, format, EXE, CONFIG, &local)
                    .is_err_and(|e| e.contains("not an S3 bucket name"))
            );
        }
        for (role, says) in [
            (None, "kubernetes: --role-arn ARN is required"),
            (
                Some("gameday"),
                "--role-arn: `gameday` is not an IAM role ARN",
            ),
        ] {
            let mut c = cloud();
            c.role_arn = role.map(str::to_owned);
            let e = export("nightly", &spec, ExportFormat::Kubernetes, EXE, CONFIG, &c);
            assert!(e.as_ref().is_err_and(|e| e.starts_with(says)), "{e:?}");
        }
    }

    #[test]
    fn cron_fields_as_eventbridge_scheduler_expressions() {
        let ny = |e: &str| cron(e, "America/New_York");
        let batch = |e: &str| rules(&ny(e), ExportFormat::AwsBatch);
        assert_eq!(
            batch("*/15 9-17/2 * JAN-MAR,OCT 1-5"),
            ["cron(0,15,30,45 9,11,13,15,17 ? 1-3,10 MON-FRI *)"]
        );
        assert_eq!(batch("0 10 1,15 * *"), ["cron(0 10 1,15 * ? *)"]);
        assert_eq!(batch("0 10 * * *"), ["cron(0 10 * * ? *)"]);
        assert_eq!(
            batch("0 10 * * FRI-SUN,WED"),
            ["cron(0 10 ? * SUN,WED,FRI,SAT *)"]
        );
        assert_eq!(
            err(&ny("0 10 13 * FRI"), ExportFormat::AwsBatch),
            "cron: day-of-month `13` and day-of-week `5` both restricted: EventBridge \
             Scheduler takes one of them, not both (cron fires when either matches)"
        );
        assert_eq!(
            rules(&weekdays_window("09:30", "16:15"), ExportFormat::AwsBatch),
            ["cron(* 9-16 ? * MON-FRI *)"]
        );
    }

    #[test]
    fn unannounced_plan_as_crontab() {
        assert_eq!(
            out(&weekdays_window("10:00", "16:00"), ExportFormat::Crontab),
            "# gameday plan nightly: once a week, at a random moment between 10:00 and 16:00 on \
             mon–fri (Europe/Berlin)\n\
             # Fires every minute of the window; `--if-due` runs the plan only at the moment \
             drawn for the period.\n\
             CRON_TZ=Europe/Berlin\n\
             * 10-15 * * 1-5  /usr/local/bin/gameday schedule run nightly --if-due --config \
             /etc/gameday/gameday.yaml\n"
        );
        // Bounds off the hour: the exact minutes, in up to three lines.
        assert_eq!(
            rules(&weekdays_window("09:30", "16:15"), ExportFormat::Crontab),
            ["30-59 9 * * 1-5", "* 10-15 * * 1-5", "0-14 16 * * 1-5"]
        );
        assert_eq!(
            rules(&weekdays_window("10:15", "10:45"), ExportFormat::Crontab),
            ["15-44 10 * * 1-5"]
        );
        assert_eq!(
            rules(&weekdays_window("10:15", "11:00"), ExportFormat::Crontab),
            ["15-59 10 * * 1-5"]
        );
        assert_eq!(
            rules(&weekdays_window("23:00", "24:00"), ExportFormat::Crontab),
            ["* 23 * * 1-5"]
        );
        assert_eq!(
            rules(&weekdays_window("00:00", "00:01"), ExportFormat::Crontab),
            ["0 0 * * 1-5"]
        );
    }

    #[test]
    fn unannounced_plan_as_systemd_units() {
        let text = out(&weekdays_window("09:30", "16:15"), ExportFormat::Systemd);
        assert_eq!(
            text,
            "# --- gameday-nightly.service ---\n\
             [Unit]\n\
             Description=gameday plan nightly\n\
             \n\
             [Service]\n\
             Type=oneshot\n\
             ExecStart=/usr/local/bin/gameday schedule run nightly --if-due --config \
             /etc/gameday/gameday.yaml\n\
             \n\
             # --- gameday-nightly.timer ---\n\
             # Fires every minute of the window; `--if-due` runs the plan only at the moment \
             drawn for the period.\n\
             [Unit]\n\
             Description=gameday plan nightly: once a week, at a random moment between 09:30 \
             and 16:15 on mon–fri (Europe/Berlin)\n\
             \n\
             [Timer]\n\
             OnCalendar=Mon..Fri *-*-* 09:30..59:00 Europe/Berlin\n\
             OnCalendar=Mon..Fri *-*-* 10..15:*:00 Europe/Berlin\n\
             OnCalendar=Mon..Fri *-*-* 16:00..14:00 Europe/Berlin\n\
             Persistent=false\n\
             \n\
             [Install]\n\
             WantedBy=timers.target\n"
        );
        assert_eq!(
            rules(&weekdays_window("10:00", "16:00"), ExportFormat::Systemd),
            ["Mon..Fri *-*-* 10..15:*:00 Europe/Berlin"]
        );
        let mut weekend = weekdays_window("22:00", "24:00");
        if let Some(w) = weekend.unannounced.as_mut() {
            w.days = vec![Day::Sun, Day::Sat];
        }
        assert_eq!(
            rules(&weekend, ExportFormat::Systemd),
            ["Sat,Sun *-*-* 22..23:*:00 Europe/Berlin"]
        );
        assert_eq!(rules(&weekend, ExportFormat::Crontab), ["* 22-23 * * 0,6"]);
        if let Some(w) = weekend.unannounced.as_mut() {
            w.days = Day::ALL.to_vec();
        }
        assert_eq!(
            rules(&weekend, ExportFormat::Systemd),
            ["*-*-* 22..23:*:00 Europe/Berlin"]
        );
        assert_eq!(rules(&weekend, ExportFormat::Crontab), ["* 22-23 * * *"]);
    }

    #[test]
    fn unannounced_plan_as_kubernetes_cronjob() {
        let text = out(&weekdays_window("10:00", "16:00"), ExportFormat::Kubernetes);
        assert!(text.starts_with(
            "# gameday plan nightly: once a week, at a random moment between 10:00 and 16:00 on \
             mon–fri (Europe/Berlin)\n\
             # Fires every minute of the window; `--if-due` runs the plan only at the moment \
             drawn for the period.\n"
        ));
        assert!(
            text.contains("\n  schedule: \"* 10-15 * * 1-5\"\n"),
            "{text}"
        );
        let v = last_doc(&text);
        assert_eq!(v["spec"]["timeZone"], "Europe/Berlin");
        assert_eq!(v["spec"]["concurrencyPolicy"], "Forbid");
        assert_eq!(
            v["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"],
            serde_json::json!([
                "schedule",
                "run",
                "nightly",
                "--shard-from-env",
                "JOB_COMPLETION_INDEX",
                "--if-due",
                "--config",
                CONFIG
            ])
        );
        // One schedule: the hours that cover the window.
        assert_eq!(
            rules(&weekdays_window("09:30", "16:15"), ExportFormat::Kubernetes),
            ["* 9-16 * * 1-5"]
        );
        assert_eq!(
            rules(&weekdays_window("10:15", "10:45"), ExportFormat::Kubernetes),
            ["* 10 * * 1-5"]
        );
        assert_eq!(
            rules(&weekdays_window("22:00", "24:00"), ExportFormat::Kubernetes),
            ["* 22-23 * * 1-5"]
        );
    }

    #[test]
    fn cron_fields_translate() {
        use ExportFormat::{Crontab, Kubernetes, Systemd};
        let ny = |e: &str| cron(e, "America/New_York");
        // Steps, ranges, lists and names; a stepped `*` day of month stays restricted.
        let spec = ny("*/15 9-17/2 */2 JAN-MAR,OCT 1-5");
        assert_eq!(rules(&spec, Crontab), ["*/15 9-17/2 1-31/2 1-3,10 1-5"]);
        assert_eq!(rules(&spec, Kubernetes), ["*/15 9-17/2 1-31/2 1-3,10 1-5"]);
        // Either day field matching is enough: two calendar events.
        assert_eq!(
            rules(&spec, Systemd),
            [
                "*-01..03,10-01/2 09..17/2:00/15:00 America/New_York",
                "Mon..Fri *-01..03,10-* 09..17/2:00/15:00 America/New_York"
            ]
        );
        assert_eq!(
            rules(&ny("0 10 13 * FRI"), Systemd),
            [
                "*-*-13 10:00:00 America/New_York",
                "Fri *-*-* 10:00:00 America/New_York"
            ]
        );
        // `+`: both must match, which only systemd can say.
        assert_eq!(
            rules(&ny("0 10 1 * +MON"), Systemd),
            ["Mon *-*-01 10:00:00 America/New_York"]
        );
        assert_eq!(
            err(&ny("0 10 1 * +MON"), Crontab),
            "cron: day-of-week `+MON`: `+` (day-of-month and day-of-week both) has no crontab \
             form, where either matching is enough"
        );
        assert!(err(&ny("0 10 1 * +MON"), Kubernetes).contains("no kubernetes form"));
        assert_eq!(rules(&ny("0 10 * * +MON"), Crontab), ["0 10 * * 1"]);
        // Weekdays: Sunday is 0 (and 7), ranges may end on Sunday, `?` is `*`.
        assert_eq!(
            rules(&ny("0 10 * * FRI-SUN,WED"), Crontab),
            ["0 10 * * 0,3,5,6"]
        );
        assert_eq!(
            rules(&ny("0 10 * * FRI-SUN,WED"), Systemd),
            ["Wed,Fri..Sun *-*-* 10:00:00 America/New_York"]
        );
        assert_eq!(rules(&ny("0 10 * * 0-7"), Kubernetes), ["0 10 * * 0-6"]);
        assert_eq!(rules(&ny("0 10 * * */2"), Crontab), ["0 10 * * 0,2,4,6"]);
        assert_eq!(
            rules(&ny("0 10 * * */2"), Systemd),
            ["Tue,Thu,Sat,Sun *-*-* 10:00:00 America/New_York"]
        );
        assert_eq!(rules(&ny("0 10 ? * ?"), Crontab), ["0 10 * * *"]);
        assert_eq!(
            rules(&ny("0 10 ? * ?"), Systemd),
            ["*-*-* 10:00:00 America/New_York"]
        );
        // Nicknames and a zero seconds field.
        assert_eq!(rules(&ny("@weekly"), Crontab), ["0 0 * * 0"]);
        assert_eq!(
            rules(&ny("@weekly"), Systemd),
            ["Sun *-*-* 00:00:00 America/New_York"]
        );
        assert_eq!(rules(&ny("0 30 6 * * *"), Crontab), ["30 6 * * *"]);
        assert_eq!(
            rules(&ny("0 30 6 * * *"), Systemd),
            ["*-*-* 06:30:00 America/New_York"]
        );
        assert_eq!(rules(&ny("0 30 6 * * *"), Kubernetes), ["30 6 * * *"]);
    }

    #[test]
    fn export_errors() {
        use ExportFormat::{Crontab, Kubernetes, Systemd};
        let ny = |e: &str| cron(e, "America/New_York");
        for f in ExportFormat::ALL {
            assert_eq!(
                err(&ny("30 0 10 * * *"), f),
                format!(
                    "cron: seconds `30` cannot be exported to {f}, which fires on whole minutes; \
                     use 0 or a 5-field expression"
                )
            );
            assert_eq!(
                err(&ny("0 10 L * *"), f),
                format!(
                    "cron: day-of-month `L` uses `L` (last), which has no {f} form; only `*`, \
                     numbers, names, lists, ranges and steps can be exported"
                )
            );
            assert!(err(&ny("0 10 15W * *"), f).starts_with("cron: day-of-month `15W` uses `W`"));
            assert!(err(&ny("0 10 * * 5#2"), f).starts_with("cron: day-of-week `5#2` uses `#`"));
            assert!(err(&ny("0 10 * * 5L"), f).starts_with("cron: day-of-week `5L` uses `L`"));
            // The schedule's own errors come first.
            assert_eq!(err(&ny("0 0 30 2 *"), f), "cron: `0 0 30 2 *` never fires");
            assert_eq!(
                err(&cron("0 10 * * *", "Mars/Olympus"), f),
                "timezone: unknown time zone `Mars/Olympus`"
            );
        }
        let mut spec = weekdays_window("16:00", "10:00");
        assert!(err(&spec, Systemd).starts_with("unannounced.to: "));
        spec = ny("0 10 * * *");
        spec.unannounced = weekdays_window("10:00", "11:00").unannounced;
        assert!(err(&spec, Crontab).starts_with("exactly one of `cron` and `unannounced`"));
        let spec = ny("0 10 * * *");
        assert_eq!(
            export("nightly", &spec, Kubernetes, EXE, "a\nb", &cloud()),
            Err("config: `a\\nb` contains a control character".to_owned())
        );
        assert_eq!(
            export("", &spec, Crontab, EXE, CONFIG, &cloud()),
            Err("plan: must not be empty".to_owned())
        );
    }

    #[test]
    fn commands_are_quoted() {
        let spec = cron("0 10 * * *", "UTC");
        let plan = "My Plan_1.%x";
        let exe = "/opt/game day/gameday";
        let config = "/etc/it's $HOME/50%.yaml";
        let crontab =
            export(plan, &spec, ExportFormat::Crontab, exe, config, &cloud()).expect("export");
        assert!(
            crontab.ends_with(
                "\n0 10 * * *  '/opt/game day/gameday' schedule run 'My Plan_1.\\%x' --config \
                 '/etc/it'\\''s $HOME/50\\%.yaml'\n"
            ),
            "{crontab}"
        );
        let systemd =
            export(plan, &spec, ExportFormat::Systemd, exe, config, &cloud()).expect("export");
        assert!(
            systemd.contains(
                "\nExecStart=\"/opt/game day/gameday\" schedule run \"My Plan_1.%%x\" --config \
                 \"/etc/it's $$HOME/50%%.yaml\"\n"
            ),
            "{systemd}"
        );
        assert!(systemd.starts_with("# --- gameday-My\\x20Plan_1.\\x25x.service ---\n"));
        assert!(systemd.contains("\n# --- gameday-My\\x20Plan_1.\\x25x.timer ---\n"));
        assert!(systemd.contains("\nDescription=gameday plan My Plan_1.%%x\n"));
        let k8s =
            export(plan, &spec, ExportFormat::Kubernetes, exe, config, &cloud()).expect("export");
        let v = last_doc(&k8s);
        assert_eq!(v["metadata"]["annotations"]["gameday/plan"], plan);
        assert_eq!(
            v["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"],
            serde_json::json!([
                "schedule",
                "run",
                plan,
                "--shard-from-env",
                "JOB_COMPLETION_INDEX",
                "--config",
                config
            ])
        );
    }

    #[test]
    fn cronjob_names_are_dns_labels() {
        assert_eq!(dns1123_name("nightly"), "gameday-nightly");
        assert_eq!(dns1123_name("eu-west-1"), "gameday-eu-west-1");
        let odd = dns1123_name("My Plan_1.%x");
        assert!(odd.starts_with("gameday-my-plan-1-x-"), "{odd}");
        assert_ne!(odd, dns1123_name("my-plan-1-x"));
        assert_ne!(odd, dns1123_name("My_Plan_1.%x"));
        let long = dns1123_name(&"a".repeat(80));
        assert_eq!(long.len(), 52);
        for name in [odd, long, dns1123_name("--"), dns1123_name("ÄÖÜ")] {
            assert!(name.len() <= 52, "{name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name}"
            );
            assert!(!name.starts_with('-') && !name.ends_with('-'), "{name}");
        }
    }
}
