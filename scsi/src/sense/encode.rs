//! Encoding sense data into a fixed-size buffer, in fixed (SPC-4 4.5.3) or descriptor (4.5.2) format.

use core::fmt;
use core::ops::Deref;

use super::{Sense, SenseFormat};

/// Bytes a [`SenseBuf`] can hold: the most sense data SPC-4 allows (8 + an ADDITIONAL SENSE LENGTH of 244).
pub const SENSE_CAPACITY: usize = 252;

/// Encoded sense data: a fixed array and the number of bytes used (no allocation). Empty when the status
/// is not CHECK CONDITION.
#[derive(Clone, Copy)]
pub struct SenseBuf {
    bytes: [u8; SENSE_CAPACITY],
    len: u8,
}

impl SenseBuf {
    /// No sense data.
    pub const fn empty() -> SenseBuf {
        SenseBuf { bytes: [0; SENSE_CAPACITY], len: 0 }
    }

    /// The sense bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    fn extend(&mut self, bytes: &[u8]) {
        let at = usize::from(self.len);
        // The largest sense built here is 64 bytes; never more than the capacity.
        let n = bytes.len().min(SENSE_CAPACITY - at);
        self.bytes[at..at + n].copy_from_slice(&bytes[..n]);
        self.len += n as u8;
    }

    fn set(&mut self, at: usize, value: u8) {
        self.bytes[at] = value;
    }

    /// ADDITIONAL SENSE LENGTH (byte 7): the bytes after it, counted from `start`.
    fn close(&mut self, start: usize) {
        let additional = self.as_slice().len() - start - 8;
        self.set(start + 7, additional as u8);
    }
}

impl Default for SenseBuf {
    fn default() -> SenseBuf {
        SenseBuf::empty()
    }
}

impl Deref for SenseBuf {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for SenseBuf {
    fn eq(&self, other: &SenseBuf) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SenseBuf {}

impl fmt::Debug for SenseBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.as_slice() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl Sense {
    /// The sense data in `format`.
    pub fn encode(&self, format: SenseFormat) -> SenseBuf {
        let mut out = SenseBuf::empty();
        self.encode_into(format, &mut out);
        out
    }

    /// Appends the sense data in `format` to `out` (normally empty).
    pub fn encode_into(&self, format: SenseFormat, out: &mut SenseBuf) {
        match format {
            SenseFormat::Fixed => self.fixed_into(out),
            SenseFormat::Descriptor => self.descriptor_into(out),
        }
    }

    /// Fixed format: INFORMATION and COMMAND-SPECIFIC INFORMATION are four bytes; a value wider than that
    /// is left out (VALID stays 0; descriptor format carries all eight bytes). A forwarded sense follows the
    /// 18 fixed bytes as its status byte and its own fixed-format sense, its offset in COMMAND-SPECIFIC
    /// INFORMATION byte 0 (source) or 1 (destination).
    fn fixed_into(&self, out: &mut SenseBuf) {
        let start = out.as_slice().len();
        let mut f = [0u8; 18];
        f[0] = 0x70;
        f[2] = self.key.0;
        if let Some(info) = self.information.and_then(|i| u32::try_from(i).ok()) {
            f[0] |= 0x80;
            f[3..7].copy_from_slice(&info.to_be_bytes());
        }
        if let Some(csi) = self.command_specific.and_then(|c| u32::try_from(c).ok()) {
            f[8..12].copy_from_slice(&csi.to_be_bytes());
        }
        f[12] = self.asc.0;
        f[13] = self.asc.1;
        if let Some(sks) = self.key_specific {
            f[15..18].copy_from_slice(&sks.bytes());
        }
        if let Some(fwd) = &self.forwarded {
            f[7 + fwd.from as usize] = f.len() as u8;
        }
        out.extend(&f);
        if let Some(fwd) = &self.forwarded {
            out.extend(&[fwd.status]);
            if fwd.has_sense() {
                fwd.sense().fixed_into(out);
            }
        }
        out.close(start);
    }

    /// Descriptor format: information (00h), command-specific information (01h), sense-key specific (02h)
    /// and forwarded sense data (0Ch) descriptors, in that order.
    fn descriptor_into(&self, out: &mut SenseBuf) {
        let start = out.as_slice().len();
        out.extend(&[0x72, self.key.0, self.asc.0, self.asc.1, 0, 0, 0, 0]);
        if let Some(info) = self.information {
            out.extend(&[0x00, 0x0A, 0x80, 0x00]);
            out.extend(&info.to_be_bytes());
        }
        if let Some(csi) = self.command_specific {
            out.extend(&[0x01, 0x0A, 0x00, 0x00]);
            out.extend(&csi.to_be_bytes());
        }
        if let Some(sks) = self.key_specific {
            out.extend(&[0x02, 0x06, 0x00, 0x00]);
            out.extend(&sks.bytes());
            out.extend(&[0x00]);
        }
        if let Some(fwd) = &self.forwarded {
            let header = out.as_slice().len();
            out.extend(&[0x0C, 0, fwd.from as u8, fwd.status]);
            if fwd.has_sense() {
                fwd.sense().descriptor_into(out);
            }
            let length = out.as_slice().len() - header - 2;
            out.set(header + 1, length as u8);
        }
        out.close(start);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;
    use std::string::String;

    use super::super::{Asc, CopyTarget, Forwarded, KeySpecific, SenseKey};
    use super::*;
    use crate::status::CHECK_CONDITION;

    fn hex(s: &SenseBuf) -> String {
        format!("{s:?}")
    }

    fn fixed(s: &Sense) -> String {
        hex(&s.encode(SenseFormat::Fixed))
    }

    fn descriptor(s: &Sense) -> String {
        hex(&s.encode(SenseFormat::Descriptor))
    }

    // Expected bytes are the SPC-4 layouts written out by hand.

    #[test]
    fn invalid_field_in_cdb_with_and_without_a_bit_pointer() {
        // SKSV | C/D | BPV | bit 2 at byte 5: NACA set in a 6-byte CDB.
        let s = Sense::invalid_cdb_field(5, Some(2));
        assert_eq!(fixed(&s), "700005000000000a00000000240000ca0005");
        assert_eq!(descriptor(&s), "720524000000000802060000ca000500");
        assert_eq!(fixed(&Sense::invalid_cdb_field(0, None)), "700005000000000a00000000240000c00000");
    }

    #[test]
    fn plain_sense_has_no_descriptors() {
        let s = Sense::illegal(Asc::LBA_OUT_OF_RANGE);
        assert_eq!(fixed(&s), "700005000000000a00000000210000000000");
        assert_eq!(descriptor(&s), "7205210000000000");
    }

    #[test]
    fn information_wider_than_32_bits_is_not_valid_in_fixed_format() {
        let s = Sense::new(SenseKey::MEDIUM_ERROR, Asc::UNRECOVERED_READ_ERROR).with_information(1 << 32);
        let f = s.encode(SenseFormat::Fixed);
        assert_eq!((f[0], &f[3..7]), (0x70, &[0u8, 0, 0, 0][..]));
        let d = s.encode(SenseFormat::Descriptor);
        assert_eq!(&d[8..20], &[0, 0x0A, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(usize::from(d[7]) + 8, d.len());
        let s = s.with_information(0x1234);
        assert_eq!(fixed(&s), "f00003000012340a00000000110000000000");
    }

    #[test]
    fn copy_aborted_with_forwarded_sense_in_both_formats() {
        // Segment 0, destination LBA out of range, pointer at byte 20 (DESTINATION LBA).
        let inner = Forwarded {
            from: CopyTarget::Destination,
            status: CHECK_CONDITION,
            key: SenseKey::ILLEGAL_REQUEST,
            asc: Asc::LBA_OUT_OF_RANGE,
            information: None,
        };
        let s = Sense::copy_aborted(0, Asc::NO_ADDITIONAL_SENSE, 20).forwarding(inner);
        assert_eq!(fixed(&s), "70000a000000001d00120000000000a0001402700005000000000a00000000210000000000");
        assert_eq!(descriptor(&s), "720a000000000020010a0000000000000000000002060000a00014000c0a02027205210000000000");
        // Segment 1, copy target not reachable, no forwarded sense.
        let s = Sense::copy_aborted(1, Asc::COPY_TARGET_NOT_REACHABLE, 6);
        assert_eq!(descriptor(&s), "720a0d0200000014010a0000000000000000000102060000a0000600");
        assert_eq!(fixed(&s), "70000a000000000a000000010d0200a00006");
    }

    #[test]
    fn a_reservation_conflict_is_forwarded_as_its_status_alone() {
        // SPC-4 4.5.2.5: FORWARDED STATUS 18h and an empty SENSE DATA field; fixed format: the status byte
        // after the 18 fixed bytes, its offset (18) in COMMAND-SPECIFIC INFORMATION byte 1 (destination).
        let conflict = Forwarded::status_only(CopyTarget::Destination, crate::status::RESERVATION_CONFLICT);
        let s = Sense::copy_aborted(0, Asc::NO_ADDITIONAL_SENSE, 6).forwarding(conflict);
        assert_eq!(fixed(&s), "70000a000000000b00120000000000a0000618");
        assert_eq!(descriptor(&s), "720a000000000018010a0000000000000000000002060000a00006000c020218");
    }

    #[test]
    fn forwarded_source_sense_sits_at_csi_byte_zero() {
        let read_error = Forwarded {
            from: CopyTarget::Source,
            status: CHECK_CONDITION,
            key: SenseKey::MEDIUM_ERROR,
            asc: Asc::UNRECOVERED_READ_ERROR,
            information: Some(7),
        };
        let s = Sense::copy_aborted(3, Asc::NO_ADDITIONAL_SENSE, 12).with_information(2).forwarding(read_error);
        let f = s.encode(SenseFormat::Fixed);
        assert_eq!((f[0], f[7], &f[8..12]), (0xF0, 29, &[18u8, 0, 0, 3][..]));
        assert_eq!(f[18], CHECK_CONDITION);
        assert_eq!(hex(&s.encode(SenseFormat::Fixed))[38..], *"f00003000000070a00000000110000000000");
    }

    #[test]
    fn parameter_list_pointer_has_cd_clear() {
        let s = Sense::parameter_field(Asc::UNSUPPORTED_TARGET_DESCRIPTOR_TYPE, 16, None);
        assert_eq!(fixed(&s), "700005000000000a00000000260700800010");
        assert_eq!(fixed(&Sense::invalid_parameter_field(1, Some(4))), "700005000000000a000000002600008c0001");
    }

    #[test]
    fn key_specific_bytes_round_trip_for_their_keys() {
        let cases = [
            (SenseKey::ILLEGAL_REQUEST, KeySpecific::Field { in_cdb: true, byte: 300, bit: Some(6) }),
            (SenseKey::ILLEGAL_REQUEST, KeySpecific::Field { in_cdb: false, byte: 9, bit: None }),
            (SenseKey::COPY_ABORTED, KeySpecific::Segment { in_segment: true, byte: 20, bit: None }),
            (SenseKey::NOT_READY, KeySpecific::Progress(0x8000)),
            (SenseKey::MEDIUM_ERROR, KeySpecific::Other([0, 0, 3])),
        ];
        for (key, sks) in cases {
            assert_eq!(KeySpecific::from_bytes(key, sks.bytes()), Some(sks), "{key:?}");
        }
        assert_eq!(KeySpecific::from_bytes(SenseKey::ILLEGAL_REQUEST, [0x40, 0, 1]), None, "SKSV clear");
    }
}
