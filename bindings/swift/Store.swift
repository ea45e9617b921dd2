// A server store written in Swift behind the exported ServerStore protocol: the core's
// conformance suite (with its multi-threaded atomicity checks) run on it, a conversation over a
// server that keeps its state there, and a failing store.

import Foundation
import blindpost

/// A dictionary under one lock: each method is atomic.
class DictStore: ServerStore, @unchecked Sendable {
    let lock = NSLock()
    var map = [Data: (value: Data, expiresAt: UInt64?)]()

    func live(_ key: Data, _ now: UInt64) -> (value: Data, expiresAt: UInt64?)? {
        guard let e = map[key] else { return nil }
        if let exp = e.expiresAt, now >= exp { return nil }
        return e
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func get(key: Data, now: UInt64) throws -> Data? { locked { live(key, now)?.value } }

    func put(key: Data, value: Data, expiresAt: UInt64?, now: UInt64) throws {
        locked { map[key] = (value, expiresAt) }
    }

    func insertIfAbsent(key: Data, value: Data, expiresAt: UInt64?, now: UInt64) throws -> Bool {
        locked {
            if live(key, now) != nil { return false }
            map[key] = (value, expiresAt)
            return true
        }
    }

    func replaceIfMatches(key: Data, expected: Data, new: Data, expiresAt: UInt64?, now: UInt64) throws -> Bool {
        locked {
            guard let e = live(key, now), e.value == expected else { return false }
            map[key] = (new, expiresAt)
            return true
        }
    }

    func deleteIfMatches(key: Data, expected: Data, now: UInt64) throws -> Bool {
        locked {
            guard let e = live(key, now), e.value == expected else { return false }
            map[key] = nil
            return true
        }
    }

    func addWithinLimit(key: Data, amount: UInt64, limit: UInt64, expiresAt: UInt64?, now: UInt64) throws -> UInt64? {
        locked {
            let e = live(key, now)
            let current = e.map { $0.value.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } } ?? 0
            let (total, overflow) = current.addingReportingOverflow(amount)
            if overflow || total > limit { return nil }
            map[key] = (Data((0..<8).map { UInt8(truncatingIfNeeded: total >> (56 - 8 * $0)) }), e?.expiresAt ?? expiresAt)
            return total
        }
    }

    func purgeExpired(now: UInt64) throws -> UInt64 {
        locked {
            let dead = map.filter { $0.value.expiresAt.map { now >= $0 } ?? false }.keys
            for k in dead { map[k] = nil }
            return UInt64(dead.count)
        }
    }

    func entryCount() throws -> UInt64 { locked { UInt64(map.count) } }
}

/// Breaks atomic spending: insertIfAbsent always writes.
final class ForgetfulStore: DictStore, @unchecked Sendable {
    override func insertIfAbsent(key: Data, value: Data, expiresAt: UInt64?, now: UInt64) throws -> Bool {
        locked { map[key] = (value, expiresAt) }
        return true
    }
}

private struct NotAStoreError: Error {}

/// A database that went away: typed errors, or an error the bindings do not know.
final class FailingStore: DictStore, @unchecked Sendable {
    let typed: Bool
    var down = false

    init(typed: Bool) { self.typed = typed }

    override func get(key: Data, now: UInt64) throws -> Data? {
        if locked({ down }) {
            if typed { throw StoreError.Backend(detail: "connection refused") }
            throw NotAStoreError()
        }
        return try super.get(key: key, now: now)
    }
}

final class Factory: ServerStoreFactory, @unchecked Sendable {
    let body: () -> ServerStore
    init(_ body: @escaping () -> ServerStore) { self.body = body }
    func make() -> ServerStore { body() }
}

func storeTests() throws -> Bool {
    let t = Tests("swift foreign store")

    t.test("conformance suite passes") {
        try storeConformance(factory: Factory { DictStore() })
    }

    t.test("conformance suite finds a broken store") {
        let e = try t.throwsError("forgetful store", { if case .Store(.conformance, _) = $0 { return true }; return false }) {
            try storeConformance(factory: Factory { ForgetfulStore() })
        }
        guard case let .Store(.conformance(check, _), _) = e else { throw CheckFailed(description: "\(e)") }
        try t.check(check.contains("insert"), "failed check: \(check)")
    }

    t.test("conversation over a Swift store") {
        let store = DictStore()
        let w = try World(server: Server.withStore(config: ServerConfig(), issuerName: ISSUER, now: T0, store: store))
        let alice = try w.newClient()
        let bob = try w.newClient()
        try w.register(alice, "+15550001")
        try w.register(bob, "+15550002")
        try t.check(try w.server.storeEntryCount() > 0, "the server wrote to the store")
        try t.eq(try store.entryCount(), try w.server.storeEntryCount(), "entry count")
        let cert = bob.certificate()!
        try w.coldCall(alice, cert, "over a swift store")
        let events = try w.deliver(bob)
        guard events.count == 1, case let .introductionReceived(_, _, message, _, _) = events[0] else { throw CheckFailed(description: "\(events)") }
        try t.eq(Data("over a swift store".utf8), message, "delivered message")
        try t.eq(1, alice.tokenCounts().attached, "token attached")
    }

    t.test("failing store gives internal refusals") {
        for typed in [true, false] {
            let store = FailingStore(typed: typed)
            let w = try World(server: Server.withStore(config: ServerConfig(), issuerName: ISSUER, now: T0, store: store))
            let alice = try w.newClient()
            try w.register(alice, "+15550001")
            store.locked { store.down = true }
            try alice.lookup(now: w.now, phones: [PhoneNumber.parse(text: "+15550002")])
            // The host loop until the lookup leaves (at its own time in the window).
            var tx: Transmit
            var handled: Handled
            while true {
                w.now = max(w.now, alice.pollTimeout()!)
                try alice.handleTimeout(now: w.now)
                guard let next = alice.pollTransmit(now: w.now) else { continue }
                tx = next
                handled = try w.server.handle(now: w.now, channel: tx.channel, request: tx.bytes)
                if handled.request == .lookup { break }
                try alice.handleResponse(now: w.now, id: tx.id, response: handled.response)
            }
            try t.eq(ErrorCode.`internal`, handled.refusal?.code, "refusal (typed=\(typed))")
            try alice.handleResponse(now: w.now, id: tx.id, response: handled.response)
            try t.eq([Event.requestFailed(id: tx.id, request: .lookup, reason: .server(code: .`internal`))], w.events(alice), "failure event")
        }
    }

    return t.summary()
}
