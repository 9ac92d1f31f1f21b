/// The compile-time table of providers. The router, `/providers` and `/models` are generated
/// from it. The first provider's error shape is used where no provider is addressed.
package let providerTable: [any Provider.Type] = [
    OpenAIChat.self,
    AnthropicMessages.self,
    Ollama.self,
    Gemini.self,
    Vertex.self,
    VertexAnthropic.self,
    AzureOpenAI.self,
    Bedrock.self,
]
