// A host written in Swift around the exported state machines: one Server, its queues and SMS
// outbox, and for each Client the loop a messenger app runs (send each transmit on its channel
// to the server, feed the response back, hand queued deliveries over after opening them), with
// a simulated clock and a stand-in for end-to-end sealing. Also a small JSON reader for the
// phase-2 vector files.

import Foundation

let T0: UInt64 = 1_800_000_000
let ISSUER = Data("blindpost.test".utf8)

/// Releases 10 to 60 minutes after acceptance (uniform: no mean), renewal checks every 30 to 60 minutes.
func hostSettings() -> ClientSettings {
    ClientSettings(releaseDelayMin: 600, releaseDelayMax: 3600, renewalInterval: 1800)
}

func randomBytes(_ n: Int) -> Data {
    var g = SystemRandomNumberGenerator()
    return Data((0..<n).map { _ in UInt8.random(in: 0...255, using: &g) })
}

final class World {
    var now = T0
    let server: Server
    var queues = [Data: [Data]]()
    var sms = [(phone: String, code: String)]()
    private var sealKeys = [Data: Data]()

    init(server: Server? = nil) throws {
        self.server = try server ?? Server(config: ServerConfig(), issuerName: ISSUER, now: T0)
    }

    func newClient() throws -> Client {
        let client = try Client(serverKeys: server.publicKeys(), settings: hostSettings())
        sealKeys[client.account()] = randomBytes(32)
        return client
    }

    /// What the server's host does with one request.
    func send(_ channel: Channel, _ request: Data) throws -> Data {
        let handled = try server.handle(now: now, channel: channel, request: request)
        for output in handled.outputs {
            switch output {
            case let .sendCode(phone, code): sms.append((phone, code))
            case let .deliver(recipient, delivery): queues[recipient, default: []].append(delivery)
            }
        }
        return handled.response
    }

    /// Sends every outstanding request until the client has none left.
    func pump(_ client: Client) throws {
        while let t = client.pollTransmit() {
            try client.handleResponse(now: now, id: t.id, response: send(t.channel, t.bytes))
        }
    }

    func events(_ client: Client) -> [Event] {
        var out = [Event]()
        while let e = client.pollEvent() { out.append(e) }
        return out
    }

    @discardableResult
    func register(_ client: Client, _ phone: String) throws -> [Event] {
        let number = try PhoneNumber.parse(text: phone)
        _ = client.requestCode(phone: number)
        try pump(client)
        guard let code = sms.last(where: { $0.phone == phone })?.code else {
            throw CheckFailed(description: "no SMS to \(phone)")
        }
        _ = try client.register(now: now, phone: number, code: code, hostKey: nil)
        try pump(client)
        return events(client)
    }

    /// Stand-in for the hosts' end-to-end encryption: a key check, then XOR with the key.
    func seal(_ to: Data, _ plaintext: Data) -> Data {
        let key = [UInt8](sealKeys[to]!)
        return Data(key[0..<8]) + Data(plaintext.enumerated().map { $0.element ^ key[$0.offset % 32] })
    }

    func open(_ me: Data, _ sealed: Data) throws -> Data {
        let key = [UInt8](sealKeys[me]!)
        let bytes = [UInt8](sealed)
        guard bytes.count >= 8, Array(bytes[0..<8]) == Array(key[0..<8]) else {
            throw CheckFailed(description: "sealed to another account")
        }
        return Data(bytes[8...].enumerated().map { $0.element ^ key[$0.offset % 32] })
    }

    /// Hands every queued delivery to its client, opening the payload as its host would.
    func deliver(_ client: Client) throws -> [Event] {
        let me = client.account()
        for delivery in queues.removeValue(forKey: me) ?? [] {
            try client.handleDelivery(now: now, delivery: delivery, opened: open(me, deliverySealedPayload(bytes: delivery)))
        }
        return events(client)
    }

    /// Moves the clock to `time` and runs the client's timers and requests.
    func advance(_ client: Client, to time: UInt64) throws {
        now = max(now, time)
        try client.handleTimeout(now: now)
        try pump(client)
    }
}

/// A parsed JSON value of the vector files (JSONSerialization underneath).
struct J {
    let value: Any

    static func file(_ name: String) throws -> J {
        let dir = ProcessInfo.processInfo.environment["BLINDPOST_VECTORS"] ?? "test-vectors"
        let data = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent(name))
        return J(value: try JSONSerialization.jsonObject(with: data))
    }

    subscript(_ key: String) -> J { J(value: (value as? [String: Any])?[key] ?? NSNull()) }
    subscript(_ index: Int) -> J { J(value: (value as! [Any])[index]) }
    func has(_ key: String) -> Bool { (value as? [String: Any])?[key] != nil }
    var list: [J] { (value as! [Any]).map { J(value: $0) } }
    var str: String { value as! String }
    var int: Int { (value as! NSNumber).intValue }
    var u64: UInt64 { (value as! NSNumber).uint64Value }
    var hex: Data { try! Data(hex: str) }
    /// An object whose values are all strings (an expected error of bbs04.json) as a dictionary.
    var strings: [String: String] { (value as! [String: Any]).mapValues { $0 as! String } }
}
