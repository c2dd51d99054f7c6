using System;
using System.Linq;
using System.Runtime.Intrinsics;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace GenBias.Tests;

/// <summary>
/// The properties of the canonical activations that the exact counter's proofs assume, checked on every float they
/// are assumed for (docs/design/exact-counting.md lists each assumption and where it is guarded).
/// </summary>
public class ActivationProofTests
{
    /// <summary>The largest |Tanh − tanh| the counter assumes (monotone up to twice this: NeuronMembership.Tolerance is 2e-6).</summary>
    private const double TanhError = 3.2e-7;

    [Fact]
    public void Tanh_is_within_its_error_bound_of_tanh_on_every_float_up_to_the_clamp()
    {
        // Every float in [0, 7.906] (1.09 billion; Tanh is odd exactly, and constant beyond its clamp), eight at a time.
        int last = BitConverter.SingleToInt32Bits(7.906f);
        double worst = 0;
        object gate = new();
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, part =>
        {
            int from = (int)((long)last * part / 64), to = (int)((long)last * (part + 1) / 64);
            double local = 0;
            for (int bits = from & ~7; bits < to; bits += 8)
            {
                Vector256<float> x = (Vector256.Create(bits) + Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7)).AsSingle();
                Vector256<float> y = ActivationMath.Tanh(x);
                for (int lane = 0; lane < 8; lane++)
                {
                    local = Math.Max(local, Math.Abs(y.GetElement(lane) - Math.Tanh(x.GetElement(lane))));
                }
            }

            lock (gate)
            {
                worst = Math.Max(worst, local);
            }
        });

        Assert.True(worst <= TanhError, $"the largest |Tanh − tanh| is {worst}");
        Assert.True(2 * TanhError < NeuronMembership.Tolerance(Activation.Tanh));
        Assert.True(worst <= ActivationMath.TanhMonotonicityTolerance);
    }

    [Fact]
    public void Tanh_is_exactly_monotone_on_its_linear_core_and_constant_beyond_its_clamp()
    {
        Assert.True(ActivationMath.TanhCoreIsLinear());
        Assert.Contains((-ActivationMath.TanhLinearLimit, ActivationMath.TanhLinearLimit), ActivationMath.MonotoneRanges(Activation.Tanh));
        // Every float of the core, in order: never a step down (0.96 billion floats, eight lanes at a time).
        int last = BitConverter.SingleToInt32Bits(ActivationMath.TanhLinearLimit);
        int downs = 0;
        Parallel.For(0, 32, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, part =>
        {
            int from = (int)((long)last * part / 32), to = (int)((long)last * (part + 1) / 32);
            float previous = ActivationMath.Tanh(BitConverter.Int32BitsToSingle(from));
            for (int bits = from; bits <= to; bits += 8)
            {
                Vector256<float> y = ActivationMath.Tanh((Vector256.Create(bits) + Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7)).AsSingle());
                Vector256<float> before = Vector256.Create(previous, y[0], y[1], y[2], y[3], y[4], y[5], y[6]);
                if (Vector256.LessThanAny(y, before))
                {
                    Interlocked.Increment(ref downs);
                }

                previous = y[7];
            }
        });

        Assert.Equal(0, downs);
        // Odd exactly, so the negative half of the core follows; beyond the clamp every input gives the clamp's value.
        foreach (float x in new[] { 1e-30f, 1e-10f, 1e-5f, ActivationMath.TanhLinearLimit })
        {
            Assert.Equal(-ActivationMath.Tanh(x), ActivationMath.Tanh(-x));
        }

        float saturated = ActivationMath.Tanh(7.90531110763549805f);
        Assert.All(new[] { 7.906f, 8f, 100f, float.MaxValue, float.PositiveInfinity }, x => Assert.Equal(saturated, ActivationMath.Tanh(x)));
    }

    [Fact]
    public void Sigmoid_is_monotone_where_tanh_is_and_within_its_error_bound()
    {
        var ranges = ActivationMath.MonotoneRanges(Activation.Sigmoid);
        Assert.Equal(ActivationMath.MonotoneRanges(Activation.Tanh).Select(r => (r.Low * 2, r.High * 2)), ranges);
        var random = new DeterministicRandom(11);
        for (int i = 0; i < 200_000; i++)
        {
            float x = (float)((random.NextDouble() * 40) - 20);
            double exact = 1 / (1 + Math.Exp(-x));
            Assert.True(Math.Abs(ActivationMath.Apply(Activation.Sigmoid, x) - exact) <= TanhError, $"sigmoid({x})");
        }
    }
}
