import MockLLMCommandLine

// `mockllm`: the command line, serving the built-in providers (Sources/MockLLMCommandLine).
MockLLMCommandLine.main()
