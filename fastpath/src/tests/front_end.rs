//! The front end: which commands are handled, the LUN and access checks, the sense format, CDB length
//! and reserved bits, and the sense bytes the model's snapshot records.

use super::*;

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
        &[0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0], // SYNCHRONIZE CACHE (10)
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
    let mut extents = vec![Extent::EMPTY; max_extents(&fp.limits)];
    let request = Request { initiator: b"i", lun: 0, cdb: &ws16(0x09, 0, 8), data_out: &[] };
    assert!(!fp.execute(&request, &mut [], &mut extents).handled);
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
