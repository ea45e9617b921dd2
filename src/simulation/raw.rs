//! Requests built by hand, for tests that control every field the server checks: an account
//! registered without the client state machine (the test holds its identity and group manager
//! keys), blinded token requests, and the decoding of responses.

use super::{Inspect, World};
use crate::account::{AccountId, Channel};
use crate::bbs04::{GroupManagerKey, GroupPublicKey};
use crate::bls::SecretKey;
use crate::certificate::{Certificate, PhoneNumber};
use crate::store::Store;
use crate::token::{PendingToken, Token, TokenChallenge, TokenClient, TokenKeySet, TokenRequest};
use crate::verification_code::CodeSession;
use crate::wire::{ColdCallRequest, Delivery, ErrorCode, RegisterRequest, Request, Response};
use crate::Time;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// `s` parsed as a phone number (panics on an invalid one).
pub fn phone(s: &str) -> PhoneNumber {
    PhoneNumber::parse(s).expect("a valid phone number")
}

/// The decoded response (the server only sends valid ones).
pub fn decode(response: &[u8]) -> Response {
    Response::from_bytes(response).expect("the server sends valid responses")
}

/// The error code of a refusal, `None` for a success.
pub fn error_code(response: &[u8]) -> Option<ErrorCode> {
    match decode(response) {
        Response::Error { code, .. } => Some(code),
        _ => None,
    }
}

/// Whether `needle` (not empty) occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// An account registered without the client state machine: the test holds its secrets.
pub struct RawAccount {
    /// The registered number.
    pub phone: PhoneNumber,
    /// The identity key.
    pub identity: SecretKey,
    /// The manager key of its group.
    pub group: GroupManagerKey,
    /// The certificate the server issued.
    pub certificate: Certificate,
    /// The cold-call tokens it was given.
    pub tokens: Vec<Token>,
}

impl RawAccount {
    /// The account id.
    pub fn account(&self) -> AccountId {
        AccountId::for_identity_key(&self.identity.public_key().to_bytes())
    }

    /// The channel the host authenticates this account on.
    pub fn channel(&self) -> Channel {
        Channel::Authenticated(self.account())
    }
}

/// A code session and the code the server sent for it.
#[derive(Clone, Debug)]
pub struct RawCode {
    /// The session the code was requested with.
    pub session: CodeSession,
    /// The code as the SMS carried it (or a guess, [`Self::guess`]).
    pub code: String,
}

impl RawCode {
    /// The same session with another code: a guess.
    pub fn guess(&self, code: &str) -> RawCode {
        RawCode {
            session: self.session.clone(),
            code: code.to_string(),
        }
    }
}

/// A code request for `phone` under `session`.
pub fn request_code_bytes(phone: &PhoneNumber, session: &CodeSession) -> Vec<u8> {
    Request::RequestCode {
        phone: phone.clone(),
        session: session.clone(),
    }
    .to_bytes()
}

/// A registration request with a valid proof of possession of `identity`, using `code` and
/// its session.
pub fn register_bytes(
    phone: &PhoneNumber,
    code: &RawCode,
    identity: &SecretKey,
    group_key: &GroupPublicKey,
    token_requests: Vec<TokenRequest>,
) -> Vec<u8> {
    Request::Register(RegisterRequest {
        phone: phone.clone(),
        session: code.session.clone(),
        code: code.code.clone(),
        identity_key: identity.public_key(),
        proof: identity.pop_prove(),
        host_key: None,
        group_key: group_key.clone(),
        token_requests,
    })
    .to_bytes()
}

/// A cold call to `recipient` paying with `token`.
pub fn cold_call_bytes(recipient: AccountId, token: &Token, sealed: &[u8]) -> Vec<u8> {
    Request::ColdCall(ColdCallRequest {
        recipient,
        token: token.clone(),
        sealed: sealed.to_vec(),
    })
    .to_bytes()
}

/// `n` blinded token requests under the preferred key of `keys` at `now`, with their pending
/// halves.
pub fn token_requests<R: rand_core::CryptoRng + ?Sized>(
    rng: &mut R,
    keys: &TokenKeySet,
    challenge: &TokenChallenge,
    now: Time,
    n: usize,
) -> (Vec<TokenRequest>, Vec<PendingToken>) {
    let client = TokenClient::new(keys.clone());
    let key = keys.preferred_key(now).expect("a key is valid now").clone();
    (0..n)
        .map(|_| {
            client
                .request(rng, challenge, &key, now)
                .expect("a valid challenge")
        })
        .unzip()
}

impl<S: Inspect> World<S> {
    /// Sends a request that must be refused with `code` and must change nothing in the store.
    #[track_caller]
    pub fn refused(&mut self, channel: Channel, bytes: &[u8], code: ErrorCode) {
        let before = self.snapshot();
        let response = self.send(channel, bytes);
        assert_eq!(error_code(&response), Some(code), "{:?}", decode(&response));
        assert_eq!(
            self.snapshot(),
            before,
            "a refused request changed the store"
        );
    }
}

impl<S: Store> World<S> {
    /// Asks the server for a code for `phone` under a fresh code session and returns the code
    /// its host sent, with the session.
    pub fn code(&mut self, phone: &PhoneNumber) -> RawCode {
        let session = CodeSession::generate(&mut self.rng);
        self.code_for(phone, &session)
    }

    /// Asks the server for the code of `phone` under `session` (again, for a session that
    /// exists) and returns the code its host sent.
    pub fn code_for(&mut self, phone: &PhoneNumber, session: &CodeSession) -> RawCode {
        let response = self.send(Channel::Direct, &request_code_bytes(phone, session));
        assert!(
            matches!(decode(&response), Response::CodeSent),
            "code request refused: {:?}",
            decode(&response)
        );
        RawCode {
            session: session.clone(),
            code: self.last_code(phone).expect("the server sent a code"),
        }
    }

    /// `n` cold-call token requests under the server's current key.
    pub fn cold_call_requests(&mut self, n: usize) -> (Vec<TokenRequest>, Vec<PendingToken>) {
        let keys = self.server.public_keys().cold_call_tokens;
        let challenge = TokenChallenge::cold_call(keys.issuer_name()).expect("a short issuer");
        token_requests(&mut self.rng, &keys, &challenge, self.now, n)
    }

    /// `n` reputation stamp requests under the server's current stamp key (SPEC.md 18.1).
    pub fn stamp_requests(&mut self, n: usize) -> (Vec<TokenRequest>, Vec<PendingToken>) {
        let keys = self.server.public_keys().stamp_tokens;
        let challenge = TokenChallenge::stamp(keys.issuer_name()).expect("a short issuer");
        token_requests(&mut self.rng, &keys, &challenge, self.now, n)
    }

    /// A reputation stamp request under the server's current stamp key, blinded with a
    /// generator seeded by `seed` (for hand-made renewals built while the world is borrowed).
    pub fn stamp_request(&self, seed: &[u8]) -> TokenRequest {
        let keys = self.server.public_keys().stamp_tokens;
        let challenge = TokenChallenge::stamp(keys.issuer_name()).expect("a short issuer");
        let mut rng = crate::vector_rng::VectorRng::new(seed);
        let (mut requests, _) = token_requests(&mut rng, &keys, &challenge, self.now, 1);
        requests.remove(0)
    }

    /// A `renew_token` request for `token` with fresh token and stamp requests, and their
    /// blinding states (token, stamp).
    pub fn renewal(&mut self, token: &Token) -> (Request, PendingToken, PendingToken) {
        let (mut requests, mut pending) = self.cold_call_requests(1);
        let (mut stamps, mut stamp_pending) = self.stamp_requests(1);
        let request = Request::RenewToken {
            token: token.clone(),
            request: requests.remove(0),
            stamp: stamps.remove(0),
        };
        (request, pending.remove(0), stamp_pending.remove(0))
    }

    /// One round of earning a stamp (SPEC.md 18.1), as a user does and colluders farm: a cold
    /// call with `token` to `to`, released by `to` at once and renewed. Returns the renewed
    /// token and the stamp, or which step the server refused.
    pub fn cold_call_for_stamp(
        &mut self,
        to: &RawAccount,
        token: &Token,
        sealed: &[u8],
    ) -> Result<(Token, Token), &'static str> {
        let call = cold_call_bytes(to.account(), token, sealed);
        if !matches!(
            decode(&self.send(Channel::Anonymous, &call)),
            Response::ColdCallAccepted { duplicate: false }
        ) {
            return Err("the cold call was refused");
        }
        let handle = self
            .take_queued(&to.account())
            .into_iter()
            .filter_map(|bytes| Delivery::from_bytes(&bytes).ok())
            .find_map(|d| match d {
                Delivery::ColdCall { handle, .. } => Some(handle),
                _ => None,
            })
            .ok_or("the cold call was not queued")?;
        let release = Request::Release { handle }.to_bytes();
        if !matches!(
            decode(&self.send(to.channel(), &release)),
            Response::Released
        ) {
            return Err("the release was refused");
        }
        let (renewal, pending, stamp_pending) = self.renewal(token);
        let Response::TokenRenewed {
            token: signed,
            stamp: Some(stamp),
        } = decode(&self.send(Channel::Anonymous, &renewal.to_bytes()))
        else {
            return Err("the renewal gave no stamp");
        };
        let token = pending
            .finalize(&signed)
            .map_err(|_| "the renewed token did not finalize")?;
        let stamp = stamp_pending
            .finalize(&stamp)
            .map_err(|_| "the stamp did not finalize")?;
        Ok((token, stamp))
    }

    /// `n` discovery token requests for the current window.
    pub fn discovery_requests(&mut self, n: usize) -> (Vec<TokenRequest>, Vec<PendingToken>) {
        let keys = self.server.public_keys().discovery_tokens;
        let window = self.server.config().discovery.window(self.now);
        let challenge =
            TokenChallenge::discovery(keys.issuer_name(), window).expect("a short issuer");
        token_requests(&mut self.rng, &keys, &challenge, self.now, n)
    }

    /// Registers a fresh identity and group under `phone_number` with hand-built requests,
    /// asking for `tokens` cold-call tokens.
    pub fn raw_register(&mut self, phone_number: &str, tokens: usize) -> RawAccount {
        let phone = phone(phone_number);
        let identity = SecretKey::generate(&mut self.rng);
        let group = GroupManagerKey::generate(&mut self.rng);
        let code = self.code(&phone);
        let (requests, pending) = self.cold_call_requests(tokens);
        let bytes = register_bytes(&phone, &code, &identity, group.public_key(), requests);
        let response = self.send(Channel::Direct, &bytes);
        let Response::Registered {
            certificate,
            token_responses,
        } = decode(&response)
        else {
            panic!("registration refused: {:?}", decode(&response))
        };
        let tokens = pending
            .iter()
            .zip(&token_responses)
            .map(|(p, r)| p.finalize(r).expect("the server signed"))
            .collect();
        RawAccount {
            phone,
            identity,
            group,
            certificate,
            tokens,
        }
    }

    /// `n` discovery tokens for the current window, issued to `account`.
    pub fn discovery_tokens(&mut self, account: &RawAccount, n: usize) -> Vec<Token> {
        let (requests, pending) = self.discovery_requests(n);
        let window = self.server.config().discovery.window(self.now);
        let response = self.send(
            account.channel(),
            &Request::IssueDiscoveryTokens { window, requests }.to_bytes(),
        );
        let Response::DiscoveryTokens(responses) = decode(&response) else {
            panic!("discovery issuance refused: {:?}", decode(&response))
        };
        pending
            .iter()
            .zip(&responses)
            .map(|(p, r)| p.finalize(r).expect("the server signed"))
            .collect()
    }
}
