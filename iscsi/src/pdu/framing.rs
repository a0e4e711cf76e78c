//! PDUs on a byte stream (RFC 7143 §11.2): the header, the AHS, the header digest, the data segment padded
//! to a multiple of 4 bytes and the data digest over the padded data — read whole ([`read_pdu`]) or header
//! first and the data segment into a buffer of the reader's choosing ([`read_header`], [`data_length`],
//! [`read_data_into`]), and written ([`frame`], [`write_pdu`], [`write_parts`]).

use std::io::{self, IoSlice, Read, Write};

use offload_scsi::Fields;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

use super::bhs::{BHS_LEN, Opcode, put24};
use crate::crc32c::Crc32c;
use crate::inline_io::{self, Inline};

/// Largest data segment the 24-bit DataSegmentLength can describe.
pub const MAX_DATA_SEGMENT: usize = (1 << 24) - 1;

/// Which digests a connection uses (negotiated at login; none during login).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Digests {
    pub header: bool,
    pub data: bool,
}

/// A PDU as framed on the wire, without padding and digests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawPdu {
    pub bhs: [u8; BHS_LEN],
    /// The AHS bytes (a multiple of 4 long).
    pub ahs: Vec<u8>,
    pub data: Vec<u8>,
}

impl RawPdu {
    /// A PDU without AHS; see [`RawPdu::with_ahs`].
    pub(super) fn new(bhs: [u8; BHS_LEN], data: Vec<u8>) -> RawPdu {
        RawPdu::with_ahs(bhs, Vec::new(), data)
    }

    /// A PDU of these parts, the header's TotalAHSLength and DataSegmentLength set to match them.
    pub(super) fn with_ahs(mut bhs: [u8; BHS_LEN], ahs: Vec<u8>, data: Vec<u8>) -> RawPdu {
        set_lengths(&mut bhs, ahs.len(), data.len());
        RawPdu { bhs, ahs, data }
    }

    /// The opcode byte's low six bits.
    pub fn opcode_bits(&self) -> u8 {
        self.bhs[0] & 0x3F
    }

    pub fn opcode(&self) -> Option<Opcode> {
        Opcode::from_u8(self.opcode_bits())
    }

    /// The I (immediate delivery) bit.
    pub fn immediate(&self) -> bool {
        self.bhs[0] & 0x40 != 0
    }

    /// Initiator Task Tag (bytes 16–19 in every PDU that has one).
    pub fn itt(&self) -> u32 {
        self.bhs.be32(16)
    }

    /// DataSegmentLength as the header states it.
    pub fn header_data_length(&self) -> usize {
        self.bhs.be24(5) as usize
    }
}

/// TotalAHSLength (in 4-byte words) and DataSegmentLength.
fn set_lengths(bhs: &mut [u8; BHS_LEN], ahs_len: usize, data_len: usize) {
    bhs[4] = (ahs_len / 4) as u8;
    put24(bhs, 5, data_len as u32);
}

/// Why a PDU could not be read from the stream.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The peer closed the connection between PDUs.
    #[error("connection closed")]
    Closed,
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    /// The header digest did not match: the header's lengths cannot be trusted, the stream is lost.
    #[error("header digest mismatch: received {received:#010x}, computed {computed:#010x}")]
    HeaderDigest { received: u32, computed: u32 },
    /// The data digest did not match; the PDU was read whole (the stream is still in step).
    #[error("data digest mismatch")]
    DataDigest { header: Box<[u8; BHS_LEN]> },
    /// The data segment is longer than the receiver declared (MaxRecvDataSegmentLength); it was read and
    /// discarded, so the stream is still in step.
    #[error("data segment of {length} bytes exceeds the {max} this side accepts")]
    DataTooLong { length: usize, max: usize, header: Box<[u8; BHS_LEN]> },
}

impl ReadError {
    /// Whether the connection can go on after this error (the next PDU starts where expected).
    pub fn recoverable(&self) -> bool {
        matches!(self, ReadError::DataDigest { .. } | ReadError::DataTooLong { .. })
    }
}

/// The padding that brings `len` bytes to a multiple of 4.
pub(super) fn pad4(len: usize) -> usize {
    (4 - len % 4) % 4
}

/// The header digest: CRC32C over the BHS and the AHS.
fn header_digest(bhs: &[u8; BHS_LEN], ahs: &[u8]) -> u32 {
    let mut c = Crc32c::default();
    c.update(bhs);
    c.update(ahs);
    c.finish()
}

/// The data digest: CRC32C over the data segment and its padding.
fn data_digest(data: &[u8], padding: &[u8]) -> u32 {
    let mut c = Crc32c::default();
    c.update(data);
    c.update(padding);
    c.finish()
}

async fn read_digest<R: AsyncRead + Unpin>(r: &mut R) -> io::Result<u32> {
    let mut d = [0u8; 4];
    r.read_exact(&mut d).await?;
    Ok(u32::from_le_bytes(d))
}

/// Reads one PDU from a blocking reader. `max_data` is the longest data segment accepted (this side's
/// MaxRecvDataSegmentLength); a longer one is read, discarded and reported as [`ReadError::DataTooLong`].
pub fn read_pdu<R: Read>(r: &mut R, digests: Digests, max_data: usize) -> Result<RawPdu, ReadError> {
    inline_io::complete(read_whole_pdu(&mut Inline(r), digests, max_data))
        .unwrap_or_else(|| Err(ReadError::Io(io::ErrorKind::WouldBlock.into())))
}

/// [`read_pdu`] from an async reader.
pub async fn read_whole_pdu<R: AsyncRead + Unpin>(
    r: &mut R,
    digests: Digests,
    max_data: usize,
) -> Result<RawPdu, ReadError> {
    let mut pdu = read_header(r, digests).await?;
    let length = data_length(r, &pdu.bhs, digests, max_data).await?;
    let mut data = vec![0u8; length];
    r.read_exact(&mut data).await?;
    read_trailer(r, &pdu.bhs, digests, &data).await?;
    pdu.data = data;
    Ok(pdu)
}

/// Reads a PDU's header: the BHS, the AHS and the header digest (verified). The data segment, which the
/// returned PDU does not hold, comes next on the stream: [`data_length`] checks how long it is, then
/// [`read_data_into`] puts it where it belongs.
pub async fn read_header<R: AsyncRead + Unpin>(r: &mut R, digests: Digests) -> Result<RawPdu, ReadError> {
    let mut bhs = [0u8; BHS_LEN];
    // A clean close is an EOF before the first byte of a PDU.
    let mut got = 0;
    while got < BHS_LEN {
        match r.read(&mut bhs[got..]).await {
            Ok(0) if got == 0 => return Err(ReadError::Closed),
            Ok(0) => return Err(ReadError::Io(io::ErrorKind::UnexpectedEof.into())),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    let mut ahs = vec![0u8; usize::from(bhs[4]) * 4];
    r.read_exact(&mut ahs).await?;
    if digests.header {
        let received = read_digest(r).await?;
        let computed = header_digest(&bhs, &ahs);
        if received != computed {
            return Err(ReadError::HeaderDigest { received, computed });
        }
    }
    Ok(RawPdu { bhs, ahs, data: Vec::new() })
}

/// The length of the data segment header `bhs` announces, when at most `max_data`; a longer one is read
/// and discarded (padding and digest too), and reported as [`ReadError::DataTooLong`].
pub async fn data_length<R: AsyncRead + Unpin>(
    r: &mut R,
    bhs: &[u8; BHS_LEN],
    digests: Digests,
    max_data: usize,
) -> Result<usize, ReadError> {
    let length = bhs.be24(5) as usize;
    if length > max_data {
        let digest = if digests.data && length > 0 { 4 } else { 0 };
        let skip = (length + pad4(length) + digest) as u64;
        if tokio::io::copy(&mut r.take(skip), &mut tokio::io::sink()).await? != skip {
            return Err(ReadError::Io(io::ErrorKind::UnexpectedEof.into()));
        }
        return Err(ReadError::DataTooLong { length, max: max_data, header: Box::new(*bhs) });
    }
    Ok(length)
}

/// Reads the `length`-byte data segment of header `bhs` onto the end of `dest`, then its padding and
/// data digest (verified over the bytes where they now lie). The segment goes from the stream to `dest`
/// without a copy of its own: what the buffered reader already holds is taken from it, the rest is read
/// from the transport directly. `dest` grows only if its spare capacity is short of `length`. On an
/// error `dest` is as it was.
pub async fn read_data_into<R: AsyncRead + Unpin>(
    r: &mut BufReader<R>,
    bhs: &[u8; BHS_LEN],
    digests: Digests,
    length: usize,
    dest: &mut Vec<u8>,
) -> Result<(), ReadError> {
    let start = dest.len();
    let mut result = fill_from(r, dest, length).await.map_err(ReadError::from);
    if result.is_ok() {
        // The padding and the digest are a few bytes: through the buffer, with the next header.
        result = read_trailer(r, bhs, digests, &dest[start..]).await;
    }
    if result.is_err() {
        dest.truncate(start);
    }
    result
}

/// Appends `length` bytes from `r` to `dest`: the buffered ones first, then straight from the transport
/// into `dest`'s spare capacity (the buffer is empty then, so nothing is skipped).
async fn fill_from<R: AsyncRead + Unpin>(r: &mut BufReader<R>, dest: &mut Vec<u8>, length: usize) -> io::Result<()> {
    let buffered = r.buffer().len().min(length);
    dest.extend_from_slice(&r.buffer()[..buffered]);
    r.consume(buffered);
    dest.reserve(length - buffered);
    let mut rest = r.get_mut().take((length - buffered) as u64);
    while rest.limit() > 0 {
        if rest.read_buf(dest).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(())
}

/// Reads the padding and the data digest after a data segment `data` (of header `bhs`), and checks the
/// digest over the data and the padding as received.
async fn read_trailer<R: AsyncRead + Unpin>(
    r: &mut R,
    bhs: &[u8; BHS_LEN],
    digests: Digests,
    data: &[u8],
) -> Result<(), ReadError> {
    let mut padding = [0u8; 3];
    let padding = &mut padding[..pad4(data.len())];
    r.read_exact(padding).await?;
    if digests.data && !data.is_empty() {
        let received = read_digest(r).await?;
        if received != data_digest(data, padding) {
            return Err(ReadError::DataDigest { header: Box::new(*bhs) });
        }
    }
    Ok(())
}

/// The bytes of a PDU on the wire: header, padding and digests included.
pub fn frame(pdu: &RawPdu, digests: Digests) -> Vec<u8> {
    let mut out = Vec::with_capacity(BHS_LEN + pdu.ahs.len() + pdu.data.len() + 12);
    Envelope::new(&pdu.bhs, &pdu.ahs, &pdu.data, digests).frame_into(&pdu.data, &mut out);
    out
}

/// Writes one PDU: header, padding and digests included.
pub fn write_pdu<W: Write>(w: &mut W, pdu: &RawPdu, digests: Digests) -> io::Result<()> {
    write_parts(w, &pdu.bhs, &pdu.ahs, &pdu.data, digests)
}

/// What a PDU's data segment is framed in: the header (BHS with its lengths set, AHS, header digest)
/// before it, its padding and data digest after. Framing a PDU around data where it lies, instead of
/// copying the data into a frame, is what lets a Data-In go from the answer to the socket in place.
pub struct Envelope<'a> {
    bhs: [u8; BHS_LEN],
    ahs: &'a [u8],
    header_digest: [u8; 4],
    header_digest_len: usize,
    trailer: [u8; 7],
    trailer_len: usize,
}

impl<'a> Envelope<'a> {
    /// The envelope of the PDU of header `bhs`, `ahs` and data segment `data`.
    pub fn new(bhs: &[u8; BHS_LEN], ahs: &'a [u8], data: &[u8], digests: Digests) -> Envelope<'a> {
        let mut bhs = *bhs;
        set_lengths(&mut bhs, ahs.len(), data.len());
        let header_digest = if digests.header { header_digest(&bhs, ahs).to_le_bytes() } else { [0; 4] };
        // The padding and the data digest follow the data: at most 3 + 4 bytes.
        let pad = pad4(data.len());
        let mut trailer = [0u8; 7];
        let mut trailer_len = 0;
        if !data.is_empty() {
            trailer_len = pad;
            if digests.data {
                let digest = data_digest(data, &trailer[..pad]);
                trailer[pad..pad + 4].copy_from_slice(&digest.to_le_bytes());
                trailer_len += 4;
            }
        }
        let header_digest_len = if digests.header { 4 } else { 0 };
        Envelope { bhs, ahs, header_digest, header_digest_len, trailer, trailer_len }
    }

    /// What goes before the data segment, in three parts: BHS, AHS, header digest.
    pub fn header(&self) -> [&[u8]; 3] {
        [&self.bhs, self.ahs, &self.header_digest[..self.header_digest_len]]
    }

    /// What goes after the data segment: its padding and data digest.
    pub fn trailer(&self) -> &[u8] {
        &self.trailer[..self.trailer_len]
    }

    /// Appends the whole PDU, this envelope around `data` (the data it was made for), to `out`.
    pub fn frame_into(&self, data: &[u8], out: &mut Vec<u8>) {
        for part in self.header() {
            out.extend_from_slice(part);
        }
        out.extend_from_slice(data);
        out.extend_from_slice(self.trailer());
    }
}

/// Writes the PDU of header `bhs` (its lengths set here), `ahs` and data segment `data`, with padding and
/// digests, as one vectored write: the data goes from where it lies to the stream, never copied into a
/// frame first.
pub fn write_parts<W: Write>(
    w: &mut W,
    bhs: &[u8; BHS_LEN],
    ahs: &[u8],
    data: &[u8],
    digests: Digests,
) -> io::Result<()> {
    let envelope = Envelope::new(bhs, ahs, data, digests);
    let [bhs, ahs, header_digest] = envelope.header();
    let mut parts = [
        IoSlice::new(bhs),
        IoSlice::new(ahs),
        IoSlice::new(header_digest),
        IoSlice::new(data),
        IoSlice::new(envelope.trailer()),
    ];
    inline_io::complete(write_all_vectored(&mut Inline(w), &mut parts))
        .unwrap_or_else(|| Err(io::ErrorKind::WouldBlock.into()))
}

/// Writes all of `parts`, in as few vectored writes as the writer takes them.
pub async fn write_all_vectored<W: AsyncWrite + Unpin>(w: &mut W, mut parts: &mut [IoSlice<'_>]) -> io::Result<()> {
    IoSlice::advance_slices(&mut parts, 0);
    while !parts.is_empty() {
        match w.write_vectored(parts).await {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut parts, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdu::{DataOut, Message};

    /// Runs a read over memory, which never waits.
    fn now<T>(read: impl Future<Output = T>) -> T {
        inline_io::complete(read).expect("memory never waits")
    }

    #[test]
    fn framing_errors() {
        let raw = Message::DataOut(DataOut { data: vec![7; 100], ..Default::default() }).encode();
        let both = Digests { header: true, data: true };
        let bytes = frame(&raw, both);

        // A clean close between PDUs, and a close in the middle of one.
        assert!(matches!(read_pdu(&mut &[][..], both, 1000), Err(ReadError::Closed)));
        for cut in [1, 47, 48, 51, 60, bytes.len() - 1] {
            let e = read_pdu(&mut &bytes[..cut], both, 1000).unwrap_err();
            assert!(matches!(e, ReadError::Io(_)), "cut at {cut}: {e}");
            assert!(!e.recoverable());
        }

        let mut bad_header = bytes.clone();
        bad_header[20] ^= 1;
        let e = read_pdu(&mut &bad_header[..], both, 1000).unwrap_err();
        assert!(matches!(e, ReadError::HeaderDigest { .. }) && !e.recoverable());

        // A data digest error and an over-long segment leave the stream at the next PDU.
        let mut stream = bytes.clone();
        stream[60] ^= 0xFF;
        stream.extend_from_slice(&bytes);
        let mut r = &stream[..];
        let e = read_pdu(&mut r, both, 1000).unwrap_err();
        assert!(matches!(e, ReadError::DataDigest { .. }) && e.recoverable());
        assert_eq!(read_pdu(&mut r, both, 1000).unwrap(), raw);

        let mut stream = bytes.clone();
        stream.extend_from_slice(&bytes);
        let mut r = &stream[..];
        let e = read_pdu(&mut r, both, 99).unwrap_err();
        assert!(matches!(e, ReadError::DataTooLong { length: 100, max: 99, .. }) && e.recoverable());
        assert_eq!(read_pdu(&mut r, both, 100).unwrap(), raw);

        // Without a header digest, the padding of the data segment is consumed too.
        let plain = frame(&raw, Digests::default());
        assert_eq!(plain.len(), 48 + 100);
        let odd = Message::DataOut(DataOut { data: vec![7; 5], ..Default::default() }).encode();
        assert_eq!(frame(&odd, Digests::default()).len(), 48 + 8);
    }

    /// A writer that takes at most `step` bytes a call: the vectored write must go on where it stopped.
    struct Trickle {
        bytes: Vec<u8>,
        step: usize,
    }

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = buf.len().min(self.step);
            self.bytes.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_data_segment_written_in_place_reads_back_with_its_digests() {
        for len in [0, 1, 3, 4, 5, 4096, 8191] {
            let data: Vec<u8> = (0..len).map(|i: usize| (i * 7 + 1) as u8).collect();
            let header = Message::DataOut(DataOut { data: Vec::new(), ..Default::default() }).encode();
            for digests in [Digests::default(), Digests { header: true, data: true }] {
                for step in [1, 5, usize::MAX] {
                    let mut w = Trickle { bytes: Vec::new(), step };
                    write_parts(&mut w, &header.bhs, &header.ahs, &data, digests).unwrap();
                    // The length on the wire: header, its digest, data padded to 4, the data's digest.
                    let digest_bytes = 4 * usize::from(digests.header) + 4 * usize::from(digests.data && len > 0);
                    assert_eq!(w.bytes.len(), 48 + len.next_multiple_of(4) + digest_bytes);
                    let pdu = read_pdu(&mut &w.bytes[..], digests, 8192).unwrap();
                    assert_eq!(pdu.data, data);
                    assert_eq!(pdu.header_data_length(), len);
                }
            }
        }
    }

    /// Data segments of every padding, read onto the end of a reserved buffer through buffered readers of
    /// several sizes (so that a segment comes partly from the buffer, partly from the transport): the bytes
    /// land in place, the buffer is not regrown, the next PDU is read where it starts, and a corrupted
    /// segment leaves the buffer as it was.
    #[test]
    fn a_data_segment_read_into_a_buffer_lands_in_place() {
        let next =
            frame(&Message::DataOut(DataOut { data: vec![1; 8], ..Default::default() }).encode(), Digests::default());
        for len in [0, 1, 2, 3, 4, 5, 6, 7, 1000, 4097] {
            let data: Vec<u8> = (0..len).map(|i: usize| (i * 13 + 5) as u8).collect();
            let raw = Message::DataOut(DataOut { data: data.clone(), ..Default::default() }).encode();
            for digests in [Digests::default(), Digests { header: true, data: true }] {
                let mut stream = frame(&raw, digests);
                let mut corrupt = stream.clone();
                if len > 0 {
                    corrupt[BHS_LEN + 4 * usize::from(digests.header)] ^= 0x40;
                }
                stream.extend_from_slice(&next);
                for capacity in [8, 64, 1 << 16] {
                    let mut dest = Vec::with_capacity(3 + len);
                    dest.extend_from_slice(b"old");
                    let (at, reserved) = (dest.as_ptr(), dest.capacity());
                    let mut r = BufReader::with_capacity(capacity, &stream[..]);
                    let header = now(read_header(&mut r, digests)).unwrap();
                    assert_eq!(now(data_length(&mut r, &header.bhs, digests, 8192)).unwrap(), len);
                    now(read_data_into(&mut r, &header.bhs, digests, len, &mut dest)).unwrap();
                    assert_eq!(&dest[..3], b"old");
                    assert!(dest[3..] == data[..], "len {len}, {digests:?}, buffer {capacity}");
                    assert_eq!((dest.as_ptr(), dest.capacity()), (at, reserved), "the buffer was regrown");
                    let after = now(read_whole_pdu(&mut r, Digests::default(), 8192)).unwrap();
                    assert_eq!(after.data, vec![1; 8], "the next PDU starts where the padding ends");

                    if digests.data && len > 0 {
                        let mut r = BufReader::with_capacity(capacity, &corrupt[..]);
                        let header = now(read_header(&mut r, digests)).unwrap();
                        let mut dest = b"old".to_vec();
                        let e = now(read_data_into(&mut r, &header.bhs, digests, len, &mut dest)).unwrap_err();
                        assert!(matches!(e, ReadError::DataDigest { .. }), "{e}");
                        assert_eq!(dest, b"old");
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_byte_streams_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200),
                                             header: bool, data: bool) {
            let mut r = &bytes[..];
            for _ in 0..4 {
                if read_pdu(&mut r, Digests { header, data }, 64).is_err() && r.is_empty() {
                    break;
                }
            }
        }
    }
}
