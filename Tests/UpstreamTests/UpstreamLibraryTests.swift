import MockLLMUpstream
import Testing

/// libcurl opened at run time: what the loader says when the library, or a function in it, is
/// missing, and that the installed libcurl passes the same checks.
struct UpstreamLibraryTests {
    @Test func aLibraryThatDoesNotExistSaysWhatToInstall() throws {
        let name = "libmockllm-no-such-curl.so.4"
        let failure = try #require(throws: UpstreamFailure.self) { try UpstreamLibrary.check(name) }
        #expect(failure.kind == .unavailable)
        #expect(failure.message.contains("record mode needs libcurl \(UpstreamLibrary.minimumVersion) or newer"))
        #expect(failure.message.contains("install libcurl4"))
        // dlerror()'s own text, which names the file.
        #expect(failure.message.contains("(dlopen: \(name): cannot open shared object file"))
    }

    #if os(Linux)
    @Test func aLibraryWithoutCurlsFunctionsNamesTheFirstMissing() throws {
        // Opens fine, but it is not libcurl.
        let failure = try #require(throws: UpstreamFailure.self) { try UpstreamLibrary.check("libc.so.6") }
        #expect(failure.kind == .unavailable)
        #expect(failure.message.contains("libc.so.6 lacks a function the client calls: curl_global_init ("))
    }
    #endif

    @Test func theInstalledLibcurlPassesTheChecks() throws {
        #expect(UpstreamLibrary.defaultName == "libcurl.so.4" || UpstreamLibrary.defaultName == "libcurl.4.dylib")
        try UpstreamLibrary.check(UpstreamLibrary.defaultName)
        let harness = try Harness(UpstreamConfiguration())  // opens the process's libcurl, if not yet
        harness.run()
        let version = try #require(UpstreamLibrary.version)
        let parts = version.split(separator: ".").prefix(2).compactMap { Int($0) }
        #expect(parts.count == 2 && (parts[0], parts[1]) >= (7, 85), "libcurl \(version)")
    }
}
