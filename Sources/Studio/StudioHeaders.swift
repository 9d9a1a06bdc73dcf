/// The headers the studio is served with. The page runs only its own scripts; the preview
/// frame (`srcdoc`, sandboxed without scripts or same origin) inherits this policy, and email
/// HTML is styled inline, so styles may be inline while scripts may not.
public enum StudioHeaders {
    public static let contentSecurityPolicy = [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "connect-src 'self'",
        "img-src 'self' data: https:",
        "frame-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ].joined(separator: "; ")

    static let common: [(String, String)] = [
        ("Content-Security-Policy", contentSecurityPolicy),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]

    /// The shell: revalidated every time, so a new deploy's asset hash is picked up at once.
    public static let shell = common + [("Cache-Control", "no-cache")]
    /// Assets: their path carries their content hash, so they never change.
    public static let asset = common + [("Cache-Control", "public, max-age=31536000, immutable")]
}
