//! Hyper's own answers to a request head it cannot parse (431 for headers past its buffer, 414, 400), rewritten as the error envelope on their way out.
//!
//! hyper answers a head it refuses before any service sees the request,
//! with a fixed response and an empty body. [`EnvelopeListener`] wraps each
//! accepted connection in [`EnvelopeIo`], which recognises that response
//! among the bytes hyper writes (a status line `HTTP/1.1 400|414|431` with
//! `content-length: 0` and nothing but `connection: close` and a `date`:
//! no response of the
//! application looks like it, since every framework error carries the
//! envelope) and writes the envelope in its place, with a fresh trace id
//! in `x-request-id` and the body. hyper closes the connection after such
//! an answer, so nothing follows it on the wire. Every other write passes
//! through untouched after a prefix comparison.
//!
//! Below hyper's buffer, the configured limit (`HEAD_LIMIT_BYTES`,
//! [`crate::Config::head_limit`]) is applied by the request layer
//! ([`over_limit`]), which answers the same envelope.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::StatusCode;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};

use crate::{ApiError, TraceId};

/// The code of a 431 answer: the request's headers are larger than the
/// server reads.
pub const HEADERS_TOO_LARGE: &str = "headers_too_large";
/// The code of a 414 answer: the request's URI is longer than the server reads.
pub const URI_TOO_LONG: &str = "uri_too_long";
/// The code of a 400 answer to a head that is not HTTP (a bad method,
/// header or version).
pub const MALFORMED_REQUEST: &str = "malformed_request";

/// The size of `req`'s head as HTTP/1.1 text: the request line
/// (`METHOD target HTTP/1.1`), its header `fields` (one `name: value` line
/// per field with its line break, as [`crate::heads::Present::scan_sized`]
/// counts them) and the empty line ending the head.
pub(crate) fn head_len(req: &axum::extract::Request, fields: usize) -> usize {
    let target = req.uri().path_and_query().map_or(1, |p| p.as_str().len());
    let line = req.method().as_str().len() + 1 + target + " HTTP/1.1\r\n".len();
    line + fields + 2
}

/// The answer to a head over `limit` bytes ([`head_len`], with header
/// `fields` of that size): 414 `uri_too_long` when the URI alone is over
/// it, else 431 `headers_too_large`; `None` within it.
pub(crate) fn over_limit(
    req: &axum::extract::Request,
    fields: usize,
    limit: usize,
) -> Option<ApiError> {
    let len = head_len(req, fields);
    if len <= limit {
        return None;
    }
    let uri = req.uri().path_and_query().map_or(1, |p| p.as_str().len());
    Some(if uri > limit {
        ApiError::framework(
            StatusCode::URI_TOO_LONG,
            URI_TOO_LONG,
            format!(
                "The request's URI is too long ({uri} bytes; the server reads heads of up to {limit}, HEAD_LIMIT_BYTES): send the data in a body instead."
            ),
        )
    } else {
        ApiError::framework(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            HEADERS_TOO_LARGE,
            format!(
                "The request's headers are too large ({len} bytes with the request line; the server reads up to {limit}, HEAD_LIMIT_BYTES): send fewer or smaller headers (cookies included)."
            ),
        )
    })
}

/// A TCP listener whose connections answer unparseable heads with the envelope.
pub(crate) struct EnvelopeListener(pub(crate) TcpListener);

impl axum::serve::Listener for EnvelopeListener {
    type Io = EnvelopeIo<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = axum::serve::Listener::accept(&mut self.0).await;
        (EnvelopeIo::new(io), addr)
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

/// A connection that replaces hyper's empty parse-error answers with the
/// envelope (see the module docs).
pub(crate) struct EnvelopeIo<T> {
    inner: T,
    /// The envelope answer being written in place of hyper's, and how much
    /// of it is out.
    replacing: Option<(Vec<u8>, usize)>,
}

impl<T> EnvelopeIo<T> {
    pub(crate) fn new(inner: T) -> Self {
        EnvelopeIo {
            inner,
            replacing: None,
        }
    }
}

/// The envelope answer for hyper's automatic response `head`, or `None`
/// when `head` is anything else.
pub(crate) fn envelope_for(head: &[u8]) -> Option<Vec<u8>> {
    let status = match head.get(..13)? {
        b"HTTP/1.1 431 " => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        b"HTTP/1.1 414 " => StatusCode::URI_TOO_LONG,
        b"HTTP/1.1 400 " => StatusCode::BAD_REQUEST,
        _ => return None,
    };
    let text = std::str::from_utf8(head).ok()?;
    let (status_line, rest) = text.split_once("\r\n")?;
    let fields = rest.strip_suffix("\r\n\r\n")?;
    let mut date = None;
    let mut empty = false;
    for line in fields.split("\r\n") {
        let (name, value) = line.split_once(':')?;
        match name.to_ascii_lowercase().as_str() {
            "content-length" if value.trim() == "0" => empty = true,
            "date" => date = Some(value.trim()),
            "connection" if value.trim().eq_ignore_ascii_case("close") => {}
            _ => return None,
        }
    }
    if !empty {
        return None;
    }
    let (code, message) = match status {
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => (
            HEADERS_TOO_LARGE,
            "The request's headers are too large: send fewer or smaller headers (cookies included).",
        ),
        StatusCode::URI_TOO_LONG => (
            URI_TOO_LONG,
            "The request's URI is too long: send the data in a body instead.",
        ),
        _ => (
            MALFORMED_REQUEST,
            "The request is not valid HTTP: its method, a header or its version could not be read.",
        ),
    };
    let trace = TraceId::generate();
    let err = ApiError::framework(status, code, message);
    let body = serde_json::to_vec(&err.to_envelope(trace.as_str())).ok()?;
    let mut out = format!(
        "{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\nx-request-id: {}\r\n",
        body.len(),
        trace.as_str()
    );
    if let Some(date) = date {
        out.push_str(&format!("date: {date}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(&body);
    Some(out)
}

impl<T: AsyncWrite + Unpin> EnvelopeIo<T> {
    /// Writes what is left of the replacement; ready once all of it is out.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, at)) = &mut self.replacing {
            if *at >= bytes.len() {
                self.replacing = None;
                break;
            }
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*at..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *at += n;
        }
        Poll::Ready(Ok(()))
    }

    /// Starts replacing `buf` when it is hyper's automatic answer: `buf` is
    /// reported written whole once the envelope is.
    fn poll_intercept(
        &mut self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Option<Poll<io::Result<usize>>> {
        let envelope = envelope_for(buf)?;
        self.replacing = Some((envelope, 0));
        Some(self.poll_replacement(cx).map_ok(|()| buf.len()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for EnvelopeIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for EnvelopeIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.replacing.is_some() {
            ready!(this.poll_replacement(cx))?;
            return Poll::Ready(Ok(buf.len()));
        }
        if let Some(done) = this.poll_intercept(cx, buf) {
            return done;
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.replacing.is_some() {
            ready!(this.poll_replacement(cx))?;
            return Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()));
        }
        // hyper's automatic answer is a head alone: one slice.
        if let [only] = bufs
            && let Some(done) = this.poll_intercept(cx, only)
        {
            return done;
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_replacement(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_replacement(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::envelope_for;

    #[test]
    fn hypers_empty_431_becomes_the_envelope() {
        let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\ndate: Mon, 07 Dec 2026 00:00:00 GMT\r\n\r\n";
        let out = String::from_utf8(envelope_for(head).expect("rewritten")).unwrap();
        let (head, body) = out.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(head.contains("content-type: application/json"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        assert!(head.contains("date: Mon, 07 Dec 2026 00:00:00 GMT"));
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"]["code"], "headers_too_large");
        let id = head
            .lines()
            .find_map(|l| l.strip_prefix("x-request-id: "))
            .unwrap();
        assert_eq!(v["error"]["trace_id"], id);
    }

    #[test]
    fn application_responses_pass_untouched() {
        // A body, another header, or another status: not hyper's answer.
        for head in [
            &b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 12\r\n\r\n"[..],
            b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 43",
        ] {
            assert_eq!(envelope_for(head), None, "{}", String::from_utf8_lossy(head));
        }
    }
}
