using System;
using System.Globalization;

namespace GenBias;

/// <summary>Progress of an exact count.</summary>
/// <param name="SubCubesDone">Top-level sub-cubes finished (including those restored from a checkpoint).</param>
/// <param name="SubCubesTotal">All top-level sub-cubes.</param>
/// <param name="Elapsed">Time since this call started.</param>
/// <param name="SubCubesRestored">Sub-cubes already finished in the checkpoint when this call started.</param>
public sealed record CountProgress(long SubCubesDone, long SubCubesTotal, TimeSpan Elapsed, long SubCubesRestored = 0)
{
    /// <summary>The estimated time left, from this call's pace (null before its first sub-cube).</summary>
    public TimeSpan? Remaining => SubCubesDone == SubCubesRestored ? null
        : Elapsed / (SubCubesDone - SubCubesRestored) * (SubCubesTotal - SubCubesDone);

    /// <summary>One line: "81 of 243 sub-cubes (33.3 %), 0:00:04 elapsed, about 0:00:08 left".</summary>
    public override string ToString()
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        string restored = SubCubesRestored > 0 ? string.Create(c, $", {SubCubesRestored:N0} from a checkpoint") : "";
        string left = Remaining is TimeSpan remaining ? $"about {Clock(remaining)} left" : "time left not known yet";
        return string.Create(c, $"{SubCubesDone:N0} of {SubCubesTotal:N0} sub-cubes ({(double)SubCubesDone / SubCubesTotal:P1}){restored}, {Clock(Elapsed)} elapsed, {left}");
    }

    /// <summary>h:mm:ss, to the nearest second.</summary>
    internal static string Clock(TimeSpan time)
    {
        TimeSpan rounded = TimeSpan.FromSeconds(Math.Round(time.TotalSeconds));
        return string.Create(CultureInfo.InvariantCulture, $"{(long)rounded.TotalHours}:{rounded:mm\\:ss}");
    }
}

/// <summary>The exact number of (input, neuron) pairs meeting a preference's interval over the whole cube.</summary>
/// <param name="Count">The pairs whose activation lies in the interval.</param>
/// <param name="Total">All pairs: 3^n times the number of neurons of the preference.</param>
/// <param name="Method"><see cref="CountMethod.MeetInTheMiddle"/> or <see cref="CountMethod.Enumeration"/>.</param>
/// <param name="Elapsed">Time taken by this call.</param>
/// <param name="DecidedByBounds">The fraction of the cube decided by interval bounds without enumeration.</param>
public sealed record CountResult(long Count, long Total, CountMethod Method, TimeSpan Elapsed, double DecidedByBounds)
{
    /// <summary>Where the count ran when not in this process (for example "3 silos (Orleans)"); null here.</summary>
    public string? ComputedOn { get; init; }

    /// <summary>Sub-cubes whose counts were read from a checkpoint instead of counted by this run (0 when none).</summary>
    public long SubCubesRestored { get; init; }

    /// <summary>Count / Total.</summary>
    public double Fraction => (double)Count / Total;

    /// <summary>
    /// One line: "1,234,567 of 3,486,784,401 = 0.0354 % (exact, enumeration on 3 silos; 12.5 % of the cube decided by
    /// bounds); 4.210 s".
    /// </summary>
    public override string ToString()
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        string where = ComputedOn is null ? "" : " on " + ComputedOn;
        string bounds = DecidedByBounds > 0 && Method == CountMethod.Enumeration ? string.Create(c, $"; {DecidedByBounds:P1} of the cube decided by bounds") : "";
        string restored = SubCubesRestored > 0 ? string.Create(c, $"; {SubCubesRestored:N0} sub-cubes read from a checkpoint") : "";
        return string.Create(c, $"{Count:N0} of {Total:N0} = {Fraction:P4} (exact, {Certificate.Describe(Method)}{where}{bounds}{restored}); {Elapsed.TotalSeconds:F3} s");
    }
}
