"""Registration driven from Python with the primitives phase 1 exports: a server with a code
secret and a certificate issuer, two clients proving their phone numbers and getting
certificates, and each client checking the other's certificate and identity signature.

When the client and server state machines are exported (phase 2), the whole conversation
(cold call, reply, release, discovery) joins this file.
"""

import unittest

import blindpost as bp

NOW = 1_760_000_000
DAY = 86_400


class Server:
    def __init__(self):
        self.code_secret = bp.CodeSecret.generate()
        self.codes = bp.CodeConfig.recommended()
        self.policy = bp.CodePolicy.recommended()
        self.failures = {}
        self.issuer = bp.CertificateIssuer(bp.BlsSecretKey.generate(), NOW - DAY, NOW + 365 * DAY)
        self.key_set = bp.IssuerKeySet.from_keys([self.issuer.issuer_key()])
        self.serial = 0

    def send_code(self, phone, now):
        """What the host would send by SMS."""
        return self.codes.derive(self.code_secret, phone, self.codes.window(now))

    def register(self, phone, code, identity_key, proof, now):
        self.policy.allow_attempt(self.failures.get(phone.e164(), 0))
        try:
            self.codes.check(self.code_secret, phone, code, now)
        except bp.BlindpostError.WrongCode:
            self.failures[phone.e164()] = self.failures.get(phone.e164(), 0) + 1
            raise
        identity = bp.BlsPublicKey.from_bytes(identity_key)
        identity.pop_verify(proof)
        self.serial += 1
        return self.issuer.issue(phone, identity, None, self.serial, now, now + 30 * DAY)


class Client:
    def __init__(self, phone):
        self.phone = bp.PhoneNumber.parse(phone)
        self.identity = bp.BlsSecretKey.generate()
        self.certificate = None

    def register(self, server, now):
        code = server.send_code(self.phone, now)
        pk = self.identity.public_key().to_bytes()
        self.certificate = server.register(self.phone, code, pk, self.identity.pop_prove(), now)


class Registration(unittest.TestCase):
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
        with self.assertRaises(bp.BlindpostError.InvalidSignature):
            bp.BlsPublicKey.from_bytes(cert.identity_key).verify(intro + b"!", signature)

        # Alice checks Bob's; a certificate for another number or out of time is refused.
        self.assertEqual(pinned.verify(bob.certificate, NOW + 120, bob.phone).serial, 2)
        with self.assertRaises(bp.BlindpostError.WrongPhoneNumber):
            pinned.verify(bob.certificate, NOW + 120, alice.phone)
        with self.assertRaises(bp.BlindpostError.Expired):
            pinned.verify(bob.certificate, NOW + 60 + 31 * DAY, None)

    def test_wrong_codes_are_counted_and_then_refused(self):
        server = Server()
        client = Client("+14155550100")
        right = server.send_code(client.phone, NOW)
        wrong = str((int(right) + 1) % 10**6).zfill(6)
        pk = client.identity.public_key().to_bytes()
        for _ in range(server.policy.max_failures()):
            with self.assertRaises(bp.BlindpostError.WrongCode):
                server.register(client.phone, wrong, pk, client.identity.pop_prove(), NOW)
        with self.assertRaises(bp.BlindpostError.TooManyAttempts):
            server.register(client.phone, right, pk, client.identity.pop_prove(), NOW)

    def test_proof_of_possession_is_required(self):
        server = Server()
        client = Client("+14155550100")
        other = bp.BlsSecretKey.generate()
        code = server.send_code(client.phone, NOW)
        with self.assertRaises(bp.BlindpostError.InvalidProofOfPossession):
            server.register(client.phone, code, client.identity.public_key().to_bytes(), other.pop_prove(), NOW)


if __name__ == "__main__":
    unittest.main()
