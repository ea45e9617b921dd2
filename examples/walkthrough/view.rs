//! Act 9: the server's view. A table of what each request type told the server, and the checks
//! that back each "cannot tell" with a scan of the recorded requests and of the store.
//!
//! The checks compare bytes: they show that an identifier is *absent* from what the server got
//! (and, as a control, that the same scan finds identifiers that are meant to be there). They
//! do not cover timing on the anonymous channel, which is the host's to blur.

use crate::header;
use crate::host::{fail, Context, Res, User};
use crate::walk::Walk;
use blindpost::account::{AccountId, Channel, ChannelKind};
use blindpost::simulation::{Received, World};
use blindpost::store::Store;
use blindpost::wire::{Request, RequestType};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// One check and its outcome.
pub struct Check {
    /// The tag the table refers to.
    pub tag: &'static str,
    /// Whether it held.
    pub passed: bool,
    /// What was checked and what was found.
    pub detail: String,
}

/// One request type as the server saw it.
pub struct Row {
    kind: RequestType,
    count: usize,
    refused: BTreeMap<&'static str, usize>,
}

/// The analysis of the run.
pub struct Report {
    rows: Vec<Row>,
    /// The checks, in tag order.
    pub checks: Vec<Check>,
    namespaces: Vec<(u8, usize, String)>,
    entries: usize,
}

/// A byte string to look for, and whose it is.
struct Pattern {
    owner: usize,
    bytes: Vec<u8>,
}

/// Finds many patterns (each at least 8 bytes) in a haystack in one pass, by indexing their
/// first 8 bytes.
struct Scanner {
    patterns: Vec<Pattern>,
    index: HashMap<[u8; 8], Vec<usize>>,
}

impl Scanner {
    fn new(patterns: Vec<Pattern>) -> Self {
        let mut index: HashMap<[u8; 8], Vec<usize>> = HashMap::new();
        for (i, p) in patterns.iter().enumerate() {
            if let Some(head) = p.bytes.get(..8).and_then(|h| <[u8; 8]>::try_from(h).ok()) {
                index.entry(head).or_default().push(i);
            }
        }
        Self { patterns, index }
    }

    /// The patterns found in `hay` (each once).
    fn find(&self, hay: &[u8]) -> Vec<&Pattern> {
        let mut found = BTreeSet::new();
        for (pos, window) in hay.windows(8).enumerate() {
            let Ok(head) = <[u8; 8]>::try_from(window) else {
                continue;
            };
            if let Some(candidates) = self.index.get(&head) {
                for &i in candidates {
                    if hay[pos..].starts_with(&self.patterns[i].bytes) {
                        found.insert(i);
                    }
                }
            }
        }
        found.into_iter().map(|i| &self.patterns[i]).collect()
    }
}

/// What the server learns from each request type, and what it cannot tell (with the checks
/// that back it).
fn claims(kind: RequestType) -> (&'static str, &'static str) {
    match kind {
        RequestType::RequestCode => (
            "a phone number wants a code (its host sends the SMS)",
            "- (a plain connection; nothing to hide yet)",
        ),
        RequestType::Register => (
            "phone number, identity key, group key; how many tokens are asked for",
            "which tokens it signed: the requests are blinded [T]",
        ),
        RequestType::ColdCall => (
            "the recipient; that one valid token was spent on it; when; the payload size",
            "the sender [A]; which registration the token came from [T]; one key for all [K]",
        ),
        RequestType::Reply => (
            "the recipient and its group generation; that some member of its group signed",
            "which member, or who [A][S][M]; the message (sealed end to end)",
        ),
        RequestType::FetchGroupKey => (
            "someone wants an account's group key (a reply to it may follow)",
            "who [A]",
        ),
        RequestType::RenewToken => (
            "some cold call's sender checks its token; once released, it takes a fresh one",
            "who [A]; the new token [T]",
        ),
        RequestType::Lookup => (
            "the numbers in the batch; that a token of this window paid",
            "who asked [A]; whose token it was [T]",
        ),
        RequestType::FetchKeys => ("someone fetched the public keys", "who [A]"),
        RequestType::Release => (
            "this account accepted or answered some cold call it got; roughly when",
            "who sent that cold call [B][L]",
        ),
        RequestType::UploadRevocation => (
            "this account revoked one member key of its group",
            "which contact held it [B][M]",
        ),
        RequestType::RotateGroupKey => ("this account replaced its group key", "-"),
        RequestType::IssueDiscoveryTokens => (
            "this account asked for k discovery tokens this window",
            "which lookups they paid for [T]",
        ),
        RequestType::RedeemStamps => (
            "this account's number had k renewals accepted, some periods ago (capped)",
            "which renewals, so which cold calls or recipients [T]",
        ),
        RequestType::ClaimBulkTokens => (
            "this account is a bulk sender for a domain; how many tokens it asks for",
            "which cold calls they pay for [T]",
        ),
    }
}

const ORDER: [RequestType; 14] = [
    RequestType::RequestCode,
    RequestType::Register,
    RequestType::FetchKeys,
    RequestType::IssueDiscoveryTokens,
    RequestType::Lookup,
    RequestType::ColdCall,
    RequestType::FetchGroupKey,
    RequestType::Reply,
    RequestType::Release,
    RequestType::RenewToken,
    RequestType::RedeemStamps,
    RequestType::UploadRevocation,
    RequestType::RotateGroupKey,
    RequestType::ClaimBulkTokens,
];

fn namespace_label(ns: u8) -> &'static str {
    // The layout of server/records.rs (SPEC.md 12.1).
    match ns {
        b'a' => "account records (phone, certificate, group key)",
        b'p' => "phone number -> account",
        b'k' => "checkpoints (masked member keys of the current generation)",
        b't' => "cold-call tokens seen",
        b'h' => "delivery handle -> token, recipient",
        b's' => "reply signatures seen (until the skew passes)",
        b'v' => "code sessions (until the code expires)",
        b'g' => "code checks per session",
        b'C' => "code requests (SMS) per phone number and period",
        b'R' => "registrations per phone number and period",
        b'i' => "token issuance per phone number",
        b'n' => "certificate serial counter",
        b'd' => "discovery tokens issued per phone number and window",
        b'D' => "discovery tokens spent (until the window ends)",
        b'q' => "discovery issuances counted (until the window ends)",
        b'S' => "reputation stamps spent (until their key expires)",
        b'E' => "tokens earned with stamps per phone number",
        b'e' => "stamps credited per phone number and period",
        b'r' => "stamp redemptions counted (for resends)",
        b'b' => "bulk-tier tokens per phone number and period",
        b'c' => "bulk claims counted (for resends)",
        _ => "(unknown namespace)",
    }
}

fn check(tag: &'static str, passed: bool, detail: String) -> Check {
    Check {
        tag,
        passed,
        detail,
    }
}

/// Whose account `account` is.
fn owner_of(users: &[User], account: &AccountId) -> Option<usize> {
    users.iter().position(|u| u.accounts.contains(account))
}

/// A request of the server's log with the user whose device sent it: the ground truth the
/// checks compare against, which the server never had.
struct Sent<'a> {
    request: &'a Received,
    from: usize,
}

impl std::ops::Deref for Sent<'_> {
    type Target = Received;

    fn deref(&self) -> &Received {
        self.request
    }
}

/// The server's log, each request with the user who sent it.
fn sent_by<'a>(world: &'a World, users: &[User]) -> Res<Vec<Sent<'a>>> {
    world
        .received
        .iter()
        .map(|request| {
            let from = request
                .sender
                .and_then(|a| owner_of(users, &a))
                .ctx(|| "a logged request came from no user's device".into())?;
            Ok(Sent { request, from })
        })
        .collect()
}

impl Walk {
    /// Act 9: the server's view: the table, the checks and the store.
    pub fn act9_view(&mut self) -> Res<()> {
        header(9, "What the server saw, and what it could not tell");
        say!(self, "Every request the server received is in the host's log, with the channel it came by. The checks");
        say!(self, "below scan those bytes and the server's store for things the server should not be able to tell;");
        say!(self, "the log's ground truth (which device sent what) is used only by the checks. Timing, order, counts");
        say!(
            self,
            "and sizes are the next act's subject (releases here came 1-24 h after the reply)."
        );
        let purged = self
            .world
            .server
            .maintain(self.world.now)
            .ctx(|| "maintain".into())?;
        let report = analyse(&self.world, &self.users)?;
        print(&report, purged);
        let failed: Vec<&Check> = report.checks.iter().filter(|c| !c.passed).collect();
        if let Some(first) = failed.first() {
            return Err(fail(format!(
                "{} check(s) failed, first: [{}] {}",
                failed.len(),
                first.tag,
                first.detail
            )));
        }
        self.end_act("9 server's view");
        Ok(())
    }
}

/// Runs every check over the log and the store.
pub fn analyse(world: &World, users: &[User]) -> Res<Report> {
    let log = sent_by(world, users)?;
    // Identifiers of every user: phone number, account ids, identity keys, group keys.
    let mut ids = Vec::new();
    for (i, u) in users.iter().enumerate() {
        ids.push(Pattern {
            owner: i,
            bytes: u.phone.as_bytes().to_vec(),
        });
        for a in &u.accounts {
            ids.push(Pattern {
                owner: i,
                bytes: a.as_bytes().to_vec(),
            });
        }
        for k in &u.identity_keys {
            ids.push(Pattern {
                owner: i,
                bytes: k.to_vec(),
            });
        }
        for g in &u.group_keys {
            ids.push(Pattern {
                owner: i,
                bytes: g.clone(),
            });
        }
    }
    let ids = Scanner::new(ids);
    let decoded: Vec<Option<Request>> = log
        .iter()
        .map(|s| Request::from_bytes(&s.bytes).ok())
        .collect();
    let mut checks = Vec::new();

    // [A] Anonymous requests carry nothing of their sender.
    let (mut anonymous, mut sender_hits, mut addressed, mut recipient_hits) = (0, 0, 0, 0);
    for s in &log {
        if s.channel != Channel::Anonymous {
            continue;
        }
        anonymous += 1;
        let found = ids.find(&s.bytes);
        sender_hits += found.iter().filter(|p| p.owner == s.from).count();
        if matches!(
            s.request_type,
            RequestType::ColdCall | RequestType::Reply | RequestType::FetchGroupKey
        ) {
            addressed += 1;
            if found
                .iter()
                .any(|p| p.owner != s.from && p.bytes.len() == 32)
            {
                recipient_hits += 1;
            }
        }
    }
    checks.push(check(
        "A",
        sender_hits == 0 && recipient_hits == addressed,
        format!(
            "{anonymous} anonymous requests scanned for their own sender's phone number, account id, identity key and group key: {sender_hits} matches\n(control: the same scan finds the recipient's account id in {recipient_hits} of {addressed} cold calls, replies and key fetches)"
        ),
    ));

    // [B] Requests on direct and authenticated channels name only their own account.
    let (mut named, mut foreign, mut registers, mut registers_own) = (0, 0, 0, 0);
    for s in &log {
        let owner = match s.channel {
            Channel::Anonymous => continue,
            Channel::Direct => Some(s.from),
            Channel::Authenticated(a) => owner_of(users, &a),
        };
        named += 1;
        let found = ids.find(&s.bytes);
        foreign += found.iter().filter(|p| Some(p.owner) != owner).count();
        if s.request_type == RequestType::Register {
            registers += 1;
            // Phone, identity key and group key of the registering user.
            let own: BTreeSet<usize> = found
                .iter()
                .filter(|p| p.owner == s.from)
                .map(|p| p.bytes.len())
                .collect();
            if own.len() >= 3 {
                registers_own += 1;
            }
        }
    }
    checks.push(check(
        "B",
        foreign == 0 && registers_own == registers,
        format!(
            "{named} direct and authenticated requests (registrations, releases, revocations, token issuance) scanned for anyone else's identifiers: {foreign} matches\n(control: {registers_own} of {registers} registrations carry their own phone number, identity key and group key)"
        ),
    ));

    // [T] Spent tokens never appear in the issuance messages the server signed.
    let mut spent = Vec::new();
    let mut issuance: Vec<u8> = Vec::new();
    let mut cold_keys = BTreeSet::new();
    let mut discovery_keys = BTreeSet::new();
    let mut lookup_windows = BTreeSet::new();
    let window_seconds = world.server.config().discovery.window_seconds;
    for (s, r) in log.iter().zip(&decoded) {
        match r {
            Some(Request::ColdCall(c)) => {
                spent.push(c.token.clone());
                cold_keys.insert(c.token.token_key_id());
            }
            Some(Request::RenewToken {
                token,
                request,
                stamp,
            }) => {
                spent.push(token.clone());
                cold_keys.insert(token.token_key_id());
                issuance.extend_from_slice(&request.to_bytes());
                issuance.extend_from_slice(&stamp.to_bytes());
                issuance.extend_from_slice(&s.response);
            }
            Some(Request::Lookup { token, .. }) => {
                spent.push(token.clone());
                discovery_keys.insert(token.token_key_id());
                lookup_windows.insert(s.now.window(window_seconds));
            }
            Some(Request::Register(_) | Request::IssueDiscoveryTokens { .. }) => {
                issuance.extend_from_slice(&s.bytes);
                issuance.extend_from_slice(&s.response);
            }
            _ => {}
        }
    }
    let token_parts = Scanner::new(
        spent
            .iter()
            .enumerate()
            .flat_map(|(i, t)| {
                [
                    Pattern {
                        owner: i,
                        bytes: t.nonce().to_vec(),
                    },
                    Pattern {
                        owner: i,
                        bytes: t.authenticator().to_vec(),
                    },
                ]
            })
            .collect(),
    );
    let in_issuance = token_parts.find(&issuance).len();
    let spending: Vec<u8> = log
        .iter()
        .filter(|s| {
            matches!(
                s.request_type,
                RequestType::ColdCall | RequestType::RenewToken | RequestType::Lookup
            )
        })
        .flat_map(|s| s.bytes.iter().copied())
        .collect();
    let in_spending = token_parts.find(&spending).len();
    checks.push(check(
        "T",
        in_issuance == 0 && in_spending == 2 * spent.len(),
        format!(
            "{} spent tokens (cold calls, renewals, lookups): their nonces and signatures occur {in_issuance} times in the {} KB of issuance requests and responses the server saw (blind signing)\n(control: all {in_spending} of {} occur in the requests that spent them)",
            spent.len(),
            issuance.len() / 1024,
            2 * spent.len()
        ),
    ));

    // [K] One token key for everybody: a per-user key would tag senders.
    let published: BTreeSet<_> = world
        .server
        .public_keys()
        .cold_call_tokens
        .entries()
        .iter()
        .map(|e| e.key().id())
        .collect();
    checks.push(check(
        "K",
        cold_keys.len() == 1
            && cold_keys.is_subset(&published)
            && discovery_keys.len() == lookup_windows.len(),
        format!(
            "cold-call tokens spent name {} key(s), the one published key; discovery tokens name {} key(s) for {} window(s) with lookups",
            cold_keys.len(),
            discovery_keys.len(),
            lookup_windows.len()
        ),
    ));

    // [S] No value in a reply signature repeats (a per-member constant would link replies).
    let mut points = HashSet::new();
    let mut repeats = 0;
    let mut signers: BTreeMap<AccountId, BTreeSet<usize>> = BTreeMap::new();
    let mut signatures = 0;
    for (s, r) in log.iter().zip(&decoded) {
        if let Some(Request::Reply(reply)) = r {
            signatures += 1;
            let bytes = reply.signature.to_bytes();
            for part in bytes.get(1..).unwrap_or_default().chunks(48).take(3) {
                if !points.insert(part.to_vec()) {
                    repeats += 1;
                }
            }
            if s.refused.is_none() {
                signers.entry(reply.recipient).or_default().insert(s.from);
            }
        }
    }
    let shared = signers.values().filter(|s| s.len() >= 2).count();
    checks.push(check(
        "S",
        repeats == 0,
        format!(
            "{signatures} reply signatures: {repeats} of their {} points T1, T2, T3 repeat; {shared} of {} recipients got accepted replies from 2 or more different members, all checked against the group key alone",
            3 * signatures,
            signers.len()
        ),
    ));

    // [M] Member keys never reach the server, except the revoked one in its record.
    let revoked: BTreeSet<[u8; 48]> = decoded
        .iter()
        .filter_map(|r| match r {
            Some(Request::UploadRevocation { record, .. }) => Some(record.revoked().to_bytes()),
            _ => None,
        })
        .collect();
    let members = Scanner::new(
        users
            .iter()
            .flat_map(|u| u.introductions.values())
            .map(|(_, m)| {
                let id = m.id().to_bytes();
                Pattern {
                    owner: usize::from(revoked.contains(&id)),
                    bytes: id.to_vec(),
                }
            })
            .collect(),
    );
    let handed_out = members.patterns.len();
    let (mut elsewhere, mut in_uploads, mut uploads) = (0, 0, 0);
    for s in &log {
        let found = members.find(&s.bytes);
        if s.request_type == RequestType::UploadRevocation {
            uploads += 1;
            in_uploads += found.iter().filter(|p| p.owner == 1).count();
            elsewhere += found.iter().filter(|p| p.owner == 0).count();
        } else {
            elsewhere += found.len();
        }
    }
    let snapshot = world
        .server
        .store()
        .snapshot(world.now)
        .ctx(|| "store snapshot".into())?;
    let (mut store_other, mut store_a) = (0, 0);
    for (k, v) in &snapshot {
        let mut hay = k.clone();
        hay.extend_from_slice(v);
        for p in members.find(&hay) {
            match (p.owner, k.first()) {
                (1, Some(b'a')) => store_a += 1,
                _ => store_other += 1,
            }
        }
    }
    checks.push(check(
        "M",
        elsewhere == 0
            && store_other == 0
            && in_uploads == uploads
            && revoked.len() == uploads,
        format!(
            "{handed_out} member keys were handed out in introductions; {} were never revoked: their ids occur in {elsewhere} requests and {store_other} store entries\n(the {} revoked one occurs in its revocation upload ({in_uploads}) and the group key built from it ({store_a}); checkpoints hold the others' keys masked; none names a contact)",
            handed_out - revoked.len(),
            revoked.len()
        ),
    ));

    // [L] The store links no two users; token and handle records name the recipient only.
    let mut linking = 0;
    let mut account_records = (0, 0);
    for (k, v) in &snapshot {
        let mut hay = k.clone();
        hay.extend_from_slice(v);
        let owners: BTreeSet<usize> = ids.find(&hay).iter().map(|p| p.owner).collect();
        if owners.len() >= 2 {
            linking += 1;
        }
        if k.first() == Some(&b'a') {
            account_records.1 += 1;
            if owners.len() == 1 {
                account_records.0 += 1;
            }
        }
    }
    let store = world.server.store();
    let (mut calls, mut sender_in_records, mut recipient_in_records) = (0, 0, 0);
    for (s, r) in log.iter().zip(&decoded) {
        let (Some(handle), Some(Request::ColdCall(call))) = (s.handle, r) else {
            continue;
        };
        calls += 1;
        let mut handle_key = vec![b'h'];
        handle_key.extend_from_slice(&handle.0);
        let record = store
            .get(&handle_key, world.now)
            .ctx(|| "store".into())?
            .ctx(|| "a handle record is missing".into())?;
        let mut token_key = vec![b't'];
        token_key.extend_from_slice(record.get(1..33).unwrap_or_default());
        let state = store
            .get(&token_key, world.now)
            .ctx(|| "store".into())?
            .ctx(|| "a token record is missing".into())?;
        for value in [&record, &state] {
            let found = ids.find(value);
            sender_in_records += found.iter().filter(|p| p.owner == s.from).count();
            if found
                .iter()
                .any(|p| p.bytes.as_slice() == call.recipient.as_bytes())
            {
                recipient_in_records += 1;
            }
        }
    }
    checks.push(check(
        "L",
        linking == 0 && sender_in_records == 0 && account_records.0 == account_records.1,
        format!(
            "{} store entries: {linking} name two or more users; the handle and token records of {calls} cold calls name their sender {sender_in_records} times\n(control: they name the recipient {recipient_in_records} times; {} of {} account records name their own user)",
            snapshot.len(),
            account_records.0,
            account_records.1
        ),
    ));

    // The table rows.
    let mut rows = Vec::new();
    for kind in ORDER {
        let seen: Vec<_> = log.iter().filter(|s| s.request_type == kind).collect();
        if seen.is_empty() {
            continue;
        }
        let mut refused = BTreeMap::new();
        for s in &seen {
            if let Some(code) = s.refused {
                *refused.entry(code.name()).or_insert(0) += 1;
            }
        }
        rows.push(Row {
            kind,
            count: seen.len(),
            refused,
        });
    }

    // The store by namespace.
    let mut namespaces: BTreeMap<u8, (usize, [usize; 3])> = BTreeMap::new();
    for (k, v) in &snapshot {
        let ns = k.first().copied().unwrap_or(0);
        let e = namespaces.entry(ns).or_default();
        e.0 += 1;
        if ns == b't' {
            // version, u64 expiry, then the state: 1 attached, 2 released, 3 renewed.
            if let Some(state @ 1..=3) = v.get(9) {
                e.1[usize::from(*state) - 1] += 1;
            }
        }
    }
    let namespaces = namespaces
        .into_iter()
        .map(|(ns, (n, states))| {
            let extra = if ns == b't' {
                format!(
                    " ({} attached, {} released, {} renewed)",
                    states[0], states[1], states[2]
                )
            } else {
                String::new()
            };
            (ns, n, extra)
        })
        .collect();
    let entries = store.entry_count().ctx(|| "store".into())?;
    Ok(Report {
        rows,
        checks,
        namespaces,
        entries,
    })
}

/// Prints the table, the checks and the store.
pub fn print(report: &Report, purged: usize) {
    out!("  request                 channel         count  the server learns / cannot tell");
    for row in &report.rows {
        let (learns, cannot) = claims(row.kind);
        let channel = row.kind.channel();
        let refused = if row.refused.is_empty() {
            String::new()
        } else {
            let parts: Vec<String> = row
                .refused
                .iter()
                .map(|(code, n)| format!("{n} {code}"))
                .collect();
            format!("  (refused: {})", parts.join(", "))
        };
        out!(
            "  {:<23} {:<15} {:>5}{refused}",
            row.kind.name(),
            channel_name(channel),
            row.count
        );
        out!("      learns       {learns}");
        out!("      cannot tell  {cannot}");
    }
    out!("\n  checks (bytes the server received and stored, scanned):");
    for c in &report.checks {
        let mut lines = c.detail.lines();
        out!(
            "  [{}] {:<4} {}",
            c.tag,
            if c.passed { "ok" } else { "FAIL" },
            lines.next().unwrap_or_default()
        );
        for line in lines {
            out!("           {line}");
        }
    }
    out!(
        "\n  the store after maintain() ({} entries, {purged} expired ones purged just now):",
        report.entries
    );
    for (ns, n, extra) in &report.namespaces {
        out!(
            "    {}  {:<52} {n:>6}{extra}",
            char::from(*ns),
            namespace_label(*ns)
        );
    }
}

fn channel_name(kind: ChannelKind) -> String {
    kind.to_string()
}
