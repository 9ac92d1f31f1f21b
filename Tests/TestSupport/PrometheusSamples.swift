/// The samples of a Prometheus text exposition (what `GET /metrics` answers): `name{labels}`
/// to value, comment lines left out. A line that is not a sample fails.
package func prometheusSamples(_ text: String) throws -> [String: Double] {
    var samples: [String: Double] = [:]
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            throw TestFailure("not a sample: \(line)")
        }
        samples[String(line[..<space])] = value
    }
    return samples
}
