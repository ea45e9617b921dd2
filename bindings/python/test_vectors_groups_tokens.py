"""test-vectors/bbs04.json, tokens.json, rfc9578_type2.json and rfc9474.json checked through the
Python bindings: every value is read from the files and compared with what the bindings compute
(decoding, verifying, opening, finalizing with recorded state, and regenerating what was made
with VectorRng from the seed in the file).
"""

import unittest

import blindpost as bp
from expect import kind_name, vector_name
from test_vectors import h, load


# ---- BBS04 ---------------------------------------------------------------------------------------

def vector_error(call):
    """The outcome of a BBS04 or token call, named as bbs04.json and tokens.json name errors
    (SPEC 2.7): `error`, and `field` and `kind` for a decoding failure."""
    try:
        call()
    except bp.BlindpostError.Malformed as e:
        return {"error": "decode", "field": e.field, "kind": vector_name(e.kind)}
    except bp.BlindpostError.Group as e:
        return {"error": vector_name(e.kind)}
    except bp.BlindpostError.Token as e:
        return {"error": vector_name(e.kind)}
    except bp.BlindpostError.BlindRsa as e:
        # blinded_message_out_of_range, invalid_blind_signature: token::Error::BlindRsa
        return {"error": vector_name(e.kind)}
    return {"error": None}


DECODERS = {
    "signature": bp.GroupSignature.from_bytes,
    "group_key": bp.GroupPublicKey.from_bytes,
    "member_key": bp.MemberKey.from_bytes,
    "manager_key": bp.GroupManagerKey.from_bytes,
    "revocation": bp.RevocationRecord.from_bytes,
    "checkpoint": bp.Checkpoint.from_bytes,
}


class Bbs04Vectors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v = load("bbs04.json")

    def group(self, name):
        return bp.GroupPublicKey.from_bytes(h(self.v[name]["group_key"]))

    def test_regenerated_from_the_seed(self):
        v = self.v
        rng = bp.VectorRng(v["seed"].encode())
        manager = bp.GroupManagerKey.generate_with_vector_rng(rng)
        self.assertEqual(manager.to_bytes(), h(v["generation0"]["manager_key"]))
        self.assertEqual(manager.public_key().to_bytes(), h(v["generation0"]["group_key"]))
        members = manager.issue_members_with_vector_rng(rng, len(v["members"]))
        self.assertEqual([m.to_bytes() for m in members], [h(m) for m in v["members"]])
        self.assertEqual([m.id() for m in members], [h(i) for i in v["member_ids"]])
        g0 = bp.PreparedGroupKey(manager.public_key())
        for s in v["signatures"][:3]:
            sig = members[s["member"]].sign_with_vector_rng(rng, g0, h(s["context"]), h(s["message"]))
            self.assertEqual(sig.to_bytes(), h(s["signature"]))
        record = manager.revoke(members[v["revocation"]["revoked_member"]])
        self.assertEqual(record.to_bytes(), h(v["revocation"]["record"]))
        self.assertEqual(manager.to_bytes(), h(v["generation1"]["manager_key"]))
        self.assertEqual(manager.public_key().to_bytes(), h(v["generation1"]["group_key"]))
        updated = {}
        for u in v["revocation"]["updated_members"]:
            key = members[u["member"]].update(record, g0.group_key())
            self.assertEqual(key.to_bytes(), h(u["key"]))
            updated[u["member"]] = key
        g1 = bp.PreparedGroupKey(manager.public_key())
        s = v["signatures"][3]
        sig = updated[s["member"]].sign_with_vector_rng(rng, g1, h(s["context"]), h(s["message"]))
        self.assertEqual(sig.to_bytes(), h(s["signature"]))

    def test_decode_verify_and_open(self):
        v = self.v
        g0, g1 = self.group("generation0"), self.group("generation1")
        self.assertEqual((g0.generation(), g1.generation()), (0, 1))
        record = bp.RevocationRecord.from_bytes(h(v["revocation"]["record"]))
        self.assertEqual(record.generation(), 1)
        self.assertEqual(record.revoked(), h(v["member_ids"][v["revocation"]["revoked_member"]]))
        self.assertEqual(g0.apply(record), g1)
        for i, m in enumerate(v["members"]):
            key = bp.MemberKey.from_bytes(h(m))
            key.check(g0)
            self.assertEqual(key.id(), h(v["member_ids"][i]))
        for u in v["revocation"]["updated_members"]:
            bp.MemberKey.from_bytes(h(u["key"])).check(g1)
        managers = {g: bp.GroupManagerKey.from_bytes(h(v[g]["manager_key"])) for g in ("generation0", "generation1")}
        for s in v["signatures"]:
            sig = bp.GroupSignature.from_bytes(h(s["signature"]))
            prepared = bp.PreparedGroupKey(self.group(s["group"]))
            prepared.verify(h(s["context"]), h(s["message"]), sig)
            manager = managers[s["group"]]
            self.assertEqual(manager.open(sig), h(s["opened"]))
            self.assertEqual(manager.open_verified(prepared, h(s["context"]), h(s["message"]), sig), h(s["opened"]))
            with self.assertRaises(bp.BlindpostError.Group) as cm:
                prepared.verify(h(s["context"]), h(s["message"]) + b"!", sig)
            self.assertEqual(cm.exception.kind, bp.GroupErrorKind.INVALID_SIGNATURE())
        other = bp.GroupPublicKey.from_bytes(h(v["other_group_key"]))
        self.assertEqual(other, bp.GroupManagerKey.generate_with_vector_rng(bp.VectorRng(v["other_group_seed"].encode())).public_key())

    def test_negative_cases(self):
        for case in self.v["negative"]:
            with self.subTest(case["name"]):
                data = h(case["input"])
                check = case["check"]
                if check == "decode":
                    call = lambda: DECODERS[case["object"]](data)
                elif check == "verify":
                    call = lambda: bp.PreparedGroupKey(bp.GroupPublicKey.from_bytes(h(case["group_key"]))).verify(
                        h(case["context"]), h(case["message"]), bp.GroupSignature.from_bytes(data))
                elif check == "update":
                    call = lambda: bp.MemberKey.from_bytes(data).update(
                        bp.RevocationRecord.from_bytes(h(case["record"])), bp.GroupPublicKey.from_bytes(h(case["group_key"])))
                elif check == "catch_up":
                    call = lambda: bp.MemberKey.from_bytes(data).catch_up(
                        bp.GroupPublicKey.from_bytes(h(case["group_key"])), bp.Checkpoint.from_bytes(h(case["checkpoint"])))
                elif check == "apply":
                    call = lambda: bp.GroupPublicKey.from_bytes(h(case["group_key"])).apply(bp.RevocationRecord.from_bytes(data))
                elif check == "sign":
                    call = lambda: bp.MemberKey.from_bytes(data).sign(
                        bp.PreparedGroupKey(bp.GroupPublicKey.from_bytes(h(case["group_key"]))), h(case["context"]), h(case["message"]))
                else:
                    self.fail(f"unknown check {check}")
                self.assertEqual(vector_error(call), case["expected"])


# ---- tokens --------------------------------------------------------------------------------------

class TokenVectors(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v = load("tokens.json")
        cls.key_set = bp.TokenKeySet.from_bytes(h(cls.v["key_set"]))
        cls.secret = bp.BlindRsaSecretKey.from_pkcs8_pem(cls.v["issuer_secret_key_pem"])
        cls.issuer = bp.TokenIssuer([cls.secret])
        cls.issuer_name = cls.v["issuer_name"].encode()

    def challenge(self, case):
        if case["purpose"] == "cold_call":
            return bp.TokenChallenge.cold_call(self.issuer_name)
        self.assertEqual(case["window"], self.v["now"] // self.v["window_seconds"])
        self.assertEqual(bp.discovery_context(case["window"]), h(case["redemption_context"]))
        return bp.TokenChallenge.discovery(self.issuer_name, case["window"])

    def test_key_set(self):
        ks = self.key_set
        self.assertEqual(ks.to_bytes(), h(self.v["key_set"]))
        self.assertEqual(ks.digest(), h(self.v["key_set_digest"]))
        self.assertEqual(ks.issuer_name(), self.issuer_name)
        rebuilt = bp.TokenKeySet(ks.serial(), ks.issuer_name(), ks.entries())
        self.assertEqual(rebuilt, ks)
        for e in ks.entries():
            self.assertEqual(bp.token_key_id(e.spki), e.key_id)
        self.assertIn(self.secret.public_key().to_spki_der(), [e.spki for e in ks.entries()])
        self.assertEqual(self.issuer.token_key_ids(), [bp.token_key_id(self.secret.public_key().to_spki_der())])

    def test_cases_with_recorded_state(self):
        for case in self.v["cases"]:
            with self.subTest(case["purpose"]):
                challenge = self.challenge(case)
                self.assertEqual(challenge.to_bytes(), h(case["challenge"]))
                self.assertEqual(challenge.digest(), h(case["challenge_digest"]))
                self.assertEqual(bp.TokenChallenge.from_bytes(h(case["challenge"])), challenge)
                self.assertEqual(self.key_set.preferred_key_id(self.v["now"]), h(case["token_key_id"]))
                # The issuer's answer is deterministic; the recorded state finalizes it.
                self.assertEqual(self.issuer.issue(h(case["token_request"])), h(case["token_response"]))
                pending = bp.PendingToken.from_bytes(h(case["pending_token"]))
                self.assertEqual(pending.to_bytes(), h(case["pending_token"]))
                self.assertEqual(pending.token_key_id(), h(case["token_key_id"]))
                token = pending.finalize(h(case["token_response"]))
                self.assertEqual(token, h(case["token"]))
                bp.verify_token(token, challenge, self.key_set)
                fields = bp.decode_token(token)
                self.assertEqual((fields.nonce, fields.challenge_digest, fields.token_key_id),
                                 (h(case["nonce"]), h(case["challenge_digest"]), h(case["token_key_id"])))

    def test_regenerated_from_the_seed(self):
        rng = bp.VectorRng(self.v["seed"].encode())
        client = bp.TokenClient(self.key_set)
        for case in self.v["cases"]:
            with self.subTest(case["purpose"]):
                out = client.request_with_vector_rng(rng, self.challenge(case), h(case["token_key_id"]), self.v["now"])
                self.assertEqual(out.request, h(case["token_request"]))
                self.assertEqual(out.pending.to_bytes(), h(case["pending_token"]))
                response = self.issuer.issue_with_vector_rng(rng, out.request)
                self.assertEqual(response, h(case["token_response"]))
                self.assertEqual(out.pending.finalize(response), h(case["token"]))

    def test_negative_cases(self):
        for case in self.v["negative"]:
            with self.subTest(case["name"]):
                op = case["operation"]
                if op == "verify":
                    call = lambda: bp.verify_token(h(case["token"]), bp.TokenChallenge.from_bytes(h(case["challenge"])), self.key_set)
                elif op == "issue":
                    call = lambda: self.issuer.issue(h(case["token_request"]))
                elif op == "finalize":
                    call = lambda: bp.PendingToken.from_bytes(h(case["pending_token"])).finalize(h(case["token_response"]))
                elif op == "request":
                    call = lambda: bp.TokenClient(self.key_set).request(
                        bp.TokenChallenge.from_bytes(h(case["challenge"])), h(case["token_key_id"]), case["now"])
                else:
                    self.fail(f"unknown operation {op}")
                expected = {key: case[key] for key in ("error", "field", "kind") if key in case}
                self.assertEqual(vector_error(call), expected)


class Rfc9578Vectors(unittest.TestCase):
    def test_type2_vectors(self):
        for i, v in enumerate(load("rfc9578_type2.json")["vectors"]):
            with self.subTest(i):
                sk = bp.BlindRsaSecretKey.from_pkcs8_pem(h(v["skS"]).decode())
                self.assertEqual(sk.public_key().to_spki_der(), h(v["pkS"]))
                self.assertEqual(bp.BlindRsaPublicKey.from_spki_der(h(v["pkS"])), sk.public_key())
                issuer = bp.TokenIssuer([sk])
                self.assertEqual(issuer.issue(h(v["token_request"])), h(v["token_response"]))
                challenge = bp.TokenChallenge.from_bytes(h(v["token_challenge"]))
                self.assertEqual(challenge.to_bytes(), h(v["token_challenge"]))
                token = bp.decode_token(h(v["token"]))
                self.assertEqual(token.nonce, h(v["nonce"]))
                self.assertEqual(token.challenge_digest, challenge.digest())
                self.assertEqual(token.token_key_id, bp.token_key_id(h(v["pkS"])))
                key_set = bp.TokenKeySet(1, challenge.issuer_name(), [bp.TokenKeyEntry(key_id=b"", spki=h(v["pkS"]), not_before=0, expires=2**63)])
                bp.verify_token(h(v["token"]), challenge, key_set)
                # The authenticator is a plain RSABSSA-SHA384-PSS-Deterministic signature.
                token_input = h(v["token"])[:2 + 32 + 32 + 32]
                sk.public_key().verify(bp.BlindRsaVariant.SHA384_PSS_DETERMINISTIC, token_input, token.authenticator)
                with self.assertRaises(bp.BlindpostError.BlindRsa) as cm:
                    sk.public_key().verify(bp.BlindRsaVariant.SHA384_PSS_DETERMINISTIC, token_input + b"x", token.authenticator)
                self.assertEqual(cm.exception.kind, bp.BlindRsaErrorKind.INVALID_SIGNATURE())


def int_bytes(text):
    """The big-endian bytes of a `0x`-prefixed integer of the vector file."""
    digits = text[2:]
    return h("0" * (len(digits) % 2) + digits)


class Rfc9474Vectors(unittest.TestCase):
    def test_rsabssa_vectors(self):
        for v in load("rfc9474.json")["vectors"]:
            with self.subTest(v["name"]):
                variant = bp.blind_rsa_variant_from_name(v["name"])
                self.assertIsNotNone(variant)
                self.assertEqual(bp.blind_rsa_variant_name(variant), v["name"])
                pk = bp.BlindRsaPublicKey.from_components(int_bytes(v["n"]), int_bytes(v["e"]))
                k = len(pk.modulus())
                self.assertEqual(int.from_bytes(pk.modulus(), "big"), int(v["n"], 16))
                pk.verify(variant, h(v["input_msg"]), h(v["sig"]))
                self.assertEqual(h(v["input_msg"]), (h(v["msg_prefix"]) if v["is_randomized"] == "0x01" else b"") + h(v["msg"]))
                inverse = int(v["inv"], 16).to_bytes(k, "big")
                self.assertEqual(pk.finalize(variant, h(v["input_msg"]), h(v["blind_sig"]), inverse), h(v["sig"]))
                bad = bytearray(h(v["sig"]))
                bad[-1] ^= 1
                with self.assertRaises(bp.BlindpostError.BlindRsa) as cm:
                    pk.verify(variant, h(v["input_msg"]), bytes(bad))
                self.assertEqual(cm.exception.kind, bp.BlindRsaErrorKind.INVALID_SIGNATURE())
                with self.assertRaises(bp.BlindpostError.BlindRsa) as cm:
                    pk.finalize(variant, h(v["input_msg"]) + b"x", h(v["blind_sig"]), inverse)
                self.assertEqual(cm.exception.kind, bp.BlindRsaErrorKind.INVALID_BLIND_SIGNATURE())


if __name__ == "__main__":
    unittest.main()
