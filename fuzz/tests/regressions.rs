//! Every input in `fuzz/regressions/<target>/` (the findings of earlier runs, minimised and named) passes
//! its target now. `make fuzz-smoke` replays them under libFuzzer too; this runs them without the
//! instrumentation (the RTL target's only there, where the RTL is built).

use std::path::Path;

use offload_fuzz::targets::{TARGETS, run};

#[test]
fn every_regression_input_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut replayed = 0;
    for (target, _) in TARGETS {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else { continue };
        for entry in entries {
            let path = entry.expect("a readable directory").path();
            let input = std::fs::read(&path).expect("a readable input");
            if let Err(finding) = run(target, &input) {
                panic!("{}: {finding}", path.display());
            }
            replayed += 1;
        }
    }
    println!("{replayed} regression inputs replayed");
}
