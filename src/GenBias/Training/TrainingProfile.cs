using System;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace GenBias;

/// <summary>
/// Where a training run's time goes, phase by phase, on one thread: compiled in only with the TRAINING_PROFILE symbol
/// (<c>dotnet build -p:TrainingProfile=true</c>; the benchmarks' <c>--training-loop</c> prints it); without it the
/// compiler removes every call. Each <see cref="Lap"/> charges the time since the previous lap to a phase of the
/// current <see cref="Part"/>, so the phases partition the run's time.
/// </summary>
internal static class TrainingProfile
{
    /// <summary>What the time was spent on.</summary>
    public enum Phase
    {
        Setup, Codes, Forward, RowGradients, Deltas, GradientSums, Columns, Gather, Optimizer, Snap, Project, KernelParameters,
        Rates, EpochEnd, Evaluate, Finish, FinalPass, Count,
    }

    /// <summary>Which rows the kernel's phases ran on: the data, the preferences' samples, the multipliers' samples.</summary>
    public enum Part
    {
        Data, Samples, Multipliers, Count,
    }

    private static readonly long[] Ticks = new long[(int)Phase.Count * (int)Part.Count];
    private static long _last;
    private static Part _part;

    /// <summary>Starts the clock without charging the time since the last lap.</summary>
    [Conditional("TRAINING_PROFILE")]
    public static void Mark() => _last = Stopwatch.GetTimestamp();

    /// <summary>Charges the time since the last lap to <paramref name="phase"/> of the current part.</summary>
    [Conditional("TRAINING_PROFILE")]
    public static void Lap(Phase phase)
    {
        long now = Stopwatch.GetTimestamp();
        Ticks[((int)_part * (int)Phase.Count) + (int)phase] += now - _last;
        _last = now;
    }

    /// <summary>The rows the following kernel phases run on.</summary>
    [Conditional("TRAINING_PROFILE")]
    public static void Enter(Part part) => _part = part;

    /// <summary>Clears the totals.</summary>
    public static void Reset() => Array.Clear(Ticks);

    /// <summary>The totals in nanoseconds per row of <paramref name="rows"/> (empty when the profile is not compiled in).</summary>
    public static string Report(long rows)
    {
        long total = 0;
        foreach (long t in Ticks)
        {
            total += t;
        }

        var text = new StringBuilder();
        for (int part = 0; part < (int)Part.Count && total > 0; part++)
        {
            for (int phase = 0; phase < (int)Phase.Count; phase++)
            {
                long t = Ticks[(part * (int)Phase.Count) + phase];
                if (t > 0)
                {
                    text.AppendLine(CultureInfo.InvariantCulture,
                        $"{(Part)part,-12} {(Phase)phase,-17} {t * 1e9 / Stopwatch.Frequency / rows,8:0.0} ns per row {100.0 * t / total,6:0.0} %");
                }
            }
        }

        return total == 0 ? "" : text.AppendLine(CultureInfo.InvariantCulture, $"total {total * 1e9 / Stopwatch.Frequency / rows:0.0} ns per row").ToString();
    }
}
