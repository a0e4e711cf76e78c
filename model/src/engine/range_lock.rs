//! The range-lock unit. Each job holds, for its whole run, an exclusive lock on the range it writes and a
//! shared lock on the range it only reads. Two jobs conflict when one's exclusive range overlaps anything
//! the other holds. Because conflicting jobs never run at once, running every job at the moment its locks
//! are granted gives the result of a serial execution in grant order: the commit order.

use std::ops::Range;

use super::Job;

#[derive(Clone, Debug)]
struct Entry {
    owner: u32,
    exclusive: Range<u64>,
    shared: Option<Range<u64>>,
}

/// A table of at most `capacity` jobs' locks.
#[derive(Clone, Debug)]
pub struct RangeLockUnit {
    capacity: usize,
    held: Vec<Entry>,
}

fn overlaps(a: &Range<u64>, b: &Range<u64>) -> bool {
    a.start < b.end && b.start < a.end
}

impl RangeLockUnit {
    pub fn new(capacity: usize) -> Self {
        RangeLockUnit { capacity, held: Vec::with_capacity(capacity) }
    }

    /// True when `job`'s locks can be granted now: a free entry, and no conflict with any held lock.
    pub fn can_grant(&self, job: &Job) -> bool {
        let exclusive = job.exclusive_range();
        let shared = job.shared_range();
        self.held.len() < self.capacity
            && self.held.iter().all(|e| {
                let writes_what_other_holds =
                    overlaps(&exclusive, &e.exclusive) || e.shared.as_ref().is_some_and(|s| overlaps(&exclusive, s));
                let reads_what_other_writes = shared.as_ref().is_some_and(|s| overlaps(s, &e.exclusive));
                !writes_what_other_holds && !reads_what_other_writes
            })
    }

    /// Records `job`'s locks under `owner`. The caller has checked [`Self::can_grant`].
    pub fn grant(&mut self, owner: u32, job: &Job) {
        debug_assert!(self.can_grant(job));
        self.held.push(Entry { owner, exclusive: job.exclusive_range(), shared: job.shared_range() });
    }

    pub fn release(&mut self, owner: u32) {
        self.held.retain(|e| e.owner != owner);
    }

    pub fn held(&self) -> usize {
        self.held.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::JobOp;

    fn copy(src: u64, dst: u64, blocks: u32) -> Job {
        Job { tag: 0, op: JobOp::Copy, src: src * 512, dst: dst * 512, blocks, block_shift: 9 }
    }

    #[test]
    fn shared_sources_coexist_and_writes_exclude() {
        let mut locks = RangeLockUnit::new(4);
        locks.grant(0, &copy(0, 100, 10));
        assert!(locks.can_grant(&copy(0, 200, 10)), "two readers of one source");
        assert!(!locks.can_grant(&copy(300, 105, 1)), "write into a held destination");
        assert!(!locks.can_grant(&copy(300, 5, 1)), "write into a shared source");
        assert!(!locks.can_grant(&copy(109, 400, 1)), "read of a held destination");
        assert!(locks.can_grant(&copy(110, 10, 90)), "adjacent ranges do not overlap");
        locks.release(0);
        assert!(locks.can_grant(&copy(300, 105, 1)));
    }

    #[test]
    fn a_full_table_grants_nothing() {
        let mut locks = RangeLockUnit::new(1);
        locks.grant(0, &copy(0, 100, 1));
        assert!(!locks.can_grant(&copy(1000, 2000, 1)));
        assert_eq!(locks.held(), 1);
    }
}
