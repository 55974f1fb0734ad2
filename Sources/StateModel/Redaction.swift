import Foundation

/// Secret redaction: pure text in, text out, with the name of every rule that fired.
///
/// Every write path (task and memory text, notes, sessions, imported Codex rollouts, the journal,
/// the index, MCP answers) passes user text through `Redaction.redact(_:)` before it is stored.
/// A secret is replaced by a marker naming the rule that found it, `[REDACTED:aws-access-key]`,
/// so a reader knows something was there and why it is gone; the secret itself is never kept,
/// not even in a hit.
///
/// Rules run in a fixed order (most specific first), so `sk-ant-…` is reported as an Anthropic
/// key and not an OpenAI one, and a marker is never matched again: `redact` is idempotent.
///
/// **Storing a fixture that looks like a secret.** Put `codex-state:allow-secret` anywhere on the
/// line (for a private-key block: on its `BEGIN` line); matches on that line are kept verbatim and
/// reported as hits with `allowed == true`. That is the one explicit way: nothing is exempt by
/// looking like an example.
public enum Redaction {
    /// The pragma that keeps a line's would-be secrets verbatim (test fixtures, documentation).
    public static let allowPragma = "codex-state:allow-secret"

    /// One rule that fired: which rule, on which line (1-based, of the redacted text), and whether the
    /// line's `allowPragma` kept the text. It never carries the secret.
    public struct RuleHit: Codable, Hashable, Sendable {
        public var rule: String
        public var line: Int
        public var allowed: Bool

        public init(rule: String, line: Int, allowed: Bool = false) {
            self.rule = rule
            self.line = line
            self.allowed = allowed
        }
    }

    /// A named rule, for documentation and `--json` listings.
    public struct Rule: Sendable {
        /// The name used in the marker: `[REDACTED:<name>]`.
        public let name: String
        /// What it finds, in one line.
        public let summary: String
        fileprivate let pattern: NSRegularExpression
        /// The capture group holding the secret (0: the whole match).
        fileprivate let secretGroup: Int
        /// A last check on the secret (placeholders, prose words): false keeps the text.
        fileprivate let accepts: @Sendable (String) -> Bool
        /// Literals a match always contains (lower-case ASCII): the rule runs only on text that
        /// holds one of them. Empty: it always runs.
        fileprivate let keywords: [[UInt8]]
    }

    /// Each rule's literals (``Rule/keywords``), by name; checked against the text lower-cased.
    static let keywords: [String: [String]] = [
        "private-key": ["private key"], "anthropic-api-key": ["sk-ant-"], "openai-api-key": ["sk-"],
        "github-token": ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        "slack-token": ["xox", "xapp-", "hooks.slack.com"], "stripe-key": ["k_live_", "k_test_"],
        "google-api-key": ["aiza"],
        "aws-access-key": ["akia", "asia", "abia", "acca", "agpa", "aida", "aroa", "anpa", "anva", "aipa"],
        "aws-secret-key": ["secret"], "jwt": ["eyj"], "bearer-token": ["bearer"],
        "gitlab-token": [
            "glpat-", "gldt-", "glptt-", "glrt-", "glft-", "glimt-", "gloas-", "glsoat-", "glagent-", "glffct-",
            "glcbt-",
            "gr1348941",
        ],
        "npm-token": ["npm_"], "pypi-token": ["pypi-"], "dockerhub-token": ["dckr_"],
        "azure-storage-key": ["accountkey"],
        "azure-client-secret": ["q~"], "gcp-service-account-key": ["private_key_id"], "twilio-api-key": ["sk"],
        "sendgrid-api-key": ["sg."], "mailgun-api-key": ["key-"], "heroku-api-key": ["hrku-", "heroku"],
        "huggingface-token": ["hf_", "api_org_"], "databricks-token": ["dapi"], "database-url-password": ["://"],
        "url-password": ["://"],
        "secret-assignment": ["key", "token", "secret", "passwd", "password", "pwd", "credential"],
        "high-entropy-assignment": ["=", ":"],
    ]

    /// The marker that replaces a secret found by `rule`.
    public static func marker(_ rule: String) -> String { "[REDACTED:\(rule)]" }

    /// Redacts every secret in `text`. The result is `text` unchanged when no rule fired.
    public static func redact(_ text: String) -> (text: String, hits: [RuleHit]) {
        guard !text.isEmpty, mayHoldSecret(text) else { return (text, []) }
        var current = text as NSString
        var found: [(location: Int, hit: RuleHit)] = []
        // Keywords are looked for once, in the original text: replacing a secret only removes
        // text (a marker it adds is never matched again, whatever words it holds).
        let lower = text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        for rule in rules where rule.keywords.isEmpty || rule.keywords.contains(where: { occurs($0, in: lower) }) {
            let matches = rule.pattern.matches(
                in: current as String, range: NSRange(location: 0, length: current.length))
            guard !matches.isEmpty else { continue }
            let mutable = NSMutableString(string: current as String)
            let newlines = newlineLocations(in: current)
            // Right to left, so earlier ranges stay valid while replacing.
            for match in matches.reversed() {
                let range = match.range(at: rule.secretGroup)
                guard range.location != NSNotFound, range.length > 0 else { continue }
                let secret = current.substring(with: range)
                guard rule.accepts(secret) else { continue }
                let lineRange = current.lineRange(for: NSRange(location: match.range.location, length: 0))
                let allowed = current.substring(with: lineRange).contains(allowPragma)
                let line = lineNumber(of: match.range.location, newlines: newlines)
                found.append((match.range.location, RuleHit(rule: rule.name, line: line, allowed: allowed)))
                if !allowed { mutable.replaceCharacters(in: range, with: marker(rule.name)) }
            }
            current = mutable
        }
        guard !found.isEmpty else { return (text, []) }
        // Only private-key blocks span lines and they run first, so every line number is one of
        // the redacted text (the input's, unless a key block above it was collapsed).
        let hits = found.sorted { ($0.hit.line, $0.location) < ($1.hit.line, $1.location) }.map(\.hit)
        return (current as String, hits)
    }

    /// Whether `needle` occurs in `haystack` (a plain scan: keywords are a few bytes).
    static func occurs(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
        guard let first = needle.first, needle.count <= haystack.count else { return needle.isEmpty }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count, haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return true }
            }
            i += 1
        }
        return false
    }

    /// A cheap first look, one pass over the bytes: every rule needs a run of at least 16 token
    /// characters (every token format, a key block's base64), a URL with a user part (`://` and
    /// `@`), or an assignment (`=` or `:`, then up to six spaces or quotes, then a value of six or
    /// more characters). Names, labels, words and times (`2026-01-15T09:00:00Z`) have none and
    /// skip the rules; ``RedactionTests`` holds every rule's positive case to this.
    static func mayHoldSecret(_ text: String) -> Bool {
        var run = 0
        var sawScheme = false
        var sawAt = false
        var afterAssignment = -1  // bytes skipped since an `=` or `:`, -1 when not after one
        var value = 0
        var previous: UInt8 = 0
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+"),
                UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: "~"):
                run += 1
                if run >= 16 { return true }
                if afterAssignment >= 0 {
                    value += 1
                    if value >= 6 { return true }
                }
                if b == UInt8(ascii: "/"), previous == UInt8(ascii: "/") { sawScheme = true }
            case UInt8(ascii: "="), UInt8(ascii: ":"):
                run = 0
                afterAssignment = 0
                value = 0
            case UInt8(ascii: "@"):
                run = 0
                sawAt = true
                afterAssignment = -1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"),
                UInt8(ascii: ">"):
                run = 0
                if afterAssignment >= 0, value == 0 {
                    afterAssignment += 1
                    if afterAssignment > 6 { afterAssignment = -1 }
                } else {
                    afterAssignment = -1
                }
            default:
                run = 0
                if afterAssignment >= 0 { value += 1 }
                if value >= 6 { return true }
            }
            previous = b
        }
        return sawScheme && sawAt
    }

    private static func newlineLocations(in text: NSString) -> [Int] {
        var locations: [Int] = []
        for index in 0..<text.length where text.character(at: index) == unichar(10) {
            locations.append(index)
        }
        return locations
    }

    /// 1 + the number of newlines before `location` (binary search in the sorted locations).
    private static func lineNumber(of location: Int, newlines: [Int]) -> Int {
        var low = 0
        var high = newlines.count
        while low < high {
            let mid = (low + high) / 2
            if newlines[mid] < location { low = mid + 1 } else { high = mid }
        }
        return low + 1
    }

    /// The rules, in the order they run.
    public static let rules: [Rule] = [
        rule(
            "private-key", "PEM private-key blocks (RSA, EC, OpenSSH, PGP, PKCS#8, encrypted)",
            #"-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,65536}?-----END[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----"#
        ),
        rule(
            "anthropic-api-key", "Anthropic API and admin keys (sk-ant-api03-…, sk-ant-admin01-…)",
            #"(?<![A-Za-z0-9_-])sk-ant-[a-z]{3,8}[0-9]{2}-[A-Za-z0-9_-]{20,}+"#
        ),
        rule(
            "openai-api-key", "OpenAI keys (sk-…, sk-proj-…, sk-svcacct-…, sk-admin-…)",
            #"(?<![A-Za-z0-9_-])sk-(?:proj-|svcacct-|admin-)?(?=[A-Za-z0-9_-]{0,200}[0-9])(?=[A-Za-z0-9_-]{0,200}[A-Z])[A-Za-z0-9_-]{20,}+"#
        ),
        rule(
            "github-token", "GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)",
            #"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,}+|github_pat_[A-Za-z0-9_]{50,}+)"#
        ),
        rule(
            "slack-token", "Slack tokens (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xapp-) and webhook URLs",
            #"(?<![A-Za-z0-9_-])(?:xox[abposr]-[0-9]{6,}-[A-Za-z0-9-]{8,}+|xapp-[0-9]-[A-Za-z0-9-]{20,}+|https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20,}+)"#
        ),
        rule(
            "stripe-key", "Stripe secret and restricted keys (sk_live_, sk_test_, rk_live_, rk_test_)",
            #"(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[A-Za-z0-9]{16,}+"#
        ),
        rule(
            "google-api-key", "Google API keys (AIza…, 39 characters)",
            #"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"#
        ),
        rule(
            "aws-access-key", "AWS access key ids (AKIA…, ASIA…, 20 characters)",
            #"(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z2-7]{16}(?![A-Za-z0-9])"#
        ),
        rule(
            "aws-secret-key", "AWS secret access keys in an assignment (aws_secret_access_key = …)",
            #"(?i)aws_?secret(?:_?access)?_?key["']?\s{0,5}[:=]\s{0,5}["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"#,
            group: 1
        ),
        rule(
            "jwt", "JSON Web Tokens (three base64url parts, the first two starting eyJ)",
            #"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}+\.eyJ[A-Za-z0-9_-]{8,}+\.[A-Za-z0-9_-]{8,}+"#
        ),
        rule(
            "bearer-token", "Bearer tokens (Authorization: Bearer …)",
            #"(?i)\bbearer\s{1,5}([A-Za-z0-9._~+/-]{16,}+=*)"#, group: 1,
            accepts: { secret in secret.contains(where: \.isNumber) }
        ),
        rule(
            "gitlab-token",
            "GitLab tokens (glpat-, gldt-, glptt-, glrt-, glft-, glimt-, gloas-, glsoat-, glcbt-, glagent-; GR1348941 runner registration)",
            #"(?<![A-Za-z0-9_])(?:gl(?:pat|dt|ptt|rt|ft|imt|oas|soat|agent|ffct)-[0-9A-Za-z_-]{20,}+|glcbt-[0-9A-Za-z]{1,5}_[0-9A-Za-z_-]{20,}+|GR1348941[0-9A-Za-z_-]{20,}+)"#
        ),
        rule(
            "npm-token", "npm access tokens (npm_ and 36 characters)",
            #"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])"#
        ),
        rule(
            "pypi-token", "PyPI and TestPyPI upload tokens (pypi-AgEIcHlwaS5vcmc…)",
            #"(?<![A-Za-z0-9_-])pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,}+"#
        ),
        rule(
            "dockerhub-token", "Docker Hub personal and organisation access tokens (dckr_pat_, dckr_oat_)",
            #"(?<![A-Za-z0-9_])dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,}+"#
        ),
        rule(
            "azure-storage-key", "Azure storage account keys in a connection string (AccountKey=…)",
            #"(?i:AccountKey)\s{0,3}=\s{0,3}([A-Za-z0-9+/]{86}==)"#, group: 1
        ),
        rule(
            "azure-client-secret", "Azure AD (Entra ID) client secrets (…8Q~…)",
            #"(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])"#
        ),
        rule(
            "gcp-service-account-key",
            "Google Cloud service-account key ids (\"private_key_id\": …; the key itself is a private-key block)",
            #""private_key_id"\s{0,5}:\s{0,5}"([0-9a-f]{40})""#, group: 1
        ),
        rule(
            "twilio-api-key", "Twilio API key SIDs with their secret's shape (SK and 32 hex digits)",
            #"(?<![A-Za-z0-9])SK[0-9a-fA-F]{32}(?![A-Za-z0-9])"#
        ),
        rule(
            "sendgrid-api-key", "SendGrid API keys (SG.<22>.<43>)",
            #"(?<![A-Za-z0-9_-])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])"#
        ),
        rule(
            "mailgun-api-key", "Mailgun private API keys (key- and 32 hex digits)",
            #"(?<![A-Za-z0-9_-])key-[0-9a-f]{32}(?![A-Za-z0-9])"#
        ),
        rule(
            "heroku-api-key", "Heroku API keys (HRKU-AA…, and a UUID assigned to a heroku setting)",
            #"(?<![A-Za-z0-9_-])HRKU-AA[0-9A-Za-z_-]{58}(?![A-Za-z0-9_-])|(?i:heroku)[A-Za-z0-9_.-]{0,20}["']?\s{0,3}[:=]\s{0,3}["']?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"#
        ),
        rule(
            "huggingface-token", "Hugging Face access tokens (hf_ and 34 letters; api_org_)",
            #"(?<![A-Za-z0-9_])(?:hf|api_org)_[A-Za-z]{34}(?![A-Za-z0-9])"#
        ),
        rule(
            "databricks-token", "Databricks personal access tokens (dapi and 32 hex digits)",
            #"(?<![A-Za-z0-9_])dapi[0-9a-f]{32}(?:-[0-9])?(?![A-Za-z0-9])"#
        ),
        rule(
            "database-url-password",
            "Passwords in database URLs (postgres, mysql, mariadb, mongodb(+srv), redis, amqp, mssql)",
            #"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver)://[^\s/:@]{0,256}:([^\s/@]{1,256})@"#,
            group: 1, accepts: { !isPlaceholder($0) }
        ),
        rule(
            "url-password", "Passwords in URLs (scheme://user:password@host)",
            #"\b[A-Za-z][A-Za-z0-9+.-]{0,30}://[^\s/:@]{1,256}:([^\s/@]{1,256})@"#, group: 1,
            accepts: { !isPlaceholder($0) }
        ),
        rule(
            "secret-assignment",
            "api_key, token, secret, password (and the like) assigned a literal value",
            #"(?i)\b[A-Za-z0-9_.-]{0,40}(?:api[_-]?key|apikey|access[_-]?key|auth[_-]?token|token|secret|passwd|password|pwd|credentials?)["']?\s{0,5}(?::=|=>|=|:)\s{0,5}["']?([^\s"',;`]{6,256})"#,
            group: 1,
            accepts: { looksLikeSecretValue($0) }
        ),
        rule(
            "high-entropy-assignment",
            "Any name assigned a random-looking value (20+ characters, letters of both cases and digits, 4+ bits of entropy per character)",
            #"(?<![A-Za-z0-9_])[A-Za-z_][A-Za-z0-9_.-]{0,40}["']?\s{0,3}(?::=|=>|=|:)\s{0,3}["']?([A-Za-z0-9+/=_.~-]{20,256})"#,
            group: 1, accepts: { looksRandom($0) }
        ),
    ]

    private static func rule(
        _ name: String, _ summary: String, _ pattern: String, group: Int = 0,
        accepts: @escaping @Sendable (String) -> Bool = { _ in true }
    ) -> Rule {
        do {
            return Rule(
                name: name, summary: summary, pattern: try NSRegularExpression(pattern: pattern),
                secretGroup: group, accepts: accepts, keywords: (keywords[name] ?? []).map { Array($0.utf8) })
        } catch {
            // The patterns are constants checked by the tests; a bad one is a programming error.
            preconditionFailure("redaction rule \(name) does not compile: \(error)")
        }
    }

    /// A value with the look of a generated secret: mixed-case letters and digits, and at least
    /// 4 bits of Shannon entropy per character (hex digits, UUIDs and words stay below).
    static func looksRandom(_ value: String) -> Bool {
        if value.hasPrefix("/") || value.contains("//") || isPlaceholder(value) { return false }
        let scalars = Array(value.unicodeScalars)
        guard scalars.contains(where: { $0.properties.isUppercase }),
            scalars.contains(where: { $0.properties.isLowercase }),
            scalars.contains(where: { $0 >= "0" && $0 <= "9" })
        else { return false }
        var counts: [Unicode.Scalar: Int] = [:]
        for u in scalars { counts[u, default: 0] += 1 }
        let n = Double(scalars.count)
        let entropy = counts.values.reduce(0.0) { sum, c in
            let p = Double(c) / n
            return sum - p * log2(p)
        }
        return entropy >= 4.0
    }

    /// `${VAR}`, `$VAR`, `<your-token>`, `***`, `xxxx`, `%(password)s`: names of a secret, not secrets.
    static func isPlaceholder(_ value: String) -> Bool {
        if value.hasPrefix("$") || value.hasPrefix("<") || value.hasPrefix("{{") || value.hasPrefix("%(")
            || value.hasPrefix("[REDACTED")
        {
            return true
        }
        let distinct = Set(value.lowercased())
        return distinct.count <= 1 || distinct == ["x", "-"] || distinct == ["*"]
    }

    /// A value assigned to `password =` and the like: a secret only when it is not a placeholder,
    /// not a plain word ("required", "per-session"), not a number alone and not a code reference
    /// (`os.environ[...]`, `process.env.TOKEN`, a call).
    static func looksLikeSecretValue(_ value: String) -> Bool {
        if isPlaceholder(value) { return false }
        if value.contains("(") || value.contains("[") || value.hasPrefix("process.env")
            || value.hasPrefix("os.environ") || value.hasPrefix("env.")
        {
            return false
        }
        let lower = value.lowercased()
        if ["true", "false", "null", "none", "undefined", "required", "optional"].contains(lower) { return false }
        if value.allSatisfy({ $0.isNumber }) { return false }
        let hasDigit = value.contains(where: \.isNumber)
        let hasSymbol = value.contains { !$0.isLetter && !$0.isNumber && !"-_.".contains($0) }
        let hasInnerUpper = value.dropFirst().contains(where: \.isUppercase)
        return hasDigit || hasSymbol || hasInnerUpper
    }
}
