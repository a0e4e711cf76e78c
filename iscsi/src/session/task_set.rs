//! The task set of each logical unit, shared by every I_T nexus (the control mode page reports TST
//! 000b), and the order its task attributes ask for (SAM-5 8.6).
//!
//! - **SIMPLE** tasks may run in any order and at the same time (QUEUE ALGORITHM MODIFIER 1: unrestricted
//!   reordering); the back end keeps each command atomic.
//! - An **ORDERED** task starts once every task that entered the task set before it has ended, and no
//!   task that enters after it starts before it ends: it holds the task set alone.
//! - **HEAD OF QUEUE** runs as a SIMPLE task: a session's commands execute in the order they arrive, so
//!   no dormant task of its own is ahead of it, and it is not held behind other sessions' tasks — only
//!   behind an ORDERED task already waiting, which entered first.
//! - Untagged and ACA (no ACA condition is ever established: NormACA is 0) run as SIMPLE, as the other
//!   values the field may carry.
//!
//! The writer-preferring lock is what gives ORDERED its place: once it waits, later tasks wait behind it.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

/// A SCSI Command PDU's ATTR field (RFC 7143 11.3.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TaskAttribute {
    Untagged,
    Simple,
    Ordered,
    HeadOfQueue,
    Aca,
}

impl TaskAttribute {
    pub(crate) fn from_field(attr: u8) -> TaskAttribute {
        match attr & 0x07 {
            0 => TaskAttribute::Untagged,
            2 => TaskAttribute::Ordered,
            3 => TaskAttribute::HeadOfQueue,
            4 => TaskAttribute::Aca,
            _ => TaskAttribute::Simple,
        }
    }
}

/// The task sets of a target's logical units.
pub(crate) struct TaskSets {
    units: Vec<RwLock<()>>,
}

/// A task's place in its task set while it runs: beside other SIMPLE tasks, alone (ORDERED), or neither
/// (a LUN with no unit: nothing to order against).
pub(crate) struct Running<'s> {
    _beside: Option<RwLockReadGuard<'s, ()>>,
    _alone: Option<RwLockWriteGuard<'s, ()>>,
}

impl TaskSets {
    pub(crate) fn new(units: usize) -> TaskSets {
        TaskSets { units: (0..units).map(|_| RwLock::new(())).collect() }
    }

    /// Enters a task with `attribute` into `lun`'s task set, waiting as its attribute says; it leaves
    /// when the returned value is dropped.
    pub(crate) fn enter(&self, lun: u16, attribute: TaskAttribute) -> Running<'_> {
        let Some(set) = self.units.get(usize::from(lun)) else { return Running { _beside: None, _alone: None } };
        // A task that panicked while holding the set leaves it as it was: nothing is guarded but order.
        match attribute {
            TaskAttribute::Ordered => {
                Running { _beside: None, _alone: Some(set.write().unwrap_or_else(|poisoned| poisoned.into_inner())) }
            }
            _ => Running { _beside: Some(set.read().unwrap_or_else(|poisoned| poisoned.into_inner())), _alone: None },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn the_attribute_field_maps_as_rfc_7143_numbers_it() {
        let all: Vec<TaskAttribute> = (0..8).map(TaskAttribute::from_field).collect();
        use TaskAttribute::*;
        assert_eq!(all, [Untagged, Simple, Ordered, HeadOfQueue, Aca, Simple, Simple, Simple]);
    }

    #[test]
    fn simple_tasks_run_together_and_an_ordered_task_waits_for_them_and_holds_back_later_ones() {
        let sets = TaskSets::new(2);
        let first = sets.enter(0, TaskAttribute::Simple);
        // A second SIMPLE task and a task on another unit need not wait.
        let second = sets.enter(0, TaskAttribute::HeadOfQueue);
        let other = sets.enter(1, TaskAttribute::Ordered);
        let started = AtomicUsize::new(0);
        let (sets, started) = (&sets, &started);
        std::thread::scope(|s| {
            let (tx, rx) = mpsc::channel();
            s.spawn(move || {
                let _ordered = sets.enter(0, TaskAttribute::Ordered);
                started.fetch_add(1, Ordering::SeqCst);
                tx.send(()).unwrap();
                std::thread::sleep(Duration::from_millis(50));
                started.fetch_add(10, Ordering::SeqCst);
            });
            assert!(rx.recv_timeout(Duration::from_millis(100)).is_err(), "ORDERED waits for the running tasks");
            drop((first, second));
            rx.recv_timeout(Duration::from_secs(10)).expect("ORDERED starts once they end");
            // A task entering now waits until the ORDERED one has ended.
            let _later = sets.enter(0, TaskAttribute::Simple);
            assert_eq!(started.load(Ordering::SeqCst), 11, "the later task ran after the ORDERED task ended");
        });
        drop(other);
        // A LUN with no unit orders nothing: two ORDERED tasks there do not wait for each other.
        let _a = sets.enter(7, TaskAttribute::Ordered);
        let _b = sets.enter(7, TaskAttribute::Ordered);
    }
}
