import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
import TestSupport
import Testing

/// `FixtureStore`, what the recording proxy calls: one file per test id, fixtures appended as
/// whole files renamed into place, each loadable, no key written.
@Suite("Fixture store")
struct FixtureStoreTests {
    static func exchange(_ prompt: String, test: String?) -> RecordedExchange {
        var headers = HTTPFields([.init(name: "authorization", value: "Bearer sk-store-secret")])
        if let test { headers.append(name: "x-mockllm-test", value: test) }
        return RecordedExchange(
            method: "POST", target: "/v1/chat/completions", requestHeaders: headers,
            requestBody: Array(#"{"model":"gpt-4o","messages":[{"role":"user","content":"\#(prompt)"}]}"#.utf8), status: 200,
            responseHeaders: HTTPFields([.init(name: "content-type", value: "application/json")]),
            response: .bytes(Array(#"{"choices":[{"message":{"content":"\#(prompt)!"}}]}"#.utf8), atMs: 5))
    }

    @Test func appendsOneLoadableFixturePerExchangeToTheTestsFile() throws {
        let directory = NSTemporaryDirectory() + "mockllm-store-" + UUID().uuidString + "/nested"
        defer { try? FileManager.default.removeItem(atPath: String(directory.dropLast(7))) }
        let store = FixtureStore(directory: directory)
        let first = try store.append(Self.exchange("one", test: "tests/test_a.py::test_one"))
        let second = try store.append(Self.exchange("two", test: "tests/test_a.py::test_one"))
        let parsed = HTTPRequest(method: "POST", target: "/v1/chat/completions",
                                 headers: HTTPFields([.init(name: "x-api-key", value: "sk-store-secret")]),
                                 body: Array(#"{"model":"gpt-4o","messages":[{"role":"user","content":"three"}]}"#.utf8))
        let other = try store.append(RecordedExchange(request: parsed, status: 200, responseHeaders: HTTPFields(),
                                                      response: .bytes(Array("{}".utf8), atMs: nil)))
        #expect(first == .init(file: directory + "/tests_test_a.py__test_one.yml", name: "tests_test_a.py__test_one-1"))
        #expect(second.name == "tests_test_a.py__test_one-2" && second.file == first.file)
        #expect(other == .init(file: directory + "/recorded.yml", name: "recorded-1"))
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(names == ["recorded.yml", "tests_test_a.py__test_one.yml"], "no temporary file is left")
        let text = try String(contentsOfFile: first.file, encoding: .utf8)
        #expect(!text.contains("sk-store-secret"))
        #expect(try !String(contentsOfFile: other.file, encoding: .utf8).contains("sk-store-secret"))
        let loaded = try ScriptLoader.load(path: directory, providers: providerCatalog)
        #expect(loaded.script.fixtures?.fixtures.map(\.name) == ["recorded-1", "tests_test_a.py__test_one-1", "tests_test_a.py__test_one-2"])
        let fixture = try #require(loaded.script.fixtures?.fixtures[2])
        #expect(fixture.reply.body == .bytes(Array(#"{"choices":[{"message":{"content":"two!"}}]}"#.utf8), atMs: 5))
    }

    @Test func validateChecksADirectory() throws {
        let directory = NSTemporaryDirectory() + "mockllm-validate-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = FixtureStore(directory: directory)
        _ = try store.append(Self.exchange("one", test: "a"))
        #expect(Launcher.validate(path: directory) == 0)
        try "rules:\n- name: x\n  match: {endpoint: /v1/x, prompt: p}\n  recorded: {body: b}\n"
            .write(toFile: directory + "/b.yml", atomically: true, encoding: .utf8)
        #expect(Launcher.validate(path: directory) == 1)
        #expect(Launcher.validate(path: directory + "/missing") == 2)
    }

    @Test func aFileThatWouldNotLoadIsLeftAlone() throws {
        let directory = NSTemporaryDirectory() + "mockllm-store-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let broken = "rules:\n- name: x\n  match: {endpoint: /v1/x}\n  recorded: {body: \"x\"}\nsettings: {on_miss: nope}\n"
        try broken.write(toFile: directory + "/recorded.yml", atomically: true, encoding: .utf8)
        #expect(throws: FixtureStore.Failure.self) { try FixtureStore(directory: directory).append(Self.exchange("one", test: nil)) }
        #expect(try String(contentsOfFile: directory + "/recorded.yml", encoding: .utf8) == broken)
    }
}
