// The files of test-vectors/ checked through the Swift bindings. Every expected value is read
// from the JSON files; nothing here is a hard-coded result.

import Foundation
import blindpost

struct Outcome: Decodable, Equatable, CustomStringConvertible {
    var result: String
    var field: String? = nil
    var kind: String? = nil
    var description: String { "\(result) \(field ?? "") \(kind ?? "")" }
}

struct KeyEntry: Decodable {
    let ikm: String
    let secret_key: String
    let public_key: String
    let key_id: String?
    let proof_of_possession: String?
    let not_before: UInt64?
    let not_after: UInt64?
}

struct CertificateEntry: Decodable {
    let name: String
    let bytes: String
    let issuer: Int
    let serial: UInt64
    let not_before: UInt64
    let not_after: UInt64
    let phone: String
    let identity_key: String
    let host_key: String?
}

struct KeySetCase: Decodable {
    let name: String
    let key_set: String
    let expected: Outcome
}

struct VerifyCase: Decodable {
    let name: String
    let certificate: String
    let now: UInt64
    let expected_phone: String?
    let expected: Outcome
}

struct CertificateVectors: Decodable {
    let bls_ciphersuite: String
    let seed: String
    let identities: [KeyEntry]
    let issuer_keys: [KeyEntry]
    let rogue_issuer_key: KeyEntry
    let key_set: String
    let key_set_fingerprint: String
    let key_set_cases: [KeySetCase]
    let certificates: [CertificateEntry]
    let verify_cases: [VerifyCase]
}

struct CodeVectors: Decodable {
    struct Config: Decodable {
        let digits: UInt8
        let window_seconds: UInt64
    }
    struct Derive: Decodable {
        let phone: String
        let window: UInt64
        let session: String
        let digits: UInt8
        let code: String
    }
    struct Check: Decodable {
        let name: String
        let phone: String
        let session: String
        let window: UInt64
        let code: String
        let now: UInt64
        let expected: String
    }
    struct Policy: Decodable {
        let attempts_so_far: UInt32
        let expected: String
    }
    let seed: String
    let secret: String
    let dst: String
    let check_config: Config
    let derive_cases: [Derive]
    let check_cases: [Check]
    let policy_max_attempts: UInt32
    let policy_cases: [Policy]
}

struct KeygenVectors: Decodable {
    struct Case: Decodable {
        let ikm: String
        let key_info: String
        let sk_decimal: String
    }
    let vectors: [Case]
}

struct EthVectors: Decodable {
    struct SkToPk: Decodable {
        let privkey: String
        let pubkey: String
    }
    struct Sign: Decodable {
        let name: String
        let privkey: String
        let message: String
        let signature: String?
    }
    struct Verify: Decodable {
        let name: String
        let pubkey: String
        let message: String
        let signature: String
        let output: Bool
    }
    let ciphersuite: String
    let sk_to_pk: [SkToPk]
    let sign: [Sign]
    let verify: [Verify]
}

/// The outcome of a certificate or key set call, named as in certificates.json.
func certificateOutcome(_ call: () throws -> Void) throws -> Outcome {
    do {
        try call()
        return Outcome(result: "ok")
    } catch BlindpostError.Malformed(let field, let kind, _) {
        return Outcome(result: "malformed", field: field, kind: snakeCase(kind))
    } catch BlindpostError.Certificate(let kind, _) {
        // unknown_issuer, bad_signature, expired, not_yet_valid, wrong_phone_number
        return Outcome(result: snakeCase(kind))
    }
}

/// The outcome of a code check or policy call, named as in verification_codes.json.
func codeOutcome(_ call: () throws -> Void) throws -> String {
    do {
        try call()
        return "ok"
    } catch BlindpostError.Code(let kind, _) {
        return snakeCase(kind)  // wrong_code, wrong_length, not_digits, too_many_attempts
    }
}

func vectorTests() throws -> Bool {
    let t = Tests("swift vectors")
    let v = try vectorsFile("certificates.json", as: CertificateVectors.self)
    let keySet = try IssuerKeySet.fromBytes(bytes: Data(hex: v.key_set))
    let allKeys = v.issuer_keys + [v.rogue_issuer_key] + v.identities

    t.test("ciphersuite") { try t.eq(v.bls_ciphersuite, blsCiphersuite(), "ciphersuite") }

    t.test("IKMs come from the vector rng") {
        let rng = VectorRng(seed: Data(v.seed.utf8))
        for entry in allKeys {
            try t.eq(entry.ikm, try rng.nextBytes(length: 32).hex, "ikm")
        }
    }

    t.test("keys from IKM") {
        for entry in allKeys {
            let sk = try BlsSecretKey.keyGen(ikm: Data(hex: entry.ikm), keyInfo: Data())
            try t.eq(entry.secret_key, sk.toBytes().hex, "secret key")
            let pk = sk.publicKey()
            try t.eq(entry.public_key, pk.toBytes().hex, "public key")
            try t.check(try BlsPublicKey.fromBytes(bytes: Data(hex: entry.public_key)) == pk, "decoded public key")
            if let id = entry.key_id { try t.eq(id, issuerKeyId(publicKey: pk).hex, "key id") }
            if let pop = entry.proof_of_possession {
                try t.eq(pop, sk.popProve().hex, "pop")
                try pk.popVerify(proof: Data(hex: pop))
            }
        }
    }

    t.test("key set") {
        try t.eq(v.key_set, keySet.toBytes().hex, "encoding")
        try t.eq(v.key_set_fingerprint, keySet.fingerprint().hex, "fingerprint")
        let expected = v.issuer_keys
            .map { "\($0.key_id!) \($0.public_key) \($0.not_before!) \($0.not_after!)" }
            .sorted()
        let got = keySet.keys().map { "\($0.keyId.hex) \($0.publicKey.hex) \($0.notBefore) \($0.notAfter)" }
        try t.eq(expected, got, "keys")
        let rebuilt = try IssuerKeySet.fromKeys(keys: v.issuer_keys.reversed().map {
            IssuerKey(
                keyId: try Data(hex: $0.key_id!), publicKey: try Data(hex: $0.public_key),
                notBefore: $0.not_before!, notAfter: $0.not_after!)
        })
        try t.check(rebuilt == keySet, "key set from keys")
    }

    t.test("key set cases") {
        for c in v.key_set_cases {
            let got = try certificateOutcome { _ = try IssuerKeySet.fromBytes(bytes: Data(hex: c.key_set)) }
            try t.eq(c.expected, got, c.name)
        }
    }

    t.test("certificates decode and re-issue") {
        for c in v.certificates {
            let cert = try decodeCertificateUnverified(bytes: Data(hex: c.bytes))
            let issuer = v.issuer_keys[c.issuer]
            try t.eq(c.bytes, cert.bytes.hex, "\(c.name) bytes")
            try t.eq(issuer.key_id!, cert.issuerKeyId.hex, "\(c.name) issuer")
            try t.eq(c.serial, cert.serial, "\(c.name) serial")
            try t.eq(c.not_before, cert.notBefore, "\(c.name) not_before")
            try t.eq(c.not_after, cert.notAfter, "\(c.name) not_after")
            try t.eq(c.phone, cert.phone, "\(c.name) phone")
            try t.eq(c.identity_key, cert.identityKey.hex, "\(c.name) identity key")
            try t.eq(c.host_key, cert.hostKey?.hex, "\(c.name) host key")
            let signer = try CertificateIssuer(
                secretKey: BlsSecretKey.fromBytes(bytes: Data(hex: issuer.secret_key)),
                notBefore: issuer.not_before!, notAfter: issuer.not_after!)
            try t.eq(issuer.key_id!, signer.issuerKey().keyId.hex, "\(c.name) signer key id")
            let again = try signer.issue(
                phone: PhoneNumber.parse(text: c.phone),
                identityKey: BlsPublicKey.fromBytes(bytes: Data(hex: c.identity_key)),
                hostKey: c.host_key.map { try Data(hex: $0) },
                serial: c.serial, notBefore: c.not_before, notAfter: c.not_after)
            try t.eq(c.bytes, again.hex, "\(c.name) re-issued")
        }
    }

    t.test("verify cases") {
        for c in v.verify_cases {
            let phone = try c.expected_phone.map { try PhoneNumber.parse(text: $0) }
            let bytes = try Data(hex: c.certificate)
            let got = try certificateOutcome { _ = try keySet.verify(certificate: bytes, now: c.now, expectedPhone: phone) }
            try t.eq(c.expected, got, c.name)
            if got.result == "ok" {
                let cert = try keySet.verify(certificate: bytes, now: c.now, expectedPhone: phone)
                try t.eq(c.certificate, cert.bytes.hex, "\(c.name) fields")
                if let p = c.expected_phone { try t.eq(p, cert.phone, "\(c.name) phone") }
            }
        }
    }

    let codes = try vectorsFile("verification_codes.json", as: CodeVectors.self)
    let secret = try CodeSecret.fromBytes(bytes: Data(hex: codes.secret))

    t.test("code secret and dst") {
        try t.eq(codes.secret, try VectorRng(seed: Data(codes.seed.utf8)).nextBytes(length: 32).hex, "secret from seed")
        try t.eq(codes.secret, secret.toBytes().hex, "secret")
        try t.eq(codes.dst, verificationCodeDst(), "dst")
    }

    t.test("derive cases") {
        for c in codes.derive_cases {
            let config = try CodeConfig(digits: c.digits, windowSeconds: codes.check_config.window_seconds)
            let code = try config.derive(secret: secret, phone: try PhoneNumber.parse(text: c.phone), window: c.window, session: Data(hex: c.session))
            try t.eq(c.code, code, "\(c.phone) window \(c.window) session \(c.session)")
        }
    }

    t.test("check cases") {
        let config = try CodeConfig(digits: codes.check_config.digits, windowSeconds: codes.check_config.window_seconds)
        for c in codes.check_cases {
            let phone = try PhoneNumber.parse(text: c.phone)
            let got = try codeOutcome { try config.check(secret: secret, phone: phone, session: Data(hex: c.session), window: c.window, code: c.code, now: c.now) }
            try t.eq(c.expected, got, c.name)
        }
    }

    t.test("policy cases") {
        let policy = CodePolicy(maxAttempts: codes.policy_max_attempts)
        try t.eq(codes.policy_max_attempts, policy.maxAttempts(), "max attempts")
        for c in codes.policy_cases {
            let got = try codeOutcome { try policy.allowAttempt(attemptsSoFar: c.attempts_so_far) }
            try t.eq(c.expected, got, "attempts \(c.attempts_so_far)")
        }
    }

    t.test("bls keygen") {
        for c in try vectorsFile("bls_keygen.json", as: KeygenVectors.self).vectors {
            let sk = try BlsSecretKey.keyGen(ikm: Data(hex: c.ikm), keyInfo: Data(hex: c.key_info))
            try t.eq(c.sk_decimal, decimal(sk.toBytes()), "master SK")
        }
    }

    t.test("bls eth consensus") {
        let e = try vectorsFile("bls_eth_consensus.json", as: EthVectors.self)
        try t.eq(e.ciphersuite, blsCiphersuite(), "ciphersuite")
        for c in e.sk_to_pk {
            try t.eq(c.pubkey, try BlsSecretKey.fromBytes(bytes: Data(hex: c.privkey)).publicKey().toBytes().hex, "sk_to_pk")
        }
        for c in e.sign {
            if let signature = c.signature {
                let sk = try BlsSecretKey.fromBytes(bytes: Data(hex: c.privkey))
                try t.eq(signature, sk.sign(message: try Data(hex: c.message)).hex, c.name)
            } else {
                try t.throwsError(c.name, isKind(DecodeErrorKind.zeroScalar)) {
                    _ = try BlsSecretKey.fromBytes(bytes: Data(hex: c.privkey))
                }
            }
        }
        for c in e.verify {
            var ok: Bool
            do {
                try BlsPublicKey.fromBytes(bytes: Data(hex: c.pubkey))
                    .verify(message: Data(hex: c.message), signature: Data(hex: c.signature))
                ok = true
            } catch BlindpostError.Malformed {
                ok = false
            } catch BlindpostError.Bls(let kind, _) {
                try t.eq(BlsErrorKind.invalidSignature, kind, c.name)
                ok = false
            }
            try t.eq(c.output, ok, c.name)
        }
    }

    return t.summary()
}
