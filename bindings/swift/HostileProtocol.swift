// Hostile input through the phase-2 exports from Swift: every new decoder and every input of the
// Client and the Server. Random bytes, truncations, extensions and bit flips must each throw a
// typed BlindpostError (never a crash of the process) and leave a Client's toBytes() unchanged;
// the server answers any request bytes with a refusal, never a throw.

import Foundation
import blindpost

private let LENGTHS = [0, 1, 2, 31, 32, 33, 48, 85, 181, 256, 337, 342, 389, 486, 913, 1000, 70000]

private func flipped(_ data: Data, _ i: Int, _ mask: UInt8) -> Data {
    var out = Data(data)
    out[i] ^= mask
    return out
}

func hostileProtocolTests() throws -> Bool {
    let t = Tests("swift hostile protocol input")
    let rng = VectorRng(seed: Data("blindpost/v1 hostile protocol input".utf8))
    func random(_ n: Int) throws -> Data {
        var out = Data()
        while out.count < n { out += try rng.nextBytes(length: UInt32(min(n - out.count, 1 << 20))) }
        return out
    }
    let bbs = try J.file("bbs04.json")
    let tokens = try J.file("tokens.json")
    let group = try GroupPublicKey.fromBytes(bytes: bbs["generation0"]["group_key"].hex)
    let prepared = PreparedGroupKey(groupKey: group)
    let keySet = try TokenKeySet.fromBytes(bytes: tokens["key_set"].hex)
    let issuer = try TokenIssuer(keys: [BlindRsaSecretKey.fromPkcs8Pem(pem: tokens["issuer_secret_key_pem"].str)])
    let pending = try PendingToken.fromBytes(bytes: tokens["cases"][0]["pending_token"].hex)
    let challenge = try TokenChallenge.fromBytes(bytes: tokens["cases"][0]["challenge"].hex)
    let rsa = try BlindRsaPublicKey.fromSpkiDer(der: keySet.entries()[0].spki)

    let w = try World()
    let alice = try w.newClient()
    let bob = try w.newClient()
    try w.register(alice, "+15550001")
    try w.register(bob, "+15550002")
    let cert = bob.certificate()!
    let intro = try alice.composeIntroduction(now: w.now, recipientCertificate: cert.bytes, message: Data("hi".utf8), hostMaterial: w.offer(alice))
    _ = try alice.sendColdCall(now: w.now, recipient: cert.account, sealed: w.sealFirstContact(alice, cert, intro))
    let coldCall = alice.pollTransmit(now: w.now)!
    try alice.handleResponse(now: w.now, id: coldCall.id, response: w.send(coldCall.channel, coldCall.bytes))
    let delivery = w.queues.removeValue(forKey: bob.account())![0]
    let opened = try w.open(bob.account(), deliverySealedPayload(bytes: delivery)).payload

    func keys(certificateIssuers: Data? = nil, coldCall: Data? = nil, discovery: Data? = nil) -> ServerKeys {
        let k = w.server.publicKeys()
        return ServerKeys(certificateIssuers: certificateIssuers ?? k.certificateIssuers, coldCallTokens: coldCall ?? k.coldCallTokens, discoveryTokens: discovery ?? k.discoveryTokens, stampTokens: k.stampTokens)
    }

    let decoders: [(String, (Data) throws -> Void)] = [
        ("GroupSignature.fromBytes", { _ = try GroupSignature.fromBytes(bytes: $0) }),
        ("GroupPublicKey.fromBytes", { _ = try GroupPublicKey.fromBytes(bytes: $0) }),
        ("MemberKey.fromBytes", { _ = try MemberKey.fromBytes(bytes: $0) }),
        ("GroupManagerKey.fromBytes", { _ = try GroupManagerKey.fromBytes(bytes: $0) }),
        ("RevocationRecord.fromBytes", { _ = try RevocationRecord.fromBytes(bytes: $0) }),
        ("TokenChallenge.fromBytes", { _ = try TokenChallenge.fromBytes(bytes: $0) }),
        ("TokenKeySet.fromBytes", { _ = try TokenKeySet.fromBytes(bytes: $0) }),
        ("PendingToken.fromBytes", { _ = try PendingToken.fromBytes(bytes: $0) }),
        ("PendingToken.finalize", { _ = try pending.finalize(response: $0) }),
        ("TokenIssuer.issue", { _ = try issuer.issue(request: $0) }),
        ("decodeToken", { _ = try decodeToken(bytes: $0) }),
        ("verifyToken", { try verifyToken(token: $0, challenge: challenge, keySet: keySet) }),
        ("tokenKeyId", { _ = try tokenKeyId(spki: $0) }),
        ("BlindRsaPublicKey.fromSpkiDer", { _ = try BlindRsaPublicKey.fromSpkiDer(der: $0) }),
        ("BlindRsaPublicKey.verify", { try rsa.verify(variant: .sha384PssDeterministic, inputMsg: Data("m".utf8), signature: $0) }),
        ("BlindRsaPublicKey.finalize", { _ = try rsa.finalize(variant: .sha384PssDeterministic, inputMsg: Data("m".utf8), blindSig: $0, inverse: $0) }),
        ("BlindRsaSecretKey.fromPkcs8Der", { _ = try BlindRsaSecretKey.fromPkcs8Der(der: $0) }),
        ("BlindRsaSecretKey.fromPkcs8Pem", { _ = try BlindRsaSecretKey.fromPkcs8Pem(pem: String(decoding: $0, as: UTF8.self)) }),
        ("decodeDelivery", { _ = try decodeDelivery(bytes: $0) }),
        ("deliverySealedPayload", { _ = try deliverySealedPayload(bytes: $0) }),
        ("accountIdForIdentityKey", { _ = try accountIdForIdentityKey(identityKey: $0) }),
        ("Client.fromBytes", { _ = try Client.fromBytes(bytes: $0, settings: ClientSettings()) }),
        ("Client (certificate issuers)", { _ = try Client(serverKeys: keys(certificateIssuers: $0), settings: ClientSettings()) }),
        ("Client (cold-call token keys)", { _ = try Client(serverKeys: keys(coldCall: $0), settings: ClientSettings()) }),
        ("Client (discovery token keys)", { _ = try Client(serverKeys: keys(discovery: $0), settings: ClientSettings()) }),
    ]

    t.test("random bytes through every decoder") {
        for (name, call) in decoders {
            for n in LENGTHS {
                let data = try random(n)
                try t.throwsError("\(name), \(n) random bytes") { try call(data) }
            }
        }
        for n in LENGTHS where n != 32 {
            let data = try random(n)
            try t.throwsError("sendColdCall to a \(n)-byte account") { _ = try alice.sendColdCall(now: w.now, recipient: data, sealed: Data("s".utf8)) }
        }
    }

    t.test("truncations and extensions") {
        let cases: [((Data) throws -> Void, Data)] = [
            ({ _ = try GroupSignature.fromBytes(bytes: $0) }, bbs["signatures"][0]["signature"].hex),
            ({ _ = try GroupPublicKey.fromBytes(bytes: $0) }, bbs["generation0"]["group_key"].hex),
            ({ _ = try MemberKey.fromBytes(bytes: $0) }, bbs["members"][0].hex),
            ({ _ = try GroupManagerKey.fromBytes(bytes: $0) }, bbs["generation0"]["manager_key"].hex),
            ({ _ = try RevocationRecord.fromBytes(bytes: $0) }, bbs["revocation"]["record"].hex),
            ({ _ = try TokenChallenge.fromBytes(bytes: $0) }, tokens["cases"][1]["challenge"].hex),
            ({ _ = try TokenKeySet.fromBytes(bytes: $0) }, tokens["key_set"].hex),
            ({ _ = try PendingToken.fromBytes(bytes: $0) }, tokens["cases"][0]["pending_token"].hex),
            ({ _ = try decodeToken(bytes: $0) }, tokens["cases"][0]["token"].hex),
            ({ _ = try pending.finalize(response: $0) }, tokens["cases"][0]["token_response"].hex),
            ({ _ = try BlindRsaPublicKey.fromSpkiDer(der: $0) }, keySet.entries()[0].spki),
            ({ _ = try decodeDelivery(bytes: $0) }, delivery),
            ({ _ = try Client.fromBytes(bytes: $0, settings: ClientSettings()) }, try bob.toBytes()),
        ]
        for (call, valid) in cases {
            try call(valid)
            for n in stride(from: 0, to: valid.count, by: max(1, valid.count / 300)) {
                try t.throwsError("truncated to \(n)") { try call(valid.prefix(n)) }
            }
            for extra in [Data([0]), Data(repeating: 0xff, count: 9)] {
                try t.throwsError("extended") { try call(valid + extra) }
            }
        }
    }

    t.test("group signature bit flips") {
        let s = bbs["signatures"][0]
        let sig = s["signature"].hex
        for i in 0..<sig.count {
            let bad = flipped(sig, i, i % 2 == 1 ? 0x01 : 0x80)
            try t.throwsError("flipped byte \(i)") {
                try prepared.verify(context: s["context"].hex, message: s["message"].hex, signature: GroupSignature.fromBytes(bytes: bad))
            }
        }
    }

    func refuses(_ client: Client, _ what: String, _ call: () throws -> Void) throws {
        let before = try client.toBytes()
        try t.throwsError(what, { _ in true }, call)
        try t.check(client.toBytes() == before, "\(what): client changed by a refused input")
    }

    t.test("client inputs") {
        let id = alice.refreshKeys(now: w.now)
        try t.eq(id, alice.pollTransmit(now: w.now)?.id, "a fetch the host asked for leaves at once")
        for n in LENGTHS {
            let data = try random(n)
            try refuses(alice, "response of \(n) random bytes") { try alice.handleResponse(now: w.now, id: id, response: data) }
            try refuses(bob, "delivery of \(n) random bytes") { try bob.handleDelivery(now: w.now, delivery: data, opened: opened) }
            try refuses(bob, "payload of \(n) random bytes") { try bob.handleDelivery(now: w.now, delivery: delivery, opened: data) }
        }
        try refuses(alice, "unknown request") { try alice.handleResponse(now: w.now, id: 999_999, response: Data([1])) }
        try refuses(alice, "send failure of an unknown request") { try alice.handleSendFailure(id: 999_999) }
        let other = try w.send(coldCall.channel, coldCall.bytes)
        try refuses(alice, "response to another kind of request") { try alice.handleResponse(now: w.now, id: id, response: other) }
        for n in 0..<delivery.count {
            try refuses(bob, "delivery truncated to \(n)") { try bob.handleDelivery(now: w.now, delivery: delivery.prefix(n), opened: opened) }
        }
        for n in stride(from: 0, to: opened.count, by: 7) {
            try refuses(bob, "payload truncated to \(n)") { try bob.handleDelivery(now: w.now, delivery: delivery, opened: opened.prefix(n)) }
        }
        for i in stride(from: 0, to: opened.count, by: max(1, opened.count / 250)) {
            let bad = flipped(opened, i, 0x04)
            try refuses(bob, "payload with byte \(i) flipped") { try bob.handleDelivery(now: w.now, delivery: delivery, opened: bad) }
        }
        for i in 0..<32 {
            let before = try bob.toBytes()
            do {
                try bob.handleDelivery(now: w.now, delivery: flipped(delivery, i, 0x10), opened: opened)
            } catch is BlindpostError {
                try t.check(bob.toBytes() == before, "delivery byte \(i): refused but changed")
            }
        }
        try refuses(alice, "reply to a stranger") { _ = try alice.composeReply(now: w.now, contact: Data(count: 32), message: Data("m".utf8), hostMaterial: Data()) }
        let garbage = try random(300)
        try refuses(alice, "introduction for garbage") { _ = try alice.composeIntroduction(now: w.now, recipientCertificate: garbage, message: Data("m".utf8), hostMaterial: Data()) }
        try refuses(alice, "message too large") { _ = try alice.composeIntroduction(now: w.now, recipientCertificate: bob.certificate()!.bytes, message: Data(count: 40000), hostMaterial: Data()) }
        try refuses(alice, "sealed payload too large") { _ = try alice.sendColdCall(now: w.now, recipient: bob.account(), sealed: Data(count: 70000)) }
        try refuses(alice, "code too long") { _ = try alice.register(now: w.now, phone: PhoneNumber.parse(text: "+15550001"), code: String(repeating: "1", count: 11), hostKey: nil) }
        try refuses(alice, "empty host key") { _ = try alice.register(now: w.now, phone: PhoneNumber.parse(text: "+15550001"), code: "123456", hostKey: Data()) }
        let fresh = try w.newClient()
        try refuses(fresh, "delivery before registration") { try fresh.handleDelivery(now: w.now, delivery: delivery, opened: opened) }
        try refuses(fresh, "lookup before registration") { try fresh.lookup(now: w.now, phones: [PhoneNumber.parse(text: "+15550002")]) }
    }

    t.test("registration answer for another identity key") {
        // A server answers Alice's registration with the certificate it made for Bob's identity
        // key (same number, validly signed): the request fails with CertificateNotOurs and
        // nothing of the answer sticks.
        let world = try World()
        let a = try world.newClient()
        let b = try world.newClient()
        let number = try PhoneNumber.parse(text: "+15550001")
        var registrations = [Transmit]()
        for client in [a, b] {
            _ = try client.requestCode(now: world.now, phone: number)
            try world.pump(client)
            guard let code = world.sms.last(where: { $0.phone == "+15550001" })?.code else {
                throw CheckFailed(description: "no SMS")
            }
            _ = try client.register(now: world.now, phone: number, code: code, hostKey: nil)
            registrations.append(client.pollTransmit(now: world.now)!)
        }
        _ = world.events(a)
        let answer = try world.send(registrations[1].channel, registrations[1].bytes)
        try a.handleResponse(now: world.now, id: registrations[0].id, response: answer)
        let failed = world.events(a)
        guard failed.count == 1, case let .requestFailed(id, request, .client(error)) = failed[0],
            case .Client(.certificateNotOurs, _) = error
        else {
            throw CheckFailed(description: "expected a certificate-not-ours failure, got \(failed)")
        }
        try t.eq(registrations[0].id, id, "failed request")
        try t.eq(RequestType.register, request, "failed request type")
        try t.check(a.certificate() == nil, "no certificate kept")
        try t.eq(0, a.tokenCounts().total, "no tokens kept")
        try t.eq(0, a.outstanding(), "outstanding")
        try b.handleResponse(now: world.now, id: registrations[1].id, response: answer)
        try t.eq(b.account(), b.certificate()?.account, "Bob's own answer is his certificate")
    }

    t.test("server inputs") {
        for n in LENGTHS {
            let handled = try w.server.handle(now: w.now, channel: .anonymous, request: try random(n))
            try t.eq(ErrorCode.malformed, handled.refusal?.code, "\(n) random bytes")
            try t.check(handled.outputs.isEmpty, "no outputs for a refusal")
        }
        let valid = coldCall.bytes
        for n in 0..<valid.count {
            try t.eq(ErrorCode.malformed, try w.server.handle(now: w.now, channel: .anonymous, request: valid.prefix(n)).refusal?.code, "truncated to \(n)")
        }
        for i in stride(from: 0, to: valid.count, by: 3) {
            let handled = try w.server.handle(now: w.now, channel: .anonymous, request: flipped(valid, i, 0x01))
            try t.check(handled.refusal != nil || !handled.outputs.isEmpty, "byte \(i): refused or queued")
        }
        let again = try w.server.handle(now: w.now, channel: .anonymous, request: valid)
        try t.check(again.refusal == nil && again.outputs.count == 1, "a resend is answered and queued again (SPEC.md 12.8)")
        // The same requests in one batch get what they get one by one (SPEC.md 12.5.1).
        let batch = try w.server.handleBatch(now: w.now, requests: [
            BatchRequest(channel: .anonymous, request: valid),
            BatchRequest(channel: .direct, request: valid),
            BatchRequest(channel: .anonymous, request: valid.prefix(40)),
        ])
        try t.eq([nil, ErrorCode.wrongChannel, ErrorCode.malformed], batch.map { $0.refusal?.code }, "batch refusals")
        try t.eq([1, 0, 0], batch.map { $0.outputs.count }, "batch outputs")
        let wrong = try w.server.handle(now: w.now, channel: .direct, request: valid).refusal
        try t.eq(ErrorCode.wrongChannel, wrong?.code, "wrong channel")
        try t.eq(RequestType.coldCall, wrong?.request, "refused request type")
        for n in [0, 31, 33] {
            let kind: DecodeErrorKind = n < 32 ? .truncated : .trailingBytes
            let e = try t.throwsError("account of \(n) bytes", isKind(kind)) { _ = try w.server.handle(now: w.now, channel: .authenticated(account: Data(count: n)), request: valid) }
            guard case let .Malformed(field, _, _) = e else { throw CheckFailed(description: "\(e)") }
            try t.eq("channel.account", field, "field")
        }
        try t.eq(42, errorCodeNumber(code: .notReleased), "not_released number")
        try t.eq("not_released", errorCodeName(code: .notReleased), "not_released name")
    }

    t.test("bad arguments") {
        let manager = try GroupManagerKey.generate()
        let tooMany = try t.throwsError("100000 members") { _ = try manager.issueMembers(count: 100_000) }
        guard case let .RequestTooLarge(requested, max, _) = tooMany else { throw CheckFailed(description: "\(tooMany)") }
        try t.eq([100_000, 1024], [requested, max], "100000 members (at most 1024 per call)")
        let member = try manager.issueMember()
        try t.throwsError("long context", isKind(GroupErrorKind.contextTooLong(length: 70000))) { _ = try member.sign(group: PreparedGroupKey(groupKey: manager.publicKey()), context: Data(count: 70000), message: Data("m".utf8)) }
        _ = try manager.revoke(member: member)
        try t.throwsError("revoked twice", isKind(GroupErrorKind.generationMismatch(member: 0, group: 1))) { _ = try manager.revoke(member: member) }
        let sig = try GroupSignature.fromBytes(bytes: bbs["signatures"][0]["signature"].hex)
        try t.throwsError("open under another group", isKind(GroupErrorKind.groupMismatch)) { _ = try manager.openVerified(group: prepared, context: Data("c".utf8), message: Data("m".utf8), signature: sig) }
        try t.throwsError("empty issuer", isKind(TokenErrorKind.invalidIssuerName(length: 0))) { _ = try TokenChallenge(issuerName: Data(), redemptionContext: nil, originInfo: Data()) }
        let context = try t.throwsError("31-byte context", isKind(DecodeErrorKind.truncated)) { _ = try TokenChallenge(issuerName: Data("x".utf8), redemptionContext: Data(count: 31), originInfo: Data()) }
        guard case let .Malformed(field, _, _) = context else { throw CheckFailed(description: "\(context)") }
        try t.eq("token_challenge.redemption_context", field, "31-byte context: field")
        try t.throwsError("no keys", isKind(TokenErrorKind.emptyKeySet)) { _ = try TokenKeySet(serial: 1, issuerName: Data("x".utf8), entries: []) }
        try t.throwsError("issuer without keys", isKind(TokenErrorKind.emptyKeySet)) { _ = try TokenIssuer(keys: []) }
        let client = TokenClient(keySet: keySet)
        try t.throwsError("unknown key", isKind(TokenErrorKind.unknownKeyId)) { _ = try client.request(challenge: challenge, keyId: Data(count: 32), now: 0) }
        let older = try TokenKeySet(serial: keySet.serial() - 1, issuerName: keySet.issuerName(), entries: keySet.entries())
        try t.throwsError("older key set", isKind(TokenErrorKind.keySetRollback(pinned: keySet.serial(), offered: keySet.serial() - 1))) { try client.updateKeySet(next: older, now: tokens["now"].u64) }
        try t.throwsError("1024-bit key", isKind(BlindRsaErrorKind.unsupportedModulusSize(bits: 1024))) { _ = try BlindRsaSecretKey.generate(bits: 1024) }
        try t.throwsError("e = 3", isKind(BlindRsaErrorKind.unsupportedExponent)) { _ = try BlindRsaPublicKey.fromComponents(modulus: rsa.modulus(), exponent: Data([3])) }
        try t.throwsError("zero inverse", isKind(BlindRsaErrorKind.inverseNotForKey)) { _ = try rsa.finalize(variant: .sha384PssDeterministic, inputMsg: Data("m".utf8), blindSig: Data(repeating: 1, count: 256), inverse: Data(count: 256)) }
    }

    return t.summary()
}
