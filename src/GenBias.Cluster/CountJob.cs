using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Orleans;

namespace GenBias.Cluster;

/// <summary>
/// One exact count as the cluster sees it: the model (the bytes of a model file, so every silo rebuilds the same
/// network), which of its preferences, the split, and any fixed first inputs. Immutable once submitted.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record CountJob
{
    /// <summary>The model file's bytes (<see cref="ModelFile.ToJson"/>), including the preference counted.</summary>
    [Id(0)] public required byte[] Model { get; init; }

    /// <summary>Which of the model's preferences is counted.</summary>
    [Id(1)] public int PreferenceIndex { get; init; }

    /// <summary><see cref="CountOptions.SplitDepth"/>: 3^SplitDepth sub-cubes, the unit handed out.</summary>
    [Id(2)] public int SplitDepth { get; init; } = 6;

    /// <summary><see cref="CountOptions.LeafFreeInputs"/>.</summary>
    [Id(3)] public int LeafFreeInputs { get; init; } = 9;

    /// <summary>Values of the first inputs, held fixed (empty: the whole cube).</summary>
    [Id(4)] public sbyte[] FixedInputs { get; init; } = [];

    /// <summary>
    /// How long a worker may hold a sub-cube before it is handed to another; null (the default): ten times the mean
    /// time of the sub-cubes counted so far, from 2 s to 5 minutes (30 s until the first result).
    /// </summary>
    [Id(5)] public TimeSpan? LeaseTime { get; init; }

    /// <summary>The network, preference and plan this job describes, rebuilt from the model bytes.</summary>
    public (ITernaryNetwork Network, Preference Preference, CountPlan Plan) Build()
    {
        LoadedModel model = ModelFile.Read(Model, "the count job's model");
        if (PreferenceIndex < 0 || PreferenceIndex >= model.Preferences.Count)
        {
            throw new ArgumentException($"The job counts preference {PreferenceIndex}, but the model has {model.Preferences.Count}.");
        }

        var network = new ReferenceNetwork(model.Shape, model.Parameters);
        Preference preference = model.Preferences[PreferenceIndex];
        var options = new CountOptions { SplitDepth = SplitDepth, LeafFreeInputs = LeafFreeInputs, MaxParallelism = 1 };
        return (network, preference, CountPlan.Create(network, preference, options, FixedInputs));
    }

    /// <summary>The coordinator's key: a hash of the plan's signature (network bits, preference, split, fixed inputs, order).</summary>
    public static string KeyOf(CountPlan plan) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(plan.Signature)))[..32].ToLowerInvariant();

    /// <summary>A job for <paramref name="preference"/> of <paramref name="network"/>.</summary>
    public static CountJob For(ITernaryNetwork network, Preference preference, int splitDepth = 6, int leafFreeInputs = 9,
        IReadOnlyList<sbyte>? fixedInputs = null, TimeSpan? leaseTime = null) => new()
    {
        Model = ModelFile.ToJson(network, [preference]),
        PreferenceIndex = 0,
        SplitDepth = splitDepth,
        LeafFreeInputs = leafFreeInputs,
        FixedInputs = fixedInputs?.ToArray() ?? [],
        LeaseTime = leaseTime,
    };
}

/// <summary>A sub-cube lent to a worker until <paramref name="Until"/> (the worker fetches the job once per count).</summary>
[GenerateSerializer, Immutable]
public sealed record SubCubeLease([property: Id(0)] long SubCube, [property: Id(1)] DateTime Until);

/// <summary>
/// One sub-cube's result as stored: the pairs meeting the preference, the inputs decided by bounds, and the seconds
/// its worker took to count it (0 when not measured), from which a restarted coordinator sets its lease time.
/// </summary>
[GenerateSerializer, Immutable]
public readonly record struct SubCubeResult([property: Id(0)] long SubCube, [property: Id(1)] long Count, [property: Id(2)] long Decided, [property: Id(3)] double Seconds = 0);

/// <summary>Where a count stands, as the coordinator sees it.</summary>
[GenerateSerializer, Immutable]
public sealed record CountStatus
{
    /// <summary>Sub-cubes finished (each counted once, however often it was reported).</summary>
    [Id(0)] public long Done { get; init; }

    /// <summary>All sub-cubes.</summary>
    [Id(1)] public long SubCubes { get; init; }

    /// <summary>The pairs meeting the preference so far.</summary>
    [Id(2)] public long Count { get; init; }

    /// <summary>All pairs of the count.</summary>
    [Id(3)] public long Total { get; init; }

    /// <summary>Inputs decided by bounds so far.</summary>
    [Id(4)] public long Decided { get; init; }

    /// <summary>The silos that counted at least one sub-cube.</summary>
    [Id(5)] public string[] Silos { get; init; } = [];

    /// <summary>Time since the count was submitted (across coordinator restarts).</summary>
    [Id(6)] public TimeSpan Elapsed { get; init; }

    /// <summary>Sub-cubes out on lease now.</summary>
    [Id(7)] public int Leased { get; init; }

    /// <summary>Whether the count was cancelled.</summary>
    [Id(8)] public bool Cancelled { get; init; }

    /// <summary>Reports of a sub-cube already counted, ignored without a write (since the coordinator's activation).</summary>
    [Id(9)] public long Duplicates { get; init; }

    /// <summary>
    /// Whether the coordinator knows the count's plan. False when it was never submitted or its stored state was lost
    /// (memory storage on a silo that stopped): submitting the same job again restores it, with every result its
    /// storage still holds.
    /// </summary>
    [Id(10)] public bool Known { get; init; }

    /// <summary>
    /// Leases that expired (a worker died or stalled) or whose worker's silo the membership declared dead, and whose
    /// sub-cubes were lent again, since the coordinator's activation.
    /// </summary>
    [Id(11)] public long Relent { get; init; }

    /// <summary>Sub-cubes given back by workers of a silo that stopped, since the coordinator's activation.</summary>
    [Id(12)] public long GivenBack { get; init; }

    /// <summary>How many times the coordinator has been activated with this plan (1: never restarted or moved).</summary>
    [Id(13)] public int Activations { get; init; }

    /// <summary>Results read back from storage when the coordinator last (re)started or the plan was submitted again.</summary>
    [Id(14)] public long Restored { get; init; }

    /// <summary>The silo the coordinator runs on.</summary>
    [Id(15)] public string Host { get; init; } = "";

    /// <summary>The lease time in force (the job's, or the automatic one).</summary>
    [Id(16)] public TimeSpan LeaseTime { get; init; }

    /// <summary>The workers holding a lease now (silo address and loop number).</summary>
    [Id(17)] public string[] LeaseHolders { get; init; } = [];

    /// <summary>Time since a worker last took a lease from this coordinator activation (null: none has yet).</summary>
    [Id(18)] public TimeSpan? SinceLease { get; init; }

    /// <summary>Time since a result last reached this coordinator activation (null: none has yet).</summary>
    [Id(19)] public TimeSpan? SinceReport { get; init; }

    /// <summary>Whether every sub-cube is counted.</summary>
    public bool Finished => SubCubes > 0 && Done == SubCubes;

    /// <summary>Sub-cubes per second so far.</summary>
    public double Rate => Elapsed > TimeSpan.Zero ? Done / Elapsed.TotalSeconds : 0;

    /// <summary>The time left at this rate (null before the first sub-cube).</summary>
    public TimeSpan? Remaining => Done == 0 ? null : TimeSpan.FromSeconds((SubCubes - Done) / Rate);
    /// <summary>
    /// One line: "81/243 sub-cubes on 3 silo(s), 20.5/s, 0:00:07 left; 2 leased" with what an operator should know
    /// (unknown, cancelled, finished and the count, sub-cubes lent again or given back, coordinator restarts).
    /// </summary>
    public override string ToString()
    {
        System.Globalization.CultureInfo c = System.Globalization.CultureInfo.InvariantCulture;
        if (!Known)
        {
            return "unknown to the cluster (never submitted, or its stored state was lost)";
        }

        var text = new System.Text.StringBuilder();
        text.Append(c, $"{Done:N0}/{SubCubes:N0} sub-cubes on {Silos.Length} silo(s)");
        text.Append(Finished ? string.Create(c, $", finished: {Count:N0} of {Total:N0} = {(double)Count / Total:P4} in {Elapsed.TotalSeconds:F1} s")
            : Cancelled ? ", cancelled"
            : string.Create(c, $", {Rate:F1}/s, {(Remaining is TimeSpan left ? Clock(TimeSpan.FromSeconds(Math.Round(left.TotalSeconds))) : "?")} left; {Leased} leased"));
        foreach ((long n, string what) in new[] { (Relent, "lent again (lease expired or silo dead)"), (GivenBack, "given back by a stopping silo"), (Duplicates, "reported twice") })
        {
            if (n > 0)
            {
                text.Append(c, $"; {n:N0} {what}");
            }
        }

        if (Activations > 1)
        {
            text.Append(c, $"; coordinator restarted {Activations - 1} time(s), {Restored:N0} results read back");
        }

        return text.ToString();

        string Clock(TimeSpan t) => string.Create(c, $"{(long)t.TotalHours}:{t:mm\\:ss}");
    }
}
