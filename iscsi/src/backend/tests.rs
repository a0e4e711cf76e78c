use super::*;
use offload_model::config::{Naa, UnitConfig};
use offload_scsi::{Fields, GOOD};

/// The target name the back ends under test are built for.
const NAME: &str = "iqn.2026-11.org.offload:backend-tests";

fn small_config(thin: bool) -> TargetConfig {
    let unit = UnitConfig { blocks: 256, block_size: 512, thin, ..UnitConfig::default() };
    TargetConfig { units: vec![unit.clone(), unit], ..TargetConfig::default() }
}

fn run(b: &mut dyn Backend, cdb: &[u8], data_out: &[u8]) -> Answer {
    b.execute(&Command { initiator: "iqn.test", lun: 0, cdb, data_out }).unwrap()
}

fn backends(thin: bool) -> Vec<Box<dyn Backend>> {
    vec![
        build(BackendKind::Model, small_config(thin), &Media::Memory, NAME).unwrap(),
        build(BackendKind::FastPath, small_config(thin), &Media::Memory, NAME).unwrap(),
    ]
}

#[test]
fn both_back_ends_agree_on_a_write_read_and_lba_status() {
    let mut answers = Vec::new();
    for mut b in backends(true) {
        let write = run(b.as_mut(), &[0x2A, 0, 0, 0, 0, 4, 0, 0, 2, 0], &[0x5A; 1024]);
        let read = run(b.as_mut(), &[0x28, 0, 0, 0, 0, 4, 0, 0, 2, 0], &[]);
        assert_eq!(read.data_in, vec![0x5A; 1024], "{}", b.name());
        // GET LBA STATUS from LBA 0: served by the model in both back ends.
        let status = run(b.as_mut(), &[0x9E, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0], &[]);
        answers.push((write, read, status));
    }
    assert_eq!(answers[0], answers[1]);
    // Blocks 4 and 5 mapped: the second descriptor starts at LBA 4.
    assert_eq!(&answers[0].2.data_in[24..32], &4u64.to_be_bytes());
}

/// GET LBA STATUS from LBA 0 (served by the model in both back ends), descriptors as (LBA, blocks,
/// provisioning status).
fn lba_status(b: &mut dyn Backend) -> Vec<(u64, u32, u8)> {
    let answer = run(b, &[0x9E, 0x12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], &[]);
    answer.data_in[8..].chunks_exact(16).map(|d| (d.be64(0), d.be32(8), d[12])).collect()
}

#[test]
fn the_model_sees_what_fast_path_writes_zeroing_and_unmapping_left() {
    let mut maps = Vec::new();
    for mut b in backends(true) {
        run(b.as_mut(), &[0x2A, 0, 0, 0, 0, 0, 0, 0, 8, 0], &[0x5A; 8 * 512]);
        // UNMAP 2..4, WRITE SAME (16) UNMAP ANCHOR of zeros over 5..7, WRITE SAME (10) of zeros at 20.
        let unmap = [[0, 22, 0, 16, 0, 0, 0, 0].as_slice(), &2u64.to_be_bytes(), &[0, 0, 0, 2, 0, 0, 0, 0]].concat();
        assert_eq!(run(b.as_mut(), &[0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0], &unmap).status, GOOD);
        let anchor = [0x93, 0x18, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 2, 0, 0];
        assert_eq!(run(b.as_mut(), &anchor, &[0; 512]).status, GOOD);
        assert_eq!(run(b.as_mut(), &[0x41, 0, 0, 0, 0, 20, 0, 0, 1, 0], &[0; 512]).status, GOOD);
        maps.push(lba_status(b.as_mut()));
    }
    assert_eq!(maps[0], maps[1]);
    // Mapped 0..2, deallocated 2..4, mapped 4..5, anchored 5..7, mapped 7..8, deallocated, mapped 20.
    let expected = [(0, 2, 0), (2, 2, 1), (4, 1, 0), (5, 2, 2), (7, 1, 0), (8, 12, 1), (20, 1, 0), (21, 235, 1)];
    assert_eq!(maps[0], expected);
}

#[test]
fn fast_path_copies_are_in_the_copy_manager_book() {
    // The designator the target name gives LUN 0 (both back ends resolve it, neither was told it).
    let naa = Naa::for_named_unit(NAME, 0).0;
    let mut list = vec![0u8; 16 + 32 + 28];
    list[0] = 7; // LIST IDENTIFIER, usage 00b (hold)
    list[3] = 32;
    list[11] = 28;
    list[16] = 0xE4;
    list[20] = 1;
    list[21] = 3;
    list[23] = 16;
    list[24..40].copy_from_slice(&naa);
    list[46..48].copy_from_slice(&[2, 0]);
    let s = 48;
    list[s] = 0x02;
    list[s + 3] = 0x18;
    list[s + 11] = 8; // 8 blocks, 0 -> 100
    list[s + 27] = 100;
    let mut results = Vec::new();
    for mut b in backends(false) {
        let mut cdb = [0u8; 16];
        cdb[0] = 0x83;
        cdb[13] = list.len() as u8;
        assert_eq!(run(b.as_mut(), &cdb, &list).status, GOOD, "{}", b.name());
        let rcr = [0x84, 0x00, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0];
        results.push(run(b.as_mut(), &rcr, &[]));
    }
    assert_eq!(results[0].status, GOOD);
    assert_eq!(results[0], results[1]);
}

#[test]
fn both_back_ends_refuse_alike_under_a_reservation() {
    use offload_vectors::cdb::{copy_list, cscd, extended_copy, persistent_reserve_out, prout_list, segment};
    let naa = [Naa::for_named_unit(NAME, 0).0, Naa::for_named_unit(NAME, 1).0];
    let as_who = |b: &mut dyn Backend, initiator: &str, lun, cdb: &[u8], data_out: &[u8]| {
        b.execute(&Command { initiator, lun, cdb, data_out }).unwrap()
    };
    let mut answers = Vec::new();
    for mut b in backends(false) {
        let b = b.as_mut();
        // "holder" registers and reserves LUN 1 Exclusive Access (served by the model in both).
        let register = as_who(b, "holder", 1, &persistent_reserve_out(0, 0), &prout_list(0, 7, 0));
        let reserve = as_who(b, "holder", 1, &persistent_reserve_out(1, 3), &prout_list(7, 0, 0));
        assert_eq!((register.status, reserve.status), (GOOD, GOOD), "{}", b.name());
        // A fast-path WRITE to LUN 1 from another nexus; an EXTENDED COPY through LUN 0 onto LUN 1, and
        // with a reserved bit set too (the reserved-bit check comes first).
        let write = as_who(b, "iqn.test", 1, &[0x2A, 0, 0, 0, 0, 0, 0, 0, 1, 0], &[0x11; 512]);
        let reserved_bit = as_who(b, "iqn.test", 1, &[0x2A, 0x04, 0, 0, 0, 0, 0, 0, 1, 0], &[0x11; 512]);
        let list = copy_list(0, 0, &[cscd(&naa[0], 512), cscd(&naa[1], 512)], &[segment(0, 1, 1, 0, 0)]);
        let copy = as_who(b, "iqn.test", 0, &extended_copy(list.len() as u32), &list);
        let holder_copy = as_who(b, "holder", 0, &extended_copy(list.len() as u32), &list);
        answers.push((write, reserved_bit, copy, holder_copy));
    }
    let (write, reserved_bit, copy, holder_copy) = &answers[0];
    assert_eq!((write.status, write.sense.len()), (0x18, 0), "RESERVATION CONFLICT, no sense");
    assert_eq!(reserved_bit.status, 0x02);
    // COPY ABORTED, destination's RESERVATION CONFLICT forwarded (fixed format: status byte at 18).
    assert_eq!((copy.status, copy.sense[2], copy.sense[9], copy.sense[18]), (0x02, 0x0A, 18, 0x18));
    assert_eq!(holder_copy.status, GOOD);
    assert_eq!(answers[0], answers[1], "byte for byte");
}

#[test]
fn both_back_ends_report_the_named_designator_and_keep_overrides() {
    let mut config = small_config(true);
    config.units[1].naa_vendor_id = Some(0x1_2345_6789);
    for kind in [BackendKind::Model, BackendKind::FastPath] {
        let b = build(kind, config.clone(), &Media::Memory, NAME).unwrap();
        let mut designators = Vec::new();
        for lun in 0..2 {
            let inquiry = [0x12, 0x01, 0x83, 0, 255, 0];
            let page = b.execute(&Command { initiator: "iqn.test", lun, cdb: &inquiry, data_out: &[] }).unwrap();
            assert_eq!(page.status, GOOD);
            // The first designator: binary, LU association, NAA, 16 bytes.
            assert_eq!(page.data_in[4..8], [0x01, 0x03, 0x00, 0x10], "{kind:?}");
            designators.push(page.data_in[8..24].to_vec());
        }
        assert_eq!(designators[0], Naa::for_named_unit(NAME, 0).0, "{kind:?}");
        let by_vendor_id = [[0x60, 0xA0, 0xFF, 0x11, 0x23, 0x45, 0x67, 0x89].as_slice(), &1u64.to_be_bytes()].concat();
        assert_eq!(designators[1], by_vendor_id, "{kind:?}: the configured vendor id is kept");
    }
}

#[test]
fn images_are_written_through() {
    let dir = std::env::temp_dir().join(format!("offload-iscsi-backend-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for kind in [BackendKind::Model, BackendKind::FastPath] {
        let path = dir.join(format!("{kind:?}.img"));
        let _ = std::fs::remove_file(&path);
        let template = UnitConfig { blocks: 64, block_size: 512, thin: true, ..UnitConfig::default() };
        let media = Media::Images { paths: vec![path.clone()], template };
        let mut b = build(kind, TargetConfig::default(), &media, NAME).unwrap();
        assert_eq!(b.config().units[0].blocks, 64);
        run(b.as_mut(), &[0x2A, 0, 0, 0, 0, 3, 0, 0, 1, 0], &[0xC3; 512]);
        // WRITE SAME (16) of a pattern over blocks 10..12, then UNMAP block 11.
        let mut ws = [0u8; 16];
        ws[0] = 0x93;
        ws[9] = 10;
        ws[13] = 2;
        assert_eq!(run(b.as_mut(), &ws, &[0x11; 512]).status, GOOD);
        let unmap = [[0, 22, 0, 16, 0, 0, 0, 0].as_slice(), &11u64.to_be_bytes(), &[0, 0, 0, 1, 0, 0, 0, 0]].concat();
        assert_eq!(run(b.as_mut(), &[0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0], &unmap).status, GOOD);
        let file = std::fs::read(&path).unwrap();
        assert_eq!(file.len(), 64 * 512);
        assert!(file[3 * 512..4 * 512].iter().all(|&x| x == 0xC3), "{kind:?}");
        assert!(file[10 * 512..11 * 512].iter().all(|&x| x == 0x11), "{kind:?}");
        assert!(file[11 * 512..12 * 512].iter().all(|&x| x == 0), "{kind:?}");
        drop(b);
        // Reopened, the image has the data.
        let media = Media::Images {
            paths: vec![path.clone()],
            template: UnitConfig { blocks: 1, block_size: 512, ..UnitConfig::default() },
        };
        let mut b = build(kind, TargetConfig::default(), &media, NAME).unwrap();
        assert_eq!(run(b.as_mut(), &[0x28, 0, 0, 0, 0, 3, 0, 0, 1, 0], &[]).data_in, vec![0xC3; 512]);
        // Its non-zero blocks are mapped, the rest deallocated, in the model too.
        let expected = [(0, 3, 1), (3, 1, 0), (4, 6, 1), (10, 1, 0), (11, 53, 1)];
        assert_eq!(lba_status(b.as_mut()), expected, "{kind:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A unit the address space cannot hold is a start-up error naming the unit, not an abort: 200 TiB is
/// within the model's limit (256 TiB) but beyond x86-64's 47-bit user address space.
#[cfg(target_arch = "x86_64")]
#[test]
fn a_unit_beyond_the_address_space_is_a_setup_error() {
    let huge = UnitConfig { blocks: (200u64 << 40) / 512, block_size: 512, thin: true, ..UnitConfig::default() };
    let small = UnitConfig { blocks: 64, ..huge.clone() };
    let config = TargetConfig { units: vec![small, huge], ..TargetConfig::default() };
    match build(BackendKind::FastPath, config.clone(), &Media::Memory, NAME) {
        Err(e @ SetupError::Reserve { unit: 1, what: "data", .. }) => {
            assert!(e.to_string().starts_with("unit 1: cannot reserve 219902325555200 bytes"), "{e}");
        }
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("a 200 TiB mapping was granted"),
    }
    // The model stores what is written: the same unit is served.
    assert!(build(BackendKind::Model, config, &Media::Memory, NAME).is_ok());
}

/// SYNCHRONIZE CACHE (10) of the whole unit; WRITE (10) of one block at `lba`, with FUA as given.
const SYNC_ALL: [u8; 10] = [0x35, 0, 0, 0, 0, 0, 0, 0, 0, 0];

fn write10(lba: u8, fua: bool) -> [u8; 10] {
    [0x2A, if fua { 0x08 } else { 0 }, 0, 0, 0, lba, 0, 0, 1, 0]
}

/// MODE SELECT (6) of the caching page with WCE as given.
fn select_wce(b: &mut dyn Backend, wce: bool) -> Answer {
    let mut list = vec![0, 0, 0, 0, 0x08, 0x12, if wce { 0x04 } else { 0 }];
    list.resize(24, 0);
    run(b, &[0x15, 0x10, 0, 0, 24, 0], &list)
}

/// A back end over fresh image files (two units) in a directory of its own.
fn on_images(kind: BackendKind, name: &str) -> (Box<dyn Backend>, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("offload-iscsi-sync-{}-{name}-{kind:?}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let template = UnitConfig { blocks: 64, block_size: 512, thin: true, ..UnitConfig::default() };
    let media = Media::Images { paths: vec![dir.join("0.img"), dir.join("1.img")], template };
    (build(kind, TargetConfig::default(), &media, NAME).unwrap(), dir)
}

#[test]
fn synchronize_cache_syncs_the_image() {
    for kind in [BackendKind::Model, BackendKind::FastPath] {
        let (mut b, dir) = on_images(kind, "sync");
        assert_eq!(run(b.as_mut(), &write10(3, false), &[0xC3; 512]).status, GOOD);
        assert_eq!(b.syncs(), 0, "{kind:?}: WCE=1, a plain write is not synced");
        assert_eq!(run(b.as_mut(), &SYNC_ALL, &[]).status, GOOD, "{kind:?}");
        assert_eq!(b.syncs(), 1, "{kind:?}: SYNCHRONIZE CACHE syncs LUN 0's image");
        // SYNCHRONIZE CACHE (16) of two blocks.
        let sync16 = [0x91, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 2, 0, 0];
        assert_eq!(run(b.as_mut(), &sync16, &[]).status, GOOD);
        assert_eq!(b.syncs(), 2, "{kind:?}");
        // Past the capacity: CHECK CONDITION and no sync.
        let past = [0x35, 0, 0, 0, 0, 64, 0, 0, 1, 0];
        assert_eq!(run(b.as_mut(), &past, &[]).status, offload_scsi::CHECK_CONDITION);
        assert_eq!(b.syncs(), 2, "{kind:?}");
        drop(b);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn fua_writes_and_writes_under_wce_0_sync() {
    for kind in [BackendKind::Model, BackendKind::FastPath] {
        let (mut b, dir) = on_images(kind, "fua");
        assert_eq!(run(b.as_mut(), &write10(3, true), &[0xC3; 512]).status, GOOD);
        assert_eq!(b.syncs(), 1, "{kind:?}: FUA");
        let caw = [[0xC3u8; 512], [0x3C; 512]].concat();
        assert_eq!(run(b.as_mut(), &[0x89, 0x08, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0], &caw).status, GOOD);
        assert_eq!(b.syncs(), 2, "{kind:?}: COMPARE AND WRITE with FUA");
        assert_eq!(select_wce(b.as_mut(), false).status, GOOD);
        assert_eq!(run(b.as_mut(), &write10(4, false), &[0x44; 512]).status, GOOD);
        assert_eq!(b.syncs(), 3, "{kind:?}: WCE=0");
        let ws = [0x41, 0, 0, 0, 0, 8, 0, 0, 4, 0];
        assert_eq!(run(b.as_mut(), &ws, &[0x55; 512]).status, GOOD);
        assert_eq!(b.syncs(), 4, "{kind:?}: WRITE SAME under WCE=0");
        // LUN 1 keeps WCE=1.
        let lun1 = Command { initiator: "iqn.test", lun: 1, cdb: &write10(4, false), data_out: &[0x44; 512] };
        assert_eq!(b.execute(&lun1).unwrap().status, GOOD);
        assert_eq!(b.syncs(), 4, "{kind:?}: LUN 1 has its write cache");
        assert_eq!(select_wce(b.as_mut(), true).status, GOOD);
        assert_eq!(run(b.as_mut(), &write10(5, false), &[0x45; 512]).status, GOOD);
        assert_eq!(b.syncs(), 4, "{kind:?}: WCE=1 again");
        drop(b);
        // What GOOD said is on the image.
        let file = std::fs::read(dir.join("0.img")).unwrap();
        assert!(file[3 * 512..4 * 512].iter().all(|&x| x == 0x3C), "{kind:?}");
        assert!(file[8 * 512..12 * 512].iter().all(|&x| x == 0x55), "{kind:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn memory_units_have_nothing_to_sync() {
    for mut b in backends(true) {
        assert_eq!(run(b.as_mut(), &write10(3, true), &[0xC3; 512]).status, GOOD);
        assert_eq!(run(b.as_mut(), &SYNC_ALL, &[]).status, GOOD, "{}", b.name());
        assert_eq!(b.syncs(), 0, "{}", b.name());
    }
}

#[test]
fn deallocated_blocks_become_holes_in_the_image() {
    use std::os::unix::fs::MetadataExt;
    for kind in [BackendKind::Model, BackendKind::FastPath] {
        let (mut b, dir) = on_images(kind, "holes");
        let image = dir.join("0.img");
        // 32 blocks (16 KiB) of data at LBA 0 of the 64-block unit, then UNMAP of 0..32; then 8 blocks again
        // and WRITE SAME (16) UNMAP ANCHOR of zeros over them.
        assert_eq!(run(b.as_mut(), &[0x2A, 0, 0, 0, 0, 0, 0, 0, 32, 0], &[0x5A; 32 * 512]).status, GOOD);
        // st_blocks counts 512-byte units the file system allocated.
        let written = std::fs::metadata(&image).unwrap().blocks();
        assert!(written >= 32, "{kind:?}: {written} units allocated after writing 16 KiB");
        let unmap = [[0, 22, 0, 16, 0, 0, 0, 0].as_slice(), &0u64.to_be_bytes(), &[0, 0, 0, 32, 0, 0, 0, 0]].concat();
        assert_eq!(run(b.as_mut(), &[0x42, 0, 0, 0, 0, 0, 0, 0, 24, 0], &unmap).status, GOOD);
        let released = std::fs::metadata(&image).unwrap().blocks();
        assert!(released + 32 <= written, "{kind:?}: {written} units before UNMAP, {released} after");
        assert_eq!(run(b.as_mut(), &[0x2A, 0, 0, 0, 0, 0, 0, 0, 8, 0], &[0x5A; 8 * 512]).status, GOOD);
        let anchor = [0x93, 0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0];
        assert_eq!(run(b.as_mut(), &anchor, &[0; 512]).status, GOOD);
        drop(b);
        let file = std::fs::read(&image).unwrap();
        assert!(file[..32 * 512].iter().all(|&x| x == 0), "{kind:?}: the released blocks read zeros");
        assert!(std::fs::metadata(&image).unwrap().blocks() <= released, "{kind:?}: anchoring left a hole too");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// Sense bytes → (key, ASC, ASCQ), read by hand from the fixed format (SPC-4 4.5.3): byte 2, 12, 13.
fn fixed_sense_code(answer: &Answer) -> (u8, u8, u8) {
    assert_eq!(answer.sense[0] & 0x7F, 0x70, "fixed-format sense");
    (answer.sense[2] & 0x0F, answer.sense[12], answer.sense[13])
}

#[test]
fn both_back_ends_answer_unit_attentions_alike_on_fast_path_commands() {
    const A: &str = "iqn.test,i,0x800000000001";
    const B: &str = "iqn.test,i,0x800000000002";
    let read10 = [0x28, 0, 0, 0, 0, 0, 0, 0, 1, 0];
    let write10 = [0x2A, 0, 0, 0, 0, 3, 0, 0, 1, 0];
    let mut transcripts = Vec::new();
    for kind in [BackendKind::Model, BackendKind::FastPath] {
        let config = TargetConfig { power_on_unit_attention: true, ..small_config(true) };
        let mut b = build(kind, config, &Media::Memory, NAME).unwrap();
        let on = |b: &mut Box<dyn Backend>, nexus: &str, lun: u16, cdb: &[u8], data_out: &[u8]| {
            b.execute(&Command { initiator: nexus, lun, cdb, data_out }).unwrap()
        };
        let mut t = Vec::new();
        // A new nexus: 29/00 on a READ (10) the fast path would serve, then the read itself.
        t.push(on(&mut b, A, 0, &read10, &[]));
        t.push(on(&mut b, A, 0, &read10, &[]));
        t.push(on(&mut b, B, 0, &[0; 6], &[]));
        // LOGICAL UNIT RESET from A: 29/03 for both nexuses; the refused WRITE (10) writes nothing.
        b.logical_unit_reset(A, 0);
        t.push(on(&mut b, A, 0, &write10, &[0x77; 512]));
        t.push(on(&mut b, B, 0, &write10, &[0x77; 512]));
        t.push(on(&mut b, B, 0, &[0x28, 0, 0, 0, 0, 3, 0, 0, 1, 0], &[]));
        // A target reset: 29/02 on the other unit, after the 29/00 still pending there; a lost nexus:
        // 29/07 when it comes back.
        b.target_reset(B);
        t.push(on(&mut b, A, 1, &read10, &[]));
        t.push(on(&mut b, A, 1, &read10, &[]));
        b.nexus_lost(A);
        for _ in 0..3 {
            t.push(on(&mut b, A, 0, &[0x03, 0, 0, 0, 18, 0], &[]));
        }
        transcripts.push(t);
    }
    assert_eq!(transcripts[0], transcripts[1], "byte for byte");
    let t = &transcripts[0];
    assert_eq!(fixed_sense_code(&t[0]), (0x6, 0x29, 0x00));
    assert_eq!((t[1].status, t[1].data_in.len()), (GOOD, 512));
    assert_eq!(fixed_sense_code(&t[2]), (0x6, 0x29, 0x00), "B is another nexus: its own 29/00");
    assert_eq!(fixed_sense_code(&t[3]), (0x6, 0x29, 0x03), "the resetting nexus too");
    assert_eq!(fixed_sense_code(&t[4]), (0x6, 0x29, 0x03));
    assert_eq!(t[5].data_in, vec![0; 512], "neither refused write reached the medium");
    assert_eq!(fixed_sense_code(&t[6]), (0x6, 0x29, 0x00), "the higher precedence first");
    assert_eq!(fixed_sense_code(&t[7]), (0x6, 0x29, 0x02));
    // REQUEST SENSE: the 29/02 and then the 29/07 queued behind it as data (GOOD), then NO SENSE.
    let data = |a: &Answer| (a.status, a.data_in[2], a.data_in[12], a.data_in[13]);
    assert_eq!(data(&t[8]), (GOOD, 0x6, 0x29, 0x02));
    assert_eq!(data(&t[9]), (GOOD, 0x6, 0x29, 0x07));
    assert_eq!(data(&t[10]), (GOOD, 0x0, 0x00, 0x00));
}

/// Runs `steps` on both back ends, hands each one's answers to `check` with its name, and requires the
/// two to answer byte for byte alike.
fn both_alike(steps: &[(Vec<u8>, Vec<u8>)], check: impl Fn(&str, &[Answer])) {
    let all: Vec<Vec<Answer>> = backends(true)
        .into_iter()
        .map(|mut b| {
            let answers: Vec<Answer> = steps.iter().map(|(cdb, data)| run(b.as_mut(), cdb, data)).collect();
            check(b.name(), &answers);
            answers
        })
        .collect();
    assert_eq!(all[0], all[1], "byte for byte");
}

#[test]
fn a_stopped_unit_refuses_fast_path_commands_as_the_model_does() {
    use offload_vectors::cdb;
    let steps = vec![
        (cdb::start_stop_unit(false, 0x04), vec![]), // stop, NO_FLUSH
        (cdb::write10(0, 1), vec![0x11; 512]),
        (cdb::read6(0, 1), vec![]),
        (cdb::write_atomic16(0, 0, 1), vec![0x11; 512]),
        (cdb::read16(0, 1), vec![]),
        (cdb::start_stop_unit(false, 0x01), vec![]), // start
        (cdb::write12(0, 1), vec![0x22; 512]),
        (cdb::read12(0, 1), vec![]),
    ];
    both_alike(&steps, |name, answers| {
        for a in &answers[1..5] {
            // NOT READY, LOGICAL UNIT NOT READY, INITIALIZING COMMAND REQUIRED.
            assert_eq!((a.status, a.sense[2], a.sense[12], a.sense[13]), (2, 0x02, 0x04, 0x02), "{name}");
        }
        assert_eq!(answers[7].data_in, vec![0x22; 512], "{name}: nothing was written while stopped");
    });
}

#[test]
fn software_write_protect_reaches_the_fast_path() {
    use offload_vectors::cdb;
    // MODE SELECT (6) of the control page with SWP (byte 4 of the page, bit 3) set, then cleared.
    let control = |swp: u8| vec![0, 0, 0, 0, 0x0A, 0x0A, 0x02, 0x10, swp, 0, 0, 0, 0xFF, 0xFF, 0, 0];
    let steps = vec![
        (vec![0x15, 0x10, 0, 0, 16, 0], control(0x08)),
        (cdb::write10(0, 1), vec![0x33; 512]),
        (cdb::write6(0, 1), vec![0x33; 512]),
        (cdb::write_same16(0, 0, 1), vec![0x33; 512]),
        (vec![0x1A, 0x08, 0x0A, 0, 255, 0], vec![]),
        (cdb::read10(0, 1), vec![]),
        (vec![0x15, 0x10, 0, 0, 16, 0], control(0)),
        (cdb::write10(0, 1), vec![0x44; 512]),
        (cdb::read10(0, 1), vec![]),
    ];
    both_alike(&steps, |name, answers| {
        for a in &answers[1..4] {
            // DATA PROTECT, LOGICAL UNIT SOFTWARE WRITE PROTECTED.
            assert_eq!((a.status, a.sense[2], a.sense[12], a.sense[13]), (2, 0x07, 0x27, 0x02), "{name}");
        }
        assert_eq!(answers[4].data_in[2] & 0x80, 0x80, "{name}: WP in the mode parameter header");
        assert_eq!(answers[5].data_in, vec![0; 512], "{name}: reads still work");
        assert_eq!(answers[8].data_in, vec![0x44; 512], "{name}: writable again");
    });
}

#[test]
fn pre_fetch_is_condition_met_on_both_back_ends() {
    use offload_vectors::cdb;
    let steps = vec![(cdb::pre_fetch10(0, 0, 8), vec![]), (cdb::pre_fetch16(0x02, 250, 6), vec![])];
    both_alike(&steps, |name, answers| {
        assert!(answers.iter().all(|a| a.status == 0x04 && a.sense.is_empty()), "{name}: CONDITION MET");
    });
}
