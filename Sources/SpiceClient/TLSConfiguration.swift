import SpiceWire

/// Which channels are opened on the TLS port from the start (remote-viewer's `secure-channels`).
///
/// A channel outside the set still goes over TLS when the server answers its plain link with
/// `NEED_SECURED`, or when no plain port is configured.
public enum SecureChannels: Equatable, Sendable, CustomStringConvertible {
    /// None: only `NEED_SECURED` (or a missing plain port) moves a channel to TLS.
    case none
    /// Every channel.
    case all
    /// These channel types.
    case only(Set<ChannelType>)

    public func contains(_ type: ChannelType) -> Bool {
        switch self {
        case .none: false
        case .all: true
        case .only(let types): types.contains(type)
        }
    }

    /// Parses remote-viewer's syntax: `all`, or channel names separated by commas
    /// (`main,display,inputs,cursor,playback,record,smartcard,usbredir,port,webdav`).
    public init(parsing text: String) throws(SpiceClientError) {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.filter { $0 != " " } }
        if names == ["all"] {
            self = .all
            return
        }
        var types: Set<ChannelType> = []
        for name in names {
            guard let type = (1...11).map({ ChannelType(rawValue: UInt8($0)) }).first(where: { "\($0.name)" == name }), type != .tunnel else {
                throw SpiceClientError(.invalidConfiguration,
                                       "unknown channel '\(name)' in secure channels (all, or a list of main, display, inputs, cursor, playback, record, smartcard, usbredir, port, webdav)")
            }
            types.insert(type)
        }
        self = .only(types)
    }

    public var description: String {
        switch self {
        case .none: "none"
        case .all: "all"
        case .only(let types): types.sorted { $0.rawValue < $1.rawValue }.map { "\($0.name)" }.joined(separator: ",")
        }
    }
}

/// The expected subject of the server's certificate, in virt-viewer's syntax: `C=XX,O=Org,CN=host`
/// (`host-subject` in a .vv file, spice-gtk's `cert-subject`).
///
/// Entries are `key=value` pairs separated by commas; a backslash makes the next character literal
/// (`O=Acme\, Inc.`). Keys are X.509 attribute names (short like `CN` or long like `commonName`);
/// spaces before a key are ignored. The certificate must carry exactly these attributes, in any order.
public struct HostSubject: Equatable, Sendable, CustomStringConvertible {
    public struct Entry: Equatable, Sendable {
        public var key: String
        public var value: String

        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// A longer subject is certainly a mistake; it also bounds the work of the comparison.
    public static let maxLength = 4096

    public let entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    public init(parsing text: String) throws(SpiceClientError) {
        guard text.utf8.count <= Self.maxLength else {
            throw SpiceClientError(.invalidConfiguration, "the host subject is longer than \(Self.maxLength) bytes")
        }
        var entries: [Entry] = []
        var key = ""
        var value = ""
        var inValue = false
        var escaped = false
        func finish() throws(SpiceClientError) {
            let name = String(key.drop { $0 == " " || $0 == "\t" })
            guard inValue else {
                throw SpiceClientError(.invalidConfiguration, "host subject entry '\(name)' has no '=' (expected KEY=VALUE,KEY=VALUE, e.g. O=Example,CN=host)")
            }
            guard !name.isEmpty else {
                throw SpiceClientError(.invalidConfiguration, "host subject entry '=\(value)' has no key")
            }
            entries.append(Entry(key: name, value: value))
            key = ""
            value = ""
            inValue = false
        }
        for character in text {
            if escaped {
                if inValue { value.append(character) } else { key.append(character) }
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "," {
                try finish()
            } else if character == "=" && !inValue {
                inValue = true
            } else if inValue {
                value.append(character)
            } else {
                key.append(character)
            }
        }
        guard !escaped else {
            throw SpiceClientError(.invalidConfiguration, "the host subject ends with a lone backslash")
        }
        if !text.isEmpty { try finish() }
        guard !entries.isEmpty else {
            throw SpiceClientError(.invalidConfiguration, "the host subject is empty")
        }
        self.entries = entries
    }

    /// The subject in the same syntax, with `,`, `=` and `\` escaped.
    public var description: String {
        func escape(_ text: String) -> String {
            var out = ""
            for character in text {
                if character == "," || character == "\\" || character == "=" { out.append("\\") }
                out.append(character)
            }
            return out
        }
        return self.entries.map { "\(escape($0.key))=\(escape($0.value))" }.joined(separator: ",")
    }
}

/// A server address as remote-viewer takes it: `spice://HOST[:PORT][?port=P&tls-port=T]`.
///
/// IPv6 literals go in brackets (`spice://[::1]:5900`). With neither port given, the plain port is 5900.
public struct SpiceURI: Equatable, Sendable {
    public var host: String
    /// The plain port, or nil for TLS only.
    public var port: UInt16?
    public var tlsPort: UInt16?

    public init(host: String, port: UInt16?, tlsPort: UInt16?) {
        self.host = host
        self.port = port
        self.tlsPort = tlsPort
    }

    public init(parsing text: String) throws(SpiceClientError) {
        guard text.hasPrefix("spice://") else {
            throw SpiceClientError(.invalidConfiguration, "'\(text)' is not a spice:// URI")
        }
        var rest = Substring(text.dropFirst("spice://".count))
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        // A trailing slash is allowed (spice://host:5900/?tls-port=5901); a path is not.
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains("/") else {
            throw SpiceClientError(.invalidConfiguration, "a spice:// URI has no path: '\(text)'")
        }
        var host = rest
        var authorityPort: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                throw SpiceClientError(.invalidConfiguration, "unclosed '[' in '\(text)'")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") {
                authorityPort = after.dropFirst()
            } else if !after.isEmpty {
                throw SpiceClientError(.invalidConfiguration, "unexpected '\(after)' after the address in '\(text)'")
            }
        } else if let colon = rest.firstIndex(of: ":") {
            host = rest[..<colon]
            authorityPort = rest[rest.index(after: colon)...]
        }
        guard !host.isEmpty else {
            throw SpiceClientError(.invalidConfiguration, "no host in '\(text)'")
        }
        var port = try authorityPort.map { text throws(SpiceClientError) in try Self.port(text, "port") }
        var tlsPort: UInt16?
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0]
            let value = parts.count > 1 ? parts[1] : ""
            switch name {
            case "port":
                let parsed = try Self.port(value, "port")
                if let port, port != parsed {
                    throw SpiceClientError(.invalidConfiguration, "'\(text)' gives two different plain ports")
                }
                port = parsed
            case "tls-port":
                tlsPort = try Self.port(value, "tls-port")
            default:
                throw SpiceClientError(.invalidConfiguration, "unknown parameter '\(name)' in '\(text)' (spice:// URIs take port and tls-port)")
            }
        }
        if port == nil && tlsPort == nil { port = 5900 }
        self.init(host: String(host), port: port, tlsPort: tlsPort)
    }

    private static func port(_ text: Substring, _ name: String) throws(SpiceClientError) -> UInt16 {
        guard let value = UInt16(text), value > 0 else {
            throw SpiceClientError(.invalidConfiguration, "bad \(name) '\(text)' (1-65535)")
        }
        return value
    }
}
