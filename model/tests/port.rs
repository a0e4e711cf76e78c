//! The shared-port model ([`offload_model::timing::port`]) against the cycle equations: a job alone on
//! the port takes exactly what the equations say, over a grid of bus widths, burst lengths,
//! outstanding reads and latencies inside the equations' domain: the read window more than covers
//! the round trip, `O·L > R + L` (a copy's FIFO room also holds the data waiting for its write), and
//! write responses never hold up a burst, `W < 3L`.

use offload_model::engine::execute::Outcome;
use offload_model::engine::{CompletionStatus, Job, JobOp};
use offload_model::timing::port::{HostTiming, MemoryTiming, PortJob, PortRun, SharedPort};
use offload_model::timing::{CycleModel, TimingParams};

/// A job that ends well: all its blocks done (a compare-and-write matched, or missed).
fn ended_well(job: &Job, write_pass: bool) -> Outcome {
    let miss = matches!(job.op, JobOp::CompareAndWrite | JobOp::Compare) && !write_pass;
    Outcome {
        status: if miss && job.op == JobOp::CompareAndWrite {
            CompletionStatus::Miscompare
        } else {
            CompletionStatus::Ok
        },
        blocks_done: if miss { 0 } else { job.blocks },
        miscompare_offset: 0,
        fault_address: 0,
        blocks_touched: job.blocks,
        write_pass,
    }
}

fn alone(t: &TimingParams, job: &Job, outcome: &Outcome) -> u64 {
    let memory = MemoryTiming::fixed(t.read_latency, t.write_latency);
    let port = SharedPort::new(t.clone(), memory, HostTiming::default()).expect("valid parameters");
    let run = port
        .run(&[vec![PortJob { job: job.clone(), outcome: outcome.clone(), arrival: None }]])
        .expect("the job completes");
    run.jobs[0][0].cycles()
}

#[test]
fn a_job_alone_takes_what_the_equations_say() {
    let mut checked = 0;
    let mut differ = Vec::new();
    for bus_bytes in [4, 8] {
        for burst_beats in [8, 16] {
            for max_outstanding_reads in 1..=4 {
                for (read_latency, write_latency) in [(1, 1), (8, 20), (16, 8), (30, 2)] {
                    let t = TimingParams {
                        bus_bytes,
                        burst_beats,
                        max_outstanding_reads,
                        read_latency,
                        write_latency,
                        ..TimingParams::default()
                    };
                    let (l, o) = (burst_beats, max_outstanding_reads);
                    if o * l <= read_latency + l || write_latency >= 3 * l {
                        continue;
                    }
                    for op in JobOp::ALL {
                        for (shift, blocks) in [(9u8, 0u32), (9, 1), (9, 5), (12, 2)] {
                            for write_pass in [false, true] {
                                if write_pass && op != JobOp::CompareAndWrite {
                                    continue;
                                }
                                let job = Job { tag: 1, op, src: 1 << 20, dst: 0, blocks, block_shift: shift };
                                let outcome = ended_well(&job, write_pass);
                                let (got, want) = (alone(&t, &job, &outcome), t.outcome_cycles(&job, &outcome));
                                checked += 1;
                                if got != want {
                                    differ.push(format!(
                                        "{t:?} {job:?} write pass {write_pass}: port {got}, equations {want}"
                                    ));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 500, "the grid ran ({checked} jobs)");
    assert!(differ.is_empty(), "{} of {checked} differ:\n{}", differ.len(), differ.join("\n"));
}

/// A seeded workload of every op, small jobs and long ones, overlapping ranges, some failing.
fn workload(seed: u64, queues: usize, jobs: usize) -> Vec<Vec<PortJob>> {
    use rand::rngs::SmallRng;
    use rand::{RngExt, SeedableRng};
    let mut rng = SmallRng::seed_from_u64(seed);
    (0..queues)
        .map(|_| {
            (0..jobs)
                .map(|_| {
                    let op = JobOp::ALL[rng.random_range(0..JobOp::ALL.len())];
                    let shift = if rng.random_range(0..3) == 0 { 12 } else { 9 };
                    let blocks = match rng.random_range(0..10) {
                        0 => 0,
                        1..=6 => rng.random_range(1..16),
                        _ => rng.random_range(16..200),
                    };
                    let at = |rng: &mut SmallRng| rng.random_range(0..64u64) << shift;
                    let job = Job {
                        tag: 0,
                        op,
                        src: (1 << 30) + at(&mut rng),
                        dst: at(&mut rng),
                        blocks,
                        block_shift: shift,
                    };
                    let mut outcome = ended_well(&job, op == JobOp::CompareAndWrite && rng.random_range(0..3) > 0);
                    if blocks > 0 && rng.random_range(0..8) == 0 {
                        let touched = rng.random_range(1..=blocks);
                        let write = !matches!(op, JobOp::Compare) && rng.random_range(0..2) == 0;
                        outcome.status = if write { CompletionStatus::WriteError } else { CompletionStatus::ReadError };
                        outcome.blocks_touched = touched;
                        outcome.blocks_done = touched - 1;
                        outcome.fault_address = job.dst + u64::from(touched - 1) * job.block_bytes();
                    }
                    PortJob { job, outcome, arrival: None }
                })
                .collect()
        })
        .collect()
}

#[test]
fn fast_forward_changes_nothing() {
    use offload_model::timing::port::Stepping;
    for (seed, queues) in [(1, 1), (2, 2), (3, 3), (4, 4), (5, 2)] {
        let work = workload(seed, queues, 40);
        let t = TimingParams { queues: 4, ..TimingParams::default() };
        let port = SharedPort::new(t, MemoryTiming::fixed(16, 8), HostTiming::default()).expect("valid parameters");
        let stepped = port.clone().stepping(Stepping::EveryCycle).run(&work).expect("completes");
        let skipped = port.stepping(Stepping::FastForward).run(&work).expect("completes");
        assert_eq!(stepped.fast_forwarded, 0);
        assert!(
            skipped.fast_forwarded > skipped.cycles / 10,
            "seed {seed}: {} of {} cycles skipped",
            skipped.fast_forwarded,
            skipped.cycles
        );
        eprintln!(
            "seed {seed}, {queues} queues: {} of {} cycles fast-forwarded",
            skipped.fast_forwarded, skipped.cycles
        );
        assert_eq!(stepped, PortRun { fast_forwarded: 0, ..skipped }, "seed {seed}, {queues} queues");
    }
}

/// A job may run longer than the hang bound (2^20 cycles) between completions: its beats are progress.
#[test]
fn a_long_job_is_not_a_hang_in_either_stepping() {
    use offload_model::timing::port::Stepping;
    // 8 MiB with one read burst in flight: half a beat a cycle, about 2^21 cycles.
    let t = TimingParams { max_outstanding_reads: 1, ..TimingParams::default() };
    let job = Job { tag: 1, op: JobOp::Copy, src: 1 << 30, dst: 0, blocks: 16384, block_shift: 9 };
    let work = [vec![PortJob::ending_well(job)]];
    for stepping in [Stepping::EveryCycle, Stepping::FastForward] {
        let port = SharedPort::new(t.clone(), MemoryTiming::fixed(16, 8), HostTiming::default()).expect("valid");
        let run = port.stepping(stepping).run(&work).expect("not a hang");
        assert!(run.cycles > 2 << 20, "{} cycles", run.cycles);
    }
}
