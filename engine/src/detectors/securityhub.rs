//! `securityhub`: a Security Hub finding, where GuardDuty, Config, Inspector, Macie, Access
//! Analyzer and partner products meet.

use super::{DetectorSpec, Hit, Look, Problem};
use crate::sandbox::{HubFinding, SandboxError};
use crate::scenario::Detect;
use crate::steps::{Field, FieldType};
use async_trait::async_trait;

pub struct SecurityHub;

const fn text(name: &'static str, doc: &'static str) -> Field {
    Field {
        name,
        ty: FieldType::String,
        required: false,
        doc,
    }
}

/// The inputs that say which findings count: at least one is needed.
const FILTERS: &[&str] = &["product", "type", "generator", "title"];

static SPEC: DetectorSpec = DetectorSpec {
    name: "securityhub",
    summary: "A Security Hub finding of a product, type, generator or title, about the resource `match` names.",
    docs: "Met by the first active finding created at or after T0 that has every input given \
           and whose resources include the `match` resource. Its time is the finding's own \
           CreatedAt, which for an imported finding (GuardDuty's, for example) is when \
           Security Hub got it, not when the product first saw the activity: a hop after \
           the product's own detection. One GetFindings an interval (`poll.detectors`) serves \
           every run in the account.",
    names_by: None,
    inputs: &[
        text(
            "product",
            "ProductName, such as GuardDuty, Inspector, Macie.",
        ),
        text(
            "type",
            "Text one of the finding's ASFF types contains; a GuardDuty finding type \
             (PenTest:IAMUser/KaliLinux) matches its ASFF form (…PenTest:IAMUser-KaliLinux).",
        ),
        text("generator", "Text the GeneratorId contains."),
        text("title", "Text the title contains."),
    ],
    match_keys: &["resource"],
    calls: &["securityhub:GetFindings"],
    time: "the finding's CreatedAt",
    drills: false,
    poll: super::Every::Detectors,
};

/// Whether finding `f` has every input of `look` and its `match` resource.
fn wanted(f: &HubFinding, look: &Look<'_>) -> bool {
    let has = |name: &str, ok: &dyn Fn(&str) -> bool| look.text(name).is_none_or(ok);
    has("product", &|p| f.product_name.eq_ignore_ascii_case(p))
        && has("type", &|t| {
            let asff = t.replacen('/', "-", 1);
            f.types.iter().any(|x| x.contains(t) || x.contains(&asff))
        })
        && has("generator", &|g| f.generator_id.contains(g))
        && has("title", &|t| f.title.contains(t))
        && look
            .matches
            .get("resource")
            .is_none_or(|r| f.resources.iter().any(|x| x.contains(r.as_str())))
}

#[async_trait]
impl super::Detector for SecurityHub {
    fn spec(&self) -> &'static DetectorSpec {
        &SPEC
    }

    fn name(&self, d: &Detect) -> String {
        FILTERS
            .iter()
            .filter_map(|k| d.with.get(*k).and_then(|v| v.as_str()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn check(&self, d: &Detect) -> Vec<Problem> {
        if FILTERS.iter().any(|k| d.with.contains_key(*k)) {
            return Vec::new();
        }
        vec![Problem::new(
            "",
            "a securityhub detection needs at least one of `with.product`, `with.type`, \
             `with.generator`, `with.title`: otherwise any finding would do",
            Some("for GuardDuty's findings: with: { product: GuardDuty, type: PenTest:IAMUser/KaliLinux }".to_owned()),
        )]
    }

    async fn find(&self, look: &Look<'_>) -> Result<Option<Hit>, SandboxError> {
        let findings = look.sandbox.securityhub().findings(look.run_start).await?;
        Ok(findings
            .into_iter()
            .filter(|f| f.created_at >= look.t0 && wanted(f, look))
            .min_by_key(|f| f.created_at)
            .map(|f| Hit {
                at: f.created_at,
                evidence: f.id,
                title: f.title,
            }))
    }
}
