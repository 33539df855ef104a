import Launch
import XCTest

final class TemplateTests: XCTestCase {
    func render(_ text: String, _ context: [String: Template.Value]) throws -> String {
        try Template(text, name: "t").render(context)
    }

    func testVariablesAreEscaped() throws {
        XCTAssertEqual(try render("<a x='{{v}}'>{{v}}</a>", ["v": .text("<'&\">")]), "<a x='&lt;&apos;&amp;&quot;&gt;'>&lt;&apos;&amp;&quot;&gt;</a>")
    }

    func testSections() throws {
        let text = "{{#on}}on {{/on}}{{#off}}off {{/off}}{{^off}}not-off {{/off}}{{#missing}}m{{/missing}}{{^missing}}no-m{{/missing}}"
        XCTAssertEqual(try render(text, ["on": .flag(true), "off": .flag(false)]), "on not-off no-m")
    }

    func testListsShadowOuterKeys() throws {
        let items: [[String: Template.Value]] = [["n": .text("1")], ["n": .text("2"), "x": .text("inner")]]
        XCTAssertEqual(try render("{{#l}}[{{n}}{{x}}]{{/l}}", ["l": .list(items), "x": .text("outer")]), "[1outer][2inner]")
    }

    func testStandaloneTagLinesDisappear() throws {
        let text = "a\n  {{#on}}\n  b\n  {{/on}}\n  {{#off}}\n  c\n  {{/off}}\nd\n"
        XCTAssertEqual(try render(text, ["on": .flag(true), "off": .flag(false)]), "a\n  b\nd\n")
    }

    func testErrors() {
        XCTAssertThrowsError(try Template("{{#a}}x", name: "t")) { XCTAssertEqual("\($0)", "template t: {{#a}} is never closed") }
        XCTAssertThrowsError(try Template("x{{/a}}", name: "t")) { XCTAssertEqual("\($0)", "template t: unexpected {{/a}}") }
        XCTAssertThrowsError(try render("{{a}}", [:])) { XCTAssertEqual("\($0)", "template t: {{a}} has no text value") }
    }
}
