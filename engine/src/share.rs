//! Shares as people read them. Rounded to the nearest, a share short of the whole could
//! read as all of it (996 of 1000 as 100%) and a share above nothing as none of it (1 of
//! 1000 as 0%); here neither can: a partial share stops one step short of either end.

/// `ratio` (a share of a whole, 0 to 1) rounded to the nearest of `steps` steps (100 for
/// whole percents, 1000 for three decimals), but never to 0 when it is above 0 nor to 1
/// when it is below 1.
pub fn round_share(ratio: f64, steps: f64) -> f64 {
    let rounded = (ratio * steps).round();
    let honest = if ratio > 0.0 && ratio < 1.0 {
        rounded.clamp(1.0, steps - 1.0)
    } else {
        rounded
    };
    honest / steps
}

/// `ratio` (0 to 1) as a whole percentage, such as `99%`: what every output prints for a
/// pass rate or a share, rounded as [`round_share`] does.
pub fn percent(ratio: f64) -> String {
    format!("{:.0}%", round_share(ratio, 100.0) * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(n: u32, whole: u32) -> String {
        percent(f64::from(n) / f64::from(whole))
    }

    #[test]
    fn a_shortfall_never_reads_as_all_and_a_few_never_as_none() {
        assert_eq!(of(996, 1000), "99%");
        assert_eq!(of(999_999, 1_000_000), "99%");
        assert_eq!(of(1, 1000), "1%");
        assert_eq!(of(1, 1_000_000), "1%");
        assert_eq!(of(1000, 1000), "100%");
        assert_eq!(of(0, 1000), "0%");
    }

    #[test]
    fn anything_else_rounds_to_the_nearest() {
        assert_eq!(of(1, 2), "50%");
        assert_eq!(of(2, 3), "67%");
        assert_eq!(of(1, 3), "33%");
        assert_eq!(of(19, 20), "95%");
        assert_eq!(of(986, 1000), "99%");
        assert_eq!(of(15, 1000), "2%");
    }

    #[test]
    fn fractions_keep_the_same_promise() {
        assert_eq!(round_share(0.9996, 1000.0), 0.999);
        assert_eq!(round_share(0.0004, 1000.0), 0.001);
        assert_eq!(round_share(0.5, 1000.0), 0.5);
        assert_eq!(round_share(1.0, 1000.0), 1.0);
        assert_eq!(round_share(0.0, 1000.0), 0.0);
        assert_eq!(round_share(2.0 / 3.0, 1000.0), 0.667);
    }
}
