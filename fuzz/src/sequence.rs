//! The command-sequence target's input: a configuration and a list of commands, decoded from libFuzzer's
//! bytes with [`arbitrary::Unstructured`].
//!
//! The layout is simple and written down so that seeds can be encoded from the golden vectors
//! ([`Sequence::encode`]) and an artifact can be read by eye:
//!
//! ```text
//! byte 0            configuration selector (configs::configuration)
//! then, per command (at most MAX_COMMANDS, until the input ends):
//!   flags           bit 0 initiator (configs::INITIATORS), bits 2-1 LUN (3 names no unit),
//!                   bits 4-3 data-out: 0 literal, 1 the length the CDB implies, 2 one byte less, 3 one more
//!   n               CDB length, n % 33 (a transport carries up to 32 bytes)
//!   n bytes         the CDB
//!   literal:        u16 little-endian length L (at most MAX_DATA_OUT), then L bytes of data-out
//!   otherwise:      fill byte: 00h zeros, FFh the addressed blocks' current contents (so that COMPARE AND
//!                   WRITE can match), else pseudo-random bytes seeded by it
//! ```
//!
//! Letting the data-out follow the CDB's own length fields keeps inputs short: a WRITE of 32 blocks is a
//! few bytes of input, not 16 KiB the fuzzer would have to grow.

use arbitrary::{Arbitrary, Unstructured};

/// Commands per sequence: enough for state to build up, few enough to keep executions fast.
pub const MAX_COMMANDS: usize = 24;
/// Largest data-out a command carries (above every parameter list and the largest transfer allowed).
pub const MAX_DATA_OUT: usize = 256 * 1024;
/// Longest CDB a command carries.
pub const MAX_CDB: usize = 32;

/// Where a command's data-out comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataOut {
    Literal(Vec<u8>),
    /// The length the CDB implies ([`implied_length`]) plus `adjust`, filled as `fill` says.
    Implied {
        adjust: i8,
        fill: u8,
    },
}

/// Fill byte: the addressed blocks' current contents.
pub const FILL_CURRENT: u8 = 0xFF;

/// One command of a sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub initiator: u8,
    pub lun: u8,
    pub cdb: Vec<u8>,
    pub data_out: DataOut,
}

/// A configuration and the commands sent to it, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sequence {
    pub configuration: u8,
    pub commands: Vec<Command>,
}

fn be(bytes: &[u8], at: usize, len: usize) -> u64 {
    bytes.get(at..at + len).map_or(0, |b| b.iter().fold(0, |acc, &x| acc << 8 | u64::from(x)))
}

/// The data-out length a CDB asks for on a unit of `block_size` bytes (0 for commands without one).
pub fn implied_length(cdb: &[u8], block_size: u32) -> u64 {
    let bs = u64::from(block_size);
    match cdb.first() {
        Some(0x2A) => be(cdb, 7, 2) * bs,
        Some(0x8A) => be(cdb, 10, 4) * bs,
        Some(0x89) => be(cdb, 13, 1) * 2 * bs,
        // WRITE SAME carries one block, none with NDOB.
        Some(0x41) => bs,
        Some(0x93) if cdb.get(1).is_some_and(|b| b & 0x01 != 0) => 0,
        Some(0x93) => bs,
        Some(0x42) => be(cdb, 7, 2),
        Some(0x83) => be(cdb, 10, 4),
        _ => 0,
    }
}

/// The LBA a command addresses (for [`FILL_CURRENT`]); 0 when it has none.
pub fn addressed_lba(cdb: &[u8]) -> u64 {
    match cdb.first() {
        Some(0x28 | 0x2A | 0x41) => be(cdb, 2, 4),
        Some(0x88 | 0x89 | 0x8A | 0x93) => be(cdb, 2, 8),
        _ => 0,
    }
}

/// Pseudo-random data-out seeded by `seed` (the vectors' generator, so it matches nothing by chance).
pub fn pseudo_random(seed: u8, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len.next_multiple_of(8)];
    offload_vectors::media::generate_block(u64::from(seed), 0x7F, 0, &mut out);
    out.truncate(len);
    out
}

impl<'a> Arbitrary<'a> for Command {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let flags = u8::arbitrary(u)?;
        let cdb_len = usize::from(u8::arbitrary(u)?) % (MAX_CDB + 1);
        let cdb = u.bytes(cdb_len.min(u.len()))?.to_vec();
        let data_out = match (flags >> 3) & 0b11 {
            0 => {
                let len = usize::from(u16::from_le_bytes([u8::arbitrary(u)?, u8::arbitrary(u)?])).min(MAX_DATA_OUT);
                DataOut::Literal(u.bytes(len.min(u.len()))?.to_vec())
            }
            mode => DataOut::Implied { adjust: [0, 0, -1, 1][usize::from(mode)], fill: u8::arbitrary(u)? },
        };
        Ok(Command { initiator: flags & 1, lun: (flags >> 1) & 0b11, cdb, data_out })
    }
}

impl<'a> Arbitrary<'a> for Sequence {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let configuration = u8::arbitrary(u)?;
        let mut commands = Vec::new();
        while !u.is_empty() && commands.len() < MAX_COMMANDS {
            commands.push(Command::arbitrary(u)?);
        }
        Ok(Sequence { configuration, commands })
    }
}

impl Sequence {
    /// The bytes that decode to this sequence (the layout in the module documentation). Literal
    /// data-out and CDBs longer than the layout allows are cut to [`MAX_DATA_OUT`] and [`MAX_CDB`].
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.configuration];
        for c in &self.commands {
            let mode = match &c.data_out {
                DataOut::Literal(_) => 0,
                DataOut::Implied { adjust: 0, .. } => 1,
                DataOut::Implied { adjust: ..0, .. } => 2,
                DataOut::Implied { .. } => 3,
            };
            out.push((c.initiator & 1) | (c.lun & 0b11) << 1 | mode << 3);
            let cdb = &c.cdb[..c.cdb.len().min(MAX_CDB)];
            out.push(cdb.len() as u8);
            out.extend_from_slice(cdb);
            match &c.data_out {
                DataOut::Literal(data) => {
                    let data = &data[..data.len().min(MAX_DATA_OUT).min(usize::from(u16::MAX))];
                    out.extend_from_slice(&(data.len() as u16).to_le_bytes());
                    out.extend_from_slice(data);
                }
                DataOut::Implied { fill, .. } => out.push(*fill),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use offload_vectors::cdb;

    fn decode(bytes: &[u8]) -> Sequence {
        Sequence::arbitrary_take_rest(Unstructured::new(bytes)).expect("decodes")
    }

    #[test]
    fn encode_then_decode_gives_the_same_sequence() {
        let sequence = Sequence {
            configuration: 2,
            commands: vec![
                Command {
                    initiator: 1,
                    lun: 0,
                    cdb: cdb::write10(4, 2),
                    data_out: DataOut::Implied { adjust: 0, fill: 9 },
                },
                Command { initiator: 0, lun: 3, cdb: cdb::unmap(true, 24), data_out: DataOut::Literal(vec![7; 24]) },
                Command {
                    initiator: 0,
                    lun: 2,
                    cdb: vec![0x28; 40],
                    data_out: DataOut::Implied { adjust: -1, fill: 0 },
                },
            ],
        };
        let mut expected = sequence.clone();
        expected.commands[2].cdb.truncate(MAX_CDB);
        assert_eq!(decode(&sequence.encode()), expected);
    }

    #[test]
    fn implied_lengths_follow_the_cdb_fields() {
        assert_eq!(implied_length(&cdb::write10(0, 3), 512), 3 * 512);
        assert_eq!(implied_length(&cdb::write16(0, 5), 4096), 5 * 4096);
        assert_eq!(implied_length(&cdb::compare_and_write(0, 2), 512), 2 * 2 * 512);
        assert_eq!(implied_length(&cdb::write_same16(0x01, 0, 8), 512), 0, "NDOB");
        assert_eq!(implied_length(&cdb::write_same10(0, 0, 8), 4096), 4096);
        assert_eq!(implied_length(&cdb::unmap(false, 40), 512), 40);
        assert_eq!(implied_length(&cdb::extended_copy(92), 512), 92);
        assert_eq!(implied_length(&cdb::read10(0, 8), 512), 0);
        assert_eq!(addressed_lba(&cdb::compare_and_write(0x1234, 1)), 0x1234);
    }

    #[test]
    fn an_input_cut_short_still_decodes() {
        let sequence = decode(&[1, 0b0000_1000, 10, 0x2A, 0, 0]);
        assert_eq!(sequence.commands.len(), 1);
        assert_eq!(sequence.commands[0].cdb, vec![0x2A, 0, 0]);
    }
}
