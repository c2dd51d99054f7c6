using System;
using System.Diagnostics;
using System.Linq;
using GenBias;
using SeedCompiled;

// The fixed-network compiler: the trained 25 → 16 → 1 network of the majority problem runs with no model file and no SetParameters.
//   dotnet run --project examples/SeedCompiled -c Release                      the network, its preference, an estimate
//   … -- --compare examples/SeedCompiled/models/seed-hidden-preferred.json     the same bits as the file loaded at run time
//   … -- --first-output [--from-file path]                                      one output, for timing a cold start
string? fromFile = args.SkipWhile(a => a != "--from-file").Skip(1).FirstOrDefault();
sbyte[] input = [.. Enumerable.Range(0, 25).Select(i => (sbyte)((i % 3) - 1))];
if (args.Contains("--first-output"))
{
    // A cold start: create the network (compiled in, or loaded from the file) and compute one output.
    ITernaryNetwork first = fromFile is null ? new SeedHidden() : Load(fromFile);
    float[] output = new float[1];
    first.Forward(input, output);
    Console.WriteLine(output[0].ToString("R"));
    return 0;
}

var clock = Stopwatch.StartNew();
var network = new SeedHidden();
double firstCreated = clock.Elapsed.TotalMicroseconds;
clock.Restart();
_ = new SeedHidden();
double created = clock.Elapsed.TotalMicroseconds;
Console.WriteLine($"{SeedHidden.Shape}, compiled in from {SeedHidden.ModelFileName} (parameters {CoverageCounter.NetworkHash(network)}), compute path {((ITernaryNetwork)network).ActivePath}");
Console.WriteLine($"  created with no file in {created:F1} µs (the first one, with the runtime's start-up work: {firstCreated:F0} µs)");
foreach (Preference preference in SeedHidden.Preferences)
{
    RateInterval rate = RateEstimator.Estimate(network, preference, samples: 200_000, confidence: 0.999, seed: 1);
    Console.WriteLine($"  preference {preference}: {rate}");
}

Console.WriteLine($"  output for the input (-1, 0, 1, -1, 0, 1, …): {network.Forward(input):R}");
string? compare = args.SkipWhile(a => a != "--compare").Skip(1).FirstOrDefault();
if (compare is not null)
{
    ITernaryNetwork loaded = Load(compare);
    var random = new Random(1);
    sbyte[] x = new sbyte[25];
    for (int trial = 0; trial < 100_000; trial++)
    {
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (sbyte)random.Next(-1, 2);
        }

        float a = network.Forward(x), b = ((SeedHiddenFromFile)loaded).Forward(x);
        if (BitConverter.SingleToInt32Bits(a) != BitConverter.SingleToInt32Bits(b))
        {
            Console.Error.WriteLine($"trial {trial}: compiled in {a:R}, loaded from {compare} {b:R}");
            return 1;
        }
    }

    Console.WriteLine($"  100,000 random inputs: the same bits as {compare} loaded at run time (parameters {CoverageCounter.NetworkHash(loaded)})");
}

return 0;

static ITernaryNetwork Load(string path)
{
    var network = new SeedHiddenFromFile();
    ModelFile.LoadInto(path, network);
    return network;
}
