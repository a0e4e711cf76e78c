//! # offload-cosim — the RTL held to the model
//!
//! The Verilated RTL (`rtl/`, top `offload_top`) is driven from Rust; every job it completes is
//! checked against the reference model (`offload-model`), and every cycle count against the model's
//! prediction — in the spirit of a processor co-simulation checking each retired instruction.
//!
//! Reading order:
//! - [`rtl`]: the Verilated model behind a safe handle (the only FFI).
//! - [`memory`]: the AXI4 memory slave over the model's storage: fixed or random latency,
//!   backpressure, error responses.
//! - [`scoreboard`]: completions against the model in commit order (locks, results, cycles), memory
//!   at the end.
//! - [`harness`]: the cycle loop joining them, with the job driver.
//! - [`vectors`] and [`stimulus`]: the golden vectors, and seeded random multi-queue jobs; [`workload`],
//!   an `offload perf` workload in the RTL.
//! - [`contention`]: the whole run predicted by the model's shared port, job by job against the RTL.
//! - [`report`]: the closing table.

pub mod contention;
pub mod harness;
pub mod memory;
pub mod report;
pub mod rtl;
pub mod scoreboard;
pub mod stimulus;
pub mod vectors;
pub mod workload;

pub use harness::{Harness, HarnessConfig, HarnessError, TraceWindow};
pub use memory::{Latency, MemorySlave, SlaveConfig};
pub use rtl::Variant;
pub use scoreboard::{CycleSample, Mismatch, Observed, Scoreboard};
