/// The script served when no file is named and there is no ./responses.yml: the same text as
/// the bundled `config/responses.yml` (a unit test keeps the two identical).
package enum EmbeddedScript {
    package static let origin = "embedded default script (no responses.yml found; pass --responses FILE)"

    package static let yaml = #"""
# mockllm script: the answers the mock gives, in the original mockllm's format.
#
# The prompt is the text of the LAST message whose role is "user". It is matched exactly
# (case- and whitespace-sensitive) against the keys under `responses`; when nothing matches,
# `defaults.unknown_response` is the reply. The model in the request is echoed back as sent.
# Full reference: docs/CONFIG.md.

responses:
  # The original mockllm's examples.
  "what colour is the sky?": "The sky is blue during a clear day due to a phenomenon called Rayleigh scattering."
  "what is the meaning of life?": "According to the Hitchhiker's Guide to the Galaxy, the answer is 42."
  "What is the capital of France?": "Paris is the capital of France."
  "hello": "Hello! How can I help you today?"
  # Handy for checking a client end to end.
  "ping": "pong"
  "Say this is a test": "This is a test."
  "Write a haiku about mock servers": |-
    Fake tokens trickle,
    deterministic and fast:
    tests pass every time.

# One model served by a simulated vLLM engine, so `scripts/serve` shows a real vLLM twin:
# continuous batching, a KV cache and a waiting queue, vLLM's metrics on /metrics moving with
# load, /tokenize and vLLM's error shape (docs/LOAD-SIMULATION.md, docs/PROTOCOLS.md). Its
# timing is the engine's (a Llama 3 8B on one H100 in FP8, fitted to measured NIM tables); the
# other models keep the plain pacing above.
engines:
  h100:
    profile: llama-3-8b-1xh100-fp8-nim
models:
  - {id: meta-llama/Llama-3.1-8B-Instruct, provider: openai, engine: h100, aliases: [llama-3.1-8b]}

defaults:
  unknown_response: "I don't know the answer to that. This is a mock response."

settings:
  # Simulated latency, with the original's formulas: a non-stream reply waits
  # len(reply) / (lag_factor * 10) seconds; a stream waits about 1 / (lag_factor * 10) seconds
  # before each character. Higher lag_factor is faster.
  lag_enabled: false
  lag_factor: 10
  # A request that offers tools and matches no response gets what a model would do next: a call
  # to the tools its prompt asks for, with arguments taken from the prompt and valid against the
  # tools' JSON Schemas; once the tools have answered, JSON in the requested format, a call to an
  # agent's output tool, or a text reply reporting the results (docs/CONFIG.md#automatic-mode).
  auto_tools: true
"""#

    package static func load(providers: ProviderCatalog) -> Script {
        do {
            return try ScriptLoader.parse(yaml: yaml, file: "<embedded>", providers: providers).script.describedAs(origin)
        } catch {
            preconditionFailure("the embedded script is invalid: \(error)")
        }
    }
}
