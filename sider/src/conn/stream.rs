//! One byte stream type over the transports sider speaks, so the driver is not generic.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
#[cfg(unix)]
use tokio::net::UnixStream;
#[cfg(feature = "tls")]
use tokio_rustls::client::TlsStream;

#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixStream),
    /// Boxed: a TLS session's state is a few hundred bytes, the others a file descriptor.
    #[cfg(feature = "tls")]
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(&mut **s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(&mut **s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(unix)]
            Stream::Unix(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "tls")]
            Stream::Tls(s) => Pin::new(&mut **s).poll_shutdown(cx),
        }
    }
}

impl Stream {
    /// Splits the stream into the side the driver reads and the side it shares for writing.
    pub(crate) fn split(self) -> (Reader, Writer) {
        match self {
            Stream::Tcp(s) => {
                let (read, write) = s.into_split();
                (Reader::Tcp(read), Writer::Tcp(write))
            }
            #[cfg(unix)]
            Stream::Unix(s) => {
                let (read, write) = s.into_split();
                (Reader::Unix(read), Writer::Unix(write))
            }
            #[cfg(feature = "tls")]
            Stream::Tls(s) => {
                let (read, write) = tokio::io::split(s);
                (Reader::Tls(read), Writer::Tls(write))
            }
        }
    }
}

/// The read side of a connection: the driver's alone.
#[derive(Debug)]
pub(crate) enum Reader {
    Tcp(tokio::net::tcp::OwnedReadHalf),
    #[cfg(unix)]
    Unix(tokio::net::unix::OwnedReadHalf),
    #[cfg(feature = "tls")]
    Tls(tokio::io::ReadHalf<Box<TlsStream<TcpStream>>>),
}

impl AsyncRead for Reader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Reader::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(unix)]
            Reader::Unix(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "tls")]
            Reader::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

/// The write side of a connection. The driver writes through it, and on a plain socket so
/// may a caller that finds the connection idle ([`Writer::try_write_vectored`]).
#[derive(Debug)]
pub(crate) enum Writer {
    Tcp(tokio::net::tcp::OwnedWriteHalf),
    #[cfg(unix)]
    Unix(tokio::net::unix::OwnedWriteHalf),
    #[cfg(feature = "tls")]
    Tls(tokio::io::WriteHalf<Box<TlsStream<TcpStream>>>),
}

impl Writer {
    /// Whether a caller may write without the driver: a plain socket takes a write from any
    /// thread, while a TLS session's state is driven by its owner's polls alone.
    pub(crate) fn takes_direct_writes(&self) -> bool {
        match self {
            Writer::Tcp(_) => true,
            #[cfg(unix)]
            Writer::Unix(_) => true,
            #[cfg(feature = "tls")]
            Writer::Tls(_) => false,
        }
    }

    /// The driver's write: what the socket takes, or `Pending` until it takes something.
    pub(crate) fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self {
            Writer::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(unix)]
            Writer::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(feature = "tls")]
            Writer::Tls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    /// Writes what the socket takes now, without waiting: `WouldBlock` when it takes nothing,
    /// `Unsupported` where only the driver may write ([`takes_direct_writes`] is false).
    ///
    /// [`takes_direct_writes`]: Writer::takes_direct_writes
    pub(crate) fn try_write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Writer::Tcp(s) => s.try_write_vectored(bufs),
            #[cfg(unix)]
            Writer::Unix(s) => s.try_write_vectored(bufs),
            #[cfg(feature = "tls")]
            Writer::Tls(_) => Err(io::ErrorKind::Unsupported.into()),
        }
    }
}
