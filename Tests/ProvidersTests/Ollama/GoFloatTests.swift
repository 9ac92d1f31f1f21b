@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Ollama's server is written in Go: its JSON numbers are Go's `encoding/json` formatting.
struct GoFloatTests {
    @Test(arguments: [
        (Float(0.1), "0.1"), (Float(-0.036812), "-0.036812"), (Float(1), "1"), (Float(0), "0"), (Float(-0.0), "-0"),
        (Float(1e-5), "0.00001"), (Float(0.0001), "0.0001"), (Float(1.5e-6), "0.0000015"), (Float(9.5e-7), "9.5e-7"),
        (Float(1.2345e-12), "1.2345e-12"), (Float(123456.7), "123456.7"), (Float(1e16), "10000000000000000"),
        (Float(2e21), "2e+21"),
    ])
    func float32sAreWrittenAsGoWritesThem(value: Float, text: String) {
        var out = ByteBuffer()
        GoFloat.append(value, into: &out)
        #expect(out.description == text)
    }

    @Test(arguments: [
        (Double(Float(0.1)), "0.10000000149011612"), (1e-7, "1e-7"), (0.5, "0.5"), (2, "2"), (-3.25e-9, "-3.25e-9"), (1e-6, "0.000001"),
    ])
    func float64sAreWrittenAsGoWritesThem(value: Double, text: String) {
        var out = ByteBuffer()
        GoFloat.append(value, into: &out)
        #expect(out.description == text)
    }
}
