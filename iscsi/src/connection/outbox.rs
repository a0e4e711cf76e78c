//! What a connection has to send: the PDUs one step of the connection produced, framed, until the flush
//! that writes them all. Headers and small data segments are copied into one buffer; a large data
//! segment stays in the buffer of the answer it is part of — lent to the outbox until the flush — and
//! goes to the socket from there in the same vectored write, never copied.

use std::io::{self, IoSlice};
use std::ops::Range;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::pdu::{self, Digests, Envelope, RawPdu};

/// Data segments shorter than this are copied: a copy of a few KiB costs less than one more I/O vector.
const LEND_FROM: usize = 4096;

/// A stretch of the bytes to send.
enum Part {
    /// Of the outbox's own buffer.
    Copied(Range<usize>),
    /// Of a lent buffer.
    Lent { buffer: usize, range: Range<usize> },
}

/// A buffer lent to the outbox (see [`Outbox::lend`]).
#[derive(Clone, Copy)]
pub(super) struct Lent(usize);

#[derive(Default)]
pub(super) struct Outbox {
    bytes: Vec<u8>,
    lent: Vec<Vec<u8>>,
    parts: Vec<Part>,
    /// Where the bytes not yet in a part start.
    open_from: usize,
}

impl Outbox {
    /// Frames `pdu`, its data copied.
    pub(super) fn push(&mut self, pdu: &RawPdu, digests: Digests) {
        Envelope::new(&pdu.bhs, &pdu.ahs, &pdu.data, digests).frame_into(&pdu.data, &mut self.bytes);
    }

    /// Takes `buffer` until the next flush, for [`Outbox::push_lent`] to frame slices of it.
    pub(super) fn lend(&mut self, buffer: Vec<u8>) -> Lent {
        self.lent.push(buffer);
        Lent(self.lent.len() - 1)
    }

    /// Frames the PDU of `header` (its data segment empty) with `range` of the lent buffer `from` as its
    /// data segment.
    pub(super) fn push_lent(&mut self, header: &RawPdu, from: Lent, range: Range<usize>, digests: Digests) {
        let data = &self.lent[from.0][range.clone()];
        let envelope = Envelope::new(&header.bhs, &header.ahs, data, digests);
        if data.len() < LEND_FROM {
            envelope.frame_into(data, &mut self.bytes);
            return;
        }
        for part in envelope.header() {
            self.bytes.extend_from_slice(part);
        }
        self.close_copied();
        self.parts.push(Part::Lent { buffer: from.0, range });
        self.bytes.extend_from_slice(envelope.trailer());
    }

    /// Ends the stretch of copied bytes so far.
    fn close_copied(&mut self) {
        if self.open_from < self.bytes.len() {
            self.parts.push(Part::Copied(self.open_from..self.bytes.len()));
            self.open_from = self.bytes.len();
        }
    }

    /// Writes everything to `w` and empties the outbox (the lent buffers are dropped), whether or not the
    /// write succeeded: after a failed write the connection is over.
    pub(super) async fn flush<W: AsyncWrite + Unpin>(&mut self, w: &mut W) -> io::Result<()> {
        self.close_copied();
        let result = if self.parts.is_empty() {
            Ok(())
        } else {
            let mut slices: Vec<IoSlice<'_>> = self
                .parts
                .iter()
                .map(|part| match part {
                    Part::Copied(range) => IoSlice::new(&self.bytes[range.clone()]),
                    Part::Lent { buffer, range } => IoSlice::new(&self.lent[*buffer][range.clone()]),
                })
                .collect();
            pdu::write_all_vectored(w, &mut slices).await
        };
        self.bytes.clear();
        self.lent.clear();
        self.parts.clear();
        self.open_from = 0;
        result?;
        w.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inline_io::{Inline, complete};
    use crate::pdu::{DataIn, Message, frame, read_pdu};

    /// PDUs copied and PDUs framed around lent data, with and without digests, come out as the same
    /// PDUs framed whole, in order.
    #[test]
    fn lent_and_copied_pdus_frame_as_whole_ones() {
        for digests in [Digests::default(), Digests { header: true, data: true }] {
            let answer: Vec<u8> = (0..3 * LEND_FROM + 5).map(|i| (i * 7) as u8).collect();
            let segments = [0..10, 10..LEND_FROM + 10, LEND_FROM + 10..answer.len()];
            let mut outbox = Outbox::default();
            let mut expected = Vec::new();
            let nop = Message::NopIn(Default::default()).encode();
            outbox.push(&nop, digests);
            expected.extend(frame(&nop, digests));
            let lent = outbox.lend(answer.clone());
            for (sn, range) in segments.iter().enumerate() {
                let header = Message::DataIn(DataIn { data_sn: sn as u32, ..Default::default() }).encode();
                outbox.push_lent(&header, lent, range.clone(), digests);
                let whole = Message::DataIn(DataIn {
                    data_sn: sn as u32,
                    data: answer[range.clone()].to_vec(),
                    ..Default::default()
                })
                .encode();
                expected.extend(frame(&whole, digests));
            }
            outbox.push(&nop, digests);
            expected.extend(frame(&nop, digests));
            let mut out = Inline(Vec::new());
            complete(outbox.flush(&mut out)).unwrap().unwrap();
            assert_eq!(out.0, expected);
            // Each framed PDU reads back.
            let mut r = &out.0[..];
            for _ in 0..5 {
                read_pdu(&mut r, digests, 1 << 24).unwrap();
            }
            assert!(r.is_empty());
            // Emptied: a second flush writes nothing.
            let mut again = Inline(Vec::new());
            complete(outbox.flush(&mut again)).unwrap().unwrap();
            assert!(again.0.is_empty());
        }
    }
}
