//! Turns the criterion results of `benches/primitives.rs` into a markdown table: for each size and
//! primitive, the standard primitive's time, the fast path's, and the ratio (standard ÷ fast path: 1.0
//! is as fast, the goal is 0.9 or better from 64 KiB up).
//!
//! Reads `<criterion home>/<group>/<std|fastpath>/<size>/new/estimates.json` (the median), the criterion
//! home being the first argument, else `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`, else the
//! workspace's `target/criterion`. The last column is the reference model's time for the same command
//! (`model/benches/throughput.rs`, group `model/<command>/<bytes>`), where it was measured.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// (criterion group, standard primitive, fast path, the model's benchmark of the same command)
const ROWS: [(&str, &str, &str, Option<&str>); 5] = [
    ("copy_within_unit", "`copy_within`", "EXTENDED COPY, one segment within a unit", None),
    ("copy_across_units", "`copy_from_slice`", "EXTENDED COPY, one segment across units", Some("copy")),
    ("zero", "`fill(0)`", "WRITE SAME (16) NDOB", Some("zero")),
    ("caw_miscompare", "`==` (differs at the last byte)", "COMPARE AND WRITE, miscompare at the last byte", None),
    ("caw_match", "`==` + `copy_from_slice`", "COMPARE AND WRITE, match", Some("compare_and_write")),
];
const SIZES: [(&str, u64); 4] = [("4KiB", 4 << 10), ("64KiB", 64 << 10), ("1MiB", 1 << 20), ("16MiB", 16 << 20)];
/// COMPARE AND WRITE moves at most 255 blocks: from 1 MiB on, the bench calls the range primitive.
const CAW_BY_PRIMITIVE: [&str; 2] = ["1MiB", "16MiB"];

fn criterion_home() -> PathBuf {
    if let Some(dir) = std::env::args_os().nth(1) {
        return dir.into();
    }
    if let Some(dir) = std::env::var_os("CRITERION_HOME") {
        return dir.into();
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return Path::new(&dir).join("criterion");
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("target").join("criterion")
}

/// The median time in nanoseconds of one benchmark.
fn median_ns(home: &Path, group: &str, function: &str, size: &str) -> Result<f64, String> {
    let path = home.join(group).join(function).join(size).join("new").join("estimates.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    json["median"]["point_estimate"].as_f64().ok_or_else(|| format!("{}: no median", path.display()))
}

fn format_ns(ns: f64) -> String {
    if ns >= 100.0 { format!("{ns:.0}") } else { format!("{ns:.1}") }
}

fn main() -> ExitCode {
    let home = criterion_home();
    println!("| size | primitive | std ns | fast path | fast path ns | ratio | model ns |");
    println!("|---:|---|---:|---|---:|---:|---:|");
    let mut missing = Vec::new();
    let (mut checked, mut met) = (0, 0);
    for (size, bytes) in SIZES {
        for (group, primitive, fast_path, model) in ROWS {
            let (std_ns, fast_ns) =
                match (median_ns(&home, group, "std", size), median_ns(&home, group, "fastpath", size)) {
                    (Ok(s), Ok(f)) => (s, f),
                    (s, f) => {
                        missing.extend(s.err().into_iter().chain(f.err()));
                        continue;
                    }
                };
            let ratio = std_ns / fast_ns;
            let via = if group.starts_with("caw") && CAW_BY_PRIMITIVE.contains(&size) {
                " (via `primitives::compare_and_write`)"
            } else {
                ""
            };
            let goal = if size == "4KiB" {
                ""
            } else {
                checked += 1;
                if ratio >= 0.9 {
                    met += 1;
                    ""
                } else {
                    " (below 0.9)"
                }
            };
            let model_ns = model
                .and_then(|m| median_ns(&home, "model", m, &bytes.to_string()).ok())
                .map_or_else(|| "–".to_owned(), format_ns);
            println!(
                "| {size} | {primitive} | {} | {fast_path}{via} | {} | {ratio:.2}{goal} | {model_ns} |",
                format_ns(std_ns),
                format_ns(fast_ns)
            );
        }
    }
    println!();
    println!("ratio = std ÷ fast path (medians); goal 0.9 or better from 64 KiB up: {met} of {checked} rows.");
    if !missing.is_empty() {
        eprintln!("missing results (run `make bench` or `cargo bench -p offload-fastpath` first):");
        for m in &missing {
            eprintln!("  {m}");
        }
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
