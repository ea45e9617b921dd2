"""A server store written in Python behind the exported `ServerStore` foreign trait: the core's
conformance suite (with its multi-threaded atomicity checks) run on it, a conversation over a
server that keeps its state there, and failing or non-conforming stores.
"""

import threading
import unittest

import blindpost as bp
from host import T0, ISSUER, World


class DictStore(bp.ServerStore):
    """A dict under one lock: each method is atomic."""

    def __init__(self):
        self.lock = threading.Lock()
        self.map = {}  # key -> (value, expires_at)

    def _live(self, key, now):
        entry = self.map.get(key)
        if entry is None or (entry[1] is not None and now >= entry[1]):
            return None
        return entry

    def get(self, key, now):
        with self.lock:
            entry = self._live(key, now)
            return None if entry is None else entry[0]

    def put(self, key, value, expires_at, now):
        with self.lock:
            self.map[key] = (value, expires_at)

    def insert_if_absent(self, key, value, expires_at, now):
        with self.lock:
            if self._live(key, now) is not None:
                return False
            self.map[key] = (value, expires_at)
            return True

    def replace_if_matches(self, key, expected, new, expires_at, now):
        with self.lock:
            entry = self._live(key, now)
            if entry is None or entry[0] != expected:
                return False
            self.map[key] = (new, expires_at)
            return True

    def delete_if_matches(self, key, expected, now):
        with self.lock:
            entry = self._live(key, now)
            if entry is None or entry[0] != expected:
                return False
            del self.map[key]
            return True

    def add_within_limit(self, key, amount, limit, expires_at, now):
        with self.lock:
            entry = self._live(key, now)
            current = 0 if entry is None else int.from_bytes(entry[0], "big")
            total = current + amount
            if total > limit:
                return None
            self.map[key] = (total.to_bytes(8, "big"), expires_at if entry is None else entry[1])
            return total

    def purge_expired(self, now):
        with self.lock:
            dead = [k for k, (_, exp) in self.map.items() if exp is not None and now >= exp]
            for k in dead:
                del self.map[k]
            return len(dead)

    def entry_count(self):
        with self.lock:
            return len(self.map)


class Factory(bp.ServerStoreFactory):
    def __init__(self, cls):
        self.cls = cls

    def make(self):
        return self.cls()


class ForgetfulStore(DictStore):
    """Breaks atomic spending: insert_if_absent always writes."""

    def insert_if_absent(self, key, value, expires_at, now):
        with self.lock:
            self.map[key] = (value, expires_at)
            return True


class FailingStore(DictStore):
    """A database that went away: typed errors, or an exception the bindings do not know."""

    def __init__(self, typed=True):
        super().__init__()
        self.typed = typed
        self.down = False

    def get(self, key, now):
        if self.down:
            if self.typed:
                raise bp.StoreError.Backend("connection refused")
            raise KeyError("not a StoreError")
        return super().get(key, now)


class ForeignStore(unittest.TestCase):
    def test_conformance_suite_passes(self):
        bp.store_conformance(Factory(DictStore))

    def test_conformance_suite_finds_a_broken_store(self):
        with self.assertRaises(bp.BlindpostError.Store) as cm:
            bp.store_conformance(Factory(ForgetfulStore))
        kind = cm.exception.kind
        self.assertTrue(kind.is_CONFORMANCE(), kind)
        self.assertIn("insert", kind.check)

    def test_conversation_over_a_python_store(self):
        store = DictStore()
        w = World(bp.Server.with_store(bp.ServerConfig(), ISSUER, T0, store))
        alice, bob = w.new_client(), w.new_client()
        w.register(alice, "+15550001")
        w.register(bob, "+15550002")
        self.assertGreater(w.server.store_entry_count(), 0)
        self.assertEqual(w.server.store_entry_count(), store.entry_count())
        cert = bob.certificate()
        w.cold_call(alice, cert, b"over a python store")
        [event] = w.deliver(bob)
        self.assertEqual(event.message, b"over a python store")
        self.assertEqual(alice.token_counts().attached, 1)

    def test_a_server_restarts_from_its_secrets_over_the_same_store(self):
        store = DictStore()
        w = World(bp.Server.with_store(bp.ServerConfig(), ISSUER, T0, store))
        alice, bob = w.new_client(), w.new_client()
        w.register(alice, "+15550001")
        w.register(bob, "+15550002")
        secrets = w.server.secrets()
        with self.assertRaises(bp.BlindpostError.Server) as cm:
            bp.Server.from_secrets(bp.ServerConfig(), secrets + b"\x00", store)
        self.assertEqual(cm.exception.kind, bp.ServerErrorKind.KEY_ENCODING())
        # A new process: the same secrets and store; tokens issued before still pay.
        w.server = bp.Server.from_secrets(bp.ServerConfig(), secrets, store)
        self.assertEqual(w.server.secrets(), secrets)
        cert = bob.certificate()
        w.cold_call(alice, cert, b"after a restart")
        [event] = w.deliver(bob)
        self.assertEqual(event.message, b"after a restart")

    def test_failing_store_gives_internal_refusals(self):
        for typed in (True, False):
            with self.subTest(typed=typed):
                store = FailingStore(typed)
                w = World(bp.Server.with_store(bp.ServerConfig(), ISSUER, T0, store))
                alice = w.new_client()
                w.register(alice, "+15550001")
                store.down = True
                alice.lookup(w.now, [bp.PhoneNumber.parse("+15550002")])
                # The host loop until the lookup leaves (at its own time in the window).
                while True:
                    w.now = max(w.now, alice.poll_timeout())
                    alice.handle_timeout(w.now)
                    t = alice.poll_transmit(w.now)
                    if t is None:
                        continue
                    handled = w.server.handle(w.now, t.channel, t.bytes)
                    if handled.request == bp.RequestType.LOOKUP:
                        break
                    alice.handle_response(w.now, t.id, handled.response)
                self.assertEqual(handled.refusal.code, bp.ErrorCode.INTERNAL())
                before = alice.to_bytes()
                alice.handle_response(w.now, t.id, handled.response)
                [failed] = w.events(alice)
                self.assertEqual(failed.reason, bp.FailureReason.SERVER(bp.ErrorCode.INTERNAL()))
                self.assertNotEqual(alice.to_bytes(), before)


if __name__ == "__main__":
    unittest.main()
