// A host written in Kotlin around the exported state machines: one Server, its queues and SMS
// outbox, and for each Client the loop a messenger app runs (send each transmit on its channel
// to the server, feed the response back, hand queued deliveries over after opening them), with
// a simulated clock and a stand-in for end-to-end sealing.
package blindpost.tests

import uniffi.blindpost.*
import java.security.SecureRandom

const val T0 = 1_800_000_000uL
val ISSUER = "blindpost.test".toByteArray()

/** ByteArray as a map key (arrays compare by identity). */
data class Key(val bytes: List<Byte>) {
    constructor(array: ByteArray) : this(array.toList())
}

/** Releases 10 to 60 minutes after acceptance (uniform: no mean), renewal checks every 30 to 60 minutes. */
fun settings() = ClientSettings(releaseDelayMin = 600uL, releaseDelayMax = 3600uL, renewalInterval = 1800uL)

class World(server: Server? = null) {
    var now = T0
    val server: Server = server ?: Server(ServerConfig(), ISSUER, now)
    val queues = HashMap<Key, MutableList<ByteArray>>()
    val sms = mutableListOf<Pair<String, String>>()
    private val sealKeys = HashMap<Key, ByteArray>()

    fun newClient(): Client {
        val client = Client(server.publicKeys(), settings())
        sealKeys[Key(client.account())] = ByteArray(32).also { SecureRandom().nextBytes(it) }
        return client
    }

    /** What the server's host does with one request. */
    fun send(channel: Channel, request: ByteArray): ByteArray {
        val handled = server.handle(now, channel, request)
        for (output in handled.outputs) {
            when (output) {
                is Output.SendCode -> sms.add(output.phone to output.code)
                is Output.Deliver -> queues.getOrPut(Key(output.recipient)) { mutableListOf() }.add(output.delivery)
            }
        }
        return handled.response
    }

    /** Sends every outstanding request until the client has none left. */
    fun pump(client: Client) {
        while (true) {
            val t = client.pollTransmit() ?: return
            client.handleResponse(now, t.id, send(t.channel, t.bytes))
        }
    }

    fun events(client: Client): List<Event> = generateSequence { client.pollEvent() }.toList()

    fun register(client: Client, phone: String): List<Event> {
        val number = PhoneNumber.parse(phone)
        client.requestCode(number)
        pump(client)
        val code = sms.last { it.first == phone }.second
        client.register(now, number, code, null)
        pump(client)
        return events(client)
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

    /** Moves the clock to [time] and runs the client's timers and requests. */
    fun advanceTo(client: Client, time: ULong) {
        if (time > now) now = time
        client.handleTimeout(now)
        pump(client)
    }
}
