//! `offload perf`: workloads, sweeps and their points (`offload_model::perf`).

use offload_model::perf::{self, Kind, Param, Sweep, Workload, WorkloadError};
use offload_model::timing::TimingParams;

#[test]
fn sweeps_parse_lists_and_ranges_and_name_what_is_wrong() {
    let s: Sweep = "max_outstanding_reads=1..4".parse().expect("a range");
    assert_eq!((s.param, s.values), (Param::MaxOutstandingReads, vec![1, 2, 3, 4]));
    let s: Sweep = "burst_beats=8,16".parse().expect("a list");
    assert_eq!((s.param, s.values), (Param::BurstBeats, vec![8, 16]));
    for bad in ["engines=1..3", "queues", "queues=4..1", "queues=a,b", "queues="] {
        let e = bad.parse::<Sweep>().expect_err(bad).to_string();
        assert!(e.contains("lock_entries"), "{bad}: the message lists the parameters: {e}");
    }
}

#[test]
fn workloads_are_checked_when_read() {
    let text = |mix: &str| format!(r#"{{"name": "w", "jobs": 2, "queues": [{{"mix": [{mix}]}}]}}"#);
    assert!(Workload::parse(&text(r#"{"kind": "clone", "bytes": 65536}"#)).is_ok());
    let err = |mix: &str| Workload::parse(&text(mix)).expect_err(mix);
    assert!(matches!(err(r#"{"kind": "clone", "bytes": 1000}"#), WorkloadError::Bytes { .. }));
    assert!(matches!(err(r#"{"kind": "zero", "block_size": 1024}"#), WorkloadError::BlockSize { .. }));
    assert!(matches!(err(r#"{"kind": "unmap"}"#), WorkloadError::Parse(_)));
    assert!(matches!(err(""), WorkloadError::EmptyMix { .. }));
    let mixed = r#"{"kind": "clone", "bytes": 4096}, {"kind": "zero", "bytes": 4096, "block_size": 4096}"#;
    assert!(matches!(err(mixed), WorkloadError::MixedBlockSizes { .. }));
    assert!(matches!(Workload::preset("vmware"), Err(WorkloadError::Preset(..))));
}

#[test]
fn a_workload_draws_the_same_jobs_from_its_seed_and_arrivals_grow() {
    let w = Workload::preset("esxi").expect("a preset");
    assert_eq!(w.jobs(3), w.jobs(3));
    let heartbeats = &w.jobs(3)[2];
    assert!(heartbeats.iter().all(|(k, _)| *k == Kind::Ats));
    let arrivals: Vec<u64> = heartbeats.iter().map(|(_, j)| j.arrival.expect("a Poisson stream")).collect();
    assert!(arrivals.windows(2).all(|a| a[0] <= a[1]));
    // The mean gap is the workload's interval, give or take.
    let mean = arrivals.last().copied().unwrap_or(0) as f64 / arrivals.len() as f64;
    assert!((15_000.0..25_000.0).contains(&mean), "mean gap {mean}");
}

#[test]
fn the_esxi_preset_saturates_the_port_once_reads_cover_the_latency() {
    let base = TimingParams::default();
    let w = Workload::preset("esxi").expect("a preset");
    let one = perf::run_point(&w, &base, Param::MaxOutstandingReads, 1).expect("runs");
    let four = perf::run_point(&w, &base, Param::MaxOutstandingReads, 4).expect("runs");
    // One read burst in flight: a burst per R + L cycles (16 of 32); four cover the latency.
    assert!((one.read_utilisation - 0.5).abs() < 0.02, "{}", one.read_utilisation);
    assert!(four.read_utilisation > 0.99, "{}", four.read_utilisation);
    // Bytes moved: 32 clones of 4 MiB and 400 ATS of 2 × 512 bytes, over the run.
    let moved = (32 * (4u64 << 20) + 400 * 1024) as f64;
    assert!((four.bytes_per_cycle * four.cycles as f64 - moved).abs() < 1.0);
    assert!(four.checkable && !one.checkable);
    // Two lock entries leave one to the heartbeats beside the clone; one makes them wait for it.
    let le1 = perf::run_point(&w, &base, Param::LockEntries, 1).expect("runs");
    let le2 = perf::run_point(&w, &base, Param::LockEntries, 2).expect("runs");
    let ats = |p: &perf::Point| p.latency[&Kind::Ats].p50;
    assert!(ats(&le1) > 100 * ats(&le2), "{} vs {}", ats(&le1), ats(&le2));
}
