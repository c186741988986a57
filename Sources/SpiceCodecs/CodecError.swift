/// The one error type of the codec tier: compressed image or audio data could not be decoded.
///
/// Each error names the codec ("jpeg", "opus", "lz4", "zlib", …) and says specifically what was wrong,
/// so that the session can report which image or packet failed and why. A codec never crashes on bad
/// input: anything the peer can send ends up here.
public struct CodecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// What kind of failure happened.
    public enum Code: Equatable, Sendable {
        /// The compressed data is malformed, truncated, or disagrees with the size the protocol declared.
        case corruptData
        /// The decoded data does not fit in the destination the caller provided.
        case outputTooSmall
        /// The data is well formed but uses a feature this client does not decode.
        case unsupported
        /// The caller passed a dimension, stride, length or destination the codec cannot work with.
        case invalidArgument
        /// The C library failed for a reason unrelated to the data (for example it could not allocate).
        case libraryFailure
    }

    public let code: Code
    /// The codec that failed, in lowercase ("jpeg", "opus", "lz4", "zlib").
    public let codec: String
    /// A lowercase, specific explanation; text quoted from a C library is kept as the library wrote it.
    public let detail: String

    public init(_ code: Code, codec: String, detail: String) {
        self.code = code
        self.codec = codec
        self.detail = detail
    }

    public var description: String {
        "\(self.codec) codec: \(self.detail)"
    }
}
