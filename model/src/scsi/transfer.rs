//! The data-out a CDB implies: how many bytes the device server will ask the application client for,
//! and what a transfer of another size can mean.
//!
//! A transport such as iSCSI carries its own Expected Data Transfer Length beside the CDB. SAM-5 leaves
//! the CDB in charge of how much is transferred; the transport reports any difference as a residual
//! (RFC 7143 §11.4.5: overflow when the CDB wants more than the initiator offers, underflow when it
//! wants less). This module answers, from the CDB and the unit's block size alone, how much the CDB
//! wants and whether a shorter offer still makes a command. The device server ([`super::Target`])
//! keeps its own rule for direct callers: the data-out must be exactly what the CDB implies.

use offload_scsi::command::lookup;
use offload_scsi::{Command, Fields, block_fields};

/// What a command's data-out is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataOutShape {
    /// Logical blocks one after another (WRITE, WRITE AND VERIFY, ORWRITE, VERIFY with BYTCHK 01b): a
    /// transfer of fewer whole blocks is the same command with a smaller TRANSFER LENGTH (VERIFICATION
    /// LENGTH), which sits at `length_field` in the CDB.
    Blocks { block_size: u32, length_field: std::ops::Range<usize> },
    /// A parameter list of PARAMETER LIST LENGTH bytes (UNMAP, EXTENDED COPY, MODE SELECT): bytes offered
    /// beyond it are not transferred; a shorter list is the device server's to judge.
    ParameterList,
    /// Data whose every byte has a role — COMPARE AND WRITE's verify and write halves, WRITE SAME's one
    /// block, nothing at all for the other commands: any other amount fails the command.
    Exact,
}

/// The data-out of a command: `bytes` long, of shape `shape`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImpliedDataOut {
    pub bytes: u64,
    pub shape: DataOutShape,
}

/// The data-out `cdb` implies on a unit of `block_size`-byte blocks; `None` when the CDB names no
/// supported command or is too short for its fields (the device server rejects those itself).
pub fn implied_data_out(cdb: &[u8], block_size: u32) -> Option<ImpliedDataOut> {
    let spec = lookup(cdb).ok()?;
    if cdb.len() < spec.cdb_len() {
        return None;
    }
    let block = u64::from(block_size);
    let blocks = |length_field: std::ops::Range<usize>, count: u64| ImpliedDataOut {
        bytes: count * block,
        shape: DataOutShape::Blocks { block_size, length_field },
    };
    let list = |bytes: u64| ImpliedDataOut { bytes, shape: DataOutShape::ParameterList };
    let exact = |bytes: u64| ImpliedDataOut { bytes, shape: DataOutShape::Exact };
    Some(match spec.command {
        Command::Write10 => blocks(7..9, cdb.be16(7).into()),
        Command::Write16 => blocks(10..14, cdb.be32(10).into()),
        Command::Write12 => blocks(6..10, cdb.be32(6).into()),
        // TRANSFER LENGTH 0 means 256 blocks: a lowered one-byte length could not say "none", so a
        // WRITE (6) takes exactly what its CDB says.
        Command::Write6 => exact(if cdb[4] == 0 { 256 } else { u64::from(cdb[4]) } * block),
        // A part of an atomic write is not the write that was asked for: exactly TRANSFER LENGTH blocks.
        Command::WriteAtomic16 => exact(u64::from(cdb.be16(12)) * block),
        Command::WriteAndVerify10 | Command::WriteAndVerify12 | Command::WriteAndVerify16 | Command::OrWrite16 => {
            let f = block_fields(cdb);
            blocks(f.length_field, f.blocks)
        }
        // BYTCHK (byte 1, bits 2–1): 01b a block of data-out per block verified, 11b one block for all of
        // them, 00b (and the reserved 10b) none.
        Command::Verify10 | Command::Verify12 | Command::Verify16 => {
            let f = block_fields(cdb);
            match (cdb[1] >> 1) & 0b11 {
                0b01 => blocks(f.length_field, f.blocks),
                0b11 if f.blocks > 0 => exact(block),
                _ => exact(0),
            }
        }
        // NUMBER OF LOGICAL BLOCKS (byte 13) blocks to compare, then as many to write.
        Command::CompareAndWrite => exact(2 * u64::from(cdb[13]) * block),
        Command::WriteSame10 => exact(block),
        // NDOB (byte 1, bit 0): no data-out, the block is zeros.
        Command::WriteSame16 => exact(if cdb[1] & 0x01 != 0 { 0 } else { block }),
        Command::Unmap => list(cdb.be16(7).into()),
        Command::ExtendedCopy => list(cdb.be32(10).into()),
        Command::ModeSelect6 => list(cdb[4].into()),
        Command::ModeSelect10 => list(cdb.be16(7).into()),
        _ => exact(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use offload_vectors::cdb;

    fn shape_of_blocks(bs: u32, field: std::ops::Range<usize>) -> DataOutShape {
        DataOutShape::Blocks { block_size: bs, length_field: field }
    }

    #[test]
    fn writes_imply_transfer_length_blocks() {
        // SBC-4 5.40 / 5.42: TRANSFER LENGTH in blocks at bytes 7-8 (10) and 10-13 (16).
        let w10 = implied_data_out(&cdb::write10(5, 3), 512).unwrap();
        assert_eq!(w10, ImpliedDataOut { bytes: 1536, shape: shape_of_blocks(512, 7..9) });
        let w16 = implied_data_out(&cdb::write16(5, 70_000), 4096).unwrap();
        assert_eq!(w16, ImpliedDataOut { bytes: 70_000 * 4096, shape: shape_of_blocks(4096, 10..14) });
        assert_eq!(implied_data_out(&cdb::write10(0, 0), 512).unwrap().bytes, 0);
    }

    #[test]
    fn six_twelve_and_atomic_writes() {
        // SBC-4 WRITE (6): TRANSFER LENGTH 0 is 256 blocks.
        let w6 = implied_data_out(&cdb::write6(5, 0), 512).unwrap();
        assert_eq!(w6, ImpliedDataOut { bytes: 256 * 512, shape: DataOutShape::Exact });
        assert_eq!(implied_data_out(&cdb::write6(5, 3), 4096).unwrap().bytes, 3 * 4096);
        // SBC-4 WRITE (12): TRANSFER LENGTH at bytes 6–9.
        let w12 = implied_data_out(&cdb::write12(5, 70_000), 512).unwrap();
        assert_eq!(w12, ImpliedDataOut { bytes: 70_000 * 512, shape: shape_of_blocks(512, 6..10) });
        // SBC-4 WRITE ATOMIC (16): TRANSFER LENGTH at bytes 12–13.
        let wa = implied_data_out(&cdb::write_atomic16(5, 0, 9), 512).unwrap();
        assert_eq!(wa, ImpliedDataOut { bytes: 9 * 512, shape: DataOutShape::Exact });
    }

    #[test]
    fn compare_and_write_implies_twice_nolb_blocks() {
        // SBC-4 5.3: verify data then write data, NUMBER OF LOGICAL BLOCKS each.
        let caw = implied_data_out(&cdb::compare_and_write(9, 3), 512).unwrap();
        assert_eq!(caw, ImpliedDataOut { bytes: 3072, shape: DataOutShape::Exact });
        assert_eq!(implied_data_out(&cdb::compare_and_write(9, 0), 4096).unwrap().bytes, 0);
    }

    #[test]
    fn write_same_implies_one_block_or_none_with_ndob() {
        // SBC-4 5.48 / 5.49: one logical block of data-out whatever NUMBER OF LOGICAL BLOCKS says;
        // none when NDOB is set.
        assert_eq!(implied_data_out(&cdb::write_same10(0x08, 0, 100), 4096).unwrap().bytes, 4096);
        assert_eq!(implied_data_out(&cdb::write_same16(0x08, 0, 100), 512).unwrap().bytes, 512);
        let ndob = implied_data_out(&cdb::write_same16(0x01, 0, 100), 512).unwrap();
        assert_eq!(ndob, ImpliedDataOut { bytes: 0, shape: DataOutShape::Exact });
    }

    #[test]
    fn write_and_verify_and_orwrite_imply_transfer_length_blocks() {
        // SBC-4 WRITE AND VERIFY (10)/(12)/(16), ORWRITE (16): TRANSFER LENGTH at bytes 7-8, 6-9, 10-13.
        let wv10 = implied_data_out(&cdb::write_and_verify(10, 0x02, 5, 3), 512).unwrap();
        assert_eq!(wv10, ImpliedDataOut { bytes: 1536, shape: shape_of_blocks(512, 7..9) });
        let wv12 = implied_data_out(&cdb::write_and_verify(12, 0, 5, 2), 4096).unwrap();
        assert_eq!(wv12, ImpliedDataOut { bytes: 8192, shape: shape_of_blocks(4096, 6..10) });
        let wv16 = implied_data_out(&cdb::write_and_verify(16, 0x02, 5, 1), 512).unwrap();
        assert_eq!(wv16, ImpliedDataOut { bytes: 512, shape: shape_of_blocks(512, 10..14) });
        let or = implied_data_out(&cdb::orwrite16(0, 5, 4), 512).unwrap();
        assert_eq!(or, ImpliedDataOut { bytes: 2048, shape: shape_of_blocks(512, 10..14) });
    }

    #[test]
    fn verify_implies_what_bytchk_says() {
        // BYTCHK 00b: no data-out; 01b: VERIFICATION LENGTH blocks; 11b: one block (none for length 0).
        assert_eq!(implied_data_out(&cdb::verify(10, 0x00, 0, 8), 512).unwrap().bytes, 0);
        let compare = implied_data_out(&cdb::verify(12, 0x02, 0, 8), 512).unwrap();
        assert_eq!(compare, ImpliedDataOut { bytes: 4096, shape: shape_of_blocks(512, 6..10) });
        let one = implied_data_out(&cdb::verify(16, 0x06, 0, 8), 4096).unwrap();
        assert_eq!(one, ImpliedDataOut { bytes: 4096, shape: DataOutShape::Exact });
        assert_eq!(implied_data_out(&cdb::verify(16, 0x06, 0, 0), 512).unwrap().bytes, 0);
        assert_eq!(implied_data_out(&cdb::verify(10, 0x04, 0, 8), 512).unwrap().bytes, 0, "10b: reserved");
    }

    #[test]
    fn parameter_lists_imply_their_length() {
        assert_eq!(
            implied_data_out(&cdb::unmap(false, 24), 512).unwrap(),
            ImpliedDataOut { bytes: 24, shape: DataOutShape::ParameterList }
        );
        assert_eq!(implied_data_out(&cdb::extended_copy(0x1_0040), 512).unwrap().bytes, 0x1_0040);
        let select6 = [0x15, 0x10, 0, 0, 28, 0];
        assert_eq!(implied_data_out(&select6, 512).unwrap().bytes, 28);
        let select10 = [0x55, 0x10, 0, 0, 0, 0, 0, 0x01, 0x02, 0];
        assert_eq!(implied_data_out(&select10, 512).unwrap().bytes, 0x102);
    }

    #[test]
    fn commands_without_data_out_imply_none() {
        for c in [cdb::read10(0, 8), cdb::inquiry(false, 0, 96), cdb::read_capacity16(32)] {
            assert_eq!(implied_data_out(&c, 512).unwrap(), ImpliedDataOut { bytes: 0, shape: DataOutShape::Exact });
        }
    }

    #[test]
    fn unknown_or_short_cdbs_imply_nothing() {
        assert_eq!(implied_data_out(&[0xFF, 0, 0, 0, 0, 0], 512), None);
        assert_eq!(implied_data_out(&[], 512), None);
        assert_eq!(implied_data_out(&cdb::write16(0, 1)[..8], 512), None);
    }
}
