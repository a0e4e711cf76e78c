//! Helpers shared by the integration tests: targets, requests, CDB builders written from the
//! SBC-4/SPC-4 layouts (not from the model's own tables), block patterns, and sense assertions.
//!
//! Expected values in the tests come from SPC-4 / SBC-4 (byte layouts, sense codes, field pointers) or
//! from an independent computation in the test (patterns, extents); never from the model's own output.
// Each test crate uses its own part of these.
#![allow(dead_code, unused_imports)]

mod cdb;
mod medium;
mod sense;
mod targets;

pub use cdb::*;
pub use medium::*;
pub use offload_scsi::Fields;
pub use offload_vectors::cdb::*;
pub use sense::*;
pub use targets::*;

use offload_model::scsi::{Request, Response, Target};

pub const HOST: &str = "iqn.2026-11.test:host-a";
pub const OTHER_HOST: &str = "iqn.2026-11.test:host-b";

pub fn request_from(initiator: &str, lun: u16, cdb: Vec<u8>, data_out: Vec<u8>) -> Request {
    Request { initiator: initiator.to_owned(), lun, cdb, data_out }
}

pub fn request(lun: u16, cdb: Vec<u8>, data_out: Vec<u8>) -> Request {
    request_from(HOST, lun, cdb, data_out)
}

pub fn run(t: &mut Target, lun: u16, cdb: Vec<u8>, data_out: Vec<u8>) -> Response {
    t.execute(&request(lun, cdb, data_out))
}

/// Runs a command that must succeed and returns its data-in.
pub fn good(t: &mut Target, lun: u16, cdb: Vec<u8>, data_out: Vec<u8>) -> Vec<u8> {
    let r = run(t, lun, cdb.clone(), data_out);
    assert_eq!(r.status, 0, "expected GOOD for {cdb:02x?}, got sense {:02x?}", r.sense);
    r.data_in
}

/// Runs a command that must fail and returns its sense.
#[track_caller]
pub fn check(t: &mut Target, lun: u16, cdb: Vec<u8>, data_out: Vec<u8>) -> Sense {
    let r = run(t, lun, cdb.clone(), data_out);
    assert_eq!(r.status, 2, "expected CHECK CONDITION for {cdb:02x?}");
    sense_of(&r)
}

/// The unit's NAA designator as VPD page 83h reports it (16 bytes).
pub fn naa_of(t: &mut Target, lun: u16) -> Vec<u8> {
    let page = good(t, lun, inquiry(true, 0x83, 255), vec![]);
    assert_eq!(&page[4..8], &[0x01, 0x03, 0x00, 0x10], "one binary LU NAA designator");
    page[8..24].to_vec()
}
