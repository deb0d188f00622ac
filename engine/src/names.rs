//! The naming rules of what gameday names in an account, as the services state them.
//!
//! Every name is checked against its service's rule before any call, on every target: the
//! simulator refuses what AWS refuses with these same rules, and the steps check their
//! inputs with them before the AWS SDK sends anything, so that a name AWS would refuse (or,
//! worse, an emulator would take) fails up front with the input or parameter named.

use std::fmt;

/// A naming rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// IAM user names: 1–64 letters, digits and `_+=,.@-`.
    IamUser,
    /// IAM role names: 1–64 letters, digits and `_+=,.@-`.
    IamRole,
    /// IAM inline policy names: 1–128 letters, digits and `_+=,.@-`.
    IamPolicy,
    /// S3 bucket names: 3–63 lowercase letters, digits, dots and hyphens, starting and
    /// ending with a letter or digit, no two dots together, not an IP address.
    Bucket,
    /// CloudTrail trail names: 3–128 letters, digits, periods, underscores and dashes,
    /// starting and ending with a letter or digit, no two of `._-` together.
    Trail,
    /// EC2 security group names: 1–255 of letters, digits, spaces and `._-:/()#,@[]+=&;{}!$*`,
    /// not starting with `sg-`.
    SecurityGroup,
    /// GuardDuty threat list names: 1–300 letters, digits, spaces, `-`, `_` and `.`.
    ThreatList,
    /// EC2 `Name` tags: up to 255 characters, none a control character.
    NameTag,
}

impl Rule {
    /// What the rule allows, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Rule::IamUser => "an IAM user name: 1 to 64 letters, digits and _+=,.@-",
            Rule::IamRole => "an IAM role name: 1 to 64 letters, digits and _+=,.@-",
            Rule::IamPolicy => "an IAM policy name: 1 to 128 letters, digits and _+=,.@-",
            Rule::Bucket => {
                "an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, \
                 starting and ending with a letter or digit, no `..`, not an IP address"
            }
            Rule::Trail => {
                "a CloudTrail trail name: 3 to 128 letters, digits, periods, underscores and \
                 dashes, starting and ending with a letter or digit, no two of ._- together"
            }
            Rule::SecurityGroup => {
                "a security group name: 1 to 255 letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*, \
                 not starting with sg-"
            }
            Rule::ThreatList => {
                "a GuardDuty threat list name: 1 to 300 letters, digits, spaces, dots, dashes \
                 and underscores"
            }
            Rule::NameTag => "a Name tag: up to 255 characters, no control characters",
        }
    }

    /// Whether `name` follows the rule.
    pub fn allows(self, name: &str) -> bool {
        let len = name.chars().count();
        let only = |extra: &str| {
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
        };
        let ends_alnum = || {
            name.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
                && name
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
        };
        match self {
            Rule::IamUser | Rule::IamRole => (1..=64).contains(&len) && only("_+=,.@-"),
            Rule::IamPolicy => (1..=128).contains(&len) && only("_+=,.@-"),
            Rule::Bucket => {
                (3..=63).contains(&len)
                    && name.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-'
                    })
                    && ends_alnum()
                    && !name.contains("..")
                    && name.parse::<std::net::Ipv4Addr>().is_err()
            }
            Rule::Trail => {
                (3..=128).contains(&len)
                    && only("._-")
                    && ends_alnum()
                    && !name
                        .as_bytes()
                        .windows(2)
                        .any(|w| b"._-".contains(&w[0]) && b"._-".contains(&w[1]))
                    && name.parse::<std::net::Ipv4Addr>().is_err()
            }
            Rule::SecurityGroup => {
                (1..=255).contains(&len)
                    && only(" ._-:/()#,@[]+=&;{}!$*")
                    && !name.to_ascii_lowercase().starts_with("sg-")
            }
            Rule::ThreatList => (1..=300).contains(&len) && only(" ._-"),
            Rule::NameTag => len <= 255 && !name.chars().any(char::is_control),
        }
    }

    /// `Ok` when `name` follows the rule; otherwise why not.
    pub fn check(self, name: &str) -> Result<(), NameError> {
        if self.allows(name) {
            Ok(())
        } else {
            Err(NameError {
                rule: self,
                name: name.to_owned(),
            })
        }
    }
}

/// A name that breaks its rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    /// The rule.
    pub rule: Rule,
    /// The name, as given.
    pub name: String,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The name is shown escaped: it may hold anything, escape sequences included.
        write!(f, "{:?} is not {}", self.name, self.rule.describe())
    }
}

impl std::error::Error for NameError {}

/// The naming rule of input `input` of step kind `kind`, when that input names something
/// in the account.
pub fn rule_of(kind: &str, input: &str) -> Option<Rule> {
    match (kind, input) {
        ("guardduty.create_threat_intel_set", "name") => Some(Rule::ThreatList),
        ("ec2.run_instance", "name") => Some(Rule::NameTag),
        (_, "user_name") => Some(Rule::IamUser),
        (_, "role_name") => Some(Rule::IamRole),
        (_, "policy_name") => Some(Rule::IamPolicy),
        (_, "bucket") => Some(Rule::Bucket),
        (_, "trail_name") => Some(Rule::Trail),
        (_, "group_name") => Some(Rule::SecurityGroup),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_takes_what_its_service_takes_and_nothing_else() {
        let cases: &[(Rule, &[&str], &[&str])] = &[
            (
                Rule::IamUser,
                &["gameday-4f1c2a9e-mallory", "a", "x+=,.@_-"],
                &["", "bad/name<x>", "esc\u{1b}[2J", &"u".repeat(65)],
            ),
            (
                Rule::Bucket,
                &["gameday-4f1c2a9e-reports", "a.b-c", "abc"],
                &[
                    "ab",
                    "Upper",
                    "a..b",
                    "-ab",
                    "ab-",
                    "192.168.1.1",
                    "a_b",
                    &"b".repeat(64),
                ],
            ),
            (
                Rule::Trail,
                &["gameday-4f1c2a9e-trail", "a_b.c-d"],
                &["ab", "-abc", "abc-", "a-_b", "10.0.0.1", "a b"],
            ),
            (
                Rule::SecurityGroup,
                &["gameday-4f1c2a9e-web", "a b (c)"],
                &["", "sg-123", "é", "tab\there"],
            ),
            (
                Rule::ThreatList,
                &["gameday-4f1c2a9e-attacker-ips", "A list"],
                &["", "a/b", &"l".repeat(301)],
            ),
            (
                Rule::NameTag,
                &["", "web server", "é"],
                &["a\nb", "\u{1b}[2J"],
            ),
            (Rule::IamPolicy, &["deny-all", "a"], &["", "a b"]),
        ];
        for (rule, good, bad) in cases {
            for n in *good {
                assert!(rule.allows(n), "{rule:?} must allow {n:?}");
            }
            for n in *bad {
                let e = rule.check(n).expect_err("refused");
                assert!(!e.to_string().contains('\u{1b}'), "{e}");
            }
        }
    }

    #[test]
    fn inputs_that_name_things_have_their_rule() {
        assert_eq!(rule_of("iam.create_user", "user_name"), Some(Rule::IamUser));
        assert_eq!(rule_of("iam.create_role", "role_name"), Some(Rule::IamRole));
        assert_eq!(rule_of("s3.create_bucket", "bucket"), Some(Rule::Bucket));
        assert_eq!(
            rule_of("guardduty.create_threat_intel_set", "name"),
            Some(Rule::ThreatList)
        );
        assert_eq!(rule_of("ec2.run_instance", "name"), Some(Rule::NameTag));
        assert_eq!(rule_of("wait", "duration"), None);
    }
}
