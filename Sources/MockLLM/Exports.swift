// What a package that adds providers of its own uses comes with `import MockLLM`: the public
// types of the core (HTTPRequest, Reply, HTTPFields, ByteBuffer, JSONValue) and the provider API
// (CustomProvider, CustomEndpoint, CustomRequest, CustomSession, Answer, CustomError).
@_exported import MockLLMCore
@_exported import MockLLMProviders
