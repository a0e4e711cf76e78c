//! The fast path against the standard primitives it is built on, at 4 KiB, 64 KiB, 1 MiB and 16 MiB:
//!
//! | group | fast path | standard primitive |
//! |---|---|---|
//! | `copy_within_unit` | EXTENDED COPY, one segment, CSCD FFFFh → FFFFh | `copy_within` |
//! | `copy_across_units` | EXTENDED COPY, one segment between two E4h CSCDs | `copy_from_slice` |
//! | `zero` | WRITE SAME (16), NDOB | `fill(0)` |
//! | `caw_miscompare` | COMPARE AND WRITE differing at the last byte (compare only) | slice `==` |
//! | `caw_match` | COMPARE AND WRITE that matches (compare, then write) | slice `==` + `copy_from_slice` |
//!
//! Every command runs through `FastPath::execute` on fully provisioned 4096-byte-block units, except
//! COMPARE AND WRITE at 1 MiB and 16 MiB: NUMBER OF LOGICAL BLOCKS is one byte (at most 255 blocks, just
//! under 1 MiB), so those sizes call `primitives::compare_and_write`, the range operation the command
//! runs. `make bench` prints the table (`cargo run -p offload-fastpath --example bench_table`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use offload_fastpath::{AllowAll, CopyLimits, Extent, FastPath, Limits, Request, Unit, max_extents, primitives};
use offload_scsi::GOOD;

const BLOCK: usize = 4096;
const SIZES: [(usize, &str); 4] = [(4 << 10, "4KiB"), (64 << 10, "64KiB"), (1 << 20, "1MiB"), (16 << 20, "16MiB")];

/// Limits that let one command move 16 MiB: one segment of 4096 blocks of 4096 bytes, WRITE SAME of 4096
/// blocks (the defaults already allow both; spelled out so the benchmark does not depend on them).
fn limits() -> Limits {
    let defaults = Limits::default();
    Limits {
        max_write_same_blocks: 65_536,
        copy: CopyLimits { max_segment_bytes: 16 << 20, ..defaults.copy.clone() },
        ..defaults
    }
}

fn naa(lun: u8) -> [u8; 16] {
    let mut n = [0x60, 0xA0, 0xFF, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    n[15] = lun;
    n
}

fn xcopy_cdb(length: usize) -> [u8; 16] {
    let mut c = [0u8; 16];
    c[0] = 0x83;
    c[10..14].copy_from_slice(&(length as u32).to_be_bytes());
    c
}

/// An EXTENDED COPY parameter list: `cscds` E4h descriptors, one 02h segment.
fn copy_list(
    cscds: &[[u8; 16]],
    source: u16,
    destination: u16,
    blocks: u16,
    source_lba: u64,
    dest_lba: u64,
) -> Vec<u8> {
    let mut p = vec![0u8; 16];
    p[1] = 0b11 << 3; // LIST ID USAGE 11b: no list identifier
    p[2..4].copy_from_slice(&((cscds.len() * 32) as u16).to_be_bytes());
    p[8..12].copy_from_slice(&28u32.to_be_bytes());
    for naa in cscds {
        let mut d = [0u8; 32];
        d[0] = 0xE4;
        d[4] = 0x01;
        d[5] = 0x03;
        d[7] = 16;
        d[8..24].copy_from_slice(naa);
        d[29..32].copy_from_slice(&(BLOCK as u32).to_be_bytes()[1..]);
        p.extend(d);
    }
    let mut s = [0u8; 28];
    s[0] = 0x02;
    s[3] = 0x18;
    s[4..6].copy_from_slice(&source.to_be_bytes());
    s[6..8].copy_from_slice(&destination.to_be_bytes());
    s[10..12].copy_from_slice(&blocks.to_be_bytes());
    s[12..20].copy_from_slice(&source_lba.to_be_bytes());
    s[20..28].copy_from_slice(&dest_lba.to_be_bytes());
    p.extend(s);
    p
}

fn filled(len: usize, salt: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt) | 1).collect()
}

fn copy_within_unit(c: &mut Criterion) {
    let mut g = c.benchmark_group("copy_within_unit");
    for (size, label) in SIZES {
        g.throughput(Throughput::Bytes(size as u64));
        let blocks = size / BLOCK;
        let mut data = filled(2 * size, 1);
        g.bench_with_input(BenchmarkId::new("std", label), &size, |b, &size| {
            b.iter(|| black_box(&mut data[..]).copy_within(0..size, size))
        });
        let list = copy_list(&[], 0xFFFF, 0xFFFF, blocks as u16, 0, blocks as u64);
        let cdb = xcopy_cdb(list.len());
        let mut units = [Unit::thick(&mut data, BLOCK as u32, naa(0))];
        let mut fp = FastPath::new(&mut units, limits(), false, AllowAll).unwrap();
        let mut extents = vec![Extent::EMPTY; max_extents(&fp.limits)];
        g.bench_with_input(BenchmarkId::new("fastpath", label), &size, |b, _| {
            b.iter(|| {
                let r = fp.execute(
                    &Request { initiator: b"bench", lun: 0, cdb: black_box(&cdb), data_out: black_box(&list) },
                    &mut [],
                    &mut extents,
                );
                assert_eq!(r.status, GOOD);
            })
        });
    }
    g.finish();
}

fn copy_across_units(c: &mut Criterion) {
    let mut g = c.benchmark_group("copy_across_units");
    for (size, label) in SIZES {
        g.throughput(Throughput::Bytes(size as u64));
        let blocks = size / BLOCK;
        let mut source = filled(size, 2);
        let mut destination = vec![0u8; size];
        g.bench_function(BenchmarkId::new("std", label), |b| {
            b.iter(|| black_box(&mut destination[..]).copy_from_slice(black_box(&source[..])))
        });
        let list = copy_list(&[naa(0), naa(1)], 0, 1, blocks as u16, 0, 0);
        let cdb = xcopy_cdb(list.len());
        let mut units =
            [Unit::thick(&mut source, BLOCK as u32, naa(0)), Unit::thick(&mut destination, BLOCK as u32, naa(1))];
        let mut fp = FastPath::new(&mut units, limits(), false, AllowAll).unwrap();
        let mut extents = vec![Extent::EMPTY; max_extents(&fp.limits)];
        g.bench_function(BenchmarkId::new("fastpath", label), |b| {
            b.iter(|| {
                let r = fp.execute(
                    &Request { initiator: b"bench", lun: 0, cdb: black_box(&cdb), data_out: black_box(&list) },
                    &mut [],
                    &mut extents,
                );
                assert_eq!(r.status, GOOD);
            })
        });
    }
    g.finish();
}

fn zero(c: &mut Criterion) {
    let mut g = c.benchmark_group("zero");
    for (size, label) in SIZES {
        g.throughput(Throughput::Bytes(size as u64));
        let mut data = filled(size, 3);
        g.bench_function(BenchmarkId::new("std", label), |b| b.iter(|| black_box(&mut data[..]).fill(0)));
        // WRITE SAME (16) with NDOB: zeros, no data-out.
        let mut cdb = [0u8; 16];
        cdb[0] = 0x93;
        cdb[1] = 0x01;
        cdb[10..14].copy_from_slice(&((size / BLOCK) as u32).to_be_bytes());
        let mut units = [Unit::thick(&mut data, BLOCK as u32, naa(0))];
        let mut fp = FastPath::new(&mut units, limits(), false, AllowAll).unwrap();
        let mut extents = vec![Extent::EMPTY; max_extents(&fp.limits)];
        g.bench_function(BenchmarkId::new("fastpath", label), |b| {
            b.iter(|| {
                let r = fp.execute(
                    &Request { initiator: b"bench", lun: 0, cdb: black_box(&cdb), data_out: &[] },
                    &mut [],
                    &mut extents,
                );
                assert_eq!(r.status, GOOD);
            })
        });
    }
    g.finish();
}

fn caw_cdb(blocks: usize) -> [u8; 16] {
    let mut c = [0u8; 16];
    c[0] = 0x89;
    c[13] = blocks as u8;
    c
}

/// COMPARE AND WRITE, matching (`miss` false: compare, then write the same contents back) or differing
/// at the last byte (compare only).
fn caw(c: &mut Criterion, group: &str, miss: bool) {
    let mut g = c.benchmark_group(group);
    for (size, label) in SIZES {
        g.throughput(Throughput::Bytes(size as u64));
        let mut media = filled(size, 4);
        // Compare data then write data, as COMPARE AND WRITE's data-out holds them.
        let mut data_out = [media.clone(), media.clone()].concat();
        if miss {
            data_out[size - 1] ^= 0x01;
        }
        let (compare, write) = data_out.split_at(size);
        g.bench_function(BenchmarkId::new("std", label), |b| {
            b.iter(|| {
                let media = black_box(&mut media[..]);
                if media == black_box(compare) {
                    media.copy_from_slice(write);
                }
            })
        });
        let blocks = size / BLOCK;
        if blocks <= 255 {
            let cdb = caw_cdb(blocks);
            let mut units = [Unit::thick(&mut media, BLOCK as u32, naa(0))];
            let mut fp = FastPath::new(&mut units, limits(), false, AllowAll).unwrap();
            let mut extents = vec![Extent::EMPTY; max_extents(&fp.limits)];
            let expected = if miss { 2 } else { GOOD };
            g.bench_function(BenchmarkId::new("fastpath", label), |b| {
                b.iter(|| {
                    let r = fp.execute(
                        &Request { initiator: b"bench", lun: 0, cdb: black_box(&cdb), data_out: black_box(&data_out) },
                        &mut [],
                        &mut extents,
                    );
                    assert_eq!(r.status, expected);
                })
            });
        } else {
            g.bench_function(BenchmarkId::new("fastpath", label), |b| {
                b.iter(|| {
                    let r = primitives::compare_and_write(black_box(&mut media[..]), black_box(compare), write);
                    assert_eq!(r.is_err(), miss);
                })
            });
        }
    }
    g.finish();
}

fn caw_miscompare(c: &mut Criterion) {
    caw(c, "caw_miscompare", true);
}

fn caw_match(c: &mut Criterion) {
    caw(c, "caw_match", false);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1000))
        .nresamples(10_000)
        .without_plots();
    targets = copy_within_unit, copy_across_units, zero, caw_miscompare, caw_match
}
criterion_main!(benches);
