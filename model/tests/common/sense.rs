//! Sense data as the tests read it: the vocabulary crate's decoder (`offload_scsi::sense::decode`) and
//! assertions over the [`Sense`] it returns.
//!
//! Field pointers: the pointer names the first byte of a multi-byte field; a bit pointer, when given, names
//! the left-most bit of the field (SPC-4 4.5.2.4.2). For a field that fills whole bytes the bit pointer is
//! optional, so the `_byte` assertions accept either no bit pointer or bit 7.

use offload_model::scsi::Response;
pub use offload_scsi::{Asc, CopyTarget, KeySpecific, Sense, SenseKey};

/// The sense data of `r`, decoded; malformed sense fails the test.
#[track_caller]
pub fn sense_of(r: &Response) -> Sense {
    offload_scsi::sense::decode(&r.sense).unwrap_or_else(|e| panic!("malformed sense data ({e}): {:02x?}", r.sense))
}

/// Asserts the sense key and ASC/ASCQ.
#[track_caller]
pub fn assert_sense(s: &Sense, key: SenseKey, asc: Asc) {
    assert_eq!((s.key, s.asc), (key, asc), "sense {s:?}");
}

/// LOGICAL BLOCK ADDRESS OUT OF RANGE: an LBA at or past the capacity, or a range that wraps.
#[track_caller]
pub fn assert_lba_out_of_range(s: &Sense) {
    assert_sense(s, SenseKey::ILLEGAL_REQUEST, Asc::LBA_OUT_OF_RANGE);
}

/// DATA PROTECT, WRITE PROTECTED: a command that would change a write-protected unit.
#[track_caller]
pub fn assert_write_protected(s: &Sense) {
    assert_sense(s, SenseKey::DATA_PROTECT, Asc::WRITE_PROTECTED);
}

/// LOGICAL UNIT NOT SUPPORTED: no such unit, or one the initiator may not reach.
#[track_caller]
pub fn assert_lun_not_supported(s: &Sense) {
    assert_sense(s, SenseKey::ILLEGAL_REQUEST, Asc::LOGICAL_UNIT_NOT_SUPPORTED);
}

/// PARAMETER LIST LENGTH ERROR: a parameter list shorter than its own lengths say.
#[track_caller]
pub fn assert_parameter_list_length_error(s: &Sense) {
    assert_sense(s, SenseKey::ILLEGAL_REQUEST, Asc::PARAMETER_LIST_LENGTH_ERROR);
}

/// Asserts an INVALID FIELD IN CDB pointing at `byte` (and `bit`).
#[track_caller]
pub fn assert_invalid_cdb_field(s: &Sense, byte: usize, bit: Option<u8>) {
    assert_sense(s, SenseKey::ILLEGAL_REQUEST, Asc::INVALID_FIELD_IN_CDB);
    assert_eq!(s.key_specific, field_pointer(true, byte, bit), "field pointer of {s:?}");
}

/// INVALID FIELD IN CDB at a field of whole bytes starting at `byte` (bit pointer absent or 7).
#[track_caller]
pub fn assert_invalid_cdb_byte(s: &Sense, byte: usize) {
    assert_sense(s, SenseKey::ILLEGAL_REQUEST, Asc::INVALID_FIELD_IN_CDB);
    assert_whole_byte_pointer(s, true, byte);
}

/// An ILLEGAL REQUEST in the parameter list (C/D=0) at `byte`, bit exactly `bit`.
#[track_caller]
pub fn assert_parameter_field(s: &Sense, asc: Asc, byte: usize, bit: Option<u8>) {
    assert_sense(s, SenseKey::ILLEGAL_REQUEST, asc);
    assert_eq!(s.key_specific, field_pointer(false, byte, bit), "parameter-list pointer of {s:?}");
}

/// An ILLEGAL REQUEST in the parameter list (C/D=0) at a whole-byte field starting at `byte`.
#[track_caller]
pub fn assert_parameter_byte(s: &Sense, asc: Asc, byte: usize) {
    assert_sense(s, SenseKey::ILLEGAL_REQUEST, asc);
    assert_whole_byte_pointer(s, false, byte);
}

/// Asserts an INVALID FIELD IN PARAMETER LIST pointing at `byte`, bit exactly `bit`.
#[track_caller]
pub fn assert_invalid_parameter_field(s: &Sense, byte: usize, bit: Option<u8>) {
    assert_parameter_field(s, Asc::INVALID_FIELD_IN_PARAMETER_LIST, byte, bit);
}

/// INVALID FIELD IN PARAMETER LIST at a whole-byte field starting at `byte`.
#[track_caller]
pub fn assert_invalid_parameter_byte(s: &Sense, byte: usize) {
    assert_parameter_byte(s, Asc::INVALID_FIELD_IN_PARAMETER_LIST, byte);
}

/// The sense-key specific field of a pointer into the CDB (`in_cdb`) or the parameter list.
fn field_pointer(in_cdb: bool, byte: usize, bit: Option<u8>) -> Option<KeySpecific> {
    let byte = u16::try_from(byte).expect("FIELD POINTER has 16 bits");
    Some(KeySpecific::Field { in_cdb, byte, bit })
}

#[track_caller]
fn assert_whole_byte_pointer(s: &Sense, in_cdb: bool, byte: usize) {
    let whole = [field_pointer(in_cdb, byte, None), field_pointer(in_cdb, byte, Some(7))];
    let place = if in_cdb { "a CDB" } else { "a parameter-list" };
    assert!(whole.contains(&s.key_specific), "expected {place} pointer at byte {byte}, got {:?}", s.key_specific);
}
