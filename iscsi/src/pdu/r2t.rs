//! Ready To Transfer (RFC 7143 §11.8): the target asks for a burst of a write's data.

use offload_scsi::Fields;

use super::bhs::{Opcode, SequenceNumbers, header, put32, put64};
use super::codec::{Codec, DecodeError};
use super::framing::RawPdu;

/// Ready To Transfer (11.8).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct R2t {
    pub lun: u64,
    pub itt: u32,
    pub ttt: u32,
    /// StatSN, ExpCmdSN, MaxCmdSN.
    pub numbers: SequenceNumbers,
    pub r2t_sn: u32,
    pub buffer_offset: u32,
    pub desired_length: u32,
}

impl Codec for R2t {
    const OPCODE: Opcode = Opcode::R2t;

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        Ok(R2t {
            lun: b.be64(8),
            itt: b.be32(16),
            ttt: b.be32(20),
            numbers: SequenceNumbers::read(b),
            r2t_sn: b.be32(36),
            buffer_offset: b.be32(40),
            desired_length: b.be32(44),
        })
    }

    fn encode(&self) -> RawPdu {
        let mut b = header(Self::OPCODE, false);
        b[1] = 0x80;
        put64(&mut b, 8, self.lun);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.ttt);
        self.numbers.write(&mut b);
        put32(&mut b, 36, self.r2t_sn);
        put32(&mut b, 40, self.buffer_offset);
        put32(&mut b, 44, self.desired_length);
        RawPdu::new(b, Vec::new())
    }
}
