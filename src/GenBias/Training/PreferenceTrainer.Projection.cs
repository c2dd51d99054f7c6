using System;
using System.Linq;
using System.Threading;

namespace GenBias;

public static partial class PreferenceTrainer
{
    private sealed partial class Run
    {
        /// <summary>
        /// Clamps the bias of every projected preference's neuron into the range where the preference holds over the
        /// cube: refreshed by exact counts when <paramref name="refresh"/> (or never found yet), else the last range; for
        /// the output of a deeper network, <see cref="SymmetricProjection.Apply"/>.
        /// </summary>
        private void Project(bool refresh)
        {
            if (!_enforce || _projected.Length == 0)
            {
                return;
            }

            foreach (Term term in _projected)
            {
                if (term.Layer.Index != 0)
                {
                    // The output of a deeper network: held by symmetry (zero hidden biases, the output bias past a bound).
                    SymmetricProjection.Apply(_shape, _parameters, term.Preference!);
                    continue;
                }

                int neuron = term.Neurons[0];
                int biasIndex = term.Layer.BiasIndex(neuron);
                if (refresh || term.ProjectionRange is null)
                {
                    term.ProjectionRange = ProjectionRange(term.Preference!, neuron, term.ProjectionRange);
                }

                (long low, long high) = term.ProjectionRange.Value;
                long bias = (long)Math.Round(_parameters[biasIndex] / FixedPointGrid.Step);
                long clamped = Math.Clamp(bias, low, high);
                if (clamped != bias)
                {
                    _parameters[biasIndex] = clamped * FixedPointGrid.Step;
                    if (!FixedPointGrid.IsNeuronOnGrid(_shape, _parameters, neuron))
                    {
                        throw new InvalidOperationException($"{term.Preference}: the bias {clamped * FixedPointGrid.Step} that meets it leaves the exact grid (the neuron's weights and bias must sum to less than 256 in magnitude).");
                    }
                }
            }
        }

        /// <summary>
        /// The first-layer biases (grid units) at which the preference holds surely with the current weights: for a
        /// target of exactly ½, a bound on the bias alone (<see cref="HalfCubeProjection"/>, no counting); else the rate
        /// is monotone in the bias (non-decreasing for an interval open above, non-increasing for one open below), so
        /// each end is a bisection over counts of the neuron's sum distribution, prepared once — exact counts by meet in
        /// the middle up to 32 inputs, the histogram of the sum beyond (<see cref="CubeHistogram"/>: exact up to 39
        /// inputs, a certified interval of the rate above, which must lie within the bounds). The activation is exactly monotone, so exact
        /// counts are too and their bisection's edge is exact.
        /// </summary>
        private (long Low, long High) ProjectionRange(Preference preference, int neuron, (long Low, long High)? previous)
        {
            (int[] weights, long current) = CoverageCounter.FirstLayerIntegers(_shape, _parameters, neuron);
            if (HalfCubeProjection.Applies(_shape, preference))
            {
                long reach = 0;
                foreach (int w in weights)
                {
                    reach += Math.Abs((long)w);
                }

                return HalfCubeProjection.Range(_shape, preference, reach)
                    ?? throw new InvalidOperationException($"{preference}: no bias of layer 0 neuron {neuron} within the exact grid meets it.");
            }

            Activation activation = _shape.Layers[0].Activation;
            bool rising = double.IsPositiveInfinity(preference.Interval.Upper);
            using SumCounts counts = SumCounts.Prepare(weights, preference, activation);
            // Biases the exact grid allows with these weights (Σ|w| + |b| < 256).
            long limit = FixedPointGrid.BiasLimit(counts.Reach);
            long low = -limit, high = limit;
            if (counts.HasLowerBound)
            {
                // The least bias meeting the lower bound (rising) or the largest (falling).
                long edge = Edge(b => counts.Meets(b).AtLeastLower, rising, (rising ? previous?.Low : previous?.High) ?? current);
                (low, high) = rising ? (edge, high) : (low, edge);
            }

            if (counts.HasUpperBound)
            {
                long edge = Edge(b => counts.Meets(b).AtMostUpper, !rising, (rising ? previous?.High : previous?.Low) ?? current);
                (low, high) = rising ? (low, Math.Min(high, edge)) : (Math.Max(low, edge), high);
            }

            (bool atLeast, bool atMost) = low <= high ? counts.Meets(Math.Clamp(current, low, high)) : (false, false);
            if (!atLeast || !atMost)
            {
                (double lo, double hi) = preference.Bounds;
                throw new InvalidOperationException($"{preference}: no bias of layer 0 neuron {neuron} meets it with the current weights (the rate over the cube cannot reach [{lo:P2}, {hi:P2}]).");
            }

            return (low, high);

            // The edge of the set where ok holds (monotone in the bias: for large biases when upward), searched from
            // start — the last refresh's edge, which the weights moved little from — by ExactCalibration's doubling
            // steps and bisection.
            long Edge(Func<long, bool> ok, bool upward, long start)
            {
                int toward = upward ? 1 : -1;
                start = Math.Clamp(start, -limit, limit);
                long edge = ok(start)
                    ? (ExactCalibration.FirstMeeting(b => !ok(b), start, -toward, -toward * limit) is long failing ? failing + toward : -toward * limit)
                    : ExactCalibration.FirstMeeting(ok, start, toward, toward * limit)
                        ?? throw new InvalidOperationException($"{preference}: no bias of layer 0 neuron {neuron} within the exact grid meets it.");

                // Exact counts are monotone in the bias; a certified interval (beyond 39 inputs) is wider than the rate
                // and can miss just past the edge: step on until it holds there.
                while (!ok(edge))
                {
                    edge += toward;
                }

                return edge;
            }
        }

        /// <summary>
        /// Whether a projected preference's bounds hold at a bias: meet in the middle's exact counts up to its 32 inputs
        /// (the fastest there), the sum's histogram beyond.
        /// </summary>
        private sealed class SumCounts : IDisposable
        {
            private readonly MeetInTheMiddle.Halves? _halves;
            private readonly CubeHistogram? _histogram;
            private readonly Preference _preference;
            private readonly Activation _activation;
            private readonly long _minCount, _maxCount;

            private SumCounts(MeetInTheMiddle.Halves? halves, CubeHistogram? histogram, Preference preference, Activation activation, long total)
            {
                _halves = halves;
                _histogram = histogram;
                _preference = preference;
                _activation = activation;
                (_minCount, _maxCount) = halves is null ? (0, 0) : ExactCalibration.CountBounds(preference, total);
                Reach = halves?.Reach ?? histogram!.Reach;
                (double lo, double hi) = preference.Bounds;
                HasLowerBound = halves is null ? lo > 0 : _minCount > 0;
                HasUpperBound = halves is null ? hi < 1 : _maxCount < total;
            }

            /// <summary>The largest |Σ x_i w_i| in units.</summary>
            public long Reach { get; }

            /// <summary>Whether the preference asks for a rate above 0 (some count).</summary>
            public bool HasLowerBound { get; }

            /// <summary>Whether the preference asks for a rate below 1 (not every input).</summary>
            public bool HasUpperBound { get; }

            public static SumCounts Prepare(int[] weights, Preference preference, Activation activation) =>
                weights.Length <= MeetInTheMiddle.MaxInputs
                    ? new SumCounts(MeetInTheMiddle.Prepare(weights, CancellationToken.None), null, preference, activation, CoverageCounter.Pow3(weights.Length))
                    : new SumCounts(null, CubeHistogram.Create(weights, CancellationToken.None), preference, activation, 0);

            /// <summary>Whether each of the preference's bounds holds surely at <paramref name="bias"/>.</summary>
            public (bool AtLeastLower, bool AtMostUpper) Meets(long bias)
            {
                if (_halves is null)
                {
                    return _histogram!.Meets(bias, _activation, _preference, CancellationToken.None);
                }

                long count = _halves.Count(bias, _activation, _preference.Interval, CancellationToken.None);
                return (count >= _minCount, count <= _maxCount);
            }

            public void Dispose() => _halves?.Dispose();
        }
    }
}
