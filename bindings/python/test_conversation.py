"""A whole conversation driven from Python through the exported state machines: one Server, two
Clients and the host loop of host.py. Registration (the SMS code from the server's outputs),
discovery lookup, cold call, delivery and introduction, reply (after the group-key fetch), a
message back, release after the timer, renewal (tokens back to five), and a block that revokes
the blocked contact's member key.
"""

import threading
import unittest

import blindpost as bp
from host import T0, World, settings

ALICE, BOB = "+15550001", "+15550002"


def only(events, kind):
    """The events of one kind (`kind` is the variant's name, e.g. "REGISTERED")."""
    return [e for e in events if getattr(e, "is_" + kind)()]


class Conversation(unittest.TestCase):
    def test_whole_conversation(self):
        w = World()
        alice, bob = w.new_client(), w.new_client()

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
        w.register(bob, BOB)
        self.assertEqual(bob.token_counts().available, 5)

        # Discovery: Alice looks up two numbers; only Bob's has an account.
        alice.lookup(w.now, [bp.PhoneNumber.parse(BOB), bp.PhoneNumber.parse("+15559999")])
        w.pump(alice)
        window = w.now // 86_400
        self.assertEqual(alice.discovery_tokens(window), 0, "one token bought for one batch, and spent")
        found = only(w.events(alice), "LOOKUP_COMPLETED")[0].found
        self.assertEqual([c.phone for c in found], [BOB])
        bob_cert = found[0]
        self.assertEqual(bob_cert.account, bob.account())
        self.assertEqual(bp.account_id_for_identity_key(bob_cert.identity_key), bob.account())

        # Cold call: one token, which stays attached to Bob.
        intro = alice.compose_introduction(w.now, bob_cert.bytes, b"hi bob", b"ratchet-a")
        alice.send_cold_call(bob_cert.account, w.seal(bob_cert.account, intro))
        w.pump(alice)
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
        self.assertEqual(intro_event.host_material, b"ratchet-a")
        self.assertTrue(intro_event.cold_call)
        [contact] = bob.contacts()
        self.assertEqual(contact.account, alice.account())
        self.assertTrue(contact.can_reply and contact.unreleased and not contact.introduced)

        # Bob replies under Alice's group, no token; the client fetches Alice's group key first.
        reply = bob.compose_reply(w.now, alice.account(), b"hi alice", b"ratchet-b")
        first = bob.send_reply(w.now, alice.account(), w.seal(alice.account(), reply))
        t = bob.poll_transmit()
        self.assertEqual(t.id, first)
        self.assertEqual(t.channel, bp.Channel.ANONYMOUS())
        bob.handle_response(w.now, t.id, w.send(t.channel, t.bytes))
        t = bob.poll_transmit()
        self.assertNotEqual(t.id, first, "the reply itself follows the group-key fetch")
        bob.handle_response(w.now, t.id, w.send(t.channel, t.bytes))
        self.assertIn(bp.Event.REPLY_SENT(alice.account()), w.events(bob))
        self.assertEqual(bob.token_counts().available, 5)
        self.assertTrue(bp.decode_delivery(w.queues[alice.account()][0]).is_REPLY())
        events = w.deliver(alice)
        self.assertEqual(len(events), 1, events)
        self.assertTrue(events[0].is_INTRODUCTION_RECEIVED())
        self.assertEqual((events[0].contact, events[0].message, events[0].cold_call), (bob.account(), b"hi alice", False))

        # Alice answers under Bob's group; Bob opens the signature to Alice.
        msg = alice.compose_reply(w.now, bob.account(), b"how are you", b"")
        alice.send_reply(w.now, bob.account(), w.seal(bob.account(), msg))
        w.pump(alice)
        events = w.deliver(bob)
        self.assertEqual(events, [bp.Event.MESSAGE_RECEIVED(alice.account(), b"how are you", b"")])

        # Bob's reply scheduled the release of Alice's token: min + min(exponential, max - min)
        # seconds later (src/client/delay.rs), so anywhere in [min, max], max itself included
        # (every draw beyond the cap lands on it: e^-(3000/1200) = 8% of them).
        due = bob.poll_timeout()
        self.assertIsNotNone(due)
        s = settings()
        self.assertTrue(s.release_delay_mean > 0, "the exponential delay")
        self.assertTrue(w.now + s.release_delay_min <= due <= w.now + s.release_delay_max, due - w.now)
        w.advance_to(bob, due - 1)
        self.assertEqual(only(w.events(bob), "TOKEN_RELEASED"), [], "not before it is due")
        w.advance_to(bob, due)
        self.assertEqual(only(w.events(bob), "TOKEN_RELEASED"), [bp.Event.TOKEN_RELEASED(alice.account())])
        self.assertFalse(bob.contacts()[0].unreleased)

        # Alice's client checks its spent token and exchanges it for a fresh one.
        check = alice.poll_timeout()
        self.assertIsNotNone(check)
        w.advance_to(alice, check)
        self.assertIn(bp.Event.TOKEN_RENEWED(), w.events(alice))
        counts = alice.token_counts()
        self.assertEqual((counts.available, counts.attached, counts.renewing, counts.total), (5, 0, 0, 5))

        # Bob blocks Alice: her member key of his group is revoked and the record published.
        generation = bob.group_key().generation()
        upload = bob.block(alice.account())
        self.assertIsNotNone(upload)
        w.pump(bob)
        self.assertEqual(bob.group_key().generation(), generation + 1)
        self.assertIn(bp.Event.CONTACT_BLOCKED(alice.account()), w.events(bob))
        self.assertTrue(bob.contacts()[0].blocked)
        with self.assertRaises(bp.BlindpostError.Client) as cm:
            bob.compose_reply(w.now, alice.account(), b"x", b"")
        self.assertEqual(cm.exception.kind, bp.ClientErrorKind.BLOCKED())

        # Alice's next reply fails at the group-key fetch: her key cannot follow the revocation.
        msg = alice.compose_reply(w.now, bob.account(), b"let me in", b"")
        alice.send_reply(w.now, bob.account(), w.seal(bob.account(), msg))
        t = alice.poll_transmit()
        alice.handle_response(w.now, t.id, w.send(t.channel, t.bytes))
        [failed] = w.events(alice)
        self.assertTrue(failed.is_REQUEST_FAILED())
        self.assertEqual((failed.id, failed.request), (t.id, bp.RequestType.FETCH_GROUP_KEY))
        self.assertTrue(failed.reason.is_CLIENT())
        self.assertIsInstance(failed.reason.error, bp.BlindpostError.Group)
        self.assertEqual(failed.reason.error.kind, bp.GroupErrorKind.REVOKED())
        self.assertIsNone(alice.poll_transmit(), "the reply is dropped, not retried")
        self.assertEqual(w.queues.get(bob.account(), []), [])
        self.assertEqual(alice.outstanding(), 0)

        self.assertGreaterEqual(w.server.maintain(w.now + 400 * 86_400), 1)

    def test_restored_client_resends_and_nothing_is_delivered_twice(self):
        w = World()
        alice, bob = w.new_client(), w.new_client()
        w.register(alice, ALICE)
        w.register(bob, BOB)
        bob_cert = bob.certificate()
        intro = alice.compose_introduction(w.now, bob_cert.bytes, b"hello", b"")
        alice.send_cold_call(bob_cert.account, w.seal(bob_cert.account, intro))
        saved = alice.to_bytes()
        t = alice.poll_transmit()
        w.send(t.channel, t.bytes)  # the server took it, then the app died before the response

        restored = bp.Client.from_bytes(saved, settings())
        self.assertEqual(restored.account(), alice.account())
        self.assertEqual(restored.outstanding(), 1)
        w.pump(restored)
        self.assertIn(bp.Event.COLD_CALL_SENT(bob.account()), w.events(restored))
        self.assertEqual(len(w.queues[bob.account()]), 1, "the resend was answered, not queued again")
        self.assertEqual(restored.token_counts().attached, 1)

    def test_send_failure_hands_the_request_out_again(self):
        w = World()
        alice = w.new_client()
        id = alice.request_code(bp.PhoneNumber.parse(ALICE))
        self.assertEqual(alice.poll_transmit().id, id)
        self.assertIsNone(alice.poll_transmit())
        alice.handle_send_failure(id)
        self.assertEqual(alice.poll_transmit().id, id)

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
            client.request_code(bp.PhoneNumber.parse(number))
            t = client.poll_transmit()
            handled = w.server.handle(w.now, t.channel, t.bytes)
            client.handle_response(w.now, t.id, handled.response)
            code = next(o.code for o in handled.outputs if o.is_SEND_CODE())
            client.register(w.now, bp.PhoneNumber.parse(number), code, None)
            t = client.poll_transmit()
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
