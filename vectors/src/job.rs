//! Engine jobs and completions: the interface between the SCSI front end and the engines, which the
//! model issues, the RTL implements one-for-one and the vectors record.

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// What a job does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum JobOp {
    /// Copy engine: `blocks` from `src` to `dst`, as if the whole source were read first.
    Copy = 0,
    /// Zero engine: write zeros to `blocks` at `dst` (the blocks become mapped). No reads.
    Zero = 1,
    /// Zero engine: read the one block at `src` once and write it to each of `blocks` at `dst`.
    Pattern = 2,
    /// Zero engine: zero `blocks` at `dst` with the deallocate hint (thin units release them).
    Deallocate = 3,
    /// Zero engine: zero `blocks` at `dst` with the anchor hint (thin units anchor them).
    Anchor = 4,
    /// Compare-and-write unit: `src` holds `blocks` of compare data then `blocks` of write data; compare
    /// all of `dst` first, and write only if every byte matched.
    CompareAndWrite = 5,
    /// Compare-and-write unit, compare pass only: compare `blocks` at `dst` with `blocks` at `src`;
    /// nothing is written (blocks_done 0); Ok when every byte matched, else Miscompare with
    /// miscompare_offset = the byte offset of the first difference.
    Compare = 6,
}

impl JobOp {
    /// Every op, in code order.
    pub const ALL: [JobOp; 7] = [
        JobOp::Copy,
        JobOp::Zero,
        JobOp::Pattern,
        JobOp::Deallocate,
        JobOp::Anchor,
        JobOp::CompareAndWrite,
        JobOp::Compare,
    ];
}

/// One unit of engine work.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Chosen by the issuer, echoed in the completion.
    pub tag: u16,
    pub op: JobOp,
    /// Source address (unused, and zero, for zero, deallocate and anchor).
    pub src: u64,
    /// Destination address.
    pub dst: u64,
    pub blocks: u32,
    /// log2 of the block size: 9 or 12.
    pub block_shift: u8,
}

impl Job {
    pub fn block_bytes(&self) -> u64 {
        1 << self.block_shift
    }

    pub fn bytes(&self) -> u64 {
        u64::from(self.blocks) << self.block_shift
    }

    /// `[dst, dst + bytes)`: the blocks the job writes — or, for a compare, reads.
    fn dst_range(&self) -> Range<u64> {
        self.dst..self.dst + self.bytes()
    }

    /// The range the job reads at `src`, if it reads there.
    fn src_range(&self) -> Option<Range<u64>> {
        let len = match self.op {
            JobOp::Copy | JobOp::Compare => self.bytes(),
            JobOp::Pattern => self.block_bytes(),
            JobOp::CompareAndWrite => 2 * self.bytes(),
            JobOp::Zero | JobOp::Deallocate | JobOp::Anchor => return None,
        };
        Some(self.src..self.src + len)
    }

    /// The range the job writes: locked exclusive. None for a compare, which writes nothing.
    pub fn exclusive_range(&self) -> Option<Range<u64>> {
        (self.op != JobOp::Compare).then(|| self.dst_range())
    }

    /// The ranges the job only reads: locked shared (a compare reads both of its sides), so that
    /// compares of one range run side by side.
    pub fn shared_ranges(&self) -> impl Iterator<Item = Range<u64>> {
        let dst = (self.op == JobOp::Compare).then(|| self.dst_range());
        self.src_range().into_iter().chain(dst)
    }

    /// Every range the job touches: its exclusive range, then its shared ones.
    pub fn ranges(&self) -> impl Iterator<Item = Range<u64>> {
        self.exclusive_range().into_iter().chain(self.shared_ranges())
    }

    /// True when the two jobs may not run at once: one writes what the other touches.
    pub fn conflicts_with(&self, other: &Job) -> bool {
        let overlaps = |a: &Range<u64>, b: &Range<u64>| a.start < b.end && b.start < a.end;
        let writes_into = |writer: &Job, other: &Job| {
            writer.exclusive_range().is_some_and(|w| other.ranges().any(|r| overlaps(&w, &r)))
        };
        writes_into(self, other) || writes_into(other, self)
    }
}

/// The blocks of a unit a job wrote, by its completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Written {
    pub unit: u16,
    pub lba: u64,
    pub blocks: u64,
}

impl Job {
    /// The blocks this job wrote on a unit, as `completion` reports them: the blocks it completed,
    /// counted from the end it started at — the last block for a copy whose destination starts inside its
    /// source — and none for a compare, a miscompare or a job whose destination is a staging buffer.
    pub fn written(&self, completion: &Completion) -> Option<Written> {
        // Only the exclusive range is written (a compare has none).
        let range = self.exclusive_range()?;
        let crate::address::Region::Unit { unit, offset } = crate::address::decode(range.start) else { return None };
        let blocks = u64::from(completion.blocks_done);
        if blocks == 0 {
            return None;
        }
        let first = offset >> self.block_shift;
        let backward = self.op == JobOp::Copy && self.dst > self.src && self.dst < self.src + self.bytes();
        let failed = completion.status != CompletionStatus::Ok;
        let lba = if backward && failed { first + u64::from(self.blocks) - blocks } else { first };
        Some(Written { unit, lba, blocks })
    }
}

/// How a job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum CompletionStatus {
    Ok = 0,
    /// Compare-and-write or compare found a difference; nothing was written.
    Miscompare = 1,
    /// A read failed at `fault_address`.
    ReadError = 2,
    /// A write failed at `fault_address`.
    WriteError = 3,
}

/// The outcome of one job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    /// Queue the job came from.
    pub queue: u8,
    pub tag: u16,
    pub status: CompletionStatus,
    /// Blocks fully written (for a compare-and-write: blocks of the write pass; for a compare: 0).
    pub blocks_done: u32,
    /// Byte offset of the first difference from the start of the compare data (miscompare only).
    pub miscompare_offset: u32,
    /// Address of the block a read or write failed on (errors only).
    pub fault_address: u64,
    /// Place in the commit order: the order in which the range-lock unit granted jobs, from 0.
    pub commit: u32,
    /// Cycle the locks were granted.
    pub granted_at: u64,
    /// Cycle the completion became valid.
    pub completed_at: u64,
}

impl Completion {
    /// Cycles from grant to completion: the figure the timing model predicts.
    pub fn cycles(&self) -> u64 {
        self.completed_at - self.granted_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::unit_address;

    fn job(op: JobOp, src_lba: u64, dst_lba: u64, blocks: u32) -> Job {
        Job {
            tag: 1,
            op,
            src: unit_address(1, src_lba, 512),
            dst: unit_address(0, dst_lba, 512),
            blocks,
            block_shift: 9,
        }
    }

    #[test]
    fn a_compare_locks_both_sides_shared_and_writes_nothing() {
        let compare = job(JobOp::Compare, 10, 20, 4);
        assert_eq!(compare.exclusive_range(), None);
        let shared: Vec<_> = compare.shared_ranges().collect();
        assert_eq!(shared, [compare.src..compare.src + 2048, compare.dst..compare.dst + 2048]);
        let done = Completion {
            queue: 0,
            tag: 1,
            status: CompletionStatus::Ok,
            blocks_done: 4, // even a completion claiming blocks done writes nothing for a compare
            miscompare_offset: 0,
            fault_address: 0,
            commit: 0,
            granted_at: 0,
            completed_at: 1,
        };
        assert_eq!(compare.written(&done), None);
        assert_eq!(job(JobOp::Copy, 10, 20, 4).written(&done), Some(Written { unit: 0, lba: 20, blocks: 4 }));
    }

    #[test]
    fn compares_run_side_by_side_but_not_beside_a_write() {
        let compare = job(JobOp::Compare, 10, 20, 4);
        assert!(!compare.conflicts_with(&job(JobOp::Compare, 10, 20, 4)), "two compares of the same ranges");
        assert!(!compare.conflicts_with(&job(JobOp::Copy, 20, 100, 4)), "a copy reading the compared blocks");
        // A copy writing into either side, in the middle of it.
        let into_dst = Job { src: unit_address(2, 0, 512), dst: unit_address(0, 23, 512), ..job(JobOp::Copy, 0, 0, 1) };
        let into_src = Job { src: unit_address(2, 0, 512), dst: unit_address(1, 12, 512), ..into_dst.clone() };
        assert!(compare.conflicts_with(&into_dst) && into_dst.conflicts_with(&compare));
        assert!(compare.conflicts_with(&into_src));
        // Adjacent ranges do not overlap.
        let after = Job { dst: unit_address(0, 24, 512), ..into_dst };
        assert!(!compare.conflicts_with(&after));
    }
}
