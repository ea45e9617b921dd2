"""A whole conversation driven from Python through the exported state machines: one Server,
Clients and the scheduled host loop of host.py. Registration (the SMS code from the server's
outputs), discovery lookup, cold call, delivery and introduction, reply (after the group-key
fetch), a message back, release after the timer, renewal (tokens back to five), and a block that
revokes the blocked contact's member key; at every step the test checks when the requests left
(SPEC.md 13.6), from the host's log of what reached the server. The clients draw from seeded
VectorRngs, so every time below is the same on every run.
"""

import threading
import unittest

import blindpost as bp
from host import DAY, HOST_STEPS, T0, World, settings

ALICE, BOB, CAROL = "+15550001", "+15550002", "+15550003"
RT = bp.RequestType
U64_MAX = 2**64 - 1


def only(events, kind):
    """The events of one kind (`kind` is the variant's name, e.g. "REGISTERED")."""
    return [e for e in events if getattr(e, "is_" + kind)()]


def run_until_event(w, client, kind):
    """Runs the client's host, awake, until it raises an event of `kind`; returns the events."""
    seen = []
    for _ in range(HOST_STEPS):
        w.step(client, client.poll_timeout())
        seen += w.events(client)
        if only(seen, kind):
            return seen
    raise AssertionError(f"no {kind} event after {HOST_STEPS} clock moves")


class Conversation(unittest.TestCase):
    def test_whole_conversation(self):
        w = World()
        s = settings()
        # Alice looks up one number per batch, so that two lookups leave.
        alice, bob = w.new_client(settings(discovery_batch=1)), w.new_client()

        # Registration: the code goes out as an SMS output of the server.
        events = w.register(alice, ALICE)
        self.assertTrue(events[0].is_CODE_REQUESTED())
        self.assertEqual(events[0].phone, ALICE)
        registered = only(events, "REGISTERED")[0]
        self.assertEqual(registered.tokens, 5)
        self.assertEqual(registered.certificate.phone, ALICE)
        self.assertEqual(registered.certificate.account, alice.account())
        self.assertEqual(alice.certificate(), registered.certificate)
        self.assertEqual(alice.token_counts().available, 5)
        self.assertEqual([p for p, _ in w.sms], [ALICE])
        # The code request and the registration leave when asked for; the window's discovery
        # tokens are asked for later, after a background delay, not with the registration.
        self.assertEqual(w.sent_by(alice, RT.REQUEST_CODE), [T0])
        self.assertEqual(w.sent_by(alice, RT.REGISTER), [T0])
        [issued_at] = w.sent_by(alice, RT.ISSUE_DISCOVERY_TOKENS)
        self.assertTrue(T0 < issued_at <= T0 + s.background_delay_max, issued_at - T0)
        window = w.now // DAY
        self.assertEqual(alice.discovery_tokens(window), s.discovery_tokens)
        w.register(bob, BOB)
        self.assertEqual(bob.token_counts().available, 5)

        # Discovery: Alice looks up two numbers; only Bob's has an account. Each batch leaves
        # at its own random time in the rest of the window, none when it is asked for.
        asked = w.now
        window_end = (window + 1) * DAY
        alice.lookup(w.now, [bp.PhoneNumber.parse(BOB), bp.PhoneNumber.parse("+15559999")])
        self.assertEqual(alice.discovery_tokens(window), 0, "a token paired with each batch")
        self.assertIsNone(alice.poll_transmit(w.now), "no lookup leaves when it is asked for")
        self.assertTrue(asked < alice.poll_timeout() < window_end)
        w.settle(alice)
        lookups = w.sent_by(alice, RT.LOOKUP)
        self.assertEqual(len(lookups), 2)
        self.assertNotEqual(lookups[0], lookups[1], "the two lookups leave at different times")
        for at in lookups:
            self.assertNotEqual(at, issued_at, "no lookup at the issuance's time")
            self.assertTrue(asked < at < window_end, (at - asked, window_end - at))
        completed = only(w.events(alice), "LOOKUP_COMPLETED")
        self.assertEqual(len(completed), 2)
        found = [c for e in completed for c in e.found]
        self.assertEqual([c.phone for c in found], [BOB])
        bob_cert = found[0]
        self.assertEqual(bob_cert.account, bob.account())
        self.assertEqual(bp.account_id_for_identity_key(bob_cert.identity_key), bob.account())

        # Cold call: it leaves at once, paying with one token, which stays attached to Bob.
        # Its host material is the offer of an Olm session, and it is sealed to Bob's host key.
        self.assertIsNotNone(bob_cert.host_key)
        offer = w.offer(alice)
        self.assertEqual(len(offer), 64)
        intro = alice.compose_introduction(w.now, bob_cert.bytes, b"hi bob", offer)
        alice.send_cold_call(w.now, bob_cert.account, w.seal_first_contact(alice, bob_cert, intro))
        t = alice.poll_transmit(w.now)
        self.assertEqual(t.channel, bp.Channel.ANONYMOUS())
        w.exchange(alice, t)
        self.assertEqual(w.sent_by(alice, RT.COLD_CALL), [w.now])
        self.assertIn(bp.Event.COLD_CALL_SENT(bob.account()), w.events(alice))
        counts = alice.token_counts()
        self.assertEqual((counts.available, counts.attached, counts.total), (4, 1, 5))

        # Bob's host opens the delivery; his client checks the introduction.
        queued = w.queues[bob.account()]
        self.assertTrue(bp.decode_delivery(queued[0]).is_COLD_CALL())
        events = w.deliver(bob)
        self.assertEqual(len(events), 1, events)
        intro_event = events[0]
        self.assertTrue(intro_event.is_INTRODUCTION_RECEIVED())
        self.assertEqual(intro_event.contact, alice.account())
        self.assertEqual(intro_event.phone, ALICE)
        self.assertEqual(intro_event.message, b"hi bob")
        self.assertEqual(intro_event.host_material, offer)
        self.assertTrue(intro_event.cold_call)
        # Bob's host accepted the offer: an Olm session with Alice, which his replies go through.
        self.assertTrue(w.e2e[bob.account()].has_session(alice.account()))
        self.assertFalse(w.e2e[alice.account()].has_session(bob.account()))
        [contact] = bob.contacts()
        self.assertEqual(contact.account, alice.account())
        self.assertTrue(contact.can_reply and contact.unreleased and not contact.introduced)

        # Bob replies under Alice's group, no token. The client fetches Alice's group key first,
        # after a short random delay: nothing leaves until then, and the reply right after it.
        reply = bob.compose_reply(w.now, alice.account(), b"hi alice", b"")
        replied = w.now
        first = bob.send_reply(w.now, alice.account(), w.seal(bob, alice.account(), reply))
        self.assertIsNone(bob.poll_transmit(w.now), "the group-key fetch waits for its delay")
        fetch_at = bob.poll_timeout()
        self.assertTrue(replied < fetch_at < replied + s.reply_delay_max, fetch_at - replied)
        w.step(bob, fetch_at - 1)
        self.assertEqual(w.sent_by(bob, RT.FETCH_GROUP_KEY), [], "not a second early")
        w.now = fetch_at
        bob.handle_timeout(w.now)
        t = bob.poll_transmit(w.now)
        self.assertEqual((t.id, t.channel), (first, bp.Channel.ANONYMOUS()))
        w.exchange(bob, t)
        t = bob.poll_transmit(w.now)
        self.assertNotEqual(t.id, first, "the reply itself follows the group-key fetch at once")
        self.assertEqual(t.channel, bp.Channel.ANONYMOUS())
        w.exchange(bob, t)
        self.assertEqual(w.sent_by(bob, RT.REPLY), [fetch_at])
        self.assertIn(bp.Event.REPLY_SENT(alice.account()), w.events(bob))
        self.assertEqual(bob.token_counts().available, 5)
        self.assertTrue(bp.decode_delivery(w.queues[alice.account()][0]).is_REPLY())
        events = w.deliver(alice)
        self.assertEqual(len(events), 1, events)
        self.assertTrue(events[0].is_INTRODUCTION_RECEIVED())
        self.assertEqual((events[0].contact, events[0].message, events[0].cold_call), (bob.account(), b"hi alice", False))
        # Bob's first reply completed the session on Alice's side.
        self.assertTrue(w.e2e[alice.account()].has_session(bob.account()))

        # Alice answers under Bob's group; Bob opens the signature to Alice.
        w.reply(alice, bob.account(), b"how are you")
        events = w.deliver(bob)
        self.assertEqual(events, [bp.Event.MESSAGE_RECEIVED(alice.account(), b"how are you", b"")])

        # Bob's reply scheduled the release of Alice's token: min + min(exponential, max - min)
        # seconds after it (src/client/delay.rs, max included), and the release then leaves
        # after a background delay (at most background_delay_max).
        self.assertTrue(s.release_delay_mean > 0, "the exponential delay")
        events = run_until_event(w, bob, "TOKEN_RELEASED")
        self.assertEqual(only(events, "TOKEN_RELEASED"), [bp.Event.TOKEN_RELEASED(alice.account())])
        [released] = w.sent_by(bob, RT.RELEASE)
        low, high = replied + s.release_delay_min, replied + s.release_delay_max + s.background_delay_max
        self.assertTrue(low <= released <= high, released - replied)
        self.assertFalse(bob.contacts()[0].unreleased)

        # Alice's client checks its spent token and exchanges it for a fresh one: the anonymous
        # renewal never leaves in the same second as one of her authenticated requests.
        self.assertIn(bp.Event.TOKEN_RENEWED(), run_until_event(w, alice, "TOKEN_RENEWED"))
        counts = alice.token_counts()
        self.assertEqual((counts.available, counts.attached, counts.renewing, counts.total), (5, 0, 0, 5))
        renewals = w.sent_by(alice, RT.RENEW_TOKEN)
        self.assertGreaterEqual(len(renewals), 1)
        authenticated = [at for at, _, channel, _ in w.sent if channel.is_AUTHENTICATED() and at in renewals]
        self.assertEqual(authenticated, [])

        # The renewal of her accepted cold call earned a reputation stamp (SPEC.md 18.1). Her
        # client redeems it on its own, over the authenticated channel, at a random time two
        # to four reputation periods later, for a sixth token.
        self.assertEqual(alice.stamps(), 1)
        renewed_at = renewals[-1]
        events = run_until_event(w, alice, "STAMPS_REDEEMED")
        self.assertIn(bp.Event.STAMPS_REDEEMED(1), events)
        [redeemed] = w.sent_by(alice, RT.REDEEM_STAMPS)
        period = s.reputation_period
        self.assertIn(redeemed // period - renewed_at // period, (2, 3, 4))
        self.assertEqual((alice.stamps(), alice.token_counts().total), (0, 6))
        self.assertEqual(w.server.allowance(w.now, alice.account()).earned, 1)

        # Bob blocks Alice: her member key of his group is revoked and the record published at
        # once (so the revoked key stops working). Bob's host first sends what is already due
        # (while the clock ran for Alice, Bob's own timers may have come due).
        w.pump(bob)
        generation = bob.group_key().generation()
        upload = bob.block(w.now, alice.account())
        self.assertIsNotNone(upload)
        t = bob.poll_transmit(w.now)
        self.assertEqual(t.id, upload)
        w.exchange(bob, t)
        self.assertEqual(w.sent_by(bob, RT.UPLOAD_REVOCATION), [w.now])
        self.assertEqual(bob.group_key().generation(), generation + 1)
        self.assertIn(bp.Event.CONTACT_BLOCKED(alice.account()), w.events(bob))
        self.assertTrue(bob.contacts()[0].blocked)
        with self.assertRaises(bp.BlindpostError.Client) as cm:
            bob.compose_reply(w.now, alice.account(), b"x", b"")
        self.assertEqual(cm.exception.kind, bp.ClientErrorKind.BLOCKED())

        # Alice's next reply fails at the group-key fetch: her key cannot follow the revocation.
        replies = len(w.sent_by(alice, RT.REPLY))
        fetch = w.reply(alice, bob.account(), b"let me in")
        [failed] = only(w.events(alice), "REQUEST_FAILED")
        self.assertEqual((failed.id, failed.request), (fetch, RT.FETCH_GROUP_KEY))
        self.assertTrue(failed.reason.is_CLIENT())
        self.assertIsInstance(failed.reason.error, bp.BlindpostError.Group)
        self.assertEqual(failed.reason.error.kind, bp.GroupErrorKind.REVOKED())
        self.assertEqual(len(w.sent_by(alice, RT.REPLY)), replies, "the reply is dropped, not retried")
        self.assertEqual(w.queues.get(bob.account(), []), [])
        self.assertEqual(alice.outstanding(), 0)

        self.assertGreaterEqual(w.server.maintain(w.now + 400 * DAY), 1)

    def test_work_due_while_the_phone_slept_leaves_at_separate_times(self):
        w = World()
        s = settings()
        alice, bob, carol = w.new_client(), w.new_client(), w.new_client()
        for client, phone in ((alice, ALICE), (bob, BOB), (carol, CAROL)):
            w.register(client, phone)
        # Alice cold-calls Bob: her token is attached, to be checked for renewal 30 to 60
        # minutes later. Carol cold-calls Alice, who accepts: the release is due 10 to 60
        # minutes later.
        w.cold_call(alice, bob.certificate(), b"hi bob")
        w.cold_call(carol, alice.certificate(), b"hi alice")
        self.assertEqual(len(only(w.deliver(alice), "INTRODUCTION_RECEIVED")), 1)
        alice.accept(w.now, carol.account())
        self.assertEqual(alice.outstanding(), 0)

        # Her phone sleeps four hours; both fell due meanwhile. On waking nothing leaves at once.
        woke = w.now + 4 * 3600
        w.wake(alice, woke)
        self.assertEqual(w.sent_by(alice, RT.RELEASE) + w.sent_by(alice, RT.RENEW_TOKEN), [])
        self.assertGreaterEqual(alice.outstanding(), 2)
        self.assertTrue(alice.poll_timeout() > woke)

        # A careless host that asks for everything at once (a time past its clock) would send
        # the authenticated release and the anonymous renewal in the same second: the link the
        # schedule hides (SPEC.md 13.6).
        careless = bp.Client.from_bytes_with_vector_rng(bp.VectorRng(b"careless host"), alice.to_bytes(), s)
        burst = []
        while (t := careless.poll_transmit(U64_MAX)) is not None:
            burst.append(t.channel)
        self.assertTrue(any(c.is_AUTHENTICATED() for c in burst), burst)
        self.assertIn(bp.Channel.ANONYMOUS(), burst)

        # The scheduled host sends each at its own random time after the wake.
        w.settle(alice)
        [released] = w.sent_by(alice, RT.RELEASE)
        [renewed] = w.sent_by(alice, RT.RENEW_TOKEN)
        self.assertNotEqual(released, renewed, "the release and the renewal leave apart")
        for at in (released, renewed):
            self.assertTrue(woke < at <= woke + s.background_delay_max, at - woke)

    def test_restored_client_resends_and_its_cold_call_is_queued_again(self):
        w = World()
        s = settings()
        alice, bob = w.new_client(), w.new_client()
        w.register(alice, ALICE)
        w.register(bob, BOB)
        bob_cert = bob.certificate()
        intro = alice.compose_introduction(w.now, bob_cert.bytes, b"hello", w.offer(alice))
        alice.send_cold_call(w.now, bob_cert.account, w.seal_first_contact(alice, bob_cert, intro))
        saved = alice.to_bytes()
        t = alice.poll_transmit(w.now)
        w.send(t.channel, t.bytes)  # the server took it, then the app died before the response

        # The app starts again two hours later: the cold call waited past its time, so it
        # leaves at a fresh random time, not at the restart.
        restored = bp.Client.from_bytes_with_vector_rng(bp.VectorRng(b"python restored"), saved, s)
        self.assertEqual(restored.account(), alice.account())
        self.assertEqual(restored.outstanding(), 1)
        restarted = w.now + 2 * 3600
        w.wake(restored, restarted)
        self.assertEqual(w.sent_by(restored, RT.COLD_CALL), [], "not resent at the restart")
        w.settle(restored)
        [resent] = w.sent_by(restored, RT.COLD_CALL)
        self.assertTrue(restarted < resent <= restarted + s.background_delay_max, resent - restarted)
        self.assertIn(bp.Event.COLD_CALL_SENT(bob.account()), w.events(restored))
        # The resend is answered as a duplicate and queues the cold call again under the same
        # handle, stamped with the resend's time (SPEC.md 12.8).
        self.assertEqual(len(w.queues[bob.account()]), 2, "the resend queued the cold call again")
        self.assertEqual(restored.token_counts().attached, 1)
        # The same sealed bytes twice: Bob's client takes the first and ignores the second.
        first, again = (bp.delivery_sealed_payload(d) for d in w.queues[bob.account()])
        self.assertEqual(first, again, "resent as sealed, not sealed again")
        self.assertEqual(len(only(w.deliver(bob), "INTRODUCTION_RECEIVED")), 1)

    def test_tampered_misdirected_and_replayed_sealed_payloads_are_refused(self):
        w = World()
        alice, bob, carol = w.new_client(), w.new_client(), w.new_client()
        for client, phone in ((alice, ALICE), (bob, BOB), (carol, CAROL)):
            w.register(client, phone)
        w.cold_call(alice, bob.certificate(), b"hi bob")
        [cold_call] = w.queues[bob.account()]
        sealed = bp.delivery_sealed_payload(cold_call)
        E2E = bp.EndToEndErrorKind
        for host in (w.e2e[bob.account()], w.e2e[carol.account()]):
            before = host.to_bytes()
            # The suite byte, the encapsulated key, the ciphertext and its tag, each flipped.
            for i, kind in ((0, E2E.UNKNOWN_SUITE(0)), (1, E2E.REFUSED()), (60, E2E.REFUSED()), (len(sealed) - 1, E2E.REFUSED())):
                tampered = bytearray(sealed)
                tampered[i] ^= 1
                with self.assertRaises(bp.BlindpostError.EndToEnd) as cm:
                    host.open(bytes(tampered))
                self.assertEqual(cm.exception.kind, kind)
            self.assertEqual(host.to_bytes(), before, "a refusal changes nothing")
        # Misdirected: Carol's host cannot open what was sealed to Bob's.
        with self.assertRaises(bp.BlindpostError.EndToEnd) as cm:
            w.e2e[carol.account()].open(sealed)
        self.assertEqual(cm.exception.kind, E2E.REFUSED())
        self.assertEqual(len(only(w.deliver(bob), "INTRODUCTION_RECEIVED")), 1)

        # Bob's reply opens once; the same sealed bytes again are a replay.
        w.reply(bob, alice.account(), b"hi alice")
        [reply] = w.queues[alice.account()]
        self.assertEqual(len(only(w.deliver(alice), "INTRODUCTION_RECEIVED")), 1)
        alice_host = w.e2e[alice.account()]
        before = alice_host.to_bytes()
        with self.assertRaises(bp.BlindpostError.EndToEnd) as cm:
            alice_host.open(bp.delivery_sealed_payload(reply))
        self.assertEqual(cm.exception.kind, E2E.REPLAYED())
        self.assertEqual(alice_host.to_bytes(), before, "a refused replay changes nothing")
        # A reply cannot be sealed to a contact whose offer was never accepted.
        with self.assertRaises(bp.BlindpostError.EndToEnd) as cm:
            w.e2e[carol.account()].seal(alice.certificate().host_key, alice.account(), b"\0" * 256)
        self.assertEqual(cm.exception.kind, E2E.NO_SESSION())

    def test_send_failure_hands_the_request_out_again(self):
        w = World()
        alice = w.new_client()
        id = alice.request_code(w.now, bp.PhoneNumber.parse(ALICE))
        self.assertEqual(alice.poll_transmit(w.now).id, id)
        self.assertIsNone(alice.poll_transmit(w.now))
        alice.handle_send_failure(id)
        self.assertEqual(alice.poll_transmit(w.now).id, id)

    def test_vector_rng_clients_are_reproducible(self):
        server = bp.Server.new_with_vector_rng(bp.VectorRng(b"python world"), bp.ServerConfig(), b"blindpost.test", T0)
        again = bp.Server.new_with_vector_rng(bp.VectorRng(b"python world"), bp.ServerConfig(), b"blindpost.test", T0)
        self.assertEqual(server.public_keys(), again.public_keys())
        keys = server.public_keys()
        a = bp.Client.new_with_vector_rng(bp.VectorRng(b"python client"), keys, settings())
        b = bp.Client.new_with_vector_rng(bp.VectorRng(b"python client"), keys, settings())
        self.assertEqual(a.to_bytes(), b.to_bytes())
        self.assertNotEqual(a.account(), bp.Client(keys, settings()).account())

    def test_clients_and_the_server_are_shared_between_threads(self):
        w = World()
        clients = [w.new_client() for _ in range(4)]
        lock = threading.Lock()  # the World's queues are plain dicts; the bindings need no lock

        def register(i, client):
            number = f"+1555010{i}"
            client.request_code(w.now, bp.PhoneNumber.parse(number))
            t = client.poll_transmit(w.now)
            handled = w.server.handle(w.now, t.channel, t.bytes)
            client.handle_response(w.now, t.id, handled.response)
            code = next(o.code for o in handled.outputs if o.is_SEND_CODE())
            client.register(w.now, bp.PhoneNumber.parse(number), code, None)
            t = client.poll_transmit(w.now)
            handled = w.server.handle(w.now, t.channel, t.bytes)
            client.handle_response(w.now, t.id, handled.response)
            with lock:
                self.assertEqual(client.token_counts().available, 5)

        threads = [threading.Thread(target=register, args=(i, c)) for i, c in enumerate(clients)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        self.assertTrue(all(c.certificate() is not None for c in clients))

    def test_a_bulk_sender_claims_the_tier_its_proof_earns(self):
        # The operator's check is the host's: here a policy that grants 3 tokens a period to
        # one domain and refuses every other (the X.509 validation of the Rust server host is
        # tested in hosts/bulk-x509).
        class OneDomain(bp.BulkSenderCheck):
            def check(self, now, identity_key, proof):
                if proof.domain == "mail.example.com" and len(identity_key) == 48:
                    return bp.BulkDecision.GRANTED(3, now + DAY)
                return bp.BulkDecision.REFUSED(bp.BulkRefusal.NO_TIER)

        w = World()
        w.server.set_bulk_check(OneDomain())
        sender = w.new_client()
        w.register(sender, ALICE)
        w.events(sender)
        key = sender.certificate().identity_key
        message = bp.bulk_proof_signed_message("mail.example.com", key)
        self.assertTrue(message.endswith(key))

        def proof(domain):
            return bp.bulk_proof_encode(bp.BulkProof(chain=[b"\x30\x00"], domain=domain, scheme=0x0403, signature=b"signature"))

        sender.claim_bulk_tokens(w.now, proof("mail.example.com"), 5)
        w.settle(sender)
        self.assertEqual(w.events(sender), [bp.Event.BULK_TOKENS_GRANTED(3)])
        self.assertEqual(sender.token_counts().available, 8)
        self.assertEqual(w.server.allowance(w.now, sender.account()).bulk_this_period, 3)
        sender.claim_bulk_tokens(w.now, proof("other.example.com"), 1)
        w.settle(sender)
        [failed] = only(w.events(sender), "REQUEST_FAILED")
        self.assertEqual(failed.reason.code, bp.ErrorCode.BULK_NO_TIER())
        with self.assertRaises(bp.BlindpostError.Malformed):
            bp.bulk_proof_encode(bp.BulkProof(chain=[b"\x30\x00"], domain="Not.Canonical", scheme=0x0403, signature=b"s"))

    def test_config_defaults_are_the_cores(self):
        self.assertEqual(bp.ServerConfig(), bp.server_config_recommended())
        self.assertEqual(bp.ClientSettings(), bp.client_settings_recommended())
        w = World()
        self.assertEqual(w.server.config(), bp.ServerConfig())
        with self.assertRaises(bp.BlindpostError.Server) as cm:
            bp.Server(bp.ServerConfig(registration_tokens=6), b"x", T0)
        self.assertEqual(cm.exception.kind, bp.ServerErrorKind.INVALID_CONFIG("registration_tokens"))
        with self.assertRaises(bp.BlindpostError.Code) as cm:
            bp.Server(bp.ServerConfig(code_digits=3), b"x", T0)
        self.assertEqual(cm.exception.kind, bp.CodeErrorKind.INVALID_DIGITS(3))
        # Discovery keys: present for this window and the next, so nothing to rotate yet.
        before = w.server.public_keys()
        self.assertFalse(w.server.rotate_discovery_keys(T0))
        self.assertEqual(w.server.public_keys(), before)
        self.assertTrue(w.server.rotate_discovery_keys(T0 + 86_400))
        after = w.server.public_keys()
        self.assertNotEqual(after.discovery_tokens, before.discovery_tokens)
        self.assertEqual(after.cold_call_tokens, before.cold_call_tokens)
        self.assertGreater(bp.TokenKeySet.from_bytes(after.discovery_tokens).serial(),
                           bp.TokenKeySet.from_bytes(before.discovery_tokens).serial())


if __name__ == "__main__":
    unittest.main()
