// Registration driven from Kotlin with the primitives phase 1 exports: a server with a code
// secret and a certificate issuer, two clients proving their phone numbers and getting
// certificates, and each client checking the other's certificate and identity signature.
// The whole conversation through the exported state machines is Conversation.kt.

package blindpost.tests

import blindpost.testsupport.*
import uniffi.blindpost.*

/** The phase-1 registration checks (formerly a script): each `t.test` runs in an `init` block, in order. */
private class Phase1Registration {

    val t = Tests("kotlin registration")
    val NOW = 1_760_000_000uL
    val DAY = 86_400uL

    inner class Server {
        val codeSecret = CodeSecret.generate()
        val codes = CodeConfig.recommended()
        val policy = CodePolicy.recommended()
        val windows = HashMap<String, ULong>()
        val attempts = HashMap<String, UInt>()
        val issuer = CertificateIssuer(BlsSecretKey.generate(), NOW - DAY, NOW + 365uL * DAY)
        val keySet = IssuerKeySet.fromKeys(listOf(issuer.issuerKey()))
        var serial = 0uL

        fun key(phone: PhoneNumber, session: ByteArray) = phone.e164() + session.hex()

        /** What the host would send by SMS: the code of the client's session, requested now. */
        fun sendCode(phone: PhoneNumber, session: ByteArray, now: ULong): String {
            val window = windows.getOrPut(key(phone, session)) { codes.window(now) }
            return codes.derive(codeSecret, phone, window, session)
        }

        fun register(phone: PhoneNumber, session: ByteArray, code: String, identityKey: ByteArray, proof: ByteArray, now: ULong): ByteArray {
            val k = key(phone, session)
            val window = windows[k] ?: throw IllegalStateException("no code requested")
            // Every check of the session counts, right or wrong, reserved before it is made.
            policy.allowAttempt(attempts[k] ?: 0u)
            attempts[k] = (attempts[k] ?: 0u) + 1u
            codes.check(codeSecret, phone, session, window, code, now)
            val identity = BlsPublicKey.fromBytes(identityKey)
            identity.popVerify(proof)
            serial += 1uL
            return issuer.issue(phone, identity, null, serial, now, now + 30uL * DAY)
        }
    }

    inner class Client(number: String) {
        val phone = PhoneNumber.parse(number)
        val identity = BlsSecretKey.generate()
        val session = ByteArray(32).also { java.security.SecureRandom().nextBytes(it) }
        var certificate: ByteArray? = null

        fun register(server: Server, now: ULong) {
            val code = server.sendCode(phone, session, now)
            certificate = server.register(phone, session, code, identity.publicKey().toBytes(), identity.popProve(), now)
        }
    }

    init {
    t.test("two clients register and check each other") {
        val server = Server()
        val pinned = IssuerKeySet.fromBytes(server.keySet.toBytes())
        t.eq(server.keySet.fingerprint().hex(), pinned.fingerprint().hex(), "fingerprint")

        val alice = Client("+14155550100")
        val bob = Client("+442079460018")
        alice.register(server, NOW)
        bob.register(server, NOW + 60uL)

        val cert = pinned.verify(alice.certificate!!, NOW + 120uL, PhoneNumber.parse("+14155550100"))
        t.eq("+14155550100", cert.phone, "phone")
        t.eq(alice.identity.publicKey().toBytes().hex(), cert.identityKey.hex(), "identity key")
        val intro = "introduction for ${bob.phone.e164()}".toByteArray()
        val signature = alice.identity.sign(intro)
        BlsPublicKey.fromBytes(cert.identityKey).verify(intro, signature)
        t.throws<BlindpostException.Bls>("altered introduction", BlsErrorKind.InvalidSignature) {
            BlsPublicKey.fromBytes(cert.identityKey).verify(intro + byteArrayOf(33), signature)
        }

        t.eq(2uL, pinned.verify(bob.certificate!!, NOW + 120uL, bob.phone).serial, "bob's serial")
        t.throws<BlindpostException.Certificate>("another number", CertificateErrorKind.WrongPhoneNumber) {
            pinned.verify(bob.certificate!!, NOW + 120uL, alice.phone)
        }
        t.throws<BlindpostException.Certificate>("expired", CertificateErrorKind.Expired(NOW + 60uL + 30uL * DAY, NOW + 60uL + 31uL * DAY)) {
            pinned.verify(bob.certificate!!, NOW + 60uL + 31uL * DAY, null)
        }
    }
    }

    init {
    t.test("every check of a session is counted and then refused") {
        val server = Server()
        val client = Client("+14155550100")
        val right = server.sendCode(client.phone, client.session, NOW)
        val wrong = ((right.toInt() + 1) % 1_000_000).toString().padStart(6, '0')
        val pk = client.identity.publicKey().toBytes()
        repeat(server.policy.maxAttempts().toInt()) {
            t.throws<BlindpostException.Code>("wrong code", CodeErrorKind.WrongCode) {
                server.register(client.phone, client.session, wrong, pk, client.identity.popProve(), NOW)
            }
        }
        t.throws<BlindpostException.Code>("after too many", CodeErrorKind.TooManyAttempts) {
            server.register(client.phone, client.session, right, pk, client.identity.popProve(), NOW)
        }
        t.throws<BlindpostException.Code>("another session's code", CodeErrorKind.WrongCode) {
            val other = ByteArray(32) { 7 }
            server.sendCode(client.phone, other, NOW)
            server.register(client.phone, other, right, pk, client.identity.popProve(), NOW)
        }
    }
    }

    init {
    t.test("proof of possession is required") {
        val server = Server()
        val client = Client("+14155550100")
        val code = server.sendCode(client.phone, client.session, NOW)
        t.throws<BlindpostException.Bls>("someone else's proof", BlsErrorKind.InvalidProofOfPossession) {
            server.register(client.phone, client.session, code, client.identity.publicKey().toBytes(), BlsSecretKey.generate().popProve(), NOW)
        }
    }
    }
}

fun phase1RegistrationTests(): Boolean = Phase1Registration().t.done()
