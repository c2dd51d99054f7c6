using System;
using System.Linq;
using System.Reflection;
using Xunit;

namespace GenBias.Generators.Tests;

/// <summary>
/// The output-only kernels of one-output networks whose layers all stay in registers (OutputVector512, 256 and 128,
/// and OutputScalar), each called directly so that it runs whatever path the hardware dispatches, against the
/// reference bit for bit; and the float-returning Forward overloads, which run them.
/// </summary>
public partial class CompiledNetworkTests
{
    private delegate float OutputKernel(ulong positive, ulong negative);

    private static readonly string[] OutputKernels = ["OutputVector512", "OutputVector256", "OutputVector128", "OutputScalar"];

    /// <summary>
    /// The networks the generator gives output kernels: the first layer from tables (a _tables field) and over its
    /// outputs, then one output neuron over at most 32 of them; or a single neuron from tables.
    /// </summary>
    private static bool HasOutputKernels(ITernaryNetwork network)
    {
        NetworkShape shape = network.Shape;
        bool tables = network.GetType().GetField("_tables", BindingFlags.NonPublic | BindingFlags.Instance) is not null;
        return tables && shape.OutputCount == 1 && (shape.Layers.Length == 1
            ? shape.Layers[0].Width == 1
            : shape.Layers.Length == 2 && shape.Layers[0].Width >= 8 && shape.Layers[0].Width <= 32);
    }

    [Fact]
    public void The_matrix_has_networks_with_output_kernels() =>
        Assert.True(Matrix.Value.Count(s => HasOutputKernels(Create(s.Name, out _, seed: 1))) >= 4);

    [Theory]
    [MemberData(nameof(Names))]
    public void The_output_kernels_equal_the_reference_bit_for_bit(string name)
    {
        ITernaryNetwork network = Create(name, out NetworkShape shape, seed: name.GetHashCode(StringComparison.Ordinal));
        Type type = network.GetType();
        MethodInfo?[] kernels = [.. OutputKernels.Select(k => type.GetMethod(k, BindingFlags.NonPublic | BindingFlags.Instance))];
        if (!HasOutputKernels(network))
        {
            Assert.All(kernels, Assert.Null);
            return;
        }

        // OutputVector512 exists where a layer is 8 or more wide, as RunVector512 does; the others always.
        bool wide = shape.Layers.Any(l => l.Width >= 8);
        Assert.Equal(wide, kernels[0] is not null);
        Assert.All(kernels.Skip(1), Assert.NotNull);
        string[] names = [.. OutputKernels.Where((_, k) => kernels[k] is not null)];
        OutputKernel[] run = [.. kernels.Where(k => k is not null).Select(k => k!.CreateDelegate<OutputKernel>(network))];
        MethodInfo floatForward = type.GetMethod("Forward", [typeof(ulong), typeof(ulong)])!;
        var reference = new ReferenceNetwork(shape, network.Parameters);
        var random = new Random(5);
        float[] expected = new float[1];
        for (int trial = 0; trial < 300; trial++)
        {
            sbyte[] input = RandomInput(random, shape.InputCount, trial);
            reference.Forward(input, expected);
            (ulong positive, ulong negative) = TernaryInput.Pack(input);
            for (int k = 0; k < run.Length; k++)
            {
                AssertBits(expected, [run[k](positive, negative)], $"{name} {shape} {names[k]}, trial {trial}");
            }

            AssertBits(expected, [(float)floatForward.Invoke(network, [positive, negative])!], $"{name} Forward(ulong, ulong), trial {trial}");
        }
    }
}
