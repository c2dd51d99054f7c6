using System;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace GenBias.Tests;

/// <summary>
/// The contract of the canonical activation math (version 2), checked on every float: within
/// <see cref="ActivationMath.TanhError"/> of tanh, exactly odd, exactly monotone — the properties the exact counter's
/// binary searches assume (docs/design/exact-counting.md) — and the same bits from every vector width.
/// </summary>
public class ActivationProofTests
{
    /// <summary>The contract's bound: |Tanh − tanh| ≤ 2e-6 on every float (ONNX Runtime and PyTorch then agree within 1e-5).</summary>
    private const double ContractError = 2e-6;

    /// <summary>What one walk over the non-negative floats found.</summary>
    private sealed class Walk
    {
        public double Worst;
        public float WorstAt;
        public long Downs, Runs, OddMismatches, WidthMismatches;
    }

    /// <summary>
    /// Walks every float in [0, +∞] in order, 16 at a time: a step down, a lane whose −x does not give −Tanh(x) bit for
    /// bit, a lane where the Vector128/Vector256 forms differ from the Vector512 form (where it is accelerated; the
    /// scalar form on a sample) — and the error against tanh. Tanh is piecewise constant on runs of floats, and both
    /// Tanh and tanh are non-decreasing, so on a run [x_i, x_j] with value c the error is at most its larger value at
    /// the two ends: tanh (in double) is evaluated only where the value changes, which makes the walk exhaustive and fast.
    /// </summary>
    private static Walk WalkEveryFloat()
    {
        var walk = new Walk();
        const int Parts = 256;
        long end = (long)BitConverter.SingleToInt32Bits(float.PositiveInfinity) + 1;
        object gate = new();
        Parallel.For(0, Parts, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, part =>
        {
            int from = (int)(end * part / Parts) & ~15, to = part == Parts - 1 ? (int)end : (int)(end * (part + 1) / Parts) & ~15;
            double worst = 0;
            float worstAt = 0;
            long downs = 0, runs = 0, odd = 0, widths = 0;
            float previousX = from == 0 ? 0f : BitConverter.Int32BitsToSingle(from - 1);
            float previousY = ActivationMath.Tanh(previousX);
            Vector256<int> lanes = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7);
            for (int bits = from; bits < to; bits += 8)
            {
                Vector256<float> x = (Vector256.Create(bits) + lanes).AsSingle();
                Vector256<float> y = ActivationMath.Tanh(x);
                // Odd: the sign is copied, so Tanh(−x) is −Tanh(x) bit for bit (NaN lanes past +∞ are not floats here).
                if (!ActivationMath.Tanh(-x).AsInt32().Equals((-y).AsInt32()))
                {
                    odd++;
                }

                if (!Vector256.Create(ActivationMath.Tanh(x.GetLower()), ActivationMath.Tanh(x.GetUpper())).AsInt32().Equals(y.AsInt32()))
                {
                    widths++;
                }

                if (Vector512.IsHardwareAccelerated && (bits & 8) == 0)
                {
                    Vector256<float> next = (Vector256.Create(bits + 8) + lanes).AsSingle();
                    Vector512<float> wide = ActivationMath.Tanh(Vector512.Create(x, next));
                    if (!wide.GetLower().AsInt32().Equals(y.AsInt32()) || !wide.GetUpper().AsInt32().Equals(ActivationMath.Tanh(next).AsInt32()))
                    {
                        widths++;
                    }
                }

                if ((bits & 0xFFFF) == 0 && BitConverter.SingleToInt32Bits(ActivationMath.Tanh(x.ToScalar())) != y.AsInt32().ToScalar())
                {
                    widths++;
                }

                // Each lane against the one before it (lane 0 against the previous vector's last).
                Vector256<float> before = Vector256.Create(previousY, y[0], y[1], y[2], y[3], y[4], y[5], y[6]);
                if (Vector256.LessThanAny(y, before))
                {
                    downs++;
                }

                uint changed = (~Vector256.Equals(y, before)).ExtractMostSignificantBits() & 0xFF;
                while (changed != 0)
                {
                    int lane = BitOperations.TrailingZeroCount(changed);
                    changed &= changed - 1;
                    float lastOfRun = lane == 0 ? previousX : x[lane - 1];
                    float valueOfRun = lane == 0 ? previousY : y[lane - 1];
                    Check(lastOfRun, valueOfRun);
                    Check(x[lane], y[lane]);
                    runs++;
                }

                previousX = x[7];
                previousY = y[7];
            }

            Check(previousX, previousY);
            lock (gate)
            {
                if (worst > walk.Worst)
                {
                    (walk.Worst, walk.WorstAt) = (worst, worstAt);
                }

                walk.Downs += downs;
                walk.Runs += runs;
                walk.OddMismatches += odd;
                walk.WidthMismatches += widths;
            }

            void Check(float at, float value)
            {
                double error = Math.Abs(value - Math.Tanh(at));
                if (error > worst)
                {
                    (worst, worstAt) = (error, at);
                }
            }
        });

        return walk;
    }

    private static readonly Lazy<Walk> Every = new(WalkEveryFloat, LazyThreadSafetyMode.ExecutionAndPublication);

    [Fact]
    public void Tanh_is_within_its_error_bound_of_tanh_on_every_float()
    {
        Walk walk = Every.Value;
        Assert.True(walk.Worst <= ActivationMath.TanhError, $"the largest |Tanh − tanh| is {walk.Worst} at {walk.WorstAt}");
        Assert.True(ActivationMath.TanhError <= ContractError);
        Assert.True(walk.Runs > 1_000_000, $"only {walk.Runs} runs of equal values: the walk did not cover the floats");
    }

    [Fact]
    public void Tanh_is_exactly_monotone_and_odd_on_every_float_and_the_same_bits_at_every_width()
    {
        Walk walk = Every.Value;
        Assert.Equal(0, walk.Downs);
        Assert.Equal(0, walk.OddMismatches);
        Assert.Equal(0, walk.WidthMismatches);
        Assert.True(ActivationMath.TanhIsMonotoneByConstruction());
        Assert.Equal(0f, ActivationMath.Tanh(0f));
        Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(ActivationMath.Tanh(-0f)));
        // Saturated at the largest float below 1, never ±1.
        Assert.Equal(PreferenceRules.TanhLargest, ActivationMath.Tanh(float.PositiveInfinity));
        Assert.Equal(-PreferenceRules.TanhLargest, ActivationMath.Tanh(float.NegativeInfinity));
        Assert.Equal(PreferenceRules.TanhLargest, ActivationMath.Tanh(float.MaxValue));
    }

    [Fact]
    public void Every_activation_reports_one_monotone_range_covering_every_float()
    {
        foreach (Activation activation in Enum.GetValues<Activation>())
        {
            Assert.Equal([(float.NegativeInfinity, float.PositiveInfinity)], ActivationMath.MonotoneRanges(activation));
        }
    }

    [Fact]
    public void Sigmoid_is_monotone_and_within_the_error_bound_of_the_logistic_function()
    {
        // Sigmoid(x) = fl(fl(Tanh(fl(x·0.5))·0.5) + 0.5): monotone roundings of a monotone function. Checked on every
        // 61st float and at consecutive floats around 0.
        float previous = 0;
        for (long bits = BitConverter.SingleToInt32Bits(float.NegativeInfinity); bits >= int.MinValue; bits -= 61)
        {
            // Negative floats from −∞ up towards −0: bits decrease as the value rises.
            float x = BitConverter.Int32BitsToSingle((int)bits);
            float y = ActivationMath.Apply(Activation.Sigmoid, x);
            Assert.True(y >= previous, $"sigmoid drops at {x}");
            Assert.True(Math.Abs(y - (1 / (1 + Math.Exp(-(double)x)))) <= ActivationMath.TanhError, $"sigmoid({x})");
            previous = y;
        }

        for (int bits = 0; bits <= BitConverter.SingleToInt32Bits(float.PositiveInfinity); bits += 61)
        {
            float x = BitConverter.Int32BitsToSingle(bits);
            float y = ActivationMath.Apply(Activation.Sigmoid, x);
            Assert.True(y >= previous, $"sigmoid drops at {x}");
            Assert.True(Math.Abs(y - (1 / (1 + Math.Exp(-(double)x)))) <= ActivationMath.TanhError, $"sigmoid({x})");
            previous = y;
        }
    }
}
