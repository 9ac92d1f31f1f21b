@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// The Responses API event stream, byte for byte and by its invariants (contiguous sequence
/// numbers, each delta inside its item), without a server.
@Suite("OpenAI Responses API stream")
struct OpenAIResponsesStreamTests {
    let harness: ResponsesHarness

    init() throws {
        harness = try ResponsesHarness(script: ResponsesHarness.sharedScript())
    }

    @Test func aTextStreamHasTheRealEventSequence() throws {
        let reply = harness.create(#"{"model":"gpt-4o","input":"ping","stream":true}"#)
        #expect(reply.headers["content-type"] == "text/event-stream; charset=utf-8")
        let events = reply.streamTexts
        let id = try #require(ReplyJSON.at(ResponsesHarness.parse(events[0]).data, "response", "id")?.stringValue)
        let msg = try #require(ReplyJSON.at(ResponsesHarness.parse(events[2]).data, "item", "id")?.stringValue)
        #expect(ResponsesHarness.isID(msg, prefix: "msg_", sharing: id))
        let (middle, tail) = ResponsesHarness.defaults()
        let head = #"{"id":"\#(id)","object":"response","created_at":1700000000,"#
        let inProgress = head + #""status":"in_progress","background":false,"completed_at":null,"error":null,"incomplete_details":null,\#(middle),"output":[],\#(tail),"usage":null,"user":null,"metadata":{}}"#
        let part = #"{"type":"output_text","annotations":[],"logprobs":[],"text":"pong"}"#
        let item = #"{"id":"\#(msg)","type":"message","status":"completed","content":[\#(part)],"role":"assistant"}"#
        let completed = head + #""status":"completed","background":false,"completed_at":1700000000,"error":null,"incomplete_details":null,\#(middle),"output":[\#(item)],\#(tail),"usage":{"input_tokens":8,"input_tokens_details":{"cached_tokens":0,"cache_write_tokens":0},"output_tokens":1,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":9},"user":null,"metadata":{}}"#
        func delta(_ text: String, _ n: Int) -> String {
            #"event: response.output_text.delta\#ndata: {"type":"response.output_text.delta","content_index":0,"delta":"\#(text)","item_id":"\#(msg)","logprobs":[],"output_index":0,"sequence_number":\#(n)}\#n\#n"#
        }
        #expect(events == [
            #"event: response.created\#ndata: {"type":"response.created","response":\#(inProgress),"sequence_number":0}\#n\#n"#,
            #"event: response.in_progress\#ndata: {"type":"response.in_progress","response":\#(inProgress),"sequence_number":1}\#n\#n"#,
            #"event: response.output_item.added\#ndata: {"type":"response.output_item.added","item":{"id":"\#(msg)","type":"message","status":"in_progress","content":[],"role":"assistant"},"output_index":0,"sequence_number":2}\#n\#n"#,
            #"event: response.content_part.added\#ndata: {"type":"response.content_part.added","content_index":0,"item_id":"\#(msg)","output_index":0,"part":{"type":"output_text","annotations":[],"logprobs":[],"text":""},"sequence_number":3}\#n\#n"#,
            delta("p", 4), delta("o", 5), delta("n", 6), delta("g", 7),
            #"event: response.output_text.done\#ndata: {"type":"response.output_text.done","content_index":0,"item_id":"\#(msg)","logprobs":[],"output_index":0,"sequence_number":8,"text":"pong"}\#n\#n"#,
            #"event: response.content_part.done\#ndata: {"type":"response.content_part.done","content_index":0,"item_id":"\#(msg)","output_index":0,"part":\#(part),"sequence_number":9}\#n\#n"#,
            #"event: response.output_item.done\#ndata: {"type":"response.output_item.done","item":\#(item),"output_index":0,"sequence_number":10}\#n\#n"#,
            #"event: response.completed\#ndata: {"type":"response.completed","response":\#(completed),"sequence_number":11}\#n\#n"#,
        ])
    }

    @Test func theCompletedResponseIsTheNonStreamBody() throws {
        let twin = ResponsesHarness(script: harness.script)  // the same seed: the same ids
        let streamed = harness.create(#"{"model":"m","input":"both","stream":true,"tools":\#(ResponsesHarness.tools)}"#).streamTexts
        let final = try #require(streamed.last)
        let body = ResponsesHarness.body(twin.create(#"{"model":"m","input":"both","tools":\#(ResponsesHarness.tools)}"#))
        #expect(final == "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":\(body),\"sequence_number\":\(streamed.count - 1)}\n\n")
    }

    @Test func aFunctionCallStreamsItsArgumentsInItsOwnItem() throws {
        let events = try harness.create(#"{"model":"m","input":"weather?","stream":true}"#).streamTexts.map(ResponsesHarness.parse)
        #expect(events.map(\.type) == [
            "response.created", "response.in_progress", "response.output_item.added",
        ] + Array(repeating: "response.function_call_arguments.delta", count: 17) + [
            "response.function_call_arguments.done", "response.output_item.done", "response.completed",
        ])
        let added = events[2].data
        let fc = try #require(ReplyJSON.at(added, "item", "id")?.stringValue)
        #expect(ReplyJSON.at(added, "item")?.jsonText == #"{"id":"\#(fc)","type":"function_call","status":"in_progress","arguments":"","call_id":"call_fixed","name":"get_weather"}"#)
        #expect(ReplyJSON.at(events[3].data, "delta")?.stringValue == "{")
        let deltas = events.filter { $0.type == "response.function_call_arguments.delta" }
        #expect(deltas.map { ReplyJSON.at($0.data, "delta")?.stringValue ?? "" }.joined() == #"{"city": "Paris"}"#)
        #expect(deltas.allSatisfy { Set($0.data.objectValue!.members.map(\.key)) == ["type", "delta", "item_id", "output_index", "sequence_number"] })
        #expect(ReplyJSON.at(events[20].data, "arguments")?.stringValue == #"{"city": "Paris"}"#)
        #expect(events[20].data.objectValue?.members.map(\.key) == ["type", "arguments", "item_id", "name", "output_index", "sequence_number"])
        #expect(ReplyJSON.at(events[20].data, "name")?.stringValue == "get_weather")
        #expect(ReplyJSON.at(events[21].data, "item", "status")?.stringValue == "completed")
    }

    /// Every event's type matches its `event:` line, sequence numbers count 0, 1, 2, ..., and
    /// each delta refers to an item added and not yet done, at the output index it was added at.
    @Test(arguments: ["ping", "both", "weather", "long"])
    func eventsAreNumberedAndNested(_ prompt: String) throws {
        let limit = prompt == "long" ? #","max_output_tokens":16"# : ""
        let events = try harness.create(
            #"{"model":"m","input":"\#(prompt)","stream":true,"tools":\#(ResponsesHarness.tools)\#(limit)}"#).streamTexts.map(ResponsesHarness.parse)
        var open: [Int: String] = [:]
        var done: [Int] = []
        for (n, event) in events.enumerated() {
            #expect(ReplyJSON.at(event.data, "type")?.stringValue == event.type)
            #expect(ReplyJSON.at(event.data, "sequence_number") == .number(Double(n)))
            let index = ReplyJSON.at(event.data, "output_index").map { if case .number(let d) = $0 { Int(d) } else { -1 } }
            switch event.type {
            case "response.output_item.added":
                #expect(index == open.count + done.count, "items are added in order")
                open[index!] = ReplyJSON.at(event.data, "item", "id")?.stringValue
            case "response.output_item.done":
                #expect(open.removeValue(forKey: index!) == ReplyJSON.at(event.data, "item", "id")?.stringValue)
                done.append(index!)
            case "response.created", "response.in_progress", "response.completed", "response.incomplete":
                #expect(index == nil)
            default:
                #expect(open[index!] != nil && open[index!] == ReplyJSON.at(event.data, "item_id")?.stringValue)
                if event.type.contains("content_part") || event.type.contains("output_text") {
                    #expect(ReplyJSON.at(event.data, "content_index") == .number(0))
                }
            }
        }
        #expect(open.isEmpty)
        #expect(done == Array(0..<done.count))
        let last = try #require(events.last)
        #expect(last.type == (prompt == "long" ? "response.incomplete" : "response.completed"))
        #expect(ReplyJSON.at(last.data, "response", "output")?.arrayValue?.count == done.count)
    }

    @Test func aMidStreamErrorIsTheResponsesErrorEventNumberedInSequence() throws {
        var headers = HTTPFields()
        headers.append(name: "x-mockllm-fault", value: "error:5")
        let events = harness.create(#"{"model":"m","input":"ping","stream":true}"#, headers: headers).streamTexts
        #expect(events.count == 6)
        #expect(events[4].contains(#""type":"response.output_text.delta""#))
        #expect(events[5] == #"event: error\#ndata: {"type":"error","code":"server_error","message":"The server had an error while processing your request.","param":null,"sequence_number":5}\#n\#n"#)
    }

    @Test func aMalformedEventIsATextDeltaCutOff() {
        var headers = HTTPFields()
        headers.append(name: "x-mockllm-fault", value: "malformed:4")
        let events = harness.create(#"{"model":"m","input":"ping","stream":true}"#, headers: headers).streamTexts
        #expect(events[4] == "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"content_index\":0,\"delta\":\"unterminated\n\n")
        #expect(events[5].contains(#""sequence_number":4"#), "the malformed event takes no number")
        #expect(events.last?.hasPrefix("event: response.completed") == true)
    }

    @Test func theFirstTokenIsTheFirstDeltaOrAFunctionCallsItem() {
        func first(_ body: String) -> Int {
            guard case .stream(let source) = harness.create(body).body else { return -1 }
            return source.firstPayloadEvent
        }
        #expect(first(#"{"model":"m","input":"ping","stream":true}"#) == 4)
        #expect(first(#"{"model":"m","input":"weather","stream":true}"#) == 2)
    }
}
