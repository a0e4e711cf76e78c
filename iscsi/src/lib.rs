//! # offload-iscsi — the offload block on the wire
//!
//! An iSCSI target (RFC 7143) that puts the kit's SCSI front end — the reference model, or the software
//! fast path with the model behind it — in front of real initiators: libiscsi's `iscsi-test-cu`, the
//! Linux and ESXi initiators, or the small [`initiator`] here.
//!
//! - [`pdu`]: the PDU codec — framing, digests, the typed message for every opcode.
//! - [`text`]: `key=value` text and the negotiation of operational parameters.
//! - [`auth`]: CHAP — secrets, accounts, and the target's side of the exchange as a state machine.
//! - [`backend`]: the execution back ends (model, fast path) and the units behind them (memory or image
//!   files written through).
//! - [`target`]: the portal: accepting, and every connection an async task on one worker pool as large as
//!   the machine; its [`Settings`](target::Settings).
//! - `connection` (private): login, then the full feature phase of one connection, over any transport.
//! - `session` (private): what the connections share — the back end behind its lock, the sessions (TSIH,
//!   reinstatement), the reset epochs, the open connections, the log.
//! - [`initiator`]: a one-command-at-a-time initiator for tests and tools.
//! - [`crc32c`]: the header and data digest.
//! - [`transfer`]: a write's Expected Data Transfer Length against the data-out its CDB implies (residuals).
//! - [`transport`]: what a connection runs over — TCP, or memory — and the socket controls it uses.
//! - [`wire`]: one connection over any transport, without a socket: the fuzzer's and tests' entry point.
//! - [`inline_io`]: blocking I/O as async I/O, so that [`wire`] and blocking readers run the async code.

pub mod auth;
pub mod backend;
mod connection;
pub mod counters;
pub mod crc32c;
pub mod initiator;
pub mod inline_io;
pub mod pdu;
mod session;
mod settings;
pub mod target;
pub mod text;
pub mod transfer;
pub mod transport;
pub mod wire;
