// swift-tools-version: 6.1
import PackageDescription

// A package that depends on the MockLLM library and serves the built-in providers plus one of
// its own: the original mockllm's documentation example, `POST /v1/mycompany/chat` answering
// `{"response": ...}`. Build and run it with `swift run mycompany-mock serve --port 8000`.
let package = Package(
    name: "CustomProvider",
    platforms: [.macOS(.v15)],
    dependencies: [
        // From a clone of this repository; elsewhere, the repository's URL and a version.
        .package(name: "mockllm", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "mycompany-mock",
            dependencies: [.product(name: "MockLLM", package: "mockllm")],
            path: "Sources/CustomProvider"
        ),
    ]
)
