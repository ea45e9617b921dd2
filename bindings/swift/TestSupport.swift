// Support for the Swift binding tests: reading the files of test-vectors/ (BLINDPOST_VECTORS
// names their folder), hex helpers, and a tiny runner that counts checks and fails the process
// if any test fails. Compiled with the generated bindings and main.swift by
// bindings/run-tests.sh.

import Foundation
import blindpost

struct CheckFailed: Error, CustomStringConvertible {
    let description: String
}

final class Tests {
    let suite: String
    private(set) var passed = 0
    private(set) var failed = 0
    private(set) var checks = 0

    init(_ suite: String) {
        self.suite = suite
    }

    func test(_ name: String, _ body: () throws -> Void) {
        do {
            try body()
            passed += 1
            print("ok   \(suite): \(name)")
        } catch {
            failed += 1
            print("FAIL \(suite): \(name): \(error)")
        }
    }

    func check(_ condition: Bool, _ what: @autoclosure () -> String) throws {
        checks += 1
        if !condition {
            throw CheckFailed(description: what())
        }
    }

    func eq<T: Equatable>(_ expected: T, _ actual: T, _ what: String) throws {
        try check(expected == actual, "\(what): expected <\(expected)>, got <\(actual)>")
    }

    /// `body` must throw a `BlindpostError` that `matches` accepts; returns it.
    @discardableResult
    func throwsError(
        _ what: String, _ matches: (BlindpostError) -> Bool = { _ in true }, _ body: () throws -> Void
    ) throws -> BlindpostError {
        do {
            try body()
        } catch let e as BlindpostError {
            try check(matches(e), "\(what): unexpected error \(e)")
            return e
        } catch {
            try check(false, "\(what): expected a BlindpostError, got \(error)")
        }
        try check(false, "\(what): nothing was thrown")
        throw CheckFailed(description: what)
    }

    func summary() -> Bool {
        print("\(suite): \(passed) passed, \(failed) failed (\(checks) checks)")
        return failed == 0 && passed > 0
    }
}

func vectorsFile<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
    let dir = ProcessInfo.processInfo.environment["BLINDPOST_VECTORS"] ?? "test-vectors"
    let data = try Data(contentsOf: URL(fileURLWithPath: dir).appendingPathComponent(name))
    return try JSONDecoder().decode(T.self, from: data)
}

extension Data {
    init(hex: String) throws {
        var bytes = [UInt8]()
        bytes.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8? = nil
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: throw CheckFailed(description: "bad hex digit in \(hex)")
            }
            if let h = high {
                bytes.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        if high != nil { throw CheckFailed(description: "odd-length hex \(hex)") }
        self.init(bytes)
    }

    var hex: String { map { String(format: "%02x", $0) }.joined() }
}

/// The error's kind (nil for the two variants without one). Each kind type belongs to one
/// variant (DecodeErrorKind to Malformed, CertificateErrorKind to Certificate, ...), so the
/// kind's type and value name the exact failure.
func kindOf(_ e: BlindpostError) -> Any? {
    switch e {
    case let .Malformed(_, kind, _): return kind
    case let .Bls(kind, _): return kind
    case let .Certificate(kind, _): return kind
    case let .Code(kind, _): return kind
    case let .Group(kind, _): return kind
    case let .BlindRsa(kind, _): return kind
    case let .Token(kind, _): return kind
    case let .Client(kind, _): return kind
    case let .Server(kind, _): return kind
    case let .Store(kind, _): return kind
    case let .EndToEnd(kind, _): return kind
    case .Randomness, .RequestTooLarge: return nil
    }
}

/// Matches an error whose kind is `expected` (fields included): `isKind(GroupErrorKind.revoked)`.
func isKind<K: Equatable>(_ expected: K) -> (BlindpostError) -> Bool {
    { (kindOf($0) as? K) == expected }
}

/// A kind's case name without its fields: `expired(notAfter: 5, now: 6)` -> `expired`.
func caseName(_ kind: Any) -> String {
    String(String(describing: kind).prefix(while: { $0 != "(" }))
}

/// A kind's case name in snake case: `wrongGeneration` -> `wrong_generation` (the names the
/// vector files use).
func snakeCase(_ kind: Any) -> String {
    var out = ""
    for ch in caseName(kind) {
        if ch.isUppercase {
            out += "_" + ch.lowercased()
        } else {
            out.append(ch)
        }
    }
    return out
}

/// A big-endian unsigned integer in decimal (for the EIP-2333 vectors' decimal keys).
func decimal(_ bytes: Data) -> String {
    var digits = [UInt8]()  // little-endian base-10 digits
    for byte in bytes {
        var carry = UInt(byte)
        for i in digits.indices {
            let v = UInt(digits[i]) * 256 + carry
            digits[i] = UInt8(v % 10)
            carry = v / 10
        }
        while carry > 0 {
            digits.append(UInt8(carry % 10))
            carry /= 10
        }
    }
    if digits.isEmpty { return "0" }
    return String(digits.reversed().map { Character(String($0)) })
}
