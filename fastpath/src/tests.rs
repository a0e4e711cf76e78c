//! Command-level tests: every command's success and error paths, with expected values from SBC-4/SPC-4
//! (byte layouts, sense codes, field pointers), the project's decisions (shared/SCSI-NOTES.md, the model's
//! README) and the exact sense bytes the model's snapshot records; data is checked against independent
//! computations (`copy_within` for overlapping copies, patterns).

extern crate std;

use std::format;
use std::string::String;
use std::vec;
use std::vec::Vec;

use crate::{FastPath, Limits, Provisioning, Unit};

// ---- a target over owned memory ----

struct Spec {
    block_size: u32,
    /// This unit's D_SENSE when it differs from the rig's.
    descriptor_sense: Option<bool>,
    write_protected: bool,
    bad_blocks: Vec<u64>,
    naa: [u8; 16],
}

struct Rig {
    units: Vec<(Vec<u8>, Option<Vec<u8>>, Spec)>,
    limits: Limits,
    descriptor_sense: bool,
    access: fn(&[u8], u16) -> bool,
}

#[derive(Debug)]
struct Out {
    status: u8,
    sense: Vec<u8>,
    data_in: Vec<u8>,
    handled: bool,
}

const HOST: &str = "iqn.2026-11.test:host-a";
const OTHER: &str = "iqn.2026-11.test:host-b";

/// An NAA-6 designator for unit `lun`.
fn naa(lun: u16) -> [u8; 16] {
    let mut n = [0u8; 16];
    n[..8].copy_from_slice(&0x60A0_FF10_0FF1_0AD0u64.wrapping_add(u64::from(lun)).to_be_bytes());
    n[8..].copy_from_slice(&u64::from(lun).to_be_bytes());
    n
}

fn allow_all(_: &[u8], _: u16) -> bool {
    true
}

/// HOST reaches only LUN 0; everyone else reaches every unit.
fn host_lun0_only(initiator: &[u8], lun: u16) -> bool {
    initiator != HOST.as_bytes() || lun == 0
}

impl Rig {
    /// Units of (blocks, block size, thin).
    fn new(units: &[(u64, u32, bool)]) -> Self {
        let units = units
            .iter()
            .enumerate()
            .map(|(i, &(blocks, block_size, thin))| {
                let data = vec![0u8; (blocks * u64::from(block_size)) as usize];
                let provisioning = thin.then(|| vec![0u8; Unit::provisioning_bytes(blocks)]);
                let spec = Spec {
                    block_size,
                    descriptor_sense: None,
                    write_protected: false,
                    bad_blocks: Vec::new(),
                    naa: naa(i as u16),
                };
                (data, provisioning, spec)
            })
            .collect();
        Rig { units, limits: Limits::default(), descriptor_sense: false, access: allow_all }
    }

    /// Two thin units of 4096 × 512-byte blocks.
    fn small() -> Self {
        Rig::new(&[(4096, 512, true), (4096, 512, true)])
    }

    fn run_as(&mut self, initiator: &str, lun: u16, cdb: &[u8], data_out: &[u8]) -> Out {
        let mut units: Vec<Unit<'_>> = self
            .units
            .iter_mut()
            .map(|(data, provisioning, spec)| Unit {
                data: &mut data[..],
                block_size: spec.block_size,
                write_protected: spec.write_protected,
                naa: spec.naa,
                provisioning: provisioning.as_deref_mut(),
                bad_blocks: &spec.bad_blocks,
                descriptor_sense: spec.descriptor_sense.unwrap_or(self.descriptor_sense),
            })
            .collect();
        let mut fp = FastPath::new(&mut units, self.limits.clone(), self.descriptor_sense, self.access).unwrap();
        let mut data_in = vec![0u8; 8 << 20];
        let r = fp.execute(initiator.as_bytes(), lun, cdb, data_out, &mut data_in);
        if !r.handled {
            assert_eq!((r.status, r.data_in_len, r.sense.len()), (0, 0, 0), "an unhandled reply is empty");
        }
        if r.status != 0 {
            assert_eq!(r.data_in_len, 0, "CHECK CONDITION carries no data-in");
        }
        data_in.truncate(r.data_in_len);
        Out { status: r.status, sense: r.sense().to_vec(), data_in, handled: r.handled }
    }

    fn run(&mut self, lun: u16, cdb: &[u8], data_out: &[u8]) -> Out {
        self.run_as(HOST, lun, cdb, data_out)
    }

    #[track_caller]
    fn good(&mut self, lun: u16, cdb: &[u8], data_out: &[u8]) -> Vec<u8> {
        let r = self.run(lun, cdb, data_out);
        assert!(r.handled && r.status == 0, "expected GOOD for {cdb:02x?}, got {}", hex(&r.sense));
        r.data_in
    }

    #[track_caller]
    fn check(&mut self, lun: u16, cdb: &[u8], data_out: &[u8]) -> Decoded {
        let r = self.run(lun, cdb, data_out);
        assert!(r.handled && r.status == 2, "expected CHECK CONDITION for {cdb:02x?}");
        decode(&r.sense)
    }

    /// Blocks `lba..lba + n` as stored (what a READ returns: unmapped blocks hold zeros).
    fn media(&self, lun: usize, lba: u64, n: u64) -> Vec<u8> {
        let bs = u64::from(self.units[lun].2.block_size);
        self.units[lun].0[(lba * bs) as usize..((lba + n) * bs) as usize].to_vec()
    }

    fn state(&mut self, lun: usize, lba: u64) -> Provisioning {
        let (data, provisioning, spec) = &mut self.units[lun];
        let unit = Unit {
            data: &mut data[..],
            block_size: spec.block_size,
            write_protected: false,
            naa: spec.naa,
            provisioning: provisioning.as_deref_mut(),
            bad_blocks: &[],
            descriptor_sense: false,
        };
        unit.state(lba).unwrap()
    }

    /// Provisioning states of blocks `lba..lba + n`.
    fn states(&mut self, lun: usize, lba: u64, n: u64) -> Vec<Provisioning> {
        (lba..lba + n).map(|l| self.state(lun, l)).collect()
    }

    /// Writes pattern blocks with WRITE (16).
    fn fill(&mut self, lun: u16, lba: u64, n: u32, salt: u8) {
        let bs = self.units[usize::from(lun)].2.block_size as usize;
        self.good(lun, &write16(lba, n), &patterned(lba, n.into(), bs, salt));
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A deterministic block: every byte a function of the LBA, offset and salt, never all zeros.
fn pattern(lba: u64, block_size: usize, salt: u8) -> Vec<u8> {
    (0..block_size).map(|i| (lba as u8).wrapping_mul(31).wrapping_add(i as u8).wrapping_add(salt) | 1).collect()
}

fn patterned(lba: u64, n: u64, block_size: usize, salt: u8) -> Vec<u8> {
    (lba..lba + n).flat_map(|l| pattern(l, block_size, salt)).collect()
}

// ---- sense decoding (fixed and descriptor format, read independently of the renderer) ----

#[derive(Debug, PartialEq, Eq)]
struct Decoded {
    key: u8,
    asc: u8,
    ascq: u8,
    information: Option<u64>,
    command_specific: u64,
    /// (C/D or SD, byte, bit).
    pointer: Option<(bool, u16, Option<u8>)>,
    /// Forwarded (source 1 / destination 2, status, inner sense bytes).
    forwarded: Option<(u8, u8, Vec<u8>)>,
}

fn decode(s: &[u8]) -> Decoded {
    let sks = |b: &[u8]| {
        (b[0] & 0x80 != 0)
            .then(|| (b[0] & 0x60 != 0, u16::from_be_bytes([b[1], b[2]]), (b[0] & 0x08 != 0).then_some(b[0] & 7)))
    };
    match s[0] & 0x7F {
        0x70 => {
            assert_eq!(usize::from(s[7]) + 8, s.len(), "ADDITIONAL SENSE LENGTH");
            let forwarded = (s[8] != 0 || s[9] != 0).then(|| {
                let (source, offset) = if s[8] != 0 { (1, usize::from(s[8])) } else { (2, usize::from(s[9])) };
                (source, s[offset], s[offset + 1..].to_vec())
            });
            Decoded {
                key: s[2] & 0x0F,
                asc: s[12],
                ascq: s[13],
                information: (s[0] & 0x80 != 0).then(|| u64::from(u32::from_be_bytes(s[3..7].try_into().unwrap()))),
                command_specific: u64::from(u16::from_be_bytes([s[10], s[11]])),
                pointer: sks(&s[15..18]),
                forwarded,
            }
        }
        0x72 => {
            assert_eq!(usize::from(s[7]) + 8, s.len(), "ADDITIONAL SENSE LENGTH");
            let mut d = Decoded {
                key: s[1] & 0x0F,
                asc: s[2],
                ascq: s[3],
                information: None,
                command_specific: 0,
                pointer: None,
                forwarded: None,
            };
            let mut at = 8;
            while at < s.len() {
                let body = &s[at..at + 2 + usize::from(s[at + 1])];
                match body[0] {
                    0x00 => d.information = Some(u64::from_be_bytes(body[4..12].try_into().unwrap())),
                    0x01 => d.command_specific = u64::from_be_bytes(body[4..12].try_into().unwrap()),
                    0x02 => d.pointer = sks(&body[4..7]),
                    0x0C => d.forwarded = Some((body[2], body[3], body[4..].to_vec())),
                    other => panic!("unexpected descriptor {other:#x}"),
                }
                at += body.len();
            }
            d
        }
        other => panic!("response code {other:#x}"),
    }
}

#[track_caller]
fn assert_sense(d: &Decoded, key: u8, asc: u8, ascq: u8) {
    assert_eq!((d.key, d.asc, d.ascq), (key, asc, ascq), "{d:?}");
}

#[track_caller]
fn assert_cdb_field(d: &Decoded, byte: u16, bit: Option<u8>) {
    assert_sense(d, 5, 0x24, 0);
    assert_eq!(d.pointer, Some((true, byte, bit)), "{d:?}");
}

#[track_caller]
fn assert_param_field(d: &Decoded, asc: u8, ascq: u8, byte: u16, bit: Option<u8>) {
    assert_sense(d, 5, asc, ascq);
    assert_eq!(d.pointer, Some((false, byte, bit)), "{d:?}");
}

#[track_caller]
fn assert_lba_out_of_range(d: &Decoded) {
    assert_sense(d, 5, 0x21, 0);
    assert_eq!(d.pointer, None);
}

// ---- CDB builders: the contract's, written from the SBC-4 / SPC-4 layouts ----

use offload_vectors::cdb::{
    compare_and_write as caw, copy_list, cscd, extended_copy as xcopy_cdb, read10, read16, segment, unmap as unmap_cdb,
    unmap_list, write_same10 as ws10, write_same16 as ws16, write10, write16,
};

impl Rig {
    fn xcopy_as(&mut self, initiator: &str, lun: u16, list: &[u8]) -> Out {
        self.run_as(initiator, lun, &xcopy_cdb(list.len() as u32), list)
    }

    #[track_caller]
    fn xcopy_good(&mut self, lun: u16, list: &[u8]) {
        let r = self.xcopy_as(HOST, lun, list);
        assert!(r.handled && r.status == 0, "EXTENDED COPY failed: {}", hex(&r.sense));
    }

    /// An EXTENDED COPY that fails; returns its raw sense.
    #[track_caller]
    fn xcopy_fails(&mut self, lun: u16, list: &[u8]) -> Vec<u8> {
        let r = self.xcopy_as(HOST, lun, list);
        assert!(r.handled && r.status == 2, "EXTENDED COPY must fail");
        r.sense
    }

    /// Every unit's whole medium.
    fn image(&self) -> Vec<Vec<u8>> {
        self.units.iter().map(|u| u.0.clone()).collect()
    }

    /// Two 4096-block 512-byte thin units filled with distinct patterns.
    fn prepared() -> Self {
        let mut r = Rig::small();
        r.fill(0, 0, 4096, 1);
        r.fill(1, 0, 4096, 2);
        r
    }
}

/// The reference for one segment: the whole source read first, then written.
fn apply(img: &mut [Vec<u8>], bs: usize, (su, sl): (usize, u64), (du, dl): (usize, u64), blocks: u64) {
    let (s, d, n) = (sl as usize * bs, dl as usize * bs, blocks as usize * bs);
    let source = img[su][s..s + n].to_vec();
    img[du][d..d + n].copy_from_slice(&source);
}

// =====================================================================================================
// Front end
// =====================================================================================================

#[test]
fn commands_the_fast_path_does_not_implement_are_not_handled() {
    let mut r = Rig::small();
    let cdbs: [&[u8]; 9] = [
        &[],
        &[0x00, 0, 0, 0, 0, 0],                                   // TEST UNIT READY
        &[0x12, 0, 0, 0, 0xFF, 0],                                // INQUIRY
        &[0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 32, 0, 0], // READ CAPACITY (16)
        &[0x84, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0],  // RECEIVE COPY RESULTS
        &[0x83],                                                  // no service action to tell
        &[0x83, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],  // EXTENDED COPY (LID4)
        &[0xFF, 0, 0, 0, 0, 0],
        &[0x2F, 0, 0, 0, 0, 0, 0, 0, 0, 0], // VERIFY (10)
    ];
    for cdb in cdbs {
        // Not even an unreachable LUN is reported: the caller decides.
        for lun in [0, 9] {
            let out = r.run(lun, cdb, &[]);
            assert!(!out.handled, "{cdb:02x?}");
        }
    }
}

#[test]
fn an_unknown_or_inaccessible_lun_is_logical_unit_not_supported() {
    let mut r = Rig::small();
    r.access = host_lun0_only;
    for (initiator, lun) in [(HOST, 2u16), (HOST, 1), (OTHER, 2), (HOST, 0xFFFF)] {
        let out = r.run_as(initiator, lun, &read10(0, 1), &[]);
        assert_eq!(hex(&out.sense), "700005000000000a00000000250000000000");
    }
    assert_eq!(r.run_as(OTHER, 1, &read10(0, 1), &[]).status, 0);
    // Checked before the CDB itself.
    let out = r.run_as(HOST, 1, &[0x28, 0xFF], &[]);
    assert_sense(&decode(&out.sense), 5, 0x25, 0);
}

#[test]
fn sense_format_follows_the_addressed_units_d_sense() {
    let mut r = Rig::small();
    r.units[1].2.descriptor_sense = Some(true);
    assert_eq!(hex(&r.run(0, &read16(4096, 1), &[]).sense), "700005000000000a00000000210000000000");
    assert_eq!(hex(&r.run(1, &read16(4096, 1), &[]).sense), "7205210000000000");
    // Even when the initiator may not reach the unit; with no unit, the power-on value.
    r.access = host_lun0_only;
    assert_eq!(hex(&r.run(1, &read16(0, 1), &[]).sense), "7205250000000000");
    assert_eq!(hex(&r.run(5, &read16(0, 1), &[]).sense), "700005000000000a00000000250000000000");
    r.descriptor_sense = true;
    r.units[0].2.descriptor_sense = Some(false);
    assert_eq!(hex(&r.run(5, &read16(0, 1), &[]).sense), "7205250000000000");
    assert_eq!(hex(&r.run(0, &read16(4096, 1), &[]).sense), "700005000000000a00000000210000000000");
}

#[test]
fn a_short_cdb_is_invalid_field_at_byte_0() {
    let mut r = Rig::small();
    for cdb in [&[0x28, 0, 0][..], &[0x88; 10], &[0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0], &[0x83, 0, 0]] {
        let out = r.run(0, cdb, &[]);
        assert_eq!(hex(&out.sense), "700005000000000a00000000240000c00000", "{cdb:02x?}");
    }
}

#[test]
fn a_padded_cdb_is_read_for_its_command_length() {
    let mut r = Rig::small();
    r.fill(0, 5, 1, 3);
    let mut cdb = read10(5, 1);
    cdb.extend([0xFF; 6]);
    assert_eq!(r.good(0, &cdb, &[]), pattern(5, 512, 3));
}

#[test]
fn reserved_bits_point_at_the_highest_offending_bit() {
    let mut r = Rig::small();
    let cases: Vec<(Vec<u8>, u16, u8)> = vec![
        (
            {
                let mut c = read10(0, 1);
                c[9] = 0x04;
                c
            },
            9,
            2,
        ), // NACA
        (
            {
                let mut c = read10(0, 1);
                c[9] = 0x3B;
                c
            },
            9,
            5,
        ),
        (
            {
                let mut c = read10(0, 1);
                c[1] = 0x03;
                c
            },
            1,
            1,
        ),
        (
            {
                let mut c = read10(0, 1);
                c[6] = 0xE5;
                c
            },
            6,
            7,
        ),
        (
            {
                let mut c = write10(0, 1);
                c[1] = 0x04;
                c
            },
            1,
            2,
        ),
        (
            {
                let mut c = write16(0, 1);
                c[14] = 0x40;
                c
            },
            14,
            6,
        ),
        (
            {
                let mut c = caw(0, 1);
                c[11] = 0x01;
                c
            },
            11,
            0,
        ),
        (
            {
                let mut c = caw(0, 1);
                c[1] = 0x02;
                c
            },
            1,
            1,
        ),
        (ws10(0x01, 0, 1), 1, 0), // WRITE SAME (10) has no NDOB
        (ws16(0x06, 0, 1), 1, 2), // PBDATA, LBDATA: obsolete
        (
            {
                let mut c = unmap_cdb(false, 0);
                c[1] = 0x02;
                c
            },
            1,
            1,
        ),
        (
            {
                let mut c = unmap_cdb(false, 0);
                c[2] = 0x80;
                c
            },
            2,
            7,
        ),
        (
            {
                let mut c = xcopy_cdb(0);
                c[2] = 0x10;
                c
            },
            2,
            4,
        ),
        (
            {
                let mut c = xcopy_cdb(0);
                c[15] = 0x01;
                c
            },
            15,
            0,
        ),
    ];
    for (cdb, byte, bit) in cases {
        let d = r.check(0, &cdb, &[]);
        assert_cdb_field(&d, byte, Some(bit));
    }
    // GROUP NUMBER, DPO, FUA are accepted.
    let mut c = read10(0, 1);
    c[1] = 0x18;
    c[6] = 0x1F;
    r.good(0, &c, &[]);
}

/// The model's snapshot of sense data for malformed commands (model/tests/snapshots), the rows that name
/// commands the fast path executes; the others must be left to the caller.
#[test]
fn sense_for_malformed_commands_matches_the_snapshot() {
    const FIXED: &[(&str, &str)] = &[
        ("CDB shorter than its command", "700005000000000a00000000240000c00000"),
        ("READ(16) past the end", "700005000000000a00000000210000000000"),
        ("READ(16) LBA wrap", "700005000000000a00000000210000000000"),
        ("READ(10) RDPROTECT", "700005000000000a00000000240000cf0001"),
        ("READ(16) over MAXIMUM TRANSFER LENGTH", "700005000000000a00000000240000c0000a"),
        ("WRITE(10) data-out shorter than the transfer", "700005000000000a00000000240000c00007"),
        ("COMPARE AND WRITE NOLB over the maximum (16)", "700005000000000a00000000240000c0000d"),
        ("COMPARE AND WRITE wrong data-out length", "700005000000000a00000000240000c0000d"),
        ("COMPARE AND WRITE past the end", "700005000000000a00000000210000000000"),
        ("WRITE SAME(10) PBDATA", "700005000000000a00000000240000ca0001"),
        ("WRITE SAME(10) LBDATA", "700005000000000a00000000240000c90001"),
        ("WRITE SAME(16) ANCHOR without UNMAP", "700005000000000a00000000240000cc0001"),
        ("WRITE SAME(16) UNMAP on a thick unit", "700005000000000a00000000240000cb0001"),
        ("WRITE SAME(16) WRPROTECT", "700005000000000a00000000240000cf0001"),
        ("WRITE SAME(16) zero blocks with WSNZ", "700005000000000a00000000240000c0000a"),
        ("WRITE SAME(16) over MAXIMUM WRITE SAME LENGTH", "700005000000000a00000000240000c0000a"),
        ("WRITE SAME(16) NDOB with data-out", "700005000000000a00000000240000c80001"),
        ("WRITE SAME(10) data-out not one block", "700005000000000a00000000240000c00007"),
        ("UNMAP on a thick unit", "700005000000000a00000000200000000000"),
        ("UNMAP parameter list shorter than its header", "700005000000000a000000001a0000000000"),
        ("UNMAP too many descriptors", "700005000000000a00000000260000800002"),
        ("UNMAP data-out shorter than its parameter list", "700005000000000a00000000240000c00007"),
        ("UNMAP past the end", "700005000000000a00000000210000000000"),
        ("EXTENDED COPY list shorter than its header", "700005000000000a000000001a0000000000"),
        ("EXTENDED COPY LIST ID USAGE 01b", "700005000000000a000000002600008c0001"),
        ("EXTENDED COPY inline data", "700005000000000a0000000026000080000c"),
        ("EXTENDED COPY segment list cut short", "700005000000000a000000001a0000000000"),
        ("EXTENDED COPY unsupported CSCD type", "700005000000000a00000000260700800010"),
        ("EXTENDED COPY unsupported segment type", "700005000000000a00000000260900800030"),
        ("EXTENDED COPY designator type not NAA", "700005000000000a000000002600008b0015"),
        ("EXTENDED COPY CSCD ID above 07FFh", "700005000000000a00000000260000800034"),
        ("EXTENDED COPY destination index beyond the list", "70000a000000000a000000000d0200a00006"),
        (
            "EXTENDED COPY destination past the end",
            "70000a000000001d00120000000000a0001402700005000000000a00000000210000000000",
        ),
    ];
    const DESCRIPTOR: &[(&str, &str)] = &[
        ("CDB shorter than its command", "720524000000000802060000c0000000"),
        ("READ(16) past the end", "7205210000000000"),
        ("READ(16) LBA wrap", "7205210000000000"),
        ("READ(10) RDPROTECT", "720524000000000802060000cf000100"),
        ("READ(16) over MAXIMUM TRANSFER LENGTH", "720524000000000802060000c0000a00"),
        ("WRITE(10) data-out shorter than the transfer", "720524000000000802060000c0000700"),
        ("COMPARE AND WRITE NOLB over the maximum (16)", "720524000000000802060000c0000d00"),
        ("COMPARE AND WRITE wrong data-out length", "720524000000000802060000c0000d00"),
        ("COMPARE AND WRITE past the end", "7205210000000000"),
        ("WRITE SAME(10) PBDATA", "720524000000000802060000ca000100"),
        ("WRITE SAME(10) LBDATA", "720524000000000802060000c9000100"),
        ("WRITE SAME(16) ANCHOR without UNMAP", "720524000000000802060000cc000100"),
        ("WRITE SAME(16) UNMAP on a thick unit", "720524000000000802060000cb000100"),
        ("WRITE SAME(16) WRPROTECT", "720524000000000802060000cf000100"),
        ("WRITE SAME(16) zero blocks with WSNZ", "720524000000000802060000c0000a00"),
        ("WRITE SAME(16) over MAXIMUM WRITE SAME LENGTH", "720524000000000802060000c0000a00"),
        ("WRITE SAME(16) NDOB with data-out", "720524000000000802060000c8000100"),
        ("WRITE SAME(10) data-out not one block", "720524000000000802060000c0000700"),
        ("UNMAP on a thick unit", "7205200000000000"),
        ("UNMAP parameter list shorter than its header", "72051a0000000000"),
        ("UNMAP too many descriptors", "72052600000000080206000080000200"),
        ("UNMAP data-out shorter than its parameter list", "720524000000000802060000c0000700"),
        ("UNMAP past the end", "7205210000000000"),
        ("EXTENDED COPY list shorter than its header", "72051a0000000000"),
        ("EXTENDED COPY LIST ID USAGE 01b", "7205260000000008020600008c000100"),
        ("EXTENDED COPY inline data", "72052600000000080206000080000c00"),
        ("EXTENDED COPY segment list cut short", "72051a0000000000"),
        ("EXTENDED COPY unsupported CSCD type", "72052607000000080206000080001000"),
        ("EXTENDED COPY unsupported segment type", "72052609000000080206000080003000"),
        ("EXTENDED COPY designator type not NAA", "7205260000000008020600008b001500"),
        ("EXTENDED COPY CSCD ID above 07FFh", "72052600000000080206000080003400"),
        ("EXTENDED COPY destination index beyond the list", "720a0d0200000014010a0000000000000000000002060000a0000600"),
        (
            "EXTENDED COPY destination past the end",
            "720a000000000020010a0000000000000000000002060000a00014000c0a02027205210000000000",
        ),
    ];
    const BLOCKS0: u64 = 1 << 21;
    for (descriptor_sense, table) in [(false, FIXED), (true, DESCRIPTOR)] {
        // As the snapshot's target: LUN 0 thin 2^21 × 512, LUN 1 thick 2^18 × 4096 (untouched memory).
        let mut r = Rig::new(&[(BLOCKS0, 512, true), (1 << 18, 4096, false)]);
        r.descriptor_sense = descriptor_sense;
        r.limits.max_compare_and_write_blocks = 16;
        let naa0 = naa(0);
        let with_list = |f: &dyn Fn(&mut Vec<u8>)| {
            let mut p = copy_list(1, 0, &[cscd(&naa0, 512)], &[segment(0, 0, 1, 0, 10)]);
            f(&mut p);
            p
        };
        let cases: Vec<(&str, u16, Vec<u8>, Vec<u8>)> = vec![
            ("CDB shorter than its command", 0, vec![0x28, 0, 0], vec![]),
            ("READ(16) past the end", 0, read16(BLOCKS0 - 1, 2), vec![]),
            ("READ(16) LBA wrap", 0, read16(u64::MAX, 1), vec![]),
            (
                "READ(10) RDPROTECT",
                0,
                {
                    let mut c = read10(0, 1);
                    c[1] = 0x20;
                    c
                },
                vec![],
            ),
            ("READ(16) over MAXIMUM TRANSFER LENGTH", 0, read16(0, 8193), vec![]),
            ("WRITE(10) data-out shorter than the transfer", 0, write10(0, 2), vec![0; 512]),
            ("COMPARE AND WRITE NOLB over the maximum (16)", 1, caw(0, 17), vec![0; 2 * 17 * 4096]),
            ("COMPARE AND WRITE wrong data-out length", 0, caw(0, 1), vec![0; 512]),
            ("COMPARE AND WRITE past the end", 0, caw(BLOCKS0 - 1, 2), vec![0; 2048]),
            ("WRITE SAME(10) PBDATA", 0, ws10(0x04, 0, 1), vec![0; 512]),
            ("WRITE SAME(10) LBDATA", 0, ws10(0x02, 0, 1), vec![0; 512]),
            ("WRITE SAME(16) ANCHOR without UNMAP", 0, ws16(0x10, 0, 1), vec![0; 512]),
            ("WRITE SAME(16) UNMAP on a thick unit", 1, ws16(0x08, 0, 1), vec![0; 4096]),
            ("WRITE SAME(16) WRPROTECT", 0, ws16(0x40, 0, 1), vec![0; 512]),
            ("WRITE SAME(16) zero blocks with WSNZ", 0, ws16(0, 0, 0), vec![0; 512]),
            ("WRITE SAME(16) over MAXIMUM WRITE SAME LENGTH", 0, ws16(0, 0, 65_537), vec![0; 512]),
            ("WRITE SAME(16) NDOB with data-out", 0, ws16(0x01, 0, 1), vec![0; 512]),
            ("WRITE SAME(10) data-out not one block", 0, ws10(0, 0, 1), vec![0; 100]),
            ("UNMAP on a thick unit", 1, unmap_cdb(false, 24), unmap_list(&[(0, 1)])),
            ("UNMAP parameter list shorter than its header", 0, unmap_cdb(false, 6), vec![0; 6]),
            ("UNMAP too many descriptors", 0, unmap_cdb(false, 8 + 65 * 16), unmap_list(&[(0, 1); 65])),
            ("UNMAP data-out shorter than its parameter list", 0, unmap_cdb(false, 40), unmap_list(&[(0, 1)])),
            ("UNMAP past the end", 0, unmap_cdb(false, 24), unmap_list(&[(BLOCKS0 - 1, 2)])),
            ("EXTENDED COPY list shorter than its header", 0, xcopy_cdb(8), vec![0; 8]),
            ("EXTENDED COPY LIST ID USAGE 01b", 0, xcopy_cdb(76), with_list(&|p| p[1] = 0x08)),
            ("EXTENDED COPY inline data", 0, xcopy_cdb(76), with_list(&|p| p[15] = 1)),
            ("EXTENDED COPY segment list cut short", 0, xcopy_cdb(75), with_list(&|p| p.truncate(75))),
            ("EXTENDED COPY unsupported CSCD type", 0, xcopy_cdb(76), with_list(&|p| p[16] = 0xE0)),
            ("EXTENDED COPY unsupported segment type", 0, xcopy_cdb(76), with_list(&|p| p[48] = 0x03)),
            ("EXTENDED COPY designator type not NAA", 0, xcopy_cdb(76), with_list(&|p| p[21] = 0x02)),
            ("EXTENDED COPY CSCD ID above 07FFh", 0, xcopy_cdb(76), with_list(&|p| p[52] = 0x08)),
            ("EXTENDED COPY destination index beyond the list", 0, xcopy_cdb(76), with_list(&|p| p[55] = 1)),
            (
                "EXTENDED COPY destination past the end",
                0,
                xcopy_cdb(76),
                with_list(&|p| p[68..76].copy_from_slice(&BLOCKS0.to_be_bytes())),
            ),
        ];
        assert_eq!(cases.len(), table.len());
        for ((name, lun, cdb, data), (expected_name, expected)) in cases.iter().zip(table) {
            assert_eq!(name, expected_name);
            let out = r.run(*lun, cdb, data);
            assert!(out.handled && out.status == 2, "{name}");
            assert_eq!(hex(&out.sense), *expected, "{name} (descriptor format: {descriptor_sense})");
        }
    }
}

// =====================================================================================================
// READ and WRITE
// =====================================================================================================

#[test]
fn write_then_read_round_trips_in_both_sizes_and_block_lengths() {
    let mut r = Rig::new(&[(4096, 512, true), (256, 4096, false)]);
    let a = patterned(10, 4, 512, 1);
    r.good(0, &write10(10, 4), &a);
    assert_eq!(r.good(0, &read10(10, 4), &[]), a);
    assert_eq!(r.good(0, &read16(10, 4), &[]), a);
    let b = patterned(3, 5, 4096, 9);
    r.good(1, &write16(3, 5), &b);
    assert_eq!(r.good(1, &read16(3, 5), &[]), b);
    assert_eq!(r.media(1, 3, 5), b);
    // First and last LBA.
    r.good(1, &write16(255, 1), &pattern(255, 4096, 2));
    assert_eq!(r.good(1, &read10(255, 1), &[]), pattern(255, 4096, 2));
    assert_eq!(r.good(0, &read16(4095, 1), &[]), vec![0; 512], "unwritten blocks read zeros");
}

#[test]
fn a_write_maps_blocks_on_a_thin_unit_even_zeros() {
    let mut r = Rig::small();
    assert_eq!(r.states(0, 0, 4), vec![Provisioning::Deallocated; 4]);
    r.good(0, &write10(1, 2), &[0; 1024]);
    assert_eq!(
        r.states(0, 0, 4),
        [Provisioning::Deallocated, Provisioning::Mapped, Provisioning::Mapped, Provisioning::Deallocated]
    );
}

#[test]
fn zero_transfer_length_is_good_and_transfers_nothing() {
    let mut r = Rig::small();
    assert!(r.good(0, &read10(0, 0), &[]).is_empty());
    assert!(r.good(0, &read16(4096, 0), &[]).is_empty(), "LBA = capacity with no blocks is in range");
    r.good(0, &write16(4096, 0), &[]);
    assert_eq!(r.state(0, 0), Provisioning::Deallocated);
    assert_lba_out_of_range(&r.check(0, &read16(4097, 0), &[]));
}

#[test]
fn out_of_range_and_wrap_around_are_lba_out_of_range() {
    let mut r = Rig::small();
    for cdb in [read16(4096, 1), read16(4095, 2), read16(u64::MAX, 1), read16(1 << 63, 1), read10(u32::MAX, 1)] {
        assert_lba_out_of_range(&r.check(0, &cdb, &[]));
    }
    assert_lba_out_of_range(&r.check(0, &write16(u64::MAX - 1, 4), &[0; 2048]));
}

#[test]
fn maximum_transfer_length_and_one_more() {
    let mut r = Rig::small();
    r.limits.max_transfer_blocks = 64;
    r.limits.max_compare_and_write_blocks = 64;
    assert_eq!(r.good(0, &read10(0, 64), &[]).len(), 64 * 512);
    assert_cdb_field(&r.check(0, &read10(0, 65), &[]), 7, None);
    assert_cdb_field(&r.check(0, &read16(0, 65), &[]), 10, None);
    assert_cdb_field(&r.check(0, &write16(0, 65), &[0; 65 * 512]), 10, None);
    // The length is checked before the range.
    assert_cdb_field(&r.check(0, &read16(u64::MAX, 65), &[]), 10, None);
}

#[test]
fn protection_fields_are_invalid_field_at_byte_1_bit_7() {
    let mut r = Rig::small();
    for p in 1..=7u8 {
        let mut c = read16(0, 1);
        c[1] = p << 5;
        assert_cdb_field(&r.check(0, &c, &[]), 1, Some(7));
        let mut c = write10(0, 1);
        c[1] = p << 5;
        assert_cdb_field(&r.check(0, &c, &[0; 512]), 1, Some(7));
    }
}

#[test]
fn write_data_out_length_and_write_protect() {
    let mut r = Rig::small();
    for len in [0usize, 511, 1023, 1025] {
        assert_cdb_field(&r.check(0, &write10(0, 2), &vec![0; len]), 7, None);
        assert_cdb_field(&r.check(0, &write16(0, 2), &vec![0; len]), 10, None);
    }
    assert_cdb_field(&r.check(0, &write16(0, 0), &[0; 512]), 10, None);
    r.units[0].2.write_protected = true;
    let d = r.check(0, &write16(0, 1), &[1; 512]);
    assert_sense(&d, 7, 0x27, 0);
    // Write protection is checked before the data-out length.
    assert_sense(&r.check(0, &write16(0, 1), &[]), 7, 0x27, 0);
    assert_eq!(r.media(0, 0, 1), vec![0; 512]);
    // Reads are fine.
    r.good(0, &read16(0, 1), &[]);
}

#[test]
fn medium_errors_name_the_first_bad_lba() {
    let mut r = Rig::small();
    r.units[0].2.bad_blocks = vec![100, 102];
    for cdb in [read10(98, 5), read16(100, 1), read16(96, 8)] {
        let d = r.check(0, &cdb, &[]);
        assert_sense(&d, 3, 0x11, 0);
        assert_eq!(d.information, Some(100));
    }
    r.good(0, &read16(90, 10), &[]);
    r.good(0, &read16(101, 1), &[]);
    // A write stops at the bad block: the blocks before it are written and mapped.
    let data = patterned(97, 5, 512, 4);
    let d = r.check(0, &write16(97, 5), &data);
    assert_sense(&d, 3, 0x0C, 0);
    assert_eq!(d.information, Some(100));
    assert_eq!(r.media(0, 97, 3), data[..3 * 512]);
    assert_eq!(r.media(0, 101, 1), vec![0; 512]);
    assert_eq!(
        r.states(0, 96, 6)[..],
        [
            Provisioning::Deallocated,
            Provisioning::Mapped,
            Provisioning::Mapped,
            Provisioning::Mapped,
            Provisioning::Deallocated,
            Provisioning::Deallocated
        ]
    );
}

#[test]
fn a_read_larger_than_the_data_in_buffer_is_not_handled() {
    let mut data = vec![0u8; 16 * 512];
    let mut units = [Unit::thick(&mut data, 512, naa(0))];
    let mut fp = FastPath::new(&mut units, Limits::default(), false, crate::AllowAll).unwrap();
    let mut small = [0u8; 1024];
    let r = fp.execute(b"i", 0, &read10(0, 3), &[], &mut small);
    assert!(!r.handled);
    let r = fp.execute(b"i", 0, &read10(0, 2), &[], &mut small);
    assert!(r.handled && r.data_in_len == 1024);
    // Errors are still answered.
    let r = fp.execute(b"i", 0, &read10(16, 3), &[], &mut small);
    assert!(r.handled && r.status == 2);
}

// =====================================================================================================
// COMPARE AND WRITE
// =====================================================================================================

fn caw_rig() -> Rig {
    let mut r = Rig::new(&[(4096, 512, true)]);
    r.limits.max_compare_and_write_blocks = 4;
    r
}

#[test]
fn compare_and_write_on_a_match_writes_and_maps() {
    let mut r = caw_rig();
    let (old, new) = (patterned(10, 2, 512, 1), patterned(10, 2, 512, 2));
    r.good(0, &write16(10, 2), &old);
    r.good(0, &caw(10, 2), &[old, new.clone()].concat());
    assert_eq!(r.media(0, 10, 2), new);
    // Against unwritten blocks: compares zeros, and maps what it writes.
    r.good(0, &caw(50, 1), &[vec![0; 512], pattern(50, 512, 3)].concat());
    assert_eq!(r.media(0, 50, 1), pattern(50, 512, 3));
    assert_eq!(r.state(0, 50), Provisioning::Mapped);
    // DPO and FUA are accepted.
    let mut c = caw(50, 1);
    c[1] = 0x18;
    r.good(0, &c, &[pattern(50, 512, 3), vec![7; 512]].concat());
}

#[test]
fn compare_and_write_miscompare_reports_the_first_differing_byte_and_writes_nothing() {
    let mut r = caw_rig();
    let old = patterned(20, 3, 512, 7);
    r.good(0, &write16(20, 3), &old);
    for (flips, expected) in [(vec![0usize], 0u64), (vec![1535], 1535), (vec![612, 1029], 612), (vec![511, 3], 3)] {
        let mut compare = old.clone();
        for f in flips {
            compare[f] ^= 0x80;
        }
        let out = r.run(0, &caw(20, 3), &[compare, vec![0xEE; 1536]].concat());
        let d = decode(&out.sense);
        assert_sense(&d, 0xE, 0x1D, 0);
        assert_eq!(d.information, Some(expected));
        assert_eq!(d.pointer, None);
        assert_eq!(r.media(0, 20, 3), old, "nothing written");
    }
    let mut compare = old[..512].to_vec();
    compare[0] ^= 1;
    let out = r.run(0, &caw(20, 1), &[compare, vec![0; 512]].concat());
    assert_eq!(hex(&out.sense), "f0000e000000000a000000001d0000000000");
}

#[test]
fn compare_and_write_field_checks_in_order() {
    let mut r = caw_rig();
    r.good(0, &caw(0, 0), &[]);
    r.good(0, &caw(4096, 0), &[]);
    r.good(0, &caw(4095, 1), &[0; 1024]);
    assert_cdb_field(&r.check(0, &caw(100, 5), &[0; 5 * 1024]), 13, None);
    for (lba, n) in [(4096u64, 1u8), (4095, 2), (u64::MAX, 1), (1 << 63, 1)] {
        assert_lba_out_of_range(&r.check(0, &caw(lba, n), &vec![0; 2 * usize::from(n) * 512]));
    }
    for (n, len) in [(1u8, 512usize), (1, 0), (1, 2048), (2, 1024), (2, 2047), (0, 512)] {
        assert_cdb_field(&r.check(0, &caw(10, n), &vec![0; len]), 13, None);
    }
    for p in 1..=7u8 {
        let mut c = caw(0, 1);
        c[1] = p << 5;
        assert_cdb_field(&r.check(0, &c, &[0; 1024]), 1, Some(7));
    }
    // Order: NOLB limit before the range, the range before the data-out length, that before protection.
    assert_cdb_field(&r.check(0, &caw(u64::MAX, 5), &[]), 13, None);
    assert_lba_out_of_range(&r.check(0, &caw(u64::MAX, 1), &[]));
    r.units[0].2.write_protected = true;
    assert_cdb_field(&r.check(0, &caw(0, 1), &[]), 13, None);
    assert_sense(&r.check(0, &caw(0, 1), &[0; 1024]), 7, 0x27, 0);
    assert_sense(&r.check(0, &caw(0, 0), &[]), 7, 0x27, 0);
}

#[test]
fn compare_and_write_with_4096_byte_blocks() {
    let mut r = Rig::new(&[(256, 4096, false)]);
    let (old, new) = (patterned(3, 2, 4096, 1), patterned(3, 2, 4096, 9));
    r.good(0, &write16(3, 2), &old);
    r.good(0, &caw(3, 2), &[old.clone(), new.clone()].concat());
    let mut compare = new.clone();
    compare[8191] ^= 1;
    let d = r.check(0, &caw(3, 2), &[compare, old].concat());
    assert_eq!((d.key, d.asc, d.information), (0xE, 0x1D, Some(8191)));
    assert_eq!(r.media(0, 3, 2), new);
}

#[test]
fn compare_and_write_over_a_bad_block_is_a_read_error_even_after_a_difference() {
    let mut r = caw_rig();
    r.units[0].2.bad_blocks = vec![12];
    let mut compare = vec![0u8; 4 * 512];
    compare[0] = 1; // differs in block 10, before the bad block
    let d = r.check(0, &caw(10, 4), &[compare, vec![9; 4 * 512]].concat());
    assert_sense(&d, 3, 0x11, 0);
    assert_eq!(d.information, Some(12));
    assert_eq!(r.media(0, 10, 4), vec![0; 4 * 512]);
}

// =====================================================================================================
// WRITE SAME
// =====================================================================================================

const ANCHOR: u8 = 0x10;
const UNMAP: u8 = 0x08;
const PBDATA: u8 = 0x04;
const LBDATA: u8 = 0x02;
const NDOB: u8 = 0x01;

/// The bit a rejected WRITE SAME flag combination reports. First the usage mask: PBDATA and LBDATA are
/// obsolete, WRITE SAME (10) has no NDOB, and a fully provisioned unit has no ANCHOR or UNMAP (LBPWS=0,
/// ANC_SUP=0); the highest such bit is reported. Then WRPROTECT (no protection information) and ANCHOR
/// without UNMAP.
fn write_same_rejected_bit(sixteen: bool, flags: u8, thin: bool) -> Option<u8> {
    let mut not_interpreted = PBDATA | LBDATA | if sixteen { 0 } else { NDOB };
    if !thin {
        not_interpreted |= ANCHOR | UNMAP;
    }
    let reserved = flags & not_interpreted;
    if reserved != 0 {
        Some(7 - reserved.leading_zeros() as u8)
    } else if flags & 0xE0 != 0 {
        Some(7)
    } else if flags & ANCHOR != 0 && flags & UNMAP == 0 {
        Some(4)
    } else {
        None
    }
}

#[test]
fn write_same_every_flag_combination_on_thin_and_thick_units() {
    const LBA: u64 = 16;
    const N: u64 = 8;
    let old = patterned(LBA, N, 512, 0x21);
    let block = pattern(0, 512, 0x42);
    for sixteen in [false, true] {
        for thin in [true, false] {
            for flags in 0..=0xFFu8 {
                let ndob = sixteen && flags & NDOB != 0;
                let data_outs = if ndob { vec![vec![]] } else { vec![vec![0u8; 512], block.clone()] };
                for data in data_outs {
                    let what = format!(
                        "WS{} flags {flags:02x} thin {thin} data {}",
                        if sixteen { 16 } else { 10 },
                        data.len()
                    );
                    let mut r = Rig::new(&[(64, 512, thin)]);
                    r.good(0, &write16(LBA, N as u32), &old);
                    let cdb = if sixteen { ws16(flags, LBA, N as u32) } else { ws10(flags, LBA as u32, N as u16) };
                    let out = r.run(0, &cdb, &data);
                    if let Some(bit) = write_same_rejected_bit(sixteen, flags, thin) {
                        assert_eq!(out.status, 2, "{what}");
                        assert_cdb_field(&decode(&out.sense), 1, Some(bit));
                        assert_eq!(r.media(0, LBA, N), old, "{what}: nothing changed");
                        continue;
                    }
                    assert_eq!(out.status, 0, "{what}: {}", hex(&out.sense));
                    let zeros = data.iter().all(|&b| b == 0);
                    let expected = if data.is_empty() { vec![0; 512] } else { data.clone() };
                    assert_eq!(r.media(0, LBA, N), expected.repeat(N as usize), "{what}");
                    assert_eq!(r.media(0, LBA + N, 1), vec![0; 512], "{what}: stops at NUMBER OF LOGICAL BLOCKS");
                    let state = match (thin, zeros && flags & UNMAP != 0, flags & ANCHOR != 0) {
                        (false, _, _) | (true, false, _) => Provisioning::Mapped,
                        (true, true, false) => Provisioning::Deallocated,
                        (true, true, true) => Provisioning::Anchored,
                    };
                    assert_eq!(r.states(0, LBA, N), vec![state; N as usize], "{what}");
                    let neighbour = if thin { Provisioning::Deallocated } else { Provisioning::Mapped };
                    assert_eq!(r.state(0, LBA - 1), neighbour, "{what}: neighbour");
                }
            }
        }
    }
}

#[test]
fn write_same_data_out_must_be_one_block() {
    let mut r = Rig::new(&[(4096, 512, true), (256, 4096, true)]);
    for len in [0usize, 1, 511, 513, 1024] {
        assert_cdb_field(&r.check(0, &ws10(0, 0, 8), &vec![0x5A; len]), 7, None);
        assert_cdb_field(&r.check(0, &ws16(UNMAP, 0, 8), &vec![0; len]), 10, None);
    }
    assert_cdb_field(&r.check(0, &ws16(NDOB, 0, 8), &[0; 512]), 1, Some(0));
    assert_cdb_field(&r.check(1, &ws10(0, 0, 8), &[0x5A; 512]), 7, None);
    r.good(1, &ws10(0, 0, 8), &[0x5A; 4096]);
    assert_eq!(r.media(1, 0, 8), vec![0x5A; 8 * 4096]);
}

#[test]
fn write_same_number_of_blocks_limits() {
    let mut r = Rig::small();
    r.limits.max_write_same_blocks = 32;
    assert_cdb_field(&r.check(0, &ws10(0, 0, 0), &[0; 512]), 7, None);
    assert_cdb_field(&r.check(0, &ws16(UNMAP, 0, 0), &[0; 512]), 10, None);
    r.good(0, &ws10(0, 0, 32), &[3; 512]);
    assert_cdb_field(&r.check(0, &ws10(0, 200, 33), &[3; 512]), 7, None);
    assert_cdb_field(&r.check(0, &ws16(UNMAP, 200, 33), &[0; 512]), 10, None);
    // Without WSNZ, zero blocks means "to the last LBA", still within the maximum.
    r.limits.write_same_non_zero = false;
    assert_cdb_field(&r.check(0, &ws16(0, 4096 - 33, 0), &[0x11; 512]), 10, None);
    r.good(0, &ws16(0, 4096 - 32, 0), &[0x11; 512]);
    assert_eq!(r.media(0, 4096 - 32, 32), vec![0x11; 32 * 512]);
    assert_eq!(r.media(0, 4096 - 33, 1), vec![0; 512]);
    r.good(0, &ws10(UNMAP, 4096 - 10, 0), &[0; 512]);
    assert_eq!(r.states(0, 4096 - 10, 10), vec![Provisioning::Deallocated; 10]);
    for lba in [4096u64, 1 << 63, u64::MAX] {
        assert_lba_out_of_range(&r.check(0, &ws16(0, lba, 0), &[1; 512]));
    }
}

#[test]
fn write_same_range_and_write_protect() {
    let mut r = Rig::small();
    for (lba, n) in [(4096u64, 1u32), (4095, 2), (4086, 11)] {
        assert_lba_out_of_range(&r.check(0, &ws10(0, lba as u32, n as u16), &[9; 512]));
        assert_lba_out_of_range(&r.check(0, &ws16(NDOB | UNMAP, lba, n), &[]));
    }
    for (lba, n) in [(u64::MAX, 1u32), (u64::MAX - 3, 8), (1 << 63, 1)] {
        assert_lba_out_of_range(&r.check(0, &ws16(0, lba, n), &[9; 512]));
    }
    r.good(0, &ws16(0, 4086, 10), &[9; 512]);
    r.units[0].2.write_protected = true;
    assert_sense(&r.check(0, &ws10(0, 0, 1), &[1; 512]), 7, 0x27, 0);
    assert_sense(&r.check(0, &ws16(NDOB, 0, 1), &[]), 7, 0x27, 0);
    // The data-out is checked before write protection.
    assert_cdb_field(&r.check(0, &ws16(0, 0, 1), &[]), 10, None);
}

#[test]
fn write_same_unmap_releases_only_the_aligned_middle() {
    let mut r = Rig::new(&[(256, 512, true)]);
    r.limits.unmap_granularity = 8;
    r.fill(0, 0, 64, 6);
    r.good(0, &ws16(UNMAP | ANCHOR, 3, 32), &[0; 512]); // 3..35: middle 8..32
    assert_eq!(r.media(0, 3, 32), vec![0; 32 * 512]);
    assert_eq!(r.media(0, 0, 3), patterned(0, 3, 512, 6));
    assert_eq!(r.media(0, 35, 29), patterned(35, 29, 512, 6));
    let states = r.states(0, 3, 32);
    assert_eq!(states[..5], [Provisioning::Mapped; 5]);
    assert_eq!(states[5..29], [Provisioning::Anchored; 24]);
    assert_eq!(states[29..], [Provisioning::Mapped; 3]);
    // A range inside one granule is all written zeros.
    r.good(0, &ws10(UNMAP, 41, 3), &[0; 512]);
    assert_eq!(r.states(0, 40, 5), vec![Provisioning::Mapped; 5]);
    assert_eq!(r.media(0, 41, 3), vec![0; 3 * 512]);
}

#[test]
fn write_same_stops_at_a_bad_block() {
    let mut r = Rig::new(&[(256, 512, true)]);
    r.units[0].2.bad_blocks = vec![20];
    r.limits.unmap_granularity = 4;
    r.fill(0, 0, 20, 1);
    let d = r.check(0, &ws16(0, 10, 20), &[0xAB; 512]);
    assert_sense(&d, 3, 0x0C, 0);
    assert_eq!(d.information, Some(20));
    assert_eq!(r.media(0, 10, 10), vec![0xAB; 10 * 512]);
    assert_eq!(r.media(0, 21, 1), vec![0; 512]);
    assert_eq!(r.state(0, 21), Provisioning::Deallocated);
    // Released: head 5..8 written zeros, middle 8..20 deallocated up to the bad block.
    let d = r.check(0, &ws16(NDOB | UNMAP, 5, 30), &[]);
    assert_eq!(d.information, Some(20));
    assert_eq!(r.states(0, 5, 3), vec![Provisioning::Mapped; 3]);
    assert_eq!(r.states(0, 8, 12), vec![Provisioning::Deallocated; 12]);
    assert_eq!(r.media(0, 5, 15), vec![0; 15 * 512]);
}

// =====================================================================================================
// UNMAP
// =====================================================================================================

fn unmap_rig() -> Rig {
    let mut r = Rig::new(&[(4096, 512, true), (4096, 512, false)]);
    r.limits.max_unmap_descriptors = 4;
    r.limits.max_unmap_blocks = 100;
    r
}

fn unmap_good(r: &mut Rig, anchor: bool, ranges: &[(u64, u32)]) {
    let list = unmap_list(ranges);
    r.good(0, &unmap_cdb(anchor, list.len() as u16), &list);
}

#[test]
fn unmap_deallocates_or_anchors_and_the_blocks_read_zeros() {
    let mut r = unmap_rig();
    r.fill(0, 0, 64, 5);
    unmap_good(&mut r, false, &[(8, 8), (40, 4)]);
    assert_eq!(r.states(0, 8, 8), vec![Provisioning::Deallocated; 8]);
    assert_eq!(r.states(0, 40, 4), vec![Provisioning::Deallocated; 4]);
    assert_eq!(r.media(0, 8, 8), vec![0; 8 * 512]);
    assert_eq!(r.media(0, 7, 1), pattern(7, 512, 5));
    assert_eq!(r.media(0, 16, 1), pattern(16, 512, 5));
    unmap_good(&mut r, true, &[(4, 8)]);
    assert_eq!(r.states(0, 4, 8), vec![Provisioning::Anchored; 8]);
    assert_eq!(r.media(0, 4, 8), vec![0; 8 * 512]);
}

#[test]
fn unmap_parameter_list_checks() {
    let mut r = unmap_rig();
    r.fill(0, 0, 256, 1);
    r.good(0, &unmap_cdb(false, 0), &[]);
    for length in 1..=7u16 {
        assert_sense(&r.check(0, &unmap_cdb(false, length), &vec![0; usize::from(length)]), 5, 0x1A, 0);
    }
    unmap_good(&mut r, false, &[]);
    let list = unmap_list(&[(0, 1); 5]);
    assert_param_field(&r.check(0, &unmap_cdb(false, list.len() as u16), &list), 0x26, 0, 2, None);
    let list = unmap_list(&[(100, 101)]);
    assert_param_field(&r.check(0, &unmap_cdb(false, list.len() as u16), &list), 0x26, 0, 16, None);
    let list = unmap_list(&[(100, 60), (200, 41)]);
    assert_param_field(&r.check(0, &unmap_cdb(false, list.len() as u16), &list), 0x26, 0, 32, None);
    // The data-out must be exactly the PARAMETER LIST LENGTH.
    let list = unmap_list(&[(0, 1)]);
    assert_cdb_field(&r.check(0, &unmap_cdb(false, 40), &list), 7, None);
    assert_cdb_field(&r.check(0, &unmap_cdb(false, 8), &list), 7, None);
    assert_eq!(r.media(0, 0, 256), patterned(0, 256, 512, 1), "nothing unmapped");
    assert_eq!(r.states(0, 0, 256), vec![Provisioning::Mapped; 256]);
}

#[test]
fn unmap_ranges_and_unit_checks() {
    let mut r = unmap_rig();
    for ranges in [vec![(4096u64, 1u32)], vec![(4095, 2)], vec![(0, 1), (u64::MAX, 2)], vec![(1 << 63, 1)]] {
        let list = unmap_list(&ranges);
        assert_lba_out_of_range(&r.check(0, &unmap_cdb(false, list.len() as u16), &list));
    }
    unmap_good(&mut r, false, &[(4095, 1)]);
    unmap_good(&mut r, false, &[(0, 0), (4096, 0), (5, 0)]);
    let list = unmap_list(&[(0, 1)]);
    assert_sense(&r.check(1, &unmap_cdb(false, list.len() as u16), &list), 5, 0x20, 0);
    assert_sense(&r.check(1, &unmap_cdb(false, 0), &[]), 5, 0x20, 0);
    r.units[0].2.write_protected = true;
    assert_sense(&r.check(0, &unmap_cdb(false, list.len() as u16), &list), 7, 0x27, 0);
    // The list is checked before write protection.
    let list = unmap_list(&[(4096, 1)]);
    assert_lba_out_of_range(&r.check(0, &unmap_cdb(false, list.len() as u16), &list));
}

#[test]
fn unmap_ignores_a_truncated_descriptor() {
    let mut r = unmap_rig();
    r.fill(0, 0, 16, 1);
    let mut list = unmap_list(&[(2, 2), (u64::MAX, 0xFFFF)]);
    list[2..4].copy_from_slice(&24u16.to_be_bytes());
    r.good(0, &unmap_cdb(false, list.len() as u16), &list);
    assert_eq!(
        r.states(0, 1, 4),
        [Provisioning::Mapped, Provisioning::Deallocated, Provisioning::Deallocated, Provisioning::Mapped]
    );
    let list = unmap_list(&[(6, 2), (u64::MAX, 0xFFFF)]);
    r.good(0, &unmap_cdb(false, 8 + 16 + 10), &list[..8 + 16 + 10]);
    assert_eq!(r.states(0, 6, 3), [Provisioning::Deallocated, Provisioning::Deallocated, Provisioning::Mapped]);
}

#[test]
fn unmap_of_unaligned_ranges_zeroes_the_head_and_tail() {
    let mut r = Rig::new(&[(4096, 512, true)]);
    r.limits.unmap_granularity = 8;
    r.fill(0, 0, 48, 6);
    unmap_good(&mut r, false, &[(3, 32), (41, 3)]);
    assert_eq!(r.media(0, 0, 3), patterned(0, 3, 512, 6));
    assert_eq!(r.media(0, 3, 32), vec![0; 32 * 512]);
    assert_eq!(r.media(0, 35, 6), patterned(35, 6, 512, 6));
    assert_eq!(r.media(0, 41, 3), vec![0; 3 * 512]);
    assert_eq!(r.media(0, 44, 4), patterned(44, 4, 512, 6));
    let states = r.states(0, 0, 48);
    assert!(states[3..8].iter().chain(&states[32..35]).chain(&states[41..44]).all(|&s| s == Provisioning::Mapped));
    assert!(states[8..32].iter().all(|&s| s == Provisioning::Deallocated));
}

#[test]
fn unmap_stops_at_a_bad_block_in_descriptor_order() {
    let mut r = unmap_rig();
    r.units[0].2.bad_blocks = vec![50];
    r.fill(0, 0, 49, 1);
    r.fill(0, 51, 49, 1);
    let list = unmap_list(&[(60, 4), (45, 10), (0, 4)]);
    let d = r.check(0, &unmap_cdb(false, list.len() as u16), &list);
    assert_sense(&d, 3, 0x0C, 0);
    assert_eq!(d.information, Some(50));
    assert_eq!(r.states(0, 60, 4), vec![Provisioning::Deallocated; 4]);
    assert_eq!(r.states(0, 45, 4), vec![Provisioning::Deallocated; 4]);
    assert_eq!(r.states(0, 51, 4), vec![Provisioning::Mapped; 4]);
    assert_eq!(r.states(0, 0, 4), vec![Provisioning::Mapped; 4], "later descriptors not processed");
}

// =====================================================================================================
// EXTENDED COPY
// =====================================================================================================

const BS: usize = 512;

fn two_cscds() -> Vec<Vec<u8>> {
    vec![cscd(&naa(0), 512), cscd(&naa(1), 512)]
}

#[test]
fn xcopy_one_segment_within_a_unit_and_across_units() {
    let mut r = Rig::prepared();
    let mut expected = r.image();
    r.xcopy_good(0, &copy_list(1, 0, &two_cscds(), &[segment(0, 0, 8, 0, 100)]));
    apply(&mut expected, BS, (0, 0), (0, 100), 8);
    r.xcopy_good(0, &copy_list(2, 0, &two_cscds(), &[segment(0, 1, 16, 200, 300)]));
    apply(&mut expected, BS, (0, 200), (1, 300), 16);
    assert_eq!(r.image(), expected);
}

#[test]
fn xcopy_maps_the_destination_of_a_thin_unit() {
    let mut r = Rig::small();
    r.xcopy_good(0, &copy_list(0, 0b11, &[], &[segment(0xFFFF, 0xFFFF, 4, 1000, 10)]));
    assert_eq!(
        r.states(0, 9, 6)[..],
        [
            Provisioning::Deallocated,
            Provisioning::Mapped,
            Provisioning::Mapped,
            Provisioning::Mapped,
            Provisioning::Mapped,
            Provisioning::Deallocated
        ]
    );
    assert_eq!(r.state(0, 1000), Provisioning::Deallocated, "the source is unchanged");
}

#[test]
fn xcopy_segments_run_in_order_with_cscd_ffffh_and_one_cscd_both_ways() {
    let mut r = Rig::prepared();
    let mut expected = r.image();
    let segs = [segment(1, 0, 8, 0, 500), segment(0xFFFF, 1, 4, 500, 900), segment(1, 1, 2, 900, 0)];
    // Addressed to LUN 1 this time: FFFFh is LUN 1; CSCD 1 is LUN 1 too.
    let r1 = r.xcopy_as(HOST, 1, &copy_list(3, 0b10, &two_cscds(), &segs));
    assert_eq!(r1.status, 0);
    apply(&mut expected, BS, (1, 0), (0, 500), 8);
    apply(&mut expected, BS, (1, 500), (1, 900), 4);
    apply(&mut expected, BS, (1, 900), (1, 0), 2);
    assert_eq!(r.image(), expected);
}

#[test]
fn xcopy_overlapping_copies_match_copy_within() {
    for (src, dst, n) in [(10u64, 14u64, 10u64), (14, 10, 10), (0, 1, 64), (1, 0, 64), (20, 20, 5), (0, 8, 8)] {
        let mut r = Rig::prepared();
        let mut expected = r.image();
        expected[0].copy_within(src as usize * BS..(src + n) as usize * BS, dst as usize * BS);
        r.xcopy_good(0, &copy_list(1, 0, &[], &[segment(0xFFFF, 0xFFFF, n as u16, src, dst)]));
        assert_eq!(r.image(), expected, "{src} -> {dst}");
    }
}

#[test]
fn xcopy_zero_blocks_and_zero_length_list_move_nothing() {
    let mut r = Rig::prepared();
    let expected = r.image();
    r.xcopy_good(0, &copy_list(1, 0, &two_cscds(), &[segment(0, 1, 0, 0, 4096)]));
    r.good(0, &xcopy_cdb(0), &[]);
    r.good(0, &xcopy_cdb(0), &[1, 2, 3]); // no list: the data-out does not matter
    r.xcopy_good(0, &copy_list(1, 0, &two_cscds(), &[]));
    r.xcopy_good(0, &copy_list(1, 0, &[], &[]));
    assert_eq!(r.image(), expected);
}

#[test]
fn xcopy_with_4096_byte_blocks_and_a_duplicate_cscd() {
    let mut r = Rig::new(&[(64, 4096, false), (64, 4096, true)]);
    r.fill(0, 0, 64, 1);
    let mut expected = r.image();
    let cscds = [cscd(&naa(1), 0), cscd(&naa(0), 4096), cscd(&naa(1), 4096)];
    r.xcopy_good(0, &copy_list(1, 0, &cscds, &[segment(1, 2, 10, 3, 40), segment(2, 0, 5, 40, 0)]));
    apply(&mut expected, 4096, (0, 3), (1, 40), 10);
    apply(&mut expected, 4096, (1, 40), (1, 0), 5);
    assert_eq!(r.image(), expected);
}

#[test]
fn xcopy_list_id_usage() {
    let mut r = Rig::prepared();
    let seg = [segment(0, 1, 1, 0, 0)];
    for usage in [0b00, 0b10] {
        r.xcopy_good(0, &copy_list(9, usage, &two_cscds(), &seg));
    }
    r.xcopy_good(0, &copy_list(0, 0b11, &two_cscds(), &seg));
    let d = decode(&r.xcopy_fails(0, &copy_list(9, 0b11, &two_cscds(), &seg)));
    assert_param_field(&d, 0x26, 0, 0, None);
    let d = decode(&r.xcopy_fails(0, &copy_list(9, 0b01, &two_cscds(), &seg)));
    assert_param_field(&d, 0x26, 0, 1, Some(4));
}

#[test]
fn xcopy_cve_2020_28374_cscds_resolve_only_to_accessible_units() {
    let mut r = Rig::prepared();
    r.access = host_lun0_only;
    let expected = r.image();
    // LUN 1 exists, but HOST may not reach it: exactly like an unknown designator.
    let from = r.xcopy_fails(0, &copy_list(1, 0, &two_cscds(), &[segment(1, 0, 8, 0, 100)]));
    assert_eq!(hex(&from), "70000a000000000a000000000d0200a00004");
    let to = r.xcopy_fails(0, &copy_list(1, 0, &two_cscds(), &[segment(0, 1, 8, 0, 100)]));
    assert_eq!(hex(&to), "70000a000000000a000000000d0200a00006");
    let mut unknown = naa(1);
    unknown[3] ^= 0xFF;
    let r2 =
        r.xcopy_fails(0, &copy_list(1, 0, &[cscd(&naa(0), 512), cscd(&unknown, 512)], &[segment(0, 1, 8, 0, 100)]));
    assert_eq!(r2, to);
    assert_eq!(r.image(), expected);
    // The same list from an initiator granted both units copies.
    let ok = r.xcopy_as(OTHER, 0, &copy_list(1, 0, &two_cscds(), &[segment(0, 1, 8, 0, 100)]));
    assert_eq!(ok.status, 0);
}

#[test]
fn xcopy_header_errors() {
    let mut r = Rig::prepared();
    let expected = r.image();
    let base = copy_list(1, 0, &two_cscds(), &[segment(0, 1, 8, 0, 32)]);
    for len in [1usize, 8, 15] {
        let d = r.check(0, &xcopy_cdb(len as u32), &base[..len]);
        assert_sense(&d, 5, 0x1A, 0);
        assert_eq!(d.pointer, None);
    }
    // The data-out must be the PARAMETER LIST LENGTH.
    assert_cdb_field(&r.check(0, &xcopy_cdb(base.len() as u32 + 1), &base), 10, None);
    // Cut CSCD or segment descriptors, header lengths beyond the list.
    for len in [40usize, 80, 16 + 64 + 27] {
        assert_sense(&r.check(0, &xcopy_cdb(len as u32), &base[..len]), 5, 0x1A, 0);
    }
    let mut p = base.clone();
    p[11] += 28;
    assert_sense(&r.check(0, &xcopy_cdb(p.len() as u32), &p), 5, 0x1A, 0);
    // Byte 1 bits 7–6, bytes 4–7, inline data.
    for (at, value, byte, bit) in [
        (1usize, 0x40u8, 1u16, Some(6u8)),
        (1, 0x80, 1, Some(7)),
        (5, 1, 5, None),
        (7, 0x80, 7, None),
        (15, 1, 12, None),
        (12, 1, 12, None),
    ] {
        let mut p = base.clone();
        p[at] |= value;
        let d = decode(&r.xcopy_fails(0, &p));
        assert_param_field(&d, 0x26, 0, byte, bit);
    }
    assert_eq!(r.image(), expected);
}

#[test]
fn xcopy_descriptor_list_limits() {
    let mut r = Rig::prepared();
    // Over MAXIMUM DESCRIPTOR LIST LENGTH (8 × 32 + 16 × 28 = 704): a length error, before the counts.
    let cscds: Vec<Vec<u8>> = (0..9).map(|_| cscd(&naa(0), 512)).collect();
    let segs: Vec<Vec<u8>> = (0..17).map(|_| segment(0, 0, 1, 0, 1)).collect();
    assert_sense(&decode(&r.xcopy_fails(0, &copy_list(1, 0, &cscds, &segs))), 5, 0x1A, 0);
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &cscds, &segs[..1])));
    assert_param_field(&d, 0x26, 0x06, 2, None);
    r.xcopy_good(0, &copy_list(1, 0, &cscds[..8], &segs[..1]));
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &cscds[..1], &segs[..17])));
    assert_param_field(&d, 0x26, 0x08, 8, None);
    r.xcopy_good(0, &copy_list(1, 0, &cscds[..1], &segs[..16]));
    // CSCD list length not a multiple of 32: pointing at the partial descriptor.
    let mut p = copy_list(1, 0, &two_cscds(), &[]);
    p[3] = 48;
    p.truncate(16 + 48);
    assert_param_field(&decode(&r.xcopy_fails(0, &p)), 0x26, 0x07, 48, None);
}

#[test]
fn xcopy_descriptor_type_and_field_errors() {
    let mut r = Rig::prepared();
    let base = copy_list(1, 0, &two_cscds(), &[segment(0, 1, 8, 0, 32)]);
    let seg_at = 16 + 64;
    // (byte to change, value, ASC, ASCQ, pointer byte, bit)
    let cases: [(usize, u8, u8, u8, u16, Option<u8>); 15] = [
        (48, 0xE0, 0x26, 0x07, 48, None),                           // CSCD type E0h
        (17, 0x01, 0x26, 0x00, 17, Some(4)),                        // PERIPHERAL DEVICE TYPE
        (20, 0x02, 0x26, 0x00, 20, Some(3)),                        // CODE SET
        (21, 0x13, 0x26, 0x00, 21, Some(5)),                        // ASSOCIATION
        (21, 0x02, 0x26, 0x00, 21, Some(3)),                        // DESIGNATOR TYPE
        (23, 8, 0x26, 0x00, 23, None),                              // DESIGNATOR LENGTH
        (47, 0x00, 0x26, 0x00, 45, None),                           // DISK BLOCK LENGTH: 0 is fine, 4096 is not
        (seg_at, 0x03, 0x26, 0x09, seg_at as u16, None),            // segment type
        (seg_at + 3, 0x14, 0x26, 0x00, seg_at as u16 + 2, None),    // DESCRIPTOR LENGTH
        (seg_at + 1, 0x04, 0x26, 0x00, seg_at as u16 + 1, Some(2)), // reserved (DC, bit 1, is not)
        (seg_at + 1, 0x81, 0x26, 0x00, seg_at as u16 + 1, Some(7)), // reserved (CAT bit 0 ignored)
        (seg_at + 4, 0x08, 0x26, 0x00, seg_at as u16 + 4, None),    // source CSCD ID 0800h
        (seg_at + 6, 0xFF, 0x26, 0x00, seg_at as u16 + 6, None),    // destination CSCD ID FF01h
        (seg_at + 2, 0x01, 0x26, 0x00, seg_at as u16 + 2, None),    // DESCRIPTOR LENGTH 118h
        (46, 0x10, 0x26, 0x00, 45, None),                           // DISK BLOCK LENGTH 4096 on a 512-byte unit
    ];
    for (at, value, asc, ascq, byte, bit) in cases {
        let mut p = base.clone();
        if at == 47 {
            // DISK BLOCK LENGTH 0 is fine; 4096 is not this unit's.
            p[45..48].copy_from_slice(&[0, 0, 0]);
            r.xcopy_good(0, &p);
            p[45..48].copy_from_slice(&[0, 0x10, 0]);
        } else {
            p[at] = value;
        }
        let d = decode(&r.xcopy_fails(0, &p));
        assert_param_field(&d, asc, ascq, byte, bit);
    }
    // LU ID TYPE (byte 1, bits 7–6) is not checked; NUL is found out only when a segment uses the CSCD.
    let mut p = base.clone();
    p[17] |= 0x80;
    r.xcopy_good(0, &p);
    let mut p = copy_list(1, 0, &[cscd(&naa(0), 512), cscd(&naa(1), 512)], &[segment(0, 0, 1, 0, 9)]);
    p[49] |= 0x20;
    r.xcopy_good(0, &p);
}

#[test]
fn xcopy_segment_longer_than_the_maximum() {
    let mut r = Rig::new(&[(4096, 512, true), (1024, 4096, true)]);
    r.limits.copy.max_segment_bytes = 8192;
    let cscds = [cscd(&naa(0), 512), cscd(&naa(1), 4096)];
    r.xcopy_good(0, &copy_list(1, 0, &cscds, &[segment(0, 0, 16, 0, 100)]));
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &cscds, &[segment(0, 0, 17, 0, 100)])));
    assert_param_field(&d, 0x26, 0, 16 + 64 + 10, None);
    // In bytes of the first side that resolves: 3 blocks of 4096 are too many.
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &cscds, &[segment(1, 0, 3, 0, 0)])));
    assert_param_field(&d, 0x26, 0, 16 + 64 + 10, None);
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &cscds, &[segment(5, 1, 3, 0, 0)])));
    assert_param_field(&d, 0x26, 0, 16 + 64 + 10, None);
    // Neither side resolves: no length check; the segment aborts when it runs.
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &cscds, &[segment(5, 6, 300, 0, 0)])));
    assert_sense(&d, 0xA, 0x0D, 0x02);
}

#[test]
fn xcopy_parsing_errors_move_nothing_even_after_good_segments() {
    let mut r = Rig::prepared();
    let expected = r.image();
    let mut bad = segment(0, 1, 8, 0, 10);
    bad[0] = 0x03;
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &two_cscds(), &[segment(0, 1, 8, 0, 100), bad])));
    assert_param_field(&d, 0x26, 0x09, 16 + 64 + 28, None);
    assert_eq!(r.image(), expected);
}

/// COPY ABORTED fields: (ASC, ASCQ, segment number, segment pointer byte).
fn aborted(d: &Decoded) -> (u8, u8, u64, u16) {
    assert_eq!(d.key, 0x0A);
    let Some((true, byte, None)) = d.pointer else { panic!("segment pointer: {d:?}") };
    (d.asc, d.ascq, d.command_specific, byte)
}

#[test]
fn xcopy_processing_errors_abort_after_earlier_segments_ran() {
    let mut r = Rig::prepared();
    let mut expected = r.image();
    let n0 = [cscd(&naa(0), 512)];
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &n0, &[segment(0, 0, 8, 0, 100), segment(0, 1, 8, 0, 200)])));
    assert_eq!(aborted(&d), (0x0D, 0x02, 1, 6));
    assert_eq!((d.information, d.forwarded.clone()), (None, None));
    apply(&mut expected, BS, (0, 0), (0, 100), 8);
    assert_eq!(r.image(), expected);
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &n0, &[segment(5, 0, 8, 0, 100)])));
    assert_eq!(aborted(&d), (0x0D, 0x02, 0, 4));
    // NUL CSCD.
    let mut c = two_cscds();
    c[0][1] |= 0x20;
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &c, &[segment(0, 1, 8, 0, 100)])));
    assert_eq!(aborted(&d), (0x0D, 0x02, 0, 4));
    assert_eq!(r.image(), expected);
}

#[test]
fn xcopy_copy_target_errors_are_forwarded() {
    let mut r = Rig::prepared();
    let mut expected = r.image();
    let c = two_cscds();
    for (seg, byte, from) in [
        (segment(0, 1, 8, 4096 - 4, 0), 12u16, 1u8),
        (segment(0, 1, 2048, 0, 4095), 20, 2),
        (segment(0, 1, 8, u64::MAX - 3, 0), 12, 1),
        (segment(0, 1, 8, 0, u64::MAX - 3), 20, 2),
    ] {
        let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &c, &[seg])));
        assert_eq!(aborted(&d), (0, 0, 0, byte));
        assert_eq!(d.information, None);
        let (source, status, inner) = d.forwarded.unwrap();
        assert_eq!((source, status), (from, 2));
        assert_eq!(hex(&inner), "700005000000000a00000000210000000000");
    }
    // A later segment's failure keeps what earlier segments did.
    let segs = [segment(0, 1, 8, 0, 100), segment(1, 0, 4, 100, 300), segment(0, 1, 8, 4095, 0)];
    let d = decode(&r.xcopy_fails(0, &copy_list(7, 0, &c, &segs)));
    assert_eq!(aborted(&d), (0, 0, 2, 12));
    apply(&mut expected, BS, (0, 0), (1, 100), 8);
    apply(&mut expected, BS, (1, 100), (0, 300), 4);
    assert_eq!(r.image(), expected);
    // Write protected destination.
    r.units[1].2.write_protected = true;
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &c, &[segment(0, 1, 8, 0, 100)])));
    assert_eq!(aborted(&d), (0, 0, 0, 6));
    let (source, _, inner) = d.forwarded.unwrap();
    assert_eq!((source, hex(&inner).as_str()), (2, "700007000000000a00000000270000000000"));
    // A write-protected source is fine.
    r.xcopy_good(0, &copy_list(1, 0, &c, &[segment(1, 0, 8, 0, 100)]));
}

#[test]
fn xcopy_different_block_sizes_are_an_incorrect_copy_target_device_type() {
    let mut r = Rig::new(&[(4096, 512, true), (1024, 4096, true)]);
    let c = [cscd(&naa(0), 512), cscd(&naa(1), 4096)];
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &c, &[segment(0, 1, 8, 0, 0)])));
    assert_eq!(aborted(&d), (0x0D, 0x03, 0, 6));
    // Checked before the ranges.
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &c, &[segment(1, 0, 8, u64::MAX, 0)])));
    assert_eq!(aborted(&d), (0x0D, 0x03, 0, 6));
}

/// LUN 0 with bad block 13 and LUN 1 with bad block 103, filled around them.
fn bad_block_rig(descriptor_sense: bool) -> Rig {
    let mut r = Rig::prepared();
    r.units[0].2.bad_blocks = vec![13];
    r.units[1].2.bad_blocks = vec![103];
    r.descriptor_sense = descriptor_sense;
    r
}

#[test]
fn xcopy_medium_error_part_way_through_a_segment() {
    for descriptor_sense in [false, true] {
        let mut r = bad_block_rig(descriptor_sense);
        let mut expected = r.image();
        let sense = r.xcopy_fails(0, &copy_list(3, 0, &two_cscds(), &[segment(0, 1, 8, 10, 200)]));
        assert_eq!(sense[0] & 0x7F, if descriptor_sense { 0x72 } else { 0x70 });
        let d = decode(&sense);
        assert_eq!(aborted(&d), (0, 0, 0, 12));
        assert_eq!(d.information, Some(5), "residual");
        let (from, status, inner) = d.forwarded.unwrap();
        assert_eq!((from, status), (1, 2));
        let inner = decode(&inner);
        assert_sense(&inner, 3, 0x11, 0);
        assert_eq!(inner.information, Some(13));
        apply(&mut expected, BS, (0, 10), (1, 200), 3);
        assert_eq!(r.image(), expected);
        if !descriptor_sense {
            assert_eq!(hex(&sense), "f0000a000000051d12000000000000a0000c02f000030000000d0a00000000110000000000");
        }
    }
}

#[test]
fn xcopy_medium_error_in_a_backward_overlapping_copy() {
    let mut r = bad_block_rig(false);
    let mut expected = r.image();
    // LUN 0 blocks 8..18 → 11..21 runs from the end: 17..14 move, then the read of 13 fails.
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &[], &[segment(0xFFFF, 0xFFFF, 10, 8, 11)])));
    assert_eq!(d.information, Some(6));
    let inner = decode(&d.forwarded.unwrap().2);
    assert_eq!((inner.asc, inner.information), (0x11, Some(13)));
    expected[0].copy_within(14 * BS..18 * BS, 17 * BS);
    assert_eq!(r.image(), expected);
    // Backward with the destination's bad block last in processing order: 8..18 → 12..22 on a unit
    // whose bad block is 20: blocks 9..18 → ... the write of 20 (index 8) fails after index 9 moved.
    let mut r = Rig::prepared();
    r.units[0].2.bad_blocks = vec![20];
    let mut expected = r.image();
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &[], &[segment(0xFFFF, 0xFFFF, 10, 8, 12)])));
    assert_eq!(aborted(&d), (0, 0, 0, 20));
    assert_eq!(d.information, Some(9));
    let inner = decode(&d.forwarded.unwrap().2);
    assert_eq!((inner.asc, inner.information), (0x0C, Some(20)));
    expected[0].copy_within(17 * BS..18 * BS, 21 * BS);
    assert_eq!(r.image(), expected);
}

#[test]
fn xcopy_medium_error_on_the_destination_and_on_the_first_block() {
    let mut r = bad_block_rig(false);
    let mut expected = r.image();
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &two_cscds(), &[segment(0, 1, 10, 30, 100)])));
    assert_eq!((aborted(&d), d.information), ((0, 0, 0, 20), Some(7)));
    let (from, _, inner) = d.forwarded.unwrap();
    let inner = decode(&inner);
    assert_eq!((from, inner.key, inner.asc, inner.information), (2, 3, 0x0C, Some(103)));
    apply(&mut expected, BS, (0, 30), (1, 100), 3);
    assert_eq!(r.image(), expected);
    // Nothing of the segment written: no residual.
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &two_cscds(), &[segment(0, 1, 4, 13, 300)])));
    assert_eq!(d.information, None);
    assert_eq!(decode(&d.forwarded.unwrap().2).information, Some(13));
    assert_eq!(r.image(), expected);
    // Read and write failing on the same block: the read comes first.
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &two_cscds(), &[segment(0, 1, 4, 11, 101)])));
    assert_eq!((aborted(&d).3, d.information), (12, Some(2)));
}

#[test]
fn xcopy_medium_error_in_a_later_segment_in_descriptor_format() {
    let mut r = bad_block_rig(true);
    let mut expected = r.image();
    let segs = [segment(0, 1, 4, 0, 300), segment(1, 0, 2, 300, 400), segment(0, 1, 6, 11, 310)];
    let sense = r.xcopy_fails(0, &copy_list(1, 0, &two_cscds(), &segs));
    let d = decode(&sense);
    assert_eq!((aborted(&d), d.information), ((0, 0, 2, 12), Some(4)));
    assert_eq!(
        hex(&sense),
        "720a000000000038000a80000000000000000004010a0000000000000000000202060000a0000c000c16010272031100\
         0000000c000a8000000000000000000d"
    );
    apply(&mut expected, BS, (0, 0), (1, 300), 4);
    apply(&mut expected, BS, (1, 300), (0, 400), 2);
    apply(&mut expected, BS, (0, 11), (1, 310), 2);
    assert_eq!(r.image(), expected);
}

#[test]
fn a_unit_that_breaks_the_rules_is_refused_at_construction_and_not_executed_on() {
    let mut data = vec![0u8; 4096];
    let mut small = vec![0u8; 1];
    let mut units = [Unit::thin(&mut data, 512, naa(0), &mut small)];
    assert!(matches!(
        FastPath::new(&mut units, Limits::default(), false, crate::AllowAll),
        Err(crate::ConfigError::Provisioning { unit: 0, .. })
    ));
    let mut fp =
        FastPath { units: &mut units, limits: Limits::default(), descriptor_sense: false, access: crate::AllowAll };
    assert!(!fp.execute(b"i", 0, &ws16(0x09, 0, 8), &[], &mut []).handled);
    let mut data = vec![0u8; 4096];
    let mut units = [Unit::thick(&mut data, 1024, naa(0))];
    assert!(FastPath::new(&mut units, Limits::default(), false, crate::AllowAll).is_err());
    let mut data = vec![0u8; 4096];
    let mut units = [Unit { bad_blocks: &[3, 2], ..Unit::thick(&mut data, 512, naa(0)) }];
    assert!(FastPath::new(&mut units, Limits::default(), false, crate::AllowAll).is_err());
    let mut data = vec![0u8; 4096];
    let mut units = [Unit::thick(&mut data, 512, naa(0))];
    let limits = Limits { unmap_granularity: 0, ..Limits::default() };
    assert!(FastPath::new(&mut units, limits, false, crate::AllowAll).is_err());
    assert!(FastPath::new(&mut [], Limits::default(), false, crate::AllowAll).is_err());
}
