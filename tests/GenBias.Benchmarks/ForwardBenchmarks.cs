using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace GenBias.Benchmarks;

/// <summary>
/// Generated Forward against the reference implementation for the two networks of the 25-input majority problem, one input at a time and in
/// batches, in one run (ratios are against the reference of the same category).
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ForwardBenchmarks
{
    private const int BatchRows = 1024;
    private const int Singles = 64;

    private readonly Neuron25 _neuron = new();
    private readonly Hidden25x16x1 _hidden = new();
    private ReferenceNetwork _neuronReference = null!;
    private ReferenceNetwork _hiddenReference = null!;
    private sbyte[] _inputs = null!;
    private float[] _outputs = null!;

    [GlobalSetup]
    public void Setup()
    {
        _neuron.SetParameters(BenchmarkData.Parameters(Neuron25.Shape, 1));
        _hidden.SetParameters(BenchmarkData.Parameters(Hidden25x16x1.Shape, 2));
        _neuronReference = new ReferenceNetwork(Neuron25.Shape, _neuron.Parameters);
        _hiddenReference = new ReferenceNetwork(Hidden25x16x1.Shape, _hidden.Parameters);
        _inputs = BenchmarkData.Inputs(BatchRows, 25, 3);
        _outputs = new float[BatchRows];
    }

    // One input per call; each benchmark makes 64 calls so the loop overhead is amortised (per-input = time / 64).

    [Benchmark(Baseline = true, OperationsPerInvoke = Singles), BenchmarkCategory("single 25-1")]
    public float Reference_single_25_1()
    {
        float sum = 0;
        Span<float> output = stackalloc float[1];
        for (int r = 0; r < Singles; r++)
        {
            _neuronReference.Forward(_inputs.AsSpan(r * 25, 25), output);
            sum += output[0];
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Singles), BenchmarkCategory("single 25-1")]
    public float Generated_single_25_1()
    {
        float sum = 0;
        for (int r = 0; r < Singles; r++)
        {
            sum += _neuron.Forward(_inputs.AsSpan(r * 25, 25));
        }

        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Singles), BenchmarkCategory("single 25-16-1")]
    public float Reference_single_25_16_1()
    {
        float sum = 0;
        Span<float> output = stackalloc float[1];
        for (int r = 0; r < Singles; r++)
        {
            _hiddenReference.Forward(_inputs.AsSpan(r * 25, 25), output);
            sum += output[0];
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Singles), BenchmarkCategory("single 25-16-1")]
    public float Generated_single_25_16_1()
    {
        float sum = 0;
        for (int r = 0; r < Singles; r++)
        {
            sum += _hidden.Forward(_inputs.AsSpan(r * 25, 25));
        }

        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = BatchRows), BenchmarkCategory("batch 25-16-1")]
    public void Reference_batch_25_16_1() => _hiddenReference.ForwardBatch(_inputs, _outputs);

    [Benchmark(OperationsPerInvoke = BatchRows), BenchmarkCategory("batch 25-16-1")]
    public void Generated_batch_25_16_1() => _hidden.ForwardBatch(_inputs, _outputs);

    [Benchmark(Baseline = true, OperationsPerInvoke = BatchRows), BenchmarkCategory("batch 25-1")]
    public void Reference_batch_25_1() => _neuronReference.ForwardBatch(_inputs, _outputs);

    [Benchmark(OperationsPerInvoke = BatchRows), BenchmarkCategory("batch 25-1")]
    public void Generated_batch_25_1() => _neuron.ForwardBatch(_inputs, _outputs);
}
