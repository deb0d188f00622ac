//! EventBridge event patterns: the part of their language gameday checks and matches.
//!
//! On AWS the run's rule sends what its pattern matches to the run's queue, and gameday
//! matches each arriving event against the detection's pattern again (the queue also
//! carries other rules' events, and the rule's pattern leaves out values only known once
//! the run has made them). The simulator matches its events with the same function.
//!
//! Supported, as EventBridge defines them: nested fields; a list of values, any of which
//! matches (strings, numbers compared as numbers, booleans, null); an event array
//! matching when any element does; `prefix`, `suffix`, `equals-ignore-case`,
//! `anything-but` (a value, a list, or `{"prefix": …}`), `exists`, and `numeric` with
//! `<`, `<=`, `=`, `>=`, `>`.

use serde_json::{Map, Value};

/// The operators [`matches`] knows.
pub const OPERATORS: &[&str] = &[
    "prefix",
    "suffix",
    "equals-ignore-case",
    "anything-but",
    "exists",
    "numeric",
];

/// What is wrong with `pattern`, each at its path (`detail.state`): not an object of
/// fields, a field that is neither an object nor a list, an unknown operator.
pub fn check(pattern: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match pattern {
        Value::Object(fields) if !fields.is_empty() => check_fields(fields, "", &mut out),
        _ => out.push(
            "a pattern is a mapping of event fields, such as { source: [aws.guardduty] }".into(),
        ),
    }
    out
}

fn check_fields(fields: &Map<String, Value>, at: &str, out: &mut Vec<String>) {
    for (k, v) in fields {
        let path = if at.is_empty() {
            k.clone()
        } else {
            format!("{at}.{k}")
        };
        match v {
            Value::Object(inner) => check_fields(inner, &path, out),
            Value::Array(values) => {
                for m in values {
                    if let Value::Object(op) = m {
                        let name = op.keys().next().map(String::as_str).unwrap_or_default();
                        if op.len() != 1 || !OPERATORS.contains(&name) {
                            out.push(format!(
                                "{path}: `{name}` is not an operator gameday matches (it knows {})",
                                OPERATORS.join(", ")
                            ));
                        }
                    } else if m.is_array() {
                        out.push(format!("{path}: a value in a list cannot be a list"));
                    }
                }
            }
            _ => out.push(format!(
                "{path}: a field's values are a list, such as [\"{}\"]",
                v.as_str().unwrap_or("value")
            )),
        }
    }
}

/// Whether `event` matches `pattern` (a pattern [`check`] accepts).
pub fn matches(pattern: &Value, event: &Value) -> bool {
    match pattern {
        Value::Object(fields) => fields.iter().all(|(k, want)| {
            let got = event.get(k);
            match want {
                Value::Object(_) => got.is_some_and(|g| matches(want, g)),
                Value::Array(values) => values.iter().any(|m| field_matches(m, got)),
                _ => false,
            }
        }),
        _ => false,
    }
}

/// Whether the field's value `got` (absent: `None`) matches one value of a pattern's list.
fn field_matches(m: &Value, got: Option<&Value>) -> bool {
    if let Some(Value::Object(op)) = Some(m)
        && let Some(want) = op.get("exists")
    {
        return want.as_bool() == Some(got.is_some_and(|g| !g.is_object()));
    }
    let Some(got) = got else {
        return false;
    };
    match got {
        // An array matches when one of its elements does.
        Value::Array(items) => items.iter().any(|i| value_matches(m, i)),
        _ => value_matches(m, got),
    }
}

fn same(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => want == got,
    }
}

fn value_matches(m: &Value, got: &Value) -> bool {
    let Value::Object(op) = m else {
        return same(m, got);
    };
    let text = got.as_str();
    match op.iter().next() {
        Some((name, want)) => match (name.as_str(), want) {
            ("prefix", Value::String(p)) => text.is_some_and(|t| t.starts_with(p.as_str())),
            ("suffix", Value::String(s)) => text.is_some_and(|t| t.ends_with(s.as_str())),
            ("equals-ignore-case", Value::String(s)) => {
                text.is_some_and(|t| t.eq_ignore_ascii_case(s))
            }
            ("anything-but", Value::Array(list)) => !list.iter().any(|w| same(w, got)),
            ("anything-but", Value::Object(inner)) => match inner.get("prefix") {
                Some(Value::String(p)) => text.is_some_and(|t| !t.starts_with(p.as_str())),
                _ => false,
            },
            ("anything-but", w) => !same(w, got),
            ("numeric", Value::Array(terms)) => numeric(terms, got),
            _ => false,
        },
        None => false,
    }
}

/// `["<", 10, ">=", 2]` against a number.
fn numeric(terms: &[Value], got: &Value) -> bool {
    let Some(x) = got.as_f64() else {
        return false;
    };
    !terms.is_empty()
        && terms.chunks(2).all(|pair| match pair {
            [Value::String(op), n] => n.as_f64().is_some_and(|n| match op.as_str() {
                "<" => x < n,
                "<=" => x <= n,
                "=" => x == n,
                ">=" => x >= n,
                ">" => x > n,
                _ => false,
            }),
            _ => false,
        })
}

/// The pattern of the rule that delivers what `pattern` matches, known before the run
/// makes anything: its fields whose values still hold a `${…}` reference are left out,
/// so the rule matches at least what the pattern does. `None` when no field is left.
pub fn for_rule(pattern: &Value) -> Option<Value> {
    fn prune(v: &Value) -> Option<Value> {
        match v {
            Value::Object(fields) => {
                let kept: Map<String, Value> = fields
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), prune(v)?)))
                    .collect();
                (!kept.is_empty()).then_some(Value::Object(kept))
            }
            other => (!other.to_string().contains("${")).then(|| other.clone()),
        }
    }
    prune(pattern)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn finding() -> Value {
        json!({
            "source": "aws.guardduty",
            "detail-type": "GuardDuty Finding",
            "time": "2026-12-05T10:00:02Z",
            "resources": [],
            "detail": {
                "type": "PenTest:IAMUser/KaliLinux",
                "severity": 5,
                "resource": { "accessKeyDetails": { "accessKeyId": "AKIA1", "userName": "ci" } },
                "service": { "additionalInfo": { "sample": false } },
                "tags": ["a", "b"]
            }
        })
    }

    #[test]
    fn exact_values_and_nested_fields() {
        let e = finding();
        assert!(matches(&json!({"source": ["aws.guardduty"]}), &e));
        assert!(matches(
            &json!({"source": ["aws.iam", "aws.guardduty"]}),
            &e
        ));
        assert!(!matches(&json!({"source": ["aws.iam"]}), &e));
        assert!(matches(
            &json!({"detail": {"resource": {"accessKeyDetails": {"accessKeyId": ["AKIA1"]}}}}),
            &e
        ));
        assert!(!matches(&json!({"detail": {"nope": {"x": ["AKIA1"]}}}), &e));
        assert!(
            matches(&json!({"detail": {"severity": [5.0]}}), &e),
            "numbers as numbers"
        );
        assert!(matches(
            &json!({"detail": {"service": {"additionalInfo": {"sample": [false]}}}}),
            &e
        ));
        assert!(
            matches(&json!({"detail": {"tags": ["b"]}}), &e),
            "any element of an array"
        );
        assert!(
            !matches(&json!({"source": "aws.guardduty"}), &e),
            "values are lists"
        );
    }

    #[test]
    fn prefix_suffix_case_anything_but_exists_numeric() {
        let e = finding();
        let d = |m: Value| json!({"detail": {"type": [m]}});
        assert!(matches(&d(json!({"prefix": "PenTest:"})), &e));
        assert!(!matches(&d(json!({"prefix": "Recon:"})), &e));
        assert!(matches(&d(json!({"suffix": "/KaliLinux"})), &e));
        assert!(matches(
            &d(json!({"equals-ignore-case": "pentest:iamuser/kalilinux"})),
            &e
        ));
        assert!(matches(
            &d(json!({"anything-but": "Recon:IAMUser/TorIPCaller"})),
            &e
        ));
        assert!(!matches(
            &d(json!({"anything-but": ["PenTest:IAMUser/KaliLinux"]})),
            &e
        ));
        assert!(!matches(
            &d(json!({"anything-but": {"prefix": "PenTest"}})),
            &e
        ));
        assert!(matches(&d(json!({"exists": true})), &e));
        assert!(matches(
            &json!({"detail": {"archived": [{"exists": false}]}}),
            &e
        ));
        assert!(!matches(
            &json!({"detail": {"archived": [{"exists": true}]}}),
            &e
        ));
        assert!(
            !matches(
                &json!({"detail": {"archived": [{"anything-but": "x"}]}}),
                &e
            ),
            "absent"
        );
        let sev = |t: Value| json!({"detail": {"severity": [{"numeric": t}]}});
        assert!(matches(&sev(json!([">=", 4, "<", 7])), &e));
        assert!(!matches(&sev(json!([">", 5])), &e));
        assert!(matches(&sev(json!(["=", 5])), &e));
    }

    #[test]
    fn what_it_does_not_know_it_says_where() {
        assert_eq!(
            check(
                &json!({"source": ["aws.guardduty"], "detail": {"severity": [{"numeric": [">", 4]}]}})
            ),
            Vec::<String>::new()
        );
        let e = check(
            &json!({"source": "aws.guardduty", "detail": {"x": [{"wildcard": "a*"}], "y": [[1]]}}),
        );
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(
            e[0].starts_with("detail.x: `wildcard` is not an operator"),
            "{e:?}"
        );
        assert!(e[1].starts_with("detail.y: a value in a list"), "{e:?}");
        assert!(
            e[2].starts_with("source: a field's values are a list"),
            "{e:?}"
        );
        assert_eq!(check(&json!([])).len(), 1);
    }

    #[test]
    fn the_rules_pattern_leaves_out_what_the_run_has_yet_to_make() {
        let p = json!({
            "source": ["aws.guardduty"],
            "detail": {"resource": {"accessKeyDetails": {"accessKeyId": ["${steps.key.access_key_id}"]}},
                       "type": ["PenTest:IAMUser/KaliLinux"]}
        });
        assert_eq!(
            for_rule(&p),
            Some(
                json!({"source": ["aws.guardduty"], "detail": {"type": ["PenTest:IAMUser/KaliLinux"]}})
            )
        );
        assert_eq!(for_rule(&json!({"detail": {"a": ["${x}"]}})), None);
    }
}
