//! The target: a listening socket whose blocking accept loop hands each connection to a worker pool — a
//! tokio runtime with as many worker threads as the machine has cores, which serves every connection as
//! an async task through one epoll reactor — all sharing one state (`session`: the back end, the
//! sessions, the reset epochs, the open connections).
//!
//! A connection's commands execute on the worker that reads them, in the order they arrive; commands of
//! different connections run on different workers at once, as far as the back end's locks allow.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use workers::Workers;
pub use workers::real_time_priority;

mod workers;

use crate::backend::{Backend, LiveChange, ReconfigureError};
use crate::connection;
use crate::session::Shared;
pub use crate::settings::{AuthConfig, AuthConfigError, DEFAULT_TARGET_NAME, Settings};
use crate::transport::Transport;
use offload_model::config::TargetConfig;

/// A bound target, not yet accepting.
pub struct Target {
    shared: Arc<Shared>,
    listener: TcpListener,
    /// The worker pool that serves the connections.
    workers: Workers,
    /// Set to end the accept loop.
    stopping: Arc<AtomicBool>,
}

impl Target {
    /// Binds the portal. Port 0 picks a free port ([`Target::local_addr`] tells which).
    pub fn bind(settings: Settings, backend: Box<dyn Backend>) -> io::Result<Target> {
        let listener = TcpListener::bind(settings.listen)?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers = Workers::start(cores, settings.loop_priority)?;
        let shared = Arc::new(Shared::new(settings, backend));
        Ok(Target { shared, listener, workers, stopping: Arc::new(AtomicBool::new(false)) })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle that reloads the configuration of this target while it runs.
    pub fn reloader(&self) -> Reloader {
        Reloader { shared: Arc::clone(&self.shared) }
    }

    /// Accepts connections until [`RunningTarget::stop`] (or forever).
    pub fn run(mut self) -> io::Result<()> {
        let addr = self.listener.local_addr()?;
        self.shared.log(
            1,
            format_args!(
                "serving {} on {addr} ({} back end, {} units, {} workers)",
                self.shared.settings.target_name,
                self.shared.backend_name,
                self.shared.config().units.len(),
                self.workers.len()
            ),
        );
        for stream in self.listener.incoming() {
            if self.stopping.load(Ordering::SeqCst) {
                break;
            }
            let stream = match stream {
                Ok(s) => s,
                Err(e) => {
                    self.shared.log(1, format_args!("accept: {e}"));
                    continue;
                }
            };
            let Some(id) = self.shared.register_connection(&Transport::peer(&stream), stream.closer()) else {
                continue;
            };
            let shared = Arc::clone(&self.shared);
            self.workers.spawn(async move {
                connection::serve(&shared, stream, id).await;
                shared.connection_closed(id);
            });
        }
        // The connections end (their reads fail), then the workers.
        self.shared.drop_all_connections();
        self.workers.stop();
        Ok(())
    }

    /// Accepts on a background thread.
    pub fn spawn(self) -> io::Result<RunningTarget> {
        let addr = self.local_addr()?;
        let shared = Arc::clone(&self.shared);
        let stopping = Arc::clone(&self.stopping);
        let thread = std::thread::Builder::new().name("iscsi-accept".into()).spawn(move || self.run())?;
        Ok(RunningTarget { addr, shared, stopping, thread: Some(thread) })
    }
}

/// Changes a running target's configuration (see [`Backend::reconfigure`]).
#[derive(Clone)]
pub struct Reloader {
    shared: Arc<Shared>,
}

impl Reloader {
    /// The configuration now.
    pub fn config(&self) -> TargetConfig {
        self.shared.config().clone()
    }

    /// Applies `config` if it can be applied live, logging what changed or why nothing did.
    pub fn reload(&self, config: &TargetConfig) -> Result<Vec<LiveChange>, ReconfigureError> {
        let result = self.shared.reconfigure(config);
        match &result {
            Ok(changes) if changes.is_empty() => self.shared.log(1, format_args!("reload: nothing changed")),
            Ok(changes) => {
                for change in changes {
                    let what = match change {
                        LiveChange::Resize { lun, blocks } => format!("unit {lun} now has {blocks} blocks"),
                        LiveChange::Access(_) => "the access map changed".to_owned(),
                    };
                    self.shared.log(1, format_args!("reload: {what}"));
                }
            }
            Err(why) => self.shared.log(1, format_args!("reload refused, nothing changed: {why}")),
        }
        result
    }
}

/// A target accepting on a background thread; stopped when dropped.
pub struct RunningTarget {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stopping: Arc<AtomicBool>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl RunningTarget {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Sessions in full feature phase now.
    pub fn sessions(&self) -> usize {
        self.shared.session_count()
    }

    /// A handle that reloads the configuration.
    pub fn reloader(&self) -> Reloader {
        Reloader { shared: Arc::clone(&self.shared) }
    }

    /// The target's counters now (see [`crate::counters`]).
    pub fn counters(&self) -> crate::counters::Tally {
        self.shared.counters.snapshot()
    }

    /// Stops accepting and drops every connection.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.stopping.store(true, Ordering::SeqCst);
            // Wake the accept loop.
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
            let _ = thread.join();
            self.shared.drop_all_connections();
        }
    }
}

impl Drop for RunningTarget {
    fn drop(&mut self) {
        self.shutdown();
    }
}
