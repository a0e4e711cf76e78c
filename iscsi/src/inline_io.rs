//! Blocking std I/O seen as tokio's async I/O: a reader or writer whose every call completes when made
//! ([`Inline`]: memory, or a socket its caller is content to block on), and [`complete`], which runs a
//! future over such I/O to its end on the calling thread, without a runtime.
//!
//! The connection is async so that a few worker threads serve every connection (`target`); through this,
//! the fuzzer, the tests over memory and the initiator's blocking reads run that same code.

use std::future::Future;
use std::io::{self, IoSlice, Read, Write};
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A std reader or writer as an async one that never has to wait (each call blocks, or need not).
#[derive(Debug)]
pub struct Inline<T>(pub T);

/// Retries a call the OS interrupted, as std's `read_exact` and `write_all` do.
fn uninterrupted<T>(mut call: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match call() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

impl<R: Read + Unpin> AsyncRead for Inline<R> {
    fn poll_read(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let reader = &mut self.get_mut().0;
        let n = uninterrupted(|| reader.read(buf.initialize_unfilled()))?;
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl<W: Write + Unpin> AsyncWrite for Inline<W> {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let writer = &mut self.get_mut().0;
        Poll::Ready(uninterrupted(|| writer.write(buf)))
    }

    fn poll_write_vectored(self: Pin<&mut Self>, _: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<io::Result<usize>> {
        let writer = &mut self.get_mut().0;
        Poll::Ready(uninterrupted(|| writer.write_vectored(bufs)))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.get_mut().0.flush())
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Runs `future` to its end on this thread. Over [`Inline`] I/O (and anything else that never waits) it
/// finishes in one poll; `None` says it would have had to wait — it was given I/O that is not inline.
pub fn complete<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn inline_io_completes_in_one_poll() {
        let mut input = Inline(&b"hello world"[..]);
        let mut word = [0u8; 5];
        assert!(complete(input.read_exact(&mut word)).unwrap().is_ok());
        assert_eq!(&word, b"hello");
        let mut out = Inline(Vec::new());
        complete(out.write_all(b"abc")).unwrap().unwrap();
        assert_eq!(out.0, b"abc");
        // Past the end: an EOF error, not a wait.
        let mut rest = [0u8; 10];
        assert!(complete(input.read_exact(&mut rest)).unwrap().is_err());
    }

    #[test]
    fn a_future_that_waits_is_reported() {
        assert!(complete(std::future::pending::<()>()).is_none());
    }
}
