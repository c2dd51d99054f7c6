using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace GenBias.Cluster;

/// <summary>
/// One exact count, keyed by <see cref="CountJob.KeyOf"/>: lends sub-cubes to workers and adds up their results. Its
/// stored state is the plan and a few totals, written when the count is submitted, cancelled or finished; the results
/// themselves are stored by <see cref="ICountShardGrain"/>s, <see cref="ClusterCounting.ShardSize"/> sub-cubes each, so
/// each report writes one small shard and the state grows with the work done.
/// </summary>
public interface ICountCoordinatorGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts the count, or resumes it: submitting the same job again returns its status, takes the job's lease time,
    /// clears a cancellation, and restores a plan whose stored state was lost (with the results the shards still hold).
    /// </summary>
    Task<CountStatus> Submit(CountJob job, long subCubes, long total);

    /// <summary>The job, for workers that lease from this count for the first time (null when the plan is unknown).</summary>
    Task<CountJob?> Job();

    /// <summary>
    /// The next sub-cube for <paramref name="worker"/> (one never counted and not on a live lease), or null. A worker
    /// named "{silo address}#{loop}", as the counting loops are, loses its leases at once when the membership declares
    /// that silo dead.
    /// </summary>
    Task<SubCubeLease?> Lease(string worker);

    /// <summary>
    /// A worker's result, stored in its shard unless the sub-cube is counted already: a duplicate is ignored without a
    /// write (exactly-once accounting). <paramref name="seconds"/> is the time the worker took to count it (0: not
    /// measured), which sets the automatic lease time. Returns whether this report counted.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The sub-cube is not part of the count.</exception>
    /// <exception cref="InvalidOperationException">The coordinator does not know the plan (never submitted, or its state was lost).</exception>
    Task<bool> Report(long subCube, long count, long decided, string silo, double seconds = 0);

    /// <summary>A worker that stops gives its sub-cube back, to be lent again at once rather than after the lease time.</summary>
    Task GiveBack(long subCube, string worker);

    /// <summary>Where the count stands.</summary>
    [AlwaysInterleave]
    Task<CountStatus> Status();

    /// <summary>Stops handing out sub-cubes; results already in stay, and submitting the job again resumes the count.</summary>
    Task<CountStatus> Cancel();

    /// <summary>Deactivates the coordinator (its state is in storage); the next call reactivates it from there.</summary>
    Task Deactivate();
}

/// <summary>
/// The stored results of <see cref="ClusterCounting.ShardSize"/> consecutive sub-cubes of one count, keyed
/// <c>{count key}/{shard}</c>. The first result of a sub-cube is kept; later ones change nothing and write nothing.
/// </summary>
public interface ICountShardGrain : IGrainWithStringKey
{
    /// <summary>Stores <paramref name="result"/> unless its sub-cube has one; returns the stored result and whether it is this one.</summary>
    Task<(bool Fresh, SubCubeResult Stored)> Record(SubCubeResult result, string silo);

    /// <summary>Every stored result, and the silos that counted them.</summary>
    [ReadOnly]
    Task<(SubCubeResult[] Results, string[] Silos)> Results();
}

/// <summary>The counts in progress, so that every silo's workers find them.</summary>
public interface ICountRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Adds a count (no write when it is listed already).</summary>
    Task Add(string key);

    /// <summary>Removes a finished or cancelled count.</summary>
    Task Remove(string key);

    /// <summary>The counts in progress.</summary>
    [ReadOnly]
    Task<string[]> Active();
}

/// <summary>The coordinator's stored state: the plan, once, and the totals of a finished count.</summary>
[GenerateSerializer]
public sealed class CoordinatorState
{
    /// <summary>The job, once submitted.</summary>
    [Id(0)] public CountJob? Job { get; set; }

    /// <summary>Sub-cubes in the plan.</summary>
    [Id(1)] public long SubCubes { get; set; }

    /// <summary>All pairs of the count.</summary>
    [Id(2)] public long Total { get; set; }

    /// <summary>When the job was first submitted.</summary>
    [Id(3)] public DateTime SubmittedUtc { get; set; }

    /// <summary>Whether the count is cancelled.</summary>
    [Id(4)] public bool Cancelled { get; set; }

    /// <summary>When the last sub-cube was counted (the count's end).</summary>
    [Id(5)] public DateTime? FinishedUtc { get; set; }

    /// <summary>The finished count's pairs meeting the preference.</summary>
    [Id(6)] public long Count { get; set; }

    /// <summary>The finished count's inputs decided by bounds.</summary>
    [Id(7)] public long Decided { get; set; }

    /// <summary>The finished count's silos.</summary>
    [Id(8)] public string[] Silos { get; set; } = [];

    /// <summary>Activations of the coordinator with this plan.</summary>
    [Id(9)] public int Activations { get; set; }
}

/// <summary>A shard's stored state: the results of its sub-cubes, in the order they came.</summary>
[GenerateSerializer]
public sealed class ShardState
{
    /// <summary>The results.</summary>
    [Id(0)] public List<SubCubeResult> Results { get; set; } = [];

    /// <summary>The silos that counted them.</summary>
    [Id(1)] public List<string> Silos { get; set; } = [];
}

/// <summary>A shard of results, in the grain storage named <see cref="ClusterCounting.StorageName"/>.</summary>
public sealed class CountShardGrain(
    [PersistentState("shard", ClusterCounting.StorageName)] IPersistentState<ShardState> state) : Grain, ICountShardGrain
{
    private HashSet<long>? _index;

    /// <inheritdoc/>
    public async Task<(bool Fresh, SubCubeResult Stored)> Record(SubCubeResult result, string silo)
    {
        _index ??= [.. state.State.Results.Select(r => r.SubCube)];
        if (!_index.Add(result.SubCube))
        {
            return (false, state.State.Results.First(r => r.SubCube == result.SubCube));
        }

        state.State.Results.Add(result);
        if (!state.State.Silos.Contains(silo))
        {
            state.State.Silos.Add(silo);
        }

        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Not stored: forget it here too, so that the next report of this sub-cube is taken.
            state.State.Results.RemoveAt(state.State.Results.Count - 1);
            _index.Remove(result.SubCube);
            throw;
        }

        return (true, result);
    }

    /// <inheritdoc/>
    public Task<(SubCubeResult[] Results, string[] Silos)> Results() =>
        Task.FromResult<(SubCubeResult[], string[])>(([.. state.State.Results], [.. state.State.Silos]));
}

/// <summary>The registry of counts in progress, kept in the same storage as the coordinators.</summary>
public sealed class CountRegistryGrain(
    [PersistentState("registry", ClusterCounting.StorageName)] IPersistentState<HashSet<string>> active) : Grain, ICountRegistryGrain
{
    /// <inheritdoc/>
    public async Task Add(string key)
    {
        if (active.State.Add(key))
        {
            await active.WriteStateAsync();
        }
    }

    /// <inheritdoc/>
    public async Task Remove(string key)
    {
        if (active.State.Remove(key))
        {
            await active.WriteStateAsync();
        }
    }

    /// <inheritdoc/>
    public Task<string[]> Active() => Task.FromResult(active.State.ToArray());
}
