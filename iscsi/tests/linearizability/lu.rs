//! The sequential specification the concurrent histories are checked against: two logical units of
//! [`BLOCKS`] blocks each, every block holding a *tag* (a u64 naming the command and block that wrote it;
//! 0 is the zeros a fresh unit reads), and four commands, each **atomic over its whole range**.
//!
//! Why whole-command atomicity, and not per block: SBC-4 promises atomicity only for COMPARE AND WRITE
//! (5.3: the compare and the write are one operation no other command interleaves with) and for WRITE
//! ATOMIC; a multi-block WRITE or an EXTENDED COPY segment may, by the standard, be interleaved block by
//! block with another command. Checking per block would therefore be the weakest sound check of the
//! standard — but it cannot see a COMPARE AND WRITE of several blocks torn by another writer. This target
//! promises more than the standard: commands whose ranges overlap are serialised (today by one back-end
//! lock, later by range locks), so each command takes effect at one instant between its invocation and
//! its return, over all of its blocks (for EXTENDED COPY: its source read and destination write at that
//! same instant). That stronger promise is what this specification states; a per-block weakening would
//! still catch a broken COMPARE AND WRITE of one block.
//!
//! A READ returns each block's tag, or `None` for a block that holds no single tag (a torn block); the
//! specification never returns `None`, so a torn block is never explained. A miscompare returns the index
//! of the first block whose tag differs from the compare data (the sense INFORMATION field is the byte
//! offset of the first differing byte; a tag's bytes differ from any other tag's in the block's first 8).

use crate::checker::Specification;

/// Blocks of each unit the histories touch.
pub const BLOCKS: usize = 8;
/// Units.
pub const UNITS: usize = 2;

/// A command, as the sequential specification sees it.
#[derive(Clone, Debug)]
pub enum Op {
    Write {
        lu: usize,
        lba: usize,
        tags: Vec<u64>,
    },
    Read {
        lu: usize,
        lba: usize,
        blocks: usize,
    },
    CompareAndWrite {
        lu: usize,
        lba: usize,
        compare: Vec<u64>,
        tags: Vec<u64>,
    },
    /// EXTENDED COPY with one block-to-block segment (source and destination never overlap).
    Copy {
        from: (usize, usize),
        to: (usize, usize),
        blocks: usize,
    },
}

/// What a command returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ret {
    Good,
    Read(Vec<Option<u64>>),
    /// MISCOMPARE DURING VERIFY OPERATION at this block of the range.
    Miscompare {
        block: usize,
    },
}

/// The units' blocks, unit after unit.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Units(Vec<u64>);

impl Units {
    pub fn zeroed() -> Units {
        Units(vec![0; UNITS * BLOCKS])
    }

    fn range(lu: usize, lba: usize, blocks: usize) -> std::ops::Range<usize> {
        assert!(lu < UNITS && lba + blocks <= BLOCKS, "commands stay in the checked blocks");
        lu * BLOCKS + lba..lu * BLOCKS + lba + blocks
    }
}

impl Specification for Units {
    type Op = Op;
    type Ret = Ret;

    fn step(&mut self, op: &Op) -> Ret {
        match op {
            Op::Write { lu, lba, tags } => {
                self.0[Units::range(*lu, *lba, tags.len())].copy_from_slice(tags);
                Ret::Good
            }
            Op::Read { lu, lba, blocks } => {
                Ret::Read(self.0[Units::range(*lu, *lba, *blocks)].iter().map(|&t| Some(t)).collect())
            }
            Op::CompareAndWrite { lu, lba, compare, tags } => {
                let range = Units::range(*lu, *lba, tags.len());
                match self.0[range.clone()].iter().zip(compare).position(|(now, expected)| now != expected) {
                    Some(block) => Ret::Miscompare { block },
                    None => {
                        self.0[range].copy_from_slice(tags);
                        Ret::Good
                    }
                }
            }
            Op::Copy { from, to, blocks } => {
                let source = Units::range(from.0, from.1, *blocks);
                let destination = Units::range(to.0, to.1, *blocks);
                self.0.copy_within(source, destination.start);
                Ret::Good
            }
        }
    }
}
