//! Seeded random regressions: several queues at once with random latency and backpressure (results,
//! locks, commit order and memory checked), and one queue on the model's memory timing (cycles checked
//! to ±2 % as well); and the shared-port model's prediction of such runs.

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

/// The shared-port model predicts a run of several queues job by job: every grant and every completion
/// on the cycle at fixed latency, and, with random latency and backpressure drawn from its own seeds,
/// the run's throughput to within the gate's ±5 %.
#[test]
fn the_shared_port_model_predicts_contended_runs() {
    let fixed = run(9, 400, 3, SlaveConfig::fixed(16, 8));
    let c = fixed.contention.expect("a random run is predicted");
    assert!(c.grant_delta.iter().all(|&d| d == 0), "every grant on the cycle");
    assert!(c.errors.iter().all(|&e| e == 0.0), "every completion on the cycle");
    assert_eq!(c.rtl_cycles, c.model_cycles);
    c.gate().expect("the fixed-latency gate");

    let slave = SlaveConfig {
        read_latency: Latency::Uniform(2, 48),
        write_latency: Latency::Uniform(1, 32),
        backpressure_pct: 20,
        seed: 10,
    };
    let random = run(10, 400, 2, slave).contention.expect("a random run is predicted");
    random.gate().expect("the random-latency gate");
    assert!(random.independent_cycles.is_some_and(|m| m != random.model_cycles), "its own draws give another run");
}
