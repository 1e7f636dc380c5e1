import Foundation

/// The arc-cosine kernels of ReLU units (Cho and Saul 2009, in the paper's normalisation,
/// docs/method.md section 7), in Double:
///
///     K_l(x, y) = E_w~N(0, I)[ (w.x)^l (w.y)^l H(w.x) H(w.y) ] = (1/2pi) |x|^l |y|^l J_l(t),
///     t = arccos(x.y / (|x||y|)),
///     J1(t) = sin t + (pi - t) cos t,
///     J2(t) = 3 sin t cos t + (pi - t)(1 + 2 cos^2 t).
///
/// The infinite-width dense GP kernel of f(x) = (n d)^(-1/2) v.relu(u x) is K1(x, y) / d.
public enum ReLUKernel {
    public static func j1(_ t: Double) -> Double { sin(t) + (Double.pi - t) * cos(t) }

    public static func j2(_ t: Double) -> Double {
        3 * sin(t) * cos(t) + (Double.pi - t) * (1 + 2 * cos(t) * cos(t))
    }

    /// K_l from the squared norms and the dot product of x and y; 0 when either is the zero
    /// vector (every unit's pre-activation is 0 there).
    public static func k(_ l: Int, squaredNormX: Double, squaredNormY: Double, dot: Double) -> Double {
        guard squaredNormX > 0, squaredNormY > 0 else { return 0 }
        let norms = (squaredNormX * squaredNormY).squareRoot()
        let angle = acos(min(1, max(-1, dot / norms)))
        return l == 1 ? norms * j1(angle) / (2 * Double.pi) : norms * norms * j2(angle) / (2 * Double.pi)
    }

    /// Theta_inf(x_k, y_k) = K1(x_k, y_k) / d for every pair.
    public static func infiniteWidth(_ pairs: InputPairs) -> [Double] {
        (0..<pairs.count).map { k in
            let (xx, yy, xy) = pairs.products(k)
            return ReLUKernel.k(1, squaredNormX: xx, squaredNormY: yy, dot: xy) / Double(pairs.dimension)
        }
    }
}

/// Pairs of input vectors (x_k, y_k), k < count, each of `dimension` values, row-major.
public struct InputPairs: Sendable {
    /// [count, dimension]
    public let x: [Float]
    /// [count, dimension]
    public let y: [Float]
    public let count: Int
    public let dimension: Int

    public init(x: [Float], y: [Float], dimension: Int) {
        precondition(dimension > 0 && x.count == y.count && x.count % dimension == 0, "pairs need equal [count, dimension] matrices")
        self.x = x
        self.y = y
        self.dimension = dimension
        self.count = x.count / dimension
    }

    /// (|x_k|^2, |y_k|^2, x_k . y_k) in Double.
    public func products(_ k: Int) -> (Double, Double, Double) {
        var (xx, yy, xy) = (0.0, 0.0, 0.0)
        for i in (k * dimension)..<((k + 1) * dimension) {
            let (a, b) = (Double(x[i]), Double(y[i]))
            xx += a * a
            yy += b * b
            xy += a * b
        }
        return (xx, yy, xy)
    }
}
