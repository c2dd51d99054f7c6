using System;
using System.IO;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace GenBias.Benchmarks;

/// <summary>
/// The fixed-network compiler: a model compiled in ([TernaryNetwork(Model = …)]) against the same model file loaded
/// at run time into a network declared with attributes, in one run: one input (span and packed) and a batch of 4,096
/// rows, for 25 → 16 → 1 and 25 → 1. Ratios are against the loaded model in the same category.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class CompiledInBenchmarks
{
    private const int Rows = 4096;
    private readonly CompiledInHidden _compiledHidden = new();
    private readonly CompiledInNeuron _compiledNeuron = new();
    private readonly Hidden25x16x1 _loadedHidden = new();
    private readonly Neuron25 _loadedNeuron = new();
    private sbyte[] _inputs = null!;
    private sbyte[] _one = null!;
    private ulong _positive, _negative;
    private float[] _outputs = null!;

    [GlobalSetup]
    public void Setup()
    {
        ModelFile.LoadInto(Path.Combine(AppContext.BaseDirectory, "models", "hidden-25-16-1.json"), _loadedHidden);
        ModelFile.LoadInto(Path.Combine(AppContext.BaseDirectory, "models", "neuron-25-1.json"), _loadedNeuron);
        if (!_loadedHidden.Parameters.SequenceEqual(_compiledHidden.Parameters) || !_loadedNeuron.Parameters.SequenceEqual(_compiledNeuron.Parameters))
        {
            throw new InvalidOperationException("The compiled-in models differ from the files: rebuild.");
        }

        _inputs = BenchmarkData.Inputs(Rows, 25, 3);
        _one = _inputs.AsSpan(0, 25).ToArray();
        (_positive, _negative) = TernaryInput.Pack(_one);
        _outputs = new float[Rows];
    }

    [Benchmark(Baseline = true), BenchmarkCategory("single 25-16-1")]
    public float Loaded_single_25_16_1() => _loadedHidden.Forward(_positive, _negative);

    [Benchmark, BenchmarkCategory("single 25-16-1")]
    public float CompiledIn_single_25_16_1() => _compiledHidden.Forward(_positive, _negative);

    [Benchmark(Baseline = true), BenchmarkCategory("single 25-1")]
    public float Loaded_single_25_1() => _loadedNeuron.Forward(_positive, _negative);

    [Benchmark, BenchmarkCategory("single 25-1")]
    public float CompiledIn_single_25_1() => _compiledNeuron.Forward(_positive, _negative);

    [Benchmark(Baseline = true, OperationsPerInvoke = Rows), BenchmarkCategory("batch 25-16-1")]
    public void Loaded_batch_25_16_1() => _loadedHidden.ForwardBatch(_inputs, _outputs);

    [Benchmark(OperationsPerInvoke = Rows), BenchmarkCategory("batch 25-16-1")]
    public void CompiledIn_batch_25_16_1() => _compiledHidden.ForwardBatch(_inputs, _outputs);

    [Benchmark(Baseline = true, OperationsPerInvoke = Rows), BenchmarkCategory("batch 25-1")]
    public void Loaded_batch_25_1() => _loadedNeuron.ForwardBatch(_inputs, _outputs);

    [Benchmark(OperationsPerInvoke = Rows), BenchmarkCategory("batch 25-1")]
    public void CompiledIn_batch_25_1() => _compiledNeuron.ForwardBatch(_inputs, _outputs);
}
