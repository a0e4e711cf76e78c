//! Reject (RFC 7143 §11.17): the target refuses a PDU, returning its header, and names the reason — one of
//! the constants here (§11.17.1).

use offload_scsi::Fields;

use super::bhs::{Opcode, RESERVED_TAG, SequenceNumbers, header, put32};
use super::codec::{Codec, DecodeError};
use super::framing::RawPdu;

pub const DATA_DIGEST_ERROR: u8 = 0x02;
pub const SNACK_REJECT: u8 = 0x03;
pub const PROTOCOL_ERROR: u8 = 0x04;
pub const COMMAND_NOT_SUPPORTED: u8 = 0x05;
pub const IMMEDIATE_COMMAND_REJECT: u8 = 0x06;
pub const TASK_IN_PROGRESS: u8 = 0x07;
pub const INVALID_PDU_FIELD: u8 = 0x09;
pub const WAITING_FOR_LOGOUT: u8 = 0x0C;

/// Reject (11.17).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reject {
    /// 02h data digest error, 03h SNACK reject, 04h protocol error, 05h command not supported, 06h
    /// immediate command reject, 07h task in progress, 08h invalid data ack, 09h invalid PDU field, 0Ah
    /// long operation reject, 0Bh deprecated, 0Ch waiting for logout.
    pub reason: u8,
    /// StatSN, ExpCmdSN, MaxCmdSN.
    pub numbers: SequenceNumbers,
    pub data_sn: u32,
    /// The rejected PDU's header.
    pub data: Vec<u8>,
}

impl Codec for Reject {
    const OPCODE: Opcode = Opcode::Reject;

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        Ok(Reject { reason: b[2], numbers: SequenceNumbers::read(b), data_sn: b.be32(36), data: pdu.data })
    }

    fn encode(&self) -> RawPdu {
        let mut b = header(Self::OPCODE, false);
        b[1] = 0x80;
        b[2] = self.reason;
        // Bytes 16–19 are the ITT field; the task the rejected PDU named is in its header, in the data.
        put32(&mut b, 16, RESERVED_TAG);
        self.numbers.write(&mut b);
        put32(&mut b, 36, self.data_sn);
        RawPdu::new(b, self.data.clone())
    }
}
