// test-vectors/bbs04.json, tokens.json, rfc9578_type2.json and rfc9474.json checked through the
// Kotlin bindings: every value is read from the files (TestSupport.kt's JSON reader) and
// compared with what the bindings compute, including regenerating what VectorRng made.
package blindpost.tests

import blindpost.testsupport.*
import uniffi.blindpost.*
import java.math.BigInteger

/**
 * The outcome of a BBS04 or token call, named as bbs04.json and tokens.json name errors
 * (SPEC 2.7): `error`, and `field` and `kind` for a decoding failure.
 */
private fun vectorError(call: () -> Unit): Map<String, String?> {
    try {
        call()
    } catch (e: BlindpostException) {
        return when (e) {
            is BlindpostException.Malformed -> mapOf("error" to "decode", "field" to e.field, "kind" to vectorName(e.kind))
            is BlindpostException.Group -> mapOf("error" to vectorName(e.kind))
            is BlindpostException.Token -> mapOf("error" to vectorName(e.kind))
            // blinded_message_out_of_range, invalid_blind_signature: token::Error::BlindRsa
            is BlindpostException.BlindRsa -> mapOf("error" to vectorName(e.kind))
            else -> mapOf("error" to "unexpected $e")
        }
    }
    return mapOf("error" to null)
}

private val decoders: Map<String, (ByteArray) -> Any> = mapOf(
    "signature" to { b -> GroupSignature.fromBytes(b) },
    "group_key" to { b -> GroupPublicKey.fromBytes(b) },
    "member_key" to { b -> MemberKey.fromBytes(b) },
    "manager_key" to { b -> GroupManagerKey.fromBytes(b) },
    "revocation" to { b -> RevocationRecord.fromBytes(b) },
    "checkpoint" to { b -> Checkpoint.fromBytes(b) },
)

/** The big-endian bytes of a `0x`-prefixed integer of rfc9474.json. */
private fun intBytes(text: String): ByteArray {
    val digits = text.removePrefix("0x")
    return ("0".repeat(digits.length % 2) + digits).hexToBytes()
}

fun vectorsGroupsTokensTests(): Boolean {
    val t = Tests("kotlin vectors (bbs04, tokens, rfc9578, rfc9474)")
    val v = Json.file("bbs04.json")
    fun group(name: String) = GroupPublicKey.fromBytes(v[name]["group_key"].hex)

    t.test("bbs04 regenerated from the seed") {
        val rng = VectorRng(v["seed"].str.toByteArray())
        val manager = GroupManagerKey.generateWithVectorRng(rng)
        t.eq(v["generation0"]["manager_key"].str, manager.toBytes().hex(), "manager key")
        t.eq(v["generation0"]["group_key"].str, manager.publicKey().toBytes().hex(), "group key")
        val members = manager.issueMembersWithVectorRng(rng, v["members"].list.size.toUInt())
        t.eq(v["members"].list.map { it.str }, members.map { it.toBytes().hex() }, "member keys")
        t.eq(v["member_ids"].list.map { it.str }, members.map { it.id().hex() }, "member ids")
        val g0 = PreparedGroupKey(manager.publicKey())
        for (s in v["signatures"].list.take(3)) {
            val sig = members[s["member"].int].signWithVectorRng(rng, g0, s["context"].hex, s["message"].hex)
            t.eq(s["signature"].str, sig.toBytes().hex(), "signature of member ${s["member"].int}")
        }
        val record = manager.revoke(members[v["revocation"]["revoked_member"].int])
        t.eq(v["revocation"]["record"].str, record.toBytes().hex(), "revocation record")
        t.eq(v["generation1"]["manager_key"].str, manager.toBytes().hex(), "manager key after revoking")
        t.eq(v["generation1"]["group_key"].str, manager.publicKey().toBytes().hex(), "group key after revoking")
        val updated = HashMap<Int, MemberKey>()
        for (u in v["revocation"]["updated_members"].list) {
            val key = members[u["member"].int].update(record, g0.groupKey())
            t.eq(u["key"].str, key.toBytes().hex(), "updated member ${u["member"].int}")
            updated[u["member"].int] = key
        }
        val s = v["signatures"][3]
        val sig = updated.getValue(s["member"].int).signWithVectorRng(rng, PreparedGroupKey(manager.publicKey()), s["context"].hex, s["message"].hex)
        t.eq(s["signature"].str, sig.toBytes().hex(), "signature under generation 1")
    }

    t.test("bbs04 decode, verify and open") {
        val g0 = group("generation0")
        val g1 = group("generation1")
        t.eq(0u, g0.generation(), "generation 0")
        t.eq(1u, g1.generation(), "generation 1")
        val record = RevocationRecord.fromBytes(v["revocation"]["record"].hex)
        t.eq(v["member_ids"][v["revocation"]["revoked_member"].int].str, record.revoked().hex(), "revoked id")
        t.check(g0.apply(record) == g1) { "applying the record gives generation 1" }
        v["members"].list.forEachIndexed { i, m ->
            val key = MemberKey.fromBytes(m.hex)
            key.check(g0)
            t.eq(v["member_ids"][i].str, key.id().hex(), "member id $i")
        }
        for (u in v["revocation"]["updated_members"].list) MemberKey.fromBytes(u["key"].hex).check(g1)
        val managers = listOf("generation0", "generation1").associateWith { GroupManagerKey.fromBytes(v[it]["manager_key"].hex) }
        for (s in v["signatures"].list) {
            val sig = GroupSignature.fromBytes(s["signature"].hex)
            val prepared = PreparedGroupKey(group(s["group"].str))
            prepared.verify(s["context"].hex, s["message"].hex, sig)
            val manager = managers.getValue(s["group"].str)
            t.eq(s["opened"].str, manager.open(sig).hex(), "opened")
            t.eq(s["opened"].str, manager.openVerified(prepared, s["context"].hex, s["message"].hex, sig).hex(), "opened, verified")
            t.throws<BlindpostException.Group>("another message", GroupErrorKind.InvalidSignature) {
                prepared.verify(s["context"].hex, s["message"].hex + byteArrayOf(33), sig)
            }
        }
        val other = GroupManagerKey.generateWithVectorRng(VectorRng(v["other_group_seed"].str.toByteArray())).publicKey()
        t.eq(v["other_group_key"].str, other.toBytes().hex(), "the other group")
    }

    t.test("bbs04 negative cases") {
        for (case in v["negative"].list) {
            val data = case["input"].hex
            val call: () -> Unit = when (case["check"].str) {
                "decode" -> { -> decoders.getValue(case["object"].str)(data) }
                "verify" -> { -> PreparedGroupKey(GroupPublicKey.fromBytes(case["group_key"].hex)).verify(case["context"].hex, case["message"].hex, GroupSignature.fromBytes(data)) }
                "update" -> { -> MemberKey.fromBytes(data).update(RevocationRecord.fromBytes(case["record"].hex), GroupPublicKey.fromBytes(case["group_key"].hex)) }
                "apply" -> { -> GroupPublicKey.fromBytes(case["group_key"].hex).apply(RevocationRecord.fromBytes(data)) }
                "catch_up" -> { -> MemberKey.fromBytes(data).catchUp(GroupPublicKey.fromBytes(case["group_key"].hex), Checkpoint.fromBytes(case["checkpoint"].hex)) }
                "sign" -> { -> MemberKey.fromBytes(data).sign(PreparedGroupKey(GroupPublicKey.fromBytes(case["group_key"].hex)), case["context"].hex, case["message"].hex) }
                else -> throw AssertionError("unknown check ${case["check"].str}")
            }
            val expected: Map<String, String?> = (case["expected"] as Json.Obj).fields.mapValues { it.value.str }
            t.eq(expected, vectorError(call), case["name"].str)
        }
    }

    val tv = Json.file("tokens.json")
    val keySet = TokenKeySet.fromBytes(tv["key_set"].hex)
    val secret = BlindRsaSecretKey.fromPkcs8Pem(tv["issuer_secret_key_pem"].str)
    val issuer = TokenIssuer(listOf(secret))
    val issuerName = tv["issuer_name"].str.toByteArray()
    val now = tv["now"].uLong
    fun challenge(case: Json): TokenChallenge =
        if (case["purpose"].str == "cold_call") TokenChallenge.coldCall(issuerName) else {
            t.eq(now / tv["window_seconds"].uLong, case["window"].uLong, "window")
            t.eq(case["redemption_context"].str, discoveryContext(case["window"].uLong).hex(), "redemption context")
            TokenChallenge.discovery(issuerName, case["window"].uLong)
        }

    t.test("token key set") {
        t.eq(tv["key_set"].str, keySet.toBytes().hex(), "key set encoding")
        t.eq(tv["key_set_digest"].str, keySet.digest().hex(), "key set digest")
        t.check(TokenKeySet(keySet.serial(), keySet.issuerName(), keySet.entries()) == keySet) { "rebuilt key set" }
        for (e in keySet.entries()) t.eq(e.keyId.hex(), tokenKeyId(e.spki).hex(), "key id")
        t.check(keySet.entries().any { it.spki.contentEquals(secret.publicKey().toSpkiDer()) }) { "issuer key published" }
    }

    t.test("token cases with recorded state") {
        for (case in tv["cases"].list) {
            val c = challenge(case)
            t.eq(case["challenge"].str, c.toBytes().hex(), "challenge")
            t.eq(case["challenge_digest"].str, c.digest().hex(), "challenge digest")
            t.eq(case["token_key_id"].str, keySet.preferredKeyId(now)!!.hex(), "preferred key")
            t.eq(case["token_response"].str, issuer.issue(case["token_request"].hex).hex(), "issuer response")
            val pending = PendingToken.fromBytes(case["pending_token"].hex)
            t.eq(case["pending_token"].str, pending.toBytes().hex(), "pending state round trip")
            val token = pending.finalize(case["token_response"].hex)
            t.eq(case["token"].str, token.hex(), "token")
            verifyToken(token, c, keySet)
            val fields = decodeToken(token)
            t.eq(case["nonce"].str, fields.nonce.hex(), "nonce")
            t.eq(case["token_key_id"].str, fields.tokenKeyId.hex(), "token key id")
        }
    }

    t.test("tokens regenerated from the seed") {
        val rng = VectorRng(tv["seed"].str.toByteArray())
        val client = TokenClient(keySet)
        for (case in tv["cases"].list) {
            val out = client.requestWithVectorRng(rng, challenge(case), case["token_key_id"].hex, now)
            t.eq(case["token_request"].str, out.request.hex(), "token request")
            t.eq(case["pending_token"].str, out.pending.toBytes().hex(), "pending token")
            val response = issuer.issueWithVectorRng(rng, out.request)
            t.eq(case["token_response"].str, response.hex(), "token response")
            t.eq(case["token"].str, out.pending.finalize(response).hex(), "token")
        }
    }

    t.test("token negative cases") {
        for (case in tv["negative"].list) {
            val call: () -> Unit = when (case["operation"].str) {
                "verify" -> { -> verifyToken(case["token"].hex, TokenChallenge.fromBytes(case["challenge"].hex), keySet) }
                "issue" -> { -> issuer.issue(case["token_request"].hex) }
                "finalize" -> { -> PendingToken.fromBytes(case["pending_token"].hex).finalize(case["token_response"].hex) }
                "request" -> { -> TokenClient(keySet).request(TokenChallenge.fromBytes(case["challenge"].hex), case["token_key_id"].hex, case["now"].uLong) }
                else -> throw AssertionError("unknown operation")
            }
            val expected: Map<String, String?> = listOf("error", "field", "kind").filter { case.has(it) }.associateWith { case[it].str }
            t.eq(expected, vectorError(call), case["name"].str)
        }
    }

    t.test("rfc9578 type 2 vectors") {
        for (rv in Json.file("rfc9578_type2.json")["vectors"].list) {
            val sk = BlindRsaSecretKey.fromPkcs8Pem(String(rv["skS"].hex))
            t.eq(rv["pkS"].str, sk.publicKey().toSpkiDer().hex(), "pkS")
            t.check(BlindRsaPublicKey.fromSpkiDer(rv["pkS"].hex) == sk.publicKey()) { "SPKI decodes to the same key" }
            t.eq(rv["token_response"].str, TokenIssuer(listOf(sk)).issue(rv["token_request"].hex).hex(), "token response")
            val c = TokenChallenge.fromBytes(rv["token_challenge"].hex)
            t.eq(rv["token_challenge"].str, c.toBytes().hex(), "challenge round trip")
            val token = decodeToken(rv["token"].hex)
            t.eq(rv["nonce"].str, token.nonce.hex(), "nonce")
            t.eq(c.digest().hex(), token.challengeDigest.hex(), "challenge digest")
            t.eq(tokenKeyId(rv["pkS"].hex).hex(), token.tokenKeyId.hex(), "token key id")
            val set = TokenKeySet(1uL, c.issuerName(), listOf(TokenKeyEntry(ByteArray(0), rv["pkS"].hex, 0uL, 1uL shl 63)))
            verifyToken(rv["token"].hex, c, set)
            val input = rv["token"].hex.copyOf(98)
            sk.publicKey().verify(BlindRsaVariant.SHA384_PSS_DETERMINISTIC, input, token.authenticator)
            t.throws<BlindpostException.BlindRsa>("altered token input", BlindRsaErrorKind.InvalidSignature) {
                sk.publicKey().verify(BlindRsaVariant.SHA384_PSS_DETERMINISTIC, input + byteArrayOf(1), token.authenticator)
            }
        }
    }

    t.test("rfc9474 RSABSSA vectors") {
        for (rv in Json.file("rfc9474.json")["vectors"].list) {
            val variant = blindRsaVariantFromName(rv["name"].str)!!
            t.eq(rv["name"].str, blindRsaVariantName(variant), "variant name")
            val pk = BlindRsaPublicKey.fromComponents(intBytes(rv["n"].str), intBytes(rv["e"].str))
            t.eq(BigInteger(rv["n"].str.removePrefix("0x"), 16), BigInteger(1, pk.modulus()), "modulus")
            val input = rv["input_msg"].hex
            val prefix = if (rv["is_randomized"].str == "0x01") rv["msg_prefix"].hex else ByteArray(0)
            t.eq((prefix + rv["msg"].hex).hex(), input.hex(), "input_msg")
            pk.verify(variant, input, rv["sig"].hex)
            val k = pk.modulus().size
            val inv = intBytes(rv["inv"].str).let { ByteArray(k - it.size) + it }
            t.eq(rv["sig"].str, pk.finalize(variant, input, rv["blind_sig"].hex, inv).hex(), "finalized signature")
            val bad = rv["sig"].hex.also { it[it.size - 1] = (it[it.size - 1].toInt() xor 1).toByte() }
            t.throws<BlindpostException.BlindRsa>("flipped signature", BlindRsaErrorKind.InvalidSignature) { pk.verify(variant, input, bad) }
            t.throws<BlindpostException.BlindRsa>("finalize for another message", BlindRsaErrorKind.InvalidBlindSignature) {
                pk.finalize(variant, input + byteArrayOf(1), rv["blind_sig"].hex, inv)
            }
        }
    }

    return t.done()
}
