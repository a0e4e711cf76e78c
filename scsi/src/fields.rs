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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn most_significant_byte_first() {
        let b = [0x01u8, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09];
        assert_eq!(b.be16(0), 0x0102);
        assert_eq!(b.be24(1), 0x02_0304);
        assert_eq!(b.be32(5), 0x0607_0809);
        assert_eq!(b.be64(1), 0x0203_0405_0607_0809);
    }
}
