//! Durations as scenario authors write them: `500ms`, `90s`, `15m`, `1h30m`, `2d`.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A non-negative span of time with millisecond precision.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(u64);

impl Duration {
    /// The zero duration.
    pub const ZERO: Duration = Duration(0);

    /// A duration of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Duration(ms)
    }

    /// A duration of `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        Duration(s * 1000)
    }

    /// Milliseconds in this duration.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Seconds in this duration, with fractions.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }

    /// The same span as a standard library duration.
    pub fn to_std(self) -> std::time::Duration {
        std::time::Duration::from_millis(self.0)
    }

    /// Saturating addition.
    pub fn saturating_add(self, other: Duration) -> Duration {
        Duration(self.0.saturating_add(other.0))
    }

    /// Saturating subtraction.
    pub fn saturating_sub(self, other: Duration) -> Duration {
        Duration(self.0.saturating_sub(other.0))
    }
}

/// Why a duration did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a duration: {why}{}", if *.too_long { "" } else { "; write it like 90s, 15m, 1h30m" })]
pub struct ParseDurationError {
    input: String,
    why: &'static str,
    /// Written as a duration, but longer than a duration can be: how to write one would
    /// not help.
    too_long: bool,
}

impl FromStr for Duration {
    type Err = ParseDurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why| ParseDurationError {
            input: s.to_owned(),
            why,
            too_long: false,
        };
        // Milliseconds are counted in 64 bits: over 584 million years.
        let too_long = || ParseDurationError {
            input: s.to_owned(),
            why: "it is too long: the longest is 213503982334d",
            too_long: true,
        };
        if s.is_empty() {
            return Err(err("it is empty"));
        }
        let mut total: u64 = 0;
        let mut rest = s;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(err("a number must come before each unit"));
            }
            let value: u64 = rest[..digits].parse().map_err(|_| too_long())?;
            rest = &rest[digits..];
            let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
            let factor = match &rest[..unit_len] {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                "d" => 86_400_000,
                "" => return Err(err("a unit (ms, s, m, h, d) must follow each number")),
                _ => return Err(err("the unit must be one of ms, s, m, h, d")),
            };
            rest = &rest[unit_len..];
            total = value
                .checked_mul(factor)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(too_long)?;
        }
        Ok(Duration(total))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = self.0;
        if ms == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in [
            ("d", 86_400_000),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1_000),
        ] {
            if ms >= size {
                write!(f, "{}{unit}", ms / size)?;
                ms %= size;
            }
        }
        if ms > 0 {
            write!(f, "{ms}ms")?;
        }
        Ok(())
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The pattern a duration string must match; used in the generated JSON Schema.
pub const DURATION_PATTERN: &str = "^([0-9]+(ms|s|m|h|d))+$";

impl JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": DURATION_PATTERN,
            "description": "A duration such as 500ms, 90s, 15m, 1h30m or 2d.",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_compounds() {
        assert_eq!("90s".parse(), Ok(Duration::from_secs(90)));
        assert_eq!("15m".parse(), Ok(Duration::from_secs(900)));
        assert_eq!("1h30m".parse(), Ok(Duration::from_secs(5400)));
        assert_eq!("250ms".parse(), Ok(Duration::from_millis(250)));
        assert_eq!("2d".parse(), Ok(Duration::from_secs(172_800)));
    }

    #[test]
    fn refuses_what_is_not_a_duration() {
        for bad in [
            "",
            "15",
            "m",
            "15 minutes",
            "1.5h",
            "15M",
            "-1s",
            "99999999999999999999d",
        ] {
            assert!(bad.parse::<Duration>().is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn a_duration_too_long_to_count_says_so() {
        let longest = "213503982334d";
        let d: Duration = longest.parse().expect("the longest whole days");
        assert_eq!(d.to_string(), longest);
        for bad in ["213503982335d", "99999999999999999999d", "213503982334d1d"] {
            let e = bad.parse::<Duration>().err().map(|e| e.to_string());
            assert_eq!(
                e.as_deref(),
                Some(
                    format!("`{bad}` is not a duration: it is too long: the longest is {longest}")
                        .as_str()
                )
            );
        }
        let e = "15 minutes"
            .parse::<Duration>()
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|e| e.ends_with("; write it like 90s, 15m, 1h30m")),
            "{e:?}"
        );
    }

    #[test]
    fn displays_in_the_form_it_parses() {
        for s in ["1h30m", "90ms", "2d1s", "15m"] {
            let d: Duration = s.parse().expect("valid");
            assert_eq!(d.to_string().parse::<Duration>(), Ok(d));
        }
        assert_eq!(Duration::from_secs(5400).to_string(), "1h30m");
    }
}
