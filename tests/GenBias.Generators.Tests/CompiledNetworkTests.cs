using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Runtime.Intrinsics;
using System.Text;
using Xunit;

namespace GenBias.Generators.Tests;

/// <summary>
/// Compiles generated networks over a matrix of shapes and checks them against the oracles: the reference
/// implementation (bit for bit: both use the canonical summation order), every SIMD path against the scalar path,
/// and Backward against central finite differences.
/// </summary>
public partial class CompiledNetworkTests
{
    private static readonly int[] Inputs = [1, 9, 16, 25, 64];
    private static readonly int[] Widths = [1, 7, 8, 16, 33];
    private static readonly Activation[] Activations = Enum.GetValues<Activation>();

    /// <summary>inputs × widths × 1–3 hidden layers, the activation cycling so that every one meets every depth and width.</summary>
    private static readonly Lazy<IReadOnlyList<(string Name, int Inputs, (int, Activation)[] Layers)>> Matrix = new(() =>
    {
        var specs = new List<(string, int, (int, Activation)[])>();
        int counter = 0;
        foreach (int n in Inputs)
        {
            foreach (int width in Widths)
            {
                for (int depth = 1; depth <= 3; depth++)
                {
                    // Two activations per cell, so across the matrix every activation is used at every depth and width.
                    for (int pick = 0; pick < 2; pick++)
                    {
                        int cell = counter / 3;
                        Activation hidden = Activations[(cell + depth + (3 * pick)) % Activations.Length];
                        // Two apart: Tanh, Sigmoid and Linear pair with each other, so a third of the networks are smooth
                        // throughout and the finite-difference test covers every depth and width.
                        Activation output = Activations[(cell + depth + 2 + (3 * pick)) % Activations.Length];
                        var layers = new List<(int, Activation)>();
                        for (int d = 0; d < depth; d++)
                        {
                            // The middle layer of three is a different width, so widths change between layers too.
                            layers.Add((d == 1 ? Widths[(Array.IndexOf(Widths, width) + 2) % Widths.Length] : width, hidden));
                        }

                        layers.Add((1 + (counter % 3), output));
                        specs.Add(($"Net{counter}_{pick}", n, layers.ToArray()));
                    }

                    counter++;
                }
            }
        }

        return specs;
    });

    private static readonly Lazy<Assembly> MatrixAssembly = new(() =>
    {
        // SkipLocalsInit: stack buffers start with garbage, as in a user's project that sets it, so generated code that
        // relied on zeroed scratch memory would fail here.
        var source = new StringBuilder("using GenBias;\n[module: System.Runtime.CompilerServices.SkipLocalsInit]\nnamespace Matrix;\n");
        foreach ((string name, int n, (int Width, Activation Activation)[] layers) in Matrix.Value)
        {
            source.Append($"[TernaryNetwork(Inputs = {n})]\n");
            foreach ((int width, Activation activation) in layers)
            {
                source.Append($"[Dense({width}, Activation.{activation})]\n");
            }

            source.Append($"public partial class {name};\n");
        }

        return GeneratorHarness.CompileAndLoad(source.ToString());
    });

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var spec in Matrix.Value)
        {
            data.Add(spec.Name);
        }

        return data;
    }

    [Fact]
    public void The_matrix_covers_every_input_count_width_depth_and_activation()
    {
        var specs = Matrix.Value;
        Assert.Equal(Inputs.Length * Widths.Length * 3 * 2, specs.Count);
        foreach (Activation activation in Activations)
        {
            for (int depth = 1; depth <= 3; depth++)
            {
                Assert.Contains(specs, s => s.Layers.Length == depth + 1 && s.Layers[0].Item2 == activation);
            }

            Assert.Contains(specs, s => s.Layers[^1].Item2 == activation);
        }

        // The finite-difference test needs smooth networks at every depth and over every input count.
        for (int depth = 1; depth <= 3; depth++)
        {
            foreach (int n in Inputs)
            {
                Assert.Contains(specs, s => s.Layers.Length == depth + 1 && s.Inputs == n && s.Layers.All(l => IsSmooth(l.Item2)));
            }
        }
    }

    private static bool IsSmooth(Activation activation) =>
        activation is Activation.Tanh or Activation.Sigmoid or Activation.Linear;

    [Theory]
    [MemberData(nameof(Names))]
    public void Forward_equals_the_reference_bit_for_bit_on_every_path(string name)
    {
        ITernaryNetwork network = Create(name, out NetworkShape shape, seed: name.GetHashCode(StringComparison.Ordinal));
        var reference = new ReferenceNetwork(shape, network.Parameters);
        var random = new Random(7);
        float[] expected = new float[shape.OutputCount], actual = new float[shape.OutputCount];
        float[] expectedAll = new float[shape.ActivationCount], actualAll = new float[shape.ActivationCount];
        ComputePath[] paths = AvailablePaths();
        for (int trial = 0; trial < 1000; trial++)
        {
            sbyte[] input = RandomInput(random, shape.InputCount, trial);
            reference.Forward(input, expected);
            reference.ForwardActivations(input, expectedAll);
            foreach (ComputePath path in paths)
            {
                network.ComputePath = path;
                network.Forward(input, actual);
                AssertBits(expected, actual, $"{name} {shape} path {path} output, trial {trial}");
                network.ForwardActivations(input, actualAll);
                AssertBits(expectedAll, actualAll, $"{name} {shape} path {path} activations, trial {trial}");
                if (shape.InputCount <= 64)
                {
                    (ulong positive, ulong negative) = TernaryInput.Pack(input);
                    network.Forward(positive, negative, actual);
                    AssertBits(expected, actual, $"{name} {shape} path {path} packed input, trial {trial}");
                }
            }
        }

        // The batch form gives the same rows as single calls.
        // 165 rows: two chunks of 64 sbyte rows packed into bit streams (up to 25 inputs), then two 16-lane blocks (or
        // four 8-lane ones) and the leftover rows one at a time.
        const int Rows = 165;
        sbyte[] batch = [.. Enumerable.Range(0, Rows).SelectMany(t => RandomInput(random, shape.InputCount, t))];
        float[] batchOut = new float[Rows * shape.OutputCount];
        foreach (ComputePath path in paths)
        {
            network.ComputePath = path;
            network.ForwardBatch(batch, batchOut);
            for (int r = 0; r < Rows; r++)
            {
                reference.Forward(batch.AsSpan(r * shape.InputCount, shape.InputCount), expected);
                AssertBits(expected, batchOut.AsSpan(r * shape.OutputCount, shape.OutputCount).ToArray(), $"{name} batch path {path} row {r}");
            }

            if (shape.InputCount <= 64)
            {
                // The packed batch form gives the same rows too.
                ulong[] packed = new ulong[2 * Rows];
                for (int r = 0; r < Rows; r++)
                {
                    (packed[2 * r], packed[(2 * r) + 1]) = TernaryInput.Pack(batch.AsSpan(r * shape.InputCount, shape.InputCount));
                }

                float[] packedOut = new float[Rows * shape.OutputCount];
                network.ForwardBatch(packed, packedOut);
                AssertBits(batchOut, packedOut, $"{name} packed batch path {path}");
            }
        }
    }

    private delegate void PackedKernel(ulong positive, ulong negative, ref float h, ref float z);

    private delegate void SpanKernel(ref sbyte input, ref float h, ref float z);

    /// <summary>
    /// The Vector512 kernel, called directly: on a machine without AVX-512 the dispatch never reaches it, but
    /// Vector512 operations still run (in software, lane by lane, with the same IEEE results), so its code is checked
    /// against the reference everywhere.
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void The_vector512_kernel_equals_the_reference_even_where_it_is_not_dispatched(string name)
    {
        ITernaryNetwork network = Create(name, out NetworkShape shape, seed: name.GetHashCode(StringComparison.Ordinal));
        MethodInfo? kernel = network.GetType().GetMethod("RunVector512", BindingFlags.NonPublic | BindingFlags.Instance);
        if (kernel is null)
        {
            Assert.DoesNotContain(shape.Layers, l => l.Width >= 8); // only networks without a wide layer have none
            return;
        }

        AssertKernelEqualsReference(name, network, shape, kernel);
    }

    /// <summary>
    /// The Vector128 kernel (ARM64 NEON, x64 without AVX2), called directly: a machine with AVX2 dispatches to it only
    /// when asked (ComputePath.Vector128), so this checks it on every network whatever the hardware.
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void The_vector128_kernel_equals_the_reference_bit_for_bit(string name)
    {
        ITernaryNetwork network = Create(name, out NetworkShape shape, seed: name.GetHashCode(StringComparison.Ordinal));
        MethodInfo kernel = network.GetType().GetMethod("RunVector128", BindingFlags.NonPublic | BindingFlags.Instance)!;
        Assert.NotNull(kernel);
        AssertKernelEqualsReference(name, network, shape, kernel);
    }

    /// <summary>
    /// Runs one single-row kernel on 200 inputs and compares every layer's activations and pre-activations with the
    /// reference's, bit for bit.
    /// </summary>
    private static void AssertKernelEqualsReference(string name, ITernaryNetwork network, NetworkShape shape, MethodInfo kernel)
    {
        var reference = new ReferenceNetwork(shape, network.Parameters);
        int Constant(string field) => (int)network.GetType().GetField(field, BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!;
        int scratch = Constant("ScratchSize");
        int[] layerAt = [.. shape.Layers.Select(l => Constant($"Layer{l.Index}Scratch"))];
        bool packed = kernel.GetParameters()[0].ParameterType == typeof(ulong);
        PackedKernel? runPacked = packed ? kernel.CreateDelegate<PackedKernel>(network) : null;
        SpanKernel? runSpan = packed ? null : kernel.CreateDelegate<SpanKernel>(network);
        var random = new Random(3);
        float[] expected = new float[shape.ActivationCount];
        float[] x = new float[shape.InputCount], expectedPre = new float[shape.ActivationCount];
        for (int trial = 0; trial < 200; trial++)
        {
            sbyte[] input = RandomInput(random, shape.InputCount, trial);
            float[] h = new float[scratch], z = new float[scratch];
            if (runPacked is not null)
            {
                (ulong positive, ulong negative) = TernaryInput.Pack(input);
                runPacked(positive, negative, ref h[0], ref z[0]);
            }
            else
            {
                runSpan!(ref input[0], ref h[0], ref z[0]);
            }

            TernaryInput.ToFloats(input, x);
            ReferenceNetwork.ForwardScalar(shape, network.Parameters, x, expectedPre, expected);
            foreach (LayerShape l in shape.Layers)
            {
                AssertBits(expected.AsSpan(l.ActivationOffset, l.Width).ToArray(), h.AsSpan(layerAt[l.Index], l.Width).ToArray(),
                    $"{name} {kernel.Name} layer {l.Index} activations, trial {trial}");
                AssertBits(expectedPre.AsSpan(l.ActivationOffset, l.Width).ToArray(), z.AsSpan(layerAt[l.Index], l.Width).ToArray(),
                    $"{name} {kernel.Name} layer {l.Index} pre-activations, trial {trial}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Backward_equals_the_reference_backward(string name)
    {
        ITernaryNetwork network = Create(name, out NetworkShape shape, seed: 11);
        var reference = new ReferenceNetwork(shape, network.Parameters);
        var random = new Random(5);
        for (int trial = 0; trial < 20; trial++)
        {
            sbyte[] input = RandomInput(random, shape.InputCount, trial);
            float[] g = [.. Enumerable.Range(0, shape.OutputCount).Select(_ => (float)(random.NextDouble() * 2 - 1))];
            float[] expected = new float[shape.ParameterCount], actual = new float[shape.ParameterCount];
            reference.Backward(input, g, expected);
            network.Backward(input, g, actual);
            AssertClose(shape, expected, actual, $"{name} Backward");

            // A gradient on every neuron, hidden ones included (what hidden-neuron preferences use).
            float[] all = [.. Enumerable.Range(0, shape.ActivationCount).Select(_ => (float)(random.NextDouble() * 2 - 1))];
            Array.Clear(expected);
            Array.Clear(actual);
            reference.BackwardActivations(input, all, expected);
            network.BackwardActivations(input, all, actual);
            AssertClose(shape, expected, actual, $"{name} BackwardActivations");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Backward_matches_central_finite_differences(string name)
    {
        ITernaryNetwork network = Create(name, out NetworkShape shape, seed: 3);
        if (!shape.Layers.All(l => IsSmooth(l.Activation)))
        {
            // Finite differences only estimate derivatives of smooth functions; the kinked activations are checked
            // against the reference backward above, whose formulas this test checks on the smooth ones.
            return;
        }

        var random = new Random(9);
        float[] parameters = network.Parameters.ToArray();
        for (int trial = 0; trial < 3; trial++)
        {
            sbyte[] input = RandomInput(random, shape.InputCount, trial + 5);
            float[] g = [.. Enumerable.Range(0, shape.OutputCount).Select(_ => (float)(random.NextDouble() * 2 - 1))];
            float[] analytic = new float[shape.ParameterCount];
            network.SetParameters(parameters);
            // On odd trials the objective weighs every neuron of every layer, not just the outputs.
            bool everyNeuron = trial % 2 == 1;
            if (everyNeuron)
            {
                g = [.. Enumerable.Range(0, shape.ActivationCount).Select(_ => (float)(random.NextDouble() * 2 - 1))];
                network.BackwardActivations(input, g, analytic);
            }
            else
            {
                network.Backward(input, g, analytic);
            }

            // Check a spread of parameters from every layer.
            foreach (int p in Enumerable.Range(0, shape.ParameterCount).Where(p => p % Math.Max(1, shape.ParameterCount / 40) == 0 || p == shape.ParameterCount - 1))
            {
                double numeric = (Objective(network, parameters, p, +1e-2f, input, g) - Objective(network, parameters, p, -1e-2f, input, g)) / 2e-2;
                double tolerance = 2e-3 + (2e-2 * Math.Abs(numeric));
                Assert.True(Math.Abs(numeric - analytic[p]) <= tolerance,
                    $"{name} {shape} parameter {p} ({ParameterPacking.Describe(shape, p)}): finite difference {numeric}, Backward {analytic[p]}");
            }
        }
    }

    private static void AssertClose(NetworkShape shape, float[] expected, float[] actual, string what)
    {
        for (int p = 0; p < expected.Length; p++)
        {
            Assert.True(MathF.Abs(expected[p] - actual[p]) <= 1e-5f + (1e-4f * MathF.Abs(expected[p])),
                $"{what}, parameter {p} ({ParameterPacking.Describe(shape, p)}): reference {expected[p]}, generated {actual[p]}");
        }
    }

    private static double Objective(ITernaryNetwork network, float[] parameters, int p, float step, sbyte[] input, float[] g)
    {
        float[] moved = (float[])parameters.Clone();
        moved[p] += step;
        network.SetParameters(moved);
        float[] output = new float[g.Length];
        if (g.Length == network.Shape.ActivationCount && g.Length != network.Shape.OutputCount)
        {
            network.ForwardActivations(input, output);
        }
        else
        {
            network.Forward(input, output);
        }
        network.SetParameters(parameters);
        return output.Select((y, k) => (double)y * g[k]).Sum();
    }

    private static ComputePath[] AvailablePaths()
    {
        var paths = new List<ComputePath> { ComputePath.Scalar };
        if (Vector128.IsHardwareAccelerated)
        {
            paths.Add(ComputePath.Vector128);
        }

        if (Vector256.IsHardwareAccelerated)
        {
            paths.Add(ComputePath.Vector256);
        }

        if (Vector512.IsHardwareAccelerated)
        {
            paths.Add(ComputePath.Vector512);
        }

        return [.. paths];
    }

    private static ITernaryNetwork Create(string name, out NetworkShape shape, int seed)
    {
        Type type = MatrixAssembly.Value.GetType("Matrix." + name, throwOnError: true)!;
        var network = (ITernaryNetwork)Activator.CreateInstance(type)!;
        shape = network.Shape;
        Assert.Equal(shape, (NetworkShape)type.GetProperty("Shape", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!);
        var random = new Random(seed);
        float[] parameters = new float[shape.ParameterCount];
        foreach (LayerShape layer in shape.Layers)
        {
            float scale = 1.5f / MathF.Sqrt(layer.InputCount);
            for (int p = layer.WeightOffset; p < layer.BiasOffset + layer.Width; p++)
            {
                parameters[p] = (float)((random.NextDouble() * 2) - 1) * scale;
            }
        }

        network.SetParameters(parameters);
        return network;
    }

    private static sbyte[] RandomInput(Random random, int n, int trial) => trial switch
    {
        0 => new sbyte[n],
        1 => [.. Enumerable.Repeat((sbyte)1, n)],
        2 => [.. Enumerable.Repeat((sbyte)-1, n)],
        _ => [.. Enumerable.Range(0, n).Select(_ => (sbyte)random.Next(-1, 2))],
    };

    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        for (int k = 0; k < expected.Length; k++)
        {
            if (BitConverter.SingleToInt32Bits(expected[k]) != BitConverter.SingleToInt32Bits(actual[k]))
            {
                Assert.Fail($"{what}, value {k}: reference {expected[k]:R}, generated {actual[k]:R}");
            }
        }
    }
}
