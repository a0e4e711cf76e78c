//! Units lent as windows ([`Window`]): every command the rig runs is also replayed over a window holding
//! just its footprint and must answer and write alike (`Rig::run_windowed`); here, the footprints
//! themselves and what a window that does not hold one does.

use super::*;

#[test]
fn footprints_follow_each_commands_range_fields() {
    let blocks = |start, end| Footprint::Blocks { start, end };
    let capacity = 4096;
    let cases: [(Vec<u8>, Footprint); 14] = [
        (read6(7, 0), blocks(7, 7 + 256)), // TRANSFER LENGTH 0 is 256 blocks in the (6) forms
        (write6(7, 3), blocks(7, 10)),
        (read10(100, 8), blocks(100, 108)),
        (write12(100, 8), blocks(100, 108)),
        (read16(4000, 200), blocks(4000, capacity)), // clamped: the command itself refuses the range
        (write_atomic16(16, 0, 4), blocks(16, 20)),
        (caw(9, 2), blocks(9, 11)),
        (ws10(0, 64, 0), blocks(64, capacity)), // NUMBER OF LOGICAL BLOCKS 0: to the last LBA
        (ws16(0x08, 64, 32), blocks(64, 96)),
        (verify(16, 0, 30, 5), blocks(30, 35)),
        (write_and_verify(10, 0, 30, 5), blocks(30, 35)),
        (orwrite16(0, u64::MAX, 5), blocks(capacity, capacity)),
        (unmap_cdb(false, 24), Footprint::Unit),
        (xcopy_cdb(64), Footprint::Every),
    ];
    for (cdb, expected) in cases {
        assert_eq!(footprint(&cdb, capacity), expected, "{cdb:02x?}");
    }
    // The data-in a command returns: a READ's blocks, within the capacity; nothing for the others.
    assert_eq!(crate::data_in_bytes(&read10(100, 8), capacity, 512), 8 * 512);
    assert_eq!(crate::data_in_bytes(&read6(4090, 0), capacity, 4096), 6 * 4096);
    assert_eq!(crate::data_in_bytes(&write10(100, 8), capacity, 512), 0);
    assert_eq!(crate::data_in_bytes(&caw(9, 2), capacity, 512), 0);
    assert_eq!(crate::data_in_bytes(&read16(5, 1)[..10], capacity, 512), 0, "a CDB shorter than its command");
    // Touching no medium: a command the fast path does not implement, a CDB shorter than its command.
    assert_eq!(footprint(&start_stop_unit(false, 0), capacity), blocks(0, 0));
    assert_eq!(footprint(&read16(5, 1)[..10], capacity), blocks(0, 0));
}

/// A window missing part of a command's footprint: the command is not handled and nothing changes; one
/// holding it answers as the whole unit does.
#[test]
fn a_window_without_the_footprint_refuses_the_command_and_touches_nothing() {
    let (capacity, bs) = (64u64, 512usize);
    let mut data = vec![0u8; capacity as usize * bs];
    let mut states = vec![0u8; Unit::provisioning_bytes(capacity)];
    for (first, end, handled) in [(8u64, 16u64, true), (12, 16, false), (8, 12, false), (0, 64, true)] {
        let data = &mut data[first as usize * bs..end as usize * bs];
        let states = &mut states[first as usize / 4..end.div_ceil(4) as usize];
        let before = (data.to_vec(), states.to_vec());
        let mut units = [Unit { window: Some(Window { first, capacity }), ..Unit::thin(data, 512, naa(0), states) }];
        let mut fp = FastPath::new(&mut units, Limits::default(), false, crate::AllowAll).unwrap();
        let mut extents = vec![Extent::EMPTY; max_extents(&fp.limits)];
        // WRITE (16) of blocks 10..14.
        let request = Request { initiator: HOST.as_bytes(), lun: 0, cdb: &write16(10, 4), data_out: &[0x3C; 4 * 512] };
        let reply = fp.execute(&request, &mut [], &mut extents);
        assert_eq!(reply.handled, handled, "window {first}..{end}");
        assert_eq!(reply.written.is_empty(), !handled, "window {first}..{end}");
        if !handled {
            assert!(before == (data.to_vec(), states.to_vec()), "window {first}..{end}: untouched");
        }
    }
    assert!(data[10 * bs..14 * bs].iter().all(|&b| b == 0x3C));
    assert_eq!((states[2], states[3]), (0b0101_0000, 0b0000_0101), "blocks 10..14 mapped, 8, 9, 14, 15 not");
}

#[test]
fn a_window_past_the_capacity_or_unaligned_on_a_thin_unit_is_refused() {
    let mut data = vec![0u8; 16 * 512];
    let mut states = vec![0u8; 4];
    let refused = |unit: Unit<'_>| {
        let mut units = [unit];
        FastPath::new(&mut units, Limits::default(), false, crate::AllowAll).err()
    };
    let past = Unit { window: Some(Window { first: 8, capacity: 20 }), ..Unit::thick(&mut data, 512, naa(0)) };
    assert_eq!(refused(past), Some(crate::ConfigError::Window { unit: 0 }), "8 + 16 blocks > 20");
    let unaligned =
        Unit { window: Some(Window { first: 2, capacity: 64 }), ..Unit::thin(&mut data, 512, naa(0), &mut states) };
    assert_eq!(refused(unaligned), Some(crate::ConfigError::Window { unit: 0 }), "a thin window starts at 4k");
    let thick = Unit { window: Some(Window { first: 2, capacity: 64 }), ..Unit::thick(&mut data, 512, naa(0)) };
    assert_eq!(refused(thick), None, "a thick unit has no states to align");
}

/// An EXTENDED COPY's footprint is, on each unit, the hull of the blocks its segments name there; over
/// windows that miss one, the copy is not handled and nothing moves.
#[test]
fn a_copy_is_lent_the_hull_of_its_segments_and_refused_without_it() {
    let r = Rig::small();
    let list = copy_list(
        0,
        0b11,
        &[cscd(&naa(0), 512), cscd(&naa(1), 512)],
        &[segment(0, 1, 8, 100, 40), segment(0, 0, 4, 300, 10), segment(1, 1, 2, 4000, 4095)],
    );
    let cdb = xcopy_cdb(list.len() as u32);
    let request = Request { initiator: HOST.as_bytes(), lun: 0, cdb: &cdb, data_out: &list };
    let mut hulls = vec![0..0; 3];
    r.copy_footprint(&request, &[4096, 4096], &mut hulls);
    // Unit 0: sources 100..108 and 300..304, destination 10..14; unit 1: 40..48, 4000..4002 and
    // 4095..4096 (the segment's end clamped: the copy itself refuses it).
    assert_eq!(hulls, [10..304, 40..4096, 0..0]);
    let bad = copy_list(0, 0b11, &[cscd(&naa(0), 512)], &[segment(0, 7, 8, 100, 40)]);
    let request = Request { data_out: &bad, ..request };
    r.copy_footprint(&request, &[4096, 4096], &mut hulls);
    assert_eq!(hulls, [0..0, 0..0, 0..0], "a list that does not parse moves nothing");

    // Unit 1 lent without its destination blocks 40..48.
    let mut media = r.snapshot();
    let before = media.clone();
    let [(d0, p0), (d1, p1)] = &mut media[..] else { unreachable!() };
    let spec0 = &r.units[0].2;
    let spec1 = &r.units[1].2;
    let mut units = [
        Unit { window: Some(Window { first: 0, capacity: 4096 }), ..unit(d0, p0.as_deref_mut(), spec0, false) },
        Unit {
            window: Some(Window { first: 48, capacity: 4096 }),
            ..unit(&mut d1[48 * 512..], p1.as_deref_mut().map(|p| &mut p[12..]), spec1, false)
        },
    ];
    let mut fp = FastPath::new(&mut units, Limits::default(), false, crate::AllowAll).unwrap();
    let mut extents = vec![Extent::EMPTY; max_extents(&fp.limits)];
    let one = copy_list(0, 0b11, &[cscd(&naa(0), 512), cscd(&naa(1), 512)], &[segment(0, 1, 8, 100, 40)]);
    let cdb = xcopy_cdb(one.len() as u32);
    let request = Request { initiator: HOST.as_bytes(), lun: 0, cdb: &cdb, data_out: &one };
    let reply = fp.execute(&request, &mut [], &mut extents);
    assert!(!reply.handled && reply.written.is_empty() && reply.copy.is_none());
    assert!(media == before, "nothing moved");
}
