//! The credential of the authenticated channel (SPEC.md 17.2).
//!
//! Requests on the `authenticated` channel name an account (SPEC.md 11.2); the host proves that
//! the sender holds the account's identity key by signing, for each request, the server's
//! name, the time, a fresh nonce, the method, the path and the digest of the body. The server
//! checks the cheap parts first (length, clock, registered account), then the signature, and
//! records the credential until it could no longer be accepted, so a captured credential cannot
//! be replayed. The signed message starts with its own DST, so no other identity-key signature
//! of the protocol (introductions) can be taken for a credential or the other way round.

use crate::account::AccountId;
use crate::bls::{PublicKey, SecretKey, Signature};
use crate::encoding::dst_len;
use crate::Time;
use alloc::vec::Vec;
use core::fmt;
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};

/// The DST that starts every signed credential message.
const AUTH_DST: &[u8] = b"blindpost/v1/host-auth";

/// How far a credential's time may be from the server's clock, either way (seconds).
pub const AUTH_SKEW: u64 = 300;

/// The length of an encoded [`RequestAuth`]: key, time, nonce, signature.
pub const REQUEST_AUTH_LEN: usize = 48 + 8 + NONCE_LEN + 96;

/// The length of a credential's nonce.
pub const NONCE_LEN: usize = 16;

/// The longest path and method a credential signs (the lengths are on the wire as `vec16` and
/// `vec8`).
const MAX_PATH_LEN: usize = u16::MAX as usize;
const MAX_METHOD_LEN: usize = u8::MAX as usize;

/// One request's credential: `[48] identity key || u64 time || [16] nonce || [96] signature`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RequestAuth {
    identity_key: [u8; 48],
    time: u64,
    nonce: [u8; NONCE_LEN],
    signature: [u8; 96],
}

impl fmt::Debug for RequestAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestAuth")
            .field("account", &self.account())
            .field("time", &self.time)
            .finish_non_exhaustive()
    }
}

/// Why a credential was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// Not 168 bytes, a key or signature that does not decode, or a method or path too long to
    /// sign.
    Malformed,
    /// The credential's time is more than [`AUTH_SKEW`] seconds from the server's clock.
    ClockSkew,
    /// No account is registered under the identity key.
    UnknownAccount,
    /// The signature does not verify for this server, request and body.
    BadSignature,
    /// This credential was already accepted.
    Replayed,
    /// The store failed; nothing was recorded.
    Store,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthError::Malformed => "authentication: the credential is malformed",
            AuthError::ClockSkew => {
                "authentication: the credential's time is too far from the server's clock"
            }
            AuthError::UnknownAccount => "authentication: no account has this identity key",
            AuthError::BadSignature => {
                "authentication: the signature does not verify for this server and request"
            }
            AuthError::Replayed => "authentication: the credential was already used",
            AuthError::Store => "authentication: the store failed",
        })
    }
}

impl core::error::Error for AuthError {}

impl RequestAuth {
    /// Signs a credential for a request of `method` to `path` with `body`, for the server
    /// named `server_name`, at `now`. Fails only if the method or path is too long to sign.
    pub fn sign<R: CryptoRng + ?Sized>(
        rng: &mut R,
        identity: &SecretKey,
        server_name: &[u8],
        now: Time,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<Self, AuthError> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let time = now.unix_secs();
        let message = signed_message(server_name, time, &nonce, method, path, body)?;
        Ok(Self {
            identity_key: identity.public_key().to_bytes(),
            time,
            nonce,
            signature: identity.sign(&message).to_bytes(),
        })
    }

    /// Decodes a credential; the key and signature are only checked by [`RequestAuth::verify`]
    /// (after the cheap checks).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AuthError> {
        let bytes: &[u8; REQUEST_AUTH_LEN] = bytes.try_into().map_err(|_| AuthError::Malformed)?;
        let (identity_key, rest) = bytes
            .split_first_chunk::<48>()
            .ok_or(AuthError::Malformed)?;
        let (time, rest) = rest.split_first_chunk::<8>().ok_or(AuthError::Malformed)?;
        let (nonce, rest) = rest
            .split_first_chunk::<NONCE_LEN>()
            .ok_or(AuthError::Malformed)?;
        let signature: &[u8; 96] = rest.try_into().map_err(|_| AuthError::Malformed)?;
        Ok(Self {
            identity_key: *identity_key,
            time: u64::from_be_bytes(*time),
            nonce: *nonce,
            signature: *signature,
        })
    }

    /// The 168-byte encoding.
    pub fn to_bytes(&self) -> [u8; REQUEST_AUTH_LEN] {
        let time = self.time.to_be_bytes();
        let fields = self
            .identity_key
            .iter()
            .chain(&time)
            .chain(&self.nonce)
            .chain(&self.signature);
        let mut out = [0u8; REQUEST_AUTH_LEN];
        for (byte, field) in out.iter_mut().zip(fields) {
            *byte = *field;
        }
        out
    }

    /// The account the credential claims (unchecked until [`RequestAuth::verify`]).
    pub fn account(&self) -> AccountId {
        AccountId::for_identity_key(&self.identity_key)
    }

    /// The time the credential was made at (seconds since the Unix epoch).
    pub fn time(&self) -> Time {
        Time::from_unix_secs(self.time)
    }

    /// Checks the clock: the credential's time is within [`AUTH_SKEW`] of `now`.
    pub fn check_time(&self, now: Time) -> Result<(), AuthError> {
        if self.time.abs_diff(now.unix_secs()) > AUTH_SKEW {
            return Err(AuthError::ClockSkew);
        }
        Ok(())
    }

    /// Checks the signature over this server, request and body (a pairing product: the
    /// expensive check, run after the cheap ones).
    pub fn verify(
        &self,
        server_name: &[u8],
        method: &str,
        path: &str,
        body: &[u8],
    ) -> Result<(), AuthError> {
        let message = signed_message(server_name, self.time, &self.nonce, method, path, body)?;
        let key = PublicKey::from_bytes(&self.identity_key).map_err(|_| AuthError::Malformed)?;
        let signature = Signature::from_bytes(&self.signature).map_err(|_| AuthError::Malformed)?;
        key.verify(&message, &signature)
            .map_err(|_| AuthError::BadSignature)
    }

    /// The name the server records an accepted credential under (its signature's digest).
    pub fn replay_digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update([const { dst_len(AUTH_DST) }]);
        h.update(AUTH_DST);
        h.update(self.signature);
        h.finalize().into()
    }

    /// Until when a server must remember the credential: after that its time is refused anyway.
    pub fn remember_until(&self) -> Time {
        Time::from_unix_secs(self.time.saturating_add(AUTH_SKEW).saturating_add(1))
    }
}

/// `vec8(DST) || vec8(server name) || u64 time || [16] nonce || vec8(method) || vec16(path) ||
/// [32] SHA-256(body)`.
fn signed_message(
    server_name: &[u8],
    time: u64,
    nonce: &[u8; NONCE_LEN],
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<Vec<u8>, AuthError> {
    let name_len = u8::try_from(server_name.len()).map_err(|_| AuthError::Malformed)?;
    if method.len() > MAX_METHOD_LEN || path.len() > MAX_PATH_LEN {
        return Err(AuthError::Malformed);
    }
    let mut m = Vec::new();
    m.push(const { dst_len(AUTH_DST) });
    m.extend_from_slice(AUTH_DST);
    m.push(name_len);
    m.extend_from_slice(server_name);
    m.extend_from_slice(&time.to_be_bytes());
    m.extend_from_slice(nonce);
    m.push(u8::try_from(method.len()).map_err(|_| AuthError::Malformed)?);
    m.extend_from_slice(method.as_bytes());
    m.extend_from_slice(
        &u16::try_from(path.len())
            .map_err(|_| AuthError::Malformed)?
            .to_be_bytes(),
    );
    m.extend_from_slice(path.as_bytes());
    m.extend_from_slice(&Sha256::digest(body));
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector_rng::VectorRng;

    fn signed(rng: &mut VectorRng, sk: &SecretKey, now: Time) -> RequestAuth {
        RequestAuth::sign(
            rng,
            sk,
            b"server",
            now,
            "POST",
            "/v1/authenticated",
            b"body",
        )
        .unwrap()
    }

    #[test]
    fn a_credential_verifies_only_for_its_server_request_and_body() {
        let mut rng = VectorRng::new(b"host auth");
        let sk = SecretKey::generate(&mut rng);
        let now = Time::from_unix_secs(1_800_000_000);
        let auth = signed(&mut rng, &sk, now);
        let decoded = RequestAuth::from_bytes(&auth.to_bytes()).unwrap();
        assert_eq!(decoded, auth);
        assert_eq!(
            decoded.account(),
            AccountId::for_identity_key(&sk.public_key().to_bytes())
        );
        decoded
            .verify(b"server", "POST", "/v1/authenticated", b"body")
            .unwrap();
        for (name, method, path, body) in [
            (&b"other"[..], "POST", "/v1/authenticated", &b"body"[..]),
            (b"server", "GET", "/v1/authenticated", b"body"),
            (b"server", "POST", "/v1/deliveries", b"body"),
            (b"server", "POST", "/v1/authenticated", b"bodx"),
        ] {
            assert_eq!(
                decoded.verify(name, method, path, body),
                Err(AuthError::BadSignature)
            );
        }
    }

    #[test]
    fn two_credentials_for_the_same_request_differ() {
        let mut rng = VectorRng::new(b"host auth nonce");
        let sk = SecretKey::generate(&mut rng);
        let now = Time::from_unix_secs(1_800_000_000);
        let a = signed(&mut rng, &sk, now);
        let b = signed(&mut rng, &sk, now);
        assert_ne!(a.replay_digest(), b.replay_digest());
    }

    #[test]
    fn the_clock_is_checked_within_the_skew_either_way() {
        let mut rng = VectorRng::new(b"host auth clock");
        let sk = SecretKey::generate(&mut rng);
        let t = Time::from_unix_secs(1_800_000_000);
        let auth = signed(&mut rng, &sk, t);
        assert_eq!(auth.check_time(t + AUTH_SKEW), Ok(()));
        assert_eq!(auth.check_time(t - AUTH_SKEW), Ok(()));
        assert_eq!(
            auth.check_time(t + (AUTH_SKEW + 1)),
            Err(AuthError::ClockSkew)
        );
        assert_eq!(
            auth.check_time(t - (AUTH_SKEW + 1)),
            Err(AuthError::ClockSkew)
        );
        assert_eq!(auth.remember_until(), t + (AUTH_SKEW + 1));
    }

    #[test]
    fn malformed_credentials_are_refused() {
        let mut rng = VectorRng::new(b"host auth malformed");
        let sk = SecretKey::generate(&mut rng);
        let auth = signed(&mut rng, &sk, Time::from_unix_secs(1_800_000_000));
        let bytes = auth.to_bytes();
        assert_eq!(
            RequestAuth::from_bytes(&bytes[..REQUEST_AUTH_LEN - 1]),
            Err(AuthError::Malformed)
        );
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert_eq!(RequestAuth::from_bytes(&longer), Err(AuthError::Malformed));
        // A key that is not a point, and a signature that is not a point.
        for at in [0, REQUEST_AUTH_LEN - 96] {
            let mut bad = bytes;
            bad[at] ^= 0x20;
            let bad = RequestAuth::from_bytes(&bad).unwrap();
            assert!(bad
                .verify(b"server", "POST", "/v1/authenticated", b"body")
                .is_err());
        }
        let long_path = "p".repeat(MAX_PATH_LEN + 1);
        assert_eq!(
            RequestAuth::sign(
                &mut rng,
                &sk,
                b"server",
                Time::from_unix_secs(0),
                "GET",
                &long_path,
                b""
            ),
            Err(AuthError::Malformed)
        );
    }
}
