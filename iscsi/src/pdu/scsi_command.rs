//! SCSI Command (RFC 7143 §11.3): the one PDU that carries Additional Header Segments — the rest of a CDB
//! longer than 16 bytes, and the Expected Bidirectional Read Data Length.

use offload_scsi::Fields;

use super::bhs::{Opcode, bit, flag, header, put32, put64};
use super::codec::{Codec, DecodeError};
use super::framing::{RawPdu, pad4};

/// Largest CDB: 16 bytes in the BHS plus an extended-CDB AHS (SPC-4 variable-length CDBs are at most 260).
pub const MAX_CDB_LEN: usize = 260;

/// AHSType of an extended CDB.
const EXTENDED_CDB: u8 = 1;
/// AHSType of an Expected Bidirectional Read Data Length.
const BIDI_READ_LENGTH: u8 = 2;

/// SCSI Command (11.3).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScsiCommand {
    pub immediate: bool,
    /// F: no unsolicited Data-Out PDUs follow.
    pub final_: bool,
    pub read: bool,
    pub write: bool,
    /// Task attribute: 0 untagged, 1 simple, 2 ordered, 3 head of queue, 4 ACA.
    pub attr: u8,
    pub lun: u64,
    pub itt: u32,
    /// Expected Data Transfer Length (for a bidirectional command, of the write part).
    pub edtl: u32,
    pub cmd_sn: u32,
    pub exp_stat_sn: u32,
    /// The whole CDB: 16 bytes from the BHS (trailing zeros kept) plus any extended-CDB AHS.
    pub cdb: Vec<u8>,
    /// Expected Bidirectional Read Data Length AHS.
    pub bidi_read_length: Option<u32>,
    /// Immediate data.
    pub data: Vec<u8>,
}

impl Codec for ScsiCommand {
    const OPCODE: Opcode = Opcode::ScsiCommand;

    fn decode(pdu: RawPdu) -> Result<Self, DecodeError> {
        let b = &pdu.bhs;
        let f = b[1];
        let mut cdb = b[32..48].to_vec();
        let mut bidi_read_length = None;
        for (kind, specific) in ahs_segments(&pdu.ahs)? {
            match kind {
                EXTENDED_CDB => {
                    if cdb.len() > 16 {
                        return Err(DecodeError::Ahs("two extended-CDB AHS"));
                    }
                    if 16 + specific.len() > MAX_CDB_LEN {
                        return Err(DecodeError::Ahs("extended CDB longer than 260 bytes"));
                    }
                    cdb.extend_from_slice(specific);
                }
                BIDI_READ_LENGTH => {
                    if specific.len() != 4 || bidi_read_length.is_some() {
                        return Err(DecodeError::Ahs("bidirectional read length AHS must be 4 bytes, once"));
                    }
                    bidi_read_length = Some(specific.be32(0));
                }
                _ => return Err(DecodeError::Ahs("unknown AHS type")),
            }
        }
        Ok(ScsiCommand {
            immediate: pdu.immediate(),
            final_: bit(f, 0x80),
            read: bit(f, 0x40),
            write: bit(f, 0x20),
            attr: f & 0x07,
            lun: b.be64(8),
            itt: b.be32(16),
            edtl: b.be32(20),
            cmd_sn: b.be32(24),
            exp_stat_sn: b.be32(28),
            cdb,
            bidi_read_length,
            data: pdu.data,
        })
    }

    fn encode(&self) -> RawPdu {
        let mut b = header(Self::OPCODE, self.immediate);
        b[1] = flag(self.final_, 0x80) | flag(self.read, 0x40) | flag(self.write, 0x20) | (self.attr & 7);
        put64(&mut b, 8, self.lun);
        put32(&mut b, 16, self.itt);
        put32(&mut b, 20, self.edtl);
        put32(&mut b, 24, self.cmd_sn);
        put32(&mut b, 28, self.exp_stat_sn);
        let head = self.cdb.len().min(16);
        b[32..32 + head].copy_from_slice(&self.cdb[..head]);
        let mut ahs = Vec::new();
        if self.cdb.len() > 16 {
            push_ahs(&mut ahs, EXTENDED_CDB, &self.cdb[16..]);
        }
        if let Some(len) = self.bidi_read_length {
            push_ahs(&mut ahs, BIDI_READ_LENGTH, &len.to_be_bytes());
        }
        RawPdu::with_ahs(b, ahs, self.data.clone())
    }
}

/// Splits AHS bytes into (type, specific bytes after the reserved/type-specific byte 3).
fn ahs_segments(ahs: &[u8]) -> Result<Vec<(u8, &[u8])>, DecodeError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < ahs.len() {
        if at + 3 > ahs.len() {
            return Err(DecodeError::Ahs("truncated AHS header"));
        }
        let len = usize::from(ahs.be16(at));
        let kind = ahs[at + 2];
        // AHSLength counts the AHS-specific bytes (byte 3 onwards), without type, length and padding.
        let end = at + 3 + len;
        if len == 0 || end > ahs.len() {
            return Err(DecodeError::Ahs("AHSLength runs past TotalAHSLength"));
        }
        out.push((kind, &ahs[at + 4..end]));
        at = end + pad4(3 + len);
    }
    Ok(out)
}

/// Appends one AHS: its length, type, the reserved byte, the specific bytes and the padding.
fn push_ahs(ahs: &mut Vec<u8>, kind: u8, specific: &[u8]) {
    let len = specific.len() + 1;
    ahs.extend_from_slice(&(len as u16).to_be_bytes());
    ahs.push(kind);
    ahs.push(0);
    ahs.extend_from_slice(specific);
    ahs.resize(ahs.len() + pad4(3 + len), 0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdu::Message;

    #[test]
    fn short_cdbs_are_zero_padded_and_extended_cdbs_use_an_ahs() {
        let mut long: Vec<u8> = vec![0x7F; 20];
        long[19] = 0xEE;
        let raw = Message::ScsiCommand(ScsiCommand { cdb: long.clone(), ..Default::default() }).encode();
        // AHSLength 5 (reserved byte + 4 CDB bytes), type 1, padded to 8 bytes.
        assert_eq!(raw.ahs, vec![0, 5, 1, 0, 0x7F, 0x7F, 0x7F, 0xEE]);
        assert_eq!(raw.bhs[4], 2);
        let Message::ScsiCommand(back) = Message::decode(raw).unwrap() else { panic!() };
        assert_eq!(back.cdb, long);
    }
}
