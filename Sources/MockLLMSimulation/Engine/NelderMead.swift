/// Derivative-free minimisation of a function of a few real variables: the Nelder–Mead simplex
/// with the standard coefficients (reflection 1, expansion 2, contraction ½, shrink ½; Nelder
/// and Mead, "A simplex method for function minimization", The Computer Journal 7(4), 1965).
/// The engine's predictions come from a discrete simulation, so the error is piecewise constant
/// at fine scales and has no useful gradient: a simplex that moves by whole steps is the usual
/// tool. Deterministic: the same start gives the same path.
public struct NelderMead: Sendable {
    /// Largest number of function evaluations.
    public var maxEvaluations: Int
    /// Stop when the simplex's values differ by less than this (absolute)...
    public var valueTolerance: Double
    /// ...and its vertices by less than this in every coordinate.
    public var pointTolerance: Double

    public init(maxEvaluations: Int = 200, valueTolerance: Double = 1e-4, pointTolerance: Double = 1e-3) {
        self.maxEvaluations = maxEvaluations
        self.valueTolerance = valueTolerance
        self.pointTolerance = pointTolerance
    }

    public struct Result: Sendable {
        public var point: [Double]
        public var value: Double
        public var evaluations: Int
    }

    /// Minimises `f` from `start`, with an initial simplex of `start` plus `step[i]` along each axis.
    public func minimize(start: [Double], step: [Double], _ f: ([Double]) -> Double) -> Result {
        let n = start.count
        precondition(step.count == n && n > 0)
        var evaluations = 0
        func eval(_ x: [Double]) -> Double {
            evaluations += 1
            let v = f(x)
            return v.isNaN ? .infinity : v
        }
        var simplex: [[Double]] = [start]
        for i in 0..<n {
            var x = start
            x[i] += step[i]
            simplex.append(x)
        }
        var values = simplex.map(eval)

        func combine(_ a: [Double], _ b: [Double], _ t: Double) -> [Double] {
            // a + t·(b − a)
            var r = a
            for i in 0..<n { r[i] = a[i] + t * (b[i] - a[i]) }
            return r
        }

        while evaluations < maxEvaluations {
            // Order best to worst; ties keep their order, so the path is deterministic.
            let order = (0...n).sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            let spread = values[n] - values[0]
            var size = 0.0
            for v in simplex.dropFirst() {
                for i in 0..<n { size = max(size, abs(v[i] - simplex[0][i])) }
            }
            if spread.isFinite && spread <= valueTolerance && size <= pointTolerance { break }

            var centroid = [Double](repeating: 0, count: n)
            for v in simplex.dropLast() {
                for i in 0..<n { centroid[i] += v[i] / Double(n) }
            }
            let worst = simplex[n]
            let reflected = combine(centroid, worst, -1)
            let fr = eval(reflected)
            if fr < values[0] {
                let expanded = combine(centroid, worst, -2)
                let fe = eval(expanded)
                if fe < fr {
                    simplex[n] = expanded
                    values[n] = fe
                } else {
                    simplex[n] = reflected
                    values[n] = fr
                }
            } else if fr < values[n - 1] {
                simplex[n] = reflected
                values[n] = fr
            } else {
                // Contract toward the better of the worst and its reflection.
                let outside = fr < values[n]
                let contracted = combine(centroid, outside ? reflected : worst, 0.5)
                let fc = eval(contracted)
                if fc < (outside ? fr : values[n]) {
                    simplex[n] = contracted
                    values[n] = fc
                } else {
                    for j in 1...n {
                        simplex[j] = combine(simplex[0], simplex[j], 0.5)
                        values[j] = eval(simplex[j])
                    }
                }
            }
        }
        let best = values.indices.min { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }!
        return Result(point: simplex[best], value: values[best], evaluations: evaluations)
    }
}
