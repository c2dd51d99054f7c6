using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GenBias;

public static partial class CoverageCounter
{
    internal sealed partial class LayeredEnumerator
    {
        /// <summary>
        /// The leaf with inputs in lanes, for a preference on layer 1: the last <see cref="Inner"/> inputs of the order
        /// (243 combinations for five) have their first-layer contributions in a table, one row of lanes per hidden
        /// neuron; the other free inputs move by a ternary Gray code in the accumulators. For eight combinations at
        /// once, each hidden neuron is one integer add, an exact conversion and the shared activation over a full
        /// vector, and each target neuron's pre-activation is broadcast-weight multiply-adds into its eight partial
        /// sums, lane by lane in the canonical order, then the fixed tree: the bits of Forward, with no horizontal
        /// reduction. The pre-activation is classified against the exact member ranges of the target activation.
        /// </summary>
        private sealed partial class InnerTable
        {
            public const int MaxInner = 5;
            public const int MaxHidden = 256;

            private readonly LayeredEnumerator _e;
            private readonly int _lanes;             // 3^Inner rounded up to whole vectors of 8 (to groups of eight vectors from 3^4 on: the first pass's unit)
            private readonly int[] _table;            // hidden neuron k's contributions to combination c at c·hidden + 8k + c % 8 (c − c % 8 = the block of eight)
            private readonly float[][] _weights;     // per target neuron: its layer-1 weights
            private readonly float[] _biases;
            private readonly int[] _members;         // ordered-float ranges of the target pre-activation, low/high pairs
            private readonly Activation _hiddenActivation;
            private readonly bool _bounded;           // the first pass with TanhAddition
            private readonly float[] _tanhTable;      // Tanh of each tabled contribution, laid out as _table
            private readonly float[][] _inverseWeights; // per target neuron: 1/w per hidden neuron (TanhAddition.Inverse), padded with the largest float
            private readonly float[][] _weightScales;   // per target neuron: the factor turning A into A/w (TanhAddition.Scale), padded with 0
            private readonly float[] _leftOut;          // per target neuron: Σ|w| over the weights the first pass leaves out (TanhAddition.SmallestWeight), rounded up
            private readonly float[][] _absoluteWeights; // per target neuron: |w| padded with zeros to a multiple of 8
            private readonly float[] _betaPlusDelta;   // per hidden neuron (padded to 8): β + δ rounded up, β the largest |Tanh| of its tabled contributions
            private readonly float[][] _fractionFrom;  // per target neuron and hidden neuron (padded to 8): the |A| from which the first pass takes the partial-fraction form (∞: never)
            private readonly float[][] _fractionFromLoose; // the same for LooseFractionFactor: after a step that left no vector open
            private readonly float _delta, _conditioned, _flat, _estimateConditioned, _estimateFlat, _reciprocal; // TanhAddition's error constants, read once, rounded up
            private readonly float[] _memberValues;  // the member ranges as float values, low/high pairs
            private readonly float _memberLow, _memberHigh; // the member range's ends as floats (+∞, −∞ for none): the first pass's classification
            private readonly int[] _innerRadius;      // per hidden neuron (padded to 8): Σ |W| over the tabled inputs
            private readonly float[][] _paddedWeights; // per target neuron: its layer-1 weights padded with zeros to 8
            private readonly float[] _magnitudes;     // per target neuron: Σ|w| + |bias|, for the rounding margin
            private readonly float _marginFactor;     // DecideCombinations' rounding margin per unit of the terms' magnitude
            private const float MarginFloor = 1e-37f;  // and its absolute part (subnormal roundings, far above their bound)

            public InnerTable(LayeredEnumerator e, int inner)
            {
                _e = e;
                Inner = inner;
                Combinations = (int)Pow3(inner);
                // From 81 combinations on the first pass runs eight vectors at a time throughout: a last vector or three on
                // their own would be latency-bound (one running sum), and cost more than the masked lanes of a whole group.
                int unit = Combinations > 32 ? 64 : 8;
                _lanes = (Combinations + unit - 1) / unit * unit;
                _table = new int[e._hidden * _lanes];
                for (int c = 0; c < _lanes; c++)
                {
                    // Lanes past the last combination repeat combination 0; they are masked out of the count.
                    int rest = c < Combinations ? c : 0;
                    Span<int> lane = _table.AsSpan((c - (c % 8)) * e._hidden);
                    for (int d = 0; d < inner; d++, rest /= 3)
                    {
                        int x = (rest % 3) - 1;
                        if (x == 0)
                        {
                            continue;
                        }

                        int[] column = e._columns[e._n - inner + d];
                        for (int k = 0, at = c % 8; k < e._hidden; k++, at += 8)
                        {
                            lane[at] += x * column[k];
                        }
                    }
                }

                LayerShape target = e._shape.Layers[1];
                _hiddenActivation = e._shape.Layers[0].Activation;
                _weights = [.. e._neurons.Select(j => e._parameters.AsSpan(target.WeightIndex(j, 0), target.InputCount).ToArray())];
                _biases = [.. e._neurons.Select(j => e._parameters[target.BiasIndex(j)])];
                // Every target neuron shares the layer's activation and the preference's interval; the activation is
                // monotone, so its members are one range of pre-activations or none.
                _members = [.. NeuronMembership.FloatMembers(target.Activation, e._preference.Interval)
                    .SelectMany(r => new[] { (int)r.Low, (int)r.High })];
                _memberValues = [.. _members.Select(m => NeuronMembership.FromOrdered(m))];
                (_memberLow, _memberHigh) = _members.Length > 0 ? (_memberValues[0], _memberValues[1]) : (float.PositiveInfinity, float.NegativeInfinity);
                // The first pass's proof assumes a tanh hidden layer (|A| ≤ 1), this processor's reciprocal estimate as
                // measured (IsSupported), and target weights that keep every value it computes a normal float (Covers).
                _bounded = e._options.BoundedFirstPass && _hiddenActivation == Activation.Tanh && TanhAddition.IsSupported &&
                           _weights.Select((w, t) => TanhAddition.Covers(w, _biases[t])).All(covered => covered);
                _tanhTable = new float[_bounded ? _table.Length : 0];
                for (int i = 0; i < _tanhTable.Length; i += 8)
                {
                    ActivationMath.Tanh(Vector256.ConvertToSingle(Vector256.Create(_table.AsSpan(i, 8))) * Vector256.Create(FixedPointGrid.Step)).CopyTo(_tanhTable.AsSpan(i, 8));
                }

                int paddedWidth = e._paddedHidden;
                _inverseWeights = [.. _weights.Select(w => { float[] v = new float[paddedWidth]; Array.Fill(v, float.MaxValue); for (int k = 0; k < w.Length; k++) { v[k] = TanhAddition.Inverse(w[k]); } return v; })];
                _weightScales = [.. _weights.Select(w => { float[] v = new float[paddedWidth]; for (int k = 0; k < w.Length; k++) { v[k] = TanhAddition.Scale(w[k]); } return v; })];
                _leftOut = [.. _weights.Select(w => Up(w.Where(x => Math.Abs(x) < TanhAddition.SmallestWeight).Sum(x => (double)Math.Abs(x))))];

                int octets = ShapeRules.PaddedToOctets(e._hidden);
                _absoluteWeights = [.. _weights.Select(w => { float[] a = new float[octets]; for (int k = 0; k < w.Length; k++) { a[k] = Math.Abs(w[k]); } return a; })];
                double[] betaPlusDelta = new double[octets];
                if (_bounded)
                {
                    (_delta, _conditioned, _flat) = (Up(TanhAddition.ActivationError), Up(TanhAddition.ConditionedError), Up(TanhAddition.FlatError));
                    (_estimateConditioned, _estimateFlat) = (Up(TanhAddition.EstimateConditionedError), Up(TanhAddition.EstimateFlatError));
                    _reciprocal = Up(TanhAddition.ReciprocalError);
                }

                // Block by block (eight combinations), each hidden neuron's eight lanes in turn.
                for (int i = 0; i < _tanhTable.Length; i += 8 * e._hidden)
                {
                    for (int k = 0; k < e._hidden; k++)
                    {
                        for (int l = i + (8 * k); l < i + (8 * k) + 8; l++)
                        {
                            betaPlusDelta[k] = Math.Max(betaPlusDelta[k], Math.Abs(_tanhTable[l]) + (double)_delta);
                        }
                    }
                }

                _betaPlusDelta = [.. betaPlusDelta.Select(Up)];

                // The partial-fraction form's rounding is M/|w| = (1 − A²)√κ/|A| times the quotient form's (κ as above): a neuron
                // takes it from the |A| on which that factor stays at most FractionFactor (a threshold, so that the choice
                // costs one comparison per step; the bound is computed for the form taken).
                // Where the pre-activations lie far from the preference's ends, a looser bound decides as much: after a step that
                // left no vector open, the next takes the form from LooseFractionFactor on.
                _fractionFrom = Thresholds(FractionFactor);
                _fractionFromLoose = Thresholds(LooseFractionFactor);

                int padded = octets;
                _innerRadius = new int[padded];
                for (int k = 0; k < e._hidden; k++)
                {
                    for (int d = 0; d < inner; d++)
                    {
                        _innerRadius[k] += Math.Abs(e._columns[e._n - inner + d][k]);
                    }
                }

                _paddedWeights = [.. _weights.Select(w => { float[] p = new float[padded]; w.CopyTo(p, 0); return p; })];

                // Per target neuron: each hidden neuron's |A| threshold for the partial-fraction form at this factor (∞ for
                // padding, a weight left out, or no bounded pass).
                float[][] Thresholds(double factor) => [.. _absoluteWeights.Select(w => Enumerable.Range(0, octets).Select(k => k < e._hidden && w[k] >= TanhAddition.SmallestWeight && _bounded
                    ? FractionThreshold(betaPlusDelta[k], _delta, factor) : float.PositiveInfinity).ToArray())];
                _magnitudes = [.. _weights.Select((w, t) => w.Sum(Math.Abs) + Math.Abs(_biases[t]))];
                // Twice the canonical sum's relative rounding bound (the exact sum's and this bound's), rounded up with room
                // for the float magnitude's own rounding.
                _marginFactor = Up(2 * CanonicalSum.ErrorBound(e._hidden, 1) * (1 + (1.0 / 1024)));
            }

            /// <summary>3^Inner rounded up to whole vectors of eight.</summary>
            public int Lanes => _lanes;

            /// <summary>The inputs whose contributions are tabled (the last of the order).</summary>
            public int Inner { get; }

            /// <summary>3^Inner.</summary>
            public int Combinations { get; }

            /// <summary>Counts the sub-cube whose first <paramref name="fixedInputs"/> inputs (of the order) are in the worker's accumulators.</summary>
            public (long Count, long Decided) Count(Worker worker, int fixedInputs)
            {
                var work = new CountWork(this, worker, fixedInputs);
                ActivationOperators.Dispatch(_hiddenActivation, ref work);
                return work.Result;
            }

            /// <summary><see cref="Count{TActivation}"/> with the hidden layer's activation as a type.</summary>
            private struct CountWork(InnerTable table, Worker worker, int fixedInputs) : IActivationWork
            {
                public (long Count, long Decided) Result;

                public void Run<TActivation>()
                    where TActivation : struct, IActivationOperator => Result = table.Count<TActivation>(worker, fixedInputs);
            }

            private (long Count, long Decided) Count<TActivation>(Worker worker, int fixedInputs)
                where TActivation : struct, IActivationOperator
            {
                int[] acc = worker.Accumulators;
                int outer = _e._n - fixedInputs - Inner;
                int hidden = _e._hidden;
                // Every outer free input starts at -1.
                for (int p = fixedInputs; p < fixedInputs + outer; p++)
                {
                    Worker.Add(acc, _e._columns[p], -1);
                }

                Span<int> digit = stackalloc int[Math.Max(1, outer)];
                Span<int> direction = stackalloc int[Math.Max(1, outer)];
                digit.Clear();
                direction.Fill(1);
                long count = 0, decided = 0;
                long steps = Pow3(outer);
                // The bounds over the tabled inputs are tried at every step while they decide; after a step they leave
                // open the next 1, 2, 4, … 16 steps skip them (where the boundary runs through every step, as in most
                // of a trained network's cube, they cost a tenth of a step and decide nothing).
                int skip = 0, backoff = 1;
                Looseness loose = default;
                for (long s = 0; ; s++)
                {
                    bool allDecided = true;
                    bool tryBounds = _e._options.Prune && skip == 0;
                    skip = Math.Max(0, skip - 1);
                    for (int t = 0; t < _e._neurons.Length; t++)
                    {
                        // All 3^Inner combinations at once first: interval bounds over the tabled inputs often decide them.
                        int decision = tryBounds ? DecideCombinations<TActivation>(acc, t) : 0;
                        if (tryBounds && t == 0)
                        {
                            (skip, backoff) = decision == 0 ? (backoff, Math.Min(2 * backoff, 16)) : (0, 1);
                        }

                        count += decision > 0 ? Combinations : decision < 0 ? 0 : CountCombinations<TActivation>(acc, worker.Outer, t, ref loose);
                        // The cube fraction decided is per input: count it when every target neuron was decided.
                        decided += decision != 0 && t == _e._neurons.Length - 1 && allDecided ? Combinations : 0;
                        allDecided &= decision != 0;
                    }

                    if (s == steps - 1)
                    {
                        break;
                    }

                    int d = GrayCode.Step(digit, direction);
                    Worker.Add(acc, _e._columns[fixedInputs + d], direction[d]);
                }

                // Back to the caller's state: undo each outer input's last value.
                for (int d = 0; d < outer; d++)
                {
                    Worker.Add(acc, _e._columns[fixedInputs + d], -(digit[d] - 1));
                }

                return (count, decided);
            }

            /// <summary>
            /// +1 if every one of the 3^Inner combinations puts target neuron t in its interval, −1 if none does, 0 if
            /// undecided: each hidden neuron's pre-activation lies within ±(Σ|W| over the tabled inputs) of its
            /// accumulator, the activation is non-decreasing, so each weighted term lies
            /// between the products at the two ends; the margin covers the rounding of both the bound and the exact sum.
            /// </summary>
            private int DecideCombinations<TActivation>(int[] acc, int t)
                where TActivation : struct, IActivationOperator
            {
                ref int accumulators = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(acc);
                ref int radius = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_innerRadius);
                ref float weights = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_paddedWeights[t]);
                Vector256<float> step = Vector256.Create(FixedPointGrid.Step);
                Vector256<float> low = Vector256<float>.Zero, high = Vector256<float>.Zero, size = Vector256<float>.Zero;
                for (int k = 0; k < _innerRadius.Length; k += 8)
                {
                    Vector256<int> a = Vector256.LoadUnsafe(ref accumulators, (nuint)k), r = Vector256.LoadUnsafe(ref radius, (nuint)k);
                    Vector256<float> lowest = TActivation.Apply(Vector256.ConvertToSingle(a - r) * step);
                    Vector256<float> highest = TActivation.Apply(Vector256.ConvertToSingle(a + r) * step);
                    Vector256<float> w = Vector256.LoadUnsafe(ref weights, (nuint)k);
                    Vector256<float> atLowest = w * lowest, atHighest = w * highest;
                    low += Vector256.Min(atLowest, atHighest);
                    high += Vector256.Max(atLowest, atHighest);
                    size += Vector256.Max(Vector256.Abs(atLowest), Vector256.Abs(atHighest));
                }

                // The real magnitudes of the terms (unbounded activations reach 256), not |w|: the margin covers the
                // rounding of the float sum Forward computes and of this bound's own sums (CanonicalSum.ErrorBound,
                // both within it at this magnitude; an overflow makes the margin infinite and leaves the step open).
                float margin = ((Vector256.Sum(size) + Math.Abs(_biases[t])) * _marginFactor) + MarginFloor;
                float lo = Vector256.Sum(low) + _biases[t] - margin, hi = Vector256.Sum(high) + _biases[t] + margin;
                (uint inside, uint open) = Classify(Vector256.Create(lo), Vector256.Create(hi));
                return (open & 1) != 0 ? 0 : (inside & 1) != 0 ? 1 : -1;
            }

            /// <summary>How many of the 3^Inner combinations put target neuron t in its interval, the accumulators fixed.</summary>
            private long CountCombinations<TActivation>(int[] acc, float[] outer, int t, ref Looseness loose)
                where TActivation : struct, IActivationOperator
            {
                ref int table = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_table);
                ref int accumulators = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(acc);
                ref float weights = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_weights[t]);
                Vector256<float> bias = Vector256.Create(_biases[t]);
                long count = 0;
                if (_bounded)
                {
                    (float estimateBound, float refinedBound, float start, int fractions, int quotients) = PrepareFirstPass(acc, outer, t, loose.Loose);
                    Vector256<float> estimate = Vector256.Create(estimateBound), refined = Vector256.Create(refinedBound);
                    ref float tanh = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_tanhTable);
                    ref float inverse = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_inverseWeights[t]);
                    ref float steps = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(outer);
                    ref float sums = ref System.Runtime.CompilerServices.Unsafe.Add(ref steps, 2 * acc.Length);
                    ref float poles = ref Unsafe.Add(ref sums, _lanes);
                    ref float fractionList = ref Unsafe.Add(ref poles, 2 * acc.Length);
                    // The vectors the estimate decides are counted in one tight loop, which lists the others; only those
                    // go on to the refined and the exact pass.
                    Span<int> undecided = stackalloc int[_lanes / 8];
                    count = ClassifiedFirstPass(ref tanh, _lanes, _e._hidden, ref steps, ref poles, ref inverse, acc.Length,
                        ref fractionList, fractions, ref Unsafe.Add(ref fractionList, Column(acc.Length)), quotients, start, Combinations,
                        Vector256.Create(MathF.BitIncrement(_memberLow + estimateBound)), Vector256.Create(MathF.BitDecrement(_memberHigh - estimateBound)),
                        Vector256.Create(MathF.BitDecrement(_memberLow - estimateBound)), Vector256.Create(MathF.BitIncrement(_memberHigh + estimateBound)),
                        ref System.Runtime.InteropServices.MemoryMarshal.GetReference(undecided), out int open);
                    loose.After(open);
                    foreach (int c in undecided[..open])
                    {
                        uint valid = Valid(c, Combinations);
                        count += System.Numerics.BitOperations.PopCount(Refine<TActivation>(ref tanh, ref inverse, ref steps, ref sums, ref accumulators, ref table, ref weights, c, t, refined, bias, valid) & valid);
                    }

                    return count;
                }

                for (int c = 0; c < _lanes; c += 8)
                {
                    uint valid = Valid(c, Combinations);
                    uint inside = Members(PreActivation<TActivation>(ref accumulators, ref table, ref weights, c, bias));
                    count += System.Numerics.BitOperations.PopCount(inside & valid);
                }

                return count;
            }

            /// <summary>
            /// The lanes of block <paramref name="c"/> in the preference, for a block the estimate left open: the refined
            /// reciprocal's first pass and its (tighter) bound, then, if that leaves a lane open, the exact pre-activation.
            /// </summary>
            private uint Refine<TActivation>(ref float tanh, ref float inverse, ref float steps, ref float sums, ref int accumulators, ref int table, ref float weights,
                int c, int t, Vector256<float> refined, Vector256<float> bias, uint valid)
                where TActivation : struct, IActivationOperator
            {
                RefinedPass(ref tanh, ref inverse, c, _e._hidden, ref steps, _e._paddedHidden, _biases[t]);
                Vector256<float> second = Vector256.LoadUnsafe(ref sums, (nuint)c);
                (uint inside, uint open) = Classify(second - refined, second + refined);
                return (open & valid) != 0 ? Members(PreActivation<TActivation>(ref accumulators, ref table, ref weights, c, bias)) : inside;
            }
        }
    }
}
