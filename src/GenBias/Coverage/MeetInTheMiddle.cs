using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

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
    public static long Count(int[] weights, long bias, Activation activation, ActivationInterval interval, CancellationToken cancellationToken) =>
        Prepare(weights, cancellationToken).Count(bias, activation, interval, cancellationToken);

    /// <summary>The sorted half sums of a neuron's weights, reusable for any bias (calibration counts many).</summary>
    public static Halves Prepare(int[] weights, CancellationToken cancellationToken)
    {
        int n = weights.Length;
        if (n > MaxInputs)
        {
            throw new ArgumentOutOfRangeException(nameof(weights), n, $"Meet in the middle counts up to {MaxInputs} inputs.");
        }

        // Two halves of equal size, sorted; an odd input out is handled by shifting the threshold (three passes over
        // the halves cost less than sorting a half three times as long).
        int half = n / 2;
        long reach = 0;
        foreach (int w in weights)
        {
            reach += Math.Abs((long)w);
        }

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

        return new Halves(first, second, extra, reach);
    }

    /// <summary>The two sorted halves, the sums of the inputs left out of them, and the largest |Σ x_i w_i|.</summary>
    internal sealed record Halves(int[] First, int[] Second, int[] Extra, long Reach)
    {
        /// <summary>The inputs whose activation at bias + Σ x_i w_i lies in the interval.</summary>
        public long Count(long bias, Activation activation, ActivationInterval interval, CancellationToken cancellationToken)
        {
            List<(long Low, long High)> members = NeuronMembership.Members(activation, interval, bias - Reach, bias + Reach);
            long count = 0;
            foreach ((long low, long high) in members)
            {
                foreach (int e in Extra)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    // Pairs with low ≤ bias + e + a + b ≤ high.
                    count += Between(First, Second, low - bias - e, high - bias - e);
                }
            }

            return count;
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
