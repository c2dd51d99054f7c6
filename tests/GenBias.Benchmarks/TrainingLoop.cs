using System;
using System.Diagnostics;
using System.Linq;
using System.Runtime.InteropServices;

namespace GenBias.Benchmarks;

/// <summary>
/// Training 25 → 16 → 1 on the side-by-side's 60,000 rows in a loop, for a profiler (perf with DOTNET_PerfMapEnabled=1):
/// dotnet run -c Release --project tests/GenBias.Benchmarks -- --training-loop [plain|cube][4]|dense [seconds] [threads]
/// (a trailing 4: four epochs per call, so that the per-call setup and final evaluation weigh a quarter; dense: the
/// dense baseline's epochs). Built with -p:TrainingProfile=true, GenBias times the trainer's phases and this prints them;
/// built with -p:TrainingStepTimes=true, it times every step and its jobs on the threads and this prints their medians
/// (a step's time uninterrupted by other processes, on one thread or on several).
/// </summary>
internal static class TrainingLoop
{
    public static void Run(string kind, double seconds, int threads)
    {
        (TernaryDataset data, float[] floats, byte[] labels) = TrainingData.Create();
        if (kind == "dense")
        {
            // The dense baseline's epoch, for its processor time beside the trainer's.
            var baseline = new DenseBaseline(TrainingData.Inputs, 16, 1);
            baseline.Epoch(floats, labels, 64);
            Measure(kind, seconds, threads, data.Count, () => baseline.Epoch(floats, labels, 64), null);
            return;
        }

        // GENBIAS_NEVER_ALONE=1: every job of the trainer's threads on the workers (never the caller alone), to time a
        // step on several threads on a machine whose load would otherwise make the trainer run alone.
        if (Environment.GetEnvironmentVariable("GENBIAS_NEVER_ALONE") == "1")
        {
            typeof(PreferenceTrainer).Assembly.GetType("GenBias.TrainingWorkers")?.GetField("NeverAlone", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)?.SetValue(null, true);
        }

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

        // The trainer's phases where GenBias is built with -p:TrainingProfile=true (after one run, for the JIT).
        PreferenceTrainer.Train(network, data, options);
        Type? profile = typeof(PreferenceTrainer).Assembly.GetType("GenBias.TrainingProfile");
        profile?.GetMethod("Reset")?.Invoke(null, null);
        Measure(kind, seconds, threads, data.Count * options.Epochs, () => PreferenceTrainer.Train(network, data, options), profile);
    }

    /// <summary>
    /// Runs <paramref name="work"/> for <paramref name="seconds"/>; prints wall time and processor time per row (the
    /// latter counts only while the process runs: steadier than wall time on a loaded machine, for one thread).
    /// </summary>
    private static void Measure(string kind, double seconds, int threads, long rowsPerCall, Action work, Type? profile)
    {
        var process = Process.GetCurrentProcess();
        TimeSpan cpu = process.TotalProcessorTime;
        double thread = ThreadTime();
        var clock = Stopwatch.StartNew();
        long rows = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            work();
            rows += rowsPerCall;
        }

        double threadNs = ThreadTime() - thread;
        process.Refresh();
        double cpuNs = (process.TotalProcessorTime - cpu).TotalNanoseconds;
        Console.Write(profile?.GetMethod("Report")?.Invoke(null, [rows]));
        Console.Write(profile?.GetMethod("StepReport")?.Invoke(null, null));
        Console.WriteLine($"{kind}, {threads} threads: {clock.Elapsed.TotalNanoseconds / rows:0.0} ns per row and epoch, {cpuNs / rows:0.0} ns of processor time, {threadNs / rows:0.0} ns on the calling thread ({rows / rowsPerCall} calls)");
    }

    /// <summary>The calling thread's processor time in nanoseconds (Linux; NaN elsewhere).</summary>
    private static double ThreadTime()
    {
        try
        {
            return ClockGetTime(3, out TimeSpec t) == 0 ? (t.Seconds * 1e9) + t.Nanoseconds : double.NaN;
        }
        catch (DllNotFoundException)
        {
            return double.NaN;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);
}
