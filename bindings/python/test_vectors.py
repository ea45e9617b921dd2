"""The files of test-vectors/ checked through the Python bindings.

Every value is read from the JSON files (BLINDPOST_VECTORS names their folder) and compared with
what the bindings compute; nothing here is a hard-coded result. Run by bindings/run-tests.sh.
"""

import json
import os
import unittest

import blindpost as bp
from expect import vector_name

VECTORS = os.environ.get(
    "BLINDPOST_VECTORS",
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test-vectors"),
)


def load(name):
    with open(os.path.join(VECTORS, name), encoding="utf-8") as f:
        return json.load(f)


def h(text):
    return bytes.fromhex(text)


def certificate_outcome(call):
    """The outcome of a certificate or key set call, named as in certificates.json."""
    try:
        call()
    except bp.BlindpostError.Malformed as e:
        return {"result": "malformed", "field": e.field, "kind": vector_name(e.kind)}
    except bp.BlindpostError.Certificate as e:
        # unknown_issuer, bad_signature, expired, not_yet_valid, wrong_phone_number
        return {"result": vector_name(e.kind)}
    return {"result": "ok"}


def code_outcome(call):
    """The outcome of a code check or policy call, named as in verification_codes.json."""
    try:
        call()
    except bp.BlindpostError.Code as e:
        # wrong_code, wrong_length, not_digits, too_many_attempts
        return vector_name(e.kind)
    return "ok"


class CertificateVectors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v = load("certificates.json")
        cls.key_set = bp.IssuerKeySet.from_bytes(h(cls.v["key_set"]))

    def test_ciphersuite(self):
        self.assertEqual(bp.bls_ciphersuite(), self.v["bls_ciphersuite"])

    def test_ikms_come_from_the_vector_rng(self):
        v = self.v
        rng = bp.VectorRng(v["seed"].encode())
        order = v["issuer_keys"] + [v["rogue_issuer_key"]] + v["identities"]
        for entry in order:
            self.assertEqual(rng.next_bytes(32).hex(), entry["ikm"])

    def test_keys_from_ikm(self):
        v = self.v
        for entry in v["issuer_keys"] + [v["rogue_issuer_key"]] + v["identities"]:
            sk = bp.BlsSecretKey.key_gen(h(entry["ikm"]), b"")
            self.assertEqual(sk.to_bytes().hex(), entry["secret_key"])
            pk = sk.public_key()
            self.assertEqual(pk.to_bytes().hex(), entry["public_key"])
            self.assertEqual(bp.BlsPublicKey.from_bytes(h(entry["public_key"])), pk)
            if "key_id" in entry:
                self.assertEqual(bp.issuer_key_id(pk).hex(), entry["key_id"])
            if "proof_of_possession" in entry:
                self.assertEqual(sk.pop_prove().hex(), entry["proof_of_possession"])
                pk.pop_verify(h(entry["proof_of_possession"]))

    def test_key_set(self):
        v = self.v
        ks = self.key_set
        self.assertEqual(ks.to_bytes().hex(), v["key_set"])
        self.assertEqual(ks.fingerprint().hex(), v["key_set_fingerprint"])
        expected = sorted(
            (k["key_id"], k["public_key"], k["not_before"], k["not_after"]) for k in v["issuer_keys"]
        )
        got = [(k.key_id.hex(), k.public_key.hex(), k.not_before, k.not_after) for k in ks.keys()]
        self.assertEqual(got, expected)
        rebuilt = bp.IssuerKeySet.from_keys(
            [
                bp.IssuerKey(
                    key_id=h(k["key_id"]),
                    public_key=h(k["public_key"]),
                    not_before=k["not_before"],
                    not_after=k["not_after"],
                )
                for k in reversed(v["issuer_keys"])
            ]
        )
        self.assertEqual(rebuilt, ks)

    def test_key_set_cases(self):
        for case in self.v["key_set_cases"]:
            with self.subTest(case["name"]):
                got = certificate_outcome(lambda: bp.IssuerKeySet.from_bytes(h(case["key_set"])))
                self.assertEqual(got, case["expected"])

    def test_certificates_decode_and_reissue(self):
        v = self.v
        for c in v["certificates"]:
            with self.subTest(c["name"]):
                cert = bp.decode_certificate_unverified(h(c["bytes"]))
                issuer = v["issuer_keys"][c["issuer"]]
                self.assertEqual(cert.bytes.hex(), c["bytes"])
                self.assertEqual(cert.issuer_key_id.hex(), issuer["key_id"])
                self.assertEqual(cert.serial, c["serial"])
                self.assertEqual(cert.not_before, c["not_before"])
                self.assertEqual(cert.not_after, c["not_after"])
                self.assertEqual(cert.phone, c["phone"])
                self.assertEqual(cert.identity_key.hex(), c["identity_key"])
                self.assertEqual(None if cert.host_key is None else cert.host_key.hex(), c["host_key"])
                # BLS signatures are deterministic: the issuer signs the same bytes again.
                signer = bp.CertificateIssuer(
                    bp.BlsSecretKey.from_bytes(h(issuer["secret_key"])),
                    issuer["not_before"],
                    issuer["not_after"],
                )
                self.assertEqual(signer.issuer_key().key_id.hex(), issuer["key_id"])
                again = signer.issue(
                    bp.PhoneNumber.parse(c["phone"]),
                    bp.BlsPublicKey.from_bytes(h(c["identity_key"])),
                    None if c["host_key"] is None else h(c["host_key"]),
                    c["serial"],
                    c["not_before"],
                    c["not_after"],
                )
                self.assertEqual(again.hex(), c["bytes"])

    def test_verify_cases(self):
        for case in self.v["verify_cases"]:
            with self.subTest(case["name"]):
                phone = case["expected_phone"]
                expected_phone = None if phone is None else bp.PhoneNumber.parse(phone)
                got = certificate_outcome(
                    lambda: self.key_set.verify(h(case["certificate"]), case["now"], expected_phone)
                )
                self.assertEqual(got, case["expected"])
                if got["result"] == "ok":
                    cert = self.key_set.verify(h(case["certificate"]), case["now"], expected_phone)
                    self.assertEqual(cert.bytes.hex(), case["certificate"])
                    if phone is not None:
                        self.assertEqual(cert.phone, phone)


class VerificationCodeVectors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v = load("verification_codes.json")
        cls.secret = bp.CodeSecret.from_bytes(h(cls.v["secret"]))

    def test_secret_and_dst(self):
        rng = bp.VectorRng(self.v["seed"].encode())
        self.assertEqual(rng.next_bytes(32).hex(), self.v["secret"])
        self.assertEqual(self.secret.to_bytes().hex(), self.v["secret"])
        self.assertEqual(bp.verification_code_dst(), self.v["dst"])

    def test_derive_cases(self):
        window_seconds = self.v["check_config"]["window_seconds"]
        for case in self.v["derive_cases"]:
            with self.subTest(phone=case["phone"], window=case["window"], digits=case["digits"], session=case["session"]):
                config = bp.CodeConfig(case["digits"], window_seconds)
                session = bytes.fromhex(case["session"])
                code = config.derive(self.secret, bp.PhoneNumber.parse(case["phone"]), case["window"], session)
                self.assertEqual(code, case["code"])

    def test_check_cases(self):
        cfg = self.v["check_config"]
        config = bp.CodeConfig(cfg["digits"], cfg["window_seconds"])
        for case in self.v["check_cases"]:
            with self.subTest(case["name"]):
                phone = bp.PhoneNumber.parse(case["phone"])
                session = bytes.fromhex(case["session"])
                got = code_outcome(
                    lambda: config.check(self.secret, phone, session, case["window"], case["code"], case["now"])
                )
                self.assertEqual(got, case["expected"])

    def test_policy_cases(self):
        policy = bp.CodePolicy(self.v["policy_max_attempts"])
        self.assertEqual(policy.max_attempts(), self.v["policy_max_attempts"])
        for case in self.v["policy_cases"]:
            with self.subTest(attempts=case["attempts_so_far"]):
                got = code_outcome(lambda: policy.allow_attempt(case["attempts_so_far"]))
                self.assertEqual(got, case["expected"])


class BlsVectors(unittest.TestCase):
    def test_keygen(self):
        v = load("bls_keygen.json")
        for case in v["vectors"]:
            sk = bp.BlsSecretKey.key_gen(h(case["ikm"]), h(case["key_info"]))
            self.assertEqual(int.from_bytes(sk.to_bytes(), "big"), int(case["sk_decimal"]))

    def test_eth_consensus(self):
        v = load("bls_eth_consensus.json")
        self.assertEqual(v["ciphersuite"], bp.bls_ciphersuite())
        for case in v["sk_to_pk"]:
            sk = bp.BlsSecretKey.from_bytes(h(case["privkey"]))
            self.assertEqual(sk.public_key().to_bytes().hex(), case["pubkey"])
        for case in v["sign"]:
            with self.subTest(case["name"]):
                if case["signature"] is None:  # an invalid secret key: nothing can be signed
                    with self.assertRaises(bp.BlindpostError.Malformed) as cm:
                        bp.BlsSecretKey.from_bytes(h(case["privkey"]))
                    self.assertEqual(cm.exception.kind, bp.DecodeErrorKind.ZERO_SCALAR)
                    continue
                sk = bp.BlsSecretKey.from_bytes(h(case["privkey"]))
                self.assertEqual(sk.sign(h(case["message"])).hex(), case["signature"])
        for case in v["verify"]:
            with self.subTest(case["name"]):
                try:
                    bp.BlsPublicKey.from_bytes(h(case["pubkey"])).verify(
                        h(case["message"]), h(case["signature"])
                    )
                    ok = True
                except bp.BlindpostError.Malformed:
                    ok = False
                except bp.BlindpostError.Bls as e:
                    self.assertEqual(e.kind, bp.BlsErrorKind.INVALID_SIGNATURE())
                    ok = False
                self.assertEqual(ok, case["output"])


if __name__ == "__main__":
    unittest.main()
