import Synchronization

/// The project's deterministic tokenizer: text to token ids and back, one id per piece of
/// `TokenEstimator`, so `/tokenize`'s `count` always equals the `usage` the providers report.
///
/// Ids are computed from the piece alone, never from a vocabulary learnt or downloaded, so they are
/// the same in every request and every process, and texts that share a beginning share their first
/// ids (and so, later, their KV blocks). Three kinds of id, all below 2^53 (exact in a JSON
/// number, even in JavaScript):
/// - special tokens, the chat template's (`<|endoftext|>` 0, `<|im_start|>` 1, `<|im_end|>` 2), as
///   Qwen's ChatML tokenizers: no BOS is added, so `add_special_tokens` adds nothing;
/// - a piece of ASCII letters (at most 8, with or without the space before them): the letters as
///   digits in base 53, plus a flag for the space. Invertible, so any such id decodes;
/// - any other piece of at most 6 UTF-8 bytes (digits, punctuation, a CJK ideograph, short
///   whitespace): its bytes packed with their length. Invertible too;
/// - a longer piece (a word in another script, a long run of blank lines): a 48-bit FNV-1a hash of
///   its bytes. Stable across processes, but only this process can decode it: each such piece is
///   remembered (up to `rememberedLimit`) when it is tokenized, as a real vocabulary would know it.
/// `decode` refuses ids no piece can have, as vLLM refuses an id out of the vocabulary.
public enum Tokenizer {
    public static let endOfText = 0
    public static let imStart = 1
    public static let imEnd = 2
    public static let specialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

    /// How many hashed pieces this process remembers for `decode`.
    public static let rememberedLimit = 1 << 16

    static let letterBase = 16
    static let letterRadix = 53
    /// 53^8: letter pieces without the space use [letterBase, letterBase + letterSpan), with it the
    /// next span.
    static let letterSpan = 62_259_690_411_361
    static let packedBase = 1 << 48
    static let hashedBase = 8 << 48

    private static let remembered = Mutex<[Int: String]>([:])

    /// The ids of `text`, one per `TokenEstimator` piece. `remembering: false` leaves hashed
    /// pieces out of the table `decode` reads, and so takes no lock: for a request's path
    /// (the engine's prefix blocks), where nothing decodes them.
    public static func encode(_ text: String, remembering: Bool = true) -> [Int] {
        var ids: [Int] = []
        var start = 0
        let utf8 = Array(text.utf8)
        TokenEstimator.forEachPiece(in: text) { end in
            ids.append(id(of: utf8[start..<end], remembering: remembering))
            start = end
            return true
        }
        return ids
    }

    /// The text of `ids`, or the first id that no piece has (special tokens are written as their
    /// names, as Hugging Face's `decode` does by default).
    public static func decode(_ ids: [Int]) -> Result<String, UnknownToken> {
        var bytes: [UInt8] = []
        for id in ids {
            guard let piece = piece(of: id) else { return .failure(UnknownToken(id: id)) }
            bytes.append(contentsOf: piece)
        }
        return .success(String(decoding: bytes, as: UTF8.self))
    }

    /// The text of one id, nil when no piece has it.
    public static func tokenString(_ id: Int) -> String? {
        piece(of: id).map { String(decoding: $0, as: UTF8.self) }
    }

    public struct UnknownToken: Error, Equatable {
        public let id: Int
    }

    /// A chat rendered with the ChatML template: `<|im_start|>role\ncontent<|im_end|>` per message,
    /// then `<|im_start|>assistant\n` when a generation prompt is wanted. Its length is exactly
    /// `ChatMessage`'s estimate (3 + 4 per message + content), the `usage.prompt_tokens` a chat
    /// completion reports.
    public static func encodeChat(_ messages: [(role: String, content: String)], addGenerationPrompt: Bool,
                                  remembering: Bool = true) -> [Int] {
        var ids: [Int] = []
        for message in messages {
            ids.append(imStart)
            ids.append(roleToken(message.role, remembering: remembering))
            ids.append(newline)
            ids += encode(message.content, remembering: remembering)
            ids.append(imEnd)
        }
        if addGenerationPrompt {
            ids += [imStart, roleToken("assistant", remembering: remembering), newline]
        }
        return ids
    }

    /// A role is one token, whatever its name, so the template's length never depends on it.
    private static func roleToken(_ role: String, remembering: Bool) -> Int {
        id(of: Array(role.utf8)[...], remembering: remembering)
    }

    private static let newline = id(of: [0x0A][...])

    static func id(of piece: ArraySlice<UInt8>, remembering: Bool = true) -> Int {
        if let letters = letterValue(piece) { return letters }
        if piece.count <= 6 {
            var value = 0
            for byte in piece { value = value << 8 | Int(byte) }
            return packedBase * piece.count + value
        }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in piece { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let id = hashedBase + Int(hash & 0xFFFF_FFFF_FFFF)
        guard remembering else { return id }
        remembered.withLock { table in
            if table.count < rememberedLimit, table[id] == nil { table[id] = String(decoding: piece, as: UTF8.self) }
        }
        return id
    }

    /// The id of a piece of 1 to 8 ASCII letters after an optional space, nil for any other piece.
    private static func letterValue(_ piece: ArraySlice<UInt8>) -> Int? {
        var letters = piece
        var spaced = false
        if letters.first == UInt8(ascii: " ") {
            spaced = true
            letters = letters.dropFirst()
        }
        guard (1...8).contains(letters.count) else { return nil }
        var value = 0
        for byte in letters {
            guard let digit = letterDigit(byte) else { return nil }
            value = value * letterRadix + digit
        }
        return letterBase + (spaced ? letterSpan : 0) + value
    }

    /// 1...26 for A-Z, 27...52 for a-z (0 is never a letter, so leading letters are not lost).
    private static func letterDigit(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x41...0x5A: Int(byte - 0x41) + 1
        case 0x61...0x7A: Int(byte - 0x61) + 27
        default: nil
        }
    }

    private static func piece(of id: Int) -> [UInt8]? {
        guard id >= 0 else { return nil }
        if id < letterBase {
            return id < specialTokens.count ? Array(specialTokens[id].utf8) : nil
        }
        if id < letterBase + 2 * letterSpan {
            var value = id - letterBase
            let spaced = value >= letterSpan
            if spaced { value -= letterSpan }
            var letters: [UInt8] = []
            while value > 0 {
                let digit = value % letterRadix
                guard digit > 0 else { return nil }
                letters.append(digit <= 26 ? UInt8(0x41 + digit - 1) : UInt8(0x61 + digit - 27))
                value /= letterRadix
            }
            guard !letters.isEmpty else { return nil }
            return (spaced ? [UInt8(ascii: " ")] : []) + letters.reversed()
        }
        if id >= packedBase, id < hashedBase {
            let length = id / packedBase
            guard length <= 6 else { return nil }
            var value = id % packedBase
            var bytes: [UInt8] = []
            for _ in 0..<length {
                bytes.append(UInt8(value & 0xFF))
                value >>= 8
            }
            guard value == 0 else { return nil }
            let piece = Array(bytes.reversed())
            // Only ids `encode` can produce: valid UTF-8 making one piece, not a letter piece.
            let text = String(decoding: piece, as: UTF8.self)
            guard Array(text.utf8) == piece, TokenEstimator.count(text) == 1, self.id(of: piece[...]) == id else { return nil }
            return piece
        }
        if id >= hashedBase, id < hashedBase + (1 << 48) {
            return remembered.withLock { $0[id] }.map { Array($0.utf8) }
        }
        return nil
    }
}
