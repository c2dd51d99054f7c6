using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.Intrinsics;
using System.Threading;
using Xunit;
using Xunit.Abstractions;

namespace GenBias.Tests.Coverage;

/// <summary>Exact counts against the oracle: every one of the 3^n inputs through the generated Forward.</summary>
public class ExactCountTests(ITestOutputHelper output)
{
    /// <summary>Every input of the cube, through ForwardActivations, counted against the preference.</summary>
    internal static long BruteForce(ITernaryNetwork network, Preference preference) => BruteForce(network, [preference])[0];

    /// <summary>One pass over the cube for several preferences.</summary>
    internal static long[] BruteForce(ITernaryNetwork network, IReadOnlyList<Preference> preferences)
    {
        NetworkShape shape = network.Shape;
        int n = shape.InputCount;
        sbyte[] input = new sbyte[n];
        float[] activations = new float[shape.ActivationCount];
        long total = CubeSize(n);
        long[] counts = new long[preferences.Count];
        for (long index = 0; index < total; index++)
        {
            long rest = index;
            for (int i = 0; i < n; i++)
            {
                input[i] = (sbyte)((rest % 3) - 1);
                rest /= 3;
            }

            network.ForwardActivations(input, activations);
            for (int p = 0; p < preferences.Count; p++)
            {
                Preference preference = preferences[p];
                LayerShape layer = shape.Layers[preference.ResolveLayer(shape)];
                for (int k = preference.Neuron ?? 0; k < (preference.Neuron is int single ? single + 1 : layer.Width); k++)
                {
                    counts[p] += preference.Interval.Contains(activations[layer.ActivationOffset + k]) ? 1 : 0;
                }
            }
        }

        return counts;
    }

    internal static long CubeSize(int n) => (long)Math.Pow(3, n);

    /// <summary>Random parameters on the grid; <paramref name="integerWeights"/> makes first-layer weights multiples of 1/4 so that many inputs tie.</summary>
    internal static T Network<T>(int seed, bool integerWeights = false, float scale = 1f)
        where T : ITernaryNetwork, new()
    {
        var network = new T();
        NetworkShape shape = network.Shape;
        var random = new DeterministicRandom((ulong)seed);
        float[] parameters = new float[shape.ParameterCount];
        foreach (LayerShape layer in shape.Layers)
        {
            double limit = scale * 2.0 / Math.Sqrt(layer.InputCount);
            for (int p = layer.WeightOffset; p < layer.BiasOffset + layer.Width; p++)
            {
                parameters[p] = integerWeights && layer.Index == 0
                    ? (random.Next(9) - 4) * 0.25f
                    : (float)(((random.NextDouble() * 2) - 1) * limit);
            }
        }

        FixedPointGrid.SnapFirstLayer(shape, parameters);
        network.SetParameters(parameters);
        return network;
    }

    public static TheoryData<string, int, bool> Cases()
    {
        var data = new TheoryData<string, int, bool>();
        foreach (string name in new[] { "Neuron9Tanh", "Neuron13Sigmoid", "Neuron14Linear", "Neuron12HardTanh", "Hidden10x6x1", "Hidden11x16x1", "Hidden12x9x2", "TwoHidden9x8x5x1", "TwoHidden13x10x12x1" })
        {
            data.Add(name, 1, false);
            data.Add(name, 2, true);
        }

        return data;
    }

    private static ITernaryNetwork Create(string name, int seed, bool integerWeights) => name switch
    {
        "Neuron9Tanh" => Network<Neuron9Tanh>(seed, integerWeights),
        "Neuron13Sigmoid" => Network<Neuron13Sigmoid>(seed, integerWeights),
        "Neuron14Linear" => Network<Neuron14Linear>(seed, integerWeights),
        "Neuron12HardTanh" => Network<Neuron12HardTanh>(seed, integerWeights),
        "Hidden10x6x1" => Network<Hidden10x6x1>(seed, integerWeights),
        "Hidden11x16x1" => Network<Hidden11x16x1>(seed, integerWeights),
        "Hidden12x9x2" => Network<Hidden12x9x2>(seed, integerWeights),
        "TwoHidden9x8x5x1" => Network<TwoHidden9x8x5x1>(seed, integerWeights),
        _ => Network<TwoHidden13x10x12x1>(seed, integerWeights),
    };

    /// <summary>Thresholds at the median output and, for ties, exactly at activations that inputs reach.</summary>
    private static IEnumerable<Preference> PreferencesFor(ITernaryNetwork network, int seed)
    {
        NetworkShape shape = network.Shape;
        var random = new DeterministicRandom((ulong)seed + 100);
        sbyte[] input = new sbyte[shape.InputCount];
        float[] activations = new float[shape.ActivationCount];
        var outputs = new List<float>();
        var hidden = new List<float>();
        for (int s = 0; s < 400; s++)
        {
            RateEstimator.Draw(random, null, input);
            network.ForwardActivations(input, activations);
            outputs.Add(activations[shape.OutputLayer.ActivationOffset]);
            hidden.Add(activations[0]);
        }

        outputs.Sort();
        float median = outputs[outputs.Count / 2], reached = outputs[outputs.Count / 3], other = outputs[(3 * outputs.Count) / 4];
        yield return new Preference { Interval = ActivationInterval.Above(median), Target = 0.5 };
        // A threshold equal to an activation some input produces: strict and inclusive bounds differ exactly there.
        yield return new Preference { Interval = new ActivationInterval(reached, double.PositiveInfinity, LowerInclusive: true), Target = 0.5 };
        yield return new Preference { Interval = ActivationInterval.Below(reached), Target = 0.5 };
        yield return new Preference { Interval = ActivationInterval.Between(reached, other), Target = 0.5 };
        // A first-layer neuron, and every neuron of the first layer.
        hidden.Sort();
        yield return new Preference { Layer = 0, Neuron = 0, Interval = ActivationInterval.Above(hidden[hidden.Count / 2]), Target = 0.5 };
        yield return new Preference { Layer = 0, Neuron = null, Interval = ActivationInterval.Between(hidden[hidden.Count / 4], hidden[(3 * hidden.Count) / 4]), Target = 0.5 };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Exact_counts_equal_brute_force_through_the_generated_forward(string name, int seed, bool integerWeights)
    {
        ITernaryNetwork network = Create(name, seed, integerWeights);
        Preference[] preferences = [.. PreferencesFor(network, seed)];
        long[] expected = BruteForce(network, preferences);
        for (int p = 0; p < preferences.Length; p++)
        {
            Preference preference = preferences[p];
            CountResult counted = CoverageCounter.Count(network, preference, new CountOptions { SplitDepth = 2, LeafFreeInputs = 4 });
            Assert.True(expected[p] == counted.Count, $"{name} {preference}: brute force {expected[p]}, {counted.Method} {counted.Count}");
            Assert.Equal(CubeSize(network.Shape.InputCount) * (preference.Neuron is null ? network.Shape.Layers[preference.ResolveLayer(network.Shape)].Width : 1), counted.Total);
        }

        // Without pruning, and by enumeration where meet in the middle was used: the same numbers.
        foreach (int p in new[] { 1, 4 })
        {
            CountResult plain = CoverageCounter.Count(network, preferences[p], new CountOptions { Prune = false, AllowMeetInTheMiddle = false, SplitDepth = 3, LeafFreeInputs = 5 });
            Assert.Equal(expected[p], plain.Count);
        }
    }

    [Theory]
    [InlineData("Leaf11x1x1")]
    [InlineData("Leaf11x15x1")]
    [InlineData("Leaf12x16x1")]
    [InlineData("Leaf10x17x2")]
    [InlineData("Leaf10x33x1x1")]
    [InlineData("Leaf4x7x1")]
    [InlineData("Leaf3x5x1")]
    public void The_lanes_leaf_counts_what_forward_classifies(string name)
    {
        ITernaryNetwork network = name switch
        {
            "Leaf11x1x1" => Network<Leaf11x1x1>(3, false),
            "Leaf11x15x1" => Network<Leaf11x15x1>(3, false),
            "Leaf12x16x1" => Network<Leaf12x16x1>(3, false),
            "Leaf10x17x2" => Network<Leaf10x17x2>(3, true),
            "Leaf4x7x1" => Network<Leaf4x7x1>(3, false),
            "Leaf3x5x1" => Network<Leaf3x5x1>(3, false),
            _ => Network<Leaf10x33x1x1>(3, false),
        };

        // Preferences on layer 1 (the leaf's target), at the median and exactly at reached activations.
        NetworkShape shape = network.Shape;
        var random = new DeterministicRandom(5);
        sbyte[] input = new sbyte[shape.InputCount];
        float[] activations = new float[shape.ActivationCount];
        var values = new List<float>();
        for (int s = 0; s < 400; s++)
        {
            RateEstimator.Draw(random, null, input);
            network.ForwardActivations(input, activations);
            values.Add(activations[shape.Layers[1].ActivationOffset]);
        }

        values.Sort();
        float median = values[values.Count / 2], reached = values[values.Count / 3];
        List<Preference> preferences =
        [
            new Preference { Layer = 1, Neuron = 0, Interval = ActivationInterval.Above(median), Target = 0.5 },
            new Preference { Layer = 1, Neuron = 0, Interval = new ActivationInterval(reached, double.PositiveInfinity, LowerInclusive: true), Target = 0.5 },
            new Preference { Layer = 1, Neuron = null, Interval = ActivationInterval.Below(reached), Target = 0.5 },
        ];

        long[] expected = BruteForce(network, preferences);
        for (int p = 0; p < preferences.Count; p++)
        {
            // Leaves of 3^8 (3^3 Gray-code steps of 243 tabled combinations), with and without pruning, with and
            // without the bounded first pass (tanh hidden layers; the thresholds reached exactly are left to the exact pass).
            // Networks of 3 and 4 inputs are one leaf of 27 or 81 tabled combinations (whose vectors are padded to 32 and
            // 128 lanes).
            foreach ((bool prune, bool bounded) in new[] { (false, true), (true, true), (false, false) })
            {
                CountResult counted = CoverageCounter.Count(network, preferences[p],
                    new CountOptions { Prune = prune, BoundedFirstPass = bounded, SplitDepth = shape.InputCount <= 5 ? 0 : 1, LeafFreeInputs = 8, AllowMeetInTheMiddle = false });
                Assert.True(expected[p] == counted.Count, $"{name} {preferences[p]} prune {prune} bounded {bounded}: brute force {expected[p]}, counted {counted.Count}");
            }
        }

        Assert.NotEqual(expected[0], expected[1]);
    }

    [Fact]
    public void The_addition_theorem_term_stays_within_its_proved_bound_everywhere_on_the_grid()
    {
        Assert.True(TanhAddition.IsSupported || !System.Runtime.Intrinsics.X86.Avx2.IsSupported);
        if (!TanhAddition.IsSupported)
        {
            return;
        }

        // The two measured constants the bound rests on: the activation within a few ulp of tanh, and a reciprocal
        // estimate of about 12 bits (both processors seen here: ~1.3·2^-12).
        Assert.InRange(TanhAddition.ActivationError, 1e-8, 1e-6);
        Assert.InRange(TanhAddition.ReciprocalError, 1e-6, 1.0 / 2048);
        var random = new Random(11);
        double worstRatio = 0, worstFraction = 0;
        int finite = 0, fractionFinite = 0;
        for (int trial = 0; trial < 200_000; trial++)
        {
            // Outer accumulators over the whole grid (|z| < 256), often saturated; tabled contributions up to ±8, and
            // both saturated in opposite directions (the ill-conditioned corner) now and then.
            int a = trial % 3 == 0 ? random.Next(-(1 << 24) + 1, 1 << 24) : random.Next(-(6 << 16), 6 << 16);
            int b = trial % 5 == 0 ? -a / 2 + random.Next(-1000, 1000) : random.Next(-(8 << 16), 8 << 16);
            b = Math.Clamp(b, -(1 << 23), 1 << 23);
            // Weights mostly in [-2, 2]; now and then zero, under TanhAddition.SmallestWeight (left out), tiny or large.
            float[] unusual = [0f, 1e-13f, -3e-13f, 2e-6f, -1e-3f, 40f, -300f];
            float w = trial % 7 == 0 ? unusual[trial / 7 % unusual.Length] : (float)((random.NextDouble() * 4) - 2);
            float outer = ActivationMath.Tanh(a * FixedPointGrid.Step), table = ActivationMath.Tanh(b * FixedPointGrid.Step);
            Vector256<float> term = TanhAddition.AddTerm(Vector256<float>.Zero, Vector256.Create(table), Vector256.Create(outer),
                Vector256.Create(outer * TanhAddition.Scale(w)), Vector256.Create(TanhAddition.Inverse(w)));
            double exact = (double)w * ActivationMath.Tanh((a + b) * FixedPointGrid.Step);
            double bound = TanhAddition.TermError(w, outer, Math.Abs(table));
            double error = Math.Abs(term[0] - exact);
            Assert.True(error <= bound, $"a = {a}, b = {b}, w = {w}: |{term[0]} − {exact}| = {error} > {bound}");
            if (Math.Abs(w) < TanhAddition.SmallestWeight)
            {
                Assert.Equal(0f, term[0]); // left out: exactly nothing added
            }

            // The first tier: the reciprocal estimate alone, within its own (looser) bound.
            Vector256<float> estimated = TanhAddition.AddTerm<TanhAddition.Estimate>(Vector256<float>.Zero, Vector256.Create(table), Vector256.Create(outer),
                Vector256.Create(outer * TanhAddition.Scale(w)), Vector256.Create(TanhAddition.Inverse(w)));
            double estimateBound = TanhAddition.EstimateTermError(w, outer, Math.Abs(table));
            Assert.True(Math.Abs(estimated[0] - exact) <= estimateBound, $"estimate: a = {a}, b = {b}, w = {w}: |{estimated[0]} − {exact}| > {estimateBound}");
            Assert.True(estimateBound >= bound);
            if (double.IsFinite(bound) && bound > 0 && Math.Abs(w) >= TanhAddition.SmallestWeight)
            {
                finite++;
                worstRatio = Math.Max(worstRatio, error / bound);
            }

            // The partial-fraction form w/A − c·rcp(B + 1/A), with the leaf's float broadcasts; the constant w/A taken
            // exactly here (the leaf bounds the rounding of its sum of constants separately: within 2·2^-24 each).
            if (outer != 0 && Math.Abs(w) >= TanhAddition.SmallestWeight)
            {
                (float pole, float coefficient, float constant) = TanhAddition.Fraction(w, outer);
                double quotient = (double)w / outer;
                Assert.True(Math.Abs(constant - quotient) <= 2.000001 * Math.Pow(2, -24) * Math.Abs(quotient), $"constant w/A: w = {w}, A = {outer}");
                double value = quotient + TanhAddition.AddFraction(Vector256<float>.Zero, Vector256.Create(table), Vector256.Create(pole), Vector256.Create(coefficient))[0];
                double fractionBound = TanhAddition.FractionTermError(w, outer, Math.Abs(table));
                double fractionError = Math.Abs(value - exact);
                Assert.True(fractionError <= fractionBound, $"fraction: a = {a}, b = {b}, w = {w}: |{value} − {exact}| = {fractionError} > {fractionBound}");
                if (double.IsFinite(fractionBound))
                {
                    fractionFinite++;
                    worstFraction = Math.Max(worstFraction, fractionError / fractionBound);
                }
            }
        }

        output.WriteLine($"largest error / bound {worstRatio:F3} over {finite} finite bounds; partial-fraction form {worstFraction:F3} over {fractionFinite}");
        Assert.True(fractionFinite > 150_000, "the partial-fraction bound is finite wherever A is not 0 and the quotient well-conditioned");
        Assert.True(TanhAddition.FractionTermError(1f, 0.9f, 0.5f) < 2e-3 * TanhAddition.EstimateTermError(1f, 0.9f, 0.5f) / TanhAddition.ReciprocalError,
            "for a saturated neuron the partial-fraction form is about as tight as the quotient form's estimate");
        Assert.True(double.IsPositiveInfinity(TanhAddition.FractionTermError(1f, 0f, 0.5f)), "no partial fractions at A = 0");
        Assert.True(finite > 150_000, "the bound is finite almost everywhere");
        Assert.True(TanhAddition.TermError(1f, 0.5f, 0.5f) < 5e-6, "away from the corner the bound is a few ulp, or the first pass decides little");
    }

    [Theory]
    [InlineData(1, 300)]
    [InlineData(7, 70000)]
    [InlineData(10, 3)]
    [InlineData(11, 20)]
    [InlineData(11, 20000)]
    [InlineData(12, 1 << 20)]
    public void Meet_in_the_middle_by_histograms_and_by_sorted_sums_equals_brute_force(int n, int scale)
    {
        // Integer weights (units of 2^-16) up to ±scale, some zero, some equal; thresholds on both sides of zero and
        // hit exactly. The last scale is too wide for histograms: the sorted form must answer.
        var random = new Random(n * 31 + scale);
        for (int trial = 0; trial < 4; trial++)
        {
            int[] weights = [.. Enumerable.Range(0, n).Select(i => i % 5 == 4 ? 0 : i % 7 == 6 ? scale / 2 : random.Next(-scale, scale + 1))];
            long bias = random.Next(-scale, scale + 1);
            long[] sums = [0];
            foreach (int w in weights)
            {
                sums = [.. sums.SelectMany(v => new[] { v - w, v, v + w })];
            }

            foreach (ActivationInterval interval in new[] { ActivationInterval.Above(0.25), ActivationInterval.Below(-0.1), new ActivationInterval(-0.5, 0.5, true, true),
                new ActivationInterval(ActivationMath.Tanh((bias + sums[sums.Length / 3]) * FixedPointGrid.Step), double.PositiveInfinity, LowerInclusive: true) })
            {
                long expected = sums.LongCount(v => interval.Contains(ActivationMath.Tanh((bias + v) * FixedPointGrid.Step)));
                long sorted = MeetInTheMiddle.Count(weights, bias, Activation.Tanh, interval, CancellationToken.None, allowHistograms: false);
                long histograms = MeetInTheMiddle.Count(weights, bias, Activation.Tanh, interval, CancellationToken.None, allowHistograms: true);
                Assert.True(expected == sorted && expected == histograms, $"n {n}, scale {scale}, {interval}: brute force {expected}, sorted {sorted}, histograms {histograms}");
            }
        }

        bool fits = MeetInTheMiddle.Histograms.Fits(Enumerable.Repeat(scale, n).ToArray());
        Assert.Equal(scale < (1 << 20), fits);
    }

    [Fact]
    public void Meet_in_the_middle_of_25_inputs_gives_the_same_count_both_ways_and_returns_its_buffers()
    {
        var random = new Random(25);
        int[] weights = [.. Enumerable.Range(0, 25).Select(_ => random.Next(-40000, 40001))];
        var interval = ActivationInterval.Above(0.5);
        long sorted = MeetInTheMiddle.Count(weights, 5000, Activation.Tanh, interval, CancellationToken.None, allowHistograms: false);
        using MeetInTheMiddle.Halves halves = MeetInTheMiddle.Prepare(weights, CancellationToken.None);
        Assert.IsType<MeetInTheMiddle.Histograms>(halves);
        Assert.Equal(sorted, halves.Count(5000, Activation.Tanh, interval, CancellationToken.None));
        Assert.InRange(sorted, 1, (long)Math.Pow(3, 25) - 1);
        halves.Dispose();
        Assert.Throws<ObjectDisposedException>(() => halves.Count(5000, Activation.Tanh, interval, CancellationToken.None));
    }

    [Fact]
    public void Saturated_hidden_neurons_are_counted_as_forward_classifies_them()
    {
        // First-layer weights four times the usual scale: most hidden neurons saturate, so the first pass meets its
        // ill-conditioned corner (outer and tabled tanh near ±1 with opposite signs) and must leave those inputs open.
        var network = Network<Leaf12x16x1>(9, false, 4f);
        var preference = Preference.OutputAbove(0.1, 0.5);
        long expected = BruteForce(network, preference);
        foreach (bool bounded in new[] { true, false })
        {
            CountResult counted = CoverageCounter.Count(network, preference,
                new CountOptions { Prune = false, BoundedFirstPass = bounded, SplitDepth = 1, LeafFreeInputs = 8, AllowMeetInTheMiddle = false });
            Assert.Equal(expected, counted.Count);
        }

        Assert.InRange(expected, 1, (long)Math.Pow(3, 12) - 1);
    }

    [Fact]
    public void Many_inputs_exactly_on_the_threshold_are_counted_as_forward_classifies_them()
    {
        // Weights of ±0.25 and a zero bias: the pre-activation is a multiple of 0.25, so about a fifth of the 3^14
        // inputs land exactly on 0.5.
        var network = new Neuron14Linear();
        float[] parameters = new float[Neuron14Linear.ParameterCount];
        for (int i = 0; i < 14; i++)
        {
            parameters[i] = i % 3 == 0 ? -0.25f : 0.25f;
        }

        network.SetParameters(parameters);
        long strict = CoverageCounter.Count(network, new Preference { Interval = ActivationInterval.Above(0.5), Target = 0.5 }).Count;
        long inclusive = CoverageCounter.Count(network, new Preference { Interval = new ActivationInterval(0.5, double.PositiveInfinity, true), Target = 0.5 }).Count;
        Assert.Equal(BruteForce(network, new Preference { Interval = ActivationInterval.Above(0.5), Target = 0.5 }), strict);
        Assert.Equal(BruteForce(network, new Preference { Interval = new ActivationInterval(0.5, double.PositiveInfinity, true), Target = 0.5 }), inclusive);
        output.WriteLine($"exactly on 0.5: {inclusive - strict} of {CubeSize(14)}");
        Assert.True(inclusive - strict > CubeSize(14) / 10, "the test must put many inputs on the threshold");
    }

    [Fact]
    public void Counting_off_the_grid_or_over_other_distributions_is_refused()
    {
        var network = new Neuron9Tanh();
        network.SetParameters(Enumerable.Range(0, Neuron9Tanh.ParameterCount).Select(i => 0.1f + (i * 1e-7f)).ToArray());
        Assert.Contains("not on FixedPointGrid", Assert.Throws<InvalidOperationException>(() =>
            CoverageCounter.Count(network, Preference.OutputAbove(0, 0.5))).Message);
        Assert.Throws<ArgumentException>(() => CoverageCounter.Count(Network<Neuron9Tanh>(1),
            Preference.OutputAbove(0, 0.5) with { Distribution = PreferenceDistribution.TrainingData }));
    }

    [Fact]
    public void A_cancelled_count_resumes_from_its_checkpoint_to_the_same_number()
    {
        TwoHidden13x10x12x1 network = Network<TwoHidden13x10x12x1>(5);
        Preference preference = Preference.OutputAbove(0, 0.5);
        var options = new CountOptions { SplitDepth = 4, LeafFreeInputs = 5, MaxParallelism = 1, Prune = false };
        long expected = CoverageCounter.Count(network, preference, options).Count;

        string path = Path.Combine(Path.GetTempPath(), $"genbias-checkpoint-{Guid.NewGuid():N}.json");
        try
        {
            using var cancel = new CancellationTokenSource();
            var reports = new List<CountProgress>();
            var progress = new Inline<CountProgress>(p =>
            {
                reports.Add(p);
                if (p.SubCubesDone >= 20)
                {
                    cancel.Cancel();
                }
            });
            Assert.ThrowsAny<OperationCanceledException>(() =>
                CoverageCounter.Count(network, preference, options with { CheckpointPath = path }, progress, cancel.Token));
            Assert.True(File.Exists(path));
            Assert.True(reports[^1].SubCubesDone is >= 20 and < 81);

            var resumed = new List<CountProgress>();
            CountResult result = CoverageCounter.Count(network, preference, options with { CheckpointPath = path }, new Inline<CountProgress>(resumed.Add));
            Assert.Equal(expected, result.Count);
            Assert.True(resumed[0].SubCubesDone >= 20, "the resumed run starts from the finished sub-cubes");
            Assert.Equal(resumed[0].SubCubesDone, resumed[0].SubCubesRestored);
            Assert.Null(resumed[0].Remaining);
            Assert.NotNull(resumed[^1].Remaining);
            Assert.Equal(81, resumed[^1].SubCubesDone);

            // A checkpoint of another network is refused rather than silently mixed in.
            Assert.Throws<InvalidDataException>(() => CoverageCounter.Count(Network<TwoHidden13x10x12x1>(6), preference, options with { CheckpointPath = path }));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class Inline<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
