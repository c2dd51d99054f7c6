using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using System.Threading;
using Xunit;

namespace GenBias.Tests.Coverage;

/// <summary>
/// The distribution of a first-layer neuron's sum over the cube, by histogram passes, against brute force, against meet
/// in the middle, and, beyond 39 inputs (certified intervals), against exact BigInteger counts.
/// </summary>
public class CubeHistogramTests
{
    private static readonly ActivationInterval[] Intervals =
        [ActivationInterval.Above(0.25), ActivationInterval.Below(-0.1), new ActivationInterval(-0.5, 0.5, true, true)];

    /// <summary>The intervals above plus one whose threshold is an activation the neuron attains (ties on it).</summary>
    private static IEnumerable<ActivationInterval> IntervalsFor(long bias, long attained) =>
        Intervals.Append(new ActivationInterval(NeuronMembership.Activate(Activation.Tanh, bias + attained), double.PositiveInfinity, LowerInclusive: true));

    [Theory]
    [InlineData(1, 300)]
    [InlineData(5, 70000)]
    [InlineData(9, 3)]
    [InlineData(10, 20000)]
    [InlineData(11, 1 << 18)]
    public void Counts_equal_brute_force_in_either_order(int n, int scale)
    {
        var random = new Random((n * 37) + scale);
        for (int trial = 0; trial < 4; trial++)
        {
            // Some weights zero, some equal, a common divisor in every other trial.
            int divisor = trial % 2 == 1 && scale <= 70000 ? 6 : 1;
            int[] weights = [.. Enumerable.Range(0, n).Select(i => divisor * (i % 5 == 4 ? 0 : i % 7 == 6 ? scale / 2 : random.Next(-scale, scale + 1)))];
            long bias = random.Next(-scale, scale + 1);
            long[] sums = [0];
            foreach (int w in weights)
            {
                sums = [.. sums.SelectMany(v => new[] { v - w, v, v + w })];
            }

            CubeHistogram sorted = CubeHistogram.Create(weights, CancellationToken.None);
            CubeHistogram inOrder = CubeHistogram.Create(weights, CancellationToken.None, inOrder: true);
            Assert.True(sorted.IsExact);
            foreach (ActivationInterval interval in IntervalsFor(bias, sums[sums.Length / 3]))
            {
                long expected = sums.LongCount(v => interval.Contains(NeuronMembership.Activate(Activation.Tanh, bias + v)));
                long a = sorted.Count(bias, Activation.Tanh, interval, CancellationToken.None);
                long b = inOrder.Count(bias, Activation.Tanh, interval, CancellationToken.None);
                Assert.True(expected == a && expected == b, $"n {n}, scale {scale}, {interval}: brute force {expected}, sorted {a}, in order {b}");
                (double lower, double upper) = sorted.RateBounds(bias, Activation.Tanh, interval, CancellationToken.None);
                Assert.Equal((double)expected / sums.Length, lower);
                Assert.Equal(lower, upper);
            }
        }
    }

    [Fact]
    public void Counts_equal_meet_in_the_middle_on_random_neurons_up_to_32_inputs()
    {
        for (int seed = 0; seed < 40; seed++)
        {
            var random = new Random(1000 + seed);
            int n = seed < 36 ? random.Next(12, 27) : 32;
            int scale = seed < 36 ? random.Next(1, 4000) : 200;
            int[] weights = [.. Enumerable.Range(0, n).Select(_ => random.Next(-scale, scale + 1))];
            long bias = random.Next(-4 * scale, (4 * scale) + 1);
            CubeHistogram histogram = CubeHistogram.Create(weights, CancellationToken.None);
            foreach (Activation activation in new[] { Activation.Tanh, Activation.Sigmoid, Activation.ReLU })
            {
                foreach (ActivationInterval interval in Intervals)
                {
                    long expected = MeetInTheMiddle.Count(weights, bias, activation, interval, CancellationToken.None);
                    long counted = histogram.Count(bias, activation, interval, CancellationToken.None);
                    Assert.True(expected == counted, $"seed {seed}, n {n}, scale {scale}, {activation} {interval}: meet in the middle {expected}, histogram {counted}");
                }
            }
        }
    }

    [Theory]
    [InlineData(40, 3)]
    [InlineData(60, 5)]
    [InlineData(784, 4)]
    public void Certified_rates_beyond_39_inputs_contain_the_exact_rate(int n, int scale)
    {
        // Weights of a few steps of 2^10 units keep an independent BigInteger convolution cheap (the exact count of
        // every sum) while the pre-activations reach ±1.
        const int unit = 1 << 10;
        var random = new Random(n);
        int[] steps = [.. Enumerable.Range(0, n).Select(_ => random.Next(-scale, scale + 1))];
        int[] weights = [.. steps.Select(k => k * unit)];
        long reach = steps.Sum(k => (long)Math.Abs(k));
        BigInteger[] exact = ExactHistogram(steps, reach);
        BigInteger total = BigInteger.Pow(3, n);
        CubeHistogram histogram = CubeHistogram.Create(weights, CancellationToken.None);
        Assert.False(histogram.IsExact);
        int checkedRates = 0, strictlyBetween = 0;
        for (long bias = -reach * unit / 8; bias <= reach * unit / 8; bias += Math.Max(1, reach * unit / 56) + 17)
        {
            foreach (ActivationInterval interval in IntervalsFor(bias, 0))
            {
                BigInteger count = BigInteger.Zero;
                for (long v = -reach; v <= reach; v++)
                {
                    if (interval.Contains(NeuronMembership.Activate(Activation.Tanh, bias + (v * unit))))
                    {
                        count += exact[v + reach];
                    }
                }

                (double lower, double upper) = histogram.RateBounds(bias, Activation.Tanh, interval, CancellationToken.None);
                // lower ≤ count / total ≤ upper, compared exactly: the doubles are exact rationals.
                Assert.True(AtMost(lower, count, total) && AtLeast(upper, count, total),
                    $"n {n}, bias {bias}, {interval}: exact {count} / 3^{n} = {(double)(count * 1_000_000_000_000 / total) / 1e12}, certified [{lower:R}, {upper:R}]");
                Assert.True(upper - lower <= 1e-11, $"n {n}: the certified width is {upper - lower}");
                checkedRates++;
                strictlyBetween += lower > 0 && upper < 1 ? 1 : 0;
            }
        }

        Assert.True(checkedRates >= 28);
        Assert.True(strictlyBetween >= 10, $"{strictlyBetween} of the rates are strictly between 0 and 1");
    }

    [Fact]
    public void A_784_input_neuron_gives_the_same_rate_in_two_input_orders()
    {
        var random = new Random(784);
        int[] weights = [.. Enumerable.Range(0, 784).Select(_ => random.Next(-2000, 2001))];
        CubeHistogram sorted = CubeHistogram.Create(weights, CancellationToken.None);
        CubeHistogram inOrder = CubeHistogram.Create(weights, CancellationToken.None, inOrder: true);
        foreach (long bias in new long[] { -40000, 0, 25000 })
        {
            foreach (ActivationInterval interval in Intervals)
            {
                (double lowA, double highA) = sorted.RateBounds(bias, Activation.Tanh, interval, CancellationToken.None);
                (double lowB, double highB) = inOrder.RateBounds(bias, Activation.Tanh, interval, CancellationToken.None);
                Assert.True(lowA <= highB && lowB <= highA, $"bias {bias}, {interval}: [{lowA:R}, {highA:R}] and [{lowB:R}, {highB:R}] do not overlap");
                Assert.True(highA - lowA <= 1e-11 && highB - lowB <= 1e-11, $"bias {bias}, {interval}: widths {highA - lowA}, {highB - lowB}");
                Assert.InRange(lowA, 1e-6, 1 - 1e-6);
            }
        }
    }

    [Theory]
    [InlineData(20, 3000, 0)]
    [InlineData(39, 9000, 1)]
    [InlineData(60, 40, 2)]
    [InlineData(200, 5500, 3)]
    [InlineData(40, 60000, 4)]
    public void Fused_passes_give_the_same_counts_and_bounds_as_passes_one_by_one(int n, int scale, int seed)
    {
        // Zero weights, equal weights, small and huge ones (a group of one pass runs in place), long and double counts.
        var random = new Random(seed);
        int[] weights = [.. Enumerable.Range(0, n).Select(i => i % 9 == 0 ? 0 : i % 11 == 0 ? scale : i == n - 1 ? 20 * scale : random.Next(-scale, scale + 1))];
        CubeHistogram fused = CubeHistogram.Create(weights, CancellationToken.None);
        CubeHistogram oneByOne = CubeHistogram.Create(weights, CancellationToken.None, fused: false);
        Assert.Equal(oneByOne.IsExact, fused.IsExact);
        long reach = fused.Reach;
        for (long bias = -reach / 2; bias <= reach / 2; bias += Math.Max(1, reach / 23))
        {
            foreach (ActivationInterval interval in Intervals)
            {
                if (fused.IsExact)
                {
                    Assert.Equal(oneByOne.Count(bias, Activation.Tanh, interval, CancellationToken.None), fused.Count(bias, Activation.Tanh, interval, CancellationToken.None));
                }

                (double lowA, double highA) = fused.RateBounds(bias, Activation.Tanh, interval, CancellationToken.None);
                (double lowB, double highB) = oneByOne.RateBounds(bias, Activation.Tanh, interval, CancellationToken.None);
                Assert.True(lowA == lowB && highA == highB, $"n {n}, bias {bias}, {interval}: fused [{lowA:R}, {highA:R}], one by one [{lowB:R}, {highB:R}]");
            }
        }
    }

    [Fact]
    public void Refuses_too_wide_a_histogram_and_a_bias_off_the_grid()
    {
        // Σ|w| about 2^25 units with no common divisor: 2^26 entries.
        int[] wide = [.. Enumerable.Range(0, 1024).Select(i => (1 << 15) + i)];
        InvalidOperationException tooWide = Assert.Throws<InvalidOperationException>(() => CubeHistogram.Create(wide, CancellationToken.None));
        Assert.Contains("histogram entries", tooWide.Message);

        // A common divisor shrinks it: the same magnitudes times 2^15 are 1024 entries' worth of work.
        int[] divisible = [.. Enumerable.Range(0, 1024).Select(i => (i % 3) << 13)];
        CubeHistogram histogram = CubeHistogram.Create(divisible, CancellationToken.None);
        InvalidOperationException offGrid = Assert.Throws<InvalidOperationException>(
            () => histogram.RateBounds((1L << 24) - histogram.Reach, Activation.Tanh, ActivationInterval.Above(0), CancellationToken.None));
        Assert.Contains("exact grid", offGrid.Message);
        (double lower, double upper) = histogram.RateBounds(0, Activation.Tanh, ActivationInterval.Above(0), CancellationToken.None);
        Assert.InRange(lower, 0.4, 0.5);
        Assert.InRange(upper - lower, 0, 1e-11);
    }

    /// <summary>The count of every sum −reach … reach, by convolution in BigInteger.</summary>
    internal static BigInteger[] ExactHistogram(int[] weights, long reach)
    {
        var counts = new BigInteger[(2 * reach) + 1];
        counts[reach] = BigInteger.One;
        foreach (int weight in weights)
        {
            int w = Math.Abs(weight);
            if (w == 0)
            {
                for (long v = 0; v < counts.Length; v++)
                {
                    counts[v] *= 3;
                }

                continue;
            }

            var next = new BigInteger[counts.Length];
            for (long v = 0; v < counts.Length; v++)
            {
                if (!counts[v].IsZero)
                {
                    next[v - w] += counts[v];
                    next[v] += counts[v];
                    next[v + w] += counts[v];
                }
            }

            counts = next;
        }

        return counts;
    }

    /// <summary>rate ≤ count / total, exactly.</summary>
    internal static bool AtMost(double rate, BigInteger count, BigInteger total) => Compare(rate, count, total) <= 0;

    /// <summary>rate ≥ count / total, exactly.</summary>
    internal static bool AtLeast(double rate, BigInteger count, BigInteger total) => Compare(rate, count, total) >= 0;

    /// <summary>The sign of rate − count/total, from rate = m · 2^e exactly.</summary>
    private static int Compare(double rate, BigInteger count, BigInteger total)
    {
        if (rate == 0)
        {
            return count.IsZero ? 0 : -1;
        }

        long bits = BitConverter.DoubleToInt64Bits(rate);
        int exponent = (int)((bits >> 52) & 0x7FF);
        long mantissa = (bits & 0xFFFFFFFFFFFFFL) | (exponent == 0 ? 0 : 1L << 52);
        int e = (exponent == 0 ? 1 : exponent) - 1075;
        // rate = mantissa · 2^e with e < 0 for rates ≤ 1: compare mantissa · total with count · 2^-e.
        BigInteger left = mantissa * total, right = count << -e;
        return left.CompareTo(right);
    }
}
