//! Probing a check in the step kinds' simulated account, for the checks' tests.

use crate::sandbox::SandboxError;
use crate::steps::Args;
use crate::steps::testing::Harness;
use serde_json::Value;

/// Probes check `check` with inputs `with` (no references) in `h`'s account; the value
/// must be one its spec declares.
pub async fn probe(h: &Harness, check: &str, with: Value) -> Result<Value, SandboxError> {
    let c = super::find(check).unwrap_or_else(|| panic!("no check {check}"));
    let Value::Object(values) = with else {
        panic!("inputs must be a mapping")
    };
    let value = c
        .probe(&h.sandbox, &Args::new(c.spec().name, values, Vec::new()))
        .await?;
    assert!(
        c.spec().values.contains(&value),
        "{check} reported {value}, not one of {}",
        c.spec().values.describe()
    );
    Ok(value)
}
