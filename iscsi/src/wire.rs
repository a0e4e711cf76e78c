//! The wire without a socket: one connection served over any [`Transport`] whose I/O never waits (memory,
//! [`Inline`](crate::inline_io::Inline) blocking I/O) against a back end, on the calling thread, until the
//! input ends. The entry point of the fuzzer (`fuzz/`, target `iscsi_wire`) and
//! of tests that drive the connection with prepared bytes.
//!
//! The connection is the production one (`connection`, `session`): login, the full feature phase, the
//! same Rejects and the same closes. What a socket adds is gone: nothing else connects, nothing times out,
//! and the connection ends when its input does (an end between PDUs is the initiator closing the
//! connection; an end inside one, a connection lost).

use std::sync::Arc;

use crate::backend::Backend;
use crate::connection;
use crate::inline_io;
use crate::session::Shared;
use crate::settings::Settings;
use crate::transport::{Memory, Transport};

/// The id of the one connection a [`serve`] runs.
const CONNECTION: u64 = 1;

/// Serves one connection over `transport` against `backend` and returns when the connection ends (or
/// when it would have had to wait for the transport: then the connection is dropped where it stood).
pub fn serve<T: Transport>(settings: Settings, backend: Box<dyn Backend>, transport: T) {
    let shared = Arc::new(Shared::new(settings, backend));
    if inline_io::complete(connection::serve(&shared, transport, CONNECTION)).is_none() {
        shared.log(1, format_args!("connection {CONNECTION}: its transport would have waited; dropped"));
    }
    shared.connection_closed(CONNECTION);
}

/// Serves one connection whose initiator sends `input` and then closes; returns what the target sent.
pub fn serve_bytes(settings: Settings, backend: Box<dyn Backend>, input: &[u8]) -> Vec<u8> {
    let transport = Memory::new(input);
    let output = transport.output();
    serve(settings, backend, transport);
    output.contents()
}
