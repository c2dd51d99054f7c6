using System;
using System.IO;
using System.Linq;
using System.Numerics;
using System.Threading;
using Xunit;

namespace GenBias.Tests.Coverage;

/// <summary>
/// Certificates of first-layer preferences of any width: exact by meet in the middle up to 32 inputs and by the sum's
/// histogram up to 39, a certified interval beyond; against brute force, meet in the middle and BigInteger convolution.
/// </summary>
public class WideFirstLayerCertificateTests
{
    /// <summary>Weights of a few steps of 2^10 units (an independent BigInteger convolution stays cheap), biases anywhere on the grid.</summary>
    private const int Unit = 1 << 10;

    private static readonly ActivationInterval[] Intervals =
        [ActivationInterval.Above(0), ActivationInterval.Above(0.25), ActivationInterval.Below(-0.1), new ActivationInterval(-0.5, 0.5, true, true)];

    /// <summary>A network of <paramref name="inputs"/> inputs, <paramref name="width"/> tanh neurons and one output, first layer on the grid.</summary>
    private static (ReferenceNetwork Network, int[][] Steps) Network(int inputs, int width, int seed, int scale = 4)
    {
        var random = new Random(seed);
        NetworkShape shape = NetworkShape.Create(inputs, (width, Activation.Tanh), (1, Activation.Tanh));
        float[] parameters = new float[shape.ParameterCount];
        LayerShape first = shape.Layers[0];
        int[][] steps = new int[width][];
        for (int k = 0; k < width; k++)
        {
            steps[k] = [.. Enumerable.Range(0, inputs).Select(_ => random.Next(-scale, scale + 1))];
            for (int i = 0; i < inputs; i++)
            {
                parameters[first.WeightIndex(k, i)] = steps[k][i] * Unit * FixedPointGrid.Step;
            }

            long reach = steps[k].Sum(s => (long)Math.Abs(s)) * Unit;
            parameters[first.BiasIndex(k)] = random.NextInt64(-reach / 6, (reach / 6) + 1) * FixedPointGrid.Step;
        }

        for (int p = shape.Layers[1].WeightOffset; p < shape.ParameterCount; p++)
        {
            parameters[p] = (float)(random.NextDouble() - 0.5);
        }

        return (new ReferenceNetwork(shape, parameters), steps);
    }

    /// <summary>The exact number of inputs whose neuron-k activation lies in the interval, by BigInteger convolution.</summary>
    private static BigInteger ExactCount(ReferenceNetwork network, int[][] steps, int k, ActivationInterval interval)
    {
        long reach = steps[k].Sum(s => (long)Math.Abs(s));
        BigInteger[] histogram = CubeHistogramTests.ExactHistogram(steps[k], reach);
        long bias = FixedPointGrid.ToUnits(network.Parameters[network.Shape.Layers[0].BiasIndex(k)]);
        BigInteger count = BigInteger.Zero;
        for (long v = -reach; v <= reach; v++)
        {
            if (interval.Contains(NeuronMembership.Activate(Activation.Tanh, bias + (v * Unit))))
            {
                count += histogram[v + reach];
            }
        }

        return count;
    }

    private static Preference On(int? neuron, ActivationInterval interval, double target = 0.5, PreferenceRelation relation = PreferenceRelation.AtMost) =>
        new() { Layer = 0, Neuron = neuron, Interval = interval, Target = target, Relation = relation };

    [Fact]
    public void Small_first_layers_agree_with_brute_force_through_forward()
    {
        (ReferenceNetwork network, _) = Network(7, 4, seed: 7, scale: 30);
        foreach (ActivationInterval interval in Intervals)
        {
            foreach (int? neuron in new int?[] { null, 2 })
            {
                Preference preference = On(neuron, interval);
                long brute = ExactCountTests.BruteForce(network, preference);
                long total = ExactCountTests.CubeSize(7) * (neuron is null ? 4 : 1);
                Certificate certificate = Certifier.Certify(network, preference);
                Assert.True(certificate.Exact && certificate.Count == brute && certificate.Total == total, $"{preference}: brute force {brute}, {certificate}");
                (double lower, double upper) = CoverageCounter.FirstLayerBounds(network, preference, 2, CancellationToken.None);
                double rate = (double)brute / total;
                Assert.True(lower <= rate && rate <= upper && upper - lower < 1e-14, $"{preference}: {rate:R} against [{lower:R}, {upper:R}]");
            }
        }
    }

    [Theory]
    [InlineData(12)]
    [InlineData(23)]
    [InlineData(32)]
    public void The_histograms_bounds_contain_the_meet_in_the_middle_count(int inputs)
    {
        (ReferenceNetwork network, _) = Network(inputs, 3, seed: inputs, scale: 40);
        foreach (ActivationInterval interval in Intervals)
        {
            Preference preference = On(null, interval);
            CountResult counted = CoverageCounter.Count(network, preference);
            Assert.Equal(CountMethod.MeetInTheMiddle, counted.Method);
            (double lower, double upper) = CoverageCounter.FirstLayerBounds(network, preference, 2, CancellationToken.None);
            BigInteger total = BigInteger.Pow(3, inputs) * 3;
            Assert.True(CubeHistogramTests.AtMost(lower, counted.Count, total) && CubeHistogramTests.AtLeast(upper, counted.Count, total),
                $"{inputs} inputs, {interval}: {counted.Count} of {total} against [{lower:R}, {upper:R}]");
        }
    }

    [Theory]
    [InlineData(33)]
    [InlineData(39)]
    public void Up_to_39_inputs_a_neuron_is_counted_exactly_by_the_histogram(int inputs)
    {
        (ReferenceNetwork network, int[][] steps) = Network(inputs, 2, seed: inputs);
        foreach (ActivationInterval interval in Intervals)
        {
            Preference preference = On(1, interval);
            Certificate certificate = Certifier.Certify(network, preference);
            Assert.True(certificate.Exact && certificate.Method == CountMethod.CubeHistogram, certificate.ToString());
            Assert.Equal(ExactCount(network, steps, 1, interval), (BigInteger)certificate.Count);
            Assert.Equal(CoverageCounter.Pow3(inputs), certificate.Total);
            RoundTrip(certificate, network, preference);
        }

        // Both neurons at 39 inputs: 2 · 3^39 still fits 64 bits; three would not (see the layer test below).
        Certificate layer = Certifier.Certify(network, On(null, Intervals[0]));
        Assert.True(layer.Exact, layer.ToString());
        Assert.Equal(ExactCount(network, steps, 0, Intervals[0]) + ExactCount(network, steps, 1, Intervals[0]), (BigInteger)layer.Count);
    }

    [Theory]
    [InlineData(40, 1)]
    [InlineData(100, 1)]
    [InlineData(39, 3)]
    [InlineData(100, 3)]
    public void Beyond_exact_counts_a_certified_interval_contains_the_exact_rate(int inputs, int width)
    {
        (ReferenceNetwork network, int[][] steps) = Network(inputs, width, seed: 1000 + inputs + width);
        int strictlyInside = 0;
        foreach (ActivationInterval interval in Intervals)
        {
            Preference preference = On(width == 1 ? 0 : null, interval, target: 0.4, relation: PreferenceRelation.AtLeast);
            Certificate certificate = Certifier.Certify(network, preference);
            Assert.True(!certificate.Exact && certificate.Method == CountMethod.CertifiedInterval && certificate.Confidence is null, certificate.ToString());
            BigInteger count = Enumerable.Range(0, width).Aggregate(BigInteger.Zero, (sum, k) => sum + ExactCount(network, steps, k, interval));
            BigInteger total = BigInteger.Pow(3, inputs) * width;
            Assert.True(CubeHistogramTests.AtMost(certificate.Lower, count, total) && CubeHistogramTests.AtLeast(certificate.Upper, count, total),
                $"{inputs} inputs × {width}, {interval}: exact {(double)(count * 1_000_000_000_000 / total) / 1e12}, {certificate}");
            Assert.True(certificate.Width <= 1e-11, certificate.ToString());
            Assert.Equal(certificate.Lower >= 0.4, certificate.Met);
            Assert.Contains("CERTIFIED INTERVAL", certificate.ToString());
            Assert.Contains("width", certificate.ToString());
            strictlyInside += certificate.Lower > 0 && certificate.Upper < 1 ? 1 : 0;
            RoundTrip(certificate, network, preference);
        }

        Assert.True(strictlyInside >= 2, $"{strictlyInside} rates strictly between 0 and 1");
    }

    [Fact]
    public void A_certified_interval_is_written_with_its_width_and_no_count()
    {
        (ReferenceNetwork network, _) = Network(40, 1, seed: 40);
        Preference preference = On(0, ActivationInterval.Above(0));
        Certificate certificate = Certifier.Certify(network, preference);
        string path = TempPath();
        try
        {
            certificate.Save(path);
            string json = File.ReadAllText(path);
            Assert.Contains("\"method\": \"certified interval (cube histogram)\"", json);
            Assert.Contains("\"width\": ", json);
            Assert.Contains("\"count\": 0", json);
            Assert.Contains("\"confidence\": null", json);

            // Edits that contradict the form are refused by the one reader.
            string[] broken =
            [
                json.Replace("\"exact\": false", "\"exact\": true", StringComparison.Ordinal),
                json.Replace("\"confidence\": null", "\"confidence\": 0.99", StringComparison.Ordinal),
                json.Replace("\"total\": 0", "\"total\": 10", StringComparison.Ordinal),
                json.Replace($"\"upper\": {certificate.Upper.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}", "\"upper\": 1.5", StringComparison.Ordinal),
            ];
            foreach (string text in broken)
            {
                Assert.NotEqual(json, text);
                File.WriteAllText(path, text);
                Assert.Contains("inconsistent", Assert.Throws<InvalidDataException>(() => Certificate.Load(path)).Message);
            }

            // A certified interval is for first-layer neurons: not the output's.
            certificate.Save(path);
            Assert.Equal(certificate.Lower, Certificate.LoadFor(path, network, preference).Lower);
            Preference output = Preference.OutputAbove(0, 0.5) with { Relation = PreferenceRelation.AtMost };
            Certificate forOutput = certificate with { Preference = output.ToString() };
            forOutput.Save(path);
            Assert.Contains("first-layer", Assert.Throws<InvalidDataException>(() => Certificate.LoadFor(path, network, output)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_wide_first_layer_off_the_grid_is_estimated_and_says_why()
    {
        (ReferenceNetwork network, _) = Network(50, 1, seed: 50);
        float[] parameters = network.Parameters.ToArray();
        parameters[0] += FixedPointGrid.Step / 3;
        network.SetParameters(parameters);
        Certificate certificate = Certifier.Certify(network, On(0, ActivationInterval.Above(0)), new CertifyOptions { Samples = 2000 });
        Assert.Equal(CountMethod.Estimate, certificate.Method);
        Assert.Contains("grid", certificate.Reason);
    }

    private static void RoundTrip(Certificate certificate, ReferenceNetwork network, Preference preference)
    {
        string path = TempPath();
        try
        {
            certificate.Save(path);
            Certificate read = Certificate.LoadFor(path, network, preference);
            Assert.Equal(certificate with { }, read);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string TempPath() => Path.Combine(Path.GetTempPath(), $"genbias-wide-{Guid.NewGuid():N}.certificate.json");
}
