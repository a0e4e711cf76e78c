//! Residual counts: how far the bytes a command moved fell short of, or went past, what was expected.

use super::codec::DecodeError;

/// Residual count of a SCSI Response or a Data-In with status (RFC 7143 §11.4.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Residual {
    #[default]
    None,
    /// The command wanted to move more bytes than the Expected Data Transfer Length: how many more.
    Overflow(u32),
    /// Fewer bytes moved than expected: how many fewer.
    Underflow(u32),
}

impl Residual {
    /// The residual for a command that moved (or wanted to move) `actual` bytes against `expected`.
    pub fn of(expected: u32, actual: u64) -> Residual {
        let expected = u64::from(expected);
        if actual > expected {
            Residual::Overflow(u32::try_from(actual - expected).unwrap_or(u32::MAX))
        } else if actual < expected {
            Residual::Underflow((expected - actual) as u32)
        } else {
            Residual::None
        }
    }

    /// The flags byte's bits for this residual, given the bits that mean overflow and underflow.
    pub(super) fn flags(self, overflow: u8, underflow: u8) -> u8 {
        match self {
            Residual::None => 0,
            Residual::Overflow(_) => overflow,
            Residual::Underflow(_) => underflow,
        }
    }

    /// The Residual Count field.
    pub(super) fn count(self) -> u32 {
        match self {
            Residual::None => 0,
            Residual::Overflow(n) | Residual::Underflow(n) => n,
        }
    }

    /// The residual a flags byte and a Residual Count field state.
    pub(super) fn from_flags(flags: u8, overflow: u8, underflow: u8, count: u32) -> Result<Residual, DecodeError> {
        match (flags & overflow != 0, flags & underflow != 0) {
            (false, false) => Ok(Residual::None),
            (true, false) => Ok(Residual::Overflow(count)),
            (false, true) => Ok(Residual::Underflow(count)),
            (true, true) => Err(DecodeError::Field("overflow and underflow both set")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn residual_of_expected_and_actual() {
        assert_eq!(Residual::of(512, 512), Residual::None);
        assert_eq!(Residual::of(512, 1024), Residual::Overflow(512));
        assert_eq!(Residual::of(1024, 512), Residual::Underflow(512));
        assert_eq!(Residual::of(0, u64::MAX), Residual::Overflow(u32::MAX));
    }
}
