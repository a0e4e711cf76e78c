//! SNACK Request (RFC 7143 §11.16): the initiator asks again for PDUs it missed (error recovery level 1 and
//! up; this target rejects it).

use offload_scsi::Fields;

use super::bhs::{Opcode, header, put32, put64};
use super::codec::{Codec, DecodeError};
use super::framing::RawPdu;

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

impl Codec for SnackRequest {
    const OPCODE: Opcode = Opcode::SnackRequest;

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        Ok(SnackRequest {
            kind: b[1] & 0x0F,
            lun: b.be64(8),
            itt: b.be32(16),
            ttt: b.be32(20),
            exp_stat_sn: b.be32(28),
            beg_run: b.be32(40),
            run_length: b.be32(44),
        })
    }

    fn encode(&self) -> RawPdu {
        let mut b = header(Self::OPCODE, false);
        b[1] = 0x80 | (self.kind & 0x0F);
        put64(&mut b, 8, self.lun);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.ttt);
        put32(&mut b, 28, self.exp_stat_sn);
        put32(&mut b, 40, self.beg_run);
        put32(&mut b, 44, self.run_length);
        RawPdu::new(b, Vec::new())
    }
}
