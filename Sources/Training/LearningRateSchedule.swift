import Foundation

/// The learning rate as a function of the epoch (0-based); it changes once per epoch.
public enum LearningRateSchedule: Equatable, Sendable {
    case constant
    /// Multiplied by `gamma` at each milestone epoch: 0.1 for epochs 0-49, 0.01 for 50-119 ...
    case multiStep(milestones: [Int], gamma: Double)
    /// Cosine annealing from the base rate to 0 over `epochs` (PyTorch's CosineAnnealingLR,
    /// T_max = epochs, eta_min = 0).
    case cosine(epochs: Int)

    public func learningRate(base: Double, epoch: Int) -> Double {
        switch self {
        case .constant:
            return base
        case .multiStep(let milestones, let gamma):
            let passed = milestones.filter { epoch >= $0 }.count
            return base * pow(gamma, Double(passed))
        case .cosine(let epochs):
            return base * (1 + cos(Double.pi * Double(epoch) / Double(epochs))) / 2
        }
    }
}
