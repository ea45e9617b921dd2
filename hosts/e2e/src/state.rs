//! The state's bytes (SPEC 17.7): `u8 version (1) || [32] account || [32] HPKE secret ||
//! u32 len || Olm account pickle (JSON) || u32 count || count × ([32] peer || u32 len ||
//! Olm session pickle (JSON))`, peers in increasing order, a peer's sessions (at most
//! [`crate::MAX_SESSIONS_PER_PEER`]) consecutive with the one to send with last. Every pickle
//! must be the exact JSON vodozemac writes for it, so one state has one encoding.

use crate::{AccountBytes, E2eState, Kem};
use hpke::{Deserializable, Serializable};
use std::collections::BTreeMap;
use std::fmt;
use vodozemac::olm::{Account, AccountPickle, Session, SessionPickle};
use zeroize::Zeroizing;

const VERSION: u8 = 1;

/// Why state bytes were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateError {
    /// The bytes end early.
    Truncated,
    /// A version this build does not know.
    UnknownVersion(u8),
    /// Bytes after the last session.
    TrailingBytes,
    /// The HPKE secret is not a valid X25519 key.
    BadSecret,
    /// A pickle does not parse, or is not in canonical form.
    BadPickle,
    /// Peers out of order, or more sessions for one peer than are kept.
    NotCanonical,
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("e2e state: truncated"),
            Self::UnknownVersion(v) => write!(f, "e2e state: unknown version {v}"),
            Self::TrailingBytes => f.write_str("e2e state: trailing bytes"),
            Self::BadSecret => f.write_str("e2e state: invalid HPKE secret"),
            Self::BadPickle => f.write_str("e2e state: invalid or non-canonical Olm pickle"),
            Self::NotCanonical => {
                f.write_str("e2e state: peers out of order or too many sessions for one")
            }
        }
    }
}

impl std::error::Error for StateError {}

fn account_json(account: &Account) -> Zeroizing<Vec<u8>> {
    // Serializing a pickle of plain data cannot fail.
    Zeroizing::new(serde_json::to_vec(&account.pickle()).unwrap_or_default())
}

fn session_json(session: &Session) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(serde_json::to_vec(&session.pickle()).unwrap_or_default())
}

fn put_len_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    // A pickle is far below 4 GiB.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

pub(crate) fn encode(state: &E2eState) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::new());
    out.push(VERSION);
    out.extend_from_slice(&state.me);
    out.extend_from_slice(&state.hpke_secret.to_bytes());
    put_len_prefixed(&mut out, &account_json(&state.olm));
    let count = state.sessions.values().map(Vec::len).sum::<usize>();
    let count = u32::try_from(count).unwrap_or(u32::MAX);
    out.extend_from_slice(&count.to_be_bytes());
    for (peer, sessions) in &state.sessions {
        for session in sessions {
            out.extend_from_slice(peer);
            put_len_prefixed(&mut out, &session_json(session));
        }
    }
    out
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], StateError> {
        let (head, rest) = self.0.split_at_checked(n).ok_or(StateError::Truncated)?;
        self.0 = rest;
        Ok(head)
    }

    fn array32(&mut self) -> Result<[u8; 32], StateError> {
        self.take(32)?.try_into().map_err(|_| StateError::Truncated)
    }

    fn u32(&mut self) -> Result<u32, StateError> {
        let bytes = self
            .take(4)?
            .try_into()
            .map_err(|_| StateError::Truncated)?;
        Ok(u32::from_be_bytes(bytes))
    }

    fn len_prefixed(&mut self) -> Result<&'a [u8], StateError> {
        let len = usize::try_from(self.u32()?).map_err(|_| StateError::Truncated)?;
        self.take(len)
    }
}

pub(crate) fn decode(bytes: &[u8]) -> Result<E2eState, StateError> {
    let mut r = Reader(bytes);
    let version = r.take(1)?.first().copied().ok_or(StateError::Truncated)?;
    if version != VERSION {
        return Err(StateError::UnknownVersion(version));
    }
    let me: AccountBytes = r.array32()?;
    let secret = Zeroizing::new(r.array32()?);
    let hpke_secret = <Kem as hpke::Kem>::PrivateKey::from_bytes(secret.as_ref())
        .map_err(|_| StateError::BadSecret)?;
    if hpke_secret.to_bytes().as_slice() != secret.as_ref() {
        return Err(StateError::BadSecret);
    }
    let json = r.len_prefixed()?;
    let pickle: AccountPickle = serde_json::from_slice(json).map_err(|_| StateError::BadPickle)?;
    let olm = Account::from_pickle(pickle);
    if account_json(&olm).as_slice() != json {
        return Err(StateError::BadPickle);
    }
    let count = r.u32()?;
    let mut sessions: BTreeMap<AccountBytes, Vec<Session>> = BTreeMap::new();
    let mut last: Option<AccountBytes> = None;
    for _ in 0..count {
        let peer = r.array32()?;
        if last.is_some_and(|last| last > peer)
            || sessions.get(&peer).map_or(0, Vec::len) >= crate::MAX_SESSIONS_PER_PEER
        {
            return Err(StateError::NotCanonical);
        }
        last = Some(peer);
        let json = r.len_prefixed()?;
        let pickle: SessionPickle =
            serde_json::from_slice(json).map_err(|_| StateError::BadPickle)?;
        let session = Session::from_pickle(pickle);
        if session_json(&session).as_slice() != json {
            return Err(StateError::BadPickle);
        }
        sessions.entry(peer).or_default().push(session);
    }
    if !r.0.is_empty() {
        return Err(StateError::TrailingBytes);
    }
    Ok(E2eState {
        me,
        hpke_secret,
        olm,
        sessions,
    })
}
