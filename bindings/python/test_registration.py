"""Registration driven from Python with the primitives phase 1 exports: a server with a code
secret and a certificate issuer, two clients proving their phone numbers and getting
certificates, and each client checking the other's certificate and identity signature.

When the client and server state machines are exported (phase 2), the whole conversation
(cold call, reply, release, discovery) joins this file.
"""

import os
import unittest

import blindpost as bp
from expect import ErrorAssertions

NOW = 1_760_000_000
DAY = 86_400


class Server:
    def __init__(self):
        self.code_secret = bp.CodeSecret.generate()
        self.codes = bp.CodeConfig.recommended()
        self.policy = bp.CodePolicy.recommended()
        self.windows = {}
        self.attempts = {}
        self.issuer = bp.CertificateIssuer(bp.BlsSecretKey.generate(), NOW - DAY, NOW + 365 * DAY)
        self.key_set = bp.IssuerKeySet.from_keys([self.issuer.issuer_key()])
        self.serial = 0

    def send_code(self, phone, session, now):
        """What the host would send by SMS: the code of the client's session, requested now."""
        window = self.windows.setdefault((phone.e164(), session), self.codes.window(now))
        return self.codes.derive(self.code_secret, phone, window, session)

    def register(self, phone, session, code, identity_key, proof, now):
        key = (phone.e164(), session)
        window = self.windows[key]
        # Every check of the session counts, right or wrong, reserved before it is made.
        self.policy.allow_attempt(self.attempts.get(key, 0))
        self.attempts[key] = self.attempts.get(key, 0) + 1
        self.codes.check(self.code_secret, phone, session, window, code, now)
        identity = bp.BlsPublicKey.from_bytes(identity_key)
        identity.pop_verify(proof)
        self.serial += 1
        return self.issuer.issue(phone, identity, None, self.serial, now, now + 30 * DAY)


class Client:
    def __init__(self, phone):
        self.phone = bp.PhoneNumber.parse(phone)
        self.identity = bp.BlsSecretKey.generate()
        self.session = os.urandom(32)
        self.certificate = None

    def register(self, server, now):
        code = server.send_code(self.phone, self.session, now)
        pk = self.identity.public_key().to_bytes()
        self.certificate = server.register(self.phone, self.session, code, pk, self.identity.pop_prove(), now)


class Registration(ErrorAssertions):
    def test_two_clients_register_and_check_each_other(self):
        server = Server()
        # Clients pin the published key set by its encoding and fingerprint.
        pinned = bp.IssuerKeySet.from_bytes(server.key_set.to_bytes())
        self.assertEqual(pinned.fingerprint(), server.key_set.fingerprint())

        alice, bob = Client("+14155550100"), Client("+442079460018")
        alice.register(server, NOW)
        bob.register(server, NOW + 60)

        # Bob checks Alice's certificate for the number he expects, then her signature.
        cert = pinned.verify(alice.certificate, NOW + 120, bp.PhoneNumber.parse("+14155550100"))
        self.assertEqual(cert.phone, "+14155550100")
        self.assertEqual(cert.identity_key, alice.identity.public_key().to_bytes())
        intro = b"introduction for " + bob.phone.e164().encode()
        signature = alice.identity.sign(intro)
        bp.BlsPublicKey.from_bytes(cert.identity_key).verify(intro, signature)
        self.rejects(
            lambda: bp.BlsPublicKey.from_bytes(cert.identity_key).verify(intro + b"!", signature),
            bp.BlindpostError.Bls,
            bp.BlsErrorKind.INVALID_SIGNATURE,
        )

        # Alice checks Bob's; a certificate for another number or out of time is refused.
        self.assertEqual(pinned.verify(bob.certificate, NOW + 120, bob.phone).serial, 2)
        self.rejects(
            lambda: pinned.verify(bob.certificate, NOW + 120, alice.phone),
            bp.BlindpostError.Certificate,
            bp.CertificateErrorKind.WRONG_PHONE_NUMBER,
        )
        e = self.rejects(
            lambda: pinned.verify(bob.certificate, NOW + 60 + 31 * DAY, None),
            bp.BlindpostError.Certificate,
            bp.CertificateErrorKind.EXPIRED,
        )
        self.assertEqual((e.kind.not_after, e.kind.now), (NOW + 60 + 30 * DAY, NOW + 60 + 31 * DAY))

    def test_every_check_of_a_session_is_counted_and_then_refused(self):
        server = Server()
        client = Client("+14155550100")
        right = server.send_code(client.phone, client.session, NOW)
        wrong = str((int(right) + 1) % 10**6).zfill(6)
        pk = client.identity.public_key().to_bytes()
        for _ in range(server.policy.max_attempts()):
            self.rejects(
                lambda: server.register(client.phone, client.session, wrong, pk, client.identity.pop_prove(), NOW),
                bp.BlindpostError.Code,
                bp.CodeErrorKind.WRONG_CODE,
            )
        self.rejects(
            lambda: server.register(client.phone, client.session, right, pk, client.identity.pop_prove(), NOW),
            bp.BlindpostError.Code,
            bp.CodeErrorKind.TOO_MANY_ATTEMPTS,
        )
        other = b"\x07" * 32
        server.send_code(client.phone, other, NOW)
        self.rejects(
            lambda: server.register(client.phone, other, right, pk, client.identity.pop_prove(), NOW),
            bp.BlindpostError.Code,
            bp.CodeErrorKind.WRONG_CODE,
        )

    def test_proof_of_possession_is_required(self):
        server = Server()
        client = Client("+14155550100")
        other = bp.BlsSecretKey.generate()
        code = server.send_code(client.phone, client.session, NOW)
        self.rejects(
            lambda: server.register(client.phone, client.session, code, client.identity.public_key().to_bytes(), other.pop_prove(), NOW),
            bp.BlindpostError.Bls,
            bp.BlsErrorKind.INVALID_PROOF_OF_POSSESSION,
        )


if __name__ == "__main__":
    unittest.main()
