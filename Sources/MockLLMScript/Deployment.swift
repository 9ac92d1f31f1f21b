/// `deployments:`: the names a cloud front door serves models under (Azure OpenAI's
/// deployments), each with the model it serves and its own per-minute limits.
///
/// A deployment's limits are counted for everyone who calls it, not per key: Azure assigns a
/// tokens-per-minute quota to a deployment, and every client of the deployment shares it.
package struct Deployment: Sendable {
    /// What a request reserves against the tokens-per-minute limit when it sends no `max_tokens`.
    package static let defaultReservedTokens = 4096

    package let name: String
    /// The model the deployment serves, as the registry resolves it.
    package let model: String
    /// The deployment's tokens-per-minute and requests-per-minute counter; nil when it sets
    /// no limit.
    package let quota: Quota?

    package init(name: String, model: String, quota: Quota? = nil) {
        self.name = name
        self.model = model
        self.quota = quota
    }
}
