//! EXTENDED COPY (LID1) and RECEIVE COPY RESULTS, end to end through the SCSI front end.
//!
//! Expected values come from SPC-4 (parameter-list and sense layouts), from the libiscsi conformance
//! tests' expectations, or from an independent computation: data movement is checked against a plain
//! in-memory image of the units to which each segment is applied with `copy_within` /
//! `copy_from_slice` (memmove semantics by definition).

mod common;
use common::*;

use std::collections::{BTreeMap, BTreeSet};

use offload_model::config::{AccessMap, CopyLimits, TargetConfig, UnitConfig};
use offload_model::scsi::{Request, Response, Target};
use offload_scsi::CHECK_CONDITION;

const BS: usize = 512;
/// Blocks of every unit the tests fill, read back and compare.
const SPAN: u64 = 512;
const HEADER: usize = 16;
const CSCD: usize = 32;
const SEG: usize = 28;

// ---- plumbing ----

fn exec(t: &mut Target, initiator: &str, lun: u16, cdb: Vec<u8>, data_out: Vec<u8>) -> Response {
    t.execute(&request_from(initiator, lun, cdb, data_out))
}

fn good_as(t: &mut Target, initiator: &str, lun: u16, cdb: Vec<u8>, data_out: Vec<u8>) -> Vec<u8> {
    let r = exec(t, initiator, lun, cdb.clone(), data_out);
    assert_eq!(r.status, 0, "expected GOOD for {cdb:02x?} from {initiator}, got sense {:02x?}", r.sense);
    r.data_in
}

/// EXTENDED COPY with PARAMETER LIST LENGTH = the list's length.
fn xcopy_as(t: &mut Target, initiator: &str, lun: u16, list: Vec<u8>) -> Response {
    exec(t, initiator, lun, extended_copy(list.len() as u32), list)
}

fn xcopy(t: &mut Target, lun: u16, list: Vec<u8>) -> Response {
    xcopy_as(t, HOST, lun, list)
}

#[track_caller]
fn xcopy_good(t: &mut Target, lun: u16, list: Vec<u8>) {
    let r = xcopy(t, lun, list);
    assert_eq!(r.status, 0, "EXTENDED COPY failed: sense {:02x?}", r.sense);
}

/// An EXTENDED COPY that must end in CHECK CONDITION; returns the raw sense.
#[track_caller]
fn xcopy_fails_as(t: &mut Target, initiator: &str, lun: u16, list: Vec<u8>) -> Response {
    let r = xcopy_as(t, initiator, lun, list);
    assert_eq!(r.status, 2, "expected CHECK CONDITION from EXTENDED COPY");
    r
}

#[track_caller]
fn xcopy_fails(t: &mut Target, lun: u16, list: Vec<u8>) -> Response {
    xcopy_fails_as(t, HOST, lun, list)
}

fn naa_as(t: &mut Target, initiator: &str, lun: u16) -> Vec<u8> {
    let page = good_as(t, initiator, lun, inquiry(true, 0x83, 255), vec![]);
    assert_eq!(&page[4..8], &[0x01, 0x03, 0x00, 0x10], "one binary LU NAA designator");
    page[8..24].to_vec()
}

fn read_as(t: &mut Target, initiator: &str, lun: u16, lba: u64, n: u32) -> Vec<u8> {
    good_as(t, initiator, lun, read16(lba, n), vec![])
}

/// Blocks `0..SPAN` of every unit, read as `initiator`.
fn image_as(t: &mut Target, initiator: &str) -> Vec<Vec<u8>> {
    let units = t.state.config.units.len() as u16;
    (0..units).map(|lun| read_as(t, initiator, lun, 0, SPAN as u32)).collect()
}

fn image(t: &mut Target) -> Vec<Vec<u8>> {
    image_as(t, HOST)
}

/// The independent reference for one block-to-block segment: the whole source is taken first, then
/// written (memmove semantics; `copy_within` inside one unit).
fn apply(img: &mut [Vec<u8>], bs: usize, src: (usize, u64), dst: (usize, u64), blocks: u64) {
    let (s, d, n) = (src.1 as usize * bs, dst.1 as usize * bs, blocks as usize * bs);
    if src.0 == dst.0 {
        img[src.0].copy_within(s..s + n, d);
    } else {
        let data = img[src.0][s..s + n].to_vec();
        img[dst.0][d..d + n].copy_from_slice(&data);
    }
}

/// A target whose units hold distinct patterns over blocks `0..SPAN` (salt 1 + LUN).
fn filled(config: TargetConfig) -> Target {
    let sizes: Vec<u32> = config.units.iter().map(|u| u.block_size).collect();
    let mut t = Target::new(config).expect("valid config");
    for (lun, bs) in sizes.into_iter().enumerate() {
        fill_pattern(&mut t, lun as u16, 0, SPAN as u32, bs as usize, 1 + lun as u8);
    }
    t
}

fn units(n: usize, unit: UnitConfig) -> TargetConfig {
    TargetConfig { units: vec![unit; n], ..TargetConfig::default() }
}

/// Two 512-byte-block units of 4096 blocks, both filled.
fn prepared() -> Target {
    filled(units(2, unit(4096, 512, true)))
}

fn naas(t: &mut Target) -> (Vec<u8>, Vec<u8>) {
    (naa_of(t, 0), naa_of(t, 1))
}

/// A valid list: CSCD 0 = LUN 0, CSCD 1 = LUN 1, one segment copying LUN 0 blocks 0..8 to LUN 1 at 32.
fn base_parts(t: &mut Target) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let (n0, n1) = naas(t);
    (vec![cscd(&n0, 512), cscd(&n1, 512)], vec![segment(0, 1, 8, 0, 32)])
}

fn base_list(t: &mut Target) -> Vec<u8> {
    let (c, s) = base_parts(t);
    copy_list(1, 0, &c, &s)
}

/// Sends `list` with PARAMETER LIST LENGTH `length` (data-out truncated to it, as a transport would),
/// requires a CHECK CONDITION with no engine job and no change to any unit, and returns the sense.
#[track_caller]
fn rejected_with_length(t: &mut Target, list: &[u8], length: usize) -> Sense {
    let before = image(t);
    let r = run(t, 0, extended_copy(length as u32), list[..length].to_vec());
    assert_eq!(r.status, 2, "expected CHECK CONDITION");
    assert!(r.jobs.is_empty(), "a rejected parameter list issues no engine job: {:?}", r.jobs);
    assert_eq!(image(t), before, "a rejected parameter list moves no data");
    sense_of(&r)
}

#[track_caller]
fn rejected(t: &mut Target, list: &[u8]) -> Sense {
    rejected_with_length(t, list, list.len())
}

/// A parameter-list pointer into one of `bytes` (C/D = 0).
#[track_caller]
fn assert_param_pointer_in(d: &Sense, bytes: &[usize]) {
    let Some(KeySpecific::Field { in_cdb, byte, .. }) = d.key_specific else { panic!("no field pointer in {d:?}") };
    assert!(!in_cdb, "pointer into the parameter list, not the CDB: {d:?}");
    assert!(bytes.contains(&usize::from(byte)), "field pointer {byte} not in {bytes:?}: {d:?}");
}

fn seg_at(cscds: usize, segment: usize) -> usize {
    HEADER + cscds * CSCD + segment * SEG
}

// ---- COPY ABORTED ----

/// Segment `number` in COMMAND-SPECIFIC INFORMATION, and a segment pointer (SD = 1) at `byte` of its
/// descriptor.
#[track_caller]
fn assert_segment_pointer(d: &Sense, number: u64, byte: u16) {
    assert_eq!(d.command_specific, Some(number), "segment number in {d:?}");
    let pointer = KeySpecific::Segment { in_segment: true, byte, bit: None };
    assert_eq!(d.key_specific, Some(pointer), "segment pointer (SD=1) of {d:?}");
}

/// COPY ABORTED with a segment pointer (SD = 1) at `byte` of segment `number`.
#[track_caller]
fn assert_aborted_at(r: &Response, asc: Asc, number: u64, byte: u16) {
    let d = sense_of(r);
    assert_sense(&d, SenseKey::COPY_ABORTED, asc);
    assert_segment_pointer(&d, number, byte);
}

/// COPY ABORTED carrying exactly one CHECK CONDITION forwarded from copy target `from`; returns the
/// forwarded sense. The outer ASC is one libiscsi accepts for a failed copy target.
#[track_caller]
fn assert_forwarded(r: &Response, number: u64, byte: u16, from: CopyTarget) -> Sense {
    let d = sense_of(r);
    assert_eq!(d.key, SenseKey::COPY_ABORTED, "COPY ABORTED: {d:?}");
    let failed_target = [
        Asc::NO_ADDITIONAL_SENSE,
        Asc::UNREACHABLE_COPY_TARGET,
        Asc::THIRD_PARTY_DEVICE_FAILURE,
        Asc::COPY_TARGET_NOT_REACHABLE,
    ];
    assert!(failed_target.contains(&d.asc), "COPY ABORTED additional sense for a failed copy target: {d:?}");
    assert_segment_pointer(&d, number, byte);
    let Some(fwd) = d.forwarded else { panic!("no forwarded sense in {d:?}") };
    assert_eq!((fwd.from, fwd.status), (from, CHECK_CONDITION), "forwarded from / status: {fwd:?}");
    // What `Sense` does not say: where a fixed-format forwarded sense sits (the decoder refuses a second
    // forwarded sense in either format).
    if r.sense[0] & 0x7F == 0x70 {
        let offset = if from == CopyTarget::Source { r.sense[8] } else { r.sense[9] };
        assert_eq!(offset, 18, "forwarded status right after the 18 fixed bytes");
    }
    fwd.sense()
}

// ---- RECEIVE COPY RESULTS ----

fn copy_status_as(t: &mut Target, initiator: &str, list_id: u8) -> Response {
    exec(t, initiator, 0, receive_copy_results(0x00, list_id, 1024), vec![])
}

/// (COPY MANAGER STATUS, SEGMENTS PROCESSED, transfer count in bytes).
fn copy_status(t: &mut Target, initiator: &str, list_id: u8) -> (u8, u16, u64) {
    let r = copy_status_as(t, initiator, list_id);
    assert_eq!(r.status, 0, "COPY STATUS for list {list_id}: sense {:02x?}", r.sense);
    let d = r.data_in;
    assert_eq!(d.len(), 12);
    assert_eq!(d.be32(0), 8, "AVAILABLE DATA");
    assert_eq!(d[4] & 0x80, 0, "HDD: no held data to discard");
    assert!(d[7] <= 6, "TRANSFER COUNT UNITS {:#x}", d[7]);
    let count = u64::from(d.be32(8)) << (10 * u32::from(d[7]));
    (d[4] & 0x7F, d.be16(5), count)
}

#[track_caller]
fn assert_unknown_list(t: &mut Target, initiator: &str, list_id: u8) {
    let r = copy_status_as(t, initiator, list_id);
    assert_eq!(r.status, 2, "list {list_id} should be unknown to {initiator}");
    assert_invalid_cdb_field(&sense_of(&r), 2, None);
}

/// OPERATING PARAMETERS as a map of field name to value, plus the implemented descriptor type codes.
fn operating_parameters(t: &mut Target) -> (Vec<u8>, BTreeMap<&'static str, u64>, Vec<u8>) {
    let d = good(t, 0, receive_copy_results(0x03, 0, 1024), vec![]);
    let fields = BTreeMap::from([
        ("available", u64::from(d.be32(0))),
        ("snlid", u64::from(d[4] & 1)),
        ("max_cscd", u64::from(d.be16(8))),
        ("max_segments", u64::from(d.be16(10))),
        ("max_list", u64::from(d.be32(12))),
        ("max_segment_length", u64::from(d.be32(16))),
        ("max_inline", u64::from(d.be32(20))),
        ("held_data_limit", u64::from(d.be32(24))),
        ("total_concurrent", u64::from(d.be16(34))),
        ("max_concurrent", u64::from(d[36])),
        ("data_granularity", u64::from(d[37])),
    ]);
    let implemented = d[44..44 + usize::from(d[43])].to_vec();
    (d.clone(), fields, implemented)
}

// =====================================================================================================
// Happy paths
// =====================================================================================================

#[test]
fn copies_one_segment_within_a_unit() {
    let mut t = prepared();
    let n0 = naa_of(&mut t, 0);
    let mut expected = image(&mut t);
    xcopy_good(&mut t, 0, copy_list(1, 0, &[cscd(&n0, 512)], &[segment(0, 0, 8, 3, 200)]));
    apply(&mut expected, BS, (0, 3), (0, 200), 8);
    assert_eq!(image(&mut t), expected);
    // The destination holds the source's pattern, computed from the pattern function itself.
    let want: Vec<u8> = (3..11).flat_map(|l| pattern(l, BS, 1)).collect();
    assert_eq!(read_blocks(&mut t, 0, 200, 8), want);
}

#[test]
fn copies_one_segment_across_units() {
    let mut t = prepared();
    let (n0, n1) = naas(&mut t);
    let mut expected = image(&mut t);
    xcopy_good(&mut t, 0, copy_list(1, 0, &[cscd(&n0, 512), cscd(&n1, 512)], &[segment(0, 1, 40, 10, 300)]));
    apply(&mut expected, BS, (0, 10), (1, 300), 40);
    assert_eq!(image(&mut t), expected);
    let want: Vec<u8> = (10..50).flat_map(|l| pattern(l, BS, 1)).collect();
    assert_eq!(read_blocks(&mut t, 1, 300, 40), want);
}

#[test]
fn processes_segments_in_order_so_a_later_segment_reads_what_an_earlier_one_wrote() {
    let mut t = prepared();
    let (n0, n1) = naas(&mut t);
    let mut expected = image(&mut t);
    // 0 → 1:200, then 1:200 → 0:300, then 0:300 → 1:0 (over LUN 1's own data), then 1:0 → 1:4.
    let segs = [segment(0, 1, 8, 0, 200), segment(1, 0, 8, 200, 300), segment(0, 1, 6, 300, 0), segment(1, 1, 6, 0, 4)];
    xcopy_good(&mut t, 0, copy_list(1, 0, &[cscd(&n0, 512), cscd(&n1, 512)], &segs));
    for (s, d, n) in [((0, 0), (1, 200), 8), ((1, 200), (0, 300), 8), ((0, 300), (1, 0), 6), ((1, 0), (1, 4), 6)] {
        apply(&mut expected, BS, s, d, n);
    }
    assert_eq!(image(&mut t), expected);
    // Blocks 4..10 of LUN 1 now hold LUN 0's blocks 0..6, having passed through three segments.
    let want: Vec<u8> = (0..6).flat_map(|l| pattern(l, BS, 1)).collect();
    assert_eq!(read_blocks(&mut t, 1, 4, 6), want);
}

#[test]
fn cscd_id_ffffh_names_the_addressed_unit() {
    let mut t = prepared();
    let n0 = naa_of(&mut t, 0);
    let mut expected = image(&mut t);
    // No CSCD descriptors at all: FFFFh on both sides, sent to LUN 1.
    xcopy_good(&mut t, 1, copy_list(1, 0, &[], &[segment(0xFFFF, 0xFFFF, 5, 0, 100)]));
    apply(&mut expected, BS, (1, 0), (1, 100), 5);
    assert_eq!(image(&mut t), expected);
    // FFFFh as source with a listed destination, sent to LUN 1: copies LUN 1 → LUN 0.
    xcopy_good(&mut t, 1, copy_list(2, 0, &[cscd(&n0, 512)], &[segment(0xFFFF, 0, 7, 20, 400)]));
    apply(&mut expected, BS, (1, 20), (0, 400), 7);
    assert_eq!(image(&mut t), expected);
}

#[test]
fn overlapping_copy_to_a_lower_lba_matches_copy_within() {
    let mut t = prepared();
    let n0 = naa_of(&mut t, 0);
    let mut expected = image(&mut t);
    xcopy_good(&mut t, 0, copy_list(1, 0, &[cscd(&n0, 512)], &[segment(0, 0, 20, 10, 4)]));
    expected[0].copy_within(10 * BS..30 * BS, 4 * BS);
    assert_eq!(image(&mut t), expected);
}

#[test]
fn overlapping_copy_to_a_higher_lba_matches_copy_within() {
    let mut t = prepared();
    let n0 = naa_of(&mut t, 0);
    let mut expected = image(&mut t);
    // The destination starts inside the source: a naive forward copy would replicate blocks 10..13.
    xcopy_good(&mut t, 0, copy_list(1, 0, &[cscd(&n0, 512)], &[segment(0, 0, 20, 10, 13)]));
    expected[0].copy_within(10 * BS..30 * BS, 13 * BS);
    assert_eq!(image(&mut t), expected);
    let want: Vec<u8> = (10..30).flat_map(|l| pattern(l, BS, 1)).collect();
    assert_eq!(read_blocks(&mut t, 0, 13, 20), want);
}

#[test]
fn copy_onto_itself_changes_nothing() {
    let mut t = prepared();
    let expected = image(&mut t);
    xcopy_good(&mut t, 0, copy_list(1, 0, &[], &[segment(0xFFFF, 0xFFFF, 16, 8, 8)]));
    assert_eq!(image(&mut t), expected);
}

#[test]
fn zero_block_segment_is_good_and_moves_nothing() {
    let mut t = prepared();
    let (c, _) = base_parts(&mut t);
    let expected = image(&mut t);
    let r = xcopy(&mut t, 0, copy_list(4, 0, &c, &[segment(0, 1, 0, 0, 32)]));
    assert_eq!(r.status, 0, "sense {:02x?}", r.sense);
    assert!(r.jobs.is_empty(), "nothing to move: {:?}", r.jobs);
    assert_eq!(image(&mut t), expected);
    assert_eq!(copy_status(&mut t, HOST, 4), (0x01, 1, 0));
}

#[test]
fn copies_between_units_with_4096_byte_blocks() {
    let mut t = filled(units(2, unit(1024, 4096, true)));
    let (n0, n1) = naas(&mut t);
    let mut expected = image(&mut t);
    let segs = [segment(0, 1, 9, 1, 50), segment(1, 1, 12, 45, 48)];
    xcopy_good(&mut t, 0, copy_list(1, 0, &[cscd(&n0, 4096), cscd(&n1, 4096)], &segs));
    apply(&mut expected, 4096, (0, 1), (1, 50), 9);
    apply(&mut expected, 4096, (1, 45), (1, 48), 12);
    assert_eq!(image(&mut t), expected);
    assert_eq!(copy_status(&mut t, HOST, 1), (0x01, 2, (9 + 12) * 4096));
}

#[test]
fn parameter_list_length_zero_is_good_and_moves_nothing() {
    let mut t = prepared();
    let expected = image(&mut t);
    let r = run(&mut t, 0, extended_copy(0), vec![]);
    assert_eq!(r.status, 0, "libiscsi ParamHdr: length 0 is GOOD; sense {:02x?}", r.sense);
    assert!(r.jobs.is_empty());
    assert_eq!(image(&mut t), expected);
}

#[test]
fn descriptors_in_any_order_and_one_cscd_as_both_source_and_destination() {
    let mut t = prepared();
    let (n0, n1) = naas(&mut t);
    let mut expected = image(&mut t);
    // CSCD 0 is LUN 1, CSCD 1 is LUN 0; sent to LUN 0; CSCD 0 is both sides of the second segment.
    let segs = [segment(1, 0, 10, 0, 64), segment(0, 0, 10, 64, 66), segment(0, 1, 3, 70, 500)];
    xcopy_good(&mut t, 0, copy_list(1, 0, &[cscd(&n1, 512), cscd(&n0, 512)], &segs));
    apply(&mut expected, BS, (0, 0), (1, 64), 10);
    apply(&mut expected, BS, (1, 64), (1, 66), 10);
    apply(&mut expected, BS, (1, 70), (0, 500), 3);
    assert_eq!(image(&mut t), expected);
}

#[test]
fn the_same_unit_may_be_listed_twice() {
    let mut t = prepared();
    let n0 = naa_of(&mut t, 0);
    let mut expected = image(&mut t);
    xcopy_good(&mut t, 1, copy_list(1, 0, &[cscd(&n0, 512), cscd(&n0, 512)], &[segment(1, 0, 4, 0, 100)]));
    apply(&mut expected, BS, (0, 0), (0, 100), 4);
    assert_eq!(image(&mut t), expected);
}

#[test]
fn libiscsi_simple_copy_with_discard_usage() {
    // ExtendedCopy.Simple: C = min(N/2, 2048) blocks from LBA 0 to N - C on the same unit, usage 10b.
    let mut t = filled(units(1, unit(4096, 512, true)));
    let n0 = naa_of(&mut t, 0);
    let (n, c) = (4096u64, 2048u64);
    xcopy_good(&mut t, 0, copy_list(1, 0b10, &[cscd(&n0, 512)], &[segment(0, 0, c as u16, 0, n - c)]));
    let want = read_blocks(&mut t, 0, 0, c as u32);
    assert_eq!(read_blocks(&mut t, 0, n - c, c as u32), want);
    assert_eq!(&want[..BS], &pattern(0, BS, 1)[..]);
}

// =====================================================================================================
// CVE-2020-28374: a CSCD resolves only to units the issuing initiator may access
// =====================================================================================================

/// HOST may reach only LUN 0; OTHER_HOST may reach LUNs 0 and 1. Both units filled (by OTHER_HOST).
fn restricted_target() -> Target {
    let mut access = AccessMap::default();
    access.grants.insert(HOST.to_owned(), BTreeSet::from([0]));
    access.grants.insert(OTHER_HOST.to_owned(), BTreeSet::from([0, 1]));
    let mut t = Target::new(TargetConfig { access, ..units(2, unit(4096, 512, true)) }).expect("valid config");
    for lun in 0..2u16 {
        let data: Vec<u8> = (0..SPAN).flat_map(|l| pattern(l, BS, 1 + lun as u8)).collect();
        good_as(&mut t, OTHER_HOST, lun, write16(0, SPAN as u32), data);
    }
    t
}

#[test]
fn cve_2020_28374_restricted_initiator_cannot_learn_the_other_unit_itself() {
    let mut t = restricted_target();
    let r = exec(&mut t, HOST, 1, inquiry(true, 0x83, 255), vec![]);
    assert_eq!(r.status, 2);
    assert_lun_not_supported(&sense_of(&r));
    let r = exec(&mut t, HOST, 1, read16(0, 1), vec![]);
    assert_eq!(r.status, 2);
    assert_lun_not_supported(&sense_of(&r));
    // Nor can it send EXTENDED COPY to that unit, even naming only the addressed unit (FFFFh).
    let before = image_as(&mut t, OTHER_HOST);
    let r = xcopy_as(&mut t, HOST, 1, copy_list(1, 0, &[], &[segment(0xFFFF, 0xFFFF, 4, 0, 100)]));
    assert_eq!(r.status, 2);
    assert_lun_not_supported(&sense_of(&r));
    assert!(r.jobs.is_empty());
    assert_eq!(image_as(&mut t, OTHER_HOST), before);
}

#[test]
fn cve_2020_28374_copy_from_an_inaccessible_unit_is_refused_and_reads_nothing() {
    let mut t = restricted_target();
    let n0 = naa_as(&mut t, OTHER_HOST, 0);
    let n1 = naa_as(&mut t, OTHER_HOST, 1); // learned by the permitted initiator
    let before = image_as(&mut t, OTHER_HOST);
    let list = copy_list(1, 0, &[cscd(&n1, 512), cscd(&n0, 512)], &[segment(0, 1, 16, 0, 100)]);
    let r = xcopy_fails_as(&mut t, HOST, 0, list);
    assert_aborted_at(&r, Asc::COPY_TARGET_NOT_REACHABLE, 0, 4);
    assert!(r.jobs.is_empty(), "no engine job may touch LUN 1: {:?}", r.jobs);
    assert_eq!(image_as(&mut t, OTHER_HOST), before, "LUN 0's destination is unchanged");
}

#[test]
fn cve_2020_28374_copy_to_an_inaccessible_unit_is_refused_and_writes_nothing() {
    let mut t = restricted_target();
    let n0 = naa_as(&mut t, OTHER_HOST, 0);
    let n1 = naa_as(&mut t, OTHER_HOST, 1);
    let before = image_as(&mut t, OTHER_HOST);
    // Via an index and via FFFFh as the source.
    for (i, segs) in [segment(0, 1, 16, 0, 100), segment(0xFFFF, 1, 16, 0, 100)].into_iter().enumerate() {
        let list = copy_list(i as u8, 0, &[cscd(&n0, 512), cscd(&n1, 512)], &[segs]);
        let r = xcopy_fails_as(&mut t, HOST, 0, list);
        assert_aborted_at(&r, Asc::COPY_TARGET_NOT_REACHABLE, 0, 6);
        assert!(r.jobs.is_empty(), "no engine job may touch LUN 1: {:?}", r.jobs);
        assert_eq!(image_as(&mut t, OTHER_HOST), before, "LUN 1 is unchanged");
    }
}

#[test]
fn cve_2020_28374_inaccessible_unit_answers_exactly_like_an_unknown_designator() {
    let mut t = restricted_target();
    let n0 = naa_as(&mut t, OTHER_HOST, 0);
    let n1 = naa_as(&mut t, OTHER_HOST, 1);
    let mut unknown = n1.clone();
    unknown[15] ^= 0x5A;
    // Even a wrong DISK BLOCK LENGTH must not reveal whether the designator exists.
    for block_length in [512, 4096] {
        let list = |naa: &[u8]| copy_list(1, 0, &[cscd(&n0, 512), cscd(naa, block_length)], &[segment(0, 1, 1, 0, 0)]);
        let hidden = xcopy_fails_as(&mut t, HOST, 0, list(&n1)).sense;
        let absent = xcopy_fails_as(&mut t, HOST, 0, list(&unknown)).sense;
        assert_eq!(hidden, absent, "DISK BLOCK LENGTH {block_length}");
    }
}

#[test]
fn cve_2020_28374_the_same_copy_succeeds_for_an_initiator_granted_both_units() {
    let mut t = restricted_target();
    let n0 = naa_as(&mut t, OTHER_HOST, 0);
    let n1 = naa_as(&mut t, OTHER_HOST, 1);
    let mut expected = image_as(&mut t, OTHER_HOST);
    let list = copy_list(1, 0, &[cscd(&n1, 512), cscd(&n0, 512)], &[segment(0, 1, 16, 0, 100)]);
    assert_eq!(xcopy_as(&mut t, OTHER_HOST, 0, list).status, 0);
    apply(&mut expected, BS, (1, 0), (0, 100), 16);
    let list = copy_list(2, 0, &[cscd(&n0, 512), cscd(&n1, 512)], &[segment(0, 1, 16, 0, 100)]);
    assert_eq!(xcopy_as(&mut t, OTHER_HOST, 0, list).status, 0);
    apply(&mut expected, BS, (0, 0), (1, 100), 16);
    assert_eq!(image_as(&mut t, OTHER_HOST), expected);
}

// =====================================================================================================
// Parameter-list errors: ILLEGAL REQUEST, field pointer into the list, no data moved
// =====================================================================================================

#[test]
fn list_shorter_than_the_header_is_a_parameter_list_length_error() {
    let mut t = prepared();
    let list = base_list(&mut t);
    for length in [1, 8, 15] {
        assert_parameter_list_length_error(&rejected_with_length(&mut t, &list, length));
    }
}

#[test]
fn list_length_cutting_the_cscd_descriptor_is_a_parameter_list_length_error() {
    // libiscsi ParamHdr: header says 32 + 28 bytes; PARAMETER LIST LENGTH 16 + 32 - 1.
    let mut t = prepared();
    let n0 = naa_of(&mut t, 0);
    let list = copy_list(1, 0, &[cscd(&n0, 512)], &[segment(0, 0, 8, 0, 100)]);
    assert_eq!(list.len(), 76);
    assert_parameter_list_length_error(&rejected_with_length(&mut t, &list, 47));
}

#[test]
fn list_length_cutting_the_segment_descriptor_is_a_parameter_list_length_error() {
    let mut t = prepared();
    let n0 = naa_of(&mut t, 0);
    let list = copy_list(1, 0, &[cscd(&n0, 512)], &[segment(0, 0, 8, 0, 100)]);
    assert_parameter_list_length_error(&rejected_with_length(&mut t, &list, 75));
}

#[test]
fn header_lengths_beyond_the_list_are_a_parameter_list_length_error() {
    let mut t = prepared();
    let mut list = base_list(&mut t);
    list[8..12].copy_from_slice(&(2 * SEG as u32).to_be_bytes()); // claims a second segment
    assert_parameter_list_length_error(&rejected(&mut t, &list));
    let mut list = base_list(&mut t);
    list[2..4].copy_from_slice(&(3 * CSCD as u16).to_be_bytes()); // claims a third CSCD
    assert_parameter_list_length_error(&rejected(&mut t, &list));
}

#[test]
fn descriptor_lists_over_the_maximum_length_are_a_length_error_even_when_counts_are_too_large() {
    // libiscsi DescrLimits case 3, sized from OPERATING PARAMETERS as the test does.
    let mut t = prepared();
    let (_, op, _) = operating_parameters(&mut t);
    let (max_t, max_s, max_len) = (op["max_cscd"] as usize, op["max_segments"] as usize, op["max_list"] as usize);
    let n0 = naa_of(&mut t, 0);
    let cscds = vec![cscd(&n0, 512); max_t + 1];
    let total = (HEADER + (max_t + 1) * CSCD + (max_s + 1) * SEG).max(HEADER + max_len + SEG);
    let seg_bytes = total - HEADER - cscds.len() * CSCD;
    let segs = vec![segment(0, 0, 1, 0, 100); seg_bytes / SEG];
    let list = copy_list(3, 0, &cscds, &segs);
    assert!(list.len() - HEADER > max_len && cscds.len() > max_t);
    assert_parameter_list_length_error(&rejected(&mut t, &list));
}

#[test]
fn too_many_cscd_descriptors() {
    let mut t = prepared();
    let (_, op, _) = operating_parameters(&mut t);
    let max_t = op["max_cscd"] as usize;
    let n0 = naa_of(&mut t, 0);
    let list = copy_list(1, 0, &vec![cscd(&n0, 512); max_t + 1], &[segment(0, 0, 1, 0, 100)]);
    assert!(list.len() - HEADER <= op["max_list"] as usize, "only the count is over its limit");
    let d = rejected(&mut t, &list);
    assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::TOO_MANY_TARGET_DESCRIPTORS);
    assert_param_pointer_in(&d, &[2, HEADER + max_t * CSCD]);
    // Exactly the maximum is fine.
    xcopy_good(&mut t, 0, copy_list(1, 0, &vec![cscd(&n0, 512); max_t], &[segment(0, 0, 1, 0, 100)]));
}

#[test]
fn too_many_segment_descriptors() {
    let mut t = prepared();
    let (_, op, _) = operating_parameters(&mut t);
    let max_s = op["max_segments"] as usize;
    let n0 = naa_of(&mut t, 0);
    let list = copy_list(2, 0, &[cscd(&n0, 512)], &vec![segment(0, 0, 1, 0, 100); max_s + 1]);
    assert!(list.len() - HEADER <= op["max_list"] as usize, "only the count is over its limit");
    let d = rejected(&mut t, &list);
    assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::TOO_MANY_SEGMENT_DESCRIPTORS);
    assert_param_pointer_in(&d, &[8, seg_at(1, max_s)]);
    xcopy_good(&mut t, 0, copy_list(2, 0, &[cscd(&n0, 512)], &vec![segment(0, 0, 1, 0, 100); max_s]));
}

#[test]
fn cscd_list_length_not_a_multiple_of_32_is_an_unsupported_target_descriptor() {
    let mut t = prepared();
    let (c, s) = base_parts(&mut t);
    // 32 + 20 bytes of CSCDs: the second descriptor is cut short.
    let mut cut = c.clone();
    cut[1].truncate(20);
    let d = rejected(&mut t, &copy_list(1, 0, &cut, &s));
    assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::UNSUPPORTED_TARGET_DESCRIPTOR_TYPE);
    assert_param_pointer_in(&d, &[2, HEADER + CSCD]);
}

#[test]
fn unknown_cscd_descriptor_type_e0h() {
    // libiscsi DescrType case 1 (FC N_Port_Name).
    let mut t = prepared();
    let (mut c, s) = base_parts(&mut t);
    c[0][0] = 0xE0;
    let d = rejected(&mut t, &copy_list(1, 0, &c, &s));
    assert_parameter_byte(&d, Asc::UNSUPPORTED_TARGET_DESCRIPTOR_TYPE, HEADER);
}

#[test]
fn unknown_segment_descriptor_type_03h() {
    // libiscsi DescrType case 2: a 20-byte stream→stream descriptor (DESCRIPTOR LENGTH 10h).
    let mut t = prepared();
    let (c, _) = base_parts(&mut t);
    let mut stream = vec![0u8; 20];
    stream[0] = 0x03;
    stream[3] = 0x10;
    stream[6..8].copy_from_slice(&1u16.to_be_bytes());
    let d = rejected(&mut t, &copy_list(1, 0, &c, &[stream]));
    assert_parameter_byte(&d, Asc::UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE, seg_at(2, 0));
}

/// A block device with offset → block device with offset segment descriptor (0Ah, SPC-4): NUMBER OF
/// BYTES, the LBAs, and a byte offset into each starting block (DESCRIPTOR LENGTH 1Ch).
fn block_with_offset_segment(blocks_bytes: u32, source_offset: u16, destination_offset: u16) -> Vec<u8> {
    let mut d = vec![0u8; 32];
    d[0] = 0x0A;
    d[2..4].copy_from_slice(&0x1Cu16.to_be_bytes());
    d[4..6].copy_from_slice(&0u16.to_be_bytes());
    d[6..8].copy_from_slice(&1u16.to_be_bytes());
    d[8..12].copy_from_slice(&blocks_bytes.to_be_bytes());
    d[20..28].copy_from_slice(&32u64.to_be_bytes());
    d[28..30].copy_from_slice(&source_offset.to_be_bytes());
    d[30..32].copy_from_slice(&destination_offset.to_be_bytes());
    d
}

#[test]
fn block_to_block_with_byte_offsets_0ah_is_neither_advertised_nor_run() {
    // The engines move whole, block-aligned blocks: a byte offset cannot be a job.
    let mut t = prepared();
    let op = good(&mut t, 0, receive_copy_results(3, 0, 255), vec![]);
    let count = usize::from(op[43]);
    assert!(!op[44..44 + count].contains(&0x0A), "OPERATING PARAMETERS: {:02x?}", &op[44..44 + count]);
    // VPD 8Fh's Supported Descriptors descriptor (0008h): a count, then the codes.
    let vpd = good(&mut t, 0, inquiry(true, 0x8F, 0xFFFF), vec![]);
    let mut at = 4;
    let mut listed = None;
    while at + 4 <= vpd.len() {
        let len = usize::from(vpd.be16(at + 2));
        if vpd.be16(at) == 0x0008 {
            let count = usize::from(vpd[at + 4]);
            listed = Some(vpd[at + 5..at + 5 + count].to_vec());
        }
        at += 4 + len;
    }
    assert_eq!(listed, Some(vec![0x02, 0xE4]), "block→block and identification descriptors only");
    let (c, _) = base_parts(&mut t);
    for (bytes, so, dso) in [(100, 3, 7), (512, 0, 0), (4096, 0, 0)] {
        let d = rejected(&mut t, &copy_list(1, 0, &c, &[block_with_offset_segment(bytes, so, dso)]));
        assert_parameter_byte(&d, Asc::UNSUPPORTED_SEGMENT_DESCRIPTOR_TYPE, seg_at(2, 0));
    }
}

#[test]
fn segment_descriptor_length_other_than_18h() {
    let mut t = prepared();
    let (c, mut s) = base_parts(&mut t);
    s[0][2..4].copy_from_slice(&0x14u16.to_be_bytes());
    let d = rejected(&mut t, &copy_list(1, 0, &c, &s));
    assert_param_pointer_in(&d, &[seg_at(2, 0) + 2, seg_at(2, 0) + 3]);
    assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::INVALID_FIELD_IN_PARAMETER_LIST);
}

#[test]
fn inline_data_is_not_supported() {
    let mut t = prepared();
    let mut list = base_list(&mut t);
    list[12..16].copy_from_slice(&4u32.to_be_bytes());
    list.extend([0xAA; 4]);
    let d = rejected(&mut t, &list);
    assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::INVALID_FIELD_IN_PARAMETER_LIST);
    assert_param_pointer_in(&d, &[12, 13, 14, 15]);
}

#[test]
fn list_id_usage_01b_is_reserved() {
    let mut t = prepared();
    let (c, s) = base_parts(&mut t);
    let d = rejected(&mut t, &copy_list(1, 0b01, &c, &s));
    assert_invalid_parameter_field(&d, 1, Some(4));
}

#[test]
fn list_id_usage_11b_requires_list_identifier_zero() {
    let mut t = prepared();
    let (c, s) = base_parts(&mut t);
    let d = rejected(&mut t, &copy_list(9, 0b11, &c, &s));
    assert_invalid_parameter_byte(&d, 0);
    // With list identifier 0 it is accepted.
    xcopy_good(&mut t, 0, copy_list(0, 0b11, &c, &s));
}

#[test]
fn reserved_header_fields_are_rejected() {
    let mut t = prepared();
    let mut list = base_list(&mut t);
    list[1] |= 0x80;
    assert_invalid_parameter_field(&rejected(&mut t, &list), 1, Some(7));
    let mut list = base_list(&mut t);
    list[6] = 1;
    assert_invalid_parameter_byte(&rejected(&mut t, &list), 6);
}

#[test]
fn identification_descriptor_code_set_must_be_binary() {
    let mut t = prepared();
    let (mut c, s) = base_parts(&mut t);
    c[1][4] = 0x02; // ASCII
    assert_invalid_parameter_field(&rejected(&mut t, &copy_list(1, 0, &c, &s)), HEADER + CSCD + 4, Some(3));
}

#[test]
fn identification_descriptor_association_must_be_the_logical_unit() {
    let mut t = prepared();
    let (mut c, s) = base_parts(&mut t);
    c[0][5] = 0x13; // target port association, NAA
    assert_invalid_parameter_field(&rejected(&mut t, &copy_list(1, 0, &c, &s)), HEADER + 5, Some(5));
}

#[test]
fn identification_descriptor_designator_type_must_be_naa() {
    let mut t = prepared();
    let (mut c, s) = base_parts(&mut t);
    c[0][5] = 0x02; // EUI-64
    assert_invalid_parameter_field(&rejected(&mut t, &copy_list(1, 0, &c, &s)), HEADER + 5, Some(3));
}

#[test]
fn identification_descriptor_designator_length_must_be_16() {
    let mut t = prepared();
    let (mut c, s) = base_parts(&mut t);
    c[1][7] = 8;
    assert_invalid_parameter_byte(&rejected(&mut t, &copy_list(1, 0, &c, &s)), HEADER + CSCD + 7);
}

#[test]
fn identification_descriptor_peripheral_device_type_must_be_a_block_device() {
    let mut t = prepared();
    let (mut c, s) = base_parts(&mut t);
    c[0][1] = 0x01; // sequential-access device
    assert_invalid_parameter_field(&rejected(&mut t, &copy_list(1, 0, &c, &s)), HEADER + 1, Some(4));
}

#[test]
fn disk_block_length_must_match_the_unit() {
    let mut t = prepared();
    let (n0, n1) = naas(&mut t);
    let list = copy_list(1, 0, &[cscd(&n0, 512), cscd(&n1, 4096)], &[segment(0, 1, 8, 0, 32)]);
    let d = rejected(&mut t, &list);
    assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::INVALID_FIELD_IN_PARAMETER_LIST);
    assert_param_pointer_in(&d, &[HEADER + CSCD + 29, HEADER + CSCD + 30, HEADER + CSCD + 31]);
}

#[test]
fn cscd_ids_above_7ffh_other_than_ffffh_are_invalid() {
    let mut t = prepared();
    let (c, _) = base_parts(&mut t);
    let at = seg_at(2, 0);
    for (source, destination, byte) in [(0x0800, 1, 4), (0, 0xC000, 6), (0xF800, 1, 4), (0, 0xFFFE, 6)] {
        let d = rejected(&mut t, &copy_list(1, 0, &c, &[segment(source, destination, 8, 0, 32)]));
        assert_param_pointer_in(&d, &[at + byte, at + byte + 1]);
        assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::INVALID_FIELD_IN_PARAMETER_LIST);
    }
}

#[test]
fn reserved_segment_descriptor_bits_are_rejected() {
    let mut t = prepared();
    let (c, mut s) = base_parts(&mut t);
    s[0][1] = 0x80;
    assert_invalid_parameter_field(&rejected(&mut t, &copy_list(1, 0, &c, &s)), seg_at(2, 0) + 1, Some(7));
}

#[test]
fn reserved_lu_id_type_10b_is_ignored_per_spc4() {
    // libiscsi ValidTgtDescr on an SPC-4 target (INQUIRY VERSION 06h): LU ID TYPE 10b → GOOD.
    let mut t = prepared();
    let version = good(&mut t, 0, inquiry(false, 0, 96), vec![])[2];
    assert_eq!(version, 0x06, "the target claims SPC-4");
    let (mut c, s) = base_parts(&mut t);
    c[0][1] = 0x80;
    let mut expected = image(&mut t);
    xcopy_good(&mut t, 0, copy_list(1, 0, &c, &s));
    apply(&mut expected, BS, (0, 0), (1, 32), 8);
    assert_eq!(image(&mut t), expected);
}

fn segment_limited(max_segment_bytes: u32) -> Target {
    let mut config = units(2, unit(4096, 512, true));
    config.limits.copy = CopyLimits { max_segment_bytes, ..CopyLimits::default() };
    filled(config)
}

#[test]
fn segment_longer_than_the_maximum_segment_length() {
    let mut t = segment_limited(64 * 1024);
    let (c, _) = base_parts(&mut t);
    let max_blocks = (64 * 1024 / BS) as u16;
    let d = rejected(&mut t, &copy_list(1, 0, &c, &[segment(0, 1, max_blocks + 1, 0, 0)]));
    assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::INVALID_FIELD_IN_PARAMETER_LIST);
    assert_param_pointer_in(&d, &[seg_at(2, 0) + 10, seg_at(2, 0) + 11]);
    // Exactly the maximum is accepted (and FFFFh sides are limited the same way).
    let mut expected = image(&mut t);
    xcopy_good(&mut t, 0, copy_list(1, 0, &c, &[segment(0, 1, max_blocks, 0, 0)]));
    apply(&mut expected, BS, (0, 0), (1, 0), u64::from(max_blocks));
    assert_eq!(image(&mut t), expected);
    let d = rejected(&mut t, &copy_list(1, 0, &[], &[segment(0xFFFF, 0xFFFF, max_blocks + 1, 0, 200)]));
    assert_sense(&d, SenseKey::ILLEGAL_REQUEST, Asc::INVALID_FIELD_IN_PARAMETER_LIST);
    assert_param_pointer_in(&d, &[seg_at(0, 0) + 10, seg_at(0, 0) + 11]);
}

#[test]
fn parameter_list_errors_in_descriptor_format_sense() {
    let mut config = units(2, unit(4096, 512, true));
    config.descriptor_sense = true;
    let mut t = filled(config);
    let (mut c, s) = base_parts(&mut t);
    c[1][0] = 0xE0;
    let r = xcopy_fails(&mut t, 0, copy_list(1, 0, &c, &s));
    assert_eq!(r.sense[0], 0x72, "D_SENSE=1: descriptor format");
    assert_parameter_byte(&sense_of(&r), Asc::UNSUPPORTED_TARGET_DESCRIPTOR_TYPE, HEADER + CSCD);
}

// =====================================================================================================
// Processing errors: COPY ABORTED
// =====================================================================================================

#[test]
fn destination_cscd_index_beyond_the_list_aborts_that_segment_after_earlier_ones_ran() {
    // libiscsi ValidSegDescr case 1, here as segment 1 after a good segment 0.
    let mut t = prepared();
    let n0 = naa_of(&mut t, 0);
    let mut expected = image(&mut t);
    let list = copy_list(1, 0, &[cscd(&n0, 512)], &[segment(0, 0, 8, 0, 100), segment(0, 1, 8, 0, 200)]);
    let r = xcopy_fails(&mut t, 0, list);
    assert_aborted_at(&r, Asc::COPY_TARGET_NOT_REACHABLE, 1, 6);
    let d = sense_of(&r);
    assert_eq!(d.information, None, "nothing written for the failed segment");
    assert_eq!(d.forwarded, None, "nothing forwarded");
    apply(&mut expected, BS, (0, 0), (0, 100), 8);
    assert_eq!(image(&mut t), expected, "segment 0 ran; segment 1 moved nothing");
}

#[test]
fn source_cscd_index_beyond_the_list_aborts_with_copy_target_not_reachable() {
    let mut t = prepared();
    let n0 = naa_of(&mut t, 0);
    let expected = image(&mut t);
    let r = xcopy_fails(&mut t, 0, copy_list(1, 0, &[cscd(&n0, 512)], &[segment(5, 0, 8, 0, 100)]));
    assert_aborted_at(&r, Asc::COPY_TARGET_NOT_REACHABLE, 0, 4);
    assert_eq!(image(&mut t), expected);
}

#[test]
fn unknown_designator_aborts_with_copy_target_not_reachable() {
    let mut t = prepared();
    let n0 = naa_of(&mut t, 0);
    let mut unknown = n0.clone();
    unknown[3] ^= 0xFF;
    let expected = image(&mut t);
    let r =
        xcopy_fails(&mut t, 0, copy_list(1, 0, &[cscd(&n0, 512), cscd(&unknown, 512)], &[segment(0, 1, 8, 0, 100)]));
    assert_aborted_at(&r, Asc::COPY_TARGET_NOT_REACHABLE, 0, 6);
    assert!(r.jobs.is_empty());
    assert_eq!(image(&mut t), expected);
}

#[test]
fn nul_cscd_aborts_with_copy_target_not_reachable() {
    let mut t = prepared();
    let (mut c, s) = base_parts(&mut t);
    c[0][1] |= 0x20; // NUL on the source descriptor
    let expected = image(&mut t);
    let r = xcopy_fails(&mut t, 0, copy_list(1, 0, &c, &s));
    assert_aborted_at(&r, Asc::COPY_TARGET_NOT_REACHABLE, 0, 4);
    assert!(r.jobs.is_empty());
    assert_eq!(image(&mut t), expected);
}

#[test]
fn source_beyond_capacity_forwards_lba_out_of_range_from_the_source() {
    let mut t = prepared();
    let (c, _) = base_parts(&mut t);
    let expected = image(&mut t);
    let r = xcopy_fails(&mut t, 0, copy_list(1, 0, &c, &[segment(0, 1, 8, 4096 - 4, 0)]));
    assert_eq!(r.sense[0] & 0x7F, 0x70, "fixed format by default");
    let inner = assert_forwarded(&r, 0, 12, CopyTarget::Source);
    assert_lba_out_of_range(&inner);
    assert_eq!(sense_of(&r).information, None);
    assert!(r.jobs.is_empty());
    assert_eq!(image(&mut t), expected);
}

#[test]
fn destination_beyond_capacity_forwards_lba_out_of_range_from_the_destination() {
    // libiscsi ValidSegDescr case 2: 2048 blocks to LBA N - 1.
    let mut t = prepared();
    let (c, _) = base_parts(&mut t);
    let expected = image(&mut t);
    let r = xcopy_fails(&mut t, 0, copy_list(1, 0, &c, &[segment(0, 1, 2048, 0, 4096 - 1)]));
    let inner = assert_forwarded(&r, 0, 20, CopyTarget::Destination);
    assert_lba_out_of_range(&inner);
    assert!(r.jobs.is_empty());
    assert_eq!(image(&mut t), expected);
}

#[test]
fn lba_wrap_around_is_out_of_range_not_a_copy() {
    let mut t = prepared();
    let (c, _) = base_parts(&mut t);
    let expected = image(&mut t);
    let r = xcopy_fails(&mut t, 0, copy_list(1, 0, &c, &[segment(0, 1, 8, u64::MAX - 3, 0)]));
    assert_lba_out_of_range(&assert_forwarded(&r, 0, 12, CopyTarget::Source));
    let r = xcopy_fails(&mut t, 0, copy_list(1, 0, &c, &[segment(0, 1, 8, 0, u64::MAX - 3)]));
    assert_lba_out_of_range(&assert_forwarded(&r, 0, 20, CopyTarget::Destination));
    assert_eq!(image(&mut t), expected);
}

#[test]
fn different_block_sizes_abort_with_incorrect_copy_target_device_type() {
    let mut t =
        filled(TargetConfig { units: vec![unit(4096, 512, true), unit(1024, 4096, true)], ..TargetConfig::default() });
    let (n0, n1) = naas(&mut t);
    let expected = image(&mut t);
    let r = xcopy_fails(&mut t, 0, copy_list(1, 0, &[cscd(&n0, 512), cscd(&n1, 4096)], &[segment(0, 1, 8, 0, 0)]));
    let d = sense_of(&r);
    assert_sense(&d, SenseKey::COPY_ABORTED, Asc::INCORRECT_COPY_TARGET_DEVICE_TYPE);
    assert_eq!(d.command_specific, Some(0), "segment number in {d:?}");
    let Some(KeySpecific::Segment { in_segment, byte, .. }) = d.key_specific else {
        panic!("segment pointer expected: {d:?}")
    };
    assert!(in_segment && (byte == 4 || byte == 6), "pointer at a CSCD ID of the segment: {d:?}");
    assert!(r.jobs.is_empty());
    assert_eq!(image(&mut t), expected);
}

#[test]
fn write_protected_destination_forwards_data_protect() {
    let protected = UnitConfig { write_protected: true, ..unit(4096, 512, true) };
    let mut t = Target::new(TargetConfig { units: vec![unit(4096, 512, true), protected], ..TargetConfig::default() })
        .expect("valid config");
    fill_pattern(&mut t, 0, 0, SPAN as u32, BS, 1);
    let (c, s) = base_parts(&mut t);
    let expected = image(&mut t);
    let r = xcopy_fails(&mut t, 0, copy_list(1, 0, &c, &s));
    let inner = assert_forwarded(&r, 0, 6, CopyTarget::Destination);
    assert_write_protected(&inner);
    assert!(r.jobs.is_empty());
    assert_eq!(image(&mut t), expected);
}

#[test]
fn a_failing_later_segment_keeps_earlier_segments_data_and_status_reports_progress() {
    let mut t = prepared();
    let (c, _) = base_parts(&mut t);
    let mut expected = image(&mut t);
    let segs = [segment(0, 1, 8, 0, 100), segment(1, 0, 4, 100, 300), segment(0, 1, 8, 4095, 0)];
    let r = xcopy_fails(&mut t, 0, copy_list(7, 0, &c, &segs));
    assert_lba_out_of_range(&assert_forwarded(&r, 2, 12, CopyTarget::Source));
    apply(&mut expected, BS, (0, 0), (1, 100), 8);
    apply(&mut expected, BS, (1, 100), (0, 300), 4);
    assert_eq!(image(&mut t), expected);
    let (status, processed, bytes) = copy_status(&mut t, HOST, 7);
    assert_eq!(status, 0x02, "completed with errors");
    // SPC-4: SEGMENTS PROCESSED includes the segment being processed when the copy stopped.
    assert_eq!(processed, 3, "two good segments and the failed one");
    assert_eq!(bytes, (8 + 4) * BS as u64, "bytes written before the failure");
}

/// LUN 0 with bad block 13 and LUN 1 with bad block 103, both 512-byte, both filled around them.
fn target_with_bad_blocks(descriptor_sense: bool) -> Target {
    let u0 = UnitConfig { bad_blocks: BTreeSet::from([13]), ..unit(4096, 512, true) };
    let u1 = UnitConfig { bad_blocks: BTreeSet::from([103]), ..unit(4096, 512, true) };
    let mut t = Target::new(TargetConfig { units: vec![u0, u1], descriptor_sense, ..TargetConfig::default() })
        .expect("valid config");
    for (lun, bad) in [(0u16, 13u64), (1, 103)] {
        fill_pattern(&mut t, lun, 0, bad as u32, BS, 1 + lun as u8);
        fill_pattern(&mut t, lun, bad + 1, (SPAN - bad - 1) as u32, BS, 1 + lun as u8);
    }
    t
}

/// Blocks `0..SPAN` of both units except their bad blocks (which cannot be read), as (lun, lba) → data.
fn readable_image(t: &mut Target) -> Vec<Vec<u8>> {
    [(0u16, 13u64), (1, 103)]
        .into_iter()
        .map(|(lun, bad)| {
            let mut v = read_blocks(t, lun, 0, bad as u32);
            v.extend(vec![0xEE; BS]); // placeholder for the bad block
            v.extend(read_blocks(t, lun, bad + 1, (SPAN - bad - 1) as u32));
            v
        })
        .collect()
}

/// Segment 0: LUN 0 blocks 10..18 → LUN 1 at 200; the read of block 13 fails after 3 blocks.
fn check_medium_error_mid_segment(descriptor_sense: bool) {
    let mut t = target_with_bad_blocks(descriptor_sense);
    let (n0, n1) = naas(&mut t);
    let mut expected = readable_image(&mut t);
    let r = xcopy_fails(&mut t, 0, copy_list(3, 0, &[cscd(&n0, 512), cscd(&n1, 512)], &[segment(0, 1, 8, 10, 200)]));
    assert_eq!(r.sense[0] & 0x7F, if descriptor_sense { 0x72 } else { 0x70 });
    let outer = sense_of(&r);
    assert_eq!(outer.information, Some(8 - 3), "residual: blocks of the segment not written");
    let inner = assert_forwarded(&r, 0, 12, CopyTarget::Source);
    assert_sense(&inner, SenseKey::MEDIUM_ERROR, Asc::UNRECOVERED_READ_ERROR);
    assert_eq!(inner.information, Some(13), "the forwarded sense names the bad LBA");
    apply(&mut expected, BS, (0, 10), (1, 200), 3);
    assert_eq!(readable_image(&mut t), expected, "exactly the blocks before the bad one were copied");
    assert_eq!(copy_status(&mut t, HOST, 3).2, 3 * BS as u64);
}

#[test]
fn medium_error_part_way_through_a_segment_fixed_format() {
    check_medium_error_mid_segment(false);
}

#[test]
fn medium_error_part_way_through_a_segment_descriptor_format() {
    check_medium_error_mid_segment(true);
}

#[test]
fn medium_error_in_a_backward_overlapping_copy_keeps_the_blocks_after_the_bad_one() {
    // LUN 0 blocks 8..18 → 11..21: the destination starts inside the source, so the copy runs from the
    // end; blocks 14..18 move (to 17..21), then the read of 13 fails.
    let mut t = target_with_bad_blocks(false);
    let mut expected = readable_image(&mut t);
    let r = xcopy_fails(&mut t, 0, copy_list(1, 0, &[], &[segment(0xFFFF, 0xFFFF, 10, 8, 11)]));
    let outer = sense_of(&r);
    assert_eq!(outer.information, Some(10 - 4), "residual");
    let inner = assert_forwarded(&r, 0, 12, CopyTarget::Source);
    assert_sense(&inner, SenseKey::MEDIUM_ERROR, Asc::UNRECOVERED_READ_ERROR);
    assert_eq!(inner.information, Some(13));
    expected[0].copy_within(14 * BS..18 * BS, 17 * BS);
    assert_eq!(readable_image(&mut t), expected);
}

#[test]
fn medium_error_on_the_destination_forwards_a_write_error_from_the_destination() {
    let mut t = target_with_bad_blocks(false);
    let (n0, n1) = naas(&mut t);
    let mut expected = readable_image(&mut t);
    // LUN 0 blocks 30..40 → LUN 1 at 100: writing block 103 fails after 3 blocks.
    let r = xcopy_fails(&mut t, 0, copy_list(1, 0, &[cscd(&n0, 512), cscd(&n1, 512)], &[segment(0, 1, 10, 30, 100)]));
    assert_eq!(sense_of(&r).information, Some(10 - 3));
    let inner = assert_forwarded(&r, 0, 20, CopyTarget::Destination);
    assert_sense(&inner, SenseKey::MEDIUM_ERROR, Asc::WRITE_ERROR);
    assert_eq!(inner.information, Some(103));
    apply(&mut expected, BS, (0, 30), (1, 100), 3);
    assert_eq!(readable_image(&mut t), expected);
}

#[test]
fn medium_error_on_the_first_block_reports_no_residual() {
    // Nothing of the segment was written: SPC sets INFORMATION only when some data was.
    let mut t = target_with_bad_blocks(false);
    let (n0, n1) = naas(&mut t);
    let expected = readable_image(&mut t);
    let r = xcopy_fails(&mut t, 0, copy_list(1, 0, &[cscd(&n0, 512), cscd(&n1, 512)], &[segment(0, 1, 4, 13, 300)]));
    assert_eq!(sense_of(&r).information, None);
    let inner = assert_forwarded(&r, 0, 12, CopyTarget::Source);
    assert_eq!(inner.information, Some(13));
    assert_eq!(readable_image(&mut t), expected);
}

#[test]
fn medium_error_in_a_later_segment_keeps_earlier_segments_and_reports_it_in_descriptor_format() {
    let mut t = target_with_bad_blocks(true);
    let (n0, n1) = naas(&mut t);
    let mut expected = readable_image(&mut t);
    let segs = [segment(0, 1, 4, 0, 300), segment(1, 0, 2, 300, 400), segment(0, 1, 6, 11, 310)];
    let r = xcopy_fails(&mut t, 0, copy_list(1, 0, &[cscd(&n0, 512), cscd(&n1, 512)], &segs));
    assert_eq!(r.sense[0], 0x72);
    assert_eq!(sense_of(&r).information, Some(6 - 2));
    let inner = assert_forwarded(&r, 2, 12, CopyTarget::Source);
    assert_eq!(inner.information, Some(13));
    apply(&mut expected, BS, (0, 0), (1, 300), 4);
    apply(&mut expected, BS, (1, 300), (0, 400), 2);
    apply(&mut expected, BS, (0, 11), (1, 310), 2);
    assert_eq!(readable_image(&mut t), expected);
    let (status, _, bytes) = copy_status(&mut t, HOST, 1);
    assert_eq!((status, bytes), (0x02, (4 + 2 + 2) * BS as u64));
}

// =====================================================================================================
// RECEIVE COPY RESULTS
// =====================================================================================================

#[test]
fn operating_parameters_report_the_configured_limits() {
    let limits = CopyLimits {
        max_target_descriptors: 5,
        max_segment_descriptors: 3,
        max_descriptor_list_bytes: 5 * 32 + 3 * 28,
        max_segment_bytes: 1 << 20,
        concurrent_copies: 7,
    };
    let mut config = units(2, unit(4096, 512, true));
    config.limits.copy = limits.clone();
    let mut t = filled(config);
    let (data, op, implemented) = operating_parameters(&mut t);
    assert_eq!(op["available"] as usize, data.len() - 4, "AVAILABLE DATA counts the bytes after it");
    assert_eq!(data.len(), 44 + implemented.len());
    assert_eq!(op["snlid"], 1, "LIST ID USAGE 11b is accepted, so SNLID=1");
    assert_eq!(op["max_cscd"], u64::from(limits.max_target_descriptors));
    assert_eq!(op["max_segments"], u64::from(limits.max_segment_descriptors));
    assert_eq!(op["max_list"], u64::from(limits.max_descriptor_list_bytes));
    assert_eq!(op["max_segment_length"], u64::from(limits.max_segment_bytes));
    assert_eq!(op["max_inline"], 0, "no inline data");
    assert_eq!(op["held_data_limit"], 0, "no held data");
    assert_eq!(op["total_concurrent"], u64::from(limits.concurrent_copies));
    assert!(op["max_concurrent"] >= 1);
    assert!(op["data_granularity"] <= 9, "512-byte units must not violate the granularity");
    let mut sorted = implemented.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, vec![0x02, 0xE4], "block→block segments and identification CSCDs");

    // Every advertised limit is enforced: one more CSCD / segment is refused.
    let n0 = naa_of(&mut t, 0);
    let too_many_cscds = copy_list(1, 0, &vec![cscd(&n0, 512); 6], &[segment(0, 0, 1, 0, 100)]);
    assert_sense(&rejected(&mut t, &too_many_cscds), SenseKey::ILLEGAL_REQUEST, Asc::TOO_MANY_TARGET_DESCRIPTORS);
    let too_many_segments = copy_list(1, 0, &[cscd(&n0, 512)], &vec![segment(0, 0, 1, 0, 100); 4]);
    assert_sense(&rejected(&mut t, &too_many_segments), SenseKey::ILLEGAL_REQUEST, Asc::TOO_MANY_SEGMENT_DESCRIPTORS);
}

#[test]
fn operating_parameters_are_truncated_to_the_allocation_length() {
    let mut t = prepared();
    let (full, _, _) = operating_parameters(&mut t);
    for allocation in [0u32, 4, 10, 43] {
        let d = good(&mut t, 0, receive_copy_results(0x03, 0, allocation), vec![]);
        assert_eq!(d, full[..allocation as usize], "allocation {allocation}");
    }
}

#[test]
fn copy_status_of_an_unknown_list_is_invalid_field_in_cdb_at_the_list_identifier() {
    // libiscsi CopyStatus step 1.
    let mut t = prepared();
    assert_unknown_list(&mut t, HOST, 1);
    let r = run(&mut t, 0, receive_copy_results(0x04, 1, 1024), vec![]);
    assert_eq!(r.status, 2);
    assert_invalid_cdb_field(&sense_of(&r), 2, None);
}

#[test]
fn copy_status_after_a_held_successful_copy() {
    let mut t = prepared();
    let (c, _) = base_parts(&mut t);
    let segs = [segment(0, 1, 8, 0, 100), segment(1, 0, 3, 0, 200), segment(0, 0, 0, 0, 0)];
    xcopy_good(&mut t, 0, copy_list(1, 0b00, &c, &segs));
    // Truncation keeps AVAILABLE DATA.
    let d = good(&mut t, 0, receive_copy_results(0x00, 1, 6), vec![]);
    assert_eq!(d, vec![0, 0, 0, 8, 0x01, 0]);
    // Held after GOOD (libiscsi CopyStatus): completed without errors, 3 segments, 11 blocks in bytes.
    assert_eq!(copy_status(&mut t, HOST, 1), (0x01, 3, 11 * BS as u64));
}

#[test]
fn list_id_usage_10b_keeps_nothing_once_done() {
    // 10b (SPC-3's NRCR=1): the host will not ask, so nothing is held; libiscsi's CopyStatus test relies
    // on a list copied this way being unknown afterwards.
    let mut t = prepared();
    let (c, s) = base_parts(&mut t);
    xcopy_good(&mut t, 0, copy_list(2, 0b10, &c, &s));
    assert_unknown_list(&mut t, HOST, 2);
}

#[test]
fn list_id_usage_11b_keeps_nothing() {
    let mut t = prepared();
    let (c, s) = base_parts(&mut t);
    xcopy_good(&mut t, 0, copy_list(0, 0b11, &c, &s));
    assert_unknown_list(&mut t, HOST, 0);
    // Nor does a failing one.
    let r = xcopy_fails(&mut t, 0, copy_list(0, 0b11, &c, &[segment(0, 5, 1, 0, 0)]));
    assert_aborted_at(&r, Asc::COPY_TARGET_NOT_REACHABLE, 0, 6);
    assert_unknown_list(&mut t, HOST, 0);
}

#[test]
fn copy_results_are_per_initiator() {
    let mut t = prepared();
    let (c, _) = base_parts(&mut t);
    xcopy_good(&mut t, 0, copy_list(9, 0, &c, &[segment(0, 1, 8, 0, 100)]));
    assert_unknown_list(&mut t, OTHER_HOST, 9);
    // The other initiator's own list 9 does not replace this one's.
    let r = xcopy_as(&mut t, OTHER_HOST, 0, copy_list(9, 0, &c, &[segment(0, 1, 2, 0, 100), segment(0, 1, 2, 0, 110)]));
    assert_eq!(r.status, 0);
    assert_eq!(copy_status(&mut t, HOST, 9), (0x01, 1, 8 * BS as u64));
    assert_eq!(copy_status(&mut t, OTHER_HOST, 9), (0x01, 2, 4 * BS as u64));
    let r = exec(&mut t, OTHER_HOST, 0, receive_copy_results(0x04, 9, 1024), vec![]);
    assert_eq!(r.status, 0);
    // A failed list of HOST's is not visible to OTHER_HOST in FAILED SEGMENT DETAILS either.
    xcopy_fails(&mut t, 0, copy_list(10, 0, &c, &[segment(0, 9, 1, 0, 0)]));
    let r = exec(&mut t, OTHER_HOST, 0, receive_copy_results(0x04, 10, 1024), vec![]);
    assert_eq!(r.status, 2);
    assert_invalid_cdb_field(&sense_of(&r), 2, None);
}

#[test]
fn the_oldest_held_result_is_dropped_beyond_total_concurrent_copies() {
    let mut config = units(2, unit(4096, 512, true));
    config.limits.copy.concurrent_copies = 2;
    let mut t = filled(config);
    let (c, s) = base_parts(&mut t);
    for id in [1, 2, 3] {
        xcopy_good(&mut t, 0, copy_list(id, 0, &c, &s));
    }
    assert_unknown_list(&mut t, HOST, 1);
    assert_eq!(copy_status(&mut t, HOST, 2).0, 0x01);
    assert_eq!(copy_status(&mut t, HOST, 3).0, 0x01);
}

#[test]
fn a_new_list_with_the_same_identifier_replaces_the_held_result() {
    let mut t = prepared();
    let (c, s) = base_parts(&mut t);
    let r = xcopy_fails(&mut t, 0, copy_list(4, 0, &c, &[segment(0, 7, 1, 0, 0)]));
    assert_eq!(r.status, 2);
    assert_eq!(copy_status(&mut t, HOST, 4).0, 0x02);
    xcopy_good(&mut t, 0, copy_list(4, 0, &c, &s));
    assert_eq!(copy_status(&mut t, HOST, 4), (0x01, 1, 8 * BS as u64));
    let d = good(&mut t, 0, receive_copy_results(0x04, 4, 1024), vec![]);
    assert_eq!(d, vec![0, 0, 0, 0], "the earlier failure's details are gone");
}

#[track_caller]
fn check_failed_segment_details(descriptor_sense: bool) {
    let mut t = target_with_bad_blocks(descriptor_sense);
    let (n0, n1) = naas(&mut t);
    let list = copy_list(5, 0, &[cscd(&n0, 512), cscd(&n1, 512)], &[segment(0, 1, 8, 10, 200)]);
    let failed = xcopy_fails(&mut t, 0, list);
    // A truncated transfer first: AVAILABLE DATA unchanged, and the details are not discarded.
    let short = good(&mut t, 0, receive_copy_results(0x04, 5, 30), vec![]);
    let d = good(&mut t, 0, receive_copy_results(0x04, 5, 1024), vec![]);
    assert_eq!(short, d[..30]);
    let sense_len = usize::from(d.be16(58));
    assert_eq!(d.be32(0) as usize, d.len() - 4, "AVAILABLE DATA");
    assert!(d[4..56].iter().all(|&b| b == 0), "reserved bytes 4..56");
    assert_eq!(d[56], 0x02, "COPY COMMAND STATUS: CHECK CONDITION");
    assert_eq!(sense_len, failed.sense.len());
    assert_eq!(&d[60..], &failed.sense[..], "the exact sense the EXTENDED COPY returned");
}

#[test]
fn failed_segment_details_return_the_failed_copys_sense_fixed_format() {
    check_failed_segment_details(false);
}

#[test]
fn failed_segment_details_return_the_failed_copys_sense_descriptor_format() {
    check_failed_segment_details(true);
}

#[test]
fn failed_segment_details_are_discarded_once_transferred_but_the_copy_status_stays() {
    // SPC-4 (RECEIVE COPY FAILURE DETAILS): discarded after all of them were transferred, or on a
    // request with ALLOCATION LENGTH 0; then AVAILABLE DATA is 0.
    let mut t = prepared();
    let (c, _) = base_parts(&mut t);
    for (list_id, allocation) in [(1u8, 1024u32), (2, 0)] {
        let r = xcopy_fails(&mut t, 0, copy_list(list_id, 0, &c, &[segment(0, 6, 1, 0, 0)]));
        assert_aborted_at(&r, Asc::COPY_TARGET_NOT_REACHABLE, 0, 6);
        let first = good(&mut t, 0, receive_copy_results(0x04, list_id, allocation), vec![]);
        assert_eq!(first.len(), (allocation as usize).min(60 + r.sense.len()));
        let again = good(&mut t, 0, receive_copy_results(0x04, list_id, 1024), vec![]);
        assert_eq!(again, vec![0, 0, 0, 0], "list {list_id}: details already discarded");
        assert_eq!(
            copy_status(&mut t, HOST, list_id),
            (0x02, 1, 0),
            "the copy status is kept; SEGMENTS PROCESSED counts the failed one"
        );
    }
}

#[test]
fn failed_segment_details_hold_no_data_for_a_successful_copy() {
    let mut t = prepared();
    let (c, s) = base_parts(&mut t);
    xcopy_good(&mut t, 0, copy_list(6, 0, &c, &s));
    let d = good(&mut t, 0, receive_copy_results(0x04, 6, 1024), vec![]);
    assert_eq!(d, vec![0, 0, 0, 0], "AVAILABLE DATA 0 and nothing after it");
}

#[test]
fn receive_copy_results_unsupported_service_action_is_an_invalid_operation_code() {
    let mut t = prepared();
    for sa in [0x01, 0x02, 0x05, 0x1F] {
        let r = run(&mut t, 0, receive_copy_results(sa, 0, 1024), vec![]);
        assert_eq!(r.status, 2, "service action {sa:#x}");
        assert_sense(&sense_of(&r), SenseKey::ILLEGAL_REQUEST, Asc::INVALID_OPERATION_CODE);
    }
}

#[test]
fn vpd_8fh_lists_copy_status_and_its_limits_agree_with_operating_parameters() {
    let mut config = units(2, unit(4096, 512, true));
    config.limits.copy = CopyLimits {
        max_target_descriptors: 4,
        max_segment_descriptors: 6,
        max_descriptor_list_bytes: 300,
        max_segment_bytes: 1 << 22,
        concurrent_copies: 3,
    };
    let mut t = filled(config);
    let pages = good(&mut t, 0, inquiry(true, 0x00, 255), vec![]);
    assert!(pages[4..].contains(&0x8F), "VPD 00h lists 8Fh");
    let page = good(&mut t, 0, inquiry(true, 0x8F, 4096), vec![]);
    assert_eq!(page[1], 0x8F);
    assert_eq!(usize::from(page.be16(2)) + 4, page.len(), "PAGE LENGTH");

    let mut descriptors = BTreeMap::new();
    let mut at = 4;
    while at < page.len() {
        let kind = page.be16(at);
        let len = usize::from(page.be16(at + 2));
        assert_eq!((4 + len) % 4, 0, "descriptor {kind:#06x} padded to a multiple of 4");
        descriptors.insert(kind, page[at..at + 4 + len].to_vec());
        at += 4 + len;
    }
    assert_eq!(at, page.len());
    for required in [0x0001, 0x0004, 0x0008, 0x000C, 0x8001] {
        assert!(descriptors.contains_key(&required), "descriptor {required:#06x}");
    }

    // 0001h Supported Commands: operation code, service action list length, service actions.
    let commands = &descriptors[&0x0001];
    let list = &commands[5..5 + usize::from(commands[4])];
    let mut supported = BTreeMap::new();
    let mut i = 0;
    while i < list.len() {
        let n = usize::from(list[i + 1]);
        supported.insert(list[i], list[i + 2..i + 2 + n].to_vec());
        i += 2 + n;
    }
    assert!(supported[&0x83].contains(&0x00), "EXTENDED COPY (LID1)");
    for sa in [0x00, 0x03, 0x04] {
        assert!(supported[&0x84].contains(&sa), "RECEIVE COPY RESULTS service action {sa:#x}");
    }
    // Everything listed is implemented.
    for (&op, sas) in &supported {
        for &sa in sas {
            let cdb = if op == 0x84 { receive_copy_results(sa, 0, 1024) } else { extended_copy(0) };
            let r = run(&mut t, 0, cdb, vec![]);
            if r.status != 0 {
                // Any ASCQ: 20h is the operation code's ASC.
                assert_ne!(sense_of(&r).asc.0, 0x20, "{op:#x}/{sa:#x} listed but not supported");
            }
        }
    }

    let (_, op, implemented) = operating_parameters(&mut t);
    let pd = &descriptors[&0x0004];
    assert_eq!(u64::from(pd.be16(8)), op["max_cscd"]);
    assert_eq!(u64::from(pd.be16(10)), op["max_segments"]);
    assert_eq!(u64::from(pd.be32(12)), op["max_list"]);
    assert_eq!(u64::from(pd.be32(16)), op["max_inline"]);
    assert_eq!((op["max_cscd"], op["max_segments"], op["max_list"]), (4, 6, 300));
    let sd = &descriptors[&0x0008];
    let mut listed = sd[5..5 + usize::from(sd[4])].to_vec();
    listed.sort_unstable();
    let mut implemented = implemented;
    implemented.sort_unstable();
    assert_eq!(listed, implemented, "supported descriptors agree with the implemented list");
    let ids = &descriptors[&0x000C];
    let ids: Vec<u16> = ids[6..6 + usize::from(ids.be16(4))].chunks(2).map(|c| c.be16(0)).collect();
    assert!(ids.iter().all(|&id| id > 0x07FF), "only special IDs are listed: {ids:04x?}");
    assert!(ids.contains(&0xFFFF));
    let gco = &descriptors[&0x8001];
    assert_eq!(u64::from(gco.be32(4)), op["total_concurrent"]);
    assert_eq!(u64::from(gco.be32(12)), op["max_segment_length"]);
    assert_eq!(gco.be32(12), 1 << 22);
    assert_eq!(u64::from(gco[16]), op["data_granularity"]);
}

// =====================================================================================================
// Lists in progress (commands that arrive together)
// =====================================================================================================

fn xcopy_request(initiator: &str, list: Vec<u8>) -> Request {
    request_from(initiator, 0, extended_copy(list.len() as u32), list)
}

#[test]
fn a_list_identifier_still_in_progress_on_the_same_nexus_is_refused_with_operation_in_progress() {
    // SPC-4: LIST IDENTIFIER (usage 00b/10b) is unique among the copies an I_T nexus has in progress; a
    // duplicate gets ILLEGAL REQUEST / OPERATION IN PROGRESS (00/16) and must not run.
    let mut t = prepared();
    let (c, _) = base_parts(&mut t);
    let mut expected = image(&mut t);
    let first = copy_list(3, 0b00, &c, &[segment(0, 1, 8, 0, 100)]);
    let duplicate = copy_list(3, 0b10, &c, &[segment(0, 1, 8, 50, 200)]);
    let other_nexus = copy_list(3, 0b00, &c, &[segment(0, 1, 4, 60, 300)]);
    let no_list_id = copy_list(0, 0b11, &c, &[segment(0, 1, 2, 70, 400)]);
    let responses = t.execute_concurrently(&[
        xcopy_request(HOST, first),
        xcopy_request(HOST, duplicate),
        xcopy_request(OTHER_HOST, other_nexus),
        xcopy_request(HOST, no_list_id),
    ]);
    assert_eq!(responses[0].status, 0);
    assert_eq!(responses[1].status, 2);
    assert_sense(&sense_of(&responses[1]), SenseKey::ILLEGAL_REQUEST, Asc::OPERATION_IN_PROGRESS);
    assert!(responses[1].jobs.is_empty());
    assert_eq!((responses[2].status, responses[3].status), (0, 0), "other nexus / no list identifier");
    apply(&mut expected, BS, (0, 0), (1, 100), 8);
    apply(&mut expected, BS, (0, 60), (1, 300), 4);
    apply(&mut expected, BS, (0, 70), (1, 400), 2);
    assert_eq!(image(&mut t), expected);
    // The held result is the first list's, not the refused duplicate's.
    assert_eq!(copy_status(&mut t, HOST, 3), (0x01, 1, 8 * BS as u64));
    // Once it has completed, the identifier may be used again.
    xcopy_good(&mut t, 0, copy_list(3, 0, &c, &[segment(0, 1, 1, 0, 500)]));
}

#[test]
fn copy_status_of_a_list_in_progress_reports_operation_in_progress() {
    // A COPY STATUS that arrives with the EXTENDED COPY is answered before any segment ran.
    let mut t = prepared();
    let (c, s) = base_parts(&mut t);
    xcopy_fails(&mut t, 0, copy_list(5, 0, &c, &[segment(0, 1, 2, 0, 0), segment(0, 7, 1, 0, 0)]));
    assert_eq!(copy_status(&mut t, HOST, 5).0, 0x02, "an earlier list 5 that failed");
    let status = request_from(HOST, 0, receive_copy_results(0, 5, 1024), vec![]);
    let responses = t.execute_concurrently(&[xcopy_request(HOST, copy_list(5, 0, &c, &s)), status]);
    assert_eq!(responses[0].status, 0);
    assert_eq!(responses[1].status, 0);
    let d = &responses[1].data_in;
    assert_eq!((d[4] & 0x7F, d.be16(5)), (0x00, 0), "operation in progress, nothing done yet");
    assert_eq!(copy_status(&mut t, HOST, 5), (0x01, 1, 8 * BS as u64));
}

#[test]
fn copy_results_are_kept_per_logical_unit() {
    // The copy manager is the logical unit: a list run through LUN 0 is unknown at LUN 1.
    let mut t = prepared();
    let (c, s) = base_parts(&mut t);
    xcopy_good(&mut t, 0, copy_list(9, 0b00, &c, &s));
    assert_eq!(copy_status(&mut t, HOST, 9).0, 0x01);
    let r = exec(&mut t, HOST, 1, receive_copy_results(0x00, 9, 1024), vec![]);
    assert_eq!(r.status, 2);
    assert_invalid_cdb_field(&sense_of(&r), 2, None);
}

#[test]
fn more_lists_in_progress_than_total_concurrent_copies_is_insufficient_resources() {
    let mut config = units(2, unit(4096, 512, true));
    config.limits.copy.concurrent_copies = 1;
    let mut t = Target::new(config).unwrap();
    let (c, s) = base_parts(&mut t);
    let list = copy_list(0, 0b11, &c, &s);
    let request = |initiator: &str| xcopy_request(initiator, list.clone());
    let answers = t.execute_concurrently(&[request(HOST), request(OTHER_HOST)]);
    assert_eq!(answers[0].status, 0, "the first list runs");
    assert_sense(&sense_of(&answers[1]), SenseKey::ILLEGAL_REQUEST, Asc::INSUFFICIENT_RESOURCES);
    assert!(answers[1].jobs.is_empty());
    // Once the first is done, another may start.
    assert_eq!(t.execute(&request(OTHER_HOST)).status, 0);
}

#[test]
fn nexus_loss_discards_the_initiators_held_results_only() {
    let mut t = prepared();
    let (c, s) = base_parts(&mut t);
    xcopy_good(&mut t, 0, copy_list(4, 0b00, &c, &s));
    xcopy_as(&mut t, OTHER_HOST, 0, copy_list(4, 0b00, &c, &s));
    t.nexus_loss(HOST);
    // The nexus back: its first command reports the loss (29/07), then the list is unknown.
    let r = t.execute(&request_from(HOST, 0, test_unit_ready(), vec![]));
    let ua = sense_of(&r);
    assert_eq!((r.status, ua.key.0, ua.asc.0, ua.asc.1), (2, 0x6, 0x29, 0x07));
    assert_unknown_list(&mut t, HOST, 4);
    assert_eq!(copy_status(&mut t, OTHER_HOST, 4).0, 0x01, "another initiator's results stay");
}
