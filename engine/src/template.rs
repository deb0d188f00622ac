//! `${...}` references inside scenario and runbook strings.
//!
//! A string is parsed once into literal text and references; validation checks the
//! references before anything runs, and evaluation substitutes them at run time.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// One `${...}` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// `${params.NAME}`
    Param(String),
    /// `${steps.ID}` (all outputs) or `${steps.ID.OUTPUT}`
    Step {
        /// The step id.
        step: String,
        /// The output name, or `None` for the whole output object.
        output: Option<String>,
    },
    /// `${run.FIELD}`: `id`, or `prefix` (the target's resource name prefix).
    Run(String),
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Param(p) => write!(f, "${{params.{p}}}"),
            Reference::Step { step, output: None } => write!(f, "${{steps.{step}}}"),
            Reference::Step {
                step,
                output: Some(o),
            } => write!(f, "${{steps.{step}.{o}}}"),
            Reference::Run(r) => write!(f, "${{run.{r}}}"),
        }
    }
}

/// A piece of a parsed string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text taken as it is.
    Literal(String),
    /// A reference to substitute.
    Ref(Reference),
}

/// Why a string's references did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// `${` without its closing `}`.
    #[error("`${{` is not closed by `}}`")]
    Unclosed,
    /// `${}` or `${ }`.
    #[error("empty reference `${{}}`")]
    Empty,
    /// A namespace other than params, steps, run.
    #[error("unknown reference `${{{0}}}`: references start with params., steps. or run.")]
    UnknownNamespace(String),
    /// A reference with the wrong number of parts.
    #[error("malformed reference `${{{0}}}`")]
    Malformed(String),
}

/// Splits `s` into literals and references. `$${` escapes a literal `${`.
pub fn parse(s: &str) -> Result<Vec<Part>, TemplateError> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = s;
    while let Some(pos) = rest.find("${") {
        if rest[..pos].ends_with('$') {
            literal.push_str(&rest[..pos - 1]);
            literal.push_str("${");
            rest = &rest[pos + 2..];
            continue;
        }
        literal.push_str(&rest[..pos]);
        let after = &rest[pos + 2..];
        let end = after.find('}').ok_or(TemplateError::Unclosed)?;
        let inner = after[..end].trim();
        if inner.is_empty() {
            return Err(TemplateError::Empty);
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(std::mem::take(&mut literal)));
        }
        parts.push(Part::Ref(parse_reference(inner)?));
        rest = &after[end + 1..];
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    Ok(parts)
}

fn parse_reference(inner: &str) -> Result<Reference, TemplateError> {
    let segs: Vec<&str> = inner.split('.').collect();
    let malformed = || TemplateError::Malformed(inner.to_owned());
    if segs.iter().any(|s| s.is_empty()) {
        return Err(malformed());
    }
    match segs.as_slice() {
        ["params", name] => Ok(Reference::Param((*name).to_owned())),
        ["steps", step] => Ok(Reference::Step {
            step: (*step).to_owned(),
            output: None,
        }),
        ["steps", step, output] => Ok(Reference::Step {
            step: (*step).to_owned(),
            output: Some((*output).to_owned()),
        }),
        ["run", field] => Ok(Reference::Run((*field).to_owned())),
        ["params" | "steps" | "run", ..] => Err(malformed()),
        _ => Err(TemplateError::UnknownNamespace(inner.to_owned())),
    }
}

/// Every string inside a JSON value with its key path below `base`, for checking.
pub fn strings<'v>(base: &str, value: &'v Value, out: &mut Vec<(String, &'v str)>) {
    match value {
        Value::String(s) => out.push((base.to_owned(), s)),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                strings(&format!("{base}[{i}]"), v, out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                strings(&format!("{base}.{k}"), v, out);
            }
        }
        _ => {}
    }
}

/// What references evaluate to at run time.
pub trait Scope {
    /// The value of one reference, or an error message.
    fn lookup(&self, reference: &Reference) -> Result<Value, String>;
}

/// Substitutes every reference inside `value`. A string that is exactly one reference
/// takes the referenced value whole (an object stays an object); otherwise references
/// are rendered into the text.
pub fn evaluate(value: &Value, scope: &dyn Scope) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => evaluate_str(s, scope)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| evaluate(v, scope))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), evaluate(v, scope)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

fn evaluate_str(s: &str, scope: &dyn Scope) -> Result<Value, String> {
    if !s.contains("${") {
        return Ok(Value::String(s.to_owned()));
    }
    let parts = parse(s).map_err(|e| e.to_string())?;
    if let [Part::Ref(r)] = parts.as_slice() {
        return scope.lookup(r);
    }
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Literal(l) => out.push_str(&l),
            Part::Ref(r) => match scope.lookup(&r)? {
                Value::String(s) => out.push_str(&s),
                Value::Number(n) => out.push_str(&n.to_string()),
                Value::Bool(b) => out.push_str(&b.to_string()),
                _ => return Err(format!("{r} is not text and cannot be part of a string")),
            },
        }
    }
    Ok(Value::String(out))
}

/// Whether `s` holds no reference (nothing to resolve): text whose value is known now.
pub fn is_plain(s: &str) -> bool {
    parse(s).is_ok_and(|parts| parts.iter().all(|p| matches!(p, Part::Literal(_))))
}

/// `s` as template text that evaluates to `s` itself: every `${` written `$${`.
pub fn escape(s: &str) -> String {
    s.replace("${", "$${")
}

/// The text of a template that holds no reference (`$${` read as `${`).
pub fn unescape(s: &str) -> String {
    match parse(s) {
        Ok(parts) => parts
            .into_iter()
            .map(|p| match p {
                Part::Literal(l) => l,
                Part::Ref(r) => r.to_string(),
            })
            .collect(),
        Err(_) => s.to_owned(),
    }
}

/// Resolves what `scope` knows inside `value` and leaves the rest for later, as template
/// text again: values substituted into text are escaped, so that a later [`evaluate`]
/// takes them as text and never as references (a parameter given as
/// `${steps.key.access_key_id}` stays those characters). A string that is exactly one
/// reference takes a non-text value whole.
pub fn resolve(value: &Value, scope: &dyn Scope) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => resolve_str(s, scope)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| resolve(v, scope))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), resolve(v, scope)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

fn resolve_str(s: &str, scope: &dyn Scope) -> Result<Value, String> {
    let parts = parse(s).map_err(|e| e.to_string())?;
    if let [Part::Ref(r @ (Reference::Param(_) | Reference::Run(_)))] = parts.as_slice() {
        return Ok(match scope.lookup(r)? {
            Value::String(text) => Value::String(escape(&text)),
            other => other,
        });
    }
    let mut out = String::new();
    for part in parts {
        let text = match part {
            Part::Literal(l) => escape(&l),
            Part::Ref(r @ Reference::Step { .. }) => {
                if out.ends_with('$') {
                    return Err(format!(
                        "a `$` right before {r} cannot be told from an escape: put a space between them"
                    ));
                }
                r.to_string()
            }
            Part::Ref(r) => match scope.lookup(&r)? {
                Value::String(s) => escape(&s),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(format!("{r} is not text and cannot be part of a string")),
            },
        };
        out.push_str(&text);
    }
    Ok(Value::String(out))
}

/// The fields of `${run.FIELD}`.
pub const RUN_FIELDS: &[&str] = &["id", "prefix"];

/// A scope that knows params and the run id, and leaves step references as they are:
/// what a plan can know before anything runs.
pub struct StaticScope<'a> {
    /// Parameter values.
    pub params: &'a BTreeMap<String, Value>,
    /// The run id.
    pub run_id: &'a str,
    /// The prefix of resource names.
    pub prefix: &'a str,
}

impl Scope for StaticScope<'_> {
    fn lookup(&self, reference: &Reference) -> Result<Value, String> {
        match reference {
            Reference::Param(p) => self
                .params
                .get(p)
                .cloned()
                .ok_or_else(|| format!("no parameter `{p}`")),
            Reference::Run(f) if f == "id" => Ok(Value::String(self.run_id.to_owned())),
            Reference::Run(f) if f == "prefix" => Ok(Value::String(self.prefix.to_owned())),
            Reference::Run(f) => Err(format!("no run field `{f}`")),
            step @ Reference::Step { .. } => Ok(Value::String(step.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_literals_and_references() {
        let parts = parse("gameday-${run.id}-${steps.key.access_key_id}!").expect("parses");
        assert_eq!(
            parts,
            vec![
                Part::Literal("gameday-".into()),
                Part::Ref(Reference::Run("id".into())),
                Part::Literal("-".into()),
                Part::Ref(Reference::Step {
                    step: "key".into(),
                    output: Some("access_key_id".into())
                }),
                Part::Literal("!".into()),
            ]
        );
        assert_eq!(
            parse("cost $${x}").expect("parses"),
            vec![Part::Literal("cost ${x}".into())]
        );
    }

    #[test]
    fn refuses_malformed_references() {
        assert_eq!(parse("${run.id"), Err(TemplateError::Unclosed));
        assert_eq!(parse("${}"), Err(TemplateError::Empty));
        assert!(matches!(
            parse("${env.HOME}"),
            Err(TemplateError::UnknownNamespace(_))
        ));
        assert!(matches!(
            parse("${steps.a.b.c}"),
            Err(TemplateError::Malformed(_))
        ));
        assert!(matches!(
            parse("${params.}"),
            Err(TemplateError::Malformed(_))
        ));
    }

    #[test]
    fn whole_references_keep_their_type() {
        let params = BTreeMap::from([("n".to_owned(), json!(6))]);
        let scope = StaticScope {
            params: &params,
            run_id: "r1",
            prefix: "gameday",
        };
        assert_eq!(evaluate(&json!("${params.n}"), &scope), Ok(json!(6)));
        assert_eq!(
            evaluate(&json!("min ${params.n}"), &scope),
            Ok(json!("min 6"))
        );
        assert_eq!(
            evaluate(&json!({"a": ["u-${run.id}"]}), &scope),
            Ok(json!({"a": ["u-r1"]}))
        );
        assert_eq!(
            evaluate(&json!("${steps.k}"), &scope),
            Ok(json!("${steps.k}"))
        );
    }

    /// A scope of run-time values: step `key` output `id` is `AKIA1`.
    struct Runtime;

    impl Scope for Runtime {
        fn lookup(&self, r: &Reference) -> Result<Value, String> {
            match r {
                Reference::Step { step, output }
                    if step == "key" && output.as_deref() == Some("id") =>
                {
                    Ok(json!("AKIA1"))
                }
                other => Err(format!("{other} unknown")),
            }
        }
    }

    #[test]
    fn resolved_values_stay_text_when_the_run_evaluates_them() {
        let params = BTreeMap::from([
            ("p".to_owned(), json!("${steps.key.id}")),
            ("q".to_owned(), json!("${nope")),
            ("n".to_owned(), json!(6)),
        ]);
        let scope = StaticScope {
            params: &params,
            run_id: "r1",
            prefix: "gameday",
        };
        for (template, at_run_time) in [
            ("${params.p}", json!("${steps.key.id}")),
            ("x-${params.p}", json!("x-${steps.key.id}")),
            ("${params.q}", json!("${nope")),
            ("cost $${x} ${run.id}", json!("cost ${x} r1")),
            ("${steps.key.id}-${run.id}", json!("AKIA1-r1")),
            ("${params.n}", json!(6)),
        ] {
            let planned = resolve(&json!(template), &scope).expect("resolves");
            assert_eq!(evaluate(&planned, &Runtime), Ok(at_run_time), "{template}");
        }
        assert!(resolve(&json!("a$${params.p}"), &scope).is_ok());
        assert!(resolve(&json!("$${run.id}$${steps.key.id}"), &scope).is_ok());
        assert_eq!(unescape("a$${b}"), "a${b}");
    }
}
