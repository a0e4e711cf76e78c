//! The reference model's throughput on the offload commands, at the sizes the fast path is measured at
//! (`make bench` prints both in one table). The model is the executable spec, not the fast path: these
//! figures say how long vector generation and co-simulation spend in it.

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use offload_model::config::{Limits, TargetConfig, UnitConfig};
use offload_model::scsi::{Request, Target};
use offload_vectors::cdb::{compare_and_write, copy_list, cscd, extended_copy, segment, write_same16, write16};

const SIZES: [usize; 4] = [4 << 10, 64 << 10, 1 << 20, 16 << 20];
const BS: usize = 512;

fn target() -> Target {
    let unit = UnitConfig { blocks: (64 << 20) / BS as u64, block_size: BS as u32, ..UnitConfig::default() };
    let mut limits = Limits { max_transfer_blocks: 65_536, max_write_same_blocks: 65_536, ..Limits::default() };
    limits.copy.max_segment_bytes = 32 << 20;
    let mut t = Target::new(TargetConfig { units: vec![unit.clone(), unit], limits, ..TargetConfig::default() })
        .expect("valid");
    // Non-zero source data, so that the copy moves real blocks.
    let data: Vec<u8> = (0..16 << 20).map(|i: usize| (i as u8) | 1).collect();
    for chunk in 0..2 {
        let lba = (chunk * (16 << 20) / BS) as u64;
        assert_eq!(run(&mut t, 0, write16(lba, ((16 << 20) / BS) as u32), data.clone()), 0);
    }
    t
}

fn run(t: &mut Target, lun: u16, cdb: Vec<u8>, data_out: Vec<u8>) -> u8 {
    t.execute(&Request { initiator: "bench".into(), lun, cdb, data_out }).status
}

fn naa(t: &mut Target, lun: u16) -> Vec<u8> {
    let page = t.execute(&Request {
        initiator: "bench".into(),
        lun,
        cdb: offload_vectors::cdb::inquiry(true, 0x83, 64),
        data_out: vec![],
    });
    page.data_in[8..24].to_vec()
}

fn model_throughput(c: &mut Criterion) {
    let mut g = c.benchmark_group("model");
    g.sample_size(10)
        .measurement_time(std::time::Duration::from_secs(2))
        .warm_up_time(std::time::Duration::from_millis(300));
    let mut t = target();
    let (n0, n1) = (naa(&mut t, 0), naa(&mut t, 1));
    for size in SIZES {
        g.throughput(Throughput::Bytes(size as u64));
        // One segment: even 16 MiB (32768 blocks) fits its 16-bit block count.
        let list = copy_list(0, 0b11, &[cscd(&n0, 512), cscd(&n1, 512)], &[segment(0, 1, (size / BS) as u16, 0, 0)]);
        g.bench_with_input(BenchmarkId::new("copy", size), &list, |b, list| {
            b.iter(|| assert_eq!(run(&mut t, 0, extended_copy(list.len() as u32), list.clone()), 0))
        });
        let zero = vec![0u8; BS];
        g.bench_with_input(BenchmarkId::new("zero", size), &size, |b, &size| {
            b.iter(|| assert_eq!(run(&mut t, 1, write_same16(0, 0, (size / BS) as u32), zero.clone()), 0))
        });
        // COMPARE AND WRITE moves at most 255 blocks per command: measured up to 64 KiB of 512-byte blocks.
        if size <= 64 << 10 {
            let n = (size / BS) as u8;
            g.bench_with_input(BenchmarkId::new("compare_and_write", size), &size, |b, &size| {
                // LUN 1 holds zeros (the zero fill above): compare zeros, write zeros — a match every time.
                b.iter_batched(
                    || vec![0u8; 2 * size],
                    |data| assert_eq!(run(&mut t, 1, compare_and_write(0, n), data), 0),
                    BatchSize::LargeInput,
                )
            });
        }
    }
    g.finish();
}

criterion_group!(benches, model_throughput);
criterion_main!(benches);
