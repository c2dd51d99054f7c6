using System;
using System.Linq;
using System.Runtime.Intrinsics;
using System.Threading;

namespace GenBias;

public static partial class CoverageCounter
{
    internal sealed partial class LayeredEnumerator
    {
        /// <summary>One thread's buffers and the recursive count.</summary>
        /// <remarks>
        /// The count's methods are compiled fully optimised at their first call (<c>AggressiveOptimization</c>; the leaf's
        /// loops are anyway): in a host that keeps compiling other code, as an Orleans silo does, tiered compilation left
        /// the bounds and the descent at tier 0 for seconds, and a silo counted a 3^20 plan in 2.1–2.6 times the processor
        /// time of one process.
        /// </remarks>
        private sealed partial class Worker
        {
            private readonly LayeredEnumerator _e;
            private readonly int[] _acc;

            /// <summary>The first-layer accumulators of the current sub-cube (bias plus fixed inputs, in units of 2^-16).</summary>
            public int[] Accumulators => _acc;

            /// <summary>The first pass's per-step values: each hidden neuron's outer tanh, the same divided by its weight, the refined pre-activations of the tabled combinations, then the estimate's two record lists.</summary>
            public float[] Outer { get; }
            private readonly long[] _radius;
            private readonly float[] _activations;   // per layer, padded to 16 (layer l at l * _stride)
            private readonly int _stride;
            private readonly double[] _low;
            private readonly double[] _high;
            private readonly double[] _nextLow;
            private readonly double[] _nextHigh;
            private readonly double[] _gradient;     // per input position: the linear bound's coefficient

            public Worker(LayeredEnumerator e)
            {
                _e = e;
                _acc = new int[e._paddedHidden];
                Outer = new float[(2 * e._paddedHidden) + (e._innerTable is { } table ? table.Lanes + (2 * e._paddedHidden) + (2 * InnerTable.Column(e._paddedHidden)) : 0)];
                _radius = new long[e._hidden];
                _stride = e._shape.Layers.Max(l => ShapeRules.PaddedWidth(l.Width)) + 16;
                _activations = new float[e._shape.Layers.Length * _stride];
                int widest = e._shape.Layers.Max(l => l.Width);
                _low = new double[widest];
                _high = new double[widest];
                _nextLow = new double[widest];
                _nextHigh = new double[widest];
                _gradient = new double[e._n];
            }

            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
            public (long Count, long Decided) CountSubCube(long index, int depth, CancellationToken cancellationToken)
            {
                Array.Copy(_e._bias, _acc, _acc.Length);
                long rest = index;
                for (int p = 0; p < depth; p++)
                {
                    int x = (int)(rest % 3) - 1;
                    rest /= 3;
                    Add(_acc, _e._columns[p], x);
                }

                return Descend(depth, cancellationToken);
            }

            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
            private (long Count, long Decided) Descend(int fixedInputs, CancellationToken cancellationToken)
            {
                int free = _e._n - fixedInputs;
                long size = Pow3(free);
                if (_e._options.Prune && free > 0)
                {
                    int decision = Decide(fixedInputs);
                    if (decision != 0)
                    {
                        return (decision > 0 ? size * _e._neurons.Length : 0, size);
                    }
                }

                if (free <= _e._options.LeafFreeInputs)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    return Leaf(fixedInputs);
                }

                long count = 0, decided = 0;
                int[] column = _e._columns[fixedInputs];
                for (int x = -1; x <= 1; x++)
                {
                    Add(_acc, column, x);
                    (long c, long d) = Descend(fixedInputs + 1, cancellationToken);
                    count += c;
                    decided += d;
                    Add(_acc, column, -x);
                }

                return (count, decided);
            }
            /// <summary>Enumerates the free inputs with a reflected ternary Gray code: one input moves by ±1 per step.</summary>
            private (long Count, long Decided) Leaf(int fixedInputs)
            {
                if (_e._innerTable is { } inner && _e._n - fixedInputs >= inner.Inner)
                {
                    return inner.Count(this, fixedInputs);
                }

                int free = _e._n - fixedInputs;
                // Start from every free input at -1.
                for (int p = fixedInputs; p < _e._n; p++)
                {
                    Add(_acc, _e._columns[p], -1);
                }

                Span<int> digit = stackalloc int[Math.Max(1, free)];
                Span<int> direction = stackalloc int[Math.Max(1, free)];
                digit.Clear();
                direction.Fill(1);
                long count = Evaluate();
                long steps = Pow3(free) - 1;
                for (long s = 0; s < steps; s++)
                {
                    int d = GrayCode.Step(digit, direction);
                    Add(_acc, _e._columns[fixedInputs + d], direction[d]);
                    count += Evaluate();
                }

                // Back to the state the caller had (each free input at its last value, undone).
                for (int d = 0; d < free; d++)
                {
                    Add(_acc, _e._columns[fixedInputs + d], -(digit[d] - 1));
                }

                return (count, 0);
            }

            /// <summary>The network from the first-layer accumulators: how many of the preference's neurons meet the interval.</summary>
            private int Evaluate()
            {
                LayerShape first = _e._shape.Layers[0];
                Span<float> a0 = _activations.AsSpan(0, _stride);
                // Layer 0: exact integer sums → floats (exact) → the shared activation, 16 or 8 lanes at a time.
                int k = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    for (; k < _e._paddedHidden; k += 16)
                    {
                        Vector512<float> z = Vector512.ConvertToSingle(Vector512.Create<int>(_acc.AsSpan(k, 16))) * FixedPointGrid.Step;
                        ActivationMath.Apply(first.Activation, z).CopyTo(a0.Slice(k, 16));
                    }
                }
                else if (Vector256.IsHardwareAccelerated)
                {
                    for (; k < _e._paddedHidden; k += 8)
                    {
                        Vector256<float> z = Vector256.ConvertToSingle(Vector256.Create<int>(_acc.AsSpan(k, 8))) * FixedPointGrid.Step;
                        ActivationMath.Apply(first.Activation, z).CopyTo(a0.Slice(k, 8));
                    }
                }
                else
                {
                    for (; k < _e._paddedHidden; k++)
                    {
                        a0[k] = NeuronMembership.Activate(first.Activation, _acc[k]);
                    }
                }

                for (int l = 1; l <= _e._targetLayer; l++)
                {
                    Layer(l, _activations.AsSpan((l - 1) * _stride, _stride), _activations.AsSpan(l * _stride, _stride));
                }

                Span<float> target = _activations.AsSpan(_e._targetLayer * _stride, _stride);
                int hits = 0;
                foreach (int neuron in _e._neurons)
                {
                    hits += _e._preference.Interval.Contains(target[neuron]) ? 1 : 0;
                }

                return hits;
            }

            /// <summary>One later layer in the canonical order (bit-identical to generated code and the reference).</summary>
            private void Layer(int l, ReadOnlySpan<float> input, Span<float> output)
            {
                LayerShape layer = _e._shape.Layers[l];
                ReadOnlySpan<float> packed = _e._packed.AsSpan(_e._packedOffsets[l]);
                if (!ShapeRules.VectoriseOverOutputs(layer.Width) && Vector256.IsHardwareAccelerated)
                {
                    // Rows padded to whole 8-float chunks; the inputs' padding holds finite values and meets zero weights.
                    int stride = ShapeRules.DotStride(layer.InputCount);
                    for (int k = 0; k < layer.Width; k++)
                    {
                        Vector256<float> p = Vector256<float>.Zero;
                        for (int j = 0; j < stride; j += 8)
                        {
                            p = Vector256.FusedMultiplyAdd(Vector256.Create(input.Slice(j, 8)), Vector256.Create(packed.Slice((k * stride) + j, 8)), p);
                        }

                        float z = CanonicalSum.Tree(p) + packed[(layer.Width * stride) + k];
                        output[k] = ActivationMath.Apply(layer.Activation, z);
                    }

                    return;
                }

                for (int k = 0; k < layer.Width; k++)
                {
                    float z = CanonicalSum.PreActivation(input.Slice(0, layer.InputCount),
                        _e._parameters.AsSpan(layer.WeightIndex(k, 0), layer.InputCount), _e._parameters[layer.BiasIndex(k)]);
                    output[k] = ActivationMath.Apply(layer.Activation, z);
                }

                // Padding lanes must stay finite for a narrow layer that reads whole vectors next.
                output.Slice(layer.Width, ShapeRules.PaddedWidth(layer.Width) - layer.Width).Clear();
            }

            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
            internal static void Add(int[] acc, int[] column, int times)
            {
                if (times == 0)
                {
                    return;
                }

                // Whole vectors (a vector load of values just written one by one would wait for the stores to retire).
                int i = 0;
                if (Vector512.IsHardwareAccelerated)
                {
                    Vector512<int> t = Vector512.Create(times);
                    for (; i <= acc.Length - 16; i += 16)
                    {
                        (Vector512.Create<int>(acc.AsSpan(i, 16)) + (Vector512.Create<int>(column.AsSpan(i, 16)) * t)).CopyTo(acc.AsSpan(i, 16));
                    }
                }
                else if (Vector256.IsHardwareAccelerated)
                {
                    Vector256<int> t = Vector256.Create(times);
                    for (; i <= acc.Length - 8; i += 8)
                    {
                        (Vector256.Create<int>(acc.AsSpan(i, 8)) + (Vector256.Create<int>(column.AsSpan(i, 8)) * t)).CopyTo(acc.AsSpan(i, 8));
                    }
                }

                for (; i < acc.Length; i++)
                {
                    acc[i] += column[i] * times;
                }
            }
        }
    }
}
