/// The shape of one weight tensor that counts toward a model's budget (docs/method.md section 1: only
/// convolution and fully connected weights count; biases and batch-norm parameters do not).
public struct WeightShape: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable {
        case convolution, fullyConnected
    }

    /// The parameter's name in the model, e.g. "layer2.0.conv1.weight".
    public var name: String
    public var kind: Kind
    public var outChannels: Int
    public var inChannels: Int
    /// 1 x 1 for a fully connected layer.
    public var kernelHeight: Int
    public var kernelWidth: Int

    public init(name: String, kind: Kind, outChannels: Int, inChannels: Int, kernelHeight: Int = 1, kernelWidth: Int = 1) {
        self.name = name
        self.kind = kind
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
    }

    /// A fully connected weight [out, in].
    public static func fullyConnected(_ name: String, out: Int, in inFeatures: Int) -> WeightShape {
        WeightShape(name: name, kind: .fullyConnected, outChannels: out, inChannels: inFeatures)
    }

    /// A convolution weight [out, in, k, k].
    public static func convolution(_ name: String, out: Int, in inChannels: Int, kernel: Int) -> WeightShape {
        WeightShape(name: name, kind: .convolution, outChannels: out, inChannels: inChannels, kernelHeight: kernel, kernelWidth: kernel)
    }

    /// The tensor's shape in PyTorch's layout: [out, in] or [out, in, kh, kw].
    public var tensorShape: [Int] {
        kind == .fullyConnected ? [outChannels, inChannels] : [outChannels, inChannels, kernelHeight, kernelWidth]
    }

    /// Entries of one kernel (kh * kw; 1 for fully connected).
    public var kernelSize: Int { kernelHeight * kernelWidth }

    /// The number of weights.
    public var count: Int { outChannels * inChannels * kernelSize }
}
