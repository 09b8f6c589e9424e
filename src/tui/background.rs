//! Asks the terminal for its background colour (OSC 11), so `--theme auto` can pick the light
//! palette on a light terminal. Terminals that do not know OSC 11 stay silent, so a device
//! attributes query (DA1, which every terminal answers) goes right after it: its reply ends
//! the wait at once, and the whole exchange is bounded by a short timeout for the rest.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Long enough for a terminal over SSH, short enough not to be noticed at start.
const TIMEOUT: Duration = Duration::from_millis(150);
/// The answers are tens of bytes; anything longer is not what was asked for.
const MAX_ANSWER: usize = 256;

/// The terminal's raw answer to `OSC 11 ; ?`, when stdin and stdout are a terminal that
/// answers in time. Runs before the key reader starts; a key typed during the wait (at most
/// [`TIMEOUT`]) is read with the answers and dropped.
pub fn query() -> Option<Vec<u8>> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return None;
    }
    let was_raw = crossterm::terminal::is_raw_mode_enabled().unwrap_or(false);
    if !was_raw {
        crossterm::terminal::enable_raw_mode().ok()?;
    }
    let answer = ask();
    if !was_raw {
        let _ = crossterm::terminal::disable_raw_mode();
    }
    answer
}

#[cfg(unix)]
fn ask() -> Option<Vec<u8>> {
    use rustix::event::{PollFd, PollFlags, Timespec, poll};

    let mut out = std::io::stdout();
    out.write_all(b"\x1b]11;?\x1b\\\x1b[c").ok()?;
    out.flush().ok()?;
    let stdin = std::io::stdin();
    let deadline = Instant::now() + TIMEOUT;
    let mut answer = Vec::new();
    while answer.len() < MAX_ANSWER && !ends_with_da1(&answer) {
        let left = deadline.checked_duration_since(Instant::now())?;
        let timeout = Timespec::try_from(left).ok()?;
        let mut fds = [PollFd::new(&stdin, PollFlags::IN)];
        if poll(&mut fds, Some(&timeout)).ok()? == 0 {
            break;
        }
        let mut buf = [0_u8; 64];
        let n = rustix::io::read(&stdin, &mut buf).ok()?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    Some(answer)
}

#[cfg(not(unix))]
fn ask() -> Option<Vec<u8>> {
    None
}

/// A DA1 reply (`ESC [ ? … c`) has arrived: the terminal has said all it will.
fn ends_with_da1(answer: &[u8]) -> bool {
    answer
        .windows(3)
        .rposition(|w| w == b"\x1b[?")
        .is_some_and(|i| answer[i..].contains(&b'c'))
}

#[cfg(test)]
mod tests {
    use super::ends_with_da1;

    #[test]
    fn the_wait_ends_at_the_device_attributes_reply() {
        assert!(ends_with_da1(b"\x1b]11;rgb:0/0/0\x07\x1b[?62;22c"));
        assert!(ends_with_da1(b"\x1b[?1;2c"));
        assert!(!ends_with_da1(b"\x1b]11;rgb:0/0/0\x07"));
        assert!(!ends_with_da1(b"\x1b[?62;22"));
    }
}
