using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace GenBias.Tests.Coverage;

/// <summary>
/// A differential fuzzer of the exact counter: random and adversarial networks (saturated, tiny and huge weights, ties,
/// unbounded hidden activations), preferences with thresholds at activations the cube attains and one ulp either side,
/// and every counter option, each count against brute force over the whole cube through the reference network (whose
/// bits are those of the generated Forward). Cases are numbered from 1; each is reproducible from its number alone.
/// The run takes <c>GENBIAS_COUNTER_FUZZ_SECONDS</c> seconds (40 by default) and starts at case
/// <c>GENBIAS_COUNTER_FUZZ_FIRST</c> (1 by default), so a long run can continue where a short one stopped.
/// </summary>
public class CounterFuzzTests(ITestOutputHelper output)
{
    /// <summary>The cases run even when the time is up (a loaded machine runs fewer in the time).</summary>
    private const int MinimumCases = 10;

    [Fact]
    public void Exact_counts_equal_brute_force_on_random_and_adversarial_networks()
    {
        double seconds = double.Parse(Environment.GetEnvironmentVariable("GENBIAS_COUNTER_FUZZ_SECONDS") ?? "40", CultureInfo.InvariantCulture);
        int first = int.Parse(Environment.GetEnvironmentVariable("GENBIAS_COUNTER_FUZZ_FIRST") ?? "1", CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        var failures = new List<string>();
        int cases = 0, counts = 0;
        var kinds = new Dictionary<string, int>();
        (int Seed, TimeSpan Time) slowest = (0, TimeSpan.Zero);
        // At least MinimumCases cases however slow the machine, then as many as the time allows.
        for (int seed = first; (cases < MinimumCases || clock.Elapsed.TotalSeconds < seconds) && failures.Count < 5; seed++)
        {
            var caseClock = Stopwatch.StartNew();
            FuzzCase fuzz = FuzzCase.Create(seed);
            cases++;
            kinds[fuzz.Kind] = kinds.GetValueOrDefault(fuzz.Kind) + 1;
            counts += fuzz.Check(failures);
            if (caseClock.Elapsed > slowest.Time)
            {
                slowest = (seed, caseClock.Elapsed);
            }
        }

        output.WriteLine($"slowest: case {slowest.Seed}, {slowest.Time.TotalSeconds:F1} s");
        FuzzCase.Slow.ForEach(output.WriteLine);

        output.WriteLine($"{cases} networks (cases {first}–{first + cases - 1}), {counts} counts compared with brute force in {clock.Elapsed.TotalSeconds:F0} s");
        output.WriteLine(string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key}: {k.Value}")));
        Assert.True(failures.Count == 0, string.Join("\n\n", failures));
    }

    [Fact]
    public void The_fuzzer_finds_a_miscount()
    {
        // The oracle's side of the fuzzer must be able to fail: a count off by one is reported with its reproduction.
        FuzzCase fuzz = FuzzCase.Create(3);
        var failures = new List<string>();
        fuzz.Check(failures, skew: 1);
        Assert.NotEmpty(failures);
        Assert.Contains("case 3", failures[0], StringComparison.Ordinal);
    }

    private sealed class FuzzCase
    {
        private static readonly Activation[] Activations = Enum.GetValues<Activation>();

        private FuzzCase(int seed, string kind, ReferenceNetwork network, DeterministicRandom random)
        {
            Seed = seed;
            Kind = kind;
            Network = network;
            Random = random;
        }

        public int Seed { get; }

        public static List<string> Slow { get; } = [];

        public string Kind { get; }

        public ReferenceNetwork Network { get; }

        private DeterministicRandom Random { get; }

        public static FuzzCase Create(int seed)
        {
            var random = new DeterministicRandom((ulong)seed * 0x9E3779B97F4A7C15UL);
            int n = 3 + random.Next(random.Next(4) == 0 ? 9 : 8);     // 3–10 inputs, now and then 11
            int depth = 1 + random.Next(3);
            var layers = new List<(int, Activation)>();
            for (int l = 0; l < depth; l++)
            {
                int width = l == depth - 1 && random.Next(2) == 0 ? 1 : 1 + random.Next(random.Next(3) == 0 ? 33 : 12);
                layers.Add((width, Activations[random.Next(Activations.Length)]));
            }

            NetworkShape shape = NetworkShape.Create(n, [.. layers]);
            string[] kinds = ["plain", "saturated", "ties", "tiny", "huge", "mixed"];
            string kind = kinds[random.Next(kinds.Length)];
            float[] parameters = new float[shape.ParameterCount];
            foreach (LayerShape layer in shape.Layers)
            {
                for (int p = layer.WeightOffset; p < layer.BiasOffset + layer.Width; p++)
                {
                    parameters[p] = Value(random, kind, layer, p >= layer.BiasOffset);
                }
            }

            FixedPointGrid.SnapFirstLayer(shape, parameters);
            // Huge weights go up to what SetParameters accepts (every pre-activation provably below 2^126): a layer
            // beyond it is scaled down by 1,000 at a time, so that many networks sit near the limit.
            for (int l = shape.Layers.Length - 1; !Computable(shape, parameters); l = l == 1 ? shape.Layers.Length - 1 : l - 1)
            {
                LayerShape layer = shape.Layers[l];
                for (int p = layer.WeightOffset; p < layer.BiasOffset + layer.Width; p++)
                {
                    parameters[p] *= 1e-3f;
                }
            }

            return new FuzzCase(seed, kind, new ReferenceNetwork(shape, parameters), random);
        }

        private static bool Computable(NetworkShape shape, float[] parameters)
        {
            try
            {
                ParameterPacking.CheckComputable(shape, parameters, nameof(parameters));
                return true;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        private static float Value(DeterministicRandom random, string kind, LayerShape layer, bool bias)
        {
            double uniform = (random.NextDouble() * 2) - 1, limit = 2.0 / Math.Sqrt(layer.InputCount);
            if (layer.Index == 0)
            {
                // The first layer stays on the grid (Σ|w| + |b| < 256); saturated neurons sit far from 0.
                return kind switch
                {
                    "saturated" => (float)(uniform * (bias ? 40 : 200.0 / layer.InputCount)),
                    "ties" => (random.Next(9) - 4) * 0.25f,
                    "tiny" => (float)(uniform * 1e-3),
                    _ => (float)(uniform * limit * 2),
                };
            }

            return kind switch
            {
                "ties" => (random.Next(5) - 2) * 0.5f,
                "tiny" => (float)(uniform * 1e-30),
                "huge" => (float)(uniform * Math.Pow(10, 15 + (random.NextDouble() * 22))),
                "mixed" => random.Next(4) switch
                {
                    0 => 0f,
                    1 => (float)(uniform * 1e-20),
                    2 => (float)(uniform * Math.Pow(10, random.NextDouble() * 36)),
                    _ => (float)(uniform * limit),
                },
                "saturated" => (float)(uniform * limit * 20),
                _ => (float)(uniform * limit),
            };
        }

        /// <summary>Counts several preferences with several option sets against brute force; returns the counts compared.</summary>
        public int Check(List<string> failures, long skew = 0)
        {
            NetworkShape shape = Network.Shape;
            int n = shape.InputCount;
            long cube = ExactCountTests.CubeSize(n);
            float[] all = new float[cube * shape.ActivationCount];
            sbyte[] input = new sbyte[n];
            for (long index = 0; index < cube; index++)
            {
                long rest = index;
                for (int i = 0; i < n; i++, rest /= 3)
                {
                    input[i] = (sbyte)((rest % 3) - 1);
                }

                Network.ForwardActivations(input, all.AsSpan((int)(index * shape.ActivationCount), shape.ActivationCount));
            }

            bool finite = Array.TrueForAll(all, float.IsFinite);
            int compared = 0;
            for (int p = 0; p < 4; p++)
            {
                Preference preference = Preferences(all, cube);
                LayerShape layer = shape.Layers[preference.ResolveLayer(shape)];
                long expected = 0;
                for (long index = 0; index < cube; index++)
                {
                    for (int k = preference.Neuron ?? 0; k < (preference.Neuron is int single ? single + 1 : layer.Width); k++)
                    {
                        expected += preference.Interval.Contains(all[(index * shape.ActivationCount) + layer.ActivationOffset + k]) ? 1 : 0;
                    }
                }

                for (int o = 0; o < 3; o++)
                {
                    CountOptions options = Options(n);
                    string label = $"case {Seed} ({Kind}{(finite ? "" : ", non-finite activations")}): {shape}, {Describe(preference)}, {options}";
                    try
                    {
                        var countClock = Stopwatch.StartNew();
                        long counted = CoverageCounter.Count(Network, preference, options).Count + skew;
                        compared++;
                        if (countClock.Elapsed > TimeSpan.FromSeconds(5))
                        {
                            Slow.Add($"{label}: {countClock.Elapsed.TotalSeconds:F1} s");
                        }

                        if (counted != expected)
                        {
                            failures.Add($"{label}: brute force {expected}, counted {counted}" + (failures.Count == 0 ? $"\nparameters {Bits(Network.Parameters)}" : ""));
                            return compared;
                        }
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        failures.Add($"{label}: {e.GetType().Name}: {e.Message}" + (failures.Count == 0 ? $"\nparameters {Bits(Network.Parameters)}" : ""));
                        return compared;
                    }
                }

                if (p == 0 && Random.Next(4) == 0)
                {
                    // The certifier never throws for a valid preference, and is exact here (a small cube).
                    Certificate certificate = Certifier.Certify(Network, preference);
                    if (!certificate.Exact || certificate.Count != expected)
                    {
                        failures.Add($"case {Seed}: the certificate {certificate} against brute force {expected}");
                    }
                }
            }

            return compared;
        }

        private Preference Preferences(float[] all, long cube)
        {
            NetworkShape shape = Network.Shape;
            int layerIndex = Random.Next(shape.Layers.Length);
            LayerShape layer = shape.Layers[layerIndex];
            int? neuron = Random.Next(4) == 0 ? null : Random.Next(layer.Width);
            // A threshold at an activation some input attains, that value one ulp either side, or the middle of the range.
            float Attained()
            {
                long index = (long)(Random.NextDouble() * cube);
                float value = all[(index * shape.ActivationCount) + layer.ActivationOffset + (neuron ?? Random.Next(layer.Width))];
                return Random.Next(3) switch
                {
                    0 => MathF.BitDecrement(value),
                    1 => MathF.BitIncrement(value),
                    _ => value,
                };
            }

            float a = Attained(), b = Attained();
            bool lowerInclusive = Random.Next(2) == 0, upperInclusive = Random.Next(2) == 0;
            ActivationInterval interval = Random.Next(4) switch
            {
                0 => new ActivationInterval(a, double.PositiveInfinity, LowerInclusive: lowerInclusive),
                1 => new ActivationInterval(double.NegativeInfinity, a, UpperInclusive: upperInclusive),
                2 => new ActivationInterval(Math.Min(a, b), Math.Max(a, b), lowerInclusive, upperInclusive),
                _ => ActivationInterval.Above(layer.Activation is Activation.Sigmoid ? 0.5 : 0),
            };
            if (interval.IsEmpty || !interval.Overlaps(layer.Activation))
            {
                interval = ActivationInterval.Above(layer.Activation is Activation.Sigmoid ? 0.5 : 0);
            }

            return new Preference { Layer = layerIndex, Neuron = neuron, Interval = interval, Target = 0.5 };
        }

        private CountOptions Options(int n) => new()
        {
            Prune = Random.Next(4) != 0,
            LinearBounds = Random.Next(3) != 0,
            BoundedFirstPass = Random.Next(4) != 0,
            AllowMeetInTheMiddle = Random.Next(4) != 0,
            SplitDepth = Random.Next(Math.Min(4, n)),
            LeafFreeInputs = Random.Next(n + 1),
            MaxParallelism = 1 + Random.Next(2),
        };

        private static string Describe(Preference preference) => string.Create(CultureInfo.InvariantCulture,
            $"{preference} (bounds {BitConverter.SingleToInt32Bits((float)preference.Interval.Lower):X8}/{BitConverter.SingleToInt32Bits((float)preference.Interval.Upper):X8})");

        private static string Bits(ReadOnlySpan<float> values)
        {
            var text = new System.Text.StringBuilder();
            foreach (float v in values)
            {
                text.Append(text.Length == 0 ? "" : ",").Append(BitConverter.SingleToInt32Bits(v).ToString("X8", CultureInfo.InvariantCulture));
            }

            return text.ToString();
        }
    }
}
