// A host written in Kotlin around the exported state machines: one Server, its queues and SMS
// outbox, and for each Client the loop a messenger app runs, with a simulated clock and a
// stand-in for end-to-end sealing.
//
// The client's host follows the timing contract (SPEC.md 13.6): whenever the clock reaches
// pollTimeout() it calls handleTimeout(now) and then sends what pollTransmit(now) hands out,
// each request on its channel, feeding the response back; it never asks for requests ahead of
// its clock. The higher steps (register, lookup, reply) move the clock on until their requests
// have left, as World::settle does in src/simulation/mod.rs. Every client draws from its own
// seeded VectorRng, so every schedule is the same on every run.
package blindpost.tests

import uniffi.blindpost.*
import java.security.SecureRandom

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
    private val sealKeys = HashMap<Key, ByteArray>()
    private var clients = 0

    /** A client drawing from its own seeded VectorRng (the n-th client of this world). */
    fun newClient(clientSettings: ClientSettings = settings()): Client {
        clients += 1
        val rng = VectorRng("kotlin client $clients".toByteArray())
        val client = Client.newWithVectorRng(rng, server.publicKeys(), clientSettings)
        sealKeys[Key(client.account())] = ByteArray(32).also { SecureRandom().nextBytes(it) }
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
        client.register(now, number, code, null)
        settle(client)
        return events(client)
    }

    /** Composes, seals and sends a cold call to [certificate]'s account (it leaves at once). */
    fun coldCall(client: Client, certificate: Certificate, message: String) {
        val intro = client.composeIntroduction(now, certificate.bytes, message.toByteArray(), ByteArray(0))
        client.sendColdCall(now, certificate.account, seal(certificate.account, intro))
        pump(client)
    }

    /** Composes, seals and sends a reply to [to], running the host until it has left. Returns the id of its first request (the group-key fetch). */
    fun reply(client: Client, to: ByteArray, message: String): ULong {
        val payload = client.composeReply(now, to, message.toByteArray(), ByteArray(0))
        val id = client.sendReply(now, to, seal(to, payload))
        settle(client)
        return id
    }

    /** Stand-in for the hosts' end-to-end encryption: a key check, then XOR with the key. */
    fun seal(to: ByteArray, plaintext: ByteArray): ByteArray {
        val key = sealKeys.getValue(Key(to))
        return key.copyOf(8) + ByteArray(plaintext.size) { i -> (plaintext[i].toInt() xor key[i % 32].toInt()).toByte() }
    }

    fun open(me: ByteArray, sealed: ByteArray): ByteArray {
        val key = sealKeys.getValue(Key(me))
        require(sealed.copyOf(8).contentEquals(key.copyOf(8))) { "sealed to another account" }
        return ByteArray(sealed.size - 8) { i -> (sealed[i + 8].toInt() xor key[i % 32].toInt()).toByte() }
    }

    /** Hands every queued delivery to its client, opening the payload as its host would. */
    fun deliver(client: Client): List<Event> {
        val me = client.account()
        for (delivery in queues.remove(Key(me)) ?: mutableListOf()) {
            client.handleDelivery(now, delivery, open(me, deliverySealedPayload(delivery)))
        }
        return events(client)
    }
}
