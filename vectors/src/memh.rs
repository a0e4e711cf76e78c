//! The `$readmemh` export: a case's engine jobs, expected completions and memory images as plain hex
//! files, so that a SystemVerilog test bench with no Rust can replay the jobs and check the results.
//!
//! # Word encodings
//! A job and a completion are each one 256-bit word; [`JOB_FIELDS`] and [`COMPLETION_FIELDS`] give every
//! field's least significant bit and width — the one definition the RTL's packages are generated from.
//!
//! # Bench memory
//! The bench holds memory as a flat array of 64-bit words. An engine address maps to word
//! `region << REGION_WORD_BITS | offset >> 3`, where `region` is the unit index for units `0..16` and
//! `16 + slot` for staging buffer `slot` (`0..48`), and the offset must be below `1 << REGION_BYTE_BITS`
//! (256 KiB): 64 regions, 2 Mi words in all.
//! Images are sparse: `@` address lines followed by the non-zero words (each word little-endian: byte 0
//! of the word is bits 7..0).
//!
//! # Files, per case (`vectors/memh/<case>/`)
//! - `jobs.memh`: one 64-hex-digit job word a line, in commit order (the serial order to replay).
//! - `completions.memh`: the expected completion of each job, same order. The bench compares every field
//!   but `granted_at`-based timing: the `cycles` field is the model's prediction.
//! - `init.memh`, `final.memh`: the memory before the first job and after the last.

use std::fmt::Write as _;

use crate::address::{Region, decode};
use crate::job::{Completion, CompletionStatus, Job, JobOp};

/// One field of an encoded word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub lsb: u32,
    pub width: u32,
}

const fn field(name: &'static str, lsb: u32, width: u32) -> Field {
    Field { name, lsb, width }
}

/// Bits of an encoded job or completion.
pub const WORD_BITS: u32 = 256;

/// The job word.
pub const JOB_FIELDS: &[Field] = &[
    field("op", 0, 8),
    field("block_shift", 8, 8),
    field("tag", 16, 16),
    field("blocks", 32, 32),
    field("src", 64, 64),
    field("dst", 128, 64),
];

/// The completion word.
pub const COMPLETION_FIELDS: &[Field] = &[
    field("status", 0, 8),
    field("queue", 8, 8),
    field("tag", 16, 16),
    field("blocks_done", 32, 32),
    field("miscompare_offset", 64, 32),
    field("commit", 96, 32),
    field("fault_address", 128, 64),
    field("cycles", 192, 64),
];

/// A 256-bit word as four 64-bit limbs, limb 0 the least significant.
pub type Word = [u64; 4];

fn put(word: &mut Word, f: &Field, value: u64) {
    debug_assert!(f.width == 64 || value < 1 << f.width, "{} does not fit", f.name);
    let (limb, shift) = ((f.lsb / 64) as usize, f.lsb % 64);
    word[limb] |= value << shift;
}

fn get(word: &Word, f: &Field) -> u64 {
    let (limb, shift) = ((f.lsb / 64) as usize, f.lsb % 64);
    let v = word[limb] >> shift;
    if f.width == 64 { v } else { v & ((1 << f.width) - 1) }
}

fn fields_of<const N: usize>(table: &[Field], values: [u64; N]) -> Word {
    let mut w = [0; 4];
    for (f, v) in table.iter().zip(values) {
        put(&mut w, f, v);
    }
    w
}

pub fn encode_job(j: &Job) -> Word {
    let values = [j.op as u64, j.block_shift.into(), j.tag.into(), j.blocks.into(), j.src, j.dst];
    fields_of(JOB_FIELDS, values)
}

/// Decodes a job word; `None` for an unknown operation.
pub fn decode_job(w: &Word) -> Option<Job> {
    let f = |name| get(w, JOB_FIELDS.iter().find(|f| f.name == name).expect("field"));
    let op = match f("op") {
        0 => JobOp::Copy,
        1 => JobOp::Zero,
        2 => JobOp::Pattern,
        3 => JobOp::Deallocate,
        4 => JobOp::Anchor,
        5 => JobOp::CompareAndWrite,
        6 => JobOp::Compare,
        _ => return None,
    };
    Some(Job {
        tag: f("tag") as u16,
        op,
        src: f("src"),
        dst: f("dst"),
        blocks: f("blocks") as u32,
        block_shift: f("block_shift") as u8,
    })
}

pub fn encode_completion(c: &Completion) -> Word {
    let values = [
        c.status as u64,
        c.queue.into(),
        c.tag.into(),
        c.blocks_done.into(),
        c.miscompare_offset.into(),
        c.commit.into(),
        c.fault_address,
        c.cycles(),
    ];
    fields_of(COMPLETION_FIELDS, values)
}

/// Decodes the status of a completion word.
pub fn completion_status(w: &Word) -> Option<CompletionStatus> {
    match get(w, &COMPLETION_FIELDS[0]) {
        0 => Some(CompletionStatus::Ok),
        1 => Some(CompletionStatus::Miscompare),
        2 => Some(CompletionStatus::ReadError),
        3 => Some(CompletionStatus::WriteError),
        _ => None,
    }
}

/// A word as 64 hex digits, most significant first (the `$readmemh` order).
pub fn word_hex(w: &Word) -> String {
    w.iter().rev().map(|limb| format!("{limb:016x}")).collect()
}

/// Parses 64 hex digits.
pub fn parse_word(hex: &str) -> Option<Word> {
    if hex.len() != 64 {
        return None;
    }
    let mut w = [0; 4];
    for (i, limb) in w.iter_mut().rev().enumerate() {
        *limb = u64::from_str_radix(hex.get(16 * i..16 * i + 16)?, 16).ok()?;
    }
    Some(w)
}

/// Bytes of one bench memory region.
pub const REGION_BYTE_BITS: u32 = 18;
/// Words of one bench memory region.
pub const REGION_WORD_BITS: u32 = REGION_BYTE_BITS - 3;
/// Unit regions the bench memory holds.
pub const UNIT_REGIONS: u64 = 16;
/// Staging-buffer regions the bench memory holds (after the unit regions).
pub const BUFFER_REGIONS: u64 = 48;

/// The bench word index of an engine address, if the bench memory holds it.
pub fn bench_word(address: u64) -> Option<u64> {
    let (region, offset) = match decode(address) {
        Region::Unit { unit, offset } if u64::from(unit) < UNIT_REGIONS => (u64::from(unit), offset),
        Region::Buffer { slot, offset } if u64::from(slot) < BUFFER_REGIONS => (UNIT_REGIONS + u64::from(slot), offset),
        _ => return None,
    };
    (offset < 1 << REGION_BYTE_BITS).then_some((region << REGION_WORD_BITS) | (offset >> 3))
}

/// A sparse memory image: `(engine address, bytes)` pieces, written as `@`-addressed runs of non-zero
/// words. Returns `None` if a piece lies outside the bench memory.
pub fn image(pieces: &[(u64, &[u8])]) -> Option<String> {
    let mut words: Vec<(u64, u64)> = Vec::new();
    for (address, bytes) in pieces {
        for (i, chunk) in bytes.chunks(8).enumerate() {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            let value = u64::from_le_bytes(w);
            if value != 0 {
                words.push((bench_word(address + 8 * i as u64)?, value));
            }
        }
    }
    words.sort_unstable();
    let mut out = String::new();
    let mut next = None;
    for (index, value) in words {
        if next != Some(index) {
            writeln!(out, "@{index:x}").expect("string");
        }
        writeln!(out, "{value:016x}").expect("string");
        next = Some(index + 1);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::{buffer_address, unit_address};

    #[test]
    fn fields_tile_the_words_without_overlap() {
        for table in [JOB_FIELDS, COMPLETION_FIELDS] {
            let mut used = [false; WORD_BITS as usize];
            for f in table {
                assert!(f.lsb / 64 == (f.lsb + f.width - 1) / 64, "{} crosses a limb", f.name);
                for b in f.lsb..f.lsb + f.width {
                    assert!(!std::mem::replace(&mut used[b as usize], true), "{} overlaps", f.name);
                }
            }
        }
    }

    #[test]
    fn job_words_round_trip() {
        let job = Job {
            tag: 0xBEEF,
            op: JobOp::CompareAndWrite,
            src: buffer_address(3, 512),
            dst: unit_address(2, 7, 4096),
            blocks: 0x1234_5678,
            block_shift: 12,
        };
        let w = encode_job(&job);
        assert_eq!(decode_job(&w), Some(job.clone()));
        assert_eq!(parse_word(&word_hex(&w)), Some(w));
        assert_eq!(word_hex(&w).len(), 64);
        // op in the lowest byte, dst in the top half.
        assert!(word_hex(&w).ends_with("05"));
        let compare = Job { op: JobOp::Compare, ..job };
        assert_eq!(decode_job(&encode_job(&compare)), Some(compare.clone()));
        assert!(word_hex(&encode_job(&compare)).ends_with("06"));
        // The first code past the last operation is no job.
        let mut unknown = encode_job(&compare);
        unknown[0] = (unknown[0] & !0xFF) | 7;
        assert_eq!(decode_job(&unknown), None);
    }

    #[test]
    fn bench_addresses_and_sparse_images() {
        assert_eq!(bench_word(unit_address(1, 1, 512)), Some((1 << 15) | 64));
        assert_eq!(bench_word(buffer_address(0, 8)), Some((16 << 15) | 1));
        assert_eq!(bench_word(unit_address(16, 0, 512)), None);
        assert_eq!(bench_word(buffer_address(47, 0)), Some(63 << 15));
        assert_eq!(bench_word(buffer_address(48, 0)), None);
        assert_eq!(bench_word(unit_address(0, 512, 512)), None, "beyond 256 KiB");
        let mut block = vec![0u8; 32];
        block[8] = 0xAB;
        block[31] = 0x01;
        let text = image(&[(unit_address(0, 0, 512), &block)]).unwrap();
        assert_eq!(text, "@1\n00000000000000ab\n@3\n0100000000000000\n");
    }
}
