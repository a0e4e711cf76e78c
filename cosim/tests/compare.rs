//! Compare jobs (`JobOp::Compare`) on the RTL: results and cycles on the model's memory timing, and the
//! lock decision — a compare writes nothing, so it holds both of its ranges shared and runs beside a
//! job that only reads its blocks, but waits for one that writes them.

use offload_cosim::{Harness, HarnessConfig};
use offload_model::address::{buffer_address, unit_address};
use offload_model::config::UnitConfig;
use offload_model::engine::{Job, JobOp};
use offload_model::media::{Memory, UnitStore};
use offload_model::timing::TimingParams;

/// One thick unit of 512-byte blocks, blocks 0..256 holding data, block 300 unreadable.
fn memory() -> Memory {
    let cfg =
        UnitConfig { blocks: 1024, block_size: 512, thin: false, bad_blocks: [300].into(), ..UnitConfig::default() };
    let mut unit = UnitStore::new(&cfg);
    for lba in 0..256u64 {
        let block: Vec<u8> = (0..512u64).map(|i| (lba * 11 + i) as u8).collect();
        unit.load_block(lba, &block);
    }
    Memory::new(vec![unit])
}

fn at(lba: u64) -> u64 {
    unit_address(0, lba, 512)
}

fn job(tag: u16, op: JobOp, src: u64, dst: u64, blocks: u32) -> Job {
    Job { tag, op, src, dst, blocks, block_shift: 9 }
}

/// Staging buffer 1: blocks `lba..lba + blocks` of `memory`, with `flip` (byte offset) changed.
fn copy_of(memory: &Memory, lba: u64, blocks: usize, flip: Option<usize>) -> Vec<u8> {
    let mut data = vec![0u8; blocks * 512];
    for (i, block) in data.chunks_mut(512).enumerate() {
        memory.read(at(lba + i as u64), block).expect("readable");
    }
    if let Some(offset) = flip {
        data[offset] ^= 0x40;
    }
    data
}

/// One queue, the model's memory timing: every result and every cycle count is held to the model (the
/// harness stops at the first difference).
#[test]
fn compares_match_the_model_one_at_a_time() {
    let m = memory();
    let mut cases: Vec<(Job, Option<Vec<u8>>)> = Vec::new();
    for flip in [None, Some(0), Some(700), Some(8 * 512 - 1)] {
        cases.push((job(1, JobOp::Compare, buffer_address(1, 0), at(20), 8), Some(copy_of(&m, 20, 8, flip))));
    }
    // Unit against unit: equal ranges match, others differ; a bad block on either side; zero blocks.
    cases.push((job(2, JobOp::Compare, at(40), at(40), 6), None));
    cases.push((job(3, JobOp::Compare, at(41), at(40), 6), None));
    cases.push((job(4, JobOp::Compare, at(10), at(297), 6), None));
    cases.push((job(5, JobOp::Compare, at(297), at(10), 6), None));
    cases.push((job(6, JobOp::Compare, at(10), at(20), 0), None));
    let mut h = Harness::new(HarnessConfig::model_timing(TimingParams::default()), m).expect("harness");
    for (job, buffer) in cases {
        if let Some(data) = buffer {
            h.set_buffer(1, data);
        }
        h.submit(0, job).expect("queue");
        h.run_until_idle().expect("the RTL agrees with the model");
    }
    h.finish().expect("the RTL agrees with the model");
    assert_eq!(h.completed(), 9);
}

/// Queue 0 runs a long copy out of blocks 0..64; queue 1, a moment later, a short compare whose `dst`
/// is `compare_dst`. Returns which queue finished first.
fn first_done_beside_a_copy(compare_dst: u64) -> u8 {
    let m = memory();
    let data = copy_of(&m, 0, 4, None);
    let timing = TimingParams::default();
    let config = HarnessConfig { cycle_tolerance_pct: None, ..HarnessConfig::model_timing(timing) };
    let mut h = Harness::new(config, m).expect("harness");
    h.set_buffer(1, data);
    h.submit(0, job(1, JobOp::Copy, at(0), at(400), 64)).expect("queue");
    h.submit(1, job(2, JobOp::Compare, buffer_address(1, 0), compare_dst, 4)).expect("queue");
    let mut first = None;
    for _ in 0..100_000 {
        h.step().expect("the RTL agrees with the model");
        first = (0..2).find(|&q| h.queue_free(q));
        if first.is_some() {
            break;
        }
    }
    h.finish().expect("the RTL agrees with the model");
    first.expect("a queue finished")
}

#[test]
fn a_compare_runs_beside_a_copy_that_reads_its_blocks() {
    // The compare's destination is the copy's source (shared, shared): both run, the short one ends first.
    assert_eq!(first_done_beside_a_copy(at(2)), 1);
}

#[test]
fn a_compare_waits_for_a_copy_that_writes_its_blocks() {
    // The compare's destination is inside the copy's destination (exclusive): it waits for the copy.
    assert_eq!(first_done_beside_a_copy(at(402)), 0);
}
