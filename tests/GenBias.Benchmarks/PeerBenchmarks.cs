using System;
using System.Linq;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace GenBias.Benchmarks;

/// <summary>
/// GenBias against ONNX Runtime (the same network, IOBinding, one intra-op thread) in one BenchmarkDotNet run: batches
/// of 4,096 rows of the two shapes of the 25-input majority problem (25 → 1, 25 → 16 → 1), and the counting leaf against brute force through ONNX Runtime. Ratios are
/// against ONNX Runtime in the same category (per row, or per input of the cube).
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class PeerBenchmarks
{
    private const int Rows = 4096;
    private const int LeafInputs = 531441; // 3^12

    private readonly Hidden25x16x1 _hidden = new();
    private readonly Neuron25 _neuron = new();
    private readonly Count12x16x1 _counted = new();
    private sbyte[] _inputs = null!;
    private ulong[] _packed = null!;
    private float[] _outputs = null!;
    private OnnxPeer _hiddenPeer = null!;
    private OnnxPeer _neuronPeer = null!;

    [GlobalSetup]
    public void Setup()
    {
        _hidden.SetParameters(BenchmarkData.Parameters(Hidden25x16x1.Shape, 2));
        _neuron.SetParameters(BenchmarkData.Parameters(Neuron25.Shape, 1));
        _counted.SetParameters(BenchmarkData.Parameters(Count12x16x1.Shape, 4));
        _inputs = BenchmarkData.Inputs(Rows, 25, 3);
        _packed = new ulong[2 * Rows];
        for (int r = 0; r < Rows; r++)
        {
            (_packed[2 * r], _packed[(2 * r) + 1]) = TernaryInput.Pack(_inputs.AsSpan(r * 25, 25));
        }

        _outputs = new float[Rows];
        float[] floats = [.. _inputs.Select(v => (float)v)];
        _hiddenPeer = new OnnxPeer(Hidden25x16x1.Shape, _hidden.Parameters, floats, new float[Rows]);
        _neuronPeer = new OnnxPeer(Neuron25.Shape, _neuron.Parameters, floats, new float[Rows]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _hiddenPeer.Dispose();
        _neuronPeer.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Rows), BenchmarkCategory("batch 25-16-1")]
    public void OnnxRuntime_batch_25_16_1() => _hiddenPeer.Run();

    [Benchmark(OperationsPerInvoke = Rows), BenchmarkCategory("batch 25-16-1")]
    public void GenBias_batch_25_16_1_rows() => _hidden.ForwardBatch(_inputs, _outputs);

    [Benchmark(OperationsPerInvoke = Rows), BenchmarkCategory("batch 25-16-1")]
    public void GenBias_batch_25_16_1_packed() => _hidden.ForwardBatch(_packed, _outputs);

    [Benchmark(Baseline = true, OperationsPerInvoke = Rows), BenchmarkCategory("batch 25-1")]
    public void OnnxRuntime_batch_25_1() => _neuronPeer.Run();

    [Benchmark(OperationsPerInvoke = Rows), BenchmarkCategory("batch 25-1")]
    public void GenBias_batch_25_1_rows() => _neuron.ForwardBatch(_inputs, _outputs);

    [Benchmark(OperationsPerInvoke = Rows), BenchmarkCategory("batch 25-1")]
    public void GenBias_batch_25_1_packed() => _neuron.ForwardBatch(_packed, _outputs);

    [Benchmark(Baseline = true, OperationsPerInvoke = Rows), BenchmarkCategory("count, per input, 16 hidden")]
    public void OnnxRuntime_brute_force_25_16_1() => _hiddenPeer.Run();

    [Benchmark(OperationsPerInvoke = LeafInputs), BenchmarkCategory("count, per input, 16 hidden")]
    public long GenBias_leaf_12_16_1() => CoverageCounter.Count(_counted, Preference.OutputAbove(0.5, 0.5),
        new CountOptions { Prune = false, AllowMeetInTheMiddle = false, MaxParallelism = 1, SplitDepth = 3, LeafFreeInputs = 9 }).Count;
}
