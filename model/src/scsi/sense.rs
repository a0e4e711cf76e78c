//! Sense data (SPC-4 4.5): what a CHECK CONDITION says, in fixed (70h) or descriptor (72h) format.
//!
//! A [`Sense`] is built once, in terms of its fields, and rendered in whichever format the control mode
//! page's D_SENSE selects. Every INVALID FIELD error carries a field pointer (SKSV=1), like SCST.

/// Sense keys used by the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SenseKey {
    MediumError = 0x3,
    IllegalRequest = 0x5,
    DataProtect = 0x7,
    CopyAborted = 0xA,
    Miscompare = 0xE,
}

/// Additional sense code and qualifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Asc(pub u8, pub u8);

impl Asc {
    pub const NO_ADDITIONAL_SENSE: Asc = Asc(0x00, 0x00);
    /// A LIST IDENTIFIER already in use by a list in progress on the same I_T nexus.
    pub const OPERATION_IN_PROGRESS: Asc = Asc(0x00, 0x16);
    pub const WRITE_ERROR: Asc = Asc(0x0C, 0x00);
    pub const COPY_TARGET_NOT_REACHABLE: Asc = Asc(0x0D, 0x02);
    pub const INCORRECT_COPY_TARGET_DEVICE_TYPE: Asc = Asc(0x0D, 0x03);
    pub const UNRECOVERED_READ_ERROR: Asc = Asc(0x11, 0x00);
    pub const PARAMETER_LIST_LENGTH_ERROR: Asc = Asc(0x1A, 0x00);
    pub const MISCOMPARE_DURING_VERIFY: Asc = Asc(0x1D, 0x00);
    pub const INVALID_OPERATION_CODE: Asc = Asc(0x20, 0x00);
    pub const LBA_OUT_OF_RANGE: Asc = Asc(0x21, 0x00);
    pub const INVALID_FIELD_IN_CDB: Asc = Asc(0x24, 0x00);
    pub const LOGICAL_UNIT_NOT_SUPPORTED: Asc = Asc(0x25, 0x00);
    pub const INVALID_FIELD_IN_PARAMETER_LIST: Asc = Asc(0x26, 0x00);
    pub const TOO_MANY_TARGET_DESCRIPTORS: Asc = Asc(0x26, 0x06);
    pub const UNSUPPORTED_TARGET_DESCRIPTOR_TYPE: Asc = Asc(0x26, 0x07);
    pub const TOO_MANY_SEGMENT_DESCRIPTORS: Asc = Asc(0x26, 0x08);
    pub const UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE: Asc = Asc(0x26, 0x09);
    pub const WRITE_PROTECTED: Asc = Asc(0x27, 0x00);
    pub const SAVING_PARAMETERS_NOT_SUPPORTED: Asc = Asc(0x39, 0x00);
    pub const INSUFFICIENT_RESOURCES: Asc = Asc(0x55, 0x03);
}

/// The SENSE-KEY SPECIFIC field (bytes 15–17 of fixed sense), when SKSV=1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SenseKeySpecific {
    /// ILLEGAL REQUEST field pointer: which byte (and bit) of the CDB (`in_cdb`) or parameter list.
    Field { in_cdb: bool, byte: u16, bit: Option<u8> },
    /// COPY ABORTED segment pointer: byte (and bit) within the segment descriptor named in the
    /// command-specific information (`in_segment`), or within the parameter list.
    Segment { in_segment: bool, byte: u16, bit: Option<u8> },
}

impl SenseKeySpecific {
    fn bytes(self) -> [u8; 3] {
        let (flag, byte, bit) = match self {
            SenseKeySpecific::Field { in_cdb, byte, bit } => (u8::from(in_cdb) << 6, byte, bit),
            SenseKeySpecific::Segment { in_segment, byte, bit } => (u8::from(in_segment) << 5, byte, bit),
        };
        let bit_bits = bit.map_or(0, |b| 0x08 | (b & 7));
        let [hi, lo] = byte.to_be_bytes();
        [0x80 | flag | bit_bits, hi, lo]
    }
}

/// Where forwarded sense came from (the Forwarded sense data descriptor's SENSE DATA SOURCE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyTarget {
    Source = 1,
    Destination = 2,
}

/// The status and sense a copy target (a source or destination logical unit) returned to the copy
/// manager, forwarded inside COPY ABORTED sense data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardedSense {
    pub from: CopyTarget,
    pub status: u8,
    pub sense: Box<Sense>,
}

/// Everything a sense buffer can say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sense {
    pub key: SenseKey,
    pub asc: Asc,
    /// INFORMATION, with VALID=1 (a miscompare offset, a failing LBA, a copy residual).
    pub information: Option<u64>,
    /// COMMAND-SPECIFIC INFORMATION (for COPY ABORTED: the segment number in its low two bytes).
    pub command_specific: Option<u64>,
    pub key_specific: Option<SenseKeySpecific>,
    /// COPY ABORTED: a copy target's sense, placed after the fixed fields.
    pub forwarded: Option<ForwardedSense>,
}

impl Sense {
    pub fn new(key: SenseKey, asc: Asc) -> Self {
        Sense { key, asc, information: None, command_specific: None, key_specific: None, forwarded: None }
    }

    pub fn illegal(asc: Asc) -> Self {
        Sense::new(SenseKey::IllegalRequest, asc)
    }

    /// INVALID FIELD IN CDB pointing at `byte` (and `bit`).
    pub fn invalid_cdb_field(byte: u16, bit: Option<u8>) -> Self {
        Sense::illegal(Asc::INVALID_FIELD_IN_CDB).pointing(SenseKeySpecific::Field { in_cdb: true, byte, bit })
    }

    /// An ILLEGAL REQUEST ASC in the 26h family pointing at parameter-list `byte` (and `bit`).
    pub fn parameter_field(asc: Asc, byte: u16, bit: Option<u8>) -> Self {
        Sense::illegal(asc).pointing(SenseKeySpecific::Field { in_cdb: false, byte, bit })
    }

    pub fn pointing(mut self, sks: SenseKeySpecific) -> Self {
        self.key_specific = Some(sks);
        self
    }

    pub fn with_information(mut self, information: u64) -> Self {
        self.information = Some(information);
        self
    }

    /// Fixed format (SPC-4 4.5.3). INFORMATION and COMMAND-SPECIFIC INFORMATION are 4 bytes here; a value
    /// that does not fit leaves VALID at zero (descriptor format carries all 8 bytes).
    pub fn to_fixed(&self) -> Vec<u8> {
        let mut s = vec![0u8; 18];
        s[0] = 0x70;
        s[2] = self.key as u8;
        if let Some(info) = self.information.and_then(|i| u32::try_from(i).ok()) {
            s[0] |= 0x80;
            s[3..7].copy_from_slice(&info.to_be_bytes());
        }
        if let Some(csi) = self.command_specific.and_then(|i| u32::try_from(i).ok()) {
            s[8..12].copy_from_slice(&csi.to_be_bytes());
        }
        s[12] = self.asc.0;
        s[13] = self.asc.1;
        if let Some(sks) = self.key_specific {
            s[15..18].copy_from_slice(&sks.bytes());
        }
        if let Some(fwd) = &self.forwarded {
            // The offset of the forwarded status byte goes in CSI byte 0 (source) or 1 (destination).
            s[8 + fwd.from as usize - 1] = s.len() as u8;
            s.push(fwd.status);
            s.extend(fwd.sense.to_fixed());
        }
        s[7] = (s.len() - 8) as u8;
        s
    }

    /// Descriptor format (SPC-4 4.5.2) with information (00h), command-specific (01h), sense-key
    /// specific (02h) and forwarded sense data (0Ch) descriptors.
    pub fn to_descriptor(&self) -> Vec<u8> {
        let mut s = vec![0x72, self.key as u8, self.asc.0, self.asc.1, 0, 0, 0, 0];
        if let Some(info) = self.information {
            s.extend([0x00, 0x0A, 0x80, 0x00]);
            s.extend(info.to_be_bytes());
        }
        if let Some(csi) = self.command_specific {
            s.extend([0x01, 0x0A, 0x00, 0x00]);
            s.extend(csi.to_be_bytes());
        }
        if let Some(sks) = self.key_specific {
            s.extend([0x02, 0x06, 0x00, 0x00]);
            s.extend(sks.bytes());
            s.push(0);
        }
        if let Some(fwd) = &self.forwarded {
            let inner = fwd.sense.to_descriptor();
            s.extend([0x0C, (inner.len() + 2) as u8, fwd.from as u8, fwd.status]);
            s.extend(inner);
        }
        s[7] = (s.len() - 8) as u8;
        s
    }

    pub fn render(&self, descriptor_format: bool) -> Vec<u8> {
        if descriptor_format { self.to_descriptor() } else { self.to_fixed() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_format_field_pointer() {
        let s = Sense::invalid_cdb_field(13, Some(2)).to_fixed();
        assert_eq!(s.len(), 18);
        assert_eq!((s[0], s[2], s[7], s[12], s[13]), (0x70, 5, 10, 0x24, 0));
        // SKSV | C/D | BPV | bit 2, then byte 13.
        assert_eq!(&s[15..18], &[0x80 | 0x40 | 0x08 | 2, 0, 13]);
    }

    #[test]
    fn information_too_wide_for_fixed_format_is_not_valid() {
        let s = Sense::new(SenseKey::MediumError, Asc::UNRECOVERED_READ_ERROR).with_information(1 << 40);
        assert_eq!(s.to_fixed()[0], 0x70);
        let d = s.to_descriptor();
        assert_eq!(&d[8..12], &[0x00, 0x0A, 0x80, 0x00]);
        assert_eq!(u64::from_be_bytes(d[12..20].try_into().unwrap()), 1 << 40);
        assert_eq!(d[7] as usize, d.len() - 8);
    }

    #[test]
    fn forwarded_sense_in_both_formats() {
        let inner = Sense::illegal(Asc::LBA_OUT_OF_RANGE);
        let mut s = Sense::new(SenseKey::CopyAborted, Asc::NO_ADDITIONAL_SENSE);
        s.command_specific = Some(3);
        s.forwarded = Some(ForwardedSense { from: CopyTarget::Destination, status: 2, sense: Box::new(inner) });
        let f = s.to_fixed();
        assert_eq!((f[8], f[9], f[11]), (0, 18, 3));
        assert_eq!(f[18], 2);
        assert_eq!((f[19], f[21], f[31]), (0x70, 5, 0x21));
        assert_eq!(f[7] as usize, f.len() - 8);
        let d = s.to_descriptor();
        let fwd = d.iter().position(|&b| b == 0x0C).unwrap();
        assert_eq!((d[fwd + 2], d[fwd + 3], d[fwd + 4]), (2, 2, 0x72));
    }
}
