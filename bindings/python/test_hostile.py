"""Hostile input through every decoding export of the Python bindings.

Random bytes, every truncation and extension of valid encodings, huge length prefixes and
oversized requests must each raise a typed BlindpostError: never uniffi's InternalError (a Rust
panic) and never a crash of the interpreter. The hostile bytes come from the bindings' own
VectorRng, so every language feeds the same inputs.
"""

import json
import os
import unittest
from concurrent.futures import ThreadPoolExecutor

import blindpost as bp
from expect import ErrorAssertions

VECTORS = os.environ.get(
    "BLINDPOST_VECTORS",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test-vectors"),
)

with open(os.path.join(VECTORS, "certificates.json"), encoding="utf-8") as f:
    CERTS = json.load(f)

VALID_CERT = bytes.fromhex(CERTS["certificates"][1]["bytes"])
VALID_KEY_SET = bytes.fromhex(CERTS["key_set"])
VALID_PK = bytes.fromhex(CERTS["identities"][0]["public_key"])
VALID_POP = bytes.fromhex(CERTS["identities"][0]["proof_of_possession"])
NOW = CERTS["verify_cases"][0]["now"]

# Lengths of random inputs: around every fixed size the decoders know, and a few large ones.
LENGTHS = [0, 1, 2, 7, 31, 33, 47, 49, 95, 97, 100, 255, 256, 1000, 65536, 1 << 22]


class Hostile(ErrorAssertions):
    @classmethod
    def setUpClass(cls):
        cls.rng = bp.VectorRng(b"blindpost/v1 hostile input")
        cls.key_set = bp.IssuerKeySet.from_bytes(VALID_KEY_SET)
        cls.pk = bp.BlsPublicKey.from_bytes(VALID_PK)

    def random(self, n):
        out = b""
        while len(out) < n:
            out += self.rng.next_bytes(min(n - len(out), 1 << 20))
        return out

    def decoders(self):
        """Every export that decodes bytes, as (name, call) pairs."""
        return [
            ("BlsSecretKey.from_bytes", bp.BlsSecretKey.from_bytes),
            ("BlsPublicKey.from_bytes", bp.BlsPublicKey.from_bytes),
            ("BlsPublicKey.verify", lambda b: self.pk.verify(b"message", b)),
            ("BlsPublicKey.pop_verify", self.pk.pop_verify),
            ("IssuerKeySet.from_bytes", bp.IssuerKeySet.from_bytes),
            ("decode_certificate_unverified", bp.decode_certificate_unverified),
            ("IssuerKeySet.verify", lambda b: self.key_set.verify(b, NOW, None)),
            ("CodeSecret.from_bytes", bp.CodeSecret.from_bytes),
        ]

    def test_random_bytes(self):
        for name, call in self.decoders():
            for n in LENGTHS:
                if n == 32 and name in ("BlsSecretKey.from_bytes", "CodeSecret.from_bytes"):
                    continue  # 32 random bytes may well be a valid secret
                with self.subTest(name, length=n):
                    self.rejects(lambda: call(self.random(n)))

    def test_truncations_and_extensions(self):
        cases = [
            (bp.decode_certificate_unverified, VALID_CERT),
            (lambda b: self.key_set.verify(b, NOW, None), VALID_CERT),
            (bp.IssuerKeySet.from_bytes, VALID_KEY_SET),
            (bp.BlsPublicKey.from_bytes, VALID_PK),
            (self.pk.pop_verify, VALID_POP),
        ]
        for call, valid in cases:
            call(valid)  # the untouched encoding is accepted
            for n in range(len(valid)):
                self.rejects(lambda: call(valid[:n]), bp.BlindpostError.Malformed, bp.DecodeErrorKind.TRUNCATED)
            for extra in (b"\x00", b"\xff" * 9, self.random(4096)):
                self.rejects(lambda: call(valid + extra), bp.BlindpostError.Malformed, bp.DecodeErrorKind.TRAILING_BYTES)

    def test_every_byte_flipped(self):
        # A flipped bit anywhere in a certificate fails decoding or verification, typed.
        for i in range(len(VALID_CERT)):
            for mask in (0x01, 0x80):
                bad = bytearray(VALID_CERT)
                bad[i] ^= mask
                self.rejects(lambda: self.key_set.verify(bytes(bad), NOW, None))

    def test_huge_lengths(self):
        cert = bytearray(VALID_CERT)
        phone_len_at = 1 + 8 + 8 + 8 + 8
        cert[phone_len_at] = 0xFF
        self.rejects(lambda: bp.decode_certificate_unverified(bytes(cert)), bp.BlindpostError.Malformed)
        host_len_at = phone_len_at + 1 + VALID_CERT[phone_len_at] + 48
        cert = bytearray(VALID_CERT)
        cert[host_len_at] = 0xFF
        self.rejects(lambda: bp.decode_certificate_unverified(bytes(cert)), bp.BlindpostError.Malformed)
        key_set = bytearray(VALID_KEY_SET)
        key_set[1] = 0xFF
        self.rejects(lambda: bp.IssuerKeySet.from_bytes(bytes(key_set)), bp.BlindpostError.Malformed)
        e = self.rejects(lambda: self.rng.next_bytes(0xFFFFFFFF), bp.BlindpostError.RequestTooLarge)
        self.assertEqual((e.requested, e.max), (0xFFFFFFFF, 1 << 20))
        self.rejects(lambda: bp.VectorRng(b"x").next_bytes((1 << 20) + 1), bp.BlindpostError.RequestTooLarge)

    def test_bad_arguments(self):
        E = bp.BlindpostError
        Cert = bp.CertificateErrorKind
        e = self.rejects(lambda: bp.BlsSecretKey.key_gen(b"\x01" * 31, b""), E.Bls, bp.BlsErrorKind.IKM_TOO_SHORT)
        self.assertEqual(e.kind.length, 31)
        self.rejects(lambda: bp.BlsSecretKey.from_bytes(b"\xff" * 32), E.Malformed)
        self.rejects(lambda: bp.BlsSecretKey.from_bytes(b"\x00" * 32), E.Malformed)
        for text in ["", "+", "14155550100", "+0123", "+1 415", "+1234567890123456", "+1\u0663", "+\x00"]:
            self.rejects(lambda: bp.PhoneNumber.parse(text), E.Certificate, Cert.INVALID_PHONE_NUMBER)
        self.rejects(lambda: bp.CodeConfig(3, 600), E.Code, bp.CodeErrorKind.INVALID_DIGITS)
        self.rejects(lambda: bp.CodeConfig(11, 600), E.Code, bp.CodeErrorKind.INVALID_DIGITS)
        self.rejects(lambda: bp.CodeConfig(6, 0), E.Code, bp.CodeErrorKind.ZERO_WINDOW)
        config = bp.CodeConfig.recommended()
        secret = bp.CodeSecret.from_bytes(b"\x07" * 32)
        phone = bp.PhoneNumber.parse("+14155550100")
        window = config.window(NOW)
        for code in ["", "1" * 5000, "\u0661\u0662\u0663\u0664\u0665\u0666", "12345\x00"]:
            self.rejects(lambda: config.check(secret, phone, b"\x05" * 32, window, code, NOW))
        for session in [b"", b"\x05" * 31, b"\x05" * 33]:
            self.rejects(lambda: config.check(secret, phone, session, window, "123456", NOW))
        self.rejects(lambda: bp.IssuerKeySet.from_keys([]), E.Certificate, Cert.EMPTY_KEY_SET)
        garbage_key = bp.IssuerKey(key_id=b"\x00" * 8, public_key=self.random(48), not_before=0, not_after=1)
        self.rejects(lambda: bp.IssuerKeySet.from_keys([garbage_key]), E.Malformed)
        issuer = CERTS["issuer_keys"][0]
        wrong_id = bp.IssuerKey(
            key_id=b"\x00" * 8, public_key=bytes.fromhex(issuer["public_key"]), not_before=0, not_after=1
        )
        self.rejects(lambda: bp.IssuerKeySet.from_keys([wrong_id]), E.Malformed, bp.DecodeErrorKind.INVALID_VALUE, "issuer_key.key_id")
        signer = bp.CertificateIssuer(bp.BlsSecretKey.from_bytes(bytes.fromhex(issuer["secret_key"])), 10, 20)
        self.rejects(lambda: bp.CertificateIssuer(bp.BlsSecretKey.generate(), 20, 10), E.Certificate, Cert.INVALID_VALIDITY)
        self.rejects(lambda: signer.issue(phone, self.pk, b"", 1, 10, 20), E.Certificate, Cert.EMPTY_HOST_KEY)
        e = self.rejects(lambda: signer.issue(phone, self.pk, b"k" * 65, 1, 10, 20), E.Certificate, Cert.HOST_KEY_TOO_LONG)
        self.assertEqual(e.kind.length, 65)
        self.rejects(lambda: signer.issue(phone, self.pk, None, 1, 9, 20), E.Certificate, Cert.VALIDITY_OUTSIDE_ISSUER_KEY)
        e = self.rejects(lambda: signer.issue(phone, self.pk, None, 1, 15, 14), E.Certificate, Cert.INVALID_VALIDITY)
        self.assertEqual((e.kind.not_before, e.kind.not_after), (15, 14))

    def test_objects_are_shared_across_threads(self):
        # Exported objects are Send + Sync: one key set verifies from many threads at once.
        case = CERTS["verify_cases"][0]
        cert = bytes.fromhex(case["certificate"])
        with ThreadPoolExecutor(max_workers=4) as pool:
            results = list(pool.map(lambda _: self.key_set.verify(cert, case["now"], None).serial, range(16)))
        self.assertEqual(results, [CERTS["certificates"][0]["serial"]] * 16)


if __name__ == "__main__":
    unittest.main()
