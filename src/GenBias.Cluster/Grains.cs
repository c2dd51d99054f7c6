using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Orleans;
using Orleans.Runtime;

namespace GenBias.Cluster;

/// <summary>
/// One exact count, keyed by <see cref="CountJob.KeyOf"/>: owns the list of sub-cubes, lends them to workers, and
/// keeps the finished results in persistent grain state, so a restarted coordinator resumes where it was.
/// </summary>
public interface ICountCoordinatorGrain : IGrainWithStringKey
{
    /// <summary>Starts the count (idempotent: submitting the same job again returns its status).</summary>
    Task<CountStatus> Submit(CountJob job, long subCubes, long total);

    /// <summary>The next sub-cube for <paramref name="worker"/> (one never counted and not on a live lease), or null.</summary>
    Task<SubCubeLease?> Lease(string worker);

    /// <summary>A worker's result; a sub-cube already counted is ignored (exactly-once accounting).</summary>
    Task<bool> Report(long subCube, long count, long decided, string silo);

    /// <summary>Where the count stands.</summary>
    Task<CountStatus> Status();

    /// <summary>Stops handing out sub-cubes; results already in stay.</summary>
    Task Cancel();

    /// <summary>Deactivates the coordinator (its state is in storage); the next call reactivates it from there.</summary>
    Task Deactivate();
}

/// <summary>The counts in progress, so that every silo's workers find them.</summary>
public interface ICountRegistryGrain : IGrainWithIntegerKey
{
    /// <summary>Adds a count.</summary>
    Task Add(string key);

    /// <summary>Removes a finished or cancelled count.</summary>
    Task Remove(string key);

    /// <summary>The counts in progress.</summary>
    Task<string[]> Active();
}

/// <summary>The coordinator's persistent state.</summary>
[GenerateSerializer]
public sealed class CoordinatorState
{
    /// <summary>The job, once submitted.</summary>
    [Id(0)] public CountJob? Job { get; set; }

    /// <summary>Sub-cubes in the plan.</summary>
    [Id(1)] public long SubCubes { get; set; }

    /// <summary>All pairs of the count.</summary>
    [Id(2)] public long Total { get; set; }

    /// <summary>Finished sub-cubes: count and decided.</summary>
    [Id(3)] public Dictionary<long, long[]> Done { get; set; } = [];

    /// <summary>Silos that counted at least one sub-cube.</summary>
    [Id(4)] public HashSet<string> Silos { get; set; } = [];

    /// <summary>When the job was submitted.</summary>
    [Id(5)] public DateTime SubmittedUtc { get; set; }

    /// <summary>Whether the count was cancelled.</summary>
    [Id(6)] public bool Cancelled { get; set; }

    /// <summary>Reports ignored because the sub-cube was already counted.</summary>
    [Id(7)] public long Duplicates { get; set; }

    /// <summary>When the last sub-cube was counted (the count's end).</summary>
    [Id(8)] public DateTime? FinishedUtc { get; set; }
}

/// <summary>The coordinator; state in the grain storage named <see cref="ClusterCounting.StorageName"/>.</summary>
public sealed class CountCoordinatorGrain(
    [PersistentState("count", ClusterCounting.StorageName)] IPersistentState<CoordinatorState> state) : Grain, ICountCoordinatorGrain
{
    // Leases live in memory: after a restart every unfinished sub-cube is free again, and a result that arrives
    // for one lent before the restart still counts once.
    private readonly Dictionary<long, (string Worker, DateTime Until)> _leases = [];
    private long _next;

    /// <inheritdoc/>
    public async Task<CountStatus> Submit(CountJob job, long subCubes, long total)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (state.State.Job is null)
        {
            state.State.Job = job;
            state.State.SubCubes = subCubes;
            state.State.Total = total;
            state.State.SubmittedUtc = DateTime.UtcNow;
            await state.WriteStateAsync();
        }

        if (!state.State.Cancelled && state.State.Done.Count < state.State.SubCubes)
        {
            await GrainFactory.GetGrain<ICountRegistryGrain>(0).Add(this.GetPrimaryKeyString());
        }

        return Snapshot();
    }

    /// <inheritdoc/>
    public Task<SubCubeLease?> Lease(string worker)
    {
        CoordinatorState s = state.State;
        if (s.Job is null || s.Cancelled)
        {
            return Task.FromResult<SubCubeLease?>(null);
        }

        DateTime now = DateTime.UtcNow;
        // One pass over the sub-cubes from where the last lease was taken: the first neither counted nor lent.
        for (long tried = 0; tried < s.SubCubes; tried++)
        {
            long candidate = (_next + tried) % s.SubCubes;
            if (s.Done.ContainsKey(candidate) || (_leases.TryGetValue(candidate, out var lease) && lease.Until > now))
            {
                continue;
            }

            _leases[candidate] = (worker, now + s.Job.LeaseTime);
            _next = candidate + 1;
            return Task.FromResult<SubCubeLease?>(new SubCubeLease(candidate, s.Job));
        }

        return Task.FromResult<SubCubeLease?>(null);
    }

    /// <inheritdoc/>
    public async Task<bool> Report(long subCube, long count, long decided, string silo)
    {
        CoordinatorState s = state.State;
        if (s.Job is null || subCube < 0 || subCube >= s.SubCubes)
        {
            throw new ArgumentOutOfRangeException(nameof(subCube), $"Sub-cube {subCube} is not part of this count.");
        }

        _leases.Remove(subCube);
        if (!s.Done.TryAdd(subCube, [count, decided]))
        {
            s.Duplicates++;
            await state.WriteStateAsync();
            return false;
        }

        s.Silos.Add(silo);
        if (s.Done.Count == s.SubCubes)
        {
            s.FinishedUtc = DateTime.UtcNow;
            await GrainFactory.GetGrain<ICountRegistryGrain>(0).Remove(this.GetPrimaryKeyString());
        }

        await state.WriteStateAsync();
        return true;
    }

    /// <inheritdoc/>
    public Task<CountStatus> Status() => Task.FromResult(Snapshot());

    /// <inheritdoc/>
    public async Task Cancel()
    {
        state.State.Cancelled = true;
        _leases.Clear();
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<ICountRegistryGrain>(0).Remove(this.GetPrimaryKeyString());
    }

    /// <inheritdoc/>
    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    private CountStatus Snapshot()
    {
        CoordinatorState s = state.State;
        DateTime now = DateTime.UtcNow;
        return new CountStatus
        {
            Done = s.Done.Count,
            SubCubes = s.SubCubes,
            Count = s.Done.Values.Sum(v => v[0]),
            Total = s.Total,
            Decided = s.Done.Values.Sum(v => v[1]),
            Silos = [.. s.Silos.Order(StringComparer.Ordinal)],
            Elapsed = s.Job is null ? TimeSpan.Zero : (s.FinishedUtc ?? now) - s.SubmittedUtc,
            Leased = _leases.Count(l => l.Value.Until > now),
            Cancelled = s.Cancelled,
            Duplicates = s.Duplicates,
        };
    }
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
