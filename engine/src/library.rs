//! The scenario and runbook library: loading files, checking them against each other
//! (every problem at once, each with its position), and resolving a scenario into a plan.

use crate::attack::Attack;
use crate::catalogue;
use crate::checks::Values;
use crate::detectors;
use crate::diag::{Diagnostic, Diagnostics, suggest};
use crate::runbook::Runbook;
use crate::sandbox::ATTACKER_CALLS;
use crate::scenario::{Detect, Scenario, Source};
use crate::sim::DetectionModel;
use crate::steps::{self, FieldType};
use crate::template::{self, Part, Reference};
use crate::yamldoc::{self, Loaded};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

struct Compiled {
    schema: Value,
    validator: jsonschema::Validator,
}

fn compiled(cell: &'static OnceLock<Compiled>, schema: fn() -> Value) -> &'static Compiled {
    cell.get_or_init(|| {
        let schema = schema();
        let validator = yamldoc::validator(&schema);
        Compiled { schema, validator }
    })
}

static SCENARIO_SCHEMA: OnceLock<Compiled> = OnceLock::new();
static RUNBOOK_SCHEMA: OnceLock<Compiled> = OnceLock::new();

/// The JSON Schema of scenario files.
pub fn scenario_schema() -> Value {
    yamldoc::schema_for::<Scenario>()
}

/// The JSON Schema of runbook files.
pub fn runbook_schema() -> Value {
    yamldoc::schema_for::<Runbook>()
}

fn read(path: &Path) -> Result<String, Diagnostics> {
    std::fs::read_to_string(path)
        .map_err(|e| Diagnostics::file(path, format!("cannot read the file: {e}")))
}

/// Parses a scenario from `text` (the contents of `path`), checking its structure.
pub fn parse_scenario(path: &Path, text: &str) -> Result<Loaded<Scenario>, Diagnostics> {
    let c = compiled(&SCENARIO_SCHEMA, scenario_schema);
    yamldoc::load(path, text, &c.schema, &c.validator)
}

/// Parses a runbook from `text` (the contents of `path`), checking its structure.
pub fn parse_runbook(path: &Path, text: &str) -> Result<Loaded<Runbook>, Diagnostics> {
    let c = compiled(&RUNBOOK_SCHEMA, runbook_schema);
    yamldoc::load(path, text, &c.schema, &c.validator)
}

/// Where the runbooks of a scenario file live: `runbooks/` beside its `scenarios/` folder
/// when there is one, else the library's `runbooks/`.
pub fn runbooks_dir_for(scenario_path: &Path, library: &Path) -> PathBuf {
    let dir = scenario_path.parent().unwrap_or(Path::new("."));
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let beside = dir
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .unwrap_or(Path::new(".."))
        .join("runbooks");
    if beside.is_dir() {
        beside
    } else {
        library.join("runbooks")
    }
}

/// A scenario with its runbook, both checked.
pub struct Checked {
    /// The scenario.
    pub scenario: Loaded<Scenario>,
    /// Its runbook, when it names one.
    pub runbook: Option<Loaded<Runbook>>,
}

/// Loads `path` and the runbook it names, and checks everything.
pub fn load_checked(path: &Path, runbooks_dir: &Path) -> Result<Checked, Diagnostics> {
    let scenario = parse_scenario(path, &read(path)?)?;
    let mut diags = Vec::new();
    let runbook = match &scenario.value.runbook {
        None => None,
        Some(id) => match find_runbook(runbooks_dir, id) {
            Ok(file) => match read(&file).and_then(|t| parse_runbook(&file, &t)) {
                Ok(rb) => Some(rb),
                Err(d) => {
                    diags.extend(d.0);
                    None
                }
            },
            Err(known) => {
                diags.push(scenario.at(
                    "runbook",
                    format!("no runbook `{id}` in {}", runbooks_dir.display()),
                    Some(suggest(id, known.iter().map(String::as_str))),
                ));
                None
            }
        },
    };
    diags.extend(check_scenario(&scenario));
    if let Some(rb) = &runbook {
        diags.extend(check_runbook(rb));
        diags.extend(check_pair(&scenario, rb));
    }
    if diags.is_empty() {
        Ok(Checked { scenario, runbook })
    } else {
        let mut d = Diagnostics(diags);
        d.sort();
        Err(d)
    }
}

/// The file of runbook `id`, or the ids that exist.
fn find_runbook(dir: &Path, id: &str) -> Result<PathBuf, Vec<String>> {
    let file = dir.join(format!("{id}.yaml"));
    if file.is_file() {
        return Ok(file);
    }
    Err(yaml_files(dir)
        .iter()
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
        .collect())
}

/// The `.yaml` and `.yml` files of a folder, sorted.
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
        })
        .collect();
    files.sort();
    files
}

fn file_stem(path: &Path) -> &str {
    path.file_stem().and_then(|s| s.to_str()).unwrap_or("")
}

/// Checks a scenario on its own: ids, step kinds, inputs, references, detections and
/// containment checks.
pub fn check_scenario(sc: &Loaded<Scenario>) -> Vec<Diagnostic> {
    let s = &sc.value;
    let mut out = Vec::new();
    if file_stem(&sc.file) != s.id && !file_stem(&sc.file).is_empty() {
        out.push(sc.at(
            "id",
            format!(
                "the id `{}` differs from the file name `{}`",
                s.id,
                file_stem(&sc.file)
            ),
            Some(format!(
                "rename the file to {}.yaml or the id to {}",
                s.id,
                file_stem(&sc.file)
            )),
        ));
    }
    check_param_defaults(sc, &mut out);
    let all_ids: Vec<&str> = s.steps().map(|(_, st)| st.id.as_str()).collect();
    let seen = check_steps(sc, &all_ids, &mut out);
    let scope = RefScope {
        earlier: &seen,
        all: &all_ids,
        params: &s.params,
    };
    let detect_ids = check_detections(sc, &scope, &mut out);
    check_responses(sc, &scope, &detect_ids, &mut out);
    check_injects(sc, &mut out);
    check_created_names(sc, &mut out);
    out
}

/// A parameter's default may use the run's fields, and no other reference.
fn check_param_defaults(sc: &Loaded<Scenario>, out: &mut Vec<Diagnostic>) {
    for (name, p) in &sc.value.params {
        let path = format!("params.{name}.default");
        let mut strings = Vec::new();
        template::strings(&path, &p.default, &mut strings);
        for (path, text) in strings {
            for r in refs_in(sc, &path, text, out) {
                if !matches!(r, Reference::Run(ref f) if template::RUN_FIELDS.contains(&f.as_str()))
                {
                    out.push(sc.at(
                        &path,
                        format!(
                            "a parameter default may only use ${{run.id}} and ${{run.prefix}}, not {r}"
                        ),
                        None,
                    ));
                }
            }
        }
    }
}

/// Steps: ids, kinds, inputs and references to earlier steps (`all_ids` are every
/// step's). Returns the kind of each step whose kind is known, by id.
fn check_steps<'s>(
    sc: &'s Loaded<Scenario>,
    all_ids: &[&str],
    out: &mut Vec<Diagnostic>,
) -> HashMap<&'s str, &'static dyn steps::StepKind> {
    let s = &sc.value;
    let mut seen: HashMap<&str, &'static dyn steps::StepKind> = HashMap::new();
    let mut seen_unknown: HashSet<&str> = HashSet::new();
    for (phase, (i, step)) in s
        .setup
        .iter()
        .enumerate()
        .map(|x| (crate::scenario::Phase::Setup, x))
        .chain(
            s.attack
                .iter()
                .enumerate()
                .map(|x| (crate::scenario::Phase::Attack, x)),
        )
    {
        let base = format!("{}[{i}]", phase.key());
        if seen.contains_key(step.id.as_str()) || seen_unknown.contains(step.id.as_str()) {
            out.push(sc.at(
                &format!("{base}.id"),
                format!("duplicate step id `{}`", step.id),
                None,
            ));
        }
        let kind = steps::find(&step.action);
        if kind.is_none() {
            out.push(sc.at(
                &format!("{base}.action"),
                format!("unknown step kind `{}`", step.action),
                Some(format!(
                    "{} (`gameday steps` lists them)",
                    suggest(&step.action, step_names())
                )),
            ));
        }
        let scope = RefScope {
            earlier: &seen,
            all: all_ids,
            params: &s.params,
        };
        check_inputs(
            sc,
            &base,
            kind.map(|k| k.spec().inputs),
            &step.with,
            &scope,
            out,
        );
        match kind {
            Some(k) => seen.insert(&step.id, k),
            None => {
                seen_unknown.insert(&step.id);
                None
            }
        };
    }
    seen
}

/// Detections: ids, the fields of their source, match keys and references, and the
/// attack step that triggers them. Returns their ids.
fn check_detections<'s>(
    sc: &'s Loaded<Scenario>,
    scope: &RefScope<'_>,
    out: &mut Vec<Diagnostic>,
) -> HashSet<&'s str> {
    let s = &sc.value;
    let attack_ids: Vec<&str> = s.attack.iter().map(|st| st.id.as_str()).collect();
    let mut detect_ids = HashSet::new();
    for (i, d) in s.detect.iter().enumerate() {
        let base = format!("detect[{i}]");
        if !detect_ids.insert(d.id.as_str()) {
            out.push(sc.at(
                &format!("{base}.id"),
                format!("duplicate detection id `{}`", d.id),
                None,
            ));
        }
        check_source_fields(sc, &base, d, out);
        check_samples(sc, &base, d, out);
        for (k, v) in &d.matches {
            let path = format!("{base}.match.{k}");
            for r in refs_in(sc, &path, v, out) {
                scope.check(sc, &path, &r, None, out);
            }
        }
        for (k, v) in &d.with {
            let path = format!("{base}.with.{k}");
            if let Some(v) = v.as_str() {
                for r in refs_in(sc, &path, v, out) {
                    scope.check(sc, &path, &r, None, out);
                }
            }
        }
        if let Some(a) = &d.after {
            let earlier: Vec<&str> = s.detect[..i].iter().map(|e| e.id.as_str()).collect();
            if !earlier.contains(&a.as_str()) {
                out.push(
                    sc.at(
                        &format!("{base}.after"),
                        format!("`{a}` is not a detection listed before this one"),
                        Some(match s.detect.iter().any(|e| &e.id == a) {
                            true => {
                                "list the alert path in its order: each hop after the one before it"
                                    .to_owned()
                            }
                            false => suggest(a, earlier.iter().copied()),
                        }),
                    ),
                );
            }
        }
        if let Some(t) = &d.trigger
            && !attack_ids.contains(&t.as_str())
        {
            out.push(sc.at(
                &format!("{base}.trigger"),
                format!("`{t}` is not an attack step"),
                Some(suggest(t, attack_ids.iter().copied())),
            ));
        }
    }
    detect_ids
}

/// A detection at `base` names a source of the registry and gives it what it takes.
fn check_source_fields(sc: &Loaded<Scenario>, base: &str, d: &Detect, out: &mut Vec<Diagnostic>) {
    let Some(detector) = detectors::find(d.source.as_str()) else {
        out.push(sc.at(
            &format!("{base}.source"),
            format!("no detection source `{}`", d.source),
            Some(format!(
                "{} (`gameday detectors` lists them)",
                suggest(d.source.as_str(), detectors::names())
            )),
        ));
        return;
    };
    for p in detectors::check(detector, d) {
        let path = if p.at.is_empty() {
            base.to_owned()
        } else {
            format!("{base}.{}", p.at)
        };
        out.push(if p.at.is_empty() {
            sc.at(&path, p.message, p.hint)
        } else {
            sc.at_key(&path, p.message, p.hint)
        });
    }
}

/// The steps that create sample findings of `finding_type`: (index in the scenario's
/// steps, id). Only literal `finding_types` lists are read.
fn sample_steps<'s>(s: &'s Scenario, finding_type: &str) -> Vec<(usize, &'s str)> {
    s.steps()
        .enumerate()
        .filter(|(_, (_, st))| st.action == "guardduty.create_sample_findings")
        .filter(|(_, (_, st))| {
            st.with
                .get("finding_types")
                .and_then(Value::as_array)
                .is_some_and(|l| l.iter().any(|t| t.as_str() == Some(finding_type)))
        })
        .map(|(i, (_, st))| (i, st.id.as_str()))
        .collect()
}

/// Sample findings count only in a drill (`sample: true`), and a drill counts only the
/// sample finding an attack step creates after its trigger returned (T0).
fn check_samples(sc: &Loaded<Scenario>, base: &str, d: &Detect, out: &mut Vec<Diagnostic>) {
    let s = &sc.value;
    // Elsewhere, `sample` is a field of the wrong source (`check_source_fields`).
    if d.source != Source::GUARDDUTY {
        return;
    }
    let Some(finding_type) = &d.finding_type else {
        return;
    };
    let creators = sample_steps(s, finding_type);
    if !d.sample {
        if let Some((_, step)) = creators.first() {
            out.push(sc.at(
                base,
                format!(
                    "step `{step}` creates a sample finding of type `{finding_type}`, which \
                     this detection would never count: sample findings count only in a drill"
                ),
                Some("add `sample: true` to make this detection a response drill".into()),
            ));
        }
        return;
    }
    if !d.matches.is_empty() {
        out.push(sc.at_key(
            &format!("{base}.match"),
            "a sample finding names placeholder resources, not the run's: a drill is matched \
             by finding type and time",
            Some("remove `match`".into()),
        ));
    }
    let Some(trigger) = s.trigger_of(d) else {
        return;
    };
    let Some(t) = s.steps().position(|(_, st)| st.id == trigger) else {
        return;
    };
    if !creators.iter().any(|&(i, _)| i > t && i >= s.setup.len()) {
        let hint = match creators.first() {
            Some((_, step)) => format!(
                "step `{step}` creates it, but not after the trigger `{trigger}` returned: \
                 a finding created before T0 is not the trigger's; trigger on an attack step \
                 before it"
            ),
            None => format!(
                "add an attack step `guardduty.create_sample_findings` with \
                 `finding_types: [{finding_type}]` after `{trigger}`"
            ),
        };
        out.push(sc.at_key(
            &format!("{base}.sample"),
            format!(
                "no attack step after the trigger `{trigger}` creates a sample finding of type \
                 `{finding_type}`: this drill would never be met"
            ),
            Some(hint),
        ));
    }
}

/// Containment checks: ids (apart from the detections' `detect_ids` too), check kinds,
/// inputs, the detection each is timed from, and that there is a detection at all.
fn check_responses(
    sc: &Loaded<Scenario>,
    scope: &RefScope<'_>,
    detect_ids: &HashSet<&str>,
    out: &mut Vec<Diagnostic>,
) {
    let s = &sc.value;
    let mut respond_ids = HashSet::new();
    for (i, r) in s.respond.iter().enumerate() {
        let base = format!("respond[{i}]");
        if !respond_ids.insert(r.id.as_str()) || detect_ids.contains(r.id.as_str()) {
            out.push(sc.at(
                &format!("{base}.id"),
                format!("duplicate id `{}`", r.id),
                None,
            ));
        }
        let check = crate::checks::find(&r.check);
        if check.is_none() {
            out.push(sc.at(
                &format!("{base}.check"),
                format!("unknown containment check `{}`", r.check),
                Some(suggest(&r.check, crate::checks::names())),
            ));
        }
        check_inputs(
            sc,
            &base,
            check.map(|c| c.spec().inputs),
            &r.with,
            scope,
            out,
        );
        if let Some(c) = check {
            check_expect(sc, &base, c.spec(), &r.expect, out);
        }
        if let Some(a) = &r.after
            && !detect_ids.contains(a.as_str())
        {
            out.push(sc.at(
                &format!("{base}.after"),
                format!("`{a}` is not a detection of this scenario"),
                Some(suggest(a, s.detect.iter().map(|d| d.id.as_str()))),
            ));
        }
    }
    if !s.respond.is_empty() && s.detect.is_empty() {
        out.push(sc.at(
            "respond",
            "containment is timed from a detection, and this scenario has none",
            Some("add a `detect` entry".into()),
        ));
    }
}

/// A containment's `expect` at `base` is a value its check can report: any other would
/// leave it pending until it is missed.
fn check_expect(
    sc: &Loaded<Scenario>,
    base: &str,
    check: &crate::checks::CheckSpec,
    expect: &Value,
    out: &mut Vec<Diagnostic>,
) {
    let values = check.values;
    if values.contains(expect) {
        return;
    }
    let close = match (values, expect) {
        (Values::Text(texts), Value::String(s)) => crate::diag::closest(s, texts.iter().copied()),
        _ => None,
    };
    let hint = match (values, expect) {
        (Values::Bool, Value::String(s))
            if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") =>
        {
            format!(
                "write {} without quotes: the check reports a boolean, not text",
                s.to_ascii_lowercase()
            )
        }
        _ => match close {
            Some(c) => format!("did you mean `{c}`?"),
            None => "expect one of those values; `gameday steps` lists what each check reports"
                .to_owned(),
        },
    };
    out.push(sc.at(
        &format!("{base}.expect"),
        format!(
            "check `{}` never reports {expect}: it reports {}",
            check.name,
            values.describe()
        ),
        Some(hint),
    ));
}

/// Injects: unique ids, a message, and an `after` that names a detection or a
/// containment of the scenario.
fn check_injects(sc: &Loaded<Scenario>, out: &mut Vec<Diagnostic>) {
    let s = &sc.value;
    let expectations: Vec<&str> = s
        .detect
        .iter()
        .map(|d| d.id.as_str())
        .chain(s.respond.iter().map(|r| r.id.as_str()))
        .collect();
    let mut ids = HashSet::new();
    for (i, inj) in s.injects.iter().enumerate() {
        let base = format!("injects[{i}]");
        if !ids.insert(inj.id.as_str()) {
            out.push(sc.at(
                &format!("{base}.id"),
                format!("duplicate inject id `{}`", inj.id),
                None,
            ));
        }
        if inj.message.trim().is_empty() {
            out.push(sc.at(
                &format!("{base}.message"),
                "an inject's message is what the team reads: it cannot be empty".to_owned(),
                None,
            ));
        }
        if let Some(a) = &inj.after
            && !expectations.contains(&a.as_str())
        {
            out.push(sc.at(
                &format!("{base}.after"),
                format!("`{a}` is not a detection or containment of this scenario"),
                Some(suggest(a, expectations.iter().copied())),
            ));
        }
    }
}

/// What a run creates is named after it (`${run.prefix}-${run.id}-…`), with names its
/// service accepts, and no parameter marked `existing` names it.
fn check_created_names(sc: &Loaded<Scenario>, out: &mut Vec<Diagnostic>) {
    // Any run id will do: the check is on the shape of the name.
    const RUN: &str = "0a1b2c3d";
    let s = &sc.value;
    let empty = BTreeMap::new();
    let run_scope = template::StaticScope {
        params: &empty,
        run_id: RUN,
        prefix: DEFAULT_PREFIX,
    };
    let params: BTreeMap<String, Value> = s
        .params
        .iter()
        .filter_map(|(n, p)| Some((n.clone(), template::evaluate(&p.default, &run_scope).ok()?)))
        .collect();
    let scope = template::StaticScope {
        params: &params,
        run_id: RUN,
        prefix: DEFAULT_PREFIX,
    };
    let stem = format!("{DEFAULT_PREFIX}-{RUN}");
    for (phase, list) in [
        (crate::scenario::Phase::Setup, &s.setup),
        (crate::scenario::Phase::Attack, &s.attack),
    ] {
        for (i, step) in list.iter().enumerate() {
            let Some(kind) = steps::find(&step.action) else {
                continue;
            };
            let creates = kind.spec().named_creation();
            for (input, value) in &step.with {
                let Some(text) = value.as_str() else { continue };
                let path = format!("{}[{i}].with.{input}", phase.key());
                let made = creates.filter(|(_, n)| *n == input);
                if let Some((made, _)) = made {
                    for p in params_in(text) {
                        if s.params.get(&p).is_some_and(|p| p.existing) {
                            out.push(sc.at(
                                &path,
                                format!(
                                    "parameter `{p}` is marked `existing: true` (something already in the account), so it cannot name the {} this step creates",
                                    made.as_str()
                                ),
                                Some("a run creates its own resources: name it ${run.prefix}-${run.id}-…".into()),
                            ));
                        }
                    }
                }
                let Ok(Value::String(planned)) =
                    template::resolve(&Value::String(text.to_owned()), &scope)
                else {
                    continue;
                };
                if !template::is_plain(&planned) {
                    continue; // names from step outputs are checked when the run knows them
                }
                let name = template::unescape(&planned);
                if let Some(rule) = crate::names::rule_of(kind.spec().name, input)
                    && !rule.allows(&name)
                {
                    out.push(sc.at(&path, format!("{name:?} is not {}", rule.describe()), None));
                } else if let Some((made, _)) = made
                    && !name.starts_with(&stem)
                {
                    out.push(sc.at(
                        &path,
                        format!(
                            "the {} this step creates must be named after the run, starting with ${{run.prefix}}-${{run.id}}: here it would be {name:?}",
                            made.as_str()
                        ),
                        Some(format!(
                            "for example \"${{run.prefix}}-${{run.id}}-{}\", directly or as a parameter's default",
                            step.id
                        )),
                    ));
                }
            }
        }
    }
}

/// Checks a runbook on its own: ids, action kinds, inputs and guards.
pub fn check_runbook(rb: &Loaded<Runbook>) -> Vec<Diagnostic> {
    let r = &rb.value;
    let mut out = Vec::new();
    if file_stem(&rb.file) != r.id && !file_stem(&rb.file).is_empty() {
        out.push(rb.at(
            "id",
            format!(
                "the id `{}` differs from the file name `{}`",
                r.id,
                file_stem(&rb.file)
            ),
            None,
        ));
    }
    let mut last_phase = None;
    for (pi, p) in r.phases.iter().enumerate() {
        if last_phase.is_some_and(|l| l >= p.phase) {
            out.push(rb.at(&format!("phases[{pi}].phase"), "phases must follow the NIST order, each once: detect_analyse, contain, eradicate, recover, post_incident", None));
        }
        last_phase = Some(p.phase);
    }
    let mut ids = HashSet::new();
    for (_, step, base) in r.steps() {
        if !ids.insert(step.id.as_str()) {
            out.push(rb.at(
                &format!("{base}.id"),
                format!("duplicate step id `{}`", step.id),
                None,
            ));
        }
        if let Some(action) = &step.action {
            if steps::find(action).is_none() {
                out.push(rb.at(
                    &format!("{base}.action"),
                    format!("unknown step kind `{action}`"),
                    Some(suggest(action, step_names())),
                ));
            }
        } else if !step.with.is_empty() {
            out.push(rb.at_key(&format!("{base}.with"), "`with` needs an `action`", None));
        }
        for (gi, g) in step.must_not.iter().enumerate() {
            if steps::find(&g.action).is_none() {
                out.push(rb.at(
                    &format!("{base}.must_not[{gi}].action"),
                    format!("unknown step kind `{}`", g.action),
                    Some(suggest(&g.action, step_names())),
                ));
            }
        }
    }
    out
}

/// Checks a runbook against a scenario that uses it: verify links and the references of
/// its actions.
pub fn check_pair(sc: &Loaded<Scenario>, rb: &Loaded<Runbook>) -> Vec<Diagnostic> {
    let s = &sc.value;
    let mut out = Vec::new();
    let expectations: Vec<&str> = s
        .detect
        .iter()
        .map(|d| d.id.as_str())
        .chain(s.respond.iter().map(|r| r.id.as_str()))
        .collect();
    let kinds: HashMap<&str, &'static dyn steps::StepKind> = s
        .steps()
        .filter_map(|(_, st)| steps::find(&st.action).map(|k| (st.id.as_str(), k)))
        .collect();
    let all_ids: Vec<&str> = s.steps().map(|(_, st)| st.id.as_str()).collect();
    let scope = RefScope {
        earlier: &kinds,
        all: &all_ids,
        params: &s.params,
    };
    for (_, step, base) in rb.value.steps() {
        if let Some(v) = &step.verify
            && !expectations.contains(&v.as_str())
        {
            out.push(rb.at(
                &format!("{base}.verify"),
                format!(
                    "`{v}` is not a detection or containment of scenario `{}`",
                    s.id
                ),
                Some(suggest(v, expectations.iter().copied())),
            ));
        }
        if let Some(kind) = step.action.as_deref().and_then(steps::find) {
            check_inputs(
                rb,
                &base,
                Some(kind.spec().inputs),
                &step.with,
                &scope,
                &mut out,
            );
        }
    }
    out
}

fn step_names() -> impl Iterator<Item = &'static str> + Clone {
    steps::REGISTRY.iter().map(|k| k.spec().name)
}

/// What references may reach from one place in a scenario.
struct RefScope<'a> {
    earlier: &'a HashMap<&'a str, &'static dyn steps::StepKind>,
    all: &'a [&'a str],
    params: &'a BTreeMap<String, crate::scenario::Param>,
}

impl RefScope<'_> {
    fn check<T>(
        &self,
        doc: &Loaded<T>,
        path: &str,
        r: &Reference,
        field: Option<FieldType>,
        out: &mut Vec<Diagnostic>,
    ) {
        match r {
            Reference::Param(p) if !self.params.contains_key(p) => out.push(doc.at(
                path,
                format!("unknown parameter `{p}` in {r}"),
                Some(suggest(p, self.params.keys().map(String::as_str))),
            )),
            Reference::Run(f) if !template::RUN_FIELDS.contains(&f.as_str()) => out.push(doc.at(
                path,
                format!("unknown run field in {r}"),
                Some("the run fields are `id` and `prefix`".into()),
            )),
            Reference::Step { step, output } => match self.earlier.get(step.as_str()) {
                None if self.all.contains(&step.as_str()) => out.push(doc.at(
                    path,
                    format!("{r} refers to step `{step}`, which runs later"),
                    Some("a step may only use the outputs of the steps before it".into()),
                )),
                None => out.push(doc.at(
                    path,
                    format!("{r} refers to an unknown step `{step}`"),
                    Some(suggest(step, self.earlier.keys().copied())),
                )),
                Some(kind) => {
                    let spec = kind.spec();
                    match output {
                        Some(o) if !spec.outputs.iter().any(|x| x.name == o) => out.push(doc.at(
                            path,
                            format!("step `{step}` ({}) has no output `{o}`", spec.name),
                            Some(suggest(o, spec.outputs.iter().map(|x| x.name))),
                        )),
                        Some(o) if spec.outputs.iter().any(|x| x.name == o && x.secret) => out.push(doc.at(
                            path,
                            format!("output `{o}` of step `{step}` is a secret and cannot be used directly"),
                            Some(format!("pass the whole step as credentials: ${{steps.{step}}}")),
                        )),
                        None if field != Some(FieldType::Credentials) => out.push(doc.at(
                            path,
                            format!("{r} names a whole step; only a credentials input takes that"),
                            Some(format!("name one output, such as ${{steps.{step}.{}}}", spec.outputs.first().map(|o| o.name).unwrap_or("x"))),
                        )),
                        None if spec.name != "iam.create_access_key" => out.push(doc.at(
                            path,
                            format!("credentials must come from an iam.create_access_key step, not {}", spec.name),
                            None,
                        )),
                        _ => {}
                    }
                }
            },
            _ => {}
        }
    }
}

fn refs_in<T>(
    doc: &Loaded<T>,
    path: &str,
    text: &str,
    out: &mut Vec<Diagnostic>,
) -> Vec<Reference> {
    match template::parse(text) {
        Ok(parts) => parts
            .into_iter()
            .filter_map(|p| match p {
                Part::Ref(r) => Some(r),
                Part::Literal(_) => None,
            })
            .collect(),
        Err(e) => {
            out.push(doc.at(path, e.to_string(), None));
            Vec::new()
        }
    }
}

fn check_inputs<T>(
    doc: &Loaded<T>,
    base: &str,
    fields: Option<&'static [steps::Field]>,
    with: &Map<String, Value>,
    scope: &RefScope<'_>,
    out: &mut Vec<Diagnostic>,
) {
    if let Some(fields) = fields {
        for (key, value) in with {
            let path = format!("{base}.with.{key}");
            match fields.iter().find(|f| f.name == key) {
                None => out.push(doc.at_key(
                    &path,
                    format!("unknown input `{key}`"),
                    Some(suggest(key, fields.iter().map(|f| f.name))),
                )),
                Some(f) => {
                    let is_reference = value.as_str().is_some_and(|s| s.contains("${"));
                    if !is_reference && !f.ty.accepts(value) {
                        out.push(doc.at(
                            &path,
                            format!("input `{key}` must be {}", f.ty.describe()),
                            None,
                        ));
                    }
                    check_list_items(doc, &path, f.ty, value, out);
                    if f.ty == FieldType::Credentials && !is_reference {
                        out.push(doc.at(
                            &path,
                            "credentials must be `${steps.ID}` of an iam.create_access_key step",
                            None,
                        ));
                    }
                }
            }
        }
        for f in fields.iter().filter(|f| f.required) {
            if !with.contains_key(f.name) {
                out.push(doc.at(
                    &format!("{base}.with"),
                    format!("missing required input `{}` ({})", f.name, f.ty.describe()),
                    Some(f.doc.to_owned()),
                ));
            }
        }
    }
    for (key, value) in with {
        let field = fields
            .and_then(|fs| fs.iter().find(|f| f.name == key))
            .map(|f| f.ty);
        let mut strings = Vec::new();
        template::strings(&format!("{base}.with.{key}"), value, &mut strings);
        for (path, text) in strings {
            for r in refs_in(doc, &path, text, out) {
                scope.check(doc, &path, &r, field, out);
            }
        }
    }
}

/// Each literal item of a list of API calls is a call the attacker can make, and each of
/// a list of finding types one GuardDuty raises; items with references are left to the run.
fn check_list_items<T>(
    doc: &Loaded<T>,
    path: &str,
    ty: FieldType,
    value: &Value,
    out: &mut Vec<Diagnostic>,
) {
    let problem: fn(&str) -> Option<(String, String)> = match ty {
        FieldType::Calls => call_problem,
        FieldType::FindingTypes => catalogue::finding_type_problem,
        FieldType::TestDomains => catalogue::test_domain_problem,
        _ => return,
    };
    let Some(items) = value.as_array() else {
        return;
    };
    for (j, item) in items.iter().enumerate() {
        let Some(text) = item.as_str().filter(|t| template::is_plain(t)) else {
            continue;
        };
        if let Some((message, hint)) = problem(text) {
            out.push(doc.at(&format!("{path}[{j}]"), message, Some(hint)));
        }
    }
}

/// What is wrong with `call` as a call of the attacker's (message, hint); `None` when the
/// attacker can make it. Any other name would be sent and answered as denied, and counted
/// as the attacker's denied call.
fn call_problem(call: &str) -> Option<(String, String)> {
    if ATTACKER_CALLS.contains(&call) {
        return None;
    }
    let all = ATTACKER_CALLS.join(", ");
    // Alike within one service only: every IAM call starts `iam.`, and a likeness of the
    // whole name would offer iam.list_users for iam.delete_user.
    let (service, operation) = call.split_once('.').unwrap_or(("", call));
    let operations = ATTACKER_CALLS
        .iter()
        .filter_map(|c| c.strip_prefix(service)?.strip_prefix('.'));
    let hint = match crate::diag::closest(operation, operations) {
        Some(op) => format!("did you mean `{service}.{op}`? The attacker's calls are {all}"),
        None => format!("the attacker's calls are {all}"),
    };
    Some((
        format!("`{call}` is not a call the attacker can make"),
        hint,
    ))
}

/// A scenario resolved for one run: parameters and the run id substituted everywhere;
/// references to step outputs are left for run time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The run id.
    pub run_id: String,
    /// The prefix of the names of the resources the run creates (`${run.prefix}`).
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// Parameter values used.
    pub params: BTreeMap<String, Value>,
    /// The resolved scenario.
    pub scenario: Scenario,
    /// The resolved runbook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<Runbook>,
}

/// Resolves `checked` for run `run_id` with parameter overrides (`name` → text), with
/// the default name prefix, `gameday`.
pub fn resolve(
    scenario: &Scenario,
    runbook: Option<&Runbook>,
    run_id: &str,
    overrides: &BTreeMap<String, String>,
) -> Result<Plan, String> {
    resolve_named(scenario, runbook, run_id, DEFAULT_PREFIX, overrides)
}

pub use crate::config::DEFAULT_PREFIX;

fn default_prefix() -> String {
    DEFAULT_PREFIX.to_owned()
}

/// [`resolve`], with `prefix` for `${run.prefix}` (the target's `name_prefix`).
///
/// A parameter value (`--param`, a plan's `params`) is text, in which `${run.id}` and
/// `${run.prefix}` are the only references (`$${` writes a literal `${`); once substituted it
/// stays text, never read as a reference again. Every name the run sends is checked against
/// its service's rule, and the name of every resource the run creates must start with
/// `<prefix>-<run id>`: an error names the parameter that made it otherwise.
pub fn resolve_named(
    scenario: &Scenario,
    runbook: Option<&Runbook>,
    run_id: &str,
    prefix: &str,
    overrides: &BTreeMap<String, String>,
) -> Result<Plan, String> {
    for name in overrides.keys() {
        if !scenario.params.contains_key(name) {
            let known: Vec<&str> = scenario.params.keys().map(String::as_str).collect();
            return Err(format!(
                "--param {name}: scenario `{}` has no parameter `{name}`; {}",
                scenario.id,
                suggest(name, known.iter().copied())
            ));
        }
    }
    let empty = BTreeMap::new();
    let run_scope = template::StaticScope {
        params: &empty,
        run_id,
        prefix,
    };
    let mut params = BTreeMap::new();
    for (name, p) in &scenario.params {
        let value = match overrides.get(name) {
            Some(v) => Value::String(param_text(name, v, &run_scope)?),
            None => template::evaluate(&p.default, &run_scope)?,
        };
        params.insert(name.clone(), value);
    }
    let scope = template::StaticScope {
        params: &params,
        run_id,
        prefix,
    };
    let mut resolved = scenario.clone();
    let subst = |m: &mut Map<String, Value>| -> Result<(), String> {
        for v in m.values_mut() {
            *v = template::resolve(v, &scope)?;
        }
        Ok(())
    };
    for step in resolved.setup.iter_mut().chain(resolved.attack.iter_mut()) {
        subst(&mut step.with)?;
    }
    for d in &mut resolved.detect {
        for v in d.matches.values_mut() {
            if let Value::String(s) = template::resolve(&Value::String(v.clone()), &scope)? {
                *v = s;
            }
        }
    }
    for r in &mut resolved.respond {
        subst(&mut r.with)?;
    }
    let runbook = match runbook {
        None => None,
        Some(rb) => {
            let mut rb = rb.clone();
            for phase in &mut rb.phases {
                for step in &mut phase.steps {
                    subst(&mut step.with)?;
                }
            }
            Some(rb)
        }
    };
    let plan = Plan {
        run_id: run_id.to_owned(),
        prefix: prefix.to_owned(),
        params,
        scenario: resolved,
        runbook,
    };
    check_plan_names(scenario, &plan, overrides)?;
    Ok(plan)
}

/// The text of `--param name=value`: `${run.id}` and `${run.prefix}` substituted, and no
/// other reference.
fn param_text(name: &str, value: &str, run: &template::StaticScope<'_>) -> Result<String, String> {
    let parts = template::parse(value).map_err(|e| {
        format!("--param {name}: {e} (a parameter value is text; write $${{ for a literal ${{)")
    })?;
    if let Some(r) = parts.iter().find_map(|p| match p {
        template::Part::Ref(r @ Reference::Run(f))
            if !template::RUN_FIELDS.contains(&f.as_str()) =>
        {
            Some(r)
        }
        template::Part::Ref(r @ (Reference::Param(_) | Reference::Step { .. })) => Some(r),
        _ => None,
    }) {
        return Err(format!(
            "--param {name}: a parameter value is text and may use ${{run.id}} and ${{run.prefix}} only, not {r} (write $${{ for a literal ${{)"
        ));
    }
    match template::evaluate(&Value::String(value.to_owned()), run)? {
        Value::String(s) => Ok(s),
        other => Ok(other.to_string()),
    }
}

/// The parameters a template string of `scenario` refers to.
fn params_in(text: &str) -> Vec<String> {
    template::parse(text)
        .map(|parts| {
            parts
                .into_iter()
                .filter_map(|p| match p {
                    template::Part::Ref(Reference::Param(n)) => Some(n),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every name `plan` will send that is known now follows its service's rule, and what the
/// run creates is named after it; the error names the parameter (or the step input) at
/// fault.
fn check_plan_names(
    scenario: &Scenario,
    plan: &Plan,
    overrides: &BTreeMap<String, String>,
) -> Result<(), String> {
    let stem = format!("{}-{}", plan.prefix, plan.run_id);
    let steps = scenario.steps().zip(plan.scenario.steps());
    for ((_, original), (_, step)) in steps {
        let Some(kind) = steps::find(&step.action) else {
            continue;
        };
        let creates = kind.spec().named_creation();
        for (input, value) in &step.with {
            let Some(text) = value.as_str() else { continue };
            if !template::is_plain(text) {
                continue;
            }
            let name = template::unescape(text);
            let blame = || {
                let given = original
                    .with
                    .get(input)
                    .and_then(Value::as_str)
                    .map(params_in)
                    .unwrap_or_default();
                match given
                    .iter()
                    .find(|p| overrides.contains_key(*p))
                    .or(given.first())
                {
                    Some(p) if overrides.contains_key(p) => format!("--param {p}"),
                    Some(p) => format!("parameter `{p}` (its default)"),
                    None => format!("step `{}` input `{input}`", step.id),
                }
            };
            if let Some(rule) = crate::names::rule_of(kind.spec().name, input)
                && let Err(e) = rule.check(&name)
            {
                return Err(format!("{}: {e}", blame()));
            }
            if let Some((kind_made, name_input)) = creates
                && name_input == input
                && !name.starts_with(&stem)
            {
                return Err(format!(
                    "{}: {name:?} would name the {} that step `{}` creates; what a run creates is named after it, starting with `{stem}` (write the value as ${{run.prefix}}-${{run.id}}-…)",
                    blame(),
                    kind_made.as_str(),
                    step.id,
                ));
            }
        }
    }
    Ok(())
}

/// Results of validating files and folders.
#[derive(Debug, Default)]
pub struct Validation {
    /// Scenario files checked.
    pub scenarios: usize,
    /// Runbook files checked.
    pub runbooks: usize,
    /// Every problem found.
    pub diagnostics: Diagnostics,
    /// What valid scenarios ask of the simulator that it cannot give ([`sim_warnings`]).
    pub warnings: Diagnostics,
}

/// The YAML files `paths` name: files as given; for a library folder (one holding
/// `scenarios/` or `runbooks/`), the files of those, and not its own (a library's root
/// holds configuration, not scenarios); for any other folder, its own files.
pub fn files_to_validate(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for p in paths {
        if !p.is_dir() {
            files.push(p.clone());
            continue;
        }
        let subs: Vec<PathBuf> = ["scenarios", "runbooks"]
            .iter()
            .map(|sub| p.join(sub))
            .filter(|d| d.is_dir())
            .collect();
        if subs.is_empty() {
            files.extend(yaml_files(p));
        }
        for d in &subs {
            files.extend(yaml_files(d));
        }
    }
    files
}

/// Validates files and folders ([`files_to_validate`]): a folder named `runbooks` (or a
/// file inside one) holds runbooks; anything else holds scenarios, checked with the
/// runbooks they name.
pub fn validate_paths(paths: &[PathBuf], library: &Path) -> Validation {
    let mut v = Validation::default();
    let model = DetectionModel::builtin();
    for file in files_to_validate(paths) {
        let is_runbook = file
            .parent()
            .and_then(|d| d.file_name())
            .is_some_and(|n| n == "runbooks");
        if is_runbook {
            v.runbooks += 1;
            match read(&file).and_then(|t| parse_runbook(&file, &t)) {
                Ok(rb) => v.diagnostics.0.extend(check_runbook(&rb)),
                Err(d) => v.diagnostics.0.extend(d.0),
            }
        } else {
            v.scenarios += 1;
            match load_checked(&file, &runbooks_dir_for(&file, library)) {
                Ok(checked) => {
                    v.warnings.0.extend(sim_warnings(&checked.scenario, &model));
                    if let Ok(attack) = Attack::builtin() {
                        v.warnings
                            .0
                            .extend(mitre_warnings(&checked.scenario, attack));
                    }
                }
                Err(d) => v.diagnostics.0.extend(d.0),
            }
        }
    }
    v.diagnostics.sort();
    v.warnings.sort();
    v
}

/// The `mitre:` ids of a valid scenario that an earlier ATT&CK version used and
/// `attack` replaced (its `moved:` list): still read as the technique that replaced
/// them, so a warning, naming that technique, rather than an error.
pub fn mitre_warnings(sc: &Loaded<Scenario>, attack: &Attack) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, id) in sc.value.mitre.iter().enumerate() {
        let Some(t) = attack.moved_to(id) else {
            continue;
        };
        let message = format!(
            "`{}` is not an ATT&CK v{} id: it is now `{}` ({})",
            id.trim(),
            attack.version,
            t.id,
            t.full_name
        );
        let hint = format!(
            "write `{}`; until then the scenario counts as exercising it",
            t.id
        );
        out.push(sc.at(&format!("mitre[{i}]"), message, Some(hint)));
    }
    out
}

/// What a valid scenario asks of the simulator that `model` cannot give. A GuardDuty
/// finding type the model has no rule for is never raised there, so its detection is
/// always missed on the simulator (a drill, met by a sample finding, is not); an alarm the
/// model's account lacks gets a run there refused (see `preflight::missing_alarms`).
/// These are warnings, not errors: on AWS, GuardDuty raises every type of its catalogue,
/// and the alarm is the team's own, so the scenario is right there.
pub fn sim_warnings(sc: &Loaded<Scenario>, model: &DetectionModel) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, d) in sc.value.detect.iter().enumerate() {
        let names_by = detectors::find(d.source.as_str()).and_then(|s| s.spec().names_by);
        let (key, message, hint) = match (names_by, d.finding_type.as_deref(), d.alarm.as_deref()) {
            (Some("finding_type"), Some(t), _)
                if !d.sample
                    && catalogue::is_finding_type(t)
                    && !model.finding_types().any(|m| m == t) =>
            {
                let message = format!(
                    "the simulator never raises `{t}`: its detection model has no rule for it, \
                     so on the simulator this detection is always missed"
                );
                let hint = "on AWS, GuardDuty raises it; to rehearse the response on the \
                            simulator, make it a drill (`sample: true`, met by a \
                            guardduty.create_sample_findings step), or add a rule for it to \
                            engine/src/sim/model.yaml";
                ("finding_type", message, hint.to_owned())
            }
            (Some("alarm"), _, Some(a))
                if template::is_plain(a) && !model.alarm_names().any(|m| m == a) =>
            {
                let message = format!(
                    "the simulator's account has no alarm `{a}`, so a run on the simulator \
                     is refused"
                );
                let alarms = model.alarm_names().collect::<Vec<_>>().join(", ");
                let hint = format!(
                    "its alarms are {alarms} (engine/src/sim/model.yaml); on AWS the account \
                     must have it: `gameday target check TARGET SCENARIO` says"
                );
                ("alarm", message, hint)
            }
            _ if d.source.as_str() == "command" && d.after.is_none() => {
                let message = "the simulator models an external detector only as a hop after \
                               another detection, so on the simulator this detection is \
                               always missed"
                    .to_owned();
                let hint = "give it `after: ID`, the detection the external tool is alerted \
                            by (the GuardDuty or Security Hub finding it pages on)";
                ("source", message, hint.to_owned())
            }
            _ => continue,
        };
        out.push(sc.at(&format!("detect[{i}].{key}"), message, Some(hint)));
    }
    out
}
