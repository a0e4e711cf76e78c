//! SCSI Data-Out and Data-In (RFC 7143 §11.7): a command's data, one burst at a time; a Data-In may carry
//! the command's status too (phase collapse).

use offload_scsi::Fields;

use super::bhs::{BHS_LEN, Opcode, SequenceNumbers, bit, flag, header, put32, put64};
use super::codec::{Codec, DecodeError};
use super::framing::RawPdu;
use super::residual::Residual;

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

impl DataOut {
    /// The fields of a Data-Out header, without its data: every header decodes, so a receiver can place
    /// the data segment by them before reading it.
    pub fn from_header(b: &[u8; BHS_LEN]) -> DataOut {
        DataOut {
            final_: bit(b[1], 0x80),
            lun: b.be64(8),
            itt: b.be32(16),
            ttt: b.be32(20),
            exp_stat_sn: b.be32(28),
            data_sn: b.be32(36),
            buffer_offset: b.be32(40),
            data: Vec::new(),
        }
    }
}

impl Codec for DataOut {
    const OPCODE: Opcode = Opcode::DataOut;

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
        Ok(DataOut { data: pdu.data, ..DataOut::from_header(&pdu.bhs) })
    }

    fn encode(&self) -> RawPdu {
        let mut b = header(Self::OPCODE, false);
        b[1] = flag(self.final_, 0x80);
        put64(&mut b, 8, self.lun);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.ttt);
        put32(&mut b, 28, self.exp_stat_sn);
        put32(&mut b, 36, self.data_sn);
        put32(&mut b, 40, self.buffer_offset);
        RawPdu::new(b, self.data.clone())
    }
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
    /// StatSN, ExpCmdSN, MaxCmdSN.
    pub numbers: SequenceNumbers,
    pub data_sn: u32,
    pub buffer_offset: u32,
    pub data: Vec<u8>,
}

impl Codec for DataIn {
    const OPCODE: Opcode = Opcode::DataIn;

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        let f = b[1];
        let has_status = bit(f, 0x01);
        if has_status && !bit(f, 0x80) {
            return Err(DecodeError::Field("Data-In with S set must have F set"));
        }
        Ok(DataIn {
            final_: bit(f, 0x80),
            ack: bit(f, 0x40),
            status: has_status.then_some(b[3]),
            residual: Residual::from_flags(f, 0x04, 0x02, b.be32(44))?,
            lun: b.be64(8),
            itt: b.be32(16),
            ttt: b.be32(20),
            numbers: SequenceNumbers::read(b),
            data_sn: b.be32(36),
            buffer_offset: b.be32(40),
            data: pdu.data,
        })
    }

    fn encode(&self) -> RawPdu {
        let mut b = header(Self::OPCODE, false);
        b[1] = flag(self.final_, 0x80)
            | flag(self.ack, 0x40)
            | flag(self.status.is_some(), 0x01)
            | self.residual.flags(0x04, 0x02);
        b[3] = self.status.unwrap_or(0);
        put64(&mut b, 8, self.lun);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.ttt);
        self.numbers.write(&mut b);
        put32(&mut b, 36, self.data_sn);
        put32(&mut b, 40, self.buffer_offset);
        put32(&mut b, 44, self.residual.count());
        RawPdu::new(b, self.data.clone())
    }
}
