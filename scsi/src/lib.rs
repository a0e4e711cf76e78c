//! # offload-scsi — the SCSI vocabulary of the offload kit
//!
//! What the reference model (`offload-model`) and the software fast path (`offload-fastpath`) both speak,
//! written once: `no_std`, no allocation, no dependencies (serde only behind the `serde` feature, for the
//! crates that keep the limits in a schema).
//!
//! - [`sense`]: sense keys and ASC/ASCQ as named constants, sense-key specific field and segment
//!   pointers, fixed and descriptor sense data — encoding and decoding;
//! - [`command`]: the command table (operation code, service action, CDB length, usage mask), the
//!   reserved-bit check, and which commands the fast path executes;
//! - [`durability`]: which blocks a command needs durable before its status ([`Durable`], FUA, WCE);
//! - [`limits`]: the limits a device server advertises and enforces, with their defaults;
//! - [`reservation`]: each command's reservation class, persistent reservation types and service
//!   actions;
//! - [`provisioning`], [`xcopy`], [`status`]: block provisioning states, the EXTENDED COPY parameter
//!   list's layout and codes, SCSI status codes;
//! - [`fields`]: big-endian field readers.
//!
//! What stays in each implementation is its own: the order of its checks, its data path, how it runs
//! EXTENDED COPY and keeps provisioning state. That independence is what the golden vectors test.
//!
//! ```
//! use offload_scsi::{Asc, Sense, SenseFormat, sense};
//!
//! let s = Sense::invalid_cdb_field(5, Some(2)); // INVALID FIELD IN CDB, NACA bit of a 6-byte CDB
//! let bytes = s.encode(SenseFormat::Fixed);
//! assert_eq!(sense::decode(&bytes), Ok(s));
//! assert_eq!(s.asc, Asc::INVALID_FIELD_IN_CDB);
//! ```
#![no_std]

pub mod command;
pub mod durability;
pub mod fields;
pub mod limits;
pub mod provisioning;
pub mod reservation;
pub mod sense;
pub mod status;
pub mod xcopy;

pub use command::{COMMANDS, Command, CommandSpec};
pub use durability::Durable;
pub use fields::{BlockFields, Fields, block_fields};
pub use limits::{AtomicLimits, CopyLimits, LimitError, Limits};
pub use provisioning::Provisioning;
pub use reservation::ReservationClass;
pub use sense::{Asc, CopyTarget, Forwarded, KeySpecific, Sense, SenseBuf, SenseFormat, SenseKey};
pub use status::{CHECK_CONDITION, CONDITION_MET, GOOD, RESERVATION_CONFLICT};
