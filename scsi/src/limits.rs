//! The limits a device server advertises (VPD B0h, VPD 8Fh, RECEIVE COPY RESULTS OPERATING PARAMETERS)
//! and enforces: one value, two uses, the same in every implementation.

use core::fmt;

/// Limits of the block commands.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(deny_unknown_fields, default))]
pub struct Limits {
    /// VPD B0h MAXIMUM TRANSFER LENGTH (blocks) for READ and WRITE.
    pub max_transfer_blocks: u32,
    /// VPD B0h MAXIMUM COMPARE AND WRITE LENGTH (blocks, at most 255).
    pub max_compare_and_write_blocks: u8,
    /// VPD B0h MAXIMUM WRITE SAME LENGTH (blocks).
    pub max_write_same_blocks: u64,
    /// VPD B0h WSNZ: a WRITE SAME with NUMBER OF LOGICAL BLOCKS = 0 is rejected (otherwise it means "to
    /// the last LBA").
    pub write_same_non_zero: bool,
    /// VPD B0h MAXIMUM UNMAP LBA COUNT (blocks per UNMAP command).
    pub max_unmap_blocks: u32,
    /// VPD B0h MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT.
    pub max_unmap_descriptors: u32,
    /// VPD B0h OPTIMAL UNMAP GRANULARITY (blocks): the unaligned head and tail of a released range are
    /// written with zeros (and stay mapped); only the aligned middle is deallocated or anchored.
    pub unmap_granularity: u32,
    /// EXTENDED COPY limits (VPD 8Fh and RECEIVE COPY RESULTS OPERATING PARAMETERS).
    pub copy: CopyLimits,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_transfer_blocks: 8192,
            max_compare_and_write_blocks: 255,
            max_write_same_blocks: 65_536,
            write_same_non_zero: true,
            max_unmap_blocks: 1024 * 1024,
            max_unmap_descriptors: 64,
            unmap_granularity: 1,
            copy: CopyLimits::default(),
        }
    }
}

/// Limits of the EXTENDED COPY (LID1) copy manager.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize), serde(deny_unknown_fields, default))]
pub struct CopyLimits {
    /// MAXIMUM TARGET (CSCD) DESCRIPTOR COUNT.
    pub max_target_descriptors: u16,
    /// MAXIMUM SEGMENT DESCRIPTOR COUNT.
    pub max_segment_descriptors: u16,
    /// MAXIMUM DESCRIPTOR LIST LENGTH (bytes of CSCD plus segment descriptors).
    pub max_descriptor_list_bytes: u32,
    /// MAXIMUM SEGMENT LENGTH (bytes one segment may move).
    pub max_segment_bytes: u32,
    /// TOTAL CONCURRENT COPIES: lists that may be in progress at once, and how many results of lists with
    /// LIST ID USAGE 00b are held for RECEIVE COPY RESULTS.
    pub concurrent_copies: u16,
}

impl Default for CopyLimits {
    fn default() -> CopyLimits {
        CopyLimits {
            max_target_descriptors: 8,
            max_segment_descriptors: 16,
            max_descriptor_list_bytes: 8 * 32 + 16 * 28,
            max_segment_bytes: 16 * 1024 * 1024,
            concurrent_copies: 16,
        }
    }
}

/// Why a set of limits cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitError {
    /// A limit of zero would refuse every command it governs.
    Zero { name: &'static str },
    /// A rule between limits, or with a field they must fit.
    Rule(&'static str),
}

impl fmt::Display for LimitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LimitError::Zero { name } => write!(f, "limit {name} must be at least 1"),
            LimitError::Rule(rule) => f.write_str(rule),
        }
    }
}

impl core::error::Error for LimitError {}

/// Bytes of the largest logical block: what the transfer rule is reckoned in.
const LARGEST_BLOCK: u64 = 4096;

/// The atomic-write limits of VPD B0h (SBC-4 6.6.4), derived from what makes a write atomic here: a
/// host write is one copy job from its staging buffer, and the range-lock unit holds that job's
/// exclusive lock on the whole destination range, block-granular, for the job's whole run. So any write
/// one job can take is atomic against every other command, at any LBA, of any length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AtomicLimits {
    /// MAXIMUM ATOMIC TRANSFER LENGTH: one job's transfer, MAXIMUM TRANSFER LENGTH (within WRITE
    /// ATOMIC (16)'s 16-bit TRANSFER LENGTH).
    pub max_transfer_blocks: u32,
    /// ATOMIC ALIGNMENT: locks start at any block.
    pub alignment: u32,
    /// ATOMIC TRANSFER LENGTH GRANULARITY: locks cover any number of blocks.
    pub granularity: u32,
    /// MAXIMUM ATOMIC TRANSFER LENGTH WITH ATOMIC BOUNDARY and MAXIMUM ATOMIC BOUNDARY SIZE: 0, no
    /// atomic boundaries — a write is never split into separately atomic parts.
    pub max_transfer_with_boundary_blocks: u32,
    pub max_boundary_blocks: u32,
}

impl AtomicLimits {
    /// Checks a WRITE ATOMIC (16) against the limits: ATOMIC BOUNDARY (CDB bytes 10–11) within MAXIMUM
    /// ATOMIC BOUNDARY SIZE, TRANSFER LENGTH (bytes 12–13) within MAXIMUM ATOMIC TRANSFER LENGTH and a
    /// multiple of the granularity, the LBA (bytes 2–9) on the alignment; INVALID FIELD IN CDB pointing
    /// at the field otherwise.
    pub fn check(&self, boundary: u16, lba: u64, blocks: u64) -> Result<(), crate::Sense> {
        if u32::from(boundary) > self.max_boundary_blocks {
            return Err(crate::Sense::invalid_cdb_field(10, None));
        }
        if blocks > u64::from(self.max_transfer_blocks) || !blocks.is_multiple_of(u64::from(self.granularity)) {
            return Err(crate::Sense::invalid_cdb_field(12, None));
        }
        if !lba.is_multiple_of(u64::from(self.alignment)) {
            return Err(crate::Sense::invalid_cdb_field(2, None));
        }
        Ok(())
    }
}

impl Limits {
    /// The atomic-write limits these limits imply ([`AtomicLimits`]).
    pub const fn atomic(&self) -> AtomicLimits {
        let max = if self.max_transfer_blocks > 0xFFFF { 0xFFFF } else { self.max_transfer_blocks };
        AtomicLimits {
            max_transfer_blocks: max,
            alignment: 1,
            granularity: 1,
            max_transfer_with_boundary_blocks: 0,
            max_boundary_blocks: 0,
        }
    }

    /// Checks the limits the way every implementation does before serving with them.
    pub fn validate(&self) -> Result<(), LimitError> {
        let c = &self.copy;
        let positive: [(&'static str, u64); 10] = [
            ("max_transfer_blocks", self.max_transfer_blocks.into()),
            ("max_write_same_blocks", self.max_write_same_blocks),
            ("max_unmap_blocks", self.max_unmap_blocks.into()),
            ("max_unmap_descriptors", self.max_unmap_descriptors.into()),
            ("unmap_granularity", self.unmap_granularity.into()),
            ("copy.max_target_descriptors", c.max_target_descriptors.into()),
            ("copy.max_segment_descriptors", c.max_segment_descriptors.into()),
            ("copy.max_descriptor_list_bytes", c.max_descriptor_list_bytes.into()),
            ("copy.max_segment_bytes", c.max_segment_bytes.into()),
            ("copy.concurrent_copies", c.concurrent_copies.into()),
        ];
        if let Some(&(name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(LimitError::Zero { name });
        }
        if self.max_write_same_blocks > u64::from(u32::MAX) {
            return Err(LimitError::Rule("max_write_same_blocks must fit a job's 32-bit block count"));
        }
        // One command's data (a staging buffer) is at most 4 GiB, for the largest block size.
        if u64::from(self.max_transfer_blocks) * LARGEST_BLOCK > 1 << 32 {
            return Err(LimitError::Rule("max_transfer_blocks × 4096 must fit a 4 GiB staging buffer"));
        }
        if u32::from(self.max_compare_and_write_blocks) > self.max_transfer_blocks {
            return Err(LimitError::Rule("max_compare_and_write_blocks must not exceed max_transfer_blocks"));
        }
        // Field pointers into the parameter list are 16 bits.
        if c.max_descriptor_list_bytes > 0xFFFF - 16 {
            return Err(LimitError::Rule("copy.max_descriptor_list_bytes must leave the list under 64 KiB"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        assert_eq!(Limits::default().validate(), Ok(()));
    }

    #[test]
    fn atomic_writes_are_one_job_long() {
        let atomic = Limits::default().atomic();
        assert_eq!(atomic.max_transfer_blocks, 8192);
        assert_eq!((atomic.alignment, atomic.granularity, atomic.max_boundary_blocks), (1, 1, 0));
        let big = Limits { max_transfer_blocks: 1 << 20, ..Limits::default() };
        assert_eq!(big.atomic().max_transfer_blocks, 0xFFFF, "WRITE ATOMIC's TRANSFER LENGTH is 16 bits");
    }

    #[test]
    fn atomic_checks_point_at_the_field() {
        use crate::Sense;
        let strict =
            AtomicLimits { alignment: 4, granularity: 2, max_boundary_blocks: 0, ..Limits::default().atomic() };
        assert_eq!(strict.check(0, 8, 2), Ok(()));
        assert_eq!(strict.check(1, 8, 2), Err(Sense::invalid_cdb_field(10, None)), "ATOMIC BOUNDARY");
        assert_eq!(strict.check(0, 8, 3), Err(Sense::invalid_cdb_field(12, None)), "granularity");
        assert_eq!(strict.check(0, 8, 8194), Err(Sense::invalid_cdb_field(12, None)), "maximum");
        assert_eq!(strict.check(0, 6, 2), Err(Sense::invalid_cdb_field(2, None)), "alignment");
    }

    #[test]
    fn each_rule_refuses() {
        let l = Limits { max_unmap_descriptors: 0, ..Limits::default() };
        assert_eq!(l.validate(), Err(LimitError::Zero { name: "max_unmap_descriptors" }));
        let l = Limits { copy: CopyLimits { concurrent_copies: 0, ..CopyLimits::default() }, ..Limits::default() };
        assert_eq!(l.validate(), Err(LimitError::Zero { name: "copy.concurrent_copies" }));
        for broken in [
            Limits { max_write_same_blocks: 1 << 32, ..Limits::default() },
            Limits { max_transfer_blocks: (1 << 20) + 1, ..Limits::default() },
            Limits { max_transfer_blocks: 8, max_compare_and_write_blocks: 9, ..Limits::default() },
            Limits {
                copy: CopyLimits { max_descriptor_list_bytes: 0xFFF0, ..CopyLimits::default() },
                ..Limits::default()
            },
        ] {
            assert!(matches!(broken.validate(), Err(LimitError::Rule(_))), "{broken:?}");
        }
        // The edges themselves are fine.
        let edges = Limits {
            max_write_same_blocks: u32::MAX.into(),
            max_transfer_blocks: 1 << 20,
            copy: CopyLimits { max_descriptor_list_bytes: 0xFFEF, ..CopyLimits::default() },
            ..Limits::default()
        };
        assert_eq!(edges.validate(), Ok(()));
    }
}
