//! Every golden vector replays on the RTL with 0 mismatches, every job's cycles within ±2 % of the
//! model's prediction.

use std::path::Path;

use offload_cosim::{HarnessConfig, vectors};

#[test]
fn every_vector_replays_on_the_rtl() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/data");
    let cases: Vec<_> = vectors::load(&dir).expect("the vectors").into_iter().filter(|c| c.applies_to.rtl).collect();
    assert!(cases.len() >= 40, "{} cases with engine jobs", cases.len());
    let mut jobs = 0;
    for case in &cases {
        let config = HarnessConfig::model_timing(case.config.timing.clone());
        match vectors::replay(case, config).expect("harness") {
            Ok(r) => {
                jobs += r.jobs;
                for s in &r.samples {
                    assert!(s.error_pct().abs() <= 2.0, "{}: {s:?}", case.name);
                }
            }
            Err(m) => panic!("case {}\n{m}", case.name),
        }
    }
    assert!(jobs >= 100, "{jobs} jobs");
}

#[test]
fn a_vector_with_a_wrong_expectation_is_a_mismatch() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/data/read_write.jsonl");
    let mut case = vectors::load(&dir).expect("the vectors").into_iter().find(|c| c.applies_to.rtl).expect("a case");
    let record = case.steps.iter_mut().flat_map(|s| &mut s.commands).flat_map(|c| &mut c.jobs).next().expect("a job");
    record.completion.blocks_done += 1;
    let m = vectors::replay(&case, HarnessConfig::model_timing(case.config.timing.clone()))
        .expect("harness")
        .expect_err("the RTL does not do what the altered vector says");
    assert!(m.field.starts_with("blocks_done"), "{m}");
}
