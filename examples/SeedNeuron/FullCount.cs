using System;
using System.IO;
using System.Linq;
using System.Threading;
using GenBias;

namespace SeedNeuron;

/// <summary>
/// The exact count of all 3^25 inputs of the trained 25 → 16 → 1 network (long: run it in the background).
/// Progress goes to the console; a checkpoint lets an interrupted run resume where it stopped.
/// </summary>
internal static class FullCount
{
    public static void Run(string[] args)
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "models");
        string modelPath = Path.Combine(folder, "seed-hidden-preferred.json");
        if (!File.Exists(modelPath))
        {
            Console.Error.WriteLine($"{modelPath} does not exist: run the example once without --full-count to train it.");
            Environment.ExitCode = 1;
            return;
        }

        var network = new SeedHiddenNetwork();
        LoadedModel model = ModelFile.LoadInto(modelPath, network);
        Preference preference = model.Preferences.FirstOrDefault() ?? Preference.OutputAbove(0.5, 0.6);
        // --leaf N: sub-cubes of N free inputs are enumerated; larger ones are first tested by bounds (default: the library's).
        int leaf = args.SkipWhile(a => a != "--leaf").Skip(1).Select(int.Parse).FirstOrDefault(new CountOptions().LeafFreeInputs);
        var options = new CountOptions
        {
            CheckpointPath = modelPath + ".count-checkpoint.json",
            CheckpointInterval = TimeSpan.FromSeconds(30),
            LeafFreeInputs = leaf,
        };
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var progress = new ConsoleProgress();
        CountResult result = CoverageCounter.Count(network, preference, options, progress, cancel.Token);
        Certificate certificate = Certificate.FromCount(network, preference, result);
        certificate.Save(Certificate.PathBeside(modelPath));
        Console.WriteLine(certificate);
        Console.WriteLine($"  decided by interval bounds without enumeration: {result.DecidedByBounds:P2} of the cube");
        Console.WriteLine($"  this run: {result.Elapsed}; sub-cubes restored from the checkpoint are not included");
    }

    private sealed class ConsoleProgress : IProgress<CountProgress>
    {
        private DateTime _last = DateTime.MinValue;

        public void Report(CountProgress value)
        {
            if (DateTime.UtcNow - _last < TimeSpan.FromSeconds(20) && value.SubCubesDone != value.SubCubesTotal)
            {
                return;
            }

            _last = DateTime.UtcNow;
            Console.WriteLine($"{value.SubCubesDone}/{value.SubCubesTotal} sub-cubes, {value.Elapsed:hh\\:mm\\:ss} elapsed, {value.Remaining?.ToString(@"hh\:mm\:ss") ?? "?"} left");
        }
    }
}
