//! How one entry is laid out in the file: its expiry first, then its value.
//!
//! `[flag: u8][expiry: u64 big-endian][value]`, where flag 0 means "never expires" (the expiry
//! bytes are then zero) and flag 1 means "expires at the expiry". A flag rather than a reserved
//! expiry value, so every [`Time`] (including [`Time::MAX`]) stays a possible expiry.

use blindpost::store::StoreError;
use blindpost::Time;

/// Bytes before the value: the flag and the expiry.
const HEADER: usize = 9;
const NEVER: u8 = 0;
const EXPIRES: u8 = 1;

/// One stored entry, read back from its bytes.
pub(crate) struct Record<'a> {
    pub(crate) expires_at: Option<Time>,
    pub(crate) value: &'a [u8],
}

impl<'a> Record<'a> {
    /// Encodes `value` with its expiry.
    pub(crate) fn encode(value: &[u8], expires_at: Option<Time>) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(HEADER.saturating_add(value.len()));
        match expires_at {
            None => {
                bytes.push(NEVER);
                bytes.extend_from_slice(&[0; 8]);
            }
            Some(t) => {
                bytes.push(EXPIRES);
                bytes.extend_from_slice(&t.unix_secs().to_be_bytes());
            }
        }
        bytes.extend_from_slice(value);
        bytes
    }

    /// Decodes a stored entry; anything this crate did not write is an error, never a panic.
    pub(crate) fn decode(bytes: &'a [u8]) -> Result<Self, StoreError> {
        let Some((header, value)) = bytes.split_first_chunk::<HEADER>() else {
            return Err(StoreError::new(format!(
                "corrupt record: {} bytes, shorter than the {HEADER}-byte expiry header",
                bytes.len()
            )));
        };
        let [flag, expiry @ ..] = *header;
        let expiry = u64::from_be_bytes(expiry);
        let expires_at = match (flag, expiry) {
            (NEVER, 0) => None,
            (EXPIRES, secs) => Some(Time::from_unix_secs(secs)),
            _ => {
                return Err(StoreError::new(format!(
                    "corrupt record: expiry flag {flag} with expiry {expiry}"
                )))
            }
        };
        Ok(Self { expires_at, value })
    }

    /// Whether the entry is live at `now` (the server's clock, never the machine's).
    pub(crate) fn live(&self, now: Time) -> bool {
        self.expires_at.is_none_or(|t| now < t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_round_trip_and_keep_every_expiry_apart_from_never() {
        for expires_at in [
            None,
            Some(Time::EPOCH),
            Some(Time::from_unix_secs(7)),
            Some(Time::MAX),
        ] {
            let bytes = Record::encode(b"value", expires_at);
            let record = Record::decode(&bytes).unwrap();
            assert_eq!(record.expires_at, expires_at);
            assert_eq!(record.value, b"value");
        }
        assert!(Record::decode(&Record::encode(b"", None))
            .unwrap()
            .live(Time::MAX));
        assert!(!Record::decode(&Record::encode(b"", Some(Time::MAX)))
            .unwrap()
            .live(Time::MAX));
    }

    #[test]
    fn short_records_and_unknown_flags_are_errors() {
        for bytes in [
            &[][..],
            &[0; 8][..],
            &[2; 9][..],
            &[0, 0, 0, 0, 0, 0, 0, 0, 1][..],
        ] {
            assert!(Record::decode(bytes).is_err(), "{bytes:?} decoded");
        }
    }
}
