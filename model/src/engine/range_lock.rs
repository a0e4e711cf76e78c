//! The range-lock unit. Each job holds, for its whole run, an exclusive lock on the range it writes and a
//! shared lock on each range it only reads ([`Job::exclusive_range`], [`Job::shared_ranges`]: a compare
//! holds both of its sides shared). Two jobs conflict when one's exclusive range overlaps anything the
//! other holds ([`Job::conflicts_with`]). Because conflicting jobs never run at once, running every job at the moment its locks
//! are granted gives the result of a serial execution in grant order: the commit order.

use super::Job;

/// A held entry: the job's ranges are its locks.
#[derive(Clone, Debug)]
struct Entry {
    owner: u32,
    job: Job,
}

/// A table of at most `capacity` jobs' locks.
#[derive(Clone, Debug)]
pub struct RangeLockUnit {
    capacity: usize,
    held: Vec<Entry>,
}

impl RangeLockUnit {
    pub fn new(capacity: usize) -> Self {
        RangeLockUnit { capacity, held: Vec::with_capacity(capacity) }
    }

    /// True when `job`'s locks can be granted now: a free entry, and no conflict with any held lock.
    pub fn can_grant(&self, job: &Job) -> bool {
        self.held.len() < self.capacity && self.held.iter().all(|e| !job.conflicts_with(&e.job))
    }

    /// Records `job`'s locks under `owner`. The caller has checked [`Self::can_grant`].
    pub fn grant(&mut self, owner: u32, job: &Job) {
        debug_assert!(self.can_grant(job));
        self.held.push(Entry { owner, job: job.clone() });
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
    fn compares_share_both_sides() {
        let compare = |src: u64, dst: u64| Job { op: JobOp::Compare, ..copy(src, dst, 10) };
        let mut locks = RangeLockUnit::new(4);
        locks.grant(0, &compare(0, 100));
        assert!(locks.can_grant(&compare(0, 100)), "a second compare of the same blocks");
        assert!(locks.can_grant(&copy(105, 300, 1)), "a read of the compared destination");
        assert!(!locks.can_grant(&copy(300, 105, 1)), "a write into the compared destination");
        assert!(!locks.can_grant(&copy(300, 5, 1)), "a write into the compared source");
        locks.grant(1, &copy(105, 300, 1));
        assert!(!locks.can_grant(&compare(300, 1000)), "a compare of a held destination");
    }

    #[test]
    fn a_full_table_grants_nothing() {
        let mut locks = RangeLockUnit::new(1);
        locks.grant(0, &copy(0, 100, 1));
        assert!(!locks.can_grant(&copy(1000, 2000, 1)));
        assert_eq!(locks.held(), 1);
    }
}
