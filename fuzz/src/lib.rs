//! # offload-fuzz — coverage-guided and differential fuzzing of the offload kit
//!
//! The fuzz targets in `fuzz_targets/` are thin: each turns libFuzzer's bytes into commands and hands
//! them to the pieces below, which hold the reasoning.
//!
//! - [`configs`]: the targets the fuzzers run on — small logical units inside the fast path's supported
//!   configuration, with initial media from the vectors' generator.
//! - [`pair`]: the reference model and the fast path side by side over the same configuration, one command
//!   at a time; any difference in status, sense, data-in, media or provisioning is a [`pair::Mismatch`].
//! - [`sense`]: what every answer must satisfy whatever the input (the model alone, where there is no
//!   second implementation to compare with).
//! - [`sequence`]: the structured input of the command-sequence target, with its byte layout written down
//!   so that seeds can be encoded from the golden vectors.
//! - [`seeds`]: seed corpora built from `vectors/data/*.jsonl`.
//! - [`iscsi`]: the iSCSI target's connection driven over memory by a scripted initiator, with an oracle
//!   for sequence numbers, tags, Rejects and the data-out each command reached the back end with.
//! - `rtl_jobs` (feature `rtl`): engine job sequences on the RTL and the model through `offload-cosim`.
//! - [`targets`]: each fuzz target's body, a function from bytes to a [`targets::Finding`] or nothing.

pub mod configs;
pub mod iscsi;
pub mod pair;
#[cfg(feature = "rtl")]
pub mod rtl_jobs;
pub mod seeds;
pub mod sense;
pub mod sequence;
pub mod targets;
