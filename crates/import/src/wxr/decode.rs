//! The input side of the WXR reader: finds the document's encoding (byte order mark,
//! else the XML declaration's `encoding`, else UTF-8) and hands the parser UTF-8, decoding
//! other encodings a buffer at a time so memory stays constant. It also counts lines, so
//! errors can say where they happened.

use encoding_rs::{Decoder, DecoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE};
use std::cell::Cell;
use std::io::{self, BufRead, Chain, Cursor, Read};

/// How many leading bytes are read to find the XML declaration.
const SNIFF_BYTES: usize = 1024;
/// Size of the decoded-output buffer.
const OUT_BYTES: usize = 16 * 1024;

type Sniffed<R> = Chain<Cursor<Vec<u8>>, R>;

/// The document's bytes as UTF-8.
pub(super) enum Source<R: BufRead> {
    Utf8(Sniffed<R>),
    Decoded(Transcoder<Sniffed<R>>),
}

/// Reads the start of `input` and picks its encoding. Fails on a read error or an
/// encoding name that encoding_rs does not know.
pub(super) fn open<R: BufRead>(mut input: R) -> Result<(Source<R>, &'static Encoding), String> {
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    (&mut input)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| format!("cannot read the file: {e}"))?;
    let (encoding, bom) = if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        (UTF_8, 3)
    } else if head.starts_with(&[0xFF, 0xFE]) {
        (UTF_16LE, 2)
    } else if head.starts_with(&[0xFE, 0xFF]) {
        (UTF_16BE, 2)
    } else {
        match declared_encoding(&head) {
            None => (UTF_8, 0),
            Some(label) => match Encoding::for_label(label.trim().as_bytes()) {
                // A declaration we could read as ASCII is not UTF-16, whatever it says.
                Some(e) if e == UTF_16LE || e == UTF_16BE => (UTF_8, 0),
                Some(e) => (e, 0),
                None => {
                    return Err(format!(
                        "the XML declaration names the encoding {label:?}, which is not one we know"
                    ));
                }
            },
        }
    };
    head.drain(..bom);
    let chained = Cursor::new(head).chain(input);
    let source = if encoding == UTF_8 {
        Source::Utf8(chained)
    } else {
        Source::Decoded(Transcoder::new(chained, encoding))
    };
    Ok((source, encoding))
}

/// The `encoding` pseudo-attribute of a leading `<?xml ...?>`, if any.
fn declared_encoding(head: &[u8]) -> Option<String> {
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..].trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    let close = rest.find(quote)?;
    Some(rest[..close].to_string())
}

impl<R: BufRead> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, buf)
    }
}

impl<R: BufRead> BufRead for Source<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            Source::Utf8(r) => r.fill_buf(),
            Source::Decoded(r) => r.fill_buf(),
        }
    }

    fn consume(&mut self, amt: usize) {
        match self {
            Source::Utf8(r) => r.consume(amt),
            Source::Decoded(r) => r.consume(amt),
        }
    }
}

/// Decodes any encoding to UTF-8, one buffer at a time.
pub(super) struct Transcoder<R> {
    inner: R,
    decoder: Decoder,
    out: Box<[u8]>,
    pos: usize,
    len: usize,
    /// Bytes of input decoded so far, for error messages.
    read: u64,
    finished: bool,
}

impl<R: BufRead> Transcoder<R> {
    fn new(inner: R, encoding: &'static Encoding) -> Self {
        Self {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            out: vec![0; OUT_BYTES].into_boxed_slice(),
            pos: 0,
            len: 0,
            read: 0,
            finished: false,
        }
    }

    fn malformed(&self, at: u64) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "byte {at} of the file is not valid {}",
                self.decoder.encoding().name()
            ),
        )
    }
}

impl<R: BufRead> BufRead for Transcoder<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos == self.len && !self.finished {
            self.pos = 0;
            self.len = 0;
            let src = self.inner.fill_buf()?;
            let last = src.is_empty();
            let (result, read, written) =
                self.decoder
                    .decode_to_utf8_without_replacement(src, &mut self.out, last);
            self.inner.consume(read);
            let start = self.read;
            self.read += read as u64;
            self.len = written;
            match result {
                DecoderResult::InputEmpty => self.finished = last,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(bad, after) => {
                    let at =
                        (start + read as u64).saturating_sub(u64::from(bad) + u64::from(after));
                    return Err(self.malformed(at));
                }
            }
        }
        Ok(&self.out[self.pos..self.len])
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.len);
    }
}

impl<R: BufRead> Read for Transcoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, buf)
    }
}

/// Size of the parser's input buffer.
const LINES_BYTES: usize = 64 * 1024;

/// The parser's input buffer, which also counts the lines the parser has consumed.
/// Counting is lazy (when a line number is asked for, or before the buffer is refilled)
/// and consuming is only moving an index: counting on every `consume` (and asking the
/// source for its buffer again to do it) was 5–9% of an import.
pub(super) struct Lines<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    len: usize,
    /// `buf[..counted]`'s newlines are in `newlines`.
    counted: Cell<usize>,
    /// Newlines counted so far.
    newlines: Cell<u64>,
}

impl<R> Lines<R> {
    pub(super) fn new(inner: R) -> Self {
        Self {
            inner,
            buf: vec![0; LINES_BYTES].into_boxed_slice(),
            pos: 0,
            len: 0,
            counted: Cell::new(0),
            newlines: Cell::new(0),
        }
    }

    /// The line (from 1) the parser has reached.
    pub(super) fn line(&self) -> u64 {
        self.count_to(self.pos);
        self.newlines.get() + 1
    }

    /// Counts the newlines of `buf[counted..end]`.
    fn count_to(&self, end: usize) {
        let from = self.counted.get();
        let span = self.buf.get(from..end).unwrap_or(&[]);
        // Most spans are one event's few bytes: a plain loop beats setting up memchr.
        let n = if span.len() < 64 {
            span.iter().filter(|b| **b == b'\n').count()
        } else {
            memchr::memchr_iter(b'\n', span).count()
        };
        self.newlines.set(self.newlines.get() + n as u64);
        self.counted.set(end.max(from));
    }
}

impl<R: BufRead> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, buf)
    }
}

impl<R: BufRead> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.len {
            self.count_to(self.len);
            let n = loop {
                match self.inner.read(&mut self.buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    other => break other?,
                }
            };
            self.pos = 0;
            self.len = n;
            self.counted.set(0);
        }
        Ok(self.buf.get(self.pos..self.len).unwrap_or(&[]))
    }

    fn consume(&mut self, amt: usize) {
        self.pos = (self.pos + amt).min(self.len);
    }
}

/// `Read` for a type whose buffer does the work: copy what `fill_buf` has.
fn read_buffered<B: BufRead>(from: &mut B, buf: &mut [u8]) -> io::Result<usize> {
    let available = from.fill_buf()?;
    let n = available.len().min(buf.len());
    buf[..n].copy_from_slice(&available[..n]);
    from.consume(n);
    Ok(n)
}
