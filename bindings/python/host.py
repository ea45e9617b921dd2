"""A host written in Python around the exported state machines: one Server, its queues and SMS
outbox, and for each Client the loop a messenger app runs, with a simulated clock and real
end-to-end sealing (SPEC.md 17.7, the exported EndToEnd): each client's host registers its HPKE
host key, offers an Olm session in every cold call, accepts the offers of the cold calls it
receives, and seals every reply in the Olm session.

The client's host follows the timing contract (SPEC.md 13.6): whenever the clock reaches
`poll_timeout()` it calls `handle_timeout(now)` and then sends what `poll_transmit(now)` hands
out, each request on its channel, feeding the response back; it never asks for requests ahead of
its clock. The higher steps (register, lookup, reply) move the clock on until their requests
have left, as `World::settle` does in src/simulation/mod.rs. Every client draws from its own
seeded VectorRng, so every schedule is the same on every run (the sealed bytes are not: Olm
draws from the operating system).

Used by the test_*.py files.
"""

import blindpost as bp

T0 = 1_800_000_000
ISSUER = b"blindpost.test"
DAY = 86_400
# The most clock moves a host loop (`settle`, the tests' `run_until_event`) makes before it
# gives up.
HOST_STEPS = 10_000


def settings(**overrides):
    """The client settings of the Rust simulation (src/simulation/mod.rs): releases 10 minutes
    plus an exponential delay of mean 20 minutes after acceptance (at most 60 minutes), renewal
    checks every 30 to 60 minutes, background work after an exponential delay of mean 10
    minutes (at most 60 minutes), 2 discovery tokens per window."""
    values = dict(
        release_delay_min=600,
        release_delay_max=3600,
        release_delay_mean=1200,
        renewal_interval=1800,
        background_delay_mean=600,
        background_delay_max=3600,
        discovery_tokens=2,
    )
    values.update(overrides)
    return bp.ClientSettings(**values)


class World:
    def __init__(self, server=None):
        self.now = T0
        self.server = server or bp.Server(bp.ServerConfig(), ISSUER, self.now)
        self.queues = {}  # account -> [delivery bytes]
        self.sms = []  # (phone, code)
        self.e2e = {}  # account -> its host's EndToEnd state
        self.refusals = []  # every refusal the server answered with
        self.sent = []  # (time, request type, channel, sender account): what the server saw
        self.clients = 0

    def new_client(self, client_settings=None):
        """A client drawing from its own seeded VectorRng (the n-th client of this world)."""
        self.clients += 1
        rng = bp.VectorRng(b"python client %d" % self.clients)
        client = bp.Client.new_with_vector_rng(rng, self.server.public_keys(), client_settings or settings())
        self.e2e[client.account()] = bp.EndToEnd.generate(client.account())
        return client

    # ---- the server's host -------------------------------------------------------------------

    def serve(self, channel, request):
        """The server's host handling one request: refusals noted, codes and deliveries queued."""
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
        return handled

    def send(self, channel, request):
        """The response to one request."""
        return self.serve(channel, request).response

    # ---- a client's host ---------------------------------------------------------------------

    def exchange(self, client, t):
        """Sends one transmit, logs it, and feeds the response back."""
        handled = self.serve(t.channel, t.bytes)
        self.sent.append((self.now, handled.request, t.channel, client.account()))
        client.handle_response(self.now, t.id, handled.response)

    def pump(self, client):
        """Sends the requests whose time has come (and what their responses queue for now)."""
        while (t := client.poll_transmit(self.now)) is not None:
            self.exchange(client, t)

    def step(self, client, when):
        """The host loop at clock `when` (never earlier than the clock): runs the client's
        timers if their time has come, then sends what is due."""
        self.now = max(self.now, when)
        timeout = client.poll_timeout()
        if timeout is not None and timeout <= self.now:
            client.handle_timeout(self.now)
        self.pump(client)

    def settle(self, client):
        """Runs the client's host until it has no request left to send, moving the clock to
        each time the client names."""
        self.pump(client)
        for _ in range(HOST_STEPS):
            if client.outstanding() == 0:
                return
            self.step(client, client.poll_timeout())
        raise AssertionError(f"the client still has requests after {HOST_STEPS} clock moves")

    def wake(self, client, when):
        """The phone slept (its host ran nothing) until `when`; now the app runs again."""
        self.now = max(self.now, when)
        client.handle_timeout(self.now)
        self.pump(client)

    def sent_by(self, client, request=None):
        """The times at which `client`'s requests (of type `request`, if given) reached the
        server."""
        me = client.account()
        return [t for t, r, _, who in self.sent if who == me and (request is None or r == request)]

    @staticmethod
    def events(client):
        out = []
        while (e := client.poll_event()) is not None:
            out.append(e)
        return out

    def register(self, client, phone):
        """Registers `phone`, and runs the host until the discovery tokens it then asks for have
        arrived. Returns the events."""
        number = bp.PhoneNumber.parse(phone)
        client.request_code(self.now, number)
        self.pump(client)
        code = next(c for p, c in reversed(self.sms) if p == phone)
        client.register(self.now, number, code, self.e2e[client.account()].host_key())
        self.settle(client)
        return self.events(client)

    def lookup(self, client, phones):
        """Looks `phones` up and runs the host until every lookup has left. Returns the events."""
        client.lookup(self.now, [bp.PhoneNumber.parse(p) for p in phones])
        self.settle(client)
        return self.events(client)

    def offer(self, client):
        """A fresh Olm offer of `client`'s host: the host material of a cold call."""
        return self.e2e[client.account()].offer()

    def seal_first_contact(self, client, certificate, introduction):
        """Seals a cold call's introduction to the host key in the recipient's certificate."""
        return self.e2e[client.account()].seal_first_contact(certificate.host_key, certificate.account, introduction)

    def seal(self, client, to, payload):
        """Seals a reply of `client` to its contact `to`: encrypted in their Olm session, then
        sealed to the host key in the contact's certificate."""
        [certificate] = [c.certificate for c in client.contacts() if c.account == to]
        return self.e2e[client.account()].seal(certificate.host_key, to, payload)

    def cold_call(self, client, certificate, message):
        """Composes (with an offer), seals and sends a cold call to `certificate`'s account (it
        leaves at once)."""
        intro = client.compose_introduction(self.now, certificate.bytes, message, self.offer(client))
        client.send_cold_call(self.now, certificate.account, self.seal_first_contact(client, certificate, intro))
        self.pump(client)

    def reply(self, client, to, message):
        """Composes, seals and sends a reply to `to`, running the host until it has left.
        Returns the id of its first request (the group-key fetch)."""
        payload = client.compose_reply(self.now, to, message, b"")
        id = client.send_reply(self.now, to, self.seal(client, to, payload))
        self.settle(client)
        return id

    def open(self, me, sealed):
        """Opens a payload sealed for account `me`'s host: an EndToEnd Opened record."""
        return self.e2e[me].open(sealed)

    def deliver(self, client):
        """Hands every queued delivery to its client as its host would: opens the payload,
        hands it over, checks that the client's contact is the sender the sealing names, and
        accepts the offer of a cold call. A replayed delivery (a resend the server queued
        again, SPEC.md 12.8) is dropped. Returns the client's events."""
        me = client.account()
        events = self.events(client)
        for delivery in self.queues.pop(me, []):
            try:
                opened = self.open(me, bp.delivery_sealed_payload(delivery))
            except bp.BlindpostError.EndToEnd as e:
                if e.kind == bp.EndToEndErrorKind.REPLAYED():
                    continue
                raise
            client.handle_delivery(self.now, delivery, opened.payload)
            for event in self.events(client):
                if event.is_INTRODUCTION_RECEIVED() or event.is_MESSAGE_RECEIVED():
                    assert event.contact == opened.sender, "sealed by one account, signed by another"
                if event.is_INTRODUCTION_RECEIVED() and event.cold_call:
                    assert opened.first_contact
                    self.e2e[me].accept_offer(event.contact, event.host_material)
                events.append(event)
        return events
