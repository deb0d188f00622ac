//! Names the providers define, kept as data and looked up: GuardDuty's finding types, and
//! the test domains GuardDuty raises DNS findings for.
//!
//! The lists are text files beside this one, one name a line (`#` starts a comment line),
//! built into the binary. Validation refuses a finding type GuardDuty does not have (a typo
//! would otherwise wait out its deadline and be reported as a missed detection) and says
//! when a type is one AWS has retired.

use std::collections::HashSet;
use std::sync::OnceLock;

static FINDING_TYPES: &str = include_str!("guardduty_finding_types.txt");
static RETIRED_FINDING_TYPES: &str = include_str!("guardduty_retired_finding_types.txt");
static TEST_DOMAINS_TEXT: &str = include_str!("guardduty_test_domains.txt");

/// The names of a catalogue file: its lines, without blank and comment lines.
fn entries(text: &'static str) -> impl Iterator<Item = &'static str> + Clone {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn set(
    cell: &'static OnceLock<HashSet<&'static str>>,
    text: &'static str,
) -> &'static HashSet<&'static str> {
    cell.get_or_init(|| entries(text).collect())
}

/// Every GuardDuty finding type GuardDuty raises today, in catalogue order.
pub fn finding_types() -> impl Iterator<Item = &'static str> + Clone {
    entries(FINDING_TYPES)
}

/// Whether `name` is a GuardDuty finding type GuardDuty raises today, such as
/// `PenTest:IAMUser/KaliLinux` (exact spelling: types are case-sensitive).
pub fn is_finding_type(name: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    set(&SET, FINDING_TYPES).contains(name)
}

/// Whether `name` is a GuardDuty finding type AWS has retired: GuardDuty no longer raises it.
pub fn is_retired_finding_type(name: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    set(&SET, RETIRED_FINDING_TYPES).contains(name)
}

/// The current finding type `name` is most likely a misspelling of, if any: the nearest
/// within a few edits. Finding types share long prefixes (`UnauthorizedAccess:IAMUser/`),
/// so a looser likeness would offer a type that only starts the same way.
pub fn closest(name: &str) -> Option<&'static str> {
    finding_types()
        .map(|t| {
            (
                strsim::levenshtein(&name.to_lowercase(), &t.to_lowercase()),
                t,
            )
        })
        .filter(|&(d, _)| d <= 3)
        .min_by_key(|&(d, _)| d)
        .map(|(_, t)| t)
}

/// What is wrong with `name` as a finding type, and how to put it right (message, hint);
/// `None` when GuardDuty raises it today.
pub fn finding_type_problem(name: &str) -> Option<(String, String)> {
    if is_finding_type(name) {
        return None;
    }
    if is_retired_finding_type(name) {
        return Some((
            format!("`{name}` is a retired GuardDuty finding type: GuardDuty no longer raises it"),
            "use a current type: \"Retired finding types\" in the AWS GuardDuty User Guide \
             says what replaced it"
                .to_owned(),
        ));
    }
    let hint = match closest(name) {
        Some(c) => format!("did you mean `{c}`?"),
        None => "see \"GuardDuty finding types\" in the AWS GuardDuty User Guide; a type AWS \
                 added since goes in engine/src/catalogue/guardduty_finding_types.txt"
            .to_owned(),
    };
    Some((format!("`{name}` is not a GuardDuty finding type"), hint))
}

/// GuardDuty's test domains with the finding type each raises when an instance resolves
/// it, in catalogue order.
pub fn test_domains() -> impl Iterator<Item = (&'static str, &'static str)> + Clone {
    entries(TEST_DOMAINS_TEXT)
        .filter_map(|l| l.split_once(char::is_whitespace))
        .map(|(d, t)| (d, t.trim()))
}

/// The finding type resolving `domain` raises, when it is one of GuardDuty's test domains.
pub fn test_domain_finding(domain: &str) -> Option<&'static str> {
    test_domains().find(|(d, _)| *d == domain).map(|(_, t)| t)
}

/// What is wrong with `domain` as a name an instance of the run may resolve (message,
/// hint); `None` when it is one of GuardDuty's test domains. A game day sends no traffic
/// outside AWS but these lookups.
pub fn test_domain_problem(domain: &str) -> Option<(String, String)> {
    if test_domain_finding(domain).is_some() {
        return None;
    }
    let all: Vec<&str> = test_domains().map(|(d, _)| d).collect();
    let hint = match crate::diag::closest(domain, all.iter().copied()) {
        Some(d) => format!("did you mean `{d}`?"),
        None => format!("the test domains are {}", all.join(", ")),
    };
    Some((
        format!(
            "`{domain}` is not one of GuardDuty's test domains: a game day resolves no other name"
        ),
        hint,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_types_the_library_and_the_simulator_use() {
        let model = crate::sim::DetectionModel::builtin();
        for t in model.finding_types() {
            assert!(is_finding_type(t), "{t} is in the simulator's model");
        }
        for t in [
            "PenTest:IAMUser/KaliLinux",
            "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
            "Discovery:S3/MaliciousIPCaller.Custom",
            "CryptoCurrency:EC2/BitcoinTool.B!DNS",
            "Backdoor:EC2/C&CActivity.B!DNS",
            "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
            "AttackSequence:IAM/CompromisedCredentials",
        ] {
            assert!(is_finding_type(t), "{t}");
        }
        assert!(!is_finding_type("pentest:iamuser/kalilinux"), "case counts");
        assert!(!is_finding_type("PenTest:IAMUser/ParrotLinx"));
        assert!(!is_finding_type(""));
    }

    #[test]
    fn each_type_is_listed_once_well_formed_and_never_also_retired() {
        let mut seen = HashSet::new();
        for t in finding_types().chain(entries(RETIRED_FINDING_TYPES)) {
            assert!(seen.insert(t), "{t} is listed twice");
            let (tactic, rest) = t.split_once(':').unwrap_or_else(|| panic!("{t}: no `:`"));
            let (resource, name) = rest
                .split_once('/')
                .unwrap_or_else(|| panic!("{t}: no `/`"));
            for part in [tactic, resource, name] {
                assert!(
                    !part.is_empty() && !part.contains(char::is_whitespace),
                    "{t}"
                );
            }
        }
        assert!(finding_types().count() > 150);
        assert!(is_retired_finding_type("Recon:IAMUser/UserPermissions"));
        assert!(!is_retired_finding_type("PenTest:IAMUser/KaliLinux"));
    }

    #[test]
    fn every_test_domain_raises_a_current_dns_finding_type() {
        assert_eq!(test_domains().count(), 11);
        for (domain, t) in test_domains() {
            assert!(is_finding_type(t), "{domain}: {t}");
            assert!(
                t.starts_with(|c: char| c.is_ascii_uppercase()) && t.contains(":EC2/"),
                "{t}"
            );
            assert!(domain.contains("guardduty"), "{domain}");
        }
        assert_eq!(
            test_domain_finding("c2.guarddutyc2activityb.com"),
            Some("Backdoor:EC2/C&CActivity.B!DNS")
        );
        assert!(test_domain_problem("example.com").is_some());
        let (_, hint) = test_domain_problem("guarddutydgaactivty.com").expect("a typo");
        assert!(hint.contains("guarddutydgaactivity.com"), "{hint}");
    }

    #[test]
    fn a_misspelt_type_finds_the_one_meant() {
        assert_eq!(
            closest("PenTest:IAMUser/ParrotLinx"),
            Some("PenTest:IAMUser/ParrotLinux")
        );
        assert_eq!(
            closest("Stealth:IAMUser/CloudtrailLoggingDisabled"),
            Some("Stealth:IAMUser/CloudTrailLoggingDisabled")
        );
        assert_eq!(closest("nothing like it"), None);
        assert_eq!(
            closest("Discovery:IAMUser/SomethingNew"),
            None,
            "a shared start is not a typo"
        );
    }
}
