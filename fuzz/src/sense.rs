//! What every answer must satisfy, whatever the input: GOOD, CONDITION MET (PRE-FETCH) or RESERVATION
//! CONFLICT with no sense, or CHECK CONDITION with
//! well-formed sense data (fixed 70h or descriptor 72h as the shared vocabulary's decoder reads it, a
//! sense key a command can raise) whose INVALID FIELD field pointer lies inside the CDB or parameter list it blames.

use offload_scsi::sense::decode;
use offload_scsi::{Asc, KeySpecific, SenseKey};

/// An answer that breaks the rules above.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed answer: {0}")]
pub struct Malformed(pub String);

fn malformed(what: impl Into<String>) -> Malformed {
    Malformed(what.into())
}

/// Checks one answer to `cdb` with `data_out`.
pub fn check_answer(cdb: &[u8], data_out: &[u8], status: u8, sense: &[u8]) -> Result<(), Malformed> {
    match status {
        0x00 | 0x04 | 0x18 if sense.is_empty() => Ok(()),
        0x00 | 0x04 | 0x18 => Err(malformed(format!("status {status:#04x} with sense data"))),
        0x02 => {
            // Well-formed as the shared vocabulary reads it (lengths, descriptors, forwarded sense).
            let d = decode(sense).map_err(|e| malformed(e.to_string()))?;
            // ILLEGAL REQUEST, NOT READY, MEDIUM ERROR, HARDWARE ERROR, UNIT ATTENTION, DATA PROTECT,
            // COPY ABORTED, MISCOMPARE.
            if !matches!(d.key.0, 0x2..=0x7 | 0xA | 0xE) {
                return Err(malformed(format!("sense key {:?}", d.key)));
            }
            let invalid_field = [Asc::INVALID_FIELD_IN_CDB, Asc::INVALID_FIELD_IN_PARAMETER_LIST];
            if d.key == SenseKey::ILLEGAL_REQUEST && invalid_field.contains(&d.asc) {
                let Some(KeySpecific::Field { in_cdb, byte, .. }) = d.key_specific else {
                    return Err(malformed("INVALID FIELD without a field pointer"));
                };
                if in_cdb != (d.asc == Asc::INVALID_FIELD_IN_CDB) {
                    return Err(malformed("C/D does not match INVALID FIELD IN CDB / IN PARAMETER LIST"));
                }
                let bound = if in_cdb { cdb.len() } else { data_out.len() };
                if usize::from(byte) >= bound.max(1) {
                    return Err(malformed(format!("field pointer {byte} beyond {bound} bytes")));
                }
            }
            Ok(())
        }
        other => Err(malformed(format!("status {other:#04x}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// INVALID FIELD IN CDB, fixed format, pointing at byte `byte` (SPC-4 4.5.3 layout written out).
    fn invalid_cdb_fixed(byte: u8) -> Vec<u8> {
        let mut s = vec![0u8; 18];
        (s[0], s[2], s[7], s[12]) = (0x70, 0x05, 10, 0x24);
        (s[15], s[17]) = (0xC0, byte);
        s
    }

    #[test]
    fn accepts_good_and_a_pointer_inside_the_cdb() {
        assert_eq!(check_answer(&[0; 10], &[], 0, &[]), Ok(()));
        assert_eq!(check_answer(&[0; 10], &[], 2, &invalid_cdb_fixed(9)), Ok(()));
    }

    #[test]
    fn rejects_a_pointer_past_the_cdb_and_broken_lengths() {
        assert!(check_answer(&[0; 10], &[], 2, &invalid_cdb_fixed(10)).is_err());
        let mut short = invalid_cdb_fixed(1);
        short[7] = 11;
        assert!(check_answer(&[0; 10], &[], 2, &short).is_err());
        assert!(check_answer(&[0; 10], &[], 0, &invalid_cdb_fixed(1)).is_err());
        assert!(check_answer(&[0; 10], &[], 0x18, &invalid_cdb_fixed(1)).is_err(), "RESERVATION CONFLICT has no sense");
        assert_eq!(check_answer(&[0x34; 10], &[], 0x04, &[]), Ok(()), "CONDITION MET");
        assert!(check_answer(&[0; 10], &[], 0x08, &[]).is_err(), "BUSY is never answered");
        assert!(check_answer(&[0; 10], &[], 2, &[]).is_err());
    }
}
