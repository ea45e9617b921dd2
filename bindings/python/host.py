"""A host written in Python around the exported state machines: one Server, its queues and SMS
outbox, and for each Client the loop a messenger app runs (send each transmit on its channel to
the server, feed the response back, hand queued deliveries over after opening them), with a
simulated clock and a stand-in for end-to-end sealing.

Used by test_conversation.py and test_hostile.py.
"""

import os

import blindpost as bp

T0 = 1_800_000_000
ISSUER = b"blindpost.test"


def settings():
    """The client settings of the Rust protocol tests: releases 10 minutes plus an exponential
    delay of mean 20 minutes after acceptance (at most 60 minutes), renewal checks every 30 to
    60 minutes."""
    return bp.ClientSettings(
        release_delay_min=600, release_delay_max=3600, release_delay_mean=1200, renewal_interval=1800
    )


class World:
    def __init__(self, server=None):
        self.now = T0
        self.server = server or bp.Server(bp.ServerConfig(), ISSUER, self.now)
        self.queues = {}  # account -> [delivery bytes]
        self.sms = []  # (phone, code)
        self.seal_keys = {}  # account -> 32-byte key of the stand-in sealing
        self.refusals = []  # every refusal the server answered with

    def new_client(self):
        client = bp.Client(self.server.public_keys(), settings())
        self.seal_keys[client.account()] = os.urandom(32)
        return client

    # ---- the server's host -------------------------------------------------------------------

    def send(self, channel, request):
        handled = self.server.handle(self.now, channel, request)
        if handled.refusal is not None:
            self.refusals.append(handled.refusal)
        for output in handled.outputs:
            if output.is_SEND_CODE():
                self.sms.append((output.phone, output.code))
            elif output.is_DELIVER():
                self.queues.setdefault(output.recipient, []).append(output.delivery)
            else:
                raise AssertionError(f"unknown output {output}")
        return handled.response

    # ---- a client's host ---------------------------------------------------------------------

    def pump(self, client):
        """Sends every outstanding request until the client has none left."""
        while (t := client.poll_transmit()) is not None:
            client.handle_response(self.now, t.id, self.send(t.channel, t.bytes))

    @staticmethod
    def events(client):
        out = []
        while (e := client.poll_event()) is not None:
            out.append(e)
        return out

    def register(self, client, phone):
        number = bp.PhoneNumber.parse(phone)
        client.request_code(number)
        self.pump(client)
        code = next(c for p, c in reversed(self.sms) if p == phone)
        client.register(self.now, number, code, None)
        self.pump(client)
        return self.events(client)

    def seal(self, to, plaintext):
        """Stand-in for the hosts' end-to-end encryption (a Double Ratchet in an app): an
        8-byte key check, then the plaintext XORed with the recipient's key."""
        key = self.seal_keys[to]
        return key[:8] + bytes(b ^ key[i % 32] for i, b in enumerate(plaintext))

    def open(self, me, sealed):
        key = self.seal_keys[me]
        if sealed[:8] != key[:8]:
            raise ValueError("sealed to another account")
        return bytes(b ^ key[i % 32] for i, b in enumerate(sealed[8:]))

    def deliver(self, client):
        """Hands every queued delivery to its client, opening the payload as its host would."""
        me = client.account()
        for delivery in self.queues.pop(me, []):
            sealed = bp.delivery_sealed_payload(delivery)
            client.handle_delivery(self.now, delivery, self.open(me, sealed))
        return self.events(client)

    def advance_to(self, client, when):
        """Moves the clock to `when` and runs the client's timers and requests."""
        self.now = max(self.now, when)
        client.handle_timeout(self.now)
        self.pump(client)
