//! What every Basic Header Segment has (RFC 7143 §11.2): its length, the opcode byte, and the writers of its
//! big-endian fields. The readers are the kit's shared ones, [`offload_scsi::Fields`].

/// Length of the Basic Header Segment.
pub const BHS_LEN: usize = 48;
/// The reserved tag value: "no task" (ITT) or "no transfer" (TTT).
pub const RESERVED_TAG: u32 = 0xFFFF_FFFF;

/// The target's sequence numbers at BHS bytes 24, 28 and 32 of every PDU it sends (RFC 7143 §11.2.2):
/// StatSN, ExpCmdSN, MaxCmdSN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SequenceNumbers {
    pub stat_sn: u32,
    pub exp_cmd_sn: u32,
    pub max_cmd_sn: u32,
}

impl SequenceNumbers {
    pub(super) fn read(bhs: &[u8; BHS_LEN]) -> SequenceNumbers {
        use offload_scsi::Fields;
        SequenceNumbers { stat_sn: bhs.be32(24), exp_cmd_sn: bhs.be32(28), max_cmd_sn: bhs.be32(32) }
    }

    pub(super) fn write(&self, bhs: &mut [u8; BHS_LEN]) {
        put32(bhs, 24, self.stat_sn);
        put32(bhs, 28, self.exp_cmd_sn);
        put32(bhs, 32, self.max_cmd_sn);
    }
}

/// PDU operation codes (RFC 7143 §11.2.1.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Opcode {
    NopOut = 0x00,
    ScsiCommand = 0x01,
    TaskMgmtRequest = 0x02,
    LoginRequest = 0x03,
    TextRequest = 0x04,
    DataOut = 0x05,
    LogoutRequest = 0x06,
    SnackRequest = 0x10,
    NopIn = 0x20,
    ScsiResponse = 0x21,
    TaskMgmtResponse = 0x22,
    LoginResponse = 0x23,
    TextResponse = 0x24,
    DataIn = 0x25,
    LogoutResponse = 0x26,
    R2t = 0x31,
    AsyncMessage = 0x32,
    Reject = 0x3F,
}

impl Opcode {
    pub fn from_u8(code: u8) -> Option<Opcode> {
        use Opcode::*;
        Some(match code {
            0x00 => NopOut,
            0x01 => ScsiCommand,
            0x02 => TaskMgmtRequest,
            0x03 => LoginRequest,
            0x04 => TextRequest,
            0x05 => DataOut,
            0x06 => LogoutRequest,
            0x10 => SnackRequest,
            0x20 => NopIn,
            0x21 => ScsiResponse,
            0x22 => TaskMgmtResponse,
            0x23 => LoginResponse,
            0x24 => TextResponse,
            0x25 => DataIn,
            0x26 => LogoutResponse,
            0x31 => R2t,
            0x32 => AsyncMessage,
            0x3F => Reject,
            _ => return None,
        })
    }

    /// True for the opcodes an initiator sends.
    pub fn from_initiator(self) -> bool {
        (self as u8) < 0x20
    }
}

/// A header with byte 0 set — the opcode and the I (immediate delivery) bit — and every other byte zero.
pub(super) fn header(opcode: Opcode, immediate: bool) -> [u8; BHS_LEN] {
    let mut bhs = [0u8; BHS_LEN];
    bhs[0] = opcode as u8 | flag(immediate, 0x40);
    bhs
}

pub(super) fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

pub(super) fn put24(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 3].copy_from_slice(&v.to_be_bytes()[1..]);
}

pub(super) fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

pub(super) fn put64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_be_bytes());
}

/// Whether the flag `mask` is set in a flags byte.
pub(super) fn bit(b: u8, mask: u8) -> bool {
    b & mask != 0
}

/// The flag `mask`, when it is on.
pub(super) fn flag(on: bool, mask: u8) -> u8 {
    if on { mask } else { 0 }
}
