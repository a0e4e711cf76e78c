//! # offload-model — the executable specification of the offload block
//!
//! A cycle-approximate reference model of a storage-array controller's SCSI offload block, the judge
//! that the RTL and the software fast path are held to.
//!
//! Reading order, top to bottom:
//! - [`scsi`]: the SCSI front end (SBC-4 / SPC-4) — CDB decoding, parameter lists, sense data, VPD
//!   pages — turning each command into engine jobs.
//! - [`engine`]: jobs in, completions out — the copy engine, the zero engine, the compare-and-write unit,
//!   the range-lock unit and the scheduler; the interface the RTL implements one-for-one.
//! - [`timing`]: the parameters shared with the RTL and the cycle equations; [`timing::port`], the
//!   shared-port model of a whole multi-queue run.
//! - [`perf`]: `offload perf`, the shared-port model over a workload and a parameter sweep.
//! - [`media`] and [`address`]: sparse logical units and the flat address map the engines see.
//! - [`config`]: units, access map, advertised limits.
//!
//! The configuration, the address map and the job and completion types are the kit's contract and are
//! defined in `offload-vectors`; they are re-exported here under the same names.
//! - [`script`]: the `offload run` script format.

pub mod engine;
pub mod image;
pub mod media;
pub mod perf;
pub mod script;
pub mod scsi;
pub mod timing;
pub mod vectors;

pub use offload_vectors::{address, config};
