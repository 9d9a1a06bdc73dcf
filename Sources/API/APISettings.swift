/// What the API takes from Herald's configuration besides the store: read
/// once at start-up (HeraldCore's `Configuration`) and handed in, so no
/// route reads the environment.
public struct APISettings: Sendable {
    /// Where uploaded bytes live (`HERALD_DATA_DIR`).
    public var media: MediaStorage
    /// The resolver domain verification asks (`HERALD_DNS_RESOLVER`: `host`,
    /// `host:port` or `[v6]:port`); nil uses the first nameserver of /etc/resolv.conf.
    public var dnsResolver: String?

    public init(media: MediaStorage = MediaStorage(root: ".herald/data"), dnsResolver: String? = nil) {
        self.media = media
        self.dnsResolver = dnsResolver
    }
}
