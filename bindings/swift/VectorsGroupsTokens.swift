// test-vectors/bbs04.json, tokens.json, rfc9578_type2.json and rfc9474.json checked through the
// Swift bindings: every value is read from the files and compared with what the bindings
// compute, including regenerating what VectorRng made.

import Foundation
import blindpost

/// The outcome of a BBS04 or token call, named as bbs04.json and tokens.json name errors
/// (SPEC 2.7): `error`, and `field` and `kind` for a decoding failure.
private func vectorError(_ call: () throws -> Void) -> [String: String] {
    do {
        try call()
    } catch let e as BlindpostError {
        switch e {
        case let .Malformed(field, kind, _): return ["error": "decode", "field": field, "kind": snakeCase(kind)]
        case let .Group(kind, _): return ["error": snakeCase(kind)]
        case let .Token(kind, _): return ["error": snakeCase(kind)]
        // blinded_message_out_of_range, invalid_blind_signature: token::Error::BlindRsa
        case let .BlindRsa(kind, _): return ["error": snakeCase(kind)]
        default: return ["error": "unexpected \(e)"]
        }
    } catch {
        return ["error": "not a BlindpostError: \(error)"]
    }
    return ["error": "none"]
}

/// The big-endian bytes of a `0x`-prefixed integer of rfc9474.json.
private func intBytes(_ text: String) -> Data {
    let digits = String(text.dropFirst(2))
    return try! Data(hex: String(repeating: "0", count: digits.count % 2) + digits)
}

func vectorsGroupsTokensTests() throws -> Bool {
    let t = Tests("swift vectors (bbs04, tokens, rfc9578, rfc9474)")
    let v = try J.file("bbs04.json")
    func group(_ name: String) throws -> GroupPublicKey { try GroupPublicKey.fromBytes(bytes: v[name]["group_key"].hex) }

    t.test("bbs04 regenerated from the seed") {
        let rng = VectorRng(seed: Data(v["seed"].str.utf8))
        let manager = GroupManagerKey.generateWithVectorRng(rng: rng)
        try t.eq(v["generation0"]["manager_key"].str, manager.toBytes().hex, "manager key")
        try t.eq(v["generation0"]["group_key"].str, manager.publicKey().toBytes().hex, "group key")
        let members = try manager.issueMembersWithVectorRng(rng: rng, count: UInt32(v["members"].list.count))
        try t.eq(v["members"].list.map { $0.str }, members.map { $0.toBytes().hex }, "member keys")
        try t.eq(v["member_ids"].list.map { $0.str }, members.map { $0.id().hex }, "member ids")
        let g0 = PreparedGroupKey(groupKey: manager.publicKey())
        for s in v["signatures"].list.prefix(3) {
            let sig = try members[s["member"].int].signWithVectorRng(rng: rng, group: g0, context: s["context"].hex, message: s["message"].hex)
            try t.eq(s["signature"].str, sig.toBytes().hex, "signature of member \(s["member"].int)")
        }
        let record = try manager.revoke(member: members[v["revocation"]["revoked_member"].int])
        try t.eq(v["revocation"]["record"].str, record.toBytes().hex, "revocation record")
        try t.eq(v["generation1"]["manager_key"].str, manager.toBytes().hex, "manager key after revoking")
        try t.eq(v["generation1"]["group_key"].str, manager.publicKey().toBytes().hex, "group key after revoking")
        var updated = [Int: MemberKey]()
        for u in v["revocation"]["updated_members"].list {
            let key = try members[u["member"].int].update(record: record, old: g0.groupKey())
            try t.eq(u["key"].str, key.toBytes().hex, "updated member \(u["member"].int)")
            updated[u["member"].int] = key
        }
        let s = v["signatures"][3]
        let sig = try updated[s["member"].int]!.signWithVectorRng(rng: rng, group: PreparedGroupKey(groupKey: manager.publicKey()), context: s["context"].hex, message: s["message"].hex)
        try t.eq(s["signature"].str, sig.toBytes().hex, "signature under generation 1")
    }

    t.test("bbs04 decode, verify and open") {
        let g0 = try group("generation0")
        let g1 = try group("generation1")
        try t.eq([0, 1], [g0.generation(), g1.generation()], "generations")
        let record = try RevocationRecord.fromBytes(bytes: v["revocation"]["record"].hex)
        try t.eq(v["member_ids"][v["revocation"]["revoked_member"].int].str, record.revoked().hex, "revoked id")
        try t.check(try g0.apply(record: record) == g1, "applying the record gives generation 1")
        for (i, m) in v["members"].list.enumerated() {
            let key = try MemberKey.fromBytes(bytes: m.hex)
            try key.check(group: g0)
            try t.eq(v["member_ids"][i].str, key.id().hex, "member id \(i)")
        }
        for u in v["revocation"]["updated_members"].list { try MemberKey.fromBytes(bytes: u["key"].hex).check(group: g1) }
        let managers = try ["generation0", "generation1"].reduce(into: [String: GroupManagerKey]()) {
            $0[$1] = try GroupManagerKey.fromBytes(bytes: v[$1]["manager_key"].hex)
        }
        for s in v["signatures"].list {
            let sig = try GroupSignature.fromBytes(bytes: s["signature"].hex)
            let prepared = PreparedGroupKey(groupKey: try group(s["group"].str))
            try prepared.verify(context: s["context"].hex, message: s["message"].hex, signature: sig)
            let manager = managers[s["group"].str]!
            try t.eq(s["opened"].str, manager.open(signature: sig).hex, "opened")
            try t.eq(s["opened"].str, try manager.openVerified(group: prepared, context: s["context"].hex, message: s["message"].hex, signature: sig).hex, "opened, verified")
            try t.throwsError("another message", isKind(GroupErrorKind.invalidSignature)) {
                try prepared.verify(context: s["context"].hex, message: s["message"].hex + Data([33]), signature: sig)
            }
        }
        let other = GroupManagerKey.generateWithVectorRng(rng: VectorRng(seed: Data(v["other_group_seed"].str.utf8))).publicKey()
        try t.eq(v["other_group_key"].str, other.toBytes().hex, "the other group")
    }

    t.test("bbs04 negative cases") {
        for c in v["negative"].list {
            let data = c["input"].hex
            let call: () throws -> Void
            switch c["check"].str {
            case "decode":
                switch c["object"].str {
                case "signature": call = { _ = try GroupSignature.fromBytes(bytes: data) }
                case "group_key": call = { _ = try GroupPublicKey.fromBytes(bytes: data) }
                case "member_key": call = { _ = try MemberKey.fromBytes(bytes: data) }
                case "manager_key": call = { _ = try GroupManagerKey.fromBytes(bytes: data) }
                case "revocation": call = { _ = try RevocationRecord.fromBytes(bytes: data) }
                case "checkpoint": call = { _ = try Checkpoint.fromBytes(bytes: data) }
                default: throw CheckFailed(description: "unknown object \(c["object"].str)")
                }
            case "verify": call = { try PreparedGroupKey(groupKey: GroupPublicKey.fromBytes(bytes: c["group_key"].hex)).verify(context: c["context"].hex, message: c["message"].hex, signature: GroupSignature.fromBytes(bytes: data)) }
            case "update": call = { _ = try MemberKey.fromBytes(bytes: data).update(record: RevocationRecord.fromBytes(bytes: c["record"].hex), old: GroupPublicKey.fromBytes(bytes: c["group_key"].hex)) }
            case "apply": call = { _ = try GroupPublicKey.fromBytes(bytes: c["group_key"].hex).apply(record: RevocationRecord.fromBytes(bytes: data)) }
            case "catch_up": call = { _ = try MemberKey.fromBytes(bytes: data).catchUp(group: GroupPublicKey.fromBytes(bytes: c["group_key"].hex), checkpoint: Checkpoint.fromBytes(bytes: c["checkpoint"].hex)) }
            case "sign": call = { _ = try MemberKey.fromBytes(bytes: data).sign(group: PreparedGroupKey(groupKey: GroupPublicKey.fromBytes(bytes: c["group_key"].hex)), context: c["context"].hex, message: c["message"].hex) }
            default: throw CheckFailed(description: "unknown check \(c["check"].str)")
            }
            try t.eq(c["expected"].strings, vectorError(call), c["name"].str)
        }
    }

    let tv = try J.file("tokens.json")
    let keySet = try TokenKeySet.fromBytes(bytes: tv["key_set"].hex)
    let secret = try BlindRsaSecretKey.fromPkcs8Pem(pem: tv["issuer_secret_key_pem"].str)
    let issuer = try TokenIssuer(keys: [secret])
    let issuerName = Data(tv["issuer_name"].str.utf8)
    let now = tv["now"].u64
    func challenge(_ c: J) throws -> TokenChallenge {
        if c["purpose"].str == "cold_call" { return try TokenChallenge.coldCall(issuerName: issuerName) }
        try t.eq(now / tv["window_seconds"].u64, c["window"].u64, "window")
        try t.eq(c["redemption_context"].str, discoveryContext(window: c["window"].u64).hex, "redemption context")
        return try TokenChallenge.discovery(issuerName: issuerName, window: c["window"].u64)
    }

    t.test("token key set") {
        try t.eq(tv["key_set"].str, keySet.toBytes().hex, "key set encoding")
        try t.eq(tv["key_set_digest"].str, keySet.digest().hex, "key set digest")
        try t.check(try TokenKeySet(serial: keySet.serial(), issuerName: keySet.issuerName(), entries: keySet.entries()) == keySet, "rebuilt key set")
        for e in keySet.entries() { try t.eq(e.keyId, try tokenKeyId(spki: e.spki), "key id") }
        try t.check(keySet.entries().contains { $0.spki == secret.publicKey().toSpkiDer() }, "issuer key published")
    }

    t.test("token cases with recorded state") {
        for c in tv["cases"].list {
            let ch = try challenge(c)
            try t.eq(c["challenge"].str, ch.toBytes().hex, "challenge")
            try t.eq(c["challenge_digest"].str, ch.digest().hex, "challenge digest")
            try t.eq(c["token_key_id"].str, keySet.preferredKeyId(now: now)?.hex, "preferred key")
            try t.eq(c["token_response"].str, try issuer.issue(request: c["token_request"].hex).hex, "issuer response")
            let pending = try PendingToken.fromBytes(bytes: c["pending_token"].hex)
            try t.eq(c["pending_token"].str, pending.toBytes().hex, "pending state round trip")
            let token = try pending.finalize(response: c["token_response"].hex)
            try t.eq(c["token"].str, token.hex, "token")
            try verifyToken(token: token, challenge: ch, keySet: keySet)
            let fields = try decodeToken(bytes: token)
            try t.eq(c["nonce"].str, fields.nonce.hex, "nonce")
            try t.eq(c["token_key_id"].str, fields.tokenKeyId.hex, "token key id")
        }
    }

    t.test("tokens regenerated from the seed") {
        let rng = VectorRng(seed: Data(tv["seed"].str.utf8))
        let client = TokenClient(keySet: keySet)
        for c in tv["cases"].list {
            let out = try client.requestWithVectorRng(rng: rng, challenge: challenge(c), keyId: c["token_key_id"].hex, now: now)
            try t.eq(c["token_request"].str, out.request.hex, "token request")
            try t.eq(c["pending_token"].str, out.pending.toBytes().hex, "pending token")
            let response = try issuer.issueWithVectorRng(rng: rng, request: out.request)
            try t.eq(c["token_response"].str, response.hex, "token response")
            try t.eq(c["token"].str, try out.pending.finalize(response: response).hex, "token")
        }
    }

    t.test("token negative cases") {
        for c in tv["negative"].list {
            let call: () throws -> Void
            switch c["operation"].str {
            case "verify": call = { try verifyToken(token: c["token"].hex, challenge: TokenChallenge.fromBytes(bytes: c["challenge"].hex), keySet: keySet) }
            case "issue": call = { _ = try issuer.issue(request: c["token_request"].hex) }
            case "finalize": call = { _ = try PendingToken.fromBytes(bytes: c["pending_token"].hex).finalize(response: c["token_response"].hex) }
            case "request": call = { _ = try TokenClient(keySet: keySet).request(challenge: TokenChallenge.fromBytes(bytes: c["challenge"].hex), keyId: c["token_key_id"].hex, now: c["now"].u64) }
            default: throw CheckFailed(description: "unknown operation")
            }
            var expected = [String: String]()
            for key in ["error", "field", "kind"] where c.has(key) { expected[key] = c[key].str }
            try t.eq(expected, vectorError(call), c["name"].str)
        }
    }

    t.test("rfc9578 type 2 vectors") {
        for rv in try J.file("rfc9578_type2.json")["vectors"].list {
            let sk = try BlindRsaSecretKey.fromPkcs8Pem(pem: String(decoding: rv["skS"].hex, as: UTF8.self))
            try t.eq(rv["pkS"].str, sk.publicKey().toSpkiDer().hex, "pkS")
            try t.check(try BlindRsaPublicKey.fromSpkiDer(der: rv["pkS"].hex) == sk.publicKey(), "SPKI decodes to the same key")
            try t.eq(rv["token_response"].str, try TokenIssuer(keys: [sk]).issue(request: rv["token_request"].hex).hex, "token response")
            let ch = try TokenChallenge.fromBytes(bytes: rv["token_challenge"].hex)
            try t.eq(rv["token_challenge"].str, ch.toBytes().hex, "challenge round trip")
            let token = try decodeToken(bytes: rv["token"].hex)
            try t.eq(rv["nonce"].str, token.nonce.hex, "nonce")
            try t.eq(ch.digest(), token.challengeDigest, "challenge digest")
            try t.eq(try tokenKeyId(spki: rv["pkS"].hex), token.tokenKeyId, "token key id")
            let set = try TokenKeySet(serial: 1, issuerName: ch.issuerName(), entries: [TokenKeyEntry(keyId: Data(), spki: rv["pkS"].hex, notBefore: 0, expires: 1 << 63)])
            try verifyToken(token: rv["token"].hex, challenge: ch, keySet: set)
            let input = rv["token"].hex.prefix(98)
            try sk.publicKey().verify(variant: .sha384PssDeterministic, inputMsg: Data(input), signature: token.authenticator)
            try t.throwsError("altered token input", isKind(BlindRsaErrorKind.invalidSignature)) {
                try sk.publicKey().verify(variant: .sha384PssDeterministic, inputMsg: Data(input) + Data([1]), signature: token.authenticator)
            }
        }
    }

    t.test("rfc9474 RSABSSA vectors") {
        for rv in try J.file("rfc9474.json")["vectors"].list {
            guard let variant = blindRsaVariantFromName(name: rv["name"].str) else { throw CheckFailed(description: "unknown variant") }
            try t.eq(rv["name"].str, blindRsaVariantName(variant: variant), "variant name")
            let pk = try BlindRsaPublicKey.fromComponents(modulus: intBytes(rv["n"].str), exponent: intBytes(rv["e"].str))
            let n = intBytes(rv["n"].str)
            try t.eq(n.drop(while: { $0 == 0 }).hex, pk.modulus().drop(while: { $0 == 0 }).hex, "modulus")
            let input = rv["input_msg"].hex
            let prefix = rv["is_randomized"].str == "0x01" ? rv["msg_prefix"].hex : Data()
            try t.eq((prefix + rv["msg"].hex).hex, input.hex, "input_msg")
            try pk.verify(variant: variant, inputMsg: input, signature: rv["sig"].hex)
            let k = pk.modulus().count
            let invDigits = intBytes(rv["inv"].str)
            let inv = Data(repeating: 0, count: k - invDigits.count) + invDigits
            try t.eq(rv["sig"].str, try pk.finalize(variant: variant, inputMsg: input, blindSig: rv["blind_sig"].hex, inverse: inv).hex, "finalized signature")
            var bad = rv["sig"].hex
            bad[bad.count - 1] ^= 1
            try t.throwsError("flipped signature", isKind(BlindRsaErrorKind.invalidSignature)) {
                try pk.verify(variant: variant, inputMsg: input, signature: bad)
            }
            try t.throwsError("finalize for another message", isKind(BlindRsaErrorKind.invalidBlindSignature)) {
                _ = try pk.finalize(variant: variant, inputMsg: input + Data([1]), blindSig: rv["blind_sig"].hex, inverse: inv)
            }
        }
    }

    return t.summary()
}
