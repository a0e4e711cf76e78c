//! Big-endian fields of CDBs, parameter lists, sense data and PDUs (SCSI and iSCSI put the most
//! significant byte first).

/// Readers of big-endian fields at a byte offset. The caller has checked the length: an offset past the
/// end panics, as slice indexing does.
pub trait Fields {
    fn be16(&self, at: usize) -> u16;
    fn be24(&self, at: usize) -> u32;
    fn be32(&self, at: usize) -> u32;
    fn be64(&self, at: usize) -> u64;
}

impl Fields for [u8] {
    #[inline]
    fn be16(&self, at: usize) -> u16 {
        u16::from_be_bytes([self[at], self[at + 1]])
    }

    #[inline]
    fn be24(&self, at: usize) -> u32 {
        u32::from_be_bytes([0, self[at], self[at + 1], self[at + 2]])
    }

    #[inline]
    fn be32(&self, at: usize) -> u32 {
        u32::from_be_bytes([self[at], self[at + 1], self[at + 2], self[at + 3]])
    }

    #[inline]
    fn be64(&self, at: usize) -> u64 {
        (u64::from(self.be32(at)) << 32) | u64::from(self.be32(at + 4))
    }
}

/// The LBA and block count of a block command whose 10-, 12- and 16-byte CDBs share SBC-4's layout
/// (READ, WRITE, VERIFY, WRITE AND VERIFY, ORWRITE): the LBA at byte 2, the count (TRANSFER LENGTH or
/// VERIFICATION LENGTH) at bytes 7–8, 6–9 or 10–13.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockFields {
    pub lba: u64,
    pub blocks: u64,
    /// The CDB bytes the count occupies.
    pub length_field: core::ops::Range<usize>,
}

impl BlockFields {
    /// The CDB byte the count starts at (a field pointer's byte).
    pub fn length_at(&self) -> u16 {
        self.length_field.start as u16
    }
}

/// Reads [`BlockFields`]. The CDB's length follows from its operation code's group (SPC-4 4.2.5.1), not
/// from the bytes a transport carried, which may be padded; the caller has checked the CDB is that long.
pub fn block_fields(cdb: &[u8]) -> BlockFields {
    let (lba, blocks, length_field) = match cdb[0] >> 5 {
        1 | 2 => (cdb.be32(2).into(), cdb.be16(7).into(), 7..9),
        5 => (cdb.be32(2).into(), cdb.be32(6).into(), 6..10),
        _ => (cdb.be64(2), cdb.be32(10).into(), 10..14),
    };
    BlockFields { lba, blocks, length_field }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_fields_follow_the_operation_code_group() {
        // VERIFY (10), (12), (16): 2Fh, AFh, 8Fh.
        let ten = [0x2F, 0, 0x01, 0x02, 0x03, 0x04, 0, 0x05, 0x06, 0, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE];
        assert_eq!(block_fields(&ten), BlockFields { lba: 0x0102_0304, blocks: 0x0506, length_field: 7..9 });
        let twelve = [0xAF, 0, 0, 0, 0, 9, 0, 0, 1, 0, 0, 0];
        assert_eq!(block_fields(&twelve), BlockFields { lba: 9, blocks: 256, length_field: 6..10 });
        let mut sixteen = [0u8; 16];
        sixteen[0] = 0x8F;
        sixteen[2] = 0x80;
        sixteen[13] = 3;
        assert_eq!(block_fields(&sixteen), BlockFields { lba: 1 << 63, blocks: 3, length_field: 10..14 });
        assert_eq!(block_fields(&sixteen).length_at(), 10);
    }

    #[test]
    fn most_significant_byte_first() {
        let b = [0x01u8, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09];
        assert_eq!(b.be16(0), 0x0102);
        assert_eq!(b.be24(1), 0x02_0304);
        assert_eq!(b.be32(5), 0x0607_0809);
        assert_eq!(b.be64(1), 0x0203_0405_0607_0809);
    }
}
