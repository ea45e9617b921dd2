//! RSA keys for RSABSSA: size and exponent policy, the RFC 9578 SubjectPublicKeyInfo encoding
//! (SPEC.md section 5.2) and PKCS#8.

use super::Error;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use crypto_bigint::modular::BoxedMontyParams;
use crypto_bigint::BoxedUint;
use rand_core::CryptoRng;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding, SecretDocument};
use rsa::traits::PublicKeyParts;
use zeroize::Zeroizing;

/// The smallest modulus accepted, in bits.
pub const MIN_MODULUS_BITS: u32 = 2048;
/// The largest modulus accepted, in bits.
pub const MAX_MODULUS_BITS: u32 = 4096;
/// The only public exponent accepted.
pub const PUBLIC_EXPONENT: u32 = 65_537;

/// DER of the SPKI `AlgorithmIdentifier` RFC 9578 requires: id-RSASSA-PSS with
/// RSASSA-PSS-params { hashAlgorithm sha384, maskGenAlgorithm mgf1(sha384), saltLength 48 },
/// the hash identifiers without parameters.
const PSS_SHA384_ALGORITHM: [u8; 63] = [
    0x30, 0x3d, // AlgorithmIdentifier
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, // id-RSASSA-PSS
    0x30, 0x30, // RSASSA-PSS-params
    0xa0, 0x0d, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
    0x02, // [0] sha384
    0xa1, 0x1a, 0x30, 0x18, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
    0x08, // [1] mgf1
    0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, // sha384
    0xa2, 0x03, 0x02, 0x01, 0x30, // [2] saltLength 48
];

/// An RSA public key for RSABSSA: modulus of 2048 to 4096 bits, exponent 65537. The Montgomery
/// parameters of the modulus are computed once, when the key is built.
#[derive(Clone)]
pub struct PublicKey {
    inner: rsa::PublicKey,
    modulus_bits: u32,
    modulus_len: usize,
}

impl PublicKey {
    /// A key from its big-endian modulus and public exponent (leading zero bytes allowed).
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<Self, Error> {
        let e = trim_leading_zeros(e);
        if e != PUBLIC_EXPONENT.to_be_bytes().get(1..).unwrap_or_default() {
            return Err(Error::UnsupportedExponent);
        }
        let n = trim_leading_zeros(n);
        let bits = bit_length(n);
        check_modulus_bits(bits)?;
        let n = BoxedUint::from_be_slice(n, bits).map_err(|_| Error::InvalidKey)?;
        let inner = rsa::PublicKey::new(n, BoxedUint::from(PUBLIC_EXPONENT))
            .map_err(|_| Error::InvalidKey)?;
        Self::from_rsa(inner)
    }

    /// Wraps a key of the `rsa` crate after checking the size and exponent policy.
    fn from_rsa(inner: rsa::PublicKey) -> Result<Self, Error> {
        let bits = inner.n().as_ref().bit_width_vartime();
        check_modulus_bits(bits)?;
        if inner.e().to_be_bytes_trimmed_vartime().as_ref()
            != PUBLIC_EXPONENT.to_be_bytes().get(1..).unwrap_or_default()
        {
            return Err(Error::UnsupportedExponent);
        }
        Ok(Self {
            modulus_len: inner.size(),
            modulus_bits: bits,
            inner,
        })
    }

    /// Parses the DER SubjectPublicKeyInfo of RFC 9578 (id-RSASSA-PSS, SHA-384, MGF1-SHA-384,
    /// salt length 48). Only the exact canonical encoding [`Self::to_spki_der`] produces is
    /// accepted.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, Error> {
        let (n, e) = parse_spki(der).ok_or(Error::InvalidSpki)?;
        let key = Self::from_components(n, e)?;
        if key.to_spki_der() != der {
            return Err(Error::InvalidSpki);
        }
        Ok(key)
    }

    /// The DER SubjectPublicKeyInfo of RFC 9578, section 6.5: id-RSASSA-PSS with SHA-384,
    /// MGF1-SHA-384 and salt length 48, around a DER RSAPublicKey.
    pub fn to_spki_der(&self) -> Vec<u8> {
        let n = self.modulus_be();
        // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
        let mut n_int = Vec::with_capacity(n.len().saturating_add(1));
        if n.first().is_some_and(|b| b & 0x80 != 0) {
            n_int.push(0);
        }
        n_int.extend_from_slice(&n);
        let mut rsa_key = Vec::new();
        der_tlv(&mut rsa_key, 0x02, &n_int);
        der_tlv(&mut rsa_key, 0x02, &[0x01, 0x00, 0x01]);
        let mut rsa_seq = Vec::new();
        der_tlv(&mut rsa_seq, 0x30, &rsa_key);
        // BIT STRING with zero unused bits.
        let mut bits = Vec::with_capacity(rsa_seq.len().saturating_add(1));
        bits.push(0);
        bits.extend_from_slice(&rsa_seq);
        let mut body = Vec::from(PSS_SHA384_ALGORITHM);
        der_tlv(&mut body, 0x03, &bits);
        let mut out = Vec::new();
        der_tlv(&mut out, 0x30, &body);
        out
    }

    /// The length of the modulus in bits (`modBits`).
    pub fn modulus_bits(&self) -> u32 {
        self.modulus_bits
    }

    /// The length of the modulus in bytes (`modulus_len`, `k`): every blinded message, blind
    /// signature and signature has this length.
    pub fn modulus_len(&self) -> usize {
        self.modulus_len
    }

    /// The modulus, big-endian, `modulus_len()` bytes.
    pub fn modulus_be(&self) -> Vec<u8> {
        self.int_to_bytes(self.inner.n().as_ref())
    }

    /// `emBits = modBits - 1`.
    pub(crate) fn em_bits(&self) -> u32 {
        self.modulus_bits.saturating_sub(1)
    }

    /// The modulus as an integer.
    pub(crate) fn n(&self) -> &BoxedUint {
        self.inner.n().as_ref()
    }

    /// The public exponent as an integer.
    pub(crate) fn e(&self) -> &BoxedUint {
        self.inner.e()
    }

    /// The precomputed Montgomery parameters of the modulus.
    pub(crate) fn params(&self) -> &BoxedMontyParams {
        self.inner.n_params()
    }

    /// The `rsa` crate's key, for its raw public operation.
    pub(crate) fn rsa(&self) -> &rsa::PublicKey {
        &self.inner
    }

    /// OS2IP at the modulus precision. `bytes` must be at most `modulus_len()` long (callers check
    /// lengths first); longer input is truncated to its low-order bytes.
    pub(crate) fn int_from_bytes(&self, bytes: &[u8]) -> BoxedUint {
        BoxedUint::from_be_slice_truncated(bytes, self.n().bits_precision())
    }

    /// I2OSP(x, modulus_len) for `x < n`.
    pub(crate) fn int_to_bytes(&self, x: &BoxedUint) -> Vec<u8> {
        let mut full = x.to_be_bytes();
        let skip = full.len().saturating_sub(self.modulus_len);
        let out = full.get(skip..).map(Vec::from).unwrap_or_default();
        zeroize::Zeroize::zeroize(&mut full);
        out
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.inner == other.inner
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("modulus_bits", &self.modulus_bits)
            .finish_non_exhaustive()
    }
}

/// An RSA private key for RSABSSA. The `rsa` crate's key inside zeroizes itself on drop; `Debug`
/// prints only the public part.
#[derive(Clone)]
pub struct SecretKey {
    inner: rsa::PrivateKey,
    public: PublicKey,
}

impl SecretKey {
    /// Generates a key of `bits` bits (2048 to 4096) with exponent 65537.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R, bits: u32) -> Result<Self, Error> {
        check_modulus_bits(bits)?;
        let size = usize::try_from(bits).map_err(|_| Error::KeyGeneration)?;
        let inner = rsa::PrivateKey::new(rng, size).map_err(|_| Error::KeyGeneration)?;
        Self::from_rsa(inner)
    }

    fn from_rsa(inner: rsa::PrivateKey) -> Result<Self, Error> {
        let public = PublicKey::from_rsa(inner.to_public_key())?;
        Ok(Self { inner, public })
    }

    /// Parses a DER PKCS#8 `PrivateKeyInfo` holding a two-prime RSA key. Only the canonical
    /// encoding [`Self::to_pkcs8_der`] produces is accepted: the `rsa` crate ignores the CRT
    /// values (exponent1, exponent2, coefficient) it reads and recomputes them, so a key whose
    /// stored CRT values are wrong, or that carries attributes, would otherwise decode.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, Error> {
        let inner = rsa::PrivateKey::from_pkcs8_der(der).map_err(|_| Error::InvalidPkcs8)?;
        let key = Self::from_rsa(inner)?;
        let canonical = key.to_pkcs8_der().map_err(|_| Error::InvalidPkcs8)?;
        if canonical.as_slice() != der {
            return Err(Error::InvalidPkcs8);
        }
        Ok(key)
    }

    /// Parses a PEM (`PRIVATE KEY`) PKCS#8 key whose DER is canonical ([`Self::from_pkcs8_der`]).
    /// Lines may end in LF or CRLF.
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, Error> {
        let label =
            rsa::pkcs8::der::pem::decode_label(pem.as_bytes()).map_err(|_| Error::InvalidPkcs8)?;
        if label != "PRIVATE KEY" {
            return Err(Error::InvalidPkcs8);
        }
        let (_, der) = SecretDocument::from_pem(pem).map_err(|_| Error::InvalidPkcs8)?;
        Self::from_pkcs8_der(der.as_bytes())
    }

    /// The DER PKCS#8 encoding (rsaEncryption), in a buffer that is zeroized on drop.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, Error> {
        let doc = self.inner.to_pkcs8_der().map_err(|_| Error::KeyEncoding)?;
        Ok(doc.to_bytes())
    }

    /// The PEM PKCS#8 encoding with `\n` line endings, in a buffer that is zeroized on drop.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, Error> {
        self.inner
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| Error::KeyEncoding)
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The `rsa` crate's key, for its raw private operation.
    pub(crate) fn rsa(&self) -> &rsa::PrivateKey {
        &self.inner
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

fn check_modulus_bits(bits: u32) -> Result<(), Error> {
    if (MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(Error::UnsupportedModulusSize { bits })
    }
}

fn trim_leading_zeros(bytes: &[u8]) -> &[u8] {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    bytes.get(zeros..).unwrap_or_default()
}

/// The bit length of a big-endian integer without leading zero bytes.
fn bit_length(trimmed: &[u8]) -> u32 {
    let Some(first) = trimmed.first() else {
        return 0;
    };
    let len = u32::try_from(trimmed.len()).unwrap_or(u32::MAX);
    len.saturating_sub(1)
        .saturating_mul(8)
        .saturating_add(8u32.saturating_sub(first.leading_zeros()))
}

/// Appends a DER tag-length-value with a definite, minimal length.
fn der_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    let len = value.len();
    let len_bytes = len.to_be_bytes();
    let significant = trim_leading_zeros(&len_bytes);
    match (len, u8::try_from(significant.len())) {
        (0..=0x7f, _) => out.push(significant.first().copied().unwrap_or(0)),
        (_, Ok(count)) => {
            out.push(0x80 | count);
            out.extend_from_slice(significant);
        }
        // A length needs at most size_of::<usize>() bytes, which fits in u8.
        (_, Err(_)) => {}
    }
    out.extend_from_slice(value);
}

/// Reads one DER TLV with tag `tag` from the front of `input`: `(value, rest)`. Only definite
/// lengths are read; minimality is enforced by re-encoding the whole key afterwards.
fn der_read(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = input.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7f);
        let (len_bytes, tail) = rest.split_at_checked(count)?;
        rest = tail;
        match *len_bytes {
            [b] => usize::from(b),
            [b0, b1] => usize::from(u16::from_be_bytes([b0, b1])),
            _ => return None,
        }
    };
    rest.split_at_checked(len)
}

/// Extracts (modulus, exponent) from an RFC 9578 SPKI, checking its structure and algorithm.
fn parse_spki(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (spki, trailing) = der_read(der, 0x30)?;
    if !trailing.is_empty() {
        return None;
    }
    let (algorithm, rest) = spki.split_at_checked(PSS_SHA384_ALGORITHM.len())?;
    if algorithm != PSS_SHA384_ALGORITHM {
        return None;
    }
    let (bits, rest) = der_read(rest, 0x03)?;
    if !rest.is_empty() {
        return None;
    }
    let (&unused, rsa_key) = bits.split_first()?;
    if unused != 0 {
        return None;
    }
    let (rsa_seq, rest) = der_read(rsa_key, 0x30)?;
    if !rest.is_empty() {
        return None;
    }
    let (n, rest) = der_read(rsa_seq, 0x02)?;
    let (e, rest) = der_read(rest, 0x02)?;
    if !rest.is_empty() {
        return None;
    }
    Some((n, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths_are_minimal() {
        let mut out = Vec::new();
        der_tlv(&mut out, 0x04, &[0u8; 0x7f]);
        assert_eq!(&out[..2], &[0x04, 0x7f]);
        out.clear();
        der_tlv(&mut out, 0x04, &[0u8; 0x80]);
        assert_eq!(&out[..3], &[0x04, 0x81, 0x80]);
        out.clear();
        der_tlv(&mut out, 0x04, &[0u8; 0x10f]);
        assert_eq!(&out[..4], &[0x04, 0x82, 0x01, 0x0f]);
        let (value, rest) = der_read(&out, 0x04).unwrap();
        assert_eq!(value.len(), 0x10f);
        assert!(rest.is_empty());
    }

    #[test]
    fn bit_length_counts_the_top_byte() {
        assert_eq!(bit_length(&[0x01]), 1);
        assert_eq!(bit_length(&[0x80, 0]), 16);
        assert_eq!(bit_length(&[0x7f, 0, 0]), 23);
        assert_eq!(bit_length(&[]), 0);
    }
}
