import Foundation

/// The layering docs/ARCHITECTURE.md documents, read from its table: rows whose first cell is a
/// layer number, whose second is the layer's name, and whose third names its targets in
/// backticks. Test targets are not rows: they sit above every layer.
struct LayerTable: Equatable {
    struct Layer: Equatable {
        var number: Int
        var name: String
        var targets: [String]
    }

    var layers: [Layer]

    init(markdown: String) {
        var layers: [Layer] = []
        for line in markdown.split(separator: "\n") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4, cells.first == "", let number = Int(cells[1]) else { continue }
            let targets = cells[3].split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            layers.append(Layer(number: number, name: cells[2], targets: targets))
        }
        self.layers = layers
    }

    /// The layer of `target`, nil when the table does not name it.
    func layer(of target: String) -> Layer? { layers.first { $0.targets.contains(target) } }
}
