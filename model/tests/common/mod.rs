//! Helpers shared by the integration tests: CDB builders written from the SBC-4/SPC-4 layouts (not
//! from the model's own tables), an independent sense-data reader, and target constructors.
#![allow(dead_code)]

use offload_model::config::{TargetConfig, UnitConfig};
use offload_model::scsi::{Request, Response, Target};

pub const HOST: &str = "iqn.2026-11.test:host-a";
pub const OTHER_HOST: &str = "iqn.2026-11.test:host-b";

/// A target with `units` thin units of `blocks` blocks of `block_size` bytes.
pub fn target_with(units: usize, blocks: u64, block_size: u32) -> Target {
    let unit = UnitConfig { blocks, block_size, ..UnitConfig::default() };
    Target::new(TargetConfig { units: vec![unit; units], ..TargetConfig::default() }).expect("valid config")
}

/// Two thin 512-byte-block units of 4096 blocks.
pub fn small_target() -> Target {
    target_with(2, 4096, 512)
}

pub fn request(lun: u16, cdb: Vec<u8>, data_out: Vec<u8>) -> Request {
    Request { initiator: HOST.to_owned(), lun, cdb, data_out }
}

pub fn run(t: &mut Target, lun: u16, cdb: Vec<u8>, data_out: Vec<u8>) -> Response {
    t.execute(&request(lun, cdb, data_out))
}

/// Runs a command that must succeed and returns its data-in.
pub fn good(t: &mut Target, lun: u16, cdb: Vec<u8>, data_out: Vec<u8>) -> Vec<u8> {
    let r = run(t, lun, cdb.clone(), data_out);
    assert_eq!(r.status, 0, "expected GOOD for {cdb:02x?}, got sense {:02x?}", r.sense);
    r.data_in
}

/// The fields of sense data, read independently of the model's sense module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub key: u8,
    pub asc: u8,
    pub ascq: u8,
    /// INFORMATION when VALID is set.
    pub information: Option<u64>,
    pub command_specific: u64,
    /// (C/D or SD bit, field pointer, bit pointer) when SKSV is set.
    pub field_pointer: Option<(bool, u16, Option<u8>)>,
}

/// Reads fixed-format (70h) or descriptor-format (72h) sense.
pub fn decode(sense: &[u8]) -> Decoded {
    match sense[0] & 0x7F {
        0x70 => {
            assert!(sense.len() >= 18 && usize::from(sense[7]) + 8 == sense.len(), "fixed sense length");
            let sks = (sense[15] & 0x80 != 0).then(|| {
                let flag = sense[15] & 0x60 != 0;
                let bit = (sense[15] & 0x08 != 0).then_some(sense[15] & 7);
                (flag, u16::from_be_bytes([sense[16], sense[17]]), bit)
            });
            Decoded {
                key: sense[2] & 0xF,
                asc: sense[12],
                ascq: sense[13],
                information: (sense[0] & 0x80 != 0)
                    .then(|| u64::from(u32::from_be_bytes(sense[3..7].try_into().unwrap()))),
                command_specific: u64::from(u32::from_be_bytes(sense[8..12].try_into().unwrap())),
                field_pointer: sks,
            }
        }
        0x72 => {
            assert_eq!(usize::from(sense[7]) + 8, sense.len(), "descriptor sense length");
            let mut d = Decoded {
                key: sense[1] & 0xF,
                asc: sense[2],
                ascq: sense[3],
                information: None,
                command_specific: 0,
                field_pointer: None,
            };
            let mut at = 8;
            while at < sense.len() {
                let (kind, len) = (sense[at], usize::from(sense[at + 1]));
                let body = &sense[at..at + 2 + len];
                match kind {
                    0x00 => d.information = Some(u64::from_be_bytes(body[4..12].try_into().unwrap())),
                    0x01 => d.command_specific = u64::from_be_bytes(body[4..12].try_into().unwrap()),
                    0x02 => {
                        let bit = (body[4] & 0x08 != 0).then_some(body[4] & 7);
                        d.field_pointer = Some((body[4] & 0x60 != 0, u16::from_be_bytes([body[5], body[6]]), bit));
                    }
                    _ => {}
                }
                at += 2 + len;
            }
            d
        }
        other => panic!("unknown sense response code {other:#x}"),
    }
}

/// Runs a command that must fail and returns its decoded sense.
pub fn check(t: &mut Target, lun: u16, cdb: Vec<u8>, data_out: Vec<u8>) -> Decoded {
    let r = run(t, lun, cdb.clone(), data_out);
    assert_eq!(r.status, 2, "expected CHECK CONDITION for {cdb:02x?}");
    decode(&r.sense)
}

/// Asserts key/ASC/ASCQ.
#[track_caller]
pub fn assert_sense(d: &Decoded, key: u8, asc: u8, ascq: u8) {
    assert_eq!((d.key, d.asc, d.ascq), (key, asc, ascq), "sense {d:?}");
}

/// Asserts an INVALID FIELD IN CDB pointing at `byte` (and `bit`).
#[track_caller]
pub fn assert_invalid_cdb_field(d: &Decoded, byte: u16, bit: Option<u8>) {
    assert_sense(d, 5, 0x24, 0);
    assert_eq!(d.field_pointer, Some((true, byte, bit)), "field pointer of {d:?}");
}

pub use offload_vectors::cdb::*;

/// The unit's NAA designator as VPD page 83h reports it (16 bytes).
pub fn naa_of(t: &mut Target, lun: u16) -> Vec<u8> {
    let page = good(t, lun, inquiry(true, 0x83, 255), vec![]);
    assert_eq!(&page[4..8], &[0x01, 0x03, 0x00, 0x10], "one binary LU NAA designator");
    page[8..24].to_vec()
}

/// A deterministic block pattern: every byte a function of the LBA and offset.
pub fn pattern(lba: u64, block_size: usize, salt: u8) -> Vec<u8> {
    (0..block_size).map(|i| (lba as u8).wrapping_mul(31).wrapping_add(i as u8).wrapping_add(salt) | 1).collect()
}

/// Writes `pattern` blocks `lba .. lba + n` of unit `lun` with WRITE(16).
pub fn fill_pattern(t: &mut Target, lun: u16, lba: u64, n: u32, block_size: usize, salt: u8) {
    let data: Vec<u8> = (lba..lba + u64::from(n)).flat_map(|l| pattern(l, block_size, salt)).collect();
    good(t, lun, write16(lba, n), data);
}

/// Reads blocks with READ(16).
pub fn read_blocks(t: &mut Target, lun: u16, lba: u64, n: u32) -> Vec<u8> {
    good(t, lun, read16(lba, n), vec![])
}
