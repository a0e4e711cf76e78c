//! An `offload perf` workload in the RTL: what the model predicted for the sweep point is what the RTL
//! does, job by job and to the cycle of the last completion.

use offload_cosim::workload::WorkloadRun;
use offload_cosim::{SlaveConfig, Variant};
use offload_model::perf::{self, Param, Workload};
use offload_model::timing::TimingParams;

#[test]
fn a_perf_point_is_what_the_rtl_does() {
    let w = Workload::parse(
        r#"{ "name": "small", "seed": 3, "jobs": 12, "queues": [
            { "mix": [{ "kind": "clone", "bytes": 32768 }, { "kind": "zero", "bytes": 16384, "weight": 2 }] },
            { "mix": [{ "kind": "clone", "bytes": 16384, "block_size": 4096 }] },
            { "jobs": 40, "interval": 2000, "shared": true, "mix": [{ "kind": "ats" }] } ] }"#,
    )
    .expect("a workload");
    let point = perf::run_point(&w, &TimingParams::default(), Param::ReadLatency, 24).expect("runs");
    assert!(point.checkable);
    let run = WorkloadRun { workload: w, queues: 3, variant: Variant::Reference, slave: SlaveConfig::fixed(24, 8) };
    let (summary, not_well, result) = run.run(|_| {});
    if let Err(m) = result {
        panic!("{m}");
    }
    assert_eq!(not_well, 0, "every job ends well, as the workload assumes");
    let c = summary.contention.expect("predicted");
    c.gate().expect("every grant and completion predicted");
    assert!(c.grant_delta.iter().all(|&d| d == 0));
    assert_eq!(c.rtl_cycles, point.cycles, "the perf point's cycles are the RTL's");
}
