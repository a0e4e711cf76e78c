//! The RTL's line coverage (feature `coverage`): the counters follow what the RTL did, and survive the
//! trip through Verilator's `coverage.dat` writer.
#![cfg(feature = "coverage")]

use offload_cosim::rtl::{CoverageError, Rtl, check_coverage_output, write_coverage};
use offload_cosim::{Harness, HarnessConfig, Variant};
use offload_model::address::unit_address;
use offload_model::config::UnitConfig;
use offload_model::engine::{Job, JobOp};
use offload_model::media::{Memory, UnitStore};
use offload_model::timing::TimingParams;

fn memory() -> Memory {
    let mut unit = UnitStore::new(&UnitConfig { blocks: 256, block_size: 512, thin: false, ..UnitConfig::default() });
    for lba in 0..64u64 {
        unit.load_block(lba, &[lba as u8; 512]);
    }
    Memory::new(vec![unit])
}

/// The counts after `jobs` ran to completion (each checked against the model).
fn coverage_after(jobs: &[Job]) -> Vec<u32> {
    let mut h = Harness::new(HarnessConfig::model_timing(TimingParams::default()), memory()).expect("harness");
    for job in jobs {
        h.submit(0, job.clone()).expect("queue");
    }
    h.finish().expect("the RTL agrees with the model");
    h.rtl_coverage()
}

fn covered(counts: &[u32]) -> usize {
    counts.iter().filter(|&&c| c > 0).count()
}

fn copy() -> Job {
    Job {
        tag: 1,
        op: JobOp::Copy,
        src: unit_address(0, 0, 512),
        dst: unit_address(0, 100, 512),
        blocks: 4,
        block_shift: 9,
    }
}

fn zero() -> Job {
    Job { tag: 2, op: JobOp::Zero, src: 0, dst: unit_address(0, 120, 512), blocks: 4, block_shift: 9 }
}

#[test]
fn the_counts_follow_the_jobs_run() {
    let points = Rtl::coverage_points(Variant::Reference);
    assert!(points > 100, "the RTL has {points} coverage points");
    let idle = coverage_after(&[]);
    assert_eq!(idle.len(), points);
    assert!(covered(&idle) > 0, "reset and idle cycles run some branches");

    let copied = coverage_after(&[copy()]);
    let zeroed = coverage_after(&[zero()]);
    let both = coverage_after(&[copy(), zero()]);
    // A job adds branches to idle, and each kind of job has branches the other does not take.
    assert!(covered(&copied) > covered(&idle));
    assert!(copied.iter().zip(&zeroed).any(|(&c, &z)| c > 0 && z == 0), "the copy engine's own branches");
    assert!(zeroed.iter().zip(&copied).any(|(&z, &c)| z > 0 && c == 0), "the zero engine's own branches");
    // Running both covers at least what each covered alone; a fresh instance starts from nothing.
    for i in 0..points {
        assert!(both[i] > 0 || (copied[i] == 0 && zeroed[i] == 0), "point {i} lost when both jobs ran");
    }
    assert_eq!(coverage_after(&[]), idle, "the same stimulus covers the same points the same number of times");
}

#[test]
fn written_coverage_keeps_every_count() {
    let counts = coverage_after(&[copy(), zero()]);
    let dir = std::env::temp_dir().join(format!("offload-cosim-coverage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let path = dir.join("coverage.dat");
    write_coverage(Variant::Reference, &counts, &path).expect("write coverage.dat");
    let text = std::fs::read_to_string(&path).expect("read coverage.dat");
    std::fs::remove_dir_all(&dir).ok();

    // Each point is a line `C '<key/value pairs>' <count>`; the pairs name the RTL source file.
    let points: Vec<(&str, u64)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("C '"))
        .map(|l| {
            let (key, count) = l.rsplit_once("' ").expect("a count after the key");
            (key, count.trim().parse().expect("a decimal count"))
        })
        .collect();
    assert!(!points.is_empty());
    assert!(points.iter().any(|(key, _)| key.contains("offload_engine.sv")));
    let written: u64 = points.iter().map(|(_, c)| c).sum();
    let ran: u64 = counts.iter().map(|&c| u64::from(c)).sum();
    // Verilator merges points that several instances of one module share; the totals stay equal.
    assert_eq!(written, ran);
}

#[test]
fn bad_coverage_output_is_an_error_not_an_abort() {
    let counts = coverage_after(&[]);
    let nowhere = std::path::Path::new("/nonexistent-directory/coverage.dat");
    assert!(matches!(write_coverage(Variant::Reference, &counts, nowhere), Err(CoverageError::Io { .. })));
    assert!(matches!(check_coverage_output(Variant::Reference, nowhere), Err(CoverageError::Io { .. })));
    let path = std::env::temp_dir().join(format!("offload-cosim-coverage-short-{}.dat", std::process::id()));
    let short = write_coverage(Variant::Reference, &counts[1..], &path);
    assert!(matches!(short, Err(CoverageError::WrongLength { given, points }) if given + 1 == points));
}
