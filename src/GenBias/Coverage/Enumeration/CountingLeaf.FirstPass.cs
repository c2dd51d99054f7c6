using System;
using System.Linq;
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
            /// The estimate tier of the first pass, classified in registers: the pre-activations of four blocks at a time
            /// (from <paramref name="start"/>, the bias plus the partial-fraction constants), each listed hidden neuron's
            /// term in its form of this step — the <paramref name="fractionCount"/> neurons listed in <paramref name="fractions"/>
            /// by <see cref="TanhAddition.AddFraction"/> (pole at k and coefficient at padded + k of <paramref name="poles"/>),
            /// then the <paramref name="quotientCount"/> in <paramref name="quotients"/> by <see cref="TanhAddition.AddTerm{TReciprocal}"/>
            /// (A at k and A/w at padded + k of <paramref name="outer"/>, 1/w in <paramref name="inverse"/>) — and each lane's
            /// interval (sum ± the estimate's bound) inside the widest member range (sum in [<paramref name="insideLow"/>,
            /// <paramref name="insideHigh"/>], the range shrunk by the bound) or outside the members' hull (sum below
            /// <paramref name="outsideLow"/> or above <paramref name="outsideHigh"/>); returns the lanes inside over the blocks
            /// it decides wholly and lists the blocks it leaves open (their first lane) in <paramref name="open"/>.
            /// </summary>
            [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
            private static long ClassifiedFirstPass(ref float tanh, int lanes, int hidden, ref float outer, ref float poles, ref float inverse, int padded,
                ref float fractions, int fractionCount, ref float quotients, int quotientCount, float start, int combinations,
                Vector256<float> insideLow, Vector256<float> insideHigh, Vector256<float> outsideLow, Vector256<float> outsideHigh, ref int open, out int openCount)
            {
                nuint stride = (nuint)(8 * hidden);
                Vector256<float> first = Vector256.Create(start);
                long count = 0;
                int n = 0, c = 0;

                // Eight blocks at a time: eight running sums, so that the chain of sums (one fused multiply-add per neuron)
                // does not hold back the multiply pipes, which the eight blocks' terms keep busy.
                for (; c + 64 <= lanes; c += 64)
                {
                    ref float block = ref Unsafe.Add(ref tanh, c * hidden);
                    Vector256<float> s0 = first, s1 = first, s2 = first, s3 = first, s4 = first, s5 = first, s6 = first, s7 = first;
                    for (int j = 0; j < fractionCount; j++)
                    {
                        // This neuron's pole and coefficient, broadcast once for the eight blocks.
                        int k = Neuron(ref fractions, j);
                        ref float b = ref Unsafe.Add(ref block, 8 * k);
                        Vector256<float> pole = Vector256.Create(Unsafe.Add(ref poles, k)), coefficient = Vector256.Create(Unsafe.Add(ref poles, padded + k));
                        s0 = TanhAddition.AddFraction(s0, Vector256.LoadUnsafe(ref b), pole, coefficient);
                        s1 = TanhAddition.AddFraction(s1, Vector256.LoadUnsafe(ref b, stride), pole, coefficient);
                        s2 = TanhAddition.AddFraction(s2, Vector256.LoadUnsafe(ref b, 2 * stride), pole, coefficient);
                        s3 = TanhAddition.AddFraction(s3, Vector256.LoadUnsafe(ref b, 3 * stride), pole, coefficient);
                        s4 = TanhAddition.AddFraction(s4, Vector256.LoadUnsafe(ref b, 4 * stride), pole, coefficient);
                        s5 = TanhAddition.AddFraction(s5, Vector256.LoadUnsafe(ref b, 5 * stride), pole, coefficient);
                        s6 = TanhAddition.AddFraction(s6, Vector256.LoadUnsafe(ref b, 6 * stride), pole, coefficient);
                        s7 = TanhAddition.AddFraction(s7, Vector256.LoadUnsafe(ref b, 7 * stride), pole, coefficient);
                    }

                    for (int j = 0; j < quotientCount; j++)
                    {
                        // This neuron's A, A/w and 1/w, broadcast once for the eight blocks.
                        int k = Neuron(ref quotients, j);
                        ref float b = ref Unsafe.Add(ref block, 8 * k);
                        Vector256<float> av = Vector256.Create(Unsafe.Add(ref outer, k)), scaled = Vector256.Create(Unsafe.Add(ref outer, padded + k)), iv = Vector256.Create(Unsafe.Add(ref inverse, k));
                        s0 = TanhAddition.AddTerm<TanhAddition.Estimate>(s0, Vector256.LoadUnsafe(ref b), av, scaled, iv);
                        s1 = TanhAddition.AddTerm<TanhAddition.Estimate>(s1, Vector256.LoadUnsafe(ref b, stride), av, scaled, iv);
                        s2 = TanhAddition.AddTerm<TanhAddition.Estimate>(s2, Vector256.LoadUnsafe(ref b, 2 * stride), av, scaled, iv);
                        s3 = TanhAddition.AddTerm<TanhAddition.Estimate>(s3, Vector256.LoadUnsafe(ref b, 3 * stride), av, scaled, iv);
                        s4 = TanhAddition.AddTerm<TanhAddition.Estimate>(s4, Vector256.LoadUnsafe(ref b, 4 * stride), av, scaled, iv);
                        s5 = TanhAddition.AddTerm<TanhAddition.Estimate>(s5, Vector256.LoadUnsafe(ref b, 5 * stride), av, scaled, iv);
                        s6 = TanhAddition.AddTerm<TanhAddition.Estimate>(s6, Vector256.LoadUnsafe(ref b, 6 * stride), av, scaled, iv);
                        s7 = TanhAddition.AddTerm<TanhAddition.Estimate>(s7, Vector256.LoadUnsafe(ref b, 7 * stride), av, scaled, iv);
                    }

                    (ulong inside, ulong undecided) = Lanes(s0, insideLow, insideHigh, outsideLow, outsideHigh);
                    Add(ref inside, ref undecided, Lanes(s1, insideLow, insideHigh, outsideLow, outsideHigh), 8);
                    Add(ref inside, ref undecided, Lanes(s2, insideLow, insideHigh, outsideLow, outsideHigh), 16);
                    Add(ref inside, ref undecided, Lanes(s3, insideLow, insideHigh, outsideLow, outsideHigh), 24);
                    Add(ref inside, ref undecided, Lanes(s4, insideLow, insideHigh, outsideLow, outsideHigh), 32);
                    Add(ref inside, ref undecided, Lanes(s5, insideLow, insideHigh, outsideLow, outsideHigh), 40);
                    Add(ref inside, ref undecided, Lanes(s6, insideLow, insideHigh, outsideLow, outsideHigh), 48);
                    Add(ref inside, ref undecided, Lanes(s7, insideLow, insideHigh, outsideLow, outsideHigh), 56);
                    count += Tally(inside, undecided, c, combinations, ref open, ref n);
                }

                for (; c < lanes; c += 8)
                {
                    ref float block = ref System.Runtime.CompilerServices.Unsafe.Add(ref tanh, c * hidden);
                    Vector256<float> s0 = first;
                    for (int j = 0; j < fractionCount; j++)
                    {
                        int k = Neuron(ref fractions, j);
                        s0 = TanhAddition.AddFraction(s0, Vector256.LoadUnsafe(ref block, (nuint)(8 * k)), Vector256.Create(Unsafe.Add(ref poles, k)), Vector256.Create(Unsafe.Add(ref poles, padded + k)));
                    }

                    for (int j = 0; j < quotientCount; j++)
                    {
                        int k = Neuron(ref quotients, j);
                        s0 = TanhAddition.AddTerm<TanhAddition.Estimate>(s0, Vector256.LoadUnsafe(ref block, (nuint)(8 * k)), Vector256.Create(Unsafe.Add(ref outer, k)),
                            Vector256.Create(Unsafe.Add(ref outer, padded + k)), Vector256.Create(Unsafe.Add(ref inverse, k)));
                    }

                    (ulong inside, ulong undecided) = Lanes(s0, insideLow, insideHigh, outsideLow, outsideHigh);
                    count += Tally(inside, undecided, c, combinations, ref open, ref n);
                }

                openCount = n;
                return count;

                // The j-th neuron of a list (kept as the bits of a float).
                static int Neuron(ref float list, int j) => Unsafe.As<float, int>(ref Unsafe.Add(ref list, j));

                // A block's lanes inside (sum ± bound within the widest member range: the thresholds are that range shrunk by the
                // bound, rounded inwards) and undecided (neither inside nor outside the members' hull widened by the bound).
                static (ulong Inside, ulong Undecided) Lanes(Vector256<float> sum, Vector256<float> insideLow, Vector256<float> insideHigh, Vector256<float> outsideLow, Vector256<float> outsideHigh)
                {
                    Vector256<float> inside = Vector256.GreaterThanOrEqual(sum, insideLow) & Vector256.LessThanOrEqual(sum, insideHigh);
                    Vector256<float> outside = Vector256.LessThan(sum, outsideLow) | Vector256.GreaterThan(sum, outsideHigh);
                    return (inside.ExtractMostSignificantBits(), (inside | outside).ExtractMostSignificantBits() ^ 0xFFu);
                }

                static void Add(ref ulong inside, ref ulong undecided, (ulong Inside, ulong Undecided) block, int shift)
                {
                    inside |= block.Inside << shift;
                    undecided |= block.Undecided << shift;
                }

                // The lanes of up to eight blocks from combination c, a byte each: those of wholly decided blocks are counted,
                // blocks with an undecided (valid) lane are listed for the refined pass. Mostly branch-free.
                static long Tally(ulong inside, ulong undecided, int c, int combinations, ref int open, ref int n)
                {
                    int valid = combinations - c;
                    ulong mask = valid >= 64 ? ulong.MaxValue : valid <= 0 ? 0 : (1UL << valid) - 1;
                    ulong blocks = undecided & mask;
                    blocks |= blocks >> 4;
                    blocks |= blocks >> 2;
                    blocks |= blocks >> 1;
                    blocks &= 0x0101010101010101UL; // bit 8i: block i has an undecided lane
                    long count = System.Numerics.BitOperations.PopCount(inside & mask & ~(blocks * 0xFF));
                    for (; blocks != 0; blocks &= blocks - 1)
                    {
                        Unsafe.Add(ref open, n++) = c + System.Numerics.BitOperations.TrailingZeroCount(blocks);
                    }

                    return count;
                }
            }

            /// <summary>For each mask of four lanes, the permutation that moves the lanes set to the front (a left-pack).</summary>
            private static readonly int[] LeftPack = [.. Enumerable.Range(0, 16).SelectMany(m => Enumerable.Range(0, 4).Where(j => ((m >> j) & 1) != 0).Concat(Enumerable.Repeat(0, 4)).Take(4))];

            /// <summary>
            /// How much worse than the quotient form's a neuron's partial-fraction bound may be for the first pass to take it:
            /// the form saves a third of the multiply-pipe work, and a looser estimate sends a few more vectors to the refined pass.
            /// </summary>
            private const double FractionFactor = 4;

            /// <summary>The factor after a step whose estimate left no vector open (far from the preference's ends a looser bound costs nothing).</summary>
            private const double LooseFractionFactor = 64;

            /// <summary>
            /// Whether the next step takes the loose thresholds: after a step that left no vector open, unless a loose step
            /// lately did (then the tight ones for the next 1, 2, 4, … 64 steps), so that near the preference's ends the
            /// looser bound does not send more vectors to the refined pass than the cheaper terms save.
            /// </summary>
            private struct Looseness
            {
                private int _wait, _backoff;

                public bool Loose { get; private set; }

                public void After(int open)
                {
                    if (Loose && open > 0)
                    {
                        (Loose, _wait, _backoff) = (false, Math.Max(1, _backoff), Math.Min(2 * Math.Max(1, _backoff), 64));
                        return;
                    }

                    if (Loose)
                    {
                        _backoff = 1;
                        return;
                    }

                    _wait = Math.Max(0, _wait - 1);
                    Loose = open == 0 && _wait == 0;
                }
            }

            /// <summary>The smallest |A| from which (1 − A²)/(|A|(1 − (|A| + δ)(β + δ))) stays at most <paramref name="factor"/> (on a grid of 2^-10; ∞ if it never does).</summary>
            private static float FractionThreshold(double betaPlusDelta, double delta, double factor)
            {
                float from = float.PositiveInfinity;
                for (int i = 1023; i >= 1; i--)
                {
                    double a = i / 1024.0, gap = 1 - ((a + delta) * betaPlusDelta);
                    if (gap <= 0 || (1 - (a * a)) / (a * gap) > factor)
                    {
                        break;
                    }

                    from = (float)a;
                }

                return from;
            }

            /// <summary>The floats of one column of the first pass's lists (four more than the neurons: the lists are written four lanes at a time).</summary>
            internal static int Column(int padded) => padded + 4;

            /// <summary>
            /// Before a Gray-code step's first pass: each hidden neuron's outer tanh A = Tanh(accumulator) (eight at a
            /// time, the exact activation) and A/w for target neuron <paramref name="t"/> into <paramref name="outer"/>
            /// (A at k, A/w at padded + k); each neuron's form for the estimate tier (the partial-fraction form where its
            /// bound is at most <see cref="FractionFactor"/> times the quotient form's, the quotient form otherwise, neither
            /// for a weight left out) listed after the refined sums, in columns of <see cref="Column"/> floats: poles,
            /// coefficients and table offsets of the partial-fraction form, then A, A/w, 1/w and table offsets of the
            /// quotient form (offsets as the bits of 8k); returns how far each tier's pre-activation
            /// can be from the exact one (the terms, the sums' rounding and the interval ends'), the estimate's start (bias plus the partial-fraction
            /// constants w/A, rounded once) and the two lists' lengths.
            /// </summary>
            private (float Estimate, float Refined, float Start, int Fractions, int Quotients) PrepareFirstPass(int[] acc, float[] outer, int t, bool loose)
            {
                const float Unit = 1f / (1 << 24), Slack = 1 + (1f / (1 << 12));
                int hidden = _e._hidden, padded = acc.Length, column = Column(padded);
                float[] scales = _weightScales[t], absolute = _absoluteWeights[t], signed = _paddedWeights[t];
                ref float values = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(outer);
                ref float poles = ref Unsafe.Add(ref values, (2 * padded) + _lanes);
                ref float fractionList = ref Unsafe.Add(ref poles, 2 * padded), quotientList = ref Unsafe.Add(ref fractionList, column);
                ref int leftPack = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(LeftPack);
                Vector256<float> one = Vector256<float>.One, delta = Vector256.Create(_delta);
                Vector256<float> estimated = Vector256<float>.Zero, refined = Vector256<float>.Zero, size = Vector256<float>.Zero;
                Vector256<float> constant = Vector256<float>.Zero, constantSize = Vector256<float>.Zero, illConditioned = Vector256<float>.Zero;
                int fractions = 0, quotients = 0;
                float[] fractionFrom = loose ? _fractionFromLoose[t] : _fractionFrom[t];
                for (int k = 0; k < hidden; k += 8)
                {
                    Vector256<float> a = ActivationMath.Tanh(Vector256.ConvertToSingle(Vector256.Create(acc.AsSpan(k, 8))) * Vector256.Create(FixedPointGrid.Step));
                    a.StoreUnsafe(ref values, (nuint)k);
                    Vector256<float> scaled = a * Vector256.Create(scales.AsSpan(k, 8));
                    scaled.StoreUnsafe(ref values, (nuint)(padded + k));
                    Vector256<float> w = Vector256.Create(absolute.AsSpan(k, 8)), signedWeight = Vector256.Create(signed.AsSpan(k, 8));

                    // The form (one comparison: the pass waits for the lists, not for the bound) and both lists, four
                    // neurons at a time: each form's lanes packed to the front and stored at its list's end.
                    Vector256<float> listed = Vector256.GreaterThanOrEqual(w, Vector256.Create(TanhAddition.SmallestWeight));
                    Vector256<float> take = Vector256.GreaterThanOrEqual(Vector256.Abs(a), Vector256.Create(fractionFrom.AsSpan(k, 8)));
                    Vector256<float> inverse = one / a, square = Vector256.FusedMultiplyAdd(-a, a, one);
                    Vector256<float> coefficient = signedWeight * square * inverse * inverse;
                    inverse.StoreUnsafe(ref poles, (nuint)k);
                    coefficient.StoreUnsafe(ref poles, (nuint)(padded + k));
                    uint fractionMask = take.ExtractMostSignificantBits(), quotientMask = Vector256.AndNot(listed, take).ExtractMostSignificantBits();
                    for (int half = 0; half < 8; half += 4, fractionMask >>= 4, quotientMask >>= 4)
                    {
                        Vector128<float> neurons = Vector128.Create(k + half, k + half + 1, k + half + 2, k + half + 3).AsSingle();
                        System.Runtime.Intrinsics.X86.Avx.PermuteVar(neurons, Vector128.LoadUnsafe(ref leftPack, 4 * (fractionMask & 15))).StoreUnsafe(ref fractionList, (nuint)fractions);
                        System.Runtime.Intrinsics.X86.Avx.PermuteVar(neurons, Vector128.LoadUnsafe(ref leftPack, 4 * (quotientMask & 15))).StoreUnsafe(ref quotientList, (nuint)quotients);
                        fractions += System.Numerics.BitOperations.PopCount(fractionMask & 15);
                        quotients += System.Numerics.BitOperations.PopCount(quotientMask & 15);
                    }

                    Vector256<float> term = signedWeight * inverse;
                    constant += Vector256.ConditionalSelect(take, term, Vector256<float>.Zero);
                    constantSize += Vector256.ConditionalSelect(take, Vector256.Abs(term), Vector256<float>.Zero);

                    // The bound. κ = 1/(1 − (|A| + δ)(β + δ))² in floats: the gap computed is within 5·2^-24 of the real one,
                    // so the gap less 2^-21 is below it and √κ from it above the real one; a gap under 2^-20 (√κ over
                    // TanhAddition.MaxFractionRoot) is ill-conditioned.
                    Vector256<float> gap = one - ((Vector256.Abs(a) + delta) * Vector256.Create(_betaPlusDelta.AsSpan(k, 8))) - Vector256.Create(1f / (1 << 21));
                    illConditioned |= Vector256.LessThan(gap, Vector256.Create((float)(1 / TanhAddition.MaxFractionRoot)));
                    Vector256<float> root = one / gap, kappa = root * root;

                    // The quotient form's term error |w|·(c·κ + f) for the estimate and the refined reciprocal; the partial-
                    // fraction form's |w|(2δκ + δ) + M·(e₀ + 2^-23(7 + √κ))(1 + 2^-10), M = |w|(1 − A²)√κ/|A|.
                    Vector256<float> quotient = w * ((Vector256.Create(_estimateConditioned) * kappa) + Vector256.Create(_estimateFlat));
                    refined += w * ((Vector256.Create(_conditioned) * kappa) + Vector256.Create(_flat));
                    Vector256<float> magnitude = w * square * Vector256.Abs(inverse) * root;
                    Vector256<float> fraction = (w * ((delta * (kappa + kappa)) + delta))
                        + (magnitude * (Vector256.Create(_reciprocal) + (Vector256.Create(1f / (1 << 23)) * (Vector256.Create(7f) + root))) * Vector256.Create(1 + (1f / (1 << 10))));
                    estimated += Vector256.ConditionalSelect(take, fraction, quotient);
                    size += Vector256.ConditionalSelect(take, magnitude + fraction, w + quotient);
                }

                if (illConditioned.ExtractMostSignificantBits() != 0)
                {
                    return (float.PositiveInfinity, float.PositiveInfinity, _biases[t], 0, 0);
                }

                // The start: bias plus the constants w/A, each within 2·2^-24 of the real one, the sum within γ·Σ|w/A|.
                float start = _biases[t] + Vector256.Sum(constant);
                float gamma = (hidden + 2) * Unit * 1.01f, exact = _magnitudes[t], leftOut = _leftOut[t];
                float startError = (gamma + (4 * Unit)) * (Math.Abs(_biases[t]) + Vector256.Sum(constantSize));

                // Each tier's error: its terms' (a weight left out contributes 0 for a term within |w| of the true one), the
                // rounding of its sum (γ·Σ|its terms and start|), of the exact sum (γ·(Σ|w| + |bias|)) and of the interval's
                // ends. Everything above is sums and products of non-negative floats, each within a relative 64·2^-24 of
                // its real value and the sums (at most 256 terms) within 2^-16: the factor 1 + 2^-12 covers all of it.
                float estimateError = Vector256.Sum(estimated) + leftOut + startError, refinedError = Vector256.Sum(refined) + leftOut;
                float sum = Math.Abs(start) + Vector256.Sum(size) + estimateError;
                float estimateBound = (estimateError + (gamma * (sum + exact + estimateError)) + (4 * Unit * (Math.Max(sum, exact) + estimateError + 1))) * Slack;
                float refinedBound = (refinedError + (gamma * (2 * (exact + refinedError))) + (4 * Unit * (exact + refinedError + 1))) * Slack;
                return (estimateBound, refinedBound, start, fractions, quotients);
            }

            /// <summary>
            /// The refined tier of the first pass for block <paramref name="c"/> (eight combinations): as
            /// <see cref="ClassifiedFirstPass"/>, with the reciprocal refined by a Newton step and four running sums for the
            /// latency, the pre-activations written after <paramref name="outer"/>'s per-step values.
            /// </summary>
            private static void RefinedPass(ref float tanh, ref float inverse, int c, int hidden, ref float outer, int padded, float bias)
            {
                ref float b = ref System.Runtime.CompilerServices.Unsafe.Add(ref tanh, c * hidden);
                Vector256<float> p0 = Vector256.Create(bias), p1 = Vector256<float>.Zero, p2 = p1, p3 = p1;
                int k = 0;
                for (; k + 4 <= hidden; k += 4)
                {
                    p0 = Term(p0, ref b, ref outer, ref inverse, padded, k);
                    p1 = Term(p1, ref b, ref outer, ref inverse, padded, k + 1);
                    p2 = Term(p2, ref b, ref outer, ref inverse, padded, k + 2);
                    p3 = Term(p3, ref b, ref outer, ref inverse, padded, k + 3);
                }

                for (; k < hidden; k++)
                {
                    p0 = Term(p0, ref b, ref outer, ref inverse, padded, k);
                }

                ((p0 + p1) + (p2 + p3)).StoreUnsafe(ref System.Runtime.CompilerServices.Unsafe.Add(ref outer, 2 * padded), (nuint)c);

                static Vector256<float> Term(Vector256<float> sum, ref float b, ref float a, ref float inverse, int padded, int k) =>
                    TanhAddition.AddTerm<TanhAddition.Refined>(sum, Vector256.LoadUnsafe(ref b, (nuint)(8 * k)), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref a, k)),
                        Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref a, padded + k)), Vector256.Create(System.Runtime.CompilerServices.Unsafe.Add(ref inverse, k)));
            }
        }
    }
}
