//! Token keys and the published, versioned token key set with its consistency rule (SPEC.md
//! sections 6.1 and 6.5).

use super::{Error, TokenKeyId, KEY_BITS};
use crate::blind_rsa::PublicKey;
use crate::encoding::{DecodeError, DecodeErrorKind, Reader};
use crate::Time;
use alloc::vec::Vec;
use sha2::{Digest, Sha256};

/// Domain-separation tag of the key set digest (SPEC.md 2.3).
const KEY_SET_DST: &[u8] = b"blindpost/v1/token/key-set";

/// The version byte of the key set encoding.
const KEY_SET_VERSION: u8 = 1;

/// The largest SPKI a key set entry may hold (a 2048-bit key's is 342 bytes).
const MAX_SPKI_LEN: usize = 1024;

/// An issuer public key of token type 0x0002: a 2048-bit RSA key with its RFC 9578 SPKI encoding
/// and key identifier, computed once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenKey {
    public: PublicKey,
    spki: Vec<u8>,
    id: TokenKeyId,
}

impl TokenKey {
    /// A token key from a blind RSA public key, which must be 2048 bits.
    pub fn from_public_key(public: &PublicKey) -> Result<Self, Error> {
        if public.modulus_bits() != KEY_BITS {
            return Err(Error::WrongKeySize {
                bits: public.modulus_bits(),
            });
        }
        let spki = public.to_spki_der();
        let id = TokenKeyId::from_bytes(Sha256::digest(&spki).into());
        Ok(Self {
            public: public.clone(),
            spki,
            id,
        })
    }

    /// Parses the RFC 9578 SPKI encoding of a 2048-bit key.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, Error> {
        Self::from_public_key(&PublicKey::from_spki_der(der)?)
    }

    /// The RSA public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The RFC 9578 SPKI encoding (`pkI` as published).
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// `token_key_id = SHA-256(SPKI)`.
    pub fn id(&self) -> TokenKeyId {
        self.id
    }
}

/// A key of a [`TokenKeySet`] with its validity: from `not_before` (included) to `expires`
/// (excluded), in seconds since the Unix epoch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenKeyEntry {
    key: TokenKey,
    not_before: Time,
    expires: Time,
}

impl TokenKeyEntry {
    /// An entry; [`TokenKeySet::new`] checks that `not_before < expires`.
    pub fn new(key: TokenKey, not_before: Time, expires: Time) -> Self {
        Self {
            key,
            not_before,
            expires,
        }
    }

    /// The RSA public key of this entry.
    pub fn key(&self) -> &TokenKey {
        &self.key
    }

    /// The first second at which clients may request tokens under the key.
    pub fn not_before(&self) -> Time {
        self.not_before
    }

    /// The first second at which the key is no longer valid.
    pub fn expires(&self) -> Time {
        self.expires
    }

    /// Whether `not_before <= now < expires`.
    pub fn is_valid_at(&self, now: Time) -> bool {
        self.not_before <= now && now < self.expires
    }

    /// The canonical order of entries in a set: by `not_before`, then by key identifier.
    fn order_key(&self) -> (Time, TokenKeyId) {
        (self.not_before, self.key.id)
    }
}

/// The token keys an issuer publishes, identical for every client (SPEC.md 6.5): a serial number
/// that grows with every change, the issuer name, and one to [`Self::MAX_KEYS`] keys of which at
/// most [`Self::MAX_CONCURRENT_KEYS`] are valid at any instant.
///
/// Encoding (version 1):
///
/// ```text
/// u8 version = 1; u64 serial; vec16 issuer_name (1..65535 bytes);
/// u8 count (1..4); count x { u64 not_before; u64 expires; vec16 spki (at most 1024 bytes) }
/// ```
///
/// with entries in canonical order (by `not_before`, then key identifier) and distinct
/// truncated key identifiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenKeySet {
    serial: u64,
    issuer_name: Vec<u8>,
    entries: Vec<TokenKeyEntry>,
    digest: [u8; 32],
}

impl TokenKeySet {
    /// The largest number of keys in a set.
    pub const MAX_KEYS: usize = 4;

    /// The largest number of keys valid at one instant: a client's key choice is then one of at
    /// most two, and every client makes the same choice ([`Self::preferred_key`]).
    pub const MAX_CONCURRENT_KEYS: usize = 2;

    /// A key set; the entries are put in canonical order and every rule of SPEC.md 6.5 is
    /// checked.
    pub fn new(
        serial: u64,
        issuer_name: &[u8],
        mut entries: Vec<TokenKeyEntry>,
    ) -> Result<Self, Error> {
        entries.sort_by_key(TokenKeyEntry::order_key);
        Self::checked(serial, issuer_name, entries)
    }

    fn checked(
        serial: u64,
        issuer_name: &[u8],
        entries: Vec<TokenKeyEntry>,
    ) -> Result<Self, Error> {
        if issuer_name.is_empty() || u16::try_from(issuer_name.len()).is_err() {
            return Err(Error::InvalidIssuerName {
                length: issuer_name.len(),
            });
        }
        if entries.is_empty() {
            return Err(Error::EmptyKeySet);
        }
        if entries.len() > Self::MAX_KEYS {
            return Err(Error::TooManyKeys {
                count: entries.len(),
            });
        }
        for (i, entry) in entries.iter().enumerate() {
            if entry.not_before >= entry.expires {
                return Err(Error::InvalidValidity {
                    key_id: entry.key.id,
                });
            }
            let truncated = entry.key.id.truncated();
            if entries
                .iter()
                .skip(i.saturating_add(1))
                .any(|other| other.key.id.truncated() == truncated)
            {
                return Err(Error::DuplicateTruncatedKeyId { truncated });
            }
            // The number of valid keys only grows at a not_before, so checking there suffices.
            let at = entry.not_before;
            if entries.iter().filter(|e| e.is_valid_at(at)).count() > Self::MAX_CONCURRENT_KEYS {
                return Err(Error::TooManyConcurrentKeys { at });
            }
        }
        let mut set = Self {
            serial,
            issuer_name: Vec::from(issuer_name),
            entries,
            digest: [0; 32],
        };
        let mut h = Sha256::new();
        // The DST is shorter than 256 bytes; vec8 length prefix.
        h.update([const { crate::encoding::dst_len(KEY_SET_DST) }]);
        h.update(KEY_SET_DST);
        h.update(set.to_bytes());
        set.digest = h.finalize().into();
        Ok(set)
    }

    /// The serial number.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// The issuer name (as in the issuer's challenges).
    pub fn issuer_name(&self) -> &[u8] {
        &self.issuer_name
    }

    /// The entries, in canonical order.
    pub fn entries(&self) -> &[TokenKeyEntry] {
        &self.entries
    }

    /// `SHA-256(vec8("blindpost/v1/token/key-set") || encoding)`: what clients pin and compare.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// The entry of the key with this identifier.
    pub fn entry(&self, id: &TokenKeyId) -> Option<&TokenKeyEntry> {
        self.entries.iter().find(|e| e.key.id == *id)
    }

    /// The key with this identifier.
    pub fn key(&self, id: &TokenKeyId) -> Option<&TokenKey> {
        self.entry(id).map(TokenKeyEntry::key)
    }

    /// The key clients use at `now`: of the keys valid then, the one with the latest
    /// `not_before` (the last in canonical order). Every client holding the set makes the same
    /// choice.
    pub fn preferred_key(&self, now: Time) -> Option<&TokenKey> {
        self.entries
            .iter()
            .rev()
            .find(|e| e.is_valid_at(now))
            .map(TokenKeyEntry::key)
    }

    /// The consistency rule a client applies before replacing this (pinned) set by `next` at time
    /// `now` (SPEC.md 6.5): same issuer; the same set, or a higher serial; and every key of this
    /// set that has not expired at `now` is in `next` unchanged (same key, `not_before` and
    /// `expires`).
    pub fn check_update(&self, next: &TokenKeySet, now: Time) -> Result<(), Error> {
        if next.issuer_name != self.issuer_name {
            return Err(Error::IssuerMismatch);
        }
        if next.digest == self.digest {
            return Ok(());
        }
        if next.serial <= self.serial {
            return Err(Error::KeySetRollback {
                pinned: self.serial,
                offered: next.serial,
            });
        }
        for entry in self.entries.iter().filter(|e| e.expires > now) {
            if next.entry(&entry.key.id) != Some(entry) {
                return Err(Error::KeyWithdrawnEarly {
                    key_id: entry.key.id,
                });
            }
        }
        Ok(())
    }

    /// The encoding described on the type.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.push(KEY_SET_VERSION);
        out.extend_from_slice(&self.serial.to_be_bytes());
        super::push_vec16(&mut out, &self.issuer_name);
        // The constructors admit at most MAX_KEYS (4) entries, so the count always fits a u8.
        out.push(u8::try_from(self.entries.len()).unwrap_or(u8::MAX));
        for entry in &self.entries {
            out.extend_from_slice(&entry.not_before.unix_secs().to_be_bytes());
            out.extend_from_slice(&entry.expires.unix_secs().to_be_bytes());
            super::push_vec16(&mut out, &entry.key.spki);
        }
        out
    }

    /// Decodes the encoding described on the type and checks every rule of [`Self::new`]; the
    /// entries must already be in canonical order.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut r = Reader::new(bytes);
        r.version("token_key_set.version", KEY_SET_VERSION)?;
        let serial = r.u64("token_key_set.serial")?;
        let issuer_name = r.vec16("token_key_set.issuer_name", usize::from(u16::MAX))?;
        let count = usize::from(r.u8("token_key_set.count")?);
        if count > Self::MAX_KEYS {
            return Err(Error::TooManyKeys { count });
        }
        let mut entries = Vec::with_capacity(count);
        for _ in 0..count {
            let not_before = r.time("token_key_set.not_before")?;
            let expires = r.time("token_key_set.expires")?;
            let key = TokenKey::from_spki_der(r.vec16("token_key_set.spki", MAX_SPKI_LEN)?)?;
            entries.push(TokenKeyEntry::new(key, not_before, expires));
        }
        r.finish("token_key_set")?;
        if !entries
            .windows(2)
            .all(|w| matches!(w, [a, b] if a.order_key() < b.order_key()))
        {
            return Err(
                DecodeError::new("token_key_set.entries", DecodeErrorKind::InvalidValue).into(),
            );
        }
        Self::checked(serial, issuer_name, entries)
    }
}
