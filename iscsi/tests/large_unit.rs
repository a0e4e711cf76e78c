//! 3 TiB thin logical units end to end, on both back ends: a unit whose last LBA does not fit in 32 bits,
//! which is what makes QEMU and Linux address it with 16-byte CDBs. Over iSCSI on loopback: READ
//! CAPACITY (10) and (16), READ and WRITE (16) above 2^32 and at the last LBA, WRITE SAME (16) with and
//! without UNMAP, UNMAP, GET LBA STATUS, an EXTENDED COPY between high LBAs; on a sparse image file too,
//! and again after a restart from that image. The process's memory stays proportional to what is
//! written, and the fast path hands back the memory of released ranges.
//!
//! One test function, so that nothing else in this process moves its resident set while it measures.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use offload_iscsi::backend::{self, BackendKind, Media};
use offload_iscsi::initiator::{Initiator, LoginOptions, ScsiResult};
use offload_iscsi::target::{DEFAULT_TARGET_NAME, RunningTarget, Settings, Target};
use offload_model::config::{TargetConfig, UnitConfig};
use offload_scsi::Fields;
use offload_scsi::sense::decode;
use offload_vectors::cdb;

const MIB: u64 = 1 << 20;
const BLOCK: u64 = 512;
/// 3 TiB of 512-byte blocks.
const BLOCKS: u64 = 3 * (1 << 40) / BLOCK;
const LAST: u64 = BLOCKS - 1;
/// Above 2^32: not addressable by a 10-byte CDB.
const HIGH: u64 = (1 << 32) + 12_345;
/// Where WRITE SAME writes a pattern (64 blocks), then UNMAP releases 16 of them.
const SAME: u64 = 5 << 30;
/// Where the EXTENDED COPY puts 16 blocks from `SAME`.
const COPY_TO: u64 = LAST - 1000;
/// Where 32 MiB are written, then released (memory units only).
const RELEASE: u64 = (1 << 32) + (1 << 28);
/// A never-written range the size of the largest UNMAP (memory units only).
const UNTOUCHED: u64 = (1 << 32) + (1 << 29);

const MAPPED: u8 = 0;
const DEALLOCATED: u8 = 1;

/// A field of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find_map(|l| l.strip_prefix(field)).unwrap_or_else(|| panic!("no {field}"));
    line.trim_start_matches(':').trim().trim_end_matches("kB").trim().parse().unwrap()
}

fn rss_mib() -> f64 {
    status_kib("VmRSS") as f64 / 1024.0
}

/// The resident set's peak so far (VmHWM), in MiB.
fn peak_mib() -> f64 {
    status_kib("VmHWM") as f64 / 1024.0
}

/// Starts the peak over from the resident set as it is now (clear_refs 5).
fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").unwrap();
}

fn start(kind: BackendKind, config: TargetConfig, media: &Media) -> RunningTarget {
    let backend = backend::build(kind, config, media, DEFAULT_TARGET_NAME).unwrap();
    let settings = Settings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        verbosity: 0,
        login_timeout: Duration::from_secs(5),
        ..Settings::default()
    };
    Target::bind(settings, backend).unwrap().spawn().unwrap()
}

fn login(t: &RunningTarget) -> Initiator {
    Initiator::connect(t.addr(), &LoginOptions::new("iqn.2026-12.test:large", Some(DEFAULT_TARGET_NAME))).unwrap()
}

fn thin_unit() -> UnitConfig {
    UnitConfig { blocks: BLOCKS, block_size: BLOCK as u32, thin: true, ..UnitConfig::default() }
}

fn pattern(blocks: u64, seed: u8) -> Vec<u8> {
    (0..blocks * BLOCK).map(|i| (i as u8).wrapping_mul(29).wrapping_add(seed) | 1).collect()
}

/// Runs a command and expects GOOD.
fn good(i: &mut Initiator, lun: u16, cdb: &[u8], data_out: &[u8], read_len: u32) -> ScsiResult {
    let r = i.command(lun, cdb, data_out, read_len).unwrap();
    assert_eq!((r.response, r.status), (0, 0), "LUN {lun} CDB {cdb:02x?}: sense {:02x?}", r.sense);
    r
}

fn read16(i: &mut Initiator, lun: u16, lba: u64, blocks: u32) -> Vec<u8> {
    good(i, lun, &cdb::read16(lba, blocks), &[], blocks * BLOCK as u32).data_in
}

/// GET LBA STATUS at `lba`: its first descriptors as (LBA, blocks, provisioning status).
fn lba_status(i: &mut Initiator, lun: u16, lba: u64) -> Vec<(u64, u32, u8)> {
    let r = good(i, lun, &cdb::get_lba_status(lba, 8 + 4 * 16), &[], 8 + 4 * 16);
    r.data_in[8..].chunks_exact(16).map(|d| (d.be64(0), d.be32(8), d[12] & 0x0F)).collect()
}

/// The logical unit's NAA designator from VPD page 83h: what an EXTENDED COPY CSCD names.
fn naa(i: &mut Initiator, lun: u16) -> Vec<u8> {
    let page = good(i, lun, &cdb::inquiry(true, 0x83, 255), &[], 255).data_in;
    let mut rest = &page[4..];
    while rest.len() >= 4 {
        let (kind, len) = (rest[1] & 0x0F, usize::from(rest[3]));
        if kind == 3 && len == 16 {
            return rest[4..20].to_vec();
        }
        rest = &rest[4 + len..];
    }
    panic!("no 16-byte NAA designator in {page:02x?}");
}

/// The commands of a 3 TiB unit, each checked against SBC-4, then what they leave behind.
fn exercise(i: &mut Initiator, lun: u16, copy_lun: u16) {
    // READ CAPACITY (16): the last LBA, 512-byte blocks, LBPME and LBPRZ (thin, reading zeros).
    let cap = good(i, lun, &cdb::read_capacity16(32), &[], 32).data_in;
    assert_eq!((cap.be64(0), cap.be32(8)), (LAST, BLOCK as u32));
    assert_eq!(cap[14] & 0xC0, 0xC0, "LBPME and LBPRZ");
    // READ CAPACITY (10) cannot express it: FFFFFFFFh sends the initiator to the 16-byte form.
    let cap10 = good(i, lun, &[0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0], &[], 8).data_in;
    assert_eq!(cap10.be32(0), u32::MAX);

    // WRITE (16) / READ (16) above 2^32 and at the last LBA; one block past the end is out of range.
    let data = pattern(8, 1);
    good(i, lun, &cdb::write16(HIGH, 8), &data, 0);
    assert_eq!(read16(i, lun, HIGH, 8), data);
    assert_eq!(lba_status(i, lun, HIGH)[0], (HIGH, 8, MAPPED));
    let last = pattern(1, 2);
    good(i, lun, &cdb::write16(LAST, 1), &last, 0);
    assert_eq!(read16(i, lun, LAST, 1), last);
    let past = i.command(lun, &cdb::read16(LAST, 2), &[], 2 * BLOCK as u32).unwrap();
    let sense = decode(&past.sense).unwrap();
    assert_eq!((past.status, sense.key.0, sense.asc.0, sense.asc.1), (2, 0x05, 0x21, 0x00), "LBA OUT OF RANGE");

    // WRITE SAME (16) without UNMAP: a pattern block over 64 blocks, mapped.
    let block = pattern(1, 3);
    good(i, lun, &cdb::write_same16(0, SAME, 64), &block, 0);
    assert_eq!(read16(i, lun, SAME, 64), block.repeat(64));
    // WRITE SAME (16) with UNMAP over what WRITE (16) wrote: released, reading zeros.
    good(i, lun, &cdb::write_same16(0x08, HIGH, 8), &[0; BLOCK as usize], 0);
    assert_eq!(read16(i, lun, HIGH, 8), vec![0; 8 * BLOCK as usize]);
    let released = lba_status(i, lun, HIGH)[0];
    assert_eq!((released.0, released.2), (HIGH, DEALLOCATED));
    assert!(released.1 >= 8);
    // UNMAP the middle of the pattern.
    let list = cdb::unmap_list(&[(SAME + 16, 16)]);
    good(i, lun, &cdb::unmap(false, list.len() as u16), &list, 0);

    // EXTENDED COPY: 16 pattern blocks from SAME to COPY_TO (on `copy_lun`).
    let cscds = [cdb::cscd(&naa(i, lun), BLOCK as u32), cdb::cscd(&naa(i, copy_lun), BLOCK as u32)];
    let list = cdb::copy_list(1, 0, &cscds, &[cdb::segment(0, 1, 16, SAME, COPY_TO)]);
    good(i, lun, &cdb::extended_copy(list.len() as u32), &list, 0);

    check_contents(i, lun, copy_lun);
}

/// What [`exercise`] leaves: contents and the provisioning map (every block written with data mapped,
/// every released one deallocated), read back with 16-byte CDBs.
fn check_contents(i: &mut Initiator, lun: u16, copy_lun: u16) {
    let block = pattern(1, 3);
    assert_eq!(read16(i, lun, HIGH, 8), vec![0; 8 * BLOCK as usize]);
    assert_eq!(read16(i, lun, LAST, 1), pattern(1, 2));
    let mut same = block.repeat(64);
    same[16 * BLOCK as usize..32 * BLOCK as usize].fill(0);
    assert_eq!(read16(i, lun, SAME, 64), same);
    let status = lba_status(i, lun, SAME);
    assert_eq!(status[..3], [(SAME, 16, MAPPED), (SAME + 16, 16, DEALLOCATED), (SAME + 32, 32, MAPPED)]);
    assert_eq!((status[3].0, status[3].2), (SAME + 64, DEALLOCATED));
    assert_eq!(lba_status(i, lun, HIGH)[0].2, DEALLOCATED);
    assert_eq!(read16(i, copy_lun, COPY_TO, 16), block.repeat(16));
    let status = lba_status(i, copy_lun, COPY_TO - 4);
    assert_eq!(status[..2], [(COPY_TO - 4, 4, DEALLOCATED), (COPY_TO, 16, MAPPED)]);
    if lun == copy_lun {
        // The image's one unit: the last LBA's block is mapped after the copy's deallocated tail.
        let tail = (LAST - COPY_TO - 16) as u32;
        assert_eq!(status[2..4], [(COPY_TO + 16, tail, DEALLOCATED), (LAST, 1, MAPPED)]);
    }
}

/// On a memory unit: 32 MiB written costs about that much, releasing it hands it back (fast path), and
/// the largest UNMAP over never-written blocks costs nothing, not even for the time it runs. Returns the
/// resident set's changes in MiB: after writing, after releasing (each against the one before), and the
/// peak during the untouched UNMAP against the resident set before it; and the peak before that (the
/// peak starts over here).
fn release_memory(i: &mut Initiator, lun: u16) -> (f64, f64, f64, f64) {
    let chunk = 8192u64; // blocks: 4 MiB, the largest transfer
    let total = 32 * MIB / BLOCK;
    let before = rss_mib();
    for k in 0..total / chunk {
        good(i, lun, &cdb::write16(RELEASE + k * chunk, chunk as u32), &pattern(chunk, k as u8), 0);
    }
    let written = rss_mib();
    let list = cdb::unmap_list(&[(RELEASE, total as u32)]);
    good(i, lun, &cdb::unmap(false, list.len() as u16), &list, 0);
    let after_release = rss_mib();
    assert_eq!(lba_status(i, lun, RELEASE)[0].2, DEALLOCATED);
    assert_eq!(read16(i, lun, RELEASE + total / 2, 8), vec![0; 8 * BLOCK as usize]);
    let list = cdb::unmap_list(&[(UNTOUCHED, 1 << 20)]);
    let peak = peak_mib();
    reset_peak();
    let before_untouched = rss_mib();
    good(i, lun, &cdb::unmap(false, list.len() as u16), &list, 0);
    (written - before, after_release - written, peak_mib() - before_untouched, peak)
}

#[test]
fn three_tib_thin_units_end_to_end_on_both_back_ends() {
    let started = Instant::now();
    let rss_start = rss_mib();
    let mut peak = 0.0f64;
    let dir = std::env::temp_dir().join(format!("offload-iscsi-large-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for kind in [BackendKind::Model, BackendKind::FastPath] {
        // Two 3 TiB thin memory units: the copy goes from one to the other.
        let config = TargetConfig { units: vec![thin_unit(), thin_unit()], ..TargetConfig::default() };
        let t = start(kind, config, &Media::Memory);
        let mut i = login(&t);
        exercise(&mut i, 0, 1);
        let (written, released, untouched, peak_before) = release_memory(&mut i, 1);
        peak = peak.max(peak_before);
        eprintln!(
            "{kind:?}: 32 MiB written {written:+.1} MiB, released {released:+.1} MiB, a 512 MiB UNMAP of \
             never-written blocks {untouched:+.1} MiB"
        );
        assert!(written > 24.0, "{kind:?}: writing 32 MiB commits it ({written:.1} MiB)");
        assert!(untouched < 16.0, "{kind:?}: releasing never-written blocks costs nothing ({untouched:.1} MiB)");
        if kind == BackendKind::FastPath {
            assert!(released < -24.0, "the fast path hands back released pages ({released:.1} MiB)");
        }
        t.stop();

        // A 3 TiB sparse image, created by the target, then served again from the file.
        let path: PathBuf = dir.join(format!("{kind:?}.img"));
        let media = Media::Images { paths: vec![path.clone()], template: thin_unit() };
        let t = start(kind, TargetConfig::default(), &media);
        exercise(&mut login(&t), 0, 0);
        t.stop();
        let opened = Instant::now();
        let t = start(kind, TargetConfig::default(), &media);
        let reopen = opened.elapsed();
        check_contents(&mut login(&t), 0, 0);
        t.stop();
        let allocated = std::os::unix::fs::MetadataExt::blocks(&std::fs::metadata(&path).unwrap()) * 512;
        eprintln!("{kind:?}: image reopened in {reopen:?}, {} KiB allocated", allocated / 1024);
        assert!(reopen < Duration::from_secs(10), "{kind:?}: reopening reads only the data extents");
        assert!(allocated < 64 * MIB, "{kind:?}: the image stays sparse ({allocated} bytes)");
    }
    std::fs::remove_dir_all(&dir).unwrap();
    let peak = peak.max(peak_mib());
    eprintln!(
        "resident: {rss_start:.1} MiB at the start, {:.1} MiB at the end, peak {peak:.1} MiB; {:?}",
        rss_mib(),
        started.elapsed()
    );
    assert!(peak - rss_start < 256.0, "the peak resident set grew {:.1} MiB", peak - rss_start);
}
