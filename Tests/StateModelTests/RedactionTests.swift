import Testing

@testable import StateModel

/// One positive and one near-miss per rule. The positives are assembled from pieces so that the
/// source file itself does not look like a leaked credential to a scanner.
@Suite struct RedactionTests {
    struct Case: Sendable, CustomStringConvertible {
        let rule: String
        let secret: String
        /// Where the secret sits; `{}` stands for it.
        let context: String
        let nearMiss: String
        var description: String { rule }
    }

    static let alnum36 = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"

    static let cases: [Case] = [
        Case(
            rule: "private-key",
            secret: "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEAx0b1c2\nZm9vYmFy\n-----END RSA "
                + "PRIVATE KEY-----",
            context: "deploy key:\n{}\nend",
            nearMiss: "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----"),
        Case(
            rule: "anthropic-api-key", secret: "sk-ant-" + "api03-" + alnum36 + "_-xy",
            context: "ANTHROPIC key {} rotated", nearMiss: "the sk-ant-api03-short prefix is documented"),
        Case(
            rule: "openai-api-key", secret: "sk-" + "proj-" + "Ab12Cd34Ef56Gh78Ij90KlMnOpQrStUv",
            context: "use {} for evals", nearMiss: "sk-learn-compatible-estimators-in-the-pipeline"),
        Case(
            rule: "github-token", secret: "ghp" + "_" + alnum36, context: "GH_TOKEN is {}.",
            nearMiss: "ghp_tooShort123 is not a token"),
        Case(
            rule: "slack-token", secret: "xoxb" + "-123456789012-1234567890123-" + "AbCdEfGhIjKlMnOpQrStUvWx",
            context: "slack bot {}", nearMiss: "xoxo-hugs-and-kisses-from-the-team"),
        Case(
            rule: "stripe-key", secret: "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc",
            context: "stripe: {}", nearMiss: "publishable pk_live_4eC39HqLyjWDarjtT1zdp7dc is public"),
        Case(
            rule: "google-api-key", secret: "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
            context: "maps {} key", nearMiss: "AIzaSyA1b2C3d4E5f6G7 is truncated"),
        Case(
            rule: "aws-access-key", secret: "AKIA" + "IOSFODNN7EXAMPLE", context: "id {} in CI",
            nearMiss: "AKIAiosfodnn7example is not upper case"),
        Case(
            rule: "aws-secret-key", secret: "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY",
            context: "aws_secret_access_key = {}",
            nearMiss: "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}"),
        Case(
            rule: "jwt",
            secret: "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0"
                + ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            context: "cookie={};", nearMiss: "the header eyJhbGciOiJIUzI1NiJ9 alone is not a token"),
        Case(
            rule: "bearer-token", secret: "abc123def456" + "ghi789jkl012",
            context: "Authorization: Bearer {}", nearMiss: "Bearer authentication-middleware is rotated hourly"),
        Case(
            rule: "url-password", secret: "s3cr3t" + "Pass", context: "https://deploy:{}@ci.internal/hooks",
            nearMiss: "https://deploy:${CI_PASSWORD}@ci.internal/hooks and https://example.com:8080/a@b"),
        Case(
            rule: "secret-assignment", secret: "9f8e7d6c" + "5b4a", context: "API_KEY={}",
            nearMiss: "password_min_length = 12345678; password: required; token = os.environ[\"TOKEN\"]"),
        Case(
            rule: "gitlab-token", secret: "glpat" + "-xYz12AbC34dEf56GhI78", context: "GITLAB_TOKEN is {} here",
            nearMiss: "glpat-short and the glpat- prefix alone"),
        Case(
            rule: "npm-token", secret: "npm" + "_" + alnum36, context: "//registry.npmjs.org/:_auth {}",
            nearMiss: "npm_config_cache and npm_package_version are environment names"),
        Case(
            rule: "pypi-token", secret: "pypi-" + "AgEIcHlwaS5vcmc" + String(repeating: "Ab1_", count: 14),
            context: "twine password {}", nearMiss: "pypi-AgEIcHlwaS5vcmc alone is only the prefix"),
        Case(
            rule: "dockerhub-token", secret: "dckr" + "_pat_" + "AbCdEfGhIjKlMnOpQrStUvWx12_",
            context: "docker login -p {}", nearMiss: "dckr_pat_ is Docker Hub's prefix"),
        Case(
            rule: "azure-storage-key", secret: String(repeating: "Ab1+", count: 21) + "xy==",
            context: "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={};EndpointSuffix=core.windows.net",
            nearMiss: "AccountKey=<your key>;AccountName=acct"),
        Case(
            rule: "azure-client-secret", secret: "aB3" + "8Q~" + "AbCdEfGhIjKlMnOpQrStUvWxYz0123_.-",
            context: "AZURE_CLIENT_SECRET {}", nearMiss: "version 8Q~ of the spec, aB38Q~short"),
        Case(
            rule: "gcp-service-account-key", secret: "1a2b3c4d5e6f7a8b9c0d" + "1a2b3c4d5e6f7a8b9c0d",
            context: #"{"type": "service_account", "private_key_id": "{}", "client_email": "x@p.iam"}"#,
            nearMiss: #"{"type": "service_account", "private_key_id": "<key id>"}"#),
        Case(
            rule: "twilio-api-key", secret: "SK" + "0123456789abcdef0123456789ABCDEF", context: "twilio {} key",
            nearMiss: "SKU 0123456789 and SK0123 are product codes"),
        Case(
            rule: "sendgrid-api-key",
            secret: "SG" + ".AbCdEfGhIjKlMnOpQrStUv.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE",
            context: "SENDGRID {}", nearMiss: "SG.Grid layout and SG.1.2 are not keys"),
        Case(
            rule: "mailgun-api-key", secret: "key" + "-0123456789abcdef0123456789abcdef",
            context: "MAILGUN_API_KEY {}", nearMiss: "the key-value store and key-0123 are fine"),
        Case(
            rule: "heroku-api-key", secret: "HRKU" + "-AA" + String(repeating: "Ab1-", count: 14) + "xy",
            context: "heroku auth {}", nearMiss: "HRKU-AA alone is the prefix"),
        Case(
            rule: "huggingface-token", secret: "hf" + "_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh",
            context: "HF_TOKEN {}", nearMiss: "hf_hub_download and hf_transfer are function names"),
        Case(
            rule: "databricks-token", secret: "dapi" + "0123456789abcdef0123456789abcdef",
            context: "DATABRICKS_TOKEN {}", nearMiss: "dapi0123 is too short to be a token"),
        Case(
            rule: "database-url-password", secret: "Sup3r" + "Secret",
            context: "mongodb+srv://app:{}@cluster0.example.net/db",
            nearMiss: "postgres://app:${PGPASSWORD}@db/app and mysql://localhost:3306/app"),
        Case(
            rule: "high-entropy-assignment", secret: "Zq8" + "vR2mK7xLp4NwT9bYc3Hd",
            context: "SIGNING_SALT = {}",
            nearMiss:
                "commit = 3f2a9c1b7e5d4a6f8c0b2e1d9a7c5b3e1f0d2c4a; run_id: 550e8400-e29b-41d4-a716-446655440000; title = TheQuickBrownFoxJumpsOver"
        ),
    ]

    @Test(arguments: cases) func positiveIsRedactedWithItsRule(_ testCase: Case) {
        let input = testCase.context.replacingOccurrences(of: "{}", with: testCase.secret)
        let result = Redaction.redact(input)
        #expect(!result.text.contains(testCase.secret))
        #expect(result.text == input.replacingOccurrences(of: testCase.secret, with: "[REDACTED:\(testCase.rule)]"))
        #expect(result.hits.map(\.rule) == [testCase.rule])
        #expect(result.hits.allSatisfy { !$0.allowed })
    }

    @Test(arguments: cases) func nearMissIsKept(_ testCase: Case) {
        let result = Redaction.redact(testCase.nearMiss)
        #expect(result.text == testCase.nearMiss)
        #expect(result.hits.isEmpty)
    }

    @Test func everyRuleHasACaseAndAUniqueName() {
        let names = Redaction.rules.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(Set(names) == Set(Self.cases.map(\.rule)))
    }

    @Test func otherOpenAIAndAssignmentShapes() {
        let classic = "sk-" + "AbCdEf1234567890AbCdEf1234567890AbCdEf1234567890"
        #expect(Redaction.redact("key \(classic)").text == "key [REDACTED:openai-api-key]")
        let json = #"{"password": "hunter2x"}"#
        #expect(Redaction.redact(json).text == #"{"password": "[REDACTED:secret-assignment]"}"#)
        #expect(Redaction.redact("DB_PASSWORD: Tr0ub4dor&3").text == "DB_PASSWORD: [REDACTED:secret-assignment]")
        #expect(Redaction.redact("max_tokens = 4096, tokenizer: unicode61").hits.isEmpty)
        #expect(Redaction.redact("pin boto3 to 1.26.x until the S3 bug is fixed").hits.isEmpty)
    }

    @Test func pragmaKeepsAFixtureVerbatimAndReportsIt() {
        let key = "AKIA" + "IOSFODNN7EXAMPLE"
        let input = "fixture \(key) # codex-state:allow-secret\nreal \(key)"
        let result = Redaction.redact(input)
        #expect(result.text == "fixture \(key) # codex-state:allow-secret\nreal [REDACTED:aws-access-key]")
        #expect(
            result.hits == [
                .init(rule: "aws-access-key", line: 1, allowed: true), .init(rule: "aws-access-key", line: 2),
            ])
    }

    @Test func redactionIsIdempotentAndReportsLines() {
        let input =
            "a\nAuthorization: Bearer " + "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N"
            + "\nc https://u:p4ssw0rd@h/"
        let once = Redaction.redact(input)
        #expect(once.hits.map(\.rule) == ["jwt", "url-password"])
        #expect(once.hits.map(\.line) == [2, 3])
        let twice = Redaction.redact(once.text)
        #expect(twice.text == once.text)
        #expect(twice.hits.isEmpty)
    }

    @Test func plainTextIsUntouchedAndLargeTextIsHandled() {
        let prose = "We use Postgres 16; cookie sessions were rejected because of CSRF. See ADR-016."
        #expect(Redaction.redact(prose).text == prose)
        let big = String(repeating: "abcdefghij", count: 100_000) + " password=Hunter2Hunter2"
        let result = Redaction.redact(big)
        #expect(result.hits.map(\.rule) == ["secret-assignment"])
        #expect(result.text.hasSuffix("password=[REDACTED:secret-assignment]"))
    }
}
