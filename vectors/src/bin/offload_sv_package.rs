//! Writes the SystemVerilog package `rtl/offload_pkg.sv` generated from the contract
//! (`offload_vectors::sv::package`), or with `--check` fails if the file differs.
//!
//! ```sh
//! cargo run -p offload-vectors --bin offload-sv-package -- rtl/offload_pkg.sv
//! cargo run -p offload-vectors --bin offload-sv-package -- --check rtl/offload_pkg.sv
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (check, path) = match args.as_slice() {
        [flag, path] if flag == "--check" => (true, path),
        [path] if !path.starts_with('-') => (false, path),
        _ => {
            eprintln!("usage: offload-sv-package [--check] PATH");
            return ExitCode::from(2);
        }
    };
    let text = offload_vectors::sv::package();
    if check {
        return match std::fs::read_to_string(path) {
            Ok(on_disk) if on_disk == text => ExitCode::SUCCESS,
            Ok(_) => {
                eprintln!("{path} is out of date: run `make rtl-package`");
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("{path}: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match std::fs::write(path, text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{path}: {e}");
            ExitCode::FAILURE
        }
    }
}
