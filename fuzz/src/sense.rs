//! What every answer must satisfy, whatever the input: GOOD with no sense, or CHECK CONDITION with
//! well-formed sense data (fixed 70h or descriptor 72h, the additional length matching, a sense key a
//! command can raise) whose INVALID FIELD field pointer lies inside the CDB or parameter list it blames.

/// An answer that breaks the rules above.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed answer: {0}")]
pub struct Malformed(pub String);

/// The parts of sense data the checks read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decoded {
    key: u8,
    asc: u8,
    ascq: u8,
    /// SKSV set: (C/D, field pointer).
    field_pointer: Option<(bool, u16)>,
}

fn malformed(what: impl Into<String>) -> Malformed {
    Malformed(what.into())
}

/// Reads the sense-key-specific bytes (SKSV, C/D, field pointer) at `sks`.
fn field_pointer(sks: &[u8]) -> Option<(bool, u16)> {
    (sks[0] & 0x80 != 0).then(|| (sks[0] & 0x40 != 0, u16::from_be_bytes([sks[1], sks[2]])))
}

fn decode(sense: &[u8]) -> Result<Decoded, Malformed> {
    let code = sense.first().ok_or_else(|| malformed("CHECK CONDITION without sense data"))? & 0x7F;
    if sense.len() < 8 || usize::from(sense[7]) + 8 != sense.len() {
        return Err(malformed(format!("additional length {:?} for {} sense bytes", sense.get(7), sense.len())));
    }
    match code {
        0x70 => {
            if sense.len() < 18 {
                return Err(malformed("fixed-format sense shorter than 18 bytes"));
            }
            Ok(Decoded {
                key: sense[2] & 0xF,
                asc: sense[12],
                ascq: sense[13],
                field_pointer: field_pointer(&sense[15..18]),
            })
        }
        0x72 => {
            let mut d = Decoded { key: sense[1] & 0xF, asc: sense[2], ascq: sense[3], field_pointer: None };
            let mut at = 8;
            while at < sense.len() {
                let len = usize::from(*sense.get(at + 1).ok_or_else(|| malformed("descriptor header cut short"))?);
                let body =
                    sense.get(at..at + 2 + len).ok_or_else(|| malformed("sense descriptor overruns the data"))?;
                if body[0] == 0x02 {
                    if len != 6 {
                        return Err(malformed("sense-key-specific descriptor of the wrong length"));
                    }
                    d.field_pointer = field_pointer(&body[4..7]);
                }
                at += 2 + len;
            }
            Ok(d)
        }
        other => Err(malformed(format!("response code {other:#04x}"))),
    }
}

/// Checks one answer to `cdb` with `data_out`.
pub fn check_answer(cdb: &[u8], data_out: &[u8], status: u8, sense: &[u8]) -> Result<(), Malformed> {
    match status {
        0x00 if sense.is_empty() => Ok(()),
        0x00 => Err(malformed("GOOD with sense data")),
        0x02 => {
            let d = decode(sense)?;
            // ILLEGAL REQUEST, NOT READY, MEDIUM ERROR, HARDWARE ERROR, UNIT ATTENTION, DATA PROTECT,
            // COPY ABORTED, MISCOMPARE.
            if !matches!(d.key, 0x2..=0x7 | 0xA | 0xE) {
                return Err(malformed(format!("sense key {:#x}", d.key)));
            }
            if d.key == 0x5 && matches!((d.asc, d.ascq), (0x24, 0) | (0x26, 0)) {
                let (in_cdb, byte) =
                    d.field_pointer.ok_or_else(|| malformed("INVALID FIELD without a field pointer"))?;
                if in_cdb != (d.asc == 0x24) {
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
        assert!(check_answer(&[0; 10], &[], 2, &[]).is_err());
    }
}
