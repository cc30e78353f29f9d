//! `ProxyJump`: the next hop is reached through a `direct-tcpip` channel of a session to the
//! jump host that was verified and authenticated like any other, bridged to one end of a
//! socket pair; the next `ssh2::Session` handshakes over the other end, so every hop's host
//! key is checked by the same code against the same known_hosts.
//!
//! libssh2 cannot run a session over a channel itself, hence the bridge: one thread per hop
//! copies bytes both ways, never blocking on one direction while the other is waiting (each
//! side keeps what it could not write yet), sends the jump session's keepalives, and ends when
//! either side closes. Dropping the session on the near end closes its socket, which ends the
//! thread, the channel and the jump session.

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ssh2::{Channel, Session};

use crate::error::JumpFailure;

/// How often the jump session sends a keepalive while it carries a hop.
const KEEPALIVE_EVERY: Duration = Duration::from_secs(15);

/// Open `host:port` through `jump` (a verified, authenticated session in blocking mode) and
/// return the socket the next session speaks SSH over.
pub(crate) fn through(
    jump: Session,
    jump_fd: RawFd,
    host: &str,
    port: u16,
) -> Result<UnixStream, JumpFailure> {
    let channel = jump
        .channel_direct_tcpip(host, port, None)
        .map_err(|e| JumpFailure::Channel(Arc::new(e)))?;
    let socket = |e: std::io::Error| JumpFailure::Socket(Arc::new(e));
    let (near, far) = UnixStream::pair().map_err(socket)?;
    far.set_nonblocking(true).map_err(socket)?;
    jump.set_blocking(false);
    std::thread::spawn(move || pump(jump, jump_fd, channel, far));
    Ok(near)
}

fn pump(jump: Session, jump_fd: RawFd, mut channel: Channel, mut local: UnixStream) {
    let mut to_local: Vec<u8> = Vec::new();
    let mut to_channel: Vec<u8> = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    let mut last_keepalive = Instant::now();
    loop {
        let mut progressed = false;
        if to_local.is_empty() {
            match channel.read(&mut buf) {
                Ok(0) if channel.eof() => break,
                Ok(n) => {
                    to_local.extend_from_slice(&buf[..n]);
                    progressed |= n > 0;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
        if !to_local.is_empty() {
            match local.write(&to_local) {
                Ok(n) => {
                    to_local.drain(..n);
                    progressed = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
        if to_channel.is_empty() {
            match local.read(&mut buf) {
                // The near end closed: the session using this hop is gone.
                Ok(0) => break,
                Ok(n) => {
                    to_channel.extend_from_slice(&buf[..n]);
                    progressed = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
        if !to_channel.is_empty() {
            match channel.write(&to_channel) {
                Ok(n) => {
                    to_channel.drain(..n);
                    progressed = true;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
        if last_keepalive.elapsed() >= KEEPALIVE_EVERY {
            let _ = jump.keepalive_send();
            last_keepalive = Instant::now();
        }
        if !progressed {
            wait(jump_fd, local.as_raw_fd(), !to_local.is_empty());
        }
    }
    let _ = channel.send_eof();
    let _ = channel.close();
}

/// Sleep until either socket has something to read (or the local one room to write, when
/// bytes wait for it), at most 50 ms: libssh2 may also be waiting to write on the jump
/// socket, which the short bound covers.
fn wait(jump_fd: RawFd, local_fd: RawFd, local_out: bool) {
    let mut fds = [
        libc::pollfd {
            fd: jump_fd,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: local_fd,
            events: libc::POLLIN | if local_out { libc::POLLOUT } else { 0 },
            revents: 0,
        },
    ];
    // SAFETY: two valid pollfds on sockets this thread's session and pair own.
    unsafe { libc::poll(fds.as_mut_ptr(), 2, 50) };
}
