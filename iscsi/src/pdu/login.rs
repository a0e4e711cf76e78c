//! Login Request and Login Response (RFC 7143 §11.12, §11.13): the stages of a login and the text they
//! negotiate. Both carry the stage flags in byte 1 and the ISID, TSIH and ITT in bytes 8–19.

use offload_scsi::Fields;

use super::bhs::{Opcode, SequenceNumbers, bit, flag, header, put16, put32};
use super::codec::{Codec, DecodeError};
use super::framing::RawPdu;

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

impl Codec for LoginRequest {
    const OPCODE: Opcode = Opcode::LoginRequest;

    fn decode(pdu: &RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        Ok(LoginRequest {
            transit: bit(b[1], 0x80),
            cont: bit(b[1], 0x40),
            csg: csg(b[1]),
            nsg: nsg(b[1]),
            version_max: b[2],
            version_min: b[3],
            isid: isid(b),
            tsih: b.be16(14),
            itt: b.be32(16),
            cid: b.be16(20),
            cmd_sn: b.be32(24),
            exp_stat_sn: b.be32(28),
            data: pdu.data.clone(),
        })
    }

    fn encode(&self) -> RawPdu {
        // A Login Request is always immediate.
        let mut b = header(Self::OPCODE, true);
        b[1] = stage_flags(self.transit, self.cont, self.csg, self.nsg);
        b[2] = self.version_max;
        b[3] = self.version_min;
        b[8..14].copy_from_slice(&self.isid);
        put16(&mut b, 14, self.tsih);
        put32(&mut b, 16, self.itt);
        put16(&mut b, 20, self.cid);
        put32(&mut b, 24, self.cmd_sn);
        put32(&mut b, 28, self.exp_stat_sn);
        RawPdu::new(b, self.data.clone())
    }
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
    /// StatSN, ExpCmdSN, MaxCmdSN.
    pub numbers: SequenceNumbers,
    pub status_class: u8,
    pub status_detail: u8,
    pub data: Vec<u8>,
}

impl Codec for LoginResponse {
    const OPCODE: Opcode = Opcode::LoginResponse;

    fn decode(pdu: &RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        Ok(LoginResponse {
            transit: bit(b[1], 0x80),
            cont: bit(b[1], 0x40),
            csg: csg(b[1]),
            nsg: nsg(b[1]),
            version_max: b[2],
            version_active: b[3],
            isid: isid(b),
            tsih: b.be16(14),
            itt: b.be32(16),
            numbers: SequenceNumbers::read(b),
            status_class: b[36],
            status_detail: b[37],
            data: pdu.data.clone(),
        })
    }

    fn encode(&self) -> RawPdu {
        let mut b = header(Self::OPCODE, false);
        b[1] = stage_flags(self.transit, self.cont, self.csg, self.nsg);
        b[2] = self.version_max;
        b[3] = self.version_active;
        b[8..14].copy_from_slice(&self.isid);
        put16(&mut b, 14, self.tsih);
        put32(&mut b, 16, self.itt);
        self.numbers.write(&mut b);
        b[36] = self.status_class;
        b[37] = self.status_detail;
        RawPdu::new(b, self.data.clone())
    }
}

/// Byte 1 of a login PDU: T (transit), C (continue), CSG in bits 3–2, NSG in bits 1–0.
fn stage_flags(transit: bool, cont: bool, csg: u8, nsg: u8) -> u8 {
    flag(transit, 0x80) | flag(cont, 0x40) | ((csg & 3) << 2) | (nsg & 3)
}

/// The current stage in a login PDU's byte 1.
fn csg(flags: u8) -> u8 {
    (flags >> 2) & 3
}

/// The next stage in a login PDU's byte 1.
fn nsg(flags: u8) -> u8 {
    flags & 3
}

/// The ISID, bytes 8–13 (the initiator's half of the session identifier).
fn isid(b: &[u8]) -> [u8; 6] {
    b[8..14].try_into().expect("6 bytes")
}
