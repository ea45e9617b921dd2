// Registration driven from Swift with the primitives phase 1 exports: a server with a code
// secret and a certificate issuer, two clients proving their phone numbers and getting
// certificates, and each client checking the other's certificate and identity signature.
// The whole conversation through the exported state machines is Conversation.swift.

import Foundation
import blindpost

private let NOW: UInt64 = 1_760_000_000

private final class PrimitiveServer {
    let codeSecret: CodeSecret
    let codes = CodeConfig.recommended()
    let policy = CodePolicy.recommended()
    var windows = [String: UInt64]()
    var attempts = [String: UInt32]()
    let issuer: CertificateIssuer
    let keySet: IssuerKeySet
    var serial: UInt64 = 0

    init() throws {
        codeSecret = try CodeSecret.generate()
        issuer = try CertificateIssuer(secretKey: BlsSecretKey.generate(), notBefore: NOW - DAY, notAfter: NOW + 365 * DAY)
        keySet = try IssuerKeySet.fromKeys(keys: [issuer.issuerKey()])
    }

    func key(_ phone: PhoneNumber, _ session: Data) -> String {
        phone.e164() + session.map { String(format: "%02x", $0) }.joined()
    }

    /// What the host would send by SMS: the code of the client's session, requested now.
    func sendCode(_ phone: PhoneNumber, _ session: Data, _ now: UInt64) throws -> String {
        let k = key(phone, session)
        let window = windows[k] ?? codes.window(now: now)
        windows[k] = window
        return try codes.derive(secret: codeSecret, phone: phone, window: window, session: session)
    }

    func register(_ phone: PhoneNumber, _ session: Data, _ code: String, _ identityKey: Data, _ proof: Data, _ now: UInt64) throws -> Data {
        let k = key(phone, session)
        let window = windows[k]!
        // Every check of the session counts, right or wrong, reserved before it is made.
        try policy.allowAttempt(attemptsSoFar: attempts[k] ?? 0)
        attempts[k, default: 0] += 1
        try codes.check(secret: codeSecret, phone: phone, session: session, window: window, code: code, now: now)
        let identity = try BlsPublicKey.fromBytes(bytes: identityKey)
        try identity.popVerify(proof: proof)
        serial += 1
        return try issuer.issue(phone: phone, identityKey: identity, hostKey: nil, serial: serial, notBefore: now, notAfter: now + 30 * DAY)
    }
}

private final class PrimitiveClient {
    let phone: PhoneNumber
    let identity: BlsSecretKey
    let session = Data((0..<32).map { _ in UInt8.random(in: 0...255) })
    var certificate = Data()

    init(_ number: String) throws {
        phone = try PhoneNumber.parse(text: number)
        identity = try BlsSecretKey.generate()
    }

    func register(_ server: PrimitiveServer, _ now: UInt64) throws {
        let code = try server.sendCode(phone, session, now)
        certificate = try server.register(phone, session, code, identity.publicKey().toBytes(), identity.popProve(), now)
    }
}

func registrationTests() throws -> Bool {
    let t = Tests("swift registration")

    t.test("two clients register and check each other") {
        let server = try PrimitiveServer()
        let pinned = try IssuerKeySet.fromBytes(bytes: server.keySet.toBytes())
        try t.eq(server.keySet.fingerprint(), pinned.fingerprint(), "fingerprint")

        let alice = try PrimitiveClient("+14155550100")
        let bob = try PrimitiveClient("+442079460018")
        try alice.register(server, NOW)
        try bob.register(server, NOW + 60)

        let cert = try pinned.verify(certificate: alice.certificate, now: NOW + 120, expectedPhone: PhoneNumber.parse(text: "+14155550100"))
        try t.eq("+14155550100", cert.phone, "phone")
        try t.eq(alice.identity.publicKey().toBytes(), cert.identityKey, "identity key")
        let intro = Data("introduction for \(bob.phone.e164())".utf8)
        let signature = alice.identity.sign(message: intro)
        try BlsPublicKey.fromBytes(bytes: cert.identityKey).verify(message: intro, signature: signature)
        try t.throwsError("altered introduction", isKind(BlsErrorKind.invalidSignature)) {
            try BlsPublicKey.fromBytes(bytes: cert.identityKey).verify(message: intro + Data([33]), signature: signature)
        }

        try t.eq(2, try pinned.verify(certificate: bob.certificate, now: NOW + 120, expectedPhone: bob.phone).serial, "bob's serial")
        try t.throwsError("another number", isKind(CertificateErrorKind.wrongPhoneNumber)) {
            _ = try pinned.verify(certificate: bob.certificate, now: NOW + 120, expectedPhone: alice.phone)
        }
        try t.throwsError("expired", isKind(CertificateErrorKind.expired(notAfter: NOW + 60 + 30 * DAY, now: NOW + 60 + 31 * DAY))) {
            _ = try pinned.verify(certificate: bob.certificate, now: NOW + 60 + 31 * DAY, expectedPhone: nil)
        }
    }

    t.test("every check of a session is counted and then refused") {
        let server = try PrimitiveServer()
        let client = try PrimitiveClient("+14155550100")
        let right = try server.sendCode(client.phone, client.session, NOW)
        let wrongValue = (Int(right)! + 1) % 1_000_000
        let wrong = String(repeating: "0", count: 6 - String(wrongValue).count) + String(wrongValue)
        let pk = client.identity.publicKey().toBytes()
        for _ in 0..<server.policy.maxAttempts() {
            try t.throwsError("wrong code", isKind(CodeErrorKind.wrongCode)) {
                _ = try server.register(client.phone, client.session, wrong, pk, client.identity.popProve(), NOW)
            }
        }
        try t.throwsError("after too many", isKind(CodeErrorKind.tooManyAttempts)) {
            _ = try server.register(client.phone, client.session, right, pk, client.identity.popProve(), NOW)
        }
        let other = Data(repeating: 7, count: 32)
        _ = try server.sendCode(client.phone, other, NOW)
        try t.throwsError("another session's code", isKind(CodeErrorKind.wrongCode)) {
            _ = try server.register(client.phone, other, right, pk, client.identity.popProve(), NOW)
        }
    }

    t.test("proof of possession is required") {
        let server = try PrimitiveServer()
        let client = try PrimitiveClient("+14155550100")
        let code = try server.sendCode(client.phone, client.session, NOW)
        try t.throwsError("someone else's proof", isKind(BlsErrorKind.invalidProofOfPossession)) {
            _ = try server.register(client.phone, client.session, code, client.identity.publicKey().toBytes(), BlsSecretKey.generate().popProve(), NOW)
        }
    }

    return t.summary()
}
