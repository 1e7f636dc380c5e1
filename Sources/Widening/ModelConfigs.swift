import RunRecords

extension WidenedModel {
    /// The bottleneck as a run config records it. A non-linear bottleneck that shrinks nothing
    /// (at the base width) is the plain model, recorded as such so that both are one run.
    public var bottleneckConfig: BottleneckConfig? {
        guard let bottleneck, let target = targetWeights else { return nil }
        if bottleneck.kind == .nonlinear && bottleneck.innerSizes == bottleneck.fullSizes { return nil }
        return BottleneckConfig(kind: bottleneck.kind, innerSizes: bottleneck.innerSizes, targetWeights: target)
    }

    /// Removals per weight tensor of the plain model: zeros without masks (a linear
    /// bottleneck's plain model has one tensor per pair of factors).
    var plainRemovals: [Int] {
        if maskPattern != nil { return removals }
        let plainCount = bottleneck?.kind == .linear ? bottleneck!.fullSizes.count : layers.count
        return Array(repeating: 0, count: plainCount)
    }
}

extension MLPModelConfig {
    /// Takes the width, removals and bottleneck of `model` (built for an MLP-1 architecture).
    public mutating func take(_ model: WidenedModel) {
        width = model.width
        removedWeights = model.plainRemovals
        bottleneck = model.bottleneckConfig
    }
}

extension VGGModelConfig {
    /// Takes the width, removals, mask pattern and bottleneck of `model` (built for a VGG architecture).
    public mutating func take(_ model: WidenedModel) {
        width = model.width
        bottleneck = model.bottleneckConfig
        removedWeights = model.plainRemovals
        if let pattern = model.maskPattern { maskPattern = pattern }
    }
}

extension ResNetModelConfig {
    /// Takes the width, stage widths, removals, mask pattern and bottleneck of `model` (built for
    /// a ResNet-18 architecture).
    public mutating func take(_ model: WidenedModel) {
        width = model.width
        stageWidths = model.stageWidths
        bottleneck = model.bottleneckConfig
        removedWeights = model.plainRemovals
        if let pattern = model.maskPattern { maskPattern = pattern }
    }
}
