//! The engines below the SCSI layer: *jobs* in, *completions* out.
//!
//! This is the interface the RTL implements one-for-one. A job names an operation, a source and a
//! destination address in the flat map of [`crate::address`], a block count and the block size; a
//! completion returns the outcome, how many blocks were done, the first miscompare's byte offset, the
//! failing address, and the job's place in the commit order.
//!
//! - [`execute`]: what each job does to memory (the copy engine, the zero engine, the compare-and-write
//!   unit, which also runs compares).
//! - [`range_lock`]: the range-lock unit: exclusive on the destination, shared on the source (a compare,
//!   which writes nothing, holds both shared).
//! - [`scheduler`]: queues, arbitration and the cycle each job is granted and completes.

pub mod execute;
pub mod range_lock;
pub mod scheduler;

pub use offload_vectors::job::{Completion, CompletionStatus, Job, JobOp};
pub use scheduler::{JobBatch, OffloadBlock};

/// Which engine runs a job. Each engine runs one job at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EngineKind {
    Copy,
    Zero,
    CompareAndWrite,
}

/// The engine that runs jobs of `op`.
pub fn engine_of(op: JobOp) -> EngineKind {
    match op {
        JobOp::Copy => EngineKind::Copy,
        JobOp::Zero | JobOp::Pattern | JobOp::Deallocate | JobOp::Anchor => EngineKind::Zero,
        JobOp::CompareAndWrite | JobOp::Compare => EngineKind::CompareAndWrite,
    }
}
