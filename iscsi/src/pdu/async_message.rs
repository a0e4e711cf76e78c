//! Asynchronous Message (RFC 7143 §11.9): an event the target reports unasked.

use offload_scsi::Fields;

use super::bhs::{Opcode, RESERVED_TAG, SequenceNumbers, header, put16, put32, put64};
use super::codec::{Codec, DecodeError};
use super::framing::RawPdu;

/// Asynchronous Message (11.9).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AsyncMessage {
    pub lun: u64,
    /// StatSN, ExpCmdSN, MaxCmdSN.
    pub numbers: SequenceNumbers,
    /// 0 SCSI async event, 1 logout requested, 2 connection drop, 3 session drop, 4 renegotiate.
    pub event: u8,
    pub vcode: u8,
    pub parameters: [u16; 3],
    pub data: Vec<u8>,
}

impl Codec for AsyncMessage {
    const OPCODE: Opcode = Opcode::AsyncMessage;

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        Ok(AsyncMessage {
            lun: b.be64(8),
            numbers: SequenceNumbers::read(b),
            event: b[36],
            vcode: b[37],
            parameters: [b.be16(38), b.be16(40), b.be16(42)],
            data: pdu.data,
        })
    }

    fn encode(&self) -> RawPdu {
        let mut b = header(Self::OPCODE, false);
        b[1] = 0x80;
        put64(&mut b, 8, self.lun);
        // Bytes 16–19 are the ITT field; an asynchronous message answers no task.
        put32(&mut b, 16, RESERVED_TAG);
        self.numbers.write(&mut b);
        b[36] = self.event;
        b[37] = self.vcode;
        put16(&mut b, 38, self.parameters[0]);
        put16(&mut b, 40, self.parameters[1]);
        put16(&mut b, 42, self.parameters[2]);
        RawPdu::new(b, self.data.clone())
    }
}
