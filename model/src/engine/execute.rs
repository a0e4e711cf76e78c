//! What each job does to memory: the functional half of the copy engine, the zero engine and the
//! compare-and-write unit (compare-and-write, and compare: its compare pass alone). Timing is in [`crate::timing`]; ordering in [`super::scheduler`].

use super::{CompletionStatus, Job, JobOp};
use crate::media::{CopyFault, Fault, Memory, WriteHint};

/// The functional result of a job, before it is stamped with its commit order and cycles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status: CompletionStatus,
    pub blocks_done: u32,
    pub miscompare_offset: u32,
    pub fault_address: u64,
    /// Blocks the engine touched before it stopped (all, or through the failing one): the timing input.
    pub blocks_touched: u32,
    /// A compare-and-write that matched and went on to write.
    pub write_pass: bool,
}

impl Outcome {
    fn done(blocks: u32) -> Self {
        Outcome {
            status: CompletionStatus::Ok,
            blocks_done: blocks,
            miscompare_offset: 0,
            fault_address: 0,
            blocks_touched: blocks,
            write_pass: false,
        }
    }

    fn failed(status: CompletionStatus, blocks_done: u32, fault_address: u64, blocks_touched: u32) -> Self {
        Outcome { status, blocks_done, miscompare_offset: 0, fault_address, blocks_touched, write_pass: false }
    }
}

/// Runs `job` against `memory`.
pub fn execute(job: &Job, memory: &mut Memory) -> Outcome {
    match job.op {
        JobOp::Copy => copy(job, memory),
        JobOp::Zero => fill(job, memory, None, WriteHint::Data),
        JobOp::Deallocate => fill(job, memory, None, WriteHint::Deallocate),
        JobOp::Anchor => fill(job, memory, None, WriteHint::Anchor),
        // Nothing to write, so the pattern is not read either (the RTL reads nothing for zero blocks).
        JobOp::Pattern if job.blocks == 0 => Outcome::done(0),
        JobOp::Pattern => {
            let mut pattern = vec![0; job.block_bytes() as usize];
            match memory.read(job.src, &mut pattern) {
                Ok(()) => fill(job, memory, Some(&pattern), WriteHint::Data),
                Err(f) => Outcome::failed(CompletionStatus::ReadError, 0, f.address, 0),
            }
        }
        JobOp::CompareAndWrite => compare_and_write(job, memory),
        JobOp::Compare => match compare_pass(job, memory) {
            Ok(()) => Outcome { blocks_done: 0, ..Outcome::done(job.blocks) },
            Err(outcome) => outcome,
        },
    }
}

/// Bytes an engine moves per step of a long job: a whole number of blocks, at least one. Stepping in
/// runs of blocks keeps the per-block cost to a memcpy; what each block does, and where a job stops,
/// are as if it went block by block.
const STEP_BYTES: u64 = 256 << 10;

fn step_blocks(job: &Job) -> u32 {
    (STEP_BYTES >> job.block_shift).clamp(1, u64::from(u32::MAX)) as u32
}

/// The block index a fault at `address` names, counted from `base`.
fn block_index(address: u64, base: u64, job: &Job) -> u32 {
    ((address - base) >> job.block_shift) as u32
}

/// Block by block, forward — or backward when the destination starts inside the source, so that every
/// source block is read before it is overwritten (memmove semantics). Blocks done count from the end
/// the copy started at.
fn copy(job: &Job, memory: &mut Memory) -> Outcome {
    let backward = job.dst > job.src && job.dst < job.src + job.bytes();
    if backward {
        return copy_backward(job, memory);
    }
    match transfer(memory, job, job.src, job.dst) {
        Ok(()) => Outcome::done(job.blocks),
        Err((status, done, f)) => Outcome::failed(status, done, f.address, done + 1),
    }
}

/// Copies `job.blocks` blocks from `src` to `dst`, forward, in steps through a staging buffer: each
/// step's blocks are all read before any is written, which keeps memmove semantics for a destination
/// below an overlapping source. A failure gives its status, the blocks done before it and its fault.
fn transfer(memory: &mut Memory, job: &Job, src: u64, dst: u64) -> Result<(), (CompletionStatus, u32, Fault)> {
    let bs = job.block_bytes();
    if let Some(copied) = memory.copy_between_units(src, dst, bs, job.blocks.into()) {
        return copied.map_err(|fault| match fault {
            CopyFault::Read(f) => (CompletionStatus::ReadError, block_index(f.address, src, job), f),
            CopyFault::Write(f) => (CompletionStatus::WriteError, block_index(f.address, dst, job), f),
        });
    }
    let step = step_blocks(job);
    let mut staged = vec![0; (u64::from(step.min(job.blocks)) * bs) as usize];
    let mut done = 0;
    while done < job.blocks {
        let n = step.min(job.blocks - done);
        let offset = u64::from(done) * bs;
        let buf = &mut staged[..(u64::from(n) * bs) as usize];
        // Blocks read before a read fault are still written, as block by block they would be.
        let read = memory.read_blocks(src + offset, bs, buf);
        let readable = read.err().map_or(n, |f| block_index(f.address, src + offset, job));
        let readable_bytes = (u64::from(readable) * bs) as usize;
        if let Err(f) = memory.write_blocks(dst + offset, bs, &buf[..readable_bytes], WriteHint::Data) {
            return Err((CompletionStatus::WriteError, done + block_index(f.address, dst + offset, job), f));
        }
        if let Err(f) = read {
            return Err((CompletionStatus::ReadError, done + readable, f));
        }
        done += n;
    }
    Ok(())
}

/// The backward copy, block by block from the last (rare: an overlapping copy to a higher address).
fn copy_backward(job: &Job, memory: &mut Memory) -> Outcome {
    let bs = job.block_bytes();
    let mut block = vec![0; bs as usize];
    for done in 0..job.blocks {
        let offset = u64::from(job.blocks - 1 - done) * bs;
        if let Err(f) = memory.read(job.src + offset, &mut block) {
            return Outcome::failed(CompletionStatus::ReadError, done, f.address, done + 1);
        }
        if let Err(f) = memory.write(job.dst + offset, &block, WriteHint::Data) {
            return Outcome::failed(CompletionStatus::WriteError, done, f.address, done + 1);
        }
    }
    Outcome::done(job.blocks)
}

/// Writes `pattern` (or zeros) to every destination block, in order.
fn fill(job: &Job, memory: &mut Memory, pattern: Option<&[u8]>, hint: WriteHint) -> Outcome {
    let bs = job.block_bytes();
    let step = step_blocks(job).min(job.blocks);
    let data: Vec<u8> = match pattern {
        Some(p) => p.repeat(step as usize),
        None => vec![0; (u64::from(step) * bs) as usize],
    };
    let mut done = 0;
    while done < job.blocks {
        let n = step.min(job.blocks - done);
        let dst = job.dst + u64::from(done) * bs;
        if let Err(f) = memory.write_blocks(dst, bs, &data[..(u64::from(n) * bs) as usize], hint) {
            let i = done + block_index(f.address, dst, job);
            return Outcome::failed(CompletionStatus::WriteError, i, f.address, i + 1);
        }
        done += n;
    }
    Outcome::done(job.blocks)
}

/// The compare pass: reads every block of both sides (`dst`, then `src`, block by block) to the end,
/// remembering the first differing byte. `Err` is how the job ends instead: a read error, or a
/// miscompare (nothing written, every block touched).
fn compare_pass(job: &Job, memory: &Memory) -> Result<(), Outcome> {
    let bs = job.block_bytes();
    let step = step_blocks(job).min(job.blocks);
    let (mut media, mut expected) =
        (vec![0; (u64::from(step) * bs) as usize], vec![0; (u64::from(step) * bs) as usize]);
    let mut first_difference = None;
    let mut done = 0;
    while done < job.blocks {
        let n = step.min(job.blocks - done);
        let offset = u64::from(done) * bs;
        let len = (u64::from(n) * bs) as usize;
        let media_read = memory.read_blocks(job.dst + offset, bs, &mut media[..len]);
        let expected_read = memory.read_blocks(job.src + offset, bs, &mut expected[..len]);
        // Block by block the destination side is read first: the earlier failing block, and at the
        // same block the destination's, is where the pass stops.
        let fault_at = |r: Result<(), Fault>, base: u64| r.err().map(|f| (block_index(f.address, base, job), f));
        let faults = [fault_at(media_read, job.dst + offset), fault_at(expected_read, job.src + offset)];
        if let Some((i, f)) = faults.into_iter().flatten().min_by_key(|(i, _)| *i) {
            return Err(Outcome::failed(CompletionStatus::ReadError, 0, f.address, done + i + 1));
        }
        if first_difference.is_none() {
            first_difference =
                media[..len].iter().zip(&expected[..len]).position(|(a, b)| a != b).map(|p| offset + p as u64);
        }
        done += n;
    }
    match first_difference {
        Some(at) => {
            let mut outcome = Outcome::failed(CompletionStatus::Miscompare, 0, 0, job.blocks);
            outcome.miscompare_offset = at as u32;
            Err(outcome)
        }
        None => Ok(()),
    }
}

/// The compare pass, then — only when all matched — the write pass.
fn compare_and_write(job: &Job, memory: &mut Memory) -> Outcome {
    if let Err(outcome) = compare_pass(job, memory) {
        return outcome;
    }
    match transfer(memory, job, job.src + job.bytes(), job.dst) {
        Ok(()) => Outcome { write_pass: true, ..Outcome::done(job.blocks) },
        Err((status, done, f)) => Outcome { write_pass: true, ..Outcome::failed(status, done, f.address, done + 1) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::{buffer_address, unit_address};
    use crate::config::UnitConfig;
    use crate::media::UnitStore;

    const BS: usize = 512;

    fn memory_with_pattern(blocks: u64) -> Memory {
        let cfg = UnitConfig { blocks, block_size: BS as u32, ..UnitConfig::default() };
        let mut unit = UnitStore::new(&cfg);
        for lba in 0..blocks {
            unit.write_block(lba, &[lba as u8 + 1; BS], WriteHint::Data).unwrap();
        }
        Memory::new(vec![unit])
    }

    fn contents(m: &Memory) -> Vec<u8> {
        let u = &m.units[0];
        let mut all = vec![0; u.blocks() as usize * BS];
        for (lba, chunk) in all.chunks_mut(BS).enumerate() {
            u.read_block(lba as u64, chunk).unwrap();
        }
        all
    }

    fn job(op: JobOp, src: u64, dst: u64, blocks: u32) -> Job {
        Job { tag: 1, op, src: unit_address(0, src, 512), dst: unit_address(0, dst, 512), blocks, block_shift: 9 }
    }

    /// The independent reference for overlapping copies is `slice::copy_within`, which has memmove
    /// semantics by definition.
    #[test]
    fn overlapping_copies_match_copy_within_both_directions() {
        for (src, dst) in [(2u64, 5u64), (5, 2), (0, 1), (1, 0), (3, 3), (0, 8)] {
            let mut m = memory_with_pattern(16);
            let mut expected = contents(&m);
            expected.copy_within(src as usize * BS..(src as usize + 6) * BS, dst as usize * BS);
            let out = execute(&job(JobOp::Copy, src, dst, 6), &mut m);
            assert_eq!(out.status, CompletionStatus::Ok);
            assert_eq!(contents(&m), expected, "src {src} dst {dst}");
        }
    }

    #[test]
    fn copy_stops_at_a_bad_source_block_and_reports_what_was_done() {
        let cfg = UnitConfig { blocks: 16, bad_blocks: [4].into(), ..UnitConfig::default() };
        let mut m = Memory::new(vec![UnitStore::new(&cfg)]);
        let out = execute(&job(JobOp::Copy, 2, 10, 4), &mut m);
        assert_eq!(out.status, CompletionStatus::ReadError);
        assert_eq!((out.blocks_done, out.blocks_touched), (2, 3));
        assert_eq!(out.fault_address, unit_address(0, 4, 512));
        assert_eq!(m.units[0].dirty_blocks().collect::<Vec<_>>(), vec![10, 11]);
    }

    /// Between two units the copy goes unstaged; where it stops is where reading then writing block by
    /// block stops: the earlier bad block, and at the same block the source's (it is read first).
    #[test]
    fn a_copy_between_units_stops_where_block_by_block_would() {
        let src_cfg = UnitConfig { blocks: 16, bad_blocks: [4, 9].into(), ..UnitConfig::default() };
        let dst_cfg = UnitConfig { blocks: 16, bad_blocks: [12, 6].into(), ..UnitConfig::default() };
        // (source LBA, destination LBA, status, blocks done, failing unit and LBA)
        for (src, dst, status, done, fault) in [
            (2u64, 10u64, CompletionStatus::ReadError, 2u32, (0u16, 4u64)),
            (0, 10, CompletionStatus::WriteError, 2, (1, 12)),
            (5, 2, CompletionStatus::ReadError, 4, (0, 9)),
            (7, 4, CompletionStatus::ReadError, 2, (0, 9)),
            (10, 1, CompletionStatus::WriteError, 5, (1, 6)),
        ] {
            let mut source = UnitStore::new(&src_cfg);
            for lba in (0..16).filter(|l| ![4, 9].contains(l)) {
                source.write_block(lba, &[lba as u8 + 1; BS], WriteHint::Data).unwrap();
            }
            let mut m = Memory::new(vec![source, UnitStore::new(&dst_cfg)]);
            let copy =
                Job { src: unit_address(0, src, 512), dst: unit_address(1, dst, 512), ..job(JobOp::Copy, 0, 0, 6) };
            let out = execute(&copy, &mut m);
            let expected = (status, done, done + 1, unit_address(fault.0, fault.1, 512));
            assert_eq!(
                (out.status, out.blocks_done, out.blocks_touched, out.fault_address),
                expected,
                "{src} -> {dst}"
            );
            let written: Vec<u64> = m.units[1].dirty_blocks().collect();
            assert_eq!(written, (dst..dst + u64::from(done)).collect::<Vec<_>>(), "{src} -> {dst}");
            let mut block = [0u8; BS];
            for i in 0..u64::from(done) {
                m.units[1].read_block(dst + i, &mut block).unwrap();
                assert_eq!(block, [(src + i) as u8 + 1; BS], "{src} -> {dst} block {i}");
            }
        }
    }

    #[test]
    fn compare_and_write_writes_only_on_a_full_match() {
        let mut m = memory_with_pattern(8);
        let mut data = vec![3u8; 2 * BS]; // compare data: block 2 holds 3s
        data[BS..].fill(0xAB);
        m.set_buffer(0, data.clone());
        let caw = Job { src: buffer_address(0, 0), ..job(JobOp::CompareAndWrite, 0, 2, 1) };
        let out = execute(&caw, &mut m);
        assert_eq!((out.status, out.blocks_done, out.write_pass), (CompletionStatus::Ok, 1, true));
        assert_eq!(&contents(&m)[2 * BS..3 * BS], &[0xAB; BS][..]);

        // Now the medium holds 0xAB; a compare buffer differing only in its last byte miscompares there.
        let before = contents(&m);
        data[..BS].fill(0xAB);
        data[BS - 1] = 0;
        m.set_buffer(0, data);
        let out = execute(&caw, &mut m);
        assert_eq!(
            (out.status, out.miscompare_offset, out.blocks_done),
            (CompletionStatus::Miscompare, BS as u32 - 1, 0)
        );
        assert_eq!(contents(&m), before, "a miscompare writes nothing");
    }

    /// A compare of blocks 2..6 (which hold 3, 4, 5, 6) against a buffer holding the same bytes with one
    /// changed: the offset is that byte's, counted from the start of the job; nothing is written.
    #[test]
    fn a_compare_reports_the_first_difference_and_writes_nothing() {
        let expected: Vec<u8> = (2..6u8).flat_map(|lba| [lba + 1; BS]).collect();
        let compare = Job { src: buffer_address(0, 0), ..job(JobOp::Compare, 0, 2, 4) };
        for changed in [None, Some(0), Some(BS / 2), Some(BS - 1), Some(2 * BS + 7), Some(4 * BS - 1)] {
            let mut m = memory_with_pattern(8);
            let before = contents(&m);
            let mut data = expected.clone();
            if let Some(at) = changed {
                data[at] ^= 0x80;
                // A later difference does not move the first.
                data[4 * BS - 1] ^= 0x01;
            }
            m.set_buffer(0, data.clone());
            let out = execute(&compare, &mut m);
            let want = match changed {
                None => (CompletionStatus::Ok, 0),
                Some(at) => (CompletionStatus::Miscompare, at as u32),
            };
            assert_eq!((out.status, out.miscompare_offset), want, "changed {changed:?}");
            assert_eq!((out.blocks_done, out.blocks_touched, out.write_pass), (0, 4, false));
            assert_eq!(contents(&m), before, "a compare writes nothing");
            assert_eq!(m.units[0].dirty_blocks().count(), 8, "only the initial writes");
            assert_eq!(m.take_buffer(0), data, "nor into its source");
        }
    }

    #[test]
    fn a_compare_stops_at_an_unreadable_block_on_either_side() {
        let cfg = UnitConfig { blocks: 16, bad_blocks: [5, 12].into(), ..UnitConfig::default() };
        // (src, dst, the block that fails, blocks touched through it). Block by block, the destination
        // side is read before the source side.
        for (src, dst, bad, touched) in [(10u64, 0u64, 12u64, 3u32), (9, 1, 12, 4), (0, 4, 5, 2), (10, 3, 5, 3)] {
            let mut m = Memory::new(vec![UnitStore::new(&cfg)]);
            let out = execute(&job(JobOp::Compare, src, dst, 4), &mut m);
            assert_eq!(out.status, CompletionStatus::ReadError, "src {src} dst {dst}");
            assert_eq!(out.fault_address, unit_address(0, bad, 512), "src {src} dst {dst}");
            assert_eq!((out.blocks_done, out.blocks_touched), (0, touched), "src {src} dst {dst}");
        }
    }

    #[test]
    fn a_compare_of_zero_blocks_matches() {
        let mut m = memory_with_pattern(4);
        let out = execute(&job(JobOp::Compare, 0, 1, 0), &mut m);
        assert_eq!(out, Outcome { blocks_done: 0, ..Outcome::done(0) });
    }

    #[test]
    fn pattern_fill_and_deallocate() {
        let mut m = memory_with_pattern(8);
        m.set_buffer(7, vec![0x5A; BS]);
        let fill = Job { src: buffer_address(7, 0), ..job(JobOp::Pattern, 0, 1, 3) };
        assert_eq!(execute(&fill, &mut m).status, CompletionStatus::Ok);
        assert!(contents(&m)[BS..4 * BS].iter().all(|&b| b == 0x5A));
        assert_eq!(execute(&job(JobOp::Deallocate, 0, 0, 8), &mut m).blocks_done, 8);
        assert!(contents(&m).iter().all(|&b| b == 0));
        assert_eq!(m.units[0].provisioning_run(0, 8).1, 8);
    }
}
