// Hostile input through every decoding export of the Swift bindings: random bytes, every
// truncation and extension of valid encodings, huge length prefixes and oversized requests must
// each throw a typed BlindpostError and never crash the process (a Rust panic would surface as
// a fatal error here). The hostile bytes come from the bindings' own VectorRng, as in the other
// languages.

import Dispatch
import Foundation
import blindpost

func isMalformed(_ e: BlindpostError) -> Bool {
    if case .Malformed = e { return true }
    return false
}

func hostileTests() throws -> Bool {
    let t = Tests("swift hostile input")
    let v = try vectorsFile("certificates.json", as: CertificateVectors.self)
    let validCert = try Data(hex: v.certificates[1].bytes)
    let validKeySet = try Data(hex: v.key_set)
    let validPk = try Data(hex: v.identities[0].public_key)
    let validPop = try Data(hex: v.identities[0].proof_of_possession!)
    let now = v.verify_cases[0].now
    let rng = VectorRng(seed: Data("blindpost/v1 hostile input".utf8))
    let keySet = try IssuerKeySet.fromBytes(bytes: validKeySet)
    let pk = try BlsPublicKey.fromBytes(bytes: validPk)
    let lengths = [0, 1, 2, 7, 31, 33, 47, 49, 95, 97, 100, 255, 256, 1000, 65536, 1 << 22]

    func random(_ n: Int) throws -> Data {
        var out = Data()
        while out.count < n {
            out += try rng.nextBytes(length: UInt32(min(n - out.count, 1 << 20)))
        }
        return out
    }

    let decoders: [(String, (Data) throws -> Void)] = [
        ("BlsSecretKey.fromBytes", { _ = try BlsSecretKey.fromBytes(bytes: $0) }),
        ("BlsPublicKey.fromBytes", { _ = try BlsPublicKey.fromBytes(bytes: $0) }),
        ("BlsPublicKey.verify", { try pk.verify(message: Data("message".utf8), signature: $0) }),
        ("BlsPublicKey.popVerify", { try pk.popVerify(proof: $0) }),
        ("IssuerKeySet.fromBytes", { _ = try IssuerKeySet.fromBytes(bytes: $0) }),
        ("decodeCertificateUnverified", { _ = try decodeCertificateUnverified(bytes: $0) }),
        ("IssuerKeySet.verify", { _ = try keySet.verify(certificate: $0, now: now, expectedPhone: nil) }),
        ("CodeSecret.fromBytes", { _ = try CodeSecret.fromBytes(bytes: $0) }),
    ]

    t.test("random bytes") {
        for (name, call) in decoders {
            for n in lengths {
                if n == 32 && (name == "BlsSecretKey.fromBytes" || name == "CodeSecret.fromBytes") { continue }
                let bytes = try random(n)
                try t.throwsError("\(name) on \(n) random bytes") { try call(bytes) }
            }
        }
    }

    t.test("truncations and extensions") {
        let cases: [((Data) throws -> Void, Data)] = [
            ({ _ = try decodeCertificateUnverified(bytes: $0) }, validCert),
            ({ _ = try keySet.verify(certificate: $0, now: now, expectedPhone: nil) }, validCert),
            ({ _ = try IssuerKeySet.fromBytes(bytes: $0) }, validKeySet),
            ({ _ = try BlsPublicKey.fromBytes(bytes: $0) }, validPk),
            ({ try pk.popVerify(proof: $0) }, validPop),
        ]
        for (call, valid) in cases {
            try call(valid)
            for n in 0..<valid.count {
                try t.throwsError("truncated to \(n)", isKind(DecodeErrorKind.truncated)) { try call(valid.prefix(n)) }
            }
            for extra in [Data([0]), Data(repeating: 0xff, count: 9), try random(4096)] {
                try t.throwsError("\(extra.count) extra bytes", isKind(DecodeErrorKind.trailingBytes)) { try call(valid + extra) }
            }
        }
    }

    t.test("every byte flipped") {
        for i in 0..<validCert.count {
            for mask: UInt8 in [0x01, 0x80] {
                var bad = validCert
                bad[i] ^= mask
                try t.throwsError("bit \(mask) of byte \(i)") {
                    _ = try keySet.verify(certificate: bad, now: now, expectedPhone: nil)
                }
            }
        }
    }

    t.test("huge lengths") {
        let phoneLenAt = 1 + 8 + 8 + 8 + 8
        var cert = validCert
        cert[phoneLenAt] = 0xff
        try t.throwsError("phone length 255", isMalformed) { _ = try decodeCertificateUnverified(bytes: cert) }
        let hostLenAt = phoneLenAt + 1 + Int(validCert[phoneLenAt]) + 48
        var cert2 = validCert
        cert2[hostLenAt] = 0xff
        try t.throwsError("host key length 255", isMalformed) { _ = try decodeCertificateUnverified(bytes: cert2) }
        var ks = validKeySet
        ks[1] = 0xff
        try t.throwsError("255 keys", isMalformed) { _ = try IssuerKeySet.fromBytes(bytes: ks) }
        let tooLarge: (BlindpostError) -> Bool = { if case .RequestTooLarge = $0 { return true } else { return false } }
        let asked = try t.throwsError("4 GiB from the rng", tooLarge) { _ = try rng.nextBytes(length: UInt32.max) }
        if case let .RequestTooLarge(requested, max, _) = asked {
            try t.eq([UInt64(UInt32.max), 1 << 20], [requested, max], "4 GiB from the rng")
        }
        try t.throwsError("1 MiB + 1 from the rng", tooLarge) {
            _ = try VectorRng(seed: Data([1])).nextBytes(length: (1 << 20) + 1)
        }
    }

    t.test("bad arguments") {
        try t.throwsError("31-byte IKM", isKind(BlsErrorKind.ikmTooShort(length: 31))) {
            _ = try BlsSecretKey.keyGen(ikm: Data(repeating: 1, count: 31), keyInfo: Data())
        }
        try t.throwsError("secret key >= r", isKind(DecodeErrorKind.nonCanonicalScalar)) { _ = try BlsSecretKey.fromBytes(bytes: Data(repeating: 0xff, count: 32)) }
        try t.throwsError("zero secret key", isKind(DecodeErrorKind.zeroScalar)) { _ = try BlsSecretKey.fromBytes(bytes: Data(count: 32)) }
        let badPhone = isKind(CertificateErrorKind.invalidPhoneNumber)
        for text in ["", "+", "14155550100", "+0123", "+1 415", "+1234567890123456", "+1\u{0663}", "+\u{0000}"] {
            try t.throwsError("phone '\(text)'", badPhone) { _ = try PhoneNumber.parse(text: text) }
        }
        try t.throwsError("3 digits", isKind(CodeErrorKind.invalidDigits(digits: 3))) { _ = try CodeConfig(digits: 3, windowSeconds: 600) }
        try t.throwsError("11 digits", isKind(CodeErrorKind.invalidDigits(digits: 11))) { _ = try CodeConfig(digits: 11, windowSeconds: 600) }
        try t.throwsError("zero window", isKind(CodeErrorKind.zeroWindow)) {
            _ = try CodeConfig(digits: 6, windowSeconds: 0)
        }
        let config = CodeConfig.recommended()
        let secret = try CodeSecret.fromBytes(bytes: Data(repeating: 7, count: 32))
        let phone = try PhoneNumber.parse(text: "+14155550100")
        for code in ["", String(repeating: "1", count: 5000), "\u{0661}\u{0662}\u{0663}\u{0664}\u{0665}\u{0666}", "12345\u{0000}"] {
            try t.throwsError("code '\(code.prefix(8))'") {
                try config.check(secret: secret, phone: phone, session: Data(repeating: 5, count: 32), window: config.window(now: now), code: code, now: now)
            }
        }
        for length in [0, 31, 33] {
            try t.throwsError("session of \(length) bytes") {
                try config.check(secret: secret, phone: phone, session: Data(repeating: 5, count: length), window: config.window(now: now), code: "123456", now: now)
            }
        }
        try t.throwsError("no keys", isKind(CertificateErrorKind.emptyKeySet)) {
            _ = try IssuerKeySet.fromKeys(keys: [])
        }
        let garbage = IssuerKey(keyId: Data(count: 8), publicKey: try random(48), notBefore: 0, notAfter: 1)
        try t.throwsError("garbage key", isMalformed) { _ = try IssuerKeySet.fromKeys(keys: [garbage]) }
        let issuer = v.issuer_keys[0]
        let wrongId = IssuerKey(keyId: Data(count: 8), publicKey: try Data(hex: issuer.public_key), notBefore: 0, notAfter: 1)
        let wrong = try t.throwsError("wrong key id", isKind(DecodeErrorKind.invalidValue)) { _ = try IssuerKeySet.fromKeys(keys: [wrongId]) }
        if case let .Malformed(field, _, _) = wrong { try t.eq("issuer_key.key_id", field, "wrong key id: field") }
        let signer = try CertificateIssuer(
            secretKey: BlsSecretKey.fromBytes(bytes: Data(hex: issuer.secret_key)), notBefore: 10, notAfter: 20)
        try t.throwsError("reversed issuer validity", isKind(CertificateErrorKind.invalidValidity(notBefore: 20, notAfter: 10))) {
            _ = try CertificateIssuer(secretKey: BlsSecretKey.generate(), notBefore: 20, notAfter: 10)
        }
        try t.throwsError("empty host key", isKind(CertificateErrorKind.emptyHostKey)) {
            _ = try signer.issue(phone: phone, identityKey: pk, hostKey: Data(), serial: 1, notBefore: 10, notAfter: 20)
        }
        try t.throwsError("65-byte host key", isKind(CertificateErrorKind.hostKeyTooLong(length: 65))) {
            _ = try signer.issue(phone: phone, identityKey: pk, hostKey: Data(count: 65), serial: 1, notBefore: 10, notAfter: 20)
        }
        try t.throwsError("outside the key", isKind(CertificateErrorKind.validityOutsideIssuerKey)) {
            _ = try signer.issue(phone: phone, identityKey: pk, hostKey: nil, serial: 1, notBefore: 9, notAfter: 20)
        }
        try t.throwsError("reversed validity", isKind(CertificateErrorKind.invalidValidity(notBefore: 15, notAfter: 14))) {
            _ = try signer.issue(phone: phone, identityKey: pk, hostKey: nil, serial: 1, notBefore: 15, notAfter: 14)
        }
    }

    t.test("objects are shared across threads") {
        let c = v.verify_cases[0]
        let cert = try Data(hex: c.certificate)
        let lock = NSLock()
        var serials = [UInt64]()
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            let serial = (try? keySet.verify(certificate: cert, now: c.now, expectedPhone: nil).serial) ?? 0
            lock.lock()
            serials.append(serial)
            lock.unlock()
        }
        try t.eq(Array(repeating: v.certificates[0].serial, count: 16), serials, "serials")
    }

    return t.summary()
}
