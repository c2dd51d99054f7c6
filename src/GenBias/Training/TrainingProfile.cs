using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
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

#if TRAINING_STEP_TIMES
    private static readonly long[] Steps = new long[1 << 20], StepJobs = new long[1 << 20];
#else
    private static readonly long[] Steps = [], StepJobs = [];
#endif
    private static int _steps, _jobs;
    private static long _stepStart, _jobStart, _jobTicks;

    /// <summary>Starts timing a job of the trainer's threads within a step.</summary>
    [Conditional("TRAINING_STEP_TIMES")]
    public static void JobStart() => _jobStart = Stopwatch.GetTimestamp();

    /// <summary>Adds the time since <see cref="JobStart"/> to the step's jobs.</summary>
    [Conditional("TRAINING_STEP_TIMES")]
    public static void JobEnd()
    {
        _jobTicks += Stopwatch.GetTimestamp() - _jobStart;
        _jobs++;
    }

    /// <summary>Starts timing a step (compiled in with TRAINING_STEP_TIMES: <c>dotnet build -p:TrainingStepTimes=true</c>).</summary>
    [Conditional("TRAINING_STEP_TIMES")]
    public static void StepStart()
    {
        (_jobTicks, _jobs) = (0, 0);
        _stepStart = Stopwatch.GetTimestamp();
    }

    /// <summary>
    /// Keeps the time since <see cref="StepStart"/>: the median over many steps of microseconds is the time of a step
    /// that no other process interrupted, which a machine busy with other processes leaves measurable.
    /// </summary>
    [Conditional("TRAINING_STEP_TIMES")]
    public static void StepEnd()
    {
        if (_steps < Steps.Length)
        {
            StepJobs[_steps] = (_jobTicks << 8) | (long)Math.Min(_jobs, 255);
            Steps[_steps++] = Stopwatch.GetTimestamp() - _stepStart;
        }
    }

    /// <summary>Clears the totals and the step times.</summary>
    public static void Reset()
    {
        Array.Clear(Ticks);
        _steps = 0;
    }

    /// <summary>The steps' times' quartiles in nanoseconds (empty when none were timed).</summary>
    public static string StepReport()
    {
        if (_steps == 0)
        {
            return "";
        }

        long[] sorted = Steps[.._steps], jobs = [.. StepJobs[.._steps].Select(j => j >> 8)], serial = [.. Enumerable.Range(0, _steps).Select(i => Steps[i] - (StepJobs[i] >> 8))];
        long count = StepJobs[0] & 255;
        Array.Sort(sorted);
        Array.Sort(jobs);
        Array.Sort(serial);
        static double Ns(long[] values, double q) => values[(int)(q * (values.Length - 1))] * 1e9 / Stopwatch.Frequency;
        return string.Create(CultureInfo.InvariantCulture,
            $"steps {sorted.Length}: quartiles {Ns(sorted, 0.25):0} / {Ns(sorted, 0.5):0} / {Ns(sorted, 0.75):0} ns per step; median {Ns(jobs, 0.5):0} ns in its {count} jobs, {Ns(serial, 0.5):0} ns outside them\n");
    }

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
