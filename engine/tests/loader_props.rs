//! The loader never panics, whatever it is given: random text, and valid scenarios with
//! random damage.

use gameday_engine::library;
use proptest::prelude::*;
use std::path::Path;

const SAMPLE: &str = include_str!("../../scenarios/compromised-access-key.yaml");

fn load(text: &str) {
    // Both outcomes are fine; only a panic fails.
    let path = Path::new("scenarios/fuzz.yaml");
    if let Ok(s) = library::parse_scenario(path, text) {
        let _ = library::check_scenario(&s);
    }
    let _ = library::parse_runbook(Path::new("runbooks/fuzz.yaml"), text);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,400}") {
        load(&text);
    }

    #[test]
    fn yaml_shaped_noise_never_panics(text in "([a-z_]{1,8}: (\\[|\\{|&a |\\*a |\"|'|-|\\$\\{|[0-9a-z]{0,6})\n {0,4}){0,30}") {
        load(&text);
    }

    #[test]
    fn damaged_scenarios_never_panic(cuts in proptest::collection::vec((0usize..4000, 0usize..20, "\\PC{0,6}"), 1..6)) {
        let mut text = SAMPLE.to_owned();
        for (at, len, insert) in cuts {
            let mut at = at.min(text.len());
            while !text.is_char_boundary(at) { at -= 1; }
            let mut end = (at + len).min(text.len());
            while !text.is_char_boundary(end) { end -= 1; }
            text.replace_range(at..end, &insert);
        }
        load(&text);
    }
}
