//! The client's persistent state and its versioned encoding (SPEC.md 13.1).
//!
//! Each record type below is described once for the codec (`codec_struct!` / `codec_enum!` at
//! the end of the file); the state blob is written and read from those descriptions.

use super::contacts::{Contact, Contacts, Membership};
use super::outbox::{Outbox, Pending};
use super::wallet::{DiscoveryToken, HeldStamp, TokenSlot, Wallet};
use crate::account::AccountId;
use crate::bbs04::{GroupManagerKey, GroupPublicKey, MemberId, MemberKey};
use crate::bls::SecretKey;
use crate::certificate::{Certificate, HostKey, PhoneNumber, MAX_HOST_KEY_LEN};
use crate::encoding::{DecodeError, EncodeError, Reader, Writer};
use crate::token::PendingToken;
use crate::verification_code::CodeSession;
use crate::wire::codec::{
    codec_enum, codec_struct, encode_with, read_tag, tags, Bytes, Decode, Encode, Format, List,
    Names, Optional, Own, U16, U32, U8,
};
use crate::wire::{DeliveryHandle, EmbeddedError, ServerKeys, WireError, MAX_SEALED_LEN};
use crate::Time;
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::fmt;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

/// The version of the state blob. Version 2 widened the counts of the lists that grow with use
/// (contacts, tokens, discovery tokens, releases, outstanding requests, phone numbers) from
/// `u16` to `u32`: version 1 could not hold more than 65,535 contacts. Version 3 gives every
/// outstanding request its not-before time and adds the schedule of background work (waiting
/// lookups, the discovery window served, the next key-set check). Version 4 adds the
/// `created_at` of each contact's stored introduction, tokens being exchanged for the next key
/// (slot kind 5), the wallet's next migration attempt and the pending code session of each
/// phone number being registered (SPEC.md 9).
/// Version 5 adds the stamp request of a renewal (in slot kind 4), the wallet's reputation
/// stamps and the purposes of `redeem_stamps` and `claim_bulk_tokens` (SPEC.md 18).
/// Version 6 stores each contact's points uncompressed (its certificate's identity key and
/// signature, the member key we issued it, our member key of its group and that group's key),
/// read back with the cheap checks (canonical, on the curve, not the identity) and checked for
/// their subgroups at the contact's first use, and its former member ids without
/// decompressing them (SPEC.md 13.1): restoring 1,000 contacts no longer costs 1,000 sets of
/// square roots and subgroup checks.
const STATE_VERSION: u8 = 6;
/// The most phone numbers with a pending code session; asking for a code for one more forgets
/// the oldest.
const MAX_CODE_SESSIONS: usize = 8;
/// The most entries of a list that grows with use (SPEC.md 13.1), checked when the state is
/// written and when it is read.
pub const MAX_STATE_LIST: usize = 1 << 24;
/// The most bytes of one stored request.
const MAX_REQUEST_LEN: usize = 1 << 20;
/// The most bytes of an encoded certificate.
const MAX_CERTIFICATE_LEN: usize = 1024;
/// The most bytes of an encoded pending token (its blinding state).
const MAX_PENDING_TOKEN_LEN: usize = 4096;
/// How many delivery ids the client remembers to drop redeliveries.
pub(super) const RECENT_DELIVERIES: usize = 512;
/// How many former generations of its own group key the client remembers, to check replies
/// signed just before a revocation.
pub(super) const FORMER_GROUP_KEYS: usize = 4;
/// How many former member ids of a contact the client remembers (across revocations).
pub(super) const FORMER_IDS: usize = 16;

/// Why the client's own state blob could not be restored or written (SPEC.md 13.1). The field
/// path names where in the blob the fault is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StateError {
    /// A field was malformed: truncated, over its limit, an unknown version, a flag other than
    /// 0 or 1, or bytes left over.
    Decode(DecodeError),
    /// A tag byte names no variant of the record it introduces.
    UnknownTag {
        /// The tag's field.
        field: &'static str,
        /// The byte found.
        found: u8,
    },
    /// An embedded object (key, token, certificate, phone number) failed its own decoder.
    Embedded {
        /// The field that held it.
        field: &'static str,
        /// The embedded decoder's error.
        cause: EmbeddedError,
    },
    /// A list or byte string is over its limit, so the state cannot be written.
    TooLong(EncodeError),
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("client state: ")?;
        match self {
            StateError::Decode(e) => write!(f, "{e}"),
            StateError::UnknownTag { field, found } => {
                write!(f, "unknown {field} 0x{found:02x}")
            }
            StateError::Embedded { field, cause } => write!(f, "invalid {field}: {cause}"),
            StateError::TooLong(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for StateError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            StateError::Decode(e) => Some(e),
            StateError::UnknownTag { .. } => None,
            StateError::Embedded { cause, .. } => Some(cause),
            StateError::TooLong(e) => Some(e),
        }
    }
}

impl From<WireError> for StateError {
    fn from(e: WireError) -> Self {
        match e {
            WireError::Decode(e) => StateError::Decode(e),
            WireError::UnknownType { message, found } => StateError::UnknownTag {
                field: message,
                found,
            },
            WireError::Embedded { field, cause } => StateError::Embedded { field, cause },
        }
    }
}

impl From<DecodeError> for StateError {
    fn from(e: DecodeError) -> Self {
        StateError::Decode(e)
    }
}

impl From<EncodeError> for StateError {
    fn from(e: EncodeError) -> Self {
        StateError::TooLong(e)
    }
}

/// A release scheduled for a randomised later time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ScheduledRelease {
    pub(super) handle: DeliveryHandle,
    pub(super) due: Time,
    pub(super) contact: AccountId,
}

/// What the client does with the response to a request.
#[derive(Clone, Debug)]
pub(super) enum Purpose {
    RequestCode,
    Register {
        phone: PhoneNumber,
        tokens: Vec<PendingToken>,
    },
    ColdCall {
        recipient: AccountId,
    },
    FetchGroupKey {
        contact: AccountId,
        then_reply: Option<Vec<u8>>,
    },
    Reply {
        contact: AccountId,
    },
    RenewToken,
    IssueDiscovery {
        window: u64,
        pending: Vec<PendingToken>,
    },
    Lookup {
        window: u64,
        phones: Vec<PhoneNumber>,
    },
    /// A fetch of the published keys; `then_issue`: this window's discovery tokens wait for a
    /// discovery key it may bring.
    FetchKeys {
        then_issue: bool,
    },
    Release {
        handle: DeliveryHandle,
        contact: AccountId,
    },
    UploadRevocation,
    /// A redemption of stamps; `tokens`: one blinding state per stamp sent.
    RedeemStamps {
        tokens: Vec<PendingToken>,
    },
    /// A claim of bulk-sender tokens; `tokens`: one blinding state per request sent.
    ClaimBulk {
        tokens: Vec<PendingToken>,
    },
}

/// Everything the client persists.
#[derive(Clone)]
pub(super) struct State {
    pub(super) keys: ServerKeys,
    pub(super) identity: SecretKey,
    pub(super) host_key: Option<HostKey>,
    pub(super) group: GroupManagerKey,
    pub(super) former_group_keys: Vec<GroupPublicKey>,
    pub(super) certificate: Option<Certificate>,
    pub(super) contacts: Contacts,
    pub(super) wallet: Wallet,
    pub(super) releases: Vec<ScheduledRelease>,
    pub(super) outbox: Outbox,
    pub(super) recent_deliveries: VecDeque<[u8; 32]>,
    /// Lookup batches waiting for a discovery token.
    pub(super) lookups: Vec<Vec<PhoneNumber>>,
    /// The last discovery window whose tokens were asked for (0: none yet).
    pub(super) discovery_window: u64,
    /// When to fetch the published keys next, to check the pin (SPEC.md 6.5 rule 4);
    /// [`Time::EPOCH`] until the first check is scheduled.
    pub(super) next_key_check: Time,
    /// The code session of each number asked a code for and not registered yet.
    pub(super) code_sessions: Vec<PendingCode>,
}

/// A code session kept from the code request until the registration succeeds.
#[derive(Clone, Debug)]
pub(super) struct PendingCode {
    pub(super) phone: PhoneNumber,
    pub(super) session: CodeSession,
}

impl State {
    /// The pending code session of `phone`, drawn now if there is none.
    pub(super) fn code_session<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        phone: &PhoneNumber,
    ) -> CodeSession {
        if let Some(p) = self.code_sessions.iter().find(|p| &p.phone == phone) {
            return p.session.clone();
        }
        if self.code_sessions.len() >= MAX_CODE_SESSIONS {
            self.code_sessions.remove(0);
        }
        let session = CodeSession::generate(rng);
        self.code_sessions.push(PendingCode {
            phone: phone.clone(),
            session: session.clone(),
        });
        session
    }

    /// Drops the pending code session of `phone` (registered, or the session is spent).
    pub(super) fn forget_code_session(&mut self, phone: &PhoneNumber) {
        self.code_sessions.retain(|p| &p.phone != phone);
    }

    /// The state blob (SPEC.md 13.1), or the list or field that is over its limit.
    pub(super) fn to_bytes(&self) -> Result<Zeroizing<Vec<u8>>, StateError> {
        let bytes = encode_with(|w| {
            w.u8(STATE_VERSION);
            self.encode(w, "client_state")
        })?;
        Ok(Zeroizing::new(bytes))
    }

    /// Restores the state from its blob, validating every field.
    pub(super) fn from_bytes(bytes: &[u8]) -> Result<Self, StateError> {
        let mut r = Reader::new(bytes);
        r.version("client_state.version", STATE_VERSION)?;
        let state = Self::decode(&mut r, "client_state")?;
        r.finish("client_state")?;
        Ok(state)
    }
}

/// A certificate behind its `vec16` length.
type CertificateField = Bytes<U16, MAX_CERTIFICATE_LEN>;
/// A pending token (its blinding state) behind its `vec16` length.
type PendingField = Bytes<U16, MAX_PENDING_TOKEN_LEN>;
/// A list of phone numbers, as long as the app's address book.
type Phones = List<U32, MAX_STATE_LIST>;

codec_struct!(State {
    keys: Own = "state.keys",
    identity: Own = "state.identity",
    host_key: Bytes<U8, MAX_HOST_KEY_LEN> = "state.host_key",
    group: Own = "state.group",
    former_group_keys: List<U8, FORMER_GROUP_KEYS> =
        ("state.former_group_keys", "state.former_group_key"),
    certificate: Optional<CertificateField> = "state.certificate",
    contacts: Own = "state.contacts",
    wallet: Own = "state.wallet",
    releases: List<U32, MAX_STATE_LIST> = ("state.releases", "release"),
    outbox: Own = "state.outbox",
    recent_deliveries: List<U16, RECENT_DELIVERIES> =
        ("state.recent_deliveries", "state.recent_delivery"),
    lookups: List<U32, MAX_STATE_LIST, Phones> = ("state.lookups", "state.lookup"),
    discovery_window: Own = "state.discovery_window",
    next_key_check: Own = "state.next_key_check",
    code_sessions: List<U8, MAX_CODE_SESSIONS> = ("state.code_sessions", "state.code_session"),
});

codec_struct!(PendingCode {
    phone: Own = "code_session.phone",
    session: Own = "code_session.session",
});

codec_struct!(Outbox {
    entries: List<U32, MAX_STATE_LIST> = ("state.outbox", "pending"),
    next_id: Own = "state.next_request",
} transient { handed_out });

codec_struct!(Wallet {
    tokens: List<U32, MAX_STATE_LIST> = ("state.tokens", "token_slot"),
    discovery: List<U32, MAX_STATE_LIST> = ("state.discovery_tokens", "discovery_token"),
    next_migration: Own = "state.next_migration",
    stamps: List<U32, MAX_STATE_LIST> = ("state.stamps", "stamp"),
});

codec_struct!(HeldStamp {
    token: Own = "stamp.token",
    redeem_at: Own = "stamp.redeem_at",
    request: Own = "stamp.request",
});

codec_struct!(Contacts {
    list: List<U32, MAX_STATE_LIST> = ("state.contacts", "contact"),
});

codec_struct!(Contact {
    account: Own = "contact.account",
    certificate: Stored = "contact.certificate",
    issued: Optional<Stored> = "contact.issued",
    former_ids: List<U8, FORMER_IDS, Stored> = ("contact.former_ids", "contact.former_id"),
    membership: Own = "contact.membership",
    unreleased: Own = "contact.unreleased",
    blocked: Own = "contact.blocked",
    introduced_at: Own = "contact.introduced_at",
} transient { points_checked });

codec_struct!(Membership {
    member: Stored = "membership.member",
    group_key: Stored = "membership.group_key",
});

/// A contact's objects in the blob's own form (SPEC.md 13.1): points uncompressed, read back
/// with the cheap checks (canonical, on the curve, not the identity); the subgroup checks wait
/// for [`Contact::check_points`](super::contacts::Contact::check_points).
trait StoredForm: Sized {
    /// Appends the stored form.
    fn write_stored(&self, w: &mut Writer, field: &'static str) -> Result<(), EncodeError>;
    /// Reads the stored form.
    fn read_stored(r: &mut Reader<'_>, field: &'static str) -> Result<Self, WireError>;
}

/// The format of a [`StoredForm`] field.
struct Stored;

impl<T: StoredForm> Format<T> for Stored {
    fn write(value: &T, w: &mut Writer, names: Names) -> Result<(), EncodeError> {
        value.write_stored(w, names.item)
    }

    fn read(r: &mut Reader<'_>, names: Names) -> Result<T, WireError> {
        T::read_stored(r, names.item)
    }
}

/// `vec16` of [`Certificate::to_stored_bytes`] (at most [`MAX_CERTIFICATE_LEN`] bytes).
impl StoredForm for Certificate {
    fn write_stored(&self, w: &mut Writer, field: &'static str) -> Result<(), EncodeError> {
        let bytes = self.to_stored_bytes();
        let too_long = EncodeError {
            field,
            length: bytes.len(),
            max: MAX_CERTIFICATE_LEN,
        };
        if bytes.len() > MAX_CERTIFICATE_LEN {
            return Err(too_long);
        }
        w.u16(u16::try_from(bytes.len()).map_err(|_| too_long)?);
        w.bytes(&bytes);
        Ok(())
    }

    fn read_stored(r: &mut Reader<'_>, field: &'static str) -> Result<Self, WireError> {
        let bytes = r.vec16(field, MAX_CERTIFICATE_LEN)?;
        Certificate::from_stored_bytes(bytes).map_err(|e| WireError::Embedded {
            field,
            cause: e.into(),
        })
    }
}

/// [`MemberKey::write_stored`] (133 bytes).
impl StoredForm for MemberKey {
    fn write_stored(&self, w: &mut Writer, _field: &'static str) -> Result<(), EncodeError> {
        MemberKey::write_stored(self, w);
        Ok(())
    }

    fn read_stored(r: &mut Reader<'_>, _field: &'static str) -> Result<Self, WireError> {
        Ok(MemberKey::read_stored(r)?)
    }
}

/// [`GroupPublicKey::write_stored`] (773 bytes).
impl StoredForm for GroupPublicKey {
    fn write_stored(&self, w: &mut Writer, _field: &'static str) -> Result<(), EncodeError> {
        GroupPublicKey::write_stored(self, w);
        Ok(())
    }

    fn read_stored(r: &mut Reader<'_>, _field: &'static str) -> Result<Self, WireError> {
        Ok(GroupPublicKey::read_stored(r)?)
    }
}

/// The 48 compressed bytes, read back without decompressing ([`MemberId::read_stored`]).
impl StoredForm for MemberId {
    fn write_stored(&self, w: &mut Writer, _field: &'static str) -> Result<(), EncodeError> {
        w.bytes(&self.to_bytes());
        Ok(())
    }

    fn read_stored(r: &mut Reader<'_>, _field: &'static str) -> Result<Self, WireError> {
        Ok(MemberId::read_stored(r)?)
    }
}

tags! {
    /// The kind byte of a [`TokenSlot`].
    enum TokenSlotKind {
        Available = 1,
        Reserved = 2,
        Attached = 3,
        Renewing = 4,
        Migrating = 5,
    }
}

impl TokenSlotKind {
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        read_tag(r, "token_slot.kind", "token_slot.kind", Self::from_u8)
    }
}

codec_enum! {
    TokenSlot by TokenSlotKind::read {
        Available(token: Own = "token_slot.token"),
        Reserved {
            token: Own = "token_slot.token",
            request: Own = "token_slot.request",
        },
        Attached {
            token: Own = "token_slot.token",
            next_check: Own = "token_slot.next_check",
            checks: Own = "token_slot.checks",
        },
        Renewing {
            token: Own = "token_slot.token",
            pending: PendingField = "token_slot.pending",
            stamp: PendingField = "token_slot.stamp",
            request: Own = "token_slot.request",
            checks: Own = "token_slot.checks",
        },
        Migrating {
            token: Own = "token_slot.token",
            pending: PendingField = "token_slot.pending",
            request: Own = "token_slot.request",
        },
    }
}

codec_struct!(DiscoveryToken {
    window: Own = "discovery_token.window",
    token: Own = "discovery_token.token",
});

codec_struct!(ScheduledRelease {
    handle: Own = "release.handle",
    due: Own = "release.due",
    contact: Own = "release.contact",
});

codec_struct!(Pending {
    id: Own = "pending.id",
    channel: Own = "pending.channel",
    not_before: Own = "pending.not_before",
    bytes: Bytes<U32, MAX_REQUEST_LEN> = "pending.bytes",
    purpose: Own = "pending.purpose",
});

tags! {
    /// The kind byte of a [`Purpose`].
    enum PurposeKind {
        RequestCode = 1,
        Register = 2,
        ColdCall = 3,
        FetchGroupKey = 4,
        Reply = 5,
        RenewToken = 6,
        IssueDiscovery = 7,
        Lookup = 8,
        FetchKeys = 9,
        Release = 10,
        UploadRevocation = 11,
        RedeemStamps = 12,
        ClaimBulk = 13,
    }
}

impl PurposeKind {
    fn read(r: &mut Reader<'_>) -> Result<Self, WireError> {
        read_tag(r, "purpose.kind", "purpose.kind", Self::from_u8)
    }
}

codec_enum! {
    Purpose by PurposeKind::read {
        RequestCode {},
        Register {
            phone: Own = "purpose.phone",
            tokens: List<U32, MAX_STATE_LIST, PendingField> = ("purpose.tokens", "purpose.token"),
        },
        ColdCall { recipient: Own = "purpose.recipient" },
        FetchGroupKey {
            contact: Own = "purpose.contact",
            then_reply: Optional<Bytes<U32, MAX_SEALED_LEN>> = "purpose.then_reply",
        },
        Reply { contact: Own = "purpose.contact" },
        RenewToken {},
        IssueDiscovery {
            window: Own = "purpose.window",
            pending: List<U32, MAX_STATE_LIST, PendingField> = ("purpose.tokens", "purpose.token"),
        },
        Lookup {
            window: Own = "purpose.window",
            phones: Phones = ("purpose.phones", "purpose.phone"),
        },
        FetchKeys { then_issue: Own = "purpose.then_issue" },
        Release {
            handle: Own = "purpose.handle",
            contact: Own = "purpose.contact",
        },
        UploadRevocation {},
        RedeemStamps {
            tokens: List<U32, MAX_STATE_LIST, PendingField> = ("purpose.tokens", "purpose.token"),
        },
        ClaimBulk {
            tokens: List<U32, MAX_STATE_LIST, PendingField> = ("purpose.tokens", "purpose.token"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::Channel;
    use crate::certificate::{
        CertificateContent, CertificateError, CertificateIssuer, IssuerKeySet,
    };
    use crate::client::{Client, ClientSettings};
    use crate::token::{TokenKey, TokenKeyEntry, TokenKeySet};
    use crate::vector_rng::VectorRng;

    const NOW: Time = Time::from_unix_secs(1_800_000_000);

    fn client(rng: &mut VectorRng) -> (Client, Certificate) {
        let issuer = CertificateIssuer::new(SecretKey::generate(rng), NOW, NOW + 3600).unwrap();
        let pem = include_str!("../../test-vectors/token_keys/rsa2048-a.pem");
        let rsa = crate::blind_rsa::SecretKey::from_pkcs8_pem(pem).unwrap();
        let token_key = TokenKey::from_public_key(rsa.public_key()).unwrap();
        let token_keys = TokenKeySet::new(
            1,
            b"state.example",
            alloc::vec![TokenKeyEntry::new(token_key, NOW, NOW + 3600)],
        )
        .unwrap();
        let keys = ServerKeys {
            certificate_issuers: IssuerKeySet::new(alloc::vec![*issuer.issuer_key()]).unwrap(),
            cold_call_tokens: token_keys.clone(),
            discovery_tokens: token_keys.clone(),
            stamp_tokens: token_keys,
        };
        let certificate = issuer
            .issue(CertificateContent {
                phone: PhoneNumber::parse("+14155550100").unwrap(),
                identity_key: SecretKey::generate(rng).public_key(),
                host_key: None,
                serial: 1,
                not_before: NOW,
                not_after: NOW + 60,
            })
            .unwrap();
        (
            Client::new(rng, keys, ClientSettings::default()),
            certificate,
        )
    }

    #[test]
    fn seventy_thousand_contacts_round_trip() {
        let mut rng = VectorRng::new(b"client state: 70,000 contacts");
        let (mut client, certificate) = client(&mut rng);
        let count: u32 = 70_000;
        for i in 0..count {
            let mut account = [0u8; 32];
            account[..4].copy_from_slice(&i.to_be_bytes());
            client.state.contacts.list.push(Contact {
                account: AccountId(account),
                certificate: certificate.clone(),
                issued: None,
                former_ids: Vec::new(),
                membership: None,
                unreleased: (i % 7 == 0).then_some(DeliveryHandle([7; 16])),
                blocked: i % 5 == 0,
                introduced_at: (i % 3 == 0).then_some(NOW + u64::from(i)),
                points_checked: Default::default(),
            });
        }
        let bytes = client.state.to_bytes().unwrap();
        let back = State::from_bytes(&bytes).unwrap();
        assert_eq!(back.contacts.len(), 70_000);
        for (i, (a, b)) in client
            .state
            .contacts
            .iter()
            .zip(back.contacts.iter())
            .enumerate()
        {
            assert_eq!(a.account, b.account, "contact {i}");
            assert_eq!(a.certificate, b.certificate, "contact {i}");
            assert_eq!(a.unreleased, b.unreleased, "contact {i}");
            assert_eq!(a.blocked, b.blocked, "contact {i}");
            assert_eq!(a.introduced_at, b.introduced_at, "contact {i}");
        }
        assert_eq!(*back.to_bytes().unwrap(), *bytes);
    }

    /// A client with `n` synthetic contacts (certificates, member keys and group keys) and its
    /// blob.
    fn client_with_contacts(rng: &mut VectorRng, n: usize) -> (Client, Zeroizing<Vec<u8>>) {
        let (mut client, _) = client(rng);
        let issuer =
            CertificateIssuer::new(SecretKey::generate(rng), NOW, NOW + 2 * 86_400).unwrap();
        client.add_synthetic_contacts(rng, &issuer, NOW, n).unwrap();
        let bytes = client.to_bytes().unwrap();
        (client, bytes)
    }

    /// Where `needle` starts in `haystack` (once).
    fn find(haystack: &[u8], needle: &[u8]) -> usize {
        let at = haystack
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap();
        assert!(haystack[at + 1..]
            .windows(needle.len())
            .all(|w| w != needle));
        at
    }

    /// The stored form of contact `i`'s group key and where it starts in `blob`.
    fn group_key_at(client: &Client, blob: &[u8], i: usize) -> usize {
        let key = &client.state.contacts.list[i]
            .membership
            .as_ref()
            .unwrap()
            .group_key;
        let mut w = Writer::new();
        key.write_stored(&mut w);
        find(blob, &w.finish())
    }

    /// An uncompressed G1 point on the curve, outside the subgroup of order r.
    fn point_outside_subgroup() -> [u8; 96] {
        let mut bytes = [0u8; 48];
        bytes[0] = 0x80;
        for x in 1u8..=255 {
            bytes[47] = x;
            let p = crate::curve::G1Affine::from_compressed_unchecked(&bytes);
            if let Some(p) = Option::<crate::curve::G1Affine>::from(p) {
                if !bool::from(p.is_torsion_free()) {
                    return p.to_uncompressed();
                }
            }
        }
        panic!("no point outside the subgroup among small x");
    }

    #[test]
    fn contacts_round_trip_and_are_checked_on_first_use() {
        let mut rng = VectorRng::new(b"client state: 50 contacts");
        let (client, bytes) = client_with_contacts(&mut rng, 50);
        let back = Client::from_bytes(&bytes, ClientSettings::default()).unwrap();
        assert_eq!(back.state.contacts.len(), 50);
        for (a, b) in client.state.contacts.iter().zip(back.state.contacts.iter()) {
            assert_eq!(a.account, b.account);
            assert_eq!(a.certificate, b.certificate);
            assert_eq!(a.issued, b.issued);
            assert_eq!(a.former_ids, b.former_ids);
            let (ma, mb) = (
                a.membership.as_ref().unwrap(),
                b.membership.as_ref().unwrap(),
            );
            assert_eq!(ma.member, mb.member);
            assert_eq!(ma.group_key, mb.group_key);
            assert_eq!(a.introduced_at, b.introduced_at);
            assert!(!b.points_checked.is_checked());
        }
        assert_eq!(*back.to_bytes().unwrap(), *bytes);
        // Listing the contacts checks every one (and finds them all sound).
        assert_eq!(back.contacts(), client.contacts());
        assert!(back
            .state
            .contacts
            .iter()
            .all(|c| c.points_checked.is_checked()));
    }

    #[test]
    fn a_corrupt_contact_point_is_refused_on_load() {
        let mut rng = VectorRng::new(b"client state: corrupt points");
        let (client, bytes) = client_with_contacts(&mut rng, 3);
        let refused = |blob: &[u8]| match Client::from_bytes(blob, ClientSettings::default()) {
            Err(crate::client::ClientError::State(e)) => e,
            Err(e) => panic!("not a state error: {e:?}"),
            Ok(_) => panic!("a corrupt blob was restored"),
        };
        let h = group_key_at(&client, &bytes, 1) + 5 + 96 + 192;

        // Off the curve: the last byte of h's y changed.
        let mut blob = bytes.to_vec();
        blob[h + 95] ^= 1;
        assert_eq!(
            refused(&blob),
            StateError::Decode(DecodeError::new(
                "group_key.h",
                crate::DecodeErrorKind::InvalidPoint
            ))
        );
        // Not canonical: x above p.
        let mut blob = bytes.to_vec();
        blob[h..h + 48].fill(0x1f);
        assert_eq!(
            refused(&blob),
            StateError::Decode(DecodeError::new(
                "group_key.h",
                crate::DecodeErrorKind::InvalidPoint
            ))
        );
        // The identity.
        let mut blob = bytes.to_vec();
        blob[h..h + 96].fill(0);
        blob[h] = 0x40;
        assert_eq!(
            refused(&blob),
            StateError::Decode(DecodeError::new(
                "group_key.h",
                crate::DecodeErrorKind::IdentityPoint
            ))
        );
        // A certificate's signature off the curve.
        let certificate = &client.state.contacts.list[2].certificate;
        let signature = find(&bytes, &certificate.signature().point().to_uncompressed());
        let mut blob = bytes.to_vec();
        blob[signature + 191] ^= 1;
        assert!(matches!(
            refused(&blob),
            StateError::Embedded {
                field: "contact.certificate",
                cause: crate::wire::EmbeddedError::Certificate(CertificateError::Malformed(
                    DecodeError {
                        field: "certificate.signature",
                        kind: crate::DecodeErrorKind::InvalidPoint,
                    }
                )),
            }
        ));
    }

    #[test]
    fn a_contact_point_outside_its_subgroup_is_refused_at_first_use() {
        let mut rng = VectorRng::new(b"client state: subgroup");
        let (client, bytes) = client_with_contacts(&mut rng, 3);
        let h = group_key_at(&client, &bytes, 1) + 5 + 96 + 192;
        let mut blob = bytes.to_vec();
        blob[h..h + 96].copy_from_slice(&point_outside_subgroup());
        // On the curve: the blob is read...
        let mut restored = Client::from_bytes(&blob, ClientSettings::default()).unwrap();
        let account = restored.state.contacts.list[1].account;
        // ...the contact is left out of the list...
        let listed: Vec<AccountId> = restored.contacts().iter().map(|c| c.account).collect();
        assert_eq!(listed.len(), 2);
        assert!(!listed.contains(&account));
        // ...and nothing is computed with its points: blocking it (which revokes the member
        // key we issued it) fails with a typed error and changes nothing.
        let not_in_subgroup = crate::client::ClientError::State(StateError::Decode(
            DecodeError::new("group_key.h", crate::DecodeErrorKind::NotInSubgroup),
        ));
        let mut block_rng = VectorRng::new(b"block");
        assert_eq!(
            restored.block(&mut block_rng, NOW, account).unwrap_err(),
            not_in_subgroup
        );
        assert_eq!(restored.membership(&account).unwrap_err(), not_in_subgroup);
        assert_eq!(*restored.to_bytes().unwrap(), blob[..]);
        assert!(restored.poll_event().is_none());
        // The other contacts are sound.
        let other = restored.state.contacts.list[0].account;
        assert!(restored.membership(&other).is_ok());
    }

    #[test]
    fn a_list_over_its_limit_is_refused_not_cut() {
        let mut rng = VectorRng::new(b"client state: limits");
        let (mut client, _) = client(&mut rng);
        client.state.former_group_keys = alloc::vec![
            client.state.group.public_key().clone();
            FORMER_GROUP_KEYS + 1
        ];
        assert_eq!(
            client.to_bytes().unwrap_err(),
            crate::client::ClientError::State(StateError::TooLong(EncodeError {
                field: "state.former_group_keys",
                length: FORMER_GROUP_KEYS + 1,
                max: FORMER_GROUP_KEYS,
            }))
        );
    }

    #[test]
    fn every_record_type_round_trips() {
        let mut rng = VectorRng::new(b"client state: records");
        let (mut client, certificate) = client(&mut rng);
        let phone = PhoneNumber::parse("+15550001").unwrap();
        let account = AccountId([3; 32]);
        let handle = DeliveryHandle([4; 16]);
        client.state.certificate = Some(certificate.clone());
        client.state.host_key = Some(HostKey::new(b"host").unwrap());
        client.state.former_group_keys = alloc::vec![client.state.group.public_key().clone()];
        client.state.releases.push(ScheduledRelease {
            handle,
            due: NOW,
            contact: account,
        });
        client.state.recent_deliveries.push_back([5; 32]);
        client.state.lookups = alloc::vec![alloc::vec![phone.clone()], Vec::new()];
        client.state.discovery_window = 9;
        client.state.next_key_check = NOW + 60;
        let purposes = [
            Purpose::RequestCode,
            Purpose::Register {
                phone: phone.clone(),
                tokens: Vec::new(),
            },
            Purpose::ColdCall { recipient: account },
            Purpose::FetchGroupKey {
                contact: account,
                then_reply: Some(alloc::vec![1, 2, 3]),
            },
            Purpose::Reply { contact: account },
            Purpose::RenewToken,
            Purpose::IssueDiscovery {
                window: 9,
                pending: Vec::new(),
            },
            Purpose::Lookup {
                window: 9,
                phones: alloc::vec![phone.clone()],
            },
            Purpose::FetchKeys { then_issue: true },
            Purpose::Release {
                handle,
                contact: account,
            },
            Purpose::UploadRevocation,
            Purpose::RedeemStamps { tokens: Vec::new() },
            Purpose::ClaimBulk { tokens: Vec::new() },
        ];
        for (id, purpose) in (1..).zip(purposes) {
            client.state.outbox.entries.push(Pending {
                id,
                not_before: NOW + id,
                channel: match id % 3 {
                    0 => Channel::Direct,
                    1 => Channel::Anonymous,
                    _ => Channel::Authenticated(account),
                },
                bytes: alloc::vec![1, 0x15],
                purpose,
            });
        }
        let bytes = client.state.to_bytes().unwrap();
        let back = State::from_bytes(&bytes).unwrap();
        assert_eq!(back.outbox.len(), 13);
        assert_eq!(back.releases, client.state.releases);
        assert_eq!(back.certificate, Some(certificate));
        assert_eq!(back.lookups, client.state.lookups);
        assert_eq!(back.next_key_check, NOW + 60);
        let times: Vec<Time> = back.outbox.iter().map(|p| p.not_before).collect();
        assert_eq!(times, (1..=13).map(|i| NOW + i).collect::<Vec<_>>());
        assert_eq!(*back.to_bytes().unwrap(), *bytes);
    }
}
