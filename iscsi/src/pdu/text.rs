//! Text Request and Text Response (RFC 7143 §11.10, §11.11): `key=value` text in the full feature phase,
//! a long exchange continued over several PDUs (C bit, Target Transfer Tag).

use offload_scsi::Fields;

use super::bhs::{Opcode, SequenceNumbers, bit, flag, header, put32, put64};
use super::codec::{Codec, DecodeError};
use super::framing::RawPdu;

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

impl Codec for TextRequest {
    const OPCODE: Opcode = Opcode::TextRequest;

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        Ok(TextRequest {
            immediate: pdu.immediate(),
            final_: bit(b[1], 0x80),
            cont: bit(b[1], 0x40),
            lun: b.be64(8),
            itt: b.be32(16),
            ttt: b.be32(20),
            cmd_sn: b.be32(24),
            exp_stat_sn: b.be32(28),
            data: pdu.data,
        })
    }

    fn encode(&self) -> RawPdu {
        let mut b = header(Self::OPCODE, self.immediate);
        b[1] = flag(self.final_, 0x80) | flag(self.cont, 0x40);
        put64(&mut b, 8, self.lun);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.ttt);
        put32(&mut b, 24, self.cmd_sn);
        put32(&mut b, 28, self.exp_stat_sn);
        RawPdu::new(b, self.data.clone())
    }
}

/// Text Response (11.11).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextResponse {
    pub final_: bool,
    pub cont: bool,
    pub lun: u64,
    pub itt: u32,
    pub ttt: u32,
    /// StatSN, ExpCmdSN, MaxCmdSN.
    pub numbers: SequenceNumbers,
    pub data: Vec<u8>,
}

impl Codec for TextResponse {
    const OPCODE: Opcode = Opcode::TextResponse;

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        Ok(TextResponse {
            final_: bit(b[1], 0x80),
            cont: bit(b[1], 0x40),
            lun: b.be64(8),
            itt: b.be32(16),
            ttt: b.be32(20),
            numbers: SequenceNumbers::read(b),
            data: pdu.data,
        })
    }

    fn encode(&self) -> RawPdu {
        let mut b = header(Self::OPCODE, false);
        b[1] = flag(self.final_, 0x80) | flag(self.cont, 0x40);
        put64(&mut b, 8, self.lun);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.ttt);
        self.numbers.write(&mut b);
        RawPdu::new(b, self.data.clone())
    }
}
