//! Memory footprint of the iSCSI target's back ends on 3 TiB thin units, for `make iscsi-footprint`: the
//! growth of the process's resident set (VmRSS) when a back end is built, as blocks are written (scattered
//! single blocks, or one contiguous run), and after UNMAP released them; and the time and memory it takes
//! to open a 3 TiB sparse image. Prints a Markdown table (also in iscsi/reports/footprint.md); the model's
//! own unit-store figures are model/reports/footprint.md.
//!
//! Each case runs in a fresh process (this program re-runs itself with `--case`), so that memory one case
//! left with the allocator does not count for the next.

use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::process::Command as Process;
use std::time::Instant;

use offload_iscsi::backend::{self, Backend, BackendKind, Command, Media};
use offload_iscsi::target::DEFAULT_TARGET_NAME;
use offload_model::config::{TargetConfig, UnitConfig};
use offload_vectors::cdb;

const BLOCK: u64 = 512;
const BLOCKS: u64 = 3 * (1 << 40) / BLOCK;
/// Scattered writes: single blocks spread evenly over the unit.
const SCATTERED: u64 = 1000;
/// A contiguous run: 64 MiB, in the largest transfers the limits allow (4 MiB).
const RUN_BLOCKS: u64 = (64 << 20) / BLOCK;
const CHUNK: u64 = 8192;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = status.lines().find_map(|l| l.strip_prefix("VmRSS:"));
    field.and_then(|v| v.split_whitespace().next()?.parse().ok()).unwrap_or(0)
}

fn thin_unit() -> UnitConfig {
    UnitConfig { blocks: BLOCKS, block_size: BLOCK as u32, thin: true, ..UnitConfig::default() }
}

fn run(b: &mut dyn Backend, cdb: &[u8], data_out: &[u8]) {
    let answer = b.execute(&Command { initiator: "iqn.footprint", lun: 0, cdb, data_out }).expect("executed");
    assert_eq!(answer.status, 0, "CDB {cdb:02x?}: sense {:02x?}", answer.sense);
}

fn unmap(b: &mut dyn Backend, ranges: &[(u64, u32)]) {
    for part in ranges.chunks(64) {
        let list = cdb::unmap_list(part);
        run(b, &cdb::unmap(false, list.len() as u16), &list);
    }
}

fn kind_of(name: &str) -> BackendKind {
    if name == "fastpath" { BackendKind::FastPath } else { BackendKind::Model }
}

/// One memory case: build, write, release; prints `start written released` in KiB of RSS growth.
fn memory_case(kind: BackendKind, contiguous: bool) {
    let before = rss_kib();
    let config = TargetConfig { units: vec![thin_unit()], ..TargetConfig::default() };
    let mut b = backend::build(kind, config, &Media::Memory, DEFAULT_TARGET_NAME).expect("built");
    let built = rss_kib();
    let ranges: Vec<(u64, u32)> = if contiguous {
        let lba = (1 << 32) + 12_345;
        (0..RUN_BLOCKS / CHUNK).map(|k| (lba + k * CHUNK, CHUNK as u32)).collect()
    } else {
        (0..SCATTERED).map(|i| (i * (BLOCKS / SCATTERED) + 7, 1)).collect()
    };
    for (k, &(lba, n)) in ranges.iter().enumerate() {
        let data = vec![(k as u8) | 1; n as usize * BLOCK as usize];
        run(b.as_mut(), &cdb::write16(lba, n), &data);
    }
    let written = rss_kib();
    unmap(b.as_mut(), &ranges);
    let released = rss_kib();
    println!("{} {} {}", built - before, written as i64 - built as i64, released as i64 - built as i64);
}

/// One image case: open a 3 TiB sparse image holding the scattered blocks; prints `milliseconds KiB`.
fn image_case(kind: BackendKind, path: PathBuf) {
    let before = rss_kib();
    let started = Instant::now();
    let media = Media::Images { paths: vec![path], template: thin_unit() };
    let b = backend::build(kind, TargetConfig::default(), &media, DEFAULT_TARGET_NAME).expect("built");
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    println!("{ms:.1} {}", rss_kib() - before);
    drop(b);
}

/// Runs this program on one case and returns the numbers it printed.
fn case(args: &[&str]) -> Vec<f64> {
    let out = Process::new(std::env::current_exe().expect("own path")).arg("--case").args(args).output();
    let out = out.expect("ran");
    assert!(out.status.success(), "case {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).split_whitespace().map(|v| v.parse().expect("a number")).collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, what, kind, rest @ ..] = args.as_slice()
        && flag == "--case"
    {
        match (what.as_str(), rest) {
            ("memory", [layout]) => memory_case(kind_of(kind), layout == "contiguous"),
            ("image", [path]) => image_case(kind_of(kind), PathBuf::from(path)),
            _ => panic!("unknown case {args:?}"),
        }
        return;
    }

    println!("3 TiB thin units, 512-byte blocks. RSS growth of the process: when the back end is built, after");
    println!("the writes, and after UNMAP released what they wrote (each against the back end as built).");
    println!();
    println!("| back end | writes | built | after writing | per written block | after UNMAP |");
    println!("|---|---|---:|---:|---:|---:|");
    for kind in ["model", "fastpath"] {
        for (layout, blocks) in [("scattered", SCATTERED), ("contiguous", RUN_BLOCKS)] {
            let v = case(&["memory", kind, layout]);
            let what = match layout {
                "scattered" => format!("{SCATTERED} single blocks, spread"),
                _ => format!("{} MiB in one run", (RUN_BLOCKS * BLOCK) >> 20),
            };
            let per_block = v[1] * 1024.0 / blocks as f64;
            println!("| {kind} | {what} | {} KiB | {} KiB | {per_block:.0} B | {} KiB |", v[0], v[1], v[2]);
        }
    }

    let dir = std::env::temp_dir().join(format!("offload-footprint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    let path = dir.join("big.img");
    let file = std::fs::File::create(&path).expect("image");
    file.set_len(BLOCKS * BLOCK).expect("sparse size");
    for i in 0..SCATTERED {
        file.write_all_at(&[(i as u8) | 1; BLOCK as usize], (i * (BLOCKS / SCATTERED) + 7) * BLOCK).expect("write");
    }
    drop(file);
    println!();
    println!("Opening a 3 TiB sparse image that holds {SCATTERED} scattered blocks (only its data extents are read):");
    println!();
    println!("| back end | open time | RSS growth |");
    println!("|---|---:|---:|");
    for kind in ["model", "fastpath"] {
        let v = case(&["image", kind, path.to_str().expect("a UTF-8 path")]);
        println!("| {kind} | {:.1} ms | {} KiB |", v[0], v[1]);
    }
    std::fs::remove_dir_all(&dir).expect("clean up");
}
