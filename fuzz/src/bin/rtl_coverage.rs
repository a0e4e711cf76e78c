//! `offload-fuzz-rtl-coverage OUT_FILE CORPUS_DIR...`: replays every input of the `engine_jobs_rtl`
//! corpora on the RTL and the model, sums how often each branch and block of the RTL ran, and writes the
//! sums to `OUT_FILE` in Verilator's `coverage.dat` format (`verilator_coverage --annotate DIR OUT_FILE`
//! marks the RTL lines no input reached). Prints the points covered; fails if an input makes the RTL
//! and the model disagree.

use std::path::PathBuf;
use std::process::ExitCode;

use offload_cosim::Variant;
use offload_cosim::report::RtlCoverage;
use offload_cosim::rtl::{check_coverage_output, write_coverage};
use offload_fuzz::rtl_jobs::engine_jobs_rtl_with_coverage;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [out, corpora @ ..] = args.as_slice() else {
        eprintln!("usage: offload-fuzz-rtl-coverage OUT_FILE CORPUS_DIR...");
        return ExitCode::from(2);
    };
    if let Err(e) = check_coverage_output(Variant::Reference, out) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    let mut inputs = Vec::new();
    for dir in corpora {
        match std::fs::read_dir(dir) {
            Ok(entries) => inputs.extend(entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file())),
            Err(e) => {
                eprintln!("{}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
    }
    inputs.sort();

    let mut total = RtlCoverage::default();
    let (mut replayed, mut disagreements) = (0, 0);
    for input in &inputs {
        let bytes = match std::fs::read(input) {
            Ok(bytes) => bytes,
            // A fuzzer running on the corpus replaces inputs with shorter ones.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                eprintln!("{}: {e}", input.display());
                return ExitCode::FAILURE;
            }
        };
        replayed += 1;
        let (result, counts) = engine_jobs_rtl_with_coverage(&bytes);
        if let Err(mismatch) = result {
            eprintln!("{}: RTL and model disagree: {mismatch}", input.display());
            disagreements += 1;
        }
        total.add(&counts);
    }

    println!("{replayed} inputs: RTL coverage {total}; {disagreements} disagreements");
    if let Err(e) = write_coverage(Variant::Reference, total.counts(), out) {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    if disagreements > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
