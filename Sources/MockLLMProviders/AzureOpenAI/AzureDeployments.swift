import MockLLMCore
import MockLLMScript

/// Which model an Azure deployment serves, and its tokens-per-minute and requests-per-minute.
extension AzureOpenAI: OpenAIFrontDoor {
    /// The deployment a request names (the path's `{deployment}`, or on `/openai/v1` and
    /// `/openai/responses` the body's `model`) resolved to its model: declared in `deployments:`,
    /// else the model of the same name. With `settings.strict_models`, only declared deployments
    /// exist (another is Azure's `DeploymentNotFound`, as on a resource where nobody created it),
    /// and `max_tokens` above the model's limit is refused as OpenAI refuses it. A deployment with limits reserves the prompt plus
    /// `max_tokens` (or `Deployment.defaultReservedTokens`) against its tokens per minute, and
    /// one request against its requests per minute, before the script answers, as Azure
    /// estimates a request when it arrives; over either, Azure's 429.
    static func admit(
        model: String, maxTokens: Int?, for operation: OpenAIOperation, promptTokens: () -> Int, context: inout ProviderContext
    ) throws(Refusal) -> OpenAIAdmission {
        let name = context.pathParameters["deployment"] ?? model
        let script = context.script
        let declared = script.deployments[name]
        let served = declared?.model ?? name
        var admission = OpenAIAdmission(model: served)
        admission.headers.append(name: AzureErrors.requestIDHeader, value: context.requestID)
        if script.strictModels {
            guard declared != nil else {
                throw refusal(AzureErrors.deploymentNotFound, requestID: context.requestID)
            }
            if operation != .embeddings, let limit = script.models.resolve(served)?.maxOutputTokens, let maxTokens, maxTokens > limit {
                throw refusal(OpenAIErrors.tooManyTokens(maxTokens, limit: limit, field: operation.maxTokensField,
                                                         tokens: operation.limitedTokens), requestID: context.requestID)
            }
        }
        if let quota = declared?.quota {
            let reserved = promptTokens() + (operation == .embeddings ? 0 : maxTokens ?? Deployment.defaultReservedTokens)
            let key = "azure-deployment:" + name
            let (standing, refused) = context.scope?.admit(quota, key: key, promptTokens: reserved, now: context.monotonic)
                ?? quota.admit(key: key, promptTokens: reserved, now: context.monotonic)
            if refused {
                throw refusal(AzureRateLimit.refusal(standing, operation: operation, version: context.pathParameters[AzureAPIVersion.parameter]),
                              requestID: context.requestID)
            }
            AzureRateLimit.appendRemaining(standing, to: &admission.headers)
        }
        return admission
    }

    /// Azure's content-filter results, every category safe.
    static var annotations: OpenAIAnnotations { AzureContentFilter.annotations }

    /// The choice's content-filter results with `category` filtered at high severity.
    static func filteredChoice(category: String) -> [UInt8] { AzureContentFilter.filteredChoice(category: category) }
}
