//! The frame inside HPKE (SPEC 17.7): `u8 kind || [32] sender || u32 body_len || body ||
//! zero bytes`, always `padded.len() + FRAME_SLACK` long, so the sealed length depends on the
//! bucket only, whatever the kind.

use crate::{AccountBytes, OpenError, SealError, FRAME_SLACK};
use zeroize::Zeroizing;

const HEADER_LEN: usize = 1 + 32 + 4;

/// What the body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The padded payload itself (HPKE is the only layer).
    FirstContact = 1,
    /// An Olm pre-key message.
    PreKey = 2,
    /// An Olm normal message.
    Normal = 3,
}

/// Frames `body` from `sender` for a padded payload of `padded_len` bytes.
pub(crate) fn encode(
    kind: Kind,
    sender: &AccountBytes,
    body: &[u8],
    padded_len: usize,
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let len = padded_len
        .checked_add(FRAME_SLACK)
        .ok_or(SealError::PayloadNotPadded)?;
    let body_len = u32::try_from(body.len()).map_err(|_| SealError::PayloadNotPadded)?;
    if padded_len == 0 || body.len() > len - HEADER_LEN {
        return Err(SealError::PayloadNotPadded);
    }
    let mut frame = Zeroizing::new(Vec::with_capacity(len));
    frame.push(kind as u8);
    frame.extend_from_slice(sender);
    frame.extend_from_slice(&body_len.to_be_bytes());
    frame.extend_from_slice(body);
    frame.resize(len, 0);
    Ok(frame)
}

/// The kind, sender and body of a frame; a bad kind, length or non-zero filler is refused.
pub(crate) fn decode(frame: &[u8]) -> Result<(Kind, AccountBytes, &[u8]), OpenError> {
    let (&kind, rest) = frame.split_first().ok_or(OpenError::BadFrame)?;
    let kind = match kind {
        1 => Kind::FirstContact,
        2 => Kind::PreKey,
        3 => Kind::Normal,
        _ => return Err(OpenError::BadFrame),
    };
    let (sender, rest) = rest.split_at_checked(32).ok_or(OpenError::BadFrame)?;
    let (body_len, rest) = rest.split_at_checked(4).ok_or(OpenError::BadFrame)?;
    let body_len = u32::from_be_bytes(body_len.try_into().map_err(|_| OpenError::BadFrame)?);
    let body_len = usize::try_from(body_len).map_err(|_| OpenError::BadFrame)?;
    let (body, filler) = rest.split_at_checked(body_len).ok_or(OpenError::BadFrame)?;
    // At least the slack is filler for every kind; frames are canonical.
    if body.is_empty() || filler.iter().any(|&b| b != 0) {
        return Err(OpenError::BadFrame);
    }
    let sender = sender.try_into().map_err(|_| OpenError::BadFrame)?;
    Ok((kind, sender, body))
}
