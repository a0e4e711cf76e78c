//! `module-cycles ROOT...`: reports the cycles among the modules of each crate root given.
//!
//! Exit status 0 when no root has a cycle, 1 when one has, 2 when a root cannot be read or parsed (or
//! the arguments are wrong).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Reports every cycle among a crate's modules: modules, neither containing the other, whose code
/// reaches each other through `use` items or paths.
#[derive(Parser)]
#[command(name = "module-cycles")]
struct Arguments {
    /// Crate root files: src/lib.rs, src/main.rs, src/bin/x.rs, ...
    #[arg(required = true)]
    roots: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let arguments = Arguments::parse();
    let mut any_cycle = false;
    let mut any_error = false;
    for root in &arguments.roots {
        match offload_module_cycles::check(root) {
            Ok(report) => {
                any_cycle |= !report.cycles.is_empty();
                print!("module-cycles: {report}");
            }
            Err(error) => {
                any_error = true;
                eprintln!("module-cycles: {error}");
            }
        }
    }
    if any_error {
        ExitCode::from(2)
    } else if any_cycle {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
