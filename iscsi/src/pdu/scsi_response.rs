//! SCSI Response (RFC 7143 §11.4): a command's status, residuals and sense.

use offload_scsi::Fields;

use super::bhs::{Opcode, SequenceNumbers, header, put32};
use super::codec::{Codec, DecodeError};
use super::framing::RawPdu;
use super::residual::Residual;

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
    /// StatSN, ExpCmdSN, MaxCmdSN.
    pub numbers: SequenceNumbers,
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
        let len = usize::from(self.data.be16(0));
        self.data.get(2..2 + len).unwrap_or(&[])
    }
}

impl Codec for ScsiResponse {
    const OPCODE: Opcode = Opcode::ScsiResponse;

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        Ok(ScsiResponse {
            bidi_residual: Residual::from_flags(b[1], 0x10, 0x08, b.be32(40))?,
            residual: Residual::from_flags(b[1], 0x04, 0x02, b.be32(44))?,
            response: b[2],
            status: b[3],
            itt: b.be32(16),
            snack_tag: b.be32(20),
            numbers: SequenceNumbers::read(b),
            exp_data_sn: b.be32(36),
            data: pdu.data,
        })
    }

    fn encode(&self) -> RawPdu {
        let mut b = header(Self::OPCODE, false);
        b[1] = 0x80 | self.bidi_residual.flags(0x10, 0x08) | self.residual.flags(0x04, 0x02);
        b[2] = self.response;
        b[3] = self.status;
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.snack_tag);
        self.numbers.write(&mut b);
        put32(&mut b, 36, self.exp_data_sn);
        put32(&mut b, 40, self.bidi_residual.count());
        put32(&mut b, 44, self.residual.count());
        RawPdu::new(b, self.data.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sense_segment_round_trip() {
        let r = ScsiResponse { data: ScsiResponse::sense_segment(&[1, 2, 3]), ..Default::default() };
        assert_eq!(r.sense(), &[1, 2, 3]);
        assert!(ScsiResponse::sense_segment(&[]).is_empty());
        let bad = ScsiResponse { data: vec![0, 9, 1], ..Default::default() };
        assert_eq!(bad.sense(), &[] as &[u8], "a SenseLength past the segment gives no sense");
    }
}
