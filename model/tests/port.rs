//! The shared-port model ([`offload_model::timing::port`]) against the cycle equations: a job alone on
//! the port takes exactly what the equations say, over a grid of bus widths, burst lengths,
//! outstanding reads and latencies inside the equations' domain: the read window more than covers
//! the round trip, `O·L > R + L` (a copy's FIFO room also holds the data waiting for its write), and
//! write responses never hold up a burst, `W < 3L`.

use offload_model::engine::execute::Outcome;
use offload_model::engine::{CompletionStatus, Job, JobOp};
use offload_model::timing::port::{HostTiming, MemoryTiming, PortJob, SharedPort};
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
    let run = port.run(&[vec![PortJob { job: job.clone(), outcome: outcome.clone() }]]).expect("the job completes");
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
