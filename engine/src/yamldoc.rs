//! Loading one YAML document: parse, check against the generated JSON Schema (every
//! problem at once, each with its position), then convert to the typed model.

use crate::diag::{Diagnostic, Diagnostics, suggest};
use crate::locate::{YamlIndex, child};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// A typed document with the index that maps its key paths to positions.
pub struct Loaded<T> {
    /// The typed document.
    pub value: T,
    /// Where each key path is in the file.
    pub index: YamlIndex,
    /// The file it came from.
    pub file: PathBuf,
}

impl<T> Loaded<T> {
    /// A diagnostic at the value of `path`.
    pub fn at(&self, path: &str, message: impl Into<String>, hint: Option<String>) -> Diagnostic {
        let pos = self.index.value(path);
        diagnostic(&self.file, path, pos, message.into(), hint)
    }

    /// A diagnostic at the key of `path`.
    pub fn at_key(
        &self,
        path: &str,
        message: impl Into<String>,
        hint: Option<String>,
    ) -> Diagnostic {
        let pos = self.index.key(path);
        diagnostic(&self.file, path, pos, message.into(), hint)
    }
}

fn diagnostic(
    file: &Path,
    path: &str,
    pos: crate::locate::Position,
    message: String,
    hint: Option<String>,
) -> Diagnostic {
    Diagnostic {
        file: file.to_owned(),
        line: pos.line,
        column: pos.column,
        path: path.to_owned(),
        message,
        hint,
    }
}

/// The JSON Schema of `T`, with subschemas inlined so that a schema path leads straight to
/// the object that holds the allowed keys.
pub fn schema_for<T: JsonSchema>() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    generator.into_root_schema_for::<T>().to_value()
}

/// A validator for `schema`; the schema is generated from our own types, so it compiles.
pub fn validator(schema: &Value) -> jsonschema::Validator {
    #[allow(clippy::expect_used)]
    jsonschema::validator_for(schema).expect("generated schemas are valid JSON Schema")
}

fn parse_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    // Scenarios are small; these bounds refuse hostile input (alias bombs, deep nesting,
    // huge files) long before it costs time or memory.
    budget.max_depth = 64;
    budget.max_nodes = 100_000;
    budget.max_aliases = 1_000;
    budget.max_reader_input_bytes = Some(4 * 1024 * 1024);
    serde_saphyr::options! { budget: Some(budget) }
}

/// Parses and checks `text` (the contents of `file`) as a `T`.
pub fn load<T: DeserializeOwned>(
    file: &Path,
    text: &str,
    schema: &Value,
    validator: &jsonschema::Validator,
) -> Result<Loaded<T>, Diagnostics> {
    let value: Value = serde_saphyr::from_str_with_options(text, parse_options())
        .map_err(|e| syntax_error(file, &e))?;
    let index = YamlIndex::build(text);
    let mut diags = Vec::new();
    for error in validator.iter_errors(&value) {
        let path = key_path(error.instance_path().iter());
        let refusal = Refusal {
            file,
            index: &index,
            schema,
            document: &value,
            path: &path,
            error: &error,
        };
        refusal.diagnose(&mut diags);
    }
    if !diags.is_empty() {
        // A value of the wrong type also fails its enum; the type error says it better.
        let typed: Vec<String> = diags
            .iter()
            .filter(|d| d.message.starts_with("expected "))
            .map(|d| d.path.clone())
            .collect();
        diags.retain(|d| d.message.starts_with("expected ") || !typed.contains(&d.path));
        let mut d = Diagnostics(diags);
        d.sort();
        return Err(d);
    }
    // The schema cannot say everything (a duration too long to count, for one): what the
    // conversion refuses is reported at the value it refused, with its key path.
    match serde_path_to_error::deserialize::<_, T>(value) {
        Ok(value) => Ok(Loaded {
            value,
            index,
            file: file.to_owned(),
        }),
        Err(e) => {
            let path = conversion_path(e.path());
            let message = e.into_inner().to_string();
            Err(Diagnostics(vec![diagnostic(
                file,
                &path,
                index.value(&path),
                message,
                None,
            )]))
        }
    }
}

/// The key path, as diagnostics write it, of where a conversion failed.
fn conversion_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => out = child(&out, key),
            // Past a flattened or untagged value the path is not known: keep what is.
            Segment::Unknown => break,
        }
    }
    out
}

fn syntax_error(file: &Path, e: &serde_saphyr::Error) -> Diagnostics {
    let (line, column) = e
        .location()
        .map(|l| (l.line() as usize, l.column() as usize))
        .unwrap_or((1, 1));
    // The crate's message repeats the position and may add a source snippet; keep the
    // first line and drop the position, which the diagnostic carries.
    let rendered = e.to_string();
    let first = rendered.lines().next().unwrap_or("invalid YAML").trim();
    let first = first
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(first);
    let message = first
        .strip_prefix("error: ")
        .unwrap_or(first)
        .split_once(": ")
        .filter(|(head, _)| head.starts_with("line "))
        .map(|(_, rest)| rest)
        .unwrap_or(first);
    Diagnostics(vec![Diagnostic {
        file: file.to_owned(),
        line,
        column,
        path: String::new(),
        message: format!("invalid YAML: {message}"),
        hint: None,
    }])
}

fn key_path<'a>(segments: impl Iterator<Item = LocationSegment<'a>>) -> String {
    let mut path = String::new();
    for seg in segments {
        match seg {
            LocationSegment::Property(p) => path = child(&path, &p),
            LocationSegment::Index(i) => path.push_str(&format!("[{i}]")),
        }
    }
    path
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn type_name(t: &str) -> &str {
    match t {
        "object" => "a mapping",
        "array" => "a list",
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "a boolean (true or false)",
        "null" => "nothing",
        other => other,
    }
}

fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    let pointer: String = path
        .split(['.', '['])
        .filter(|s| !s.is_empty())
        .map(|s| format!("/{}", s.trim_end_matches(']')))
        .collect();
    value.pointer(&pointer)
}

/// A value the schema refused, with what it takes to say why and where: the file, where
/// each key path is in it, the schema, and the whole document.
struct Refusal<'a> {
    file: &'a Path,
    index: &'a YamlIndex,
    schema: &'a Value,
    document: &'a Value,
    /// The key path of the refused value.
    path: &'a str,
    error: &'a jsonschema::ValidationError<'a>,
}

/// The texts `node` of `schema` allows, where it allows only some: its `const`, its
/// `enum`, or those of its alternatives and its definition (`$ref`), a few levels deep.
fn allowed_values<'s>(schema: &'s Value, node: &'s Value, depth: usize) -> Vec<&'s str> {
    if depth > 4 {
        return Vec::new();
    }
    if let Some(c) = node.get("const").and_then(Value::as_str) {
        return vec![c];
    }
    if let Some(e) = node.get("enum").and_then(Value::as_array) {
        return e.iter().filter_map(Value::as_str).collect();
    }
    let alternatives = ["oneOf", "anyOf"]
        .iter()
        .filter_map(|k| node.get(*k).and_then(Value::as_array))
        .flatten()
        .flat_map(|a| allowed_values(schema, a, depth + 1));
    let referred = node
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|p| schema.pointer(p))
        .into_iter()
        .flat_map(|d| allowed_values(schema, d, depth + 1));
    alternatives.chain(referred).collect()
}

impl Refusal<'_> {
    /// The diagnostics of the refusal, in words a person writing the file understands.
    fn diagnose(&self, out: &mut Vec<Diagnostic>) {
        match self.error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                self.unknown_keys(unexpected, out)
            }
            ValidationErrorKind::Required { property } => out.push(self.missing(property)),
            ValidationErrorKind::Type { kind } => out.push(self.wrong_type(kind)),
            ValidationErrorKind::Enum { .. }
            | ValidationErrorKind::OneOfNotValid { .. }
            | ValidationErrorKind::AnyOf { .. } => out.push(self.not_one_of()),
            ValidationErrorKind::Pattern { pattern } => out.push(self.no_match(pattern)),
            _ => out.push(self.at_value(self.error.to_string(), None)),
        }
    }

    /// A diagnostic at the refused value.
    fn at_value(&self, message: String, hint: Option<String>) -> Diagnostic {
        diagnostic(
            self.file,
            self.path,
            self.index.value(self.path),
            message,
            hint,
        )
    }

    /// Keys the mapping may not have, each at its key, with the nearest allowed one.
    fn unknown_keys(&self, unexpected: &[String], out: &mut Vec<Diagnostic>) {
        // The allowed keys are the `properties` of the schema object that refused them.
        let schema_path = self.error.schema_path().as_str();
        let object = schema_path
            .strip_suffix("/additionalProperties")
            .and_then(|p| self.schema.pointer(p));
        let allowed: Vec<&str> = object
            .and_then(|o| o.get("properties"))
            .and_then(Value::as_object)
            .map(|props| props.keys().map(String::as_str).collect())
            .unwrap_or_default();
        for key in unexpected {
            let key_path = child(self.path, key);
            out.push(diagnostic(
                self.file,
                &key_path,
                self.index.key(&key_path),
                format!("unknown key `{key}`"),
                Some(suggest(key, allowed.iter().copied())),
            ));
        }
    }

    /// A key the mapping must have.
    fn missing(&self, property: &Value) -> Diagnostic {
        let name = property.as_str().unwrap_or("?");
        let where_ = if self.path.is_empty() {
            "the document".to_owned()
        } else {
            format!("`{}`", self.path)
        };
        self.at_value(format!("missing required key `{name}` in {where_}"), None)
    }

    /// A value of the wrong type; a duration given as a number is told how to write it.
    fn wrong_type(&self, kind: &TypeKind) -> Diagnostic {
        let found = lookup(self.document, self.path)
            .map(json_type)
            .unwrap_or("nothing");
        let expected = match kind {
            TypeKind::Single(t) => type_name(&t.to_string()).to_owned(),
            TypeKind::Multiple(set) => set
                .iter()
                .map(|t| type_name(&t.to_string()).to_owned())
                .collect::<Vec<_>>()
                .join(" or "),
        };
        let is_duration = self
            .error
            .schema_path()
            .as_str()
            .strip_suffix("/type")
            .and_then(|p| self.schema.pointer(p))
            .and_then(|o| o.get("pattern"))
            .is_some_and(|p| p == crate::duration::DURATION_PATTERN);
        let hint = is_duration.then(|| "write durations as text like 90s, 15m, 1h30m".to_owned());
        self.at_value(format!("expected {expected}, found {found}"), hint)
    }

    /// A value that is none of those allowed, with the nearest of them.
    fn not_one_of(&self) -> Diagnostic {
        // schemars writes documented enums as `oneOf` of `const`s: read the allowed
        // values from the schema either way.
        let schema_path = self.error.schema_path().as_str();
        let options: Vec<&str> = match self.error.kind() {
            ValidationErrorKind::Enum { options } => options
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default(),
            // An optional enum is `anyOf` its definition (a `$ref`) and null.
            _ => self
                .schema
                .pointer(schema_path)
                .and_then(Value::as_array)
                .map(|alts| {
                    alts.iter()
                        .flat_map(|a| allowed_values(self.schema, a, 0))
                        .collect()
                })
                .unwrap_or_default(),
        };
        if options.is_empty() {
            return self.at_value(self.error.to_string(), None);
        }
        let given = lookup(self.document, self.path)
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            })
            .unwrap_or_default();
        self.at_value(
            format!("`{given}` is not one of: {}", options.join(", ")),
            crate::diag::closest(&given, options.iter().copied())
                .map(|c| format!("did you mean `{c}`?")),
        )
    }

    /// Text that does not match its pattern; durations and ids say how to write them.
    fn no_match(&self, pattern: &str) -> Diagnostic {
        // A URL refused by its pattern (a webhook) may carry credentials.
        let given = crate::secrets::mask_userinfo(
            lookup(self.document, self.path)
                .and_then(Value::as_str)
                .unwrap_or_default(),
        );
        let message = if pattern == crate::duration::DURATION_PATTERN {
            format!("`{given}` is not a duration")
        } else {
            format!("`{given}` does not match the pattern {pattern}")
        };
        let hint = (pattern == crate::duration::DURATION_PATTERN)
            .then(|| "write durations like 90s, 15m, 1h30m".to_owned())
            .or_else(|| {
                (pattern == crate::scenario::ID_PATTERN)
                    .then(|| "ids use lowercase letters, digits and dashes".to_owned())
            });
        self.at_value(message, hint)
    }
}
