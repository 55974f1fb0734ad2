/// Words a coding team uses for the same thing, so a question in one set of words finds a memory
/// written in another ("how do we *authenticate*" → "*auth* tokens", "*2FA*" → "*TOTP*"). Only the
/// relaxed pass uses them, and a memory matched only through one counts half (docs/memory.md).
///
/// Groups are general vocabulary of software work (abbreviations, spellings, a category and its
/// common members), not fitted to any corpus.
public enum MemorySynonyms {
    static let groups: [[String]] = [
        ["auth", "authentication", "authenticate", "login", "signin", "sign-in", "logged"],
        ["authorization", "authorize", "permission", "permissions", "rbac", "policy", "policies"],
        ["database", "db", "datastore", "postgres", "postgresql", "mysql", "sqlite", "mongodb", "dynamodb"],
        ["javascript", "js", "node", "nodejs", "node.js", "typescript", "ts"],
        ["npm", "pnpm", "yarn", "package-manager"],
        ["ci", "pipeline", "pipelines", "jenkins", "circleci", "github-actions", "actions"],
        ["test", "tests", "testing", "spec", "specs", "e2e"],
        ["money", "monetary", "currency", "currencies", "amounts", "cents", "price", "prices"],
        ["2fa", "two-factor", "mfa", "totp", "otp"],
        ["restart", "restarting", "crash", "crashes", "crashing", "crashloopbackoff", "panic", "panicked"],
        ["slow", "latency", "p99", "p95", "performance", "perf", "sluggish"],
        ["kubernetes", "k8s", "kubectl", "pod", "pods", "helm"],
        ["env", "environment", "environments"],
        ["config", "configuration", "settings"],
        ["repo", "repository", "repositories", "monorepo"],
        ["deps", "dependency", "dependencies", "package", "packages", "library", "libraries"],
        ["docs", "documentation", "doc", "readme"],
        ["error", "errors", "exception", "exceptions", "failure", "failures"],
        ["image", "images", "picture", "pictures", "photo", "photos"],
        ["api", "endpoint", "endpoints"],
        ["frontend", "front-end", "client", "browser", "web"],
        ["backend", "back-end", "server", "service"],
        ["queue", "queues", "job", "jobs", "worker", "workers", "background"],
        ["cache", "caching", "cached", "memcached", "cdn"],
        ["email", "emails", "mail", "smtp"],
        ["secret", "secrets", "credential", "credentials", "vault"],
        ["deploy", "deploys", "deployment", "deployments", "release", "releases", "rollout"],
        ["log", "logs", "logging", "logger"],
        ["timeout", "timeouts", "deadline", "deadlines"],
        ["flaky", "flake", "intermittent", "intermittently", "random", "randomly", "sometimes"],
        ["experiment", "experiments", "a/b", "ab", "split-test"],
        ["duplicate", "duplicates", "twice", "double", "idempotency", "idempotent"],
        ["notification", "notifications", "push", "apns", "fcm"],
        ["translation", "translations", "i18n", "l10n", "localization", "locale", "locales"],
        ["style", "styles", "styling", "css"],
        ["format", "formatter", "formatting", "lint", "linter", "linting"],
        ["warehouse", "analytics", "bigquery", "redshift", "snowflake"],
        ["version", "versions", "pin", "pinned", "upgrade"],
        ["memory", "oom", "oomkilled", "heap", "leak"],
        ["disk", "storage", "space"],
        ["certificate", "certificates", "cert", "certs", "tls", "ssl", "x509"],
        ["regex", "regexp", "pattern", "patterns"],
        ["message", "messages", "msg"],
        ["user", "users", "customer", "customers", "account", "accounts"],
        ["admin", "administrator", "backoffice", "back-office"],
        ["mobile", "ios", "android"],
        ["region", "regions", "aws", "gcp", "azure", "cloud"],
        ["security", "secure", "secured", "signature", "signed", "hmac"],
    ]

    static let index: [String: [String]] = {
        var out: [String: [String]] = [:]
        for group in groups {
            for word in group {
                out[word, default: []].append(contentsOf: group.filter { $0 != word })
            }
        }
        return out
    }()

    /// The words related to `term` (lower-case), without the term itself.
    public static func related(_ term: String) -> [String] { index[term] ?? [] }
}
