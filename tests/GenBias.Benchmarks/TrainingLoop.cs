using System;
using System.Diagnostics;
using System.Linq;

namespace GenBias.Benchmarks;

/// <summary>
/// Training 25 → 16 → 1 on the side-by-side's 60,000 rows in a loop, for a profiler (perf with DOTNET_PerfMapEnabled=1):
/// dotnet run -c Release --project tests/GenBias.Benchmarks -- --training-loop [plain|cube][4] [seconds] [threads]
/// (a trailing 4: four epochs per call, so that the per-call setup and final evaluation weigh a quarter).
/// </summary>
internal static class TrainingLoop
{
    public static void Run(string kind, double seconds, int threads)
    {
        (TernaryDataset data, _, _) = TrainingData.Create();
        var network = new Hidden25x16x1();
        var options = new TrainerOptions { Epochs = 1, ValidationFraction = 0, Seed = 1, Threads = threads };
        if (kind.EndsWith('4'))
        {
            options = options with { Epochs = 4, Patience = 0 };
        }

        if (kind.StartsWith("cube", StringComparison.Ordinal))
        {
            options = options with { Preferences = [Preference.OutputAbove(0.5, 0.6)], FreeBaseline = false };
        }

        var clock = Stopwatch.StartNew();
        long rows = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            PreferenceTrainer.Train(network, data, options);
            rows += data.Count * options.Epochs;
        }

        Console.WriteLine($"{kind}, {threads} threads: {clock.Elapsed.TotalNanoseconds / rows:0.0} ns per row and epoch ({rows / data.Count} epochs)");
    }
}
