using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace GenBias.Benchmarks;

/// <summary>
/// One training step on a batch of 64 inputs for 25 → 16 → 1 (forward, backward and an Adam update), generated
/// code against the reference implementation, in one run; per-input time is the reported mean (OperationsPerInvoke).
/// Also the whole trainer (one epoch of 4,096 rows, no preference), which adds shuffling and its bookkeeping.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class TrainingBenchmarks
{
    private const int Batch = 64;
    private const int Rows = 4096;

    private readonly Hidden25x16x1 _generated = new();
    private ReferenceNetwork _reference = null!;
    private sbyte[] _inputs = null!;
    private float[] _parameters = null!;
    private float[] _gradient = null!;
    private float[] _m = null!;
    private float[] _v = null!;
    private TernaryDataset _data = null!;

    [GlobalSetup]
    public void Setup()
    {
        _parameters = BenchmarkData.Parameters(Hidden25x16x1.Shape, 4);
        _generated.SetParameters(_parameters);
        _reference = new ReferenceNetwork(Hidden25x16x1.Shape, _parameters);
        _inputs = BenchmarkData.Inputs(Rows, 25, 5);
        _gradient = new float[_parameters.Length];
        _m = new float[_parameters.Length];
        _v = new float[_parameters.Length];
        var rows = new sbyte[Rows][];
        var labels = new int[Rows];
        for (int r = 0; r < Rows; r++)
        {
            rows[r] = _inputs.AsSpan(r * 25, 25).ToArray();
            labels[r] = rows[r][0] + rows[r][1] > 0 ? 1 : 0;
        }

        _data = TernaryDataset.FromArrays(rows, labels);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch), BenchmarkCategory("step, batch 64")]
    public void Reference_step() => Step(_reference);

    [Benchmark(OperationsPerInvoke = Batch), BenchmarkCategory("step, batch 64")]
    public void Generated_step() => Step(_generated);

    [Benchmark(Baseline = true, OperationsPerInvoke = Rows), BenchmarkCategory("trainer epoch")]
    public TrainingReport Reference_trainer_epoch() => PreferenceTrainer.Train(_reference, _data, EpochOptions);

    [Benchmark(OperationsPerInvoke = Rows), BenchmarkCategory("trainer epoch")]
    public TrainingReport Generated_trainer_epoch() => PreferenceTrainer.Train(_generated, _data, EpochOptions);

    private static TrainerOptions EpochOptions => new() { Epochs = 1, ValidationFraction = 0, Seed = 1 };

    private void Step(ITernaryNetwork network)
    {
        Array.Clear(_gradient);
        Span<float> output = stackalloc float[1];
        Span<float> dy = stackalloc float[1];
        for (int r = 0; r < Batch; r++)
        {
            ReadOnlySpan<sbyte> input = _inputs.AsSpan(r * 25, 25);
            network.Forward(input, output);
            dy[0] = (output[0] - (input[0] > 0 ? 1f : -1f)) / Batch;
            network.Backward(input, dy, _gradient);
        }

        for (int p = 0; p < _parameters.Length; p++)
        {
            _m[p] = (0.9f * _m[p]) + (0.1f * _gradient[p]);
            _v[p] = (0.999f * _v[p]) + (0.001f * _gradient[p] * _gradient[p]);
            _parameters[p] -= 1e-4f * _m[p] / (MathF.Sqrt(_v[p]) + 1e-8f);
        }

        FixedPointGrid.SnapFirstLayer(Hidden25x16x1.Shape, _parameters);
        network.SetParameters(_parameters);
    }
}
