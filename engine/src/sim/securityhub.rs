//! Security Hub of the simulated account: GuardDuty's findings, imported with the model's
//! probability and latency (`securityhub.from_guardduty` in `model.yaml`).

use super::SimAccount;
use crate::sandbox::{Finding, HubFinding, Result, SecurityHub};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The finding's stream of draws: from its id, so that importing one finding draws the
/// same whatever else the account holds, and draws nothing from the account's streams.
pub(super) fn draws(id: &str) -> ChaCha8Rng {
    // FNV-1a: stable across builds and platforms, unlike the standard hasher.
    let seed = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    ChaCha8Rng::seed_from_u64(seed)
}

/// `TTPs/PenTest/PenTest:IAMUser-KaliLinux` for `PenTest:IAMUser/KaliLinux`.
fn asff_type(finding_type: &str) -> String {
    let purpose = finding_type.split(':').next().unwrap_or(finding_type);
    format!("TTPs/{purpose}/{}", finding_type.replacen('/', "-", 1))
}

/// A GuardDuty finding as Security Hub shows it, created at `at`.
fn imported(f: &Finding, at: DateTime<Utc>, detector: &str) -> HubFinding {
    let r = &f.resource;
    HubFinding {
        id: format!("{detector}/finding/{}", f.id),
        product_name: "GuardDuty".to_owned(),
        generator_id: detector.to_owned(),
        types: vec![asff_type(&f.finding_type)],
        title: f.title.clone(),
        resources: [
            &r.access_key_id,
            &r.user_name,
            &r.instance_id,
            &r.bucket,
            &r.trail_name,
        ]
        .into_iter()
        .flatten()
        .cloned()
        .collect(),
        created_at: at,
    }
}

#[async_trait]
impl SecurityHub for SimAccount {
    async fn findings(&self, since: DateTime<Utc>) -> Result<Vec<HubFinding>> {
        let Some(chance) = self.model.securityhub else {
            return Ok(Vec::new());
        };
        let now = self.clock.now();
        let detector = format!(
            "arn:aws:guardduty:{}:{}:detector/sim",
            self.region, self.account
        );
        let st = self.lock();
        let mut out: Vec<HubFinding> = st
            .findings
            .iter()
            .filter_map(|s| {
                let f = &s.finding;
                let latency = chance.draw(&mut draws(&f.id))?;
                let at = f.created_at + chrono::Duration::milliseconds(latency.as_millis() as i64);
                (at <= now && at >= since).then(|| imported(f, at, &detector))
            })
            .collect();
        out.sort_by_key(|f| f.created_at);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guardduty_type_reads_as_asff() {
        assert_eq!(
            asff_type("PenTest:IAMUser/KaliLinux"),
            "TTPs/PenTest/PenTest:IAMUser-KaliLinux"
        );
    }

    #[test]
    fn a_findings_draws_depend_on_its_id_alone() {
        use rand::RngExt;
        let a: f64 = draws("abc").random();
        let b: f64 = draws("abc").random();
        let c: f64 = draws("abd").random();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
