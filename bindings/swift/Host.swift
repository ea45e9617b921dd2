// A host written in Swift around the exported state machines: one Server, its queues and SMS
// outbox, and for each Client the loop a messenger app runs, with a simulated clock and real
// end-to-end sealing (SPEC.md 17.7, the exported EndToEnd): each client's host registers its HPKE
// host key, offers an Olm session in every cold call, accepts the offers of the cold calls it
// receives, and seals every reply in the Olm session. Also a small JSON reader for the phase-2
// vector files.
//
// The client's host follows the timing contract (SPEC.md 13.6): whenever the clock reaches
// pollTimeout() it calls handleTimeout(now) and then sends what pollTransmit(now) hands out,
// each request on its channel, feeding the response back; it never asks for requests ahead of
// its clock. The higher steps (register, lookup, reply) move the clock on until their requests
// have left, as World::settle does in src/simulation/mod.rs. Every client draws from its own
// seeded VectorRng, so every schedule is the same on every run (the sealed bytes are not: Olm
// draws from the operating system).

import Foundation
import blindpost

let T0: UInt64 = 1_800_000_000
let DAY: UInt64 = 86_400
let ISSUER = Data("blindpost.test".utf8)
/// The most clock moves a host loop (`settle`, the tests' `runUntilEvent`) makes before it gives up.
let HOST_STEPS = 10_000

/// The client settings of the Rust simulation (src/simulation/mod.rs): releases 10 minutes plus
/// an exponential delay of mean 20 minutes after acceptance (at most 60 minutes), renewal checks
/// every 30 to 60 minutes, background work after an exponential delay of mean 10 minutes (at
/// most 60 minutes), 2 discovery tokens per window.
func hostSettings(discoveryBatch: UInt64 = 100) -> ClientSettings {
    ClientSettings(
        releaseDelayMin: 600, releaseDelayMax: 3600, releaseDelayMean: 1200,
        backgroundDelayMean: 600, backgroundDelayMax: 3600, discoveryTokens: 2,
        renewalInterval: 1800, discoveryBatch: discoveryBatch)
}

/// One request as the server saw it arrive.
struct Sent {
    let at: UInt64
    let request: RequestType
    let channel: Channel
    let sender: Data
}

final class World {
    var now = T0
    let server: Server
    var queues = [Data: [Data]]()
    var sms = [(phone: String, code: String)]()
    /// What reached the server from the clients' hosts, in order.
    var sent = [Sent]()
    /// Each account's host's end-to-end state.
    private var hosts = [Data: EndToEnd]()
    private var clients = 0

    init(server: Server? = nil) throws {
        self.server = try server ?? Server(config: ServerConfig(), issuerName: ISSUER, now: T0)
    }

    /// A client drawing from its own seeded VectorRng (the n-th client of this world).
    func newClient(_ settings: ClientSettings = hostSettings()) throws -> Client {
        clients += 1
        let rng = VectorRng(seed: Data("swift client \(clients)".utf8))
        let client = try Client.newWithVectorRng(rng: rng, serverKeys: server.publicKeys(), settings: settings)
        hosts[client.account()] = try EndToEnd.generate(account: client.account())
        return client
    }

    /// The server's host handling one request: codes and deliveries queued.
    func serve(_ channel: Channel, _ request: Data) throws -> Handled {
        let handled = try server.handle(now: now, channel: channel, request: request)
        for output in handled.outputs {
            switch output {
            case let .sendCode(phone, code): sms.append((phone, code))
            case let .deliver(recipient, delivery): queues[recipient, default: []].append(delivery)
            }
        }
        return handled
    }

    /// The response to one request.
    func send(_ channel: Channel, _ request: Data) throws -> Data {
        try serve(channel, request).response
    }

    /// Sends one transmit, logs it, and feeds the response back.
    func exchange(_ client: Client, _ t: Transmit) throws {
        let handled = try serve(t.channel, t.bytes)
        sent.append(Sent(at: now, request: handled.request, channel: t.channel, sender: client.account()))
        try client.handleResponse(now: now, id: t.id, response: handled.response)
    }

    /// Sends the requests whose time has come (and what their responses queue for now).
    func pump(_ client: Client) throws {
        while let t = client.pollTransmit(now: now) {
            try exchange(client, t)
        }
    }

    /// The host loop at clock `time` (never earlier than the clock): runs the client's timers
    /// if their time has come, then sends what is due.
    func step(_ client: Client, at time: UInt64) throws {
        now = max(now, time)
        if let timeout = client.pollTimeout(), timeout <= now {
            try client.handleTimeout(now: now)
        }
        try pump(client)
    }

    /// Runs the client's host until it has no request left to send, moving the clock to each
    /// time the client names.
    func settle(_ client: Client) throws {
        try pump(client)
        for _ in 0..<HOST_STEPS {
            if client.outstanding() == 0 { return }
            guard let next = client.pollTimeout() else {
                throw CheckFailed(description: "a client with requests to send names no time")
            }
            try step(client, at: next)
        }
        throw CheckFailed(description: "the client still has requests after \(HOST_STEPS) clock moves")
    }

    /// The phone slept (its host ran nothing) until `time`; now the app runs again.
    func wake(_ client: Client, at time: UInt64) throws {
        now = max(now, time)
        try client.handleTimeout(now: now)
        try pump(client)
    }

    /// The times at which `client`'s requests (of type `request`, if given) reached the server.
    func sentBy(_ client: Client, _ request: RequestType? = nil) -> [UInt64] {
        let me = client.account()
        return sent.filter { $0.sender == me && (request == nil || $0.request == request) }.map { $0.at }
    }

    func events(_ client: Client) -> [Event] {
        var out = [Event]()
        while let e = client.pollEvent() { out.append(e) }
        return out
    }

    /// Registers `phone`, and runs the host until the discovery tokens it then asks for have
    /// arrived. Returns the events.
    @discardableResult
    func register(_ client: Client, _ phone: String) throws -> [Event] {
        let number = try PhoneNumber.parse(text: phone)
        _ = try client.requestCode(now: now, phone: number)
        try pump(client)
        guard let code = sms.last(where: { $0.phone == phone })?.code else {
            throw CheckFailed(description: "no SMS to \(phone)")
        }
        _ = try client.register(now: now, phone: number, code: code, hostKey: e2e(client).hostKey())
        try settle(client)
        return events(client)
    }

    /// The host's end-to-end state of `client`.
    func e2e(_ client: Client) -> EndToEnd {
        hosts[client.account()]!
    }

    /// A fresh Olm offer of `client`'s host: the host material of a cold call.
    func offer(_ client: Client) throws -> Data {
        try e2e(client).offer()
    }

    /// Seals a cold call's introduction to the host key in the recipient's certificate.
    func sealFirstContact(_ client: Client, _ certificate: Certificate, _ introduction: Data) throws -> Data {
        try e2e(client).sealFirstContact(recipientHostKey: certificate.hostKey ?? Data(), recipient: certificate.account, padded: introduction)
    }

    /// Seals a reply of `client` to its contact `to`: encrypted in their Olm session, then
    /// sealed to the host key in the contact's certificate.
    func seal(_ client: Client, _ to: Data, _ payload: Data) throws -> Data {
        guard let certificate = client.contacts().first(where: { $0.account == to })?.certificate else {
            throw CheckFailed(description: "no contact \(to.hex)")
        }
        return try e2e(client).seal(recipientHostKey: certificate.hostKey ?? Data(), recipient: to, padded: payload)
    }

    /// Composes (with an offer), seals and sends a cold call to `certificate`'s account (it
    /// leaves at once).
    func coldCall(_ client: Client, _ certificate: Certificate, _ message: String) throws {
        let intro = try client.composeIntroduction(now: now, recipientCertificate: certificate.bytes, message: Data(message.utf8), hostMaterial: offer(client))
        _ = try client.sendColdCall(now: now, recipient: certificate.account, sealed: sealFirstContact(client, certificate, intro))
        try pump(client)
    }

    /// Composes, seals and sends a reply to `to`, running the host until it has left. Returns
    /// the id of its first request (the group-key fetch).
    @discardableResult
    func reply(_ client: Client, _ to: Data, _ message: String) throws -> UInt64 {
        let payload = try client.composeReply(now: now, contact: to, message: Data(message.utf8), hostMaterial: Data())
        let id = try client.sendReply(now: now, contact: to, sealed: seal(client, to, payload))
        try settle(client)
        return id
    }

    /// Opens a payload sealed for account `me`'s host.
    func open(_ me: Data, _ sealed: Data) throws -> OpenedPayload {
        try hosts[me]!.open(sealed: sealed)
    }

    /// Hands every queued delivery to its client as its host would: opens the payload, hands it
    /// over, checks that the client's contact is the sender the sealing names, and accepts the
    /// offer of a cold call. A replayed delivery (a resend the server queued again, SPEC.md
    /// 12.8) is dropped. Returns the client's events.
    func deliver(_ client: Client) throws -> [Event] {
        let me = client.account()
        var all = events(client)
        for delivery in queues.removeValue(forKey: me) ?? [] {
            let opened: OpenedPayload
            do {
                opened = try open(me, deliverySealedPayload(bytes: delivery))
            } catch BlindpostError.EndToEnd(.replayed, _) {
                continue
            }
            try client.handleDelivery(now: now, delivery: delivery, opened: opened.payload)
            for event in events(client) {
                switch event {
                case let .introductionReceived(contact, _, _, hostMaterial, coldCall):
                    guard contact == opened.sender else { throw CheckFailed(description: "sealed by one account, signed by another") }
                    if coldCall {
                        guard opened.firstContact else { throw CheckFailed(description: "a cold call sealed in a session") }
                        try e2e(client).acceptOffer(peer: contact, offer: hostMaterial)
                    }
                case let .messageReceived(contact, _, _):
                    guard contact == opened.sender else { throw CheckFailed(description: "sealed by one account, signed by another") }
                default:
                    break
                }
                all.append(event)
            }
        }
        return all
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
