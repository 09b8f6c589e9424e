//! base64 → bytes, leniently (apps and proxies differ in padding and trailing bits; the
//! pane wants the text, not a lecture), with errors that point at the offending character.

use std::borrow::Cow;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Decodes base64 in the standard or URL-safe alphabet, padded or not, with ASCII whitespace
/// (line breaks) anywhere.
pub fn decode_base64(b64: &str) -> Result<Vec<u8>, String> {
    decode_base64_limited(b64, usize::MAX)
}

/// As [`decode_base64`], but stops soon after `limit` output bytes so a huge body costs no more
/// than the part that will be shown. Output longer than `limit` means there was more.
pub(super) fn decode_base64_limited(b64: &str, limit: usize) -> Result<Vec<u8>, String> {
    // Whole 4-char groups decode to whole 3-byte groups, so a prefix of this length is valid
    // and decodes to more than `limit` bytes.
    let max_chars = (limit / 3).saturating_add(1).saturating_mul(4);
    // The common case (standard alphabet, one line) in one pass; the variants only on failure.
    if let Ok(bytes) = STANDARD.decode(b64.get(..max_chars).unwrap_or(b64)) {
        return Ok(bytes);
    }
    let compact: Cow<'_, str> = if b64.bytes().any(|b| b.is_ascii_whitespace()) {
        Cow::Owned(b64.chars().filter(|c| !c.is_ascii_whitespace()).collect())
    } else {
        Cow::Borrowed(b64)
    };
    let engine = if compact.contains(['-', '_']) {
        &URL_SAFE
    } else {
        &STANDARD
    };
    let input = compact.get(..max_chars).unwrap_or(&compact);
    engine
        .decode(input)
        .map_err(|e| describe_base64_error(&e, b64))
}

pub(super) fn describe_base64_error(e: &base64::DecodeError, original: &str) -> String {
    use base64::DecodeError as D;
    match *e {
        D::InvalidByte(at, byte) => format!(
            "invalid base64 at byte {}: {}",
            original_offset(original, at),
            describe_byte(byte)
        ),
        D::InvalidLastSymbol(at, byte) => format!(
            "invalid base64 at byte {}: {} cannot end the data",
            original_offset(original, at),
            describe_byte(byte)
        ),
        D::InvalidLength(len) => {
            format!("invalid base64: length {len} is impossible (cut short, or a stray character?)")
        }
        D::InvalidPadding => "invalid base64: wrong padding".to_owned(),
    }
}

pub(super) fn describe_byte(byte: u8) -> String {
    if byte.is_ascii_graphic() {
        format!("unexpected '{}'", char::from(byte))
    } else {
        format!("unexpected byte 0x{byte:02x}")
    }
}

/// Maps an offset in the whitespace-stripped input back to the input the user has.
pub(super) fn original_offset(original: &str, compact_offset: usize) -> usize {
    original
        .bytes()
        .enumerate()
        .filter(|(_, b)| !b.is_ascii_whitespace())
        .nth(compact_offset)
        .map_or(original.len(), |(i, _)| i)
}
