//! Named regressions: RTL bugs the fuzzer found (`fuzz/regressions/engine_jobs_rtl/`), each as the
//! smallest stimulus that showed it, checked against the model like every other run.

use std::collections::BTreeSet;

use offload_cosim::{Harness, HarnessConfig, Latency, SlaveConfig, Variant};
use offload_model::address::unit_address;
use offload_model::config::UnitConfig;
use offload_model::engine::{Job, JobOp};
use offload_model::media::{Memory, UnitStore};
use offload_model::timing::TimingParams;

/// One unit of 512-byte blocks, every block of the first 64 holding data, with `bad` blocks.
fn memory(bad: &[u64]) -> Memory {
    let bad_blocks: BTreeSet<u64> = bad.iter().copied().collect();
    let mut unit =
        UnitStore::new(&UnitConfig { blocks: 256, block_size: 512, thin: false, bad_blocks, ..UnitConfig::default() });
    for lba in 0..64u64 {
        let block: Vec<u8> = (0..512u64).map(|i| (lba * 13 + i) as u8 | 1).collect();
        unit.load_block(lba, &block);
    }
    Memory::new(vec![unit])
}

fn run(memory: Memory, read: Latency, write: Latency, backpressure_pct: u8, seed: u64, job: Job) {
    let slave = SlaveConfig { read_latency: read, write_latency: write, backpressure_pct, seed };
    let config = HarnessConfig {
        variant: Variant::Reference,
        slave,
        timing: TimingParams::default(),
        cycle_tolerance_pct: None,
        trace: None,
    };
    let mut h = Harness::new(config, memory).expect("harness");
    h.submit(0, job).expect("queue");
    if let Err(m) = h.finish() {
        panic!("read {read:?}, write {write:?}, backpressure {backpressure_pct} %, seed {seed}:\n{m}");
    }
}

/// Found by `engine_jobs_rtl` (inputs `read_error_while_writes_wait_*`): with reads fast and writes slow,
/// the copy engine's reads run far ahead and its writes wait for free response slots. When a read then
/// failed, the engine discarded the FIFO's head whenever no write burst was starting — also while the
/// next burst of a block before the failing one was only waiting for a slot. That block's last burst
/// then took the failing read's error beats (0xDEADBEEF) as its data, or, with the data gone, the engine
/// waited for it forever.
#[test]
fn a_read_error_while_writes_wait_keeps_the_earlier_blocks_data() {
    // Block 5 of the source cannot be read: blocks 0-4 must be copied whole, nothing of block 5 written.
    let job = Job {
        tag: 1,
        op: JobOp::Copy,
        src: unit_address(0, 0, 512),
        dst: unit_address(0, 100, 512),
        blocks: 7,
        block_shift: 9,
    };
    for seed in 1..=8 {
        for backpressure in [0, 8] {
            run(memory(&[5]), Latency::Fixed(2), Latency::Uniform(50, 81), backpressure, seed, job.clone());
        }
    }
}
