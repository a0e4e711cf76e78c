//! The physical anchors of `make iscsi-bench`: what this machine's memory does on its own, measured in
//! the same run as the loads they are compared with. Prints `key=value` lines, in seconds:
//!
//! - `memcpy`: copying `--bytes` between two buffers already touched (median of `--repeats`; with
//!   `memcpy_min` and `memcpy_max`, the fastest and slowest run): the floor of a clone;
//! - `memset`: filling a touched buffer (median; `memset_min`, `memset_max`): the floor of an eager-zero;
//! - `memset_first_touch`: filling a fresh mapping, page faults and the kernel's page clearing included —
//!   what a write into memory never written before costs on top of `memset`.
//!
//! ```sh
//! cargo run --release -p offload-iscsi --example anchors -- --bytes 1073741824
//! ```

use std::hint::black_box;
use std::time::Instant;

use clap::Parser;

#[derive(Parser)]
#[command(about = "memcpy and memset anchors for make iscsi-bench")]
struct Args {
    /// Bytes each anchor moves.
    #[arg(long, default_value_t = 1 << 30)]
    bytes: usize,
    /// Runs of memcpy and memset; the median is printed.
    #[arg(long, default_value_t = 5)]
    repeats: usize,
}

/// Seconds `f` takes.
fn time(f: impl FnOnce()) -> f64 {
    let began = Instant::now();
    f();
    began.elapsed().as_secs_f64()
}

/// The median, fastest and slowest of `runs` runs of `f`.
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

fn spread(runs: usize, mut f: impl FnMut() -> f64) -> Spread {
    let mut t: Vec<f64> = (0..runs.max(1)).map(|_| f()).collect();
    t.sort_by(f64::total_cmp);
    Spread { median: t[t.len() / 2], min: t[0], max: t[t.len() - 1] }
}

fn main() {
    let args = Args::parse();
    // First touch: `vec![0; n]` maps zero pages lazily, so the fill below faults every page in.
    let mut fresh = vec![0u8; args.bytes];
    let first_touch = time(|| fresh.fill(0x5A));
    // Now committed: the destination of the timed runs below.
    let mut destination = black_box(fresh);
    let source = vec![0xA5u8; args.bytes];
    let memcpy = spread(args.repeats, || {
        let t = time(|| destination.copy_from_slice(black_box(&source)));
        black_box(&destination);
        t
    });
    let mut byte = 0u8;
    let memset = spread(args.repeats, || {
        byte = byte.wrapping_add(1); // a different value each run, so no run is a no-op
        let t = time(|| destination.fill(black_box(byte)));
        black_box(&destination);
        t
    });
    println!("bytes={}", args.bytes);
    println!("repeats={}", args.repeats.max(1));
    for (name, s) in [("memcpy", memcpy), ("memset", memset)] {
        println!("{name}={:.6}", s.median);
        println!("{name}_min={:.6}", s.min);
        println!("{name}_max={:.6}", s.max);
    }
    println!("memset_first_touch={first_touch:.6}");
}
