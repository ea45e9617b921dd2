// A whole conversation driven from Kotlin through the exported state machines: one Server,
// Clients and the scheduled host loop of Host.kt. Registration (the SMS code from the server's
// outputs), discovery lookup, cold call, delivery and introduction, reply (after the group-key
// fetch), a message back, release after the timer, renewal (tokens back to five), and a block
// that revokes the blocked contact's member key; at every step the test checks when the requests
// left (SPEC.md 13.6), from the host's log of what reached the server. The clients draw from
// seeded VectorRngs, so every time below is the same on every run.
package blindpost.tests

import blindpost.testsupport.*
import uniffi.blindpost.*
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

private const val ALICE = "+15550001"
private const val BOB = "+15550002"
private const val CAROL = "+15550003"

/** Runs [client]'s host, awake, until it raises an event of type [E]; returns the events. */
private inline fun <reified E : Event> runUntilEvent(w: World, client: Client): List<Event> {
    val seen = mutableListOf<Event>()
    repeat(HOST_STEPS) {
        w.step(client, client.pollTimeout()!!)
        seen += w.events(client)
        if (seen.any { it is E }) return seen
    }
    throw AssertionError("no ${E::class.simpleName} event after $HOST_STEPS clock moves")
}

fun conversationTests(): Boolean {
    val t = Tests("kotlin conversation")

    t.test("whole conversation") {
        val w = World()
        val s = settings()
        // Alice looks up one number per batch, so that two lookups leave.
        val alice = w.newClient(settings(discoveryBatch = 1uL))
        val bob = w.newClient()

        val events = w.register(alice, ALICE)
        t.eq(ALICE, (events[0] as Event.CodeRequested).phone, "code requested for")
        val registered = events.filterIsInstance<Event.Registered>().single()
        t.eq(5uL, registered.tokens, "tokens at registration")
        t.eq(ALICE, registered.certificate.phone, "certificate phone")
        t.eq(alice.account().hex(), registered.certificate.account.hex(), "certificate account")
        t.eq(registered.certificate.bytes.hex(), alice.certificate()!!.bytes.hex(), "stored certificate")
        t.eq(listOf(ALICE), w.sms.map { it.first }, "SMS sent")
        // The code request and the registration leave when asked for; the window's discovery
        // tokens are asked for later, after a background delay, not with the registration.
        t.eq(listOf(T0), w.sentBy(alice, RequestType.REQUEST_CODE), "code request sent")
        t.eq(listOf(T0), w.sentBy(alice, RequestType.REGISTER), "registration sent")
        val issuedAt = w.sentBy(alice, RequestType.ISSUE_DISCOVERY_TOKENS).single()
        t.check(issuedAt > T0 && issuedAt <= T0 + s.backgroundDelayMax) { "issuance at +${issuedAt - T0}" }
        val window = w.now / DAY
        t.eq(s.discoveryTokens, alice.discoveryTokens(window), "discovery tokens held")
        w.register(bob, BOB)
        t.eq(5uL, bob.tokenCounts().available, "Bob's tokens")

        // Discovery: only Bob's number has an account. Each batch leaves at its own random time
        // in the rest of the window, none when it is asked for.
        val asked = w.now
        val windowEnd = (window + 1uL) * DAY
        alice.lookup(w.now, listOf(PhoneNumber.parse(BOB), PhoneNumber.parse("+15559999")))
        t.eq(0uL, alice.discoveryTokens(window), "a token paired with each batch")
        t.check(alice.pollTransmit(w.now) == null) { "no lookup leaves when it is asked for" }
        t.check(alice.pollTimeout()!! in (asked + 1uL) until windowEnd) { "next time ${alice.pollTimeout()}" }
        w.settle(alice)
        val lookups = w.sentBy(alice, RequestType.LOOKUP)
        t.eq(2, lookups.size, "lookups sent")
        t.check(lookups[0] != lookups[1]) { "the two lookups leave at different times" }
        for (at in lookups) {
            t.check(at != issuedAt) { "no lookup at the issuance's time" }
            t.check(at > asked && at < windowEnd) { "lookup at +${at - asked}" }
        }
        val completed = w.events(alice).filterIsInstance<Event.LookupCompleted>()
        t.eq(2, completed.size, "lookups completed")
        val found = completed.flatMap { it.found }
        t.eq(listOf(BOB), found.map { it.phone }, "lookup result")
        val bobCert = found[0]
        t.eq(bob.account().hex(), bobCert.account.hex(), "looked-up account")
        t.eq(bob.account().hex(), accountIdForIdentityKey(bobCert.identityKey).hex(), "account from identity key")

        // Cold call: it leaves at once, paying with one token, which stays attached to Bob.
        // Its host material is the offer of an Olm session, and it is sealed to Bob's host key.
        t.check(bobCert.hostKey != null) { "Bob's certificate carries his host key" }
        val offer = w.offer(alice)
        t.eq(64, offer.size, "offer length")
        val intro = alice.composeIntroduction(w.now, bobCert.bytes, "hi bob".toByteArray(), offer)
        alice.sendColdCall(w.now, bobCert.account, w.sealFirstContact(alice, bobCert, intro))
        val call = alice.pollTransmit(w.now)!!
        t.eq<Channel>(Channel.Anonymous, call.channel, "cold call channel")
        w.exchange(alice, call)
        t.eq(listOf(w.now), w.sentBy(alice, RequestType.COLD_CALL), "cold call sent at once")
        val sent = w.events(alice).filterIsInstance<Event.ColdCallSent>().single()
        t.eq(bob.account().hex(), sent.recipient.hex(), "cold call recipient")
        val counts = alice.tokenCounts()
        t.eq(Triple(4uL, 1uL, 5uL), Triple(counts.available, counts.attached, counts.total), "tokens after the cold call")

        t.check(decodeDelivery(w.queues.getValue(Key(bob.account()))[0]) is Delivery.ColdCall) { "a cold-call delivery" }
        val received = w.deliver(bob).single() as Event.IntroductionReceived
        t.eq(alice.account().hex(), received.contact.hex(), "introduced contact")
        t.eq(ALICE, received.phone, "introduced phone")
        t.eq("hi bob", String(received.message), "message")
        t.eq(offer.hex(), received.hostMaterial.hex(), "host material")
        t.check(received.coldCall) { "a cold call" }
        // Bob's host accepted the offer: an Olm session with Alice, which his replies go through.
        t.check(w.e2e(bob).hasSession(alice.account())) { "Bob has a session with Alice" }
        t.check(!w.e2e(alice).hasSession(bob.account())) { "Alice has none yet" }
        val contact = bob.contacts().single()
        t.check(contact.canReply && contact.unreleased && !contact.introduced) { "contact state $contact" }

        // Bob replies under Alice's group, no token. The client fetches Alice's group key
        // first, after a short random delay: nothing leaves until then, and the reply right
        // after it.
        val reply = bob.composeReply(w.now, alice.account(), "hi alice".toByteArray(), ByteArray(0))
        val replied = w.now
        val first = bob.sendReply(w.now, alice.account(), w.seal(bob, alice.account(), reply))
        t.check(bob.pollTransmit(w.now) == null) { "the group-key fetch waits for its delay" }
        val fetchAt = bob.pollTimeout()!!
        t.check(fetchAt > replied && fetchAt < replied + s.replyDelayMax) { "fetch at +${fetchAt - replied}" }
        w.step(bob, fetchAt - 1uL)
        t.eq(emptyList<ULong>(), w.sentBy(bob, RequestType.FETCH_GROUP_KEY), "not a second early")
        w.now = fetchAt
        bob.handleTimeout(w.now)
        val fetch = bob.pollTransmit(w.now)!!
        t.eq(first, fetch.id, "first transmit is the fetch")
        t.eq<Channel>(Channel.Anonymous, fetch.channel, "fetch channel")
        w.exchange(bob, fetch)
        val replyTransmit = bob.pollTransmit(w.now)!!
        t.check(replyTransmit.id != first) { "the reply itself follows the group-key fetch at once" }
        t.eq<Channel>(Channel.Anonymous, replyTransmit.channel, "reply channel")
        w.exchange(bob, replyTransmit)
        t.eq(listOf(fetchAt), w.sentBy(bob, RequestType.REPLY), "reply sent")
        t.eq(alice.account().hex(), w.events(bob).filterIsInstance<Event.ReplySent>().single().recipient.hex(), "reply sent")
        t.eq(5uL, bob.tokenCounts().available, "a reply costs no token")
        t.check(decodeDelivery(w.queues.getValue(Key(alice.account()))[0]) is Delivery.Reply) { "a reply delivery" }
        val back = w.deliver(alice).single() as Event.IntroductionReceived
        t.eq(bob.account().hex(), back.contact.hex(), "reply introduces Bob")
        t.eq("hi alice", String(back.message), "reply message")
        t.check(!back.coldCall) { "not a cold call" }
        t.check(w.e2e(alice).hasSession(bob.account())) { "Bob's first reply completed the session" }

        // Alice answers under Bob's group; Bob opens the signature to Alice.
        w.reply(alice, bob.account(), "how are you")
        val message = w.deliver(bob).single() as Event.MessageReceived
        t.eq(alice.account().hex(), message.contact.hex(), "message sender")
        t.eq("how are you", String(message.message), "message text")

        // Bob's reply scheduled the release of Alice's token: min + min(exponential, max - min)
        // seconds after it (src/client/delay.rs, max included), and the release then leaves
        // after a background delay (at most backgroundDelayMax).
        t.check(s.releaseDelayMean > 0uL) { "the exponential delay" }
        val releasedEvents = runUntilEvent<Event.TokenReleased>(w, bob)
        t.eq(alice.account().hex(), releasedEvents.filterIsInstance<Event.TokenReleased>().single().contact.hex(), "released")
        val released = w.sentBy(bob, RequestType.RELEASE).single()
        t.check(released >= replied + s.releaseDelayMin && released <= replied + s.releaseDelayMax + s.backgroundDelayMax) {
            "release at +${released - replied}"
        }
        t.check(!bob.contacts().single().unreleased) { "released contact" }

        // Alice's renewal check turns the released token into a fresh one: the anonymous
        // renewal never leaves in the same second as one of her authenticated requests.
        t.check(runUntilEvent<Event.TokenRenewed>(w, alice).contains(Event.TokenRenewed)) { "token renewed" }
        val after = alice.tokenCounts()
        t.eq(listOf(5uL, 0uL, 0uL, 5uL), listOf(after.available, after.attached, after.renewing, after.total), "tokens after renewal")
        val renewals = w.sentBy(alice, RequestType.RENEW_TOKEN)
        t.check(renewals.isNotEmpty()) { "a renewal sent" }
        t.eq(emptyList<Sent>(), w.sent.filter { it.channel is Channel.Authenticated && it.at in renewals }, "authenticated requests with a renewal")

        // The renewal of her accepted cold call earned a reputation stamp (SPEC.md 18.1); her
        // client redeems it on its own, over the authenticated channel, two to four reputation
        // periods later, for a sixth token.
        t.eq(1uL, alice.stamps(), "stamps after the renewal")
        val renewedAt = renewals.last()
        t.check(runUntilEvent<Event.StampsRedeemed>(w, alice).contains(Event.StampsRedeemed(1uL))) { "stamp redeemed" }
        val redeemed = w.sentBy(alice, RequestType.REDEEM_STAMPS).single()
        val periods = redeemed / s.reputationPeriod - renewedAt / s.reputationPeriod
        t.check(periods in 2uL..4uL) { "redeemed $periods periods after the renewal" }
        t.eq(listOf(0uL, 6uL), listOf(alice.stamps(), alice.tokenCounts().total), "stamps and tokens after the redemption")
        t.eq(1uL, w.server.allowance(w.now, alice.account()).earned, "tokens earned")

        // Bob blocks Alice: her member key of his group is revoked and the record published at
        // once (so the revoked key stops working). Bob's host first sends what is already due
        // (while the clock ran for Alice, Bob's own timers may have come due).
        w.pump(bob)
        val generation = bob.groupKey().generation()
        val upload = bob.block(w.now, alice.account())
        t.check(upload != null) { "a revocation upload" }
        val uploadTransmit = bob.pollTransmit(w.now)!!
        t.eq(upload, uploadTransmit.id, "the upload leaves at once")
        w.exchange(bob, uploadTransmit)
        t.eq(listOf(w.now), w.sentBy(bob, RequestType.UPLOAD_REVOCATION), "upload sent")
        t.eq(generation + 1u, bob.groupKey().generation(), "Bob's group generation")
        t.eq(alice.account().hex(), w.events(bob).filterIsInstance<Event.ContactBlocked>().single().contact.hex(), "blocked")
        t.throws<BlindpostException.Client>("reply to a blocked contact", ClientErrorKind.Blocked) {
            bob.composeReply(w.now, alice.account(), "x".toByteArray(), ByteArray(0))
        }

        // Alice's next reply fails at the group-key fetch: her key cannot follow the revocation.
        val replies = w.sentBy(alice, RequestType.REPLY).size
        val fetchId = w.reply(alice, bob.account(), "let me in")
        val failed = w.events(alice).filterIsInstance<Event.RequestFailed>().single()
        t.eq(fetchId, failed.id, "failed request")
        t.eq(RequestType.FETCH_GROUP_KEY, failed.request, "failed request type")
        val revoked = (failed.reason as FailureReason.Client).error
        t.check(revoked is BlindpostException.Group && revoked.kind == GroupErrorKind.Revoked) { "revoked: ${failed.reason}" }
        t.eq(replies, w.sentBy(alice, RequestType.REPLY).size, "the reply is dropped, not retried")
        t.check(w.queues[Key(bob.account())].isNullOrEmpty()) { "nothing reached Bob" }
        t.eq(0uL, alice.outstanding(), "outstanding")
        t.check(w.server.maintain(w.now + 400uL * DAY) >= 1uL) { "maintain purged state" }
    }

    t.test("work due while the phone slept leaves at separate times") {
        val w = World()
        val s = settings()
        val alice = w.newClient()
        val bob = w.newClient()
        val carol = w.newClient()
        w.register(alice, ALICE)
        w.register(bob, BOB)
        w.register(carol, CAROL)
        // Alice cold-calls Bob: her token is attached, to be checked for renewal 30 to 60
        // minutes later. Carol cold-calls Alice, who accepts: the release is due 10 to 60
        // minutes later.
        w.coldCall(alice, bob.certificate()!!, "hi bob")
        w.coldCall(carol, alice.certificate()!!, "hi alice")
        t.eq(1, w.deliver(alice).filterIsInstance<Event.IntroductionReceived>().size, "Carol's introduction")
        alice.accept(w.now, carol.account())
        t.eq(0uL, alice.outstanding(), "nothing to send before the sleep")

        // Her phone sleeps four hours; both fell due meanwhile. On waking nothing leaves at once.
        val woke = w.now + 4uL * 3600uL
        w.wake(alice, woke)
        t.eq(emptyList<ULong>(), w.sentBy(alice, RequestType.RELEASE) + w.sentBy(alice, RequestType.RENEW_TOKEN), "sent at the wake")
        t.check(alice.outstanding() >= 2uL) { "release and renewal queued" }
        t.check(alice.pollTimeout()!! > woke) { "the next time is after the wake" }

        // A careless host that asks for everything at once (a time past its clock) would send
        // the authenticated release and the anonymous renewal in the same second: the link the
        // schedule hides (SPEC.md 13.6).
        val careless = Client.fromBytesWithVectorRng(VectorRng("careless host".toByteArray()), alice.toBytes(), s)
        val burst = generateSequence { careless.pollTransmit(ULong.MAX_VALUE) }.map { it.channel }.toList()
        t.check(burst.any { it is Channel.Authenticated }) { "an authenticated request in the burst: $burst" }
        t.check(burst.contains(Channel.Anonymous)) { "an anonymous request in the burst: $burst" }

        // The scheduled host sends each at its own random time after the wake.
        w.settle(alice)
        val released = w.sentBy(alice, RequestType.RELEASE).single()
        val renewed = w.sentBy(alice, RequestType.RENEW_TOKEN).single()
        t.check(released != renewed) { "the release and the renewal leave apart" }
        for (at in listOf(released, renewed)) {
            t.check(at > woke && at <= woke + s.backgroundDelayMax) { "sent at +${at - woke}" }
        }
    }

    t.test("restored client resends and its cold call is queued again") {
        val w = World()
        val s = settings()
        val alice = w.newClient()
        val bob = w.newClient()
        w.register(alice, ALICE)
        w.register(bob, BOB)
        val cert = bob.certificate()!!
        val intro = alice.composeIntroduction(w.now, cert.bytes, "hello".toByteArray(), w.offer(alice))
        alice.sendColdCall(w.now, cert.account, w.sealFirstContact(alice, cert, intro))
        val saved = alice.toBytes()
        val tx = alice.pollTransmit(w.now)!!
        w.send(tx.channel, tx.bytes) // taken by the server; the app died before the response

        // The app starts again two hours later: the cold call waited past its time, so it
        // leaves at a fresh random time, not at the restart.
        val restored = Client.fromBytesWithVectorRng(VectorRng("kotlin restored".toByteArray()), saved, s)
        t.eq(alice.account().hex(), restored.account().hex(), "restored account")
        t.eq(1uL, restored.outstanding(), "outstanding after restore")
        val restarted = w.now + 2uL * 3600uL
        w.wake(restored, restarted)
        t.eq(emptyList<ULong>(), w.sentBy(restored, RequestType.COLD_CALL), "not resent at the restart")
        w.settle(restored)
        val resent = w.sentBy(restored, RequestType.COLD_CALL).single()
        t.check(resent > restarted && resent <= restarted + s.backgroundDelayMax) { "resent at +${resent - restarted}" }
        t.eq(1, w.events(restored).filterIsInstance<Event.ColdCallSent>().size, "cold call acknowledged")
        // The resend is answered as a duplicate and queues the cold call again under the same
        // handle, stamped with the resend's time (SPEC.md 12.8).
        t.eq(2, w.queues.getValue(Key(bob.account())).size, "queued again")
        t.eq(1uL, restored.tokenCounts().attached, "one token attached")
        // The same sealed bytes twice: Bob's client takes the first and ignores the second.
        val (once, again) = w.queues.getValue(Key(bob.account())).map { deliverySealedPayload(it).hex() }
        t.eq(once, again, "resent as sealed, not sealed again")
        t.eq(1, w.deliver(bob).filterIsInstance<Event.IntroductionReceived>().size, "introduced once")
    }

    t.test("tampered, misdirected and replayed sealed payloads are refused") {
        val w = World()
        val alice = w.newClient()
        val bob = w.newClient()
        val carol = w.newClient()
        w.register(alice, ALICE)
        w.register(bob, BOB)
        w.register(carol, "+15550003")
        w.coldCall(alice, bob.certificate()!!, "hi bob")
        val sealed = deliverySealedPayload(w.queues.getValue(Key(bob.account())).single())
        for (host in listOf(w.e2e(bob), w.e2e(carol))) {
            val before = host.toBytes().hex()
            // The suite byte, the encapsulated key, the ciphertext and its tag, each flipped.
            for ((i, kind) in listOf(0 to EndToEndErrorKind.UnknownSuite(0.toUByte()), 1 to EndToEndErrorKind.Refused, 60 to EndToEndErrorKind.Refused, sealed.size - 1 to EndToEndErrorKind.Refused)) {
                val tampered = sealed.copyOf()
                tampered[i] = (tampered[i].toInt() xor 1).toByte()
                t.throws<BlindpostException.EndToEnd>("byte $i flipped", kind) { host.open(tampered) }
            }
            t.eq(before, host.toBytes().hex(), "a refusal changes nothing")
        }
        t.throws<BlindpostException.EndToEnd>("misdirected", EndToEndErrorKind.Refused) { w.e2e(carol).open(sealed) }
        t.eq(1, w.deliver(bob).filterIsInstance<Event.IntroductionReceived>().size, "the cold call opens for Bob")

        // Bob's reply opens once; the same sealed bytes again are a replay.
        w.reply(bob, alice.account(), "hi alice")
        val reply = w.queues.getValue(Key(alice.account())).single()
        t.eq(1, w.deliver(alice).filterIsInstance<Event.IntroductionReceived>().size, "the reply opens for Alice")
        val before = w.e2e(alice).toBytes().hex()
        t.throws<BlindpostException.EndToEnd>("replayed", EndToEndErrorKind.Replayed) { w.e2e(alice).open(deliverySealedPayload(reply)) }
        t.eq(before, w.e2e(alice).toBytes().hex(), "a refused replay changes nothing")
        // A reply cannot be sealed to a contact whose offer was never accepted.
        t.throws<BlindpostException.EndToEnd>("no session", EndToEndErrorKind.NoSession) {
            w.e2e(carol).seal(alice.certificate()!!.hostKey!!, alice.account(), ByteArray(256))
        }
    }

    t.test("send failure hands the request out again") {
        val w = World()
        val alice = w.newClient()
        val id = alice.requestCode(w.now, PhoneNumber.parse(ALICE))
        t.eq(id, alice.pollTransmit(w.now)!!.id, "first hand-out")
        t.check(alice.pollTransmit(w.now) == null) { "handed out once" }
        alice.handleSendFailure(id)
        t.eq(id, alice.pollTransmit(w.now)!!.id, "handed out again")
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
                client.requestCode(w.now, number)
                var tx = client.pollTransmit(w.now)!!
                var handled = w.server.handle(w.now, tx.channel, tx.bytes)
                client.handleResponse(w.now, tx.id, handled.response)
                val code = handled.outputs.filterIsInstance<Output.SendCode>().single().code
                client.register(w.now, number, code, null)
                tx = client.pollTransmit(w.now)!!
                handled = w.server.handle(w.now, tx.channel, tx.bytes)
                client.handleResponse(w.now, tx.id, handled.response)
                client.tokenCounts().available
            }
        }
        t.eq(List(4) { 5uL }, jobs.map { it.get() }, "tokens per client")
        pool.shutdown()
        pool.awaitTermination(10, TimeUnit.SECONDS)
    }

    t.test("a bulk sender claims the tier its proof earns") {
        // The operator's check is the host's: here a policy that grants 3 tokens a period to one
        // domain and refuses every other (the X.509 validation of the Rust server host is tested
        // in hosts/bulk-x509).
        val w = World()
        w.server.setBulkCheck(object : BulkSenderCheck {
            override fun check(now: ULong, identityKey: ByteArray, proof: BulkProof): BulkDecision =
                if (proof.domain == "mail.example.com" && identityKey.size == 48) {
                    BulkDecision.Granted(3u, now + 86_400uL)
                } else {
                    BulkDecision.Refused(BulkRefusal.NO_TIER)
                }
        })
        val sender = w.newClient()
        w.register(sender, ALICE)
        w.events(sender)
        val key = sender.certificate()!!.identityKey
        val message = bulkProofSignedMessage("mail.example.com", key)
        t.check(message.copyOfRange(message.size - key.size, message.size).contentEquals(key)) { "the signed message ends with the identity key" }
        fun proof(domain: String) = bulkProofEncode(BulkProof(listOf(byteArrayOf(0x30, 0x00)), domain, 0x0403u, "signature".toByteArray()))

        sender.claimBulkTokens(w.now, proof("mail.example.com"), 5uL)
        w.settle(sender)
        t.eq(listOf<Event>(Event.BulkTokensGranted(3uL)), w.events(sender), "tokens granted")
        t.eq(8uL, sender.tokenCounts().available, "tokens after the claim")
        t.eq(3uL, w.server.allowance(w.now, sender.account()).bulkThisPeriod, "bulk tokens this period")
        sender.claimBulkTokens(w.now, proof("other.example.com"), 1uL)
        w.settle(sender)
        val failed = w.events(sender).filterIsInstance<Event.RequestFailed>().single()
        t.eq<FailureReason>(FailureReason.Server(ErrorCode.BulkNoTier), failed.reason, "a domain without a tier")
        t.throws<BlindpostException.Malformed>("a non-canonical domain") {
            bulkProofEncode(BulkProof(listOf(byteArrayOf(0x30, 0x00)), "Not.Canonical", 0x0403u, "s".toByteArray()))
        }
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
