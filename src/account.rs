//! Account identifiers and the channels requests travel on (SPEC.md sections 11.1 and 11.2).

use core::fmt;
use sha2::{Digest, Sha256};

const ACCOUNT_ID_DST: &[u8] = b"blindpost/v1/account-id";

/// The address of an account: SHA-256 over a DST and the account's identity public key.
///
/// It is derived from the identity key, which a sender learns only from a certificate, so an
/// account id cannot be guessed from a phone number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(pub [u8; 32]);

impl AccountId {
    /// The id of the account whose compressed identity public key is `identity_pk`.
    pub fn for_identity_key(identity_pk: &[u8; 48]) -> Self {
        let mut h = Sha256::new();
        h.update([const { crate::encoding::dst_len(ACCOUNT_ID_DST) }]);
        h.update(ACCOUNT_ID_DST);
        h.update(identity_pk);
        Self(h.finalize().into())
    }

    /// The 32 bytes of the id.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccountId(")?;
        for b in self.0.iter().take(8) {
            write!(f, "{b:02x}")?;
        }
        f.write_str("..)")
    }
}

/// The channel a request travels on; the host tells the server which one a request came by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// A plain connection that names no account: registration only.
    Direct,
    /// A fresh anonymous circuit (Tor or similar) carrying no account credential.
    Anonymous,
    /// A connection the host has authenticated as this account.
    Authenticated(AccountId),
}

impl Channel {
    /// The same kind of channel without the account, for comparisons and messages.
    pub fn kind(&self) -> ChannelKind {
        match self {
            Channel::Direct => ChannelKind::Direct,
            Channel::Anonymous => ChannelKind::Anonymous,
            Channel::Authenticated(_) => ChannelKind::Authenticated,
        }
    }
}

/// The kind of a [`Channel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelKind {
    /// See [`Channel::Direct`].
    Direct,
    /// See [`Channel::Anonymous`].
    Anonymous,
    /// See [`Channel::Authenticated`].
    Authenticated,
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChannelKind::Direct => "direct",
            ChannelKind::Anonymous => "anonymous",
            ChannelKind::Authenticated => "authenticated",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_id_is_the_specified_hash() {
        let pk = [7u8; 48];
        let mut input = alloc::vec::Vec::new();
        input.push(const { crate::encoding::dst_len(ACCOUNT_ID_DST) });
        input.extend_from_slice(ACCOUNT_ID_DST);
        input.extend_from_slice(&pk);
        let want: [u8; 32] = Sha256::digest(&input).into();
        assert_eq!(AccountId::for_identity_key(&pk).0, want);
        assert_ne!(AccountId::for_identity_key(&[8u8; 48]).0, want);
    }
}
