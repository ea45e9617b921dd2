//! End-to-end sealing of payloads between hosts (SPEC.md 17.5): HPKE (RFC 9180) in base mode
//! with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and ChaCha20Poly1305, to the X25519 key the
//! recipient's host put in its certificate.
//!
//! - The host key in a certificate is [`HOST_KEY_SUITE`] followed by the 32-byte X25519 public
//!   key, so a later suite can be told apart.
//! - A sealed payload is the suite byte, the 32-byte encapsulated key, then the ciphertext.
//! - The info string is [`SEAL_INFO`] (domain separation from every other use of the key); the
//!   associated data is the recipient's account id, so a payload sealed for one account and
//!   handed to another is refused even if both used the same host key.
//!
//! The plaintext is the client's payload (`compose_introduction` / `compose_reply`), which the
//! core already pads to its bucket (SPEC.md 10.1); sealing adds [`SEAL_OVERHEAD`] bytes.

use blindpost::account::AccountId;
use blindpost::certificate::{Certificate, HostKey};
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use rand::CryptoRng;
use std::fmt;
use zeroize::Zeroizing;

/// The suite byte of host keys and sealed payloads: HPKE base mode, DHKEM(X25519,
/// HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305.
pub const HOST_KEY_SUITE: u8 = 1;

/// The HPKE info string of sealed payloads.
pub const SEAL_INFO: &[u8] = b"blindpost/v1/cli/sealed-payload";

/// Length of an X25519 key (public or secret) and of the encapsulated key.
const KEY_LEN: usize = 32;

/// Bytes sealing adds to a plaintext: suite byte, encapsulated key, AEAD tag.
pub const SEAL_OVERHEAD: usize = 1 + KEY_LEN + 16;

type Kem = X25519HkdfSha256;

/// Why a payload could not be sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealError {
    /// The recipient's certificate carries no host key: its host cannot receive payloads.
    NoHostKey,
    /// The recipient's host key is of another suite or length.
    UnsupportedHostKey,
    /// The HPKE operation failed (an invalid public key).
    Hpke(String),
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoHostKey => f.write_str("seal: the recipient's certificate has no host key"),
            Self::UnsupportedHostKey => {
                f.write_str("seal: the recipient's host key is of an unsupported kind")
            }
            Self::Hpke(e) => write!(f, "seal: {e}"),
        }
    }
}

impl std::error::Error for SealError {}

/// Why a sealed payload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    /// Shorter than the suite byte, encapsulated key and tag.
    TooShort,
    /// A suite this host does not know.
    UnknownSuite(u8),
    /// The encapsulated key is not a valid X25519 point.
    BadEncapsulatedKey,
    /// Decryption failed: tampered, or sealed for another key or account.
    Refused,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooShort => f.write_str("open: the sealed payload is too short"),
            Self::UnknownSuite(s) => write!(f, "open: unknown sealing suite {s}"),
            Self::BadEncapsulatedKey => f.write_str("open: invalid encapsulated key"),
            Self::Refused => {
                f.write_str("open: the payload was tampered with or sealed for someone else")
            }
        }
    }
}

impl std::error::Error for OpenError {}

/// The host's X25519 secret key (kept beside the client state, never in a certificate).
#[derive(Clone)]
pub struct HostSecret {
    secret: <Kem as hpke::Kem>::PrivateKey,
}

impl fmt::Debug for HostSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HostSecret(..)")
    }
}

impl HostSecret {
    /// A fresh secret key from `rng`.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut ikm = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill_bytes(ikm.as_mut());
        let (secret, _) = Kem::derive_keypair(ikm.as_ref());
        Self { secret }
    }

    /// The secret's 32 bytes (to store).
    pub fn to_bytes(&self) -> Zeroizing<[u8; KEY_LEN]> {
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        out.copy_from_slice(&self.secret.to_bytes());
        out
    }

    /// A secret from [`HostSecret::to_bytes`].
    pub fn from_bytes(bytes: &[u8; KEY_LEN]) -> Result<Self, OpenError> {
        let secret = <Kem as hpke::Kem>::PrivateKey::from_bytes(bytes)
            .map_err(|_| OpenError::BadEncapsulatedKey)?;
        Ok(Self { secret })
    }

    /// The host key to register in the certificate: the suite byte and the public key.
    pub fn host_key(&self) -> HostKey {
        let public = Kem::sk_to_pk(&self.secret);
        let mut bytes = vec![HOST_KEY_SUITE];
        bytes.extend_from_slice(&public.to_bytes());
        // 33 bytes: within the certificate's host key limit.
        HostKey::new(&bytes).unwrap_or_else(|_| unreachable!("a 33-byte host key fits"))
    }

    /// Opens a payload sealed for this host as `me` (the recipient account).
    pub fn open(&self, me: &AccountId, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        let (&suite, rest) = sealed.split_first().ok_or(OpenError::TooShort)?;
        if suite != HOST_KEY_SUITE {
            return Err(OpenError::UnknownSuite(suite));
        }
        if rest.len() < KEY_LEN + 16 {
            return Err(OpenError::TooShort);
        }
        let (encapped, ciphertext) = rest.split_at(KEY_LEN);
        let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(encapped)
            .map_err(|_| OpenError::BadEncapsulatedKey)?;
        hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeR::Base,
            &self.secret,
            &encapped,
            SEAL_INFO,
            ciphertext,
            me.as_bytes(),
        )
        .map_err(|_| OpenError::Refused)
    }
}

/// Seals `plaintext` for the host of `recipient` (its certificate names the host key).
pub fn seal<R: CryptoRng + ?Sized>(
    rng: &mut R,
    recipient: &Certificate,
    plaintext: &[u8],
) -> Result<Vec<u8>, SealError> {
    let key = recipient.host_key().ok_or(SealError::NoHostKey)?;
    let account = AccountId::for_identity_key(&recipient.identity_key().to_bytes());
    seal_to(rng, key, &account, plaintext)
}

/// Seals `plaintext` to `key` for `account`.
pub fn seal_to<R: CryptoRng + ?Sized>(
    rng: &mut R,
    key: &HostKey,
    account: &AccountId,
    plaintext: &[u8],
) -> Result<Vec<u8>, SealError> {
    let (&suite, public) = key
        .as_bytes()
        .split_first()
        .ok_or(SealError::UnsupportedHostKey)?;
    if suite != HOST_KEY_SUITE || public.len() != KEY_LEN {
        return Err(SealError::UnsupportedHostKey);
    }
    let public = <Kem as hpke::Kem>::PublicKey::from_bytes(public)
        .map_err(|_| SealError::UnsupportedHostKey)?;
    let mut rng = Adapter(rng);
    let (encapped, ciphertext) =
        hpke::single_shot_seal_with_rng::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeS::Base,
            &public,
            SEAL_INFO,
            plaintext,
            account.as_bytes(),
            &mut rng,
        )
        .map_err(|e| SealError::Hpke(e.to_string()))?;
    let mut out = Vec::with_capacity(SEAL_OVERHEAD.saturating_add(plaintext.len()));
    out.push(HOST_KEY_SUITE);
    out.extend_from_slice(&encapped.to_bytes());
    out.extend_from_slice(&ciphertext);
    Ok(out)
}

/// Lets an unsized generator stand where hpke wants a sized one.
struct Adapter<'a, R: ?Sized>(&'a mut R);

impl<R: CryptoRng + ?Sized> rand::TryRng for Adapter<'_, R> {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.0.next_u32())
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(self.0.next_u64())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        self.0.fill_bytes(dst);
        Ok(())
    }
}

impl<R: CryptoRng + ?Sized> rand::TryCryptoRng for Adapter<'_, R> {}

#[cfg(test)]
mod tests {
    use super::*;
    use blindpost::vector_rng::VectorRng;

    fn account(byte: u8) -> AccountId {
        AccountId::for_identity_key(&[byte; 48])
    }

    #[test]
    fn sealed_payloads_open_only_for_their_host_and_account() {
        let mut rng = rand::rng();
        let bob = HostSecret::generate(&mut rng);
        let carol = HostSecret::generate(&mut rng);
        let me = account(1);
        let sealed = seal_to(&mut rng, &bob.host_key(), &me, b"hello bob").unwrap();
        assert_eq!(sealed.len(), SEAL_OVERHEAD + 9);
        assert_eq!(bob.open(&me, &sealed).unwrap(), b"hello bob");
        // Another host's key, another account, a flipped bit: refused.
        assert_eq!(carol.open(&me, &sealed), Err(OpenError::Refused));
        assert_eq!(bob.open(&account(2), &sealed), Err(OpenError::Refused));
        for i in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 1;
            assert!(bob.open(&me, &tampered).is_err(), "bit flipped at {i}");
        }
        assert_eq!(bob.open(&me, &sealed[..40]), Err(OpenError::TooShort));
        assert_eq!(bob.open(&me, &[]), Err(OpenError::TooShort));
    }

    #[test]
    fn host_secrets_round_trip() {
        let secret = HostSecret::generate(&mut VectorRng::new(b"seal"));
        let restored = HostSecret::from_bytes(&secret.to_bytes()).unwrap();
        assert_eq!(restored.host_key(), secret.host_key());
        assert_eq!(secret.host_key().as_bytes().len(), 33);
        assert_eq!(secret.host_key().as_bytes()[0], HOST_KEY_SUITE);
    }

    #[test]
    fn unsupported_host_keys_are_refused() {
        let mut rng = rand::rng();
        for key in [&[2u8; 33][..], &[1u8; 32][..], &[1u8][..]] {
            assert_eq!(
                seal_to(&mut rng, &HostKey::new(key).unwrap(), &account(1), b"x"),
                Err(SealError::UnsupportedHostKey)
            );
        }
    }
}
