//! Logout Request and Logout Response (RFC 7143 §11.14, §11.15): closing a session or a connection.

use offload_scsi::Fields;

use super::bhs::{Opcode, SequenceNumbers, header, put16, put32};
use super::codec::{Codec, DecodeError};
use super::framing::RawPdu;

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

impl Codec for LogoutRequest {
    const OPCODE: Opcode = Opcode::LogoutRequest;

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        Ok(LogoutRequest {
            immediate: pdu.immediate(),
            reason: b[1] & 0x7F,
            itt: b.be32(16),
            cid: b.be16(20),
            cmd_sn: b.be32(24),
            exp_stat_sn: b.be32(28),
        })
    }

    fn encode(&self) -> RawPdu {
        let mut b = header(Self::OPCODE, self.immediate);
        b[1] = 0x80 | (self.reason & 0x7F);
        put32(&mut b, 16, self.itt);
        put16(&mut b, 20, self.cid);
        put32(&mut b, 24, self.cmd_sn);
        put32(&mut b, 28, self.exp_stat_sn);
        RawPdu::new(b, Vec::new())
    }
}

/// Logout Response (11.15).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogoutResponse {
    /// 0 closed, 1 CID not found, 2 connection recovery not supported, 3 cleanup failed.
    pub response: u8,
    pub itt: u32,
    /// StatSN, ExpCmdSN, MaxCmdSN.
    pub numbers: SequenceNumbers,
    pub time2wait: u16,
    pub time2retain: u16,
}

impl Codec for LogoutResponse {
    const OPCODE: Opcode = Opcode::LogoutResponse;

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        Ok(LogoutResponse {
            response: b[2],
            itt: b.be32(16),
            numbers: SequenceNumbers::read(b),
            time2wait: b.be16(40),
            time2retain: b.be16(42),
        })
    }

    fn encode(&self) -> RawPdu {
        let mut b = header(Self::OPCODE, false);
        b[1] = 0x80;
        b[2] = self.response;
        put32(&mut b, 16, self.itt);
        self.numbers.write(&mut b);
        put16(&mut b, 40, self.time2wait);
        put16(&mut b, 42, self.time2retain);
        RawPdu::new(b, Vec::new())
    }
}
