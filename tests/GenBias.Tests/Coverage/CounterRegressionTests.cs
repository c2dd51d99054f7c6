using System;
using System.Globalization;
using System.Linq;
using Xunit;

namespace GenBias.Tests.Coverage;

/// <summary>
/// Networks on which the counter once gave a wrong count or refused, each against brute force through Forward:
/// unbounded hidden activations, the most common thresholds over a dense float grid, and output weights near overflow.
/// </summary>
public class CounterRegressionTests
{
    private static float[] Bits(string hex) =>
        [.. hex.Split(',').Select(h => BitConverter.Int32BitsToSingle(int.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture)))];

    private static ReferenceNetwork Network(NetworkShape shape, float[] parameters)
    {
        Assert.Equal(shape.ParameterCount, parameters.Length);
        return new ReferenceNetwork(shape, parameters);
    }

    [Fact]
    public void Relu_hidden_layer_with_large_activations_counts_what_forward_classifies()
    {
        ReferenceNetwork network = Network(NetworkShape.Create(12, (8, Activation.ReLU), (1, Activation.Tanh)), Bits(
            "C05E8C40,40236540,3F4B7300,C03D5580,C00C88C0,3DBB1800,3DECA000,BE183000,3E1F3800,BE101800,3DCCE000,BC270000,C0230680,3FD52980,3F207D00,C021BBC0,BF39DE00,3D9AC000,3DF9C800,BDED4800,3C84C000,BC900000,3C902000,BDCED800,C08ED260,407D3180,4033D180,C0579880,C011B140,3E1D5800,3E0C5400,BE083400,3E1D7800,BDC9C800,3E336400,BE4A4C00,BFA41A00,400D4E40,403FE1C0,BFBFF500,C05D8740,3E4FB000,3E2DB800,BE463400,3E3E1800,BE1E3800,3DEF1000,BE1EF000,C072DF00,3FAF4B00,403BC340,C0569A00,C019B180,3C8C8000,3D2BB000,BE275C00,3DBED800,BE122800,3D07C000,BC458000,405B5E00,BFFB4680,BF6E4A00,406AFEC0,40794580,BD519000,BDFD8800,3E1B0800,BD156000,3D15C000,BE438800,3E2A3800,3F4B9B00,C04822C0,C05D2BC0,3F735400,3F886D80,BC99A000,BE553800,3E1DCC00,BE417000,3DBFA000,BC398000,3C364000,406A48C0,C0673A80,C0351200,406790C0,40636AC0,BDE4E800,BD6D4000,3DEDE800,BD673000,3DC5A000,BE302800,3CDD8000,43210504,434FD22C,434A8A43,4331F611,434FE479,4326C230,432DCDDF,43636144,BFB06087,BFB99A08,BFAF5639,BFA05BE9,BFBA5A41,3F86B48F,3F8D1710,408CDEE2,00000000"));
        var preference = new Preference
        {
            Interval = new ActivationInterval(BitConverter.Int32BitsToSingle(0x3EA673BC), double.PositiveInfinity, LowerInclusive: true), Target = 0.5,
        };
        long expected = ExactCountTests.BruteForce(network, preference);
        Assert.Equal(388_607, expected);
        Assert.Equal(expected, CoverageCounter.Count(network, preference).Count);
        Assert.Equal(expected, CoverageCounter.Count(network, preference, new CountOptions { MaxParallelism = 1 }).Count);
        Assert.Equal(expected, Certifier.Certify(network, preference).Count);
    }

    [Fact]
    public void Linear_hidden_and_output_layers_count_what_forward_classifies()
    {
        // The same first layer and output weights as above, every activation linear: the pre-activations reach about ±250.
        float[] parameters = Bits(
            "C05E8C40,40236540,3F4B7300,C03D5580,C00C88C0,3DBB1800,3DECA000,BE183000,3E1F3800,BE101800,3DCCE000,BC270000,C0230680,3FD52980,3F207D00,C021BBC0,BF39DE00,3D9AC000,3DF9C800,BDED4800,3C84C000,BC900000,3C902000,BDCED800,C08ED260,407D3180,4033D180,C0579880,C011B140,3E1D5800,3E0C5400,BE083400,3E1D7800,BDC9C800,3E336400,BE4A4C00,BFA41A00,400D4E40,403FE1C0,BFBFF500,C05D8740,3E4FB000,3E2DB800,BE463400,3E3E1800,BE1E3800,3DEF1000,BE1EF000,C072DF00,3FAF4B00,403BC340,C0569A00,C019B180,3C8C8000,3D2BB000,BE275C00,3DBED800,BE122800,3D07C000,BC458000,405B5E00,BFFB4680,BF6E4A00,406AFEC0,40794580,BD519000,BDFD8800,3E1B0800,BD156000,3D15C000,BE438800,3E2A3800,3F4B9B00,C04822C0,C05D2BC0,3F735400,3F886D80,BC99A000,BE553800,3E1DCC00,BE417000,3DBFA000,BC398000,3C364000,406A48C0,C0673A80,C0351200,406790C0,40636AC0,BDE4E800,BD6D4000,3DEDE800,BD673000,3DC5A000,BE302800,3CDD8000,43210504,434FD22C,434A8A43,4331F611,434FE479,4326C230,432DCDDF,43636144,BFB06087,BFB99A08,BFAF5639,BFA05BE9,BFBA5A41,3F86B48F,3F8D1710,408CDEE2,00000000");
        ReferenceNetwork network = Network(NetworkShape.Create(12, (8, Activation.Linear), (1, Activation.Linear)), parameters);
        var outputs = new float[(int)ExactCountTests.CubeSize(12)];
        // Thresholds at attained outputs and one ulp either side: where a count is off by one if rounding is misjudged.
        sbyte[] input = new sbyte[12];
        float[] y = new float[1];
        for (int index = 0; index < outputs.Length; index++)
        {
            int rest = index;
            for (int i = 0; i < 12; i++, rest /= 3)
            {
                input[i] = (sbyte)((rest % 3) - 1);
            }

            network.Forward(input, y);
            outputs[index] = y[0];
        }

        Array.Sort(outputs);
        foreach (float attained in new[] { outputs[outputs.Length / 7], outputs[outputs.Length / 2], outputs[(5 * outputs.Length) / 6] })
        {
            foreach (float threshold in new[] { MathF.BitDecrement(attained), attained, MathF.BitIncrement(attained) })
            {
                var preference = new Preference { Interval = ActivationInterval.Above(threshold), Target = 0.5 };
                long expected = outputs.LongCount(o => o > threshold);
                Assert.Equal(expected, ExactCountTests.BruteForce(network, preference));
                Assert.Equal(expected, CoverageCounter.Count(network, preference).Count);
            }
        }
    }

    [Theory]
    [InlineData(Activation.Sigmoid, 0.5)]
    [InlineData(Activation.Tanh, 0.0)]
    [InlineData(Activation.Tanh, 0.99999)]
    [InlineData(Activation.Sigmoid, 0.999999)]
    [InlineData(Activation.Sigmoid, 1e-6)]
    public void The_most_common_output_thresholds_are_counted_not_refused(Activation output, double threshold)
    {
        NetworkShape shape = NetworkShape.Create(10, (4, Activation.Tanh), (1, output));
        var random = new DeterministicRandom(7);
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() * 2) - 1))];
        FixedPointGrid.SnapFirstLayer(shape, parameters);
        ReferenceNetwork network = Network(shape, parameters);
        var preference = new Preference { Interval = ActivationInterval.Above(threshold), Target = 0.5 };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(ExactCountTests.BruteForce(network, preference), CoverageCounter.Count(network, preference).Count);
        Assert.True(CoverageCounter.IsCheap(network, preference));
        Certificate certificate = Certifier.Certify(network, preference);
        Assert.True(certificate.Exact, certificate.ToString());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"{clock.Elapsed}");
    }

    [Fact]
    public void Relu_hidden_sigmoid_output_above_one_half_counts_exactly()
    {
        NetworkShape shape = NetworkShape.Create(13, (20, Activation.ReLU), (1, Activation.Sigmoid));
        for (ulong seed = 1; seed <= 4; seed++)
        {
            var random = new DeterministicRandom(seed);
            float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() * 2) - 1) * 0.3f)];
            FixedPointGrid.SnapFirstLayer(shape, parameters);
            ReferenceNetwork network = Network(shape, parameters);
            var preference = new Preference { Interval = ActivationInterval.Above(0.5), Target = 0.5 };
            Assert.Equal(ExactCountTests.BruteForce(network, preference), CoverageCounter.Count(network, preference).Count);
            CalibrationResult calibrated = ExactCalibration.Calibrate(network, preference);
            Assert.True(preference.IsMetBy(calibrated.Count.Fraction), $"{calibrated}");
        }
    }

    [Theory]
    [InlineData("BD446000,3E329800,3E3B5C00,BD557000,3E964800,3DD06800,3CA5A000,BDA0A800,3E84C600,BE5FFC00,BD916000,3E8A5600,BDEDA000,3E879800,3BA58000,3E80A800,3E584000,BE6F6C00,39C00000,3D27A000,BE0D6C00,BDBE7000,7B4097CE,7A5B9B8F,00000000", 21_895)]
    [InlineData("3E4FCC00,3CA76000,3D97C800,BDDE9000,3E49E800,BEB67E00,BEDBA000,BDF35800,3EBBFC00,3D53D000,3EDD7A00,3EEA1800,3EDD9400,3E2D2800,3DCCA800,3EC7F600,BED6CE00,BC0D8000,BEE88A00,BEDF5800,BD16A000,BB670000,F9BF4DF1,7A96AB5A,00000000", 29_644)]
    public void Output_weights_near_overflow_are_counted_exactly_by_the_bounded_pass(string parameterBits, long bruteForce)
    {
        // Weights of 1e35–1e36: the partial-fraction coefficients w(1 − A²)/A² overflow and the reciprocal estimate of a
        // subnormal is ∞, so the first pass must leave such a neuron to the exact pass (on one machine the first set
        // counted 21,761, here the second counted 29,053).
        ReferenceNetwork network = Network(NetworkShape.Create(10, (2, Activation.Tanh), (1, Activation.Tanh)), Bits(parameterBits));
        var preference = new Preference { Interval = ActivationInterval.Above(0.5), Target = 0.5 };
        long expected = ExactCountTests.BruteForce(network, preference);
        Assert.Equal(bruteForce, expected);
        foreach (bool bounded in new[] { true, false })
        {
            var options = new CountOptions { LeafFreeInputs = 10, SplitDepth = 0, BoundedFirstPass = bounded, AllowMeetInTheMiddle = false };
            Assert.Equal(expected, CoverageCounter.Count(network, preference, options).Count);
        }
    }

    [Fact]
    public void Certify_estimates_with_a_reason_where_it_cannot_or_may_not_count()
    {
        NetworkShape shape = NetworkShape.Create(12, (6, Activation.Tanh), (1, Activation.Tanh));
        var random = new DeterministicRandom(3);
        float[] parameters = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)((random.NextDouble() * 2) - 1) * 0.4f)];
        var preference = new Preference { Interval = ActivationInterval.Above(0), Target = 0.5 };
        var options = new CertifyOptions { Samples = 20_000 };

        // Off the grid: no order of summation is exact.
        parameters[0] = 0.1f;
        Certificate offGrid = Certifier.Certify(new ReferenceNetwork(shape, parameters), preference, options);
        Assert.False(offGrid.Exact);
        Assert.Contains("grid", offGrid.Reason, StringComparison.Ordinal);
        Assert.Contains("not counted exactly", offGrid.ToString(), StringComparison.Ordinal);

        // On the grid, but with no time for an exact count.
        FixedPointGrid.SnapFirstLayer(shape, parameters);
        Certificate hurried = Certifier.Certify(new ReferenceNetwork(shape, parameters), preference, options with { ExactTimeBudget = TimeSpan.Zero });
        Assert.False(hurried.Exact);
        Assert.Contains("budget", hurried.Reason, StringComparison.Ordinal);

        // Given the time, exact and without a reason.
        Certificate exact = Certifier.Certify(new ReferenceNetwork(shape, parameters), preference, options);
        Assert.True(exact.Exact);
        Assert.Null(exact.Reason);
        Assert.Equal(ExactCountTests.BruteForce(new ReferenceNetwork(shape, parameters), preference), exact.Count);
    }

    [Theory]
    [InlineData(-5, 6, 1, "LeafFreeInputs")]
    [InlineData(11, -1, 1, "SplitDepth")]
    [InlineData(11, 6, 0, "MaxParallelism")]
    public void Count_options_out_of_range_are_refused_naming_the_setting(int leaf, int split, int parallelism, string setting)
    {
        NetworkShape shape = NetworkShape.Create(8, (3, Activation.Tanh), (1, Activation.Tanh));
        var network = new ReferenceNetwork(shape, new float[shape.ParameterCount]);
        var preference = new Preference { Interval = ActivationInterval.Above(0), Target = 0.5 };
        var options = new CountOptions { LeafFreeInputs = leaf, SplitDepth = split, MaxParallelism = parallelism };
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => CoverageCounter.Count(network, preference, options));
        Assert.Equal(setting, refused.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => CountPlan.Create(network, preference, options));
        Assert.Throws<ArgumentOutOfRangeException>(() => Certifier.Certify(network, preference, new CertifyOptions { Count = options }));
    }

    [Fact]
    public void A_few_inputs_with_large_weights_are_met_in_the_middle_by_sorted_sums()
    {
        // Four inputs of weight near 50: histograms of the halves would span millions of grid steps for 9 sums each,
        // and an interval within 2 ulps of sigmoid's top has thousands of member ranges, each a pass over them.
        int[] weights = [FixedPointGrid.ToUnits(49.5f), FixedPointGrid.ToUnits(-47.25f), FixedPointGrid.ToUnits(50f), FixedPointGrid.ToUnits(12.5f)];
        using (MeetInTheMiddle.Halves halves = MeetInTheMiddle.Prepare(weights, default))
        {
            Assert.IsType<MeetInTheMiddle.SortedHalves>(halves);
        }

        NetworkShape shape = NetworkShape.Create(4, (1, Activation.Sigmoid));
        float[] parameters = [49.5f, -47.25f, 50f, 12.5f, 30f];
        var network = new ReferenceNetwork(shape, parameters);
        var preference = new Preference
        {
            Layer = 0,
            Interval = new ActivationInterval(BitConverter.Int32BitsToSingle(0x3F7FFFFD), BitConverter.Int32BitsToSingle(0x3F7FFFFF)),
            Target = 0.5,
        };
        Assert.Equal(ExactCountTests.BruteForce(network, preference), CoverageCounter.Count(network, preference).Count);
    }
}
