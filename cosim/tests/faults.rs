//! Proof that the co-simulation catches bugs: each deliberate RTL fault (`OFFLOAD_FAULT_*`, built with
//! the `fault-models` feature) runs a stimulus that passes on the RTL as it is and must stop with the
//! expected mismatch on the faulty build.
#![cfg(feature = "fault-models")]

use offload_cosim::rtl::Fault;
use offload_cosim::{Harness, HarnessConfig, Mismatch, Variant};
use offload_model::address::{buffer_address, unit_address};
use offload_model::config::UnitConfig;
use offload_model::engine::{Job, JobOp};
use offload_model::media::{Memory, UnitStore};
use offload_model::timing::TimingParams;

/// One thick unit of 512-byte blocks; block `lba` holds bytes `lba + i`.
fn memory() -> Memory {
    let mut unit = UnitStore::new(&UnitConfig { blocks: 1024, block_size: 512, thin: false, ..UnitConfig::default() });
    for lba in 0..256u64 {
        let block: Vec<u8> = (0..512u64).map(|i| (lba * 7 + i) as u8).collect();
        unit.load_block(lba, &block);
    }
    Memory::new(vec![unit])
}

fn job(tag: u16, op: JobOp, src: u64, dst: u64, blocks: u32) -> Job {
    Job { tag, op, src, dst, blocks, block_shift: 9 }
}

/// Runs `jobs` (queue, job) on `variant`, all submitted at once, with the model's memory timing (cycles
/// checked when one queue runs them all).
fn run(variant: Variant, memory: Memory, jobs: &[(u8, Job)]) -> Result<(), Mismatch> {
    let one_queue = jobs.iter().all(|(q, _)| *q == jobs[0].0);
    let mut config = HarnessConfig { variant, ..HarnessConfig::model_timing(TimingParams::default()) };
    config.cycle_tolerance_pct = config.cycle_tolerance_pct.filter(|_| one_queue);
    let mut h = Harness::new(config, memory).expect("harness");
    for (q, j) in jobs {
        h.submit(*q, j.clone()).expect("queue");
    }
    h.finish()
}

/// Passes on the reference RTL; on `fault`, stops with a mismatch of `field`.
fn caught(fault: Fault, memory: Memory, jobs: &[(u8, Job)], field: &str) {
    run(Variant::Reference, memory.clone(), jobs).expect("the reference RTL passes");
    let m = run(Variant::Fault(fault), memory, jobs).expect_err("the fault is caught");
    println!("{m}");
    assert!(m.field.starts_with(field), "{fault:?}: expected a mismatch of {field}, got {m}");
}

#[test]
fn a_burst_one_beat_short_is_caught() {
    let jobs = [(0, job(1, JobOp::Copy, unit_address(0, 0, 512), unit_address(0, 300, 512), 4))];
    caught(Fault::BurstShort, memory(), &jobs, "memory interface");
}

#[test]
fn a_miscompare_offset_off_by_one_is_caught() {
    let mut m = memory();
    // Compare data equal to blocks 10..12 but for one byte in the second block.
    let mut data = vec![0u8; 4 * 512];
    m.read(unit_address(0, 10, 512), &mut data[..512]).unwrap();
    m.read(unit_address(0, 11, 512), &mut data[512..1024]).unwrap();
    data[512 + 77] ^= 0x10;
    m.set_buffer(0, data);
    let jobs = [(0, job(1, JobOp::CompareAndWrite, buffer_address(0, 0), unit_address(0, 10, 512), 2))];
    caught(Fault::MiscompareOffset, m, &jobs, "miscompare_offset");
}

#[test]
fn a_lock_that_ignores_shared_ranges_is_caught() {
    // Queue 0 copies blocks 0..32 away; queue 1 then zeroes block 8, which the copy reads: it must wait.
    let jobs = [
        (0, job(1, JobOp::Copy, unit_address(0, 0, 512), unit_address(0, 400, 512), 32)),
        (1, job(2, JobOp::Zero, 0, unit_address(0, 8, 512), 1)),
    ];
    caught(Fault::LockShared, memory(), &jobs, "range locks");
}
