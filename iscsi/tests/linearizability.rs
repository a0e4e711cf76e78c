//! Linearizability of COMPARE AND WRITE, WRITE, READ and EXTENDED COPY under concurrency, on both back
//! ends: [`SESSIONS`] iSCSI sessions, each issuing a seeded random sequence of 1–4-block commands at the
//! same [`lu::BLOCKS`] blocks of two logical units (EXTENDED COPY within a unit and between the two),
//! record every call's invocation and return (one `Instant` clock) and what it returned; the merged
//! history must be explained by some order of the commands, each atomic, that respects real time
//! ([`checker`]; the specification and why it is whole-command atomicity: [`lu`]).
//!
//! Every block a command writes carries a tag naming that command and block, so a READ says which
//! writer each block it saw came from. A session compares (COMPARE AND WRITE) against what it last saw of
//! the blocks — what it read, wrote or swapped in — as a heartbeat does, so that swaps contend.
//!
//! The test must be able to fail: built with the `test-broken-lock` feature, the target runs COMPARE AND
//! WRITE's compare and write as two critical sections (src/session/broken_lock.rs), and
//! `a_broken_compare_and_write_lock_is_not_linearizable` requires the checker to refuse such a history.
//! Only that test runs in that build; the others only in a normal one:
//! `cargo test -p offload-iscsi --features test-broken-lock --test linearizability broken`.

#[path = "linearizability/checker.rs"]
mod checker;
#[path = "linearizability/lu.rs"]
mod lu;

use std::net::SocketAddr;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use offload_iscsi::backend::{self, Backend, BackendKind, Command, Media};
use offload_iscsi::initiator::{Initiator, LoginOptions};
use offload_iscsi::target::{DEFAULT_TARGET_NAME, RunningTarget, Settings, Target};
use offload_model::config::{TargetConfig, UnitConfig};
use offload_scsi::sense::decode;
use offload_vectors::cdb::{
    compare_and_write, copy_list, cscd, extended_copy, inquiry, read16, segment, test_unit_ready, write16,
};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

use checker::{Call, Verdict, check};
use lu::{BLOCKS, Op, Ret, UNITS, Units};

const SESSIONS: usize = 8;
/// Commands each session issues.
const COMMANDS: usize = 100;
const BLOCK: usize = 512;
const GOOD: u8 = 0;
const CHECK_CONDITION: u8 = 2;
/// Placements the checker may make on one history.
const BUDGET: u64 = 50_000_000;

/// A block holding `tag`: the tag's bytes repeated (tag 0: zeros).
fn block_of(tag: u64) -> Vec<u8> {
    tag.to_be_bytes().repeat(BLOCK / 8)
}

/// The tag a block holds, if it holds one.
fn tag_of(block: &[u8]) -> Option<u64> {
    let tag = u64::from_be_bytes(block[..8].try_into().unwrap());
    (block == block_of(tag).as_slice()).then_some(tag)
}

fn units() -> TargetConfig {
    let unit = UnitConfig { blocks: BLOCKS as u64, block_size: BLOCK as u32, thin: false, ..UnitConfig::default() };
    TargetConfig { units: vec![unit; UNITS], ..TargetConfig::default() }
}

fn start(kind: BackendKind) -> RunningTarget {
    let backend = backend::build(kind, units(), &Media::Memory, DEFAULT_TARGET_NAME).unwrap();
    let settings = Settings {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        verbosity: 0,
        login_timeout: Duration::from_secs(5),
        ..Settings::default()
    };
    Target::bind(settings, backend).unwrap().spawn().unwrap()
}

/// How a session reaches the target: an iSCSI session, or the back end's own entry point — commands
/// straight from threads, as many at once as there are threads, with no event loop between. (The
/// broken lock lives in the iSCSI layer: its build has no use for the second.)
#[cfg_attr(feature = "test-broken-lock", allow(dead_code))]
enum Link {
    Iscsi(Initiator),
    Direct { backend: Arc<dyn Backend>, initiator: String },
}

/// A command's status, sense and data-in.
struct Reply {
    status: u8,
    sense: Vec<u8>,
    data_in: Vec<u8>,
}

impl Link {
    fn command(&mut self, lun: u16, cdb: &[u8], data_out: &[u8], expected_in: u32) -> Reply {
        match self {
            Link::Iscsi(initiator) => {
                let r = initiator.command(lun, cdb, data_out, expected_in).unwrap();
                Reply { status: r.status, sense: r.sense, data_in: r.data_in }
            }
            Link::Direct { backend, initiator } => {
                let a = backend.execute(&Command { initiator, lun, cdb, data_out }).unwrap();
                Reply { status: a.status, sense: a.sense, data_in: a.data_in }
            }
        }
    }

    fn close(self) {
        if let Link::Iscsi(mut initiator) = self {
            initiator.logout().unwrap();
        }
    }
}

/// One session's commands: what it sends, and its own view of the blocks.
struct Session {
    link: Link,
    rng: SmallRng,
    /// The session's number, in every tag it writes.
    id: u64,
    next_tag: u64,
    /// What this session last saw in each block (unit after unit); `None`: unknown.
    seen: Vec<Option<u64>>,
    /// A range to read next (after a miscompare: a heartbeat rereads before it swaps again).
    reread: Option<(usize, usize, usize)>,
    naa: Vec<[u8; 16]>,
}

impl Session {
    fn tags(&mut self, blocks: usize) -> Vec<u64> {
        (0..blocks)
            .map(|_| {
                self.next_tag += 1;
                (self.id << 32) | self.next_tag
            })
            .collect()
    }

    /// A range of 1–4 blocks: (unit, first block, blocks).
    fn range(&mut self) -> (usize, usize, usize) {
        let blocks = self.rng.random_range(1..=4);
        (self.rng.random_range(0..UNITS), self.rng.random_range(0..=BLOCKS - blocks), blocks)
    }

    fn learn(&mut self, lu: usize, lba: usize, tags: impl IntoIterator<Item = Option<u64>>) {
        for (i, tag) in tags.into_iter().enumerate() {
            self.seen[lu * BLOCKS + lba + i] = tag;
        }
    }

    /// The next command of the sequence.
    fn next_op(&mut self) -> Op {
        if let Some((lu, lba, blocks)) = self.reread.take() {
            return Op::Read { lu, lba, blocks };
        }
        let pick = self.rng.random_range(0..100);
        let (lu, lba, blocks) = self.range();
        if pick < 25 {
            Op::Read { lu, lba, blocks }
        } else if pick < 65 {
            let compare = (lba..lba + blocks).map(|b| self.seen[lu * BLOCKS + b].unwrap_or(0)).collect();
            Op::CompareAndWrite { lu, lba, compare, tags: self.tags(blocks) }
        } else if pick < 85 {
            Op::Write { lu, lba, tags: self.tags(blocks) }
        } else {
            // A copy whose source and destination do not overlap (another unit, or apart in this one).
            let apart = |to_lu: usize| -> Vec<usize> {
                (0..=BLOCKS - blocks).filter(|&t| to_lu != lu || t + blocks <= lba || lba + blocks <= t).collect()
            };
            let mut to_lu = self.rng.random_range(0..UNITS);
            if apart(to_lu).is_empty() {
                to_lu = (lu + 1) % UNITS;
            }
            let free = apart(to_lu);
            let to_lba = free[self.rng.random_range(0..free.len())];
            Op::Copy { from: (lu, lba), to: (to_lu, to_lba), blocks }
        }
    }

    /// Sends `op`; what it returned (any other answer than the specification's kinds fails the test).
    fn send(&mut self, op: &Op) -> Ret {
        let (lun, cdb, data) = match op {
            Op::Write { lu, lba, tags } => {
                (*lu, write16(*lba as u64, tags.len() as u32), tags.iter().flat_map(|&t| block_of(t)).collect())
            }
            Op::Read { lu, lba, blocks } => (*lu, read16(*lba as u64, *blocks as u32), Vec::new()),
            Op::CompareAndWrite { lu, lba, compare, tags } => {
                let data = compare.iter().chain(tags).flat_map(|&t| block_of(t)).collect();
                (*lu, compare_and_write(*lba as u64, tags.len() as u8), data)
            }
            Op::Copy { from, to, blocks } => {
                let (cscds, destination) = if from.0 == to.0 {
                    (vec![cscd(&self.naa[from.0], BLOCK as u32)], 0)
                } else {
                    (vec![cscd(&self.naa[from.0], BLOCK as u32), cscd(&self.naa[to.0], BLOCK as u32)], 1)
                };
                let list =
                    copy_list(0, 3, &cscds, &[segment(0, destination, *blocks as u16, from.1 as u64, to.1 as u64)]);
                (from.0, extended_copy(list.len() as u32), list)
            }
        };
        let expected_in = if let Op::Read { blocks, .. } = op { blocks * BLOCK } else { 0 };
        let r = self.link.command(lun as u16, &cdb, &data, expected_in as u32);
        match (op, r.status) {
            (Op::Read { .. }, GOOD) => Ret::Read(r.data_in.chunks(BLOCK).map(tag_of).collect()),
            (_, GOOD) => Ret::Good,
            (Op::CompareAndWrite { .. }, CHECK_CONDITION) => {
                let sense = decode(&r.sense).unwrap();
                assert_eq!((sense.key.0, sense.asc.0, sense.asc.1), (0x0E, 0x1D, 0x00), "{op:?}: {:02x?}", r.sense);
                let offset = sense.information.expect("a miscompare names the offset");
                Ret::Miscompare { block: offset as usize / BLOCK }
            }
            _ => panic!("session {}: {op:?} answered {} {:02x?}", self.id, r.status, r.sense),
        }
    }

    /// Updates what the session knows of the blocks from what `op` returned.
    fn observe(&mut self, op: &Op, ret: &Ret) {
        match (op, ret) {
            (Op::Read { lu, lba, .. }, Ret::Read(tags)) => self.learn(*lu, *lba, tags.clone()),
            (Op::Write { lu, lba, tags } | Op::CompareAndWrite { lu, lba, tags, .. }, Ret::Good) => {
                self.learn(*lu, *lba, tags.iter().map(|&t| Some(t)))
            }
            (Op::CompareAndWrite { lu, lba, tags, .. }, Ret::Miscompare { .. }) => {
                self.reread = Some((*lu, *lba, tags.len()))
            }
            (Op::Copy { to, blocks, .. }, _) => self.learn(to.0, to.1, vec![None; *blocks]),
            _ => {}
        }
    }
}

/// Each unit's NAA designator, as its VPD page 83h reports it (the target derives them from its name).
fn designators(target: &RunningTarget) -> Vec<[u8; 16]> {
    let options = LoginOptions::new("iqn.2026-11.test:linearizability-probe", Some(DEFAULT_TARGET_NAME));
    let mut probe = Initiator::connect(target.addr(), &options).unwrap();
    let naa = (0..UNITS)
        .map(|lu| designator(&probe.command(lu as u16, &inquiry(true, 0x83, 255), &[], 255).unwrap().data_in))
        .collect();
    probe.logout().unwrap();
    naa
}

/// The 16-byte NAA designator in a VPD page 83h.
fn designator(page: &[u8]) -> [u8; 16] {
    let mut rest = &page[4..];
    while rest.len() >= 4 {
        let (kind, len) = (rest[1] & 0x0F, usize::from(rest[3]));
        if kind == 3 && len == 16 {
            return rest[4..20].try_into().unwrap();
        }
        rest = &rest[4 + len..];
    }
    panic!("no 16-byte NAA designator in {page:02x?}");
}

/// A merged history, and how many of its commands ran beside another on their unit.
type Recorded = (Vec<Call<Op, Ret>>, u64);

/// Runs the sessions against a fresh target of `kind` over iSCSI; their merged history, and how many
/// commands the target ran beside another on the same unit (the counters' `ran_beside`).
fn record(kind: BackendKind, seed: u64) -> Recorded {
    let target = start(kind);
    let naa = designators(&target);
    let history = run_sessions(seed, naa, |name| {
        Link::Iscsi(Initiator::connect(target.addr(), &LoginOptions::new(name, Some(DEFAULT_TARGET_NAME))).unwrap())
    });
    let ran_beside = target.counters().ran_beside;
    target.stop();
    (history, ran_beside)
}

/// The same sessions straight on a fresh back end of `kind`, each on a thread of its own.
#[cfg_attr(feature = "test-broken-lock", allow(dead_code))]
fn record_direct(kind: BackendKind, seed: u64) -> Recorded {
    let backend: Arc<dyn Backend> =
        Arc::from(backend::build(kind, units(), &Media::Memory, DEFAULT_TARGET_NAME).unwrap());
    let mut probe = Link::Direct { backend: Arc::clone(&backend), initiator: "iqn.2026-11.test:probe".to_owned() };
    let naa = (0..UNITS)
        .map(|lu| designator(&probe.command(lu as u16, &inquiry(true, 0x83, 255), &[], 255).data_in))
        .collect();
    let history = run_sessions(seed, naa, |name| {
        let mut link = Link::Direct { backend: Arc::clone(&backend), initiator: name.to_owned() };
        // What an iSCSI login clears: each unit's power-on unit attention for this nexus.
        for lun in 0..UNITS as u16 {
            while link.command(lun, &test_unit_ready(), &[], 0).status != GOOD {}
        }
        link
    });
    (history, backend.ran_beside())
}

/// Runs [`SESSIONS`] sessions, each on the link `connect` opens for its initiator name, from one start
/// line; their merged history.
fn run_sessions(seed: u64, naa: Vec<[u8; 16]>, connect: impl Fn(&str) -> Link) -> Vec<Call<Op, Ret>> {
    let start_line = Arc::new(Barrier::new(SESSIONS));
    let epoch = Instant::now();
    let workers: Vec<_> = (0..SESSIONS)
        .map(|s| {
            let name = format!("iqn.2026-11.test:linearizability-{s}");
            let mut session = Session {
                link: connect(&name),
                rng: SmallRng::seed_from_u64(seed ^ (s as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
                id: s as u64 + 1,
                next_tag: 0,
                seen: vec![Some(0); UNITS * BLOCKS],
                reread: None,
                naa: naa.clone(),
            };
            let start_line = Arc::clone(&start_line);
            thread::spawn(move || {
                start_line.wait();
                let mut calls = Vec::with_capacity(COMMANDS);
                for _ in 0..COMMANDS {
                    let op = session.next_op();
                    let invoke = epoch.elapsed().as_nanos() as u64;
                    let ret = session.send(&op);
                    let ret_at = epoch.elapsed().as_nanos() as u64;
                    session.observe(&op, &ret);
                    calls.push(Call { invoke, ret_at, op, ret });
                }
                session.link.close();
                calls
            })
        })
        .collect();
    workers.into_iter().flat_map(|w| w.join().unwrap()).collect()
}

/// Swaps that succeeded and that miscompared.
fn swaps(history: &[Call<Op, Ret>]) -> (usize, usize) {
    let of = |want: fn(&Ret) -> bool| {
        history.iter().filter(|c| matches!(c.op, Op::CompareAndWrite { .. }) && want(&c.ret)).count()
    };
    (of(|r| *r == Ret::Good), of(|r| matches!(r, Ret::Miscompare { .. })))
}

#[cfg(not(feature = "test-broken-lock"))]
fn linearizable_on(kind: BackendKind, record: fn(BackendKind, u64) -> Recorded) -> u64 {
    let mut beside = 0;
    for seed in [0x11EA_412A, 0xC0FF_EE15] {
        let (history, ran_beside) = record(kind, seed);
        beside += ran_beside;
        let (hits, misses) = swaps(&history);
        let started = Instant::now();
        let verdict = check(&Units::zeroed(), &history, BUDGET);
        eprintln!(
            "{kind:?} seed {seed:#x}: {} calls, {hits} swaps, {misses} miscompares, {ran_beside} ran beside another \
             on their unit, checked in {:?}",
            history.len(),
            started.elapsed()
        );
        // The history must have contended: swaps that won and swaps that lost.
        assert!(hits > 0 && misses > 0, "{kind:?}: {hits} swaps, {misses} miscompares");
        match verdict {
            Verdict::Linearizable(order) => assert_eq!(order.len(), history.len()),
            other => panic!("{kind:?} seed {seed:#x}: {}", explain(&history, &other)),
        }
    }
    beside
}

#[cfg(not(feature = "test-broken-lock"))]
#[test]
fn concurrent_commands_are_linearizable_on_the_model() {
    assert_eq!(linearizable_on(BackendKind::Model, record), 0, "the model runs one command at a time");
}

#[cfg(not(feature = "test-broken-lock"))]
#[test]
fn concurrent_commands_are_linearizable_on_the_fast_path() {
    linearizable_on(BackendKind::FastPath, record);
}

/// Straight on the back ends, from threads: on the fast path, commands on disjoint blocks of one unit
/// run side by side here (the count shows the history holds such commands), and the history is still
/// linearizable.
#[cfg(not(feature = "test-broken-lock"))]
#[test]
fn commands_straight_on_the_back_ends_are_linearizable() {
    assert_eq!(linearizable_on(BackendKind::Model, record_direct), 0, "the model runs one command at a time");
    let beside = linearizable_on(BackendKind::FastPath, record_direct);
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    assert!(cores == 1 || beside > 0, "commands on disjoint blocks of a unit ran side by side");
}

/// A verdict for a person: how far a linearization got, and the calls none of which could come next.
fn explain(history: &[Call<Op, Ret>], verdict: &Verdict) -> String {
    match verdict {
        Verdict::NotLinearizable { longest, stuck } => {
            let mut s = format!(
                "not linearizable: at most {} of {} calls can be ordered; then none of:\n",
                longest.len(),
                history.len()
            );
            for &i in stuck {
                let c = &history[i];
                s += &format!("  [{} ns, {} ns] {:x?} -> {:x?}\n", c.invoke, c.ret_at, c.op, c.ret);
            }
            s
        }
        other => format!("{other:?}"),
    }
}

#[cfg(feature = "test-broken-lock")]
#[test]
fn a_broken_compare_and_write_lock_is_not_linearizable() {
    for kind in [BackendKind::Model, BackendKind::FastPath] {
        // Bounded: a few seeded rounds; the window is wide open, so the first one usually shows it.
        let refuted = [0x11EA_412A, 0xC0FF_EE15, 0xBAD_10C4].into_iter().any(|seed| {
            let (history, _) = record(kind, seed);
            let (hits, misses) = swaps(&history);
            let verdict = check(&Units::zeroed(), &history, BUDGET);
            eprintln!(
                "{kind:?} seed {seed:#x}, broken lock, {hits} swaps, {misses} miscompares: {}",
                explain(&history, &verdict)
            );
            matches!(verdict, Verdict::NotLinearizable { .. })
        });
        assert!(refuted, "{kind:?}: the checker accepted every history of a broken lock");
    }
}
