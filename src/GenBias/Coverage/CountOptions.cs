using System;
using System.Threading.Tasks;

namespace GenBias;

/// <summary>Settings of <see cref="CoverageCounter.Count"/>.</summary>
public sealed record CountOptions
{
    /// <summary>Threads counting disjoint sub-cubes at once.</summary>
    public int MaxParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>Sub-cubes with this many free inputs are enumerated with a ternary Gray code.</summary>
    public int LeafFreeInputs { get; init; } = 11;

    /// <summary>The inputs fixed at the top level: 3^SplitDepth sub-cubes, the unit of parallelism, progress and checkpoints (at most the inputs less one are fixed).</summary>
    public int SplitDepth { get; init; } = 6;

    /// <summary>Whether to skip sub-cubes whose outcome interval bounds already decide.</summary>
    public bool Prune { get; init; } = true;

    /// <summary>
    /// Whether pruning also uses the linear bound of a layer-1 preference (a linear relaxation of the first layer's
    /// activation, exact over the ternary box), which decides far more sub-cubes of trained networks than interval
    /// bounds alone. False keeps interval bounds only (for comparison).
    /// </summary>
    public bool LinearBounds { get; init; } = true;

    /// <summary>
    /// Whether the counting leaf (tanh hidden layer, preference on layer 1) first evaluates each input from the
    /// addition theorem of tanh (one exact tanh per hidden neuron and Gray-code step, the tabled inputs' tanh once per
    /// count, no activation per input) with a proved error bound, and decides it when the resulting interval of the
    /// pre-activation lies wholly inside or outside the preference; only the inputs this leaves open are evaluated
    /// exactly. The count is the same either way; false evaluates every input exactly (for comparison).
    /// </summary>
    public bool BoundedFirstPass { get; init; } = true;

    /// <summary>Where to keep a resumable checkpoint of the finished sub-cubes (null for none).</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>How often the checkpoint is rewritten while counting.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Meet in the middle for a first-layer neuron (the fast exact method); false forces enumeration.</summary>
    public bool AllowMeetInTheMiddle { get; init; } = true;

    /// <summary>Refuses settings no count can run with, naming the setting.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    internal void Validate()
    {
        if (MaxParallelism < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxParallelism), MaxParallelism, "CountOptions.MaxParallelism must be at least 1.");
        }

        if (LeafFreeInputs < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(LeafFreeInputs), LeafFreeInputs, "CountOptions.LeafFreeInputs must be 0 or more (the free inputs of an enumerated leaf).");
        }

        if (SplitDepth < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(SplitDepth), SplitDepth, "CountOptions.SplitDepth must be 0 or more (depths beyond the inputs less one are taken as that).");
        }

        if (CheckpointInterval < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(CheckpointInterval), CheckpointInterval, "CountOptions.CheckpointInterval must not be negative.");
        }
    }
}
