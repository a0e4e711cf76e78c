//! The 8-byte LUN field (SAM-5 single-level addressing) of the logical units this target serves.

/// The 8-byte LUN field for logical unit `index` (SAM-5 single-level: peripheral device addressing below
/// 256, flat space addressing up to 16383).
pub fn encode_lun(index: u16) -> u64 {
    if index < 256 { u64::from(index) << 48 } else { (0x4000 | u64::from(index & 0x3FFF)) << 48 }
}

/// The logical unit a LUN field addresses, if it is a single-level peripheral or flat space address.
pub fn decode_lun(lun: u64) -> Option<u16> {
    let b = lun.to_be_bytes();
    if b[2..].iter().any(|&x| x != 0) {
        return None;
    }
    match b[0] >> 6 {
        0 if b[0] == 0 => Some(u16::from(b[1])),
        1 => Some((u16::from(b[0] & 0x3F) << 8) | u16::from(b[1])),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lun_encoding() {
        assert_eq!(encode_lun(0), 0);
        assert_eq!(encode_lun(5).to_be_bytes(), [0, 5, 0, 0, 0, 0, 0, 0]);
        assert_eq!(encode_lun(0x123).to_be_bytes(), [0x41, 0x23, 0, 0, 0, 0, 0, 0]);
        for lun in [0, 1, 255, 256, 16383] {
            assert_eq!(decode_lun(encode_lun(lun)), Some(lun));
        }
        assert_eq!(decode_lun(0x0001_0001_0000_0000), None, "two-level LUNs are not addressed");
        assert_eq!(decode_lun(0x8000_0000_0000_0000), None);
        assert_eq!(decode_lun(0x0100_0000_0000_0000), None, "peripheral addressing with a bus number");
    }
}
