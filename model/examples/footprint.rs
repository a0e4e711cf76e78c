//! Memory footprint of sparse logical units: `make footprint` prints, for 1 TiB units, the heap the unit
//! store accounts for and the growth of the process's resident set (VmRSS) as blocks are written.

use offload_model::config::{TargetConfig, UnitConfig};
use offload_model::scsi::{Request, Target};

/// Resident set size in KiB, from /proc/self/status.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn write16(lba: u64) -> Vec<u8> {
    let mut c = vec![0u8; 16];
    c[0] = 0x8A;
    c[2..10].copy_from_slice(&lba.to_be_bytes());
    c[10..14].copy_from_slice(&1u32.to_be_bytes());
    c
}

fn main() {
    println!("| unit | block size | blocks written | store footprint | RSS growth |");
    println!("|---|---:|---:|---:|---:|");
    for block_size in [512u32, 4096] {
        for written in [0u64, 3, 1000] {
            let before = rss_kib();
            let blocks = (1u64 << 40) / u64::from(block_size);
            let unit = UnitConfig { blocks, block_size, ..UnitConfig::default() };
            let mut t = Target::new(TargetConfig { units: vec![unit], ..TargetConfig::default() }).expect("valid");
            // Scatter the writes over the whole unit so that each lands in its own bitmap chunk.
            for i in 0..written {
                let lba = i * (blocks / written.max(1));
                let data = vec![(i as u8) | 1; block_size as usize];
                let r =
                    t.execute(&Request { initiator: "footprint".into(), lun: 0, cdb: write16(lba), data_out: data });
                assert_eq!(r.status, 0);
            }
            let footprint = t.memory.units[0].footprint_bytes();
            let growth = rss_kib().saturating_sub(before);
            println!("| 1 TiB thin | {block_size} | {written} | {:.1} KiB | {growth} KiB |", footprint as f64 / 1024.0);
        }
    }
}
