/// A secret a request must carry (`--api-key`, `--admin-token`): compared in time independent
/// of where the bytes differ, as a header value or as `Authorization: Bearer <secret>`.
struct Secret: Sendable {
    let bytes: [UInt8]

    init(_ secret: String) { bytes = Array(secret.utf8) }

    /// `value` is the secret.
    func matches(_ value: String) -> Bool {
        matches(Array(value.utf8)[...])
    }

    /// `value` is `Bearer <secret>` (the scheme in any case).
    func matchesBearer(_ value: String) -> Bool {
        let given = Array(value.utf8)
        guard given.count > 7, zip(given[0..<7], "bearer ".utf8).allSatisfy({ a, b in a | 0x20 == b || a == b }) else { return false }
        return matches(given[7...])
    }

    private func matches(_ given: ArraySlice<UInt8>) -> Bool {
        guard given.count == bytes.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(given, bytes) { difference |= a ^ b }
        return difference == 0
    }
}
