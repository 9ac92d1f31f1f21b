@testable import MockLLM
import Testing

/// Where record mode finds its AWS credentials and region: the environment first, then the
/// profile's section of the shared credentials file, then of the config file, as botocore does.
@Suite("AWS credentials and region for record mode")
struct AWSEnvironmentTests {
    static let credentials = """
        # a comment
        [default]
        aws_access_key_id = AKIDDEFAULT
        aws_secret_access_key = default/secret

        [work]
        aws_access_key_id=AKIDWORK
        aws_secret_access_key =  work+secret
        aws_session_token = work-token
        ; another comment
        [sso-only]
        region = eu-west-1
        """
    static let config = """
        [default]
        region = us-east-2
        s3 =
          max_concurrent_requests = 20
        [profile work]
        region = ap-south-1
        [profile sso-only]
        sso_session = corp
        sso_account_id = 111122223333
        region = eu-north-1
        [profile configured]
        aws_access_key_id = AKIDCONFIG
        aws_secret_access_key = config-secret
        """

    func environment(_ variables: [String: String], credentials: String? = Self.credentials,
                     config: String? = Self.config) -> AWSEnvironment {
        AWSEnvironment(variables.merging(["HOME": "/home/u"]) { a, _ in a }) { path in
            switch path {
            case "/home/u/.aws/credentials", "/custom/credentials": credentials
            case "/home/u/.aws/config", "/custom/config": config
            default: nil
            }
        }
    }

    @Test func theDefaultProfile() {
        let aws = environment([:])
        #expect(aws.credentials == AWSCredentials(accessKeyID: "AKIDDEFAULT", secretAccessKey: "default/secret"))
        #expect(aws.credentialsSource == "profile default in /home/u/.aws/credentials")
        #expect(aws.region == "us-east-2", "[default] in the config file")
        #expect(aws.unreadProfile == nil)
    }

    @Test func theEnvironmentComesFirst() {
        let aws = environment(["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env", "AWS_PROFILE": "work",
                               "AWS_REGION": "ca-central-1", "AWS_DEFAULT_REGION": "us-west-1"])
        #expect(aws.credentials == AWSCredentials(accessKeyID: "AKIDENV", secretAccessKey: "env"))
        #expect(aws.credentialsSource == "the environment")
        #expect(aws.region == "ca-central-1" && aws.regionSource == "AWS_REGION")
        #expect(environment(["AWS_DEFAULT_REGION": "us-west-1"]).region == "us-west-1")
        // Half a key pair in the environment is no key pair: the profile's is used.
        #expect(environment(["AWS_ACCESS_KEY_ID": "AKIDENV"]).credentials?.accessKeyID == "AKIDDEFAULT")
    }

    @Test func aNamedProfileWithItsSessionTokenAndRegion() {
        let aws = environment(["AWS_PROFILE": "work"])
        #expect(aws.credentials == AWSCredentials(accessKeyID: "AKIDWORK", secretAccessKey: "work+secret", sessionToken: "work-token"))
        #expect(aws.region == "ap-south-1" && aws.regionSource == "profile work in /home/u/.aws/config")
        #expect(environment(["AWS_DEFAULT_PROFILE": "work"]).credentials?.accessKeyID == "AKIDWORK", "the older variable")
        #expect(environment(["AWS_PROFILE": "absent"]).credentials == nil)
    }

    @Test func keysInTheConfigFileAndFilesElsewhere() {
        #expect(environment(["AWS_PROFILE": "configured"]).credentials?.accessKeyID == "AKIDCONFIG")
        let moved = environment(["AWS_SHARED_CREDENTIALS_FILE": "/custom/credentials", "AWS_CONFIG_FILE": "/custom/config",
                                 "AWS_PROFILE": "work"])
        #expect(moved.credentialsSource == "profile work in /custom/credentials")
        #expect(environment([:], credentials: nil, config: nil).credentials == nil)
    }

    @Test func aProfileThatNeedsSSOIsNamed() {
        let aws = environment(["AWS_PROFILE": "sso-only"])
        #expect(aws.credentials == nil)
        #expect(aws.unreadProfile == "sso-only")
        #expect(aws.region == "eu-north-1", "the config file's region, not the credentials file's")
        let line = BedrockUpstream.describe(aws, upstream: "http://127.0.0.1:9")
        #expect(line.contains("aws configure export-credentials --profile sso-only --format env"), "\(line)")
    }

    @Test func theFileFormat() {
        let text = "[a]\r\nk = 1\r\n  nested = 2\r\n[ profile  b ]\nk=3\n[a]\nj = 4\n[broken\nk = 5\n"
        #expect(AWSSharedFile.section("a", in: text) == ["j": "4"], "the last section of a name wins; CRLF lines")
        #expect(AWSSharedFile.section("profile b", in: text) == ["k": "3"])
        #expect(AWSSharedFile.section("c", in: text) == nil)
    }
}
