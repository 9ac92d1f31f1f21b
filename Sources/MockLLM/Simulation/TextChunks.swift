/// Walks a reply text chunk by chunk for streaming: one Unicode scalar per chunk, as the
/// original streamed one Python character per event. Holds only the text and a position.
public struct TextChunks: Sendable {
    public let text: String
    private var position: String.Index

    public init(_ text: String) {
        self.text = text
        position = text.startIndex
    }

    public var isFinished: Bool { position == text.endIndex }

    /// The next chunk, or nil at the end.
    public mutating func next() -> Substring? {
        guard position < text.endIndex else { return nil }
        let end = text.unicodeScalars.index(after: position)
        defer { position = end }
        return Substring(text.unicodeScalars[position..<end])
    }
}
