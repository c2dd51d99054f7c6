using System;
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace GenBias.Generators.Tests;

/// <summary>
/// Extreme finite parameters: up to the documented limit (ParameterPacking.MaxPreActivationBound) every compute path
/// gives the reference's bits; beyond it SetParameters refuses them, generated and reference networks alike, naming the
/// parameter.
/// </summary>
public partial class CompiledNetworkTests
{
    /// <summary>Whether <see cref="ParameterPacking.CheckComputable"/> accepts the parameters.</summary>
    private static bool Computable(NetworkShape shape, float[] parameters)
    {
        try
        {
            ParameterPacking.CheckComputable(shape, parameters, "parameters");
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>The parameters halved until they are accepted: as close to the limit as halving gets (within 2^depth).</summary>
    private static float[] ScaledToTheLimit(NetworkShape shape, float[] parameters)
    {
        float[] scaled = [.. parameters];
        while (!Computable(shape, scaled))
        {
            for (int p = 0; p < scaled.Length; p++)
            {
                scaled[p] *= 0.5f;
            }
        }

        return scaled;
    }

    /// <summary>Corpora of extreme parameters for one shape, each pushed to the limit.</summary>
    private static IEnumerable<(string Kind, float[] Parameters)> ExtremeCorpus(NetworkShape shape, Random random)
    {
        int count = shape.ParameterCount;
        // The reported case: ±float.MaxValue in every third parameter, zeros elsewhere.
        yield return ("MaxValue every third", ScaledToTheLimit(shape, [.. Enumerable.Range(0, count).Select(p => p % 3 == 0 ? (p % 2 == 0 ? float.MaxValue : -float.MaxValue) : 0f)]));
        // ±1e38 everywhere with random signs: sums of huge terms that cancel.
        yield return ("1e38 random signs", ScaledToTheLimit(shape, [.. Enumerable.Range(0, count).Select(_ => random.Next(2) == 0 ? 1e38f : -1e38f)]));
        // Magnitudes from subnormal to huge mixed, so that huge terms absorb tiny ones differently in different orders.
        float[] exponents = [-149, -126, -60, 0, 40, 100, 126];
        float[] mixed = [.. Enumerable.Range(0, count).Select(_ =>
            (float)((random.NextDouble() + 0.5) * Math.Pow(2, exponents[random.Next(exponents.Length)]) * (random.Next(2) == 0 ? 1 : -1)))];
        // At least one huge value, however few parameters the shape has.
        mixed[random.Next(count)] = random.Next(2) == 0 ? 1.5f * MathF.Pow(2, 126) : -1.5f * MathF.Pow(2, 126);
        yield return ("mixed magnitudes", ScaledToTheLimit(shape, mixed));
        // One output bias exactly at the limit, everything else small.
        float[] bias = [.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() - 0.5))];
        bias[shape.OutputLayer.BiasOffset] = -ParameterPacking.MaxPreActivationBound;
        yield return ("output bias at the limit", Computable(shape, bias) ? bias : ScaledToTheLimit(shape, bias));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ExtremeParameters_UpToTheLimit_GiveTheReferenceBitsOnEveryPath(string name)
    {
        // A seed from the name that is the same in every process (string.GetHashCode is not); more corpora per shape
        // with GENBIAS_EXTREME_CORPORA.
        int corpora = int.Parse(Environment.GetEnvironmentVariable("GENBIAS_EXTREME_CORPORA") ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        int stable = name.Aggregate(17, (hash, c) => unchecked((hash * 31) + c));
        for (int corpus = 0; corpus < corpora; corpus++)
        {
            ExtremeParametersGiveTheReferenceBits(name, new Random(stable + corpus));
        }
    }

    private static void ExtremeParametersGiveTheReferenceBits(string name, Random random)
    {
        ITernaryNetwork network = Create(name, out NetworkShape shape, seed: 1);
        ComputePath[] paths = AvailablePaths();
        float[] expected = new float[shape.OutputCount], actual = new float[shape.OutputCount];
        float[] expectedAll = new float[shape.ActivationCount], actualAll = new float[shape.ActivationCount];
        foreach ((string kind, float[] parameters) in ExtremeCorpus(shape, random))
        {
            Assert.True(parameters.Any(p => Math.Abs(p) > 1e20f) || shape.Layers.Any(l => l.Activation is Activation.ReLU or Activation.Linear),
                $"{name} {kind}: the corpus is not extreme");
            network.SetParameters(parameters);
            var reference = new ReferenceNetwork(shape, parameters);
            sbyte[][] inputs = [.. Enumerable.Range(0, 40).Select(t => RandomInput(random, shape.InputCount, t))];
            sbyte[] batch = [.. inputs.SelectMany(i => i)];
            float[] batchOut = new float[inputs.Length * shape.OutputCount];
            foreach (ComputePath path in paths)
            {
                network.ComputePath = path;
                for (int t = 0; t < inputs.Length; t++)
                {
                    reference.ForwardActivations(inputs[t], expectedAll);
                    Assert.DoesNotContain(expectedAll, float.IsNaN);
                    network.ForwardActivations(inputs[t], actualAll);
                    AssertBits(expectedAll, actualAll, $"{name} {kind} path {path} activations, input {t}");
                    reference.Forward(inputs[t], expected);
                    network.Forward(inputs[t], actual);
                    AssertBits(expected, actual, $"{name} {kind} path {path} output, input {t}");
                    if (shape.InputCount <= 64)
                    {
                        (ulong positive, ulong negative) = TernaryInput.Pack(inputs[t]);
                        network.Forward(positive, negative, actual);
                        AssertBits(expected, actual, $"{name} {kind} path {path} packed input, input {t}");
                    }
                }

                network.ForwardBatch(batch, batchOut);
                for (int t = 0; t < inputs.Length; t++)
                {
                    reference.Forward(inputs[t], expected);
                    AssertBits(expected, batchOut.AsSpan(t * shape.OutputCount, shape.OutputCount).ToArray(), $"{name} {kind} batch path {path} row {t}");
                }
            }
        }
    }

    [Fact]
    public void ExtremeParameters_BeyondTheLimit_AreRefusedNamingTheParameter()
    {
        // 25 → 16 → 1 with ±float.MaxValue in every third parameter: refused by the generated network and the
        // reference alike, before anything is overwritten.
        ITernaryNetwork network = Create("Net54_0", out NetworkShape shape, seed: 2);
        float[] before = network.Parameters.ToArray();
        float[] extreme = [.. Enumerable.Range(0, shape.ParameterCount).Select(p => p % 3 == 0 ? (p % 2 == 0 ? float.MaxValue : -float.MaxValue) : 0f)];
        var reference = new ReferenceNetwork(shape, before);
        foreach (ITernaryNetwork target in new[] { network, reference })
        {
            ArgumentException error = Assert.Throws<ArgumentException>(() => target.SetParameters(extreme));
            Assert.Equal("parameters", error.ParamName);
            Assert.StartsWith("parameters[0] (layer 0, neuron 0, weight of input 0) is 3.4028235E+38: with it, neuron 0 of layer 0 can reach a pre-activation of magnitude ",
                error.Message, StringComparison.Ordinal);
            Assert.Contains("above the limit 2^126 ≈ 8.5E+37 within which every compute path gives the same bits", error.Message, StringComparison.Ordinal);
            Assert.True(target.Parameters.SequenceEqual(before), "a refused SetParameters changed the parameters");
        }

        // The limit is inclusive: a bias of exactly 2^126 is accepted, the next float is not.
        float[] atLimit = new float[shape.ParameterCount];
        atLimit[shape.OutputLayer.BiasOffset] = ParameterPacking.MaxPreActivationBound;
        Assert.Equal(ParameterPacking.MaxPreActivationBound, (float)Math.Pow(2, 126));
        network.SetParameters(atLimit);
        reference.SetParameters(atLimit);
        atLimit[shape.OutputLayer.BiasOffset] = MathF.BitIncrement(ParameterPacking.MaxPreActivationBound);
        Assert.Throws<ArgumentException>(() => network.SetParameters(atLimit));
        Assert.Throws<ArgumentException>(() => reference.SetParameters(atLimit));
    }

    [Fact]
    public void ExtremeParameters_UnboundedActivations_CountThePreviousLayersBound()
    {
        // Linear hidden layers pass their magnitude on: 1e20 weights are harmless after Tanh, not after two Linear layers.
        NetworkShape linear = NetworkShape.Create(4, (4, Activation.Linear), (4, Activation.Linear), (1, Activation.Linear));
        NetworkShape tanh = NetworkShape.Create(4, (4, Activation.Tanh), (4, Activation.Tanh), (1, Activation.Linear));
        float[] parameters = [.. Enumerable.Repeat(1e20f, linear.ParameterCount)];
        Assert.True(Computable(tanh, parameters));
        ArgumentException error = Assert.Throws<ArgumentException>(() => new ReferenceNetwork(linear, parameters));
        Assert.Contains("neuron 0 of layer 1 can reach a pre-activation of magnitude 2E+41", error.Message, StringComparison.Ordinal);
    }
}
