//! The EXTENDED COPY (LID1) parameter list (SPC-4 6.4.3): its layout and the codes the copy managers
//! implement. How a list is checked and run is each implementation's own.

/// Bytes of the parameter list header.
pub const HEADER_LEN: usize = 16;
/// Bytes of an identification CSCD descriptor.
pub const CSCD_LEN: usize = 32;
/// Bytes of a block-to-block segment descriptor (DESCRIPTOR LENGTH 18h plus the first four).
pub const SEGMENT_LEN: usize = 28;
/// CSCD descriptor type code: identification descriptor (E4h), a logical unit named by a designator.
pub const IDENTIFICATION_DESCRIPTOR: u8 = 0xE4;
/// Segment descriptor type code: block device to block device (02h).
pub const BLOCK_TO_BLOCK: u8 = 0x02;
/// CSCD ID naming the logical unit the EXTENDED COPY was sent to.
pub const ADDRESSED_UNIT: u16 = 0xFFFF;
/// Highest CSCD ID that indexes the CSCD descriptor list.
pub const LAST_LIST_INDEX: u16 = 0x07FF;

/// LIST ID USAGE (header byte 1, bits 4–3): what the copy manager keeps of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListIdUsage {
    /// 00b: hold the results for RECEIVE COPY RESULTS.
    Hold,
    /// 10b: keep the copy status; no data to hold.
    Discard,
    /// 11b: no list identifier; nothing is kept (LIST IDENTIFIER must be 0).
    None,
}

impl ListIdUsage {
    /// The usage header byte 1 names; `None` for the reserved 01b.
    pub const fn from_header(byte1: u8) -> Option<ListIdUsage> {
        match (byte1 >> 3) & 0b11 {
            0b00 => Some(ListIdUsage::Hold),
            0b10 => Some(ListIdUsage::Discard),
            0b11 => Some(ListIdUsage::None),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_id_usage_bits() {
        assert_eq!(ListIdUsage::from_header(0x00), Some(ListIdUsage::Hold));
        assert_eq!(ListIdUsage::from_header(0x08), None);
        assert_eq!(ListIdUsage::from_header(0x10 | 0x07), Some(ListIdUsage::Discard));
        assert_eq!(ListIdUsage::from_header(0x18), Some(ListIdUsage::None));
        assert_eq!(SEGMENT_LEN - 4, 0x18);
    }
}
