import MockLLMCore
import MockLLMScript

/// Azure OpenAI's errors. What the model behind a deployment refuses (a bad body, a context too
/// long) comes in OpenAI's envelope; what Azure's gateway refuses (a key, a deployment, an
/// api-version, a rate limit) comes as `{"error":{"code":"...","message":"..."}}`, the code a
/// name (`DeploymentNotFound`) or the status (`"401"`); a content-filter refusal is OpenAI's
/// envelope with `status` and Azure's `innererror` (`AzureContentFilter`).
enum AzureErrors {
    /// Azure's request id, beside OpenAI's `x-request-id` on every reply.
    static let requestIDHeader = "apim-request-id"

    /// The codes of the gateway's errors, which take the gateway's shape.
    static let gatewayCodes: Set<String> = ["401", "404", "429", "DeploymentNotFound", "BadRequest"]

    /// A gateway error.
    static func gateway(status: Int, code: String, message: String, headers: HTTPFields = HTTPFields()) -> APIError {
        let kind: APIError.Kind = switch status {
        case 401: .authentication
        case 404: .notFound
        case 429: .rateLimit
        default: .invalidRequest
        }
        return APIError(status: status, kind: kind, message: message, code: code, headers: headers)
    }

    /// `--api-key` refused: no key, or another one.
    static func accessDenied(given: Bool) -> APIError {
        gateway(status: 401, code: "401", message: given
            ? "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource."
            : "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.")
    }

    /// A deployment the resource does not have.
    static let deploymentNotFound = gateway(
        status: 404, code: "DeploymentNotFound",
        message: "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.")

    /// A deployment path without `api-version`.
    static let resourceNotFound = gateway(status: 404, code: "404", message: "Resource not found")

    /// An `api-version` the service does not have.
    static let versionNotSupported = gateway(status: 400, code: "BadRequest", message: "API version not supported")

    static func reply(_ error: APIError, requestID: String) -> Reply {
        var error = error
        if error.statusOnly { reword(&error) }
        let reply: Reply
        if error.code == AzureContentFilter.code {
            reply = Reply.json(error.status, AzureContentFilter.refusalBody(error), headers: error.headers)
        } else if let code = error.code, gatewayCodes.contains(code) {
            var out = ByteBuffer()
            out.append(ascii: "{\"error\":{\"code\":")
            out.append(jsonString: code)
            out.append(ascii: ",\"message\":")
            out.append(jsonString: error.message)
            out.append(ascii: "}}")
            reply = Reply.json(error.status, out, headers: error.headers)
        } else {
            return OpenAIErrors.reply(error, requestID: requestID).adding(header: requestIDHeader, requestID)
        }
        return reply.adding(header: OpenAIErrors.requestIDHeader, requestID).adding(header: requestIDHeader, requestID)
    }

    /// A fault that gave only its status, in the gateway's words for the statuses it answers.
    private static func reword(_ error: inout APIError) {
        let headers = error.headers
        switch error.status {
        case 401: error = accessDenied(given: true)
        case 404: error = deploymentNotFound
        case 429:
            error = gateway(status: 429, code: "429",
                            message: "Requests to the ChatCompletions_Create Operation under Azure OpenAI API have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 1 second. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.")
        default: return
        }
        error.headers = headers
    }
}
