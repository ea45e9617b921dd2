// The files of test-vectors/ checked through the Kotlin bindings. Every expected value is read
// from the JSON files (BLINDPOST_VECTORS names their folder); run by bindings/run-tests.sh.

package blindpost.tests

import blindpost.testsupport.*
import uniffi.blindpost.*

/** The phase-1 vectors checks (formerly a script): each `t.test` runs in an `init` block, in order. */
private class Phase1Vectors {

    val t = Tests("kotlin vectors")

    fun certificateOutcome(call: () -> Unit): Map<String, String> =
        try {
            call()
            mapOf("result" to "ok")
        } catch (e: BlindpostException.Malformed) {
            mapOf("result" to "malformed", "field" to e.field, "kind" to vectorName(e.kind))
        } catch (e: BlindpostException.Certificate) {
            // unknown_issuer, bad_signature, expired, not_yet_valid, wrong_phone_number
            mapOf("result" to vectorName(e.kind))
        }

    fun codeOutcome(call: () -> Unit): String =
        try {
            call()
            "ok"
        } catch (e: BlindpostException.Code) {
            vectorName(e.kind) // wrong_code, wrong_length, not_digits, too_many_attempts
        }

    fun expectedMap(j: Json): Map<String, String> = (j as Json.Obj).fields.mapValues { it.value.str }

    val certs = Json.file("certificates.json")
    val keySet = IssuerKeySet.fromBytes(certs["key_set"].hex)
    val allKeys = certs["issuer_keys"].list + listOf(certs["rogue_issuer_key"]) + certs["identities"].list

    init {
    t.test("ciphersuite") { t.eq(certs["bls_ciphersuite"].str, blsCiphersuite(), "ciphersuite") }
    }

    init {
    t.test("IKMs come from the vector rng") {
        val rng = VectorRng(certs["seed"].str.toByteArray())
        for (entry in allKeys) t.eq(entry["ikm"].str, rng.nextBytes(32u).hex(), "ikm")
    }
    }

    init {
    t.test("keys from IKM") {
        for (entry in allKeys) {
            val sk = BlsSecretKey.keyGen(entry["ikm"].hex, ByteArray(0))
            t.eq(entry["secret_key"].str, sk.toBytes().hex(), "secret key")
            val pk = sk.publicKey()
            t.eq(entry["public_key"].str, pk.toBytes().hex(), "public key")
            t.eq(BlsPublicKey.fromBytes(entry["public_key"].hex), pk, "decoded public key")
            if (entry.has("key_id")) t.eq(entry["key_id"].str, issuerKeyId(pk).hex(), "key id")
            if (entry.has("proof_of_possession")) {
                t.eq(entry["proof_of_possession"].str, sk.popProve().hex(), "pop")
                pk.popVerify(entry["proof_of_possession"].hex)
            }
        }
    }
    }

    init {
    t.test("key set") {
        t.eq(certs["key_set"].str, keySet.toBytes().hex(), "encoding")
        t.eq(certs["key_set_fingerprint"].str, keySet.fingerprint().hex(), "fingerprint")
        val expected = certs["issuer_keys"].list
            .map { listOf(it["key_id"].str, it["public_key"].str, it["not_before"].uLong.toString(), it["not_after"].uLong.toString()) }
            .sortedBy { it[0] }
        val got = keySet.keys().map { listOf(it.keyId.hex(), it.publicKey.hex(), it.notBefore.toString(), it.notAfter.toString()) }
        t.eq(expected, got, "keys")
        val rebuilt = IssuerKeySet.fromKeys(
            certs["issuer_keys"].list.reversed().map {
                IssuerKey(it["key_id"].hex, it["public_key"].hex, it["not_before"].uLong, it["not_after"].uLong)
            },
        )
        t.eq(keySet, rebuilt, "key set from keys")
    }
    }

    init {
    t.test("key set cases") {
        for (case in certs["key_set_cases"].list) {
            val got = certificateOutcome { IssuerKeySet.fromBytes(case["key_set"].hex) }
            t.eq(expectedMap(case["expected"]), got, case["name"].str)
        }
    }
    }

    init {
    t.test("certificates decode and re-issue") {
        for (c in certs["certificates"].list) {
            val name = c["name"].str
            val cert = decodeCertificateUnverified(c["bytes"].hex)
            val issuer = certs["issuer_keys"][c["issuer"].int]
            t.eq(c["bytes"].str, cert.bytes.hex(), "$name bytes")
            t.eq(issuer["key_id"].str, cert.issuerKeyId.hex(), "$name issuer")
            t.eq(c["serial"].uLong, cert.serial, "$name serial")
            t.eq(c["not_before"].uLong, cert.notBefore, "$name not_before")
            t.eq(c["not_after"].uLong, cert.notAfter, "$name not_after")
            t.eq(c["phone"].str, cert.phone, "$name phone")
            t.eq(c["identity_key"].str, cert.identityKey.hex(), "$name identity key")
            t.eq(c["host_key"].strOrNull, cert.hostKey?.hex(), "$name host key")
            val signer = CertificateIssuer(
                BlsSecretKey.fromBytes(issuer["secret_key"].hex),
                issuer["not_before"].uLong,
                issuer["not_after"].uLong,
            )
            t.eq(issuer["key_id"].str, signer.issuerKey().keyId.hex(), "$name signer key id")
            val again = signer.issue(
                PhoneNumber.parse(c["phone"].str),
                BlsPublicKey.fromBytes(c["identity_key"].hex),
                c["host_key"].strOrNull?.hexToBytes(),
                c["serial"].uLong,
                c["not_before"].uLong,
                c["not_after"].uLong,
            )
            t.eq(c["bytes"].str, again.hex(), "$name re-issued")
        }
    }
    }

    init {
    t.test("verify cases") {
        for (case in certs["verify_cases"].list) {
            val name = case["name"].str
            val phone = case["expected_phone"].strOrNull?.let { PhoneNumber.parse(it) }
            val bytes = case["certificate"].hex
            val now = case["now"].uLong
            val got = certificateOutcome { keySet.verify(bytes, now, phone) }
            t.eq(expectedMap(case["expected"]), got, name)
            if (got["result"] == "ok") {
                val cert = keySet.verify(bytes, now, phone)
                t.eq(case["certificate"].str, cert.bytes.hex(), "$name fields")
                case["expected_phone"].strOrNull?.let { t.eq(it, cert.phone, "$name phone") }
            }
        }
    }
    }

    val codes = Json.file("verification_codes.json")
    val secret = CodeSecret.fromBytes(codes["secret"].hex)

    init {
    t.test("code secret and dst") {
        t.eq(codes["secret"].str, VectorRng(codes["seed"].str.toByteArray()).nextBytes(32u).hex(), "secret from seed")
        t.eq(codes["secret"].str, secret.toBytes().hex(), "secret")
        t.eq(codes["dst"].str, verificationCodeDst(), "dst")
    }
    }

    init {
    t.test("derive cases") {
        val windowSeconds = codes["check_config"]["window_seconds"].uLong
        for (case in codes["derive_cases"].list) {
            val config = CodeConfig(case["digits"].int.toUByte(), windowSeconds)
            val code = config.derive(secret, PhoneNumber.parse(case["phone"].str), case["window"].uLong, case["session"].hex)
            t.eq(case["code"].str, code, "${case["phone"].str} window ${case["window"].uLong} session ${case["session"].str}")
        }
    }
    }

    init {
    t.test("check cases") {
        val cfg = codes["check_config"]
        val config = CodeConfig(cfg["digits"].int.toUByte(), cfg["window_seconds"].uLong)
        for (case in codes["check_cases"].list) {
            val phone = PhoneNumber.parse(case["phone"].str)
            val got = codeOutcome { config.check(secret, phone, case["session"].hex, case["window"].uLong, case["code"].str, case["now"].uLong) }
            t.eq(case["expected"].str, got, case["name"].str)
        }
    }
    }

    init {
    t.test("policy cases") {
        val policy = CodePolicy(codes["policy_max_attempts"].int.toUInt())
        t.eq(codes["policy_max_attempts"].int.toUInt(), policy.maxAttempts(), "max attempts")
        for (case in codes["policy_cases"].list) {
            val got = codeOutcome { policy.allowAttempt(case["attempts_so_far"].int.toUInt()) }
            t.eq(case["expected"].str, got, "attempts ${case["attempts_so_far"].int}")
        }
    }
    }

    init {
    t.test("bls keygen") {
        for (case in Json.file("bls_keygen.json")["vectors"].list) {
            val sk = BlsSecretKey.keyGen(case["ikm"].hex, case["key_info"].hex)
            t.eq(case["sk_decimal"].str, java.math.BigInteger(1, sk.toBytes()).toString(), "master SK")
        }
    }
    }

    init {
    t.test("bls eth consensus") {
        val v = Json.file("bls_eth_consensus.json")
        t.eq(v["ciphersuite"].str, blsCiphersuite(), "ciphersuite")
        for (case in v["sk_to_pk"].list) {
            t.eq(case["pubkey"].str, BlsSecretKey.fromBytes(case["privkey"].hex).publicKey().toBytes().hex(), "sk_to_pk")
        }
        for (case in v["sign"].list) {
            val name = case["name"].str
            if (case["signature"].isNull) {
                t.throws<BlindpostException.Malformed>(name, DecodeErrorKind.ZERO_SCALAR) { BlsSecretKey.fromBytes(case["privkey"].hex) }
            } else {
                val sig = BlsSecretKey.fromBytes(case["privkey"].hex).sign(case["message"].hex)
                t.eq(case["signature"].str, sig.hex(), name)
            }
        }
        for (case in v["verify"].list) {
            val ok = try {
                BlsPublicKey.fromBytes(case["pubkey"].hex).verify(case["message"].hex, case["signature"].hex)
                true
            } catch (e: BlindpostException.Malformed) {
                false
            } catch (e: BlindpostException.Bls) {
                t.eq<BlsErrorKind>(BlsErrorKind.InvalidSignature, e.kind, case["name"].str)
                false
            }
            t.eq(case["output"].bool, ok, case["name"].str)
        }
    }
    }
}

fun phase1VectorsTests(): Boolean = Phase1Vectors().t.done()
