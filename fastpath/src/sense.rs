//! Sense data (SPC-4 4.5), built as a small value and rendered into a fixed-size buffer in fixed (70h) or
//! descriptor (72h) format, as the control mode page's D_SENSE selects.
//!
//! Every INVALID FIELD error carries a field pointer (SKSV=1). COPY ABORTED carries a segment pointer
//! (SD=1), the segment number in COMMAND-SPECIFIC INFORMATION and, when a copy target failed, that
//! target's status and sense (fixed format: the SOURCE/DESTINATION STATUS AND SENSE DATA OFFSET bytes;
//! descriptor format: a forwarded sense data descriptor, 0Ch).

use core::fmt;

/// Bytes a [`SenseBuf`] can hold: the most sense data SPC-4 allows (8 + an ADDITIONAL SENSE LENGTH of 244).
pub const SENSE_CAPACITY: usize = 252;

/// Sense keys the fast path reports.
pub mod key {
    pub const MEDIUM_ERROR: u8 = 0x3;
    pub const ILLEGAL_REQUEST: u8 = 0x5;
    pub const DATA_PROTECT: u8 = 0x7;
    pub const COPY_ABORTED: u8 = 0xA;
    pub const MISCOMPARE: u8 = 0xE;
}

/// Rendered sense data: a fixed array and the number of bytes used. Empty when the status is not CHECK
/// CONDITION.
#[derive(Clone, Copy)]
pub struct SenseBuf {
    bytes: [u8; SENSE_CAPACITY],
    len: u8,
}

impl SenseBuf {
    /// No sense data.
    pub const fn empty() -> Self {
        SenseBuf { bytes: [0; SENSE_CAPACITY], len: 0 }
    }

    /// The sense bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn extend(&mut self, bytes: &[u8]) {
        let at = usize::from(self.len);
        // The largest sense the fast path builds is 64 bytes; never more than the capacity.
        let n = bytes.len().min(SENSE_CAPACITY - at);
        self.bytes[at..at + n].copy_from_slice(&bytes[..n]);
        self.len += n as u8;
    }

    fn set(&mut self, at: usize, value: u8) {
        self.bytes[at] = value;
    }
}

impl Default for SenseBuf {
    fn default() -> Self {
        SenseBuf::empty()
    }
}

impl PartialEq for SenseBuf {
    fn eq(&self, other: &Self) -> bool {
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

impl AsRef<[u8]> for SenseBuf {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

/// Which copy target a forwarded sense came from (the forwarded sense data descriptor's SENSE DATA SOURCE;
/// in fixed format it selects CSI byte 0 or 1 for the offset).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CopyTarget {
    Source = 1,
    Destination = 2,
}

/// A copy target's own CHECK CONDITION: key, ASC/ASCQ and INFORMATION only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Forwarded {
    pub from: CopyTarget,
    pub inner: Sense,
}

/// The fields of one sense report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sense {
    pub key: u8,
    pub asc: u8,
    pub ascq: u8,
    /// INFORMATION (VALID=1).
    pub information: Option<u64>,
    /// COMMAND-SPECIFIC INFORMATION.
    pub command_specific: Option<u64>,
    /// SENSE-KEY SPECIFIC bytes, SKSV already set.
    pub key_specific: Option<[u8; 3]>,
}

/// SENSE-KEY SPECIFIC bytes for a pointer: `flag` is C/D (40h) for a field pointer or SD (20h) for a
/// segment pointer; BPV and the bit when `bit` is given.
fn pointer(flag: u8, byte: u16, bit: Option<u8>) -> [u8; 3] {
    let bit_bits = match bit {
        Some(b) => 0x08 | (b & 0x07),
        None => 0,
    };
    let [hi, lo] = byte.to_be_bytes();
    [0x80 | flag | bit_bits, hi, lo]
}

impl Sense {
    pub const fn new(key: u8, asc: u8, ascq: u8) -> Self {
        Sense { key, asc, ascq, information: None, command_specific: None, key_specific: None }
    }

    /// ILLEGAL REQUEST with `asc`/`ascq` and no pointer.
    pub const fn illegal(asc: u8, ascq: u8) -> Self {
        Sense::new(key::ILLEGAL_REQUEST, asc, ascq)
    }

    /// INVALID FIELD IN CDB (24h/00h) pointing at CDB `byte` (and `bit`).
    pub fn invalid_cdb(byte: u16, bit: Option<u8>) -> Self {
        Sense { key_specific: Some(pointer(0x40, byte, bit)), ..Sense::illegal(0x24, 0x00) }
    }

    /// An ILLEGAL REQUEST in the parameter list (C/D=0) pointing at list `byte` (and `bit`).
    pub fn in_parameter_list(asc: u8, ascq: u8, byte: usize, bit: Option<u8>) -> Self {
        Sense { key_specific: Some(pointer(0x00, byte as u16, bit)), ..Sense::illegal(asc, ascq) }
    }

    /// INVALID FIELD IN PARAMETER LIST (26h/00h) at list `byte` (and `bit`).
    pub fn invalid_parameter(byte: usize, bit: Option<u8>) -> Self {
        Sense::in_parameter_list(0x26, 0x00, byte, bit)
    }

    /// COPY ABORTED for segment `segment`, with a segment pointer (SD=1) at descriptor `byte`.
    pub fn copy_aborted(segment: usize, asc: u8, ascq: u8, byte: u16) -> Self {
        Sense {
            command_specific: Some(segment as u64),
            key_specific: Some(pointer(0x20, byte, None)),
            ..Sense::new(key::COPY_ABORTED, asc, ascq)
        }
    }

    pub fn with_information(self, information: u64) -> Self {
        Sense { information: Some(information), ..self }
    }

    /// [`Sense::render_into`] a fresh buffer.
    #[cfg(test)]
    pub fn render(&self, forwarded: Option<&Forwarded>, descriptor: bool) -> SenseBuf {
        let mut out = SenseBuf::empty();
        self.render_into(&mut out, forwarded, descriptor);
        out
    }

    /// Renders into `out` (empty) in descriptor format (`descriptor`) or fixed format, with an optional
    /// forwarded copy-target sense.
    pub fn render_into(&self, out: &mut SenseBuf, forwarded: Option<&Forwarded>, descriptor: bool) {
        if descriptor {
            self.descriptor_into(out, forwarded);
        } else {
            self.fixed_into(out, forwarded);
        }
    }

    /// Fixed format: INFORMATION and COMMAND-SPECIFIC INFORMATION are four bytes; a value wider than that
    /// is left out (and VALID stays 0).
    fn fixed_into(&self, out: &mut SenseBuf, forwarded: Option<&Forwarded>) {
        let start = out.len();
        let mut f = [0u8; 18];
        f[0] = 0x70;
        f[2] = self.key;
        if let Some(info) = self.information.and_then(|i| u32::try_from(i).ok()) {
            f[0] |= 0x80;
            f[3..7].copy_from_slice(&info.to_be_bytes());
        }
        if let Some(csi) = self.command_specific.and_then(|c| u32::try_from(c).ok()) {
            f[8..12].copy_from_slice(&csi.to_be_bytes());
        }
        f[12] = self.asc;
        f[13] = self.ascq;
        if let Some(sks) = self.key_specific {
            f[15..18].copy_from_slice(&sks);
        }
        if let Some(fwd) = forwarded {
            // SOURCE (CSI byte 0) or DESTINATION (CSI byte 1) STATUS AND SENSE DATA OFFSET: the status byte
            // follows the 18 fixed bytes.
            f[7 + fwd.from as usize] = 18;
        }
        out.extend(&f);
        if let Some(fwd) = forwarded {
            out.extend(&[crate::CHECK_CONDITION]);
            fwd.inner.fixed_into(out, None);
        }
        out.set(start + 7, (out.len() - start - 8) as u8);
    }

    /// Descriptor format with information (00h), command-specific information (01h), sense-key specific
    /// (02h) and forwarded sense data (0Ch) descriptors, in that order.
    fn descriptor_into(&self, out: &mut SenseBuf, forwarded: Option<&Forwarded>) {
        let start = out.len();
        out.extend(&[0x72, self.key, self.asc, self.ascq, 0, 0, 0, 0]);
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
            out.extend(&sks);
            out.extend(&[0x00]);
        }
        if let Some(fwd) = forwarded {
            let header = out.len();
            out.extend(&[0x0C, 0, fwd.from as u8, crate::CHECK_CONDITION]);
            fwd.inner.descriptor_into(out, None);
            out.set(header + 1, (out.len() - header - 2) as u8);
        }
        out.set(start + 7, (out.len() - start - 8) as u8);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    fn hex(s: &SenseBuf) -> std::string::String {
        std::format!("{s:?}")
    }

    #[test]
    fn invalid_field_in_cdb_with_and_without_a_bit_pointer() {
        // SKSV | C/D | BPV | bit 2 at byte 5: the NACA case of the model's snapshot.
        let s = Sense::invalid_cdb(5, Some(2));
        assert_eq!(hex(&s.render(None, false)), "700005000000000a00000000240000ca0005");
        assert_eq!(hex(&s.render(None, true)), "720524000000000802060000ca000500");
        let s = Sense::invalid_cdb(0, None);
        assert_eq!(hex(&s.render(None, false)), "700005000000000a00000000240000c00000");
    }

    #[test]
    fn plain_sense_has_no_descriptors() {
        let s = Sense::illegal(0x21, 0x00);
        assert_eq!(hex(&s.render(None, false)), "700005000000000a00000000210000000000");
        assert_eq!(hex(&s.render(None, true)), "7205210000000000");
    }

    #[test]
    fn information_wider_than_32_bits_is_not_valid_in_fixed_format() {
        let s = Sense::new(key::MEDIUM_ERROR, 0x11, 0).with_information(1 << 32);
        let f = s.render(None, false);
        assert_eq!(f.as_slice()[0], 0x70);
        assert_eq!(&f.as_slice()[3..7], &[0, 0, 0, 0]);
        let d = s.render(None, true);
        assert_eq!(&d.as_slice()[8..20], &[0, 0x0A, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
        assert_eq!(usize::from(d.as_slice()[7]) + 8, d.len());
    }

    #[test]
    fn copy_aborted_with_forwarded_sense_in_both_formats() {
        // Segment 0, destination LBA out of range: the model's "destination past the end" snapshot.
        let s = Sense::copy_aborted(0, 0, 0, 20);
        let fwd = Forwarded { from: CopyTarget::Destination, inner: Sense::illegal(0x21, 0) };
        assert_eq!(
            hex(&s.render(Some(&fwd), false)),
            "70000a000000001d00120000000000a0001402700005000000000a00000000210000000000"
        );
        assert_eq!(
            hex(&s.render(Some(&fwd), true)),
            "720a000000000020010a0000000000000000000002060000a00014000c0a02027205210000000000"
        );
        // Segment 1, destination not reachable, no forwarded sense.
        let s = Sense::copy_aborted(1, 0x0D, 0x02, 6);
        assert_eq!(hex(&s.render(None, true)), "720a0d0200000014010a0000000000000000000102060000a0000600");
    }

    #[test]
    fn parameter_list_pointer_has_cd_clear() {
        let s = Sense::in_parameter_list(0x26, 0x07, 16, None);
        assert_eq!(hex(&s.render(None, false)), "700005000000000a00000000260700800010");
        let s = Sense::invalid_parameter(1, Some(4));
        assert_eq!(hex(&s.render(None, false)), "700005000000000a000000002600008c0001");
    }
}
