using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.IO;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;

namespace GenBias.Cluster;

/// <summary>Setting up a silo to count, and submitting, watching and cancelling counts from a client.</summary>
public static class ClusterCounting
{
    /// <summary>The grain storage the coordinators, shards and registry keep their state in (configure it on every silo).</summary>
    public const string StorageName = "genbias-counts";

    /// <summary>Sub-cubes per stored shard of results: a report writes one shard, at most this many results.</summary>
    public const int ShardSize = 81;

    /// <summary>The deepest split a count may have: 3^12 = 531,441 sub-cubes.</summary>
    public const int MaxSplitDepth = 12;

    /// <summary>The most sub-cubes a count may have (3^<see cref="MaxSplitDepth"/>).</summary>
    public const long MaxSubCubes = 531_441;

    /// <summary>
    /// Runs <paramref name="workers"/> counting loops on this silo (default: one per core): each takes a sub-cube
    /// from a count in progress, counts it with the local SIMD counter and reports it back; when the silo stops, the
    /// sub-cubes being counted are given back. The silo also needs a grain storage named <see cref="StorageName"/>.
    /// </summary>
    /// <param name="silo">The silo.</param>
    /// <param name="workers">Counting loops (default: one per core).</param>
    /// <param name="idlePoll">How often an idle loop looks for work (default 200 ms).</param>
    public static ISiloBuilder AddGenBiasCounting(this ISiloBuilder silo, int? workers = null, TimeSpan? idlePoll = null)
    {
        ArgumentNullException.ThrowIfNull(silo);
        int loops = workers ?? Environment.ProcessorCount;
        ArgumentOutOfRangeException.ThrowIfLessThan(loops, 1, nameof(workers));
        silo.Services.AddSingleton(new CountWorkerOptions { Workers = loops, IdlePoll = idlePoll ?? TimeSpan.FromMilliseconds(200) });
        silo.Services.AddHostedService<CountWorkerService>();
        return silo;
    }

    /// <summary>
    /// Membership settings for a cluster of a few silos (three on one machine, a handful of machines), where Orleans'
    /// defaults, made for large clusters, are slow to declare a silo dead and can stall: a silo that misses three
    /// probes of 2 s (not 5 s) is suspected; a silo whose heartbeat in the membership table is 10 s old (not 10
    /// minutes) no longer counts as a voter, so that when two of three silos die together the one left can declare
    /// them dead alone instead of waiting for a second vote that never comes; silos read the table every 10 s (not
    /// 60 s); dead silos' rows are removed after an hour (not a week). Counts still need two votes (a silo's direct
    /// probe and an indirect one through another silo count as two) to declare a live silo dead.
    /// </summary>
    /// <param name="silo">The silo.</param>
    public static ISiloBuilder UseMembershipForFewSilos(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Configure<ClusterMembershipOptions>(ConfigureForFewSilos);
        return silo;
    }

    /// <summary>The settings <see cref="UseMembershipForFewSilos"/> applies (one place, for the silos and the tests).</summary>
    internal static void ConfigureForFewSilos(ClusterMembershipOptions o)
    {
        o.ProbeTimeout = TimeSpan.FromSeconds(2);
        o.NumMissedProbesLimit = 3;
        o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
        o.NumMissedTableIAmAliveLimit = 2;
        o.TableRefreshTimeout = TimeSpan.FromSeconds(10);
        o.DefunctSiloExpiration = TimeSpan.FromHours(1);
        o.DefunctSiloCleanupPeriod = TimeSpan.FromMinutes(10);
    }

    /// <summary>
    /// Submits a count and returns its key. Idempotent: the same job returns the running or finished count, resumes a
    /// cancelled one, and restores one whose stored plan was lost (keeping every result still stored).
    /// </summary>
    /// <exception cref="ArgumentException">The job's split gives more than <see cref="MaxSubCubes"/> sub-cubes.</exception>
    public static async Task<string> SubmitAsync(IGrainFactory grains, CountJob job)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(job);
        (_, _, CountPlan plan) = job.Build();
        if (plan.SubCubes > MaxSubCubes)
        {
            throw new ArgumentException($"A split depth of {job.SplitDepth} gives {plan.SubCubes:N0} sub-cubes; a cluster count takes at most {MaxSubCubes:N0} (split depth {MaxSplitDepth}).", nameof(job));
        }

        string key = CountJob.KeyOf(plan);
        await grains.GetGrain<ICountCoordinatorGrain>(key).Submit(job, plan.SubCubes, plan.Total);
        return key;
    }

    /// <summary>Cancels a count: no more sub-cubes are lent; its results stay, and submitting the job again resumes it.</summary>
    public static Task<CountStatus> CancelAsync(IGrainFactory grains, string key)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentException.ThrowIfNullOrEmpty(key);
        return grains.GetGrain<ICountCoordinatorGrain>(key).Cancel();
    }

    /// <summary>
    /// Watches a count until it finishes or is cancelled, reporting its status. Cancelling the token detaches (the count
    /// goes on). Calls that fail because a silo left or the coordinator moves are retried until
    /// <see cref="CountWatchOptions.GiveUpAfter"/> passes with no answer. A coordinator that lost its plan is given
    /// <paramref name="job"/> again, which resumes the count with every result still stored.
    /// </summary>
    /// <exception cref="TimeoutException">No silo answered for <see cref="CountWatchOptions.GiveUpAfter"/>.</exception>
    /// <exception cref="CountStalledException">The coordinator answered, but no sub-cube was counted for <see cref="CountWatchOptions.StallAfter"/> (or twice the lease time, if longer).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled (the watcher detached).</exception>
    public static Task<CountStatus> WatchAsync(IGrainFactory grains, CountJob job, CountWatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return Watch(grains, CountJob.KeyOf(job.Build().Plan), job, options ?? new CountWatchOptions(), cancellationToken);
    }

    /// <summary>
    /// Watches the count <paramref name="key"/> as <see cref="WatchAsync(IGrainFactory, CountJob, CountWatchOptions?, CancellationToken)"/>
    /// does, but without the job to restore a lost plan with.
    /// </summary>
    /// <exception cref="CountLostException">The coordinator does not know the count (its stored state was lost, or it was never submitted).</exception>
    /// <exception cref="TimeoutException">No silo answered for <see cref="CountWatchOptions.GiveUpAfter"/>.</exception>
    /// <exception cref="CountStalledException">The coordinator answered, but no sub-cube was counted for <see cref="CountWatchOptions.StallAfter"/> (or twice the lease time, if longer).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled (the watcher detached).</exception>
    public static Task<CountStatus> WatchAsync(IGrainFactory grains, string key, CountWatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return Watch(grains, key, null, options ?? new CountWatchOptions(), cancellationToken);
    }

    private static async Task<CountStatus> Watch(IGrainFactory grains, string key, CountJob? job, CountWatchOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ICountCoordinatorGrain coordinator = grains.GetGrain<ICountCoordinatorGrain>(key);
        var sinceAnswer = Stopwatch.StartNew();
        var sinceProgress = Stopwatch.StartNew();
        long lastDone = -1;
        Exception? failure = null;
        string? host = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                CountStatus status = await coordinator.Status().WaitAsync(options.CallTimeout, cancellationToken);
                if (!status.Known)
                {
                    if (job is null)
                    {
                        throw new CountLostException(key);
                    }

                    await grains.GetGrain<ICountCoordinatorGrain>(key).Submit(job, job.Build().Plan.SubCubes, job.Build().Plan.Total).WaitAsync(options.CallTimeout, cancellationToken);
                    status = await coordinator.Status().WaitAsync(options.CallTimeout, cancellationToken);
                    options.Notice?.Invoke($"the coordinator had lost the count's plan (its storage went with a silo); submitted it again: {status.Restored} of {status.SubCubes} results were still stored, the rest is counted again");
                }

                if (failure is not null || (host is not null && host != status.Host))
                {
                    options.Notice?.Invoke($"re-attached: the coordinator runs on {status.Host}, {status.Done}/{status.SubCubes} sub-cubes counted");
                }

                failure = null;
                host = status.Host;
                sinceAnswer.Restart();
                options.Progress?.Report(status);
                if (status.Finished || status.Cancelled)
                {
                    return status;
                }

                if (status.Done != lastDone)
                {
                    lastDone = status.Done;
                    sinceProgress.Restart();
                }

                // Twice the lease time at least: by then a live worker has reported, or its lease has expired and
                // the sub-cube gone to another.
                TimeSpan stallAfter = options.StallAfter > 2 * status.LeaseTime ? options.StallAfter : 2 * status.LeaseTime;
                if (sinceProgress.Elapsed >= stallAfter)
                {
                    throw new CountStalledException(key, status, sinceProgress.Elapsed, await ActiveSilos(grains, options, cancellationToken));
                }
            }
            catch (Exception e) when (IsTransient(e) && !cancellationToken.IsCancellationRequested)
            {
                if (failure is null)
                {
                    options.Notice?.Invoke($"lost contact with the count ({Describe(e)}); retrying for up to {options.GiveUpAfter.TotalSeconds:F0} s");
                }

                failure = e;
                if (sinceAnswer.Elapsed >= options.GiveUpAfter)
                {
                    throw new TimeoutException($"No silo answered for {sinceAnswer.Elapsed.TotalSeconds:F0} s about count {key} (last error: {Describe(e)}). The count goes on if the cluster comes back; watch it again with the same job.", e);
                }
            }

            await Task.Delay(options.Interval, cancellationToken);
        }
    }

    /// <summary>The silos the membership lists as active, for a stalled count's message (null when it cannot be read).</summary>
    private static async Task<string[]?> ActiveSilos(IGrainFactory grains, CountWatchOptions options, CancellationToken cancellationToken)
    {
        try
        {
            Dictionary<SiloAddress, SiloStatus> hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true).WaitAsync(options.CallTimeout, cancellationToken);
            return [.. hosts.Keys.Select(h => h.ToString()).Order(StringComparer.Ordinal)];
        }
        catch (Exception e) when (IsTransient(e))
        {
            return null;
        }
    }

    /// <summary>Whether a failed call is worth retrying: a silo left, a connection dropped, a call timed out, a grain is moving.</summary>
    public static bool IsTransient(Exception e) => e is OrleansException or TimeoutException or SocketException or IOException or ObjectDisposedException;

    /// <summary>One line about a failed call, without its stack trace.</summary>
    internal static string Describe(Exception e) => $"{e.GetType().Name}: {e.Message.Split('\n')[0].Trim()}";

    /// <summary>The certificate of a finished count: exact, and saying on how many silos it was computed.</summary>
    /// <exception cref="InvalidOperationException">The count is not finished.</exception>
    public static Certificate ToCertificate(CountJob job, CountStatus status)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(status);
        if (!status.Finished)
        {
            throw new InvalidOperationException($"The count has {status.Done} of {status.SubCubes} sub-cubes{(status.Cancelled ? " and is cancelled (submit it again to resume)" : "")}; a certificate needs all of them.");
        }

        (ITernaryNetwork network, Preference preference, CountPlan plan) = job.Build();
        string fixedText = job.FixedInputs.Length == 0 ? "" : $", first {job.FixedInputs.Length} inputs fixed to ({string.Join(", ", job.FixedInputs)})";
        string where = $"{status.Silos.Length} silo{(status.Silos.Length == 1 ? "" : "s")} (Orleans){fixedText}";
        return Certificate.FromCount(network, preference,
            new CountResult(status.Count, status.Total, CountMethod.Enumeration, status.Elapsed, (double)status.Decided / plan.Cube) { ComputedOn = where });
    }

    internal static string ShardKey(string key, long shard) => $"{key}/{shard}";

    internal static ICountShardGrain Shard(IGrainFactory grains, string key, long subCube) =>
        grains.GetGrain<ICountShardGrain>(ShardKey(key, subCube / ShardSize));
}

/// <summary>How <see cref="ClusterCounting.WatchAsync(IGrainFactory, CountJob, CountWatchOptions?, CancellationToken)"/> watches.</summary>
public sealed class CountWatchOptions
{
    /// <summary>Time between status calls (default 1 s).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long to keep retrying when no silo answers (default 60 s).</summary>
    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How long the coordinator may answer without a sub-cube being counted before the watcher gives up with a
    /// <see cref="CountStalledException"/> (default 2 minutes; twice the count's lease time when that is longer).
    /// </summary>
    public TimeSpan StallAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long one status call may take before it counts as unanswered (default 10 s).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Receives every status.</summary>
    public IProgress<CountStatus>? Progress { get; init; }

    /// <summary>Receives a line when contact is lost, when the watcher re-attaches, and when a lost plan is submitted again.</summary>
    public Action<string>? Notice { get; init; }
}

/// <summary>The coordinator does not know the count: its stored state was lost (memory storage on a silo that stopped), or it was never submitted.</summary>
public sealed class CountLostException(string key) : Exception(
    $"Count {key} is unknown to its coordinator: its stored state was lost (memory grain storage lives on the silos, and the silo holding it stopped) or it was never submitted. Submitting the same job again resumes it with every result still stored.")
{
    /// <summary>The count's key.</summary>
    public string Key { get; } = key;
}

/// <summary>
/// A count whose coordinator answers but which has counted no sub-cube for a while: the message says what is missing
/// (no worker taking leases, or workers holding leases without reporting) and which silos the membership lists.
/// </summary>
public sealed class CountStalledException(string key, CountStatus status, TimeSpan stalledFor, string[]? activeSilos)
    : Exception(Describe(key, status, stalledFor, activeSilos))
{
    /// <summary>The count's key.</summary>
    public string Key { get; } = key;

    /// <summary>The count's last status.</summary>
    public CountStatus Status { get; } = status;

    /// <summary>How long no sub-cube was counted.</summary>
    public TimeSpan StalledFor { get; } = stalledFor;

    /// <summary>The silos the membership listed as active (null when it could not be read).</summary>
    public IReadOnlyList<string>? ActiveSilos { get; } = activeSilos;

    private static string Describe(string key, CountStatus status, TimeSpan stalledFor, string[]? activeSilos)
    {
        System.Globalization.CultureInfo c = System.Globalization.CultureInfo.InvariantCulture;
        string missing = status.Leased == 0
            ? string.Create(c, $"no worker holds a sub-cube, and none has asked for one {(status.SinceLease is TimeSpan lease ? $"for {lease.TotalSeconds:F0} s" : "since the coordinator started")}: no silo's counting loops reach the coordinator (silos still joining or cut off from it, or none runs AddGenBiasCounting)")
            : string.Create(c, $"{status.Leased} sub-cube(s) on lease to {string.Join(", ", status.LeaseHolders)}, and no result {(status.SinceReport is TimeSpan report ? $"for {report.TotalSeconds:F0} s" : "since the coordinator started")}: those workers are slow, stuck or cut off (their leases are lent again after {status.LeaseTime.TotalSeconds:F0} s)");
        string silos = activeSilos is null ? "the membership could not be read"
            : activeSilos.Length == 0 ? "the membership lists no active silo"
            : $"the membership lists {activeSilos.Length} active silo(s): {string.Join(", ", activeSilos)}";
        return string.Create(c, $"Count {key} made no progress for {stalledFor.TotalSeconds:F0} s at {status.Done:N0}/{status.SubCubes:N0} sub-cubes (its coordinator on {status.Host} answers): {missing}; {silos}. The count goes on if the cluster recovers; the same job watches it again.");
    }
}
