using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using System.Runtime.Intrinsics;

namespace GenBias;

/// <summary>
/// Exact counting for one first-layer neuron over all 3^n inputs by meet in the middle: the integer partial sums
/// of the two halves of the inputs are enumerated in sorted order, and the pairs whose total lands in the neuron's
/// member set (<see cref="NeuronMembership"/>) are counted with two pointers. 3^25 inputs take 3^12 + 3^13 sums.
/// </summary>
internal static class MeetInTheMiddle
{
    /// <summary>The largest number of inputs counted this way (the two halves need 2 · 3^16 ints).</summary>
    public const int MaxInputs = 32;

    /// <summary>
    /// The number of inputs x for which the first-layer neuron with <paramref name="weights"/> and <paramref name="bias"/> has its activation in
    /// <paramref name="interval"/>, given the layer's parameters as integer multiples of 2^-16.
    /// </summary>
    public static long Count(int[] weights, long bias, Activation activation, ActivationInterval interval, CancellationToken cancellationToken, bool allowHistograms = true)
    {
        using Halves halves = Prepare(weights, cancellationToken, allowHistograms);
        return halves.Count(bias, activation, interval, cancellationToken);
    }

    /// <summary>
    /// The two halves of a neuron's weights in the cheaper of two forms, reusable for any bias (calibration counts
    /// many): histograms of the half sums where their range is small enough (<see cref="Histograms"/>), else the half
    /// sums sorted (<see cref="SortedHalves"/>).
    /// </summary>
    public static Halves Prepare(int[] weights, CancellationToken cancellationToken, bool allowHistograms = true)
    {
        int n = weights.Length;
        if (n > MaxInputs)
        {
            throw new ArgumentOutOfRangeException(nameof(weights), n, $"Meet in the middle counts up to {MaxInputs} inputs.");
        }

        long reach = 0;
        foreach (int w in weights)
        {
            reach += Math.Abs((long)w);
        }

        // Histograms: the first half and the rest (with the odd input), each its own range — where a half's histogram
        // is not far longer than the sums it holds (a pass over a sparse histogram costs more than sorting its few sums).
        int half = n / 2;
        if (allowHistograms && Histograms.Fits(weights.AsSpan(0, half)) && Histograms.Fits(weights.AsSpan(half)) &&
            Histograms.Dense(weights.AsSpan(0, half)) && Histograms.Dense(weights.AsSpan(half)))
        {
            return Histograms.Create(weights, half, reach, cancellationToken);
        }

        // Two halves of equal size, sorted; an odd input out is handled by shifting the threshold (three passes over
        // the halves cost less than sorting a half three times as long).
        int[] extra = n % 2 == 1 ? [0, -Math.Abs(weights[n - 1]), Math.Abs(weights[n - 1])] : [0];
        // The two halves are independent: sorted on two cores where there are two (same result either way).
        int[] second = [];
        Task? other = Environment.ProcessorCount > 1 && half >= 8
            ? Task.Run(() => second = SortedPartialSums(weights.AsSpan(half, half), cancellationToken), cancellationToken)
            : null;
        int[] first = SortedPartialSums(weights.AsSpan(0, half), cancellationToken);
        if (other is null)
        {
            second = SortedPartialSums(weights.AsSpan(half, half), cancellationToken);
        }
        else
        {
            other.GetAwaiter().GetResult();
        }

        return new SortedHalves(first, second, extra, reach);
    }

    /// <summary>A neuron's weights split in two, ready to count the inputs whose pre-activation lies in member ranges.</summary>
    internal abstract class Halves(long reach) : IDisposable
    {
        /// <summary>The largest |Σ x_i w_i|.</summary>
        public long Reach { get; } = reach;

        /// <summary>The inputs whose activation at bias + Σ x_i w_i lies in the interval.</summary>
        public long Count(long bias, Activation activation, ActivationInterval interval, CancellationToken cancellationToken)
        {
            List<(long Low, long High)> members = NeuronMembership.Members(activation, interval, bias - Reach, bias + Reach);
            long count = 0;
            foreach ((long low, long high) in members)
            {
                cancellationToken.ThrowIfCancellationRequested();
                count += Between(low - bias, high - bias);
            }

            return count;
        }

        /// <summary>Returns pooled buffers (a histogram's few megabytes are reused, not faulted in afresh per count).</summary>
        public virtual void Dispose()
        {
        }

        /// <summary>The inputs with low ≤ Σ x_i w_i ≤ high.</summary>
        protected abstract long Between(long low, long high);
    }

    /// <summary>The two halves' sums sorted, the sums of the input left out of them, counted with two pointers.</summary>
    internal sealed class SortedHalves(int[] first, int[] second, int[] extra, long reach) : Halves(reach)
    {
        protected override long Between(long low, long high)
        {
            long count = 0;
            foreach (int e in extra)
            {
                // Pairs with low ≤ e + a + b ≤ high.
                count += MeetInTheMiddle.Between(first, second, low - e, high - e);
            }

            return count;
        }
    }

    /// <summary>
    /// The two halves as histograms of their sums (how many of the 3^k inputs of a half give each integer sum), built
    /// by k passes of H'[v] = H[v − w] + H[v] + H[v + w] over vectors (smallest weights first, so early passes are
    /// short), no sorting. The second half is kept as running counts, reversed and padded with its constant values, so
    /// the pairs in a range are two dot products over the first histogram, with no clamping: exact in double, every
    /// product and partial sum an integer below 3^32 &lt; 2^53.
    /// </summary>
    internal sealed class Histograms : Halves
    {
        /// <summary>Histogram entries allowed per half (16 MB of counts), or the sorted form is used.</summary>
        private const long MaxEntries = 1 << 22;

        private readonly int[] _first;      // _first[_start + i]: inputs of the first half with sum i − _firstReach (pooled)
        private readonly int _start;
        private readonly int _length;        // 2·_firstReach + 1
        private readonly long _firstReach;
        private readonly int[] _above;      // _above[_length + j]: inputs of the second half with sum ≥ _secondReach − j; padded both sides (pooled)
        private readonly int _aboveLength;
        private readonly long _secondReach;
        private bool _disposed;

        private Histograms(int[] first, int start, long firstReach, int[] above, int aboveLength, long secondReach, long reach)
            : base(reach)
        {
            _first = first;
            _start = start;
            _length = (int)((2 * firstReach) + 1);
            _firstReach = firstReach;
            _above = above;
            _aboveLength = aboveLength;
            _secondReach = secondReach;
        }

        public override void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                System.Buffers.ArrayPool<int>.Shared.Return(_first);
                System.Buffers.ArrayPool<int>.Shared.Return(_above);
            }
        }

        /// <summary>Whether a half's histogram is at most 64 entries per sum it holds (3^k sums for k inputs).</summary>
        public static bool Dense(ReadOnlySpan<int> weights)
        {
            long reach = 0, sums = 1;
            foreach (int w in weights)
            {
                reach += Math.Abs((long)w);
                sums = Math.Min(sums * 3, MaxEntries);
            }

            return (2 * reach) + 1 <= 64 * sums;
        }

        /// <summary>Whether a half's histogram stays within <see cref="MaxEntries"/>.</summary>
        public static bool Fits(ReadOnlySpan<int> weights)
        {
            long reach = 0, widest = 0;
            foreach (int w in weights)
            {
                reach += Math.Abs((long)w);
                widest = Math.Max(widest, Math.Abs((long)w));
            }

            return (2 * reach) + 1 + (2 * widest) <= MaxEntries;
        }

        public static Histograms Create(int[] weights, int half, long reach, CancellationToken cancellationToken)
        {
            (int[] first, int firstStart, int firstReach) = Histogram(weights.AsSpan(0, half), cancellationToken);
            (int[] second, int secondStart, int secondReach) = Histogram(weights.AsSpan(half), cancellationToken);
            // above[pad + j] = #{b : b ≥ secondReach − j}, j = 0 … 2·secondReach (+ 1 for all of them); left of it
            // (j < 0) nothing, right of it everything: a shifted window over it never needs a clamp.
            int pad = (2 * firstReach) + 1, length = (2 * secondReach) + 1;
            int aboveLength = pad + length + 1 + pad;
            int[] above = System.Buffers.ArrayPool<int>.Shared.Rent(aboveLength);
            above.AsSpan(0, pad).Clear();
            int running = 0;
            for (int j = 0; j < length; j++)
            {
                running += second[secondStart + length - 1 - j];
                above[pad + j] = running;
            }

            above.AsSpan(pad + length, pad + 1).Fill(running);
            System.Buffers.ArrayPool<int>.Shared.Return(second);
            return new Histograms(first, firstStart, firstReach, above, aboveLength, secondReach, reach);
        }

        protected override long Between(long low, long high) =>
            // Σ over first-half sums a of #{b : low − a ≤ b ≤ high − a} = #{b ≥ low − a} − #{b ≥ high + 1 − a}.
            Dot(ShiftFor(low)) - Dot(ShiftFor(high + 1));

        /// <summary>
        /// The offset s with _above[i + s] = #{b ≥ x − a} for a = i − firstReach (#{b ≥ y} sits at pad + secondReach − y),
        /// clamped to where the window reads only padding either way.
        /// </summary>
        private int ShiftFor(long x) => (int)Math.Clamp(_length + _secondReach - x - _firstReach, 0, _aboveLength - _length);

        /// <summary>Σ_i first[i] · above[i + shift].</summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private long Dot(int shift)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ref int f = ref _first[_start];
            ref int g = ref _above[shift];
            Vector256<double> s0 = Vector256<double>.Zero, s1 = s0;
            int i = 0;
            for (; i + 8 <= _length; i += 8)
            {
                Vector256<int> x = Vector256.LoadUnsafe(ref f, (nuint)i), y = Vector256.LoadUnsafe(ref g, (nuint)i);
                s0 = Vector256.FusedMultiplyAdd(Vector256.ConvertToDouble(Vector256.WidenLower(x)), Vector256.ConvertToDouble(Vector256.WidenLower(y)), s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.ConvertToDouble(Vector256.WidenUpper(x)), Vector256.ConvertToDouble(Vector256.WidenUpper(y)), s1);
            }

            long count = (long)Vector256.Sum(s0 + s1);
            for (; i < _length; i++)
            {
                count += (long)System.Runtime.CompilerServices.Unsafe.Add(ref f, i) * System.Runtime.CompilerServices.Unsafe.Add(ref g, i);
            }

            return count;
        }

        /// <summary>
        /// The histogram of the 3^k sums of <paramref name="weights"/> in a pooled buffer: entry start + sum + reach.
        /// </summary>
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
        private static (int[] Buffer, int Start, int Reach) Histogram(ReadOnlySpan<int> weights, CancellationToken cancellationToken)
        {
            int[] sorted = new int[weights.Length];
            for (int k = 0; k < weights.Length; k++)
            {
                sorted[k] = Math.Abs(weights[k]);
            }

            Array.Sort(sorted);
            int reach = 0;
            foreach (int w in sorted)
            {
                reach += w;
            }

            // Two buffers padded by the widest weight on both sides: every read of a pass lands inside, and outside
            // the range filled so far both stay zero. Index of sum v: v + offset.
            int widest = sorted.Length > 0 ? sorted[^1] : 0;
            int offset = reach + widest, size = (2 * offset) + 1 + Vector256<int>.Count;
            int[] current = System.Buffers.ArrayPool<int>.Shared.Rent(size), next = System.Buffers.ArrayPool<int>.Shared.Rent(size);
            current.AsSpan(0, size).Clear();
            next.AsSpan(0, size).Clear();
            current[offset] = 1;
            int filled = 0;
            foreach (int w in sorted)
            {
                cancellationToken.ThrowIfCancellationRequested();
                filled += w;
                ref int source = ref current[0];
                ref int target = ref next[0];
                int from = offset - filled, to = offset + filled;
                int i = from;
                for (; i + Vector256<int>.Count <= to + 1; i += Vector256<int>.Count)
                {
                    Vector256<int> sum = Vector256.LoadUnsafe(ref source, (nuint)(i - w)) + Vector256.LoadUnsafe(ref source, (nuint)i)
                        + Vector256.LoadUnsafe(ref source, (nuint)(i + w));
                    sum.StoreUnsafe(ref target, (nuint)i);
                }

                for (; i <= to; i++)
                {
                    next[i] = current[i - w] + current[i] + current[i + w];
                }

                (current, next) = (next, current);
            }

            System.Buffers.ArrayPool<int>.Shared.Return(next);
            return (current, widest, reach);
        }
    }

    /// <summary>All 3^k sums Σ x_i w_i, x ∈ {-1, 0, 1}^k, in ascending order (each weight merges three shifted copies).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static int[] SortedPartialSums(ReadOnlySpan<int> weights, CancellationToken cancellationToken)
    {
        long size = 1;
        foreach (int _ in weights)
        {
            size *= 3;
        }

        int[] current = new int[size];
        int[] next = new int[size];
        int length = 1;
        current[0] = 0;
        foreach (int weight in weights)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int w = Math.Abs(weight);
            // Three sorted runs: s − w, s, s + w; merged in one pass.
            int i0 = 0, i1 = 0, i2 = 0, o = 0;
            while (i0 < length || i1 < length || i2 < length)
            {
                long v0 = i0 < length ? (long)current[i0] - w : long.MaxValue;
                long v1 = i1 < length ? current[i1] : long.MaxValue;
                long v2 = i2 < length ? (long)current[i2] + w : long.MaxValue;
                if (v0 <= v1 && v0 <= v2)
                {
                    next[o++] = (int)v0;
                    i0++;
                }
                else if (v1 <= v2)
                {
                    next[o++] = (int)v1;
                    i1++;
                }
                else
                {
                    next[o++] = (int)v2;
                    i2++;
                }
            }

            (current, next) = (next, current);
            length *= 3;
        }

        return current;
    }

    /// <summary>The number of pairs (i, j) with low ≤ a[i] + b[j] ≤ high; both arrays ascending. One pass, two pointers.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static long Between(int[] a, int[] b, long low, long high)
    {
        long count = 0;
        // As a grows, the first b reaching low and the first b passing high both move left.
        int from = b.Length, to = b.Length;
        for (int i = 0; i < a.Length; i++)
        {
            long needLow = low - a[i], needHigh = high - a[i];
            while (from > 0 && b[from - 1] >= needLow)
            {
                from--;
            }

            while (to > 0 && b[to - 1] > needHigh)
            {
                to--;
            }

            count += to - from > 0 ? to - from : 0;
        }

        return count;
    }
}
