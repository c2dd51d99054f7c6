using System;
using System.Linq;

namespace GenBias;

public static partial class CoverageCounter
{
    internal sealed partial class LayeredEnumerator
    {
        private sealed partial class Worker
        {
            /// <summary>+1 if every input of the sub-cube meets the interval for every neuron, −1 if none does, 0 if undecided.</summary>
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
            private int Decide(int fixedInputs)
            {
                LayerShape first = _e._shape.Layers[0];
                Array.Clear(_radius);
                for (int p = fixedInputs; p < _e._n; p++)
                {
                    for (int k = 0; k < _e._hidden; k++)
                    {
                        _radius[k] += _e._columnAbs[(p * _e._hidden) + k];
                    }
                }

                for (int k = 0; k < _e._hidden; k++)
                {
                    _low[k] = NeuronMembership.Activate(first.Activation, _acc[k] - _radius[k]);
                    _high[k] = NeuronMembership.Activate(first.Activation, _acc[k] + _radius[k]);
                }

                for (int l = 1; l <= _e._targetLayer; l++)
                {
                    LayerShape layer = _e._shape.Layers[l];
                    for (int k = 0; k < layer.Width; k++)
                    {
                        double bias = _e._parameters[layer.BiasIndex(k)];
                        double lo = bias, hi = bias, magnitude = Math.Abs(bias);
                        for (int j = 0; j < layer.InputCount; j++)
                        {
                            double w = _e._parameters[layer.WeightIndex(k, j)];
                            double a = w * _low[j], b = w * _high[j];
                            lo += Math.Min(a, b);
                            hi += Math.Max(a, b);
                            magnitude += Math.Max(Math.Abs(a), Math.Abs(b));
                        }

                        if (l == 1 && _e._options.LinearBounds)
                        {
                            // The linear bound is often much tighter: keep the better of the two on each side.
                            (double linearLow, double linearHigh, double linearMagnitude) = LinearBound(k, fixedInputs);
                            lo = Math.Max(lo, linearLow);
                            hi = Math.Min(hi, linearHigh);
                            magnitude = Math.Max(magnitude, linearMagnitude);
                        }

                        // The float sum Forward computes is within CanonicalSum.ErrorBound of the real one (this double
                        // bound's own rounding is far below it: twice covers both) only while no float term or partial
                        // sum overflows: where one could (the magnitude within twice the margin of the largest float, or
                        // not finite), Forward may meet ∞ or NaN that this double bound never sees, so nothing is decided.
                        double margin = 2 * CanonicalSum.ErrorBound(layer.InputCount, magnitude);
                        if (!(magnitude + (2 * margin) < float.MaxValue))
                        {
                            return 0;
                        }

                        _nextLow[k] = ActivationMath.Apply(layer.Activation, Down(lo - margin));
                        _nextHigh[k] = ActivationMath.Apply(layer.Activation, Up(hi + margin));
                    }

                    Array.Copy(_nextLow, _low, layer.Width);
                    Array.Copy(_nextHigh, _high, layer.Width);
                }

                ActivationInterval interval = _e._preference.Interval;
                bool allIn = true, allOut = true;
                foreach (int k in _e._neurons)
                {
                    bool inside = (interval.LowerInclusive ? _low[k] >= interval.Lower : _low[k] > interval.Lower) &&
                                  (interval.UpperInclusive ? _high[k] <= interval.Upper : _high[k] < interval.Upper);
                    bool outside = (interval.LowerInclusive ? _high[k] < interval.Lower : _high[k] <= interval.Lower) ||
                                   (interval.UpperInclusive ? _low[k] > interval.Upper : _low[k] >= interval.Upper);
                    allIn &= inside;
                    allOut &= outside;
                }

                return allIn ? 1 : allOut ? -1 : 0;
            }

            /// <summary>
            /// Bounds on layer-1 neuron <paramref name="j"/>'s pre-activation over the sub-cube, from a linear relaxation
            /// of the first layer's activation (in the spirit of CROWN/DeepPoly, exact over the ternary box): on
            /// [lo_k, hi_k], a_k(z) − s_k·z is non-decreasing for s_k the smallest slope of the activation there, so
            /// a_k lies between s_k·z_k + L_k and s_k·z_k + U_k. Substituting z_k = c_k + Σ W_ki·x_i leaves one linear
            /// function of the free inputs, whose extremes over {−1, 0, 1} are ±Σ|G_i|. Interval bounds treat the hidden
            /// neurons as independent; this keeps their shared inputs, so cancellations between them tighten the bound.
            /// </summary>
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
            private (double Low, double High, double Magnitude) LinearBound(int j, int fixedInputs)
            {
                LayerShape first = _e._shape.Layers[0], second = _e._shape.Layers[1];
                Activation activation = first.Activation;
                // The float activation is within this of the exact function (documented bounds, with margin).
                double error = activation is Activation.Tanh or Activation.Sigmoid ? 1e-6 : 1e-9;
                double step = FixedPointGrid.Step;
                double constant = _e._parameters[second.BiasIndex(j)], spread = 0, magnitude = Math.Abs(constant);
                Array.Clear(_gradient);
                for (int k = 0; k < _e._hidden; k++)
                {
                    double v = _e._parameters[second.WeightIndex(j, k)];
                    if (v == 0)
                    {
                        continue;
                    }

                    double c = _acc[k] * step, lo = (_acc[k] - _radius[k]) * step, hi = (_acc[k] + _radius[k]) * step;
                    double exactLow = Exact(activation, lo), exactHigh = Exact(activation, hi); // each once: Math.Tanh is most of this
                    double slope = MinimumSlope(activation, lo, hi, exactLow, exactHigh);
                    double lower = exactLow - (slope * lo) - error;
                    double upper = exactHigh - (slope * hi) + error;
                    constant += v * ((slope * c) + (v >= 0 ? lower : upper));
                    spread += Math.Abs(v) * (upper - lower);
                    magnitude += Math.Abs(v) * Math.Max(Math.Abs(exactLow), Math.Abs(exactHigh));
                    double vs = v * slope * step;
                    if (vs != 0)
                    {
                        for (int p = fixedInputs; p < _e._n; p++)
                        {
                            _gradient[p] += vs * _e._columns[p][k];
                        }
                    }
                }

                double reach = 0;
                for (int p = fixedInputs; p < _e._n; p++)
                {
                    reach += Math.Abs(_gradient[p]);
                }

                return (constant - reach, constant + spread + reach, magnitude);
            }

            /// <summary>The exact (double) activation the float one approximates.</summary>
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
            private static double Exact(Activation activation, double z) => activation switch
            {
                Activation.Tanh => Math.Tanh(z),
                Activation.Sigmoid => 0.5 + (0.5 * Math.Tanh(z / 2)),
                Activation.HardTanh => Math.Clamp(z, -1, 1),
                Activation.ReLU => Math.Max(z, 0),
                Activation.Linear => z,
                _ => z > ActivationMath.TernaryStepDeadZone ? 1 : z < -ActivationMath.TernaryStepDeadZone ? -1 : 0,
            };

            /// <summary>
            /// The smallest slope of the exact activation on [lo, hi] (0 where it has a flat part or a step), given its
            /// exact values <paramref name="exactLow"/> and <paramref name="exactHigh"/> at the ends.
            /// </summary>
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
            private static double MinimumSlope(Activation activation, double lo, double hi, double exactLow, double exactHigh)
            {
                switch (activation)
                {
                    case Activation.Tanh:
                    {
                        // 1 − tanh² falls away from 0 on both sides: its minimum is at an end.
                        double a = exactLow, b = exactHigh;
                        return Math.Max(0, Math.Min(1 - (a * a), 1 - (b * b)) - 1e-12);
                    }

                    case Activation.Sigmoid:
                    {
                        double a = exactLow, b = exactHigh;
                        return Math.Max(0, Math.Min(a * (1 - a), b * (1 - b)) - 1e-12);
                    }

                    case Activation.HardTanh:
                        return lo >= -1 && hi <= 1 ? 1 : 0;
                    case Activation.ReLU:
                        return lo >= 0 ? 1 : 0;
                    case Activation.Linear:
                        return 1;
                    default:
                        return 0;
                }
            }
        }
    }
}
