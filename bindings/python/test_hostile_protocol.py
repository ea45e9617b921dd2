"""Hostile input through the phase-2 exports: every new decoder (BBS04, tokens, blind RSA,
deliveries, account ids, client state) and every input of the Client and the Server. Random
bytes, truncations, extensions and bit flips must each give a typed BlindpostError (never
uniffi's InternalError, which a Rust panic would become) and a Client must be unchanged
(`to_bytes()`) after every input it refused. The server never throws for request bytes: it
answers with a refusal.
"""

import unittest

import blindpost as bp
from expect import ErrorAssertions
from host import World
from test_vectors import h, load

LENGTHS = [0, 1, 2, 31, 32, 33, 48, 85, 181, 256, 337, 342, 389, 486, 913, 1000, 70000]


class HostileProtocol(ErrorAssertions):
    @classmethod
    def setUpClass(cls):
        cls.rng = bp.VectorRng(b"blindpost/v1 hostile protocol input")
        cls.bbs = load("bbs04.json")
        cls.tokens = load("tokens.json")
        cls.group = bp.GroupPublicKey.from_bytes(h(cls.bbs["generation0"]["group_key"]))
        cls.prepared = bp.PreparedGroupKey(cls.group)
        cls.key_set = bp.TokenKeySet.from_bytes(h(cls.tokens["key_set"]))
        cls.issuer = bp.TokenIssuer([bp.BlindRsaSecretKey.from_pkcs8_pem(cls.tokens["issuer_secret_key_pem"])])
        cls.pending = bp.PendingToken.from_bytes(h(cls.tokens["cases"][0]["pending_token"]))
        cls.challenge = bp.TokenChallenge.from_bytes(h(cls.tokens["cases"][0]["challenge"]))
        cls.rsa = bp.BlindRsaPublicKey.from_spki_der(cls.key_set.entries()[0].spki)

        # A world with two registered clients and a cold call queued for Bob.
        w = cls.world = World()
        cls.alice, cls.bob = w.new_client(), w.new_client()
        w.register(cls.alice, "+15550001")
        w.register(cls.bob, "+15550002")
        cert = cls.bob.certificate()
        intro = cls.alice.compose_introduction(w.now, cert.bytes, b"hi", w.offer(cls.alice))
        cls.alice.send_cold_call(w.now, cert.account, w.seal_first_contact(cls.alice, cert, intro))
        cls.cold_call_request = cls.alice.poll_transmit(w.now)
        cls.alice.handle_response(w.now, cls.cold_call_request.id, w.send(cls.cold_call_request.channel, cls.cold_call_request.bytes))
        [cls.delivery] = w.queues.pop(cls.bob.account())
        cls.opened = w.open(cls.bob.account(), bp.delivery_sealed_payload(cls.delivery)).payload

    def random(self, n):
        out = b""
        while len(out) < n:
            out += self.rng.next_bytes(min(n - len(out), 1 << 20))
        return out

    def keys(self, **replace):
        """The server's keys with some fields replaced."""
        k = self.world.server.public_keys()
        fields = {
            "certificate_issuers": k.certificate_issuers,
            "cold_call_tokens": k.cold_call_tokens,
            "discovery_tokens": k.discovery_tokens,
            "stamp_tokens": k.stamp_tokens,
        }
        fields.update(replace)
        return bp.ServerKeys(**fields)

    def decoders(self):
        """Every phase-2 export that decodes bytes, as (name, call) pairs."""
        return [
            ("GroupSignature.from_bytes", bp.GroupSignature.from_bytes),
            ("GroupPublicKey.from_bytes", bp.GroupPublicKey.from_bytes),
            ("MemberKey.from_bytes", bp.MemberKey.from_bytes),
            ("GroupManagerKey.from_bytes", bp.GroupManagerKey.from_bytes),
            ("RevocationRecord.from_bytes", bp.RevocationRecord.from_bytes),
            ("TokenChallenge.from_bytes", bp.TokenChallenge.from_bytes),
            ("TokenKeySet.from_bytes", bp.TokenKeySet.from_bytes),
            ("PendingToken.from_bytes", bp.PendingToken.from_bytes),
            ("PendingToken.finalize", self.pending.finalize),
            ("TokenIssuer.issue", self.issuer.issue),
            ("decode_token", bp.decode_token),
            ("verify_token", lambda b: bp.verify_token(b, self.challenge, self.key_set)),
            ("token_key_id", bp.token_key_id),
            ("BlindRsaPublicKey.from_spki_der", bp.BlindRsaPublicKey.from_spki_der),
            ("BlindRsaPublicKey.verify", lambda b: self.rsa.verify(bp.BlindRsaVariant.SHA384_PSS_DETERMINISTIC, b"m", b)),
            ("BlindRsaPublicKey.finalize", lambda b: self.rsa.finalize(bp.BlindRsaVariant.SHA384_PSS_DETERMINISTIC, b"m", b, b)),
            ("BlindRsaSecretKey.from_pkcs8_der", bp.BlindRsaSecretKey.from_pkcs8_der),
            ("BlindRsaSecretKey.from_pkcs8_pem", lambda b: bp.BlindRsaSecretKey.from_pkcs8_pem(b.decode("latin-1"))),
            ("decode_delivery", bp.decode_delivery),
            ("delivery_sealed_payload", bp.delivery_sealed_payload),
            ("account_id_for_identity_key", bp.account_id_for_identity_key),
            ("Client.from_bytes", lambda b: bp.Client.from_bytes(b, bp.ClientSettings())),
            ("Client.new (certificate issuers)", lambda b: bp.Client(self.keys(certificate_issuers=b), bp.ClientSettings())),
            ("Client.new (cold-call token keys)", lambda b: bp.Client(self.keys(cold_call_tokens=b), bp.ClientSettings())),
            ("Client.new (discovery token keys)", lambda b: bp.Client(self.keys(discovery_tokens=b), bp.ClientSettings())),
            ("Client.new (stamp keys)", lambda b: bp.Client(self.keys(stamp_tokens=b), bp.ClientSettings())),
            ("bulk_proof_decode", bp.bulk_proof_decode),
            ("Client.send_cold_call (recipient)", lambda b: self.alice.send_cold_call(self.world.now, b, b"sealed")),
            ("EndToEnd.from_bytes", bp.EndToEnd.from_bytes),
            ("EndToEnd.open", self.world.e2e[self.bob.account()].open),
        ]

    def test_random_bytes_through_every_decoder(self):
        for name, call in self.decoders():
            for n in LENGTHS:
                if n == 32 and name == "Client.send_cold_call (recipient)":
                    continue  # any 32 bytes are an account id
                with self.subTest(name, length=n):
                    self.rejects(lambda: call(self.random(n)))

    def test_truncations_and_extensions(self):
        cases = [
            (bp.GroupSignature.from_bytes, h(self.bbs["signatures"][0]["signature"])),
            (bp.GroupPublicKey.from_bytes, h(self.bbs["generation0"]["group_key"])),
            (bp.MemberKey.from_bytes, h(self.bbs["members"][0])),
            (bp.GroupManagerKey.from_bytes, h(self.bbs["generation0"]["manager_key"])),
            (bp.RevocationRecord.from_bytes, h(self.bbs["revocation"]["record"])),
            (bp.TokenChallenge.from_bytes, h(self.tokens["cases"][1]["challenge"])),
            (bp.TokenKeySet.from_bytes, h(self.tokens["key_set"])),
            (bp.PendingToken.from_bytes, h(self.tokens["cases"][0]["pending_token"])),
            (bp.decode_token, h(self.tokens["cases"][0]["token"])),
            (self.pending.finalize, h(self.tokens["cases"][0]["token_response"])),
            (bp.BlindRsaPublicKey.from_spki_der, self.key_set.entries()[0].spki),
            (bp.decode_delivery, self.delivery),
            (lambda b: bp.Client.from_bytes(b, bp.ClientSettings()), self.bob.to_bytes()),
            (bp.EndToEnd.from_bytes, self.world.e2e[self.bob.account()].to_bytes()),
        ]
        for call, valid in cases:
            call(valid)
            for n in range(0, len(valid), max(1, len(valid) // 300)):
                self.rejects(lambda: call(valid[:n]))
            for extra in (b"\x00", b"\xff" * 9):
                self.rejects(lambda: call(valid + extra))

    def test_group_signature_bit_flips(self):
        sig = h(self.bbs["signatures"][0]["signature"])
        s = self.bbs["signatures"][0]
        for i in range(len(sig)):
            bad = bytearray(sig)
            bad[i] ^= 0x01 if i % 2 else 0x80
            self.rejects(lambda: self.prepared.verify(h(s["context"]), h(s["message"]), bp.GroupSignature.from_bytes(bytes(bad))))

    def client_refuses(self, client, call):
        """`call` must throw a typed error and leave `client` as it was."""
        before = client.to_bytes()
        error = self.rejects(call)
        self.assertEqual(client.to_bytes(), before, f"client changed by a refused input ({error!r})")
        return error

    def test_client_inputs(self):
        w, alice, bob = self.world, self.alice, self.bob
        id = alice.refresh_keys(w.now)
        self.assertEqual(alice.poll_transmit(w.now).id, id, "a fetch the host asked for leaves at once")
        for n in LENGTHS:
            data = self.random(n)
            self.client_refuses(alice, lambda: alice.handle_response(w.now, id, data))
            self.client_refuses(bob, lambda: bob.handle_delivery(w.now, data, self.opened))
            self.client_refuses(bob, lambda: bob.handle_delivery(w.now, self.delivery, data))
            self.client_refuses(bob, lambda: bob.handle_delivery(w.now, data, data))
        self.client_refuses(alice, lambda: alice.handle_response(w.now, 999_999, b"\x01"))
        self.client_refuses(alice, lambda: alice.handle_send_failure(999_999))
        # A valid response for another kind of request is refused too.
        other = w.send(self.cold_call_request.channel, self.cold_call_request.bytes)
        self.client_refuses(alice, lambda: alice.handle_response(w.now, id, other))
        for n in range(len(self.delivery)):
            self.client_refuses(bob, lambda: bob.handle_delivery(w.now, self.delivery[:n], self.opened))
        for n in range(0, len(self.opened), 7):
            self.client_refuses(bob, lambda: bob.handle_delivery(w.now, self.delivery, self.opened[:n]))
        # Flipped bits in the opened introduction: its signature or encoding fails.
        for i in range(0, len(self.opened), max(1, len(self.opened) // 250)):
            bad = bytearray(self.opened)
            bad[i] ^= 0x04
            self.client_refuses(bob, lambda: bob.handle_delivery(w.now, self.delivery, bytes(bad)))
        # Flipped bits in the delivery's header: refused (typed, nothing changed) or, where only
        # the server's own fields were hit, taken; never anything else.
        for i in range(32):
            bad = bytearray(self.delivery)
            bad[i] ^= 0x10
            before = bob.to_bytes()
            try:
                bob.handle_delivery(w.now, bytes(bad), self.opened)
            except bp.BlindpostError:
                self.assertEqual(bob.to_bytes(), before)
        # Commands with bad arguments are refused the same way.
        self.client_refuses(alice, lambda: alice.compose_reply(w.now, b"\x00" * 32, b"m", b""))
        self.client_refuses(alice, lambda: alice.compose_introduction(w.now, self.random(300), b"m", b""))
        self.client_refuses(alice, lambda: alice.compose_introduction(w.now, bob.certificate().bytes, b"m" * 40000, b""))
        self.client_refuses(alice, lambda: alice.send_cold_call(w.now, bob.account(), b"s" * 70000))
        self.client_refuses(alice, lambda: alice.register(w.now, bp.PhoneNumber.parse("+15550001"), "1" * 11, None))
        self.client_refuses(alice, lambda: alice.register(w.now, bp.PhoneNumber.parse("+15550001"), "123456", b""))
        fresh = w.new_client()
        self.client_refuses(fresh, lambda: fresh.handle_delivery(w.now, self.delivery, self.opened))
        self.client_refuses(fresh, lambda: fresh.lookup(w.now, [bp.PhoneNumber.parse("+15550002")]))

    def test_registration_answer_for_another_identity_key(self):
        """A server that answers Alice's registration with the certificate it made for Bob's
        identity key (same number, validly signed): the request fails with CertificateNotOurs
        and nothing of the answer sticks."""
        w = World()
        alice, bob = w.new_client(), w.new_client()
        number = bp.PhoneNumber.parse("+15550001")
        registrations = []
        for client in (alice, bob):
            client.request_code(w.now, number)
            w.pump(client)
            code = next(c for p, c in reversed(w.sms) if p == "+15550001")
            client.register(w.now, number, code, None)
            registrations.append(client.poll_transmit(w.now))
        w.events(alice)
        bobs = registrations[1]
        answer = w.send(bobs.channel, bobs.bytes)
        alice.handle_response(w.now, registrations[0].id, answer)
        [failed] = w.events(alice)
        self.assertTrue(failed.is_REQUEST_FAILED())
        self.assertEqual((failed.id, failed.request), (registrations[0].id, bp.RequestType.REGISTER))
        self.assertTrue(failed.reason.is_CLIENT())
        self.assertIsInstance(failed.reason.error, bp.BlindpostError.Client)
        self.assertEqual(failed.reason.error.kind, bp.ClientErrorKind.CERTIFICATE_NOT_OURS())
        self.assertIsNone(alice.certificate())
        self.assertEqual(alice.token_counts().total, 0)
        self.assertEqual(alice.outstanding(), 0)
        # Bob's own answer is his certificate.
        bob.handle_response(w.now, bobs.id, answer)
        self.assertEqual(bob.certificate().account, bob.account())

    def test_server_inputs(self):
        w = self.world
        anonymous = bp.Channel.ANONYMOUS()
        for n in LENGTHS:
            handled = w.server.handle(w.now, anonymous, self.random(n))
            self.assertIsNotNone(handled.refusal)
            self.assertEqual(handled.refusal.code, bp.ErrorCode.MALFORMED())
            self.assertEqual(handled.outputs, [])
        valid = self.cold_call_request.bytes
        for n in range(len(valid)):
            handled = w.server.handle(w.now, anonymous, valid[:n])
            self.assertEqual(handled.refusal.code, bp.ErrorCode.MALFORMED())
        for i in range(0, len(valid), 3):
            bad = bytearray(valid)
            bad[i] ^= 0x01
            handled = w.server.handle(w.now, anonymous, bytes(bad))
            self.assertTrue(handled.refusal is not None or handled.outputs, "a changed cold call is refused or queued")
        # The resend of the accepted cold call is answered and its delivery queued again (SPEC.md 12.8).
        handled = w.server.handle(w.now, anonymous, valid)
        self.assertIsNone(handled.refusal)
        self.assertEqual(len(handled.outputs), 1)
        # The same requests in one batch get what they get one by one (SPEC.md 12.5.1).
        batch = w.server.handle_batch(w.now, [
            bp.BatchRequest(channel=anonymous, request=valid),
            bp.BatchRequest(channel=bp.Channel.DIRECT(), request=valid),
            bp.BatchRequest(channel=anonymous, request=valid[:40]),
        ])
        self.assertEqual([h.refusal and h.refusal.code for h in batch],
                         [None, bp.ErrorCode.WRONG_CHANNEL(), bp.ErrorCode.MALFORMED()])
        self.assertEqual([len(h.outputs) for h in batch], [1, 0, 0])
        self.rejects(lambda: w.server.handle_batch(w.now, [bp.BatchRequest(channel=bp.Channel.AUTHENTICATED(b"\x01"), request=valid)]),
                     bp.BlindpostError.Malformed, bp.DecodeErrorKind.TRUNCATED, "channel.account")
        # A request on the wrong channel; an authenticated channel with a bad account id.
        handled = w.server.handle(w.now, bp.Channel.DIRECT(), valid)
        self.assertEqual(handled.refusal.code, bp.ErrorCode.WRONG_CHANNEL())
        self.assertEqual(handled.refusal.request, bp.RequestType.COLD_CALL)
        for n in (0, 31, 33):
            kind = bp.DecodeErrorKind.TRUNCATED if n < 32 else bp.DecodeErrorKind.TRAILING_BYTES
            self.rejects(lambda: w.server.handle(w.now, bp.Channel.AUTHENTICATED(b"\x01" * n), valid), bp.BlindpostError.Malformed, kind, "channel.account")
        self.assertEqual(bp.error_code_number(bp.ErrorCode.NOT_RELEASED()), 42)
        self.assertEqual(bp.error_code_name(bp.ErrorCode.NOT_RELEASED()), "not_released")
        self.assertEqual(bp.error_code_number(bp.ErrorCode.UNKNOWN(9999)), 9999)

    def test_bad_arguments(self):
        E = bp.BlindpostError
        Group, Token, Rsa = bp.GroupErrorKind, bp.TokenErrorKind, bp.BlindRsaErrorKind
        manager = bp.GroupManagerKey.generate()
        e = self.rejects(lambda: manager.issue_members(100_000), E.RequestTooLarge)
        self.assertEqual((e.requested, e.max), (100_000, 1024), "at most 1024 member keys per call")
        member = manager.issue_member()
        e = self.rejects(lambda: member.sign(bp.PreparedGroupKey(manager.public_key()), b"c" * 70000, b"m"), E.Group, Group.CONTEXT_TOO_LONG)
        self.assertEqual(e.kind.length, 70000)
        manager.revoke(member)
        e = self.rejects(lambda: manager.revoke(member), E.Group, Group.GENERATION_MISMATCH)
        self.assertEqual((e.kind.member, e.kind.group), (0, 1))
        other = bp.PreparedGroupKey(self.group)
        sig = bp.GroupSignature.from_bytes(h(self.bbs["signatures"][0]["signature"]))
        self.rejects(lambda: manager.open_verified(other, b"c", b"m", sig), E.Group, Group.GROUP_MISMATCH)
        self.rejects(lambda: bp.TokenChallenge(b"", None, b""), E.Token, Token.INVALID_ISSUER_NAME)
        self.rejects(lambda: bp.TokenChallenge(b"x", b"\x00" * 31, b""), E.Malformed, bp.DecodeErrorKind.TRUNCATED, "token_challenge.redemption_context")
        self.rejects(lambda: bp.TokenChallenge(b"x", None, b"o" * 70000), E.Token, Token.ORIGIN_INFO_TOO_LONG)
        self.rejects(lambda: bp.TokenKeySet(1, b"x", []), E.Token, Token.EMPTY_KEY_SET)
        self.rejects(lambda: bp.TokenIssuer([]), E.Token, Token.EMPTY_KEY_SET)
        client = bp.TokenClient(self.key_set)
        self.rejects(lambda: client.request(self.challenge, b"\x00" * 31, 0), E.Malformed, bp.DecodeErrorKind.TRUNCATED, "token_key_id")
        self.rejects(lambda: client.request(self.challenge, b"\x00" * 32, 0), E.Token, Token.UNKNOWN_KEY_ID)
        key_id = self.key_set.entries()[0].key_id
        self.rejects(lambda: client.request(bp.TokenChallenge.cold_call(b"other"), key_id, self.tokens["now"]), E.Token, Token.ISSUER_MISMATCH)
        older = bp.TokenKeySet(self.key_set.serial() - 1, self.key_set.issuer_name(), self.key_set.entries())
        e = self.rejects(lambda: client.update_key_set(older, self.tokens["now"]), E.Token, Token.KEY_SET_ROLLBACK)
        self.assertEqual((e.kind.pinned, e.kind.offered), (self.key_set.serial(), self.key_set.serial() - 1))
        self.rejects(lambda: bp.BlindRsaPublicKey.from_components(b"\xff" * 255, b"\x01\x00\x01"), E.BlindRsa, Rsa.UNSUPPORTED_MODULUS_SIZE)
        self.rejects(lambda: bp.BlindRsaPublicKey.from_components(b"\xff" * 513, b"\x01\x00\x01"), E.BlindRsa, Rsa.UNSUPPORTED_MODULUS_SIZE)
        e = self.rejects(lambda: bp.BlindRsaSecretKey.generate(1024), E.BlindRsa, Rsa.UNSUPPORTED_MODULUS_SIZE)
        self.assertEqual(e.kind.bits, 1024)
        self.rejects(lambda: bp.BlindRsaPublicKey.from_components(self.rsa.modulus(), b"\x03"), E.BlindRsa, Rsa.UNSUPPORTED_EXPONENT)
        self.rejects(lambda: self.rsa.finalize(bp.BlindRsaVariant.SHA384_PSS_DETERMINISTIC, b"m", b"\x01" * 256, b"\x00" * 256), E.BlindRsa, Rsa.INVERSE_NOT_FOR_KEY)
        self.assertIsNone(bp.blind_rsa_variant_from_name("RSABSSA-SHA512-PSS-Randomized"))


if __name__ == "__main__":
    unittest.main()
