//! The client's persistent state and its versioned encoding (SPEC.md 13.1).

use super::ClientError;
use crate::account::{AccountId, Channel};
use crate::bbs04::{GroupManagerKey, GroupPublicKey, MemberId, MemberKey};
use crate::bls::SecretKey;
use crate::certificate::{Certificate, HostKey, IssuerKeySet, PhoneNumber};
use crate::encoding::{DecodeError, DecodeErrorKind, Reader, Writer};
use crate::token::{PendingToken, Token, TokenKeySet};
use crate::wire::{DeliveryHandle, ServerKeys, WireError};
use alloc::collections::VecDeque;
use alloc::vec::Vec;
use zeroize::Zeroizing;

const STATE_VERSION: u8 = 1;
const MAX_ITEMS: usize = u16::MAX as usize;
const MAX_BLOB: usize = 1 << 20;
/// How many delivery ids the client remembers to drop redeliveries.
pub(super) const RECENT_DELIVERIES: usize = 512;
/// How many former generations of its own group key the client remembers, to check replies
/// signed just before a revocation.
pub(super) const FORMER_GROUP_KEYS: usize = 4;
/// How many former member ids of a contact the client remembers (across revocations).
pub(super) const FORMER_IDS: usize = 16;

/// A contact: someone who introduced itself to us, or whom we introduced ourselves to.
#[derive(Clone, Debug)]
pub(super) struct Contact {
    pub(super) account: AccountId,
    pub(super) certificate: Certificate,
    /// The member key of our group we gave them (to open their replies, or revoke them).
    pub(super) issued: Option<MemberKey>,
    /// Ids their member key had in earlier generations of our group.
    pub(super) former_ids: Vec<MemberId>,
    /// A member key of their group, for replying to them.
    pub(super) membership: Option<Membership>,
    /// The handle of their cold call, whose token is attached to us until we release it.
    pub(super) unreleased: Option<DeliveryHandle>,
    pub(super) blocked: bool,
}

/// A member key of a contact's group and the group key it belongs to.
#[derive(Clone, Debug)]
pub(super) struct Membership {
    pub(super) member: MemberKey,
    pub(super) group_key: GroupPublicKey,
}

/// A cold-call token and where it is in its life (SPEC.md 13.3).
#[derive(Clone, Debug)]
pub(super) enum TokenSlot {
    /// Ready to pay for a cold call.
    Available(Token),
    /// Offered in the cold call `request`, not yet acknowledged.
    Reserved { token: Token, request: u64 },
    /// Attached to a recipient; check for its release at `next_check` (the `checks`-th check).
    Attached {
        token: Token,
        next_check: u64,
        checks: u32,
    },
    /// Being exchanged for a fresh token in `request`, at the `checks`-th check.
    Renewing {
        token: Token,
        pending: PendingToken,
        request: u64,
        checks: u32,
    },
}

/// A discovery token for one window.
#[derive(Clone, Debug)]
pub(super) struct DiscoveryToken {
    pub(super) window: u64,
    pub(super) token: Token,
}

/// A release scheduled for a randomised later time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ScheduledRelease {
    pub(super) handle: DeliveryHandle,
    pub(super) due: u64,
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
        batches: Vec<Vec<PhoneNumber>>,
    },
    Lookup {
        phones: Vec<PhoneNumber>,
    },
    FetchKeys {
        then_lookup: Vec<PhoneNumber>,
    },
    Release {
        handle: DeliveryHandle,
        contact: AccountId,
    },
    UploadRevocation,
}

/// A request waiting for its response. Its bytes are fixed when it is made, so a resend after
/// a crash is the same request and the server answers it idempotently.
#[derive(Clone, Debug)]
pub(super) struct Pending {
    pub(super) id: u64,
    pub(super) channel: Channel,
    pub(super) bytes: Vec<u8>,
    pub(super) purpose: Purpose,
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
    pub(super) contacts: Vec<Contact>,
    pub(super) tokens: Vec<TokenSlot>,
    pub(super) discovery_tokens: Vec<DiscoveryToken>,
    pub(super) releases: Vec<ScheduledRelease>,
    pub(super) outbox: Vec<Pending>,
    pub(super) next_request: u64,
    pub(super) recent_deliveries: VecDeque<[u8; 32]>,
}

impl State {
    pub(super) fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut w = Writer::new();
        w.u8(STATE_VERSION);
        w.vec32(&self.keys.certificate_issuers.to_bytes())
            .vec32(&self.keys.cold_call_tokens.to_bytes())
            .vec32(&self.keys.discovery_tokens.to_bytes());
        w.bytes(self.identity.to_bytes().as_ref());
        w.vec8(self.host_key.as_ref().map(HostKey::as_bytes).unwrap_or(&[]));
        w.bytes(self.group.to_bytes().as_ref());
        w.u16(self.former_group_keys.len() as u16);
        for k in &self.former_group_keys {
            w.bytes(&k.to_bytes());
        }
        match &self.certificate {
            None => w.u8(0),
            Some(c) => w.u8(1).vec16(&c.to_bytes()),
        };
        w.u16(self.contacts.len() as u16);
        for c in &self.contacts {
            write_contact(&mut w, c);
        }
        w.u16(self.tokens.len() as u16);
        for t in &self.tokens {
            write_slot(&mut w, t);
        }
        w.u16(self.discovery_tokens.len() as u16);
        for d in &self.discovery_tokens {
            w.u64(d.window).bytes(&d.token.to_bytes());
        }
        w.u16(self.releases.len() as u16);
        for r in &self.releases {
            w.bytes(&r.handle.0).u64(r.due).bytes(r.contact.as_bytes());
        }
        w.u16(self.outbox.len() as u16);
        for p in &self.outbox {
            write_pending(&mut w, p);
        }
        w.u64(self.next_request);
        w.u16(self.recent_deliveries.len() as u16);
        for d in &self.recent_deliveries {
            w.bytes(d);
        }
        Zeroizing::new(w.finish())
    }

    pub(super) fn from_bytes(bytes: &[u8]) -> Result<Self, ClientError> {
        let mut r = Reader::new(bytes);
        r.version("client_state.version", STATE_VERSION)?;
        let keys = ServerKeys {
            certificate_issuers: IssuerKeySet::from_bytes(r.vec32("state.issuers", MAX_BLOB)?)
                .map_err(embedded("state.issuers"))?,
            cold_call_tokens: TokenKeySet::from_bytes(r.vec32("state.cold_call_keys", MAX_BLOB)?)
                .map_err(embedded("state.cold_call_keys"))?,
            discovery_tokens: TokenKeySet::from_bytes(r.vec32("state.discovery_keys", MAX_BLOB)?)
                .map_err(embedded("state.discovery_keys"))?,
        };
        let identity = SecretKey::from_bytes(r.bytes("state.identity", 32)?)
            .map_err(embedded("state.identity"))?;
        let host_key = match r.vec8("state.host_key", crate::certificate::MAX_HOST_KEY_LEN)? {
            [] => None,
            bytes => Some(HostKey::new(bytes).map_err(embedded("state.host_key"))?),
        };
        let group = GroupManagerKey::from_bytes(r.bytes("state.group", GroupManagerKey::SIZE)?)
            .map_err(embedded("state.group"))?;
        let former_group_keys = read_list(&mut r, "state.former_group_keys", |r| {
            GroupPublicKey::from_bytes(r.bytes("former_group_key", GroupPublicKey::SIZE)?)
                .map_err(embedded("former_group_key"))
        })?;
        let certificate = match r.u8("state.has_certificate")? {
            0 => None,
            1 => Some(read_certificate(&mut r, "state.certificate")?),
            _ => return Err(invalid("state.has_certificate")),
        };
        let contacts = read_list(&mut r, "state.contacts", read_contact)?;
        let tokens = read_list(&mut r, "state.tokens", read_slot)?;
        let discovery_tokens = read_list(&mut r, "state.discovery_tokens", |r| {
            Ok(DiscoveryToken {
                window: r.u64("discovery.window")?,
                token: read_token(r)?,
            })
        })?;
        let releases = read_list(&mut r, "state.releases", |r| {
            Ok(ScheduledRelease {
                handle: DeliveryHandle(r.array("release.handle")?),
                due: r.u64("release.due")?,
                contact: AccountId(r.array("release.contact")?),
            })
        })?;
        let outbox = read_list(&mut r, "state.outbox", read_pending)?;
        let next_request = r.u64("state.next_request")?;
        let recent: Vec<[u8; 32]> =
            read_list(
                &mut r,
                "state.recent_deliveries",
                |r| Ok(r.array("recent")?),
            )?;
        r.finish("client_state")?;
        Ok(Self {
            keys,
            identity,
            host_key,
            group,
            former_group_keys,
            certificate,
            contacts,
            tokens,
            discovery_tokens,
            releases,
            outbox,
            next_request,
            recent_deliveries: recent.into_iter().collect(),
        })
    }
}

fn embedded<E: Into<crate::wire::EmbeddedError>>(field: &'static str) -> impl Fn(E) -> ClientError {
    move |e| ClientError::Wire(crate::wire::embedded(field)(e))
}

fn invalid(field: &'static str) -> ClientError {
    ClientError::Wire(WireError::Decode(DecodeError::new(
        field,
        DecodeErrorKind::InvalidValue,
    )))
}

impl From<DecodeError> for ClientError {
    fn from(e: DecodeError) -> Self {
        ClientError::Wire(WireError::Decode(e))
    }
}

fn read_list<T>(
    r: &mut Reader<'_>,
    field: &'static str,
    mut item: impl FnMut(&mut Reader<'_>) -> Result<T, ClientError>,
) -> Result<Vec<T>, ClientError> {
    let count = usize::from(r.u16(field)?);
    // Never trust a count for allocation beyond what the input could hold.
    let mut out = Vec::with_capacity(count.min(r.remaining()).min(MAX_ITEMS));
    for _ in 0..count {
        out.push(item(r)?);
    }
    Ok(out)
}

fn read_certificate(r: &mut Reader<'_>, field: &'static str) -> Result<Certificate, ClientError> {
    Certificate::from_bytes(r.vec16(field, 1024)?).map_err(embedded(field))
}

fn read_token(r: &mut Reader<'_>) -> Result<Token, ClientError> {
    Token::from_bytes(r.bytes("token", Token::LEN)?).map_err(embedded("token"))
}

fn read_pending_token(r: &mut Reader<'_>) -> Result<PendingToken, ClientError> {
    PendingToken::from_bytes(r.vec16("pending_token", 4096)?).map_err(embedded("pending_token"))
}

fn write_phones(w: &mut Writer, phones: &[PhoneNumber]) {
    w.u16(phones.len() as u16);
    for p in phones {
        w.vec8(p.as_bytes());
    }
}

fn read_phones(r: &mut Reader<'_>) -> Result<Vec<PhoneNumber>, ClientError> {
    read_list(r, "phones", |r| {
        let bytes = r.vec8("phone", crate::certificate::phone::MAX_LEN)?;
        let text = core::str::from_utf8(bytes).map_err(embedded("phone"))?;
        PhoneNumber::parse(text).map_err(embedded("phone"))
    })
}

fn write_member(w: &mut Writer, m: Option<&MemberKey>) {
    match m {
        None => w.u8(0),
        Some(m) => w.u8(1).bytes(&m.to_bytes()[..]),
    };
}

fn read_member(r: &mut Reader<'_>) -> Result<Option<MemberKey>, ClientError> {
    match r.u8("member.present")? {
        0 => Ok(None),
        1 => Ok(Some(
            MemberKey::from_bytes(r.bytes("member", MemberKey::SIZE)?)
                .map_err(embedded("member"))?,
        )),
        _ => Err(invalid("member.present")),
    }
}

fn write_contact(w: &mut Writer, c: &Contact) {
    w.bytes(c.account.as_bytes())
        .vec16(&c.certificate.to_bytes());
    write_member(w, c.issued.as_ref());
    w.u16(c.former_ids.len() as u16);
    for id in &c.former_ids {
        w.bytes(&id.to_bytes());
    }
    match &c.membership {
        None => w.u8(0),
        Some(m) => w
            .u8(1)
            .bytes(&m.member.to_bytes()[..])
            .bytes(&m.group_key.to_bytes()),
    };
    match &c.unreleased {
        None => w.u8(0),
        Some(h) => w.u8(1).bytes(&h.0),
    };
    w.u8(u8::from(c.blocked));
}

fn read_contact(r: &mut Reader<'_>) -> Result<Contact, ClientError> {
    let account = AccountId(r.array("contact.account")?);
    let certificate = read_certificate(r, "contact.certificate")?;
    let issued = read_member(r)?;
    let former_ids = read_list(r, "contact.former_ids", |r| {
        MemberId::from_bytes(r.bytes("former_id", MemberId::SIZE)?).map_err(embedded("former_id"))
    })?;
    let membership = match r.u8("contact.membership")? {
        0 => None,
        1 => Some(Membership {
            member: MemberKey::from_bytes(r.bytes("membership.member", MemberKey::SIZE)?)
                .map_err(embedded("membership.member"))?,
            group_key: GroupPublicKey::from_bytes(
                r.bytes("membership.group", GroupPublicKey::SIZE)?,
            )
            .map_err(embedded("membership.group"))?,
        }),
        _ => return Err(invalid("contact.membership")),
    };
    let unreleased = match r.u8("contact.unreleased")? {
        0 => None,
        1 => Some(DeliveryHandle(r.array("contact.handle")?)),
        _ => return Err(invalid("contact.unreleased")),
    };
    let blocked = match r.u8("contact.blocked")? {
        0 => false,
        1 => true,
        _ => return Err(invalid("contact.blocked")),
    };
    Ok(Contact {
        account,
        certificate,
        issued,
        former_ids,
        membership,
        unreleased,
        blocked,
    })
}

fn write_slot(w: &mut Writer, slot: &TokenSlot) {
    match slot {
        TokenSlot::Available(t) => {
            w.u8(1).bytes(&t.to_bytes());
        }
        TokenSlot::Reserved { token, request } => {
            w.u8(2).bytes(&token.to_bytes()).u64(*request);
        }
        TokenSlot::Attached {
            token,
            next_check,
            checks,
        } => {
            w.u8(3)
                .bytes(&token.to_bytes())
                .u64(*next_check)
                .u32(*checks);
        }
        TokenSlot::Renewing {
            token,
            pending,
            request,
            checks,
        } => {
            w.u8(4)
                .bytes(&token.to_bytes())
                .vec16(pending.to_bytes().as_ref())
                .u64(*request)
                .u32(*checks);
        }
    }
}

fn read_slot(r: &mut Reader<'_>) -> Result<TokenSlot, ClientError> {
    Ok(match r.u8("token_slot.kind")? {
        1 => TokenSlot::Available(read_token(r)?),
        2 => TokenSlot::Reserved {
            token: read_token(r)?,
            request: r.u64("slot.request")?,
        },
        3 => TokenSlot::Attached {
            token: read_token(r)?,
            next_check: r.u64("slot.next_check")?,
            checks: r.u32("slot.checks")?,
        },
        4 => TokenSlot::Renewing {
            token: read_token(r)?,
            pending: read_pending_token(r)?,
            request: r.u64("slot.request")?,
            checks: r.u32("slot.checks")?,
        },
        _ => return Err(invalid("token_slot.kind")),
    })
}

fn write_channel(w: &mut Writer, channel: &Channel) {
    match channel {
        Channel::Direct => w.u8(0),
        Channel::Anonymous => w.u8(1),
        Channel::Authenticated(a) => w.u8(2).bytes(a.as_bytes()),
    };
}

fn read_channel(r: &mut Reader<'_>) -> Result<Channel, ClientError> {
    Ok(match r.u8("channel")? {
        0 => Channel::Direct,
        1 => Channel::Anonymous,
        2 => Channel::Authenticated(AccountId(r.array("channel.account")?)),
        _ => return Err(invalid("channel")),
    })
}

fn write_pending(w: &mut Writer, p: &Pending) {
    w.u64(p.id);
    write_channel(w, &p.channel);
    w.vec32(&p.bytes);
    match &p.purpose {
        Purpose::RequestCode => {
            w.u8(1);
        }
        Purpose::Register { phone, tokens } => {
            w.u8(2).vec8(phone.as_bytes()).u16(tokens.len() as u16);
            for t in tokens {
                w.vec16(t.to_bytes().as_ref());
            }
        }
        Purpose::ColdCall { recipient } => {
            w.u8(3).bytes(recipient.as_bytes());
        }
        Purpose::FetchGroupKey {
            contact,
            then_reply,
        } => {
            w.u8(4).bytes(contact.as_bytes());
            match then_reply {
                None => w.u8(0),
                Some(sealed) => w.u8(1).vec32(sealed),
            };
        }
        Purpose::Reply { contact } => {
            w.u8(5).bytes(contact.as_bytes());
        }
        Purpose::RenewToken => {
            w.u8(6);
        }
        Purpose::IssueDiscovery {
            window,
            pending,
            batches,
        } => {
            w.u8(7).u64(*window).u16(pending.len() as u16);
            for t in pending {
                w.vec16(t.to_bytes().as_ref());
            }
            w.u16(batches.len() as u16);
            for b in batches {
                write_phones(w, b);
            }
        }
        Purpose::Lookup { phones } => {
            w.u8(8);
            write_phones(w, phones);
        }
        Purpose::FetchKeys { then_lookup } => {
            w.u8(9);
            write_phones(w, then_lookup);
        }
        Purpose::Release { handle, contact } => {
            w.u8(10).bytes(&handle.0).bytes(contact.as_bytes());
        }
        Purpose::UploadRevocation => {
            w.u8(11);
        }
    }
}

fn read_pending(r: &mut Reader<'_>) -> Result<Pending, ClientError> {
    let id = r.u64("pending.id")?;
    let channel = read_channel(r)?;
    let bytes = r.vec32("pending.bytes", MAX_BLOB)?.to_vec();
    let purpose = match r.u8("pending.purpose")? {
        1 => Purpose::RequestCode,
        2 => {
            let phone_bytes = r.vec8("pending.phone", crate::certificate::phone::MAX_LEN)?;
            let phone = core::str::from_utf8(phone_bytes)
                .map_err(embedded("pending.phone"))
                .and_then(|s| PhoneNumber::parse(s).map_err(embedded("pending.phone")))?;
            Purpose::Register {
                phone,
                tokens: read_list(r, "pending.tokens", read_pending_token)?,
            }
        }
        3 => Purpose::ColdCall {
            recipient: AccountId(r.array("pending.recipient")?),
        },
        4 => {
            let contact = AccountId(r.array("pending.contact")?);
            let then_reply = match r.u8("pending.then_reply")? {
                0 => None,
                1 => Some(
                    r.vec32("pending.sealed", crate::wire::MAX_SEALED_LEN)?
                        .to_vec(),
                ),
                _ => return Err(invalid("pending.then_reply")),
            };
            Purpose::FetchGroupKey {
                contact,
                then_reply,
            }
        }
        5 => Purpose::Reply {
            contact: AccountId(r.array("pending.contact")?),
        },
        6 => Purpose::RenewToken,
        7 => Purpose::IssueDiscovery {
            window: r.u64("pending.window")?,
            pending: read_list(r, "pending.tokens", read_pending_token)?,
            batches: read_list(r, "pending.batches", read_phones)?,
        },
        8 => Purpose::Lookup {
            phones: read_phones(r)?,
        },
        9 => Purpose::FetchKeys {
            then_lookup: read_phones(r)?,
        },
        10 => Purpose::Release {
            handle: DeliveryHandle(r.array("pending.handle")?),
            contact: AccountId(r.array("pending.contact")?),
        },
        11 => Purpose::UploadRevocation,
        _ => return Err(invalid("pending.purpose")),
    };
    Ok(Pending {
        id,
        channel,
        bytes,
        purpose,
    })
}
