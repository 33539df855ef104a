/// What of YAML a spec may use, checked on the text before it is parsed.
///
/// A spec is plain data: mappings, lists and scalars. YAML can say more, and each extra is a
/// way for a spec to mean something other than what it shows:
/// - a tag (`host-data: !!binary …`, `!!null x`, `!custom`) changes how a value is read, and
///   one the decoder does not take silently drops the value (`host-data: !!!x` read as no
///   host-data at all, which changes an SNP launch without a word);
/// - an anchor and its aliases (`&a`, `*a`) copy a value elsewhere, and nested ones expand
///   exponentially (a few hundred bytes become gigabytes: the parser itself would hang on them
///   as map keys, so they must be refused before it runs);
/// - merge keys (`<<`) splice mappings together (they are refused as unknown keys, too).
/// So all of them are refused, naming the line; a value that merely starts with one of these
/// characters can be quoted. JSON, which has none of them, is unaffected.
///
/// The scan follows YAML's structure just far enough to know where a node starts: outside
/// comments, quoted scalars and block scalars (`|`, `>`), at the start of a line, after `- `,
/// `? ` and `: `, and in flow collections after `[`, `{` and `,`.
enum SpecSyntax {
    struct Refusal: Error, Equatable {
        var line: Int
        var problem: String
    }

    static func check(_ text: String) throws(Refusal) {
        var quote: UInt8?           // the quote of an open quoted scalar, across lines
        var flowDepth = 0           // nesting of [ ] and { }, across lines
        var blockParentIndent: Int? // inside a block scalar: the indentation of its key's line
        var lineNumber = 0
        for rawLine in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = Array(rawLine.last == UInt8(ascii: "\r") ? rawLine.dropLast() : rawLine[...])
            let indent = line.prefix { $0 == UInt8(ascii: " ") }.count
            if let parent = blockParentIndent {
                if indent == line.count || indent > parent { continue }
                blockParentIndent = nil
            }
            if quote == nil, flowDepth == 0, line.first == UInt8(ascii: "%") { continue }  // a directive
            var index = 0
            var nodeStart = quote == nil
            while index < line.count {
                let byte = line[index]
                if let open = quote {
                    if open == UInt8(ascii: "\"") && byte == UInt8(ascii: "\\") {
                        index += 2
                        continue
                    }
                    if byte == open {
                        if open == UInt8(ascii: "'"), index + 1 < line.count, line[index + 1] == open {
                            index += 2
                            continue
                        }
                        quote = nil
                        // After a quoted key, `:` introduces the value even without a space.
                        if index + 1 < line.count, line[index + 1] == UInt8(ascii: ":") {
                            index += 2
                            nodeStart = true
                            continue
                        }
                    }
                    index += 1
                    continue
                }
                if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                    index += 1
                    continue
                }
                if byte == UInt8(ascii: "#"), index == 0 || line[index - 1] == UInt8(ascii: " ") || line[index - 1] == UInt8(ascii: "\t") {
                    break
                }
                if nodeStart {
                    nodeStart = false
                    switch byte {
                    case UInt8(ascii: "&"): throw Refusal(line: lineNumber, problem: "anchors (&) are not accepted in a spec; write the value out, or quote it")
                    case UInt8(ascii: "*"): throw Refusal(line: lineNumber, problem: "aliases (*) are not accepted in a spec; write the value out, or quote it")
                    case UInt8(ascii: "!"): throw Refusal(line: lineNumber, problem: "tags (!) are not accepted in a spec; write the plain value, or quote it")
                    case UInt8(ascii: "\""), UInt8(ascii: "'"):
                        quote = byte
                        index += 1
                        continue
                    case UInt8(ascii: "|"), UInt8(ascii: ">"):
                        if flowDepth == 0 {
                            blockParentIndent = indent
                            index = line.count
                            continue
                        }
                    case UInt8(ascii: "["), UInt8(ascii: "{"):
                        flowDepth += 1
                        nodeStart = true
                        index += 1
                        continue
                    case UInt8(ascii: "-"), UInt8(ascii: "?"):
                        // `- ` and `? ` start a node after them; `-1` and `-x` are scalars.
                        if index + 1 == line.count || line[index + 1] == UInt8(ascii: " ") {
                            nodeStart = true
                            index += 1
                            continue
                        }
                    default:
                        break
                    }
                }
                if byte == UInt8(ascii: ":") {
                    let next = index + 1 < line.count ? line[index + 1] : UInt8(ascii: " ")
                    if next == UInt8(ascii: " ") || next == UInt8(ascii: "\t")
                        || (flowDepth > 0 && [UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}")].contains(next)) {
                        nodeStart = true
                    }
                } else if flowDepth > 0 {
                    switch byte {
                    case UInt8(ascii: ","): nodeStart = true
                    case UInt8(ascii: "["), UInt8(ascii: "{"):
                        flowDepth += 1
                        nodeStart = true
                    case UInt8(ascii: "]"), UInt8(ascii: "}"): flowDepth -= 1
                    default: break
                    }
                }
                index += 1
            }
        }
    }
}
