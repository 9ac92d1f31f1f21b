import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Stored responses: `GET`, `DELETE`, `input_items`, `previous_response_id`, `store: false`,
/// and the store's bound.
@Suite("OpenAI Responses API store")
struct OpenAIResponseStoreTests {
    let harness = ResponsesHarness(script: Script(responses: ["ping": "pong", "again": "pong again"], defaultReply: "default"))

    func created(_ body: String) throws -> (id: String, body: String) {
        let reply = harness.create(body)
        #expect(reply.status == 200)
        let text = ResponsesHarness.body(reply)
        return (try #require(ReplyJSON.at(ReplyJSON.parse(text), "id")?.stringValue), text)
    }

    static func entry(_ n: Int) -> OpenAIResponseStore.Entry {
        OpenAIResponseStore.Entry(body: ByteBuffer("\(n)"), input: [], conversation: [])
    }

    @Test func aStoredResponseIsRetrievedAsCreated() throws {
        let (id, body) = try created(#"{"model":"m","input":"ping"}"#)
        let reply = harness.get(id)
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "application/json")
        #expect(ResponsesHarness.body(reply) == body)
    }

    @Test func aStreamedResponseIsStoredAsItsCompletedEvent() throws {
        let events = harness.create(#"{"model":"m","input":"ping","stream":true}"#).streamTexts
        let final = try ResponsesHarness.parse(try #require(events.last)).data
        let id = try #require(ReplyJSON.at(final, "response", "id")?.stringValue)
        #expect(try ResponsesHarness.json(harness.get(id)) == ReplyJSON.at(final, "response"))
    }

    @Test func storeFalseKeepsNothing() throws {
        let (id, _) = try created(#"{"model":"m","input":"ping","store":false}"#)
        #expect(harness.get(id).status == 404)
        #expect(harness.store.count == 0)
    }

    @Test func anUnknownIDIsA404InOpenAIsWords() throws {
        for reply in [harness.get("resp_nope"), harness.delete("resp_nope"), harness.inputItems("resp_nope")] {
            #expect(reply.status == 404)
            #expect(ResponsesHarness.body(reply)
                == #"{"error":{"message":"Response with id 'resp_nope' not found.","type":"invalid_request_error","param":null,"code":null}}"#)
        }
    }

    @Test func deleteForgetsTheResponse() throws {
        let (id, _) = try created(#"{"model":"m","input":"ping"}"#)
        let reply = harness.delete(id)
        #expect(reply.status == 200)
        #expect(ResponsesHarness.body(reply) == #"{"id":"\#(id)","object":"response","deleted":true}"#)
        #expect(harness.get(id).status == 404)
    }

    @Test func aStreamIsNotReplayed() throws {
        let (id, _) = try created(#"{"model":"m","input":"ping"}"#)
        #expect(harness.get(id, query: "?stream=true").status == 400)
    }

    @Test func previousResponseIDContinuesTheConversation() throws {
        let script = try ScriptLoader.parse(yaml: """
            rules:
              - {name: second, match: {turn: 2}, reply: "Turn two."}
            responses: {ping: pong}
            """, file: "t", providers: providerCatalog).script
        let harness = ResponsesHarness(script: script, seed: 9)
        let first = harness.create(#"{"model":"m","input":"ping","instructions":"Be brief."}"#)
        let id = try #require(ReplyJSON.at(ResponsesHarness.json(first), "id")?.stringValue)
        let second = harness.create(#"{"model":"m","input":"and now?","previous_response_id":"\#(id)"}"#)
        #expect(second.headers["x-mockllm-rule"] == "rule second")
        let json = try ResponsesHarness.json(second)
        #expect(ReplyJSON.at(json, "output", "0", "content", "0", "text")?.stringValue == "Turn two.")
        #expect(ReplyJSON.at(json, "instructions") == .null, "instructions are not carried over")
        // Counted: ping, pong, and now? (each message 4 tokens of framing) and 3 of priming.
        #expect(ReplyJSON.at(json, "usage", "input_tokens") == .number(Double(3 + 4 * 3 + TokenEstimator.count("ping")
            + TokenEstimator.count("pong") + TokenEstimator.count("and now?"))))
    }

    @Test func inputItemsListTheRequestsOwnInputNewestFirst() throws {
        let (first, _) = try created(#"{"model":"m","input":"ping"}"#)
        let (id, _) = try created(#"""
            {"model":"m","previous_response_id":"\#(first)","input":[{"role":"user","content":"again"},
             {"type":"function_call","id":"fc_given","call_id":"call_1","name":"f","arguments":"{}"},
             {"type":"function_call_output","call_id":"call_1","output":[{"type":"input_text","text":"done"}]}]}
            """#)
        let list = try ResponsesHarness.json(harness.inputItems(id))
        let data = try #require(ReplyJSON.at(list, "data")?.arrayValue)
        #expect(data.map { ReplyJSON.at($0, "type")?.stringValue } == ["function_call_output", "function_call", "message"])
        #expect(ReplyJSON.at(data[1], "id")?.stringValue == "fc_given")
        #expect(ReplyJSON.at(data[0], "output")?.stringValue == "done")
        #expect(ReplyJSON.at(data[2], "content")?.jsonText == #"[{"type":"input_text","text":"again"}]"#)
        #expect(ResponsesHarness.isID(ReplyJSON.at(data[2], "id")?.stringValue ?? "", prefix: "msg_", sharing: id))
        #expect(ReplyJSON.at(list, "object")?.stringValue == "list")
        #expect(ReplyJSON.at(list, "first_id") == ReplyJSON.at(data[0], "id"))
        #expect(ReplyJSON.at(list, "last_id") == ReplyJSON.at(data[2], "id"))
        #expect(ReplyJSON.at(list, "has_more") == .bool(false))

        let page = try ResponsesHarness.json(harness.inputItems(id, query: "?order=asc&limit=1&after=\(ReplyJSON.at(data[2], "id")!.stringValue!)"))
        #expect(ReplyJSON.at(page, "data", "0", "id")?.stringValue == "fc_given")
        #expect(ReplyJSON.at(page, "has_more") == .bool(true))
        #expect(harness.inputItems(id, query: "?limit=0").status == 400)
        #expect(harness.inputItems(id, query: "?order=up").status == 400)
    }

    @Test func theOldestResponsesAreForgottenFirst() {
        let store = OpenAIResponseStore(capacity: 3)
        for n in 0..<5 { store.save("resp_\(n)", Self.entry(n)) }
        #expect(store.count == 3)
        #expect(store.entry("resp_0") == nil && store.entry("resp_1") == nil)
        #expect(store.entry("resp_4")?.body == ByteBuffer("4"))
        #expect(store.remove("resp_3"))
        store.save("resp_5", Self.entry(5))
        store.save("resp_6", Self.entry(6))
        #expect(store.count == 3)
        #expect(store.entry("resp_2") == nil, "a deleted id does not keep an older one alive")
        #expect(["resp_4", "resp_5", "resp_6"].allSatisfy { store.entry($0) != nil })
        for n in 7..<100 { store.save("resp_\(n)", Self.entry(n)) }
        #expect(store.count == 3 && store.entry("resp_99") != nil && store.entry("resp_96") == nil)
    }

    @Test func aCapacityOfZeroKeepsNothing() {
        let store = OpenAIResponseStore(capacity: 0)
        store.save("resp_1", Self.entry(1))
        #expect(store.count == 0 && store.entry("resp_1") == nil)
    }

    @Test func threadsShareOneStore() async {
        let store = OpenAIResponseStore(capacity: 10_000)
        await withTaskGroup(of: Void.self) { group in
            for t in 0..<4 {
                group.addTask { for n in 0..<500 { store.save("resp_\(t)_\(n)", Self.entry(n)) } }
            }
        }
        #expect(store.count == 2000)
        #expect(store.entry("resp_3_499") != nil)
    }
}
