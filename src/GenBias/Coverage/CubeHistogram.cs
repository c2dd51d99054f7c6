using System;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Threading;

namespace GenBias;

/// <summary>
/// The distribution of a first-layer neuron's sum Σ w_i x_i over all 3^n inputs, for any number of inputs: the
/// convolution of n three-point distributions on the grid's integer units, built by one histogram pass per input.
/// Reusable for any bias (a projection counts many).
/// </summary>
/// <remarks>
/// <para><b>Exactness of the sum.</b> On <see cref="FixedPointGrid"/> (weights and bias in units of 2^-16 with
/// Σ|w| + |b| &lt; 2^24 units) every partial sum of the canonical first-layer order is a float-exact integer number of
/// units, so Forward's pre-activation is bias + Σ w_i x_i exactly, and an input's activation depends only on that
/// integer. <see cref="RateBounds"/> and <see cref="Count"/> refuse a bias that leaves the grid.</para>
/// <para><b>Counts.</b> Up to <see cref="ExactMaxInputs"/> inputs (3^39 &lt; 2^63) the histogram holds the counts as
/// <see cref="long"/> integers and every count is exact. Beyond, the counts are doubles scaled by one power of two
/// 2^-s chosen so that 3^n · 2^-s ≤ 2^1000; every non-zero count (at least 1, so at least 2^-s ≥ 2^-1022) is then a
/// normal double and nothing overflows or underflows. Each pass computes (h[v] + h[v−w]) + h[v−2w] over non-negative
/// values, two roundings, so after n passes every entry is within a relative γ_{2n} = 2nu/(1 − 2nu) (u = 2^-53) of the
/// true count (a count of zero stays exactly zero). A range is summed as a tree of height at most 27 (pairwise sums
/// inside 2^10-entry blocks and over the block sums, two more additions), the member ranges then one after the other,
/// and the total 3^n · 2^-s is n multiplications by 3: all these roundings add up to a height h, and the rate is
/// certified within a relative 2γ_h of the computed quotient, rounded outwards (Higham, Accuracy and Stability of
/// Numerical Algorithms, §4.2: a summation tree of height h over non-negative terms is within γ_h). For 784 inputs
/// the interval is about 10^-12 of the rate wide.</para>
/// <para><b>Memory.</b> The weights are divided by their greatest common divisor (the count of a sum range is the count
/// of the divided range), the histogram has 2·Σ|w|/g + 1 entries of 8 bytes, and more than
/// <see cref="MaxEntries"/> are refused.</para>
/// </remarks>
internal sealed class CubeHistogram
{
    /// <summary>The most inputs whose counts are exact integers (3^39 &lt; 2^63).</summary>
    public const int ExactMaxInputs = 39;

    /// <summary>The most histogram entries (256 MB of counts): the whole range a neuron on the grid can reach.</summary>
    public const long MaxEntries = 1L << 25;

    /// <summary>Entries per block of the block sums that ranges are summed from.</summary>
    private const int BlockSize = 1 << 10;

    /// <summary>
    /// The height of the summation tree of one range (<see cref="Between"/>): pairwise within a partial block (≤ 10),
    /// pairwise over at most 2^15 block sums (≤ 15) on top of the blocks' own (≤ 10), then two additions.
    /// </summary>
    private const int RangeHeight = 10 + 15 + 2;

    private readonly long[]? _exact;       // prefix counts: _exact[_pad + v] = #{x : Σ x_i w_i / g + Reach/g ≤ v}
    private readonly double[]? _scaled;    // _scaled[_pad + v]: the count of sum (v − Reach/g)·g, times 2^-s
    private readonly int _pad;
    private readonly double[]? _blocks;    // pairwise sums of BlockSize entries of _scaled
    private readonly long _divisor;
    private readonly long _halfWidth;      // Reach / divisor: index v holds the sum (v − _halfWidth) · divisor
    private readonly double _scaledTotal;  // 3^n · 2^-s as computed
    private readonly int _totalRoundings;  // roundings in _scaledTotal

    private CubeHistogram(int inputs, long reach, long divisor, long halfWidth, int pad, long[]? exact, double[]? scaled, double[]? blocks, double scaledTotal, int totalRoundings)
    {
        _pad = pad;
        Inputs = inputs;
        Reach = reach;
        _divisor = divisor;
        _halfWidth = halfWidth;
        _exact = exact;
        _scaled = scaled;
        _blocks = blocks;
        _scaledTotal = scaledTotal;
        _totalRoundings = totalRoundings;
    }

    /// <summary>The number of inputs n.</summary>
    public int Inputs { get; }

    /// <summary>The largest |Σ x_i w_i| in units.</summary>
    public long Reach { get; }

    /// <summary>Whether counts are exact integers (at most <see cref="ExactMaxInputs"/> inputs).</summary>
    public bool IsExact => _exact is not null;

    /// <summary>
    /// The histogram of Σ x_i w_i for weights in units of 2^-16. The passes take the inputs smallest weight first
    /// (the early passes are short) unless <paramref name="inOrder"/>, which keeps the given order (a test compares
    /// the two); they run fused in cache-sized groups unless not <paramref name="fused"/> (the same values: a test
    /// compares the two).
    /// </summary>
    /// <exception cref="InvalidOperationException">The histogram would exceed <see cref="MaxEntries"/> entries.</exception>
    public static CubeHistogram Create(ReadOnlySpan<int> weights, CancellationToken cancellationToken, bool inOrder = false, bool fused = true)
    {
        int n = weights.Length;
        if (n > ShapeRules.MaxInputs)
        {
            throw new ArgumentOutOfRangeException(nameof(weights), n, $"A network has at most {ShapeRules.MaxInputs} inputs.");
        }

        long reach = 0, divisor = 0;
        long[] magnitudes = new long[n];
        for (int i = 0; i < n; i++)
        {
            magnitudes[i] = Math.Abs((long)weights[i]);
            reach += magnitudes[i];
            divisor = (long)BigInteger.GreatestCommonDivisor(divisor, magnitudes[i]);
        }

        divisor = Math.Max(divisor, 1);
        long halfWidth = reach / divisor, length = (2 * halfWidth) + 1;
        if (length > MaxEntries)
        {
            throw new InvalidOperationException(
                $"The distribution of a first-layer neuron's sum over the cube needs {length:N0} histogram entries (Σ|w| = {reach:N0} units of 2^-16, common divisor {divisor}); at most {MaxEntries:N0} are allowed.");
        }

        int[] steps = new int[n];
        for (int i = 0; i < n; i++)
        {
            steps[i] = (int)(magnitudes[i] / divisor);
        }

        if (!inOrder)
        {
            Array.Sort(steps);
        }

        int widest = 0;
        foreach (int w in steps)
        {
            widest = Math.Max(widest, w);
        }

        // Index pad + v holds the count of the shifted sum v = Σ (x_i + 1)·w_i/g ∈ [0, 2·halfWidth]; the 2·widest
        // zeros in front make every read of a pass land inside.
        int pad = 2 * widest;
        if (n <= ExactMaxInputs)
        {
            long[] counts = new long[pad + length];
            counts[pad] = 1;
            Passes(counts, pad, steps, cancellationToken, fused);
            // In place: counts[pad + v] becomes the number of sums at most v (exact: at most 3^39).
            for (int v = 1; v < length; v++)
            {
                counts[pad + v] += counts[pad + v - 1];
            }

            return new CubeHistogram(n, reach, divisor, halfWidth, pad, counts, null, null, 0, 0);
        }

        // 3^n · 2^-s ≤ 2^1000 with every count ≥ 1 at least 2^-s, a normal double (n ≤ 1024 needs s ≤ 624).
        int shift = Math.Max(0, (int)Math.Ceiling(n * Math.Log2(3)) + 1 - 1000);
        double unit = Math.ScaleB(1.0, -shift);
        double[] scaled = new double[pad + length];
        scaled[pad] = unit;
        Passes(scaled, pad, steps, cancellationToken, fused);
        ReadOnlySpan<double> entries = scaled.AsSpan(pad);
        double[] blocks = new double[(entries.Length + BlockSize - 1) / BlockSize];
        for (int b = 0; b < blocks.Length; b++)
        {
            int from = b * BlockSize;
            blocks[b] = Pairwise(entries.Slice(from, Math.Min(BlockSize, entries.Length - from)));
        }

        double total = unit;
        for (int i = 0; i < n; i++)
        {
            total *= 3;
        }

        return new CubeHistogram(n, reach, divisor, halfWidth, pad, null, scaled, blocks, total, n);
    }

    /// <summary>
    /// The exact number of inputs whose activation at bias + Σ x_i w_i lies in <paramref name="interval"/>
    /// (at most <see cref="ExactMaxInputs"/> inputs).
    /// </summary>
    public long Count(long bias, Activation activation, ActivationInterval interval, CancellationToken cancellationToken)
    {
        if (_exact is null)
        {
            throw new InvalidOperationException($"{Inputs} inputs: counts beyond {ExactMaxInputs} inputs are certified intervals (RateBounds), not exact integers.");
        }

        long count = 0;
        foreach ((long low, long high) in MemberSums(bias, activation, interval))
        {
            cancellationToken.ThrowIfCancellationRequested();
            (long from, long to) = Indices(low, high);
            count += from > to ? 0 : _exact[_pad + to] - (from > 0 ? _exact[_pad + from - 1] : 0);
        }

        return count;
    }

    /// <summary>
    /// Bounds on the fraction of the 3^n inputs whose activation at bias + Σ x_i w_i lies in <paramref name="interval"/>:
    /// equal (the exact rate) up to <see cref="ExactMaxInputs"/> inputs, else a certified interval (see remarks).
    /// </summary>
    public (double Lower, double Upper) RateBounds(long bias, Activation activation, ActivationInterval interval, CancellationToken cancellationToken)
    {
        if (_exact is not null)
        {
            double rate = (double)Count(bias, activation, interval, cancellationToken) / CoverageCounter.Pow3(Inputs);
            return (rate, rate);
        }

        double sum = 0;
        int height = 2 * Inputs;
        foreach ((long low, long high) in MemberSums(bias, activation, interval))
        {
            cancellationToken.ThrowIfCancellationRequested();
            (long from, long to) = Indices(low, high);
            if (from <= to)
            {
                sum += Between((int)from, (int)to);
                height++;
            }
        }

        if (sum == 0)
        {
            return (0, 0);
        }

        // Ŝ within γ_h of the count, the total within γ_n, the quotient one rounding: 2γ_{h + n + 1} covers the product
        // of the three (1 + γ) factors with room for the bound's own roundings.
        height += RangeHeight + _totalRoundings + 1;
        double quotient = sum / _scaledTotal;
        double relative = 2 * Gamma(height);
        double lower = Math.BitDecrement(quotient - (quotient * relative));
        double upper = Math.BitIncrement(quotient + (quotient * relative));
        return (Math.Max(0, lower), Math.Min(1, upper));
    }

    /// <summary>Whether <paramref name="preference"/>'s two bounds hold surely at <paramref name="bias"/>: exactly, or for every rate in the certified interval.</summary>
    public (bool AtLeastLower, bool AtMostUpper) Meets(long bias, Activation activation, Preference preference, CancellationToken cancellationToken)
    {
        if (_exact is not null)
        {
            (long minCount, long maxCount) = ExactCalibration.CountBounds(preference, CoverageCounter.Pow3(Inputs));
            long count = Count(bias, activation, preference.Interval, cancellationToken);
            return (count >= minCount, count <= maxCount);
        }

        (double lo, double hi) = preference.Bounds;
        (double lower, double upper) = RateBounds(bias, activation, preference.Interval, cancellationToken);
        return (lower >= lo, upper <= hi);
    }

    /// <summary>γ_k = k·u / (1 − k·u), u = 2^-53.</summary>
    private static double Gamma(int k)
    {
        double ku = k * Math.ScaleB(1.0, -53);
        return ku / (1 - ku) * (1 + Math.ScaleB(1.0, -50));
    }

    /// <summary>The member ranges of the pre-activation, as ranges of the sum Σ x_i w_i; the grid checked.</summary>
    private List<(long Low, long High)> MemberSums(long bias, Activation activation, ActivationInterval interval)
    {
        if (Reach + Math.Abs(bias) >= FixedPointGrid.MaxAbsoluteUnits)
        {
            throw new InvalidOperationException(
                $"A first-layer neuron with Σ|w| = {Reach} and bias {bias} (units of 2^-16) leaves the exact grid (Σ|w| + |b| < 2^24 units): Forward's float sum could round, so the sum's distribution does not decide its activation.");
        }

        List<(long Low, long High)> members = NeuronMembership.Members(activation, interval, bias - Reach, bias + Reach);
        for (int i = 0; i < members.Count; i++)
        {
            members[i] = (members[i].Low - bias, members[i].High - bias);
        }

        return members;
    }

    /// <summary>The histogram indices of the sums in [low, high] (the multiples of the divisor there), clamped.</summary>
    private (long From, long To) Indices(long low, long high)
    {
        long from = Math.Max(DivideUp(low, _divisor), -_halfWidth) + _halfWidth;
        long to = Math.Min(DivideDown(high, _divisor), _halfWidth) + _halfWidth;
        return (from, to);
    }

    private static long DivideDown(long a, long b) => (a / b) - ((a % b != 0 && a < 0) ? 1 : 0);

    private static long DivideUp(long a, long b) => -DivideDown(-a, b);

    /// <summary>Σ of the scaled entries from..to: partial blocks and whole blocks, each pairwise.</summary>
    private double Between(int from, int to)
    {
        ReadOnlySpan<double> entries = _scaled.AsSpan(_pad);
        int firstBlock = from / BlockSize, lastBlock = to / BlockSize;
        if (firstBlock == lastBlock)
        {
            return Pairwise(entries.Slice(from, to - from + 1));
        }

        int headEnd = (firstBlock + 1) * BlockSize, tailStart = lastBlock * BlockSize;
        double head = Pairwise(entries.Slice(from, headEnd - from));
        double tail = Pairwise(entries.Slice(tailStart, to - tailStart + 1));
        double middle = Pairwise(_blocks.AsSpan(firstBlock + 1, lastBlock - firstBlock - 1));
        return (head + tail) + middle;
    }

    /// <summary>A pairwise sum (tree height at most ⌈log2 count⌉ + 1).</summary>
    private static double Pairwise(ReadOnlySpan<double> values)
    {
        if (values.Length <= 2)
        {
            return values.Length == 0 ? 0 : values.Length == 1 ? values[0] : values[0] + values[1];
        }

        int half = values.Length / 2;
        return Pairwise(values[..half]) + Pairwise(values[half..]);
    }

    /// <summary>
    /// One pass per weight, h'[v] = (h[v] + h[v − w]) + h[v − 2w]: in place one by one (<paramref name="fused"/> false), or
    /// fused (<see cref="FusedPasses"/>), which computes every entry with the same operations in the same order, so the
    /// same values (a test compares the two).
    /// </summary>
    private static void Passes<T>(T[] h, int pad, int[] steps, CancellationToken cancellationToken, bool fused)
        where T : struct, INumber<T>
    {
        if (fused)
        {
            FusedPasses(h, pad, steps, cancellationToken);
            return;
        }

        int top = 0;
        foreach (int w in steps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            top += 2 * w;
            PassInPlace(h, pad, w, top);
        }
    }

    /// <summary>The working set of a group of fused passes (their ring buffers): within a core's second-level cache.</summary>
    private const int FusionBudgetBytes = 640 * 1024;

    /// <summary>Entries per chunk of a fused group.</summary>
    private const int FusionChunk = 4096;

    /// <summary>
    /// The passes in groups whose ring buffers fit <see cref="FusionBudgetBytes"/>: the histogram is streamed through a
    /// group chunk by chunk, each pass reading its input from a ring holding the entries v − 2w … v of the pass before
    /// and writing into the next pass's ring (the last into the histogram), so that the histogram crosses the memory
    /// bus once per group instead of once per pass. A group of one pass runs in place.
    /// </summary>
    private static void FusedPasses<T>(T[] h, int pad, int[] steps, CancellationToken cancellationToken)
        where T : struct, INumber<T>
    {
        int size = Unsafe.SizeOf<T>(), top = 0, first = 0;
        while (first < steps.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long bytes = 0;
            int last = first, groupTop = top;
            while (last < steps.Length)
            {
                long need = (long)RingSize(steps[last]) * size;
                if (last > first && bytes + need > FusionBudgetBytes)
                {
                    break;
                }

                bytes += need;
                groupTop += 2 * steps[last];
                last++;
            }

            if (last - first == 1)
            {
                PassInPlace(h, pad, steps[first], groupTop);
            }
            else
            {
                FusedGroup(h, pad, steps.AsSpan(first, last - first), groupTop, cancellationToken);
            }

            top = groupTop;
            first = last;
        }
    }

    /// <summary>A pass's ring: a power of two above <see cref="FusionChunk"/> + 2w (a chunk and the entries below it that the pass reads).</summary>
    private static int RingSize(int w) => (int)BitOperations.RoundUpToPowerOf2((uint)(FusionChunk + (2 * w) + 1));

    /// <summary>
    /// Passes <paramref name="group"/> over entries 0 … <paramref name="groupTop"/>, chunk by chunk upwards. Ring p holds
    /// entry v of pass p's input at v mod its size, zero below entry 0 (the rings start zeroed): when pass p reads the
    /// chunk [c, c + C) it finds entries c − 2w … c + C − 1, all written for this chunk or the ones before, none yet
    /// overwritten (the ring is larger than C + 2w).
    /// </summary>
    private static void FusedGroup<T>(T[] h, int pad, ReadOnlySpan<int> group, int groupTop, CancellationToken cancellationToken)
        where T : struct, INumber<T>
    {
        var rings = new T[group.Length][];
        for (int p = 0; p < group.Length; p++)
        {
            rings[p] = new T[RingSize(group[p])];
        }

        for (int c = 0; c <= groupTop; c += FusionChunk)
        {
            if ((c & ((FusionChunk * 256) - 1)) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            int length = Math.Min(FusionChunk, groupTop + 1 - c);
            // The group's input chunk into the first ring (in at most two pieces around its end).
            T[] ring0 = rings[0];
            for (int i = 0; i < length;)
            {
                int at = (c + i) & (ring0.Length - 1), piece = Math.Min(length - i, ring0.Length - at);
                h.AsSpan(pad + c + i, piece).CopyTo(ring0.AsSpan(at));
                i += piece;
            }

            for (int p = 0; p < group.Length; p++)
            {
                T[] input = rings[p], output = p + 1 < group.Length ? rings[p + 1] : h;
                int w = group[p], m = input.Length - 1;
                for (int i = 0; i < length;)
                {
                    int v = c + i;
                    int a = v & m, b = (v - w + input.Length) & m, d = (v - (2 * w) + input.Length) & m;
                    int piece = Math.Min(length - i, Math.Min(input.Length - a, Math.Min(input.Length - b, input.Length - d)));
                    int o;
                    if (p + 1 < group.Length)
                    {
                        o = v & (output.Length - 1);
                        piece = Math.Min(piece, output.Length - o);
                    }
                    else
                    {
                        o = pad + v;
                    }

                    Add3(ref input[a], ref input[b], ref input[d], ref output[o], piece);
                    i += piece;
                }
            }
        }
    }

    /// <summary>out[k] = (x[k] + y[k]) + z[k] for k &lt; count; out does not overlap the inputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Add3<T>(ref T x, ref T y, ref T z, ref T output, int count)
        where T : struct, INumber<T>
    {
        int k = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; k + Vector512<T>.Count <= count; k += Vector512<T>.Count)
            {
                ((Vector512.LoadUnsafe(ref x, (nuint)k) + Vector512.LoadUnsafe(ref y, (nuint)k)) + Vector512.LoadUnsafe(ref z, (nuint)k))
                    .StoreUnsafe(ref output, (nuint)k);
            }
        }

        for (; k + Vector256<T>.Count <= count; k += Vector256<T>.Count)
        {
            ((Vector256.LoadUnsafe(ref x, (nuint)k) + Vector256.LoadUnsafe(ref y, (nuint)k)) + Vector256.LoadUnsafe(ref z, (nuint)k))
                .StoreUnsafe(ref output, (nuint)k);
        }

        for (; k < count; k++)
        {
            Unsafe.Add(ref output, k) = (Unsafe.Add(ref x, k) + Unsafe.Add(ref y, k)) + Unsafe.Add(ref z, k);
        }
    }

    /// <summary>One pass in place, h'[v] = (h[v] + h[v − w]) + h[v − 2w] for v ≤ <paramref name="top"/>, descending.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PassInPlace<T>(T[] h, int pad, int w, int top)
        where T : struct, INumber<T>
    {
        if (w == 0)
        {
            for (int v = 0; v <= top; v++)
            {
                h[pad + v] = (h[pad + v] + h[pad + v]) + h[pad + v];
            }

            return;
        }

        ref T origin = ref h[0];
        int at = top;
        // A vector of entries [b, b + k) reads [b − w, b − w + k) and [b − 2w, …): entries not yet written when w ≥ k.
        if (w >= Vector256<T>.Count)
        {
            for (; at - Vector256<T>.Count + 1 >= 0; at -= Vector256<T>.Count)
            {
                int b = pad + at - Vector256<T>.Count + 1;
                Vector256<T> sum = (Vector256.LoadUnsafe(ref origin, (nuint)b) + Vector256.LoadUnsafe(ref origin, (nuint)(b - w)))
                    + Vector256.LoadUnsafe(ref origin, (nuint)(b - (2 * w)));
                sum.StoreUnsafe(ref origin, (nuint)b);
            }
        }

        for (; at >= 0; at--)
        {
            h[pad + at] = (h[pad + at] + h[pad + at - w]) + h[pad + at - (2 * w)];
        }
    }
}
