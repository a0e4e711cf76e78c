//! Seeded random regressions: several queues at once with random latency and backpressure (results,
//! locks, commit order and memory checked), and one queue on the model's memory timing (cycles checked
//! to ±2 % as well).

use offload_cosim::stimulus::RandomRun;
use offload_cosim::{Latency, SlaveConfig, Variant};

fn run(seed: u64, jobs: u64, queues: u8, slave: SlaveConfig) -> offload_cosim::report::Summary {
    let run = RandomRun { seed, jobs, queues, slave, variant: Variant::Reference, tolerance: 2.0, trace: None };
    let (summary, result) = run.run(|_| {});
    if let Err(m) = result {
        panic!("{m}");
    }
    assert_eq!(summary.jobs, jobs);
    summary
}

#[test]
fn random_jobs_on_three_queues_with_backpressure() {
    let slave = SlaveConfig {
        read_latency: Latency::Uniform(2, 48),
        write_latency: Latency::Uniform(1, 32),
        backpressure_pct: 25,
        seed: 7,
    };
    run(7, 400, 3, slave);
}

#[test]
fn random_jobs_on_one_queue_take_the_predicted_cycles() {
    let s = run(8, 300, 1, SlaveConfig::fixed(16, 8));
    assert!(s.samples.iter().all(|x| x.error_pct().abs() <= 2.0));
}
