/// Tokens a reply reports in its usage: the prompt read and the completion generated.
package struct TokenUsage: Sendable, Equatable {
    package var prompt: Int
    package var completion: Int

    package init(prompt: Int, completion: Int) {
        self.prompt = prompt
        self.completion = completion
    }
}
