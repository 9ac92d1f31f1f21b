import MockLLMCore

/// Azure OpenAI's `api-version` query parameter, checked as the service checks it: the
/// deployment paths and `/openai/responses` need one of the published data-plane versions
/// (missing: 404 `Resource not found`; another: 400 `API version not supported`); the
/// `/openai/v1` paths need none, and accept `preview` and `latest`.
enum AzureAPIVersion {
    /// The name under which a handler finds the accepted version among the path's parameters.
    static let parameter = "api-version"

    enum Family {
        /// The dated versions of the deployment paths.
        case dated
        /// `/openai/v1`: none, `preview` or `latest`.
        case v1
    }

    /// The published inference versions (Azure OpenAI's REST reference and its changelog), GA
    /// and preview, up to 2025-04-01-preview.
    static let dated: Set<String> = [
        "2022-12-01", "2023-05-15", "2024-02-01", "2024-06-01", "2024-10-21",
        "2023-03-15-preview", "2023-06-01-preview", "2023-07-01-preview", "2023-08-01-preview", "2023-09-01-preview",
        "2023-10-01-preview", "2023-12-01-preview", "2024-02-15-preview", "2024-03-01-preview", "2024-04-01-preview",
        "2024-05-01-preview", "2024-07-01-preview", "2024-08-01-preview", "2024-09-01-preview", "2024-10-01-preview",
        "2024-12-01-preview", "2025-01-01-preview", "2025-02-01-preview", "2025-03-01-preview", "2025-04-01-preview",
    ]

    /// The version `request` asks for, if `family` accepts it ("v1" for a `/openai/v1` request
    /// that names none); else Azure's refusal.
    static func check(_ request: HTTPRequest, _ family: Family, requestID: String) throws(Refusal) -> String {
        let version = QueryParameters(request.query)[parameter]
        switch family {
        case .dated:
            guard let version else { throw AzureOpenAI.refusal(AzureErrors.resourceNotFound, requestID: requestID) }
            guard dated.contains(version) else { throw AzureOpenAI.refusal(AzureErrors.versionNotSupported, requestID: requestID) }
            return version
        case .v1:
            guard let version else { return "v1" }
            guard version == "preview" || version == "latest" else {
                throw AzureOpenAI.refusal(AzureErrors.versionNotSupported, requestID: requestID)
            }
            return version
        }
    }
}
