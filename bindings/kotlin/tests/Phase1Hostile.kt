// Hostile input through every decoding export of the Kotlin bindings: random bytes, every
// truncation and extension of valid encodings, huge length prefixes and oversized requests must
// each throw a typed BlindpostException, never uniffi's InternalException (a Rust panic) and
// never crash the JVM. The hostile bytes come from the bindings' own VectorRng, as in the
// other languages.

package blindpost.tests

import blindpost.testsupport.*
import uniffi.blindpost.*
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/** The phase-1 hostile checks (formerly a script): each `t.test` runs in an `init` block, in order. */
private class Phase1Hostile {

    val t = Tests("kotlin hostile input")
    val certs = Json.file("certificates.json")
    val validCert = certs["certificates"][1]["bytes"].hex
    val validKeySet = certs["key_set"].hex
    val validPk = certs["identities"][0]["public_key"].hex
    val validPop = certs["identities"][0]["proof_of_possession"].hex
    val now = certs["verify_cases"][0]["now"].uLong
    val rng = VectorRng("blindpost/v1 hostile input".toByteArray())
    val keySet = IssuerKeySet.fromBytes(validKeySet)
    val pk = BlsPublicKey.fromBytes(validPk)
    val lengths = listOf(0, 1, 2, 7, 31, 33, 47, 49, 95, 97, 100, 255, 256, 1000, 65536, 1 shl 22)

    fun random(n: Int): ByteArray {
        val out = java.io.ByteArrayOutputStream()
        while (out.size() < n) out.write(rng.nextBytes(minOf(n - out.size(), 1 shl 20).toUInt()))
        return out.toByteArray()
    }

    /** [call] must throw a BlindpostException (of type [E]) with a message. */
    inline fun <reified E : BlindpostException> rejects(what: String, noinline call: () -> Unit) {
        val e = t.throws<E>(what, call)
        t.check(e.toString().isNotEmpty()) { "$what: empty message" }
    }

    /** [call] must throw the variant [E] with [kind] (see [Tests.throws]) and a message. */
    inline fun <reified E : BlindpostException> rejects(what: String, kind: Any, noinline call: () -> Unit): E {
        val e = t.throws<E>(what, kind, call)
        t.check(e.toString().isNotEmpty()) { "$what: empty message" }
        return e
    }

    val decoders: List<Pair<String, (ByteArray) -> Unit>> = listOf(
        "BlsSecretKey.fromBytes" to { b -> BlsSecretKey.fromBytes(b) },
        "BlsPublicKey.fromBytes" to { b -> BlsPublicKey.fromBytes(b) },
        "BlsPublicKey.verify" to { b -> pk.verify("message".toByteArray(), b) },
        "BlsPublicKey.popVerify" to { b -> pk.popVerify(b) },
        "IssuerKeySet.fromBytes" to { b -> IssuerKeySet.fromBytes(b) },
        "decodeCertificateUnverified" to { b -> decodeCertificateUnverified(b) },
        "IssuerKeySet.verify" to { b -> keySet.verify(b, now, null) },
        "CodeSecret.fromBytes" to { b -> CodeSecret.fromBytes(b) },
    )

    init {
    t.test("random bytes") {
        for ((name, call) in decoders) {
            for (n in lengths) {
                if (n == 32 && (name == "BlsSecretKey.fromBytes" || name == "CodeSecret.fromBytes")) continue
                val bytes = random(n)
                rejects<BlindpostException>("$name on $n random bytes") { call(bytes) }
            }
        }
    }
    }

    init {
    t.test("truncations and extensions") {
        val cases: List<Pair<(ByteArray) -> Unit, ByteArray>> = listOf(
            { b: ByteArray -> decodeCertificateUnverified(b); Unit } to validCert,
            { b: ByteArray -> keySet.verify(b, now, null); Unit } to validCert,
            { b: ByteArray -> IssuerKeySet.fromBytes(b); Unit } to validKeySet,
            { b: ByteArray -> BlsPublicKey.fromBytes(b); Unit } to validPk,
            { b: ByteArray -> pk.popVerify(b) } to validPop,
        )
        for ((call, valid) in cases) {
            call(valid)
            for (n in 0 until valid.size) {
                rejects<BlindpostException.Malformed>("truncated to $n", DecodeErrorKind.TRUNCATED) { call(valid.copyOf(n)) }
            }
            for (extra in listOf(byteArrayOf(0), ByteArray(9) { -1 }, random(4096))) {
                rejects<BlindpostException.Malformed>("${extra.size} extra bytes", DecodeErrorKind.TRAILING_BYTES) { call(valid + extra) }
            }
        }
    }
    }

    init {
    t.test("every byte flipped") {
        for (i in validCert.indices) {
            for (mask in listOf(0x01, 0x80)) {
                val bad = validCert.copyOf()
                bad[i] = (bad[i].toInt() xor mask).toByte()
                rejects<BlindpostException>("bit $mask of byte $i") { keySet.verify(bad, now, null) }
            }
        }
    }
    }

    init {
    t.test("huge lengths") {
        val phoneLenAt = 1 + 8 + 8 + 8 + 8
        val cert = validCert.copyOf()
        cert[phoneLenAt] = -1
        rejects<BlindpostException.Malformed>("phone length 255") { decodeCertificateUnverified(cert) }
        val hostLenAt = phoneLenAt + 1 + validCert[phoneLenAt] + 48
        val cert2 = validCert.copyOf()
        cert2[hostLenAt] = -1
        rejects<BlindpostException.Malformed>("host key length 255") { decodeCertificateUnverified(cert2) }
        val ks = validKeySet.copyOf()
        ks[1] = -1
        rejects<BlindpostException.Malformed>("255 keys") { IssuerKeySet.fromBytes(ks) }
        val tooLarge = t.throws<BlindpostException.RequestTooLarge>("4 GiB from the rng") { rng.nextBytes(UInt.MAX_VALUE) }
        t.eq(UInt.MAX_VALUE.toULong() to (1uL shl 20), tooLarge.requested to tooLarge.max, "4 GiB from the rng")
        rejects<BlindpostException.RequestTooLarge>("1 MiB + 1 from the rng") { VectorRng(byteArrayOf(1)).nextBytes((1u shl 20) + 1u) }
    }
    }

    init {
    t.test("bad arguments") {
        rejects<BlindpostException.Bls>("31-byte IKM", BlsErrorKind.IkmTooShort(31uL)) { BlsSecretKey.keyGen(ByteArray(31) { 1 }, ByteArray(0)) }
        rejects<BlindpostException.Malformed>("secret key >= r", DecodeErrorKind.NON_CANONICAL_SCALAR) { BlsSecretKey.fromBytes(ByteArray(32) { -1 }) }
        rejects<BlindpostException.Malformed>("zero secret key", DecodeErrorKind.ZERO_SCALAR) { BlsSecretKey.fromBytes(ByteArray(32)) }
        for (text in listOf("", "+", "14155550100", "+0123", "+1 415", "+1234567890123456", "+1\u0663", "+\u0000")) {
            rejects<BlindpostException.Certificate>("phone '$text'", CertificateErrorKind.InvalidPhoneNumber) { PhoneNumber.parse(text) }
        }
        rejects<BlindpostException.Code>("3 digits", CodeErrorKind.InvalidDigits(3u)) { CodeConfig(3u, 600u) }
        rejects<BlindpostException.Code>("11 digits", CodeErrorKind.InvalidDigits(11u)) { CodeConfig(11u, 600u) }
        rejects<BlindpostException.Code>("zero window", CodeErrorKind.ZeroWindow) { CodeConfig(6u, 0u) }
        val config = CodeConfig.recommended()
        val secret = CodeSecret.fromBytes(ByteArray(32) { 7 })
        val phone = PhoneNumber.parse("+14155550100")
        for (code in listOf("", "1".repeat(5000), "\u0661\u0662\u0663\u0664\u0665\u0666", "12345\u0000")) {
            rejects<BlindpostException>("code '${code.take(8)}'") { config.check(secret, phone, ByteArray(32) { 5 }, config.window(now), code, now) }
        }
        for (session in listOf(ByteArray(0), ByteArray(31), ByteArray(33))) {
            rejects<BlindpostException>("session of ${session.size} bytes") { config.check(secret, phone, session, config.window(now), "123456", now) }
        }
        rejects<BlindpostException.Certificate>("no keys", CertificateErrorKind.EmptyKeySet) { IssuerKeySet.fromKeys(listOf()) }
        rejects<BlindpostException.Malformed>("garbage key") {
            IssuerKeySet.fromKeys(listOf(IssuerKey(ByteArray(8), random(48), 0u, 1u)))
        }
        val issuer = certs["issuer_keys"][0]
        val wrongId = rejects<BlindpostException.Malformed>("wrong key id", DecodeErrorKind.INVALID_VALUE) {
            IssuerKeySet.fromKeys(listOf(IssuerKey(ByteArray(8), issuer["public_key"].hex, 0u, 1u)))
        }
        t.eq("issuer_key.key_id", wrongId.field, "wrong key id: field")
        val signer = CertificateIssuer(BlsSecretKey.fromBytes(issuer["secret_key"].hex), 10u, 20u)
        rejects<BlindpostException.Certificate>("reversed issuer validity", CertificateErrorKind.InvalidValidity(20uL, 10uL)) { CertificateIssuer(BlsSecretKey.generate(), 20u, 10u) }
        rejects<BlindpostException.Certificate>("empty host key", CertificateErrorKind.EmptyHostKey) { signer.issue(phone, pk, ByteArray(0), 1u, 10u, 20u) }
        rejects<BlindpostException.Certificate>("65-byte host key", CertificateErrorKind.HostKeyTooLong(65uL)) { signer.issue(phone, pk, ByteArray(65), 1u, 10u, 20u) }
        rejects<BlindpostException.Certificate>("outside the key", CertificateErrorKind.ValidityOutsideIssuerKey) { signer.issue(phone, pk, null, 1u, 9u, 20u) }
        rejects<BlindpostException.Certificate>("reversed validity", CertificateErrorKind.InvalidValidity(15uL, 14uL)) { signer.issue(phone, pk, null, 1u, 15u, 14u) }
    }
    }

    init {
    t.test("objects are shared across threads") {
        val case = certs["verify_cases"][0]
        val cert = case["certificate"].hex
        val pool = Executors.newFixedThreadPool(4)
        val futures = (1..16).map { pool.submit<ULong> { keySet.verify(cert, case["now"].uLong, null).serial } }
        val serials = futures.map { it.get() }
        pool.shutdown()
        pool.awaitTermination(1, TimeUnit.MINUTES)
        t.eq(List(16) { certs["certificates"][0]["serial"].uLong }, serials, "serials")
    }
    }
}

fun phase1HostileTests(): Boolean = Phase1Hostile().t.done()
