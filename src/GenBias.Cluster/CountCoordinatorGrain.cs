using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;

namespace GenBias.Cluster;

/// <summary>
/// The coordinator of one count. Its stored state (<see cref="CoordinatorState"/>: the plan and, once finished, the
/// totals) is in the grain storage named <see cref="ClusterCounting.StorageName"/> and written only when the count is
/// submitted, cancelled, finished or reactivated; results go to the shards. Leases, the done set and the running sums
/// live in memory and are rebuilt from the shards when the coordinator (re)starts.
/// </summary>
/// <remarks>
/// Reentrant, so that reports whose shard writes are in flight do not hold up leases: every method mutates memory only
/// between awaits, and stored-state writes go through one gate.
/// </remarks>
[Reentrant]
public sealed class CountCoordinatorGrain(
    [PersistentState("count", ClusterCounting.StorageName)] IPersistentState<CoordinatorState> state,
    ILocalSiloDetails silo,
    IClusterMembershipService membership) : Grain, ICountCoordinatorGrain
{
    /// <summary>The lease time before the first result tells how long a sub-cube takes.</summary>
    internal static readonly TimeSpan FirstLease = TimeSpan.FromSeconds(30);

    private readonly Dictionary<long, (string Worker, DateTime Since, DateTime Until)> _leases = [];
    private readonly HashSet<long> _pending = [];
    private readonly Queue<long> _returned = new();
    private readonly HashSet<string> _silos = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private BitArray _done = new(0);
    private long _doneCount, _count, _decided, _cursor, _duplicates, _relent, _givenBack, _restored;
    private double _counted, _countingSeconds;
    private DateTime? _lastLease, _lastReport;
    private IGrainTimer? _expiry;

    /// <inheritdoc/>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Job is null)
        {
            return;
        }

        state.State.Activations++;
        await WriteAsync();
        await Restore();
    }

    /// <inheritdoc/>
    public async Task<CountStatus> Submit(CountJob job, long subCubes, long total)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentOutOfRangeException.ThrowIfLessThan(subCubes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(subCubes, ClusterCounting.MaxSubCubes);
        CoordinatorState s = state.State;
        if (s.Job is null)
        {
            // New, or known once and its state lost: the shards may still hold results, which count.
            s.Job = job;
            s.SubCubes = subCubes;
            s.Total = total;
            s.SubmittedUtc = DateTime.UtcNow;
            s.Activations = 1;
            await WriteAsync();
            await Restore();
        }
        else if (s.SubCubes != subCubes || s.Total != total)
        {
            throw new ArgumentException($"Count {this.GetPrimaryKeyString()} has {s.SubCubes} sub-cubes and {s.Total} pairs; the job submitted has {subCubes} and {total}.");
        }
        else if (s.Cancelled || s.Job.LeaseTime != job.LeaseTime)
        {
            s.Cancelled = false;
            s.Job = job;
            await WriteAsync();
            StartExpiry();
        }

        if (s.FinishedUtc is null && !s.Cancelled)
        {
            await GrainFactory.GetGrain<ICountRegistryGrain>(0).Add(this.GetPrimaryKeyString());
        }

        return Snapshot();
    }

    /// <inheritdoc/>
    public Task<CountJob?> Job() => Task.FromResult(state.State.Job);

    /// <inheritdoc/>
    public Task<SubCubeLease?> Lease(string worker)
    {
        CoordinatorState s = state.State;
        if (s.Job is null || s.Cancelled || s.FinishedUtc is not null)
        {
            return Task.FromResult<SubCubeLease?>(null);
        }

        DateTime now = DateTime.UtcNow;
        // Sub-cubes given back or whose lease expired first, then the ones never lent, in order: each is looked at
        // once per lending, so leasing a whole count costs as much as the count has sub-cubes.
        while (_returned.TryDequeue(out long candidate))
        {
            if (Free(candidate))
            {
                return Task.FromResult<SubCubeLease?>(Lend(candidate, worker, now));
            }
        }

        while (_cursor < s.SubCubes)
        {
            long candidate = _cursor++;
            if (Free(candidate))
            {
                return Task.FromResult<SubCubeLease?>(Lend(candidate, worker, now));
            }
        }

        return Task.FromResult<SubCubeLease?>(null);
    }

    /// <inheritdoc/>
    public async Task<bool> Report(long subCube, long count, long decided, string silo, double seconds = 0)
    {
        CoordinatorState s = state.State;
        if (s.Job is null)
        {
            throw new InvalidOperationException(
                $"Count {this.GetPrimaryKeyString()} is unknown to its coordinator (never submitted, or its stored state was lost); submitting the job again resumes it.");
        }

        if (subCube < 0 || subCube >= s.SubCubes)
        {
            throw new ArgumentOutOfRangeException(nameof(subCube), $"Sub-cube {subCube} is not part of this count (0 to {s.SubCubes - 1}).");
        }

        if (_done[(int)subCube] || !_pending.Add(subCube))
        {
            _duplicates++;
            return false;
        }

        (bool Fresh, SubCubeResult Stored) recorded;
        try
        {
            recorded = await ClusterCounting.Shard(GrainFactory, this.GetPrimaryKeyString(), subCube).Record(new SubCubeResult(subCube, count, decided, seconds), silo);
        }
        catch
        {
            // Not stored (the shard's silo is leaving, say): lend the sub-cube again now, not after the lease time.
            if (_leases.Remove(subCube))
            {
                _returned.Enqueue(subCube);
            }

            throw;
        }
        finally
        {
            _pending.Remove(subCube);
        }

        _lastReport = DateTime.UtcNow;
        if (_leases.Remove(subCube, out var lease) || seconds > 0)
        {
            // The worker's own time when it sent one (a sub-cube lent by an earlier activation has no lease here),
            // else the time since the lease.
            _counted++;
            _countingSeconds += seconds > 0 ? seconds : (DateTime.UtcNow - lease.Since).TotalSeconds;
        }

        if (!recorded.Fresh)
        {
            // Stored before this coordinator's activation learned of it: the stored result is the one that counts.
            _duplicates++;
        }

        if (!_done[(int)subCube])
        {
            Add(recorded.Stored, silo);
            if (_doneCount == s.SubCubes)
            {
                await Finish();
            }
        }

        return recorded.Fresh;
    }

    /// <inheritdoc/>
    public Task GiveBack(long subCube, string worker)
    {
        if (_leases.TryGetValue(subCube, out var lease) && lease.Worker == worker)
        {
            _leases.Remove(subCube);
            _returned.Enqueue(subCube);
            _givenBack++;
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc/>
    public Task<CountStatus> Status() => Task.FromResult(Snapshot());

    /// <inheritdoc/>
    public async Task<CountStatus> Cancel()
    {
        if (state.State.Job is not null && state.State.FinishedUtc is null && !state.State.Cancelled)
        {
            state.State.Cancelled = true;
            foreach (long subCube in _leases.Keys)
            {
                _returned.Enqueue(subCube);
            }

            _leases.Clear();
            StopExpiry();
            await WriteAsync();
        }

        await GrainFactory.GetGrain<ICountRegistryGrain>(0).Remove(this.GetPrimaryKeyString());
        return Snapshot();
    }

    /// <inheritdoc/>
    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    /// <summary>
    /// The lease time in force: the job's, or ten times the mean sub-cube so far (2 s to 5 minutes), including the
    /// times stored with the results a restarted coordinator read back.
    /// </summary>
    private TimeSpan LeaseTime => state.State.Job?.LeaseTime ?? (_counted < 3
        ? FirstLease
        : TimeSpan.FromSeconds(Math.Clamp(10 * _countingSeconds / _counted, 2, 300)));

    private bool Free(long subCube) => !_done[(int)subCube] && !_pending.Contains(subCube) && !_leases.ContainsKey(subCube);

    private SubCubeLease Lend(long subCube, string worker, DateTime now)
    {
        DateTime until = now + LeaseTime;
        _leases[subCube] = (worker, now, until);
        _lastLease = now;
        return new SubCubeLease(subCube, until);
    }

    private void Add(SubCubeResult result, string silo)
    {
        _done[(int)result.SubCube] = true;
        _doneCount++;
        _count += result.Count;
        _decided += result.Decided;
        _silos.Add(silo);
    }

    /// <summary>Rebuilds the done set and the sums from the shards (or the stored totals of a finished count).</summary>
    private async Task Restore()
    {
        CoordinatorState s = state.State;
        _done = new BitArray(checked((int)s.SubCubes));
        _doneCount = _count = _decided = _cursor = _restored = 0;
        (_counted, _countingSeconds) = (0, 0);
        _silos.Clear();
        _leases.Clear();
        _returned.Clear();
        if (s.FinishedUtc is not null)
        {
            _done.SetAll(true);
            (_doneCount, _count, _decided) = (s.SubCubes, s.Count, s.Decided);
            _silos.UnionWith(s.Silos);
            return;
        }

        string key = this.GetPrimaryKeyString();
        long shards = (s.SubCubes + ClusterCounting.ShardSize - 1) / ClusterCounting.ShardSize;
        for (long first = 0; first < shards; first += 64)
        {
            var reads = new List<Task<(SubCubeResult[] Results, string[] Silos)>>();
            for (long shard = first; shard < Math.Min(shards, first + 64); shard++)
            {
                reads.Add(GrainFactory.GetGrain<ICountShardGrain>(ClusterCounting.ShardKey(key, shard)).Results());
            }

            foreach ((SubCubeResult[] results, string[] silos) in await Task.WhenAll(reads))
            {
                foreach (SubCubeResult result in results.Where(r => r.SubCube >= 0 && r.SubCube < s.SubCubes && !_done[(int)r.SubCube]))
                {
                    _done[(int)result.SubCube] = true;
                    _doneCount++;
                    _count += result.Count;
                    _decided += result.Decided;
                    _restored++;
                    if (result.Seconds > 0)
                    {
                        _counted++;
                        _countingSeconds += result.Seconds;
                    }
                }

                _silos.UnionWith(silos);
            }
        }

        if (_doneCount == s.SubCubes)
        {
            await Finish();
        }
        else if (!s.Cancelled)
        {
            StartExpiry();
        }
    }

    private async Task Finish()
    {
        CoordinatorState s = state.State;
        if (s.FinishedUtc is not null)
        {
            return;
        }

        s.FinishedUtc = DateTime.UtcNow;
        (s.Count, s.Decided, s.Silos) = (_count, _decided, [.. _silos.Order(StringComparer.Ordinal)]);
        _leases.Clear();
        StopExpiry();
        await WriteAsync();
        await GrainFactory.GetGrain<ICountRegistryGrain>(0).Remove(this.GetPrimaryKeyString());
    }

    /// <summary>
    /// Expires leases on a timer (a worker that died reports nothing, and idle workers should not have to ask first),
    /// and keeps the count listed in the registry, which may have lost it with its silo.
    /// </summary>
    private void StartExpiry()
    {
        if (_expiry is not null)
        {
            return;
        }

        TimeSpan period = TimeSpan.FromMilliseconds(Math.Clamp(LeaseTime.TotalMilliseconds / 10, 100, 2000));
        _expiry = this.RegisterGrainTimer(async _ =>
        {
            // A lease ends at the time it was lent with, or sooner when the lease time in force has come down since
            // (the first leases of a count, or of a restarted coordinator, are lent for 30 s before a result says more),
            // or at once when the membership has declared its worker's silo dead (a killed silo reports nothing).
            DateTime now = DateTime.UtcNow;
            TimeSpan leaseTime = LeaseTime;
            HashSet<string> dead = [.. membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead).Select(m => m.SiloAddress.ToString())];
            foreach (long subCube in _leases.Where(l => l.Value.Until <= now || l.Value.Since + leaseTime <= now || (dead.Count > 0 && dead.Contains(SiloOf(l.Value.Worker))))
                .Select(l => l.Key).ToArray())
            {
                _leases.Remove(subCube);
                _returned.Enqueue(subCube);
                _relent++;
            }

            if (state.State.Job is not null && state.State.FinishedUtc is null && !state.State.Cancelled)
            {
                await GrainFactory.GetGrain<ICountRegistryGrain>(0).Add(this.GetPrimaryKeyString());
            }
        }, period, period);
    }

    /// <summary>The silo of a worker named "{silo address}#{loop}" (the whole name when it has no loop number).</summary>
    private static string SiloOf(string worker)
    {
        int hash = worker.LastIndexOf('#');
        return hash < 0 ? worker : worker[..hash];
    }

    private void StopExpiry()
    {
        _expiry?.Dispose();
        _expiry = null;
    }

    private async Task WriteAsync()
    {
        await _writeGate.WaitAsync();
        try
        {
            await state.WriteStateAsync();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private CountStatus Snapshot()
    {
        CoordinatorState s = state.State;
        DateTime now = DateTime.UtcNow;
        return new CountStatus
        {
            Known = s.Job is not null,
            Done = _doneCount,
            SubCubes = s.SubCubes,
            Count = _count,
            Total = s.Total,
            Decided = _decided,
            Silos = [.. _silos.Order(StringComparer.Ordinal)],
            Elapsed = s.Job is null ? TimeSpan.Zero : (s.FinishedUtc ?? now) - s.SubmittedUtc,
            Leased = _leases.Count,
            Cancelled = s.Cancelled,
            Duplicates = _duplicates,
            Relent = _relent,
            GivenBack = _givenBack,
            Activations = s.Activations,
            Restored = _restored,
            Host = silo.SiloAddress.ToString(),
            LeaseTime = LeaseTime,
            LeaseHolders = [.. _leases.Values.Select(l => l.Worker).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            SinceLease = now - _lastLease,
            SinceReport = now - _lastReport,
        };
    }
}
