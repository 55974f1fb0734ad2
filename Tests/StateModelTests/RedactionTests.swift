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
            rule: "url-password", secret: "s3cr3t" + "Pass", context: "postgres://app:{}@db.internal:5432/app",
            nearMiss: "postgres://app:${PGPASSWORD}@db.internal:5432/app and https://example.com:8080/a@b"),
        Case(
            rule: "secret-assignment", secret: "9f8e7d6c" + "5b4a", context: "API_KEY={}",
            nearMiss: "password_min_length = 12345678; password: required; token = os.environ[\"TOKEN\"]"),
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
