//! EXTENDED COPY (LID1): the parameter list's checks, segments, copy targets' errors forwarded, and what
//! the reply says the copy did.

use offload_scsi::xcopy::ListIdUsage;

use super::*;

const BS: usize = 512;

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
fn xcopy_copy_targets_whose_reservation_conflicts_abort_the_copy() {
    // SPC-4: the copy manager reads the source and writes the destination for the issuing I_T nexus; a
    // RESERVATION CONFLICT there is forwarded as a status alone: COPY ABORTED 00/00, segment 0, pointer at
    // the CSCD ID (byte 4 source, 6 destination), the status byte 18h after the 18 fixed bytes, its
    // offset (18) in COMMAND-SPECIFIC INFORMATION byte 0 (source) or 1 (destination).
    let mut r = Rig::prepared();
    let expected = r.image();
    let list = copy_list(1, 0, &two_cscds(), &[segment(0, 1, 8, 0, 100)]);
    r.refused = Some((1, ReservationClass::Exclusive));
    assert_eq!(hex(&r.xcopy_fails(0, &list)), "70000a000000000b00120000000000a0000618");
    r.refused = Some((0, ReservationClass::Read));
    assert_eq!(hex(&r.xcopy_fails(0, &list)), "70000a000000000b12000000000000a0000418");
    assert_eq!(r.image(), expected, "nothing moved");
    // A class the copy does not need on that unit changes nothing.
    r.refused = Some((0, ReservationClass::Exclusive));
    r.xcopy_good(0, &list);
}

#[test]
fn xcopy_header_errors() {
    let mut r = Rig::prepared();
    let expected = r.image();
    let base = copy_list(1, 0, &two_cscds(), &[segment(0, 1, 8, 0, 32)]);
    for len in [1usize, 8, 15] {
        let d = r.check(0, &xcopy_cdb(len as u32), &base[..len]);
        assert_sense(&d, 5, 0x1A, 0);
        assert_eq!(d.key_specific, None);
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
#[track_caller]
fn aborted(d: &Sense) -> (u8, u8, u64, u16) {
    assert_eq!(d.key, SenseKey::COPY_ABORTED);
    let Some(KeySpecific::Segment { in_segment: true, byte, bit: None }) = d.key_specific else {
        panic!("segment pointer: {d:?}")
    };
    (d.asc.0, d.asc.1, d.command_specific.expect("the segment number"), byte)
}

/// A forwarded copy target's sense as (source 1 / destination 2, status, key, ASC, ASCQ, INFORMATION).
#[track_caller]
fn forwarded(d: &Sense) -> (u8, u8, u8, u8, u8, Option<u64>) {
    let f = d.forwarded.unwrap_or_else(|| panic!("no forwarded sense: {d:?}"));
    (f.from as u8, f.status, f.key.0, f.asc.0, f.asc.1, f.information)
}

/// The bytes of a fixed-format COPY ABORTED's forwarded sense: after the 18 fixed bytes and the status.
fn forwarded_bytes(sense: &[u8]) -> &[u8] {
    assert_eq!(sense[0] & 0x7F, 0x70, "fixed format");
    &sense[19..]
}

#[test]
fn xcopy_processing_errors_abort_after_earlier_segments_ran() {
    let mut r = Rig::prepared();
    let mut expected = r.image();
    let n0 = [cscd(&naa(0), 512)];
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &n0, &[segment(0, 0, 8, 0, 100), segment(0, 1, 8, 0, 200)])));
    assert_eq!(aborted(&d), (0x0D, 0x02, 1, 6));
    assert_eq!((d.information, d.forwarded), (None, None));
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
        let sense = r.xcopy_fails(0, &copy_list(1, 0, &c, &[seg]));
        let d = decode(&sense);
        assert_eq!(aborted(&d), (0, 0, 0, byte));
        assert_eq!(d.information, None);
        assert_eq!(forwarded(&d), (from, 2, 5, 0x21, 0, None));
        assert_eq!(sense[18], 2, "the copy target's status: CHECK CONDITION");
        assert_eq!(hex(forwarded_bytes(&sense)), "700005000000000a00000000210000000000");
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
    let sense = r.xcopy_fails(0, &copy_list(1, 0, &c, &[segment(0, 1, 8, 0, 100)]));
    let d = decode(&sense);
    assert_eq!(aborted(&d), (0, 0, 0, 6));
    assert_eq!(forwarded(&d).0, 2);
    assert_eq!(hex(forwarded_bytes(&sense)), "700007000000000a00000000270000000000");
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
        assert_eq!(forwarded(&d), (1, 2, 3, 0x11, 0, Some(13)));
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
    let inner = forwarded(&d);
    assert_eq!((inner.3, inner.5), (0x11, Some(13)));
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
    let inner = forwarded(&d);
    assert_eq!((inner.3, inner.5), (0x0C, Some(20)));
    expected[0].copy_within(17 * BS..18 * BS, 21 * BS);
    assert_eq!(r.image(), expected);
}

#[test]
fn xcopy_medium_error_on_the_destination_and_on_the_first_block() {
    let mut r = bad_block_rig(false);
    let mut expected = r.image();
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &two_cscds(), &[segment(0, 1, 10, 30, 100)])));
    assert_eq!((aborted(&d), d.information), ((0, 0, 0, 20), Some(7)));
    let (from, _, key, asc, _, information) = forwarded(&d);
    assert_eq!((from, key, asc, information), (2, 3, 0x0C, Some(103)));
    apply(&mut expected, BS, (0, 30), (1, 100), 3);
    assert_eq!(r.image(), expected);
    // Nothing of the segment written: no residual.
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &two_cscds(), &[segment(0, 1, 4, 13, 300)])));
    assert_eq!(d.information, None);
    assert_eq!(forwarded(&d).5, Some(13));
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
fn xcopy_reply_says_what_the_copy_did() {
    let mut r = bad_block_rig(false);
    // Two whole segments, then one whose read of LUN 0 block 13 fails after blocks 10..13 moved.
    let segs = [segment(0, 1, 8, 20, 200), segment(1, 0, 4, 300, 400), segment(0, 1, 8, 10, 500)];
    let out = r.xcopy_as(HOST, 0, &copy_list(3, 0, &two_cscds(), &segs));
    assert_eq!(out.status, 2);
    let data = |lun, lba, blocks| Extent { lun, lba, blocks, hint: Hint::Data };
    assert_eq!(out.written, [data(1, 200, 8), data(0, 400, 4), data(1, 500, 3)]);
    let summary = CopySummary {
        list_id: Some(3),
        usage: ListIdUsage::Hold,
        segments_processed: 3,
        bytes_moved: (8 + 4 + 3) * BS as u64,
        failed_segment: Some(2),
    };
    assert_eq!(out.copy, Some(summary));
    // LIST ID USAGE 11b: no list identifier; a zero-length segment is processed and moves nothing.
    let out = r.xcopy_as(HOST, 0, &copy_list(0, 0b11, &two_cscds(), &[segment(0, 1, 0, 0, 0), segment(0, 1, 2, 0, 0)]));
    assert_eq!(out.status, 0);
    assert_eq!(out.written, [data(1, 0, 2)]);
    let summary = CopySummary {
        list_id: None,
        usage: ListIdUsage::None,
        segments_processed: 2,
        bytes_moved: 2 * BS as u64,
        failed_segment: None,
    };
    assert_eq!(out.copy, Some(summary));
    // A list refused while it is checked ran no segment: no summary, nothing written.
    let out = r.xcopy_as(HOST, 0, &copy_list(1, 0b01, &two_cscds(), &segs));
    assert_eq!((out.status, out.copy, out.written.len()), (2, None, 0));
}

#[test]
fn xcopy_block_to_block_with_byte_offsets_0ah_is_refused() {
    // SPC-4 segment descriptor 0Ah: NUMBER OF BYTES at 8–11, byte offsets at 28–31, DESCRIPTOR LENGTH 1Ch.
    let mut r = Rig::prepared();
    let expected = r.image();
    let mut offset = vec![0u8; 32];
    offset[0] = 0x0A;
    offset[3] = 0x1C;
    offset[7] = 1;
    offset[8..12].copy_from_slice(&100u32.to_be_bytes());
    offset[29] = 3;
    let d = decode(&r.xcopy_fails(0, &copy_list(1, 0, &two_cscds(), &[offset])));
    assert_param_field(&d, 0x26, 0x09, 16 + 64, None);
    assert_eq!(r.image(), expected);
}
