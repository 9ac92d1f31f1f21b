// swift-tools-version: 6.1
import PackageDescription

// Each layer is a target, so the compiler enforces the direction of dependencies
// (docs/ARCHITECTURE.md): a target sees only the targets it lists.
let package = Package(
    name: "mockllm",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mockllm", targets: ["mockllm"]),
        // For a package that serves providers of its own (Examples/CustomProvider).
        .library(name: "MockLLM", targets: ["MockLLM", "MockLLMCommandLine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibUV",
            path: "CLibUV",
            pkgConfig: "libuv",
            providers: [.apt(["libuv1-dev"]), .brew(["libuv"])]
        ),
        // libcurl (HTTP/1.1, TLS with certificate verification, proxies) for the upstream client,
        // opened at run time: curl's header (libcurl4-openssl-dev on Debian) gives the types and
        // constants, shim.c opens libcurl.so.4 with dlopen on the first client and calls it through
        // pointers. Nothing links libcurl, so only record mode needs it installed. Imported by
        // MockLLMUpstream alone.
        .target(
            name: "CCurl",
            path: "CCurl",
            linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]  // dlopen before glibc 2.34
        ),
        // zlib, for its crc32: the AWS event stream's checksums (Bedrock's streams). zlib1g-dev on
        // Debian; the wheel links libz.so.1 dynamically (manylinux allows it). No pkg-config:
        // zlib.pc's `-L/usr/lib/<arch>` would come before scripts/wheel's folder holding only
        // libuv.a, and `-luv` would find the shared libuv there. zlib.h and libz are on the
        // default paths.
        .systemLibrary(
            name: "CZlib",
            path: "CZlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        // Bytes, JSON, HTTP/1.1 messages, the AWS event stream codec and latency histograms: no I/O.
        .target(name: "MockLLMCore", dependencies: ["CZlib"]),
        // The libuv loop: timers, signals, wake-ups, threads, listeners, TCP streams; the only
        // importer of CLibUV.
        .target(name: "MockLLMLoop", dependencies: ["CLibUV", "MockLLMCore"]),
        // The HTTP client to real APIs (record and replay), libcurl's multi-socket interface driven
        // by a loop's SocketPolls and LoopTimer; the only importer of CCurl. Made lazily by whoever
        // proxies, so replies that do not proxy never touch it.
        .target(name: "MockLLMUpstream", dependencies: ["CCurl", "MockLLMCore", "MockLLMLoop"]),
        // The HTTP/1.1 server on the loop: connections, their state machine, the deadline queue.
        .target(name: "MockLLMHTTPServer", dependencies: ["MockLLMCore", "MockLLMLoop"]),
        // Pacing, token estimates, schema instances, seeded randomness: computation only.
        .target(name: "MockLLMSimulation", dependencies: ["MockLLMCore"]),
        // The YAML script: loading, diagnostics, rules and matching.
        .target(
            name: "MockLLMScript",
            dependencies: ["MockLLMCore", "MockLLMSimulation", .product(name: "Yams", package: "Yams")]
        ),
        // One wire protocol per folder: request in, reply value out.
        .target(name: "MockLLMProviders", dependencies: ["MockLLMCore", "MockLLMSimulation", "MockLLMScript"]),
        // `mockllm bench`: the load client.
        .target(name: "MockLLMBench", dependencies: ["MockLLMCore", "MockLLMLoop"]),
        // The server: glue between the loop and the providers, admin endpoints, metrics, journal.
        .target(
            name: "MockLLM",
            dependencies: [
                "MockLLMCore", "MockLLMLoop", "MockLLMHTTPServer", "MockLLMSimulation", "MockLLMScript", "MockLLMProviders",
                "MockLLMUpstream",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The command line (serve, validate, bench, health), as a library a package can run with
        // providers of its own; the executable is one call to it.
        .target(
            name: "MockLLMCommandLine",
            dependencies: [
                "MockLLM", "MockLLMBench", "MockLLMProviders", "MockLLMScript", "MockLLMSimulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "mockllm", dependencies: ["MockLLMCommandLine"]),
        // Tests mirror the layers: each test target sees what its layer sees, plus the helpers
        // shared by several (TestSupport: a real server on an ephemeral port, raw HTTP clients,
        // polling with a deadline, script loading, reading replies).
        .target(
            name: "TestSupport",
            dependencies: ["MockLLM", .product(name: "Logging", package: "swift-log")],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "CoreTests", dependencies: ["MockLLMCore", "MockLLMSimulation", "TestSupport"]),
        .testTarget(name: "LoopTests", dependencies: ["MockLLMLoop"]),
        // Against Tests/Upstream/upstream.py, a local HTTP and HTTPS server with a CA made at test time.
        .testTarget(name: "UpstreamTests", dependencies: ["MockLLMUpstream", "MockLLMLoop", "MockLLMCore"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["MockLLMHTTPServer", "MockLLMCore", "MockLLMSimulation"]),
        .testTarget(name: "SimulationTests", dependencies: ["MockLLMSimulation", "TestSupport"]),
        .testTarget(name: "ScriptTests", dependencies: ["MockLLMScript", "MockLLMProviders", "TestSupport"]),
        .testTarget(name: "ProvidersTests", dependencies: ["MockLLMProviders", "MockLLM", "TestSupport"]),
        .testTarget(name: "BenchTests", dependencies: ["MockLLMBench", "MockLLM", "TestSupport"]),
        .testTarget(name: "ServerTests", dependencies: ["MockLLM", "TestSupport"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["MockLLM", "MockLLMBench", "mockllm", "TestSupport", .product(name: "Logging", package: "swift-log")]
        ),
    ]
)
