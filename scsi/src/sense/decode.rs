//! Reading sense data back: fixed (70h) or descriptor (72h) format into a [`Sense`].
//!
//! The reader is strict, as a check of a device server's answers should be: ADDITIONAL SENSE LENGTH must
//! account for exactly the bytes given, descriptors must fit, and the descriptors it reads (information,
//! command-specific information, sense-key specific, forwarded sense data) must have their standard
//! lengths. Descriptors of other types are passed over. Deferred errors (71h, 73h) are not read.
//!
//! Fixed format cannot tell a zero COMMAND-SPECIFIC INFORMATION from none: it reads as `None`, except for
//! COPY ABORTED, where the field is SPC-4's EXTENDED COPY layout — bytes 0 and 1 the offsets of a source
//! or destination sense forwarded after the fixed fields, bytes 2 and 3 the segment number, which is
//! always there.

use core::fmt;

use super::{Asc, SenseFormat};
use super::{CopyTarget, Forwarded, KeySpecific, Sense, SenseKey};
use crate::fields::Fields;
use crate::status::CHECK_CONDITION;

/// Why bytes are not well-formed sense data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// No bytes at all.
    Empty,
    /// A RESPONSE CODE other than 70h (current, fixed) or 72h (current, descriptor).
    ResponseCode(u8),
    /// Fewer bytes than the format's header (18 fixed, 8 descriptor).
    Short { format: SenseFormat, len: usize },
    /// ADDITIONAL SENSE LENGTH says `stated` bytes follow byte 7; `actual` do.
    AdditionalLength { stated: usize, actual: usize },
    /// The descriptor at byte `at` runs past the end of the data.
    DescriptorOverrun { at: usize },
    /// The descriptor of type `kind` at byte `at` has an ADDITIONAL LENGTH its type does not allow.
    DescriptorLength { kind: u8, at: usize, length: u8 },
    /// A forwarded sense names a SENSE DATA SOURCE that is neither source (1) nor destination (2).
    ForwardedSource(u8),
    /// Both a source and a destination sense forwarded, or two forwarded sense data descriptors (this
    /// vocabulary holds one).
    TwoForwarded,
    /// Reserved bits set in a field or segment pointer (SENSE-KEY SPECIFIC byte 0).
    KeySpecificReserved(u8),
    /// A fixed-format forwarded sense offset that does not point at a status byte followed by sense data.
    ForwardedOffset(u8),
    /// The forwarded sense itself is malformed; it starts at byte `at`.
    Forwarded { at: usize },
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Empty => write!(f, "no sense data"),
            DecodeError::ResponseCode(code) => write!(f, "response code {code:#04x} (70h or 72h expected)"),
            DecodeError::Short { format, len } => write!(f, "{format:?}-format sense of {len} bytes is too short"),
            DecodeError::AdditionalLength { stated, actual } => {
                write!(f, "additional sense length {stated}, but {actual} bytes follow")
            }
            DecodeError::DescriptorOverrun { at } => write!(f, "the sense descriptor at byte {at} overruns the data"),
            DecodeError::DescriptorLength { kind, at, length } => {
                write!(f, "sense descriptor {kind:02X}h at byte {at} has additional length {length}")
            }
            DecodeError::ForwardedSource(source) => write!(f, "forwarded sense from source {source}"),
            DecodeError::TwoForwarded => write!(f, "more than one copy target's sense is forwarded"),
            DecodeError::KeySpecificReserved(byte) => {
                write!(f, "sense-key specific byte {byte:#04x} has reserved bits set")
            }
            DecodeError::ForwardedOffset(offset) => write!(f, "forwarded sense offset {offset} is outside the data"),
            DecodeError::Forwarded { at } => write!(f, "the forwarded sense at byte {at} is malformed"),
        }
    }
}

impl core::error::Error for DecodeError {}

/// Decodes fixed- or descriptor-format sense data.
pub fn decode(sense: &[u8]) -> Result<Sense, DecodeError> {
    let &code = sense.first().ok_or(DecodeError::Empty)?;
    let format = match code & 0x7F {
        0x70 => SenseFormat::Fixed,
        0x72 => SenseFormat::Descriptor,
        other => return Err(DecodeError::ResponseCode(other)),
    };
    let header = if format == SenseFormat::Fixed { 18 } else { 8 };
    if sense.len() < header {
        return Err(DecodeError::Short { format, len: sense.len() });
    }
    let stated = usize::from(sense[7]);
    if stated != sense.len() - 8 {
        return Err(DecodeError::AdditionalLength { stated, actual: sense.len() - 8 });
    }
    match format {
        SenseFormat::Fixed => fixed(sense),
        SenseFormat::Descriptor => descriptor(sense),
    }
}

fn fixed(s: &[u8]) -> Result<Sense, DecodeError> {
    let key = SenseKey(s[2] & 0x0F);
    let mut sense = Sense::new(key, Asc(s[12], s[13]));
    if s[0] & 0x80 != 0 {
        sense.information = Some(s.be32(3).into());
    }
    sense.key_specific = key_specific(key, [s[15], s[16], s[17]])?;
    let csi = s.be32(8);
    if key != SenseKey::COPY_ABORTED {
        sense.command_specific = (csi != 0).then_some(csi.into());
        return Ok(sense);
    }
    sense.command_specific = Some((csi & 0xFFFF).into());
    let from = match (s[8], s[9]) {
        (0, 0) => return Ok(sense),
        (offset, 0) => (CopyTarget::Source, offset),
        (0, offset) => (CopyTarget::Destination, offset),
        _ => return Err(DecodeError::TwoForwarded),
    };
    let (target, offset) = from;
    let at = usize::from(offset);
    let (&status, inner) = s.get(at..).and_then(<[u8]>::split_first).ok_or(DecodeError::ForwardedOffset(offset))?;
    // The copy target's sense runs to its own ADDITIONAL SENSE LENGTH, within the outer sense; a status
    // other than CHECK CONDITION comes without sense.
    let inner = if status == CHECK_CONDITION {
        let inner_len = inner.get(7).map(|&n| 8 + usize::from(n)).ok_or(DecodeError::ForwardedOffset(offset))?;
        inner.get(..inner_len).ok_or(DecodeError::Forwarded { at: at + 1 })?
    } else {
        &[]
    };
    sense.forwarded = Some(forwarded(target, status, inner, at + 1)?);
    Ok(sense)
}

fn descriptor(s: &[u8]) -> Result<Sense, DecodeError> {
    let key = SenseKey(s[1] & 0x0F);
    let mut sense = Sense::new(key, Asc(s[2], s[3]));
    let mut at = 8;
    while at < s.len() {
        let length = *s.get(at + 1).ok_or(DecodeError::DescriptorOverrun { at })?;
        let d = s.get(at..at + 2 + usize::from(length)).ok_or(DecodeError::DescriptorOverrun { at })?;
        let wrong_length = DecodeError::DescriptorLength { kind: d[0], at, length };
        match d[0] {
            0x00 | 0x01 if length != 0x0A => return Err(wrong_length),
            0x00 if d[2] & 0x80 != 0 => sense.information = Some(d.be64(4)),
            0x00 => {}
            0x01 => sense.command_specific = Some(d.be64(4)),
            0x02 if length != 0x06 => return Err(wrong_length),
            0x02 => sense.key_specific = key_specific(key, [d[4], d[5], d[6]])?,
            0x0C if length < 2 => return Err(wrong_length),
            0x0C if sense.forwarded.is_some() => return Err(DecodeError::TwoForwarded),
            0x0C => {
                let target = match d[2] {
                    1 => CopyTarget::Source,
                    2 => CopyTarget::Destination,
                    other => return Err(DecodeError::ForwardedSource(other)),
                };
                sense.forwarded = Some(forwarded(target, d[3], &d[4..], at + 4)?);
            }
            _ => {} // a descriptor type this vocabulary does not read
        }
        at += d.len();
    }
    Ok(sense)
}

/// The SENSE-KEY SPECIFIC field, refusing reserved bits in a pointer: a field pointer has SKSV, C/D, BPV
/// and the bit pointer (bits 5–4 reserved), a segment pointer SKSV, SD, BPV and the bit pointer (bits 6
/// and 4 reserved).
fn key_specific(key: SenseKey, bytes: [u8; 3]) -> Result<Option<KeySpecific>, DecodeError> {
    let sks = KeySpecific::from_bytes(key, bytes);
    let reserved = match sks {
        Some(KeySpecific::Field { .. }) => 0x30,
        Some(KeySpecific::Segment { .. }) => 0x50,
        _ => 0,
    };
    if bytes[0] & reserved != 0 {
        return Err(DecodeError::KeySpecificReserved(bytes[0]));
    }
    Ok(sks)
}

/// A copy target's status and sense, found at byte `at` of the outer sense.
fn forwarded(from: CopyTarget, status: u8, inner: &[u8], at: usize) -> Result<Forwarded, DecodeError> {
    if status != CHECK_CONDITION && inner.is_empty() {
        return Ok(Forwarded::status_only(from, status));
    }
    let sense = decode(inner).map_err(|_| DecodeError::Forwarded { at })?;
    Ok(Forwarded { from, status, key: sense.key, asc: sense.asc, information: sense.information })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;
    use crate::status::RESERVATION_CONFLICT;

    fn bytes(hex: &str) -> Vec<u8> {
        (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
    }

    // Inputs are SPC-4 layouts written out by hand (the encoder's tests use the same strings the other way).

    #[test]
    fn fixed_invalid_field_in_cdb() {
        let s = decode(&bytes("700005000000000a00000000240000ca0005")).unwrap();
        assert_eq!(
            (s.key, s.asc, s.information, s.command_specific),
            (SenseKey::ILLEGAL_REQUEST, Asc(0x24, 0), None, None)
        );
        assert_eq!(s.key_specific, Some(KeySpecific::Field { in_cdb: true, byte: 5, bit: Some(2) }));
        assert_eq!(s.forwarded, None);
    }

    #[test]
    fn fixed_information_needs_valid() {
        let s = decode(&bytes("f00003000012340a00000000110000000000")).unwrap();
        assert_eq!((s.key, s.asc, s.information), (SenseKey::MEDIUM_ERROR, Asc(0x11, 0), Some(0x1234)));
        let s = decode(&bytes("700003000012340a00000000110000000000")).unwrap();
        assert_eq!(s.information, None);
    }

    #[test]
    fn descriptor_information_csi_and_key_specific() {
        let s = decode(&bytes("720a0d0200000014010a0000000000000000000102060000a0000600")).unwrap();
        assert_eq!((s.key, s.asc, s.command_specific), (SenseKey::COPY_ABORTED, Asc(0x0D, 0x02), Some(1)));
        assert_eq!(s.key_specific, Some(KeySpecific::Segment { in_segment: true, byte: 6, bit: None }));
        let s = decode(&bytes(concat!("7205210000000018", "000a80000000000100000000", "030a00000000000000000000")))
            .unwrap();
        assert_eq!((s.key, s.information), (SenseKey::ILLEGAL_REQUEST, Some(1 << 32)));
    }

    #[test]
    fn forwarded_sense_in_both_formats() {
        let expected = Forwarded {
            from: CopyTarget::Destination,
            status: CHECK_CONDITION,
            key: SenseKey::ILLEGAL_REQUEST,
            asc: Asc::LBA_OUT_OF_RANGE,
            information: None,
        };
        for hex in [
            "70000a000000001d00120000000000a0001402700005000000000a00000000210000000000",
            "720a000000000020010a0000000000000000000002060000a00014000c0a02027205210000000000",
        ] {
            let s = decode(&bytes(hex)).unwrap();
            assert_eq!((s.key, s.command_specific), (SenseKey::COPY_ABORTED, Some(0)), "{hex}");
            assert_eq!(s.key_specific, Some(KeySpecific::Segment { in_segment: true, byte: 20, bit: None }));
            assert_eq!(s.forwarded, Some(expected), "{hex}");
        }
    }

    #[test]
    fn malformed_sense_is_an_error_not_a_panic() {
        assert_eq!(decode(&[]), Err(DecodeError::Empty));
        assert_eq!(decode(&[0x71; 18]), Err(DecodeError::ResponseCode(0x71)));
        assert_eq!(
            decode(&bytes("7000050000000009000000002400")),
            Err(DecodeError::Short { format: SenseFormat::Fixed, len: 14 })
        );
        assert_eq!(
            decode(&bytes("700005000000000b00000000240000ca0005")),
            Err(DecodeError::AdditionalLength { stated: 11, actual: 10 })
        );
        assert_eq!(decode(&bytes("72052400000000020206")), Err(DecodeError::DescriptorOverrun { at: 8 }));
        assert_eq!(
            decode(&bytes("720524000000000602040000ca00")),
            Err(DecodeError::DescriptorLength { kind: 2, at: 8, length: 4 })
        );
        // Forwarded offset past the end, a forwarded source of 3, both offsets set.
        assert_eq!(decode(&bytes("70000a000000000a40000000000000a00014")), Err(DecodeError::ForwardedOffset(0x40)));
        assert_eq!(decode(&bytes("720a0000000000060c040302aabb")), Err(DecodeError::ForwardedSource(3)));
        assert_eq!(decode(&bytes("70000a000000000a12120000000000a00014")), Err(DecodeError::TwoForwarded));
        let two = concat!("720a000000000018", "0c0a0202", "7205210000000000", "0c0a0102", "7205210000000000");
        assert_eq!(decode(&bytes(two)), Err(DecodeError::TwoForwarded));
        // A field pointer with reserved bit 5, a segment pointer with reserved bit 6.
        assert_eq!(decode(&bytes("700005000000000a00000000240000e00005")), Err(DecodeError::KeySpecificReserved(0xE0)));
        assert_eq!(decode(&bytes("70000a000000000a000000000d0200e00006")), Err(DecodeError::KeySpecificReserved(0xE0)));
        // Every prefix of a well-formed sense is rejected cleanly.
        let good = bytes("720a000000000020010a0000000000000000000002060000a00014000c0a02027205210000000000");
        for n in 0..good.len() {
            assert!(decode(&good[..n]).is_err(), "{n} bytes");
        }
    }

    #[test]
    fn unknown_descriptor_types_are_passed_over() {
        // A field replaceable unit descriptor (03h) between the header and a sense-key specific one.
        let s = decode(&bytes(concat!("720524000000000c", "03020011", "02060000c0000900"))).unwrap();
        assert_eq!(s.key_specific, Some(KeySpecific::Field { in_cdb: true, byte: 9, bit: None }));
    }

    #[test]
    fn encoded_sense_reads_back_in_both_formats() {
        let read_error = Forwarded {
            from: CopyTarget::Source,
            status: CHECK_CONDITION,
            key: SenseKey::MEDIUM_ERROR,
            asc: Asc::UNRECOVERED_READ_ERROR,
            information: Some(77),
        };
        let cases = [
            Sense::invalid_cdb_field(13, Some(2)),
            Sense::invalid_parameter_field(300, None),
            Sense::parameter_field(Asc::TOO_MANY_SEGMENT_DESCRIPTORS, 8, None),
            Sense::new(SenseKey::MISCOMPARE, Asc::MISCOMPARE_DURING_VERIFY).with_information(4095),
            Sense::copy_aborted(0, Asc::COPY_TARGET_NOT_REACHABLE, 4),
            Sense::copy_aborted(15, Asc::NO_ADDITIONAL_SENSE, 12).with_information(3).forwarding(read_error),
            Sense::copy_aborted(2, Asc::NO_ADDITIONAL_SENSE, 6)
                .forwarding(Forwarded::status_only(CopyTarget::Destination, RESERVATION_CONFLICT)),
        ];
        for s in cases {
            for format in [SenseFormat::Fixed, SenseFormat::Descriptor] {
                assert_eq!(decode(&s.encode(format)), Ok(s), "{format:?} {s:?}");
            }
        }
    }
}
