//! Integration tests of the SCSI front end, command by command: every command the target supports
//! (except EXTENDED COPY and RECEIVE COPY RESULTS, tested in `xcopy.rs`) and every error path.
//!
//! Expected values come from SPC-4 / SBC-4 (byte layouts, sense codes, field pointers) or from an
//! independent computation in the test (patterns, extents); never from the model's own output.
//!
//! Field pointers: the pointer names the first byte of a multi-byte field; a bit pointer, when given, names
//! the left-most bit of the field (SPC-4 4.5.2.4.2). For a field that fills whole bytes the bit pointer is
//! optional, so those assertions accept either no bit pointer or bit 7.

mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet};

use offload_model::config::{AccessMap, Limits, TargetConfig, UnitConfig};
use offload_model::scsi::{Request, Response, Target};

// ---- Targets ----

const BLOCKS: u64 = 4096;

fn unit(blocks: u64, block_size: u32, thin: bool) -> UnitConfig {
    UnitConfig { blocks, block_size, thin, ..UnitConfig::default() }
}

fn target(units: Vec<UnitConfig>, limits: Limits) -> Target {
    Target::new(TargetConfig { units, limits, ..TargetConfig::default() }).expect("valid config")
}

/// LUN 0 thin, LUN 1 thick, both 4096 blocks of 512 bytes, default limits.
fn thin_and_thick() -> Target {
    target(vec![unit(BLOCKS, 512, true), unit(BLOCKS, 512, false)], Limits::default())
}

/// One thin unit of 4096 × 512-byte blocks with `limits`.
fn thin_with(limits: Limits) -> Target {
    target(vec![unit(BLOCKS, 512, true)], limits)
}

fn request_from(initiator: &str, lun: u16, cdb: Vec<u8>, data_out: Vec<u8>) -> Request {
    Request { initiator: initiator.to_owned(), lun, cdb, data_out }
}

/// HOST reaches only LUN 0 of two; every other initiator reaches both.
fn host_granted_lun0_only() -> Target {
    let mut access = AccessMap::default();
    access.grants.insert(HOST.to_owned(), BTreeSet::from([0]));
    Target::new(TargetConfig {
        units: vec![unit(BLOCKS, 512, true), unit(BLOCKS, 512, true)],
        access,
        ..TargetConfig::default()
    })
    .expect("valid config")
}

// ---- CDB builders not in common (SPC-4 / SBC-4 layouts) ----

fn test_unit_ready() -> Vec<u8> {
    vec![0x00, 0, 0, 0, 0, 0]
}

fn read_capacity10() -> Vec<u8> {
    vec![0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]
}

/// MODE SENSE (6): byte 1 bit 3 DBD; byte 2 PC (7–6) and PAGE CODE (5–0); byte 3 SUBPAGE; byte 4 ALLOCATION.
fn mode_sense6(dbd: bool, pc: u8, page: u8, subpage: u8, allocation: u8) -> Vec<u8> {
    vec![0x1A, if dbd { 0x08 } else { 0 }, pc << 6 | page, subpage, allocation, 0]
}

/// MODE SENSE (10): byte 1 bit 4 LLBAA, bit 3 DBD; bytes 7–8 ALLOCATION LENGTH.
fn mode_sense10(llbaa: bool, dbd: bool, pc: u8, page: u8, subpage: u8, allocation: u16) -> Vec<u8> {
    let mut c = vec![0x5A, 0, pc << 6 | page, subpage, 0, 0, 0, 0, 0, 0];
    c[1] = if llbaa { 0x10 } else { 0 } | if dbd { 0x08 } else { 0 };
    c[7..9].copy_from_slice(&allocation.to_be_bytes());
    c
}

/// MODE SELECT (6): byte 1 bit 4 PF, bit 0 SP; byte 4 PARAMETER LIST LENGTH.
fn mode_select6(pf: bool, sp: bool, length: u8) -> Vec<u8> {
    vec![0x15, u8::from(pf) << 4 | u8::from(sp), 0, 0, length, 0]
}

/// MODE SELECT (10): byte 1 bit 4 PF, bit 0 SP; bytes 7–8 PARAMETER LIST LENGTH.
fn mode_select10(pf: bool, sp: bool, length: u16) -> Vec<u8> {
    let mut c = vec![0x55, u8::from(pf) << 4 | u8::from(sp), 0, 0, 0, 0, 0, 0, 0, 0];
    c[7..9].copy_from_slice(&length.to_be_bytes());
    c
}

/// REPORT LUNS: byte 2 SELECT REPORT, bytes 6–9 ALLOCATION LENGTH.
fn report_luns(select: u8, allocation: u32) -> Vec<u8> {
    let mut c = vec![0xA0, 0, select, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    c[6..10].copy_from_slice(&allocation.to_be_bytes());
    c
}

/// REPORT SUPPORTED OPERATION CODES: A3h/0Ch; byte 2 RCTD (bit 7) and REPORTING OPTIONS (2–0); byte 3
/// REQUESTED OPERATION CODE; bytes 4–5 REQUESTED SERVICE ACTION; bytes 6–9 ALLOCATION LENGTH.
fn rsoc(rctd: bool, options: u8, opcode: u8, service_action: u16, allocation: u32) -> Vec<u8> {
    let mut c = vec![0xA3, 0x0C, u8::from(rctd) << 7 | options, opcode, 0, 0, 0, 0, 0, 0, 0, 0];
    c[4..6].copy_from_slice(&service_action.to_be_bytes());
    c[6..10].copy_from_slice(&allocation.to_be_bytes());
    c
}

// ---- Field readers ----

fn be16(d: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([d[at], d[at + 1]])
}

fn be32(d: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(d[at..at + 4].try_into().unwrap())
}

fn be64(d: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(d[at..at + 8].try_into().unwrap())
}

// ---- Sense assertions ----

/// INVALID FIELD IN CDB at a field of whole bytes starting at `byte` (bit pointer absent or 7).
#[track_caller]
fn assert_invalid_cdb_byte(d: &Decoded, byte: u16) {
    assert_sense(d, 5, 0x24, 0);
    match d.field_pointer {
        Some((true, b, None | Some(7))) if b == byte => {}
        other => panic!("expected a CDB field pointer at byte {byte}, got {other:?}"),
    }
}

/// INVALID FIELD IN CDB with some CDB field pointer (the standard names no particular field).
#[track_caller]
fn assert_invalid_cdb(d: &Decoded) {
    assert_sense(d, 5, 0x24, 0);
    assert!(matches!(d.field_pointer, Some((true, _, _))), "expected a CDB field pointer: {d:?}");
}

/// An ILLEGAL REQUEST in the parameter list (C/D=0) at `byte`, bit exactly `bit`.
#[track_caller]
fn assert_parameter_field(d: &Decoded, asc: u8, byte: u16, bit: Option<u8>) {
    assert_sense(d, 5, asc, 0);
    assert_eq!(d.field_pointer, Some((false, byte, bit)), "parameter-list pointer of {d:?}");
}

/// An ILLEGAL REQUEST in the parameter list (C/D=0) at a whole-byte field starting at `byte`.
#[track_caller]
fn assert_parameter_byte(d: &Decoded, asc: u8, byte: u16) {
    assert_sense(d, 5, asc, 0);
    match d.field_pointer {
        Some((false, b, None | Some(7))) if b == byte => {}
        other => panic!("expected a parameter-list pointer at byte {byte}, got {other:?}"),
    }
}

#[track_caller]
fn assert_lba_out_of_range(d: &Decoded) {
    assert_sense(d, 5, 0x21, 0);
}

// ---- Medium helpers ----

/// `n` blocks of `pattern`, starting at `lba`.
fn patterned(lba: u64, n: u64, block_size: usize, salt: u8) -> Vec<u8> {
    (lba..lba + n).flat_map(|l| pattern(l, block_size, salt)).collect()
}

/// GET LBA STATUS descriptors from `lba`: (first LBA, blocks, provisioning status).
fn lba_status(t: &mut Target, lun: u16, lba: u64) -> Vec<(u64, u32, u8)> {
    let d = good(t, lun, get_lba_status(lba, 4096), vec![]);
    let length = be32(&d, 0) as usize;
    assert_eq!(length + 4, d.len(), "PARAMETER DATA LENGTH covers the descriptors");
    assert_eq!((d.len() - 8) % 16, 0, "whole descriptors");
    d[8..].chunks(16).map(|c| (be64(c, 0), be32(c, 8), c[12] & 0x0F)).collect()
}

const MAPPED: u8 = 0;
const DEALLOCATED: u8 = 1;
const ANCHORED: u8 = 2;

/// The first extent from `lba`: (blocks, status).
fn extent_at(t: &mut Target, lun: u16, lba: u64) -> (u32, u8) {
    let d = lba_status(t, lun, lba);
    assert_eq!(d[0].0, lba, "the first descriptor starts at the starting LBA");
    (d[0].1, d[0].2)
}

// ==== TEST UNIT READY ====

#[test]
fn test_unit_ready_is_good_on_every_configured_lun() {
    let mut t = thin_and_thick();
    for lun in 0..2 {
        assert_eq!(good(&mut t, lun, test_unit_ready(), vec![]), Vec::<u8>::new());
    }
}

#[test]
fn test_unit_ready_on_an_unconfigured_lun_is_logical_unit_not_supported() {
    let mut t = thin_and_thick();
    for lun in [2, 255, 0xFFFF] {
        assert_sense(&check(&mut t, lun, test_unit_ready(), vec![]), 5, 0x25, 0);
    }
}

#[test]
fn test_unit_ready_with_naca_is_invalid_field_at_control_byte() {
    let mut t = thin_and_thick();
    let d = check(&mut t, 0, vec![0, 0, 0, 0, 0, 0x04], vec![]);
    assert_invalid_cdb_field(&d, 5, Some(2));
}

#[test]
fn test_unit_ready_reserved_bytes_are_checked() {
    let mut t = thin_and_thick();
    for byte in 1..=4 {
        let mut cdb = test_unit_ready();
        cdb[byte] = 0x40;
        assert_invalid_cdb_field(&check(&mut t, 0, cdb, vec![]), byte as u16, Some(6));
    }
}

// ==== INQUIRY ====

#[test]
fn inquiry_standard_data_fields() {
    let mut t = thin_and_thick();
    let d = good(&mut t, 0, inquiry(false, 0, 255), vec![]);
    assert!(d.len() >= 36, "at least the 36 mandatory bytes");
    assert_eq!(d[0] >> 5, 0, "PERIPHERAL QUALIFIER 000b: connected");
    assert_eq!(d[0] & 0x1F, 0, "PERIPHERAL DEVICE TYPE 00h: direct access block device");
    assert_eq!(d[1] & 0x80, 0, "not removable");
    assert_eq!(d[2], 0x06, "VERSION: SPC-4");
    assert_eq!(d[3] & 0x0F, 2, "RESPONSE DATA FORMAT");
    assert_eq!(d[3] & 0x20, 0, "NORMACA=0: NACA is not supported");
    assert_eq!(usize::from(d[4]) + 5, d.len(), "ADDITIONAL LENGTH counts the bytes after byte 4");
    assert_ne!(d[5] & 0x08, 0, "3PC: EXTENDED COPY is supported");
    assert_eq!(d[5] & 0x01, 0, "PROTECT=0: no protection information");
    assert_ne!(d[7] & 0x02, 0, "CMDQUE");
    for (name, range) in [("vendor", 8..16), ("product", 16..32), ("revision", 32..36)] {
        assert!(d[range].iter().all(|&c| (0x20..=0x7E).contains(&c)), "{name} is printable ASCII");
    }
    let versions: Vec<u16> = (58..74).step_by(2).filter(|&i| i + 2 <= d.len()).map(|i| be16(&d, i)).collect();
    assert!(versions.contains(&0x0460), "SPC-4 version descriptor in {versions:04x?}");
    assert!(versions.contains(&0x04C0), "SBC-3 version descriptor (the 3Ch B0h page needs it)");
}

#[test]
fn inquiry_same_standard_data_on_thin_and_thick_units() {
    let mut t = thin_and_thick();
    let a = good(&mut t, 0, inquiry(false, 0, 255), vec![]);
    let b = good(&mut t, 1, inquiry(false, 0, 255), vec![]);
    assert_eq!(a, b);
}

#[test]
fn inquiry_to_an_unconfigured_lun_reports_peripheral_qualifier_011b() {
    let mut t = thin_and_thick();
    let d = good(&mut t, 7, inquiry(false, 0, 255), vec![]);
    assert_eq!(d[0], 0x7F, "PQ 011b, PDT 1Fh: no logical unit here");
}

#[test]
fn inquiry_to_a_lun_outside_the_access_map_reports_peripheral_qualifier_011b() {
    let mut t = host_granted_lun0_only();
    assert_eq!(good(&mut t, 0, inquiry(false, 0, 255), vec![])[0], 0x00);
    assert_eq!(good(&mut t, 1, inquiry(false, 0, 255), vec![])[0], 0x7F);
    let other = t.execute(&request_from(OTHER_HOST, 1, inquiry(false, 0, 255), vec![]));
    assert_eq!((other.status, other.data_in[0]), (0, 0x00), "another initiator reaches LUN 1");
}

#[test]
fn inquiry_evpd_zero_with_a_page_code_is_invalid_field() {
    let mut t = thin_and_thick();
    for page in [0x01, 0x80, 0x83, 0xB0] {
        assert_invalid_cdb_byte(&check(&mut t, 0, inquiry(false, page, 255), vec![]), 2);
    }
}

#[test]
fn inquiry_unsupported_vpd_page_is_invalid_field() {
    let mut t = thin_and_thick();
    for page in [0x01, 0x81, 0x86, 0x89, 0xB3, 0xB4, 0xC0, 0xFF] {
        assert_invalid_cdb_byte(&check(&mut t, 0, inquiry(true, page, 255), vec![]), 2);
    }
}

#[test]
fn inquiry_cmddt_bit_is_invalid_field() {
    let mut t = thin_and_thick();
    let mut cdb = inquiry(false, 0, 255);
    cdb[1] = 0x02;
    assert_invalid_cdb_field(&check(&mut t, 0, cdb, vec![]), 1, Some(1));
}

#[test]
fn inquiry_allocation_length_truncates_standard_data() {
    let mut t = thin_and_thick();
    let full = good(&mut t, 0, inquiry(false, 0, 0xFFFF), vec![]);
    for allocation in 0..=300u16 {
        let d = good(&mut t, 0, inquiry(false, 0, allocation), vec![]);
        assert_eq!(d, full[..full.len().min(usize::from(allocation))], "allocation {allocation}");
    }
    let a = good(&mut t, 0, inquiry(false, 0, 511), vec![]);
    let b = good(&mut t, 0, inquiry(false, 0, 512), vec![]);
    assert_eq!(a, b, "511 and 512 return the same data (the high byte of the length is honoured)");
    assert_eq!(a, full);
}

#[test]
fn inquiry_allocation_length_truncates_vpd_pages() {
    let mut t = thin_and_thick();
    for page in [0x00, 0x80, 0x83, 0x8F, 0xB0, 0xB1, 0xB2] {
        let full = good(&mut t, 0, inquiry(true, page, 0xFFFF), vec![]);
        for allocation in 0..=full.len() as u16 + 4 {
            let d = good(&mut t, 0, inquiry(true, page, allocation), vec![]);
            assert_eq!(d, full[..full.len().min(usize::from(allocation))], "page {page:02x} allocation {allocation}");
        }
        let a = good(&mut t, 0, inquiry(true, page, 511), vec![]);
        assert_eq!(a, good(&mut t, 0, inquiry(true, page, 512), vec![]), "page {page:02x}: 511 vs 512");
    }
}

/// Every VPD page: header PQ/PDT, page code, and PAGE LENGTH = the bytes after the 4-byte header.
fn vpd(t: &mut Target, lun: u16, page: u8) -> Vec<u8> {
    let d = good(t, lun, inquiry(true, page, 0xFFFF), vec![]);
    assert_eq!(d[0], 0x00, "page {page:02x}: PQ/PDT");
    assert_eq!(d[1], page, "page {page:02x}: PAGE CODE");
    assert_eq!(usize::from(be16(&d, 2)) + 4, d.len(), "page {page:02x}: PAGE LENGTH");
    d
}

#[test]
fn vpd_00_lists_sorted_pages_and_every_listed_page_answers() {
    let mut t = thin_and_thick();
    for lun in 0..2 {
        let d = vpd(&mut t, lun, 0x00);
        let pages = &d[4..];
        assert!(pages.windows(2).all(|w| w[0] < w[1]), "ascending, no duplicates: {pages:02x?}");
        for required in [0x00, 0x80, 0x83, 0x8F, 0xB0, 0xB1, 0xB2] {
            assert!(pages.contains(&required), "page {required:02x} listed");
        }
        for &page in pages {
            vpd(&mut t, lun, page);
        }
    }
}

#[test]
fn vpd_80_unit_serial_number_is_ascii_and_unique() {
    let mut t = thin_and_thick();
    let a = vpd(&mut t, 0, 0x80);
    let b = vpd(&mut t, 1, 0x80);
    assert!(a.len() > 4, "a serial number");
    assert!(a[4..].iter().all(|&c| (0x20..=0x7E).contains(&c)), "ASCII: {:?}", &a[4..]);
    assert_ne!(a[4..], b[4..], "each unit has its own serial number");
}

#[test]
fn vpd_83_has_a_binary_naa_logical_unit_designator() {
    let mut t = thin_and_thick();
    let mut seen = Vec::new();
    for lun in 0..2 {
        let d = vpd(&mut t, lun, 0x83);
        let mut naa = None;
        let mut at = 4;
        while at < d.len() {
            assert!(at + 4 <= d.len(), "designation descriptor header");
            let len = usize::from(d[at + 3]);
            assert!(at + 4 + len <= d.len(), "designator inside the page");
            let (code_set, association, kind) = (d[at] & 0x0F, (d[at + 1] >> 4) & 3, d[at + 1] & 0x0F);
            if kind == 3 && association == 0 {
                assert_eq!(code_set, 1, "NAA is binary");
                assert_eq!(len, 16, "IEEE Registered Extended is 16 bytes");
                assert_eq!(d[at + 4] >> 4, 6, "NAA 6");
                naa = Some(d[at + 4..at + 4 + len].to_vec());
            }
            at += 4 + len;
        }
        assert_eq!(at, d.len(), "descriptors tile the page");
        seen.push(naa.expect("an NAA designator for the logical unit"));
    }
    assert_ne!(seen[0], seen[1], "designators are unique per unit");
}

#[test]
fn vpd_8f_third_party_copy_descriptors_tile_the_page() {
    let mut t = thin_and_thick();
    let d = vpd(&mut t, 0, 0x8F);
    let mut at = 4;
    let mut kinds = Vec::new();
    while at < d.len() {
        let (kind, len) = (be16(&d, at), usize::from(be16(&d, at + 2)));
        assert_eq!(len % 4, 0, "descriptor {kind:04x}: length a multiple of four");
        at += 4 + len;
        kinds.push(kind);
    }
    assert_eq!(at, d.len(), "descriptors tile the page");
    assert!(kinds.contains(&0x0001), "Supported Commands descriptor: {kinds:04x?}");
}

#[test]
fn vpd_b0_block_limits_equal_the_configured_limits() {
    let limits = Limits {
        max_transfer_blocks: 1234,
        max_compare_and_write_blocks: 17,
        max_write_same_blocks: 4321,
        write_same_non_zero: false,
        max_unmap_blocks: 999,
        max_unmap_descriptors: 7,
        unmap_granularity: 8,
        ..Limits::default()
    };
    let mut t = thin_with(limits);
    let d = vpd(&mut t, 0, 0xB0);
    assert_eq!(be16(&d, 2), 0x3C, "SBC-3/4 page length");
    assert_eq!(d[4] & 1, 0, "WSNZ");
    assert_eq!(d[5], 17, "MAXIMUM COMPARE AND WRITE LENGTH");
    assert_eq!(be32(&d, 8), 1234, "MAXIMUM TRANSFER LENGTH");
    assert_eq!(be32(&d, 20), 999, "MAXIMUM UNMAP LBA COUNT");
    assert_eq!(be32(&d, 24), 7, "MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT");
    assert_eq!(be32(&d, 28), 8, "OPTIMAL UNMAP GRANULARITY");
    assert_eq!(be64(&d, 36), 4321, "MAXIMUM WRITE SAME LENGTH");

    let mut t = thin_with(Limits::default());
    let d = vpd(&mut t, 0, 0xB0);
    let l = Limits::default();
    assert_eq!(d[4] & 1, u8::from(l.write_same_non_zero), "WSNZ");
    assert_eq!(d[5], l.max_compare_and_write_blocks);
    assert_eq!(be32(&d, 8), l.max_transfer_blocks);
    assert_eq!(be32(&d, 20), l.max_unmap_blocks);
    assert_eq!(be32(&d, 24), l.max_unmap_descriptors);
    assert_eq!(be32(&d, 28), l.unmap_granularity);
    assert_eq!(be64(&d, 36), l.max_write_same_blocks);
}

#[test]
fn vpd_b0_of_a_thick_unit_advertises_no_unmap() {
    let mut t = thin_and_thick();
    let d = vpd(&mut t, 1, 0xB0);
    assert_eq!(be32(&d, 20), 0, "MAXIMUM UNMAP LBA COUNT 0 when LBPU=0");
    assert_eq!(be32(&d, 24), 0, "MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT 0 when LBPU=0");
    assert_eq!(be32(&d, 8), Limits::default().max_transfer_blocks);
    assert_eq!(be64(&d, 36), Limits::default().max_write_same_blocks);
}

#[test]
fn vpd_b1_block_device_characteristics_non_rotating() {
    let mut t = thin_and_thick();
    for lun in 0..2 {
        let d = vpd(&mut t, lun, 0xB1);
        assert_eq!(be16(&d, 2), 0x3C, "SBC-4 6.6.2: PAGE LENGTH 003Ch");
        assert_eq!(be16(&d, 4), 0x0001, "MEDIUM ROTATION RATE: non-rotating medium");
        assert_eq!(d[6], 0, "PRODUCT TYPE: not indicated");
        assert_eq!(d[7], 0, "WABEREQ, WACEREQ, NOMINAL FORM FACTOR: not reported");
        assert_eq!(d[8], 0, "ZONED, FUAB, VBULS: none");
    }
}

#[test]
fn vpd_b2_logical_block_provisioning_thin_and_thick() {
    let mut t = thin_and_thick();
    let thin = vpd(&mut t, 0, 0xB2);
    assert_eq!(be16(&thin, 2), 4, "no provisioning group descriptor");
    assert_ne!(thin[5] & 0x80, 0, "LBPU");
    assert_ne!(thin[5] & 0x40, 0, "LBPWS");
    assert_ne!(thin[5] & 0x20, 0, "LBPWS10");
    assert_eq!((thin[5] >> 2) & 7, 0b001, "LBPRZ: deallocated blocks read zeros");
    assert_ne!(thin[5] & 0x02, 0, "ANC_SUP");
    assert_eq!(thin[5] & 0x01, 0, "DP");
    assert_eq!(thin[6] & 7, 2, "PROVISIONING TYPE: thin");

    let thick = vpd(&mut t, 1, 0xB2);
    assert_eq!(thick[5] & 0xE2, 0, "no LBPU, LBPWS, LBPWS10 or ANC_SUP");
    assert_eq!(thick[6] & 7, 0, "PROVISIONING TYPE: fully provisioned");
}

// ==== READ CAPACITY ====

#[test]
fn read_capacity10_reports_last_lba_and_block_length() {
    let mut t = target(vec![unit(4096, 512, true), unit(1000, 4096, false)], Limits::default());
    let d = good(&mut t, 0, read_capacity10(), vec![]);
    assert_eq!((be32(&d, 0), be32(&d, 4)), (4095, 512));
    let d = good(&mut t, 1, read_capacity10(), vec![]);
    assert_eq!((be32(&d, 0), be32(&d, 4)), (999, 4096));
    assert_eq!(d.len(), 8);
}

#[test]
fn read_capacity10_beyond_32_bits_returns_ffffffff() {
    let units = vec![unit((1 << 32) + 5, 512, true), unit(1 << 32, 512, true), unit((1 << 32) - 1, 512, true)];
    let mut t = target(units, Limits::default());
    let last = |t: &mut Target, lun| be32(&good(t, lun, read_capacity10(), vec![]), 0);
    assert_eq!(last(&mut t, 0), 0xFFFF_FFFF, "capacity above 32 bits: use READ CAPACITY (16)");
    assert_eq!(last(&mut t, 1), 0xFFFF_FFFF, "last LBA exactly FFFFFFFFh");
    assert_eq!(last(&mut t, 2), 0xFFFF_FFFE);
    let d = good(&mut t, 0, read_capacity16(32), vec![]);
    assert_eq!(be64(&d, 0), 1 << 32 | 4, "READ CAPACITY (16) has the exact last LBA");
}

#[test]
fn read_capacity16_reports_last_lba_length_and_provisioning() {
    let mut t = target(vec![unit(4096, 512, true), unit(1000, 4096, false)], Limits::default());
    let thin = good(&mut t, 0, read_capacity16(32), vec![]);
    assert_eq!(thin.len(), 32);
    assert_eq!((be64(&thin, 0), be32(&thin, 8)), (4095, 512));
    assert_eq!(thin[12], 0, "no protection information");
    assert_eq!(thin[13], 0, "one logical block per physical block");
    assert_eq!(thin[14] & 0xC0, 0xC0, "LBPME and LBPRZ");
    assert_eq!(be16(&thin, 14) & 0x3FFF, 0, "LOWEST ALIGNED LBA");
    assert!(thin[16..].iter().all(|&b| b == 0), "reserved");

    let thick = good(&mut t, 1, read_capacity16(32), vec![]);
    assert_eq!((be64(&thick, 0), be32(&thick, 8)), (999, 4096));
    assert_eq!(thick[14] & 0xC0, 0, "fully provisioned: LBPME=0, LBPRZ=0");
}

#[test]
fn read_capacity16_reports_the_physical_block_exponent() {
    // SBC-4 5.21.2: byte 13 bits 3-0 LOGICAL BLOCKS PER PHYSICAL BLOCK EXPONENT, 2^n logical blocks per
    // physical block; bytes 14-15 bits 13-0 LOWEST ALIGNED LOGICAL BLOCK ADDRESS (LBA 0 here).
    let e512 =
        |exponent, thin| UnitConfig { logical_blocks_per_physical_block_exponent: exponent, ..unit(4096, 512, thin) };
    let mut t = target(vec![e512(3, true), e512(3, false), e512(15, true)], Limits::default());
    let thin = good(&mut t, 0, read_capacity16(32), vec![]);
    assert_eq!(thin[13] & 0x0F, 3, "8 × 512-byte logical blocks per 4 KiB physical block");
    assert_eq!(thin[13] & 0xF0, 0, "P_I_EXPONENT: no protection information");
    assert_eq!(thin[14] & 0xC0, 0xC0, "LBPME and LBPRZ unaffected");
    assert_eq!(be16(&thin, 14) & 0x3FFF, 0, "LOWEST ALIGNED LBA");
    let thick = good(&mut t, 1, read_capacity16(32), vec![]);
    assert_eq!(thick[13], 3);
    assert_eq!(thick[14] & 0xC0, 0);
    assert_eq!(good(&mut t, 2, read_capacity16(32), vec![])[13], 15, "the field's largest value");
}

#[test]
fn vpd_b0_optimal_transfer_length_granularity_is_one_physical_block() {
    // SBC-4 6.6.4: OPTIMAL TRANSFER LENGTH GRANULARITY (bytes 6-7) in logical blocks.
    let with = |exponent| UnitConfig { logical_blocks_per_physical_block_exponent: exponent, ..unit(4096, 512, true) };
    let mut t = target(vec![with(0), with(3)], Limits::default());
    assert_eq!(be16(&vpd(&mut t, 0, 0xB0), 6), 1);
    assert_eq!(be16(&vpd(&mut t, 1, 0xB0), 6), 8);
}

#[test]
fn unaligned_write_same_unmap_on_a_512e_unit_succeeds_and_reads_back() {
    // SBC-4 5.49: WRITE SAME with UNMAP=1 over part of a physical block — whatever the device server
    // deallocates, every LBA reads back as the Data-Out block (zeros here, LBPRZ=1).
    let mut t = target(
        vec![UnitConfig { logical_blocks_per_physical_block_exponent: 3, ..unit(4096, 512, true) }],
        Limits::default(),
    );
    let pattern = vec![0xA6; 16 * 512];
    for first in 1..8u32 {
        good(&mut t, 0, write10(0, 16), pattern.clone());
        good(&mut t, 0, write_same10(0x08, first, (8 - first) as u16), vec![0; 512]);
        let d = good(&mut t, 0, read10(0, 16), vec![]);
        assert!(d[..first as usize * 512].iter().all(|&b| b == 0xA6), "blocks before {first} untouched");
        assert!(d[first as usize * 512..8 * 512].iter().all(|&b| b == 0), "blocks {first}..8 read zeros");
        assert_eq!(&d[8 * 512..], &pattern[8 * 512..], "the next physical block untouched");
    }
}

#[test]
fn read_capacity16_allocation_length_truncates() {
    let mut t = thin_and_thick();
    let full = good(&mut t, 0, read_capacity16(32), vec![]);
    for allocation in 0..=40u32 {
        let d = good(&mut t, 0, read_capacity16(allocation), vec![]);
        assert_eq!(d, full[..full.len().min(allocation as usize)], "allocation {allocation}");
    }
}

// ==== READ and WRITE ====

/// Two thin units of 4096 × 512-byte blocks, MAXIMUM TRANSFER LENGTH 64.
fn rw_target() -> Target {
    let limits = Limits { max_transfer_blocks: 64, max_compare_and_write_blocks: 64, ..Limits::default() };
    target(vec![unit(BLOCKS, 512, true), unit(BLOCKS, 512, true)], limits)
}

#[test]
fn write10_then_read10_round_trip() {
    let mut t = rw_target();
    let data = patterned(100, 8, 512, 3);
    good(&mut t, 0, write10(100, 8), data.clone());
    assert_eq!(good(&mut t, 0, read10(100, 8), vec![]), data);
    assert_eq!(good(&mut t, 0, read10(104, 2), vec![]), data[4 * 512..6 * 512], "a sub-range");
    assert_eq!(good(&mut t, 1, read10(100, 8), vec![]), vec![0; 8 * 512], "the other unit is untouched");
}

#[test]
fn write16_then_read16_round_trip() {
    let mut t = rw_target();
    let data = patterned(2000, 16, 512, 9);
    good(&mut t, 1, write16(2000, 16), data.clone());
    assert_eq!(good(&mut t, 1, read16(2000, 16), vec![]), data);
    assert_eq!(good(&mut t, 1, read10(2000, 16), vec![]), data, "READ (10) sees the same blocks");
}

#[test]
fn read_write_round_trip_with_4096_byte_blocks() {
    let mut t = target(vec![unit(512, 4096, true)], Limits::default());
    let data = patterned(7, 3, 4096, 1);
    good(&mut t, 0, write10(7, 3), data.clone());
    assert_eq!(good(&mut t, 0, read16(7, 3), vec![]), data);
    assert_eq!(good(&mut t, 0, read16(6, 1), vec![]), vec![0; 4096]);
    let d = check(&mut t, 0, write16(7, 1), vec![0; 512]);
    assert_invalid_cdb_byte(&d, 10);
}

#[test]
fn unwritten_blocks_read_zeros() {
    let mut t = thin_and_thick();
    for lun in 0..2 {
        assert_eq!(good(&mut t, lun, read16(0, 4), vec![]), vec![0; 4 * 512]);
    }
}

#[test]
fn zero_transfer_length_is_good_and_transfers_nothing() {
    let mut t = rw_target();
    assert!(good(&mut t, 0, read10(0, 0), vec![]).is_empty());
    assert!(good(&mut t, 0, read16(0, 0), vec![]).is_empty());
    assert!(good(&mut t, 0, write10(0, 0), vec![]).is_empty());
    assert!(good(&mut t, 0, write16(0, 0), vec![]).is_empty());
    assert!(good(&mut t, 0, read16(BLOCKS - 1, 0), vec![]).is_empty());
}

#[test]
fn read_write_at_lba_zero_and_at_the_last_lba() {
    let mut t = rw_target();
    for lba in [0, BLOCKS - 1] {
        let data = pattern(lba, 512, 5);
        good(&mut t, 0, write10(lba as u32, 1), data.clone());
        assert_eq!(good(&mut t, 0, read10(lba as u32, 1), vec![]), data);
        good(&mut t, 1, write16(lba, 1), data.clone());
        assert_eq!(good(&mut t, 1, read16(lba, 1), vec![]), data);
    }
    let tail = patterned(BLOCKS - 4, 4, 512, 8);
    good(&mut t, 0, write16(BLOCKS - 4, 4), tail.clone());
    assert_eq!(good(&mut t, 0, read16(BLOCKS - 4, 4), vec![]), tail, "a range ending at the last LBA");
}

#[test]
fn access_at_or_past_capacity_is_lba_out_of_range() {
    let mut t = rw_target();
    let cap = BLOCKS;
    for (lba, blocks) in [(cap, 1), (cap - 1, 2), (cap + 1, 0), (cap + 1, 1), (cap - 4, 8)] {
        assert_lba_out_of_range(&check(&mut t, 0, read10(lba as u32, blocks), vec![]));
        assert_lba_out_of_range(&check(&mut t, 0, read16(lba, blocks.into()), vec![]));
        let data = vec![0x11; usize::from(blocks) * 512];
        assert_lba_out_of_range(&check(&mut t, 0, write10(lba as u32, blocks), data.clone()));
        assert_lba_out_of_range(&check(&mut t, 0, write16(lba, blocks.into()), data));
    }
    assert_eq!(good(&mut t, 0, read16(cap - 4, 4), vec![]), vec![0; 4 * 512], "nothing was written");
}

#[test]
fn lba_wrap_around_is_lba_out_of_range() {
    let mut t = rw_target();
    for (lba, blocks) in [(u64::MAX, 1u32), (u64::MAX, 2), (u64::MAX - 1, 4), (1 << 63, 1), (u64::MAX, 0)] {
        assert_lba_out_of_range(&check(&mut t, 0, read16(lba, blocks), vec![]));
        let data = vec![0x22; blocks as usize * 512];
        assert_lba_out_of_range(&check(&mut t, 0, write16(lba, blocks), data));
    }
    assert_lba_out_of_range(&check(&mut t, 0, read10(u32::MAX, 1), vec![]));
    assert_lba_out_of_range(&check(&mut t, 0, read10(1 << 31, 1), vec![]));
}

#[test]
fn transfer_length_at_the_maximum_is_good_and_one_more_is_invalid_field() {
    let mut t = rw_target();
    let max = 64u16;
    let data = patterned(10, max.into(), 512, 2);
    good(&mut t, 0, write10(10, max), data.clone());
    assert_eq!(good(&mut t, 0, read10(10, max), vec![]), data);
    good(&mut t, 0, write16(10, max.into()), data.clone());
    assert_eq!(good(&mut t, 0, read16(10, max.into()), vec![]), data);

    let over = vec![0x33; usize::from(max + 1) * 512];
    assert_invalid_cdb_byte(&check(&mut t, 0, read10(10, max + 1), vec![]), 7);
    assert_invalid_cdb_byte(&check(&mut t, 0, read16(10, u32::from(max) + 1), vec![]), 10);
    assert_invalid_cdb_byte(&check(&mut t, 0, write10(10, max + 1), over.clone()), 7);
    assert_invalid_cdb_byte(&check(&mut t, 0, write16(10, u32::from(max) + 1), over), 10);
    assert_eq!(good(&mut t, 0, read10(10, max), vec![]), data, "the refused writes changed nothing");
}

#[test]
fn rdprotect_and_wrprotect_without_protection_information_are_invalid_field() {
    let mut t = rw_target();
    for protect in 1..=7u8 {
        for (mut cdb, data) in [
            (read10(0, 1), vec![]),
            (read16(0, 1), vec![]),
            (write10(0, 1), vec![0x44; 512]),
            (write16(0, 1), vec![0x44; 512]),
        ] {
            cdb[1] = protect << 5;
            let d = check(&mut t, 0, cdb, data);
            assert_invalid_cdb_field(&d, 1, Some(7));
        }
    }
    assert_eq!(good(&mut t, 0, read10(0, 1), vec![]), vec![0; 512], "nothing was written");
}

#[test]
fn dpo_and_fua_are_accepted() {
    let mut t = rw_target();
    for flags in [0x10, 0x08, 0x18] {
        let data = pattern(u64::from(flags), 512, flags);
        let mut w10 = write10(20, 1);
        w10[1] = flags;
        good(&mut t, 0, w10, data.clone());
        let mut r10 = read10(20, 1);
        r10[1] = flags;
        assert_eq!(good(&mut t, 0, r10, vec![]), data);
        let mut w16 = write16(21, 1);
        w16[1] = flags;
        good(&mut t, 0, w16, data.clone());
        let mut r16 = read16(21, 1);
        r16[1] = flags;
        assert_eq!(good(&mut t, 0, r16, vec![]), data);
    }
}

#[test]
fn rarc_is_accepted_on_reads() {
    let mut t = rw_target();
    let mut cdb = read10(0, 1);
    cdb[1] = 0x04;
    good(&mut t, 0, cdb, vec![]);
}

#[test]
fn write_with_the_wrong_data_out_length_is_invalid_field_at_transfer_length() {
    let mut t = rw_target();
    for len in [0, 1, 511, 513, 1024] {
        assert_invalid_cdb_byte(&check(&mut t, 0, write10(30, 1), vec![0x55; len]), 7);
        assert_invalid_cdb_byte(&check(&mut t, 0, write16(30, 1), vec![0x55; len]), 10);
    }
    assert_invalid_cdb_byte(&check(&mut t, 0, write10(30, 0), vec![0x55; 512]), 7);
    assert_eq!(good(&mut t, 0, read10(30, 2), vec![]), vec![0; 1024], "nothing was written");
}

#[test]
fn write_to_a_write_protected_unit_is_data_protect() {
    let protected = UnitConfig { write_protected: true, ..unit(BLOCKS, 512, true) };
    let mut t = target(vec![protected], Limits::default());
    assert_sense(&check(&mut t, 0, write10(0, 1), vec![0x66; 512]), 7, 0x27, 0);
    assert_sense(&check(&mut t, 0, write16(0, 1), vec![0x66; 512]), 7, 0x27, 0);
    assert_eq!(good(&mut t, 0, read16(0, 1), vec![]), vec![0; 512], "reads still work; nothing written");
}

#[test]
fn a_lun_outside_the_access_map_is_logical_unit_not_supported() {
    let mut t = host_granted_lun0_only();
    good(&mut t, 0, read10(0, 1), vec![]);
    for cdb in [read10(0, 1), read16(0, 1), test_unit_ready(), read_capacity10()] {
        assert_sense(&check(&mut t, 1, cdb, vec![]), 5, 0x25, 0);
    }
    assert_sense(&check(&mut t, 1, write10(0, 1), vec![0x77; 512]), 5, 0x25, 0);
    let other = t.execute(&request_from(OTHER_HOST, 1, read10(0, 1), vec![]));
    assert_eq!(other.status, 0, "an initiator without grants reaches every unit");

    let mut access = AccessMap { others_denied: true, ..AccessMap::default() };
    access.grants.insert(HOST.to_owned(), BTreeSet::from([1]));
    let mut t = Target::new(TargetConfig {
        units: vec![unit(BLOCKS, 512, true), unit(BLOCKS, 512, true)],
        access,
        ..TargetConfig::default()
    })
    .unwrap();
    good(&mut t, 1, read10(0, 1), vec![]);
    assert_sense(&check(&mut t, 0, read10(0, 1), vec![]), 5, 0x25, 0);
    let other = t.execute(&request_from(OTHER_HOST, 0, read10(0, 1), vec![]));
    assert_eq!(decode(&other.sense).asc, 0x25, "others are denied");
}

#[test]
fn an_unknown_lun_is_logical_unit_not_supported() {
    let mut t = rw_target();
    for lun in [2, 3, 255, 256, 0xFFFF] {
        assert_sense(&check(&mut t, lun, read10(0, 1), vec![]), 5, 0x25, 0);
        assert_sense(&check(&mut t, lun, write16(0, 1), vec![0; 512]), 5, 0x25, 0);
    }
}

#[test]
fn control_byte_reserved_bits_and_naca_are_invalid_field() {
    let mut t = rw_target();
    // CONTROL: bits 5–3 reserved, bit 2 NACA (unsupported: NORMACA=0), bits 1–0 obsolete.
    for bit in 0..=5u8 {
        let mut c = read10(0, 1);
        c[9] = 1 << bit;
        assert_invalid_cdb_field(&check(&mut t, 0, c, vec![]), 9, Some(bit));
        let mut c = read16(0, 1);
        c[15] = 1 << bit;
        assert_invalid_cdb_field(&check(&mut t, 0, c, vec![]), 15, Some(bit));
        let mut c = write10(0, 1);
        c[9] = 1 << bit;
        assert_invalid_cdb_field(&check(&mut t, 0, c, vec![0; 512]), 9, Some(bit));
        let mut c = write16(0, 1);
        c[15] = 1 << bit;
        assert_invalid_cdb_field(&check(&mut t, 0, c, vec![0; 512]), 15, Some(bit));
    }
}

#[test]
fn reserved_bits_in_read_and_write_cdbs_are_invalid_field() {
    let mut t = rw_target();
    // READ (10): byte 1 bit 1 obsolete (FUA_NV), bit 0 reserved; byte 6 bits 7–5 reserved.
    for (byte, bit) in [(1usize, 1u8), (1, 0), (6, 7), (6, 5)] {
        let mut c = read10(0, 1);
        c[byte] |= 1 << bit;
        assert_invalid_cdb_field(&check(&mut t, 0, c, vec![]), byte as u16, Some(bit));
    }
    // WRITE (16): byte 1 bit 2 reserved; byte 14 bit 6 reserved.
    for (byte, bit) in [(1usize, 2u8), (14, 6)] {
        let mut c = write16(0, 1);
        c[byte] |= 1 << bit;
        assert_invalid_cdb_field(&check(&mut t, 0, c, vec![0; 512]), byte as u16, Some(bit));
    }
    // GROUP NUMBER is accepted.
    let mut c = read10(0, 1);
    c[6] = 0x1F;
    good(&mut t, 0, c, vec![]);
}

#[test]
fn a_ten_byte_command_padded_to_sixteen_bytes_is_accepted() {
    let mut t = rw_target();
    let data = patterned(40, 2, 512, 4);
    let mut w = write10(40, 2);
    w.resize(16, 0);
    good(&mut t, 0, w, data.clone());
    let mut r = read10(40, 2);
    r.resize(16, 0);
    assert_eq!(good(&mut t, 0, r, vec![]), data);
    let mut tur = test_unit_ready();
    tur.resize(16, 0);
    good(&mut t, 0, tur, vec![]);
}

#[test]
fn an_unknown_operation_code_is_invalid_command_operation_code() {
    let mut t = rw_target();
    for opcode in [0x02u8, 0x2F, 0x8F, 0xC0, 0xFF] {
        let mut cdb = vec![0u8; 16];
        cdb[0] = opcode;
        assert_sense(&check(&mut t, 0, cdb, vec![]), 5, 0x20, 0);
    }
}

#[test]
fn an_unsupported_service_action_is_invalid_command_operation_code() {
    let mut t = rw_target();
    for sa in [0x00u8, 0x11, 0x13, 0x15, 0x1F] {
        let mut cdb = read_capacity16(32);
        cdb[1] = sa;
        assert_sense(&check(&mut t, 0, cdb, vec![]), 5, 0x20, 0);
    }
    let mut cdb = rsoc(false, 0, 0, 0, 1024);
    cdb[1] = 0x0D; // REPORT SUPPORTED TASK MANAGEMENT FUNCTIONS
    assert_sense(&check(&mut t, 0, cdb, vec![]), 5, 0x20, 0);
}

fn bad_block_target() -> Target {
    let u = UnitConfig { bad_blocks: BTreeSet::from([100]), ..unit(BLOCKS, 512, true) };
    target(vec![u], Limits::default())
}

#[test]
fn reading_a_bad_block_is_unrecovered_read_error_at_its_lba() {
    let mut t = bad_block_target();
    for cdb in [read10(98, 5), read16(100, 1), read16(96, 8)] {
        let d = check(&mut t, 0, cdb, vec![]);
        assert_sense(&d, 3, 0x11, 0);
        assert_eq!(d.information, Some(100), "INFORMATION is the first LBA in error");
    }
    good(&mut t, 0, read16(90, 10), vec![]);
    good(&mut t, 0, read16(101, 10), vec![]);
}

#[test]
fn writing_a_bad_block_is_write_error_at_its_lba() {
    let mut t = bad_block_target();
    for (cdb, n) in [(write10(98, 5), 5usize), (write16(100, 1), 1)] {
        let d = check(&mut t, 0, cdb, vec![0x5A; n * 512]);
        assert_sense(&d, 3, 0x0C, 0);
        assert_eq!(d.information, Some(100), "INFORMATION is the first LBA in error");
    }
    good(&mut t, 0, write16(101, 2), vec![0x5A; 1024]);
}

// ==== REPORT SUPPORTED OPERATION CODES ====

/// The commands the target claims (SPC-4 / SBC-4 operation codes, service actions and CDB lengths).
const SUPPORTED: &[(u8, Option<u16>, u16)] = &[
    (0x00, None, 6),        // TEST UNIT READY
    (0x12, None, 6),        // INQUIRY
    (0x15, None, 6),        // MODE SELECT (6)
    (0x1A, None, 6),        // MODE SENSE (6)
    (0x25, None, 10),       // READ CAPACITY (10)
    (0x28, None, 10),       // READ (10)
    (0x2A, None, 10),       // WRITE (10)
    (0x41, None, 10),       // WRITE SAME (10)
    (0x42, None, 10),       // UNMAP
    (0x55, None, 10),       // MODE SELECT (10)
    (0x5A, None, 10),       // MODE SENSE (10)
    (0x83, Some(0x00), 16), // EXTENDED COPY (LID1)
    (0x84, Some(0x00), 16), // RECEIVE COPY STATUS (LID1)
    (0x84, Some(0x03), 16), // RECEIVE COPY OPERATING PARAMETERS
    (0x84, Some(0x04), 16), // RECEIVE COPY FAILURE DETAILS (LID1)
    (0x88, None, 16),       // READ (16)
    (0x89, None, 16),       // COMPARE AND WRITE
    (0x8A, None, 16),       // WRITE (16)
    (0x93, None, 16),       // WRITE SAME (16)
    (0x9E, Some(0x10), 16), // READ CAPACITY (16)
    (0x9E, Some(0x12), 16), // GET LBA STATUS
    (0xA0, None, 12),       // REPORT LUNS
    (0xA3, Some(0x0C), 12), // REPORT SUPPORTED OPERATION CODES
];

/// A parsed all_commands command descriptor.
#[derive(Debug)]
struct CommandDescriptor {
    opcode: u8,
    service_action: Option<u16>,
    cdb_len: u16,
    timeouts: Option<Vec<u8>>,
}

fn all_commands(t: &mut Target, rctd: bool) -> Vec<CommandDescriptor> {
    let d = good(t, 0, rsoc(rctd, 0, 0, 0, 0xFFFF), vec![]);
    assert_eq!(be32(&d, 0) as usize + 4, d.len(), "COMMAND DATA LENGTH");
    let mut out = Vec::new();
    let mut at = 4;
    while at < d.len() {
        let c = &d[at..];
        assert_eq!((c[1], c[4]), (0, 0), "reserved bytes");
        let servactv = c[5] & 1 != 0;
        let ctdp = c[5] & 2 != 0;
        assert_eq!(ctdp, rctd, "CTDP follows RCTD");
        if !servactv {
            assert_eq!(be16(c, 2), 0, "SERVICE ACTION is zero when SERVACTV=0");
        }
        let len = if ctdp { 20 } else { 8 };
        out.push(CommandDescriptor {
            opcode: c[0],
            service_action: servactv.then(|| be16(c, 2)),
            cdb_len: be16(c, 6),
            timeouts: ctdp.then(|| c[8..20].to_vec()),
        });
        at += len;
    }
    assert_eq!(at, d.len(), "descriptors tile the data");
    out
}

/// The one_command answer: (SUPPORT, CTDP, usage data, timeouts descriptor).
fn one_command(t: &mut Target, rctd: bool, options: u8, opcode: u8, sa: u16) -> (u8, bool, Vec<u8>, Vec<u8>) {
    let d = good(t, 0, rsoc(rctd, options, opcode, sa, 0xFFFF), vec![]);
    let support = d[1] & 7;
    let ctdp = d[1] & 0x80 != 0;
    if support != 0b011 {
        return (support, ctdp, Vec::new(), Vec::new());
    }
    let size = usize::from(be16(&d, 2));
    let usage = d[4..4 + size].to_vec();
    let timeouts = d[4 + size..].to_vec();
    (support, ctdp, usage, timeouts)
}

#[test]
fn rsoc_all_commands_lists_every_supported_command() {
    let mut t = thin_and_thick();
    let listed: BTreeMap<(u8, Option<u16>), u16> =
        all_commands(&mut t, false).into_iter().map(|c| ((c.opcode, c.service_action), c.cdb_len)).collect();
    let expected: BTreeMap<(u8, Option<u16>), u16> = SUPPORTED.iter().map(|&(o, sa, len)| ((o, sa), len)).collect();
    assert_eq!(listed, expected);
}

#[test]
fn rsoc_all_commands_with_rctd_adds_command_timeouts_descriptors() {
    let mut t = thin_and_thick();
    let with = all_commands(&mut t, true);
    assert_eq!(with.len(), SUPPORTED.len());
    for c in &with {
        let timeouts = c.timeouts.as_ref().expect("CTDP=1 carries a timeouts descriptor");
        assert_eq!(timeouts.len(), 12);
        assert_eq!(be16(timeouts, 0), 0x0A, "DESCRIPTOR LENGTH");
    }
    for c in all_commands(&mut t, false) {
        assert!(c.timeouts.is_none());
    }
}

#[test]
fn rsoc_allocation_length_truncates() {
    let mut t = thin_and_thick();
    let full = good(&mut t, 0, rsoc(false, 0, 0, 0, 0xFFFF), vec![]);
    for allocation in [0u32, 1, 4, 10, 12, 100] {
        let d = good(&mut t, 0, rsoc(false, 0, 0, 0, allocation), vec![]);
        assert_eq!(d, full[..full.len().min(allocation as usize)]);
    }
}

#[test]
fn rsoc_one_command_by_operation_code() {
    let mut t = thin_and_thick();
    for &(opcode, _, len) in SUPPORTED.iter().filter(|c| c.1.is_none()) {
        let (support, ctdp, usage, timeouts) = one_command(&mut t, false, 0b001, opcode, 0);
        assert_eq!(support, 0b011, "{opcode:02x} supported per the standard");
        assert!(!ctdp && timeouts.is_empty());
        assert_eq!(usage.len(), usize::from(len), "{opcode:02x}: CDB SIZE");
        assert_eq!(usage[0], opcode, "usage data byte 0 is the operation code");
    }
    for opcode in [0x2Fu8, 0x35, 0xFF] {
        let d = good(&mut t, 0, rsoc(false, 0b001, opcode, 0, 0xFFFF), vec![]);
        assert_eq!(d[1] & 7, 0b001, "{opcode:02x}: SUPPORT 001b, not supported");
    }
}

#[test]
fn rsoc_one_command_by_operation_code_for_a_service_action_opcode_is_invalid_field() {
    let mut t = thin_and_thick();
    for opcode in [0x9Eu8, 0xA3, 0x83, 0x84] {
        let d = check(&mut t, 0, rsoc(false, 0b001, opcode, 0, 0xFFFF), vec![]);
        assert_sense(&d, 5, 0x24, 0);
        let (cd, byte, _) = d.field_pointer.expect("a field pointer");
        assert!(cd && byte != 1, "a pointer not at byte 1, or hosts read it as 'unsupported': {d:?}");
        assert_eq!(byte, 2, "REPORTING OPTIONS");
    }
}

#[test]
fn rsoc_one_command_by_service_action() {
    let mut t = thin_and_thick();
    for &(opcode, sa, len) in SUPPORTED.iter().filter(|c| c.1.is_some()) {
        let sa = sa.unwrap();
        let (support, _, usage, _) = one_command(&mut t, false, 0b010, opcode, sa);
        assert_eq!(support, 0b011, "{opcode:02x}/{sa:02x}");
        assert_eq!(usage.len(), usize::from(len));
        assert_eq!(usage[0], opcode);
    }
    for (opcode, sa) in [(0x9Eu8, 0x11u16), (0x9E, 0x00), (0xA3, 0x0D), (0x84, 0x01), (0x9E, 0x0110)] {
        let d = good(&mut t, 0, rsoc(false, 0b010, opcode, sa, 0xFFFF), vec![]);
        assert_eq!(d[1] & 7, 0b001, "{opcode:02x}/{sa:04x} not supported");
    }
    for opcode in [0x28u8, 0x00, 0x12] {
        let d = check(&mut t, 0, rsoc(false, 0b010, opcode, 0, 0xFFFF), vec![]);
        assert_sense(&d, 5, 0x24, 0);
        let (cd, byte, _) = d.field_pointer.expect("a field pointer");
        assert!(cd && byte != 1, "{opcode:02x}: pointer must not be byte 1: {d:?}");
    }
}

#[test]
fn rsoc_one_command_by_either() {
    let mut t = thin_and_thick();
    let (support, _, usage, _) = one_command(&mut t, false, 0b011, 0x28, 0x0005);
    assert_eq!((support, usage[0]), (0b011, 0x28), "no service actions: the field is ignored");
    let (support, _, usage, _) = one_command(&mut t, false, 0b011, 0x9E, 0x12);
    assert_eq!((support, usage[0]), (0b011, 0x9E));
    for (opcode, sa) in [(0x9Eu8, 0x11u16), (0x9E, 0x0112), (0x2F, 0)] {
        let d = good(&mut t, 0, rsoc(false, 0b011, opcode, sa, 0xFFFF), vec![]);
        assert_eq!(d[1] & 7, 0b001, "{opcode:02x}/{sa:04x} not supported");
    }
}

#[test]
fn rsoc_usage_data_of_a_service_action_command_holds_its_service_action() {
    // SPC-4 6.35.3: the service action code is placed in the CDB USAGE DATA where the SERVICE ACTION field is.
    let mut t = thin_and_thick();
    for &(opcode, sa, _) in SUPPORTED.iter().filter(|c| c.1.is_some()) {
        let sa = sa.unwrap();
        let (_, _, usage, _) = one_command(&mut t, false, 0b010, opcode, sa);
        assert_eq!(u16::from(usage[1] & 0x1F), sa, "{opcode:02x}/{sa:02x} usage byte 1 = {:02x}", usage[1]);
    }
}

#[test]
fn rsoc_one_command_with_rctd_adds_a_timeouts_descriptor() {
    let mut t = thin_and_thick();
    let (support, ctdp, usage, timeouts) = one_command(&mut t, true, 0b001, 0x2A, 0);
    assert_eq!(support, 0b011);
    assert!(ctdp, "CTDP");
    assert_eq!(usage.len(), 10);
    assert_eq!(timeouts.len(), 12);
    assert_eq!(be16(&timeouts, 0), 0x0A);
}

#[test]
fn rsoc_reserved_reporting_options_are_invalid_field() {
    let mut t = thin_and_thick();
    for options in 4..=7u8 {
        let d = check(&mut t, 0, rsoc(false, options, 0x28, 0, 0xFFFF), vec![]);
        assert_invalid_cdb_field(&d, 2, Some(2));
    }
}

#[test]
fn rsoc_usage_of_reads_and_writes_advertises_dpo_and_fua() {
    let mut t = thin_and_thick();
    for opcode in [0x28u8, 0x2A, 0x88, 0x8A, 0x89] {
        let (_, _, usage, _) = one_command(&mut t, false, 0b001, opcode, 0);
        assert_eq!(usage[1] & 0x18, 0x18, "{opcode:02x}: DPO and FUA evaluated");
    }
}

/// A CDB for `opcode` that is otherwise valid, with the data-out it needs.
fn base_command(opcode: u8, service_action: Option<u16>, len: usize) -> (Vec<u8>, Vec<u8>) {
    let mut cdb = vec![0u8; len];
    cdb[0] = opcode;
    if let Some(sa) = service_action {
        cdb[1] = sa as u8;
    }
    let mut data = Vec::new();
    match opcode {
        0x15 | 0x55 => cdb[1] |= 0x10, // PF=1
        0x1A | 0x5A => cdb[2] = 0x0A,  // the control mode page
        0x41 => {
            cdb[8] = 1;
            data = vec![0; 512];
        }
        0x93 => {
            cdb[13] = 1;
            data = vec![0; 512];
        }
        0xA0 => cdb[9] = 16,
        _ => {}
    }
    (cdb, data)
}

#[test]
fn every_bit_outside_the_reported_usage_mask_is_invalid_field_at_that_bit() {
    let mut t = thin_and_thick();
    for c in all_commands(&mut t, false) {
        let (support, _, usage, _) = one_command(&mut t, false, 0b011, c.opcode, c.service_action.unwrap_or(0));
        assert_eq!(support, 0b011);
        assert_eq!(usage.len(), usize::from(c.cdb_len));
        assert_eq!(usage[0], c.opcode);
        let (base, data) = base_command(c.opcode, c.service_action, usage.len());
        let r = run(&mut t, 0, base.clone(), data.clone());
        // Copy-results service actions 00h/04h name a list that does not exist; any other base is valid.
        if !(c.opcode == 0x84 && c.service_action != Some(0x03)) {
            assert_eq!(r.status, 0, "base CDB {base:02x?} accepted");
        }
        for (byte, &mask) in usage.iter().enumerate().skip(1) {
            for bit in 0..8u8 {
                let in_service_action = c.service_action.is_some() && byte == 1 && bit < 5;
                if mask & (1 << bit) != 0 || in_service_action {
                    continue;
                }
                let mut cdb = base.clone();
                cdb[byte] |= 1 << bit;
                let d = check(&mut t, 0, cdb, data.clone());
                assert_eq!(
                    (d.key, d.asc, d.ascq, d.field_pointer),
                    (5, 0x24, 0, Some((true, byte as u16, Some(bit)))),
                    "{:02x}/{:?}: byte {byte} bit {bit}",
                    c.opcode,
                    c.service_action
                );
            }
        }
    }
}

// ==== MODE SENSE ====

/// The control mode page via MODE SENSE (6) with DBD=1.
fn control_page(t: &mut Target, lun: u16, pc: u8) -> Vec<u8> {
    let d = good(t, lun, mode_sense6(true, pc, 0x0A, 0, 255), vec![]);
    assert_eq!(usize::from(d[0]) + 1, d.len(), "MODE DATA LENGTH");
    assert_eq!(d[3], 0, "DBD: no block descriptor");
    assert_eq!(d.len(), 4 + 12);
    d[4..].to_vec()
}

#[test]
fn mode_sense6_control_page_current_values() {
    let mut t = thin_and_thick();
    let p = control_page(&mut t, 0, 0);
    assert_eq!(p[0] & 0x3F, 0x0A, "PAGE CODE");
    assert_eq!(p[0] & 0x40, 0, "SPF=0");
    assert_eq!(p[1], 0x0A, "PAGE LENGTH");
    assert!(p[2] >> 5 <= 1, "TST 000b or 001b");
    assert_eq!(p[2] & 0x04, 0, "D_SENSE=0 at power-on by default: fixed-format sense");
    assert!(p[3] >> 4 <= 1, "QUEUE ALGORITHM MODIFIER 0 or 1");
    assert_ne!((p[3] >> 1) & 3, 2, "QERR 10b is reserved");
    assert_ne!((p[4] >> 4) & 3, 1, "UA_INTLCK_CTRL 01b is reserved");
    assert!(p[5] & 7 <= 2, "AUTOLOAD MODE");
}

#[test]
fn mode_sense6_header_and_block_descriptor() {
    let mut t = target(vec![unit(4096, 512, true), unit(1000, 4096, false)], Limits::default());
    for (lun, blocks, size) in [(0u16, 4096u32, 512u32), (1, 1000, 4096)] {
        let d = good(&mut t, lun, mode_sense6(false, 0, 0x0A, 0, 255), vec![]);
        assert_eq!(usize::from(d[0]) + 1, d.len(), "MODE DATA LENGTH");
        assert_eq!(d[1], 0, "MEDIUM TYPE");
        assert_eq!(d[2] & 0x80, 0, "WP=0");
        assert_ne!(d[2] & 0x10, 0, "DPOFUA=1");
        assert_eq!(d[3], 8, "BLOCK DESCRIPTOR LENGTH");
        assert_eq!(be32(&d, 4), blocks, "NUMBER OF LOGICAL BLOCKS");
        assert_eq!(u32::from_be_bytes([0, d[9], d[10], d[11]]), size, "LOGICAL BLOCK LENGTH");
        assert_eq!(d[12..], control_page(&mut t, lun, 0)[..], "then the control page");
    }
}

#[test]
fn mode_sense10_header_and_block_descriptors() {
    let mut t = thin_and_thick();
    let d = good(&mut t, 0, mode_sense10(false, false, 0, 0x0A, 0, 0xFFFF), vec![]);
    assert_eq!(usize::from(be16(&d, 0)) + 2, d.len(), "MODE DATA LENGTH");
    assert_ne!(d[3] & 0x10, 0, "DPOFUA=1");
    assert_eq!(d[4] & 1, 0, "LONGLBA=0");
    assert_eq!(be16(&d, 6), 8, "short descriptor");
    assert_eq!(be32(&d, 8), 4096);
    assert_eq!(u32::from_be_bytes([0, d[13], d[14], d[15]]), 512);
    assert_eq!(d[16..], control_page(&mut t, 0, 0)[..]);

    let d = good(&mut t, 0, mode_sense10(true, false, 0, 0x0A, 0, 0xFFFF), vec![]);
    assert_eq!(usize::from(be16(&d, 0)) + 2, d.len());
    assert_eq!(d[4] & 1, 1, "LONGLBA=1");
    assert_eq!(be16(&d, 6), 16, "long descriptor");
    assert_eq!(be64(&d, 8), 4096, "NUMBER OF LOGICAL BLOCKS");
    assert_eq!(be32(&d, 20), 512, "LOGICAL BLOCK LENGTH");
    assert_eq!(d[24..], control_page(&mut t, 0, 0)[..]);
}

#[test]
fn mode_sense_dbd_omits_the_block_descriptor() {
    let mut t = thin_and_thick();
    let d = good(&mut t, 0, mode_sense6(true, 0, 0x0A, 0, 255), vec![]);
    assert_eq!((d[3], d.len()), (0, 16));
    for llbaa in [false, true] {
        let d = good(&mut t, 0, mode_sense10(llbaa, true, 0, 0x0A, 0, 0xFFFF), vec![]);
        assert_eq!((be16(&d, 6), d.len()), (0, 20));
        assert_eq!(d[4] & 1, 0, "LONGLBA=0 without a descriptor");
    }
}

#[test]
fn mode_sense_block_descriptor_of_a_unit_beyond_32_bits() {
    let mut t = target(vec![unit((1 << 32) + 7, 512, true)], Limits::default());
    let d = good(&mut t, 0, mode_sense6(false, 0, 0x0A, 0, 255), vec![]);
    assert_eq!(be32(&d, 4), 0xFFFF_FFFF, "the short descriptor saturates");
    let d = good(&mut t, 0, mode_sense10(true, false, 0, 0x0A, 0, 0xFFFF), vec![]);
    assert_eq!(be64(&d, 8), (1 << 32) + 7, "the long descriptor is exact");
}

#[test]
fn mode_sense_all_pages_contains_the_control_page() {
    let mut t = thin_and_thick();
    let control = control_page(&mut t, 0, 0);
    for subpage in [0x00, 0xFF] {
        let d = good(&mut t, 0, mode_sense6(true, 0, 0x3F, subpage, 255), vec![]);
        assert_eq!(usize::from(d[0]) + 1, d.len());
        let pages = &d[4..];
        let at = pages.windows(2).position(|w| w[0] & 0x3F == 0x0A && w[1] == 0x0A).expect("page 0Ah present");
        assert_eq!(pages[at..at + 12], control[..], "same as a direct fetch");
        let d = good(&mut t, 0, mode_sense10(false, true, 0, 0x3F, subpage, 0xFFFF), vec![]);
        assert_eq!(usize::from(be16(&d, 0)) + 2, d.len());
    }
}

#[test]
fn mode_sense_changeable_values_mark_only_d_sense() {
    let mut t = thin_and_thick();
    let p = control_page(&mut t, 0, 1);
    assert_eq!((p[0] & 0x3F, p[1]), (0x0A, 0x0A));
    assert_eq!(p[2], 0x04, "only D_SENSE is changeable");
    assert!(p[3..].iter().all(|&b| b == 0), "nothing else: {p:02x?}");
}

#[test]
fn mode_sense_default_values_report_the_power_on_d_sense() {
    let mut t = thin_and_thick();
    assert_eq!(control_page(&mut t, 0, 2)[2] & 0x04, 0);
    let mut t = Target::new(TargetConfig { descriptor_sense: true, ..TargetConfig::default() }).unwrap();
    assert_ne!(control_page(&mut t, 0, 0)[2] & 0x04, 0, "current D_SENSE=1");
    assert_ne!(control_page(&mut t, 0, 2)[2] & 0x04, 0, "default D_SENSE is the power-on value");
    let r = run(&mut t, 0, read16(u64::MAX, 1), vec![]);
    assert_eq!(r.sense[0], 0x72, "descriptor-format sense from power-on");
}

#[test]
fn mode_sense_saved_values_are_not_supported() {
    let mut t = thin_and_thick();
    assert_sense(&check(&mut t, 0, mode_sense6(false, 3, 0x0A, 0, 255), vec![]), 5, 0x39, 0);
    assert_sense(&check(&mut t, 0, mode_sense10(false, false, 3, 0x3F, 0, 0xFFFF), vec![]), 5, 0x39, 0);
}

#[test]
fn mode_sense_unsupported_page_is_invalid_field_at_page_code() {
    let mut t = thin_and_thick();
    for page in [0x00, 0x01, 0x08, 0x1C, 0x19, 0x3E] {
        let d = check(&mut t, 0, mode_sense6(false, 0, page, 0, 255), vec![]);
        assert_invalid_cdb_field(&d, 2, Some(5));
        let d = check(&mut t, 0, mode_sense10(false, false, 0, page, 0, 0xFFFF), vec![]);
        assert_invalid_cdb_field(&d, 2, Some(5));
    }
}

#[test]
fn mode_sense_unsupported_subpage_is_invalid_field_at_subpage_code() {
    let mut t = thin_and_thick();
    for (page, subpage) in [(0x0A, 0x01), (0x0A, 0xFF), (0x3F, 0x01), (0x3F, 0xFE)] {
        assert_invalid_cdb_byte(&check(&mut t, 0, mode_sense6(false, 0, page, subpage, 255), vec![]), 3);
    }
}

#[test]
fn mode_sense_reports_wp_for_a_write_protected_unit() {
    let protected = UnitConfig { write_protected: true, ..unit(BLOCKS, 512, true) };
    let mut t = target(vec![protected, unit(BLOCKS, 512, true)], Limits::default());
    let d = good(&mut t, 0, mode_sense6(true, 0, 0x0A, 0, 255), vec![]);
    assert_eq!(d[2] & 0x90, 0x90, "WP and DPOFUA");
    let d = good(&mut t, 0, mode_sense10(false, true, 0, 0x0A, 0, 0xFFFF), vec![]);
    assert_eq!(d[3] & 0x90, 0x90, "WP and DPOFUA");
    let d = good(&mut t, 1, mode_sense6(true, 0, 0x0A, 0, 255), vec![]);
    assert_eq!(d[2] & 0x90, 0x10, "DPOFUA only");
}

#[test]
fn mode_sense_allocation_length_truncates() {
    let mut t = thin_and_thick();
    let full = good(&mut t, 0, mode_sense6(false, 0, 0x3F, 0, 255), vec![]);
    for allocation in 0..=40u8 {
        let d = good(&mut t, 0, mode_sense6(false, 0, 0x3F, 0, allocation), vec![]);
        assert_eq!(d, full[..full.len().min(usize::from(allocation))], "allocation {allocation}");
    }
    let full = good(&mut t, 0, mode_sense10(true, false, 0, 0x0A, 0, 0xFFFF), vec![]);
    for allocation in 0..=40u16 {
        let d = good(&mut t, 0, mode_sense10(true, false, 0, 0x0A, 0, allocation), vec![]);
        assert_eq!(d, full[..full.len().min(usize::from(allocation))], "allocation {allocation}");
    }
}

// ==== MODE SELECT ====

/// A MODE SELECT (6) list: 4-byte header (no block descriptor) and the page.
fn select6_list(page: &[u8]) -> Vec<u8> {
    let mut list = vec![0, 0, 0, 0];
    list.extend(page);
    list
}

/// A MODE SELECT (10) list: 8-byte header (no block descriptor) and the page.
fn select10_list(page: &[u8]) -> Vec<u8> {
    let mut list = vec![0; 8];
    list.extend(page);
    list
}

/// The current control page with D_SENSE set as asked (PS cleared: reserved in MODE SELECT).
fn control_with_d_sense(t: &mut Target, d_sense: bool) -> Vec<u8> {
    let mut p = control_page(t, 0, 0);
    p[0] &= 0x7F;
    p[2] = p[2] & !0x04 | if d_sense { 0x04 } else { 0 };
    p
}

#[test]
fn mode_select_d_sense_switches_sense_to_descriptor_format_and_back() {
    let mut t = thin_and_thick();
    assert_eq!(run(&mut t, 0, read16(BLOCKS, 1), vec![]).sense[0], 0x70, "fixed format at first");

    let list = select6_list(&control_with_d_sense(&mut t, true));
    good(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_ne!(control_page(&mut t, 0, 0)[2] & 0x04, 0, "MODE SENSE shows D_SENSE=1");
    let r = run(&mut t, 0, read16(BLOCKS, 1), vec![]);
    assert_eq!(r.sense[0], 0x72, "descriptor format");
    assert_lba_out_of_range(&decode(&r.sense));

    let list = select10_list(&control_with_d_sense(&mut t, false));
    good(&mut t, 0, mode_select10(true, false, list.len() as u16), list);
    assert_eq!(control_page(&mut t, 0, 0)[2] & 0x04, 0);
    assert_eq!(run(&mut t, 0, read16(BLOCKS, 1), vec![]).sense[0], 0x70, "fixed format again");
}

#[test]
fn descriptor_format_sense_carries_information_and_field_pointers() {
    let mut t = bad_block_target();
    let list = select6_list(&control_with_d_sense(&mut t, true));
    good(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    let r = run(&mut t, 0, read10(99, 2), vec![]);
    assert_eq!(r.sense[0], 0x72);
    let d = decode(&r.sense);
    assert_sense(&d, 3, 0x11, 0);
    assert_eq!(d.information, Some(100));
    let mut cdb = read10(0, 1);
    cdb[9] = 0x04;
    let r = run(&mut t, 0, cdb, vec![]);
    assert_eq!(r.sense[0], 0x72);
    assert_invalid_cdb_field(&decode(&r.sense), 9, Some(2));
}

#[test]
fn mode_select_parameter_list_length_zero_is_good() {
    let mut t = thin_and_thick();
    good(&mut t, 0, mode_select6(true, false, 0), vec![]);
    good(&mut t, 0, mode_select10(true, false, 0), vec![]);
}

#[test]
fn mode_select_of_the_current_page_with_a_block_descriptor_is_good() {
    let mut t = thin_and_thick();
    let page = control_with_d_sense(&mut t, false);
    let mut list = vec![0, 0, 0, 8];
    list.extend((BLOCKS as u32).to_be_bytes());
    list.extend([0, 0, 0x02, 0x00]);
    list.extend(&page);
    good(&mut t, 0, mode_select6(true, false, list.len() as u8), list);

    let mut list = vec![0, 0, 0, 0, 1, 0, 0, 16]; // LONGLBA, descriptor length 16
    list.extend(BLOCKS.to_be_bytes());
    list.extend([0, 0, 0, 0]);
    list.extend(512u32.to_be_bytes());
    list.extend(&page);
    good(&mut t, 0, mode_select10(true, false, list.len() as u16), list);
}

#[test]
fn mode_select_block_descriptor_number_of_blocks_is_not_a_capacity_change() {
    // SBC-4 6.5.2: a unit that cannot change its capacity ignores NUMBER OF LOGICAL BLOCKS (0 is the
    // usual "do not change").
    let mut t = thin_and_thick();
    let page = control_with_d_sense(&mut t, false);
    for blocks in [0u32, 0xFFFF_FFFF, 100] {
        let mut list = vec![0, 0, 0, 8];
        list.extend(blocks.to_be_bytes());
        list.extend([0, 0, 0x02, 0x00]);
        list.extend(&page);
        good(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    }
    let d = good(&mut t, 0, read_capacity10(), vec![]);
    assert_eq!(be32(&d, 0), BLOCKS as u32 - 1, "capacity unchanged");
}

#[test]
fn mode_select_block_descriptor_with_another_block_length_is_invalid_parameter() {
    let mut t = thin_and_thick();
    let page = control_with_d_sense(&mut t, false);
    let mut list = vec![0, 0, 0, 8];
    list.extend((BLOCKS as u32).to_be_bytes());
    list.extend([0, 0, 0x10, 0x00]); // 4096
    list.extend(&page);
    let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_parameter_byte(&d, 0x26, 4 + 5); // LOGICAL BLOCK LENGTH starts at descriptor byte 5

    let mut list = vec![0, 0, 0, 0, 1, 0, 0, 16];
    list.extend(BLOCKS.to_be_bytes());
    list.extend([0, 0, 0, 0]);
    list.extend(520u32.to_be_bytes());
    list.extend(&page);
    let d = check(&mut t, 0, mode_select10(true, false, list.len() as u16), list);
    assert_parameter_byte(&d, 0x26, 8 + 12); // LOGICAL BLOCK LENGTH starts at long-descriptor byte 12
}

#[test]
fn mode_select_with_pf_zero_is_invalid_field() {
    let mut t = thin_and_thick();
    let list = select6_list(&control_with_d_sense(&mut t, true));
    let d = check(&mut t, 0, mode_select6(false, false, list.len() as u8), list);
    assert_invalid_cdb_field(&d, 1, Some(4));
    let list = select10_list(&control_with_d_sense(&mut t, true));
    let d = check(&mut t, 0, mode_select10(false, false, list.len() as u16), list);
    assert_invalid_cdb_field(&d, 1, Some(4));
    assert_eq!(control_page(&mut t, 0, 0)[2] & 0x04, 0, "nothing changed");
}

#[test]
fn mode_select_with_sp_one_is_invalid_field() {
    let mut t = thin_and_thick();
    let list = select6_list(&control_with_d_sense(&mut t, true));
    let d = check(&mut t, 0, mode_select6(true, true, list.len() as u8), list);
    assert_invalid_cdb_field(&d, 1, Some(0));
    let list = select10_list(&control_with_d_sense(&mut t, true));
    let d = check(&mut t, 0, mode_select10(true, true, list.len() as u16), list);
    assert_invalid_cdb_field(&d, 1, Some(0));
    assert_eq!(control_page(&mut t, 0, 0)[2] & 0x04, 0, "nothing changed");
}

#[test]
fn mode_select_changing_an_unchangeable_bit_is_invalid_parameter_at_that_bit() {
    let mut t = thin_and_thick();
    let current = control_with_d_sense(&mut t, false);
    // (page byte, bit) of one-bit fields: GLTSD, RLEC, TMF_ONLY, NUAR, SWP, TAS, ATO.
    for (byte, bit) in [(2usize, 1u8), (2, 0), (2, 4), (3, 3), (4, 3), (5, 6), (5, 7)] {
        let mut page = current.clone();
        page[byte] ^= 1 << bit;
        let list = select6_list(&page);
        let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
        assert_parameter_field(&d, 0x26, (4 + byte) as u16, Some(bit));
        let list = select10_list(&page);
        let d = check(&mut t, 0, mode_select10(true, false, list.len() as u16), list);
        assert_parameter_field(&d, 0x26, (8 + byte) as u16, Some(bit));
    }
}

#[test]
fn mode_select_changing_a_multi_bit_field_points_at_its_first_bit() {
    let mut t = thin_and_thick();
    let current = control_with_d_sense(&mut t, false);
    // QUEUE ALGORITHM MODIFIER (byte 3 bits 7–4): flip its lowest bit.
    let mut page = current.clone();
    page[3] ^= 0x10;
    let list = select6_list(&page);
    let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_parameter_field(&d, 0x26, 4 + 3, Some(7));
    // TST (byte 2 bits 7–5): set it to 001b.
    let mut page = current.clone();
    page[2] ^= 0x20;
    let list = select6_list(&page);
    let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_parameter_field(&d, 0x26, 4 + 2, Some(7));
    // BUSY TIMEOUT PERIOD (bytes 8–9): change its low byte; the pointer names the field's first byte.
    let mut page = current.clone();
    page[9] ^= 0x01;
    let list = select6_list(&page);
    let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_parameter_byte(&d, 0x26, 4 + 8);
    assert_eq!(control_page(&mut t, 0, 0)[..], current[..], "nothing changed");
}

#[test]
fn mode_select_of_an_unsupported_page_is_invalid_parameter() {
    let mut t = thin_and_thick();
    let mut caching = vec![0x08, 0x12];
    caching.resize(20, 0);
    let list = select6_list(&caching);
    let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_sense(&d, 5, 0x26, 0);
    assert!(matches!(d.field_pointer, Some((false, 4, None | Some(5)))), "PAGE CODE: {d:?}");
}

#[test]
fn mode_select_with_ps_set_is_invalid_parameter() {
    let mut t = thin_and_thick();
    let mut page = control_with_d_sense(&mut t, true);
    page[0] |= 0x80;
    let list = select6_list(&page);
    let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_parameter_field(&d, 0x26, 4, Some(7));
}

#[test]
fn mode_select_with_a_wrong_page_length_is_invalid_parameter() {
    let mut t = thin_and_thick();
    let mut page = control_with_d_sense(&mut t, true);
    page[1] = 0x08;
    let list = select6_list(&page);
    let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_parameter_byte(&d, 0x26, 5);
}

#[test]
fn mode_select_truncated_parameter_list_is_parameter_list_length_error() {
    let mut t = thin_and_thick();
    let page = control_with_d_sense(&mut t, true);
    let list = select6_list(&page);
    for length in [1u8, 3, 5, 8, 15] {
        let d = check(&mut t, 0, mode_select6(true, false, length), list[..usize::from(length)].to_vec());
        assert_sense(&d, 5, 0x1A, 0);
    }
    let list = select10_list(&page);
    for length in [1u16, 7, 9, 19] {
        let d = check(&mut t, 0, mode_select10(true, false, length), list[..usize::from(length)].to_vec());
        assert_sense(&d, 5, 0x1A, 0);
    }
    // A block descriptor announced but cut short.
    let list = vec![0, 0, 0, 8, 0, 0, 0x10, 0];
    let d = check(&mut t, 0, mode_select6(true, false, list.len() as u8), list);
    assert_sense(&d, 5, 0x1A, 0);
    assert_eq!(control_page(&mut t, 0, 0)[2] & 0x04, 0, "nothing changed");
}

// ==== COMPARE AND WRITE ====

/// One thin unit of 4096 × 512-byte blocks, MAXIMUM COMPARE AND WRITE LENGTH 4.
fn caw_target() -> Target {
    thin_with(Limits { max_compare_and_write_blocks: 4, ..Limits::default() })
}

#[test]
fn compare_and_write_on_a_match_writes() {
    let mut t = caw_target();
    let old = patterned(10, 2, 512, 1);
    let new = patterned(10, 2, 512, 2);
    good(&mut t, 0, write16(10, 2), old.clone());
    good(&mut t, 0, compare_and_write(10, 2), [old, new.clone()].concat());
    assert_eq!(read_blocks(&mut t, 0, 10, 2), new);
}

#[test]
fn compare_and_write_against_unwritten_blocks_compares_zeros() {
    let mut t = caw_target();
    let new = pattern(50, 512, 3);
    good(&mut t, 0, compare_and_write(50, 1), [vec![0; 512], new.clone()].concat());
    assert_eq!(read_blocks(&mut t, 0, 50, 1), new);
}

#[test]
fn compare_and_write_miscompare_at_the_first_byte() {
    let mut t = caw_target();
    let old = pattern(10, 512, 1);
    good(&mut t, 0, write16(10, 1), old.clone());
    let mut compare = old.clone();
    compare[0] ^= 0xFF;
    let d = check(&mut t, 0, compare_and_write(10, 1), [compare, vec![0xEE; 512]].concat());
    assert_sense(&d, 0xE, 0x1D, 0);
    assert_eq!(d.information, Some(0), "offset of the first differing byte");
    assert_eq!(read_blocks(&mut t, 0, 10, 1), old, "nothing written");
}

#[test]
fn compare_and_write_miscompare_at_the_last_byte() {
    let mut t = caw_target();
    let old = patterned(10, 2, 512, 1);
    good(&mut t, 0, write16(10, 2), old.clone());
    let mut compare = old.clone();
    compare[1023] ^= 0x01;
    let d = check(&mut t, 0, compare_and_write(10, 2), [compare, vec![0xEE; 1024]].concat());
    assert_sense(&d, 0xE, 0x1D, 0);
    assert_eq!(d.information, Some(1023));
    assert_eq!(read_blocks(&mut t, 0, 10, 2), old, "nothing written");
}

#[test]
fn compare_and_write_miscompare_in_the_second_block_reports_its_offset() {
    let mut t = caw_target();
    let old = patterned(20, 3, 512, 7);
    good(&mut t, 0, write16(20, 3), old.clone());
    let mut compare = old.clone();
    compare[512 + 100] ^= 0x80;
    compare[2 * 512 + 5] ^= 0x80; // a later difference does not matter
    let d = check(&mut t, 0, compare_and_write(20, 3), [compare, vec![0xEE; 3 * 512]].concat());
    assert_sense(&d, 0xE, 0x1D, 0);
    assert_eq!(d.information, Some(612));
    assert_eq!(read_blocks(&mut t, 0, 20, 3), old, "not even the matching first block is written");
}

#[test]
fn compare_and_write_miscompare_offset_anywhere_in_the_block() {
    let mut t = caw_target();
    let old = pattern(30, 512, 4);
    good(&mut t, 0, write16(30, 1), old.clone());
    for offset in [1usize, 27, 255, 256, 484, 510] {
        let mut compare = old.clone();
        compare[offset] = !compare[offset];
        let d = check(&mut t, 0, compare_and_write(30, 1), [compare, vec![0; 512]].concat());
        assert_eq!((d.key, d.information), (0xE, Some(offset as u64)));
    }
}

#[test]
fn compare_and_write_with_zero_blocks_is_good_and_does_nothing() {
    let mut t = caw_target();
    good(&mut t, 0, compare_and_write(0, 0), vec![]);
    good(&mut t, 0, compare_and_write(BLOCKS, 0), vec![]);
}

#[test]
fn compare_and_write_up_to_the_maximum_length_and_one_more() {
    let mut t = caw_target();
    let old = patterned(100, 4, 512, 1);
    let new = patterned(100, 4, 512, 2);
    good(&mut t, 0, write16(100, 4), old.clone());
    good(&mut t, 0, compare_and_write(100, 4), [old, new.clone()].concat());
    assert_eq!(read_blocks(&mut t, 0, 100, 4), new);
    let d = check(&mut t, 0, compare_and_write(100, 5), [patterned(100, 5, 512, 2), vec![0; 5 * 512]].concat());
    assert_invalid_cdb_byte(&d, 13);
    assert_eq!(read_blocks(&mut t, 0, 100, 4), new);
}

#[test]
fn compare_and_write_past_the_end_is_lba_out_of_range() {
    let mut t = caw_target();
    for (lba, n) in [(BLOCKS, 1u8), (BLOCKS - 1, 2), (u64::MAX, 1), (1 << 63, 1)] {
        let d = check(&mut t, 0, compare_and_write(lba, n), vec![0; 2 * usize::from(n) * 512]);
        assert_lba_out_of_range(&d);
    }
    good(&mut t, 0, compare_and_write(BLOCKS - 1, 1), vec![0; 1024]);
}

#[test]
fn compare_and_write_with_the_wrong_data_out_size_is_invalid_field_at_nolb() {
    let mut t = caw_target();
    for (n, len) in [(1u8, 512usize), (1, 0), (1, 2048), (2, 1024), (2, 2047), (0, 512)] {
        let d = check(&mut t, 0, compare_and_write(10, n), vec![0; len]);
        assert_invalid_cdb_byte(&d, 13);
    }
}

#[test]
fn compare_and_write_with_4096_byte_blocks() {
    let mut t = target(vec![unit(256, 4096, true)], Limits::default());
    let old = patterned(3, 2, 4096, 1);
    let new = patterned(3, 2, 4096, 9);
    good(&mut t, 0, write16(3, 2), old.clone());
    good(&mut t, 0, compare_and_write(3, 2), [old.clone(), new.clone()].concat());
    assert_eq!(read_blocks(&mut t, 0, 3, 2), new);
    let mut compare = new.clone();
    compare[4096 + 4095] ^= 1;
    let d = check(&mut t, 0, compare_and_write(3, 2), [compare, old].concat());
    assert_eq!((d.key, d.asc, d.information), (0xE, 0x1D, Some(8191)));
    assert_eq!(read_blocks(&mut t, 0, 3, 2), new);
    let d = check(&mut t, 0, compare_and_write(3, 1), vec![0; 1024]);
    assert_invalid_cdb_byte(&d, 13);
}

#[test]
fn compare_and_write_wrprotect_is_invalid_field() {
    let mut t = caw_target();
    for protect in 1..=7u8 {
        let mut cdb = compare_and_write(0, 1);
        cdb[1] = protect << 5;
        assert_invalid_cdb_field(&check(&mut t, 0, cdb, vec![0; 1024]), 1, Some(7));
    }
}

#[test]
fn compare_and_write_accepts_dpo_and_fua() {
    let mut t = caw_target();
    for flags in [0x10u8, 0x08, 0x18] {
        let current = read_blocks(&mut t, 0, 0, 1);
        let next = vec![flags; 512];
        let mut cdb = compare_and_write(0, 1);
        cdb[1] = flags;
        good(&mut t, 0, cdb, [current, next.clone()].concat());
        assert_eq!(read_blocks(&mut t, 0, 0, 1), next);
    }
}

#[test]
fn compare_and_write_to_a_write_protected_unit_is_data_protect() {
    let protected = UnitConfig { write_protected: true, ..unit(BLOCKS, 512, true) };
    let mut t = target(vec![protected], Limits::default());
    let d = check(&mut t, 0, compare_and_write(0, 1), vec![0; 1024]);
    assert_sense(&d, 7, 0x27, 0);
}

// ==== WRITE SAME ====

const ANCHOR: u8 = 0x10;
const UNMAP: u8 = 0x08;
const PBDATA: u8 = 0x04;
const LBDATA: u8 = 0x02;
const NDOB: u8 = 0x01;

/// The bits of WRITE SAME byte 1 that make `flags` invalid (any of them may be the one reported), from
/// SBC-4 5.48/5.49 and the unit's VPD B2h: WRPROTECT needs protection information; PBDATA and LBDATA are
/// obsolete; ANCHOR needs UNMAP and ANC_SUP; UNMAP needs LBPWS/LBPWS10; WRITE SAME (10) has no NDOB.
fn write_same_offending_bits(ws16: bool, flags: u8, thin: bool) -> Vec<u8> {
    let mut bits = Vec::new();
    if flags & 0xE0 != 0 {
        bits.push(7);
    }
    if flags & ANCHOR != 0 && (flags & UNMAP == 0 || !thin) {
        bits.push(4);
    }
    if flags & UNMAP != 0 && !thin {
        bits.push(3);
    }
    if flags & PBDATA != 0 {
        bits.push(2);
    }
    if flags & LBDATA != 0 {
        bits.push(1);
    }
    if !ws16 && flags & NDOB != 0 {
        bits.push(0);
    }
    bits
}

#[test]
fn write_same_every_flag_combination_on_thin_and_thick_units() {
    const LBA: u64 = 16;
    const N: u32 = 8;
    const CAP: u64 = 256;
    let old = patterned(LBA, N.into(), 512, 0x21);
    let data_block = pattern(0, 512, 0x42);
    for ws16 in [false, true] {
        for thin in [true, false] {
            for flags in 0..=0xFFu8 {
                let ndob = ws16 && flags & NDOB != 0;
                let data_outs = if ndob { vec![vec![]] } else { vec![vec![0; 512], data_block.clone()] };
                for data in data_outs {
                    let what =
                        format!("WS{} flags {flags:02x} thin {thin} data {}", if ws16 { 16 } else { 10 }, data.len());
                    let mut t = target(vec![unit(CAP, 512, thin)], Limits::default());
                    good(&mut t, 0, write16(LBA, N), old.clone());
                    let cdb =
                        if ws16 { write_same16(flags, LBA, N) } else { write_same10(flags, LBA as u32, N as u16) };
                    let r = run(&mut t, 0, cdb, data.clone());
                    let offending = write_same_offending_bits(ws16, flags, thin);
                    if !offending.is_empty() {
                        assert_eq!(r.status, 2, "{what}: must fail");
                        let d = decode(&r.sense);
                        assert_sense(&d, 5, 0x24, 0);
                        match d.field_pointer {
                            Some((true, 1, Some(bit))) if offending.contains(&bit) => {}
                            other => panic!("{what}: pointer {other:?}, expected byte 1 bit in {offending:?}"),
                        }
                        assert_eq!(read_blocks(&mut t, 0, LBA, N), old, "{what}: nothing changed");
                        continue;
                    }
                    assert_eq!(r.status, 0, "{what}: must succeed, got {:02x?}", r.sense);
                    let zeros = data.iter().all(|&b| b == 0);
                    let expected_block = if data.is_empty() { vec![0; 512] } else { data.clone() };
                    assert_eq!(read_blocks(&mut t, 0, LBA, N), expected_block.repeat(N as usize), "{what}: contents");
                    assert_eq!(read_blocks(&mut t, 0, LBA + u64::from(N), 1), vec![0; 512], "{what}: stops at NLB");
                    let expected = match (thin, zeros && flags & UNMAP != 0, flags & ANCHOR != 0) {
                        (false, _, _) => (CAP - LBA, MAPPED),
                        (true, false, _) => (N.into(), MAPPED),
                        (true, true, false) => (CAP - LBA, DEALLOCATED),
                        (true, true, true) => (N.into(), ANCHORED),
                    };
                    let (blocks, status) = extent_at(&mut t, 0, LBA);
                    assert_eq!((u64::from(blocks), status), expected, "{what}: provisioning");
                }
            }
        }
    }
}

#[test]
fn write_same_without_unmap_writes_the_block_everywhere() {
    let mut t = thin_and_thick();
    let block = pattern(1, 512, 0x13);
    good(&mut t, 0, write_same10(0, 100, 20), block.clone());
    assert_eq!(read_blocks(&mut t, 0, 100, 20), block.repeat(20));
    good(&mut t, 1, write_same16(0, 200, 30), block.clone());
    assert_eq!(read_blocks(&mut t, 1, 200, 30), block.repeat(30));
    assert_eq!(read_blocks(&mut t, 1, 199, 1), vec![0; 512]);
    assert_eq!(read_blocks(&mut t, 1, 230, 1), vec![0; 512]);
}

#[test]
fn write_same_unmap_with_zero_data_deallocates() {
    let mut t = thin_and_thick();
    fill_pattern(&mut t, 0, 0, 64, 512, 1);
    for (cdb, lba) in [(write_same10(UNMAP, 8, 8), 8u64), (write_same16(UNMAP, 32, 8), 32)] {
        good(&mut t, 0, cdb, vec![0; 512]);
        assert_eq!(extent_at(&mut t, 0, lba), (8, DEALLOCATED));
        assert_eq!(read_blocks(&mut t, 0, lba, 8), vec![0; 8 * 512], "deallocated blocks read zeros (LBPRZ)");
    }
    assert_eq!(extent_at(&mut t, 0, 16), (16, MAPPED), "blocks between are untouched");
}

#[test]
fn write_same_unmap_with_nonzero_data_writes_the_data() {
    let mut t = thin_and_thick();
    let block = pattern(9, 512, 0x77);
    good(&mut t, 0, write_same10(UNMAP, 8, 8), block.clone());
    assert_eq!(read_blocks(&mut t, 0, 8, 8), block.repeat(8));
    assert_eq!(extent_at(&mut t, 0, 8), (8, MAPPED));
    good(&mut t, 0, write_same16(UNMAP | ANCHOR, 40, 4), block.clone());
    assert_eq!(read_blocks(&mut t, 0, 40, 4), block.repeat(4));
    assert_eq!(extent_at(&mut t, 0, 40), (4, MAPPED));
}

#[test]
fn write_same_anchor_with_unmap_anchors() {
    let mut t = thin_and_thick();
    fill_pattern(&mut t, 0, 0, 32, 512, 1);
    good(&mut t, 0, write_same10(ANCHOR | UNMAP, 4, 8), vec![0; 512]);
    assert_eq!(extent_at(&mut t, 0, 4), (8, ANCHORED));
    assert_eq!(read_blocks(&mut t, 0, 4, 8), vec![0; 8 * 512]);
    good(&mut t, 0, write_same16(ANCHOR | UNMAP | NDOB, 20, 4), vec![]);
    assert_eq!(extent_at(&mut t, 0, 20), (4, ANCHORED));
}

#[test]
fn write_same16_ndob_writes_zeros_and_with_unmap_deallocates() {
    let mut t = thin_and_thick();
    fill_pattern(&mut t, 0, 0, 32, 512, 1);
    good(&mut t, 0, write_same16(NDOB, 0, 8), vec![]);
    assert_eq!(read_blocks(&mut t, 0, 0, 8), vec![0; 8 * 512]);
    assert_eq!(extent_at(&mut t, 0, 0), (32, MAPPED), "written zeros stay mapped");
    good(&mut t, 0, write_same16(NDOB | UNMAP, 8, 8), vec![]);
    assert_eq!(extent_at(&mut t, 0, 8), (8, DEALLOCATED));
    good(&mut t, 1, write_same16(NDOB, 0, 8), vec![]);
    assert_eq!(read_blocks(&mut t, 1, 0, 8), vec![0; 8 * 512]);
}

#[test]
fn write_same16_ndob_with_data_out_is_invalid_field() {
    let mut t = thin_and_thick();
    let d = check(&mut t, 0, write_same16(NDOB, 0, 8), vec![0; 512]);
    assert_invalid_cdb_field(&d, 1, Some(0));
}

#[test]
fn write_same_with_data_out_not_one_block_is_invalid_field() {
    let mut t = thin_and_thick();
    for len in [0usize, 1, 256, 511, 513, 1024] {
        assert_invalid_cdb(&check(&mut t, 0, write_same10(0, 0, 8), vec![0x5A; len]));
        assert_invalid_cdb(&check(&mut t, 0, write_same16(0, 0, 8), vec![0x5A; len]));
        assert_invalid_cdb(&check(&mut t, 0, write_same16(UNMAP, 0, 8), vec![0; len]));
    }
    let mut t = target(vec![unit(256, 4096, true)], Limits::default());
    assert_invalid_cdb(&check(&mut t, 0, write_same10(0, 0, 8), vec![0x5A; 512]));
    good(&mut t, 0, write_same10(0, 0, 8), vec![0x5A; 4096]);
}

#[test]
fn write_same_zero_blocks_with_wsnz_is_invalid_field() {
    let mut t = thin_with(Limits { write_same_non_zero: true, ..Limits::default() });
    assert_invalid_cdb_byte(&check(&mut t, 0, write_same10(0, 0, 0), vec![0; 512]), 7);
    assert_invalid_cdb_byte(&check(&mut t, 0, write_same16(0, 0, 0), vec![0; 512]), 10);
    assert_invalid_cdb_byte(&check(&mut t, 0, write_same16(UNMAP, 0, 0), vec![0; 512]), 10);
}

#[test]
fn write_same_zero_blocks_without_wsnz_writes_to_the_end_of_the_medium() {
    let mut t = thin_with(Limits { write_same_non_zero: false, ..Limits::default() });
    let block = pattern(3, 512, 0x31);
    good(&mut t, 0, write_same16(0, BLOCKS - 100, 0), block.clone());
    assert_eq!(read_blocks(&mut t, 0, BLOCKS - 100, 100), block.repeat(100));
    assert_eq!(read_blocks(&mut t, 0, BLOCKS - 101, 1), vec![0; 512]);
    good(&mut t, 0, write_same10(UNMAP, (BLOCKS - 50) as u32, 0), vec![0; 512]);
    assert_eq!(extent_at(&mut t, 0, BLOCKS - 50), (50, DEALLOCATED));
    assert_eq!(extent_at(&mut t, 0, BLOCKS - 100), (50, MAPPED));
    // The LBA is still checked.
    assert_lba_out_of_range(&check(&mut t, 0, write_same16(0, BLOCKS, 0), block.clone()));
    assert_lba_out_of_range(&check(&mut t, 0, write_same16(0, 1 << 63, 0), block.clone()));
    assert_lba_out_of_range(&check(&mut t, 0, write_same16(0, u64::MAX, 0), block));
}

#[test]
fn write_same_zero_blocks_beyond_the_maximum_length_is_invalid_field() {
    let limits = Limits { write_same_non_zero: false, max_write_same_blocks: 32, ..Limits::default() };
    let mut t = thin_with(limits);
    assert_invalid_cdb_byte(&check(&mut t, 0, write_same16(0, BLOCKS - 33, 0), vec![0x11; 512]), 10);
    good(&mut t, 0, write_same16(0, BLOCKS - 32, 0), vec![0x11; 512]);
}

#[test]
fn write_same_at_the_maximum_length_is_good_and_one_more_is_invalid_field() {
    let mut t = thin_with(Limits { max_write_same_blocks: 32, ..Limits::default() });
    let block = pattern(0, 512, 0x55);
    good(&mut t, 0, write_same10(0, 0, 32), block.clone());
    good(&mut t, 0, write_same16(UNMAP, 100, 32), vec![0; 512]);
    assert_eq!(read_blocks(&mut t, 0, 0, 32), block.repeat(32));
    assert_invalid_cdb_byte(&check(&mut t, 0, write_same10(0, 200, 33), block.clone()), 7);
    assert_invalid_cdb_byte(&check(&mut t, 0, write_same16(0, 200, 33), block.clone()), 10);
    assert_invalid_cdb_byte(&check(&mut t, 0, write_same16(UNMAP, 200, 33), vec![0; 512]), 10);
    assert_eq!(read_blocks(&mut t, 0, 200, 1), vec![0; 512]);
}

#[test]
fn write_same_past_the_end_is_lba_out_of_range() {
    let mut t = thin_and_thick();
    let block = vec![0x99; 512];
    for (lba, n) in [(BLOCKS, 1u32), (BLOCKS - 1, 2), (BLOCKS - 10, 11)] {
        assert_lba_out_of_range(&check(&mut t, 0, write_same10(0, lba as u32, n as u16), block.clone()));
        assert_lba_out_of_range(&check(&mut t, 0, write_same16(0, lba, n), block.clone()));
        assert_lba_out_of_range(&check(&mut t, 0, write_same16(UNMAP, lba, n), vec![0; 512]));
    }
    good(&mut t, 0, write_same16(0, BLOCKS - 10, 10), block.clone());
    assert_lba_out_of_range(&check(&mut t, 0, write_same10(0, 1 << 31, 1), block.clone()));
}

#[test]
fn write_same_lba_wrap_is_lba_out_of_range() {
    let mut t = thin_and_thick();
    for (lba, n) in [(u64::MAX, 1u32), (u64::MAX, 2), (u64::MAX - 3, 8), (1 << 63, 1)] {
        assert_lba_out_of_range(&check(&mut t, 0, write_same16(0, lba, n), vec![0x99; 512]));
        assert_lba_out_of_range(&check(&mut t, 0, write_same16(NDOB | UNMAP, lba, n), vec![]));
    }
}

#[test]
fn write_same_to_a_write_protected_unit_is_data_protect() {
    let protected = UnitConfig { write_protected: true, ..unit(BLOCKS, 512, true) };
    let mut t = target(vec![protected], Limits::default());
    assert_sense(&check(&mut t, 0, write_same10(0, 0, 1), vec![1; 512]), 7, 0x27, 0);
    assert_sense(&check(&mut t, 0, write_same16(UNMAP, 0, 1), vec![0; 512]), 7, 0x27, 0);
    assert_sense(&check(&mut t, 0, write_same16(NDOB, 0, 1), vec![]), 7, 0x27, 0);
}

// ==== UNMAP ====

/// One thin unit, at most 4 descriptors and 100 blocks per UNMAP, and a thick unit.
fn unmap_target() -> Target {
    let limits = Limits { max_unmap_descriptors: 4, max_unmap_blocks: 100, ..Limits::default() };
    target(vec![unit(BLOCKS, 512, true), unit(BLOCKS, 512, false)], limits)
}

fn unmap_good(t: &mut Target, anchor: bool, ranges: &[(u64, u32)]) {
    let list = unmap_list(ranges);
    good(t, 0, unmap(anchor, list.len() as u16), list);
}

#[test]
fn unmap_deallocates_and_the_blocks_read_zeros() {
    let mut t = unmap_target();
    fill_pattern(&mut t, 0, 0, 64, 512, 5);
    unmap_good(&mut t, false, &[(8, 8), (40, 4)]);
    assert_eq!(extent_at(&mut t, 0, 8), (8, DEALLOCATED));
    assert_eq!(extent_at(&mut t, 0, 40), (4, DEALLOCATED));
    assert_eq!(read_blocks(&mut t, 0, 8, 8), vec![0; 8 * 512]);
    assert_eq!(read_blocks(&mut t, 0, 16, 1), pattern(16, 512, 5), "neighbours untouched");
    assert_eq!(read_blocks(&mut t, 0, 7, 1), pattern(7, 512, 5));
}

#[test]
fn unmap_with_anchor_anchors() {
    let mut t = unmap_target();
    fill_pattern(&mut t, 0, 0, 32, 512, 5);
    unmap_good(&mut t, true, &[(4, 8)]);
    assert_eq!(extent_at(&mut t, 0, 4), (8, ANCHORED));
    assert_eq!(read_blocks(&mut t, 0, 4, 8), vec![0; 8 * 512]);
}

#[test]
fn unmap_on_a_thick_unit_is_invalid_command_operation_code() {
    let mut t = unmap_target();
    let list = unmap_list(&[(0, 1)]);
    assert_sense(&check(&mut t, 1, unmap(false, list.len() as u16), list.clone()), 5, 0x20, 0);
    assert_sense(&check(&mut t, 1, unmap(false, 0), vec![]), 5, 0x20, 0);
}

#[test]
fn unmap_with_parameter_list_length_zero_is_good() {
    let mut t = unmap_target();
    good(&mut t, 0, unmap(false, 0), vec![]);
}

#[test]
fn unmap_with_a_parameter_list_shorter_than_its_header_is_parameter_list_length_error() {
    let mut t = unmap_target();
    for length in 1..=7u16 {
        let d = check(&mut t, 0, unmap(false, length), vec![0; usize::from(length)]);
        assert_sense(&d, 5, 0x1A, 0);
    }
}

#[test]
fn unmap_with_no_descriptors_is_good() {
    let mut t = unmap_target();
    let list = unmap_list(&[]);
    good(&mut t, 0, unmap(false, list.len() as u16), list);
}

#[test]
fn unmap_with_more_descriptors_than_the_limit_is_invalid_parameter() {
    let mut t = unmap_target();
    fill_pattern(&mut t, 0, 0, 8, 512, 1);
    unmap_good(&mut t, false, &[(0, 1), (1, 1), (2, 1), (3, 1)]);
    let list = unmap_list(&[(4, 1), (5, 1), (6, 1), (7, 1), (8, 1)]);
    let d = check(&mut t, 0, unmap(false, list.len() as u16), list);
    assert_sense(&d, 5, 0x26, 0);
    match d.field_pointer {
        Some((false, 2 | 72, _)) => {} // the descriptor data length, or the first descriptor past the limit
        other => panic!("pointer {other:?}"),
    }
    assert_eq!(read_blocks(&mut t, 0, 4, 1), pattern(4, 512, 1), "nothing unmapped");
}

#[test]
fn unmap_of_more_blocks_in_total_than_the_limit_is_invalid_parameter() {
    let mut t = unmap_target();
    fill_pattern(&mut t, 0, 0, 256, 512, 1);
    unmap_good(&mut t, false, &[(0, 100)]);
    let list = unmap_list(&[(100, 101)]);
    let d = check(&mut t, 0, unmap(false, list.len() as u16), list);
    assert_parameter_byte(&d, 0x26, 8 + 8);
    let list = unmap_list(&[(100, 60), (200, 41)]);
    let d = check(&mut t, 0, unmap(false, list.len() as u16), list);
    assert_parameter_byte(&d, 0x26, 24 + 8); // the count that takes the total past the limit
    assert_eq!(read_blocks(&mut t, 0, 100, 1), pattern(100, 512, 1), "nothing unmapped");
}

#[test]
fn unmap_past_the_end_is_lba_out_of_range() {
    let mut t = unmap_target();
    for ranges in [vec![(BLOCKS, 1)], vec![(BLOCKS - 1, 2)], vec![(0, 1), (u64::MAX, 2)], vec![(1 << 63, 1)]] {
        let list = unmap_list(&ranges);
        assert_lba_out_of_range(&check(&mut t, 0, unmap(false, list.len() as u16), list));
    }
    unmap_good(&mut t, false, &[(BLOCKS - 1, 1)]);
}

#[test]
fn unmap_zero_block_descriptors_are_fine_even_at_capacity() {
    let mut t = unmap_target();
    unmap_good(&mut t, false, &[(BLOCKS, 0)]);
    unmap_good(&mut t, false, &[(0, 0), (BLOCKS, 0), (5, 0)]);
}

#[test]
fn unmap_ignores_a_truncated_descriptor() {
    let mut t = unmap_target();
    fill_pattern(&mut t, 0, 0, 16, 512, 1);
    // BLOCK DESCRIPTOR DATA LENGTH covers a descriptor and a half: the half (out of range) is ignored.
    let mut list = unmap_list(&[(2, 2), (u64::MAX, 0xFFFF)]);
    list[2..4].copy_from_slice(&24u16.to_be_bytes());
    good(&mut t, 0, unmap(false, list.len() as u16), list);
    assert_eq!(extent_at(&mut t, 0, 2), (2, DEALLOCATED));
    // PARAMETER LIST LENGTH cuts the second descriptor short.
    let list = unmap_list(&[(6, 2), (u64::MAX, 0xFFFF)]);
    good(&mut t, 0, unmap(false, 8 + 16 + 10), list[..8 + 16 + 10].to_vec());
    assert_eq!(extent_at(&mut t, 0, 6), (2, DEALLOCATED));
    assert_eq!(extent_at(&mut t, 0, 8), (8, MAPPED));
}

#[test]
fn unmap_of_unaligned_ranges_reads_zeros_and_deallocates_the_aligned_middle() {
    let limits = Limits { unmap_granularity: 8, ..Limits::default() };
    let mut t = thin_with(limits);
    fill_pattern(&mut t, 0, 0, 48, 512, 6);
    unmap_good(&mut t, false, &[(3, 32)]); // 3..35: aligned middle 8..32
    assert_eq!(read_blocks(&mut t, 0, 0, 3), patterned(0, 3, 512, 6), "before the range");
    assert_eq!(read_blocks(&mut t, 0, 3, 32), vec![0; 32 * 512], "the whole range reads zeros");
    assert_eq!(read_blocks(&mut t, 0, 35, 13), patterned(35, 13, 512, 6), "after the range");
    let (blocks, status) = extent_at(&mut t, 0, 8);
    assert_eq!(status, DEALLOCATED);
    assert!(blocks >= 24, "8..32 deallocated, got {blocks}");
    // A range inside one granule still reads zeros.
    unmap_good(&mut t, false, &[(41, 3)]);
    assert_eq!(read_blocks(&mut t, 0, 40, 5), [pattern(40, 512, 6), vec![0; 3 * 512], pattern(44, 512, 6)].concat());
}

#[test]
fn unmap_of_a_write_protected_unit_is_data_protect() {
    let protected = UnitConfig { write_protected: true, ..unit(BLOCKS, 512, true) };
    let mut t = target(vec![protected], Limits::default());
    let list = unmap_list(&[(0, 1)]);
    assert_sense(&check(&mut t, 0, unmap(false, list.len() as u16), list), 7, 0x27, 0);
}

// ==== GET LBA STATUS ====

#[test]
fn get_lba_status_of_a_fresh_thin_unit_is_one_deallocated_extent() {
    let mut t = thin_and_thick();
    assert_eq!(lba_status(&mut t, 0, 0), vec![(0, BLOCKS as u32, DEALLOCATED)]);
    assert_eq!(lba_status(&mut t, 0, 1000), vec![(1000, (BLOCKS - 1000) as u32, DEALLOCATED)]);
    assert_eq!(lba_status(&mut t, 0, BLOCKS - 1), vec![(BLOCKS - 1, 1, DEALLOCATED)]);
}

#[test]
fn get_lba_status_of_a_thick_unit_is_one_mapped_extent() {
    let mut t = thin_and_thick();
    assert_eq!(lba_status(&mut t, 1, 0), vec![(0, BLOCKS as u32, MAPPED)]);
}

#[test]
fn get_lba_status_reports_mapped_and_deallocated_runs() {
    let mut t = thin_and_thick();
    fill_pattern(&mut t, 0, 10, 10, 512, 1);
    fill_pattern(&mut t, 0, 100, 1, 512, 1);
    fill_pattern(&mut t, 0, BLOCKS - 2, 2, 512, 1);
    let expected = vec![
        (0, 10, DEALLOCATED),
        (10, 10, MAPPED),
        (20, 80, DEALLOCATED),
        (100, 1, MAPPED),
        (101, (BLOCKS - 2 - 101) as u32, DEALLOCATED),
        (BLOCKS - 2, 2, MAPPED),
    ];
    assert_eq!(lba_status(&mut t, 0, 0), expected);
    assert_eq!(lba_status(&mut t, 0, 15)[0], (15, 5, MAPPED), "the first extent starts at the starting LBA");
    assert_eq!(lba_status(&mut t, 0, 15).len(), 5);
}

#[test]
fn get_lba_status_at_or_beyond_capacity_is_lba_out_of_range() {
    let mut t = thin_and_thick();
    for lba in [BLOCKS, BLOCKS + 1, 1 << 63, u64::MAX] {
        assert_lba_out_of_range(&check(&mut t, 0, get_lba_status(lba, 4096), vec![]));
        assert_lba_out_of_range(&check(&mut t, 1, get_lba_status(lba, 4096), vec![]));
    }
}

#[test]
fn get_lba_status_allocation_length_limits_the_descriptors() {
    let mut t = thin_and_thick();
    for lba in [4u64, 8, 12] {
        fill_pattern(&mut t, 0, lba, 2, 512, 1);
    }
    let all = lba_status(&mut t, 0, 0);
    assert_eq!(all.len(), 7);
    for count in 1..=7usize {
        let allocation = (8 + 16 * count) as u32;
        let d = good(&mut t, 0, get_lba_status(0, allocation), vec![]);
        assert_eq!(d.len(), allocation as usize, "{count} descriptors fit");
        assert_eq!(be32(&d, 0) as usize + 4, d.len(), "PARAMETER DATA LENGTH of what is returned");
        let got: Vec<_> = d[8..].chunks(16).map(|c| (be64(c, 0), be32(c, 8), c[12] & 0x0F)).collect();
        assert_eq!(got, all[..count]);
    }
    let d = good(&mut t, 0, get_lba_status(0, 16), vec![]);
    assert_eq!(d.len(), 16, "truncated to the allocation length");
    assert_eq!(be64(&d, 8), 0, "the partial descriptor starts at the starting LBA");
    assert!(good(&mut t, 0, get_lba_status(0, 0), vec![]).is_empty());
}

// ==== REPORT LUNS ====

/// (LUN LIST LENGTH, LUNs) from REPORT LUNS data, each LUN in peripheral device addressing.
fn luns_of(d: &[u8]) -> (u32, Vec<u16>) {
    let list_length = be32(d, 0);
    let luns = d[8..]
        .chunks(8)
        .map(|e| {
            assert_eq!(e[0] >> 6, 0, "peripheral device addressing");
            assert_eq!(&e[2..], &[0; 6], "single level");
            u16::from(e[0] & 0x3F) << 8 | u16::from(e[1])
        })
        .collect();
    (list_length, luns)
}

#[test]
fn report_luns_lists_every_configured_unit() {
    let mut t = target(vec![unit(64, 512, true); 3], Limits::default());
    let d = good(&mut t, 0, report_luns(0, 1024), vec![]);
    assert_eq!(luns_of(&d), (24, vec![0, 1, 2]));
    assert_eq!(d.len(), 8 + 24);
    let d2 = good(&mut t, 0, report_luns(2, 1024), vec![]);
    assert_eq!(d2, d, "SELECT REPORT 02h: the same units");
}

#[test]
fn report_luns_lists_only_the_units_the_initiator_may_access() {
    let mut access = AccessMap::default();
    access.grants.insert(HOST.to_owned(), BTreeSet::from([1, 3]));
    let mut t = Target::new(TargetConfig {
        units: vec![unit(64, 512, true); 4],
        access: access.clone(),
        ..TargetConfig::default()
    })
    .unwrap();
    let d = good(&mut t, 1, report_luns(0, 1024), vec![]);
    assert_eq!(luns_of(&d), (16, vec![1, 3]));
    let d = good(&mut t, 0, report_luns(0, 1024), vec![]);
    assert_eq!(luns_of(&d), (16, vec![1, 3]), "answered even when sent to an inaccessible LUN");
    let other = t.execute(&request_from(OTHER_HOST, 0, report_luns(0, 1024), vec![]));
    assert_eq!(luns_of(&other.data_in), (32, vec![0, 1, 2, 3]), "others see every unit");

    access.others_denied = true;
    access.grants.insert(OTHER_HOST.to_owned(), BTreeSet::from([2]));
    let mut t =
        Target::new(TargetConfig { units: vec![unit(64, 512, true); 4], access, ..TargetConfig::default() }).unwrap();
    let other = t.execute(&request_from(OTHER_HOST, 2, report_luns(0, 1024), vec![]));
    assert_eq!(luns_of(&other.data_in), (8, vec![2]));
}

#[test]
fn report_luns_allocation_length_truncates_but_keeps_the_list_length() {
    let mut t = target(vec![unit(64, 512, true); 3], Limits::default());
    let d = good(&mut t, 0, report_luns(0, 16), vec![]);
    assert_eq!(d.len(), 16);
    assert_eq!(be32(&d, 0), 24);
    assert_eq!(d[9], 0, "the first LUN");
}

#[test]
fn report_luns_well_known_units_only_is_an_empty_list() {
    let mut t = thin_and_thick();
    let d = good(&mut t, 0, report_luns(1, 1024), vec![]);
    assert_eq!(luns_of(&d), (0, vec![]), "no well-known logical units");
}

#[test]
fn report_luns_reserved_select_report_is_invalid_field() {
    let mut t = thin_and_thick();
    for select in [0x03, 0x80, 0xFF] {
        assert_invalid_cdb_byte(&check(&mut t, 0, report_luns(select, 1024), vec![]), 2);
    }
}

// ==== Responses ====

#[test]
fn check_condition_carries_no_data_in() {
    let mut t = thin_and_thick();
    let r: Response = run(&mut t, 0, read16(BLOCKS, 1), vec![]);
    assert_eq!(r.status, 2);
    assert!(r.data_in.is_empty());
    assert_eq!(r.sense.len(), 18, "fixed format, 18 bytes");
}
