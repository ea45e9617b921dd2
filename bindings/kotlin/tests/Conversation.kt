// A whole conversation driven from Kotlin through the exported state machines: one Server, two
// Clients and the host loop of Host.kt. Registration (the SMS code from the server's outputs),
// discovery lookup, cold call, delivery and introduction, reply (after the group-key fetch), a
// message back, release after the timer, renewal (tokens back to five), and a block that
// revokes the blocked contact's member key.
package blindpost.tests

import blindpost.testsupport.*
import uniffi.blindpost.*
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

private const val ALICE = "+15550001"
private const val BOB = "+15550002"

fun conversationTests(): Boolean {
    val t = Tests("kotlin conversation")

    t.test("whole conversation") {
        val w = World()
        val alice = w.newClient()
        val bob = w.newClient()

        val events = w.register(alice, ALICE)
        t.eq(ALICE, (events[0] as Event.CodeRequested).phone, "code requested for")
        val registered = events.filterIsInstance<Event.Registered>().single()
        t.eq(5uL, registered.tokens, "tokens at registration")
        t.eq(ALICE, registered.certificate.phone, "certificate phone")
        t.eq(alice.account().hex(), registered.certificate.account.hex(), "certificate account")
        t.eq(registered.certificate.bytes.hex(), alice.certificate()!!.bytes.hex(), "stored certificate")
        t.eq(listOf(ALICE), w.sms.map { it.first }, "SMS sent")
        w.register(bob, BOB)
        t.eq(5uL, bob.tokenCounts().available, "Bob's tokens")

        // Discovery: only Bob's number has an account.
        alice.lookup(w.now, listOf(PhoneNumber.parse(BOB), PhoneNumber.parse("+15559999")))
        w.pump(alice)
        val found = w.events(alice).filterIsInstance<Event.LookupCompleted>().single().found
        t.eq(listOf(BOB), found.map { it.phone }, "lookup result")
        val bobCert = found[0]
        t.eq(bob.account().hex(), bobCert.account.hex(), "looked-up account")
        t.eq(bob.account().hex(), accountIdForIdentityKey(bobCert.identityKey).hex(), "account from identity key")
        t.eq(0uL, alice.discoveryTokens(w.now / 86_400uL), "the one discovery token was spent")

        // Cold call: one token, attached to Bob.
        val intro = alice.composeIntroduction(w.now, bobCert.bytes, "hi bob".toByteArray(), "ratchet-a".toByteArray())
        alice.sendColdCall(bobCert.account, w.seal(bobCert.account, intro))
        w.pump(alice)
        val sent = w.events(alice).filterIsInstance<Event.ColdCallSent>().single()
        t.eq(bob.account().hex(), sent.recipient.hex(), "cold call recipient")
        val counts = alice.tokenCounts()
        t.eq(Triple(4uL, 1uL, 5uL), Triple(counts.available, counts.attached, counts.total), "tokens after the cold call")

        t.check(decodeDelivery(w.queues.getValue(Key(bob.account()))[0]) is Delivery.ColdCall) { "a cold-call delivery" }
        val received = w.deliver(bob).single() as Event.IntroductionReceived
        t.eq(alice.account().hex(), received.contact.hex(), "introduced contact")
        t.eq(ALICE, received.phone, "introduced phone")
        t.eq("hi bob", String(received.message), "message")
        t.eq("ratchet-a", String(received.hostMaterial), "host material")
        t.check(received.coldCall) { "a cold call" }
        val contact = bob.contacts().single()
        t.check(contact.canReply && contact.unreleased && !contact.introduced) { "contact state $contact" }

        // Bob replies under Alice's group: the group-key fetch first, then the reply.
        val reply = bob.composeReply(w.now, alice.account(), "hi alice".toByteArray(), "ratchet-b".toByteArray())
        val first = bob.sendReply(w.now, alice.account(), w.seal(alice.account(), reply))
        val fetch = bob.pollTransmit()!!
        t.eq(first, fetch.id, "first transmit is the fetch")
        t.eq<Channel>(Channel.Anonymous, fetch.channel, "fetch channel")
        bob.handleResponse(w.now, fetch.id, w.send(fetch.channel, fetch.bytes))
        val replyTransmit = bob.pollTransmit()!!
        t.check(replyTransmit.id != first) { "the reply follows the fetch" }
        bob.handleResponse(w.now, replyTransmit.id, w.send(replyTransmit.channel, replyTransmit.bytes))
        t.eq(alice.account().hex(), w.events(bob).filterIsInstance<Event.ReplySent>().single().recipient.hex(), "reply sent")
        t.eq(5uL, bob.tokenCounts().available, "a reply costs no token")
        t.check(decodeDelivery(w.queues.getValue(Key(alice.account()))[0]) is Delivery.Reply) { "a reply delivery" }
        val back = w.deliver(alice).single() as Event.IntroductionReceived
        t.eq(bob.account().hex(), back.contact.hex(), "reply introduces Bob")
        t.eq("hi alice", String(back.message), "reply message")
        t.check(!back.coldCall) { "not a cold call" }

        // Alice answers under Bob's group; Bob opens the signature to Alice.
        val msg = alice.composeReply(w.now, bob.account(), "how are you".toByteArray(), ByteArray(0))
        alice.sendReply(w.now, bob.account(), w.seal(bob.account(), msg))
        w.pump(alice)
        val message = w.deliver(bob).single() as Event.MessageReceived
        t.eq(alice.account().hex(), message.contact.hex(), "message sender")
        t.eq("how are you", String(message.message), "message text")

        // The release: settings() has no mean, so the delay is uniform on [min, max), max
        // excluded (src/client/delay.rs).
        val due = bob.pollTimeout()!!
        val s = settings()
        t.eq(0uL, s.releaseDelayMean, "a uniform release delay")
        t.check(due >= w.now + s.releaseDelayMin && due < w.now + s.releaseDelayMax) { "release due at +${due - w.now}" }
        w.advanceTo(bob, due - 1uL)
        t.eq(0, w.events(bob).filterIsInstance<Event.TokenReleased>().size, "nothing released early")
        w.advanceTo(bob, due)
        t.eq(alice.account().hex(), w.events(bob).filterIsInstance<Event.TokenReleased>().single().contact.hex(), "released")
        t.check(!bob.contacts().single().unreleased) { "released contact" }

        // Alice's renewal check turns the released token into a fresh one.
        w.advanceTo(alice, alice.pollTimeout()!!)
        t.check(w.events(alice).contains(Event.TokenRenewed)) { "token renewed" }
        val after = alice.tokenCounts()
        t.eq(listOf(5uL, 0uL, 0uL, 5uL), listOf(after.available, after.attached, after.renewing, after.total), "tokens after renewal")

        // Bob blocks Alice: revocation of her member key, published.
        val generation = bob.groupKey().generation()
        t.check(bob.block(alice.account()) != null) { "a revocation upload" }
        w.pump(bob)
        t.eq(generation + 1u, bob.groupKey().generation(), "Bob's group generation")
        t.eq(alice.account().hex(), w.events(bob).filterIsInstance<Event.ContactBlocked>().single().contact.hex(), "blocked")
        t.throws<BlindpostException.Client>("reply to a blocked contact", ClientErrorKind.Blocked) {
            bob.composeReply(w.now, alice.account(), "x".toByteArray(), ByteArray(0))
        }

        // Alice's next reply fails at the group-key fetch.
        val last = alice.composeReply(w.now, bob.account(), "let me in".toByteArray(), ByteArray(0))
        alice.sendReply(w.now, bob.account(), w.seal(bob.account(), last))
        val tx = alice.pollTransmit()!!
        alice.handleResponse(w.now, tx.id, w.send(tx.channel, tx.bytes))
        val failed = w.events(alice).single() as Event.RequestFailed
        t.eq(tx.id, failed.id, "failed request")
        t.eq(RequestType.FETCH_GROUP_KEY, failed.request, "failed request type")
        val revoked = (failed.reason as FailureReason.Client).error
        t.check(revoked is BlindpostException.Group && revoked.kind == GroupErrorKind.Revoked) { "revoked: ${failed.reason}" }
        t.check(alice.pollTransmit() == null) { "the reply is dropped" }
        t.check(w.queues[Key(bob.account())].isNullOrEmpty()) { "nothing reached Bob" }
        t.eq(0uL, alice.outstanding(), "outstanding")
        t.check(w.server.maintain(w.now + 400uL * 86_400uL) >= 1uL) { "maintain purged state" }
    }

    t.test("restored client resends and nothing is delivered twice") {
        val w = World()
        val alice = w.newClient()
        val bob = w.newClient()
        w.register(alice, ALICE)
        w.register(bob, BOB)
        val cert = bob.certificate()!!
        val intro = alice.composeIntroduction(w.now, cert.bytes, "hello".toByteArray(), ByteArray(0))
        alice.sendColdCall(cert.account, w.seal(cert.account, intro))
        val saved = alice.toBytes()
        val tx = alice.pollTransmit()!!
        w.send(tx.channel, tx.bytes) // taken by the server; the app died before the response
        val restored = Client.fromBytes(saved, settings())
        t.eq(alice.account().hex(), restored.account().hex(), "restored account")
        t.eq(1uL, restored.outstanding(), "outstanding after restore")
        w.pump(restored)
        t.eq(1, w.events(restored).filterIsInstance<Event.ColdCallSent>().size, "cold call acknowledged")
        t.eq(1, w.queues.getValue(Key(bob.account())).size, "queued once")
        t.eq(1uL, restored.tokenCounts().attached, "one token attached")
    }

    t.test("send failure hands the request out again") {
        val alice = World().newClient()
        val id = alice.requestCode(PhoneNumber.parse(ALICE))
        t.eq(id, alice.pollTransmit()!!.id, "first hand-out")
        t.check(alice.pollTransmit() == null) { "handed out once" }
        alice.handleSendFailure(id)
        t.eq(id, alice.pollTransmit()!!.id, "handed out again")
    }

    t.test("vector rng clients and servers are reproducible") {
        val s1 = Server.newWithVectorRng(VectorRng("kotlin world".toByteArray()), ServerConfig(), ISSUER, T0)
        val s2 = Server.newWithVectorRng(VectorRng("kotlin world".toByteArray()), ServerConfig(), ISSUER, T0)
        t.eq(s1.publicKeys().coldCallTokens.hex(), s2.publicKeys().coldCallTokens.hex(), "same server keys")
        val keys = s1.publicKeys()
        val a = Client.newWithVectorRng(VectorRng("kotlin client".toByteArray()), keys, settings())
        val b = Client.newWithVectorRng(VectorRng("kotlin client".toByteArray()), keys, settings())
        t.eq(a.toBytes().hex(), b.toBytes().hex(), "same client state")
        t.check(a.account().hex() != Client(keys, settings()).account().hex()) { "OS randomness differs" }
    }

    t.test("clients and the server are shared between threads") {
        val w = World()
        val pool = Executors.newFixedThreadPool(4)
        val clients = (0 until 4).map { w.newClient() }
        val jobs = clients.mapIndexed { i, client ->
            pool.submit<ULong> {
                val number = PhoneNumber.parse("+1555010$i")
                client.requestCode(number)
                var tx = client.pollTransmit()!!
                var handled = w.server.handle(w.now, tx.channel, tx.bytes)
                client.handleResponse(w.now, tx.id, handled.response)
                val code = handled.outputs.filterIsInstance<Output.SendCode>().single().code
                client.register(w.now, number, code, null)
                tx = client.pollTransmit()!!
                handled = w.server.handle(w.now, tx.channel, tx.bytes)
                client.handleResponse(w.now, tx.id, handled.response)
                client.tokenCounts().available
            }
        }
        t.eq(List(4) { 5uL }, jobs.map { it.get() }, "tokens per client")
        pool.shutdown()
        pool.awaitTermination(10, TimeUnit.SECONDS)
    }

    t.test("config defaults are the core's") {
        t.eq(serverConfigRecommended(), ServerConfig(), "server config defaults")
        t.eq(clientSettingsRecommended(), ClientSettings(), "client settings defaults")
        t.throws<BlindpostException.Server>("six registration tokens", ServerErrorKind.InvalidConfig("registration_tokens")) {
            Server(ServerConfig(registrationTokens = 6uL), ISSUER, T0)
        }
        val w = World()
        val before = w.server.publicKeys()
        t.check(!w.server.rotateDiscoveryKeys(T0)) { "nothing to rotate" }
        t.check(w.server.rotateDiscoveryKeys(T0 + 86_400uL)) { "next window's key made" }
        val after = w.server.publicKeys()
        t.check(!after.discoveryTokens.contentEquals(before.discoveryTokens)) { "discovery keys changed" }
        t.check(after.coldCallTokens.contentEquals(before.coldCallTokens)) { "cold-call keys kept" }
    }

    return t.done()
}
