// A host written in Kotlin around the exported state machines: one Server, its queues and SMS
// outbox, and for each Client the loop a messenger app runs, with a simulated clock and real
// end-to-end sealing (SPEC.md 17.7, the exported EndToEnd): each client's host registers its HPKE
// host key, offers an Olm session in every cold call, accepts the offers of the cold calls it
// receives, and seals every reply in the Olm session.
//
// The client's host follows the timing contract (SPEC.md 13.6): whenever the clock reaches
// pollTimeout() it calls handleTimeout(now) and then sends what pollTransmit(now) hands out,
// each request on its channel, feeding the response back; it never asks for requests ahead of
// its clock. The higher steps (register, lookup, reply) move the clock on until their requests
// have left, as World::settle does in src/simulation/mod.rs. Every client draws from its own
// seeded VectorRng, so every schedule is the same on every run (the sealed bytes are not: Olm
// draws from the operating system).
package blindpost.tests

import uniffi.blindpost.*

const val T0 = 1_800_000_000uL
const val DAY = 86_400uL
val ISSUER = "blindpost.test".toByteArray()

/** The most clock moves [World.settle] and runUntilEvent make before they give up. */
const val HOST_STEPS = 10_000

/** ByteArray as a map key (arrays compare by identity). */
data class Key(val bytes: List<Byte>) {
    constructor(array: ByteArray) : this(array.toList())
}

/**
 * The client settings of the Rust simulation (src/simulation/mod.rs): releases 10 minutes plus an
 * exponential delay of mean 20 minutes after acceptance (at most 60 minutes), renewal checks
 * every 30 to 60 minutes, background work after an exponential delay of mean 10 minutes (at
 * most 60 minutes), 2 discovery tokens per window.
 */
fun settings(discoveryBatch: ULong = 100uL) = ClientSettings(
    releaseDelayMin = 600uL,
    releaseDelayMax = 3600uL,
    releaseDelayMean = 1200uL,
    renewalInterval = 1800uL,
    backgroundDelayMean = 600uL,
    backgroundDelayMax = 3600uL,
    discoveryTokens = 2uL,
    discoveryBatch = discoveryBatch,
)

/** One request as the server saw it arrive. */
data class Sent(val at: ULong, val request: RequestType, val channel: Channel, val sender: Key)

class World(server: Server? = null) {
    var now = T0
    val server: Server = server ?: Server(ServerConfig(), ISSUER, now)
    val queues = HashMap<Key, MutableList<ByteArray>>()
    val sms = mutableListOf<Pair<String, String>>()
    /** What reached the server from the clients' hosts, in order. */
    val sent = mutableListOf<Sent>()
    /** Each account's host's end-to-end state. */
    private val hosts = HashMap<Key, EndToEnd>()
    private var clients = 0

    /** A client drawing from its own seeded VectorRng (the n-th client of this world). */
    fun newClient(clientSettings: ClientSettings = settings()): Client {
        clients += 1
        val rng = VectorRng("kotlin client $clients".toByteArray())
        val client = Client.newWithVectorRng(rng, server.publicKeys(), clientSettings)
        hosts[Key(client.account())] = EndToEnd.generate(client.account())
        return client
    }

    /** The server's host handling one request: codes and deliveries queued. */
    fun serve(channel: Channel, request: ByteArray): Handled {
        val handled = server.handle(now, channel, request)
        for (output in handled.outputs) {
            when (output) {
                is Output.SendCode -> sms.add(output.phone to output.code)
                is Output.Deliver -> queues.getOrPut(Key(output.recipient)) { mutableListOf() }.add(output.delivery)
            }
        }
        return handled
    }

    /** The response to one request. */
    fun send(channel: Channel, request: ByteArray): ByteArray = serve(channel, request).response

    /** Sends one transmit, logs it, and feeds the response back. */
    fun exchange(client: Client, t: Transmit) {
        val handled = serve(t.channel, t.bytes)
        sent.add(Sent(now, handled.request, t.channel, Key(client.account())))
        client.handleResponse(now, t.id, handled.response)
    }

    /** Sends the requests whose time has come (and what their responses queue for now). */
    fun pump(client: Client) {
        while (true) exchange(client, client.pollTransmit(now) ?: return)
    }

    /** The host loop at clock [time] (never earlier than the clock): runs the client's timers if their time has come, then sends what is due. */
    fun step(client: Client, time: ULong) {
        if (time > now) now = time
        val timeout = client.pollTimeout()
        if (timeout != null && timeout <= now) client.handleTimeout(now)
        pump(client)
    }

    /** Runs the client's host until it has no request left to send, moving the clock to each time the client names. */
    fun settle(client: Client) {
        pump(client)
        repeat(HOST_STEPS) {
            if (client.outstanding() == 0uL) return
            step(client, client.pollTimeout()!!)
        }
        throw AssertionError("the client still has requests after $HOST_STEPS clock moves")
    }

    /** The phone slept (its host ran nothing) until [time]; now the app runs again. */
    fun wake(client: Client, time: ULong) {
        if (time > now) now = time
        client.handleTimeout(now)
        pump(client)
    }

    /** The times at which [client]'s requests (of type [request], if given) reached the server. */
    fun sentBy(client: Client, request: RequestType? = null): List<ULong> {
        val me = Key(client.account())
        return sent.filter { it.sender == me && (request == null || it.request == request) }.map { it.at }
    }

    fun events(client: Client): List<Event> = generateSequence { client.pollEvent() }.toList()

    /** Registers [phone], and runs the host until the discovery tokens it then asks for have arrived. Returns the events. */
    fun register(client: Client, phone: String): List<Event> {
        val number = PhoneNumber.parse(phone)
        client.requestCode(now, number)
        pump(client)
        val code = sms.last { it.first == phone }.second
        client.register(now, number, code, e2e(client).hostKey())
        settle(client)
        return events(client)
    }

    /** The host's end-to-end state of [client]. */
    fun e2e(client: Client): EndToEnd = hosts.getValue(Key(client.account()))

    /** A fresh Olm offer of [client]'s host: the host material of a cold call. */
    fun offer(client: Client): ByteArray = e2e(client).offer()

    /** Seals a cold call's introduction to the host key in the recipient's certificate. */
    fun sealFirstContact(client: Client, certificate: Certificate, introduction: ByteArray): ByteArray =
        e2e(client).sealFirstContact(certificate.hostKey!!, certificate.account, introduction)

    /** Seals a reply of [client] to its contact [to]: encrypted in their Olm session, then sealed to the host key in the contact's certificate. */
    fun seal(client: Client, to: ByteArray, payload: ByteArray): ByteArray {
        val certificate = client.contacts().single { it.account.contentEquals(to) }.certificate
        return e2e(client).seal(certificate.hostKey!!, to, payload)
    }

    /** Composes (with an offer), seals and sends a cold call to [certificate]'s account (it leaves at once). */
    fun coldCall(client: Client, certificate: Certificate, message: String) {
        val intro = client.composeIntroduction(now, certificate.bytes, message.toByteArray(), offer(client))
        client.sendColdCall(now, certificate.account, sealFirstContact(client, certificate, intro))
        pump(client)
    }

    /** Composes, seals and sends a reply to [to], running the host until it has left. Returns the id of its first request (the group-key fetch). */
    fun reply(client: Client, to: ByteArray, message: String): ULong {
        val payload = client.composeReply(now, to, message.toByteArray(), ByteArray(0))
        val id = client.sendReply(now, to, seal(client, to, payload))
        settle(client)
        return id
    }

    /** Opens a payload sealed for account [me]'s host. */
    fun open(me: ByteArray, sealed: ByteArray): OpenedPayload = hosts.getValue(Key(me)).open(sealed)

    /**
     * Hands every queued delivery to its client as its host would: opens the payload, hands it
     * over, checks that the client's contact is the sender the sealing names, and accepts the
     * offer of a cold call. A replayed delivery (a resend the server queued again, SPEC.md 12.8)
     * is dropped. Returns the client's events.
     */
    fun deliver(client: Client): List<Event> {
        val me = client.account()
        val events = events(client).toMutableList()
        for (delivery in queues.remove(Key(me)) ?: mutableListOf()) {
            val opened = try {
                open(me, deliverySealedPayload(delivery))
            } catch (e: BlindpostException.EndToEnd) {
                if (e.kind == EndToEndErrorKind.Replayed) continue
                throw e
            }
            client.handleDelivery(now, delivery, opened.payload)
            for (event in events(client)) {
                val contact = when (event) {
                    is Event.IntroductionReceived -> event.contact
                    is Event.MessageReceived -> event.contact
                    else -> null
                }
                check(contact == null || contact.contentEquals(opened.sender)) { "sealed by one account, signed by another" }
                if (event is Event.IntroductionReceived && event.coldCall) {
                    check(opened.firstContact)
                    e2e(client).acceptOffer(event.contact, event.hostMaterial)
                }
                events.add(event)
            }
        }
        return events
    }
}
