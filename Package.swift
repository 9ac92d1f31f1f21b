// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "mockllm",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mockllm", targets: ["mockllm"]),
        .library(name: "MockLLM", targets: ["MockLLM"]),
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
        .target(
            name: "MockLLM",
            dependencies: [
                "CLibUV",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "mockllm",
            dependencies: [
                "MockLLM",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "MockLLMTests", dependencies: ["MockLLM"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["MockLLM", "mockllm", .product(name: "Logging", package: "swift-log")]
        ),
    ]
)
