using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Xunit;

namespace GenBias.Generators.Tests;

/// <summary>
/// SetParameters on one thread while others compute: every result is entirely the old or entirely the new parameters',
/// or the call throws InvalidOperationException naming the race; never a silent mix.
/// </summary>
public partial class CompiledNetworkTests
{
    private static void RaceReadersAgainstSetParameters(ITernaryNetwork network, string what)
    {
        NetworkShape shape = network.Shape;
        var random = new Random(17);
        float[] a = [.. Enumerable.Range(0, shape.ParameterCount).Select(_ => (float)(random.NextDouble() - 0.5))];
        float[] b = [.. a.Select(p => -2 * p)];
        sbyte[][] inputs = [.. Enumerable.Range(0, 64).Select(t => RandomInput(random, shape.InputCount, t + 3))];
        float[][] outA = Outputs(shape, a, inputs), outB = Outputs(shape, b, inputs);
        network.SetParameters(a);

        int results = 0, detected = 0;
        var mixed = new ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        // Threads of their own (not the pool's, which other tests may hold), so that the readers run from the start.
        Task[] readers = [.. Enumerable.Range(0, 8).Select(thread => Task.Factory.StartNew(() =>
        {
            float[] output = new float[shape.OutputCount], batchOut = new float[2 * shape.OutputCount];
            float[] gradient = new float[shape.ParameterCount], outputGradient = new float[shape.OutputCount];
            sbyte[] pair = new sbyte[2 * shape.InputCount];
            for (int i = thread; !stop.IsCancellationRequested; i++)
            {
                int t = i % inputs.Length;
                try
                {
                    switch (i % 3)
                    {
                        case 0:
                            network.Forward(inputs[t], output);
                            break;
                        case 1:
                            inputs[t].CopyTo(pair, 0);
                            inputs[t].CopyTo(pair, shape.InputCount);
                            network.ForwardBatch(pair, batchOut);
                            Array.Copy(batchOut, output, shape.OutputCount);
                            break;
                        default:
                            network.Backward(inputs[t], outputGradient, gradient);
                            continue;
                    }

                    Interlocked.Increment(ref results);
                    if (!output.SequenceEqual(outA[t]) && !output.SequenceEqual(outB[t]))
                    {
                        mixed.Enqueue($"input {t}: {string.Join(", ", output)}");
                    }
                }
                catch (InvalidOperationException e)
                {
                    Assert.Contains("SetParameters replaced this network's parameters on another thread while this call was computing", e.Message, StringComparison.Ordinal);
                    Interlocked.Increment(ref detected);
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))];

        // Replace the parameters until the readers have run into it a few times (or five seconds have passed with at
        // least one race seen; on a machine so loaded that the threads have not overlapped yet, up to thirty).
        // After each replacement the writer waits (up to a millisecond) for a reader to finish a call, so that calls both
        // complete and overlap a replacement however loaded the machine is.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int round = 0; (Volatile.Read(ref detected) < 20 || Volatile.Read(ref results) < 20 || round < 2000) &&
                            clock.Elapsed < TimeSpan.FromSeconds(Volatile.Read(ref detected) > 0 && Volatile.Read(ref results) > 0 ? 2 : 30); round++)
        {
            network.SetParameters(round % 2 == 0 ? b : a);
            int seen = Volatile.Read(ref results) + Volatile.Read(ref detected);
            var pause = System.Diagnostics.Stopwatch.StartNew();
            while (Volatile.Read(ref results) + Volatile.Read(ref detected) == seen && pause.Elapsed < TimeSpan.FromMilliseconds(1))
            {
                Thread.SpinWait(20);
            }
        }

        stop.Cancel();
        Task.WaitAll(readers);
        Assert.True(mixed.IsEmpty, $"{what}: {mixed.Count} results mixed old and new parameters, e.g. {mixed.FirstOrDefault()}");
        Assert.True(detected > 0, $"{what}: no race was detected in {results} results (the readers and the writer never overlapped)");
        Assert.True(results > 0, $"{what}: no call completed");
    }

    private static float[][] Outputs(NetworkShape shape, float[] parameters, sbyte[][] inputs)
    {
        var reference = new ReferenceNetwork(shape, parameters);
        return [.. inputs.Select(input =>
        {
            float[] output = new float[shape.OutputCount];
            reference.Forward(input, output);
            return output;
        })];
    }

    [Theory]
    [InlineData("Net54_0")]  // 25 → 16 → 1: tables
    [InlineData("Net69_1")]  // 64 → 16 → 1: tables of 13 groups
    public void ConcurrentSetParameters_IsDetected_NeverMixed(string name)
    {
        RaceReadersAgainstSetParameters(Create(name, out _, seed: 3), name);
    }

    [Fact]
    public void ConcurrentSetParameters_IsDetected_NeverMixed_Reference()
    {
        RaceReadersAgainstSetParameters(new ReferenceNetwork(NetworkShape.Create(25, (16, Activation.Tanh), (1, Activation.Tanh))), "ReferenceNetwork");
    }

    [Fact]
    public void ConcurrentSetParameters_TwoWriters_TheSecondThrows()
    {
        int version = 0;
        ParameterVersion.BeginWrite(ref version);
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => ParameterVersion.BeginWrite(ref version));
        Assert.Contains("while another SetParameters was replacing this network's parameters", error.Message, StringComparison.Ordinal);
        ParameterVersion.EndWrite(ref version);
        Assert.Equal(2, version);
        int before = ParameterVersion.Read(ref version);
        ParameterVersion.Check(before, ref version);
        ParameterVersion.BeginWrite(ref version);
        Assert.Throws<InvalidOperationException>(() => ParameterVersion.Check(before, ref version));
    }
}
