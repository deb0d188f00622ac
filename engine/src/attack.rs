//! The ATT&CK data gameday knows (`attack.yaml`): the Enterprise tactics and the
//! techniques that matter for an AWS account, and the ids earlier versions used that the
//! current one replaced. Coverage draws its matrix from it; validation warns of replaced
//! ids; the catalogue names techniques and tactics with it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// An ATT&CK tactic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tactic {
    /// `TA0001`…
    pub id: String,
    /// ATT&CK's short name: `initial-access`…
    pub key: String,
    /// `Initial Access`…
    pub name: String,
}

/// An ATT&CK technique or sub-technique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Technique {
    /// `T1078`, or `T1078.004` for a sub-technique.
    pub id: String,
    /// Its own name: `Cloud Accounts` for T1078.004.
    pub name: String,
    /// The name as ATT&CK writes it in full: `Valid Accounts: Cloud Accounts`.
    pub full_name: String,
    /// The parent's id, for a sub-technique.
    pub parent: Option<String>,
    /// Keys of the tactics it serves, in matrix order.
    pub tactics: Vec<String>,
}

/// The ATT&CK data gameday knows (`attack.yaml`).
#[derive(Debug, Clone)]
pub struct Attack {
    /// The ATT&CK version the data follows.
    pub version: String,
    /// Platforms the techniques were chosen from.
    pub platforms: Vec<String>,
    /// Tactics in matrix order.
    pub tactics: Vec<Tactic>,
    /// Techniques, each sub-technique right after its parent.
    pub techniques: Vec<Technique>,
    /// Ids earlier ATT&CK versions used that this one replaced.
    pub moved: Vec<Moved>,
    index: HashMap<String, usize>,
}

/// An id an earlier ATT&CK version used, and the technique of this version that replaces
/// it (T1562.008, Disable or Modify Cloud Logs, is T1685.002 from v19).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Moved {
    /// The old id.
    pub from: String,
    /// The listed technique that replaces it.
    pub to: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttack {
    version: String,
    domain: String,
    #[serde(default)]
    platforms: Vec<String>,
    tactics: Vec<Tactic>,
    techniques: Vec<RawTechnique>,
    #[serde(default)]
    moved: Vec<Moved>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTechnique {
    id: String,
    name: String,
    #[serde(default)]
    tactics: Vec<String>,
}

/// True for `T` followed by four digits, and optionally `.` and three digits.
fn well_formed(id: &str) -> bool {
    let b = id.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => b[0] == b'T' && digits(&b[1..]),
        9 => b[0] == b'T' && digits(&b[1..5]) && b[5] == b'.' && digits(&b[6..]),
        _ => false,
    }
}

impl Attack {
    /// The data shipped with gameday, parsed and checked at first use.
    pub fn builtin() -> Result<&'static Attack, String> {
        static BUILTIN: OnceLock<Result<Attack, String>> = OnceLock::new();
        BUILTIN
            .get_or_init(|| Attack::from_yaml(include_str!("attack.yaml")))
            .as_ref()
            .map_err(|e| format!("the built-in ATT&CK data (attack.yaml) is invalid: {e}"))
    }

    /// Parses and checks ATT&CK data; every problem is reported, one a line.
    pub fn from_yaml(text: &str) -> Result<Attack, String> {
        let raw: RawAttack = serde_saphyr::from_str(text).map_err(|e| e.to_string())?;
        let mut problems = Vec::new();
        if raw.domain != "enterprise-attack" {
            problems.push(format!("domain `{}`: only enterprise-attack", raw.domain));
        }
        let keys: Vec<&str> = raw.tactics.iter().map(|t| t.key.as_str()).collect();
        let mut techniques: Vec<Technique> = Vec::new();
        let mut index = HashMap::new();
        for t in raw.techniques {
            if !well_formed(&t.id) {
                problems.push(format!(
                    "`{}` is not a technique id like T1078 or T1078.004",
                    t.id
                ));
                continue;
            }
            if index.contains_key(&t.id) {
                problems.push(format!("`{}` is listed twice", t.id));
                continue;
            }
            let parent = t.id.split_once('.').map(|(p, _)| p.to_owned());
            let (tactics, full_name) = match &parent {
                None => (t.tactics.clone(), t.name.clone()),
                Some(p) => match index.get(p).and_then(|i: &usize| techniques.get(*i)) {
                    Some(pt) => (
                        if t.tactics.is_empty() {
                            pt.tactics.clone()
                        } else {
                            t.tactics.clone()
                        },
                        format!("{}: {}", pt.name, t.name),
                    ),
                    None => {
                        problems.push(format!(
                            "`{}`: its parent `{p}` must be listed before it",
                            t.id
                        ));
                        continue;
                    }
                },
            };
            if tactics.is_empty() {
                problems.push(format!("`{}` has no tactics", t.id));
            }
            for k in &tactics {
                if !keys.contains(&k.as_str()) {
                    problems.push(format!("`{}`: unknown tactic `{k}`", t.id));
                }
            }
            // Keep matrix order whatever order the file lists them in.
            let mut tactics = tactics;
            tactics.sort_by_key(|k| keys.iter().position(|x| x == k));
            index.insert(t.id.clone(), techniques.len());
            techniques.push(Technique {
                id: t.id,
                name: t.name,
                full_name,
                parent,
                tactics,
            });
        }
        problems.extend(check_moved(&raw.moved, &index));
        if problems.is_empty() {
            Ok(Attack {
                version: raw.version,
                platforms: raw.platforms,
                tactics: raw.tactics,
                techniques,
                moved: raw.moved,
                index,
            })
        } else {
            Err(problems.join("\n"))
        }
    }

    /// The technique with this id (case and surrounding blanks ignored).
    pub fn find(&self, id: &str) -> Option<&Technique> {
        self.index
            .get(&normalise(id))
            .and_then(|i| self.techniques.get(*i))
    }

    /// The technique that replaces `id`, an id an earlier ATT&CK version used (case and
    /// surrounding blanks ignored); `None` for an id this version lists, or does not know.
    pub fn moved_to(&self, id: &str) -> Option<&Technique> {
        let id = normalise(id);
        self.moved
            .iter()
            .find(|m| m.from == id)
            .and_then(|m| self.find(&m.to))
    }

    /// The id this version uses for `id`: the technique replacing it when it moved, else
    /// `id` itself, normalised.
    pub fn current_id(&self, id: &str) -> String {
        self.moved_to(id)
            .map_or_else(|| normalise(id), |t| t.id.clone())
    }

    /// The techniques of a tactic by id, each sub-technique right after its parent.
    pub fn of_tactic(&self, key: &str) -> Vec<&Technique> {
        let mut v: Vec<&Technique> = self
            .techniques
            .iter()
            .filter(|t| t.tactics.iter().any(|k| k == key))
            .collect();
        v.sort_by(|a, b| {
            let root = |t: &Technique| t.parent.clone().unwrap_or_else(|| t.id.clone());
            (root(a), &a.id).cmp(&(root(b), &b.id))
        });
        v
    }
}

/// The problems of a `moved:` list: each `from` well formed, listed once and not a
/// technique of this version; each `to` a listed technique.
fn check_moved(moved: &[Moved], index: &HashMap<String, usize>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for m in moved {
        if !well_formed(&m.from) {
            problems.push(format!("moved: `{}` is not a technique id", m.from));
        } else if index.contains_key(&m.from) {
            problems.push(format!(
                "moved: `{}` is a technique of this version, so it cannot have moved",
                m.from
            ));
        } else if !seen.insert(m.from.as_str()) {
            problems.push(format!("moved: `{}` is listed twice", m.from));
        }
        if !index.contains_key(&m.to) {
            problems.push(format!(
                "moved: `{}` → `{}`: `{}` is not a listed technique",
                m.from, m.to, m.to
            ));
        }
    }
    problems
}

/// A technique id as the data writes it: upper case, no blanks.
fn normalise(id: &str) -> String {
    id.trim().to_ascii_uppercase()
}
