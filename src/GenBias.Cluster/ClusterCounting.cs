using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Hosting;
using Orleans.Runtime;

namespace GenBias.Cluster;

/// <summary>Setting up a silo to count, and submitting and watching counts from a client.</summary>
public static class ClusterCounting
{
    /// <summary>The grain storage the coordinators keep their results in (configure it on every silo).</summary>
    public const string StorageName = "genbias-counts";

    /// <summary>
    /// Runs <paramref name="workers"/> counting loops on this silo (default: one per core): each takes a sub-cube
    /// from a count in progress, counts it with the local SIMD counter and reports it back. The silo also needs a grain
    /// storage named <see cref="StorageName"/> (memory for one machine; ADO.NET or Redis across machines).
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

    /// <summary>Submits a count (idempotent: the same job returns the running or finished count); returns its key.</summary>
    public static async Task<string> SubmitAsync(IGrainFactory grains, CountJob job)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(job);
        (_, _, CountPlan plan) = job.Build();
        string key = CountJob.KeyOf(plan);
        await grains.GetGrain<ICountCoordinatorGrain>(key).Submit(job, plan.SubCubes, plan.Total);
        return key;
    }

    /// <summary>Polls the count until it finishes (or is cancelled), reporting its status; cancelling the token cancels the count.</summary>
    public static async Task<CountStatus> WatchAsync(IGrainFactory grains, string key, IProgress<CountStatus>? progress = null,
        TimeSpan? interval = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ICountCoordinatorGrain coordinator = grains.GetGrain<ICountCoordinatorGrain>(key);
        while (true)
        {
            CountStatus status = await coordinator.Status();
            progress?.Report(status);
            if (status.Finished || status.Cancelled)
            {
                return status;
            }

            try
            {
                await Task.Delay(interval ?? TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                await coordinator.Cancel();
                throw;
            }
        }
    }

    /// <summary>The certificate of a finished count: exact, and saying on how many silos it was computed.</summary>
    /// <exception cref="InvalidOperationException">The count is not finished.</exception>
    public static Certificate ToCertificate(CountJob job, CountStatus status)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(status);
        if (!status.Finished)
        {
            throw new InvalidOperationException($"The count has {status.Done} of {status.SubCubes} sub-cubes; a certificate needs all of them.");
        }

        (ITernaryNetwork network, Preference preference, CountPlan plan) = job.Build();
        string fixedText = job.FixedInputs.Length == 0 ? "" : $", first {job.FixedInputs.Length} inputs fixed to ({string.Join(", ", job.FixedInputs)})";
        string where = $"{status.Silos.Length} silo{(status.Silos.Length == 1 ? "" : "s")} (Orleans){fixedText}";
        return Certificate.FromCount(network, preference,
            new CountResult(status.Count, status.Total, CountMethod.Enumeration, status.Elapsed, (double)status.Decided / plan.Cube) { ComputedOn = where });
    }
}

/// <summary>How many counting loops a silo runs.</summary>
internal sealed class CountWorkerOptions
{
    public int Workers { get; init; } = 1;

    public TimeSpan IdlePoll { get; init; } = TimeSpan.FromMilliseconds(200);
}

/// <summary>
/// The counting loops of one silo: find the counts in progress, lease a sub-cube, count it, report it. A silo that
/// stops leaves its leases to expire; the coordinator lends those sub-cubes again.
/// </summary>
internal sealed class CountWorkerService(IGrainFactory grains, ILocalSiloDetails silo, CountWorkerOptions options, ILogger<CountWorkerService> logger)
    : BackgroundService
{
    private readonly ConcurrentDictionary<string, Lazy<CountPlan>> _plans = new();

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = new Task[options.Workers];
        for (int i = 0; i < loops.Length; i++)
        {
            int index = i;
            loops[i] = Task.Run(() => Loop(index, stoppingToken), stoppingToken);
        }

        return Task.WhenAll(loops);
    }

    private async Task Loop(int index, CancellationToken stoppingToken)
    {
        string worker = $"{silo.SiloAddress}#{index}";
        string siloName = silo.SiloAddress.ToString();
        while (!stoppingToken.IsCancellationRequested)
        {
            bool worked = false;
            try
            {
                foreach (string key in await grains.GetGrain<ICountRegistryGrain>(0).Active())
                {
                    ICountCoordinatorGrain coordinator = grains.GetGrain<ICountCoordinatorGrain>(key);
                    SubCubeLease? lease = await coordinator.Lease(worker);
                    if (lease is null)
                    {
                        continue;
                    }

                    CountPlan plan = _plans.GetOrAdd(key, _ => new Lazy<CountPlan>(() => lease.Job.Build().Plan)).Value;
                    var clock = Stopwatch.StartNew();
                    (long count, long decided) = plan.CountSubCube(lease.SubCube, stoppingToken);
                    await coordinator.Report(lease.SubCube, count, decided, siloName);
                    logger.LogDebug("{Worker} counted sub-cube {SubCube} of {Key} in {Elapsed}", worker, lease.SubCube, key, clock.Elapsed);
                    worked = true;
                    break;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // A coordinator moving between silos, a silo leaving: the lease expires and another worker takes it.
                logger.LogWarning(e, "{Worker}: a count call failed; retrying", worker);
            }

            if (!worked)
            {
                try
                {
                    await Task.Delay(options.IdlePoll, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
