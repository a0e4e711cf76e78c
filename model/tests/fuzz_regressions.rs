//! Findings of the fuzzers (`fuzz/`), one named test each; the input that found each is kept in
//! `fuzz/regressions/<target>/` and replayed by `make fuzz-smoke`.

use offload_model::address::unit_address;
use offload_model::config::UnitConfig;
use offload_model::engine::execute::execute;
use offload_model::engine::{CompletionStatus, Job, JobOp};
use offload_model::media::{Memory, UnitStore};

/// One 512-byte unit whose block 7 fails every access.
fn memory_with_bad_block_7() -> Memory {
    let unit =
        UnitStore::new(&UnitConfig { blocks: 64, block_size: 512, bad_blocks: [7].into(), ..UnitConfig::default() });
    Memory::new(vec![unit])
}

fn pattern(blocks: u32) -> Job {
    Job {
        tag: 1,
        op: JobOp::Pattern,
        src: unit_address(0, 7, 512),
        dst: unit_address(0, 20, 512),
        blocks,
        block_shift: 9,
    }
}

/// engine_jobs_rtl, `pattern_of_zero_blocks_reads_nothing`: a pattern fill of zero blocks whose pattern
/// block is unreadable completed OK on the RTL (nothing to write, nothing read) but with a read error on
/// the model, which read the pattern first.
#[test]
fn a_pattern_fill_of_zero_blocks_does_not_read_its_pattern() {
    let mut memory = memory_with_bad_block_7();
    let outcome = execute(&pattern(0), &mut memory);
    assert_eq!((outcome.status, outcome.blocks_done), (CompletionStatus::Ok, 0));
    // With a block to write, the unreadable pattern does fail the job.
    let outcome = execute(&pattern(1), &mut memory);
    assert_eq!(outcome.status, CompletionStatus::ReadError);
    assert_eq!(outcome.fault_address, unit_address(0, 7, 512));
}
