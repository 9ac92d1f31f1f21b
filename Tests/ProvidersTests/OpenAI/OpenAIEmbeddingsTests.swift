import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// The OpenAI embeddings endpoint, without a server.
@Suite("OpenAI embeddings")
struct OpenAIEmbeddingsTests {
    func call(_ body: String, seed: UInt64 = 5) -> Reply {
        var ctx = ProviderContext(script: Script(responses: [:], defaultReply: "d"), now: 1_700_000_000, random: SeededRandom(seed: seed))
        return Endpoint.answer(HTTPRequest(method: "POST", target: "/v1/embeddings", body: Array(body.utf8)), &ctx, by: OpenAIChat.embeddings)
    }

    func json(_ reply: Reply) throws -> JSONValue { try ReplyJSON.parse(reply.bodyBytes.description) }

    func vectors(_ reply: Reply) throws -> [[Double]] {
        guard case .array(let items)? = ReplyJSON.at(try json(reply), "data") else { return [] }
        return items.map { item in
            guard case .array(let values)? = ReplyJSON.at(item, "embedding") else { return [] }
            return values.compactMap { if case .number(let d) = $0 { d } else { nil } }
        }
    }

    func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    @Test func replyHasOpenAIsShape() throws {
        let reply = call(#"{"model":"text-embedding-3-small","input":"hello world","user":"u"}"#)
        #expect(reply.status == 200)
        #expect(reply.headers["x-request-id"] == "req_test")
        let body = try json(reply)
        #expect(ReplyJSON.at(body, "object") == .string("list"))
        #expect(ReplyJSON.at(body, "model") == .string("text-embedding-3-small"))
        #expect(ReplyJSON.at(body, "data", "0", "object") == .string("embedding"))
        #expect(ReplyJSON.at(body, "data", "0", "index") == .number(0))
        let tokens = Double(TokenEstimator.count("hello world"))
        #expect(ReplyJSON.at(body, "usage", "prompt_tokens") == .number(tokens))
        #expect(ReplyJSON.at(body, "usage", "total_tokens") == .number(tokens))
        #expect(reply.bodyBytes.description.hasPrefix(#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":["#))
        #expect(reply.bodyBytes.description.hasSuffix(#"],"model":"text-embedding-3-small","usage":{"prompt_tokens":\#(Int(tokens)),"total_tokens":\#(Int(tokens))}}"#))
    }

    @Test func sameTextSameVectorWhateverTheSeed() throws {
        let a = try vectors(call(#"{"model":"m","input":"same"}"#, seed: 1))
        let b = try vectors(call(#"{"model":"m","input":"same"}"#, seed: 99))
        let c = try vectors(call(#"{"model":"m","input":"other"}"#, seed: 1))
        #expect(a == b)
        #expect(a != c)
    }

    @Test func dimensionsDefaultPerModel() throws {
        #expect(try vectors(call(#"{"model":"text-embedding-3-small","input":"x"}"#))[0].count == 1536)
        #expect(try vectors(call(#"{"model":"text-embedding-3-large","input":"x"}"#))[0].count == 3072)
        #expect(try vectors(call(#"{"model":"text-embedding-ada-002","input":"x"}"#))[0].count == 1536)
        #expect(try vectors(call(#"{"model":"anything","input":"x"}"#))[0].count == 1536)
        #expect(try vectors(call(#"{"model":"text-embedding-3-small","input":"x","dimensions":7}"#))[0].count == 7)
    }

    @Test func vectorsHaveUnitNorm() throws {
        for v in try vectors(call(#"{"model":"m","input":["a","bb","ccc"],"dimensions":300}"#)) {
            #expect(abs(norm(v) - 1) < 1e-5)
        }
        let one = try vectors(call(#"{"model":"m","input":"a","dimensions":1}"#))[0]
        #expect(one == [1] || one == [-1])
    }

    @Test func base64DecodesToTheSameFloats() throws {
        let floats = try vectors(call(#"{"model":"m","input":"hello","dimensions":5}"#))[0]
        for dims in [5, 6, 7] {
            let text = try json(call(#"{"model":"m","input":"hello","dimensions":\#(dims),"encoding_format":"base64"}"#))
            guard case .string(let encoded)? = ReplyJSON.at(text, "data", "0", "embedding"),
                  let data = Data(base64Encoded: encoded) else {
                Issue.record("no base64 string")
                return
            }
            #expect(data.count == dims * 4)
            let bytes = [UInt8](data)
            var decoded: [Double] = []
            for i in 0..<dims {
                var bits: UInt32 = 0
                for k in 0..<4 { bits |= UInt32(bytes[i * 4 + k]) << UInt32(8 * k) }
                decoded.append(Double(Float(bitPattern: bits)))
            }
            if dims == 5 { #expect(decoded.map { Float($0) } == floats.map { Float($0) }) }
            #expect(abs(norm(decoded) - 1) < 1e-5)
        }
    }

    @Test func batchKeepsOrderAndIndexes() throws {
        let reply = call(#"{"model":"m","input":["one","two","three"],"dimensions":16}"#)
        let body = try json(reply)
        #expect((0..<3).map { ReplyJSON.at(body, "data", "\($0)", "index") } == [.number(0), .number(1), .number(2)])
        let batch = try vectors(reply)
        let singles = try ["one", "two", "three"].map { try vectors(call(#"{"model":"m","input":"\#($0)","dimensions":16}"#))[0] }
        #expect(batch == singles)
    }

    @Test func tokenIDInputsHashTheirDecimalForm() throws {
        let flat = try vectors(call(#"{"model":"m","input":[1,22,333],"dimensions":8}"#))
        let nested = try vectors(call(#"{"model":"m","input":[[1,22,333],[4]],"dimensions":8}"#))
        #expect(flat.count == 1 && nested.count == 2)
        #expect(flat[0] == nested[0])
        let body = try json(call(#"{"model":"m","input":[[1,22,333],[4]],"dimensions":8}"#))
        #expect(ReplyJSON.at(body, "usage", "prompt_tokens") == .number(4))
        #expect(EmbeddingVector.hash(tokenIDs: [1, 22, 333]) == EmbeddingVector.fnv1a(Array("1,22,333".utf8)))
    }

    @Test func fnv1aMatchesTheReferenceValues() {
        #expect(EmbeddingVector.fnv1a([UInt8]()) == 0xCBF2_9CE4_8422_2325)
        #expect(EmbeddingVector.fnv1a(Array("a".utf8)) == 0xAF63_DC4C_8601_EC8C)
    }

    func error(_ body: String) throws -> (Int, JSONValue?) {
        let reply = call(body)
        return (reply.status, ReplyJSON.at(try json(reply), "error"))
    }

    @Test(arguments: [
        (#"{"input":"x"}"#, "model", "Missing required parameter: 'model'."),
        (#"{"model":3,"input":"x"}"#, "model", "Invalid type for 'model': expected a string, but got a number instead."),
        (#"{"model":"m"}"#, "input", "Missing required parameter: 'input'."),
        (#"{"model":"m","input":null}"#, "input", "Missing required parameter: 'input'."),
        (#"{"model":"m","input":""}"#, "input", OpenAIEmbeddingsRequest.invalidInput),
        (#"{"model":"m","input":[]}"#, "input", OpenAIEmbeddingsRequest.invalidInput),
        (#"{"model":"m","input":["a",""]}"#, "input", OpenAIEmbeddingsRequest.invalidInput),
        (#"{"model":"m","input":[[]]}"#, "input", OpenAIEmbeddingsRequest.invalidInput),
        (#"{"model":"m","input":[-1]}"#, "input", OpenAIEmbeddingsRequest.invalidInput),
        (#"{"model":"m","input":5}"#, "input", "Invalid type for 'input': expected a string or an array, but got a number instead."),
        (#"{"model":"m","input":["a",2]}"#, "input[1]", "Invalid type for 'input[1]': expected a string, but got a number instead."),
        (#"{"model":"m","input":[1,"a"]}"#, "input[1]", "Invalid type for 'input[1]': expected an integer, but got a string instead."),
        (#"{"model":"m","input":[[1],2]}"#, "input[1]", "Invalid type for 'input[1]': expected an array, but got a number instead."),
        (#"{"model":"m","input":[[1,1.5]]}"#, "input[0][1]", "Invalid type for 'input[0][1]': expected an integer, but got a number instead."),
        (#"{"model":"m","input":"x","dimensions":0}"#, "dimensions",
         "Invalid 'dimensions': integer below minimum value. Expected a value >= 1, but got 0 instead."),
        (#"{"model":"text-embedding-3-small","input":"x","dimensions":1537}"#, "dimensions",
         "Invalid 'dimensions': integer above maximum value. Expected a value <= 1536, but got 1537 instead."),
        (#"{"model":"m","input":"x","dimensions":"3"}"#, "dimensions", "Invalid type for 'dimensions': expected an integer, but got a string instead."),
        (#"{"model":"m","input":"x","encoding_format":"int8"}"#, "encoding_format",
         "Invalid value for 'encoding_format': 'int8'. Supported values are: 'float' and 'base64'."),
        (#"{"model":"m","input":"x","user":1}"#, "user", "Invalid type for 'user': expected a string, but got a number instead."),
    ])
    func validationErrors(body: String, param: String, message: String) throws {
        let (status, error) = try error(body)
        #expect(status == 400)
        #expect(ReplyJSON.at(error, "type") == .string("invalid_request_error"))
        #expect(ReplyJSON.at(error, "param") == .string(param))
        #expect(ReplyJSON.at(error, "message") == .string(message))
    }

    @Test func malformedJSONIsRefused() throws {
        let (status, error) = try error("{")
        #expect(status == 400)
        #expect(ReplyJSON.at(error, "type") == .string("invalid_request_error"))
    }

    @Test func routedThroughTheOpenAIProvider() {
        #expect(OpenAIChat.metadata.endpoints.contains { $0.method == "POST" && $0.path == "/v1/embeddings" })
    }
}
