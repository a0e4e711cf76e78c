//! Sense data (SPC-4 4.5): what a CHECK CONDITION says.
//!
//! A [`Sense`] is built once, in terms of its fields, and [encoded](Sense::encode) in whichever format the
//! control mode page's D_SENSE selects — fixed (70h) or descriptor (72h); [`decode`] reads either back.
//! Every INVALID FIELD error carries a field pointer (SKSV=1). COPY ABORTED carries a segment pointer
//! (SD=1), the segment number in COMMAND-SPECIFIC INFORMATION and, when a copy target failed, that
//! target's status and sense ([`Forwarded`]).

mod decode;
mod encode;

use core::fmt;

pub use decode::{DecodeError, decode};
pub use encode::{SENSE_CAPACITY, SenseBuf};

use crate::status::CHECK_CONDITION;

/// A sense key (SPC-4 4.5.6): the newtype keeps values the table below does not name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SenseKey(pub u8);

impl SenseKey {
    pub const NO_SENSE: SenseKey = SenseKey(0x0);
    pub const RECOVERED_ERROR: SenseKey = SenseKey(0x1);
    pub const NOT_READY: SenseKey = SenseKey(0x2);
    pub const MEDIUM_ERROR: SenseKey = SenseKey(0x3);
    pub const HARDWARE_ERROR: SenseKey = SenseKey(0x4);
    pub const ILLEGAL_REQUEST: SenseKey = SenseKey(0x5);
    pub const UNIT_ATTENTION: SenseKey = SenseKey(0x6);
    pub const DATA_PROTECT: SenseKey = SenseKey(0x7);
    pub const BLANK_CHECK: SenseKey = SenseKey(0x8);
    pub const VENDOR_SPECIFIC: SenseKey = SenseKey(0x9);
    pub const COPY_ABORTED: SenseKey = SenseKey(0xA);
    pub const ABORTED_COMMAND: SenseKey = SenseKey(0xB);
    pub const VOLUME_OVERFLOW: SenseKey = SenseKey(0xD);
    pub const MISCOMPARE: SenseKey = SenseKey(0xE);
    pub const COMPLETED: SenseKey = SenseKey(0xF);

    /// The key's name in SPC-4, if it has one.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x0 => "NO SENSE",
            0x1 => "RECOVERED ERROR",
            0x2 => "NOT READY",
            0x3 => "MEDIUM ERROR",
            0x4 => "HARDWARE ERROR",
            0x5 => "ILLEGAL REQUEST",
            0x6 => "UNIT ATTENTION",
            0x7 => "DATA PROTECT",
            0x8 => "BLANK CHECK",
            0x9 => "VENDOR SPECIFIC",
            0xA => "COPY ABORTED",
            0xB => "ABORTED COMMAND",
            0xD => "VOLUME OVERFLOW",
            0xE => "MISCOMPARE",
            0xF => "COMPLETED",
            _ => return None,
        })
    }
}

impl fmt::Debug for SenseKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({:X}h)", self.0),
            None => write!(f, "SenseKey({:#x})", self.0),
        }
    }
}

/// An additional sense code and its qualifier (SPC-4 4.5.6, table D.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Asc(pub u8, pub u8);

/// Declares the named codes once: the constants and the names `Debug` prints.
macro_rules! named_codes {
    ($($(#[$doc:meta])* $name:ident = ($asc:literal, $ascq:literal), $text:literal;)*) => {
        impl Asc {
            $($(#[$doc])* pub const $name: Asc = Asc($asc, $ascq);)*

            /// The code's description in SPC-4, for the codes this vocabulary names.
            pub const fn name(self) -> Option<&'static str> {
                match (self.0, self.1) {
                    $(($asc, $ascq) => Some($text),)*
                    _ => None,
                }
            }
        }
    };
}

named_codes! {
    NO_ADDITIONAL_SENSE = (0x00, 0x00), "NO ADDITIONAL SENSE INFORMATION";
    /// A stopped logical unit (START STOP UNIT with START=0): a medium access waits for START=1.
    NOT_READY_INITIALIZING_COMMAND_REQUIRED = (0x04, 0x02), "LOGICAL UNIT NOT READY, INITIALIZING COMMAND REQUIRED";
    /// A LIST IDENTIFIER already in use by a list in progress on the same I_T nexus.
    OPERATION_IN_PROGRESS = (0x00, 0x16), "OPERATION IN PROGRESS";
    /// A copy target the copy manager could not reach (EXTENDED COPY).
    UNREACHABLE_COPY_TARGET = (0x08, 0x04), "UNREACHABLE COPY TARGET";
    WRITE_ERROR = (0x0C, 0x00), "WRITE ERROR";
    THIRD_PARTY_DEVICE_FAILURE = (0x0D, 0x01), "THIRD PARTY DEVICE FAILURE";
    COPY_TARGET_NOT_REACHABLE = (0x0D, 0x02), "COPY TARGET DEVICE NOT REACHABLE";
    INCORRECT_COPY_TARGET_DEVICE_TYPE = (0x0D, 0x03), "INCORRECT COPY TARGET DEVICE TYPE";
    /// A transport's information unit (e.g. an iSCSI command's Expected Data Transfer Length) that
    /// contradicts the CDB (SAM-5).
    INVALID_FIELD_IN_INFORMATION_UNIT = (0x0E, 0x03), "INVALID FIELD IN COMMAND INFORMATION UNIT";
    UNRECOVERED_READ_ERROR = (0x11, 0x00), "UNRECOVERED READ ERROR";
    PARAMETER_LIST_LENGTH_ERROR = (0x1A, 0x00), "PARAMETER LIST LENGTH ERROR";
    MISCOMPARE_DURING_VERIFY = (0x1D, 0x00), "MISCOMPARE DURING VERIFY OPERATION";
    INVALID_OPERATION_CODE = (0x20, 0x00), "INVALID COMMAND OPERATION CODE";
    LBA_OUT_OF_RANGE = (0x21, 0x00), "LOGICAL BLOCK ADDRESS OUT OF RANGE";
    INVALID_FIELD_IN_CDB = (0x24, 0x00), "INVALID FIELD IN CDB";
    LOGICAL_UNIT_NOT_SUPPORTED = (0x25, 0x00), "LOGICAL UNIT NOT SUPPORTED";
    INVALID_FIELD_IN_PARAMETER_LIST = (0x26, 0x00), "INVALID FIELD IN PARAMETER LIST";
    /// PERSISTENT RESERVE OUT RELEASE by the holder naming another type or scope than its reservation's.
    INVALID_RELEASE_OF_PERSISTENT_RESERVATION = (0x26, 0x04), "INVALID RELEASE OF PERSISTENT RESERVATION";
    TOO_MANY_TARGET_DESCRIPTORS = (0x26, 0x06), "TOO MANY TARGET DESCRIPTORS";
    UNSUPPORTED_TARGET_DESCRIPTOR_TYPE = (0x26, 0x07), "UNSUPPORTED TARGET DESCRIPTOR TYPE CODE";
    TOO_MANY_SEGMENT_DESCRIPTORS = (0x26, 0x08), "TOO MANY SEGMENT DESCRIPTORS";
    UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE = (0x26, 0x09), "UNSUPPORTED SEGMENT DESCRIPTOR TYPE CODE";
    WRITE_PROTECTED = (0x27, 0x00), "WRITE PROTECTED";
    /// The control mode page's SWP bit is set (SPC-4 7.5.8).
    SOFTWARE_WRITE_PROTECTED = (0x27, 0x02), "LOGICAL UNIT SOFTWARE WRITE PROTECTED";
    /// The unit attention every I_T nexus sees first after power on (SAM-5 6.3.1).
    POWER_ON_RESET = (0x29, 0x00), "POWER ON, RESET, OR BUS DEVICE RESET OCCURRED";
    /// The unit attention after a hard reset: TARGET WARM/COLD RESET (SAM-5 6.3.2).
    SCSI_BUS_RESET = (0x29, 0x02), "SCSI BUS RESET OCCURRED";
    /// The unit attention after a LOGICAL UNIT RESET (SAM-5 6.3.3).
    BUS_DEVICE_RESET = (0x29, 0x03), "BUS DEVICE RESET FUNCTION OCCURRED";
    /// The unit attention for an I_T nexus that was lost and came back (SAM-5 6.3.4).
    I_T_NEXUS_LOSS = (0x29, 0x07), "I_T NEXUS LOSS OCCURRED";
    MODE_PARAMETERS_CHANGED = (0x2A, 0x01), "MODE PARAMETERS CHANGED";
    /// Unit attention: another I_T nexus's PREEMPT or CLEAR removed this nexus's reservation.
    RESERVATIONS_PREEMPTED = (0x2A, 0x03), "RESERVATIONS PREEMPTED";
    /// Unit attention: the registrants-only or all-registrants reservation this nexus shared was released.
    RESERVATIONS_RELEASED = (0x2A, 0x04), "RESERVATIONS RELEASED";
    /// Unit attention: another I_T nexus's PREEMPT removed this nexus's registration.
    REGISTRATIONS_PREEMPTED = (0x2A, 0x05), "REGISTRATIONS PREEMPTED";
    CAPACITY_DATA_CHANGED = (0x2A, 0x09), "CAPACITY DATA HAS CHANGED";
    SAVING_PARAMETERS_NOT_SUPPORTED = (0x39, 0x00), "SAVING PARAMETERS NOT SUPPORTED";
    REPORTED_LUNS_DATA_CHANGED = (0x3F, 0x0E), "REPORTED LUNS DATA HAS CHANGED";
    INSUFFICIENT_RESOURCES = (0x55, 0x03), "INSUFFICIENT RESOURCES";
}

impl fmt::Debug for Asc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{name} ({:02X}h/{:02X}h)", self.0, self.1),
            None => write!(f, "Asc({:#04x}, {:#04x})", self.0, self.1),
        }
    }
}

/// The SENSE-KEY SPECIFIC field when SKSV=1 (SPC-4 4.5.2.4): its meaning depends on the sense key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySpecific {
    /// ILLEGAL REQUEST: which byte (and bit) of the CDB (`in_cdb`, C/D=1) or of the parameter list is
    /// in error.
    Field { in_cdb: bool, byte: u16, bit: Option<u8> },
    /// COPY ABORTED: which byte (and bit) of the segment descriptor the COMMAND-SPECIFIC INFORMATION
    /// names (`in_segment`, SD=1), or of the parameter list.
    Segment { in_segment: bool, byte: u16, bit: Option<u8> },
    /// NOT READY and NO SENSE: PROGRESS INDICATION, in 65 536ths.
    Progress(u16),
    /// Any other key's three bytes after the SKSV bit (actual retry count, overflow flag, ...).
    Other([u8; 3]),
}

impl KeySpecific {
    /// The three bytes, SKSV set.
    pub const fn bytes(self) -> [u8; 3] {
        let (flag, byte, bit) = match self {
            KeySpecific::Field { in_cdb, byte, bit } => ((in_cdb as u8) << 6, byte, bit),
            KeySpecific::Segment { in_segment, byte, bit } => ((in_segment as u8) << 5, byte, bit),
            KeySpecific::Progress(progress) => {
                let [hi, lo] = progress.to_be_bytes();
                return [0x80, hi, lo];
            }
            KeySpecific::Other(b) => return [0x80 | b[0], b[1], b[2]],
        };
        // BPV and BIT POINTER when a bit is named.
        let bit_bits = match bit {
            Some(b) => 0x08 | (b & 0x07),
            None => 0,
        };
        let [hi, lo] = byte.to_be_bytes();
        [0x80 | flag | bit_bits, hi, lo]
    }

    /// Reads the three bytes for sense key `key`; `None` when SKSV is clear.
    pub const fn from_bytes(key: SenseKey, b: [u8; 3]) -> Option<KeySpecific> {
        if b[0] & 0x80 == 0 {
            return None;
        }
        let byte = u16::from_be_bytes([b[1], b[2]]);
        let bit = if b[0] & 0x08 != 0 { Some(b[0] & 0x07) } else { None };
        Some(match key {
            SenseKey::ILLEGAL_REQUEST => KeySpecific::Field { in_cdb: b[0] & 0x40 != 0, byte, bit },
            SenseKey::COPY_ABORTED => KeySpecific::Segment { in_segment: b[0] & 0x20 != 0, byte, bit },
            SenseKey::NOT_READY | SenseKey::NO_SENSE => KeySpecific::Progress(byte),
            _ => KeySpecific::Other([b[0] & 0x7F, b[1], b[2]]),
        })
    }
}

/// Which copy target a forwarded sense came from: the forwarded sense data descriptor's SENSE DATA
/// SOURCE, and in fixed format the COMMAND-SPECIFIC INFORMATION byte (0 or 1) holding its offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyTarget {
    Source = 1,
    Destination = 2,
}

/// A copy target's CHECK CONDITION as the copy manager forwards it inside COPY ABORTED: its status and
/// the key, ASC/ASCQ and INFORMATION of its sense (a copy target reports nothing else here; the decoder
/// reads just these).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Forwarded {
    pub from: CopyTarget,
    pub status: u8,
    pub key: SenseKey,
    pub asc: Asc,
    pub information: Option<u64>,
}

impl Forwarded {
    /// A copy target's CHECK CONDITION with `sense` (of which the key, ASC/ASCQ and INFORMATION are
    /// forwarded).
    pub const fn check_condition(from: CopyTarget, sense: &Sense) -> Forwarded {
        Forwarded { from, status: CHECK_CONDITION, key: sense.key, asc: sense.asc, information: sense.information }
    }

    /// A copy target's status other than CHECK CONDITION (RESERVATION CONFLICT): forwarded with no sense
    /// data (SPC-4 4.5.2.5: the SENSE DATA field holds sense only for a CHECK CONDITION).
    pub const fn status_only(from: CopyTarget, status: u8) -> Forwarded {
        Forwarded { from, status, key: SenseKey::NO_SENSE, asc: Asc::NO_ADDITIONAL_SENSE, information: None }
    }

    /// Whether the copy target's sense data is forwarded with its status (only a CHECK CONDITION has any).
    pub const fn has_sense(&self) -> bool {
        self.status == CHECK_CONDITION
    }

    /// The copy target's own sense, as it would report it.
    pub const fn sense(&self) -> Sense {
        Sense { information: self.information, ..Sense::new(self.key, self.asc) }
    }
}

/// The sense format: the control mode page's D_SENSE bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SenseFormat {
    /// Fixed format (70h): INFORMATION and COMMAND-SPECIFIC INFORMATION are four bytes.
    Fixed,
    /// Descriptor format (72h).
    Descriptor,
}

impl SenseFormat {
    /// The format D_SENSE selects.
    pub const fn from_d_sense(d_sense: bool) -> SenseFormat {
        if d_sense { SenseFormat::Descriptor } else { SenseFormat::Fixed }
    }
}

/// Everything a sense report says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sense {
    pub key: SenseKey,
    pub asc: Asc,
    /// INFORMATION, with VALID=1 (a miscompare offset, a failing LBA, a copy residual).
    pub information: Option<u64>,
    /// COMMAND-SPECIFIC INFORMATION (for COPY ABORTED: the segment number).
    pub command_specific: Option<u64>,
    pub key_specific: Option<KeySpecific>,
    /// COPY ABORTED: a copy target's status and sense, placed after the fixed fields.
    pub forwarded: Option<Forwarded>,
}

impl Sense {
    pub const fn new(key: SenseKey, asc: Asc) -> Sense {
        Sense { key, asc, information: None, command_specific: None, key_specific: None, forwarded: None }
    }

    /// ILLEGAL REQUEST with `asc` and no pointer.
    pub const fn illegal(asc: Asc) -> Sense {
        Sense::new(SenseKey::ILLEGAL_REQUEST, asc)
    }

    /// INVALID FIELD IN CDB pointing at CDB `byte` (and `bit`).
    pub const fn invalid_cdb_field(byte: u16, bit: Option<u8>) -> Sense {
        Sense::illegal(Asc::INVALID_FIELD_IN_CDB).pointing(KeySpecific::Field { in_cdb: true, byte, bit })
    }

    /// An ILLEGAL REQUEST `asc` (26h family, or any other that blames the parameter list) pointing at
    /// parameter-list `byte` (and `bit`).
    pub const fn parameter_field(asc: Asc, byte: u16, bit: Option<u8>) -> Sense {
        Sense::illegal(asc).pointing(KeySpecific::Field { in_cdb: false, byte, bit })
    }

    /// INVALID FIELD IN PARAMETER LIST pointing at parameter-list `byte` (and `bit`).
    pub const fn invalid_parameter_field(byte: u16, bit: Option<u8>) -> Sense {
        Sense::parameter_field(Asc::INVALID_FIELD_IN_PARAMETER_LIST, byte, bit)
    }

    /// MISCOMPARE / MISCOMPARE DURING VERIFY OPERATION, INFORMATION the byte offset of the first
    /// difference from the start of the compared data (COMPARE AND WRITE, VERIFY, WRITE AND VERIFY).
    pub const fn miscompare(offset: u64) -> Sense {
        Sense::new(SenseKey::MISCOMPARE, Asc::MISCOMPARE_DURING_VERIFY).with_information(offset)
    }

    /// COPY ABORTED for segment `segment`, with a segment pointer (SD=1) at byte `byte` of its descriptor.
    pub const fn copy_aborted(segment: u16, asc: Asc, byte: u16) -> Sense {
        let mut s = Sense::new(SenseKey::COPY_ABORTED, asc).pointing(KeySpecific::Segment {
            in_segment: true,
            byte,
            bit: None,
        });
        s.command_specific = Some(segment as u64);
        s
    }

    pub const fn pointing(mut self, key_specific: KeySpecific) -> Sense {
        self.key_specific = Some(key_specific);
        self
    }

    pub const fn with_information(mut self, information: u64) -> Sense {
        self.information = Some(information);
        self
    }

    pub const fn forwarding(mut self, forwarded: Forwarded) -> Sense {
        self.forwarded = Some(forwarded);
        self
    }
}
