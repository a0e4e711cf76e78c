//! The iSCSI PDU codec (RFC 7143 §11): framing on a byte stream ([`read_pdu`], [`write_pdu`]) and the
//! typed messages ([`Message`]) for every opcode the target and the test initiator use.
//!
//! A PDU on the wire is a 48-byte Basic Header Segment (BHS), `TotalAHSLength` × 4 bytes of Additional
//! Header Segments, an optional header digest, the data segment padded to a multiple of 4 bytes, and an
//! optional data digest over the padded data. [`RawPdu`] holds the BHS, the AHS bytes and the data
//! segment without padding or digests; [`Message::decode`] and [`Message::encode`] convert between it and
//! the typed form. Decoding checks syntax only (lengths, AHS structure, opcode); what a PDU means in the
//! state of a connection is the connection's business.

use std::io::{self, Read, Write};

use crate::crc32c::crc32c;

/// Length of the Basic Header Segment.
pub const BHS_LEN: usize = 48;
/// The reserved tag value: "no task" (ITT) or "no transfer" (TTT).
pub const RESERVED_TAG: u32 = 0xFFFF_FFFF;
/// Largest data segment the 24-bit DataSegmentLength can describe.
pub const MAX_DATA_SEGMENT: usize = (1 << 24) - 1;
/// Largest CDB: 16 bytes in the BHS plus an extended-CDB AHS (SPC-4 variable-length CDBs are at most 260).
pub const MAX_CDB_LEN: usize = 260;

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

/// Which digests a connection uses (negotiated at login; none during login).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Digests {
    pub header: bool,
    pub data: bool,
}

/// A PDU as framed on the wire, without padding and digests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawPdu {
    pub bhs: [u8; BHS_LEN],
    /// The AHS bytes (a multiple of 4 long).
    pub ahs: Vec<u8>,
    pub data: Vec<u8>,
}

impl RawPdu {
    /// The opcode byte's low six bits.
    pub fn opcode_bits(&self) -> u8 {
        self.bhs[0] & 0x3F
    }

    pub fn opcode(&self) -> Option<Opcode> {
        Opcode::from_u8(self.opcode_bits())
    }

    /// The I (immediate delivery) bit.
    pub fn immediate(&self) -> bool {
        self.bhs[0] & 0x40 != 0
    }

    /// Initiator Task Tag (bytes 16–19 in every PDU that has one).
    pub fn itt(&self) -> u32 {
        get32(&self.bhs, 16)
    }

    /// DataSegmentLength as the header states it.
    pub fn header_data_length(&self) -> usize {
        (usize::from(self.bhs[5]) << 16) | (usize::from(self.bhs[6]) << 8) | usize::from(self.bhs[7])
    }
}

/// Why a PDU could not be read from the stream.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The peer closed the connection between PDUs.
    #[error("connection closed")]
    Closed,
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    /// The header digest did not match: the header's lengths cannot be trusted, the stream is lost.
    #[error("header digest mismatch: received {received:#010x}, computed {computed:#010x}")]
    HeaderDigest { received: u32, computed: u32 },
    /// The data digest did not match; the PDU was read whole (the stream is still in step).
    #[error("data digest mismatch")]
    DataDigest { header: Box<[u8; BHS_LEN]> },
    /// The data segment is longer than the receiver declared (MaxRecvDataSegmentLength); it was read and
    /// discarded, so the stream is still in step.
    #[error("data segment of {length} bytes exceeds the {max} this side accepts")]
    DataTooLong { length: usize, max: usize, header: Box<[u8; BHS_LEN]> },
}

impl ReadError {
    /// Whether the connection can go on after this error (the next PDU starts where expected).
    pub fn recoverable(&self) -> bool {
        matches!(self, ReadError::DataDigest { .. } | ReadError::DataTooLong { .. })
    }
}

fn pad4(len: usize) -> usize {
    (4 - len % 4) % 4
}

fn read_digest<R: Read>(r: &mut R) -> io::Result<u32> {
    let mut d = [0u8; 4];
    r.read_exact(&mut d)?;
    Ok(u32::from_le_bytes(d))
}

/// Reads one PDU. `max_data` is the longest data segment accepted (this side's MaxRecvDataSegmentLength);
/// a longer one is read, discarded and reported as [`ReadError::DataTooLong`].
pub fn read_pdu<R: Read>(r: &mut R, digests: Digests, max_data: usize) -> Result<RawPdu, ReadError> {
    let mut bhs = [0u8; BHS_LEN];
    // A clean close is an EOF before the first byte of a PDU.
    let mut got = 0;
    while got < BHS_LEN {
        match r.read(&mut bhs[got..]) {
            Ok(0) if got == 0 => return Err(ReadError::Closed),
            Ok(0) => return Err(ReadError::Io(io::ErrorKind::UnexpectedEof.into())),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut ahs = vec![0u8; usize::from(bhs[4]) * 4];
    r.read_exact(&mut ahs)?;
    if digests.header {
        let received = read_digest(r)?;
        let mut c = crate::crc32c::Crc32c::default();
        c.update(&bhs);
        c.update(&ahs);
        let computed = c.finish();
        if received != computed {
            return Err(ReadError::HeaderDigest { received, computed });
        }
    }
    let pdu = RawPdu { bhs, ahs, data: Vec::new() };
    let length = pdu.header_data_length();
    let padded = length + pad4(length);
    if length > max_data {
        let digest = if digests.data && length > 0 { 4 } else { 0 };
        io::copy(&mut r.take((padded + digest) as u64), &mut io::sink())?;
        return Err(ReadError::DataTooLong { length, max: max_data, header: Box::new(bhs) });
    }
    let mut data = vec![0u8; padded];
    r.read_exact(&mut data)?;
    if digests.data && length > 0 {
        let received = read_digest(r)?;
        if received != crc32c(&data) {
            return Err(ReadError::DataDigest { header: Box::new(bhs) });
        }
    }
    data.truncate(length);
    Ok(RawPdu { data, ..pdu })
}

/// The bytes of a PDU on the wire: header, padding and digests included.
pub fn frame(pdu: &RawPdu, digests: Digests) -> Vec<u8> {
    let mut out = Vec::with_capacity(BHS_LEN + pdu.ahs.len() + pdu.data.len() + 12);
    let mut bhs = pdu.bhs;
    bhs[4] = (pdu.ahs.len() / 4) as u8;
    put24(&mut bhs, 5, pdu.data.len() as u32);
    out.extend_from_slice(&bhs);
    out.extend_from_slice(&pdu.ahs);
    if digests.header {
        let digest = crc32c(&out);
        out.extend_from_slice(&digest.to_le_bytes());
    }
    if !pdu.data.is_empty() {
        let start = out.len();
        out.extend_from_slice(&pdu.data);
        out.resize(out.len() + pad4(pdu.data.len()), 0);
        if digests.data {
            let digest = crc32c(&out[start..]);
            out.extend_from_slice(&digest.to_le_bytes());
        }
    }
    out
}

/// Writes one PDU (in one `write_all`, so PDUs from different threads never interleave on a shared,
/// locked writer).
pub fn write_pdu<W: Write>(w: &mut W, pdu: &RawPdu, digests: Digests) -> io::Result<()> {
    w.write_all(&frame(pdu, digests))
}

/// Why a framed PDU is not a valid message.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown opcode {0:#04x}")]
    UnknownOpcode(u8),
    #[error("malformed additional header segment: {0}")]
    Ahs(&'static str),
    #[error("invalid field: {0}")]
    Field(&'static str),
}

/// Residual count of a SCSI Response or a Data-In with status (RFC 7143 §11.4.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Residual {
    #[default]
    None,
    /// The command wanted to move more bytes than the Expected Data Transfer Length: how many more.
    Overflow(u32),
    /// Fewer bytes moved than expected: how many fewer.
    Underflow(u32),
}

impl Residual {
    /// The residual for a command that moved (or wanted to move) `actual` bytes against `expected`.
    pub fn of(expected: u32, actual: u64) -> Residual {
        let expected = u64::from(expected);
        if actual > expected {
            Residual::Overflow(u32::try_from(actual - expected).unwrap_or(u32::MAX))
        } else if actual < expected {
            Residual::Underflow((expected - actual) as u32)
        } else {
            Residual::None
        }
    }

    fn flags(self, overflow: u8, underflow: u8) -> u8 {
        match self {
            Residual::None => 0,
            Residual::Overflow(_) => overflow,
            Residual::Underflow(_) => underflow,
        }
    }

    fn count(self) -> u32 {
        match self {
            Residual::None => 0,
            Residual::Overflow(n) | Residual::Underflow(n) => n,
        }
    }

    fn from_flags(flags: u8, overflow: u8, underflow: u8, count: u32) -> Result<Residual, DecodeError> {
        match (flags & overflow != 0, flags & underflow != 0) {
            (false, false) => Ok(Residual::None),
            (true, false) => Ok(Residual::Overflow(count)),
            (false, true) => Ok(Residual::Underflow(count)),
            (true, true) => Err(DecodeError::Field("overflow and underflow both set")),
        }
    }
}

/// NOP-Out (11.18).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NopOut {
    pub immediate: bool,
    pub lun: u64,
    pub itt: u32,
    pub ttt: u32,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
    pub data: Vec<u8>,
}

/// SCSI Command (11.3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScsiCommand {
    pub immediate: bool,
    /// F: no unsolicited Data-Out PDUs follow.
    pub final_: bool,
    pub read: bool,
    pub write: bool,
    /// Task attribute: 0 untagged, 1 simple, 2 ordered, 3 head of queue, 4 ACA.
    pub attr: u8,
    pub lun: u64,
    pub itt: u32,
    /// Expected Data Transfer Length (for a bidirectional command, of the write part).
    pub edtl: u32,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
    /// The whole CDB: 16 bytes from the BHS (trailing zeros kept) plus any extended-CDB AHS.
    pub cdb: Vec<u8>,
    /// Expected Bidirectional Read Data Length AHS.
    pub bidi_read_length: Option<u32>,
    /// Immediate data.
    pub data: Vec<u8>,
}

/// Task management function request (11.5).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskMgmtRequest {
    pub immediate: bool,
    /// 1 ABORT TASK, 2 ABORT TASK SET, 3 CLEAR ACA, 4 CLEAR TASK SET, 5 LOGICAL UNIT RESET, 6 TARGET WARM
    /// RESET, 7 TARGET COLD RESET, 8 TASK REASSIGN.
    pub function: u8,
    pub lun: u64,
    pub itt: u32,
    pub referenced_task_tag: u32,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
    pub ref_cmd_sn: u32,
    pub exp_data_sn: u32,
}

/// Login Request (11.12).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoginRequest {
    pub transit: bool,
    pub cont: bool,
    /// Current stage: 0 security negotiation, 1 operational negotiation, 3 full feature phase.
    pub csg: u8,
    pub nsg: u8,
    pub version_max: u8,
    pub version_min: u8,
    pub isid: [u8; 6],
    pub tsih: u16,
    pub itt: u32,
    pub cid: u16,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
    pub data: Vec<u8>,
}

/// Text Request (11.10).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextRequest {
    pub immediate: bool,
    pub final_: bool,
    pub cont: bool,
    pub lun: u64,
    pub itt: u32,
    pub ttt: u32,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
    pub data: Vec<u8>,
}

/// SCSI Data-Out (11.7).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataOut {
    pub final_: bool,
    pub lun: u64,
    pub itt: u32,
    pub ttt: u32,
    pub exp_stat_sn: u32,
    pub data_sn: u32,
    pub buffer_offset: u32,
    pub data: Vec<u8>,
}

/// Logout Request (11.14).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogoutRequest {
    pub immediate: bool,
    /// 0 close the session, 1 close the connection, 2 remove the connection for recovery.
    pub reason: u8,
    pub itt: u32,
    pub cid: u16,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
}

/// SNACK Request (11.16).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnackRequest {
    pub kind: u8,
    pub lun: u64,
    pub itt: u32,
    pub ttt: u32,
    pub exp_stat_sn: u32,
    pub beg_run: u32,
    pub run_length: u32,
}

/// NOP-In (11.19).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NopIn {
    pub lun: u64,
    pub itt: u32,
    pub ttt: u32,
    pub stat_sn: u32,
    pub exp_cmd_sn: u32,
    pub max_cmd_sn: u32,
    pub data: Vec<u8>,
}

/// SCSI Response (11.4).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScsiResponse {
    pub bidi_residual: Residual,
    pub residual: Residual,
    /// iSCSI service response: 0 command completed at target, 1 target failure.
    pub response: u8,
    /// SCSI status (valid when `response` is 0).
    pub status: u8,
    pub itt: u32,
    pub snack_tag: u32,
    pub stat_sn: u32,
    pub exp_cmd_sn: u32,
    pub max_cmd_sn: u32,
    pub exp_data_sn: u32,
    /// The data segment: SenseLength (2 bytes) and the sense data, or empty.
    pub data: Vec<u8>,
}

impl ScsiResponse {
    /// The data segment carrying `sense` (empty when there is no sense).
    pub fn sense_segment(sense: &[u8]) -> Vec<u8> {
        if sense.is_empty() {
            return Vec::new();
        }
        let mut data = Vec::with_capacity(sense.len() + 2);
        data.extend_from_slice(&(sense.len() as u16).to_be_bytes());
        data.extend_from_slice(sense);
        data
    }

    /// The sense data in the data segment (empty when there is none or it is malformed).
    pub fn sense(&self) -> &[u8] {
        if self.data.len() < 2 {
            return &[];
        }
        let len = usize::from(u16::from_be_bytes([self.data[0], self.data[1]]));
        self.data.get(2..2 + len).unwrap_or(&[])
    }
}

/// Task management function response (11.6).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskMgmtResponse {
    /// 0 function complete, 1 task does not exist, 2 LUN does not exist, 3 task still allegiant, 4 task
    /// allegiance reassignment not supported, 5 function not supported, 6 authorization failed, 255
    /// function rejected.
    pub response: u8,
    pub itt: u32,
    pub stat_sn: u32,
    pub exp_cmd_sn: u32,
    pub max_cmd_sn: u32,
}

/// Login Response (11.13).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoginResponse {
    pub transit: bool,
    pub cont: bool,
    pub csg: u8,
    pub nsg: u8,
    pub version_max: u8,
    pub version_active: u8,
    pub isid: [u8; 6],
    pub tsih: u16,
    pub itt: u32,
    pub stat_sn: u32,
    pub exp_cmd_sn: u32,
    pub max_cmd_sn: u32,
    pub status_class: u8,
    pub status_detail: u8,
    pub data: Vec<u8>,
}

/// Text Response (11.11).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextResponse {
    pub final_: bool,
    pub cont: bool,
    pub lun: u64,
    pub itt: u32,
    pub ttt: u32,
    pub stat_sn: u32,
    pub exp_cmd_sn: u32,
    pub max_cmd_sn: u32,
    pub data: Vec<u8>,
}

/// SCSI Data-In (11.7).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataIn {
    pub final_: bool,
    /// A: acknowledge (error recovery level 1 and up only).
    pub ack: bool,
    /// S: the PDU carries the command's status (phase collapse); the SCSI status.
    pub status: Option<u8>,
    /// Residual (meaningful with status only).
    pub residual: Residual,
    pub lun: u64,
    pub itt: u32,
    pub ttt: u32,
    /// With status only.
    pub stat_sn: u32,
    pub exp_cmd_sn: u32,
    pub max_cmd_sn: u32,
    pub data_sn: u32,
    pub buffer_offset: u32,
    pub data: Vec<u8>,
}

/// Logout Response (11.15).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogoutResponse {
    /// 0 closed, 1 CID not found, 2 connection recovery not supported, 3 cleanup failed.
    pub response: u8,
    pub itt: u32,
    pub stat_sn: u32,
    pub exp_cmd_sn: u32,
    pub max_cmd_sn: u32,
    pub time2wait: u16,
    pub time2retain: u16,
}

/// Ready To Transfer (11.8).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct R2t {
    pub lun: u64,
    pub itt: u32,
    pub ttt: u32,
    pub stat_sn: u32,
    pub exp_cmd_sn: u32,
    pub max_cmd_sn: u32,
    pub r2t_sn: u32,
    pub buffer_offset: u32,
    pub desired_length: u32,
}

/// Asynchronous Message (11.9).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AsyncMessage {
    pub lun: u64,
    pub stat_sn: u32,
    pub exp_cmd_sn: u32,
    pub max_cmd_sn: u32,
    /// 0 SCSI async event, 1 logout requested, 2 connection drop, 3 session drop, 4 renegotiate.
    pub event: u8,
    pub vcode: u8,
    pub parameters: [u16; 3],
    pub data: Vec<u8>,
}

/// Reject (11.17).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reject {
    /// 02h data digest error, 03h SNACK reject, 04h protocol error, 05h command not supported, 06h
    /// immediate command reject, 07h task in progress, 08h invalid data ack, 09h invalid PDU field, 0Ah
    /// long operation reject, 0Bh deprecated, 0Ch waiting for logout.
    pub reason: u8,
    pub stat_sn: u32,
    pub exp_cmd_sn: u32,
    pub max_cmd_sn: u32,
    pub data_sn: u32,
    /// The rejected PDU's header.
    pub data: Vec<u8>,
}

/// Reject reasons (RFC 7143 §11.17.1).
pub mod reject {
    pub const DATA_DIGEST_ERROR: u8 = 0x02;
    pub const SNACK_REJECT: u8 = 0x03;
    pub const PROTOCOL_ERROR: u8 = 0x04;
    pub const COMMAND_NOT_SUPPORTED: u8 = 0x05;
    pub const IMMEDIATE_COMMAND_REJECT: u8 = 0x06;
    pub const TASK_IN_PROGRESS: u8 = 0x07;
    pub const INVALID_PDU_FIELD: u8 = 0x09;
    pub const WAITING_FOR_LOGOUT: u8 = 0x0C;
}

/// Every PDU, typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    NopOut(NopOut),
    ScsiCommand(ScsiCommand),
    TaskMgmtRequest(TaskMgmtRequest),
    LoginRequest(LoginRequest),
    TextRequest(TextRequest),
    DataOut(DataOut),
    LogoutRequest(LogoutRequest),
    SnackRequest(SnackRequest),
    NopIn(NopIn),
    ScsiResponse(ScsiResponse),
    TaskMgmtResponse(TaskMgmtResponse),
    LoginResponse(LoginResponse),
    TextResponse(TextResponse),
    DataIn(DataIn),
    LogoutResponse(LogoutResponse),
    R2t(R2t),
    AsyncMessage(AsyncMessage),
    Reject(Reject),
}

pub fn get16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

pub fn get24(b: &[u8], at: usize) -> u32 {
    (u32::from(b[at]) << 16) | (u32::from(b[at + 1]) << 8) | u32::from(b[at + 2])
}

pub fn get32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub fn get64(b: &[u8], at: usize) -> u64 {
    (u64::from(get32(b, at)) << 32) | u64::from(get32(b, at + 4))
}

fn put16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

fn put24(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 3].copy_from_slice(&v.to_be_bytes()[1..]);
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_be_bytes());
}

fn put64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_be_bytes());
}

fn bit(b: u8, mask: u8) -> bool {
    b & mask != 0
}

fn flag(on: bool, mask: u8) -> u8 {
    if on { mask } else { 0 }
}

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

fn header(opcode: Opcode, immediate: bool) -> [u8; BHS_LEN] {
    let mut bhs = [0u8; BHS_LEN];
    bhs[0] = opcode as u8 | flag(immediate, 0x40);
    bhs
}

/// Splits AHS bytes into (type, specific bytes after the reserved/type-specific byte 3).
fn ahs_segments(ahs: &[u8]) -> Result<Vec<(u8, &[u8])>, DecodeError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < ahs.len() {
        if at + 3 > ahs.len() {
            return Err(DecodeError::Ahs("truncated AHS header"));
        }
        let len = usize::from(get16(ahs, at));
        let kind = ahs[at + 2];
        // AHSLength counts the AHS-specific bytes (byte 3 onwards), without type, length and padding.
        let end = at + 3 + len;
        if len == 0 || end > ahs.len() {
            return Err(DecodeError::Ahs("AHSLength runs past TotalAHSLength"));
        }
        out.push((kind, &ahs[at + 4..end]));
        at = end + pad4(3 + len);
    }
    Ok(out)
}

fn push_ahs(ahs: &mut Vec<u8>, kind: u8, specific: &[u8]) {
    let len = specific.len() + 1;
    ahs.extend_from_slice(&(len as u16).to_be_bytes());
    ahs.push(kind);
    ahs.push(0);
    ahs.extend_from_slice(specific);
    ahs.resize(ahs.len() + pad4(3 + len), 0);
}

impl Message {
    pub fn opcode(&self) -> Opcode {
        match self {
            Message::NopOut(_) => Opcode::NopOut,
            Message::ScsiCommand(_) => Opcode::ScsiCommand,
            Message::TaskMgmtRequest(_) => Opcode::TaskMgmtRequest,
            Message::LoginRequest(_) => Opcode::LoginRequest,
            Message::TextRequest(_) => Opcode::TextRequest,
            Message::DataOut(_) => Opcode::DataOut,
            Message::LogoutRequest(_) => Opcode::LogoutRequest,
            Message::SnackRequest(_) => Opcode::SnackRequest,
            Message::NopIn(_) => Opcode::NopIn,
            Message::ScsiResponse(_) => Opcode::ScsiResponse,
            Message::TaskMgmtResponse(_) => Opcode::TaskMgmtResponse,
            Message::LoginResponse(_) => Opcode::LoginResponse,
            Message::TextResponse(_) => Opcode::TextResponse,
            Message::DataIn(_) => Opcode::DataIn,
            Message::LogoutResponse(_) => Opcode::LogoutResponse,
            Message::R2t(_) => Opcode::R2t,
            Message::AsyncMessage(_) => Opcode::AsyncMessage,
            Message::Reject(_) => Opcode::Reject,
        }
    }

    /// The typed form of a framed PDU.
    pub fn decode(pdu: &RawPdu) -> Result<Message, DecodeError> {
        let b = &pdu.bhs;
        let opcode = pdu.opcode().ok_or(DecodeError::UnknownOpcode(pdu.opcode_bits()))?;
        let immediate = pdu.immediate();
        let data = pdu.data.clone();
        let f = b[1];
        if !matches!(opcode, Opcode::ScsiCommand) && !pdu.ahs.is_empty() {
            return Err(DecodeError::Ahs("only SCSI Command PDUs carry AHS"));
        }
        Ok(match opcode {
            Opcode::NopOut => Message::NopOut(NopOut {
                immediate,
                lun: get64(b, 8),
                itt: get32(b, 16),
                ttt: get32(b, 20),
                cmd_sn: get32(b, 24),
                exp_stat_sn: get32(b, 28),
                data,
            }),
            Opcode::ScsiCommand => {
                let mut cdb = b[32..48].to_vec();
                let mut bidi_read_length = None;
                for (kind, specific) in ahs_segments(&pdu.ahs)? {
                    match kind {
                        1 => {
                            if cdb.len() > 16 {
                                return Err(DecodeError::Ahs("two extended-CDB AHS"));
                            }
                            if 16 + specific.len() > MAX_CDB_LEN {
                                return Err(DecodeError::Ahs("extended CDB longer than 260 bytes"));
                            }
                            cdb.extend_from_slice(specific);
                        }
                        2 => {
                            if specific.len() != 4 || bidi_read_length.is_some() {
                                return Err(DecodeError::Ahs("bidirectional read length AHS must be 4 bytes, once"));
                            }
                            bidi_read_length = Some(get32(specific, 0));
                        }
                        _ => return Err(DecodeError::Ahs("unknown AHS type")),
                    }
                }
                Message::ScsiCommand(ScsiCommand {
                    immediate,
                    final_: bit(f, 0x80),
                    read: bit(f, 0x40),
                    write: bit(f, 0x20),
                    attr: f & 0x07,
                    lun: get64(b, 8),
                    itt: get32(b, 16),
                    edtl: get32(b, 20),
                    cmd_sn: get32(b, 24),
                    exp_stat_sn: get32(b, 28),
                    cdb,
                    bidi_read_length,
                    data,
                })
            }
            Opcode::TaskMgmtRequest => Message::TaskMgmtRequest(TaskMgmtRequest {
                immediate,
                function: f & 0x7F,
                lun: get64(b, 8),
                itt: get32(b, 16),
                referenced_task_tag: get32(b, 20),
                cmd_sn: get32(b, 24),
                exp_stat_sn: get32(b, 28),
                ref_cmd_sn: get32(b, 32),
                exp_data_sn: get32(b, 36),
            }),
            Opcode::LoginRequest => Message::LoginRequest(LoginRequest {
                transit: bit(f, 0x80),
                cont: bit(f, 0x40),
                csg: (f >> 2) & 3,
                nsg: f & 3,
                version_max: b[2],
                version_min: b[3],
                isid: b[8..14].try_into().expect("6 bytes"),
                tsih: get16(b, 14),
                itt: get32(b, 16),
                cid: get16(b, 20),
                cmd_sn: get32(b, 24),
                exp_stat_sn: get32(b, 28),
                data,
            }),
            Opcode::TextRequest => Message::TextRequest(TextRequest {
                immediate,
                final_: bit(f, 0x80),
                cont: bit(f, 0x40),
                lun: get64(b, 8),
                itt: get32(b, 16),
                ttt: get32(b, 20),
                cmd_sn: get32(b, 24),
                exp_stat_sn: get32(b, 28),
                data,
            }),
            Opcode::DataOut => Message::DataOut(DataOut {
                final_: bit(f, 0x80),
                lun: get64(b, 8),
                itt: get32(b, 16),
                ttt: get32(b, 20),
                exp_stat_sn: get32(b, 28),
                data_sn: get32(b, 36),
                buffer_offset: get32(b, 40),
                data,
            }),
            Opcode::LogoutRequest => Message::LogoutRequest(LogoutRequest {
                immediate,
                reason: f & 0x7F,
                itt: get32(b, 16),
                cid: get16(b, 20),
                cmd_sn: get32(b, 24),
                exp_stat_sn: get32(b, 28),
            }),
            Opcode::SnackRequest => Message::SnackRequest(SnackRequest {
                kind: f & 0x0F,
                lun: get64(b, 8),
                itt: get32(b, 16),
                ttt: get32(b, 20),
                exp_stat_sn: get32(b, 28),
                beg_run: get32(b, 40),
                run_length: get32(b, 44),
            }),
            Opcode::NopIn => Message::NopIn(NopIn {
                lun: get64(b, 8),
                itt: get32(b, 16),
                ttt: get32(b, 20),
                stat_sn: get32(b, 24),
                exp_cmd_sn: get32(b, 28),
                max_cmd_sn: get32(b, 32),
                data,
            }),
            Opcode::ScsiResponse => Message::ScsiResponse(ScsiResponse {
                bidi_residual: Residual::from_flags(f, 0x10, 0x08, get32(b, 40))?,
                residual: Residual::from_flags(f, 0x04, 0x02, get32(b, 44))?,
                response: b[2],
                status: b[3],
                itt: get32(b, 16),
                snack_tag: get32(b, 20),
                stat_sn: get32(b, 24),
                exp_cmd_sn: get32(b, 28),
                max_cmd_sn: get32(b, 32),
                exp_data_sn: get32(b, 36),
                data,
            }),
            Opcode::TaskMgmtResponse => Message::TaskMgmtResponse(TaskMgmtResponse {
                response: b[2],
                itt: get32(b, 16),
                stat_sn: get32(b, 24),
                exp_cmd_sn: get32(b, 28),
                max_cmd_sn: get32(b, 32),
            }),
            Opcode::LoginResponse => Message::LoginResponse(LoginResponse {
                transit: bit(f, 0x80),
                cont: bit(f, 0x40),
                csg: (f >> 2) & 3,
                nsg: f & 3,
                version_max: b[2],
                version_active: b[3],
                isid: b[8..14].try_into().expect("6 bytes"),
                tsih: get16(b, 14),
                itt: get32(b, 16),
                stat_sn: get32(b, 24),
                exp_cmd_sn: get32(b, 28),
                max_cmd_sn: get32(b, 32),
                status_class: b[36],
                status_detail: b[37],
                data,
            }),
            Opcode::TextResponse => Message::TextResponse(TextResponse {
                final_: bit(f, 0x80),
                cont: bit(f, 0x40),
                lun: get64(b, 8),
                itt: get32(b, 16),
                ttt: get32(b, 20),
                stat_sn: get32(b, 24),
                exp_cmd_sn: get32(b, 28),
                max_cmd_sn: get32(b, 32),
                data,
            }),
            Opcode::DataIn => {
                let has_status = bit(f, 0x01);
                if has_status && !bit(f, 0x80) {
                    return Err(DecodeError::Field("Data-In with S set must have F set"));
                }
                Message::DataIn(DataIn {
                    final_: bit(f, 0x80),
                    ack: bit(f, 0x40),
                    status: has_status.then_some(b[3]),
                    residual: Residual::from_flags(f, 0x04, 0x02, get32(b, 44))?,
                    lun: get64(b, 8),
                    itt: get32(b, 16),
                    ttt: get32(b, 20),
                    stat_sn: get32(b, 24),
                    exp_cmd_sn: get32(b, 28),
                    max_cmd_sn: get32(b, 32),
                    data_sn: get32(b, 36),
                    buffer_offset: get32(b, 40),
                    data,
                })
            }
            Opcode::LogoutResponse => Message::LogoutResponse(LogoutResponse {
                response: b[2],
                itt: get32(b, 16),
                stat_sn: get32(b, 24),
                exp_cmd_sn: get32(b, 28),
                max_cmd_sn: get32(b, 32),
                time2wait: get16(b, 40),
                time2retain: get16(b, 42),
            }),
            Opcode::R2t => Message::R2t(R2t {
                lun: get64(b, 8),
                itt: get32(b, 16),
                ttt: get32(b, 20),
                stat_sn: get32(b, 24),
                exp_cmd_sn: get32(b, 28),
                max_cmd_sn: get32(b, 32),
                r2t_sn: get32(b, 36),
                buffer_offset: get32(b, 40),
                desired_length: get32(b, 44),
            }),
            Opcode::AsyncMessage => Message::AsyncMessage(AsyncMessage {
                lun: get64(b, 8),
                stat_sn: get32(b, 24),
                exp_cmd_sn: get32(b, 28),
                max_cmd_sn: get32(b, 32),
                event: b[36],
                vcode: b[37],
                parameters: [get16(b, 38), get16(b, 40), get16(b, 42)],
                data,
            }),
            Opcode::Reject => Message::Reject(Reject {
                reason: b[2],
                stat_sn: get32(b, 24),
                exp_cmd_sn: get32(b, 28),
                max_cmd_sn: get32(b, 32),
                data_sn: get32(b, 36),
                data,
            }),
        })
    }

    /// The framed form (DataSegmentLength and TotalAHSLength are set when it is written).
    pub fn encode(&self) -> RawPdu {
        let mut ahs = Vec::new();
        let (bhs, data): ([u8; BHS_LEN], &[u8]) = match self {
            Message::NopOut(m) => {
                let mut b = header(Opcode::NopOut, m.immediate);
                b[1] = 0x80;
                put64(&mut b, 8, m.lun);
                put32(&mut b, 16, m.itt);
                put32(&mut b, 20, m.ttt);
                put32(&mut b, 24, m.cmd_sn);
                put32(&mut b, 28, m.exp_stat_sn);
                (b, &m.data)
            }
            Message::ScsiCommand(m) => {
                let mut b = header(Opcode::ScsiCommand, m.immediate);
                b[1] = flag(m.final_, 0x80) | flag(m.read, 0x40) | flag(m.write, 0x20) | (m.attr & 7);
                put64(&mut b, 8, m.lun);
                put32(&mut b, 16, m.itt);
                put32(&mut b, 20, m.edtl);
                put32(&mut b, 24, m.cmd_sn);
                put32(&mut b, 28, m.exp_stat_sn);
                let head = m.cdb.len().min(16);
                b[32..32 + head].copy_from_slice(&m.cdb[..head]);
                if m.cdb.len() > 16 {
                    push_ahs(&mut ahs, 1, &m.cdb[16..]);
                }
                if let Some(len) = m.bidi_read_length {
                    push_ahs(&mut ahs, 2, &len.to_be_bytes());
                }
                (b, &m.data)
            }
            Message::TaskMgmtRequest(m) => {
                let mut b = header(Opcode::TaskMgmtRequest, m.immediate);
                b[1] = 0x80 | (m.function & 0x7F);
                put64(&mut b, 8, m.lun);
                put32(&mut b, 16, m.itt);
                put32(&mut b, 20, m.referenced_task_tag);
                put32(&mut b, 24, m.cmd_sn);
                put32(&mut b, 28, m.exp_stat_sn);
                put32(&mut b, 32, m.ref_cmd_sn);
                put32(&mut b, 36, m.exp_data_sn);
                (b, &[])
            }
            Message::LoginRequest(m) => {
                // A Login Request is always immediate.
                let mut b = header(Opcode::LoginRequest, true);
                b[1] = flag(m.transit, 0x80) | flag(m.cont, 0x40) | ((m.csg & 3) << 2) | (m.nsg & 3);
                b[2] = m.version_max;
                b[3] = m.version_min;
                b[8..14].copy_from_slice(&m.isid);
                put16(&mut b, 14, m.tsih);
                put32(&mut b, 16, m.itt);
                put16(&mut b, 20, m.cid);
                put32(&mut b, 24, m.cmd_sn);
                put32(&mut b, 28, m.exp_stat_sn);
                (b, &m.data)
            }
            Message::TextRequest(m) => {
                let mut b = header(Opcode::TextRequest, m.immediate);
                b[1] = flag(m.final_, 0x80) | flag(m.cont, 0x40);
                put64(&mut b, 8, m.lun);
                put32(&mut b, 16, m.itt);
                put32(&mut b, 20, m.ttt);
                put32(&mut b, 24, m.cmd_sn);
                put32(&mut b, 28, m.exp_stat_sn);
                (b, &m.data)
            }
            Message::DataOut(m) => {
                let mut b = header(Opcode::DataOut, false);
                b[1] = flag(m.final_, 0x80);
                put64(&mut b, 8, m.lun);
                put32(&mut b, 16, m.itt);
                put32(&mut b, 20, m.ttt);
                put32(&mut b, 28, m.exp_stat_sn);
                put32(&mut b, 36, m.data_sn);
                put32(&mut b, 40, m.buffer_offset);
                (b, &m.data)
            }
            Message::LogoutRequest(m) => {
                let mut b = header(Opcode::LogoutRequest, m.immediate);
                b[1] = 0x80 | (m.reason & 0x7F);
                put32(&mut b, 16, m.itt);
                put16(&mut b, 20, m.cid);
                put32(&mut b, 24, m.cmd_sn);
                put32(&mut b, 28, m.exp_stat_sn);
                (b, &[])
            }
            Message::SnackRequest(m) => {
                let mut b = header(Opcode::SnackRequest, false);
                b[1] = 0x80 | (m.kind & 0x0F);
                put64(&mut b, 8, m.lun);
                put32(&mut b, 16, m.itt);
                put32(&mut b, 20, m.ttt);
                put32(&mut b, 28, m.exp_stat_sn);
                put32(&mut b, 40, m.beg_run);
                put32(&mut b, 44, m.run_length);
                (b, &[])
            }
            Message::NopIn(m) => {
                let mut b = header(Opcode::NopIn, false);
                b[1] = 0x80;
                put64(&mut b, 8, m.lun);
                put32(&mut b, 16, m.itt);
                put32(&mut b, 20, m.ttt);
                put32(&mut b, 24, m.stat_sn);
                put32(&mut b, 28, m.exp_cmd_sn);
                put32(&mut b, 32, m.max_cmd_sn);
                (b, &m.data)
            }
            Message::ScsiResponse(m) => {
                let mut b = header(Opcode::ScsiResponse, false);
                b[1] = 0x80 | m.bidi_residual.flags(0x10, 0x08) | m.residual.flags(0x04, 0x02);
                b[2] = m.response;
                b[3] = m.status;
                put32(&mut b, 16, m.itt);
                put32(&mut b, 20, m.snack_tag);
                put32(&mut b, 24, m.stat_sn);
                put32(&mut b, 28, m.exp_cmd_sn);
                put32(&mut b, 32, m.max_cmd_sn);
                put32(&mut b, 36, m.exp_data_sn);
                put32(&mut b, 40, m.bidi_residual.count());
                put32(&mut b, 44, m.residual.count());
                (b, &m.data)
            }
            Message::TaskMgmtResponse(m) => {
                let mut b = header(Opcode::TaskMgmtResponse, false);
                b[1] = 0x80;
                b[2] = m.response;
                put32(&mut b, 16, m.itt);
                put32(&mut b, 24, m.stat_sn);
                put32(&mut b, 28, m.exp_cmd_sn);
                put32(&mut b, 32, m.max_cmd_sn);
                (b, &[])
            }
            Message::LoginResponse(m) => {
                let mut b = header(Opcode::LoginResponse, false);
                b[1] = flag(m.transit, 0x80) | flag(m.cont, 0x40) | ((m.csg & 3) << 2) | (m.nsg & 3);
                b[2] = m.version_max;
                b[3] = m.version_active;
                b[8..14].copy_from_slice(&m.isid);
                put16(&mut b, 14, m.tsih);
                put32(&mut b, 16, m.itt);
                put32(&mut b, 24, m.stat_sn);
                put32(&mut b, 28, m.exp_cmd_sn);
                put32(&mut b, 32, m.max_cmd_sn);
                b[36] = m.status_class;
                b[37] = m.status_detail;
                (b, &m.data)
            }
            Message::TextResponse(m) => {
                let mut b = header(Opcode::TextResponse, false);
                b[1] = flag(m.final_, 0x80) | flag(m.cont, 0x40);
                put64(&mut b, 8, m.lun);
                put32(&mut b, 16, m.itt);
                put32(&mut b, 20, m.ttt);
                put32(&mut b, 24, m.stat_sn);
                put32(&mut b, 28, m.exp_cmd_sn);
                put32(&mut b, 32, m.max_cmd_sn);
                (b, &m.data)
            }
            Message::DataIn(m) => {
                let mut b = header(Opcode::DataIn, false);
                b[1] = flag(m.final_, 0x80)
                    | flag(m.ack, 0x40)
                    | flag(m.status.is_some(), 0x01)
                    | m.residual.flags(0x04, 0x02);
                b[3] = m.status.unwrap_or(0);
                put64(&mut b, 8, m.lun);
                put32(&mut b, 16, m.itt);
                put32(&mut b, 20, m.ttt);
                put32(&mut b, 24, m.stat_sn);
                put32(&mut b, 28, m.exp_cmd_sn);
                put32(&mut b, 32, m.max_cmd_sn);
                put32(&mut b, 36, m.data_sn);
                put32(&mut b, 40, m.buffer_offset);
                put32(&mut b, 44, m.residual.count());
                (b, &m.data)
            }
            Message::LogoutResponse(m) => {
                let mut b = header(Opcode::LogoutResponse, false);
                b[1] = 0x80;
                b[2] = m.response;
                put32(&mut b, 16, m.itt);
                put32(&mut b, 24, m.stat_sn);
                put32(&mut b, 28, m.exp_cmd_sn);
                put32(&mut b, 32, m.max_cmd_sn);
                put16(&mut b, 40, m.time2wait);
                put16(&mut b, 42, m.time2retain);
                (b, &[])
            }
            Message::R2t(m) => {
                let mut b = header(Opcode::R2t, false);
                b[1] = 0x80;
                put64(&mut b, 8, m.lun);
                put32(&mut b, 16, m.itt);
                put32(&mut b, 20, m.ttt);
                put32(&mut b, 24, m.stat_sn);
                put32(&mut b, 28, m.exp_cmd_sn);
                put32(&mut b, 32, m.max_cmd_sn);
                put32(&mut b, 36, m.r2t_sn);
                put32(&mut b, 40, m.buffer_offset);
                put32(&mut b, 44, m.desired_length);
                (b, &[])
            }
            Message::AsyncMessage(m) => {
                let mut b = header(Opcode::AsyncMessage, false);
                b[1] = 0x80;
                put64(&mut b, 8, m.lun);
                put32(&mut b, 16, RESERVED_TAG);
                put32(&mut b, 24, m.stat_sn);
                put32(&mut b, 28, m.exp_cmd_sn);
                put32(&mut b, 32, m.max_cmd_sn);
                b[36] = m.event;
                b[37] = m.vcode;
                put16(&mut b, 38, m.parameters[0]);
                put16(&mut b, 40, m.parameters[1]);
                put16(&mut b, 42, m.parameters[2]);
                (b, &m.data)
            }
            Message::Reject(m) => {
                let mut b = header(Opcode::Reject, false);
                b[1] = 0x80;
                b[2] = m.reason;
                put32(&mut b, 16, RESERVED_TAG);
                put32(&mut b, 24, m.stat_sn);
                put32(&mut b, 28, m.exp_cmd_sn);
                put32(&mut b, 32, m.max_cmd_sn);
                put32(&mut b, 36, m.data_sn);
                (b, &m.data)
            }
        };
        let mut bhs = bhs;
        bhs[4] = (ahs.len() / 4) as u8;
        put24(&mut bhs, 5, data.len() as u32);
        RawPdu { bhs, ahs, data: data.to_vec() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_messages() -> Vec<Message> {
        let cdb16: Vec<u8> = (1..=16).collect();
        let mut cdb32: Vec<u8> = (1..=32).collect();
        cdb32[0] = 0x7F;
        vec![
            Message::NopOut(NopOut {
                immediate: true,
                lun: encode_lun(3),
                itt: 7,
                ttt: RESERVED_TAG,
                cmd_sn: 9,
                exp_stat_sn: 11,
                data: b"ping".to_vec(),
            }),
            Message::ScsiCommand(ScsiCommand {
                immediate: false,
                final_: true,
                read: true,
                write: false,
                attr: 1,
                lun: encode_lun(1),
                itt: 0x1234,
                edtl: 4096,
                cmd_sn: 5,
                exp_stat_sn: 6,
                cdb: cdb16,
                bidi_read_length: None,
                data: vec![],
            }),
            Message::ScsiCommand(ScsiCommand {
                immediate: false,
                final_: false,
                read: true,
                write: true,
                attr: 2,
                lun: encode_lun(300),
                itt: 1,
                edtl: 3,
                cmd_sn: 2,
                exp_stat_sn: 3,
                cdb: cdb32,
                bidi_read_length: Some(512),
                data: vec![1, 2, 3],
            }),
            Message::TaskMgmtRequest(TaskMgmtRequest {
                immediate: true,
                function: 1,
                lun: encode_lun(0),
                itt: 99,
                referenced_task_tag: 98,
                cmd_sn: 10,
                exp_stat_sn: 20,
                ref_cmd_sn: 9,
                exp_data_sn: 0,
            }),
            Message::LoginRequest(LoginRequest {
                transit: true,
                cont: false,
                csg: 1,
                nsg: 3,
                version_max: 0,
                version_min: 0,
                isid: [0x80, 1, 2, 3, 4, 5],
                tsih: 0,
                itt: 0,
                cid: 1,
                cmd_sn: 1,
                exp_stat_sn: 0,
                data: b"InitiatorName=iqn.x\0".to_vec(),
            }),
            Message::TextRequest(TextRequest {
                immediate: false,
                final_: true,
                cont: false,
                lun: 0,
                itt: 4,
                ttt: RESERVED_TAG,
                cmd_sn: 3,
                exp_stat_sn: 4,
                data: b"SendTargets=All\0".to_vec(),
            }),
            Message::DataOut(DataOut {
                final_: true,
                lun: encode_lun(0),
                itt: 5,
                ttt: 0x55,
                exp_stat_sn: 6,
                data_sn: 2,
                buffer_offset: 8192,
                data: vec![0xAB; 513],
            }),
            Message::LogoutRequest(LogoutRequest {
                immediate: true,
                reason: 0,
                itt: 8,
                cid: 1,
                cmd_sn: 12,
                exp_stat_sn: 13,
            }),
            Message::SnackRequest(SnackRequest {
                kind: 1,
                lun: 0,
                itt: 3,
                ttt: RESERVED_TAG,
                exp_stat_sn: 4,
                beg_run: 5,
                run_length: 6,
            }),
            Message::NopIn(NopIn {
                lun: 0,
                itt: RESERVED_TAG,
                ttt: 0x77,
                stat_sn: 1,
                exp_cmd_sn: 2,
                max_cmd_sn: 65,
                data: vec![],
            }),
            Message::ScsiResponse(ScsiResponse {
                bidi_residual: Residual::Overflow(3),
                residual: Residual::Underflow(100),
                response: 0,
                status: 2,
                itt: 42,
                snack_tag: 0,
                stat_sn: 3,
                exp_cmd_sn: 4,
                max_cmd_sn: 67,
                exp_data_sn: 1,
                data: ScsiResponse::sense_segment(&[0x70, 0, 5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 0, 0, 0, 0, 0]),
            }),
            Message::TaskMgmtResponse(TaskMgmtResponse {
                response: 1,
                itt: 99,
                stat_sn: 4,
                exp_cmd_sn: 5,
                max_cmd_sn: 68,
            }),
            Message::LoginResponse(LoginResponse {
                transit: true,
                cont: false,
                csg: 1,
                nsg: 3,
                version_max: 0,
                version_active: 0,
                isid: [0x80, 1, 2, 3, 4, 5],
                tsih: 0x0101,
                itt: 0,
                stat_sn: 1,
                exp_cmd_sn: 1,
                max_cmd_sn: 64,
                status_class: 0,
                status_detail: 0,
                data: b"HeaderDigest=None\0".to_vec(),
            }),
            Message::TextResponse(TextResponse {
                final_: false,
                cont: true,
                lun: 0,
                itt: 4,
                ttt: 0x10,
                stat_sn: 5,
                exp_cmd_sn: 6,
                max_cmd_sn: 69,
                data: b"TargetName=iqn.t\0".to_vec(),
            }),
            Message::DataIn(DataIn {
                final_: true,
                ack: false,
                status: Some(0),
                residual: Residual::Overflow(512),
                lun: encode_lun(1),
                itt: 0x1234,
                ttt: RESERVED_TAG,
                stat_sn: 7,
                exp_cmd_sn: 8,
                max_cmd_sn: 71,
                data_sn: 3,
                buffer_offset: 1024,
                data: vec![9; 1024],
            }),
            Message::DataIn(DataIn {
                final_: false,
                ack: false,
                status: None,
                residual: Residual::None,
                lun: 0,
                itt: 1,
                ttt: RESERVED_TAG,
                stat_sn: 0,
                exp_cmd_sn: 8,
                max_cmd_sn: 71,
                data_sn: 0,
                buffer_offset: 0,
                data: vec![1; 7],
            }),
            Message::LogoutResponse(LogoutResponse {
                response: 0,
                itt: 8,
                stat_sn: 9,
                exp_cmd_sn: 10,
                max_cmd_sn: 73,
                time2wait: 2,
                time2retain: 0,
            }),
            Message::R2t(R2t {
                lun: encode_lun(0),
                itt: 5,
                ttt: 0x55,
                stat_sn: 6,
                exp_cmd_sn: 7,
                max_cmd_sn: 70,
                r2t_sn: 1,
                buffer_offset: 65536,
                desired_length: 262144,
            }),
            Message::AsyncMessage(AsyncMessage {
                lun: 0,
                stat_sn: 3,
                exp_cmd_sn: 4,
                max_cmd_sn: 5,
                event: 1,
                vcode: 0,
                parameters: [0, 2, 0],
                data: vec![],
            }),
            Message::Reject(Reject {
                reason: reject::PROTOCOL_ERROR,
                stat_sn: 1,
                exp_cmd_sn: 2,
                max_cmd_sn: 3,
                data_sn: 0,
                data: vec![0x05; BHS_LEN],
            }),
        ]
    }

    #[test]
    fn every_opcode_round_trips_through_the_wire_with_and_without_digests() {
        let messages = sample_messages();
        let mut seen = std::collections::HashSet::new();
        for digests in [
            Digests::default(),
            Digests { header: true, data: false },
            Digests { header: false, data: true },
            Digests { header: true, data: true },
        ] {
            for m in &messages {
                seen.insert(m.opcode());
                let raw = m.encode();
                assert_eq!(raw.opcode(), Some(m.opcode()));
                let bytes = frame(&raw, digests);
                assert_eq!(bytes.len() % 4, 0, "{m:?}: frames are whole words");
                let back = read_pdu(&mut &bytes[..], digests, MAX_DATA_SEGMENT).unwrap();
                assert_eq!(back, raw);
                assert_eq!(Message::decode(&back).unwrap(), *m);
            }
        }
        assert_eq!(seen.len(), 18, "every opcode is exercised");
    }

    #[test]
    fn header_fields_sit_where_rfc_7143_puts_them() {
        let cmd = Message::ScsiCommand(ScsiCommand {
            final_: true,
            write: true,
            attr: 1,
            lun: encode_lun(2),
            itt: 0x0A0B0C0D,
            edtl: 0x200,
            cmd_sn: 0x11,
            exp_stat_sn: 0x22,
            cdb: vec![0x2A, 0, 0, 0, 0, 1, 0, 0, 1, 0],
            data: vec![0; 4],
            ..Default::default()
        })
        .encode();
        let b = &cmd.bhs;
        assert_eq!(b[0], 0x01);
        assert_eq!(b[1], 0xA1);
        assert_eq!(&b[5..8], &[0, 0, 4]);
        assert_eq!(&b[8..10], &[0, 2]);
        assert_eq!(&b[16..20], &[0x0A, 0x0B, 0x0C, 0x0D]);
        assert_eq!(get32(b, 20), 0x200);
        assert_eq!(b[32], 0x2A);
        assert_eq!(b[37], 1);
        let login =
            Message::LoginRequest(LoginRequest { transit: true, csg: 1, nsg: 3, ..Default::default() }).encode();
        assert_eq!(login.bhs[0], 0x43, "login requests are immediate");
        assert_eq!(login.bhs[1], 0x87);
    }

    #[test]
    fn short_cdbs_are_zero_padded_and_extended_cdbs_use_an_ahs() {
        let mut long: Vec<u8> = vec![0x7F; 20];
        long[19] = 0xEE;
        let raw = Message::ScsiCommand(ScsiCommand { cdb: long.clone(), ..Default::default() }).encode();
        // AHSLength 5 (reserved byte + 4 CDB bytes), type 1, padded to 8 bytes.
        assert_eq!(raw.ahs, vec![0, 5, 1, 0, 0x7F, 0x7F, 0x7F, 0xEE]);
        assert_eq!(raw.bhs[4], 2);
        let Message::ScsiCommand(back) = Message::decode(&raw).unwrap() else { panic!() };
        assert_eq!(back.cdb, long);
    }

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

    #[test]
    fn residual_of_expected_and_actual() {
        assert_eq!(Residual::of(512, 512), Residual::None);
        assert_eq!(Residual::of(512, 1024), Residual::Overflow(512));
        assert_eq!(Residual::of(1024, 512), Residual::Underflow(512));
        assert_eq!(Residual::of(0, u64::MAX), Residual::Overflow(u32::MAX));
    }

    #[test]
    fn sense_segment_round_trip() {
        let r = ScsiResponse { data: ScsiResponse::sense_segment(&[1, 2, 3]), ..Default::default() };
        assert_eq!(r.sense(), &[1, 2, 3]);
        assert!(ScsiResponse::sense_segment(&[]).is_empty());
        let bad = ScsiResponse { data: vec![0, 9, 1], ..Default::default() };
        assert_eq!(bad.sense(), &[] as &[u8], "a SenseLength past the segment gives no sense");
    }

    #[test]
    fn unknown_opcodes_and_bad_ahs_are_decode_errors() {
        let mut raw = Message::NopOut(NopOut::default()).encode();
        raw.bhs[0] = 0x1C;
        assert_eq!(Message::decode(&raw), Err(DecodeError::UnknownOpcode(0x1C)));
        let mut raw = Message::ScsiCommand(ScsiCommand { cdb: vec![0; 16], ..Default::default() }).encode();
        raw.ahs = vec![0, 9, 1, 0];
        assert!(matches!(Message::decode(&raw), Err(DecodeError::Ahs(_))));
        raw.ahs = vec![0, 1, 7, 0];
        assert!(matches!(Message::decode(&raw), Err(DecodeError::Ahs(_))), "unknown AHS type");
        raw.ahs = vec![0, 0, 1, 0];
        assert!(matches!(Message::decode(&raw), Err(DecodeError::Ahs(_))), "zero AHSLength");
        raw.ahs = vec![0, 2, 2, 0];
        assert!(matches!(Message::decode(&raw), Err(DecodeError::Ahs(_))), "short bidi AHS");
        let mut raw = Message::NopOut(NopOut::default()).encode();
        raw.ahs = vec![0, 1, 1, 0];
        assert!(matches!(Message::decode(&raw), Err(DecodeError::Ahs(_))), "AHS on a NOP-Out");
        let mut raw = Message::ScsiResponse(ScsiResponse::default()).encode();
        raw.bhs[1] |= 0x06;
        assert!(matches!(Message::decode(&raw), Err(DecodeError::Field(_))), "overflow and underflow");
        let mut raw = Message::DataIn(DataIn::default()).encode();
        raw.bhs[1] = 0x01;
        assert!(matches!(Message::decode(&raw), Err(DecodeError::Field(_))), "S without F");
    }

    #[test]
    fn framing_errors() {
        let raw = Message::DataOut(DataOut { data: vec![7; 100], ..Default::default() }).encode();
        let both = Digests { header: true, data: true };
        let bytes = frame(&raw, both);

        // A clean close between PDUs, and a close in the middle of one.
        assert!(matches!(read_pdu(&mut &[][..], both, 1000), Err(ReadError::Closed)));
        for cut in [1, 47, 48, 51, 60, bytes.len() - 1] {
            let e = read_pdu(&mut &bytes[..cut], both, 1000).unwrap_err();
            assert!(matches!(e, ReadError::Io(_)), "cut at {cut}: {e}");
            assert!(!e.recoverable());
        }

        let mut bad_header = bytes.clone();
        bad_header[20] ^= 1;
        let e = read_pdu(&mut &bad_header[..], both, 1000).unwrap_err();
        assert!(matches!(e, ReadError::HeaderDigest { .. }) && !e.recoverable());

        // A data digest error and an over-long segment leave the stream at the next PDU.
        let mut stream = bytes.clone();
        stream[60] ^= 0xFF;
        stream.extend_from_slice(&bytes);
        let mut r = &stream[..];
        let e = read_pdu(&mut r, both, 1000).unwrap_err();
        assert!(matches!(e, ReadError::DataDigest { .. }) && e.recoverable());
        assert_eq!(read_pdu(&mut r, both, 1000).unwrap(), raw);

        let mut stream = bytes.clone();
        stream.extend_from_slice(&bytes);
        let mut r = &stream[..];
        let e = read_pdu(&mut r, both, 99).unwrap_err();
        assert!(matches!(e, ReadError::DataTooLong { length: 100, max: 99, .. }) && e.recoverable());
        assert_eq!(read_pdu(&mut r, both, 100).unwrap(), raw);

        // Without a header digest, the padding of the data segment is consumed too.
        let plain = frame(&raw, Digests::default());
        assert_eq!(plain.len(), 48 + 100);
        let odd = Message::DataOut(DataOut { data: vec![7; 5], ..Default::default() }).encode();
        assert_eq!(frame(&odd, Digests::default()).len(), 48 + 8);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_headers_never_panic(bhs in proptest::collection::vec(proptest::num::u8::ANY, BHS_LEN),
                                         ahs in proptest::collection::vec(proptest::num::u8::ANY, 0..12),
                                         data in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let mut raw = RawPdu { bhs: bhs.try_into().unwrap(), ahs, data };
            raw.ahs.truncate(raw.ahs.len() / 4 * 4);
            if let Ok(m) = Message::decode(&raw) {
                // Whatever decodes re-encodes to something that decodes the same.
                let again = Message::decode(&m.encode()).unwrap();
                proptest::prop_assert_eq!(again, m);
            }
        }

        #[test]
        fn arbitrary_byte_streams_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
                                             header: bool, data: bool) {
            let mut r = &bytes[..];
            for _ in 0..4 {
                if read_pdu(&mut r, Digests { header, data }, 64).is_err() && r.is_empty() {
                    break;
                }
            }
        }
    }
}
