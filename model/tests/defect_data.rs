//! READ DEFECT DATA (10) and (12) (SBC-4): the grown defect list is the unit's configured bad blocks,
//! the primary list is empty; short (000b) and long (011b) block formats; the allocation length cuts
//! the answer, never the DEFECT LIST LENGTH.

mod common;
use common::*;

use std::collections::BTreeSet;

use offload_model::config::{Limits, UnitConfig};
use offload_model::scsi::Target;

const PLIST: u8 = 0x10;
const GLIST: u8 = 0x08;
const SHORT: u8 = 0b000;
const LONG: u8 = 0b011;

fn defective(bad: &[u64]) -> Target {
    let u = UnitConfig { bad_blocks: bad.iter().copied().collect::<BTreeSet<_>>(), ..unit(1 << 33, 512, true) };
    target(vec![u, unit(64, 512, true)], Limits::default())
}

#[test]
fn grown_list_in_short_block_format() {
    let mut t = defective(&[100, 7, 5000]);
    let d = good(&mut t, 0, read_defect_data10(GLIST | SHORT, 0xFFFF), vec![]);
    // Header: reserved, PLISTV=0 GLISTV=1 format 000b, DEFECT LIST LENGTH; then ascending LBAs.
    assert_eq!(&d[..4], &[0, GLIST, 0, 12]);
    assert_eq!((d.be32(4), d.be32(8), d.be32(12)), (7, 100, 5000));
    assert_eq!(d.len(), 16);
}

#[test]
fn long_block_format_and_the_12_byte_header() {
    let mut t = defective(&[(1 << 32) + 1, 3]);
    let d = good(&mut t, 0, read_defect_data12(PLIST | GLIST | LONG, 0, 0xFFFF), vec![]);
    // Header (12): reserved, PLISTV GLISTV format, GENERATION CODE (0: not reported), DEFECT LIST LENGTH.
    assert_eq!(&d[..4], &[0, PLIST | GLIST | LONG, 0, 0]);
    assert_eq!(d.be32(4), 16);
    assert_eq!((d.be64(8), d.be64(16)), (3, (1 << 32) + 1));
    // The same list through READ DEFECT DATA (10).
    let d10 = good(&mut t, 0, read_defect_data10(GLIST | LONG, 0xFFFF), vec![]);
    assert_eq!(d10.be16(2), 16);
    assert_eq!(&d10[4..], &d[8..]);
}

#[test]
fn short_format_cannot_name_a_defect_beyond_32_bits() {
    let mut t = defective(&[(1 << 32) + 1]);
    assert_invalid_cdb_field(&check(&mut t, 0, read_defect_data10(GLIST | SHORT, 64), vec![]), 2, Some(2));
}

#[test]
fn neither_list_is_the_header_alone_and_the_primary_list_is_empty() {
    let mut t = defective(&[1, 2]);
    assert_eq!(good(&mut t, 0, read_defect_data10(SHORT, 32), vec![]), vec![0, 0, 0, 0]);
    assert_eq!(good(&mut t, 0, read_defect_data10(PLIST | SHORT, 32), vec![]), vec![0, PLIST, 0, 0]);
    assert_eq!(good(&mut t, 0, read_defect_data12(0, 0, 32), vec![]), vec![0; 8]);
    assert_eq!(good(&mut t, 1, read_defect_data10(GLIST, 32), vec![]), vec![0, GLIST, 0, 0], "no bad blocks");
}

#[test]
fn allocation_length_cuts_the_data_not_the_length_field() {
    let mut t = defective(&[1, 2, 3]);
    let d = good(&mut t, 0, read_defect_data10(GLIST, 6), vec![]);
    assert_eq!(d, vec![0, GLIST, 0, 12, 0, 0]);
    assert!(good(&mut t, 0, read_defect_data10(GLIST, 0), vec![]).is_empty());
}

#[test]
fn address_descriptor_index_starts_later() {
    let mut t = defective(&[10, 20, 30]);
    let d = good(&mut t, 0, read_defect_data12(GLIST, 1, 64), vec![]);
    assert_eq!(d.be32(4), 8);
    assert_eq!((d.be32(8), d.be32(12)), (20, 30));
    let d = good(&mut t, 0, read_defect_data12(GLIST, 3, 64), vec![]);
    assert_eq!((d.be32(4), d.len()), (0, 8), "past the last descriptor: none");
    let d = good(&mut t, 0, read_defect_data12(GLIST, u32::MAX, 64), vec![]);
    assert_eq!(d.len(), 8);
}

#[test]
fn formats_without_a_geometry_are_refused() {
    let mut t = defective(&[1]);
    for format in [0b001, 0b010, 0b100, 0b101, 0b110, 0b111] {
        let d = check(&mut t, 0, read_defect_data10(GLIST | format, 64), vec![]);
        assert_invalid_cdb_field(&d, 2, Some(2));
        let d = check(&mut t, 0, read_defect_data12(GLIST | format, 0, 64), vec![]);
        assert_invalid_cdb_field(&d, 1, Some(2));
    }
}

#[test]
fn reserved_bits_are_invalid_field() {
    let mut t = defective(&[1]);
    let mut cdb = read_defect_data10(GLIST, 64);
    cdb[1] = 0x01;
    assert_invalid_cdb_field(&check(&mut t, 0, cdb, vec![]), 1, Some(0));
    let d = check(&mut t, 0, read_defect_data10(0x20 | GLIST, 64), vec![]);
    assert_invalid_cdb_field(&d, 2, Some(5));
}
