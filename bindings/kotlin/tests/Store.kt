// A server store written in Kotlin behind the exported ServerStore interface (what a JVM server
// team would put over its database): the core's conformance suite (with its multi-threaded
// atomicity checks) run on it, a conversation over a server that keeps its state there, and a
// failing store.
package blindpost.tests

import blindpost.testsupport.*
import uniffi.blindpost.*
import java.nio.ByteBuffer

/** A map under one lock: each method is atomic. */
open class MapStore : ServerStore {
    protected class Entry(val value: ByteArray, val expiresAt: ULong?)

    protected val map = HashMap<Key, Entry>()

    protected fun live(key: ByteArray, now: ULong): Entry? =
        map[Key(key)]?.takeIf { it.expiresAt == null || now < it.expiresAt }

    @Synchronized override fun get(key: ByteArray, now: ULong): ByteArray? = live(key, now)?.value

    @Synchronized override fun put(key: ByteArray, value: ByteArray, expiresAt: ULong?, now: ULong) {
        map[Key(key)] = Entry(value, expiresAt)
    }

    @Synchronized override fun insertIfAbsent(key: ByteArray, value: ByteArray, expiresAt: ULong?, now: ULong): Boolean {
        if (live(key, now) != null) return false
        map[Key(key)] = Entry(value, expiresAt)
        return true
    }

    @Synchronized override fun replaceIfMatches(key: ByteArray, expected: ByteArray, new: ByteArray, expiresAt: ULong?, now: ULong): Boolean {
        val entry = live(key, now) ?: return false
        if (!entry.value.contentEquals(expected)) return false
        map[Key(key)] = Entry(new, expiresAt)
        return true
    }

    @Synchronized override fun deleteIfMatches(key: ByteArray, expected: ByteArray, now: ULong): Boolean {
        val entry = live(key, now) ?: return false
        if (!entry.value.contentEquals(expected)) return false
        map.remove(Key(key))
        return true
    }

    @Synchronized override fun addWithinLimit(key: ByteArray, amount: ULong, limit: ULong, expiresAt: ULong?, now: ULong): ULong? {
        val entry = live(key, now)
        val current = entry?.let { ByteBuffer.wrap(it.value).long.toULong() } ?: 0uL
        val total = current + amount
        if (total < current || total > limit) return null
        map[Key(key)] = Entry(ByteBuffer.allocate(8).putLong(total.toLong()).array(), entry?.expiresAt ?: expiresAt)
        return total
    }

    @Synchronized override fun purgeExpired(now: ULong): ULong {
        val dead = map.filterValues { it.expiresAt != null && now >= it.expiresAt }.keys
        dead.forEach { map.remove(it) }
        return dead.size.toULong()
    }

    @Synchronized override fun entryCount(): ULong = map.size.toULong()
}

/** Breaks atomic spending: insertIfAbsent always writes. */
class ForgetfulStore : MapStore() {
    @Synchronized override fun insertIfAbsent(key: ByteArray, value: ByteArray, expiresAt: ULong?, now: ULong): Boolean {
        map[Key(key)] = Entry(value, expiresAt)
        return true
    }
}

/** A database that went away: typed errors, or an exception the bindings do not know. */
class FailingStore(private val typed: Boolean) : MapStore() {
    @Volatile var down = false

    override fun get(key: ByteArray, now: ULong): ByteArray? {
        if (down) {
            if (typed) throw StoreException.Backend("connection refused")
            throw IllegalStateException("not a StoreException")
        }
        return super.get(key, now)
    }
}

fun storeTests(): Boolean {
    val t = Tests("kotlin foreign store")

    t.test("conformance suite passes") {
        storeConformance(object : ServerStoreFactory { override fun make(): ServerStore = MapStore() })
    }

    t.test("conformance suite finds a broken store") {
        val e = t.throws<BlindpostException.Store>("forgetful store", StoreErrorKind.Conformance::class) {
            storeConformance(object : ServerStoreFactory { override fun make(): ServerStore = ForgetfulStore() })
        }
        val check = (e.kind as StoreErrorKind.Conformance).check
        t.check("insert" in check) { "failed check: $check" }
    }

    t.test("conversation over a Kotlin store") {
        val store = MapStore()
        val w = World(Server.withStore(ServerConfig(), ISSUER, T0, store))
        val alice = w.newClient()
        val bob = w.newClient()
        w.register(alice, "+15550001")
        w.register(bob, "+15550002")
        t.check(w.server.storeEntryCount() > 0uL) { "the server wrote to the store" }
        t.eq(store.entryCount(), w.server.storeEntryCount(), "entry count")
        val cert = bob.certificate()!!
        w.coldCall(alice, cert, "over a kotlin store")
        val event = w.deliver(bob).single() as Event.IntroductionReceived
        t.eq("over a kotlin store", String(event.message), "delivered message")
        t.eq(1uL, alice.tokenCounts().attached, "token attached")
    }

    t.test("failing store gives internal refusals") {
        for (typed in listOf(true, false)) {
            val store = FailingStore(typed)
            val w = World(Server.withStore(ServerConfig(), ISSUER, T0, store))
            val alice = w.newClient()
            w.register(alice, "+15550001")
            store.down = true
            alice.lookup(w.now, listOf(PhoneNumber.parse("+15550002")))
            // The host loop until the lookup leaves (at its own time in the window).
            var tx: Transmit
            var handled: Handled
            while (true) {
                w.now = maxOf(w.now, alice.pollTimeout()!!)
                alice.handleTimeout(w.now)
                tx = alice.pollTransmit(w.now) ?: continue
                handled = w.server.handle(w.now, tx.channel, tx.bytes)
                if (handled.request == RequestType.LOOKUP) break
                alice.handleResponse(w.now, tx.id, handled.response)
            }
            t.eq<ErrorCode?>(ErrorCode.Internal, handled.refusal?.code, "refusal (typed=$typed)")
            alice.handleResponse(w.now, tx.id, handled.response)
            val failed = w.events(alice).single() as Event.RequestFailed
            t.eq<FailureReason>(FailureReason.Server(ErrorCode.Internal), failed.reason, "failure reason")
        }
    }

    return t.done()
}
