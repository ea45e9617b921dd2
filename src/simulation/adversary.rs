//! The traffic-analysis adversary: a server that logs everything it can observe and tries to
//! attribute every anonymous action to the account that sent it (SPEC.md 15.4).
//!
//! Its only input is a [`ServerLog`]: every request with its arrival time, channel (and so the
//! authenticated account, if any), type, size and decoded fields; every delivery it queued;
//! and when each account's device held its authenticated push connection. The ground truth
//! (who really sent each request) is passed to [`score`] separately and used only to count
//! the adversary's hits.
//!
//! The strategies, each a separate function so that a test can plant one link and see it
//! found:
//! - **adjacency**: an anonymous request arriving within [`ADJACENT`] seconds of an
//!   authenticated request or a connection start of account X points at X (lookups after
//!   their `issue_discovery_tokens`, renewals beside releases, a burst after waking);
//! - **counts**: a cluster of `c >= 2` lookups points at the accounts issued exactly `c`
//!   discovery tokens in that window;
//! - **since-generation**: group-key fetches for one group carrying the same stale
//!   `since_generation` link the replies that follow them;
//! - **size classes**: a reply much larger than the smallest (it carries an introduction) is
//!   the first answer to a cold call, so its sender received a cold call and its recipient
//!   sent one;
//! - **timestamp offsets**: replies whose arrival minus timestamp is the same exact number of
//!   seconds come from one clock (only while timestamps are finer than [`COARSE`] seconds);
//! - **stamp periods**: a renewal in reputation period `p` earned a stamp that its sender
//!   redeems in period `p + 2` (SPEC.md 18.1): it points at the accounts that redeem then;
//! - **intersection of online times**: actions linked by any of the above (or by a token,
//!   which the protocol itself shows) were sent by an account online at each of them.
//!
//! Every action gets one guess: the candidates with the most evidence (all of them tied when
//! there is none). [`score`] counts a tie among `k` candidates as `1/k` when the truth is among
//! them, so an adversary that learns nothing scores exactly the chance rate.
// A test device: indices come from the log it was given and counts are far below overflow, so
// the crate's no-panic lints for hostile input do not apply here.
#![allow(clippy::indexing_slicing, clippy::arithmetic_side_effects)]

use crate::account::{AccountId, Channel};
use crate::wire::{Request, RequestType};
use crate::Time;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

/// Two requests arriving at most this many seconds apart are adjacent.
pub const ADJACENT: u64 = 2;
/// A reply at least this many bytes larger than the smallest reply is in the large class (an
/// introduction adds 0.7 to 1.7 KB).
pub const LARGE_REPLY: usize = 500;
/// How long after a cold call its first answer is looked for (size classes).
pub const ANSWER_WINDOW: u64 = 3 * 24 * 3600;
/// How long before a reply the group-key fetch that preceded it is looked for.
pub const FETCH_WINDOW: u64 = 3600;
/// Reply timestamps that are all multiples of this many seconds or more are coarse: their
/// offsets from the arrival time say nothing about the sender's clock.
pub const COARSE: u64 = 10;

/// The fields of a request that the strategies read (decoded from its bytes by the server).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fields {
    /// An accepted registration creates this account.
    Register {
        /// The account of the registered identity key.
        account: AccountId,
    },
    /// A cold call.
    ColdCall {
        /// Its recipient.
        recipient: AccountId,
        /// The nonce of the token paying for it.
        token: [u8; 32],
    },
    /// A reply under a group signature.
    Reply {
        /// Its recipient.
        recipient: AccountId,
        /// The timestamp of its reply context (the sender's clock).
        timestamp: Time,
    },
    /// A group-key fetch.
    FetchGroupKey {
        /// The group's owner.
        recipient: AccountId,
        /// The generation the member says it holds, when the request carries one (the first
        /// protocol version did; the current one carries none).
        since_generation: Option<u32>,
    },
    /// A token renewal (or the probe of one).
    RenewToken {
        /// The nonce of the spent token.
        token: [u8; 32],
    },
    /// A lookup paid with a discovery token.
    Lookup,
    /// A redemption of reputation stamps.
    RedeemStamps {
        /// How many stamps it carried.
        count: usize,
    },
    /// An issuance of discovery tokens.
    IssueDiscoveryTokens {
        /// The window.
        window: u64,
        /// How many tokens were asked for.
        count: usize,
    },
    /// A request no strategy reads a field of.
    Other,
}

impl Fields {
    /// The fields of `request` the strategies use.
    pub fn of(request: &Request) -> Self {
        match request {
            Request::Register(r) => Fields::Register {
                account: AccountId::for_identity_key(&r.identity_key.to_bytes()),
            },
            Request::ColdCall(c) => Fields::ColdCall {
                recipient: c.recipient,
                token: *c.token.nonce(),
            },
            Request::Reply(r) => Fields::Reply {
                recipient: r.recipient,
                timestamp: r.timestamp,
            },
            // The request carries no generation any more (SPEC.md 12.6); a log of an older
            // protocol, or a hand-made one, may still give one.
            Request::FetchGroupKey { account } => Fields::FetchGroupKey {
                recipient: *account,
                since_generation: None,
            },
            Request::RenewToken { token, .. } => Fields::RenewToken {
                token: *token.nonce(),
            },
            Request::Lookup { .. } => Fields::Lookup,
            Request::RedeemStamps { stamps, .. } => Fields::RedeemStamps {
                count: stamps.len(),
            },
            Request::IssueDiscoveryTokens { window, requests } => Fields::IssueDiscoveryTokens {
                window: *window,
                count: requests.len(),
            },
            _ => Fields::Other,
        }
    }
}

/// One request as the server logged it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedRequest {
    /// When it arrived (the server's clock).
    pub arrival: Time,
    /// The channel it came by (an authenticated channel names the account).
    pub channel: Channel,
    /// Its type.
    pub request_type: RequestType,
    /// Its size in bytes.
    pub size: usize,
    /// Whether the server accepted it.
    pub accepted: bool,
    /// Its decoded fields.
    pub fields: Fields,
}

/// An interval during which an account's device held its authenticated push connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Connection {
    /// The account.
    pub account: AccountId,
    /// When the connection opened.
    pub from: Time,
    /// When it closed (exclusive).
    pub until: Time,
}

/// One delivery the server queued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoggedDelivery {
    /// When it was queued.
    pub at: Time,
    /// For whom.
    pub recipient: AccountId,
}

/// Everything a logging server observes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerLog {
    /// Every request, in arrival order.
    pub requests: Vec<LoggedRequest>,
    /// Every delivery queued, in order.
    pub deliveries: Vec<LoggedDelivery>,
    /// Every connection interval of every account.
    pub connections: Vec<Connection>,
    /// The discovery window length (seconds), from the server's configuration.
    pub discovery_window: u64,
    /// The reputation period (seconds, from the server's configuration; 0: the stamp-period
    /// strategy is off).
    pub reputation_period: u64,
}

/// The anonymous actions the adversary attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A cold call.
    ColdCall,
    /// A reply.
    Reply,
    /// A lookup.
    Lookup,
    /// A token renewal or renewal probe.
    Renewal,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 4] = [Kind::ColdCall, Kind::Reply, Kind::Lookup, Kind::Renewal];

    /// The name in `link.<kind>.rate` lines.
    pub fn name(self) -> &'static str {
        match self {
            Kind::ColdCall => "cold_call",
            Kind::Reply => "reply",
            Kind::Lookup => "lookup",
            Kind::Renewal => "renewal",
        }
    }

    /// The kind of an anonymous request of `request_type`, if it is an action.
    pub fn of(request_type: RequestType) -> Option<Kind> {
        match request_type {
            RequestType::ColdCall => Some(Kind::ColdCall),
            RequestType::Reply => Some(Kind::Reply),
            RequestType::Lookup => Some(Kind::Lookup),
            RequestType::RenewToken => Some(Kind::Renewal),
            _ => None,
        }
    }
}

/// The adversary's guess for one action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guess {
    /// The request's index in [`ServerLog::requests`].
    pub request: usize,
    /// Its kind.
    pub kind: Kind,
    /// The candidates with the most evidence (all tied).
    pub top: Vec<AccountId>,
    /// How many accounts could have sent it by the facts the protocol cannot hide (the
    /// denominator of its chance).
    pub candidates: usize,
}

/// The adversary's figures for one kind of action.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KindScore {
    /// The kind.
    pub kind: Kind,
    /// How many actions of this kind the log holds.
    pub actions: usize,
    /// The share attributed correctly (a tie among `k` counts `1/k` if the truth is in it).
    pub rate: f64,
    /// The mean of `1 / candidates` over the actions: the rate of a guesser without
    /// information.
    pub chance: f64,
}

/// Guesses the sender of every anonymous action in `log`.
pub fn attribute(log: &ServerLog) -> Vec<Guess> {
    let view = View::new(log);
    let protocol = view.protocol_links();
    let mut links = protocol.clone();
    view.link_since_generation(&mut links);
    view.link_timestamp_offsets(&mut links);
    let sizes = view.size_classes();
    let (fair_groups, groups) = (protocol.groups(), links.groups());
    // Candidates per protocol-linked set, and the guess per adversary-linked set, once each.
    let mut fair: BTreeMap<usize, BTreeSet<AccountId>> = BTreeMap::new();
    let mut tops: BTreeMap<(usize, usize), Vec<AccountId>> = BTreeMap::new();
    let mut guesses = Vec::with_capacity(view.actions.len());
    for &(request, kind) in &view.actions {
        let fair_root = protocol.root(request);
        let fair = fair
            .entry(fair_root)
            .or_insert_with(|| view.group_candidates(&fair_groups[&fair_root]));
        let root = links.root(request);
        let top = tops
            .entry((root, fair_root))
            .or_insert_with(|| view.guess(&groups[&root], fair, &sizes));
        guesses.push(Guess {
            request,
            kind,
            top: top.clone(),
            candidates: fair.len(),
        });
    }
    guesses
}

/// The adversary's rate and the chance rate per kind, scored against `truth` (the sender of
/// each request of `log`, in order).
pub fn score(log: &ServerLog, truth: &[Option<AccountId>]) -> Vec<KindScore> {
    let guesses = attribute(log);
    Kind::ALL
        .iter()
        .map(|&kind| {
            let mut actions = 0usize;
            let mut hits = 0.0f64;
            let mut chance = 0.0f64;
            for g in guesses.iter().filter(|g| g.kind == kind) {
                actions += 1;
                let sender = truth.get(g.request).copied().flatten();
                if sender.is_some_and(|s| g.top.contains(&s)) {
                    hits += 1.0 / g.top.len() as f64;
                }
                if g.candidates > 0 {
                    chance += 1.0 / g.candidates as f64;
                }
            }
            let mean = |x: f64| {
                if actions == 0 {
                    0.0
                } else {
                    x / actions as f64
                }
            };
            KindScore {
                kind,
                actions,
                rate: mean(hits),
                chance: mean(chance),
            }
        })
        .collect()
}

/// Sets of linked requests (union-find over request indices).
#[derive(Clone, Debug)]
struct Links {
    parent: Vec<usize>,
}

impl Links {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }

    fn root(&self, mut i: usize) -> usize {
        while self.parent[i] != i {
            i = self.parent[i];
        }
        i
    }

    fn join(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent[ra.max(rb)] = ra.min(rb);
        }
    }

    /// Every set, keyed by its root.
    fn groups(&self) -> BTreeMap<usize, Vec<usize>> {
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..self.parent.len() {
            groups.entry(self.root(i)).or_default().push(i);
        }
        groups
    }

    /// Joins every run of indices sharing a key.
    fn join_by<K: Ord>(&mut self, keyed: impl Iterator<Item = (K, usize)>) {
        let mut first: BTreeMap<K, usize> = BTreeMap::new();
        for (k, i) in keyed {
            match first.get(&k) {
                Some(&f) => self.join(f, i),
                None => {
                    first.insert(k, i);
                }
            }
        }
    }
}

/// The log with the indexes the strategies need.
struct View<'a> {
    log: &'a ServerLog,
    /// Every anonymous action: request index and kind.
    actions: Vec<(usize, Kind)>,
    /// When each account's registration was accepted.
    registered: BTreeMap<AccountId, Time>,
    /// Connection intervals per account.
    online: BTreeMap<AccountId, Vec<(Time, Time)>>,
    /// Authenticated requests and connection starts, by time.
    signals: Vec<(Time, AccountId)>,
    /// Accepted discovery issuances: time, account, window, count.
    issuances: Vec<(Time, AccountId, u64, usize)>,
    /// Accepted stamp redemptions: time, account.
    redemptions: Vec<(Time, AccountId)>,
}

impl<'a> View<'a> {
    fn new(log: &'a ServerLog) -> Self {
        let mut actions = Vec::new();
        let mut registered = BTreeMap::new();
        let mut signals = Vec::new();
        let mut issuances = Vec::new();
        let mut redemptions = Vec::new();
        for (i, r) in log.requests.iter().enumerate() {
            match (&r.fields, r.channel) {
                (Fields::Register { account }, _) if r.accepted => {
                    registered.entry(*account).or_insert(r.arrival);
                }
                (_, Channel::Authenticated(account)) => {
                    signals.push((r.arrival, account));
                    if let (Fields::IssueDiscoveryTokens { window, count }, true) =
                        (&r.fields, r.accepted)
                    {
                        issuances.push((r.arrival, account, *window, *count));
                    }
                    if let (Fields::RedeemStamps { .. }, true) = (&r.fields, r.accepted) {
                        redemptions.push((r.arrival, account));
                    }
                }
                (_, Channel::Anonymous) => {
                    if let Some(kind) = Kind::of(r.request_type) {
                        actions.push((i, kind));
                    }
                }
                _ => {}
            }
        }
        let mut online: BTreeMap<AccountId, Vec<(Time, Time)>> = BTreeMap::new();
        for c in &log.connections {
            online.entry(c.account).or_default().push((c.from, c.until));
            signals.push((c.from, c.account));
        }
        signals.sort();
        Self {
            log,
            actions,
            registered,
            online,
            signals,
            issuances,
            redemptions,
        }
    }

    fn request(&self, i: usize) -> &LoggedRequest {
        &self.log.requests[i]
    }

    fn is_online(&self, account: &AccountId, t: Time) -> bool {
        self.online
            .get(account)
            .is_some_and(|v| v.iter().any(|&(from, until)| from <= t && t < until))
    }

    /// The accounts that could have sent request `i` by the facts the protocol cannot hide:
    /// registered before it, online at its arrival, not its recipient, and for an accepted
    /// lookup issued discovery tokens for its window before it (a refused one may carry any
    /// token, or none that verifies).
    fn base_candidates(&self, i: usize) -> BTreeSet<AccountId> {
        let r = self.request(i);
        let recipient = match &r.fields {
            Fields::ColdCall { recipient, .. } | Fields::Reply { recipient, .. } => {
                Some(*recipient)
            }
            _ => None,
        };
        let window = r.arrival.window(self.log.discovery_window.max(1));
        self.registered
            .iter()
            .filter(|&(a, &since)| {
                since <= r.arrival && self.is_online(a, r.arrival) && Some(*a) != recipient
            })
            .map(|(a, _)| *a)
            .filter(|a| {
                !(matches!(r.fields, Fields::Lookup) && r.accepted)
                    || self
                        .issuances
                        .iter()
                        .any(|&(t, x, w, _)| x == *a && w == window && t <= r.arrival)
            })
            .collect()
    }

    /// The accounts that could have sent every request of `group`.
    fn group_candidates(&self, group: &[usize]) -> BTreeSet<AccountId> {
        let mut sets = group.iter().map(|&i| self.base_candidates(i));
        let first = sets.next().unwrap_or_default();
        sets.fold(first, |acc, s| acc.intersection(&s).copied().collect())
    }

    /// The candidates of a linked `group` with the most evidence; `fair` are the candidates of
    /// its protocol-linked part, used when the group's links leave no candidate.
    fn guess(
        &self,
        group: &[usize],
        fair: &BTreeSet<AccountId>,
        sizes: &BTreeMap<usize, Vec<AccountId>>,
    ) -> Vec<AccountId> {
        let mut candidates = self.group_candidates(group);
        if candidates.is_empty() {
            // A wrong link (two senders sharing a value by coincidence): use what is certain.
            candidates = fair.clone();
        }
        let mut evidence: BTreeMap<AccountId, u64> = BTreeMap::new();
        for &m in group {
            self.adjacency(m, &mut evidence);
            self.counts(m, &mut evidence);
            self.stamp_periods(m, &mut evidence);
            for a in sizes.get(&m).into_iter().flatten() {
                *evidence.entry(*a).or_default() += 1;
            }
        }
        let points = |a: &AccountId| evidence.get(a).copied().unwrap_or(0);
        let best = candidates.iter().map(points).max().unwrap_or(0);
        candidates
            .into_iter()
            .filter(|a| points(a) == best)
            .collect()
    }

    /// The links the protocol itself shows: a renewal names the token its cold call spent.
    fn protocol_links(&self) -> Links {
        let mut links = Links::new(self.log.requests.len());
        links.join_by(
            self.actions
                .iter()
                .filter_map(|&(i, _)| match &self.request(i).fields {
                    Fields::ColdCall { token, .. } | Fields::RenewToken { token } => {
                        Some((*token, i))
                    }
                    _ => None,
                }),
        );
        links
    }

    /// The group-key fetch for the recipient of reply `i` that came last before it.
    fn fetch_before(&self, i: usize) -> Option<usize> {
        let r = self.request(i);
        let Fields::Reply { recipient, .. } = r.fields else {
            return None;
        };
        (0..i).rev().find(|&j| {
            let f = self.request(j);
            matches!(f.fields, Fields::FetchGroupKey { recipient: to, .. } if to == recipient)
                && r.arrival.secs_since(f.arrival) <= FETCH_WINDOW
        })
    }

    /// Strategy: replies to one group whose fetches named the same generation, older than the
    /// newest any fetch of that group named by then, come from one member.
    fn link_since_generation(&self, links: &mut Links) {
        let mut newest: BTreeMap<AccountId, u32> = BTreeMap::new();
        let mut keyed = Vec::new();
        for &(i, kind) in &self.actions {
            if kind != Kind::Reply {
                continue;
            }
            let Some(j) = self.fetch_before(i) else {
                continue;
            };
            let Fields::FetchGroupKey {
                recipient,
                since_generation: Some(since),
            } = self.request(j).fields
            else {
                continue;
            };
            let top = newest.entry(recipient).or_insert(since);
            *top = (*top).max(since);
            if since < *top {
                keyed.push(((recipient, since), i));
            }
        }
        links.join_by(keyed.into_iter());
    }

    /// Strategy: replies whose arrival minus timestamp is the same number of seconds come from
    /// one clock, unless the timestamps are coarse.
    fn link_timestamp_offsets(&self, links: &mut Links) {
        let replies: Vec<(usize, Time)> = self
            .actions
            .iter()
            .filter_map(|&(i, _)| match self.request(i).fields {
                Fields::Reply { timestamp, .. } => Some((i, timestamp)),
                _ => None,
            })
            .collect();
        let granularity = replies
            .iter()
            .fold(0u64, |g, &(_, t)| gcd(g, t.unix_secs()));
        if granularity >= COARSE {
            return;
        }
        links.join_by(replies.iter().map(|&(i, t)| {
            let arrival = self.request(i).arrival.unix_secs();
            (i128::from(arrival) - i128::from(t.unix_secs()), i)
        }));
    }

    /// Strategy: accounts with an authenticated request or a connection start within
    /// [`ADJACENT`] seconds of request `i` (or of the fetch before a reply).
    fn adjacency(&self, i: usize, evidence: &mut BTreeMap<AccountId, u64>) {
        let mut times = Vec::from([self.request(i).arrival]);
        times.extend(self.fetch_before(i).map(|j| self.request(j).arrival));
        for t in times {
            let from = t.saturating_sub(ADJACENT);
            let start = self.signals.partition_point(|&(s, _)| s < from);
            for &(s, account) in &self.signals[start..] {
                if s.abs_diff(t) > ADJACENT {
                    break;
                }
                *evidence.entry(account).or_default() += 1;
            }
        }
    }

    /// Strategy: an accepted renewal in reputation period `p` earned a stamp, which its sender's
    /// client redeems in period `p + 2`: it points at every account that redeems then.
    fn stamp_periods(&self, i: usize, evidence: &mut BTreeMap<AccountId, u64>) {
        let r = self.request(i);
        let period = self.log.reputation_period;
        if period == 0 || !r.accepted || !matches!(r.fields, Fields::RenewToken { .. }) {
            return;
        }
        let first = r.arrival.window(period).saturating_add(2);
        let last = first.saturating_add(crate::client::STAMP_SPREAD);
        let redeemers: BTreeSet<AccountId> = self
            .redemptions
            .iter()
            .filter(|(t, _)| (first..last).contains(&t.window(period)))
            .map(|&(_, a)| a)
            .collect();
        for account in redeemers {
            *evidence.entry(account).or_default() += 1;
        }
    }

    /// Strategy: a cluster of `c >= 2` adjacent lookups points at the accounts issued exactly
    /// `c` discovery tokens in that window.
    fn counts(&self, i: usize, evidence: &mut BTreeMap<AccountId, u64>) {
        let r = self.request(i);
        if !matches!(r.fields, Fields::Lookup) {
            return;
        }
        let cluster = self
            .actions
            .iter()
            .filter(|&&(j, kind)| {
                kind == Kind::Lookup && self.request(j).arrival.abs_diff(r.arrival) <= ADJACENT
            })
            .count();
        if cluster < 2 {
            return;
        }
        let window = r.arrival.window(self.log.discovery_window.max(1));
        for &(_, account, w, count) in &self.issuances {
            if w == window && count == cluster {
                *evidence.entry(account).or_default() += 1;
            }
        }
    }

    /// Strategy: a reply much larger than the smallest is the first answer to a cold call. Its
    /// sender received a cold call shortly before, its recipient sent one. Returns, per action,
    /// the accounts this points at.
    fn size_classes(&self) -> BTreeMap<usize, Vec<AccountId>> {
        let mut points: BTreeMap<usize, Vec<AccountId>> = BTreeMap::new();
        let replies: Vec<usize> = self
            .actions
            .iter()
            .filter(|&&(_, k)| k == Kind::Reply)
            .map(|&(i, _)| i)
            .collect();
        let Some(smallest) = replies.iter().map(|&i| self.request(i).size).min() else {
            return points;
        };
        let cold_calls: Vec<(usize, AccountId)> = self
            .actions
            .iter()
            .filter_map(|&(i, _)| match self.request(i).fields {
                Fields::ColdCall { recipient, .. } => Some((i, recipient)),
                _ => None,
            })
            .collect();
        for &r in &replies {
            let reply = self.request(r);
            let Fields::Reply {
                recipient: caller, ..
            } = reply.fields
            else {
                continue;
            };
            if reply.size < smallest + LARGE_REPLY {
                continue;
            }
            for &(c, callee) in &cold_calls {
                let call = self.request(c);
                if call.arrival <= reply.arrival
                    && reply.arrival.secs_since(call.arrival) <= ANSWER_WINDOW
                    && callee != caller
                    && self.is_online(&callee, reply.arrival)
                    && self.is_online(&caller, call.arrival)
                {
                    points.entry(r).or_default().push(callee);
                    points.entry(c).or_default().push(caller);
                }
            }
        }
        points
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}
