import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
import TestSupport
import Testing

/// Bedrock's front door over real sockets: a percent-encoded model id in the path, the event
/// stream read back message by message (each in its own HTTP chunk), an error with its type in
/// `x-amzn-ErrorType`, and a scripted mid-stream exception.
@Suite("Bedrock end to end")
struct BedrockEndToEndTests {
    static let script = Script(responses: ["ping": "pong", "cut": "abcdefgh"])

    func request(_ path: String, _ body: String) -> String {
        "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261207/us-east-1/bedrock/aws4_request, SignedHeaders=host, Signature=00\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// Each chunk's messages: `:event-type` or `:exception-type`, and the payload.
    func messages(_ chunks: [[UInt8]]) -> [(type: String, payload: String)] {
        var decoder = EventStreamDecoder()
        var out: [(String, String)] = []
        for chunk in chunks {
            chunk.withUnsafeBytes { raw in
                let error = decoder.feed(raw) { frame in
                    out.append((frame.string(":event-type") ?? frame.string(":exception-type") ?? "?", String(decoding: frame.payload, as: UTF8.self)))
                }
                #expect(error == nil)
            }
        }
        #expect(!decoder.hasPartialMessage)
        return out
    }

    @Test func aConverseStreamIsOneEventStreamMessagePerChunk() throws {
        try withServer(script: Self.script) { server in
            let client = try server.client()
            try client.send(request("/model/us.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream",
                                    #"{"messages":[{"role":"user","content":[{"text":"ping"}]}]}"#))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/vnd.amazon.eventstream")
            let events = messages(response.chunks)
            #expect(events.count == response.chunks.count)
            #expect(events.map(\.type) == ["messageStart"] + Array(repeating: "contentBlockDelta", count: 4)
                + ["contentBlockStop", "messageStop", "metadata"])
            // With Bedrock's padding after the delta, a prefix of its alphabet.
            #expect(events[1].payload.wholeMatch(of: #/\{"contentBlockIndex":0,"delta":\{"text":"p"\},"p":"[a-zA-Z0-9]+"\}/#) != nil,
                    "\(events[1].payload)")
        }
    }

    @Test func anErrorAndAMidStreamExceptionAreBedrocks() throws {
        try withServer(script: Self.script) { server in
            let client = try server.client()
            try client.send(request("/model/meta.llama3-8b-instruct-v1:0/invoke", #"{"max_gen_len":5}"#))
            let refused = try client.readResponse()
            #expect(refused.status == 400)
            #expect(refused.header("x-amzn-ErrorType")?.hasPrefix("ValidationException:") == true)
            #expect(String(decoding: refused.body, as: UTF8.self).contains("prompt"))
            let faulty = request("/model/amazon.nova-lite-v1:0/converse-stream", #"{"messages":[{"role":"user","content":[{"text":"cut"}]}]}"#)
                .replacingOccurrences(of: "Content-Type", with: "x-mockllm-fault: error:3\r\nContent-Type")
            try client.send(faulty)
            let response = try client.readResponse()
            let events = messages(response.chunks)
            #expect(events.count == 4)
            #expect(events.last?.type == "internalServerException")
        }
    }
}
