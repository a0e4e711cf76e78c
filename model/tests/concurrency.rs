//! Commands from several initiators at once: the range-lock unit's grant order is the commit order, and
//! the outcome is that of a serial execution in that order.
//!
//! The judge here is independent of the scheduler: every job is replayed alone, one after another in
//! commit order, on a copy of the initial memory with the engine's functional semantics, and the replay
//! must reproduce each completion and the final media. For commands of one job each, the commands are
//! also replayed one by one on a fresh target in commit order, and must give the same answers.

mod common;

use common::*;
use offload_model::engine::CompletionStatus;
use offload_model::engine::execute::execute;
use offload_model::media::Memory;
use offload_model::scsi::{JobRecord, Request, Response, Target};
use proptest::prelude::*;

const BLOCKS: u64 = 64;
const BS: usize = 512;

fn seeded_target() -> Target {
    let mut t = target_with(2, BLOCKS, BS as u32);
    fill_pattern(&mut t, 0, 0, BLOCKS as u32, BS, 1);
    fill_pattern(&mut t, 1, 0, BLOCKS as u32, BS, 2);
    t
}

fn media(memory: &Memory) -> Vec<Vec<u8>> {
    memory
        .units
        .iter()
        .map(|u| {
            let mut all = vec![0u8; u.blocks() as usize * u.block_size() as usize];
            for (lba, block) in all.chunks_mut(u.block_size() as usize).enumerate() {
                u.read_block(lba as u64, block).expect("no bad blocks here");
            }
            all
        })
        .collect()
}

/// The staging buffer a request starts with: its data-out, or room for the data-in of a READ.
fn initial_buffer(request: &Request) -> Vec<u8> {
    match request.cdb[0] {
        0x88 => vec![0; request.cdb.be32(10) as usize * BS],
        _ => request.data_out.clone(),
    }
}

/// Replays every job alone in commit order and checks it reproduces the concurrent run.
/// `first_slot` is the staging-buffer slot the first request took (requests take slots in order).
fn assert_serial_in_commit_order(
    initial: &Memory,
    first_slot: u16,
    requests: &[Request],
    responses: &[Response],
    after: &Memory,
) {
    let slot_of = |i: usize| first_slot.wrapping_add(i as u16);
    let mut memory = initial.clone();
    for (i, request) in requests.iter().enumerate() {
        memory.set_buffer(slot_of(i), initial_buffer(request));
    }
    let mut records: Vec<&JobRecord> = responses.iter().flat_map(|r| &r.jobs).collect();
    records.sort_by_key(|r| r.completion.commit);
    for (i, window) in records.windows(2).enumerate() {
        assert!(
            window[0].completion.granted_at < window[1].completion.granted_at,
            "commit {i}: grants in commit order"
        );
    }
    let first = records.first().map_or(0, |r| r.completion.commit);
    for (n, r) in records.iter().enumerate() {
        assert_eq!((r.completion.commit - first) as usize, n, "commit numbers are dense");
        let outcome = execute(&r.job, &mut memory);
        assert_eq!(
            (outcome.status, outcome.blocks_done, outcome.miscompare_offset),
            (r.completion.status, r.completion.blocks_done, r.completion.miscompare_offset),
            "job with commit {n} replayed alone"
        );
    }
    assert_eq!(media(&memory), media(after), "final media equal the serial replay");
    for (i, (request, response)) in requests.iter().zip(responses).enumerate() {
        if request.cdb[0] == 0x88 && response.status == 0 {
            assert_eq!(memory.take_buffer(slot_of(i)), response.data_in, "READ {i} data-in");
        }
    }
}

fn assert_conflicting_jobs_never_overlap(responses: &[Response]) {
    let records: Vec<&JobRecord> = responses.iter().flat_map(|r| &r.jobs).collect();
    for (i, a) in records.iter().enumerate() {
        for b in &records[i + 1..] {
            if a.job.conflicts_with(&b.job) {
                let (first, second) = if a.completion.commit < b.completion.commit { (a, b) } else { (b, a) };
                assert!(
                    first.completion.completed_at < second.completion.granted_at,
                    "conflicting jobs overlapped in time: {first:?} and {second:?}"
                );
            }
        }
    }
}

#[test]
fn two_initiators_overlapping_jobs_commit_in_lock_order_with_the_serial_result() {
    let mut t = seeded_target();
    let initial = t.memory.clone();
    // Host A zero-fills 0..32 of LUN 0 while host B writes a pattern over 16..48 and then checks it with
    // COMPARE AND WRITE: every pair overlaps, and the zero engine, copy engine and compare-and-write unit
    // could all run at once if the locks let them.
    let b_data: Vec<u8> = (16..48).flat_map(|l| pattern(l, BS, 9)).collect();
    let mut caw = pattern(20, BS, 9);
    caw.extend(vec![0x5A; BS]);
    let requests = vec![
        request_from(HOST, 0, write_same16(0, 0, 32), vec![0; BS]),
        request_from(OTHER_HOST, 0, write16(16, 32), b_data),
        request_from(OTHER_HOST, 0, compare_and_write(20, 1), caw),
    ];
    let first_slot = t.next_slot();
    let responses = t.execute_concurrently(&requests);
    let commits: Vec<u32> =
        responses.iter().map(|r| r.jobs[0].completion.commit - responses[0].jobs[0].completion.commit).collect();
    assert_eq!(commits, vec![0, 1, 2], "equal arrival: queue 0 first, then queue 1's jobs in order");
    assert!(responses.iter().all(|r| r.status == 0));
    assert_conflicting_jobs_never_overlap(&responses);
    assert_serial_in_commit_order(&initial, first_slot, &requests, &responses, &t.memory);

    // The serial order, command by command, gives the same answers and media.
    let mut serial = seeded_target();
    let serial_responses: Vec<Response> = requests.iter().map(|r| serial.execute(r)).collect();
    for (a, b) in responses.iter().zip(&serial_responses) {
        assert_eq!((a.status, &a.sense, &a.data_in), (b.status, &b.sense, &b.data_in));
    }
    assert_eq!(media(&serial.memory), media(&t.memory));
}

#[test]
fn a_lock_makes_the_second_initiator_see_the_first_ones_write() {
    // B's COMPARE AND WRITE expects what A writes; it can only match if A's write committed first.
    let mut t = seeded_target();
    let new = vec![0x77; BS];
    let mut caw = new.clone();
    caw.extend(vec![0x88; BS]);
    let requests =
        vec![request_from(HOST, 0, write16(5, 1), new), request_from(OTHER_HOST, 0, compare_and_write(5, 1), caw)];
    let responses = t.execute_concurrently(&requests);
    assert_eq!(responses[1].status, 0, "A's write (commit 0) precedes B's compare (commit 1)");
    assert_eq!(read_blocks(&mut t, 0, 5, 1), vec![0x88; BS]);
}

// ---- random mixes: linearizability over many interleavings ----

#[derive(Clone, Debug)]
enum Cmd {
    Write { lun: u16, lba: u64, n: u32, salt: u8 },
    Read { lun: u16, lba: u64, n: u32 },
    Zero { lun: u16, lba: u64, n: u32 },
    Fill { lun: u16, lba: u64, n: u32, byte: u8 },
    Unmap { lun: u16, lba: u64, n: u32 },
    CompareAndWrite { lun: u16, lba: u64, salt: u8, byte: u8 },
    Copy { src_lun: u16, src: u64, dst_lun: u16, dst: u64, n: u16 },
}

fn command() -> impl Strategy<Value = Cmd> {
    let lun = 0u16..2;
    let range = (0u64..BLOCKS - 8, 1u32..8);
    prop_oneof![
        (lun.clone(), range.clone(), any::<u8>()).prop_map(|(lun, (lba, n), salt)| Cmd::Write { lun, lba, n, salt }),
        (lun.clone(), range.clone()).prop_map(|(lun, (lba, n))| Cmd::Read { lun, lba, n }),
        (lun.clone(), range.clone()).prop_map(|(lun, (lba, n))| Cmd::Zero { lun, lba, n }),
        (lun.clone(), range.clone(), 1u8..).prop_map(|(lun, (lba, n), byte)| Cmd::Fill { lun, lba, n, byte }),
        (lun.clone(), range.clone()).prop_map(|(lun, (lba, n))| Cmd::Unmap { lun, lba, n }),
        (lun.clone(), 0u64..BLOCKS, 1u8..3, any::<u8>()).prop_map(|(lun, lba, salt, byte)| Cmd::CompareAndWrite {
            lun,
            lba,
            salt,
            byte
        }),
        (lun.clone(), 0u64..BLOCKS - 8, lun, 0u64..BLOCKS - 8, 1u16..8)
            .prop_map(|(src_lun, src, dst_lun, dst, n)| Cmd::Copy { src_lun, src, dst_lun, dst, n }),
    ]
}

fn to_request(naa: &[Vec<u8>], initiator: &str, cmd: &Cmd) -> Request {
    let (lun, cdb, data) = match *cmd {
        Cmd::Write { lun, lba, n, salt } => {
            (lun, write16(lba, n), (lba..lba + u64::from(n)).flat_map(|l| pattern(l, BS, salt)).collect())
        }
        Cmd::Read { lun, lba, n } => (lun, read16(lba, n), vec![]),
        Cmd::Zero { lun, lba, n } => (lun, write_same16(0, lba, n), vec![0; BS]),
        Cmd::Fill { lun, lba, n, byte } => (lun, write_same16(0, lba, n), vec![byte; BS]),
        Cmd::Unmap { lun, lba, n } => (lun, unmap(false, 24), unmap_list(&[(lba, n)])),
        Cmd::CompareAndWrite { lun, lba, salt, byte } => {
            let mut d = pattern(lba, BS, salt);
            d.extend(vec![byte; BS]);
            (lun, compare_and_write(lba, 1), d)
        }
        Cmd::Copy { src_lun, src, dst_lun, dst, n } => {
            let list = copy_list(
                0,
                0b11,
                &[cscd(&naa[0], 512), cscd(&naa[1], 512)],
                &[segment(src_lun, dst_lun, n, src, dst)],
            );
            (0, extended_copy(list.len() as u32), list)
        }
    };
    request_from(initiator, lun, cdb, data)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_concurrent_mixes_equal_the_serial_replay_in_commit_order(
        a in prop::collection::vec(command(), 1..6),
        b in prop::collection::vec(command(), 1..6),
        c in prop::collection::vec(command(), 0..4),
    ) {
        let mut t = seeded_target();
        let naa = vec![naa_of(&mut t, 0), naa_of(&mut t, 1)];
        let initial = t.memory.clone();
        let mut requests = Vec::new();
        for (host, cmds) in [(HOST, &a), (OTHER_HOST, &b), ("iqn.2026-11.test:host-c", &c)] {
            for cmd in cmds {
                requests.push(to_request(&naa, host, cmd));
            }
        }
        let first_slot = t.next_slot();
        let responses = t.execute_concurrently(&requests);
        for r in &responses {
            for j in &r.jobs {
                prop_assert!(j.completion.status != CompletionStatus::ReadError && j.completion.status != CompletionStatus::WriteError);
            }
        }
        assert_conflicting_jobs_never_overlap(&responses);
        assert_serial_in_commit_order(&initial, first_slot, &requests, &responses, &t.memory);

        // Every command here issues one job (or none): replaying the commands one by one on a fresh
        // target, in the commit order of their jobs, gives the same answers and the same media.
        let mut order: Vec<usize> = (0..requests.len()).collect();
        order.sort_by_key(|&i| responses[i].jobs.first().map_or(u32::MAX, |j| j.completion.commit));
        let mut serial = seeded_target();
        for &i in &order {
            let r = serial.execute(&requests[i]);
            prop_assert_eq!((r.status, &r.sense, &r.data_in), (responses[i].status, &responses[i].sense, &responses[i].data_in), "command {}", i);
        }
        prop_assert_eq!(media(&serial.memory), media(&t.memory));
    }
}
