//! A linearizability checker for complete histories: the Wing–Gong search, with Lowe's memoisation.
//!
//! A history is a set of calls, each with the interval in which it was outstanding (invoke, return) and
//! the result it returned. It is *linearizable* against a sequential specification when its calls can
//! be put in one order that (a) keeps every call that returned before another was invoked ahead of it
//! (real time), and (b) run one after another from the initial state through the specification, gives
//! every call the result it returned (Herlihy & Wing 1990).
//!
//! The search (Wing & Gong 1993) builds that order from the front: any call not yet placed whose
//! invocation comes no later than the earliest return among the calls not yet placed is a candidate —
//! no unplaced call returned before it began. A candidate whose specified result matches the observed
//! one is placed and the search goes on from the state it left; otherwise, or when that branch fails,
//! the next candidate is tried. Lowe (2017) makes this practical: the rest of the search depends only on
//! *which* calls are placed and on the state they left, so each (placed set, state) pair reached once is
//! remembered and never explored again. The search is bounded by a budget of placements; spending it
//! is its own verdict, never taken for either answer.
//!
//! The checker knows nothing of SCSI: the specification is a [`Specification`], deterministic.
//!
//! Why not a crate: the one maintained Rust linearizability tester found (`stateright`'s
//! `LinearizabilityTester`) comes inside a whole model checker and takes its history as a stream of
//! per-thread invoke/return events; a complete history with timestamps, as recorded here, needs only
//! this search.

use std::collections::HashSet;
use std::hash::Hash;

/// A sequential specification: a state and a deterministic step.
pub trait Specification: Clone + Eq + Hash {
    type Op;
    type Ret: PartialEq;
    /// Applies `op` to the state; what a call of it returns.
    fn step(&mut self, op: &Self::Op) -> Self::Ret;
}

/// One complete call: invoked at `invoke`, returned `ret` at `ret_at` (any clock all threads share).
#[derive(Clone, Debug)]
pub struct Call<Op, Ret> {
    pub invoke: u64,
    pub ret_at: u64,
    pub op: Op,
    pub ret: Ret,
}

/// What the search concluded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A linearization: indices into the history, in order.
    Linearizable(Vec<usize>),
    /// No order explains the history. `longest` is the longest order of calls the search could place
    /// (indices), `stuck` the candidates none of which could come next after it.
    NotLinearizable { longest: Vec<usize>, stuck: Vec<usize> },
    /// The budget of placements ran out first.
    Undecided { placements: u64 },
}

/// The set of calls placed so far: one bit per call.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Placed(Vec<u64>);

impl Placed {
    fn new(calls: usize) -> Placed {
        Placed(vec![0; calls.div_ceil(64)])
    }
    fn contains(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
    fn toggle(&mut self, i: usize) {
        self.0[i / 64] ^= 1 << (i % 64);
    }
}

struct Search<'h, S: Specification> {
    history: &'h [Call<S::Op, S::Ret>],
    /// Call indices by invocation time.
    by_invoke: Vec<usize>,
    placed: Placed,
    order: Vec<usize>,
    seen: HashSet<(Placed, S)>,
    placements: u64,
    budget: u64,
    longest: Vec<usize>,
    stuck: Vec<usize>,
}

enum Outcome {
    Found,
    Exhausted,
    OutOfBudget,
}

impl<S: Specification> Search<'_, S> {
    /// The unplaced calls that may come next (by invocation time).
    fn candidates(&self) -> Vec<usize> {
        let unplaced = || self.by_invoke.iter().copied().filter(|&i| !self.placed.contains(i));
        let Some(earliest_return) = unplaced().map(|i| self.history[i].ret_at).min() else {
            return Vec::new();
        };
        unplaced().take_while(|&i| self.history[i].invoke <= earliest_return).collect()
    }

    fn explore(&mut self, state: &S) -> Outcome {
        if self.order.len() == self.history.len() {
            return Outcome::Found;
        }
        let candidates = self.candidates();
        for &i in &candidates {
            if self.placements >= self.budget {
                return Outcome::OutOfBudget;
            }
            self.placements += 1;
            let mut next = state.clone();
            if next.step(&self.history[i].op) != self.history[i].ret {
                continue;
            }
            self.placed.toggle(i);
            if self.seen.insert((self.placed.clone(), next.clone())) {
                self.order.push(i);
                match self.explore(&next) {
                    Outcome::Exhausted => {}
                    other => return other,
                }
                self.order.pop();
            }
            self.placed.toggle(i);
        }
        if self.order.len() >= self.longest.len() {
            self.longest.clone_from(&self.order);
            self.stuck = candidates;
        }
        Outcome::Exhausted
    }
}

/// Whether `history`, started from `initial`, is linearizable, placing at most `budget` calls.
pub fn check<S: Specification>(initial: &S, history: &[Call<S::Op, S::Ret>], budget: u64) -> Verdict {
    for call in history {
        assert!(call.invoke <= call.ret_at, "a call returns after it is invoked");
    }
    let mut by_invoke: Vec<usize> = (0..history.len()).collect();
    by_invoke.sort_by_key(|&i| history[i].invoke);
    let mut search = Search {
        history,
        by_invoke,
        placed: Placed::new(history.len()),
        order: Vec::new(),
        seen: HashSet::new(),
        placements: 0,
        budget,
        longest: Vec::new(),
        stuck: Vec::new(),
    };
    match search.explore(initial) {
        Outcome::Found => Verdict::Linearizable(search.order),
        Outcome::Exhausted => Verdict::NotLinearizable { longest: search.longest, stuck: search.stuck },
        Outcome::OutOfBudget => Verdict::Undecided { placements: search.placements },
    }
}

#[cfg(test)]
mod tests {
    //! The checker on hand-made histories of a register (write v / read / compare-and-set), whose
    //! verdicts follow from the definition.

    use super::*;

    #[derive(Clone, PartialEq, Eq, Hash)]
    struct Register(u8);

    #[derive(Debug)]
    enum Op {
        Write(u8),
        Read,
        Cas(u8, u8),
    }

    #[derive(Debug, PartialEq)]
    enum Ret {
        Ok,
        Value(u8),
        Cas(bool),
    }

    impl Specification for Register {
        type Op = Op;
        type Ret = Ret;
        fn step(&mut self, op: &Op) -> Ret {
            match *op {
                Op::Write(v) => {
                    self.0 = v;
                    Ret::Ok
                }
                Op::Read => Ret::Value(self.0),
                Op::Cas(old, new) => {
                    let hit = self.0 == old;
                    if hit {
                        self.0 = new;
                    }
                    Ret::Cas(hit)
                }
            }
        }
    }

    fn call(invoke: u64, ret_at: u64, op: Op, ret: Ret) -> Call<Op, Ret> {
        Call { invoke, ret_at, op, ret }
    }

    fn verdict(history: &[Call<Op, Ret>]) -> Verdict {
        check(&Register(0), history, 1_000_000)
    }

    #[test]
    fn the_empty_history_is_linearizable() {
        assert_eq!(verdict(&[]), Verdict::Linearizable(vec![]));
    }

    #[test]
    fn sequential_calls_keep_their_order() {
        // write 1 [0,1], read → 1 [2,3]: linearizable only in that order.
        let h = [call(0, 1, Op::Write(1), Ret::Ok), call(2, 3, Op::Read, Ret::Value(1))];
        assert_eq!(verdict(&h), Verdict::Linearizable(vec![0, 1]));
        // A read after the write returned must not see the old value.
        let stale = [call(0, 1, Op::Write(1), Ret::Ok), call(2, 3, Op::Read, Ret::Value(0))];
        assert!(matches!(verdict(&stale), Verdict::NotLinearizable { .. }));
    }

    #[test]
    fn overlapping_calls_may_take_either_order() {
        // A read overlapping a write may see the old value or the new one.
        for seen in [0, 1] {
            let h = [call(0, 10, Op::Write(1), Ret::Ok), call(5, 6, Op::Read, Ret::Value(seen))];
            assert!(matches!(verdict(&h), Verdict::Linearizable(_)), "read {seen}");
        }
        // …but never a value nobody wrote.
        let h = [call(0, 10, Op::Write(1), Ret::Ok), call(5, 6, Op::Read, Ret::Value(2))];
        assert!(matches!(verdict(&h), Verdict::NotLinearizable { .. }));
    }

    #[test]
    fn a_later_call_placed_first_is_found() {
        // The read was invoked last but must be placed first: it saw 0, and it overlaps the write.
        let h = [
            call(0, 10, Op::Write(1), Ret::Ok),
            call(1, 11, Op::Read, Ret::Value(1)),
            call(2, 3, Op::Read, Ret::Value(0)),
        ];
        assert_eq!(verdict(&h), Verdict::Linearizable(vec![2, 0, 1]));
    }

    #[test]
    fn two_compare_and_sets_of_the_same_old_value_cannot_both_succeed() {
        // Concurrent CAS 0→1 and CAS 0→2: one succeeds, the other fails.
        let one = [call(0, 10, Op::Cas(0, 1), Ret::Cas(true)), call(0, 10, Op::Cas(0, 2), Ret::Cas(false))];
        assert!(matches!(verdict(&one), Verdict::Linearizable(_)));
        let both = [call(0, 10, Op::Cas(0, 1), Ret::Cas(true)), call(0, 10, Op::Cas(0, 2), Ret::Cas(true))];
        let Verdict::NotLinearizable { longest, stuck } = verdict(&both) else { panic!("both succeeded") };
        assert_eq!(longest.len(), 1, "one of them can be placed, then nothing");
        assert_eq!(stuck.len(), 1);
    }

    #[test]
    fn real_time_order_binds_even_when_values_would_fit() {
        // read → 2 returned before write 2 was invoked: the values fit only in the wrong order.
        let h = [call(0, 1, Op::Read, Ret::Value(2)), call(2, 3, Op::Write(2), Ret::Ok)];
        assert!(matches!(verdict(&h), Verdict::NotLinearizable { .. }));
    }

    #[test]
    fn a_wide_history_is_decided_within_the_budget_thanks_to_memoisation() {
        // 12 concurrent writes of distinct values, then a read of a value none wrote. Every order must
        // be refuted: 12! ≈ 4.8e8 of them, but only 12 · 11 · 2^10 placements between distinct
        // (placed set, state) pairs — the budget of a million allows the latter, not the former.
        let mut h: Vec<_> = (1..=12).map(|v| call(0, 100, Op::Write(v), Ret::Ok)).collect();
        h.push(call(200, 201, Op::Read, Ret::Value(13)));
        assert!(matches!(check(&Register(0), &h, 1_000_000), Verdict::NotLinearizable { .. }));
    }

    #[test]
    fn a_spent_budget_is_undecided() {
        let h: Vec<_> = (1..=10).map(|v| call(0, 100, Op::Write(v), Ret::Ok)).collect();
        assert_eq!(check(&Register(0), &h, 3), Verdict::Undecided { placements: 3 });
    }
}
