import Foundation

/// mockllm's own AWS settings, for forwarding Bedrock requests in record mode: the credentials
/// it signs with, a Bedrock API key, and the region to sign for when the upstream's host does not
/// name one. Found where botocore and the AWS CLI look first, read once when the server starts:
///
/// 1. the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`;
/// 2. the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`),
///    section `[PROFILE]`;
/// 3. the config file (`AWS_CONFIG_FILE`, else `~/.aws/config`), section `[profile PROFILE]`
///    (`[default]` for the default profile), whose `region` is also the region after
///    `AWS_REGION` and `AWS_DEFAULT_REGION`.
///
/// PROFILE is `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`, else `default`. Only static keys are
/// read: a profile that gets its credentials by SSO, `credential_process` or `role_arn` is named
/// in `unreadProfile`, so that the server can say how to export them.
package struct AWSEnvironment: Sendable, Equatable {
    package var credentials: AWSCredentials?
    /// Where `credentials` came from, for the server's start line.
    package var credentialsSource = ""
    /// `AWS_BEARER_TOKEN_BEDROCK`: a Bedrock API key.
    package var bearerToken: String?
    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the profile's `region`.
    package var region: String?
    package var regionSource = ""
    /// The profile, when it exists but holds no static keys (SSO, a credential process, a role).
    package var unreadProfile: String?

    package init(credentials: AWSCredentials? = nil, bearerToken: String? = nil, region: String? = nil) {
        self.credentials = credentials
        self.bearerToken = bearerToken
        self.region = region
    }

    /// - Parameter readFile: a file's text, nil when it cannot be read (the real files by default).
    package init(_ environment: [String: String], readFile: (String) -> String? = AWSEnvironment.readFile) {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        bearerToken = value("AWS_BEARER_TOKEN_BEDROCK")
        if let region = value("AWS_REGION") {
            (self.region, regionSource) = (region, "AWS_REGION")
        } else if let region = value("AWS_DEFAULT_REGION") {
            (self.region, regionSource) = (region, "AWS_DEFAULT_REGION")
        }
        if let key = value("AWS_ACCESS_KEY_ID"), let secret = value("AWS_SECRET_ACCESS_KEY") {
            credentials = AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: value("AWS_SESSION_TOKEN"))
            credentialsSource = "the environment"
        }
        let profile = value("AWS_PROFILE") ?? value("AWS_DEFAULT_PROFILE") ?? "default"
        let home = value("HOME") ?? ""
        let credentialsPath = value("AWS_SHARED_CREDENTIALS_FILE") ?? home + "/.aws/credentials"
        let configPath = value("AWS_CONFIG_FILE") ?? home + "/.aws/config"
        let fromCredentials = readFile(credentialsPath).flatMap { AWSSharedFile.section(profile, in: $0) }
        let fromConfig = readFile(configPath).flatMap {
            AWSSharedFile.section("profile " + profile, in: $0) ?? (profile == "default" ? AWSSharedFile.section("default", in: $0) : nil)
        }
        for (section, path) in [(fromCredentials, credentialsPath), (fromConfig, configPath)] where credentials == nil {
            guard let section else { continue }
            if let key = section["aws_access_key_id"], let secret = section["aws_secret_access_key"] {
                credentials = AWSCredentials(accessKeyID: key, secretAccessKey: secret,
                                             sessionToken: section["aws_session_token"] ?? section["aws_security_token"])
                credentialsSource = "profile \(profile) in \(path)"
            } else if ["sso_session", "sso_start_url", "credential_process", "role_arn", "web_identity_token_file"]
                        .contains(where: { section[$0] != nil }) {
                unreadProfile = profile
            }
        }
        if credentials != nil { unreadProfile = nil }
        if region == nil, let region = fromConfig?["region"] {
            (self.region, regionSource) = (region, "profile \(profile) in \(configPath)")
        }
    }

    package static func readFile(_ path: String) -> String? {
        try? String(contentsOfFile: path, encoding: .utf8)
    }
}

/// The INI files of the AWS CLI and SDKs (`~/.aws/credentials`, `~/.aws/config`), as botocore's
/// `raw_config_parse` reads them: `[section]` headers, `key = value` lines, whole-line comments
/// (`#`, `;`); an indented line continues the key before it (nested settings, which mockllm
/// does not need, so they are skipped).
enum AWSSharedFile {
    /// The keys of section `name` (the last section of that name wins, as in botocore), or nil
    /// when the file has none.
    static func section(_ name: String, in text: String) -> [String: String]? {
        var found: [String: String]?
        var inside = false
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { inside = false; continue }
                let header = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                // botocore collapses the space in `[profile  name]`.
                inside = header.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") == name
                if inside { found = [:] }
                continue
            }
            guard inside, let first = raw.first, first != " ", first != "\t", let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if !key.isEmpty, !value.isEmpty { found?[key] = value }
        }
        return found
    }
}
