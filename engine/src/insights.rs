//! CloudWatch Logs Insights query text: a `logs` detection's query split into its
//! commands, the whole query gameday sends, and the part of the language the simulator
//! evaluates.
//!
//! A detection gives the commands that choose its rows (`filter`, `parse`); gameday puts
//! the fields it reads in front and the order it needs behind, so that the first row is
//! the earliest: `fields @timestamp, @message, @logStream, @log | QUERY | sort @timestamp
//! asc | limit 10000`. The text goes to StartQuery as a parameter and nowhere else.

use serde_json::Value;

/// The commands a detection's query may use: those that choose rows. The others would
/// aggregate (`stats`), reorder or cut (`sort`, `limit`, `dedup`) or hide (`display`,
/// `fields`) the rows gameday reads the first of.
pub const ALLOWED: &[&str] = &["filter", "parse"];

/// The most rows one query returns (Logs Insights' own maximum).
pub const MAX_ROWS: usize = 10_000;

/// The whole query for a detection's `query`.
pub fn full_query(query: &str) -> String {
    format!(
        "fields @timestamp, @message, @logStream, @log | {} | sort @timestamp asc | limit {MAX_ROWS}",
        query.trim()
    )
}

/// The commands of `query`, split at the pipes outside quotes, backquotes and regular
/// expressions (`like /a|b/`), trimmed.
pub fn commands(query: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut start = 0;
    let mut prev = ' ';
    for (i, c) in query.char_indices() {
        match quote {
            Some(q) if c == q && prev != '\\' => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`') => quote = Some(c),
            None if c == '/' && opens_regex(&query[start..i]) => quote = Some('/'),
            None if c == '|' => {
                out.push(query[start..i].trim());
                start = i + 1;
            }
            None => {}
        }
        prev = c;
    }
    out.push(query[start..].trim());
    out
}

/// Whether a `/` after `before` opens a regular expression (after `like`, `=~`, `parse`
/// and the field of `parse`).
fn opens_regex(before: &str) -> bool {
    let t = before.trim_end();
    t.ends_with("like") || t.ends_with("=~") || t.ends_with("parse") || t.starts_with("parse")
}

/// The first word of a command, lower case.
pub fn verb(command: &str) -> String {
    command
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// One comparison of a `filter`.
#[derive(Debug, Clone, PartialEq)]
struct Condition {
    field: Vec<String>,
    op: Op,
    value: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Equal,
    NotEqual,
    Like,
    NotLike,
}

/// A query the simulator can evaluate: `filter`s of comparisons joined by `and`, then at
/// most `limit` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluable {
    conditions: Vec<Condition>,
    limit: usize,
}

/// What the simulator evaluates, in words, for its refusals.
const SUBSET: &str = "the simulator evaluates `filter` with comparisons joined by `and`: \
                      FIELD = \"text\", FIELD != \"text\", FIELD like \"text\", FIELD not like \
                      \"text\" (a /regex/ of plain text reads as that text); FIELD is @message, \
                      @logStream, @log or a field of the JSON message (detail.type, \
                      `detail-type`)";

impl Evaluable {
    /// Parses a whole query (see [`full_query`]); what the simulator cannot evaluate is an
    /// error saying so.
    pub fn parse(query: &str) -> Result<Evaluable, String> {
        let mut out = Evaluable {
            conditions: Vec::new(),
            limit: MAX_ROWS,
        };
        for command in commands(query) {
            let verb = verb(command);
            let rest = command[verb.len()..].trim();
            match verb.as_str() {
                "fields" | "sort" => {}
                "limit" => {
                    out.limit = rest
                        .parse()
                        .map_err(|_| format!("`limit {rest}` is not a number of rows"))?;
                }
                "filter" => {
                    for part in split_and(rest) {
                        out.conditions.push(condition(part)?);
                    }
                }
                other => return Err(format!("`{other}` is not evaluated: {SUBSET}")),
            }
        }
        Ok(out)
    }

    /// Whether a log event with `message`, in `group` and `stream`, passes every filter.
    pub fn matches(&self, message: &str, group: &str, stream: &str) -> bool {
        let json: Option<Value> = serde_json::from_str(message).ok();
        self.conditions.iter().all(|c| {
            let got: Option<String> = match c.field.first().map(String::as_str) {
                Some("@message") if c.field.len() == 1 => Some(message.to_owned()),
                Some("@log") if c.field.len() == 1 => Some(group.to_owned()),
                Some("@logStream") if c.field.len() == 1 => Some(stream.to_owned()),
                _ => json
                    .as_ref()
                    .and_then(|j| c.field.iter().try_fold(j, |v, k| v.get(k)))
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    }),
            };
            match (c.op, got) {
                (Op::Equal, Some(g)) => g == c.value,
                (Op::NotEqual, g) => g.as_deref() != Some(c.value.as_str()),
                (Op::Like, Some(g)) => g.contains(&c.value),
                (Op::NotLike, g) => !g.is_some_and(|g| g.contains(&c.value)),
                (_, None) => false,
            }
        })
    }

    /// The most rows it returns.
    pub fn limit(&self) -> usize {
        self.limit
    }
}

/// `a and b and c`, split at the `and`s outside quotes.
fn split_and(expr: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in expr.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`' | '/') => quote = Some(c),
            None if c == ' '
                && i >= start
                && expr[i..].to_ascii_lowercase().starts_with(" and ") =>
            {
                out.push(expr[start..i].trim());
                start = i + " and ".len();
            }
            None => {}
        }
    }
    out.push(expr[start..].trim());
    out
}

/// A field name: `@message`, `detail.type`, `` `detail-type` ``, `` detail.`a-b` ``.
fn field(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let (part, after) = match rest.strip_prefix('`') {
            Some(r) => {
                let end = r
                    .find('`')
                    .ok_or_else(|| format!("`{text}`: a ` is not closed"))?;
                (&r[..end], &r[end + 1..])
            }
            None => {
                let end = rest.find('.').unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            }
        };
        let ok = part
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '@' | '_' | '-' | ':'));
        if part.is_empty() || !ok {
            return Err(format!("`{text}` is not a field: {SUBSET}"));
        }
        out.push(part.to_owned());
        rest = after.strip_prefix('.').unwrap_or(after);
    }
    Ok(out)
}

/// A quoted text, a number, or a /regex/ of plain text.
fn literal(text: &str) -> Result<String, String> {
    let t = text.trim();
    for q in ['"', '\'', '/'] {
        if let Some(inner) = t.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            let plain = q != '/' || !inner.chars().any(|c| "\\^$.|?*+()[]{}".contains(c));
            return if plain {
                Ok(inner.to_owned())
            } else {
                Err(format!("`{t}` is a regular expression: {SUBSET}"))
            };
        }
    }
    if t.parse::<f64>().is_ok() {
        return Ok(t.to_owned());
    }
    Err(format!("`{t}` is not a quoted text or a number: {SUBSET}"))
}

/// `FIELD OP VALUE`.
fn condition(text: &str) -> Result<Condition, String> {
    let lower = text.to_ascii_lowercase();
    for (word, op) in [
        (" not like ", Op::NotLike),
        (" like ", Op::Like),
        ("!=", Op::NotEqual),
        ("=", Op::Equal),
    ] {
        if let Some(at) = lower.find(word) {
            let (f, v) = (&text[..at], &text[at + word.len()..]);
            if lower.contains(" or ") || f.trim().to_ascii_lowercase().starts_with("not ") {
                break;
            }
            return Ok(Condition {
                field: field(f)?,
                op,
                value: literal(v)?,
            });
        }
    }
    Err(format!("`{text}` is not evaluated: {SUBSET}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_split_at_pipes_outside_quotes_and_regexes() {
        assert_eq!(
            commands(
                r#"filter a = "x|y" | filter @message like /b|c/ | parse @message "k=*" as k"#
            ),
            vec![
                r#"filter a = "x|y""#,
                "filter @message like /b|c/",
                r#"parse @message "k=*" as k"#
            ]
        );
        assert_eq!(verb("  FILTER x = 1"), "filter");
    }

    #[test]
    fn the_whole_query_reads_the_fields_and_orders_the_earliest_first() {
        assert_eq!(
            full_query(" filter x = 1 "),
            "fields @timestamp, @message, @logStream, @log | filter x = 1 | sort @timestamp asc | limit 10000"
        );
    }

    #[test]
    fn filters_compare_json_fields_and_the_message() {
        let q = Evaluable::parse(&full_query(
            r#"filter source = "aws.guardduty" and detail.type = 'PenTest:IAMUser/KaliLinux' | filter @message like "AKIA1" and `detail-type` != "Other""#,
        ))
        .expect("evaluable");
        let event = r#"{"source":"aws.guardduty","detail-type":"GuardDuty Finding","detail":{"type":"PenTest:IAMUser/KaliLinux","resource":{"id":"AKIA1"}}}"#;
        assert!(q.matches(event, "/aws/events/x", "s"));
        assert!(!q.matches(&event.replace("AKIA1", "AKIA2"), "g", "s"));
        assert!(!q.matches(&event.replace("aws.guardduty", "aws.iam"), "g", "s"));
        assert!(!q.matches("not json AKIA1", "g", "s"), "no such field");
        let numbers = Evaluable::parse("filter detail.severity = 5").expect("evaluable");
        assert!(numbers.matches(r#"{"detail":{"severity":5}}"#, "g", "s"));
        let groups = Evaluable::parse(r#"filter @log like "trail" and @logStream = "s1""#)
            .expect("evaluable");
        assert!(groups.matches("x", "aws-cloudtrail-logs", "s1"));
        assert!(!groups.matches("x", "aws-cloudtrail-logs", "s2"));
        assert_eq!(Evaluable::parse("limit 3").map(|e| e.limit()), Ok(3));
    }

    #[test]
    fn what_the_simulator_cannot_evaluate_it_says() {
        for q in [
            "stats count(*) by bin(5m)",
            "filter a = 1 or b = 2",
            "filter not a = 1",
            r#"filter @message like /a.*b/"#,
            "filter a = b",
            r#"parse @message "k=*" as k"#,
        ] {
            let e = Evaluable::parse(q).expect_err(q);
            assert!(e.contains("the simulator evaluates"), "{q}: {e}");
        }
    }
}
