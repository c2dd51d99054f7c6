using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using GenBias.Tests.Coverage;
using GenBias.Tests.Training;
using Xunit;

namespace GenBias.Tests;

/// <summary>
/// Seeded fuzzing of everything a user hands the library: files (model, certificate, checkpoint, CSV, ARFF) with
/// bytes flipped, cut, inserted and numbers made huge, and random spans into every public entry point of a network.
/// Only the documented exceptions may come out, never a half-loaded object, never a hang. A failure names its seed and
/// iteration, so it reproduces; GENBIAS_FUZZ_ITERATIONS runs more (the default keeps each test under a minute).
/// </summary>
public sealed class FuzzTests : IDisposable
{
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("GENBIAS_FUZZ_ITERATIONS"), out int n) && n > 0 ? n : 300;
    private readonly string _folder = Directory.CreateTempSubdirectory("genbias-fuzz").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>One random damage: a byte changed, the file cut, bytes inserted or removed, a number made huge.</summary>
    private static byte[] Mutate(byte[] data, Random random)
    {
        var bytes = new List<byte>(data);
        int kind = random.Next(7);
        int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
        switch (kind)
        {
            case 0:
                if (bytes.Count > 0)
                {
                    bytes[at] = (byte)random.Next(256);
                }

                break;
            case 1:
                bytes.RemoveRange(at, bytes.Count - at);
                break;
            case 2:
                bytes.InsertRange(at, Enumerable.Range(0, random.Next(1, 9)).Select(_ => (byte)random.Next(256)));
                break;
            case 3:
                bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 16)));
                break;
            case 4:
                bytes.InsertRange(at, Encoding.UTF8.GetBytes(new[] { "1e999", "-1e400", "99999999999999999999", "NaN", "\"\"", "null", "-0", "[]", "{}" }[random.Next(9)]));
                break;
            case 5:
                // A digit becomes another digit: the file stays well-formed but says something else.
                int digit = bytes.FindIndex(at, b => b is >= (byte)'0' and <= (byte)'9');
                if (digit >= 0)
                {
                    bytes[digit] = (byte)('0' + random.Next(10));
                }

                break;
            default:
                bytes.InsertRange(at, bytes.GetRange(at, Math.Min(bytes.Count - at, random.Next(1, 40))));
                break;
        }

        return [.. bytes];
    }

    /// <summary>Runs <paramref name="load"/> on <paramref name="iterations"/> damaged copies; only the allowed exceptions may escape.</summary>
    private void Fuzz(string name, byte[] valid, int seed, Action<string> load, params Type[] allowed)
    {
        string path = Path.Combine(_folder, name);
        var random = new Random(seed);
        for (int i = 0; i < Iterations; i++)
        {
            byte[] damaged = Mutate(valid, random);
            if (random.Next(4) == 0)
            {
                damaged = Mutate(damaged, random);
            }

            File.WriteAllBytes(path, damaged);
            Task run = Task.Run(() => load(path));
            Exception? error = null;
            try
            {
                Assert.True(run.Wait(TimeSpan.FromSeconds(20)), $"{name}, seed {seed}, iteration {i}: no answer within 20 s");
            }
            catch (AggregateException e)
            {
                error = e.InnerException;
            }

            if (error != null && !allowed.Any(t => t.IsInstanceOfType(error)))
            {
                Assert.Fail($"{name}, seed {seed}, iteration {i}: {error.GetType().Name}: {error.Message}\n{error.StackTrace}");
            }
        }
    }

    [Fact]
    public void Model_files_either_load_whole_or_say_why()
    {
        var network = new SeedHidden();
        network.SetParameters([.. Enumerable.Range(0, SeedHidden.ParameterCount).Select(i => (i % 7) * 0.0625f)]);
        string path = Path.Combine(_folder, "valid.json");
        ModelFile.Save(path, network, [Preference.OutputAbove(0.5, 0.6)]);
        Fuzz("model.json", File.ReadAllBytes(path), 1, p =>
        {
            LoadedModel model = ModelFile.Load(p);
            Assert.Equal(model.Shape.ParameterCount, model.Parameters.Length);
            Assert.All(model.Parameters, v => Assert.True(float.IsFinite(v)));
        }, typeof(InvalidDataException));
    }

    [Fact]
    public void Certificates_either_load_consistent_or_say_why()
    {
        var certificate = new Certificate
        {
            NetworkHash = "0123456789abcdef", Shape = "25 → Dense(1, Tanh)", Preference = "output > 0.5 on at least 60.0 % of the cube",
            Exact = true, Method = CountMethod.MeetInTheMiddle, Count = 520354869890, Total = 847288609443, Lower = 0.614141, Upper = 0.614141, Met = true, Seconds = 0.02,
        };
        string path = Path.Combine(_folder, "valid.certificate.json");
        certificate.Save(path);
        Fuzz("certificate.json", File.ReadAllBytes(path), 2, p =>
        {
            Certificate loaded = Certificate.Load(p);
            Assert.InRange(loaded.Count, 0, loaded.Total);
        }, typeof(InvalidDataException));
    }

    [Fact]
    public void A_certificate_of_another_network_is_refused()
    {
        var network = new SeedNeuron();
        network.SetParameters(new float[SeedNeuron.ParameterCount]);
        Certificate certificate = Certifier.Certify(network, Preference.OutputAbove(0.5, 0.5));
        string path = Path.Combine(_folder, "neuron.certificate.json");
        certificate.Save(path);
        Assert.Equal(certificate, Certificate.LoadFor(path, network));
        Assert.Contains("25 → Dense(1, Tanh)", System.IO.File.ReadAllText(path));   // written as itself, not \u2192

        float[] other = new float[SeedNeuron.ParameterCount];
        other[3] = 0.5f;
        network.SetParameters(other);
        var e = Assert.Throws<InvalidDataException>(() => Certificate.LoadFor(path, network));
        Assert.Contains("not this one", e.Message);
    }

    [Fact]
    public void Checkpoints_either_resume_to_the_same_count_or_are_refused()
    {
        Hidden10x6x1 network = ExactCountTests.Network<Hidden10x6x1>(1);
        Preference preference = Preference.OutputAbove(0.2, 0.5);
        string path = Path.Combine(_folder, "count.checkpoint.json");
        var options = new CountOptions { CheckpointPath = path, SplitDepth = 3, LeafFreeInputs = 5, MaxParallelism = 1 };
        long exact = CoverageCounter.Count(network, preference, options with { CheckpointPath = null }).Count;
        Assert.Equal(exact, CoverageCounter.Count(network, preference, options).Count);
        byte[] valid = File.ReadAllBytes(path);
        Fuzz("count.checkpoint.json", valid, 3, p =>
        {
            long count = CoverageCounter.Count(network, preference, options with { CheckpointPath = p }).Count;
            Assert.Equal(exact, count);
        }, typeof(InvalidDataException));
    }

    [Fact]
    public void A_count_killed_while_writing_its_checkpoint_resumes_from_the_last_whole_one()
    {
        Hidden10x6x1 network = ExactCountTests.Network<Hidden10x6x1>(2);
        Preference preference = Preference.OutputAbove(0.1, 0.5);
        string path = Path.Combine(_folder, "killed.checkpoint.json");
        var options = new CountOptions { CheckpointPath = path, SplitDepth = 3, LeafFreeInputs = 5, MaxParallelism = 1 };
        long exact = CoverageCounter.Count(network, preference, options).Count;
        // A write interrupted by a kill leaves only a half temporary file beside the checkpoint (AtomicFile renames
        // a complete file over the old one), so the old checkpoint is whole.
        byte[] whole = File.ReadAllBytes(path);
        File.WriteAllBytes(Path.Combine(_folder, $".killed.checkpoint.json.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp"), whole.AsSpan(0, whole.Length / 2).ToArray());
        Assert.Equal(exact, CoverageCounter.Count(network, preference, options).Count);
    }

    [Fact]
    public void Csv_and_arff_either_load_whole_or_name_the_line()
    {
        var random = new Random(4);
        var csv = new StringBuilder("a,b,c,label\n");
        for (int r = 0; r < 40; r++)
        {
            csv.Append(string.Join(",", Enumerable.Range(0, 3).Select(_ => random.Next(-1, 2)))).Append(',').Append(random.Next(2) == 0 ? "yes" : "no").Append('\n');
        }

        var csvOptions = new TextDataOptions { HasHeader = true, PositiveLabel = "yes", NegativeLabel = "no" };
        Fuzz("data.csv", Encoding.UTF8.GetBytes(csv.ToString()), 5, p =>
        {
            TernaryDataset data = TernaryDataset.FromCsv(p, csvOptions);
            Assert.Equal(data.Count * data.InputCount, data.Inputs.Length);
        }, typeof(InvalidDataException));

        byte[] arff = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "vote.arff"));
        var votes = new Dictionary<string, sbyte> { ["y"] = 1, ["n"] = -1, ["?"] = 0 };
        Fuzz("vote.arff", arff, 6, p =>
        {
            TernaryDataset data = TernaryDataset.FromArff(p, new TextDataOptions { InputTokens = votes, PositiveLabel = "republican" });
            Assert.Equal(data.Count * data.InputCount, data.Inputs.Length);
        }, typeof(InvalidDataException));
    }

    [Fact]
    public void Random_spans_into_every_entry_point_raise_only_documented_exceptions()
    {
        var random = new Random(7);
        ITernaryNetwork[] networks = [new Seed25x16x1(), new Wide70()];
        foreach (ITernaryNetwork network in networks)
        {
            network.SetParameters([.. Enumerable.Range(0, network.Shape.ParameterCount).Select(_ => (float)(random.NextDouble() - 0.5))]);
            var reference = new ReferenceNetwork(network.Shape, network.Parameters);
            int n = network.Shape.InputCount;
            for (int i = 0; i < Iterations * 10; i++)
            {
                sbyte[] input = [.. Enumerable.Range(0, random.Next(3) == 0 ? random.Next(0, 3 * n) : n)
                    .Select(_ => random.Next(12) == 0 ? (sbyte)random.Next(-128, 128) : (sbyte)random.Next(-1, 2))];
                float[] output = new float[random.Next(4) == 0 ? random.Next(0, 4) : network.Shape.OutputCount];
                int entry = random.Next(7);
                try
                {
                    switch (entry)
                    {
                        case 0:
                            network.Forward(input, output);
                            float[] expected = new float[output.Length];
                            reference.Forward(input, expected);
                            Assert.Equal(expected, output);
                            break;
                        case 1:
                            network.ForwardBatch(input, new float[random.Next(0, 8)]);
                            break;
                        case 2:
                            network.ForwardActivations(input, new float[random.Next(4) == 0 ? random.Next(0, 40) : network.Shape.ActivationCount]);
                            break;
                        case 3:
                            network.Backward(input, output, new float[random.Next(4) == 0 ? random.Next(0, 600) : network.Shape.ParameterCount]);
                            break;
                        case 4:
                            network.Forward((ulong)random.NextInt64() & (ulong)random.NextInt64(), (ulong)random.NextInt64() & (ulong)random.NextInt64(), output);
                            break;
                        case 5:
                            network.ForwardBatch([.. Enumerable.Range(0, random.Next(0, 9)).Select(_ => (ulong)random.NextInt64() & (ulong)random.NextInt64() & (ulong)random.NextInt64())], new float[random.Next(0, 5)]);
                            break;
                        default:
                            float[] parameters = [.. Enumerable.Range(0, random.Next(4) == 0 ? random.Next(0, 600) : network.Shape.ParameterCount).Select(_ => (float)random.NextDouble())];
                            if (parameters.Length > 0 && random.Next(3) == 0)
                            {
                                parameters[random.Next(parameters.Length)] = new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity }[random.Next(3)];
                            }

                            network.SetParameters(parameters);
                            reference.SetParameters(parameters);
                            break;
                    }
                }
                catch (ArgumentException)
                {
                }
                catch (InvalidOperationException) when (n > 64 && entry == 4)
                {
                    // One packed input (two masks) holds at most 64 inputs (documented); packed batches take any width.
                }
            }
        }
    }
}
