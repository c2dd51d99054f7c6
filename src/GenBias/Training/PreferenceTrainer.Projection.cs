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
                    if (!FixedPointGrid.IsFirstLayerOnGrid(_shape, _parameters))
                    {
                        throw new InvalidOperationException($"{term.Preference}: the bias {clamped * FixedPointGrid.Step} that meets it leaves the exact grid (the neuron's weights and bias must sum to less than 256 in magnitude).");
                    }
                }
            }
        }

        /// <summary>
        /// The first-layer biases (grid units) at which the preference holds exactly with the current weights: the rate
        /// is monotone in the bias (non-decreasing for an interval open above, non-increasing for one open below), so
        /// each end is a bisection over exact meet-in-the-middle counts (the halves prepared once). The activation is
        /// exactly monotone, so the count is too and the bisection's edge is exact.
        /// </summary>
        private (long Low, long High) ProjectionRange(Preference preference, int neuron, (long Low, long High)? previous)
        {
            (int[] weights, long current) = CoverageCounter.FirstLayerIntegers(_shape, _parameters, neuron);
            using MeetInTheMiddle.Halves halves = MeetInTheMiddle.Prepare(weights, CancellationToken.None);
            long total = CoverageCounter.Pow3(_shape.InputCount);
            (long minCount, long maxCount) = ExactCalibration.CountBounds(preference, total);
            Activation activation = _shape.Layers[0].Activation;
            bool rising = double.IsPositiveInfinity(preference.Interval.Upper);
            // Biases the exact grid allows with these weights (Σ|w| + |b| < 256).
            long limit = Math.Max(0, (1L << 24) - 1 - halves.Reach);
            long Count(long bias) => halves.Count(bias, activation, preference.Interval, CancellationToken.None);
            long low = -limit, high = limit;
            if (minCount > 0)
            {
                // The least bias meeting the lower bound (rising) or the largest (falling).
                long edge = Edge(b => Count(b) >= minCount, rising, (rising ? previous?.Low : previous?.High) ?? current);
                (low, high) = rising ? (edge, high) : (low, edge);
            }

            if (maxCount < total)
            {
                long edge = Edge(b => Count(b) <= maxCount, !rising, (rising ? previous?.High : previous?.Low) ?? current);
                (low, high) = rising ? (low, Math.Min(high, edge)) : (Math.Max(low, edge), high);
            }

            long at = Math.Clamp(current, low, high), counted = low <= high ? Count(at) : -1;
            if (counted < minCount || counted > maxCount)
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
                return ok(start)
                    ? (ExactCalibration.FirstMeeting(b => !ok(b), start, -toward, -toward * limit) is long failing ? failing + toward : -toward * limit)
                    : ExactCalibration.FirstMeeting(ok, start, toward, toward * limit)
                        ?? throw new InvalidOperationException($"{preference}: no bias of layer 0 neuron {neuron} within the exact grid meets it.");
            }
        }
    }
}
