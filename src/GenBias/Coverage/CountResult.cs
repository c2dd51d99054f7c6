using System;

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
}
