// A whole conversation driven from Swift through the exported state machines: one Server, two
// Clients and the host loop of Host.swift. Registration (the SMS code from the server's
// outputs), discovery lookup, cold call, delivery and introduction, reply (after the group-key
// fetch), a message back, release after the timer, renewal (tokens back to five), and a block
// that revokes the blocked contact's member key.

import Foundation

private let ALICE = "+15550001"
private let BOB = "+15550002"

func conversationTests() throws -> Bool {
    let t = Tests("swift conversation")

    t.test("whole conversation") {
        let w = try World()
        let alice = try w.newClient()
        let bob = try w.newClient()

        let events = try w.register(alice, ALICE)
        try t.eq(Event.codeRequested(phone: ALICE), events[0], "code requested")
        guard case let .registered(certificate, tokens) = events[1] else { throw CheckFailed(description: "\(events)") }
        try t.eq(5, tokens, "tokens at registration")
        try t.eq(ALICE, certificate.phone, "certificate phone")
        try t.eq(alice.account(), certificate.account, "certificate account")
        try t.eq(certificate, alice.certificate(), "stored certificate")
        try t.eq([ALICE], w.sms.map { $0.phone }, "SMS sent")
        try w.register(bob, BOB)
        try t.eq(5, bob.tokenCounts().available, "Bob's tokens")

        // Discovery: only Bob's number has an account.
        try alice.lookup(now: w.now, phones: [PhoneNumber.parse(text: BOB), PhoneNumber.parse(text: "+15559999")])
        try w.pump(alice)
        let found = w.events(alice).compactMap { e -> [Certificate]? in
            if case let .lookupCompleted(found) = e { return found }
            return nil
        }
        try t.eq(1, found.count, "one lookup result")
        try t.eq([BOB], found[0].map { $0.phone }, "lookup result")
        let bobCert = found[0][0]
        try t.eq(bob.account(), bobCert.account, "looked-up account")
        try t.eq(bob.account(), try accountIdForIdentityKey(identityKey: bobCert.identityKey), "account from identity key")
        try t.eq(0, alice.discoveryTokens(window: w.now / 86_400), "the one discovery token was spent")

        // Cold call: one token, attached to Bob.
        let intro = try alice.composeIntroduction(now: w.now, recipientCertificate: bobCert.bytes, message: Data("hi bob".utf8), hostMaterial: Data("ratchet-a".utf8))
        _ = try alice.sendColdCall(recipient: bobCert.account, sealed: w.seal(bobCert.account, intro))
        try w.pump(alice)
        try t.eq([Event.coldCallSent(recipient: bob.account())], w.events(alice), "cold call sent")
        let counts = alice.tokenCounts()
        try t.eq([4, 1, 5], [counts.available, counts.attached, counts.total], "tokens after the cold call")

        guard case .coldCall = try decodeDelivery(bytes: w.queues[bob.account()]![0]) else { throw CheckFailed(description: "not a cold call") }
        let received = try w.deliver(bob)
        try t.eq([Event.introductionReceived(contact: alice.account(), phone: ALICE, message: Data("hi bob".utf8), hostMaterial: Data("ratchet-a".utf8), coldCall: true)], received, "introduction")
        let contact = bob.contacts()[0]
        try t.check(contact.canReply && contact.unreleased && !contact.introduced, "contact state \(contact)")

        // Bob replies under Alice's group: the group-key fetch first, then the reply.
        let reply = try bob.composeReply(now: w.now, contact: alice.account(), message: Data("hi alice".utf8), hostMaterial: Data("ratchet-b".utf8))
        let first = try bob.sendReply(now: w.now, contact: alice.account(), sealed: w.seal(alice.account(), reply))
        let fetch = bob.pollTransmit()!
        try t.eq(first, fetch.id, "first transmit is the fetch")
        try t.eq(Channel.anonymous, fetch.channel, "fetch channel")
        try bob.handleResponse(now: w.now, id: fetch.id, response: w.send(fetch.channel, fetch.bytes))
        let replyTransmit = bob.pollTransmit()!
        try t.check(replyTransmit.id != first, "the reply follows the fetch")
        try bob.handleResponse(now: w.now, id: replyTransmit.id, response: w.send(replyTransmit.channel, replyTransmit.bytes))
        try t.eq([Event.replySent(recipient: alice.account())], w.events(bob), "reply sent")
        try t.eq(5, bob.tokenCounts().available, "a reply costs no token")
        guard case .reply = try decodeDelivery(bytes: w.queues[alice.account()]![0]) else { throw CheckFailed(description: "not a reply") }
        try t.eq([Event.introductionReceived(contact: bob.account(), phone: BOB, message: Data("hi alice".utf8), hostMaterial: Data("ratchet-b".utf8), coldCall: false)], w.deliver(alice), "reply introduces Bob")

        // Alice answers under Bob's group; Bob opens the signature to Alice.
        let msg = try alice.composeReply(now: w.now, contact: bob.account(), message: Data("how are you".utf8), hostMaterial: Data())
        _ = try alice.sendReply(now: w.now, contact: bob.account(), sealed: w.seal(bob.account(), msg))
        try w.pump(alice)
        try t.eq([Event.messageReceived(contact: alice.account(), message: Data("how are you".utf8), hostMaterial: Data())], w.deliver(bob), "message")

        // The release: hostSettings() has no mean, so the delay is uniform on [min, max), max
        // excluded (src/client/delay.rs).
        let due = bob.pollTimeout()!
        let s = hostSettings()
        try t.eq(0, s.releaseDelayMean, "a uniform release delay")
        try t.check(due >= w.now + s.releaseDelayMin && due < w.now + s.releaseDelayMax, "release due at +\(due - w.now)")
        try w.advance(bob, to: due - 1)
        try t.eq([], w.events(bob), "nothing released early")
        try w.advance(bob, to: due)
        try t.eq([Event.tokenReleased(contact: alice.account())], w.events(bob), "released")
        try t.check(!bob.contacts()[0].unreleased, "released contact")

        // Alice's renewal check turns the released token into a fresh one.
        try w.advance(alice, to: alice.pollTimeout()!)
        try t.check(w.events(alice).contains(.tokenRenewed), "token renewed")
        let after = alice.tokenCounts()
        try t.eq([5, 0, 0, 5], [after.available, after.attached, after.renewing, after.total], "tokens after renewal")

        // Bob blocks Alice: revocation of her member key, published.
        let generation = bob.groupKey().generation()
        try t.check(try bob.block(contact: alice.account()) != nil, "a revocation upload")
        try w.pump(bob)
        try t.eq(generation + 1, bob.groupKey().generation(), "Bob's group generation")
        try t.eq([Event.contactBlocked(contact: alice.account())], w.events(bob), "blocked")
        try t.throwsError("reply to a blocked contact", isKind(ClientErrorKind.blocked)) {
            _ = try bob.composeReply(now: w.now, contact: alice.account(), message: Data("x".utf8), hostMaterial: Data())
        }

        // Alice's next reply fails at the group-key fetch.
        let last = try alice.composeReply(now: w.now, contact: bob.account(), message: Data("let me in".utf8), hostMaterial: Data())
        _ = try alice.sendReply(now: w.now, contact: bob.account(), sealed: w.seal(bob.account(), last))
        let tx = alice.pollTransmit()!
        try alice.handleResponse(now: w.now, id: tx.id, response: w.send(tx.channel, tx.bytes))
        let failed = w.events(alice)
        guard failed.count == 1, case let .requestFailed(id, request, .client(error)) = failed[0], case .Group(.revoked, _) = error else {
            throw CheckFailed(description: "expected a revoked failure, got \(failed)")
        }
        try t.eq(tx.id, id, "failed request")
        try t.eq(RequestType.fetchGroupKey, request, "failed request type")
        try t.check(alice.pollTransmit() == nil, "the reply is dropped")
        try t.check(w.queues[bob.account()]?.isEmpty ?? true, "nothing reached Bob")
        try t.eq(0, alice.outstanding(), "outstanding")
        try t.check(try w.server.maintain(now: w.now + 400 * 86_400) >= 1, "maintain purged state")
    }

    t.test("restored client resends and nothing is delivered twice") {
        let w = try World()
        let alice = try w.newClient()
        let bob = try w.newClient()
        try w.register(alice, ALICE)
        try w.register(bob, BOB)
        let cert = bob.certificate()!
        let intro = try alice.composeIntroduction(now: w.now, recipientCertificate: cert.bytes, message: Data("hello".utf8), hostMaterial: Data())
        _ = try alice.sendColdCall(recipient: cert.account, sealed: w.seal(cert.account, intro))
        let saved = try alice.toBytes()
        let tx = alice.pollTransmit()!
        _ = try w.send(tx.channel, tx.bytes)  // taken by the server; the app died before the response
        let restored = try Client.fromBytes(bytes: saved, settings: hostSettings())
        try t.eq(alice.account(), restored.account(), "restored account")
        try t.eq(1, restored.outstanding(), "outstanding after restore")
        try w.pump(restored)
        try t.eq([Event.coldCallSent(recipient: bob.account())], w.events(restored), "cold call acknowledged")
        try t.eq(1, w.queues[bob.account()]!.count, "queued once")
        try t.eq(1, restored.tokenCounts().attached, "one token attached")
    }

    t.test("send failure hands the request out again") {
        let alice = try World().newClient()
        let id = alice.requestCode(phone: try PhoneNumber.parse(text: ALICE))
        try t.eq(id, alice.pollTransmit()?.id, "first hand-out")
        try t.check(alice.pollTransmit() == nil, "handed out once")
        try alice.handleSendFailure(id: id)
        try t.eq(id, alice.pollTransmit()?.id, "handed out again")
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
                _ = client.requestCode(phone: number)
                var tx = client.pollTransmit()!
                var handled = try w.server.handle(now: w.now, channel: tx.channel, request: tx.bytes)
                try client.handleResponse(now: w.now, id: tx.id, response: handled.response)
                guard case let .sendCode(_, code) = handled.outputs[0] else { throw CheckFailed(description: "no code") }
                _ = try client.register(now: w.now, phone: number, code: code, hostKey: nil)
                tx = client.pollTransmit()!
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
