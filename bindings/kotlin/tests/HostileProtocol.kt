// Hostile input through the phase-2 exports from Kotlin: every new decoder and every input of the
// Client and the Server. Random bytes, truncations, extensions and bit flips must each throw a
// typed BlindpostException (never uniffi's InternalException) and leave a Client's toBytes()
// unchanged; the server answers any request bytes with a refusal, never a throw.
package blindpost.tests

import blindpost.testsupport.*
import uniffi.blindpost.*

private val LENGTHS = listOf(0, 1, 2, 31, 32, 33, 48, 85, 181, 256, 337, 342, 389, 486, 913, 1000, 70000)

fun hostileProtocolTests(): Boolean {
    val t = Tests("kotlin hostile protocol input")
    val rng = VectorRng("blindpost/v1 hostile protocol input".toByteArray())
    fun random(n: Int): ByteArray {
        val out = java.io.ByteArrayOutputStream()
        while (out.size() < n) out.write(rng.nextBytes(minOf(n - out.size(), 1 shl 20).toUInt()))
        return out.toByteArray()
    }
    val bbs = Json.file("bbs04.json")
    val tokens = Json.file("tokens.json")
    val group = GroupPublicKey.fromBytes(bbs["generation0"]["group_key"].hex)
    val prepared = PreparedGroupKey(group)
    val keySet = TokenKeySet.fromBytes(tokens["key_set"].hex)
    val issuer = TokenIssuer(listOf(BlindRsaSecretKey.fromPkcs8Pem(tokens["issuer_secret_key_pem"].str)))
    val pending = PendingToken.fromBytes(tokens["cases"][0]["pending_token"].hex)
    val challenge = TokenChallenge.fromBytes(tokens["cases"][0]["challenge"].hex)
    val rsa = BlindRsaPublicKey.fromSpkiDer(keySet.entries()[0].spki)

    val w = World()
    val alice = w.newClient()
    val bob = w.newClient()
    w.register(alice, "+15550001")
    w.register(bob, "+15550002")
    val cert = bob.certificate()!!
    alice.sendColdCall(w.now, cert.account, w.sealFirstContact(alice, cert, alice.composeIntroduction(w.now, cert.bytes, "hi".toByteArray(), w.offer(alice))))
    val coldCall = alice.pollTransmit(w.now)!!
    alice.handleResponse(w.now, coldCall.id, w.send(coldCall.channel, coldCall.bytes))
    val delivery = w.queues.remove(Key(bob.account()))!!.single()
    val opened = w.open(bob.account(), deliverySealedPayload(delivery)).payload

    fun rejects(what: String, call: () -> Unit): BlindpostException {
        val e = t.throws<BlindpostException>(what, call)
        t.check(e.toString().isNotEmpty()) { "$what: empty message" }
        return e
    }

    fun keys(certificateIssuers: ByteArray? = null, coldCall: ByteArray? = null, discovery: ByteArray? = null): ServerKeys {
        val k = w.server.publicKeys()
        return ServerKeys(certificateIssuers ?: k.certificateIssuers, coldCall ?: k.coldCallTokens, discovery ?: k.discoveryTokens, k.stampTokens)
    }

    val decoders: List<Pair<String, (ByteArray) -> Unit>> = listOf(
        "GroupSignature.fromBytes" to { b -> GroupSignature.fromBytes(b) },
        "GroupPublicKey.fromBytes" to { b -> GroupPublicKey.fromBytes(b) },
        "MemberKey.fromBytes" to { b -> MemberKey.fromBytes(b) },
        "GroupManagerKey.fromBytes" to { b -> GroupManagerKey.fromBytes(b) },
        "RevocationRecord.fromBytes" to { b -> RevocationRecord.fromBytes(b) },
        "TokenChallenge.fromBytes" to { b -> TokenChallenge.fromBytes(b) },
        "TokenKeySet.fromBytes" to { b -> TokenKeySet.fromBytes(b) },
        "PendingToken.fromBytes" to { b -> PendingToken.fromBytes(b) },
        "PendingToken.finalize" to { b -> pending.finalize(b) },
        "TokenIssuer.issue" to { b -> issuer.issue(b) },
        "decodeToken" to { b -> decodeToken(b) },
        "verifyToken" to { b -> verifyToken(b, challenge, keySet) },
        "tokenKeyId" to { b -> tokenKeyId(b) },
        "BlindRsaPublicKey.fromSpkiDer" to { b -> BlindRsaPublicKey.fromSpkiDer(b) },
        "BlindRsaPublicKey.verify" to { b -> rsa.verify(BlindRsaVariant.SHA384_PSS_DETERMINISTIC, "m".toByteArray(), b) },
        "BlindRsaPublicKey.finalize" to { b -> rsa.finalize(BlindRsaVariant.SHA384_PSS_DETERMINISTIC, "m".toByteArray(), b, b) },
        "BlindRsaSecretKey.fromPkcs8Der" to { b -> BlindRsaSecretKey.fromPkcs8Der(b) },
        "BlindRsaSecretKey.fromPkcs8Pem" to { b -> BlindRsaSecretKey.fromPkcs8Pem(String(b, Charsets.ISO_8859_1)) },
        "decodeDelivery" to { b -> decodeDelivery(b) },
        "deliverySealedPayload" to { b -> deliverySealedPayload(b) },
        "accountIdForIdentityKey" to { b -> accountIdForIdentityKey(b) },
        "Client.fromBytes" to { b -> Client.fromBytes(b, ClientSettings()) },
        "Client (certificate issuers)" to { b -> Client(keys(certificateIssuers = b), ClientSettings()) },
        "Client (cold-call token keys)" to { b -> Client(keys(coldCall = b), ClientSettings()) },
        "Client (discovery token keys)" to { b -> Client(keys(discovery = b), ClientSettings()) },
    )

    t.test("random bytes through every decoder") {
        for ((name, call) in decoders) for (n in LENGTHS) rejects("$name, $n random bytes") { call(random(n)) }
        for (n in LENGTHS) if (n != 32) rejects("sendColdCall to a $n-byte account") { alice.sendColdCall(w.now, random(n), "s".toByteArray()) }
    }

    t.test("truncations and extensions") {
        val cases: List<Pair<(ByteArray) -> Unit, ByteArray>> = listOf(
            { b: ByteArray -> GroupSignature.fromBytes(b); Unit } to bbs["signatures"][0]["signature"].hex,
            { b: ByteArray -> GroupPublicKey.fromBytes(b); Unit } to bbs["generation0"]["group_key"].hex,
            { b: ByteArray -> MemberKey.fromBytes(b); Unit } to bbs["members"][0].hex,
            { b: ByteArray -> GroupManagerKey.fromBytes(b); Unit } to bbs["generation0"]["manager_key"].hex,
            { b: ByteArray -> RevocationRecord.fromBytes(b); Unit } to bbs["revocation"]["record"].hex,
            { b: ByteArray -> TokenChallenge.fromBytes(b); Unit } to tokens["cases"][1]["challenge"].hex,
            { b: ByteArray -> TokenKeySet.fromBytes(b); Unit } to tokens["key_set"].hex,
            { b: ByteArray -> PendingToken.fromBytes(b); Unit } to tokens["cases"][0]["pending_token"].hex,
            { b: ByteArray -> decodeToken(b); Unit } to tokens["cases"][0]["token"].hex,
            { b: ByteArray -> pending.finalize(b); Unit } to tokens["cases"][0]["token_response"].hex,
            { b: ByteArray -> BlindRsaPublicKey.fromSpkiDer(b); Unit } to keySet.entries()[0].spki,
            { b: ByteArray -> decodeDelivery(b); Unit } to delivery,
            { b: ByteArray -> Client.fromBytes(b, ClientSettings()); Unit } to bob.toBytes(),
        )
        for ((call, valid) in cases) {
            call(valid)
            val step = maxOf(1, valid.size / 300)
            for (n in 0 until valid.size step step) rejects("truncated to $n") { call(valid.copyOf(n)) }
            for (extra in listOf(byteArrayOf(0), ByteArray(9) { -1 })) rejects("extended") { call(valid + extra) }
        }
    }

    t.test("group signature bit flips") {
        val s = bbs["signatures"][0]
        val sig = s["signature"].hex
        for (i in sig.indices) {
            val bad = sig.copyOf()
            bad[i] = (bad[i].toInt() xor if (i % 2 == 1) 0x01 else 0x80).toByte()
            rejects("flipped byte $i") { prepared.verify(s["context"].hex, s["message"].hex, GroupSignature.fromBytes(bad)) }
        }
    }

    fun refuses(client: Client, what: String, call: () -> Unit) {
        val before = client.toBytes()
        rejects(what, call)
        t.check(client.toBytes().contentEquals(before)) { "$what: client changed by a refused input" }
    }

    t.test("client inputs") {
        val id = alice.refreshKeys(w.now)
        t.eq(id, alice.pollTransmit(w.now)!!.id, "a fetch the host asked for leaves at once")
        for (n in LENGTHS) {
            val data = random(n)
            refuses(alice, "response of $n random bytes") { alice.handleResponse(w.now, id, data) }
            refuses(bob, "delivery of $n random bytes") { bob.handleDelivery(w.now, data, opened) }
            refuses(bob, "opened payload of $n random bytes") { bob.handleDelivery(w.now, delivery, data) }
        }
        refuses(alice, "unknown request") { alice.handleResponse(w.now, 999_999uL, byteArrayOf(1)) }
        refuses(alice, "send failure of an unknown request") { alice.handleSendFailure(999_999uL) }
        val other = w.send(coldCall.channel, coldCall.bytes)
        refuses(alice, "response to another kind of request") { alice.handleResponse(w.now, id, other) }
        for (n in delivery.indices) refuses(bob, "delivery truncated to $n") { bob.handleDelivery(w.now, delivery.copyOf(n), opened) }
        for (n in opened.indices step 7) refuses(bob, "payload truncated to $n") { bob.handleDelivery(w.now, delivery, opened.copyOf(n)) }
        for (i in opened.indices step maxOf(1, opened.size / 250)) {
            val bad = opened.copyOf()
            bad[i] = (bad[i].toInt() xor 0x04).toByte()
            refuses(bob, "payload with byte $i flipped") { bob.handleDelivery(w.now, delivery, bad) }
        }
        for (i in 0 until 32) {
            val bad = delivery.copyOf()
            bad[i] = (bad[i].toInt() xor 0x10).toByte()
            val before = bob.toBytes()
            try {
                bob.handleDelivery(w.now, bad, opened)
            } catch (e: BlindpostException) {
                t.check(bob.toBytes().contentEquals(before)) { "delivery byte $i: refused but changed" }
            }
        }
        refuses(alice, "reply to a stranger") { alice.composeReply(w.now, ByteArray(32), "m".toByteArray(), ByteArray(0)) }
        refuses(alice, "introduction for garbage") { alice.composeIntroduction(w.now, random(300), "m".toByteArray(), ByteArray(0)) }
        refuses(alice, "message too large") { alice.composeIntroduction(w.now, bob.certificate()!!.bytes, ByteArray(40000), ByteArray(0)) }
        refuses(alice, "sealed payload too large") { alice.sendColdCall(w.now, bob.account(), ByteArray(70000)) }
        refuses(alice, "code too long") { alice.register(w.now, PhoneNumber.parse("+15550001"), "1".repeat(11), null) }
        refuses(alice, "empty host key") { alice.register(w.now, PhoneNumber.parse("+15550001"), "123456", ByteArray(0)) }
        val fresh = w.newClient()
        refuses(fresh, "delivery before registration") { fresh.handleDelivery(w.now, delivery, opened) }
        refuses(fresh, "lookup before registration") { fresh.lookup(w.now, listOf(PhoneNumber.parse("+15550002"))) }
    }

    t.test("registration answer for another identity key") {
        // A server answers Alice's registration with the certificate it made for Bob's identity
        // key (same number, validly signed): the request fails with CertificateNotOurs and
        // nothing of the answer sticks.
        val world = World()
        val a = world.newClient()
        val b = world.newClient()
        val number = PhoneNumber.parse("+15550001")
        val registrations = listOf(a, b).map { client ->
            client.requestCode(world.now, number)
            world.pump(client)
            client.register(world.now, number, world.sms.last { it.first == "+15550001" }.second, null)
            client.pollTransmit(world.now)!!
        }
        world.events(a)
        val answer = world.send(registrations[1].channel, registrations[1].bytes)
        a.handleResponse(world.now, registrations[0].id, answer)
        val failed = world.events(a).single() as Event.RequestFailed
        t.eq(registrations[0].id, failed.id, "failed request")
        t.eq(RequestType.REGISTER, failed.request, "failed request type")
        val error = (failed.reason as FailureReason.Client).error
        t.check(error is BlindpostException.Client && error.kind == ClientErrorKind.CertificateNotOurs) { "certificate not ours: ${failed.reason}" }
        t.check(a.certificate() == null) { "no certificate kept" }
        t.eq(0uL, a.tokenCounts().total, "no tokens kept")
        t.eq(0uL, a.outstanding(), "outstanding")
        b.handleResponse(world.now, registrations[1].id, answer)
        t.eq(b.account().hex(), b.certificate()!!.account.hex(), "Bob's own answer is his certificate")
    }

    t.test("server inputs") {
        for (n in LENGTHS) {
            val handled = w.server.handle(w.now, Channel.Anonymous, random(n))
            t.eq<ErrorCode?>(ErrorCode.Malformed, handled.refusal?.code, "$n random bytes")
            t.check(handled.outputs.isEmpty()) { "no outputs for a refusal" }
        }
        val valid = coldCall.bytes
        for (n in valid.indices) t.eq<ErrorCode?>(ErrorCode.Malformed, w.server.handle(w.now, Channel.Anonymous, valid.copyOf(n)).refusal?.code, "truncated to $n")
        for (i in valid.indices step 3) {
            val bad = valid.copyOf()
            bad[i] = (bad[i].toInt() xor 1).toByte()
            val handled = w.server.handle(w.now, Channel.Anonymous, bad)
            t.check(handled.refusal != null || handled.outputs.isNotEmpty()) { "byte $i: refused or queued" }
        }
        val again = w.server.handle(w.now, Channel.Anonymous, valid)
        t.check(again.refusal == null && again.outputs.size == 1) { "a resend is answered and queued again (SPEC.md 12.8)" }
        // The same requests in one batch get what they get one by one (SPEC.md 12.5.1).
        val batch = w.server.handleBatch(w.now, listOf(
            BatchRequest(Channel.Anonymous, valid),
            BatchRequest(Channel.Direct, valid),
            BatchRequest(Channel.Anonymous, valid.copyOf(40)),
        ))
        t.eq(listOf<ErrorCode?>(null, ErrorCode.WrongChannel, ErrorCode.Malformed), batch.map { it.refusal?.code }, "batch refusals")
        t.eq(listOf(1, 0, 0), batch.map { it.outputs.size }, "batch outputs")
        val wrong = w.server.handle(w.now, Channel.Direct, valid).refusal!!
        t.eq<ErrorCode>(ErrorCode.WrongChannel, wrong.code, "wrong channel")
        t.eq(RequestType.COLD_CALL, wrong.request, "refused request type")
        for (n in listOf(0, 31, 33)) {
            val kind = if (n < 32) DecodeErrorKind.TRUNCATED else DecodeErrorKind.TRAILING_BYTES
            val e = t.throws<BlindpostException.Malformed>("account of $n bytes", kind) { w.server.handle(w.now, Channel.Authenticated(ByteArray(n)), valid) }
            t.eq("channel.account", e.field, "field")
        }
        t.eq(42.toUShort(), errorCodeNumber(ErrorCode.NotReleased), "not_released number")
        t.eq("not_released", errorCodeName(ErrorCode.NotReleased), "not_released name")
    }

    t.test("bad arguments") {
        val manager = GroupManagerKey.generate()
        val tooMany = t.throws<BlindpostException.RequestTooLarge>("100000 members") { manager.issueMembers(100_000u) }
        t.eq(100_000uL to 1024uL, tooMany.requested to tooMany.max, "100000 members (at most 1024 per call)")
        val member = manager.issueMember()
        t.throws<BlindpostException.Group>("long context", GroupErrorKind.ContextTooLong(70000uL)) { member.sign(PreparedGroupKey(manager.publicKey()), ByteArray(70000), "m".toByteArray()) }
        manager.revoke(member)
        t.throws<BlindpostException.Group>("revoked twice", GroupErrorKind.GenerationMismatch(0u, 1u)) { manager.revoke(member) }
        val sig = GroupSignature.fromBytes(bbs["signatures"][0]["signature"].hex)
        t.throws<BlindpostException.Group>("open under another group", GroupErrorKind.GroupMismatch) { manager.openVerified(prepared, "c".toByteArray(), "m".toByteArray(), sig) }
        t.throws<BlindpostException.Token>("empty issuer", TokenErrorKind.InvalidIssuerName(0uL)) { TokenChallenge(ByteArray(0), null, ByteArray(0)) }
        val context = t.throws<BlindpostException.Malformed>("31-byte context", DecodeErrorKind.TRUNCATED) { TokenChallenge("x".toByteArray(), ByteArray(31), ByteArray(0)) }
        t.eq("token_challenge.redemption_context", context.field, "31-byte context: field")
        t.throws<BlindpostException.Token>("no keys", TokenErrorKind.EmptyKeySet) { TokenKeySet(1uL, "x".toByteArray(), listOf()) }
        t.throws<BlindpostException.Token>("issuer without keys", TokenErrorKind.EmptyKeySet) { TokenIssuer(listOf()) }
        val client = TokenClient(keySet)
        t.throws<BlindpostException.Token>("unknown key", TokenErrorKind.UnknownKeyId) { client.request(challenge, ByteArray(32), 0uL) }
        val older = TokenKeySet(keySet.serial() - 1uL, keySet.issuerName(), keySet.entries())
        t.throws<BlindpostException.Token>("older key set", TokenErrorKind.KeySetRollback(keySet.serial(), keySet.serial() - 1uL)) { client.updateKeySet(older, tokens["now"].uLong) }
        t.throws<BlindpostException.BlindRsa>("1024-bit key", BlindRsaErrorKind.UnsupportedModulusSize(1024u)) { BlindRsaSecretKey.generate(1024u) }
        t.throws<BlindpostException.BlindRsa>("e = 3", BlindRsaErrorKind.UnsupportedExponent) { BlindRsaPublicKey.fromComponents(rsa.modulus(), byteArrayOf(3)) }
        t.throws<BlindpostException.BlindRsa>("zero inverse", BlindRsaErrorKind.InverseNotForKey) { rsa.finalize(BlindRsaVariant.SHA384_PSS_DETERMINISTIC, "m".toByteArray(), ByteArray(256) { 1 }, ByteArray(256)) }
    }

    return t.done()
}
