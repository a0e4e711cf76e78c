//! NOP-Out and NOP-In (RFC 7143 §11.18, §11.19): a ping and its echo, either side asking.

use offload_scsi::Fields;

use super::bhs::{Opcode, SequenceNumbers, header, put32, put64};
use super::codec::{Codec, DecodeError};
use super::framing::RawPdu;

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

impl Codec for NopOut {
    const OPCODE: Opcode = Opcode::NopOut;

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        Ok(NopOut {
            immediate: pdu.immediate(),
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
        b[1] = 0x80;
        put64(&mut b, 8, self.lun);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.ttt);
        put32(&mut b, 24, self.cmd_sn);
        put32(&mut b, 28, self.exp_stat_sn);
        RawPdu::new(b, self.data.clone())
    }
}

/// NOP-In (11.19).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NopIn {
    pub lun: u64,
    pub itt: u32,
    pub ttt: u32,
    /// StatSN, ExpCmdSN, MaxCmdSN.
    pub numbers: SequenceNumbers,
    pub data: Vec<u8>,
}

impl Codec for NopIn {
    const OPCODE: Opcode = Opcode::NopIn;

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        Ok(NopIn {
            lun: b.be64(8),
            itt: b.be32(16),
            ttt: b.be32(20),
            numbers: SequenceNumbers::read(b),
            data: pdu.data,
        })
    }

    fn encode(&self) -> RawPdu {
        let mut b = header(Self::OPCODE, false);
        b[1] = 0x80;
        put64(&mut b, 8, self.lun);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.ttt);
        self.numbers.write(&mut b);
        RawPdu::new(b, self.data.clone())
    }
}
