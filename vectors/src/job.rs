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

    /// The range the job writes: locked exclusive.
    pub fn exclusive_range(&self) -> Range<u64> {
        self.dst..self.dst + self.bytes()
    }

    /// The range the job only reads: locked shared.
    pub fn shared_range(&self) -> Option<Range<u64>> {
        let len = match self.op {
            JobOp::Copy => self.bytes(),
            JobOp::Pattern => self.block_bytes(),
            JobOp::CompareAndWrite => 2 * self.bytes(),
            JobOp::Zero | JobOp::Deallocate | JobOp::Anchor => return None,
        };
        Some(self.src..self.src + len)
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
    /// source — and none for a miscompare or a job whose destination is a staging buffer.
    pub fn written(&self, completion: &Completion) -> Option<Written> {
        let crate::address::Region::Unit { unit, offset } = crate::address::decode(self.dst) else { return None };
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
    /// Compare-and-write found a difference; nothing was written.
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
    /// Blocks fully written (for a compare-and-write: blocks of the write pass).
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
