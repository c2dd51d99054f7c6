using System;
using System.Threading;
using BenchmarkDotNet.Attributes;

namespace GenBias.Benchmarks;

/// <summary>
/// Meet in the middle over all 3^n inputs of one tanh neuron (n = 20, 25, 30); the time of one count is the mean.
/// </summary>
public class MeetInTheMiddleBenchmarks
{
    private ReferenceNetwork _network = null!;

    [Params(20, 25, 30)]
    public int Inputs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        NetworkShape shape = NetworkShape.Create(Inputs, (1, Activation.Tanh));
        _network = new ReferenceNetwork(shape, BenchmarkData.Parameters(shape, 1));
    }

    [Benchmark]
    public long Count() => CoverageCounter.Count(_network, Preference.OutputAbove(0.5, 0.5)).Count;
}

/// <summary>
/// Exact enumeration of 25 → 16 → 1 over one sub-cube of 3^16 inputs (the other 9 fixed), single-threaded and
/// without pruning, against a plain loop calling the generated Forward on each input of the same sub-cube.
/// Per-input time = mean / 3^16; the full 3^25 count is 3^9 such sub-cubes.
/// </summary>
public class EnumerationBenchmarks
{
    private const int Free = 16;
    private readonly Hidden25x16x1 _network = new();
    private readonly Preference _preference = Preference.OutputAbove(0.5, 0.5);
    private sbyte[] _input = null!;

    [GlobalSetup]
    public void Setup()
    {
        _network.SetParameters(BenchmarkData.Parameters(Hidden25x16x1.Shape, 2));
        _input = new sbyte[25];
    }

    [Benchmark(Baseline = true)]
    public long Forward_loop()
    {
        // Visit the 3^16 inputs of the sub-cube in counting order (inputs 0..15 free, the rest 0).
        Array.Clear(_input);
        for (int i = 0; i < Free; i++)
        {
            _input[i] = -1;
        }

        long count = 0, size = 43_046_721;
        for (long s = 0; s < size; s++)
        {
            count += _network.Forward(_input) > 0.5f ? 1 : 0;
            for (int i = 0; i < Free; i++)
            {
                if (_input[i] < 1)
                {
                    _input[i]++;
                    break;
                }

                _input[i] = -1;
            }
        }

        return count;
    }

    [Benchmark]
    public double Enumeration_seconds_per_input() => CoverageCounter.MeasureSecondsPerInput(_network, _preference, Free);
}
