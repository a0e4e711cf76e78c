//! WRITE ATOMIC (16) against concurrent commands of other initiators (`Target::execute_concurrently`):
//! every read sees the atomic range all-old or all-new, and every group's answers and final media are
//! those of *some* serial order of its commands — checked by brute force over every order on a plain
//! `Vec<u8>` medium, a reference written here that knows nothing of jobs, queues or locks.

mod common;
use common::*;

use offload_model::scsi::{Request, Response, Target};

const BS: usize = 512;
const BLOCKS: u64 = 64;

/// A unit whose every block holds its pattern (salt 1): the "old" contents.
fn seeded() -> Target {
    let mut t = target_with(1, BLOCKS, BS as u32);
    fill_pattern(&mut t, 0, 0, BLOCKS as u32, BS, 1);
    t
}

fn from(initiator: &str, cdb: Vec<u8>, data_out: Vec<u8>) -> Request {
    request_from(initiator, 0, cdb, data_out)
}

fn rotations(requests: &[Request]) -> Vec<Vec<Request>> {
    (0..requests.len()).map(|k| requests[k..].iter().chain(&requests[..k]).cloned().collect()).collect()
}

/// The explicit check: within the atomic range `lo..hi`, the blocks `read` returned (it started at
/// `start`) are all the old pattern or all the new data.
fn all_old_or_all_new(data: &[u8], start: u64, (lo, hi): (u64, u64), old: &[u8], new: &[u8]) -> bool {
    let blocks = (data.len() / BS) as u64;
    let (from, to) = (lo.max(start), hi.min(start + blocks));
    if from >= to {
        return true;
    }
    let seen = &data[((from - start) as usize) * BS..((to - start) as usize) * BS];
    let old = &old[from as usize * BS..to as usize * BS];
    let new = &new[((from - lo) as usize) * BS..((to - lo) as usize) * BS];
    seen == old || seen == new
}

#[test]
fn reads_see_an_atomic_write_all_old_or_all_new() {
    let old = patterned(0, BLOCKS, BS, 1);
    let new = patterned(8, 16, BS, 9);
    let group = vec![
        from("host-b", read16(0, 32), vec![]),
        from("host-a", write_atomic16(8, 0, 16), new.clone()),
        from("host-c", read16(16, 24), vec![]),
        from("host-b", read16(4, 8), vec![]),
        from("host-d", write16(24, 8), patterned(24, 8, BS, 5)),
        from("host-c", read16(12, 2), vec![]),
    ];
    let mut seen_old_new = [false; 2];
    for requests in rotations(&group) {
        let mut t = seeded();
        let responses = t.execute_concurrently(&requests);
        for (r, a) in requests.iter().zip(&responses) {
            assert_eq!(a.status, 0);
            if r.cdb[0] == 0x88 {
                let start = r.cdb.be64(2);
                assert!(all_old_or_all_new(&a.data_in, start, (8, 24), &old, &new), "a torn read: {:02x?}", r.cdb);
                let fully = start <= 8 && start + u64::from(r.cdb.be32(10)) >= 24;
                if fully {
                    seen_old_new[usize::from(a.data_in[8 * BS..24 * BS] == new[..])] = true;
                }
            }
        }
        assert_eq!(read_blocks(&mut t, 0, 8, 16), new, "the atomic write committed");
    }
    // The reads really race the write: across the arrival orders some commit before it, some after.
    assert!(seen_old_new[0] && seen_old_new[1], "full reads saw old: {}, new: {}", seen_old_new[0], seen_old_new[1]);
}

/// One command on the reference medium: its status and data-in.
fn reference(medium: &mut [u8], r: &Request) -> (u8, Vec<u8>) {
    let range = |lba: u64, n: u64| lba as usize * BS..(lba + n) as usize * BS;
    match r.cdb[0] {
        0x88 => (0, medium[range(r.cdb.be64(2), r.cdb.be32(10).into())].to_vec()),
        0x8A => {
            medium[range(r.cdb.be64(2), r.cdb.be32(10).into())].copy_from_slice(&r.data_out);
            (0, Vec::new())
        }
        0x9C => {
            medium[range(r.cdb.be64(2), r.cdb.be16(12).into())].copy_from_slice(&r.data_out);
            (0, Vec::new())
        }
        0x89 => {
            let n = u64::from(r.cdb[13]);
            let at = range(r.cdb.be64(2), n);
            let (compare, write) = r.data_out.split_at(n as usize * BS);
            if medium[at.clone()] != *compare {
                return (2, Vec::new()); // MISCOMPARE
            }
            medium[at].copy_from_slice(write);
            (0, Vec::new())
        }
        other => panic!("the reference does not know {other:02x}"),
    }
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut all = Vec::new();
    for p in permutations(n - 1) {
        for at in 0..=p.len() {
            let mut q = p.clone();
            q.insert(at, n - 1);
            all.push(q);
        }
    }
    all
}

/// Whether some serial order of `requests` gives exactly `responses` (status and data-in) and `after`.
fn serializable(initial: &[u8], requests: &[Request], responses: &[Response], after: &[u8]) -> bool {
    permutations(requests.len()).into_iter().any(|order| {
        let mut medium = initial.to_vec();
        order
            .iter()
            .all(|&i| reference(&mut medium, &requests[i]) == (responses[i].status, responses[i].data_in.clone()))
            && medium == after
    })
}

#[test]
fn groups_with_an_atomic_write_are_serializable() {
    let old = patterned(0, BLOCKS, BS, 1);
    let caw_old = {
        let mut d = old[10 * BS..11 * BS].to_vec();
        d.extend(pattern(10, BS, 7));
        d
    };
    let caw_new = {
        let mut d = patterned(10, 1, BS, 9);
        d.extend(pattern(10, BS, 8));
        d
    };
    let group = vec![
        from("host-a", write_atomic16(8, 0, 16), patterned(8, 16, BS, 9)),
        from("host-b", read16(0, 32), vec![]),
        from("host-c", write16(20, 8), patterned(20, 8, BS, 5)),
        from("host-d", compare_and_write(10, 1), caw_old),
        from("host-e", compare_and_write(10, 1), caw_new),
        from("host-b", read16(16, 16), vec![]),
    ];
    let mut outcomes = std::collections::BTreeSet::new();
    for requests in rotations(&group) {
        let mut t = seeded();
        let responses = t.execute_concurrently(&requests);
        let after = read_blocks(&mut t, 0, 0, BLOCKS as u32);
        assert!(serializable(&old, &requests, &responses, &after), "no serial order explains {responses:?}");
        outcomes.insert(after);
    }
    assert!(!outcomes.is_empty());
}

#[test]
fn the_reference_itself_rejects_a_torn_outcome() {
    // The check can fail: half an atomic write is explained by no serial order.
    let old = patterned(0, BLOCKS, BS, 1);
    let new = patterned(8, 16, BS, 9);
    let requests = vec![from("host-a", write_atomic16(8, 0, 16), new.clone()), from("host-b", read16(8, 16), vec![])];
    let mut torn = old[8 * BS..16 * BS].to_vec();
    torn.extend(&new[8 * BS..]);
    let ok = |data_in: Vec<u8>| Response { status: 0, sense: vec![], data_in, jobs: vec![], durable: vec![] };
    let mut after = old.clone();
    after[8 * BS..24 * BS].copy_from_slice(&new);
    assert!(!serializable(&old, &requests, &[ok(vec![]), ok(torn.clone())], &after));
    assert!(!all_old_or_all_new(&torn, 8, (8, 24), &old, &new));
    assert!(serializable(&old, &requests, &[ok(vec![]), ok(new.clone())], &after));
}
