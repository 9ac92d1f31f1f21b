/// A path to one value in a JSON document, in the common subset of JSONPath: `$` (the root),
/// `.name` or `['name']` (an object's member), `[2]` (an array's element, from 0) and `[-1]`
/// (from the end). `$.messages[-1].content` is the last message's content.
///
/// Declarative providers read a request's prompt, model and stream flag with it.
public struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    public enum Step: Sendable, Equatable {
        case member(String)
        case index(Int)
    }

    public let steps: [Step]
    /// The path as written.
    public let description: String

    /// Why a path does not parse: the message, and the character offset where it went wrong.
    public struct ParseError: Error, Sendable, Equatable {
        public var message: String
        public var offset: Int
    }

    public init(_ text: String) throws(ParseError) {
        description = text
        let chars = Array(text)
        guard chars.first == "$" else { throw ParseError(message: "a path starts with '$' (the body)", offset: 0) }
        var steps: [Step] = []
        var i = 1
        func isNameCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "-" }
        while i < chars.count {
            switch chars[i] {
            case ".":
                var j = i + 1
                while j < chars.count, isNameCharacter(chars[j]) { j += 1 }
                guard j > i + 1 else { throw ParseError(message: "a name must follow '.'", offset: i + 1) }
                steps.append(.member(String(chars[(i + 1)..<j])))
                i = j
            case "[":
                guard i + 1 < chars.count else { throw ParseError(message: "'[' is not closed", offset: i) }
                if chars[i + 1] == "'" || chars[i + 1] == "\"" {
                    let quote = chars[i + 1]
                    guard let close = chars[(i + 2)...].firstIndex(of: quote), close + 1 < chars.count, chars[close + 1] == "]" else {
                        throw ParseError(message: "a quoted name must end with \(quote)]", offset: i)
                    }
                    steps.append(.member(String(chars[(i + 2)..<close])))
                    i = close + 2
                } else {
                    guard let close = chars[(i + 1)...].firstIndex(of: "]") else { throw ParseError(message: "'[' is not closed", offset: i) }
                    guard let index = Int(String(chars[(i + 1)..<close])) else {
                        throw ParseError(message: "an index must be a whole number, found '\(String(chars[(i + 1)..<close]))'", offset: i + 1)
                    }
                    steps.append(.index(index))
                    i = close + 1
                }
            default:
                throw ParseError(message: "expected '.' or '[' at '\(chars[i])'", offset: i)
            }
        }
        self.steps = steps
    }

    /// The value at this path under `root`, or nil when a member or element is missing or a
    /// step meets a value of the other kind.
    public func value(in root: JSONNode) -> JSONNode? {
        var node = root
        for step in steps {
            switch step {
            case .member(let name):
                guard let next = node[name] else { return nil }
                node = next
            case .index(let index):
                guard node.isArray else { return nil }
                let count = node.count
                let wanted = index < 0 ? count + index : index
                guard wanted >= 0, wanted < count else { return nil }
                var found: JSONNode?
                node.forEachElement { k, element in if k == wanted { found = element } }
                guard let found else { return nil }
                node = found
            }
        }
        return node
    }
}
