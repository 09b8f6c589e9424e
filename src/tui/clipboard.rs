//! The terminal's clipboard: OSC 52 (`ESC ] 52 ; c ; <base64> BEL`), which the terminal
//! itself handles, so copying works over SSH with nothing installed on either side.

use base64::Engine as _;

/// The escape sequence that puts `text` on the system clipboard.
pub fn osc52(text: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    format!("\x1b]52;c;{b64}\x07")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osc52_bytes() {
        assert_eq!(
            osc52("CA866a9ca9f30dd8f84f9984ce99a9ca31").as_bytes(),
            b"\x1b]52;c;Q0E4NjZhOWNhOWYzMGRkOGY4NGY5OTg0Y2U5OWE5Y2EzMQ==\x07"
        );
        assert_eq!(osc52("").as_bytes(), b"\x1b]52;c;\x07");
        assert_eq!(osc52("<Say>é</Say>"), "\x1b]52;c;PFNheT7DqTwvU2F5Pg==\x07");
    }
}
