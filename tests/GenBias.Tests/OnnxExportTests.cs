using System;
using System.IO;
using System.Linq;
using GenBias.Tests.Coverage;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit;

namespace GenBias.Tests;

[TernaryNetwork(Inputs = 12)]
[Dense(6, Activation.TernaryStep)]
[Dense(1, Activation.Linear)]
public partial class StepNetwork;

/// <summary>The ONNX export, run by ONNX Runtime 1.31.1 and compared with Forward on 10,000 inputs.</summary>
public class OnnxExportTests
{
    public static TheoryData<string> Networks() => ["Seed25x16x1", "Wide70", "Hidden12x9x2", "TwoHidden9x8x5x1", "TwoHidden13x10x12x1", "Neuron12HardTanh", "StepNetwork"];

    private static ITernaryNetwork Create(string name) => name switch
    {
        "Seed25x16x1" => ExactCountTests.Network<Seed25x16x1>(3),
        "Wide70" => ExactCountTests.Network<Wide70>(3),
        "Hidden12x9x2" => ExactCountTests.Network<Hidden12x9x2>(3),
        "TwoHidden9x8x5x1" => ExactCountTests.Network<TwoHidden9x8x5x1>(3),
        "TwoHidden13x10x12x1" => ExactCountTests.Network<TwoHidden13x10x12x1>(3),
        "Neuron12HardTanh" => ExactCountTests.Network<Neuron12HardTanh>(3),
        _ => ExactCountTests.Network<StepNetwork>(3),
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void Onnx_runtime_runs_the_export_within_1e_6_of_forward(string name)
    {
        ITernaryNetwork network = Create(name);
        NetworkShape shape = network.Shape;
        const int Rows = 10_000;
        var random = new Random(12);
        sbyte[] inputs = [.. Enumerable.Range(0, Rows * shape.InputCount).Select(_ => (sbyte)random.Next(-1, 2))];
        float[] expected = new float[Rows * shape.OutputCount];
        network.ForwardBatch(inputs, expected);

        using var session = new InferenceSession(OnnxExport.Write(shape, network.Parameters));
        var x = new DenseTensor<float>(inputs.Select(v => (float)v).ToArray(), [Rows, shape.InputCount]);
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run([NamedOnnxValue.CreateFromTensor("x", x)]);
        float[] actual = results.Single(r => r.Name == "y").AsEnumerable<float>().ToArray();

        Assert.Equal(expected.Length, actual.Length);
        double worst = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1e-6, $"{name}: largest difference {worst:G3}");
    }

    [Fact]
    public void Save_writes_the_file_atomically()
    {
        string folder = Directory.CreateTempSubdirectory("genbias-onnx").FullName;
        try
        {
            ITernaryNetwork network = Create("Seed25x16x1");
            string path = Path.Combine(folder, "seed.onnx");
            OnnxExport.Save(path, network);
            Assert.Equal(OnnxExport.Write(network.Shape, network.Parameters), File.ReadAllBytes(path));
            Assert.Single(Directory.GetFiles(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
