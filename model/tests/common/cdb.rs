//! CDBs the vectors crate does not build, from the SPC-4 / SBC-4 layouts.

pub fn read_capacity10() -> Vec<u8> {
    vec![0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0]
}

/// REPORT SUPPORTED OPERATION CODES: A3h/0Ch; byte 2 RCTD (bit 7) and REPORTING OPTIONS (2–0); byte 3
/// REQUESTED OPERATION CODE; bytes 4–5 REQUESTED SERVICE ACTION; bytes 6–9 ALLOCATION LENGTH.
pub fn rsoc(rctd: bool, options: u8, opcode: u8, service_action: u16, allocation: u32) -> Vec<u8> {
    let mut c = vec![0xA3, 0x0C, u8::from(rctd) << 7 | options, opcode, 0, 0, 0, 0, 0, 0, 0, 0];
    c[4..6].copy_from_slice(&service_action.to_be_bytes());
    c[6..10].copy_from_slice(&allocation.to_be_bytes());
    c
}
