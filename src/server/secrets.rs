//! The server's keys and their persistent encoding (SPEC.md 12.7).

use super::discovery::{self, DiscoveryConfig};
use super::ServerError;
use crate::blind_rsa::SecretKey as RsaSecretKey;
use crate::bls::SecretKey as BlsSecretKey;
use crate::certificate::{CertificateIssuer, IssuerKeySet};
use crate::encoding::Reader;
use crate::token::{Issuer, TokenKeySet};
use crate::verification_code::CodeSecret;
use crate::wire::codec::{encode_with, Bytes, Format, List, U16, U8};
use crate::Time;
use alloc::vec::Vec;
use core::fmt;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

// Version 2 added the stamp keys (SPEC.md 18.1).
const SECRETS_VERSION: u8 = 2;
/// The largest encoded key set or PKCS#8 key accepted when decoding.
const MAX_PART_LEN: usize = 16 * 1024;
/// The most token keys of one purpose (the key set's own limit).
const MAX_TOKEN_KEYS: usize = TokenKeySet::MAX_KEYS;

/// An encoded key set behind its `vec16` length.
type KeySetField = Bytes<U16, MAX_PART_LEN>;
/// `u8 n; n x vec16 PKCS#8 DER`: the secret keys of one token issuer.
type SecretKeysField = List<U8, MAX_TOKEN_KEYS, Bytes<U16, MAX_PART_LEN>>;

/// The server's secret keys and the public key sets it publishes.
pub struct ServerSecrets {
    /// Signs certificates.
    pub certificate_issuer: CertificateIssuer,
    /// The published certificate issuer keys (must contain the issuer's key).
    pub certificate_issuers: IssuerKeySet,
    /// Signs cold-call tokens.
    pub cold_call_issuer: Issuer,
    /// The published cold-call token keys.
    pub cold_call_keys: TokenKeySet,
    /// Signs discovery tokens (one key per window).
    pub discovery_issuer: Issuer,
    /// The published discovery token keys.
    pub discovery_keys: TokenKeySet,
    /// Signs reputation stamps (SPEC.md 18.1): a key of its own, so that a stamp request can
    /// never be turned into a cold-call token.
    pub stamp_issuer: Issuer,
    /// The published stamp keys.
    pub stamp_keys: TokenKeySet,
    /// Derives verification codes.
    pub code_secret: CodeSecret,
}

/// Validity of generated long-lived keys (certificate issuer, cold-call tokens): one year.
const GENERATED_KEY_LIFETIME: u64 = 365 * 24 * 3600;

impl ServerSecrets {
    /// Fresh keys for a server named `issuer_name`, valid from `now`: a certificate issuer key,
    /// a cold-call token key and a stamp key (all for a year) and discovery keys for the current and the next
    /// window (2048-bit RSA keys take tens of milliseconds each).
    pub fn generate<R: CryptoRng + ?Sized>(
        rng: &mut R,
        now: Time,
        issuer_name: &[u8],
        discovery: &DiscoveryConfig,
    ) -> Result<Self, ServerError> {
        let until = now.saturating_add(GENERATED_KEY_LIFETIME);
        let certificate_issuer =
            CertificateIssuer::new(crate::bls::SecretKey::generate(rng), now, until)
                .map_err(|_| ServerError::KeyGeneration)?;
        let certificate_issuers = IssuerKeySet::new(alloc::vec![*certificate_issuer.issuer_key()])
            .map_err(|_| ServerError::KeyGeneration)?;
        let (cold_call_issuer, cold_call_keys) =
            long_lived_token_keys(rng, now, until, issuer_name)?;
        let (discovery_issuer, discovery_keys) =
            discovery::generate_keys(rng, now, issuer_name, discovery, 1, None)?;
        let code_secret = CodeSecret::generate(rng);
        // Drawn last, so that the keys drawn before stamps existed stay what a seeded
        // generator made of them (the registration vectors, SPEC.md 2.5).
        let (stamp_issuer, stamp_keys) = long_lived_token_keys(rng, now, until, issuer_name)?;
        Ok(Self {
            certificate_issuer,
            certificate_issuers,
            cold_call_issuer,
            cold_call_keys,
            discovery_issuer,
            discovery_keys,
            stamp_issuer,
            stamp_keys,
            code_secret,
        })
    }
}

/// An issuer of one fresh token key valid from `now` to `until`, and its published key set.
fn long_lived_token_keys<R: CryptoRng + ?Sized>(
    rng: &mut R,
    now: Time,
    until: Time,
    issuer_name: &[u8],
) -> Result<(Issuer, TokenKeySet), ServerError> {
    let secret = crate::blind_rsa::SecretKey::generate(rng, crate::token::KEY_BITS)
        .map_err(|_| ServerError::KeyGeneration)?;
    let key = crate::token::TokenKey::from_public_key(secret.public_key())
        .map_err(|_| ServerError::KeyGeneration)?;
    let keys = TokenKeySet::new(
        1,
        issuer_name,
        alloc::vec![crate::token::TokenKeyEntry::new(key, now, until)],
    )
    .map_err(|_| ServerError::KeyGeneration)?;
    let issuer = Issuer::new(alloc::vec![secret]).map_err(|_| ServerError::KeyGeneration)?;
    Ok((issuer, keys))
}

impl fmt::Debug for ServerSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerSecrets(<secret>)")
    }
}

impl ServerSecrets {
    /// The encoding to persist (secret: it holds every private key of the server):
    ///
    /// ```text
    /// u8 version = 2
    /// [32] certificate issuer BLS secret key; u64 issuer not_before; u64 issuer not_after
    /// vec16 certificate issuer key set
    /// u8 n; n x vec16 cold-call token key (PKCS#8 DER); vec16 cold-call token key set
    /// u8 n; n x vec16 discovery token key (PKCS#8 DER); vec16 discovery token key set
    /// u8 n; n x vec16 stamp key (PKCS#8 DER); vec16 stamp key set
    /// [32] verification code secret
    /// ```
    pub fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, ServerError> {
        let key = self.certificate_issuer.issuer_key();
        let der = |issuer: &Issuer| -> Result<Vec<Zeroizing<Vec<u8>>>, ServerError> {
            issuer
                .secret_keys()
                .map(|k| k.to_pkcs8_der().map_err(|_| ServerError::KeyEncoding))
                .collect()
        };
        let (cold_call_der, discovery_der, stamp_der) = (
            der(&self.cold_call_issuer)?,
            der(&self.discovery_issuer)?,
            der(&self.stamp_issuer)?,
        );
        let bytes = encode_with(|w| {
            w.u8(SECRETS_VERSION)
                .bytes(self.certificate_issuer.secret_key().to_bytes().as_ref())
                .time(key.not_before())
                .time(key.not_after());
            KeySetField::write(
                &self.certificate_issuers,
                w,
                "server_secrets.issuers".into(),
            )?;
            for (secrets, keys) in [
                (&cold_call_der, &self.cold_call_keys),
                (&discovery_der, &self.discovery_keys),
                (&stamp_der, &self.stamp_keys),
            ] {
                SecretKeysField::write(secrets, w, "server_secrets.token_keys".into())?;
                KeySetField::write(keys, w, "server_secrets.token_key_set".into())?;
            }
            w.bytes(self.code_secret.as_bytes());
            Ok(())
        })
        .map_err(|_| ServerError::KeyEncoding)?;
        Ok(Zeroizing::new(bytes))
    }

    /// Decodes [`ServerSecrets::to_bytes`]; every key is validated, and the issuers must match
    /// their published key sets (checked again by [`super::Server::new`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ServerError> {
        let bad = |_| ServerError::KeyEncoding;
        let mut r = Reader::new(bytes);
        r.version("server_secrets.version", SECRETS_VERSION)
            .map_err(bad)?;
        let bls = Zeroizing::new(
            r.array::<32>("server_secrets.certificate_key")
                .map_err(bad)?,
        );
        let bls = BlsSecretKey::from_bytes(bls.as_ref()).map_err(|_| ServerError::KeyEncoding)?;
        let not_before = r.time("server_secrets.not_before").map_err(bad)?;
        let not_after = r.time("server_secrets.not_after").map_err(bad)?;
        let certificate_issuer = CertificateIssuer::new(bls, not_before, not_after)
            .map_err(|_| ServerError::KeyEncoding)?;
        let certificate_issuers = KeySetField::read(&mut r, "server_secrets.issuers".into())
            .map_err(|_| ServerError::KeyEncoding)?;
        let (cold_call_issuer, cold_call_keys) = read_token_keys(&mut r)?;
        let (discovery_issuer, discovery_keys) = read_token_keys(&mut r)?;
        let (stamp_issuer, stamp_keys) = read_token_keys(&mut r)?;
        let code = Zeroizing::new(r.array::<32>("server_secrets.code_secret").map_err(bad)?);
        r.finish("server_secrets").map_err(bad)?;
        Ok(Self {
            certificate_issuer,
            certificate_issuers,
            cold_call_issuer,
            cold_call_keys,
            discovery_issuer,
            discovery_keys,
            stamp_issuer,
            stamp_keys,
            code_secret: CodeSecret::from_bytes(*code),
        })
    }
}

fn read_token_keys(r: &mut Reader<'_>) -> Result<(Issuer, TokenKeySet), ServerError> {
    let bad = |_| ServerError::KeyEncoding;
    let ders: Vec<Zeroizing<Vec<u8>>> =
        SecretKeysField::read(r, "server_secrets.token_keys".into()).map_err(bad)?;
    let secrets = ders
        .iter()
        .map(|der| RsaSecretKey::from_pkcs8_der(der).map_err(|_| ServerError::KeyEncoding))
        .collect::<Result<Vec<_>, _>>()?;
    let issuer = Issuer::new(secrets).map_err(|_| ServerError::KeyEncoding)?;
    let keys = KeySetField::read(r, "server_secrets.token_key_set".into()).map_err(bad)?;
    Ok((issuer, keys))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vector_rng::VectorRng;

    #[test]
    fn secrets_round_trip_and_reject_damage() {
        let mut rng = VectorRng::new(b"server secrets");
        let secrets = ServerSecrets::generate(
            &mut rng,
            Time::from_unix_secs(1_800_000_000),
            b"example.org",
            &DiscoveryConfig::default(),
        )
        .unwrap();
        let bytes = secrets.to_bytes().unwrap();
        let back = ServerSecrets::from_bytes(&bytes).unwrap();
        assert_eq!(*back.to_bytes().unwrap(), *bytes);
        assert_eq!(back.cold_call_keys, secrets.cold_call_keys);
        assert_eq!(back.discovery_keys, secrets.discovery_keys);
        assert_eq!(back.stamp_keys, secrets.stamp_keys);
        assert_eq!(back.code_secret.as_bytes(), secrets.code_secret.as_bytes());
        let mut trailing = bytes.to_vec();
        trailing.push(0);
        assert_eq!(
            ServerSecrets::from_bytes(&trailing).unwrap_err(),
            ServerError::KeyEncoding
        );
        assert_eq!(
            ServerSecrets::from_bytes(&bytes[..bytes.len() - 1]).unwrap_err(),
            ServerError::KeyEncoding
        );
        let mut version = bytes.to_vec();
        version[0] = 1;
        assert_eq!(
            ServerSecrets::from_bytes(&version).unwrap_err(),
            ServerError::KeyEncoding
        );
    }
}
