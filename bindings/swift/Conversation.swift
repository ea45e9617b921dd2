// A whole conversation driven from Swift through the exported state machines: one Server,
// Clients and the scheduled host loop of Host.swift. Registration (the SMS code from the
// server's outputs), discovery lookup, cold call, delivery and introduction, reply (after the
// group-key fetch), a message back, release after the timer, renewal (tokens back to five), and
// a block that revokes the blocked contact's member key; at every step the test checks when the
// requests left (SPEC.md 13.6), from the host's log of what reached the server. The clients draw
// from seeded VectorRngs, so every time below is the same on every run.

import Foundation
import blindpost

private let ALICE = "+15550001"
private let BOB = "+15550002"
private let CAROL = "+15550003"

/// Runs `client`'s host, awake, until it raises an event that `matches`; returns the events.
private func runUntilEvent(_ w: World, _ client: Client, _ what: String, _ matches: (Event) -> Bool) throws -> [Event] {
    var seen = [Event]()
    for _ in 0..<HOST_STEPS {
        guard let next = client.pollTimeout() else { break }
        try w.step(client, at: next)
        seen += w.events(client)
        if seen.contains(where: matches) { return seen }
    }
    throw CheckFailed(description: "no \(what) event after \(HOST_STEPS) clock moves")
}

func conversationTests() throws -> Bool {
    let t = Tests("swift conversation")

    t.test("whole conversation") {
        let w = try World()
        let s = hostSettings()
        // Alice looks up one number per batch, so that two lookups leave.
        let alice = try w.newClient(hostSettings(discoveryBatch: 1))
        let bob = try w.newClient()

        let events = try w.register(alice, ALICE)
        try t.eq(Event.codeRequested(phone: ALICE), events[0], "code requested")
        guard case let .registered(certificate, tokens) = events[1] else { throw CheckFailed(description: "\(events)") }
        try t.eq(5, tokens, "tokens at registration")
        try t.eq(ALICE, certificate.phone, "certificate phone")
        try t.eq(alice.account(), certificate.account, "certificate account")
        try t.eq(certificate, alice.certificate(), "stored certificate")
        try t.eq([ALICE], w.sms.map { $0.phone }, "SMS sent")
        // The code request and the registration leave when asked for; the window's discovery
        // tokens are asked for later, after a background delay, not with the registration.
        try t.eq([T0], w.sentBy(alice, .requestCode), "code request sent")
        try t.eq([T0], w.sentBy(alice, .register), "registration sent")
        let issued = w.sentBy(alice, .issueDiscoveryTokens)
        try t.eq(1, issued.count, "one issuance")
        let issuedAt = issued[0]
        try t.check(issuedAt > T0 && issuedAt <= T0 + s.backgroundDelayMax, "issuance at +\(issuedAt - T0)")
        let window = w.now / DAY
        try t.eq(s.discoveryTokens, alice.discoveryTokens(window: window), "discovery tokens held")
        try w.register(bob, BOB)
        try t.eq(5, bob.tokenCounts().available, "Bob's tokens")

        // Discovery: only Bob's number has an account. Each batch leaves at its own random time
        // in the rest of the window, none when it is asked for.
        let asked = w.now
        let windowEnd = (window + 1) * DAY
        try alice.lookup(now: w.now, phones: [PhoneNumber.parse(text: BOB), PhoneNumber.parse(text: "+15559999")])
        try t.eq(0, alice.discoveryTokens(window: window), "a token paired with each batch")
        try t.check(alice.pollTransmit(now: w.now) == nil, "no lookup leaves when it is asked for")
        let nextTime = alice.pollTimeout()!
        try t.check(nextTime > asked && nextTime < windowEnd, "next time +\(nextTime - asked)")
        try w.settle(alice)
        let lookups = w.sentBy(alice, .lookup)
        try t.eq(2, lookups.count, "lookups sent")
        try t.check(lookups[0] != lookups[1], "the two lookups leave at different times")
        for at in lookups {
            try t.check(at != issuedAt, "no lookup at the issuance's time")
            try t.check(at > asked && at < windowEnd, "lookup at +\(at - asked)")
        }
        let completed = w.events(alice).compactMap { e -> [Certificate]? in
            if case let .lookupCompleted(found) = e { return found }
            return nil
        }
        try t.eq(2, completed.count, "lookups completed")
        let found = completed.flatMap { $0 }
        try t.eq([BOB], found.map { $0.phone }, "lookup result")
        let bobCert = found[0]
        try t.eq(bob.account(), bobCert.account, "looked-up account")
        try t.eq(bob.account(), try accountIdForIdentityKey(identityKey: bobCert.identityKey), "account from identity key")

        // Cold call: it leaves at once, paying with one token, which stays attached to Bob.
        // Its host material is the offer of an Olm session, and it is sealed to Bob's host key.
        try t.check(bobCert.hostKey != nil, "Bob's certificate carries his host key")
        let offer = try w.offer(alice)
        try t.eq(64, offer.count, "offer length")
        let intro = try alice.composeIntroduction(now: w.now, recipientCertificate: bobCert.bytes, message: Data("hi bob".utf8), hostMaterial: offer)
        _ = try alice.sendColdCall(now: w.now, recipient: bobCert.account, sealed: w.sealFirstContact(alice, bobCert, intro))
        let call = alice.pollTransmit(now: w.now)!
        try t.eq(Channel.anonymous, call.channel, "cold call channel")
        try w.exchange(alice, call)
        try t.eq([w.now], w.sentBy(alice, .coldCall), "cold call sent at once")
        try t.eq([Event.coldCallSent(recipient: bob.account())], w.events(alice), "cold call sent")
        let counts = alice.tokenCounts()
        try t.eq([4, 1, 5], [counts.available, counts.attached, counts.total], "tokens after the cold call")

        guard case .coldCall = try decodeDelivery(bytes: w.queues[bob.account()]![0]) else { throw CheckFailed(description: "not a cold call") }
        let received = try w.deliver(bob)
        try t.eq([Event.introductionReceived(contact: alice.account(), phone: ALICE, message: Data("hi bob".utf8), hostMaterial: offer, coldCall: true)], received, "introduction")
        // Bob's host accepted the offer: an Olm session with Alice, which his replies go through.
        try t.check(try w.e2e(bob).hasSession(peer: alice.account()), "Bob has a session with Alice")
        try t.check(!(try w.e2e(alice).hasSession(peer: bob.account())), "Alice has none yet")
        let contact = bob.contacts()[0]
        try t.check(contact.canReply && contact.unreleased && !contact.introduced, "contact state \(contact)")

        // Bob replies under Alice's group, no token. The client fetches Alice's group key
        // first, after a short random delay: nothing leaves until then, and the reply right
        // after it.
        let reply = try bob.composeReply(now: w.now, contact: alice.account(), message: Data("hi alice".utf8), hostMaterial: Data())
        let replied = w.now
        let first = try bob.sendReply(now: w.now, contact: alice.account(), sealed: w.seal(bob, alice.account(), reply))
        try t.check(bob.pollTransmit(now: w.now) == nil, "the group-key fetch waits for its delay")
        let fetchAt = bob.pollTimeout()!
        try t.check(fetchAt > replied && fetchAt < replied + s.replyDelayMax, "fetch at +\(fetchAt - replied)")
        try w.step(bob, at: fetchAt - 1)
        try t.eq([], w.sentBy(bob, .fetchGroupKey), "not a second early")
        w.now = fetchAt
        try bob.handleTimeout(now: w.now)
        let fetch = bob.pollTransmit(now: w.now)!
        try t.eq(first, fetch.id, "first transmit is the fetch")
        try t.eq(Channel.anonymous, fetch.channel, "fetch channel")
        try w.exchange(bob, fetch)
        let replyTransmit = bob.pollTransmit(now: w.now)!
        try t.check(replyTransmit.id != first, "the reply itself follows the group-key fetch at once")
        try t.eq(Channel.anonymous, replyTransmit.channel, "reply channel")
        try w.exchange(bob, replyTransmit)
        try t.eq([fetchAt], w.sentBy(bob, .reply), "reply sent")
        try t.eq([Event.replySent(recipient: alice.account())], w.events(bob), "reply sent")
        try t.eq(5, bob.tokenCounts().available, "a reply costs no token")
        guard case .reply = try decodeDelivery(bytes: w.queues[alice.account()]![0]) else { throw CheckFailed(description: "not a reply") }
        try t.eq([Event.introductionReceived(contact: bob.account(), phone: BOB, message: Data("hi alice".utf8), hostMaterial: Data(), coldCall: false)], w.deliver(alice), "reply introduces Bob")
        try t.check(try w.e2e(alice).hasSession(peer: bob.account()), "Bob's first reply completed the session")

        // Alice answers under Bob's group; Bob opens the signature to Alice.
        try w.reply(alice, bob.account(), "how are you")
        try t.eq([Event.messageReceived(contact: alice.account(), message: Data("how are you".utf8), hostMaterial: Data())], w.deliver(bob), "message")

        // Bob's reply scheduled the release of Alice's token: min + min(exponential, max - min)
        // seconds after it (src/client/delay.rs, max included), and the release then leaves
        // after a background delay (at most backgroundDelayMax).
        try t.check(s.releaseDelayMean > 0, "the exponential delay")
        let releasedEvents = try runUntilEvent(w, bob, "tokenReleased") { $0 == .tokenReleased(contact: alice.account()) }
        try t.eq([Event.tokenReleased(contact: alice.account())], releasedEvents.filter { if case .tokenReleased = $0 { return true } else { return false } }, "released")
        let releases = w.sentBy(bob, .release)
        try t.eq(1, releases.count, "one release")
        try t.check(releases[0] >= replied + s.releaseDelayMin && releases[0] <= replied + s.releaseDelayMax + s.backgroundDelayMax, "release at +\(releases[0] - replied)")
        try t.check(!bob.contacts()[0].unreleased, "released contact")

        // Alice's renewal check turns the released token into a fresh one: the anonymous
        // renewal never leaves in the same second as one of her authenticated requests.
        try t.check(try runUntilEvent(w, alice, "tokenRenewed") { $0 == .tokenRenewed }.contains(.tokenRenewed), "token renewed")
        let after = alice.tokenCounts()
        try t.eq([5, 0, 0, 5], [after.available, after.attached, after.renewing, after.total], "tokens after renewal")
        let renewals = w.sentBy(alice, .renewToken)
        try t.check(!renewals.isEmpty, "a renewal sent")
        let together = w.sent.filter { sent in
            if case .authenticated = sent.channel { return renewals.contains(sent.at) }
            return false
        }
        try t.eq(0, together.count, "authenticated requests with a renewal")

        // The renewal of her accepted cold call earned a reputation stamp (SPEC.md 18.1); her
        // client redeems it on its own, over the authenticated channel, two to four reputation
        // periods later, for a sixth token.
        try t.eq(1, alice.stamps(), "stamps after the renewal")
        let renewedAt = renewals.last!
        try t.check(try runUntilEvent(w, alice, "stampsRedeemed") { $0 == .stampsRedeemed(credited: 1) }.contains(.stampsRedeemed(credited: 1)), "stamp redeemed")
        let redeemed = w.sentBy(alice, .redeemStamps)
        try t.eq(1, redeemed.count, "one redemption")
        let periods = redeemed[0] / s.reputationPeriod - renewedAt / s.reputationPeriod
        try t.check((2...4).contains(periods), "redeemed \(periods) periods after the renewal")
        try t.eq([0, 6], [alice.stamps(), alice.tokenCounts().total], "stamps and tokens after the redemption")
        try t.eq(1, try w.server.allowance(now: w.now, account: alice.account()).earned, "tokens earned")

        // Bob blocks Alice: her member key of his group is revoked and the record published at
        // once (so the revoked key stops working). Bob's host first sends what is already due
        // (while the clock ran for Alice, Bob's own timers may have come due).
        try w.pump(bob)
        let generation = bob.groupKey().generation()
        let upload = try bob.block(now: w.now, contact: alice.account())
        try t.check(upload != nil, "a revocation upload")
        let uploadTransmit = bob.pollTransmit(now: w.now)!
        try t.eq(upload, uploadTransmit.id, "the upload leaves at once")
        try w.exchange(bob, uploadTransmit)
        try t.eq([w.now], w.sentBy(bob, .uploadRevocation), "upload sent")
        try t.eq(generation + 1, bob.groupKey().generation(), "Bob's group generation")
        try t.eq([Event.contactBlocked(contact: alice.account())], w.events(bob), "blocked")
        try t.throwsError("reply to a blocked contact", isKind(ClientErrorKind.blocked)) {
            _ = try bob.composeReply(now: w.now, contact: alice.account(), message: Data("x".utf8), hostMaterial: Data())
        }

        // Alice's next reply fails at the group-key fetch: her key cannot follow the revocation.
        let replies = w.sentBy(alice, .reply).count
        let fetchId = try w.reply(alice, bob.account(), "let me in")
        let failed = w.events(alice).filter { if case .requestFailed = $0 { return true } else { return false } }
        guard failed.count == 1, case let .requestFailed(id, request, .client(error)) = failed[0], case .Group(.revoked, _) = error else {
            throw CheckFailed(description: "expected a revoked failure, got \(failed)")
        }
        try t.eq(fetchId, id, "failed request")
        try t.eq(RequestType.fetchGroupKey, request, "failed request type")
        try t.eq(replies, w.sentBy(alice, .reply).count, "the reply is dropped, not retried")
        try t.check(w.queues[bob.account()]?.isEmpty ?? true, "nothing reached Bob")
        try t.eq(0, alice.outstanding(), "outstanding")
        try t.check(try w.server.maintain(now: w.now + 400 * DAY) >= 1, "maintain purged state")
    }

    t.test("work due while the phone slept leaves at separate times") {
        let w = try World()
        let s = hostSettings()
        let alice = try w.newClient()
        let bob = try w.newClient()
        let carol = try w.newClient()
        try w.register(alice, ALICE)
        try w.register(bob, BOB)
        try w.register(carol, CAROL)
        // Alice cold-calls Bob: her token is attached, to be checked for renewal 30 to 60
        // minutes later. Carol cold-calls Alice, who accepts: the release is due 10 to 60
        // minutes later.
        try w.coldCall(alice, bob.certificate()!, "hi bob")
        try w.coldCall(carol, alice.certificate()!, "hi alice")
        let introductions = try w.deliver(alice).filter { if case .introductionReceived = $0 { return true } else { return false } }
        try t.eq(1, introductions.count, "Carol's introduction")
        try alice.accept(now: w.now, contact: carol.account())
        try t.eq(0, alice.outstanding(), "nothing to send before the sleep")

        // Her phone sleeps four hours; both fell due meanwhile. On waking nothing leaves at once.
        let woke = w.now + 4 * 3600
        try w.wake(alice, at: woke)
        try t.eq([], w.sentBy(alice, .release) + w.sentBy(alice, .renewToken), "sent at the wake")
        try t.check(alice.outstanding() >= 2, "release and renewal queued")
        try t.check(alice.pollTimeout()! > woke, "the next time is after the wake")

        // A careless host that asks for everything at once (a time past its clock) would send
        // the authenticated release and the anonymous renewal in the same second: the link the
        // schedule hides (SPEC.md 13.6).
        let careless = try Client.fromBytesWithVectorRng(rng: VectorRng(seed: Data("careless host".utf8)), bytes: alice.toBytes(), settings: s)
        var burst = [Channel]()
        while let tx = careless.pollTransmit(now: UInt64.max) { burst.append(tx.channel) }
        try t.check(burst.contains { if case .authenticated = $0 { return true } else { return false } }, "an authenticated request in the burst: \(burst)")
        try t.check(burst.contains(.anonymous), "an anonymous request in the burst: \(burst)")

        // The scheduled host sends each at its own random time after the wake.
        try w.settle(alice)
        let released = w.sentBy(alice, .release)
        let renewed = w.sentBy(alice, .renewToken)
        try t.eq([1, 1], [released.count, renewed.count], "one release and one renewal")
        try t.check(released[0] != renewed[0], "the release and the renewal leave apart")
        for at in released + renewed {
            try t.check(at > woke && at <= woke + s.backgroundDelayMax, "sent at +\(at - woke)")
        }
    }

    t.test("restored client resends and its cold call is queued again") {
        let w = try World()
        let s = hostSettings()
        let alice = try w.newClient()
        let bob = try w.newClient()
        try w.register(alice, ALICE)
        try w.register(bob, BOB)
        let cert = bob.certificate()!
        let intro = try alice.composeIntroduction(now: w.now, recipientCertificate: cert.bytes, message: Data("hello".utf8), hostMaterial: w.offer(alice))
        _ = try alice.sendColdCall(now: w.now, recipient: cert.account, sealed: w.sealFirstContact(alice, cert, intro))
        let saved = try alice.toBytes()
        let tx = alice.pollTransmit(now: w.now)!
        _ = try w.send(tx.channel, tx.bytes)  // taken by the server; the app died before the response

        // The app starts again two hours later: the cold call waited past its time, so it
        // leaves at a fresh random time, not at the restart.
        let restored = try Client.fromBytesWithVectorRng(rng: VectorRng(seed: Data("swift restored".utf8)), bytes: saved, settings: s)
        try t.eq(alice.account(), restored.account(), "restored account")
        try t.eq(1, restored.outstanding(), "outstanding after restore")
        let restarted = w.now + 2 * 3600
        try w.wake(restored, at: restarted)
        try t.eq([], w.sentBy(restored, .coldCall), "not resent at the restart")
        try w.settle(restored)
        let resent = w.sentBy(restored, .coldCall)
        try t.eq(1, resent.count, "resent once")
        try t.check(resent[0] > restarted && resent[0] <= restarted + s.backgroundDelayMax, "resent at +\(resent[0] - restarted)")
        try t.eq([Event.coldCallSent(recipient: bob.account())], w.events(restored), "cold call acknowledged")
        // The resend is answered as a duplicate and queues the cold call again under the same
        // handle, stamped with the resend's time (SPEC.md 12.8).
        try t.eq(2, w.queues[bob.account()]!.count, "queued again")
        try t.eq(1, restored.tokenCounts().attached, "one token attached")
        // The same sealed bytes twice: Bob's client takes the first and ignores the second.
        let sealed = try w.queues[bob.account()]!.map { try deliverySealedPayload(bytes: $0) }
        try t.eq(sealed[0], sealed[1], "resent as sealed, not sealed again")
        let introductions = try w.deliver(bob).filter { if case .introductionReceived = $0 { return true } else { return false } }
        try t.eq(1, introductions.count, "introduced once")
    }

    t.test("tampered, misdirected and replayed sealed payloads are refused") {
        let w = try World()
        let alice = try w.newClient()
        let bob = try w.newClient()
        let carol = try w.newClient()
        try w.register(alice, ALICE)
        try w.register(bob, BOB)
        try w.register(carol, "+15550003")
        try w.coldCall(alice, bob.certificate()!, "hi bob")
        let sealed = try deliverySealedPayload(bytes: w.queues[bob.account()]![0])
        func refused(_ kind: EndToEndErrorKind) -> (BlindpostError) -> Bool {
            { if case let .EndToEnd(actual, _) = $0 { return actual == kind } else { return false } }
        }
        for host in [w.e2e(bob), w.e2e(carol)] {
            let before = try host.toBytes()
            // The suite byte, the encapsulated key, the ciphertext and its tag, each flipped.
            let cases: [(Int, EndToEndErrorKind)] = [(0, .unknownSuite(suite: 0)), (1, .refused), (60, .refused), (sealed.count - 1, .refused)]
            for (i, kind) in cases {
                var tampered = sealed
                tampered[tampered.startIndex + i] ^= 1
                try t.throwsError("byte \(i) flipped", refused(kind)) { _ = try host.open(sealed: tampered) }
            }
            try t.eq(before, try host.toBytes(), "a refusal changes nothing")
        }
        try t.throwsError("misdirected", refused(.refused)) { _ = try w.e2e(carol).open(sealed: sealed) }
        let introductions = try w.deliver(bob).filter { if case .introductionReceived = $0 { return true } else { return false } }
        try t.eq(1, introductions.count, "the cold call opens for Bob")

        // Bob's reply opens once; the same sealed bytes again are a replay.
        try w.reply(bob, alice.account(), "hi alice")
        let reply = w.queues[alice.account()]![0]
        _ = try w.deliver(alice)
        try t.check(try w.e2e(alice).hasSession(peer: bob.account()), "the reply opened for Alice")
        let before = try w.e2e(alice).toBytes()
        try t.throwsError("replayed", refused(.replayed)) { _ = try w.e2e(alice).open(sealed: deliverySealedPayload(bytes: reply)) }
        try t.eq(before, try w.e2e(alice).toBytes(), "a refused replay changes nothing")
        // A reply cannot be sealed to a contact whose offer was never accepted.
        try t.throwsError("no session", refused(.noSession)) {
            _ = try w.e2e(carol).seal(recipientHostKey: alice.certificate()!.hostKey!, recipient: alice.account(), padded: Data(count: 256))
        }
    }

    t.test("send failure hands the request out again") {
        let w = try World()
        let alice = try w.newClient()
        let id = try alice.requestCode(now: w.now, phone: try PhoneNumber.parse(text: ALICE))
        try t.eq(id, alice.pollTransmit(now: w.now)?.id, "first hand-out")
        try t.check(alice.pollTransmit(now: w.now) == nil, "handed out once")
        try alice.handleSendFailure(id: id)
        try t.eq(id, alice.pollTransmit(now: w.now)?.id, "handed out again")
    }

    t.test("vector rng clients and servers are reproducible") {
        let s1 = try Server.newWithVectorRng(rng: VectorRng(seed: Data("swift world".utf8)), config: ServerConfig(), issuerName: ISSUER, now: T0)
        let s2 = try Server.newWithVectorRng(rng: VectorRng(seed: Data("swift world".utf8)), config: ServerConfig(), issuerName: ISSUER, now: T0)
        try t.eq(s1.publicKeys(), s2.publicKeys(), "same server keys")
        let keys = s1.publicKeys()
        let a = try Client.newWithVectorRng(rng: VectorRng(seed: Data("swift client".utf8)), serverKeys: keys, settings: hostSettings())
        let b = try Client.newWithVectorRng(rng: VectorRng(seed: Data("swift client".utf8)), serverKeys: keys, settings: hostSettings())
        try t.eq(a.toBytes(), b.toBytes(), "same client state")
        try t.check(a.account() != (try Client(serverKeys: keys, settings: hostSettings())).account(), "OS randomness differs")
    }

    t.test("clients and the server are shared between threads") {
        let w = try World()
        let clients = try (0..<4).map { _ in try w.newClient() }
        let lock = NSLock()
        var available = [UInt64](repeating: 0, count: 4)
        var errors = [String]()
        DispatchQueue.concurrentPerform(iterations: 4) { i in
            do {
                let client = clients[i]
                let number = try PhoneNumber.parse(text: "+1555010\(i)")
                _ = try client.requestCode(now: w.now, phone: number)
                var tx = client.pollTransmit(now: w.now)!
                var handled = try w.server.handle(now: w.now, channel: tx.channel, request: tx.bytes)
                try client.handleResponse(now: w.now, id: tx.id, response: handled.response)
                guard case let .sendCode(_, code) = handled.outputs[0] else { throw CheckFailed(description: "no code") }
                _ = try client.register(now: w.now, phone: number, code: code, hostKey: nil)
                tx = client.pollTransmit(now: w.now)!
                handled = try w.server.handle(now: w.now, channel: tx.channel, request: tx.bytes)
                try client.handleResponse(now: w.now, id: tx.id, response: handled.response)
                lock.lock(); available[i] = client.tokenCounts().available; lock.unlock()
            } catch {
                lock.lock(); errors.append("\(error)"); lock.unlock()
            }
        }
        try t.eq([], errors, "errors on threads")
        try t.eq([5, 5, 5, 5], available, "tokens per client")
    }

    t.test("a bulk sender claims the tier its proof earns") {
        // The operator's check is the host's: here a policy that grants 3 tokens a period to one
        // domain and refuses every other (the X.509 validation of the Rust server host is tested
        // in hosts/bulk-x509).
        final class OneDomain: BulkSenderCheck {
            func check(now: UInt64, identityKey: Data, proof: BulkProof) -> BulkDecision {
                if proof.domain == "mail.example.com" && identityKey.count == 48 {
                    return .granted(allowance: 3, validUntil: now + 86_400)
                }
                return .refused(reason: .noTier)
            }
        }
        let w = try World()
        w.server.setBulkCheck(check: OneDomain())
        let sender = try w.newClient()
        _ = try w.register(sender, ALICE)
        _ = w.events(sender)
        let key = sender.certificate()!.identityKey
        let message = try bulkProofSignedMessage(domain: "mail.example.com", identityKey: key)
        try t.check(message.suffix(key.count) == key, "the signed message ends with the identity key")
        func proof(_ domain: String) throws -> Data {
            try bulkProofEncode(proof: BulkProof(chain: [Data([0x30, 0x00])], domain: domain, scheme: 0x0403, signature: Data("signature".utf8)))
        }

        _ = try sender.claimBulkTokens(now: w.now, proof: try proof("mail.example.com"), count: 5)
        try w.settle(sender)
        try t.eq([Event.bulkTokensGranted(tokens: 3)], w.events(sender), "tokens granted")
        try t.eq(8, sender.tokenCounts().available, "tokens after the claim")
        try t.eq(3, try w.server.allowance(now: w.now, account: sender.account()).bulkThisPeriod, "bulk tokens this period")
        _ = try sender.claimBulkTokens(now: w.now, proof: try proof("other.example.com"), count: 1)
        try w.settle(sender)
        let failures = w.events(sender).compactMap { event -> FailureReason? in
            if case let .requestFailed(_, _, reason) = event { return reason }
            return nil
        }
        try t.eq([FailureReason.server(code: .bulkNoTier)], failures, "a domain without a tier")
        try t.throwsError("a non-canonical domain", isMalformed) {
            _ = try bulkProofEncode(proof: BulkProof(chain: [Data([0x30, 0x00])], domain: "Not.Canonical", scheme: 0x0403, signature: Data("s".utf8)))
        }
    }

    t.test("config defaults are the core's") {
        try t.eq(serverConfigRecommended(), ServerConfig(), "server config defaults")
        try t.eq(clientSettingsRecommended(), ClientSettings(), "client settings defaults")
        try t.throwsError("six registration tokens", isKind(ServerErrorKind.invalidConfig(field: "registration_tokens"))) {
            _ = try Server(config: ServerConfig(registrationTokens: 6), issuerName: ISSUER, now: T0)
        }
        let w = try World()
        let before = w.server.publicKeys()
        try t.check(!(try w.server.rotateDiscoveryKeys(now: T0)), "nothing to rotate")
        try t.check(try w.server.rotateDiscoveryKeys(now: T0 + 86_400), "next window's key made")
        let after = w.server.publicKeys()
        try t.check(after.discoveryTokens != before.discoveryTokens, "discovery keys changed")
        try t.eq(before.coldCallTokens, after.coldCallTokens, "cold-call keys kept")
    }

    return t.summary()
}
