//! What a connection runs over: a byte stream in each direction (async: the connection is a task on the
//! target's worker pool), and the few socket-specific controls the connection and the session table use —
//! the peer's and the local address (logs, SendTargets), low latency (no Nagle delay), whether reads can
//! wait for ever (then the login has a timeout), and shutting a connection down from another thread
//! (session reinstatement, TARGET COLD RESET, stopping the target).
//!
//! TCP ([`TcpStream`], served through the runtime's reactor) is the production transport. [`Memory`]
//! serves bytes from a buffer and collects what the target writes: the tests' and the fuzzer's
//! ([`crate::wire`]). Any other [`Transport`] (the fuzzer's, which writes its next request after reading
//! the target's last answer) plugs in the same way; blocking std I/O through [`Inline`].

use std::io::{self, Cursor, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use crate::inline_io::Inline;

/// A connection's byte stream and its controls. The defaults suit a transport that is not a socket.
pub trait Transport: Send + 'static {
    /// The initiator-to-target direction.
    type Reader: AsyncRead + Unpin + Send;
    /// The target-to-initiator direction.
    type Writer: AsyncWrite + Unpin + Send;

    /// The two directions, taken once by the connection (which buffers both).
    fn open(&mut self) -> io::Result<(Self::Reader, Self::Writer)>;

    /// What ends this connection from another thread; `None` where nothing can (the connection then ends
    /// when its input does).
    fn closer(&self) -> Option<Box<dyn Closer>> {
        None
    }

    /// The initiator's address, for the log.
    fn peer(&self) -> String {
        "-".to_owned()
    }

    /// The target's address on this connection, as SendTargets reports it (`None`: the portal's).
    fn local_addr(&self) -> Option<SocketAddr> {
        None
    }

    /// Sends each PDU as soon as it is written (TCP_NODELAY).
    fn set_low_latency(&self) -> io::Result<()> {
        Ok(())
    }

    /// Whether a read can wait for ever (a socket's, for an initiator that sends nothing): the login then
    /// has a timeout. A transport whose reads never wait needs none (nor a runtime's timer).
    fn waits(&self) -> bool {
        false
    }
}

/// Ends a connection from outside the thread serving it: its reads then fail and the connection closes.
pub trait Closer: Send + Sync {
    fn close(&self);
}

/// A socket accepted by the blocking accept loop, served by the runtime: [`Transport::open`] must run on
/// one of its threads.
impl Transport for TcpStream {
    type Reader = OwnedReadHalf;
    type Writer = OwnedWriteHalf;

    fn open(&mut self) -> io::Result<(OwnedReadHalf, OwnedWriteHalf)> {
        let stream = self.try_clone()?;
        stream.set_nonblocking(true)?;
        Ok(tokio::net::TcpStream::from_std(stream)?.into_split())
    }

    fn closer(&self) -> Option<Box<dyn Closer>> {
        self.try_clone().ok().map(|s| Box::new(s) as Box<dyn Closer>)
    }

    fn peer(&self) -> String {
        self.peer_addr().map(|a| a.to_string()).unwrap_or_else(|_| "?".into())
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        TcpStream::local_addr(self).ok()
    }

    fn set_low_latency(&self) -> io::Result<()> {
        self.set_nodelay(true)
    }

    fn waits(&self) -> bool {
        true
    }
}

impl Closer for TcpStream {
    fn close(&self) {
        let _ = self.shutdown(Shutdown::Both);
    }
}

/// A connection over memory: the initiator's bytes come from a buffer (its end is the initiator closing
/// the connection), and what the target writes collects in a [`Sink`].
pub struct Memory {
    input: Option<Arc<[u8]>>,
    output: Sink,
}

impl Memory {
    pub fn new(input: impl Into<Arc<[u8]>>) -> Memory {
        Memory { input: Some(input.into()), output: Sink::default() }
    }

    /// Where the target's bytes go (a handle on the same buffer).
    pub fn output(&self) -> Sink {
        self.output.clone()
    }
}

impl Transport for Memory {
    type Reader = Cursor<Arc<[u8]>>;
    type Writer = Inline<Sink>;

    fn open(&mut self) -> io::Result<(Self::Reader, Inline<Sink>)> {
        let input = self.input.take().ok_or_else(|| io::Error::other("a memory transport opens once"))?;
        Ok((Cursor::new(input), Inline(self.output.clone())))
    }
}

/// A growing byte buffer shared between a writer and whoever reads what was written.
#[derive(Clone, Debug, Default)]
pub struct Sink(Arc<Mutex<Vec<u8>>>);

impl Sink {
    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// How many bytes were written so far.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
