//! Login Request and Login Response (RFC 7143 §11.12, §11.13): the stages of a login and the text they
//! negotiate. Both carry the stage flags in byte 1 and the ISID, TSIH and ITT in bytes 8–19.
//!
//! Their Debug output (the `-v` PDU log) shows the login text as text, with the values of CHAP_C and
//! CHAP_R left out: a logged challenge and its response are what an offline dictionary attack on the
//! secret needs. (Secrets themselves never travel.)

use std::fmt;

use offload_scsi::Fields;

use super::bhs::{Opcode, SequenceNumbers, bit, flag, header, put16, put32};
use super::codec::{Codec, DecodeError};
use super::framing::RawPdu;

/// Login Request (11.12).
#[derive(Clone, Default, PartialEq, Eq)]
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

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
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
            data: pdu.data,
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
#[derive(Clone, Default, PartialEq, Eq)]
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

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
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
            data: pdu.data,
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

/// Login text for the log: `key=value` pairs, the CHAP challenges and responses replaced by their length.
struct LoginText<'a>(&'a [u8]);

/// Keys whose values the log leaves out.
const UNLOGGED: [&[u8]; 2] = [b"CHAP_C", b"CHAP_R"];

impl fmt::Debug for LoginText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for item in self.0.split(|&b| b == 0).filter(|item| !item.is_empty()) {
            let key = item.split(|&b| b == b'=').next().unwrap_or_default();
            if UNLOGGED.contains(&key) {
                let length = item.len().saturating_sub(key.len() + 1);
                list.entry(&format_args!("{}=<{length} characters>", String::from_utf8_lossy(key)));
            } else {
                list.entry(&String::from_utf8_lossy(item));
            }
        }
        list.finish()
    }
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("transit", &self.transit)
            .field("cont", &self.cont)
            .field("csg", &self.csg)
            .field("nsg", &self.nsg)
            .field("version_max", &self.version_max)
            .field("version_min", &self.version_min)
            .field("isid", &self.isid)
            .field("tsih", &self.tsih)
            .field("itt", &self.itt)
            .field("cid", &self.cid)
            .field("cmd_sn", &self.cmd_sn)
            .field("exp_stat_sn", &self.exp_stat_sn)
            .field("data", &LoginText(&self.data))
            .finish()
    }
}

impl fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginResponse")
            .field("transit", &self.transit)
            .field("cont", &self.cont)
            .field("csg", &self.csg)
            .field("nsg", &self.nsg)
            .field("version_max", &self.version_max)
            .field("version_active", &self.version_active)
            .field("isid", &self.isid)
            .field("tsih", &self.tsih)
            .field("itt", &self.itt)
            .field("numbers", &self.numbers)
            .field("status_class", &self.status_class)
            .field("status_detail", &self.status_detail)
            .field("data", &LoginText(&self.data))
            .finish()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_shows_login_text_without_chap_challenges_and_responses() {
        let data = b"CHAP_N=host-a\0CHAP_R=0x6b30b155ecc3c5396e041bc3a3a30e48\0CHAP_I=7\0CHAP_C=0b3q2+7w==\0".to_vec();
        let request = format!("{:?}", LoginRequest { data: data.clone(), ..Default::default() });
        let response = format!("{:?}", LoginResponse { data, ..Default::default() });
        for printed in [request, response] {
            assert!(printed.contains(r#""CHAP_N=host-a""#) && printed.contains(r#""CHAP_I=7""#), "{printed}");
            assert!(
                printed.contains("CHAP_R=<34 characters>") && printed.contains("CHAP_C=<10 characters>"),
                "{printed}"
            );
            assert!(!printed.contains("6b30b1") && !printed.contains("3q2+7w"), "{printed}");
        }
    }
}
