using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using GenBias;

namespace SeedNeuron;

/// <summary>
/// The exact count of all 3^25 inputs of the trained 25 → 16 → 1 network (long: run it in the background).
/// Progress goes to the console; a checkpoint lets an interrupted run resume where it stopped.
/// </summary>
public static class FullCount
{
    /// <summary>The model file the count reads, in <paramref name="folder"/>.</summary>
    public static string ModelPath(string folder) => Path.Combine(folder, "seed-hidden-preferred.json");

    /// <summary>The checkpoint kept beside the model.</summary>
    public static string CheckpointPath(string folder) => ModelPath(folder) + ".count-checkpoint.json";

    /// <summary>
    /// Counts, writing progress and the certificate to <paramref name="output"/>; returns the exit code: 0 when the
    /// count finished, 1 when the model or the checkpoint cannot be used (the message says why and what to do), 130
    /// when cancelled (the checkpoint is saved and the message says how to resume).
    /// </summary>
    /// <param name="folder">Where the default run saved its models.</param>
    /// <param name="leaf">Sub-cubes of this many free inputs are enumerated (null: the library's default).</param>
    /// <param name="output">Where progress and messages go.</param>
    /// <param name="cancellationToken">Ctrl-C.</param>
    public static int Run(string folder, int? leaf, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        string modelPath = ModelPath(folder), checkpoint = CheckpointPath(folder);
        if (!File.Exists(modelPath))
        {
            output.WriteLine($"{modelPath} does not exist: run the example once without --full-count to train it.");
            return 1;
        }

        var network = new SeedHiddenNetwork();
        LoadedModel model;
        try
        {
            model = ModelFile.LoadInto(modelPath, network);
        }
        catch (InvalidDataException e)
        {
            output.WriteLine($"The model cannot be read: {e.Message} Run the example without --full-count to train it again.");
            return 1;
        }

        foreach (string stale in RemoveStaleTemporaryFiles(checkpoint))
        {
            output.WriteLine($"removed {stale}, a partial checkpoint left by an earlier run that was killed");
        }

        Preference preference = model.Preferences.FirstOrDefault() ?? Preference.OutputAbove(0.5, 0.6);
        var options = new CountOptions
        {
            CheckpointPath = checkpoint,
            CheckpointInterval = TimeSpan.FromSeconds(30),
            LeafFreeInputs = leaf ?? new CountOptions().LeafFreeInputs,
        };
        CountResult result;
        try
        {
            result = CoverageCounter.Count(network, preference, options, new ConsoleProgress(output), cancellationToken);
        }
        catch (OperationCanceledException)
        {
            output.WriteLine($"Stopped. The finished sub-cubes are saved in the checkpoint {checkpoint}; " +
                             "run the example with --full-count again to resume from it (delete the checkpoint to start over).");
            return 130;
        }
        catch (InvalidDataException e) when (File.Exists(checkpoint))
        {
            output.WriteLine($"The checkpoint cannot be used: {e.Message}" +
                             (e.Message.Contains("delete it", StringComparison.Ordinal) ? "" : $" Delete {checkpoint} to count from the start."));
            return 1;
        }

        Certificate certificate = Certificate.FromCount(network, preference, result);
        certificate.Save(Certificate.PathBeside(modelPath));
        output.WriteLine(certificate);
        output.WriteLine($"  decided by interval bounds without enumeration: {result.DecidedByBounds:P2} of the cube");
        output.WriteLine($"  this run: {result.Elapsed}; sub-cubes restored from the checkpoint are not included");
        return 0;
    }

    /// <summary>
    /// Deletes the temporary files of atomic writes of <paramref name="path"/> (".name.pid.guid.tmp") whose writing
    /// process is no longer running: a run killed while saving leaves one behind. Returns the names removed.
    /// </summary>
    public static string[] RemoveStaleTemporaryFiles(string path)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!, prefix = "." + Path.GetFileName(path) + ".";
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var removed = new System.Collections.Generic.List<string>();
        foreach (string file in Directory.EnumerateFiles(folder, prefix + "*.tmp"))
        {
            string[] parts = Path.GetFileName(file)[prefix.Length..].Split('.');
            if (parts.Length == 3 && int.TryParse(parts[0], out int pid) && IsRunning(pid))
            {
                continue; // another run is writing it right now
            }

            File.Delete(file);
            removed.Add(file);
        }

        return [.. removed];
    }

    private static bool IsRunning(int pid)
    {
        if (pid == Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private sealed class ConsoleProgress(TextWriter output) : IProgress<CountProgress>
    {
        private DateTime _last = DateTime.MinValue;

        public void Report(CountProgress value)
        {
            if (DateTime.UtcNow - _last < TimeSpan.FromSeconds(20) && value.SubCubesDone != value.SubCubesTotal)
            {
                return;
            }

            _last = DateTime.UtcNow;
            output.WriteLine($"{value.SubCubesDone}/{value.SubCubesTotal} sub-cubes, {value.Elapsed:hh\\:mm\\:ss} elapsed, {value.Remaining?.ToString(@"hh\:mm\:ss") ?? "?"} left");
        }
    }
}
