using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace GenBias;

public static partial class CoverageCounter
{
    internal sealed partial class LayeredEnumerator
    {
        private sealed partial class InnerTable
        {
            /// <summary>
            /// The target pre-activation of eight combinations: each hidden neuron (accumulator plus tabled
            /// contributions, activated) times its broadcast weight into eight
            /// partial sums, lane by lane in the canonical order, then the fixed tree and the bias.
            /// </summary>
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
            private Vector256<float> PreActivation<TActivation>(ref int accumulators, ref int table, ref float weights, int c, Vector256<float> bias)
                where TActivation : struct, IActivationOperator
            {
                int hidden = _e._hidden;
                Vector256<float> p0 = Vector256<float>.Zero, p1 = p0, p2 = p0, p3 = p0, p4 = p0, p5 = p0, p6 = p0, p7 = p0;
                int k = 0;
                for (; k + 8 <= hidden; k += 8)
                {
                    p0 = Vector256.FusedMultiplyAdd(Hidden<TActivation>(ref accumulators, ref table, k, c), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k)), p0);
                    p1 = Vector256.FusedMultiplyAdd(Hidden<TActivation>(ref accumulators, ref table, k + 1, c), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k + 1)), p1);
                    p2 = Vector256.FusedMultiplyAdd(Hidden<TActivation>(ref accumulators, ref table, k + 2, c), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k + 2)), p2);
                    p3 = Vector256.FusedMultiplyAdd(Hidden<TActivation>(ref accumulators, ref table, k + 3, c), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k + 3)), p3);
                    p4 = Vector256.FusedMultiplyAdd(Hidden<TActivation>(ref accumulators, ref table, k + 4, c), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k + 4)), p4);
                    p5 = Vector256.FusedMultiplyAdd(Hidden<TActivation>(ref accumulators, ref table, k + 5, c), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k + 5)), p5);
                    p6 = Vector256.FusedMultiplyAdd(Hidden<TActivation>(ref accumulators, ref table, k + 6, c), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k + 6)), p6);
                    p7 = Vector256.FusedMultiplyAdd(Hidden<TActivation>(ref accumulators, ref table, k + 7, c), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k + 7)), p7);
                }

                // The last hidden neurons (fewer than eight) feed partial sums 0, 1, … in order.
                for (int l = 0; k < hidden; k++, l++)
                {
                    Vector256<float> term = Hidden<TActivation>(ref accumulators, ref table, k, c);
                    Vector256<float> w = Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref weights, k));
                    switch (l)
                    {
                        case 0: p0 = Vector256.FusedMultiplyAdd(term, w, p0); break;
                        case 1: p1 = Vector256.FusedMultiplyAdd(term, w, p1); break;
                        case 2: p2 = Vector256.FusedMultiplyAdd(term, w, p2); break;
                        case 3: p3 = Vector256.FusedMultiplyAdd(term, w, p3); break;
                        case 4: p4 = Vector256.FusedMultiplyAdd(term, w, p4); break;
                        case 5: p5 = Vector256.FusedMultiplyAdd(term, w, p5); break;
                        default: p6 = Vector256.FusedMultiplyAdd(term, w, p6); break;
                    }
                }

                return CanonicalSum.Tree(p0, p1, p2, p3, p4, p5, p6, p7) + bias;
            }

            /// <summary>The lanes of the vector starting at combination <paramref name="c"/> that are combinations (the rest pad the table).</summary>
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
            private static uint Valid(int c, int combinations) => c + 8 <= combinations ? 0xFFu : c >= combinations ? 0u : (1u << (combinations - c)) - 1;

            /// <summary>The lanes whose exact pre-activation lies in one of the member ranges.</summary>
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
            private uint Members(Vector256<float> z)
            {
                int[] members = _members;
                // Ordered integers (negative floats with every bit but the sign flipped), then the member ranges.
                Vector256<int> bits = z.AsInt32();
                Vector256<int> ordered = bits ^ (Vector256.ShiftRightArithmetic(bits, 31) & Vector256.Create(0x7FFFFFFF));
                Vector256<int> inside = Vector256<int>.Zero;
                for (int r = 0; r < members.Length; r += 2)
                {
                    // low <= z <= high, as one unsigned comparison of z - low against high - low.
                    Vector256<uint> offset = (ordered - Vector256.Create(members[r])).AsUInt32();
                    inside |= Vector256.LessThanOrEqual(offset, Vector256.Create((uint)(members[r + 1] - members[r]))).AsInt32();
                }

                return inside.ExtractMostSignificantBits();
            }

            /// <summary>The lanes whose interval [low, high] lies inside a member range, and those it leaves open (neither inside one nor outside all).</summary>
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
            private (uint Inside, uint Open) Classify(Vector256<float> low, Vector256<float> high)
            {
                float[] values = _memberValues;
                Vector256<float> inside = Vector256<float>.Zero, outside = Vector256<float>.AllBitsSet;
                for (int r = 0; r < values.Length; r += 2)
                {
                    Vector256<float> lo = Vector256.Create(values[r]), hi = Vector256.Create(values[r + 1]);
                    inside |= Vector256.GreaterThanOrEqual(low, lo) & Vector256.LessThanOrEqual(high, hi);
                    outside &= Vector256.LessThan(high, lo) | Vector256.GreaterThan(low, hi);
                }

                return (inside.ExtractMostSignificantBits(), ~(inside | outside).ExtractMostSignificantBits() & 0xFFu);
            }

            /// <summary>Hidden neuron k of eight combinations: accumulator plus tabled contributions, exactly as a float, activated.</summary>
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
            private Vector256<float> Hidden<TActivation>(ref int accumulators, ref int table, int k, int c)
                where TActivation : struct, IActivationOperator
            {
                Vector256<int> sums = Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref accumulators, k))
                    + Vector256.LoadUnsafe(ref table, (nuint)((c * _e._hidden) + (8 * k)));
                return TActivation.Apply(Vector256.ConvertToSingle(sums) * Vector256.Create(FixedPointGrid.Step));
            }
        }
    }
}
