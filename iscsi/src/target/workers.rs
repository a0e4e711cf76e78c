//! The worker pool: one event loop per core. Each loop is a single-threaded tokio runtime on a thread of
//! its own, polling the connections it was given through its own epoll instance; a connection stays on
//! its loop for its life, and a new one goes to the loop serving the fewest. Nothing is handed from
//! thread to thread per command: a loop reads a command, executes it and writes its answer itself.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::runtime::{Builder, Handle};
use tokio::sync::oneshot;

/// How long a stopping loop waits for its connections' tasks to end.
const STOP_WAIT: Duration = Duration::from_secs(1);

struct Loop {
    handle: Handle,
    /// Connections on this loop now.
    live: Arc<AtomicUsize>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Event loops, one per core (see the module documentation).
pub(crate) struct Workers {
    loops: Vec<Loop>,
}

impl Workers {
    /// Starts `count` loops (at least one), at real-time priority `priority` (SCHED_FIFO) if given: if
    /// that priority cannot be had, no loop runs and the error says why.
    pub(crate) fn start(count: usize, priority: Option<u8>) -> io::Result<Workers> {
        let mut workers = Workers { loops: Vec::new() };
        for n in 0..count.max(1) {
            let runtime = Builder::new_current_thread().enable_all().build()?;
            let handle = runtime.handle().clone();
            let (stop, stopped) = oneshot::channel::<()>();
            let (started, scheduled) = std::sync::mpsc::channel();
            let thread = std::thread::Builder::new().name(format!("iscsi-loop-{n}")).spawn(move || {
                let policy = priority.map_or(Ok(()), real_time_priority);
                let refused = policy.is_err();
                let _ = started.send(policy);
                if refused {
                    return;
                }
                runtime.block_on(async {
                    let _ = stopped.await;
                });
                runtime.shutdown_timeout(STOP_WAIT);
            })?;
            workers.loops.push(Loop { handle, live: Arc::default(), stop: Some(stop), thread: Some(thread) });
            // Dropping `workers` on an error stops the loops started so far.
            scheduled.recv().map_err(|_| io::Error::other("a worker loop ended as it started"))??;
        }
        Ok(workers)
    }

    /// How many loops there are.
    pub(crate) fn len(&self) -> usize {
        self.loops.len()
    }

    /// Runs `connection` to its end on the loop serving the fewest connections.
    pub(crate) fn spawn(&self, connection: impl Future<Output = ()> + Send + 'static) {
        let Some(chosen) = self.loops.iter().min_by_key(|l| l.live.load(Ordering::Relaxed)) else {
            return;
        };
        let live = Arc::clone(&chosen.live);
        live.fetch_add(1, Ordering::Relaxed);
        chosen.handle.spawn(async move {
            connection.await;
            live.fetch_sub(1, Ordering::Relaxed);
        });
    }

    /// Stops every loop, each after its connections' tasks end (or after a short wait, then drops them).
    pub(crate) fn stop(&mut self) {
        for l in &mut self.loops {
            if let Some(stop) = l.stop.take() {
                let _ = stop.send(());
            }
        }
        for l in &mut self.loops {
            if let Some(thread) = l.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

/// Puts the calling thread under SCHED_FIFO at `priority` (1–99): what `--loop-priority` does to each
/// worker loop (and the bench's floor to its echo loops).
pub fn real_time_priority(priority: u8) -> io::Result<()> {
    use thread_priority::{RealtimeThreadSchedulePolicy, ScheduleParams, ThreadPriority, ThreadSchedulePolicy};
    let params = ThreadPriority::from_posix(ScheduleParams { sched_priority: i32::from(priority) });
    let policy = ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Fifo);
    thread_priority::set_thread_priority_and_policy(thread_priority::thread_native_id(), params, policy).map_err(|e| {
        io::Error::other(format!(
            "cannot run at SCHED_FIFO priority {priority} ({e:?}; it takes CAP_SYS_NICE or an RLIMIT_RTPRIO of \
             at least {priority})"
        ))
    })
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.stop();
    }
}
