//! Each strategy of the adversary on a small hand-made log: it finds the link planted for it,
//! and without any link it scores exactly chance.

use blindpost::account::{AccountId, Channel};
use blindpost::simulation::adversary::{
    attribute, score, Connection, Fields, Guess, Kind, LoggedRequest, ServerLog,
};
use blindpost::wire::RequestType;
use blindpost::Time;

const DAY: u64 = 24 * 3600;

fn account(n: u8) -> AccountId {
    AccountId([n; 32])
}

/// `s` seconds after the log's start (a multiple of 60, so coarse timestamps stay coarse).
fn at(s: u64) -> Time {
    Time::from_unix_secs(1_800_000_000 + s)
}

/// A hand-made log with the truth beside it.
struct Log {
    log: ServerLog,
    truth: Vec<Option<AccountId>>,
}

impl Log {
    /// Accounts `1..=n` registered at the start, none online yet.
    fn new(n: u8) -> Self {
        let mut log = Log {
            log: ServerLog {
                discovery_window: DAY,
                ..ServerLog::default()
            },
            truth: Vec::new(),
        };
        for a in 1..=n {
            log.push(
                0,
                Channel::Direct,
                Fields::Register {
                    account: account(a),
                },
                Some(a),
            );
        }
        log
    }

    /// Account `a` online during `[from, until)`.
    fn online(&mut self, a: u8, from: u64, until: u64) -> &mut Self {
        self.log.connections.push(Connection {
            account: account(a),
            from: at(from),
            until: at(until),
        });
        self
    }

    fn push(&mut self, t: u64, channel: Channel, fields: Fields, sender: Option<u8>) -> usize {
        self.push_sized(t, channel, fields, sender, 500)
    }

    fn push_sized(
        &mut self,
        t: u64,
        channel: Channel,
        fields: Fields,
        sender: Option<u8>,
        size: usize,
    ) -> usize {
        let request_type = match &fields {
            Fields::Register { .. } => RequestType::Register,
            Fields::ColdCall { .. } => RequestType::ColdCall,
            Fields::Reply { .. } => RequestType::Reply,
            Fields::FetchGroupKey { .. } => RequestType::FetchGroupKey,
            Fields::RenewToken { .. } => RequestType::RenewToken,
            Fields::Lookup => RequestType::Lookup,
            Fields::IssueDiscoveryTokens { .. } => RequestType::IssueDiscoveryTokens,
            Fields::RedeemStamps { .. } => RequestType::RedeemStamps,
            _ => RequestType::Release,
        };
        self.log.requests.push(LoggedRequest {
            arrival: at(t),
            channel,
            request_type,
            size,
            accepted: true,
            fields,
        });
        self.truth.push(sender.map(account));
        self.log.requests.len() - 1
    }

    /// An authenticated request of account `a` (a release).
    fn authenticated(&mut self, t: u64, a: u8) {
        self.push(
            t,
            Channel::Authenticated(account(a)),
            Fields::Other,
            Some(a),
        );
    }

    fn issue(&mut self, t: u64, a: u8, count: usize) {
        let window = at(t).window(DAY);
        self.push(
            t,
            Channel::Authenticated(account(a)),
            Fields::IssueDiscoveryTokens { window, count },
            Some(a),
        );
    }

    fn anonymous(&mut self, t: u64, fields: Fields, sender: u8) -> usize {
        self.push(t, Channel::Anonymous, fields, Some(sender))
    }

    fn guess(&self, request: usize) -> Guess {
        attribute(&self.log)
            .into_iter()
            .find(|g| g.request == request)
            .expect("every anonymous action gets a guess")
    }
}

fn reply(recipient: u8, timestamp: u64) -> Fields {
    Fields::Reply {
        recipient: account(recipient),
        timestamp: at(timestamp),
    }
}

fn fetch(recipient: u8, since: u32) -> Fields {
    Fields::FetchGroupKey {
        recipient: account(recipient),
        since_generation: Some(since),
    }
}

#[test]
fn adjacency_links_a_lookup_to_the_issuance_just_before_it() {
    let mut log = Log::new(3);
    for a in 1..=3 {
        log.online(a, 0, DAY);
    }
    log.issue(100, 1, 1);
    log.issue(2000, 2, 1);
    log.issue(3000, 3, 1);
    let lookup = log.anonymous(2001, Fields::Lookup, 2);
    let guess = log.guess(lookup);
    assert_eq!(guess.top, vec![account(2)]);
    assert_eq!(guess.candidates, 2, "3 had no tokens yet");
}

#[test]
fn adjacency_links_a_renewal_sent_beside_a_release_and_its_cold_call_with_it() {
    let mut log = Log::new(4);
    for a in 1..=4 {
        log.online(a, 0, DAY);
    }
    let token = [7u8; 32];
    let call = log.anonymous(
        600,
        Fields::ColdCall {
            recipient: account(4),
            token,
        },
        1,
    );
    log.authenticated(5000, 1);
    let renewal = log.anonymous(5000, Fields::RenewToken { token }, 1);
    assert_eq!(log.guess(renewal).top, vec![account(1)]);
    assert_eq!(log.guess(call).top, vec![account(1)]);
}

#[test]
fn a_renewal_points_at_the_accounts_redeeming_stamps_two_periods_later() {
    let mut log = Log::new(3);
    log.log.reputation_period = DAY;
    for a in 1..=3 {
        log.online(a, 0, 10 * DAY);
    }
    let renewal = log.anonymous(3600, Fields::RenewToken { token: [9; 32] }, 2);
    // Only account 2 redeems in the periods its stamp can be redeemed in; account 3 redeems
    // too early to hold it.
    log.push(
        2 * DAY + 7000,
        Channel::Authenticated(account(2)),
        Fields::RedeemStamps { count: 1 },
        Some(2),
    );
    log.push(
        DAY + 100,
        Channel::Authenticated(account(3)),
        Fields::RedeemStamps { count: 1 },
        Some(3),
    );
    assert_eq!(log.guess(renewal).top, vec![account(2)]);
    // Without the period in the log the strategy is off: a three-way tie.
    log.log.reputation_period = 0;
    assert_eq!(log.guess(renewal).top.len(), 3);
}

#[test]
fn a_burst_after_waking_points_at_the_account_that_connected() {
    let mut log = Log::new(3);
    log.online(1, 0, DAY).online(2, 0, DAY);
    log.online(3, 0, 1000).online(3, 8000, DAY);
    let renewal = log.anonymous(8001, Fields::RenewToken { token: [1; 32] }, 3);
    assert_eq!(log.guess(renewal).top, vec![account(3)]);
}

#[test]
fn counts_link_a_cluster_of_lookups_to_the_issuance_of_that_size() {
    let mut log = Log::new(3);
    for a in 1..=3 {
        log.online(a, 0, DAY);
    }
    log.issue(100, 1, 3);
    log.issue(200, 2, 1);
    log.issue(300, 3, 1);
    let lookups = [
        log.anonymous(5000, Fields::Lookup, 1),
        log.anonymous(5000, Fields::Lookup, 1),
        log.anonymous(5001, Fields::Lookup, 1),
    ];
    for l in lookups {
        assert_eq!(log.guess(l).top, vec![account(1)]);
    }
}

#[test]
fn a_stale_since_generation_links_the_replies_of_one_member() {
    // Account 4 owns the group; account 1 fetches twice from generation 1 while the group is
    // at 2. Online: at the first reply 1 and 3, at the second 1 and 2.
    let mut log = Log::new(4);
    log.online(1, 0, DAY).online(4, 0, DAY);
    log.online(2, 0, 500).online(2, 2500, DAY);
    log.online(3, 0, 2000);
    log.anonymous(120, fetch(4, 2), 2);
    log.anonymous(121, reply(4, 120), 2);
    log.anonymous(1000, fetch(4, 1), 1);
    let first = log.anonymous(1001, reply(4, 960), 1);
    log.anonymous(3000, fetch(4, 1), 1);
    let second = log.anonymous(3001, reply(4, 3000), 1);
    assert_eq!(log.guess(first).candidates, 2);
    assert_eq!(log.guess(first).top, vec![account(1)]);
    assert_eq!(log.guess(second).top, vec![account(1)]);
}

#[test]
fn a_large_reply_links_the_cold_call_it_answers() {
    // 1 cold-calls 2; 2's first answer to 1 carries an introduction and is large.
    let mut log = Log::new(4);
    for a in 1..=4 {
        log.online(a, 0, DAY);
    }
    let call = log.anonymous(
        600,
        Fields::ColdCall {
            recipient: account(2),
            token: [3; 32],
        },
        1,
    );
    let small = log.push_sized(3000, Channel::Anonymous, reply(1, 2940), Some(3), 700);
    let large = log.push_sized(5000, Channel::Anonymous, reply(1, 4980), Some(2), 2100);
    assert_eq!(log.guess(call).top, vec![account(1)]);
    assert_eq!(log.guess(large).top, vec![account(2)]);
    assert_eq!(log.guess(small).top.len(), 3, "a plain reply says nothing");
}

#[test]
fn exact_timestamp_offsets_link_the_replies_of_one_clock() {
    // Account 1's clock is 37 s behind; at each reply one other account is online too.
    let mut log = Log::new(4);
    log.online(1, 0, DAY).online(4, 0, DAY);
    log.online(2, 0, 2500).online(3, 2500, DAY);
    let first = log.anonymous(1000, reply(4, 963), 1);
    let other = log.anonymous(2000, reply(4, 1995), 2);
    let second = log.anonymous(4000, reply(4, 3963), 1);
    assert_eq!(log.guess(first).top, vec![account(1)]);
    assert_eq!(log.guess(second).top, vec![account(1)]);
    assert_eq!(log.guess(other).top.len(), 2);
}

#[test]
fn coarse_timestamps_link_nothing() {
    let mut log = Log::new(4);
    log.online(1, 0, DAY).online(4, 0, DAY);
    log.online(2, 0, 2500).online(3, 2500, DAY);
    let first = log.anonymous(1000, reply(4, 960), 1);
    log.anonymous(4000, reply(4, 3960), 1);
    assert_eq!(log.guess(first).top.len(), 2);
}

#[test]
fn a_token_shown_at_every_probe_narrows_to_who_was_online_at_each() {
    // The protocol shows the token, so the chance rate already counts the intersection.
    let mut log = Log::new(4);
    log.online(1, 0, DAY).online(4, 0, DAY);
    log.online(2, 0, 3000).online(3, 2000, DAY);
    let token = [9u8; 32];
    let call = log.anonymous(
        1000,
        Fields::ColdCall {
            recipient: account(4),
            token,
        },
        1,
    );
    let probe = log.anonymous(4000, Fields::RenewToken { token }, 1);
    for i in [call, probe] {
        let g = log.guess(i);
        assert_eq!(g.top, vec![account(1)]);
        assert_eq!(g.candidates, 1);
    }
}

#[test]
fn without_information_the_rate_is_exactly_chance() {
    let mut log = Log::new(5);
    for a in 1..=4 {
        log.online(a, 0, DAY);
    }
    log.online(5, 0, 1); // only the first second: absent for every action
                         // 5 holds no discovery tokens and is offline; 1 is the reply's recipient.
    for a in 1..=4 {
        log.issue(60 * u64::from(a), a, 1);
    }
    log.anonymous(10_000, Fields::Lookup, 2);
    log.anonymous(20_000, Fields::Lookup, 3);
    log.anonymous(30_000, reply(1, 29_940), 4);
    let scores = score(&log.log, &log.truth);
    for s in scores {
        assert_eq!(s.rate, s.chance, "{:?}", s.kind);
        match s.kind {
            Kind::Lookup => assert_eq!((s.actions, s.chance), (2, 0.25)),
            Kind::Reply => assert_eq!((s.actions, s.chance), (1, 1.0 / 3.0)),
            _ => assert_eq!(s.actions, 0),
        }
    }
}
